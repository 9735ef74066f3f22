//! Jicai domain: business types, rules and persistence. The one place rules live.
//!
//! The base layer sits at the top of this folder as single files (`db`, `error`, `money`,
//! `clock`, `ids`, `paging`, `actor`, `audit`, `outbox`, `policy`, `calendar`, `schema`, ...):
//! it imports no business module. Each capability is a folder (`catalog/`, `ordering/`,
//! `settlement/`, `ledger/`, `retention/`, `monitoring/`, `identity/`), and arrows between
//! capabilities point one way, downwards in this list:
//!
//! ```text
//! demo, region_setup            (composition: seeds and wires capabilities together)
//! disclosure                    (composition: public snapshots and open data; reads every capability)
//! tender                        -> catalog, credit
//! standards                     -> catalog
//! ordering                      -> catalog, settlement, retention, credit
//! settlement, retention         -> catalog, ledger
//! catalog                       -> credit
//! monitoring, ledger, credit    -> identity
//! identity                      -> base
//! ```
//!
//! `tests/layers.rs` fails when a capability imports one above it or two import each other.

// ---------------------------------------------------------------- base
pub mod actor;
pub mod audit;
pub mod backup;
pub mod calendar;
pub mod clock;
pub mod db;
pub mod document_numbers;
pub mod error;
pub mod failpoint;
pub mod idempotency;
pub mod ids;
pub mod jobruns;
pub mod kept;
pub mod money;
pub mod outbox;
pub mod paging;
pub mod policy;
pub mod schema;

// ---------------------------------------------------------------- capabilities
pub mod catalog;
pub mod credit;
pub mod identity;
pub mod imports;
pub mod ledger;
pub mod monitoring;
pub mod ordering;
pub mod retention;
pub mod settlement;
pub mod standards;
pub mod tender;

// ---------------------------------------------------------------- composition
pub mod demo;
pub mod disclosure;
pub mod region_setup;

// The modules' paths before they moved into their capability folders.
pub use catalog::volumes;
pub use ordering::{delivery, orders};
pub use settlement::payable as payables;

pub use error::{DomainError, DomainResult, Problem};
