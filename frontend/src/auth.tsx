import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, setUnauthorizedHandler, unwrap, type Me } from './api/client';
import { clearSession, clockOffsetFromToken, loadSession, saveSession, SESSION_KEY, type Session } from './api/session';

export type Role = 'admin' | 'bureau_officer' | 'fund_officer' | 'hospital_buyer' | 'supplier';

interface Auth {
  session: Session | null;
  user: Me | null;
  role: Role | null;
  /** Why the last session ended without a sign-out: the API's 401 code (e.g. `account_disabled`). */
  expired: string | null;
  login: (username: string, password: string) => Promise<Session>;
  logout: () => void;
  renew: (r: { token: string; expires_at: string; user: Me }) => void;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState<string | null>(null);
  useEffect(() => {
    setUnauthorizedHandler((code) => {
      setSession(null);
      setExpired(code);
    });
  }, []);
  // Signing in or out in another tab reaches this one at once: another user's sign-in reloads
  // the app as that user, a sign-out returns to the login page.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key !== SESSION_KEY && e.key !== null) return;
      const next = loadSession();
      setSession((current) => {
        if (!next) return null;
        if (current && current.user.user_id !== next.user.user_id) {
          window.location.assign('/');
          return current;
        }
        return next;
      });
      if (next) setExpired(null);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);
  const login = useCallback(async (username: string, password: string) => {
    const r = await unwrap(api.POST('/api/v1/auth/login', { body: { username, password } }));
    const s: Session = { token: r.token, expires_at: r.expires_at, user: r.user, clock_offset_ms: clockOffsetFromToken(r.token) };
    saveSession(s);
    setExpired(null);
    setSession(s);
    return s;
  }, []);
  const logout = useCallback(() => {
    clearSession();
    setExpired(null);
    setSession(null);
  }, []);
  /** Keeps the session after the password changed (the answer carries a fresh token). */
  const renew = useCallback((r: { token: string; expires_at: string; user: Me }) => {
    const s: Session = { token: r.token, expires_at: r.expires_at, user: r.user, clock_offset_ms: clockOffsetFromToken(r.token) };
    saveSession(s);
    setSession(s);
  }, []);
  const value = useMemo<Auth>(
    () => ({ session, user: session?.user ?? null, role: (session?.user.role as Role) ?? null, expired, login, logout, renew }),
    [session, expired, login, logout, renew],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useAuth(): Auth {
  const v = useContext(Ctx);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}

/** The signed-in user (inside the authenticated layout). */
export function useMe(): Me & { role: Role } {
  const { user } = useAuth();
  if (!user) throw new Error('not signed in');
  return user as Me & { role: Role };
}
