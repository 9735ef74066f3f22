//! Tendering (招标): setup, demand reporting, qualification, sealed bids, the opening, offers,
//! proposed and final results, objections, region picks and enactment.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use jicai_domain::paging::Page;
use jicai_domain::tender::bidding::{
    self, BidReceipt, GenericResult, NewBid, NewQualification, OpeningCounts, QualificationView, SealedBidView,
};
use jicai_domain::tender::demand::{self, DemandTotal, DemandView, NewDemand};
use jicai_domain::tender::results::{self, Board, Enacted, NewObjection};
use jicai_domain::tender::store::ObjectionRow;
use jicai_domain::tender::{self, Move, NewTender, TenderFilter, TenderStatus, TenderView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_tenders)
        .service(create_tender)
        .service(get_tender)
        .service(move_tender)
        .service(list_demands)
        .service(report_demand)
        .service(import_demand)
        .service(send_back_demand)
        .service(demand_totals)
        .service(list_qualifications)
        .service(qualify)
        .service(submit_bid)
        .service(my_bids)
        .service(open_tender)
        .service(results_of)
        .service(answer_offer)
        .service(propose)
        .service(list_objections)
        .service(file_objection)
        .service(answer_objection)
        .service(finalize)
        .service(board)
        .service(pick)
        .service(pick_lapsed)
        .service(enact);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TenderQuery {
    pub status: Option<TenderStatus>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Tenders the caller may see: the running bureau's, those supplying a hospital's region, and
/// every published one for enterprises. Newest first.
#[utoipa::path(tag = "tenders", params(TenderQuery), responses((status = 200, body = Page<TenderView>)), security(("bearer" = [])))]
#[get("/tenders")]
pub async fn list_tenders(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<TenderQuery>,
) -> Result<web::Json<Page<TenderView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = TenderFilter { status: q.status };
    Ok(web::Json(state.run(move |conn, _| tender::list_tenders(conn, &caller.0, &filter, page)).await?))
}

/// Drafts a tender (bureau officer): generics with their representative spec and max valid
/// declared price, the timetable, the supply regions, and the rules chosen by name from the
/// region's tender policy (`GET /policies`).
#[utoipa::path(
    tag = "tenders",
    request_body = NewTender,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = TenderView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/tenders")]
pub async fn create_tender(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewTender = body::parse(&raw)?;
    let sealing = state.jobs.sealing.clone();
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        tender::create_tender(conn, actor, &sealing, input, now)
    })
    .await
}

#[utoipa::path(tag = "tenders", responses((status = 200, body = TenderView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}")]
pub async fn get_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<TenderView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| tender::get_tender(conn, &caller.0, &id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct MoveRequest {
    /// `open_demand`, `publish` (locks the demand base) or `open_bidding`.
    #[serde(rename = "move")]
    pub to: Move,
}

/// Moves a tender one stage on by hand (the running bureau).
#[utoipa::path(tag = "tenders", request_body = MoveRequest, responses((status = 200, body = TenderView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/move")]
pub async fn move_tender(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: MoveRequest = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        tender::advance(conn, actor, &id, input.to, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DemandQuery {
    /// `submitted` or `returned`.
    pub status: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Demand reports: a hospital's own, or all of them for the running bureau.
#[utoipa::path(tag = "tenders", params(DemandQuery), responses((status = 200, body = Page<DemandView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/demands")]
pub async fn list_demands(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<DemandQuery>,
) -> Result<web::Json<Page<DemandView>>, ApiError> {
    let (id, q) = (id.into_inner(), q.into_inner());
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(state.run(move |conn, _| demand::list(conn, &caller.0, &id, q.status.as_deref(), page)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct DemandRequest {
    pub lines: Vec<NewDemand>,
}

/// Reports (or corrects) the hospital's annual demand, all lines or none, while the window is
/// open. A line below the policy's share of past use needs a reason.
#[utoipa::path(tag = "tenders", request_body = DemandRequest, responses((status = 200, body = Vec<DemandView>), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/demands")]
pub async fn report_demand(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: DemandRequest = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        demand::report(conn, actor, &id, input.lines, now)
    })
    .await
}

/// Reports demand from a spreadsheet (XLSX, first sheet, or CSV): a header row with 通用名 and
/// 年需求量 (optional 品牌产品编码 and 原因; or the API's field names), then a row per generic. All
/// rows or none; a refusal lists every bad row (`details.rows`: row, column, code, message).
#[utoipa::path(
    tag = "tenders",
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses((status = 200, body = Vec<DemandView>), (status = 409, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/tenders/{id}/demands/import")]
pub async fn import_demand(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let table = crate::export::sheet_table(&req, &raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        demand::report_sheet(conn, actor, &id, &table, now)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonRequest {
    pub reason: String,
}

/// Sends a hospital's report back with a reason (the running bureau, while demand is open).
#[utoipa::path(tag = "tenders", request_body = ReasonRequest, responses((status = 200, body = DemandView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/demands/{demand_id}/send-back")]
pub async fn send_back_demand(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: ReasonRequest = body::parse(&raw)?;
    let (id, demand_id) = path.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        demand::send_back(conn, actor, &id, &demand_id, &input.reason, now)
    })
    .await
}

/// Reported demand per generic and region (the running bureau).
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<DemandTotal>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/demand-totals")]
pub async fn demand_totals(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<DemandTotal>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| demand::totals(conn, &caller.0, &id)).await?))
}

/// Qualifications: an enterprise's own, or all for the running bureau and after the opening.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<QualificationView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/qualifications")]
pub async fn list_qualifications(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<QualificationView>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| bidding::list_qualifications(conn, &caller.0, &id)).await?))
}

/// Registers the caller's enterprise for a generic with one of its products (supplier).
#[utoipa::path(tag = "tenders", request_body = NewQualification, responses((status = 201, body = QualificationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/qualifications")]
pub async fn qualify(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewQualification = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        bidding::qualify(conn, actor, &id, input, now)
    })
    .await
}

/// Submits or replaces the caller's sealed bid for a generic until the bid deadline. Answers
/// the receipt: the canonical bid and its SHA-256. An `Idempotency-Key` is ignored here: the
/// stored response would hold the price in the clear; a retry simply replaces the bid.
#[utoipa::path(tag = "tenders", request_body = NewBid, responses((status = 201, body = BidReceipt), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/bids")]
pub async fn submit_bid(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewBid = body::parse(&raw)?;
    let (id, sealing, actor) = (id.into_inner(), state.jobs.sealing.clone(), caller.0);
    let receipt = state.run(move |conn, now| bidding::submit_bid(conn, &actor, &sealing, &id, input, now)).await?;
    Ok(HttpResponse::Created().json(receipt))
}

/// The caller's own bids: receipts and times, never prices.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<SealedBidView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/my-bids")]
pub async fn my_bids(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<SealedBidView>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| bidding::my_bids(conn, &caller.0, &id)).await?))
}

/// Opens the bids (the running bureau), at or after the opening time; the `tenders` job does the
/// same on schedule.
#[utoipa::path(tag = "tenders", responses((status = 200, body = OpeningCounts), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/open")]
pub async fn open_tender(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<OpeningCounts>, ApiError> {
    let (id, sealing, actor) = (id.into_inner(), state.jobs.sealing.clone(), caller.0);
    Ok(web::Json(state.run(move |conn, now| bidding::open_tender(conn, &actor, &sealing, &id, now)).await?))
}

/// The opened results, bid by bid with every figure and the rule that decided it. Refused
/// before the opening, for everyone.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<GenericResult>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/results")]
pub async fn results_of(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<GenericResult>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| bidding::results(conn, &caller.0, &id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct OfferAnswer {
    pub accept: bool,
}

/// A failed shortlisted bidder accepts or refuses the price offered to it.
#[utoipa::path(tag = "tenders", request_body = OfferAnswer, responses((status = 200, body = Vec<GenericResult>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/bids/{bid_id}/offer")]
pub async fn answer_offer(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: OfferAnswer = body::parse(&raw)?;
    let (id, bid_id) = path.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        bidding::answer_offer(conn, actor, &id, &bid_id, input.accept, now)?;
        bidding::results(conn, actor, &id)
    })
    .await
}

/// Publishes the proposed results (拟中选公示) and opens the objection window.
#[utoipa::path(tag = "tenders", responses((status = 200, body = TenderView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/propose")]
pub async fn propose(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        results::propose(conn, actor, &id, now)
    })
    .await
}

/// Objections: all for the running bureau, a bidder's own.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<ObjectionRow>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/objections")]
pub async fn list_objections(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<ObjectionRow>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| results::objections(conn, &caller.0, &id)).await?))
}

/// A bidder objects to the proposed results within the window.
#[utoipa::path(tag = "tenders", request_body = NewObjection, responses((status = 201, body = ObjectionRow), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/objections")]
pub async fn file_objection(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewObjection = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        results::object(conn, actor, &id, input, now)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct AnswerRequest {
    pub answer: String,
}

/// The running bureau answers an objection.
#[utoipa::path(tag = "tenders", request_body = AnswerRequest, responses((status = 200, body = ObjectionRow), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/objections/{objection_id}/answer")]
pub async fn answer_objection(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: AnswerRequest = body::parse(&raw)?;
    let (id, objection_id) = path.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        results::answer_objection(conn, actor, &id, &objection_id, &input.answer, now)
    })
    .await
}

/// Makes the results final (中选结果) after the objection window; the region picks begin.
#[utoipa::path(tag = "tenders", responses((status = 200, body = TenderView), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/finalize")]
pub async fn finalize(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        results::finalize(conn, actor, &id, now)
    })
    .await
}

/// The region boards: bases, picks, whose turn it is and until when, each winner's share.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<Board>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[get("/tenders/{id}/board")]
pub async fn board(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<Board>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| results::board(conn, &caller.0, &id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct PickRequest {
    pub generic_id: String,
    pub region_id: String,
}

/// A winner picks a supply region on its turn (primary rounds, then backups).
#[utoipa::path(tag = "tenders", request_body = PickRequest, responses((status = 200, body = Vec<Board>), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/picks")]
pub async fn pick(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: PickRequest = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        results::pick(conn, actor, &id, &input.generic_id, &input.region_id, now)
    })
    .await
}

/// Picks by default (largest remaining base) for every turn whose time limit has passed.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Vec<Board>), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/picks/lapsed")]
pub async fn pick_lapsed(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        results::pick_lapsed_for(conn, actor, &id, now)
    })
    .await
}

/// Puts the results in force: each supply region gets the batch, the winning bids and its
/// hospitals' agreed volumes, and ordering takes over.
#[utoipa::path(tag = "tenders", responses((status = 200, body = Enacted), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/tenders/{id}/enact")]
pub async fn enact(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        results::enact(conn, actor, &id, now)
    })
    .await
}
