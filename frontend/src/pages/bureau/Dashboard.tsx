import { Card, Col, Row, Statistic } from 'antd';
import { useMemo } from 'react';
import { Link } from 'react-router-dom';
import { api, unwrap } from '../../api/client';
import { fetchAll } from '../../api/lists';
import { serverToday } from '../../api/session';
import { EChart, type EChartOption } from '../../components/EChart';
import { ErrorAlert } from '../../components/errors';
import { addDays, fmtMoney, sumMoney, toTenThousandths } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { isSettled, ORDER_STATUSES } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

const STATUS_COLORS: Record<string, string> = {
  submitted: '#faad14', confirmed: '#1677ff', partially_shipped: '#13c2c2', shipped: '#2f54eb',
  partially_accepted: '#722ed1', completed: '#52c41a', declined: '#f5222d', cancelled: '#bfbfbf',
};

export default function Dashboard() {
  const { t, tf } = useI18n();
  const today = serverToday();
  const end = addDays(today, 30);
  // The API has no aggregate route yet: one count per status (per_page=1, read `total`).
  const counts = useAsync(() => Promise.all(ORDER_STATUSES.map(async (status) => {
    const p = await unwrap(api.GET('/api/v1/orders', { params: { query: { status, per_page: 1 } } }));
    return { status, total: p.total };
  })), []);
  // Unsettled payables falling due in the next 30 days (the API filters by one status at a time).
  const due = useAsync(async () => (await fetchAll((page, per_page) => unwrap(api.GET('/api/v1/payables', {
    params: { query: { page, per_page, due_from: today, due_to: end, sort: 'due_date' } },
  })))).filter((p) => !isSettled(p.stage)), [today, end]);
  const overdue = useAsync(() => unwrap(api.GET('/api/v1/payables', { params: { query: { per_page: 1, status: 'overdue' } } })), []);

  const statusOption = useMemo<EChartOption>(() => ({
    tooltip: { trigger: 'item' },
    grid: { left: 40, right: 16, top: 16, bottom: 40 },
    xAxis: { type: 'category', data: (counts.data ?? []).map((c) => tf('orderStatus.' + c.status, c.status)), axisLabel: { interval: 0, fontSize: 11 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{
      type: 'bar', name: t('dash.orders'), barMaxWidth: 36, label: { show: true, position: 'top' },
      data: (counts.data ?? []).map((c) => ({ value: c.total, itemStyle: { color: STATUS_COLORS[c.status] } })),
    }],
  }), [counts.data, t, tf]);

  const dueByDay = useMemo(() => {
    const days = Array.from({ length: 31 }, (_, i) => addDays(today, i));
    const m = new Map(days.map((d) => [d, { amount: 0n, count: 0 }]));
    for (const p of due.data ?? []) {
      const e = m.get(p.due_date);
      if (e) { e.amount += toTenThousandths(p.outstanding); e.count += 1; }
    }
    return days.map((d) => ({ day: d, yuan: Number(m.get(d)!.amount) / 10000, count: m.get(d)!.count }));
  }, [due.data, today]);

  const dueOption = useMemo<EChartOption>(() => ({
    tooltip: { trigger: 'axis' },
    legend: { data: [t('field.amount'), t('dash.count')], top: 0 },
    grid: { left: 64, right: 40, top: 32, bottom: 40 },
    xAxis: { type: 'category', data: dueByDay.map((d) => d.day.slice(5)), axisLabel: { fontSize: 11 } },
    yAxis: [{ type: 'value', name: '¥' }, { type: 'value', name: t('dash.count'), minInterval: 1 }],
    series: [
      { type: 'bar', name: t('field.amount'), data: dueByDay.map((d) => d.yuan), itemStyle: { color: '#1f5fa8' }, barMaxWidth: 18 },
      { type: 'line', name: t('dash.count'), yAxisIndex: 1, data: dueByDay.map((d) => d.count), itemStyle: { color: '#fa8c16' } },
    ],
  }), [dueByDay, t]);

  const totalOrders = (counts.data ?? []).reduce((a, c) => a + c.total, 0);
  return (
    <div>
      <PageTitle title={t('dash.title')} />
      <Row gutter={12} style={{ marginBottom: 12 }}>
        <Col span={6}><Card size="small"><Statistic title={t('dash.orders')} value={totalOrders} loading={counts.loading} /></Card></Col>
        <Col span={6}><Card size="small"><Statistic title={t('dash.dueTotal')} value={fmtMoney(sumMoney((due.data ?? []).map((p) => p.outstanding)))} loading={due.loading} /></Card></Col>
        <Col span={6}><Card size="small"><Statistic title={`${t('dash.dueNext30')} · ${t('dash.count')}`} value={due.data?.length ?? 0} loading={due.loading} /></Card></Col>
        <Col span={6}><Card size="small"><Link to="/bureau/payables?status=overdue">
          <Statistic title={t('dash.overdue')} value={overdue.data?.total ?? 0} loading={overdue.loading} styles={{ content: { color: (overdue.data?.total ?? 0) > 0 ? '#cf1322' : undefined } }} />
        </Link></Card></Col>
      </Row>
      <Row gutter={12}>
        <Col xs={24} lg={10}>
          <Card size="small" title={t('dash.ordersByStatus')}>
            {counts.error ? <ErrorAlert error={counts.error} onRetry={counts.reload} /> : <EChart option={statusOption} testId="chart-orders" />}
          </Card>
        </Col>
        <Col xs={24} lg={14}>
          <Card size="small" title={`${t('dash.dueNext30')}（${today} ~ ${end}）`}>
            {due.error ? <ErrorAlert error={due.error} onRetry={due.reload} /> : <EChart option={dueOption} testId="chart-due" />}
          </Card>
        </Col>
      </Row>
    </div>
  );
}
