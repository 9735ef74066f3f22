//! Winning bids (中选结果): prices, supply regions and distributors, and their views.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::audit::{self, AuditEntry};
use crate::clock::{shanghai_date, to_db};
use crate::credit::{self, enforce::RiskFlag};
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{escape_like, Actor, OrgKind, OrgRow, Role};
use crate::ids::new_id;
use crate::money::{Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{batches, bid_distributors, bid_supply_regions, organizations, products, regions, winning_bids};

use super::{at_index, product_by_code, BatchRow, ProductRow};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SupplyRole {
    Primary,
    Backup,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplyRegion {
    pub region_code: String,
    pub role: SupplyRole,
}

/// A region a winning bid supplies, as primary or backup (the insert form of `bid_supply_regions`).
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = bid_supply_regions, treat_none_as_default_value = false)]
pub struct BidSupplyRow {
    pub bid_id: String,
    pub region_code: String,
    pub role: String,
}

/// A distributor a winning bid's maker named (the insert form of `bid_distributors`).
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = bid_distributors, treat_none_as_default_value = false)]
pub struct BidDistributorRow {
    pub bid_id: String,
    pub enterprise_id: String,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = winning_bids, treat_none_as_default_value = false)]
pub struct BidRow {
    pub id: String,
    pub batch_id: String,
    pub product_id: String,
    pub enterprise_id: String,
    pub unit_price: i64,
    pub pack_price: i64,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWinningBid {
    pub batch_id: String,
    pub product_code: String,
    pub enterprise_id: String,
    /// Price per pack (申报价格), e.g. "16.50".
    pub pack_price: Money,
    /// Price per minimum unit with 4 decimals; when given it must equal pack price / pack size.
    #[serde(default)]
    pub unit_price: Option<UnitPrice>,
    pub supply_regions: Vec<SupplyRegion>,
    #[serde(default)]
    pub distributor_ids: Vec<String>,
}

/// A winning bid with what a reader needs beside it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BidView {
    pub id: String,
    pub batch_id: String,
    pub batch_name: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub product: ProductRow,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub unit_price: UnitPrice,
    pub pack_price: Money,
    pub supply_regions: Vec<SupplyRegion>,
    pub distributors: Vec<OrgRef>,
    /// The winner's credit risk flag in the reader's region today, if a rating in force
    /// carries one (hospitals, bureau and fund readers).
    pub risk_flag: Option<RiskFlag>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

pub use crate::identity::OrgRef;

/// Sets the risk flag of each view's enterprise as rated in `region_id` on `today`.
pub(super) fn flag<T>(
    conn: &mut DbConnection,
    region_id: Option<&str>,
    views: &mut [T],
    today: NaiveDate,
    parts: impl Fn(&mut T) -> (&String, &mut Option<RiskFlag>),
) -> DomainResult<()> {
    let Some(region_id) = region_id else { return Ok(()) };
    let ids: Vec<String> = views.iter_mut().map(|v| parts(v).0.clone()).collect();
    let flags = credit::enforce::risk_flags(conn, region_id, &ids, today)?;
    for v in views.iter_mut() {
        let (id, slot) = parts(v);
        *slot = flags.get(id).cloned();
    }
    Ok(())
}

pub(super) fn enterprise(conn: &mut DbConnection, id: &str, field: &str) -> DomainResult<OrgRow> {
    organizations::table
        .find(id.trim())
        .filter(organizations::kind.eq(OrgKind::Enterprise.as_str()))
        .select(OrgRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            DomainError::invalid(ErrorCode::UnknownEnterprise, field, format!("no enterprise with id {id:?}"))
        })
}

pub(super) fn check_prices(
    pack_price: Money,
    unit_price: Option<UnitPrice>,
    pack_size: i64,
) -> DomainResult<UnitPrice> {
    if pack_price.fen() <= 0 {
        return Err(DomainError::invalid(ErrorCode::InvalidPrice, "pack_price", "the pack price must be above zero"));
    }
    let implied = UnitPrice::from_pack_price(pack_price, pack_size);
    if implied.ten_thousandths() <= 0 {
        return Err(DomainError::invalid(ErrorCode::InvalidPrice, "pack_price", "the unit price rounds to zero"));
    }
    match unit_price {
        Some(given) if given != implied => Err(DomainError::invalid(
            ErrorCode::UnitPriceMismatch,
            "unit_price",
            format!("unit price {given} does not match pack price {pack_price} / {pack_size} = {implied}"),
        )
        .with_details(serde_json::json!({ "expected_unit_price": implied.to_string() }))),
        _ => Ok(implied),
    }
}

pub fn create_winning_bids(
    conn: &mut DbConnection,
    actor: &Actor,
    inputs: Vec<NewWinningBid>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<BidView>> {
    bureau_inserts(conn, actor, "load winning bids", inputs, now, insert_bid, |conn, _, ids| bid_views(conn, ids))
}

/// The bureau writes every input in its region with `insert`, all or none (a refusal names the
/// input's index); answers `views` of the ids written, in order.
pub(crate) fn bureau_inserts<I, V>(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    inputs: Vec<I>,
    now: DateTime<Utc>,
    insert: fn(&mut DbConnection, &Actor, &str, I, DateTime<Utc>) -> DomainResult<String>,
    views: impl FnOnce(&mut DbConnection, &str, &[String]) -> DomainResult<Vec<V>>,
) -> DomainResult<Vec<V>> {
    actor.require(&[Role::BureauOfficer], action)?;
    let region_id = actor.region()?.to_string();
    write_tx(conn, |conn| {
        let mut ids = Vec::with_capacity(inputs.len());
        for (i, input) in inputs.into_iter().enumerate() {
            ids.push(insert(conn, actor, &region_id, input, now).map_err(|e| at_index(i, e))?);
        }
        views(conn, &region_id, &ids)
    })
}

/// Writes one winning bid in `region_id`'s batch (the caller holds the transaction).
pub(crate) fn insert_bid(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    input: NewWinningBid,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let batch = batches::table
        .find(input.batch_id.trim())
        .filter(batches::region_id.eq(region_id))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::invalid(ErrorCode::UnknownBatch, "batch_id", "no such batch in your region"))?;
    let product = product_by_code(conn, &input.product_code, "product_code")?;
    if product.category != batch.category {
        return Err(DomainError::invalid(
            ErrorCode::CategoryMismatch,
            "product_code",
            format!(
                "batch {} is for {} products; {} is a {}",
                batch.name, batch.category, product.code, product.category
            ),
        ));
    }
    let winner = enterprise(conn, &input.enterprise_id, "enterprise_id")?;
    if !winner.is_manufacturer {
        return Err(DomainError::invalid(
            ErrorCode::NotAManufacturer,
            "enterprise_id",
            format!("{} is not a manufacturer", winner.name),
        ));
    }
    let unit_price = check_prices(input.pack_price, input.unit_price, product.pack_size)?;
    let today = shanghai_date(now);
    let who = credit::enforce::Checked { region_id, enterprise_id: &winner.id, date: today, field: "enterprise_id" };
    credit::enforce::check_product(conn, who, &product.id)?;
    if input.supply_regions.is_empty() {
        return Err(DomainError::invalid(
            ErrorCode::SupplyRegionsRequired,
            "supply_regions",
            "a winning bid supplies at least one region",
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (j, sr) in input.supply_regions.iter().enumerate() {
        let code = sr.region_code.trim();
        if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
            return Err(DomainError::invalid(
                ErrorCode::InvalidRegionCode,
                format!("supply_regions[{j}].region_code"),
                format!("{code:?} is not a 6-digit administrative division code"),
            ));
        }
        if !seen.insert(code.to_string()) {
            return Err(DomainError::invalid(
                ErrorCode::DuplicateSupplyRegion,
                format!("supply_regions[{j}]"),
                format!("region {code} is listed twice"),
            ));
        }
    }
    let mut distributors = Vec::new();
    for (j, d) in input.distributor_ids.iter().enumerate() {
        let org = enterprise(conn, d, &format!("distributor_ids[{j}]"))?;
        if !org.is_distributor {
            return Err(DomainError::invalid(
                ErrorCode::NotADistributor,
                format!("distributor_ids[{j}]"),
                format!("{} is not a distributor", org.name),
            ));
        }
        let field = format!("distributor_ids[{j}]");
        let who = credit::enforce::Checked { region_id, enterprise_id: &org.id, date: today, field: &field };
        credit::enforce::check_distribution(conn, who)?;
        if distributors.contains(&org.id) {
            return Err(DomainError::invalid(
                ErrorCode::DuplicateDistributor,
                format!("distributor_ids[{j}]"),
                "a distributor is listed twice",
            ));
        }
        distributors.push(org.id);
    }
    let row = BidRow {
        id: new_id(),
        batch_id: batch.id.clone(),
        product_id: product.id.clone(),
        enterprise_id: winner.id.clone(),
        unit_price: unit_price.ten_thousandths(),
        pack_price: input.pack_price.fen(),
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
    };
    diesel::insert_into(winning_bids::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::DuplicateBid,
                format!("{} already won {} in this batch", winner.name, product.code),
            )
        })
    })?;
    let supply: Vec<BidSupplyRow> = input
        .supply_regions
        .iter()
        .map(|sr| BidSupplyRow {
            bid_id: row.id.clone(),
            region_code: sr.region_code.trim().to_string(),
            role: match sr.role {
                SupplyRole::Primary => "primary",
                SupplyRole::Backup => "backup",
            }
            .to_string(),
        })
        .collect();
    crate::db::insert_rows!(&mut *conn, bid_supply_regions::table, &supply)?;
    let carriers: Vec<BidDistributorRow> =
        distributors.iter().map(|d| BidDistributorRow { bid_id: row.id.clone(), enterprise_id: d.clone() }).collect();
    if !carriers.is_empty() {
        crate::db::insert_rows!(&mut *conn, bid_distributors::table, &carriers)?;
    }
    let snapshot = serde_json::json!({
        "bid": &row, "supply_regions": &input.supply_regions, "distributor_ids": &distributors,
    });
    audit::record(conn, AuditEntry::created(actor, Some(region_id), "winning_bid", &row.id, &snapshot), now)?;
    Ok(row.id)
}

/// Loads bids with their batch, product, enterprise, supply regions and distributors, in the
/// order of `ids`.
pub fn bid_views(conn: &mut DbConnection, ids: &[String]) -> DomainResult<Vec<BidView>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let rows: Vec<(BidRow, BatchRow, ProductRow, OrgRow)> = winning_bids::table
        .inner_join(batches::table)
        .inner_join(products::table)
        .inner_join(organizations::table)
        .filter(winning_bids::id.eq_any(ids))
        .select((BidRow::as_select(), BatchRow::as_select(), ProductRow::as_select(), OrgRow::as_select()))
        .load(conn)?;
    let mut regions_by_bid: HashMap<String, Vec<SupplyRegion>> = HashMap::new();
    for (bid, code, role) in bid_supply_regions::table
        .filter(bid_supply_regions::bid_id.eq_any(ids))
        .order((bid_supply_regions::bid_id, bid_supply_regions::role.desc(), bid_supply_regions::region_code))
        .select((bid_supply_regions::bid_id, bid_supply_regions::region_code, bid_supply_regions::role))
        .load::<(String, String, String)>(conn)?
    {
        let role = if role == "primary" { SupplyRole::Primary } else { SupplyRole::Backup };
        regions_by_bid.entry(bid).or_default().push(SupplyRegion { region_code: code, role });
    }
    let mut distributors_by_bid: HashMap<String, Vec<OrgRef>> = HashMap::new();
    for (bid, id, name) in bid_distributors::table
        .inner_join(organizations::table)
        .filter(bid_distributors::bid_id.eq_any(ids))
        .order((bid_distributors::bid_id, organizations::name))
        .select((bid_distributors::bid_id, organizations::id, organizations::name))
        .load::<(String, String, String)>(conn)?
    {
        distributors_by_bid.entry(bid).or_default().push(OrgRef { id, name });
    }
    let mut by_id: HashMap<String, BidView> = rows
        .into_iter()
        .map(|(bid, batch, product, org)| {
            let view = BidView {
                supply_regions: regions_by_bid.remove(&bid.id).unwrap_or_default(),
                distributors: distributors_by_bid.remove(&bid.id).unwrap_or_default(),
                id: bid.id.clone(),
                batch_id: batch.id,
                batch_name: batch.name,
                cycle_start: batch.cycle_start,
                cycle_end: batch.cycle_end,
                product,
                enterprise_id: org.id,
                enterprise_name: org.name,
                unit_price: UnitPrice::from_ten_thousandths(bid.unit_price),
                pack_price: Money::from_fen(bid.pack_price),
                risk_flag: None,
                created_at: bid.created_at,
            };
            (bid.id, view)
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

#[derive(Clone, Debug, Default)]
pub struct BidFilter {
    pub batch_id: Option<String>,
    pub q: Option<String>,
    pub product_id: Option<String>,
}

/// Bid ids visible to the caller, as a boxed query over `winning_bids`.
pub(crate) fn visible_bids<'a>(actor: &Actor) -> winning_bids::BoxedQuery<'a, crate::db::DbBackend> {
    let q = winning_bids::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::BureauOfficer | Role::FundOfficer | Role::HospitalBuyer => q.filter(
            winning_bids::batch_id.eq_any(
                batches::table
                    .filter(batches::region_id.eq(actor.region_id.clone().unwrap_or_default()))
                    .select(batches::id),
            ),
        ),
        Role::Supplier => q.filter(
            winning_bids::enterprise_id.eq(actor.org_id.clone()).or(winning_bids::id.eq_any(
                bid_distributors::table
                    .filter(bid_distributors::enterprise_id.eq(actor.org_id.clone()))
                    .select(bid_distributors::bid_id),
            )),
        ),
    }
}

pub fn list_bids(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &BidFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<BidView>> {
    let build = || {
        let mut q = visible_bids(actor);
        if let Some(b) = &filter.batch_id {
            q = q.filter(winning_bids::batch_id.eq(b.clone()));
        }
        if let Some(p) = &filter.product_id {
            q = q.filter(winning_bids::product_id.eq(p.clone()));
        }
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                winning_bids::product_id.eq_any(
                    products::table
                        .filter(
                            products::generic_name
                                .like(pattern.clone())
                                .escape('\\')
                                .or(products::code.like(pattern).escape('\\')),
                        )
                        .select(products::id),
                ),
            );
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let ids: Vec<String> = build()
        .order(winning_bids::id.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(winning_bids::id)
        .load(conn)?;
    let mut views = bid_views(conn, &ids)?;
    flag(conn, actor.region_id.as_deref(), &mut views, shanghai_date(now), |v| (&v.enterprise_id, &mut v.risk_flag))?;
    Ok(Page::new(views, page, total))
}

pub fn get_bid(conn: &mut DbConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> DomainResult<BidView> {
    let visible: Option<String> = visible_bids(actor)
        .filter(winning_bids::id.eq(id.to_string()))
        .select(winning_bids::id)
        .first(conn)
        .optional()?;
    let id = visible.ok_or(DomainError::not_found("winning bid"))?;
    let mut views = bid_views(conn, &[id])?;
    flag(conn, actor.region_id.as_deref(), &mut views, shanghai_date(now), |v| (&v.enterprise_id, &mut v.risk_flag))?;
    views.pop().ok_or(DomainError::not_found("winning bid"))
}

/// Number of winning enterprises for each generic name in a batch (the agreed-volume ratio key).
pub fn winners_by_generic(conn: &mut DbConnection, batch_id: &str) -> DomainResult<BTreeMap<String, i64>> {
    let rows: Vec<(String, String)> = winning_bids::table
        .inner_join(products::table)
        .filter(winning_bids::batch_id.eq(batch_id))
        .select((products::generic_name, winning_bids::enterprise_id))
        .load(conn)?;
    let mut sets: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for (generic, ent) in rows {
        sets.entry(generic).or_default().insert(ent);
    }
    Ok(sets.into_iter().map(|(g, s)| (g, s.len() as i64)).collect())
}

/// The region codes a hospital's region answers to: its own code and its province's.
///
/// A region's codes never change (nothing updates or deletes a region), so each process keeps
/// those it has read.
pub fn region_codes(conn: &mut DbConnection, region_id: &str) -> DomainResult<Vec<String>> {
    type Kept = std::sync::RwLock<std::collections::HashMap<String, Vec<String>>>;
    static KEPT: std::sync::OnceLock<Kept> = std::sync::OnceLock::new();
    let kept = KEPT.get_or_init(Default::default);
    if let Some(codes) = kept.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(region_id) {
        return Ok(codes.clone());
    }
    let (code, province): (String, String) =
        regions::table.find(region_id).select((regions::code, regions::province_code)).first(conn)?;
    let codes = vec![code, province];
    kept.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(region_id.to_string(), codes.clone());
    Ok(codes)
}
