//! The audit trail: every state change with actor, time and before/after, hash-chained per
//! entity, readable by the bureau, append-only in the database.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, sql, Client, Env};
use serde_json::Value;

fn events(bureau: &Client, entity_type: &str, entity_id: &str) -> Vec<Value> {
    let page = bureau.ok(&format!("/api/v1/audit-events?entity_type={entity_type}&entity_id={entity_id}&per_page=200"));
    let mut items = page["items"].as_array().unwrap().clone();
    items.reverse(); // oldest first
    items
}

fn actions(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["action"].as_str().unwrap()).collect()
}

on_both_databases!(state_changes_are_audited);

fn state_changes_are_audited(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bureau = env.login("bureau1");
    let s = shipped_order(&hospital, &supplier, 2);
    let accepted = accept(&hospital, &s.delivery, 30, 30, Some("破损 damaged"));

    let order_events = events(&bureau, "order", id(&s.order));
    assert_eq!(actions(&order_events), ["create", "confirm", "status_change", "status_change"]);
    let statuses: Vec<String> = order_events[2..]
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e["after_json"].as_str().unwrap()).unwrap()["status"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(statuses, ["shipped", "partially_accepted"]);
    let hospital_user = hospital.ok("/api/v1/me")["user_id"].clone();
    let supplier_user = supplier.ok("/api/v1/me")["user_id"].clone();
    assert_eq!(order_events[0]["actor_user_id"], hospital_user);
    assert_eq!(order_events[0]["actor_org_id"].as_str().unwrap(), org_id(&hospital));
    assert_eq!(order_events[1]["actor_user_id"], supplier_user);
    let before: Value = serde_json::from_str(order_events[1]["before_json"].as_str().unwrap()).unwrap();
    let after: Value = serde_json::from_str(order_events[1]["after_json"].as_str().unwrap()).unwrap();
    assert_eq!((before["status"].as_str(), after["status"].as_str()), (Some("submitted"), Some("confirmed")));
    assert!(order_events[0]["occurred_at"].as_str().unwrap().starts_with("2026-11-22T02:"), "{}", order_events[0]);

    let acceptance_id = accepted["acceptance"]["id"].as_str().unwrap();
    let acceptance_events = events(&bureau, "acceptance", acceptance_id);
    assert_eq!(actions(&acceptance_events), ["create", "confirm"]);
    let payable_id = accepted["acceptance"]["payable_id"].as_str().unwrap();
    let payable_events = events(&bureau, "payable", payable_id);
    assert_eq!(actions(&payable_events), ["create"]);
    let created: Value = serde_json::from_str(payable_events[0]["after_json"].as_str().unwrap()).unwrap();
    assert_eq!(created["amount"], 3889); // fen: 30 × 1.2963 = 38.889 → 38.89
    assert_eq!(created["due_date"], "2026-12-22");

    // Each event carries the hash of the previous event of its entity.
    for chain in [&order_events, &acceptance_events] {
        assert_eq!(chain[0]["prev_hash"], Value::Null);
        for pair in chain.windows(2) {
            assert_eq!(pair[1]["prev_hash"], pair[0]["hash"], "broken chain: {pair:?}");
        }
    }

    // Filters work, and only the bureau, fund and admin read the log.
    let by_actor =
        bureau.ok(&format!("/api/v1/audit-events?actor_user_id={}&action=confirm", supplier_user.as_str().unwrap()));
    assert!(by_actor["total"].as_i64().unwrap() >= 1);
    assert!(by_actor["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "confirm" && e["actor_user_id"] == supplier_user));
    // Each event names who acted, as officers read it.
    let name = by_actor["items"][0]["actor_name"].as_str().unwrap_or_default();
    assert!(name.ends_with("(supplier1)"), "actor named: {name:?}");
    env.login("fund1").ok("/api/v1/audit-events?per_page=1");
    let r = hospital.get("/api/v1/audit-events");
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r = supplier.get("/api/v1/audit-events");
    assert_eq!(r.status, 403);

    // The database refuses to rewrite or erase history.
    let db = &env.server.database_url;
    let (ok, text) = sql(db, "UPDATE audit_events SET action = 'forged'");
    assert!(!ok && text.contains("append-only"), "{text}");
    let (ok, text) = sql(db, "DELETE FROM audit_events");
    assert!(!ok && text.contains("append-only"), "{text}");
    assert_eq!(events(&bureau, "order", id(&s.order)).len(), 4);
}

on_both_databases!(the_log_reads_by_document_number_and_user_name);

fn the_log_reads_by_document_number_and_user_name(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bureau = env.login("bureau1");
    let s = shipped_order(&hospital, &supplier, 2);
    let accepted = accept(&hospital, &s.delivery, 60, 0, None);
    let order_no = s.order["order_no"].as_str().unwrap();
    let delivery_no = s.delivery["delivery_no"].as_str().unwrap();
    let payable_id = accepted["acceptance"]["payable_id"].as_str().unwrap();
    let payable_no = supplier.ok(&format!("/api/v1/payables/{payable_id}"))["payable_no"].as_str().unwrap().to_string();

    let read = |query: &str| -> Vec<Value> {
        bureau.ok(&format!("/api/v1/audit-events?per_page=200&{query}"))["items"].as_array().unwrap().clone()
    };
    // An order number: that order's events, each showing the number; typed in lower case
    // with spaces, as people paste it.
    let by_order = read(&format!("document_no=%20{}%20", order_no.to_lowercase()));
    assert_eq!(actions(&by_order), ["status_change", "status_change", "confirm", "create"]);
    assert!(by_order.iter().all(|e| e["entity_type"] == "order" && e["document_no"] == order_no), "{by_order:?}");
    // A delivery note's number reads the note and its acceptance, both named by it.
    let by_delivery = read(&format!("document_no={delivery_no}"));
    let mut kinds: Vec<(&str, &str)> =
        by_delivery.iter().map(|e| (e["entity_type"].as_str().unwrap(), e["action"].as_str().unwrap())).collect();
    kinds.sort();
    assert_eq!(kinds, [("acceptance", "confirm"), ("acceptance", "create"), ("delivery", "create")]);
    assert!(by_delivery.iter().all(|e| e["document_no"] == delivery_no));
    // A payable's number reads the payable.
    let by_payable = read(&format!("document_no={payable_no}"));
    assert_eq!(actions(&by_payable), ["create"]);
    assert_eq!(by_payable[0]["document_no"], payable_no.as_str());
    // An unknown number reads nothing, not everything.
    assert!(read("document_no=PO-20000101-XXXXXXXX").is_empty());

    // A user's name or username, in part: only the events of users so named.
    let by_user = read("actor=hospital1&action=create");
    let named: Vec<&str> = by_user.iter().map(|e| e["actor_name"].as_str().unwrap()).collect();
    assert!(named.iter().any(|n| n.ends_with("(hospital1)")), "{named:?}");
    assert!(named.iter().all(|n| n.contains("(hospital1")), "{named:?}");
    assert!(by_user.iter().all(|e| e["action"] == "create"));
    assert!(read("actor=supplier1").iter().all(|e| e["actor_name"].as_str().unwrap().contains("(supplier1")));
    let display = hospital.ok("/api/v1/me")["display_name"].as_str().unwrap().to_string();
    let part: String = display.chars().take(2).collect();
    let by_display = read(&format!("actor={}", urlencode(&part)));
    assert!(by_display.iter().any(|e| e["actor_name"].as_str().unwrap().ends_with("(hospital1)")));
    assert!(read("actor=%25").is_empty(), "a % is a character, not a wildcard");

    // Another region's officer does not read this region's documents.
    let (other_bureau, _, _) = crate::tenancy::second_region(&env);
    let r = other_bureau.ok(&format!("/api/v1/audit-events?document_no={order_no}"));
    assert_eq!(r["total"], 0);
}
