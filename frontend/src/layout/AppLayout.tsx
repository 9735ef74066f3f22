import {
  AuditOutlined, BarChartOutlined, DashboardOutlined, DollarOutlined, InboxOutlined,
  LogoutOutlined, MedicineBoxOutlined, PlusOutlined, ProfileOutlined, ShopOutlined, TagsOutlined, TeamOutlined, TranslationOutlined,
  TrophyOutlined, UnorderedListOutlined, ApiOutlined, CarOutlined, AccountBookOutlined, GiftOutlined, LineChartOutlined,
  BankOutlined, ScheduleOutlined, UserOutlined, KeyOutlined, FileTextOutlined, FileSearchOutlined, SafetyCertificateOutlined, PropertySafetyOutlined, GlobalOutlined, NodeIndexOutlined,
} from '@ant-design/icons';
import { Button, Form, Input, Layout, Menu, Modal, Space, Tag, Tooltip } from 'antd';
import { api, unwrap } from '../api/client';
import { ErrorAlert } from '../components/errors';
import { useAction } from '../components/useAction';
import { useState, type ReactNode } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router-dom';
import { useAuth, useMe, type Role } from '../auth';
import { useI18n, type MsgKey } from '../i18n';

interface Item { path: string; label: MsgKey; icon: ReactNode }

/** Each role sees only its own menu. */
export const MENUS: Record<Role, Item[]> = {
  hospital_buyer: [
    { path: '/hospital/catalogue', label: 'menu.catalogue', icon: <MedicineBoxOutlined /> },
    { path: '/hospital/orders/new', label: 'menu.newOrder', icon: <PlusOutlined /> },
    { path: '/hospital/orders', label: 'menu.orders', icon: <ProfileOutlined /> },
    { path: '/hospital/deliveries', label: 'menu.deliveries', icon: <InboxOutlined /> },
    { path: '/hospital/payables', label: 'menu.payables', icon: <DollarOutlined /> },
    { path: '/hospital/volumes', label: 'menu.volumes', icon: <BarChartOutlined /> },
    { path: '/hospital/statements', label: 'menu.prepayment', icon: <AccountBookOutlined /> },
    { path: '/hospital/retention', label: 'menu.retention', icon: <GiftOutlined /> },
    { path: '/tenders', label: 'menu.tenders', icon: <FileSearchOutlined /> },
    { path: '/credit', label: 'menu.credit', icon: <SafetyCertificateOutlined /> },
  ],
  supplier: [
    { path: '/supplier/orders', label: 'menu.incomingOrders', icon: <ProfileOutlined /> },
    { path: '/supplier/deliveries', label: 'menu.shipments', icon: <CarOutlined /> },
    { path: '/supplier/payments', label: 'menu.paymentStatus', icon: <DollarOutlined /> },
    { path: '/supplier/product-flow', label: 'menu.productFlow', icon: <NodeIndexOutlined /> },
    { path: '/tenders', label: 'menu.tenders', icon: <FileSearchOutlined /> },
    { path: '/credit', label: 'menu.credit', icon: <SafetyCertificateOutlined /> },
    { path: '/payment-standards', label: 'menu.paymentStandards', icon: <PropertySafetyOutlined /> },
  ],
  bureau_officer: [
    { path: '/bureau/dashboard', label: 'menu.dashboard', icon: <DashboardOutlined /> },
    { path: '/bureau/monitoring', label: 'menu.monitoring', icon: <LineChartOutlined /> },
    { path: '/tenders', label: 'menu.tenders', icon: <FileSearchOutlined /> },
    { path: '/credit', label: 'menu.credit', icon: <SafetyCertificateOutlined /> },
    { path: '/bureau/batches', label: 'menu.batches', icon: <UnorderedListOutlined /> },
    { path: '/bureau/products', label: 'menu.products', icon: <MedicineBoxOutlined /> },
    { path: '/bureau/bids', label: 'menu.bids', icon: <TrophyOutlined /> },
    { path: '/bureau/agreed-volumes', label: 'menu.agreedVolumes', icon: <TeamOutlined /> },
    { path: '/bureau/listed', label: 'menu.listed', icon: <TagsOutlined /> },
    { path: '/payment-standards', label: 'menu.paymentStandards', icon: <PropertySafetyOutlined /> },
    { path: '/bureau/orders', label: 'menu.allOrders', icon: <ProfileOutlined /> },
    { path: '/bureau/payables', label: 'menu.payables', icon: <DollarOutlined /> },
    { path: '/bureau/payment-batches', label: 'menu.paymentBatches', icon: <BankOutlined /> },
    { path: '/bureau/retention', label: 'menu.retention', icon: <GiftOutlined /> },
    { path: '/bureau/jobs', label: 'menu.jobs', icon: <ScheduleOutlined /> },
    { path: '/bureau/publications', label: 'menu.publications', icon: <GlobalOutlined /> },
    { path: '/bureau/audit', label: 'menu.audit', icon: <AuditOutlined /> },
    { path: '/users', label: 'menu.users', icon: <UserOutlined /> },
  ],
  fund_officer: [
    { path: '/fund/payables', label: 'menu.regionPayables', icon: <DollarOutlined /> },
    { path: '/fund/batches', label: 'menu.paymentBatches', icon: <BankOutlined /> },
    { path: '/fund/ledger', label: 'menu.ledger', icon: <AccountBookOutlined /> },
    { path: '/payment-standards', label: 'menu.paymentStandards', icon: <PropertySafetyOutlined /> },
    { path: '/fund/statements', label: 'menu.statements', icon: <FileTextOutlined /> },
    { path: '/fund/retention', label: 'menu.retention', icon: <GiftOutlined /> },
    { path: '/credit', label: 'menu.credit', icon: <SafetyCertificateOutlined /> },
    { path: '/fund/jobs', label: 'menu.jobs', icon: <ScheduleOutlined /> },
  ],
  admin: [],
};
// The platform admin has no region: credit cases are a region's.
MENUS.admin = MENUS.bureau_officer.filter((i) => i.path !== '/credit' && i.path !== '/bureau/publications');

export function AppLayout() {
  const me = useMe();
  const { logout } = useAuth();
  const { t, tf, lang, setLang } = useI18n();
  const loc = useLocation();
  const navigate = useNavigate();
  // Product flow is a winning manufacturer's page.
  const items = (MENUS[me.role] ?? []).filter((i) => i.path !== '/supplier/product-flow' || me.organization.is_manufacturer);
  // Narrow windows get the icons only (labels as tooltips).
  const [collapsed, setCollapsed] = useState(false);
  const [changingPassword, setChangingPassword] = useState(false);
  // The longest menu path that prefixes the location is the selected one.
  const selected = items.map((i) => i.path).filter((p) => loc.pathname === p || loc.pathname.startsWith(p + '/'))
    .sort((a, b) => b.length - a.length)[0];
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header className="jc-header">
        <span className="jc-brand">{t('app.name')}<small>{t('app.subtitle')}</small></span>
        <span className="jc-spacer" />
        <Space size={8} data-testid="whoami">
          <ShopOutlined />
          <span data-testid="org-name" className="jc-org-name" title={me.organization.name}>{me.organization.name}</span>
          {me.region ? <Tag>{me.region.name}</Tag> : null}
          <Tag color="blue" data-testid="role">{tf('role.' + me.role, me.role)}</Tag>
          <span className="jc-muted jc-org-name" style={{ maxWidth: 160 }} title={me.display_name || me.username}>{me.display_name || me.username}</span>
        </Space>
        <Tooltip title="API">
          <Link to="/api/docs" target="_blank"><ApiOutlined /> {t('common.apiDocs')}</Link>
        </Tooltip>
        <Button size="small" icon={<TranslationOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">
          {t('lang.switch')}
        </Button>
        <Button size="small" icon={<KeyOutlined />} onClick={() => setChangingPassword(true)} data-testid="change-password">
          {t('users.changeOwnPassword')}
        </Button>
        <OwnPassword open={changingPassword} onClose={() => setChangingPassword(false)} />
        <Button size="small" icon={<LogoutOutlined />} onClick={() => { logout(); navigate('/login'); }} data-testid="logout">
          {t('common.logout')}
        </Button>
      </Layout.Header>
      <Layout style={{ flex: 1 }}>
        <Layout.Sider width={184} theme="light" breakpoint="lg" collapsedWidth={48} collapsed={collapsed} onCollapse={setCollapsed} trigger={null}
          style={{ borderRight: '1px solid #eee' }}>
          <Menu
            mode="inline"
            inlineCollapsed={collapsed}
            selectedKeys={selected ? [selected] : []}
            items={items.map((i) => ({ key: i.path, icon: i.icon, label: <Link to={i.path}>{t(i.label)}</Link> }))}
            style={{ borderRight: 0 }}
            data-testid="menu"
          />
        </Layout.Sider>
        <Layout.Content className="jc-content">
          <Outlet />
        </Layout.Content>
      </Layout>
    </Layout>
  );
}

export function PageTitle({ title, extra, icon }: { title: ReactNode; extra?: ReactNode; icon?: ReactNode }) {
  return (
    <div className="jc-page-title">
      {icon}
      <h2>{title}</h2>
      <span style={{ flex: 1 }} />
      {extra}
    </div>
  );
}

/** The signed-in user changes their own password; their other sessions end, this one goes on. */
function OwnPassword({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const { renew } = useAuth();
  const [form] = Form.useForm<{ current_password: string; new_password: string; repeat: string }>();
  const action = useAction();
  const submit = async () => {
    let v: { current_password: string; new_password: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const out = await action.run(() => unwrap(api.POST('/api/v1/me/password', { body: { current_password: v.current_password, new_password: v.new_password } })), t('users.ownPasswordChanged'));
    if (out) {
      renew(out);
      form.resetFields();
      onClose();
    }
  };
  return (
    <Modal title={t('users.changeOwnPassword')} open={open} onCancel={onClose} onOk={submit} confirmLoading={action.busy} destroyOnHidden>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="vertical" size="small" data-testid="own-password-form">
        <Form.Item name="current_password" label={t('users.currentPassword')} rules={[{ required: true, message: t('common.required') }]}>
          <Input.Password autoComplete="current-password" />
        </Form.Item>
        <Form.Item name="new_password" label={t('users.newPassword')} extra={t('users.passwordRule')}
          rules={[{ required: true, message: t('common.required') }, { min: 8, message: t('users.passwordRule') }, { max: 128, message: t('users.passwordRule') }]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
        <Form.Item name="repeat" label={t('users.repeatPassword')} dependencies={['new_password']}
          rules={[{ required: true, message: t('common.required') }, ({ getFieldValue }) => ({
            validator: (_, value) => (value === getFieldValue('new_password') ? Promise.resolve() : Promise.reject(new Error(t('users.repeatMismatch')))),
          })]}>
          <Input.Password autoComplete="new-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
