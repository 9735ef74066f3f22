import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { Button, DatePicker, Form, Input, Modal, Select, Space, Tag, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { api, newIdempotencyKey, unwrap, type Body, type Ok } from '../../api/client';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime, fmtUnitPrice } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { moneyPattern } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

export type TenderView = Ok<'/api/v1/tenders/{id}', 'get'>;
type NewTender = Body<'/api/v1/tenders', 'post'>;

export const TENDER_STATUSES = ['draft', 'demand_reporting', 'published', 'bidding', 'opened', 'proposed', 'final', 'regions_allocated', 'in_force'] as const;
const STATUS_COLOR: Record<string, string> = {
  draft: 'default', demand_reporting: 'cyan', published: 'geekblue', bidding: 'blue', opened: 'purple',
  proposed: 'orange', final: 'gold', regions_allocated: 'lime', in_force: 'green',
};

export function TenderStatusTag({ status }: { status: string }) {
  const { tf } = useI18n();
  return <Tag color={STATUS_COLOR[status] ?? 'default'} data-testid="tender-status" data-status={status}>{tf('tender.status.' + status, status)}</Tag>;
}

interface GenericForm { generic_name: string; dosage_form: string; rep_strength: string; strength_unit: string; min_unit: string; max_price: string }
interface TenderForm {
  name: string; document_no: string; level: NewTender['level']; cycle: [Dayjs, Dayjs];
  demand_closes_at: Dayjs; bid_deadline: Dayjs; opening_at: Dayjs;
  cap_table?: string; rule_set?: string; ratio_table?: string; region_codes?: string; generics: GenericForm[];
}

/** The bureau's new-tender form: the procurement document's essentials, rules by name from the policy. */
function NewTenderModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t, tf } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<TenderForm>();
  const action = useAction();
  const policies = useAsync(() => unwrap(api.GET('/api/v1/policies')), []);
  const policy = (policies.data ?? []).filter((p) => p.kind === 'tender').sort((a, b) => b.effective_from.localeCompare(a.effective_from))[0];
  const params = policy ? JSON.parse(policy.params) as { cap_tables: { name: string; caps: number[] }[]; rule_sets: { name: string }[]; ratio_tables: { name: string }[] } : undefined;
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const body: NewTender = {
      name: v.name.trim(), document_no: v.document_no.trim(), category: 'drug', level: v.level,
      cycle_start: v.cycle[0].format('YYYY-MM-DD'), cycle_end: v.cycle[1].format('YYYY-MM-DD'),
      demand_closes_at: v.demand_closes_at.toISOString(), bid_deadline: v.bid_deadline.toISOString(), opening_at: v.opening_at.toISOString(),
      cap_table: v.cap_table ?? null, rule_set: v.rule_set ?? null, ratio_table: v.ratio_table ?? null,
      supply_region_codes: (v.region_codes ?? '').split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean),
      generics: v.generics.map((g) => ({ ...g, generic_name: g.generic_name.trim(), rep_fill_volume: null })),
    };
    const created = await action.run(() => unwrap(api.POST('/api/v1/tenders', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body })), t('common.saved'));
    if (created) {
      onClose();
      navigate(`/tenders/${created.id}`);
    }
  };
  const names = (xs?: { name: string }[]) => (xs ?? []).map((x) => ({ value: x.name, label: tf('tender.preset.' + x.name, x.name) }));
  return (
    <Modal title={t('tender.create')} open={open} onCancel={onClose} onOk={submit} confirmLoading={action.busy} width={820} destroyOnHidden
      okButtonProps={{ 'data-testid': 'tender-submit' } as never}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="vertical" initialValues={{ level: 'provincial', generics: [{ dosage_form: '片剂', strength_unit: 'mg', min_unit: '片' }] }}>
        <Space wrap>
          <Form.Item name="name" label={t('tender.name')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 360 }} placeholder="广东省药品集中带量采购 第一批" data-testid="tender-name" /></Form.Item>
          <Form.Item name="document_no" label={t('field.documentNo')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 180 }} placeholder="GD-YP2027-1" data-testid="tender-doc" /></Form.Item>
          <Form.Item name="level" label={t('field.level')}><Select style={{ width: 140 }} options={['national', 'provincial', 'alliance'].map((v) => ({ value: v, label: t(('level.' + v) as never) }))} /></Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="cycle" label={t('field.cycle')} rules={[{ required: true }]}><DatePicker.RangePicker data-testid="tender-cycle" /></Form.Item>
          <Form.Item name="demand_closes_at" label={t('tender.demandClosesAt')} rules={[{ required: true }]}><DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="tender-demand-close" /></Form.Item>
          <Form.Item name="bid_deadline" label={t('tender.bidDeadline')} rules={[{ required: true }]}><DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="tender-deadline" /></Form.Item>
          <Form.Item name="opening_at" label={t('tender.openingAt')} rules={[{ required: true }]}><DatePicker showTime={{ format: 'HH:mm' }} format="YYYY-MM-DD HH:mm" data-testid="tender-opening" /></Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="cap_table" label={t('tender.capTable')}><Select allowClear style={{ width: 200 }} options={names(params?.cap_tables)} placeholder={params ? tf('tender.preset.' + params.cap_tables[0]?.name, params.cap_tables[0]?.name) : undefined} /></Form.Item>
          <Form.Item name="rule_set" label={t('tender.ruleSet')}><Select allowClear style={{ width: 360 }} options={names(params?.rule_sets)} placeholder={params ? tf('tender.preset.' + params.rule_sets[0]?.name, params.rule_sets[0]?.name) : undefined} data-testid="tender-rule-set" /></Form.Item>
          <Form.Item name="ratio_table" label={t('tender.ratioTable')}><Select allowClear style={{ width: 360 }} options={names(params?.ratio_tables)} placeholder={params ? tf('tender.preset.' + params.ratio_tables[0]?.name, params.ratio_tables[0]?.name) : undefined} /></Form.Item>
        </Space>
        <Form.Item name="region_codes" label={t('tender.regionCodes')} extra={t('tender.regionCodesHelp')}><Input style={{ width: 360 }} placeholder="440300" /></Form.Item>
        <Form.List name="generics">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="baseline" wrap>
                  <Form.Item name={[f.name, 'generic_name']} label={t('tender.generic')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 160 }} data-testid="generic-name" /></Form.Item>
                  <Form.Item name={[f.name, 'dosage_form']} label={t('tender.dosageForm')} rules={[{ required: true }]}><Input style={{ width: 80 }} /></Form.Item>
                  <Form.Item name={[f.name, 'rep_strength']} label={t('tender.strength')} rules={[{ required: true, pattern: /^\d+(\.\d{1,4})?$/, message: t('error.invalid_decimal') }]}><Input style={{ width: 80 }} data-testid="generic-strength" /></Form.Item>
                  <Form.Item name={[f.name, 'strength_unit']} label={t('tender.strengthUnit')} rules={[{ required: true }]}><Input style={{ width: 60 }} /></Form.Item>
                  <Form.Item name={[f.name, 'min_unit']} label={t('tender.minUnit')} rules={[{ required: true }]}><Input style={{ width: 60 }} /></Form.Item>
                  <Form.Item name={[f.name, 'max_price']} label={t('tender.maxPrice')} rules={[{ required: true, pattern: moneyPattern(4), message: t('error.invalid_decimal') }]}><Input style={{ width: 120 }} data-testid="generic-max-price" /></Form.Item>
                  {fields.length > 1 ? <MinusCircleOutlined onClick={() => remove(f.name)} /> : null}
                </Space>
              ))}
              <Button type="dashed" onClick={() => add({ dosage_form: '片剂', strength_unit: 'mg', min_unit: '片' })} icon={<PlusOutlined />}>{t('tender.addGeneric')}</Button>
            </>
          )}
        </Form.List>
      </Form>
    </Modal>
  );
}

export default function Tenders() {
  const { t } = useI18n();
  const me = useMe();
  const [status, setStatus] = useState<string | undefined>();
  const [open, setOpen] = useState(false);
  const columns: TableColumnsType<TenderView> = [
    { title: t('tender.no'), dataIndex: 'tender_no', render: (v, r) => <Link to={`/tenders/${r.id}`} data-testid="tender-link">{v}</Link> },
    { title: t('tender.name'), dataIndex: 'name', render: (v) => <b>{v}</b> },
    { title: t('tender.status'), dataIndex: 'status', render: (s: string) => <TenderStatusTag status={s} /> },
    { title: t('tender.generics'), key: 'generics', render: (_, r) => r.generics.map((g) => `${g.generic_name}（≤${fmtUnitPrice(g.max_price)}）`).join('；') },
    { title: t('tender.bidDeadline'), dataIndex: 'bid_deadline', render: fmtDateTime },
    { title: t('tender.openingAt'), dataIndex: 'opening_at', render: fmtDateTime },
    { title: t('tender.supplyRegions'), key: 'regions', render: (_, r) => r.supply_regions.map((s) => s.name).join('、') },
  ];
  return (
    <div>
      <PageTitle title={t('tender.title')} extra={
        <Space>
          <Select allowClear placeholder={t('tender.status')} style={{ width: 160 }} value={status} onChange={setStatus}
            options={TENDER_STATUSES.map((s) => ({ value: s, label: t(('tender.status.' + s) as never) }))} />
          {me.role === 'bureau_officer' ? <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="tender-create">{t('tender.create')}</Button> : null}
        </Space>
      } />
      <ServerTable<TenderView> testId="tenders-table" columns={columns} deps={[status]} locale={{ emptyText: t('tender.none') }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/tenders', { params: { query: { page, per_page, status: status as never } } }))} />
      <NewTenderModal open={open} onClose={() => setOpen(false)} />
    </div>
  );
}
