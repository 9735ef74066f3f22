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
