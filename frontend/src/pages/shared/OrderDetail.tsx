import { Button, Card, Descriptions, Space, Spin, Table, Timeline, Typography } from 'antd';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, unwrap, type DeliveryView, type OrderLineView } from '../../api/client';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime, fmtInt, fmtMoney, fmtPacks, fmtUnitPrice } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { DeliveryStatusTag, KindTag, OrderStatusTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { NotFound } from '../NotFound';
import { OrderActions } from './OrderActions';

export default function OrderDetail() {
  const { id = '' } = useParams();
  const { t, tf } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const order = useAsync(() => unwrap(api.GET('/api/v1/orders/{id}', { params: { path: { id } } })), [id]);
  const deliveries = useAsync(
    () => unwrap(api.GET('/api/v1/deliveries', { params: { query: { order_id: id, per_page: 200 } } })),
    [id, order.data?.updated_at],
  );

  if (order.error instanceof ApiError && order.error.status === 404) return <NotFound />;
  if (order.error) return <ErrorAlert error={order.error} onRetry={order.reload} />;
  const o = order.data;
  if (!o) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /></div>;
  const openQty = o.lines.reduce((a, l) => a + l.open_qty, 0);
  const back = me.role === 'supplier' ? '/supplier/orders' : me.role === 'hospital_buyer' ? '/hospital/orders' : '/bureau/orders';

  return (
    <div data-testid="order-detail">
      <PageTitle
        title={<span>{t('order.detail')} <span data-testid="order-no">{o.order_no}</span></span>}
        extra={<Space><OrderActions order={o} onDone={order.reload} openQty={openQty} /><Button onClick={() => navigate(back)}>{t('common.back')}</Button></Space>}
      />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered>
          <Descriptions.Item label={t('field.status')}><span data-testid="order-status"><OrderStatusTag status={o.status} /></span></Descriptions.Item>
          <Descriptions.Item label={t('field.hospital')}>{o.hospital.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.supplier')}>{o.supplier.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.totalAmount')}><b>{fmtMoney(o.total_amount)}</b></Descriptions.Item>
          <Descriptions.Item label={t('field.createdAt')}>{fmtDateTime(o.created_at)}</Descriptions.Item>
          <Descriptions.Item label={t('field.updatedAt')}>{fmtDateTime(o.updated_at)}</Descriptions.Item>
          {o.note ? <Descriptions.Item label={t('common.note')} span={3}>{o.note}</Descriptions.Item> : null}
          {o.decline_reason ? <Descriptions.Item label={t('field.declineReason')} span={3}><Typography.Text type="danger">{o.decline_reason}</Typography.Text></Descriptions.Item> : null}
        </Descriptions>
      </Card>

      <Card size="small" title={t('order.lines')} style={{ marginBottom: 12 }}>
        <Table<OrderLineView>
          size="small" bordered pagination={false} rowKey="id" dataSource={o.lines} scroll={{ x: 'max-content' }} data-testid="order-lines"
          columns={[
            { title: '#', dataIndex: 'line_no', width: 36 },
            { title: t('field.genericName'), key: 'p', render: (_, l) => <div><b>{l.product.generic_name}</b> {l.product.specification}×{l.product.pack_size}{l.product.min_unit}<div className="jc-muted">{l.product.code}</div></div> },
            { title: t('field.kind'), dataIndex: 'kind', render: (k) => <KindTag kind={k} /> },
            { title: t('field.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v, l) => `${fmtUnitPrice(v)}/${l.product.min_unit}` },
            { title: t('field.quantity'), dataIndex: 'quantity', className: 'jc-num', render: (q, l) => fmtPacks(t, q, l.product.pack_size, l.product.min_unit) },
            { title: t('field.inVolume'), dataIndex: 'in_volume_qty', className: 'jc-num', render: fmtInt },
            { title: t('field.aboveVolume'), dataIndex: 'above_volume_qty', className: 'jc-num', render: (v) => (v > 0 ? <Typography.Text type="warning">{fmtInt(v)}</Typography.Text> : 0) },
            { title: t('field.shipped'), dataIndex: 'shipped_qty', className: 'jc-num', render: fmtInt },
            { title: t('field.inTransit'), dataIndex: 'in_transit_qty', className: 'jc-num', render: fmtInt },
            { title: t('field.accepted'), dataIndex: 'accepted_qty', className: 'jc-num', render: fmtInt },
            { title: t('field.rejected'), dataIndex: 'rejected_qty', className: 'jc-num', render: (v) => (v > 0 ? <Typography.Text type="danger">{fmtInt(v)}</Typography.Text> : 0) },
            { title: t('field.open'), dataIndex: 'open_qty', className: 'jc-num', render: fmtInt },
            { title: t('field.amount'), dataIndex: 'amount', className: 'jc-num', render: (v) => fmtMoney(v) },
          ]}
        />
      </Card>

      <div style={{ display: 'grid', gridTemplateColumns: 'minmax(0, 2fr) minmax(0, 1fr)', gap: 12 }}>
        <Card size="small" title={t('order.deliveries')}>
          {deliveries.error ? <ErrorAlert error={deliveries.error} onRetry={deliveries.reload} /> : null}
          <Table<DeliveryView>
            size="small" pagination={false} rowKey="id" loading={deliveries.loading} dataSource={deliveries.data?.items ?? []} data-testid="order-deliveries"
            columns={[
              { title: t('field.deliveryNo'), dataIndex: 'delivery_no', render: (v, d) => <Link to={`/deliveries/${d.id}`}>{v}</Link> },
              { title: t('field.status'), dataIndex: 'status', render: (s, d) => <DeliveryStatusTag status={s} acceptance={d.acceptance?.status} /> },
              { title: t('field.shippedAt'), dataIndex: 'shipped_at', render: fmtDateTime },
              { title: t('field.lotNo'), key: 'lots', render: (_, d) => d.lines.map((l) => l.lot_no).join(', ') },
              { title: t('field.acceptanceDate'), key: 'ad', render: (_, d) => d.acceptance?.acceptance_date ?? '—' },
              {
                title: t('common.actions'), key: 'act',
                render: (_, d) => me.role === 'hospital_buyer' && d.status === 'shipped'
                  ? <Button type="primary" size="small" onClick={() => navigate(`/deliveries/${d.id}`)} data-testid="delivery-accept">{t('delivery.accept')}</Button>
                  : <Link to={`/deliveries/${d.id}`}>{t('delivery.view')}</Link>,
              },
            ]}
          />
        </Card>
        <Card size="small" title={t('order.history')}>
          <Timeline
            data-testid="order-history"
            items={o.history.map((h) => ({
              color: h.to_status === 'declined' || h.to_status === 'cancelled' ? 'red' : h.to_status === 'completed' ? 'green' : 'blue',
              content: (
                <div>
                  <div>{h.from_status ? `${tf('orderStatus.' + h.from_status, h.from_status)} → ` : ''}<b>{tf('orderStatus.' + h.to_status, h.to_status)}</b></div>
                  <div className="jc-muted">{fmtDateTime(h.at)}{h.actor_name ? ` · ${h.actor_name}` : ''}{h.note ? ` · ${h.note}` : ''}</div>
                </div>
              ),
            }))}
          />
        </Card>
      </div>
    </div>
  );
}
