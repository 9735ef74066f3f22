import { PlusOutlined } from '@ant-design/icons';
import { Button, Form, Input, Select, Space, Tag, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { api, unwrap, type BidView, type NewWinningBid } from '../../api/client';
import { useMe } from '../../auth';
import { CreateModal } from '../../components/CreateModal';
import { fmtMoney, fmtUnitPrice } from '../../components/format';
import { moneyPattern, useBatches, useOrgs, useProducts } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

interface BidForm {
  batch_id: string; product_code: string; enterprise_id: string; pack_price: string; unit_price?: string;
  primary_regions: string[]; backup_regions?: string[]; distributor_ids?: string[];
}

export default function Bids() {
  const { t, tf } = useI18n();
  const me = useMe();
  const [open, setOpen] = useState(false);
  const [reload, setReload] = useState(0);
  const [q, setQ] = useState('');
  const [batchId, setBatchId] = useState<string>();
  const batches = useBatches();
  const products = useProducts();
  const enterprises = useOrgs('enterprise');
  const columns: TableColumnsType<BidView> = [
    { title: t('field.genericName'), key: 'p', render: (_, b) => <div><b>{b.product.generic_name}</b> {b.product.specification}×{b.product.pack_size}{b.product.min_unit}<div className="jc-muted">{b.product.code}</div></div> },
    { title: t('field.batch'), dataIndex: 'batch_name' },
    { title: t('field.manufacturer'), dataIndex: 'enterprise_name' },
    { title: t('field.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v, b) => `${fmtUnitPrice(v)}/${b.product.min_unit}` },
    { title: t('field.packPrice'), dataIndex: 'pack_price', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('field.supplyRegions'), key: 'r', render: (_, b) => b.supply_regions.map((r) => <Tag key={r.region_code + r.role}>{r.region_code} {tf('supplyRole.' + r.role, r.role)}</Tag>) },
    { title: t('field.distributors'), key: 'd', render: (_, b) => b.distributors.map((d) => <Tag key={d.id}>{d.name}</Tag>) },
    { title: t('field.cycle'), key: 'c', render: (_, b) => `${b.cycle_start} ~ ${b.cycle_end}` },
  ];
  const ents = enterprises.data ?? [];
  return (
    <div>
      <PageTitle title={t('menu.bids')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-open">{t('bureau.bidCreate')}</Button>} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.batch')}>
          <Select allowClear style={{ width: 260 }} value={batchId} onChange={setBatchId} placeholder={t('common.all')} loading={batches.loading}
            options={(batches.data ?? []).map((b) => ({ value: b.id, label: b.name }))} />
        </Form.Item>
        <Form.Item label={t('common.search')}><Input.Search allowClear onSearch={(v) => setQ(v.trim())} style={{ width: 240 }} placeholder={t('catalogue.searchPlaceholder')} /></Form.Item>
      </Form>
      <ServerTable<BidView> testId="bids-table" columns={columns} deps={[q, batchId, reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/winning-bids', { params: { query: { page, per_page, q: q || undefined, batch_id: batchId } } }))} />
      <CreateModal<BidForm, NewWinningBid>
        title={t('bureau.bidCreate')} open={open} onClose={() => setOpen(false)} onCreated={() => setReload((n) => n + 1)} width={720}
        bulk bulkExample={[{ batch_id: '…', product_code: 'XC10AXY098A010010100091', enterprise_id: '…', pack_price: '38.89', supply_regions: [{ region_code: me.region?.province_code ?? '440000', role: 'primary' }], distributor_ids: ['…'] }]}
        importKind="winning-bids"
        initialValues={{ primary_regions: me.region ? [me.region.province_code] : [] }}
        toBody={(v) => ({
          batch_id: v.batch_id, product_code: v.product_code, enterprise_id: v.enterprise_id, pack_price: v.pack_price.trim(),
          unit_price: v.unit_price?.trim() || null,
          supply_regions: [
            ...v.primary_regions.map((c) => ({ region_code: c.trim(), role: 'primary' as const })),
            ...(v.backup_regions ?? []).map((c) => ({ region_code: c.trim(), role: 'backup' as const })),
          ],
          distributor_ids: v.distributor_ids ?? [],
        })}
        send={(items, key) => unwrap(api.POST('/api/v1/winning-bids', { params: { header: { 'Idempotency-Key': key } }, body: items }))}
        fields={() => (
          <>
            <Form.Item name="batch_id" label={t('field.batch')} rules={[{ required: true }]}>
              <Select options={(batches.data ?? []).map((b) => ({ value: b.id, label: `${b.name} (${b.document_no})` }))} />
            </Form.Item>
            <Form.Item name="product_code" label={t('field.genericName')} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={(products.data ?? []).map((p) => ({ value: p.code, label: `${p.generic_name} ${p.specification}×${p.pack_size}${p.min_unit} · ${p.code}` }))} />
            </Form.Item>
            <Form.Item name="enterprise_id" label={t('field.manufacturer')} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={ents.filter((e) => e.is_manufacturer).map((e) => ({ value: e.id, label: e.name }))} />
            </Form.Item>
            <Space wrap>
              <Form.Item name="pack_price" label={t('field.packPrice')} rules={[{ required: true, pattern: moneyPattern(2), message: '16.50' }]}><Input prefix="¥" style={{ width: 140 }} /></Form.Item>
              <Form.Item name="unit_price" label={t('field.unitPrice')} extra={t('bureau.unitPriceHelp')} rules={[{ pattern: moneyPattern(4), message: '1.6500' }]}><Input prefix="¥" style={{ width: 140 }} /></Form.Item>
            </Space>
            <Space wrap>
              <Form.Item name="primary_regions" label={`${t('field.supplyRegions')} (${t('supplyRole.primary')})`} rules={[{ required: true, type: 'array', min: 1 }]}>
                <Select mode="tags" style={{ width: 240 }} tokenSeparators={[',', ' ']} />
              </Form.Item>
              <Form.Item name="backup_regions" label={`${t('field.supplyRegions')} (${t('supplyRole.backup')})`}>
                <Select mode="tags" style={{ width: 240 }} tokenSeparators={[',', ' ']} />
              </Form.Item>
            </Space>
            <Form.Item name="distributor_ids" label={t('field.distributors')}>
              <Select mode="multiple" showSearch optionFilterProp="label" options={ents.filter((e) => e.is_distributor).map((e) => ({ value: e.id, label: e.name }))} />
            </Form.Item>
          </>
        )}
      />
    </div>
  );
}
