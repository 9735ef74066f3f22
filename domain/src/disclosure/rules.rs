//! The pure figures of disclosure: payment timeliness per month of due date (domain.md
//! section 11): payables due, paid on time, paid late and still overdue, with their amounts, the
//! days late by the party they waited on, and the median days from acceptance to payment.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::BTreeMap;

use crate::money::Money;

/// What the figures need of one payable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayableFacts {
    pub amount: Money,
    pub acceptance_date: NaiveDate,
    pub due_date: NaiveDate,
    /// The day it was paid in full, if it was.
    pub paid_on: Option<NaiveDate>,
    /// Days late so far by party (supplier, hospital, fund): recorded at payment, or attributed
    /// as of the disclosure's date for a payable still open.
    pub late_days: (i64, i64, i64),
}

/// Days late by the party the payable waited on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LateDays {
    pub supplier: i64,
    pub hospital: i64,
    pub fund: i64,
}

/// One month of due dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthTimeliness {
    /// `YYYY-MM` of the due date.
    pub month: String,
    pub due_count: i64,
    pub due_amount: Money,
    pub on_time_count: i64,
    pub on_time_amount: Money,
    pub late_count: i64,
    pub late_amount: Money,
    /// Unpaid past their due date on the disclosure's date.
    pub overdue_count: i64,
    pub overdue_amount: Money,
    /// Unpaid and not yet due.
    pub not_yet_due_count: i64,
    pub late_days: LateDays,
    /// Paid on time / paid, in percent with 2 decimals; none when nothing is paid.
    pub on_time_rate: Option<Decimal>,
    /// Median days from acceptance to payment of the month's paid payables (the mean of the two
    /// middle values when their number is even); none when nothing is paid.
    pub median_days_to_payment: Option<Decimal>,
}

/// The median of whole days: the middle value, or the mean of the two middle ones.
pub fn median(days: &mut [i64]) -> Option<Decimal> {
    if days.is_empty() {
        return None;
    }
    days.sort_unstable();
    let n = days.len();
    Some(if n % 2 == 1 {
        Decimal::from(days[n / 2])
    } else {
        (Decimal::from(days[n / 2 - 1]) + Decimal::from(days[n / 2])) / Decimal::TWO
    })
}

/// Figures per month of due date, for payables due from `first` to the end of the month of
/// `as_of` (the disclosure's date), months in order. A payable due later this month counts as
/// paid on time if it is already paid, else as not yet due.
pub fn timeliness(facts: &[PayableFacts], first: NaiveDate, as_of: NaiveDate) -> Vec<MonthTimeliness> {
    let this_month = (as_of.year(), as_of.month());
    #[derive(Default)]
    struct Acc {
        due: (i64, i64),
        on_time: (i64, i64),
        late: (i64, i64),
        overdue: (i64, i64),
        not_yet_due: i64,
        late_days: LateDays,
        to_payment: Vec<i64>,
    }
    let mut months: BTreeMap<(i32, u32), Acc> = BTreeMap::new();
    for f in facts.iter().filter(|f| f.due_date >= first && (f.due_date.year(), f.due_date.month()) <= this_month) {
        let a = months.entry((f.due_date.year(), f.due_date.month())).or_default();
        let amount = f.amount.fen();
        a.due = (a.due.0 + 1, a.due.1 + amount);
        match f.paid_on.filter(|p| *p <= as_of) {
            Some(paid) => {
                a.to_payment.push((paid - f.acceptance_date).num_days());
                if paid <= f.due_date {
                    a.on_time = (a.on_time.0 + 1, a.on_time.1 + amount);
                } else {
                    a.late = (a.late.0 + 1, a.late.1 + amount);
                }
            }
            None if f.due_date < as_of => a.overdue = (a.overdue.0 + 1, a.overdue.1 + amount),
            None => a.not_yet_due += 1,
        }
        a.late_days.supplier += f.late_days.0;
        a.late_days.hospital += f.late_days.1;
        a.late_days.fund += f.late_days.2;
    }
    months
        .into_iter()
        .map(|((y, m), mut a)| {
            let paid = a.on_time.0 + a.late.0;
            MonthTimeliness {
                month: format!("{y:04}-{m:02}"),
                due_count: a.due.0,
                due_amount: Money::from_fen(a.due.1),
                on_time_count: a.on_time.0,
                on_time_amount: Money::from_fen(a.on_time.1),
                late_count: a.late.0,
                late_amount: Money::from_fen(a.late.1),
                overdue_count: a.overdue.0,
                overdue_amount: Money::from_fen(a.overdue.1),
                not_yet_due_count: a.not_yet_due,
                late_days: a.late_days,
                on_time_rate: (paid > 0).then(|| (Decimal::from(a.on_time.0 * 100) / Decimal::from(paid)).round_dp(2)),
                median_days_to_payment: median(&mut a.to_payment),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn fact(accepted: NaiveDate, paid: Option<NaiveDate>, yuan: i64, late: (i64, i64, i64)) -> PayableFacts {
        PayableFacts {
            amount: Money::from_fen(yuan * 100),
            acceptance_date: accepted,
            due_date: accepted + chrono::Duration::days(30),
            paid_on: paid,
            late_days: late,
        }
    }

    #[test]
    fn a_month_counts_on_time_late_overdue_and_the_median() {
        let facts = [
            fact(d(2026, 10, 1), Some(d(2026, 10, 20)), 100, (0, 0, 0)), // due 10-31, 19 days
            fact(d(2026, 10, 2), Some(d(2026, 11, 5)), 200, (2, 1, 1)),  // due 11-01, paid late, 34 days
            fact(d(2026, 10, 3), Some(d(2026, 10, 28)), 300, (0, 0, 0)), // due 11-02, 25 days
            fact(d(2026, 10, 4), None, 400, (5, 3, 0)),                  // due 11-03, overdue
            fact(d(2026, 11, 1), None, 500, (0, 0, 0)),                  // due 12-01, after as_of
        ];
        let months = timeliness(&facts, d(2026, 10, 1), d(2026, 11, 20));
        assert_eq!(months.len(), 2);
        let oct = &months[0];
        assert_eq!((oct.month.as_str(), oct.due_count, oct.on_time_count), ("2026-10", 1, 1));
        assert_eq!(oct.median_days_to_payment, Some(Decimal::from(19)));
        let nov = &months[1];
        assert_eq!((nov.due_count, nov.on_time_count, nov.late_count, nov.overdue_count), (3, 1, 1, 1));
        assert_eq!(nov.due_amount, Money::from_fen(90_000));
        assert_eq!((nov.late_amount, nov.overdue_amount), (Money::from_fen(20_000), Money::from_fen(40_000)));
        assert_eq!(nov.late_days, LateDays { supplier: 7, hospital: 4, fund: 1 });
        assert_eq!(nov.on_time_rate, Some(Decimal::new(5000, 2)));
        // Paid after 34 and 25 days: the mean of the two.
        assert_eq!(nov.median_days_to_payment, Some(Decimal::new(295, 1)));
    }

    #[test]
    fn later_this_month_is_on_time_if_paid_else_not_yet_due() {
        let facts = [
            fact(d(2026, 10, 25), Some(d(2026, 11, 10)), 100, (0, 0, 0)), // due 11-24, paid early
            fact(d(2026, 10, 26), None, 100, (0, 0, 0)),                  // due 11-25
        ];
        let nov = &timeliness(&facts, d(2026, 10, 1), d(2026, 11, 20))[0];
        assert_eq!((nov.due_count, nov.on_time_count, nov.not_yet_due_count, nov.overdue_count), (2, 1, 1, 0));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [7]), Some(Decimal::from(7)));
        assert_eq!(median(&mut [30, 10, 20]), Some(Decimal::from(20)));
        assert_eq!(median(&mut [10, 21]), Some(Decimal::new(155, 1)));
    }

    #[test]
    fn a_payment_after_the_disclosure_date_is_not_yet_known() {
        let facts = [fact(d(2026, 10, 1), Some(d(2026, 11, 25)), 100, (0, 0, 0))];
        let months = timeliness(&facts, d(2026, 10, 1), d(2026, 11, 20));
        assert_eq!((months[0].overdue_count, months[0].late_count), (1, 0));
    }
}
