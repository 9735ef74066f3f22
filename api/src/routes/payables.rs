//! Payables: what the fund owes suppliers for accepted deliveries, with due dates.

use actix_web::{get, web, HttpResponse};
use chrono::NaiveDate;
use jicai_domain::paging::Page;
use jicai_domain::payables::{self, PayableFilter, PayableSort, PayableView, SettlementSummary};
use jicai_domain::settlement::status_page::{self, PayableTotals};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_payables).service(export_payables).service(payable_totals).service(summary).service(get_payable);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayableQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// A display status: a stage not yet past due (e.g. `confirmed`), a settled stage (`paid`), or `overdue`.
    pub status: Option<String>,
    /// A stage whatever the due date: `stage=confirmed` includes the confirmed payables that are overdue.
    pub stage: Option<String>,
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    pub order_id: Option<String>,
    /// Due on or after.
    pub due_from: Option<NaiveDate>,
    /// Due on or before.
    pub due_to: Option<NaiveDate>,
    /// `due_date` (default), `urgency` (overdue first, then due soonest, paid last), `due_date_desc`,
    /// `acceptance_date`, `acceptance_date_desc`, `amount`, `amount_desc`.
    pub sort: Option<PayableSort>,
}

impl PayableQuery {
    fn filter(&self) -> PayableFilter {
        PayableFilter {
            status: self.status.clone(),
            stage: self.stage.clone(),
            hospital_id: self.hospital_id.clone(),
            supplier_id: self.supplier_id.clone(),
            order_id: self.order_id.clone(),
            due_from: self.due_from,
            due_to: self.due_to,
            sort: self.sort.unwrap_or_default(),
        }
    }
}

/// Payables: a supplier sees its own, a hospital its own, the bureau and fund their region's,
/// with the days remaining to the due date (Asia/Shanghai).
#[utoipa::path(tag = "settlement", params(PayableQuery), responses((status = 200, body = Page<PayableView>)), security(("bearer" = [])))]
#[get("/payables")]
pub async fn list_payables(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PayableQuery>,
) -> Result<web::Json<Page<PayableView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = q.filter();
    Ok(web::Json(state.run(move |conn, now| payables::list_payables(conn, &caller.0, &filter, page, now)).await?))
}

#[utoipa::path(tag = "settlement", responses((status = 200, body = PayableView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payables/{id}")]
pub async fn get_payable(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> Result<web::Json<PayableView>, ApiError> {
    let id = id.into_inner();
    Ok(web::Json(state.run(move |conn, now| payables::get_payable(conn, &caller.0, &id, now)).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv` (default) or `xlsx` (with a summary sheet of the totals).
    pub format: Option<String>,
    /// The language of the statuses in words: `zh` (default) or `en`.
    pub lang: Option<String>,
}

/// The payment-status page's totals over every payable the caller sees: outstanding, overdue,
/// due within 7 days (counts and what they still owe), and paid this month.
#[utoipa::path(tag = "settlement", responses((status = 200, body = PayableTotals), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
#[get("/payables/totals")]
pub async fn payable_totals(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<PayableTotals>, ApiError> {
    Ok(web::Json(state.run(move |conn, now| status_page::totals(conn, &caller.0, now)).await?))
}

/// The payment-status list as a file (CSV or XLSX), with the list's filters, at most 100,000
/// rows: every accepted delivery with its dates, status, delay attribution, interest, paid
/// date and bank reference.
#[utoipa::path(
    tag = "settlement",
    params(PayableQuery, FormatQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/payables/export")]
pub async fn export_payables(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<PayableQuery>,
    f: web::Query<FormatQuery>,
) -> Result<HttpResponse, ApiError> {
    let f = f.into_inner();
    let format = crate::export::check_format(f.format)?;
    let lang = if f.lang.as_deref() == Some("en") { "en" } else { "zh" };
    let filter = q.into_inner().filter();
    let (rows, totals) = state
        .run(move |conn, now| {
            let rows = payables::export_rows(conn, &caller.0, &filter, now)?;
            Ok((rows, status_page::totals(conn, &caller.0, now)?))
        })
        .await?;
    let (header, body) = payables::export_table(&rows, lang);
    let sheet = crate::export::Sheet { name: "payables", header, rows: body };
    let name = format!("payables-{}.{format}", totals.as_of);
    if format == "xlsx" {
        let figure =
            |label: &str, f: &status_page::Figure| vec![label.to_string(), f.count.to_string(), f.amount.to_string()];
        let summary_sheet = crate::export::Sheet {
            name: "summary",
            header: vec!["项目 item", "笔数 count", "金额 amount"],
            rows: vec![
                vec![format!("截至 as of {}", totals.as_of), String::new(), String::new()],
                figure("未付合计 outstanding", &totals.outstanding),
                figure("已逾期 overdue", &totals.overdue),
                figure("7天内到期 due within 7 days", &totals.due_within_7_days),
                figure("本月已付 paid this month", &totals.paid_this_month),
            ],
        };
        crate::export::xlsx(&[summary_sheet, sheet], &name)
    } else {
        crate::export::csv(&sheet, &name)
    }
}

/// The region's settlement figures: on-time payment rate by month, what is overdue and whose
/// days they are, the next 30 days of amounts falling due, and the prepayment reserve.
#[utoipa::path(tag = "settlement", responses((status = 200, body = SettlementSummary), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
#[get("/settlement/summary")]
pub async fn summary(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<SettlementSummary>, ApiError> {
    Ok(web::Json(state.run(move |conn, now| payables::summary(conn, &caller.0, now)).await?))
}
