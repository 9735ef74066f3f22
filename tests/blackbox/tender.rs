//! Tendering, black-box: the worked example of domain.md section 8 under all three rule sets,
//! sealed bids that nobody reads before the opening (API, audit log, server log, database), the
//! receipts that prove them afterwards, the region picks (by hand and by default), and results
//! that become a batch the hospitals order from.

use crate::fixtures::*;
use jicai_tests::{cli, on_both_databases, sql, Client, Env, DEMO_PASSWORD};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const T0: &str = "2026-12-01T10:00:00+08:00";
const BEFORE_OPENING: &str = "2026-12-11T09:00:00+08:00";
const AFTER_OPENING: &str = "2026-12-11T10:00:00+08:00";

/// The eight supply regions of the example and their bases (tablets): P1 is the demo's own.
const REGIONS: [(&str, &str, i64); 8] = [
    ("440300", "深圳市", 9_000_000),
    ("440100", "广州市", 7_500_000),
    ("440400", "珠海市", 6_000_000),
    ("440500", "汕头市", 5_200_000),
    ("440600", "佛山市", 4_100_000),
    ("440700", "江门市", 3_300_000),
    ("440800", "湛江市", 2_000_000),
    ("440900", "茂名市", 1_200_000),
];

/// Bidders A–E of the example: demo manufacturers, their spec and price per box.
const BIDDERS: [(&str, &str, i64, &str); 5] = [
    ("supplier3", "10", 28, "4.20"),
    ("supplier4", "20", 14, "5.71"),
    ("supplier5", "10", 7, "2.52"),
    ("supplier6", "5", 28, "8.40"),
    ("supplier7", "10", 14, "9.80"),
];

fn product_code(generic_no: usize, bidder: usize) -> String {
    format!("XC10AAA{:03}A010{:09}", 180 + generic_no, bidder + 1)
}

/// Adds each bidder's product of a generic to the catalogue.
fn add_products(bureau: &Client, generic_no: usize, generic: &str) {
    let items: Vec<Value> = BIDDERS
        .iter()
        .enumerate()
        .map(|(i, (_, mg, units, _))| {
            json!({"code": product_code(generic_no, i), "generic_name": generic, "dosage_form": "片剂",
                   "specification": format!("{mg}mg×{units}片"), "pack_size": units, "min_unit": "片"})
        })
        .collect();
    let r = bureau.post("/api/v1/products", &json!(items));
    assert_eq!(r.status, 201, "products: {}", r.body);
}

fn new_tender(bureau: &Client, doc: &str, generic: &str, cap: &str, rules: &str, codes: &[&str]) -> Value {
    let r = bureau.post(
        "/api/v1/tenders",
        &json!({
            "name": format!("黑盒测试带量采购 {doc}"), "document_no": doc, "category": "drug", "level": "provincial",
            "cycle_start": "2027-01-01", "cycle_end": "2028-12-31",
            "demand_closes_at": "2026-12-05T17:00:00+08:00", "bid_deadline": "2026-12-10T17:00:00+08:00",
            "opening_at": "2026-12-11T09:30:00+08:00",
            "cap_table": cap, "rule_set": rules, "ratio_table": "by_winners", "supply_region_codes": codes,
            "generics": [{"generic_name": generic, "dosage_form": "片剂", "rep_strength": "10", "strength_unit": "mg",
                          "min_unit": "片", "max_price": "1.2000"}]
        }),
    );
    assert_eq!(r.status, 201, "tender: {}", r.body);
    r.body
}

fn step(c: &Client, tender: &Value, path: &str, body: Value) -> Value {
    let r = c.post(&format!("/api/v1/tenders/{}/{path}", id(tender)), &body);
    assert!(r.status == 200 || r.status == 201, "{path}: {} {}", r.status, r.body);
    r.body
}

fn generic_id(tender: &Value) -> String {
    tender["generics"][0]["id"].as_str().unwrap().to_string()
}

/// Every bidder qualifies and bids; returns each bidder's receipt.
fn bid_all(env: &Env, tender: &Value, generic_no: usize, prices: &[&str]) -> Vec<Value> {
    let g = generic_id(tender);
    BIDDERS
        .iter()
        .zip(prices)
        .enumerate()
        .map(|(i, ((user, mg, _, _), price))| {
            let s = env.login(user);
            step(
                &s,
                tender,
                "qualifications",
                json!({"generic_id": g, "product_code": product_code(generic_no, i), "strength": mg}),
            );
            step(&s, tender, "bids", json!({"generic_id": g, "pack_price": price}))
        })
        .collect()
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

fn results(c: &Client, tender: &Value) -> Value {
    c.ok(&format!("/api/v1/tenders/{}/results", id(tender)))[0].clone()
}

fn bid_of<'a>(result: &'a Value, enterprise: &str) -> &'a Value {
    result["bids"].as_array().unwrap().iter().find(|b| b["enterprise_id"] == enterprise).unwrap()
}

/// Creates the seven other regions, each with a hospital and its buyer (demo password).
fn other_regions(env: &Env) -> Vec<String> {
    let admin = env.login("admin");
    let mut users = vec!["hospital1".to_string()];
    for (i, (code, name, _)) in REGIONS.iter().enumerate().skip(1) {
        let r = admin.post("/api/v1/regions", &json!({"code": code, "province_code": "440000", "name": name}));
        assert_eq!(r.status, 201, "region: {}", r.body);
        let org = admin.post(
            "/api/v1/organizations",
            &json!({"kind": "hospital", "name": format!("{name}人民医院"), "region_code": code, "hospital_level": 3}),
        );
        assert_eq!(org.status, 201, "hospital: {}", org.body);
        let username = format!("tenderhosp{i}");
        let u = admin.post(
            "/api/v1/users",
            &json!({"username": username, "display_name": format!("{name}人民医院 药剂科"), "password": DEMO_PASSWORD,
                    "role": "hospital_buyer", "org_id": id(&org.body)}),
        );
        assert_eq!(u.status, 201, "user: {}", u.body);
        users.push(username);
    }
    users
}

on_both_databases!(worked_example_end_to_end);

fn worked_example_end_to_end(backend: jicai_tests::Backend) {
    worked_example(backend)
}

fn worked_example(backend: jicai_tests::Backend) {
    let Some(mut env) = Env::demo(backend, Some(T0)) else { return };
    let db = env.server.database_url.clone();
    let hospital_users = other_regions(&env);
    let bureau = env.login("bureau1");
    let codes: Vec<&str> = REGIONS.iter().map(|r| r.0).collect();
    add_products(&bureau, 1, "黑盒替格他汀片");
    add_products(&bureau, 2, "黑盒十批他汀片");
    add_products(&bureau, 3, "黑盒锚点他汀片");
    let ninth = new_tender(&bureau, "TEST-9", "黑盒替格他汀片", "batch9", "1.8x_0.10_50pct", &codes);
    let tenth = new_tender(&bureau, "TEST-10", "黑盒十批他汀片", "batch10", "batch10_accept_highest", &["440300"]);
    let anchor = new_tender(&bureau, "TEST-11", "黑盒锚点他汀片", "batch9", "anchor_price", &["440300"]);
    assert_eq!(ninth["status"], "draft");
    assert_eq!(ninth["rules"]["rule_set"]["multiple"], "1.8");

    // Drafts are the bureau's alone; demand opens; each region's hospital reports its base.
    assert_eq!(env.login("hospital1").get(&format!("/api/v1/tenders/{}", id(&ninth))).status, 404);
    for t in [&ninth, &tenth, &anchor] {
        step(&bureau, t, "move", json!({"move": "open_demand"}));
    }
    for (user, (_, _, base)) in hospital_users.iter().zip(REGIONS) {
        let h = env.login(user);
        let lines = json!({"lines": [{"generic_id": generic_id(&ninth), "quantity": base}]});
        step(&h, &ninth, "demands", lines);
    }
    let h1 = env.login("hospital1");
    for t in [&tenth, &anchor] {
        step(&h1, t, "demands", json!({"lines": [{"generic_id": generic_id(t), "quantity": 100_000}]}));
    }
    let totals = bureau.ok(&format!("/api/v1/tenders/{}/demand-totals", id(&ninth)));
    assert_eq!(totals.as_array().unwrap().len(), 8);
    assert_eq!(totals.as_array().unwrap().iter().map(|t| t["quantity"].as_i64().unwrap()).sum::<i64>(), 38_300_000);
    // A bad line is refused with its field, and nothing of the report is written.
    let bad = h1.post(&format!("/api/v1/tenders/{}/demands", id(&ninth)), &json!({"lines": [
        {"generic_id": generic_id(&ninth), "quantity": 8_000_000}, {"generic_id": generic_id(&ninth), "quantity": -1}]}));
    assert_eq!(
        (bad.status, bad.code(), bad.body["error"]["field"].as_str()),
        (422, "invalid_quantity", Some("[1].quantity"))
    );
    assert_eq!(
        bureau.ok(&format!("/api/v1/tenders/{}/demand-totals", id(&ninth)))[0]["quantity"],
        totals[0]["quantity"]
    );

    for t in [&ninth, &tenth, &anchor] {
        step(&bureau, t, "move", json!({"move": "publish"}));
        step(&bureau, t, "move", json!({"move": "open_bidding"}));
    }

    // Sealed bids: E bids high, then replaces its bid before the deadline.
    let e = env.login("supplier7");
    let g9 = generic_id(&ninth);
    step(&e, &ninth, "qualifications", json!({"generic_id": g9, "product_code": product_code(1, 4), "strength": "10"}));
    let first = step(&e, &ninth, "bids", json!({"generic_id": g9, "pack_price": "11.20"}));
    assert_eq!(first["version"], 1);
    let mut receipts: Vec<Value> = BIDDERS
        .iter()
        .enumerate()
        .take(4)
        .map(|(i, (user, mg, _, price))| {
            let s = env.login(user);
            step(
                &s,
                &ninth,
                "qualifications",
                json!({"generic_id": g9, "product_code": product_code(1, i), "strength": mg}),
            );
            step(&s, &ninth, "bids", json!({"generic_id": g9, "pack_price": price}))
        })
        .collect();
    let replaced = step(&e, &ninth, "bids", json!({"generic_id": g9, "pack_price": "9.80"}));
    assert_eq!(replaced["version"], 2);
    assert_ne!(replaced["receipt"], first["receipt"]);
    receipts.push(replaced);
    for r in &receipts {
        assert_eq!(sha256_hex(r["canonical"].as_str().unwrap()), r["receipt"], "a receipt is the SHA-256 of its bid");
    }
    bid_all(&env, &tenth, 2, &["4.20", "5.71", "2.52", "8.40", "9.80"]);
    // The anchor case: A 0.06, C 0.18 and E 0.36 a tablet are shortlisted; D's 0.5003 is the
    // fourth bid that makes the 9th table keep three.
    let anchor_bids: Vec<(usize, &str)> = vec![(0, "1.68"), (2, "1.26"), (4, "5.04"), (3, "8.24")];
    let ga = generic_id(&anchor);
    for (i, price) in &anchor_bids {
        let (user, mg, _, _) = BIDDERS[*i];
        let s = env.login(user);
        step(
            &s,
            &anchor,
            "qualifications",
            json!({"generic_id": ga, "product_code": product_code(3, *i), "strength": mg}),
        );
        step(&s, &anchor, "bids", json!({"generic_id": ga, "pack_price": price}));
    }

    // Nobody reads a price before the opening: not the bureau, the admin or a bidder.
    for user in ["bureau1", "admin", "supplier3", "supplier4"] {
        let r = env.login(user).get(&format!("/api/v1/tenders/{}/results", id(&ninth)));
        assert_eq!((r.status, r.code()), (409, "bids_sealed"), "{user} read results before the opening");
    }
    let mine = env.login("supplier4").ok(&format!("/api/v1/tenders/{}/my-bids", id(&ninth)));
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(!mine.to_string().contains("5.71"), "own bids list shows a price: {mine}");
    let seen_by_bureau = bureau.ok(&format!("/api/v1/tenders/{}", id(&ninth)));
    assert_eq!(seen_by_bureau["generics"][0]["bids"], 5);
    let audit = env.login("admin").ok("/api/v1/audit-events?entity_type=tender_bid&per_page=200");
    assert!(audit["total"].as_i64().unwrap() >= 6, "bids are audited: {audit}");
    let early = bureau.post(&format!("/api/v1/tenders/{}/open", id(&ninth)), &json!({}));
    assert_eq!((early.status, early.code()), (409, "before_opening_time"));
    // The job, as of the opening day but before its hour, opens nothing.
    cli(&db, Some(BEFORE_OPENING), &["jobs", "run", "tenders", "--as-of", "2026-12-11"]);
    assert_eq!(bureau.ok(&format!("/api/v1/tenders/{}", id(&ninth)))["status"], "bidding");
    // The database alone holds no price: no opened figure, no price in any sealed value, the
    // audit trail, the idempotency store or the outbox; nor does the server log.
    let prices = ["4.20", "5.71", "2.52", "8.40", "9.80", "11.20", "1.68", "1.26", "5.04", "8.24"];
    let ours = format!("'{}', '{}', '{}'", id(&ninth), id(&tenth), id(&anchor));
    let (ok, opened) = sql(&db, &format!("SELECT count(*) FROM tender_bids WHERE tender_id IN ({ours}) AND (pack_price IS NOT NULL OR comparable IS NOT NULL OR unit_price IS NOT NULL)"));
    assert!(ok && opened.trim() == "0", "opened figures before the opening: {opened}");
    for table in ["tender_bids", "audit_events", "idempotency_keys", "outbox", "tenders"] {
        let (ok, dump) = sql(&db, &format!("SELECT * FROM {table}"));
        assert!(ok, "{dump}");
        for p in prices {
            assert!(
                !dump.contains(&format!("\"{p}\"")) && !dump.contains(&format!("\"pack_price\":{p}")),
                "{table} shows {p}"
            );
        }
    }
    let log = std::fs::read_to_string(&env.server.log).unwrap_or_default();
    for p in prices {
        assert!(!log.contains(p), "the server log shows {p}");
    }

    // The opening: the job at the opening time opens all three tenders.
    env.restart_at(AFTER_OPENING);
    let out = cli(&db, Some(AFTER_OPENING), &["jobs", "run", "tenders", "--as-of", "2026-12-11"]);
    assert!(out.contains("\"tenders\":3"), "{out}");
    let bureau = env.login("bureau1");
    let opened = bureau.ok(&format!("/api/v1/tenders/{}", id(&ninth)));
    assert_eq!(opened["status"], "opened");
    assert!(opened["opened_key"].as_str().is_some_and(|k| k.len() == 64), "the opening releases the bid key");

    // 9th-batch cap and the 1.8× / 0.10 / 50% rules: winners A, B, C, D.
    let r9 = results(&bureau, &ninth);
    assert_eq!(r9["generic"]["shortlist_cap"], 4);
    assert_eq!(r9["generic"]["threshold"], "0.2700");
    assert_eq!(r9["generic"]["discount_line"], "0.6000");
    let ent: Vec<String> = BIDDERS.iter().map(|(u, ..)| org_id(&env.login(u))).collect();
    let expect = [
        ("0.1500", 1, "within_multiple", true),
        ("0.2399", 2, "within_multiple", true),
        ("0.3600", 3, "discount_from_max", true),
        ("0.5100", 4, "discount_from_max", true),
        ("0.7000", 5, "not_shortlisted", false),
    ];
    for (i, (cmp, rank, decision, wins)) in expect.iter().enumerate() {
        let b = bid_of(&r9, &ent[i]);
        assert_eq!(
            (
                b["comparable"].as_str().unwrap(),
                b["rank"].as_i64().unwrap(),
                b["decision"].as_str().unwrap(),
                b["wins"].as_bool().unwrap()
            ),
            (*cmp, *rank as i64, *decision, *wins),
            "bidder {i}: {b}"
        );
        // Every opened price is the one the bidder's receipt holds.
        let canonical: Value = serde_json::from_str(receipts[i]["canonical"].as_str().unwrap()).unwrap();
        assert_eq!(b["pack_price"], canonical["pack_price"]);
        assert_eq!(b["receipt"], receipts[i]["receipt"]);
    }
    assert_eq!(bid_of(&r9, &ent[1])["coefficient"], "1.7");

    // 10th batch: A and B win; C is offered 0.2399 a tablet, ¥1.68 a box of 7, and accepts.
    let r10 = results(&bureau, &tenth);
    assert_eq!(r10["generic"]["shortlist_cap"], 3);
    let c10 = bid_of(&r10, &ent[2]);
    assert_eq!(
        (c10["decision"].as_str(), c10["offer_price"].as_str(), c10["offer_pack_price"].as_str()),
        (Some("offered"), Some("0.2399"), Some("1.68"))
    );
    let winners10: Vec<bool> = (0..5).map(|i| bid_of(&r10, &ent[i])["wins"].as_bool().unwrap()).collect();
    assert_eq!(winners10, [true, true, false, false, false]);
    let c = env.login("supplier5");
    let accepted =
        step(&c, &tenth, &format!("bids/{}/offer", c10["bid_id"].as_str().unwrap()), json!({"accept": true}));
    assert_eq!(bid_of(&accepted[0], &ent[2])["final_pack_price"], "1.68");
    let again = c.post(
        &format!("/api/v1/tenders/{}/bids/{}/offer", id(&tenth), c10["bid_id"].as_str().unwrap()),
        &json!({"accept": false}),
    );
    assert_eq!((again.status, again.code()), (409, "offer_answered"));

    // Anchor price: shortlisted 0.0600 / 0.1800 / 0.3600 → anchor 0.1000, line 0.1800; 0.1800 wins.
    let ra = results(&bureau, &anchor);
    assert_eq!(
        (ra["generic"]["anchor"].as_str(), ra["generic"]["threshold"].as_str()),
        (Some("0.1000"), Some("0.1800"))
    );
    let decisions: Vec<(String, bool, bool)> = [0, 2, 4]
        .iter()
        .map(|&i| {
            let b = bid_of(&ra, &ent[i]);
            (
                b["comparable"].as_str().unwrap().to_string(),
                b["wins"].as_bool().unwrap(),
                b["cost_statement_required"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(decisions[0], ("0.0600".into(), true, true), "below the anchor: a cost statement");
    assert_eq!(decisions[1], ("0.1800".into(), true, false), "on the line wins");
    assert_eq!(decisions[2], ("0.3600".into(), false, false));

    // Proposed results, an objection answered, then final results after the window.
    step(&bureau, &ninth, "propose", json!({}));
    let objection = step(&env.login("supplier7"), &ninth, "objections", json!({"body": "请复核我司代表品差比价计算"}));
    let early = bureau.post(&format!("/api/v1/tenders/{}/finalize", id(&ninth)), &json!({}));
    assert_eq!((early.status, early.code()), (409, "objection_window_open"));
    step(
        &bureau,
        &ninth,
        &format!("objections/{}/answer", id(&objection)),
        json!({"answer": "经复核，差比价按1.7计算无误。"}),
    );
    env.restart_at("2026-12-15T10:00:00+08:00");
    let bureau = env.login("bureau1");
    let fin = step(&bureau, &ninth, "finalize", json!({}));
    assert_eq!(fin["status"], "final");

    // Region picks: A takes the largest first, then rounds; the winners pick by hand until D's
    // turn in round 1 lapses, when the job picks for it and everyone after, by default.
    let names: Vec<String> = REGIONS.iter().map(|r| r.0.to_string()).collect();
    let board_of = |c: &Client| c.ok(&format!("/api/v1/tenders/{}/board", id(&ninth)))[0].clone();
    for _ in 0..4 {
        let b = board_of(&bureau);
        let next = &b["next"];
        let turn = ent.iter().position(|e| *e == next["enterprise_id"]).unwrap();
        let largest = b["regions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| next["choices"].as_array().unwrap().contains(&r["region"]["id"]))
            .max_by_key(|r| r["base"].as_i64().unwrap())
            .unwrap()["region"]["id"]
            .clone();
        if turn != 0 {
            let wrong = env.login(BIDDERS[0].0).post(
                &format!("/api/v1/tenders/{}/picks", id(&ninth)),
                &json!({"generic_id": g9, "region_id": largest}),
            );
            assert_eq!((wrong.status, wrong.code()), (409, "not_your_turn"));
        }
        step(&env.login(BIDDERS[turn].0), &ninth, "picks", json!({"generic_id": g9, "region_id": largest}));
    }
    assert_eq!(board_of(&bureau)["next"]["enterprise_id"], ent[3].as_str());
    // Each lapsed turn starts the next one's 24 hours: twelve turns are left.
    cli(&db, Some("2027-01-05T10:00:00+08:00"), &["jobs", "run", "tenders", "--as-of", "2027-01-05"]);
    env.restart_at("2027-01-05T10:00:00+08:00");
    let bureau = env.login("bureau1");
    let b = board_of(&bureau);
    assert!(b["next"].is_null(), "the job picked every lapsed turn: {}", b["next"]);
    let primaries: Vec<(usize, String, String, bool)> = b["picks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["kind"] != "backup")
        .map(|p| {
            let region = b["regions"].as_array().unwrap().iter().find(|r| r["region"]["id"] == p["region_id"]).unwrap();
            (
                ent.iter().position(|e| *e == p["enterprise_id"]).unwrap(),
                region["region"]["code"].as_str().unwrap().to_string(),
                p["kind"].as_str().unwrap().to_string(),
                p["by_default"].as_bool().unwrap(),
            )
        })
        .collect();
    let want = [
        (0, 0, "priority", false),
        (0, 1, "round", false),
        (1, 2, "round", false),
        (2, 3, "round", false),
        (3, 4, "round", true),
        (0, 5, "round", true),
        (1, 6, "round", true),
        (2, 7, "round", true),
    ];
    for (got, (w, r, kind, by_default)) in primaries.iter().zip(want) {
        assert_eq!(got, &(w, names[r].clone(), kind.to_string(), by_default));
    }
    assert_eq!(primaries.len(), 8);
    for p in b["picks"].as_array().unwrap().iter().filter(|p| p["kind"] == "backup") {
        let own = b["regions"].as_array().unwrap().iter().find(|r| r["region"]["id"] == p["region_id"]).unwrap();
        assert_ne!(own["primary"], p["enterprise_id"], "a backup is never the winner's own region");
    }
    let shares: Vec<i64> = (0..4)
        .map(|i| {
            b["winners"].as_array().unwrap().iter().find(|w| w["enterprise_id"] == ent[i].as_str()).unwrap()
                ["agreed_qty"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(shares, [15_840_000, 6_400_000, 5_120_000, 3_280_000]);
    assert_eq!(b["ratio"], "0.8");

    // In force: each region's batch, bids and agreed volumes; hospital1 orders at A's price.
    let enacted = step(&bureau, &ninth, "enact", json!({}));
    assert_eq!(enacted["batches"].as_array().unwrap().len(), 8);
    assert_eq!(enacted["agreed_volumes"], 8);
    let (ok, sums) = sql(
        &db,
        "SELECT w.enterprise_id, SUM(a.agreed_qty) FROM agreed_volumes a JOIN winning_bids w ON w.id = a.bid_id \
         JOIN batches b ON b.id = w.batch_id WHERE b.document_no = 'TEST-9' GROUP BY w.enterprise_id ORDER BY 2 DESC",
    );
    assert!(ok, "{sums}");
    let got: Vec<String> = sums.lines().map(|l| l.replace('|', " ")).collect();
    let want: Vec<String> = [(0, 15_840_000), (1, 6_400_000), (2, 5_120_000), (3, 3_280_000)]
        .iter()
        .map(|(i, q)| format!("{} {q}", ent[*i]))
        .collect();
    assert_eq!(got, want);
    let h1 = env.login("hospital1");
    let page = h1.ok(&format!("/api/v1/winning-bids?q={}", urlencode("黑盒替格他汀片")));
    let won = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["enterprise_id"] == ent[0].as_str())
        .expect("A supplies P1");
    assert_eq!((won["pack_price"].as_str(), won["unit_price"].as_str()), (Some("4.20"), Some("0.1500")));
    let order = place(&h1, &ent[0], won, 10);
    assert_eq!(order["total_amount"], "42.00");
    assert_eq!(order["lines"][0]["in_volume_qty"], 280);
}

on_both_databases!(tender_refusals_are_clear);

fn tender_refusals_are_clear(backend: jicai_tests::Backend) {
    refusals(backend)
}

fn refusals(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(T0)) else { return };
    let bureau = env.login("bureau1");
    add_products(&bureau, 4, "黑盒拒绝他汀片");
    // A bad timetable and an unknown rule set are refused with their field.
    let mut body = json!({
        "name": "拒绝", "document_no": "TEST-R", "category": "drug", "level": "provincial",
        "cycle_start": "2027-01-01", "cycle_end": "2028-12-31",
        "demand_closes_at": "2026-12-05T17:00:00+08:00", "bid_deadline": "2026-12-04T17:00:00+08:00",
        "opening_at": "2026-12-11T09:30:00+08:00",
        "generics": [{"generic_name": "黑盒拒绝他汀片", "dosage_form": "片剂", "rep_strength": "10", "strength_unit": "mg", "min_unit": "片", "max_price": "1.2000"}]
    });
    let r = bureau.post("/api/v1/tenders", &body);
    assert_eq!((r.status, r.code(), r.body["error"]["field"].as_str()), (422, "invalid_timetable", Some("opening_at")));
    body["bid_deadline"] = json!("2026-12-10T17:00:00+08:00");
    body["rule_set"] = json!("batch12");
    let r = bureau.post("/api/v1/tenders", &body);
    assert_eq!((r.status, r.code(), r.body["error"]["field"].as_str()), (422, "unknown_tender_rule", Some("rule_set")));
    body["rule_set"] = json!(null);
    let t = bureau.post("/api/v1/tenders", &body);
    assert_eq!(t.status, 201, "{}", t.body);
    let t = t.body;
    assert_eq!(t["rules"]["cap_table"]["name"], "batch10", "the policy's first table is the default");
    // Roles: a hospital may not draft; a supplier may not bid before bidding opens; a
    // distributor may not qualify at all.
    assert_eq!(env.login("hospital1").post("/api/v1/tenders", &body).status, 403);
    step(&bureau, &t, "move", json!({"move": "open_demand"}));
    demand_from_a_sheet(&env, &t);
    let s = env.login("supplier3");
    let early = s.post(
        &format!("/api/v1/tenders/{}/bids", id(&t)),
        &json!({"generic_id": generic_id(&t), "pack_price": "4.20"}),
    );
    assert_eq!(early.status, 404, "a tender in demand reporting is not yet the enterprises' to see");
    step(&bureau, &t, "move", json!({"move": "publish"}));
    let r = s.post(
        &format!("/api/v1/tenders/{}/bids", id(&t)),
        &json!({"generic_id": generic_id(&t), "pack_price": "4.20"}),
    );
    assert_eq!((r.status, r.code()), (409, "wrong_tender_stage"));
    let distributor = env.login("supplier1");
    let r = distributor.post(
        &format!("/api/v1/tenders/{}/qualifications", id(&t)),
        &json!({"generic_id": generic_id(&t), "product_code": product_code(4, 0), "strength": "10"}),
    );
    assert_eq!((r.status, r.code()), (403, "bidding_refused"));
    step(&bureau, &t, "move", json!({"move": "open_bidding"}));
    let r = s.post(
        &format!("/api/v1/tenders/{}/bids", id(&t)),
        &json!({"generic_id": generic_id(&t), "pack_price": "4.20"}),
    );
    assert_eq!((r.status, r.code()), (409, "not_qualified"));
    let r = s.post(
        &format!("/api/v1/tenders/{}/qualifications", id(&t)),
        &json!({"generic_id": generic_id(&t), "product_code": product_code(4, 0), "strength": "10"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r =
        s.post(&format!("/api/v1/tenders/{}/bids", id(&t)), &json!({"generic_id": generic_id(&t), "pack_price": "0"}));
    assert_eq!((r.status, r.body["error"]["field"].as_str()), (422, Some("pack_price")));
    let bids =
        sql(&env.server.database_url, &format!("SELECT count(*) FROM tender_bids WHERE tender_id = '{}'", id(&t)));
    assert_eq!(bids.1.trim(), "0", "a refused bid writes nothing");
    // The bureau's demand overview is the bureau's.
    let other = env.login("hospital2").get(&format!("/api/v1/tenders/{}/demand-totals", id(&t)));
    assert_eq!(other.status, 403);
}

/// A hospital's demand as a spreadsheet: every bad row listed and nothing written, then the
/// corrected sheet taken; a CSV with a byte-order mark too; another format refused.
fn demand_from_a_sheet(env: &Env, t: &Value) {
    let h = env.login("hospital1");
    let path = format!("/api/v1/tenders/{}/demands/import", id(t));
    let bad = xlsx(&[
        &["通用名", "年需求量", "原因"],
        &["黑盒拒绝他汀片", "abc", ""],
        &["不存在的药", "100", ""],
        &["", "", ""],
    ]);
    let r = h.post_file(&path, XLSX, &bad);
    assert_eq!((r.status, r.code()), (422, "sheet_rows_invalid"), "{}", r.body);
    let rows: Vec<(u64, &str)> = r.body["error"]["details"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_u64().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(rows, [(2, "invalid_quantity"), (3, "unknown_generic")]);
    assert_eq!(h.ok(&format!("/api/v1/tenders/{}/demands", id(t)))["total"], 0, "a refused sheet writes nothing");
    let good = xlsx(&[&["通用名", "年需求量", "原因"], &["黑盒拒绝他汀片", "120000", ""]]);
    let r = h.post_file(&path, XLSX, &good);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body[0]["quantity"], 120_000);
    let csv = "\u{feff}generic_name,quantity\n黑盒拒绝他汀片,90000\n";
    let r = h.post_file(&path, "text/csv", csv.as_bytes());
    assert_eq!((r.status, &r.body[0]["quantity"]), (200, &json!(90_000)), "{}", r.body);
    let r = h.post_file(&path, "application/pdf", b"%PDF");
    assert_eq!((r.status, r.code()), (415, "unsupported_media_type"));
    assert_eq!(h.ok(&format!("/api/v1/tenders/{}/demands", id(t)))["items"][0]["quantity"], 90_000);
}
