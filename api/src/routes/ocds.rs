//! OCDS 1.1 open data: public, no sign-in. Release packages and record packages per tender and
//! per VBP batch, and one bulk release package of everything public (optionally one region's).
//! Only what is public by nature is published (see `jicai_domain::disclosure::ocds`).

use actix_web::{get, web, HttpRequest, HttpResponse};
use jicai_domain::disclosure::ocds;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(tender_releases).service(tender_record).service(batch_releases).service(batch_record).service(bulk);
}

/// This request's own URL (the package's `uri`).
fn url_of(req: &HttpRequest, path: &str) -> String {
    let info = req.connection_info();
    format!("{}://{}{}", info.scheme(), info.host(), path)
}

fn json(value: serde_json::Value) -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(value.to_string())
}

enum Subject {
    Tender(String),
    Batch(String),
}

impl Subject {
    fn releases_path(&self) -> String {
        match self {
            Subject::Tender(id) => format!("/api/v1/ocds/tenders/{id}/releases"),
            Subject::Batch(id) => format!("/api/v1/ocds/batches/{id}/releases"),
        }
    }
}

/// The release package (or, with `record`, the record package) of one tender or batch.
async fn package(
    state: web::Data<AppState>,
    req: HttpRequest,
    subject: Subject,
    record: bool,
) -> Result<HttpResponse, ApiError> {
    let publisher = state.ocds.clone();
    let releases_uri = url_of(&req, &subject.releases_path());
    let (p, now) = state
        .run(move |conn, now| {
            let p = match subject {
                Subject::Tender(id) => ocds::tender_process(conn, &publisher, &id, now)?,
                Subject::Batch(id) => ocds::batch_process(conn, &publisher, &id, now)?,
            };
            Ok((p, now))
        })
        .await?;
    let uri = url_of(&req, req.path());
    let processes = std::slice::from_ref(&p);
    Ok(json(if record {
        ocds::record_package(&state.ocds, &uri, &releases_uri, now, processes)
    } else {
        ocds::release_package(&state.ocds, &uri, now, processes)
    }))
}

/// A tender's releases (OCDS release package): the tender at publication; its bids once
/// opened (never before); the awards, proposed then final; the contracts per hospital × winner
/// once in force; their payment milestones and payments. Public: no sign-in. By id or tender
/// number; a tender not yet published is 404.
#[utoipa::path(
    tag = "open data",
    params(("id" = String, Path, description = "Tender id or tender number")),
    responses((status = 200, description = "OCDS 1.1 release package", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/ocds/tenders/{id}/releases")]
pub async fn tender_releases(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    package(state, req, Subject::Tender(id.into_inner()), false).await
}

/// A tender's record (OCDS record package): its releases and the compiled release. Public.
#[utoipa::path(
    tag = "open data",
    params(("id" = String, Path, description = "Tender id or tender number")),
    responses((status = 200, description = "OCDS 1.1 record package", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/ocds/tenders/{id}/record")]
pub async fn tender_record(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    package(state, req, Subject::Tender(id.into_inner()), true).await
}

/// A VBP batch's releases (OCDS release package): its winning bids as awards, the hospitals'
/// agreed volumes as contracts, payments. A batch written by a tender's results is published
/// as that tender's process. Public.
#[utoipa::path(
    tag = "open data",
    params(("id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "OCDS 1.1 release package", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/ocds/batches/{id}/releases")]
pub async fn batch_releases(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    package(state, req, Subject::Batch(id.into_inner()), false).await
}

/// A VBP batch's record (OCDS record package). Public.
#[utoipa::path(
    tag = "open data",
    params(("id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "OCDS 1.1 record package", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/ocds/batches/{id}/record")]
pub async fn batch_record(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    package(state, req, Subject::Batch(id.into_inner()), true).await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BulkQuery {
    /// A pooling region's 6-digit code: only its tenders (run there or supplying it) and batches.
    pub region: Option<String>,
}

/// Everything public as one OCDS release package, for download: every published tender and
/// every batch, each process once. Public.
#[utoipa::path(
    tag = "open data",
    params(BulkQuery),
    responses((status = 200, description = "OCDS 1.1 release package", body = Object), (status = 404, body = ErrorBody))
)]
#[get("/ocds/bulk")]
pub async fn bulk(
    state: web::Data<AppState>,
    req: HttpRequest,
    q: web::Query<BulkQuery>,
) -> Result<HttpResponse, ApiError> {
    let region = q.into_inner().region;
    let publisher = state.ocds.clone();
    let (processes, now) = state
        .run(move |conn, now| {
            let processes = ocds::public_processes(conn, &publisher, region.as_deref(), now)?;
            if processes.is_empty() {
                // A release package holds at least one release.
                return Err(jicai_domain::DomainError::not_found("published contracting process"));
            }
            Ok((processes, now))
        })
        .await?;
    let uri = url_of(&req, &req.uri().path_and_query().map_or_else(|| req.path().to_string(), |p| p.to_string()));
    let mut response = json(ocds::release_package(&state.ocds, &uri, now, &processes));
    response.headers_mut().insert(
        actix_web::http::header::CONTENT_DISPOSITION,
        actix_web::http::header::HeaderValue::from_static("inline; filename=\"ocds-release-package.json\""),
    );
    Ok(response)
}
