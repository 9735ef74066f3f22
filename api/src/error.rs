//! HTTP errors: every failure is JSON with a stable code, a message and, for validation, the
//! offending field. Internal details are logged, never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use jicai_domain::error::ErrorCode;
use jicai_domain::{DomainError, Problem};
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema, Debug)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `price_mismatch`: one of `ErrorCode`.
    pub code: ErrorCode,
    /// What went wrong, in the user's terms.
    pub message: String,
    /// The offending field, e.g. `lines[0].unit_price`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Figures that help to fix the request (expected price, open quantity…).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub detail: ErrorDetail,
    /// Seconds for a `Retry-After` header (429, 503).
    pub retry_after: Option<u32>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            detail: ErrorDetail { code, message: message.into(), field: None, details: None },
            retry_after: None,
        }
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.detail.field = Some(field.into());
        self
    }
    pub fn retry_after(mut self, seconds: i64) -> Self {
        self.retry_after = Some(u32::try_from(seconds.max(1)).unwrap_or(u32::MAX));
        self
    }
    pub fn unauthenticated(message: &str) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, message)
    }
    pub fn internal(context: &str) -> Self {
        tracing::error!("internal error: {context}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "an internal error occurred; it has been logged",
        )
    }
    fn from_problem(status: StatusCode, p: Problem) -> Self {
        ApiError {
            status,
            detail: ErrorDetail { code: p.code, message: p.message, field: p.field, details: p.details },
            retry_after: None,
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.detail.code, self.detail.message)
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(p) => ApiError::from_problem(StatusCode::UNPROCESSABLE_ENTITY, p),
            DomainError::Conflict(p) => ApiError::from_problem(StatusCode::CONFLICT, p),
            DomainError::Forbidden(p) => ApiError::from_problem(StatusCode::FORBIDDEN, p),
            DomainError::NotFound { entity } => {
                ApiError::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("{entity} not found"))
            }
            DomainError::BadCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::BadCredentials, "wrong username or password")
            }
            DomainError::TooManyAttempts { retry_after_secs } => ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManySignInAttempts,
                format!("too many failed sign-ins; try again in {retry_after_secs} seconds"),
            )
            .retry_after(retry_after_secs),
            DomainError::SessionEnded(p) => ApiError::from_problem(StatusCode::UNAUTHORIZED, p),
            DomainError::Database(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::SerializationFailure,
                _,
            )) => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Busy,
                "the database is busy; retry the request",
            )
            .retry_after(1),
            // PostgreSQL broke a lock cycle (40P01) by rolling this transaction back: nothing was
            // saved, and the same request passes when it is sent again.
            DomainError::Database(e) if database_message(&e).contains("deadlock detected") => {
                tracing::warn!("deadlock: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Busy,
                    "the database is busy; retry the request",
                )
                .retry_after(1)
            }
            DomainError::Database(e) if jicai_domain::db::connection_lost(&e) => {
                tracing::warn!("database connection lost: {e}");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::DatabaseUnavailable,
                    "the database is not reachable right now; nothing was saved; retry shortly",
                )
                .retry_after(5)
            }
            DomainError::Database(e) if storage_full(&e) => {
                tracing::error!("the database's storage is full: {e}");
                ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    ErrorCode::StorageFull,
                    "the server's storage is full; nothing was saved; tell the platform's administrator",
                )
                .retry_after(60)
            }
            other => ApiError::internal(&other.to_string()),
        }
    }
}

/// The text of a database error, lower-cased.
fn database_message(e: &diesel::result::Error) -> String {
    match e {
        diesel::result::Error::DatabaseError(_, info) => info.message().to_ascii_lowercase(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

/// The disk under the database is full (SQLite: SQLITE_FULL, or an I/O error writing the
/// journal; PostgreSQL: `could not extend file`, `No space left on device`).
fn storage_full(e: &diesel::result::Error) -> bool {
    let m = database_message(e);
    ["database or disk is full", "no space left on device", "could not extend file", "disk i/o error"]
        .iter()
        .any(|p| m.contains(p))
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            builder.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(seconds) = self.retry_after {
            builder.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        builder.json(ErrorBody {
            error: ErrorDetail {
                code: self.detail.code,
                message: self.detail.message.clone(),
                field: self.detail.field.clone(),
                details: self.detail.details.clone(),
            },
        })
    }
}

/// Turns actix's own plain-text error responses (unknown route, wrong method, body too large,
/// malformed query…) into the same JSON shape.
pub fn json_error_for_status(status: StatusCode) -> Option<ApiError> {
    let (code, message) = match status.as_u16() {
        401 => (ErrorCode::Unauthenticated, "sign in first"),
        404 => (ErrorCode::NotFound, "no such resource"),
        405 => (ErrorCode::MethodNotAllowed, "this method is not allowed here"),
        408 => (ErrorCode::Timeout, "the request took too long to arrive"),
        411 => (ErrorCode::LengthRequired, "the request needs a Content-Length"),
        413 => (ErrorCode::PayloadTooLarge, "the request body is too large"),
        414 => (ErrorCode::UriTooLong, "the request URI is too long"),
        415 => (ErrorCode::UnsupportedMediaType, "send JSON (Content-Type: application/json)"),
        431 => (ErrorCode::HeadersTooLarge, "the request headers are too large"),
        400..=499 => (ErrorCode::BadRequest, "the request cannot be served"),
        500..=599 => (ErrorCode::Internal, "an internal error occurred"),
        _ => return None,
    };
    Some(ApiError::new(status, code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Info(&'static str);
    impl diesel::result::DatabaseErrorInformation for Info {
        fn message(&self) -> &str {
            self.0
        }
        fn details(&self) -> Option<&str> {
            None
        }
        fn hint(&self) -> Option<&str> {
            None
        }
        fn table_name(&self) -> Option<&str> {
            None
        }
        fn column_name(&self) -> Option<&str> {
            None
        }
        fn constraint_name(&self) -> Option<&str> {
            None
        }
        fn statement_position(&self) -> Option<i32> {
            None
        }
    }

    fn database(message: &'static str) -> ApiError {
        ApiError::from(DomainError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new(Info(message)),
        )))
    }

    #[test]
    fn a_deadlock_is_a_busy_database_to_retry_not_an_internal_error() {
        let e = database("deadlock detected");
        assert_eq!(e.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.detail.code, ErrorCode::Busy);
        assert_eq!(e.retry_after, Some(1));
        assert_eq!(database("database or disk is full").status, StatusCode::INSUFFICIENT_STORAGE);
        assert_eq!(database("syntax error at or near \"x\"").status, StatusCode::INTERNAL_SERVER_ERROR);
    }
}
