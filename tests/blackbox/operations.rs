//! Running the platform: migrations, the demo command, bootstrap users, sign-in, health,
//! paging and limits, and due dates under each deadline policy.

use crate::fixtures::*;
use jicai_tests::{cli, cli_result, fresh_database, on_both_databases, sql, Backend, Client, Env, Server};
use serde_json::json;

const STATUSES: [&str; 8] = [
    "submitted",
    "confirmed",
    "declined",
    "cancelled",
    "partially_shipped",
    "shipped",
    "partially_accepted",
    "completed",
];

on_both_databases!(migrations_run_up_and_down);

fn migrations_run_up_and_down(backend: jicai_tests::Backend) {
    let Some(url) = fresh_database(backend) else { return };
    let up = cli(&url, None, &["migrate"]);
    assert!(up.contains("applied 20261122000001"), "{up}");
    assert!(cli(&url, None, &["migrate"]).contains("nothing to do"));
    let (ok, _) = sql(&url, "SELECT count(*) FROM payables");
    assert!(ok, "tables exist after migrating up");
    let down = cli(&url, None, &["migrate", "--revert-all"]);
    assert!(down.contains("reverted 20261122000001"), "{down}");
    let (ok, _) = sql(&url, "SELECT count(*) FROM payables");
    assert!(!ok, "tables are gone after migrating down");
    cli(&url, None, &["migrate"]);
    assert!(cli(&url, Some(NOW), &["demo"]).contains("seeded demo data"));
}

on_both_databases!(demo_has_every_order_state_and_guards_real_data);

fn demo_has_every_order_state_and_guards_real_data(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    for status in STATUSES {
        let n = bureau.ok(&format!("/api/v1/orders?status={status}&per_page=1"))["total"].as_i64().unwrap();
        assert!(n > 0, "the demo has no {status} order");
    }
    let hospital1 = env.login("hospital1");
    for status in STATUSES {
        assert!(
            hospital1.ok(&format!("/api/v1/orders?status={status}"))["total"].as_i64().unwrap() > 0,
            "hospital1 has no {status} order"
        );
    }
    assert_eq!(bureau.ok("/api/v1/organizations?kind=hospital")["total"], 20);
    assert_eq!(bureau.ok("/api/v1/batches")["total"], 2);
    assert_eq!(bureau.ok("/api/v1/winning-bids")["total"], 11);
    assert!(env.login("supplier1").ok("/api/v1/payables")["total"].as_i64().unwrap() > 0);
    for user in ["fund1", "fund2", "hospital20", "supplier12"] {
        env.login(user);
    }
    // The seeded history is chronological: nothing paid before its acceptance, no payable
    // batched before it was confirmed, every payment at or after its batch's approval.
    let db = &env.server.database_url;
    for q in [
        "SELECT count(*) FROM payables WHERE paid_on < acceptance_date",
        "SELECT count(*) FROM payables p JOIN payment_batches b ON b.id = p.batch_id WHERE b.proposed_on < p.confirmed_on",
        "SELECT count(*) FROM payables WHERE stage = 'paid' AND paid_on IS NULL",
    ] {
        let (ok, n) = sql(db, q);
        assert!(ok && n.trim() == "0", "{q}: {n}");
    }
    assert!(sql(db, "SELECT count(*) FROM payments").1.trim().parse::<i64>().unwrap() > 5);
    // Running it again is harmless; running it on a real database is refused.
    assert!(cli(&env.server.database_url, Some(NOW), &["demo"]).contains("already present"));
    let Some(real) = fresh_database(backend) else { return };
    let (ok, text) =
        cli_result(&real, None, &["user", "add", "--username", "root", "--role", "admin"], Some("a-long-password\n"));
    assert!(ok, "{text}");
    let (ok, text) = cli_result(&real, None, &["demo"], None);
    assert!(!ok && text.contains("non-demo data"), "{text}");
}

on_both_databases!(bootstrap_admin_signs_in_and_builds_a_region);

fn bootstrap_admin_signs_in_and_builds_a_region(backend: jicai_tests::Backend) {
    let Some(url) = fresh_database(backend) else { return };
    let (ok, text) = cli_result(
        &url,
        None,
        &["user", "add", "--username", "ops", "--role", "admin"],
        Some("correct horse battery\n"),
    );
    assert!(ok, "{text}");
    let (ok, text) =
        cli_result(&url, None, &["user", "add", "--username", "ops", "--role", "admin"], Some("another password\n"));
    assert!(!ok && text.contains("taken"), "{text}");
    let server = Server::start(&url, None);
    let mut admin = server.client();
    let r = admin.post("/api/v1/auth/login", &json!({"username": "ops", "password": "wrong password"}));
    assert_eq!((r.status, r.code()), (401, "bad_credentials"));
    let r = admin.post("/api/v1/auth/login", &json!({"username": "nobody", "password": "wrong password"}));
    assert_eq!((r.status, r.code()), (401, "bad_credentials"));
    let r = admin.post("/api/v1/auth/login", &json!({"username": "ops", "password": "correct horse battery"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["user"]["role"], "admin");
    admin.token = Some(r.body["token"].as_str().unwrap().into());
    let r = admin.post("/api/v1/regions", &json!({"code": "4403", "province_code": "440000", "name": "深圳"}));
    assert_eq!((r.status, r.code()), (422, "invalid_region_code"));
    let r = admin.post("/api/v1/regions", &json!({"code": "440300", "province_code": "440000", "name": "深圳市", "deadline_rule": {"rule": "calendar_days", "days": 29}}));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = admin.post(
        "/api/v1/organizations",
        &json!({"kind": "hospital", "name": "某医院", "region_code": "440300", "hospital_level": 4}),
    );
    assert_eq!(
        (r.status, r.code(), r.body["error"]["field"].as_str()),
        (422, "invalid_hospital_level", Some("hospital_level"))
    );
    let r = admin
        .post("/api/v1/organizations", &json!({"kind": "bureau", "name": "深圳市医疗保障局", "region_code": "440300"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let bureau_org = r.body["id"].clone();
    let r = admin.post(
        "/api/v1/users",
        &json!({"username": "officer", "password": "short", "role": "bureau_officer", "org_id": bureau_org}),
    );
    assert_eq!((r.status, r.code()), (422, "weak_password"));
    let r = admin.post(
        "/api/v1/users",
        &json!({"username": "officer", "password": "long enough", "role": "hospital_buyer", "org_id": bureau_org}),
    );
    assert_eq!((r.status, r.code()), (422, "role_mismatch"));
    let r = admin.post(
        "/api/v1/users",
        &json!({"username": "officer", "password": "long enough", "role": "bureau_officer", "org_id": bureau_org}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let mut officer = server.client();
    let r = officer.post("/api/v1/auth/login", &json!({"username": "officer", "password": "long enough"}));
    officer.token = Some(r.body["token"].as_str().unwrap().into());
    let policies = officer.ok("/api/v1/policies");
    let kinds: Vec<&str> = policies.as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "credit",
            "hospital_confirmation",
            "late_interest",
            "monitoring",
            "order_limit",
            "payment_deadline",
            "payment_standard",
            "prepayment",
            "retention",
            "tender"
        ]
    );
    assert_eq!(policies[5]["params"], r#"{"rule":"calendar_days","days":29}"#);
    let r = officer.post(
        "/api/v1/organizations",
        &json!({"kind": "hospital", "name": "x", "region_code": "440300", "hospital_level": 1}),
    );
    assert_eq!((r.status, r.code()), (403, "forbidden"));
}

on_both_databases!(http_edges_answer_in_json);

fn http_edges_answer_in_json(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let anonymous = env.server.client();
    let health = anonymous.ok("/healthz");
    assert_eq!(health["status"], "ok");
    assert_eq!(
        health["database"],
        match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgresql",
        }
    );
    let doc = anonymous.ok("/api/v1/openapi.json");
    for path in [
        "/api/v1/orders",
        "/api/v1/orders/{id}/confirm",
        "/api/v1/deliveries/{id}/acceptance",
        "/api/v1/payables",
        "/api/v1/audit-events",
        "/api/v1/agreed-volumes",
        "/api/v1/winning-bids",
        "/api/v1/batches",
        "/api/v1/products",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    assert!(doc["components"]["schemas"]["OrderView"].is_object());

    let r = anonymous.get("/api/v1/orders");
    assert_eq!((r.status, r.code()), (401, "unauthenticated"));
    let mut forged = anonymous.clone();
    forged.token = Some("eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl".into());
    assert_eq!(forged.get("/api/v1/orders").code(), "unauthenticated");
    let hospital = env.login("hospital1");
    let r = hospital.get("/api/v1/no-such-thing");
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = hospital.get("/api/v1/orders/00000000-0000-0000-0000-000000000000");
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = hospital.send_raw("DELETE", "/api/v1/orders", b"");
    assert!(r.status == 404 || r.status == 405, "{}", r.status);
    assert!(!r.code().is_empty(), "an error body: {}", r.body);
    let r = hospital.get("/api/v1/orders?per_page=abc");
    assert_eq!((r.status, r.code()), (400, "invalid_query"));

    // Lists are bounded.
    let page = env.login("bureau1").ok("/api/v1/agreed-volumes?per_page=1000");
    assert_eq!(page["per_page"], 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 200);
    assert_eq!(page["total"], 220);
    let page2 = env.login("bureau1").ok("/api/v1/agreed-volumes?per_page=200&page=2");
    assert_eq!(page2["items"].as_array().unwrap().len(), 20);

    // Bodies are bounded (4 MiB).
    let big = vec![b' '; 5 * 1024 * 1024];
    let r = hospital.send_raw("POST", "/api/v1/orders", &big);
    assert_eq!((r.status, r.code()), (413, "payload_too_large"), "{}", r.body);

    // Tokens expire by the server's clock.
    let mut later = env.server.database_url.clone();
    later.truncate(later.len());
    let server = Server::start(&later, Some("2026-11-23T10:00:00+08:00"));
    let mut stale = Client::new(&server.base_url);
    stale.token = hospital.token.clone();
    let r = stale.get("/api/v1/orders");
    assert_eq!((r.status, r.code()), (401, "unauthenticated"));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("expired"));
}

/// Accepts a fresh 1-box ezetimibe delivery and returns its payable.
fn accept_one(env: &Env) -> serde_json::Value {
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 1);
    let accepted = accept(&hospital, &s.delivery, 30, 0, None);
    supplier.ok(&format!("/api/v1/payables/{}", accepted["acceptance"]["payable_id"].as_str().unwrap()))
}

on_both_databases!(due_dates_follow_the_policy_in_force);

fn due_dates_follow_the_policy_in_force(backend: jicai_tests::Backend) {
    // Accepted on 30 January 2028 (Shanghai): +30 days crosses 29 February.
    let Some(mut env) = Env::demo(backend, Some("2028-01-30T09:00:00+08:00")) else { return };
    // What the acceptance form shows before confirming is what the payable gets.
    let hospital = env.login("hospital1");
    let due = |c: &jicai_tests::Client, q: &str| c.ok(&format!("/api/v1/policies/due-date{q}"));
    assert_eq!(due(&hospital, "")["due_date"], "2028-02-29");
    let p = accept_one(&env);
    assert_eq!((p["acceptance_date"].as_str(), p["due_date"].as_str()), (Some("2028-01-30"), Some("2028-02-29")));
    let default_policy = p["deadline_policy_id"].clone();

    // The bureau adopts a 29-day rule from today; a retroactive change is refused.
    let bureau = env.login("bureau1");
    let r =
        bureau.post("/api/v1/policies", &json!({"effective_from": "2028-01-29", "rule": "calendar_days", "days": 29}));
    assert_eq!((r.status, r.code()), (422, "retroactive_policy"));
    let r =
        bureau.post("/api/v1/policies", &json!({"effective_from": "2028-01-30", "rule": "calendar_days", "days": 29}));
    assert_eq!(r.status, 201, "{}", r.body);
    let told = due(&hospital, "?accepted_on=2028-01-30");
    assert_eq!((told["due_date"].as_str(), &told["policy_id"]), (Some("2028-02-28"), &r.body["id"]));
    assert_eq!(told["rule"], json!({"rule": "calendar_days", "days": 29}));
    let p29 = accept_one(&env);
    assert_eq!(p29["due_date"], "2028-02-28");
    assert_eq!(p29["deadline_policy_id"], r.body["id"]);
    assert_ne!(p29["deadline_policy_id"], default_policy);
    // The earlier payable keeps the version that produced it.
    assert_eq!(
        env.login("supplier1").ok(&format!("/api/v1/payables/{}", p["id"].as_str().unwrap()))["due_date"],
        "2028-02-29"
    );

    // End of the month after acceptance, across the year end.
    let r = bureau.post("/api/v1/policies", &json!({"effective_from": "2028-12-01", "rule": "end_of_next_month"}));
    assert_eq!(r.status, 201, "{}", r.body);
    env.restart_at("2028-12-15T09:00:00+08:00");
    assert_eq!(due(&env.login("hospital1"), "")["due_date"], "2029-01-31");
    let p = accept_one(&env);
    assert_eq!((p["acceptance_date"].as_str(), p["due_date"].as_str()), (Some("2028-12-15"), Some("2029-01-31")));
    assert_eq!(p["days_remaining"], 47);

    // At 07:00 on 1 December in Shanghai it is still 30 November in UTC: the acceptance date,
    // and so the policy in force, are Shanghai's (by UTC it would be 29 days → 29 December).
    env.restart_at("2028-12-01T07:00:00+08:00");
    let p = accept_one(&env);
    assert_eq!((p["acceptance_date"].as_str(), p["due_date"].as_str()), (Some("2028-12-01"), Some("2029-01-31")));
    env.restart_at("2028-12-31T23:30:00+08:00");
    let p = accept_one(&env);
    assert_eq!((p["acceptance_date"].as_str(), p["due_date"].as_str()), (Some("2028-12-31"), Some("2029-01-31")));
}
