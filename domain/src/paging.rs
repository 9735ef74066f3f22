//! Every list is paginated and bounded.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{Connection, QueryResult, RunQueryDsl};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 200;
/// Lists over tables that grow without bound (payables) count at most this many rows past the
/// page's offset; beyond it `total` is a lower bound and `total_is_exact` is false. Counting is
/// most of a page's cost on long lists (a distributor's paid payables: 10,000 index entries to
/// count against 50 to show), and twenty pages ahead is as far as anyone pages.
pub const COUNT_CAP: i64 = 1_000;

/// How long a count is reused without counting again.
pub const COUNT_KEPT: Duration = Duration::from_secs(10);
/// At most this many counts are kept; past it the stale ones, then all, are forgotten.
const COUNTS_KEPT_MAX: usize = 10_000;

/// Write transactions this process has finished (committed or not). A count taken while it
/// stood at one figure is reused only while it still stands there.
static WRITES: AtomicU64 = AtomicU64::new(0);

/// Marks, when dropped, that a write transaction has finished: [`crate::db::write_tx`] holds
/// one for its outermost transaction, so no count from before the write is reused after it.
pub(crate) struct WriteDone;

impl Drop for WriteDone {
    fn drop(&mut self) {
        WRITES.fetch_add(1, AtomicOrdering::SeqCst);
    }
}

/// The write-transaction figure to take a count under: read it before counting.
pub fn writes_so_far() -> u64 {
    WRITES.load(AtomicOrdering::SeqCst)
}

/// A count kept: what was counted, up to which limit, when, and under which write figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeptCount {
    pub counted: i64,
    pub limit: i64,
    at: Instant,
    writes: u64,
}

/// Counts of long lists, by list, caller scope, filter and offset. Counting a distributor's
/// payables of one status reads up to a thousand index entries (and, for the confirmed ones
/// awaiting a batch, their rows), more than the page itself; a reload within [`COUNT_KEPT`]
/// with no write transaction finished in this process since reuses the count. Writes by other
/// processes (jobs run from the command line) show in counts within [`COUNT_KEPT`]. Keys hold
/// the caller's scope, so one tenant's count never answers another's.
fn kept_counts() -> &'static Mutex<HashMap<String, KeptCount>> {
    static KEPT: OnceLock<Mutex<HashMap<String, KeptCount>>> = OnceLock::new();
    KEPT.get_or_init(|| Mutex::new(HashMap::new()))
}

/// The count kept under `key`, if it is still good at `now`.
pub fn kept_count(key: &str, now: Instant) -> Option<KeptCount> {
    let kept = kept_counts().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    kept.get(key).filter(|k| k.writes == writes_so_far() && now.saturating_duration_since(k.at) < COUNT_KEPT).copied()
}

/// Keeps a count taken at `at`, under the write figure `writes` read before counting.
pub fn keep_count(key: String, counted: i64, limit: i64, at: Instant, writes: u64) {
    let mut kept = kept_counts().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if kept.len() >= COUNTS_KEPT_MAX {
        let current = writes_so_far();
        kept.retain(|_, k| k.writes == current && at.saturating_duration_since(k.at) < COUNT_KEPT);
        if kept.len() >= COUNTS_KEPT_MAX {
            kept.clear();
        }
    }
    kept.insert(key, KeptCount { counted, limit, at, writes });
}

/// The count kept under `key`, or else one counted now by `count` (up to `limit`) and kept:
/// `(counted, limit)`. Requests asking for the same count at the same moment take it in turn,
/// so that the first counts and the others reuse its count instead of each reading the same
/// thousand rows (on a busy list, every write sends all its pages' readers to count again).
pub fn count_kept<E>(key: String, limit: i64, count: impl FnOnce() -> Result<i64, E>) -> Result<(i64, i64), E> {
    if let Some(k) = kept_count(&key, Instant::now()) {
        return Ok((k.counted, k.limit));
    }
    let turn = counting_turn(&key);
    let _mine = turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let asked = Instant::now();
    let counted = match kept_count(&key, asked) {
        Some(k) => Ok((k.counted, k.limit)),
        None => {
            let writes = writes_so_far();
            count().map(|counted| {
                keep_count(key.clone(), counted, limit, asked, writes);
                (counted, limit)
            })
        }
    };
    drop(_mine);
    // Turns are handed out under the map's lock: holding it, once ours is given back, the map's
    // own reference alone means no one else waits for this key's turn.
    let mut turns = counting_turns().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    drop(turn);
    if turns.get(&key).is_some_and(|t| Arc::strong_count(t) == 1) {
        turns.remove(&key);
    }
    counted
}

/// Whose turn it is to count, by count key; a key is here only while someone counts it.
fn counting_turns() -> &'static Mutex<HashMap<String, Arc<Mutex<()>>>> {
    static TURNS: OnceLock<Mutex<HashMap<String, Arc<Mutex<()>>>>> = OnceLock::new();
    TURNS.get_or_init(|| Mutex::new(HashMap::new()))
}

fn counting_turn(key: &str) -> Arc<Mutex<()>> {
    let mut turns = counting_turns().lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    turns.entry(key.to_string()).or_default().clone()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub page: i64,
    pub per_page: i64,
}

impl PageRequest {
    /// Clamps to page ≥ 1 and 1 ≤ per_page ≤ 200.
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Self {
        PageRequest {
            page: page.unwrap_or(1).max(1),
            per_page: per_page.unwrap_or(DEFAULT_PER_PAGE).clamp(1, MAX_PER_PAGE),
        }
    }
    pub fn offset(self) -> i64 {
        (self.page - 1).saturating_mul(self.per_page)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest::new(None, None)
    }
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: i64,
    pub per_page: i64,
    /// Rows matching the filter; a lower bound when `total_is_exact` is false.
    pub total: i64,
    /// False when counting stopped at a cap (1,000 rows past this page's offset on the
    /// payment-status list): there are at least `total` rows, maybe more.
    pub total_is_exact: bool,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageRequest, total: i64) -> Self {
        Page { items, page: req.page, per_page: req.per_page, total, total_is_exact: true }
    }
    /// A page whose total was counted by [`CountRows`] over a query limited to `limit` rows:
    /// reaching the limit means there may be more.
    pub fn counted_up_to(items: Vec<T>, req: PageRequest, counted: i64, limit: i64) -> Self {
        Page { total_is_exact: counted < limit, ..Page::new(items, req, counted) }
    }
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            page: self.page,
            per_page: self.per_page,
            total: self.total,
            total_is_exact: self.total_is_exact,
        }
    }
}

/// The count of the rows a query returns: `SELECT COUNT(*) FROM (<query>) AS counted`. With a
/// `LIMIT` inside, counting stops there: the database reads at most that many index entries
/// instead of every matching row.
#[derive(Debug, Clone, QueryId)]
pub struct CountRows<Q>(pub Q);

impl<Q> Query for CountRows<Q> {
    type SqlType = diesel::sql_types::BigInt;
}

impl<Q, C: Connection> RunQueryDsl<C> for CountRows<Q> {}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for CountRows<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT COUNT(*) FROM (");
        self.0.walk_ast(out.reborrow())?;
        out.push_sql(") AS counted");
        Ok(())
    }
}

/// One page of a query, its `LIMIT` and `OFFSET` written into the SQL text. Bound, they leave
/// PostgreSQL's generic plan of a kept statement guessing at a tenth of the rows, so it planned
/// the page afresh at every request; written, the first page of each size is one statement whose
/// generic plan is the custom one (the same index, read for the page's rows) and is planned
/// once. A later page is planned with its own figures each time, as before: its text is not kept,
/// so that offsets do not fill the connection's statements.
#[derive(Debug, Clone)]
pub struct Paged<Q> {
    query: Q,
    limit: i64,
    offset: i64,
}

impl<Q> Paged<Q> {
    /// `query` (ordered, without a limit) at `page`.
    pub fn new(query: Q, page: PageRequest) -> Self {
        Paged { query, limit: page.per_page, offset: page.offset() }
    }
}

impl<Q> QueryId for Paged<Q> {
    type QueryId = ();
    // Kept by its SQL text, which holds the page's figures.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Paged<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, C: Connection> RunQueryDsl<C> for Paged<Q> {}

impl<Q: QueryFragment<DB>, DB: Backend> QueryFragment<DB> for Paged<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        if self.offset != 0 {
            out.unsafe_to_cache_prepared();
        }
        // Two integers of our own (a clamped page size, its offset): nothing of the caller's.
        out.push_sql(&format!(" LIMIT {} OFFSET {}", self.limit, self.offset));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_writes_its_figures_and_only_the_first_is_kept_prepared() {
        use crate::schema::payables;
        use diesel::prelude::*;
        use diesel::sqlite::Sqlite;
        let page = |n| {
            Paged::new(payables::table.select(payables::id).order(payables::id), PageRequest::new(Some(n), Some(50)))
        };
        let sql = diesel::debug_query::<Sqlite, _>(&page(3)).to_string();
        assert!(sql.contains("ORDER BY `payables`.`id` LIMIT 50 OFFSET 100"), "{sql}");
        assert!(page(1).is_safe_to_cache_prepared(&Sqlite).unwrap());
        assert!(!page(2).is_safe_to_cache_prepared(&Sqlite).unwrap());
    }

    #[test]
    fn a_count_that_reaches_its_limit_is_a_lower_bound() {
        let req = PageRequest::new(Some(3), Some(50));
        let limit = req.offset() + COUNT_CAP;
        let capped = Page::counted_up_to(Vec::<()>::new(), req, limit, limit);
        assert_eq!((capped.total, capped.total_is_exact), (1_100, false));
        let exact = Page::counted_up_to(Vec::<()>::new(), req, 120, limit);
        assert_eq!((exact.total, exact.total_is_exact), (120, true));
    }

    #[test]
    fn a_count_is_reused_for_its_key_a_while_and_until_a_write_only() {
        let t0 = Instant::now();
        let key = "payables|supplier|org-a|status=paid|offset=0";
        assert_eq!(kept_count(key, t0), None);
        keep_count(key.to_string(), 1_000, 1_000, t0, writes_so_far());
        let kept = kept_count(key, t0 + Duration::from_secs(1)).expect("kept");
        assert_eq!((kept.counted, kept.limit), (1_000, 1_000));
        assert_eq!(kept_count("payables|supplier|org-b|status=paid|offset=0", t0), None);
        assert_eq!(kept_count(key, t0 + COUNT_KEPT), None);
        // A count taken before a write finished is not reused after it.
        let other = "payables|supplier|org-c|status=paid|offset=0";
        let before = writes_so_far();
        drop(WriteDone);
        keep_count(other.to_string(), 37, 1_050, t0, before);
        assert_eq!(kept_count(other, t0), None);
    }

    #[test]
    fn readers_asking_at_once_count_once_and_a_failed_count_is_not_kept() {
        let counts = std::sync::atomic::AtomicUsize::new(0);
        let key = "payables|supplier|org-d|status=confirmed|offset=0";
        let writes_before = writes_so_far();
        let answers: Vec<(i64, i64)> = std::thread::scope(|s| {
            let readers: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        count_kept(key.to_string(), 1_000, || {
                            counts.fetch_add(1, AtomicOrdering::SeqCst);
                            std::thread::sleep(Duration::from_millis(50));
                            Ok::<_, ()>(640)
                        })
                        .unwrap()
                    })
                })
                .collect();
            readers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(answers, vec![(640, 1_000); 8]);
        // Eight readers, one count; unless a write transaction of another test finished
        // meanwhile, since a count taken before a write is not reused after it.
        if writes_so_far() == writes_before {
            assert_eq!(counts.load(AtomicOrdering::SeqCst), 1);
        }
        assert!(counting_turns().lock().unwrap().get(key).is_none(), "no turn is left behind");

        let failing = "payables|supplier|org-e|status=paid|offset=0";
        assert_eq!(
            count_kept(failing.to_string(), 1_000, || Err::<i64, _>("the database went away")),
            Err("the database went away")
        );
        assert_eq!(kept_count(failing, Instant::now()), None);
        assert_eq!(count_kept(failing.to_string(), 1_000, || Ok::<_, ()>(12)), Ok((12, 1_000)));
    }
}
