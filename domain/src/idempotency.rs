//! Idempotency-Key on creates: the caller's key plus a hash of the request. A replay returns the
//! stored first response; the same key with a different request is refused.
//!
//! The key row is written in the same transaction as the operation, so a failed request leaves
//! no trace and may be retried with the same key; of two concurrent requests with one key, the
//! second loses on the primary key, its whole transaction is rolled back, and it replays the first.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use crate::clock::to_db;
use crate::db::{is_unique_violation, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::schema::idempotency_keys;

pub struct IdempotentRequest<'a> {
    pub user_id: &'a str,
    pub key: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub body: &'a [u8],
}

/// A response as stored and replayed: HTTP status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

pub const MAX_KEY_LEN: usize = 255;

fn request_hash(req: &IdempotentRequest<'_>) -> String {
    let mut h = Sha256::new();
    h.update(req.method.as_bytes());
    h.update([0]);
    h.update(req.path.as_bytes());
    h.update([0]);
    h.update(req.body);
    hex::encode(h.finalize())
}

fn check_key(key: &str) -> DomainResult<()> {
    let ok = !key.is_empty() && key.len() <= MAX_KEY_LEN && key.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            ErrorCode::InvalidIdempotencyKey,
            "Idempotency-Key",
            format!("an Idempotency-Key has 1 to {MAX_KEY_LEN} visible ASCII characters"),
        ))
    }
}

fn lookup(conn: &mut DbConnection, req: &IdempotentRequest<'_>, hash: &str) -> DomainResult<Option<StoredResponse>> {
    let found: Option<(String, String, String, i32, String)> = idempotency_keys::table
        .find((req.user_id, req.key))
        .select((
            idempotency_keys::method,
            idempotency_keys::path,
            idempotency_keys::request_hash,
            idempotency_keys::status_code,
            idempotency_keys::response_body,
        ))
        .first(conn)
        .optional()?;
    match found {
        None => Ok(None),
        Some((_, _, stored_hash, status, body)) if stored_hash == hash => {
            Ok(Some(StoredResponse { status: status as u16, body, replayed: true }))
        }
        Some((method, path, _, _, _)) => Err(DomainError::Invalid(
            crate::error::Problem::new(
                ErrorCode::IdempotencyKeyReused,
                format!("this Idempotency-Key was already used for a different request ({method} {path})"),
            )
            .field("Idempotency-Key"),
        )),
    }
}

/// Runs `op` once per (user, key). `op` returns the response to store (status, JSON body).
///
/// The operation's own transaction joins the key's (see [`crate::db::joined`]); when the
/// operation answered a failure of it, everything is rolled back and run again with the
/// operation's transaction as a savepoint, so the answer and what is kept are as without the key.
pub fn run_once<F>(
    conn: &mut DbConnection,
    req: &IdempotentRequest<'_>,
    now: DateTime<Utc>,
    op: F,
) -> DomainResult<StoredResponse>
where
    F: FnOnce(&mut DbConnection) -> DomainResult<(u16, String)> + Clone,
{
    check_key(req.key)?;
    let hash = request_hash(req);
    let attempt = |conn: &mut DbConnection, join: bool| {
        let mut run_again = false;
        let out = write_tx(conn, |conn| {
            if let Some(stored) = lookup(conn, req, &hash)? {
                return Ok(stored);
            }
            let op = op.clone();
            let answered = if join { crate::db::joined(conn, op)? } else { Some(op(conn)?) };
            let Some((status, body)) = answered else {
                run_again = true;
                return Err(DomainError::Internal("run again without joining".into()));
            };
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(req.user_id),
                    idempotency_keys::idem_key.eq(req.key),
                    idempotency_keys::method.eq(req.method),
                    idempotency_keys::path.eq(req.path),
                    idempotency_keys::request_hash.eq(&hash),
                    idempotency_keys::status_code.eq(status as i32),
                    idempotency_keys::response_body.eq(&body),
                    idempotency_keys::created_at.eq(to_db(now)),
                ))
                .execute(conn)?;
            Ok(StoredResponse { status, body, replayed: false })
        });
        (out, run_again)
    };
    let attempt = match attempt(conn, true) {
        (_, true) => attempt(conn, false).0,
        (out, false) => out,
    };
    match attempt {
        Err(DomainError::Database(e)) if is_unique_violation(&e) => {
            // A concurrent request with the same key committed first: replay it.
            lookup(conn, req, &hash)?.ok_or(DomainError::Database(e))
        }
        other => other,
    }
}
