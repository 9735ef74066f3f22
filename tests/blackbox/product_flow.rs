//! A winning manufacturer's read-only view of its products' flow, black-box: it lists exactly
//! the order lines for its own winning products, names the distributor, shows what was shipped
//! and accepted and the payment status the distributor itself reads, and nothing else of the
//! distributor's business (no other product's line, no payable's amount). Hospitals are refused;
//! a distributor that wins nothing reads an empty list.

use crate::fixtures::*;
use jicai_tests::{on_both_databases, sql, Client, Env};
use serde_json::Value;
use std::collections::HashMap;

const NOW: &str = "2026-11-22T10:00:00+08:00";

fn all_lines(c: &Client, query: &str) -> (Vec<Value>, i64) {
    let mut items = Vec::new();
    for page in 1.. {
        let body = c.ok(&format!("/api/v1/product-flow?per_page=2&page={page}{query}"));
        let total = body["total"].as_i64().unwrap();
        items.extend(body["items"].as_array().unwrap().iter().cloned());
        if items.len() as i64 >= total {
            return (items, total);
        }
    }
    unreachable!()
}

fn fen(v: &Value) -> i128 {
    let s = v.as_str().unwrap();
    let (yuan, frac) = s.split_once('.').unwrap();
    yuan.parse::<i128>().unwrap() * 10_000 + format!("{frac:0<4}").parse::<i128>().unwrap()
}

on_both_databases!(a_manufacturer_reads_its_products_flow_and_nothing_else);

fn a_manufacturer_reads_its_products_flow_and_nothing_else(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let maker = env.login("supplier4");
    let maker_id = org_id(&maker);
    let db = &env.server.database_url;

    // Exactly the order lines of its winning bids, paged two at a time.
    let (lines, total) = all_lines(&maker, "");
    let (_, n) = sql(db, &format!(
        "SELECT count(*) FROM order_lines l JOIN winning_bids b ON b.id = l.bid_id WHERE b.enterprise_id = '{maker_id}'"));
    assert!(total > 0, "the demo orders Bracco's products");
    assert_eq!(total, n.trim().parse::<i64>().unwrap());
    assert_eq!(lines.len() as i64, total);
    let (_, own_products) = sql(db, &format!("SELECT product_id FROM winning_bids WHERE enterprise_id = '{maker_id}'"));
    for l in &lines {
        assert!(own_products.contains(l["product"]["id"].as_str().unwrap()), "another's product: {l}");
        // The line's own amount, never the order's or a payable's.
        let amount = fen(&l["amount"]);
        let expected = l["quantity"].as_i64().unwrap() as i128 * fen(&l["unit_price"]);
        assert_eq!(amount, (expected + 50) / 100 * 100, "{l}");
        assert!(l["distributor"]["name"].as_str().is_some_and(|n| !n.is_empty()), "{l}");
        assert_eq!(
            l["shipped_qty"].as_i64().unwrap(),
            l["deliveries"].as_array().unwrap().iter().map(|d| d["shipped_qty"].as_i64().unwrap()).sum::<i64>()
        );
        for d in l["deliveries"].as_array().unwrap() {
            if let Some(p) = d["payment"].as_object() {
                assert!(!p.contains_key("amount") && !p.contains_key("outstanding"), "no payable amounts: {d}");
            }
        }
    }
    assert!(lines.windows(2).all(|w| w[0]["ordered_on"].as_str() >= w[1]["ordered_on"].as_str()), "newest first");

    // The payment status is the one the distributor reads on its own payable.
    let distributors: HashMap<String, Client> = ["supplier1", "supplier2"]
        .into_iter()
        .map(|u| {
            let c = env.login(u);
            (org_id(&c), c)
        })
        .collect();
    let mut compared = 0;
    for l in &lines {
        for d in l["deliveries"].as_array().unwrap() {
            let Some(p) = d["payment"].as_object() else { continue };
            let dist = &distributors[l["distributor"]["id"].as_str().unwrap()];
            let theirs = dist.ok("/api/v1/payables?per_page=200")["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["payable_no"] == p["payable_no"])
                .cloned()
                .expect("the distributor's payable");
            assert_eq!(
                (&theirs["status"], &theirs["due_date"], &theirs["paid_on"]),
                (&p["status"], &p["due_date"], &p["paid_on"])
            );
            compared += 1;
        }
    }
    assert!(compared > 0, "some delivery of Bracco's products is accepted in the demo");

    // Filters narrow the list; the orders themselves stay the distributor's.
    let first = &lines[0];
    let dist_id = first["distributor"]["id"].as_str().unwrap();
    let (by_dist, _) = all_lines(&maker, &format!("&distributor_id={dist_id}"));
    assert!(!by_dist.is_empty() && by_dist.iter().all(|l| l["distributor"]["id"] == dist_id));
    assert_eq!(by_dist.len(), lines.iter().filter(|l| l["distributor"]["id"] == dist_id).count());
    let day = first["ordered_on"].as_str().unwrap();
    let (on_day, _) = all_lines(&maker, &format!("&from={day}&to={day}"));
    assert_eq!(on_day.len(), lines.iter().filter(|l| l["ordered_on"] == day).count());
    assert_eq!(maker.ok("/api/v1/orders")["total"], 0, "a manufacturer is no party to the orders");
    assert_eq!(maker.ok("/api/v1/payables")["total"], 0, "the fund pays the distributor");

    // A distributor that wins nothing reads an empty list; a hospital is refused.
    assert_eq!(distributors.values().next().unwrap().ok("/api/v1/product-flow")["total"], 0);
    let r = env.login("hospital1").get("/api/v1/product-flow");
    assert_eq!((r.status, r.code()), (403, "forbidden"));
    // Another manufacturer reads its own lines, none of Bracco's.
    let (other, _) = all_lines(&env.login("supplier5"), "");
    assert!(other.iter().all(|l| !own_products.contains(l["product"]["id"].as_str().unwrap())));
}
