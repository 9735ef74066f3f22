//! Domain errors, in the user's terms. The api maps each variant to an HTTP status and
//! renders `code`, `message` and, for validation, the offending `field`.

use serde_json::Value;
use std::fmt;

/// What a refusal says: a stable machine code, a human message, the offending field.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
    pub details: Option<Value>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Problem {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Problem { code, message: message.into(), field: None, details: None }
    }
    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
    pub fn details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// The request breaks a business rule or a field is malformed (422).
    #[error("{0}")]
    Invalid(Problem),
    /// The record's current state does not allow this (409).
    #[error("{0}")]
    Conflict(Problem),
    /// Absent, or not visible to the caller: another tenant's record is indistinguishable (404).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// The caller's role may not perform this operation at all (403).
    #[error("{0}")]
    Forbidden(Problem),
    #[error("wrong username or password")]
    BadCredentials,
    /// Failed sign-ins lock the account or the client address for a while (429).
    #[error("too many failed sign-ins; retry in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: i64 },
    /// The token's session has ended: the user was switched off, or changed since (401).
    #[error("{0}")]
    SessionEnded(Problem),
    #[error("configuration error: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
    #[error("internal error: {0}")]
    Internal(String),
}

pub type DomainResult<T> = Result<T, DomainError>;

impl DomainError {
    pub fn invalid(code: &'static str, field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid(Problem::new(code, message).field(field))
    }
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        DomainError::Conflict(Problem::new(code, message))
    }
    pub fn not_found(entity: &'static str) -> Self {
        DomainError::NotFound { entity }
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        DomainError::Forbidden(Problem::new("forbidden", message))
    }
    /// Adds details to an Invalid / Conflict / Forbidden problem.
    pub fn with_details(self, details: Value) -> Self {
        match self {
            DomainError::Invalid(p) => DomainError::Invalid(p.details(details)),
            DomainError::Conflict(p) => DomainError::Conflict(p.details(details)),
            DomainError::Forbidden(p) => DomainError::Forbidden(p.details(details)),
            other => other,
        }
    }
}

impl From<diesel::r2d2::PoolError> for DomainError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        DomainError::Internal(format!("database pool: {e}"))
    }
}

/// A required text field, trimmed: refused when empty or longer than `max` characters.
pub fn required_text(value: &str, field: &str, max: usize) -> DomainResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DomainError::invalid("required", field, format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(DomainError::invalid("too_long", field, format!("{field} is longer than {max} characters")));
    }
    Ok(v.to_string())
}
