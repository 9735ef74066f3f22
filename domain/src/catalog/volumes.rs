//! Agreed volumes (约定采购量): reported demand × a ratio chosen by the number of winners,
//! rounded half-up to whole minimum units per hospital; batch totals are sums of those figures.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::{self, AuditEntry};
use crate::catalog::{bureau_inserts, region_codes, visible_bids, winners_by_generic, BatchRow, BidRow, ProductRow};
use crate::clock::to_db;
use crate::db::{unique_conflict, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{Actor, OrgKind, Role};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::{agreed_volumes, batches, bid_supply_regions, organizations, products, winning_bids};

pub use crate::catalog::rules::{agreed_quantity, agreement_year_dates, total_agreed, Ratio, RatioBand, RatioTable};

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = agreed_volumes, treat_none_as_default_value = false)]
pub struct AgreedVolumeRow {
    pub id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub bid_id: String,
    pub agreement_year: i16,
    pub year_start: NaiveDate,
    pub year_end: NaiveDate,
    pub reported_demand: i64,
    pub winners: i16,
    pub ratio_bp: i32,
    pub agreed_qty: i64,
    pub ordered_qty: i64,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    /// Accepted so far within the volume's year, in minimum units.
    pub accepted_qty: i64,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewAgreedVolume {
    pub hospital_id: String,
    pub winning_bid_id: String,
    #[serde(default = "first_year")]
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 3))]
    pub agreement_year: i16,
    /// Reported demand in minimum units (片/粒/支…).
    pub reported_demand: i64,
}

fn first_year() -> i16 {
    1
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreedVolumeView {
    pub id: String,
    pub hospital_id: String,
    pub hospital_name: String,
    pub winning_bid_id: String,
    pub batch_id: String,
    pub product_code: String,
    pub generic_name: String,
    pub specification: String,
    pub min_unit: String,
    pub agreement_year: i16,
    pub year_start: NaiveDate,
    pub year_end: NaiveDate,
    pub reported_demand: i64,
    pub winners: i16,
    pub ratio: Ratio,
    pub agreed_qty: i64,
    pub ordered_qty: i64,
    /// Accepted within the agreement year (confirmed acceptances): completion is accepted ÷
    /// agreed, everywhere.
    pub accepted_qty: i64,
    pub remaining_qty: i64,
}

pub fn create_agreed_volumes(
    conn: &mut DbConnection,
    actor: &Actor,
    inputs: Vec<NewAgreedVolume>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<AgreedVolumeView>> {
    bureau_inserts(conn, actor, "allocate agreed volumes", inputs, now, insert_volume, |conn, _, ids| views(conn, ids))
}

fn insert_volume(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    input: NewAgreedVolume,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    if input.reported_demand < 0 {
        return Err(DomainError::invalid(
            ErrorCode::InvalidQuantity,
            "reported_demand",
            "reported demand cannot be negative",
        ));
    }
    let (bid, batch, product): (BidRow, BatchRow, ProductRow) = winning_bids::table
        .inner_join(batches::table)
        .inner_join(products::table)
        .filter(winning_bids::id.eq(input.winning_bid_id.trim()))
        .filter(batches::region_id.eq(region_id))
        .select((BidRow::as_select(), BatchRow::as_select(), ProductRow::as_select()))
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            DomainError::invalid(ErrorCode::UnknownBid, "winning_bid_id", "no such winning bid in your region")
        })?;
    let hospital_region: Option<String> = organizations::table
        .find(input.hospital_id.trim())
        .filter(organizations::kind.eq(OrgKind::Hospital.as_str()))
        .filter(organizations::region_id.eq(region_id))
        .select(organizations::region_id)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    let hospital_region = hospital_region.ok_or_else(|| {
        DomainError::invalid(ErrorCode::UnknownHospital, "hospital_id", "no such hospital in your region")
    })?;
    let codes = region_codes(conn, &hospital_region)?;
    let supplied: i64 = bid_supply_regions::table
        .filter(bid_supply_regions::bid_id.eq(&bid.id))
        .filter(bid_supply_regions::region_code.eq_any(&codes))
        .count()
        .get_result(conn)?;
    if supplied == 0 {
        return Err(DomainError::invalid(
            ErrorCode::RegionNotSupplied,
            "winning_bid_id",
            "this winning bid does not supply the hospital's region",
        ));
    }
    let (year_start, year_end) = agreement_year_dates(batch.cycle_start, batch.cycle_end, input.agreement_year)
        .ok_or_else(|| {
            DomainError::invalid(
                ErrorCode::InvalidAgreementYear,
                "agreement_year",
                "the agreement year lies outside the batch's cycle",
            )
        })?;
    let winners = *winners_by_generic(conn, &batch.id)?.get(&product.generic_name).unwrap_or(&1);
    let ratio = batch.ratio_table()?.ratio_for(winners);
    let row = AgreedVolumeRow {
        id: new_id(),
        region_id: region_id.to_string(),
        hospital_id: input.hospital_id.trim().to_string(),
        bid_id: bid.id.clone(),
        agreement_year: input.agreement_year,
        year_start,
        year_end,
        reported_demand: input.reported_demand,
        winners: winners as i16,
        ratio_bp: ratio.bp() as i32,
        agreed_qty: agreed_quantity(input.reported_demand, ratio),
        ordered_qty: 0,
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
        accepted_qty: 0,
    };
    diesel::insert_into(agreed_volumes::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::DuplicateAgreedVolume,
                format!("an agreed volume for this hospital, bid and year {} already exists", row.agreement_year),
            )
        })
    })?;
    audit::record(conn, AuditEntry::created(actor, Some(region_id), "agreed_volume", &row.id, &row), now)?;
    Ok(row.id)
}

type ViewTuple = (AgreedVolumeRow, String, String, String, String, String, String);

fn to_view(t: ViewTuple) -> AgreedVolumeView {
    let (v, hospital_name, batch_id, code, generic, spec, unit) = t;
    AgreedVolumeView {
        remaining_qty: (v.agreed_qty - v.ordered_qty).max(0),
        id: v.id,
        hospital_id: v.hospital_id,
        hospital_name,
        winning_bid_id: v.bid_id,
        batch_id,
        product_code: code,
        generic_name: generic,
        specification: spec,
        min_unit: unit,
        agreement_year: v.agreement_year,
        year_start: v.year_start,
        year_end: v.year_end,
        reported_demand: v.reported_demand,
        winners: v.winners,
        ratio: Ratio::from_bp(v.ratio_bp as u32),
        agreed_qty: v.agreed_qty,
        ordered_qty: v.ordered_qty,
        accepted_qty: 0,
    }
}

/// Accepted winning quantities per agreed volume, inside each volume's year, up to `as_of`.
pub fn accepted_per_volume(
    conn: &mut DbConnection,
    volume_ids: &[String],
    as_of: NaiveDate,
) -> DomainResult<HashMap<String, i64>> {
    if volume_ids.is_empty() {
        return Ok(HashMap::new());
    }
    use crate::schema::{acceptances, deliveries, delivery_lines, order_lines};
    let rows: Vec<(Option<String>, Option<i64>, Option<NaiveDate>)> = delivery_lines::table
        .inner_join(deliveries::table.inner_join(acceptances::table.on(acceptances::delivery_id.eq(deliveries::id))))
        .inner_join(order_lines::table)
        .filter(order_lines::agreed_volume_id.eq_any(volume_ids))
        .filter(acceptances::status.eq("confirmed"))
        .filter(acceptances::acceptance_date.le(as_of))
        .select((order_lines::agreed_volume_id, delivery_lines::accepted_qty, acceptances::acceptance_date))
        .load(conn)?;
    let windows: HashMap<String, (NaiveDate, NaiveDate)> = agreed_volumes::table
        .filter(agreed_volumes::id.eq_any(volume_ids))
        .select((agreed_volumes::id, agreed_volumes::year_start, agreed_volumes::year_end))
        .load::<(String, NaiveDate, NaiveDate)>(conn)?
        .into_iter()
        .map(|(id, s, e)| (id, (s, e)))
        .collect();
    let mut out = HashMap::new();
    for (v, qty, date) in rows {
        let (Some(v), Some(qty), Some(date)) = (v, qty, date) else { continue };
        if let Some((s, e)) = windows.get(&v) {
            if date >= *s && date <= *e {
                *out.entry(v).or_default() += qty;
            }
        }
    }
    Ok(out)
}

fn views(conn: &mut DbConnection, ids: &[String]) -> DomainResult<Vec<AgreedVolumeView>> {
    let rows: Vec<ViewTuple> = agreed_volumes::table
        .inner_join(winning_bids::table.inner_join(products::table))
        .inner_join(organizations::table.on(organizations::id.eq(agreed_volumes::hospital_id)))
        .filter(agreed_volumes::id.eq_any(ids))
        .select((
            AgreedVolumeRow::as_select(),
            organizations::name,
            winning_bids::batch_id,
            products::code,
            products::generic_name,
            products::specification,
            products::min_unit,
        ))
        .load(conn)?;
    // Every acceptance within each volume's year (a far date, written as SQLite compares text).
    let any_date = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid");
    let accepted = accepted_per_volume(conn, ids, any_date)?;
    let mut by_id: HashMap<String, AgreedVolumeView> = rows
        .into_iter()
        .map(to_view)
        .map(|mut v| {
            v.accepted_qty = accepted.get(&v.id).copied().unwrap_or(0);
            (v.id.clone(), v)
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

#[derive(Clone, Debug, Default)]
pub struct VolumeFilter {
    pub hospital_id: Option<String>,
    pub winning_bid_id: Option<String>,
    pub batch_id: Option<String>,
    pub agreement_year: Option<i16>,
}

/// Agreed volumes visible to the caller: bureau and fund their region's, a hospital its own,
/// a supplier those on its bids.
fn visible_volumes<'a>(
    actor: &Actor,
    supplier_bids: &[String],
) -> agreed_volumes::BoxedQuery<'a, crate::db::DbBackend> {
    let q = agreed_volumes::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::BureauOfficer | Role::FundOfficer => {
            q.filter(agreed_volumes::region_id.eq(actor.region_id.clone().unwrap_or_default()))
        }
        Role::HospitalBuyer => q.filter(agreed_volumes::hospital_id.eq(actor.org_id.clone())),
        Role::Supplier => q.filter(agreed_volumes::bid_id.eq_any(supplier_bids.to_vec())),
    }
}

/// The bids a supplier wins or distributes (boxed queries cannot nest, so this is loaded first).
fn supplier_bids(conn: &mut DbConnection, actor: &Actor) -> DomainResult<Vec<String>> {
    if actor.role != Role::Supplier {
        return Ok(vec![]);
    }
    Ok(visible_bids(actor).select(winning_bids::id).load(conn)?)
}

pub fn list_agreed_volumes(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &VolumeFilter,
    page: PageRequest,
) -> DomainResult<Page<AgreedVolumeView>> {
    let bids = supplier_bids(conn, actor)?;
    let build = || {
        let mut q = visible_volumes(actor, &bids);
        if let Some(v) = &filter.hospital_id {
            q = q.filter(agreed_volumes::hospital_id.eq(v.clone()));
        }
        if let Some(v) = &filter.winning_bid_id {
            q = q.filter(agreed_volumes::bid_id.eq(v.clone()));
        }
        if let Some(v) = &filter.batch_id {
            q = q.filter(
                agreed_volumes::bid_id
                    .eq_any(winning_bids::table.filter(winning_bids::batch_id.eq(v.clone())).select(winning_bids::id)),
            );
        }
        if let Some(v) = filter.agreement_year {
            q = q.filter(agreed_volumes::agreement_year.eq(v));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let ids: Vec<String> = build()
        .order((agreed_volumes::hospital_id.asc(), agreed_volumes::id.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(agreed_volumes::id)
        .load(conn)?;
    Ok(Page::new(views(conn, &ids)?, page, total))
}

pub fn get_agreed_volume(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<AgreedVolumeView> {
    let bids = supplier_bids(conn, actor)?;
    let visible: Option<String> = visible_volumes(actor, &bids)
        .filter(agreed_volumes::id.eq(id.to_string()))
        .select(agreed_volumes::id)
        .first(conn)
        .optional()?;
    let id = visible.ok_or(DomainError::not_found("agreed volume"))?;
    views(conn, &[id])?.pop().ok_or(DomainError::not_found("agreed volume"))
}

/// Consumes the quantities of an order's lines from their agreed volumes (one volume per line)
/// and tells, by volume, how much of each lies within it.
///
/// One UPDATE … RETURNING for all the lines: on PostgreSQL it locks the rows in id order until
/// commit, so concurrent orders are served one after the other and never both take the last
/// units; the figures it returns are those after this order's share.
pub fn consume(conn: &mut DbConnection, takes: &[(String, i64)]) -> DomainResult<HashMap<String, i64>> {
    #[derive(QueryableByName)]
    struct After {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        agreed_qty: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        ordered_qty: i64,
    }
    let mut update = crate::db::RowsUpdate::new("agreed_volumes").add_to("ordered_qty").lock_in_id_order();
    for (id, qty) in takes {
        update.row(id, vec![crate::db::Cell::Int(*qty)])?;
    }
    let after: Vec<After> = update.returning(conn, "id, agreed_qty, ordered_qty")?;
    let mut within = HashMap::new();
    for a in after {
        let qty = takes.iter().find(|(id, _)| *id == a.id).map(|t| t.1).unwrap_or(0);
        let before = a.ordered_qty - qty;
        within.insert(a.id, (a.agreed_qty - before).clamp(0, qty));
    }
    if within.len() != takes.len() {
        return Err(DomainError::Internal("an agreed volume vanished while an order took it".into()));
    }
    Ok(within)
}

/// Gives back the ordered units of an order declined or cancelled: (volume, quantity) per line,
/// in one UPDATE that locks the volumes in id order, as orders take them.
pub fn release(conn: &mut DbConnection, lines: &[(String, i64)]) -> DomainResult<()> {
    let mut per_volume: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for (id, qty) in lines {
        *per_volume.entry(id).or_default() -= qty;
    }
    let mut update = crate::db::RowsUpdate::new("agreed_volumes").add_to("ordered_qty").lock_in_id_order();
    for (id, back) in per_volume {
        update.row(id, vec![crate::db::Cell::Int(back)])?;
    }
    update.execute(conn)?;
    Ok(())
}

/// The hospital's agreed volumes in force on `day` of the bids among `bid_ids`, by bid id. Of two
/// in force for one bid (which the data should not hold), the first by id counts.
pub fn in_force(
    conn: &mut DbConnection,
    hospital_id: &str,
    bid_ids: &[&str],
    day: NaiveDate,
) -> DomainResult<HashMap<String, AgreedVolumeRow>> {
    if bid_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = agreed_volumes::table
        .filter(agreed_volumes::hospital_id.eq(hospital_id))
        .filter(agreed_volumes::bid_id.eq_any(bid_ids))
        .filter(agreed_volumes::year_start.le(day))
        .filter(agreed_volumes::year_end.ge(day))
        .order(agreed_volumes::id.desc())
        .select(AgreedVolumeRow::as_select())
        .load::<AgreedVolumeRow>(conn)?;
    // In descending id order, the first by id is inserted last.
    Ok(rows.into_iter().map(|v| (v.bid_id.clone(), v)).collect())
}
