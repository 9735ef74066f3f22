//! Idempotency-Key: a retried create returns the first response and creates nothing more.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Env};
use serde_json::json;

on_both_databases!(replays_return_the_first_response);

fn replays_return_the_first_response(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bid = bid(&hospital, "依折麦布片");
    let body = order_body(&org_id(&supplier), &bid, 3);
    let before = hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap();
    let remaining = volume(&hospital, id(&bid))["remaining_qty"].as_i64().unwrap();

    let first = hospital.post_with_key("/api/v1/orders", "order-2026-11-22-001", &body);
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!first.replayed);
    let again = hospital.post_with_key("/api/v1/orders", "order-2026-11-22-001", &body);
    assert_eq!(again.status, 201);
    assert!(again.replayed, "a replay says so in Idempotent-Replayed");
    assert_eq!(again.body, first.body);
    assert_eq!(hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap(), before + 1);
    assert_eq!(volume(&hospital, id(&bid))["remaining_qty"].as_i64().unwrap(), remaining - 90);

    // The same key with a different request is refused, and creates nothing.
    let other = order_body(&org_id(&supplier), &bid, 4);
    let r = hospital.post_with_key("/api/v1/orders", "order-2026-11-22-001", &other);
    assert_eq!((r.status, r.code()), (422, "idempotency_key_reused"), "{}", r.body);
    assert_eq!(hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap(), before + 1);

    // Keys belong to their user: another hospital's identical key is its own.
    let hospital2 = env.login("hospital2");
    let bid2 = crate::fixtures::bid(&hospital2, "依折麦布片");
    let r =
        hospital2.post_with_key("/api/v1/orders", "order-2026-11-22-001", &order_body(&org_id(&supplier), &bid2, 1));
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(!r.replayed);

    // A refused request is not stored: the key can be used once the request is fixed.
    let mut bad = order_body(&org_id(&supplier), &bid, 1);
    bad["lines"][0]["unit_price"] = json!("9.9999");
    let r = hospital.post_with_key("/api/v1/orders", "order-2026-11-22-002", &bad);
    assert_eq!(r.status, 422);
    let r = hospital.post_with_key("/api/v1/orders", "order-2026-11-22-002", &order_body(&org_id(&supplier), &bid, 1));
    assert_eq!(r.status, 201, "{}", r.body);

    // Actions take keys too: a retried confirmation replays instead of failing.
    let order = &first.body;
    let path = format!("/api/v1/orders/{}/confirm", id(order));
    let c1 = supplier.post_with_key(&path, "confirm-1", &json!({}));
    let c2 = supplier.post_with_key(&path, "confirm-1", &json!({}));
    assert_eq!((c1.status, c2.status), (200, 200));
    assert!(c2.replayed);
    assert_eq!(c1.body["status"], "confirmed");
}

on_both_databases!(concurrent_retries_create_one_order);

fn concurrent_retries_create_one_order(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bid = bid(&hospital, "依折麦布片");
    let body = order_body(&org_id(&supplier), &bid, 1);
    let before = hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap();
    let results: Vec<(u16, String)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let c = hospital.clone();
                let b = body.clone();
                s.spawn(move || {
                    let r = c.post_with_key("/api/v1/orders", "same-key-at-once", &b);
                    (r.status, r.body["id"].as_str().unwrap_or("").to_string())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(results.iter().all(|(s, _)| *s == 201), "{results:?}");
    let first = &results[0].1;
    assert!(results.iter().all(|(_, id)| id == first), "one order for one key: {results:?}");
    assert_eq!(hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap(), before + 1);
}

on_both_databases!(concurrent_orders_never_overdraw_an_agreed_volume);

fn concurrent_orders_never_overdraw_an_agreed_volume(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bid = bid(&hospital, "依折麦布片");
    let v = volume(&hospital, id(&bid));
    let remaining = v["remaining_qty"].as_i64().unwrap();
    let pack = bid["product"]["pack_size"].as_i64().unwrap();
    // Ten orders at once, together well beyond what remains.
    let packs = remaining / pack / 4 + 1;
    let lines: Vec<(i64, i64)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|_| {
                let c = hospital.clone();
                let b = order_body(&org_id(&supplier), &bid, packs);
                s.spawn(move || {
                    let r = c.post("/api/v1/orders", &b);
                    assert_eq!(r.status, 201, "{}", r.body);
                    (
                        r.body["lines"][0]["in_volume_qty"].as_i64().unwrap(),
                        r.body["lines"][0]["above_volume_qty"].as_i64().unwrap(),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let in_volume: i64 = lines.iter().map(|l| l.0).sum();
    let above: i64 = lines.iter().map(|l| l.1).sum();
    assert_eq!(in_volume, remaining, "exactly what remained is in volume: {lines:?}");
    assert_eq!(in_volume + above, 10 * packs * pack);
    assert_eq!(volume(&hospital, id(&bid))["remaining_qty"], 0);
}
