//! Tender rows, insert forms and the scoped queries: who may see a tender at all.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::db::{DbBackend, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::schema::{
    products, tender_bids, tender_demands, tender_generics, tender_objections, tender_picks, tender_qualifications,
    tender_regions, tenders,
};

use super::rules::TenderRules;

/// The stages of a tender, in order; each move is audited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TenderStatus {
    Draft,
    DemandReporting,
    Published,
    Bidding,
    Opened,
    Proposed,
    Final,
    RegionsAllocated,
    InForce,
}

impl TenderStatus {
    pub const ALL: [TenderStatus; 9] = [
        TenderStatus::Draft,
        TenderStatus::DemandReporting,
        TenderStatus::Published,
        TenderStatus::Bidding,
        TenderStatus::Opened,
        TenderStatus::Proposed,
        TenderStatus::Final,
        TenderStatus::RegionsAllocated,
        TenderStatus::InForce,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            TenderStatus::Draft => "draft",
            TenderStatus::DemandReporting => "demand_reporting",
            TenderStatus::Published => "published",
            TenderStatus::Bidding => "bidding",
            TenderStatus::Opened => "opened",
            TenderStatus::Proposed => "proposed",
            TenderStatus::Final => "final",
            TenderStatus::RegionsAllocated => "regions_allocated",
            TenderStatus::InForce => "in_force",
        }
    }
    pub fn parse(s: &str) -> DomainResult<TenderStatus> {
        TenderStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| DomainError::Internal(format!("a tender has the unknown status {s:?}")))
    }
    /// Whether results (prices, ranks, winners) may be shown: only from the opening on.
    pub fn is_open(self) -> bool {
        self >= TenderStatus::Opened
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tenders)]
pub struct TenderRow {
    pub id: String,
    pub tender_no: String,
    pub region_id: String,
    pub name: String,
    pub document_no: String,
    pub category: String,
    pub level: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub demand_closes_at: NaiveDateTime,
    pub bid_deadline: NaiveDateTime,
    pub opening_at: NaiveDateTime,
    pub rules: String,
    pub rules_policy_id: String,
    pub status: String,
    pub sealed_key: String,
    pub opened_key: Option<String>,
    pub opened_at: Option<NaiveDateTime>,
    pub proposed_at: Option<NaiveDateTime>,
    pub objections_close_at: Option<NaiveDateTime>,
    pub final_at: Option<NaiveDateTime>,
    pub enacted_at: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

impl TenderRow {
    pub fn status(&self) -> DomainResult<TenderStatus> {
        TenderStatus::parse(&self.status)
    }
    pub fn rules(&self) -> DomainResult<TenderRules> {
        serde_json::from_str(&self.rules)
            .map_err(|e| DomainError::Internal(format!("tender {} has unreadable rules: {e}", self.tender_no)))
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tender_generics)]
pub struct GenericRow {
    pub id: String,
    pub tender_id: String,
    #[diesel(embed)]
    pub spec: GenericSpec,
    pub max_price: i64,
    /// What the opening wrote (none of it before the opening).
    #[diesel(embed)]
    pub opened: OpenedGenericForm,
    pub winners: Option<i32>,
}

/// What a generic of a tender is: its name, form and representative spec. Part of its row and
/// of its view.
#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = tender_generics)]
pub struct GenericSpec {
    pub generic_name: String,
    pub dosage_form: String,
    pub rep_strength: String,
    pub rep_fill_volume: Option<String>,
    pub strength_unit: String,
    pub min_unit: String,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tender_demands, treat_none_as_default_value = false)]
pub struct DemandRow {
    pub id: String,
    pub tender_id: String,
    pub generic_id: String,
    pub hospital_id: String,
    pub region_id: String,
    pub product_id: Option<String>,
    pub quantity: i64,
    pub past_use: Option<i64>,
    pub reason: Option<String>,
    pub status: String,
    pub return_reason: Option<String>,
    pub updated_by: String,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tender_qualifications)]
pub struct QualificationRow {
    pub id: String,
    pub tender_id: String,
    pub generic_id: String,
    pub enterprise_id: String,
    pub product_id: String,
    pub strength: String,
    pub fill_volume: Option<String>,
    pub units_per_pack: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

/// A bid as stored. Before the opening only `sealed`, `receipt`, `version` and `submitted_at`
/// are set; the opening writes the rest.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tender_bids)]
pub struct BidRow {
    pub id: String,
    pub tender_id: String,
    pub generic_id: String,
    pub qualification_id: String,
    pub enterprise_id: String,
    pub sealed: String,
    pub receipt: String,
    pub version: i32,
    pub submitted_at: NaiveDateTime,
    /// What the opening wrote (none of it before the opening).
    #[diesel(embed)]
    pub opened: OpenedBidForm,
    pub offer_answer: Option<String>,
    pub offer_answered_at: Option<NaiveDateTime>,
}

/// The opening's figures for one bid: its update form, and part of its row.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug, Default)]
#[diesel(table_name = tender_bids)]
pub struct OpenedBidForm {
    pub pack_price: Option<i64>,
    pub unit_price: Option<String>,
    pub coefficient: Option<String>,
    pub comparable: Option<i64>,
    pub comparable_exact: Option<String>,
    pub rank: Option<i32>,
    pub shortlisted: Option<bool>,
    pub wins: Option<bool>,
    pub decision: Option<String>,
    pub cost_statement: Option<bool>,
    pub offer_price: Option<i64>,
    pub offer_pack_price: Option<i64>,
    pub offer_deadline: Option<NaiveDateTime>,
    pub final_pack_price: Option<i64>,
}

/// The opening's figures for one generic: its update form, and part of its row.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Clone, Debug, Default)]
#[diesel(table_name = tender_generics)]
pub struct OpenedGenericForm {
    pub valid_bids: Option<i32>,
    pub shortlist_cap: Option<i32>,
    pub lowest: Option<i64>,
    pub anchor: Option<i64>,
    pub threshold: Option<i64>,
    pub discount_line: Option<i64>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = tender_picks)]
pub struct PickRow {
    pub generic_id: String,
    pub seq: i32,
    pub enterprise_id: String,
    pub region_id: String,
    pub kind: String,
    pub round: i32,
    pub by_default: bool,
    pub picked_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = tender_objections)]
pub struct ObjectionRow {
    pub id: String,
    pub tender_id: String,
    pub generic_id: Option<String>,
    pub enterprise_id: String,
    pub body: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub filed_at: NaiveDateTime,
    pub answer: Option<String>,
    pub answered_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub answered_at: Option<NaiveDateTime>,
}

/// Tenders the caller may see: the running bureau's own; a hospital's or fund officer's whose
/// supply regions include its region; a supplier's once published (the procurement document is
/// public from then); all for the admin. Drafts stay with their bureau.
pub fn visible_tenders<'a>(actor: &Actor) -> tenders::BoxedQuery<'a, DbBackend> {
    let q = tenders::table.into_boxed();
    let region = actor.region_id.clone().unwrap_or_default();
    match actor.role {
        Role::Admin => q,
        Role::BureauOfficer => q.filter(tenders::region_id.eq(region)),
        Role::FundOfficer | Role::HospitalBuyer => {
            q.filter(tenders::status.ne(TenderStatus::Draft.as_str())).filter(tenders::id.eq_any(
                tender_regions::table.filter(tender_regions::region_id.eq(region)).select(tender_regions::tender_id),
            ))
        }
        Role::Supplier => {
            q.filter(tenders::status.ne_all([TenderStatus::Draft.as_str(), TenderStatus::DemandReporting.as_str()]))
        }
    }
}

/// A tender the caller may see, or 404.
pub fn visible_tender(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<TenderRow> {
    visible_tenders(actor)
        .filter(tenders::id.eq(id.to_string()))
        .select(TenderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("tender"))
}

/// A tender run by the caller's bureau, or 404 (also for a bureau of another region).
pub fn own_tender(conn: &mut DbConnection, actor: &Actor, id: &str, action: &str) -> DomainResult<TenderRow> {
    actor.require(&[Role::BureauOfficer], action)?;
    visible_tender(conn, actor, id)
}

pub fn generics_of(conn: &mut DbConnection, tender_id: &str) -> DomainResult<Vec<GenericRow>> {
    Ok(tender_generics::table
        .filter(tender_generics::tender_id.eq(tender_id))
        .order((tender_generics::generic_name.asc(), tender_generics::dosage_form.asc()))
        .select(GenericRow::as_select())
        .load(conn)?)
}

pub fn generic_of(conn: &mut DbConnection, tender_id: &str, generic_id: &str, field: &str) -> DomainResult<GenericRow> {
    tender_generics::table
        .filter(tender_generics::tender_id.eq(tender_id))
        .filter(tender_generics::id.eq(generic_id.trim()))
        .select(GenericRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::invalid(ErrorCode::UnknownGeneric, field, "no such generic in this tender"))
}

/// The catalogue product with `code` (any case) when it is of `generic` and, where given, of
/// `category`: its id and pack size. Otherwise why not, said of the field `product_code` with
/// `code` as written.
pub fn product_of_generic(
    conn: &mut DbConnection,
    code: &str,
    generic: &GenericSpec,
    category: Option<&str>,
) -> DomainResult<(String, i64)> {
    let (id, generic_name, product_category, pack_size): (String, String, String, i64) = products::table
        .filter(products::code.eq(code.to_ascii_uppercase()))
        .select((products::id, products::generic_name, products::category, products::pack_size))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            DomainError::invalid(ErrorCode::UnknownProduct, "product_code", format!("no product with code {code:?}"))
        })?;
    if generic_name != generic.generic_name || category.is_some_and(|c| c != product_category) {
        return Err(DomainError::invalid(
            ErrorCode::ProductNotOfGeneric,
            "product_code",
            format!("{code} is {generic_name}, not {}", generic.generic_name),
        ));
    }
    Ok((id, pack_size))
}

pub fn regions_of(conn: &mut DbConnection, tender_id: &str) -> DomainResult<Vec<String>> {
    Ok(tender_regions::table
        .filter(tender_regions::tender_id.eq(tender_id))
        .order(tender_regions::region_id.asc())
        .select(tender_regions::region_id)
        .load(conn)?)
}

pub fn picks_of(conn: &mut DbConnection, generic_id: &str) -> DomainResult<Vec<PickRow>> {
    Ok(tender_picks::table
        .filter(tender_picks::generic_id.eq(generic_id))
        .order(tender_picks::seq.asc())
        .select(PickRow::as_select())
        .load(conn)?)
}
