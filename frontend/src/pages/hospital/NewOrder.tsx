import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useRef, useState } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { allBids, allListed, allowedSuppliers, bidAvailability, currentVolumes, listedSupplier } from '../../api/catalog';
import { api, newIdempotencyKey, unwrap, type AgreedVolumeView, type BidView, type ListedView } from '../../api/client';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert, useErrorText } from '../../components/errors';
import { fmtInt, fmtMoney, fmtUnitPrice, lineAmount, sumMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { KindTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

/** One orderable thing: a winning bid or a listed non-winning product. */
interface Source {
  key: string; // "bid:ID" | "listed:ID"
  kind: 'winning' | 'listed';
  bid?: BidView;
  listed?: ListedView;
  product: BidView['product'];
  unitPrice: string;
  packPrice: string;
  enterprise: string;
  suppliers: { id: string; name: string }[];
}

/** `packs` is the whole number typed, `null` while empty, `NaN` for anything else (never corrected). */
interface Line { key: number; source?: string; packs: number | null; packsText?: string }

/** Whole packs as typed: digits only; a sign, a decimal point or a letter is refused, not rounded. */
function parsePacks(text: string): number | null {
  const v = text.trim();
  if (v === '') return null;
  return /^\d{1,9}$/.test(v) ? Number(v) : NaN;
}

export default function NewOrder() {
  const { t } = useI18n();
  const me = useMe();
  const { message, modal } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const today = serverToday();
  const data = useAsync(async () => {
    const [bids, listed, volumes] = await Promise.all([allBids(), allListed(), currentVolumes(today)]);
    return { bids, listed, volumes };
  }, [today]);

  const sources = useMemo(() => {
    const m = new Map<string, Source>();
    for (const b of data.data?.bids ?? []) {
      m.set('bid:' + b.id, {
        key: 'bid:' + b.id, kind: 'winning', bid: b, product: b.product, unitPrice: b.unit_price, packPrice: b.pack_price,
        enterprise: b.enterprise_name, suppliers: allowedSuppliers(b),
      });
    }
    for (const l of data.data?.listed ?? []) {
      m.set('listed:' + l.id, {
        key: 'listed:' + l.id, kind: 'listed', listed: l, product: l.product, unitPrice: l.unit_price, packPrice: l.pack_price,
        enterprise: l.enterprise_name, suppliers: [listedSupplier(l)],
      });
    }
    return m;
  }, [data.data]);

  const initial = params.get('bid') ? 'bid:' + params.get('bid') : params.get('listed') ? 'listed:' + params.get('listed') : undefined;
  const [lines, setLines] = useState<Line[]>([{ key: 1, source: initial, packs: null }]);
  const [supplierId, setSupplierId] = useState<string>();
  const [note, setNote] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [apiError, setApiError] = useState<unknown>();
  const idemKey = useRef(newIdempotencyKey());
  const nextKey = useRef(2);

  // The supplier defaults to the first one allowed for the first chosen product.
  const firstSource = lines.map((l) => l.source && sources.get(l.source)).find(Boolean);
  const supplier = supplierId ?? (firstSource ? firstSource.suppliers[0]?.id : undefined);

  const supplierOptions = useMemo(() => {
    const m = new Map<string, string>();
    for (const s of sources.values()) for (const x of s.suppliers) m.set(x.id, x.name);
    return [...m].map(([value, label]) => ({ value, label })).sort((a, b) => a.label.localeCompare(b.label));
  }, [sources]);

  const volumeOf = (s?: Source): AgreedVolumeView | undefined => (s?.bid ? data.data?.volumes.get(s.bid.id) : undefined);

  /** What the API would refuse, said before sending. */
  const lineErrors = (l: Line, i: number): string[] => {
    const errs: string[] = [];
    const s = l.source ? sources.get(l.source) : undefined;
    if (!s) return [t('order.pickProduct')];
    if (l.packs != null && Number.isNaN(l.packs)) errs.push(t('order.err.packsFormat', { text: l.packsText ?? '' }));
    else if (l.packs == null || !Number.isInteger(l.packs) || l.packs <= 0) errs.push(t('order.err.packs'));
    if (lines.findIndex((o) => o.source === l.source) !== i) errs.push(t('order.err.duplicate'));
    if (s.bid) {
      const a = bidAvailability(s.bid, me, today);
      if (a === 'outside_cycle') errs.push(t('order.err.cycle', { batch: s.bid.batch_name, from: s.bid.cycle_start, to: s.bid.cycle_end }));
      if (a === 'region_not_supplied') errs.push(t('order.err.region'));
    }
    if (supplier && !s.suppliers.some((x) => x.id === supplier)) {
      errs.push(t('order.err.supplier', { name: s.product.generic_name, allowed: s.suppliers.map((x) => x.name).join('、') }));
    }
    return errs;
  };
  const allErrors = lines.map(lineErrors);
  const valid = !!supplier && lines.length > 0 && allErrors.every((e) => e.length === 0);
  const amounts = lines.map((l) => {
    const s = l.source ? sources.get(l.source) : undefined;
    return s && l.packs && l.packs > 0 ? lineAmount(l.packs * s.product.pack_size, s.unitPrice) : '0.00';
  });
  /** Each line's quantity beyond the hospital's remaining agreed volume, with its amount. */
  const aboveVolume = lines.flatMap((l) => {
    const s = l.source ? sources.get(l.source) : undefined;
    const v = volumeOf(s);
    if (!s || !v || !l.packs || !(l.packs > 0)) return [];
    const above = l.packs * s.product.pack_size - Math.max(0, v.remaining_qty);
    return above > 0 ? [{ name: `${s.product.generic_name} ${s.product.specification}`, above, unit: s.product.min_unit, amount: lineAmount(above, s.unitPrice) }] : [];
  });

  const update = (key: number, patch: Partial<Line>) => setLines((ls) => ls.map((l) => (l.key === key ? { ...l, ...patch } : l)));

  const submit = () => {
    setSubmitted(true);
    setApiError(undefined);
    if (!valid || !supplier) return;
    if (aboveVolume.length === 0) {
      void send();
      return;
    }
    // Beyond the agreed volume: the quantity and amount above it, and an explicit confirmation.
    modal.confirm({
      title: t('order.aboveVolumeTitle'),
      width: 560,
      content: (
        <div data-testid="above-volume-confirm">
          <p>{t('order.aboveVolumeText')}</p>
          <ul style={{ paddingLeft: 20 }}>
            {aboveVolume.map((a) => (
              <li key={a.name}>{t('order.aboveVolumeLine', { name: a.name, n: fmtInt(a.above), unit: a.unit, amount: fmtMoney(a.amount) })}</li>
            ))}
          </ul>
        </div>
      ),
      okText: t('order.aboveVolumeOk'),
      okButtonProps: { danger: true, ...({ 'data-testid': 'above-volume-ok' } as Record<string, string>) },
      cancelText: t('order.aboveVolumeBack'),
      onOk: () => send(),
    });
  };

  const send = async () => {
    if (!supplier) return;
    setBusy(true);
    try {
      const order = await unwrap(api.POST('/api/v1/orders', {
        params: { header: { 'Idempotency-Key': idemKey.current } },
        body: {
          supplier_id: supplier,
          note: note.trim() || null,
          lines: lines.map((l) => {
            const s = sources.get(l.source!)!;
            return {
              winning_bid_id: s.bid?.id ?? null,
              listed_product_id: s.listed?.id ?? null,
              quantity: l.packs! * s.product.pack_size,
              unit_price: s.unitPrice,
            };
          }),
        },
      }));
      message.success(t('order.submitted', { no: order.order_no }));
      navigate(`/orders/${order.id}`);
    } catch (e) {
      setApiError(e);
      message.error(errorText(e));
      idemKey.current = newIdempotencyKey();
    } finally {
      setBusy(false);
    }
  };

  const productOptions = [
    {
      label: t('kind.winning'),
      options: [...sources.values()].filter((s) => s.kind === 'winning').map((s) => ({
        value: s.key,
        label: `${s.product.generic_name} ${s.product.specification}×${s.product.pack_size}${s.product.min_unit} · ${s.enterprise}`,
      })),
    },
    {
      label: t('kind.listed'),
      options: [...sources.values()].filter((s) => s.kind === 'listed').map((s) => ({
        value: s.key,
        label: `[${t('kind.listed')}] ${s.product.generic_name} ${s.product.specification}×${s.product.pack_size}${s.product.min_unit} · ${s.enterprise}`,
      })),
    },
  ];

  if (data.error) return <ErrorAlert error={data.error} onRetry={data.reload} />;

  return (
    <div>
      <PageTitle title={t('order.new')} />
      <Card size="small" loading={data.loading && !data.data}>
        <Descriptions size="small" column={2} style={{ marginBottom: 8 }}>
          <Descriptions.Item label={t('field.hospital')}>{me.organization.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.region')}>{me.region?.name ?? '—'}</Descriptions.Item>
        </Descriptions>
        <Space align="start" style={{ marginBottom: 12 }} wrap>
          <span style={{ lineHeight: '24px' }}>{t('order.supplier')}：</span>
          <Select style={{ width: 280 }} value={supplier} onChange={setSupplierId} options={supplierOptions} showSearch optionFilterProp="label"
            status={submitted && !supplier ? 'error' : undefined} data-testid="order-supplier" />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('order.supplierHelp')}</Typography.Text>
        </Space>
        <Table<Line>
          size="small" bordered pagination={false} rowKey="key" dataSource={lines} data-testid="order-lines" scroll={{ x: 'max-content' }}
          columns={[
            {
              title: t('order.product'), key: 'product', width: 420,
              render: (_, l, i) => {
                const s = l.source ? sources.get(l.source) : undefined;
                const errs = submitted || l.packs != null ? allErrors[i] : [];
                return (
                  <div>
                    <Select style={{ width: 400 }} value={l.source} placeholder={t('order.pickProduct')} options={productOptions}
                      showSearch optionFilterProp="label" onChange={(v) => update(l.key, { source: v })}
                      status={submitted && !s ? 'error' : undefined} data-testid={`line-product-${i}`} />
                    {s ? <div className="jc-muted" style={{ marginTop: 2 }}><KindTag kind={s.kind} />{s.product.code} · {s.product.dosage_form}</div> : null}
                    {errs.filter((e) => e !== t('order.pickProduct') || submitted).map((e) => (
                      <div key={e} style={{ color: '#cf1322', fontSize: 12 }} data-testid="line-error">{e}</div>
                    ))}
                  </div>
                );
              },
            },
            {
              title: t('field.unitPrice'), key: 'price', className: 'jc-num',
              render: (_, l) => {
                const s = l.source ? sources.get(l.source) : undefined;
                return s ? <div>{fmtUnitPrice(s.unitPrice)}/{s.product.min_unit}<div className="jc-muted">{fmtMoney(s.packPrice)}/{t('unit.pack')}</div></div> : '—';
              },
            },
            {
              title: t('field.packs'), key: 'packs',
              render: (_, l, i) => {
                const s = l.source ? sources.get(l.source) : undefined;
                return (
                  <div>
                    <Input inputMode="numeric" value={l.packsText ?? (l.packs == null ? '' : String(l.packs))} style={{ width: 110 }}
                      suffix={t('unit.pack')}
                      onChange={(e) => update(l.key, { packsText: e.target.value, packs: parsePacks(e.target.value) })}
                      status={(submitted || l.packs != null) && (l.packs == null || Number.isNaN(l.packs) || l.packs <= 0) ? 'error' : undefined}
                      data-testid={`line-packs-${i}`} />
                    <div className="jc-muted">{t('order.packsHelp')}{s ? ` · ${s.product.pack_size}${s.product.min_unit}/${t('unit.pack')}` : ''}</div>
                  </div>
                );
              },
            },
            {
              title: t('field.units'), key: 'units', className: 'jc-num',
              render: (_, l) => {
                const s = l.source ? sources.get(l.source) : undefined;
                return s && l.packs && l.packs > 0 ? <span data-testid="line-units">{fmtInt(l.packs * s.product.pack_size)} {s.product.min_unit}</span> : '—';
              },
            },
            {
              title: t('field.remaining'), key: 'vol', width: 230,
              render: (_, l) => {
                const s = l.source ? sources.get(l.source) : undefined;
                const v = volumeOf(s);
                if (!s || s.kind !== 'winning') return '—';
                if (!v) return <span className="jc-muted">{t('catalogue.noVolume')}</span>;
                const qty = (l.packs && l.packs > 0 ? l.packs : 0) * s.product.pack_size;
                const above = qty - Math.max(0, v.remaining_qty);
                return (
                  <div>
                    <div>{fmtInt(v.remaining_qty)} / {fmtInt(v.agreed_qty)} {v.min_unit}</div>
                    {qty > 0 && above > 0
                      ? <div style={{ color: '#d46b08', fontSize: 12 }}>{t('order.aboveVolumeWarn', { n: fmtInt(above), unit: v.min_unit })}</div>
                      : qty > 0 ? <div className="jc-muted">{t('order.remainingAfter', { n: fmtInt(v.remaining_qty - qty), unit: v.min_unit })}</div> : null}
                  </div>
                );
              },
            },
            { title: t('order.lineAmount'), key: 'amount', className: 'jc-num', render: (_, __, i) => fmtMoney(amounts[i]) },
            {
              title: '', key: 'del', width: 40,
              render: (_, l) => <Button type="text" danger icon={<DeleteOutlined />} disabled={lines.length === 1} onClick={() => setLines((ls) => ls.filter((x) => x.key !== l.key))} />,
            },
          ]}
          footer={() => (
            <Space style={{ width: '100%', justifyContent: 'space-between' }}>
              <Button icon={<PlusOutlined />} onClick={() => setLines((ls) => [...ls, { key: nextKey.current++, packs: null }])} data-testid="add-line">{t('order.addLine')}</Button>
              <span>{t('order.orderTotal')}：<b style={{ fontSize: 15 }} data-testid="order-total">{fmtMoney(sumMoney(amounts))}</b></span>
            </Space>
          )}
        />
        <Input.TextArea rows={2} maxLength={500} placeholder={t('common.note')} value={note} onChange={(e) => setNote(e.target.value)} style={{ marginTop: 12 }} />
        {submitted && !valid ? <Alert type="error" showIcon style={{ marginTop: 12 }} title={lines.length === 0 ? t('order.noLines') : allErrors.flat()[0] ?? t('order.supplier')} data-testid="order-invalid" /> : null}
        {apiError ? <div style={{ marginTop: 12 }}><ErrorAlert error={apiError} /></div> : null}
        <div style={{ marginTop: 12, textAlign: 'right' }}>
          <Space>
            <Tag>{t('order.orderTotal')} {fmtMoney(sumMoney(amounts))}</Tag>
            <Button type="primary" loading={busy} onClick={submit} data-testid="order-submit">{t('order.submit')}</Button>
          </Space>
        </div>
      </Card>
    </div>
  );
}
