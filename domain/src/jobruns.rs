//! The record of every job run: job, as-of date, trigger, start, end, outcome, counts, error.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::actor::{Actor, Role};
use crate::clock::to_db;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::job_runs;

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = job_runs)]
pub struct JobRunRow {
    pub id: String,
    pub job: String,
    pub as_of: NaiveDate,
    /// `schedule`, `cli` or `api:<username>`.
    pub trigger: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub started_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub finished_at: Option<NaiveDateTime>,
    pub outcome: String,
    /// What the run did, as JSON (e.g. `{"auto_confirmed": 3, "batches": 1}`).
    pub counts: Option<String>,
    pub error: Option<String>,
    pub host: String,
    /// The region a run was limited to (an officer's run); none for the whole platform.
    pub region_id: Option<String>,
}

pub fn start(
    conn: &mut DbConnection,
    job: &str,
    as_of: NaiveDate,
    trigger: &str,
    region: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    // A run still `running` an hour after it started lost its process: its transaction was
    // rolled back, so it did nothing; say so.
    diesel::update(
        job_runs::table
            .filter(job_runs::job.eq(job))
            .filter(job_runs::outcome.eq("running"))
            .filter(job_runs::started_at.lt(to_db(now - chrono::Duration::hours(1)))),
    )
    .set((
        job_runs::outcome.eq("failed"),
        job_runs::error.eq(Some("interrupted: the process stopped before the run ended; nothing of it was committed")),
    ))
    .execute(conn)?;
    let id = new_id();
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| format!("pid-{}", std::process::id()));
    diesel::insert_into(job_runs::table)
        .values((
            job_runs::id.eq(&id),
            job_runs::job.eq(job),
            job_runs::as_of.eq(as_of),
            job_runs::trigger.eq(trigger),
            job_runs::started_at.eq(to_db(now)),
            job_runs::outcome.eq("running"),
            job_runs::host.eq(format!("{host}/{}", std::process::id())),
            job_runs::region_id.eq(region),
        ))
        .execute(conn)?;
    Ok(id)
}

pub fn finish(
    conn: &mut DbConnection,
    id: &str,
    outcome: Result<&serde_json::Value, &str>,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let (status, counts, error) = match outcome {
        Ok(c) => ("succeeded", Some(c.to_string()), None),
        Err(e) => ("failed", None, Some(e.to_string())),
    };
    diesel::update(job_runs::table.find(id))
        .set((
            job_runs::finished_at.eq(Some(to_db(now))),
            job_runs::outcome.eq(status),
            job_runs::counts.eq(counts),
            job_runs::error.eq(error),
        ))
        .execute(conn)?;
    Ok(())
}

/// The job that sends queued mail (the scheduler runs it every minute).
pub const MAIL_DISPATCH: &str = "mail-dispatch";

pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    job: Option<&str>,
    include_mail: bool,
    page: PageRequest,
) -> DomainResult<Page<JobRunRow>> {
    actor.require(&[Role::Admin, Role::BureauOfficer, Role::FundOfficer], "read job runs")?;
    let build = || {
        let mut q = job_runs::table.into_boxed();
        if actor.role != Role::Admin {
            // An officer sees the platform-wide runs and its own region's.
            q = q.filter(
                job_runs::region_id.is_null().or(job_runs::region_id.eq(actor.region_id.clone().unwrap_or_default())),
            );
        }
        if let Some(j) = job {
            q = q.filter(job_runs::job.eq(j.to_string()));
        } else if !include_mail {
            // Mail dispatch runs every minute: left out unless asked for, so the daily jobs show.
            q = q.filter(job_runs::job.ne(MAIL_DISPATCH));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let mut items: Vec<JobRunRow> = build()
        .order((job_runs::started_at.desc(), job_runs::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(JobRunRow::as_select())
        .load(conn)?;
    if actor.role != Role::Admin {
        // A platform-wide run's counts and errors speak of every region: an officer sees that it
        // ran and how it ended, not what it found elsewhere.
        for r in items.iter_mut().filter(|r| r.region_id.is_none()) {
            r.counts = None;
            r.error = r.error.as_ref().map(|_| "failed (details for administrators)".to_string());
        }
    }
    Ok(Page::new(items, page, total))
}
