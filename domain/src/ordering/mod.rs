//! Ordering: a hospital's orders for winning and listed products, the supplier's delivery notes
//! and the hospital's acceptance. A confirmed acceptance hands its accepted lines to settlement
//! (the payable) and to retention (the purchase it counts for) as plain data.

pub mod delivery;
pub mod orders;
pub mod rules;
pub mod store;
