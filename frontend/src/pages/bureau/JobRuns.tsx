import { PlayCircleOutlined } from '@ant-design/icons';
import { Alert, Button, Checkbox, DatePicker, Descriptions, Form, Modal, Result, Select, Space, Spin, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useRef, useState, type HTMLAttributes } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap, type Ok } from '../../api/client';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { Elapsed } from '../../components/Elapsed';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type JobRunRow = Ok<'/api/v1/job-runs', 'get'>['items'][number];

/** The jobs the API runs (jobs/src: `Job::ALL`); `retention` is the bureau's alone. */
const JOBS = ['settlement-sweep', 'deadline-watch', 'late-interest', 'prepayment', 'monthly-statements', 'monitoring', 'retention', 'tenders', 'credit-proposals', 'mail-dispatch'] as const;

const OUTCOME_COLOR: Record<string, string> = { succeeded: 'green', failed: 'red', running: 'processing' };

function OutcomeTag({ outcome }: { outcome: string }) {
  const { tf } = useI18n();
  return <Tag color={OUTCOME_COLOR[outcome] ?? 'default'} data-testid="job-outcome" data-outcome={outcome}>{tf('job.outcome.' + outcome, outcome)}</Tag>;
}

/** "{"a":1,"b":2}" → small "a 1 · b 2" tags. */
function Counts({ json }: { json: string | null | undefined }) {
  if (!json) return <span className="jc-muted">—</span>;
  let obj: unknown;
  try {
    obj = JSON.parse(json);
  } catch {
    return <span className="jc-muted">{json}</span>;
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return <code style={{ fontSize: 12 }}>{json}</code>;
  const entries = Object.entries(obj as Record<string, unknown>);
  if (entries.length === 0) return <span className="jc-muted">—</span>;
  return (
    <Tooltip title={<pre className="jc-json" style={{ color: '#fff' }}>{JSON.stringify(obj, null, 2)}</pre>}>
      <Space size={[2, 2]} wrap style={{ maxWidth: 360 }} data-testid="job-counts">
        {entries.map(([k, v]) => (
          <Tag key={k} style={{ marginInlineEnd: 0, fontSize: 11 }} color={typeof v === 'number' && v > 0 ? 'blue' : undefined}>
            {k} {typeof v === 'object' ? JSON.stringify(v) : String(v)}
          </Tag>
        ))}
      </Space>
    </Tooltip>
  );
}

function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return `${m} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function duration(r: Pick<JobRunRow, 'started_at' | 'finished_at'>): string {
  if (!r.finished_at) return '—';
  return fmtDuration(Math.max(0, Date.parse(r.finished_at) - Date.parse(r.started_at)));
}

function Trigger({ trigger }: { trigger: string }) {
  const { t } = useI18n();
  if (trigger === 'schedule') return <Tag>{t('job.trigger.schedule')}</Tag>;
  if (trigger === 'cli') return <Tag>{t('job.trigger.cli')}</Tag>;
  if (trigger.startsWith('api:')) return <Tag color="blue">{t('job.trigger.api', { user: trigger.slice(4) })}</Tag>;
  return <Tag>{trigger}</Tag>;
}

type Phase = { kind: 'form' } | { kind: 'running'; since: number; job: string } | { kind: 'done'; row: JobRunRow } | { kind: 'failed'; error: unknown };

export default function JobRuns() {
  const { t, tf } = useI18n();
  const me = useMe();
  const today = serverToday();
  const [params, setParams] = useSearchParams();
  const job = params.get('job') ?? undefined;
  // Mail dispatch runs every minute: hidden unless asked for, so the daily jobs stay in view.
  const includeMail = params.get('mail') === '1';
  const [open, setOpen] = useState(false);
  const [phase, setPhase] = useState<Phase>({ kind: 'form' });
  const [reloadKey, setReloadKey] = useState(0);
  const [lastId, setLastId] = useState<string | null>(null);
  const [form] = Form.useForm<{ job: string; as_of: Dayjs }>();
  const running = useRef(false);
  const isFund = me.role === 'fund_officer';
  const jobs = JOBS.filter((j) => !(isFund && j === 'retention'));
  const jobLabel = (j: string) => `${tf('job.name.' + j, j)}（${j}）`;

  const columns: TableColumnsType<JobRunRow> = [
    { title: t('job.job'), dataIndex: 'job', render: (j: string) => <span><b>{tf('job.name.' + j, j)}</b><div className="jc-muted">{j}</div></span> },
    { title: t('job.asOf'), dataIndex: 'as_of' },
    { title: t('job.trigger'), dataIndex: 'trigger', render: (v: string) => <Trigger trigger={v} /> },
    { title: t('job.outcome'), dataIndex: 'outcome', render: (v: string) => <OutcomeTag outcome={v} /> },
    { title: t('job.counts'), dataIndex: 'counts', render: (v: string | null) => <Counts json={v} /> },
    {
      title: t('job.error'), dataIndex: 'error',
      render: (v: string | null) => (v ? <Typography.Text type="danger" style={{ fontSize: 12, maxWidth: 280 }} ellipsis={{ tooltip: v }}>{v}</Typography.Text> : '—'),
    },
    { title: t('job.startedAt'), dataIndex: 'started_at', render: fmtDateTime },
    { title: t('job.finishedAt'), dataIndex: 'finished_at', render: fmtDateTime },
    { title: t('job.duration'), key: 'duration', className: 'jc-num', render: (_, r) => duration(r) },
    { title: t('job.scope'), dataIndex: 'region_id', render: (v: string | null) => (v ? t('job.scopeRegion') : t('job.scopePlatform')) },
  ];

  const [initial, setInitial] = useState<{ job: string; as_of: Dayjs }>({ job: 'deadline-watch', as_of: dayjs(today) });
  const openModal = () => {
    setPhase({ kind: 'form' });
    // A link may suggest the as-of date (e.g. from the monitoring page): today or earlier.
    const asOf = params.get('as_of');
    const suggested = asOf && /^\d{4}-\d{2}-\d{2}$/.test(asOf) && asOf <= today ? asOf : today;
    const init = { job: job && jobs.includes(job as (typeof JOBS)[number]) ? job : 'deadline-watch', as_of: dayjs(suggested) };
    // The form's store outlives the dialog: set its values, not only its initial values.
    setInitial(init);
    form.setFieldsValue(init);
    setOpen(true);
  };
  const run = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return; // the form shows what is wrong
    if (running.current) return;
    running.current = true;
    setInitial(v);
    setPhase({ kind: 'running', since: Date.now(), job: v.job });
    try {
      const row = await unwrap(api.POST('/api/v1/job-runs', { body: { job: v.job, as_of: v.as_of.format('YYYY-MM-DD') } }));
      setPhase({ kind: 'done', row });
      setLastId(row.id);
      setReloadKey((k) => k + 1);
    } catch (e) {
      setPhase({ kind: 'failed', error: e });
      setReloadKey((k) => k + 1); // a failed run is recorded too
    } finally {
      running.current = false;
    }
  };
  const close = () => {
    if (phase.kind !== 'running') setOpen(false);
  };

  const footer = phase.kind === 'running' ? null
    : phase.kind === 'done' ? [
      <Button key="again" onClick={() => { form.setFieldsValue(initial); setPhase({ kind: 'form' }); }}>{t('job.runAnother')}</Button>,
      <Button key="close" type="primary" onClick={close} data-testid="job-close">{t('job.close')}</Button>,
    ] : [
      <Button key="cancel" onClick={close} data-testid="job-cancel">{t('common.cancel')}</Button>,
      <Button key="run" type="primary" icon={<PlayCircleOutlined />} onClick={run} data-testid="job-run-submit">{t('job.run')}</Button>,
    ];

  return (
    <div>
      <PageTitle
        title={t('job.title')}
        extra={<Button type="primary" icon={<PlayCircleOutlined />} onClick={openModal} data-testid="job-run-open">{t('job.runJob')}</Button>}
      />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -6 }}>{t(isFund ? 'job.helpFund' : 'job.help')}</Typography.Paragraph>
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('job.job')}>
          <Select allowClear style={{ width: 280 }} value={job} placeholder={t('common.all')} data-testid="filter-job"
            onChange={(v) => { const p = new URLSearchParams(params); if (v) p.set('job', v); else p.delete('job'); setParams(p, { replace: true }); }}
            options={JOBS.map((j) => ({ value: j, label: jobLabel(j) }))} />
        </Form.Item>
        {job ? null : (
          <Form.Item>
            <Checkbox checked={includeMail} data-testid="include-mail"
              onChange={(e) => { const p = new URLSearchParams(params); if (e.target.checked) p.set('mail', '1'); else p.delete('mail'); setParams(p, { replace: true }); }}>
              {t('job.includeMail')}
            </Checkbox>
          </Form.Item>
        )}
      </Form>
      <ServerTable<JobRunRow>
        testId="job-runs-table"
        columns={columns}
        deps={[job, includeMail, reloadKey]}
        onRow={(r) => ({ 'data-run-id': r.id, style: r.id === lastId ? { background: '#e6f4ff' } : undefined } as HTMLAttributes<HTMLElement>)}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/job-runs', { params: { query: { page, per_page, job, include_mail: includeMail } } }))}
      />
      <Modal
        open={open}
        title={t('job.runJob')}
        onCancel={close}
        closable={phase.kind !== 'running'}
        mask={{ closable: false }}
        footer={footer}
        width={560}
        destroyOnHidden
      >
        <div data-testid="job-modal">
          {phase.kind === 'running' ? (
            <div style={{ textAlign: 'center', padding: '32px 0' }} data-testid="job-running">
              <Spin size="large" />
              <div style={{ marginTop: 16 }}>{t('job.running', { job: jobLabel(phase.job) })}</div>
              <div className="jc-muted" style={{ marginTop: 4 }}><Elapsed testId="job-elapsed" since={phase.since} /></div>
            </div>
          ) : phase.kind === 'done' ? (
            <div data-testid="job-result">
              <Result
                status={phase.row.outcome === 'succeeded' ? 'success' : 'warning'}
                title={<span style={{ fontSize: 18 }}>{t('job.finished', { job: jobLabel(phase.row.job) })}</span>}
                subTitle={`${t('job.asOf')} ${phase.row.as_of} · ${t('job.duration')} ${duration(phase.row)}`}
                style={{ padding: '8px 0' }}
              />
              <Descriptions size="small" bordered column={1}>
                <Descriptions.Item label={t('job.outcome')}><OutcomeTag outcome={phase.row.outcome} /></Descriptions.Item>
                <Descriptions.Item label={t('job.counts')}><Counts json={phase.row.counts} /></Descriptions.Item>
                {phase.row.error ? <Descriptions.Item label={t('job.error')}><Typography.Text type="danger">{phase.row.error}</Typography.Text></Descriptions.Item> : null}
                <Descriptions.Item label={t('job.trigger')}><Trigger trigger={phase.row.trigger} /></Descriptions.Item>
              </Descriptions>
            </div>
          ) : (
            <>
              {phase.kind === 'failed' ? <ErrorAlert error={phase.error} /> : null}
              <Form form={form} preserve={false} layout="vertical" data-testid="job-form" initialValues={initial}>
                <Form.Item name="job" label={t('job.job')} rules={[{ required: true, message: t('common.required') }]}>
                  <Select options={jobs.map((j) => ({ value: j, label: jobLabel(j) }))} data-testid="job-select" />
                </Form.Item>
                <Form.Item
                  name="as_of"
                  label={t('job.asOf')}
                  extra={t('job.asOfHelp', { today })}
                  rules={[
                    { required: true, message: t('common.required') },
                    { validator: (_, d?: Dayjs) => (d && d.format('YYYY-MM-DD') > today ? Promise.reject(new Error(t('job.err.future', { today }))) : Promise.resolve()) },
                  ]}
                >
                  <DatePicker allowClear={false} disabledDate={(d) => d.format('YYYY-MM-DD') > today} data-testid="job-as-of" style={{ width: 200 }} />
                </Form.Item>
              </Form>
              <Alert type="info" showIcon title={t('job.idempotent')} />
            </>
          )}
        </div>
      </Modal>
    </div>
  );
}
