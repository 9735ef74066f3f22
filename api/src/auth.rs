//! Who is calling. Every `/api/v1` route but login needs a bearer token (`tokens`); the `Caller`
//! extractor checks it, then the user's session in the database (a switched-off user,
//! or one changed since the token was issued, is refused on the very next request), and turns
//! it into the domain's `Actor`, which scopes every query.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use jicai_domain::identity::Actor;
use std::future::Future;
use std::pin::Pin;

use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens;

/// The authenticated caller.
pub struct Caller(pub Actor);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let checked = (|| -> Result<(web::Data<AppState>, Actor, i32), ApiError> {
            let state =
                req.app_data::<web::Data<AppState>>().ok_or_else(|| ApiError::internal("application state missing"))?;
            let value = req
                .headers()
                .get(header::AUTHORIZATION)
                .ok_or_else(|| ApiError::unauthenticated("sign in first: send `Authorization: Bearer <token>`"))?;
            let token = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .ok_or_else(|| ApiError::unauthenticated("the Authorization header must be `Bearer <token>`"))?;
            let (actor, version) = tokens::verify(&state.keys, token, state.clock.now())?;
            Ok((state.clone(), actor, version))
        })();
        Box::pin(async move {
            let (state, claimed, version) = checked?;
            // The user as read a moment ago needs no connection, nor a trip to the blocking pool.
            if let Some(session) = jicai_domain::identity::kept_session(&claimed.user_id, version) {
                return Ok(Caller(session?));
            }
            let actor = state
                .run(move |conn, _| jicai_domain::identity::current_session(conn, &claimed.user_id, version))
                .await?;
            Ok(Caller(actor))
        })
    }
}
