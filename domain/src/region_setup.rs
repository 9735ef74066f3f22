//! A region's policies as a whole: the initial version of every kind, stored when a region is
//! created, and the checks each kind's parameters pass before a new version is stored. The one
//! module that knows every capability's policy type, so the base layer's policy storage needs
//! none of them.

use chrono::{DateTime, Utc};

use crate::actor::Actor;
use crate::credit::rules::CreditPolicy;
use crate::credit::CREDIT_POLICY;
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{self, NewRegion, RegionRow};
use crate::ordering::rules::{OrderLimitPolicy, ORDER_LIMIT_POLICY};
use crate::policy::{
    ConfirmationPolicy, DeadlineRule, InterestPolicy, MonitoringPolicy, NewDeadlinePolicy, NewPolicy, PolicyRow,
    PrepaymentPolicy, HOSPITAL_CONFIRMATION, LATE_INTEREST, MONITORING, PAYMENT_DEADLINE, PREPAYMENT, RETENTION,
};
use crate::standards::rules::PaymentStandardPolicy;
use crate::standards::PAYMENT_STANDARD_POLICY;
use crate::tender::rules::TenderPolicy;
use crate::tender::TENDER_POLICY;

/// Creates a pooling region with the initial version of every policy kind, the deadline rule
/// as the request gives it (default: 30 calendar days).
pub fn create_region(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewRegion,
    now: DateTime<Utc>,
) -> DomainResult<RegionRow> {
    let rule = input.deadline_rule.unwrap_or_default().validate()?;
    identity::create_region(conn, actor, input, &initial_policies(rule), now)
}

/// The initial version of every policy kind, as stored for a new region.
pub fn initial_policies(deadline: DeadlineRule) -> Vec<(&'static str, String)> {
    let json = |v: serde_json::Value| v.to_string();
    vec![
        (PAYMENT_DEADLINE, serde_json::to_string(&deadline).expect("serializable")),
        (HOSPITAL_CONFIRMATION, serde_json::to_string(&ConfirmationPolicy::default()).expect("serializable")),
        (LATE_INTEREST, json(serde_json::json!({"daily_rate": InterestPolicy::default().daily_rate.to_string()}))),
        (PREPAYMENT, json(serde_json::json!({"share": PrepaymentPolicy::default().share.to_string()}))),
        (RETENTION, serde_json::to_string(&crate::retention::RetentionPolicy::default()).expect("serializable")),
        (MONITORING, serde_json::to_string(&MonitoringPolicy::default()).expect("serializable")),
        (TENDER_POLICY, serde_json::to_string(&TenderPolicy::default()).expect("serializable")),
        (CREDIT_POLICY, serde_json::to_string(&CreditPolicy::default()).expect("serializable")),
        (PAYMENT_STANDARD_POLICY, serde_json::to_string(&PaymentStandardPolicy::default()).expect("serializable")),
        (ORDER_LIMIT_POLICY, serde_json::to_string(&OrderLimitPolicy::default()).expect("serializable")),
    ]
}

/// Adds a version of a policy kind for the bureau's region, its parameters checked first.
pub fn create_policy(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: &str,
    input: NewPolicy,
    now: DateTime<Utc>,
) -> DomainResult<PolicyRow> {
    actor.require(&[crate::actor::Role::BureauOfficer], "change policy")?;
    let params = validated_params(kind, input.params.clone())?;
    crate::policy::insert_version(conn, actor, kind, input, params, now)
}

/// Adds a payment deadline version for the bureau's region. Versions take effect today or later:
/// figures already computed keep the version that produced them.
pub fn create_deadline_policy(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewDeadlinePolicy,
    now: DateTime<Utc>,
) -> DomainResult<PolicyRow> {
    let params = serde_json::to_value(input.rule)?;
    create_policy(
        conn,
        actor,
        PAYMENT_DEADLINE,
        NewPolicy { effective_from: input.effective_from, params, note: input.note },
        now,
    )
}

fn bad_params(message: impl Into<String>) -> DomainError {
    DomainError::invalid(ErrorCode::InvalidPolicy, "params", message)
}

/// Checks `params` against the kind's rules and returns them as stored.
fn validated_params(kind: &str, params: serde_json::Value) -> DomainResult<String> {
    use rust_decimal::Decimal;
    fn parse<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> DomainResult<T> {
        serde_json::from_value(v).map_err(|e| bad_params(format!("the parameters do not fit this policy: {e}")))
    }
    /// A kind whose policy type checks itself.
    fn self_checked<T: serde::de::DeserializeOwned + serde::Serialize>(
        v: serde_json::Value,
        validate: fn(&T) -> Result<(), String>,
    ) -> DomainResult<String> {
        let p: T = parse(v)?;
        validate(&p).map_err(bad_params)?;
        Ok(serde_json::to_string(&p)?)
    }
    let ratio_ok = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE;
    let stored = match kind {
        PAYMENT_DEADLINE => serde_json::to_string(&parse::<DeadlineRule>(params)?.validate()?)?,
        HOSPITAL_CONFIRMATION => {
            let p: ConfirmationPolicy = parse(params)?;
            if !(1..=30).contains(&p.working_days) {
                return Err(bad_params("the confirmation window is 1 to 30 working days"));
            }
            serde_json::to_string(&p)?
        }
        LATE_INTEREST => {
            let p: InterestPolicy = parse(params)?;
            if p.daily_rate < Decimal::ZERO || p.daily_rate > Decimal::new(1, 2) {
                return Err(bad_params("the daily rate lies between 0 and 0.01"));
            }
            serde_json::to_string(&p)?
        }
        PREPAYMENT => {
            let p: PrepaymentPolicy = parse(params)?;
            if !ratio_ok(p.share) {
                return Err(bad_params("the prepayment share lies between 0 and 1"));
            }
            serde_json::to_string(&p)?
        }
        RETENTION => {
            let p: crate::retention::RetentionPolicy = parse(params)?;
            if p.components.iter().map(|c| c.weight).sum::<u32>() != 100 {
                return Err(bad_params("the component weights add up to 100"));
            }
            if p.grades.is_empty() || p.grades.windows(2).any(|w| w[0].min_score <= w[1].min_score) {
                return Err(bad_params("grades are listed from the highest minimum score down"));
            }
            if p.grades.iter().any(|g| !ratio_ok(g.share)) || p.floor_share.is_some_and(|f| !ratio_ok(f)) {
                return Err(bad_params("shares lie between 0 and 1"));
            }
            serde_json::to_string(&p)?
        }
        MONITORING => {
            let p: MonitoringPolicy = parse(params)?;
            if p.pace_threshold_points < Decimal::ZERO
                || !ratio_ok(p.supplier_decline_rate)
                || p.supplier_min_orders < 1
            {
                return Err(bad_params("thresholds are positive; the decline rate lies between 0 and 1"));
            }
            serde_json::to_string(&p)?
        }
        TENDER_POLICY => self_checked(params, TenderPolicy::validate)?,
        CREDIT_POLICY => self_checked(params, CreditPolicy::validate)?,
        PAYMENT_STANDARD_POLICY => self_checked(params, PaymentStandardPolicy::validate)?,
        ORDER_LIMIT_POLICY => self_checked(params, OrderLimitPolicy::validate)?,
        other => {
            return Err(DomainError::invalid(ErrorCode::UnknownPolicyKind, "kind", format!("no policy kind {other:?}")))
        }
    };
    Ok(stored)
}
