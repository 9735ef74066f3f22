import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Form, Select, type TableColumnsType } from 'antd';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { api, unwrap, type Ok } from '../../api/client';
import { useMe } from '../../auth';
import { fmtDateTime, fmtInt, fmtMoney } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { PaymentBatchStatusTag, PAYMENT_BATCH_STATUSES } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

export type PaymentBatchRow = Ok<'/api/v1/payment-batches', 'get'>['items'][number];

/**
 * The region's payment batches, newest first: proposed daily by the settlement sweep or
 * prepared by a fund officer (the maker), approved by another (the checker), then executed.
 */
export default function PaymentBatches() {
  const { t, tf } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const status = params.get('status') ?? undefined;
  const isFund = me.role === 'fund_officer';
  const columns: TableColumnsType<PaymentBatchRow> = [
    { title: t('batch.no'), dataIndex: 'batch_no', render: (v, b) => <Link to={`/payment-batches/${b.id}`} data-testid="batch-link">{v}</Link> },
    { title: t('field.status'), dataIndex: 'status', render: (s) => <span data-testid="batch-status"><PaymentBatchStatusTag status={s} /></span> },
    { title: t('batch.items'), dataIndex: 'item_count', className: 'jc-num', render: fmtInt },
    { title: t('batch.total'), dataIndex: 'total_amount', className: 'jc-num', render: (v: string) => fmtMoney(v) },
    { title: t('batch.proposedOn'), dataIndex: 'proposed_on', render: (v) => v ?? '—' },
    { title: t('batch.preparedAt'), dataIndex: 'prepared_at', render: fmtDateTime },
    { title: t('batch.approvedAt'), dataIndex: 'approved_at', render: fmtDateTime },
    { title: t('field.recordedAt'), dataIndex: 'created_at', render: fmtDateTime },
  ];
  return (
    <div>
      <PageTitle
        title={t('menu.paymentBatches')}
        extra={isFund ? <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/fund/batches/new')} data-testid="batch-new">{t('batch.prepareNew')}</Button> : null}
      />
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('batch.help')} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.status')}>
          <Select allowClear style={{ width: 160 }} value={status} placeholder={t('common.all')} data-testid="filter-batch-status"
            onChange={(v?: string) => setParams(v ? { status: v } : {}, { replace: true })}
            options={PAYMENT_BATCH_STATUSES.map((s) => ({ value: s, label: tf('batchStatus.' + s, s) }))} />
        </Form.Item>
      </Form>
      <ServerTable<PaymentBatchRow> testId="batches-table" columns={columns} deps={[status]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/payment-batches', { params: { query: { page, per_page, status } } }))} />
    </div>
  );
}
