import { DownloadOutlined, LoginOutlined, TranslationOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Empty, Layout, Menu, Select, Space, Spin, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useMemo } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { ErrorAlert } from '../../components/errors';
import { EChart, type EChartOption } from '../../components/EChart';
import { fmtDateTime, fmtMoney, fmtUnitPrice } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useI18n } from '../../i18n';

// The public disclosure site: no sign-in, its own layout. It reads only `/api/v1/public/...`
// (published snapshots) and links the OCDS bulk file.

const KINDS = ['payment_timeliness', 'tender_results', 'winning_prices', 'credit_ratings', 'payment_standards'] as const;
type Kind = (typeof KINDS)[number];

interface Publication { kind: Kind; version: number; as_of: string; items: number; published_at: string; note?: string | null }
interface Region { code: string; name: string; published: Publication[] }
interface PublicDocument<C> extends Publication { region_code: string; region_name: string; versions: { version: number; as_of: string }[]; content: C }

async function getJson<T>(path: string): Promise<T> {
  const r = await fetch(path);
  const body = await r.json().catch(() => null);
  if (!r.ok) {
    const { ApiError } = await import('../../api/client');
    throw new ApiError(r.status, body?.error?.code ?? 'http_' + r.status, body?.error?.message ?? r.statusText);
  }
  return body as T;
}

interface Month {
  month: string; due_count: number; due_amount: string; on_time_count: number; on_time_amount: string; late_count: number; late_amount: string;
  overdue_count: number; overdue_amount: string; not_yet_due_count: number; late_days: { supplier: number; hospital: number; fund: number };
  on_time_rate: string | null; median_days_to_payment: string | null;
}

function Timeliness({ months }: { months: Month[] }) {
  const { t } = useI18n();
  const option = useMemo<EChartOption>(() => ({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: months.map((m) => m.month) },
    yAxis: [{ type: 'value', name: t('public.t.due') }, { type: 'value', name: '%', min: 0, max: 100, position: 'right' }],
    series: [
      { name: t('public.t.onTime'), type: 'bar', stack: 'n', data: months.map((m) => m.on_time_count), itemStyle: { color: '#52a35b' } },
      { name: t('public.t.late'), type: 'bar', stack: 'n', data: months.map((m) => m.late_count), itemStyle: { color: '#e3a33b' } },
      { name: t('public.t.overdue'), type: 'bar', stack: 'n', data: months.map((m) => m.overdue_count), itemStyle: { color: '#d4453b' } },
      { name: t('public.t.notYetDue'), type: 'bar', stack: 'n', data: months.map((m) => m.not_yet_due_count), itemStyle: { color: '#b8c4d6' } },
      { name: t('public.t.rate'), type: 'line', yAxisIndex: 1, data: months.map((m) => (m.on_time_rate == null ? null : Number(m.on_time_rate))) },
    ],
  }), [months, t]);
  const columns: TableColumnsType<Month> = [
    { title: t('public.t.month'), dataIndex: 'month' },
    { title: t('public.t.due'), key: 'due', className: 'jc-num', render: (_, m) => <div>{m.due_count}<div className="jc-muted">{fmtMoney(m.due_amount)}</div></div> },
    { title: t('public.t.onTime'), key: 'on', className: 'jc-num', render: (_, m) => <div>{m.on_time_count}<div className="jc-muted">{fmtMoney(m.on_time_amount)}</div></div> },
    { title: t('public.t.late'), key: 'late', className: 'jc-num', render: (_, m) => <div>{m.late_count}<div className="jc-muted">{fmtMoney(m.late_amount)}</div></div> },
    { title: t('public.t.overdue'), key: 'over', className: 'jc-num', render: (_, m) => <div>{m.overdue_count}<div className="jc-muted">{fmtMoney(m.overdue_amount)}</div></div> },
    { title: t('public.t.notYetDue'), dataIndex: 'not_yet_due_count', className: 'jc-num' },
    { title: t('public.t.rate'), dataIndex: 'on_time_rate', className: 'jc-num', render: (r: string | null) => (r == null ? '—' : `${r}%`) },
    { title: t('public.t.median'), dataIndex: 'median_days_to_payment', className: 'jc-num', render: (d: string | null) => d ?? '—' },
    { title: t('public.t.lateDays'), key: 'days', className: 'jc-num', render: (_, m) => `${m.late_days.supplier} / ${m.late_days.hospital} / ${m.late_days.fund}` },
  ];
  return (
    <>
      <Card size="small" title={t('public.t.chart')} style={{ marginBottom: 12 }}><EChart option={option} height={320} testId="timeliness-chart" /></Card>
      <Table<Month> size="small" bordered rowKey="month" pagination={false} dataSource={[...months].reverse()} columns={columns} data-testid="timeliness-table" scroll={{ x: 'max-content' }} />
      <Typography.Paragraph type="secondary" style={{ marginTop: 8 }}>{t('public.t.explain')}</Typography.Paragraph>
    </>
  );
}

interface Winner { enterprise: string; rank: number | null; product_code: string; specification: string; pack_price: string | null; unit_price: string | null; regions: string[] }
interface Generic { generic_name: string; dosage_form: string; representative_spec: string; max_price: string; valid_bids: number | null; winners: Winner[] }
interface Tender { tender_no: string; name: string; document_no: string; status: string; cycle_start: string; cycle_end: string; generics: Generic[] }

function TenderResults({ tenders }: { tenders: Tender[] }) {
  const { t, tf } = useI18n();
  if (!tenders.length) return <Empty />;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {tenders.map((x) => (
        <div key={x.tender_no} data-testid="public-tender"><Card size="small"
          title={<Space>{x.name}<Tag color={x.status === 'proposed' ? 'orange' : 'green'}>{tf('public.r.status.' + x.status, x.status)}</Tag></Space>}
          extra={<span className="jc-muted">{x.document_no} · {x.cycle_start} ~ {x.cycle_end}</span>}>
          {x.generics.map((g) => (
            <div key={g.generic_name} style={{ marginBottom: 8 }}>
              <b>{g.generic_name}</b> {g.dosage_form} {g.representative_spec} · {t('public.r.maxPrice')} {fmtUnitPrice(g.max_price)} · {t('public.r.validBids')} {g.valid_bids ?? '—'}
              <Table<Winner> size="small" bordered pagination={false} rowKey="enterprise" dataSource={g.winners} columns={[
                { title: t('public.r.rank'), dataIndex: 'rank', className: 'jc-num' },
                { title: t('public.r.enterprise'), dataIndex: 'enterprise' },
                { title: t('public.r.spec'), dataIndex: 'specification' },
                { title: t('public.r.packPrice'), dataIndex: 'pack_price', className: 'jc-num', render: (v: string | null) => fmtMoney(v) },
                { title: t('public.r.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v: string | null) => fmtUnitPrice(v) },
                { title: t('public.r.regions'), dataIndex: 'regions', render: (r: string[]) => r.join('、') || '—' },
              ]} />
            </div>
          ))}
        </Card></div>
      ))}
    </Space>
  );
}

interface PBid { generic_name: string; specification: string; pack_size: number; min_unit: string; product_code: string; enterprise: string; unit_price: string; pack_price: string; primary_regions: string[]; backup_regions: string[] }
interface PBatch { name: string; level: string; document_no: string; cycle_start: string; cycle_end: string; bids: PBid[] }

function WinningPrices({ batches }: { batches: PBatch[] }) {
  const { t } = useI18n();
  type Row = PBid & { batch: string; key: string };
  const rows: Row[] = batches.flatMap((b) => b.bids.map((x) => ({ ...x, batch: b.name, key: `${b.name}-${x.product_code}-${x.enterprise}` })));
  return (
    <Table<Row> size="small" bordered rowKey="key" dataSource={rows} pagination={{ pageSize: 50, hideOnSinglePage: true }} data-testid="public-prices" scroll={{ x: 'max-content' }} columns={[
      { title: t('public.p.batch'), dataIndex: 'batch' },
      { title: t('public.r.generic'), key: 'g', render: (_, r) => <div><b>{r.generic_name}</b> {r.specification}×{r.pack_size}{r.min_unit}<div className="jc-muted">{r.product_code}</div></div> },
      { title: t('public.r.enterprise'), dataIndex: 'enterprise' },
      { title: t('public.r.packPrice'), dataIndex: 'pack_price', className: 'jc-num', render: (v: string | null) => fmtMoney(v) },
      { title: t('public.r.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v: string, r) => `${fmtUnitPrice(v)}/${r.min_unit}` },
      { title: t('public.p.primary'), dataIndex: 'primary_regions', render: (r: string[]) => r.join('、') || '—' },
      { title: t('public.p.backup'), dataIndex: 'backup_regions', render: (r: string[]) => r.join('、') || '—' },
    ]} />
  );
}

interface Rating {
  case_no: string; status: string; enterprises: { enterprise: string; role: string }[]; conduct: string; basis: string; document_no: string | null;
  decision_date: string; grade: string; grade_name_zh: string; grade_name_en: string; measures: string[]; effective_from: string | null;
  ends_on: string | null; distribution_until: string | null; repaired_on: string | null;
}

function CreditRatings({ ratings }: { ratings: Rating[] }) {
  const { t, tf, lang } = useI18n();
  return (
    <Table<Rating> size="small" bordered rowKey="case_no" dataSource={ratings} pagination={false} locale={{ emptyText: t('public.c.none') }} data-testid="public-ratings" scroll={{ x: 'max-content' }} columns={[
      { title: t('public.c.case'), dataIndex: 'case_no' },
      { title: t('public.c.enterprise'), key: 'e', render: (_, r) => r.enterprises.map((e) => `${e.enterprise}（${tf('credit.role.' + e.role, e.role)}）`).join('、') },
      { title: t('credit.conduct'), dataIndex: 'conduct', render: (c: string) => tf('credit.conduct.' + c, c) },
      { title: t('credit.basis'), key: 'b', render: (_, r) => <div>{tf('credit.basis.' + r.basis, r.basis)}<div className="jc-muted">{r.document_no ?? ''} {r.decision_date}</div></div> },
      { title: t('public.c.grade'), key: 'g', render: (_, r) => <Tag color={r.status === 'repaired' ? 'green' : 'red'} data-testid="public-grade" data-status={r.status}>{lang === 'zh' ? r.grade_name_zh : r.grade_name_en}</Tag> },
      { title: t('public.c.measures'), dataIndex: 'measures', render: (m: string[]) => m.map((x) => tf('credit.measure.' + x, x)).join('；') },
      { title: t('public.c.period'), key: 'p', render: (_, r) => `${r.effective_from ?? '—'} ~ ${r.ends_on ?? '—'}` },
      { title: t('credit.status'), key: 's', render: (_, r) => r.status === 'repaired' ? <span data-testid="public-repaired">{tf('credit.status.repaired', 'repaired')} {r.repaired_on}</span> : tf('credit.status.' + r.status, r.status) },
    ]} />
  );
}

interface Standard { generic_name: string; product_code: string; specification: string; pack_size: number; min_unit: string; enterprise: string; source: string; effective_from: string; branch: string; glide_year: number | null; product_price: string; standard: string; excess_per_unit: string }

function PaymentStandards({ standards }: { standards: Standard[] }) {
  const { t, tf } = useI18n();
  return (
    <Table<Standard> size="small" bordered rowKey={(r) => `${r.product_code}-${r.enterprise}`} dataSource={standards} pagination={{ pageSize: 50, hideOnSinglePage: true }} data-testid="public-standards" scroll={{ x: 'max-content' }} columns={[
      { title: t('public.r.generic'), key: 'g', render: (_, r) => <div><b>{r.generic_name}</b> {r.specification}×{r.pack_size}{r.min_unit}<div className="jc-muted">{r.product_code}</div></div> },
      { title: t('public.r.enterprise'), dataIndex: 'enterprise' },
      { title: t('public.s.price'), dataIndex: 'product_price', className: 'jc-num', render: (v: string | null) => fmtUnitPrice(v) },
      { title: t('public.s.standard'), dataIndex: 'standard', className: 'jc-num', render: (v: string) => <b>{fmtUnitPrice(v)}</b> },
      { title: t('public.s.excess'), dataIndex: 'excess_per_unit', className: 'jc-num', render: (v: string | null) => fmtUnitPrice(v) },
      { title: t('public.s.branch'), key: 'b', render: (_, r) => `${tf('standards.branch.' + r.branch, r.branch)}${r.glide_year ? ` · ${r.glide_year}` : ''}` },
      { title: t('credit.effectiveFrom'), dataIndex: 'effective_from' },
    ]} />
  );
}

function OpenData({ region }: { region: string }) {
  const { t } = useI18n();
  return (
    <Card size="small" title={t('public.o.title')}>
      <Typography.Paragraph>{t('public.o.text')}</Typography.Paragraph>
      <Button icon={<DownloadOutlined />} href={`/api/v1/ocds/bulk?region=${region}`} download={`jicai-ocds-${region}.json`} data-testid="ocds-bulk">{t('public.o.bulk')}</Button>
    </Card>
  );
}

function Document({ region, kind }: { region: string; kind: Kind }) {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const version = params.get('version');
  const doc = useAsync(() => getJson<PublicDocument<Record<string, unknown>>>(`/api/v1/public/regions/${region}/${kind}${version ? `?version=${version}` : ''}`), [region, kind, version]);
  if (doc.error) return <ErrorAlert error={doc.error} onRetry={doc.reload} />;
  // While another kind or region loads, the previous document is still at hand: not shown.
  if (!doc.data || doc.data.kind !== kind || doc.data.region_code !== region) return <Spin />;
  const d = doc.data;
  const c = d.content as Record<string, never>;
  return (
    <div data-testid={`public-${kind}`}>
      <Space style={{ marginBottom: 12 }} wrap>
        <span className="jc-muted" data-testid="public-version">{t('public.version', { version: d.version, as_of: d.as_of, at: fmtDateTime(d.published_at) })}</span>
        {d.versions.length > 1 ? (
          <Select size="small" style={{ width: 200 }} value={String(d.version)} onChange={(v) => setParams(v === String(d.versions[0].version) ? {} : { version: v })}
            options={d.versions.map((v, i) => ({ value: String(v.version), label: `${t('pub.version')} ${v.version} · ${v.as_of}${i === 0 ? ` (${t('public.latest')})` : ''}` }))} />
        ) : null}
      </Space>
      {d.note ? <Alert type="info" showIcon title={d.note} style={{ marginBottom: 12 }} /> : null}
      {kind === 'payment_timeliness' ? <Timeliness months={c.months} /> : null}
      {kind === 'tender_results' ? <TenderResults tenders={c.tenders} /> : null}
      {kind === 'winning_prices' ? <WinningPrices batches={c.batches} /> : null}
      {kind === 'credit_ratings' ? <CreditRatings ratings={c.ratings} /> : null}
      {kind === 'payment_standards' ? <PaymentStandards standards={c.standards} /> : null}
    </div>
  );
}

export default function PublicSite() {
  const { t, lang, setLang } = useI18n();
  const navigate = useNavigate();
  const { region: regionParam, kind: kindParam } = useParams();
  const regions = useAsync(() => getJson<Region[]>('/api/v1/public/regions'), []);
  const region = regionParam ?? regions.data?.[0]?.code;
  const current = regions.data?.find((r) => r.code === region);
  const kind = (kindParam ?? 'payment_timeliness') as Kind | 'open_data';
  const menu = [...KINDS.filter((k) => current?.published.some((p) => p.kind === k)), 'open_data' as const];
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ background: '#fff', borderBottom: '1px solid #e5e8ef', display: 'flex', alignItems: 'center', gap: 16, padding: '0 24px', height: 'auto', lineHeight: 1.4, paddingBlock: 10, flexWrap: 'wrap' }}>
        <div style={{ flex: 1, minWidth: 320 }}>
          <Typography.Title level={4} style={{ margin: 0 }} data-testid="public-title">{t('public.title')}</Typography.Title>
          <span className="jc-muted">{t('public.subtitle')}</span>
        </div>
        <Space wrap>
          {regions.data?.length ? (
            <Select style={{ width: 200 }} value={region} data-testid="public-region" onChange={(c) => navigate(`/public/${c}/${kind}`)}
              options={regions.data.map((r) => ({ value: r.code, label: `${r.name}（${r.code}）` }))} />
          ) : null}
          <Button size="small" icon={<TranslationOutlined />} onClick={() => setLang(lang === 'zh' ? 'en' : 'zh')} data-testid="lang-switch">{t('lang.switch')}</Button>
          <Link to="/login"><Button size="small" icon={<LoginOutlined />}>{t('public.signIn')}</Button></Link>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={200} theme="light" style={{ borderRight: '1px solid #e5e8ef' }}>
          <Menu mode="inline" selectedKeys={[kind]} data-testid="public-menu"
            items={menu.map((k) => ({ key: k, label: t(('public.kind.' + k) as never), onClick: () => navigate(`/public/${region}/${k}`) }))} />
        </Layout.Sider>
        <Layout.Content style={{ padding: 24 }}>
          {regions.error ? <ErrorAlert error={regions.error} onRetry={regions.reload} /> : null}
          {regions.loading && !regions.data ? <Spin /> : null}
          {regions.data && !regions.data.length ? <Empty description={t('public.noRegions')} /> : null}
          {region && current ? (
            <>
              <Typography.Title level={5} style={{ marginTop: 0 }}>{current.name} · {t(('public.kind.' + kind) as never)}</Typography.Title>
              {kind === 'open_data' ? <OpenData region={region} /> : <Document region={region} kind={kind} />}
            </>
          ) : null}
        </Layout.Content>
      </Layout>
    </Layout>
  );
}
