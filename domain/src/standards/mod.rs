//! Insurance payment standards (医保支付标准, domain.md section 10): per generic and region,
//! derived from the region's winning prices by the `payment_standard` policy, versioned with
//! effective dates.
//!
//! A bureau officer computes the standards of the region's products for an effective date
//! (drafts, each recording its branch and inputs), then publishes them (immutable from then
//! on). Recomputing makes a new version; the standard in force on a date is the published one
//! with the latest effective date on or before it, and the highest version of that date. The
//! pure rules are in `rules`, rows and the scoped query in `store`.

pub mod rules;
pub mod store;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::catalog::{Consistency, ProductRow};
use crate::clock::{shanghai_date, to_db};
use crate::db::escape_like;
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::money::UnitPrice;
use crate::paging::{Page, PageRequest};
use crate::policy::params_in_force;
use crate::schema::{batches, listed_products, organizations, payment_standards, products, winning_bids};

use rules::{Branch, Candidate, ExplanationLine, GenericContext, PatientShare, PaymentStandardPolicy, Variant};
use store::StandardRow;
pub use store::StandardStatus;

/// The policy kind that holds a region's payment-standard rules.
pub const PAYMENT_STANDARD_POLICY: &str = "payment_standard";

/// Rows an export holds at most.
pub const EXPORT_LIMIT: i64 = 10_000;

// ---------------------------------------------------------------- views

/// A payment standard as readers see it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandardView {
    pub id: String,
    pub region_id: String,
    pub generic_name: String,
    pub product: ProductRow,
    pub enterprise_id: String,
    pub enterprise_name: String,
    /// `winning` (a winning bid) or `listed` (a listed non-winning product).
    pub source: String,
    /// The winning bid's or the listed product's id.
    pub source_id: String,
    pub effective_from: NaiveDate,
    pub version: i32,
    pub status: StandardStatus,
    pub branch: Branch,
    /// The glide year of a product above the threshold.
    pub glide_year: Option<i32>,
    /// Consistency evaluation as recorded when computed.
    pub consistency: Option<String>,
    /// The product's price per minimum unit.
    pub product_price: UnitPrice,
    /// The generic's lowest winning price the standard was derived from.
    pub winning_price: UnitPrice,
    /// The payment standard per minimum unit.
    pub standard: UnitPrice,
    /// What the fund reckons with: the standard, or the actual price when lower.
    pub paid_basis: UnitPrice,
    /// What the patient pays above the standard, per minimum unit.
    pub excess_per_unit: UnitPrice,
    /// The fund's share within the standard, e.g. "0.7".
    pub fund_share: String,
    pub variant: Variant,
    /// The policy version (`GET /policies`) that produced it.
    pub policy_id: String,
    pub computed_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub computed_at: NaiveDateTime,
    pub published_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub published_at: Option<NaiveDateTime>,
}

/// One standard with its explanation, line by line, and what a patient pays for a purchase.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandardDetail {
    pub standard: StandardView,
    /// The figures and rule parameters used: prices, threshold, cut, glide years, cycle year…
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub inputs: serde_json::Value,
    pub explanation: Vec<ExplanationLine>,
    /// The split of a purchase (`quantity`, default one pack) between patient and fund.
    pub patient: PatientShare,
}

fn price(v: i64) -> UnitPrice {
    UnitPrice::from_ten_thousandths(v)
}

/// Views of `rows`, in their order, with their products and enterprises loaded once.
fn views(conn: &mut DbConnection, rows: Vec<StandardRow>) -> DomainResult<Vec<StandardView>> {
    let product_ids: Vec<&str> = rows.iter().map(|r| r.product_id.as_str()).collect();
    let org_ids: Vec<&str> = rows.iter().map(|r| r.enterprise_id.as_str()).collect();
    let mut found: HashMap<String, ProductRow> = HashMap::new();
    for chunk in product_ids.chunks(500) {
        let ps: Vec<ProductRow> =
            products::table.filter(products::id.eq_any(chunk)).select(ProductRow::as_select()).load(conn)?;
        found.extend(ps.into_iter().map(|p| (p.id.clone(), p)));
    }
    let mut names: HashMap<String, String> = HashMap::new();
    for chunk in org_ids.chunks(500) {
        let os: Vec<(String, String)> = organizations::table
            .filter(organizations::id.eq_any(chunk))
            .select((organizations::id, organizations::name))
            .load(conn)?;
        names.extend(os);
    }
    rows.into_iter()
        .map(|r| {
            let product = found
                .get(&r.product_id)
                .cloned()
                .ok_or_else(|| DomainError::Internal(format!("standard {} has no product", r.id)))?;
            let standard = price(r.standard);
            let product_price = price(r.product_price);
            let basis = standard.min(product_price);
            Ok(StandardView {
                status: r.status()?,
                branch: Branch::parse(&r.branch)
                    .ok_or_else(|| DomainError::Internal(format!("standard {} has branch {:?}", r.id, r.branch)))?,
                variant: Variant::parse(&r.variant)
                    .ok_or_else(|| DomainError::Internal(format!("standard {} has variant {:?}", r.id, r.variant)))?,
                enterprise_name: names.get(&r.enterprise_id).cloned().unwrap_or_default(),
                product,
                product_price,
                winning_price: price(r.winning_price),
                standard,
                paid_basis: basis,
                excess_per_unit: price(product_price.ten_thousandths() - basis.ten_thousandths()),
                id: r.id,
                region_id: r.region_id,
                generic_name: r.generic_name,
                enterprise_id: r.enterprise_id,
                source: r.source,
                source_id: r.source_id,
                effective_from: r.effective_from,
                version: r.version,
                glide_year: r.glide_year,
                consistency: r.consistency,
                fund_share: r.fund_share,
                policy_id: r.policy_id,
                computed_by: r.computed_by,
                computed_at: r.computed_at,
                published_by: r.published_by,
                published_at: r.published_at,
            })
        })
        .collect()
}

fn view_of(conn: &mut DbConnection, row: StandardRow) -> DomainResult<StandardView> {
    views(conn, vec![row])?.pop().ok_or_else(|| DomainError::Internal("a standard's view is missing".into()))
}

// ---------------------------------------------------------------- compute

/// What to compute (bureau officer): the region's standards for an effective date.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComputeRequest {
    /// The date the standards take effect: today or later (default today).
    #[serde(default)]
    pub effective_from: Option<NaiveDate>,
    /// `national`, `fujian` or `heilongjiang` (default: the policy's `default_variant`).
    #[serde(default)]
    pub variant: Option<String>,
    /// Only this generic (通用名); default every generic with a winning bid in cycle.
    #[serde(default)]
    pub generic_name: Option<String>,
}

/// A product the region buys, as the computation sees it.
struct Offer {
    source: &'static str,
    source_id: String,
    product_id: String,
    enterprise_id: String,
    generic_name: String,
    price: i64,
    consistency: Option<String>,
}

/// A winning bid's or listed product's id, product, enterprise, unit price, generic name and
/// consistency evaluation, as loaded.
type OfferLine = (String, String, String, i64, String, Option<String>);

impl Offer {
    fn new(source: &'static str, line: OfferLine) -> Offer {
        let (source_id, product_id, enterprise_id, price, generic_name, consistency) = line;
        Offer { source, source_id, product_id, enterprise_id, generic_name, price, consistency }
    }
}

/// Computes draft standards for every product of the region's generics that have a winning bid
/// in cycle on the effective date: the winning products and the listed non-winning ones. Each
/// is a new version of its product's standard for that date; earlier drafts of the same date
/// become superseded (published ones never change). One transaction, audited.
pub fn compute(
    conn: &mut DbConnection,
    actor: &Actor,
    input: ComputeRequest,
    now: DateTime<Utc>,
) -> DomainResult<Vec<StandardView>> {
    actor.require(&[Role::BureauOfficer], "compute payment standards")?;
    let region_id = actor.region()?.to_string();
    let today = shanghai_date(now);
    let effective = input.effective_from.unwrap_or(today);
    if effective < today {
        return Err(DomainError::invalid(
            ErrorCode::RetroactiveStandard,
            "effective_from",
            format!("payment standards take effect today ({today}) or later, never in the past"),
        ));
    }
    let generic_filter = input.generic_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    write_tx(conn, |conn| {
        let (policy, policy_id): (PaymentStandardPolicy, String) =
            params_in_force(conn, &region_id, PAYMENT_STANDARD_POLICY, effective)?;
        let variant = match input.variant.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => policy.default_variant,
            Some(name) => Variant::parse(name).ok_or_else(|| {
                DomainError::invalid(
                    ErrorCode::UnknownStandardVariant,
                    "variant",
                    format!("no payment-standard variant {name:?}: national, fujian or heilongjiang"),
                )
            })?,
        };

        // Load: the winning bids in cycle on the effective date and the listed products.
        let mut bid_query = winning_bids::table
            .inner_join(batches::table)
            .inner_join(products::table)
            .filter(batches::region_id.eq(&region_id))
            .filter(batches::cycle_start.le(effective))
            .filter(batches::cycle_end.ge(effective))
            .into_boxed();
        if let Some(g) = &generic_filter {
            bid_query = bid_query.filter(products::generic_name.eq(g.clone()));
        }
        type BidLine = (String, String, String, i64, String, NaiveDate, Option<String>);
        let bids: Vec<BidLine> = bid_query
            .order(winning_bids::id.asc())
            .select((
                winning_bids::id,
                winning_bids::product_id,
                winning_bids::enterprise_id,
                winning_bids::unit_price,
                products::generic_name,
                batches::cycle_start,
                products::consistency,
            ))
            .load(conn)?;
        let mut contexts: BTreeMap<String, (i64, NaiveDate)> = BTreeMap::new();
        let mut offers: Vec<Offer> = Vec::new();
        for (id, product_id, enterprise_id, unit_price, generic, cycle_start, consistency) in bids {
            let ctx = contexts.entry(generic.clone()).or_insert((unit_price, cycle_start));
            ctx.0 = ctx.0.min(unit_price);
            ctx.1 = ctx.1.min(cycle_start);
            // One standard per product and enterprise: a product winning in two batches keeps
            // its lower price.
            match offers.iter_mut().find(|o| o.product_id == product_id && o.enterprise_id == enterprise_id) {
                Some(o) if o.price <= unit_price => {}
                Some(o) => {
                    o.price = unit_price;
                    o.source_id = id;
                }
                None => offers
                    .push(Offer::new("winning", (id, product_id, enterprise_id, unit_price, generic, consistency))),
            }
        }
        let listed: Vec<OfferLine> = listed_products::table
            .inner_join(products::table)
            .filter(listed_products::region_id.eq(&region_id))
            .order(listed_products::id.asc())
            .select((
                listed_products::id,
                listed_products::product_id,
                listed_products::enterprise_id,
                listed_products::unit_price,
                products::generic_name,
                products::consistency,
            ))
            .load(conn)?;
        for (id, product_id, enterprise_id, unit_price, generic, consistency) in listed {
            if !contexts.contains_key(&generic)
                || offers.iter().any(|o| o.product_id == product_id && o.enterprise_id == enterprise_id)
            {
                continue;
            }
            offers.push(Offer::new("listed", (id, product_id, enterprise_id, unit_price, generic, consistency)));
        }
        if offers.is_empty() {
            return Err(DomainError::conflict(
                ErrorCode::NothingToCompute,
                format!("no winning bid of this region is in its cycle on {effective}: there is nothing to derive standards from"),
            ));
        }

        // Decide (pure), then write every row and its audit event.
        let params = serde_json::to_value(&policy)?;
        let mut rows = Vec::with_capacity(offers.len());
        for o in offers {
            let (winning, cycle_start) = contexts[&o.generic_name];
            let cycle_year = rules::cycle_year(cycle_start, effective);
            let g = GenericContext { winning_price: price(winning), cycle_year };
            let consistency = o.consistency.as_deref().and_then(Consistency::parse);
            let c = Candidate { winning: o.source == "winning", price: price(o.price), consistency };
            let d = rules::decide(&policy, variant, g, c);
            let inputs = serde_json::json!({
                "variant": variant,
                "product_price": price(o.price),
                "winning_price": g.winning_price,
                "cycle_start": cycle_start,
                "cycle_year": cycle_year,
                "consistency": o.consistency,
                "policy_id": policy_id,
                "policy": params,
            });
            rows.push(StandardRow {
                id: new_id(),
                region_id: region_id.clone(),
                generic_name: o.generic_name,
                product_id: o.product_id,
                enterprise_id: o.enterprise_id,
                source: o.source.into(),
                source_id: o.source_id,
                effective_from: effective,
                version: 0,
                status: StandardStatus::Draft.as_str().into(),
                branch: d.branch.as_str().into(),
                glide_year: d.glide_year.map(|y| y as i32),
                consistency: o.consistency,
                product_price: o.price,
                winning_price: winning,
                standard: d.standard.ten_thousandths(),
                fund_share: d.fund_share.normalize().to_string(),
                variant: variant.as_str().into(),
                policy_id: policy_id.clone(),
                inputs: inputs.to_string(),
                explanation: serde_json::to_string(&d.explanation)?,
                computed_by: actor.user_id.clone(),
                computed_at: to_db(now),
                published_by: None,
                published_at: None,
            });
        }
        let mut superseded = Vec::new();
        for row in rows.iter_mut() {
            row.version = store::last_version(conn, &region_id, &row.product_id, &row.enterprise_id, effective)? + 1;
            let drafts: Vec<String> = payment_standards::table
                .filter(payment_standards::region_id.eq(&region_id))
                .filter(payment_standards::product_id.eq(&row.product_id))
                .filter(payment_standards::enterprise_id.eq(&row.enterprise_id))
                .filter(payment_standards::effective_from.eq(effective))
                .filter(payment_standards::status.eq(StandardStatus::Draft.as_str()))
                .select(payment_standards::id)
                .load(conn)?;
            if !drafts.is_empty() {
                diesel::update(payment_standards::table.filter(payment_standards::id.eq_any(&drafts)))
                    .set(payment_standards::status.eq(StandardStatus::Superseded.as_str()))
                    .execute(conn)?;
                superseded.extend(drafts.into_iter().map(|id| (id, row.id.clone())));
            }
        }
        for chunk in rows.chunks(500) {
            crate::db::insert_rows!(&mut *conn, payment_standards::table, chunk).map_err(|e| {
                crate::db::unique_conflict(e, || {
                    DomainError::conflict(
                        ErrorCode::ConcurrentComputation,
                        "another computation ran at the same time; retry",
                    )
                })
            })?;
        }
        let snapshots: Vec<serde_json::Value> = rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "generic_name": r.generic_name, "product_id": r.product_id, "enterprise_id": r.enterprise_id,
                    "effective_from": r.effective_from, "version": r.version, "branch": r.branch,
                    "glide_year": r.glide_year, "product_price": price(r.product_price),
                    "winning_price": price(r.winning_price), "standard": price(r.standard),
                    "fund_share": r.fund_share, "variant": r.variant, "policy_id": r.policy_id,
                })
            })
            .collect();
        let mut events: Vec<AuditEntry> = rows
            .iter()
            .zip(&snapshots)
            .map(|(r, s)| AuditEntry::created(actor, Some(&region_id), "payment_standard", &r.id, s).first_event())
            .collect();
        let old = serde_json::json!({"status": StandardStatus::Draft.as_str()});
        let by: Vec<serde_json::Value> = superseded
            .iter()
            .map(|(_, by)| serde_json::json!({"status": StandardStatus::Superseded.as_str(), "by": by}))
            .collect();
        for ((id, _), after) in superseded.iter().zip(&by) {
            events.push(AuditEntry::changed(actor, Some(&region_id), "payment_standard", id, "supersede", &old, after));
        }
        audit::record_many(conn, events, now)?;
        let mut out = views(conn, rows)?;
        out.sort_by(|a, b| (&a.generic_name, &a.product.code).cmp(&(&b.generic_name, &b.product.code)));
        Ok(out)
    })
}

// ---------------------------------------------------------------- publish

fn publish_rows(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    ids: &[String],
    now: DateTime<Utc>,
) -> DomainResult<usize> {
    let mut published = 0;
    for chunk in ids.chunks(500) {
        published += diesel::update(
            payment_standards::table
                .filter(payment_standards::id.eq_any(chunk))
                .filter(payment_standards::status.eq(StandardStatus::Draft.as_str())),
        )
        .set((
            payment_standards::status.eq(StandardStatus::Published.as_str()),
            payment_standards::published_by.eq(&actor.user_id),
            payment_standards::published_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    }
    if published != ids.len() {
        return Err(DomainError::conflict(
            ErrorCode::StandardNotDraft,
            "a standard was published or replaced meanwhile; reload and try again",
        ));
    }
    let before = serde_json::json!({"status": StandardStatus::Draft.as_str()});
    let after = serde_json::json!({"status": StandardStatus::Published.as_str()});
    let events = ids
        .iter()
        .map(|id| AuditEntry::changed(actor, Some(region_id), "payment_standard", id, "publish", &before, &after))
        .collect();
    audit::record_many(conn, events, now)?;
    Ok(published)
}

fn check_publishable(row: &StandardRow, today: NaiveDate) -> DomainResult<()> {
    match row.status()? {
        StandardStatus::Draft => {}
        StandardStatus::Published => {
            return Err(DomainError::conflict(
                ErrorCode::AlreadyPublished,
                "this standard is published and cannot change",
            ))
        }
        StandardStatus::Superseded => {
            return Err(DomainError::conflict(
                ErrorCode::StandardSuperseded,
                "a later computation replaced this draft; publish the latest version",
            ))
        }
    }
    if row.effective_from < today {
        return Err(DomainError::conflict(
            ErrorCode::EffectiveDatePassed,
            format!("this draft was to take effect on {}, which has passed; compute again", row.effective_from),
        ));
    }
    Ok(())
}

/// Publishes one draft standard (bureau officer): from then on it is immutable. Audited.
pub fn publish(conn: &mut DbConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> DomainResult<StandardView> {
    write_tx(conn, |conn| {
        let row = store::own_standard(conn, actor, id, "publish payment standards")?;
        check_publishable(&row, shanghai_date(now))?;
        publish_rows(conn, actor, &row.region_id, std::slice::from_ref(&row.id), now)?;
        let row = store::visible_standard(conn, actor, &row.id)?;
        view_of(conn, row)
    })
}

/// Which drafts to publish at once.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublishRequest {
    /// Every current draft of the region that takes effect on this date.
    pub effective_from: NaiveDate,
}

/// Publishes every draft of the region for an effective date, all or none. Audited.
pub fn publish_all(
    conn: &mut DbConnection,
    actor: &Actor,
    input: PublishRequest,
    now: DateTime<Utc>,
) -> DomainResult<Vec<StandardView>> {
    actor.require(&[Role::BureauOfficer], "publish payment standards")?;
    let region_id = actor.region()?.to_string();
    write_tx(conn, |conn| {
        let drafts: Vec<StandardRow> = store::visible(actor)
            .filter(payment_standards::effective_from.eq(input.effective_from))
            .filter(payment_standards::status.eq(StandardStatus::Draft.as_str()))
            .order((payment_standards::generic_name.asc(), payment_standards::product_id.asc()))
            .select(StandardRow::as_select())
            .load(conn)?;
        if drafts.is_empty() {
            return Err(DomainError::conflict(
                ErrorCode::NothingToPublish,
                format!("no draft standard takes effect on {}", input.effective_from),
            ));
        }
        let today = shanghai_date(now);
        for d in &drafts {
            check_publishable(d, today)?;
        }
        let ids: Vec<String> = drafts.iter().map(|d| d.id.clone()).collect();
        publish_rows(conn, actor, &region_id, &ids, now)?;
        let rows: Vec<StandardRow> = payment_standards::table
            .filter(payment_standards::id.eq_any(&ids))
            .order((payment_standards::generic_name.asc(), payment_standards::product_id.asc()))
            .select(StandardRow::as_select())
            .load(conn)?;
        views(conn, rows)
    })
}

// ---------------------------------------------------------------- reads

#[derive(Clone, Debug, Default)]
pub struct StandardFilter {
    /// Part of the generic name or of the product code.
    pub q: Option<String>,
    pub product_id: Option<String>,
    pub status: Option<StandardStatus>,
    /// Standards that take effect on this date.
    pub effective_from: Option<NaiveDate>,
    /// Only the published standards in force on this date (one per product).
    pub in_force_on: Option<NaiveDate>,
}

fn filtered<'a>(
    mut q: payment_standards::BoxedQuery<'a, crate::db::DbBackend>,
    filter: &StandardFilter,
) -> payment_standards::BoxedQuery<'a, crate::db::DbBackend> {
    if let Some(p) = filter.product_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(payment_standards::product_id.eq(p.to_string()));
    }
    if let Some(s) = filter.status {
        q = q.filter(payment_standards::status.eq(s.as_str()));
    }
    if let Some(d) = filter.effective_from {
        q = q.filter(payment_standards::effective_from.eq(d));
    }
    if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(text));
        q = q.filter(
            payment_standards::generic_name.like(pattern.clone()).escape('\\').or(payment_standards::product_id
                .eq_any(products::table.filter(products::code.like(pattern).escape('\\')).select(products::id))),
        );
    }
    q
}

/// Of published rows, the one in force on `date` per product and enterprise: the latest
/// effective date on or before it, then the highest version.
fn latest_in_force(rows: Vec<StandardRow>, date: NaiveDate) -> Vec<StandardRow> {
    let mut best: BTreeMap<(String, String), StandardRow> = BTreeMap::new();
    for r in rows.into_iter().filter(|r| r.effective_from <= date && r.status == StandardStatus::Published.as_str()) {
        let key = (r.product_id.clone(), r.enterprise_id.clone());
        match best.get(&key) {
            Some(b) if (b.effective_from, b.version) >= (r.effective_from, r.version) => {}
            _ => {
                best.insert(key, r);
            }
        }
    }
    let mut out: Vec<StandardRow> = best.into_values().collect();
    out.sort_by(|a, b| {
        (&a.region_id, &a.generic_name, &a.product_id).cmp(&(&b.region_id, &b.generic_name, &b.product_id))
    });
    out
}

fn page_of(conn: &mut DbConnection, rows: Vec<StandardRow>, page: PageRequest) -> DomainResult<Page<StandardView>> {
    let total = rows.len() as i64;
    let shown: Vec<StandardRow> =
        rows.into_iter().skip(page.offset().max(0) as usize).take(page.per_page.max(0) as usize).collect();
    Ok(Page::new(views(conn, shown)?, page, total))
}

/// Standards the caller may see, newest effective date first; or, with `in_force_on`, the one
/// in force per product on that date.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &StandardFilter,
    page: PageRequest,
) -> DomainResult<Page<StandardView>> {
    if let Some(date) = filter.in_force_on {
        let rows: Vec<StandardRow> = filtered(store::visible(actor), filter)
            .filter(payment_standards::status.eq(StandardStatus::Published.as_str()))
            .filter(payment_standards::effective_from.le(date))
            .select(StandardRow::as_select())
            .load(conn)?;
        return page_of(conn, latest_in_force(rows, date), page);
    }
    let total = filtered(store::visible(actor), filter).count().get_result::<i64>(conn)?;
    let rows: Vec<StandardRow> = filtered(store::visible(actor), filter)
        .order((
            payment_standards::effective_from.desc(),
            payment_standards::generic_name.asc(),
            payment_standards::product_id.asc(),
            payment_standards::version.desc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select(StandardRow::as_select())
        .load(conn)?;
    Ok(Page::new(views(conn, rows)?, page, total))
}

/// Everything `list` would show, up to [`EXPORT_LIMIT`] rows (for the CSV and XLSX exports).
pub fn export(conn: &mut DbConnection, actor: &Actor, filter: &StandardFilter) -> DomainResult<Vec<StandardView>> {
    Ok(list(conn, actor, filter, PageRequest { page: 1, per_page: EXPORT_LIMIT })?.items)
}

/// One standard with its explanation and the split of a purchase of `quantity` minimum units
/// (default one pack) between the patient and the fund.
pub fn get(conn: &mut DbConnection, actor: &Actor, id: &str, quantity: Option<i64>) -> DomainResult<StandardDetail> {
    let row = store::visible_standard(conn, actor, id)?;
    let inputs: serde_json::Value = serde_json::from_str(&row.inputs)
        .map_err(|e| DomainError::Internal(format!("standard {} has unreadable inputs: {e}", row.id)))?;
    let explanation: Vec<ExplanationLine> = serde_json::from_str(&row.explanation)
        .map_err(|e| DomainError::Internal(format!("standard {} has an unreadable explanation: {e}", row.id)))?;
    let fund_share = Decimal::from_str(&row.fund_share)
        .map_err(|e| DomainError::Internal(format!("standard {} has fund share {:?}: {e}", row.id, row.fund_share)))?;
    let view = view_of(conn, row)?;
    let quantity = quantity.unwrap_or(view.product.pack_size);
    // A bound on the purchase keeps every figure within what money holds (a fen count in i64).
    let too_dear = view.product_price.extend(quantity.clamp(0, 10_000_000)) > Decimal::from(1_000_000_000_000i64);
    if !(1..=10_000_000).contains(&quantity) || too_dear {
        return Err(DomainError::invalid(
            ErrorCode::InvalidQuantity,
            "quantity",
            "the quantity is 1 to 10000000 minimum units, and the purchase at most 1000000000000 yuan",
        ));
    }
    let patient = rules::patient_share(view.product_price, view.standard, fund_share, quantity);
    Ok(StandardDetail { standard: view, inputs, explanation, patient })
}

/// The published standards in force in the caller's region on `date` (the JSON feed for
/// hospital and insurance systems, and the hospitals' catalogue).
pub fn feed(
    conn: &mut DbConnection,
    actor: &Actor,
    date: NaiveDate,
    page: PageRequest,
) -> DomainResult<Page<StandardView>> {
    actor.require(
        &[Role::BureauOfficer, Role::FundOfficer, Role::HospitalBuyer],
        "read a region's payment-standard feed",
    )?;
    let region_id = actor.region()?.to_string();
    published_in_force(conn, &region_id, date, page)
}

/// The published standards of a region in force on `date`, one per product, by generic: what
/// the public disclosure site shows (no caller: published standards are public).
pub fn published_in_force(
    conn: &mut DbConnection,
    region_id: &str,
    date: NaiveDate,
    page: PageRequest,
) -> DomainResult<Page<StandardView>> {
    let rows: Vec<StandardRow> = payment_standards::table
        .filter(payment_standards::region_id.eq(region_id))
        .filter(payment_standards::status.eq(StandardStatus::Published.as_str()))
        .filter(payment_standards::effective_from.le(date))
        .select(StandardRow::as_select())
        .load(conn)?;
    page_of(conn, latest_in_force(rows, date), page)
}
