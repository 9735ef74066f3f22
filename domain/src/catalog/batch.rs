//! VBP batches (集采批次): level, category, cycle and agreed-volume ratios.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEntry};
use crate::clock::to_db;
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{required_text, Actor, Role};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::{batches, bid_distributors, winning_bids};
use crate::volumes::RatioTable;

use super::rules::check_cycle;
use super::rules::Category;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BatchLevel {
    National,
    Provincial,
    Alliance,
}

impl BatchLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            BatchLevel::National => "national",
            BatchLevel::Provincial => "provincial",
            BatchLevel::Alliance => "alliance",
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = batches, treat_none_as_default_value = false)]
pub struct BatchRow {
    pub id: String,
    pub region_id: String,
    pub name: String,
    pub level: String,
    pub category: String,
    pub document_no: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub volume_ratios: String,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

impl BatchRow {
    pub fn ratio_table(&self) -> DomainResult<RatioTable> {
        serde_json::from_str(&self.volume_ratios)
            .map_err(|e| DomainError::Internal(format!("batch {} has an unreadable ratio table: {e}", self.id)))
    }
    pub fn in_cycle(&self, date: NaiveDate) -> bool {
        self.cycle_start <= date && date <= self.cycle_end
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBatch {
    pub name: String,
    pub level: BatchLevel,
    pub category: Category,
    pub document_no: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    /// Agreed-volume ratio by number of winners; default 1 → 50%, 2 → 60%, 3 → 70%, 4+ → 80%.
    #[serde(default)]
    pub volume_ratios: Option<RatioTable>,
}

pub fn create_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewBatch,
    now: DateTime<Utc>,
) -> DomainResult<BatchRow> {
    actor.require(&[Role::BureauOfficer], "load VBP batches")?;
    let region_id = actor.region()?.to_string();
    write_tx(conn, |conn| insert_batch(conn, actor, &region_id, input, now))
}

/// Writes a batch in `region_id` with its audit event (the caller holds the transaction): a
/// bureau's own load, or a tender's results in each of its supply regions.
pub(crate) fn insert_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    input: NewBatch,
    now: DateTime<Utc>,
) -> DomainResult<BatchRow> {
    let region_id = region_id.to_string();
    check_cycle(input.cycle_start, input.cycle_end)?;
    let ratios = input.volume_ratios.unwrap_or_default().validated()?;
    let row = BatchRow {
        id: new_id(),
        region_id,
        name: required_text(&input.name, "name", 200)?,
        level: input.level.as_str().into(),
        category: input.category.as_str().into(),
        document_no: required_text(&input.document_no, "document_no", 50)?,
        cycle_start: input.cycle_start,
        cycle_end: input.cycle_end,
        volume_ratios: serde_json::to_string(&ratios)?,
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
    };
    diesel::insert_into(batches::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::DuplicateBatch,
                format!("batch {} is already loaded in this region", row.document_no),
            )
        })
    })?;
    audit::record(conn, AuditEntry::created(actor, Some(&row.region_id), "batch", &row.id, &row), now)?;
    Ok(row)
}

/// Batches visible to the caller: their region's (bureau, fund, hospital), those holding one of
/// their bids (supplier), all (admin).
fn visible_batches<'a>(actor: &Actor) -> batches::BoxedQuery<'a, crate::db::DbBackend> {
    let q = batches::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::BureauOfficer | Role::FundOfficer | Role::HospitalBuyer => {
            q.filter(batches::region_id.eq(actor.region_id.clone().unwrap_or_default()))
        }
        Role::Supplier => q.filter(
            batches::id.eq_any(
                winning_bids::table
                    .filter(
                        winning_bids::enterprise_id.eq(actor.org_id.clone()).or(winning_bids::id.eq_any(
                            bid_distributors::table
                                .filter(bid_distributors::enterprise_id.eq(actor.org_id.clone()))
                                .select(bid_distributors::bid_id),
                        )),
                    )
                    .select(winning_bids::batch_id),
            ),
        ),
    }
}

pub fn list_batches(conn: &mut DbConnection, actor: &Actor, page: PageRequest) -> DomainResult<Page<BatchRow>> {
    let total = visible_batches(actor).count().get_result::<i64>(conn)?;
    let items = visible_batches(actor)
        .order((batches::cycle_start.desc(), batches::name.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(BatchRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}

pub fn get_batch(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<BatchRow> {
    visible_batches(actor)
        .filter(batches::id.eq(id.to_string()))
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("batch"))
}
