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

on_both_databases! {
    fn state_changes_are_audited(backend: Backend) {
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
            .map(|e| serde_json::from_str::<Value>(e["after_json"].as_str().unwrap()).unwrap()["status"].as_str().unwrap().to_string())
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
        let by_actor = bureau.ok(&format!("/api/v1/audit-events?actor_user_id={}&action=confirm", supplier_user.as_str().unwrap()));
        assert!(by_actor["total"].as_i64().unwrap() >= 1);
                assert!(by_actor["items"].as_array().unwrap().iter().all(|e| e["action"] == "confirm" && e["actor_user_id"] == supplier_user));
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
}
