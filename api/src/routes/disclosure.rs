//! Public disclosure: the bureau publishes snapshots; anyone reads them, without signing in,
//! from `/public/...` (cached: the content of a version never changes).

use actix_web::http::header::{self, CacheControl, CacheDirective, EntityTag};
use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use jicai_domain::disclosure::{self, Kind, NewPublication, PublicDocument, PublicRegion, PublicationView};
use jicai_domain::paging::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_publications).service(publish).service(preview).service(public_regions).service(public_document);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PublicationQuery {
    pub kind: Option<Kind>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// The region's publications, newest first (bureau officer).
#[utoipa::path(tag = "disclosure", params(PublicationQuery), responses((status = 200, body = Page<PublicationView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/publications")]
pub async fn list_publications(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PublicationQuery>,
) -> Result<web::Json<Page<PublicationView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(state.run(move |conn, _| disclosure::list_publications(conn, &caller.0, q.kind, page)).await?))
}

/// Publishes the current snapshot of one kind as its next version (bureau officer): it is what
/// the public site shows from now on. Audited.
#[utoipa::path(
    tag = "disclosure",
    request_body = NewPublication,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried publication safe")),
    responses((status = 201, body = PublicationView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/publications")]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewPublication = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        disclosure::publish(conn, actor, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    pub kind: Kind,
}

/// What a publication of `kind` would hold if published now (bureau officer).
#[utoipa::path(tag = "disclosure", params(PreviewQuery), responses((status = 200, body = Object), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/publications/preview")]
pub async fn preview(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PreviewQuery>,
) -> Result<web::Json<serde_json::Value>, ApiError> {
    let kind = q.into_inner().kind;
    Ok(web::Json(state.run(move |conn, now| disclosure::preview(conn, &caller.0, kind, now)).await?))
}

/// Regions that publish, with the latest version of each kind. Public: no sign-in.
#[utoipa::path(tag = "disclosure", responses((status = 200, body = Vec<PublicRegion>)))]
#[get("/public/regions")]
pub async fn public_regions(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let regions = state.run(|conn, _| disclosure::public_regions(conn)).await?;
    Ok(HttpResponse::Ok()
        .insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(60)]))
        .json(regions))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A past version (default: the latest).
    pub version: Option<i32>,
}

/// A region's published snapshot of one kind: `tender_results`, `winning_prices`,
/// `credit_ratings`, `payment_standards` or `payment_timeliness`. Public: no sign-in. A version
/// never changes, so it is cached and answers 304 to a matching `If-None-Match`.
#[utoipa::path(
    tag = "disclosure",
    params(VersionQuery, ("code" = String, Path, description = "The region's administrative division code"), ("kind" = Kind, Path)),
    responses((status = 200, body = PublicDocument), (status = 304), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody))
)]
#[get("/public/regions/{code}/{kind}")]
pub async fn public_document(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    q: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let (code, kind) = path.into_inner();
    let kind = Kind::parse(&kind)?;
    let version = q.into_inner().version;
    let doc = state.run(move |conn, _| disclosure::public_document(conn, &code, kind, version)).await?;
    let tag = EntityTag::new_strong(format!("{}-{}", doc.publication.version, &doc.publication.sha256[..16]));
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag.to_string()));
    // The latest version may be replaced by a newer one: revalidate soon. A given version is final.
    let max_age = if version.is_some() { 86_400 } else { 300 };
    let mut resp = if matches { HttpResponse::NotModified() } else { HttpResponse::Ok() };
    resp.insert_header(CacheControl(vec![CacheDirective::Public, CacheDirective::MaxAge(max_age)]))
        .insert_header(header::ETag(tag));
    Ok(if matches { resp.finish() } else { resp.json(doc) })
}
