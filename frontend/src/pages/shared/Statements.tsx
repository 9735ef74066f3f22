import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, DatePicker, Descriptions, Form, Input, Modal, Row, Select, Space, Statistic } from 'antd';
import dayjs from 'dayjs';
import { useRef, useState } from 'react';
import { api, newIdempotencyKey, unwrap } from '../../api/client';
import { serverToday } from '../../api/session';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { SheetImport } from '../../components/SheetImport';
import { useAction } from '../../components/useAction';
import { fmtMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useOrgs } from '../../components/refs';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { MONEY_RE } from './PayableDetail';

/**
 * A hospital's monthly statement: its prepayment, what the fund paid suppliers on its behalf, and
 * how that was covered (prepayment first, then the month's settlement, the rest owed back). The
 * hospital sees its own, with its prepayment balance; the fund chooses a hospital and records
 * monthly settlements.
 */
export default function Statements() {
  const { t } = useI18n();
  const me = useMe();
  const isHospital = me.role === 'hospital_buyer';
  const today = serverToday();
  const [month, setMonth] = useState(today.slice(0, 7));
  const [hospital, setHospital] = useState<string | undefined>(isHospital ? me.organization.id : undefined);
  const [recording, setRecording] = useState(false);
  const [importing, setImporting] = useState(false);
  const hospitals = useOrgs('hospital');
  const statement = useAsync(async () => (hospital
    ? unwrap(api.GET('/api/v1/hospital-statements', { params: { query: { hospital_id: hospital, month } } }))
    : undefined), [hospital, month]);
  const balances = useAsync(async () => (isHospital ? unwrap(api.GET('/api/v1/ledger/balances', { params: { query: { as_of: today } } })) : undefined), [isHospital, today]);
  const prepaid = balances.data?.accounts.find((a) => a.account === 'hospital_prepayment');
  const receivable = balances.data?.accounts.find((a) => a.account === 'hospital_receivable');
  const s = statement.data;

  return (
    <div>
      <PageTitle title={isHospital ? t('menu.prepayment') : t('menu.statements')} extra={
        !isHospital ? <Space>
          <Button icon={<UploadOutlined />} onClick={() => setImporting(true)} data-testid="import-settlements">{t('statement.importSettlements')}</Button>
          <Button icon={<PlusOutlined />} onClick={() => setRecording(true)} data-testid="record-settlement">{t('statement.recordSettlement')}</Button>
        </Space> : null
      } />
      {isHospital ? (
        <Row gutter={12} style={{ marginBottom: 12 }}>
          <Col span={8}><Card size="small"><Statistic title={t('statement.prepaymentBalance', { date: today })} value={fmtMoney(prepaid?.balance ?? '0.00')} loading={balances.loading} data-testid="prepayment-balance" /></Card></Col>
          <Col span={8}><Card size="small"><Statistic title={t('statement.receivableBalance')} value={fmtMoney(receivable?.balance ?? '0.00')} loading={balances.loading} /></Card></Col>
        </Row>
      ) : null}
      {balances.error ? <ErrorAlert error={balances.error} onRetry={balances.reload} /> : null}
      <Form layout="inline" className="jc-filters">
        {!isHospital ? (
          <Form.Item label={t('field.hospital')}>
            <Select showSearch optionFilterProp="label" style={{ width: 260 }} value={hospital} placeholder={t('statement.chooseHospital')} loading={hospitals.loading}
              onChange={setHospital} options={(hospitals.data ?? []).map((o) => ({ value: o.id, label: o.name }))} data-testid="statement-hospital" />
          </Form.Item>
        ) : null}
        <Form.Item label={t('statement.month')}>
          <DatePicker picker="month" allowClear={false} value={dayjs(month + '-01')} onChange={(d) => d && setMonth(d.format('YYYY-MM'))} data-testid="statement-month" />
        </Form.Item>
      </Form>
      {statement.error ? <ErrorAlert error={statement.error} onRetry={statement.reload} /> : null}
      {!hospital ? <Alert type="info" showIcon title={t('statement.chooseHospital')} /> : null}
      {s ? (
        <Card size="small" title={t('statement.title', { month: s.month })} loading={statement.loading} data-testid="statement">
          <Descriptions size="small" bordered column={{ xs: 1, md: 2 }}>
            <Descriptions.Item label={t('statement.openingPrepayment')}>{fmtMoney(s.opening_prepayment)}</Descriptions.Item>
            <Descriptions.Item label={t('statement.prepaid')}>{fmtMoney(s.prepaid)}</Descriptions.Item>
            <Descriptions.Item label={t('statement.paymentsOnBehalf')}><b data-testid="payments-on-behalf">{fmtMoney(s.payments_on_behalf)}</b></Descriptions.Item>
            <Descriptions.Item label={t('statement.offsetFromPrepayment')}>{fmtMoney(s.offset_from_prepayment)}</Descriptions.Item>
            <Descriptions.Item label={t('statement.deductedFromSettlement')}>{fmtMoney(s.deducted_from_settlement)}</Descriptions.Item>
            <Descriptions.Item label={t('statement.receivable')}>{fmtMoney(s.receivable)}</Descriptions.Item>
            <Descriptions.Item label={t('statement.settlementRecorded')}>{fmtMoney(s.settlement_recorded)}</Descriptions.Item>
            <Descriptions.Item label={t('statement.closingPrepayment')}><b>{fmtMoney(s.closing_prepayment)}</b></Descriptions.Item>
            <Descriptions.Item label={t('statement.closingSettlementOwed')}><b>{fmtMoney(s.closing_settlement_owed)}</b></Descriptions.Item>
            <Descriptions.Item label={t('statement.closingReceivable')}><b>{fmtMoney(s.closing_receivable)}</b></Descriptions.Item>
          </Descriptions>
        </Card>
      ) : null}
      {importing ? (
        <Modal open width={900} title={t('statement.importSettlements')} footer={null} onCancel={() => setImporting(false)} destroyOnHidden>
          <SheetImport kind="monthly-settlements" onCommitted={() => { setImporting(false); statement.reload(); }} />
        </Modal>
      ) : null}
      {recording ? (
        <SettlementModal hospitals={hospitals.data ?? []} hospital={hospital} month={month}
          onClose={() => setRecording(false)} onDone={() => { setRecording(false); statement.reload(); }} />
      ) : null}
    </div>
  );
}

/** The fund records what it owes a hospital for a month; direct payments are then deducted from it. */
function SettlementModal({ hospitals, hospital, month, onClose, onDone }: {
  hospitals: { id: string; name: string }[]; hospital?: string; month: string; onClose: () => void; onDone: () => void;
}) {
  const { t } = useI18n();
  const { busy, error, run } = useAction();
  const [form] = Form.useForm<{ hospital_id: string; month: dayjs.Dayjs; amount: string }>();
  const idem = useRef(newIdempotencyKey());
  const submit = async () => {
    let v: { hospital_id: string; month: dayjs.Dayjs; amount: string };
    try {
      v = await form.validateFields();
    } catch {
      return;
    }
    const ok = await run(() => unwrap(api.POST('/api/v1/monthly-settlements', {
      params: { header: { 'Idempotency-Key': idem.current } },
      body: { hospital_id: v.hospital_id, month: v.month.format('YYYY-MM'), amount: v.amount },
    })), t('common.saved'));
    if (ok) onDone();
    else idem.current = newIdempotencyKey();
  };
  return (
    <Modal open title={t('statement.recordSettlement')} onCancel={onClose} onOk={submit} confirmLoading={busy} okText={t('common.submit')} cancelText={t('common.cancel')}>
      {error ? <ErrorAlert error={error} /> : null}
      <Form form={form} layout="vertical" initialValues={{ hospital_id: hospital, month: dayjs(month + '-01') }}>
        <Form.Item name="hospital_id" label={t('field.hospital')} rules={[{ required: true, message: t('common.required') }]}>
          <Select showSearch optionFilterProp="label" options={hospitals.map((o) => ({ value: o.id, label: o.name }))} />
        </Form.Item>
        <Form.Item name="month" label={t('statement.month')} rules={[{ required: true, message: t('common.required') }]}>
          <DatePicker picker="month" />
        </Form.Item>
        <Form.Item name="amount" label={t('statement.settlementAmount')} rules={[{ required: true, message: t('common.required') }, { pattern: MONEY_RE, message: t('invoice.badMoney') }]}>
          <Input prefix="¥" />
        </Form.Item>
      </Form>
    </Modal>
  );
}
