//! Credit rating (医药价格和招采信用评价): cases, grading, a second officer's approval, repair,
//! commitment letters, and the ratings in force.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::credit::letters::{self, LetterView, NewLetter};
use jicai_domain::credit::rules::CreditPolicy;
use jicai_domain::credit::{
    self, CaseDecision, CaseFilter, CaseSummary, CaseView, Dismissal, NewCase, NewRepair, Review,
};
use jicai_domain::paging::Page;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_cases)
        .service(record_case)
        .service(schemes)
        .service(get_case)
        .service(decide)
        .service(approve)
        .service(dismiss)
        .service(submit_repair)
        .service(review_repair)
        .service(list_letters)
        .service(upload_letter)
        .service(letter_file);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// proposed, recorded, pending_approval, in_force, repaired, dismissed.
    pub status: Option<String>,
    pub enterprise_id: Option<String>,
    pub conduct: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Credit cases the caller may see: the bureau's region's, an enterprise's own once in effect,
/// the region's in effect for hospitals and fund officers. Newest first.
#[utoipa::path(tag = "credit", params(CaseQuery), responses((status = 200, body = Page<CaseSummary>)), security(("bearer" = [])))]
#[get("/credit/cases")]
pub async fn list_cases(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<CaseQuery>,
) -> Result<web::Json<Page<CaseSummary>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = CaseFilter { status: q.status, enterprise_id: q.enterprise_id, conduct: q.conduct };
    Ok(web::Json(state.run(move |conn, now| credit::list_cases(conn, &caller.0, filter, page, now)).await?))
}

/// Records a case with its basis (bureau officer). The region's credit policy suggests a grade
/// at once, with its explanation; an officer then grades it.
#[utoipa::path(
    tag = "credit",
    request_body = NewCase,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = CaseView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/credit/cases")]
pub async fn record_case(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewCase = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        credit::record_case(conn, actor, input, now)
    })
    .await
}

/// The two grading schemes a region may adopt as its credit policy (`POST /policies/credit`):
/// the 2025 three grades (the default) and the 2020 four grades.
#[derive(Serialize, ToSchema)]
pub struct Schemes {
    pub scheme_2025: CreditPolicy,
    pub scheme_2020: CreditPolicy,
}

#[utoipa::path(tag = "credit", responses((status = 200, body = Schemes)), security(("bearer" = [])))]
#[get("/credit/schemes")]
pub async fn schemes(_caller: Caller) -> web::Json<Schemes> {
    web::Json(Schemes { scheme_2025: CreditPolicy::default(), scheme_2020: CreditPolicy::scheme_2020() })
}

/// A case with its explanation: inputs, policy version, suggested grade and why, the officer's
/// grade and reason, the approval, measures, end dates and repair.
#[utoipa::path(tag = "credit", responses((status = 200, body = CaseView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/credit/cases/{id}")]
pub async fn get_case(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<CaseView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, now| credit::get_case(conn, &caller.0, &id, now)).await?))
}

/// Grades a recorded or proposed case with a reason (bureau officer); it then waits for a
/// second officer's approval.
#[utoipa::path(tag = "credit", request_body = CaseDecision, responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/credit/cases/{id}/decide")]
pub async fn decide(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: CaseDecision = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        credit::decide(conn, actor, &id, input, now)
    })
    .await
}

/// A second officer approves a graded case (it takes effect today) or sends it back with a
/// note. The grading officer cannot approve their own grade (409 `second_officer_required`).
#[utoipa::path(tag = "credit", request_body = Review, responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/credit/cases/{id}/approve")]
pub async fn approve(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: Review = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        credit::approve(conn, actor, &id, input, now)
    })
    .await
}

/// Closes a proposed or recorded case without a rating, with the reason (bureau officer).
#[utoipa::path(tag = "credit", request_body = Dismissal, responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/credit/cases/{id}/dismiss")]
pub async fn dismiss(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: Dismissal = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        credit::dismiss(conn, actor, &id, input, now)
    })
    .await
}

/// Submits evidence of one corrective measure (an enterprise the case involves, while the
/// rating is in force).
#[utoipa::path(tag = "credit", request_body = NewRepair, responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/credit/cases/{id}/repairs")]
pub async fn submit_repair(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewRepair = body::parse(&raw)?;
    let id = id.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        credit::submit_repair(conn, actor, &id, input, now)
    })
    .await
}

/// Accepts or rejects repair evidence (bureau officer). When every required measure is
/// accepted the rating is repaired and its measures lift.
#[utoipa::path(tag = "credit", request_body = Review, responses((status = 200, body = CaseView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/credit/cases/{id}/repairs/{repair_id}/review")]
pub async fn review_repair(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: Review = body::parse(&raw)?;
    let (id, repair_id) = path.into_inner();
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        credit::review_repair(conn, actor, &id, &repair_id, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LetterQuery {
    pub enterprise_id: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Commitment letters: an enterprise's own; every enterprise's for officers.
#[utoipa::path(tag = "credit", params(LetterQuery), responses((status = 200, body = Page<LetterView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/credit/letters")]
pub async fn list_letters(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<LetterQuery>,
) -> Result<web::Json<Page<LetterView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(
        state.run(move |conn, _| letters::list_letters(conn, &caller.0, q.enterprise_id.as_deref(), page)).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LetterUpload {
    pub template_version: String,
    /// The legal representative or authorised person who signed.
    pub signer: String,
    pub signed_on: NaiveDate,
    /// The file's name as the user chose it, e.g. "承诺书.pdf".
    pub file_name: String,
}

/// Uploads the enterprise's signed commitment letter (supplier): the body is the file itself
/// (PDF, PNG or JPEG, at most 5 MB), its particulars in the query.
#[utoipa::path(
    tag = "credit",
    params(LetterUpload),
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 201, body = LetterView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/credit/letters")]
pub async fn upload_letter(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    q: web::Query<LetterUpload>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let content = raw.to_vec();
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        let input = NewLetter { template_version: q.template_version, signer: q.signer, signed_on: q.signed_on };
        letters::upload_letter(conn, actor, input, &q.file_name, content, now)
    })
    .await
}

/// The stored letter file.
#[utoipa::path(tag = "credit", responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/credit/letters/{id}/file")]
pub async fn letter_file(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let (name, content_type, content) = state.run(move |conn, _| letters::letter_file(conn, &caller.0, &id)).await?;
    let ascii: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' { c } else { '_' }).collect();
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", urlencode(&name)),
        ))
        .body(content))
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
