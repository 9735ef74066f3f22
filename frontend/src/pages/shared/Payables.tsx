import { DownloadOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Col, DatePicker, Form, Row, Select, Space, Statistic, type TableColumnsType } from 'antd';
import type { SortOrder } from 'antd/es/table/interface';
import dayjs from 'dayjs';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { api, unwrap, type PayableView } from '../../api/client';
import { downloadFile } from '../../api/download';
import { useMe } from '../../auth';
import { ErrorAlert, useErrorText } from '../../components/errors';
import { useAsync } from '../../components/hooks';
import { fmtMoney } from '../../components/format';
import { useOrgs } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { Countdown, DelayTags, PAYABLE_STATUSES, PayableItems, PayableStatusTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

const SORTS = ['urgency', 'due_date', 'due_date_desc', 'acceptance_date', 'acceptance_date_desc', 'amount', 'amount_desc'] as const;
type Sort = (typeof SORTS)[number];

/** Sort column ↔ the API's `sort` values. */
const SORT_FIELDS: Record<string, [Sort, Sort]> = {
  due_date: ['due_date', 'due_date_desc'],
  acceptance_date: ['acceptance_date', 'acceptance_date_desc'],
  amount: ['amount', 'amount_desc'],
};

/**
 * Payables, each with its countdown to the due date. For a supplier this is the payment-status
 * page; a hospital sees what is paid on its behalf; the fund and the bureau their region's.
 */
export default function Payables() {
  const { t, tf, lang } = useI18n();
  const me = useMe();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const [params, setParams] = useSearchParams();
  const [exporting, setExporting] = useState(false);
  const isSupplier = me.role === 'supplier';
  const isHospital = me.role === 'hospital_buyer';
  const f = {
    status: params.get('status') ?? undefined,
    hospital_id: params.get('hospital_id') ?? undefined,
    supplier_id: params.get('supplier_id') ?? undefined,
    due_from: params.get('due_from') ?? undefined,
    due_to: params.get('due_to') ?? undefined,
    // Overdue first, then due soonest, paid last: what a payee looks at first.
    sort: (params.get('sort') ?? 'urgency') as Sort,
  };
  const set = (patch: Record<string, string | undefined | null>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) { if (v) p.set(k, v); else p.delete(k); }
    setParams(p, { replace: true });
  };
  // Counterparty filters: a hospital filters by supplier, a supplier by hospital (its customers:
  // the API lists the hospitals that ordered from it), the fund and the bureau by both.
  const hospitals = useOrgs('hospital');
  const suppliers = useOrgs('enterprise');
  const sorted = (field: string): SortOrder => {
    const [asc, desc] = SORT_FIELDS[field];
    return f.sort === asc ? 'ascend' : f.sort === desc ? 'descend' : null;
  };
  const query = (page: number, per_page: number) => ({ page, per_page, ...f });

  const columns: TableColumnsType<PayableView> = [
    { title: t('field.payableNo'), dataIndex: 'payable_no', render: (v, p) => <Link to={`/payables/${p.id}`} data-testid="payable-link" style={{ whiteSpace: 'nowrap' }}>{v}</Link> },
    { title: t('field.status'), dataIndex: 'status', render: (s) => <span data-testid="payable-status"><PayableStatusTag status={s} /></span> },
    { title: t('payable.countdown'), dataIndex: 'days_remaining', render: (d, p) => <span data-testid="countdown"><Countdown days={d} stage={p.stage} paidOn={p.paid_on} /></span> },
    { title: t('field.dueDate'), dataIndex: 'due_date', key: 'due_date', sorter: true, sortOrder: sorted('due_date'), render: (v) => <b data-testid="due-date">{v}</b> },
    { title: t('field.acceptanceDate'), dataIndex: 'acceptance_date', key: 'acceptance_date', sorter: true, sortOrder: sorted('acceptance_date') },
    { title: t('payable.items'), key: 'items', render: (_, p) => <span data-testid="payable-items"><PayableItems items={p.items} compact /></span> },
    { title: t('field.amount'), dataIndex: 'amount', key: 'amount', className: 'jc-num', sorter: true, sortOrder: sorted('amount'), render: (v) => <span data-testid="amount">{fmtMoney(v)}</span> },
    { title: t('field.outstanding'), dataIndex: 'outstanding', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('payable.overdueDays'), key: 'delay', render: (_, p) => <DelayTags delay={p.delay} /> },
    { title: t('payable.batch'), key: 'batch', render: (_, p) => (p.batch
      ? <span data-testid="list-batch" style={{ whiteSpace: 'nowrap' }}>{p.batch.batch_no}<br /><span className="jc-muted">{p.batch.approved_on ? t('payable.batchApproved', { date: p.batch.approved_on }) : p.batch.prepared_on ? t('payable.batchPrepared', { date: p.batch.prepared_on }) : ''}</span></span>
      : '—') },
    { title: t('payable.bankReference'), dataIndex: 'bank_reference', render: (v) => <span data-testid="list-bank-reference">{v ?? '—'}</span> },
    ...(isHospital ? [] : [{ title: t('field.hospital'), key: 'h', render: (_: unknown, p: PayableView) => <span style={{ whiteSpace: 'nowrap' }}>{p.hospital.name}</span> }]),
    ...(isSupplier ? [] : [{ title: t('field.supplier'), key: 's', render: (_: unknown, p: PayableView) => <span style={{ whiteSpace: 'nowrap' }}>{p.supplier.name}</span> }]),
    { title: t('field.orderNo'), dataIndex: 'order_no', render: (v, p) => <Link to={`/orders/${p.order_id}`} data-testid="payable-order" style={{ whiteSpace: 'nowrap' }}>{v}</Link> },
    { title: t('field.deliveryNo'), dataIndex: 'delivery_no', render: (v, p) => <Link to={`/deliveries/${p.delivery_id}`} style={{ whiteSpace: 'nowrap' }}>{v}</Link> },
    {
      title: t('common.actions'), key: 'act', fixed: 'right',
      render: (_, p) => {
        // What the caller can do next on this payable opens its page.
        const next = isSupplier && p.stage === 'awaiting_invoice' ? 'payable.invoiceAction'
          : isHospital && p.stage === 'awaiting_hospital_confirmation' ? 'payable.reviewAction' : null;
        return next
          ? <Link to={`/payables/${p.id}`}><Button size="small" type="primary" data-testid="payable-next">{t(next)}</Button></Link>
          : <Link to={`/payables/${p.id}`}>{t('common.detail')}</Link>;
      },
    },
  ];

  // The server writes the export (every matching row, with the overdue attribution and the
  // bank reference), as CSV or XLSX.
  const exportAs = async (format: 'csv' | 'xlsx') => {
    setExporting(true);
    try {
      await downloadFile('/api/v1/payables/export', { ...f, format, lang }, `payables.${format}`);
      message.success(t('payable.exportedFile'));
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const title = isSupplier ? t('payable.paymentStatus') : me.role === 'fund_officer' ? t('menu.regionPayables') : t('payable.title');
  return (
    <div>
      <PageTitle title={title} extra={<Space>
        <Button icon={<DownloadOutlined />} loading={exporting} onClick={() => exportAs('csv')} data-testid="export-csv">{t('common.downloadCsv')}</Button>
        <Button icon={<DownloadOutlined />} loading={exporting} onClick={() => exportAs('xlsx')} data-testid="export-xlsx">{t('common.downloadXlsx')}</Button>
      </Space>} />
      <Alert type="info" showIcon title={t('payable.paymentHelp')} style={{ marginBottom: 12 }} />
      <Totals onPick={(patch) => set(patch)} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.status')}>
          <Select allowClear style={{ width: 170 }} value={f.status} placeholder={t('common.all')} onChange={(v) => set({ status: v })} data-testid="filter-status"
            options={PAYABLE_STATUSES.map((s) => ({ value: s, label: tf('payableStatus.' + s, s) }))} />
        </Form.Item>
        {!isHospital ? (
          <Form.Item label={t('field.hospital')}>
            <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={f.hospital_id} placeholder={t('common.all')} loading={hospitals.loading}
              onChange={(v) => set({ hospital_id: v })} options={(hospitals.data ?? []).map((o) => ({ value: o.id, label: o.name }))} data-testid="filter-hospital" />
          </Form.Item>
        ) : null}
        {!isSupplier ? (
          <Form.Item label={t('field.supplier')}>
            <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={f.supplier_id} placeholder={t('common.all')} loading={suppliers.loading}
              onChange={(v) => set({ supplier_id: v })} options={(suppliers.data ?? []).map((o) => ({ value: o.id, label: o.name }))} data-testid="filter-supplier" />
          </Form.Item>
        ) : null}
        <Form.Item label={t('field.dueRange')}>
          <DatePicker.RangePicker allowEmpty={[true, true]}
            value={[f.due_from ? dayjs(f.due_from) : null, f.due_to ? dayjs(f.due_to) : null]}
            onChange={(_, s) => set({ due_from: s?.[0], due_to: s?.[1] })} />
        </Form.Item>
        <Form.Item label={t('field.sort')}>
          <Select style={{ width: 200 }} value={f.sort} onChange={(v) => set({ sort: v })} data-testid="sort"
            options={SORTS.map((s) => ({ value: s, label: t(`payable.sort.${s}`) }))} />
        </Form.Item>
        <Form.Item>
          <Button onClick={() => setParams(new URLSearchParams(), { replace: true })}>{t('common.reset')}</Button>
        </Form.Item>
      </Form>
      <ServerTable<PayableView>
        testId="payables-table"
        columns={columns}
        deps={[f.status, f.hospital_id, f.supplier_id, f.due_from, f.due_to, f.sort]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/payables', { params: { query: query(page, per_page) } }))}
        locale={{ emptyText: <div style={{ padding: 16 }} data-testid="payables-empty">{
          isSupplier && me.organization.is_manufacturer && !me.organization.is_distributor ? t('payable.empty.manufacturer')
            : f.status || f.hospital_id || f.supplier_id || f.due_from || f.due_to ? t('payable.empty.filtered')
              : t('payable.empty.supplier')
        }</div> }}
        onChange={(_, __, sorter) => {
          const s = Array.isArray(sorter) ? sorter[0] : sorter;
          const field = String(s?.columnKey ?? '');
          if (!SORT_FIELDS[field]) return;
          if (!s.order) set({ sort: undefined });
          else set({ sort: SORT_FIELDS[field][s.order === 'ascend' ? 0 : 1] });
        }}
      />
    </div>
  );
}

/** The four figures a payee looks for first; each opens the list filtered to it. */
function Totals({ onPick }: { onPick: (patch: Record<string, string | undefined>) => void }) {
  const { t } = useI18n();
  const totals = useAsync(() => unwrap(api.GET('/api/v1/payables/totals')), []);
  if (totals.error) return <ErrorAlert error={totals.error} onRetry={totals.reload} />;
  const d = totals.data;
  const in7 = d ? dayjs(d.as_of).add(7, 'day').format('YYYY-MM-DD') : undefined;
  const cards: { key: string; label: string; figure?: { count: number; amount: string }; color?: string; patch: Record<string, string | undefined> }[] = [
    { key: 'outstanding', label: t('payable.totals.outstanding'), figure: d?.outstanding, patch: { status: undefined, due_from: undefined, due_to: undefined, sort: 'urgency' } },
    { key: 'overdue', label: t('payable.totals.overdue'), figure: d?.overdue, color: '#cf1322', patch: { status: 'overdue', due_from: undefined, due_to: undefined } },
    { key: 'due-soon', label: t('payable.totals.dueSoon'), figure: d?.due_within_7_days, color: '#d46b08', patch: { status: undefined, due_from: d?.as_of, due_to: in7, sort: 'due_date' } },
    { key: 'paid-month', label: t('payable.totals.paidThisMonth'), figure: d?.paid_this_month, color: '#389e0d', patch: { status: 'paid', due_from: undefined, due_to: undefined, sort: 'due_date_desc' } },
  ];
  return (
    <Row gutter={12} style={{ marginBottom: 12 }} data-testid="payable-totals">
      {cards.map((c) => (
        <Col span={6} key={c.key}>
          <Card size="small" hoverable loading={totals.loading} onClick={() => onPick(c.patch)} data-testid={`total-${c.key}`}>
            <Statistic title={c.label} value={c.figure ? fmtMoney(c.figure.amount) : '—'} valueStyle={{ color: c.color, fontSize: 20 }} />
            <span className="jc-muted" data-testid={`total-${c.key}-count`}>
              {c.figure ? t('payable.totals.count', { n: c.figure.count }) : ''}{d ? ` · ${t('payable.totals.asOf', { date: d.as_of })}` : ''}
            </span>
          </Card>
        </Col>
      ))}
    </Row>
  );
}
