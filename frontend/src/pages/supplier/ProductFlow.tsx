import { Alert, Form, Select, Space, type TableColumnsType } from 'antd';
import { useMemo } from 'react';
import { useSearchParams } from 'react-router-dom';
import { api, unwrap, type FlowLine } from '../../api/client';
import { useMe } from '../../auth';
import { fmtInt, fmtMoney, fmtPacks } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { ServerTable } from '../../components/ServerTable';
import { OrderStatusTag, PayableStatusTag } from '../../components/tags';
import { DateRangeParam } from '../../components/DateRangeParam';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

/**
 * A winning manufacturer's products' flow (中选产品流向), read-only: the order lines hospitals
 * placed for its winning products, the distributor that carries each, what was shipped and
 * accepted, and whether the fund has paid the distributor. Nothing else of the distributor's
 * business: no other product, no payable's amount.
 */
export default function ProductFlow() {
  const { t } = useI18n();
  const me = useMe();
  const [params, setParams] = useSearchParams();
  const productId = params.get('product_id') ?? undefined;
  const distributorId = params.get('distributor_id') ?? undefined;
  const from = params.get('from') ?? undefined;
  const to = params.get('to') ?? undefined;
  const set = (k: string, v?: string) => { const p = new URLSearchParams(params); if (v) p.set(k, v); else p.delete(k); setParams(p, { replace: true }); };

  // The filters' choices: the caller's own winning bids, their products and distributors.
  const bids = useAsync(() => unwrap(api.GET('/api/v1/winning-bids', { params: { query: { per_page: 200 } } })), []);
  const own = useMemo(() => (bids.data?.items ?? []).filter((b) => b.enterprise_id === me.organization.id), [bids.data, me.organization.id]);
  const products = useMemo(() => [...new Map(own.map((b) => [b.product.id, `${b.product.generic_name} ${b.product.specification}`])).entries()], [own]);
  const distributors = useMemo(() => [...new Map(own.flatMap((b) => b.distributors.map((d) => [d.id, d.name] as const))).entries()], [own]);

  const columns: TableColumnsType<FlowLine> = [
    {
      title: t('field.orderNo'), dataIndex: 'order_no',
      render: (v, l) => <div style={{ whiteSpace: 'nowrap' }}>{v}<div className="jc-muted">{l.ordered_on}</div></div>,
    },
    { title: t('field.hospital'), key: 'h', render: (_, l) => l.hospital.name },
    { title: t('flow.distributor'), key: 'd', render: (_, l) => <span data-testid="flow-distributor">{l.distributor.name}</span> },
    { title: t('field.genericName'), key: 'p', render: (_, l) => <div>{l.product.generic_name}<div className="jc-muted">{l.product.specification}</div></div> },
    { title: t('flow.ordered'), key: 'q', className: 'jc-num', render: (_, l) => <span style={{ whiteSpace: 'nowrap' }}>{fmtPacks(t, l.quantity, l.product.pack_size, l.product.min_unit)}</span> },
    { title: t('flow.lineAmount'), dataIndex: 'amount', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('flow.accepted'), key: 'a', className: 'jc-num', render: (_, l) => <span style={{ whiteSpace: 'nowrap' }}>{fmtInt(l.accepted_qty)} {l.product.min_unit}</span> },
    { title: t('field.status'), dataIndex: 'order_status', render: (s) => <span style={{ whiteSpace: 'nowrap' }}><OrderStatusTag status={s} /></span> },
    {
      title: t('flow.payment'), key: 'pay',
      render: (_, l) => l.deliveries.length === 0 ? <span className="jc-muted">{t('flow.notShipped')}</span>
        : <Space size={4} wrap>{l.deliveries.map((d) => d.payment
          ? <PayableStatusTag key={d.delivery_no} status={d.payment.status} />
          : <span key={d.delivery_no} className="jc-muted">{t('flow.noPayable')}</span>)}</Space>,
    },
  ];
  // Each delivery of the line, with what was accepted of it and when the fund paid or pays.
  const deliveries = (l: FlowLine) => (
    <Space direction="vertical" size={2} style={{ paddingLeft: 8 }}>
      {l.deliveries.map((d) => (
        <span key={d.delivery_no} data-testid="flow-delivery">
          {d.delivery_no} · {t('flow.shippedQty', { qty: fmtInt(d.shipped_qty), unit: l.product.min_unit, date: d.shipped_on })}
          {d.accepted_qty != null ? ` · ${t('flow.acceptedQty', { qty: fmtInt(d.accepted_qty), unit: l.product.min_unit })}` : ''}
          {' · '}{d.payment ? <>
            {d.payment.payable_no} <PayableStatusTag status={d.payment.status} />
            <span className="jc-muted">{d.payment.paid_on ? t('flow.paidOn', { date: d.payment.paid_on }) : t('flow.dueBy', { date: d.payment.due_date })}</span>
          </> : <span className="jc-muted">{t('flow.noPayable')}</span>}
        </span>
      ))}
    </Space>
  );

  return (
    <div>
      <PageTitle title={t('menu.productFlow')} />
      <Alert type="info" showIcon style={{ marginBottom: 12 }} message={t('flow.help')} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.genericName')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={productId} placeholder={t('common.all')}
            onChange={(v) => set('product_id', v)} options={products.map(([value, label]) => ({ value, label }))} data-testid="flow-product" />
        </Form.Item>
        <Form.Item label={t('flow.distributor')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 220 }} value={distributorId} placeholder={t('common.all')}
            onChange={(v) => set('distributor_id', v)} options={distributors.map(([value, label]) => ({ value, label }))} data-testid="flow-distributor-filter" />
        </Form.Item>
        <Form.Item label={t('flow.orderedOn')}>
          <DateRangeParam />
        </Form.Item>
      </Form>
      <ServerTable<FlowLine>
        testId="flow-table"
        columns={columns}
        expandable={{ expandedRowRender: deliveries, rowExpandable: (l) => l.deliveries.length > 0 }}
        scroll={{}}
        expandAllRows
        deps={[productId, distributorId, from, to]}
        locale={{ emptyText: <div style={{ padding: 16 }} data-testid="flow-empty">{
          !me.organization.is_manufacturer ? t('flow.empty.notManufacturer')
            : productId || distributorId || from || to ? t('flow.empty.filtered') : t('flow.empty.none')
        }</div> }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/product-flow', {
          params: { query: { page, per_page, product_id: productId, distributor_id: distributorId, from, to } },
        }))}
      />
    </div>
  );
}
