//! Surplus retention (结余留用): part of the fund's saving from VBP prices returned to a
//! hospital, by an assessment grade. Every figure of a run is stored with its inputs and policy
//! version, and can be explained line by line.
//!
//! For hospital h, generic g, agreement year y:
//! * budget = agreed_qty × pre_vbp_avg_price × fund_pay_ratio × insured_share
//! * actual = (winning purchases up to the agreed volume + non-winning purchases of g)
//!   × fund_pay_ratio × insured_share (above-volume winning purchases excluded)
//! * surplus = max(0, Σ_g (budget − actual)); retained = surplus × share(grade), to the fen.

mod inputs;
mod mails;
pub mod rules;
mod run;

pub use inputs::*;
pub use rules::*;
pub use run::*;

// ================================================================ runs: their rows, views, approval and explanation

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, AuditEntry};
use crate::clock::{shanghai_date, to_db};
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::identity::{Actor, OrgNames, Role};
use crate::money::{Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{retention_lines, retention_results, retention_runs};

// ---------------------------------------------------------------- runs

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = retention_runs)]
pub struct RunRow {
    pub id: String,
    pub run_no: String,
    pub region_id: String,
    pub agreement_year: i16,
    pub as_of: NaiveDate,
    pub policy_id: String,
    /// `calculated`, `approved` or `superseded`.
    pub status: String,
    pub supersedes_id: Option<String>,
    /// Every input the run used, as JSON.
    pub inputs: String,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub total_surplus: i64,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub total_retained: i64,
    pub started_by: String,
    pub trigger: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    pub approved_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub approved_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = retention_results)]
pub struct ResultRow {
    pub run_id: String,
    pub hospital_id: String,
    pub fund_ratio: String,
    pub insured_share: String,
    pub surplus: i64,
    /// Each assessment component's value (0–100) as JSON; absent ones are missing, never faked.
    pub components: String,
    pub score: Option<String>,
    pub grade: String,
    pub share: String,
    pub retained: i64,
}

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = retention_lines, treat_none_as_default_value = false)]
pub struct LineRow {
    pub run_id: String,
    pub hospital_id: String,
    pub generic_name: String,
    pub agreed_qty: i64,
    #[serde(serialize_with = "crate::money::ser_ten_thousandths")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::UnitPrice))]
    pub pre_vbp_price: i64,
    pub winning_qty: i64,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub winning_amount: i64,
    pub above_volume_qty: i64,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub above_volume_amount: i64,
    pub non_winning_qty: i64,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub non_winning_amount: i64,
    pub budget: String,
    pub actual: String,
    pub saving: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HospitalResult {
    pub hospital_id: String,
    pub hospital_name: String,
    pub surplus: Money,
    pub components: serde_json::Value,
    pub score: Option<String>,
    pub grade: String,
    pub share: String,
    pub retained: Money,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    #[serde(flatten)]
    pub run: RunRow,
    /// "显示名 (username)" of the officer who started the run.
    pub started_by_name: Option<String>,
    /// "显示名 (username)" of the officer who approved it.
    pub approved_by_name: Option<String>,
    /// All hospitals (bureau and fund), or only the caller's (hospital).
    pub results: Vec<HospitalResult>,
}

fn find_run(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<RunRow> {
    actor.require(&[Role::BureauOfficer, Role::FundOfficer, Role::HospitalBuyer], "read retention runs")?;
    let run = retention_runs::table
        .filter(retention_runs::id.eq(id))
        .filter(retention_runs::region_id.eq(actor.region()?.to_string()))
        .select(RunRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("retention run"))?;
    if actor.role == Role::HospitalBuyer {
        let mine: i64 = retention_results::table.find((&run.id, &actor.org_id)).count().get_result(conn)?;
        if mine == 0 {
            return Err(DomainError::not_found("retention run"));
        }
    }
    Ok(run)
}

pub fn run_view(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<RunView> {
    let run = find_run(conn, actor, id)?;
    let mut q = retention_results::table
        .filter(retention_results::run_id.eq(&run.id))
        .select(ResultRow::as_select())
        .into_boxed();
    if actor.role == Role::HospitalBuyer {
        q = q.filter(retention_results::hospital_id.eq(actor.org_id.clone()));
    }
    let rows: Vec<ResultRow> = q.load(conn)?;
    let ids: Vec<&str> = rows.iter().map(|r| r.hospital_id.as_str()).collect();
    let names = OrgNames::load(conn, &ids)?;
    let mut results: Vec<HospitalResult> = rows
        .iter()
        .map(|r| HospitalResult {
            hospital_name: names.reference(&r.hospital_id).name,
            hospital_id: r.hospital_id.clone(),
            surplus: Money::from_fen(r.surplus),
            components: serde_json::from_str(&r.components).unwrap_or_default(),
            score: r.score.clone(),
            grade: r.grade.clone(),
            share: r.share.clone(),
            retained: Money::from_fen(r.retained),
        })
        .collect();
    results.sort_by(|a, b| a.hospital_name.cmp(&b.hospital_name));
    let (ts, tr) = if actor.role == Role::HospitalBuyer {
        (results.iter().map(|r| r.surplus.fen()).sum(), results.iter().map(|r| r.retained.fen()).sum())
    } else {
        (run.total_surplus, run.total_retained)
    };
    let mut run = run;
    if actor.role == Role::HospitalBuyer {
        // A hospital sees its own figures only.
        run.inputs = String::new();
        run.total_surplus = ts;
        run.total_retained = tr;
    }
    let names = crate::identity::user_names(
        conn,
        [Some(&run.started_by), run.approved_by.as_ref()].into_iter().flatten().map(|s| s.as_str()),
    )?;
    Ok(RunView {
        started_by_name: names.get(&run.started_by).cloned(),
        approved_by_name: run.approved_by.as_ref().and_then(|u| names.get(u).cloned()),
        run,
        results,
    })
}

pub fn list_runs(
    conn: &mut DbConnection,
    actor: &Actor,
    agreement_year: Option<i16>,
    page: PageRequest,
) -> DomainResult<Page<RunRow>> {
    actor.require(&[Role::BureauOfficer, Role::FundOfficer, Role::HospitalBuyer], "read retention runs")?;
    let region = actor.region()?.to_string();
    // The caller's runs: the region's, and for a hospital those that include it.
    let visible = || {
        let mut q = retention_runs::table.filter(retention_runs::region_id.eq(region.clone())).into_boxed();
        if let Some(y) = agreement_year {
            q = q.filter(retention_runs::agreement_year.eq(y));
        }
        if actor.role == Role::HospitalBuyer {
            q = q.filter(
                retention_runs::id.eq_any(
                    retention_results::table
                        .filter(retention_results::hospital_id.eq(actor.org_id.clone()))
                        .select(retention_results::run_id),
                ),
            );
        }
        q
    };
    let total: i64 = visible().count().get_result(conn)?;
    let mut rows: Vec<RunRow> = visible()
        .order((retention_runs::created_at.desc(), retention_runs::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(RunRow::as_select())
        .load(conn)?;
    if actor.role == Role::HospitalBuyer {
        for r in &mut rows {
            r.inputs = String::new();
        }
    }
    Ok(Page::new(rows, page, total))
}

/// Approves a calculated run (bureau officer; another officer than the one who started it when
/// the policy says so). The retained amounts are posted to the ledger as owed to the hospitals,
/// and the hospitals are told.
pub fn approve_run(conn: &mut DbConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> DomainResult<RunView> {
    actor.require(&[Role::BureauOfficer], "approve retention runs")?;
    write_tx(conn, |conn| {
        let run = find_run(conn, actor, id)?;
        if run.status != "calculated" {
            return Err(DomainError::conflict(
                ErrorCode::RunStatus,
                format!("run {} is {}; only the latest calculated run can be approved", run.run_no, run.status),
            ));
        }
        // The rules of the policy version the run used.
        let policy: RetentionPolicy = crate::policy::params_by_id(conn, &run.policy_id)?;
        if policy.two_officers && run.started_by == actor.user_id {
            return Err(DomainError::Forbidden(Problem::new(
                ErrorCode::MakerChecker,
                "the officer who started a run cannot approve it; another bureau officer must",
            )));
        }
        let n = diesel::update(retention_runs::table.find(&run.id).filter(retention_runs::status.eq("calculated")))
            .set((
                retention_runs::status.eq("approved"),
                retention_runs::approved_by.eq(Some(&actor.user_id)),
                retention_runs::approved_at.eq(Some(to_db(now))),
            ))
            .execute(conn)?;
        if n != 1 {
            return Err(DomainError::conflict(ErrorCode::RunStatus, "the run changed meanwhile"));
        }
        let results: Vec<ResultRow> = retention_results::table
            .filter(retention_results::run_id.eq(&run.id))
            .select(ResultRow::as_select())
            .load(conn)?;
        let today = shanghai_date(now);
        for r in &results {
            if r.retained <= 0 {
                continue;
            }
            let amount = Money::from_fen(r.retained);
            let source = format!("{}:{}", run.id, r.hospital_id);
            crate::ledger::post(
                conn,
                Some(actor),
                crate::ledger::Entry {
                    region_id: &run.region_id,
                    date: today,
                    kind: "retention",
                    memo: format!("surplus retention, agreement year {}, run {}", run.agreement_year, run.run_no),
                    source_type: "retention_result",
                    source_id: &source,
                    postings: vec![
                        crate::ledger::Posting::debit(crate::ledger::Account::MedicalExpense, None, amount),
                        crate::ledger::Posting::credit(
                            crate::ledger::Account::HospitalSettlement,
                            Some(&r.hospital_id),
                            amount,
                        ),
                    ],
                },
                now,
            )?;
            crate::outbox::enqueue(conn, mails::retention_approved(&run, r, &source), now)?;
        }
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                Some(&run.region_id),
                "retention_run",
                &run.id,
                "approve",
                &serde_json::json!({"status": run.status}),
                &serde_json::json!({"status": "approved", "approved_by": actor.user_id}),
            ),
            now,
        )?;
        Ok(())
    })?;
    run_view(conn, actor, id)
}

/// The calculation for one hospital, generic by generic, written out so it can be checked by hand.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Explanation {
    pub run_id: String,
    pub run_no: String,
    pub hospital_id: String,
    pub result: HospitalResult,
    pub lines: Vec<LineRow>,
    /// Human-readable steps, e.g. "budget = 100000 × ¥2.0000 × 0.7 × 0.9 = ¥126000.00".
    pub steps: Vec<String>,
}

pub fn explain(conn: &mut DbConnection, actor: &Actor, run_id: &str, hospital_id: &str) -> DomainResult<Explanation> {
    if actor.role == Role::HospitalBuyer && actor.org_id != hospital_id {
        return Err(DomainError::not_found("retention result"));
    }
    let view = run_view(conn, actor, run_id)?;
    let result = view
        .results
        .iter()
        .find(|r| r.hospital_id == hospital_id)
        .cloned()
        .ok_or(DomainError::not_found("retention result"))?;
    let row: ResultRow =
        retention_results::table.find((run_id, hospital_id)).select(ResultRow::as_select()).first(conn)?;
    let lines: Vec<LineRow> = retention_lines::table
        .filter(retention_lines::run_id.eq(run_id))
        .filter(retention_lines::hospital_id.eq(hospital_id))
        .order(retention_lines::generic_name.asc())
        .select(LineRow::as_select())
        .load(conn)?;
    let money = |s: &str| round_fen(s.parse().unwrap_or_default());
    let mut steps = Vec::new();
    for l in &lines {
        let pre = UnitPrice::from_ten_thousandths(l.pre_vbp_price);
        steps.push(format!("【{}】", l.generic_name));
        steps.push(format!(
            "budget 预算 = {} × ¥{pre} × {} × {} = ¥{}",
            l.agreed_qty,
            row.fund_ratio,
            row.insured_share,
            money(&l.budget)
        ));
        steps.push(format!(
            "actual 实际 = (¥{} winning within volume 约定量内中选 [{} units] + ¥{} non-winning 非中选 [{} units]) × {} × {} = ¥{}   (above volume 超量 {} units ¥{} excluded)",
            Money::from_fen(l.winning_amount), l.winning_qty, Money::from_fen(l.non_winning_amount), l.non_winning_qty,
            row.fund_ratio, row.insured_share, money(&l.actual), l.above_volume_qty, Money::from_fen(l.above_volume_amount)
        ));
        steps.push(format!("saving 结余 = ¥{} − ¥{} = ¥{}", money(&l.budget), money(&l.actual), money(&l.saving)));
    }
    steps.push(format!("surplus 结余总额 = max(0, Σ savings) = ¥{}", result.surplus));
    steps.push(format!(
        "score 考核得分 = {} → grade 等级 {} → share 留用比例 {}  (components 分项: {})",
        result.score.clone().unwrap_or_else(|| "—".into()),
        result.grade,
        result.share,
        row.components
    ));
    steps.push(format!("retained 留用金额 = ¥{} × {} = ¥{}", result.surplus, result.share, result.retained));
    Ok(Explanation {
        run_id: view.run.id.clone(),
        run_no: view.run.run_no.clone(),
        hospital_id: hospital_id.to_string(),
        result,
        lines,
        steps,
    })
}
