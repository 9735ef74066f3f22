//! Request bodies: JSON parsed into the domain's input types with the failing field named, and
//! writes run once per Idempotency-Key.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use jicai_domain::db::DbConnection;
use jicai_domain::error::ErrorCode;
use jicai_domain::idempotency::{self, IdempotentRequest, StoredResponse};
use jicai_domain::identity::Actor;
use jicai_domain::DomainResult;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::auth::Caller;
use crate::error::ApiError;
use crate::guard;
use crate::state::AppState;

pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

fn parse_error(e: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = e.path().to_string();
    let inner = e.into_inner();
    if inner.is_syntax() || inner.is_eof() {
        return ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidJson,
            format!("the body is not valid JSON: {inner}"),
        );
    }
    let message = inner.to_string();
    // serde's messages end in "at line L column C"; the field path says more to a user.
    let message = message.split(" at line ").next().unwrap_or(&message).to_string();
    let err = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidBody, format!("{path}: {message}"));
    if path == "." {
        err
    } else {
        err.field(path)
    }
}

/// Whether `T` reads a JSON object (a struct or a map). serde would also read a struct from an
/// array, field by field (`[null, null]`), which the document does not allow.
fn wants_object<T: DeserializeOwned>() -> bool {
    use serde::de::{Error, Visitor};
    struct Probe;
    impl<'de> serde::Deserializer<'de> for Probe {
        type Error = serde::de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("other"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("object"))
        }
        fn deserialize_map<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(Self::Error::custom("object"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option unit
            unit_struct newtype_struct seq tuple tuple_struct enum identifier ignored_any
        }
    }
    matches!(T::deserialize(Probe), Err(e) if e.to_string() == "object")
}

/// Parses a JSON body into `T`, naming the offending field on failure. A date (a string
/// starting `YYYY-MM-DD`) outside the platform's years is refused wherever it stands.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidJson, "the request needs a JSON body"));
    }
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') && wants_object::<T>() {
        serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(|e| {
            ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidJson, format!("the body is not valid JSON: {e}"))
        })?;
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidBody,
            "the body must be a JSON object",
        ));
    }
    jicai_domain::failpoint::pause("parse");
    let de = &mut serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(de).map_err(parse_error)?;
    check_dates(body)?;
    Ok(value)
}

/// Finds a string value shaped like a date with a year out of range: a scan of the bytes (no
/// second parse), and only when one is found the JSON is walked to name its field.
fn check_dates(body: &[u8]) -> Result<(), ApiError> {
    let found = body
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'"')
        .filter_map(|(i, _)| guard::date_year(&body[i + 1..]))
        .any(|year| !guard::year_in_range(year));
    if !found {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else { return Ok(()) };
    fn walk(v: &serde_json::Value, path: String) -> Option<(String, String)> {
        match v {
            serde_json::Value::String(s) => {
                guard::date_year(s.as_bytes()).filter(|y| !guard::year_in_range(*y)).map(|_| (path, s.clone()))
            }
            serde_json::Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, item)| walk(item, format!("{path}[{i}]")))
            }
            serde_json::Value::Object(fields) => fields
                .iter()
                .find_map(|(k, item)| walk(item, if path.is_empty() { k.clone() } else { format!("{path}.{k}") })),
            _ => None,
        }
    }
    match walk(&value, String::new()) {
        Some((field, text)) => Err(guard::date_out_of_range(&field, &text)),
        None => Ok(()),
    }
}

/// A bulk body: one object, or an array of them (all or nothing).
pub struct OneOrMany<T> {
    pub items: Vec<T>,
    pub was_array: bool,
}

pub const MAX_BULK_ITEMS: usize = 5_000;

pub fn parse_one_or_many<T: DeserializeOwned>(body: &[u8]) -> Result<OneOrMany<T>, ApiError> {
    let trimmed = body.iter().find(|b| !b.is_ascii_whitespace());
    if trimmed == Some(&b'[') {
        let items: Vec<T> = parse(body)?;
        if items.is_empty() || items.len() > MAX_BULK_ITEMS {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidBody,
                format!("send 1 to {MAX_BULK_ITEMS} items"),
            ));
        }
        Ok(OneOrMany { items, was_array: true })
    } else {
        Ok(OneOrMany { items: vec![parse(body)?], was_array: false })
    }
}

/// Renders a bulk result the way it was asked for: an array, or the single object.
pub fn render_bulk<U: Serialize>(was_array: bool, out: Vec<U>) -> serde_json::Value {
    if was_array {
        serde_json::to_value(out).expect("serializable")
    } else {
        out.into_iter().next().map(|o| serde_json::to_value(o).expect("serializable")).unwrap_or_default()
    }
}

fn respond(stored: StoredResponse) -> HttpResponse {
    let mut b = HttpResponse::build(StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK));
    b.content_type("application/json");
    if stored.replayed {
        b.insert_header(("Idempotent-Replayed", "true"));
    }
    b.body(stored.body)
}

/// Runs a write for the caller. With an `Idempotency-Key` header, the first response is stored
/// with a hash of the request and replayed for any retry; a different request under the same key
/// is refused. `op` gets the connection, the actor and the clock's "now".
pub async fn write<O, F>(
    state: &AppState,
    caller: Caller,
    req: &HttpRequest,
    body: web::Bytes,
    status: StatusCode,
    op: F,
) -> Result<HttpResponse, ApiError>
where
    O: Serialize,
    F: FnOnce(&mut DbConnection, &Actor, DateTime<Utc>) -> DomainResult<O> + Clone + Send + 'static,
{
    let key = match req.headers().get(IDEMPOTENCY_HEADER) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map_err(|_| {
                    ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        ErrorCode::InvalidIdempotencyKey,
                        "the Idempotency-Key must be ASCII",
                    )
                    .field(IDEMPOTENCY_HEADER)
                })?
                .to_string(),
        ),
    };
    let method = req.method().to_string();
    let path = req.path().to_string();
    let actor = caller.0;
    let stored = state
        .run(move |conn, now| {
            let run_op = |conn: &mut DbConnection| -> DomainResult<(u16, String)> {
                let out = op(conn, &actor, now)?;
                Ok((status.as_u16(), serde_json::to_string(&out)?))
            };
            match key {
                Some(key) => idempotency::run_once(
                    conn,
                    &IdempotentRequest {
                        user_id: &actor.user_id,
                        key: &key,
                        method: &method,
                        path: &path,
                        body: &body,
                    },
                    now,
                    run_op,
                ),
                None => run_op(conn).map(|(status, body)| StoredResponse { status, body, replayed: false }),
            }
        })
        .await?;
    Ok(respond(stored))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Input {
        a: Option<i32>,
        b: Option<String>,
    }

    #[test]
    fn an_object_is_read_from_an_object_only() {
        assert!(parse::<Input>(br#"{"a": 1}"#).is_ok());
        let refused = parse::<Input>(b"[null, null]").unwrap_err();
        assert_eq!((refused.status, refused.detail.code.as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body"));
        assert_eq!(parse::<Input>(b"[1,").unwrap_err().detail.code, ErrorCode::InvalidJson);
        // A list is still read from an array.
        assert_eq!(parse::<Vec<i32>>(b"[1, 2]").unwrap(), vec![1, 2]);
        assert!(parse::<std::collections::BTreeMap<String, i32>>(b"[]").is_err());
    }
}
