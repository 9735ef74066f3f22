//! Two databases, one binary: the connection enum, the pool, migrations and write transactions.
//!
//! The backend is chosen from the URL scheme by our own code (never by `establish` guessing).
//! Backend-specific SQL lives in this module only.

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::DomainError;

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

/// The backend named by a `DATABASE_URL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DbUrl {
    Postgres(String),
    /// Path of the SQLite file.
    Sqlite(PathBuf),
}

impl DbUrl {
    /// `postgres://…` / `postgresql://…`, or `sqlite://path`, `sqlite:path`, or a plain file path.
    pub fn parse(url: &str) -> Result<DbUrl, DomainError> {
        let url = url.trim();
        if url.is_empty() {
            return Err(DomainError::Config("DATABASE_URL is empty".into()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl::Postgres(url.to_string()));
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        if path.contains("://") {
            return Err(DomainError::Config(format!(
                "unsupported DATABASE_URL scheme in {url:?}: use postgres://… or sqlite://path"
            )));
        }
        Ok(DbUrl::Sqlite(PathBuf::from(path)))
    }

    /// The name shown by `/healthz` and logs: `postgresql` or `sqlite`.
    pub fn backend_name(&self) -> &'static str {
        match self {
            DbUrl::Postgres(_) => "postgresql",
            DbUrl::Sqlite(_) => "sqlite",
        }
    }

    /// A printable form with any password removed.
    pub fn redacted(&self) -> String {
        match self {
            DbUrl::Sqlite(p) => format!("sqlite://{}", p.display()),
            DbUrl::Postgres(u) => match (u.find("://"), u.rfind('@')) {
                (Some(s), Some(at)) if at > s => {
                    let creds = &u[s + 3..at];
                    let user = creds.split(':').next().unwrap_or("");
                    format!("{}{}:***{}", &u[..s + 3], user, &u[at..])
                }
                _ => u.clone(),
            },
        }
    }

    pub fn establish(&self) -> Result<DbConnection, diesel::ConnectionError> {
        match self {
            DbUrl::Postgres(url) => diesel::PgConnection::establish(url).map(DbConnection::Postgresql),
            DbUrl::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(&path.to_string_lossy())?;
                conn.batch_execute(
                    "PRAGMA busy_timeout = 15000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

/// r2d2 manager that establishes connections through [`DbUrl::establish`].
#[derive(Debug, Clone)]
pub struct Manager {
    url: DbUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        self.url.establish().map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        <DbConnection as Connection>::TransactionManager::is_broken_transaction_manager(conn)
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// Opens a pool. For SQLite the parent folder is created when missing.
pub fn open_pool(url: &DbUrl, max_size: u32) -> Result<Pool, DomainError> {
    if let DbUrl::Sqlite(path) = url {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| DomainError::Config(format!("cannot create database folder {}: {e}", dir.display())))?;
        }
        // WAL is a property of the file: set it once, before the pool opens connections in
        // parallel (changing the journal mode does not wait on the busy handler).
        let mut conn = url
            .establish()
            .map_err(|e| DomainError::Config(format!("cannot open database {}: {e}", url.redacted())))?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")?;
    }
    r2d2::Pool::builder()
        .max_size(max_size)
        // No `SELECT 1` before each loan: a connection PostgreSQL dropped is found by the
        // request that uses it, and `forget_if_lost` then takes it out of the pool.
        .test_on_check_out(false)
        // How long a request waits for a connection: while PostgreSQL is away it then answers
        // 503 with Retry-After, rather than holding the client for half a minute.
        .connection_timeout(Duration::from_secs(10))
        .build(Manager { url: url.clone() })
        .map_err(|e| DomainError::Config(format!("cannot open database {}: {e}", url.redacted())))
}

/// The connection to the database was lost mid-request (PostgreSQL restarted or shut down, the
/// network dropped): the transaction did not commit, and a retry will reconnect.
pub fn connection_lost(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => true,
        Error::BrokenTransactionManager => true,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info) => {
            let m = info.message().to_ascii_lowercase();
            [
                "terminating connection",
                "server closed the connection",
                "connection to server",
                "the database system is shutting down",
                "the database system is starting up",
                "no connection to the server",
                "could not receive data from server",
                "ssl connection has been closed",
            ]
            .iter()
            .any(|p| m.contains(p))
        }
        _ => false,
    }
}

/// After an operation on a pooled connection: when it failed because the connection was lost,
/// marks the connection broken, so that the pool closes it instead of lending it again. The
/// pool does not test a connection with a query before lending it (one statement less per
/// request), so this is how a connection that PostgreSQL dropped leaves the pool: the request
/// that finds it gone answers 503 with Retry-After, and the retry gets a new connection.
pub fn forget_if_lost<T>(conn: &mut DbConnection, outcome: &Result<T, DomainError>) {
    if let Err(DomainError::Database(e)) = outcome {
        if connection_lost(e) {
            <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn).set_in_error();
        }
    }
}

pub fn migrations_for(conn: &DbConnection) -> EmbeddedMigrations {
    match conn {
        DbConnection::Postgresql(_) => PG_MIGRATIONS,
        DbConnection::Sqlite(_) => SQLITE_MIGRATIONS,
    }
}

/// Applies every pending migration; returns the versions applied.
pub fn run_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DomainError> {
    let migrations = migrations_for(conn);
    let applied =
        conn.run_pending_migrations(migrations).map_err(|e| DomainError::Internal(format!("migration failed: {e}")))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// Reverts every applied migration (used by `jicai migrate --down-all` and the migration test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<Vec<String>, DomainError> {
    let migrations = migrations_for(conn);
    let reverted = conn
        .revert_all_migrations(migrations)
        .map_err(|e| DomainError::Internal(format!("migration revert failed: {e}")))?;
    Ok(reverted.iter().map(|v| v.to_string()).collect())
}

pub fn is_sqlite(conn: &DbConnection) -> bool {
    matches!(conn, DbConnection::Sqlite(_))
}

/// Runs `f` in a write transaction.
///
/// On SQLite the outermost transaction is `BEGIN IMMEDIATE`, so it takes the write lock up front
/// (a deferred transaction that reads then writes can fail with SQLITE_BUSY under concurrency).
/// Nested calls become savepoints. On PostgreSQL it is an ordinary transaction; operations that
/// need serialization take row locks by updating the row they guard first (see `lock_row` uses).
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let outermost = <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_none();
    if outermost {
        // Whatever it changed, counts kept from before it no longer hold (crate::paging), and
        // what it marked as written is counted again now that it is over (`count_write`).
        let _fresh = crate::paging::WriteDone;
        let _counted = CountAgain;
        if let DbConnection::Sqlite(inner) = conn {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            return match f(conn) {
                Ok(value) => {
                    crate::failpoint::pause("commit");
                    if let Err(commit_err) = <DbConnection as Connection>::TransactionManager::commit_transaction(conn)
                    {
                        let _ = <DbConnection as Connection>::TransactionManager::rollback_transaction(conn);
                        return Err(commit_err.into());
                    }
                    Ok(value)
                }
                Err(e) => {
                    <DbConnection as Connection>::TransactionManager::rollback_transaction(conn)?;
                    Err(e)
                }
            };
        }
        // The outermost transaction pauses before its commit when the failpoint says so: a
        // crash test kills the process there and finds nothing of the transaction committed.
        return conn.transaction(|conn| {
            let value = f(conn)?;
            crate::failpoint::pause("commit");
            Ok(value)
        });
    }
    if JOIN.get() == Join::Open {
        // `joined` runs the caller: this transaction is the caller's, not a savepoint of it.
        JOIN.set(Join::Inside);
        let out = f(conn);
        JOIN.set(if out.is_ok() { Join::Open } else { Join::Failed });
        return out;
    }
    conn.transaction(f)
}

/// Whether the write transactions `joined` runs join the enclosing transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Join {
    /// Not inside `joined`: nested write transactions are savepoints.
    Off,
    /// The next write transaction opened at the top of `f` joins.
    Open,
    /// Inside a joined transaction: those it opens are savepoints again.
    Inside,
    /// A joined transaction failed: what it wrote is still in the enclosing transaction.
    Failed,
}

thread_local! {
    static JOIN: std::cell::Cell<Join> = const { std::cell::Cell::new(Join::Off) };
}

/// Runs `f` inside the caller's write transaction, letting the write transactions `f` opens
/// join it instead of nesting as savepoints (two statements less each). Answers `None` when one
/// of them failed and `f` still answered (turned the failure into an answer): a savepoint would
/// have undone that transaction's writes, which are now in the caller's, so the caller must roll
/// back and run `f` again without joining. Transactions that need their own isolation level
/// (`repeatable_read`) keep the enclosing one, as a savepoint would.
pub fn joined<T, E>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<Option<T>, E> {
    struct Reset;
    impl Drop for Reset {
        fn drop(&mut self) {
            JOIN.set(Join::Off);
        }
    }
    let _reset = Reset;
    JOIN.set(Join::Open);
    let out = f(conn)?;
    Ok(if JOIN.get() == Join::Failed { None } else { Some(out) })
}

thread_local! {
    static COUNT_AGAIN: std::cell::RefCell<Vec<&'static std::sync::atomic::AtomicU64>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Counts `written` up, now and again when this thread's outermost write transaction ends
/// (committed or rolled back). A cache whose entries carry the figure they were read under (see
/// `kept`) then never keeps what another thread read before the write was committed, nor
/// what a rolled-back write left in it.
pub fn count_write(written: &'static std::sync::atomic::AtomicU64) {
    written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    COUNT_AGAIN.with(|again| again.borrow_mut().push(written));
}

/// Held by the outermost write transaction: counts its writes again when it ends.
struct CountAgain;

impl Drop for CountAgain {
    fn drop(&mut self) {
        for written in COUNT_AGAIN.with(|again| std::mem::take(&mut *again.borrow_mut())) {
            written.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

/// A statement kept prepared on its connection, by its SQL text, though diesel would parse and
/// plan it afresh each time: an UPDATE, a multi-row INSERT or an `sql_query` of the hot path.
/// Diesel refuses to keep these because their text may vary without bound (an UPDATE by which
/// fields are set, an INSERT by its rows); wrap only a statement whose texts are few (one per
/// shape, or per number of rows up to a small limit). On PostgreSQL a kept statement is parsed
/// once and, after five runs, planned once (when its generic plan costs what its custom plans
/// did); on SQLite it is compiled once.
///
/// It runs on a backend's own connection (see [`reused!`]): its text is written by the
/// backend's query builder, which MultiConnection does not expose.
#[derive(Debug, Clone, Copy)]
pub struct Reused<Q>(pub Q);

impl<Q> diesel::query_builder::QueryId for Reused<Q> {
    type QueryId = ();
    // Kept by its SQL text, never by type: one type may write many texts.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Reused<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> diesel::query_builder::QueryFragment<DB> for Reused<Q>
where
    DB: diesel::backend::Backend,
    DB::QueryBuilder: Default,
    Q: diesel::query_builder::QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, mut pass: diesel::query_builder::AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // The pass that collects the binds (or shows them) walks the statement itself.
        // MultiConnection's derive tells the passes apart the same way.
        use diesel::internal::derives::multiconnection::AstPassHelper;
        if pass.bind_collector().is_some() || pass.debug_binds().is_some() {
            return self.0.walk_ast(pass);
        }
        // The pass that writes the SQL, or asks whether it may be kept: the text is written by a
        // query builder of its own, so that the statement's own answer (no) is never given.
        use diesel::query_builder::QueryBuilder;
        let mut text = DB::QueryBuilder::default();
        self.0.to_sql(&mut text, pass.backend())?;
        pass.push_sql(&text.finish());
        Ok(())
    }
}

impl<Q, C> RunQueryDsl<C> for Reused<Q> {}

/// Rows per multi-row INSERT of `bulk_insert!` on SQLite (under its bound-parameter limit for
/// rows of up to 65 columns).
pub const SQLITE_ROWS_PER_INSERT: usize = 500;

/// Writes `rows` (a `Vec` of `Insertable` forms declared with `treat_none_as_default_value =
/// false`) to `table` through the backend's bulk path, inside the caller's transaction: COPY on
/// PostgreSQL (no per-row parse and bind of a statement), multi-row INSERTs on SQLite. Evaluates
/// to the rows written; a database error returns from the caller (`?`).
#[macro_export]
macro_rules! bulk_insert {
    ($conn:expr, $table:path, $rows:expr) => {{
        let rows = $rows;
        let mut written = 0usize;
        if !rows.is_empty() {
            match $conn {
                $crate::db::DbConnection::Postgresql(c) => {
                    written += diesel::copy_from($table).from_insertable(&rows).execute(c)?;
                }
                $crate::db::DbConnection::Sqlite(c) => {
                    for chunk in rows.chunks($crate::db::SQLITE_ROWS_PER_INSERT) {
                        written += diesel::insert_into($table).values(chunk).execute(c)?;
                    }
                }
            }
        }
        written
    }};
}

/// The one row an UPDATE changed, as `$row` reads it through RETURNING (`$row::as_returning()`),
/// or none when the UPDATE matched nothing: MultiConnection has no RETURNING of its own, so this
/// matches on the backend. Evaluates to a `QueryResult<Option<$row>>`.
macro_rules! changed_row {
    ($conn:expr, $update:expr, $row:ty) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => {
                $crate::db::Reused($update.returning(<$row>::as_returning())).get_result::<$row>(c).optional()
            }
            $crate::db::DbConnection::Sqlite(c) => {
                $crate::db::Reused($update.returning(<$row>::as_returning())).get_result::<$row>(c).optional()
            }
        }
    };
}

/// One multi-row INSERT of `rows` (a slice of `Insertable` forms declared with
/// `treat_none_as_default_value = false`): MultiConnection has no batch insert, so this matches on
/// the backend. Keep `rows` under SQLite's bound-parameter limit (32,766). With
/// `on_conflict_do_nothing`, a row that would break a unique constraint is skipped; either way
/// it evaluates to the rows inserted.
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => diesel::insert_into($table).values($rows).execute(c),
            $crate::db::DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
    // The lines of one document (a few, up to its limit of lines): kept prepared on PostgreSQL
    // ([`Reused`]; SQLite's multi-row INSERT is diesel's own statement, compiled each time).
    ($conn:expr, $table:expr, $rows:expr, reused) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => {
                $crate::db::Reused(diesel::insert_into($table).values($rows)).execute(c)
            }
            $crate::db::DbConnection::Sqlite(c) => diesel::insert_into($table).values($rows).execute(c),
        }
    };
    ($conn:expr, $table:expr, $rows:expr, on_conflict_do_nothing) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => {
                diesel::insert_into($table).values($rows).on_conflict_do_nothing().execute(c)
            }
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).on_conflict_do_nothing().execute(c)
            }
        }
    };
}
/// Runs `$query` kept prepared ([`Reused`]) on `$conn`'s own backend: `$run` is `execute`,
/// `get_result` or `load` (with its type). Evaluates to its `QueryResult`.
macro_rules! reused {
    ($conn:expr, $query:expr, $($run:tt)+) => {
        match $conn {
            $crate::db::DbConnection::Postgresql(c) => $crate::db::Reused($query).$($run)+(c),
            $crate::db::DbConnection::Sqlite(c) => $crate::db::Reused($query).$($run)+(c),
        }
    };
}
pub(crate) use {changed_row, insert_rows, reused};

/// Maps a unique-constraint violation to the conflict `make` describes; any other error passes.
pub fn unique_conflict(e: diesel::result::Error, make: impl FnOnce() -> DomainError) -> DomainError {
    if is_unique_violation(&e) {
        make()
    } else {
        e.into()
    }
}

/// True when `e` is a unique-constraint violation (either backend).
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(e, diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// The query backend of [`DbConnection`] (for boxed queries shared by both databases).
pub type DbBackend = <DbConnection as Connection>::Backend;

/// Stores a state enum (with `as_str` and `parse`) as text on both databases: the column stays
/// `Text`; rows read and write the enum, and queries compare the column with it. The enum derives
/// `diesel::expression::AsExpression` and `diesel::deserialize::FromSqlRow` with
/// `#[diesel(sql_type = diesel::sql_types::Text)]`. A stored name the enum does not know fails
/// the read, naming it. Queries that SQLite's partial indexes must match keep their literal
/// predicates: a bound value does not match an index's `WHERE stage = '…'`.
#[macro_export]
macro_rules! text_enum {
    ($t:ty) => {
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn from_sql(
                bytes: <diesel::pg::Pg as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg>>::from_sql(bytes)?;
                <$t>::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)).into())
            }
        }
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $t {
            fn from_sql(
                bytes: <diesel::sqlite::Sqlite as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let s = <String as diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::sqlite::Sqlite>>::from_sql(bytes)?;
                <$t>::parse(&s).ok_or_else(|| format!("unknown {} {s:?}", stringify!($t)).into())
            }
        }
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $crate::db::DbBackend> for $t {
            fn from_sql(
                bytes: <$crate::db::DbBackend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                bytes.from_sql::<Self, diesel::sql_types::Text>()
            }
        }
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.as_str(),
                    &mut out.reborrow(),
                )
            }
        }
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::sqlite::Sqlite> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::sqlite::Sqlite>,
            ) -> diesel::serialize::Result {
                out.set_value(self.as_str());
                Ok(diesel::serialize::IsNull::No)
            }
        }
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $crate::db::DbBackend> for $t {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $crate::db::DbBackend>,
            ) -> diesel::serialize::Result {
                out.set_value((diesel::sql_types::Text, self));
                Ok(diesel::serialize::IsNull::No)
            }
        }
    };
}

/// Serializes runs of one job across processes: a transaction-scoped advisory lock on
/// PostgreSQL (released at commit or rollback); on SQLite the write transaction already holds
/// the database's single write lock.
pub fn job_lock(conn: &mut DbConnection, job: &str) -> Result<(), diesel::result::Error> {
    if let DbConnection::Postgresql(_) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtext($1)::bigint)")
            .bind::<diesel::sql_types::Text, _>(format!("jicai:{job}"))
            .execute(conn)?;
    }
    Ok(())
}

/// Makes the transaction just begun read one snapshot, taken by its first statement (PostgreSQL's
/// REPEATABLE READ). Inside an enclosing transaction (a savepoint) it changes nothing.
pub fn repeatable_read(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    let depth = <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .map(|d| d.get());
    if let (DbConnection::Postgresql(_), Some(1), false) = (&*conn, depth, JOIN.get() == Join::Inside) {
        conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")?;
    }
    Ok(())
}

/// Turns PostgreSQL's JIT compilation off for the rest of the transaction, for the day's jobs
/// (settlement sweep, deadline watch). Their queries read a day's rows, hundreds to thousands,
/// through partial indexes whose predicates the planner takes for independent of the range, so
/// it expects far more rows than come and compiles queries for longer than they run. The bulk
/// jobs (late interest, retention, statements) keep JIT: they ran faster with it (the figures:
/// docs/benchmarks.md, "Why the code is as it is"). SQLite has no JIT.
pub fn without_jit(conn: &mut DbConnection) -> Result<(), diesel::result::Error> {
    if let DbConnection::Postgresql(_) = conn {
        conn.batch_execute("SET LOCAL jit = off")?;
    }
    Ok(())
}

/// Like `job_lock`, but answers at once whether the lock was free instead of waiting (SQLite: the
/// write transaction already holds the database). For a transaction that must read one snapshot
/// taken after the lock: on PostgreSQL a REPEATABLE READ snapshot is taken by its first
/// statement, so waiting in that statement would read the state from before the wait.
pub fn try_job_lock(conn: &mut DbConnection, job: &str) -> Result<bool, diesel::result::Error> {
    #[derive(QueryableByName)]
    struct Locked {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        locked: bool,
    }
    match conn {
        DbConnection::Postgresql(_) => {
            Ok(diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtext($1)::bigint) AS locked")
                .bind::<diesel::sql_types::Text, _>(format!("jicai:{job}"))
                .get_result::<Locked>(conn)?
                .locked)
        }
        DbConnection::Sqlite(_) => Ok(true),
    }
}

/// Restores a table's visibility map after a run that rewrote rows across much of it. An
/// update clears its page's all-visible bit, and until a vacuum sets it again every index-only
/// scan that reaches the page reads the heap as well. PostgreSQL: `VACUUM`, which visits only the
/// pages not all-visible (those the run just wrote, still in the caches), skipped if another
/// vacuum holds the table; not inside a transaction, where `VACUUM` cannot run. SQLite keeps no
/// visibility map: nothing to do.
pub fn vacuum(conn: &mut DbConnection, table: &'static str) -> Result<(), diesel::result::Error> {
    let in_transaction = <DbConnection as Connection>::TransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()?
        .is_some();
    if let (DbConnection::Postgresql(_), false) = (&*conn, in_transaction) {
        conn.batch_execute(&format!("VACUUM (SKIP_LOCKED) {table}"))?;
    }
    Ok(())
}

/// Serializes changes that read then write one party's balances (PostgreSQL: a transaction-scoped
/// advisory lock on the key; SQLite: the write transaction already holds the database).
pub fn lock_key(conn: &mut DbConnection, key: &str) -> Result<(), diesel::result::Error> {
    job_lock(conn, key)
}

/// Escapes `%`, `_` and `\` for a LIKE pattern used with `ESCAPE '\'`.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A value bound into a [`RowsUpdate`].
#[derive(Clone, Debug)]
pub enum Cell {
    Int(i64),
    OptInt(Option<i64>),
    OptText(Option<String>),
    Date(chrono::NaiveDate),
}

/// One UPDATE that gives each of many rows (by `id`) its own values:
/// `SET col = CASE id WHEN … THEN … END, … WHERE id IN (…)`. It replaces one statement per row
/// on the write path (the lines of an order, of a delivery, their agreed volumes).
///
/// With [`RowsUpdate::lock_in_id_order`], PostgreSQL first locks the rows in id order, as every
/// other writer of the table does, so two transactions never wait on each other in a cycle; on
/// SQLite the write transaction already holds the database's single write lock.
pub struct RowsUpdate {
    table: &'static str,
    columns: Vec<(&'static str, bool)>,
    rows: Vec<(String, Vec<Cell>)>,
    filter: Vec<(&'static str, &'static str, Cell)>,
    lock_in_id_order: bool,
}

impl RowsUpdate {
    pub fn new(table: &'static str) -> Self {
        RowsUpdate { table, columns: Vec::new(), rows: Vec::new(), filter: Vec::new(), lock_in_id_order: false }
    }

    /// A column set to each row's value.
    pub fn set(mut self, column: &'static str) -> Self {
        self.columns.push((column, false));
        self
    }

    /// A column to which each row's value is added.
    pub fn add_to(mut self, column: &'static str) -> Self {
        self.columns.push((column, true));
        self
    }

    /// Updates only the rows where `column op value` (`op` one of `=`, `<=`, `>=`).
    pub fn only_where(mut self, column: &'static str, op: &'static str, value: Cell) -> Self {
        self.filter.push((column, op, value));
        self
    }

    pub fn lock_in_id_order(mut self) -> Self {
        self.lock_in_id_order = true;
        self
    }

    /// The values of row `id`, one per column in the order they were named. An id given twice
    /// is refused: the caller sums what it adds per row.
    pub fn row(&mut self, id: &str, values: Vec<Cell>) -> Result<(), DomainError> {
        if values.len() != self.columns.len() || self.rows.iter().any(|(r, _)| r == id) {
            return Err(DomainError::Internal(format!("update of {}: row {id} given twice or malformed", self.table)));
        }
        self.rows.push((id.to_string(), values));
        Ok(())
    }

    /// The statement for `conn`'s backend and its parameters, or none when there is no row.
    fn statement(self, conn: &DbConnection, returning: &str) -> Option<(String, Vec<Cell>)> {
        if self.rows.is_empty() {
            return None;
        }
        let pg = matches!(conn, DbConnection::Postgresql(_));
        let mut params: Vec<Cell> = Vec::new();
        let mut mark = |c: Cell| {
            params.push(c);
            if pg {
                format!("${}", params.len())
            } else {
                format!("?{}", params.len())
            }
        };
        let t = self.table;
        let ids: Vec<String> = self.rows.iter().map(|(id, _)| mark(Cell::OptText(Some(id.clone())))).collect();
        let mut sets = Vec::new();
        for (k, (column, add)) in self.columns.iter().enumerate() {
            let mut case = format!("CASE {t}.id");
            for (i, (_, values)) in self.rows.iter().enumerate() {
                case.push_str(&format!(" WHEN {} THEN {}", ids[i], mark(values[k].clone())));
            }
            case.push_str(" END");
            sets.push(if *add { format!("{column} = {t}.{column} + {case}") } else { format!("{column} = {case}") });
        }
        let id_list = ids.join(", ");
        let mut sql = format!("UPDATE {t} SET {}", sets.join(", "));
        if pg && self.lock_in_id_order {
            sql.push_str(&format!(
                " FROM (SELECT id AS locked_id FROM {t} WHERE id IN ({id_list}) ORDER BY id FOR UPDATE) AS locked \
                 WHERE {t}.id = locked.locked_id"
            ));
        } else {
            sql.push_str(&format!(" WHERE {t}.id IN ({id_list})"));
        }
        for (column, op, value) in self.filter {
            assert!(matches!(op, "=" | "<=" | ">="), "comparison {op}");
            sql.push_str(&format!(" AND {t}.{column} {op} {}", mark(value)));
        }
        if !returning.is_empty() {
            sql.push_str(&format!(" RETURNING {returning}"));
        }
        Some((sql, params))
    }

    fn bound<DB>(
        sql: String,
        params: Vec<Cell>,
    ) -> diesel::query_builder::BoxedSqlQuery<'static, DB, diesel::query_builder::SqlQuery>
    where
        DB: diesel::backend::Backend
            + diesel::sql_types::HasSqlType<diesel::sql_types::BigInt>
            + diesel::sql_types::HasSqlType<diesel::sql_types::Text>
            + diesel::sql_types::HasSqlType<diesel::sql_types::Date>,
        i64: diesel::serialize::ToSql<diesel::sql_types::BigInt, DB>,
        chrono::NaiveDate: diesel::serialize::ToSql<diesel::sql_types::Date, DB>,
        String: diesel::serialize::ToSql<diesel::sql_types::Text, DB>,
    {
        use diesel::sql_types::{BigInt, Date, Nullable, Text};
        let mut q = diesel::sql_query(sql).into_boxed::<DB>();
        for p in params {
            q = match p {
                Cell::Int(v) => q.bind::<BigInt, _>(v),
                Cell::OptInt(v) => q.bind::<Nullable<BigInt>, _>(v),
                Cell::OptText(v) => q.bind::<Nullable<Text>, _>(v),
                Cell::Date(v) => q.bind::<Date, _>(v),
            };
        }
        q
    }

    /// Runs the update; the number of rows changed.
    pub fn execute(self, conn: &mut DbConnection) -> Result<usize, diesel::result::Error> {
        match self.statement(conn, "") {
            None => Ok(0),
            Some((sql, params)) => reused!(conn, Self::bound(sql, params), execute),
        }
    }

    /// Runs the update and loads `returning` (columns of the table) of each changed row.
    pub fn returning<R>(self, conn: &mut DbConnection, returning: &str) -> Result<Vec<R>, diesel::result::Error>
    where
        R: diesel::deserialize::QueryableByName<diesel::pg::Pg>
            + diesel::deserialize::QueryableByName<diesel::sqlite::Sqlite>
            + 'static,
    {
        match self.statement(conn, returning) {
            None => Ok(Vec::new()),
            Some((sql, params)) => reused!(conn, Self::bound(sql, params), load::<R>),
        }
    }
}
