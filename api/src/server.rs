//! The HTTP server: state, middleware, routes, OpenAPI and the web app.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers, Logger};
use actix_web::{web, App, HttpResponse, HttpServer, ResponseError};
use jicai_domain::error::ErrorCode;
use std::net::TcpListener;
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt};

use crate::error::{json_error_for_status, ApiError};
use crate::openapi::ApiDoc;
use crate::routes;
use crate::state::AppState;

/// Largest request body accepted (bulk loads of a few thousand rows fit).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Replaces any non-JSON error response (actix's own plain-text ones) with the JSON error shape.
fn jsonify_errors<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let Some(err) = json_error_for_status(status) else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let (req, _) = res.into_parts();
    let response: HttpResponse<BoxBody> = err.error_response();
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, response).map_into_right_body()))
}

fn query_error(err: actix_web::error::QueryPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    let message = err.to_string();
    ApiError::new(
        actix_web::http::StatusCode::BAD_REQUEST,
        ErrorCode::InvalidQuery,
        format!("the query string is invalid: {message}"),
    )
    .into()
}

fn path_error(err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::new(actix_web::http::StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no such resource: {err}"))
        .into()
}

/// The Content-Security-Policy the web app runs under: its own scripts only (no inline script,
/// no eval), inline styles (antd writes its CSS at run time), images and fonts from itself or
/// data/blob URLs, calls to its own API; no framing by anyone.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

fn security_headers() -> actix_web::middleware::DefaultHeaders {
    actix_web::middleware::DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, "no-referrer"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
}

/// The request line as logged: the method, the path and the query with the value of anything
/// that may be a secret (a token, a password, a key) replaced, so that no log ever holds one.
pub fn logged_request(method: &str, path: &str, query: &str) -> String {
    if query.is_empty() {
        return format!("{method} {path}");
    }
    let secret = |name: &str| {
        let n = name.to_ascii_lowercase();
        ["token", "password", "secret", "key", "authorization", "jwt"].iter().any(|s| n.contains(s))
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if secret(name) => format!("{name}=[redacted]"),
            _ => pair.to_string(),
        })
        .collect();
    format!("{method} {path}?{}", query.join("&"))
}

/// The built OpenAPI document (served at `/api/v1/openapi.json`): what the handlers declare,
/// completed with what every route can answer (`openapi::complete`).
pub fn openapi_document() -> serde_json::Value {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(routes::health::healthz)
        .service(scope::scope("/api/v1").configure(routes::configure))
        .split_for_parts();
    let mut doc = serde_json::to_value(api).expect("the OpenAPI document serializes");
    crate::openapi::complete(&mut doc);
    doc
}

/// Binds and runs the server until it is stopped; prints the address it listens on.
pub async fn run(state: AppState, bind: &str, workers: usize, frontend_dir: String) -> std::io::Result<()> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let api_doc = web::Data::new(openapi_document());
    let routes = web::Data::new(crate::guard::Routes::from_document(&api_doc));
    let state = web::Data::new(state);
    let frontend = std::path::PathBuf::from(&frontend_dir);
    let has_frontend = frontend.join("index.html").is_file();
    println!("jicai listening on http://{addr} (database: {})", state.backend);
    if !has_frontend {
        println!("web app not built ({frontend_dir}/index.html missing): serving the API only");
    }
    HttpServer::new(move || {
        let app = App::new()
            .app_data(state.clone())
            .app_data(api_doc.clone())
            .app_data(routes.clone())
            .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
            .app_data(web::QueryConfig::default().error_handler(query_error))
            .app_data(web::PathConfig::default().error_handler(path_error))
            .wrap(actix_web::middleware::from_fn(crate::guard::guard))
            .wrap(ErrorHandlers::new().default_handler(jsonify_errors))
            .wrap(actix_web::middleware::Compress::default())
            .wrap(security_headers())
            .wrap(
                Logger::new("%a \"%{request}xi\" %s %b %Dms")
                    .custom_request_replace("request", |req| {
                        logged_request(req.method().as_str(), req.path(), req.query_string())
                    })
                    .exclude("/healthz"),
            )
            .service(routes::health::healthz)
            .service(
                web::scope("/api/v1")
                    .route(
                        "/openapi.json",
                        web::get().to(|doc: web::Data<serde_json::Value>| async move {
                            HttpResponse::Ok().json(doc.get_ref())
                        }),
                    )
                    .configure(|cfg| {
                        let mut c = utoipa_actix_web::service_config::ServiceConfig::new(cfg);
                        routes::configure(&mut c);
                    }),
            );
        crate::frontend::mount(app, has_frontend.then(|| frontend.clone()))
    })
    .workers(workers)
    .on_connect(|conn, _ext| {
        if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
            let _ = tcp.set_nodelay(true);
        }
    })
    .listen(listener)?
    .run()
    .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_in_a_query_string_never_reach_the_log() {
        assert_eq!(super::logged_request("GET", "/api/v1/orders", ""), "GET /api/v1/orders");
        assert_eq!(
            super::logged_request("GET", "/x", "access_token=eyJ.abc.def&page=2&Idempotency-Key=k1"),
            "GET /x?access_token=[redacted]&page=2&Idempotency-Key=[redacted]"
        );
    }
}
