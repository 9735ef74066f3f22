//! Tendering (招标): from demand reporting to winning bids (domain.md section 8). The pure
//! rules of the opening and the region picks are in `rules`; the results become catalog data
//! (the batch, its winning bids and the agreed volumes).

pub mod rules;
