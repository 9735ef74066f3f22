//! Tendering (招标): from demand reporting to winning bids (domain.md section 8).
//!
//! A tender moves draft → demand reporting → published → bidding → opened → proposed →
//! final → regions allocated → in force, each move audited. The pure rules of the opening and
//! the region picks are in `rules`, the sealing of bids in `seal`, rows and scoped queries in
//! `store`. Operations: setup and moves here; `demand` (hospitals' reports), `bidding`
//! (qualification, sealed bids, the opening, offers), `results` (proposal, objections, final
//! results, region picks, and the results becoming the catalogue's batch, winning bids and
//! agreed volumes).

pub mod bidding;
pub mod demand;
pub mod results;
pub mod rules;
pub mod seal;
pub mod store;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::catalog::{check_cycle, BatchLevel, Category};
use crate::clock::{from_db, shanghai_date, to_db};
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{required_text, DomainError, DomainResult, ErrorCode};
use crate::ids::{document_no, new_id};
use crate::money::UnitPrice;
use crate::paging::{Page, PageRequest};
use crate::policy::params_in_force;
use crate::schema::{regions, tender_bids, tender_generics, tender_regions, tenders};

use rules::{TenderPolicy, TenderRules};
use seal::SealingKey;
pub use store::TenderStatus;
use store::{GenericRow, GenericSpec, TenderRow};

/// The policy kind that holds a region's tender tables and windows.
pub const TENDER_POLICY: &str = "tender";

// ---------------------------------------------------------------- setup

/// A generic of a new tender: its representative spec and max valid declared price.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTenderGeneric {
    pub generic_name: String,
    pub dosage_form: String,
    /// Strength of the representative spec, e.g. "10" (mg).
    pub rep_strength: String,
    /// Fill volume of the representative spec, for injections, e.g. "5" (ml).
    #[serde(default)]
    pub rep_fill_volume: Option<String>,
    /// Unit of the strength, e.g. "mg".
    pub strength_unit: String,
    /// Minimum unit, e.g. "片".
    pub min_unit: String,
    /// Max valid declared price per representative minimum unit (4 decimals), e.g. "1.2000".
    pub max_price: UnitPrice,
}

/// A new tender (bureau officer). Times are instants (RFC 3339); the rules are chosen by name
/// among the region's tender policy in force.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewTender {
    pub name: String,
    pub document_no: String,
    pub category: Category,
    pub level: BatchLevel,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub demand_closes_at: DateTime<Utc>,
    pub bid_deadline: DateTime<Utc>,
    pub opening_at: DateTime<Utc>,
    /// A cap table of the tender policy, e.g. "batch10" (the default: the policy's first).
    #[serde(default)]
    pub cap_table: Option<String>,
    /// A rule set of the tender policy, e.g. "1.8x_0.10_50pct" (default: the policy's first).
    #[serde(default)]
    pub rule_set: Option<String>,
    /// An agreed-volume ratio table of the tender policy (default: the policy's first).
    #[serde(default)]
    pub ratio_table: Option<String>,
    /// Supply regions by 6-digit code; default: the bureau's own region.
    #[serde(default)]
    pub supply_region_codes: Vec<String>,
    pub generics: Vec<NewTenderGeneric>,
}

/// A region of the tender as readers see it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionRef {
    pub id: String,
    pub code: String,
    pub name: String,
}

/// A generic of a tender, with its opening figures once opened.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenericView {
    pub id: String,
    #[serde(flatten)]
    pub spec: GenericSpec,
    pub max_price: UnitPrice,
    /// Bids received (never their prices before the opening); shown to the running bureau.
    pub bids: Option<i64>,
    pub valid_bids: Option<i32>,
    pub shortlist_cap: Option<i32>,
    pub lowest: Option<UnitPrice>,
    pub anchor: Option<UnitPrice>,
    pub threshold: Option<UnitPrice>,
    pub discount_line: Option<UnitPrice>,
    pub winners: Option<i32>,
}

/// A tender with its generics, rules and timetable.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenderView {
    pub id: String,
    pub tender_no: String,
    pub name: String,
    pub document_no: String,
    pub category: String,
    pub level: String,
    pub status: TenderStatus,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub demand_closes_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub bid_deadline: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub opening_at: NaiveDateTime,
    pub rules: TenderRules,
    pub rules_policy_id: String,
    pub region: RegionRef,
    pub supply_regions: Vec<RegionRef>,
    pub generics: Vec<GenericView>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub opened_at: Option<NaiveDateTime>,
    /// The tender's bid key, released at the opening: with it anyone can open the sealed bids.
    pub opened_key: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub proposed_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub objections_close_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub final_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub enacted_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

/// A positive decimal written as a string, e.g. a strength.
pub(crate) fn positive_decimal(text: &str, field: &str) -> DomainResult<Decimal> {
    let d = Decimal::from_str(text.trim()).map_err(|_| {
        DomainError::invalid(
            ErrorCode::InvalidDecimal,
            field,
            format!("{text:?} is not a decimal number such as \"10\""),
        )
    })?;
    if d <= Decimal::ZERO || d > Decimal::from(1_000_000) || d.scale() > 4 {
        return Err(DomainError::invalid(
            ErrorCode::InvalidDecimal,
            field,
            format!("{text:?} must be above 0 and at most 1000000, with at most 4 decimals"),
        ));
    }
    Ok(d.normalize())
}

fn generic_row(tender_id: &str, g: NewTenderGeneric) -> DomainResult<GenericRow> {
    if g.max_price.ten_thousandths() <= 0 {
        return Err(DomainError::invalid(
            ErrorCode::InvalidPrice,
            "max_price",
            "the max valid declared price is above zero",
        ));
    }
    Ok(GenericRow {
        id: new_id(),
        tender_id: tender_id.to_string(),
        spec: GenericSpec {
            generic_name: required_text(&g.generic_name, "generic_name", 100)?,
            dosage_form: required_text(&g.dosage_form, "dosage_form", 50)?,
            rep_strength: positive_decimal(&g.rep_strength, "rep_strength")?.to_string(),
            rep_fill_volume: g
                .rep_fill_volume
                .filter(|v| !v.trim().is_empty())
                .map(|v| positive_decimal(&v, "rep_fill_volume").map(|d| d.to_string()))
                .transpose()?,
            strength_unit: required_text(&g.strength_unit, "strength_unit", 10)?,
            min_unit: required_text(&g.min_unit, "min_unit", 10)?,
        },
        max_price: g.max_price.ten_thousandths(),
        opened: Default::default(),
        winners: None,
    })
}

/// Drafts a tender in the bureau's region with rules from its tender policy in force today.
pub fn create_tender(
    conn: &mut DbConnection,
    actor: &Actor,
    sealing: &SealingKey,
    input: NewTender,
    now: DateTime<Utc>,
) -> DomainResult<TenderView> {
    actor.require(&[Role::BureauOfficer], "run tenders")?;
    let region_id = actor.region()?.to_string();
    check_cycle(input.cycle_start, input.cycle_end)?;
    if !(input.demand_closes_at <= input.bid_deadline && input.bid_deadline <= input.opening_at) {
        return Err(DomainError::invalid(
            ErrorCode::InvalidTimetable,
            "opening_at",
            "the demand window closes before the bid deadline, and bids are opened at or after the deadline",
        ));
    }
    if input.demand_closes_at <= now {
        return Err(DomainError::invalid(
            ErrorCode::InvalidTimetable,
            "demand_closes_at",
            "the demand window closes in the future",
        ));
    }
    if input.generics.is_empty() {
        return Err(DomainError::invalid(
            ErrorCode::GenericsRequired,
            "generics",
            "a tender names at least one generic",
        ));
    }
    let (policy, policy_id): (TenderPolicy, String) =
        params_in_force(conn, &region_id, TENDER_POLICY, shanghai_date(now))?;
    let pick =
        |chosen: &Option<String>, first: &str| chosen.clone().filter(|s| !s.trim().is_empty()).unwrap_or(first.into());
    let tender_rules = policy
        .resolve(
            &pick(&input.cap_table, &policy.cap_tables[0].name),
            &pick(&input.rule_set, &policy.rule_sets[0].name),
            &pick(&input.ratio_table, &policy.ratio_tables[0].name),
        )
        .map_err(|(field, message)| DomainError::invalid(ErrorCode::UnknownTenderRule, field, message))?;
    let id = new_id();
    let mut generics = Vec::with_capacity(input.generics.len());
    for (i, g) in input.generics.into_iter().enumerate() {
        let row = generic_row(&id, g).map_err(|e| crate::catalog::at_index(i, e))?;
        let field = format!("generics[{i}]");
        if generics.iter().any(|r: &GenericRow| {
            r.spec.generic_name == row.spec.generic_name && r.spec.dosage_form == row.spec.dosage_form
        }) {
            return Err(DomainError::invalid(
                ErrorCode::DuplicateGeneric,
                field,
                "a generic and dosage form is listed twice",
            ));
        }
        generics.push(row);
    }
    let mut codes: Vec<String> = input.supply_region_codes.iter().map(|c| c.trim().to_string()).collect();
    let region_ids: Vec<String> = if codes.is_empty() {
        vec![region_id.clone()]
    } else {
        codes.sort();
        codes.dedup();
        let found: Vec<(String, String)> =
            regions::table.filter(regions::code.eq_any(&codes)).select((regions::code, regions::id)).load(conn)?;
        if let Some(missing) = codes.iter().find(|c| !found.iter().any(|(code, _)| code == *c)) {
            return Err(DomainError::invalid(
                ErrorCode::UnknownRegion,
                "supply_region_codes",
                format!("no pooling region with code {missing:?} on this platform"),
            ));
        }
        found.into_iter().map(|(_, id)| id).collect()
    };
    let row = TenderRow {
        id: id.clone(),
        tender_no: document_no("TD", now),
        region_id: region_id.clone(),
        name: required_text(&input.name, "name", 200)?,
        document_no: required_text(&input.document_no, "document_no", 50)?,
        category: input.category.as_str().into(),
        level: input.level.as_str().into(),
        cycle_start: input.cycle_start,
        cycle_end: input.cycle_end,
        demand_closes_at: to_db(input.demand_closes_at),
        bid_deadline: to_db(input.bid_deadline),
        opening_at: to_db(input.opening_at),
        rules: serde_json::to_string(&tender_rules)?,
        rules_policy_id: policy_id,
        status: TenderStatus::Draft.as_str().into(),
        sealed_key: sealing.new_wrapped_key(),
        opened_key: None,
        opened_at: None,
        proposed_at: None,
        objections_close_at: None,
        final_at: None,
        enacted_at: None,
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
    };
    write_tx(conn, |conn| {
        diesel::insert_into(tenders::table).values(&row).execute(conn).map_err(|e| {
            unique_conflict(e, || {
                DomainError::conflict(
                    ErrorCode::DuplicateTender,
                    format!("tender {} already exists in this region", row.document_no),
                )
            })
        })?;
        for g in &generics {
            diesel::insert_into(tender_generics::table).values(g).execute(conn)?;
        }
        for r in &region_ids {
            diesel::insert_into(tender_regions::table)
                .values((tender_regions::tender_id.eq(&id), tender_regions::region_id.eq(r)))
                .execute(conn)?;
        }
        let snapshot = serde_json::json!({
            "tender_no": row.tender_no, "name": row.name, "document_no": row.document_no,
            "rules": tender_rules, "rules_policy_id": row.rules_policy_id, "regions": region_ids,
            "generics": generics.iter().map(|g| (&g.spec.generic_name, &g.spec.dosage_form, g.max_price)).collect::<Vec<_>>(),
        });
        audit::record(conn, AuditEntry::created(actor, Some(&region_id), "tender", &id, &snapshot), now)?;
        view(conn, actor, &row)
    })
}

// ---------------------------------------------------------------- moves

/// The moves an officer makes by hand (the opening is `bidding::open_tender`, the rest of
/// the results in `results`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Move {
    /// draft → demand_reporting: hospitals report demand.
    OpenDemand,
    /// demand_reporting → published: the demand base is locked and the document published.
    Publish,
    /// published → bidding: qualified enterprises may submit sealed bids.
    OpenBidding,
}

/// Moves a tender one stage on, audited; refused with the reason when it is not at the stage
/// the move starts from.
pub fn advance(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    to: Move,
    now: DateTime<Utc>,
) -> DomainResult<TenderView> {
    bureau_step(conn, actor, id, "move tenders on", |conn, tender| {
        let (from, next) = match to {
            Move::OpenDemand => (TenderStatus::Draft, TenderStatus::DemandReporting),
            Move::Publish => (TenderStatus::DemandReporting, TenderStatus::Published),
            Move::OpenBidding => (TenderStatus::Published, TenderStatus::Bidding),
        };
        if to == Move::OpenBidding && to_db(now) >= tender.bid_deadline {
            return Err(DomainError::conflict(
                ErrorCode::BidDeadlinePassed,
                "the bid deadline has passed: bidding cannot open",
            ));
        }
        set_status(conn, actor, tender, from, next, now)
    })
}

/// A step the running bureau takes on its tender, in one transaction; answers the tender as it
/// then is.
pub(crate) fn bureau_step(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    action: &str,
    step: impl FnOnce(&mut DbConnection, &TenderRow) -> DomainResult<()>,
) -> DomainResult<TenderView> {
    write_tx(conn, |conn| {
        let tender = store::own_tender(conn, actor, id, action)?;
        step(conn, &tender)?;
        let tender = store::visible_tender(conn, actor, id)?;
        view(conn, actor, &tender)
    })
}

/// Sets the status from `from` to `to` if the tender is still at `from` (so two concurrent
/// moves make one), audited.
pub(crate) fn set_status(
    conn: &mut DbConnection,
    actor: &Actor,
    tender: &TenderRow,
    from: TenderStatus,
    to: TenderStatus,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let current = tender.status()?;
    let moved = diesel::update(tenders::table.find(&tender.id).filter(tenders::status.eq(from.as_str())))
        .set(tenders::status.eq(to.as_str()))
        .execute(conn)?;
    if moved != 1 {
        return Err(wrong_stage(current, &[from]));
    }
    audit::record(
        conn,
        AuditEntry::changed(
            actor,
            Some(&tender.region_id),
            "tender",
            &tender.id,
            to.as_str(),
            &serde_json::json!({"status": from.as_str()}),
            &serde_json::json!({"status": to.as_str()}),
        ),
        now,
    )
}

/// The refusal of an operation at the wrong stage.
pub(crate) fn wrong_stage(current: TenderStatus, expected: &[TenderStatus]) -> DomainError {
    let expected: Vec<&str> = expected.iter().map(|s| s.as_str()).collect();
    DomainError::conflict(
        ErrorCode::WrongTenderStage,
        format!("the tender is at stage {}; this needs stage {}", current.as_str(), expected.join(" or ")),
    )
    .with_details(serde_json::json!({"status": current.as_str(), "expected": expected}))
}

pub(crate) fn require_stage(tender: &TenderRow, expected: &[TenderStatus]) -> DomainResult<TenderStatus> {
    let current = tender.status()?;
    if expected.contains(&current) {
        Ok(current)
    } else {
        Err(wrong_stage(current, expected))
    }
}

// ---------------------------------------------------------------- reads

#[derive(Clone, Debug, Default)]
pub struct TenderFilter {
    pub status: Option<TenderStatus>,
}

pub fn list_tenders(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &TenderFilter,
    page: PageRequest,
) -> DomainResult<Page<TenderView>> {
    let build = || {
        let mut q = store::visible_tenders(actor);
        if let Some(s) = filter.status {
            q = q.filter(tenders::status.eq(s.as_str()));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows: Vec<TenderRow> = build()
        .order(tenders::created_at.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(TenderRow::as_select())
        .load(conn)?;
    let items = rows.iter().map(|t| view(conn, actor, t)).collect::<DomainResult<Vec<_>>>()?;
    Ok(Page::new(items, page, total))
}

pub fn get_tender(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<TenderView> {
    let tender = store::visible_tender(conn, actor, id)?;
    view(conn, actor, &tender)
}

fn region_refs(conn: &mut DbConnection, ids: &[String]) -> DomainResult<Vec<RegionRef>> {
    let rows: Vec<(String, String, String)> = regions::table
        .filter(regions::id.eq_any(ids))
        .order(regions::code.asc())
        .select((regions::id, regions::code, regions::name))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, code, name)| RegionRef { id, code, name }).collect())
}

pub(crate) fn view(conn: &mut DbConnection, actor: &Actor, t: &TenderRow) -> DomainResult<TenderView> {
    let status = t.status()?;
    let region = region_refs(conn, std::slice::from_ref(&t.region_id))?
        .pop()
        .ok_or_else(|| DomainError::Internal("a tender's region is missing".into()))?;
    let region_ids = store::regions_of(conn, &t.id)?;
    let supply_regions = region_refs(conn, &region_ids)?;
    let counts: Vec<(String, i64)> = if actor.role == Role::BureauOfficer || actor.role == Role::Admin {
        tender_bids::table
            .filter(tender_bids::tender_id.eq(&t.id))
            .group_by(tender_bids::generic_id)
            .select((tender_bids::generic_id, diesel::dsl::count_star()))
            .load(conn)?
    } else {
        vec![]
    };
    let shown = |v: Option<i64>| v.filter(|_| status.is_open()).map(UnitPrice::from_ten_thousandths);
    let generics = store::generics_of(conn, &t.id)?
        .into_iter()
        .map(|g| GenericView {
            bids: (actor.role == Role::BureauOfficer || actor.role == Role::Admin)
                .then(|| counts.iter().find(|(id, _)| *id == g.id).map_or(0, |(_, n)| *n)),
            valid_bids: g.opened.valid_bids,
            shortlist_cap: g.opened.shortlist_cap,
            lowest: shown(g.opened.lowest),
            anchor: shown(g.opened.anchor),
            threshold: shown(g.opened.threshold),
            discount_line: shown(g.opened.discount_line),
            winners: g.winners,
            max_price: UnitPrice::from_ten_thousandths(g.max_price),
            id: g.id,
            spec: g.spec,
        })
        .collect();
    Ok(TenderView {
        id: t.id.clone(),
        tender_no: t.tender_no.clone(),
        name: t.name.clone(),
        document_no: t.document_no.clone(),
        category: t.category.clone(),
        level: t.level.clone(),
        status,
        cycle_start: t.cycle_start,
        cycle_end: t.cycle_end,
        demand_closes_at: t.demand_closes_at,
        bid_deadline: t.bid_deadline,
        opening_at: t.opening_at,
        rules: t.rules()?,
        rules_policy_id: t.rules_policy_id.clone(),
        region,
        supply_regions,
        generics,
        opened_at: t.opened_at,
        opened_key: t.opened_key.clone(),
        proposed_at: t.proposed_at,
        objections_close_at: t.objections_close_at,
        final_at: t.final_at,
        enacted_at: t.enacted_at,
        created_at: t.created_at,
    })
}

/// Instants stored in the database, back as UTC.
pub(crate) fn at(t: NaiveDateTime) -> DateTime<Utc> {
    from_db(t)
}

// ---------------------------------------------------------------- the job

/// What the tenders job did.
#[derive(Clone, Debug, Serialize, Default)]
pub struct JobCounts {
    pub opened: bidding::OpeningCounts,
    pub default_picks: i64,
}

/// The tenders job as of `as_of`: opens the tenders whose opening time has come (by the clock,
/// never earlier) and makes the default picks of lapsed turns; for one region's tenders, or all.
pub fn run_job(
    conn: &mut DbConnection,
    sealing: &SealingKey,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<JobCounts> {
    let system = Actor::system(String::new(), String::new());
    let opened = bidding::open_due(conn, &system, sealing, region, as_of, now)?;
    let default_picks = results::pick_lapsed_all(conn, &system, region, now)?;
    Ok(JobCounts { opened, default_picks })
}
