import { KeyOutlined, LockOutlined, PlusOutlined, StopOutlined, UnlockOutlined, UserSwitchOutlined, CheckCircleOutlined } from '@ant-design/icons';
import { Alert, Button, Form, Input, Modal, Popconfirm, Select, Space, Tag, Tooltip, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, newIdempotencyKey, unwrap, type Ok } from '../../api/client';
import { useMe, type Role } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type UserItem = Ok<'/api/v1/users', 'get'>['items'][number];

/** The roles each administrator may grant (the server checks the same). */
const GRANTABLE: Partial<Record<Role, Role[]>> = {
  admin: ['admin', 'bureau_officer', 'fund_officer', 'hospital_buyer', 'supplier'],
  bureau_officer: ['bureau_officer', 'fund_officer', 'hospital_buyer'],
};
/** A role's organisation kind: a role can change only to another of the same kind. */
const KIND: Record<Role, string> = {
  admin: 'platform', bureau_officer: 'bureau', fund_officer: 'bureau', hospital_buyer: 'hospital', supplier: 'enterprise',
};

/** User administration: admins for the platform, bureau officers for their own region. */
export default function Users() {
  const { t, tf } = useI18n();
  const me = useMe();
  const action = useAction();
  const [tick, setTick] = useState(0);
  const [q, setQ] = useState('');
  const [role, setRole] = useState<Role>();
  const [active, setActive] = useState<string>();
  const [creating, setCreating] = useState(false);
  const [resetting, setResetting] = useState<UserItem>();
  const [changingRole, setChangingRole] = useState<UserItem>();
  const grantable = GRANTABLE[me.role] ?? [];
  const done = () => setTick((n) => n + 1);
  const post = (id: string, what: 'deactivate' | 'activate' | 'unlock', success: string) =>
    action.run(async () => {
      const headers = { header: { 'Idempotency-Key': newIdempotencyKey() }, path: { id } };
      if (what === 'deactivate') await unwrap(api.POST('/api/v1/users/{id}/deactivate', { params: headers }));
      else if (what === 'activate') await unwrap(api.POST('/api/v1/users/{id}/activate', { params: headers }));
      else await unwrap(api.POST('/api/v1/users/{id}/unlock', { params: headers }));
      done();
    }, success);

  const columns: TableColumnsType<UserItem> = [
    { title: t('users.username'), dataIndex: 'username', render: (u: string) => <code>{u}</code> },
    { title: t('users.displayName'), dataIndex: 'display_name' },
    { title: t('users.org'), dataIndex: 'org_name' },
    { title: t('users.role'), dataIndex: 'role', render: (r: string) => <Tag color="blue">{tf('role.' + r, r)}</Tag> },
    {
      title: t('users.status'), key: 'status', render: (_, u) => (
        <Space size={4}>
          {u.active ? <Tag color="green">{t('users.active')}</Tag> : <Tag color="default">{t('users.inactive')}</Tag>}
          {u.locked_until ? <Tooltip title={t('users.lockedUntil', { at: fmtDateTime(u.locked_until) })}><Tag color="red" icon={<LockOutlined />}>{t('users.locked')}</Tag></Tooltip> : null}
        </Space>
      ),
    },
    { title: t('users.lastSignIn'), dataIndex: 'last_sign_in_at', render: (at: string | null) => (at ? fmtDateTime(at) : <span className="jc-muted">{t('users.never')}</span>) },
    {
      title: t('common.actions'), key: 'act', render: (_, u) => {
        const self = u.id === me.user_id;
        const manageable = grantable.includes(u.role as Role);
        if (!manageable) return <span className="jc-muted">{t('users.notYours')}</span>;
        return (
          <Space size={4} wrap>
            {u.active ? (
              <Popconfirm title={t('users.deactivateConfirm', { name: u.display_name })} disabled={self}
                onConfirm={() => post(u.id, 'deactivate', t('users.deactivated'))}>
                <Button size="small" danger icon={<StopOutlined />} disabled={self} data-testid={`deactivate-${u.username}`}>{t('users.deactivate')}</Button>
              </Popconfirm>
            ) : (
              <Button size="small" icon={<CheckCircleOutlined />} onClick={() => post(u.id, 'activate', t('users.activated'))} data-testid={`activate-${u.username}`}>{t('users.activate')}</Button>
            )}
            <Button size="small" icon={<KeyOutlined />} onClick={() => setResetting(u)} data-testid={`reset-${u.username}`}>{t('users.resetPassword')}</Button>
            <Button size="small" icon={<UserSwitchOutlined />} disabled={self || grantable.filter((r) => KIND[r] === u.org_kind).length < 2}
              onClick={() => setChangingRole(u)} data-testid={`role-${u.username}`}>{t('users.changeRole')}</Button>
            {u.locked_until ? <Button size="small" icon={<UnlockOutlined />} onClick={() => post(u.id, 'unlock', t('users.unlocked'))} data-testid={`unlock-${u.username}`}>{t('users.unlock')}</Button> : null}
          </Space>
        );
      },
    },
  ];

  return (
    <div>
      <PageTitle title={t('users.title')} extra={
        <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="user-create">{t('users.create')}</Button>
      } />
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={me.role === 'admin' ? t('users.hintAdmin') : t('users.hintBureau')} />
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Space wrap style={{ marginBottom: 12 }}>
        <Input.Search allowClear placeholder={t('users.searchPlaceholder')} style={{ width: 240 }} onSearch={(v) => setQ(v.trim())} data-testid="user-search" />
        <Select allowClear placeholder={t('users.role')} style={{ width: 180 }} value={role} onChange={setRole}
          options={(['admin', 'bureau_officer', 'fund_officer', 'hospital_buyer', 'supplier'] as Role[]).map((r) => ({ value: r, label: tf('role.' + r, r) }))} />
        <Select allowClear placeholder={t('users.status')} style={{ width: 140 }} value={active} onChange={setActive}
          options={[{ value: 'true', label: t('users.active') }, { value: 'false', label: t('users.inactive') }]} />
      </Space>
      <ServerTable<UserItem>
        testId="users-table"
        columns={columns}
        deps={[q, role, active, tick]}
        fetchPage={(page, perPage) => unwrap(api.GET('/api/v1/users', {
          params: { query: { page, per_page: perPage, q: q || undefined, role, active: active === undefined ? undefined : active === 'true' } },
        }))}
      />
      <CreateUser open={creating} grantable={grantable} onClose={() => setCreating(false)} onCreated={done} />
      <ResetPassword user={resetting} onClose={() => setResetting(undefined)} onDone={done} />
      <ChangeRole user={changingRole} grantable={grantable} onClose={() => setChangingRole(undefined)} onDone={done} />
    </div>
  );
}

interface NewUserValues { username: string; display_name?: string; email?: string; role: Role; org_id: string; password: string }

function CreateUser({ open, grantable, onClose, onCreated }: { open: boolean; grantable: Role[]; onClose: () => void; onCreated: () => void }) {
  const { t, tf } = useI18n();
  const [form] = Form.useForm<NewUserValues>();
  const action = useAction();
  const role = Form.useWatch('role', form);
  const [orgs, setOrgs] = useState<{ value: string; label: string }[]>([]);
  const searchOrgs = async (kind: string, name?: string) => {
    const page = await unwrap(api.GET('/api/v1/organizations', {
      params: { query: { kind: kind as never, q: name || undefined, per_page: 50 } },
    }));
    setOrgs(page.items.map((o) => ({ value: o.id, label: o.name })));
  };
  const submit = async () => {
    let v: NewUserValues;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const out = await action.run(() => unwrap(api.POST('/api/v1/users', {
      params: { header: { 'Idempotency-Key': newIdempotencyKey() } },
      body: { username: v.username.trim(), display_name: v.display_name?.trim() || null, email: v.email?.trim() || null, role: v.role, org_id: v.org_id, password: v.password },
    })), t('users.created'));
    if (out) {
      form.resetFields();
      onCreated();
      onClose();
    }
  };
  return (
    <Modal title={t('users.create')} open={open} onCancel={onClose} onOk={submit} confirmLoading={action.busy} okText={t('users.create')} destroyOnHidden>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="vertical" size="small" data-testid="user-form"
        onValuesChange={(changed: Partial<NewUserValues>) => {
          if (changed.role) {
            form.setFieldValue('org_id', undefined);
            void searchOrgs(KIND[changed.role]);
          }
        }}>
        <Form.Item name="username" label={t('users.username')} extra={t('users.usernameRule')}
          rules={[{ required: true, message: t('common.required') }, { pattern: /^[A-Za-z0-9._-]{3,40}$/, message: t('users.usernameRule') }]}>
          <Input autoComplete="off" data-testid="user-username" />
        </Form.Item>
        <Form.Item name="display_name" label={t('users.displayName')}><Input maxLength={100} /></Form.Item>
        <Form.Item name="email" label={t('users.email')} rules={[{ type: 'email', message: t('users.emailRule') }]}><Input /></Form.Item>
        <Form.Item name="role" label={t('users.role')} rules={[{ required: true, message: t('common.required') }]}>
          <Select data-testid="user-role" options={grantable.map((r) => ({ value: r, label: tf('role.' + r, r) }))} />
        </Form.Item>
        <Form.Item name="org_id" label={t('users.org')} rules={[{ required: true, message: t('common.required') }]}>
          <Select showSearch filterOption={false} disabled={!role} options={orgs} data-testid="user-org"
            onSearch={(s) => role && void searchOrgs(KIND[role], s)} placeholder={role ? undefined : t('users.pickRoleFirst')} />
        </Form.Item>
        <Form.Item name="password" label={t('users.initialPassword')} extra={t('users.passwordRule')}
          rules={[{ required: true, message: t('common.required') }, { min: 8, message: t('users.passwordRule') }, { max: 128, message: t('users.passwordRule') }]}>
          <Input.Password autoComplete="new-password" data-testid="user-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function ResetPassword({ user, onClose, onDone }: { user?: UserItem; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<{ password: string }>();
  const action = useAction();
  const submit = async () => {
    if (!user) return;
    let v: { password: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const out = await action.run(() => unwrap(api.POST('/api/v1/users/{id}/password', {
      params: { path: { id: user.id }, header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { password: v.password },
    })), t('users.passwordReset'));
    if (out) {
      form.resetFields();
      onDone();
      onClose();
    }
  };
  return (
    <Modal title={t('users.resetPasswordOf', { name: user?.display_name ?? '' })} open={!!user} onCancel={onClose} onOk={submit} confirmLoading={action.busy} destroyOnHidden>
      <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t('users.resetHint')} />
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="vertical" size="small">
        <Form.Item name="password" label={t('users.newPassword')} extra={t('users.passwordRule')}
          rules={[{ required: true, message: t('common.required') }, { min: 8, message: t('users.passwordRule') }, { max: 128, message: t('users.passwordRule') }]}>
          <Input.Password autoComplete="new-password" data-testid="reset-password" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

function ChangeRole({ user, grantable, onClose, onDone }: { user?: UserItem; grantable: Role[]; onClose: () => void; onDone: () => void }) {
  const { t, tf } = useI18n();
  const [role, setRole] = useState<Role>();
  const action = useAction();
  const choices = user ? grantable.filter((r) => KIND[r] === user.org_kind && r !== user.role) : [];
  const submit = async () => {
    if (!user || !role) return;
    const out = await action.run(() => unwrap(api.POST('/api/v1/users/{id}/role', {
      params: { path: { id: user.id }, header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { role },
    })), t('users.roleChanged'));
    if (out) {
      setRole(undefined);
      onDone();
      onClose();
    }
  };
  return (
    <Modal title={t('users.changeRoleOf', { name: user?.display_name ?? '' })} open={!!user} onCancel={onClose} onOk={submit}
      okButtonProps={{ disabled: !role }} confirmLoading={action.busy} destroyOnHidden>
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('users.roleHint')} />
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Select style={{ width: '100%' }} value={role} onChange={setRole} data-testid="new-role"
        options={choices.map((r) => ({ value: r, label: tf('role.' + r, r) }))} />
    </Modal>
  );
}
