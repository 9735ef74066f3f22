//! Payables (结算应付): one per confirmed acceptance, due by the region's deadline rule.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::AuditEntry;
use crate::catalog::OrgRef;
use crate::clock::{shanghai_date, to_db};
use crate::db::{unique_conflict, DbBackend, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{Actor, OrgNames, Role};
use crate::ids::{document_no, new_id};
use crate::money::Money;
use crate::paging::{CountRows, Page, PageRequest};
use crate::policy::{deadline_rule_in_force, DeadlineRule};
use crate::schema::payables;
use crate::settlement::{self, stage};

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = payables, treat_none_as_default_value = false)]
pub struct PayableRow {
    pub id: String,
    pub payable_no: String,
    pub acceptance_id: String,
    pub delivery_id: String,
    pub order_id: String,
    pub region_id: String,
    pub hospital_id: String,
    pub supplier_id: String,
    pub amount: i64,
    pub acceptance_date: NaiveDate,
    pub due_date: NaiveDate,
    pub deadline_policy_id: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    pub stage: String,
    pub invoiced_on: Option<NaiveDate>,
    pub confirm_deadline: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    pub confirmation: Option<String>,
    pub disputed_amount: i64,
    pub dispute_reason: Option<String>,
    pub paid_amount: i64,
    pub paid_on: Option<NaiveDate>,
    pub bank_reference: Option<String>,
    pub batch_id: Option<String>,
    pub overdue_since: Option<NaiveDate>,
    pub supplier_delay_days: i32,
    pub hospital_delay_days: i32,
    pub fund_delay_days: i32,
    pub interest: i64,
    pub interest_policy_id: Option<String>,
    pub confirmation_policy_id: Option<String>,
    /// The part of a dispute the supplier accepted (credited): no longer owed.
    pub credited_amount: i64,
    pub dispute_resolved_on: Option<NaiveDate>,
    /// `withdrawn` (by the hospital: paid later) or `credited` (by the supplier).
    pub dispute_resolution: Option<String>,
    /// The order's and the delivery's numbers, copied when the payable is created (both are
    /// immutable), so a list of payables needs no lookup of either.
    pub order_no: String,
    pub delivery_no: String,
    /// The lines its delivery was accepted with, as JSON ([`status_page::PayableItem`]), kept
    /// like the numbers above: the payment-status list reads them with the payable.
    ///
    /// [`status_page::PayableItem`]: crate::settlement::status_page::PayableItem
    #[serde(serialize_with = "crate::settlement::status_page::ser_items")]
    pub items: String,
}

impl PayableRow {
    /// The stage the payable is at ([`stage::of`]: `in_batch` is stored as a batch, not a stage).
    pub fn stage_now(&self) -> &str {
        stage::of(&self.stage, self.batch_id.as_deref())
    }
}

/// What settlement needs of a confirmed acceptance, handed over by ordering as plain data.
#[derive(Clone, Debug)]
pub struct AcceptedDelivery<'a> {
    pub acceptance_id: &'a str,
    pub acceptance_date: NaiveDate,
    pub delivery_id: &'a str,
    pub delivery_no: &'a str,
    pub order_id: &'a str,
    pub order_no: &'a str,
    pub region_id: &'a str,
    pub hospital_id: &'a str,
    pub supplier_id: &'a str,
    /// Σ accepted quantity × unit price, rounded half-up to the fen.
    pub amount: Money,
    /// The accepted lines, in delivery-line order.
    pub items: &'a [crate::settlement::status_page::PayableItem],
}

/// The due date of a payable accepted on a day, with the rule and version that set it: what an
/// acceptance form shows before the hospital confirms (the web app computes no rule itself).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueDate {
    pub accepted_on: NaiveDate,
    pub due_date: NaiveDate,
    pub rule: DeadlineRule,
    /// The `payment_deadline` policy version in force on `accepted_on`.
    pub policy_id: String,
}

/// The due date of a payable accepted on `accepted_on` in `region_id` ([`settlement::rules::due_date`]
/// under the deadline rule in force that day).
pub fn due_date_for(conn: &mut DbConnection, region_id: &str, accepted_on: NaiveDate) -> DomainResult<DueDate> {
    let (rule, policy_id) = deadline_rule_in_force(conn, region_id, accepted_on)?;
    Ok(DueDate { accepted_on, due_date: settlement::rules::due_date(rule, accepted_on), rule, policy_id })
}

/// Creates the payable of a confirmed acceptance: day 0 is the acceptance date; the due date
/// comes from the deadline rule in force in the region on that date. It keeps its order's and
/// its delivery's numbers.
/// Creates the payable of a confirmed acceptance and posts what is owed; its audit event joins
/// `events`, which the caller records.
pub fn create_for_acceptance<'a>(
    conn: &mut DbConnection,
    actor: &'a Actor,
    accepted: &AcceptedDelivery<'_>,
    events: &mut Vec<AuditEntry<'a>>,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    let AcceptedDelivery { acceptance_id, acceptance_date, amount, .. } = *accepted;
    let due = due_date_for(conn, accepted.region_id, acceptance_date)?;
    let stage = if amount == Money::ZERO { stage::NOTHING_DUE } else { stage::AWAITING_INVOICE };
    let row = PayableRow {
        id: new_id(),
        payable_no: document_no("AP", now),
        acceptance_id: acceptance_id.to_string(),
        delivery_id: accepted.delivery_id.to_string(),
        order_id: accepted.order_id.to_string(),
        region_id: accepted.region_id.to_string(),
        hospital_id: accepted.hospital_id.to_string(),
        supplier_id: accepted.supplier_id.to_string(),
        amount: amount.fen(),
        acceptance_date,
        due_date: due.due_date,
        deadline_policy_id: due.policy_id,
        created_at: to_db(now),
        stage: stage.into(),
        invoiced_on: None,
        confirm_deadline: None,
        confirmed_on: None,
        confirmation: None,
        disputed_amount: 0,
        dispute_reason: None,
        paid_amount: 0,
        paid_on: None,
        bank_reference: None,
        batch_id: None,
        overdue_since: None,
        supplier_delay_days: 0,
        hospital_delay_days: 0,
        fund_delay_days: 0,
        interest: 0,
        interest_policy_id: None,
        confirmation_policy_id: None,
        credited_amount: 0,
        dispute_resolved_on: None,
        dispute_resolution: None,
        order_no: accepted.order_no.to_string(),
        delivery_no: accepted.delivery_no.to_string(),
        items: crate::settlement::status_page::items_text(accepted.items),
    };
    diesel::insert_into(payables::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(ErrorCode::PayableExists, "this acceptance already has its payable")
        })
    })?;
    events.push(AuditEntry::created(actor, Some(&row.region_id), "payable", &row.id, &row).first_event());
    settlement::post_owed(conn, actor, &row, settlement::Owed::Recognised, now)?;
    Ok(row)
}

pub fn payable_ids_for_acceptances(
    conn: &mut DbConnection,
    acceptance_ids: &[&str],
) -> DomainResult<HashMap<String, String>> {
    if acceptance_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(payables::table
        .filter(payables::acceptance_id.eq_any(acceptance_ids))
        .select((payables::acceptance_id, payables::id))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayableView {
    pub id: String,
    pub payable_no: String,
    /// What the user sees: the stage, or `overdue` once unpaid past the due date.
    pub status: String,
    /// `awaiting_invoice`, `awaiting_hospital_confirmation`, `confirmed`, `disputed`, `in_batch`,
    /// `approved`, `paid` or `nothing_due`.
    pub stage: String,
    pub amount: Money,
    pub disputed_amount: Money,
    pub dispute_reason: Option<String>,
    /// Disputed amount the supplier credited (no longer owed).
    pub credited_amount: Money,
    /// `withdrawn` or `credited`, once a dispute is resolved.
    pub dispute_resolution: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub dispute_resolved_on: Option<NaiveDate>,
    /// Still to pay: amount less disputed less paid.
    pub outstanding: Money,
    #[serde(serialize_with = "crate::clock::ser_day")]
    pub acceptance_date: NaiveDate,
    #[serde(serialize_with = "crate::clock::ser_day")]
    pub due_date: NaiveDate,
    /// Days from today (Asia/Shanghai) to the due date; negative once overdue.
    pub days_remaining: i64,
    /// Days past the due date (until payment, or today while unpaid).
    pub days_overdue: i64,
    /// Those days, attributed to whoever the payable waited on.
    pub delay: crate::settlement::Delay,
    /// Late interest on the payer's days (as of the last interest run while unpaid; final once paid).
    pub interest: Money,
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub invoiced_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub confirm_deadline: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub confirmed_on: Option<NaiveDate>,
    /// `explicit` or `deemed` (silence past the window).
    pub confirmation: Option<String>,
    pub batch_id: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub paid_on: Option<NaiveDate>,
    pub paid_amount: Money,
    pub bank_reference: Option<String>,
    pub hospital: OrgRef,
    pub supplier: OrgRef,
    /// What it pays for: the accepted lines of the delivery, drug and quantity.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<crate::settlement::status_page::PayableItem>))]
    pub items: crate::settlement::status_page::PayableItems,
    /// The payment batch it is in, with its preparation and approval dates.
    pub batch: Option<crate::settlement::status_page::PayableBatch>,
    /// While unpaid: the fund pays by this date at the latest (the due date).
    #[serde(serialize_with = "crate::clock::ser_day_opt")]
    pub expected_payment_by: Option<NaiveDate>,
    pub order_id: String,
    pub order_no: String,
    pub delivery_id: String,
    pub delivery_no: String,
    pub acceptance_id: String,
    pub deadline_policy_id: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

/// Payables visible to the caller: a supplier its own (as payee), a hospital its own, bureau and
/// fund officers their region's.
pub(super) fn visible_payables<'a>(actor: &Actor) -> payables::BoxedQuery<'a, DbBackend> {
    let q = payables::table.into_boxed();
    match actor.role {
        Role::Admin => q,
        Role::Supplier => q.filter(payables::supplier_id.eq(actor.org_id.clone())),
        Role::HospitalBuyer => q.filter(payables::hospital_id.eq(actor.org_id.clone())),
        Role::BureauOfficer | Role::FundOfficer => {
            q.filter(payables::region_id.eq(actor.region_id.clone().unwrap_or_default()))
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PayableSort {
    #[default]
    DueDate,
    /// Overdue first, then due soonest; paid (and nothing due) last.
    Urgency,
    DueDateDesc,
    AcceptanceDate,
    AcceptanceDateDesc,
    Amount,
    AmountDesc,
}

#[derive(Clone, Debug, Default)]
pub struct PayableFilter {
    /// A display status: a stage, or `overdue`.
    pub status: Option<String>,
    /// A stage, whatever the due date.
    pub stage: Option<String>,
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    pub order_id: Option<String>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub sort: PayableSort,
}

fn views(conn: &mut DbConnection, rows: Vec<PayableRow>, today: NaiveDate) -> DomainResult<Vec<PayableView>> {
    // The order and delivery numbers are the payable's own; the names come from the kept names.
    let org_ids: Vec<&str> = rows.iter().flat_map(|p| [p.hospital_id.as_str(), p.supplier_id.as_str()]).collect();
    let names = OrgNames::load(conn, &org_ids)?;
    // A page's payables share a handful of batches: each is looked up once.
    let mut batch_ids: Vec<&str> = rows.iter().filter_map(|p| p.batch_id.as_deref()).collect();
    batch_ids.sort_unstable();
    batch_ids.dedup();
    let batches = crate::settlement::status_page::batches_of(conn, &batch_ids)?;
    rows.into_iter()
        .map(|mut p| {
            let items = crate::settlement::status_page::PayableItems::kept(&p.id, std::mem::take(&mut p.items))?;
            Ok(view(p, items, &names, &batches, today))
        })
        .collect()
}

fn view(
    p: PayableRow,
    items: crate::settlement::status_page::PayableItems,
    names: &OrgNames,
    batches: &HashMap<String, std::sync::Arc<crate::settlement::status_page::PayableBatch>>,
    today: NaiveDate,
) -> PayableView {
    PayableView {
        items,
        batch: p.batch_id.as_ref().and_then(|b| batches.get(b)).map(|b| (**b).clone()),
        expected_payment_by: (!settlement::stage::is_settled(&p.stage)).then_some(p.due_date),
        stage: p.stage_now().to_string(),
        days_remaining: (p.due_date - today).num_days(),
        hospital: names.reference(&p.hospital_id),
        supplier: names.reference(&p.supplier_id),
        status: settlement::display_status(p.stage_now(), p.due_date, today).to_string(),
        delay: if settlement::stage::is_settled(&p.stage) {
            settlement::Delay {
                supplier: p.supplier_delay_days.into(),
                hospital: p.hospital_delay_days.into(),
                fund: p.fund_delay_days.into(),
            }
        } else {
            settlement::attribute_delay(p.due_date, p.invoiced_on, p.confirmed_on, today)
        },
        days_overdue: (p.paid_on.unwrap_or(today) - p.due_date).num_days().max(0),
        outstanding: settlement::outstanding(&p),
        amount: Money::from_fen(p.amount),
        disputed_amount: Money::from_fen(p.disputed_amount),
        credited_amount: Money::from_fen(p.credited_amount),
        dispute_resolution: p.dispute_resolution.clone(),
        dispute_resolved_on: p.dispute_resolved_on,
        paid_amount: Money::from_fen(p.paid_amount),
        interest: Money::from_fen(p.interest),
        id: p.id,
        payable_no: p.payable_no,
        dispute_reason: p.dispute_reason,
        invoiced_on: p.invoiced_on,
        confirm_deadline: p.confirm_deadline,
        confirmed_on: p.confirmed_on,
        confirmation: p.confirmation,
        batch_id: p.batch_id,
        paid_on: p.paid_on,
        bank_reference: p.bank_reference,
        acceptance_date: p.acceptance_date,
        due_date: p.due_date,
        order_id: p.order_id,
        delivery_id: p.delivery_id,
        acceptance_id: p.acceptance_id,
        deadline_policy_id: p.deadline_policy_id,
        created_at: p.created_at,
        order_no: p.order_no,
        delivery_no: p.delivery_no,
    }
}

/// Payables at `stage` as [`PayableRow::stage_now`] reads it: `in_batch` is a confirmed or
/// disputed payable with a batch.
fn at_stage<'a>(q: payables::BoxedQuery<'a, DbBackend>, stage: &str) -> payables::BoxedQuery<'a, DbBackend> {
    let (stored, batched) = settlement::stage::stored_as(stage);
    let stored: Vec<String> = stored.into_iter().map(str::to_string).collect();
    let q = if stored.len() == 1 {
        q.filter(payables::stage.eq(stored[0].clone()))
    } else {
        q.filter(payables::stage.eq_any(stored))
    };
    match batched {
        Some(true) => q.filter(payables::batch_id.is_not_null()),
        Some(false) => q.filter(payables::batch_id.is_null()),
        None => q,
    }
}

pub fn list_payables(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &PayableFilter,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<PayableView>> {
    let today = shanghai_date(now);
    let build = || {
        let mut q = visible_payables(actor);
        match filter.status.as_deref() {
            None => {}
            Some(settlement::stage::OVERDUE) => {
                // The literal predicate lets the partial indexes of unsettled payables serve it.
                q = q
                    .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(settlement::stage::UNSETTLED_SQL))
                    .filter(payables::due_date.lt(today));
            }
            Some(v) => {
                q = at_stage(q, v);
                if !settlement::stage::is_settled(v) {
                    q = q.filter(payables::due_date.ge(today));
                }
            }
        }
        if let Some(v) = &filter.stage {
            q = at_stage(q, v);
        }
        if let Some(v) = &filter.hospital_id {
            q = q.filter(payables::hospital_id.eq(v.clone()));
        }
        if let Some(v) = &filter.supplier_id {
            q = q.filter(payables::supplier_id.eq(v.clone()));
        }
        if let Some(v) = &filter.order_id {
            q = q.filter(payables::order_id.eq(v.clone()));
        }
        if let Some(v) = filter.due_from {
            q = q.filter(payables::due_date.ge(v));
        }
        if let Some(v) = filter.due_to {
            q = q.filter(payables::due_date.le(v));
        }
        q
    };
    let q = build();
    let q = match filter.sort {
        PayableSort::DueDate => q.order((payables::due_date.asc(), payables::id.asc())),
        PayableSort::Urgency => q
            .order(diesel::dsl::sql::<diesel::sql_types::Integer>(settlement::stage::SETTLED_LAST_SQL))
            .then_order_by((payables::due_date.asc(), payables::id.asc())),
        PayableSort::DueDateDesc => q.order((payables::due_date.desc(), payables::id.desc())),
        PayableSort::AcceptanceDate => q.order((payables::acceptance_date.asc(), payables::id.asc())),
        PayableSort::AcceptanceDateDesc => q.order((payables::acceptance_date.desc(), payables::id.desc())),
        PayableSort::Amount => q.order((payables::amount.asc(), payables::id.asc())),
        PayableSort::AmountDesc => q.order((payables::amount.desc(), payables::id.desc())),
    };
    let rows = crate::paging::Paged::new(q.select(PayableRow::as_select()), page).load(conn)?;
    // A page that is not full ends the list: its total needs no count. Otherwise counting
    // every match costs a read of each (250,000 index entries for a distributor), so past this
    // page's offset count up to the cap and say whether the total is exact.
    let ends_the_list = (rows.len() as i64) < page.per_page && (!rows.is_empty() || page.offset() == 0);
    // A count taken a moment ago for the same caller and filter, with no write since, holds.
    let (counted, count_limit) = if ends_the_list {
        (page.offset() + rows.len() as i64, i64::MAX)
    } else {
        let limit = page.offset().saturating_add(crate::paging::COUNT_CAP);
        let key = format!(
            "payables|{:?}|{}|{:?}|{filter:?}|{today}|{}",
            actor.role,
            actor.org_id,
            actor.region_id,
            page.offset()
        );
        crate::paging::count_kept(key, limit, || CountRows(build().select(payables::id).limit(limit)).get_result(conn))?
    };
    Ok(Page::counted_up_to(views(conn, rows, today)?, page, counted, count_limit))
}

pub fn get_payable(conn: &mut DbConnection, actor: &Actor, id: &str, now: DateTime<Utc>) -> DomainResult<PayableView> {
    let row = visible_payables(actor)
        .filter(payables::id.eq(id.to_string()))
        .select(PayableRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("payable"))?;
    Ok(views(conn, vec![row], shanghai_date(now))?.pop().expect("one payable"))
}

/// At most this many rows in one export.
pub const MAX_EXPORT_ROWS: i64 = 100_000;

/// Every payable matching the filter (bounded), for CSV and XLSX exports.
pub fn export_rows(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &PayableFilter,
    now: DateTime<Utc>,
) -> DomainResult<Vec<PayableView>> {
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let p =
            list_payables(conn, actor, filter, PageRequest::new(Some(page), Some(crate::paging::MAX_PER_PAGE)), now)?;
        let done = p.items.len() < p.per_page as usize;
        out.extend(p.items);
        if done || out.len() as i64 >= MAX_EXPORT_ROWS {
            break;
        }
        page += 1;
    }
    out.truncate(MAX_EXPORT_ROWS as usize);
    Ok(out)
}

/// The export's columns: header (Chinese / English) and the cell of each row.
pub fn export_table(rows: &[PayableView], lang: &str) -> (Vec<&'static str>, Vec<Vec<String>>) {
    use crate::settlement::status_page::status_words;
    let header = vec![
        "应付编号 payable_no",
        "状态 status",
        "阶段 stage",
        "医疗机构 hospital",
        "企业 supplier",
        "订单 order_no",
        "送货单 delivery_no",
        "药品及数量 items",
        "支付批次 batch_no",
        "编入批次日 batch_prepared_on",
        "批次审批日 batch_approved_on",
        "最迟付款日 expected_payment_by",
        "金额 amount",
        "争议 disputed",
        "未付 outstanding",
        "验收日 acceptance_date",
        "到期日 due_date",
        "剩余天数 days_remaining",
        "逾期天数 days_overdue",
        "企业责任天数 supplier_days",
        "医院责任天数 hospital_days",
        "基金责任天数 fund_days",
        "逾期利息 interest",
        "开票日 invoiced_on",
        "确认日 confirmed_on",
        "确认方式 confirmation",
        "付款日 paid_on",
        "已付 paid_amount",
        "银行流水号 bank_reference",
    ];
    let opt = |d: &Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let body = rows
        .iter()
        .map(|p| {
            vec![
                p.payable_no.clone(),
                status_words(&p.status, lang),
                status_words(&p.stage, lang),
                p.hospital.name.clone(),
                p.supplier.name.clone(),
                p.order_no.clone(),
                p.delivery_no.clone(),
                p.items
                    .lines()
                    .unwrap_or_default()
                    .iter()
                    .map(|i| {
                        let packs =
                            i.packs.map(|n| if lang == "en" { format!(" ({n} packs)") } else { format!("（{n}盒）") });
                        format!(
                            "{} {} {}{}{}",
                            i.generic_name,
                            i.specification,
                            i.accepted_qty,
                            i.min_unit,
                            packs.unwrap_or_default()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                p.batch.as_ref().map(|b| b.batch_no.clone()).unwrap_or_default(),
                opt(&p.batch.as_ref().and_then(|b| b.prepared_on)),
                opt(&p.batch.as_ref().and_then(|b| b.approved_on)),
                opt(&p.expected_payment_by),
                p.amount.to_string(),
                p.disputed_amount.to_string(),
                p.outstanding.to_string(),
                p.acceptance_date.to_string(),
                p.due_date.to_string(),
                p.days_remaining.to_string(),
                p.days_overdue.to_string(),
                p.delay.supplier.to_string(),
                p.delay.hospital.to_string(),
                p.delay.fund.to_string(),
                p.interest.to_string(),
                opt(&p.invoiced_on),
                opt(&p.confirmed_on),
                p.confirmation.as_deref().map(|c| status_words(c, lang)).unwrap_or_default(),
                opt(&p.paid_on),
                p.paid_amount.to_string(),
                p.bank_reference.clone().unwrap_or_default(),
            ]
        })
        .collect();
    (header, body)
}

// ---------------------------------------------------------------- what the bureau watches

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthRate {
    /// `YYYY-MM` of the due date.
    pub month: String,
    /// Payables due that month that are paid.
    pub paid: i64,
    pub paid_on_time: i64,
    /// paid_on_time / paid, as a percentage with 2 decimals ("100.00"); none when nothing is paid.
    pub on_time_rate: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForecastDay {
    pub date: NaiveDate,
    /// Outstanding amount of unsettled payables due that day.
    pub due: Money,
    /// Running total from today.
    pub cumulative: Money,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettlementSummary {
    pub as_of: NaiveDate,
    /// On-time payment rate by month of due date, from 11 months back to the month 30 days ahead.
    pub months: Vec<MonthRate>,
    pub overdue_count: i64,
    pub overdue_amount: Money,
    /// Overdue days so far, by the party they waited on.
    pub overdue_days: crate::settlement::Delay,
    /// Unsettled amounts falling due in each of the next 30 days.
    pub forecast: Vec<ForecastDay>,
    /// Σ of the region's hospital prepayment balances, drawn first by direct payments.
    pub prepayment_reserved: Money,
}

/// The region's settlement figures (bureau and fund officers).
pub fn summary(conn: &mut DbConnection, actor: &Actor, now: DateTime<Utc>) -> DomainResult<SettlementSummary> {
    actor.require(&[Role::BureauOfficer, Role::FundOfficer], "read settlement figures")?;
    let region = actor.region()?.to_string();
    let today = shanghai_date(now);
    let first_month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("valid") - chrono::Months::new(11);
    let rows: Vec<PayableRow> = payables::table
        .filter(payables::region_id.eq(&region))
        .filter(payables::due_date.ge(first_month))
        .select(PayableRow::as_select())
        .load(conn)?;
    let mut months: std::collections::BTreeMap<String, (i64, i64)> = std::collections::BTreeMap::new();
    // Months of due dates, from 11 months back to the end of the 30-day horizon (payables due
    // next month may already be paid, early).
    let mut m = first_month;
    while m <= today + chrono::Days::new(30) {
        months.insert(m.format("%Y-%m").to_string(), (0, 0));
        m = m + chrono::Months::new(1);
    }
    let horizon = today + chrono::Days::new(30);
    let mut forecast: std::collections::BTreeMap<NaiveDate, i64> = std::collections::BTreeMap::new();
    let (mut overdue_count, mut overdue_amount) = (0i64, 0i64);
    let mut delay = crate::settlement::Delay::default();
    for p in rows {
        let (due, stage_now) = (p.due_date, p.stage.as_str());
        if stage_now == stage::PAID {
            if let Some(e) = months.get_mut(&due.format("%Y-%m").to_string()) {
                e.0 += 1;
                if p.paid_on.is_some_and(|paid| paid <= due) {
                    e.1 += 1;
                }
            }
            continue;
        }
        if stage_now == stage::NOTHING_DUE {
            continue;
        }
        let outstanding = crate::settlement::outstanding(&p).fen();
        if due < today {
            overdue_count += 1;
            overdue_amount += outstanding;
            let d = crate::settlement::attribute_delay(due, p.invoiced_on, p.confirmed_on, today);
            delay.supplier += d.supplier;
            delay.hospital += d.hospital;
            delay.fund += d.fund;
        } else if due <= horizon {
            *forecast.entry(due).or_default() += outstanding;
        }
    }
    let mut cumulative = 0i64;
    let mut days = Vec::new();
    let mut d = today;
    while d <= horizon {
        let due = forecast.get(&d).copied().unwrap_or(0);
        cumulative += due;
        days.push(ForecastDay { date: d, due: Money::from_fen(due), cumulative: Money::from_fen(cumulative) });
        d = d.succ_opt().expect("in range");
    }
    let prepayment_lines: Vec<(i64, i64)> = crate::schema::journal_lines::table
        .filter(crate::schema::journal_lines::region_id.eq(&region))
        .filter(crate::schema::journal_lines::account.eq("hospital_prepayment"))
        .filter(crate::schema::journal_lines::entry_date.le(today))
        .select((crate::schema::journal_lines::debit, crate::schema::journal_lines::credit))
        .load(conn)?;
    let reserved: i64 = prepayment_lines.iter().map(|(d, c)| c - d).sum();
    Ok(SettlementSummary {
        as_of: today,
        months: months
            .into_iter()
            .map(|(month, (paid, on_time))| MonthRate {
                month,
                paid,
                paid_on_time: on_time,
                on_time_rate: (paid > 0).then(|| {
                    format!("{:.2}", rust_decimal::Decimal::from(on_time * 100) / rust_decimal::Decimal::from(paid))
                }),
            })
            .collect(),
        overdue_count,
        overdue_amount: Money::from_fen(overdue_amount),
        overdue_days: delay,
        forecast: days,
        prepayment_reserved: Money::from_fen(reserved),
    })
}
