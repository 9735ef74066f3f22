//! Mail reaches a real SMTP server on loopback; refusals are retried with backoff, then
//! recorded as failed.

use crate::fixtures::*;
use jicai_tests::{cli_with, on_both_databases, Env, SmtpSink};
use serde_json::{json, Value};

fn dispatch(env: &Env, sink: &SmtpSink, at: &str, max_attempts: &str) -> Value {
    let mut vars = sink.env();
    vars.push(("JICAI_MAIL_MAX_ATTEMPTS", max_attempts.into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (ok, out) = cli_with(&env.server.database_url, Some(at), &["jobs", "run", "mail-dispatch"], None, &vars);
    assert!(ok, "{out}");
    let json = out.split(": ").nth(1).and_then(|rest| rest.split(" (run").next()).unwrap_or("{}");
    serde_json::from_str(json).unwrap_or_else(|_| panic!("counts in {out}"))
}

fn subject_and_body(raw: &str) -> (String, String) {
    let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).expect("a parseable message");
    (msg.subject().unwrap_or_default().to_string(), msg.body_text(0).unwrap_or_default().to_string())
}

fn outbox_row<'a>(rows: &'a Value, kind: &str, needle: &str) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|m| m["kind"] == kind && m["dedup_key"].as_str().unwrap().ends_with(needle))
        .unwrap_or_else(|| panic!("no {kind} mail for {needle}"))
}

on_both_databases!(mail_is_delivered_retried_and_failed);

fn mail_is_delivered_retried_and_failed(backend: jicai_tests::Backend) {
    let Some(mut env) = Env::demo(backend, Some("2026-11-02T10:00:00+08:00")) else { return };
    let sink = SmtpSink::start();
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let s = shipped_order(&hospital, &supplier, 10);
    let id = accept(&hospital, &s.delivery, 300, 0, None)["acceptance"]["payable_id"].as_str().unwrap().to_string();
    let p = supplier.ok(&format!("/api/v1/payables/{id}"));
    let payable_no = p["payable_no"].as_str().unwrap().to_string();
    let r = supplier.post(&format!("/api/v1/payables/{id}/invoices"),
        &json!({"invoices": [{"invoice_no": "M-1", "invoice_date": "2026-11-02", "amount": "388.89", "tax_amount": "44.74"}]}));
    assert_eq!(r.status, 201, "{}", r.body);

    // Delivered: the hospital's confirmation request, with the deadline, in Chinese and English.
    let counts = dispatch(&env, &sink, "2026-11-02T10:05:00+08:00", "3");
    assert!(counts["sent"].as_i64().unwrap() >= 1, "{counts}");
    let ours = |to: &str| -> Vec<jicai_tests::Received> {
        sink.messages_to(to).into_iter().filter(|m| subject_and_body(&m.data).0.contains(&payable_no)).collect()
    };
    let got = ours("hospital1@demo.jicai.local");
    assert_eq!(got.len(), 1, "one message to hospital1 about this payable");
    let (subject, body) = subject_and_body(&got[0].data);
    assert!(subject.contains(&payable_no) && subject.contains("请确认"), "{subject}");
    assert!(
        body.contains("¥388.89") && body.contains("2026-11-09") && body.contains("silence counts as confirmation"),
        "{body}"
    );
    let bureau = env.login("bureau1");
    let row = outbox_row(&bureau.ok("/api/v1/outbox"), "confirmation_requested", &id).clone();
    assert_eq!((row["status"].as_str(), row["attempts"].as_i64()), (Some("sent"), Some(1)));
    // Sent mail is not sent again.
    dispatch(&env, &sink, "2026-11-02T10:06:00+08:00", "3");
    assert_eq!(ours("hospital1@demo.jicai.local").len(), 1);

    // The supplier's server refuses for now (451): retried with backoff, then failed for good.
    sink.transient.lock().unwrap().push("supplier1@demo.jicai.local".into());
    // The bureau's address is refused outright (550): failed at once.
    sink.permanent.lock().unwrap().push("bureau1@demo.jicai.local".into());
    env.restart_at("2026-12-03T09:00:00+08:00");
    let bureau = env.login("bureau1");
    let r = env.login("fund1").post("/api/v1/job-runs", &json!({"job": "deadline-watch", "as_of": "2026-12-03"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let c1 = dispatch(&env, &sink, "2026-12-03T09:10:00+08:00", "3");
    assert!(c1["retried"].as_i64().unwrap() >= 1 && c1["failed"].as_i64().unwrap() >= 1, "{c1}");
    // The job-runs list leaves mail dispatch (a run a minute) out unless asked for (issue 22).
    let jobs_of = |path: &str| -> Vec<String> {
        bureau.ok(path)["items"].as_array().unwrap().iter().map(|r| r["job"].as_str().unwrap().to_string()).collect()
    };
    let default = jobs_of("/api/v1/job-runs?per_page=200");
    assert!(
        default.contains(&"deadline-watch".to_string()) && !default.contains(&"mail-dispatch".to_string()),
        "{default:?}"
    );
    assert!(jobs_of("/api/v1/job-runs?per_page=200&include_mail=true").contains(&"mail-dispatch".to_string()));
    assert!(jobs_of("/api/v1/job-runs?job=mail-dispatch").iter().all(|j| j == "mail-dispatch"));
    assert!(!jobs_of("/api/v1/job-runs?job=mail-dispatch").is_empty());
    let rows = bureau.ok("/api/v1/outbox");
    let overdue = outbox_row(&rows, "payable_overdue", &id);
    assert_eq!((overdue["status"].as_str(), overdue["attempts"].as_i64()), (Some("pending"), Some(1)));
    assert!(overdue["last_error"].as_str().unwrap().contains("451"), "{overdue}");
    let alert = outbox_row(&rows, "overdue_alert", &id);
    assert_eq!((alert["status"].as_str(), alert["attempts"].as_i64()), (Some("failed"), Some(1)));
    assert!(alert["last_error"].as_str().unwrap().contains("550"), "{alert}");
    // Too early for the retry (backoff 1 minute): nothing is attempted.
    dispatch(&env, &sink, "2026-12-03T09:10:30+08:00", "3");
    assert_eq!(outbox_row(&bureau.ok("/api/v1/outbox"), "payable_overdue", &id)["attempts"], 1);
    dispatch(&env, &sink, "2026-12-03T09:12:00+08:00", "3");
    assert_eq!(outbox_row(&bureau.ok("/api/v1/outbox"), "payable_overdue", &id)["attempts"], 2);
    dispatch(&env, &sink, "2026-12-03T09:15:00+08:00", "3");
    let overdue = outbox_row(&bureau.ok("/api/v1/outbox"), "payable_overdue", &id).clone();
    assert_eq!((overdue["status"].as_str(), overdue["attempts"].as_i64()), (Some("failed"), Some(3)));
    assert!(ours("supplier1@demo.jicai.local").iter().all(|m| !subject_and_body(&m.data).0.contains("逾期")));
    assert!(ours("bureau1@demo.jicai.local").is_empty());
}
