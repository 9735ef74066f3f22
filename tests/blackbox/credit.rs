//! Credit rating, black-box: the worked examples of domain.md section 9, a second officer's
//! approval, each measure refusing what it forbids (a bid, a new order, a listing, a
//! distributor) while what already happened goes on (a confirmed order ships and is paid),
//! repair lifting the measures, commitment letters, and the platform proposing a breach case
//! from orders a supplier left unshipped.

use crate::fixtures::*;
use jicai_tests::{cli, on_both_databases, Client, Env};
use serde_json::{json, Value};

fn case_body(enterprise_id: &str, conduct: &str, amount: &str, products: &[&str]) -> Value {
    json!({
        "basis": "administrative_penalty", "document_no": format!("深市监罚〔2026〕{amount}号"),
        "decision_date": "2026-10-15", "conduct": conduct, "amount": amount,
        "summary": "黑盒测试案件", "parties": [{"enterprise_id": enterprise_id, "role": "manufacturer"}],
        "product_codes": products,
    })
}

fn record(bureau: &Client, body: &Value) -> Value {
    let r = bureau.post("/api/v1/credit/cases", body);
    assert_eq!(r.status, 201, "record case: {}", r.body);
    r.body
}

fn post_ok(c: &Client, path: &str, body: Value) -> Value {
    let r = c.post(path, &body);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body
}

/// Records, grades (bureau1) and approves (bureau2) a case; returns it in force.
fn rate(bureau: &Client, bureau2: &Client, body: &Value, grade: &str) -> Value {
    let case = record(bureau, body);
    let path = format!("/api/v1/credit/cases/{}", id(&case));
    post_ok(bureau, &format!("{path}/decide"), json!({"grade": grade, "reason": "按评级标准"}));
    let approved = post_ok(bureau2, &format!("{path}/approve"), json!({"approve": true}));
    assert_eq!(approved["status"], "in_force", "{approved}");
    approved
}

/// The first winning bid the supplier (a manufacturer) won, as a hospital sees it.
fn own_bid(supplier: &Client, hospital: &Client) -> Value {
    let mine = supplier.ok("/api/v1/winning-bids");
    let generic = mine["items"][0]["product"]["generic_name"].as_str().unwrap().to_string();
    bid(hospital, &generic)
}

fn worked_examples(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let supplier = env.login("supplier3");
    let ent = org_id(&supplier);
    for (conduct, amount, grade, from, to) in [
        ("bribery", "800000.00", "serious", "500000.00", Some("1000000.00")),
        ("bribery", "1000000.00", "especially_serious", "1000000.00", None),
        ("tax", "600000.00", "serious", "500000.00", Some("2500000.00")),
        ("tax", "3000000.00", "especially_serious", "2500000.00", None),
    ] {
        let case = record(&bureau, &case_body(&ent, conduct, amount, &[]));
        assert_eq!(case["suggested_grade"], grade, "{conduct} {amount}: {case}");
        assert_eq!(case["status"], "recorded");
        let g = &case["grading"];
        assert_eq!((g["branch"].as_str(), g["scheme"].as_str()), (Some("band"), Some("2025")), "{g}");
        assert_eq!(g["from"], from, "{conduct} {amount}: band {g}");
        assert_eq!(g["to"].as_str(), to, "{conduct} {amount}: band {g}");
        assert_eq!(g["amount"], amount);
        assert!(case["policy_id"].as_str().is_some_and(|p| !p.is_empty()));
    }
    // The grade names as published under the 2025 scheme.
    let case = record(&bureau, &case_body(&ent, "bribery", "800000.00", &[]));
    let names: Vec<&str> = case["grades"].as_array().unwrap().iter().map(|g| g["name_zh"].as_str().unwrap()).collect();
    assert_eq!(names, ["失信", "严重失信", "特别严重失信"]);
    // Nothing is visible outside the bureau before a rating takes effect.
    let hospital = env.login("hospital1");
    assert_eq!(hospital.get(&format!("/api/v1/credit/cases/{}", id(&case))).status, 404);
    assert_eq!(supplier.get(&format!("/api/v1/credit/cases/{}", id(&case))).status, 404);
    assert_eq!(supplier.ok("/api/v1/credit/cases")["total"], 0);
}

on_both_databases!(credit_worked_examples_of_section_9);

fn credit_worked_examples_of_section_9(backend: jicai_tests::Backend) {
    worked_examples(backend)
}

fn measures_and_repair(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let bureau2 = env.login("bureau2");
    let hospital = env.login("hospital1");
    let maker = env.login("supplier3");
    let maker_id = org_id(&maker);
    let the_bid = own_bid(&maker, &hospital);
    let distributor_id = the_bid["distributors"][0]["id"].as_str().expect("a distributor").to_string();
    let distributor =
        env.login(if distributor_id == org_id(&env.login("supplier1")) { "supplier1" } else { "supplier2" });
    assert!(the_bid["risk_flag"].is_null(), "no flag before any rating: {}", the_bid["risk_flag"]);

    // An order confirmed before the rating: it must still ship, be accepted and be paid.
    let before = place(&hospital, &distributor_id, &the_bid, 2);
    confirm(&distributor, &before);

    // Bribery ¥1,000,000: the top grade. The grading officer cannot approve it himself.
    let code = the_bid["product"]["code"].as_str().unwrap();
    let case = record(&bureau, &case_body(&maker_id, "bribery", "1000000.00", &[code]));
    let path = format!("/api/v1/credit/cases/{}", id(&case));
    let r = bureau.post(&format!("{path}/decide"), &json!({"grade": "nonsense", "reason": "x"}));
    assert_eq!((r.status, r.code()), (422, "unknown_grade"), "{}", r.body);
    let r = bureau.post(&format!("{path}/decide"), &json!({"grade": "especially_serious", "reason": " "}));
    assert_eq!((r.status, r.code()), (422, "required"), "{}", r.body);
    post_ok(&bureau, &format!("{path}/decide"), json!({"grade": "especially_serious", "reason": "涉案金额达100万元"}));
    let r = bureau.post(&format!("{path}/approve"), &json!({"approve": true}));
    assert_eq!((r.status, r.code()), (409, "second_officer_required"), "{}", r.body);
    assert!(own_bid(&maker, &hospital)["risk_flag"].is_null(), "pending ratings do not flag");
    let rated = post_ok(&bureau2, &format!("{path}/approve"), json!({"approve": true}));
    assert_eq!(rated["status"], "in_force");
    assert_eq!(rated["effective_from"], TODAY);
    assert_eq!(rated["ends_on"], "2029-10-15", "three years after the decision date");
    assert!(rated["approved_by"].as_str().unwrap().contains("bureau2"));

    // 1. The hospital sees the risk flag beside the product.
    let flagged = own_bid(&maker, &hospital);
    assert_eq!(flagged["risk_flag"]["grade"], "especially_serious", "{}", flagged["risk_flag"]);
    assert_eq!(flagged["risk_flag"]["grade_name_zh"], "特别严重失信");
    // 2. A new order of its product is refused, with the case named.
    let r = hospital.post("/api/v1/orders", &order_body(&distributor_id, &flagged, 1));
    assert_eq!((r.status, r.code()), (422, "listing_suspended"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "lines[0].winning_bid_id");
    assert_eq!(r.body["error"]["details"]["case_no"], rated["case_no"]);
    // 3. Its bids are refused.
    let tenders = maker.ok("/api/v1/tenders?status=bidding");
    let tender = &tenders["items"][0];
    let r = maker.post(
        &format!("/api/v1/tenders/{}/qualifications", id(tender)),
        &json!({"generic_id": tender["generics"][0]["id"], "product_code": code, "strength": "10"}),
    );
    assert_eq!((r.status, r.code()), (422, "bidding_suspended"), "{}", r.body);
    // 4. What already happened goes on: the confirmed order ships, is accepted and is payable.
    let delivery = ship(&distributor, &before, 2 * the_bid["product"]["pack_size"].as_i64().unwrap(), "LOT-CREDIT");
    accept(&hospital, &delivery, 2 * the_bid["product"]["pack_size"].as_i64().unwrap(), 0, None);
    let owed = distributor.ok(&format!("/api/v1/payables?order_id={}", id(&before)));
    assert_eq!(owed["total"], 1, "the fund owes the distributor for it: {owed}");
    let paid_before = maker.ok("/api/v1/payables?status=paid")["total"].clone();

    // 5. The enterprise repairs: evidence for each required measure, accepted by an officer.
    let mine = maker.ok("/api/v1/credit/cases");
    assert_eq!(mine["total"], 1, "the enterprise sees its own rating: {mine}");
    let view = maker.ok(&path);
    let required: Vec<(String, String)> = view["required_repairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["measure"].as_str().unwrap().to_string(), r["state"].as_str().unwrap().to_string()))
        .collect();
    assert!(
        required.contains(&("remove_inflated_price".into(), "satisfied_by_winning_price".into())),
        "a winning price removes the inflated price: {required:?}"
    );
    let r = maker.post(&format!("{path}/repairs"), &json!({"measure": "public_apology", "evidence": ""}));
    assert_eq!((r.status, r.code()), (422, "required"), "{}", r.body);
    let mut last = Value::Null;
    for (measure, state) in &required {
        if state != "missing" {
            continue;
        }
        let v = post_ok(
            &maker,
            &format!("{path}/repairs"),
            json!({"measure": measure, "evidence": format!("{measure}：见附件")}),
        );
        let repair = v["repairs"].as_array().unwrap().iter().find(|r| r["measure"] == *measure).unwrap().clone();
        let r = maker.post(&format!("{path}/repairs/{}/review", id(&repair)), &json!({"approve": true}));
        assert_eq!(r.status, 403, "an enterprise does not accept its own evidence");
        last = post_ok(&bureau, &format!("{path}/repairs/{}/review", id(&repair)), json!({"approve": true}));
    }
    assert_eq!(last["status"], "repaired", "{last}");

    // 6. The restriction lifts: no flag, the order goes through.
    let lifted = own_bid(&maker, &hospital);
    assert!(lifted["risk_flag"].is_null(), "{}", lifted["risk_flag"]);
    place(&hospital, &distributor_id, &lifted, 1);
    assert_eq!(maker.ok("/api/v1/payables?status=paid")["total"], paid_before, "payments untouched");

    // A distributor's distribution suspension: the hospital is told to choose another.
    let case = json!({
        "basis": "court_judgment", "document_no": "（2026）粤03民初1号", "decision_date": "2026-09-01",
        "conduct": "breach_of_contract", "summary": "未按约定配送",
        "parties": [{"enterprise_id": distributor_id, "role": "distributor"}],
    });
    let suspended = rate(&bureau, &bureau2, &case, "dishonest");
    assert_eq!(suspended["distribution_until"], "2027-11-22", "1 year at the mildest grade");
    let r = hospital.post("/api/v1/orders", &order_body(&distributor_id, &lifted, 1));
    assert_eq!((r.status, r.code()), (422, "distribution_suspended"), "{}", r.body);
    assert_eq!(r.body["error"]["field"], "supplier_id");
    assert!(r.body["error"]["message"].as_str().unwrap().contains("another distributor"), "{}", r.body);
}

on_both_databases!(credit_measures_refuse_and_repair_lifts);

fn credit_measures_refuse_and_repair_lifts(backend: jicai_tests::Backend) {
    measures_and_repair(backend)
}

fn letters_and_proposals(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let hospital = env.login("hospital2");
    let maker = env.login("supplier12");
    let maker_id = org_id(&maker);

    // Commitment letters: after the grace date, a listing needs one of the template in force.
    // The demo's enterprises signed template 2025-01; the region adopts 2026-01.
    let policy = bureau.ok("/api/v1/credit/schemes")["scheme_2025"].clone();
    let mut params = policy.clone();
    params["commitment"]["grace_date"] = json!("2026-11-01");
    params["commitment"]["template_version"] = json!("2026-01");
    let r = bureau.post(
        "/api/v1/policies/credit",
        &json!({"effective_from": TODAY, "params": params, "note": "承诺书宽限期已过"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let mut bad = params.clone();
    bad["bands"][0]["bands"][0]["grade"] = json!("nonsense");
    let r = bureau.post("/api/v1/policies/credit", &json!({"effective_from": "2027-01-01", "params": bad}));
    assert_eq!((r.status, r.code()), (422, "invalid_policy"), "{}", r.body);

    let bid = maker.ok("/api/v1/winning-bids")["items"][0].clone();
    let generic = bid["product"]["generic_name"].as_str().unwrap();
    let code = format!("XA{}", &"10BAE021A010010299999");
    let r = bureau.post(
        "/api/v1/products",
        &json!([{"code": code, "generic_name": generic, "dosage_form": bid["product"]["dosage_form"], "specification": "原研",
                  "pack_size": bid["product"]["pack_size"], "min_unit": bid["product"]["min_unit"]}]),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let listing = json!({"product_code": code, "enterprise_id": maker_id, "pack_price": "99.00"});
    let r = bureau.post("/api/v1/listed-products", &listing);
    assert_eq!((r.status, r.code()), (422, "commitment_letter_missing"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["template_version"], "2026-01");

    let upload = |content: &[u8], signed_on: &str| {
        maker.post_file(
            &format!(
                "/api/v1/credit/letters?template_version=2026-01&signer={}&signed_on={signed_on}&file_name=letter.pdf",
                urlencode("张三")
            ),
            "application/pdf",
            content,
        )
    };
    let r = upload(b"not a pdf at all", "2026-11-20");
    assert_eq!((r.status, r.code()), (422, "invalid_file"), "{}", r.body);
    let r = upload(b"%PDF-1.4 signed", "2026-12-20");
    assert_eq!((r.status, r.code()), (422, "future_date"), "{}", r.body);
    let pdf = b"%PDF-1.4\n% signed commitment letter\n";
    let r = upload(pdf, "2026-11-20");
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["size"], pdf.len());
    let file = maker.get(&format!("/api/v1/credit/letters/{}/file", id(&r.body)));
    assert_eq!(file.status, 200);
    assert_eq!(env.login("supplier6").get(&format!("/api/v1/credit/letters/{}/file", id(&r.body))).status, 404);
    assert_eq!(
        bureau.ok(&format!("/api/v1/credit/letters?enterprise_id={maker_id}"))["total"],
        2,
        "2025-01 and 2026-01"
    );
    let r = bureau.post("/api/v1/listed-products", &listing);
    assert_eq!(r.status, 201, "with its letter the listing goes through: {}", r.body);

    // The platform proposes a breach case from orders a distributor left unshipped.
    let distributor_id = bid["distributors"][0]["id"].as_str().unwrap().to_string();
    let hb = crate::fixtures::bid(&hospital, generic);
    let placed: Vec<String> =
        (0..3).map(|_| place(&hospital, &distributor_id, &hb, 1)["order_no"].as_str().unwrap().to_string()).collect();
    let out = cli(
        &env.server.database_url,
        Some("2026-12-01T03:00:00+08:00"),
        &["jobs", "run", "credit-proposals", "--as-of", "2026-12-01"],
    );
    assert!(out.contains("proposed"), "{out}");
    let proposed = bureau.ok(&format!("/api/v1/credit/cases?status=proposed&enterprise_id={distributor_id}"));
    assert_eq!(proposed["total"], 1, "{proposed}");
    let case = bureau.ok(&format!("/api/v1/credit/cases/{}", id(&proposed["items"][0])));
    assert_eq!(
        (case["basis"].as_str(), case["conduct"].as_str()),
        (Some("platform_evidence"), Some("breach_of_contract"))
    );
    assert!(case["grade"].is_null() && case["suggested_grade"].is_null(), "the platform never grades: {case}");
    let evidence: Vec<&str> =
        case["evidence"]["orders"].as_array().unwrap().iter().map(|o| o["order_no"].as_str().unwrap()).collect();
    for no in &placed {
        assert!(evidence.contains(&no.as_str()), "{no} in the evidence: {evidence:?}");
    }
    assert_eq!(case["evidence"]["month"], "2026-11");
    // Idempotent: the same month proposes nothing twice.
    cli(
        &env.server.database_url,
        Some("2026-12-01T04:00:00+08:00"),
        &["jobs", "run", "credit-proposals", "--as-of", "2026-12-01"],
    );
    assert_eq!(bureau.ok(&format!("/api/v1/credit/cases?status=proposed&enterprise_id={distributor_id}"))["total"], 1);
    // An officer dismisses it with a reason, or grades it; a hospital never sees a proposal.
    assert_eq!(hospital.get(&format!("/api/v1/credit/cases/{}", id(&case))).status, 404);
    let r = bureau.post(&format!("/api/v1/credit/cases/{}/dismiss", id(&case)), &json!({"reason": ""}));
    assert_eq!((r.status, r.code()), (422, "required"), "{}", r.body);
    let dismissed =
        post_ok(&bureau, &format!("/api/v1/credit/cases/{}/dismiss", id(&case)), json!({"reason": "医院已撤单"}));
    assert_eq!(dismissed["status"], "dismissed");
    let r = bureau
        .post(&format!("/api/v1/credit/cases/{}/decide", id(&case)), &json!({"grade": "dishonest", "reason": "x"}));
    assert_eq!((r.status, r.code()), (409, "wrong_case_status"), "{}", r.body);
}

/// The serious grade cancels the listing of the products involved: new orders of it and a new
/// listing of it are refused; the enterprise's bidding is not suspended.
fn serious_grade(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let bureau = env.login("bureau1");
    let bureau2 = env.login("bureau2");
    let hospital = env.login("hospital3");
    let maker = env.login("supplier4");
    let maker_id = org_id(&maker);
    let the_bid = own_bid(&maker, &hospital);
    let code = the_bid["product"]["code"].as_str().unwrap().to_string();
    let distributor_id = the_bid["distributors"][0]["id"].as_str().unwrap().to_string();
    let rated = rate(&bureau, &bureau2, &case_body(&maker_id, "bribery", "800000.00", &[&code]), "serious");
    assert_eq!(rated["suggested_grade"], "serious");
    let measures: Vec<&str> = rated["measures"].as_array().unwrap().iter().map(|m| m.as_str().unwrap()).collect();
    assert!(
        measures.contains(&"cancel_involved_listing") && !measures.contains(&"suspend_bidding_and_listing"),
        "{measures:?}"
    );
    let flagged = own_bid(&maker, &hospital);
    assert_eq!(flagged["risk_flag"]["grade"], "serious");
    let r = hospital.post("/api/v1/orders", &order_body(&distributor_id, &flagged, 1));
    assert_eq!((r.status, r.code()), (422, "listing_cancelled"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["case_no"], rated["case_no"]);
    let r = bureau.post(
        "/api/v1/listed-products",
        &json!({"product_code": code, "enterprise_id": maker_id, "pack_price": "99.00"}),
    );
    assert_eq!((r.status, r.code()), (422, "listing_cancelled"), "a cancelled product is not listed again: {}", r.body);
    // Bidding is not suspended at this grade: the demo's open tender still takes its bid.
    let tenders = maker.ok("/api/v1/tenders?status=bidding");
    let tender = &tenders["items"][0];
    let r = maker.post(
        &format!("/api/v1/tenders/{}/bids", id(tender)),
        &json!({"generic_id": tender["generics"][0]["id"], "pack_price": "5.50"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
}

on_both_databases!(credit_serious_grade_cancels_the_products_involved);

fn credit_serious_grade_cancels_the_products_involved(backend: jicai_tests::Backend) {
    serious_grade(backend)
}

on_both_databases!(credit_letters_and_proposed_breach_cases);

fn credit_letters_and_proposed_breach_cases(backend: jicai_tests::Backend) {
    letters_and_proposals(backend)
}
