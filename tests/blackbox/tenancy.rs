//! The tenant wall: every resource of another organisation or region answers 404, and lists
//! leave it out.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Client, Env};
use serde_json::{json, Value};

/// Creates a second pooling region (广州市) with a bureau officer and a hospital buyer, and an
/// enterprise with no bids; returns their signed-in clients.
pub(crate) fn second_region(env: &Env) -> (Client, Client, Client) {
    let admin = env.login("admin");
    let r = admin.post("/api/v1/regions", &json!({"code": "440100", "province_code": "440000", "name": "广州市"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let mut clients = Vec::new();
    for (kind, name, level, role, user) in [
        ("bureau", "广州市医疗保障局", None, "bureau_officer", "bureau_gz"),
        ("hospital", "广州市第一人民医院", Some(3), "hospital_buyer", "hospital_gz"),
        ("enterprise", "新兴配送有限公司", None, "supplier", "supplier_new"),
    ] {
        let r = admin.post(
            "/api/v1/organizations",
            &json!({"kind": kind, "name": name, "region_code": if kind == "enterprise" { Value::Null } else { json!("440100") },
                    "hospital_level": level, "is_distributor": kind == "enterprise"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let r = admin.post(
            "/api/v1/users",
            &json!({"username": user, "password": jicai_tests::DEMO_PASSWORD, "role": role, "org_id": r.body["id"]}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        clients.push(env.login(user));
    }
    let supplier_new = clients.pop().unwrap();
    let hospital_gz = clients.pop().unwrap();
    let bureau_gz = clients.pop().unwrap();
    (bureau_gz, hospital_gz, supplier_new)
}

fn not_found(c: &Client, path: &str) {
    let r = c.get(path);
    assert_eq!((r.status, r.code()), (404, "not_found"), "GET {path} should be 404: {}", r.body);
}

fn not_found_post(c: &Client, path: &str, body: &Value) {
    let r = c.post(path, body);
    assert_eq!((r.status, r.code()), (404, "not_found"), "POST {path} should be 404: {}", r.body);
}

fn absent(c: &Client, list: &str, id: &str) {
    let page = c.ok(list);
    assert!(!ids(&page).contains(&id.to_string()), "{list} shows a foreign record {id}");
}

on_both_databases!(every_resource_is_walled);

fn every_resource_is_walled(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let (bureau_gz, hospital_gz, supplier_new) = second_region(&env);
    let other_hospital = env.login("hospital2");
    let other_supplier = env.login("supplier2");

    // hospital1's order to supplier1: shipped, then a second delivery accepted.
    let s = shipped_order(&hospital, &supplier, 4);
    let accepted = accept(&hospital, &s.delivery, 120, 0, None);
    let payable_id = accepted["acceptance"]["payable_id"].as_str().unwrap().to_string();
    let order_path = format!("/api/v1/orders/{}", id(&s.order));
    let delivery_path = format!("/api/v1/deliveries/{}", id(&s.delivery));
    let payable_path = format!("/api/v1/payables/{payable_id}");
    let volume_id = volume(&hospital, id(&s.bid))["id"].as_str().unwrap().to_string();
    let volume_path = format!("/api/v1/agreed-volumes/{volume_id}");
    let bid_path = format!("/api/v1/winning-bids/{}", id(&s.bid));
    let batch_path = format!("/api/v1/batches/{}", s.bid["batch_id"].as_str().unwrap());
    let hospital_org = format!("/api/v1/organizations/{}", org_id(&hospital));

    // Another hospital of the same region.
    for path in [&order_path, &delivery_path, &payable_path, &volume_path] {
        not_found(&other_hospital, path);
    }
    not_found_post(&other_hospital, &format!("{order_path}/cancel"), &json!({}));
    not_found_post(
        &other_hospital,
        &format!("{delivery_path}/acceptance"),
        &acceptance_body(&s.delivery, 120, 0, None),
    );
    not_found(&other_hospital, &hospital_org);
    absent(&other_hospital, "/api/v1/orders?per_page=200", id(&s.order));
    absent(&other_hospital, "/api/v1/payables?per_page=200", &payable_id);
    absent(&other_hospital, "/api/v1/deliveries?per_page=200", id(&s.delivery));
    absent(&other_hospital, "/api/v1/agreed-volumes?per_page=200", &volume_id);

    // Another supplier (hospital1's organisation is visible to it only as one of its customers: below).
    for path in [&order_path, &delivery_path, &payable_path] {
        not_found(&other_supplier, path);
    }
    not_found_post(&other_supplier, &format!("{order_path}/confirm"), &json!({}));
    // A supplier sees its customers (the hospitals that ordered from it), and no others.
    let customers = supplier.ok("/api/v1/organizations?kind=hospital&per_page=200");
    assert!(ids(&customers).contains(&org_id(&hospital)));
    supplier.ok(&hospital_org);
    assert_eq!(supplier_new.ok("/api/v1/organizations?kind=hospital")["total"], 0);
    not_found(&supplier_new, &hospital_org);
    not_found_post(&other_supplier, &format!("{order_path}/decline"), &json!({"reason": "no"}));
    not_found_post(&other_supplier, "/api/v1/deliveries", &ship_body(&s.order, 30, "X1"));
    absent(&other_supplier, "/api/v1/orders?per_page=200", id(&s.order));
    absent(&other_supplier, "/api/v1/payables?per_page=200", &payable_id);

    // An enterprise with no bids sees no batch, bid or volume.
    for path in [&bid_path, &batch_path, &volume_path, &order_path, &payable_path] {
        not_found(&supplier_new, path);
    }
    assert_eq!(supplier_new.ok("/api/v1/winning-bids")["total"], 0);
    assert_eq!(supplier_new.ok("/api/v1/batches")["total"], 0);

    // Another region's bureau and hospital.
    for path in [&order_path, &delivery_path, &payable_path, &volume_path, &bid_path, &batch_path, &hospital_org] {
        not_found(&bureau_gz, path);
    }
    for path in [&bid_path, &batch_path, &order_path] {
        not_found(&hospital_gz, path);
    }
    assert_eq!(bureau_gz.ok(&format!("/api/v1/audit-events?entity_id={}", id(&s.order)))["total"], 0);
    assert_eq!(bureau_gz.ok("/api/v1/orders")["total"], 0);
    let r = bureau_gz.get(&format!("/api/v1/hospital-statements?hospital_id={}&month=2026-11", org_id(&hospital)));
    assert_eq!((r.status, r.code()), (404, "not_found"), "another region's hospital statement");
    assert_eq!(bureau_gz.ok("/api/v1/payables")["total"], 0);
    assert_eq!(hospital_gz.ok("/api/v1/winning-bids")["total"], 0);
    assert_eq!(hospital_gz.ok("/api/v1/listed-products")["total"], 0);
    // Ordering another region's bid is refused as unknown, not as someone else's.
    let r = hospital_gz.post("/api/v1/orders", &order_body(&org_id(&supplier), &s.bid, 1));
    assert_eq!((r.status, r.code()), (422, "unknown_bid"), "{}", r.body);

    // Jobs an officer runs cover its own region, and each region sees only its own runs
    // (and the platform's).
    let bureau1 = env.login("bureau1");
    let warnings_today =
        |c: &Client| c.ok("/api/v1/monitoring/warnings?as_of=2026-11-21&per_page=1")["total"].as_i64().unwrap();
    let r = bureau_gz.post("/api/v1/job-runs", &json!({"job": "monitoring", "as_of": "2026-11-21"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let gz_run = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(warnings_today(&bureau1), 0, "广州's run raised nothing in 深圳");
    let r = bureau1.post("/api/v1/job-runs", &json!({"job": "monitoring", "as_of": "2026-11-21"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let sz_run = r.body["id"].as_str().unwrap().to_string();
    assert!(warnings_today(&bureau1) > 0, "深圳's own run did");
    assert!(!ids(&bureau1.ok("/api/v1/job-runs")).contains(&gz_run));
    assert!(!ids(&bureau_gz.ok("/api/v1/job-runs")).contains(&sz_run));
    assert!(ids(&env.login("admin").ok("/api/v1/job-runs")).contains(&gz_run));

    // The owners still see everything.
    hospital.ok(&order_path);
    supplier.ok(&payable_path);
    env.login("bureau1").ok(&volume_path);
}
