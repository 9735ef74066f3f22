import { QuestionCircleOutlined } from '@ant-design/icons';
import { Alert, Card, Col, DatePicker, Form, Input, Row, Select, Statistic, Table, Tag, Tooltip } from 'antd';
import dayjs from 'dayjs';
import { useMemo, useState } from 'react';
import { api, unwrap, type Ok } from '../../api/client';
import { serverToday } from '../../api/session';
import { ErrorAlert } from '../../components/errors';
import { fmtMoney, sumMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type Balances = Ok<'/api/v1/ledger/balances', 'get'>;
type AccountBalance = Balances['accounts'][number];
export const ACCOUNTS = ['fund', 'prepayment_advance', 'hospital_prepayment', 'hospital_settlement', 'hospital_receivable', 'hospital_offset_due', 'supplier_payable', 'medical_expense'] as const;
/** Liabilities: their balance is normally a credit. */
const CREDIT_NORMAL = ['hospital_prepayment', 'hospital_settlement', 'supplier_payable'];

/** A balance as an accountant writes it: a positive amount and its side (借/贷), or 平. */
export function sided(account: string, balance: string): { side: 'debit' | 'credit' | 'flat'; amount: string } {
  const negative = balance.startsWith('-');
  const amount = negative ? balance.slice(1) : balance;
  if (/^0+(\.0+)?$/.test(amount)) return { side: 'flat', amount };
  const normal = CREDIT_NORMAL.includes(account) ? 'credit' : 'debit';
  return { side: negative ? (normal === 'credit' ? 'debit' : 'credit') : normal, amount };
}

/** The region's double-entry journal as balances per account and party on a date; debits equal credits. */
export default function Ledger() {
  const { t, tf } = useI18n();
  const [asOf, setAsOf] = useState(serverToday());
  const [account, setAccount] = useState<string>();
  const [party, setParty] = useState('');
  const res = useAsync(() => unwrap(api.GET('/api/v1/ledger/balances', { params: { query: { as_of: asOf } } })), [asOf]);
  const rows = useMemo(() => (res.data?.accounts ?? [])
    .filter((a) => !account || a.account === account)
    .filter((a) => !party || (a.party_name ?? '').includes(party.trim())), [res.data, account, party]);
  const byAccount = useMemo(() => ACCOUNTS.map((acc) => ({
    acc, total: sumMoney((res.data?.accounts ?? []).filter((a) => a.account === acc).map((a) => a.balance)),
  })), [res.data]);
  const balanced = res.data ? res.data.total_debit === res.data.total_credit : undefined;
  const side = (account: string, balance: string) => {
    const b = sided(account, balance);
    return b.side === 'flat' ? t('ledger.dir.flat') : `${tf('ledger.dir.' + b.side, b.side)} ${fmtMoney(b.amount)}`;
  };
  const label = (a: string) => (
    <Tooltip title={tf('accountHelp.' + a, '')}><span>{tf('account.' + a, a)} <QuestionCircleOutlined className="jc-muted" /></span></Tooltip>
  );

  return (
    <div>
      <PageTitle title={t('menu.ledger')} extra={
        <DatePicker value={dayjs(asOf)} allowClear={false} onChange={(d) => d && setAsOf(d.format('YYYY-MM-DD'))} data-testid="ledger-as-of" />
      } />
      {res.error ? <ErrorAlert error={res.error} onRetry={res.reload} /> : null}
      <Row gutter={12} style={{ marginBottom: 12 }}>
        {byAccount.filter((b) => ['supplier_payable', 'hospital_offset_due', 'hospital_prepayment', 'hospital_receivable'].includes(b.acc)).map((b) => (
          <Col span={6} key={b.acc}><Card size="small" data-testid={`ledger-card-${b.acc}`} style={{ height: '100%' }}>
            <Statistic title={tf('account.' + b.acc, b.acc)} value={side(b.acc, b.total)} loading={res.loading} />
            <div className="jc-muted" style={{ fontSize: 12, marginTop: 4 }}>{tf('accountHelp.' + b.acc, '')}</div>
          </Card></Col>
        ))}
      </Row>
      <Card size="small" title={<span>{t('ledger.balancesOn', { date: asOf })} {balanced === undefined ? null
        : <Tag color={balanced ? 'green' : 'red'} data-testid="ledger-balanced">{t(balanced ? 'ledger.balanced' : 'ledger.unbalanced')}</Tag>}</span>}>
        <Alert type="info" showIcon message={t('ledger.signs')} style={{ marginBottom: 12 }} />
        <Form layout="inline" className="jc-filters">
          <Form.Item label={t('ledger.account')}>
            <Select allowClear style={{ width: 200 }} value={account} placeholder={t('common.all')} onChange={setAccount}
              options={ACCOUNTS.map((a) => ({ value: a, label: tf('account.' + a, a) }))} />
          </Form.Item>
          <Form.Item label={t('ledger.party')}><Input allowClear value={party} onChange={(e) => setParty(e.target.value)} style={{ width: 220 }} /></Form.Item>
        </Form>
        <Table<AccountBalance>
          size="small" bordered loading={res.loading} dataSource={rows} rowKey={(a) => `${a.account}:${a.party_id ?? ''}`} data-testid="ledger-table"
          pagination={{ pageSize: 50, showSizeChanger: false, size: 'small', showTotal: (n) => t('common.total', { n }) }}
          columns={[
            { title: t('ledger.account'), dataIndex: 'account', render: (a) => label(a) },
            { title: t('ledger.party'), dataIndex: 'party_name', render: (v) => v ?? '—' },
            { title: t('ledger.debit'), dataIndex: 'debit', className: 'jc-num', render: (v) => fmtMoney(v) },
            { title: t('ledger.credit'), dataIndex: 'credit', className: 'jc-num', render: (v) => fmtMoney(v) },
            { title: t('ledger.direction'), key: 'side', align: 'center', width: 64, render: (_, a) => tf('ledger.dir.' + sided(a.account, a.balance).side, '') },
            { title: t('ledger.balance'), dataIndex: 'balance', className: 'jc-num', render: (v, a) => <b>{fmtMoney(sided(a.account, v).amount)}</b> },
          ]}
          summary={() => res.data ? (
            <Table.Summary.Row>
              <Table.Summary.Cell index={0} colSpan={2}><b>{t('ledger.totals')}</b></Table.Summary.Cell>
              <Table.Summary.Cell index={2} className="jc-num"><b>{fmtMoney(res.data.total_debit)}</b></Table.Summary.Cell>
              <Table.Summary.Cell index={3} className="jc-num"><b>{fmtMoney(res.data.total_credit)}</b></Table.Summary.Cell>
              <Table.Summary.Cell index={4} colSpan={2} />
            </Table.Summary.Row>
          ) : null}
        />
      </Card>
    </div>
  );
}
