//! Public disclosure, black-box: what the demo publishes is readable without signing in, agrees
//! with the bureau's own figures, names no person, and changes only when an officer publishes a
//! new version (a rating, then its repair); every other route refuses an anonymous caller.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Env};
use serde_json::{json, Value};

const KINDS: [&str; 5] =
    ["tender_results", "winning_prices", "credit_ratings", "payment_standards", "payment_timeliness"];

fn public(env: &Env, kind: &str) -> Value {
    env.server.client().ok(&format!("/api/v1/public/regions/440300/{kind}"))
}

fn published_and_private(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let anonymous = env.server.client();
    let regions = anonymous.ok("/api/v1/public/regions");
    let shenzhen =
        regions.as_array().unwrap().iter().find(|r| r["code"] == "440300").expect("the demo region publishes");
    let mut kinds: Vec<&str> =
        shenzhen["published"].as_array().unwrap().iter().map(|p| p["kind"].as_str().unwrap()).collect();
    kinds.sort();
    let mut want = KINDS.to_vec();
    want.sort();
    assert_eq!(kinds, want);

    // Payment timeliness agrees with the bureau's settlement figures, month by month.
    let timeliness = public(&env, "payment_timeliness");
    assert_eq!(timeliness["version"], 1);
    let months = timeliness["content"]["months"].as_array().unwrap();
    assert!(!months.is_empty(), "the demo has payables due: {timeliness}");
    let bureau = env.login("bureau1");
    let summary = bureau.ok("/api/v1/settlement/summary");
    for m in months {
        let parts =
            ["on_time_count", "late_count", "overdue_count", "not_yet_due_count"].map(|k| m[k].as_i64().unwrap());
        assert_eq!(parts.iter().sum::<i64>(), m["due_count"].as_i64().unwrap(), "{m}");
        if let Some(same) = summary["months"].as_array().unwrap().iter().find(|s| s["month"] == m["month"]) {
            assert_eq!(same["paid_on_time"], m["on_time_count"], "{}: on time", m["month"]);
            assert_eq!(
                same["paid"].as_i64().unwrap(),
                m["on_time_count"].as_i64().unwrap() + m["late_count"].as_i64().unwrap(),
                "{}: paid",
                m["month"]
            );
        }
        if m["on_time_count"].as_i64().unwrap() + m["late_count"].as_i64().unwrap() > 0 {
            assert!(m["median_days_to_payment"].is_string(), "a month with payments has a median: {m}");
        }
    }
    let overdue: i64 = months.iter().map(|m| m["overdue_count"].as_i64().unwrap()).sum();
    assert!(overdue > 0, "the demo has overdue payables");

    // Winning prices and tender results as published.
    let prices = public(&env, "winning_prices");
    let bids: Vec<&Value> =
        prices["content"]["batches"].as_array().unwrap().iter().flat_map(|b| b["bids"].as_array().unwrap()).collect();
    assert!(
        bids.iter().any(|b| b["generic_name"] == "依巴斯汀片" && b["pack_price"] == "3.49"),
        "ebastine at CNY 3.49"
    );
    let results = public(&env, "tender_results");
    let tenders = results["content"]["tenders"].as_array().unwrap();
    assert!(tenders.iter().all(|t| t["status"] != "bidding"), "no tender before its results");
    // The demo's opened tender (10th-batch rules): A at 0.1500 and B at 0.2399 a tablet, comparable.
    let winners = tenders.iter().flat_map(|t| t["generics"][0]["winners"].as_array().cloned().unwrap_or_default());
    let figures: Vec<(String, String)> =
        winners.map(|w| (w["unit_price"].to_string(), w["pack_price"].to_string())).collect();
    assert!(figures.contains(&("\"0.1500\"".into(), "\"4.20\"".into())), "{figures:?}");
    assert!(figures.contains(&("\"0.2399\"".into(), "\"5.71\"".into())), "{figures:?}");
    let standards = public(&env, "payment_standards");
    assert!(standards["content"]["standards"].as_array().is_some_and(|s| !s.is_empty()), "{standards}");

    // No person: no user's name, username or e-mail in anything published.
    let people =
        ["李明", "周敏", "王芳", "陈刚", "药剂科", "财务部", "bureau1", "bureau2", "demo.jicai.local", "法定代表人"];
    for kind in KINDS {
        let text = public(&env, kind).to_string();
        for p in people {
            assert!(!text.contains(p), "{kind} names {p}");
        }
    }

    // Cached: a version does not change, so a matching ETag answers 304.
    let r = anonymous.request("GET", "/api/v1/public/regions/440300/winning_prices").call().unwrap();
    let etag = r.header("ETag").expect("an ETag").to_string();
    assert!(r.header("Cache-Control").unwrap_or_default().contains("public"));
    let again = anonymous
        .request("GET", "/api/v1/public/regions/440300/winning_prices")
        .set("If-None-Match", &etag)
        .call()
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(anonymous.get("/api/v1/public/regions/999999/winning_prices").status, 404);
    assert_eq!(anonymous.get("/api/v1/public/regions/440300/salaries").code(), "unknown_publication_kind");

    // Every route that is not public refuses an anonymous caller.
    let doc = anonymous.ok("/api/v1/openapi.json");
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let public =
            path.starts_with("/api/v1/public/") || path.starts_with("/api/v1/ocds/") || path == "/api/v1/auth/login";
        if public || path == "/healthz" {
            continue;
        }
        let concrete = path.split('/').map(|s| if s.starts_with('{') { "x" } else { s }).collect::<Vec<_>>().join("/");
        for method in ops.as_object().unwrap().keys() {
            let m = method.to_uppercase();
            let r = match m.as_str() {
                "GET" => anonymous.get(&concrete),
                _ => anonymous.send_raw(&m, &concrete, b"{}"),
            };
            assert_eq!(r.status, 401, "{m} {path} without a token: {}", r.body);
            checked += 1;
        }
    }
    assert!(checked > 80, "every private operation checked ({checked})");
}

on_both_databases!(disclosure_is_public_consistent_and_names_no_one);

fn disclosure_is_public_consistent_and_names_no_one(backend: jicai_tests::Backend) {
    published_and_private(backend)
}

fn versions(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let bureau2 = env.login("bureau2");
    let maker = env.login("supplier4");
    let hospital = env.login("hospital1");
    let before = public(&env, "credit_ratings");
    let in_force_before = before["content"]["ratings"].as_array().unwrap().len();

    // A rating takes effect: the public site shows it only once an officer publishes.
    let case = bureau.post(
        "/api/v1/credit/cases",
        &json!({"basis": "administrative_penalty", "document_no": "深市监罚〔2026〕99号", "decision_date": "2026-11-01",
                "conduct": "unfair_pricing", "amount": "50000.00", "summary": "擅自提价",
                "parties": [{"enterprise_id": org_id(&maker), "role": "manufacturer"}]}),
    );
    assert_eq!(case.status, 201, "{}", case.body);
    let path = format!("/api/v1/credit/cases/{}", id(&case.body));
    assert_eq!(bureau.post(&format!("{path}/decide"), &json!({"grade": "dishonest", "reason": "首次"})).status, 200);
    assert_eq!(bureau2.post(&format!("{path}/approve"), &json!({"approve": true})).status, 200);
    assert_eq!(public(&env, "credit_ratings")["content"]["ratings"].as_array().unwrap().len(), in_force_before);
    let r = hospital.post("/api/v1/publications", &json!({"kind": "credit_ratings"}));
    assert_eq!(r.status, 403, "only the bureau publishes");
    let r = bureau.post("/api/v1/publications", &json!({"kind": "gossip"}));
    assert_eq!(r.status, 422, "{}", r.body);
    let r = bureau.post("/api/v1/publications", &json!({"kind": "credit_ratings", "note": "新增失信评级"}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["version"], 2);
    let shown = public(&env, "credit_ratings");
    let rating =
        shown["content"]["ratings"].as_array().unwrap().iter().find(|x| x["case_no"] == case.body["case_no"]).cloned();
    let rating = rating.expect("the new rating is public");
    assert_eq!((rating["status"].as_str(), rating["grade_name_zh"].as_str()), (Some("in_force"), Some("失信")));
    assert!(rating["measures"].as_array().unwrap().iter().any(|m| m == "risk_flag"));

    // It is repaired: the next publication shows the repair; the earlier version stays readable.
    let view = maker.ok(&path);
    for r in view["required_repairs"].as_array().unwrap() {
        if r["state"] != "missing" {
            continue;
        }
        let v = maker.post(&format!("{path}/repairs"), &json!({"measure": r["measure"], "evidence": "整改完毕"}));
        assert_eq!(v.status, 200, "{}", v.body);
        let repair =
            v.body["repairs"].as_array().unwrap().iter().find(|x| x["measure"] == r["measure"]).unwrap().clone();
        let a = bureau.post(&format!("{path}/repairs/{}/review", id(&repair)), &json!({"approve": true}));
        assert_eq!(a.status, 200, "{}", a.body);
    }
    assert_eq!(bureau.ok(&path)["status"], "repaired");
    assert_eq!(bureau.post("/api/v1/publications", &json!({"kind": "credit_ratings"})).status, 201);
    let latest = public(&env, "credit_ratings");
    assert_eq!(latest["version"], 3);
    let repaired = latest["content"]["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["case_no"] == case.body["case_no"])
        .unwrap()
        .clone();
    assert_eq!((repaired["status"].as_str(), repaired["repaired_on"].as_str()), (Some("repaired"), Some(TODAY)));
    let v2 = env.server.client().ok("/api/v1/public/regions/440300/credit_ratings?version=2");
    let then = v2["content"]["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["case_no"] == case.body["case_no"])
        .unwrap()
        .clone();
    assert_eq!(then["status"], "in_force", "version 2 is what was published then");
    let listed = bureau.ok("/api/v1/publications?kind=credit_ratings");
    assert_eq!(listed["total"], 3);
    let audit = bureau.ok("/api/v1/audit-events?entity_type=publication");
    assert!(audit["total"].as_i64().unwrap() >= 3, "each publication is audited: {audit}");
}

on_both_databases!(disclosure_changes_only_by_publication);

fn disclosure_changes_only_by_publication(backend: jicai_tests::Backend) {
    versions(backend)
}
