//! Direct settlement end to end, driven through the API and time travel (`JICAI_FAKE_NOW`,
//! jobs run `--as-of`): invoice, confirmation window, batch, maker-checker, payment, ledger.

use crate::fixtures::*;
use jicai_tests::{cli, on_both_databases, sql, Client, Env};
use serde_json::{json, Value};

fn at(day: &str) -> String {
    format!("{day}T10:00:00+08:00")
}

/// Runs a job for a business date the way an operator replays time: `jicai jobs run` with the
/// clock at 10:00 that day. Returns its counts.
fn run_job(env: &Env, job: &str, as_of: &str) -> Value {
    let out = cli(&env.server.database_url, Some(&at(as_of)), &["jobs", "run", job, "--as-of", as_of]);
    let json =
        out.split(": ").nth(1).and_then(|rest| rest.split(" (run").next()).unwrap_or_else(|| panic!("counts in {out}"));
    serde_json::from_str(json).unwrap_or_else(|_| panic!("counts in {out}"))
}

fn payable(c: &Client, id: &str) -> Value {
    c.ok(&format!("/api/v1/payables/{id}"))
}

fn prepayment_balance(fund: &Client, hospital_id: &str) -> i64 {
    let b = fund.ok("/api/v1/ledger/balances");
    b["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["account"] == "hospital_prepayment" && a["party_id"] == hospital_id)
        .map(|a| (a["balance"].as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64)
        .unwrap_or(0)
}

fn fen(v: &Value) -> i64 {
    (v.as_str().unwrap().parse::<f64>().unwrap() * 100.0).round() as i64
}

fn outbox_kinds(bureau: &Client) -> Vec<String> {
    bureau.ok("/api/v1/outbox").as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap().to_string()).collect()
}

on_both_databases!(paid_within_thirty_days);

fn paid_within_thirty_days(backend: jicai_tests::Backend) {
    // Day 0: Monday 28 December 2026.
    let Some(mut env) = Env::demo(backend, Some(&at("2026-12-28"))) else { return };
    let bureau = env.login("bureau1");
    // The bureau's calendar: New Year's Day (Friday 1 January 2027) is a holiday.
    let r = bureau.put("/api/v1/calendar", &json!([{"day": "2027-01-01", "is_working": false, "name": "元旦"}]));
    assert_eq!(r.status, 200, "{}", r.body);
    let fund1 = env.login("fund1");
    run_job(&env, "prepayment", "2026-12-28");
    let hospital = env.login("hospital1");
    let hospital_id = org_id(&hospital);
    let prepaid_before = prepayment_balance(&fund1, &hospital_id);
    assert!(prepaid_before > 100_000, "hospital1 was prepaid: {prepaid_before}");

    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 10);
    let accepted = accept(&hospital, &s.delivery, 300, 0, None);
    let id = accepted["acceptance"]["payable_id"].as_str().unwrap().to_string();
    let p = payable(&supplier, &id);
    assert_eq!((p["acceptance_date"].as_str(), p["due_date"].as_str()), (Some("2026-12-28"), Some("2027-01-27")));
    assert_eq!(p["status"], "awaiting_invoice");
    assert_eq!(p["amount"], "388.89");

    // Day 2: the supplier invoices. A total that differs is refused with the difference.
    env.restart_at(&at("2026-12-30"));
    let supplier = env.login("supplier1");
    let path = format!("/api/v1/payables/{id}/invoices");
    let r = supplier.post(&path, &json!({"invoices": [{"invoice_no": "44031234", "invoice_date": "2026-12-30", "amount": "388.90", "tax_amount": "44.74"}]}));
    assert_eq!((r.status, r.code()), (422, "invoice_amount_mismatch"), "{}", r.body);
    assert_eq!(r.body["error"]["details"]["difference"], "0.01");
    let r = supplier.post(
        &path,
        &json!({"invoices": [
        {"invoice_no": "44031234", "invoice_date": "2026-12-30", "amount": "300.00", "tax_amount": "34.51"},
        {"invoice_no": "44031235", "invoice_date": "2026-12-30", "amount": "88.89", "tax_amount": "10.23"}]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["status"], "awaiting_hospital_confirmation");
    let invoices = env.login("hospital1").ok(&path);
    let shown: Vec<(&str, &str)> = invoices
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["invoice_no"].as_str().unwrap(), i["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(shown, [("44031234", "300.00"), ("44031235", "88.89")]);
    // Five working days: Thu 31, (Fri 1 January is a holiday), Mon 4, Tue 5, Wed 6, Thu 7.
    assert_eq!(r.body["confirm_deadline"], "2027-01-07");
    assert_eq!(supplier.ok(&path).as_array().unwrap().len(), 2);
    let r = supplier.post(&path, &json!({"invoices": [{"invoice_no": "44031236", "invoice_date": "2026-12-30", "amount": "388.89", "tax_amount": "44.74"}]}));
    assert_eq!((r.status, r.code()), (409, "payable_stage"), "{}", r.body);

    // The hospital stays silent. On 7 January the window is still open…
    let fund1 = env.login("fund1");
    run_job(&env, "settlement-sweep", "2027-01-07");
    assert_eq!(payable(&fund1, &id)["stage"], "awaiting_hospital_confirmation");
    // …the next day silence counts as confirmation, even before the sweep records it.
    env.restart_at(&at("2027-01-08"));
    let r = env
        .login("hospital1")
        .post(&format!("/api/v1/payables/{id}/dispute"), &json!({"amount": "10.00", "reason": "迟到的异议"}));
    assert_eq!((r.status, r.code()), (409, "confirmation_window_closed"), "{}", r.body);
    // An officer cannot run a job for a future date through the API (an operator replays
    // dates with `jicai jobs run`).
    let r = env.login("fund1").post("/api/v1/job-runs", &json!({"job": "settlement-sweep", "as_of": "2027-01-09"}));
    assert_eq!((r.status, r.code()), (422, "future_as_of"), "{}", r.body);
    let r = env.login("fund1").post("/api/v1/job-runs", &json!({"job": "retention"}));
    assert_eq!((r.status, r.code()), (403, "forbidden"), "retention is the bureau's");
    let r = env.login("fund1").post("/api/v1/job-runs", &json!({"job": "settlement-sweep", "as_of": "2027-01-08"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let supplier = env.login("supplier1");
    let p = payable(&supplier, &id);
    assert_eq!(p["confirmation"], "deemed");
    assert_eq!(p["confirmed_on"], "2027-01-07");
    assert_eq!(p["status"], "in_batch");
    // The lists agree: it is listed as in a batch, not as confirmed, by status and by stage.
    let listed = |filter: &str| {
        supplier.ok(&format!("/api/v1/payables?{filter}&per_page=100"))["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["id"] == id.as_str())
    };
    assert!(listed("status=in_batch") && listed("stage=in_batch"));
    assert!(!listed("status=confirmed") && !listed("stage=confirmed"));
    // The batch is stored as a batch, not a stage; a database written before migration
    // 000015 (which stored the stage `in_batch`) is brought to that by the migration.
    let db = env.server.database_url.clone();
    let stored = |db: &str| sql(db, &format!("SELECT stage FROM payables WHERE id = '{id}'")).1.trim().to_string();
    assert_eq!(stored(&db), "confirmed");
    for old in [
        "UPDATE payables SET stage = 'in_batch' WHERE batch_id IS NOT NULL AND stage IN ('confirmed', 'disputed')",
        "DELETE FROM __diesel_schema_migrations WHERE version = '20261205000015'",
    ] {
        let (ok, out) = sql(&db, old);
        assert!(ok, "{old}: {out}");
    }
    assert_eq!(stored(&db), "in_batch");
    cli(&db, None, &["migrate"]);
    assert_eq!(stored(&db), "confirmed");
    assert_eq!(payable(&supplier, &id)["stage"], "in_batch");
    assert!(listed("status=in_batch") && !listed("status=confirmed"));
    // Running the sweep again for the same day changes nothing.
    let fund1 = env.login("fund1");
    let again = run_job(&env, "settlement-sweep", "2027-01-08");
    assert_eq!((again["auto_confirmed"].as_i64(), again["batches_proposed"].as_i64()), (Some(0), Some(0)));
    assert_eq!(payable(&fund1, &id)["batch_id"], p["batch_id"]);

    // fund1 prepares the proposed batch; fund1 cannot approve it; fund2 does.
    let batch_id = p["batch_id"].as_str().unwrap().to_string();
    let batch = fund1.ok(&format!("/api/v1/payment-batches/{batch_id}"));
    assert_eq!(batch["status"], "proposed");
    assert!(batch["items"].as_array().unwrap().iter().any(|i| i["payable_id"] == id.as_str()));
    let r = fund1.post(&format!("/api/v1/payment-batches/{batch_id}/prepare"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = fund1.post(&format!("/api/v1/payment-batches/{batch_id}/approve"), &json!({}));
    assert_eq!((r.status, r.code()), (403, "maker_checker"), "{}", r.body);
    let r = fund1.get(&format!("/api/v1/payment-batches/{batch_id}/bank-file"));
    assert_eq!((r.status, r.code()), (409, "batch_status"), "no bank file before approval");
    let fund2 = env.login("fund2");
    let r = fund2.post(&format!("/api/v1/payment-batches/{batch_id}/approve"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "approved");
    // The batch names its maker and checker, and each item its supplier and hospital.
    assert!(r.body["prepared_by_name"].as_str().unwrap().ends_with("(fund1)"), "{}", r.body);
    assert!(r.body["approved_by_name"].as_str().unwrap().ends_with("(fund2)"), "{}", r.body);
    let item = r.body["items"].as_array().unwrap().iter().find(|i| i["payable_id"] == id.as_str()).unwrap();
    assert_eq!(item["supplier_name"], "国药控股深圳有限公司");
    // The region's batches are listed a page at a time, newest first.
    let listed = fund2.ok("/api/v1/payment-batches?status=approved&per_page=1");
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert!(listed["total"].as_i64().unwrap() >= 1);
    assert!(listed["items"][0]["status"] == "approved");
    let file = fund2
        .request("GET", &format!("/api/v1/payment-batches/{batch_id}/bank-file"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert!(
        file.starts_with("batch_no,payable_no,payable_id,payee,bank_name,bank_account,amount_cny,due_date"),
        "{file}"
    );
    let row = file.lines().find(|l| l.contains(&id)).expect("the payable is in the bank file");
    assert!(row.contains("国药控股深圳有限公司") && row.contains(",388.89,2027-01-27"), "{row}");
    assert_eq!(payable(&supplier, &id)["status"], "approved");

    // Day 15: the bank executed it; the reference is recorded.
    env.restart_at(&at("2027-01-12"));
    let fund1 = env.login("fund1");
    let supplier_id = org_id(&env.login("supplier1"));
    let pay = json!({"payable_id": id, "amount": "388.89", "payee_id": supplier_id});
    // A payment cannot be dated before its batch was approved (nor in the future).
    let mut backdated = pay.clone();
    backdated["paid_on"] = json!("2027-01-07");
    let r = fund1.put("/api/v1/payments/ICBC20270112000123", &backdated);
    assert_eq!((r.status, r.code()), (422, "invalid_paid_on"), "{}", r.body);
    let r = fund1.put("/api/v1/payments/ICBC20270112000123", &pay);
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["outcome"], "recorded");
    // The same reference again is a no-op; with another amount it is refused.
    let r = fund1.put("/api/v1/payments/ICBC20270112000123", &pay);
    assert_eq!((r.status, r.body["outcome"].as_str()), (200, Some("already_recorded")));
    let mut other = pay.clone();
    other["amount"] = json!("388.00");
    let r = fund1.put("/api/v1/payments/ICBC20270112000123", &other);
    assert_eq!((r.status, r.code()), (409, "bank_reference_conflict"), "{}", r.body);
    // A second payment of the paid payable is impossible.
    let r = fund1.put("/api/v1/payments/ICBC20270112000999", &pay);
    assert_eq!((r.status, r.code()), (409, "already_paid"), "{}", r.body);

    // The supplier sees it paid, on time, with the bank reference.
    let supplier = env.login("supplier1");
    let p = payable(&supplier, &id);
    assert_eq!(p["status"], "paid");
    assert_eq!(p["paid_on"], "2027-01-12");
    assert_eq!(p["bank_reference"], "ICBC20270112000123");
    assert_eq!(p["days_overdue"], 0);
    assert_eq!(p["interest"], "0.00");
    let batch = fund1.ok(&format!("/api/v1/payment-batches/{batch_id}"));
    let all_paid = batch["items"].as_array().unwrap().iter().all(|i| i["stage"] == "paid");
    assert_eq!(batch["status"] == "executed", all_paid);

    // The ledger balances, and the hospital's prepayment went down by exactly the amount.
    let balances = fund1.ok("/api/v1/ledger/balances");
    assert_eq!(balances["total_debit"], balances["total_credit"]);
    let other_payments: i64 = batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["hospital_id"] == hospital_id.as_str() && i["payable_id"] != id.as_str() && i["stage"] == "paid")
        .map(|i| fen(&i["amount"]))
        .sum();
    assert_eq!(prepayment_balance(&fund1, &hospital_id), prepaid_before - 38_889 - other_payments);
    // The hospital reads the same balance, and only its own accounts.
    let own = env.login("hospital1").ok("/api/v1/ledger/balances");
    assert!(own["accounts"].as_array().unwrap().iter().all(|a| a["party_id"] == hospital_id.as_str()), "{own}");
    assert_eq!(prepayment_balance(&env.login("hospital1"), &hospital_id), prepaid_before - 38_889 - other_payments);
    let statement = fund1.ok(&format!("/api/v1/hospital-statements?hospital_id={hospital_id}&month=2027-01"));
    assert_eq!(fen(&statement["offset_from_prepayment"]), 38_889 + other_payments);
    assert_eq!(statement["receivable"], "0.00");

    // Mail went into the outbox at each step.
    let kinds = outbox_kinds(&env.login("bureau1"));
    for kind in ["confirmation_requested", "deemed_confirmed", "batch_awaiting_approval", "payment_made"] {
        assert!(kinds.iter().any(|k| k == kind), "no {kind} mail in {kinds:?}");
    }
    // On 1 February each hospital is mailed its January statement, once.
    let sent = run_job(&env, "monthly-statements", "2027-02-01");
    assert_eq!(sent["month"], "2027-01");
    assert!(sent["statements"].as_i64().unwrap() >= 1);
    assert_eq!(run_job(&env, "monthly-statements", "2027-02-01")["statements"], 0);
    let mail = env.login("bureau1").ok("/api/v1/outbox");
    let st = mail
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == "monthly_statement" && m["to_org_id"] == hospital_id.as_str())
        .expect("hospital1's statement");
    assert!(
        st["body"].as_str().unwrap().contains(&format!("¥{}", statement["offset_from_prepayment"].as_str().unwrap())),
        "{st}"
    );
    // Every run is recorded.
    let runs = env.login("admin").ok("/api/v1/job-runs?job=settlement-sweep");
    assert_eq!(runs["total"], 3);
    assert!(runs["items"].as_array().unwrap().iter().any(|r| r["trigger"] == "cli"));
    assert!(runs["items"].as_array().unwrap().iter().any(|r| r["trigger"] == "api:fund1"));
    // A zero monthly settlement is refused (record nothing for such a month).
    let r = fund1.post(
        "/api/v1/monthly-settlements",
        &json!({"hospital_id": hospital_id, "month": "2027-01", "amount": "0.00"}),
    );
    assert_eq!((r.status, r.code()), (422, "invalid_amount"));
}

on_both_databases!(overdue_days_are_attributed_and_the_payer_pays_interest);

fn overdue_days_are_attributed_and_the_payer_pays_interest(backend: jicai_tests::Backend) {
    // Day 0: Monday 2 November 2026; due 2 December.
    let Some(mut env) = Env::demo(backend, Some(&at("2026-11-02"))) else { return };
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let a = shipped_order(&hospital, &supplier, 10); // 388.89, invoiced and confirmed at once
    let pa = accept(&hospital, &a.delivery, 300, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
    let b = shipped_order(&hospital, &supplier, 2); // 77.78, the supplier never invoices in time
    let pb = accept(&hospital, &b.delivery, 60, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();

    env.restart_at(&at("2026-11-04"));
    let supplier = env.login("supplier1");
    let r = supplier.post(&format!("/api/v1/payables/{pa}/invoices"),
        &json!({"invoices": [{"invoice_no": "A-1", "invoice_date": "2026-11-04", "amount": "388.89", "tax_amount": "44.74"}]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let hospital = env.login("hospital1");
    let r = hospital.post(&format!("/api/v1/payables/{pa}/confirm"), &json!({}));
    assert_eq!((r.status, r.body["confirmation"].as_str()), (200, Some("explicit")), "{}", r.body);

    // D-7 and D-3 reminders go to whoever each payable waits on.
    let d7 = run_job(&env, "deadline-watch", "2026-11-25");
    let d7_again = run_job(&env, "deadline-watch", "2026-11-25");
    assert!(d7["reminders"].as_i64().unwrap() >= 2, "{d7}");
    assert_eq!(d7_again["reminders"], 0, "a reminder already queued is neither queued nor counted again");
    run_job(&env, "deadline-watch", "2026-11-29");
    let bureau = env.login("bureau1");
    let mail = bureau.ok("/api/v1/outbox");
    let ours = |m: &&Value| {
        let key = m["dedup_key"].as_str().unwrap();
        key.ends_with(pa.as_str()) || key.ends_with(pb.as_str())
    };
    let reminders: Vec<&Value> =
        mail.as_array().unwrap().iter().filter(|m| m["kind"] == "payable_at_risk").filter(ours).collect();
    assert_eq!(reminders.len(), 4, "two reminders each: {reminders:?}");
    let supplier_org = org_id(&supplier);
    assert_eq!(
        reminders.iter().filter(|m| m["to_org_id"] == supplier_org.as_str()).count(),
        2,
        "b waits on the supplier"
    );

    // On the due date nothing is overdue; the day after, both are, and the bureau is alerted.
    run_job(&env, "deadline-watch", "2026-12-02");
    let overdue_alerts = |b: &Client| {
        b.ok("/api/v1/outbox").as_array().unwrap().iter().filter(|m| m["kind"] == "overdue_alert").filter(ours).count()
    };
    assert_eq!(overdue_alerts(&bureau), 0, "not overdue on the due date");
    let first = run_job(&env, "deadline-watch", "2026-12-03");
    let second = run_job(&env, "deadline-watch", "2026-12-03");
    assert!(first["newly_overdue"].as_i64().unwrap() >= 2);
    assert_eq!(second["newly_overdue"], 0, "a repeated run changes nothing");
    let alerts = bureau
        .ok("/api/v1/outbox")
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["kind"] == "overdue_alert")
        .filter(ours)
        .count();
    assert_eq!(alerts, 2);
    // The watch writes its events in bulk; each still chains to the payable's previous one.
    let page = bureau.ok(&format!("/api/v1/audit-events?entity_type=payable&entity_id={pb}&per_page=200"));
    let mut chain = page["items"].as_array().unwrap().clone();
    chain.reverse(); // oldest first
    let actions: Vec<&str> = chain.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["create", "overdue"], "{chain:?}");
    assert_eq!(chain[1]["prev_hash"], chain[0]["hash"], "broken chain: {chain:?}");

    // Five days late, the fund pays a: every late day waited on the fund.
    env.restart_at(&at("2026-12-07"));
    let fund1 = env.login("fund1");
    // The fund finds it among the confirmed payables to batch: by stage, overdue or not.
    let confirmed = fund1.ok("/api/v1/payables?stage=confirmed&per_page=200");
    assert!(ids(&confirmed).contains(&pa), "stage=confirmed includes the overdue a");
    assert!(
        !ids(&fund1.ok("/api/v1/payables?status=confirmed&per_page=200")).contains(&pa),
        "status=confirmed is only what is not yet due"
    );
    run_job(&env, "settlement-sweep", "2026-12-07");
    let batch_id = payable(&fund1, &pa)["batch_id"].as_str().unwrap().to_string();
    fund1.post(&format!("/api/v1/payment-batches/{batch_id}/prepare"), &json!({}));
    let r = env.login("fund2").post(&format!("/api/v1/payment-batches/{batch_id}/approve"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let r = fund1.put(
        "/api/v1/payments/BOC-20261207-1",
        &json!({"payable_id": pa, "amount": "388.89", "payee_id": supplier_org}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let p = payable(&env.login("supplier1"), &pa);
    assert_eq!(p["status"], "paid");
    assert_eq!(p["days_overdue"], 5);
    assert_eq!(p["delay"], json!({"supplier": 0, "hospital": 0, "fund": 5}));
    assert_eq!(p["interest"], "0.97"); // 388.89 × 0.05% × 5 = 0.972225

    // b waited on the supplier's invoice: its late days are the supplier's, without interest.
    run_job(&env, "late-interest", "2026-12-07");
    let q = payable(&env.login("supplier1"), &pb);
    assert_eq!(q["status"], "overdue");
    assert_eq!(q["stage"], "awaiting_invoice");
    assert_eq!(q["delay"], json!({"supplier": 5, "hospital": 0, "fund": 0}));
    assert_eq!(q["interest"], "0.00");
    let overdue = env.login("supplier1").ok("/api/v1/payables?status=overdue&per_page=200");
    assert!(ids(&overdue).contains(&pb), "the overdue filter shows b");
    assert!(!ids(&overdue).contains(&pa), "a is paid");
}

/// Pays one payable of supplier1 through the whole cycle; returns its id.
fn pay_one(env: &Env, invoice_no: &str, reference: &str) -> String {
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 3);
    let id = accept(&hospital, &s.delivery, 90, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
    let r = supplier.post(&format!("/api/v1/payables/{id}/invoices"),
        &json!({"invoices": [{"invoice_no": invoice_no, "invoice_date": "2026-11-02", "amount": "116.67", "tax_amount": "13.42"}]}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(hospital.post(&format!("/api/v1/payables/{id}/confirm"), &json!({})).status, 200);
    let fund1 = env.login("fund1");
    let r = fund1.post("/api/v1/payment-batches", &json!({"payable_ids": [id]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let batch = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(env.login("fund2").post(&format!("/api/v1/payment-batches/{batch}/approve"), &json!({})).status, 200);
    let r = fund1.put(
        &format!("/api/v1/payments/{reference}"),
        &json!({"payable_id": id, "amount": "116.67", "payee_id": org_id(&supplier)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    id
}

on_both_databases!(exports_and_figures_match_the_ledger);

fn exports_and_figures_match_the_ledger(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(&at("2026-11-02"))) else { return };
    let a = pay_one(&env, "X-1", "ABC-0001");
    let b = pay_one(&env, "X-2", "ABC-0002");
    let supplier = env.login("supplier1");

    // CSV: every payable of the supplier; the paid ones with their bank references.
    let resp = supplier.request("GET", "/api/v1/payables/export?format=csv&sort=due_date").call().unwrap();
    assert_eq!(resp.header("Content-Type"), Some("text/csv; charset=utf-8"));
    let text = resp.into_string().unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let col =
        |name: &str| header.iter().position(|h| h.ends_with(name)).unwrap_or_else(|| panic!("{name} in {header:?}"));
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len() as i64, supplier.ok("/api/v1/payables?per_page=1")["total"].as_i64().unwrap());
    let numbers: Vec<String> = [&a, &b]
        .iter()
        .map(|id| supplier.ok(&format!("/api/v1/payables/{id}"))["payable_no"].as_str().unwrap().to_string())
        .collect();
    let paid: Vec<&csv::StringRecord> =
        records.iter().filter(|r| numbers.iter().any(|n| n == &r[col("payable_no")])).collect();
    assert_eq!(paid.len(), 2);
    // Statuses in words, as the supplier's accountant reads them (issue 22), not codes.
    assert!(paid.iter().all(|r| &r[col(" status")] == "已支付"));
    let refs: Vec<&str> = paid.iter().map(|r| &r[col("bank_reference")]).collect();
    assert!(refs.contains(&"ABC-0001") && refs.contains(&"ABC-0002"), "{refs:?}");
    for r in &paid {
        assert_eq!(&r[col("paid_amount")], "116.67");
        assert_eq!(&r[col("paid_on")], "2026-11-02");
    }
    // What the export says was paid is what the ledger paid the supplier.
    let fen = |s: &str| (s.parse::<f64>().unwrap() * 100.0).round() as i64;
    let exported_paid: i64 = records.iter().map(|r| fen(&r[col("paid_amount")])).sum();
    let balances = env.login("fund1").ok("/api/v1/ledger/balances");
    let supplier_id = org_id(&supplier);
    let ledger_paid = balances["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["account"] == "supplier_payable" && x["party_id"] == supplier_id.as_str())
        .map(|x| fen(x["debit"].as_str().unwrap()))
        .unwrap();
    assert_eq!(exported_paid, ledger_paid);

    // XLSX: a real workbook with the same rows.
    let resp = supplier.request("GET", "/api/v1/payables/export?format=xlsx").call().unwrap();
    assert!(resp.header("Content-Type").unwrap().contains("spreadsheetml"));
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
    assert!(bytes.starts_with(b"PK"), "a zip container");
    let r = supplier.get("/api/v1/payables/export?format=pdf");
    assert_eq!((r.status, r.code()), (422, "invalid_format"));
    // Another supplier's export does not contain these.
    let other = env.login("supplier2").request("GET", "/api/v1/payables/export").call().unwrap().into_string().unwrap();
    assert!(!other.contains(&a) && !other.contains(&b));

    // The bureau's figures: both paid on time this month, nothing overdue of these.
    let summary = env.login("bureau1").ok("/api/v1/settlement/summary");
    let month = summary["months"].as_array().unwrap().iter().find(|m| m["month"] == "2026-12").unwrap().clone();
    assert!(month["paid_on_time"].as_i64().unwrap() >= 2, "{month}");
    assert_eq!(month["paid"], month["paid_on_time"], "every payable due in December was paid on time: {month}");
    assert_eq!(month["on_time_rate"], "100.00");
    assert_eq!(summary["forecast"].as_array().unwrap().len(), 31);
    let cumulative = summary["forecast"][30]["cumulative"].as_str().unwrap().parse::<f64>().unwrap();
    assert!(cumulative > 0.0, "unpaid demo payables fall due in the next 30 days");
    assert!(summary["overdue_count"].as_i64().unwrap() >= 1, "the demo has overdue payables");
    let r = env.login("hospital1").get("/api/v1/settlement/summary");
    assert_eq!(r.status, 403);
}

/// Batches and pays one payable's outstanding amount with a bank reference.
/// The fund officer's ledger against the fund officer's payables list: each supplier's
/// `supplier_payable` balance, and each hospital's `hospital_offset_due`, equal the sum still owed
/// on its payables (amount less credited less paid, a held-back disputed part included).
fn ledger_ties_to_payables(env: &Env) {
    use std::collections::BTreeMap;
    let fund1 = env.login("fund1");
    let (mut by_supplier, mut by_hospital) = (BTreeMap::<String, i64>::new(), BTreeMap::<String, i64>::new());
    let mut page = 1;
    loop {
        let body = fund1.ok(&format!("/api/v1/payables?per_page=200&page={page}"));
        for p in body["items"].as_array().unwrap() {
            let owed = fen(&p["amount"]) - fen(&p["credited_amount"]) - fen(&p["paid_amount"]);
            *by_supplier.entry(p["supplier"]["id"].as_str().unwrap().to_string()).or_default() += owed;
            *by_hospital.entry(p["hospital"]["id"].as_str().unwrap().to_string()).or_default() += owed;
        }
        if page * 200 >= body["total"].as_i64().unwrap() {
            break;
        }
        page += 1;
    }
    assert!(by_supplier.values().any(|&v| v > 0), "the demo leaves something owed: {by_supplier:?}");
    let balances = fund1.ok("/api/v1/ledger/balances");
    let ledger = |account: &str| -> BTreeMap<String, i64> {
        balances["accounts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["account"] == account)
            .map(|a| (a["party_id"].as_str().unwrap().to_string(), fen(&a["balance"])))
            .filter(|(_, v)| *v != 0)
            .collect()
    };
    by_supplier.retain(|_, v| *v != 0);
    by_hospital.retain(|_, v| *v != 0);
    assert_eq!(ledger("supplier_payable"), by_supplier, "supplier_payable against the payables list");
    assert_eq!(ledger("hospital_offset_due"), by_hospital, "hospital_offset_due against the payables list");
}

fn batch_and_pay(env: &Env, id: &str, amount: &str, reference: &str) -> Value {
    let fund1 = env.login("fund1");
    let r = fund1.post("/api/v1/payment-batches", &json!({"payable_ids": [id]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let batch = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["total"], amount, "the batch pays only what is outstanding");
    assert_eq!(env.login("fund2").post(&format!("/api/v1/payment-batches/{batch}/approve"), &json!({})).status, 200);
    let payee = org_id(&env.login("supplier1"));
    let r = fund1
        .put(&format!("/api/v1/payments/{reference}"), &json!({"payable_id": id, "amount": amount, "payee_id": payee}));
    assert_eq!(r.status, 201, "{}", r.body);
    env.login("supplier1").ok(&format!("/api/v1/payables/{id}"))
}

fn invoiced(env: &Env, packs: i64, invoice_no: &str) -> (String, String) {
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, packs);
    let qty = packs * 30;
    let id = accept(&hospital, &s.delivery, qty, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
    let amount = supplier.ok(&format!("/api/v1/payables/{id}"))["amount"].as_str().unwrap().to_string();
    let r = supplier.post(&format!("/api/v1/payables/{id}/invoices"),
        &json!({"invoices": [{"invoice_no": invoice_no, "invoice_date": TODAY, "amount": amount, "tax_amount": "1.00"}]}));
    assert_eq!(r.status, 201, "{}", r.body);
    (id, amount)
}

on_both_databases!(a_dispute_holds_back_its_part_until_resolved);

fn a_dispute_holds_back_its_part_until_resolved(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    ledger_ties_to_payables(&env);
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");

    // a: ¥88.89 of ¥388.89 disputed; the undisputed ¥300.00 is paid on time.
    let (a, amount) = invoiced(&env, 10, "D-1");
    assert_eq!(amount, "388.89");
    let r = hospital.post(
        &format!("/api/v1/payables/{a}/dispute"),
        &json!({"amount": "88.89", "reason": "单价与合同不符 price differs"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["status"].as_str(), r.body["outstanding"].as_str()), (Some("disputed"), Some("300.00")));
    let p = batch_and_pay(&env, &a, "300.00", "DSP-0001");
    assert_eq!(
        (p["stage"].as_str(), p["paid_amount"].as_str(), p["disputed_amount"].as_str()),
        (Some("paid"), Some("300.00"), Some("88.89"))
    );
    // Only the parties resolve, each their own way; a resolved dispute is gone.
    let r = supplier.post(&format!("/api/v1/payables/{a}/resolve-dispute"), &json!({"outcome": "withdrawn"}));
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    let r =
        env.login("hospital2").post(&format!("/api/v1/payables/{a}/resolve-dispute"), &json!({"outcome": "withdrawn"}));
    assert_eq!((r.status, r.code()), (404, "not_found"));
    // The hospital withdraws: the ¥88.89 is owed again and paid by a second payment.
    let r = hospital.post(&format!("/api/v1/payables/{a}/resolve-dispute"), &json!({"outcome": "withdrawn"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["stage"].as_str(), r.body["outstanding"].as_str()), (Some("confirmed"), Some("88.89")));
    assert_eq!(r.body["dispute_resolution"], "withdrawn");
    let r = supplier.post(&format!("/api/v1/payables/{a}/resolve-dispute"), &json!({"outcome": "credited"}));
    assert_eq!((r.status, r.code()), (409, "no_dispute"));
    let p = batch_and_pay(&env, &a, "88.89", "DSP-0002");
    assert_eq!(
        (p["stage"].as_str(), p["paid_amount"].as_str(), p["outstanding"].as_str()),
        (Some("paid"), Some("388.89"), Some("0.00"))
    );
    // Paid in full now: no third payment.
    let r = env
        .login("fund1")
        .put("/api/v1/payments/DSP-0003", &json!({"payable_id": a, "amount": "0.01", "payee_id": org_id(&supplier)}));
    assert_eq!(r.status, 409, "{}", r.body);

    // b: the supplier credits the disputed ¥50.00; only ¥27.78 is paid.
    let (b, _) = invoiced(&env, 2, "D-2");
    hospital
        .post(&format!("/api/v1/payables/{b}/dispute"), &json!({"amount": "50.00", "reason": "近效期 short expiry"}));
    let r = hospital.post(&format!("/api/v1/payables/{b}/resolve-dispute"), &json!({"outcome": "credited"}));
    assert_eq!((r.status, r.code()), (403, "forbidden"), "crediting is the supplier's");
    let r = supplier.post(&format!("/api/v1/payables/{b}/resolve-dispute"), &json!({"outcome": "credited"}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!((r.body["credited_amount"].as_str(), r.body["outstanding"].as_str()), (Some("50.00"), Some("27.78")));
    let p = batch_and_pay(&env, &b, "27.78", "DSP-0004");
    assert_eq!(p["stage"], "paid");

    // c: all of it disputed, then credited: nothing is due.
    let (c, amount) = invoiced(&env, 1, "D-3");
    hospital.post(&format!("/api/v1/payables/{c}/dispute"), &json!({"amount": amount, "reason": "全部退货 returned"}));
    let r = supplier.post(&format!("/api/v1/payables/{c}/resolve-dispute"), &json!({"outcome": "credited"}));
    assert_eq!((r.status, r.body["stage"].as_str()), (200, Some("nothing_due")), "{}", r.body);

    // The journal still balances and paid the supplier exactly what was paid.
    let balances = env.login("fund1").ok("/api/v1/ledger/balances");
    assert_eq!(balances["total_debit"], balances["total_credit"]);
    // What the fund owes each supplier, and is owed back by each hospital, is what the
    // payables list still shows unpaid: b and c credited part, a and b paid in full.
    ledger_ties_to_payables(&env);
    let db = &env.server.database_url;
    let (_, n) = jicai_tests::sql(db, &format!("SELECT count(*) FROM payments WHERE payable_id = '{a}'"));
    assert_eq!(n.trim(), "2");
}
