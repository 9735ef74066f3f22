//! The rows of ordering and the queries that scope them to the caller: one visibility filter
//! per resource (orders, delivery notes).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

use super::rules::{shipments_by_line, AcceptanceStatus, DeliveryStatus, NoteLine, OrderStatus, Shipments};

use crate::catalog::ProductRow;
use crate::clock::to_db;
use crate::db::{DbBackend, DbConnection};
use crate::error::{DomainError, DomainResult};
use crate::identity::{Actor, Role};
use crate::schema::{acceptances, audit_events, deliveries, delivery_lines, order_lines, orders, products};

// ---------------------------------------------------------------- rows

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = orders, treat_none_as_default_value = false)]
pub struct OrderRow {
    pub id: String,
    pub order_no: String,
    pub region_id: String,
    pub hospital_id: String,
    pub supplier_id: String,
    pub status: OrderStatus,
    pub total_amount: i64,
    pub note: Option<String>,
    pub decline_reason: Option<String>,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = order_lines, treat_none_as_default_value = false)]
pub struct OrderLineRow {
    pub id: String,
    pub order_id: String,
    pub line_no: i32,
    pub kind: String,
    pub bid_id: Option<String>,
    pub listed_product_id: Option<String>,
    pub product_id: String,
    pub agreed_volume_id: Option<String>,
    pub unit_price: i64,
    pub quantity: i64,
    pub in_volume_qty: i64,
    pub above_volume_qty: i64,
    pub amount: i64,
    pub accepted_qty: i64,
}

crate::text_enum!(OrderStatus);
crate::text_enum!(DeliveryStatus);
crate::text_enum!(AcceptanceStatus);

// ---------------------------------------------------------------- scoping

/// Orders visible to the caller: a hospital its own, a supplier those addressed to it, bureau
/// and fund officers their region's, admins all.
pub(crate) fn visible_orders<'a>(actor: &Actor) -> orders::BoxedQuery<'a, DbBackend> {
    let q = orders::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::HospitalBuyer => q.filter(orders::hospital_id.eq(actor.org_id.clone())),
        Role::Supplier => q.filter(orders::supplier_id.eq(actor.org_id.clone())),
        Role::BureauOfficer | Role::FundOfficer => {
            q.filter(orders::region_id.eq(actor.region_id.clone().unwrap_or_default()))
        }
    }
}

pub(crate) fn find_visible_order(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<OrderRow> {
    visible_orders(actor)
        .filter(orders::id.eq(id.to_string()))
        .select(OrderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("order"))
}

/// Takes the row lock (PostgreSQL) of an order addressed to `supplier_id` (what a supplier sees
/// of orders) before reading what a change depends on, and returns the order as it stands under
/// the lock; none when there is no such order. On SQLite the write transaction already holds the
/// database's single write lock. Visibility and the lock take one statement.
pub(crate) fn lock_supplied_order(
    conn: &mut DbConnection,
    supplier_id: &str,
    id: &str,
    now: DateTime<Utc>,
) -> DomainResult<Option<OrderRow>> {
    let touch = diesel::update(orders::table.find(id).filter(orders::supplier_id.eq(supplier_id)))
        .set(orders::updated_at.eq(to_db(now)));
    Ok(crate::db::changed_row!(conn, touch, OrderRow)?)
}

// ---------------------------------------------------------------- delivery notes

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = deliveries, treat_none_as_default_value = false)]
pub struct DeliveryRow {
    pub id: String,
    pub delivery_no: String,
    pub order_id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub supplier_id: String,
    pub status: DeliveryStatus,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub shipped_at: NaiveDateTime,
    pub created_by: String,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = delivery_lines, treat_none_as_default_value = false)]
pub struct DeliveryLineRow {
    pub id: String,
    pub delivery_id: String,
    pub order_line_id: String,
    pub line_no: i32,
    pub quantity: i64,
    pub lot_no: String,
    pub production_date: NaiveDate,
    pub expiry_date: NaiveDate,
    pub accepted_qty: Option<i64>,
    pub rejected_qty: Option<i64>,
    pub reject_reason: Option<String>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = acceptances, treat_none_as_default_value = false)]
pub struct AcceptanceRow {
    pub id: String,
    pub delivery_id: String,
    pub status: AcceptanceStatus,
    pub received_by: String,
    pub delivered_by: String,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub accepted_at: Option<NaiveDateTime>,
    pub acceptance_date: Option<NaiveDate>,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    pub confirmed_by: Option<String>,
}

pub(crate) fn visible_deliveries<'a>(actor: &Actor) -> deliveries::BoxedQuery<'a, DbBackend> {
    let q = deliveries::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::HospitalBuyer => q.filter(deliveries::hospital_id.eq(actor.org_id.clone())),
        Role::Supplier => q.filter(deliveries::supplier_id.eq(actor.org_id.clone())),
        Role::BureauOfficer | Role::FundOfficer => {
            q.filter(deliveries::region_id.eq(actor.region_id.clone().unwrap_or_default()))
        }
    }
}

/// Takes the lock of the order of a delivery note addressed to `hospital_id` (what a hospital
/// counts against), in one statement, and returns the order as it stands under the lock; not
/// found when there is no such note.
pub(crate) fn lock_received_delivery(
    conn: &mut DbConnection,
    hospital_id: &str,
    delivery_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<OrderRow> {
    let order_of_note = deliveries::table
        .filter(deliveries::id.eq(delivery_id))
        .filter(deliveries::hospital_id.eq(hospital_id))
        .select(deliveries::order_id)
        .single_value();
    let touch = diesel::update(orders::table.filter(orders::id.nullable().eq(order_of_note)))
        .set(orders::updated_at.eq(to_db(now)));
    crate::db::changed_row!(conn, touch, OrderRow)?.ok_or(DomainError::not_found("delivery"))
}

/// An order as its documents stand: each line with its product, every delivery line shipped
/// against it with its note's status, the notes with their acceptances, and the hash of the
/// order's newest audit event (the head its next event chains to).
pub(crate) struct OrderState {
    pub lines: Vec<(OrderLineRow, ProductRow)>,
    pub shipped: Vec<(DeliveryLineRow, DeliveryStatus)>,
    pub notes: Vec<(DeliveryRow, Option<AcceptanceRow>)>,
    pub audit_head: Option<String>,
}

impl OrderState {
    /// What the notes say of each line, as read.
    pub fn shipments(&self) -> HashMap<String, Shipments> {
        shipments_by_line(self.shipped.iter().map(|(l, status)| note_line(l, *status)))
    }
}

/// A delivery line as the order's totals count it.
pub(crate) fn note_line(l: &DeliveryLineRow, delivery_status: DeliveryStatus) -> NoteLine<'_> {
    NoteLine {
        order_line_id: &l.order_line_id,
        quantity: l.quantity,
        in_transit: delivery_status == DeliveryStatus::Shipped,
        rejected: l.rejected_qty.unwrap_or(0),
    }
}

/// Reads an order's state in one query (under its lock, when it is about to change: the head of
/// its audit chain is then the one its next event must chain to).
pub(crate) fn order_state(conn: &mut DbConnection, order_id: &str) -> DomainResult<OrderState> {
    let head = audit_events::table
        .filter(audit_events::entity_type.eq("order"))
        .filter(audit_events::entity_id.eq(order_id.to_string()))
        .order(audit_events::id.desc())
        .select(audit_events::hash)
        .limit(1)
        .single_value();
    type Row =
        (OrderLineRow, ProductRow, Option<DeliveryLineRow>, Option<DeliveryRow>, Option<AcceptanceRow>, Option<String>);
    let rows: Vec<Row> = order_lines::table
        .inner_join(products::table)
        .left_join(delivery_lines::table.inner_join(
            deliveries::table.left_join(acceptances::table.on(acceptances::delivery_id.eq(deliveries::id))),
        ))
        .filter(order_lines::order_id.eq(order_id))
        .order((order_lines::line_no.asc(), delivery_lines::id.asc()))
        .select((
            OrderLineRow::as_select(),
            ProductRow::as_select(),
            Option::<DeliveryLineRow>::as_select(),
            Option::<DeliveryRow>::as_select(),
            Option::<AcceptanceRow>::as_select(),
            head,
        ))
        .load(conn)?;
    let mut state = OrderState { lines: Vec::new(), shipped: Vec::new(), notes: Vec::new(), audit_head: None };
    for (line, product, shipped, note, acceptance, head) in rows {
        state.audit_head = head;
        if let (Some(shipped), Some(note)) = (shipped, note) {
            state.shipped.push((shipped, note.status));
            if !state.notes.iter().any(|(n, _)| n.id == note.id) {
                state.notes.push((note, acceptance));
            }
        }
        if state.lines.last().is_none_or(|(l, _)| l.id != line.id) {
            state.lines.push((line, product));
        }
    }
    Ok(state)
}

pub(crate) fn find_visible_delivery(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<DeliveryRow> {
    visible_deliveries(actor)
        .filter(deliveries::id.eq(id.to_string()))
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("delivery"))
}
