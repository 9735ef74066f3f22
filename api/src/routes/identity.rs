//! Sign-in, the caller's profile, regions, organisations, users and region policies.

use actix_web::http::StatusCode;
use actix_web::{get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use jicai_domain::identity::{self, NewOrg, NewRegion, OrgFilter, OrgKind, OrgRow, RegionRow};
use jicai_domain::paging::Page;
use jicai_domain::policy::{self, NewDeadlinePolicy, PolicyRow};
use jicai_domain::settlement::payable::{due_date_for, DueDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use crate::tokens;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login)
        .service(me)
        .service(list_regions)
        .service(create_region)
        .service(list_orgs)
        .service(get_org)
        .service(create_org)
        .service(list_policies)
        .service(due_date)
        .service(create_policy);
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    #[schema(example = "hospital1")]
    pub username: String,
    #[schema(example = "jicai-demo")]
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub organization: OrgRow,
    pub region: Option<RegionRow>,
    /// The server's "now" (it follows JICAI_FAKE_NOW in demos and tests) and its date in
    /// Asia/Shanghai, for date checks in clients.
    pub now: DateTime<Utc>,
    pub today: chrono::NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    pub token: String,
    pub token_type: &'static str,
    pub expires_at: DateTime<Utc>,
    pub user: Me,
}

pub(crate) fn load_me(
    conn: &mut jicai_domain::db::DbConnection,
    actor: &identity::Actor,
    now: DateTime<Utc>,
) -> jicai_domain::DomainResult<Me> {
    let (display_name, org, region) = identity::profile(conn, &actor.user_id)?;
    Ok(Me {
        user_id: actor.user_id.clone(),
        username: actor.username.clone(),
        display_name,
        role: actor.role.as_str().into(),
        organization: org,
        region,
        now,
        today: jicai_domain::clock::shanghai_date(now),
    })
}

/// Signs in with a username and password; returns a bearer token. Failed sign-ins are limited
/// per username and per client address: past the limit, even the right password gets 429 with
/// `Retry-After` until the lock ends (it grows with each further failure).
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, body = LoginResponse),
        (status = 400, description = "the body is not JSON", body = ErrorBody),
        (status = 401, description = "wrong username or password", body = ErrorBody),
        (status = 422, description = "a field is missing or of the wrong type", body = ErrorBody),
        (status = 429, description = "too many failed sign-ins: wait for `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u32, description = "seconds until the lock ends")))
    )
)]
#[post("/auth/login")]
pub async fn login(state: web::Data<AppState>, req: HttpRequest, raw: web::Bytes) -> Result<HttpResponse, ApiError> {
    let input: LoginRequest = body::parse(&raw)?;
    let client = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into());
    sign_in_response(&state, input.username, input.password, client).await
}

/// Signs in and answers with a fresh token and the user's profile.
pub async fn sign_in_response(
    state: &AppState,
    username: String,
    password: String,
    client: String,
) -> Result<HttpResponse, ApiError> {
    let keys = state.keys.clone();
    let limits = state.sign_in_limits;
    let _permit = state.logins.acquire().await.map_err(|_| ApiError::internal("login limiter closed"))?;
    let (actor, version, profile, now) = state
        .run(move |conn, now| {
            let attempt = identity::SignIn { username: &username, password: &password, client: &client };
            let (actor, version) = identity::sign_in(conn, &attempt, &limits, now)?;
            let profile = load_me(conn, &actor, now)?;
            Ok((actor, version, profile, now))
        })
        .await?;
    let (token, expires_at) = tokens::issue(&keys, &actor, version, now)?;
    Ok(HttpResponse::Ok().json(LoginResponse { token, token_type: "Bearer", expires_at, user: profile }))
}

/// The signed-in user, organisation and region.
#[utoipa::path(tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Me>, ApiError> {
    let actor = caller.0;
    Ok(web::Json(state.run(move |conn, now| load_me(conn, &actor, now)).await?))
}

/// Pooling regions (reference data, readable by every signed-in user).
#[utoipa::path(tag = "organizations", responses((status = 200, body = Vec<RegionRow>)), security(("bearer" = [])))]
#[get("/regions")]
pub async fn list_regions(state: web::Data<AppState>, _caller: Caller) -> Result<web::Json<Vec<RegionRow>>, ApiError> {
    Ok(web::Json(state.run(|conn, _| identity::list_regions(conn)).await?))
}

/// Creates a pooling region with its initial payment deadline policy (admin).
#[utoipa::path(
    tag = "organizations",
    request_body = NewRegion,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = RegionRow), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/regions")]
pub async fn create_region(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewRegion = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        jicai_domain::region_setup::create_region(conn, actor, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `bureau`, `hospital`, `enterprise` or `platform`.
    pub kind: Option<OrgKind>,
    /// Part of the name.
    pub q: Option<String>,
}

/// Organisations visible to the caller: admins all, bureau and fund officers their region's
/// and every enterprise, everyone else their own.
#[utoipa::path(tag = "organizations", params(OrgQuery), responses((status = 200, body = Page<OrgRow>)), security(("bearer" = [])))]
#[get("/organizations")]
pub async fn list_orgs(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<OrgQuery>,
) -> Result<web::Json<Page<OrgRow>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = OrgFilter { kind: q.kind, name_contains: q.q };
    Ok(web::Json(state.run(move |conn, _| identity::list_orgs(conn, &caller.0, &filter, page)).await?))
}

#[utoipa::path(tag = "organizations", responses((status = 200, body = OrgRow), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/organizations/{id}")]
pub async fn get_org(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<OrgRow>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| identity::get_visible_org(conn, &caller.0, &id)).await?))
}

/// Creates a bureau, hospital or enterprise (admin).
#[utoipa::path(
    tag = "organizations",
    request_body = NewOrg,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = OrgRow), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/organizations")]
pub async fn create_org(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewOrg = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        identity::create_org(conn, actor, input, false, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DueDateQuery {
    /// The acceptance date (Asia/Shanghai); today when absent.
    pub accepted_on: Option<NaiveDate>,
}

/// The due date of a payable accepted on a day in the caller's region, under the payment deadline
/// rule in force that day (as the payable will be given it).
#[utoipa::path(
    tag = "policies",
    params(DueDateQuery),
    responses((status = 200, body = DueDate), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/policies/due-date")]
pub async fn due_date(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<DueDateQuery>,
) -> Result<web::Json<DueDate>, ApiError> {
    let on = q.into_inner().accepted_on;
    Ok(web::Json(
        state
            .run(move |conn, now| {
                let day = on.unwrap_or_else(|| jicai_domain::clock::shanghai_date(now));
                due_date_for(conn, caller.0.region()?, day)
            })
            .await?,
    ))
}

/// Policy versions of the caller's region (every rule with its effective date).
#[utoipa::path(tag = "policies", responses((status = 200, body = Vec<PolicyRow>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/policies")]
pub async fn list_policies(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<PolicyRow>>, ApiError> {
    let actor = caller.0;
    Ok(web::Json(state.run(move |conn, _| policy::list_policies(conn, actor.region()?)).await?))
}

/// Adds a payment deadline version for the bureau's region, effective today or later:
/// `{"effective_from": "2027-01-01", "rule": "calendar_days", "days": 29}` or
/// `{"effective_from": "2027-01-01", "rule": "end_of_next_month"}`.
#[utoipa::path(
    tag = "policies",
    request_body = NewDeadlinePolicy,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe")),
    responses((status = 201, body = PolicyRow), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/policies")]
pub async fn create_policy(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: NewDeadlinePolicy = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        jicai_domain::region_setup::create_deadline_policy(conn, actor, input, now)
    })
    .await
}
