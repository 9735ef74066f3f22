import { BankOutlined, CheckOutlined, DownloadOutlined, EditOutlined } from '@ant-design/icons';
import { App, Button, Card, DatePicker, Descriptions, Form, Input, Modal, Popconfirm, Space, Spin, Table, Tooltip, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { api, ApiError, unwrap, type Ok } from '../../api/client';
import { downloadFile } from '../../api/download';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { useAction } from '../../components/useAction';
import { fmtDateTime, fmtInt, fmtMoney, toTenThousandths } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { PaymentBatchStatusTag, PayableStatusTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { NotFound } from '../NotFound';
import { MONEY_RE } from '../shared/PayableDetail';

type BatchView = Ok<'/api/v1/payment-batches/{id}', 'get'>;
type BatchItem = BatchView['items'][number];

/**
 * One payment batch: its items, the maker and the checker, and the fund's steps: prepare a
 * proposed batch, approve a prepared one (never the officer who prepared it), download the bank
 * file, and record each executed payment by its bank reference.
 */
export default function PaymentBatch() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const batch = useAsync(() => unwrap(api.GET('/api/v1/payment-batches/{id}', { params: { path: { id } } })), [id]);
  const [busy, setBusy] = useState<string>();
  const { error, run } = useAction();
  const [paying, setPaying] = useState<BatchItem>();

  if (batch.error instanceof ApiError && batch.error.status === 404) return <NotFound />;
  if (batch.error) return <ErrorAlert error={batch.error} onRetry={batch.reload} />;
  const b = batch.data;
  if (!b) return <div style={{ padding: 48, textAlign: 'center' }}><Spin /></div>;
  const isFund = me.role === 'fund_officer';
  const isMaker = b.prepared_by === me.user_id;

  const act = async (what: 'prepare' | 'approve') => {
    setBusy(what);
    const path = what === 'prepare' ? '/api/v1/payment-batches/{id}/prepare' : '/api/v1/payment-batches/{id}/approve';
    const ok = await run(() => unwrap(api.POST(path, { params: { path: { id } } })), t(what === 'prepare' ? 'batch.preparedMsg' : 'batch.approvedMsg'));
    setBusy(undefined);
    if (ok) batch.reload();
  };
  const bankFile = async () => {
    setBusy('file');
    await run(() => downloadFile(`/api/v1/payment-batches/${id}/bank-file`, {}, `payment-batch-${b.batch_no}.csv`));
    setBusy(undefined);
  };

  const actions = isFund ? (
    <Space>
      {b.status === 'proposed' ? (
        <Button type="primary" icon={<EditOutlined />} loading={busy === 'prepare'} onClick={() => act('prepare')} data-testid="batch-prepare-proposed">{t('batch.takeAsMaker')}</Button>
      ) : null}
      {b.status === 'prepared' ? (
        isMaker ? (
          <Tooltip title={t('batch.makerCannotApprove')}>
            <Button type="primary" icon={<CheckOutlined />} disabled data-testid="batch-approve">{t('batch.approve')}</Button>
          </Tooltip>
        ) : (
          <Popconfirm title={t('batch.approveQ', { total: fmtMoney(b.total), n: b.item_count })} onConfirm={() => act('approve')} okButtonProps={{ 'data-testid': 'batch-approve-ok' } as never}>
            <Button type="primary" icon={<CheckOutlined />} loading={busy === 'approve'} data-testid="batch-approve">{t('batch.approve')}</Button>
          </Popconfirm>
        )
      ) : null}
      {b.status === 'approved' || b.status === 'executed' ? (
        <Button icon={<DownloadOutlined />} loading={busy === 'file'} onClick={bankFile} data-testid="bank-file">{t('batch.bankFile')}</Button>
      ) : null}
    </Space>
  ) : null;

  return (
    <div data-testid="batch-detail">
      <PageTitle
        title={<span>{t('batch.detail')} <span data-testid="batch-no">{b.batch_no}</span></span>}
        extra={<Space>{actions}<Button onClick={() => navigate(-1)}>{t('common.back')}</Button></Space>}
      />
      {error ? <ErrorAlert error={error} /> : null}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={{ xs: 1, md: 3 }} bordered>
          <Descriptions.Item label={t('field.status')}><span data-testid="batch-status"><PaymentBatchStatusTag status={b.status} /></span></Descriptions.Item>
          <Descriptions.Item label={t('batch.total')}><b data-testid="batch-total">{fmtMoney(b.total)}</b></Descriptions.Item>
          <Descriptions.Item label={t('batch.items')}>{fmtInt(b.item_count)}</Descriptions.Item>
          <Descriptions.Item label={t('batch.proposedOn')}>{b.proposed_on ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('batch.maker')}><span data-testid="batch-maker">{b.prepared_by_name ?? '—'}</span> {b.prepared_at ? <span className="jc-muted">{fmtDateTime(b.prepared_at)}</span> : null}</Descriptions.Item>
          <Descriptions.Item label={t('batch.checker')}><span data-testid="batch-checker">{b.approved_by_name ?? '—'}</span> {b.approved_at ? <span className="jc-muted">{fmtDateTime(b.approved_at)}</span> : null}</Descriptions.Item>
        </Descriptions>
        {isFund && b.status === 'prepared' && isMaker ? (
          <Typography.Paragraph type="warning" style={{ marginTop: 8, marginBottom: 0 }} data-testid="maker-note">{t('batch.makerCannotApprove')}</Typography.Paragraph>
        ) : null}
      </Card>
      <Card size="small" title={t('batch.itemsTitle')}>
        <Table<BatchItem>
          size="small" bordered rowKey="payable_id" dataSource={b.items} data-testid="batch-items" scroll={{ x: 'max-content' }}
          pagination={{ pageSize: 50, showSizeChanger: false, hideOnSinglePage: true, size: 'small' }}
          columns={[
            { title: t('field.payableNo'), dataIndex: 'payable_no', render: (v, i) => <Link to={`/payables/${i.payable_id}`}>{v}</Link> },
            { title: t('field.supplier'), dataIndex: 'supplier_name' },
            { title: t('field.hospital'), dataIndex: 'hospital_name' },
            { title: t('field.amount'), dataIndex: 'amount', className: 'jc-num', render: (v) => fmtMoney(v) },
            { title: t('field.dueDate'), dataIndex: 'due_date' },
            { title: t('field.status'), dataIndex: 'stage', render: (s) => <span data-testid="item-stage"><PayableStatusTag status={s} /></span> },
            { title: t('payable.bankReference'), dataIndex: 'bank_reference', render: (v) => v ?? '—' },
            ...(isFund && b.status !== 'proposed' && b.status !== 'prepared' ? [{
              title: t('common.actions'), key: 'pay',
              render: (_: unknown, i: BatchItem) => i.stage === 'approved'
                ? <Button size="small" icon={<BankOutlined />} onClick={() => setPaying(i)} data-testid="record-payment">{t('payment.record')}</Button>
                : null,
            }] : []),
          ]}
        />
      </Card>
      {paying ? <PaymentModal item={paying} approvedAt={b.approved_at} onClose={() => setPaying(undefined)} onDone={() => { setPaying(undefined); batch.reload(); }} /> : null}
    </div>
  );
}

interface PaymentForm { bank_reference: string; paid_on: Dayjs; amount: string }

/** Records a payment the bank executed, by its reference; a retry with the same content is a no-op. */
function PaymentModal({ item, approvedAt, onClose, onDone }: { item: BatchItem; approvedAt?: string | null; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const { busy, error, run } = useAction();
  const [form] = Form.useForm<PaymentForm>();
  const today = serverToday();
  const approvedOn = approvedAt ? dayjs(approvedAt).format('YYYY-MM-DD') : undefined;

  const submit = async () => {
    let v: PaymentForm;
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const r = await run(() => unwrap(api.PUT('/api/v1/payments/{bank_reference}', {
      params: { path: { bank_reference: v.bank_reference.trim() } },
      body: { payable_id: item.payable_id, payee_id: item.supplier_id, amount: v.amount, paid_on: v.paid_on.format('YYYY-MM-DD') },
    })));
    if (r) {
      message.success(t(r.outcome === 'recorded' ? 'payment.recorded' : 'payment.alreadyRecorded'));
      onDone();
    }
  };
  return (
    <Modal open title={`${t('payment.record')} · ${item.payable_no}`} onCancel={onClose} onOk={submit} confirmLoading={busy}
      okText={t('common.submit')} cancelText={t('common.cancel')} okButtonProps={{ 'data-testid': 'payment-ok' } as never}>
      {error ? <ErrorAlert error={error} /> : null}
      <Typography.Paragraph type="secondary">{t('payment.help', { supplier: item.supplier_name })}</Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={{ amount: item.amount, paid_on: dayjs(today) }}>
        <Form.Item name="bank_reference" label={t('payable.bankReference')} rules={[{ required: true, whitespace: true, message: t('common.required') }, { max: 64 }]}>
          <Input data-testid="bank-reference-input" placeholder="BOC-20261122-0001" />
        </Form.Item>
        <Form.Item name="paid_on" label={t('payable.paidOnLabel')} rules={[{ required: true, message: t('common.required') }]}>
          <DatePicker disabledDate={(d) => { const s = d.format('YYYY-MM-DD'); return s > today || (approvedOn ? s < approvedOn : false); }} />
        </Form.Item>
        <Form.Item name="amount" label={t('field.amount')} rules={[
          { required: true, message: t('common.required') },
          { pattern: MONEY_RE, message: t('invoice.badMoney') },
          { validator: (_, v: string) => (!v || !MONEY_RE.test(v) || (toTenThousandths(v) > 0n && toTenThousandths(v) <= toTenThousandths(item.amount)) ? Promise.resolve() : Promise.reject(new Error(t('payment.amountRange', { amount: fmtMoney(item.amount) })))) },
        ]}>
          <Input prefix="¥" data-testid="payment-amount" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
