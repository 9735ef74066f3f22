//! Bearer tokens (JWT, HS256): the keys, issuing a token at sign-in, and checking one. The
//! `Caller` extractor (`auth`) uses them; the application state holds the keys.

use chrono::{DateTime, Duration, Utc};
use jicai_domain::identity::{Actor, Role};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;

pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    pub ttl: Duration,
}

impl TokenKeys {
    pub fn new(secret: &str, ttl: Duration) -> Self {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            ttl,
        }
    }
}

#[derive(Serialize, Deserialize, Debug)]
struct Claims {
    sub: String,
    username: String,
    role: Role,
    org: String,
    region: Option<String>,
    /// The user's session version when the token was issued.
    #[serde(default)]
    ver: i32,
    iat: i64,
    exp: i64,
}

/// Issues a token for `actor`, valid from `now` for the configured lifetime.
pub fn issue(
    keys: &TokenKeys,
    actor: &Actor,
    session_version: i32,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), ApiError> {
    let expires = now + keys.ttl;
    let claims = Claims {
        sub: actor.user_id.clone(),
        username: actor.username.clone(),
        role: actor.role,
        org: actor.org_id.clone(),
        region: actor.region_id.clone(),
        ver: session_version,
        iat: now.timestamp(),
        exp: expires.timestamp(),
    };
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &keys.encoding)
        .map(|t| (t, expires))
        .map_err(|e| ApiError::internal(&format!("token signing: {e}")))
}

/// Checks a token's signature, then its expiry against the server's clock (which tests and
/// demos may place in another year, so the library's wall-clock check is off).
pub fn verify(keys: &TokenKeys, token: &str, now: DateTime<Utc>) -> Result<(Actor, i32), ApiError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map_err(|_| ApiError::unauthenticated("the access token is invalid; sign in again"))?;
    let c = data.claims;
    if c.exp <= now.timestamp() {
        return Err(ApiError::unauthenticated("the access token has expired; sign in again"));
    }
    // The name shown to others is read with the session, not carried in the token.
    let actor = Actor {
        user_id: c.sub,
        username: c.username,
        display_name: String::new(),
        role: c.role,
        org_id: c.org,
        region_id: c.region,
    };
    Ok((actor, c.ver))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            user_id: "u1".into(),
            username: "hospital1".into(),
            display_name: String::new(),
            role: Role::HospitalBuyer,
            org_id: "o1".into(),
            region_id: Some("r1".into()),
        }
    }

    #[test]
    fn tokens_round_trip_and_expire_by_the_server_clock() {
        let keys = TokenKeys::new("secret", Duration::hours(8));
        let issued_at = DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z").unwrap().with_timezone(&Utc);
        let (token, expires) = issue(&keys, &actor(), 3, issued_at).unwrap();
        assert_eq!(expires - issued_at, Duration::hours(8));
        assert_eq!(verify(&keys, &token, issued_at + Duration::hours(7)).unwrap(), (actor(), 3));
        assert!(verify(&keys, &token, issued_at + Duration::hours(8)).is_err());
        let other = TokenKeys::new("other secret", Duration::hours(8));
        assert!(verify(&other, &token, issued_at).is_err());
    }
}
