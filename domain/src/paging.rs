//! Every list is paginated and bounded.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{Connection, QueryResult, RunQueryDsl};
use serde::Serialize;

pub const DEFAULT_PER_PAGE: i64 = 50;
pub const MAX_PER_PAGE: i64 = 200;
/// Lists over tables that grow without bound (payables) count at most this many rows past the
/// page's offset; beyond it `total` is a lower bound and `total_is_exact` is false. Counting is
/// most of a page's cost on long lists (a distributor's paid payables: 10,000 index entries to
/// count against 50 to show), and twenty pages ahead is as far as anyone pages.
pub const COUNT_CAP: i64 = 1_000;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_count_that_reaches_its_limit_is_a_lower_bound() {
        let req = PageRequest::new(Some(3), Some(50));
        let limit = req.offset() + COUNT_CAP;
        let capped = Page::counted_up_to(Vec::<()>::new(), req, limit, limit);
        assert_eq!((capped.total, capped.total_is_exact), (1_100, false));
        let exact = Page::counted_up_to(Vec::<()>::new(), req, 120, limit);
        assert_eq!((exact.total, exact.total_is_exact), (120, true));
    }
}
