//! A winning manufacturer's read-only view of its products' flow (中选产品流向). The fund pays
//! the distributor, so a manufacturer has no orders or payables of its own; what it needs is
//! where its winning products went: the order lines hospitals placed for them, the distributor
//! that carries each, what was shipped and accepted, and whether the fund has paid the
//! distributor for the delivery. Nothing else of the distributor's business shows: no other
//! product's lines and no payable's total (a delivery may carry other manufacturers' products).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

use crate::catalog::{OrgRef, ProductRow};
use crate::clock::shanghai_date;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::identity::{Actor, OrgNames, Role};
use crate::money::{Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{deliveries, delivery_lines, order_lines, orders, payables, products, winning_bids};
use crate::settlement::{display_status, stage};

#[derive(Clone, Debug, Default)]
pub struct FlowFilter {
    pub hospital_id: Option<String>,
    pub distributor_id: Option<String>,
    pub product_id: Option<String>,
    /// Placed at or after (stored UTC).
    pub from: Option<NaiveDateTime>,
    /// Placed before (stored UTC).
    pub to: Option<NaiveDateTime>,
}

/// The product of a line, as the manufacturer names it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowProduct {
    pub id: String,
    pub code: String,
    pub generic_name: String,
    pub specification: String,
    pub min_unit: String,
    /// Minimum units per pack (盒).
    pub pack_size: i64,
}

/// Whether the fund has paid the distributor for a delivery: the payable's number, status and
/// dates, without its amount (the delivery may carry other manufacturers' products).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowPayment {
    pub payable_no: String,
    /// The status the distributor sees: `awaiting_invoice` … `paid`, or `overdue`.
    pub status: String,
    pub due_date: NaiveDate,
    pub paid_on: Option<NaiveDate>,
}

/// One delivery of the line: what was shipped in it and accepted of it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowDelivery {
    pub delivery_no: String,
    pub shipped_on: NaiveDate,
    /// `shipped`, `accepted`…: the delivery note's status.
    pub status: String,
    /// In minimum units.
    pub shipped_qty: i64,
    pub accepted_qty: Option<i64>,
    pub payment: Option<FlowPayment>,
}

/// One order line for one of the manufacturer's winning products.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FlowLine {
    /// The order line's id.
    pub id: String,
    pub order_no: String,
    pub ordered_on: NaiveDate,
    /// The order's status (`submitted`, `confirmed`, `shipped`, `completed`…).
    pub order_status: String,
    pub hospital: OrgRef,
    /// The distributor the hospital ordered from, which the fund pays.
    pub distributor: OrgRef,
    pub product: FlowProduct,
    pub unit_price: UnitPrice,
    /// Ordered, in minimum units.
    pub quantity: i64,
    /// This line's amount (quantity × unit price), not the order's.
    pub amount: Money,
    pub shipped_qty: i64,
    pub accepted_qty: i64,
    pub deliveries: Vec<FlowDelivery>,
}

/// The order lines of the caller's winning products, newest order first. For a supplier only:
/// a distributor that wins nothing reads an empty list; everyone else is refused.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &FlowFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<FlowLine>> {
    actor.require(&[Role::Supplier], "read a manufacturer's product flow")?;
    let today = shanghai_date(now);
    let org = actor.org_id.clone();
    let build = || {
        let mine =
            winning_bids::table.filter(winning_bids::enterprise_id.eq(org.clone())).select(winning_bids::id.nullable());
        let mut q = order_lines::table.inner_join(orders::table).filter(order_lines::bid_id.eq_any(mine)).into_boxed();
        if let Some(v) = &filter.hospital_id {
            q = q.filter(orders::hospital_id.eq(v.clone()));
        }
        if let Some(v) = &filter.distributor_id {
            q = q.filter(orders::supplier_id.eq(v.clone()));
        }
        if let Some(v) = &filter.product_id {
            q = q.filter(order_lines::product_id.eq(v.clone()));
        }
        if let Some(v) = filter.from {
            q = q.filter(orders::created_at.ge(v));
        }
        if let Some(v) = filter.to {
            q = q.filter(orders::created_at.lt(v));
        }
        q
    };
    let total: i64 = build().count().get_result(conn)?;
    type Row = (String, String, String, NaiveDateTime, String, String, String, i64, i64, i64, i64);
    let rows: Vec<Row> = build()
        .order((orders::created_at.desc(), orders::id.desc(), order_lines::line_no))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            order_lines::id,
            orders::order_no,
            orders::status,
            orders::created_at,
            orders::hospital_id,
            orders::supplier_id,
            order_lines::product_id,
            order_lines::unit_price,
            order_lines::quantity,
            order_lines::amount,
            order_lines::accepted_qty,
        ))
        .load(conn)?;

    let line_ids: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let product_ids: Vec<&str> = rows.iter().map(|r| r.6.as_str()).collect();
    let org_ids: Vec<&str> = rows.iter().flat_map(|r| [r.4.as_str(), r.5.as_str()]).collect();
    let names = OrgNames::load(conn, &org_ids)?;
    let products: HashMap<String, ProductRow> = products::table
        .filter(products::id.eq_any(&product_ids))
        .select(ProductRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|p| (p.id.clone(), p))
        .collect();
    let mut shipments = deliveries_of(conn, &line_ids, today)?;

    let items = rows
        .into_iter()
        .filter_map(
            |(
                line_id,
                order_no,
                order_status,
                created_at,
                hospital,
                distributor,
                product,
                price,
                qty,
                amount,
                accepted,
            )| {
                let p = products.get(&product)?;
                let deliveries = shipments.remove(&line_id).unwrap_or_default();
                Some(FlowLine {
                    id: line_id,
                    order_no,
                    ordered_on: shanghai_date(crate::clock::from_db(created_at)),
                    order_status,
                    hospital: names.reference(&hospital),
                    distributor: names.reference(&distributor),
                    product: FlowProduct {
                        id: p.id.clone(),
                        code: p.code.clone(),
                        generic_name: p.generic_name.clone(),
                        specification: p.specification.clone(),
                        min_unit: p.min_unit.clone(),
                        pack_size: p.pack_size,
                    },
                    unit_price: UnitPrice::from_ten_thousandths(price),
                    quantity: qty,
                    amount: Money::from_fen(amount),
                    shipped_qty: deliveries.iter().map(|d| d.shipped_qty).sum(),
                    accepted_qty: accepted,
                    deliveries,
                })
            },
        )
        .collect();
    Ok(Page::new(items, page, total))
}

/// The deliveries of a page's lines, each with its payable's status: one query.
fn deliveries_of(
    conn: &mut DbConnection,
    line_ids: &[&str],
    today: NaiveDate,
) -> DomainResult<HashMap<String, Vec<FlowDelivery>>> {
    let mut out: HashMap<String, Vec<FlowDelivery>> = HashMap::new();
    if line_ids.is_empty() {
        return Ok(out);
    }
    type Row = (
        String,
        String,
        NaiveDateTime,
        String,
        i64,
        Option<i64>,
        Option<(String, String, Option<String>, NaiveDate, Option<NaiveDate>)>,
    );
    let rows: Vec<Row> = delivery_lines::table
        .inner_join(deliveries::table.left_join(payables::table.on(payables::delivery_id.eq(deliveries::id))))
        .filter(delivery_lines::order_line_id.eq_any(line_ids))
        .order((deliveries::shipped_at, delivery_lines::line_no))
        .select((
            delivery_lines::order_line_id,
            deliveries::delivery_no,
            deliveries::shipped_at,
            deliveries::status,
            delivery_lines::quantity,
            delivery_lines::accepted_qty,
            (payables::payable_no, payables::stage, payables::batch_id, payables::due_date, payables::paid_on)
                .nullable(),
        ))
        .load(conn)?;
    for (line, delivery_no, shipped_at, status, shipped_qty, accepted_qty, payable) in rows {
        out.entry(line).or_default().push(FlowDelivery {
            delivery_no,
            shipped_on: shanghai_date(crate::clock::from_db(shipped_at)),
            status,
            shipped_qty,
            accepted_qty,
            payment: payable.map(|(payable_no, stored, batch, due_date, paid_on)| FlowPayment {
                status: display_status(stage::of(&stored, batch.as_deref()), due_date, today).to_string(),
                payable_no,
                due_date,
                paid_on,
            }),
        });
    }
    Ok(out)
}
