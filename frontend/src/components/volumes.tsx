import { Progress, Tooltip, type TableColumnsType } from 'antd';
import type { AgreedVolumeView } from '../api/client';
import type { T } from '../i18n';
import { daysBetween, fmtInt } from './format';

/** Share of the agreement year gone by on `today` (0–1). */
export function pace(v: Pick<AgreedVolumeView, 'year_start' | 'year_end'>, today: string): number {
  const total = daysBetween(v.year_start, v.year_end) + 1;
  const gone = daysBetween(v.year_start, today) + 1;
  return Math.min(1, Math.max(0, gone / total));
}

export function volumeColumns(t: T, today: string, withHospital: boolean): TableColumnsType<AgreedVolumeView> {
  return [
    ...(withHospital ? [{ title: t('field.hospital'), dataIndex: 'hospital_name' }] : []),
    {
      title: t('field.genericName'), key: 'p',
      render: (_, v) => <div><b>{v.generic_name}</b> {v.specification}<div className="jc-muted">{v.product_code}</div></div>,
    },
    { title: t('field.agreementYear'), dataIndex: 'agreement_year', className: 'jc-num' },
    { title: t('field.yearRange'), key: 'range', render: (_, v) => `${v.year_start} ~ ${v.year_end}` },
    { title: t('field.reportedDemand'), dataIndex: 'reported_demand', className: 'jc-num', render: fmtInt },
    { title: t('field.ratio'), dataIndex: 'ratio', className: 'jc-num', render: (r: string, v) => <Tooltip title={`${t('field.winners')}: ${v.winners}`}>{Math.round(Number(r) * 1000) / 10}%</Tooltip> },
    { title: t('field.agreed'), dataIndex: 'agreed_qty', className: 'jc-num', render: (q, v) => `${fmtInt(q)} ${v.min_unit}` },
    { title: t('field.ordered'), dataIndex: 'ordered_qty', className: 'jc-num', render: fmtInt },
    { title: t('field.accepted'), dataIndex: 'accepted_qty', className: 'jc-num', render: (q: number) => <span data-testid="volume-accepted">{fmtInt(q)}</span> },
    { title: t('field.remaining'), dataIndex: 'remaining_qty', className: 'jc-num', render: fmtInt },
    {
      title: `${t('field.completion')} / ${t('field.pace')}`, key: 'progress', width: 220,
      render: (_, v) => {
        // One definition everywhere (as 执行监测): accepted ÷ agreed; ordered is shown beside.
        const done = v.agreed_qty > 0 ? v.accepted_qty / v.agreed_qty : 0;
        const p = pace(v, today);
        const behind = done < p && today <= v.year_end;
        return (
          <div data-testid="volume-progress">
            <Tooltip title={`${t('field.completion')} ${(done * 100).toFixed(1)}% · ${t('field.pace')} ${(p * 100).toFixed(1)}%${behind ? ' · ' + t('volume.behind') : ''}`}>
              <Progress percent={Math.round(done * 1000) / 10} size="small" strokeColor={behind ? '#fa8c16' : '#52c41a'} format={(x) => `${x}%`} />
              <Progress percent={Math.round(p * 1000) / 10} size="small" strokeColor="#bfbfbf" format={(x) => <span className="jc-muted">{x}%</span>} style={{ marginTop: -6 }} />
            </Tooltip>
          </div>
        );
      },
    },
  ];
}
