//! The demo's credit ratings: every enterprise has signed its commitment letter; one
//! manufacturer carries a rating in force (失信, for unfair pricing: a risk flag beside its
//! product in hospitals' catalogues); another's bribery case is graded and waits for a second
//! officer's approval (bureau2).

use chrono::{DateTime, Duration, Utc};

use crate::actor::Actor;
use crate::catalog::BidView;
use crate::clock::shanghai_date;
use crate::credit::letters::{self, NewLetter};
use crate::credit::rules::Conduct;
use crate::credit::{self, Basis, CaseDecision, NewCase, NewParty, PartyRole, Review};
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::identity::OrgRow;
use crate::money::Money;

/// A stand-in for a scanned, signed letter.
const LETTER: &[u8] = b"%PDF-1.4\n% Jicai demo: signed credit commitment letter\n%%EOF\n";

/// Every enterprise's signed letter, before anything is listed (after the policy's grace date
/// a listing needs one).
pub(super) fn seed_letters(
    conn: &mut DbConnection,
    suppliers: &[(OrgRow, Actor)],
    at: DateTime<Utc>,
) -> DomainResult<()> {
    for (_, actor) in suppliers {
        let input =
            NewLetter {
                template_version: "2025-01".into(), signer: "法定代表人".into(), signed_on: shanghai_date(at)
            };
        letters::upload_letter(conn, actor, input, "信用承诺书.pdf", LETTER.to_vec(), at)?;
    }
    Ok(())
}

pub(super) fn seed_ratings(
    conn: &mut DbConnection,
    bureau: &Actor,
    bureau2: &Actor,
    manufacturers_bids: &[&BidView],
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let today = shanghai_date(now);
    let earlier = now - Duration::days(20);
    let case = |bid: &BidView, conduct: Conduct, basis: Basis, doc: &str, amount: i64, summary: &str| NewCase {
        basis,
        document_no: doc.into(),
        decision_date: today - Duration::days(40),
        conduct,
        amount: Some(Money::from_fen(amount * 100)),
        top_condition: None,
        summary: summary.into(),
        parties: vec![NewParty { enterprise_id: bid.enterprise_id.clone(), role: PartyRole::Manufacturer }],
        product_codes: vec![bid.product.code.clone()],
    };
    let [flagged, pending, ..] = manufacturers_bids else { return Ok(()) };
    let rated = credit::record_case(
        conn,
        bureau,
        case(
            flagged,
            Conduct::UnfairPricing,
            Basis::AdministrativePenalty,
            "深市监价罚〔2026〕17号",
            120_000,
            "配送区域内擅自抬高非中选规格挂网价格",
        ),
        earlier,
    )?;
    let decision =
        CaseDecision { grade: "dishonest".into(), reason: "价格违法，情节较轻，首次发生".into() };
    credit::decide(conn, bureau, &rated.head.id, decision, earlier)?;
    credit::approve(conn, bureau2, &rated.head.id, Review { approve: true, note: None }, earlier)?;
    let waiting = credit::record_case(
        conn,
        bureau,
        case(
            pending,
            Conduct::Bribery,
            Basis::CourtJudgment,
            "（2026）粤0304刑初88号",
            800_000,
            "向医疗机构人员给予回扣，判决认定金额80万元",
        ),
        now - Duration::hours(3),
    )?;
    let decision =
        CaseDecision { grade: "serious".into(), reason: "涉案金额80万元，在50万元至100万元档".into() };
    credit::decide(conn, bureau, &waiting.head.id, decision, now - Duration::hours(2))?;
    Ok(())
}
