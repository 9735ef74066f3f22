//! User administration (admins for the platform, bureau officers for their region) and a
//! user's own password.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use jicai_domain::identity::{self, NewUser, Role, UserChange, UserFilter, UserListItem, UserView};
use jicai_domain::paging::{Page, PageRequest};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::routes::identity::LoginResponse;
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(deactivate_user)
        .service(activate_user)
        .service(reset_password)
        .service(change_role)
        .service(unlock_user)
        .service(change_own_password);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// Part of the username or display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    /// `true`: only users switched on; `false`: only those switched off.
    pub active: Option<bool>,
    pub org_id: Option<String>,
}

/// Users the caller administers (admins all, bureau officers their region's), by username,
/// with their organisation, last sign-in and any lock from failed sign-ins.
#[utoipa::path(
    tag = "users",
    params(UserQuery),
    responses((status = 200, body = Page<UserListItem>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/users")]
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<UserQuery>,
) -> Result<web::Json<Page<UserListItem>>, ApiError> {
    let q = q.into_inner();
    let page = PageRequest::new(q.page, q.per_page);
    let filter = UserFilter { q: q.q, role: q.role, active: q.active, org_id: q.org_id };
    let limits = state.sign_in_limits;
    Ok(web::Json(state.run(move |conn, now| identity::list_users(conn, &caller.0, &filter, &limits, page, now)).await?))
}

/// Creates a user in an organisation of the matching kind: admins any, bureau officers a
/// bureau, fund or hospital user of their own region.
#[utoipa::path(
    tag = "users",
    request_body = NewUser,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/users")]
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewUser = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        identity::create_user(conn, actor, input, None, now)
    })
    .await
}

async fn change(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: String,
    raw: web::Bytes,
    change: UserChange,
) -> Result<HttpResponse, ApiError> {
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        identity::change_user(conn, actor, &id, change, now)
    })
    .await
}

/// Switches a user off: they cannot sign in, and their next request with a token they hold is
/// refused (401 `account_disabled`).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "your own account", body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/users/{id}/deactivate")]
pub async fn deactivate_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(state, caller, req, id.into_inner(), web::Bytes::new(), UserChange::Active(false)).await
}

/// Switches a user on again (they sign in afresh).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/users/{id}/activate")]
pub async fn activate_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(state, caller, req, id.into_inner(), web::Bytes::new(), UserChange::Active(true)).await
}

#[derive(Deserialize, ToSchema)]
pub struct NewPassword {
    /// 8 to 128 characters.
    pub password: String,
}

/// Sets a new password for a user (to hand over to them); their sessions end and any lock from
/// failed sign-ins is lifted.
#[utoipa::path(
    tag = "users",
    request_body = NewPassword,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/users/{id}/password")]
pub async fn reset_password(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewPassword = body::parse(&raw)?;
    change(state, caller, req, id.into_inner(), raw, UserChange::ResetPassword(input.password)).await
}

#[derive(Deserialize, ToSchema)]
pub struct NewRole {
    pub role: Role,
}

/// Changes a user's role, within the roles the caller may grant and the user's organisation
/// kind; the user's sessions end.
#[utoipa::path(
    tag = "users",
    request_body = NewRole,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/users/{id}/role")]
pub async fn change_role(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewRole = body::parse(&raw)?;
    change(state, caller, req, id.into_inner(), raw, UserChange::Role(input.role)).await
}

/// Lifts a lock from failed sign-ins.
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = UserView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/users/{id}/unlock")]
pub async fn unlock_user(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    change(state, caller, req, id.into_inner(), web::Bytes::new(), UserChange::Unlock).await
}

#[derive(Deserialize, ToSchema)]
pub struct PasswordChange {
    pub current_password: String,
    /// 8 to 128 characters.
    pub new_password: String,
}

/// Changes the caller's own password. Every other session of theirs ends; the answer is a new
/// token, as from signing in.
#[utoipa::path(
    tag = "auth",
    request_body = PasswordChange,
    responses((status = 200, body = LoginResponse), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, description = "the current password is wrong, or the new one too short", body = ErrorBody), (status = 429, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/me/password")]
pub async fn change_own_password(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: PasswordChange = body::parse(&raw)?;
    let actor = caller.0;
    let username = actor.username.clone();
    let new_password = input.new_password.clone();
    state
        .run(move |conn, now| {
            identity::change_own_password(conn, &actor, &input.current_password, &input.new_password, now)
        })
        .await?;
    let client = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    crate::routes::identity::sign_in_response(&state, username, new_password, client).await
}
