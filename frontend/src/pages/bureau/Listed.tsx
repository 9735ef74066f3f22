import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Form, Input, Select, Space, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, unwrap, type ListedView, type NewListedProduct } from '../../api/client';
import { CreateModal } from '../../components/CreateModal';
import { fmtDateTime, fmtMoney, fmtUnitPrice } from '../../components/format';
import { moneyPattern, useOrgs, useProducts } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { KindTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type NewListed = NewListedProduct;

export default function Listed() {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [reload, setReload] = useState(0);
  const products = useProducts();
  const enterprises = useOrgs('enterprise');
  const columns: TableColumnsType<ListedView> = [
    { title: t('field.genericName'), key: 'p', render: (_, l) => <div><b>{l.product.generic_name}</b> {l.product.specification}×{l.product.pack_size}{l.product.min_unit}<div className="jc-muted">{l.product.code}</div></div> },
    { title: t('field.kind'), key: 'k', render: () => <KindTag kind="listed" /> },
    { title: t('field.enterprise'), dataIndex: 'enterprise_name' },
    { title: t('field.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v, l) => `${fmtUnitPrice(v)}/${l.product.min_unit}` },
    { title: t('field.packPrice'), dataIndex: 'pack_price', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('field.recordedAt'), dataIndex: 'created_at', render: fmtDateTime },
  ];
  return (
    <div>
      <PageTitle title={t('menu.listed')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-open">{t('bureau.listedCreate')}</Button>} />
      <Alert type="warning" showIcon title={t('catalogue.listedHint')} style={{ marginBottom: 12 }} />
      <ServerTable<ListedView> testId="listed-table" columns={columns} deps={[reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/listed-products', { params: { query: { page, per_page } } }))} />
      <CreateModal<NewListed, NewListed>
        title={t('bureau.listedCreate')} open={open} onClose={() => setOpen(false)} onCreated={() => setReload((n) => n + 1)}
        bulk bulkExample={[{ product_code: 'XC10AXY098A010010100091', enterprise_id: '…', pack_price: '65.00' }]} importKind="listed-products"
        toBody={(v) => ({ ...v, pack_price: v.pack_price.trim(), unit_price: v.unit_price?.trim() || null })}
        send={(items, key) => unwrap(api.POST('/api/v1/listed-products', { params: { header: { 'Idempotency-Key': key } }, body: items }))}
        fields={() => (
          <>
            <Form.Item name="product_code" label={t('field.genericName')} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={(products.data ?? []).map((p) => ({ value: p.code, label: `${p.generic_name} ${p.specification}×${p.pack_size}${p.min_unit} · ${p.code}` }))} />
            </Form.Item>
            <Form.Item name="enterprise_id" label={t('field.enterprise')} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={(enterprises.data ?? []).map((e) => ({ value: e.id, label: e.name }))} />
            </Form.Item>
            <Space wrap>
              <Form.Item name="pack_price" label={t('field.packPrice')} rules={[{ required: true, pattern: moneyPattern(2), message: '65.00' }]}><Input prefix="¥" style={{ width: 140 }} /></Form.Item>
              <Form.Item name="unit_price" label={t('field.unitPrice')} extra={t('bureau.unitPriceHelp')} rules={[{ pattern: moneyPattern(4), message: '6.5000' }]}><Input prefix="¥" style={{ width: 140 }} /></Form.Item>
            </Space>
          </>
        )}
      />
    </div>
  );
}
