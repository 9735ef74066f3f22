//! Demand reporting (需求量报送): each hospital of a supply region reports its annual demand
//! per generic, or for one brand of it. A report below the policy's share (80%) of the
//! hospital's past use on the platform needs a reason. The bureau sees totals per generic and
//! region, can send a report back, and locks the base by publishing the tender.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::catalog::at_index;
use crate::clock::to_db;
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::{
    acceptances, deliveries, delivery_lines, order_lines, organizations, products, tender_demands, tender_generics,
};

use super::store::{self, DemandRow, TenderStatus};

/// One line of a hospital's report.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDemand {
    pub generic_id: String,
    /// A brand: the catalogue code of one product of the generic; none reports by generic.
    #[serde(default)]
    pub product_code: Option<String>,
    /// Annual demand in minimum units (e.g. tablets).
    pub quantity: i64,
    /// Required when the quantity is below the policy's share of past use.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A report line as read back.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandView {
    pub id: String,
    pub generic_id: String,
    pub generic_name: String,
    pub hospital_id: String,
    pub hospital_name: String,
    pub region_id: String,
    pub product_code: Option<String>,
    pub quantity: i64,
    /// Minimum units the hospital accepted of the generic on the platform in the 12 months
    /// before the tender was drafted; none without history.
    pub past_use: Option<i64>,
    pub reason: Option<String>,
    pub status: String,
    pub return_reason: Option<String>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub updated_at: chrono::NaiveDateTime,
}

/// Minimum units of `generic` the hospital accepted in the year before `before`.
fn past_use(
    conn: &mut DbConnection,
    hospital_id: &str,
    generic: &str,
    before: chrono::NaiveDateTime,
) -> DomainResult<Option<i64>> {
    let from = before.date() - chrono::Days::new(365);
    let quantities: Vec<Option<i64>> = delivery_lines::table
        .inner_join(deliveries::table)
        .inner_join(order_lines::table.inner_join(products::table))
        .inner_join(acceptances::table.on(acceptances::delivery_id.eq(deliveries::id)))
        .filter(deliveries::hospital_id.eq(hospital_id))
        .filter(products::generic_name.eq(generic))
        .filter(acceptances::status.eq("confirmed"))
        .filter(acceptances::acceptance_date.ge(from))
        .filter(acceptances::acceptance_date.lt(before.date()))
        .select(delivery_lines::accepted_qty)
        .load(conn)?;
    let total: i64 = quantities.into_iter().flatten().sum();
    Ok(Some(total).filter(|t| *t > 0))
}

/// Reports (or corrects) a hospital's demand, all lines or none, while demand is open.
pub fn report(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    lines: Vec<NewDemand>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<DemandView>> {
    actor.require(&[Role::HospitalBuyer], "report demand")?;
    let region_id = actor.region()?.to_string();
    write_tx(conn, |conn| {
        let tender = store::visible_tender(conn, actor, tender_id)?;
        super::require_stage(&tender, &[TenderStatus::DemandReporting])?;
        if to_db(now) >= tender.demand_closes_at {
            return Err(DomainError::conflict(ErrorCode::DemandWindowClosed, "the demand window has closed"));
        }
        let rules = tender.rules()?;
        if lines.is_empty() {
            return Err(DomainError::invalid(ErrorCode::DemandRequired, "lines", "report at least one line"));
        }
        let mut ids = Vec::with_capacity(lines.len());
        for (i, line) in lines.into_iter().enumerate() {
            let id = report_line(conn, actor, &tender, &region_id, rules.demand_floor, line, now)
                .map_err(|e| at_index(i, e))?;
            if ids.contains(&id) {
                return Err(at_index(
                    i,
                    DomainError::invalid(ErrorCode::DuplicateGeneric, "generic_id", "a generic is reported twice"),
                ));
            }
            ids.push(id);
        }
        views(conn, &ids)
    })
}

fn report_line(
    conn: &mut DbConnection,
    actor: &Actor,
    tender: &store::TenderRow,
    region_id: &str,
    floor: Decimal,
    line: NewDemand,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let generic = store::generic_of(conn, &tender.id, &line.generic_id, "generic_id")?;
    if !(0..=1_000_000_000_000).contains(&line.quantity) {
        return Err(DomainError::invalid(
            ErrorCode::InvalidQuantity,
            "quantity",
            "the quantity is a whole number from 0 to 10^12",
        ));
    }
    let product_id = match line.product_code.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(code) => Some(store::product_of_generic(conn, code, &generic.spec, None)?.0),
    };
    let past = past_use(conn, &actor.org_id, &generic.spec.generic_name, tender.created_at)?;
    let reason = line.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if let Some(past) = past {
        let floor_qty = (Decimal::from(past) * floor).ceil();
        if Decimal::from(line.quantity) < floor_qty && reason.is_none() {
            return Err(DomainError::invalid(
                ErrorCode::DemandBelowFloor,
                "reason",
                format!(
                    "{} is below {}% of your past use ({past}): give a reason",
                    line.quantity,
                    (floor * Decimal::from(100)).normalize()
                ),
            )
            .with_details(serde_json::json!({"past_use": past, "floor_quantity": floor_qty.to_string()})));
        }
    }
    let existing: Option<DemandRow> = tender_demands::table
        .filter(tender_demands::generic_id.eq(&generic.id))
        .filter(tender_demands::hospital_id.eq(&actor.org_id))
        .select(DemandRow::as_select())
        .first(conn)
        .optional()?;
    let row = DemandRow {
        id: existing.as_ref().map_or_else(new_id, |e| e.id.clone()),
        tender_id: tender.id.clone(),
        generic_id: generic.id.clone(),
        hospital_id: actor.org_id.clone(),
        region_id: region_id.to_string(),
        product_id,
        quantity: line.quantity,
        past_use: past,
        reason,
        status: "submitted".into(),
        return_reason: None,
        updated_by: actor.user_id.clone(),
        updated_at: to_db(now),
    };
    match &existing {
        None => {
            diesel::insert_into(tender_demands::table).values(&row).execute(conn)?;
            audit::record(
                conn,
                AuditEntry::created(actor, Some(region_id), "tender_demand", &row.id, &snapshot(&row)),
                now,
            )?;
        }
        Some(before) => {
            diesel::update(tender_demands::table.find(&row.id))
                .set((
                    tender_demands::product_id.eq(&row.product_id),
                    tender_demands::quantity.eq(row.quantity),
                    tender_demands::past_use.eq(row.past_use),
                    tender_demands::reason.eq(&row.reason),
                    tender_demands::status.eq(&row.status),
                    tender_demands::return_reason.eq(None::<String>),
                    tender_demands::updated_by.eq(&row.updated_by),
                    tender_demands::updated_at.eq(row.updated_at),
                ))
                .execute(conn)?;
            audit::record(
                conn,
                AuditEntry::changed(
                    actor,
                    Some(region_id),
                    "tender_demand",
                    &row.id,
                    "correct",
                    &snapshot(before),
                    &snapshot(&row),
                ),
                now,
            )?;
        }
    }
    Ok(row.id)
}

fn snapshot(r: &DemandRow) -> serde_json::Value {
    serde_json::json!({
        "generic_id": r.generic_id, "product_id": r.product_id, "quantity": r.quantity,
        "past_use": r.past_use, "reason": r.reason, "status": r.status, "return_reason": r.return_reason,
    })
}

/// Sends a report back to its hospital with a reason (the running bureau, while demand is open).
pub fn send_back(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    demand_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> DomainResult<DemandView> {
    let reason = crate::error::required_text(reason, "reason", 500)?;
    write_tx(conn, |conn| {
        let tender = store::own_tender(conn, actor, tender_id, "send demand back")?;
        super::require_stage(&tender, &[TenderStatus::DemandReporting])?;
        let before: DemandRow = tender_demands::table
            .filter(tender_demands::tender_id.eq(&tender.id))
            .filter(tender_demands::id.eq(demand_id))
            .select(DemandRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(DomainError::not_found("demand"))?;
        diesel::update(tender_demands::table.find(&before.id))
            .set((tender_demands::status.eq("returned"), tender_demands::return_reason.eq(Some(&reason))))
            .execute(conn)?;
        let mut after = before.clone();
        after.status = "returned".into();
        after.return_reason = Some(reason.clone());
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                Some(&before.region_id),
                "tender_demand",
                &before.id,
                "send_back",
                &snapshot(&before),
                &snapshot(&after),
            ),
            now,
        )?;
        Ok(views(conn, &[before.id])?.remove(0))
    })
}

/// Reports of a tender: a hospital's own; the running bureau's all, optionally by status.
pub fn list(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    status: Option<&str>,
    page: PageRequest,
) -> DomainResult<Page<DemandView>> {
    let tender = store::visible_tender(conn, actor, tender_id)?;
    let build = || {
        let mut q = tender_demands::table.filter(tender_demands::tender_id.eq(tender.id.clone())).into_boxed();
        match actor.role {
            Role::HospitalBuyer => q = q.filter(tender_demands::hospital_id.eq(actor.org_id.clone())),
            Role::BureauOfficer | Role::Admin => {}
            _ => q = q.filter(tender_demands::id.eq("")),
        }
        if let Some(s) = status {
            q = q.filter(tender_demands::status.eq(s.to_string()));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let ids: Vec<String> = build()
        .order((tender_demands::region_id.asc(), tender_demands::hospital_id.asc(), tender_demands::generic_id.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(tender_demands::id)
        .load(conn)?;
    Ok(Page::new(views(conn, &ids)?, page, total))
}

fn views(conn: &mut DbConnection, ids: &[String]) -> DomainResult<Vec<DemandView>> {
    let rows: Vec<(DemandRow, String, String, Option<String>)> = tender_demands::table
        .inner_join(tender_generics::table)
        .inner_join(organizations::table.on(organizations::id.eq(tender_demands::hospital_id)))
        .left_join(products::table.on(products::id.nullable().eq(tender_demands::product_id)))
        .filter(tender_demands::id.eq_any(ids))
        .select((DemandRow::as_select(), tender_generics::generic_name, organizations::name, products::code.nullable()))
        .load(conn)?;
    let mut by_id: std::collections::HashMap<String, DemandView> = rows
        .into_iter()
        .map(|(d, generic_name, hospital_name, product_code)| {
            (
                d.id.clone(),
                DemandView {
                    id: d.id,
                    generic_id: d.generic_id,
                    generic_name,
                    hospital_id: d.hospital_id,
                    hospital_name,
                    region_id: d.region_id,
                    product_code,
                    quantity: d.quantity,
                    past_use: d.past_use,
                    reason: d.reason,
                    status: d.status,
                    return_reason: d.return_reason,
                    updated_at: d.updated_at,
                },
            )
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Totals of reported demand by generic and region.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandTotal {
    pub generic_id: String,
    pub generic_name: String,
    pub region_id: String,
    pub hospitals: i64,
    pub quantity: i64,
    pub returned: i64,
}

/// Demand totals per generic and supply region (the running bureau).
pub fn totals(conn: &mut DbConnection, actor: &Actor, tender_id: &str) -> DomainResult<Vec<DemandTotal>> {
    let tender = store::own_tender(conn, actor, tender_id, "read demand totals")?;
    let rows: Vec<(String, String, String, String, i64)> = tender_demands::table
        .inner_join(tender_generics::table)
        .filter(tender_demands::tender_id.eq(&tender.id))
        .select((
            tender_demands::generic_id,
            tender_generics::generic_name,
            tender_demands::region_id,
            tender_demands::status,
            tender_demands::quantity,
        ))
        .load(conn)?;
    let mut out: Vec<DemandTotal> = Vec::new();
    for (generic_id, generic_name, region_id, status, qty) in rows {
        let i = match out.iter().position(|t| t.generic_id == generic_id && t.region_id == region_id) {
            Some(i) => i,
            None => {
                out.push(DemandTotal { generic_id, generic_name, region_id, hospitals: 0, quantity: 0, returned: 0 });
                out.len() - 1
            }
        };
        out[i].hospitals += 1;
        if status == "returned" {
            out[i].returned += 1;
        } else {
            out[i].quantity += qty;
        }
    }
    out.sort_by(|a, b| (&a.generic_name, &a.region_id).cmp(&(&b.generic_name, &b.region_id)));
    Ok(out)
}

/// The demand that counts, per region: submitted reports only (a returned one is not in the
/// base until corrected).
pub(crate) fn base_by_region(conn: &mut DbConnection, generic_id: &str) -> DomainResult<Vec<DemandRow>> {
    Ok(tender_demands::table
        .filter(tender_demands::generic_id.eq(generic_id))
        .filter(tender_demands::status.eq("submitted"))
        .order((tender_demands::region_id.asc(), tender_demands::hospital_id.asc()))
        .select(DemandRow::as_select())
        .load(conn)?)
}

// ---------------------------------------------------------------- a sheet of demand

/// The header a demand sheet uses for each field: the Chinese a bureau writes, or the API's name.
const SHEET_COLUMNS: [(&str, &[&str]); 4] = [
    ("generic_name", &["通用名", "品种", "generic_name", "generic"]),
    ("quantity", &["年需求量", "需求量", "数量", "quantity"]),
    ("product_code", &["品牌产品编码", "产品编码", "指定品牌", "product_code"]),
    ("reason", &["原因", "低于历史用量原因", "说明", "reason"]),
];

/// One bad cell of a sheet: its row as the spreadsheet numbers it (the header is row 1).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SheetError {
    pub row: usize,
    pub column: String,
    pub code: ErrorCode,
    pub message: String,
}

/// Reports demand from a sheet (a header row, then a line per generic), all rows or none: every
/// row of the wrong shape (unknown generic, a quantity that is not a whole number, a generic
/// twice) is listed with its reason; then the checks that need the database (brand, past use)
/// run as in `report`, and the first row they refuse is named.
pub fn report_sheet(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    table: &[Vec<String>],
    now: DateTime<Utc>,
) -> DomainResult<Vec<DemandView>> {
    actor.require(&[Role::HospitalBuyer], "report demand")?;
    let tender = store::visible_tender(conn, actor, tender_id)?;
    let Some((header, body)) = table.split_first() else {
        return Err(DomainError::invalid(
            ErrorCode::EmptySheet,
            "file",
            "the sheet is empty: a header row, then a row per generic",
        ));
    };
    let column = |field: &str| {
        let names = SHEET_COLUMNS.iter().find(|(f, _)| *f == field).map(|(_, n)| *n).unwrap_or(&[]);
        header.iter().position(|h| names.contains(&h.trim()))
    };
    let (Some(generic_col), Some(qty_col)) = (column("generic_name"), column("quantity")) else {
        return Err(DomainError::invalid(
            ErrorCode::MissingColumns,
            "file",
            "the header names the columns 通用名 (generic_name) and 年需求量 (quantity); 品牌产品编码 and 原因 are optional",
        ));
    };
    let (code_col, reason_col) = (column("product_code"), column("reason"));
    let generics = store::generics_of(conn, &tender.id)?;
    let cell = |row: &Vec<String>, col: Option<usize>| {
        col.and_then(|c| row.get(c)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    };
    let mut lines = Vec::new();
    let mut rows_of = Vec::new();
    let mut errors: Vec<SheetError> = Vec::new();
    let mut bad = |row: usize, column: &str, code: ErrorCode, message: String| {
        errors.push(SheetError { row, column: column.into(), code, message });
    };
    for (i, row) in body.iter().enumerate() {
        let row_no = i + 2;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let name = cell(row, Some(generic_col)).unwrap_or_default();
        let generic = generics.iter().find(|g| g.spec.generic_name == name);
        if generic.is_none() {
            bad(row_no, "通用名", ErrorCode::UnknownGeneric, format!("{name:?} is not a generic of this tender"));
        }
        let qty_text = cell(row, Some(qty_col)).unwrap_or_default();
        // Spreadsheets store whole numbers as floats: "120000" and "120000.0" are the same count.
        let qty = qty_text.strip_suffix(".0").unwrap_or(&qty_text).parse::<i64>().ok().filter(|q| *q >= 0);
        if qty.is_none() {
            bad(
                row_no,
                "年需求量",
                ErrorCode::InvalidQuantity,
                format!("{qty_text:?} is not a whole number of minimum units, 0 or more"),
            );
        }
        if let (Some(g), Some(q)) = (generic, qty) {
            if rows_of.iter().any(|(_, id): &(usize, String)| *id == g.id) {
                bad(row_no, "通用名", ErrorCode::DuplicateGeneric, format!("{name} is reported twice"));
                continue;
            }
            rows_of.push((row_no, g.id.clone()));
            lines.push(NewDemand {
                generic_id: g.id.clone(),
                product_code: cell(row, code_col),
                quantity: q,
                reason: cell(row, reason_col),
            });
        }
    }
    if errors.is_empty() && lines.is_empty() {
        return Err(DomainError::invalid(ErrorCode::DemandRequired, "file", "the sheet has no demand lines"));
    }
    // The checks that need the database (brand, past use), row by row, written only if all pass.
    if errors.is_empty() {
        match report(conn, actor, tender_id, lines, now) {
            Ok(views) => return Ok(views),
            Err(DomainError::Invalid(p)) => {
                let index = p
                    .field
                    .as_deref()
                    .and_then(|f| f.strip_prefix('['))
                    .and_then(|f| f.split(']').next())
                    .and_then(|i| i.parse::<usize>().ok());
                let row = index.and_then(|i| rows_of.get(i)).map_or(0, |(r, _)| *r);
                errors.push(SheetError {
                    row,
                    column: p.field.clone().unwrap_or_default(),
                    code: p.code,
                    message: p.message.clone(),
                });
            }
            Err(other) => return Err(other),
        }
    }
    let count = errors.len();
    Err(DomainError::invalid(
        ErrorCode::SheetRowsInvalid,
        "file",
        format!("{count} row(s) of the sheet are refused; nothing was written"),
    )
    .with_details(serde_json::json!({ "rows": errors })))
}
