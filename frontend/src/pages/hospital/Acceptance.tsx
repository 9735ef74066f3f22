import { CheckCircleFilled, CloseCircleFilled } from '@ant-design/icons';
import { Alert, App, Button, Card, Descriptions, Form, Input, Modal, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, newIdempotencyKey, unwrap, type DeliveryLineView, type DeliveryView } from '../../api/client';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert, useErrorText } from '../../components/errors';
import { daysBetween, fmtDateTime, fmtInt, fmtMoney, fmtPacks, fmtUnitPrice, lineAmount, sumMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { DeliveryStatusTag } from '../../components/tags';
import { useI18n, type MsgKey } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { NotFound } from '../NotFound';

/** Reasons a hospital rejects goods; the stored text is the Chinese one, as officials read it. */
const REASONS: { value: string; label: MsgKey }[] = [
  { value: '外包装破损', label: 'accept.reason.damaged' },
  { value: '近效期', label: 'accept.reason.nearExpiry' },
  { value: '数量不符', label: 'accept.reason.quantity' },
  { value: '质量问题', label: 'accept.reason.quality' },
];
const OTHER = '__other__';

/** Counts as typed: `NaN` for anything but a whole number (shown as an error, never corrected). */
interface Count { accepted: number | null; rejected: number | null; reason?: string; other: string; acceptedText?: string; rejectedText?: string }

function parseCount(text: string): number | null {
  const v = text.trim();
  if (v === '') return null;
  return /^\d{1,12}$/.test(v) ? Number(v) : NaN;
}

function initialCount(l: DeliveryLineView): Count {
  const r = l.reject_reason ?? undefined;
  const preset = r && REASONS.some((x) => x.value === r);
  return {
    accepted: l.accepted_qty ?? null,
    rejected: l.rejected_qty ?? null,
    reason: r ? (preset ? r : OTHER) : undefined,
    other: r && !preset ? r : '',
  };
}

/** Per line: what is wrong with the count, before anything is sent. */
function lineProblems(l: DeliveryLineView, c: Count, t: (k: MsgKey, v?: Record<string, string | number>) => string): string[] {
  const out: string[] = [];
  const a = c.accepted ?? 0;
  const r = c.rejected ?? 0;
  if (c.accepted == null && c.rejected == null) return [t('error.lines_incomplete')];
  for (const [v, text] of [[c.accepted, c.acceptedText], [c.rejected, c.rejectedText]] as const) {
    if (v != null && Number.isNaN(v)) return [t('accept.err.format', { text: text ?? '', unit: l.product.min_unit })];
  }
  if (a < 0 || r < 0 || !Number.isInteger(a) || !Number.isInteger(r) || a + r !== l.quantity) {
    out.push(t('accept.err.arith', { a, r, s: l.quantity }));
  }
  if (r > 0 && !c.reason) out.push(t('accept.err.reason'));
  if (r > 0 && c.reason === OTHER && !c.other.trim()) out.push(t('accept.err.reasonText'));
  return out;
}

export default function Acceptance() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const me = useMe();
  const res = useAsync(() => unwrap(api.GET('/api/v1/deliveries/{id}', { params: { path: { id } } })), [id]);
  if (res.error instanceof ApiError && res.error.status === 404) return <NotFound />;
  if (res.error) return <ErrorAlert error={res.error} onRetry={res.reload} />;
  if (!res.data) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /> {t('common.loading')}</div>;
  const editable = me.role === 'hospital_buyer' && res.data.acceptance?.status !== 'confirmed';
  return <AcceptanceForm key={res.data.id + (res.data.acceptance?.status ?? '')} delivery={res.data} editable={editable} onSaved={res.reload} />;
}

function AcceptanceForm({ delivery: d, editable, onSaved }: { delivery: DeliveryView; editable: boolean; onSaved: () => void }) {
  const { t, lang } = useI18n();
  const { message } = App.useApp();
  const errorText = useErrorText();
  const navigate = useNavigate();
  const today = serverToday();
  const [counts, setCounts] = useState<Record<string, Count>>(() => Object.fromEntries(d.lines.map((l) => [l.id, initialCount(l)])));
  const [receivedBy, setReceivedBy] = useState(d.acceptance?.received_by ?? '');
  const [deliveredBy, setDeliveredBy] = useState(d.acceptance?.delivered_by ?? '');
  const [note, setNote] = useState(d.acceptance?.note ?? '');
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState<false | 'draft' | 'confirm'>(false);
  const [apiError, setApiError] = useState<unknown>();
  const [confirming, setConfirming] = useState(false);
  const idem = useRef(newIdempotencyKey());
  // The due date the payable will get, as the server computes it under the rule in force today.
  const due = useAsync(() => (editable ? unwrap(api.GET('/api/v1/policies/due-date', { params: { query: { accepted_on: today } } })) : Promise.resolve(null)), [editable, today]);
  useEffect(() => setApiError(undefined), [counts, receivedBy, deliveredBy]);

  const problems = useMemo(() => Object.fromEntries(d.lines.map((l) => [l.id, lineProblems(l, counts[l.id], t)])), [d.lines, counts, t]);
  const peopleOk = receivedBy.trim() !== '' && deliveredBy.trim() !== '' && receivedBy.trim().length <= 50 && deliveredBy.trim().length <= 50;
  const allOk = peopleOk && d.lines.every((l) => problems[l.id].length === 0);
  const accepted = d.lines.map((l) => lineAmount(counts[l.id].accepted ?? 0, l.unit_price));
  const set = (lineId: string, patch: Partial<Count>) => setCounts((c) => ({ ...c, [lineId]: { ...c[lineId], ...patch } }));

  const send = async (confirm: boolean) => {
    setTried(true);
    if (!allOk) {
      message.error(!peopleOk ? t('accept.err.people') : d.lines.flatMap((l) => problems[l.id])[0]);
      return;
    }
    setBusy(confirm ? 'confirm' : 'draft');
    const body = {
      received_by: receivedBy.trim(),
      delivered_by: deliveredBy.trim(),
      note: note.trim() || null,
      confirm,
      lines: d.lines.map((l) => {
        const c = counts[l.id];
        const rejected = c.rejected ?? 0;
        return {
          delivery_line_id: l.id,
          accepted_qty: c.accepted ?? 0,
          rejected_qty: rejected,
          reject_reason: rejected > 0 ? (c.reason === OTHER ? c.other.trim() : c.reason ?? null) : null,
        };
      }),
    };
    try {
      const path = { params: { path: { id: d.id } } };
      if (d.acceptance?.status === 'draft') {
        await unwrap(api.PUT('/api/v1/deliveries/{id}/acceptance', { ...path, body }));
      } else {
        await unwrap(api.POST('/api/v1/deliveries/{id}/acceptance', {
          params: { path: { id: d.id }, header: { 'Idempotency-Key': idem.current } }, body,
        }));
      }
      message.success(confirm ? t('accept.confirmedOk') : t('accept.draftSaved'));
      setConfirming(false);
      onSaved();
    } catch (e) {
      idem.current = newIdempotencyKey();
      setApiError(e);
      message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const reasonOptions = [
    ...REASONS.map((r) => ({ value: r.value, label: lang === 'zh' ? r.value : `${t(r.label)} (${r.value})` })),
    { value: OTHER, label: t('accept.reason.other') },
  ];
  const a = d.acceptance;

  return (
    <div data-testid="acceptance">
      <PageTitle title={t('accept.title', { no: d.delivery_no })} extra={<Button onClick={() => navigate(-1)}>{t('common.back')}</Button>} />
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('field.orderNo')}><Link to={`/orders/${d.order_id}`}>{d.order_no}</Link></Descriptions.Item>
          <Descriptions.Item label={t('field.supplier')}>{d.supplier.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.hospital')}>{d.hospital.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.status')}><span data-testid="delivery-status"><DeliveryStatusTag status={d.status} acceptance={a?.status} /></span></Descriptions.Item>
          <Descriptions.Item label={t('field.shippedAt')}>{fmtDateTime(d.shipped_at)}</Descriptions.Item>
          <Descriptions.Item label={t('field.acceptanceDate')}>{a?.acceptance_date ?? '—'}</Descriptions.Item>
          {a?.accepted_amount ? <Descriptions.Item label={t('field.amount')}><b>{fmtMoney(a.accepted_amount)}</b></Descriptions.Item> : null}
          {d.note ? <Descriptions.Item label={t('common.note')}>{d.note}</Descriptions.Item> : null}
        </Descriptions>
      </Card>
      {a?.status === 'confirmed'
        ? <Alert type="success" showIcon title={t('accept.final')} style={{ marginBottom: 12 }} data-testid="acceptance-final" />
        : editable ? <Alert type="info" showIcon title={a?.status === 'draft' ? t('accept.draftExists') : t('accept.help')} style={{ marginBottom: 12 }} /> : null}

      <Card size="small" title={t('delivery.lines')} extra={editable ? (
        <Button size="small" onClick={() => setCounts(Object.fromEntries(d.lines.map((l) => [l.id, { accepted: l.quantity, rejected: 0, reason: undefined, other: '', acceptedText: undefined, rejectedText: undefined }])))} data-testid="accept-all">
          {t('accept.acceptAll')}
        </Button>) : null}>
        <Table<DeliveryLineView>
          size="small" bordered pagination={false} rowKey="id" dataSource={d.lines} data-testid="acceptance-lines"
          rowClassName={(l) => (tried && problems[l.id].length ? 'jc-bad' : '')}
          columns={[
            { title: '#', dataIndex: 'line_no', width: 32 },
            { title: t('field.genericName'), key: 'p', render: (_, l) => <div><b>{l.product.generic_name}</b> {l.product.specification}×{l.product.pack_size}{l.product.min_unit}<div className="jc-muted">{l.product.code}</div></div> },
            {
              title: `${t('field.lotNo')} / ${t('field.expiryDate')}`, key: 'lot',
              render: (_, l) => {
                const left = daysBetween(today, l.expiry_date);
                return (
                  <div>
                    <Typography.Text code data-testid="lot-no">{l.lot_no}</Typography.Text>
                    <div className="jc-muted">{t('field.productionDate')} {l.production_date}</div>
                    <div className="jc-muted" data-testid="expiry-date">{t('field.expiryDate')} {l.expiry_date}
                      {left <= 180 ? <Tag color={left <= 0 ? 'red' : 'orange'} style={{ marginLeft: 4 }}>{t('accept.reason.nearExpiry')}</Tag> : null}</div>
                  </div>
                );
              },
            },
            { title: t('field.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v) => fmtUnitPrice(v) },
            { title: t('field.shipped'), dataIndex: 'quantity', className: 'jc-num', render: (q, l) => <span data-testid="shipped-qty">{fmtPacks(t, q, l.product.pack_size, l.product.min_unit)}</span> },
            {
              title: t('field.accepted'), key: 'acc',
              render: (_, l, i) => editable
                ? <Input inputMode="numeric" value={counts[l.id].acceptedText ?? (counts[l.id].accepted == null ? '' : String(counts[l.id].accepted))} style={{ width: 110 }} data-testid={`accepted-${i}`}
                    suffix={l.product.min_unit} onChange={(e) => set(l.id, { acceptedText: e.target.value, accepted: parseCount(e.target.value) })} />
                : <span className="jc-num">{fmtInt(l.accepted_qty)} {l.product.min_unit}</span>,
            },
            {
              title: t('field.rejected'), key: 'rej',
              render: (_, l, i) => editable
                ? <Input inputMode="numeric" value={counts[l.id].rejectedText ?? (counts[l.id].rejected == null ? '' : String(counts[l.id].rejected))} style={{ width: 110 }} data-testid={`rejected-${i}`}
                    suffix={l.product.min_unit} onChange={(e) => set(l.id, { rejectedText: e.target.value, rejected: parseCount(e.target.value) })} />
                : <span className="jc-num">{fmtInt(l.rejected_qty)} {l.product.min_unit}</span>,
            },
            {
              title: t('field.rejectReason'), key: 'reason', width: 200,
              render: (_, l, i) => {
                if (!editable) return l.reject_reason ?? '—';
                const c = counts[l.id];
                const needed = (c.rejected ?? 0) > 0;
                return (
                  <div>
                    <Select allowClear style={{ width: 180 }} value={c.reason} options={reasonOptions} disabled={!needed} data-testid={`reason-${i}`}
                      status={needed && !c.reason && tried ? 'error' : undefined} onChange={(v) => set(l.id, { reason: v })} placeholder={needed ? t('field.rejectReason') : '—'} />
                    {needed && c.reason === OTHER
                      ? <Input style={{ width: 180, marginTop: 4 }} maxLength={500} value={c.other} placeholder={t('accept.reasonOther')} data-testid={`reason-other-${i}`}
                          status={!c.other.trim() && tried ? 'error' : undefined} onChange={(e) => set(l.id, { other: e.target.value })} />
                      : null}
                  </div>
                );
              },
            },
            {
              title: editable ? '✓' : t('field.amount'), key: 'check', width: 210,
              render: (_, l, i) => {
                if (!editable) return <span className="jc-num">{fmtMoney(lineAmount(l.accepted_qty ?? 0, l.unit_price))}</span>;
                const p = problems[l.id];
                const c = counts[l.id];
                if (c.accepted == null && c.rejected == null) return <span className="jc-muted">—</span>;
                return p.length === 0
                  ? <span style={{ color: '#389e0d' }} data-testid={`check-${i}`}><CheckCircleFilled /> {t('accept.ok')} · {fmtMoney(accepted[i])}</span>
                  : <span style={{ color: '#cf1322' }} data-testid={`check-${i}`}>{p.map((x) => <div key={x}><CloseCircleFilled /> {x}</div>)}</span>;
              },
            },
          ]}
          summary={() => (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={8} align="right">{t('field.amount')}（{t('field.accepted')}）</Table.Summary.Cell>
              <Table.Summary.Cell index={1}><b data-testid="accepted-amount">{fmtMoney(editable ? sumMoney(accepted) : a?.accepted_amount ?? sumMoney(accepted))}</b></Table.Summary.Cell>
            </Table.Summary.Row>
          )}
        />
        {editable ? (
          <Form layout="inline" style={{ marginTop: 12, rowGap: 8 }}>
            <Form.Item label={t('field.receivedBy')} required validateStatus={tried && !receivedBy.trim() ? 'error' : undefined}>
              <Input value={receivedBy} maxLength={50} onChange={(e) => setReceivedBy(e.target.value)} style={{ width: 160 }} data-testid="received-by" />
            </Form.Item>
            <Form.Item label={t('field.deliveredBy')} required validateStatus={tried && !deliveredBy.trim() ? 'error' : undefined}>
              <Input value={deliveredBy} maxLength={50} onChange={(e) => setDeliveredBy(e.target.value)} style={{ width: 160 }} data-testid="delivered-by" />
            </Form.Item>
            <Form.Item label={t('common.note')}>
              <Input value={note} maxLength={500} onChange={(e) => setNote(e.target.value)} style={{ width: 280 }} />
            </Form.Item>
          </Form>
        ) : a ? (
          <Descriptions size="small" column={3} style={{ marginTop: 12 }}>
            <Descriptions.Item label={t('field.receivedBy')}>{a.received_by}</Descriptions.Item>
            <Descriptions.Item label={t('field.deliveredBy')}>{a.delivered_by}</Descriptions.Item>
            <Descriptions.Item label={t('common.note')}>{a.note ?? '—'}</Descriptions.Item>
          </Descriptions>
        ) : null}
        {tried && !allOk ? (
          <Alert type="error" showIcon style={{ marginTop: 12 }} data-testid="acceptance-invalid"
            title={!peopleOk ? t('accept.err.people') : d.lines.flatMap((l) => problems[l.id].map((p) => `#${l.line_no} ${p}`)).join('；')} />
        ) : null}
        {apiError ? <div style={{ marginTop: 12 }}><ErrorAlert error={apiError} /></div> : null}
        {editable ? (
          <div style={{ marginTop: 12, textAlign: 'right' }}>
            <Space>
              <Button loading={busy === 'draft'} disabled={!!busy} onClick={() => send(false)} data-testid="save-draft">{t('accept.saveDraft')}</Button>
              <Button type="primary" disabled={!!busy} data-testid="confirm-acceptance"
                onClick={() => { setTried(true); if (allOk) setConfirming(true); else message.error(!peopleOk ? t('accept.err.people') : d.lines.flatMap((l) => problems[l.id])[0]); }}>
                {t('accept.confirm')}
              </Button>
            </Space>
          </div>
        ) : null}
      </Card>
      <Modal open={confirming} title={t('accept.confirmTitle')} okText={t('accept.confirm')} cancelText={t('common.cancel')}
        okButtonProps={{ loading: busy === 'confirm', 'data-testid': 'confirm-ok' } as never} onCancel={() => setConfirming(false)} onOk={() => send(true)}>
        <p>{t('accept.confirmBody')}</p>
        <p>{t('field.amount')}：<b>{fmtMoney(sumMoney(accepted))}</b>
          {due.data ? <> · {t('field.acceptanceDate')} {due.data.accepted_on} · {t('field.dueDate')} <b data-testid="confirm-due-date">{due.data.due_date}</b></> : null}</p>
      </Modal>
    </div>
  );
}
