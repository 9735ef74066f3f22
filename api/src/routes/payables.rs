//! Payables: what the fund owes suppliers for accepted deliveries, with due dates.

use actix_web::{get, web};
use chrono::NaiveDate;
use jicai_domain::paging::Page;
use jicai_domain::payables::{self, PayableFilter, PayableSort, PayableView};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_payables).service(get_payable);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayableQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// e.g. `awaiting_payment`.
    pub status: Option<String>,
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    pub order_id: Option<String>,
    /// Due on or after.
    pub due_from: Option<NaiveDate>,
    /// Due on or before.
    pub due_to: Option<NaiveDate>,
    /// `due_date` (default), `due_date_desc`, `acceptance_date`, `acceptance_date_desc`, `amount`, `amount_desc`.
    pub sort: Option<PayableSort>,
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
    let filter = PayableFilter {
        status: q.status,
        hospital_id: q.hospital_id,
        supplier_id: q.supplier_id,
        order_id: q.order_id,
        due_from: q.due_from,
        due_to: q.due_to,
        sort: q.sort.unwrap_or_default(),
    };
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
