import { Button, Form, Select, type TableColumnsType } from 'antd';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap, type DeliveryView } from '../../api/client';
import { useMe } from '../../auth';
import { fmtDateTime, fmtMoney } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { DeliveryStatusTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

/** Delivery notes: a hospital accepts those awaiting acceptance; a supplier follows what it shipped. */
export default function Deliveries() {
  const { t } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const isHospital = me.role === 'hospital_buyer';
  const status = params.get('status') ?? (isHospital ? 'shipped' : undefined);
  const columns: TableColumnsType<DeliveryView> = [
    { title: t('field.deliveryNo'), dataIndex: 'delivery_no', render: (v, d) => <Link to={`/deliveries/${d.id}`}>{v}</Link> },
    { title: t('field.orderNo'), dataIndex: 'order_no', render: (v, d) => <Link to={`/orders/${d.order_id}`}>{v}</Link> },
    { title: t('field.status'), dataIndex: 'status', render: (s, d) => <DeliveryStatusTag status={s} acceptance={d.acceptance?.status} /> },
    isHospital
      ? { title: t('field.supplier'), key: 'o', render: (_, d) => d.supplier.name }
      : { title: t('field.hospital'), key: 'o', render: (_, d) => d.hospital.name },
    { title: t('field.genericName'), key: 'p', render: (_, d) => d.lines.map((l) => `${l.product.generic_name} ${l.quantity}${l.product.min_unit}`).join('；') },
    { title: t('field.lotNo'), key: 'lot', render: (_, d) => d.lines.map((l) => l.lot_no).join(', ') },
    { title: t('field.shippedAt'), dataIndex: 'shipped_at', render: fmtDateTime },
    { title: t('field.acceptanceDate'), key: 'ad', render: (_, d) => d.acceptance?.acceptance_date ?? '—' },
    { title: t('field.amount'), key: 'amt', className: 'jc-num', render: (_, d) => (d.acceptance?.accepted_amount ? fmtMoney(d.acceptance.accepted_amount) : '—') },
    {
      title: t('common.actions'), key: 'act',
      render: (_, d) => isHospital && d.status === 'shipped'
        ? <Button type="primary" size="small" onClick={() => navigate(`/deliveries/${d.id}`)} data-testid="delivery-accept">{t('delivery.accept')}</Button>
        : <Link to={`/deliveries/${d.id}`}>{t('delivery.view')}</Link>,
    },
  ];
  return (
    <div>
      <PageTitle title={isHospital ? t('menu.deliveries') : t('delivery.list')} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.status')}>
          <Select style={{ width: 160 }} value={status ?? 'all'} data-testid="filter-status"
            onChange={(v) => { const p = new URLSearchParams(params); p.set('status', v); setParams(p, { replace: true }); }}
            options={[
              { value: 'all', label: t('common.all') },
              { value: 'shipped', label: t('deliveryStatus.shipped') },
              { value: 'accepted', label: t('deliveryStatus.accepted') },
            ]} />
        </Form.Item>
      </Form>
      <ServerTable<DeliveryView>
        testId="deliveries-table"
        columns={columns}
        locale={me.role === 'supplier' && me.organization.is_manufacturer && !me.organization.is_distributor
          ? { emptyText: <div style={{ padding: 16 }} data-testid="deliveries-empty">{t('order.empty.manufacturer')}</div> } : undefined}
        deps={[status]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/deliveries', {
          params: { query: { page, per_page, status: status && status !== 'all' ? status : undefined } },
        }))}
      />
    </div>
  );
}
