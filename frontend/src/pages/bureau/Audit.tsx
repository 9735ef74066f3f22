import { Button, Collapse, DatePicker, Form, Input, Select, Table, Tag, Typography, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, unwrap, type AuditEventRow } from '../../api/client';
import { fmtDateTime, fmtMoney } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { useI18n, type T, type TF } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

const ENTITY_TYPES = ['order', 'delivery', 'acceptance', 'payable', 'payment', 'payment_batch', 'batch', 'product', 'winning_bid',
  'agreed_volume', 'listed_product', 'organization', 'user', 'policy', 'region', 'calendar_day', 'monthly_settlement',
  'retention_input', 'retention_run', 'tender', 'tender_bid', 'tender_demand', 'credit_case', 'payment_standard', 'publication'];
const ACTIONS = ['create', 'confirm', 'decline', 'cancel', 'status_change', 'invoice', 'dispute', 'resolve_dispute', 'deemed_confirm',
  'overdue', 'prepare', 'approve', 'pay', 'executed', 'publish', 'activate', 'deactivate', 'reset_password', 'change_role', 'unlock'];
/** Amounts the records store in fen (integers); Money fields arrive as "12.34" strings. */
const FEN = new Set(['amount', 'total_amount', 'paid_amount', 'disputed_amount', 'credited_amount', 'interest', 'accepted_amount']);
/** Status words per record type, as the rest of the app shows them. */
const STATUS_WORDS: Record<string, string> = {
  order: 'orderStatus', delivery: 'deliveryStatus', acceptance: 'acceptanceStatus', payable: 'payableStatus', payment_batch: 'batchStatus',
};
/** Bookkeeping fields a reader does not need in a creation's summary (the raw record keeps them). */
const QUIET = /(^|\.)(id|.*_id|created_at|updated_at|created_by|hash|prev_hash)$/;

interface Filters { document_no?: string; actor?: string; entity_type?: string; action?: string; from?: string; to?: string }
interface Change { field: string; before?: unknown; after?: unknown }

function parse(json?: string | null): unknown {
  if (!json) return undefined;
  try { return JSON.parse(json); } catch { return json; }
}

/** A record flattened to dotted fields: `order.status`, `lines[1].quantity`. */
function flatten(v: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (Array.isArray(v)) v.forEach((x, i) => flatten(x, `${prefix}[${i + 1}]`, out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  else if (prefix) out[prefix] = v;
  return out;
}

/** What an event changed: the fields whose values differ, or for a creation its meaningful fields. */
export function changes(e: Pick<AuditEventRow, 'before_json' | 'after_json'>): Change[] {
  const before = flatten(parse(e.before_json));
  const after = flatten(parse(e.after_json));
  if (e.before_json == null) {
    return Object.entries(after).filter(([k, v]) => v != null && v !== '' && !QUIET.test(k)).map(([field, v]) => ({ field, after: v }));
  }
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  // A field absent on one side and empty on the other did not change.
  const same = (a: unknown, b: unknown) => (a ?? '') === (b ?? '') || JSON.stringify(a) === JSON.stringify(b);
  return fields.filter((f) => !same(before[f], after[f])).map((field) => ({ field, before: before[field], after: after[field] }));
}

function fieldName(tf: TF, field: string): string {
  // `lines[1].quantity` reads as "lines[1] 数量"; the last part is the field.
  const dot = field.lastIndexOf('.');
  const last = field.slice(dot + 1);
  const label = tf('auditField.' + last, last);
  return dot < 0 ? label : `${field.slice(0, dot)} ${label}`;
}

function value(t: T, tf: TF, entity: string, field: string, v: unknown): ReactNode {
  if (v === undefined || v === null || v === '') return <span className="jc-muted">—</span>;
  const last = field.slice(field.lastIndexOf('.') + 1);
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  if (FEN.has(last) && typeof v === 'number') return fmtMoney((v / 100).toFixed(2));
  if (FEN.has(last) && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)) return fmtMoney(v);
  if (last === 'unit_price' && typeof v === 'number') return fmtMoney((v / 10000).toFixed(4), 4);
  if ((last === 'status' || last === 'stage') && typeof v === 'string') return tf(`${STATUS_WORDS[entity] ?? 'auditAction'}.${v}`, v);
  return String(v);
}

/** A link to the screen that shows the record, where there is one. */
function recordLink(type: string, id: string) {
  if (type === 'order') return `/orders/${id}`;
  if (type === 'delivery') return `/deliveries/${id}`;
  if (type === 'payable') return `/payables/${id}`;
  return null;
}

export default function Audit() {
  const { t, tf } = useI18n();
  const [params] = useSearchParams();
  const [form] = Form.useForm();
  const [f, setF] = useState<Filters>(() => ({ document_no: params.get('document_no') ?? undefined }));
  const show = (e: AuditEventRow, c: Change, which: 'before' | 'after') => value(t, tf, e.entity_type, c.field, c[which]);

  const columns: TableColumnsType<AuditEventRow> = [
    { title: t('field.occurredAt'), dataIndex: 'occurred_at', render: fmtDateTime, width: 130 },
    {
      title: t('audit.entity'), key: 'entity', width: 250,
      render: (_, e) => {
        const href = recordLink(e.entity_type, e.entity_id);
        const label = e.document_no ?? `${e.entity_id.slice(0, 8)}…`;
        return (
          <span style={{ whiteSpace: 'nowrap' }}>
            <Tag>{tf('auditEntity.' + e.entity_type, e.entity_type)}</Tag>
            <Typography.Text copyable={{ text: e.document_no ?? e.entity_id }} data-testid="audit-document">
              {href ? <Link to={href}>{label}</Link> : label}
            </Typography.Text>
          </span>
        );
      },
    },
    {
      title: t('field.action'), dataIndex: 'action', width: 120,
      render: (v) => <Tag color={v === 'create' ? 'blue' : ['decline', 'cancel', 'dispute', 'overdue', 'deactivate'].includes(v) ? 'red' : 'green'}
        data-testid="audit-action">{tf('auditAction.' + v, v)}</Tag>,
    },
    { title: t('audit.actor'), dataIndex: 'actor_name', width: 200, render: (v) => <span data-testid="audit-actor">{v ?? t('audit.system')}</span> },
    {
      title: t('audit.changes'), key: 'changes',
      render: (_, e) => {
        if (e.before_json == null) return <span className="jc-muted">{t('audit.created')}</span>;
        const cs = changes(e);
        if (cs.length === 0) return <span className="jc-muted">{t('audit.noChange')}</span>;
        return (
          <span data-testid="audit-summary">
            {cs.slice(0, 2).map((c, i) => (
              <span key={c.field}>{i > 0 ? '；' : ''}{fieldName(tf, c.field)}：{show(e, c, 'before')} → {show(e, c, 'after')}</span>
            ))}
            {cs.length > 2 ? <span className="jc-muted"> {t('audit.moreChanges', { n: cs.length - 2 })}</span> : null}
          </span>
        );
      },
    },
  ];

  const apply = (v: { document_no?: string; actor?: string; entity_type?: string; action?: string; range?: [Dayjs | null, Dayjs | null] }) => {
    setF({
      document_no: v.document_no?.trim() || undefined,
      actor: v.actor?.trim() || undefined,
      entity_type: v.entity_type || undefined,
      action: v.action || undefined,
      // Whole days in the browser's time zone, the end day included.
      from: v.range?.[0]?.startOf('day').toISOString(),
      to: v.range?.[1]?.add(1, 'day').startOf('day').toISOString(),
    });
  };
  return (
    <div>
      <PageTitle title={t('audit.title')} />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -6 }}>{t('audit.help')}</Typography.Paragraph>
      <Form form={form} layout="inline" className="jc-filters" onFinish={apply} initialValues={{ document_no: f.document_no }}>
        <Form.Item name="document_no" label={t('audit.documentNo')}>
          <Input allowClear style={{ width: 220 }} placeholder={t('audit.documentNoHint')} data-testid="audit-document-no" />
        </Form.Item>
        <Form.Item name="actor" label={t('audit.actor')}>
          <Input allowClear style={{ width: 150 }} placeholder={t('audit.actorHint')} data-testid="audit-actor-filter" />
        </Form.Item>
        <Form.Item name="entity_type" label={t('field.entityType')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 140 }} placeholder={t('common.all')}
            options={ENTITY_TYPES.map((v) => ({ value: v, label: tf('auditEntity.' + v, v) }))} />
        </Form.Item>
        <Form.Item name="action" label={t('field.action')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 140 }} placeholder={t('common.all')}
            options={ACTIONS.map((v) => ({ value: v, label: tf('auditAction.' + v, v) }))} data-testid="audit-action-filter" />
        </Form.Item>
        <Form.Item name="range" label={t('field.occurredAt')}><DatePicker.RangePicker allowEmpty={[true, true]} /></Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" data-testid="audit-search">{t('common.search')}</Button>{' '}
          <Button onClick={() => { form.resetFields(); form.setFieldsValue({ document_no: undefined }); setF({}); }}>{t('common.reset')}</Button>
        </Form.Item>
      </Form>
      <ServerTable<AuditEventRow>
        testId="audit-table"
        columns={columns}
        deps={[f]}
        defaultPerPage={50}
        expandable={{
          expandedRowRender: (e) => {
            const cs = changes(e);
            const created = e.before_json == null;
            return (
              <div data-testid="audit-diff">
                <Table<Change> size="small" pagination={false} rowKey="field" dataSource={cs}
                  locale={{ emptyText: t('audit.noChange') }}
                  columns={[
                    { title: t('audit.field'), dataIndex: 'field', width: 220, render: (v: string) => fieldName(tf, v) },
                    ...(created ? [] : [{ title: t('audit.before'), key: 'b', render: (_: unknown, c: Change) => show(e, c, 'before') }]),
                    { title: created ? t('audit.created') : t('audit.after'), key: 'a', render: (_: unknown, c: Change) => show(e, c, 'after') },
                  ]} />
                <Collapse ghost size="small" items={[{
                  key: 'raw', label: t('audit.raw'),
                  children: (
                    <div style={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: 12 }}>
                      <div><b>{t('audit.before')}</b><pre className="jc-json">{e.before_json ? JSON.stringify(parse(e.before_json), null, 2) : '—'}</pre></div>
                      <div><b>{t('audit.after')}</b><pre className="jc-json">{e.after_json ? JSON.stringify(parse(e.after_json), null, 2) : '—'}</pre>
                        <span className="jc-muted">hash {e.hash.slice(0, 16)}…</span></div>
                    </div>
                  ),
                }]} />
              </div>
            );
          },
        }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/audit-events', { params: { query: { page, per_page, ...f } } }))}
      />
    </div>
  );
}
