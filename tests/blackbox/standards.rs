//! Payment standards, black-box: the worked example of domain.md section 10 set up through the
//! API (a winning product at ¥0.20 a tablet; listed products at ¥1.00 originator, ¥0.35 passed
//! and ¥0.15), computed, published and read over the three glide years with the patient's
//! share; bad input refused with nothing changed; the tenant wall; exports and the feed.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Client, Env, DEMO_PASSWORD};
use serde_json::{json, Value};
use std::io::Read;

const T0: &str = "2026-12-01T10:00:00+08:00";
const GENERIC: &str = "黑盒支付标准他汀片";

fn code(i: usize) -> String {
    format!("XC10AAS501A010{:09}", 700 + i)
}

/// The standards of the example generic the caller sees, by product code.
fn by_code(page: &Value) -> std::collections::BTreeMap<String, Value> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["product"]["code"].as_str().unwrap().to_string(), s.clone()))
        .collect()
}

fn standards_of(c: &Client, query: &str) -> std::collections::BTreeMap<String, Value> {
    by_code(&c.ok(&format!("/api/v1/payment-standards?q={}&per_page=200{query}", urlencode(GENERIC))))
}

fn total(c: &Client) -> i64 {
    c.ok("/api/v1/payment-standards?per_page=1")["total"].as_i64().unwrap()
}

fn compute(bureau: &Client, effective: &str) -> Value {
    let r = bureau.post(
        "/api/v1/payment-standards/compute",
        &json!({"effective_from": effective, "generic_name": GENERIC, "variant": "national"}),
    );
    assert_eq!(r.status, 201, "compute {effective}: {}", r.body);
    r.body
}

fn publish(bureau: &Client, effective: &str) -> Value {
    let r = bureau.post("/api/v1/payment-standards/publish", &json!({"effective_from": effective}));
    assert_eq!(r.status, 200, "publish {effective}: {}", r.body);
    r.body
}

fn raw(c: &Client, path: &str) -> (u16, Vec<u8>) {
    let resp = match c.request("GET", path).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).unwrap();
    (status, bytes)
}

/// A second pooling region with its bureau officer and a hospital buyer.
fn second_region(env: &Env) -> (Client, Client) {
    let admin = env.login("admin");
    let r = admin.post("/api/v1/regions", &json!({"code": "440100", "province_code": "440000", "name": "广州市"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let mut out = Vec::new();
    for (kind, name, role, user) in [
        ("bureau", "广州市医疗保障局", "bureau_officer", "bureau_ps_gz"),
        ("hospital", "广州市第一人民医院", "hospital_buyer", "hospital_ps_gz"),
    ] {
        let org = admin.post(
            "/api/v1/organizations",
            &json!({"kind": kind, "name": name, "region_code": "440100",
                    "hospital_level": if kind == "hospital" { json!(3) } else { Value::Null }}),
        );
        assert_eq!(org.status, 201, "{}", org.body);
        let u = admin.post(
            "/api/v1/users",
            &json!({"username": user, "password": DEMO_PASSWORD, "role": role, "org_id": org.body["id"]}),
        );
        assert_eq!(u.status, 201, "{}", u.body);
        out.push(env.login(user));
    }
    let hospital = out.pop().unwrap();
    (out.pop().unwrap(), hospital)
}

on_both_databases!(worked_example_over_the_glide_years);

fn worked_example_over_the_glide_years(backend: jicai_tests::Backend) {
    let Some(mut env) = Env::demo(backend, Some(T0)) else { return };
    let bureau = env.login("bureau1");
    let hospital = env.login("hospital1");
    let [winner, originator_maker, passed_maker, cheap_maker] =
        ["supplier3", "supplier4", "supplier5", "supplier6"].map(|u| org_id(&env.login(u)));

    // The catalogue: 30-tablet packs; consistency evaluation recorded at creation or later.
    let products: Vec<Value> = [
        ("winning", "passed"),
        ("originator", "originator"),
        ("passed", ""),
        ("cheap", "passed"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (what, consistency))| {
        json!({"code": code(i), "generic_name": GENERIC, "dosage_form": "片剂", "specification": format!("10mg {what}"),
                   "pack_size": 30, "min_unit": "片",
                   "consistency": if consistency.is_empty() { Value::Null } else { json!(consistency) }})
    })
    .collect();
    let r = bureau.post("/api/v1/products", &json!(products));
    assert_eq!(r.status, 201, "products: {}", r.body);
    assert_eq!(r.body[1]["consistency"], "originator");
    let passed_id = r.body[2]["id"].as_str().unwrap().to_string();
    assert_eq!(r.body[2]["consistency"], Value::Null);
    let bad = bureau.put(&format!("/api/v1/products/{passed_id}/consistency"), &json!({"consistency": "maybe"}));
    assert_eq!(
        (bad.status, bad.code(), bad.body["error"]["field"].as_str()),
        (422, "invalid_body", Some("consistency"))
    );
    let set = bureau.put(&format!("/api/v1/products/{passed_id}/consistency"), &json!({"consistency": "passed"}));
    assert_eq!((set.status, &set.body["consistency"]), (200, &json!("passed")), "{}", set.body);
    assert_eq!(
        hospital.put(&format!("/api/v1/products/{passed_id}/consistency"), &json!({"consistency": null})).status,
        403
    );

    let batch = bureau.post(
        "/api/v1/batches",
        &json!({"name": "黑盒支付标准批次", "level": "provincial", "category": "drug", "document_no": "BB-PS-2027",
                "cycle_start": "2027-01-01", "cycle_end": "2029-12-31"}),
    );
    assert_eq!(batch.status, 201, "batch: {}", batch.body);
    let bid = bureau.post(
        "/api/v1/winning-bids",
        &json!({"batch_id": id(&batch.body), "product_code": code(0), "enterprise_id": winner, "pack_price": "6.00",
                "supply_regions": [{"region_code": "440300", "role": "primary"}]}),
    );
    assert_eq!(bid.status, 201, "bid: {}", bid.body);
    assert_eq!(bid.body["unit_price"], "0.2000");

    // A negative price is refused with its field, and nothing is listed.
    let listed_before = bureau.ok("/api/v1/listed-products?per_page=1")["total"].clone();
    let negative = bureau.post(
        "/api/v1/listed-products",
        &json!([{"product_code": code(1), "enterprise_id": originator_maker, "pack_price": "30.00"},
                {"product_code": code(2), "enterprise_id": passed_maker, "pack_price": "-10.50"}]),
    );
    assert_eq!((negative.status, negative.code()), (422, "invalid_body"), "{}", negative.body);
    assert_eq!(negative.body["error"]["field"], "[1].pack_price");
    assert_eq!(bureau.ok("/api/v1/listed-products?per_page=1")["total"], listed_before);
    let listed = bureau.post(
        "/api/v1/listed-products",
        &json!([{"product_code": code(1), "enterprise_id": originator_maker, "pack_price": "30.00"},
                {"product_code": code(2), "enterprise_id": passed_maker, "pack_price": "10.50"},
                {"product_code": code(3), "enterprise_id": cheap_maker, "pack_price": "4.50"}]),
    );
    assert_eq!(listed.status, 201, "listed: {}", listed.body);
    let prices: Vec<&str> = listed.body.as_array().unwrap().iter().map(|l| l["unit_price"].as_str().unwrap()).collect();
    assert_eq!(prices, ["1.0000", "0.3500", "0.1500"]);

    // Bad input changes nothing: an unknown variant, a past effective date, bad policy figures.
    let before = total(&bureau);
    let r = bureau
        .post("/api/v1/payment-standards/compute", &json!({"effective_from": "2027-01-01", "variant": "zhejiang"}));
    assert_eq!(
        (r.status, r.code(), r.body["error"]["field"].as_str()),
        (422, "unknown_standard_variant", Some("variant"))
    );
    let r = bureau.post("/api/v1/payment-standards/compute", &json!({"effective_from": "2026-11-30"}));
    assert_eq!((r.status, r.code()), (422, "retroactive_standard"));
    let r = bureau.post("/api/v1/payment-standards/compute", &json!({"effective_from": "2027-13-01"}));
    assert_eq!((r.status, r.code()), (422, "invalid_body"));
    let r = bureau.post(
        "/api/v1/policies/payment_standard",
        &json!({"effective_from": "2027-01-01", "params": {"default_variant": "national", "fund_share": "-0.7",
                "national": {"threshold_multiple": "2", "first_year_cut": "0.3", "glide_years": 3},
                "fujian": {"outside_group_share": "0.7"}, "heilongjiang": {"copay_raise": "0.1"}}}),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_policy"), "{}", r.body);
    let r = hospital.post("/api/v1/payment-standards/compute", &json!({}));
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    assert_eq!(total(&bureau), before, "refused requests wrote standards");

    // Year 1 (2027): drafts, seen by the bureau only.
    let drafts = by_code(&json!({"items": compute(&bureau, "2027-01-01")}));
    assert_eq!(drafts.len(), 4);
    let expect = |s: &Value, branch: &str, standard: &str, basis: &str, excess: &str| {
        assert_eq!(
            (s["branch"].as_str(), s["standard"].as_str(), s["paid_basis"].as_str(), s["excess_per_unit"].as_str()),
            (Some(branch), Some(standard), Some(basis), Some(excess)),
            "{s}"
        );
        assert_eq!(s["winning_price"], "0.2000");
        assert_eq!(s["status"], "draft");
    };
    expect(&drafts[&code(0)], "winning", "0.2000", "0.2000", "0.0000");
    expect(&drafts[&code(1)], "above_2x_glide", "0.7000", "0.7000", "0.3000");
    expect(&drafts[&code(2)], "within_2x", "0.2000", "0.2000", "0.1500");
    expect(&drafts[&code(3)], "below_winning", "0.2000", "0.1500", "0.0000");
    assert_eq!(drafts[&code(1)]["glide_year"], 1);
    assert_eq!(drafts[&code(1)]["version"], 1);
    assert_eq!(drafts[&code(1)]["fund_share"], "0.7");
    let originator_id = id(&drafts[&code(1)]).to_string();
    assert!(standards_of(&hospital, "").is_empty(), "a hospital sees drafts");
    assert_eq!(hospital.get(&format!("/api/v1/payment-standards/{originator_id}")).status, 404);

    let published = publish(&bureau, "2027-01-01");
    assert_eq!(published.as_array().unwrap().len(), 4);
    assert!(published.as_array().unwrap().iter().all(|s| s["status"] == "published" && s["published_at"].is_string()));
    let again = bureau.post(&format!("/api/v1/payment-standards/{originator_id}/publish"), &json!({}));
    assert_eq!((again.status, again.code()), (409, "already_published"));
    let r = bureau.post("/api/v1/payment-standards/publish", &json!({"effective_from": "2027-01-01"}));
    assert_eq!((r.status, r.code()), (409, "nothing_to_publish"));

    // The patient's share of 30 tablets, explained line by line: ¥15.30, ¥6.30, ¥1.35.
    let year1 = standards_of(&hospital, "&in_force_on=2027-06-01");
    assert_eq!(year1.len(), 4);
    let detail = |s: &Value| hospital.ok(&format!("/api/v1/payment-standards/{}?quantity=30", id(s)));
    let d = detail(&year1[&code(1)]);
    assert_eq!(
        (d["patient"]["within_standard"].as_str(), d["patient"]["copay"].as_str(), d["patient"]["excess"].as_str()),
        (Some("21.00"), Some("6.30"), Some("9.00"))
    );
    assert_eq!(
        (d["patient"]["patient_pays"].as_str(), d["patient"]["fund_pays"].as_str()),
        (Some("15.30"), Some("14.70"))
    );
    let steps: Vec<&str> = d["explanation"].as_array().unwrap().iter().map(|l| l["step"].as_str().unwrap()).collect();
    assert_eq!(steps, ["prices", "above_2x", "glide_year", "excess", "fund_share"]);
    assert!(d["explanation"][1]["zh"].as_str().unwrap().contains("0.7000"));
    assert_eq!(d["inputs"]["cycle_year"], 1);
    assert_eq!(d["inputs"]["policy"]["national"]["first_year_cut"], "0.3");
    assert_eq!(d["standard"]["policy_id"], d["inputs"]["policy_id"]);
    assert_eq!(detail(&year1[&code(2)])["patient"]["patient_pays"], "6.30");
    assert_eq!(detail(&year1[&code(3)])["patient"]["patient_pays"], "1.35");
    assert_eq!(detail(&year1[&code(0)])["patient"]["patient_pays"], "1.80");
    let r = hospital.get(&format!("/api/v1/payment-standards/{originator_id}?quantity=0"));
    assert_eq!((r.status, r.code()), (422, "invalid_quantity"));

    // Years 2 and 3: the originator glides to ¥0.45, then to the winning price.
    compute(&bureau, "2028-01-01");
    publish(&bureau, "2028-01-01");
    compute(&bureau, "2029-01-01");
    publish(&bureau, "2029-01-01");
    for (date, standard, year, pays) in [
        ("2027-12-31", "0.7000", 1, "15.30"),
        ("2028-06-01", "0.4500", 2, "20.55"),
        ("2029-06-01", "0.2000", 3, "25.80"),
    ] {
        let s = &standards_of(&hospital, &format!("&in_force_on={date}"))[&code(1)];
        assert_eq!((s["standard"].as_str(), s["glide_year"].as_i64()), (Some(standard), Some(year)), "{date}: {s}");
        assert_eq!(detail(s)["patient"]["patient_pays"], pays, "{date}");
        let passed = &standards_of(&hospital, &format!("&in_force_on={date}"))[&code(2)];
        assert_eq!(passed["standard"], "0.2000");
    }
    assert!(standards_of(&hospital, "&in_force_on=2026-12-31").is_empty());

    // Recomputing makes a new version; the published one stays as it was, and in force.
    let v2 = by_code(&json!({"items": compute(&bureau, "2028-01-01")}));
    assert_eq!((v2[&code(1)]["version"].as_i64(), v2[&code(1)]["status"].as_str()), (Some(2), Some("draft")));
    let v3 = by_code(&json!({"items": compute(&bureau, "2028-01-01")}));
    assert_eq!(v3[&code(1)]["version"], 3);
    let all_2028 = bureau.ok(&format!(
        "/api/v1/payment-standards?q={}&effective_from=2028-01-01&product_id={}",
        urlencode(GENERIC),
        drafts[&code(1)]["product"]["id"].as_str().unwrap()
    ));
    let statuses: Vec<(i64, &str)> = all_2028["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["version"].as_i64().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [(3, "draft"), (2, "superseded"), (1, "published")]);
    let superseded = id(&v2[&code(1)]).to_string();
    let r = bureau.post(&format!("/api/v1/payment-standards/{superseded}/publish"), &json!({}));
    assert_eq!((r.status, r.code()), (409, "standard_superseded"));
    assert_eq!(standards_of(&hospital, "&in_force_on=2028-06-01")[&code(1)]["version"], 1);

    // Suppliers see the published standards of their own products only.
    let maker = env.login("supplier4");
    let own = maker.ok("/api/v1/payment-standards?per_page=200");
    assert!(own["total"].as_i64().unwrap() >= 3);
    assert!(own["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["enterprise_id"] == originator_maker.as_str() && s["status"] == "published"));
    assert_eq!(maker.get("/api/v1/payment-standards/feed").status, 403);

    // The tenant wall: another region's bureau and hospital get 404 and see none of it.
    let (bureau_gz, hospital_gz) = second_region(&env);
    for c in [&bureau_gz, &hospital_gz] {
        let r = c.get(&format!("/api/v1/payment-standards/{originator_id}"));
        assert_eq!((r.status, r.code()), (404, "not_found"));
        assert_eq!(c.ok("/api/v1/payment-standards")["total"], 0);
    }
    let r = bureau_gz.post(&format!("/api/v1/payment-standards/{}/publish", id(&v3[&code(1)])), &json!({}));
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = bureau_gz.post("/api/v1/payment-standards/compute", &json!({"effective_from": "2027-01-01"}));
    assert_eq!((r.status, r.code()), (409, "nothing_to_compute"));
    assert_eq!(bureau.ok(&format!("/api/v1/payment-standards/{}", id(&v3[&code(1)])))["standard"]["status"], "draft");

    // Exports: CSV with a BOM and Chinese headers, XLSX.
    let (status, csv) = raw(
        &bureau,
        &format!("/api/v1/payment-standards/export?format=csv&q={}&in_force_on=2027-06-01", urlencode(GENERIC)),
    );
    assert_eq!(status, 200);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with('\u{feff}') && text.contains("支付标准 standard"), "{text}");
    assert_eq!(text.lines().count(), 5, "{text}");
    assert!(text.contains("above_2x_glide") && text.contains("0.7000"), "{text}");
    let (status, xlsx) = raw(&bureau, "/api/v1/payment-standards/export?format=xlsx");
    assert_eq!((status, &xlsx[..2]), (200, &b"PK"[..]));
    let (status, _) = raw(&bureau, "/api/v1/payment-standards/export?format=pdf");
    assert_eq!(status, 422);

    // A year on, the feed for hospital and insurance systems shows year 2's standard by default.
    env.restart_at("2028-03-01T09:00:00+08:00");
    for user in ["hospital1", "fund1"] {
        let c = env.login(user);
        let feed = c.ok("/api/v1/payment-standards/feed?per_page=200");
        let mine = by_code(&feed);
        let s = &mine[&code(1)];
        assert_eq!((s["standard"].as_str(), s["excess_per_unit"].as_str()), (Some("0.4500"), Some("0.5500")), "{user}");
        assert_eq!(mine[&code(3)]["paid_basis"], "0.1500");
    }
}
