//! Catalogue and volumes: products, batches, winning bids, listed non-winning products and
//! agreed volumes. Creates take one object or an array (all or nothing).

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use jicai_domain::catalog::{
    self, BatchRow, BidFilter, BidView, Category, Consistency, ListedView, NewBatch, NewListedProduct, NewProduct,
    NewWinningBid, ProductFilter, ProductRow,
};
use jicai_domain::paging::Page;
use jicai_domain::volumes::{self, AgreedVolumeView, NewAgreedVolume, VolumeFilter};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body::{self, render_bulk};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_products)
        .service(get_product)
        .service(create_products)
        .service(set_consistency)
        .service(list_batches)
        .service(get_batch)
        .service(create_batch)
        .service(list_bids)
        .service(get_bid)
        .service(create_bids)
        .service(list_listed)
        .service(create_listed)
        .service(list_volumes)
        .service(get_volume)
        .service(create_volumes);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProductQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Part of the generic name (Chinese or English) or of the code.
    pub q: Option<String>,
    pub category: Option<Category>,
    /// Exact insurance code.
    pub code: Option<String>,
}

/// The shared product catalogue.
#[utoipa::path(tag = "catalogue", params(ProductQuery), responses((status = 200, body = Page<ProductRow>)), security(("bearer" = [])))]
#[get("/products")]
pub async fn list_products(
    state: web::Data<AppState>,
    _caller: Caller,
    q: web::Query<ProductQuery>,
) -> Result<web::Json<Page<ProductRow>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = ProductFilter { q: q.q, category: q.category, code: q.code };
    Ok(web::Json(state.run(move |conn, _| catalog::list_products(conn, &filter, page)).await?))
}

#[utoipa::path(tag = "catalogue", responses((status = 200, body = ProductRow), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/products/{id}")]
pub async fn get_product(
    state: web::Data<AppState>,
    _caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<ProductRow>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| catalog::get_product(conn, &id)).await?))
}

/// Adds products (bureau officer): drug codes of 23 (or 20) characters, consumable codes of 20,
/// validated by shape. One object or an array.
#[utoipa::path(
    tag = "catalogue",
    request_body = Vec<NewProduct>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = Vec<ProductRow>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/products")]
pub async fn create_products(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = body::parse_one_or_many::<NewProduct>(&raw)?;
    let was_array = input.was_array;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        catalog::create_products(conn, actor, input.items, now).map(|out| render_bulk(was_array, out))
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct ConsistencyRequest {
    /// `originator`, `passed` or `not_passed`; null clears it.
    pub consistency: Option<Consistency>,
}

/// Records a product's consistency-evaluation standing (bureau officer): payment standards treat
/// a generic that has not passed differently. Audited.
#[utoipa::path(
    tag = "catalogue",
    request_body = ConsistencyRequest,
    responses((status = 200, body = ProductRow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[put("/products/{id}/consistency")]
pub async fn set_consistency(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ConsistencyRequest = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        catalog::set_consistency(conn, actor, &id, input.consistency, now)
    })
    .await
}

/// VBP batches visible to the caller.
#[utoipa::path(tag = "catalogue", params(PageParams), responses((status = 200, body = Page<BatchRow>)), security(("bearer" = [])))]
#[get("/batches")]
pub async fn list_batches(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageParams>,
) -> Result<web::Json<Page<BatchRow>>, ApiError> {
    let page = q.into_inner().into();
    Ok(web::Json(state.run(move |conn, _| catalog::list_batches(conn, &caller.0, page)).await?))
}

#[utoipa::path(tag = "catalogue", responses((status = 200, body = BatchRow), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/batches/{id}")]
pub async fn get_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<BatchRow>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| catalog::get_batch(conn, &caller.0, &id)).await?))
}

/// Loads a VBP batch for the bureau's region: cycle of 1 to 3 years, and its agreed-volume
/// ratio table (default 1 winner 50%, 2 → 60%, 3 → 70%, 4+ → 80%).
#[utoipa::path(
    tag = "catalogue",
    request_body = NewBatch,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = BatchRow), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/batches")]
pub async fn create_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewBatch = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        catalog::create_batch(conn, actor, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BidQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub batch_id: Option<String>,
    pub product_id: Option<String>,
    /// Part of the generic name or the product code.
    pub q: Option<String>,
}

/// Winning bids visible to the caller (its region's, or a supplier's own and distributed).
#[utoipa::path(tag = "catalogue", params(BidQuery), responses((status = 200, body = Page<BidView>)), security(("bearer" = [])))]
#[get("/winning-bids")]
pub async fn list_bids(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<BidQuery>,
) -> Result<web::Json<Page<BidView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = BidFilter { batch_id: q.batch_id, q: q.q, product_id: q.product_id };
    Ok(web::Json(state.run(move |conn, now| catalog::list_bids(conn, &caller.0, &filter, page, now)).await?))
}

#[utoipa::path(tag = "catalogue", responses((status = 200, body = BidView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/winning-bids/{id}")]
pub async fn get_bid(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<BidView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, now| catalog::get_bid(conn, &caller.0, &id, now)).await?))
}

/// Loads winning bids (bureau officer). The unit price, when given, must equal pack price /
/// pack size rounded half-up to 4 decimals; when omitted it is derived.
#[utoipa::path(
    tag = "catalogue",
    request_body = Vec<NewWinningBid>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = Vec<BidView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/winning-bids")]
pub async fn create_bids(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = body::parse_one_or_many::<NewWinningBid>(&raw)?;
    let was_array = input.was_array;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        catalog::create_winning_bids(conn, actor, input.items, now).map(|out| render_bulk(was_array, out))
    })
    .await
}

/// Listed non-winning products (挂网非中选产品) of the caller's region.
#[utoipa::path(tag = "catalogue", params(PageParams), responses((status = 200, body = Page<ListedView>)), security(("bearer" = [])))]
#[get("/listed-products")]
pub async fn list_listed(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PageParams>,
) -> Result<web::Json<Page<ListedView>>, ApiError> {
    let page = q.into_inner().into();
    Ok(web::Json(state.run(move |conn, now| catalog::list_listed(conn, &caller.0, page, now)).await?))
}

/// Lists non-winning products of a generic that has a winning bid in the region (bureau officer).
#[utoipa::path(
    tag = "catalogue",
    request_body = Vec<NewListedProduct>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = Vec<ListedView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/listed-products")]
pub async fn create_listed(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = body::parse_one_or_many::<NewListedProduct>(&raw)?;
    let was_array = input.was_array;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        catalog::create_listed_products(conn, actor, input.items, now).map(|out| render_bulk(was_array, out))
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolumeQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub hospital_id: Option<String>,
    pub winning_bid_id: Option<String>,
    pub batch_id: Option<String>,
    #[param(minimum = 1, maximum = 3)]
    pub agreement_year: Option<i16>,
}

/// Agreed volumes with what remains of each: a hospital its own, a supplier those of its bids,
/// the bureau its region's.
#[utoipa::path(tag = "volumes", params(VolumeQuery), responses((status = 200, body = Page<AgreedVolumeView>)), security(("bearer" = [])))]
#[get("/agreed-volumes")]
pub async fn list_volumes(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<VolumeQuery>,
) -> Result<web::Json<Page<AgreedVolumeView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = VolumeFilter {
        hospital_id: q.hospital_id,
        winning_bid_id: q.winning_bid_id,
        batch_id: q.batch_id,
        agreement_year: super::agreement_year(q.agreement_year)?,
    };
    Ok(web::Json(state.run(move |conn, _| volumes::list_agreed_volumes(conn, &caller.0, &filter, page)).await?))
}

#[utoipa::path(tag = "volumes", responses((status = 200, body = AgreedVolumeView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/agreed-volumes/{id}")]
pub async fn get_volume(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<AgreedVolumeView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| volumes::get_agreed_volume(conn, &caller.0, &id)).await?))
}

/// Allocates agreed volumes (bureau officer): reported demand × the batch's ratio for the number
/// of winners of the generic, rounded half-up to whole minimum units per hospital.
#[utoipa::path(
    tag = "volumes",
    request_body = Vec<NewAgreedVolume>,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = Vec<AgreedVolumeView>), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/agreed-volumes")]
pub async fn create_volumes(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input = body::parse_one_or_many::<NewAgreedVolume>(&raw)?;
    let was_array = input.was_array;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        volumes::create_agreed_volumes(conn, actor, input.items, now).map(|out| render_bulk(was_array, out))
    })
    .await
}
