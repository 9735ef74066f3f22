//! The append-only audit log: actor, organisation, entity, action, before/after, time.
//! Each event carries the hash of the previous event of the same entity (tamper evidence);
//! the tables refuse UPDATE and DELETE through triggers.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::actor::{Actor, Role};
use crate::clock::to_db;
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::{audit_events, users};

/// One state change to record.
pub struct AuditEntry<'a> {
    pub actor: &'a Actor,
    pub region_id: Option<String>,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub action: &'static str,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// What the event chains to.
    pub prev: Prev,
}

/// The event an entry chains to: the newest event of its entity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prev {
    /// Looked up when the event is recorded.
    Lookup,
    /// Known to the caller, who read it under the entity's lock (`None`: the entity was created
    /// by this very transaction under a fresh id, so nothing precedes the event).
    Known(Option<String>),
}

fn to_json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).expect("audit snapshots serialize")
}

impl<'a> AuditEntry<'a> {
    pub fn created<T: Serialize>(
        actor: &'a Actor,
        region_id: Option<&str>,
        entity_type: &'static str,
        entity_id: &str,
        after: &T,
    ) -> Self {
        let mut entry = Self::changed(actor, region_id, entity_type, entity_id, "create", &(), after);
        entry.before = None;
        entry
    }

    pub fn changed<B: Serialize, A: Serialize>(
        actor: &'a Actor,
        region_id: Option<&str>,
        entity_type: &'static str,
        entity_id: &str,
        action: &'static str,
        before: &B,
        after: &A,
    ) -> Self {
        AuditEntry {
            actor,
            region_id: region_id.map(str::to_string),
            entity_type,
            entity_id: entity_id.to_string(),
            action,
            before: Some(to_json(before)),
            after: Some(to_json(after)),
            prev: Prev::Lookup,
        }
    }

    /// Marks the creation of an entity whose id was generated in the current transaction
    /// (`new_id()`): no event can precede it (one query less on the write path).
    pub fn first_event(mut self) -> Self {
        self.prev = Prev::Known(None);
        self
    }

    /// Chains the event to `head`, the hash of the entity's newest event as the caller read it
    /// under the entity's lock (no lookup when recorded).
    pub fn after(mut self, head: Option<String>) -> Self {
        self.prev = Prev::Known(head);
        self
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Every column is written as given (no DEFAULT for a None), so the INSERT is kept prepared.
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct AuditEventRow {
    pub id: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub occurred_at: NaiveDateTime,
    pub region_id: Option<String>,
    pub actor_user_id: Option<String>,
    pub actor_org_id: Option<String>,
    pub entity_type: String,
    pub entity_id: String,
    pub action: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: String,
}

/// The hash of an event: SHA-256 over the previous hash and the event's content.
pub fn event_hash(e: &AuditEventRow) -> String {
    let mut h = Sha256::new();
    for part in [
        e.prev_hash.as_deref().unwrap_or(""),
        &e.id,
        &e.occurred_at.and_utc().to_rfc3339(),
        e.region_id.as_deref().unwrap_or(""),
        e.actor_user_id.as_deref().unwrap_or(""),
        e.actor_org_id.as_deref().unwrap_or(""),
        &e.entity_type,
        &e.entity_id,
        &e.action,
        e.before_json.as_deref().unwrap_or(""),
        e.after_json.as_deref().unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

/// Appends an event inside the caller's transaction (after the entity's own write, which
/// serializes concurrent changes of one entity, so the chain has no forks).
pub fn record(conn: &mut DbConnection, entry: AuditEntry<'_>, now: DateTime<Utc>) -> DomainResult<()> {
    append(conn, entry, now).map(|_| ())
}

/// [`record`], answering the event as written.
pub fn append(conn: &mut DbConnection, entry: AuditEntry<'_>, now: DateTime<Utc>) -> DomainResult<AuditEventRow> {
    let prev_hash: Option<String> = match &entry.prev {
        Prev::Known(head) => head.clone(),
        Prev::Lookup => audit_events::table
            .filter(audit_events::entity_type.eq(entry.entity_type))
            .filter(audit_events::entity_id.eq(&entry.entity_id))
            .order(audit_events::id.desc())
            .select(audit_events::hash)
            .first(conn)
            .optional()?,
    };
    let row = event_row(entry, prev_hash, now);
    diesel::insert_into(audit_events::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Up to this many events are written by a statement kept prepared ([`crate::db::Reused`]).
const FEW_EVENTS: usize = 8;

/// [`record`] for the many events of one request or job step: the previous hashes that are not
/// known in one query per 500 entities, the events in multi-row inserts. Events of one entity
/// chain in the given order; the first of each says what precedes it.
pub fn record_many(conn: &mut DbConnection, entries: Vec<AuditEntry<'_>>, now: DateTime<Utc>) -> DomainResult<usize> {
    use std::collections::{HashMap, HashSet};
    let mut last: HashMap<(String, String), Option<String>> = HashMap::new();
    let mut unknown: Vec<&AuditEntry> = Vec::new();
    let mut seen: HashSet<(&str, &str)> = HashSet::new();
    for e in &entries {
        if !seen.insert((e.entity_type, e.entity_id.as_str())) {
            continue;
        }
        match &e.prev {
            Prev::Known(head) => {
                last.insert((e.entity_type.to_string(), e.entity_id.clone()), head.clone());
            }
            Prev::Lookup => unknown.push(e),
        }
    }
    for chunk in unknown.chunks(500) {
        let types: std::collections::BTreeSet<&str> = chunk.iter().map(|e| e.entity_type).collect();
        let ids: Vec<&str> = chunk.iter().map(|e| e.entity_id.as_str()).collect();
        let found: Vec<(String, String, String, String)> = audit_events::table
            .filter(audit_events::entity_type.eq_any(&types))
            .filter(audit_events::entity_id.eq_any(&ids))
            .select((audit_events::entity_type, audit_events::entity_id, audit_events::id, audit_events::hash))
            .load(conn)?;
        let mut newest: HashMap<(String, String), (String, String)> = HashMap::new();
        for (t, e, id, hash) in found {
            let slot = newest.entry((t, e)).or_insert_with(|| (String::new(), String::new()));
            if id > slot.0 {
                *slot = (id, hash);
            }
        }
        last.extend(newest.into_iter().map(|(k, (_, hash))| (k, Some(hash))));
    }
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        let key = (entry.entity_type.to_string(), entry.entity_id.clone());
        let prev_hash = last.get(&key).cloned().flatten();
        let row = event_row(entry, prev_hash, now);
        last.insert(key, Some(row.hash.clone()));
        rows.push(row);
    }
    if rows.len() <= FEW_EVENTS {
        // A request's few events: one statement per number of them, kept prepared.
        crate::db::insert_rows!(&mut *conn, audit_events::table, &rows, reused)?;
    } else {
        for chunk in rows.chunks(500) {
            crate::db::insert_rows!(&mut *conn, audit_events::table, chunk)?;
        }
    }
    Ok(rows.len())
}

/// Every event of one entity, oldest first, each with the name of the user who acted
/// ("显示名 (username)"; none for the system). The last one's hash is the chain's head.
pub fn events_of(
    conn: &mut DbConnection,
    entity_type: &str,
    entity_id: &str,
) -> DomainResult<Vec<(AuditEventRow, Option<String>)>> {
    let rows: Vec<(AuditEventRow, Option<(String, String)>)> = audit_events::table
        .left_join(users::table.on(users::id.nullable().eq(audit_events::actor_user_id)))
        .filter(audit_events::entity_type.eq(entity_type))
        .filter(audit_events::entity_id.eq(entity_id))
        .order(audit_events::id.asc())
        .select((AuditEventRow::as_select(), (users::display_name, users::username).nullable()))
        .load(conn)?;
    Ok(rows.into_iter().map(|(e, who)| (e, who.map(|(name, user)| crate::actor::label(&name, &user)))).collect())
}

fn event_row(entry: AuditEntry<'_>, prev_hash: Option<String>, now: DateTime<Utc>) -> AuditEventRow {
    // The hash covers the time as the database keeps it: PostgreSQL keeps microseconds, so a
    // hash over nanoseconds could never be verified from the stored row.
    use chrono::SubsecRound;
    let mut row = AuditEventRow {
        id: new_id(),
        occurred_at: to_db(now.trunc_subsecs(6)),
        region_id: entry.region_id,
        actor_user_id: Some(entry.actor.user_id.clone()).filter(|id| !id.is_empty()),
        actor_org_id: Some(entry.actor.org_id.clone()).filter(|id| !id.is_empty()),
        entity_type: entry.entity_type.into(),
        entity_id: entry.entity_id,
        action: entry.action.into(),
        before_json: entry.before.map(|v| v.to_string()),
        after_json: entry.after.map(|v| v.to_string()),
        prev_hash,
        hash: String::new(),
    };
    row.hash = event_hash(&row);
    row
}

#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// A document number (PO-, DN-, AP-, PB-, a bank reference): that record's events, with
    /// those of its acceptance (DN-) or payments (AP-).
    pub document_no: Option<String>,
    pub actor_user_id: Option<String>,
    /// Part of the acting user's name or username.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

/// The audit log, newest first: bureau and fund officers see their region's events, admins all.
/// An audit event as listed, with the name of the user who acted.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEventView {
    #[serde(flatten)]
    pub event: AuditEventRow,
    /// "显示名 (username)" of `actor_user_id`; absent for the system.
    pub actor_name: Option<String>,
    /// The record's number or name as people know it (PO-…, DN-…, AP-…, PB-…, a bank
    /// reference, a product's name, a username), where it has one.
    pub document_no: Option<String>,
}

pub fn list_events(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &AuditFilter,
    page: PageRequest,
) -> DomainResult<Page<AuditEventView>> {
    actor.require(&[Role::Admin, Role::BureauOfficer, Role::FundOfficer], "read the audit log")?;
    let documents = match &filter.document_no {
        Some(n) => Some(crate::document_numbers::ids_of(conn, n)?),
        None => None,
    };
    let actors: Option<Vec<String>> = match filter.actor.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => {
            let like = format!("%{}%", crate::db::escape_like(a));
            Some(
                users::table
                    .filter(users::username.like(&like).escape('\\').or(users::display_name.like(&like).escape('\\')))
                    .select(users::id)
                    .load(conn)?,
            )
        }
        None => None,
    };
    let build = || {
        let mut q = audit_events::table.into_boxed();
        if let Some(ids) = &documents {
            q = q.filter(audit_events::entity_id.eq_any(ids.clone()));
        }
        if let Some(ids) = &actors {
            q = q.filter(audit_events::actor_user_id.eq_any(ids.clone()));
        }
        if actor.role != Role::Admin {
            q = q.filter(audit_events::region_id.eq(actor.region_id.clone().unwrap_or_default()));
        }
        if let Some(v) = &filter.entity_type {
            q = q.filter(audit_events::entity_type.eq(v.clone()));
        }
        if let Some(v) = &filter.entity_id {
            q = q.filter(audit_events::entity_id.eq(v.clone()));
        }
        if let Some(v) = &filter.actor_user_id {
            q = q.filter(audit_events::actor_user_id.eq(v.clone()));
        }
        if let Some(v) = &filter.action {
            q = q.filter(audit_events::action.eq(v.clone()));
        }
        if let Some(v) = filter.from {
            q = q.filter(audit_events::occurred_at.ge(v));
        }
        if let Some(v) = filter.to {
            q = q.filter(audit_events::occurred_at.lt(v));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let items = build()
        .order(audit_events::id.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(AuditEventRow::as_select())
        .load(conn)?;
    let names = crate::actor::user_names(conn, items.iter().filter_map(|e| e.actor_user_id.as_deref()))?;
    let entities: Vec<(&str, &str)> = items.iter().map(|e| (e.entity_type.as_str(), e.entity_id.as_str())).collect();
    let numbers = crate::document_numbers::of(conn, &entities)?;
    let items = items
        .into_iter()
        .map(|event| AuditEventView {
            actor_name: event.actor_user_id.as_ref().and_then(|u| names.get(u).cloned()),
            document_no: numbers.get(&event.entity_id).cloned(),
            event,
        })
        .collect();
    Ok(Page::new(items, page, total))
}

/// Re-computes every hash of one entity's chain; returns the id of the first broken event.
pub fn verify_chain(conn: &mut DbConnection, entity_type: &str, entity_id: &str) -> DomainResult<Option<String>> {
    let events = audit_events::table
        .filter(audit_events::entity_type.eq(entity_type))
        .filter(audit_events::entity_id.eq(entity_id))
        .order(audit_events::id.asc())
        .select(AuditEventRow::as_select())
        .load(conn)?;
    let mut prev: Option<String> = None;
    for e in events {
        if e.prev_hash != prev || event_hash(&e) != e.hash {
            return Ok(Some(e.id));
        }
        prev = Some(e.hash.clone());
    }
    Ok(None)
}

impl From<serde_json::Error> for DomainError {
    fn from(e: serde_json::Error) -> Self {
        DomainError::Internal(format!("serialization: {e}"))
    }
}
