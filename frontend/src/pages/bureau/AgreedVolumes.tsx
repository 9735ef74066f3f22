import { PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Form, InputNumber, Select, type FormInstance } from 'antd';
import { useState } from 'react';
import { api, unwrap, type AgreedVolumeView, type NewAgreedVolume } from '../../api/client';
import { serverToday } from '../../api/session';
import { CreateModal } from '../../components/CreateModal';
import { useBatches, useBids, useOrgs } from '../../components/refs';
import { ServerTable } from '../../components/ServerTable';
import { volumeColumns } from '../../components/volumes';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

type NewVolume = NewAgreedVolume;

export default function AgreedVolumes() {
  const { t } = useI18n();
  const today = serverToday();
  const [open, setOpen] = useState(false);
  const [reload, setReload] = useState(0);
  const [hospitalId, setHospitalId] = useState<string>();
  const [batchId, setBatchId] = useState<string>();
  const [year, setYear] = useState<number | null>(null);
  const hospitals = useOrgs('hospital');
  const batches = useBatches();
  const bids = useBids();
  return (
    <div>
      <PageTitle title={t('menu.agreedVolumes')} extra={<Button type="primary" icon={<PlusOutlined />} onClick={() => setOpen(true)} data-testid="create-open">{t('bureau.volumeCreate')}</Button>} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.hospital')}>
          <Select allowClear showSearch optionFilterProp="label" style={{ width: 240 }} value={hospitalId} onChange={setHospitalId} placeholder={t('common.all')}
            options={(hospitals.data ?? []).map((h) => ({ value: h.id, label: h.name }))} />
        </Form.Item>
        <Form.Item label={t('field.batch')}>
          <Select allowClear style={{ width: 240 }} value={batchId} onChange={setBatchId} placeholder={t('common.all')}
            options={(batches.data ?? []).map((b) => ({ value: b.id, label: b.name }))} />
        </Form.Item>
        <Form.Item label={t('field.agreementYear')}><InputNumber min={1} max={10} value={year} onChange={setYear} /></Form.Item>
      </Form>
      <ServerTable<AgreedVolumeView> testId="volumes-table" columns={volumeColumns(t, today, true)} deps={[hospitalId, batchId, year, reload]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/agreed-volumes', {
          params: { query: { page, per_page, hospital_id: hospitalId, batch_id: batchId, agreement_year: year ?? undefined } },
        }))} />
      <CreateModal<NewVolume, NewVolume>
        title={t('bureau.volumeCreate')} open={open} onClose={() => setOpen(false)} onCreated={() => setReload((n) => n + 1)}
        bulk bulkExample={[{ hospital_id: '…', winning_bid_id: '…', reported_demand: 1200, agreement_year: 1 }]}
        importKind="agreed-volumes"
        toBody={(v) => ({ ...v, agreement_year: v.agreement_year ?? undefined })}
        send={(items, key) => unwrap(api.POST('/api/v1/agreed-volumes', { params: { header: { 'Idempotency-Key': key } }, body: items }))}
        fields={(_: FormInstance<NewVolume>) => (
          <>
            <Alert type="info" showIcon title={t('bureau.volumeHelp')} style={{ marginBottom: 12 }} />
            <Form.Item name="hospital_id" label={t('field.hospital')} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={(hospitals.data ?? []).map((h) => ({ value: h.id, label: h.name }))} />
            </Form.Item>
            <Form.Item name="winning_bid_id" label={t('menu.bids')} rules={[{ required: true }]}>
              <Select showSearch optionFilterProp="label" options={(bids.data ?? []).map((b) => ({
                value: b.id, label: `${b.product.generic_name} ${b.product.specification} · ${b.enterprise_name} · ${b.batch_name}`,
              }))} />
            </Form.Item>
            <Form.Item name="reported_demand" label={`${t('field.reportedDemand')} (${t('field.minUnit')})`} rules={[{ required: true }]}>
              <InputNumber min={0} precision={0} style={{ width: 200 }} />
            </Form.Item>
            <Form.Item name="agreement_year" label={t('field.agreementYear')}><InputNumber min={1} max={10} precision={0} placeholder="1" /></Form.Item>
          </>
        )}
      />
    </div>
  );
}
