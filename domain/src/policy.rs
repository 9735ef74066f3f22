//! Policy as data: each pooling region's rules are versioned rows with an effective date.
//! Every computed figure stores the id of the policy version that produced it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use std::sync::Arc;
use std::time::Duration;

use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::kept::Kept;
use crate::schema::region_policies;

pub const PAYMENT_DEADLINE: &str = "payment_deadline";
pub const HOSPITAL_CONFIRMATION: &str = "hospital_confirmation";
pub const LATE_INTEREST: &str = "late_interest";
pub const PREPAYMENT: &str = "prepayment";
pub const RETENTION: &str = "retention";
pub const MONITORING: &str = "monitoring";

/// Early-warning thresholds [policy].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitoringPolicy {
    /// A hospital is behind pace when its completion trails the share of the year elapsed by
    /// more than this many percentage points (default 15).
    pub pace_threshold_points: rust_decimal::Decimal,
    /// A supplier is flagged when it declines more than this share of its orders (default 0.2)…
    pub supplier_decline_rate: rust_decimal::Decimal,
    /// …out of at least this many orders in the last 90 days (default 5).
    pub supplier_min_orders: i64,
}

impl Default for MonitoringPolicy {
    fn default() -> Self {
        MonitoringPolicy {
            pace_threshold_points: rust_decimal::Decimal::from(15),
            supplier_decline_rate: rust_decimal::Decimal::new(2, 1),
            supplier_min_orders: 5,
        }
    }
}

/// How long a hospital has to confirm or dispute a matched payable, and what silence means.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfirmationPolicy {
    /// Working days after the invoice is matched (default 5).
    pub working_days: u32,
    /// Silence past the window counts as confirmation (default true).
    pub silence_confirms: bool,
}

impl Default for ConfirmationPolicy {
    fn default() -> Self {
        ConfirmationPolicy { working_days: 5, silence_confirms: true }
    }
}

/// Late-payment interest: simple, per day, on the part of the delay the payer caused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InterestPolicy {
    /// e.g. 0.0005 = 0.05% per day (the default rate of the regulation on paying SMEs).
    pub daily_rate: rust_decimal::Decimal,
}

impl Default for InterestPolicy {
    fn default() -> Self {
        InterestPolicy { daily_rate: rust_decimal::Decimal::new(5, 4) }
    }
}

/// Prepayment at the start of each agreement year: a share of the annual agreed amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrepaymentPolicy {
    /// e.g. 0.3 (at least 30% nationally; some provinces use 50%).
    pub share: rust_decimal::Decimal,
}

impl Default for PrepaymentPolicy {
    fn default() -> Self {
        PrepaymentPolicy { share: rust_decimal::Decimal::new(3, 1) }
    }
}

/// One stored policy version, parsed.
pub fn params_by_id<T: serde::de::DeserializeOwned>(conn: &mut DbConnection, id: &str) -> DomainResult<T> {
    let params: String = region_policies::table.find(id).select(region_policies::params).first(conn)?;
    serde_json::from_str(&params).map_err(|e| DomainError::Internal(format!("stored policy {id} is unreadable: {e}")))
}

/// The version of policy `kind` in force on `date`, parsed, with its id.
pub fn params_in_force<T: serde::de::DeserializeOwned>(
    conn: &mut DbConnection,
    region_id: &str,
    kind: &str,
    date: NaiveDate,
) -> DomainResult<(T, String)> {
    let row = policy_in_force(conn, region_id, kind, date)?.ok_or_else(|| {
        DomainError::conflict(
            ErrorCode::PolicyMissing,
            format!("no {kind} policy is in force in this region on {date}"),
        )
    })?;
    let params: T = serde_json::from_str(&row.params)
        .map_err(|e| DomainError::Internal(format!("stored policy {} is unreadable: {e}", row.id)))?;
    Ok((params, row.id))
}

/// When a payable falls due, counted from the acceptance date (day 0, Asia/Shanghai).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum DeadlineRule {
    /// N calendar days after acceptance (national default 30; Zhejiang used 29).
    CalendarDays { days: u32 },
    /// The last day of the month after the month of acceptance (次月底).
    EndOfNextMonth,
}

impl Default for DeadlineRule {
    fn default() -> Self {
        DeadlineRule::CalendarDays { days: 30 }
    }
}

impl DeadlineRule {
    pub fn validate(self) -> DomainResult<Self> {
        match self {
            DeadlineRule::CalendarDays { days } if days == 0 || days > 90 => Err(DomainError::invalid(
                ErrorCode::InvalidPolicy,
                "params.days",
                "the payment deadline must be between 1 and 90 calendar days",
            )),
            rule => Ok(rule),
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = region_policies, treat_none_as_default_value = false)]
pub struct PolicyRow {
    pub id: String,
    pub region_id: String,
    pub kind: String,
    pub effective_from: NaiveDate,
    pub params: String,
    pub note: Option<String>,
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

/// The version of `kind` in force in `region_id` on `date`: the latest effective on or before it.
pub fn policy_in_force(
    conn: &mut DbConnection,
    region_id: &str,
    kind: &str,
    date: NaiveDate,
) -> DomainResult<Option<PolicyRow>> {
    let versions = versions_of(conn, region_id, kind)?;
    Ok(in_force_on(&versions, date).cloned())
}

/// Of a kind's versions, oldest first, the one in force on `date`.
fn in_force_on(versions: &[PolicyRow], date: NaiveDate) -> Option<&PolicyRow> {
    versions.iter().rev().find(|v| v.effective_from <= date)
}

/// Every version of one kind of one region, oldest first, by "region|kind".
static VERSIONS: Kept<Vec<PolicyRow>> = Kept::new(Duration::from_secs(5));

/// Marks that this transaction adds a policy version: versions kept from before are read again.
pub(crate) fn version_added() {
    VERSIONS.written();
}

/// Every version of `kind` in `region_id`, oldest first. Versions are only ever added, never
/// changed or removed, so the list read is kept until one is added (see [`Kept`]): the operations
/// that apply a policy read none.
fn versions_of(conn: &mut DbConnection, region_id: &str, kind: &str) -> DomainResult<Arc<Vec<PolicyRow>>> {
    VERSIONS.get(&format!("{region_id}|{kind}"), || {
        Ok(region_policies::table
            .filter(region_policies::region_id.eq(region_id))
            .filter(region_policies::kind.eq(kind))
            .order(region_policies::effective_from.asc())
            .select(PolicyRow::as_select())
            .load(conn)?)
    })
}

/// The payment deadline rule in force, with the id of its policy version.
pub fn deadline_rule_in_force(
    conn: &mut DbConnection,
    region_id: &str,
    date: NaiveDate,
) -> DomainResult<(DeadlineRule, String)> {
    params_in_force(conn, region_id, PAYMENT_DEADLINE, date)
}

pub fn list_policies(conn: &mut DbConnection, region_id: &str) -> DomainResult<Vec<PolicyRow>> {
    Ok(region_policies::table
        .filter(region_policies::region_id.eq(region_id))
        .order((region_policies::kind.asc(), region_policies::effective_from.asc()))
        .select(PolicyRow::as_select())
        .load(conn)?)
}

/// A new version of the region's payment deadline rule, e.g.
/// `{"effective_from": "2027-01-01", "rule": "calendar_days", "days": 29}`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDeadlinePolicy {
    pub effective_from: NaiveDate,
    #[serde(flatten)]
    pub rule: DeadlineRule,
    #[serde(default)]
    pub note: Option<String>,
}

/// A new version of any policy kind: `{"effective_from": "2027-01-01", "params": {…}, "note": "…"}`.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPolicy {
    pub effective_from: NaiveDate,
    /// The kind's parameters, as `GET /policies` shows them.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: serde_json::Value,
    #[serde(default)]
    pub note: Option<String>,
}

/// Stores a validated version of policy `kind` for the bureau's region, effective today or later:
/// figures already computed keep the version that produced them. `params` are already checked
/// by the kind's owner (`region_setup::create_policy`).
pub fn insert_version(
    conn: &mut DbConnection,
    actor: &crate::actor::Actor,
    kind: &str,
    input: NewPolicy,
    params: String,
    now: chrono::DateTime<chrono::Utc>,
) -> DomainResult<PolicyRow> {
    use crate::actor::Role;
    actor.require(&[Role::BureauOfficer], "change policy")?;
    let region_id = actor.region()?.to_string();
    let today = crate::clock::shanghai_date(now);
    if input.effective_from < today {
        return Err(DomainError::invalid(
            ErrorCode::RetroactivePolicy,
            "effective_from",
            format!("a policy takes effect today ({today}) or later, never in the past"),
        ));
    }
    let row = PolicyRow {
        id: crate::ids::new_id(),
        region_id: region_id.clone(),
        kind: kind.into(),
        effective_from: input.effective_from,
        params,
        note: input.note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty()),
        created_by: Some(actor.user_id.clone()),
        created_at: crate::clock::to_db(now),
    };
    crate::db::write_tx(conn, |conn| {
        diesel::insert_into(region_policies::table).values(&row).execute(conn).map_err(|e| {
            crate::db::unique_conflict(e, || {
                DomainError::conflict(
                    ErrorCode::DuplicatePolicy,
                    format!("a {kind} version already takes effect on {}", row.effective_from),
                )
            })
        })?;
        version_added();
        crate::audit::record(
            conn,
            crate::audit::AuditEntry::created(actor, Some(&region_id), "policy", &row.id, &row),
            now,
        )?;
        Ok(row.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_stored_as_tagged_json() {
        let json = serde_json::to_string(&DeadlineRule::CalendarDays { days: 29 }).unwrap();
        assert_eq!(json, r#"{"rule":"calendar_days","days":29}"#);
        let back: DeadlineRule = serde_json::from_str(r#"{"rule":"end_of_next_month"}"#).unwrap();
        assert_eq!(back, DeadlineRule::EndOfNextMonth);
        assert!(DeadlineRule::CalendarDays { days: 0 }.validate().is_err());
    }

    #[test]
    fn the_version_in_force_is_the_latest_effective_on_or_before_the_day() {
        let version = |effective_from: &str| PolicyRow {
            id: effective_from.into(),
            region_id: "r".into(),
            kind: PAYMENT_DEADLINE.into(),
            effective_from: effective_from.parse().unwrap(),
            params: "{}".into(),
            note: None,
            created_by: None,
            created_at: NaiveDateTime::default(),
        };
        let versions = [version("2000-01-01"), version("2027-01-01"), version("2027-07-01")];
        let on = |day: &str| in_force_on(&versions, day.parse().unwrap()).map(|v| v.id.as_str());
        assert_eq!(on("1999-12-31"), None);
        assert_eq!(on("2026-12-31"), Some("2000-01-01"));
        assert_eq!(on("2027-01-01"), Some("2027-01-01"));
        assert_eq!(on("2027-06-30"), Some("2027-01-01"));
        assert_eq!(on("2030-01-01"), Some("2027-07-01"));
    }
}
