//! The OpenAPI document: paths and schemas are collected from the handlers themselves.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "集采直结 Jicai API",
        description = "Volume-based procurement and direct settlement for medical insurance: winning bids, agreed volumes, \
orders, deliveries, acceptance and the payables the fund pays within 30 days.\n\n\
Money is a decimal string: amounts in yuan with 2 decimals, unit prices with 4. Dates are calendar days in Asia/Shanghai; \
instants are RFC 3339 in UTC. Every list is paginated (`page`, `per_page` ≤ 200). Errors are JSON: \
`{\"error\": {\"code\", \"message\", \"field\", \"details\"}}`. Writes accept an `Idempotency-Key` header.",
        version = env!("CARGO_PKG_VERSION"),
        license(name = "MIT OR Apache-2.0")
    ),
        modifiers(&BearerAuth),
    // Enums used only in query parameters, which the handlers do not register themselves.
    components(schemas(
        jicai_domain::orders::OrderStatus,
        jicai_domain::payables::PayableSort,
        jicai_domain::identity::OrgKind,
        jicai_domain::catalog::Category,
        jicai_domain::standards::StandardStatus
    )),
    tags(
        (name = "auth", description = "Sign-in and the current user"),
        (name = "organizations", description = "Regions and organisations"),
        (name = "users", description = "User administration: create, switch off and on, reset passwords, change roles, lift sign-in locks"),
        (name = "policies", description = "Region policy versions (payment deadline rules)"),
        (name = "catalogue", description = "Products, VBP batches, winning bids, listed non-winning products"),
        (name = "volumes", description = "Agreed volumes"),
        (name = "imports", description = "Excel in: products, winning bids, agreed volumes, listed products, retention inputs and monthly settlements from XLSX or CSV, previewed row by row, committed all or nothing; templates"),
        (name = "orders", description = "Orders"),
        (name = "deliveries", description = "Delivery notes and acceptance"),
        (name = "settlement", description = "Payables, invoices, confirmation, payment batches and payments"),
        (name = "ledger", description = "The fund's double-entry journal, balances and hospital statements"),
        (name = "jobs", description = "Job runs and the mail outbox"),
        (name = "retention", description = "Surplus retention (结余留用): inputs, runs, approval, explanation, export"),
        (name = "monitoring", description = "Agreed-volume progress against pace and early warnings"),
        (name = "tenders", description = "Tendering (招标): demand, qualification, sealed bids, the opening, results, region picks"),
        (name = "credit", description = "Credit rating of enterprises (医药价格和招采信用评价): cases, grading, approval, measures, repair, commitment letters"),
        (name = "payment-standards", description = "Insurance payment standards (医保支付标准): compute from winning prices, publish, explain, export, feed"),
        (name = "disclosure", description = "Public disclosure (信息披露): the bureau publishes snapshots; `/public/...` serves them without sign-in"),
        (name = "open data", description = "OCDS 1.1 open data (Open Contracting Data Standard): public, no sign-in"),
        (name = "audit", description = "The append-only audit log"),
        (name = "system", description = "Health")
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// The year range the server accepts in dates (see `guard`): a date's pattern says it.
const DATE_PATTERN: &str = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
const DATE_TIME_PATTERN: &str = r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T";
/// What the server accepts as an `Idempotency-Key`: 1 to 255 printable ASCII characters.
const IDEMPOTENCY_KEY_PATTERN: &str = r"^[!-~]{1,255}$";

/// The statuses every operation can answer beyond its own, by what the operation takes, with
/// what each means to a client.
fn common_statuses(
    method: &str,
    secured: bool,
    path_params: bool,
    query_params: bool,
) -> Vec<(&'static str, &'static str)> {
    let mut out = vec![
        ("500", "An internal error; it has been logged"),
        ("503", "The database is unavailable or busy; nothing was saved; retry after `Retry-After` seconds"),
    ];
    if secured {
        out.push(("401", "Not signed in, or the session has ended (switched off, password reset, role changed)"));
        out.push(("403", "The caller's role may not do this"));
    }
    if path_params {
        out.push(("404", "No such record, or not the caller's to see"));
    }
    if query_params {
        out.push(("400", "The query string cannot be read (a value of the wrong type)"));
        out.push(("422", "A query value breaks a rule (e.g. a date outside 2000–2100); `field` names it"));
    }
    if matches!(method, "post" | "put" | "patch") {
        out.push(("400", "The body is not valid JSON"));
        out.push(("409", "The record's state does not allow this, or the Idempotency-Key was used with another body"));
        out.push(("413", "The body is larger than 4 MiB"));
        out.push(("415", "The body is not JSON (or the route's file type), or it is compressed"));
        out.push(("422", "A field breaks a rule; `field` names it"));
        out.push(("507", "The server's storage is full; nothing was saved"));
    }
    out
}

/// Adds `pattern` to every date and date-time string schema below `v`.
fn limit_dates(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let is_string = map
                .get("type")
                .is_some_and(|t| t == "string" || t.as_array().is_some_and(|a| a.contains(&"string".into())));
            let pattern = match map.get("format").and_then(|f| f.as_str()) {
                Some("date") if is_string => Some(DATE_PATTERN),
                Some("date-time") if is_string => Some(DATE_TIME_PATTERN),
                _ => None,
            };
            if let Some(p) = pattern {
                map.entry("pattern").or_insert_with(|| p.into());
            }
            map.values_mut().for_each(limit_dates);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(limit_dates),
        _ => {}
    }
}

/// States in the document what the handlers' types cannot: the statuses every route can answer
/// (with the error body), the `Idempotency-Key` header of every write and its charset, the
/// `Retry-After` header of 429 and 503, and the year range of every date.
pub fn complete(doc: &mut serde_json::Value) {
    use serde_json::json;
    limit_dates(doc);
    let error_body = json!({"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}});
    let retry_after = json!({"Retry-After": {"description": "Seconds to wait before retrying", "required": true,
        "schema": {"type": "integer", "minimum": 1}}});
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else { continue };
        for (method, op) in item.iter_mut() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let path_params = path.contains('{');
            let query_params = params.iter().any(|p| p["in"] == "query");
            let writes = matches!(method.as_str(), "post" | "put" | "patch");
            if writes && path.starts_with("/api/v1/") && path != "/api/v1/auth/login" {
                let key = json!({"name": "Idempotency-Key", "in": "header", "required": false,
                    "description": "Makes a retried write safe: the same key and body get the first answer",
                    "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN}});
                let list = op["parameters"].as_array_mut();
                match list {
                    Some(list) => match list.iter_mut().find(|p| p["name"] == "Idempotency-Key") {
                        Some(p) => p["schema"] = key["schema"].clone(),
                        None => list.push(key),
                    },
                    None => op["parameters"] = json!([key]),
                }
            }
            let responses = op["responses"].as_object_mut().expect("responses");
            for (status, description) in common_statuses(method, secured, path_params, query_params) {
                let response = responses
                    .entry(status)
                    .or_insert_with(|| json!({"description": description, "content": error_body.clone()}));
                if status == "503" || status == "429" {
                    response["headers"] = retry_after.clone();
                }
            }
        }
    }
}
