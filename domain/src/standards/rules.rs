//! The payment-standard rules (domain.md section 10), pure: the policy as data, the standard of
//! one product beside its generic's winning price, and what a patient pays under it.
//!
//! Prices are per minimum unit in 1/10,000 yuan ([`UnitPrice`]). Rounding happens in three
//! places only, each half-up (away from zero at .5):
//! - a standard derived by a share (the first glide year's price less the cut, a glide year
//!   between it and the winning price, Fujian's share of the sale price) is rounded to 1/10,000
//!   yuan, the precision prices are stored in;
//! - what a patient pays is computed exactly and rounded to the fen once, over the co-payment
//!   and the excess together (the co-payment and the excess shown beside it are rounded each on
//!   its own, so they may differ from the total by a fen);
//! - the fund's part is the purchase total (rounded to the fen) less the patient's part.

use chrono::{Datelike, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::catalog::Consistency;
use crate::money::{Money, UnitPrice};

// ---------------------------------------------------------------- the policy

/// Which province's rule a computation follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The 2019 national rule: 2× threshold, 30% first cut, linear glide over 3 years.
    National,
    /// Fujian: a non-winning product outside the competition group gets 70% of its sale price,
    /// floored at the lowest winning price; the rest as the national rule.
    Fujian,
    /// Heilongjiang: the standard is the winning price at once, and the co-payment for a dearer
    /// non-winning product is raised by 10 points.
    Heilongjiang,
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::National, Variant::Fujian, Variant::Heilongjiang];
    pub fn as_str(self) -> &'static str {
        match self {
            Variant::National => "national",
            Variant::Fujian => "fujian",
            Variant::Heilongjiang => "heilongjiang",
        }
    }
    pub fn parse(s: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.as_str() == s.trim())
    }
}

/// The national rule's figures [policy].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NationalRule {
    /// A non-winning product priced above this multiple of the winning price glides (default 2).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "2"))]
    pub threshold_multiple: Decimal,
    /// The first year's standard is the product's price less this share (default 0.3).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.3"))]
    pub first_year_cut: Decimal,
    /// The glide reaches the winning price in this year, linearly from year 1 (default 3: year 2
    /// is halfway, year 3 the winning price).
    pub glide_years: u32,
}

/// Fujian's figures [policy].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FujianRule {
    /// Share of the sale price a product outside the competition group gets (default 0.7).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.7"))]
    pub outside_group_share: Decimal,
}

/// Heilongjiang's figures [policy].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HeilongjiangRule {
    /// Points the patient's co-payment rises for a non-winning product dearer than the winning
    /// price (default 0.1: the fund's 70% becomes 60%).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.1"))]
    pub copay_raise: Decimal,
}

/// A region's payment-standard policy: the variant used unless the officer picks another, the
/// fund's share within the standard (for the patient-pays explanation), and each variant's figures.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentStandardPolicy {
    pub default_variant: Variant,
    /// The fund pays this share of the cost within the standard (default 0.7).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.7"))]
    pub fund_share: Decimal,
    pub national: NationalRule,
    pub fujian: FujianRule,
    pub heilongjiang: HeilongjiangRule,
}

impl Default for PaymentStandardPolicy {
    fn default() -> Self {
        PaymentStandardPolicy {
            default_variant: Variant::National,
            fund_share: Decimal::new(7, 1),
            national: NationalRule {
                threshold_multiple: Decimal::from(2),
                first_year_cut: Decimal::new(3, 1),
                glide_years: 3,
            },
            fujian: FujianRule { outside_group_share: Decimal::new(7, 1) },
            heilongjiang: HeilongjiangRule { copay_raise: Decimal::new(1, 1) },
        }
    }
}

impl PaymentStandardPolicy {
    /// What is wrong with the figures, if anything.
    pub fn validate(&self) -> Result<(), String> {
        let share = |d: Decimal| d >= Decimal::ZERO && d <= Decimal::ONE;
        if !share(self.fund_share) {
            return Err("fund_share lies between 0 and 1".into());
        }
        let n = &self.national;
        if n.threshold_multiple < Decimal::ONE || n.threshold_multiple > Decimal::from(10) {
            return Err("national.threshold_multiple lies between 1 and 10".into());
        }
        if n.first_year_cut <= Decimal::ZERO || n.first_year_cut >= Decimal::ONE {
            return Err("national.first_year_cut lies above 0 and below 1".into());
        }
        if !(2..=5).contains(&n.glide_years) {
            return Err("national.glide_years is 2 to 5".into());
        }
        if self.fujian.outside_group_share <= Decimal::ZERO || self.fujian.outside_group_share > Decimal::ONE {
            return Err("fujian.outside_group_share lies above 0 and at most 1".into());
        }
        if !share(self.heilongjiang.copay_raise) || self.heilongjiang.copay_raise > self.fund_share {
            return Err("heilongjiang.copay_raise lies between 0 and the fund share".into());
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- one product's standard

/// The rule that decided a standard.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Branch {
    /// A winning product: its winning price.
    Winning,
    /// A non-winning product priced below the winning price: the standard is the winning price,
    /// and it is paid at its actual price.
    BelowWinning,
    /// A non-winning product at or below the threshold (2×): the winning price.
    #[serde(rename = "within_2x")]
    Within2x,
    /// A non-winning product above the threshold: its price less the cut, gliding to the
    /// winning price (the year is recorded).
    #[serde(rename = "above_2x_glide")]
    Above2xGlide,
    /// A generic that has not passed consistency evaluation: at most the winning price, at once.
    NotPassed,
    /// Fujian: outside the competition group, 70% of the sale price floored at the lowest
    /// winning price.
    #[serde(rename = "fujian_70")]
    Fujian70,
    /// Heilongjiang: the winning price (the co-payment raised when the product is dearer).
    Heilongjiang,
}

impl Branch {
    pub const ALL: [Branch; 7] = [
        Branch::Winning,
        Branch::BelowWinning,
        Branch::Within2x,
        Branch::Above2xGlide,
        Branch::NotPassed,
        Branch::Fujian70,
        Branch::Heilongjiang,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Branch::Winning => "winning",
            Branch::BelowWinning => "below_winning",
            Branch::Within2x => "within_2x",
            Branch::Above2xGlide => "above_2x_glide",
            Branch::NotPassed => "not_passed",
            Branch::Fujian70 => "fujian_70",
            Branch::Heilongjiang => "heilongjiang",
        }
    }
    pub fn parse(s: &str) -> Option<Branch> {
        Branch::ALL.into_iter().find(|b| b.as_str() == s)
    }
}

/// What the rules look at for one product.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// A winning product (its own winning bid in the region), or a listed non-winning one.
    pub winning: bool,
    /// Its price per minimum unit (the winning or listed price).
    pub price: UnitPrice,
    pub consistency: Option<Consistency>,
}

/// What the rules look at for the product's generic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenericContext {
    /// The lowest winning price per minimum unit of the generic in the region.
    pub winning_price: UnitPrice,
    /// The year of the procurement cycle the standard takes effect in, from 1.
    pub cycle_year: u32,
}

/// One line of a standard's explanation, in both languages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExplanationLine {
    /// A stable key for the step, e.g. `threshold`.
    pub step: String,
    pub en: String,
    pub zh: String,
}

fn line(step: &str, en: String, zh: String) -> ExplanationLine {
    ExplanationLine { step: step.into(), en, zh }
}

/// The standard of one product and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub branch: Branch,
    pub standard: UnitPrice,
    /// The glide year, for a product above the threshold.
    pub glide_year: Option<u32>,
    /// The fund's share within the standard for this product.
    pub fund_share: Decimal,
    pub explanation: Vec<ExplanationLine>,
}

/// `price × share`, half-up to 1/10,000 yuan.
pub fn share_of(price: UnitPrice, share: Decimal) -> UnitPrice {
    let exact = price.to_decimal() * share;
    to_unit_price(exact)
}

fn to_unit_price(yuan: Decimal) -> UnitPrice {
    let rounded = yuan.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero);
    UnitPrice::from_ten_thousandths((rounded * Decimal::from(10_000)).to_i64().expect("a unit price fits in i64"))
}

/// The year of the cycle `date` falls in, counting whole years from `cycle_start` (year 1 until
/// the first anniversary, the day before it included).
pub fn cycle_year(cycle_start: NaiveDate, date: NaiveDate) -> u32 {
    if date < cycle_start {
        return 1;
    }
    let mut years = date.year() - cycle_start.year();
    if (date.month(), date.day()) < (cycle_start.month(), cycle_start.day()) {
        years -= 1;
    }
    (years.max(0) as u32) + 1
}

/// The glide's standard in `year` (from 1): `first` in year 1, the winning price from year
/// `glide_years` on, linear between (half-up to 1/10,000 yuan), never below the winning price.
pub fn glide(first: UnitPrice, winning: UnitPrice, year: u32, glide_years: u32) -> UnitPrice {
    if year <= 1 {
        return first.max(winning);
    }
    if year >= glide_years || first <= winning {
        return winning;
    }
    let steps = Decimal::from(glide_years - 1);
    let done = Decimal::from(year - 1);
    let gap = first.to_decimal() - winning.to_decimal();
    to_unit_price(first.to_decimal() - gap * done / steps).max(winning)
}

fn pct(d: Decimal) -> String {
    (d * Decimal::from(100)).normalize().to_string()
}

/// The standard of one product under `variant` of `policy`.
pub fn decide(policy: &PaymentStandardPolicy, variant: Variant, g: GenericContext, c: Candidate) -> Decision {
    let w = g.winning_price;
    let p = c.price;
    let mut lines = vec![line(
        "prices",
        format!("Price {p} a minimum unit; the generic's lowest winning price here is {w}."),
        format!("本品价格 {p} 元/最小单位；本通用名在本地区的最低中选价格为 {w} 元。"),
    )];
    let fund_share = policy.fund_share;
    let done = |branch, standard: UnitPrice, glide_year, fund_share, mut lines: Vec<ExplanationLine>| {
        let paid = standard.min(p);
        if paid < standard {
            lines.push(line(
                "paid_at_price",
                format!("The price {p} is below the standard {standard}: it is paid at its actual price."),
                format!("本品价格 {p} 元低于支付标准 {standard} 元，按实际价格支付。"),
            ));
        } else if p > standard {
            let excess = UnitPrice::from_ten_thousandths(p.ten_thousandths() - standard.ten_thousandths());
            lines.push(line(
                "excess",
                format!("The patient pays the excess over the standard: {excess} a minimum unit."),
                format!("超出支付标准的部分 {excess} 元/最小单位由患者自付。"),
            ));
        }
        lines.push(line(
            "fund_share",
            format!(
                "Within the standard the fund pays {}% and the patient {}%.",
                pct(fund_share),
                pct(Decimal::ONE - fund_share)
            ),
            format!("支付标准以内，医保基金支付 {}%，患者自付 {}%。", pct(fund_share), pct(Decimal::ONE - fund_share)),
        ));
        Decision { branch, standard, glide_year, fund_share, explanation: lines }
    };
    if c.winning {
        lines.push(line(
            "winning",
            format!("A winning product: the standard is its winning price, {p}."),
            format!("中选产品：支付标准为其中选价格 {p} 元。"),
        ));
        return done(Branch::Winning, p, None, fund_share, lines);
    }
    let not_passed = c.consistency == Some(Consistency::NotPassed);
    match variant {
        Variant::Heilongjiang => {
            let raised = p > w;
            let share =
                if raised { (fund_share - policy.heilongjiang.copay_raise).max(Decimal::ZERO) } else { fund_share };
            lines.push(line(
                "heilongjiang",
                format!("Heilongjiang rule: the standard of a non-winning product is the winning price, {w}."),
                format!("黑龙江规则：非中选产品的支付标准为中选价格 {w} 元。"),
            ));
            if raised {
                lines.push(line(
                    "copay_raised",
                    format!(
                        "Dearer than the winning price: the patient's co-payment rises by {} points.",
                        pct(policy.heilongjiang.copay_raise)
                    ),
                    format!("价格高于中选价格：患者自付比例提高 {} 个百分点。", pct(policy.heilongjiang.copay_raise)),
                ));
            }
            done(Branch::Heilongjiang, w, None, share, lines)
        }
        Variant::Fujian if not_passed => {
            let share = policy.fujian.outside_group_share;
            let part = share_of(p, share);
            let standard = part.max(w);
            lines.push(line(
                "fujian_70",
                format!(
                    "Fujian rule, outside the competition group (not passed consistency evaluation): {}% of the price is {part}, floored at the lowest winning price {w}: {standard}.",
                    pct(share)
                ),
                format!(
                    "福建规则，竞争组外（未通过一致性评价）：价格的 {}% 为 {part} 元，不低于最低中选价格 {w} 元，支付标准 {standard} 元。",
                    pct(share)
                ),
            ));
            done(Branch::Fujian70, standard, None, fund_share, lines)
        }
        Variant::National | Variant::Fujian => {
            let n = &policy.national;
            if not_passed {
                let standard = w.min(p);
                lines.push(line(
                    "not_passed",
                    format!("A generic that has not passed consistency evaluation: at most the winning price at once, {standard}."),
                    format!("未通过一致性评价的仿制药：支付标准立即不高于中选价格，为 {standard} 元。"),
                ));
                return done(Branch::NotPassed, standard, None, fund_share, lines);
            }
            if p < w {
                lines.push(line(
                    "below_winning",
                    format!("Priced below the winning price: the standard is the winning price, {w}."),
                    format!("价格低于中选价格：支付标准为中选价格 {w} 元。"),
                ));
                return done(Branch::BelowWinning, w, None, fund_share, lines);
            }
            let threshold = w.to_decimal() * n.threshold_multiple;
            let multiple = n.threshold_multiple.normalize();
            if p.to_decimal() <= threshold {
                lines.push(line(
                    "within_2x",
                    format!(
                        "At or below {multiple}× the winning price ({}): the standard is the winning price, {w}.",
                        threshold.normalize()
                    ),
                    format!(
                        "不高于中选价格的 {multiple} 倍（{} 元）：支付标准为中选价格 {w} 元。",
                        threshold.normalize()
                    ),
                ));
                return done(Branch::Within2x, w, None, fund_share, lines);
            }
            let first = share_of(p, Decimal::ONE - n.first_year_cut);
            let year = g.cycle_year.max(1);
            let standard = glide(first, w, year, n.glide_years);
            lines.push(line(
                "above_2x",
                format!(
                    "Above {multiple}× the winning price ({}): year 1 is the price less {}%, {first}; it glides linearly to the winning price by year {}.",
                    threshold.normalize(),
                    pct(n.first_year_cut),
                    n.glide_years
                ),
                format!(
                    "高于中选价格的 {multiple} 倍（{} 元）：第 1 年为价格降低 {}%，即 {first} 元；此后逐年线性下调，第 {} 年降至中选价格。",
                    threshold.normalize(),
                    pct(n.first_year_cut),
                    n.glide_years
                ),
            ));
            lines.push(line(
                "glide_year",
                format!("Year {year} of the cycle: the standard is {standard}."),
                format!("本周期第 {year} 年：支付标准为 {standard} 元。"),
            ));
            done(Branch::Above2xGlide, standard, Some(year), fund_share, lines)
        }
    }
}

// ---------------------------------------------------------------- what the patient pays

/// The split of a purchase of `quantity` minimum units between the fund and the patient.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatientShare {
    pub quantity: i64,
    pub price: UnitPrice,
    pub standard: UnitPrice,
    /// The price the fund reckons with: the standard, or the actual price when lower.
    pub paid_basis: UnitPrice,
    /// What the patient pays above the standard, per minimum unit.
    pub excess_per_unit: UnitPrice,
    /// quantity × price.
    pub total: Money,
    /// quantity × paid basis: the cost within the standard.
    pub within_standard: Money,
    /// The patient's share of the cost within the standard.
    pub copay: Money,
    /// quantity × excess per unit.
    pub excess: Money,
    /// Co-payment plus excess, rounded once.
    pub patient_pays: Money,
    /// The total less what the patient pays.
    pub fund_pays: Money,
}

/// What a patient and the fund pay for `quantity` units at `price` under `standard`, the fund
/// paying `fund_share` within it.
pub fn patient_share(price: UnitPrice, standard: UnitPrice, fund_share: Decimal, quantity: i64) -> PatientShare {
    let basis = standard.min(price);
    let excess_unit = UnitPrice::from_ten_thousandths(price.ten_thousandths() - basis.ten_thousandths());
    let within = basis.extend(quantity);
    let copay = within * (Decimal::ONE - fund_share);
    let excess = excess_unit.extend(quantity);
    let total = Money::round_half_up(price.extend(quantity));
    let patient = Money::round_half_up(copay + excess);
    PatientShare {
        quantity,
        price,
        standard,
        paid_basis: basis,
        excess_per_unit: excess_unit,
        total,
        within_standard: Money::round_half_up(within),
        copay: Money::round_half_up(copay),
        excess: Money::round_half_up(excess),
        patient_pays: patient,
        fund_pays: Money::from_fen(total.fen() - patient.fen()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(s: &str) -> UnitPrice {
        UnitPrice::parse(s).unwrap()
    }

    /// The worked example: winning ¥0.20 a tablet, in the cycle's `year`.
    fn example(year: u32) -> GenericContext {
        GenericContext { winning_price: up("0.20"), cycle_year: year }
    }

    fn listed(price: &str, consistency: Consistency) -> Candidate {
        Candidate { winning: false, price: up(price), consistency: Some(consistency) }
    }

    fn national(g: GenericContext, c: Candidate) -> Decision {
        decide(&PaymentStandardPolicy::default(), Variant::National, g, c)
    }

    #[test]
    fn the_originator_glides_070_045_020_and_its_patient_pays_1530() {
        let originator = listed("1.00", Consistency::Originator);
        let standards: Vec<String> = (1..=4).map(|y| national(example(y), originator).standard.to_string()).collect();
        assert_eq!(standards, ["0.7000", "0.4500", "0.2000", "0.2000"]);
        let year1 = national(example(1), originator);
        assert_eq!((year1.branch, year1.glide_year), (Branch::Above2xGlide, Some(1)));
        assert_eq!(national(example(2), originator).glide_year, Some(2));
        let pays = patient_share(originator.price, year1.standard, year1.fund_share, 30);
        assert_eq!(pays.within_standard.to_string(), "21.00");
        assert_eq!(pays.copay.to_string(), "6.30");
        assert_eq!(pays.excess.to_string(), "9.00");
        assert_eq!(pays.patient_pays.to_string(), "15.30");
        assert_eq!(pays.fund_pays.to_string(), "14.70");
        assert_eq!(pays.excess_per_unit.to_string(), "0.3000");
        // Years 2 and 3: 30 × 0.45 × 30% + 30 × 0.55 = 4.05 + 16.50; 30 × 0.20 × 30% + 30 × 0.80.
        let pay =
            |y| patient_share(originator.price, national(example(y), originator).standard, Decimal::new(7, 1), 30);
        assert_eq!(pay(2).patient_pays.to_string(), "20.55");
        assert_eq!(pay(3).patient_pays.to_string(), "25.80");
    }

    #[test]
    fn a_passed_generic_at_035_gets_the_winning_price_and_its_patient_pays_630() {
        let generic = listed("0.35", Consistency::Passed);
        let d = national(example(1), generic);
        assert_eq!((d.branch, d.standard.to_string()), (Branch::Within2x, "0.2000".into()));
        let pays = patient_share(generic.price, d.standard, d.fund_share, 30);
        assert_eq!((pays.copay.to_string(), pays.excess.to_string()), ("1.80".into(), "4.50".into()));
        assert_eq!(pays.patient_pays.to_string(), "6.30");
        // The same in later years: no glide within the threshold.
        assert_eq!(national(example(3), generic).standard, up("0.20"));
    }

    #[test]
    fn a_generic_at_015_is_paid_at_its_price_and_its_patient_pays_135() {
        let cheap = listed("0.15", Consistency::Passed);
        let d = national(example(1), cheap);
        assert_eq!((d.branch, d.standard), (Branch::BelowWinning, up("0.20")));
        let pays = patient_share(cheap.price, d.standard, d.fund_share, 30);
        assert_eq!(pays.paid_basis, up("0.15"));
        assert_eq!(pays.excess_per_unit, UnitPrice::from_ten_thousandths(0));
        assert_eq!(pays.patient_pays.to_string(), "1.35");
        assert!(d.explanation.iter().any(|l| l.step == "paid_at_price"));
    }

    #[test]
    fn a_winning_product_keeps_its_own_price() {
        let d = national(example(2), Candidate { winning: true, price: up("0.20"), consistency: None });
        assert_eq!((d.branch, d.standard), (Branch::Winning, up("0.20")));
        assert_eq!(patient_share(up("0.20"), d.standard, d.fund_share, 30).patient_pays.to_string(), "1.80");
    }

    #[test]
    fn the_threshold_is_inclusive_and_unknown_consistency_follows_the_general_rule() {
        let at = Candidate { winning: false, price: up("0.40"), consistency: None };
        assert_eq!(national(example(1), at).branch, Branch::Within2x);
        let above = Candidate { price: up("0.4001"), ..at };
        let d = national(example(1), above);
        // 0.4001 × 0.7 = 0.28007 → 0.2801 (half-up to 1/10,000)
        assert_eq!((d.branch, d.standard.to_string()), (Branch::Above2xGlide, "0.2801".into()));
    }

    #[test]
    fn a_generic_that_has_not_passed_gets_at_most_the_winning_price_at_once() {
        let d = national(example(1), listed("1.00", Consistency::NotPassed));
        assert_eq!((d.branch, d.standard, d.glide_year), (Branch::NotPassed, up("0.20"), None));
        assert_eq!(national(example(1), listed("0.15", Consistency::NotPassed)).standard, up("0.15"));
    }

    #[test]
    fn fujian_gives_70_percent_floored_at_the_lowest_winning_price_outside_the_group() {
        let policy = PaymentStandardPolicy::default();
        let fj = |c| decide(&policy, Variant::Fujian, example(1), c);
        let outside = fj(listed("1.00", Consistency::NotPassed));
        assert_eq!((outside.branch, outside.standard), (Branch::Fujian70, up("0.70")));
        // 0.25 × 0.7 = 0.175, floored at 0.20
        assert_eq!(fj(listed("0.25", Consistency::NotPassed)).standard, up("0.20"));
        // Inside the group the national rule holds.
        assert_eq!(fj(listed("1.00", Consistency::Originator)).branch, Branch::Above2xGlide);
        assert_eq!(fj(listed("0.35", Consistency::Passed)).standard, up("0.20"));
    }

    #[test]
    fn heilongjiang_uses_the_winning_price_and_raises_the_copay_of_dearer_products() {
        let policy = PaymentStandardPolicy::default();
        let d = decide(&policy, Variant::Heilongjiang, example(1), listed("1.00", Consistency::Originator));
        assert_eq!((d.branch, d.standard, d.fund_share), (Branch::Heilongjiang, up("0.20"), Decimal::new(6, 1)));
        // 30 × 0.20 × 40% + 30 × 0.80 = 2.40 + 24.00
        assert_eq!(patient_share(up("1.00"), d.standard, d.fund_share, 30).patient_pays.to_string(), "26.40");
        let cheap = decide(&policy, Variant::Heilongjiang, example(1), listed("0.15", Consistency::Passed));
        assert_eq!(cheap.fund_share, Decimal::new(7, 1));
    }

    #[test]
    fn branches_serialize_as_stored() {
        for b in Branch::ALL {
            assert_eq!(serde_json::to_value(b).unwrap(), b.as_str(), "{b:?}");
        }
    }

    #[test]
    fn cycle_years_count_whole_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(cycle_year(d(2027, 1, 1), d(2027, 1, 1)), 1);
        assert_eq!(cycle_year(d(2027, 1, 1), d(2027, 12, 31)), 1);
        assert_eq!(cycle_year(d(2027, 1, 1), d(2028, 1, 1)), 2);
        assert_eq!(cycle_year(d(2027, 3, 15), d(2029, 3, 14)), 2);
        assert_eq!(cycle_year(d(2027, 3, 15), d(2029, 3, 15)), 3);
        assert_eq!(cycle_year(d(2027, 3, 15), d(2026, 3, 15)), 1);
    }

    #[test]
    fn glides_round_half_up_and_never_go_below_the_winning_price() {
        // 0.7001 → 0.2000 over 3 years: halfway is 0.45005 → 0.4501
        assert_eq!(glide(up("0.7001"), up("0.20"), 2, 3), up("0.4501"));
        // Over 4 years: 0.70, 0.5333…→0.5333, 0.3667, 0.20
        let four: Vec<String> = (1..=4).map(|y| glide(up("0.70"), up("0.20"), y, 4).to_string()).collect();
        assert_eq!(four, ["0.7000", "0.5333", "0.3667", "0.2000"]);
    }

    #[test]
    fn the_default_policy_is_valid_and_is_what_the_migration_stores() {
        let policy = PaymentStandardPolicy::default();
        assert!(policy.validate().is_ok());
        let json = serde_json::to_string(&policy).unwrap();
        for dialect in ["postgres", "sqlite"] {
            let path = format!(
                "{}/../migrations/{dialect}/2026-12-06-000020_payment_standards/up.sql",
                env!("CARGO_MANIFEST_DIR")
            );
            let sql = std::fs::read_to_string(path).unwrap();
            assert!(
                sql.contains(&format!("'{json}'")),
                "{dialect} migration's payment_standard policy differs from the default: {json}"
            );
        }
        let back: PaymentStandardPolicy = serde_json::from_str(&json).unwrap();
        assert_eq!(back, policy);
    }

    #[test]
    fn bad_figures_are_refused() {
        let p = PaymentStandardPolicy { fund_share: Decimal::new(-1, 1), ..Default::default() };
        assert!(p.validate().is_err());
        let mut p = PaymentStandardPolicy::default();
        p.national.glide_years = 1;
        assert!(p.validate().is_err());
        let mut p = PaymentStandardPolicy::default();
        p.national.first_year_cut = Decimal::ONE;
        assert!(p.validate().is_err());
        assert_eq!(Variant::parse("zhejiang"), None);
        assert_eq!(Variant::parse("fujian"), Some(Variant::Fujian));
    }
}
