//! The measures of ratings in force, as the rest of the platform asks for them: may this
//! enterprise bid, list this product, be assigned or ordered from as a distributor; which
//! enterprises carry a risk flag. Every refusal names the case, its grade and until when.
//!
//! Nothing here touches what already happened: confirmed orders ship, deliveries are accepted
//! and payables are paid whatever the rating (no check is called from those paths).

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::kept::Kept;
use crate::policy::params_in_force;
use crate::schema::{commitment_letters, credit_case_parties, credit_case_products, credit_cases};

use super::rules::{measures_for, CreditPolicy, GradeDef, Measure};
use super::store::CaseStatus;
use super::CREDIT_POLICY;

/// A rating in force against one enterprise on a date, with the measures it bears.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ActiveRating {
    pub case_id: String,
    pub case_no: String,
    pub enterprise_id: String,
    pub role: String,
    pub grade: String,
    pub grade_name_zh: String,
    pub grade_name_en: String,
    pub measures: Vec<Measure>,
    pub ends_on: NaiveDate,
    pub distribution_until: Option<NaiveDate>,
    /// The products the case involves (their listing is cancelled at the serious grades).
    pub product_ids: Vec<String>,
}

impl ActiveRating {
    fn has(&self, m: Measure) -> bool {
        self.measures.contains(&m)
    }
    fn until(&self, m: Measure) -> NaiveDate {
        match m {
            Measure::SuspendDistribution => self.distribution_until.unwrap_or(self.ends_on),
            _ => self.ends_on,
        }
    }
    fn details(&self, m: Measure) -> serde_json::Value {
        serde_json::json!({
            "case_id": self.case_id,
            "case_no": self.case_no,
            "grade": self.grade,
            "grade_name_zh": self.grade_name_zh,
            "grade_name_en": self.grade_name_en,
            "measure": m,
            "until": self.until(m),
        })
    }
}

/// The ratings in force on `date` in `region_id` against any of `enterprise_ids`.
pub fn active_ratings(
    conn: &mut DbConnection,
    region_id: &str,
    enterprise_ids: &[String],
    date: NaiveDate,
) -> DomainResult<Vec<ActiveRating>> {
    if enterprise_ids.is_empty() {
        return Ok(vec![]);
    }
    let cases = in_force(conn, region_id)?;
    let rows = cases
        .iter()
        .filter(|c| c.effective_from.is_some_and(|d| d <= date) && enterprise_ids.contains(&c.enterprise_id));
    let mut out = Vec::new();
    for c in rows {
        let (Some(grade), Some(ends_on)) = (&c.measures, c.ends_on) else { continue };
        let grade: GradeDef = serde_json::from_str(grade)
            .map_err(|e| DomainError::Internal(format!("credit case {} has unreadable measures: {e}", c.case_no)))?;
        let measures = measures_for(&grade, c.role == "distributor");
        let distribution_until = c.distribution_until;
        let distribution_live = distribution_until.is_some_and(|d| date < d);
        if date >= ends_on && !distribution_live {
            continue;
        }
        out.push(ActiveRating {
            case_id: c.case_id.clone(),
            case_no: c.case_no.clone(),
            enterprise_id: c.enterprise_id.clone(),
            role: c.role.clone(),
            grade: grade.code,
            grade_name_zh: grade.name_zh,
            grade_name_en: grade.name_en,
            // Past the rating's end only a distributor's longer suspension remains.
            measures: if date >= ends_on {
                measures.into_iter().filter(|m| *m == Measure::SuspendDistribution).collect()
            } else {
                measures
            },
            ends_on,
            distribution_until,
            product_ids: c.product_ids.clone(),
        });
    }
    out.sort_by(|a, b| a.case_no.cmp(&b.case_no));
    Ok(out)
}

/// One party of a case in force, as read: its measures apply from `effective_from`.
struct PartyInForce {
    case_id: String,
    case_no: String,
    enterprise_id: String,
    role: String,
    measures: Option<String>,
    effective_from: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    distribution_until: Option<NaiveDate>,
    product_ids: Vec<String>,
}

/// The parties of the cases in force, by region. Every order asks for them; they change when a
/// rating is approved or repaired.
static IN_FORCE: Kept<Vec<PartyInForce>> = Kept::new(Duration::from_secs(5));

/// Marks that this transaction puts a case in force or takes it out: what is kept is read again.
pub(crate) fn cases_changed() {
    IN_FORCE.written();
}

/// Every party of a case in force in `region_id`, with the case's products.
fn in_force(conn: &mut DbConnection, region_id: &str) -> DomainResult<Arc<Vec<PartyInForce>>> {
    IN_FORCE.get(region_id, || {
        type Found =
            (String, String, String, String, Option<String>, Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);
        let rows: Vec<Found> = credit_cases::table
            .inner_join(credit_case_parties::table)
            .filter(credit_cases::region_id.eq(region_id))
            .filter(credit_cases::status.eq(CaseStatus::InForce.as_str()))
            .select((
                credit_cases::id,
                credit_cases::case_no,
                credit_case_parties::enterprise_id,
                credit_case_parties::role,
                credit_cases::measures,
                credit_cases::effective_from,
                credit_cases::ends_on,
                credit_cases::distribution_until,
            ))
            .load(conn)?;
        let case_ids: Vec<&String> = rows.iter().map(|r| &r.0).collect();
        let mut products: HashMap<String, Vec<String>> = HashMap::new();
        if !case_ids.is_empty() {
            let pairs: Vec<(String, String)> = credit_case_products::table
                .filter(credit_case_products::case_id.eq_any(&case_ids))
                .select((credit_case_products::case_id, credit_case_products::product_id))
                .load(conn)?;
            for (case, product) in pairs {
                products.entry(case).or_default().push(product);
            }
        }
        Ok(rows
            .into_iter()
            .map(|(case_id, case_no, enterprise_id, role, measures, effective_from, ends_on, distribution_until)| {
                PartyInForce {
                    product_ids: products.get(&case_id).cloned().unwrap_or_default(),
                    case_id,
                    case_no,
                    enterprise_id,
                    role,
                    measures,
                    effective_from,
                    ends_on,
                    distribution_until,
                }
            })
            .collect())
    })
}

fn refused(code: ErrorCode, field: &str, message: String, rating: &ActiveRating, m: Measure) -> DomainError {
    DomainError::Invalid(Problem::new(code, message).field(field).details(rating.details(m)))
}

/// Whom a credit check is about: an enterprise, in a region, on a day, and the request's
/// field that a refusal names.
#[derive(Clone, Copy, Debug)]
pub struct Checked<'a> {
    pub region_id: &'a str,
    pub enterprise_id: &'a str,
    pub date: NaiveDate,
    pub field: &'a str,
}

/// Refuses bidding in a tender of `region_id` while a rating suspends the enterprise's
/// bidding, or when it has no commitment letter after the policy's grace date.
pub fn check_bidding(conn: &mut DbConnection, who: Checked<'_>) -> DomainResult<()> {
    let Checked { region_id, enterprise_id, date, field } = who;
    let ratings = active_ratings(conn, region_id, &[enterprise_id.to_string()], date)?;
    if let Some(r) = ratings.iter().find(|r| r.has(Measure::SuspendBiddingAndListing)) {
        let m = Measure::SuspendBiddingAndListing;
        return Err(refused(
            ErrorCode::BiddingSuspended,
            field,
            format!("bidding is suspended until {} by credit rating {} ({})", r.until(m), r.case_no, r.grade_name_en),
            r,
            m,
        ));
    }
    check_commitment(conn, who)
}

/// Refuses a listing (or a winning bid entered for the catalogue) of `product_id` by
/// `enterprise_id` while a rating cancels it or suspends all the enterprise's listings, or
/// without a commitment letter after the grace date.
pub fn check_listing(conn: &mut DbConnection, who: Checked<'_>, product_id: &str) -> DomainResult<()> {
    check_product(conn, who, product_id)?;
    check_commitment(conn, who)
}

/// Refuses a new order line (or a winning bid) for `product_id` of `enterprise_id` (the winner
/// or the listing enterprise) while a rating cancels the product's listing or suspends all its
/// listings.
pub fn check_product(conn: &mut DbConnection, who: Checked<'_>, product_id: &str) -> DomainResult<()> {
    let Checked { enterprise_id, field, .. } = who;
    refuse_on(conn, who, |ratings| product_refusal(ratings, enterprise_id, product_id, field))
}

/// Refuses with what `refusal` finds among `enterprise_id`'s ratings in force on `date`.
fn refuse_on(
    conn: &mut DbConnection,
    who: Checked<'_>,
    refusal: impl FnOnce(&[ActiveRating]) -> Option<DomainError>,
) -> DomainResult<()> {
    let ratings = active_ratings(conn, who.region_id, &[who.enterprise_id.to_string()], who.date)?;
    refusal(&ratings).map_or(Ok(()), Err)
}

fn product_refusal(
    ratings: &[ActiveRating],
    enterprise_id: &str,
    product_id: &str,
    field: &str,
) -> Option<DomainError> {
    let mine = || ratings.iter().filter(|r| r.enterprise_id == enterprise_id);
    if let Some(r) = mine().find(|r| r.has(Measure::SuspendBiddingAndListing)) {
        let m = Measure::SuspendBiddingAndListing;
        let message = format!(
            "the listing of all this enterprise's products is suspended until {} by credit rating {} ({})",
            r.until(m),
            r.case_no,
            r.grade_name_en
        );
        return Some(refused(ErrorCode::ListingSuspended, field, message, r, m));
    }
    let m = Measure::CancelInvolvedListing;
    mine().find(|r| r.has(m) && r.product_ids.iter().any(|p| p == product_id)).map(|r| {
        let message = format!(
            "the listing of this product is cancelled by credit rating {} ({}) until {}",
            r.case_no,
            r.grade_name_en,
            r.until(m)
        );
        refused(ErrorCode::ListingCancelled, field, message, r, m)
    })
}

/// Refuses a distributor whose distribution is suspended: as the supplier of a new order, or
/// when it is assigned to a winning bid. The hospital is told to choose another distributor.
pub fn check_distribution(conn: &mut DbConnection, who: Checked<'_>) -> DomainResult<()> {
    let Checked { enterprise_id, date, field, .. } = who;
    refuse_on(conn, who, |ratings| distribution_refusal(ratings, enterprise_id, date, field))
}

fn distribution_refusal(
    ratings: &[ActiveRating],
    enterprise_id: &str,
    date: NaiveDate,
    field: &str,
) -> Option<DomainError> {
    let m = Measure::SuspendDistribution;
    ratings.iter().find(|r| r.enterprise_id == enterprise_id && r.has(m) && date < r.until(m)).map(|r| {
        let message = format!(
            "this distributor's distribution is suspended until {} by credit rating {} ({}); choose another distributor",
            r.until(m),
            r.case_no,
            r.grade_name_en
        );
        refused(ErrorCode::DistributionSuspended, field, message, r, m)
    })
}

/// One line of a new order as the credit check sees it.
pub struct OrderLineParty {
    /// The field a refusal names, e.g. "lines[0].winning_bid_id".
    pub field: String,
    /// The winner of the bid, or the enterprise that listed the product.
    pub enterprise_id: String,
    pub product_id: String,
}

/// Refuses a new order whose supplier's distribution is suspended, or with a line whose
/// product's listing a rating cancels or suspends. One query for the whole order.
pub fn check_order(
    conn: &mut DbConnection,
    region_id: &str,
    supplier_id: &str,
    lines: &[OrderLineParty],
    date: NaiveDate,
) -> DomainResult<()> {
    let mut ids: Vec<String> = lines.iter().map(|l| l.enterprise_id.clone()).collect();
    ids.push(supplier_id.to_string());
    ids.sort();
    ids.dedup();
    let ratings = active_ratings(conn, region_id, &ids, date)?;
    if ratings.is_empty() {
        return Ok(());
    }
    if let Some(e) = distribution_refusal(&ratings, supplier_id, date, "supplier_id") {
        return Err(e);
    }
    for l in lines {
        if let Some(e) = product_refusal(&ratings, &l.enterprise_id, &l.product_id, &l.field) {
            return Err(e);
        }
    }
    Ok(())
}

/// Refuses an enterprise without a commitment letter of the policy's template version once the
/// grace date has passed.
pub fn check_commitment(conn: &mut DbConnection, who: Checked<'_>) -> DomainResult<()> {
    let Checked { region_id, enterprise_id, date, field } = who;
    let (policy, _) = params_in_force::<CreditPolicy>(conn, region_id, CREDIT_POLICY, date)?;
    if date <= policy.commitment.grace_date {
        return Ok(());
    }
    let letters: i64 = commitment_letters::table
        .filter(commitment_letters::enterprise_id.eq(enterprise_id))
        .filter(commitment_letters::template_version.eq(&policy.commitment.template_version))
        .filter(commitment_letters::signed_on.le(date))
        .count()
        .get_result(conn)?;
    if letters > 0 {
        return Ok(());
    }
    Err(DomainError::Invalid(
        Problem::new(
            ErrorCode::CommitmentLetterMissing,
            format!(
                "the enterprise has no signed credit commitment letter (template {}); since {} bidding and listing need one",
                policy.commitment.template_version, policy.commitment.grace_date
            ),
        )
        .field(field)
        .details(serde_json::json!({
            "template_version": policy.commitment.template_version,
            "grace_date": policy.commitment.grace_date,
        })),
    ))
}

/// A risk flag shown to buyers beside an enterprise's products.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskFlag {
    pub case_no: String,
    pub grade: String,
    pub grade_name_zh: String,
    pub grade_name_en: String,
    pub until: NaiveDate,
    /// The rating's measures against this enterprise.
    pub measures: Vec<Measure>,
    /// The products whose listing the rating cancels (at its serious grades).
    pub product_ids: Vec<String>,
}

impl RiskFlag {
    /// Whether a new order of `product_id` would be refused under this rating.
    pub fn blocks(&self, product_id: &str) -> bool {
        self.measures.contains(&Measure::SuspendBiddingAndListing)
            || (self.measures.contains(&Measure::CancelInvolvedListing)
                && self.product_ids.iter().any(|p| p == product_id))
    }
}

/// The risk flags on `date` of the enterprises among `enterprise_ids` that carry one (the
/// gravest rating when several are in force).
pub fn risk_flags(
    conn: &mut DbConnection,
    region_id: &str,
    enterprise_ids: &[String],
    date: NaiveDate,
) -> DomainResult<HashMap<String, RiskFlag>> {
    let mut ids = enterprise_ids.to_vec();
    ids.sort();
    ids.dedup();
    let mut out: HashMap<String, (usize, RiskFlag)> = HashMap::new();
    for r in active_ratings(conn, region_id, &ids, date)? {
        if !r.has(Measure::RiskFlag) {
            continue;
        }
        let weight = r.measures.len();
        let flag = RiskFlag {
            case_no: r.case_no.clone(),
            grade: r.grade.clone(),
            grade_name_zh: r.grade_name_zh.clone(),
            grade_name_en: r.grade_name_en.clone(),
            until: r.ends_on,
            measures: r.measures.clone(),
            product_ids: r.product_ids.clone(),
        };
        match out.get(&r.enterprise_id) {
            Some((w, _)) if *w >= weight => {}
            _ => {
                out.insert(r.enterprise_id.clone(), (weight, flag));
            }
        }
    }
    Ok(out.into_iter().map(|(k, (_, f))| (k, f)).collect())
}
