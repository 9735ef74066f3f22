//! From the opened bids to the platform's data: the proposed results and their objection
//! window, the final results, the supply-region picks, and the enactment that writes the
//! batch, the winning bids and each hospital's agreed volume.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::catalog::volumes::{agreed_quantity, agreement_year_dates, AgreedVolumeRow};
use crate::catalog::{self, BatchLevel, Category, NewBatch, NewWinningBid, SupplyRegion, SupplyRole};
use crate::clock::to_db;
use crate::db::{write_tx, DbConnection};
use crate::error::{required_text, DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::money::Money;
use crate::schema::{
    agreed_volumes, organizations, products, regions, tender_bids, tender_generics, tender_objections, tender_picks,
    tender_qualifications, tenders,
};

use super::rules::{self, PickKind, RegionBase};
use super::store::{self, BidRow, GenericRow, ObjectionRow, PickRow, TenderRow, TenderStatus};

// ---------------------------------------------------------------- proposal

/// Publishes the proposed results (拟中选): offers still open refuse it; lapsed offers are
/// recorded as lapsed; the objection window opens.
pub fn propose(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<super::TenderView> {
    super::bureau_step(conn, actor, tender_id, "publish proposed results", |conn, tender| {
        super::require_stage(tender, &[TenderStatus::Opened])?;
        let at = to_db(now);
        let open_offers: i64 = tender_bids::table
            .filter(tender_bids::tender_id.eq(&tender.id))
            .filter(tender_bids::offer_deadline.gt(at))
            .filter(tender_bids::offer_answer.is_null())
            .count()
            .get_result(conn)?;
        if open_offers > 0 {
            return Err(DomainError::conflict(
                ErrorCode::OffersPending,
                format!("{open_offers} offered price(s) are still open: wait for the answers or the deadline"),
            )
            .with_details(serde_json::json!({"open_offers": open_offers})));
        }
        diesel::update(
            tender_bids::table
                .filter(tender_bids::tender_id.eq(&tender.id))
                .filter(tender_bids::offer_deadline.is_not_null())
                .filter(tender_bids::offer_answer.is_null()),
        )
        .set(tender_bids::offer_answer.eq(Some("lapsed")))
        .execute(conn)?;
        for g in store::generics_of(conn, &tender.id)? {
            let winners = selected_in_rank(conn, &g.id)?.len() as i32;
            diesel::update(tender_generics::table.find(&g.id))
                .set(tender_generics::winners.eq(Some(winners)))
                .execute(conn)?;
        }
        let days = i64::from(tender.rules()?.objection_days);
        diesel::update(tenders::table.find(&tender.id))
            .set((tenders::proposed_at.eq(Some(at)), tenders::objections_close_at.eq(Some(at + Duration::days(days)))))
            .execute(conn)?;
        super::set_status(conn, actor, tender, TenderStatus::Opened, TenderStatus::Proposed, now)
    })
}

/// The selected bids of a generic (winners, and failed bidders that accepted their offer), in
/// rank order: the order in which they pick regions.
fn selected_in_rank(conn: &mut DbConnection, generic_id: &str) -> DomainResult<Vec<BidRow>> {
    Ok(tender_bids::table
        .filter(tender_bids::generic_id.eq(generic_id))
        .filter(tender_bids::wins.eq(true).or(tender_bids::offer_answer.eq("accepted")))
        .order(tender_bids::rank.asc())
        .select(BidRow::as_select())
        .load(conn)?)
}

// ---------------------------------------------------------------- objections

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewObjection {
    #[serde(default)]
    pub generic_id: Option<String>,
    pub body: String,
}

/// A bidder objects to the proposed results within the window.
pub fn object(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    input: NewObjection,
    now: DateTime<Utc>,
) -> DomainResult<ObjectionRow> {
    actor.require(&[Role::Supplier], "object to proposed results")?;
    write_tx(conn, |conn| {
        let tender = store::visible_tender(conn, actor, tender_id)?;
        super::require_stage(&tender, &[TenderStatus::Proposed])?;
        if tender.objections_close_at.is_some_and(|c| to_db(now) >= c) {
            return Err(DomainError::conflict(ErrorCode::ObjectionWindowClosed, "the objection window has closed"));
        }
        let bids: i64 = tender_bids::table
            .filter(tender_bids::tender_id.eq(&tender.id))
            .filter(tender_bids::enterprise_id.eq(&actor.org_id))
            .count()
            .get_result(conn)?;
        if bids == 0 {
            return Err(DomainError::Forbidden(crate::error::Problem::new(
                ErrorCode::NotABidder,
                "only an enterprise that bid in this tender may object",
            )));
        }
        let generic_id = match input.generic_id.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
            Some(g) => Some(store::generic_of(conn, &tender.id, g, "generic_id")?.id),
            None => None,
        };
        let row = ObjectionRow {
            id: new_id(),
            tender_id: tender.id.clone(),
            generic_id,
            enterprise_id: actor.org_id.clone(),
            body: required_text(&input.body, "body", 2000)?,
            filed_at: to_db(now),
            answer: None,
            answered_by: None,
            answered_at: None,
        };
        diesel::insert_into(tender_objections::table).values(&row).execute(conn)?;
        audit::record(
            conn,
            AuditEntry::created(actor, Some(&tender.region_id), "tender_objection", &row.id, &row),
            now,
        )?;
        Ok(row)
    })
}

/// The running bureau answers an objection.
pub fn answer_objection(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    objection_id: &str,
    answer: &str,
    now: DateTime<Utc>,
) -> DomainResult<ObjectionRow> {
    let answer = required_text(answer, "answer", 2000)?;
    write_tx(conn, |conn| {
        let tender = store::own_tender(conn, actor, tender_id, "answer objections")?;
        super::require_stage(&tender, &[TenderStatus::Proposed])?;
        let before: ObjectionRow = tender_objections::table
            .filter(tender_objections::tender_id.eq(&tender.id))
            .filter(tender_objections::id.eq(objection_id))
            .select(ObjectionRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(DomainError::not_found("objection"))?;
        if before.answer.is_some() {
            return Err(DomainError::conflict(
                ErrorCode::ObjectionAnswered,
                "this objection has been answered already",
            ));
        }
        diesel::update(tender_objections::table.find(&before.id))
            .set((
                tender_objections::answer.eq(Some(&answer)),
                tender_objections::answered_by.eq(Some(&actor.user_id)),
                tender_objections::answered_at.eq(Some(to_db(now))),
            ))
            .execute(conn)?;
        let after = ObjectionRow {
            answer: Some(answer.clone()),
            answered_by: Some(actor.user_id.clone()),
            answered_at: Some(to_db(now)),
            ..before.clone()
        };
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                Some(&tender.region_id),
                "tender_objection",
                &before.id,
                "answer",
                &before,
                &after,
            ),
            now,
        )?;
        Ok(after)
    })
}

/// Objections of a tender: the running bureau's all, a bidder's own.
pub fn objections(conn: &mut DbConnection, actor: &Actor, tender_id: &str) -> DomainResult<Vec<ObjectionRow>> {
    let tender = store::visible_tender(conn, actor, tender_id)?;
    let mut q = tender_objections::table.filter(tender_objections::tender_id.eq(tender.id.clone())).into_boxed();
    if !matches!(actor.role, Role::BureauOfficer | Role::Admin) {
        q = q.filter(tender_objections::enterprise_id.eq(actor.org_id.clone()));
    }
    Ok(q.order(tender_objections::filed_at.asc()).select(ObjectionRow::as_select()).load(conn)?)
}

/// The results become final (中选结果) once the objection window has closed and every
/// objection is answered; the winners' region picks begin.
pub fn finalize(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<super::TenderView> {
    super::bureau_step(conn, actor, tender_id, "finalise results", |conn, tender| {
        super::require_stage(tender, &[TenderStatus::Proposed])?;
        if let Some(close) = tender.objections_close_at.filter(|c| to_db(now) < *c) {
            return Err(DomainError::conflict(
                ErrorCode::ObjectionWindowOpen,
                format!("the objection window stays open until {}", super::at(close)),
            ));
        }
        let open: i64 = tender_objections::table
            .filter(tender_objections::tender_id.eq(&tender.id))
            .filter(tender_objections::answer.is_null())
            .count()
            .get_result(conn)?;
        if open > 0 {
            return Err(DomainError::conflict(
                ErrorCode::ObjectionsUnanswered,
                format!("{open} objection(s) await an answer"),
            ));
        }
        diesel::update(tenders::table.find(&tender.id)).set(tenders::final_at.eq(Some(to_db(now)))).execute(conn)?;
        super::set_status(conn, actor, tender, TenderStatus::Proposed, TenderStatus::Final, now)
    })
}

// ---------------------------------------------------------------- region picks

/// A generic's picking state: winners in rank order, the regions with their bases, the picks.
struct PickState {
    generic: GenericRow,
    winners: Vec<String>,
    regions: Vec<RegionBase>,
    made: Vec<rules::Pick>,
    rows: Vec<PickRow>,
}

fn pick_state(conn: &mut DbConnection, tender: &TenderRow, generic: GenericRow) -> DomainResult<PickState> {
    let winners: Vec<String> = selected_in_rank(conn, &generic.id)?.into_iter().map(|b| b.enterprise_id).collect();
    let demand = super::demand::base_by_region(conn, &generic.id)?;
    let regions = store::regions_of(conn, &tender.id)?
        .into_iter()
        .map(|region| {
            let base = demand.iter().filter(|d| d.region_id == region).map(|d| d.quantity).sum();
            RegionBase { region, base }
        })
        .collect();
    let rows = store::picks_of(conn, &generic.id)?;
    let made = rows
        .iter()
        .map(|p| rules::Pick {
            winner: p.enterprise_id.clone(),
            region: p.region_id.clone(),
            kind: pick_kind(&p.kind),
            round: p.round as u32,
        })
        .collect();
    Ok(PickState { generic, winners, regions, made, rows })
}

fn pick_kind(s: &str) -> PickKind {
    match s {
        "priority" => PickKind::Priority,
        "round" => PickKind::Round,
        _ => PickKind::Backup,
    }
}

fn kind_str(k: PickKind) -> &'static str {
    match k {
        PickKind::Priority => "priority",
        PickKind::Round => "round",
        PickKind::Backup => "backup",
    }
}

/// When the current turn started: the last pick, or the final results.
fn turn_started(tender: &TenderRow, rows: &[PickRow]) -> NaiveDateTime {
    rows.last().map(|p| p.picked_at).or(tender.final_at).unwrap_or(tender.created_at)
}

#[allow(clippy::too_many_arguments)]
fn insert_pick(
    conn: &mut DbConnection,
    actor: &Actor,
    tender: &TenderRow,
    state: &PickState,
    winner: &str,
    region: &str,
    kind: PickKind,
    round: u32,
    by_default: bool,
    at: NaiveDateTime,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let row = PickRow {
        generic_id: state.generic.id.clone(),
        seq: state.rows.len() as i32 + 1,
        enterprise_id: winner.to_string(),
        region_id: region.to_string(),
        kind: kind_str(kind).into(),
        round: round as i32,
        by_default,
        picked_at: at,
    };
    diesel::insert_into(tender_picks::table).values(&row).execute(conn).map_err(|e| {
        crate::db::unique_conflict(e, || {
            DomainError::conflict(ErrorCode::PickTaken, "this pick was just made; reload the board")
        })
    })?;
    let snapshot = serde_json::json!({"generic_id": row.generic_id, "seq": row.seq, "enterprise_id": row.enterprise_id,
        "region_id": row.region_id, "kind": row.kind, "round": row.round, "by_default": by_default});
    audit::record(
        conn,
        AuditEntry::created(
            actor,
            Some(&tender.region_id),
            "tender_pick",
            &format!("{}#{}", row.generic_id, row.seq),
            &snapshot,
        ),
        now,
    )
}

/// After a pick: when every generic's allocation is complete, the tender moves on.
fn complete_if_done(
    conn: &mut DbConnection,
    actor: &Actor,
    tender: &TenderRow,
    now: DateTime<Utc>,
) -> DomainResult<bool> {
    for g in store::generics_of(conn, &tender.id)? {
        let s = pick_state(conn, tender, g)?;
        if rules::next_pick(&s.winners, &s.regions, &s.made).is_some() {
            return Ok(false);
        }
    }
    super::set_status(conn, actor, tender, TenderStatus::Final, TenderStatus::RegionsAllocated, now)?;
    Ok(true)
}

/// A winner picks a region on its turn.
pub fn pick(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    generic_id: &str,
    region_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Board>> {
    actor.require(&[Role::Supplier], "pick supply regions")?;
    write_tx(conn, |conn| {
        let tender = store::visible_tender(conn, actor, tender_id)?;
        super::require_stage(&tender, &[TenderStatus::Final])?;
        let generic = store::generic_of(conn, &tender.id, generic_id, "generic_id")?;
        let state = pick_state(conn, &tender, generic)?;
        let (winner, kind, round, choices) =
            rules::next_pick(&state.winners, &state.regions, &state.made).ok_or_else(|| {
                DomainError::conflict(ErrorCode::PicksComplete, "every region of this generic has been picked")
            })?;
        if winner != actor.org_id {
            return Err(DomainError::conflict(ErrorCode::NotYourTurn, "another winner picks now")
                .with_details(serde_json::json!({"turn": winner, "kind": kind_str(kind), "round": round})));
        }
        if !choices.iter().any(|c| c.region == region_id) {
            return Err(DomainError::invalid(
                ErrorCode::RegionNotAvailable,
                "region_id",
                "this region cannot be picked now (taken, or your own for a backup)",
            ));
        }
        insert_pick(conn, actor, &tender, &state, &winner, region_id, kind, round, false, to_db(now), now)?;
        complete_if_done(conn, actor, &tender, now)?;
        board(conn, actor, tender_id)
    })
}

/// Picks for every winner whose turn's time limit has passed, by the default strategy (the
/// largest remaining base), recorded as made by default at the moment the limit passed.
/// Safe to repeat; run by the officer, or by the daily job.
pub fn pick_lapsed(
    conn: &mut DbConnection,
    actor: &Actor,
    tender: &TenderRow,
    now: DateTime<Utc>,
) -> DomainResult<i64> {
    let hours = i64::from(tender.rules()?.pick_hours);
    let mut made = 0;
    if tender.status()? != TenderStatus::Final {
        return Ok(0);
    }
    for g in store::generics_of(conn, &tender.id)? {
        loop {
            let state = pick_state(conn, tender, g.clone())?;
            let Some((winner, kind, round, choices)) = rules::next_pick(&state.winners, &state.regions, &state.made)
            else {
                break;
            };
            let lapses_at = turn_started(tender, &state.rows) + Duration::hours(hours);
            if lapses_at > to_db(now) {
                break;
            }
            let Some(region) = rules::largest_remaining(&choices) else { break };
            insert_pick(conn, actor, tender, &state, &winner, &region, kind, round, true, lapses_at, now)?;
            made += 1;
        }
    }
    if made > 0 {
        complete_if_done(conn, actor, tender, now)?;
    }
    Ok(made)
}

/// The officer's button: default picks for the lapsed turns of one tender.
pub fn pick_lapsed_for(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Board>> {
    write_tx(conn, |conn| {
        let tender = store::own_tender(conn, actor, tender_id, "make default picks")?;
        super::require_stage(&tender, &[TenderStatus::Final])?;
        pick_lapsed(conn, actor, &tender, now)?;
        board(conn, actor, tender_id)
    })
}

/// The job: default picks for every tender in its picking stage.
pub fn pick_lapsed_all(
    conn: &mut DbConnection,
    system: &Actor,
    region: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<i64> {
    let mut q = tenders::table.filter(tenders::status.eq(TenderStatus::Final.as_str())).into_boxed();
    if let Some(r) = region {
        q = q.filter(tenders::region_id.eq(r.to_string()));
    }
    let ids: Vec<String> = q.select(tenders::id).load(conn)?;
    let mut made = 0;
    for id in ids {
        made += write_tx(conn, |conn| {
            let tender: TenderRow = tenders::table.find(&id).select(TenderRow::as_select()).first(conn)?;
            let actor = Actor { region_id: Some(tender.region_id.clone()), ..system.clone() };
            pick_lapsed(conn, &actor, &tender, now)
        })?;
    }
    Ok(made)
}

/// One region on the board of a generic.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardRegion {
    pub region: super::RegionRef,
    /// Reported demand of its hospitals, in minimum units.
    pub base: i64,
    pub primary: Option<String>,
    pub backup: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardPick {
    pub seq: i32,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub region_id: String,
    pub kind: String,
    pub round: i32,
    pub by_default: bool,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub picked_at: NaiveDateTime,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextPick {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub kind: String,
    pub round: u32,
    pub choices: Vec<String>,
    /// When the default strategy picks for it.
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub lapses_at: NaiveDateTime,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WinnerShare {
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub rank: i32,
    /// Σ base of its primary regions.
    pub primary_base: i64,
    /// The agreed volume it will carry: each hospital's demand × the ratio, rounded per
    /// hospital, for the hospitals it supplies as primary.
    pub agreed_qty: i64,
}

/// The region board of a generic.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub generic_id: String,
    pub generic_name: String,
    pub winners: Vec<WinnerShare>,
    /// The agreed-volume ratio for this number of winners.
    pub ratio: crate::money::Ratio,
    pub regions: Vec<BoardRegion>,
    pub picks: Vec<BoardPick>,
    pub next: Option<NextPick>,
}

/// The region boards of a tender, from its final results on.
pub fn board(conn: &mut DbConnection, actor: &Actor, tender_id: &str) -> DomainResult<Vec<Board>> {
    let tender = store::visible_tender(conn, actor, tender_id)?;
    let status = tender.status()?;
    if status < TenderStatus::Final {
        return Err(super::wrong_stage(
            status,
            &[TenderStatus::Final, TenderStatus::RegionsAllocated, TenderStatus::InForce],
        ));
    }
    let rules_ = tender.rules()?;
    // The names of the tender's bidders (a winner or a picker is one of them).
    let names: BTreeMap<String, String> = organizations::table
        .filter(organizations::id.eq_any(
            tender_bids::table.filter(tender_bids::tender_id.eq(&tender.id)).select(tender_bids::enterprise_id),
        ))
        .select((organizations::id, organizations::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let name = |id: &str| names.get(id).cloned().unwrap_or_default();
    let region_rows: Vec<(String, String, String)> =
        regions::table.select((regions::id, regions::code, regions::name)).load(conn)?;
    let mut out = Vec::new();
    for g in store::generics_of(conn, &tender.id)? {
        let selected = selected_in_rank(conn, &g.id)?;
        let state = pick_state(conn, &tender, g)?;
        let ratio = rules_.ratio_table.table.ratio_for(state.winners.len() as i64);
        let demand = super::demand::base_by_region(conn, &state.generic.id)?;
        let primary_of = |region: &str| {
            state.made.iter().find(|p| p.kind != PickKind::Backup && p.region == region).map(|p| p.winner.clone())
        };
        let winners = selected
            .iter()
            .map(|b| WinnerShare {
                enterprise_id: b.enterprise_id.clone(),
                enterprise_name: name(&b.enterprise_id),
                rank: b.opened.rank.unwrap_or(0),
                primary_base: rules::primary_bases(&state.made, &state.regions)
                    .into_iter()
                    .find(|(w, _)| *w == b.enterprise_id)
                    .map_or(0, |(_, base)| base),
                agreed_qty: demand
                    .iter()
                    .filter(|d| primary_of(&d.region_id).as_deref() == Some(b.enterprise_id.as_str()))
                    .map(|d| agreed_quantity(d.quantity, ratio))
                    .sum(),
            })
            .collect();
        let regions = state
            .regions
            .iter()
            .map(|r| {
                let (id, code, rname) =
                    region_rows.iter().find(|(id, ..)| *id == r.region).cloned().unwrap_or_default();
                BoardRegion {
                    region: super::RegionRef { id, code, name: rname },
                    base: r.base,
                    primary: primary_of(&r.region),
                    backup: state
                        .made
                        .iter()
                        .find(|p| p.kind == PickKind::Backup && p.region == r.region)
                        .map(|p| p.winner.clone()),
                }
            })
            .collect();
        let next = if status == TenderStatus::Final {
            rules::next_pick(&state.winners, &state.regions, &state.made).map(|(w, kind, round, choices)| NextPick {
                enterprise_name: name(&w),
                enterprise_id: w,
                kind: kind_str(kind).into(),
                round,
                choices: choices.iter().map(|c| c.region.clone()).collect(),
                lapses_at: turn_started(&tender, &state.rows) + Duration::hours(i64::from(rules_.pick_hours)),
            })
        } else {
            None
        };
        let picks = state
            .rows
            .iter()
            .map(|p| BoardPick {
                seq: p.seq,
                enterprise_name: name(&p.enterprise_id),
                enterprise_id: p.enterprise_id.clone(),
                region_id: p.region_id.clone(),
                kind: p.kind.clone(),
                round: p.round,
                by_default: p.by_default,
                picked_at: p.picked_at,
            })
            .collect();
        out.push(Board {
            generic_id: state.generic.id.clone(),
            generic_name: state.generic.spec.generic_name.clone(),
            winners,
            ratio,
            regions,
            picks,
            next,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- enactment

/// What the enactment wrote.
#[derive(Clone, Debug, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Enacted {
    pub batches: Vec<String>,
    pub winning_bids: i64,
    pub agreed_volumes: i64,
}

/// The results become the platform's data: in each supply region a batch, the winners' bids
/// (at their own declared price, or the accepted price for their spec) supplying the regions
/// they picked, and each reporting hospital's agreed volume for year 1 — with the brand it
/// reported if that brand won, else with its region's primary winner — at the ratio for the
/// number of winners, rounded per hospital. A brand winner that is neither primary nor
/// backup in a hospital's region supplies that region as backup, so that hospital can order it.
pub fn enact(conn: &mut DbConnection, actor: &Actor, tender_id: &str, now: DateTime<Utc>) -> DomainResult<Enacted> {
    write_tx(conn, |conn| {
        let tender = store::own_tender(conn, actor, tender_id, "put results in force")?;
        super::require_stage(&tender, &[TenderStatus::RegionsAllocated])?;
        let rules_ = tender.rules()?;
        let level = match tender.level.as_str() {
            "national" => BatchLevel::National,
            "provincial" => BatchLevel::Provincial,
            _ => BatchLevel::Alliance,
        };
        let category = if tender.category == "drug" { Category::Drug } else { Category::Consumable };
        let region_ids = store::regions_of(conn, &tender.id)?;
        let mut enacted = Enacted::default();
        let mut batch_of: BTreeMap<String, String> = BTreeMap::new();
        for r in &region_ids {
            let batch = catalog::insert_batch(
                conn,
                actor,
                r,
                NewBatch {
                    name: tender.name.clone(),
                    level,
                    category,
                    document_no: tender.document_no.clone(),
                    cycle_start: tender.cycle_start,
                    cycle_end: tender.cycle_end,
                    volume_ratios: Some(rules_.ratio_table.table.clone()),
                },
                now,
            )?;
            enacted.batches.push(batch.id.clone());
            batch_of.insert(r.clone(), batch.id);
        }
        let region_codes: BTreeMap<String, String> = regions::table
            .filter(regions::id.eq_any(&region_ids))
            .select((regions::id, regions::code))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        let (year_start, year_end) = agreement_year_dates(tender.cycle_start, tender.cycle_end, 1)
            .ok_or_else(|| DomainError::Internal("a tender's cycle has no first year".into()))?;
        for g in store::generics_of(conn, &tender.id)? {
            let selected = selected_in_rank(conn, &g.id)?;
            if selected.is_empty() {
                continue;
            }
            let state = pick_state(conn, &tender, g.clone())?;
            let ratio = rules_.ratio_table.table.ratio_for(selected.len() as i64);
            let demand = super::demand::base_by_region(conn, &g.id)?;
            let product_of: BTreeMap<String, (String, String)> = tender_qualifications::table
                .inner_join(products::table)
                .filter(tender_qualifications::generic_id.eq(&g.id))
                .select((tender_qualifications::enterprise_id, products::id, products::code))
                .load::<(String, String, String)>(conn)?
                .into_iter()
                .map(|(e, id, code)| (e, (id, code)))
                .collect();
            let brand_winner = |product_id: &Option<String>| {
                product_id.as_ref().and_then(|p| {
                    selected
                        .iter()
                        .find(|b| product_of.get(&b.enterprise_id).is_some_and(|(id, _)| id == p))
                        .map(|b| b.enterprise_id.clone())
                })
            };
            // The bid of each winner in each region it supplies: (region, enterprise) → bid id.
            let mut bid_in: BTreeMap<(String, String), String> = BTreeMap::new();
            for r in &region_ids {
                for b in &selected {
                    let mut roles = Vec::new();
                    for p in state.made.iter().filter(|p| p.region == *r && p.winner == b.enterprise_id) {
                        roles.push(if p.kind == PickKind::Backup { SupplyRole::Backup } else { SupplyRole::Primary });
                    }
                    let brand_here = demand.iter().any(|d| {
                        d.region_id == *r && brand_winner(&d.product_id).as_deref() == Some(b.enterprise_id.as_str())
                    });
                    if roles.is_empty() && brand_here {
                        roles.push(SupplyRole::Backup);
                    }
                    let Some(role) = roles.first().copied() else { continue };
                    let pack_price = b
                        .opened
                        .final_pack_price
                        .ok_or_else(|| DomainError::Internal(format!("winner {} has no final price", b.id)))?;
                    let id = catalog::insert_bid(
                        conn,
                        actor,
                        r,
                        NewWinningBid {
                            batch_id: batch_of[r].clone(),
                            product_code: product_of[&b.enterprise_id].1.clone(),
                            enterprise_id: b.enterprise_id.clone(),
                            pack_price: Money::from_fen(pack_price),
                            unit_price: None,
                            supply_regions: vec![SupplyRegion { region_code: region_codes[r].clone(), role }],
                            distributor_ids: vec![],
                        },
                        now,
                    )?;
                    enacted.winning_bids += 1;
                    bid_in.insert((r.clone(), b.enterprise_id.clone()), id);
                }
            }
            for d in &demand {
                let primary = state
                    .made
                    .iter()
                    .find(|p| p.kind != PickKind::Backup && p.region == d.region_id)
                    .map(|p| p.winner.clone());
                let Some(supplier) = brand_winner(&d.product_id).or(primary) else { continue };
                let Some(bid_id) = bid_in.get(&(d.region_id.clone(), supplier)) else { continue };
                let row = AgreedVolumeRow {
                    id: new_id(),
                    region_id: d.region_id.clone(),
                    hospital_id: d.hospital_id.clone(),
                    bid_id: bid_id.clone(),
                    agreement_year: 1,
                    year_start,
                    year_end,
                    reported_demand: d.quantity,
                    winners: selected.len() as i16,
                    ratio_bp: ratio.bp() as i32,
                    agreed_qty: agreed_quantity(d.quantity, ratio),
                    ordered_qty: 0,
                    created_by: actor.user_id.clone(),
                    created_at: to_db(now),
                    accepted_qty: 0,
                };
                diesel::insert_into(agreed_volumes::table).values(&row).execute(conn)?;
                audit::record(
                    conn,
                    AuditEntry::created(actor, Some(&row.region_id), "agreed_volume", &row.id, &row),
                    now,
                )?;
                enacted.agreed_volumes += 1;
            }
        }
        diesel::update(tenders::table.find(&tender.id)).set(tenders::enacted_at.eq(Some(to_db(now)))).execute(conn)?;
        super::set_status(conn, actor, &tender, TenderStatus::RegionsAllocated, TenderStatus::InForce, now)?;
        Ok(enacted)
    })
}
