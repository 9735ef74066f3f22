//! The authorization matrix, generated from the server's own OpenAPI document: every operation ×
//! every caller (nobody, the platform admin, a bureau officer, a fund officer, a hospital buyer,
//! a supplier) × an object of the caller's own, one of another tenant of the same region, and one
//! of another region (广州, which the test creates with a whole order-to-payable chain).
//!
//! The expected outcome of each cell is kept in `TABLE`, below. An operation of the document
//! without a row fails the test, and so does a row without an operation. Beside the table, rules
//! that hold whatever the table says:
//! - nobody signed in gets 401 from every operation that needs a token;
//! - no caller but the admin gets a 2xx on another region's object;
//! - no 2xx body shows a caller an id it must not see: another hospital's or supplier's order,
//!   delivery, payable or agreed volume, or anything of the other region.
//!
//! Set `JICAI_MATRIX_PRINT=1` to print the observed table (to review a new route's row).

use crate::fixtures::*;
use jicai_tests::{on_both_databases, Client, Env};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// The callers, in the order of each group of the table's expectation strings.
const CALLERS: [&str; 6] = ["-", "admin", "bureau1", "fund1", "hospital1", "supplier1"];

/// Which object a path's `{id}` names: the caller's own, another tenant's, another region's.
const SCOPES: [&str; 3] = ["own", "tenant", "region"];

/// A uuid no record has: for nested ids (a tender's bid, demand, objection; a case's repair).
const NO_SUCH: &str = "01a24ca8-0000-7000-8000-000000000000";

/// One row per operation: its resource (what `{id}` names; `-` when it has no id) and the
/// expected outcome per scope, 6 callers each, in the order of `CALLERS`:
/// `o` 2xx (or 304); `r` refused for the request itself, after or before the wall (400, 409, 415,
/// 422); `U` 401; `F` 403; `N` 404; `-` not tried (no such object: the tenant of a region-wide
/// resource is the region itself). A write sends the body `body_for` makes from the scope's
/// object, valid where the wall is to be reached; `{}` elsewhere.
const TABLE: &[(&str, &str, &str)] = &[
    ("GET /api/v1/agreed-volumes", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/agreed-volumes/{id}", "volume", "U o o o o o | U o o o N o | U o N N N N"),
    ("GET /api/v1/audit-events", "-", "U o o o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/batches", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/batches/{id}", "batch", "U o o o o o | - - - - - - | U o N N N N"),
    ("GET /api/v1/calendar", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/credit/cases", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/credit/cases/{id}", "credit-case", "U N o N N N | - - - - - - | - - - - - -"),
    ("GET /api/v1/credit/letters", "-", "U F o o F o | - - - - - - | - - - - - -"),
    ("GET /api/v1/credit/letters/{id}/file", "letter", "U F o o F o | - - - - - - | - - - - - -"),
    ("GET /api/v1/credit/schemes", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/deliveries", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/deliveries/{id}", "delivery", "U o o o o o | U o o o N N | U o N N N N"),
    ("GET /api/v1/hospital-statements", "org", "U F o o o F | U F o o N F | U F N N N F"),
    ("GET /api/v1/imports/{kind}/template", "import", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/job-runs", "-", "U o o o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/ledger/balances", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/listed-products", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/me", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/monitoring/progress", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/monitoring/summary", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/monitoring/warnings", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/ocds/batches/{id}/record", "batch", "o o o o o o | - - - - - - | o o o o o o"),
    ("GET /api/v1/ocds/batches/{id}/releases", "batch", "o o o o o o | - - - - - - | o o o o o o"),
    ("GET /api/v1/ocds/bulk", "-", "o o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/ocds/tenders/{id}/record", "tender", "o o o o o o | - - - - - - | N N N N N N"),
    ("GET /api/v1/ocds/tenders/{id}/releases", "tender", "o o o o o o | - - - - - - | N N N N N N"),
    ("GET /api/v1/orders", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/orders/{id}", "order", "U o o o o o | U o o o N N | U o N N N N"),
    ("GET /api/v1/organizations", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/organizations/{id}", "org", "U o o o o o | U o o o N o | U o N N N N"),
    ("GET /api/v1/outbox", "-", "U o o F F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/payables", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/payables/export", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/payables/totals", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/payables/{id}", "payable", "U o o o o o | U o o o N N | U o N N N N"),
    ("GET /api/v1/payables/{id}/invoices", "payable", "U o o o o o | U o o o N N | U o N N N N"),
    ("GET /api/v1/payment-batches", "-", "U F o o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/payment-batches/{id}", "payment-batch", "U o o o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/payment-batches/{id}/bank-file", "payment-batch", "U F F o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/payment-standards", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/payment-standards/export", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/payment-standards/feed", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/payment-standards/{id}", "standard", "U o o o o N | - - - - - - | - - - - - -"),
    ("GET /api/v1/policies", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/policies/due-date", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/product-flow", "-", "U F F F F o | - - - - - - | - - - - - -"),
    ("GET /api/v1/products", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/products/{id}", "product", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/public/regions", "-", "o o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/public/regions/{code}/{kind}", "public", "o o o o o o | - - - - - - | N N N N N N"),
    ("GET /api/v1/publications", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/publications/preview", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/regions", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/retention-runs", "-", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/retention-runs/{id}", "retention-run", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/retention-runs/{id}/explain", "retention-run", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/retention-runs/{id}/export", "retention-run", "U F o o o F | - - - - - - | - - - - - -"),
    ("GET /api/v1/retention/inputs", "-", "U F o o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/settlement/summary", "-", "U F o o F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/tenders", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/tenders/{id}", "tender", "U o o o o o | - - - - - - | U o N N N N"),
    ("GET /api/v1/tenders/{id}/board", "tender", "U r r r r r | - - - - - - | U r N N N N"),
    ("GET /api/v1/tenders/{id}/demand-totals", "tender", "U F o F F F | - - - - - - | U F N F F F"),
    ("GET /api/v1/tenders/{id}/demands", "tender", "U o o o o o | - - - - - - | U o N N N N"),
    ("GET /api/v1/tenders/{id}/my-bids", "tender", "U F F F F o | - - - - - - | U F F F F N"),
    ("GET /api/v1/tenders/{id}/objections", "tender", "U o o o o o | - - - - - - | U o N N N N"),
    ("GET /api/v1/tenders/{id}/qualifications", "tender", "U o o o o o | - - - - - - | U o N N N N"),
    ("GET /api/v1/tenders/{id}/results", "tender", "U r r r r r | - - - - - - | U r N N N N"),
    ("GET /api/v1/users", "-", "U o o F F F | - - - - - - | - - - - - -"),
    ("GET /api/v1/winning-bids", "-", "U o o o o o | - - - - - - | - - - - - -"),
    ("GET /api/v1/winning-bids/{id}", "bid", "U o o o o o | - - - - - - | U o N N N N"),
    ("GET /healthz", "-", "o o o o o o | - - - - - - | - - - - - -"),
    ("POST /api/v1/agreed-volumes", "bid", "U F o F F F | - - - - - - | U F r F F F"),
    ("POST /api/v1/auth/login", "-", "r r r r r r | - - - - - - | - - - - - -"),
    ("POST /api/v1/batches", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/credit/cases", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/credit/cases/{id}/approve", "credit-case", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/credit/cases/{id}/decide", "credit-case", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/credit/cases/{id}/dismiss", "credit-case", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/credit/cases/{id}/repairs", "credit-case", "U F F F F N | - - - - - - | - - - - - -"),
    (
        "POST /api/v1/credit/cases/{id}/repairs/{repair_id}/review",
        "credit-case",
        "U F N F F F | - - - - - - | - - - - - -",
    ),
    ("POST /api/v1/credit/letters", "-", "U r r r r r | - - - - - - | - - - - - -"),
    ("POST /api/v1/deliveries", "order", "U F F F F r | U F F F F N | U F F F F N"),
    ("POST /api/v1/deliveries/{id}/acceptance", "delivery", "U F F F r F | U F F F N F | U F F F N F"),
    ("POST /api/v1/deliveries/{id}/acceptance/confirm", "delivery", "U F F F r F | U F F F N F | U F F F N F"),
    ("POST /api/v1/imports/{kind}", "import", "U r r r r r | - - - - - - | - - - - - -"),
    ("POST /api/v1/job-runs", "-", "U o o o F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/listed-products", "-", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/me/password", "-", "U r r r r r | - - - - - - | - - - - - -"),
    ("POST /api/v1/monthly-settlements", "org", "U F F r F F | U F F r F F | U F F r F F"),
    ("POST /api/v1/orders", "bid", "U F F F o F | - - - - - - | U F F F r F"),
    ("POST /api/v1/orders/{id}/cancel", "order", "U F F F r F | U F F F N F | U F F F N F"),
    ("POST /api/v1/orders/{id}/confirm", "order", "U F F F F r | U F F F F N | U F F F F N"),
    ("POST /api/v1/orders/{id}/decline", "order", "U F F F F r | U F F F F N | U F F F F N"),
    ("POST /api/v1/organizations", "-", "U o F F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/payables/{id}/confirm", "payable", "U F F F r F | U F F F N F | U F F F N F"),
    ("POST /api/v1/payables/{id}/dispute", "payable", "U F F F r F | U F F F N F | U F F F N F"),
    ("POST /api/v1/payables/{id}/invoices", "payable", "U F F F F r | U F F F F N | U F F F F N"),
    ("POST /api/v1/payables/{id}/resolve-dispute", "payable", "U F F F r F | U F F F N F | U F F F N F"),
    ("POST /api/v1/payment-batches", "payable", "U F F r F F | U F F r F F | U F F r F F"),
    ("POST /api/v1/payment-batches/{id}/approve", "payment-batch", "U F F r F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/payment-batches/{id}/prepare", "payment-batch", "U F F r F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/payment-standards/compute", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/payment-standards/publish", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/payment-standards/{id}/publish", "standard", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/policies", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/policies/{kind}", "policy", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/products", "-", "U r r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/publications", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/regions", "-", "U o F F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/retention-runs", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/retention-runs/{id}/approve", "retention-run", "U F r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/tenders", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/tenders/{id}/bids", "tender", "U F F F F F | - - - - - - | U F F F F N"),
    ("POST /api/v1/tenders/{id}/bids/{bid_id}/offer", "tender", "U F F F F r | - - - - - - | U F F F F N"),
    ("POST /api/v1/tenders/{id}/demands", "tender", "U F F F r F | - - - - - - | U F F F N F"),
    ("POST /api/v1/tenders/{id}/demands/import", "tender", "U r r r r r | - - - - - - | U r r r r r"),
    ("POST /api/v1/tenders/{id}/demands/{demand_id}/send-back", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/enact", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/finalize", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/move", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/objections", "tender", "U F F F F r | - - - - - - | U F F F F N"),
    ("POST /api/v1/tenders/{id}/objections/{objection_id}/answer", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/open", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/picks", "tender", "U F F F F r | - - - - - - | U F F F F N"),
    ("POST /api/v1/tenders/{id}/picks/lapsed", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/propose", "tender", "U F r F F F | - - - - - - | U F N F F F"),
    ("POST /api/v1/tenders/{id}/qualifications", "tender", "U F F F F F | - - - - - - | U F F F F N"),
    ("POST /api/v1/users", "-", "U o r F F F | - - - - - - | - - - - - -"),
    ("POST /api/v1/users/{id}/activate", "user", "U o o F F F | U o o F F F | U o N F F F"),
    ("POST /api/v1/users/{id}/deactivate", "user", "U o o F F F | U o o F F F | U o N F F F"),
    ("POST /api/v1/users/{id}/password", "user", "U o o F F F | U o o F F F | U o N F F F"),
    ("POST /api/v1/users/{id}/role", "user", "U o o F F F | U o o F F F | U o N F F F"),
    ("POST /api/v1/users/{id}/unlock", "user", "U o o F F F | U o o F F F | U o N F F F"),
    ("POST /api/v1/winning-bids", "-", "U F r F F F | - - - - - - | - - - - - -"),
    ("PUT /api/v1/calendar", "-", "U F o F F F | - - - - - - | - - - - - -"),
    ("PUT /api/v1/deliveries/{id}/acceptance", "delivery", "U F F F r F | U F F F N F | U F F F N F"),
    ("PUT /api/v1/payments/{bank_reference}", "payable", "U F F r F F | U F F r F F | U F F N F F"),
    ("PUT /api/v1/products/{id}/consistency", "product", "U o o F F F | - - - - - - | - - - - - -"),
    ("PUT /api/v1/retention/inputs", "-", "U F o F F F | - - - - - - | - - - - - -"),
];

/// The outcome class of a status, in the table's letters.
fn class(status: u16) -> char {
    match status {
        200..=299 | 304 => 'o',
        400 | 409 | 415 | 422 => 'r',
        401 => 'U',
        403 => 'F',
        404 => 'N',
        _ => '?',
    }
}

/// The ids of each resource, per scope.
#[derive(Default)]
struct Objects(BTreeMap<&'static str, [Option<String>; 3]>);

impl Objects {
    fn set(&mut self, resource: &'static str, own: Option<String>, tenant: Option<String>, region: Option<String>) {
        self.0.insert(resource, [own, tenant, region]);
    }
    fn get(&self, resource: &str, scope: usize) -> Option<&str> {
        self.0.get(resource).unwrap_or_else(|| panic!("no objects for resource {resource}"))[scope].as_deref()
    }
}

fn first_id(c: &Client, list: &str) -> String {
    let page = c.ok(list);
    page["items"][0]["id"].as_str().unwrap_or_else(|| panic!("{list} is empty: {page}")).to_string()
}

fn created(r: jicai_tests::Resp, what: &str) -> Value {
    assert!(r.status == 200 || r.status == 201, "{what}: {} {}", r.status, r.body);
    r.body
}

/// A user of `org` with `role`, for the user-administration rows (never one of the callers).
fn matrix_user(admin: &Client, name: &str, role: &str, org: &str) -> String {
    let r = admin.post(
        "/api/v1/users",
        &json!({"username": name, "password": jicai_tests::DEMO_PASSWORD, "role": role, "org_id": org}),
    );
    created(r, name)["id"].as_str().unwrap().to_string()
}

/// The other region's whole chain: a batch, a bid, an agreed volume, an order, a delivery, a
/// payable, a tender, a hospital and a user.
fn second_region_objects(env: &Env, template_bid: &Value) -> (BTreeMap<&'static str, String>, [Value; 4]) {
    let (bureau_gz, hospital_gz, supplier_new) = crate::tenancy::second_region(env);
    let batch = created(
        bureau_gz.post(
            "/api/v1/batches",
            &json!({"name": "国家组织药品集中采购 第七批", "level": "national", "category": "drug",
                    "document_no": "国联采字〔2022〕1号", "cycle_start": "2026-01-01", "cycle_end": "2027-12-31"}),
        ),
        "batch in 广州",
    );
    let bid = created(
        bureau_gz.post(
            "/api/v1/winning-bids",
            &json!({"batch_id": batch["id"], "product_code": template_bid["product"]["code"],
                    "enterprise_id": template_bid["enterprise_id"], "pack_price": template_bid["pack_price"],
                    "supply_regions": [{"region_code": "440100", "role": "primary"}],
                    "distributor_ids": [org_id(&supplier_new)]}),
        ),
        "bid in 广州",
    );
    let volume = created(
        bureau_gz.post(
            "/api/v1/agreed-volumes",
            &json!({"hospital_id": org_id(&hospital_gz), "winning_bid_id": bid["id"], "reported_demand": 10000}),
        ),
        "agreed volume in 广州",
    );
    let order = place(&hospital_gz, &org_id(&supplier_new), &bid, 3);
    confirm(&supplier_new, &order);
    let qty = order["lines"][0]["quantity"].as_i64().unwrap();
    let delivery = ship(&supplier_new, &order, qty, "GZ2611");
    let accepted = accept(&hospital_gz, &delivery, qty, 0, None);
    let tender = created(
        bureau_gz.post(
            "/api/v1/tenders",
            &json!({
                "name": "广州矩阵测试带量采购", "document_no": "穗医保〔2026〕9号", "category": "drug", "level": "provincial",
                "cycle_start": "2027-01-01", "cycle_end": "2028-12-31",
                "demand_closes_at": "2026-12-05T17:00:00+08:00", "bid_deadline": "2026-12-10T17:00:00+08:00",
                "opening_at": "2026-12-11T09:30:00+08:00",
                "generics": [{"generic_name": "矩阵他汀片", "dosage_form": "片剂", "rep_strength": "10", "strength_unit": "mg",
                              "min_unit": "片", "max_price": "1.2000"}]
            }),
        ),
        "tender in 广州",
    );
    let admin = env.login("admin");
    let user = matrix_user(&admin, "matrix_gz", "hospital_buyer", &org_id(&hospital_gz));
    let ids = BTreeMap::from([
        ("batch", id(&batch).to_string()),
        ("bid", id(&bid).to_string()),
        ("volume", id(&volume).to_string()),
        ("order", id(&order).to_string()),
        ("delivery", id(&delivery).to_string()),
        ("payable", accepted["acceptance"]["payable_id"].as_str().unwrap().to_string()),
        ("tender", id(&tender).to_string()),
        ("org", org_id(&hospital_gz)),
        ("user", user),
    ]);
    (ids, [order, delivery, bid, tender])
}

/// Sends one cell's request and returns its status and body text.
fn call(c: &Client, method: &str, path: &str, body: &Value) -> (u16, String) {
    let request = c.request(method, path);
    let result = if method == "GET" { request.call() } else { request.send_json(body.clone()) };
    let response = match result {
        Ok(r) | Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {path}: transport error (a dropped connection?): {e}"),
    };
    let status = response.status();
    let mut bytes = Vec::new();
    response.into_reader().take(64 * 1024 * 1024).read_to_end(&mut bytes).expect("body");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The documents bodies are made from, per scope (own, tenant, region).
struct Docs {
    order: [Option<Value>; 3],
    delivery: [Option<Value>; 3],
    bid: [Option<Value>; 3],
    tender: [Option<Value>; 3],
    payable: [Option<String>; 3],
    hospital: [Option<String>; 3],
    /// The own supplier (supplier1) and the maker of the own bid.
    supplier: String,
    maker: String,
}

/// The body a cell sends: valid, so that the wall (and not a missing field) answers, wherever
/// the scope's object makes one.
fn body_for(op: &str, docs: &Docs, scope: usize) -> Value {
    let order = docs.order[scope].as_ref();
    let delivery = docs.delivery[scope].as_ref();
    let bid = docs.bid[scope].as_ref();
    let generic = docs.tender[scope].as_ref().map(|t| t["generics"][0]["id"].clone()).unwrap_or(Value::Null);
    let product_code = docs.bid[0].as_ref().unwrap()["product"]["code"].clone();
    let body = match op {
        "POST /api/v1/orders" => bid.map(|b| order_body(&docs.supplier, b, 1)),
        "POST /api/v1/agreed-volumes" => bid.map(|b| {
            json!({"hospital_id": docs.hospital[scope], "winning_bid_id": b["id"], "reported_demand": 100, "agreement_year": 2})
        }),
        "POST /api/v1/winning-bids" => Some(json!({
            "batch_id": bid.map(|b| b["batch_id"].clone()), "product_code": product_code, "enterprise_id": docs.maker,
            "pack_price": "9.99", "supply_regions": [{"region_code": "440300", "role": "primary"}]})),
        "POST /api/v1/deliveries" => order.map(|o| ship_body(o, 1, "MX2611")),
        "POST /api/v1/deliveries/{id}/acceptance" | "PUT /api/v1/deliveries/{id}/acceptance" => {
            delivery.map(|d| acceptance_body(d, d["lines"][0]["quantity"].as_i64().unwrap_or(1), 0, None))
        }
        "POST /api/v1/orders/{id}/decline" => Some(json!({"reason": "矩阵测试"})),
        "POST /api/v1/payables/{id}/dispute" => Some(json!({"amount": "1.00", "reason": "矩阵测试"})),
        "POST /api/v1/payables/{id}/invoices" => Some(json!({"invoices": [
            {"invoice_no": "MX0001", "invoice_date": "2026-11-22", "amount": "1.00", "tax_amount": "0.12"}]})),
        "POST /api/v1/payables/{id}/resolve-dispute" => Some(json!({"outcome": "withdrawn"})),
        "PUT /api/v1/payments/{bank_reference}" => docs.payable[scope]
            .as_ref()
            .map(|p| json!({"payable_id": p, "amount": "1.00", "payee_id": docs.supplier, "paid_on": "2026-11-22"})),
        "POST /api/v1/payment-batches" => docs.payable[scope].as_ref().map(|p| json!({"payable_ids": [p]})),
        "POST /api/v1/monthly-settlements" => {
            docs.hospital[scope].as_ref().map(|h| json!({"hospital_id": h, "month": "2026-10", "amount": "1.00"}))
        }
        "POST /api/v1/users/{id}/password" => Some(json!({"password": "Matrix-2026-passw0rd"})),
        "POST /api/v1/users/{id}/role" => Some(json!({"role": "hospital_buyer"})),
        "POST /api/v1/tenders/{id}/bids" => Some(json!({"generic_id": generic, "pack_price": "1.00"})),
        "POST /api/v1/tenders/{id}/bids/{bid_id}/offer" => Some(json!({"accept": true})),
        "POST /api/v1/tenders/{id}/demands" => Some(json!({"lines": [{"generic_id": generic, "quantity": 1000}]})),
        "POST /api/v1/tenders/{id}/demands/{demand_id}/send-back" => Some(json!({"reason": "矩阵测试"})),
        "POST /api/v1/tenders/{id}/move" => Some(json!({"move": "publish"})),
        "POST /api/v1/tenders/{id}/objections" => Some(json!({"body": "矩阵测试异议"})),
        "POST /api/v1/tenders/{id}/objections/{objection_id}/answer" => Some(json!({"answer": "矩阵测试答复"})),
        "POST /api/v1/tenders/{id}/picks" => Some(json!({"generic_id": generic, "region_id": NO_SUCH})),
        "POST /api/v1/tenders/{id}/qualifications" => {
            Some(json!({"generic_id": generic, "product_code": product_code, "strength": "10"}))
        }
        "POST /api/v1/credit/cases/{id}/approve" | "POST /api/v1/credit/cases/{id}/repairs/{repair_id}/review" => {
            Some(json!({"approve": false, "note": "矩阵测试"}))
        }
        "POST /api/v1/credit/cases/{id}/decide" => Some(json!({"grade": "C", "reason": "矩阵测试"})),
        "POST /api/v1/credit/cases/{id}/dismiss" => Some(json!({"reason": "矩阵测试"})),
        "POST /api/v1/credit/cases/{id}/repairs" => Some(json!({"measure": "public_apology", "evidence": "矩阵测试"})),
        "POST /api/v1/credit/cases" => Some(json!({
            "basis": "administrative_penalty", "document_no": "深医保罚〔2026〕99号", "decision_date": "2026-11-01",
            "conduct": "unfair_pricing", "summary": "矩阵测试", "parties": [{"enterprise_id": docs.maker, "role": "mah"}]})),
        "POST /api/v1/products/{id}/consistency" | "PUT /api/v1/products/{id}/consistency" => Some(json!({"consistency": "passed"})),
        "POST /api/v1/policies/{kind}" => Some(json!({"effective_from": "2027-06-01", "params": {}})),
        "POST /api/v1/policies" => Some(json!({"effective_from": "2027-06-01", "rule": "calendar_days", "days": 30})),
        "POST /api/v1/batches" => Some(json!({"name": "矩阵测试批次", "level": "provincial", "category": "drug",
            "document_no": "矩阵〔2026〕1号", "cycle_start": "2027-01-01", "cycle_end": "2027-12-31"})),
        "POST /api/v1/products" => Some(json!({"code": "MATRIX0001", "generic_name": "矩阵测试片", "dosage_form": "片剂",
            "specification": "10mg", "pack_size": 10, "min_unit": "片"})),
        "POST /api/v1/listed-products" => {
            Some(json!({"product_code": product_code, "enterprise_id": docs.maker, "pack_price": "99.00"}))
        }
        "POST /api/v1/organizations" => {
            Some(json!({"kind": "hospital", "name": "矩阵测试医院", "region_code": "440300", "hospital_level": 2}))
        }
        "POST /api/v1/regions" => Some(json!({"code": "440200", "province_code": "440000", "name": "韶关市"})),
        "POST /api/v1/users" => docs.hospital[0].as_ref().map(|h| {
            json!({"username": "matrix_new", "password": jicai_tests::DEMO_PASSWORD, "role": "hospital_buyer", "org_id": h})
        }),
        "POST /api/v1/tenders" => Some(json!({
            "name": "矩阵测试带量采购", "document_no": "矩阵〔2026〕2号", "category": "drug", "level": "provincial",
            "cycle_start": "2027-01-01", "cycle_end": "2028-12-31",
            "demand_closes_at": "2026-12-05T17:00:00+08:00", "bid_deadline": "2026-12-10T17:00:00+08:00",
            "opening_at": "2026-12-11T09:30:00+08:00",
            "generics": [{"generic_name": "矩阵他汀片", "dosage_form": "片剂", "rep_strength": "10", "strength_unit": "mg",
                          "min_unit": "片", "max_price": "1.2000"}]})),
        "PUT /api/v1/retention/inputs" => Some(json!({"agreement_year": 1, "values": [
            {"kind": "fund_ratio", "subject": "", "value": "0.7", "comment": "矩阵测试"}]})),
        "POST /api/v1/job-runs" => Some(json!({"job": "monitoring", "as_of": "2026-11-21"})),
        "POST /api/v1/retention-runs" => Some(json!({"agreement_year": 1, "as_of": "2026-11-21"})),
        "POST /api/v1/publications" => Some(json!({"kind": "winning_prices"})),
        "POST /api/v1/payment-standards/publish" => Some(json!({"effective_from": "2027-01-01"})),
        "POST /api/v1/payment-standards/compute" => Some(json!({"effective_from": "2027-01-01"})),
        "PUT /api/v1/calendar" => Some(json!([{"day": "2027-10-08", "is_working": false, "name": "矩阵测试"}])),
        _ => None,
    };
    body.unwrap_or_else(|| json!({}))
}

/// The query a read sends where its required parameters would otherwise be refused first.
fn query_for(op: &str, docs: &Docs, scope: usize) -> String {
    let hospital = docs.hospital[scope].as_deref().unwrap_or(NO_SUCH);
    match op {
        "GET /api/v1/calendar" => "?year=2026".into(),
        "GET /api/v1/hospital-statements" => format!("?hospital_id={hospital}&month=2026-11"),
        "GET /api/v1/publications/preview" => "?kind=winning_prices".into(),
        "GET /api/v1/retention/inputs" => "?agreement_year=1".into(),
        "GET /api/v1/retention-runs/{id}/explain" => format!("?hospital_id={}", docs.hospital[0].as_deref().unwrap()),
        _ => String::new(),
    }
}

on_both_databases!(every_operation_every_role_every_scope);

fn every_operation_every_role_every_scope(backend: jicai_tests::Backend) {
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let admin = env.login("admin");
    let bureau = env.login("bureau1");
    let hospital = env.login("hospital1");
    let supplier = env.login("supplier1");
    let other_hospital = env.login("hospital2");
    let other_supplier = env.login("supplier2");

    // 深圳: hospital1's order to supplier1 (own) and hospital2's to supplier2 (another tenant),
    // each shipped and accepted into a payable.
    let chain = |h: &Client, s: &Client| {
        let shipped = shipped_order(h, s, 4);
        let qty = shipped.order["lines"][0]["quantity"].as_i64().unwrap();
        let accepted = accept(h, &shipped.delivery, qty, 0, None);
        let payable = accepted["acceptance"]["payable_id"].as_str().unwrap().to_string();
        let volume = volume(h, id(&shipped.bid))["id"].as_str().unwrap().to_string();
        (shipped, payable, volume)
    };
    let (own, own_payable, own_volume) = chain(&hospital, &supplier);
    let (tenant, tenant_payable, tenant_volume) = chain(&other_hospital, &other_supplier);
    let (gz, [gz_order, gz_delivery, gz_bid, gz_tender]) = second_region_objects(&env, &own.bid);
    let region = |k: &str| Some(gz[k].clone());

    let mut objects = Objects::default();
    let s = |v: &str| Some(v.to_string());
    objects.set("order", s(id(&own.order)), s(id(&tenant.order)), region("order"));
    objects.set("delivery", s(id(&own.delivery)), s(id(&tenant.delivery)), region("delivery"));
    objects.set("payable", Some(own_payable.clone()), Some(tenant_payable.clone()), region("payable"));
    objects.set("volume", Some(own_volume.clone()), Some(tenant_volume.clone()), region("volume"));
    objects.set("batch", s(own.bid["batch_id"].as_str().unwrap()), None, region("batch"));
    objects.set("bid", s(id(&own.bid)), None, region("bid"));
    objects.set("product", s(own.bid["product"]["id"].as_str().unwrap()), None, None);
    objects.set("org", Some(org_id(&hospital)), Some(org_id(&other_hospital)), region("org"));
    objects.set(
        "user",
        Some(matrix_user(&admin, "matrix_own", "hospital_buyer", &org_id(&hospital))),
        Some(matrix_user(&admin, "matrix_tenant", "hospital_buyer", &org_id(&other_hospital))),
        region("user"),
    );
    let own_tender = bureau.ok(&format!("/api/v1/tenders/{}", first_id(&bureau, "/api/v1/tenders")));
    objects.set("tender", s(id(&own_tender)), None, region("tender"));
    objects.set("payment-batch", Some(first_id(&env.login("fund1"), "/api/v1/payment-batches")), None, None);
    objects.set("retention-run", Some(first_id(&bureau, "/api/v1/retention-runs")), None, None);
    objects.set("credit-case", Some(first_id(&bureau, "/api/v1/credit/cases")), None, None);
    objects.set("letter", Some(first_id(&bureau, "/api/v1/credit/letters")), None, None);
    objects.set("standard", Some(first_id(&bureau, "/api/v1/payment-standards")), None, None);
    objects.set("import", s("products"), None, None);
    objects.set("public", s("440300"), None, s("440100"));
    objects.set("policy", s("order_limit"), None, None);
    let docs = Docs {
        order: [Some(own.order.clone()), Some(tenant.order.clone()), Some(gz_order)],
        delivery: [Some(own.delivery.clone()), Some(tenant.delivery.clone()), Some(gz_delivery)],
        bid: [Some(own.bid.clone()), None, Some(gz_bid)],
        tender: [Some(own_tender), None, Some(gz_tender)],
        payable: [Some(own_payable.clone()), Some(tenant_payable.clone()), region("payable")],
        hospital: [Some(org_id(&hospital)), Some(org_id(&other_hospital)), region("org")],
        supplier: org_id(&supplier),
        maker: own.bid["enterprise_id"].as_str().unwrap().to_string(),
    };

    // What each caller must never see in a 2xx body.
    let region_ids: BTreeSet<String> = gz.values().cloned().collect();
    let tenant_ids: BTreeSet<String> =
        [id(&tenant.order).to_string(), id(&tenant.delivery).to_string(), tenant_payable.clone()].into();
    let forbidden = |caller: &str| -> BTreeSet<String> {
        match caller {
            "admin" => BTreeSet::new(),
            // A supplier sees the agreed volumes on its bids (to plan supply), a hospital its own.
            "hospital1" => region_ids.union(&tenant_ids).cloned().chain([tenant_volume.clone()]).collect(),
            // Enterprises bid in every region: a supplier may read another region's tender.
            "supplier1" => region_ids.union(&tenant_ids).filter(|i| **i != gz["tender"]).cloned().collect(),
            _ => region_ids.clone(),
        }
    };

    let clients: Vec<Client> =
        CALLERS.iter().map(|c| if *c == "-" { env.server.client() } else { env.login(c) }).collect();

    // Every operation of the document, and the table's rows.
    let doc = clients[0].ok("/api/v1/openapi.json");
    let mut operations: BTreeMap<String, bool> = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                let secured = op.get("security").is_some_and(|s| !s.as_array().unwrap().is_empty());
                operations.insert(format!("{} {path}", method.to_uppercase()), secured);
            }
        }
    }
    let table: BTreeMap<&str, (&str, &str)> = TABLE.iter().map(|(op, res, exp)| (*op, (*res, *exp))).collect();
    let printing = std::env::var_os("JICAI_MATRIX_PRINT").is_some();
    let missing: Vec<&String> = operations.keys().filter(|op| !table.contains_key(op.as_str())).collect();
    let stale: Vec<&&str> = table.keys().filter(|op| !operations.contains_key(**op)).collect();
    if !printing {
        assert!(missing.is_empty(), "operations without a row in the matrix table: {missing:?}");
        assert!(stale.is_empty(), "rows of the matrix table without an operation: {stale:?}");
    }

    let mut failures = Vec::new();
    let mut cells = 0;
    let mut observed_rows = Vec::new();
    for (op, secured) in &operations {
        let (method, template) = op.split_once(' ').unwrap();
        let resource = table.get(op.as_str()).map(|r| r.0).unwrap_or_else(|| guess_resource(op));
        let expected: Vec<Vec<char>> = table
            .get(op.as_str())
            .map(|r| {
                r.1.split('|').map(|g| g.split_whitespace().map(|t| t.chars().next().unwrap()).collect()).collect()
            })
            .unwrap_or_default();
        let mut observed = Vec::new();
        for (scope, scope_name) in SCOPES.iter().enumerate() {
            let path = if resource == "-" {
                (scope == 0).then(|| template.to_string())
            } else {
                objects.get(resource, scope).map(|object| fill(template, object))
            };
            let Some(path) = path else {
                observed.push("- - - - - -".to_string());
                continue;
            };
            let mut group = Vec::new();
            for (i, caller) in CALLERS.iter().enumerate() {
                let body = body_for(op, &docs, scope);
                let path = format!("{path}{}", query_for(op, &docs, scope));
                let path = path.replace("{bank_reference}", &format!("MX-{scope}-{i}"));
                let (status, text) = call(&clients[i], method, &path, &body);
                cells += 1;
                let got = class(status);
                group.push(got.to_string());
                let cell = format!(
                    "{op} [{scope_name} object] as {caller}: {status} {}",
                    text.chars().take(160).collect::<String>()
                );
                if let Some(want) = expected.get(scope).and_then(|g| g.get(i)) {
                    if *want != got {
                        failures.push(format!("expected {want}, got {cell}"));
                    }
                }
                if got == '?' {
                    failures.push(format!("a status no caller should ever get: {cell}"));
                }
                if *secured && *caller == "-" && status != 401 {
                    failures.push(format!("without a token, not 401: {cell}"));
                }
                if scope == 2 && *caller != "admin" && (200..300).contains(&status) && *secured {
                    failures.push(format!("a 2xx on another region's object: {cell}"));
                }
                if (200..300).contains(&status) && *secured {
                    for leaked in forbidden(caller).iter().filter(|f| text.contains(f.as_str())) {
                        failures.push(format!("shows {leaked}, which {caller} must not see: {cell}"));
                    }
                }
            }
            observed.push(group.join(" "));
        }
        observed_rows.push(format!("    (\"{op}\", \"{resource}\", \"{}\"),", observed.join(" | ")));
    }
    if printing {
        println!("{}", observed_rows.join("\n"));
    }
    jicai_tests::figure(&format!(
        "matrix backend={backend:?} operations={} cells={cells} failed={}",
        operations.len(),
        failures.len()
    ));
    assert!(failures.is_empty(), "{} of {cells} cells failed:\n{}", failures.len(), failures.join("\n"));
    assert!(missing.is_empty() && stale.is_empty(), "missing rows {missing:?}, stale rows {stale:?}");
}

/// The resource an unknown operation's `{id}` (or body) most likely names, for the printed row.
fn guess_resource(op: &str) -> &'static str {
    let by_body = [
        ("POST /api/v1/orders", "bid"),
        ("POST /api/v1/agreed-volumes", "bid"),
        ("POST /api/v1/deliveries", "order"),
        ("POST /api/v1/payment-batches", "payable"),
        ("POST /api/v1/monthly-settlements", "org"),
        ("GET /api/v1/hospital-statements", "org"),
        ("PUT /api/v1/payments/{bank_reference}", "payable"),
    ];
    if let Some((_, r)) = by_body.iter().find(|(o, _)| *o == op) {
        return r;
    }
    let template = op.split_once(' ').map(|(_, t)| t).unwrap_or(op);
    let rules: [(&str, &str); 18] = [
        ("/agreed-volumes/{id}", "volume"),
        ("/batches/{id}", "batch"),
        ("/credit/cases/{id}", "credit-case"),
        ("/credit/letters/{id}", "letter"),
        ("/deliveries/{id}", "delivery"),
        ("/imports/{kind}", "import"),
        ("/ocds/batches/{id}", "batch"),
        ("/ocds/tenders/{id}", "tender"),
        ("/orders/{id}", "order"),
        ("/organizations/{id}", "org"),
        ("/payables/{id}", "payable"),
        ("/payment-batches/{id}", "payment-batch"),
        ("/payment-standards/{id}", "standard"),
        ("/policies/{kind}", "policy"),
        ("/products/{id}", "product"),
        ("/public/regions/{code}", "public"),
        ("/retention-runs/{id}", "retention-run"),
        ("/tenders/{id}", "tender"),
    ];
    if template.contains("/users/{id}") {
        return "user";
    }
    if template.contains("/winning-bids/{id}") {
        return "bid";
    }
    rules.iter().find(|(p, _)| template.contains(p)).map(|(_, r)| *r).unwrap_or("-")
}

/// The path with its first parameter set to `object` and any nested one to `NO_SUCH` (or, for a
/// public region's `{kind}`, a kind of publication).
fn fill(template: &str, object: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    let mut first = true;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').unwrap() + start;
        out.push_str(&rest[..start]);
        let name = &rest[start + 1..end];
        let value = if name == "bank_reference" {
            "{bank_reference}"
        } else if first {
            object
        } else if name == "kind" {
            "winning_prices"
        } else {
            NO_SUCH
        };
        out.push_str(value);
        first = false;
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}
