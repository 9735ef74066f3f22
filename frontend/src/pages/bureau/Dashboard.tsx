import { Card, Col, Empty, Row, Space, Spin, Statistic, Table, Tag, Tooltip, Typography, type TableColumnsType } from 'antd';
import { useMemo, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap, type Ok, type PayableView } from '../../api/client';
import { serverToday } from '../../api/session';
import { EChart, type EChartOption } from '../../components/EChart';
import { ErrorAlert } from '../../components/errors';
import { fmtMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { ORDER_STATUSES } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type Summary = Ok<'/api/v1/settlement/summary', 'get'>;
type BatchSummary = Ok<'/api/v1/monitoring/summary', 'get'>[number];

const STATUS_COLORS: Record<string, string> = {
  submitted: '#faad14', confirmed: '#1677ff', partially_shipped: '#13c2c2', shipped: '#2f54eb',
  partially_accepted: '#722ed1', completed: '#52c41a', declined: '#f5222d', cancelled: '#bfbfbf',
};

/** Σ paid on time / Σ paid over the months, as "99.50" (integers only), or null when nothing is paid. */
function onTimeRate(months: Summary['months']): { rate: string | null; paid: number; onTime: number } {
  const paid = months.reduce((a, m) => a + m.paid, 0);
  const onTime = months.reduce((a, m) => a + m.paid_on_time, 0);
  if (paid === 0) return { rate: null, paid, onTime };
  const bp = Math.round((onTime * 10000) / paid); // basis points, rounded
  return { rate: `${Math.floor(bp / 100)}.${String(bp % 100).padStart(2, '0')}`, paid, onTime };
}

/** A card whose body waits for its data: a spinner, the API's error, or the chart. */
function ChartCard({ title, extra, loading, error, onRetry, empty, children }: {
  title: ReactNode; extra?: ReactNode; loading: boolean; error: unknown; onRetry: () => void; empty?: boolean; children: ReactNode;
}) {
  return (
    <Card size="small" title={title} extra={extra} style={{ marginBottom: 12 }}>
      {error ? <ErrorAlert error={error} onRetry={onRetry} />
        : loading ? <div style={{ height: 300, display: 'grid', placeItems: 'center' }}><Spin /></div>
          : empty ? <div style={{ height: 300, display: 'grid', placeItems: 'center' }}><Empty /></div>
            : children}
    </Card>
  );
}

export default function Dashboard() {
  const { t, tf, lang } = useI18n();
  const today = serverToday();
  // The API has no aggregate route for orders: one count per status (per_page=1, read `total`).
  const counts = useAsync(() => Promise.all(ORDER_STATUSES.map(async (status) => {
    const p = await unwrap(api.GET('/api/v1/orders', { params: { query: { status, per_page: 1 } } }));
    return { status, total: p.total };
  })), []);
  const settlement = useAsync(() => unwrap(api.GET('/api/v1/settlement/summary')), []);
  // Per batch: completion, pace (share of the agreement year gone) and winning share.
  const batches = useAsync(() => unwrap(api.GET('/api/v1/monitoring/summary', { params: { query: { as_of: today } } })), [today]);
  const overdue = useAsync(() => unwrap(api.GET('/api/v1/payables', { params: { query: { status: 'overdue', per_page: 10, sort: 'due_date' } } })), []);

  const statusOption = useMemo<EChartOption>(() => ({
    tooltip: { trigger: 'item' },
    grid: { left: 40, right: 16, top: 28, bottom: 40 },
    // English status names are long: tilted so that none overlaps its neighbour.
    xAxis: { type: 'category', data: (counts.data ?? []).map((c) => tf('orderStatus.' + c.status, c.status)), axisLabel: { interval: 0, fontSize: 11, rotate: lang === 'en' ? 30 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{
      type: 'bar', name: t('dash.orders'), barMaxWidth: 36, label: { show: true, position: 'top' },
      data: (counts.data ?? []).map((c) => ({ value: c.total, itemStyle: { color: STATUS_COLORS[c.status] } })),
    }],
  }), [counts.data, t, tf, lang]);

  const forecast = settlement.data?.forecast ?? [];
  const dueTotal = forecast.length ? forecast[forecast.length - 1].cumulative : '0.00';
  const dueOption = useMemo<EChartOption>(() => ({
    tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? '¥' + v.toLocaleString('en-US', { minimumFractionDigits: 2 }) : String(v)) },
    legend: { data: [t('dash.dueDay'), t('dash.cumulative')], bottom: 0 },
    grid: { left: 72, right: 72, top: 40, bottom: 56 },
    xAxis: { type: 'category', data: forecast.map((d) => d.date.slice(5)), axisLabel: { fontSize: 11 } },
    yAxis: [{ type: 'value', name: t('dash.dueDay') + ' ¥' }, { type: 'value', name: t('dash.cumulative') + ' ¥', splitLine: { show: false } }],
    series: [
      // Chart values only: the figures themselves stay decimal strings.
      { type: 'bar', name: t('dash.dueDay'), data: forecast.map((d) => Number(d.due)), itemStyle: { color: '#1f5fa8' }, barMaxWidth: 18 },
      { type: 'line', name: t('dash.cumulative'), yAxisIndex: 1, step: 'end', symbol: 'none', data: forecast.map((d) => Number(d.cumulative)), itemStyle: { color: '#fa8c16' }, areaStyle: { opacity: 0.08 } },
    ],
  }), [forecast, t]);

  const months = settlement.data?.months ?? [];
  const onTimeOption = useMemo<EChartOption>(() => ({
    tooltip: { trigger: 'axis' },
    legend: { data: [t('dash.onTimeRate'), t('dash.paidCount')], bottom: 0 },
    grid: { left: 48, right: 56, top: 40, bottom: 56 },
    xAxis: { type: 'category', data: months.map((m) => m.month), axisLabel: { fontSize: 11 } },
    yAxis: [{ type: 'value', name: '%', min: 0, max: 100 }, { type: 'value', minInterval: 1, splitLine: { show: false } }],
    series: [
      { type: 'bar', name: t('dash.paidCount'), yAxisIndex: 1, data: months.map((m) => m.paid), itemStyle: { color: '#bae0ff' }, barMaxWidth: 20 },
      {
        type: 'line', name: t('dash.onTimeRate'), connectNulls: false, itemStyle: { color: '#389e0d' },
        data: months.map((m) => (m.on_time_rate == null ? '-' : Number(m.on_time_rate))),
        label: { show: true, formatter: (p: { value: unknown }) => (typeof p.value === 'number' ? `${p.value}%` : ''), fontSize: 10 },
      },
    ],
  }), [months, t]);

  const batchOption = useMemo<EChartOption>(() => {
    const rows: BatchSummary[] = batches.data ?? [];
    const pct = (s: string | null | undefined) => (s == null ? '-' : Number(s));
    return {
      tooltip: { trigger: 'axis', valueFormatter: (v: unknown) => (typeof v === 'number' ? `${v}%` : '—') },
      legend: { data: [t('field.completion'), t('field.pace'), t('dash.winningShare')], bottom: 0 },
      grid: { left: 48, right: 16, top: 40, bottom: 72 },
      xAxis: { type: 'category', data: rows.map((b) => b.batch_name), axisLabel: { interval: 0, fontSize: 11, width: 150, overflow: 'break' } },
      yAxis: { type: 'value', name: '%', min: 0, max: 100 },
      series: [
        { type: 'bar', name: t('field.completion'), data: rows.map((b) => pct(b.completion_pct)), itemStyle: { color: '#fa8c16' }, barMaxWidth: 28, label: { show: true, position: 'top', formatter: '{c}%', fontSize: 10 } },
        { type: 'bar', name: t('field.pace'), data: rows.map((b) => pct(b.pace_pct)), itemStyle: { color: '#bfbfbf' }, barMaxWidth: 28, label: { show: true, position: 'top', formatter: '{c}%', fontSize: 10 } },
        { type: 'bar', name: t('dash.winningShare'), data: rows.map((b) => pct(b.winning_share_pct)), itemStyle: { color: '#52c41a' }, barMaxWidth: 28, label: { show: true, position: 'top', formatter: '{c}%', fontSize: 10 } },
      ],
    };
  }, [batches.data, t]);

  const rate = onTimeRate(months);
  // The latest month with a rate up to this one (next month's payables may be paid early: a
  // caption dated next month would read as a forecast).
  const thisMonth = (settlement.data?.as_of ?? '').slice(0, 7);
  const lastRated = [...months].reverse().find((m) => m.on_time_rate != null && m.month <= thisMonth);
  const s = settlement.data;
  const totalOrders = (counts.data ?? []).reduce((a, c) => a + c.total, 0);
  const behind = (batches.data ?? []).reduce((a, b) => a + b.hospitals_behind, 0);

  const overdueColumns: TableColumnsType<PayableView> = [
    { title: t('field.payableNo'), dataIndex: 'payable_no', render: (v, p) => <Link to={`/payables/${p.id}`} data-testid="overdue-payable">{v}</Link> },
    { title: t('field.hospital'), key: 'h', render: (_, p) => p.hospital.name },
    { title: t('field.supplier'), key: 's', render: (_, p) => p.supplier.name },
    { title: t('field.outstanding'), dataIndex: 'outstanding', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('field.dueDate'), dataIndex: 'due_date' },
    { title: t('dash.daysOverdue'), dataIndex: 'days_overdue', className: 'jc-num', render: (v) => <Tag color="red">{t('common.days', { n: v })}</Tag> },
    {
      title: t('dash.waitingOn'), key: 'delay',
      render: (_, p) => (
        <Space size={2} wrap>
          {(['supplier', 'hospital', 'fund'] as const).filter((k) => p.delay[k] > 0).map((k) => (
            <Tag key={k} color={k === 'fund' ? 'volcano' : 'default'}>{t(`dash.party.${k}`)} {p.delay[k]}</Tag>
          ))}
        </Space>
      ),
    },
  ];

  return (
    <div>
      <PageTitle title={t('dash.title')} extra={<Typography.Text type="secondary">{t('dash.asOf', { date: s?.as_of ?? today })}</Typography.Text>} />
      <Row gutter={12} style={{ marginBottom: 12 }} align="stretch">
        <Col xs={12} lg={4}><Card size="small" style={{ height: '100%' }}><Statistic title={t('dash.orders')} value={totalOrders} loading={counts.loading} /></Card></Col>
        <Col xs={12} lg={5}><Card size="small" style={{ height: '100%' }} data-testid="stat-on-time">
          <Tooltip title={t('dash.onTimeHelp', { onTime: rate.onTime, paid: rate.paid })}>
            <Statistic title={t('dash.onTimeRate')} value={rate.rate == null ? '—' : `${rate.rate}%`} loading={settlement.loading}
              styles={{ content: { color: rate.rate != null && rate.onTime < rate.paid ? '#cf1322' : '#389e0d' } }} />
          </Tooltip>
          {lastRated ? <div className="jc-muted" style={{ fontSize: 12 }}>{t('dash.lastMonthRate', { month: lastRated.month, rate: lastRated.on_time_rate ?? '—' })}</div> : null}
        </Card></Col>
        <Col xs={12} lg={5}><Card size="small" style={{ height: '100%' }} data-testid="stat-overdue"><Link to="/bureau/payables?status=overdue">
          <Statistic title={t('dash.overdue')} value={s ? `${s.overdue_count} · ${fmtMoney(s.overdue_amount)}` : '—'} loading={settlement.loading}
            styles={{ content: { color: (s?.overdue_count ?? 0) > 0 ? '#cf1322' : undefined } }} />
        </Link></Card></Col>
        <Col xs={12} lg={5}><Card size="small" style={{ height: '100%' }}><Statistic title={t('dash.dueTotal')} value={fmtMoney(dueTotal)} loading={settlement.loading} /></Card></Col>
        <Col xs={12} lg={5}><Card size="small" style={{ height: '100%' }}><Statistic title={t('dash.prepaymentReserved')} value={fmtMoney(s?.prepayment_reserved)} loading={settlement.loading} /></Card></Col>
      </Row>
      <Row gutter={12}>
        <Col xs={24} lg={12}>
          <ChartCard
            title={t('dash.completionByBatch')}
            extra={<Link to="/bureau/monitoring?behind_only=true">{t('dash.hospitalsBehind', { n: behind })}</Link>}
            loading={batches.loading && !batches.data} error={batches.error} onRetry={batches.reload} empty={batches.data?.length === 0}
          >
            <EChart option={batchOption} testId="chart-completion" />
          </ChartCard>
        </Col>
        <Col xs={24} lg={12}>
          <ChartCard title={t('dash.onTimeByMonth')} loading={settlement.loading && !s} error={settlement.error} onRetry={settlement.reload}>
            <EChart option={onTimeOption} testId="chart-ontime" />
          </ChartCard>
        </Col>
      </Row>
      <Row gutter={12}>
        <Col xs={24} lg={14}>
          <ChartCard title={`${t('dash.forecast30')}（${forecast[0]?.date ?? today} ~ ${forecast[forecast.length - 1]?.date ?? ''}）`}
            loading={settlement.loading && !s} error={settlement.error} onRetry={settlement.reload}>
            <EChart option={dueOption} testId="chart-due" />
          </ChartCard>
        </Col>
        <Col xs={24} lg={10}>
          <ChartCard title={t('dash.ordersByStatus')} loading={counts.loading && !counts.data} error={counts.error} onRetry={counts.reload}>
            <EChart option={statusOption} testId="chart-orders" />
          </ChartCard>
        </Col>
      </Row>
      <Card
        size="small"
        data-testid="overdue-list"
        title={<Space>{t('dash.overdueList')}{s ? <span className="jc-muted" style={{ fontWeight: 'normal', fontSize: 12 }} data-testid="overdue-days">
          {t('dash.overdueDays', { supplier: s.overdue_days.supplier, hospital: s.overdue_days.hospital, fund: s.overdue_days.fund })}
        </span> : null}</Space>}
        extra={<Link to="/bureau/payables?status=overdue" data-testid="overdue-all">{t('dash.viewAll', { n: overdue.data?.total ?? 0 })}</Link>}
      >
        {overdue.error ? <ErrorAlert error={overdue.error} onRetry={overdue.reload} /> : (
          <Table<PayableView> size="small" rowKey="id" pagination={false} loading={overdue.loading} columns={overdueColumns}
            dataSource={overdue.data?.items ?? []} scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('dash.noOverdue')} /> }} />
        )}
      </Card>
    </div>
  );
}
