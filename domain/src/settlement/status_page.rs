//! What a payee reads first on its payment-status page: what each payable is for (the drugs
//! and quantities accepted), the payment batch it is in with its dates, the totals (outstanding,
//! overdue, due within 7 days, paid this month), and words instead of codes in its exports.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

use crate::clock::shanghai_date;
use crate::db::DbConnection;
use crate::error::DomainResult;
use crate::identity::Actor;
use crate::kept::Kept;
use crate::money::Money;
use crate::schema::{payables, payment_batches};
use crate::settlement::stage;

// The payable keeps its lines (column `items`, JSON) from the day its delivery was accepted: an
// accepted delivery never changes.
/// One accepted line of the delivery a payable pays for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayableItem {
    pub generic_name: String,
    pub specification: String,
    /// Accepted, in the product's minimum unit (片, 支…).
    pub accepted_qty: i64,
    pub min_unit: String,
    /// Minimum units per pack (盒).
    pub pack_size: i64,
    /// Whole packs, when the accepted quantity is a whole number of them.
    pub packs: Option<i64>,
}

impl PayableItem {
    pub fn new(
        generic_name: String,
        specification: String,
        accepted_qty: i64,
        min_unit: String,
        pack_size: i64,
    ) -> Self {
        PayableItem {
            packs: (pack_size > 0 && accepted_qty % pack_size == 0).then(|| accepted_qty / pack_size),
            generic_name,
            specification,
            accepted_qty,
            min_unit,
            pack_size,
        }
    }
}

/// The `items` column of a payable: its accepted lines as JSON.
pub fn items_text(items: &[PayableItem]) -> String {
    serde_json::to_string(items).expect("accepted lines serialise")
}

/// Writes the kept `items` column as the JSON array it holds, not as a string of it.
pub(crate) fn ser_items<S: serde::Serializer>(text: &str, ser: S) -> Result<S::Ok, S::Error> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(v) => v.serialize(ser),
        Err(_) => ser.serialize_str(text),
    }
}

/// A payable's accepted lines as kept (a JSON array of [`PayableItem`]): a page writes them out
/// as they are, without reading them into values and writing those again.
#[derive(Clone, Debug)]
pub struct PayableItems(Box<serde_json::value::RawValue>);

impl PayableItems {
    /// The kept `items` column of a payable; refused when it is not JSON.
    pub fn kept(payable_id: &str, text: String) -> DomainResult<PayableItems> {
        serde_json::value::RawValue::from_string(text).map(PayableItems).map_err(|e| unreadable(payable_id, e))
    }

    /// The lines, read.
    pub fn lines(&self) -> Result<Vec<PayableItem>, serde_json::Error> {
        serde_json::from_str(self.0.get())
    }
}

impl Serialize for PayableItems {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(ser)
    }
}

fn unreadable(payable_id: &str, e: serde_json::Error) -> crate::error::DomainError {
    crate::error::DomainError::Internal(format!("payable {payable_id} keeps unreadable lines: {e}"))
}

/// The payment batch a payable is in, with its dates.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayableBatch {
    pub id: String,
    pub batch_no: String,
    /// `proposed`, `prepared`, `approved` or `executed`.
    pub status: String,
    /// When the fund officer prepared it (编入批次), in Asia/Shanghai.
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub prepared_on: Option<NaiveDate>,
    /// When a second officer approved it (批次审批); the bank pays after.
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub approved_on: Option<NaiveDate>,
}

/// Payment batches as read for the payables' pages, by id. A batch changes a few times in its
/// life (proposed, prepared, approved, executed) while pages showing it are read all day: each
/// batch is read once in a few seconds, and again at once after this process writes a batch
/// (its writers call [`batch_written`]).
static BATCHES: Kept<PayableBatch> = Kept::new(std::time::Duration::from_secs(5));

/// Marks that the current transaction writes a payment batch.
pub(crate) fn batch_written() {
    BATCHES.written();
}

/// The batches of a page's payables, by batch id: those not kept, in one query.
pub fn batches_of(conn: &mut DbConnection, batch_ids: &[&str]) -> DomainResult<HashMap<String, Arc<PayableBatch>>> {
    if batch_ids.is_empty() {
        return Ok(HashMap::new());
    }
    BATCHES.get_many(batch_ids, |missing| {
        type Batch = (String, String, String, Option<chrono::NaiveDateTime>, Option<chrono::NaiveDateTime>);
        let rows: Vec<Batch> = payment_batches::table
            .filter(payment_batches::id.eq_any(missing))
            .select((
                payment_batches::id,
                payment_batches::batch_no,
                payment_batches::status,
                payment_batches::prepared_at,
                payment_batches::approved_at,
            ))
            .load(conn)?;
        let day = |t: Option<chrono::NaiveDateTime>| t.map(|t| shanghai_date(crate::clock::from_db(t)));
        Ok(rows
            .into_iter()
            .map(|(id, batch_no, status, prepared, approved)| {
                (
                    id.clone(),
                    PayableBatch { id, batch_no, status, prepared_on: day(prepared), approved_on: day(approved) },
                )
            })
            .collect())
    })
}

/// A count of payables and their amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    pub count: i64,
    pub amount: Money,
}

impl Figure {
    fn add(&mut self, fen: i64) {
        self.count += 1;
        self.amount = Money::from_fen(self.amount.fen() + fen);
    }
}

/// The payment-status page's totals, over every payable the caller sees.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayableTotals {
    pub as_of: NaiveDate,
    /// Unpaid: every unsettled payable, with what it still owes.
    pub outstanding: Figure,
    /// Unpaid past the due date.
    pub overdue: Figure,
    /// Unpaid, due from today to 7 days ahead.
    pub due_within_7_days: Figure,
    /// Paid this calendar month (by payment date), with what was paid.
    pub paid_this_month: Figure,
}

/// Which totals a payable counts in, as of `today`: pure, for the page and its export.
pub fn count_in(
    totals: &mut PayableTotals,
    stage_now: &str,
    due: NaiveDate,
    outstanding: i64,
    paid_on: Option<NaiveDate>,
    paid: i64,
) {
    let today = totals.as_of;
    if stage::is_settled(stage_now) {
        let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("valid");
        if stage_now == stage::PAID && paid_on.is_some_and(|d| d >= month_start && d <= today) {
            totals.paid_this_month.add(paid);
        }
        return;
    }
    totals.outstanding.add(outstanding);
    if due < today {
        totals.overdue.add(outstanding);
    } else if due <= today + chrono::Days::new(7) {
        totals.due_within_7_days.add(outstanding);
    }
}

/// The totals over the payables the caller sees: unsettled ones, and those paid this month.
pub fn totals(conn: &mut DbConnection, actor: &Actor, now: DateTime<Utc>) -> DomainResult<PayableTotals> {
    let today = shanghai_date(now);
    let month_start = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("valid");
    let mut out = PayableTotals {
        as_of: today,
        outstanding: Figure::default(),
        overdue: Figure::default(),
        due_within_7_days: Figure::default(),
        paid_this_month: Figure::default(),
    };
    type Line = (String, NaiveDate, i64, i64, i64, i64, Option<NaiveDate>);
    let columns = (
        payables::stage,
        payables::due_date,
        payables::amount,
        payables::disputed_amount,
        payables::credited_amount,
        payables::paid_amount,
        payables::paid_on,
    );
    let unsettled: Vec<Line> = super::payable::visible_payables(actor)
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(stage::UNSETTLED_SQL))
        .select(columns)
        .load(conn)?;
    let paid: Vec<Line> = super::payable::visible_payables(actor)
        .filter(payables::stage.eq(stage::PAID))
        .filter(payables::paid_on.ge(month_start))
        .select(columns)
        .load(conn)?;
    for (stage_now, due, amount, disputed, credited, paid_amount, paid_on) in unsettled.into_iter().chain(paid) {
        let owed = amount - disputed - credited - paid_amount;
        count_in(&mut out, &stage_now, due, owed, paid_on, paid_amount);
    }
    Ok(out)
}

/// A status or stage code in words, for exports: Chinese (`zh`) or English.
pub fn status_words(code: &str, lang: &str) -> String {
    let (zh, en) = match code {
        "awaiting_invoice" => ("待企业开票", "Awaiting invoice"),
        "awaiting_hospital_confirmation" => ("待医院确认", "Awaiting hospital confirmation"),
        "confirmed" => ("已确认待付", "Confirmed, to pay"),
        "disputed" => ("有争议", "Disputed"),
        "in_batch" => ("已编入支付批次", "In a payment batch"),
        "approved" => ("支付批次已审批", "Batch approved"),
        "nothing_due" => ("无应付（全部拒收）", "Nothing due (all rejected)"),
        "paid" => ("已支付", "Paid"),
        "overdue" => ("已逾期", "Overdue"),
        "deemed" => ("逾期视同确认", "Deemed confirmed"),
        "explicit" => ("医院确认", "Confirmed by the hospital"),
        "withdrawn" => ("争议已撤回", "Dispute withdrawn"),
        "credited" => ("争议金额已冲减", "Disputed amount credited"),
        other => (other, other),
    };
    if lang == "en" {
        en.to_string()
    } else {
        zh.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn each_payable_counts_where_a_supplier_looks_for_it() {
        let mut t = PayableTotals {
            as_of: d("2026-11-22"),
            outstanding: Figure::default(),
            overdue: Figure::default(),
            due_within_7_days: Figure::default(),
            paid_this_month: Figure::default(),
        };
        count_in(&mut t, "confirmed", d("2026-11-21"), 100, None, 0); // overdue
        count_in(&mut t, "awaiting_invoice", d("2026-11-22"), 200, None, 0); // due today
        count_in(&mut t, "in_batch", d("2026-11-29"), 300, None, 0); // the 7th day
        count_in(&mut t, "approved", d("2026-11-30"), 400, None, 0); // later
        count_in(&mut t, "paid", d("2026-11-10"), 0, Some(d("2026-11-01")), 500); // paid this month
        count_in(&mut t, "paid", d("2026-10-30"), 0, Some(d("2026-10-31")), 600); // last month
        count_in(&mut t, "nothing_due", d("2026-11-20"), 0, None, 0);
        assert_eq!((t.outstanding.count, t.outstanding.amount.fen()), (4, 1000));
        assert_eq!((t.overdue.count, t.overdue.amount.fen()), (1, 100));
        assert_eq!((t.due_within_7_days.count, t.due_within_7_days.amount.fen()), (2, 500));
        assert_eq!((t.paid_this_month.count, t.paid_this_month.amount.fen()), (1, 500));
    }

    #[test]
    fn codes_read_as_words() {
        assert_eq!(status_words("awaiting_invoice", "zh"), "待企业开票");
        assert_eq!(status_words("deemed", "en"), "Deemed confirmed");
        assert_eq!(status_words("something_new", "zh"), "something_new");
    }
}
