import { CheckOutlined, DeleteOutlined, ExclamationCircleOutlined, PlusOutlined } from '@ant-design/icons';
import {
  Alert, App, Button, Card, DatePicker, Descriptions, Form, Input, Modal, Popconfirm, Space, Spin, Steps, Table, Tag, Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, newIdempotencyKey, unwrap, type Ok, type PayableView } from '../../api/client';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { useAction } from '../../components/useAction';
import { fmtDateTime, fmtMoney, sumMoney, toTenThousandths } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { moneyPattern } from '../../components/refs';
import { Countdown, DelayTags, PayableItems, PayableStatusTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { NotFound } from '../NotFound';

type InvoiceView = Ok<'/api/v1/payables/{id}/invoices', 'get'>[number];

/** A money amount typed by a user: digits with at most two decimals ("388.89"). */
export const MONEY_RE = moneyPattern(2);

/**
 * One payable: where it stands on the way to payment (stage dates, overdue days and whom they
 * are attributed to), its invoices, and what the caller may do next: the supplier invoices, the
 * hospital confirms or disputes, either side resolves a dispute.
 */
export default function PayableDetail() {
  const { id = '' } = useParams();
  const { t, tf } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const payable = useAsync(() => unwrap(api.GET('/api/v1/payables/{id}', { params: { path: { id } } })), [id]);
  const invoices = useAsync(
    () => unwrap(api.GET('/api/v1/payables/{id}/invoices', { params: { path: { id } } })),
    [id, payable.data?.stage],
  );

  if (payable.error instanceof ApiError && payable.error.status === 404) return <NotFound />;
  if (payable.error) return <ErrorAlert error={payable.error} onRetry={payable.reload} />;
  const p = payable.data;
  if (!p) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /></div>;
  const officer = me.role === 'fund_officer' || me.role === 'bureau_officer' || me.role === 'admin';

  return (
    <div data-testid="payable-detail">
      <PageTitle
        title={<span>{t('payable.detail')} <span data-testid="payable-no">{p.payable_no}</span></span>}
        extra={<Button onClick={() => navigate(-1)}>{t('common.back')}</Button>}
      />
      <Card size="small" style={{ marginBottom: 12 }}>
        <StageSteps p={p} />
      </Card>
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered>
          <Descriptions.Item label={t('field.status')}><span data-testid="payable-status"><PayableStatusTag status={p.status} /></span></Descriptions.Item>
          <Descriptions.Item label={t('payable.countdown')}><Countdown days={p.days_remaining} stage={p.stage} paidOn={p.paid_on} /></Descriptions.Item>
          <Descriptions.Item label={t('field.dueDate')}><b>{p.due_date}</b></Descriptions.Item>
          <Descriptions.Item label={t('field.amount')}><b data-testid="payable-amount">{fmtMoney(p.amount)}</b></Descriptions.Item>
          <Descriptions.Item label={t('field.outstanding')}>{fmtMoney(p.outstanding)}</Descriptions.Item>
          <Descriptions.Item label={t('payable.paidAmount')}>{fmtMoney(p.paid_amount)}</Descriptions.Item>
          <Descriptions.Item label={t('field.hospital')}>{p.hospital.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.supplier')}>{p.supplier.name}</Descriptions.Item>
          <Descriptions.Item label={t('field.acceptanceDate')}>{p.acceptance_date}</Descriptions.Item>
          <Descriptions.Item label={t('field.orderNo')}><Link to={`/orders/${p.order_id}`} style={{ whiteSpace: 'nowrap' }}>{p.order_no}</Link></Descriptions.Item>
          <Descriptions.Item label={t('field.deliveryNo')}><Link to={`/deliveries/${p.delivery_id}`} style={{ whiteSpace: 'nowrap' }}>{p.delivery_no}</Link></Descriptions.Item>
          <Descriptions.Item label={t('payable.batch')}>
            <span data-testid="payable-batch">{p.batch ? (
              <Space size={4} wrap>
                {officer ? <Link to={`/payment-batches/${p.batch.id}`}>{p.batch.batch_no}</Link> : <b>{p.batch.batch_no}</b>}
                <Tag>{tf('batchStatus.' + p.batch.status, p.batch.status)}</Tag>
                {p.batch.prepared_on ? <span className="jc-muted">{t('payable.batchPrepared', { date: p.batch.prepared_on })}</span> : null}
                {p.batch.approved_on ? <span className="jc-muted">{t('payable.batchApproved', { date: p.batch.approved_on })}</span> : null}
              </Space>
            ) : '—'}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('payable.expectedBy')}>
            <span data-testid="expected-payment">{p.expected_payment_by ? t('payable.expectedByDate', { date: p.expected_payment_by }) : (p.paid_on ?? '—')}</span>
          </Descriptions.Item>
          <Descriptions.Item label={t('payable.items')} span={3}>
            <span data-testid="payable-items"><PayableItems items={p.items} /></span>
          </Descriptions.Item>
          <Descriptions.Item label={t('payable.paidOnLabel')}>{p.paid_on ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('payable.bankReference')}><span data-testid="bank-reference">{p.bank_reference ?? '—'}</span></Descriptions.Item>
          <Descriptions.Item label={t('payable.interest')}>{p.interest === '0.00' ? '—' : <Typography.Text type="danger">{fmtMoney(p.interest)}</Typography.Text>}</Descriptions.Item>
          <Descriptions.Item label={t('payable.overdueDays')} span={3}><DelayTags delay={p.delay} /></Descriptions.Item>
          {p.disputed_amount !== '0.00' || p.dispute_reason ? (
            <Descriptions.Item label={t('payable.dispute')} span={3}>
              <Space wrap>
                <Typography.Text type="danger">{fmtMoney(p.disputed_amount)}</Typography.Text>
                <span>{p.dispute_reason}</span>
                {p.dispute_resolution ? <Tag>{tf('dispute.' + p.dispute_resolution, p.dispute_resolution)} {p.dispute_resolved_on}</Tag> : null}
                {p.credited_amount !== '0.00' ? <span>{t('payable.credited')} {fmtMoney(p.credited_amount)}</span> : null}
              </Space>
            </Descriptions.Item>
          ) : null}
        </Descriptions>
      </Card>

      <HospitalDecision p={p} onDone={payable.reload} />
      <DisputeResolution p={p} onDone={payable.reload} />

      <Card size="small" title={t('invoice.title')} style={{ marginBottom: 12 }}>
        {invoices.error ? <ErrorAlert error={invoices.error} onRetry={invoices.reload} /> : null}
        {(invoices.data?.length ?? 0) > 0 || p.stage !== 'awaiting_invoice' || me.role !== 'supplier' ? (
          <Table<InvoiceView>
            size="small" bordered pagination={false} rowKey="id" loading={invoices.loading} dataSource={invoices.data ?? []} data-testid="invoices"
            columns={[
              { title: t('invoice.no'), dataIndex: 'invoice_no' },
              { title: t('invoice.date'), dataIndex: 'invoice_date' },
              { title: t('invoice.amount'), dataIndex: 'amount', className: 'jc-num', render: (v) => fmtMoney(v) },
              { title: t('invoice.tax'), dataIndex: 'tax_amount', className: 'jc-num', render: (v) => fmtMoney(v) },
              { title: t('invoice.createdAt'), dataIndex: 'created_at', render: fmtDateTime },
            ]}
          />
        ) : null}
        {me.role === 'supplier' && p.stage === 'awaiting_invoice' ? <InvoiceForm p={p} onDone={payable.reload} /> : null}
      </Card>
    </div>
  );
}

/** The way to payment as steps, each with its date. */
function StageSteps({ p }: { p: PayableView }) {
  const { t } = useI18n();
  // The step each stage waits on (paid: the last, finished).
  const waitsOn: Record<string, number> = {
    awaiting_invoice: 1, awaiting_hospital_confirmation: 2, disputed: 2, confirmed: 3, in_batch: 4, approved: 5, paid: 5, nothing_due: 5,
  };
  const at = waitsOn[p.stage] ?? 0;
  const overdue = p.status === 'overdue';
  return (
    <Steps
      size="small"
      current={at}
      status={p.stage === 'disputed' || overdue ? 'error' : p.stage === 'paid' ? 'finish' : 'process'}
      items={[
        { title: t('step.accepted'), description: p.acceptance_date },
        { title: t('step.invoiced'), description: p.invoiced_on ?? '' },
        {
          title: p.stage === 'disputed' ? t('payableStatus.disputed') : t('step.confirmed'),
          description: p.confirmed_on
            ? `${p.confirmed_on}${p.confirmation ? ' · ' + t(p.confirmation === 'deemed' ? 'confirmation.deemed' : 'confirmation.explicit') : ''}`
            : p.confirm_deadline ? t('step.confirmBy', { date: p.confirm_deadline }) : '',
        },
        { title: t('step.inBatch'), description: p.batch?.prepared_on ?? '' },
        { title: t('step.approved'), description: p.batch?.approved_on ?? '' },
        { title: t('step.paid'), description: p.paid_on ?? t('step.dueOn', { date: p.due_date }) },
      ]}
    />
  );
}

/** The hospital confirms the invoiced amount, or disputes part of it, within its window. */
function HospitalDecision({ p, onDone }: { p: PayableView; onDone: () => void }) {
  const { t } = useI18n();
  const me = useMe();
  const { busy, error, run } = useAction();
  const [disputing, setDisputing] = useState(false);
  const [form] = Form.useForm<{ amount: string; reason: string }>();
  if (me.role !== 'hospital_buyer' || p.stage !== 'awaiting_hospital_confirmation') return null;

  const confirm = async () => {
    const ok = await run(() => unwrap(api.POST('/api/v1/payables/{id}/confirm', { params: { path: { id: p.id } } })), t('payable.confirmedMsg'));
    if (ok) onDone();
  };
  const dispute = async () => {
    let v: { amount: string; reason: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const ok = await run(
      () => unwrap(api.POST('/api/v1/payables/{id}/dispute', { params: { path: { id: p.id } }, body: { amount: v.amount, reason: v.reason.trim() } })),
      t('payable.disputedMsg'),
    );
    if (ok) {
      setDisputing(false);
      onDone();
    }
  };
  return (
    <Card size="small" title={t('payable.decision')} style={{ marginBottom: 12 }} data-testid="hospital-decision">
      {error ? <ErrorAlert error={error} /> : null}
      <Alert type="warning" showIcon style={{ marginBottom: 12 }} title={t('payable.decisionHelp', { date: p.confirm_deadline ?? '—', amount: fmtMoney(p.amount) })} />
      <Space>
        <Popconfirm title={t('payable.confirmQ', { amount: fmtMoney(p.amount) })} onConfirm={confirm} okButtonProps={{ 'data-testid': 'confirm-payable-ok' } as never}>
          <Button type="primary" icon={<CheckOutlined />} loading={busy} data-testid="confirm-payable">{t('payable.confirm')}</Button>
        </Popconfirm>
        <Button danger icon={<ExclamationCircleOutlined />} onClick={() => setDisputing(true)} data-testid="dispute-payable">{t('payable.disputeAction')}</Button>
      </Space>
      <Modal open={disputing} title={t('payable.disputeAction')} onCancel={() => setDisputing(false)} onOk={dispute} confirmLoading={busy}
        okText={t('common.submit')} cancelText={t('common.cancel')} destroyOnHidden okButtonProps={{ danger: true, 'data-testid': 'dispute-ok' } as never}>
        <Form form={form} layout="vertical">
          <Form.Item name="amount" label={t('payable.disputedAmount')} extra={t('payable.disputedAmountHelp', { amount: fmtMoney(p.amount) })}
            rules={[
              { required: true, message: t('common.required') },
              { pattern: MONEY_RE, message: t('invoice.badMoney') },
              {
                validator: (_, v: string) => (!v || !MONEY_RE.test(v) || (toTenThousandths(v) > 0n && toTenThousandths(v) <= toTenThousandths(p.amount))
                  ? Promise.resolve() : Promise.reject(new Error(t('payable.disputedAmountRange', { amount: fmtMoney(p.amount) })))),
              },
            ]}>
            <Input prefix="¥" data-testid="dispute-amount" />
          </Form.Item>
          <Form.Item name="reason" label={t('payable.disputeReason')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 500 }]}>
            <Input.TextArea rows={3} data-testid="dispute-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

/** A dispute ends when the hospital withdraws it (the amount is paid later) or the supplier credits it. */
function DisputeResolution({ p, onDone }: { p: PayableView; onDone: () => void }) {
  const { t } = useI18n();
  const me = useMe();
  const { error, run } = useAction();
  const outcome = me.role === 'hospital_buyer' ? 'withdrawn' : me.role === 'supplier' ? 'credited' : null;
  if (p.stage !== 'disputed' || p.dispute_resolution || !outcome) return null;
  const resolve = async () => {
    const ok = await run(() => unwrap(api.POST('/api/v1/payables/{id}/resolve-dispute', { params: { path: { id: p.id } }, body: { outcome } })), t('payable.resolvedMsg'));
    if (ok) onDone();
  };
  return (
    <Card size="small" title={t('payable.dispute')} style={{ marginBottom: 12 }}>
      {error ? <ErrorAlert error={error} /> : null}
      <Space>
        <span>{t(outcome === 'withdrawn' ? 'payable.withdrawHelp' : 'payable.creditHelp', { amount: fmtMoney(p.disputed_amount) })}</span>
        <Popconfirm title={t('common.sure')} onConfirm={resolve}>
          <Button data-testid="resolve-dispute">{t(outcome === 'withdrawn' ? 'payable.withdraw' : 'payable.credit')}</Button>
        </Popconfirm>
      </Space>
    </Card>
  );
}

interface InvoiceLine { invoice_no: string; invoice_date: Dayjs; amount: string; tax_amount: string }

/** The supplier's invoices for one payable: their total must equal the accepted amount to the fen. */
function InvoiceForm({ p, onDone }: { p: PayableView; onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { busy, error, run } = useAction();
  const [form] = Form.useForm<{ invoices: InvoiceLine[] }>();
  const [idem, setIdem] = useState(newIdempotencyKey);
  const lines = Form.useWatch('invoices', form) ?? [];
  const amounts = lines.map((l) => l?.amount ?? '').filter((a) => MONEY_RE.test(a));
  const total = sumMoney(amounts);
  const diff = toTenThousandths(total) - toTenThousandths(p.amount);
  const today = serverToday();

  const submit = async () => {
    let v: { invoices: InvoiceLine[] };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    if (diff !== 0n) {
      message.error(t('invoice.mismatch', { total: fmtMoney(total), amount: fmtMoney(p.amount) }));
      return;
    }
    const ok = await run(() => unwrap(api.POST('/api/v1/payables/{id}/invoices', {
      params: { path: { id: p.id }, header: { 'Idempotency-Key': idem } },
      body: { invoices: v.invoices.map((l) => ({ invoice_no: l.invoice_no.trim(), invoice_date: l.invoice_date.format('YYYY-MM-DD'), amount: l.amount, tax_amount: l.tax_amount })) },
    })), t('invoice.attached'));
    if (ok) onDone();
    else setIdem(newIdempotencyKey());
  };

  return (
    <div data-testid="invoice-form">
      {error ? <ErrorAlert error={error} /> : null}
      <Typography.Paragraph type="secondary">{t('invoice.help', { amount: fmtMoney(p.amount) })}</Typography.Paragraph>
      <Form form={form} initialValues={{ invoices: [{ invoice_no: '', invoice_date: dayjs(today), amount: p.amount, tax_amount: '' }] }}>
        <Form.List name="invoices">
          {(fields, { add, remove }) => (
            <>
              {fields.map((f, i) => (
                <Space key={f.key} align="baseline" wrap>
                  <Form.Item name={[f.name, 'invoice_no']} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 40 }]}>
                    <Input placeholder={t('invoice.no')} style={{ width: 180 }} data-testid={`invoice-no-${i}`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'invoice_date']} rules={[{ required: true, message: t('common.required') }]}>
                    <DatePicker placeholder={t('invoice.date')} disabledDate={(d) => d.format('YYYY-MM-DD') > today} data-testid={`invoice-date-${i}`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'amount']} rules={[{ required: true, message: t('common.required') }, { pattern: MONEY_RE, message: t('invoice.badMoney') }]}>
                    <Input prefix="¥" placeholder={t('invoice.amount')} style={{ width: 150 }} data-testid={`invoice-amount-${i}`} />
                  </Form.Item>
                  <Form.Item name={[f.name, 'tax_amount']} dependencies={[['invoices', f.name, 'amount']]}
                    rules={[
                      { required: true, message: t('common.required') },
                      { pattern: MONEY_RE, message: t('invoice.badMoney') },
                      ({ getFieldValue }) => ({
                        validator: (_, v: string) => {
                          const amount = getFieldValue(['invoices', f.name, 'amount']) as string;
                          return !v || !MONEY_RE.test(v) || !MONEY_RE.test(amount ?? '') || toTenThousandths(v) <= toTenThousandths(amount)
                            ? Promise.resolve() : Promise.reject(new Error(t('invoice.taxAbove')));
                        },
                      }),
                    ]}>
                    <Input prefix="¥" placeholder={t('invoice.tax')} style={{ width: 130 }} data-testid={`invoice-tax-${i}`} />
                  </Form.Item>
                  {fields.length > 1 ? <Button icon={<DeleteOutlined />} onClick={() => remove(f.name)} /> : null}
                </Space>
              ))}
              <Button type="dashed" icon={<PlusOutlined />} onClick={() => add({ invoice_no: '', invoice_date: dayjs(today), amount: '', tax_amount: '' })}>{t('invoice.add')}</Button>
            </>
          )}
        </Form.List>
      </Form>
      <Space style={{ marginTop: 12 }}>
        <span data-testid="invoice-total">{t('invoice.total', { total: fmtMoney(total), amount: fmtMoney(p.amount) })}</span>
        {diff === 0n ? <Tag color="green" data-testid="invoice-check">{t('invoice.matches')}</Tag>
          : <Tag color="red" data-testid="invoice-check">{t('invoice.differs', { diff: (diff > 0n ? '+' : '-') + fmtMoney(absYuan(diff)) })}</Tag>}
        <Button type="primary" loading={busy} onClick={submit} data-testid="invoice-submit">{t('invoice.submit')}</Button>
      </Space>
    </div>
  );
}

/** The size of a difference in 1/10,000 yuan, as a yuan string with 2 decimals ("0.01"). */
function absYuan(d: bigint): string {
  const fen = (d < 0n ? -d : d) / 100n;
  return `${fen / 100n}.${(fen % 100n).toString().padStart(2, '0')}`;
}
