//! Jobs under concurrency and crashes: two workers on one database do everything once; a run
//! killed in the middle leaves nothing behind and a rerun completes it.

use crate::fixtures::*;
use jicai_tests::{cli_command, on_both_databases, sql, Backend, Env, SmtpSink};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStderr, Stdio};

fn day(offset: i64) -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap() + chrono::Duration::days(offset)
}

/// Starts `jicai <args>` at `now` with the failpoint `name` pausing it for `ms`, and returns once
/// it has reached the point (inside its transaction), with its stdout piped and its stderr, kept
/// open by the caller while the job runs.
fn paused_at_failpoint(db: &str, now: &str, args: &[&str], name: &str, ms: u64) -> (Child, BufReader<ChildStderr>) {
    let failpoint = format!("{name}:{ms}");
    let mut child = cli_command(db, Some(now), args, &[("JICAI_FAILPOINT", failpoint.as_str())])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while err.read_line(&mut line).unwrap() > 0 && !line.contains(&format!("failpoint {name}")) {
        line.clear();
    }
    assert!(line.contains("pausing"), "{args:?} reached its failpoint: {line:?}");
    (child, err)
}

/// The rows a query returns, one per line (empty when none).
fn rows(db: &str, q: &str) -> Vec<String> {
    let (ok, out) = sql(db, q);
    assert!(ok, "{q}: {out}");
    out.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn count(db: &str, q: &str) -> i64 {
    rows(db, q).first().and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{q}"))
}

on_both_databases!(two_workers_fifty_days_do_everything_once);

fn two_workers_fifty_days_do_everything_once(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some("2026-11-02T10:00:00+08:00")) else { return };
    let db = env.server.database_url.clone();
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    // Work for the jobs: four payables, two invoiced at once (they confirm in silence), two never.
    for k in 0..4 {
        let s = shipped_order(&hospital, &supplier, 1);
        let id = accept(&hospital, &s.delivery, 30, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
        if k % 2 == 0 {
            let r = supplier.post(&format!("/api/v1/payables/{id}/invoices"),
                &json!({"invoices": [{"invoice_no": format!("W-{k}"), "invoice_date": "2026-11-02", "amount": "38.89", "tax_amount": "4.47"}]}));
            assert_eq!(r.status, 201, "{}", r.body);
        }
    }
    let sink = SmtpSink::start();
    let smtp: Vec<(&str, String)> = sink.env();
    let smtp: Vec<(&str, &str)> = smtp.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let jobs = [
        "jobs",
        "run",
        "prepayment",
        "settlement-sweep",
        "deadline-watch",
        "late-interest",
        "mail-dispatch",
        "--as-of",
    ];
    for r in 0..50 {
        let as_of = day(r).to_string();
        let now = format!("{as_of}T10:00:00+08:00");
        let mut args: Vec<&str> = jobs.to_vec();
        args.push(&as_of);
        let children: Vec<_> = (0..2)
            .map(|_| {
                cli_command(&db, Some(&now), &args, &smtp)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("worker starts")
            })
            .collect();
        for c in children {
            let out = c.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "day {as_of}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
    // Every run succeeded: 50 days × 5 jobs × 2 workers.
    assert_eq!(count(&db, "SELECT count(*) FROM job_runs WHERE outcome = 'succeeded'"), 500);
    assert_eq!(count(&db, "SELECT count(*) FROM job_runs WHERE outcome <> 'succeeded'"), 0);
    // No payable in two batches, at most one proposed batch a day, one prepayment per hospital,
    // batch and year, one journal entry per source and kind, every batch total equal to its items.
    assert!(rows(&db, "SELECT payable_id FROM payment_batch_items GROUP BY payable_id HAVING count(*) > 1").is_empty());
    assert!(rows(&db, "SELECT proposed_on FROM payment_batches WHERE proposed_on IS NOT NULL GROUP BY region_id, proposed_on HAVING count(*) > 1").is_empty());
    assert!(count(&db, "SELECT count(*) FROM payment_batches") >= 1);
    assert!(rows(
        &db,
        "SELECT hospital_id FROM prepayments GROUP BY hospital_id, batch_id, agreement_year HAVING count(*) > 1"
    )
    .is_empty());
    assert_eq!(count(&db, "SELECT count(*) FROM prepayments"), 40); // 20 hospitals × 2 batches
    assert!(rows(
        &db,
        "SELECT source_id FROM journal_entries GROUP BY source_type, source_id, kind HAVING count(*) > 1"
    )
    .is_empty());
    assert_eq!(
        count(&db, "SELECT count(*) FROM journal_entries WHERE kind = 'prepayment'"),
        count(&db, "SELECT count(*) FROM prepayments WHERE amount > 0")
    );
    assert!(rows(&db, "SELECT b.id FROM payment_batches b JOIN payment_batch_items i ON i.batch_id = b.id GROUP BY b.id, b.total_amount HAVING sum(i.amount) <> b.total_amount").is_empty());
    assert!(
        rows(&db, "SELECT entry_id FROM journal_lines GROUP BY entry_id HAVING sum(debit) <> sum(credit)").is_empty()
    );
    // Each message was sent once: what the SMTP server received is what the outbox says it sent.
    let sent = count(&db, "SELECT count(*) FROM outbox WHERE status = 'sent'");
    assert!(sent > 0);
    assert_eq!(count(&db, "SELECT count(*) FROM outbox WHERE status <> 'sent'"), 0);
    let received = sink.received.lock().unwrap().clone();
    assert_eq!(received.len() as i64, sent, "SMTP received {} for {sent} sent", received.len());
    let mut ids: Vec<String> = received
        .iter()
        .map(|m| m.data.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).unwrap_or("").to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), received.len(), "a Message-ID arrived twice");
}

on_both_databases!(a_killed_sweep_leaves_nothing_and_a_rerun_completes);

fn a_killed_sweep_leaves_nothing_and_a_rerun_completes(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some("2026-11-02T10:00:00+08:00")) else { return };
    let db = env.server.database_url.clone();
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let mut ids = Vec::new();
    for k in 0..3 {
        let s = shipped_order(&hospital, &supplier, 1);
        let id = accept(&hospital, &s.delivery, 30, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
        let r = supplier.post(&format!("/api/v1/payables/{id}/invoices"),
            &json!({"invoices": [{"invoice_no": format!("K-{k}"), "invoice_date": "2026-11-02", "amount": "38.89", "tax_amount": "4.47"}]}));
        assert_eq!(r.status, 201, "{}", r.body);
        ids.push(id);
    }
    let batches_before = count(&db, "SELECT count(*) FROM payment_batches");
    let deemed_before = count(&db, "SELECT count(*) FROM outbox WHERE kind = 'deemed_confirmed'");
    // The sweep confirms the three, then pauses inside its transaction; it is killed there.
    let (mut child, _stderr) = paused_at_failpoint(
        &db,
        "2026-11-10T10:00:00+08:00",
        &["jobs", "run", "settlement-sweep", "--as-of", "2026-11-10"],
        "settlement-sweep",
        60_000,
    );
    child.kill().unwrap();
    child.wait().unwrap();

    let check = |stage: &str| {
        for id in &ids {
            assert_eq!(supplier.ok(&format!("/api/v1/payables/{id}"))["stage"], stage, "{id}");
        }
    };
    check("awaiting_hospital_confirmation");
    assert_eq!(count(&db, "SELECT count(*) FROM payment_batches"), batches_before);
    assert_eq!(count(&db, "SELECT count(*) FROM outbox WHERE kind = 'deemed_confirmed'"), deemed_before);
    assert_eq!(rows(&db, "SELECT outcome FROM job_runs WHERE job = 'settlement-sweep'"), ["running"]);

    // Two hours later the sweep runs again: everything once, and the lost run is explained.
    let out = cli_command(
        &db,
        Some("2026-11-10T12:00:00+08:00"),
        &["jobs", "run", "settlement-sweep", "--as-of", "2026-11-10"],
        &[],
    )
    .output()
    .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && text.contains("\"batches_proposed\":1"), "{text}");
    check("in_batch");
    assert_eq!(count(&db, "SELECT count(*) FROM payment_batches"), batches_before + 1);
    let ours = ids.iter().map(|id| format!("'deemed_confirmed:{id}'")).collect::<Vec<_>>().join(",");
    assert_eq!(count(&db, &format!("SELECT count(*) FROM outbox WHERE dedup_key IN ({ours})")), 3);
    assert!(count(&db, "SELECT count(*) FROM outbox WHERE kind = 'deemed_confirmed'") >= deemed_before + 3);
    let runs = env.login("admin").ok("/api/v1/job-runs?job=settlement-sweep");
    let outcomes: Vec<&str> =
        runs["items"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["succeeded", "failed"]);
    assert!(runs["items"][1]["error"].as_str().unwrap().starts_with("interrupted"));
    // An officer sees that the platform-wide run failed, not its details.
    let officer_view = env.login("fund1").ok("/api/v1/job-runs?job=settlement-sweep");
    assert_eq!(officer_view["items"][1]["outcome"], "failed");
    assert_eq!(officer_view["items"][0]["counts"], Value::Null);
}

on_both_databases!(one_bank_reference_at_once_pays_once);

fn one_bank_reference_at_once_pays_once(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some("2026-11-02T10:00:00+08:00")) else { return };
    let db = env.server.database_url.clone();
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 1);
    let id = accept(&hospital, &s.delivery, 30, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
    supplier.post(&format!("/api/v1/payables/{id}/invoices"),
        &json!({"invoices": [{"invoice_no": "P-1", "invoice_date": "2026-11-02", "amount": "38.89", "tax_amount": "4.47"}]}));
    hospital.post(&format!("/api/v1/payables/{id}/confirm"), &json!({}));
    let fund1 = env.login("fund1");
    let r = fund1.post("/api/v1/payment-batches", &json!({"payable_ids": [id]}));
    assert_eq!(r.status, 201, "{}", r.body);
    let batch = r.body["id"].as_str().unwrap().to_string();
    let r = env.login("fund2").post(&format!("/api/v1/payment-batches/{batch}/approve"), &json!({}));
    assert_eq!(r.status, 200, "{}", r.body);
    let body = json!({"payable_id": id, "amount": "38.89", "payee_id": org_id(&supplier)});
    let payments_before = count(&db, "SELECT count(*) FROM payments");
    let entries_before = count(&db, "SELECT count(*) FROM journal_entries WHERE source_type = 'payment'");
    let mails_before = count(&db, "SELECT count(*) FROM outbox WHERE kind = 'payment_made'");
    let statuses: Vec<u16> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..10)
            .map(|_| {
                let c = fund1.clone();
                let b = body.clone();
                sc.spawn(move || c.put("/api/v1/payments/CCB-2026-77", &b).status)
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 9, "{statuses:?}");
    assert_eq!(count(&db, "SELECT count(*) FROM payments"), payments_before + 1);
    assert_eq!(count(&db, "SELECT count(*) FROM journal_entries WHERE source_type = 'payment'"), entries_before + 2);
    assert_eq!(count(&db, "SELECT count(*) FROM outbox WHERE kind = 'payment_made'"), mails_before + 1);
}

on_both_databases!(a_second_retention_calculation_waits_for_or_is_refused_by_the_first);

fn a_second_retention_calculation_waits_for_or_is_refused_by_the_first(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let db = env.server.database_url.clone();
    let bureau = env.login("bureau1");
    let runs_before = count(&db, "SELECT count(*) FROM retention_runs");
    // The job calculates agreement year 1 and pauses inside its transaction, holding the lock.
    let (child, _stderr) =
        paused_at_failpoint(&db, NOW, &["jobs", "run", "retention", "--as-of", "2026-11-22"], "retention", 4_000);

    let started = std::time::Instant::now();
    let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1, "as_of": "2026-11-22"}));
    if backend == Backend::Postgres {
        // PostgreSQL: refused at once, nothing written; the officer is told to try again.
        assert_eq!(r.status, 409, "{}", r.body);
        assert_eq!(r.code(), "retention_run_in_progress");
        assert!(started.elapsed() < std::time::Duration::from_secs(3), "refused without waiting");
        assert_eq!(count(&db, "SELECT count(*) FROM retention_runs"), runs_before);
    } else {
        // SQLite: the job holds the database's write lock; the request waits for it and then
        // calculates on what the job committed.
        assert_eq!(r.status, 201, "{}", r.body);
        assert!(started.elapsed() > std::time::Duration::from_secs(2), "it waited for the job");
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success() && text.contains("\"runs\":1"), "{text}");
    if backend == Backend::Postgres {
        assert_eq!(count(&db, "SELECT count(*) FROM retention_runs"), runs_before + 1);
        let r = bureau.post("/api/v1/retention-runs", &json!({"agreement_year": 1, "as_of": "2026-11-22"}));
        assert_eq!(r.status, 201, "once the job is done the calculation runs: {}", r.body);
    }
    assert_eq!(count(&db, "SELECT count(*) FROM retention_runs"), runs_before + 2);
    // The job's run and the officer's are calculated from the same acceptances: the same results.
    let results = |trigger: &str| {
        rows(
            &db,
            &format!(
                "SELECT x.hospital_id, x.score, x.retained FROM retention_results x \
        JOIN retention_runs r ON r.id = x.run_id WHERE r.trigger = '{trigger}' ORDER BY x.hospital_id"
            ),
        )
    };
    let by_job = results("job");
    assert_eq!(by_job.len(), 20, "{by_job:?}");
    assert_eq!(by_job, results("api:bureau1"));
}

/// What the jobs write, summed up: a killed run must leave it as it was.
fn fingerprint(db: &str) -> Vec<String> {
    [
        "SELECT count(*) FROM payables WHERE overdue_since IS NOT NULL",
        "SELECT coalesce(sum(interest), 0) FROM payables",
        "SELECT coalesce(sum(fund_delay_days + supplier_delay_days + hospital_delay_days), 0) FROM payables",
        "SELECT count(*) FROM outbox",
        "SELECT count(*) FROM journal_lines",
        "SELECT count(*) FROM audit_events",
        "SELECT count(*) FROM retention_runs",
        "SELECT count(*) FROM retention_results",
        "SELECT count(*) FROM monitoring_warnings",
        "SELECT count(*) FROM tender_picks",
        "SELECT count(*) FROM credit_cases",
        "SELECT count(*) FROM prepayments",
    ]
    .iter()
    .flat_map(|q| rows(db, q))
    .chain(rows(db, "SELECT status FROM tenders ORDER BY id"))
    .collect()
}

on_both_databases!(every_job_killed_before_its_commit_leaves_nothing_and_a_rerun_completes);

fn every_job_killed_before_its_commit_leaves_nothing_and_a_rerun_completes(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some("2026-11-22T10:00:00+08:00")) else { return };
    let db = env.server.database_url.clone();
    // Each job on a day it has work to do; the sweep has its own test above, and mail
    // dispatch marks each message on its own (no transaction to interrupt).
    let jobs = [
        ("monitoring", "2026-12-15"),
        ("retention", "2026-11-22"),
        ("credit-proposals", "2026-11-22"),
        ("monthly-statements", "2026-12-01"),
        ("tenders", "2026-12-11"),
        ("deadline-watch", "2026-12-31"),
        ("late-interest", "2026-12-31"),
    ];
    for (job, as_of) in jobs {
        let before = fingerprint(&db);
        let (mut child, _stderr) = paused_at_failpoint(
            &db,
            &format!("{as_of}T10:00:00+08:00"),
            &["jobs", "run", job, "--as-of", as_of],
            "commit",
            60_000,
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(fingerprint(&db), before, "{job} killed before its commit left something behind");
        assert_eq!(rows(&db, &format!("SELECT outcome FROM job_runs WHERE job = '{job}'")), ["running"], "{job}");

        // Two hours later it runs again, completes, and the lost run is explained.
        let out =
            cli_command(&db, Some(&format!("{as_of}T12:00:00+08:00")), &["jobs", "run", job, "--as-of", as_of], &[])
                .output()
                .unwrap();
        assert!(
            out.status.success(),
            "{job}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(fingerprint(&db), before, "{job} had work to do on {as_of}");
        let outcomes = rows(&db, &format!("SELECT outcome FROM job_runs WHERE job = '{job}' ORDER BY started_at"));
        assert_eq!(outcomes, ["failed", "succeeded"], "{job}");
    }
}
