import { Tag } from 'antd';
import { useI18n } from '../i18n';

export const ORDER_STATUSES = [
  'submitted', 'confirmed', 'partially_shipped', 'shipped', 'partially_accepted', 'completed', 'declined', 'cancelled',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

const orderColor: Record<string, string> = {
  submitted: 'gold', confirmed: 'blue', partially_shipped: 'cyan', shipped: 'geekblue',
  partially_accepted: 'purple', completed: 'green', declined: 'red', cancelled: 'default',
};

export function OrderStatusTag({ status }: { status: string }) {
  const { tf } = useI18n();
  return <Tag color={orderColor[status] ?? 'default'} data-status={status}>{tf('orderStatus.' + status, status)}</Tag>;
}

export function DeliveryStatusTag({ status, acceptance }: { status: string; acceptance?: string | null }) {
  const { tf } = useI18n();
  if (status === 'shipped' && acceptance === 'draft') return <Tag color="orange">{tf('acceptanceStatus.draft', 'draft')}</Tag>;
  return <Tag color={status === 'accepted' ? 'green' : 'gold'}>{tf('deliveryStatus.' + status, status)}</Tag>;
}

export function KindTag({ kind }: { kind: string }) {
  const { tf } = useI18n();
  return <Tag color={kind === 'winning' ? 'green' : 'orange'}>{tf('kind.' + kind, kind)}</Tag>;
}

export const PAYABLE_STATUSES = [
  'awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', 'disputed', 'in_batch', 'approved', 'paid', 'nothing_due', 'overdue',
] as const;
const SETTLED = ['paid', 'nothing_due'];
export const isSettled = (stage: string) => SETTLED.includes(stage);

const payableColor: Record<string, string> = {
  awaiting_invoice: 'gold', awaiting_hospital_confirmation: 'orange', confirmed: 'blue', disputed: 'magenta',
  in_batch: 'geekblue', approved: 'cyan', paid: 'green', nothing_due: 'default', overdue: 'red', awaiting_payment: 'blue',
};

/** The status the API shows (a stage, or `overdue` once unsettled past the due date). */
export function PayableStatusTag({ status }: { status: string }) {
  const { tf } = useI18n();
  return <Tag color={payableColor[status] ?? 'default'} data-status={status}>{tf('payableStatus.' + status, status)}</Tag>;
}

/** Days to the due date while the payable is unsettled; the payment date once paid. */
export function Countdown({ days, stage, paidOn }: { days: number; stage: string; paidOn?: string | null }) {
  const { t } = useI18n();
  if (stage === 'paid') return <Tag color="green">{t('payable.paidOn', { date: paidOn ?? '—' })}</Tag>;
  if (isSettled(stage)) return <span style={{ color: '#999' }}>—</span>;
  if (days < 0) return <Tag color="red">{t('payable.overdueBy', { n: -days })}</Tag>;
  if (days === 0) return <Tag color="volcano">{t('payable.dueToday')}</Tag>;
  return <Tag color={days <= 7 ? 'orange' : 'default'}>{t('payable.dueIn', { n: days })}</Tag>;
}

export const PAYMENT_BATCH_STATUSES = ['proposed', 'prepared', 'approved', 'executed'] as const;
const batchColor: Record<string, string> = { proposed: 'gold', prepared: 'blue', approved: 'cyan', executed: 'green' };

export function PaymentBatchStatusTag({ status }: { status: string }) {
  const { tf } = useI18n();
  return <Tag color={batchColor[status] ?? 'default'} data-status={status}>{tf('batchStatus.' + status, status)}</Tag>;
}

/** Overdue days, each attributed to the party the payable waited on (supplier, hospital, fund). */
export function DelayTags({ delay }: { delay: { supplier: number; hospital: number; fund: number } }) {
  const { t } = useI18n();
  if (delay.supplier + delay.hospital + delay.fund === 0) return <span className="jc-muted">—</span>;
  return (
    <span data-testid="delay">
      {delay.supplier ? <Tag color="orange">{t('payable.delay.supplier', { n: delay.supplier })}</Tag> : null}
      {delay.hospital ? <Tag color="gold">{t('payable.delay.hospital', { n: delay.hospital })}</Tag> : null}
      {delay.fund ? <Tag color="red">{t('payable.delay.fund', { n: delay.fund })}</Tag> : null}
    </span>
  );
}

/** What a payable pays for: each accepted drug with its quantity in its unit, and in packs. */
export function PayableItems({ items, compact }: { items: { generic_name: string; specification: string; accepted_qty: number; min_unit: string; packs?: number | null }[]; compact?: boolean }) {
  const { t } = useI18n();
  if (items.length === 0) return <span className="jc-muted">—</span>;
  const shown = compact ? items.slice(0, 2) : items;
  return (
    <span>
      {shown.map((i, n) => (
        <div key={n} style={{ whiteSpace: 'nowrap' }}>
          {i.generic_name} <span className="jc-muted">{i.specification}</span>{' '}
          <b>{i.accepted_qty.toLocaleString()}{i.min_unit}</b>
          {i.packs != null ? <span className="jc-muted">{t('payable.packs', { n: i.packs.toLocaleString() })}</span> : null}
        </div>
      ))}
      {compact && items.length > shown.length ? <span className="jc-muted">{t('payable.moreItems', { n: items.length - shown.length })}</span> : null}
    </span>
  );
}
