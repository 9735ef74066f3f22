//! The procurement flow from winning bid to payable, as the walkthrough describes it.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Env};
use serde_json::json;

on_both_databases!(order_ship_accept_payable);

fn order_ship_accept_payable(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bureau = env.login("bureau1");

    // The hospital finds ezetimibe (Sandoz, ¥38.89 per box of 30 → ¥1.2963 per tablet).
    let bid = bid(&hospital, "依折麦布片");
    assert_eq!(bid["pack_price"], "38.89");
    assert_eq!(bid["unit_price"], "1.2963");
    assert_eq!(bid["product"]["pack_size"], 30);
    let before = volume(&hospital, id(&bid));
    let remaining = before["remaining_qty"].as_i64().unwrap();
    assert!(remaining > 300, "demo volume leaves room: {before}");

    // Order 10 boxes = 300 tablets at the winning price.
    let order = place(&hospital, &org_id(&supplier), &bid, 10);
    assert_eq!(order["status"], "submitted");
    assert_eq!(order["total_amount"], "388.89"); // 300 × 1.2963 = 388.89
    assert_eq!(order["lines"][0]["in_volume_qty"], 300);
    assert_eq!(order["lines"][0]["above_volume_qty"], 0);
    let after = volume(&hospital, id(&bid));
    assert_eq!(after["remaining_qty"].as_i64().unwrap(), remaining - 300);

    // The supplier sees it waiting, confirms and ships everything.
    let waiting = supplier.ok("/api/v1/orders?status=submitted&per_page=200");
    assert!(ids(&waiting).contains(&id(&order).to_string()));
    assert_eq!(confirm(&supplier, &order)["status"], "confirmed");
    let delivery = ship(&supplier, &order, 300, "E2611A");
    assert_eq!(delivery["status"], "shipped");
    assert_eq!(delivery["lines"][0]["lot_no"], "E2611A");
    assert_eq!(hospital.ok(&format!("/api/v1/orders/{}", id(&order)))["status"], "shipped");

    // The hospital accepts 270 and rejects 30 (one box) with a reason.
    let accepted = accept(&hospital, &delivery, 270, 30, Some("外包装破损 damaged packaging"));
    assert_eq!(accepted["status"], "accepted");
    let acceptance = &accepted["acceptance"];
    assert_eq!(acceptance["status"], "confirmed");
    assert_eq!(acceptance["acceptance_date"], TODAY);
    assert_eq!(acceptance["received_by"], "药库 张伟");
    assert_eq!(acceptance["delivered_by"], "配送员 刘洋");
    assert_eq!(acceptance["accepted_amount"], "350.00"); // 270 × 1.2963 = 350.001
    assert_eq!(accepted["lines"][0]["reject_reason"], "外包装破损 damaged packaging");
    // Completion counts what is accepted (as monitoring does), with the ordered beside it.
    let now = volume(&hospital, id(&bid));
    assert_eq!(now["accepted_qty"].as_i64().unwrap(), before["accepted_qty"].as_i64().unwrap() + 270);
    assert_eq!(now["ordered_qty"].as_i64().unwrap(), before["ordered_qty"].as_i64().unwrap() + 300);
    let progress = bureau.ok(&format!("/api/v1/monitoring/progress?as_of={TODAY}&per_page=200"));
    let monitored =
        progress["items"].as_array().unwrap().iter().find(|p| p["agreed_volume_id"] == now["id"]).expect("monitored");
    assert_eq!(monitored["accepted_qty"], now["accepted_qty"], "one definition of completion");

    // The supplier sees the payable: amount, acceptance date (day 0), due date = +30.
    let payables = supplier.ok(&format!("/api/v1/payables?order_id={}", id(&order)));
    assert_eq!(payables["total"], 1);
    let p = &payables["items"][0];
    assert_eq!(p["amount"], "350.00");
    assert_eq!(p["acceptance_date"], TODAY);
    assert_eq!(p["due_date"], "2026-12-22");
    assert_eq!(p["days_remaining"], 30);
    assert_eq!(p["status"], "awaiting_invoice");
    assert_eq!(p["outstanding"], "350.00");
    assert_eq!(p["delivery_no"], delivery["delivery_no"]);
    // Numbers and names come from their own tables, in one statement.
    assert_eq!(
        (&p["order_no"], &p["hospital"], &p["supplier"]),
        (&order["order_no"], &order["hospital"], &order["supplier"])
    );
    assert!(p["order_no"].as_str().is_some_and(|n| n.starts_with("PO")) && p["hospital"]["name"].is_string(), "{p}");
    assert_eq!(p["id"], acceptance["payable_id"]);
    // The hospital and the bureau see the same payable.
    assert_eq!(hospital.ok(&format!("/api/v1/payables/{}", p["id"].as_str().unwrap()))["amount"], "350.00");
    assert_eq!(bureau.ok(&format!("/api/v1/payables/{}", p["id"].as_str().unwrap()))["due_date"], "2026-12-22");

    // The order shows what happened, with its status history.
    let o = hospital.ok(&format!("/api/v1/orders/{}", id(&order)));
    assert_eq!(o["status"], "partially_accepted");
    assert_eq!(o["lines"][0]["accepted_qty"], 270);
    assert_eq!(o["lines"][0]["rejected_qty"], 30);
    assert_eq!(o["lines"][0]["open_qty"], 30);
    let history: Vec<&str> =
        o["history"].as_array().unwrap().iter().map(|h| h["to_status"].as_str().unwrap()).collect();
    assert_eq!(history, ["submitted", "confirmed", "shipped", "partially_accepted"]);
    // Each change names who made it: the hospital orders, the supplier confirms.
    let by: Vec<&str> = o["history"].as_array().unwrap().iter().map(|h| h["actor_name"].as_str().unwrap()).collect();
    assert!(by[0].ends_with("(hospital1)") && by[1].ends_with("(supplier1)"), "{by:?}");

    // The rejected box is replaced; once accepted the order is complete, with a second payable.
    let replacement = ship(&supplier, &o, 30, "E2611B");
    accept(&hospital, &replacement, 30, 0, None);
    let done = hospital.ok(&format!("/api/v1/orders/{}", id(&order)));
    assert_eq!(done["status"], "completed");
    let payables = supplier.ok(&format!("/api/v1/payables?order_id={}&sort=amount", id(&order)));
    assert_eq!(payables["total"], 2);
    assert_eq!(payables["items"][0]["amount"], "38.89"); // 30 × 1.2963 = 38.889
}

on_both_databases!(draft_acceptance_then_confirm);

fn draft_acceptance_then_confirm(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 2);
    let path = format!("/api/v1/deliveries/{}/acceptance", id(&s.delivery));
    let mut draft = acceptance_body(&s.delivery, 30, 30, Some("近效期 short expiry"));
    draft["confirm"] = json!(false);
    let r = hospital.post(&path, &draft);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["acceptance"]["status"], "draft");
    assert_eq!(r.body["acceptance"]["payable_id"], serde_json::Value::Null);
    assert_eq!(supplier.ok(&format!("/api/v1/payables?order_id={}", id(&s.order)))["total"], 0);
    // A draft can be edited…
    let mut edited = acceptance_body(&s.delivery, 60, 0, None);
    edited["confirm"] = json!(false);
    let r = hospital.put(&path, &edited);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["lines"][0]["accepted_qty"], 60);
    // …and confirmed, which creates the payable.
    let r = hospital.post(&format!("{path}/confirm"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["acceptance"]["status"], "confirmed");
    let payables = supplier.ok(&format!("/api/v1/payables?order_id={}", id(&s.order)));
    assert_eq!(payables["total"], 1);
    assert_eq!(payables["items"][0]["amount"], "77.78"); // 60 × 1.2963 = 77.778
}

on_both_databases!(above_volume_and_non_winning_lines);

fn above_volume_and_non_winning_lines(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let bid = bid(&hospital, "依折麦布片");
    let v = volume(&hospital, id(&bid));
    let remaining = v["remaining_qty"].as_i64().unwrap();
    let pack = bid["product"]["pack_size"].as_i64().unwrap();
    let packs = remaining / pack + 3; // beyond what remains
    let supplier1 = env.login("supplier1");
    let order = place(&hospital, &org_id(&supplier1), &bid, packs);
    let line = &order["lines"][0];
    assert_eq!(line["in_volume_qty"].as_i64().unwrap(), remaining);
    assert_eq!(line["above_volume_qty"].as_i64().unwrap(), packs * pack - remaining);
    assert_eq!(volume(&hospital, id(&bid))["remaining_qty"], 0);

    // A listed non-winning alternative is ordered from the enterprise that listed it.
    let listed = hospital.ok("/api/v1/listed-products");
    let alt = &listed["items"][0];
    assert_eq!(alt["product"]["generic_name"], "依折麦布片");
    let r = hospital.post(
        "/api/v1/orders",
        &json!({"supplier_id": alt["enterprise_id"], "lines": [{"listed_product_id": alt["id"], "quantity": 20, "unit_price": alt["unit_price"]}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["lines"][0]["kind"], "non_winning");
    assert_eq!(r.body["lines"][0]["agreed_volume_id"], serde_json::Value::Null);
    assert_eq!(r.body["total_amount"], "130.00"); // 20 × 6.5000

    // Declining the first order gives its volume back.
    let supplier = env.login("supplier1");
    let r =
        supplier.post(&format!("/api/v1/orders/{}/decline", id(&order)), &json!({"reason": "库存不足 out of stock"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["decline_reason"], "库存不足 out of stock");
    assert_eq!(volume(&hospital, id(&bid))["remaining_qty"].as_i64().unwrap(), remaining);
}
