//! The pure rules of the catalog: an insurance code's shape and category, a procurement cycle of
//! one to three years, and the agreed volumes (约定采购量): the ratio of reported demand by
//! number of winners [policy, per batch], each hospital's figure rounded half-up to whole
//! minimum units, a total as the sum of those figures, and the agreement years of a cycle. No
//! database here; each rule has its unit tests below.

use chrono::{Months, NaiveDate};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, DomainResult, ErrorCode};

pub use crate::money::Ratio;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatioBand {
    /// The band applies from this number of winners upward (until the next band).
    pub min_winners: u16,
    pub ratio: Ratio,
}

/// Ratio by number of winners [policy]: data per batch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct RatioTable(pub Vec<RatioBand>);

impl Default for RatioTable {
    /// The 7th national batch's table: 1 winner 50%, 2 → 60%, 3 → 70%, 4 or more → 80%.
    fn default() -> Self {
        RatioTable(
            [(1, 5000), (2, 6000), (3, 7000), (4, 8000)]
                .into_iter()
                .map(|(w, bp)| RatioBand { min_winners: w, ratio: Ratio::from_bp(bp) })
                .collect(),
        )
    }
}

impl RatioTable {
    /// Bands strictly ascending, the first starting at one winner, every ratio above zero.
    pub fn validated(self) -> DomainResult<RatioTable> {
        let bands = &self.0;
        let bad = |m: &str| DomainError::invalid(ErrorCode::InvalidRatioTable, "volume_ratios", m.to_string());
        if bands.first().map(|b| b.min_winners) != Some(1) {
            return Err(bad("the ratio table starts with a band for 1 winner"));
        }
        if bands.windows(2).any(|w| w[0].min_winners >= w[1].min_winners) {
            return Err(bad("the bands are listed by strictly increasing number of winners"));
        }
        if bands.iter().any(|b| b.ratio.bp() == 0) {
            return Err(bad("every ratio is above zero"));
        }
        Ok(self)
    }

    pub fn ratio_for(&self, winners: i64) -> Ratio {
        self.0
            .iter()
            .rev()
            .find(|b| i64::from(b.min_winners) <= winners)
            .map(|b| b.ratio)
            .unwrap_or_else(|| self.0[0].ratio)
    }
}

/// One hospital's agreed volume: demand × ratio, rounded half-up to whole minimum units.
pub fn agreed_quantity(reported_demand: i64, ratio: Ratio) -> i64 {
    (Decimal::from(reported_demand) * ratio.to_decimal())
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .expect("within i64")
}

/// A batch or national total: the sum of the per-hospital figures (never total × ratio).
pub fn total_agreed(demands: &[i64], ratio: Ratio) -> i64 {
    demands.iter().map(|d| agreed_quantity(*d, ratio)).sum()
}

/// The dates of agreement year `year` (1-based) within a cycle.
pub fn agreement_year_dates(cycle_start: NaiveDate, cycle_end: NaiveDate, year: i16) -> Option<(NaiveDate, NaiveDate)> {
    if year < 1 {
        return None;
    }
    let start = cycle_start + Months::new(12 * (year as u32 - 1));
    if start > cycle_end {
        return None;
    }
    let end = (start + Months::new(12) - chrono::Days::new(1)).min(cycle_end);
    Some((start, end))
}

// ---------------------------------------------------------------- codes and cycles

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Drug,
    Consumable,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Drug => "drug",
            Category::Consumable => "consumable",
        }
    }
}

/// Validates an insurance code by shape and tells its category.
///
/// Drugs: 23 characters, e.g. `XA10BAE021A010010201650` = category letter X/Z, 5-character
/// class, 4-character generic code, 4-character dosage form, then 2 (spec) + 2 (pack) + 5
/// (enterprise) digits; the older 20-character form ends in 6 digits. Consumables: `C` and 19
/// digits, e.g. `C0101010010100103941`.
pub fn classify_code(raw: &str) -> Result<(String, Category), String> {
    let code = raw.trim().to_ascii_uppercase();
    let b = code.as_bytes();
    let alnum = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase());
    let digits = |s: &[u8]| s.iter().all(|c| c.is_ascii_digit());
    match b.first() {
        Some(b'C') => {
            if b.len() == 20 && digits(&b[1..]) {
                Ok((code, Category::Consumable))
            } else {
                Err(format!("{raw:?} is not a consumable code: 'C' followed by 19 digits, 20 characters in all"))
            }
        }
        Some(b'X') | Some(b'Z') => {
            let head_ok = b.len() >= 14 && b[1].is_ascii_uppercase() && alnum(&b[2..14]);
            if head_ok && ((b.len() == 23 && digits(&b[14..])) || (b.len() == 20 && digits(&b[14..]))) {
                Ok((code, Category::Drug))
            } else {
                Err(format!(
                    "{raw:?} is not a drug code: X or Z, a 5-character class, 4-character generic and dosage-form codes, \
                     then 9 digits (23 characters; the older form has 20)"
                ))
            }
        }
        _ => Err(format!("{raw:?} is not an insurance code: drug codes start with X or Z, consumable codes with C")),
    }
}

/// A procurement cycle lasts from one to three years.
pub fn check_cycle(start: NaiveDate, end: NaiveDate) -> DomainResult<()> {
    let min_end = start + Months::new(12) - chrono::Days::new(1);
    let max_end = start + Months::new(36) - chrono::Days::new(1);
    if end < min_end || end > max_end {
        return Err(DomainError::invalid(
            ErrorCode::InvalidCycle,
            "cycle_end",
            format!("a procurement cycle lasts 1 to 3 years: from {start}, it ends between {min_end} and {max_end}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bp(v: u32) -> Ratio {
        Ratio::from_bp(v)
    }

    #[test]
    fn ratio_by_number_of_winners() {
        let t = RatioTable::default();
        assert_eq!(t.ratio_for(1), bp(5000));
        assert_eq!(t.ratio_for(2), bp(6000));
        assert_eq!(t.ratio_for(3), bp(7000));
        assert_eq!(t.ratio_for(4), bp(8000));
        assert_eq!(t.ratio_for(9), bp(8000));
        let anti_infective = RatioTable(vec![
            RatioBand { min_winners: 1, ratio: bp(3000) },
            RatioBand { min_winners: 2, ratio: bp(4000) },
            RatioBand { min_winners: 3, ratio: bp(5000) },
        ])
        .validated()
        .unwrap();
        assert_eq!(anti_infective.ratio_for(2), bp(4000));
        assert_eq!(anti_infective.ratio_for(7), bp(5000));
    }

    #[test]
    fn bad_ratio_tables_are_refused() {
        let starts_at_two = RatioTable(vec![RatioBand { min_winners: 2, ratio: bp(5000) }]);
        assert!(starts_at_two.validated().is_err());
        let unordered = RatioTable(vec![
            RatioBand { min_winners: 1, ratio: bp(5000) },
            RatioBand { min_winners: 1, ratio: bp(6000) },
        ]);
        assert!(unordered.validated().is_err());
        assert!(Ratio::parse("1.5").is_err());
        assert!(Ratio::parse("0.12345").is_err());
        assert_eq!(Ratio::parse("0.7").unwrap(), bp(7000));
    }

    #[test]
    fn rounds_half_up_per_hospital() {
        assert_eq!(agreed_quantity(101, bp(5000)), 51); // 50.5 → 51
        assert_eq!(agreed_quantity(100, bp(5000)), 50);
        assert_eq!(agreed_quantity(7, bp(7000)), 5); // 4.9 → 5
        assert_eq!(agreed_quantity(5, bp(7000)), 4); // 3.5 → 4
        assert_eq!(agreed_quantity(3, bp(6000)), 2); // 1.8 → 2
        assert_eq!(agreed_quantity(1, bp(6000)), 1); // 0.6 → 1
        assert_eq!(agreed_quantity(2, bp(3000)), 1); // 0.6 → 1
        assert_eq!(agreed_quantity(0, bp(8000)), 0);
    }

    /// Afatinib, 7th batch: reported base 596,327 tablets, one winner → published 298,170.
    /// 596,327 × 50% = 298,163.5, but each hospital is rounded before summing: with 13 odd
    /// hospital figures, each rounding up by half a tablet, the total is (596,327 + 13) / 2.
    #[test]
    fn batch_total_is_the_sum_of_hospital_figures() {
        let mut demands: Vec<i64> = vec![10_001; 13]; // 13 odd demands = 130,013
        demands.extend(std::iter::repeat_n(20_000, 23)); // 460,000
        demands.push(6_314); // even: total 596,327
        assert_eq!(demands.iter().sum::<i64>(), 596_327);
        let ratio = RatioTable::default().ratio_for(1);
        assert_eq!(total_agreed(&demands, ratio), 298_170);
        assert_ne!(agreed_quantity(596_327, ratio), 298_170); // 298,164 from the total
    }

    #[test]
    fn agreement_years_within_the_cycle() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let (s, e) = (d(2025, 3, 1), d(2027, 12, 31));
        assert_eq!(agreement_year_dates(s, e, 1), Some((d(2025, 3, 1), d(2026, 2, 28))));
        assert_eq!(agreement_year_dates(s, e, 2), Some((d(2026, 3, 1), d(2027, 2, 28))));
        assert_eq!(agreement_year_dates(s, e, 3), Some((d(2027, 3, 1), d(2027, 12, 31))));
        assert_eq!(agreement_year_dates(s, e, 4), None);
        assert_eq!(agreement_year_dates(s, e, 0), None);
    }

    #[test]
    fn drug_codes_by_shape() {
        assert_eq!(classify_code("XA10BAE021A010010201650").unwrap().1, Category::Drug);
        assert_eq!(classify_code(" xa10bae021a010010201650 ").unwrap().0, "XA10BAE021A010010201650");
        assert!(classify_code("ZA01AAA001B00101").is_err());
        assert_eq!(classify_code("XA02BCA211A001010100").unwrap().1, Category::Drug); // 20-char form
        assert!(classify_code("XA10BAE021A0100102016X0").is_err()); // letter in the numeric tail
        assert!(classify_code("X110BAE021A010010201650").is_err()); // class must start with a letter
        assert!(classify_code("YA10BAE021A010010201650").is_err());
        assert!(classify_code("XA10BAE021A01001020165").is_err()); // 22 chars
    }

    #[test]
    fn consumable_codes_by_shape() {
        assert_eq!(classify_code("C0101010010100103941").unwrap().1, Category::Consumable);
        assert!(classify_code("C010101001010010394").is_err());
        assert!(classify_code("C01010100101001039A1").is_err());
        assert!(classify_code("").is_err());
    }

    #[test]
    fn cycles_last_one_to_three_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert!(check_cycle(d(2025, 1, 1), d(2027, 12, 31)).is_ok());
        assert!(check_cycle(d(2025, 1, 1), d(2025, 12, 31)).is_ok());
        assert!(check_cycle(d(2025, 1, 1), d(2025, 12, 30)).is_err());
        assert!(check_cycle(d(2025, 1, 1), d(2028, 1, 1)).is_err());
    }
}
