import { PlusOutlined } from '@ant-design/icons';
import { Button, DatePicker, Form, Input, InputNumber, Select, Space, Tag, type TableColumnsType } from 'antd';
import type { Dayjs } from 'dayjs';
import { useState } from 'react';
import { api, unwrap, type BatchRow, type NewBatch } from '../../api/client';
import { CreateModal } from '../../components/CreateModal';
import { fmtDateTime } from '../../components/format';
import { ServerTable } from '../../components/ServerTable';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

interface BatchForm {
  name: string; level: NewBatch['level']; category: NewBatch['category']; document_no: string;
  cycle: [Dayjs, Dayjs]; r1?: number; r2?: number; r3?: number; r4?: number;
}

function ratios(json: string): string {
  try {
    const bands = JSON.parse(json) as { min_winners: number; ratio: string }[];
    return bands.map((b) => `${b.min_winners}:${Math.round(Number(b.ratio) * 100)}%`).join(' ');
  } catch {
    return json;
  }
}

export default function Batches() {
  const { t, tf } = useI18n();
  const [open, setOpen] = useState(false);
  const [reload, setReload] = useState(0);
  const columns: TableColumnsType<BatchRow> = [
    { title: t('field.name'), dataIndex: 'name', render: (v) => <b>{v}</b> },
    { title: t('field.level'), dataIndex: 'level', render: (v) => <Tag>{tf('level.' + v, v)}</Tag> },
    { title: t('field.category'), dataIndex: 'category', render: (v) => tf('category.' + v, v) },
    { title: t('field.documentNo'), dataIndex: 'document_no' },
    { title: t('field.cycle'), key: 'cycle', render: (_, b) => `${b.cycle_start} ~ ${b.cycle_end}` },
    { title: t('field.volumeRatios'), dataIndex: 'volume_ratios', render: ratios },
    { title: t('field.recordedAt'), dataIndex: 'created_at', render: fmtDateTime },
  ];
  return (
    <div>
      <PageTitle title={t('menu.batches')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-open">{t('bureau.batchCreate')}</Button>} />
      <ServerTable<BatchRow> testId="batches-table" columns={columns} deps={[reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/batches', { params: { query: { page, per_page } } }))} />
      <CreateModal<BatchForm, NewBatch>
        title={t('bureau.batchCreate')} open={open} onClose={() => setOpen(false)} onCreated={() => setReload((n) => n + 1)}
        initialValues={{ level: 'national', category: 'drug' }}
        toBody={(v) => {
          const rs = [v.r1, v.r2, v.r3, v.r4];
          const table = rs.every((r) => r == null) ? null
            : rs.map((r, i) => ({ min_winners: i + 1, ratio: String((r ?? 0) / 100) }));
          return {
            name: v.name.trim(), level: v.level, category: v.category, document_no: v.document_no.trim(),
            cycle_start: v.cycle[0].format('YYYY-MM-DD'), cycle_end: v.cycle[1].format('YYYY-MM-DD'), volume_ratios: table,
          };
        }}
        send={async ([body], key) => unwrap(api.POST('/api/v1/batches', { params: { header: { 'Idempotency-Key': key } }, body }))}
        fields={() => (
          <>
            <Form.Item name="name" label={t('field.name')} rules={[{ required: true, whitespace: true }]}><Input placeholder="国家组织药品集中采购 第十一批" /></Form.Item>
            <Space wrap>
              <Form.Item name="level" label={t('field.level')} rules={[{ required: true }]}>
                <Select style={{ width: 160 }} options={['national', 'provincial', 'alliance'].map((v) => ({ value: v, label: tf('level.' + v, v) }))} />
              </Form.Item>
              <Form.Item name="category" label={t('field.category')} rules={[{ required: true }]}>
                <Select style={{ width: 160 }} options={['drug', 'consumable'].map((v) => ({ value: v, label: tf('category.' + v, v) }))} />
              </Form.Item>
              <Form.Item name="document_no" label={t('field.documentNo')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 180 }} placeholder="GY-YD2025-1" /></Form.Item>
            </Space>
            <Form.Item name="cycle" label={t('field.cycle')} rules={[{ required: true }]}><DatePicker.RangePicker /></Form.Item>
            <Form.Item label={t('field.volumeRatios')} extra={t('bureau.ratioHelp')}>
              <Space>
                {(['r1', 'r2', 'r3', 'r4'] as const).map((k, i) => (
                  <Form.Item key={k} name={k} noStyle><InputNumber min={0} max={100} addonBefore={`${i + 1}${i === 3 ? '+' : ''}`} addonAfter="%" style={{ width: 130 }} /></Form.Item>
                ))}
              </Space>
            </Form.Item>
          </>
        )}
      />
    </div>
  );
}
