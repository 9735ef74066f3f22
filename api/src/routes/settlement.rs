//! Direct settlement: invoices, hospital confirmation, payment batches (maker-checker), payments
//! by bank reference, the fund ledger and hospital statements, the working-day calendar.

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::calendar::{self, CalendarDay};
use jicai_domain::ledger::{self, Balances, NewMonthlySettlement, Statement};
use jicai_domain::money::Money;
use jicai_domain::paging::Page;
use jicai_domain::payables::{self, PayableView};
use jicai_domain::settlement::{
    self, DisputeOutcome, InvoiceRow, NewInvoice, PaymentBatchRow, PaymentBatchView, PaymentInput, PaymentOutcome,
    PaymentRow,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_invoices)
        .service(attach_invoices)
        .service(confirm_payable)
        .service(dispute_payable)
        .service(resolve_dispute)
        .service(list_payment_batches)
        .service(get_payment_batch)
        .service(create_payment_batch)
        .service(prepare_payment_batch)
        .service(approve_payment_batch)
        .service(bank_file)
        .service(record_payment)
        .service(balances)
        .service(statement)
        .service(monthly_settlement)
        .service(get_calendar)
        .service(put_calendar);
}

fn view_after(
    conn: &mut jicai_domain::db::DbConnection,
    actor: &jicai_domain::identity::Actor,
    id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> jicai_domain::DomainResult<PayableView> {
    payables::get_payable(conn, actor, id, now)
}

#[derive(Deserialize, ToSchema)]
pub struct InvoicesRequest {
    /// One or more invoices whose amounts add up to the payable's accepted amount exactly.
    pub invoices: Vec<NewInvoice>,
}

/// The supplier attaches its invoice(s) to a payable; a total that differs from the accepted
/// amount is refused with the difference.
#[utoipa::path(
    tag = "settlement",
    request_body = InvoicesRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = PayableView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/payables/{id}/invoices")]
pub async fn attach_invoices(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: InvoicesRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        settlement::attach_invoices(conn, actor, &id, input.invoices, now)?;
        view_after(conn, actor, &id, now)
    })
    .await
}

#[utoipa::path(tag = "settlement", responses((status = 200, body = Vec<InvoiceRow>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payables/{id}/invoices")]
pub async fn list_invoices(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<Vec<InvoiceRow>>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| settlement::list_invoices(conn, &caller.0, &id)).await?))
}

/// The hospital confirms a matched payable.
#[utoipa::path(tag = "settlement", responses((status = 200, body = PayableView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/payables/{id}/confirm")]
pub async fn confirm_payable(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        settlement::confirm(conn, actor, &id, now)?;
        view_after(conn, actor, &id, now)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct DisputeRequest {
    /// The part held back; the rest stays payable.
    pub amount: Money,
    pub reason: String,
}

/// The hospital disputes part (or all) of a matched payable, with a reason.
#[utoipa::path(
    tag = "settlement",
    request_body = DisputeRequest,
    responses((status = 200, body = PayableView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/payables/{id}/dispute")]
pub async fn dispute_payable(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: DisputeRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        settlement::dispute(conn, actor, &id, input.amount, &input.reason, now)?;
        view_after(conn, actor, &id, now)
    })
    .await
}

#[derive(Deserialize, ToSchema)]
pub struct ResolveRequest {
    /// `withdrawn` (the hospital withdraws: the part is paid later) or `credited` (the supplier
    /// accepts: the part is no longer owed).
    pub outcome: DisputeOutcome,
}

/// Resolves a payable's dispute: the hospital withdraws it, or the supplier credits it. Not while
/// the payable is in a batch being paid.
#[utoipa::path(
    tag = "settlement",
    request_body = ResolveRequest,
    responses((status = 200, body = PayableView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/payables/{id}/resolve-dispute")]
pub async fn resolve_dispute(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let input: ResolveRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        settlement::resolve_dispute(conn, actor, &id, input.outcome, now)?;
        view_after(conn, actor, &id, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BatchQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `proposed`, `prepared`, `approved` or `executed`.
    pub status: Option<String>,
}

/// Payment batches of the region, newest first, paged.
#[utoipa::path(tag = "settlement", params(BatchQuery), responses((status = 200, body = Page<PaymentBatchRow>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payment-batches")]
pub async fn list_payment_batches(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<BatchQuery>,
) -> Result<web::Json<Page<PaymentBatchRow>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(state.run(move |conn, _| settlement::list_batches(conn, &caller.0, q.status.as_deref(), page)).await?))
}

#[utoipa::path(tag = "settlement", responses((status = 200, body = PaymentBatchView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payment-batches/{id}")]
pub async fn get_payment_batch(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<PaymentBatchView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| settlement::batch_view(conn, &caller.0, &id)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct NewBatchRequest {
    pub payable_ids: Vec<String>,
}

/// A fund officer prepares a batch of chosen confirmed payables (the maker).
#[utoipa::path(
    tag = "settlement",
    request_body = NewBatchRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = PaymentBatchView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/payment-batches")]
pub async fn create_payment_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewBatchRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        settlement::prepare_new_batch(conn, actor, input.payable_ids, now)
    })
    .await
}

/// A fund officer takes a batch the scheduler proposed, as its maker.
#[utoipa::path(tag = "settlement", responses((status = 200, body = PaymentBatchView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/payment-batches/{id}/prepare")]
pub async fn prepare_payment_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        settlement::prepare_batch(conn, actor, &id, now)
    })
    .await
}

/// Another fund officer approves a prepared batch (the checker; the maker is refused with
/// `maker_checker`). Approval makes the bank file available.
#[utoipa::path(tag = "settlement", responses((status = 200, body = PaymentBatchView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/payment-batches/{id}/approve")]
pub async fn approve_payment_batch(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        settlement::approve_batch(conn, actor, &id, now)
    })
    .await
}

/// The bank payment file of an approved batch (CSV: payee, bank account, amount, references).
#[utoipa::path(tag = "settlement", responses((status = 200, content_type = "text/csv", body = String), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payment-batches/{id}/bank-file")]
pub async fn bank_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let file_id = id.clone();
    let csv = state.run(move |conn, _| settlement::bank_file(conn, &caller.0, &id)).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"payment-batch-{file_id}.csv\"")))
        .body(csv))
}

#[derive(Serialize, ToSchema)]
pub struct PaymentResponse {
    /// `recorded`, or `already_recorded` for a replay of the same bank reference.
    pub outcome: &'static str,
    pub payment: PaymentRow,
}

/// Records one executed payment by its bank reference (idempotent): the same reference and
/// content again is a no-op (200); the same reference with another payable, amount or payee is
/// refused (409 `bank_reference_conflict`); a payable is never paid twice.
#[utoipa::path(
    tag = "settlement",
    request_body = PaymentInput,
    responses((status = 201, body = PaymentResponse), (status = 200, body = PaymentResponse), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[put("/payments/{bank_reference}")]
pub async fn record_payment(
    state: web::Data<AppState>,
    caller: Caller,
    reference: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let reference = reference.into_inner();
    let input: PaymentInput = body::parse(&raw)?;
    let outcome =
        state.run(move |conn, now| settlement::record_payment(conn, &caller.0, &reference, input, now)).await?;
    Ok(match outcome {
        PaymentOutcome::Recorded(payment) => {
            HttpResponse::Created().json(PaymentResponse { outcome: "recorded", payment })
        }
        PaymentOutcome::AlreadyRecorded(payment) => {
            HttpResponse::Ok().json(PaymentResponse { outcome: "already_recorded", payment })
        }
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// Default: today (Asia/Shanghai).
    pub as_of: Option<NaiveDate>,
}

/// Ledger balances of the region (fund and bureau officers) or of the hospital itself.
#[utoipa::path(tag = "ledger", params(AsOfQuery), responses((status = 200, body = Balances), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/ledger/balances")]
pub async fn balances(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AsOfQuery>,
) -> Result<web::Json<Balances>, ApiError> {
    let as_of = q.into_inner().as_of;
    Ok(web::Json(
        state
            .run(move |conn, now| {
                ledger::balances(conn, &caller.0, as_of.unwrap_or_else(|| jicai_domain::clock::shanghai_date(now)))
            })
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    pub hospital_id: String,
    /// `YYYY-MM`.
    pub month: String,
}

/// A hospital's monthly statement: prepayment, payments on its behalf and how they were covered.
#[utoipa::path(tag = "ledger", params(StatementQuery), responses((status = 200, body = Statement), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/hospital-statements")]
pub async fn statement(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<StatementQuery>,
) -> Result<web::Json<Statement>, ApiError> {
    let q = q.into_inner();
    Ok(web::Json(state.run(move |conn, _| ledger::statement(conn, &caller.0, &q.hospital_id, &q.month)).await?))
}

/// Records what the fund owes a hospital for a month of insured care (fund officer).
#[utoipa::path(
    tag = "ledger",
    request_body = NewMonthlySettlement,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = Object), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/monthly-settlements")]
pub async fn monthly_settlement(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewMonthlySettlement = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        ledger::record_monthly_settlement(conn, actor, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    pub year: i32,
}

/// The region's working-day overrides for a year (holidays on weekdays, working weekends).
#[utoipa::path(tag = "settlement", params(CalendarQuery), responses((status = 200, body = Vec<CalendarDay>)), security(("bearer" = [])))]
#[get("/calendar")]
pub async fn get_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<CalendarQuery>,
) -> Result<web::Json<Vec<CalendarDay>>, ApiError> {
    let year = q.into_inner().year;
    Ok(web::Json(state.run(move |conn, _| calendar::list_days(conn, &caller.0, year)).await?))
}

/// Sets working-day overrides (bureau officer): `[{"day": "2027-01-01", "is_working": false, "name": "元旦"}]`.
#[utoipa::path(tag = "settlement", request_body = Vec<CalendarDay>, responses((status = 200, body = Vec<CalendarDay>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[put("/calendar")]
pub async fn put_calendar(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let days: Vec<CalendarDay> = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        calendar::set_days(conn, actor, days, now)
    })
    .await
}
