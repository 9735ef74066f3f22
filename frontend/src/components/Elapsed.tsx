import { useEffect, useState } from 'react';
import { useI18n } from '../i18n';

/** A seconds counter while a long synchronous request runs (a job, a calculation). */
export function Elapsed({ since, testId }: { since: number; testId?: string }) {
  const { t } = useI18n();
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const h = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(h);
  }, []);
  return <span data-testid={testId}>{t('job.elapsed', { s: ((now - since) / 1000).toFixed(1) })}</span>;
}
