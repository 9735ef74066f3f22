//! The audit log (bureau and fund officers: their region; admins: all).

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use jicai_domain::audit::{self, AuditEventView, AuditFilter};
use jicai_domain::paging::Page;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use super::PageParams;
use crate::auth::Caller;
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_events);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    pub page: Option<i64>,
    pub per_page: Option<i64>,
    /// e.g. `order`, `delivery`, `acceptance`, `payable`, `winning_bid`.
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// A document number: `PO-…` (order), `DN-…` (delivery note and its acceptance), `AP-…`
    /// (payable and its payments), `PB-…` (payment batch), a bank reference or a tender number.
    pub document_no: Option<String>,
    pub actor_user_id: Option<String>,
    /// Part of the acting user's name or username.
    pub actor: Option<String>,
    /// e.g. `create`, `confirm`, `decline`, `status_change`.
    pub action: Option<String>,
    /// From this instant (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Audit events, newest first: actor, organisation, entity, action, before/after, time, and the
/// hash chain of each entity's events.
#[utoipa::path(
    tag = "audit",
    params(AuditQuery),
    responses((status = 200, body = Page<AuditEventView>), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
#[get("/audit-events")]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Caller,
    q: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEventView>>, ApiError> {
    let q = q.into_inner();
    let page = PageParams { page: q.page, per_page: q.per_page }.into();
    let filter = AuditFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        document_no: q.document_no.filter(|n| !n.trim().is_empty()),
        actor_user_id: q.actor_user_id,
        actor: q.actor,
        action: q.action,
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
    };
    Ok(web::Json(state.run(move |conn, _| audit::list_events(conn, &caller.0, &filter, page)).await?))
}
