import { CloudUploadOutlined, ExportOutlined } from '@ant-design/icons';
import { Alert, Button, Input, Popconfirm, Space, Table, Tag, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, newIdempotencyKey, unwrap, type Ok } from '../../api/client';
import { useMe } from '../../auth';
import { ErrorAlert } from '../../components/errors';
import { fmtDateTime } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { ServerTable } from '../../components/ServerTable';
import { useAction } from '../../components/useAction';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type Publication = Ok<'/api/v1/publications', 'get'>['items'][number];
const KINDS = ['payment_timeliness', 'tender_results', 'winning_prices', 'credit_ratings', 'payment_standards'] as const;

/** The bureau chooses what the public site shows and when: each kind is published as a new version. */
export default function Publications() {
  const { t } = useI18n();
  const me = useMe();
  const action = useAction();
  const [tick, setTick] = useState(0);
  const [notes, setNotes] = useState<Record<string, string>>({});
  const latest = useAsync(() => unwrap(api.GET('/api/v1/publications', { params: { query: { page: 1, per_page: 200 } } })), [tick]);
  const region = me.region?.code;
  const publish = async (kind: (typeof KINDS)[number]) => {
    const out = await action.run(() => unwrap(api.POST('/api/v1/publications', {
      params: { header: { 'Idempotency-Key': newIdempotencyKey() } }, body: { kind, note: notes[kind]?.trim() || null },
    })));
    if (out) setTick((n) => n + 1);
  };
  const rows = KINDS.map((kind) => ({ kind, last: latest.data?.items.find((p) => p.kind === kind) }));
  const history: TableColumnsType<Publication> = [
    { title: t('pub.kind'), dataIndex: 'kind', render: (k: string) => t(('public.kind.' + k) as never) },
    { title: t('pub.version'), dataIndex: 'version', className: 'jc-num' },
    { title: t('pub.asOf'), dataIndex: 'as_of' },
    { title: t('pub.items'), dataIndex: 'items', className: 'jc-num' },
    { title: t('pub.note'), dataIndex: 'note', render: (n: string | null) => n ?? '' },
    { title: 'SHA-256', dataIndex: 'sha256', render: (h: string) => <code title={h}>{h.slice(0, 12)}…</code> },
    { title: t('pub.publishedAt'), dataIndex: 'published_at', render: fmtDateTime },
  ];
  return (
    <div>
      <PageTitle title={t('pub.title')} />
      <Alert type="info" showIcon style={{ marginBottom: 12 }} title={t('pub.hint')} />
      {action.error ? <ErrorAlert error={action.error} /> : null}
      <Table size="small" bordered rowKey="kind" pagination={false} dataSource={rows} style={{ marginBottom: 16 }} data-testid="publish-table" columns={[
        { title: t('pub.kind'), dataIndex: 'kind', render: (k: string) => <b>{t(('public.kind.' + k) as never)}</b> },
        { title: t('pub.version'), key: 'v', render: (_, r) => (r.last ? <Tag color="blue">{`${t('pub.version')} ${r.last.version} · ${r.last.as_of}`}</Tag> : <span className="jc-muted">{t('pub.none')}</span>) },
        { title: t('pub.publishedAt'), key: 'at', render: (_, r) => (r.last ? fmtDateTime(r.last.published_at) : '—') },
        { title: t('pub.note'), key: 'note', render: (_, r) => <Input style={{ width: 260 }} value={notes[r.kind] ?? ''} maxLength={500} onChange={(e) => setNotes({ ...notes, [r.kind]: e.target.value })} data-testid={`note-${r.kind}`} /> },
        {
          title: t('common.actions'), key: 'act', render: (_, r) => (
            <Space>
              <Popconfirm title={t('pub.publish')} onConfirm={() => publish(r.kind)}>
                <Button type="primary" icon={<CloudUploadOutlined />} loading={action.busy} data-testid={`publish-${r.kind}`}>{t('pub.publish')}</Button>
              </Popconfirm>
              {region && r.last ? <Button icon={<ExportOutlined />} href={`/public/${region}/${r.kind}`} target="_blank">{t('pub.open')}</Button> : null}
            </Space>
          ),
        },
      ]} />
      <ServerTable<Publication> testId="publications-table" columns={history} deps={[tick]} locale={{ emptyText: t('pub.none') }}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/publications', { params: { query: { page, per_page } } }))} />
    </div>
  );
}
