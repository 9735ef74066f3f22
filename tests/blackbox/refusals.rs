//! Every refusal: a clear JSON error with a stable code and the field, and nothing changed.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Client, Env};
use serde_json::{json, Value};

/// A new product, and a winning bid for it in a new batch of the bureau's region.
fn extra_bid(bureau: &Client, supplier_org: &str, code: &str, cycle: (&str, &str), supply: &str) -> Value {
    let r = bureau.post(
        "/api/v1/products",
        &json!({"code": code, "generic_name": format!("测试药品{code}"), "dosage_form": "片剂", "specification": "10 mg", "pack_size": 10, "min_unit": "片"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post(
        "/api/v1/batches",
        &json!({"name": format!("测试批次 {code}"), "level": "provincial", "category": "drug", "document_no": format!("TEST-{code}"),
                "cycle_start": cycle.0, "cycle_end": cycle.1}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let batch = r.body;
    let manufacturer = bureau.ok("/api/v1/organizations?kind=enterprise&q=Sandoz")["items"][0]["id"].clone();
    let r = bureau.post(
        "/api/v1/winning-bids",
        &json!({"batch_id": batch["id"], "product_code": code, "enterprise_id": manufacturer, "pack_price": "12.00",
                "supply_regions": [{"region_code": supply, "role": "primary"}], "distributor_ids": [supplier_org]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body
}

fn order_count(c: &Client) -> i64 {
    c.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap()
}

on_both_databases!(orders_refused_with_reasons);

fn orders_refused_with_reasons(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bureau = env.login("bureau1");
    let supplier_org = org_id(&supplier);
    let bid = bid(&hospital, "依折麦布片");
    let orders_before = order_count(&hospital);
    let remaining = volume(&hospital, id(&bid))["remaining_qty"].clone();

    // A price that differs from the winning price.
    let mut body = order_body(&supplier_org, &bid, 2);
    body["lines"][0]["unit_price"] = json!("1.3000");
    let r = hospital.post("/api/v1/orders", &body);
    assert_eq!((r.status, r.code()), (422, "price_mismatch"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].unit_price");
    assert_eq!(r.body["error"]["details"]["expected_unit_price"], "1.2963");

    // A quantity that is not whole boxes.
    let mut body = order_body(&supplier_org, &bid, 2);
    body["lines"][0]["quantity"] = json!(61);
    let r = hospital.post("/api/v1/orders", &body);
    assert_eq!((r.status, r.code()), (422, "not_whole_packs"), "{}", r.body);

    // A bid outside its cycle.
    let expired = extra_bid(&bureau, &supplier_org, "XA10BAE021A010010299901", ("2023-01-01", "2024-12-31"), "440000");
    let r = hospital.post("/api/v1/orders", &order_body(&supplier_org, &expired, 1));
    assert_eq!((r.status, r.code()), (422, "outside_cycle"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].winning_bid_id");

    // A bid that does not supply the hospital's region (Beijing only).
    let elsewhere =
        extra_bid(&bureau, &supplier_org, "XA10BAE021A010010299902", ("2026-01-01", "2027-12-31"), "110000");
    let r = hospital.post("/api/v1/orders", &order_body(&supplier_org, &elsewhere, 1));
    assert_eq!((r.status, r.code()), (422, "region_not_supplied"), "{}", r.body);

    // A supplier the bid does not assign.
    let other = org_id(&env.login("supplier3"));
    let r = hospital.post("/api/v1/orders", &order_body(&other, &bid, 1));
    assert_eq!((r.status, r.code()), (422, "supplier_not_assigned"), "{}", r.body);

    // Malformed money and missing fields name the field.
    let mut body = order_body(&supplier_org, &bid, 1);
    body["lines"][0]["unit_price"] = json!(1.2963);
    let r = hospital.post("/api/v1/orders", &body);
    assert_eq!((r.status, r.code()), (422, "invalid_body"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].unit_price");
    let r = hospital.post("/api/v1/orders", &json!({"lines": []}));
    assert_eq!((r.status, r.code()), (422, "invalid_body"), "{}", r.body);
    let r = hospital.send_raw("POST", "/api/v1/orders", b"{not json");
    assert_eq!((r.status, r.code()), (400, "invalid_json"), "{}", r.body);

    // Only hospitals order.
    let r = supplier.post("/api/v1/orders", &order_body(&supplier_org, &bid, 1));
    assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.body);

    // Nothing changed.
    assert_eq!(order_count(&hospital), orders_before);
    assert_eq!(volume(&hospital, id(&bid))["remaining_qty"], remaining);
}

on_both_databases!(supplier_decisions_and_shipping_refused);

fn supplier_decisions_and_shipping_refused(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bid = bid(&hospital, "依折麦布片");
    let order = place(&hospital, &org_id(&supplier), &bid, 10);

    // Goods ship only against a confirmed order.
    let r = supplier.post("/api/v1/deliveries", &ship_body(&order, 300, "L1"));
    assert_eq!((r.status, r.code()), (409, "order_not_open"), "{}", r.body);
    // Declining needs a reason.
    let r = supplier.post(&format!("/api/v1/orders/{}/decline", id(&order)), &json!({"reason": "  "}));
    assert_eq!((r.status, r.code()), (422, "reason_required"), "{}", r.body);
    confirm(&supplier, &order);
    // A confirmed order cannot be confirmed, declined or cancelled again.
    let r = supplier.post(&format!("/api/v1/orders/{}/confirm", id(&order)), &json!({}));
    assert_eq!((r.status, r.code()), (409, "order_not_submitted"), "{}", r.body);
    let r = hospital.post(&format!("/api/v1/orders/{}/cancel", id(&order)), &json!({}));
    assert_eq!((r.status, r.code()), (409, "order_not_submitted"), "{}", r.body);

    // Over-shipment: never more than is open.
    let r = supplier.post("/api/v1/deliveries", &ship_body(&order, 330, "L1"));
    assert_eq!((r.status, r.code()), (422, "over_shipment"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["open_qty"], 300);
    ship(&supplier, &order, 180, "L1");
    let r = supplier.post("/api/v1/deliveries", &ship_body(&order, 150, "L2"));
    assert_eq!((r.status, r.code()), (422, "over_shipment"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["open_qty"], 120);
    // Two lines of one delivery note count together.
    let mut two = ship_body(&order, 90, "L2");
    let mut second = two["lines"][0].clone();
    second["lot_no"] = json!("L3");
    two["lines"].as_array_mut().unwrap().push(second);
    let r = supplier.post("/api/v1/deliveries", &two);
    assert_eq!((r.status, r.code()), (422, "over_shipment"), "{}", r.body);
    // Expired goods and dates out of order.
    let mut stale = ship_body(&order, 30, "L4");
    stale["lines"][0]["expiry_date"] = json!("2026-11-01");
    let r = supplier.post("/api/v1/deliveries", &stale);
    assert_eq!((r.status, r.code()), (422, "expired_goods"), "{}", r.body);
    let mut no_lot = ship_body(&order, 30, " ");
    no_lot["lines"][0]["lot_no"] = json!("");
    let r = supplier.post("/api/v1/deliveries", &no_lot);
    assert_eq!((r.status, r.code()), (422, "invalid_lot_no"), "{}", r.body);

    let o = hospital.ok(&format!("/api/v1/orders/{}", id(&order)));
    assert_eq!(o["status"], "partially_shipped");
    assert_eq!(o["lines"][0]["shipped_qty"], 180);
    assert_eq!(supplier.ok(&format!("/api/v1/deliveries?order_id={}", id(&order)))["total"], 1);
}

on_both_databases!(acceptance_refused_and_immutable);

fn acceptance_refused_and_immutable(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 6); // 180 tablets
    let path = format!("/api/v1/deliveries/{}/acceptance", id(&s.delivery));

    // accepted + rejected must equal shipped.
    let r = hospital.post(&path, &acceptance_body(&s.delivery, 100, 0, None));
    assert_eq!((r.status, r.code()), (422, "acceptance_arithmetic"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].accepted_qty");
    assert_eq!(r.body["error"]["details"]["shipped_qty"], 180);
    let r = hospital.post(&path, &acceptance_body(&s.delivery, 170, 20, Some("破损")));
    assert_eq!((r.status, r.code()), (422, "acceptance_arithmetic"), "{}", r.body);
    // A rejection needs a reason.
    let r = hospital.post(&path, &acceptance_body(&s.delivery, 150, 30, None));
    assert_eq!((r.status, r.code()), (422, "reject_reason_required"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].reject_reason");
    // Every line is counted.
    let mut none = acceptance_body(&s.delivery, 180, 0, None);
    none["lines"] = json!([]);
    let r = hospital.post(&path, &none);
    assert_eq!((r.status, r.code()), (422, "lines_incomplete"), "{}", r.body);
    // Only the hospital accepts.
    let r = supplier.post(&path, &acceptance_body(&s.delivery, 180, 0, None));
    assert_eq!((r.status, r.code()), (403, "forbidden"), "{}", r.body);
    // Nothing was recorded by the refusals.
    assert_eq!(hospital.ok(&format!("/api/v1/deliveries/{}", id(&s.delivery)))["acceptance"], Value::Null);

    accept(&hospital, &s.delivery, 150, 30, Some("破损 damaged"));
    // A confirmed acceptance is immutable: no edit, no second acceptance, no re-confirm.
    let r = hospital.put(&path, &acceptance_body(&s.delivery, 180, 0, None));
    assert_eq!((r.status, r.code()), (409, "acceptance_confirmed"), "{}", r.body);
    let r = hospital.post(&path, &acceptance_body(&s.delivery, 180, 0, None));
    assert_eq!((r.status, r.code()), (409, "acceptance_confirmed"), "{}", r.body);
    let r = hospital.post(&format!("{path}/confirm"), &json!({}));
    assert_eq!((r.status, r.code()), (409, "acceptance_confirmed"), "{}", r.body);
    let d = hospital.ok(&format!("/api/v1/deliveries/{}", id(&s.delivery)));
    assert_eq!(d["lines"][0]["accepted_qty"], 150);
    assert_eq!(supplier.ok(&format!("/api/v1/payables?order_id={}", id(&s.order)))["total"], 1);

    // The database refuses the change too, whatever the client.
    let statement = format!(
        "UPDATE delivery_lines SET accepted_qty = 180, rejected_qty = 0, reject_reason = NULL WHERE delivery_id = '{}'",
        id(&s.delivery)
    );
    let (ok, text) = jicai_tests::sql(&env.server.database_url, &statement);
    assert!(!ok, "the database let a confirmed acceptance change: {text}");
    assert!(text.contains("immutable"), "{text}");
}

on_both_databases!(money_past_the_decimal_range_is_a_clear_refusal);

fn money_past_the_decimal_range_is_a_clear_refusal(backend: jicai_tests::Backend) {
    // A 27-digit amount once panicked the parser and dropped the connection (issue 21).
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let fund1 = env.login("fund1");
    let hospital_id = org_id(&env.login("hospital1"));
    for amount in ["999999999999999999999999999", "79228162514264337593543950335"] {
        let r = fund1.post(
            "/api/v1/monthly-settlements",
            &json!({"hospital_id": hospital_id, "month": "2026-10", "amount": amount}),
        );
        assert_eq!((r.status, r.code()), (422, "invalid_body"), "{amount}: {}", r.body);
        assert!(r.body["error"]["message"].as_str().unwrap().contains("too large"), "{}", r.body);
    }
}

on_both_databases!(lenient_input_is_refused_and_changes_nothing);

fn lenient_input_is_refused_and_changes_nothing(backend: jicai_tests::Backend) {
    // Found from outside (issue 21): JSON sent as text or XML was taken, " 1.00" was an
    // amount, and 0000-01-01 or 9999-12-31 were dates.
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let fund1 = env.login("fund1");
    let hospital_id = org_id(&env.login("hospital1"));
    let body = json!({"hospital_id": hospital_id, "month": "2025-06", "amount": "1.00"}).to_string();
    for content_type in ["text/plain", "application/xml", "application/x-www-form-urlencoded"] {
        let r = fund1.post_file("/api/v1/monthly-settlements", content_type, body.as_bytes());
        assert_eq!((r.status, r.code()), (415, "unsupported_media_type"), "{content_type}: {}", r.body);
        assert_eq!(r.body["error"]["field"], "Content-Type");
    }
    let r = fund1.post(
        "/api/v1/monthly-settlements",
        &json!({"hospital_id": hospital_id, "month": "2025-06", "amount": " 1.00"}),
    );
    assert_eq!(
        (r.status, r.code(), r.body["error"]["field"].clone()),
        (422, "invalid_body", json!("amount")),
        "{}",
        r.body
    );
    // The same request as JSON is taken (a second one for the month would be a conflict): the
    // refusals above wrote nothing.
    let r = fund1.post_file("/api/v1/monthly-settlements", "application/json; charset=utf-8", body.as_bytes());
    assert_eq!(r.status, 201, "{}", r.body);

    // A compressed body is refused before it is inflated (a gzip bomb cost seconds of CPU).
    let bomb = [0x1f_u8, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03];
    let resp = match env
        .server
        .client()
        .request("POST", "/api/v1/auth/login")
        .set("Content-Type", "application/json")
        .set("Content-Encoding", "gzip")
        .send_bytes(&bomb)
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    assert_eq!(resp.status(), 415);
    let body: serde_json::Value = resp.into_json().unwrap();
    assert_eq!(body["error"]["field"], "Content-Encoding", "{body}");

    let r = fund1.get("/api/v1/payables?due_from=0000-01-01");
    assert_eq!(
        (r.status, r.code(), r.body["error"]["field"].clone()),
        (422, "date_out_of_range", json!("due_from")),
        "{}",
        r.body
    );
    let r = fund1.get("/api/v1/payables?due_to=9999-12-31");
    assert_eq!((r.status, r.code()), (422, "date_out_of_range"), "{}", r.body);
    assert_eq!(fund1.get("/api/v1/payables?due_from=2026-01-01&due_to=2100-12-31").status, 200);
    let bureau = env.login("bureau1");
    let r = bureau
        .post("/api/v1/payment-standards/compute", &json!({"effective_from": "9999-12-31", "variant": "national"}));
    assert_eq!(
        (r.status, r.code(), r.body["error"]["field"].clone()),
        (422, "date_out_of_range", json!("effective_from")),
        "{}",
        r.body
    );
}

#[test]
fn a_panicking_handler_costs_one_request_not_the_connection() {
    // Any handler that panics answers a logged 500 with the JSON error body, and the server
    // (and the client's connection pool) goes on; the log gets one line, not a backtrace.
    let Some(url) = jicai_tests::fresh_database(jicai_tests::Backend::Sqlite) else { return };
    jicai_tests::cli(&url, Some(NOW), &["migrate"]);
    let server = jicai_tests::Server::start_with(
        &url,
        Some(NOW),
        &[("JICAI_FAILPOINT", "parse:panic"), ("RUST_BACKTRACE", "full")],
    );
    let c = server.client();
    for _ in 0..3 {
        let r = c.post("/api/v1/auth/login", &json!({"username": "nobody", "password": "whatever"}));
        assert_eq!((r.status, r.code()), (500, "internal"), "{}", r.body);
    }
    assert_eq!(c.get("/healthz").status, 200);
    let log = std::fs::read_to_string(&server.log).unwrap();
    let panics: Vec<&str> = log.lines().filter(|l| l.contains("panic: ")).collect();
    assert_eq!(panics.len(), 3, "{log}");
    assert!(log.len() < 8_000, "no backtrace per request: {} bytes\n{log}", log.len());
}

on_both_databases!(an_absurd_order_line_is_refused_by_the_regions_limit);

fn an_absurd_order_line_is_refused_by_the_regions_limit(backend: jicai_tests::Backend) {
    // 9,999,999 boxes of 依巴斯汀片 went through with one click (issue 22): a line beyond the
    // region's limit (policy: twice the year's agreed volume) is refused, with the limit.
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier_org = org_id(&env.login("supplier1"));
    let bid = bid(&hospital, "依折麦布片");
    let pack = bid["product"]["pack_size"].as_i64().unwrap();
    let v = volume(&hospital, id(&bid));
    let agreed = v["agreed_qty"].as_i64().unwrap();
    let orders_before = order_count(&hospital);
    let limit_packs = (2 * agreed / pack).max(100);

    let r = hospital.post("/api/v1/orders", &order_body(&supplier_org, &bid, 9_999_999));
    assert_eq!((r.status, r.code()), (422, "quantity_beyond_limit"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].quantity");
    assert_eq!(r.body["error"]["details"]["limit"], limit_packs * pack);
    assert_eq!(r.body["error"]["details"]["limit_packs"], limit_packs);
    assert_eq!(r.body["error"]["details"]["annual_agreed"], agreed);
    let r = hospital.post("/api/v1/orders", &order_body(&supplier_org, &bid, limit_packs + 1));
    assert_eq!((r.status, r.code()), (422, "quantity_beyond_limit"), "{}", r.body);
    // Nothing changed: no order, the volume untouched.
    assert_eq!(order_count(&hospital), orders_before);
    assert_eq!(volume(&hospital, id(&bid))["remaining_qty"], v["remaining_qty"]);

    // At the limit the line goes through (above the volume, as the hospital confirmed).
    let order = place(&hospital, &supplier_org, &bid, limit_packs);
    assert!(order["lines"][0]["above_volume_qty"].as_i64().unwrap() > 0, "{order}");

    // The limit is data: a new version allows three times the volume from today.
    let bureau = env.login("bureau1");
    let r = bureau.post(
        "/api/v1/policies/order_limit",
        &json!({"effective_from": "2026-11-22", "params": {"max_multiple_of_agreed": "3", "max_packs_without_volume": 10000, "always_allowed_packs": 100}, "note": "黑盒：三倍"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post("/api/v1/policies/order_limit", &json!({"effective_from": "2026-11-23", "params": {"max_multiple_of_agreed": "0.5", "max_packs_without_volume": 10000, "always_allowed_packs": 100}}));
    assert_eq!((r.status, r.code()), (422, "invalid_policy"), "{}", r.body);
    place(&hospital, &supplier_org, &bid, limit_packs + 1);
    let r = hospital.post("/api/v1/orders", &order_body(&supplier_org, &bid, (3 * agreed / pack).max(100) + 1));
    assert_eq!((r.status, r.code()), (422, "quantity_beyond_limit"), "{}", r.body);
}
