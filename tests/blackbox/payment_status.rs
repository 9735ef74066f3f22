//! The supplier's payment-status page, black-box: its totals tie to its own list, the list's
//! urgency order puts overdue first and paid last, every payable says what it pays for (drugs
//! and quantities) and which batch it is in with its dates, and the exports speak words with a
//! summary sheet. Another supplier sees none of it.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Client, Env};
use serde_json::Value;

fn fen(s: &Value) -> i64 {
    let s = s.as_str().unwrap();
    let (yuan, cents) = s.split_once('.').unwrap();
    yuan.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

fn all_payables(c: &Client, sort: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for page in 1.. {
        let p = c.ok(&format!("/api/v1/payables?sort={sort}&per_page=200&page={page}"));
        let items = p["items"].as_array().unwrap().clone();
        let n = items.len();
        out.extend(items);
        if n < 200 {
            break;
        }
    }
    out
}

fn settled(p: &Value) -> bool {
    p["stage"] == "paid" || p["stage"] == "nothing_due"
}

/// (count, fen) of the payables matching `f`, counting what each still owes (or, paid, what was paid).
fn figure(list: &[Value], f: impl Fn(&Value) -> bool, field: &str) -> (i64, i64) {
    list.iter().filter(|p| f(p)).fold((0, 0), |(n, sum), p| (n + 1, sum + fen(&p[field])))
}

/// Checks one payee's page; returns its totals and list.
fn check_payee(supplier: &Client) -> (Value, Vec<Value>) {
    let totals = supplier.ok("/api/v1/payables/totals");
    assert_eq!(totals["as_of"], "2026-11-22");
    let list = all_payables(supplier, "urgency");

    // The totals tie to the list, figure by figure.
    let pair = |v: &Value| (v["count"].as_i64().unwrap(), fen(&v["amount"]));
    assert_eq!(pair(&totals["outstanding"]), figure(&list, |p| !settled(p), "outstanding"));
    assert_eq!(pair(&totals["overdue"]), figure(&list, |p| p["status"] == "overdue", "outstanding"));
    let soon = |p: &Value| !settled(p) && (0..=7).contains(&p["days_remaining"].as_i64().unwrap());
    assert_eq!(pair(&totals["due_within_7_days"]), figure(&list, soon, "outstanding"));
    let this_month =
        |p: &Value| p["stage"] == "paid" && p["paid_on"].as_str().is_some_and(|d| d.starts_with("2026-11"));
    assert_eq!(pair(&totals["paid_this_month"]), figure(&list, this_month, "paid_amount"));

    // Urgency: overdue first, then due soonest, paid last.
    let rank = |p: &Value| {
        if settled(p) {
            2
        } else if p["status"] == "overdue" {
            0
        } else {
            1
        }
    };
    let ranks: Vec<i32> = list.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "{ranks:?}");
    let unsettled_due: Vec<&str> =
        list.iter().filter(|p| !settled(p)).map(|p| p["due_date"].as_str().unwrap()).collect();
    assert!(unsettled_due.windows(2).all(|w| w[0] <= w[1]), "{unsettled_due:?}");

    // What each pays for, and the batch with its dates.
    for p in &list {
        let items = p["items"].as_array().unwrap();
        assert!(!items.is_empty(), "{} says what it pays for", p["payable_no"]);
        for i in items {
            assert!(
                !i["generic_name"].as_str().unwrap().is_empty() && !i["min_unit"].as_str().unwrap().is_empty(),
                "{i}"
            );
            let (qty, pack) = (i["accepted_qty"].as_i64().unwrap(), i["pack_size"].as_i64().unwrap());
            assert_eq!(i["packs"].as_i64(), (qty % pack == 0).then_some(qty / pack), "{i}");
        }
        if settled(p) {
            assert!(p["expected_payment_by"].is_null());
        } else {
            assert_eq!(p["expected_payment_by"], p["due_date"]);
        }
        let b = &p["batch"];
        if !b.is_null() {
            assert_eq!(b["id"], p["batch_id"]);
            assert!(b["batch_no"].as_str().unwrap().starts_with("PB-"), "{b}");
            assert!(b["prepared_on"].is_string(), "{b}");
            if p["stage"] == "approved" || p["stage"] == "paid" {
                assert!(b["approved_on"].as_str().unwrap() >= b["prepared_on"].as_str().unwrap(), "{b}");
            }
        }
    }
    (totals, list)
}

on_both_databases!(the_payees_totals_order_and_records);

fn the_payees_totals_order_and_records(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let supplier1 = env.login("supplier1");
    let supplier2 = env.login("supplier2");
    let (totals1, list1) = check_payee(&supplier1);
    let (totals2, list2) = check_payee(&supplier2);
    assert!(list1.len() > 5 && list2.len() > 1, "the demo gives both distributors payables");
    // The demo's overdue payable (a supplier that never invoiced) heads its supplier's list.
    let (supplier, totals, list) = if totals1["overdue"]["count"].as_i64() > Some(0) {
        (&supplier1, &totals1, &list1)
    } else {
        (&supplier2, &totals2, &list2)
    };
    assert!(totals["overdue"]["count"].as_i64().unwrap() >= 1, "the demo has an overdue payable: {totals1} {totals2}");
    assert_eq!(list[0]["status"], "overdue");
    assert!(totals1["paid_this_month"]["count"].as_i64().unwrap() >= 1, "{totals1}");
    // The two lists are walled from each other.
    assert!(list2.iter().all(|p| p["supplier"]["id"] != list1[0]["supplier"]["id"]));

    let batched: Vec<&Value> = list1.iter().filter(|p| !p["batch"].is_null()).collect();
    assert!(!batched.is_empty(), "the demo has batched payables");
    let one = batched[0];
    let detail = supplier1.ok(&format!("/api/v1/payables/{}", one["id"].as_str().unwrap()));
    assert_eq!(detail["batch"], one["batch"]);
    assert_eq!(detail["items"], one["items"]);

    // Exports in words, with a summary sheet first in the workbook.
    let csv = supplier.request("GET", "/api/v1/payables/export?format=csv").call().unwrap().into_string().unwrap();
    assert!(csv.contains("已逾期"), "statuses in words");
    assert!(!csv.contains(",overdue,") && !csv.contains(",paid,") && !csv.contains(",awaiting_invoice,"), "no codes");
    let first_generic = list[0]["items"][0]["generic_name"].as_str().unwrap();
    assert!(csv.contains(first_generic));
    let csv1 = supplier1.request("GET", "/api/v1/payables/export?format=csv").call().unwrap().into_string().unwrap();
    assert!(csv1.contains("已支付") && csv1.contains(one["batch"]["batch_no"].as_str().unwrap()));
    let en =
        supplier1.request("GET", "/api/v1/payables/export?format=csv&lang=en").call().unwrap().into_string().unwrap();
    assert!(en.contains(",Paid,"), "English words on request");
    let resp = supplier1.request("GET", "/api/v1/payables/export?format=xlsx").call().unwrap();
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut resp.into_reader(), &mut bytes).unwrap();
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["summary", "payables"]);
    let summary = book.worksheet_range("summary").unwrap();
    let cell = |r: u32, c: u32| summary.get_value((r, c)).map(|v| v.to_string()).unwrap_or_default();
    assert!(cell(2, 0).contains("未付合计"));
    assert_eq!(cell(2, 1), totals1["outstanding"]["count"].to_string());
    assert_eq!(cell(2, 2), totals1["outstanding"]["amount"].as_str().unwrap());
    assert_eq!(cell(5, 2), totals1["paid_this_month"]["amount"].as_str().unwrap());
    let rows = book.worksheet_range("payables").unwrap();
    assert_eq!(rows.height() - 1, list1.len());
}
