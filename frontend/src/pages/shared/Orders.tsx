import { PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, Select, Space, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap, type OrderSummary } from '../../api/client';
import { useMe } from '../../auth';
import { fmtDateTime, fmtMoney } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { ORDER_STATUSES, OrderStatusTag } from '../../components/tags';
import { DateRangeParam } from '../../components/DateRangeParam';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { OrderActions } from './OrderActions';

type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Orders as the caller may see them: a hospital its own, a supplier those addressed to it, a bureau its region's. */
export default function Orders() {
  const { t, tf } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = (params.get('status') ?? undefined) as OrderStatus | undefined;
  const orderNo = params.get('order_no') ?? '';
  const from = params.get('from') ?? undefined;
  const to = params.get('to') ?? undefined;
  const [reload, setReload] = useState(0);
  const set = (k: string, v?: string | null) => {
    const p = new URLSearchParams(params);
    if (v) p.set(k, v); else p.delete(k);
    setParams(p, { replace: true });
  };
  const isHospital = me.role === 'hospital_buyer';
  const isSupplier = me.role === 'supplier';

  const columns: TableColumnsType<OrderSummary> = [
    { title: t('field.orderNo'), dataIndex: 'order_no', render: (v, o) => <Link to={`/orders/${o.id}`} data-testid="order-link">{v}</Link> },
    { title: t('field.status'), dataIndex: 'status', render: (s, o) => (
      <span data-testid="order-status"><OrderStatusTag status={s} />{o.decline_reason
        ? <span className="jc-muted" title={o.decline_reason} style={{ display: 'inline-block', maxWidth: 140, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap', verticalAlign: 'middle' }}>{o.decline_reason}</span>
        : null}</span>
    ) },
    ...(isHospital ? [] : [{ title: t('field.hospital'), key: 'h', render: (_: unknown, o: OrderSummary) => o.hospital.name }]),
    ...(isSupplier ? [] : [{ title: t('field.supplier'), key: 's', render: (_: unknown, o: OrderSummary) => o.supplier.name }]),
    { title: t('field.totalAmount'), dataIndex: 'total_amount', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('field.lines'), dataIndex: 'line_count', className: 'jc-num' },
    { title: t('field.createdAt'), dataIndex: 'created_at', render: fmtDateTime },
    { title: t('field.updatedAt'), dataIndex: 'updated_at', render: fmtDateTime },
    {
      title: t('common.actions'), key: 'act', fixed: 'right',
      render: (_, o) => (
        <Space size={4}>
          <Link to={`/orders/${o.id}`}>{t('common.detail')}</Link>
          <OrderActions order={o} onDone={() => setReload((n) => n + 1)} compact />
        </Space>
      ),
    },
  ];

  return (
    <div>
      <PageTitle title={isSupplier ? t('menu.incomingOrders') : isHospital ? t('menu.orders') : t('order.list')}
        extra={isHospital ? <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/hospital/orders/new')}>{t('menu.newOrder')}</Button> : null} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.status')}>
          <Select allowClear style={{ width: 140 }} value={status} placeholder={t('common.all')} onChange={(v) => set('status', v)}
            options={ORDER_STATUSES.map((s) => ({ value: s, label: tf('orderStatus.' + s, s) }))} data-testid="filter-status" />
        </Form.Item>
        <Form.Item label={t('field.orderNo')}>
          <Input.Search allowClear defaultValue={orderNo} onSearch={(v) => set('order_no', v.trim())} style={{ width: 220 }} />
        </Form.Item>
        <Form.Item label={t('field.createdAt')}>
          <DateRangeParam />
        </Form.Item>
      </Form>
      <ServerTable<OrderSummary>
        testId="orders-table"
        columns={columns}
        locale={isSupplier && me.organization.is_manufacturer && !me.organization.is_distributor
          ? { emptyText: <div style={{ padding: 16 }} data-testid="orders-empty">{t('order.empty.manufacturer')}</div> } : undefined}
        deps={[status, orderNo, from, to, reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/orders', {
          params: { query: { page, per_page, status, order_no: orderNo || undefined, from, to } },
        }))}
      />
    </div>
  );
}
