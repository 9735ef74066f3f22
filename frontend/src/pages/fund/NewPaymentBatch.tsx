import { Alert, Button, Card, DatePicker, Form, Select, Space, Statistic, type TableColumnsType } from 'antd';
import dayjs from 'dayjs';
import { useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { api, newIdempotencyKey, unwrap, type PayableView } from '../../api/client';
import { ErrorAlert } from '../../components/errors';
import { useAction } from '../../components/useAction';
import { fmtMoney, sumMoney } from '../../components/format';
import { useOrgs } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { Countdown, PayableStatusTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

/**
 * The fund officer (the maker) chooses confirmed payables, overdue ones included, and prepares a
 * batch of them; another officer approves it.
 */
export default function NewPaymentBatch() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const [supplier, setSupplier] = useState<string>();
  const [dueTo, setDueTo] = useState<string>();
  // Chosen payables across pages and filters, with their amounts for the running total.
  const [chosen, setChosen] = useState<Map<string, PayableView>>(new Map());
  const { busy, error, run } = useAction();
  const idem = useRef(newIdempotencyKey());
  const suppliers = useOrgs('enterprise');

  const columns: TableColumnsType<PayableView> = [
    { title: t('field.payableNo'), dataIndex: 'payable_no' },
    { title: t('field.status'), dataIndex: 'status', render: (s) => <PayableStatusTag status={s} /> },
    { title: t('field.dueDate'), dataIndex: 'due_date', render: (v) => <b>{v}</b> },
    { title: t('payable.countdown'), dataIndex: 'days_remaining', render: (d, p) => <Countdown days={d} stage={p.stage} paidOn={p.paid_on} /> },
    { title: t('field.outstanding'), dataIndex: 'outstanding', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('field.supplier'), key: 's', render: (_, p) => p.supplier.name },
    { title: t('field.hospital'), key: 'h', render: (_, p) => p.hospital.name },
    { title: t('field.orderNo'), dataIndex: 'order_no' },
  ];
  const total = sumMoney([...chosen.values()].map((p) => p.outstanding));

  const prepare = async () => {
    const batch = await run(() => unwrap(api.POST('/api/v1/payment-batches', {
      params: { header: { 'Idempotency-Key': idem.current } },
      body: { payable_ids: [...chosen.keys()] },
    })));
    if (batch) navigate(`/payment-batches/${batch.id}`);
    else idem.current = newIdempotencyKey();
  };

  return (
    <div>
      <PageTitle title={t('batch.prepareNew')} extra={<Button onClick={() => navigate('/fund/batches')}>{t('common.back')}</Button>} />
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('batch.prepareHelp')} />
      {error ? <ErrorAlert error={error} /> : null}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Space size={48} align="center" wrap>
          <Statistic title={t('batch.chosen')} value={chosen.size} />
          <Statistic title={t('batch.total')} value={fmtMoney(total)} />
          <Button type="primary" disabled={chosen.size === 0} loading={busy} onClick={prepare} data-testid="batch-prepare">{t('batch.prepare')}</Button>
          <Button disabled={chosen.size === 0} onClick={() => setChosen(new Map())}>{t('batch.clear')}</Button>
        </Space>
      </Card>
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.supplier')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 240 }} value={supplier} placeholder={t('common.all')} loading={suppliers.loading}
            onChange={setSupplier} options={(suppliers.data ?? []).map((o) => ({ value: o.id, label: o.name }))} />
        </Form.Item>
        <Form.Item label={t('batch.dueBy')}>
          <DatePicker value={dueTo ? dayjs(dueTo) : null} onChange={(_, s) => setDueTo((s as string) || undefined)} />
        </Form.Item>
      </Form>
      <ServerTable<PayableView>
        testId="eligible-table"
        columns={columns}
        deps={[supplier, dueTo]}
        defaultPerPage={50}
        rowSelection={{
          selectedRowKeys: [...chosen.keys()],
          preserveSelectedRowKeys: true,
          onChange: (_keys, rows) => {
            // antd hands back the rows it knows (this page's and those it kept): rebuild from both.
            const next = new Map<string, PayableView>();
            for (const r of rows) if (r) next.set(r.id, r);
            for (const k of _keys) { const prev = chosen.get(String(k)); if (prev && !next.has(prev.id)) next.set(prev.id, prev); }
            setChosen(next);
          },
        }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/payables', {
          params: { query: { page, per_page, stage: 'confirmed', supplier_id: supplier, due_to: dueTo, sort: 'due_date' } },
        }))}
      />
    </div>
  );
}
