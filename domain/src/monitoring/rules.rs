//! The pure rules of monitoring: agreed-volume completion and the share of the agreement year
//! elapsed, in percent to two decimals, and when a volume is behind pace. No database here.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

/// `part` of `whole` in percent, half-up to two decimals; 0 when there is no whole.
pub fn pct(part: i64, whole: i64) -> Decimal {
    if whole <= 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(part) * Decimal::from(100) / Decimal::from(whole))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// A percentage as shown: always two decimals.
pub fn fmt_pct(d: Decimal) -> String {
    format!("{d:.2}")
}

/// The share of an agreement year elapsed on `as_of` (day of the year / days in it), in percent.
pub fn elapsed_pct(start: NaiveDate, end: NaiveDate, as_of: NaiveDate) -> Decimal {
    let days = (end - start).num_days() + 1;
    let gone = ((as_of.min(end) - start).num_days() + 1).clamp(0, days);
    pct(gone, days)
}

/// Behind pace: completion trails the elapsed share by more than the threshold (points).
pub fn behind_pace(completion: Decimal, elapsed: Decimal, threshold: Decimal) -> bool {
    elapsed - completion > threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn pace_is_the_share_of_the_year_elapsed() {
        let (s, e) = (d(2026, 1, 1), d(2026, 12, 31));
        assert_eq!(fmt_pct(elapsed_pct(s, e, d(2026, 1, 1))), "0.27"); // 1 of 365 days
        assert_eq!(fmt_pct(elapsed_pct(s, e, d(2026, 7, 2))), "50.14"); // 183 of 365
        assert_eq!(fmt_pct(elapsed_pct(s, e, d(2027, 3, 1))), "100.00");
    }

    #[test]
    fn behind_by_more_than_the_threshold() {
        let t = Decimal::from(15);
        assert!(!behind_pace(Decimal::from(35), Decimal::from(50), t)); // 15 points: not more
        assert!(behind_pace("34.99".parse().unwrap(), Decimal::from(50), t));
        assert!(!behind_pace(Decimal::from(60), Decimal::from(50), t));
    }
}
