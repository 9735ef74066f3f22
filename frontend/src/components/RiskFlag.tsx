import { Tag, Tooltip } from 'antd';
import { useI18n } from '../i18n';

export interface RiskFlag {
  case_no: string; grade: string; grade_name_zh: string; grade_name_en: string; until: string;
  measures: string[]; product_ids: string[];
}

/** Whether the rating refuses new orders of this product (as the server will). */
export function creditBlocks(flag: RiskFlag | null | undefined, productId: string): boolean {
  if (!flag) return false;
  return flag.measures.includes('suspend_bidding_and_listing')
    || (flag.measures.includes('cancel_involved_listing') && flag.product_ids.includes(productId));
}

/** In place of the order button: why the product cannot be ordered now. */
export function CreditBlockedTag({ flag }: { flag: RiskFlag }) {
  const { t } = useI18n();
  return <Tooltip title={t('credit.riskFlag', { grade: flag.grade_name_zh, case: flag.case_no, until: flag.until })}><Tag color="red" data-testid="credit-blocked">{t('credit.blocked')}</Tag></Tooltip>;
}

/** A credit risk flag beside an enterprise's product (domain.md section 9): the grade, the case and until when. */
export function RiskFlagTag({ flag }: { flag?: RiskFlag | null }) {
  const { t, lang } = useI18n();
  if (!flag) return null;
  const grade = lang === 'zh' ? flag.grade_name_zh : flag.grade_name_en;
  return (
    <Tooltip title={t('credit.riskFlag', { grade, case: flag.case_no, until: flag.until })}>
      <Tag color="red" data-testid="risk-flag" data-grade={flag.grade}>{t('credit.riskTag')}：{grade}</Tag>
    </Tooltip>
  );
}
