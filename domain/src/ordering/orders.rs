//! Orders: a hospital orders winning products at the winning price (or listed non-winning
//! products at their listed price); the supplier confirms or declines. Status follows the
//! documents and every change is kept in the order's status history.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::audit::{self, AuditEntry};
use crate::catalog::{self, bid_terms::BidTerms, region_codes, ListedRow, OrgRef, ProductRow};
use crate::clock::{shanghai_date, to_db};
use crate::credit;
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::identity::{escape_like, Actor, OrgNames, Role};
use crate::ids::{document_no, new_id};
use crate::money::{amount_of, Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{listed_products, order_lines, orders, organizations, products};
use crate::volumes;

pub use super::rules::{derive_status, LineProgress, OrderStatus, Shipments};
use super::store::find_visible_order as find_visible;
pub(crate) use super::store::{order_state, visible_orders, OrderState};
pub use super::store::{OrderLineRow, OrderRow};

pub const MAX_LINES: usize = 200;

// ---------------------------------------------------------------- input

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrderLine {
    #[serde(default)]
    pub winning_bid_id: Option<String>,
    #[serde(default)]
    pub listed_product_id: Option<String>,
    /// In minimum units (片/粒/支…), a whole number of packs.
    pub quantity: i64,
    /// The price the hospital expects to pay per minimum unit: must be the winning (or listed) price.
    pub unit_price: UnitPrice,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrder {
    pub supplier_id: String,
    #[serde(default)]
    pub note: Option<String>,
    pub lines: Vec<NewOrderLine>,
}

// ---------------------------------------------------------------- views

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductBrief {
    pub id: String,
    pub code: String,
    pub generic_name: String,
    pub dosage_form: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
}

impl From<ProductRow> for ProductBrief {
    fn from(p: ProductRow) -> Self {
        ProductBrief {
            id: p.id,
            code: p.code,
            generic_name: p.generic_name,
            dosage_form: p.dosage_form,
            specification: p.specification,
            pack_size: p.pack_size,
            min_unit: p.min_unit,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLineView {
    pub id: String,
    pub line_no: i32,
    pub kind: String,
    pub winning_bid_id: Option<String>,
    pub listed_product_id: Option<String>,
    pub agreed_volume_id: Option<String>,
    pub product: ProductBrief,
    pub unit_price: UnitPrice,
    pub quantity: i64,
    pub in_volume_qty: i64,
    pub above_volume_qty: i64,
    pub amount: Money,
    pub shipped_qty: i64,
    pub in_transit_qty: i64,
    pub accepted_qty: i64,
    pub rejected_qty: i64,
    pub open_qty: i64,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub from_status: Option<String>,
    pub to_status: String,
    pub actor_user_id: String,
    /// "显示名 (username)" of the user who made the change.
    pub actor_name: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub at: NaiveDateTime,
    pub note: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderSummary {
    pub id: String,
    pub order_no: String,
    pub status: OrderStatus,
    pub hospital: OrgRef,
    pub supplier: OrgRef,
    pub total_amount: Money,
    pub line_count: i64,
    pub note: Option<String>,
    pub decline_reason: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderView {
    #[serde(flatten)]
    pub summary: OrderSummary,
    pub lines: Vec<OrderLineView>,
    pub history: Vec<StatusChange>,
}

// ---------------------------------------------------------------- place

struct PricedLine {
    row: OrderLineRow,
    product: ProductRow,
}

/// What pricing an order's winning lines needs: each bid's terms (kept in the process, see
/// [`catalog::bid_terms`]) and the hospital's agreed volume of each bid in force today.
#[derive(Default)]
struct WinningFacts {
    bids: HashMap<String, Arc<BidTerms>>,
    volumes: HashMap<String, volumes::AgreedVolumeRow>,
}

fn winning_facts(
    conn: &mut DbConnection,
    region_id: &str,
    hospital_id: &str,
    bid_ids: &[&str],
    today: NaiveDate,
) -> DomainResult<WinningFacts> {
    if bid_ids.is_empty() {
        return Ok(WinningFacts::default());
    }
    let bids = catalog::bid_terms::bid_terms(conn, region_id, bid_ids)?;
    let known: Vec<&str> = bids.keys().map(String::as_str).collect();
    let volumes = volumes::in_force(conn, hospital_id, &known, today)?;
    Ok(WinningFacts { bids, volumes })
}

fn invalid_line(i: usize, field: &str, code: ErrorCode, message: String) -> DomainError {
    DomainError::Invalid(Problem::new(code, format!("line {}: {message}", i + 1)).field(format!("lines[{i}].{field}")))
}

/// Refuses the first line that asks for more than the order-limit policy in force allows.
fn check_line_limits(
    conn: &mut DbConnection,
    region_id: &str,
    priced: &[PricedLine],
    agreed: &[Option<volumes::AgreedVolumeRow>],
    today: NaiveDate,
) -> DomainResult<()> {
    let (policy, policy_id): (super::rules::OrderLimitPolicy, String) =
        crate::policy::params_in_force(conn, region_id, super::rules::ORDER_LIMIT_POLICY, today)?;
    for (i, (p, volume)) in priced.iter().zip(agreed).enumerate() {
        let (pack_size, unit) = (p.product.pack_size, p.product.min_unit.clone());
        let annual = volume.as_ref().map(|v| v.agreed_qty);
        let limit = policy.line_limit(annual, pack_size);
        if p.row.quantity > limit {
            let why = match annual {
                Some(a) => format!("{} times the year's agreed volume of {a} {unit}", policy.max_multiple_of_agreed),
                None => format!("{} packs for a product without an agreed volume", policy.max_packs_without_volume),
            };
            return Err(invalid_line(
                i,
                "quantity",
                ErrorCode::QuantityBeyondLimit,
                format!("{} {unit} is more than one line may order ({limit} {unit}: {why})", p.row.quantity),
            )
            .with_details(serde_json::json!({
                "line": i + 1,
                "quantity": p.row.quantity,
                "limit": limit,
                "limit_packs": limit / pack_size.max(1),
                "unit": unit,
                "annual_agreed": annual,
                "policy_id": policy_id,
            })));
        }
    }
    Ok(())
}

pub fn place_order(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewOrder,
    now: DateTime<Utc>,
) -> DomainResult<OrderView> {
    actor.require(&[Role::HospitalBuyer], "place orders")?;
    let region_id = actor.region()?.to_string();
    if input.lines.is_empty() {
        return Err(DomainError::invalid(ErrorCode::LinesRequired, "lines", "an order has at least one line"));
    }
    if input.lines.len() > MAX_LINES {
        return Err(DomainError::invalid(
            ErrorCode::TooManyLines,
            "lines",
            format!("an order has at most {MAX_LINES} lines"),
        ));
    }
    let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if note.as_deref().is_some_and(|n| n.chars().count() > 500) {
        return Err(DomainError::invalid(ErrorCode::TooLong, "note", "the note is longer than 500 characters"));
    }
    let today = shanghai_date(now);
    write_tx(conn, |conn| {
        let supplier_id = input.supplier_id.trim().to_string();
        let hospital_codes = region_codes(conn, &region_id)?;
        let bid_ids: Vec<&str> =
            input.lines.iter().filter_map(|l| l.winning_bid_id.as_deref()).map(str::trim).collect();
        let facts = winning_facts(conn, &region_id, &actor.org_id, &bid_ids, today)?;
        // A supplier that every line's winning bid allows is an enterprise of the catalogue;
        // any other is looked up, and refused first when there is no such enterprise.
        let vouched = input.lines.iter().all(|l| {
            l.listed_product_id.is_none()
                && l.winning_bid_id
                    .as_deref()
                    .and_then(|b| facts.bids.get(b.trim()))
                    .is_some_and(|terms| terms.allowed().contains(&supplier_id))
        });
        if !vouched {
            organizations::table
                .find(&supplier_id)
                .filter(organizations::kind.eq("enterprise"))
                .select(organizations::id)
                .first::<String>(conn)
                .optional()?
                .ok_or_else(|| DomainError::invalid(ErrorCode::UnknownSupplier, "supplier_id", "no such supplier"))?;
        }
        let order_id = new_id();
        let mut priced = Vec::with_capacity(input.lines.len());
        let mut parties = Vec::with_capacity(input.lines.len());
        let mut seen = HashSet::new();
        for (i, line) in input.lines.iter().enumerate() {
            let source = match (&line.winning_bid_id, &line.listed_product_id) {
                (Some(b), None) => b.trim().to_string(),
                (None, Some(l)) => l.trim().to_string(),
                _ => {
                    return Err(invalid_line(
                        i,
                        "winning_bid_id",
                        ErrorCode::LineSource,
                        "name exactly one of winning_bid_id or listed_product_id".into(),
                    ))
                }
            };
            if !seen.insert(source.clone()) {
                return Err(invalid_line(
                    i,
                    "winning_bid_id",
                    ErrorCode::DuplicateLine,
                    "the same product is ordered twice; use one line".into(),
                ));
            }
            let (row, owner, product) = if line.winning_bid_id.is_some() {
                price_winning_line(&facts, i, line, &source, &order_id, &hospital_codes, &supplier_id, today)?
            } else {
                price_listed_line(conn, i, line, &source, &order_id, &region_id, &supplier_id)?
            };
            let field = if line.winning_bid_id.is_some() { "winning_bid_id" } else { "listed_product_id" };
            parties.push(credit::enforce::OrderLineParty {
                field: format!("lines[{i}].{field}"),
                enterprise_id: owner,
                product_id: row.product_id.clone(),
            });
            priced.push(PricedLine { row, product });
        }
        // Credit measures in force refuse new orders only: confirmed orders still ship.
        credit::enforce::check_order(conn, &region_id, &supplier_id, &parties, today)?;
        for (i, p) in priced.iter_mut().enumerate() {
            p.row.line_no = (i + 1) as i32;
        }
        // A line beyond the region's sanity limit (a multiple of the year's agreed volume, or
        // so many packs without one) is refused as the typing error it almost surely is.
        let mut in_force = facts.volumes;
        let agreed: Vec<Option<volumes::AgreedVolumeRow>> =
            priced.iter().map(|p| p.row.bid_id.as_ref().and_then(|b| in_force.remove(b))).collect();
        check_line_limits(conn, &region_id, &priced, &agreed, today)?;
        // Volumes are consumed after every line is known good, in the order of the volumes' ids,
        // so that concurrent orders lock the rows in one order and cannot deadlock. A winning
        // line without an agreed volume this year is all above volume (as priced).
        let consumption: Vec<(String, usize)> =
            agreed.into_iter().enumerate().filter_map(|(i, v)| v.map(|v| (v.id, i))).collect();
        let takes: Vec<(String, i64)> = consumption.iter().map(|(v, i)| (v.clone(), priced[*i].row.quantity)).collect();
        let within = volumes::consume(conn, &takes)?;
        for (volume_id, i) in consumption {
            let line = &mut priced[i].row;
            let within = within.get(&volume_id).copied().unwrap_or(0);
            line.agreed_volume_id = Some(volume_id);
            line.in_volume_qty = within;
            line.above_volume_qty = line.quantity - within;
        }
        let total =
            amount_of(priced.iter().map(|p| (p.row.quantity, UnitPrice::from_ten_thousandths(p.row.unit_price))));
        let order = OrderRow {
            id: order_id.clone(),
            order_no: document_no("PO", now),
            region_id: region_id.clone(),
            hospital_id: actor.org_id.clone(),
            supplier_id: supplier_id.clone(),
            status: OrderStatus::Submitted,
            total_amount: total.fen(),
            note: note.clone(),
            decline_reason: None,
            created_by: actor.user_id.clone(),
            created_at: to_db(now),
            updated_at: to_db(now),
        };
        diesel::insert_into(orders::table).values(&order).execute(conn)?;
        let (lines, products): (Vec<OrderLineRow>, Vec<ProductRow>) =
            priced.into_iter().map(|p| (p.row, p.product)).unzip();
        crate::db::insert_rows!(&mut *conn, order_lines::table, &lines, reused)?;
        let placed = audit::append(
            conn,
            AuditEntry::created(
                actor,
                Some(&region_id),
                "order",
                &order.id,
                &serde_json::json!({"order": &order, "lines": &lines}),
            )
            .first_event(),
            now,
        )?;
        // The answer is made from the rows just written: a new order has shipped nothing.
        let lines = lines.into_iter().zip(products).collect();
        let placed = status_change(&placed, Some(actor.label())).into_iter().collect();
        assemble_view(conn, order, lines, HashMap::new(), placed)
    })
}

#[allow(clippy::too_many_arguments)]
fn price_winning_line(
    facts: &WinningFacts,
    i: usize,
    line: &NewOrderLine,
    bid_id: &str,
    order_id: &str,
    hospital_codes: &[String],
    supplier_id: &str,
    today: NaiveDate,
) -> DomainResult<(OrderLineRow, String, ProductRow)> {
    let terms = facts.bids.get(bid_id).ok_or_else(|| {
        invalid_line(i, "winning_bid_id", ErrorCode::UnknownBid, "no such winning bid in your region".into())
    })?;
    let BidTerms { bid, batch, product, .. } = &**terms;
    if !batch.in_cycle(today) {
        return Err(invalid_line(
            i,
            "winning_bid_id",
            ErrorCode::OutsideCycle,
            format!(
                "{} can be ordered only from {} to {}; today is {today}",
                batch.name, batch.cycle_start, batch.cycle_end
            ),
        ));
    }
    if !terms.supplies(hospital_codes) {
        return Err(invalid_line(
            i,
            "winning_bid_id",
            ErrorCode::RegionNotSupplied,
            format!("this winning bid does not supply your region ({})", hospital_codes.join("/")),
        ));
    }
    let expected = UnitPrice::from_ten_thousandths(bid.unit_price);
    check_price_and_quantity(i, line, expected, product, "winning")?;
    let allowed = terms.allowed();
    if !allowed.iter().any(|a| a == supplier_id) {
        return Err(invalid_line(
            i,
            "winning_bid_id",
            ErrorCode::SupplierNotAssigned,
            "the chosen supplier is not assigned to deliver this winning product".into(),
        )
        .with_details(serde_json::json!({ "allowed_supplier_ids": allowed })));
    }
    let line_row = new_line(order_id, LineSource::Winning(bid.id.clone()), &product.id, expected, line.quantity);
    Ok((line_row, bid.enterprise_id.clone(), product.clone()))
}

fn price_listed_line(
    conn: &mut DbConnection,
    i: usize,
    line: &NewOrderLine,
    listed_id: &str,
    order_id: &str,
    region_id: &str,
    supplier_id: &str,
) -> DomainResult<(OrderLineRow, String, ProductRow)> {
    let found: Option<(ListedRow, ProductRow)> = listed_products::table
        .inner_join(products::table)
        .filter(listed_products::id.eq(listed_id))
        .filter(listed_products::region_id.eq(region_id))
        .select((ListedRow::as_select(), ProductRow::as_select()))
        .first(conn)
        .optional()?;
    let (listed, product) = found.ok_or_else(|| {
        invalid_line(
            i,
            "listed_product_id",
            ErrorCode::UnknownListedProduct,
            "no such listed product in your region".into(),
        )
    })?;
    let expected = UnitPrice::from_ten_thousandths(listed.unit_price);
    check_price_and_quantity(i, line, expected, &product, "listed")?;
    if listed.enterprise_id != supplier_id {
        return Err(invalid_line(
            i,
            "listed_product_id",
            ErrorCode::SupplierNotAssigned,
            "a listed product is ordered from the enterprise that listed it".into(),
        ));
    }
    let owner = listed.enterprise_id.clone();
    let line_row = new_line(order_id, LineSource::Listed(listed.id), &product.id, expected, line.quantity);
    Ok((line_row, owner, product))
}

/// What an order line buys: a winning bid, or a listed (non-winning) product.
enum LineSource {
    Winning(String),
    Listed(String),
}

/// A new line of order `order_id` for `quantity` of a product at its `price`, numbered once the
/// order is assembled. A winning line is all above volume until an agreed volume is consumed
/// for it; non-winning purchases never consume agreed volume and are not above-volume either.
fn new_line(order_id: &str, source: LineSource, product_id: &str, price: UnitPrice, quantity: i64) -> OrderLineRow {
    let (kind, bid_id, listed_product_id, above_volume_qty) = match source {
        LineSource::Winning(bid_id) => ("winning", Some(bid_id), None, quantity),
        LineSource::Listed(listed_id) => ("non_winning", None, Some(listed_id), 0),
    };
    OrderLineRow {
        id: new_id(),
        order_id: order_id.to_string(),
        line_no: 0,
        kind: kind.into(),
        bid_id,
        listed_product_id,
        product_id: product_id.to_string(),
        agreed_volume_id: None,
        unit_price: price.ten_thousandths(),
        quantity,
        in_volume_qty: 0,
        above_volume_qty,
        amount: amount_of([(quantity, price)]).fen(),
        accepted_qty: 0,
    }
}

/// The line's price must be the `kind` ("winning" or "listed") price; its quantity whole packs.
fn check_price_and_quantity(
    i: usize,
    line: &NewOrderLine,
    expected: UnitPrice,
    product: &ProductRow,
    kind: &str,
) -> DomainResult<()> {
    if line.unit_price != expected {
        return Err(invalid_line(
            i,
            "unit_price",
            ErrorCode::PriceMismatch,
            format!(
                "the {kind} price of {} is {expected} per {}, not {}",
                product.code, product.min_unit, line.unit_price
            ),
        )
        .with_details(serde_json::json!({
            "expected_unit_price": expected.to_string(),
            "given_unit_price": line.unit_price.to_string()
        })));
    }
    check_quantity(i, line.quantity, product)
}

/// Quantities are whole packs, counted in minimum units.
pub(crate) fn check_quantity(i: usize, qty: i64, product: &ProductRow) -> DomainResult<()> {
    if qty <= 0 || qty > 1_000_000_000 {
        return Err(invalid_line(
            i,
            "quantity",
            ErrorCode::InvalidQuantity,
            "the quantity is a positive whole number".into(),
        ));
    }
    if qty % product.pack_size != 0 {
        return Err(invalid_line(
            i,
            "quantity",
            ErrorCode::NotWholePacks,
            format!(
                "{} comes in packs of {} {}; {qty} is not a whole number of packs",
                product.code, product.pack_size, product.min_unit
            ),
        ));
    }
    Ok(())
}

/// The status change an audit event of an order records, if it records one: its creation, a
/// decision (confirm, decline, cancel) or a change its documents made.
fn status_change(e: &audit::AuditEventRow, actor_name: Option<String>) -> Option<StatusChange> {
    let parse = |json: &Option<String>| -> serde_json::Value {
        json.as_deref().and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
    };
    let text = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let (before, after) = (parse(&e.before_json), parse(&e.after_json));
    let (from_status, to_status, note) = match e.action.as_str() {
        "create" => (None, text(&after["order"]["status"])?, None),
        "confirm" | "decline" | "cancel" | "status_change" => {
            (text(&before["status"]), text(&after["status"])?, text(&after["decline_reason"]))
        }
        _ => return None,
    };
    Some(StatusChange {
        from_status,
        to_status,
        actor_user_id: e.actor_user_id.clone().unwrap_or_default(),
        actor_name,
        at: e.occurred_at,
        note,
    })
}

/// An order's status history, read from its audit events, and the head of their chain.
fn history(conn: &mut DbConnection, order_id: &str) -> DomainResult<(Vec<StatusChange>, Option<String>)> {
    let events = audit::events_of(conn, "order", order_id)?;
    let head = events.last().map(|(e, _)| e.hash.clone());
    Ok((events.into_iter().filter_map(|(e, name)| status_change(&e, name)).collect(), head))
}

// ---------------------------------------------------------------- supplier and hospital decisions

/// Moves a submitted order to `to`; refused unless the order is still submitted.
fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    order_id: &str,
    to: OrderStatus,
    reason: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<OrderView> {
    write_tx(conn, |conn| {
        let decline_reason = if to == OrderStatus::Declined { reason.clone() } else { None };
        // Only a submitted order the caller sees moves (a supplier decides the orders addressed
        // to it, a hospital cancels its own): the update says so itself and takes the order's
        // row lock, so a concurrent decision that came first leaves nothing to change.
        let org = actor.org_id.as_str();
        let change = diesel::update(
            orders::table
                .find(order_id)
                .filter(orders::supplier_id.eq(org).or(orders::hospital_id.eq(org)))
                .filter(orders::status.eq(OrderStatus::Submitted)),
        )
        .set((
            orders::status.eq(to),
            orders::decline_reason.eq(&decline_reason),
            orders::updated_at.eq(to_db(now)),
        ));
        let Some(order) = crate::db::changed_row!(conn, change, OrderRow)? else {
            // Not found, or found at another status: say which.
            let order = find_visible(conn, actor, order_id)?;
            return Err(DomainError::Conflict(
                Problem::new(
                    ErrorCode::OrderNotSubmitted,
                    format!(
                        "order {} is {}; only a submitted order can be {}",
                        order.order_no,
                        order.status,
                        to.as_str()
                    ),
                )
                .details(serde_json::json!({ "status": order.status })),
            ));
        };
        let from = OrderStatus::Submitted;
        // Under the lock: the lines, the history and the head of the order's audit chain.
        let state = order_state(conn, &order.id)?;
        let (mut history, head) = history(conn, &order.id)?;
        if matches!(to, OrderStatus::Declined | OrderStatus::Cancelled) {
            let lines: Vec<(String, i64)> =
                state.lines.iter().filter_map(|(l, _)| l.agreed_volume_id.clone().map(|v| (v, l.quantity))).collect();
            volumes::release(conn, &lines)?;
        }
        let action = match to {
            OrderStatus::Confirmed => "confirm",
            OrderStatus::Declined => "decline",
            _ => "cancel",
        };
        let after = serde_json::json!({ "status": to.as_str(), "decline_reason": reason });
        let event = audit::append(
            conn,
            AuditEntry::changed(
                actor,
                Some(&order.region_id),
                "order",
                &order.id,
                action,
                &serde_json::json!({ "status": from.as_str() }),
                &after,
            )
            .after(head),
            now,
        )?;
        history.extend(status_change(&event, Some(actor.label())));
        // The answer is made from the rows just changed: a submitted order has shipped nothing.
        assemble_view(conn, order, state.lines, HashMap::new(), history)
    })
}

pub fn confirm_order(
    conn: &mut DbConnection,
    actor: &Actor,
    order_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<OrderView> {
    actor.require(&[Role::Supplier], "confirm orders")?;
    decide(conn, actor, order_id, OrderStatus::Confirmed, None, now)
}

pub fn decline_order(
    conn: &mut DbConnection,
    actor: &Actor,
    order_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<OrderView> {
    actor.require(&[Role::Supplier], "decline orders")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(DomainError::invalid(ErrorCode::ReasonRequired, "reason", "say why the order is declined"));
    }
    if reason.chars().count() > 500 {
        return Err(DomainError::invalid(ErrorCode::TooLong, "reason", "the reason is longer than 500 characters"));
    }
    decide(conn, actor, order_id, OrderStatus::Declined, Some(reason.to_string()), now)
}

pub fn cancel_order(
    conn: &mut DbConnection,
    actor: &Actor,
    order_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<OrderView> {
    actor.require(&[Role::HospitalBuyer], "cancel orders")?;
    decide(conn, actor, order_id, OrderStatus::Cancelled, None, now)
}

// ---------------------------------------------------------------- reads

/// The progress of each line, given what the order's notes say of it.
pub(crate) fn progress_of(
    lines: &[(OrderLineRow, ProductRow)],
    shipments: &HashMap<String, Shipments>,
) -> Vec<LineProgress> {
    lines
        .iter()
        .map(|(l, _)| {
            let in_transit = shipments.get(&l.id).map(|s| s.in_transit).unwrap_or_default();
            LineProgress { ordered: l.quantity, accepted: l.accepted_qty, in_transit }
        })
        .collect()
}

/// Records the status that `progress` (every line of the order, as the documents now stand)
/// derives, if it changed; its audit event, chained to `head` (the order's newest event, read
/// under its lock), joins `events`, which the caller records.
pub(crate) fn refresh_status_from<'a>(
    conn: &mut DbConnection,
    actor: &'a Actor,
    order: &OrderRow,
    progress: &[LineProgress],
    head: Option<String>,
    events: &mut Vec<AuditEntry<'a>>,
    now: DateTime<Utc>,
) -> DomainResult<OrderStatus> {
    let from = order.status;
    let to = derive_status(progress);
    if to != from {
        let change = diesel::update(orders::table.find(&order.id))
            .set((orders::status.eq(to), orders::updated_at.eq(to_db(now))));
        crate::db::reused!(conn, change, execute)?;
        events.push(
            AuditEntry::changed(
                actor,
                Some(&order.region_id),
                "order",
                &order.id,
                "status_change",
                &serde_json::json!({ "status": from.as_str() }),
                &serde_json::json!({ "status": to.as_str() }),
            )
            .after(head),
        );
    }
    Ok(to)
}

fn summaries(conn: &mut DbConnection, rows: Vec<OrderRow>) -> DomainResult<Vec<OrderSummary>> {
    let ids: Vec<&str> = rows.iter().map(|o| o.id.as_str()).collect();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for order_id in order_lines::table
        .filter(order_lines::order_id.eq_any(&ids))
        .select(order_lines::order_id)
        .load::<String>(conn)?
    {
        *counts.entry(order_id).or_default() += 1;
    }
    summaries_counted(conn, rows, &counts)
}

/// Summaries of orders whose line counts are known.
fn summaries_counted(
    conn: &mut DbConnection,
    rows: Vec<OrderRow>,
    counts: &HashMap<String, i64>,
) -> DomainResult<Vec<OrderSummary>> {
    let org_ids: Vec<&str> = rows.iter().flat_map(|o| [o.hospital_id.as_str(), o.supplier_id.as_str()]).collect();
    let names = OrgNames::load(conn, &org_ids)?;
    let name = |id: &str| names.reference(id);
    Ok(rows
        .into_iter()
        .map(|o| OrderSummary {
            hospital: name(&o.hospital_id),
            supplier: name(&o.supplier_id),
            line_count: counts.get(&o.id).copied().unwrap_or(0),
            total_amount: Money::from_fen(o.total_amount),
            id: o.id,
            order_no: o.order_no,
            status: o.status,
            note: o.note,
            decline_reason: o.decline_reason,
            created_at: o.created_at,
            updated_at: o.updated_at,
        })
        .collect())
}

/// The view of `order` as it stands (three queries: its state, its history, its organisations'
/// names).
fn view_of(conn: &mut DbConnection, order: OrderRow) -> DomainResult<OrderView> {
    let state = order_state(conn, &order.id)?;
    let shipments = state.shipments();
    let (history, _) = history(conn, &order.id)?;
    assemble_view(conn, order, state.lines, shipments, history)
}

/// An order's view from its rows: names its organisations.
fn assemble_view(
    conn: &mut DbConnection,
    order: OrderRow,
    lines: Vec<(OrderLineRow, ProductRow)>,
    shipments: HashMap<String, Shipments>,
    history: Vec<StatusChange>,
) -> DomainResult<OrderView> {
    let lines: Vec<OrderLineView> = lines
        .into_iter()
        .map(|(l, p)| {
            let Shipments { shipped, in_transit, rejected } = shipments.get(&l.id).copied().unwrap_or_default();
            let open = LineProgress { ordered: l.quantity, accepted: l.accepted_qty, in_transit }.open();
            OrderLineView {
                id: l.id,
                line_no: l.line_no,
                kind: l.kind,
                winning_bid_id: l.bid_id,
                listed_product_id: l.listed_product_id,
                agreed_volume_id: l.agreed_volume_id,
                product: p.into(),
                unit_price: UnitPrice::from_ten_thousandths(l.unit_price),
                quantity: l.quantity,
                in_volume_qty: l.in_volume_qty,
                above_volume_qty: l.above_volume_qty,
                amount: Money::from_fen(l.amount),
                shipped_qty: shipped,
                in_transit_qty: in_transit,
                accepted_qty: l.accepted_qty,
                rejected_qty: rejected,
                open_qty: open,
            }
        })
        .collect();
    let counts = HashMap::from([(order.id.clone(), lines.len() as i64)]);
    let summary = summaries_counted(conn, vec![order], &counts)?.pop().expect("one order");
    Ok(OrderView { summary, lines, history })
}

pub fn get_order(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<OrderView> {
    let order = find_visible(conn, actor, id)?;
    view_of(conn, order)
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    pub order_no: Option<String>,
    pub created_from: Option<NaiveDateTime>,
    pub created_to: Option<NaiveDateTime>,
}

pub fn list_orders(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &OrderFilter,
    page: PageRequest,
) -> DomainResult<Page<OrderSummary>> {
    let build = || {
        let mut q = visible_orders(actor);
        if let Some(s) = filter.status {
            q = q.filter(orders::status.eq(s));
        }
        if let Some(v) = &filter.hospital_id {
            q = q.filter(orders::hospital_id.eq(v.clone()));
        }
        if let Some(v) = &filter.supplier_id {
            q = q.filter(orders::supplier_id.eq(v.clone()));
        }
        if let Some(v) = filter.order_no.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            q = q.filter(orders::order_no.like(format!("%{}%", escape_like(v))).escape('\\'));
        }
        if let Some(v) = filter.created_from {
            q = q.filter(orders::created_at.ge(v));
        }
        if let Some(v) = filter.created_to {
            q = q.filter(orders::created_at.lt(v));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows = build()
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(OrderRow::as_select())
        .load(conn)?;
    Ok(Page::new(summaries(conn, rows)?, page, total))
}
