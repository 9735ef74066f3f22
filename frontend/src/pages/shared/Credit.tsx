import { MinusCircleOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, Button, DatePicker, Form, Input, Modal, Select, Space, Tabs, Tag, Upload, type TableColumnsType } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, newIdempotencyKey, unwrap, type Body, type Ok } from '../../api/client';
import { downloadFile } from '../../api/download';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime, fmtMoney } from '../../components/format';
import { moneyPattern, useOrgs } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type CaseSummary = Ok<'/api/v1/credit/cases', 'get'>['items'][number];
type Letter = Ok<'/api/v1/credit/letters', 'get'>['items'][number];
type NewCase = Body<'/api/v1/credit/cases', 'post'>;

export const CASE_STATUSES = ['proposed', 'recorded', 'pending_approval', 'in_force', 'repaired', 'dismissed'] as const;
const STATUS_COLOR: Record<string, string> = {
  proposed: 'orange', recorded: 'default', pending_approval: 'gold', in_force: 'red', repaired: 'green', dismissed: 'default', expired: 'default',
};
export const CONDUCTS = ['bribery', 'tax', 'monopoly', 'unfair_pricing', 'disrupting_procurement', 'resisting_supervision', 'breach_of_contract'] as const;

export function CaseStatusTag({ status }: { status: string }) {
  const { tf } = useI18n();
  return <Tag color={STATUS_COLOR[status] ?? 'default'} data-testid="case-status" data-status={status}>{tf('credit.status.' + status, status)}</Tag>;
}

interface CaseForm {
  basis: NewCase['basis']; document_no: string; decision_date: Dayjs; conduct: NewCase['conduct'];
  amount?: string; top_condition?: NewCase['top_condition']; summary: string;
  parties: { enterprise_id: string; role: 'mah' | 'manufacturer' | 'distributor' }[]; product_codes?: string;
}

/** The bureau's form for a case with its basis. */
function RecordCaseModal({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [form] = Form.useForm<CaseForm>();
  const action = useAction();
  const enterprises = useOrgs('enterprise');
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const body: NewCase = {
      basis: v.basis, document_no: v.document_no.trim(), decision_date: v.decision_date.format('YYYY-MM-DD'),
      conduct: v.conduct, amount: v.amount?.trim() ? v.amount.trim() : null, top_condition: v.top_condition ?? null,
      summary: v.summary.trim(), parties: v.parties,
      product_codes: (v.product_codes ?? '').split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean),
    };
    const created = await action.run(() => unwrap(api.POST('/api/v1/credit/cases', { params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body })), t('credit.saved'));
    if (created) {
      onClose();
      navigate(`/credit/${created.id}`);
    }
  };
  const roles = ['manufacturer', 'mah', 'distributor'].map((r) => ({ value: r, label: t(('credit.role.' + r) as never) }));
  return (
    <Modal title={t('credit.record')} open={open} onCancel={onClose} onOk={submit} confirmLoading={action.busy} width={760} destroyOnHidden
      okButtonProps={{ 'data-testid': 'case-submit' } as never}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="vertical" initialValues={{ basis: 'administrative_penalty', parties: [{ role: 'manufacturer' }] }}>
        <Space wrap>
          <Form.Item name="basis" label={t('credit.basis')} rules={[{ required: true }]}>
            <Select style={{ width: 180 }} options={['court_judgment', 'administrative_penalty', 'audit_finding'].map((b) => ({ value: b, label: t(('credit.basis.' + b) as never) }))} />
          </Form.Item>
          <Form.Item name="document_no" label={t('credit.documentNo')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 240 }} placeholder="深市监罚〔2026〕12号" data-testid="case-doc" /></Form.Item>
          <Form.Item name="decision_date" label={t('credit.decisionDate')} rules={[{ required: true }]}>
            <DatePicker data-testid="case-date" disabledDate={(d) => d.isAfter(dayjs(serverToday()), 'day')} />
          </Form.Item>
        </Space>
        <Space wrap>
          <Form.Item name="conduct" label={t('credit.conduct')} rules={[{ required: true }]}>
            <Select style={{ width: 200 }} data-testid="case-conduct" options={CONDUCTS.map((c) => ({ value: c, label: t(('credit.conduct.' + c) as never) }))} />
          </Form.Item>
          <Form.Item name="amount" label={t('credit.amount')} rules={[{ pattern: moneyPattern(2), message: t('error.invalid_decimal') }]}><Input style={{ width: 160 }} placeholder="800000.00" data-testid="case-amount" /></Form.Item>
          <Form.Item name="top_condition" label={t('credit.topCondition')}>
            <Select allowClear style={{ width: 240 }} options={['bribed_insurance_or_procurement_staff', 'national_bid_rigging'].map((c) => ({ value: c, label: t(('credit.top.' + c) as never) }))} />
          </Form.Item>
        </Space>
        <Form.Item name="summary" label={t('credit.summary')} rules={[{ required: true, whitespace: true }]}><Input.TextArea rows={2} maxLength={2000} data-testid="case-summary" /></Form.Item>
        <Form.List name="parties">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f) => (
                <Space key={f.key} align="baseline" wrap>
                  <Form.Item name={[f.name, 'enterprise_id']} label={t('credit.enterprise')} rules={[{ required: true }]}>
                    <Select showSearch optionFilterProp="label" style={{ width: 320 }} loading={enterprises.loading} data-testid="case-enterprise"
                      options={(enterprises.data ?? []).map((o) => ({ value: o.id, label: o.name }))} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'role']} label={t('credit.party.role')} rules={[{ required: true }]}><Select style={{ width: 180 }} options={roles} /></Form.Item>
                  {fields.length > 1 ? <MinusCircleOutlined onClick={() => remove(f.name)} /> : null}
                </Space>
              ))}
              <Button type="dashed" onClick={() => add({ role: 'mah' })} icon={<PlusOutlined />} style={{ marginBottom: 12 }}>{t('credit.addParty')}</Button>
            </>
          )}
        </Form.List>
        <Form.Item name="product_codes" label={t('credit.products')} extra={t('credit.productsHelp')}><Input data-testid="case-products" /></Form.Item>
      </Form>
    </Modal>
  );
}

function Cases() {
  const { t, tf } = useI18n();
  const me = useMe();
  const [status, setStatus] = useState<string | undefined>();
  const [conduct, setConduct] = useState<string | undefined>();
  const [open, setOpen] = useState(false);
  const columns: TableColumnsType<CaseSummary> = [
    { title: t('credit.caseNo'), dataIndex: 'case_no', render: (v, r) => <Link to={`/credit/${r.id}`} data-testid="case-link">{v}</Link> },
    { title: t('credit.enterprise'), key: 'ent', render: (_, r) => r.enterprises.join('、') },
    { title: t('credit.conduct'), dataIndex: 'conduct', render: (c: string) => tf('credit.conduct.' + c, c) },
    { title: t('credit.amount'), dataIndex: 'amount', className: 'jc-num', render: (v: string | null) => (v ? fmtMoney(v) : '—') },
    { title: t('credit.basis'), key: 'basis', render: (_, r) => <div>{tf('credit.basis.' + r.basis, r.basis)}<div className="jc-muted">{r.document_no ?? ''} {r.decision_date}</div></div> },
    { title: t('credit.suggested'), dataIndex: 'suggested_grade', render: (g: string | null) => (g ? tf('credit.gradeName.' + g, g) : '—') },
    { title: t('credit.grade'), dataIndex: 'grade', render: (g: string | null) => (g ? <b>{tf('credit.gradeName.' + g, g)}</b> : '—') },
    { title: t('credit.status'), dataIndex: 'status', render: (s: string) => <CaseStatusTag status={s} /> },
    { title: t('credit.endsOn'), dataIndex: 'ends_on', render: (d: string | null) => d ?? '—' },
  ];
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        <Select allowClear placeholder={t('credit.status')} style={{ width: 160 }} value={status} onChange={setStatus} data-testid="case-status-filter"
          options={CASE_STATUSES.map((s) => ({ value: s, label: t(('credit.status.' + s) as never) }))} />
        <Select allowClear placeholder={t('credit.conduct')} style={{ width: 180 }} value={conduct} onChange={setConduct}
          options={CONDUCTS.map((c) => ({ value: c, label: t(('credit.conduct.' + c) as never) }))} />
        {me.role === 'bureau_officer' ? <Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="case-create">{t('credit.record')}</Button> : null}
      </Space>
      <ServerTable<CaseSummary> testId="cases-table" columns={columns} deps={[status, conduct]} locale={{ emptyText: t('credit.none') }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/credit/cases', { params: { query: { page, per_page, status, conduct } } }))} />
      <RecordCaseModal open={open} onClose={() => setOpen(false)} />
    </>
  );
}

interface LetterForm { template_version: string; signer: string; signed_on: Dayjs }

/** An enterprise's signed letter: the file and its particulars. */
function UploadLetter({ onDone }: { onDone: () => void }) {
  const { t } = useI18n();
  const [form] = Form.useForm<LetterForm>();
  const [file, setFile] = useState<File | null>(null);
  const action = useAction();
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v || !file) return;
    const body = await file.arrayBuffer();
    const query = { template_version: v.template_version.trim(), signer: v.signer.trim(), signed_on: v.signed_on.format('YYYY-MM-DD'), file_name: file.name };
    const ok = await action.run(() => unwrap(api.POST('/api/v1/credit/letters', {
      params: { query }, body: body as never, bodySerializer: (b: unknown) => b as BodyInit, headers: { 'Content-Type': file.type || 'application/octet-stream' },
    })), t('credit.saved'));
    if (ok) {
      form.resetFields();
      setFile(null);
      onDone();
    }
  };
  return (
    <div style={{ marginBottom: 16 }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="inline" initialValues={{ template_version: '2025-01' }}>
        <Form.Item name="template_version" label={t('credit.letter.template')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 100 }} /></Form.Item>
        <Form.Item name="signer" label={t('credit.letter.signer')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 140 }} data-testid="letter-signer" /></Form.Item>
        <Form.Item name="signed_on" label={t('credit.letter.signedOn')} rules={[{ required: true }]}>
          <DatePicker data-testid="letter-date" disabledDate={(d) => d.isAfter(dayjs(serverToday()), 'day')} />
        </Form.Item>
        <Form.Item label={t('credit.letter.file')} extra={t('credit.letter.fileHelp')} required>
          <Upload accept=".pdf,.png,.jpg,.jpeg" maxCount={1} beforeUpload={(f) => { setFile(f); return false; }} onRemove={() => setFile(null)}
            fileList={file ? [{ uid: '1', name: file.name, status: 'done' }] : []}>
            <Button icon={<UploadOutlined />} data-testid="letter-file">{t('credit.letter.pick')}</Button>
          </Upload>
        </Form.Item>
        <Form.Item><Button type="primary" onClick={submit} loading={action.busy} disabled={!file} data-testid="letter-submit">{t('credit.letter.upload')}</Button></Form.Item>
      </Form>
    </div>
  );
}

function Letters() {
  const { t } = useI18n();
  const me = useMe();
  const [tick, setTick] = useState(0);
  const [enterprise, setEnterprise] = useState<string | undefined>();
  const officer = me.role !== 'supplier';
  const enterprises = useOrgs('enterprise');
  const columns: TableColumnsType<Letter> = [
    { title: t('credit.enterprise'), dataIndex: 'enterprise_name' },
    { title: t('credit.letter.template'), dataIndex: 'template_version' },
    { title: t('credit.letter.signer'), dataIndex: 'signer' },
    { title: t('credit.letter.signedOn'), dataIndex: 'signed_on' },
    { title: t('credit.letter.file'), key: 'file', render: (_, l) => <Button type="link" size="small" onClick={() => downloadFile(`/api/v1/credit/letters/${l.id}/file`, {}, l.file_name)}>{l.file_name}</Button> },
    { title: 'SHA-256', dataIndex: 'sha256', render: (h: string) => <code title={h}>{h.slice(0, 12)}…</code> },
    { title: t('credit.letter.uploadedAt'), dataIndex: 'uploaded_at', render: fmtDateTime },
  ];
  return (
    <>
      {me.role === 'supplier' ? <UploadLetter onDone={() => setTick((n) => n + 1)} /> : null}
      {officer ? (
        <Space style={{ marginBottom: 12 }}>
          <Select allowClear showSearch optionFilterProp="label" placeholder={t('credit.enterprise')} style={{ width: 320 }} value={enterprise} onChange={setEnterprise}
            options={(enterprises.data ?? []).map((o) => ({ value: o.id, label: o.name }))} />
        </Space>
      ) : null}
      <ServerTable<Letter> testId="letters-table" columns={columns} deps={[tick, enterprise]} locale={{ emptyText: t('credit.letter.none') }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/credit/letters', { params: { query: { page, per_page, enterprise_id: enterprise } } }))} />
    </>
  );
}

export default function Credit() {
  const { t } = useI18n();
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const lettersVisible = me.role !== 'hospital_buyer';
  const tab = params.get('tab') === 'letters' && lettersVisible ? 'letters' : 'cases';
  return (
    <div>
      <PageTitle title={t('credit.title')} />
      {me.role === 'hospital_buyer' ? <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('credit.hospitalHint')} /> : null}
      <Tabs activeKey={tab} onChange={(k) => setParams(k === 'cases' ? {} : { tab: k })} items={[
        { key: 'cases', label: t('credit.tab.cases'), children: <Cases /> },
        ...(lettersVisible ? [{ key: 'letters', label: t('credit.tab.letters'), children: <Letters /> }] : []),
      ]} />
    </div>
  );
}
