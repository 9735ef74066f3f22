import { PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, InputNumber, Select, Space, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, unwrap, type NewProduct, type ProductRow, type Query } from '../../api/client';
import { CreateModal } from '../../components/CreateModal';
import { ServerTable } from '../../components/ServerTable';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type Category = NonNullable<Query<'/api/v1/products'>['category']>;
const EXAMPLE = [{ code: 'XA10BAE021A010010201650', generic_name: '盐酸二甲双胍片', generic_name_en: 'Metformin Hydrochloride Tablets', dosage_form: '片剂', specification: '0.5 g', pack_size: 20, min_unit: '片' }];

export default function Products() {
  const { t, tf } = useI18n();
  const [open, setOpen] = useState(false);
  const [reload, setReload] = useState(0);
  const [q, setQ] = useState('');
  const [category, setCategory] = useState<Category>();
  const columns: TableColumnsType<ProductRow> = [
    { title: t('field.productCode'), dataIndex: 'code', render: (v) => <code>{v}</code> },
    { title: t('field.genericName'), dataIndex: 'generic_name', render: (v, p) => <div><b>{v}</b>{p.generic_name_en ? <div className="jc-muted">{p.generic_name_en}</div> : null}</div> },
    { title: t('field.category'), dataIndex: 'category', render: (v) => tf('category.' + v, v) },
    { title: t('field.dosageForm'), dataIndex: 'dosage_form' },
    { title: t('field.specification'), dataIndex: 'specification' },
    { title: t('field.packSize'), dataIndex: 'pack_size', className: 'jc-num' },
    { title: t('field.minUnit'), dataIndex: 'min_unit' },
    { title: t('standards.consistency'), dataIndex: 'consistency', render: (v?: string | null) => (v ? tf('standards.consistency.' + v, v) : '—') },
  ];
  return (
    <div>
      <PageTitle title={t('menu.products')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-open">{t('bureau.productCreate')}</Button>} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('common.search')}><Input.Search allowClear onSearch={(v) => setQ(v.trim())} style={{ width: 240 }} placeholder={`${t('field.genericName')} / ${t('field.productCode')}`} /></Form.Item>
        <Form.Item label={t('field.category')}>
          <Select allowClear style={{ width: 160 }} value={category} onChange={setCategory} placeholder={t('common.all')}
            options={(['drug', 'consumable'] as const).map((v) => ({ value: v, label: tf('category.' + v, v) }))} />
        </Form.Item>
      </Form>
      <ServerTable<ProductRow> testId="products-table" columns={columns} deps={[q, category, reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/products', { params: { query: { page, per_page, q: q || undefined, category } } }))} />
      <CreateModal<NewProduct, NewProduct>
        title={t('bureau.productCreate')} open={open} onClose={() => setOpen(false)} onCreated={() => setReload((n) => n + 1)}
        bulk bulkExample={EXAMPLE} importKind="products"
        toBody={(v) => ({ ...v, code: v.code.trim(), generic_name_en: v.generic_name_en?.trim() || null, consistency: v.consistency ?? null })}
        send={(items, key) => unwrap(api.POST('/api/v1/products', { params: { header: { 'Idempotency-Key': key } }, body: items }))}
        fields={() => (
          <>
            <Form.Item name="code" label={t('field.productCode')} rules={[{ required: true, whitespace: true }]} extra="XA10BAE021A010010201650 / C0101010010100103941">
              <Input maxLength={23} />
            </Form.Item>
            <Space wrap>
              <Form.Item name="generic_name" label={t('field.genericName')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 220 }} /></Form.Item>
              <Form.Item name="generic_name_en" label={t('field.genericNameEn')}><Input style={{ width: 260 }} /></Form.Item>
            </Space>
            <Space wrap>
              <Form.Item name="dosage_form" label={t('field.dosageForm')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 120 }} placeholder="片剂" /></Form.Item>
              <Form.Item name="specification" label={t('field.specification')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 140 }} placeholder="10 mg" /></Form.Item>
              <Form.Item name="pack_size" label={t('field.packSize')} rules={[{ required: true }]}><InputNumber min={1} precision={0} style={{ width: 100 }} /></Form.Item>
              <Form.Item name="min_unit" label={t('field.minUnit')} rules={[{ required: true, whitespace: true }]}><Input style={{ width: 80 }} placeholder="片" /></Form.Item>
              <Form.Item name="consistency" label={t('standards.consistency')}>
                <Select allowClear style={{ width: 120 }} options={(['originator', 'passed', 'not_passed'] as const).map((v) => ({ value: v, label: tf('standards.consistency.' + v, v) }))} />
              </Form.Item>
            </Space>
          </>
        )}
      />
    </div>
  );
}
