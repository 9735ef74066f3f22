//! Identifiers: UUIDv7 (time-ordered) for rows, readable numbers for documents.

use chrono::{DateTime, Utc};
use rand::Rng;

pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// A document number such as `PO-20261122-7KQ3ZD9M`: prefix, Shanghai date, 8 random characters
/// (Crockford base32, 40 bits). The unique constraint on the column is the final guard.
pub fn document_no(prefix: &str, now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut rng = rand::thread_rng();
    let suffix: String = (0..8).map(|_| ALPHABET[rng.gen_range(0..32)] as char).collect();
    format!("{prefix}-{}-{suffix}", crate::clock::shanghai_date(now).format("%Y%m%d"))
}
