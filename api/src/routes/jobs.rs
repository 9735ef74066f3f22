//! Job runs: the record of every run, and running a job by hand for an as-of date.

use actix_web::{get, post, web, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::identity::Role;
use jicai_domain::jobruns::{self, JobRunRow};
use jicai_domain::outbox::{self, OutboxRow};
use jicai_domain::paging::Page;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_job_runs).service(start_job_run).service(list_outbox);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// e.g. `settlement-sweep`.
    pub job: Option<String>,
    /// Without `job`: also list `mail-dispatch` runs (one a minute; left out by default).
    pub include_mail: Option<bool>,
}

#[utoipa::path(tag = "jobs", params(RunQuery), responses((status = 200, body = Page<JobRunRow>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/job-runs")]
pub async fn list_job_runs(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<RunQuery>,
) -> Result<web::Json<Page<JobRunRow>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(
        state
            .run(move |conn, _| jobruns::list(conn, &caller.0, q.job.as_deref(), q.include_mail.unwrap_or(false), page))
            .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct RunRequest {
    /// `settlement-sweep`, `deadline-watch`, `late-interest`, `prepayment`, `monthly-statements`,
    /// `monitoring`, `retention` (the bureau's only) or `mail-dispatch`.
    pub job: String,
    /// Default: today (Asia/Shanghai).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// Runs a job now for an as-of date and returns its record: a bureau or fund officer's run covers
/// its own region, an admin's the whole platform.
#[utoipa::path(tag = "jobs", request_body = RunRequest, responses((status = 201, body = JobRunRow), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/job-runs")]
pub async fn start_job_run(
    state: web::Data<AppState>,
    caller: Caller,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: RunRequest = body::parse(&raw)?;
    let actor = caller.0;
    let (pool, clock, cfg) = (state.pool.clone(), state.clock.clone(), state.jobs.clone());
    let run = state
        .run(move |conn, _| {
            let (job, id) = jicai_jobs::run_for(&pool, &clock, &cfg, &actor, &input.job, input.as_of)?;
            let page = jobruns::list(
                conn,
                &actor,
                Some(job.name()),
                true,
                jicai_domain::paging::PageRequest::new(Some(1), Some(20)),
            )?;
            page.items.into_iter().find(|r| r.id == id).ok_or(jicai_domain::DomainError::not_found("job run"))
        })
        .await?;
    Ok(HttpResponse::Created().json(run))
}

/// The mail outbox of the region (bureau officers, admins): the latest 200 messages.
#[utoipa::path(tag = "jobs", responses((status = 200, body = Vec<OutboxRow>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/outbox")]
pub async fn list_outbox(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<OutboxRow>>, ApiError> {
    let actor = caller.0;
    actor.require(&[Role::Admin, Role::BureauOfficer], "read the mail outbox").map_err(ApiError::from)?;
    Ok(web::Json(
        state
            .run(move |conn, _| {
                let region = if actor.role == Role::Admin { None } else { actor.region_id.clone() };
                outbox::list(conn, region.as_deref(), 200)
            })
            .await?,
    ))
}
