//! Orders: a hospital places them; the supplier confirms or declines; the hospital may cancel
//! until then.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::orders::{self, NewOrder, OrderFilter, OrderStatus, OrderSummary, OrderView};
use jicai_domain::paging::Page;
use jicai_domain::settlement::product_flow::{self as flow, FlowFilter, FlowLine};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_orders)
        .service(product_flow)
        .service(get_order)
        .service(create_order)
        .service(confirm)
        .service(decline)
        .service(cancel);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub status: Option<OrderStatus>,
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    /// Part of the order number.
    pub order_no: Option<String>,
    /// Placed on or after this date (Asia/Shanghai).
    pub from: Option<NaiveDate>,
    /// Placed on or before this date (Asia/Shanghai).
    pub to: Option<NaiveDate>,
}

/// Start of a Shanghai calendar day, as stored (naive UTC).
fn day_start_utc(d: NaiveDate) -> chrono::NaiveDateTime {
    (d.and_hms_opt(0, 0, 0).expect("midnight") - chrono::Duration::hours(8)).and_utc().naive_utc()
}

/// Orders visible to the caller, newest first.
#[utoipa::path(tag = "orders", params(OrderQuery), responses((status = 200, body = Page<OrderSummary>)), security(("bearer" = [])))]
#[get("/orders")]
pub async fn list_orders(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<OrderQuery>,
) -> Result<web::Json<Page<OrderSummary>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = OrderFilter {
        status: q.status,
        hospital_id: q.hospital_id,
        supplier_id: q.supplier_id,
        order_no: q.order_no,
        created_from: q.from.map(day_start_utc),
        created_to: q.to.map(|d| day_start_utc(d + chrono::Days::new(1))),
    };
    Ok(web::Json(state.run(move |conn, _| orders::list_orders(conn, &caller.0, &filter, page)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlowQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub hospital_id: Option<String>,
    /// The distributor the hospital ordered from.
    pub distributor_id: Option<String>,
    pub product_id: Option<String>,
    /// Ordered on or after this date (Asia/Shanghai).
    pub from: Option<NaiveDate>,
    /// Ordered on or before this date (Asia/Shanghai).
    pub to: Option<NaiveDate>,
}

/// A winning manufacturer's products' flow (中选产品流向), read-only: the order lines for its
/// winning products with the distributor named, what was shipped and accepted, and whether the
/// fund has paid the distributor for each delivery. Newest order first. Suppliers only; a
/// distributor that wins nothing reads an empty list.
#[utoipa::path(
    tag = "orders",
    params(FlowQuery),
    responses((status = 200, body = Page<FlowLine>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/product-flow")]
pub async fn product_flow(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<FlowQuery>,
) -> Result<web::Json<Page<FlowLine>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = FlowFilter {
        hospital_id: q.hospital_id,
        distributor_id: q.distributor_id,
        product_id: q.product_id,
        from: q.from.map(day_start_utc),
        to: q.to.map(|d| day_start_utc(d + chrono::Days::new(1))),
    };
    Ok(web::Json(state.run(move |conn, now| flow::list(conn, &caller.0, &filter, page, now)).await?))
}

/// One order with its lines (ordered, shipped, accepted, open) and status history.
#[utoipa::path(tag = "orders", responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/orders/{id}")]
pub async fn get_order(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<OrderView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| orders::get_order(conn, &caller.0, &id)).await?))
}

/// Places an order (hospital buyer). Winning products only at the winning price, inside the
/// batch's cycle, in a supplied region, from an assigned supplier, in whole packs; lines consume
/// the remaining agreed volume and any excess is marked above-volume.
#[utoipa::path(
    tag = "orders",
    request_body = NewOrder,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = OrderView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/orders")]
pub async fn create_order(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewOrder = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        orders::place_order(conn, actor, input, now)
    })
    .await
}

/// Confirms a submitted order (its supplier).
#[utoipa::path(
    tag = "orders",
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/orders/{id}/confirm")]
pub async fn confirm(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        orders::confirm_order(conn, actor, &id, now)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct DeclineRequest {
    /// Why the supplier cannot serve the order.
    pub reason: String,
}

/// Declines a submitted order with a reason (its supplier); the agreed volume is given back.
#[utoipa::path(
    tag = "orders",
    request_body = DeclineRequest,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/orders/{id}/decline")]
pub async fn decline(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: DeclineRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        orders::decline_order(conn, actor, &id, &input.reason, now)
    })
    .await
}

/// Cancels a submitted order (its hospital); the agreed volume is given back.
#[utoipa::path(
    tag = "orders",
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/orders/{id}/cancel")]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        orders::cancel_order(conn, actor, &id, now)
    })
    .await
}
