//! Payables (结算应付): one per confirmed acceptance, due by the region's deadline rule.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::{self, AuditEntry};
use crate::catalog::OrgRef;
use crate::clock::{shanghai_date, to_db};
use crate::db::{unique_conflict, DbBackend, DbConnection};
use crate::delivery::DeliveryRow;
use crate::error::{DomainError, DomainResult};
use crate::identity::{Actor, OrgNames, Role};
use crate::ids::{document_no, new_id};
use crate::money::Money;
use crate::paging::{Page, PageRequest};
use crate::policy::deadline_rule_in_force;
use crate::schema::{deliveries, orders, payables};
use crate::settlement::{self, stage};

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = payables)]
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
}

/// Creates the payable of a confirmed acceptance: day 0 is the acceptance date; the due date
/// comes from the deadline rule in force in the region on that date.
pub(crate) fn create_for_acceptance(
    conn: &mut DbConnection,
    actor: &Actor,
    delivery: &DeliveryRow,
    acceptance_id: &str,
    acceptance_date: NaiveDate,
    amount: Money,
    now: DateTime<Utc>,
) -> DomainResult<PayableRow> {
    let (rule, policy_id) = deadline_rule_in_force(conn, &delivery.region_id, acceptance_date)?;
    let stage = if amount == Money::ZERO { stage::NOTHING_DUE } else { stage::AWAITING_INVOICE };
    let row = PayableRow {
        id: new_id(),
        payable_no: document_no("AP", now),
        acceptance_id: acceptance_id.to_string(),
        delivery_id: delivery.id.clone(),
        order_id: delivery.order_id.clone(),
        region_id: delivery.region_id.clone(),
        hospital_id: delivery.hospital_id.clone(),
        supplier_id: delivery.supplier_id.clone(),
        amount: amount.fen(),
        acceptance_date,
        due_date: rule.due_date(acceptance_date),
        deadline_policy_id: policy_id,
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
    };
    diesel::insert_into(payables::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || DomainError::conflict("payable_exists", "this acceptance already has its payable"))
    })?;
    audit::record(conn, AuditEntry::created(actor, Some(&row.region_id), "payable", &row.id, &row), now)?;
    Ok(row)
}

pub(crate) fn payable_ids_for_acceptances(
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
    /// Still to pay: amount less disputed less paid.
    pub outstanding: Money,
    pub acceptance_date: NaiveDate,
    pub due_date: NaiveDate,
    /// Days from today (Asia/Shanghai) to the due date; negative once overdue.
    pub days_remaining: i64,
    /// Days past the due date (until payment, or today while unpaid).
    pub days_overdue: i64,
    /// Those days, attributed to whoever the payable waited on.
    pub delay: crate::settlement::Delay,
    /// Late interest on the payer's days (as of the last interest run while unpaid; final once paid).
    pub interest: Money,
    pub invoiced_on: Option<NaiveDate>,
    pub confirm_deadline: Option<NaiveDate>,
    pub confirmed_on: Option<NaiveDate>,
    /// `explicit` or `deemed` (silence past the window).
    pub confirmation: Option<String>,
    pub batch_id: Option<String>,
    pub paid_on: Option<NaiveDate>,
    pub paid_amount: Money,
    pub bank_reference: Option<String>,
    pub hospital: OrgRef,
    pub supplier: OrgRef,
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
fn visible_payables<'a>(actor: &Actor) -> payables::BoxedQuery<'a, DbBackend> {
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
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    pub order_id: Option<String>,
    pub due_from: Option<NaiveDate>,
    pub due_to: Option<NaiveDate>,
    pub sort: PayableSort,
}

fn views(conn: &mut DbConnection, rows: Vec<PayableRow>, today: NaiveDate) -> DomainResult<Vec<PayableView>> {
    let org_ids: Vec<&str> = rows.iter().flat_map(|p| [p.hospital_id.as_str(), p.supplier_id.as_str()]).collect();
    let names = OrgNames::load(conn, &org_ids)?;
    let order_ids: Vec<&str> = rows.iter().map(|p| p.order_id.as_str()).collect();
    let order_nos: HashMap<String, String> = orders::table
        .filter(orders::id.eq_any(&order_ids))
        .select((orders::id, orders::order_no))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let delivery_ids: Vec<&str> = rows.iter().map(|p| p.delivery_id.as_str()).collect();
    let delivery_nos: HashMap<String, String> = deliveries::table
        .filter(deliveries::id.eq_any(&delivery_ids))
        .select((deliveries::id, deliveries::delivery_no))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let name = |id: &str| names.reference(id);
    Ok(rows
        .into_iter()
        .map(|p| PayableView {
            days_remaining: (p.due_date - today).num_days(),
            hospital: name(&p.hospital_id),
            supplier: name(&p.supplier_id),
            order_no: order_nos.get(&p.order_id).cloned().unwrap_or_default(),
            delivery_no: delivery_nos.get(&p.delivery_id).cloned().unwrap_or_default(),
            status: settlement::display_status(&p.stage, p.due_date, today).to_string(),
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
            paid_amount: Money::from_fen(p.paid_amount),
            interest: Money::from_fen(p.interest),
            id: p.id,
            payable_no: p.payable_no,
            stage: p.stage,
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
        })
        .collect())
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
                q = q
                    .filter(payables::stage.ne_all([settlement::stage::PAID, settlement::stage::NOTHING_DUE]))
                    .filter(payables::due_date.lt(today));
            }
            Some(v) => {
                q = q.filter(payables::stage.eq(v.to_string()));
                if !settlement::stage::is_settled(v) {
                    q = q.filter(payables::due_date.ge(today));
                }
            }
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
    let total = build().count().get_result::<i64>(conn)?;
    let q = build();
    let q = match filter.sort {
        PayableSort::DueDate => q.order((payables::due_date.asc(), payables::id.asc())),
        PayableSort::DueDateDesc => q.order((payables::due_date.desc(), payables::id.desc())),
        PayableSort::AcceptanceDate => q.order((payables::acceptance_date.asc(), payables::id.asc())),
        PayableSort::AcceptanceDateDesc => q.order((payables::acceptance_date.desc(), payables::id.desc())),
        PayableSort::Amount => q.order((payables::amount.asc(), payables::id.asc())),
        PayableSort::AmountDesc => q.order((payables::amount.desc(), payables::id.desc())),
    };
    let rows = q.limit(page.per_page).offset(page.offset()).select(PayableRow::as_select()).load(conn)?;
    Ok(Page::new(views(conn, rows, shanghai_date(now))?, page, total))
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
