//! Insurance payment standards (医保支付标准): compute, publish, read with the explanation,
//! export (CSV/XLSX) and the JSON feed for hospital and insurance systems.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::paging::Page;
use jicai_domain::standards::{
    self, ComputeRequest, PublishRequest, StandardDetail, StandardFilter, StandardStatus, StandardView,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::export::{self, Sheet};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    // The fixed paths before `/payment-standards/{id}`.
    cfg.service(list_standards)
        .service(compute)
        .service(publish_all)
        .service(export_standards)
        .service(feed)
        .service(get_standard)
        .service(publish);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StandardQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Part of the generic name (通用名) or of the product code.
    pub q: Option<String>,
    pub product_id: Option<String>,
    /// `draft`, `published` or `superseded`.
    pub status: Option<StandardStatus>,
    /// Standards that take effect on this date.
    pub effective_from: Option<NaiveDate>,
    /// Only the published standard in force per product on this date.
    pub in_force_on: Option<NaiveDate>,
}

impl StandardQuery {
    fn filter(&self) -> StandardFilter {
        StandardFilter {
            q: self.q.clone(),
            product_id: self.product_id.clone(),
            status: self.status,
            effective_from: self.effective_from,
            in_force_on: self.in_force_on,
        }
    }
}

/// Payment standards the caller may see: the bureau its region's (drafts included); hospitals
/// and fund officers their region's published ones; suppliers the published standards of their
/// own products. Newest effective date first, or with `in_force_on` the one in force per product.
#[utoipa::path(tag = "payment-standards", params(StandardQuery), responses((status = 200, body = Page<StandardView>)), security(("bearer" = [])))]
#[get("/payment-standards")]
pub async fn list_standards(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<StandardQuery>,
) -> Result<web::Json<Page<StandardView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = q.filter();
    Ok(web::Json(state.run(move |conn, _| standards::list(conn, &caller.0, &filter, page)).await?))
}

/// Computes draft standards (bureau officer) for an effective date (today or later) from the
/// region's winning bids in cycle and its listed non-winning products, by the region's
/// `payment_standard` policy; `variant` picks `national`, `fujian` or `heilongjiang`. Each
/// standard is a new version; earlier drafts of the same date are superseded.
#[utoipa::path(
    tag = "payment-standards",
    request_body = Option<ComputeRequest>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried computation safe")),
    responses((status = 201, body = Vec<StandardView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/payment-standards/compute")]
pub async fn compute(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ComputeRequest =
        if raw.iter().all(u8::is_ascii_whitespace) { Default::default() } else { body::parse(&raw)? };
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        standards::compute(conn, actor, input, now)
    })
    .await
}

/// Publishes every draft of the region that takes effect on `effective_from` (bureau officer),
/// all or none. Published standards never change.
#[utoipa::path(
    tag = "payment-standards",
    request_body = PublishRequest,
    responses((status = 200, body = Vec<StandardView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/payment-standards/publish")]
pub async fn publish_all(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: PublishRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        standards::publish_all(conn, actor, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DetailQuery {
    /// Minimum units of the purchase the patient's share is shown for (default one pack).
    pub quantity: Option<i64>,
}

/// One standard with its explanation line by line (Chinese and English), its inputs, and what
/// the patient and the fund pay for a purchase of `quantity` minimum units.
#[utoipa::path(tag = "payment-standards", params(DetailQuery), responses((status = 200, body = StandardDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payment-standards/{id}")]
pub async fn get_standard(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<DetailQuery>,
) -> Result<web::Json<StandardDetail>, ApiError> {
    let (id, quantity) = (id.into_inner(), q.into_inner().quantity);
    Ok(web::Json(state.run(move |conn, _| standards::get(conn, &caller.0, &id, quantity)).await?))
}

/// Publishes one draft standard (bureau officer).
#[utoipa::path(tag = "payment-standards", responses((status = 200, body = StandardView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/payment-standards/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        standards::publish(conn, actor, &id, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (default) or `xlsx`.
    pub format: Option<String>,
    pub q: Option<String>,
    pub product_id: Option<String>,
    pub status: Option<StandardStatus>,
    pub effective_from: Option<NaiveDate>,
    pub in_force_on: Option<NaiveDate>,
}

/// The standards `GET /payment-standards` shows for the same filters (up to 10,000 rows), as
/// CSV (UTF-8 with a BOM) or XLSX, with Chinese headers.
#[utoipa::path(
    tag = "payment-standards",
    params(ExportQuery),
    responses((status = 200, description = "CSV or XLSX file", content_type = "text/csv"), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/payment-standards/export")]
pub async fn export_standards(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = export::check_format(q.format.clone())?;
    let filter = StandardFilter {
        q: q.q,
        product_id: q.product_id,
        status: q.status,
        effective_from: q.effective_from,
        in_force_on: q.in_force_on,
    };
    let rows = state.run(move |conn, _| standards::export(conn, &caller.0, &filter)).await?;
    let header = vec![
        "通用名 generic_name",
        "产品编码 product_code",
        "规格 specification",
        "最小单位 min_unit",
        "企业 enterprise",
        "来源 source",
        "一致性评价 consistency",
        "生效日期 effective_from",
        "版本 version",
        "状态 status",
        "规则分支 branch",
        "滑行年度 glide_year",
        "产品价格 product_price",
        "中选价格 winning_price",
        "支付标准 standard",
        "患者超额/最小单位 excess_per_unit",
        "基金支付比例 fund_share",
        "规则 variant",
        "政策版本 policy_id",
    ];
    let cells = rows
        .into_iter()
        .map(|s| {
            vec![
                s.generic_name,
                s.product.code.clone(),
                s.product.specification.clone(),
                s.product.min_unit.clone(),
                s.enterprise_name,
                s.source,
                s.consistency.unwrap_or_default(),
                s.effective_from.to_string(),
                s.version.to_string(),
                s.status.as_str().to_string(),
                s.branch.as_str().to_string(),
                s.glide_year.map(|y| y.to_string()).unwrap_or_default(),
                s.product_price.to_string(),
                s.winning_price.to_string(),
                s.standard.to_string(),
                s.excess_per_unit.to_string(),
                s.fund_share,
                s.variant.as_str().to_string(),
                s.policy_id,
            ]
        })
        .collect();
    let sheet = Sheet { name: "支付标准", header, rows: cells };
    if format == "xlsx" {
        export::xlsx(&[sheet], "payment-standards.xlsx")
    } else {
        export::csv(&sheet, "payment-standards.csv")
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The date the standards are in force on (default today).
    pub as_of: Option<NaiveDate>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The feed for hospital and insurance systems: the published standards in force in the
/// caller's region on `as_of`, one per product, with the price, the standard, the basis the
/// fund pays on and the patient's excess per minimum unit.
#[utoipa::path(tag = "payment-standards", params(FeedQuery), responses((status = 200, body = Page<StandardView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payment-standards/feed")]
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<FeedQuery>,
) -> Result<web::Json<Page<StandardView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(
        state
            .run(move |conn, now| {
                let date = q.as_of.unwrap_or_else(|| jicai_domain::clock::shanghai_date(now));
                standards::feed(conn, &caller.0, date, page)
            })
            .await?,
    ))
}
