//! Credit rows, insert forms and the one visibility filter of a case.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::schema::{commitment_letters, credit_case_parties, credit_case_products, credit_cases, credit_repairs};

/// Where a case stands. A rating in force past its end date shows as `expired`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// Raised by the platform from its own evidence, for an officer to review.
    Proposed,
    /// Entered by an officer, not yet graded.
    Recorded,
    /// Graded by one officer, waiting for a second officer's approval.
    PendingApproval,
    /// Approved: its measures apply until repaired or its end date.
    InForce,
    Repaired,
    Dismissed,
    /// Shown only: in force, and its end date has passed.
    Expired,
}

impl CaseStatus {
    pub const STORED: [CaseStatus; 6] = [
        CaseStatus::Proposed,
        CaseStatus::Recorded,
        CaseStatus::PendingApproval,
        CaseStatus::InForce,
        CaseStatus::Repaired,
        CaseStatus::Dismissed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Proposed => "proposed",
            CaseStatus::Recorded => "recorded",
            CaseStatus::PendingApproval => "pending_approval",
            CaseStatus::InForce => "in_force",
            CaseStatus::Repaired => "repaired",
            CaseStatus::Dismissed => "dismissed",
            CaseStatus::Expired => "expired",
        }
    }
    pub fn parse(s: &str) -> DomainResult<CaseStatus> {
        CaseStatus::STORED
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| DomainError::Internal(format!("a credit case has the unknown status {s:?}")))
    }
    /// Whether the enterprises and the public may see the case: once it took effect.
    pub fn is_published(self) -> bool {
        matches!(self, CaseStatus::InForce | CaseStatus::Repaired | CaseStatus::Expired)
    }
}

/// Where a case comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// 法院判决
    CourtJudgment,
    /// 行政处罚决定
    AdministrativePenalty,
    /// 审计发现
    AuditFinding,
    /// The platform's own record of supply failures.
    PlatformEvidence,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::CourtJudgment => "court_judgment",
            Basis::AdministrativePenalty => "administrative_penalty",
            Basis::AuditFinding => "audit_finding",
            Basis::PlatformEvidence => "platform_evidence",
        }
    }
}

/// The part an enterprise plays in a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PartyRole {
    /// 上市许可持有人 (marketing-authorisation holder)
    Mah,
    Manufacturer,
    Distributor,
}

impl PartyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyRole::Mah => "mah",
            PartyRole::Manufacturer => "manufacturer",
            PartyRole::Distributor => "distributor",
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = credit_cases, treat_none_as_default_value = false)]
pub struct CaseRow {
    pub id: String,
    pub case_no: String,
    pub region_id: String,
    pub status: String,
    pub basis: String,
    pub document_no: Option<String>,
    pub decision_date: NaiveDate,
    pub conduct: String,
    pub amount: Option<i64>,
    pub top_condition: Option<String>,
    pub summary: String,
    pub evidence: Option<String>,
    pub proposal_key: Option<String>,
    pub policy_id: String,
    pub grading: String,
    pub suggested_grade: Option<String>,
    pub grade: Option<String>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<NaiveDateTime>,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
    pub measures: Option<String>,
    pub effective_from: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub distribution_until: Option<NaiveDate>,
    pub repaired_at: Option<NaiveDateTime>,
    pub closed_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
}

impl CaseRow {
    pub fn stored_status(&self) -> DomainResult<CaseStatus> {
        CaseStatus::parse(&self.status)
    }
    /// The status as a reader sees it on `date`.
    pub fn status_on(&self, date: NaiveDate) -> DomainResult<CaseStatus> {
        let s = self.stored_status()?;
        Ok(match (s, self.ends_on) {
            (CaseStatus::InForce, Some(end)) if date >= end => CaseStatus::Expired,
            _ => s,
        })
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = credit_case_parties, treat_none_as_default_value = false)]
pub struct PartyRow {
    pub case_id: String,
    pub enterprise_id: String,
    pub role: String,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = credit_case_products, treat_none_as_default_value = false)]
pub struct CaseProductRow {
    pub case_id: String,
    pub product_id: String,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = credit_repairs, treat_none_as_default_value = false)]
pub struct RepairRow {
    pub id: String,
    #[serde(skip)]
    pub case_id: String,
    pub measure: String,
    pub evidence: String,
    /// submitted, accepted or rejected.
    pub status: String,
    #[serde(skip)]
    pub submitted_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub submitted_at: NaiveDateTime,
    #[serde(skip)]
    pub reviewed_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_note: Option<String>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = commitment_letters)]
pub struct LetterRow {
    pub id: String,
    pub enterprise_id: String,
    pub template_version: String,
    pub signer: String,
    pub signed_on: NaiveDate,
    pub file_name: String,
    pub content_type: String,
    pub content: Vec<u8>,
    pub sha256: String,
    pub uploaded_by: String,
    pub uploaded_at: NaiveDateTime,
}

/// The case with `id` as `actor` may see it: the bureau sees its region's cases; an
/// enterprise the cases it is a party to once they took effect; hospitals and fund officers
/// the region's cases once they took effect. Anything else is not found.
pub fn visible_case(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<CaseRow> {
    let row: CaseRow = credit_cases::table
        .find(id)
        .select(CaseRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("credit case"))?;
    let published = row.stored_status()?.is_published();
    let visible = match actor.role {
        Role::Admin => false,
        Role::BureauOfficer => actor.region_id.as_deref() == Some(row.region_id.as_str()),
        Role::HospitalBuyer | Role::FundOfficer => {
            published && actor.region_id.as_deref() == Some(row.region_id.as_str())
        }
        Role::Supplier => {
            published
                && credit_case_parties::table
                    .filter(credit_case_parties::case_id.eq(&row.id))
                    .filter(credit_case_parties::enterprise_id.eq(&actor.org_id))
                    .count()
                    .get_result::<i64>(conn)?
                    > 0
        }
    };
    if !visible {
        return Err(DomainError::not_found("credit case"));
    }
    Ok(row)
}
