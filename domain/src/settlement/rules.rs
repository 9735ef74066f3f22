//! The pure rules of settlement: where a payable stands, when it falls due, what it still owes,
//! whom each overdue day waited on, the late interest on the payer's days, and the stage after a
//! dispute is resolved. No database here; every rule has its unit tests below.

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Money;
use crate::payables::PayableRow;
use crate::policy::DeadlineRule;

/// Where a payable stands. `overdue` is not a stage: it is shown when an unpaid payable is past
/// its due date.
pub mod stage {
    pub const AWAITING_INVOICE: &str = "awaiting_invoice";
    pub const AWAITING_CONFIRMATION: &str = "awaiting_hospital_confirmation";
    pub const CONFIRMED: &str = "confirmed";
    pub const DISPUTED: &str = "disputed";
    pub const IN_BATCH: &str = "in_batch";
    pub const APPROVED: &str = "approved";
    pub const PAID: &str = "paid";
    pub const NOTHING_DUE: &str = "nothing_due";
    pub const OVERDUE: &str = "overdue";

    pub fn is_settled(stage: &str) -> bool {
        stage == PAID || stage == NOTHING_DUE
    }

    /// The stored stages at which a payable may join a payment batch (a disputed one for its
    /// undisputed part); with a batch it is `in_batch`.
    pub const BATCHABLE: [&str; 2] = [CONFIRMED, DISPUTED];

    /// The stage a payable is at, from its stored stage and batch. Joining a batch sets only
    /// `batch_id`: a confirmed (or disputed) payable with a batch is `in_batch`. The stored
    /// stage is in eight of the payables' fifteen indexes and `batch_id` in none, so the daily
    /// sweep's move of a day's confirmations into a batch may be a heap-only (HOT) update, with
    /// no index entries, where the page has room (the figures: docs/benchmarks.md, "Why the code
    /// is as it is"). Approval
    /// then sets the stage `approved`. Rows stored as `in_batch` before migration
    /// 2026-12-05-000015 were set back to what they were.
    pub fn of<'a>(stored: &'a str, batch_id: Option<&str>) -> &'a str {
        if batch_id.is_some() && BATCHABLE.contains(&stored) {
            IN_BATCH
        } else {
            stored
        }
    }

    /// The stored stages a payable at `stage` may have (with [`of`]'s batch test): `in_batch`
    /// is a confirmed or disputed payable with a batch, and those two are without one.
    pub fn stored_as(stage: &str) -> (Vec<&str>, Option<bool>) {
        match stage {
            IN_BATCH => (BATCHABLE.to_vec(), Some(true)),
            CONFIRMED | DISPUTED => (vec![stage], Some(false)),
            other => (vec![other], None),
        }
    }

    /// Every stage still owing money (written out, so that `stage IN (…)` can use an index).
    pub const UNSETTLED: [&str; 6] = [AWAITING_INVOICE, AWAITING_CONFIRMATION, CONFIRMED, DISPUTED, IN_BATCH, APPROVED];

    /// `stage IN (UNSETTLED)` written with literals, exactly as in the predicate of the partial
    /// indexes `payables_*_unsettled_due` (migration 2026-11-22-000007): a database uses a
    /// partial index only when the query repeats its predicate, which bound parameters don't.
    pub const UNSETTLED_SQL: &str = "stage IN ('awaiting_invoice', 'awaiting_hospital_confirmation', 'confirmed', \
                                     'disputed', 'in_batch', 'approved')";

    /// 1 for a settled payable (paid, nothing due), 0 for one still owing: the first key of the
    /// payment-status page's urgency order (settled last).
    pub const SETTLED_LAST_SQL: &str = "CASE WHEN stage IN ('paid', 'nothing_due') THEN 1 ELSE 0 END";

    /// `stage = AWAITING_CONFIRMATION` written with a literal, as in the predicate of the partial
    /// index `payables_awaiting_confirmation` (migration 2026-12-05-000016) the sweep's scan of
    /// lapsed confirmation windows reads.
    pub const AWAITING_CONFIRMATION_SQL: &str = "stage = 'awaiting_hospital_confirmation'";

    #[cfg(test)]
    mod tests {
        #[test]
        fn a_batch_makes_a_confirmed_or_disputed_payable_in_batch() {
            use super::*;
            for stored in [AWAITING_INVOICE, AWAITING_CONFIRMATION, CONFIRMED, DISPUTED, APPROVED, PAID, NOTHING_DUE] {
                assert_eq!(of(stored, None), stored);
                let batched = of(stored, Some("b"));
                assert_eq!(batched == IN_BATCH, stored == CONFIRMED || stored == DISPUTED, "{stored}");
                // What a filter on a stage selects is what `of` reads.
                for (stage, batch) in [(batched, Some("b")), (of(stored, None), None)] {
                    let (stages, batched) = stored_as(stage);
                    assert!(stages.contains(&stored), "{stage} from {stored}");
                    assert!(batched.is_none_or(|b| b == batch.is_some()), "{stage} from {stored}");
                }
            }
        }

        #[test]
        fn the_literal_filter_is_the_partial_indexes_predicate() {
            let listed = super::UNSETTLED.map(|s| format!("'{s}'")).join(", ");
            assert_eq!(super::UNSETTLED_SQL, format!("stage IN ({listed})"));
            for up in [
                include_str!("../../../migrations/postgres/2026-11-22-000007_unsettled_partial_indexes/up.sql"),
                include_str!("../../../migrations/sqlite/2026-11-22-000007_unsettled_partial_indexes/up.sql"),
            ] {
                assert_eq!(up.matches(&format!("WHERE {}", super::UNSETTLED_SQL)).count(), 3, "{up}");
            }
            for up in [
                include_str!("../../../migrations/postgres/2026-11-22-000009_not_yet_overdue_index/up.sql"),
                include_str!("../../../migrations/sqlite/2026-11-22-000009_not_yet_overdue_index/up.sql"),
            ] {
                assert!(up.contains(&format!("WHERE overdue_since IS NULL AND {};", super::UNSETTLED_SQL)), "{up}");
            }
            assert_eq!(super::AWAITING_CONFIRMATION_SQL, format!("stage = '{}'", super::AWAITING_CONFIRMATION));
            for up in [
                include_str!("../../../migrations/postgres/2026-12-05-000016_awaiting_confirmation_index/up.sql"),
                include_str!("../../../migrations/sqlite/2026-12-05-000016_awaiting_confirmation_index/up.sql"),
            ] {
                assert!(up.contains(&format!("WHERE {};", super::AWAITING_CONFIRMATION_SQL)), "{up}");
            }
        }
    }
}

/// The status a user sees: the stage, or `overdue` once an unsettled payable is past due.
pub fn display_status(stage_now: &str, due_date: NaiveDate, today: NaiveDate) -> &str {
    if !stage::is_settled(stage_now) && today > due_date {
        stage::OVERDUE
    } else {
        stage_now
    }
}

/// Overdue days, each attributed to the party the payable waited on that day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delay {
    /// Days without an invoice.
    pub supplier: i64,
    /// Days waiting for the hospital's confirmation.
    pub hospital: i64,
    /// Days confirmed but unpaid: the payer's share, which bears interest.
    pub fund: i64,
}

impl Delay {
    pub fn total(self) -> i64 {
        self.supplier + self.hospital + self.fund
    }
}

/// Days in `(after, until]` that also lie in `[first, last]`.
fn days_within(after: NaiveDate, until: NaiveDate, first: NaiveDate, last: NaiveDate) -> i64 {
    let start = (after.succ_opt().expect("in range")).max(first);
    let end = until.min(last);
    if end < start {
        0
    } else {
        (end - start).num_days() + 1
    }
}

/// Attributes the days from the day after `due` to `end` (the payment date, or today): to the
/// supplier until the invoice day, to the hospital until its confirmation, to the fund after.
pub fn attribute_delay(
    due: NaiveDate,
    invoiced_on: Option<NaiveDate>,
    confirmed_on: Option<NaiveDate>,
    end: NaiveDate,
) -> Delay {
    let first = due.succ_opt().expect("in range");
    if end < first {
        return Delay::default();
    }
    let long_ago = NaiveDate::MIN;
    let invoiced = invoiced_on.unwrap_or(end);
    let supplier = days_within(long_ago, invoiced, first, end);
    let (hospital, fund) = match invoiced_on {
        None => (0, 0),
        Some(inv) => {
            let confirmed = confirmed_on.unwrap_or(end);
            let hospital = days_within(inv, confirmed, first, end);
            let fund = match confirmed_on {
                Some(c) => days_within(c, end, first, end),
                None => 0,
            };
            (hospital, fund)
        }
    };
    Delay { supplier, hospital, fund }
}

/// Simple daily interest on `base` for the payer's days, half-up to the fen.
pub fn late_interest(base: Money, daily_rate: Decimal, fund_days: i64) -> Money {
    Money::round_half_up(base.to_decimal() * daily_rate * Decimal::from(fund_days.max(0)))
}

/// What a payable still owes: its amount less the disputed, credited and paid parts.
pub fn owed(amount: i64, disputed: i64, credited: i64, paid: i64) -> Money {
    Money::from_fen(amount - disputed - credited - paid)
}

/// The amount still to pay: the payable less what is disputed, credited and paid.
pub fn outstanding(p: &PayableRow) -> Money {
    owed(p.amount, p.disputed_amount, p.credited_amount, p.paid_amount)
}

/// The due date of a payable accepted on `acceptance_date` (day 0, Asia/Shanghai) under the
/// region's payment deadline rule in force that day: paying on it is on time; the day after
/// it, the payable is overdue. Nationally 30 calendar days (Zhejiang used 29; some regions the
/// end of the next month, 次月底).
pub fn due_date(rule: DeadlineRule, acceptance_date: NaiveDate) -> NaiveDate {
    match rule {
        DeadlineRule::CalendarDays { days } => acceptance_date + chrono::Days::new(days as u64),
        DeadlineRule::EndOfNextMonth => {
            let first_of_this = acceptance_date.with_day(1).expect("day 1 exists");
            let first_after_next = first_of_this + Months::new(2);
            first_after_next.pred_opt().expect("a day before exists")
        }
    }
}

/// A payable's dispute once resolved: what is credited in all, and the stage it goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub credited: i64,
    pub stage: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DisputeOutcome {
    /// The hospital withdraws its dispute: the disputed part becomes payable again (paid in a
    /// later batch, as a second payment when the rest is already paid).
    Withdrawn,
    /// The supplier accepts the dispute and credits the disputed part: it is no longer owed.
    Credited,
}

impl DisputeOutcome {
    /// As stored in `payables.dispute_resolution`.
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeOutcome::Withdrawn => "withdrawn",
            DisputeOutcome::Credited => "credited",
        }
    }
}

/// Resolving a dispute: withdrawn, the disputed part is owed again; credited, the supplier
/// gives it up. The payable is then `confirmed` while anything is left to pay (and joins a
/// new batch), `paid` when what is left was paid, and `nothing_due` when nothing was.
pub fn after_dispute(outcome: DisputeOutcome, amount: i64, disputed: i64, credited: i64, paid: i64) -> Resolved {
    let credited = match outcome {
        DisputeOutcome::Credited => credited + disputed,
        DisputeOutcome::Withdrawn => credited,
    };
    let stage = if amount - credited - paid > 0 {
        stage::CONFIRMED
    } else if paid > 0 {
        stage::PAID
    } else {
        stage::NOTHING_DUE
    };
    Resolved { credited, stage }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn on_time_means_no_delay() {
        let due = d(2026, 12, 22);
        assert_eq!(attribute_delay(due, Some(d(2026, 11, 24)), Some(d(2026, 12, 1)), due), Delay::default());
        assert_eq!(attribute_delay(due, None, None, d(2026, 12, 10)), Delay::default());
    }

    #[test]
    fn a_delay_waiting_on_the_fund_is_the_payers() {
        // Invoiced day 2, confirmed day 9, due day 30, paid 5 days late.
        let due = d(2026, 12, 22);
        let delay = attribute_delay(due, Some(d(2026, 11, 24)), Some(d(2026, 12, 1)), d(2026, 12, 27));
        assert_eq!(delay, Delay { supplier: 0, hospital: 0, fund: 5 });
    }

    #[test]
    fn no_invoice_means_the_supplier_waited() {
        let due = d(2026, 12, 22);
        // Still no invoice 10 days after the due date.
        assert_eq!(attribute_delay(due, None, None, d(2027, 1, 1)), Delay { supplier: 10, hospital: 0, fund: 0 });
        // Invoice on the 25th, confirmed on the 28th, paid on 2 January.
        let delay = attribute_delay(due, Some(d(2026, 12, 25)), Some(d(2026, 12, 28)), d(2027, 1, 2));
        assert_eq!(delay, Delay { supplier: 3, hospital: 3, fund: 5 });
        assert_eq!(delay.total(), (d(2027, 1, 2) - due).num_days());
    }

    #[test]
    fn unconfirmed_days_after_the_invoice_are_the_hospitals() {
        let due = d(2026, 12, 22);
        let delay = attribute_delay(due, Some(d(2026, 12, 20)), None, d(2026, 12, 24));
        assert_eq!(delay, Delay { supplier: 0, hospital: 2, fund: 0 });
    }

    #[test]
    fn interest_is_simple_daily_on_the_payers_days() {
        let rate = Decimal::new(5, 4); // 0.05% per day
                                       // ¥350.00 × 0.0005 × 5 = ¥0.875 → ¥0.88
        assert_eq!(late_interest(Money::parse("350.00").unwrap(), rate, 5).to_string(), "0.88");
        // ¥10,000.00 × 0.0005 × 31 = ¥155.00
        assert_eq!(late_interest(Money::parse("10000.00").unwrap(), rate, 31).to_string(), "155.00");
        assert_eq!(late_interest(Money::parse("10000.00").unwrap(), rate, 0), Money::ZERO);
        // ¥38.89 × 0.0005 × 1 = 0.019445 → ¥0.02
        assert_eq!(late_interest(Money::parse("38.89").unwrap(), rate, 1).to_string(), "0.02");
    }

    #[test]
    fn overdue_shows_only_while_unsettled() {
        let due = d(2026, 12, 22);
        assert_eq!(display_status(stage::APPROVED, due, d(2026, 12, 22)), stage::APPROVED);
        assert_eq!(display_status(stage::APPROVED, due, d(2026, 12, 23)), stage::OVERDUE);
        assert_eq!(display_status(stage::PAID, due, d(2027, 1, 23)), stage::PAID);
    }

    #[test]
    fn thirty_calendar_days_across_month_and_year_ends() {
        let rule = DeadlineRule::default();
        assert_eq!(due_date(rule, d(2026, 1, 1)), d(2026, 1, 31));
        assert_eq!(due_date(rule, d(2026, 1, 31)), d(2026, 3, 2)); // February has 28 days in 2026
        assert_eq!(due_date(rule, d(2026, 12, 15)), d(2027, 1, 14));
        assert_eq!(due_date(rule, d(2026, 12, 31)), d(2027, 1, 30));
    }

    #[test]
    fn thirty_days_across_29_february() {
        let rule = DeadlineRule::default();
        assert_eq!(due_date(rule, d(2028, 2, 1)), d(2028, 3, 2)); // 2028 is a leap year
        assert_eq!(due_date(rule, d(2028, 1, 30)), d(2028, 2, 29));
        assert_eq!(due_date(rule, d(2028, 2, 29)), d(2028, 3, 30));
        assert_eq!(due_date(rule, d(2027, 1, 30)), d(2027, 3, 1)); // 2027 is not
    }

    #[test]
    fn twenty_nine_days() {
        let rule = DeadlineRule::CalendarDays { days: 29 };
        assert_eq!(due_date(rule, d(2026, 12, 3)), d(2027, 1, 1));
        assert_eq!(due_date(rule, d(2028, 1, 31)), d(2028, 2, 29));
    }

    #[test]
    fn end_of_next_month() {
        let rule = DeadlineRule::EndOfNextMonth;
        assert_eq!(due_date(rule, d(2026, 1, 1)), d(2026, 2, 28));
        assert_eq!(due_date(rule, d(2026, 1, 31)), d(2026, 2, 28));
        assert_eq!(due_date(rule, d(2028, 1, 15)), d(2028, 2, 29));
        assert_eq!(due_date(rule, d(2026, 11, 30)), d(2026, 12, 31));
        assert_eq!(due_date(rule, d(2026, 12, 1)), d(2027, 1, 31));
        assert_eq!(due_date(rule, d(2026, 12, 31)), d(2027, 1, 31));
    }

    #[test]
    fn a_resolved_dispute_leaves_what_is_still_owed() {
        // ¥100.00 payable, ¥30.00 disputed, ¥70.00 paid in its batch.
        let withdrawn = after_dispute(DisputeOutcome::Withdrawn, 10_000, 3_000, 0, 7_000);
        assert_eq!(withdrawn, Resolved { credited: 0, stage: stage::CONFIRMED });
        let credited = after_dispute(DisputeOutcome::Credited, 10_000, 3_000, 0, 7_000);
        assert_eq!(credited, Resolved { credited: 3_000, stage: stage::PAID });
        // All of it disputed, nothing paid, then credited: nothing is due.
        assert_eq!(
            after_dispute(DisputeOutcome::Credited, 10_000, 10_000, 0, 0),
            Resolved { credited: 10_000, stage: stage::NOTHING_DUE }
        );
        // Withdrawn before any payment: all of it owed again.
        assert_eq!(
            after_dispute(DisputeOutcome::Withdrawn, 10_000, 10_000, 0, 0),
            Resolved { credited: 0, stage: stage::CONFIRMED }
        );
        // An earlier credit stays.
        assert_eq!(
            after_dispute(DisputeOutcome::Credited, 10_000, 2_000, 1_000, 7_000),
            Resolved { credited: 3_000, stage: stage::PAID }
        );
    }
}
