//! Surplus retention (结余留用) and monitoring (智能监控).

use actix_web::http::StatusCode;
use actix_web::{get, post, put, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::error::ErrorCode;
use jicai_domain::money::Money;
use jicai_domain::monitoring::{self, BatchSummary, ProgressFilter, VolumeProgress, WarningFilter, WarningView};
use jicai_domain::paging::Page;
use jicai_domain::policy::{NewPolicy, PolicyRow};
use jicai_domain::retention::{self, Explanation, InputRow, InputValue, RunRow, RunView};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::body;
use crate::error::{ApiError, ErrorBody};
use crate::export::{self, Sheet};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_policy_version)
        .service(get_inputs)
        .service(put_inputs)
        .service(list_retention_runs)
        .service(start_retention_run)
        .service(get_retention_run)
        .service(approve_retention_run)
        .service(explain)
        .service(export_run)
        .service(progress)
        .service(monitoring_summary)
        .service(warnings);
}

/// Adds a version of any policy kind for the bureau's region, effective today or later:
/// `payment_deadline`, `hospital_confirmation`, `late_interest`, `prepayment`, `retention`,
/// `monitoring`, `tender`, `credit`, `payment_standard`, `order_limit`. The parameters are those
/// `GET /policies` shows.
#[utoipa::path(
    tag = "policies",
    request_body = NewPolicy,
    responses((status = 201, body = PolicyRow), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[post("/policies/{kind}")]
pub async fn create_policy_version(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    kind: web::Path<String>,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let kind = kind.into_inner();
    let input: NewPolicy = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        jicai_domain::region_setup::create_policy(conn, actor, &kind, input, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InputQuery {
    /// 1, 2 or 3.
    #[param(minimum = 1, maximum = 3)]
    pub agreement_year: i16,
    /// `pre_vbp_price`, `fund_ratio`, `insured_share` or `manual_score`.
    pub kind: Option<String>,
    /// Subjects starting with this: a generic name, or a hospital id (its share and scores).
    pub subject: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Retention inputs of an agreement year (bureau and fund officers), by kind and subject, paged.
#[utoipa::path(tag = "retention", params(InputQuery), responses((status = 200, body = Page<InputRow>)), security(("bearer" = [])))]
#[get("/retention/inputs")]
pub async fn get_inputs(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<InputQuery>,
) -> Result<web::Json<Page<InputRow>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    super::agreement_year(Some(q.agreement_year))?;
    let filter = retention::InputFilter { agreement_year: q.agreement_year, kind: q.kind, subject: q.subject };
    Ok(web::Json(state.run(move |conn, _| retention::list_inputs(conn, &caller.0, &filter, page)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct InputsRequest {
    #[schema(minimum = 1, maximum = 3)]
    pub agreement_year: i16,
    /// e.g. `{"kind": "pre_vbp_price", "subject": "依折麦布片", "value": "6.5000"}`,
    /// `{"kind": "fund_ratio", "value": "0.7"}`, `{"kind": "insured_share", "subject": "<hospital id>", "value": "0.9"}`,
    /// `{"kind": "manual_score", "subject": "<hospital id>:rational_use", "value": "85", "comment": "…"}`.
    pub values: Vec<InputValue>,
}

/// Sets (or replaces) retention inputs (bureau officer); answers the values it wrote.
#[utoipa::path(tag = "retention", request_body = InputsRequest, responses((status = 200, body = Vec<InputRow>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[put("/retention/inputs")]
pub async fn put_inputs(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: InputsRequest = body::parse(&raw)?;
    body::write(&state, caller, &req, raw, StatusCode::OK, move |conn, actor, now| {
        retention::set_inputs(conn, actor, input.agreement_year, input.values, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunsQuery {
    #[param(minimum = 1, maximum = 3)]
    pub agreement_year: Option<i16>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Retention runs of the region, newest first (a hospital sees the runs that include it).
#[utoipa::path(tag = "retention", params(RunsQuery), responses((status = 200, body = Page<RunRow>)), security(("bearer" = [])))]
#[get("/retention-runs")]
pub async fn list_retention_runs(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<RunsQuery>,
) -> Result<web::Json<Page<RunRow>>, ApiError> {
    let q = q.into_inner();
    let year = super::agreement_year(q.agreement_year)?;
    let page = super::PageParams { page: q.page, per_page: q.per_page }.into();
    Ok(web::Json(state.run(move |conn, _| retention::list_runs(conn, &caller.0, year, page)).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct RetentionRunRequest {
    #[schema(minimum = 1, maximum = 3)]
    pub agreement_year: i16,
    /// Purchases accepted up to this date count (default: today).
    #[serde(default)]
    pub as_of: Option<NaiveDate>,
}

/// Calculates retention for the region and agreement year as of a date (bureau officer). Every
/// input, the policy version and every figure are stored; an earlier calculated run is superseded.
#[utoipa::path(tag = "retention", request_body = RetentionRunRequest, responses((status = 201, body = RunView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[post("/retention-runs")]
pub async fn start_retention_run(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    raw: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: RetentionRunRequest = body::parse(&raw)?;
    let trigger = format!("api:{}", caller.0.username);
    body::write(&state, caller, &req, raw, StatusCode::CREATED, move |conn, actor, now| {
        let as_of = input.as_of.unwrap_or_else(|| jicai_domain::clock::shanghai_date(now));
        retention::start_run(conn, actor, input.agreement_year, as_of, &trigger, now)
    })
    .await
}

#[utoipa::path(tag = "retention", responses((status = 200, body = RunView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/retention-runs/{id}")]
pub async fn get_retention_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<RunView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, _| retention::run_view(conn, &caller.0, &id)).await?))
}

/// Approves a calculated run (a bureau officer other than the one who started it, when the
/// policy says so); the retained amounts are posted to the fund ledger and the hospitals told.
#[utoipa::path(tag = "retention", responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
#[post("/retention-runs/{id}/approve")]
pub async fn approve_retention_run(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    body::write(&state, caller, &req, web::Bytes::new(), StatusCode::OK, move |conn, actor, now| {
        retention::approve_run(conn, actor, &id, now)
    })
    .await
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExplainQuery {
    pub hospital_id: String,
}

/// The formula with its numbers for one hospital, generic by generic.
#[utoipa::path(tag = "retention", params(ExplainQuery), responses((status = 200, body = Explanation), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/retention-runs/{id}/explain")]
pub async fn explain(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<ExplainQuery>,
) -> Result<web::Json<Explanation>, ApiError> {
    let id = id.into_inner();
    let hospital = q.into_inner().hospital_id;
    Ok(web::Json(state.run(move |conn, _| retention::explain(conn, &caller.0, &id, &hospital)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunExportQuery {
    /// `csv` (default) or `xlsx` (two sheets: summary and detail).
    pub format: Option<String>,
    /// For CSV: `summary` (default) or `detail`.
    pub part: Option<String>,
}

/// A run as a file: a summary per hospital and the detail per hospital and generic.
#[utoipa::path(tag = "retention", params(RunExportQuery), responses((status = 200, content_type = "text/csv", body = String), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/retention-runs/{id}/export")]
pub async fn export_run(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
    q: web::Query<RunExportQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = q.into_inner();
    let format = export::check_format(q.format)?;
    let id = id.into_inner();
    let (view, details) = state
        .run(move |conn, _| {
            let view = retention::run_view(conn, &caller.0, &id)?;
            let mut details = Vec::new();
            for r in &view.results {
                details.push(retention::explain(conn, &caller.0, &id, &r.hospital_id)?);
            }
            Ok((view, details))
        })
        .await?;
    let summary = Sheet {
        name: "summary",
        header: vec![
            "医疗机构 hospital",
            "结余 surplus",
            "得分 score",
            "等级 grade",
            "留用比例 share",
            "留用金额 retained",
            "分项 components",
        ],
        rows: view
            .results
            .iter()
            .map(|r| {
                vec![
                    r.hospital_name.clone(),
                    r.surplus.to_string(),
                    r.score.clone().unwrap_or_default(),
                    r.grade.clone(),
                    r.share.clone(),
                    r.retained.to_string(),
                    r.components.to_string(),
                ]
            })
            .collect(),
    };
    let name_of = |hid: &str| {
        view.results.iter().find(|r| r.hospital_id == hid).map(|r| r.hospital_name.clone()).unwrap_or_default()
    };
    let detail = Sheet {
        name: "detail",
        header: vec![
            "医疗机构 hospital",
            "通用名 generic",
            "约定量 agreed_qty",
            "集采前均价 pre_vbp_price",
            "约定量内中选数量 winning_qty",
            "中选金额 winning_amount",
            "超量数量 above_volume_qty",
            "超量金额 above_volume_amount",
            "非中选数量 non_winning_qty",
            "非中选金额 non_winning_amount",
            "预算 budget",
            "实际 actual",
            "结余 saving",
        ],
        rows: details
            .iter()
            .flat_map(|e| {
                e.lines.iter().map(|l| {
                    vec![
                        name_of(&l.hospital_id),
                        l.generic_name.clone(),
                        l.agreed_qty.to_string(),
                        jicai_domain::money::UnitPrice::from_ten_thousandths(l.pre_vbp_price).to_string(),
                        l.winning_qty.to_string(),
                        Money::from_fen(l.winning_amount).to_string(),
                        l.above_volume_qty.to_string(),
                        Money::from_fen(l.above_volume_amount).to_string(),
                        l.non_winning_qty.to_string(),
                        Money::from_fen(l.non_winning_amount).to_string(),
                        l.budget.clone(),
                        l.actual.clone(),
                        l.saving.clone(),
                    ]
                })
            })
            .collect(),
    };
    let base = format!("retention-{}", view.run.run_no);
    if format == "xlsx" {
        return export::xlsx(&[summary, detail], &format!("{base}.xlsx"));
    }
    match q.part.as_deref() {
        None | Some("summary") => export::csv(&summary, &format!("{base}-summary.csv")),
        Some("detail") => export::csv(&detail, &format!("{base}-detail.csv")),
        Some(_) => {
            Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidPart, "part is summary or detail")
                .field("part"))
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    pub batch_id: Option<String>,
    pub hospital_id: Option<String>,
    /// Only volumes behind pace.
    #[serde(default)]
    pub behind_only: bool,
    /// Default: today.
    pub as_of: Option<NaiveDate>,
}

/// Agreed-volume completion (accepted) against pace (share of the agreement year elapsed): the
/// region's (bureau, fund) or the hospital's own.
#[utoipa::path(tag = "monitoring", params(ProgressQuery), responses((status = 200, body = Page<VolumeProgress>)), security(("bearer" = [])))]
#[get("/monitoring/progress")]
pub async fn progress(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<ProgressQuery>,
) -> Result<web::Json<Page<VolumeProgress>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = ProgressFilter { batch_id: q.batch_id, hospital_id: q.hospital_id, behind_only: q.behind_only };
    Ok(web::Json(
        state
            .run(move |conn, now| {
                monitoring::progress(
                    conn,
                    &caller.0,
                    &filter,
                    q.as_of.unwrap_or_else(|| jicai_domain::clock::shanghai_date(now)),
                    page,
                )
            })
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// `behind_pace`, `non_winning_exceeds_winning` or `supplier_unreliable`.
    pub kind: Option<String>,
    pub hospital_id: Option<String>,
    pub as_of: Option<NaiveDate>,
}

/// Early warnings: the region's (bureau, fund), or the caller's own (hospital, supplier).
#[utoipa::path(tag = "monitoring", params(WarningQuery), responses((status = 200, body = Page<WarningView>)), security(("bearer" = [])))]
#[get("/monitoring/warnings")]
pub async fn warnings(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<WarningQuery>,
) -> Result<web::Json<Page<WarningView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = WarningFilter { kind: q.kind, hospital_id: q.hospital_id, as_of: q.as_of };
    Ok(web::Json(state.run(move |conn, _| monitoring::list_warnings(conn, &caller.0, &filter, page)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// Default: today.
    pub as_of: Option<NaiveDate>,
}

/// Per batch and hospital: agreed and accepted quantities, completion, winning share, volumes
/// behind pace and warnings of the day (bureau and fund: the region; hospital: itself).
#[utoipa::path(tag = "monitoring", params(SummaryQuery), responses((status = 200, body = Vec<BatchSummary>)), security(("bearer" = [])))]
#[get("/monitoring/summary")]
pub async fn monitoring_summary(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<SummaryQuery>,
) -> Result<web::Json<Vec<BatchSummary>>, ApiError> {
    let as_of = q.into_inner().as_of;
    Ok(web::Json(
        state
            .run(move |conn, now| {
                monitoring::summary(conn, &caller.0, as_of.unwrap_or_else(|| jicai_domain::clock::shanghai_date(now)))
            })
            .await?,
    ))
}
