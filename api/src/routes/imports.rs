//! Excel in: products, winning bids, agreed volumes, listed products, retention inputs (bureau)
//! and monthly settlements (fund) from an XLSX or CSV sheet, previewed with every bad cell, then committed
//! all or nothing; and a template for each.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use jicai_domain::error::ErrorCode;
use jicai_domain::imports::{self, ImportReport, Kind};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::export::{self, Sheet};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(import_sheet).service(template);
}

fn kind_of(path: &str) -> Result<Kind, ApiError> {
    Kind::parse(path).ok_or_else(|| {
        let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorCode::UnknownImport,
            format!("no import {path:?}; there are {}", kinds.join(", ")),
        )
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `false` (default): check every row and write nothing. `true`: write every row, or none
    /// when any row is refused (422 `sheet_has_errors`, the report in `details`).
    pub commit: Option<bool>,
}

/// Imports a sheet (the first sheet of an XLSX file, or a CSV file; send its type as the
/// Content-Type). `kind` is `products`, `winning-bids`, `agreed-volumes`, `listed-products`,
/// `retention-inputs` (bureau) or `monthly-settlements` (fund). Headers may be Chinese as the
/// template writes them (通用名, 规格, 包装, 中选企业…) or the API's field names; batches,
/// enterprises and hospitals are named, products by code or by generic name, specification and
/// pack. The report lists every bad cell with its row (the header is row 1), column, code and
/// reason.
#[utoipa::path(
    tag = "imports",
    params(("kind" = String, Path, description = "products | winning-bids | agreed-volumes | listed-products | monthly-settlements | retention-inputs"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    responses(
        (status = 200, description = "The preview, or the committed import", body = ImportReport),
        (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 422, description = "An unreadable sheet, missing columns, or (commit) bad rows: nothing written", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
#[post("/imports/{kind}")]
pub async fn import_sheet(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    kind: web::Path<String>,
    q: web::Query<ImportQuery>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let table = export::sheet_table(&req, &raw)?;
    if q.commit.unwrap_or(false) {
        body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
            imports::run(conn, actor, kind, &table, true, now)
        })
        .await
    } else {
        let report = state.run(move |conn, now| imports::run(conn, &caller.0, kind, &table, false, now)).await?;
        Ok(HttpResponse::Ok().json(report))
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TemplateQuery {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

/// The template of an import: its columns as the bureau writes them, and an example row.
#[utoipa::path(
    tag = "imports",
    params(("kind" = String, Path, description = "products | winning-bids | agreed-volumes | listed-products | monthly-settlements | retention-inputs"), TemplateQuery),
    responses((status = 200, content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/imports/{kind}/template")]
pub async fn template(
    _caller: Caller,
    kind: web::Path<String>,
    q: web::Query<TemplateQuery>,
) -> Result<HttpResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let format = export::check_format(Some(q.into_inner().format.unwrap_or_else(|| "xlsx".into())))?;
    let sheet = Sheet {
        name: "import",
        header: kind.columns().iter().map(|c| c.headers[0]).collect(),
        rows: vec![kind.example().iter().map(|s| s.to_string()).collect()],
    };
    let file = format!("jicai-{}-template.{format}", kind.as_str());
    if format == "xlsx" {
        export::xlsx(&[sheet], &file)
    } else {
        export::csv(&sheet, &file)
    }
}
