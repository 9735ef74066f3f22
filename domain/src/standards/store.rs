//! Payment-standard rows, the insert form, and the scoped query: who may see a standard at all.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::db::{DbBackend, DbConnection};
use crate::error::{DomainError, DomainResult};
use crate::schema::payment_standards;

/// A standard moves draft → published (immutable from then on); a draft that a later
/// computation replaced becomes superseded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StandardStatus {
    Draft,
    Published,
    Superseded,
}

impl StandardStatus {
    pub const ALL: [StandardStatus; 3] = [StandardStatus::Draft, StandardStatus::Published, StandardStatus::Superseded];
    pub fn as_str(self) -> &'static str {
        match self {
            StandardStatus::Draft => "draft",
            StandardStatus::Published => "published",
            StandardStatus::Superseded => "superseded",
        }
    }
    pub fn parse(s: &str) -> DomainResult<StandardStatus> {
        StandardStatus::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| DomainError::Internal(format!("a payment standard has the unknown status {s:?}")))
    }
}

/// One version of a product's payment standard in a region, with what produced it.
#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = payment_standards, treat_none_as_default_value = false)]
pub struct StandardRow {
    pub id: String,
    pub region_id: String,
    pub generic_name: String,
    pub product_id: String,
    pub enterprise_id: String,
    /// `winning` (a winning bid) or `listed` (a listed non-winning product).
    pub source: String,
    pub source_id: String,
    pub effective_from: NaiveDate,
    pub version: i32,
    pub status: String,
    pub branch: String,
    pub glide_year: Option<i32>,
    pub consistency: Option<String>,
    /// Per minimum unit, in 1/10,000 yuan.
    pub product_price: i64,
    pub winning_price: i64,
    pub standard: i64,
    /// The fund's share within the standard, a decimal string such as "0.7".
    pub fund_share: String,
    pub variant: String,
    pub policy_id: String,
    /// The figures and rule parameters used (JSON).
    pub inputs: String,
    /// The explanation lines (JSON).
    pub explanation: String,
    pub computed_by: String,
    pub computed_at: NaiveDateTime,
    pub published_by: Option<String>,
    pub published_at: Option<NaiveDateTime>,
}

impl StandardRow {
    pub fn status(&self) -> DomainResult<StandardStatus> {
        StandardStatus::parse(&self.status)
    }
}

/// Standards the caller may see: the bureau's region, drafts included; published ones of a
/// hospital's or fund officer's region; a supplier's own products' published ones, in any
/// region; all for the admin.
pub fn visible<'a>(actor: &Actor) -> payment_standards::BoxedQuery<'a, DbBackend> {
    let q = payment_standards::table.into_boxed();
    let region = actor.region_id.clone().unwrap_or_default();
    let published = StandardStatus::Published.as_str();
    match actor.role {
        Role::Admin => q,
        Role::BureauOfficer => q.filter(payment_standards::region_id.eq(region)),
        Role::FundOfficer | Role::HospitalBuyer => {
            q.filter(payment_standards::region_id.eq(region)).filter(payment_standards::status.eq(published))
        }
        Role::Supplier => q
            .filter(payment_standards::enterprise_id.eq(actor.org_id.clone()))
            .filter(payment_standards::status.eq(published)),
    }
}

/// A standard the caller may see, or 404 (also another region's).
pub fn visible_standard(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<StandardRow> {
    visible(actor)
        .filter(payment_standards::id.eq(id.trim().to_string()))
        .select(StandardRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("payment standard"))
}

/// A standard of the caller's bureau, or 404.
pub fn own_standard(conn: &mut DbConnection, actor: &Actor, id: &str, action: &str) -> DomainResult<StandardRow> {
    actor.require(&[Role::BureauOfficer], action)?;
    visible_standard(conn, actor, id)
}

/// The highest version of a product's standard for an effective date, 0 when there is none.
pub fn last_version(
    conn: &mut DbConnection,
    region_id: &str,
    product_id: &str,
    enterprise_id: &str,
    effective_from: NaiveDate,
) -> DomainResult<i32> {
    let v: Option<i32> = payment_standards::table
        .filter(payment_standards::region_id.eq(region_id))
        .filter(payment_standards::product_id.eq(product_id))
        .filter(payment_standards::enterprise_id.eq(enterprise_id))
        .filter(payment_standards::effective_from.eq(effective_from))
        .select(diesel::dsl::max(payment_standards::version))
        .first(conn)?;
    Ok(v.unwrap_or(0))
}
