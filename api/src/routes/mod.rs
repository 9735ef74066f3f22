//! Route handlers: authenticate, parse into domain types, call one domain operation, render.

pub mod audit;
pub mod catalog;
pub mod credit;
pub mod deliveries;
pub mod disclosure;
pub mod health;
pub mod identity;
pub mod imports;
pub mod jobs;
pub mod ocds;
pub mod orders;
pub mod payables;
pub mod retention;
pub mod settlement;
pub mod standards;
pub mod tenders;
pub mod users;

use jicai_domain::error::ErrorCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use jicai_domain::paging::PageRequest;

/// Paging parameters shared by every list: `page` (from 1) and `per_page` (1 to 200, default 50).
#[derive(Deserialize, IntoParams, Debug, Clone, Copy, Default)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page number, from 1.
    pub page: Option<i64>,
    /// Items per page, 1 to 200 (default 50).
    pub per_page: Option<i64>,
}

impl From<PageParams> for PageRequest {
    fn from(p: PageParams) -> Self {
        PageRequest::new(p.page, p.per_page)
    }
}

/// An agreement year in a query string: 1, 2 or 3 (what the document states), or a 422 naming
/// the field, rather than an empty list.
pub fn agreement_year(year: Option<i16>) -> Result<Option<i16>, crate::error::ApiError> {
    match year {
        Some(y) if !(1..=3).contains(&y) => Err(crate::error::ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::InvalidAgreementYear,
            format!("agreement_year {y}: an agreement year is 1, 2 or 3"),
        )
        .field("agreement_year")),
        y => Ok(y),
    }
}

/// Every `/api/v1` route.
pub fn configure(cfg: &mut ServiceConfig) {
    identity::configure(cfg);
    users::configure(cfg);
    catalog::configure(cfg);
    imports::configure(cfg);
    orders::configure(cfg);
    deliveries::configure(cfg);
    payables::configure(cfg);
    audit::configure(cfg);
    settlement::configure(cfg);
    jobs::configure(cfg);
    retention::configure(cfg);
    tenders::configure(cfg);
    credit::configure(cfg);
    standards::configure(cfg);
    disclosure::configure(cfg);
    ocds::configure(cfg);
}
