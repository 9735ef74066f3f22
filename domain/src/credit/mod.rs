//! Credit rating of enterprises (医药价格和招采信用评价, domain.md section 9).
//!
//! A case is recorded by a bureau officer (or proposed by the platform from supply failures,
//! `proposals`), graded by one officer with a reason, and takes effect when a second officer
//! approves it. While in force its measures are enforced through `enforce`, which tendering,
//! the catalogue and ordering call. The enterprise repairs it by evidence for each corrective
//! measure, accepted by an officer; otherwise it ends at its end date. Commitment letters are
//! in `letters`. The grading rules are pure, in `rules`; rows and visibility in `store`.

pub mod enforce;
pub mod letters;
pub mod proposals;
pub mod rules;
pub mod store;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::actor::{user_names, Actor, OrgKind, Role};
use crate::audit::{self, AuditEntry};
use crate::clock::{shanghai_date, to_db};
use crate::db::{write_tx, DbConnection};
use crate::error::{required_text, DomainError, DomainResult, ErrorCode};
use crate::ids::{document_no, new_id};
use crate::money::Money;
use crate::paging::{Page, PageRequest};
use crate::policy::{params_by_id, params_in_force};
use crate::schema::{
    batches, credit_case_parties, credit_case_products, credit_cases, credit_repairs, organizations, products,
    winning_bids,
};

use rules::{add_years, suggest, Conduct, Corrective, CreditPolicy, GradeDef, Grading, TopCondition};
use store::{visible_case, CaseProductRow, CaseRow, PartyRow, RepairRow};
pub use store::{Basis, CaseStatus, PartyRole};

/// The policy kind that holds a region's credit grades, bands, measures and repair rules.
pub const CREDIT_POLICY: &str = "credit";

const ENTITY: &str = "credit_case";

// ---------------------------------------------------------------- recording

/// An enterprise a case involves.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewParty {
    pub enterprise_id: String,
    pub role: PartyRole,
}

/// A case entered by a bureau officer with its basis.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCase {
    pub basis: Basis,
    /// The judgment's, penalty decision's or audit report's number.
    pub document_no: String,
    pub decision_date: NaiveDate,
    pub conduct: Conduct,
    /// The amount involved, in yuan, e.g. "800000.00".
    #[serde(default)]
    pub amount: Option<Money>,
    /// A condition that makes the case the top grade whatever its amount.
    #[serde(default)]
    pub top_condition: Option<TopCondition>,
    pub summary: String,
    /// The enterprises involved, the marketing-authorisation holder included.
    pub parties: Vec<NewParty>,
    /// Catalogue codes of the products involved.
    #[serde(default)]
    pub product_codes: Vec<String>,
}

fn credit_policy(conn: &mut DbConnection, region_id: &str, date: NaiveDate) -> DomainResult<(CreditPolicy, String)> {
    params_in_force::<CreditPolicy>(conn, region_id, CREDIT_POLICY, date)
}

pub(crate) struct CaseDraft {
    pub region_id: String,
    pub status: CaseStatus,
    pub basis: Basis,
    pub document_no: Option<String>,
    pub decision_date: NaiveDate,
    pub conduct: Conduct,
    pub amount: Option<Money>,
    pub top_condition: Option<TopCondition>,
    pub summary: String,
    pub evidence: Option<serde_json::Value>,
    pub proposal_key: Option<String>,
    pub parties: Vec<(String, PartyRole)>,
    pub product_ids: Vec<String>,
}

/// Writes a case with the grade the region's policy in force today suggests, and its audit
/// event. Parties and products are already checked.
pub(crate) fn insert_case(
    conn: &mut DbConnection,
    actor: &Actor,
    draft: CaseDraft,
    now: DateTime<Utc>,
) -> DomainResult<CaseRow> {
    let (policy, policy_id) = credit_policy(conn, &draft.region_id, shanghai_date(now))?;
    let grading = suggest(&policy, draft.conduct, draft.amount, draft.top_condition);
    let system = actor.username == "system";
    let row = CaseRow {
        id: new_id(),
        case_no: document_no("CC", now),
        region_id: draft.region_id,
        status: draft.status.as_str().into(),
        basis: draft.basis.as_str().into(),
        document_no: draft.document_no,
        decision_date: draft.decision_date,
        conduct: draft.conduct.as_str().into(),
        amount: draft.amount.map(Money::fen),
        top_condition: draft.top_condition.map(|t| t.as_str().to_string()),
        summary: draft.summary,
        evidence: draft.evidence.map(|e| e.to_string()),
        proposal_key: draft.proposal_key,
        policy_id,
        grading: serde_json::to_string(&grading)?,
        suggested_grade: grading.suggested.clone(),
        grade: None,
        decision_reason: None,
        decided_by: None,
        decided_at: None,
        approved_by: None,
        approved_at: None,
        review_note: None,
        measures: None,
        effective_from: None,
        ends_on: None,
        distribution_until: None,
        repaired_at: None,
        closed_reason: None,
        created_by: (!system).then(|| actor.user_id.clone()),
        created_at: to_db(now),
    };
    diesel::insert_into(credit_cases::table).values(&row).execute(conn)?;
    let parties: Vec<PartyRow> = draft
        .parties
        .iter()
        .map(|(e, r)| PartyRow { case_id: row.id.clone(), enterprise_id: e.clone(), role: r.as_str().into() })
        .collect();
    // One row at a time: a case names a handful (MultiConnection has no batch insert on SQLite
    // for rows without optional columns).
    for p in &parties {
        diesel::insert_into(credit_case_parties::table).values(p).execute(conn)?;
    }
    let products: Vec<CaseProductRow> =
        draft.product_ids.iter().map(|p| CaseProductRow { case_id: row.id.clone(), product_id: p.clone() }).collect();
    for p in &products {
        diesel::insert_into(credit_case_products::table).values(p).execute(conn)?;
    }
    audit::record(
        conn,
        AuditEntry::created(
            actor,
            Some(&row.region_id),
            ENTITY,
            &row.id,
            &serde_json::json!({
                "case_no": row.case_no, "status": row.status, "conduct": row.conduct, "amount": draft.amount,
                "suggested_grade": grading.suggested, "policy_id": row.policy_id,
            }),
        )
        .first_event(),
        now,
    )?;
    Ok(row)
}

/// Records a case (bureau officer). The policy in force suggests its grade at once; an
/// officer then decides.
pub fn record_case(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewCase,
    now: DateTime<Utc>,
) -> DomainResult<CaseView> {
    actor.require(&[Role::BureauOfficer], "record credit cases")?;
    let region_id = actor.region()?.to_string();
    if input.basis == Basis::PlatformEvidence {
        return Err(DomainError::invalid(
            ErrorCode::InvalidBasis,
            "basis",
            "platform evidence is proposed by the platform itself; enter a judgment, penalty or audit finding",
        ));
    }
    let document_no = required_text(&input.document_no, "document_no", 100)?;
    let summary = required_text(&input.summary, "summary", 2000)?;
    let today = shanghai_date(now);
    if input.decision_date > today {
        return Err(DomainError::invalid(
            ErrorCode::FutureDate,
            "decision_date",
            "the decision date is not in the future",
        ));
    }
    if input.amount.is_some_and(|a| a.fen() < 0) {
        return Err(DomainError::invalid(ErrorCode::InvalidAmount, "amount", "the amount is not negative"));
    }
    if input.parties.is_empty() {
        return Err(DomainError::invalid(
            ErrorCode::PartiesRequired,
            "parties",
            "name at least one enterprise involved",
        ));
    }
    if input.parties.len() > 20 || input.product_codes.len() > 200 {
        return Err(DomainError::invalid(
            ErrorCode::TooMany,
            "parties",
            "at most 20 enterprises and 200 products per case",
        ));
    }
    write_tx(conn, |conn| {
        let mut parties = Vec::new();
        for (i, p) in input.parties.iter().enumerate() {
            let field = format!("parties[{i}].enterprise_id");
            let id = p.enterprise_id.trim();
            let found: Option<String> = organizations::table
                .find(id)
                .filter(organizations::kind.eq(OrgKind::Enterprise.as_str()))
                .select(organizations::id)
                .first(conn)
                .optional()?;
            let id = found
                .ok_or_else(|| DomainError::invalid(ErrorCode::UnknownEnterprise, &field, "no such enterprise"))?;
            if parties.iter().any(|(e, _)| *e == id) {
                return Err(DomainError::invalid(ErrorCode::DuplicateParty, field, "the enterprise is named twice"));
            }
            parties.push((id, p.role));
        }
        let mut product_ids = Vec::new();
        for (i, code) in input.product_codes.iter().enumerate() {
            let code = code.trim().to_ascii_uppercase();
            let id: String = products::table
                .filter(products::code.eq(&code))
                .select(products::id)
                .first(conn)
                .optional()?
                .ok_or_else(|| {
                    DomainError::invalid(
                        ErrorCode::UnknownProduct,
                        format!("product_codes[{i}]"),
                        format!("no product with code {code:?}"),
                    )
                })?;
            if !product_ids.contains(&id) {
                product_ids.push(id);
            }
        }
        let row = insert_case(
            conn,
            actor,
            CaseDraft {
                region_id: region_id.clone(),
                status: CaseStatus::Recorded,
                basis: input.basis,
                document_no: Some(document_no.clone()),
                decision_date: input.decision_date,
                conduct: input.conduct,
                amount: input.amount,
                top_condition: input.top_condition,
                summary: summary.clone(),
                evidence: None,
                proposal_key: None,
                parties,
                product_ids,
            },
            now,
        )?;
        case_view(conn, row, today)
    })
}

// ---------------------------------------------------------------- grading and approval

/// An officer's grade for a case, with the reason (required always: it is published with the
/// rating's explanation).
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseDecision {
    pub grade: String,
    pub reason: String,
}

/// Grades a recorded or proposed case (bureau officer): it then waits for a second officer.
pub fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    input: CaseDecision,
    now: DateTime<Utc>,
) -> DomainResult<CaseView> {
    actor.require(&[Role::BureauOfficer], "grade credit cases")?;
    let reason = required_text(&input.reason, "reason", 2000)?;
    on_case(conn, actor, id, now, |conn, row| {
        let from = require_status(row, &[CaseStatus::Recorded, CaseStatus::Proposed])?;
        let policy: CreditPolicy = params_by_id(conn, &row.policy_id)?;
        let grade = policy.grade(input.grade.trim()).ok_or_else(|| {
            let codes: Vec<&str> = policy.grades.iter().map(|g| g.code.as_str()).collect();
            DomainError::invalid(ErrorCode::UnknownGrade, "grade", format!("the grade is one of {}", codes.join(", ")))
                .with_details(serde_json::json!({ "grades": codes }))
        })?;
        let moved = diesel::update(case_in(&row.id, from))
            .set((
                credit_cases::status.eq(CaseStatus::PendingApproval.as_str()),
                credit_cases::grade.eq(&grade.code),
                credit_cases::decision_reason.eq(&reason),
                credit_cases::decided_by.eq(&actor.user_id),
                credit_cases::decided_at.eq(to_db(now)),
                credit_cases::review_note.eq(None::<String>),
            ))
            .execute(conn)?;
        if moved != 1 {
            return Err(wrong_status(from, &[from]));
        }
        record_case_change(
            conn,
            actor,
            row,
            "decide",
            serde_json::json!({"status": from.as_str()}),
            serde_json::json!({"status": "pending_approval", "grade": grade.code, "suggested": row.suggested_grade, "reason": reason}),
            now,
        )
    })
}

/// A second officer's answer to a graded case, or an officer's review of repair evidence.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub approve: bool,
    /// Required when refusing.
    #[serde(default)]
    pub note: Option<String>,
}

fn review_note(input: &Review) -> DomainResult<Option<String>> {
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if !input.approve && note.is_none() {
        return Err(DomainError::invalid(ErrorCode::ReasonRequired, "note", "say why it is refused"));
    }
    if note.is_some_and(|n| n.chars().count() > 2000) {
        return Err(DomainError::invalid(ErrorCode::TooLong, "note", "the note is longer than 2000 characters"));
    }
    Ok(note.map(str::to_string))
}

/// A second officer approves a graded case (it takes effect today: its measures, end date and
/// a distributor's suspension are fixed from the case's policy version), or sends it back to
/// be graded again.
pub fn approve(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    input: Review,
    now: DateTime<Utc>,
) -> DomainResult<CaseView> {
    actor.require(&[Role::BureauOfficer], "approve credit ratings")?;
    let note = review_note(&input)?;
    let today = shanghai_date(now);
    on_case(conn, actor, id, now, |conn, row| {
        require_status(row, &[CaseStatus::PendingApproval])?;
        if row.decided_by.as_deref() == Some(actor.user_id.as_str()) {
            return Err(DomainError::conflict(
                ErrorCode::SecondOfficerRequired,
                "a rating takes effect on a second officer's approval, not the grading officer's",
            ));
        }
        let pending = case_in(&row.id, CaseStatus::PendingApproval);
        let (action, after) = if input.approve {
            let policy: CreditPolicy = params_by_id(conn, &row.policy_id)?;
            let grade: &GradeDef =
                row.grade.as_deref().and_then(|g| policy.grade(g)).ok_or_else(|| {
                    DomainError::Internal(format!("case {} has a grade outside its policy", row.case_no))
                })?;
            let ends_on = add_years(row.decision_date, policy.duration_years);
            let has_distributor: i64 = credit_case_parties::table
                .filter(credit_case_parties::case_id.eq(&row.id))
                .filter(credit_case_parties::role.eq(PartyRole::Distributor.as_str()))
                .count()
                .get_result(conn)?;
            let distribution_until = (has_distributor > 0 && grade.distributor_suspension_years > 0)
                .then(|| add_years(today, grade.distributor_suspension_years));
            diesel::update(pending)
                .set((
                    credit_cases::status.eq(CaseStatus::InForce.as_str()),
                    credit_cases::approved_by.eq(&actor.user_id),
                    credit_cases::approved_at.eq(to_db(now)),
                    credit_cases::review_note.eq(&note),
                    credit_cases::measures.eq(serde_json::to_string(grade)?),
                    credit_cases::effective_from.eq(today),
                    credit_cases::ends_on.eq(ends_on),
                    credit_cases::distribution_until.eq(distribution_until),
                ))
                .execute(conn)?;
            enforce::cases_changed();
            (
                "approve",
                serde_json::json!({"status": "in_force", "grade": grade.code, "effective_from": today, "ends_on": ends_on, "distribution_until": distribution_until}),
            )
        } else {
            diesel::update(pending)
                .set((
                    credit_cases::status.eq(CaseStatus::Recorded.as_str()),
                    credit_cases::review_note.eq(&note),
                    credit_cases::grade.eq(None::<String>),
                ))
                .execute(conn)?;
            ("send_back", serde_json::json!({"status": "recorded", "note": note}))
        };
        record_case_change(
            conn,
            actor,
            row,
            action,
            serde_json::json!({"status": "pending_approval", "grade": row.grade}),
            after,
            now,
        )
    })
}

/// Closes a proposed or recorded case without a rating (bureau officer), with the reason.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dismissal {
    pub reason: String,
}

pub fn dismiss(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    input: Dismissal,
    now: DateTime<Utc>,
) -> DomainResult<CaseView> {
    actor.require(&[Role::BureauOfficer], "dismiss credit cases")?;
    let reason = required_text(&input.reason, "reason", 2000)?;
    on_case(conn, actor, id, now, |conn, row| {
        let from = require_status(row, &[CaseStatus::Proposed, CaseStatus::Recorded])?;
        diesel::update(case_in(&row.id, from))
            .set((credit_cases::status.eq(CaseStatus::Dismissed.as_str()), credit_cases::closed_reason.eq(&reason)))
            .execute(conn)?;
        record_case_change(
            conn,
            actor,
            row,
            "dismiss",
            serde_json::json!({"status": from.as_str()}),
            serde_json::json!({"status": "dismissed", "reason": reason}),
            now,
        )
    })
}

/// An operation on one case the caller may see, in one transaction; answers the case as it
/// then is.
fn on_case(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
    op: impl FnOnce(&mut DbConnection, &CaseRow) -> DomainResult<()>,
) -> DomainResult<CaseView> {
    write_tx(conn, |conn| {
        let row = visible_case(conn, actor, id)?;
        op(conn, &row)?;
        reload(conn, &row.id, shanghai_date(now))
    })
}

/// The case while it is still `status`: an update through it moves nothing when another
/// request moved the case first.
fn case_in(
    id: &str,
    status: CaseStatus,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<credit_cases::table, &str>,
    diesel::dsl::Eq<credit_cases::status, &'static str>,
> {
    credit_cases::table.find(id).filter(credit_cases::status.eq(status.as_str()))
}

/// Audits a change of the case itself.
fn record_case_change(
    conn: &mut DbConnection,
    actor: &Actor,
    row: &CaseRow,
    action: &'static str,
    before: serde_json::Value,
    after: serde_json::Value,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    audit::record(conn, AuditEntry::changed(actor, Some(&row.region_id), ENTITY, &row.id, action, &before, &after), now)
}

fn require_status(row: &CaseRow, allowed: &[CaseStatus]) -> DomainResult<CaseStatus> {
    let s = row.stored_status()?;
    if allowed.contains(&s) {
        Ok(s)
    } else {
        Err(wrong_status(s, allowed))
    }
}

fn wrong_status(current: CaseStatus, expected: &[CaseStatus]) -> DomainError {
    let expected: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
    DomainError::conflict(
        ErrorCode::WrongCaseStatus,
        format!("the case is {}; this needs a case that is {}", current.as_str(), expected.join(" or ")),
    )
    .with_details(serde_json::json!({"status": current.as_str(), "expected": expected}))
}

// ---------------------------------------------------------------- repair

/// Evidence of one corrective measure, submitted by an enterprise the case involves.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRepair {
    pub measure: Corrective,
    /// What was done, with document references.
    pub evidence: String,
}

pub fn submit_repair(
    conn: &mut DbConnection,
    actor: &Actor,
    case_id: &str,
    input: NewRepair,
    now: DateTime<Utc>,
) -> DomainResult<CaseView> {
    actor.require(&[Role::Supplier], "submit repair evidence")?;
    let evidence = required_text(&input.evidence, "evidence", 4000)?;
    on_case(conn, actor, case_id, now, |conn, row| {
        let today = shanghai_date(now);
        if row.status_on(today)? != CaseStatus::InForce {
            return Err(wrong_status(row.status_on(today)?, &[CaseStatus::InForce]));
        }
        let policy: CreditPolicy = params_by_id(conn, &row.policy_id)?;
        let conduct = Conduct::parse(&row.conduct).ok_or_else(|| DomainError::Internal("unknown conduct".into()))?;
        if !policy.repair_measures(conduct).contains(&input.measure) {
            return Err(DomainError::invalid(
                ErrorCode::MeasureNotRequired,
                "measure",
                format!("{} is not a corrective measure this case requires", input.measure.as_str()),
            ));
        }
        let settled: i64 = credit_repairs::table
            .filter(credit_repairs::case_id.eq(&row.id))
            .filter(credit_repairs::measure.eq(input.measure.as_str()))
            .filter(credit_repairs::status.ne("rejected"))
            .count()
            .get_result(conn)?;
        if settled > 0 {
            return Err(DomainError::conflict(
                ErrorCode::RepairAlreadySubmitted,
                "evidence for this measure is already submitted or accepted",
            ));
        }
        let repair = RepairRow {
            id: new_id(),
            case_id: row.id.clone(),
            measure: input.measure.as_str().into(),
            evidence,
            status: "submitted".into(),
            submitted_by: actor.user_id.clone(),
            submitted_at: to_db(now),
            reviewed_by: None,
            reviewed_at: None,
            review_note: None,
        };
        diesel::insert_into(credit_repairs::table).values(&repair).execute(conn)?;
        audit::record(
            conn,
            AuditEntry::created(
                actor,
                Some(&row.region_id),
                "credit_repair",
                &repair.id,
                &serde_json::json!({"case_no": row.case_no, "measure": repair.measure}),
            )
            .first_event(),
            now,
        )
    })
}

/// An officer accepts or rejects repair evidence. When every required measure is accepted
/// (a winning price of a product involved counts for removing the inflated price), the rating
/// is repaired and its measures lift at once.
pub fn review_repair(
    conn: &mut DbConnection,
    actor: &Actor,
    case_id: &str,
    repair_id: &str,
    input: Review,
    now: DateTime<Utc>,
) -> DomainResult<CaseView> {
    actor.require(&[Role::BureauOfficer], "review repair evidence")?;
    let note = review_note(&input)?;
    on_case(conn, actor, case_id, now, |conn, row| {
        let repair: RepairRow = credit_repairs::table
            .find(repair_id)
            .filter(credit_repairs::case_id.eq(&row.id))
            .select(RepairRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| DomainError::not_found("repair evidence"))?;
        if repair.status != "submitted" {
            return Err(DomainError::conflict(ErrorCode::RepairAlreadyReviewed, "this evidence has been reviewed"));
        }
        let status = if input.approve { "accepted" } else { "rejected" };
        diesel::update(credit_repairs::table.find(&repair.id).filter(credit_repairs::status.eq("submitted")))
            .set((
                credit_repairs::status.eq(status),
                credit_repairs::reviewed_by.eq(&actor.user_id),
                credit_repairs::reviewed_at.eq(to_db(now)),
                credit_repairs::review_note.eq(&note),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                Some(&row.region_id),
                "credit_repair",
                &repair.id,
                if input.approve { "accept" } else { "reject" },
                &serde_json::json!({"status": "submitted"}),
                &serde_json::json!({"status": status, "note": note}),
            ),
            now,
        )?;
        let progress = repair_progress(conn, row)?;
        if input.approve && row.stored_status()? == CaseStatus::InForce && progress.complete {
            diesel::update(case_in(&row.id, CaseStatus::InForce))
                .set((credit_cases::status.eq(CaseStatus::Repaired.as_str()), credit_cases::repaired_at.eq(to_db(now))))
                .execute(conn)?;
            enforce::cases_changed();
            record_case_change(
                conn,
                actor,
                row,
                "repaired",
                serde_json::json!({"status": "in_force"}),
                serde_json::json!({"status": "repaired"}),
                now,
            )?;
        }
        Ok(())
    })
}

/// One corrective measure a case requires and where its evidence stands.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequiredRepair {
    pub measure: Corrective,
    /// missing, submitted, accepted, rejected, or satisfied_by_winning_price.
    pub state: String,
}

struct RepairProgress {
    required: Vec<RequiredRepair>,
    repairs: Vec<RepairRow>,
    complete: bool,
}

fn repair_progress(conn: &mut DbConnection, row: &CaseRow) -> DomainResult<RepairProgress> {
    let policy: CreditPolicy = params_by_id(conn, &row.policy_id)?;
    let conduct = Conduct::parse(&row.conduct).ok_or_else(|| DomainError::Internal("unknown conduct".into()))?;
    let need = policy.repair_measures(conduct);
    let repairs: Vec<RepairRow> = credit_repairs::table
        .filter(credit_repairs::case_id.eq(&row.id))
        .order(credit_repairs::submitted_at.asc())
        .select(RepairRow::as_select())
        .load(conn)?;
    // A VBP winning price of a product the case involves, won by one of its enterprises in this
    // region, counts as having removed the inflated price.
    let involved = credit_case_products::table
        .filter(credit_case_products::case_id.eq(&row.id))
        .select(credit_case_products::product_id);
    let parties = credit_case_parties::table
        .filter(credit_case_parties::case_id.eq(&row.id))
        .select(credit_case_parties::enterprise_id);
    let wins: i64 = winning_bids::table
        .inner_join(batches::table)
        .filter(batches::region_id.eq(&row.region_id))
        .filter(winning_bids::product_id.eq_any(involved))
        .filter(winning_bids::enterprise_id.eq_any(parties))
        .count()
        .get_result(conn)?;
    let accepted: Vec<Corrective> =
        repairs.iter().filter(|r| r.status == "accepted").filter_map(|r| Corrective::parse(&r.measure)).collect();
    let required = need
        .iter()
        .map(|m| {
            let latest = repairs.iter().rev().find(|r| r.measure == m.as_str());
            let state = match latest {
                Some(r) => r.status.clone(),
                None if *m == Corrective::RemoveInflatedPrice && wins > 0 => "satisfied_by_winning_price".into(),
                None => "missing".into(),
            };
            RequiredRepair { measure: *m, state }
        })
        .collect();
    Ok(RepairProgress { complete: rules::repaired(&need, &accepted, wins > 0), required, repairs })
}

// ---------------------------------------------------------------- reading

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyView {
    pub enterprise_id: String,
    pub name: String,
    pub role: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseProductView {
    pub product_id: String,
    pub code: String,
    pub generic_name: String,
    pub specification: String,
}

/// What the case list and a case's page both show of a case.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseHead {
    pub id: String,
    pub case_no: String,
    pub status: CaseStatus,
    pub basis: String,
    pub document_no: Option<String>,
    pub decision_date: NaiveDate,
    pub conduct: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub amount: Option<Money>,
}

impl CaseHead {
    fn of(row: &CaseRow, today: NaiveDate) -> DomainResult<CaseHead> {
        Ok(CaseHead {
            id: row.id.clone(),
            case_no: row.case_no.clone(),
            status: row.status_on(today)?,
            basis: row.basis.clone(),
            document_no: row.document_no.clone(),
            decision_date: row.decision_date,
            conduct: row.conduct.clone(),
            amount: row.amount.map(Money::from_fen),
        })
    }
}

/// A case with its explanation: the inputs, the policy version, the suggested grade and why,
/// the officer's grade and reason, the approval, the measures and the repair.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseView {
    #[serde(flatten)]
    pub head: CaseHead,
    pub top_condition: Option<String>,
    pub summary: String,
    /// The platform's evidence of a proposed case (orders, dates, quantities).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub evidence: Option<serde_json::Value>,
    pub parties: Vec<PartyView>,
    pub products: Vec<CaseProductView>,
    pub policy_id: String,
    pub grading: Grading,
    pub suggested_grade: Option<String>,
    pub grade: Option<String>,
    pub grade_name_zh: Option<String>,
    pub grade_name_en: Option<String>,
    /// The grades the case's policy allows, mildest first.
    pub grades: Vec<GradeDef>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<String>,
    pub approved_by: Option<String>,
    pub review_note: Option<String>,
    pub measures: Vec<rules::Measure>,
    pub effective_from: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub distribution_until: Option<NaiveDate>,
    pub required_repairs: Vec<RequiredRepair>,
    pub repairs: Vec<RepairRow>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub repaired_at: Option<DateTime<Utc>>,
    pub closed_reason: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: DateTime<Utc>,
}

fn reload(conn: &mut DbConnection, id: &str, today: NaiveDate) -> DomainResult<CaseView> {
    let row: CaseRow = credit_cases::table.find(id).select(CaseRow::as_select()).first(conn)?;
    case_view(conn, row, today)
}

fn case_view(conn: &mut DbConnection, row: CaseRow, today: NaiveDate) -> DomainResult<CaseView> {
    let policy: CreditPolicy = params_by_id(conn, &row.policy_id)?;
    let parties: Vec<(String, String, String)> = credit_case_parties::table
        .inner_join(organizations::table)
        .filter(credit_case_parties::case_id.eq(&row.id))
        .order(organizations::name.asc())
        .select((credit_case_parties::enterprise_id, organizations::name, credit_case_parties::role))
        .load(conn)?;
    let products: Vec<(String, String, String, String)> = credit_case_products::table
        .inner_join(products::table)
        .filter(credit_case_products::case_id.eq(&row.id))
        .order(products::code.asc())
        .select((products::id, products::code, products::generic_name, products::specification))
        .load(conn)?;
    let progress = repair_progress(conn, &row)?;
    let parties_roles: Vec<bool> = parties.iter().map(|(_, _, role)| role == PartyRole::Distributor.as_str()).collect();
    let names = user_names(conn, row.decided_by.iter().chain(row.approved_by.iter()).map(String::as_str))?;
    let grade_def = row.grade.as_deref().and_then(|g| policy.grade(g)).cloned();
    let frozen: Option<GradeDef> = row.measures.as_deref().and_then(|m| serde_json::from_str(m).ok());
    Ok(CaseView {
        head: CaseHead::of(&row, today)?,
        top_condition: row.top_condition,
        summary: row.summary,
        evidence: row.evidence.as_deref().and_then(|e| serde_json::from_str(e).ok()),
        parties: parties
            .into_iter()
            .map(|(enterprise_id, name, role)| PartyView { enterprise_id, name, role })
            .collect(),
        products: products
            .into_iter()
            .map(|(product_id, code, generic_name, specification)| CaseProductView {
                product_id,
                code,
                generic_name,
                specification,
            })
            .collect(),
        policy_id: row.policy_id,
        grading: serde_json::from_str(&row.grading)
            .map_err(|e| DomainError::Internal(format!("case {} has an unreadable grading: {e}", row.case_no)))?,
        suggested_grade: row.suggested_grade,
        grade_name_zh: grade_def.as_ref().map(|g| g.name_zh.clone()),
        grade_name_en: grade_def.as_ref().map(|g| g.name_en.clone()),
        grade: row.grade,
        grades: policy.grades.clone(),
        decision_reason: row.decision_reason,
        decided_by: row.decided_by.as_ref().and_then(|u| names.get(u).cloned()),
        approved_by: row.approved_by.as_ref().and_then(|u| names.get(u).cloned()),
        review_note: row.review_note,
        // The measures the parties bear: a manufacturer's suspension of bidding is not a
        // distributor's, nor the other way round.
        measures: frozen
            .map(|g| {
                let mut m: Vec<rules::Measure> =
                    parties_roles.iter().flat_map(|d| rules::measures_for(&g, *d)).collect();
                m.sort();
                m.dedup();
                m
            })
            .unwrap_or_default(),
        effective_from: row.effective_from,
        ends_on: row.ends_on,
        distribution_until: row.distribution_until,
        required_repairs: progress.required,
        repairs: progress.repairs,
        repaired_at: row.repaired_at.map(crate::clock::from_db),
        closed_reason: row.closed_reason,
        created_at: crate::clock::from_db(row.created_at),
    })
}

pub fn get_case(conn: &mut DbConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> DomainResult<CaseView> {
    let row = visible_case(conn, actor, id)?;
    case_view(conn, row, shanghai_date(now))
}

/// Filters of the case list.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct CaseFilter {
    /// proposed, recorded, pending_approval, in_force, repaired, dismissed.
    pub status: Option<String>,
    pub enterprise_id: Option<String>,
    pub conduct: Option<String>,
}

/// A line of the case list.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSummary {
    #[serde(flatten)]
    pub head: CaseHead,
    pub enterprises: Vec<String>,
    pub suggested_grade: Option<String>,
    pub grade: Option<String>,
    pub ends_on: Option<NaiveDate>,
}

/// The cases the caller may see, newest first: the bureau all of its region's, an enterprise
/// those it is party to once in effect, hospitals and fund officers the region's in effect.
pub fn list_cases(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: CaseFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<CaseSummary>> {
    let published = [CaseStatus::InForce.as_str(), CaseStatus::Repaired.as_str()];
    let query = || {
        let mut q = credit_cases::table.into_boxed();
        match actor.role {
            Role::BureauOfficer => {}
            Role::HospitalBuyer | Role::FundOfficer => q = q.filter(credit_cases::status.eq_any(published)),
            Role::Supplier => {
                let mine = credit_case_parties::table
                    .filter(credit_case_parties::enterprise_id.eq(actor.org_id.clone()))
                    .select(credit_case_parties::case_id);
                q = q.filter(credit_cases::status.eq_any(published)).filter(credit_cases::id.eq_any(mine));
            }
            Role::Admin => q = q.filter(credit_cases::id.eq("")),
        }
        if actor.role != Role::Supplier {
            q = q.filter(credit_cases::region_id.eq(actor.region_id.clone().unwrap_or_default()));
        }
        if let Some(s) = filter.status.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(credit_cases::status.eq(s.to_string()));
        }
        if let Some(c) = filter.conduct.as_deref().filter(|s| !s.is_empty()) {
            q = q.filter(credit_cases::conduct.eq(c.to_string()));
        }
        if let Some(e) = filter.enterprise_id.as_deref().filter(|s| !s.is_empty()) {
            let cases = credit_case_parties::table
                .filter(credit_case_parties::enterprise_id.eq(e.to_string()))
                .select(credit_case_parties::case_id);
            q = q.filter(credit_cases::id.eq_any(cases));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<CaseRow> = query()
        .order((credit_cases::created_at.desc(), credit_cases::case_no.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(CaseRow::as_select())
        .load(conn)?;
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let names: Vec<(String, String)> = credit_case_parties::table
        .inner_join(organizations::table)
        .filter(credit_case_parties::case_id.eq_any(&ids))
        .order(organizations::name.asc())
        .select((credit_case_parties::case_id, organizations::name))
        .load(conn)?;
    let mut by_case: HashMap<String, Vec<String>> = HashMap::new();
    for (case, name) in names {
        by_case.entry(case).or_default().push(name);
    }
    let today = shanghai_date(now);
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(CaseSummary {
            head: CaseHead::of(&r, today)?,
            enterprises: by_case.remove(&r.id).unwrap_or_default(),
            suggested_grade: r.suggested_grade,
            grade: r.grade,
            ends_on: r.ends_on,
        });
    }
    Ok(Page::new(items, page, total))
}
