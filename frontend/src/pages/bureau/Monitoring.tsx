import { Button, Card, DatePicker, Empty, Form, Progress, Select, Switch, Table, Tabs, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import dayjs from 'dayjs';
import { Link, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Ok } from '../../api/client';
import { serverToday } from '../../api/session';
import { ErrorAlert } from '../../components/errors';
import { fmtInt } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useOrgs } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { useI18n, type Lang } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type BatchSummary = Ok<'/api/v1/monitoring/summary', 'get'>[number];
type HospitalSummary = BatchSummary['hospitals'][number];
type VolumeProgress = Ok<'/api/v1/monitoring/progress', 'get'>['items'][number];
type WarningRow = Ok<'/api/v1/monitoring/warnings', 'get'>['items'][number];

const WARNING_KINDS = ['behind_pace', 'non_winning_exceeds_winning', 'supplier_unreliable'] as const;
const KIND_COLOR: Record<string, string> = { behind_pace: 'orange', non_winning_exceeds_winning: 'magenta', supplier_unreliable: 'red' };

/** The API writes warnings as "中文\n\nEnglish": the part in the user's language. */
function warningText(message: string, lang: Lang): string {
  const parts = message.split(/\n\n/);
  if (parts.length < 2) return message;
  return lang === 'en' ? parts.slice(1).join('\n\n') : parts[0];
}

/** A percent string ("12.34") as a number for a Progress bar (display only). */
const pctNum = (s: string | null | undefined) => (s == null ? 0 : Math.min(100, Number(s)));

function PctBar({ value, color, testId }: { value: string | null | undefined; color?: string; testId?: string }) {
  if (value == null) return <span className="jc-muted">—</span>;
  return <Progress data-testid={testId} percent={pctNum(value)} size="small" strokeColor={color} format={() => `${value}%`} style={{ minWidth: 140, margin: 0 }} />;
}

/** Details of a warning (JSON) as short "key: value" pairs. */
function Details({ json }: { json: string }) {
  let obj: Record<string, unknown> | null = null;
  try {
    obj = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return <span className="jc-muted">{json}</span>;
  }
  if (!obj || typeof obj !== 'object') return <span className="jc-muted">{json}</span>;
  return (
    <span style={{ fontSize: 12, display: 'block', maxWidth: 320, whiteSpace: 'normal' }} className="jc-muted">
      {Object.entries(obj).map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(' · ')}
    </span>
  );
}

export default function Monitoring() {
  const { t, tf, lang } = useI18n();
  const today = serverToday();
  const [params, setParams] = useSearchParams();
  const f = {
    as_of: params.get('as_of') ?? today,
    tab: params.get('tab') ?? 'progress',
    batch_id: params.get('batch_id') ?? undefined,
    hospital_id: params.get('hospital_id') ?? undefined,
    behind_only: params.get('behind_only') === 'true',
    kind: params.get('kind') ?? undefined,
    w_hospital_id: params.get('w_hospital_id') ?? undefined,
  };
  const set = (patch: Record<string, string | undefined | null | boolean>) => {
    const p = new URLSearchParams(params);
    for (const [k, v] of Object.entries(patch)) { if (v) p.set(k, String(v)); else p.delete(k); }
    setParams(p, { replace: true });
  };
  const summary = useAsync(() => unwrap(api.GET('/api/v1/monitoring/summary', { params: { query: { as_of: f.as_of } } })), [f.as_of]);
  const hospitals = useOrgs('hospital');
  const hospitalOptions = (hospitals.data ?? []).map((o) => ({ value: o.id, label: o.name }));
  const batchOptions = (summary.data ?? []).map((b) => ({ value: b.batch_id, label: b.batch_name }));

  const hospitalColumns = (batch: BatchSummary): TableColumnsType<HospitalSummary> => [
    { title: t('field.hospital'), dataIndex: 'hospital_name' },
    { title: t('field.agreed'), dataIndex: 'agreed_qty', className: 'jc-num', render: fmtInt },
    { title: t('mon.accepted'), dataIndex: 'accepted_qty', className: 'jc-num', render: fmtInt },
    { title: t('field.completion'), dataIndex: 'completion_pct', render: (v) => <PctBar value={v} /> },
    { title: t('mon.winningShare'), dataIndex: 'winning_share_pct', render: (v) => <PctBar value={v} color="#52c41a" /> },
    {
      title: t('mon.volumesBehind'), dataIndex: 'volumes_behind_pace', className: 'jc-num',
      render: (n: number, h) => (n > 0
        ? <a onClick={() => set({ tab: 'progress', batch_id: batch.batch_id, hospital_id: h.hospital_id, behind_only: true })}><Tag color="orange">{n}</Tag></a>
        : <Tag color="green">0</Tag>),
    },
    {
      title: t('mon.warnings'), dataIndex: 'warnings', className: 'jc-num',
      render: (n: number, h) => (n > 0 ? <a onClick={() => set({ tab: 'warnings', w_hospital_id: h.hospital_id })}>{n}</a> : 0),
    },
  ];
  const batchColumns: TableColumnsType<BatchSummary> = [
    { title: t('field.batch'), dataIndex: 'batch_name', render: (v) => <b>{v}</b> },
    { title: t('field.agreed'), dataIndex: 'agreed_qty', className: 'jc-num', render: fmtInt },
    { title: t('mon.accepted'), dataIndex: 'accepted_qty', className: 'jc-num', render: fmtInt },
    { title: t('field.completion'), dataIndex: 'completion_pct', render: (v) => <PctBar value={v} testId="batch-completion" /> },
    { title: t('mon.winningShare'), dataIndex: 'winning_share_pct', render: (v) => <PctBar value={v} color="#52c41a" /> },
    {
      title: t('mon.hospitalsBehind'), dataIndex: 'hospitals_behind', className: 'jc-num',
      render: (n: number, b) => <a onClick={() => set({ tab: 'progress', batch_id: b.batch_id, hospital_id: undefined, behind_only: true })}>
        <Tag color={n > 0 ? 'orange' : 'green'} data-testid="hospitals-behind">{t('mon.nHospitals', { n })}</Tag></a>,
    },
  ];

  const progressColumns: TableColumnsType<VolumeProgress> = [
    { title: t('field.hospital'), dataIndex: 'hospital_name' },
    { title: t('field.genericName'), key: 'g', render: (_, v) => <div><b>{v.generic_name}</b> <span className="jc-muted">{v.specification}</span></div> },
    { title: t('field.yearRange'), key: 'range', render: (_, v) => `${v.year_start} ~ ${v.year_end}` },
    { title: t('field.agreed'), dataIndex: 'agreed_qty', className: 'jc-num', render: fmtInt },
    { title: t('field.ordered'), dataIndex: 'ordered_qty', className: 'jc-num', render: fmtInt },
    { title: t('mon.accepted'), dataIndex: 'accepted_qty', className: 'jc-num', render: fmtInt },
    {
      title: `${t('field.completion')} / ${t('field.pace')}`, key: 'progress', width: 240,
      render: (_, v) => (
        <Tooltip title={`${t('field.completion')} ${v.completion_pct}% · ${t('field.pace')} ${v.pace_pct}%`}>
          <div data-testid="volume-progress">
            <Progress percent={pctNum(v.completion_pct)} size="small" strokeColor={v.behind_pace ? '#fa8c16' : '#52c41a'} format={() => `${v.completion_pct}%`} />
            <Progress percent={pctNum(v.pace_pct)} size="small" strokeColor="#bfbfbf" format={() => <span className="jc-muted">{v.pace_pct}%</span>} style={{ marginTop: -6 }} />
          </div>
        </Tooltip>
      ),
    },
    {
      title: t('field.status'), dataIndex: 'behind_pace',
      render: (b: boolean) => (b ? <Tag color="orange" data-testid="behind-tag">{t('volume.behind')}</Tag> : <Tag color="green">{t('mon.onPace')}</Tag>),
    },
  ];

  const warningColumns: TableColumnsType<WarningRow> = [
    { title: t('mon.asOf'), dataIndex: 'as_of', width: 100 },
    { title: t('field.kind'), dataIndex: 'kind', render: (k: string) => <Tag color={KIND_COLOR[k] ?? 'default'} data-testid="warning-kind">{tf('mon.kind.' + k, k)}</Tag> },
    { title: t('field.hospital'), dataIndex: 'hospital_name', render: (n: string | null) => n ?? '—' },
    { title: t('field.supplier'), dataIndex: 'supplier_name', render: (n: string | null) => n ?? '—' },
    { title: t('mon.message'), dataIndex: 'message', render: (m: string) => <div style={{ maxWidth: 560, whiteSpace: 'pre-wrap' }}>{warningText(m, lang)}</div> },
    { title: t('mon.details'), dataIndex: 'details', render: (d: string) => <Details json={d} /> },
  ];

  return (
    <div>
      <PageTitle
        title={t('mon.title')}
        extra={(
          <Form layout="inline">
            <Form.Item label={t('mon.asOf')} style={{ marginRight: 0 }}>
              <DatePicker
                data-testid="as-of"
                allowClear={false}
                value={dayjs(f.as_of)}
                disabledDate={(d) => d.format('YYYY-MM-DD') > today}
                onChange={(d) => set({ as_of: d && d.format('YYYY-MM-DD') !== today ? d.format('YYYY-MM-DD') : undefined })}
              />
            </Form.Item>
          </Form>
        )}
      />
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -6 }}>{t('mon.help')}</Typography.Paragraph>
      <Card size="small" title={t('mon.byBatch')} style={{ marginBottom: 12 }} extra={<Link to="/bureau/dashboard">{t('menu.dashboard')}</Link>}>
        {summary.error ? <ErrorAlert error={summary.error} onRetry={summary.reload} /> : (
          <Table<BatchSummary>
            data-testid="monitoring-summary"
            size="small"
            rowKey="batch_id"
            pagination={false}
            loading={summary.loading}
            columns={batchColumns}
            dataSource={summary.data ?? []}
            scroll={{ x: 'max-content' }}
            expandable={{
              expandedRowRender: (b) => (
                <Table<HospitalSummary> size="small" rowKey="hospital_id" pagination={false} columns={hospitalColumns(b)} dataSource={b.hospitals}
                  data-testid="monitoring-hospitals" scroll={{ x: 'max-content' }} />
              ),
            }}
          />
        )}
      </Card>
      <Tabs
        activeKey={f.tab}
        onChange={(k) => set({ tab: k === 'progress' ? undefined : k })}
        items={[
          {
            key: 'progress',
            label: t('mon.progressTab'),
            children: (
              <>
                <Form layout="inline" className="jc-filters">
                  <Form.Item label={t('field.batch')}>
                    <Select allowClear style={{ width: 260 }} value={f.batch_id} placeholder={t('common.all')} options={batchOptions}
                      onChange={(v) => set({ batch_id: v })} data-testid="filter-batch" />
                  </Form.Item>
                  <Form.Item label={t('field.hospital')}>
                    <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={f.hospital_id} placeholder={t('common.all')}
                      loading={hospitals.loading} options={hospitalOptions} onChange={(v) => set({ hospital_id: v })} data-testid="filter-hospital" />
                  </Form.Item>
                  <Form.Item label={t('mon.behindOnly')}>
                    <Switch checked={f.behind_only} onChange={(v) => set({ behind_only: v })} data-testid="filter-behind" />
                  </Form.Item>
                  <Form.Item>
                    <Button onClick={() => set({ batch_id: undefined, hospital_id: undefined, behind_only: undefined })}>{t('common.reset')}</Button>
                  </Form.Item>
                </Form>
                <ServerTable<VolumeProgress>
                  testId="progress-table"
                  rowKey="agreed_volume_id"
                  columns={progressColumns}
                  deps={[f.as_of, f.batch_id, f.hospital_id, f.behind_only]}
                  fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/monitoring/progress', {
                    params: { query: { page, per_page, as_of: f.as_of, batch_id: f.batch_id, hospital_id: f.hospital_id, behind_only: f.behind_only || undefined } },
                  }))}
                />
              </>
            ),
          },
          {
            key: 'warnings',
            label: t('mon.warningsTab'),
            children: (
              <>
                <Form layout="inline" className="jc-filters">
                  <Form.Item label={t('field.kind')}>
                    <Select allowClear style={{ width: 220 }} value={f.kind} placeholder={t('common.all')} onChange={(v) => set({ kind: v })} data-testid="filter-kind"
                      options={WARNING_KINDS.map((k) => ({ value: k, label: tf('mon.kind.' + k, k) }))} />
                  </Form.Item>
                  <Form.Item label={t('field.hospital')}>
                    <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={f.w_hospital_id} placeholder={t('common.all')}
                      loading={hospitals.loading} options={hospitalOptions} onChange={(v) => set({ w_hospital_id: v })} data-testid="filter-warning-hospital" />
                  </Form.Item>
                  <Form.Item>
                    <Button onClick={() => set({ kind: undefined, w_hospital_id: undefined })}>{t('common.reset')}</Button>
                  </Form.Item>
                </Form>
                <ServerTable<WarningRow>
                  testId="warnings-table"
                  columns={warningColumns}
                  locale={{
                    emptyText: (
                      <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={(
                        <span>{t('mon.noWarnings', { date: f.as_of })} <Link to={`/bureau/jobs?job=monitoring&as_of=${f.as_of}`}>{t('mon.runMonitoring')}</Link></span>
                      )} />
                    ),
                  }}
                  deps={[f.as_of, f.kind, f.w_hospital_id]}
                  fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/monitoring/warnings', {
                    params: { query: { page, per_page, as_of: f.as_of, kind: f.kind, hospital_id: f.w_hospital_id } },
                  }))}
                />
              </>
            ),
          },
        ]}
      />
    </div>
  );
}
