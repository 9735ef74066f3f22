import { LockOutlined, TranslationOutlined, UserOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { homeOf } from '../home';
import { useAuth, type Role } from '../auth';
import { ErrorAlert } from '../components/errors';
import { useI18n } from '../i18n';

export function LoginPage() {
  const { t, tf, lang, setLang } = useI18n();
  const { login, role, expired } = useAuth();
  const navigate = useNavigate();
  const loc = useLocation();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (role) return <Navigate to={homeOf(role)} replace />;
  const from = (loc.state as { from?: string } | null)?.from;
  const onFinish = async (v: { username: string; password: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const s = await login(v.username.trim(), v.password);
      navigate(from && from !== '/' ? from : homeOf(s.user.role as Role), { replace: true });
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="jc-login">
      <Card style={{ width: 380 }} title={<span>{t('app.name')} · {t('login.title')}</span>}
        extra={<Button size="small" type="text" icon={<TranslationOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">{t('lang.switch')}</Button>}>
        <Typography.Paragraph type="secondary" style={{ marginTop: -4 }}>{t('app.subtitle')}</Typography.Paragraph>
        {expired ? <Alert type="warning" showIcon title={tf('login.ended.' + expired, t('login.expired'))} style={{ marginBottom: 12 }} data-testid="session-ended" /> : null}
        {error ? <ErrorAlert error={error} /> : null}
        <Form layout="vertical" onFinish={onFinish} requiredMark={false} size="middle">
          <Form.Item name="username" label={t('login.username')} rules={[{ required: true, message: t('common.required') }]}>
            <Input prefix={<UserOutlined />} autoComplete="username" autoFocus id="username" />
          </Form.Item>
          <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('common.required') }]}>
            <Input.Password prefix={<LockOutlined />} autoComplete="current-password" id="password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="login-submit">{t('login.submit')}</Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 16, marginBottom: 0 }}>{t('login.demoHint')}</Typography.Paragraph>
      </Card>
    </div>
  );
}
