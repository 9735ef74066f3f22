//! The platform's own evidence (domain.md section 9): once a month, supply failures it recorded
//! (declined orders, orders with nothing shipped past the policy's days, orders shipped short)
//! raise a proposed breach-of-contract case per supplier for an officer to review. The
//! platform never grades on its own: a proposal has no grade until an officer decides.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::actor::Actor;
use crate::db::{write_tx, DbConnection};
use crate::error::DomainResult;
use crate::schema::{credit_cases, orders, organizations, regions};

use super::rules::{Conduct, CreditPolicy};
use super::store::{Basis, CaseStatus, PartyRole};
use super::{insert_case, CaseDraft, CREDIT_POLICY};

/// The order statuses this module reads, as ordering stores them (`OrderStatus::as_str`; credit
/// sits below ordering and reads its table, not its types).
pub mod status {
    pub const SUBMITTED: &str = "submitted";
    pub const CONFIRMED: &str = "confirmed";
    pub const DECLINED: &str = "declined";
    pub const CANCELLED: &str = "cancelled";
    pub const PARTIALLY_SHIPPED: &str = "partially_shipped";
    pub const SHIPPED: &str = "shipped";
    pub const PARTIALLY_ACCEPTED: &str = "partially_accepted";
    pub const COMPLETED: &str = "completed";
}

/// One failed order in a proposal's evidence.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Failure {
    pub order_id: String,
    pub order_no: String,
    pub hospital: String,
    pub placed_on: NaiveDate,
    pub status: String,
    /// declined, unshipped or short_shipped.
    pub failure: &'static str,
}

/// The failure an order shows as of `as_of` (a Shanghai day), if any: declined; nothing
/// shipped `days` after it was placed; or shipped in part and still short after as long.
pub fn failure_of(order_status: &str, placed_on: NaiveDate, as_of: NaiveDate, days: u32) -> Option<&'static str> {
    let overdue = placed_on + Duration::days(days as i64) <= as_of;
    match order_status {
        status::DECLINED => Some("declined"),
        status::SUBMITTED | status::CONFIRMED if overdue => Some("unshipped"),
        status::PARTIALLY_SHIPPED | status::PARTIALLY_ACCEPTED if overdue => Some("short_shipped"),
        _ => None,
    }
}

/// The month before the one `as_of` falls in.
pub fn previous_month(as_of: NaiveDate) -> (NaiveDate, NaiveDate) {
    let this_month = as_of.with_day(1).expect("day 1");
    let start = (this_month - Duration::days(1)).with_day(1).expect("day 1");
    (start, this_month)
}

fn shanghai_midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).expect("midnight") - Duration::hours(8)
}

/// Proposes the cases of the month before `as_of` in one region or every region; returns how
/// many it proposed. Idempotent: a supplier gets at most one proposal per region and month.
pub fn propose_all(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let region_ids: Vec<String> = match region {
        Some(r) => vec![r.to_string()],
        None => regions::table.select(regions::id).order(regions::id.asc()).load(conn)?,
    };
    let mut proposed = 0;
    for region_id in region_ids {
        proposed += propose_region(conn, &region_id, as_of, now)?;
    }
    Ok(proposed)
}

fn propose_region(
    conn: &mut DbConnection,
    region_id: &str,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let Ok((policy, _)) = crate::policy::params_in_force::<CreditPolicy>(conn, region_id, CREDIT_POLICY, as_of) else {
        return Ok(0);
    };
    let (start, end) = previous_month(as_of);
    let rows: Vec<(String, String, String, String, NaiveDateTime, String)> = orders::table
        .inner_join(organizations::table.on(organizations::id.eq(orders::hospital_id)))
        .filter(orders::region_id.eq(region_id))
        .filter(orders::created_at.ge(shanghai_midnight(start)))
        .filter(orders::created_at.lt(shanghai_midnight(end)))
        .filter(orders::status.ne_all([status::CANCELLED, status::COMPLETED, status::SHIPPED]))
        .order((orders::supplier_id.asc(), orders::created_at.asc()))
        .select((
            orders::id,
            orders::order_no,
            orders::supplier_id,
            organizations::name,
            orders::created_at,
            orders::status,
        ))
        .load(conn)?;
    let mut by_supplier: BTreeMap<String, Vec<Failure>> = BTreeMap::new();
    for (order_id, order_no, supplier_id, hospital, created_at, st) in rows {
        let placed_on = crate::clock::shanghai_date(crate::clock::from_db(created_at));
        if let Some(failure) = failure_of(&st, placed_on, as_of, policy.supply_failures.unshipped_days) {
            by_supplier.entry(supplier_id).or_default().push(Failure {
                order_id,
                order_no,
                hospital,
                placed_on,
                status: st,
                failure,
            });
        }
    }
    let month = format!("{:04}-{:02}", start.year(), start.month());
    let system = Actor::system(String::new(), String::new());
    let mut proposed = 0;
    for (supplier_id, failures) in by_supplier {
        if failures.len() < policy.supply_failures.min_failures as usize {
            continue;
        }
        let key = format!("{region_id}|{supplier_id}|{month}");
        let done = write_tx(conn, |conn| {
            let exists: i64 =
                credit_cases::table.filter(credit_cases::proposal_key.eq(&key)).count().get_result(conn)?;
            if exists > 0 {
                return Ok(false);
            }
            let count = |kind: &str| failures.iter().filter(|f| f.failure == kind).count();
            let summary = format!(
                "{month}: {} supply failures ({} declined, {} unshipped after {} days, {} shipped short)",
                failures.len(),
                count("declined"),
                count("unshipped"),
                policy.supply_failures.unshipped_days,
                count("short_shipped"),
            );
            insert_case(
                conn,
                &system,
                CaseDraft {
                    region_id: region_id.to_string(),
                    status: CaseStatus::Proposed,
                    basis: Basis::PlatformEvidence,
                    document_no: None,
                    decision_date: as_of,
                    conduct: Conduct::BreachOfContract,
                    amount: None,
                    top_condition: None,
                    summary,
                    evidence: Some(serde_json::json!({
                        "month": month,
                        "as_of": as_of,
                        "unshipped_days": policy.supply_failures.unshipped_days,
                        "min_failures": policy.supply_failures.min_failures,
                        "orders": failures,
                    })),
                    proposal_key: Some(key.clone()),
                    parties: vec![(supplier_id.clone(), PartyRole::Distributor)],
                    product_ids: vec![],
                },
                now,
            )?;
            Ok::<_, crate::error::DomainError>(true)
        })?;
        proposed += usize::from(done);
    }
    Ok(proposed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn failures_by_status_and_age() {
        let placed = d(2026, 11, 22);
        assert_eq!(failure_of("declined", placed, d(2026, 11, 23), 7), Some("declined"));
        assert_eq!(failure_of("submitted", placed, d(2026, 11, 28), 7), None);
        assert_eq!(failure_of("submitted", placed, d(2026, 11, 29), 7), Some("unshipped"));
        assert_eq!(failure_of("confirmed", placed, d(2026, 12, 1), 7), Some("unshipped"));
        assert_eq!(failure_of("partially_shipped", placed, d(2026, 12, 1), 7), Some("short_shipped"));
        assert_eq!(failure_of("shipped", placed, d(2026, 12, 31), 7), None);
        assert_eq!(failure_of("completed", placed, d(2026, 12, 31), 7), None);
    }

    #[test]
    fn the_month_before() {
        assert_eq!(previous_month(d(2026, 12, 1)), (d(2026, 11, 1), d(2026, 12, 1)));
        assert_eq!(previous_month(d(2027, 1, 15)), (d(2026, 12, 1), d(2027, 1, 1)));
    }
}
