//! Jicai domain: business types, rules and persistence. The one place rules live.
//!
//! Split by capability. Pure rules (deadline dates, agreed volumes, money rounding, order
//! status) are plain functions with unit tests; operations validate, compute and write in one
//! transaction together with their audit events.

pub mod audit;
pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod db;
pub mod delivery;
pub mod demo;
pub mod error;
pub mod failpoint;
pub mod idempotency;
pub mod identity;
pub mod ids;
pub mod jobruns;
pub mod ledger;
pub mod money;
pub mod monitoring;
pub mod orders;
pub mod outbox;
pub mod paging;
pub mod payables;
pub mod policy;
pub mod retention;
pub mod schema;
pub mod settlement;
pub mod volumes;

pub use error::{DomainError, DomainResult, Problem};
