//! What every request passes before its handler: no compressed bodies (415, before inflating
//! anything), JSON routes take `application/json` only (415 for anything else), dates in the
//! query string must fall in the platform's range, and a
//! handler that panics answers a logged 500 with the JSON error body instead of dropping the
//! connection.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::ResponseError;
use futures_util::FutureExt;
use jicai_domain::error::ErrorCode;
use std::panic::AssertUnwindSafe;

use crate::error::ApiError;

/// The earliest and latest years a date sent to the API may have.
pub const FIRST_YEAR: i32 = 2000;
pub const LAST_YEAR: i32 = 2100;

/// The routes that take a file rather than JSON (their handlers check its type).
pub fn takes_a_file(path: &str) -> bool {
    path == "/api/v1/credit/letters"
        || (path.starts_with("/api/v1/tenders/") && path.ends_with("/demands/import"))
        || (path.starts_with("/api/v1/imports/") && !path.ends_with("/template"))
}

fn has_body(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if headers.contains_key(header::TRANSFER_ENCODING) {
        return true;
    }
    headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .is_some_and(|n| n > 0)
}

fn is_json(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|v| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .is_some_and(|m| m == "application/json" || (m.starts_with("application/") && m.ends_with("+json")))
}

/// A 415 for a compressed request body: refused before a byte is inflated (a small body can
/// inflate a thousandfold; docs/benchmarks.md, "Why the code is as it is").
fn check_content_encoding(req: &ServiceRequest) -> Result<(), ApiError> {
    let encoding = req.headers().get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()).map(str::trim);
    match encoding {
        None | Some("") => Ok(()),
        Some(e) if e.eq_ignore_ascii_case("identity") => Ok(()),
        Some(e) => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!("send the body uncompressed (Content-Encoding `{e}` is not accepted)"),
        )
        .field("Content-Encoding")),
    }
}

/// A 415 unless a body sent to a JSON route says it is JSON.
fn check_content_type(req: &ServiceRequest) -> Result<(), ApiError> {
    let writes = matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH);
    if !writes || !req.path().starts_with("/api/v1/") || takes_a_file(req.path()) || !has_body(req) {
        return Ok(());
    }
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    if is_json(content_type) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            format!(
                "send JSON with `Content-Type: application/json` (got {})",
                content_type.map(|c| format!("`{c}`")).unwrap_or_else(|| "none".into())
            ),
        )
        .field("Content-Type"))
    }
}

/// The year of a `YYYY-MM-DD…` value, if it starts like one.
pub fn date_year(value: &[u8]) -> Option<i32> {
    let shaped = value.len() >= 10
        && value[..4].iter().all(u8::is_ascii_digit)
        && value[4] == b'-'
        && value[5..7].iter().all(u8::is_ascii_digit)
        && value[7] == b'-'
        && value[8..10].iter().all(u8::is_ascii_digit)
        && (value.len() == 10 || !value[10].is_ascii_digit());
    shaped.then(|| value[..4].iter().fold(0i32, |y, d| y * 10 + i32::from(d - b'0')))
}

pub fn year_in_range(year: i32) -> bool {
    (FIRST_YEAR..=LAST_YEAR).contains(&year)
}

pub fn date_out_of_range(field: &str, value: &str) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::DateOutOfRange,
        format!("{field}: {value:?} is outside {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"),
    )
    .field(field)
}

/// A 422 for a query parameter holding a date outside the range.
fn check_query_dates(req: &ServiceRequest) -> Result<(), ApiError> {
    for pair in req.query_string().split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        if let Some(year) = date_year(value.as_bytes()) {
            if !year_in_range(year) {
                return Err(date_out_of_range(name, value));
            }
        }
    }
    Ok(())
}

/// The middleware: the checks above, then the handler with its panics caught.
/// The API's routes as the OpenAPI document states them: each path template's segments and the
/// methods it takes. A known path asked with another method gets 405 with `Allow`, not 404.
pub struct Routes(Vec<(Vec<String>, Vec<Method>)>);

impl Routes {
    pub fn from_document(doc: &serde_json::Value) -> Routes {
        let mut routes = Vec::new();
        for (path, item) in doc["paths"].as_object().into_iter().flatten() {
            let segments = path.split('/').map(str::to_string).collect();
            let methods = item
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(m, _)| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
                .collect();
            routes.push((segments, methods));
        }
        Routes(routes)
    }

    /// The methods of the routes whose template matches `path` most closely (most literal
    /// segments: `/payment-standards/compute` before `/payment-standards/{id}`); `None` when no
    /// template matches.
    pub fn methods(&self, path: &str) -> Option<Vec<Method>> {
        let asked: Vec<&str> = path.split('/').collect();
        let mut best: Option<(usize, Vec<Method>)> = None;
        for (segments, methods) in &self.0 {
            let matches = segments.len() == asked.len()
                && segments.iter().zip(&asked).all(|(s, a)| s == a || (s.starts_with('{') && !a.is_empty()));
            if !matches {
                continue;
            }
            let literal = segments.iter().filter(|s| !s.starts_with('{')).count();
            match &mut best {
                Some((n, all)) if *n == literal => {
                    all.extend(methods.iter().filter(|m| !all.contains(m)).cloned().collect::<Vec<_>>())
                }
                Some((n, _)) if *n > literal => {}
                _ => best = Some((literal, methods.clone())),
            }
        }
        best.map(|(_, methods)| methods)
    }
}

/// A 405 with `Allow` when the path is a route that does not take this method.
fn check_method(req: &ServiceRequest) -> Result<(), Box<actix_web::HttpResponse>> {
    let Some(routes) = req.app_data::<actix_web::web::Data<Routes>>() else { return Ok(()) };
    let Some(methods) = routes.methods(req.path()) else { return Ok(()) };
    if methods.contains(req.method()) {
        return Ok(());
    }
    let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
    let mut response = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::MethodNotAllowed,
        format!("{} is not allowed here; use {allow}", req.method()),
    )
    .error_response();
    response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_str(&allow).expect("method names"));
    Err(Box::new(response))
}

pub async fn guard(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    if let Err(response) = check_method(&req) {
        let (http, _) = req.into_parts();
        return Ok(ServiceResponse::new(http, *response));
    }
    if let Err(e) =
        check_content_encoding(&req).and_then(|_| check_content_type(&req)).and_then(|_| check_query_dates(&req))
    {
        let (http, _) = req.into_parts();
        return Ok(ServiceResponse::new(http, e.error_response()));
    }
    // The request moves into the handler (actix refuses a second handle on it), so a panic is
    // answered as an error, which the server renders with the error's own JSON body.
    let what_request = format!("{} {}", req.method(), req.path());
    match AssertUnwindSafe(next.call(req)).catch_unwind().await {
        Ok(result) => result.map(ServiceResponse::map_into_boxed_body),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Err(ApiError::internal(&format!("handler panicked on {what_request}: {what}")).into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_recognised_by_shape() {
        assert_eq!(date_year(b"2026-11-22"), Some(2026));
        assert_eq!(date_year(b"0000-01-01"), Some(0));
        assert_eq!(date_year(b"9999-12-31T00:00:00Z"), Some(9999));
        assert_eq!(date_year(b"2026-11-221"), None);
        assert_eq!(date_year(b"PO-2026-11"), None);
        assert_eq!(date_year(b"20261122"), None);
        assert!(year_in_range(2000) && year_in_range(2100));
        assert!(!year_in_range(1999) && !year_in_range(2101));
    }

    #[test]
    fn json_is_json_with_any_parameters() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("application/merge-patch+json")));
        assert!(!is_json(Some("text/plain")));
        assert!(!is_json(Some("application/xml")));
        assert!(!is_json(None));
    }

    /// Every route whose request body is not JSON in the OpenAPI document is a file route here,
    /// and no JSON route is: a new upload route must be named in `takes_a_file`.
    #[test]
    fn the_file_routes_are_the_documents_non_json_bodies() {
        let doc = crate::server::openapi_document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let Some(content) = op["requestBody"]["content"].as_object() else { continue };
                let concrete = path.replace("{id}", "x");
                let json = content.keys().any(|k| k == "application/json");
                assert_eq!(takes_a_file(&concrete), !json, "{method} {path}: {:?}", content.keys().collect::<Vec<_>>());
            }
        }
    }
}
