//! Catalogue: products, VBP batches, winning bids and listed non-winning products.

pub mod bid_terms;
pub mod rules;
pub mod volumes;

use chrono::{DateTime, Months, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

use crate::audit::{self, AuditEntry};
use crate::clock::{shanghai_date, to_db};
use crate::credit::{self, enforce::RiskFlag};
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{escape_like, required_text, Actor, OrgKind, OrgRow, Role};
use crate::ids::new_id;
use crate::money::{Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{
    batches, bid_distributors, bid_supply_regions, listed_products, organizations, products, regions, winning_bids,
};
use crate::volumes::RatioTable;

/// Prefixes a field name with the index of an item in a bulk request: `[3].code`.
pub fn at_index(i: usize, e: DomainError) -> DomainError {
    match e {
        DomainError::Invalid(mut p) => {
            p.field = Some(format!("[{i}].{}", p.field.unwrap_or_default()));
            p.message = format!("item {i}: {}", p.message);
            DomainError::Invalid(p)
        }
        DomainError::Conflict(mut p) => {
            p.message = format!("item {i}: {}", p.message);
            DomainError::Conflict(p)
        }
        other => other,
    }
}

// ---------------------------------------------------------------- products

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Drug,
    Consumable,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Drug => "drug",
            Category::Consumable => "consumable",
        }
    }
}

/// Validates an insurance code by shape and tells its category.
///
/// Drugs: 23 characters, e.g. `XA10BAE021A010010201650` = category letter X/Z, 5-character
/// class, 4-character generic code, 4-character dosage form, then 2 (spec) + 2 (pack) + 5
/// (enterprise) digits; the older 20-character form ends in 6 digits. Consumables: `C` and 19
/// digits, e.g. `C0101010010100103941`.
pub fn classify_code(raw: &str) -> Result<(String, Category), String> {
    let code = raw.trim().to_ascii_uppercase();
    let b = code.as_bytes();
    let alnum = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    let digits = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit());
    match b.first() {
        Some(b'C') => {
            if b.len() == 20 && digits(&b[1..]) {
                Ok((code, Category::Consumable))
            } else {
                Err(format!("{raw:?} is not a consumable code: 'C' followed by 19 digits, 20 characters in all"))
            }
        }
        Some(b'X') | Some(b'Z') => {
            let head_ok = b.len() >= 14 && b[1].is_ascii_uppercase() && alnum(&b[2..14]);
            if head_ok && ((b.len() == 23 && digits(&b[14..])) || (b.len() == 20 && digits(&b[14..]))) {
                Ok((code, Category::Drug))
            } else {
                Err(format!(
                    "{raw:?} is not a drug code: X or Z, a 5-character class, 4-character generic and dosage-form codes, \
                     then 9 digits (23 characters; the older form has 20)"
                ))
            }
        }
        _ => Err(format!("{raw:?} is not an insurance code: drug codes start with X or Z, consumable codes with C")),
    }
}

/// A product's standing in generic consistency evaluation (仿制药质量和疗效一致性评价): the
/// originator (原研药), a generic that passed (通过一致性评价), or one that has not (未通过).
/// Payment standards treat a generic that has not passed differently (domain.md section 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    Originator,
    Passed,
    NotPassed,
}

impl Consistency {
    pub const ALL: [Consistency; 3] = [Consistency::Originator, Consistency::Passed, Consistency::NotPassed];
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::Originator => "originator",
            Consistency::Passed => "passed",
            Consistency::NotPassed => "not_passed",
        }
    }
    pub fn parse(s: &str) -> Option<Consistency> {
        Consistency::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = products, treat_none_as_default_value = false)]
pub struct ProductRow {
    pub id: String,
    pub code: String,
    pub category: String,
    pub generic_name: String,
    pub generic_name_en: Option<String>,
    pub dosage_form: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    /// `originator`, `passed` or `not_passed` (consistency evaluation); null when not recorded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Consistency>))]
    pub consistency: Option<String>,
}

impl ProductRow {
    /// The recorded consistency-evaluation standing, if any.
    pub fn consistency(&self) -> Option<Consistency> {
        self.consistency.as_deref().and_then(Consistency::parse)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProduct {
    pub code: String,
    pub generic_name: String,
    #[serde(default)]
    pub generic_name_en: Option<String>,
    pub dosage_form: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    /// Consistency evaluation: `originator`, `passed` or `not_passed` (optional).
    #[serde(default)]
    pub consistency: Option<Consistency>,
}

fn product_row(input: NewProduct, now: DateTime<Utc>) -> DomainResult<ProductRow> {
    let (code, category) =
        classify_code(&input.code).map_err(|m| DomainError::invalid(ErrorCode::InvalidProductCode, "code", m))?;
    if !(1..=100_000).contains(&input.pack_size) {
        return Err(DomainError::invalid(
            ErrorCode::InvalidPackSize,
            "pack_size",
            "pack size is a whole number from 1 to 100000",
        ));
    }
    Ok(ProductRow {
        id: new_id(),
        code,
        category: category.as_str().into(),
        generic_name: required_text(&input.generic_name, "generic_name", 100)?,
        generic_name_en: input.generic_name_en.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        dosage_form: required_text(&input.dosage_form, "dosage_form", 50)?,
        specification: required_text(&input.specification, "specification", 100)?,
        pack_size: input.pack_size,
        min_unit: required_text(&input.min_unit, "min_unit", 10)?,
        created_at: to_db(now),
        consistency: input.consistency.map(|c| c.as_str().to_string()),
    })
}

/// Adds products to the shared catalogue (bureau officers and admins), all or none.
pub fn create_products(
    conn: &mut DbConnection,
    actor: &Actor,
    inputs: Vec<NewProduct>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<ProductRow>> {
    actor.require(&[Role::Admin, Role::BureauOfficer], "add products to the catalogue")?;
    let rows = inputs
        .into_iter()
        .enumerate()
        .map(|(i, p)| product_row(p, now).map_err(|e| at_index(i, e)))
        .collect::<DomainResult<Vec<_>>>()?;
    write_tx(conn, |conn| {
        for (i, row) in rows.iter().enumerate() {
            diesel::insert_into(products::table).values(row).execute(conn).map_err(|e| {
                unique_conflict(e, || {
                    at_index(
                        i,
                        DomainError::conflict(
                            ErrorCode::DuplicateProduct,
                            format!("product {} already exists", row.code),
                        ),
                    )
                })
            })?;
            audit::record(conn, AuditEntry::created(actor, actor.region_id.as_deref(), "product", &row.id, row), now)?;
        }
        Ok(rows.clone())
    })
}

/// Records (or clears, with `None`) a product's consistency-evaluation standing (bureau officers
/// and admins), audited with the value before and after.
pub fn set_consistency(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    consistency: Option<Consistency>,
    now: DateTime<Utc>,
) -> DomainResult<ProductRow> {
    actor.require(&[Role::Admin, Role::BureauOfficer], "record consistency evaluation")?;
    write_tx(conn, |conn| {
        let before = get_product(conn, id)?;
        let value = consistency.map(|c| c.as_str().to_string());
        diesel::update(products::table.find(&before.id)).set(products::consistency.eq(&value)).execute(conn)?;
        bid_terms::terms_changed();
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                actor.region_id.as_deref(),
                "product",
                &before.id,
                "consistency",
                &serde_json::json!({"consistency": before.consistency}),
                &serde_json::json!({"consistency": value}),
            ),
            now,
        )?;
        get_product(conn, &before.id)
    })
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    pub q: Option<String>,
    pub category: Option<Category>,
    pub code: Option<String>,
}

/// The catalogue is shared reference data: every signed-in user may read it.
pub fn list_products(
    conn: &mut DbConnection,
    filter: &ProductFilter,
    page: PageRequest,
) -> DomainResult<Page<ProductRow>> {
    let build = || {
        let mut q = products::table.into_boxed();
        if let Some(c) = filter.category {
            q = q.filter(products::category.eq(c.as_str()));
        }
        if let Some(code) = &filter.code {
            q = q.filter(products::code.eq(code.trim().to_ascii_uppercase()));
        }
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                products::generic_name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(products::generic_name_en.like(pattern.clone()).escape('\\'))
                    .or(products::code.like(pattern).escape('\\')),
            );
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let items = build()
        .order((products::generic_name.asc(), products::code.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(ProductRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}

pub fn get_product(conn: &mut DbConnection, id: &str) -> DomainResult<ProductRow> {
    products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("product"))
}

fn product_by_code(conn: &mut DbConnection, code: &str, field: &str) -> DomainResult<ProductRow> {
    let normalized = code.trim().to_ascii_uppercase();
    products::table
        .filter(products::code.eq(&normalized))
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            DomainError::invalid(ErrorCode::UnknownProduct, field, format!("no product with code {normalized:?}"))
        })
}

// ---------------------------------------------------------------- batches

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BatchLevel {
    National,
    Provincial,
    Alliance,
}

impl BatchLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchLevel::National => "national",
            BatchLevel::Provincial => "provincial",
            BatchLevel::Alliance => "alliance",
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = batches, treat_none_as_default_value = false)]
pub struct BatchRow {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub level: String,
    pub category: String,
    pub document_no: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub volume_ratios: String,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

impl BatchRow {
    pub fn ratio_table(&self) -> DomainResult<RatioTable> {
        serde_json::from_str(&self.volume_ratios)
            .map_err(|e| DomainError::Internal(format!("batch {} has an unreadable ratio table: {e}", self.id)))
    }
    pub fn in_cycle(&self, date: NaiveDate) -> bool {
        self.cycle_start <= date && date <= self.cycle_end
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBatch {
    pub name: String,
    pub level: BatchLevel,
    pub category: Category,
    pub document_no: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    /// Agreed-volume ratio by number of winners; default 1 → 50%, 2 → 60%, 3 → 70%, 4+ → 80%.
    #[serde(default)]
    pub volume_ratios: Option<RatioTable>,
}

/// A procurement cycle lasts from one to three years.
pub fn check_cycle(start: NaiveDate, end: NaiveDate) -> DomainResult<()> {
    let min_end = start + Months::new(12) - chrono::Days::new(1);
    let max_end = start + Months::new(36) - chrono::Days::new(1);
    if end < min_end || end > max_end {
        return Err(DomainError::invalid(
            ErrorCode::InvalidCycle,
            "cycle_end",
            format!("a procurement cycle lasts 1 to 3 years: from {start}, it ends between {min_end} and {max_end}"),
        ));
    }
    Ok(())
}

pub fn create_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewBatch,
    now: DateTime<Utc>,
) -> DomainResult<BatchRow> {
    actor.require(&[Role::BureauOfficer], "load VBP batches")?;
    let region_id = actor.region()?.to_string();
    write_tx(conn, |conn| insert_batch(conn, actor, &region_id, input, now))
}

/// Writes a batch in `region_id` with its audit event (the caller holds the transaction): a
/// bureau's own load, or a tender's results in each of its supply regions.
pub(crate) fn insert_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    input: NewBatch,
    now: DateTime<Utc>,
) -> DomainResult<BatchRow> {
    let region_id = region_id.to_string();
    check_cycle(input.cycle_start, input.cycle_end)?;
    let ratios = input.volume_ratios.unwrap_or_default().validated()?;
    let row = BatchRow {
        id: new_id(),
        region_id,
        name: required_text(&input.name, "name", 200)?,
        level: input.level.as_str().into(),
        category: input.category.as_str().into(),
        document_no: required_text(&input.document_no, "document_no", 50)?,
        cycle_start: input.cycle_start,
        cycle_end: input.cycle_end,
        volume_ratios: serde_json::to_string(&ratios)?,
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
    };
    diesel::insert_into(batches::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::DuplicateBatch,
                format!("batch {} is already loaded in this region", row.document_no),
            )
        })
    })?;
    audit::record(conn, AuditEntry::created(actor, Some(&row.region_id), "batch", &row.id, &row), now)?;
    Ok(row)
}

/// Batches visible to the caller: their region's (bureau, fund, hospital), those holding one of
/// their bids (supplier), all (admin).
fn visible_batches<'a>(actor: &Actor) -> batches::BoxedQuery<'a, crate::db::DbBackend> {
    let q = batches::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::BureauOfficer | Role::FundOfficer | Role::HospitalBuyer => {
            q.filter(batches::region_id.eq(actor.region_id.clone().unwrap_or_default()))
        }
        Role::Supplier => q.filter(
            batches::id.eq_any(
                winning_bids::table
                    .filter(
                        winning_bids::enterprise_id.eq(actor.org_id.clone()).or(winning_bids::id.eq_any(
                            bid_distributors::table
                                .filter(bid_distributors::enterprise_id.eq(actor.org_id.clone()))
                                .select(bid_distributors::bid_id),
                        )),
                    )
                    .select(winning_bids::batch_id),
            ),
        ),
    }
}

pub fn list_batches(conn: &mut DbConnection, actor: &Actor, page: PageRequest) -> DomainResult<Page<BatchRow>> {
    let total = visible_batches(actor).count().get_result::<i64>(conn)?;
    let items = visible_batches(actor)
        .order((batches::cycle_start.desc(), batches::name.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(BatchRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}

pub fn get_batch(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<BatchRow> {
    visible_batches(actor)
        .filter(batches::id.eq(id.to_string()))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("batch"))
}

// ---------------------------------------------------------------- winning bids

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
fn flag<T>(
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

fn enterprise(conn: &mut DbConnection, id: &str, field: &str) -> DomainResult<OrgRow> {
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

fn check_prices(pack_price: Money, unit_price: Option<UnitPrice>, pack_size: i64) -> DomainResult<UnitPrice> {
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
    credit::enforce::check_product(conn, region_id, &winner.id, &product.id, today, "enterprise_id")?;
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
        credit::enforce::check_distribution(conn, region_id, &org.id, today, &format!("distributor_ids[{j}]"))?;
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

// ---------------------------------------------------------------- listed non-winning products

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = listed_products)]
pub struct ListedRow {
    pub id: String,
    pub region_id: String,
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
pub struct NewListedProduct {
    pub product_code: String,
    pub enterprise_id: String,
    pub pack_price: Money,
    #[serde(default)]
    pub unit_price: Option<UnitPrice>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedView {
    pub id: String,
    pub product: ProductRow,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub unit_price: UnitPrice,
    pub pack_price: Money,
    /// The listing enterprise's credit risk flag in the reader's region today.
    pub risk_flag: Option<RiskFlag>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

pub fn create_listed_products(
    conn: &mut DbConnection,
    actor: &Actor,
    inputs: Vec<NewListedProduct>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<ListedView>> {
    bureau_inserts(conn, actor, "list non-winning products", inputs, now, insert_listed, listed_views)
}

fn insert_listed(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    input: NewListedProduct,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let product = product_by_code(conn, &input.product_code, "product_code")?;
    let ent = enterprise(conn, &input.enterprise_id, "enterprise_id")?;
    let unit_price = check_prices(input.pack_price, input.unit_price, product.pack_size)?;
    credit::enforce::check_listing(conn, region_id, &ent.id, &product.id, shanghai_date(now), "enterprise_id")?;
    let region_batches = batches::table.filter(batches::region_id.eq(region_id)).select(batches::id);
    let same_generic_wins: i64 = winning_bids::table
        .inner_join(products::table)
        .filter(winning_bids::batch_id.eq_any(region_batches))
        .filter(products::generic_name.eq(&product.generic_name))
        .count()
        .get_result(conn)?;
    if same_generic_wins == 0 {
        return Err(DomainError::invalid(
            ErrorCode::NoWinningGeneric,
            "product_code",
            format!(
                "no winning bid of {} exists in this region; only alternatives to a winning generic are listed",
                product.generic_name
            ),
        ));
    }
    let region_batches = batches::table.filter(batches::region_id.eq(region_id)).select(batches::id);
    let itself_wins: i64 = winning_bids::table
        .filter(winning_bids::batch_id.eq_any(region_batches))
        .filter(winning_bids::product_id.eq(&product.id))
        .filter(winning_bids::enterprise_id.eq(&ent.id))
        .count()
        .get_result(conn)?;
    if itself_wins > 0 {
        return Err(DomainError::invalid(
            ErrorCode::ProductIsWinning,
            "product_code",
            format!("{} is a winning product here", product.code),
        ));
    }
    let row = ListedRow {
        id: new_id(),
        region_id: region_id.to_string(),
        product_id: product.id.clone(),
        enterprise_id: ent.id.clone(),
        unit_price: unit_price.ten_thousandths(),
        pack_price: input.pack_price.fen(),
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
    };
    diesel::insert_into(listed_products::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::DuplicateListedProduct,
                format!("{} by {} is already listed", product.code, ent.name),
            )
        })
    })?;
    audit::record(conn, AuditEntry::created(actor, Some(region_id), "listed_product", &row.id, &row), now)?;
    Ok(row.id)
}

fn listed_views(conn: &mut DbConnection, region_id: &str, ids: &[String]) -> DomainResult<Vec<ListedView>> {
    let rows: Vec<(ListedRow, ProductRow, OrgRow)> = listed_products::table
        .inner_join(products::table)
        .inner_join(organizations::table.on(organizations::id.eq(listed_products::enterprise_id)))
        .filter(listed_products::region_id.eq(region_id))
        .filter(listed_products::id.eq_any(ids))
        .select((ListedRow::as_select(), ProductRow::as_select(), OrgRow::as_select()))
        .load(conn)?;
    let mut by_id: HashMap<String, ListedView> = rows
        .into_iter()
        .map(|(l, p, o)| {
            (
                l.id.clone(),
                ListedView {
                    id: l.id,
                    product: p,
                    enterprise_id: o.id,
                    enterprise_name: o.name,
                    unit_price: UnitPrice::from_ten_thousandths(l.unit_price),
                    pack_price: Money::from_fen(l.pack_price),
                    risk_flag: None,
                    created_at: l.created_at,
                },
            )
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Listed products of the caller's region (bureau, fund, hospital), or the supplier's own.
pub fn list_listed(
    conn: &mut DbConnection,
    actor: &Actor,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<ListedView>> {
    let build = || {
        let q = listed_products::table.into_boxed();
        match actor.role {
            Role::Admin => q,
            Role::Supplier => q.filter(listed_products::enterprise_id.eq(actor.org_id.clone())),
            _ => q.filter(listed_products::region_id.eq(actor.region_id.clone().unwrap_or_default())),
        }
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows: Vec<(String, String)> = build()
        .order(listed_products::id.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select((listed_products::id, listed_products::region_id))
        .load(conn)?;
    let mut items = Vec::new();
    for (id, region) in rows {
        items.extend(listed_views(conn, &region, &[id])?);
    }
    flag(conn, actor.region_id.as_deref(), &mut items, shanghai_date(now), |v| (&v.enterprise_id, &mut v.risk_flag))?;
    Ok(Page::new(items, page, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drug_codes_by_shape() {
        assert_eq!(classify_code("XA10BAE021A010010201650").unwrap().1, Category::Drug);
        assert_eq!(classify_code(" xa10bae021a010010201650 ").unwrap().0, "XA10BAE021A010010201650");
        assert!(classify_code("ZA01AAA001B00101").is_err());
        assert_eq!(classify_code("XA02BCA211A001010100").unwrap().1, Category::Drug); // 20-char form
        assert!(classify_code("XA10BAE021A0100102016X0").is_err()); // letter in the numeric tail
        assert!(classify_code("X110BAE021A010010201650").is_err()); // class must start with a letter
        assert!(classify_code("YA10BAE021A010010201650").is_err());
        assert!(classify_code("XA10BAE021A01001020165").is_err()); // 22 chars
    }

    #[test]
    fn consumable_codes_by_shape() {
        assert_eq!(classify_code("C0101010010100103941").unwrap().1, Category::Consumable);
        assert!(classify_code("C010101001010010394").is_err());
        assert!(classify_code("C01010100101001039A1").is_err());
        assert!(classify_code("").is_err());
    }

    #[test]
    fn cycles_last_one_to_three_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(check_cycle(d(2025, 1, 1), d(2027, 12, 31)).is_ok());
        assert!(check_cycle(d(2025, 1, 1), d(2025, 12, 31)).is_ok());
        assert!(check_cycle(d(2025, 1, 1), d(2025, 12, 30)).is_err());
        assert!(check_cycle(d(2025, 1, 1), d(2028, 1, 1)).is_err());
    }
}
