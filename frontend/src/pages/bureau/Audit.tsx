import { AutoComplete, Button, DatePicker, Form, Input, Tag, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type AuditEventRow } from '../../api/client';
import { fmtDateTime } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

const ENTITY_TYPES = ['order', 'delivery', 'acceptance', 'payable', 'batch', 'product', 'winning_bid', 'agreed_volume', 'listed_product', 'organization', 'user', 'policy', 'region', 'calendar_day'];
const ACTIONS = ['create', 'confirm', 'decline', 'cancel', 'status_change', 'update_draft'];

interface Filters { entity_type?: string; entity_id?: string; actor_user_id?: string; action?: string; from?: string; to?: string }

function pretty(json?: string | null) {
  if (!json) return '—';
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/** A link to the screen that shows the entity, where there is one. */
function entityLink(type: string, id: string) {
  if (type === 'order') return `/orders/${id}`;
  if (type === 'delivery') return `/deliveries/${id}`;
  return null;
}

export default function Audit() {
  const { t } = useI18n();
  const [form] = Form.useForm();
  const [f, setF] = useState<Filters>({});
  const columns: TableColumnsType<AuditEventRow> = [
    { title: t('field.occurredAt'), dataIndex: 'occurred_at', render: fmtDateTime, width: 140 },
    { title: t('field.entityType'), dataIndex: 'entity_type', render: (v) => <Tag>{v}</Tag> },
    {
      title: t('field.entityId'), dataIndex: 'entity_id',
      render: (v: string, e) => {
        const href = entityLink(e.entity_type, v);
        return <Typography.Text copyable={{ text: v }} style={{ fontFamily: 'monospace', fontSize: 12 }}>{href ? <Link to={href}>{v}</Link> : v}</Typography.Text>;
      },
    },
    { title: t('field.action'), dataIndex: 'action', render: (v) => <Tag color={v === 'create' ? 'blue' : v === 'decline' || v === 'cancel' ? 'red' : 'green'}>{v}</Tag> },
    {
      title: t('field.actor'), dataIndex: 'actor_user_id',
      render: (v, e) => (v ? <span data-testid="audit-actor">{e.actor_name ?? ''} <Typography.Text copyable={{ text: v }} className="jc-muted" style={{ fontFamily: 'monospace', fontSize: 11 }}>{v.slice(0, 8)}…</Typography.Text></span> : '—'),
    },
    { title: 'hash', dataIndex: 'hash', render: (v: string) => <Typography.Text type="secondary" style={{ fontFamily: 'monospace', fontSize: 11 }} title={v}>{v.slice(0, 12)}…</Typography.Text> },
  ];
  const apply = (v: { entity_type?: string; entity_id?: string; actor_user_id?: string; action?: string; range?: [Dayjs | null, Dayjs | null] }) => {
    setF({
      entity_type: v.entity_type?.trim() || undefined,
      entity_id: v.entity_id?.trim() || undefined,
      actor_user_id: v.actor_user_id?.trim() || undefined,
      action: v.action?.trim() || undefined,
      from: v.range?.[0]?.toISOString(),
      to: v.range?.[1]?.toISOString(),
    });
  };
  return (
    <div>
      <PageTitle title={t('audit.title')} />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -6 }}>{t('audit.help')}</Typography.Paragraph>
      <Form form={form} layout="inline" className="jc-filters" onFinish={apply}>
        <Form.Item name="entity_type" label={t('field.entityType')}>
          <AutoComplete allowClear style={{ width: 150 }} options={ENTITY_TYPES.map((v) => ({ value: v }))} filterOption />
        </Form.Item>
        <Form.Item name="entity_id" label={t('field.entityId')}><Input allowClear style={{ width: 240 }} /></Form.Item>
        <Form.Item name="actor_user_id" label={t('field.actor')}><Input allowClear style={{ width: 240 }} /></Form.Item>
        <Form.Item name="action" label={t('field.action')}>
          <AutoComplete allowClear style={{ width: 140 }} options={ACTIONS.map((v) => ({ value: v }))} filterOption />
        </Form.Item>
        <Form.Item name="range" label={t('field.occurredAt')}><DatePicker.RangePicker showTime allowEmpty={[true, true]} /></Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit">{t('common.search')}</Button>{' '}
          <Button onClick={() => { form.resetFields(); setF({}); }}>{t('common.reset')}</Button>
        </Form.Item>
      </Form>
      <ServerTable<AuditEventRow>
        testId="audit-table"
        columns={columns}
        deps={[f]}
        defaultPerPage={50}
        expandable={{
          expandedRowRender: (e) => (
            <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 12 }}>
              <div><b>{t('audit.before')}</b><pre className="jc-json">{pretty(e.before_json)}</pre></div>
              <div><b>{t('audit.after')}</b><pre className="jc-json">{pretty(e.after_json)}</pre></div>
            </div>
          ),
        }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/audit-events', { params: { query: { page, per_page, ...f } } }))}
      />
    </div>
  );
}
