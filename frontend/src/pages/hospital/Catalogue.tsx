import { ShoppingCartOutlined } from '@ant-design/icons';
import { Alert, Button, Input, Progress, Space, Tabs, Tag, Tooltip, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { bidAvailability, currentVolumes } from '../../api/catalog';
import { api, unwrap, type BidView, type ListedView } from '../../api/client';
import { serverToday } from '../../api/session';
import { standardKey, standardsInForce, type StandardView } from '../../api/standards';
import { useMe } from '../../auth';
import { fmtInt, fmtMoney, fmtUnitPrice } from '../../components/format';
import { useAsync } from '../../components/hooks';
import { ServerTable } from '../../components/ServerTable';
import { CreditBlockedTag, creditBlocks, RiskFlagTag } from '../../components/RiskFlag';
import { KindTag } from '../../components/tags';
import { useI18n } from '../../i18n';
import { PageTitle } from '../../layout/AppLayout';

function productCell(p: BidView['product'], en: boolean) {
  return (
    <div>
      <div><b>{p.generic_name}</b> {p.specification}×{p.pack_size}{p.min_unit}</div>
      {en && p.generic_name_en ? <div className="jc-muted">{p.generic_name_en}</div> : null}
      <div className="jc-muted">{p.dosage_form} · {p.code}</div>
    </div>
  );
}

export default function Catalogue() {
  const { t, tf, lang } = useI18n();
  const me = useMe();
  const navigate = useNavigate();
  const today = serverToday();
  const [q, setQ] = useState('');
  const [tab, setTab] = useState('winning');
  const volumes = useAsync(() => currentVolumes(today), [today]);
  const standards = useAsync(() => standardsInForce(today), [today]);

  /** The payment standard in force beside the price, with what the patient pays above it per minimum unit. */
  const standardCell = (productId: string, enterpriseId: string, minUnit: string) => {
    const s: StandardView | undefined = standards.data?.get(standardKey(productId, enterpriseId));
    if (!s) return <span className="jc-muted">{standards.loading ? '…' : t('catalogue.noStandard')}</span>;
    const excess = s.excess_per_unit !== '0.0000';
    return (
      <div data-testid="standard" data-standard={s.standard} data-excess={s.excess_per_unit}>
        <b>{fmtUnitPrice(s.standard)}</b>/{minUnit}
        <div>
          {excess
            ? <Tag color="volcano">{t('catalogue.excessPerUnit', { amount: fmtUnitPrice(s.excess_per_unit), unit: minUnit })}</Tag>
            : <Tag color="green">{t('catalogue.noExcess')}</Tag>}
        </div>
      </div>
    );
  };

  const bidColumns: TableColumnsType<BidView> = [
    { title: t('field.genericName'), key: 'product', render: (_, b) => productCell(b.product, lang === 'en'), fixed: 'left' },
    { title: t('field.kind'), key: 'kind', render: () => <KindTag kind="winning" /> },
    {
      title: `${t('field.manufacturer')} / ${t('field.batch')}`, key: 'ent',
      render: (_, b) => <div>{b.enterprise_name} <RiskFlagTag flag={b.risk_flag} /><div className="jc-muted"><Tooltip title={`${t('field.cycle')} ${b.cycle_start} ~ ${b.cycle_end}`}>{b.batch_name}</Tooltip></div></div>,
    },
    {
      title: `${t('field.unitPrice')} / ${t('field.packPrice')}`, key: 'price', className: 'jc-num',
      render: (_, b) => <div>{fmtUnitPrice(b.unit_price)}/{b.product.min_unit}<div className="jc-muted">{fmtMoney(b.pack_price)}</div></div>,
    },
    { title: t('catalogue.standard'), key: 'standard', className: 'jc-num', render: (_, b) => standardCell(b.product.id, b.enterprise_id, b.product.min_unit) },
    { title: t('field.distributors'), key: 'dist', render: (_, b) => b.distributors.map((d) => <div key={d.id} style={{ fontSize: 12 }}>{d.name}</div>) },
    {
      title: t('field.remaining'), key: 'remaining', width: 190,
      render: (_, b) => {
        const v = volumes.data?.get(b.id);
        if (!v) return <span className="jc-muted">{volumes.loading ? '…' : t('catalogue.noVolume')}</span>;
        const pct = v.agreed_qty ? Math.round((v.ordered_qty / v.agreed_qty) * 100) : 0;
        return (
          <div data-testid="remaining">
            <div className="jc-num">{fmtInt(v.remaining_qty)} / {fmtInt(v.agreed_qty)} {v.min_unit}</div>
            <Progress percent={pct} size="small" showInfo={false} status={v.remaining_qty <= 0 ? 'exception' : 'normal'} />
          </div>
        );
      },
    },
    {
      title: t('common.actions'), key: 'act', fixed: 'right',
      render: (_, b) => {
        if (creditBlocks(b.risk_flag, b.product.id)) return <CreditBlockedTag flag={b.risk_flag!} />;
        const a = bidAvailability(b, me, today);
        if (a !== 'ok') return <Tag color="default">{t(a === 'outside_cycle' ? 'catalogue.outsideCycle' : 'catalogue.notSupplied')}</Tag>;
        return <Button type="primary" icon={<ShoppingCartOutlined />} onClick={() => navigate(`/hospital/orders/new?bid=${b.id}`)}>{t('catalogue.order')}</Button>;
      },
    },
  ];

  const listedColumns: TableColumnsType<ListedView> = [
    { title: t('field.genericName'), key: 'product', render: (_, l) => productCell(l.product, lang === 'en') },
    { title: t('field.kind'), key: 'kind', render: () => <KindTag kind="listed" /> },
    { title: t('field.enterprise'), dataIndex: 'enterprise_name', render: (v, l) => <>{v} <RiskFlagTag flag={l.risk_flag} /></> },
    { title: t('field.category'), key: 'cat', render: (_, l) => tf('category.' + l.product.category, l.product.category) },
    { title: t('field.unitPrice'), dataIndex: 'unit_price', className: 'jc-num', render: (v, l) => `${fmtUnitPrice(v)}/${l.product.min_unit}` },
    { title: t('field.packPrice'), dataIndex: 'pack_price', className: 'jc-num', render: (v) => fmtMoney(v) },
    { title: t('catalogue.standard'), key: 'standard', className: 'jc-num', render: (_, l) => standardCell(l.product.id, l.enterprise_id, l.product.min_unit) },
    {
      title: t('common.actions'), key: 'act',
      render: (_, l) => creditBlocks(l.risk_flag, l.product.id) ? <CreditBlockedTag flag={l.risk_flag!} /> : <Button icon={<ShoppingCartOutlined />} onClick={() => navigate(`/hospital/orders/new?listed=${l.id}`)}>{t('catalogue.order')}</Button>,
    },
  ];

  return (
    <div>
      <PageTitle title={t('catalogue.title')} extra={
        <Space>
          {tab === 'winning' ? <Input.Search allowClear placeholder={t('catalogue.searchPlaceholder')} onSearch={setQ} style={{ width: 260 }} data-testid="catalogue-search" /> : null}
          <Button type="primary" icon={<ShoppingCartOutlined />} onClick={() => navigate('/hospital/orders/new')}>{t('menu.newOrder')}</Button>
        </Space>
      } />
      <Tabs activeKey={tab} onChange={setTab} items={[
        {
          key: 'winning', label: t('catalogue.winningTab'),
          children: (
            <ServerTable<BidView> testId="bids-table" columns={bidColumns} deps={[q]}
              fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/winning-bids', { params: { query: { page, per_page, q: q || undefined } } }))} />
          ),
        },
        {
          key: 'listed', label: t('catalogue.listedTab'),
          children: (
            <>
              <Alert type="warning" showIcon title={t('catalogue.listedHint')} style={{ marginBottom: 8 }} />
              <ServerTable<ListedView> testId="listed-table" columns={listedColumns} deps={[]}
                fetchPage={(page, per_page) => unwrap(api.GET('/api/v1/listed-products', { params: { query: { page, per_page } } }))} />
            </>
          ),
        },
      ]} />
    </div>
  );
}
