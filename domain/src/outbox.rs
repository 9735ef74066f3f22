//! The mail outbox: a message is a row written in the same transaction as the change that
//! causes it; the dispatcher (jobs/) sends it later. The dedup key makes enqueueing idempotent.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

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
    Ok(enqueue_many(conn, vec![mail], now)? == 1)
}

/// Keys, organisations and rows per statement in [`enqueue_many`] (under SQLite's limit of
/// bound parameters).
const CHUNK: usize = 500;

#[derive(Insertable)]
#[diesel(table_name = outbox, treat_none_as_default_value = false)]
struct NewMail<'a> {
    id: String,
    dedup_key: &'a str,
    region_id: Option<&'a str>,
    kind: &'a str,
    to_org_id: Option<&'a str>,
    to_address: String,
    subject: &'a str,
    body: &'a str,
    status: &'static str,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// Queues messages as [`enqueue`] would one after the other (a key already queued, or queued
/// earlier in `mails`, is skipped; so is an organisation without addresses), with a few
/// statements per 500 messages instead of three per message. Returns how many were queued.
///
/// A key already queued is skipped by the insert itself (`ON CONFLICT DO NOTHING` on the unique
/// dedup key), not looked up first: an outbox new that day has no statistics, and each lookup of
/// 500 keys read it whole (the figures: docs/benchmarks.md, "Why the code is as it is").
pub fn enqueue_many(conn: &mut DbConnection, mails: Vec<Mail<'_>>, now: DateTime<Utc>) -> DomainResult<i64> {
    let mut orgs: Vec<&str> = mails.iter().map(|m| m.to_org_id).collect();
    orgs.sort_unstable();
    orgs.dedup();
    // (organisation, role, address) of every active user with an address.
    let mut users_of: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for chunk in orgs.chunks(CHUNK) {
        let rows: Vec<(String, String, Option<String>)> = users::table
            .inner_join(organizations::table)
            .filter(users::org_id.eq_any(chunk))
            .filter(users::active.eq(true))
            .filter(users::email.is_not_null())
            .select((users::org_id, users::role, users::email))
            .load(conn)?;
        for (org, role, email) in rows {
            if let Some(email) = email {
                users_of.entry(org).or_default().push((role, email));
            }
        }
    }
    let created = to_db(now);
    let mut keys: HashSet<&str> = HashSet::new();
    let mut rows = Vec::new();
    for mail in &mails {
        if keys.contains(mail.dedup_key.as_str()) {
            continue;
        }
        let mut addresses: Vec<&str> = users_of
            .get(mail.to_org_id)
            .into_iter()
            .flatten()
            .filter(|(role, _)| mail.roles.is_empty() || mail.roles.contains(&role.as_str()))
            .map(|(_, email)| email.as_str())
            .collect();
        addresses.sort_unstable();
        addresses.dedup();
        if addresses.is_empty() {
            continue;
        }
        keys.insert(&mail.dedup_key);
        rows.push(NewMail {
            id: new_id(),
            dedup_key: &mail.dedup_key,
            region_id: mail.region_id,
            kind: mail.kind,
            to_org_id: Some(mail.to_org_id),
            to_address: addresses.join(","),
            subject: &mail.subject,
            body: &mail.body,
            status: "pending",
            attempts: 0,
            next_attempt_at: created,
            created_at: created,
        });
    }
    let mut queued = 0;
    for chunk in rows.chunks(CHUNK) {
        queued += crate::db::insert_rows!(&mut *conn, outbox::table, chunk, on_conflict_do_nothing)?;
    }
    Ok(queued as i64)
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
