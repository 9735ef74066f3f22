import type { T } from '../i18n';

/** "1234.5" → "¥1,234.50"; money stays a decimal string end to end (never a float). */
export function fmtMoney(s: string | null | undefined, decimals = 2): string {
  if (s == null || s === '') return '—';
  const neg = s.startsWith('-');
  const [int, frac = ''] = (neg ? s.slice(1) : s).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const f = frac.padEnd(decimals, '0');
  return `${neg ? '-' : ''}¥${grouped}${f ? '.' + f : ''}`;
}

/** A unit price keeps its 4 decimals. */
export const fmtUnitPrice = (s: string | null | undefined) => fmtMoney(s, 4);

/** Exact decimal arithmetic on money strings, in integer 1/10,000 yuan. */
export function toTenThousandths(s: string): bigint {
  const negative = s.trim().startsWith('-');
  const [int, frac = ''] = s.trim().replace(/^-/, '').split('.');
  const v = BigInt(int || '0') * 10000n + BigInt((frac + '0000').slice(0, 4));
  return negative ? -v : v;
}

/** qty × unit price, rounded half-up to the fen, as "123.45". */
export function lineAmount(qty: number, unitPrice: string): string {
  const tt = toTenThousandths(unitPrice) * BigInt(qty);
  const fen = (tt + 50n) / 100n;
  return `${fen / 100n}.${(fen % 100n).toString().padStart(2, '0')}`;
}

export function sumMoney(amounts: string[]): string {
  const fen = amounts.reduce((a, s) => a + toTenThousandths(s) / 100n, 0n);
  const abs = fen < 0n ? -fen : fen;
  return `${fen < 0n ? '-' : ''}${abs / 100n}.${(abs % 100n).toString().padStart(2, '0')}`;
}

const dtFmt = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});
/** An instant shown in Asia/Shanghai: "2026-11-22 10:00". */
export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const parts = Object.fromEntries(dtFmt.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

export function fmtInt(n: number | null | undefined): string {
  return n == null ? '—' : n.toLocaleString('en-US');
}

/** "30 盒（300 片）" for a quantity in minimum units. */
export function fmtPacks(t: T, qty: number, packSize: number, minUnit: string): string {
  if (!packSize) return `${qty} ${minUnit}`;
  return t('unit.packsOf', { packs: fmtInt(qty / packSize), units: fmtInt(qty), unit: minUnit });
}

/** Days between two YYYY-MM-DD dates (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(b + 'T00:00:00Z') - Date.parse(a + 'T00:00:00Z')) / 86400000);
}

export function addDays(d: string, n: number): string {
  return new Date(Date.parse(d + 'T00:00:00Z') + n * 86400000).toISOString().slice(0, 10);
}
