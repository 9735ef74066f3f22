import { EditOutlined, PlayCircleOutlined, PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, App, AutoComplete, Button, Card, DatePicker, Form, Input, Modal, Select, Space, Spin, Tabs, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Ok, type Schemas } from '../../api/client';
import { fetchAll } from '../../api/lists';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { SheetImport } from '../../components/SheetImport';
import { fmtDateTime, fmtMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useOrgs } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { Elapsed } from '../../components/Elapsed';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type RunRow = Ok<'/api/v1/retention-runs', 'get'>['items'][number];
type InputRow = Ok<'/api/v1/retention/inputs', 'get'>['items'][number];
type InputKind = Schemas['InputKind'];

const INPUT_KINDS: InputKind[] = ['pre_vbp_price', 'fund_ratio', 'insured_share', 'manual_score'];
const YEARS = [1, 2, 3];
const RUN_STATUS_COLOR: Record<string, string> = { calculated: 'blue', approved: 'green', superseded: 'default' };


function RunStatusTag({ status }: { status: string }) {
  const { tf } = useI18n();
  return <Tag color={RUN_STATUS_COLOR[status] ?? 'default'} data-testid="run-status" data-status={status}>{tf('ret.status.' + status, status)}</Tag>;
}

function RunsTab({ year }: { year?: number }) {
  const { t } = useI18n();
  const me = useMe();
  const isHospital = me.role === 'hospital_buyer';
  const columns: TableColumnsType<RunRow> = [
    { title: t('ret.runNo'), dataIndex: 'run_no', render: (v, r) => <Link to={`/retention/${r.id}`} data-testid="run-link">{v}</Link> },
    { title: t('field.agreementYear'), dataIndex: 'agreement_year', className: 'jc-num' },
    { title: t('ret.asOf'), dataIndex: 'as_of' },
    { title: t('field.status'), dataIndex: 'status', render: (s: string) => <RunStatusTag status={s} /> },
    { title: isHospital ? t('ret.surplus') : t('ret.totalSurplus'), dataIndex: 'total_surplus', className: 'jc-num', render: (v: string) => fmtMoney(v) },
    { title: isHospital ? t('ret.retained') : t('ret.totalRetained'), dataIndex: 'total_retained', className: 'jc-num', render: (v: string) => <b>{fmtMoney(v)}</b> },
    ...(isHospital ? [] : [{
      title: t('ret.startedBy'), dataIndex: 'started_by',
      render: (v: string, r: RunRow) => <span>{v === me.user_id ? <Tag color="blue">{t('ret.me')}</Tag> : <Typography.Text style={{ fontSize: 12 }} copyable={{ text: v }}>{v.slice(0, 8)}…</Typography.Text>} <span className="jc-muted">{r.trigger}</span></span>,
    }]),
    { title: t('ret.createdAt'), dataIndex: 'created_at', render: fmtDateTime },
    { title: t('ret.approvedAt'), dataIndex: 'approved_at', render: fmtDateTime },
  ];
  return (
    <ServerTable<RunRow>
      testId="runs-table"
      rowKey="id"
      columns={columns}
      deps={[year]}
      scroll={{ x: 'max-content' }}
      fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/retention-runs', { params: { query: { agreement_year: year, page, per_page } } }))}
    />
  );
}

interface InputForm { kind: InputKind; generic?: string; hospital_id?: string; component?: string; value: string; comment: string }

/** How a value of each kind must look (the API checks the same). */
function valueRule(kind: InputKind | undefined, t: ReturnType<typeof useI18n>['t']) {
  return {
    validator: (_: unknown, v?: string) => {
      const s = (v ?? '').trim();
      if (!s) return Promise.reject(new Error(t('common.required')));
      if (kind === 'pre_vbp_price') return /^\d+(\.\d{1,4})?$/.test(s) ? Promise.resolve() : Promise.reject(new Error(t('ret.err.price')));
      if (kind === 'fund_ratio' || kind === 'insured_share') {
        return /^(0(\.\d+)?|1(\.0+)?)$/.test(s) ? Promise.resolve() : Promise.reject(new Error(t('ret.err.ratio')));
      }
      if (kind === 'manual_score') {
        // 0–100, compared as text: a whole part of at most 100.
        const m = /^(\d{1,3})(\.\d+)?$/.exec(s);
        const ok = m && (Number(m[1]) < 100 || (m[1] === '100' && !/[1-9]/.test(m[2] ?? '')));
        return ok ? Promise.resolve() : Promise.reject(new Error(t('ret.err.score')));
      }
      return Promise.resolve();
    },
  };
}

function InputsTab({ year }: { year: number }) {
  const { t, tf } = useI18n();
  const me = useMe();
  const { message } = App.useApp();
  const canEdit = me.role === 'bureau_officer';
  const [reload, setReload] = useState(0);
  // The generics that have a pre-VBP price, for the edit form (one per generic: a short list).
  const priced = useAsync(() => fetchAll((page, per_page) => unwrap(api.GET('/api/v1/retention/inputs', {
    params: { query: { agreement_year: year, kind: 'pre_vbp_price', page, per_page } },
  }))), [year, reload]);
  const hospitals = useOrgs('hospital');
  const hospitalName = new Map((hospitals.data ?? []).map((h) => [h.id, h.name]));
  const [editing, setEditing] = useState<Partial<InputForm> | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [kindFilter, setKindFilter] = useState<string | undefined>();
  const [importing, setImporting] = useState(false);
  const [hospitalFilter, setHospitalFilter] = useState<string | undefined>();
  const [form] = Form.useForm<InputForm>();
  const kind = Form.useWatch('kind', form);
  const generics = [...new Set((priced.data ?? []).map((r) => r.subject))].sort((a, b) => a.localeCompare(b, 'zh'));

  const subjectText = (r: Pick<InputRow, 'kind' | 'subject'>) => {
    if (r.kind === 'insured_share') return hospitalName.get(r.subject) ?? r.subject;
    if (r.kind === 'manual_score') {
      const [h, key] = r.subject.split(':');
      return `${hospitalName.get(h) ?? h} · ${tf('ret.component.' + key, key)}`;
    }
    if (r.kind === 'fund_ratio') return t('ret.region');
    return r.subject;
  };
  const edit = (r?: InputRow) => {
    setSaveError(null);
    const [h, key] = r ? r.subject.split(':') : [];
    // Every field, so that nothing of the previous edit is left in the form's store.
    const values: InputForm = r ? {
      kind: r.kind as InputKind,
      generic: r.kind === 'pre_vbp_price' ? r.subject : undefined,
      hospital_id: r.kind === 'insured_share' || r.kind === 'manual_score' ? h : undefined,
      component: r.kind === 'manual_score' ? key : 'rational_use',
      value: r.value,
      comment: r.comment ?? '',
    } : { kind: 'pre_vbp_price', generic: undefined, hospital_id: undefined, component: 'rational_use', value: '', comment: '' };
    form.setFieldsValue(values);
    setEditing(values);
  };
  const save = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return; // the form shows what is wrong
    const subject = v.kind === 'pre_vbp_price' ? (v.generic ?? '').trim()
      : v.kind === 'insured_share' ? v.hospital_id ?? ''
        : v.kind === 'manual_score' ? `${v.hospital_id}:${(v.component ?? '').trim()}` : '';
    setSaving(true);
    setSaveError(null);
    try {
      await unwrap(api.PUT('/api/v1/retention/inputs', {
        body: { agreement_year: year, values: [{ kind: v.kind, subject, value: v.value.trim(), comment: v.comment.trim() || null }] },
      }));
      message.success(t('common.saved'));
      setEditing(null);
      setReload((n) => n + 1);
    } catch (e) {
      setSaveError(e);
    } finally {
      setSaving(false);
    }
  };

  const columns: TableColumnsType<InputRow> = [
    {
      title: t('field.kind'), dataIndex: 'kind',
      render: (k: string) => <Tag color={k === 'manual_score' ? 'purple' : k === 'pre_vbp_price' ? 'geekblue' : 'cyan'}>{tf('ret.kind.' + k, k)}</Tag>,
    },
    { title: t('ret.subject'), key: 'subject', render: (_, r) => subjectText(r) },
    { title: t('ret.value'), dataIndex: 'value', className: 'jc-num', render: (v: string, r) => <b data-testid="input-value">{r.kind === 'pre_vbp_price' ? `¥${v}` : v}</b> },
    { title: t('common.note'), dataIndex: 'comment', render: (v: string | null) => v ?? '—' },
    { title: t('ret.enteredAt'), dataIndex: 'created_at', render: fmtDateTime },
    { title: t('ret.enteredBy'), dataIndex: 'created_by', render: (v: string) => (v === me.user_id ? <Tag color="blue">{t('ret.me')}</Tag> : <span className="jc-muted">{v.slice(0, 8)}…</span>) },
    ...(canEdit ? [{ title: t('common.actions'), key: 'a', render: (_: unknown, r: InputRow) => <Button size="small" icon={<EditOutlined />} onClick={() => edit(r)} data-testid="input-edit">{t('ret.edit')}</Button> }] : []),
  ];
  return (
    <div>
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.kind')}>
          <Select allowClear style={{ width: 200 }} value={kindFilter} placeholder={t('common.all')} onChange={setKindFilter}
            options={INPUT_KINDS.map((k) => ({ value: k, label: tf('ret.kind.' + k, k) }))} data-testid="filter-input-kind" />
        </Form.Item>
        <Form.Item label={t('field.hospital')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={hospitalFilter} placeholder={t('common.all')} loading={hospitals.loading}
            onChange={setHospitalFilter} options={(hospitals.data ?? []).map((h) => ({ value: h.id, label: h.name }))} />
        </Form.Item>
        {canEdit ? <Form.Item><Button type="primary" icon={<PlusOutlined />} onClick={() => edit()} data-testid="input-add">{t('ret.addInput')}</Button></Form.Item> : null}
        {canEdit ? <Form.Item><Button icon={<UploadOutlined />} onClick={() => setImporting(true)} data-testid="inputs-import">{t('import.tab')}</Button></Form.Item> : null}
      </Form>
      {importing ? (
        <Modal open width={900} title={t('import.tab')} footer={null} onCancel={() => setImporting(false)} destroyOnHidden>
          <SheetImport kind="retention-inputs" onCommitted={() => { setImporting(false); setReload((n) => n + 1); }} />
        </Modal>
      ) : null}
      <ServerTable<InputRow>
        testId="inputs-table"
        rowKey={(r) => `${r.kind}|${r.subject}`}
        columns={columns}
        defaultPerPage={50}
        deps={[year, kindFilter, hospitalFilter, reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/retention/inputs', {
          params: { query: { agreement_year: year, kind: kindFilter, subject: hospitalFilter, page, per_page } },
        }))}
      />
      <Modal
        open={!!editing}
        title={t('ret.inputTitle', { year })}
        onCancel={() => setEditing(null)}
        onOk={save}
        confirmLoading={saving}
        okText={t('common.save')}
        cancelText={t('common.cancel')}
        okButtonProps={{ 'data-testid': 'input-save' } as never}
        destroyOnHidden
      >
        {saveError ? <ErrorAlert error={saveError} /> : null}
        <Form form={form} preserve={false} layout="vertical" initialValues={editing ?? undefined} data-testid="input-form">
          <Form.Item name="kind" label={t('field.kind')} rules={[{ required: true, message: t('common.required') }]}>
            <Select options={INPUT_KINDS.map((k) => ({ value: k, label: tf('ret.kind.' + k, k) }))} data-testid="input-kind" />
          </Form.Item>
          {kind === 'pre_vbp_price' ? (
            <Form.Item name="generic" label={t('field.genericName')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
              <AutoComplete options={generics.map((g) => ({ value: g }))} filterOption data-testid="input-generic" />
            </Form.Item>
          ) : null}
          {kind === 'insured_share' || kind === 'manual_score' ? (
            <Form.Item name="hospital_id" label={t('field.hospital')} rules={[{ required: true, message: t('common.required') }]}>
              <Select showSearch optionFilterProp="label" loading={hospitals.loading} options={(hospitals.data ?? []).map((h) => ({ value: h.id, label: h.name }))} data-testid="input-hospital" />
            </Form.Item>
          ) : null}
          {kind === 'manual_score' ? (
            <Form.Item name="component" label={t('ret.componentKey')} rules={[{ required: true, whitespace: true, message: t('common.required') }]}>
              <AutoComplete options={[{ value: 'rational_use' }]} />
            </Form.Item>
          ) : null}
          <Form.Item name="value" label={t('ret.value')} extra={kind ? tf('ret.valueHelp.' + kind, '') : undefined} rules={[valueRule(kind, t)]} dependencies={['kind']}>
            <Input data-testid="input-value-field" style={{ width: 200 }} />
          </Form.Item>
          <Form.Item name="comment" label={t('common.note')} rules={[{ required: true, whitespace: true, message: t('ret.err.comment') }]}>
            <Input.TextArea rows={2} maxLength={500} data-testid="input-comment" />
          </Form.Item>
        </Form>
      </Modal>
    </div>
  );
}

type StartPhase = { kind: 'form'; error?: unknown } | { kind: 'running'; since: number };

function StartRunButton({ onStarted }: { onStarted: (id: string) => void }) {
  const { t } = useI18n();
  const today = serverToday();
  const [open, setOpen] = useState(false);
  const [phase, setPhase] = useState<StartPhase>({ kind: 'form' });
  const [form] = Form.useForm<{ agreement_year: number; as_of: Dayjs }>();
  const [last, setLast] = useState<{ agreement_year: number; as_of: Dayjs }>(() => ({ agreement_year: 1, as_of: dayjs(today) }));
  const start = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return; // the form shows what is wrong
    setLast(v); // shown again if the API refuses
    setPhase({ kind: 'running', since: Date.now() });
    try {
      const run = await unwrap(api.POST('/api/v1/retention-runs', { body: { agreement_year: v.agreement_year, as_of: v.as_of.format('YYYY-MM-DD') } }));
      setOpen(false);
      setPhase({ kind: 'form' });
      onStarted(run.id);
    } catch (e) {
      setPhase({ kind: 'form', error: e });
    }
  };
  const running = phase.kind === 'running';
  return (
    <>
      <Button type="primary" icon={<PlayCircleOutlined />} onClick={() => { setPhase({ kind: 'form' }); form.setFieldsValue(last); setOpen(true); }} data-testid="run-start-open">{t('ret.startRun')}</Button>
      <Modal
        open={open}
        title={t('ret.startRun')}
        onCancel={() => !running && setOpen(false)}
        closable={!running}
        mask={{ closable: false }}
        okText={t('ret.calculate')}
        cancelText={t('common.cancel')}
        onOk={start}
        okButtonProps={{ loading: running, 'data-testid': 'run-start-submit' } as never}
        cancelButtonProps={{ disabled: running }}
        destroyOnHidden
      >
        {running ? (
          <div style={{ textAlign: 'center', padding: '32px 0' }} data-testid="run-running">
            <Spin size="large" />
            <div style={{ marginTop: 16 }}>{t('ret.calculating')}</div>
            <div className="jc-muted" style={{ marginTop: 4 }}><Elapsed since={phase.since} /></div>
          </div>
        ) : (
          <>
            {phase.kind === 'form' && phase.error ? <ErrorAlert error={phase.error} /> : null}
            <Form form={form} preserve={false} layout="vertical" initialValues={last}>
              <Form.Item name="agreement_year" label={t('field.agreementYear')} rules={[{ required: true }]}>
                <Select options={YEARS.map((y) => ({ value: y, label: t('ret.yearN', { n: y }) }))} data-testid="run-year" style={{ width: 160 }} />
              </Form.Item>
              <Form.Item name="as_of" label={t('ret.asOf')} extra={t('ret.asOfHelp')} rules={[{ required: true, message: t('common.required') }]}>
                <DatePicker allowClear={false} disabledDate={(d) => d.format('YYYY-MM-DD') > today} data-testid="run-as-of" />
              </Form.Item>
            </Form>
            <Alert type="info" showIcon title={t('ret.startHelp')} />
          </>
        )}
      </Modal>
    </>
  );
}

export default function RetentionRuns() {
  const { t } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const { message } = App.useApp();
  const [params, setParams] = useSearchParams();
  const isHospital = me.role === 'hospital_buyer';
  const isBureau = me.role === 'bureau_officer';
  const yearParam = params.get('year');
  const year = yearParam ? Number(yearParam) : undefined;
  const tab = params.get('tab') ?? 'runs';
  const set = (patch: Record<string, string | undefined>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) { if (v) p.set(k, v); else p.delete(k); }
    setParams(p, { replace: true });
  };
  const yearSelect = (allowAll: boolean) => (
    <Space>
      <span>{t('field.agreementYear')}</span>
      <Select
        style={{ width: 130 }}
        allowClear={allowAll}
        placeholder={t('common.all')}
        value={allowAll ? year : year ?? 1}
        onChange={(v?: number) => set({ year: v ? String(v) : undefined })}
        options={YEARS.map((y) => ({ value: y, label: t('ret.yearN', { n: y }) }))}
        data-testid="filter-year"
      />
    </Space>
  );
  const runs = <Card size="small" title={isHospital ? t('ret.myResults') : t('ret.runs')} extra={yearSelect(true)}><RunsTab year={year} /></Card>;
  return (
    <div>
      <PageTitle
        title={t('ret.title')}
        extra={isBureau ? <StartRunButton onStarted={(id) => { message.success(t('ret.started')); navigate(`/retention/${id}`); }} /> : null}
      />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -6 }}>
        {t(isHospital ? 'ret.helpHospital' : 'ret.help')}
      </Typography.Paragraph>
      {isHospital ? runs : (
        <Tabs
          activeKey={tab}
          onChange={(k) => set({ tab: k === 'runs' ? undefined : k })}
          items={[
            { key: 'runs', label: t('ret.runs'), children: runs },
            {
              key: 'inputs',
              label: <Tooltip title={t('ret.inputsHelp')}>{t('ret.inputs')}</Tooltip>,
              children: <Card size="small" title={t('ret.inputs')} extra={yearSelect(false)}><InputsTab year={year ?? 1} /></Card>,
            },
          ]}
        />
      )}
    </div>
  );
}
