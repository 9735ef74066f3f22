import { Alert, Form, InputNumber } from 'antd';
import { useState } from 'react';
import { api, unwrap, type AgreedVolumeView } from '../../api/client';
import { serverToday } from '../../api/session';
import { ServerTable } from '../../components/ServerTable';
import { volumeColumns } from '../../components/volumes';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

/** The hospital's agreed volumes: agreed vs ordered vs remaining, against the pace of the year. */
export default function Volumes() {
  const { t } = useI18n();
  const today = serverToday();
  const [year, setYear] = useState<number | null>(null);
  return (
    <div>
      <PageTitle title={t('volume.title')} />
      <Alert type="info" showIcon title={t('volume.paceHelp')} style={{ marginBottom: 12 }} />
      <Form layout="inline" className="jc-filters">
        <Form.Item label={t('field.agreementYear')}>
          <InputNumber min={1} max={10} value={year} onChange={(v) => setYear(v)} placeholder={t('common.all')} />
        </Form.Item>
      </Form>
      <ServerTable<AgreedVolumeView>
        testId="volumes-table"
        columns={volumeColumns(t, today, false)}
        deps={[year]}
        fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/agreed-volumes', { params: { query: { page, per_page, agreement_year: year ?? undefined } } }))}
      />
    </div>
  );
}
