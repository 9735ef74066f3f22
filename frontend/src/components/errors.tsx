import { Alert, Button } from 'antd';
import { ApiError } from '../api/client';
import { useI18n, type T, type TF } from '../i18n';


/** The plain values of a refusal's details, for texts that name them (a case number, a date). */
function scalars(details?: Record<string, unknown> | null): Record<string, string | number> | undefined {
  if (!details) return undefined;
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(details)) if (typeof v === 'string' || typeof v === 'number') out[k] = v;
  return out;
}

/** The text to show for a failure: the translation of its code where there is one, else the API's message. */
export function errorTitle(t: T, tf: TF, e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'network') return t('error.network');
    return tf('error.' + e.code, e.message || t('error.unknown', { status: e.status }), scalars(e.details));
  }
  return e instanceof Error ? e.message : String(e);
}

/** What to show under a translated title: the offending field, and the API's own message only
 *  where the code has no translation, so that a Chinese user never reads the server's English;
 *  details the title does not already state (a text with placeholders, e.g. a credit refusal's case
 *  and date) are added as JSON. */
export function errorDetail(e: unknown, tf?: TF): string | undefined {
  if (!(e instanceof ApiError) || e.code === 'network') return undefined;
  const translation = tf ? tf('error.' + e.code, '') : '';
  const stated = translation.includes('{');
  // Row lists (a refused sheet's `rows`) are shown as tables by their screens, not as text here.
  const extra = e.details && !('rows' in e.details) && !stated ? JSON.stringify(e.details) : '';
  const own = translation ? (e.field ?? '') : (e.field ? `${e.field}: ` : '') + e.message;
  return [own, extra].filter(Boolean).join(' ') || undefined;
}

export function useErrorText() {
  const { t, tf } = useI18n();
  return (e: unknown) => {
    const title = errorTitle(t, tf, e);
    const detail = errorDetail(e, tf);
    return detail && detail !== title ? `${title}（${detail}）` : title;
  };
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t, tf } = useI18n();
  const title = errorTitle(t, tf, error);
  const detail = errorDetail(error, tf);
  return (
    <div data-testid="error-alert"><Alert
      type="error"
      showIcon
      role="alert"
      title={title}
      description={detail && detail !== title ? detail : undefined}
      action={onRetry ? <Button size="small" onClick={onRetry}>{t('common.retry')}</Button> : undefined}
      style={{ marginBottom: 12 }}
    /></div>
  );
}
