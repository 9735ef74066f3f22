//! The numbers and names people use for records (PO-…, DN-…, AP-…, PB-…, a bank reference, a
//! product's name, a username), so that the audit log speaks of documents, not ids. Read
//! straight from the tables: this base module imports no capability.

use diesel::prelude::*;
use std::collections::HashMap;

use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::schema::{
    acceptances, batches, deliveries, orders, organizations, payables, payment_batches, payments, products, tenders,
    users, winning_bids,
};

/// The number or name of each (entity type, id) that has one, by id. One query per type.
pub fn of(conn: &mut DbConnection, entities: &[(&str, &str)]) -> DomainResult<HashMap<String, String>> {
    let mut by_type: HashMap<&str, Vec<&str>> = HashMap::new();
    for (t, id) in entities {
        by_type.entry(t).or_default().push(id);
    }
    let mut out = HashMap::new();
    for (t, ids) in by_type {
        let rows: Vec<(String, String)> = match t {
            "order" => {
                orders::table.filter(orders::id.eq_any(&ids)).select((orders::id, orders::order_no)).load(conn)?
            }
            "delivery" => deliveries::table
                .filter(deliveries::id.eq_any(&ids))
                .select((deliveries::id, deliveries::delivery_no))
                .load(conn)?,
            // An acceptance is of a delivery note, and known by its number.
            "acceptance" => acceptances::table
                .inner_join(deliveries::table.on(deliveries::id.eq(acceptances::delivery_id)))
                .filter(acceptances::id.eq_any(&ids))
                .select((acceptances::id, deliveries::delivery_no))
                .load(conn)?,
            "payable" => payables::table
                .filter(payables::id.eq_any(&ids))
                .select((payables::id, payables::payable_no))
                .load(conn)?,
            "payment" => payments::table
                .filter(payments::id.eq_any(&ids))
                .select((payments::id, payments::bank_reference))
                .load(conn)?,
            "payment_batch" => payment_batches::table
                .filter(payment_batches::id.eq_any(&ids))
                .select((payment_batches::id, payment_batches::batch_no))
                .load(conn)?,
            "batch" => {
                batches::table.filter(batches::id.eq_any(&ids)).select((batches::id, batches::name)).load(conn)?
            }
            "tender" => {
                tenders::table.filter(tenders::id.eq_any(&ids)).select((tenders::id, tenders::tender_no)).load(conn)?
            }
            "product" => products::table
                .filter(products::id.eq_any(&ids))
                .select((products::id, products::generic_name.concat(" ").concat(products::specification)))
                .load(conn)?,
            "winning_bid" => winning_bids::table
                .inner_join(products::table.on(products::id.eq(winning_bids::product_id)))
                .filter(winning_bids::id.eq_any(&ids))
                .select((winning_bids::id, products::generic_name.concat(" ").concat(products::specification)))
                .load(conn)?,
            "user" => users::table.filter(users::id.eq_any(&ids)).select((users::id, users::username)).load(conn)?,
            "organization" => organizations::table
                .filter(organizations::id.eq_any(&ids))
                .select((organizations::id, organizations::name))
                .load(conn)?,
            _ => Vec::new(),
        };
        out.extend(rows);
    }
    Ok(out)
}

/// The records a document number names, by id: the order (PO-), the delivery note and its
/// acceptance (DN-), the payable and its payments (AP-), the payment batch (PB-), or the payment
/// with that bank reference. Matched exactly, ignoring case and surrounding spaces.
pub fn ids_of(conn: &mut DbConnection, number: &str) -> DomainResult<Vec<String>> {
    let n = number.trim().to_uppercase();
    let mut ids: Vec<String> = orders::table.filter(orders::order_no.eq(&n)).select(orders::id).load(conn)?;
    let delivery: Vec<String> =
        deliveries::table.filter(deliveries::delivery_no.eq(&n)).select(deliveries::id).load(conn)?;
    ids.extend(
        acceptances::table
            .filter(acceptances::delivery_id.eq_any(&delivery))
            .select(acceptances::id)
            .load::<String>(conn)?,
    );
    ids.extend(delivery);
    let payable: Vec<String> = payables::table.filter(payables::payable_no.eq(&n)).select(payables::id).load(conn)?;
    ids.extend(
        payments::table.filter(payments::payable_id.eq_any(&payable)).select(payments::id).load::<String>(conn)?,
    );
    ids.extend(payable);
    ids.extend(
        payment_batches::table
            .filter(payment_batches::batch_no.eq(&n))
            .select(payment_batches::id)
            .load::<String>(conn)?,
    );
    ids.extend(
        payments::table.filter(payments::bank_reference.eq(number.trim())).select(payments::id).load::<String>(conn)?,
    );
    ids.extend(tenders::table.filter(tenders::tender_no.eq(&n)).select(tenders::id).load::<String>(conn)?);
    Ok(ids)
}
