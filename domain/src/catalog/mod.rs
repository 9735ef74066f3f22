//! Catalogue: products, VBP batches, winning bids and listed non-winning products.

pub mod batch;
pub mod bid;
pub mod bid_terms;
pub mod listed;
pub mod product;
pub mod rules;
pub mod volumes;

pub use batch::*;
pub use bid::*;
pub use listed::*;
pub use product::*;
pub use rules::{check_cycle, classify_code, Category};

use crate::error::DomainError;

/// Prefixes a field name with the index of an item in a bulk request: `[3].code`.
pub fn at_index(i: usize, e: DomainError) -> DomainError {
    match e {
        DomainError::Invalid(mut p) => {
            p.field = Some(format!("[{i}].{}", p.field.unwrap_or_default()));
            p.message = format!("item {i}: {}", p.message);
            DomainError::Invalid(p)
        }
        DomainError::Conflict(mut p) => {
            p.message = format!("item {i}: {}", p.message);
            DomainError::Conflict(p)
        }
        other => other,
    }
}
