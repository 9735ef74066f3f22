//! The pure rules of ordering: an order's status from its documents, what a line may still
//! ship, and the sanity limit on an order line.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Declares a status stored as its name: the enum with its derives (serde and the OpenAPI schema
/// in snake_case; diesel reads and writes it as text through `crate::text_enum!` in `store`),
/// `ALL`, `as_str`, `parse` and `Display`.
macro_rules! status_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
        #[diesel(sql_type = diesel::sql_types::Text)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|st| st.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum! {
    /// An order's status; stored as its name (`as_str`), as text (see `store`).
    pub enum OrderStatus {
        /// Placed by the hospital, waiting for the supplier.
        Submitted = "submitted",
        Confirmed = "confirmed",
        Declined = "declined",
        Cancelled = "cancelled",
        /// Some goods shipped and awaiting acceptance, more still to ship.
        PartiallyShipped = "partially_shipped",
        /// Everything still owed is on its way, awaiting acceptance.
        Shipped = "shipped",
        /// Some goods accepted, the rest neither shipped nor accepted yet.
        PartiallyAccepted = "partially_accepted",
        /// Every ordered unit accepted.
        Completed = "completed",
    }
}

impl OrderStatus {
    /// Goods may be shipped against the order.
    pub fn is_open_for_delivery(self) -> bool {
        matches!(
            self,
            OrderStatus::Confirmed
                | OrderStatus::PartiallyShipped
                | OrderStatus::Shipped
                | OrderStatus::PartiallyAccepted
        )
    }
}

status_enum! {
    /// A delivery note's status; stored as its name (`as_str`), as text (see `store`).
    pub enum DeliveryStatus {
        /// On its way: the hospital has not confirmed its acceptance yet.
        Shipped = "shipped",
        /// Its acceptance is confirmed.
        Accepted = "accepted",
    }
}

status_enum! {
    /// An acceptance's status; stored as its name (`as_str`), as text (see `store`).
    pub enum AcceptanceStatus {
        /// Counted, still editable.
        Draft = "draft",
        /// Final and immutable: the payable exists.
        Confirmed = "confirmed",
    }
}

/// Quantities of one order line as the documents stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineProgress {
    pub ordered: i64,
    pub accepted: i64,
    /// Shipped in deliveries not yet accepted.
    pub in_transit: i64,
}

impl LineProgress {
    /// What may still be shipped: rejected goods may be replaced, so only accepted and
    /// in-transit quantities count against the order.
    pub fn open(self) -> i64 {
        (self.ordered - self.accepted - self.in_transit).max(0)
    }
}

/// What an order's delivery notes say of one of its lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shipments {
    /// Shipped in every note, whatever became of it.
    pub shipped: i64,
    /// Shipped in notes not yet accepted.
    pub in_transit: i64,
    /// Rejected at acceptance.
    pub rejected: i64,
}

/// One delivery line as [`shipments_by_line`] counts it: the order line it ships, its quantity,
/// whether its note still awaits acceptance, and what acceptance rejected of it.
pub struct NoteLine<'a> {
    pub order_line_id: &'a str,
    pub quantity: i64,
    pub in_transit: bool,
    pub rejected: i64,
}

/// Sums an order's delivery lines per order line.
pub fn shipments_by_line<'a>(lines: impl IntoIterator<Item = NoteLine<'a>>) -> HashMap<String, Shipments> {
    let mut by_line: HashMap<String, Shipments> = HashMap::new();
    for l in lines {
        let s = by_line.entry(l.order_line_id.to_string()).or_default();
        s.shipped += l.quantity;
        if l.in_transit {
            s.in_transit += l.quantity;
        } else {
            s.rejected += l.rejected;
        }
    }
    by_line
}

/// The status of a confirmed order, derived from its lines.
pub fn derive_status(lines: &[LineProgress]) -> OrderStatus {
    let ordered: i64 = lines.iter().map(|l| l.ordered).sum();
    let accepted: i64 = lines.iter().map(|l| l.accepted).sum();
    let in_transit: i64 = lines.iter().map(|l| l.in_transit).sum();
    let open: i64 = lines.iter().map(|l| l.open()).sum();
    if accepted >= ordered {
        OrderStatus::Completed
    } else if in_transit > 0 {
        if open == 0 {
            OrderStatus::Shipped
        } else {
            OrderStatus::PartiallyShipped
        }
    } else if accepted > 0 {
        OrderStatus::PartiallyAccepted
    } else {
        OrderStatus::Confirmed
    }
}

/// The policy kind of the order-line limit.
pub const ORDER_LIMIT_POLICY: &str = "order_limit";

/// How much one order line may ask for before it is refused as a typing error (9,999,999 boxes
/// for 100 agreed): versioned region policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderLimitPolicy {
    /// A line of a winning product may order at most this multiple of the hospital's annual
    /// agreed volume of it (e.g. "2": twice the year's agreement).
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub max_multiple_of_agreed: Decimal,
    /// A line without an agreed volume (a listed product, or a bid the hospital has no volume
    /// of) may order at most this many packs.
    pub max_packs_without_volume: i64,
    /// A line of this many packs or fewer is always allowed, however small the agreed volume
    /// (a community clinic agreeing on 51 tablets a year may still order 100 boxes).
    pub always_allowed_packs: i64,
}

impl Default for OrderLimitPolicy {
    fn default() -> Self {
        OrderLimitPolicy {
            max_multiple_of_agreed: Decimal::from(2),
            max_packs_without_volume: 10_000,
            always_allowed_packs: 100,
        }
    }
}

impl OrderLimitPolicy {
    pub fn validate(&self) -> Result<(), String> {
        if self.max_multiple_of_agreed < Decimal::ONE || self.max_multiple_of_agreed > Decimal::from(100) {
            return Err("the multiple of the agreed volume lies between 1 and 100".into());
        }
        if !(1..=10_000_000).contains(&self.max_packs_without_volume) {
            return Err("the packs without an agreed volume lie between 1 and 10,000,000".into());
        }
        if !(1..=self.max_packs_without_volume).contains(&self.always_allowed_packs) {
            return Err("the packs always allowed lie between 1 and the packs without an agreed volume".into());
        }
        Ok(())
    }

    /// The most a line may order, in minimum units: the multiple of the annual agreed volume
    /// (rounded down to whole packs), or the packs without a volume; never fewer than the packs
    /// always allowed.
    pub fn line_limit(&self, annual_agreed: Option<i64>, pack_size: i64) -> i64 {
        let pack = pack_size.max(1);
        let limit = match annual_agreed {
            Some(agreed) => {
                let units = (Decimal::from(agreed) * self.max_multiple_of_agreed).floor().to_i64().unwrap_or(i64::MAX);
                units / pack * pack
            }
            None => self.max_packs_without_volume.saturating_mul(pack),
        };
        limit.max(self.always_allowed_packs.saturating_mul(pack))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(ordered: i64, accepted: i64, in_transit: i64) -> LineProgress {
        LineProgress { ordered, accepted, in_transit }
    }

    /// The names of a status's values, in order, once `as_str`, `parse` and serde are seen to agree.
    fn names<T>(all: &[T], as_str: fn(T) -> &'static str, parse: fn(&str) -> Option<T>) -> Vec<&'static str>
    where
        T: Copy + PartialEq + std::fmt::Debug + Serialize,
    {
        for &st in all {
            assert_eq!(parse(as_str(st)), Some(st));
            assert_eq!(serde_json::to_value(st).unwrap(), as_str(st));
        }
        assert_eq!(parse("no_such_status"), None);
        all.iter().map(|&st| as_str(st)).collect()
    }

    #[test]
    fn an_order_status_is_its_name() {
        let names = names(OrderStatus::ALL, OrderStatus::as_str, OrderStatus::parse);
        assert_eq!((names.len(), names[4], names[6]), (8, "partially_shipped", "partially_accepted"));
    }

    #[test]
    fn a_delivery_status_is_its_name() {
        assert_eq!(names(DeliveryStatus::ALL, DeliveryStatus::as_str, DeliveryStatus::parse), ["shipped", "accepted"]);
    }

    #[test]
    fn an_acceptance_status_is_its_name() {
        assert_eq!(
            names(AcceptanceStatus::ALL, AcceptanceStatus::as_str, AcceptanceStatus::parse),
            ["draft", "confirmed"]
        );
    }

    #[test]
    fn status_follows_the_documents() {
        assert_eq!(derive_status(&[p(100, 0, 0)]), OrderStatus::Confirmed);
        assert_eq!(derive_status(&[p(100, 0, 40)]), OrderStatus::PartiallyShipped);
        assert_eq!(derive_status(&[p(100, 0, 100)]), OrderStatus::Shipped);
        assert_eq!(derive_status(&[p(100, 60, 40)]), OrderStatus::Shipped);
        assert_eq!(derive_status(&[p(100, 60, 0)]), OrderStatus::PartiallyAccepted);
        assert_eq!(derive_status(&[p(100, 100, 0)]), OrderStatus::Completed);
        assert_eq!(derive_status(&[p(100, 100, 0), p(50, 0, 0)]), OrderStatus::PartiallyAccepted);
        assert_eq!(derive_status(&[p(100, 100, 0), p(50, 0, 50)]), OrderStatus::Shipped);
    }

    #[test]
    fn notes_in_transit_and_rejections_are_summed_per_line() {
        let line =
            |order_line_id, quantity, in_transit, rejected| NoteLine { order_line_id, quantity, in_transit, rejected };
        let by_line = shipments_by_line([line("a", 60, false, 10), line("a", 40, true, 0), line("b", 5, false, 0)]);
        assert_eq!(by_line["a"], Shipments { shipped: 100, in_transit: 40, rejected: 10 });
        assert_eq!(by_line["b"], Shipments { shipped: 5, in_transit: 0, rejected: 0 });
        assert!(!by_line.contains_key("c"));
    }

    #[test]
    fn rejected_goods_may_be_shipped_again() {
        // 100 ordered, 60 accepted and 40 rejected in the first delivery: 40 may be replaced.
        assert_eq!(p(100, 60, 0).open(), 40);
        assert_eq!(p(100, 60, 40).open(), 0);
    }

    #[test]
    fn a_line_may_ask_twice_the_years_agreement_or_ten_thousand_packs_without_one() {
        let p = OrderLimitPolicy::default();
        // 依巴斯汀片 10 mg × 10: 3,000 tablets agreed a year → at most 6,000 (600 boxes).
        assert_eq!(p.line_limit(Some(3_000), 10), 6_000);
        // 9,999,999 boxes are far beyond it.
        assert!(9_999_999 * 10 > p.line_limit(Some(3_000), 10));
        // Rounded down to whole packs: 2 × 4,005 = 8,010 → 267 boxes of 30 = 8,010.
        assert_eq!(p.line_limit(Some(4_005), 30), 8_010);
        assert_eq!(p.line_limit(Some(4_001), 30), 7_980);
        // A small agreement still allows the packs always allowed (100 boxes).
        assert_eq!(p.line_limit(Some(51), 30), 3_000);
        assert_eq!(p.line_limit(None, 30), 300_000);
        assert!(p.validate().is_ok());
        assert!(OrderLimitPolicy { max_multiple_of_agreed: Decimal::new(5, 1), ..p.clone() }.validate().is_err());
        assert!(OrderLimitPolicy { max_packs_without_volume: 0, ..p.clone() }.validate().is_err());
        assert!(OrderLimitPolicy { always_allowed_packs: 20_000, ..p }.validate().is_err());
    }
}
