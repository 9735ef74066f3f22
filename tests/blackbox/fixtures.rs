//! Shared steps over the HTTP API, as a user would take them.

use jicai_tests::Client;
use serde_json::{json, Value};

pub const NOW: &str = "2026-11-22T10:00:00+08:00";
pub const TODAY: &str = "2026-11-22";

/// The caller's organisation id.
pub fn org_id(c: &Client) -> String {
    c.ok("/api/v1/me")["organization"]["id"].as_str().expect("org id").to_string()
}

/// The winning bid of a generic (Chinese name) visible to the caller.
pub fn bid(c: &Client, generic: &str) -> Value {
    let page = c.ok(&format!("/api/v1/winning-bids?q={}", urlencode(generic)));
    page["items"].as_array().and_then(|a| a.first()).cloned().unwrap_or_else(|| panic!("no bid for {generic}: {page}"))
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The hospital's agreed volume on a bid (the demo gives every hospital one per bid).
pub fn volume(c: &Client, bid_id: &str) -> Value {
    let page = c.ok(&format!("/api/v1/agreed-volumes?winning_bid_id={bid_id}"));
    assert_eq!(page["total"], 1, "one agreed volume expected: {page}");
    page["items"][0].clone()
}

pub fn order_body(supplier_id: &str, bid: &Value, packs: i64) -> Value {
    let pack = bid["product"]["pack_size"].as_i64().expect("pack size");
    json!({
        "supplier_id": supplier_id,
        "note": "black-box test order",
        "lines": [{"winning_bid_id": bid["id"], "quantity": packs * pack, "unit_price": bid["unit_price"]}]
    })
}

/// Places an order and asserts 201.
pub fn place(hospital: &Client, supplier_id: &str, bid: &Value, packs: i64) -> Value {
    let r = hospital.post("/api/v1/orders", &order_body(supplier_id, bid, packs));
    assert_eq!(r.status, 201, "place order: {}", r.body);
    r.body
}

pub fn confirm(supplier: &Client, order: &Value) -> Value {
    let r = supplier.post(&format!("/api/v1/orders/{}/confirm", order["id"].as_str().unwrap()), &json!({}));
    assert_eq!(r.status, 200, "confirm: {}", r.body);
    r.body
}

pub fn ship_body(order: &Value, qty: i64, lot: &str) -> Value {
    json!({
        "order_id": order["id"],
        "lines": [{
            "order_line_id": order["lines"][0]["id"],
            "quantity": qty,
            "lot_no": lot,
            "production_date": "2026-06-01",
            "expiry_date": "2031-12-31"
        }]
    })
}

pub fn ship(supplier: &Client, order: &Value, qty: i64, lot: &str) -> Value {
    let r = supplier.post("/api/v1/deliveries", &ship_body(order, qty, lot));
    assert_eq!(r.status, 201, "ship: {}", r.body);
    r.body
}

pub fn acceptance_body(delivery: &Value, accepted: i64, rejected: i64, reason: Option<&str>) -> Value {
    json!({
        "received_by": "药库 张伟",
        "delivered_by": "配送员 刘洋",
        "lines": [{
            "delivery_line_id": delivery["lines"][0]["id"],
            "accepted_qty": accepted,
            "rejected_qty": rejected,
            "reject_reason": reason
        }]
    })
}

pub fn accept(hospital: &Client, delivery: &Value, accepted: i64, rejected: i64, reason: Option<&str>) -> Value {
    let r = hospital.post(
        &format!("/api/v1/deliveries/{}/acceptance", delivery["id"].as_str().unwrap()),
        &acceptance_body(delivery, accepted, rejected, reason),
    );
    assert_eq!(r.status, 201, "accept: {}", r.body);
    r.body
}

/// hospital1 orders `packs` of ezetimibe from supplier1, who confirms and ships it all.
pub struct Shipped {
    pub order: Value,
    pub delivery: Value,
    pub bid: Value,
}

pub fn shipped_order(hospital: &Client, supplier: &Client, packs: i64) -> Shipped {
    let bid = bid(hospital, "依折麦布片");
    let order = place(hospital, &org_id(supplier), &bid, packs);
    confirm(supplier, &order);
    let qty = order["lines"][0]["quantity"].as_i64().unwrap();
    let delivery = ship(supplier, &order, qty, "E2611A");
    Shipped { order, delivery, bid }
}

pub fn id(v: &Value) -> &str {
    v["id"].as_str().expect("id")
}

/// Ids of the items of a page.
pub fn ids(page: &Value) -> Vec<String> {
    page["items"].as_array().expect("items").iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A workbook of one sheet with these rows; numbers below the header are written as numbers
/// (floats), as spreadsheets keep them.
pub fn xlsx<R: AsRef<[S]>, S: AsRef<str>>(rows: &[R]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.as_ref().iter().enumerate() {
            let cell = cell.as_ref();
            match cell.parse::<f64>() {
                Ok(n) if r > 0 => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
                _ => sheet.write_string(r as u32, c as u16, cell).map(|_| ()),
            }
            .unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}
