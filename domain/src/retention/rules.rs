//! The pure rules of surplus retention (结余留用): the retention policy and its grades, a
//! generic's budget and actual spending, the surplus, the score and the retained amount. No
//! database here; the worked example of domain.md is a unit test below.
//!
//! For hospital h, generic g, agreement year y:
//! * budget = agreed_qty × pre_vbp_avg_price × fund_pay_ratio × insured_share
//! * actual = (winning purchases up to the agreed volume + non-winning purchases of g)
//!   × fund_pay_ratio × insured_share (above-volume winning purchases excluded)
//! * surplus = max(0, Σ_g (budget − actual)); retained = surplus × share(grade), to the fen.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::money::{Money, UnitPrice};

/// Which purchases count, the assessment and its grades [policy].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RetentionPolicy {
    /// Non-winning purchases of the same generic count in `actual` (default true).
    pub count_non_winning: bool,
    /// Above-volume winning purchases count in `actual` (default false: excluded).
    pub count_above_volume: bool,
    pub components: Vec<Component>,
    /// Bands from the highest: the first whose `min_score` the score reaches.
    pub grades: Vec<GradeBand>,
    /// A share retained whatever the grade (e.g. "0.1"); none by default.
    #[serde(default)]
    pub floor_share: Option<Decimal>,
    /// Approval by an officer other than the one who started the run (default true).
    pub two_officers: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Component {
    /// `completion`, `winning_share`, `on_time_confirmation` (measured) or a manual key such
    /// as `rational_use`.
    pub key: String,
    /// Weight in points; the weights add up to 100.
    pub weight: u32,
    /// Entered by the bureau (0–100) rather than measured.
    pub manual: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeBand {
    pub grade: String,
    pub min_score: Decimal,
    pub share: Decimal,
}

impl Default for RetentionPolicy {
    /// Shenzhen's 2024 draft with Guangxi's inputs: A ≥ 80 → 50%, B 70–80 → 40%, C 60–70 → 30%,
    /// D < 60 → 0%.
    fn default() -> Self {
        let band = |g: &str, min: i64, share: i64| GradeBand {
            grade: g.into(),
            min_score: Decimal::from(min),
            share: Decimal::new(share, 1),
        };
        RetentionPolicy {
            count_non_winning: true,
            count_above_volume: false,
            components: vec![
                Component { key: "completion".into(), weight: 40, manual: false },
                Component { key: "winning_share".into(), weight: 30, manual: false },
                Component { key: "on_time_confirmation".into(), weight: 10, manual: false },
                Component { key: "rational_use".into(), weight: 20, manual: true },
            ],
            grades: vec![band("A", 80, 5), band("B", 70, 4), band("C", 60, 3), band("D", 0, 0)],
            floor_share: None,
            two_officers: true,
        }
    }
}

impl RetentionPolicy {
    /// The grade and share of a score, the floor applied.
    pub fn grade(&self, score: Decimal) -> (String, Decimal) {
        let band = self.grades.iter().find(|b| score >= b.min_score).or(self.grades.last());
        let (grade, share) = band.map(|b| (b.grade.clone(), b.share)).unwrap_or(("D".into(), Decimal::ZERO));
        (grade, self.floor_share.map_or(share, |f| share.max(f)))
    }
}

/// One generic of one hospital: the inputs and what the rule makes of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenericLine {
    pub generic_name: String,
    pub agreed_qty: i64,
    pub pre_vbp_price: UnitPrice,
    #[serde(flatten)]
    pub purchases: Purchases,
    pub budget: Decimal,
    pub actual: Decimal,
    pub saving: Decimal,
}

/// The rule for one generic.
pub fn generic_line(
    policy: &RetentionPolicy,
    generic_name: &str,
    agreed_qty: i64,
    pre_vbp_price: UnitPrice,
    fund_ratio: Decimal,
    insured_share: Decimal,
    purchases: Purchases,
) -> GenericLine {
    let factor = fund_ratio * insured_share;
    let budget = Decimal::from(agreed_qty) * pre_vbp_price.to_decimal() * factor;
    let mut spent = purchases.winning_amount.to_decimal();
    if policy.count_non_winning {
        spent += purchases.non_winning_amount.to_decimal();
    }
    if policy.count_above_volume {
        spent += purchases.above_volume_amount.to_decimal();
    }
    let actual = spent * factor;
    GenericLine {
        generic_name: generic_name.to_string(),
        agreed_qty,
        pre_vbp_price,
        purchases,
        budget,
        actual,
        saving: budget - actual,
    }
}

/// Accepted purchases of one generic by one hospital in the agreement year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Purchases {
    /// Accepted winning quantity within the agreed volume, and its amount at the winning price.
    pub winning_qty: i64,
    pub winning_amount: Money,
    /// Accepted winning quantity beyond the agreed volume (excluded unless the policy counts it).
    pub above_volume_qty: i64,
    pub above_volume_amount: Money,
    pub non_winning_qty: i64,
    pub non_winning_amount: Money,
}

/// surplus = max(0, Σ savings), to the fen (half-up).
pub fn surplus(lines: &[GenericLine]) -> Money {
    let total: Decimal = lines.iter().map(|l| l.saving).sum();
    Money::round_half_up(total.max(Decimal::ZERO))
}

/// For display: two decimals, half-up.
pub fn show(d: Decimal) -> String {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero).normalize().to_string()
}

/// The weighted score of the components present (0–100 each); a missing component (not measured
/// yet, or not entered) counts as absent: the weights of the present ones are rescaled, never a
/// made-up value.
pub fn score(policy: &RetentionPolicy, values: &std::collections::BTreeMap<String, Decimal>) -> Option<Decimal> {
    let present: Vec<(&Component, Decimal)> = policy
        .components
        .iter()
        .filter_map(|c| values.get(&c.key).map(|v| (c, (*v).clamp(Decimal::ZERO, Decimal::from(100)))))
        .collect();
    let weight: u32 = present.iter().map(|(c, _)| c.weight).sum();
    if weight == 0 {
        return None;
    }
    let weighted: Decimal = present.iter().map(|(c, v)| Decimal::from(c.weight) * *v).sum();
    // Unrounded: the grade is decided on the exact score (79.996 is not 80).
    Some(weighted / Decimal::from(weight))
}

/// retained = surplus × share, to the fen.
pub fn retained(surplus: Money, share: Decimal) -> Money {
    Money::round_half_up(surplus.to_decimal() * share)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn yuan(s: &str) -> Money {
        Money::parse(s).unwrap()
    }

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    /// domain.md's worked example: agreed 100,000 tablets; pre-VBP price ¥2.00; fund ratio 70%;
    /// insured share 90% → budget ¥126,000. Bought 100,000 winning tablets at ¥0.30 and 10,000
    /// non-winning at ¥2.00 → actual ¥31,500 → surplus ¥94,500. Score 75 → B → 40% = ¥37,800.
    #[test]
    fn the_worked_example() {
        let policy = RetentionPolicy::default();
        let purchases = Purchases {
            winning_qty: 100_000,
            winning_amount: yuan("30000.00"),
            non_winning_qty: 10_000,
            non_winning_amount: yuan("20000.00"),
            ..Default::default()
        };
        let line =
            generic_line(&policy, "某药片", 100_000, UnitPrice::parse("2.00").unwrap(), d("0.7"), d("0.9"), purchases);
        assert_eq!(line.budget, d("126000"));
        assert_eq!(line.actual, d("31500"));
        let s = surplus(&[line]);
        assert_eq!(s, yuan("94500.00"));
        let (grade, share) = policy.grade(d("75"));
        assert_eq!((grade.as_str(), share), ("B", d("0.4")));
        assert_eq!(retained(s, share), yuan("37800.00"));
    }

    #[test]
    fn a_negative_saving_floors_at_zero() {
        let policy = RetentionPolicy::default();
        let over = Purchases { winning_qty: 1000, winning_amount: yuan("2500.00"), ..Default::default() };
        // budget 1000 × 2.00 × 1 × 1 = 2000 < actual 2500
        let line = generic_line(&policy, "x", 1000, UnitPrice::parse("2").unwrap(), d("1"), d("1"), over);
        assert_eq!(line.saving, d("-500"));
        assert_eq!(surplus(std::slice::from_ref(&line)), Money::ZERO);
        // Summed over generics before flooring: +800 and −500 leave 300.
        let under = Purchases { winning_qty: 1000, winning_amount: yuan("1200.00"), ..Default::default() };
        let other = generic_line(&policy, "y", 1000, UnitPrice::parse("2").unwrap(), d("1"), d("1"), under);
        assert_eq!(surplus(&[line, other]), yuan("300.00"));
    }

    #[test]
    fn above_volume_purchases_are_excluded_unless_counted() {
        let mut policy = RetentionPolicy::default();
        let p = Purchases {
            winning_qty: 1000,
            winning_amount: yuan("300.00"),
            above_volume_qty: 500,
            above_volume_amount: yuan("150.00"),
            ..Default::default()
        };
        let line = generic_line(&policy, "x", 1000, UnitPrice::parse("2").unwrap(), d("1"), d("1"), p);
        assert_eq!(line.actual, d("300"));
        policy.count_above_volume = true;
        let line = generic_line(&policy, "x", 1000, UnitPrice::parse("2").unwrap(), d("1"), d("1"), p);
        assert_eq!(line.actual, d("450"));
    }

    #[test]
    fn grade_boundaries_at_60_70_80() {
        let policy = RetentionPolicy::default();
        let g = |s: &str| policy.grade(d(s));
        assert_eq!(g("80"), ("A".into(), d("0.5")));
        assert_eq!(g("79.99"), ("B".into(), d("0.4")));
        assert_eq!(g("70"), ("B".into(), d("0.4")));
        assert_eq!(g("69.99"), ("C".into(), d("0.3")));
        assert_eq!(g("60"), ("C".into(), d("0.3")));
        assert_eq!(g("59.99"), ("D".into(), d("0")));
        assert_eq!(g("0"), ("D".into(), d("0")));
    }

    #[test]
    fn a_floor_share() {
        let policy = RetentionPolicy { floor_share: Some(d("0.1")), ..Default::default() };
        assert_eq!(policy.grade(d("50")), ("D".into(), d("0.1")));
        assert_eq!(policy.grade(d("85")), ("A".into(), d("0.5")));
    }

    #[test]
    fn scores_weigh_what_is_present() {
        let policy = RetentionPolicy::default();
        let mut v = BTreeMap::new();
        v.insert("completion".to_string(), d("100"));
        v.insert("winning_share".to_string(), d("50"));
        v.insert("rational_use".to_string(), d("75"));
        // on_time_confirmation absent: (40×100 + 30×50 + 20×75) / 90 = 7000/90 = 77.78
        assert_eq!(score(&policy, &v).map(show), Some("77.78".to_string()));
        v.insert("on_time_confirmation".to_string(), d("100"));
        // (4000 + 1500 + 1000 + 1500) / 100 = 80
        assert_eq!(score(&policy, &v), Some(d("80")));
        // 79.996 is below 80: grade B, though it shows as 80.00.
        let near = RetentionPolicy::default();
        assert_eq!(near.grade(d("79.996")).0, "B");
        assert_eq!(show(d("79.996")), "80");
        assert_eq!(score(&policy, &BTreeMap::new()), None);
    }
}
