//! What a winning bid offers an order: its batch, its product, the region codes it supplies and
//! the distributors it names. A bid's terms are written once, with the bid, and only its
//! product's consistency standing changes later ([`super::set_consistency`] marks it), so they
//! are kept in the process ([`Kept`]) and an order reads none of them in the usual case.

use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::{BatchRow, BidRow, ProductRow};
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::kept::Kept;
use crate::schema::{batches, bid_distributors, bid_supply_regions, products, winning_bids};

/// A winning bid's terms.
#[derive(Clone, Debug)]
pub struct BidTerms {
    pub bid: BidRow,
    pub batch: BatchRow,
    pub product: ProductRow,
    /// The region codes it supplies.
    pub supply_codes: Vec<String>,
    /// The distributors it names, in id order; none: its own enterprise delivers.
    pub distributors: Vec<String>,
}

impl BidTerms {
    /// Whether it supplies one of `codes` (a hospital's region and province).
    pub fn supplies(&self, codes: &[String]) -> bool {
        self.supply_codes.iter().any(|c| codes.contains(c))
    }

    /// Who may deliver it: its named distributors, or else its own enterprise.
    pub fn allowed(&self) -> Vec<String> {
        if self.distributors.is_empty() {
            vec![self.bid.enterprise_id.clone()]
        } else {
            self.distributors.clone()
        }
    }
}

static TERMS: Kept<BidTerms> = Kept::new(Duration::from_secs(5));

/// A product's standing changed: terms kept from before are read again.
pub(super) fn terms_changed() {
    TERMS.written();
}

/// The terms of the bids among `ids` that are bids of `region_id`'s batches, by bid id; another
/// id (unknown, or another region's) is absent.
pub fn bid_terms(
    conn: &mut DbConnection,
    region_id: &str,
    ids: &[&str],
) -> DomainResult<HashMap<String, Arc<BidTerms>>> {
    let mut terms = TERMS.get_many(ids, |missing| read_terms(conn, missing))?;
    terms.retain(|_, t| t.batch.region_id == region_id);
    Ok(terms)
}

/// One query: each bid with its batch and product, one row per supply region code and named
/// distributor (a bid names a few of each).
fn read_terms(conn: &mut DbConnection, ids: &[&str]) -> DomainResult<Vec<(String, BidTerms)>> {
    let rows = winning_bids::table
        .inner_join(batches::table)
        .inner_join(products::table)
        .left_join(bid_supply_regions::table.on(bid_supply_regions::bid_id.eq(winning_bids::id)))
        .left_join(bid_distributors::table.on(bid_distributors::bid_id.eq(winning_bids::id)))
        .filter(winning_bids::id.eq_any(ids))
        .select((
            BidRow::as_select(),
            BatchRow::as_select(),
            ProductRow::as_select(),
            bid_supply_regions::region_code.nullable(),
            bid_distributors::enterprise_id.nullable(),
        ))
        .load::<(BidRow, BatchRow, ProductRow, Option<String>, Option<String>)>(conn)?;
    let mut terms: HashMap<String, BidTerms> = HashMap::new();
    for (bid, batch, product, code, distributor) in rows {
        let t = terms.entry(bid.id.clone()).or_insert_with(|| BidTerms {
            bid,
            batch,
            product,
            supply_codes: Vec::new(),
            distributors: Vec::new(),
        });
        if let Some(c) = code.filter(|c| !t.supply_codes.contains(c)) {
            t.supply_codes.push(c);
        }
        if let Some(d) = distributor.filter(|d| !t.distributors.contains(d)) {
            t.distributors.push(d);
        }
    }
    for t in terms.values_mut() {
        t.supply_codes.sort_unstable();
        t.distributors.sort_unstable();
    }
    Ok(terms.into_iter().collect())
}
