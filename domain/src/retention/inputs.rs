//! The bureau's retention inputs per hospital and generic: pre-VBP average prices, the fund's
//! pay ratio and insured share, assessment scores; each versioned by the day it takes effect.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEntry};
use crate::clock::to_db;
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{Actor, Role};
use crate::money::UnitPrice;
use crate::paging::{Page, PageRequest};
use crate::schema::{organizations, retention_inputs};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InputKind {
    /// Per generic (subject = generic name): weighted average price per minimum unit before VBP.
    PreVbpPrice,
    /// The fund's actual payment ratio for the region and year (subject = "").
    FundRatio,
    /// A hospital's insured-patient share (subject = hospital id).
    InsuredShare,
    /// A manual assessment component, 0–100 (subject = "hospital id:component key").
    ManualScore,
}

impl InputKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InputKind::PreVbpPrice => "pre_vbp_price",
            InputKind::FundRatio => "fund_ratio",
            InputKind::InsuredShare => "insured_share",
            InputKind::ManualScore => "manual_score",
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InputValue {
    pub kind: InputKind,
    #[serde(default)]
    pub subject: String,
    /// A decimal string: a price ("2.0000"), a ratio ("0.7") or a score ("85").
    pub value: String,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = retention_inputs, treat_none_as_default_value = false)]
pub struct InputRow {
    pub region_id: String,
    pub agreement_year: i16,
    pub kind: String,
    pub subject: String,
    pub value: String,
    pub comment: Option<String>,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

fn decimal(value: &str, field: &str) -> DomainResult<Decimal> {
    value
        .trim()
        .parse::<Decimal>()
        .map_err(|_| DomainError::invalid(ErrorCode::InvalidValue, field, format!("{value:?} is not a decimal number")))
}

fn check_input(conn: &mut DbConnection, region: &str, i: usize, v: &InputValue) -> DomainResult<(String, String)> {
    let field = format!("[{i}].value");
    let in_region_hospital = |conn: &mut DbConnection, id: &str| -> DomainResult<bool> {
        Ok(organizations::table
            .find(id)
            .filter(organizations::kind.eq("hospital"))
            .filter(organizations::region_id.eq(region))
            .count()
            .get_result::<i64>(conn)?
            > 0)
    };
    let subject = v.subject.trim().to_string();
    let value = match v.kind {
        InputKind::PreVbpPrice => {
            if subject.is_empty() {
                return Err(DomainError::invalid(ErrorCode::Required, format!("[{i}].subject"), "name the generic"));
            }
            UnitPrice::parse(&v.value)
                .map_err(|e| {
                    DomainError::invalid(ErrorCode::InvalidValue, &field, format!("a price per minimum unit: {e}"))
                })?
                .to_string()
        }
        InputKind::FundRatio | InputKind::InsuredShare => {
            let r = decimal(&v.value, &field)?;
            if r < Decimal::ZERO || r > Decimal::ONE {
                return Err(DomainError::invalid(ErrorCode::InvalidValue, &field, "a ratio lies between 0 and 1"));
            }
            if v.kind == InputKind::InsuredShare && !in_region_hospital(conn, &subject)? {
                return Err(DomainError::invalid(
                    ErrorCode::UnknownHospital,
                    format!("[{i}].subject"),
                    "no such hospital in your region",
                ));
            }
            if v.kind == InputKind::FundRatio && !subject.is_empty() {
                return Err(DomainError::invalid(
                    ErrorCode::InvalidSubject,
                    format!("[{i}].subject"),
                    "the fund ratio is the region's: leave the subject empty",
                ));
            }
            r.normalize().to_string()
        }
        InputKind::ManualScore => {
            let (hospital, key) = subject.split_once(':').ok_or_else(|| {
                DomainError::invalid(
                    ErrorCode::InvalidSubject,
                    format!("[{i}].subject"),
                    "write \"hospital id:component key\"",
                )
            })?;
            if key.is_empty() || !in_region_hospital(conn, hospital)? {
                return Err(DomainError::invalid(
                    ErrorCode::UnknownHospital,
                    format!("[{i}].subject"),
                    "no such hospital in your region, or no component key",
                ));
            }
            let s = decimal(&v.value, &field)?;
            if s < Decimal::ZERO || s > Decimal::from(100) {
                return Err(DomainError::invalid(ErrorCode::InvalidValue, &field, "a score lies between 0 and 100"));
            }
            s.normalize().to_string()
        }
    };
    Ok((subject, value))
}

/// Sets (or replaces) inputs for an agreement year (bureau officer). Runs copy the values they use.
pub fn set_inputs(
    conn: &mut DbConnection,
    actor: &Actor,
    agreement_year: i16,
    values: Vec<InputValue>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<InputRow>> {
    actor.require(&[Role::BureauOfficer], "enter retention inputs")?;
    let region = actor.region()?.to_string();
    if !(1..=3).contains(&agreement_year) {
        return Err(DomainError::invalid(
            ErrorCode::InvalidAgreementYear,
            "agreement_year",
            "an agreement year is 1, 2 or 3",
        ));
    }
    if values.is_empty() || values.len() > 5000 {
        return Err(DomainError::invalid(ErrorCode::InvalidBody, "values", "send 1 to 5000 values"));
    }
    write_tx(conn, |conn| {
        let mut written = Vec::with_capacity(values.len());
        for (i, v) in values.iter().enumerate() {
            let (subject, value) = check_input(conn, &region, i, v)?;
            let key = (region.as_str(), agreement_year, v.kind.as_str(), subject.as_str());
            diesel::delete(retention_inputs::table.find(key)).execute(conn)?;
            let row = InputRow {
                region_id: region.clone(),
                agreement_year,
                kind: v.kind.as_str().to_string(),
                subject: subject.clone(),
                value: value.clone(),
                comment: v.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string),
                created_by: actor.user_id.clone(),
                created_at: to_db(now),
            };
            diesel::insert_into(retention_inputs::table).values(&row).execute(conn)?;
            written.push(row);
            let entity = format!("{region}:{agreement_year}:{}:{subject}", v.kind.as_str());
            audit::record(
                conn,
                AuditEntry::created(
                    actor,
                    Some(&region),
                    "retention_input",
                    &entity,
                    &serde_json::json!({"value": value, "comment": v.comment}),
                ),
                now,
            )?;
        }
        Ok(written)
    })
}

#[derive(Clone, Debug, Default)]
pub struct InputFilter {
    pub agreement_year: i16,
    pub kind: Option<String>,
    /// Subjects starting with this (a generic name, or a hospital id for its scores and share).
    pub subject: Option<String>,
}

pub fn list_inputs(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &InputFilter,
    page: PageRequest,
) -> DomainResult<Page<InputRow>> {
    actor.require(&[Role::BureauOfficer, Role::FundOfficer], "read retention inputs")?;
    let region = actor.region()?.to_string();
    let build = || {
        let mut q = retention_inputs::table
            .filter(retention_inputs::region_id.eq(region.clone()))
            .filter(retention_inputs::agreement_year.eq(filter.agreement_year))
            .into_boxed();
        if let Some(k) = &filter.kind {
            q = q.filter(retention_inputs::kind.eq(k.clone()));
        }
        if let Some(s) = filter.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            q = q.filter(retention_inputs::subject.like(format!("{}%", crate::identity::escape_like(s))).escape('\\'));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let items = build()
        .order((retention_inputs::kind.asc(), retention_inputs::subject.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(InputRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}
