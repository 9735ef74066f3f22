import { Alert, Button, Card, Descriptions, Form, Input, Popconfirm, Select, Space, Spin, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, unwrap, type Ok } from '../../api/client';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime, fmtMoney } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';
import { CaseStatusTag } from './Credit';

type CaseView = Ok<'/api/v1/credit/cases/{id}', 'get'>;
interface Grading { branch: string; scheme: string; conduct: string; suggested?: string | null; amount?: string; from?: string; to?: string | null; lowest?: string; condition?: string }
interface Failure { order_id: string; order_no: string; hospital: string; placed_on: string; status: string; failure: string }
interface Evidence { month: string; unshipped_days: number; orders: Failure[] }

/** The grading explained in the reader's language, line by line from the recorded inputs. */
function Why({ c }: { c: CaseView }) {
  const { t, tf, lang } = useI18n();
  const g = c.grading as unknown as Grading;
  const gradeName = (code?: string | null) => {
    const def = c.grades.find((x) => x.code === code);
    return def ? (lang === 'zh' ? def.name_zh : def.name_en) : code ?? '—';
  };
  const conduct = tf('credit.conduct.' + g.conduct, g.conduct);
  const vars = { conduct, amount: fmtMoney(g.amount), from: fmtMoney(g.from), to: fmtMoney(g.to), lowest: fmtMoney(g.lowest), scheme: g.scheme, grade: gradeName(g.suggested) };
  const text = g.branch === 'band'
    ? t(g.to ? 'credit.why.band' : 'credit.why.bandTop', vars)
    : g.branch === 'below_bands' ? t('credit.why.below', vars)
      : g.branch === 'top_condition' ? t('credit.why.top', { ...vars, condition: tf('credit.top.' + g.condition, g.condition ?? '') })
        : t('credit.why.officer');
  return <span data-testid="case-why">{text}</span>;
}

function Decide({ c, onDone }: { c: CaseView; onDone: (v: CaseView) => void }) {
  const { t, lang } = useI18n();
  const action = useAction();
  const [form] = Form.useForm<{ grade: string; reason: string }>();
  const submit = async () => {
    const v = await form.validateFields().catch(() => null);
    if (!v) return;
    const out = await action.run(() => unwrap(api.POST('/api/v1/credit/cases/{id}/decide', { params: { path: { id: c.id } }, body: v })), t('credit.saved'));
    if (out) onDone(out);
  };
  return (
    <Card size="small" title={t('credit.decide')} style={{ marginBottom: 12 }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Form form={form} layout="inline" initialValues={{ grade: c.suggested_grade ?? undefined }}>
        <Form.Item name="grade" label={t('credit.grade')} rules={[{ required: true }]}>
          <Select style={{ width: 200 }} data-testid="decide-grade" options={c.grades.map((g) => ({ value: g.code, label: lang === 'zh' ? g.name_zh : g.name_en }))} />
        </Form.Item>
        <Form.Item name="reason" label={t('credit.reason')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 360 }} data-testid="decide-reason" /></Form.Item>
        <Form.Item><Button type="primary" onClick={submit} loading={action.busy} data-testid="decide-submit">{t('credit.decide')}</Button></Form.Item>
      </Form>
    </Card>
  );
}

function Approve({ c, onDone }: { c: CaseView; onDone: (v: CaseView) => void }) {
  const { t } = useI18n();
  const action = useAction();
  const [note, setNote] = useState('');
  const review = (approve: boolean) => action.run(async () => {
    const out = await unwrap(api.POST('/api/v1/credit/cases/{id}/approve', { params: { path: { id: c.id } }, body: { approve, note: note.trim() || null } }));
    onDone(out);
    return out;
  }, t('credit.saved'));
  return (
    <Card size="small" title={t('credit.approve')} style={{ marginBottom: 12 }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Space wrap>
        <Input style={{ width: 360 }} placeholder={t('credit.reviewNote')} value={note} onChange={(e) => setNote(e.target.value)} data-testid="approve-note" />
        <Popconfirm title={t('credit.approve')} onConfirm={() => review(true)}><Button type="primary" loading={action.busy} data-testid="approve">{t('credit.approve')}</Button></Popconfirm>
        <Button onClick={() => review(false)} loading={action.busy} data-testid="send-back">{t('credit.sendBack')}</Button>
      </Space>
    </Card>
  );
}

function Dismiss({ c, onDone }: { c: CaseView; onDone: (v: CaseView) => void }) {
  const { t } = useI18n();
  const action = useAction();
  const [reason, setReason] = useState('');
  const dismiss = () => action.run(async () => {
    const out = await unwrap(api.POST('/api/v1/credit/cases/{id}/dismiss', { params: { path: { id: c.id } }, body: { reason } }));
    onDone(out);
    return out;
  }, t('credit.saved'));
  return (
    <Space style={{ marginBottom: 12 }}>
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Input style={{ width: 320 }} placeholder={t('credit.reason')} value={reason} onChange={(e) => setReason(e.target.value)} />
      <Button danger onClick={dismiss} loading={action.busy} data-testid="dismiss">{t('credit.dismiss')}</Button>
    </Space>
  );
}

/** The corrective measures and their evidence: the enterprise submits, the bureau reviews. */
function Repair({ c, onDone }: { c: CaseView; onDone: (v: CaseView) => void }) {
  const { t, tf } = useI18n();
  const me = useMe();
  const action = useAction();
  const [evidence, setEvidence] = useState<Record<string, string>>({});
  const party = me.role === 'supplier' && c.status === 'in_force';
  const bureau = me.role === 'bureau_officer';
  const submit = (measure: string) => action.run(async () => {
    const out = await unwrap(api.POST('/api/v1/credit/cases/{id}/repairs', { params: { path: { id: c.id } }, body: { measure: measure as never, evidence: evidence[measure] ?? '' } }));
    onDone(out);
    return out;
  }, t('credit.saved'));
  const review = (repairId: string, approve: boolean) => action.run(async () => {
    const out = await unwrap(api.POST('/api/v1/credit/cases/{id}/repairs/{repair_id}/review', { params: { path: { id: c.id, repair_id: repairId } }, body: { approve, note: approve ? null : t('credit.repair.reject') } }));
    onDone(out);
    return out;
  }, t('credit.saved'));
  const rows = c.required_repairs.map((r) => ({ ...r, latest: [...c.repairs].reverse().find((x) => x.measure === r.measure) }));
  return (
    <Card size="small" title={t('credit.repair')} style={{ marginBottom: 12 }} data-testid="repair-card">
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Table size="small" bordered pagination={false} rowKey="measure" dataSource={rows} columns={[
        { title: t('credit.repair.measure'), dataIndex: 'measure', render: (m: string) => tf('credit.corrective.' + m, m) },
        { title: t('credit.repair.state'), dataIndex: 'state', render: (s: string) => <Tag color={s === 'accepted' || s.startsWith('satisfied') ? 'green' : s === 'rejected' ? 'red' : s === 'submitted' ? 'gold' : 'default'} data-testid="repair-state">{tf('credit.repair.state.' + s, s)}</Tag> },
        { title: t('credit.repair.evidence'), key: 'evidence', render: (_, r) => r.latest ? <span>{r.latest.evidence}<div className="jc-muted">{fmtDateTime(r.latest.submitted_at)}{r.latest.review_note ? ` · ${r.latest.review_note}` : ''}</div></span> : null },
        {
          title: t('common.actions'), key: 'act', render: (_, r) => {
            if (party && (r.state === 'missing' || r.state === 'rejected')) {
              return (
                <Space>
                  <Input style={{ width: 240 }} value={evidence[r.measure] ?? ''} onChange={(e) => setEvidence({ ...evidence, [r.measure]: e.target.value })} data-testid={`evidence-${r.measure}`} />
                  <Button onClick={() => submit(r.measure)} loading={action.busy} data-testid={`submit-${r.measure}`}>{t('credit.repair.submit')}</Button>
                </Space>
              );
            }
            if (bureau && r.state === 'submitted' && r.latest) {
              return (
                <Space>
                  <Button type="primary" size="small" onClick={() => review(r.latest!.id, true)} loading={action.busy} data-testid={`accept-${r.measure}`}>{t('credit.repair.accept')}</Button>
                  <Button size="small" onClick={() => review(r.latest!.id, false)} loading={action.busy}>{t('credit.repair.reject')}</Button>
                </Space>
              );
            }
            return null;
          },
        },
      ]} />
    </Card>
  );
}

export default function CreditCase() {
  const { id = '' } = useParams();
  const { t, tf, lang } = useI18n();
  const me = useMe();
  const [fresh, setFresh] = useState<CaseView | null>(null);
  const res = useAsync(() => unwrap(api.GET('/api/v1/credit/cases/{id}', { params: { path: { id } } })), [id]);
  const c = fresh?.id === id ? fresh : res.data;
  if (res.error && !c) return <ErrorAlert error={res.error} onRetry={res.reload} />;
  if (!c) return <Spin />;
  const bureau = me.role === 'bureau_officer';
  const gradeName = (code?: string | null) => {
    const def = c.grades.find((x) => x.code === code);
    return def ? (lang === 'zh' ? def.name_zh : def.name_en) : '—';
  };
  const evidence = c.evidence as unknown as Evidence | null;
  return (
    <div>
      <PageTitle title={`${t('credit.caseNo')} ${c.case_no}`} extra={<Space><CaseStatusTag status={c.status} /><Link to="/credit">{t('credit.title')}</Link></Space>} />
      {c.status === 'in_force' && c.measures.length ? (
        <Alert type="warning" showIcon style={{ marginBottom: 12 }} data-testid="case-measures"
          title={`${t('credit.measures')}：${c.measures.map((m) => tf('credit.measure.' + m, m)).join('；')}`} />
      ) : null}
      <Card size="small" style={{ marginBottom: 12 }}>
        <Descriptions size="small" column={3} bordered>
          <Descriptions.Item label={t('credit.parties')} span={3}>{c.parties.map((p) => `${p.name}（${tf('credit.role.' + p.role, p.role)}）`).join('、')}</Descriptions.Item>
          <Descriptions.Item label={t('credit.basis')}>{tf('credit.basis.' + c.basis, c.basis)}</Descriptions.Item>
          <Descriptions.Item label={t('credit.documentNo')}>{c.document_no ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.decisionDate')}>{c.decision_date}</Descriptions.Item>
          <Descriptions.Item label={t('credit.conduct')}>{tf('credit.conduct.' + c.conduct, c.conduct)}</Descriptions.Item>
          <Descriptions.Item label={t('credit.amount')}>{c.amount ? fmtMoney(c.amount) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.topCondition')}>{c.top_condition ? tf('credit.top.' + c.top_condition, c.top_condition) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.summary')} span={3}>{c.summary}</Descriptions.Item>
          {c.products.length ? <Descriptions.Item label={t('credit.products')} span={3}>{c.products.map((p) => `${p.generic_name} ${p.specification}（${p.code}）`).join('；')}</Descriptions.Item> : null}
          <Descriptions.Item label={t('credit.suggested')}>{gradeName(c.suggested_grade)}</Descriptions.Item>
          <Descriptions.Item label={t('credit.why')} span={2}><Why c={c} /><div className="jc-muted">{t('credit.policyVersion')} {c.policy_id.slice(0, 8)} · {c.grading.scheme}</div></Descriptions.Item>
          <Descriptions.Item label={t('credit.grade')}><b data-testid="case-grade">{gradeName(c.grade)}</b></Descriptions.Item>
          <Descriptions.Item label={t('credit.reason')} span={2}>{c.decision_reason ?? '—'}{c.decided_by ? <div className="jc-muted">{t('credit.decidedBy')} {c.decided_by}</div> : null}</Descriptions.Item>
          <Descriptions.Item label={t('credit.approvedBy')}>{c.approved_by ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.reviewNote')} span={2}>{c.review_note ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.effectiveFrom')}>{c.effective_from ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.endsOn')}>{c.ends_on ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('credit.distributionUntil')}>{c.distribution_until ?? '—'}</Descriptions.Item>
          {c.closed_reason ? <Descriptions.Item label={t('credit.dismiss')} span={3}>{c.closed_reason}</Descriptions.Item> : null}
        </Descriptions>
      </Card>
      {evidence ? (
        <Card size="small" title={t('credit.evidence')} style={{ marginBottom: 12 }}>
          <Typography.Paragraph>{t('credit.evidence.summary', { month: evidence.month, count: evidence.orders.length, days: evidence.unshipped_days })}</Typography.Paragraph>
          <Table<Failure> size="small" bordered pagination={false} rowKey="order_id" dataSource={evidence.orders} columns={[
            { title: t('field.orderNo'), dataIndex: 'order_no', render: (v, o) => <Link to={`/orders/${o.order_id}`}>{v}</Link> },
            { title: t('field.hospital'), dataIndex: 'hospital' },
            { title: t('credit.decisionDate'), dataIndex: 'placed_on' },
            { title: t('credit.status'), dataIndex: 'failure', render: (f: string) => tf('credit.failure.' + f, f) },
          ]} />
        </Card>
      ) : null}
      {bureau && (c.status === 'recorded' || c.status === 'proposed') ? <Decide c={c} onDone={setFresh} /> : null}
      {bureau && (c.status === 'recorded' || c.status === 'proposed') ? <Dismiss c={c} onDone={setFresh} /> : null}
      {bureau && c.status === 'pending_approval' ? <Approve c={c} onDone={setFresh} /> : null}
      {['in_force', 'repaired', 'expired'].includes(c.status) ? <Repair c={c} onDone={setFresh} /> : null}
    </div>
  );
}
