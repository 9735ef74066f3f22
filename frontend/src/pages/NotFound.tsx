import { Button, Result } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n } from '../i18n';

export function NotFound({ title }: { title?: string }) {
  const { t } = useI18n();
  return (
    <Result
      status="404"
      title={<span data-testid="not-found">{title ?? t('common.notFound')}</span>}
      subTitle={t('common.notFoundBody')}
      extra={<Link to="/"><Button type="primary">{t('common.home')}</Button></Link>}
    />
  );
}
