//! Delivery notes and acceptance (验收).

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use jicai_domain::delivery::{
    self, AcceptanceInput, AcceptanceLine, AcceptanceMode, DeliveryFilter, DeliveryView, NewDelivery,
};
use jicai_domain::paging::Page;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_deliveries)
        .service(get_delivery)
        .service(create_delivery)
        .service(create_acceptance)
        .service(edit_acceptance)
        .service(confirm_acceptance);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub order_id: Option<String>,
    /// `shipped` (awaiting acceptance) or `accepted`.
    pub status: Option<String>,
}

#[utoipa::path(tag = "deliveries", params(DeliveryQuery), responses((status = 200, body = Page<DeliveryView>)), security(("bearer" = [])))]
#[get("/deliveries")]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<DeliveryQuery>,
) -> Result<web::Json<Page<DeliveryView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = DeliveryFilter { order_id: q.order_id, status: q.status };
    Ok(web::Json(state.run(move |conn, _| delivery::list_deliveries(conn, &caller.0, &filter, page)).await?))
}

#[utoipa::path(tag = "deliveries", responses((status = 200, body = DeliveryView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/deliveries/{id}")]
pub async fn get_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<DeliveryView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| delivery::get_delivery(conn, &caller.0, &id)).await?))
}

/// Ships a delivery note against a confirmed order (its supplier): per line the quantity, lot
/// number, production and expiry dates. Partial shipments are allowed, never more than is open.
#[utoipa::path(
    tag = "deliveries",
    request_body = NewDelivery,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = DeliveryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/deliveries")]
pub async fn create_delivery(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewDelivery = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        delivery::ship(conn, actor, input, now)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct AcceptanceRequest {
    pub received_by: String,
    pub delivered_by: String,
    #[serde(default)]
    pub note: Option<String>,
    pub lines: Vec<AcceptanceLine>,
    /// `true` (default): confirm now, which is final and starts the payment clock; `false`: keep
    /// an editable draft.
    #[serde(default = "yes")]
    pub confirm: bool,
}

fn yes() -> bool {
    true
}

impl AcceptanceRequest {
    fn split(self) -> (AcceptanceInput, AcceptanceMode) {
        let mode = if self.confirm { AcceptanceMode::Confirm } else { AcceptanceMode::Draft };
        (
            AcceptanceInput {
                received_by: self.received_by,
                delivered_by: self.delivered_by,
                note: self.note,
                lines: self.lines,
            },
            mode,
        )
    }
}

/// Records the hospital's acceptance of a delivery: per line `accepted + rejected == shipped`,
/// a reason whenever something is rejected. Confirming creates the payable (day 0 of the
/// payment clock) and cannot be undone.
#[utoipa::path(
    tag = "deliveries",
    request_body = AcceptanceRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = DeliveryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/deliveries/{id}/acceptance")]
pub async fn create_acceptance(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (input, mode) = body::parse::<AcceptanceRequest>(&raw)?.split();
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        delivery::record_acceptance(conn, actor, &id, input, mode, false, now)
    })
    .await
}

/// Replaces a draft acceptance (and confirms it if `confirm` is true). A confirmed acceptance is
/// immutable: this answers 409 `acceptance_confirmed`.
#[utoipa::path(
    tag = "deliveries",
    request_body = AcceptanceRequest,
    responses((status = 200, body = DeliveryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[put("/deliveries/{id}/acceptance")]
pub async fn edit_acceptance(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (input, mode) = body::parse::<AcceptanceRequest>(&raw)?.split();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        delivery::record_acceptance(conn, actor, &id, input, mode, true, now)
    })
    .await
}

/// Confirms a draft acceptance: final, creates the payable.
#[utoipa::path(
    tag = "deliveries",
    responses((status = 200, body = DeliveryView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/deliveries/{id}/acceptance/confirm")]
pub async fn confirm_acceptance(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        delivery::confirm_acceptance(conn, actor, &id, now)
    })
    .await
}
