//! The mail outbox: a message is a row written in the same transaction as the change that
//! causes it; the dispatcher (jobs/) sends it later. The dedup key makes enqueueing idempotent.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::clock::to_db;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::ids::new_id;
use crate::schema::{organizations, outbox, users};

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: String,
    pub dedup_key: String,
    pub region_id: Option<String>,
    pub kind: String,
    pub to_org_id: Option<String>,
    pub to_address: String,
    pub subject: String,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub sent_at: Option<NaiveDateTime>,
}

/// A message for the users of an organisation (optionally only those of some roles).
pub struct Mail<'a> {
    pub dedup_key: String,
    pub region_id: Option<&'a str>,
    pub kind: &'static str,
    pub to_org_id: &'a str,
    pub roles: &'a [&'static str],
    pub subject: String,
    pub body: String,
}

/// Queues a message unless one with the same key exists; returns whether it was queued.
/// Organisations whose users have no e-mail address get nothing (recorded in the audit log only).
pub fn enqueue(conn: &mut DbConnection, mail: Mail<'_>, now: DateTime<Utc>) -> DomainResult<bool> {
    let exists: i64 = outbox::table.filter(outbox::dedup_key.eq(&mail.dedup_key)).count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let mut q = users::table
        .inner_join(organizations::table)
        .filter(users::org_id.eq(mail.to_org_id))
        .filter(users::active.eq(true))
        .filter(users::email.is_not_null())
        .select(users::email)
        .into_boxed();
    if !mail.roles.is_empty() {
        q = q.filter(users::role.eq_any(mail.roles.to_vec()));
    }
    let mut addresses: Vec<String> = q.load::<Option<String>>(conn)?.into_iter().flatten().collect();
    addresses.sort();
    addresses.dedup();
    if addresses.is_empty() {
        return Ok(false);
    }
    diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(new_id()),
            outbox::dedup_key.eq(&mail.dedup_key),
            outbox::region_id.eq(mail.region_id),
            outbox::kind.eq(mail.kind),
            outbox::to_org_id.eq(mail.to_org_id),
            outbox::to_address.eq(addresses.join(",")),
            outbox::subject.eq(&mail.subject),
            outbox::body.eq(&mail.body),
            outbox::status.eq("pending"),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(to_db(now)),
            outbox::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    Ok(true)
}

pub fn list(conn: &mut DbConnection, region_id: Option<&str>, limit: i64) -> DomainResult<Vec<OutboxRow>> {
    let mut q = outbox::table.order(outbox::created_at.desc()).limit(limit).select(OutboxRow::as_select()).into_boxed();
    if let Some(r) = region_id {
        q = q.filter(outbox::region_id.eq(r.to_string()));
    }
    Ok(q.load(conn)?)
}

/// Claims up to `limit` messages due for sending (pending → sending). A message left `sending`
/// by a process that died is released after ten minutes.
pub fn claim_due(
    conn: &mut DbConnection,
    region: Option<&str>,
    now: DateTime<Utc>,
    limit: i64,
) -> DomainResult<Vec<OutboxRow>> {
    let stale = to_db(now - chrono::Duration::minutes(10));
    diesel::update(outbox::table.filter(outbox::status.eq("sending")).filter(outbox::next_attempt_at.lt(stale)))
        .set(outbox::status.eq("pending"))
        .execute(conn)?;
    let mut due = outbox::table
        .filter(outbox::status.eq("pending"))
        .filter(outbox::next_attempt_at.le(to_db(now)))
        .order(outbox::next_attempt_at.asc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .into_boxed();
    if let Some(r) = region {
        due = due.filter(outbox::region_id.eq(r.to_string()));
    }
    let due: Vec<OutboxRow> = due.load(conn)?;
    let mut claimed = Vec::new();
    for m in due {
        let n = diesel::update(outbox::table.find(&m.id).filter(outbox::status.eq("pending")))
            .set((outbox::status.eq("sending"), outbox::next_attempt_at.eq(to_db(now))))
            .execute(conn)?;
        if n == 1 {
            claimed.push(m);
        }
    }
    Ok(claimed)
}

pub fn mark_sent(conn: &mut DbConnection, id: &str, now: DateTime<Utc>) -> DomainResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq("sent"),
            outbox::sent_at.eq(Some(to_db(now))),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a failed attempt: retried at `retry_at`, or failed for good when `retry_at` is none.
pub fn mark_attempt_failed(
    conn: &mut DbConnection,
    id: &str,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> DomainResult<()> {
    let error: String = error.chars().take(1000).collect();
    match retry_at {
        Some(at) => diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq("pending"),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::next_attempt_at.eq(to_db(at)),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        None => diesel::update(outbox::table.find(id))
            .set((
                outbox::status.eq("failed"),
                outbox::attempts.eq(outbox::attempts + 1),
                outbox::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(())
}
