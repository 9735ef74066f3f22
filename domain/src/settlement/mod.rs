//! Direct settlement (医保基金与医药企业直接结算): invoices matched to payables, the hospital's
//! confirmation (silence confirms), maker-checker payment batches, payments keyed by bank
//! reference, the overdue days attributed to whoever they waited on, and late interest on the
//! payer's share of them.

mod mails;
pub mod payable;
pub mod product_flow;
pub mod status_page;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::{self, AuditEntry};
use crate::calendar;
use crate::clock::{shanghai_date, to_db};
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::identity::{Actor, OrgKind, Role};
use crate::ids::{document_no, new_id};
use crate::ledger::{self, Account, Entry, Posting};
use crate::money::Money;
use crate::outbox;
use crate::paging::{Page, PageRequest};
use crate::payables::PayableRow;
use crate::policy::{self, ConfirmationPolicy, InterestPolicy, HOSPITAL_CONFIRMATION, LATE_INTEREST};
use crate::schema::{invoices, organizations, payables, payment_batch_items, payment_batches, payments, regions};

pub mod rules;
pub use rules::{attribute_delay, display_status, late_interest, outstanding, owed, stage, Delay, DisputeOutcome};

// ---------------------------------------------------------------- lookups

/// One payable the caller may see ([`payable::visible_payables`], the one filter), or 404.
fn visible_payable(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<PayableRow> {
    payable::visible_payables(actor)
        .filter(payables::id.eq(id.to_string()))
        .select(PayableRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("payable"))
}

/// Locks the payable's row (PostgreSQL) before a change that depends on its stage.
fn lock_payable(conn: &mut DbConnection, id: &str) -> DomainResult<PayableRow> {
    diesel::update(payables::table.find(id)).set(payables::stage.eq(payables::stage)).execute(conn)?;
    Ok(payables::table.find(id).select(PayableRow::as_select()).first(conn)?)
}

/// Audits a change of payable `p`, in its region.
fn audit_payable<B: Serialize, A: Serialize>(
    conn: &mut DbConnection,
    actor: &Actor,
    p: &PayableRow,
    action: &'static str,
    before: &B,
    after: &A,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    audit::record(conn, AuditEntry::changed(actor, Some(&p.region_id), "payable", &p.id, action, before, after), now)
}

fn wrong_stage(p: &PayableRow, expected: &str) -> DomainError {
    DomainError::Conflict(
        Problem::new(
            ErrorCode::PayableStage,
            format!("payable {} is {}; this needs it {expected}", p.payable_no, p.stage_now()),
        )
        .details(serde_json::json!({ "stage": p.stage_now() })),
    )
}

fn bureau_of(conn: &mut DbConnection, region_id: &str) -> DomainResult<Option<String>> {
    Ok(organizations::table
        .filter(organizations::region_id.eq(region_id))
        .filter(organizations::kind.eq(OrgKind::Bureau.as_str()))
        .select(organizations::id)
        .first(conn)
        .optional()?)
}

// ---------------------------------------------------------------- invoices

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewInvoice {
    pub invoice_no: String,
    pub invoice_date: NaiveDate,
    /// Amount including tax.
    pub amount: Money,
    pub tax_amount: Money,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = invoices, treat_none_as_default_value = false)]
pub struct InvoiceRow {
    pub id: String,
    pub payable_id: String,
    pub supplier_id: String,
    pub invoice_no: String,
    pub invoice_date: NaiveDate,
    /// Including tax.
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub amount: i64,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub tax_amount: i64,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

/// The supplier attaches its invoice(s) to a payable. Their total must equal the accepted
/// amount exactly; the hospital then has its confirmation window (working days).
pub fn attach_invoices(
    conn: &mut DbConnection,
    actor: &Actor,
    payable_id: &str,
    input: Vec<NewInvoice>,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    actor.require(&[Role::Supplier], "attach invoices")?;
    if input.is_empty() || input.len() > 50 {
        return Err(DomainError::invalid(ErrorCode::InvalidBody, "invoices", "attach 1 to 50 invoices"));
    }
    let today = shanghai_date(now);
    for (i, inv) in input.iter().enumerate() {
        let no = inv.invoice_no.trim();
        if no.is_empty() || no.len() > 40 {
            return Err(DomainError::invalid(
                ErrorCode::InvalidInvoiceNo,
                format!("invoices[{i}].invoice_no"),
                "an invoice number has 1 to 40 characters",
            ));
        }
        if inv.invoice_date > today {
            return Err(DomainError::invalid(
                ErrorCode::InvalidInvoiceDate,
                format!("invoices[{i}].invoice_date"),
                "the invoice date is in the future",
            ));
        }
        if inv.amount.fen() <= 0 || inv.tax_amount > inv.amount {
            return Err(DomainError::invalid(
                ErrorCode::InvalidInvoiceAmount,
                format!("invoices[{i}].amount"),
                "an invoice amount is above zero and includes its tax",
            ));
        }
    }
    write_tx(conn, |conn| {
        let p = visible_payable(conn, actor, payable_id)?;
        let p = lock_payable(conn, &p.id)?;
        if p.stage != stage::AWAITING_INVOICE {
            return Err(wrong_stage(&p, "awaiting an invoice"));
        }
        let total: i64 = input.iter().map(|i| i.amount.fen()).sum();
        if total != p.amount {
            let diff = Money::from_fen((total - p.amount).abs());
            return Err(DomainError::Invalid(
                Problem::new(
                    ErrorCode::InvoiceAmountMismatch,
                    format!(
                        "the invoices total {} but the accepted amount is {}: {} {} by {diff}",
                        Money::from_fen(total),
                        Money::from_fen(p.amount),
                        if total > p.amount { "over" } else { "under" },
                        if total > p.amount { "the accepted amount" } else { "it" },
                    ),
                )
                .field("invoices")
                .details(serde_json::json!({
                    "payable_amount": Money::from_fen(p.amount).to_string(),
                    "invoiced_amount": Money::from_fen(total).to_string(),
                    "difference": Money::from_fen(total - p.amount).to_string().replace("--", "-"),
                })),
            ));
        }
        for inv in &input {
            diesel::insert_into(invoices::table)
                .values((
                    invoices::id.eq(new_id()),
                    invoices::payable_id.eq(&p.id),
                    invoices::supplier_id.eq(&p.supplier_id),
                    invoices::invoice_no.eq(inv.invoice_no.trim()),
                    invoices::invoice_date.eq(inv.invoice_date),
                    invoices::amount.eq(inv.amount.fen()),
                    invoices::tax_amount.eq(inv.tax_amount.fen()),
                    invoices::created_by.eq(&actor.user_id),
                    invoices::created_at.eq(to_db(now)),
                ))
                .execute(conn)
                .map_err(|e| {
                    unique_conflict(e, || {
                        DomainError::conflict(
                            ErrorCode::DuplicateInvoice,
                            format!("invoice {} was already attached", inv.invoice_no.trim()),
                        )
                    })
                })?;
        }
        let (window, policy_id): (ConfirmationPolicy, String) =
            policy::params_in_force(conn, &p.region_id, HOSPITAL_CONFIRMATION, today)?;
        let overrides = calendar::overrides_from(conn, &p.region_id, today)?;
        let deadline = calendar::add_working_days(today, window.working_days, &overrides);
        diesel::update(payables::table.find(&p.id))
            .set((
                payables::stage.eq(stage::AWAITING_CONFIRMATION),
                payables::invoiced_on.eq(Some(today)),
                payables::confirm_deadline.eq(Some(deadline)),
                payables::confirmation_policy_id.eq(Some(&policy_id)),
            ))
            .execute(conn)?;
        outbox::enqueue(conn, mails::confirmation_requested(&p, deadline), now)?;
        let after = payables::table.find(&p.id).select(PayableRow::as_select()).first(conn)?;
        audit_payable(
            conn,
            actor,
            &p,
            "invoice",
            &serde_json::json!({"stage": p.stage}),
            &serde_json::json!({"stage": after.stage, "invoices": input.iter().map(|i| &i.invoice_no).collect::<Vec<_>>(), "confirm_deadline": deadline}),
            now,
        )?;
        Ok(after)
    })
}

pub fn list_invoices(conn: &mut DbConnection, actor: &Actor, payable_id: &str) -> DomainResult<Vec<InvoiceRow>> {
    let p = visible_payable(conn, actor, payable_id)?;
    Ok(invoices::table
        .filter(invoices::payable_id.eq(&p.id))
        .order(invoices::invoice_no.asc())
        .select(InvoiceRow::as_select())
        .load(conn)?)
}

// ---------------------------------------------------------------- hospital confirmation

/// The hospital confirms a matched payable.
pub fn confirm(
    conn: &mut DbConnection,
    actor: &Actor,
    payable_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    actor.require(&[Role::HospitalBuyer], "confirm payables")?;
    decide(conn, actor, payable_id, None, now)
}

/// The hospital disputes part (or all) of a matched payable; only that part is held back.
pub fn dispute(
    conn: &mut DbConnection,
    actor: &Actor,
    payable_id: &str,
    amount: Money,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    actor.require(&[Role::HospitalBuyer], "dispute payables")?;
    let reason = crate::identity::required_text(reason, "reason", 500)?;
    if amount.fen() <= 0 {
        return Err(DomainError::invalid(ErrorCode::InvalidAmount, "amount", "the disputed amount is above zero"));
    }
    decide(conn, actor, payable_id, Some((amount, reason)), now)
}

fn decide(
    conn: &mut DbConnection,
    actor: &Actor,
    payable_id: &str,
    disputed: Option<(Money, String)>,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    let today = shanghai_date(now);
    write_tx(conn, |conn| {
        let p = visible_payable(conn, actor, payable_id)?;
        let p = lock_payable(conn, &p.id)?;
        if p.stage != stage::AWAITING_CONFIRMATION {
            return Err(wrong_stage(&p, "awaiting the hospital's confirmation"));
        }
        // Once the window has closed in silence the payable stands confirmed, whether or not the
        // sweep has recorded it yet.
        if let Some(deadline) = p.confirm_deadline.filter(|d| today > *d) {
            let (window, _): (ConfirmationPolicy, String) =
                policy::params_in_force(conn, &p.region_id, HOSPITAL_CONFIRMATION, p.invoiced_on.unwrap_or(today))?;
            if window.silence_confirms {
                return Err(DomainError::conflict(
                    ErrorCode::ConfirmationWindowClosed,
                    format!(
                        "the confirmation window of payable {} closed on {deadline}; silence has confirmed it",
                        p.payable_no
                    ),
                ));
            }
        }
        let (to, disputed_amount, reason) = match &disputed {
            Some((amount, reason)) => {
                if amount.fen() > p.amount {
                    return Err(DomainError::invalid(
                        ErrorCode::InvalidAmount,
                        "amount",
                        format!("the disputed amount exceeds the payable's {}", Money::from_fen(p.amount)),
                    ));
                }
                (stage::DISPUTED, amount.fen(), Some(reason.clone()))
            }
            None => (stage::CONFIRMED, 0, None),
        };
        diesel::update(payables::table.find(&p.id))
            .set((
                payables::stage.eq(to),
                payables::confirmed_on.eq(Some(today)),
                payables::confirmation.eq(Some("explicit")),
                payables::disputed_amount.eq(disputed_amount),
                payables::dispute_reason.eq(&reason),
            ))
            .execute(conn)?;
        audit_payable(
            conn,
            actor,
            &p,
            if disputed.is_some() { "dispute" } else { "confirm" },
            &serde_json::json!({"stage": p.stage}),
            &serde_json::json!({"stage": to, "disputed_amount": disputed_amount, "dispute_reason": reason}),
            now,
        )?;
        Ok(payables::table.find(&p.id).select(PayableRow::as_select()).first(conn)?)
    })
}

// ---------------------------------------------------------------- resolving a dispute

/// Resolves a payable's dispute: withdrawn by its hospital, or credited by its supplier. Not
/// while the payable is in a batch being paid: resolve it before or after.
pub fn resolve_dispute(
    conn: &mut DbConnection,
    actor: &Actor,
    payable_id: &str,
    outcome: DisputeOutcome,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    match outcome {
        DisputeOutcome::Withdrawn => actor.require(&[Role::HospitalBuyer], "withdraw a dispute")?,
        DisputeOutcome::Credited => actor.require(&[Role::Supplier], "credit a disputed amount")?,
    }
    let today = shanghai_date(now);
    write_tx(conn, |conn| {
        let p = visible_payable(conn, actor, payable_id)?;
        let p = lock_payable(conn, &p.id)?;
        if p.disputed_amount == 0 {
            return Err(DomainError::conflict(
                ErrorCode::NoDispute,
                format!("payable {} has no open dispute", p.payable_no),
            ));
        }
        if matches!(p.stage_now(), stage::IN_BATCH | stage::APPROVED) {
            return Err(wrong_stage(&p, "out of a batch being paid (resolve the dispute once it is paid)"));
        }
        let name = outcome.as_str();
        let rules::Resolved { credited, stage: to } =
            rules::after_dispute(outcome, p.amount, p.disputed_amount, p.credited_amount, p.paid_amount);
        if credited > p.credited_amount {
            post_owed(conn, actor, &p, Owed::Credited(Money::from_fen(credited - p.credited_amount), today), now)?;
        }
        diesel::update(payables::table.find(&p.id))
            .set((
                payables::disputed_amount.eq(0i64),
                payables::credited_amount.eq(credited),
                payables::dispute_resolved_on.eq(Some(today)),
                payables::dispute_resolution.eq(Some(name)),
                payables::stage.eq(to),
                // A released part joins a new batch.
                payables::batch_id.eq(if to == stage::CONFIRMED { None } else { p.batch_id.clone() }),
            ))
            .execute(conn)?;
        audit_payable(
            conn,
            actor,
            &p,
            "resolve_dispute",
            &serde_json::json!({"stage": p.stage, "disputed_amount": p.disputed_amount, "credited_amount": p.credited_amount}),
            &serde_json::json!({"stage": to, "disputed_amount": 0, "credited_amount": credited, "resolution": name}),
            now,
        )?;
        Ok(payables::table.find(&p.id).select(PayableRow::as_select()).first(conn)?)
    })
}

// ---------------------------------------------------------------- the daily sweep

#[derive(Clone, Debug, Default, Serialize)]
pub struct SweepCounts {
    pub auto_confirmed: i64,
    pub batches_proposed: i64,
    pub payables_batched: i64,
}

/// The settlement sweep for one day: confirms payables whose window lapsed in silence, and
/// proposes the day's payment batch per region. Safe to repeat for the same date.
pub fn sweep(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<SweepCounts> {
    let system = Actor::system(String::new(), String::new());
    write_tx(conn, |conn| {
        crate::db::job_lock(conn, "settlement-sweep")?;
        crate::db::without_jit(conn)?;
        let mut counts = SweepCounts::default();
        let regions = job_regions(conn, region)?;
        let lapsed: Vec<PayableRow> = payables::table
            .filter(payables::region_id.eq_any(&regions))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(stage::AWAITING_CONFIRMATION_SQL))
            .filter(payables::confirm_deadline.lt(as_of))
            .select(PayableRow::as_select())
            .load(conn)?;
        // Whether silence confirms, by the policy in force on each invoice date; then one
        // UPDATE per deadline and 500 payables.
        let mut silence: HashMap<(&str, NaiveDate), bool> = HashMap::new();
        let mut by_deadline: std::collections::BTreeMap<NaiveDate, Vec<&PayableRow>> = Default::default();
        for p in &lapsed {
            let key = (p.region_id.as_str(), p.invoiced_on.unwrap_or(as_of));
            let confirms = match silence.get(&key) {
                Some(v) => *v,
                None => {
                    let (window, _): (ConfirmationPolicy, String) =
                        policy::params_in_force(conn, key.0, HOSPITAL_CONFIRMATION, key.1)?;
                    *silence.entry(key).or_insert(window.silence_confirms)
                }
            };
            if confirms {
                by_deadline.entry(p.confirm_deadline.unwrap_or(as_of)).or_default().push(p);
            }
        }
        let mut deemed: Vec<(&PayableRow, NaiveDate)> = Vec::new();
        for (deadline, group) in by_deadline {
            for chunk in group.chunks(500) {
                let ids: Vec<&str> = chunk.iter().map(|p| p.id.as_str()).collect();
                diesel::update(
                    payables::table
                        .filter(payables::id.eq_any(&ids))
                        .filter(payables::stage.eq(stage::AWAITING_CONFIRMATION)),
                )
                .set((
                    payables::stage.eq(stage::CONFIRMED),
                    payables::confirmed_on.eq(Some(deadline)),
                    payables::confirmation.eq(Some("deemed")),
                ))
                .execute(conn)?;
                // A hospital that decided meanwhile keeps its decision: only the rows this
                // statement changed are deemed confirmed.
                let changed: std::collections::HashSet<String> = payables::table
                    .filter(payables::id.eq_any(&ids))
                    .filter(payables::confirmation.eq("deemed"))
                    .filter(payables::confirmed_on.eq(deadline))
                    .select(payables::id)
                    .load::<String>(conn)?
                    .into_iter()
                    .collect();
                deemed.extend(chunk.iter().filter(|p| changed.contains(&p.id)).map(|p| (*p, deadline)));
            }
        }
        let mails = deemed.iter().map(|(p, deadline)| mails::deemed_confirmed(p, *deadline)).collect();
        outbox::enqueue_many(conn, mails, now)?;
        let events = deemed
            .iter()
            .map(|(p, deadline)| {
                AuditEntry::changed(
                    &system,
                    Some(&p.region_id),
                    "payable",
                    &p.id,
                    "deemed_confirm",
                    &serde_json::json!({"stage": p.stage}),
                    &serde_json::json!({"stage": stage::CONFIRMED, "confirmed_on": deadline}),
                )
            })
            .collect();
        audit::record_many(conn, events, now)?;
        counts.auto_confirmed = deemed.len() as i64;
        crate::failpoint::pause("settlement-sweep");
        for region in regions {
            let exists: i64 = payment_batches::table
                .filter(payment_batches::region_id.eq(&region))
                .filter(payment_batches::proposed_on.eq(as_of))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                continue;
            }
            let eligible = eligible_payables(conn, &region, None, as_of)?;
            if eligible.is_empty() {
                continue;
            }
            counts.payables_batched += eligible.len() as i64;
            create_batch(conn, &system, &region, eligible, Some(as_of), now)?;
            counts.batches_proposed += 1;
        }
        Ok(counts)
    })
}

/// Payables that may join a batch on `as_of`: confirmed (or disputed, for the undisputed part)
/// by that date, in no batch, with something outstanding.
fn eligible_payables(
    conn: &mut DbConnection,
    region: &str,
    only: Option<&[String]>,
    as_of: NaiveDate,
) -> DomainResult<Vec<Eligible>> {
    let mut q = payables::table
        .filter(payables::region_id.eq(region))
        .filter(payables::stage.eq_any(stage::BATCHABLE))
        .filter(payables::batch_id.is_null())
        .filter(payables::confirmed_on.le(as_of))
        .order((payables::due_date.asc(), payables::id.asc()))
        .select((
            payables::id,
            payables::amount,
            payables::disputed_amount,
            payables::credited_amount,
            payables::paid_amount,
        ))
        .into_boxed();
    if let Some(ids) = only {
        q = q.filter(payables::id.eq_any(ids.to_vec()));
    }
    let rows: Vec<(String, i64, i64, i64, i64)> = q.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, amount, disputed, credited, paid)| Eligible {
            id,
            outstanding: owed(amount, disputed, credited, paid),
        })
        .filter(|e| e.outstanding.fen() > 0)
        .collect())
}

/// A payable that may join a batch, and what the batch would pay of it (the sweep holds a few
/// days' confirmations of a province: 120,000 of these, not of whole payables).
struct Eligible {
    id: String,
    outstanding: Money,
}

// ---------------------------------------------------------------- payment batches

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = payment_batches, treat_none_as_default_value = false)]
pub struct PaymentBatchRow {
    pub id: String,
    pub batch_no: String,
    pub region_id: String,
    pub status: String,
    pub proposed_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub total_amount: i64,
    pub item_count: i32,
    pub prepared_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub prepared_at: Option<NaiveDateTime>,
    pub approved_by: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub approved_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentBatchItem {
    pub payable_id: String,
    pub payable_no: String,
    pub supplier_id: String,
    pub supplier_name: String,
    pub hospital_id: String,
    pub hospital_name: String,
    pub amount: Money,
    pub due_date: NaiveDate,
    pub stage: String,
    pub bank_reference: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentBatchView {
    #[serde(flatten)]
    pub batch: PaymentBatchRow,
    /// "显示名 (username)" of the maker (`prepared_by`).
    pub prepared_by_name: Option<String>,
    /// "显示名 (username)" of the checker (`approved_by`).
    pub approved_by_name: Option<String>,
    pub total: Money,
    pub items: Vec<PaymentBatchItem>,
}

/// A payable's place in a payment batch (the insert form of `payment_batch_items`).
#[derive(Insertable, Clone, Debug)]
#[diesel(table_name = payment_batch_items, treat_none_as_default_value = false)]
pub struct BatchItemRow {
    pub batch_id: String,
    pub payable_id: String,
    pub amount: i64,
}

fn create_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    region: &str,
    items: Vec<Eligible>,
    proposed_on: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let id = new_id();
    let total: i64 = items.iter().map(|p| p.outstanding.fen()).sum();
    let manual = proposed_on.is_none();
    status_page::batch_written();
    diesel::insert_into(payment_batches::table)
        .values((
            payment_batches::id.eq(&id),
            payment_batches::batch_no.eq(document_no("PB", now)),
            payment_batches::region_id.eq(region),
            payment_batches::status.eq(if manual { "prepared" } else { "proposed" }),
            payment_batches::proposed_on.eq(proposed_on),
            payment_batches::total_amount.eq(total),
            payment_batches::item_count.eq(items.len() as i32),
            payment_batches::prepared_by.eq(if manual { Some(actor.user_id.clone()) } else { None }),
            payment_batches::prepared_at.eq(if manual { Some(to_db(now)) } else { None }),
            payment_batches::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    let rows: Vec<BatchItemRow> = items
        .iter()
        .map(|p| BatchItemRow { batch_id: id.clone(), payable_id: p.id.clone(), amount: p.outstanding.fen() })
        .collect();
    for chunk in rows.chunks(1000) {
        crate::db::insert_rows!(&mut *conn, payment_batch_items::table, chunk)?;
    }
    for chunk in items.chunks(500) {
        let ids: Vec<&str> = chunk.iter().map(|p| p.id.as_str()).collect();
        let moved =
            diesel::update(payables::table.filter(payables::id.eq_any(&ids)).filter(payables::batch_id.is_null()))
                .set(payables::batch_id.eq(Some(&id)))
                .execute(conn)?;
        if moved != chunk.len() {
            let taken: Vec<String> = payables::table
                .filter(payables::id.eq_any(&ids))
                .filter(payables::batch_id.ne(&id))
                .select(payables::payable_no)
                .load(conn)?;
            return Err(DomainError::conflict(
                ErrorCode::PayableInBatch,
                format!("payable {} is already in a batch", taken.first().map(String::as_str).unwrap_or("?")),
            ));
        }
    }
    if let Some(bureau) = bureau_of(conn, region)? {
        outbox::enqueue(conn, mails::batch_awaiting_approval(&id, region, &bureau, items.len(), total), now)?;
    }
    audit::record(
        conn,
        AuditEntry::created(
            actor,
            Some(region),
            "payment_batch",
            &id,
            &serde_json::json!({"items": items.iter().map(|p| &p.id).collect::<Vec<_>>(), "total": total, "proposed_on": proposed_on}),
        ),
        now,
    )?;
    Ok(id)
}

fn find_batch(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<PaymentBatchRow> {
    actor.require(&[Role::FundOfficer, Role::BureauOfficer, Role::Admin], "see payment batches")?;
    let q = payment_batches::table.filter(payment_batches::id.eq(id.to_string())).into_boxed();
    let q = if actor.role == Role::Admin {
        q
    } else {
        q.filter(payment_batches::region_id.eq(actor.region_id.clone().unwrap_or_default()))
    };
    q.select(PaymentBatchRow::as_select()).first(conn).optional()?.ok_or(DomainError::not_found("payment batch"))
}

pub fn batch_view(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<PaymentBatchView> {
    let batch = find_batch(conn, actor, id)?;
    let rows: Vec<(i64, PayableRow)> = payment_batch_items::table
        .inner_join(payables::table)
        .filter(payment_batch_items::batch_id.eq(&batch.id))
        .order(payables::due_date.asc())
        .select((payment_batch_items::amount, PayableRow::as_select()))
        .load(conn)?;
    let org_ids: Vec<&str> = rows.iter().flat_map(|(_, p)| [p.supplier_id.as_str(), p.hospital_id.as_str()]).collect();
    let orgs = crate::identity::OrgNames::load(conn, &org_ids)?;
    let users = crate::identity::user_names(
        conn,
        [&batch.prepared_by, &batch.approved_by].into_iter().flatten().map(|s| s.as_str()),
    )?;
    let items = rows
        .into_iter()
        .map(|(amount, p)| PaymentBatchItem {
            stage: p.stage_now().to_string(),
            payable_id: p.id,
            payable_no: p.payable_no,
            supplier_name: orgs.reference(&p.supplier_id).name,
            supplier_id: p.supplier_id,
            hospital_name: orgs.reference(&p.hospital_id).name,
            hospital_id: p.hospital_id,
            amount: Money::from_fen(amount),
            due_date: p.due_date,
            bank_reference: p.bank_reference,
        })
        .collect();
    let name = |id: &Option<String>| id.as_ref().and_then(|u| users.get(u).cloned());
    Ok(PaymentBatchView {
        total: Money::from_fen(batch.total_amount),
        prepared_by_name: name(&batch.prepared_by),
        approved_by_name: name(&batch.approved_by),
        batch,
        items,
    })
}

pub fn list_batches(
    conn: &mut DbConnection,
    actor: &Actor,
    status: Option<&str>,
    page: PageRequest,
) -> DomainResult<Page<PaymentBatchRow>> {
    actor.require(&[Role::FundOfficer, Role::BureauOfficer], "see payment batches")?;
    let region = actor.region()?.to_string();
    let filtered = || {
        let mut q = payment_batches::table.filter(payment_batches::region_id.eq(region.clone())).into_boxed();
        if let Some(s) = status {
            q = q.filter(payment_batches::status.eq(s.to_string()));
        }
        q
    };
    let total = filtered().count().get_result::<i64>(conn)?;
    let items = filtered()
        .order((payment_batches::created_at.desc(), payment_batches::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(PaymentBatchRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}

/// A fund officer prepares a batch of chosen confirmed payables (the maker).
pub fn prepare_new_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    payable_ids: Vec<String>,
    now: DateTime<Utc>,
) -> DomainResult<PaymentBatchView> {
    actor.require(&[Role::FundOfficer], "prepare payment batches")?;
    let region = actor.region()?.to_string();
    if payable_ids.is_empty() || payable_ids.len() > 5000 {
        return Err(DomainError::invalid(ErrorCode::InvalidBody, "payable_ids", "choose 1 to 5000 payables"));
    }
    let id = write_tx(conn, |conn| {
        let eligible = eligible_payables(conn, &region, Some(&payable_ids), shanghai_date(now))?;
        if eligible.len() != payable_ids.len() {
            let ok: std::collections::HashSet<&str> = eligible.iter().map(|p| p.id.as_str()).collect();
            let bad: Vec<&String> = payable_ids.iter().filter(|id| !ok.contains(id.as_str())).collect();
            return Err(DomainError::invalid(
                ErrorCode::PayableNotEligible,
                "payable_ids",
                "some payables are not confirmed, already batched, or not in your region",
            )
            .with_details(serde_json::json!({ "payable_ids": bad })));
        }
        create_batch(conn, actor, &region, eligible, None, now)
    })?;
    batch_view(conn, actor, &id)
}

/// The two signatures a batch takes: its maker's and its checker's.
#[derive(Clone, Copy)]
enum BatchStep {
    Prepare,
    Approve,
}

/// What a signature writes: the new status and its signer's columns (the other step's are
/// `None`, which diesel leaves out of the update).
#[derive(AsChangeset)]
#[diesel(table_name = payment_batches)]
struct BatchSignature<'a> {
    status: &'a str,
    prepared_by: Option<&'a str>,
    prepared_at: Option<NaiveDateTime>,
    approved_by: Option<&'a str>,
    approved_at: Option<NaiveDateTime>,
}

/// Moves a batch one status on under the officer's signature, audited; a conflict when it has
/// moved meanwhile.
fn sign_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    b: &PaymentBatchRow,
    step: BatchStep,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let (from, to, action, by_field) = match step {
        BatchStep::Prepare => ("proposed", "prepared", "prepare", "prepared_by"),
        BatchStep::Approve => ("prepared", "approved", "approve", "approved_by"),
    };
    let signed = (Some(actor.user_id.as_str()), Some(to_db(now)));
    let none = (None, None);
    let ((prepared_by, prepared_at), (approved_by, approved_at)) = match step {
        BatchStep::Prepare => (signed, none),
        BatchStep::Approve => (none, signed),
    };
    status_page::batch_written();
    let n = diesel::update(payment_batches::table.find(&b.id).filter(payment_batches::status.eq(from)))
        .set(BatchSignature { status: to, prepared_by, prepared_at, approved_by, approved_at })
        .execute(conn)?;
    if n != 1 {
        let message = if b.status == from {
            "the batch changed meanwhile".to_string()
        } else {
            format!("batch {} is {}, not {from}", b.batch_no, b.status)
        };
        return Err(DomainError::conflict(ErrorCode::BatchStatus, message));
    }
    audit::record(
        conn,
        AuditEntry::changed(
            actor,
            Some(&b.region_id),
            "payment_batch",
            &b.id,
            action,
            &serde_json::json!({"status": b.status}),
            &serde_json::json!({"status": to, by_field: actor.user_id}),
        ),
        now,
    )?;
    Ok(())
}

/// A fund officer's step on a batch, in one transaction; answers the batch as it then is.
fn batch_step(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    what: &str,
    step: impl FnOnce(&mut DbConnection, &PaymentBatchRow) -> DomainResult<()>,
) -> DomainResult<PaymentBatchView> {
    actor.require(&[Role::FundOfficer], what)?;
    write_tx(conn, |conn| {
        let b = find_batch(conn, actor, id)?;
        step(conn, &b)
    })?;
    batch_view(conn, actor, id)
}

/// A fund officer takes a proposed batch as its maker.
pub fn prepare_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> DomainResult<PaymentBatchView> {
    batch_step(conn, actor, id, "prepare payment batches", |conn, b| {
        sign_batch(conn, actor, b, BatchStep::Prepare, now)
    })
}

/// A second fund officer approves a prepared batch (the checker): the maker cannot.
pub fn approve_batch(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    now: DateTime<Utc>,
) -> DomainResult<PaymentBatchView> {
    batch_step(conn, actor, id, "approve payment batches", |conn, b| {
        if b.status != "prepared" {
            return Err(DomainError::conflict(
                ErrorCode::BatchStatus,
                format!("batch {} is {}; only a prepared batch is approved", b.batch_no, b.status),
            ));
        }
        if b.prepared_by.as_deref() == Some(actor.user_id.as_str()) {
            return Err(DomainError::Forbidden(Problem::new(
                ErrorCode::MakerChecker,
                "the officer who prepared a batch cannot approve it; another fund officer must",
            )));
        }
        sign_batch(conn, actor, b, BatchStep::Approve, now)?;
        diesel::update(
            payables::table.filter(payables::batch_id.eq(&b.id)).filter(payables::stage.eq_any(stage::BATCHABLE)),
        )
        .set(payables::stage.eq(stage::APPROVED))
        .execute(conn)?;
        Ok(())
    })
}

/// The bank payment file of an approved batch: one row per payment (payee, bank account,
/// amount, references), as CSV.
pub fn bank_file(conn: &mut DbConnection, actor: &Actor, id: &str) -> DomainResult<String> {
    actor.require(&[Role::FundOfficer], "download bank files")?;
    let view = batch_view(conn, actor, id)?;
    if !matches!(view.batch.status.as_str(), "approved" | "executed") {
        return Err(DomainError::conflict(ErrorCode::BatchStatus, "the bank file exists once the batch is approved"));
    }
    let supplier_ids: Vec<&str> = view.items.iter().map(|i| i.supplier_id.as_str()).collect();
    let orgs: std::collections::HashMap<String, (String, Option<String>, Option<String>)> = organizations::table
        .filter(organizations::id.eq_any(&supplier_ids))
        .select((organizations::id, organizations::name, organizations::bank_name, organizations::bank_account))
        .load::<(String, String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, n, b, a)| (id, (n, b, a)))
        .collect();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "batch_no",
        "payable_no",
        "payable_id",
        "payee",
        "bank_name",
        "bank_account",
        "amount_cny",
        "due_date",
    ])
    .map_err(|e| DomainError::Internal(e.to_string()))?;
    for i in &view.items {
        let (name, bank, account) = orgs.get(&i.supplier_id).cloned().unwrap_or_default();
        w.write_record([
            view.batch.batch_no.as_str(),
            &i.payable_no,
            &i.payable_id,
            &name,
            bank.as_deref().unwrap_or(""),
            account.as_deref().unwrap_or(""),
            &i.amount.to_string(),
            &i.due_date.to_string(),
        ])
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    }
    String::from_utf8(w.into_inner().map_err(|e| DomainError::Internal(e.to_string()))?)
        .map_err(|e| DomainError::Internal(e.to_string()))
}

// ---------------------------------------------------------------- payments

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaymentInput {
    pub payable_id: String,
    pub amount: Money,
    /// The payee (supplier organisation); checked against the payable.
    pub payee_id: String,
    /// The value date (default: today, Asia/Shanghai).
    #[serde(default)]
    pub paid_on: Option<NaiveDate>,
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = payments, treat_none_as_default_value = false)]
pub struct PaymentRow {
    pub id: String,
    pub bank_reference: String,
    pub payable_id: String,
    pub batch_id: String,
    pub region_id: String,
    pub payee_id: String,
    #[serde(serialize_with = "crate::money::ser_fen")]
    #[cfg_attr(feature = "openapi", schema(value_type = crate::money::Money))]
    pub amount: i64,
    pub paid_on: NaiveDate,
    pub recorded_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub recorded_at: NaiveDateTime,
}

/// Whether a recorded payment was new or a replay of the same bank reference.
pub enum PaymentOutcome {
    Recorded(PaymentRow),
    AlreadyRecorded(PaymentRow),
}

fn same_payment(existing: &PaymentRow, input: &PaymentInput) -> bool {
    existing.payable_id == input.payable_id.trim()
        && existing.amount == input.amount.fen()
        && existing.payee_id == input.payee_id.trim()
}

fn replay_or_conflict(existing: PaymentRow, input: &PaymentInput) -> DomainResult<PaymentOutcome> {
    if same_payment(&existing, input) {
        Ok(PaymentOutcome::AlreadyRecorded(existing))
    } else {
        Err(DomainError::Conflict(
            Problem::new(
                ErrorCode::BankReferenceConflict,
                format!("bank reference {} is already recorded for another payment", existing.bank_reference),
            )
            .details(serde_json::json!({
                "payable_id": existing.payable_id,
                "amount": Money::from_fen(existing.amount).to_string(),
                "payee_id": existing.payee_id,
            })),
        ))
    }
}

/// Records the execution of one payment of an approved batch, keyed by its bank reference:
/// the same reference with the same content is a no-op; with other content it is refused; a
/// payable is never paid twice nor beyond what is outstanding.
pub fn record_payment(
    conn: &mut DbConnection,
    actor: &Actor,
    bank_reference: &str,
    input: PaymentInput,
    now: DateTime<Utc>,
) -> DomainResult<PaymentOutcome> {
    actor.require(&[Role::FundOfficer], "record payments")?;
    let reference = bank_reference.trim().to_string();
    if reference.is_empty()
        || reference.len() > 64
        || !reference.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
    {
        return Err(DomainError::invalid(
            ErrorCode::InvalidBankReference,
            "bank_reference",
            "a bank reference has 1 to 64 letters, digits, '-', '_', '.' or '/'",
        ));
    }
    let region = actor.region()?.to_string();
    let today = shanghai_date(now);
    let paid_on = input.paid_on.unwrap_or(today);
    if paid_on > today {
        return Err(DomainError::invalid(
            ErrorCode::InvalidPaidOn,
            "paid_on",
            "a payment cannot be dated in the future",
        ));
    }
    let find_existing = |conn: &mut DbConnection| -> DomainResult<Option<PaymentRow>> {
        Ok(payments::table
            .filter(payments::bank_reference.eq(&reference))
            .filter(payments::region_id.eq(&region))
            .select(PaymentRow::as_select())
            .first(conn)
            .optional()?)
    };
    let attempt = write_tx(conn, |conn| {
        if let Some(existing) = find_existing(conn)? {
            return replay_or_conflict(existing, &input);
        }
        let p = visible_payable(conn, actor, input.payable_id.trim())?;
        let p = lock_payable(conn, &p.id)?;
        // A concurrent request may have recorded this reference while we waited for the lock.
        if let Some(existing) = find_existing(conn)? {
            return replay_or_conflict(existing, &input);
        }
        if p.stage == stage::PAID {
            return Err(DomainError::conflict(
                ErrorCode::AlreadyPaid,
                format!(
                    "payable {} is already paid (reference {})",
                    p.payable_no,
                    p.bank_reference.clone().unwrap_or_default()
                ),
            ));
        }
        if p.stage != stage::APPROVED {
            return Err(wrong_stage(&p, "in an approved payment batch"));
        }
        let approved_at: Option<NaiveDateTime> = payment_batches::table
            .find(p.batch_id.clone().unwrap_or_default())
            .select(payment_batches::approved_at)
            .first(conn)?;
        if let Some(approved_on) = approved_at.map(|t| shanghai_date(crate::clock::from_db(t))) {
            if paid_on < approved_on {
                return Err(DomainError::invalid(
                    ErrorCode::InvalidPaidOn,
                    "paid_on",
                    format!("the batch was approved on {approved_on}; a payment cannot be dated before"),
                ));
            }
        }
        if p.supplier_id != input.payee_id.trim() {
            return Err(DomainError::invalid(
                ErrorCode::PayeeMismatch,
                "payee_id",
                "the payee is not the payable's supplier",
            ));
        }
        let due_now = outstanding(&p);
        if input.amount != due_now {
            return Err(DomainError::Invalid(
                Problem::new(
                    ErrorCode::PaymentAmountMismatch,
                    format!("payable {} has {due_now} outstanding, not {}", p.payable_no, input.amount),
                )
                .field("amount")
                .details(serde_json::json!({"outstanding": due_now.to_string()})),
            ));
        }
        let row = PaymentRow {
            id: new_id(),
            bank_reference: reference.clone(),
            payable_id: p.id.clone(),
            batch_id: p.batch_id.clone().unwrap_or_default(),
            region_id: p.region_id.clone(),
            payee_id: p.supplier_id.clone(),
            amount: input.amount.fen(),
            paid_on,
            recorded_by: actor.user_id.clone(),
            recorded_at: to_db(now),
        };
        diesel::insert_into(payments::table)
            .values((
                payments::id.eq(&row.id),
                payments::bank_reference.eq(&row.bank_reference),
                payments::payable_id.eq(&row.payable_id),
                payments::batch_id.eq(&row.batch_id),
                payments::region_id.eq(&row.region_id),
                payments::payee_id.eq(&row.payee_id),
                payments::amount.eq(row.amount),
                payments::paid_on.eq(row.paid_on),
                payments::recorded_by.eq(&row.recorded_by),
                payments::recorded_at.eq(row.recorded_at),
            ))
            .execute(conn)?;
        // The delay and interest are final once paid.
        let (interest_policy, interest_policy_id): (InterestPolicy, String) =
            policy::params_in_force(conn, &p.region_id, LATE_INTEREST, p.due_date)?;
        // A part released by a withdrawn dispute waited on the dispute until its resolution,
        // then on the fund; interest adds to what an earlier payment already bore.
        let waited_until = match (p.confirmed_on, p.dispute_resolved_on) {
            (Some(c), Some(r)) if p.dispute_resolution.as_deref() == Some(DisputeOutcome::Withdrawn.as_str()) => {
                Some(c.max(r))
            }
            (c, _) => c,
        };
        let delay = attribute_delay(p.due_date, p.invoiced_on, waited_until, paid_on);
        let interest = Money::from_fen(
            (if p.paid_amount > 0 { p.interest } else { 0 })
                + late_interest(due_now, interest_policy.daily_rate, delay.fund).fen(),
        );
        diesel::update(payables::table.find(&p.id))
            .set((
                payables::stage.eq(stage::PAID),
                payables::paid_amount.eq(p.paid_amount + row.amount),
                payables::paid_on.eq(Some(paid_on)),
                payables::bank_reference.eq(Some(&reference)),
                payables::overdue_since.eq(if paid_on > p.due_date { p.due_date.succ_opt() } else { None }),
                payables::supplier_delay_days.eq(delay.supplier as i32),
                payables::hospital_delay_days.eq(delay.hospital as i32),
                payables::fund_delay_days.eq(delay.fund as i32),
                payables::interest.eq(interest.fen()),
                payables::interest_policy_id.eq(Some(&interest_policy_id)),
            ))
            .execute(conn)?;
        post_payment(conn, actor, &p, &row, now)?;
        // Lock the batch first: the last two payments of a batch recorded at once must not both
        // see the other unpaid.
        status_page::batch_written();
        diesel::update(payment_batches::table.find(&row.batch_id))
            .set(payment_batches::status.eq(payment_batches::status))
            .execute(conn)?;
        let open: i64 = payables::table
            .filter(payables::batch_id.eq(&row.batch_id))
            .filter(payables::stage.ne(stage::PAID))
            .count()
            .get_result(conn)?;
        if open == 0 {
            diesel::update(payment_batches::table.find(&row.batch_id))
                .set(payment_batches::status.eq("executed"))
                .execute(conn)?;
            audit::record(
                conn,
                AuditEntry::changed(
                    actor,
                    Some(&p.region_id),
                    "payment_batch",
                    &row.batch_id,
                    "executed",
                    &serde_json::json!({"status": "approved"}),
                    &serde_json::json!({"status": "executed"}),
                ),
                now,
            )?;
        }
        outbox::enqueue(conn, mails::payment_made(&p, &row, interest), now)?;
        audit::record(conn, AuditEntry::created(actor, Some(&p.region_id), "payment", &row.id, &row), now)?;
        audit_payable(
            conn,
            actor,
            &p,
            "pay",
            &serde_json::json!({"stage": p.stage}),
            &serde_json::json!({"stage": stage::PAID, "paid_on": paid_on, "bank_reference": reference, "delay": delay, "interest": interest}),
            now,
        )?;
        Ok(PaymentOutcome::Recorded(row))
    });
    match attempt {
        // A concurrent request with this reference committed first: replay or refuse against it.
        Err(DomainError::Database(e)) if crate::db::is_unique_violation(&e) => match find_existing(conn)? {
            Some(existing) => replay_or_conflict(existing, &input),
            None => Err(DomainError::conflict(
                ErrorCode::BankReferenceConflict,
                "this bank reference is already recorded, or the payable was paid meanwhile",
            )),
        },
        other => other,
    }
}

/// A change in what a payable owes the supplier, as the fund's journal records it.
pub(crate) enum Owed {
    /// The payable arose: the fund owes the supplier on the hospital's behalf and will net the
    /// same out of the hospital's money (on the acceptance date).
    Recognised,
    /// The supplier credited a disputed part: owed by nobody any more (on the resolution date).
    Credited(Money, NaiveDate),
}

pub(crate) fn post_owed(
    conn: &mut DbConnection,
    actor: &Actor,
    p: &PayableRow,
    change: Owed,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let (kind, what, amount, date) = match change {
        Owed::Recognised => (
            "payable_recognised",
            "owed to the supplier on the hospital's behalf",
            Money::from_fen(p.amount),
            p.acceptance_date,
        ),
        Owed::Credited(amount, on) => ("payable_credited", "disputed part credited by the supplier", amount, on),
    };
    if amount == Money::ZERO {
        return Ok(());
    }
    let (h, s) = (Some(p.hospital_id.as_str()), Some(p.supplier_id.as_str()));
    let postings = match change {
        Owed::Recognised => vec![
            Posting::debit(Account::HospitalOffsetDue, h, amount),
            Posting::credit(Account::SupplierPayable, s, amount),
        ],
        Owed::Credited(..) => vec![
            Posting::debit(Account::SupplierPayable, s, amount),
            Posting::credit(Account::HospitalOffsetDue, h, amount),
        ],
    };
    let entry = Entry {
        region_id: &p.region_id,
        date,
        kind,
        memo: format!("payable {}: {what}", p.payable_no),
        source_type: "payable",
        source_id: &p.id,
        postings,
    };
    ledger::post(conn, Some(actor), entry, now)?;
    Ok(())
}

/// The journal of a direct payment: the hospital's cover (prepayment first, then its monthly
/// settlement, the rest a receivable) clears what was due from it, then the fund pays the
/// supplier.
fn post_payment(
    conn: &mut DbConnection,
    actor: &Actor,
    p: &PayableRow,
    pay: &PaymentRow,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    // Two payments for one hospital must not both draw the same prepayment.
    crate::db::lock_key(conn, &format!("ledger:{}", p.hospital_id))?;
    let amount = Money::from_fen(pay.amount);
    let prepay = ledger::balance(conn, &p.region_id, Account::HospitalPrepayment, Some(&p.hospital_id), pay.paid_on)?;
    let settle = ledger::balance(conn, &p.region_id, Account::HospitalSettlement, Some(&p.hospital_id), pay.paid_on)?;
    let offset = ledger::split_offset(amount, prepay, settle);
    let h = Some(p.hospital_id.as_str());
    let s = Some(p.supplier_id.as_str());
    let entry = |kind, memo, postings| Entry {
        region_id: &p.region_id,
        date: pay.paid_on,
        kind,
        memo,
        source_type: "payment",
        source_id: &pay.id,
        postings,
    };
    let cover = entry(
        "direct_payment_cover",
        format!("payable {}: cover on the hospital's behalf", p.payable_no),
        vec![
            Posting::debit(Account::HospitalPrepayment, h, offset.from_prepayment),
            Posting::debit(Account::HospitalSettlement, h, offset.from_settlement),
            Posting::debit(Account::HospitalReceivable, h, offset.receivable),
            Posting::credit(Account::HospitalOffsetDue, h, amount),
        ],
    );
    let paid = entry(
        "direct_payment",
        format!("payable {}: paid, bank reference {}", p.payable_no, pay.bank_reference),
        vec![Posting::debit(Account::SupplierPayable, s, amount), Posting::credit(Account::Fund, None, amount)],
    );
    for e in [cover, paid] {
        ledger::post(conn, Some(actor), e, now)?;
    }
    Ok(())
}

// ---------------------------------------------------------------- deadline enforcement

#[derive(Clone, Debug, Default, Serialize)]
pub struct WatchCounts {
    pub reminders: i64,
    pub newly_overdue: i64,
    pub delays_updated: i64,
}

/// Who an unsettled payable waits on, by stage: (organisation, roles, party name), given each
/// region's bureau.
fn waiting_on<'a>(
    bureaus: &'a HashMap<String, String>,
    p: &'a PayableRow,
) -> Option<(&'a str, &'static [&'static str], &'static str)> {
    match p.stage.as_str() {
        stage::AWAITING_INVOICE => Some((&p.supplier_id, &["supplier"], "supplier")),
        stage::AWAITING_CONFIRMATION => Some((&p.hospital_id, &["hospital_buyer"], "hospital")),
        _ => bureaus.get(&p.region_id).map(|b| (b.as_str(), &["fund_officer"][..], "fund")),
    }
}

/// Each region's bureau (as [`bureau_of`] finds it), for jobs that mail many payables.
fn bureaus(conn: &mut DbConnection) -> DomainResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    let rows: Vec<(Option<String>, String)> = organizations::table
        .filter(organizations::kind.eq(OrgKind::Bureau.as_str()))
        .select((organizations::region_id, organizations::id))
        .load(conn)?;
    for (region, id) in rows {
        if let Some(region) = region {
            out.entry(region).or_insert(id);
        }
    }
    Ok(out)
}

/// The regions a job covers: the one it was run for, or every region. A job's queries name them,
/// so the payables' indexes, which lead with the region, are read by range (without it a
/// province's sweep read two whole indexes to find one day's rows).
fn job_regions(conn: &mut DbConnection, region: Option<&str>) -> DomainResult<Vec<String>> {
    Ok(match region {
        Some(r) => vec![r.to_string()],
        None => regions::table.select(regions::id).order(regions::id).load(conn)?,
    })
}

/// The deadline watch for one day: reminders at D-7 and D-3 to whoever the payable waits on,
/// and payables newly past due marked overdue, with their delay attribution and interest, and an
/// alert to the bureau. Its work is the day's: payables already overdue are brought up to date
/// by the late-interest run ([`accrue_interest`]), and every view computes their delay as of
/// today. Safe to repeat for the same date.
pub fn deadline_watch(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<WatchCounts> {
    watch(conn, region, as_of, now, true)
}

/// Late interest: brings every overdue payable's delay attribution and interest up to `as_of`
/// (the deadline watch does it only for the payables it marks overdue). The run rewrites each
/// overdue payable, every day, so it vacuums the table after it: otherwise the index-only scans
/// of payables (retention's on-time count) read those pages from the heap until autovacuum comes
/// by, which at its default threshold (dead rows for a fifth of the table) is days of daily runs
/// later (the figures: docs/benchmarks.md, "Why the code is as it is").
pub fn accrue_interest(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<WatchCounts> {
    let counts = watch(conn, region, as_of, now, false)?;
    crate::db::vacuum(conn, "payables")?;
    Ok(counts)
}

fn watch(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    notify: bool,
) -> DomainResult<WatchCounts> {
    write_tx(conn, |conn| {
        crate::db::job_lock(conn, "deadline-watch")?;
        if notify {
            crate::db::without_jit(conn)?;
        }
        let mut counts = WatchCounts::default();
        let regions = job_regions(conn, region)?;
        let unsettled = || {
            // The literal predicate lets the partial indexes of unsettled payables serve it,
            // the regions their leading column.
            payables::table
                .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(stage::UNSETTLED_SQL))
                .filter(payables::region_id.eq_any(&regions))
                .select(PayableRow::as_select())
                .into_boxed()
        };
        let soon: Vec<PayableRow> = if notify {
            unsettled()
                .filter(payables::due_date.gt(as_of))
                .filter(payables::due_date.le(as_of + chrono::Days::new(7)))
                .load(conn)?
        } else {
            vec![]
        };
        let bureaus = bureaus(conn)?;
        let mut reminders = Vec::new();
        for p in &soon {
            let left = (p.due_date - as_of).num_days();
            let mark = if left <= 3 { 3 } else { 7 };
            let Some((org, roles, party)) = waiting_on(&bureaus, p) else { continue };
            reminders.push(mails::payable_at_risk(p, left, mark, org, roles, party));
        }
        counts.reminders += outbox::enqueue_many(conn, reminders, now)?;
        // The watch takes the payables not yet marked (index `payables_not_yet_overdue`); the
        // interest run, every overdue one (a province's backlog: 275,000). Their ids first, then
        // the rows a page at a time, so what the job holds does not grow with the backlog.
        let mut late_ids = unsettled().filter(payables::due_date.lt(as_of));
        if notify {
            late_ids = late_ids.filter(payables::overdue_since.is_null());
        }
        let late_ids: Vec<String> = late_ids.select(payables::id).load(conn)?;
        for page in late_ids.chunks(WATCH_PAGE) {
            watch_page(conn, page, &bureaus, as_of, now, notify, &mut counts)?;
        }
        Ok(counts)
    })
}

/// Rows of overdue payables the watch holds at once.
const WATCH_PAGE: usize = 5_000;

/// One page of the watch: each payable's delay and interest brought up to `as_of`; the newly
/// overdue marked, their parties told and the change audited.
fn watch_page(
    conn: &mut DbConnection,
    ids: &[String],
    bureaus: &HashMap<String, String>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
    notify: bool,
    counts: &mut WatchCounts,
) -> DomainResult<()> {
    let late: Vec<PayableRow> =
        payables::table.filter(payables::id.eq_any(ids)).select(PayableRow::as_select()).load(conn)?;
    let interest_rates: std::collections::HashMap<String, (InterestPolicy, String)> = {
        let mut m = std::collections::HashMap::new();
        for p in &late {
            let key = format!("{}:{}", p.region_id, p.due_date);
            if let std::collections::hash_map::Entry::Vacant(slot) = m.entry(key) {
                slot.insert(policy::params_in_force(conn, &p.region_id, LATE_INTEREST, p.due_date)?);
            }
        }
        m
    };
    // Rows whose figures change, grouped by their new figures: one UPDATE per group and
    // 500 ids (overdue payables waiting on the supplier share their figures by due date).
    type Figures = (Option<NaiveDate>, i32, i32, i32, i64, String);
    let mut groups: HashMap<Figures, Vec<&str>> = HashMap::new();
    let mut alerts = Vec::new();
    let mut newly_overdue: Vec<&PayableRow> = Vec::new();
    for p in &late {
        let delay = attribute_delay(p.due_date, p.invoiced_on, p.confirmed_on, as_of);
        let (rate, rate_id) = &interest_rates[&format!("{}:{}", p.region_id, p.due_date)];
        let interest = late_interest(outstanding(p), rate.daily_rate, delay.fund);
        let first_time = p.overdue_since.is_none();
        let figures: Figures = (
            if notify { p.overdue_since.or(p.due_date.succ_opt()) } else { p.overdue_since },
            delay.supplier as i32,
            delay.hospital as i32,
            delay.fund as i32,
            interest.fen(),
            rate_id.clone(),
        );
        let current = (
            p.overdue_since,
            p.supplier_delay_days,
            p.hospital_delay_days,
            p.fund_delay_days,
            p.interest,
            p.interest_policy_id.clone().unwrap_or_default(),
        );
        if figures != current {
            groups.entry(figures).or_default().push(&p.id);
        }
        counts.delays_updated += 1;
        if first_time && notify {
            counts.newly_overdue += 1;
            newly_overdue.push(p);
            if let Some(bureau) = bureaus.get(&p.region_id) {
                alerts.push(mails::overdue_alert(p, bureau));
            }
            alerts.push(mails::payable_overdue(p));
        }
    }
    for ((overdue_since, supplier_days, hospital_days, fund_days, interest, rate_id), ids) in &groups {
        for chunk in ids.chunks(500) {
            diesel::update(
                payables::table
                    .filter(payables::id.eq_any(chunk))
                    .filter(payables::stage.ne_all([stage::PAID, stage::NOTHING_DUE])),
            )
            .set((
                payables::overdue_since.eq(overdue_since),
                payables::supplier_delay_days.eq(supplier_days),
                payables::hospital_delay_days.eq(hospital_days),
                payables::fund_delay_days.eq(fund_days),
                payables::interest.eq(interest),
                payables::interest_policy_id.eq(Some(rate_id)),
            ))
            .execute(conn)?;
        }
    }
    outbox::enqueue_many(conn, alerts, now)?;
    let system = Actor::system(String::new(), String::new());
    let events = newly_overdue
        .into_iter()
        .map(|p| {
            AuditEntry::changed(
                &system,
                Some(&p.region_id),
                "payable",
                &p.id,
                "overdue",
                &serde_json::json!({"overdue_since": null}),
                &serde_json::json!({"overdue_since": p.due_date.succ_opt(), "stage": p.stage_now()}),
            )
        })
        .collect();
    audit::record_many(conn, events, now)?;
    Ok(())
}
