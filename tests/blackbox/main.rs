//! Black-box tests: each runs on SQLite and on PostgreSQL, against the real `jicai` binary.

mod audit;
mod backup;
mod credit;
mod disclosure;
mod faults;
mod fixtures;
mod flow;
mod generated;
mod idempotency;
mod imports;
mod mail;
mod matrix;
mod ocds;
mod operations;
mod payment_status;
mod product_flow;
mod refusals;
mod retention;
mod settlement;
mod standards;
mod tenancy;
mod tender;
mod users;
mod workers;
