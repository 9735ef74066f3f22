//! Surplus retention: inputs, a calculation run checked figure by figure, its explanation,
//! approval by a second officer, supersession, export, the tenant wall; and monitoring.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, sql, Client, Env};
use serde_json::{json, Value};

fn dec(v: &Value) -> f64 {
    v.as_str().unwrap_or_else(|| panic!("a decimal string: {v}")).parse().unwrap()
}

fn fen(v: &Value) -> i64 {
    (dec(v) * 100.0).round() as i64
}

/// Every generic of the region's winning bids, with a plausible pre-VBP price (3× the winning unit price).
fn generics(bureau: &Client) -> Vec<(String, String)> {
    let bids = bureau.ok("/api/v1/winning-bids?per_page=200");
    let mut out: Vec<(String, String)> = Vec::new();
    for b in bids["items"].as_array().unwrap() {
        let g = b["product"]["generic_name"].as_str().unwrap().to_string();
        if !out.iter().any(|(x, _)| x == &g) {
            out.push((g, format!("{:.4}", dec(&b["unit_price"]) * 3.0)));
        }
    }
    out
}

/// The supplier account of the enterprise that listed a product.
fn listing_supplier(env: &Env, listed: &Value) -> Client {
    (3..=12)
        .map(|n| env.login(&format!("supplier{n}")))
        .find(|c| org_id(c) == listed["enterprise_id"].as_str().unwrap())
        .expect("a demo account for the listing enterprise")
}

/// Every item of a paginated list, a page of 200 at a time.
fn all_pages(c: &Client, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    for page in 1.. {
        let body = c.ok(&format!("{path}&per_page=200&page={page}"));
        let got = body["items"].as_array().unwrap().clone();
        items.extend(got);
        if items.len() as i64 >= body["total"].as_i64().unwrap() {
            return items;
        }
    }
    unreachable!()
}

/// The caller's agreement year 1: its volumes' earliest start to latest end, cut at `as_of`.
fn year_of(hospital: &Client, as_of: &str) -> (String, String) {
    let volumes = all_pages(hospital, "/api/v1/agreed-volumes?agreement_year=1");
    let from = volumes.iter().map(|v| v["year_start"].as_str().unwrap()).min().unwrap().to_string();
    let to = volumes.iter().map(|v| v["year_end"].as_str().unwrap()).max().unwrap().min(as_of).to_string();
    (from, to)
}

/// A second officer of the same bureau (the admin adds one; the demo's bureau2 is taken).
fn second_bureau_officer(env: &Env, bureau: &Client) -> Client {
    let admin = env.login("admin");
    let org = org_id(bureau);
    let r = admin.post("/api/v1/users", &json!({"username": "bureau3", "password": jicai_tests::DEMO_PASSWORD, "role": "bureau_officer", "org_id": org}));
    assert_eq!(r.status, 201, "{}", r.body);
    env.login("bureau3")
}

on_both_databases!(retention_is_calculated_explained_and_approved);

fn retention_is_calculated_explained_and_approved(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let bureau = env.login("bureau1");
    let h1 = org_id(&hospital);

    // hospital1 accepts 10 boxes of winning ezetimibe and 20 tablets of the listed alternative.
    let s = shipped_order(&hospital, &supplier, 10);
    accept(&hospital, &s.delivery, 300, 0, None);
    let listed = hospital.ok("/api/v1/listed-products")["items"][0].clone();
    let r = hospital.post("/api/v1/orders", &json!({"supplier_id": listed["enterprise_id"], "lines": [{"listed_product_id": listed["id"], "quantity": 20, "unit_price": listed["unit_price"]}]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let alt_order = r.body;
    let organon = listing_supplier(&env, &listed);
    confirm(&organon, &alt_order);
    let d = ship(&organon, &alt_order, 20, "ORG-1");
    accept(&hospital, &d, 20, 0, None);

    // A generic loaded after the inputs were entered has no pre-VBP price: the run is
    // refused, naming what is missing.
    let r = bureau.post("/api/v1/products", &json!({"code": "XA10BAE021A010010299977", "generic_name": "新增测试药片", "dosage_form": "片剂", "specification": "5 mg", "pack_size": 10, "min_unit": "片"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post("/api/v1/batches", &json!({"name": "省级联盟 测试批", "level": "alliance", "category": "drug", "document_no": "TEST-RET-1", "cycle_start": "2026-01-01", "cycle_end": "2027-12-31"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let batch = r.body["id"].clone();
    let maker = bureau.ok("/api/v1/organizations?kind=enterprise&q=Sandoz")["items"][0]["id"].clone();
    let r = bureau.post("/api/v1/winning-bids", &json!({"batch_id": batch, "product_code": "XA10BAE021A010010299977", "enterprise_id": maker,
        "pack_price": "9.90", "supply_regions": [{"region_code": "440000", "role": "primary"}], "distributor_ids": [org_id(&supplier)]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post(
        "/api/v1/agreed-volumes",
        &json!({"hospital_id": h1, "winning_bid_id": r.body["id"], "agreement_year": 1, "reported_demand": 1000}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1}));
    assert_eq!((r.status, r.code()), (422, "retention_inputs_missing"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["missing"], json!(["pre_vbp_price:新增测试药片"]));

    // The bureau's inputs: fund ratio 0.7, pre-VBP prices, insured share 0.9, a manual score.
    let hospitals = bureau.ok("/api/v1/organizations?kind=hospital&per_page=200");
    let mut values = vec![json!({"kind": "fund_ratio", "value": "0.7"})];
    for (g, price) in generics(&bureau) {
        values.push(json!({"kind": "pre_vbp_price", "subject": g, "value": price}));
    }
    for h in hospitals["items"].as_array().unwrap() {
        values.push(json!({"kind": "insured_share", "subject": h["id"], "value": "0.9"}));
    }
    values.push(json!({"kind": "manual_score", "subject": format!("{h1}:rational_use"), "value": "85", "comment": "处方点评合格"}));
    let r = bureau.put("/api/v1/retention/inputs", &json!({"agreement_year": 1, "values": values}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body.as_array().unwrap().len(), values.len(), "answers what it wrote");
    // Read back a page at a time, by kind and subject.
    let scores = env
        .login("fund1")
        .ok(&format!("/api/v1/retention/inputs?agreement_year=1&kind=manual_score&subject={h1}&per_page=1"));
    assert_eq!((scores["total"].as_i64(), scores["items"][0]["value"].as_str()), (Some(1), Some("85")));
    let shares = bureau.ok("/api/v1/retention/inputs?agreement_year=1&kind=insured_share&per_page=5");
    assert_eq!(shares["items"].as_array().unwrap().len(), 5);
    assert_eq!(shares["total"].as_i64(), Some(hospitals["items"].as_array().unwrap().len() as i64));
    let r = bureau.put(
        "/api/v1/retention/inputs",
        &json!({"agreement_year": 1, "values": [{"kind": "fund_ratio", "value": "1.7"}]}),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_value"));

    // A winning purchase under another agreement year's volume of the same generic (a second
    // batch, in its year 2 today) counts in this year as bought beyond its volumes.
    let r = bureau.post("/api/v1/products", &json!({"code": "XA10BAE021A010010299978", "generic_name": "依折麦布片", "dosage_form": "片剂", "specification": "10 mg", "pack_size": 10, "min_unit": "片"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post("/api/v1/batches", &json!({"name": "省级联盟 续约批", "level": "alliance", "category": "drug", "document_no": "TEST-RET-2", "cycle_start": "2025-06-01", "cycle_end": "2027-05-31"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let r = bureau.post("/api/v1/winning-bids", &json!({"batch_id": r.body["id"], "product_code": "XA10BAE021A010010299978", "enterprise_id": maker,
        "pack_price": "8.80", "supply_regions": [{"region_code": "440000", "role": "primary"}], "distributor_ids": [org_id(&supplier)]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let renewal = r.body.clone();
    let r = bureau.post(
        "/api/v1/agreed-volumes",
        &json!({"hospital_id": h1, "winning_bid_id": renewal["id"], "agreement_year": 2, "reported_demand": 1000}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let o = place(&hospital, &org_id(&supplier), &renewal, 3);
    confirm(&supplier, &o);
    let d = ship(&supplier, &o, 30, "RENEW-1");
    let accepted = accept(&hospital, &d, 30, 0, None);
    // Its payable is invoiced today and waits on the hospital (undecided).
    let payable = format!("/api/v1/payables/{}", accepted["acceptance"]["payable_id"].as_str().unwrap());
    let amount = supplier.ok(&payable)["amount"].clone();
    let r = supplier.post(&format!("{payable}/invoices"), &json!({"invoices": [{"invoice_no": "44039901", "invoice_date": "2026-11-22", "amount": amount, "tax_amount": "0.00"}]}));
    assert_eq!(r.status, 201, "{}", r.body);

    // A run as of yesterday leaves out today's acceptances (the 300 boxes, the 30 under the
    // other year's volume and the 20 tablets).
    let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1, "as_of": "2026-11-21"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let e = bureau.ok(&format!("/api/v1/retention-runs/{}/explain?hospital_id={h1}", r.body["id"].as_str().unwrap()));
    let yesterday = e["lines"].as_array().unwrap().iter().find(|l| l["generic_name"] == "依折麦布片").unwrap().clone();

    // The run.
    let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1, "as_of": "2026-11-22"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let run1 = r.body.clone();
    let run1_id = run1["id"].as_str().unwrap().to_string();
    assert_eq!(run1["status"], "calculated");
    assert_eq!(run1["results"].as_array().unwrap().len(), 20);
    // The list of runs is paged, newest first.
    let first = bureau.ok("/api/v1/retention-runs?agreement_year=1&per_page=1");
    assert!(first["total"].as_i64().unwrap() >= 2, "{first}");
    assert_eq!((first["items"].as_array().unwrap().len(), &first["items"][0]["id"]), (1, &run1["id"]));
    let second = bureau.ok("/api/v1/retention-runs?agreement_year=1&per_page=1&page=2");
    assert_ne!(second["items"][0]["id"], run1["id"]);

    // hospital1's ezetimibe line, against figures taken elsewhere.
    let e = bureau.ok(&format!("/api/v1/retention-runs/{run1_id}/explain?hospital_id={h1}"));
    let line = e["lines"].as_array().unwrap().iter().find(|l| l["generic_name"] == "依折麦布片").unwrap().clone();
    let volume = volume(&hospital, id(&s.bid));
    assert_eq!(line["agreed_qty"], volume["agreed_qty"]);
    let progress = hospital.ok("/api/v1/monitoring/progress?as_of=2026-11-22&per_page=200");
    let accepted =
        progress["items"].as_array().unwrap().iter().find(|p| p["agreed_volume_id"] == volume["id"]).unwrap()
            ["accepted_qty"]
            .as_i64()
            .unwrap();
    assert!(accepted >= 300);
    assert_eq!(line["winning_qty"].as_i64().unwrap(), accepted.min(volume["agreed_qty"].as_i64().unwrap()));
    let progress = hospital.ok("/api/v1/monitoring/progress?as_of=2026-11-21&per_page=200");
    let accepted_before =
        progress["items"].as_array().unwrap().iter().find(|p| p["agreed_volume_id"] == volume["id"]).unwrap()
            ["accepted_qty"]
            .as_i64()
            .unwrap();
    assert!(accepted_before + 300 <= accepted);
    let bought = |l: &Value| l["winning_qty"].as_i64().unwrap() + l["above_volume_qty"].as_i64().unwrap();
    assert_eq!((bought(&yesterday), yesterday["non_winning_qty"].as_i64()), (accepted_before, Some(0)), "{yesterday}");
    assert_eq!(bought(&line), accepted + 30, "{line}");
    assert_eq!(line["non_winning_qty"], 20);
    assert_eq!(line["non_winning_amount"], "130.00"); // 20 × ¥6.5000
    let pre = dec(&line["pre_vbp_price"]);
    let agreed = line["agreed_qty"].as_i64().unwrap() as f64;
    let budget = agreed * pre * 0.7 * 0.9;
    assert!((dec(&line["budget"]) - budget).abs() < 1e-6, "budget {} vs {budget}", line["budget"]);
    let actual = (dec(&line["winning_amount"]) + 130.0) * 0.63;
    assert!((dec(&line["actual"]) - actual).abs() < 1e-6, "actual {} vs {actual}", line["actual"]);
    assert!((dec(&line["saving"]) - (budget - actual)).abs() < 1e-6);
    let result = &e["result"];
    let savings: f64 = e["lines"].as_array().unwrap().iter().map(|l| dec(&l["saving"])).sum();
    assert_eq!(fen(&result["surplus"]), (savings.max(0.0) * 100.0).round() as i64);
    assert_eq!(result["components"]["rational_use"], "85");
    assert!(result["components"]["completion"].is_string());
    // On-time confirmation, against hospital1's own payables: of those invoiced within its
    // volumes' year (cut at the run's date) and decided, the share confirmed explicitly by
    // the deadline. Invoiced but undecided ones do not count; there are some.
    let (from, to) = year_of(&hospital, "2026-11-22");
    let in_year = |p: &&Value| p["invoiced_on"].as_str().is_some_and(|d| (from.as_str()..=to.as_str()).contains(&d));
    let payables = all_pages(&hospital, "/api/v1/payables?");
    let decided: Vec<&Value> = payables.iter().filter(in_year).filter(|p| p["confirmed_on"].is_string()).collect();
    let on_time = decided
        .iter()
        .filter(|p| p["confirmation"] == "explicit" && p["confirmed_on"].as_str() <= p["confirm_deadline"].as_str())
        .count();
    assert!(payables.iter().filter(in_year).any(|p| p["confirmed_on"].is_null()), "an undecided invoiced payable");
    assert!(!decided.is_empty() && on_time < decided.len(), "decided {}, on time {on_time}", decided.len());
    let expected = (on_time as f64) * 100.0 / (decided.len() as f64);
    assert!(
        (dec(&result["components"]["on_time_confirmation"]) - expected).abs() < 0.005,
        "{} vs {expected}",
        result["components"]
    );
    assert_eq!(fen(&result["retained"]), (dec(&result["surplus"]) * dec(&result["share"]) * 100.0).round() as i64);
    let steps: Vec<&str> = e["steps"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(steps.iter().any(|s| s.starts_with("budget 预算 = ") && s.contains(" × 0.7 × 0.9 = ¥")), "{steps:?}");
    assert!(steps.last().unwrap().starts_with("retained 留用金额"));

    // A hospital reads its own result only.
    let mine = hospital.ok(&format!("/api/v1/retention-runs/{run1_id}"));
    assert_eq!(mine["results"].as_array().unwrap().len(), 1);
    assert_eq!(mine["inputs"], "");
    hospital.ok(&format!("/api/v1/retention-runs/{run1_id}/explain?hospital_id={h1}"));
    let h2 = org_id(&env.login("hospital2"));
    let r = hospital.get(&format!("/api/v1/retention-runs/{run1_id}/explain?hospital_id={h2}"));
    assert_eq!((r.status, r.code()), (404, "not_found"));
    let r = env.login("hospital2").get(&format!("/api/v1/retention-runs/{run1_id}/explain?hospital_id={h1}"));
    assert_eq!(r.status, 404);
    assert_eq!(env.login("supplier1").get(&format!("/api/v1/retention-runs/{run1_id}")).status, 403);

    // The policy changes today (grade B keeps 45%): a new run uses it and supersedes the first,
    // which keeps its figures.
    let policies = bureau.ok("/api/v1/policies");
    let current = policies.as_array().unwrap().iter().find(|p| p["kind"] == "retention").unwrap();
    let mut params: Value = serde_json::from_str(current["params"].as_str().unwrap()).unwrap();
    params["grades"][1]["share"] = json!("0.45");
    params["floor_share"] = json!("0.1");
    let r = bureau.post(
        "/api/v1/policies/retention",
        &json!({"effective_from": "2026-11-23", "params": params, "note": "B 档 45%，保底 10%"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let new_policy = r.body["id"].clone();
    let mut bad = params.clone();
    bad["components"][0]["weight"] = json!(10);
    let r = bureau.post("/api/v1/policies/retention", &json!({"effective_from": "2026-12-02", "params": bad}));
    assert_eq!((r.status, r.code()), (422, "invalid_policy"));
    let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1, "as_of": "2026-11-23"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let run2 = r.body.clone();
    let run2_id = run2["id"].as_str().unwrap().to_string();
    assert_eq!(run2["supersedes_id"], run1_id.as_str());
    assert_eq!(run2["policy_id"], new_policy);
    assert_ne!(run2["policy_id"], run1["policy_id"]);
    let old = bureau.ok(&format!("/api/v1/retention-runs/{run1_id}"));
    assert_eq!(old["status"], "superseded");
    assert_eq!(old["results"], run1["results"], "a superseded run keeps its figures");
    for (a, b) in run1["results"].as_array().unwrap().iter().zip(run2["results"].as_array().unwrap()) {
        assert_eq!(a["hospital_id"], b["hospital_id"]);
        let expected = match b["grade"].as_str().unwrap() {
            "A" => "0.5",
            "B" => "0.45",
            "C" => "0.3",
            _ => "0.1", // D: the floor
        };
        assert_eq!(b["share"], expected, "{b}");
    }
    let r = env.login("bureau1").post(&format!("/api/v1/retention-runs/{run1_id}/approve"), &json!({}));
    assert_eq!((r.status, r.code()), (409, "run_status"), "a superseded run cannot be approved");

    // Approval: not by the officer who started the run; by another, posting to the ledger.
    let r = bureau.post(&format!("/api/v1/retention-runs/{run2_id}/approve"), &json!({}));
    assert_eq!((r.status, r.code()), (403, "maker_checker"), "{}", r.body);
    let bureau2 = second_bureau_officer(&env, &bureau);
    let r = bureau2.post(&format!("/api/v1/retention-runs/{run2_id}/approve"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    let retained: i64 = r.body["results"].as_array().unwrap().iter().map(|x| fen(&x["retained"])).sum();
    assert_eq!(retained, fen(&r.body["total_retained"]));
    assert!(r.body["started_by_name"].as_str().unwrap().ends_with("(bureau1)"), "{}", r.body);
    let db = &env.server.database_url;
    let (ok, posted) = sql(db, "SELECT coalesce(sum(credit), 0) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id WHERE e.kind = 'retention'");
    assert!(ok);
    assert_eq!(posted.trim().parse::<i64>().unwrap(), retained);
    assert!(retained > 0, "the floor share retains something");
    let mail = bureau.ok("/api/v1/outbox");
    let told: Vec<&str> = mail
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "retention_approved")
        .map(|m| m["to_org_id"].as_str().unwrap())
        .collect();
    let owed: Vec<&str> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| fen(&x["retained"]) > 0)
        .map(|x| x["hospital_id"].as_str().unwrap())
        .collect();
    assert_eq!(told.len(), owed.len());
    assert!(owed.iter().all(|h| told.contains(h)));
    // Approved is final: no newer run.
    let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1, "as_of": "2026-11-23"}));
    assert_eq!((r.status, r.code()), (409, "run_already_approved"));

    // Exports: summary and detail, CSV and XLSX.
    let csv = bureau
        .request("GET", &format!("/api/v1/retention-runs/{run2_id}/export?part=detail"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(csv.lines().count() > 20 && csv.contains("依折麦布片"), "{csv}");
    let summary = bureau
        .request("GET", &format!("/api/v1/retention-runs/{run2_id}/export"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(summary.lines().count(), 21, "a header and twenty hospitals");
    let resp = bureau.request("GET", &format!("/api/v1/retention-runs/{run2_id}/export?format=xlsx")).call().unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
    assert!(bytes.starts_with(b"PK"));

    // The stored figures cannot be rewritten.
    let (ok, text) = sql(db, "UPDATE retention_results SET retained = 0");
    assert!(!ok && text.contains("immutable"), "{text}");
    let (ok, text) = sql(db, "UPDATE retention_lines SET saving = '0'");
    assert!(!ok && text.contains("immutable"), "{text}");
    // Lines carry no foreign key (a run writes its results and their lines together): every
    // line of every run here belongs to a result of its run.
    let (ok, text) = sql(db, "SELECT (SELECT count(*) FROM retention_lines), count(*) FROM retention_lines l \
        WHERE NOT EXISTS (SELECT 1 FROM retention_results r WHERE r.run_id = l.run_id AND r.hospital_id = l.hospital_id)");
    let (lines, orphans) = text.trim().split_once('|').unwrap_or_else(|| panic!("{text}"));
    assert!(ok && lines.parse::<i64>().unwrap() > 0 && orphans == "0", "{text}");
}

on_both_databases!(monitoring_warns_behind_pace_and_non_winning_share);

fn monitoring_warns_behind_pace_and_non_winning_share(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let hospital = env.login("hospital1");
    let h1 = org_id(&hospital);
    // The 8th batch's agreement year runs from 1 June 2026 for a year. Early on, nobody is
    // behind; by mid-August a volume with nothing accepted is.
    let early = bureau.ok("/api/v1/monitoring/progress?as_of=2026-06-20&per_page=200");
    let late = bureau.ok("/api/v1/monitoring/progress?as_of=2026-08-15&per_page=200");
    let behind = |page: &Value, vid: &str| {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["agreed_volume_id"] == vid)
            .map(|p| p["behind_pace"].as_bool().unwrap())
    };
    let target = late["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["hospital_id"] == h1.as_str() && p["accepted_qty"] == 0 && p["pace_pct"].as_str().unwrap() == "20.82"
        })
        .expect("a hospital1 volume of the 8th batch with nothing accepted by mid-August")
        .clone();
    let vid = target["agreed_volume_id"].as_str().unwrap();
    assert_eq!(behind(&early, vid), Some(false));
    assert_eq!(behind(&late, vid), Some(true));
    assert_eq!(target["completion_pct"], "0.00");

    let fund = env.login("fund1");
    let run = |as_of: &str| {
        let r = fund.post("/api/v1/job-runs", &json!({"job": "monitoring", "as_of": as_of}));
        assert_eq!(r.status, 201, "{}", r.body);
        serde_json::from_str::<Value>(r.body["counts"].as_str().unwrap()).unwrap()
    };
    run("2026-06-20");
    let w = bureau
        .ok(&format!("/api/v1/monitoring/warnings?kind=behind_pace&as_of=2026-06-20&hospital_id={h1}&per_page=200"));
    assert!(!w["items"].as_array().unwrap().iter().any(|x| x["subject"] == vid));
    let counts = run("2026-08-15");
    assert!(counts["behind_pace"].as_i64().unwrap() >= 1);
    let w = bureau
        .ok(&format!("/api/v1/monitoring/warnings?kind=behind_pace&as_of=2026-08-15&hospital_id={h1}&per_page=200"));
    assert!(w["items"].as_array().unwrap().iter().any(|x| x["subject"] == vid && x["hospital_id"] == h1.as_str()));
    assert_eq!(run("2026-08-15")["behind_pace"], 0, "a repeated run raises nothing new");

    // hospital1 buys more of the non-winning ezetimibe than of the winning one.
    let listed = hospital.ok("/api/v1/listed-products")["items"][0].clone();
    let r = hospital.post("/api/v1/orders", &json!({"supplier_id": listed["enterprise_id"], "lines": [{"listed_product_id": listed["id"], "quantity": 50_000, "unit_price": listed["unit_price"]}]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let organon = listing_supplier(&env, &listed);
    confirm(&organon, &r.body);
    let d = ship(&organon, &r.body, 50_000, "ORG-2");
    accept(&hospital, &d, 50_000, 0, None);
    run(TODAY);
    let mine = hospital.ok("/api/v1/monitoring/warnings?kind=non_winning_exceeds_winning");
    let w = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["subject"] == format!("{h1}:依折麦布片").as_str())
        .expect("the warning")
        .clone();
    assert_eq!(w["hospital_name"], "深圳市人民医院", "warnings name the hospital");
    let details: Value = serde_json::from_str(w["details"].as_str().unwrap()).unwrap();
    assert!(details["non_winning_qty"].as_i64().unwrap() > details["winning_qty"].as_i64().unwrap());
    // Another hospital does not see it; the bureau does.
    let others = env.login("hospital2").ok("/api/v1/monitoring/warnings?kind=non_winning_exceeds_winning");
    assert!(!others["items"].as_array().unwrap().iter().any(|x| x["hospital_id"] == h1.as_str()));
    assert!(bureau.ok("/api/v1/monitoring/warnings?kind=non_winning_exceeds_winning")["total"].as_i64().unwrap() >= 1);
    assert!(bureau
        .ok("/api/v1/outbox")
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["kind"] == "monitoring_warning" && m["to_org_id"] == h1.as_str()));

    // The bureau's summary per batch and hospital; a hospital's covers itself only.
    let summary = bureau.ok(&format!("/api/v1/monitoring/summary?as_of={TODAY}"));
    let batches = summary.as_array().unwrap();
    assert_eq!(batches.len(), 2, "both batches are in a current agreement year");
    let b7 = batches.iter().find(|b| b["batch_name"].as_str().unwrap().contains("第七批")).unwrap();
    assert_eq!(b7["hospitals"].as_array().unwrap().len(), 20);
    let row = b7["hospitals"].as_array().unwrap().iter().find(|h| h["hospital_id"] == h1.as_str()).unwrap();
    // The batch's pace is its volumes' pace (one agreement year).
    let vols = bureau.ok(&format!(
        "/api/v1/monitoring/progress?as_of={TODAY}&batch_id={}&per_page=1",
        b7["batch_id"].as_str().unwrap()
    ));
    assert_eq!(b7["pace_pct"], vols["items"][0]["pace_pct"]);
    let share = dec(&row["winning_share_pct"]);
    assert!(share < 50.0, "hospital1 bought mostly non-winning ezetimibe: {row}");
    assert!(row["warnings"].as_i64().unwrap() >= 1);
    let own = hospital.ok("/api/v1/monitoring/summary");
    assert!(own.as_array().unwrap().iter().all(|b| b["hospitals"].as_array().unwrap().len() == 1));
}
