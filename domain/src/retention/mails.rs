//! What retention tells each party, in Chinese and English, kept out of the operations.

use super::{ResultRow, RunRow};
use crate::money::Money;
use crate::outbox::Mail;

/// To the hospital: the bureau approved its retained surplus (`source`: the run and hospital).
pub(super) fn retention_approved<'a>(run: &'a RunRow, r: &'a ResultRow, source: &str) -> Mail<'a> {
    let amount = Money::from_fen(r.retained);
    Mail {
        dedup_key: format!("retention_approved:{source}"),
        region_id: Some(&run.region_id),
        kind: "retention_approved",
        to_org_id: &r.hospital_id,
        roles: &["hospital_buyer"],
        subject: format!("结余留用结果已核定：¥{amount} / Surplus retention approved: ¥{amount}"),
        body: format!(
            "第 {y} 协议年结余留用已核定：结余 ¥{s}，考核等级 {g}，留用比例 {sh}，留用金额 ¥{amount}。明细可在平台查看逐项计算过程。\n\n\
             Surplus retention for agreement year {y} is approved: surplus ¥{s}, grade {g}, share {sh}, retained ¥{amount}. \
             The platform explains every figure.",
            y = run.agreement_year,
            s = Money::from_fen(r.surplus),
            g = r.grade,
            sh = r.share,
        ),
    }
}
