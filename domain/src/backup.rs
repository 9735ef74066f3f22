//! Backups and the checks a restored copy must pass. Part of the base layer: it imports no
//! business module.
//!
//! - SQLite: `VACUUM INTO` writes a consistent copy of the live database while it serves
//!   (readers and writers go on; the copy is one transaction's view). A restore copies the file
//!   into place, refusing a target that already holds data.
//! - PostgreSQL: `pg_dump --format=custom` and `pg_restore` (PostgreSQL 15's client tools),
//!   driven with the same URL; a restore goes into an empty database.
//!
//! After a restore, `verify` walks every audit hash chain and checks that the journal balances.

use diesel::prelude::*;
use diesel::sql_types::Text;
use std::path::Path;
use std::process::Command;

use crate::audit::{event_hash, AuditEventRow};
use crate::db::{DbConnection, DbUrl};
use crate::error::{DomainError, DomainResult};
use crate::schema::{audit_events, journal_entries};

fn config(message: impl Into<String>) -> DomainError {
    DomainError::Config(message.into())
}

/// A PostgreSQL client tool: from `$PG_BIN_DIR`, PostgreSQL 15's folder, or the PATH.
fn pg_tool(name: &str) -> std::path::PathBuf {
    let dirs = [std::env::var("PG_BIN_DIR").unwrap_or_default(), "/usr/lib/postgresql/15/bin".to_string()];
    dirs.iter()
        .filter(|d| !d.is_empty())
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| std::path::PathBuf::from(name))
}

fn run(mut cmd: Command, what: &str) -> DomainResult<()> {
    let out = cmd.output().map_err(|e| config(format!("{what}: cannot run: {e}")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(config(format!("{what} failed: {}", String::from_utf8_lossy(&out.stderr).trim())))
    }
}

/// Writes a backup of the database at `url` to `file` (refused if `file` exists).
pub fn backup(url: &DbUrl, conn: &mut DbConnection, file: &Path) -> DomainResult<()> {
    if file.exists() {
        return Err(config(format!("{} exists: a backup never overwrites a file", file.display())));
    }
    match url {
        DbUrl::Sqlite(_) => {
            let target = file.to_str().ok_or_else(|| config("the backup path is not UTF-8"))?;
            diesel::sql_query("VACUUM INTO ?").bind::<Text, _>(target).execute(conn)?;
            Ok(())
        }
        DbUrl::Postgres(u) => {
            let mut cmd = Command::new(pg_tool("pg_dump"));
            cmd.args(["--format=custom", "--no-owner", "--file"]).arg(file).arg(format!("--dbname={u}"));
            run(cmd, "pg_dump")
        }
    }
}

/// Restores `file` into the database at `url`, which must be new or empty.
pub fn restore(url: &DbUrl, file: &Path) -> DomainResult<()> {
    if !file.is_file() {
        return Err(config(format!("no backup at {}", file.display())));
    }
    match url {
        DbUrl::Sqlite(path) => {
            let holds_data = std::fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
            if holds_data {
                return Err(config(format!(
                    "{} already holds a database: restore into a new file, then point DATABASE_URL at it",
                    path.display()
                )));
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| config(format!("cannot create {}: {e}", dir.display())))?;
            }
            std::fs::copy(file, path).map_err(|e| config(format!("cannot copy the backup: {e}")))?;
            Ok(())
        }
        DbUrl::Postgres(u) => {
            let mut conn = url.establish().map_err(|e| config(format!("cannot connect: {e}")))?;
            #[derive(QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let tables: Count =
                diesel::sql_query("SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'")
                    .get_result(&mut conn)?;
            if tables.n > 0 {
                return Err(config("the target database is not empty: restore into a new database"));
            }
            let mut cmd = Command::new(pg_tool("pg_restore"));
            cmd.args(["--no-owner", "--exit-on-error"]).arg(format!("--dbname={u}")).arg(file);
            run(cmd, "pg_restore")
        }
    }
}

/// What a verification found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verification {
    pub chains: usize,
    pub events: usize,
    /// The first broken link: entity type, entity id and the event whose hash or link is wrong.
    pub broken: Option<(String, String, String)>,
    pub journal_entries: usize,
    /// Journal entries whose debits and credits differ.
    pub unbalanced: Vec<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.broken.is_none() && self.unbalanced.is_empty()
    }
}

/// Walks every audit hash chain (the events of one entity in order, each hashing the one before)
/// and sums each journal entry's debits and credits, in pages.
pub fn verify(conn: &mut DbConnection) -> DomainResult<Verification> {
    let mut out = Verification::default();
    let mut last: Option<(String, String, String)> = None; // entity type, entity id, hash
    let mut after: Option<(String, String, String)> = None; // paging key
    loop {
        let mut q = audit_events::table.into_boxed();
        if let Some((t, e, id)) = &after {
            q = q.filter(
                audit_events::entity_type
                    .gt(t.clone())
                    .or(audit_events::entity_type.eq(t.clone()).and(audit_events::entity_id.gt(e.clone())))
                    .or(audit_events::entity_type
                        .eq(t.clone())
                        .and(audit_events::entity_id.eq(e.clone()))
                        .and(audit_events::id.gt(id.clone()))),
            );
        }
        let page: Vec<AuditEventRow> = q
            .order((audit_events::entity_type, audit_events::entity_id, audit_events::id))
            .limit(5_000)
            .select(AuditEventRow::as_select())
            .load(conn)?;
        let n = page.len();
        for e in page {
            let same_chain = last.as_ref().is_some_and(|(t, id, _)| *t == e.entity_type && *id == e.entity_id);
            if !same_chain {
                out.chains += 1;
            }
            let expected_prev = if same_chain { last.as_ref().map(|(_, _, h)| h.clone()) } else { None };
            out.events += 1;
            if out.broken.is_none() && (e.prev_hash != expected_prev || event_hash(&e) != e.hash) {
                out.broken = Some((e.entity_type.clone(), e.entity_id.clone(), e.id.clone()));
            }
            after = Some((e.entity_type.clone(), e.entity_id.clone(), e.id.clone()));
            last = Some((e.entity_type, e.entity_id, e.hash));
        }
        if n < 5_000 {
            break;
        }
    }
    #[derive(QueryableByName)]
    struct Unbalanced {
        #[diesel(sql_type = Text)]
        entry_id: String,
    }
    let unbalanced: Vec<Unbalanced> = diesel::sql_query(
        "SELECT entry_id FROM journal_lines GROUP BY entry_id HAVING SUM(debit) <> SUM(credit) ORDER BY entry_id",
    )
    .load(conn)?;
    out.unbalanced = unbalanced.into_iter().map(|u| u.entry_id).collect();
    out.journal_entries = journal_entries::table.count().get_result::<i64>(conn)? as usize;
    Ok(out)
}
