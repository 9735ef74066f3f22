//! Delivery notes (supplier) and acceptance (验收, hospital). A confirmed acceptance is
//! immutable and starts the payment clock: it creates exactly one payable.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::{self, AuditEntry};
use crate::catalog::{OrgRef, ProductRow};
use crate::clock::{shanghai_date, to_db};
use crate::db::{unique_conflict, write_tx, Cell, DbConnection, RowsUpdate};
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::identity::{Actor, OrgNames, Role};
use crate::ids::{document_no, new_id};
use crate::money::{amount_of, Money, UnitPrice};
use crate::orders::{self as ord, check_quantity, OrderRow, ProductBrief};
use crate::paging::{Page, PageRequest};
use crate::payables;
use crate::schema::{acceptances, deliveries, delivery_lines, order_lines, orders, products};
use crate::settlement::status_page::PayableItem;

use super::rules::shipments_by_line;
pub use super::rules::{AcceptanceStatus, DeliveryStatus};
use super::store::{find_visible_delivery as find_visible, lock_received_delivery, note_line, visible_deliveries};
pub use super::store::{AcceptanceRow, DeliveryLineRow, DeliveryRow};

// ---------------------------------------------------------------- input

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDeliveryLine {
    pub order_line_id: String,
    pub quantity: i64,
    pub lot_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDelivery {
    pub order_id: String,
    #[serde(default)]
    pub note: Option<String>,
    pub lines: Vec<NewDeliveryLine>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptanceLine {
    pub delivery_line_id: String,
    pub accepted_qty: i64,
    pub rejected_qty: i64,
    #[serde(default)]
    pub reject_reason: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptanceInput {
    /// Who received the goods at the hospital.
    pub received_by: String,
    /// Who delivered them for the supplier.
    pub delivered_by: String,
    #[serde(default)]
    pub note: Option<String>,
    pub lines: Vec<AcceptanceLine>,
}

// ---------------------------------------------------------------- views

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryLineView {
    pub id: String,
    pub line_no: i32,
    pub order_line_id: String,
    pub product: ProductBrief,
    pub unit_price: UnitPrice,
    pub quantity: i64,
    pub lot_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub accepted_qty: Option<i64>,
    pub rejected_qty: Option<i64>,
    pub reject_reason: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AcceptanceView {
    pub id: String,
    pub status: AcceptanceStatus,
    pub received_by: String,
    pub delivered_by: String,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub accepted_at: Option<NaiveDateTime>,
    pub acceptance_date: Option<NaiveDate>,
    pub created_by: String,
    pub confirmed_by: Option<String>,
    /// Σ accepted × unit price, half-up to the fen (once lines are counted).
    pub accepted_amount: Option<Money>,
    pub payable_id: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryView {
    pub id: String,
    pub delivery_no: String,
    pub order_id: String,
    pub order_no: String,
    pub hospital: OrgRef,
    pub supplier: OrgRef,
    pub status: DeliveryStatus,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub shipped_at: NaiveDateTime,
    pub lines: Vec<DeliveryLineView>,
    pub acceptance: Option<AcceptanceView>,
}

fn line_error(i: usize, field: &str, code: ErrorCode, message: String) -> DomainError {
    DomainError::Invalid(Problem::new(code, format!("line {}: {message}", i + 1)).field(format!("lines[{i}].{field}")))
}

// ---------------------------------------------------------------- ship

pub fn ship(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewDelivery,
    now: DateTime<Utc>,
) -> DomainResult<DeliveryView> {
    actor.require(&[Role::Supplier], "ship deliveries")?;
    if input.lines.is_empty() {
        return Err(DomainError::invalid(ErrorCode::LinesRequired, "lines", "a delivery note has at least one line"));
    }
    if input.lines.len() > ord::MAX_LINES {
        return Err(DomainError::invalid(
            ErrorCode::TooManyLines,
            "lines",
            format!("a delivery note has at most {} lines", ord::MAX_LINES),
        ));
    }
    let today = shanghai_date(now);
    for (i, l) in input.lines.iter().enumerate() {
        let lot = l.lot_no.trim();
        if lot.is_empty() || lot.chars().count() > 40 {
            return Err(line_error(
                i,
                "lot_no",
                ErrorCode::InvalidLotNo,
                "a lot number (批号) of 1 to 40 characters is required".into(),
            ));
        }
        if l.production_date > today {
            return Err(line_error(
                i,
                "production_date",
                ErrorCode::InvalidDates,
                format!("production date {} is in the future", l.production_date),
            ));
        }
        if l.expiry_date <= l.production_date {
            return Err(line_error(
                i,
                "expiry_date",
                ErrorCode::InvalidDates,
                "the expiry date comes after the production date".into(),
            ));
        }
        if l.expiry_date <= today {
            return Err(line_error(
                i,
                "expiry_date",
                ErrorCode::ExpiredGoods,
                format!("lot {lot} expired on {}", l.expiry_date),
            ));
        }
    }
    write_tx(conn, |conn| {
        // A supplier sees the orders addressed to it: the lock finds only those.
        let order = super::store::lock_supplied_order(conn, &actor.org_id, input.order_id.trim(), now)?
            .ok_or(DomainError::not_found("order"))?;
        let status = order.status;
        if !status.is_open_for_delivery() {
            return Err(DomainError::Conflict(
                Problem::new(
                    ErrorCode::OrderNotOpen,
                    format!("order {} is {}; goods ship only against a confirmed order", order.order_no, order.status),
                )
                .details(serde_json::json!({ "status": order.status })),
            ));
        }
        // Under the lock, in one query: the lines, what was shipped of them, the audit head.
        let state = ord::order_state(conn, &order.id)?;
        let in_progress = ord::progress_of(&state.lines, &state.shipments());
        let progress: HashMap<String, (ord::OrderLineRow, ProductRow, ord::LineProgress)> = state
            .lines
            .into_iter()
            .zip(in_progress)
            .map(|((line, product), p)| (line.id.clone(), (line, product, p)))
            .collect();
        let mut requested: HashMap<&str, i64> = HashMap::new();
        for (i, l) in input.lines.iter().enumerate() {
            let (line, product, prog) = progress.get(l.order_line_id.trim()).ok_or_else(|| {
                line_error(i, "order_line_id", ErrorCode::UnknownOrderLine, "this line is not part of the order".into())
            })?;
            check_quantity(i, l.quantity, product)?;
            let total = requested.entry(line.id.as_str()).or_default();
            *total += l.quantity;
            if *total > prog.open() {
                return Err(DomainError::Invalid(
                    Problem::new(
                        ErrorCode::OverShipment,
                        format!(
                            "line {}: {} {} would exceed what is still open on order line {} ({} ordered, {} accepted, {} in transit, {} open)",
                            i + 1, *total, product.min_unit, line.line_no, prog.ordered, prog.accepted, prog.in_transit, prog.open()
                        ),
                    )
                    .field(format!("lines[{i}].quantity"))
                    .details(serde_json::json!({ "order_line_id": line.id, "open_qty": prog.open(), "requested_qty": *total })),
                ));
            }
        }
        let delivery = DeliveryRow {
            id: new_id(),
            delivery_no: document_no("DN", now),
            order_id: order.id.clone(),
            region_id: order.region_id.clone(),
            hospital_id: order.hospital_id.clone(),
            supplier_id: order.supplier_id.clone(),
            status: DeliveryStatus::Shipped,
            note: input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string),
            shipped_at: to_db(now),
            created_by: actor.user_id.clone(),
        };
        diesel::insert_into(deliveries::table).values(&delivery).execute(conn)?;
        let lines: Vec<DeliveryLineRow> = input
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| DeliveryLineRow {
                id: new_id(),
                delivery_id: delivery.id.clone(),
                order_line_id: l.order_line_id.trim().to_string(),
                line_no: (i + 1) as i32,
                quantity: l.quantity,
                lot_no: l.lot_no.trim().to_string(),
                production_date: l.production_date,
                expiry_date: l.expiry_date,
                accepted_qty: None,
                rejected_qty: None,
                reject_reason: None,
            })
            .collect();
        crate::db::insert_rows!(&mut *conn, delivery_lines::table, &lines, reused)?;
        let mut events = vec![AuditEntry::created(
            actor,
            Some(&order.region_id),
            "delivery",
            &delivery.id,
            &serde_json::json!({"delivery": &delivery, "lines": &lines}),
        )
        .first_event()];
        // The order's lines as they stand now: what was in transit, and this note's goods.
        let now_in_transit: Vec<ord::LineProgress> = progress
            .values()
            .map(|(line, _, p)| ord::LineProgress {
                in_transit: p.in_transit + requested.get(line.id.as_str()).copied().unwrap_or(0),
                ..*p
            })
            .collect();
        ord::refresh_status_from(conn, actor, &order, &now_in_transit, state.audit_head, &mut events, now)?;
        audit::record_many(conn, events, now)?;
        // The answer is made from the rows just written: a new note has no acceptance yet.
        let priced = lines
            .into_iter()
            .map(|l| {
                let (line, product, _) = &progress[&l.order_line_id];
                (l, line.unit_price, product.clone())
            })
            .collect();
        let names = OrgNames::load(conn, &[order.hospital_id.as_str(), order.supplier_id.as_str()])?;
        Ok(view_from(delivery, priced, None, None, order.order_no, &names))
    })
}

// ---------------------------------------------------------------- accept

/// One delivery line as the hospital counted it.
struct Counted {
    line_id: String,
    accepted: i64,
    rejected: i64,
    reason: Option<String>,
}

/// Checks the counted lines against the delivery: every line once, `accepted + rejected ==
/// shipped`, a reason whenever something is rejected.
fn check_counts(lines: &[DeliveryLineRow], input: &AcceptanceInput) -> DomainResult<Vec<Counted>> {
    let by_id: HashMap<&str, &DeliveryLineRow> = lines.iter().map(|l| (l.id.as_str(), l)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, a) in input.lines.iter().enumerate() {
        let line = by_id.get(a.delivery_line_id.trim()).ok_or_else(|| {
            line_error(
                i,
                "delivery_line_id",
                ErrorCode::UnknownDeliveryLine,
                "this line is not part of the delivery".into(),
            )
        })?;
        if !seen.insert(line.id.as_str()) {
            return Err(line_error(
                i,
                "delivery_line_id",
                ErrorCode::DuplicateLine,
                "a delivery line is counted twice".into(),
            ));
        }
        if a.accepted_qty < 0 || a.rejected_qty < 0 || a.accepted_qty > 1_000_000_000 || a.rejected_qty > 1_000_000_000
        {
            return Err(line_error(
                i,
                "accepted_qty",
                ErrorCode::InvalidQuantity,
                "quantities lie between 0 and 1,000,000,000".into(),
            ));
        }
        if a.accepted_qty + a.rejected_qty != line.quantity {
            return Err(DomainError::Invalid(
                Problem::new(
                    ErrorCode::AcceptanceArithmetic,
                    format!(
                        "line {}: accepted {} + rejected {} must equal the {} shipped (lot {})",
                        i + 1, a.accepted_qty, a.rejected_qty, line.quantity, line.lot_no
                    ),
                )
                .field(format!("lines[{i}].accepted_qty"))
                .details(serde_json::json!({ "shipped_qty": line.quantity, "accepted_qty": a.accepted_qty, "rejected_qty": a.rejected_qty })),
            ));
        }
        let reason = a.reject_reason.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        if a.rejected_qty > 0 && reason.is_none() {
            return Err(line_error(
                i,
                "reject_reason",
                ErrorCode::RejectReasonRequired,
                format!("say why {} units are rejected", a.rejected_qty),
            ));
        }
        if reason.as_deref().is_some_and(|r| r.chars().count() > 500) {
            return Err(line_error(
                i,
                "reject_reason",
                ErrorCode::TooLong,
                "the reason is longer than 500 characters".into(),
            ));
        }
        out.push(Counted {
            line_id: line.id.clone(),
            accepted: a.accepted_qty,
            rejected: a.rejected_qty,
            reason: if a.rejected_qty > 0 { reason } else { None },
        });
    }
    if let Some(missing) = lines.iter().find(|l| !seen.contains(l.id.as_str())) {
        return Err(DomainError::invalid(
            ErrorCode::LinesIncomplete,
            "lines",
            format!(
                "delivery line {} (lot {}) is not counted; every line is accepted or rejected",
                missing.line_no, missing.lot_no
            ),
        ));
    }
    Ok(out)
}

fn people(input: &AcceptanceInput) -> DomainResult<(String, String)> {
    let received = crate::identity::required_text(&input.received_by, "received_by", 50)?;
    let delivered = crate::identity::required_text(&input.delivered_by, "delivered_by", 50)?;
    Ok((received, delivered))
}

/// How an acceptance request ends: kept as an editable draft, or confirmed (immutable).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AcceptanceMode {
    Draft,
    Confirm,
}

/// Records the hospital's count of a delivery. `replace_draft` is the PUT form (edit a draft);
/// otherwise this creates the acceptance. `Confirm` makes it final and creates the payable.
pub fn record_acceptance(
    conn: &mut DbConnection,
    actor: &Actor,
    delivery_id: &str,
    input: AcceptanceInput,
    mode: AcceptanceMode,
    replace_draft: bool,
    now: DateTime<Utc>,
) -> DomainResult<DeliveryView> {
    actor.require(&[Role::HospitalBuyer], "accept deliveries")?;
    let (received_by, delivered_by) = people(&input)?;
    write_tx(conn, |conn| {
        // A hospital counts the deliveries addressed to it, under the order's lock.
        let order = lock_received_delivery(conn, &actor.org_id, delivery_id, now)?;
        let NoteUnderLock { delivery, acceptance: existing, mut lines, state } =
            read_under_lock(conn, &order, delivery_id)?;
        match (&existing, replace_draft) {
            (Some(a), _) if a.status == AcceptanceStatus::Confirmed => return Err(confirmed_is_immutable(&delivery)),
            (Some(_), false) => {
                return Err(DomainError::conflict(
                    ErrorCode::AcceptanceExists,
                    format!(
                        "delivery {} already has a draft acceptance: edit it with PUT or confirm it",
                        delivery.delivery_no
                    ),
                ))
            }
            (None, true) => return Err(DomainError::not_found("acceptance")),
            _ => {}
        }
        let counts = check_counts(&lines, &input)?;
        let mut update = RowsUpdate::new("delivery_lines").set("accepted_qty").set("rejected_qty").set("reject_reason");
        for c in &counts {
            update.row(
                &c.line_id,
                vec![Cell::OptInt(Some(c.accepted)), Cell::OptInt(Some(c.rejected)), Cell::OptText(c.reason.clone())],
            )?;
        }
        update.execute(conn)?;
        for l in &mut lines {
            if let Some(c) = counts.iter().find(|c| c.line_id == l.id) {
                (l.accepted_qty, l.rejected_qty, l.reject_reason) =
                    (Some(c.accepted), Some(c.rejected), c.reason.clone());
            }
        }
        let note = input.note.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let mut events = Vec::new();
        let acceptance = match existing {
            Some(a) => {
                diesel::update(acceptances::table.find(&a.id))
                    .set((
                        acceptances::received_by.eq(&received_by),
                        acceptances::delivered_by.eq(&delivered_by),
                        acceptances::note.eq(&note),
                    ))
                    .execute(conn)?;
                events.push(AuditEntry::changed(
                    actor,
                    Some(&delivery.region_id),
                    "acceptance",
                    &a.id,
                    "update_draft",
                    &a,
                    &counts_json(&counts),
                ));
                AcceptanceRow { received_by, delivered_by, note, ..a }
            }
            None => {
                // Counted and confirmed in one request, the acceptance is written confirmed.
                let confirm = mode == AcceptanceMode::Confirm;
                let row = AcceptanceRow {
                    id: new_id(),
                    delivery_id: delivery.id.clone(),
                    status: if confirm { AcceptanceStatus::Confirmed } else { AcceptanceStatus::Draft },
                    received_by,
                    delivered_by,
                    note,
                    accepted_at: confirm.then(|| to_db(now)),
                    acceptance_date: confirm.then(|| shanghai_date(now)),
                    created_by: actor.user_id.clone(),
                    created_at: to_db(now),
                    confirmed_by: confirm.then(|| actor.user_id.clone()),
                };
                diesel::insert_into(acceptances::table).values(&row).execute(conn).map_err(|e| {
                    unique_conflict(e, || {
                        DomainError::conflict(ErrorCode::AcceptanceExists, "this delivery already has an acceptance")
                    })
                })?;
                events.push(
                    AuditEntry::created(
                        actor,
                        Some(&delivery.region_id),
                        "acceptance",
                        &row.id,
                        &serde_json::json!({"acceptance": &row, "lines": counts_json(&counts)}),
                    )
                    .first_event(),
                );
                row
            }
        };
        finish(conn, actor, CountedDelivery { delivery, order, lines, acceptance, state }, mode, events, now)
    })
}

/// An acceptance as counted, under the order's lock.
struct CountedDelivery {
    delivery: DeliveryRow,
    order: OrderRow,
    lines: Vec<DeliveryLineRow>,
    acceptance: AcceptanceRow,
    /// The order as its documents stood, with the other notes' lines (this note's are `lines`).
    state: ord::OrderState,
}

/// What acceptance reads under the order's lock.
struct NoteUnderLock {
    delivery: DeliveryRow,
    acceptance: Option<AcceptanceRow>,
    /// The note's lines, in their order.
    lines: Vec<DeliveryLineRow>,
    /// The order's state, with the other notes' lines.
    state: ord::OrderState,
}

/// Reads the note, its acceptance and lines, and its order's state, in one query.
fn read_under_lock(conn: &mut DbConnection, order: &OrderRow, delivery_id: &str) -> DomainResult<NoteUnderLock> {
    let mut state = ord::order_state(conn, &order.id)?;
    let at = state.notes.iter().position(|(n, _)| n.id == delivery_id).ok_or(DomainError::not_found("delivery"))?;
    let (delivery, acceptance) = state.notes.swap_remove(at);
    let (mut lines, others): (Vec<_>, Vec<_>) =
        state.shipped.into_iter().partition(|(l, _)| l.delivery_id == delivery.id);
    state.shipped = others;
    lines.sort_by_key(|(l, _)| l.line_no);
    Ok(NoteUnderLock { delivery, acceptance, lines: lines.into_iter().map(|(l, _)| l).collect(), state })
}

/// Confirms the counted acceptance if `mode` says so, records the request's audit events and
/// answers from the rows held.
fn finish<'a>(
    conn: &mut DbConnection,
    actor: &'a Actor,
    counted: CountedDelivery,
    mode: AcceptanceMode,
    mut events: Vec<AuditEntry<'a>>,
    now: DateTime<Utc>,
) -> DomainResult<DeliveryView> {
    let CountedDelivery { mut delivery, order, lines, acceptance, state } = counted;
    let ord::OrderState { lines: mut order_lines, shipped: others, audit_head, .. } = state;
    let (acceptance, payable_id) = match mode {
        AcceptanceMode::Confirm => {
            let confirming = Confirming {
                delivery: &mut delivery,
                order: &order,
                lines: &lines,
                order_lines: &mut order_lines,
                others: &others,
                audit_head,
            };
            let (acceptance, payable_id) = confirm_inner(conn, actor, confirming, acceptance, &mut events, now)?;
            (acceptance, Some(payable_id))
        }
        AcceptanceMode::Draft => (acceptance, None),
    };
    audit::record_many(conn, events, now)?;
    answer(conn, delivery, lines, &order_lines, acceptance, payable_id, order.order_no)
}

fn counts_json(counts: &[Counted]) -> serde_json::Value {
    serde_json::Value::Array(
        counts
            .iter()
            .map(|c| {
                serde_json::json!({"delivery_line_id": c.line_id, "accepted_qty": c.accepted, "rejected_qty": c.rejected, "reject_reason": c.reason})
            })
            .collect(),
    )
}

fn confirmed_is_immutable(delivery: &DeliveryRow) -> DomainError {
    DomainError::conflict(
        ErrorCode::AcceptanceConfirmed,
        format!(
            "the acceptance of delivery {} is confirmed and cannot change; corrections are new documents (returns, price adjustments)",
            delivery.delivery_no
        ),
    )
}

/// Confirms a draft acceptance.
pub fn confirm_acceptance(
    conn: &mut DbConnection,
    actor: &Actor,
    delivery_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<DeliveryView> {
    actor.require(&[Role::HospitalBuyer], "accept deliveries")?;
    write_tx(conn, |conn| {
        let order = lock_received_delivery(conn, &actor.org_id, delivery_id, now)?;
        let NoteUnderLock { delivery, acceptance, lines, state } = read_under_lock(conn, &order, delivery_id)?;
        let acceptance = acceptance.ok_or(DomainError::not_found("acceptance"))?;
        if acceptance.status == AcceptanceStatus::Confirmed {
            return Err(confirmed_is_immutable(&delivery));
        }
        let counted = CountedDelivery { delivery, order, lines, acceptance, state };
        finish(conn, actor, counted, AcceptanceMode::Confirm, Vec::new(), now)
    })
}

/// What confirming an acceptance works on, all loaded under the order's lock: the delivery, its
/// order, the counted delivery lines, the order's lines with their products (brought up to
/// date here), the order's other notes' lines with their status, and the head of the order's
/// audit chain.
struct Confirming<'r> {
    delivery: &'r mut DeliveryRow,
    order: &'r OrderRow,
    lines: &'r [DeliveryLineRow],
    order_lines: &'r mut [(ord::OrderLineRow, ProductRow)],
    others: &'r [(DeliveryLineRow, DeliveryStatus)],
    audit_head: Option<String>,
}

/// Confirms `acceptance` (unless it was written confirmed): the delivery is accepted, the order
/// lines and agreed volumes count what was accepted, the payable is created and the order's
/// status follows. Returns the confirmed acceptance and the payable's id; the audit events join
/// `events`.
fn confirm_inner<'a>(
    conn: &mut DbConnection,
    actor: &'a Actor,
    c: Confirming<'_>,
    mut acceptance: AcceptanceRow,
    events: &mut Vec<AuditEntry<'a>>,
    now: DateTime<Utc>,
) -> DomainResult<(AcceptanceRow, String)> {
    let Confirming { delivery, order, lines, order_lines, others, audit_head } = c;
    let acceptance_date = shanghai_date(now);
    if acceptance.status != AcceptanceStatus::Confirmed {
        let draft = acceptances::table.find(&acceptance.id).filter(acceptances::status.eq(AcceptanceStatus::Draft));
        let updated = diesel::update(draft)
            .set((
                acceptances::status.eq(AcceptanceStatus::Confirmed),
                acceptances::accepted_at.eq(Some(to_db(now))),
                acceptances::acceptance_date.eq(Some(acceptance_date)),
                acceptances::confirmed_by.eq(Some(actor.user_id.clone())),
            ))
            .execute(conn)?;
        if updated != 1 {
            return Err(confirmed_is_immutable(delivery));
        }
        acceptance = AcceptanceRow {
            status: AcceptanceStatus::Confirmed,
            accepted_at: Some(to_db(now)),
            acceptance_date: Some(acceptance_date),
            confirmed_by: Some(actor.user_id.clone()),
            ..acceptance
        };
    }
    crate::db::reused!(
        conn,
        diesel::update(deliveries::table.find(&delivery.id)).set(deliveries::status.eq(DeliveryStatus::Accepted)),
        execute
    )?;
    delivery.status = DeliveryStatus::Accepted;
    let mut accepted_per_line: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for l in lines {
        *accepted_per_line.entry(l.order_line_id.as_str()).or_default() += l.accepted_qty.unwrap_or(0);
    }
    let mut update = RowsUpdate::new("order_lines").add_to("accepted_qty");
    for (id, qty) in &accepted_per_line {
        update.row(id, vec![Cell::Int(*qty)])?;
    }
    update.execute(conn)?;
    let by_id: HashMap<&str, &(ord::OrderLineRow, ProductRow)> =
        order_lines.iter().map(|l| (l.0.id.as_str(), l)).collect();
    let mut priced = Vec::with_capacity(lines.len());
    let mut purchases = Vec::with_capacity(lines.len());
    let mut items = Vec::with_capacity(lines.len());
    for l in lines {
        let (line, product) = by_id
            .get(l.order_line_id.as_str())
            .ok_or_else(|| DomainError::Internal(format!("delivery line {} names no order line", l.id)))?;
        let accepted = l.accepted_qty.unwrap_or(0);
        priced.push((accepted, UnitPrice::from_ten_thousandths(line.unit_price)));
        items.push(PayableItem::new(
            product.generic_name.clone(),
            product.specification.clone(),
            accepted,
            product.min_unit.clone(),
            product.pack_size,
        ));
        let purchased = crate::retention::PurchasedLine {
            kind: line.kind.clone(),
            agreed_volume_id: line.agreed_volume_id.clone(),
            unit_price: line.unit_price,
            generic_name: product.generic_name.clone(),
        };
        purchases.push((l.id.as_str(), purchased, accepted));
    }
    crate::retention::count_purchases(conn, &delivery.region_id, &delivery.hospital_id, acceptance_date, &purchases)?;
    let amount = amount_of(priced);
    events.push(AuditEntry::changed(
        actor,
        Some(&delivery.region_id),
        "acceptance",
        &acceptance.id,
        "confirm",
        &serde_json::json!({"status": AcceptanceStatus::Draft}),
        &serde_json::json!({"status": AcceptanceStatus::Confirmed, "accepted_at": to_db(now), "acceptance_date": acceptance_date, "accepted_amount": amount}),
    ));
    let payable = payables::create_for_acceptance(
        conn,
        actor,
        &payables::AcceptedDelivery {
            acceptance_id: &acceptance.id,
            acceptance_date,
            delivery_id: &delivery.id,
            delivery_no: &delivery.delivery_no,
            order_id: &delivery.order_id,
            order_no: &order.order_no,
            region_id: &delivery.region_id,
            hospital_id: &delivery.hospital_id,
            supplier_id: &delivery.supplier_id,
            amount,
            items: &items,
        },
        events,
        now,
    )?;
    for (line, _) in order_lines.iter_mut() {
        line.accepted_qty += accepted_per_line.get(line.id.as_str()).copied().unwrap_or(0);
    }
    // This note's goods are no longer in transit; the order's other notes still count.
    let notes = others
        .iter()
        .map(|(l, status)| note_line(l, *status))
        .chain(lines.iter().map(|l| note_line(l, DeliveryStatus::Accepted)));
    let progress = ord::progress_of(order_lines, &shipments_by_line(notes));
    ord::refresh_status_from(conn, actor, order, &progress, audit_head, events, now)?;
    Ok((acceptance, payable.id))
}

/// The answer to an acceptance request, made from the rows it holds.
fn answer(
    conn: &mut DbConnection,
    delivery: DeliveryRow,
    lines: Vec<DeliveryLineRow>,
    order_lines: &[(ord::OrderLineRow, ProductRow)],
    acceptance: AcceptanceRow,
    payable_id: Option<String>,
    order_no: String,
) -> DomainResult<DeliveryView> {
    let by_id: HashMap<&str, &(ord::OrderLineRow, ProductRow)> =
        order_lines.iter().map(|l| (l.0.id.as_str(), l)).collect();
    let mut priced = Vec::with_capacity(lines.len());
    for l in lines {
        let (line, product) = by_id
            .get(l.order_line_id.as_str())
            .ok_or_else(|| DomainError::Internal(format!("delivery line {} names no order line", l.id)))?;
        priced.push((l, line.unit_price, product.clone()));
    }
    let names = OrgNames::load(conn, &[delivery.hospital_id.as_str(), delivery.supplier_id.as_str()])?;
    Ok(view_from(delivery, priced, Some(acceptance), payable_id, order_no, &names))
}

// ---------------------------------------------------------------- reads

fn load_views(conn: &mut DbConnection, rows: Vec<DeliveryRow>) -> DomainResult<Vec<DeliveryView>> {
    let ids: Vec<&str> = rows.iter().map(|d| d.id.as_str()).collect();
    let lines: Vec<(DeliveryLineRow, i64, ProductRow)> = delivery_lines::table
        .inner_join(order_lines::table.inner_join(products::table))
        .filter(delivery_lines::delivery_id.eq_any(&ids))
        .order((delivery_lines::delivery_id, delivery_lines::line_no))
        .select((DeliveryLineRow::as_select(), order_lines::unit_price, ProductRow::as_select()))
        .load(conn)?;
    let accs: Vec<AcceptanceRow> = acceptances::table
        .filter(acceptances::delivery_id.eq_any(&ids))
        .select(AcceptanceRow::as_select())
        .load(conn)?;
    let payable_ids: HashMap<String, String> =
        payables::payable_ids_for_acceptances(conn, &accs.iter().map(|a| a.id.as_str()).collect::<Vec<_>>())?;
    let order_ids: Vec<&str> = rows.iter().map(|d| d.order_id.as_str()).collect();
    let order_nos: HashMap<String, String> = orders::table
        .filter(orders::id.eq_any(&order_ids))
        .select((orders::id, orders::order_no))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let org_ids: Vec<&str> = rows.iter().flat_map(|d| [d.hospital_id.as_str(), d.supplier_id.as_str()]).collect();
    let names = OrgNames::load(conn, &org_ids)?;
    let mut lines_by: HashMap<String, Vec<(DeliveryLineRow, i64, ProductRow)>> = HashMap::new();
    for line in lines {
        lines_by.entry(line.0.delivery_id.clone()).or_default().push(line);
    }
    let mut acc_by: HashMap<String, AcceptanceRow> = accs.into_iter().map(|a| (a.delivery_id.clone(), a)).collect();
    Ok(rows
        .into_iter()
        .map(|d| {
            let lines = lines_by.remove(&d.id).unwrap_or_default();
            let acceptance = acc_by.remove(&d.id);
            let payable_id = acceptance.as_ref().and_then(|a| payable_ids.get(&a.id).cloned());
            let order_no = order_nos.get(&d.order_id).cloned().unwrap_or_default();
            view_from(d, lines, acceptance, payable_id, order_no, &names)
        })
        .collect())
}

/// A delivery's view from its rows: each line with its order line's unit price and product.
fn view_from(
    d: DeliveryRow,
    lines: Vec<(DeliveryLineRow, i64, ProductRow)>,
    acceptance: Option<AcceptanceRow>,
    payable_id: Option<String>,
    order_no: String,
    names: &OrgNames,
) -> DeliveryView {
    let counted: Vec<(i64, UnitPrice)> = lines
        .iter()
        .filter_map(|(l, price, _)| l.accepted_qty.map(|a| (a, UnitPrice::from_ten_thousandths(*price))))
        .collect();
    let acceptance = acceptance.map(|a| AcceptanceView {
        payable_id,
        accepted_amount: (!counted.is_empty()).then(|| amount_of(counted.iter().copied())),
        id: a.id,
        status: a.status,
        received_by: a.received_by,
        delivered_by: a.delivered_by,
        note: a.note,
        accepted_at: a.accepted_at,
        acceptance_date: a.acceptance_date,
        created_by: a.created_by,
        confirmed_by: a.confirmed_by,
    });
    let lines = lines
        .into_iter()
        .map(|(l, price, p)| DeliveryLineView {
            id: l.id,
            line_no: l.line_no,
            order_line_id: l.order_line_id,
            product: p.into(),
            unit_price: UnitPrice::from_ten_thousandths(price),
            quantity: l.quantity,
            lot_no: l.lot_no,
            production_date: l.production_date,
            expiry_date: l.expiry_date,
            accepted_qty: l.accepted_qty,
            rejected_qty: l.rejected_qty,
            reject_reason: l.reject_reason,
        })
        .collect();
    DeliveryView {
        order_no,
        hospital: names.reference(&d.hospital_id),
        supplier: names.reference(&d.supplier_id),
        lines,
        acceptance,
        id: d.id,
        delivery_no: d.delivery_no,
        order_id: d.order_id,
        status: d.status,
        note: d.note,
        shipped_at: d.shipped_at,
    }
}

pub fn get_delivery(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<DeliveryView> {
    let row = find_visible(conn, actor, id)?;
    Ok(load_views(conn, vec![row])?.pop().expect("one delivery"))
}

#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub order_id: Option<String>,
    pub status: Option<String>,
}

pub fn list_deliveries(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &DeliveryFilter,
    page: PageRequest,
) -> DomainResult<Page<DeliveryView>> {
    let build = || {
        let mut q = visible_deliveries(actor);
        if let Some(v) = &filter.order_id {
            q = q.filter(deliveries::order_id.eq(v.clone()));
        }
        if let Some(v) = &filter.status {
            q = q.filter(deliveries::status.eq(v.clone()));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows = build()
        .order((deliveries::shipped_at.desc(), deliveries::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(DeliveryRow::as_select())
        .load(conn)?;
    Ok(Page::new(load_views(conn, rows)?, page, total))
}
