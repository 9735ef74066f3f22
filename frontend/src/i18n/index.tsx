import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { zh } from './zh';
import { en } from './en';

export type Lang = 'zh' | 'en';
export type MsgKey = keyof typeof zh;
const dicts: Record<Lang, Record<MsgKey, string>> = { zh, en };
const STORAGE_KEY = 'jicai.lang';

export type T = (key: MsgKey, vars?: Record<string, string | number>) => string;
/** A translation when the dictionary has `key`, else `fallback`. */
export type TF = (key: string, fallback: string, vars?: Record<string, string | number>) => string;

interface I18n {
  lang: Lang;
  setLang: (l: Lang) => void;
  t: T;
  /** A translation when the dictionary has `key`, else `fallback` (e.g. an enum value). */
  tf: TF;
}

function fill(s: string, vars?: Record<string, string | number>) {
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m)) : s;
}

function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  return saved === 'en' ? 'en' : 'zh';
}

const Ctx = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(initialLang);
  dayjs.locale(lang === 'zh' ? 'zh-cn' : 'en');
  const setLang = useCallback((l: Lang) => {
    localStorage.setItem(STORAGE_KEY, l);
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
    setLangState(l);
  }, []);
  const value = useMemo<I18n>(() => {
    const d = dicts[lang];
    const t: T = (key, vars) => fill(d[key] ?? key, vars);
    const tf = (key: string, fallback: string, vars?: Record<string, string | number>) =>
      key in d ? fill(d[key as MsgKey], vars) : fallback;
    return { lang, setLang, t, tf };
  }, [lang, setLang]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export function useI18n(): I18n {
  const v = useContext(Ctx);
  if (!v) throw new Error('useI18n outside I18nProvider');
  return v;
}
