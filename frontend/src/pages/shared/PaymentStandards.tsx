import { CalculatorOutlined, CheckOutlined, DownloadOutlined } from '@ant-design/icons';
import {
  Alert, App, Button, DatePicker, Descriptions, Drawer, Form, Input, InputNumber, Modal, Popconfirm, Select, Space, Tag,
  type TableColumnsType,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, newIdempotencyKey, unwrap } from '../../api/client';
import { downloadFile } from '../../api/download';
import { serverToday } from '../../api/session';
import type { StandardDetail, StandardView } from '../../api/standards';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtMoney, fmtUnitPrice } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { ServerTable } from '../../components/ServerTable';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

const STATUS_COLOR: Record<string, string> = { draft: 'orange', published: 'green', superseded: 'default' };
const BRANCH_COLOR: Record<string, string> = {
  winning: 'blue', below_winning: 'cyan', within_2x: 'geekblue', above_2x_glide: 'volcano', not_passed: 'red', fujian_70: 'purple', heilongjiang: 'gold',
};

export function BranchTag({ s }: { s: Pick<StandardView, 'branch' | 'glide_year'> }) {
  const { t, tf } = useI18n();
  return (
    <Tag color={BRANCH_COLOR[s.branch] ?? 'default'} data-testid="branch" data-branch={s.branch}>
      {tf('standards.branch.' + s.branch, s.branch)}{s.glide_year ? ` · ${t('standards.glideYear', { n: s.glide_year })}` : ''}
    </Tag>
  );
}

const pct = (share: string) => `${(Number(share) * 100).toFixed(0)}%`;

/** One standard: its figures, the explanation line by line, and what a patient pays for a quantity. */
function StandardDrawer({ id, onClose }: { id?: string; onClose: () => void }) {
  const { t, tf, lang } = useI18n();
  const [quantity, setQuantity] = useState<number | null>(null);
  const detail = useAsync<StandardDetail | undefined>(
    () => (id ? unwrap(api.GET('/api/v1/payment-standards/{id}', { params: { path: { id }, query: { quantity: quantity ?? undefined } } })) : Promise.resolve(undefined)),
    [id, quantity],
  );
  const d = detail.data;
  const s = d?.standard;
  const inputs = (d?.inputs ?? {}) as { cycle_year?: number; cycle_start?: string };
  return (
    <Drawer title={t('standards.detailTitle')} open={!!id} onClose={() => { setQuantity(null); onClose(); }} size={640} destroyOnHidden>
      {detail.error ? <ErrorAlert error={detail.error} onRetry={detail.reload} /> : null}
      {s && d ? (
        <div data-testid="standard-detail">
          <Descriptions size="small" bordered column={2} items={[
            { key: 'g', label: t('field.genericName'), children: <b>{s.product.generic_name}</b>, span: 2 },
            { key: 'p', label: t('standards.product'), children: `${s.product.code} · ${s.product.specification}×${s.product.pack_size}${s.product.min_unit}`, span: 2 },
            { key: 'e', label: t('field.enterprise'), children: s.enterprise_name, span: 2 },
            { key: 'c', label: t('standards.consistency'), children: s.consistency ? tf('standards.consistency.' + s.consistency, s.consistency) : '—' },
            { key: 'b', label: t('standards.branch'), children: <BranchTag s={s} /> },
            { key: 'pp', label: t('standards.productPrice'), children: fmtUnitPrice(s.product_price) },
            { key: 'w', label: t('standards.winningPrice'), children: fmtUnitPrice(s.winning_price) },
            { key: 's', label: t('standards.standard'), children: <b data-testid="detail-standard">{fmtUnitPrice(s.standard)}</b> },
            { key: 'x', label: t('standards.excess'), children: fmtUnitPrice(s.excess_per_unit) },
            { key: 'f', label: t('standards.fundShare'), children: pct(s.fund_share) },
            { key: 'v', label: t('standards.variant'), children: tf('standards.variant.' + s.variant, s.variant) },
            { key: 'ef', label: t('standards.effectiveFrom'), children: `${s.effective_from} · ${t('standards.version')} ${s.version}` },
            { key: 'cy', label: t('standards.cycleYear'), children: inputs.cycle_year ? `${inputs.cycle_year}（${inputs.cycle_start}）` : '—' },
            { key: 'po', label: t('standards.policy'), children: <span className="jc-muted" style={{ fontSize: 11 }}>{s.policy_id}</span>, span: 2 },
          ]} />
          <h4 style={{ marginTop: 16 }}>{t('standards.explain')}</h4>
          <ol data-testid="explanation">
            {d.explanation.map((l) => <li key={l.step} data-step={l.step}>{lang === 'zh' ? l.zh : l.en}</li>)}
          </ol>
          <h4>{t('standards.patientTitle')}</h4>
          <Space style={{ marginBottom: 8 }}>
            {t('standards.quantity')}
            <InputNumber min={1} max={10_000_000} precision={0} value={quantity ?? d.patient.quantity} onChange={(v) => setQuantity(v)} data-testid="patient-quantity" />
            {s.product.min_unit}
          </Space>
          <Descriptions size="small" bordered column={2} data-testid="patient-share" items={[
            { key: 't', label: t('standards.total'), children: fmtMoney(d.patient.total) },
            { key: 'w', label: t('standards.withinStandard'), children: fmtMoney(d.patient.within_standard) },
            { key: 'c', label: t('standards.copay'), children: fmtMoney(d.patient.copay) },
            { key: 'e', label: t('standards.excessAmount'), children: fmtMoney(d.patient.excess) },
            { key: 'p', label: t('standards.patientPays'), children: <b data-testid="patient-pays">{fmtMoney(d.patient.patient_pays)}</b> },
            { key: 'f', label: t('standards.fundPays'), children: fmtMoney(d.patient.fund_pays) },
          ]} />
        </div>
      ) : null}
    </Drawer>
  );
}

interface ComputeForm { effective_from: Dayjs; variant?: string; generic_name?: string }

/** The bureau's compute form: effective date, rule variant, optionally one generic; shows the drafts. */
function ComputeModal({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: (effective: string) => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<ComputeForm>();
  const action = useAction();
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const effective = v.effective_from.format('YYYY-MM-DD');
    const body = { effective_from: effective, variant: v.variant ?? null, generic_name: v.generic_name?.trim() || null };
    const out = await action.run(() => unwrap(api.POST('/api/v1/payment-standards/compute', {
      params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body,
    })));
    if (out) {
      onDone(effective);
      onClose();
    }
  };
  return (
    <Modal title={t('standards.compute')} open={open} onCancel={onClose} onOk={submit} confirmLoading={action.busy} destroyOnHidden
      okButtonProps={{ 'data-testid': 'compute-submit' } as never}>
      <Alert type="info" showIcon title={t('standards.computeHint')} style={{ marginBottom: 12 }} />
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="vertical" initialValues={{ effective_from: dayjs(serverToday()) }}>
        <Form.Item name="effective_from" label={t('standards.effectiveFrom')} rules={[{ required: true }]}>
          <DatePicker data-testid="compute-effective" />
        </Form.Item>
        <Form.Item name="variant" label={t('standards.variant')}>
          <Select allowClear placeholder={t('standards.defaultVariant')} data-testid="compute-variant"
            options={['national', 'fujian', 'heilongjiang'].map((v) => ({ value: v, label: t(('standards.variant.' + v) as never) }))} />
        </Form.Item>
        <Form.Item name="generic_name" label={t('standards.genericOptional')}><Input data-testid="compute-generic" /></Form.Item>
      </Form>
    </Modal>
  );
}

export default function PaymentStandards() {
  const { t, tf } = useI18n();
  const me = useMe();
  const bureau = me.role === 'bureau_officer';
  const [q, setQ] = useState('');
  const [status, setStatus] = useState<string | undefined>();
  const [effective, setEffective] = useState<string | undefined>();
  const [inForce, setInForce] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  const [computeOpen, setComputeOpen] = useState(false);
  const [shown, setShown] = useState<string>();
  const action = useAction();
  const { message } = App.useApp();
  const query = { q: q || undefined, status: status as never, effective_from: effective, in_force_on: inForce };
  const reload = () => setTick((n) => n + 1);

  const publishOne = async (s: StandardView) => {
    const r = await action.run(() => unwrap(api.POST('/api/v1/payment-standards/{id}/publish', { params: { path: { id: s.id } } })), t('standards.published', { n: 1 }));
    if (r) reload();
  };
  const publishAll = async () => {
    if (!effective) return;
    const r = await action.run(() => unwrap(api.POST('/api/v1/payment-standards/publish', { body: { effective_from: effective } })));
    if (r) {
      message.success(t('standards.published', { n: r.length }));
      reload();
    }
  };
  const exportAs = (format: 'csv' | 'xlsx') => action.run(() =>
    downloadFile('/api/v1/payment-standards/export', { format, ...query, status: status ?? undefined }, `payment-standards.${format}`));

  const columns: TableColumnsType<StandardView> = [
    {
      title: t('field.genericName'), key: 'product', fixed: 'left',
      render: (_, s) => <div><b>{s.product.generic_name}</b> {s.product.specification}×{s.product.pack_size}{s.product.min_unit}<div className="jc-muted">{s.product.code}</div></div>,
    },
    { title: t('field.enterprise'), dataIndex: 'enterprise_name' },
    {
      title: t('standards.source'), key: 'source',
      render: (_, s) => <div>{tf('standards.source.' + s.source, s.source)}<div className="jc-muted">{s.consistency ? tf('standards.consistency.' + s.consistency, s.consistency) : ''}</div></div>,
    },
    { title: t('standards.effectiveFrom'), key: 'eff', render: (_, s) => <div>{s.effective_from}<div className="jc-muted">{t('standards.version')} {s.version}</div></div> },
    { title: t('standards.status'), dataIndex: 'status', render: (v: string) => <Tag color={STATUS_COLOR[v]} data-testid="standard-status" data-status={v}>{tf('standards.status.' + v, v)}</Tag> },
    { title: t('standards.branch'), key: 'branch', render: (_, s) => <BranchTag s={s} /> },
    { title: t('standards.productPrice'), dataIndex: 'product_price', className: 'jc-num', render: fmtUnitPrice },
    { title: t('standards.winningPrice'), dataIndex: 'winning_price', className: 'jc-num', render: fmtUnitPrice },
    { title: t('standards.standard'), dataIndex: 'standard', className: 'jc-num', render: (v: string) => <b data-testid="standard-value">{fmtUnitPrice(v)}</b> },
    { title: t('standards.excess'), dataIndex: 'excess_per_unit', className: 'jc-num', render: fmtUnitPrice },
    {
      title: t('common.actions'), key: 'act', fixed: 'right',
      render: (_, s) => (
        <Space>
          <Button size="small" onClick={() => setShown(s.id)} data-testid="standard-explain">{t('standards.explain')}</Button>
          {bureau && s.status === 'draft' ? (
            <Popconfirm title={t('standards.publishConfirm')} onConfirm={() => publishOne(s)}>
              <Button size="small" type="primary" icon={<CheckOutlined />} data-testid="standard-publish">{t('standards.publish')}</Button>
            </Popconfirm>
          ) : null}
        </Space>
      ),
    },
  ];

  return (
    <div>
      <PageTitle title={t('standards.title')} extra={
        <Space wrap>
          {bureau ? <Button type="primary" icon={<CalculatorOutlined />} onClick={() => setComputeOpen(true)} data-testid="standards-compute">{t('standards.compute')}</Button> : null}
          <Button icon={<DownloadOutlined />} onClick={() => exportAs('csv')} data-testid="standards-export-csv">{t('standards.exportCsv')}</Button>
          <Button icon={<DownloadOutlined />} onClick={() => exportAs('xlsx')} data-testid="standards-export-xlsx">{t('standards.exportXlsx')}</Button>
        </Space>
      } />
      <Alert type="info" showIcon title={t('standards.hint')} style={{ marginBottom: 8 }} />
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Space wrap style={{ marginBottom: 8 }}>
        <Input.Search allowClear placeholder={t('standards.search')} onSearch={setQ} style={{ width: 240 }} data-testid="standards-search" />
        <Select allowClear placeholder={t('standards.status')} style={{ width: 140 }} value={status} onChange={setStatus} data-testid="standards-status"
          options={['draft', 'published', 'superseded'].map((s) => ({ value: s, label: t(('standards.status.' + s) as never) }))} />
        <DatePicker placeholder={t('standards.effectiveFrom')} value={effective ? dayjs(effective) : null}
          onChange={(d) => setEffective(d ? d.format('YYYY-MM-DD') : undefined)} data-testid="standards-effective" />
        <DatePicker placeholder={t('standards.inForceOn')} value={inForce ? dayjs(inForce) : null}
          onChange={(d) => setInForce(d ? d.format('YYYY-MM-DD') : undefined)} data-testid="standards-in-force" />
        {bureau && effective ? (
          <Popconfirm title={t('standards.publishAllConfirm', { date: effective })} onConfirm={publishAll}>
            <Button icon={<CheckOutlined />} loading={action.busy} data-testid="standards-publish-all">{t('standards.publishAll')}</Button>
          </Popconfirm>
        ) : null}
      </Space>
      <ServerTable<StandardView> testId="standards-table" columns={columns} deps={[q, status, effective, inForce, tick]} locale={{ emptyText: t('standards.none') }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/payment-standards', { params: { query: { page, per_page, ...query } } }))} />
      <ComputeModal open={computeOpen} onClose={() => setComputeOpen(false)} onDone={(d) => { setEffective(d); setStatus(undefined); setInForce(undefined); reload(); }} />
      <StandardDrawer id={shown} onClose={() => setShown(undefined)} />
    </div>
  );
}

