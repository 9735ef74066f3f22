import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, setUnauthorizedHandler, unwrap, type Me } from './api/client';
import { clearSession, clockOffsetFromToken, loadSession, saveSession, type Session } from './api/session';

export type Role = 'admin' | 'bureau_officer' | 'fund_officer' | 'hospital_buyer' | 'supplier';

interface Auth {
  session: Session | null;
  user: Me | null;
  role: Role | null;
  expired: boolean;
  login: (username: string, password: string) => Promise<Session>;
  logout: () => void;
}

const Ctx = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(loadSession);
  const [expired, setExpired] = useState(false);
  useEffect(() => {
    setUnauthorizedHandler(() => {
      setSession(null);
      setExpired(true);
    });
  }, []);
  const login = useCallback(async (username: string, password: string) => {
    const r = await unwrap(api.POST('/api/v1/auth/login', { body: { username, password } }));
    const s: Session = { token: r.token, expires_at: r.expires_at, user: r.user, clock_offset_ms: clockOffsetFromToken(r.token) };
    saveSession(s);
    setExpired(false);
    setSession(s);
    return s;
  }, []);
  const logout = useCallback(() => {
    clearSession();
    setExpired(false);
    setSession(null);
  }, []);
  const value = useMemo<Auth>(
    () => ({ session, user: session?.user ?? null, role: (session?.user.role as Role) ?? null, expired, login, logout }),
    [session, expired, login, logout],
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
