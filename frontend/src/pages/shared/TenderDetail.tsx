import { Alert, Button, Card, Descriptions, Empty, Form, Input, InputNumber, Popconfirm, Select, Space, Spin, Steps, Table, Tabs, Tag, Typography, Upload, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { api, ApiError, unwrap, type Ok } from '../../api/client';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime, fmtMoney, fmtUnitPrice } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { moneyPattern } from '../../components/refs';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { TENDER_STATUSES, TenderStatusTag, type TenderView } from './Tenders';

type GenericResult = Ok<'/api/v1/tenders/{id}/results', 'get'>[number];
type BidResult = GenericResult['bids'][number];
type Board = Ok<'/api/v1/tenders/{id}/board', 'get'>[number];
type Demand = Ok<'/api/v1/tenders/{id}/demands', 'get'>['items'][number];
type Receipt = Ok<'/api/v1/tenders/{id}/bids', 'post'>;

const at = (s: string) => TENDER_STATUSES.indexOf(s as never);
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface SheetError { row: number; column: string; code: string; message: string }

/** The rows a refused sheet names, each with its reason in the reader's language. */
function SheetErrors({ error }: { error: unknown }) {
  const { t, tf } = useI18n();
  if (!(error instanceof ApiError) || error.code !== 'sheet_rows_invalid') return null;
  const rows = ((error.details?.rows ?? []) as SheetError[]);
  return (
    <Table<SheetError> size="small" bordered pagination={false} rowKey={(r) => `${r.row}-${r.column}-${r.code}`} dataSource={rows} data-testid="sheet-errors"
      columns={[
        { title: t('tender.sheet.row'), dataIndex: 'row', className: 'jc-num' },
        { title: t('tender.sheet.column'), dataIndex: 'column' },
        { title: t('tender.sheet.reason'), key: 'why', render: (_, r) => tf('error.' + r.code, r.message) },
        { title: t('tender.sheet.detail'), dataIndex: 'message', render: (m: string) => <span className="jc-muted">{m}</span> },
      ]} />
  );
}

/** The rules as a reader would state them. */
/** The tie rule the server states, in the reader's language when it is the default one. */
const DEFAULT_TIE_RULE = 'lower full-precision comparable price, then earlier submission';

function RulesText({ tender }: { tender: TenderView }) {
  const { t, tf } = useI18n();
  const preset = (name: string) => tf('tender.preset.' + name, name);
  const r = tender.rules;
  const rs = r.rule_set;
  const base = rs.base.base === 'anchor' ? t('tender.rule.anchor', { share: (rs.base as { share_of_average: string }).share_of_average }) : t('tender.rule.lowest');
  return (
    <Space direction="vertical" size={2}>
      <span><b>{t('tender.ruleSet')}</b> {preset(rs.name)}：{t('tender.rule.multiple', { m: rs.multiple, base })}
        {rs.absolute_ceiling ? ' ' + t('tender.rule.ceiling', { v: rs.absolute_ceiling }) : ''}
        {rs.discount_from_max ? ' ' + t('tender.rule.discount', { pct: Math.round(Number(rs.discount_from_max) * 100) }) : ''}
        {rs.offer_highest_winning ? '；' + t('tender.rule.offer') : ''}</span>
      <span><b>{t('tender.capTable')}</b> {preset(r.cap_table.name)}：{r.cap_table.caps.join(' ')}</span>
      <span><b>{t('tender.ratioTable')}</b> {preset(r.ratio_table.name)}：{(r.ratio_table.table as unknown as { min_winners: number; ratio: string }[]).map((b) => `${b.min_winners}:${Math.round(Number(b.ratio) * 100)}%`).join(' ')}</span>
      <span className="jc-muted">{t('tender.coefficients', { strength: r.coefficients.strength, fill: r.coefficients.fill_volume })}；{t('tender.tieRule', { rule: r.tie_rule === DEFAULT_TIE_RULE ? t('tender.tie.default') : r.tie_rule })}</span>
    </Space>
  );
}

function Overview({ tender, reload }: { tender: TenderView; reload: () => void }) {
  const { t } = useI18n();
  const me = useMe();
  const action = useAction();
  const bureau = me.role === 'bureau_officer';
  const post = (path: string, body: unknown = {}) => action.run(async () => {
    const r = await api.POST(`/api/v1/tenders/{id}/${path}` as never, { params: { path: { id: tender.id } }, body } as never);
    const out = await unwrap(r as never);
    reload();
    return out;
  }, t('common.saved'));
  const moves: Record<string, [string, unknown, string]> = {
    draft: ['move', { move: 'open_demand' }, t('tender.move.open_demand')],
    demand_reporting: ['move', { move: 'publish' }, t('tender.move.publish')],
    published: ['move', { move: 'open_bidding' }, t('tender.move.open_bidding')],
    bidding: ['open', {}, t('tender.action.open')],
    opened: ['propose', {}, t('tender.action.propose')],
    proposed: ['finalize', {}, t('tender.action.finalize')],
    final: ['picks/lapsed', {}, t('tender.action.lapsed')],
    regions_allocated: ['enact', {}, t('tender.action.enact')],
  };
  const next = moves[tender.status];
  const showFigures = at(tender.status) >= at('opened');
  const columns: TableColumnsType<TenderView['generics'][number]> = [
    { title: t('tender.generic'), dataIndex: 'generic_name', render: (v) => <b>{v}</b> },
    { title: t('tender.dosageForm'), dataIndex: 'dosage_form' },
    { title: t('tender.repSpec'), key: 'spec', render: (_, g) => `${g.rep_strength}${g.strength_unit}${g.rep_fill_volume ? ' / ' + g.rep_fill_volume + 'ml' : ''} · ${g.min_unit}` },
    { title: t('tender.maxPrice'), dataIndex: 'max_price', className: 'jc-num', render: fmtUnitPrice },
    ...(bureau ? [{ title: t('tender.bidsReceived'), dataIndex: 'bids', className: 'jc-num' }] : []),
    ...(showFigures ? [
      { title: t('tender.validBids'), dataIndex: 'valid_bids', className: 'jc-num' },
      { title: t('tender.cap'), dataIndex: 'shortlist_cap', className: 'jc-num' },
      { title: t('tender.lowest'), dataIndex: 'lowest', className: 'jc-num', render: fmtUnitPrice },
      { title: t('tender.anchor'), dataIndex: 'anchor', className: 'jc-num', render: fmtUnitPrice },
      { title: t('tender.threshold'), dataIndex: 'threshold', className: 'jc-num', render: fmtUnitPrice },
      { title: t('tender.winners'), dataIndex: 'winners', className: 'jc-num' },
    ] : []),
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      {bureau && next ? (
        <Card size="small">
          <Popconfirm title={next[2]} onConfirm={() => post(next[0], next[1])}>
            <Button type="primary" loading={action.busy} data-testid="tender-next">{next[2]}</Button>
          </Popconfirm>
        </Card>
      ) : null}
      <Descriptions size="small" bordered column={2}>
        <Descriptions.Item label={t('tender.no')}>{tender.tender_no}</Descriptions.Item>
        <Descriptions.Item label={t('field.documentNo')}>{tender.document_no}</Descriptions.Item>
        <Descriptions.Item label={t('field.cycle')}>{tender.cycle_start} ~ {tender.cycle_end}</Descriptions.Item>
        <Descriptions.Item label={t('tender.supplyRegions')}>{tender.supply_regions.map((r) => `${r.name}（${r.code}）`).join('、')}</Descriptions.Item>
        <Descriptions.Item label={t('tender.demandClosesAt')}>{fmtDateTime(tender.demand_closes_at)}</Descriptions.Item>
        <Descriptions.Item label={t('tender.bidDeadline')}>{fmtDateTime(tender.bid_deadline)}</Descriptions.Item>
        <Descriptions.Item label={t('tender.openingAt')}>{fmtDateTime(tender.opening_at)}</Descriptions.Item>
        <Descriptions.Item label={t('tender.objectionsCloseAt')}>{fmtDateTime(tender.objections_close_at)}</Descriptions.Item>
        <Descriptions.Item label={t('tender.rules')} span={2}><RulesText tender={tender} /><div className="jc-muted">{t('tender.policyVersion', { id: tender.rules_policy_id.slice(0, 8) })}</div></Descriptions.Item>
      </Descriptions>
      <Table size="small" bordered rowKey="id" pagination={false} columns={columns} dataSource={tender.generics} data-testid="tender-generics" scroll={{ x: 'max-content' }} />
    </Space>
  );
}

function DemandTab({ tender }: { tender: TenderView }) {
  const { t } = useI18n();
  const me = useMe();
  const action = useAction();
  const [reload, setReload] = useState(0);
  const [form] = Form.useForm<Record<string, { quantity?: number; product_code?: string; reason?: string }>>();
  const mine = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}/demands', { params: { path: { id: tender.id }, query: { per_page: 200 } } })), [tender.id, reload]);
  const totals = useAsync(() => me.role === 'bureau_officer'
    ? unwrap(api.GET('/api/v1/tenders/{id}/demand-totals', { params: { path: { id: tender.id } } }))
    : Promise.resolve([]), [tender.id, reload]);
  const open = tender.status === 'demand_reporting';
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const lines = tender.generics
      .filter((g) => v[g.id]?.quantity != null)
      .map((g) => ({ generic_id: g.id, quantity: v[g.id].quantity as number, product_code: v[g.id].product_code?.trim() || null, reason: v[g.id].reason?.trim() || null }));
    const ok = await action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/demands', { params: { path: { id: tender.id } }, body: { lines } })), t('tender.demand.saved'));
    if (ok) setReload((n) => n + 1);
  };
  const importSheet = async (file: File) => {
    const type = file.name.toLowerCase().endsWith('.csv') ? 'text/csv' : XLSX;
    const body = await file.arrayBuffer();
    const ok = await action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/demands/import', {
      params: { path: { id: tender.id } }, body: body as never, bodySerializer: (b: unknown) => b as BodyInit, headers: { 'Content-Type': type },
    })), t('tender.demand.saved'));
    if (ok) setReload((n) => n + 1);
  };
  const template = () => {
    const lines = ['通用名,年需求量,品牌产品编码,原因', ...tender.generics.map((g) => `${g.generic_name},,,`)];
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob(['\ufeff' + lines.join('\r\n') + '\r\n'], { type: 'text/csv' }));
    a.download = `${tender.tender_no}-需求填报模板.csv`;
    a.click();
  };
  const sendBack = (d: Demand) => {
    const reason = window.prompt(t('tender.demand.returnReason'));
    if (!reason) return;
    action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/demands/{demand_id}/send-back', { params: { path: { id: tender.id, demand_id: d.id } }, body: { reason } })), t('common.saved'))
      .then((ok) => ok && setReload((n) => n + 1));
  };
  const columns: TableColumnsType<Demand> = [
    { title: t('tender.generic'), dataIndex: 'generic_name' },
    ...(me.role === 'hospital_buyer' ? [] : [{ title: t('tender.demand.hospital'), dataIndex: 'hospital_name' }]),
    { title: t('tender.demand.quantity'), dataIndex: 'quantity', className: 'jc-num', render: (v: number) => v.toLocaleString() },
    { title: t('tender.demand.brand'), dataIndex: 'product_code' },
    { title: t('tender.demand.pastUse'), dataIndex: 'past_use', className: 'jc-num', render: (v?: number | null) => (v == null ? '—' : v.toLocaleString()) },
    { title: t('tender.demand.reason'), dataIndex: 'reason' },
    { title: t('field.status'), dataIndex: 'status', render: (s: string, d) => <span><Tag color={s === 'returned' ? 'red' : 'green'}>{t(('tender.demand.status.' + s) as never)}</Tag>{d.return_reason ? <span className="jc-muted">{d.return_reason}</span> : null}</span> },
    ...(me.role === 'bureau_officer' && open ? [{ title: t('common.actions'), key: 'a', render: (_: unknown, d: Demand) => <Button size="small" danger onClick={() => sendBack(d)}>{t('tender.demand.sendBack')}</Button> }] : []),
  ];
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <SheetErrors error={action.error} />
      {me.role === 'hospital_buyer' ? (open ? (
        <Card size="small" title={t('tender.tab.demand')}>
          <Form form={form} layout="inline">
            {tender.generics.map((g) => (
              <Space key={g.id} wrap style={{ width: '100%', marginBottom: 8 }}>
                <b style={{ minWidth: 140, display: 'inline-block' }}>{g.generic_name}（{g.rep_strength}{g.strength_unit}）</b>
                <Form.Item name={[g.id, 'quantity']} label={t('tender.demand.quantity')} rules={[{ type: 'integer', min: 0, message: t('error.invalid_quantity' as never) }]}>
                  <InputNumber min={0} precision={0} style={{ width: 160 }} addonAfter={g.min_unit} data-testid="demand-qty" />
                </Form.Item>
                <Form.Item name={[g.id, 'product_code']} label={t('tender.demand.brand')}><Input style={{ width: 220 }} /></Form.Item>
                <Form.Item name={[g.id, 'reason']} label={t('tender.demand.reason')}><Input style={{ width: 220 }} /></Form.Item>
              </Space>
            ))}
            <Space>
              <Button type="primary" onClick={submit} loading={action.busy} data-testid="demand-submit">{t('tender.demand.submit')}</Button>
              <Upload accept=".xlsx,.csv" showUploadList={false} beforeUpload={(f) => { importSheet(f); return false; }}>
                <Button loading={action.busy} data-testid="demand-import">{t('tender.demand.import')}</Button>
              </Upload>
              <Button type="link" onClick={template}>{t('tender.demand.template')}</Button>
            </Space>
          </Form>
          <div className="jc-muted" style={{ marginTop: 6 }}>{t('tender.demand.importHelp')}</div>
        </Card>
      ) : <Alert type="info" showIcon title={t('tender.demand.closed')} />) : null}
      {me.role === 'bureau_officer' ? (
        <Table size="small" bordered title={() => t('tender.demand.totals')} rowKey={(r) => r.generic_id + r.region_id} pagination={false} loading={totals.loading}
          dataSource={totals.data ?? []} data-testid="demand-totals"
          columns={[
            { title: t('tender.generic'), dataIndex: 'generic_name' },
            { title: t('tender.board.region'), dataIndex: 'region_id', render: (id: string) => tender.supply_regions.find((r) => r.id === id)?.name ?? id },
            { title: t('tender.demand.hospitals'), dataIndex: 'hospitals', className: 'jc-num' },
            { title: t('tender.demand.quantity'), dataIndex: 'quantity', className: 'jc-num', render: (v: number) => v.toLocaleString() },
            { title: t('tender.demand.returned'), dataIndex: 'returned', className: 'jc-num' },
          ]} />
      ) : null}
      {mine.error ? <ErrorAlert error={mine.error} onRetry={mine.reload} /> : null}
      <Table size="small" bordered rowKey="id" loading={mine.loading} dataSource={mine.data?.items ?? []} columns={columns} pagination={false} data-testid="demand-table" scroll={{ x: 'max-content' }} />
    </Space>
  );
}

function BiddingTab({ tender }: { tender: TenderView }) {
  const { t } = useI18n();
  const action = useAction();
  const [reload, setReload] = useState(0);
  const [receipt, setReceipt] = useState<Receipt | null>(null);
  const quals = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}/qualifications', { params: { path: { id: tender.id } } })), [tender.id, reload]);
  const bids = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}/my-bids', { params: { path: { id: tender.id } } })), [tender.id, reload]);
  const canQualify = tender.status === 'published' || tender.status === 'bidding';
  const qualify = (generic_id: string, v: { product_code: string; strength: string }) =>
    action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/qualifications', { params: { path: { id: tender.id } }, body: { generic_id, product_code: v.product_code.trim(), strength: v.strength.trim(), fill_volume: null } })), t('common.saved'))
      .then((ok) => ok && setReload((n) => n + 1));
  const bid = (generic_id: string, v: { pack_price: string }) =>
    action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/bids', { params: { path: { id: tender.id } }, body: { generic_id, pack_price: v.pack_price.trim() } })), t('common.saved'))
      .then((r) => { if (r) { setReceipt(r); setReload((n) => n + 1); } });
  const download = (r: Receipt) => {
    const blob = new Blob([JSON.stringify(r, null, 2)], { type: 'application/json' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = `${r.tender_no}-v${r.version}-receipt.json`;
    a.click();
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      {receipt ? (
        <Alert type="success" showIcon data-testid="bid-receipt" title={`${t('tender.bid.receipt')} · ${t('tender.bid.version')} ${receipt.version} · ${fmtDateTime(receipt.submitted_at)}`}
          description={<div>
            <Typography.Paragraph copyable style={{ fontFamily: 'monospace', marginBottom: 4 }} data-testid="receipt-hash">{receipt.receipt}</Typography.Paragraph>
            <Typography.Paragraph copyable style={{ fontFamily: 'monospace', fontSize: 11, marginBottom: 4 }}>{receipt.canonical}</Typography.Paragraph>
            <span className="jc-muted">{t('tender.bid.receiptHelp')}</span> <Button size="small" onClick={() => download(receipt)}>{t('tender.bid.download')}</Button>
          </div>} />
      ) : null}
      {tender.generics.map((g) => {
        const q = (quals.data ?? []).find((x) => x.generic_id === g.id);
        const b = (bids.data ?? []).find((x) => x.generic_id === g.id);
        return (
          <Card key={g.id} size="small" title={`${g.generic_name} · ${t('tender.repSpec')} ${g.rep_strength}${g.strength_unit} · ${t('tender.maxPrice')} ${fmtUnitPrice(g.max_price)}`}>
            {q ? <div>{t('tender.qualify.done', { product: q.product_code, spec: q.specification })}</div> : canQualify ? (
              <Form layout="inline" onFinish={(v) => qualify(g.id, v)}>
                <Form.Item name="product_code" label={t('tender.qualify.product')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 240 }} data-testid="qualify-product" /></Form.Item>
                <Form.Item name="strength" label={`${t('tender.strength')}（${g.strength_unit}）`} rules={[{ required: true, pattern: /^\d+(\.\d{1,4})?$/, message: t('error.invalid_decimal') }]}><Input style={{ width: 90 }} data-testid="qualify-strength" /></Form.Item>
                <Button htmlType="submit" loading={action.busy} data-testid="qualify-submit">{t('tender.qualify')}</Button>
              </Form>
            ) : null}
            {q && tender.status === 'bidding' ? (
              <Form layout="inline" style={{ marginTop: 8 }} onFinish={(v) => bid(g.id, v)}>
                <Form.Item name="pack_price" label={t('tender.bid.price')} rules={[{ required: true, pattern: moneyPattern(2), message: t('error.invalid_decimal') }]}><Input style={{ width: 140 }} prefix="¥" data-testid="bid-price" /></Form.Item>
                <Button type="primary" htmlType="submit" loading={action.busy} data-testid="bid-submit">{b ? t('tender.bid.replace') : t('tender.bid.submit')}</Button>
              </Form>
            ) : null}
            {b ? <div style={{ marginTop: 8 }} data-testid="my-bid"><Tag color="blue">{t('tender.bid.sealed')}</Tag>{t('tender.bid.version')} {b.version} · {fmtDateTime(b.submitted_at)} · <Typography.Text code>{b.receipt.slice(0, 16)}…</Typography.Text></div> : null}
          </Card>
        );
      })}
    </Space>
  );
}

function explain(t: ReturnType<typeof useI18n>['t'], g: GenericResult, b: BidResult): string[] {
  const lines = [
    t('tender.explain.unit', { pack: b.pack_price, units: b.units_per_pack, unit: Number(b.unit_price).toFixed(6) }),
    t('tender.explain.comparable', { k: b.coefficient, cmp: b.comparable }),
  ];
  if (g.generic.threshold && b.shortlisted) lines.push(t('tender.explain.threshold', { line: g.generic.threshold }));
  if (b.offer_price) lines.push(t('tender.explain.offer', { price: b.offer_price, pack: b.offer_pack_price ?? '', deadline: fmtDateTime(b.offer_deadline) }));
  if (b.cost_statement_required) lines.push(t('tender.explain.cost'));
  return lines;
}

function ResultsTab({ tender, reloadTender }: { tender: TenderView; reloadTender: () => void }) {
  const { t, tf } = useI18n();
  const me = useMe();
  const action = useAction();
  const [reload, setReload] = useState(0);
  const res = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}/results', { params: { path: { id: tender.id } } })), [tender.id, reload]);
  if (at(tender.status) < at('opened')) return <Alert type="info" showIcon title={t('tender.results.sealed', { at: fmtDateTime(tender.opening_at) })} />;
  const answer = (b: BidResult, accept: boolean) =>
    action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/bids/{bid_id}/offer', { params: { path: { id: tender.id, bid_id: b.bid_id } }, body: { accept } })), t('common.saved'))
      .then((ok) => { if (ok) { setReload((n) => n + 1); reloadTender(); } });
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {res.error ? <ErrorAlert error={res.error} onRetry={res.reload} /> : null}
      {action.error ? <ErrorAlert error={action.error} /> : null}
      {res.loading && !res.data ? <Spin /> : null}
      {(res.data ?? []).map((g) => (
        <Card key={g.generic.id} size="small" title={`${g.generic.generic_name} · ${tf('tender.preset.' + g.rule_set, g.rule_set)}`} data-testid="result-card"
          extra={<span className="jc-muted">{t('tender.cap')} {g.generic.shortlist_cap}/{g.generic.valid_bids} · {t('tender.lowest')} {fmtUnitPrice(g.generic.lowest)}{g.generic.anchor ? ` · ${t('tender.anchor')} ${fmtUnitPrice(g.generic.anchor)}` : ''} · {t('tender.threshold')} {fmtUnitPrice(g.generic.threshold)}</span>}>
          <Table<BidResult> size="small" bordered rowKey="bid_id" pagination={false} dataSource={g.bids} scroll={{ x: 'max-content' }} data-testid="result-table"
            rowClassName={(b) => (b.selected ? 'jc-row-win' : '')}
            columns={[
              { title: t('tender.results.rank'), dataIndex: 'rank', className: 'jc-num', render: (v) => v ?? '—' },
              { title: t('tender.results.enterprise'), dataIndex: 'enterprise_name' },
              { title: t('tender.results.spec'), dataIndex: 'specification' },
              { title: t('tender.results.packPrice'), dataIndex: 'pack_price', className: 'jc-num', render: (v) => fmtMoney(v) },
              { title: t('tender.results.k'), dataIndex: 'coefficient', className: 'jc-num' },
              { title: t('tender.results.comparable'), dataIndex: 'comparable', className: 'jc-num', render: (v) => <b>{fmtUnitPrice(v)}</b> },
              { title: t('tender.results.decision'), dataIndex: 'decision', render: (d: string, b) => (
                <Space direction="vertical" size={0}>
                  <Tag color={b.selected ? 'green' : d === 'offered' ? 'orange' : 'default'} data-testid="decision" data-decision={d}>{t(('tender.decision.' + d) as never)}</Tag>
                  {b.offer_answer ? <Tag>{t(('tender.offer.' + b.offer_answer) as never)}</Tag> : null}
                  {b.offer_price && !b.offer_answer && b.enterprise_id === me.organization.id && tender.status === 'opened' ? (
                    <Space><Button size="small" type="primary" onClick={() => answer(b, true)} data-testid="offer-accept">{t('tender.offer.accept')}</Button><Button size="small" onClick={() => answer(b, false)}>{t('tender.offer.refuse')}</Button></Space>
                  ) : null}
                </Space>) },
              { title: t('tender.results.explain'), key: 'why', render: (_, b) => <div style={{ fontSize: 12 }}>{explain(t, g, b).map((l) => <div key={l}>{l}</div>)}</div> },
              { title: t('tender.results.final'), dataIndex: 'final_pack_price', className: 'jc-num', render: (v) => (v ? <b>{fmtMoney(v)}</b> : '—') },
              { title: t('tender.bid.receipt'), dataIndex: 'receipt', render: (v: string) => <Typography.Text code copyable={{ text: v }}>{v.slice(0, 10)}…</Typography.Text> },
            ]} />
        </Card>
      ))}
    </Space>
  );
}

function ObjectionsTab({ tender }: { tender: TenderView }) {
  const { t } = useI18n();
  const me = useMe();
  const action = useAction();
  const [reload, setReload] = useState(0);
  const [body, setBody] = useState('');
  const list = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}/objections', { params: { path: { id: tender.id } } })), [tender.id, reload]);
  const file = () => action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/objections', { params: { path: { id: tender.id } }, body: { body, generic_id: null } })), t('common.saved'))
    .then((ok) => { if (ok) { setBody(''); setReload((n) => n + 1); } });
  const answer = (id: string) => {
    const text = window.prompt(t('tender.objection.answer'));
    if (!text) return;
    action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/objections/{objection_id}/answer', { params: { path: { id: tender.id, objection_id: id } }, body: { answer: text } })), t('common.saved'))
      .then((ok) => ok && setReload((n) => n + 1));
  };
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      {me.role === 'supplier' && tender.status === 'proposed' ? (
        <Space.Compact style={{ width: '100%' }}>
          <Input.TextArea value={body} onChange={(e) => setBody(e.target.value)} placeholder={t('tender.objection.body')} autoSize={{ minRows: 2 }} />
          <Button type="primary" disabled={!body.trim()} onClick={file}>{t('tender.objection.file')}</Button>
        </Space.Compact>
      ) : null}
      <Table size="small" bordered rowKey="id" dataSource={list.data ?? []} loading={list.loading} pagination={false} locale={{ emptyText: t('tender.objection.none') }}
        columns={[
          { title: t('tender.objection.filedAt'), dataIndex: 'filed_at', render: fmtDateTime },
          { title: t('tender.objection.body'), dataIndex: 'body' },
          { title: t('tender.objection.answer'), dataIndex: 'answer', render: (v: string | null, o) => v ?? (me.role === 'bureau_officer' && tender.status === 'proposed' ? <Button size="small" onClick={() => answer(o.id)}>{t('tender.objection.answer')}</Button> : '—') },
        ]} />
    </Space>
  );
}

function BoardTab({ tender, reloadTender }: { tender: TenderView; reloadTender: () => void }) {
  const { t } = useI18n();
  const me = useMe();
  const action = useAction();
  const [reload, setReload] = useState(0);
  const [choice, setChoice] = useState<Record<string, string>>({});
  const boards = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}/board', { params: { path: { id: tender.id } } })), [tender.id, reload]);
  if (at(tender.status) < at('final')) return <Empty />;
  const pick = (b: Board) => action.run(() => unwrap(api.POST('/api/v1/tenders/{id}/picks', { params: { path: { id: tender.id } }, body: { generic_id: b.generic_id, region_id: choice[b.generic_id] } })), t('common.saved'))
    .then((ok) => { if (ok) { setReload((n) => n + 1); reloadTender(); } });
  const regionName = (id: string) => tender.supply_regions.find((r) => r.id === id)?.name ?? id;
  return (
    <Space direction="vertical" style={{ width: '100%' }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      {boards.error ? <ErrorAlert error={boards.error} onRetry={boards.reload} /> : null}
      {(boards.data ?? []).map((b) => {
        const name = (id?: string | null) => (id ? b.winners.find((w) => w.enterprise_id === id)?.enterprise_name ?? id : '—');
        const mine = b.next && b.next.enterprise_id === me.organization.id;
        return (
          <Card key={b.generic_id} size="small" title={b.generic_name} data-testid="board-card" extra={t('tender.board.ratio', { pct: Math.round(Number(b.ratio) * 100) })}>
            {b.next ? (
              <Alert type={mine ? 'warning' : 'info'} showIcon style={{ marginBottom: 8 }} data-testid="board-next"
                title={t('tender.board.next', { name: b.next.enterprise_name, kind: t(('tender.board.kind.' + b.next.kind) as never), round: b.next.round, at: fmtDateTime(b.next.lapses_at) })}
                action={mine ? (
                  <Space>
                    <Select style={{ width: 160 }} value={choice[b.generic_id]} onChange={(v) => setChoice({ ...choice, [b.generic_id]: v })} data-testid="pick-region"
                      options={b.next.choices.map((id) => ({ value: id, label: `${regionName(id)}（${(b.regions.find((r) => r.region.id === id)?.base ?? 0).toLocaleString()}）` }))} />
                    <Button type="primary" disabled={!choice[b.generic_id]} onClick={() => pick(b)} data-testid="pick-submit">{t('tender.board.pick')}</Button>
                  </Space>
                ) : undefined} />
            ) : <Alert type="success" showIcon title={t('tender.board.done')} style={{ marginBottom: 8 }} />}
            <Table size="small" bordered rowKey={(r) => r.region.id} pagination={false} dataSource={b.regions}
              columns={[
                { title: t('tender.board.region'), key: 'r', render: (_, r) => `${r.region.name}（${r.region.code}）` },
                { title: t('tender.board.base'), dataIndex: 'base', className: 'jc-num', render: (v: number) => v.toLocaleString() },
                { title: t('tender.board.primary'), dataIndex: 'primary', render: (v) => name(v) },
                { title: t('tender.board.backup'), dataIndex: 'backup', render: (v) => name(v) },
              ]} />
            <div style={{ marginTop: 8 }}>
              {b.winners.map((w) => <div key={w.enterprise_id}>{t('tender.board.share', { name: w.enterprise_name, base: w.primary_base.toLocaleString(), qty: w.agreed_qty.toLocaleString() })}</div>)}
            </div>
            <div className="jc-muted" style={{ marginTop: 8, fontSize: 12 }}>
              {b.picks.map((p) => <span key={p.seq} style={{ marginRight: 12 }}>{p.seq}. {p.enterprise_name} → {regionName(p.region_id)}（{t(('tender.board.kind.' + p.kind) as never)}{p.by_default ? '，' + t('tender.board.byDefault') : ''}）</span>)}
            </div>
          </Card>
        );
      })}
    </Space>
  );
}

export default function TenderDetail() {
  const { id = '' } = useParams();
  const { t } = useI18n();
  const me = useMe();
  const tender = useAsync(() => unwrap(api.GET('/api/v1/tenders/{id}', { params: { path: { id } } })), [id]);
  if (tender.error) return <ErrorAlert error={tender.error} onRetry={tender.reload} />;
  if (!tender.data) return <Spin />;
  const td = tender.data;
  const current = at(td.status);
  const tabs = [
    { key: 'overview', label: t('tender.tab.overview'), children: <Overview tender={td} reload={tender.reload} /> },
    ...(me.role === 'hospital_buyer' || me.role === 'bureau_officer' ? [{ key: 'demand', label: t('tender.tab.demand'), children: <DemandTab tender={td} /> }] : []),
    ...(me.role === 'supplier' ? [{ key: 'bidding', label: t('tender.tab.bidding'), children: <BiddingTab tender={td} /> }] : []),
    { key: 'results', label: t('tender.tab.results'), children: <ResultsTab tender={td} reloadTender={tender.reload} /> },
    ...(current >= at('proposed') ? [{ key: 'objections', label: t('tender.tab.objections'), children: <ObjectionsTab tender={td} /> }] : []),
    ...(current >= at('final') ? [{ key: 'board', label: t('tender.tab.board'), children: <BoardTab tender={td} reloadTender={tender.reload} /> }] : []),
  ];
  return (
    <div>
      <PageTitle title={<span>{td.name} <TenderStatusTag status={td.status} /></span>} />
      <Steps size="small" current={current} style={{ marginBottom: 16 }} data-testid="tender-steps"
        items={TENDER_STATUSES.map((s) => ({ title: t(('tender.status.' + s) as never) }))} />
      <Tabs items={tabs} destroyOnHidden data-testid="tender-tabs" />
    </div>
  );
}
