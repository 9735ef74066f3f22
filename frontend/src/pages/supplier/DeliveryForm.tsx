import { Alert, App, Button, Card, DatePicker, Descriptions, Input, InputNumber, Space, Spin, Table } from 'antd';
import dayjs from 'dayjs';
import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, newIdempotencyKey, unwrap, type OrderLineView, type OrderView } from '../../api/client';
import { serverToday } from '../../api/session';
import { ErrorAlert, useErrorText } from '../../components/errors';
import { fmtInt, fmtPacks } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { OrderStatusTag } from '../../components/tags';
import { useI18n, type MsgKey } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { NotFound } from '../NotFound';

interface Ship { packs: number | null; lot: string; production?: string; expiry?: string }

export default function DeliveryForm() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const res = useAsync(() => unwrap(api.GET('/api/v1/orders/{id}', { params: { path: { id } } })), [id]);
  if (res.error instanceof ApiError && res.error.status === 404) return <NotFound />;
  if (res.error) return <ErrorAlert error={res.error} onRetry={res.reload} />;
  if (!res.data) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /> {t('common.loading')}</div>;
  return <Form order={res.data} />;
}

function Form({ order }: { order: OrderView }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const today = serverToday();
  const open = order.lines.filter((l) => l.open_qty > 0);
  const [ship, setShip] = useState<Record<string, Ship>>(() =>
    Object.fromEntries(open.map((l) => [l.id, { packs: l.open_qty / l.product.pack_size, lot: '' }])));
  const [note, setNote] = useState('');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<unknown>();
  const idem = useRef(newIdempotencyKey());
  const set = (lineId: string, patch: Partial<Ship>) => setShip((s) => ({ ...s, [lineId]: { ...s[lineId], ...patch } }));

  /** What the API would refuse for a line that ships something. */
  const problems = (l: OrderLineView): MsgKey[] => {
    const s = ship[l.id];
    if (!s.packs) return [];
    const out: MsgKey[] = [];
    if (!Number.isInteger(s.packs) || s.packs < 0) out.push('order.err.packs');
    if (s.packs * l.product.pack_size > l.open_qty) out.push('delivery.err.over');
    if (!s.lot.trim() || s.lot.trim().length > 40) out.push('delivery.err.lot');
    if (!s.production || !s.expiry || s.production > today || s.expiry <= s.production) out.push('delivery.err.dates');
    else if (s.expiry <= today) out.push('delivery.err.expired');
    return out;
  };
  const shipping = open.filter((l) => (ship[l.id].packs ?? 0) > 0);
  const allProblems = open.flatMap((l) => problems(l).map((p) => `#${l.line_no} ${t(p, { open: fmtInt(l.open_qty) })}`));
  const valid = shipping.length > 0 && allProblems.length === 0;

  const submit = async () => {
    setTried(true);
    setApiError(undefined);
    if (!valid) return;
    setBusy(true);
    try {
      const d = await unwrap(api.POST('/api/v1/deliveries', {
        params: { header: { 'Idempotency-Key': idem.current } },
        body: {
          order_id: order.id,
          note: note.trim() || null,
          lines: shipping.map((l) => {
            const s = ship[l.id];
            return { order_line_id: l.id, quantity: s.packs! * l.product.pack_size, lot_no: s.lot.trim(), production_date: s.production!, expiry_date: s.expiry! };
          }),
        },
      }));
      message.success(t('delivery.created', { no: d.delivery_no }));
      navigate(`/orders/${order.id}`);
    } catch (e) {
      idem.current = newIdempotencyKey();
      setApiError(e);
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div data-testid="delivery-form">
      <PageTitle title={t('delivery.forOrder', { no: order.order_no })} extra={<Button onClick={() => navigate(-1)}>{t('common.back')}</Button>} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={3}>
          <Descriptions.Item label={t('field.orderNo')}><Link to={`/orders/${order.id}`}>{order.order_no}</Link></Descriptions.Item>
          <Descriptions.Item label={t('field.hospital')}>{order.hospital.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.status')}><OrderStatusTag status={order.status} /></Descriptions.Item>
        </Descriptions>
      </Card>
      {open.length === 0 ? <Alert type="info" showIcon title={t('delivery.nothingOpen')} /> : (
        <Card size="small" title={t('delivery.new')}>
          <Table<OrderLineView>
            size="small" bordered pagination={false} rowKey="id" dataSource={open} scroll={{ x: 'max-content' }} data-testid="delivery-lines"
            rowClassName={(l) => (tried && problems(l).length ? 'jc-bad' : '')}
            columns={[
              { title: '#', dataIndex: 'line_no', width: 32 },
              { title: t('field.genericName'), key: 'p', render: (_, l) => <div><b>{l.product.generic_name}</b> {l.product.specification}×{l.product.pack_size}{l.product.min_unit}<div className="jc-muted">{l.product.code}</div></div> },
              { title: t('field.quantity'), dataIndex: 'quantity', className: 'jc-num', render: (q, l) => fmtPacks(t, q, l.product.pack_size, l.product.min_unit) },
              { title: t('field.open'), dataIndex: 'open_qty', className: 'jc-num', render: (q, l) => fmtPacks(t, q, l.product.pack_size, l.product.min_unit) },
              {
                title: t('field.packs'), key: 'packs',
                render: (_, l, i) => {
                  const s = ship[l.id];
                  return (
                    <div>
                      <InputNumber min={0} max={l.open_qty / l.product.pack_size} precision={0} value={s.packs} style={{ width: 100 }} data-testid={`ship-packs-${i}`}
                        status={tried && problems(l).some((p) => p === 'delivery.err.over' || p === 'order.err.packs') ? 'error' : undefined}
                        onChange={(v) => set(l.id, { packs: v == null ? null : Number(v) })} />
                      <div className="jc-muted">= {fmtInt((s.packs ?? 0) * l.product.pack_size)} {l.product.min_unit} · {t('delivery.qtyHelp', { open: fmtInt(l.open_qty / l.product.pack_size) })}</div>
                    </div>
                  );
                },
              },
              {
                title: t('field.lotNo'), key: 'lot',
                render: (_, l, i) => <Input value={ship[l.id].lot} maxLength={40} style={{ width: 130 }} data-testid={`ship-lot-${i}`}
                  status={tried && problems(l).includes('delivery.err.lot') ? 'error' : undefined} onChange={(e) => set(l.id, { lot: e.target.value })} />,
              },
              {
                title: t('field.productionDate'), key: 'pd',
                render: (_, l, i) => <DatePicker value={ship[l.id].production ? dayjs(ship[l.id].production) : null} data-testid={`ship-production-${i}`}
                  disabledDate={(d) => d.format('YYYY-MM-DD') > today}
                  status={tried && problems(l).includes('delivery.err.dates') ? 'error' : undefined}
                  onChange={(_, s) => set(l.id, { production: (s as string) || undefined })} />,
              },
              {
                title: t('field.expiryDate'), key: 'ed',
                render: (_, l, i) => <DatePicker value={ship[l.id].expiry ? dayjs(ship[l.id].expiry) : null} data-testid={`ship-expiry-${i}`}
                  disabledDate={(d) => d.format('YYYY-MM-DD') <= today}
                  status={tried && problems(l).some((p) => p === 'delivery.err.dates' || p === 'delivery.err.expired') ? 'error' : undefined}
                  onChange={(_, s) => set(l.id, { expiry: (s as string) || undefined })} />,
              },
              {
                title: '✓', key: 'check', width: 180,
                render: (_, l) => {
                  const p = problems(l);
                  return p.length ? <span style={{ color: '#cf1322', fontSize: 12 }}>{p.map((x) => <div key={x}>{t(x, { open: fmtInt(l.open_qty) })}</div>)}</span> : null;
                },
              },
            ]}
          />
          <Input.TextArea rows={2} maxLength={500} placeholder={t('common.note')} value={note} onChange={(e) => setNote(e.target.value)} style={{ marginTop: 12 }} />
          {tried && !valid ? <Alert type="error" showIcon style={{ marginTop: 12 }} data-testid="delivery-invalid" title={shipping.length === 0 ? t('delivery.noLines') : allProblems.join('；')} /> : null}
          {apiError ? <div style={{ marginTop: 12 }}><ErrorAlert error={apiError} /></div> : null}
          <div style={{ marginTop: 12, textAlign: 'right' }}>
            <Space><Button type="primary" loading={busy} onClick={submit} data-testid="delivery-submit">{t('delivery.submit')}</Button></Space>
          </div>
        </Card>
      )}
    </div>
  );
}
