import type { components } from './schema';

export interface Session {
  token: string;
  expires_at: string;
  user: components['schemas']['Me'];
  /** Server clock minus browser clock at sign-in (see clockOffsetFromToken). */
  clock_offset_ms?: number;
}
export const SESSION_KEY = 'jicai.session';
const KEY = SESSION_KEY;

export function loadSession(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? 'null') as Session | null;
    // Expiry is the server's call (a 401 clears the session): the browser's clock may differ
    // from the server's, e.g. under JICAI_FAKE_NOW.
    return s && s.token ? s : null;
  } catch {
    return null;
  }
}
export function saveSession(s: Session) {
  localStorage.setItem(KEY, JSON.stringify(s));
}
export function clearSession() {
  localStorage.removeItem(KEY);
}
export function getToken(): string | null {
  return loadSession()?.token ?? null;
}

/**
 * The server's clock as offset from the browser's, in ms. The API has no "now" field yet, so it is
 * read from the token's `iat` (the server's clock when it signed in, honouring JICAI_FAKE_NOW).
 */
export function clockOffsetFromToken(token: string): number {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const iat = (JSON.parse(atob(payload)) as { iat?: number }).iat;
    return typeof iat === 'number' ? iat * 1000 - Date.now() : 0;
  } catch {
    return 0;
  }
}

/** Today in Asia/Shanghai by the server's clock, as YYYY-MM-DD (the API's calendar day). */
export function serverToday(): string {
  const offset = loadSession()?.clock_offset_ms ?? 0;
  return shanghaiDate(new Date(Date.now() + offset));
}

export function shanghaiDate(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
