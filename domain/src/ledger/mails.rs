//! What the ledger tells each party, in Chinese and English, kept out of the operations.

use super::Statement;
use crate::outbox::Mail;

/// To the hospital: its direct-settlement statement of `month` (`YYYY-MM`).
pub(super) fn monthly_statement<'a>(month: &str, region_id: &'a str, st: &'a Statement) -> Mail<'a> {
    Mail {
        dedup_key: format!("statement:{month}:{}", st.hospital_id),
        region_id: Some(region_id),
        kind: "monthly_statement",
        to_org_id: &st.hospital_id,
        roles: &["hospital_buyer"],
        subject: format!("{month} 医保基金直接结算对账单 / Direct settlement statement {month}"),
        body: format!(
            "月初预付款余额 ¥{}；本月预付 ¥{}；代付企业货款 ¥{}，其中冲抵预付款 ¥{}、扣减医保结算款 ¥{}、形成应收（托收）¥{}；\
             本月医保结算款 ¥{}；月末预付款余额 ¥{}，应拨付结算款余额 ¥{}，应收余额 ¥{}。\n\n\
             Opening prepayment ¥{}; prepaid ¥{}; paid to suppliers on your behalf ¥{} (from prepayment ¥{}, \
             deducted from settlement ¥{}, receivable ¥{}); settlement recorded ¥{}; closing prepayment ¥{}, \
             settlement owed ¥{}, receivable ¥{}.",
            st.opening_prepayment, st.prepaid, st.payments_on_behalf, st.offset_from_prepayment, st.deducted_from_settlement,
            st.receivable, st.settlement_recorded, st.closing_prepayment, st.closing_settlement_owed, st.closing_receivable,
            st.opening_prepayment, st.prepaid, st.payments_on_behalf, st.offset_from_prepayment, st.deducted_from_settlement,
            st.receivable, st.settlement_recorded, st.closing_prepayment, st.closing_settlement_owed, st.closing_receivable,
        ),
    }
}
