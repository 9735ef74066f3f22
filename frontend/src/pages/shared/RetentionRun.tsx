import { CheckOutlined, DownloadOutlined, FileSearchOutlined } from '@ant-design/icons';
import { App, Button, Card, Descriptions, Drawer, Dropdown, Empty, Popconfirm, Space, Spin, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap, type Ok } from '../../api/client';
import { downloadFile } from '../../api/download';
import { useMe } from '../../auth';
import { ErrorAlert, useErrorText } from '../../components/errors';
import { fmtDateTime, fmtInt, fmtMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type RunView = Ok<'/api/v1/retention-runs/{id}', 'get'>;
type HospitalResult = RunView['results'][number];
type Explanation = Ok<'/api/v1/retention-runs/{id}/explain', 'get'>;
type LineRow = Explanation['lines'][number];

const GRADE_COLOR: Record<string, string> = { A: 'green', B: 'blue', C: 'gold', D: 'red' };
const RUN_STATUS_COLOR: Record<string, string> = { calculated: 'blue', approved: 'green', superseded: 'default' };

/** A decimal string rounded half-up to `dp` decimals, exactly ("3636.2521384" → "3636.25"). */
function roundDec(s: string, dp = 2): string {
  const m = /^(-?)(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) return s;
  const [, sign, int = '0', frac = ''] = m;
  const base = 10n ** BigInt(dp);
  let units = BigInt(int || '0') * base + BigInt((frac + '0'.repeat(dp)).slice(0, dp) || '0');
  if ((frac[dp] ?? '0') >= '5') units += 1n;
  const out = `${units / base}.${(units % base).toString().padStart(dp, '0')}`;
  return units === 0n ? out : sign + out;
}

/** "0.1" → "10%", by moving the decimal point (no float arithmetic). */
function ratioPct(s: string): string {
  const m = /^(\d*)(?:\.(\d*))?$/.exec(s.trim());
  if (!m) return s;
  const frac = (m[2] ?? '').padEnd(2, '0');
  const int = (m[1] + frac.slice(0, 2)).replace(/^0+(?=\d)/, '');
  const rest = frac.slice(2).replace(/0+$/, '');
  return `${int}${rest ? '.' + rest : ''}%`;
}

interface PolicySummary { two_officers?: boolean; floor_share?: string | null; grades?: { grade: string; min_score: string; share: string }[] }

/** The policy a run used, from its stored inputs. */
function parsePolicy(inputs: string): PolicySummary | null {
  try {
    return (JSON.parse(inputs) as { policy?: PolicySummary }).policy ?? null;
  } catch {
    return null;
  }
}

function GradeTag({ grade }: { grade: string }) {
  return <Tag color={GRADE_COLOR[grade] ?? 'default'} data-testid="grade" style={{ fontWeight: 600 }}>{grade}</Tag>;
}

function Components({ value }: { value: unknown }) {
  const { tf } = useI18n();
  if (!value || typeof value !== 'object') return <span className="jc-muted">—</span>;
  return (
    <Space size={[2, 2]} wrap>
      {Object.entries(value as Record<string, unknown>).map(([k, v]) => (
        <Tag key={k} style={{ fontSize: 11, marginInlineEnd: 0 }}>{tf('ret.component.' + k, k)} {String(v)}</Tag>
      ))}
    </Space>
  );
}

/** The calculation for one hospital: the steps, numbered, and the lines per generic. */
function ExplanationView({ runId, hospitalId }: { runId: string; hospitalId: string }) {
  const { t } = useI18n();
  const ex = useAsync(() => unwrap(api.GET('/api/v1/retention-runs/{id}/explain', { params: { path: { id: runId }, query: { hospital_id: hospitalId } } })), [runId, hospitalId]);
  if (ex.error) return <ErrorAlert error={ex.error} onRetry={ex.reload} />;
  if (!ex.data) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /></div>;
  const e = ex.data;
  const money4 = (v: string) => <Tooltip title={`¥${v}`}>{fmtMoney(roundDec(v, 2))}</Tooltip>;
  const columns: TableColumnsType<LineRow> = [
    { title: t('field.genericName'), dataIndex: 'generic_name', fixed: 'left', render: (v) => <b>{v}</b> },
    { title: t('field.agreed'), dataIndex: 'agreed_qty', className: 'jc-num', render: fmtInt },
    { title: t('ret.preVbpPrice'), dataIndex: 'pre_vbp_price', className: 'jc-num', render: (v: string) => fmtMoney(v, 4) },
    { title: t('ret.winningQty'), dataIndex: 'winning_qty', className: 'jc-num', render: fmtInt },
    { title: t('ret.winningAmount'), dataIndex: 'winning_amount', className: 'jc-num', render: (v: string) => fmtMoney(v) },
    { title: t('ret.aboveQty'), dataIndex: 'above_volume_qty', className: 'jc-num', render: (v: number) => (v ? <Tag color="orange">{fmtInt(v)}</Tag> : 0) },
    { title: t('ret.aboveAmount'), dataIndex: 'above_volume_amount', className: 'jc-num', render: (v: string) => fmtMoney(v) },
    { title: t('ret.nonWinningQty'), dataIndex: 'non_winning_qty', className: 'jc-num', render: fmtInt },
    { title: t('ret.nonWinningAmount'), dataIndex: 'non_winning_amount', className: 'jc-num', render: (v: string) => fmtMoney(v) },
    { title: t('ret.budget'), dataIndex: 'budget', className: 'jc-num', render: money4 },
    { title: t('ret.actual'), dataIndex: 'actual', className: 'jc-num', render: money4 },
    { title: t('ret.saving'), dataIndex: 'saving', className: 'jc-num', render: (v: string) => <b>{money4(v)}</b> },
  ];
  return (
    <div data-testid="explanation">
      <Descriptions size="small" bordered column={3} style={{ marginBottom: 12 }}>
        <Descriptions.Item label={t('field.hospital')}>{e.result.hospital_name}</Descriptions.Item>
        <Descriptions.Item label={t('ret.surplus')}>{fmtMoney(e.result.surplus)}</Descriptions.Item>
        <Descriptions.Item label={t('ret.retained')}><b data-testid="explain-retained">{fmtMoney(e.result.retained)}</b></Descriptions.Item>
        <Descriptions.Item label={t('ret.score')}>{e.result.score ?? '—'}</Descriptions.Item>
        <Descriptions.Item label={t('ret.grade')}><GradeTag grade={e.result.grade} /></Descriptions.Item>
        <Descriptions.Item label={t('ret.share')}>{ratioPct(e.result.share)}</Descriptions.Item>
        <Descriptions.Item label={t('ret.components')} span={3}><Components value={e.result.components} /></Descriptions.Item>
      </Descriptions>
      <Typography.Title level={5}>{t('ret.steps')}</Typography.Title>
      <ol className="jc-steps" data-testid="explain-steps" style={{ paddingLeft: 32, fontFamily: 'ui-monospace, Menlo, Consolas, monospace', fontSize: 12, lineHeight: 1.8 }}>
        {e.steps.map((s, i) => (
          <li key={i} style={/^【.*】$/.test(s) ? { fontWeight: 600, fontFamily: 'inherit', marginTop: 6, color: '#1f3b73' } : undefined}>{s}</li>
        ))}
      </ol>
      <Typography.Title level={5}>{t('ret.lines')}</Typography.Title>
      <Table<LineRow> data-testid="explain-lines" size="small" bordered rowKey="generic_name" pagination={false} columns={columns} dataSource={e.lines} scroll={{ x: 'max-content' }} />
    </div>
  );
}

export default function RetentionRun() {
  const { id = '' } = useParams();
  const { t, tf } = useI18n();
  const me = useMe();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const run = useAsync(() => unwrap(api.GET('/api/v1/retention-runs/{id}', { params: { path: { id } } })), [id]);
  const [explain, setExplain] = useState<HospitalResult | null>(null);
  const [approving, setApproving] = useState(false);
  const [approveError, setApproveError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);
  const isHospital = me.role === 'hospital_buyer';
  const isBureau = me.role === 'bureau_officer';

  if (run.error && !run.data) return <div><PageTitle title={t('ret.run')} /><ErrorAlert error={run.error} onRetry={run.reload} /></div>;
  if (!run.data) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /></div>;
  const r = run.data;
  const ownRun = r.started_by === me.user_id;
  const policy = parsePolicy(r.inputs);

  const approve = async () => {
    setApproving(true);
    setApproveError(null);
    try {
      await unwrap(api.POST('/api/v1/retention-runs/{id}/approve', { params: { path: { id } } }));
      message.success(t('ret.approved'));
      run.reload();
    } catch (e) {
      setApproveError(e);
    } finally {
      setApproving(false);
    }
  };
  const exportAs = async (format: 'csv' | 'xlsx', part?: 'summary' | 'detail') => {
    setExporting(true);
    try {
      await downloadFile(`/api/v1/retention-runs/${id}/export`, { format, part }, `${r.run_no}${part ? '-' + part : ''}.${format}`);
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setExporting(false);
    }
  };

  const columns: TableColumnsType<HospitalResult> = [
    { title: t('field.hospital'), dataIndex: 'hospital_name', render: (v) => <b>{v}</b> },
    { title: t('ret.surplus'), dataIndex: 'surplus', className: 'jc-num', sorter: (a, b) => Number(a.surplus) - Number(b.surplus), render: (v) => fmtMoney(v) },
    { title: t('ret.score'), dataIndex: 'score', className: 'jc-num', render: (v: string | null, h) => <Tooltip title={<Components value={h.components} />}>{v ?? '—'}</Tooltip> },
    { title: t('ret.grade'), dataIndex: 'grade', render: (g: string) => <GradeTag grade={g} />, filters: ['A', 'B', 'C', 'D'].map((g) => ({ text: g, value: g })), onFilter: (v, h) => h.grade === v },
    { title: t('ret.share'), dataIndex: 'share', className: 'jc-num', render: ratioPct },
    { title: t('ret.retained'), dataIndex: 'retained', className: 'jc-num', sorter: (a, b) => Number(a.retained) - Number(b.retained), render: (v) => <b data-testid="retained">{fmtMoney(v)}</b> },
    { title: t('ret.components'), dataIndex: 'components', render: (v) => <Components value={v} /> },
    // A hospital sees its own explanation below the table.
    ...(isHospital ? [] : [{
      title: t('common.actions'), key: 'a', fixed: 'right' as const,
      render: (_: unknown, h: HospitalResult) => <Button size="small" icon={<FileSearchOutlined />} onClick={() => setExplain(h)} data-testid="explain-open">{t('ret.explain')}</Button>,
    }]),
  ];

  const approveButton = isBureau && r.status === 'calculated' ? (
    ownRun && policy?.two_officers !== false ? (
      <Tooltip title={t('ret.ownRun')}>
        <Button type="primary" icon={<CheckOutlined />} disabled data-testid="run-approve">{t('ret.approve')}</Button>
      </Tooltip>
    ) : (
      <Popconfirm title={t('ret.approveConfirm')} description={t('ret.approveConfirmBody')} onConfirm={approve} okButtonProps={{ 'data-testid': 'approve-ok' } as never}>
        <Button type="primary" icon={<CheckOutlined />} loading={approving} data-testid="run-approve">{t('ret.approve')}</Button>
      </Popconfirm>
    )
  ) : null;

  return (
    <div data-testid="retention-run">
      <PageTitle
        title={<span>{t('ret.run')} <span data-testid="run-no">{r.run_no}</span></span>}
        extra={(
          <Space>
            <Link to={isHospital ? '/hospital/retention' : me.role === 'fund_officer' ? '/fund/retention' : '/bureau/retention'}>{t('common.back')}</Link>
            <Dropdown
              menu={{
                items: [
                  { key: 'csv-summary', label: t('ret.exportCsvSummary') },
                  { key: 'csv-detail', label: t('ret.exportCsvDetail') },
                  { key: 'xlsx', label: t('ret.exportXlsx') },
                ],
                onClick: ({ key }) => (key === 'xlsx' ? exportAs('xlsx') : exportAs('csv', key === 'csv-detail' ? 'detail' : 'summary')),
              }}
            >
              <Button icon={<DownloadOutlined />} loading={exporting} data-testid="run-export">{t('ret.export')}</Button>
            </Dropdown>
            {approveButton}
          </Space>
        )}
      />
      {approveError ? <ErrorAlert error={approveError} /> : null}
      {r.status === 'calculated' && !isHospital ? (
        <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: -6 }}>{t('ret.approveHelp')}</Typography.Paragraph>
      ) : null}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, md: 2, lg: 4 }} data-testid="run-header">
          <Descriptions.Item label={t('field.status')}>
            <Tag color={RUN_STATUS_COLOR[r.status] ?? 'default'} data-testid="run-status" data-status={r.status}>{tf('ret.status.' + r.status, r.status)}</Tag>
          </Descriptions.Item>
          <Descriptions.Item label={t('field.agreementYear')}>{t('ret.yearN', { n: r.agreement_year })}</Descriptions.Item>
          <Descriptions.Item label={t('ret.asOf')}>{r.as_of}</Descriptions.Item>
          <Descriptions.Item label={t('ret.policy')} span={2}>
            <Tooltip title={policy ? <pre className="jc-json" style={{ color: '#fff' }}>{JSON.stringify(policy, null, 2)}</pre> : r.policy_id}>
              <span style={{ fontSize: 12 }}>
                {policy?.grades ? policy.grades.map((g) => `${g.grade}≥${g.min_score}→${ratioPct(g.share)}`).join(' · ') : r.policy_id.slice(0, 8)}
                {policy?.floor_share ? ` · ${t('ret.floor', { pct: ratioPct(policy.floor_share) })}` : ''}
              </span>
            </Tooltip>
          </Descriptions.Item>
          <Descriptions.Item label={isHospital ? t('ret.surplus') : t('ret.totalSurplus')}>{fmtMoney(r.total_surplus)}</Descriptions.Item>
          <Descriptions.Item label={isHospital ? t('ret.retained') : t('ret.totalRetained')}><b data-testid="total-retained">{fmtMoney(r.total_retained)}</b></Descriptions.Item>
          <Descriptions.Item label={t('ret.startedBy')}>
            <span data-testid="started-by">{r.started_by_name ?? r.started_by}</span>{ownRun ? <Tag color="blue" style={{ marginLeft: 4 }}>{t('ret.me')}</Tag> : null}
            <span className="jc-muted"> {r.trigger} · {fmtDateTime(r.created_at)}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('ret.approvedBy')}>
            {r.approved_by ? (
              <span data-testid="approved-by">
                {r.approved_by_name ?? r.approved_by}{r.approved_by === me.user_id ? <Tag color="blue" style={{ marginLeft: 4 }}>{t('ret.me')}</Tag> : null}
                <span className="jc-muted"> {fmtDateTime(r.approved_at)}</span>
              </span>
            ) : '—'}
          </Descriptions.Item>
          {r.supersedes_id ? <Descriptions.Item label={t('ret.supersedes')}><Link to={`/retention/${r.supersedes_id}`}>{r.supersedes_id.slice(0, 8)}…</Link></Descriptions.Item> : null}
        </Descriptions>
      </Card>
      <Card size="small" title={isHospital ? t('ret.myResult') : t('ret.results', { n: r.results.length })} style={{ marginBottom: 12 }}>
        <Table<HospitalResult>
          data-testid="results-table"
          size="small"
          bordered
          rowKey="hospital_id"
          columns={columns}
          dataSource={r.results}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('ret.noResult')} /> }}
          pagination={{ pageSize: 50, size: 'small', hideOnSinglePage: true }}
        />
      </Card>
      {isHospital && r.results[0] ? (
        <Card size="small" title={t('ret.explanation')}>
          <ExplanationView runId={r.id} hospitalId={r.results[0].hospital_id} />
        </Card>
      ) : null}
      <Drawer
        open={!!explain}
        onClose={() => setExplain(null)}
        size={1100}
        title={explain ? t('ret.explainTitle', { hospital: explain.hospital_name, run: r.run_no }) : ''}
        destroyOnHidden
      >
        {explain ? <ExplanationView runId={r.id} hospitalId={explain.hospital_id} /> : null}
      </Drawer>
    </div>
  );
}
