//! Spreadsheet import (Excel in): products, winning bids, agreed volumes, listed products,
//! retention inputs and monthly settlements from an XLSX or CSV sheet as the bureau or the fund
//! keeps it. Column
//! headers may be Chinese (通用名, 中选企业…) or the API's field names; references are by name
//! or code as people write them (a batch's name, an enterprise's name, a product's code or its
//! generic name, specification and pack), resolved here to ids.
//!
//! A run either previews or commits. Both check every row: the cells first (a number that is not
//! a number, a name that names nothing), then each row through the capability's own create
//! operation, in the sheet's order inside one transaction, so a row that repeats an earlier one
//! is refused as the database would refuse it. A preview then rolls everything back; a commit
//! keeps it only when no row is refused: all rows or none.

mod columns;
mod resolve;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::actor::{Actor, Role};
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
pub use columns::{Column, Kind, Parse};

/// One bad cell or row: its row as the spreadsheet numbers it (the header is row 1), the column
/// as the sheet names it, a stable code and a message.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub code: ErrorCode,
    pub message: String,
}

/// What an import found, and whether it wrote anything.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportReport {
    /// `products`, `winning-bids`, `agreed-volumes`, `listed-products`, `monthly-settlements` or
    /// `retention-inputs`.
    pub kind: String,
    /// Data rows read (blank rows skipped).
    pub rows: usize,
    /// Rows with no error.
    pub valid_rows: usize,
    /// Every refused cell or row, in sheet order.
    pub errors: Vec<RowError>,
    /// The sheet's columns the import used, and those it left unread.
    pub columns_used: Vec<String>,
    pub columns_ignored: Vec<String>,
    /// The first 20 rows as read, by the API's field names after resolving names to ids.
    pub preview: Vec<PreviewRow>,
    /// True when a commit wrote every row.
    pub committed: bool,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PreviewRow {
    pub row: usize,
    /// The cells by their header, as read.
    pub cells: Map<String, Value>,
}

/// Previews (`commit` false) or commits a sheet: `table` is its rows of cell texts, the header
/// first. A commit with any bad row writes nothing and answers 422 `sheet_has_errors` with the
/// report in `details`.
pub fn run(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: Kind,
    table: &[Vec<String>],
    commit: bool,
    now: DateTime<Utc>,
) -> DomainResult<ImportReport> {
    actor.require(kind.roles(), kind.what())?;
    let Some((header, body)) = table.split_first() else {
        return Err(DomainError::invalid(
            ErrorCode::EmptySheet,
            "file",
            "the sheet is empty: a header row, then a row per record",
        ));
    };
    let spec = kind.columns();
    let header: Vec<String> = header.iter().map(|h| h.trim().trim_start_matches('\u{feff}').to_string()).collect();
    let position = |c: &Column| header.iter().position(|h| c.headers.iter().any(|n| n.eq_ignore_ascii_case(h)));
    let found: Vec<(usize, &Column)> = spec.iter().filter_map(|c| position(c).map(|p| (p, c))).collect();
    let missing: Vec<&str> = spec
        .iter()
        .filter(|c| c.required && position(c).is_none() && !kind.has_alternative(c.field, &found))
        .map(|c| c.headers[0])
        .collect();
    if !missing.is_empty() {
        return Err(DomainError::invalid(
            ErrorCode::MissingColumns,
            "file",
            format!("the header lacks the column(s) {}; download the template for the names", missing.join("、")),
        )
        .with_details(serde_json::json!({"missing": missing})));
    }
    let used: Vec<usize> = found.iter().map(|(p, _)| *p).collect();
    let columns_used: Vec<String> = used.iter().map(|p| header[*p].clone()).collect();
    let columns_ignored: Vec<String> =
        header.iter().enumerate().filter(|(i, h)| !used.contains(i) && !h.is_empty()).map(|(_, h)| h.clone()).collect();

    let mut errors: Vec<RowError> = Vec::new();
    let mut report_rows = 0usize;
    let mut preview = Vec::new();
    let mut bad_rows = std::collections::BTreeSet::new();
    let mut outcome: Option<ImportReport> = None;
    let result = write_tx(conn, |conn| {
        let mut lookups = resolve::Lookups::new(actor);
        for (i, cells) in body.iter().enumerate() {
            let row = i + 2;
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            report_rows += 1;
            let text = |p: usize| cells.get(p).map(|s| s.trim().to_string()).unwrap_or_default();
            if preview.len() < 20 {
                let mut shown = Map::new();
                for (p, _) in &found {
                    shown.insert(header[*p].clone(), Value::String(text(*p)));
                }
                preview.push(PreviewRow { row, cells: shown });
            }
            // Cells first: each is read by its column's rule.
            let mut record = Map::new();
            let mut cell_errors = Vec::new();
            for (p, col) in &found {
                match columns::read(col, &text(*p)) {
                    Ok(Some(v)) => {
                        record.insert(col.field.to_string(), v);
                    }
                    Ok(None) if col.required && !kind.has_alternative(col.field, &found) => {
                        cell_errors.push(RowError {
                            row,
                            column: header[*p].clone(),
                            code: ErrorCode::Required,
                            message: format!("{} is required", header[*p]),
                        })
                    }
                    Ok(None) => {}
                    Err((code, message)) => {
                        cell_errors.push(RowError { row, column: header[*p].clone(), code, message })
                    }
                }
            }
            // Then names to ids, as the capability's create operation takes them.
            if cell_errors.is_empty() {
                match lookups.resolve(conn, kind, &mut record) {
                    Ok(()) => {}
                    Err(resolve::Unresolved::Refused((field, code, message))) => {
                        cell_errors.push(RowError { row, column: column_of(&header, &found, field), code, message })
                    }
                    Err(resolve::Unresolved::Failed(e)) => return Err(e),
                }
            }
            if !cell_errors.is_empty() {
                bad_rows.insert(row);
                errors.extend(cell_errors);
                continue;
            }
            // Then the row itself, through the operation users call one by one.
            let created = write_tx(conn, |conn| kind.create(conn, actor, Value::Object(record), now));
            match created {
                Ok(_) => {}
                // The database failing (a lost connection, a conflict with another transaction)
                // is not the sheet's problem: the import stops with it.
                Err(e) if !the_rows_problem(&e) => return Err(e),
                Err(e) => {
                    bad_rows.insert(row);
                    errors.push(row_error(row, &header, &found, e));
                }
            }
        }
        let report = ImportReport {
            kind: kind.as_str().into(),
            rows: report_rows,
            valid_rows: report_rows - bad_rows.len(),
            errors: std::mem::take(&mut errors),
            columns_used: columns_used.clone(),
            columns_ignored: columns_ignored.clone(),
            preview: std::mem::take(&mut preview),
            committed: commit && bad_rows.is_empty() && report_rows > 0,
        };
        let keep = report.committed;
        outcome = Some(report);
        if keep {
            Ok(())
        } else {
            Err(DomainError::conflict(ErrorCode::ImportRolledBack, "nothing written"))
        }
    });
    match (result, outcome) {
        (Ok(()), Some(report)) => Ok(report),
        (Err(DomainError::Conflict(p)), Some(report)) if p.code == ErrorCode::ImportRolledBack => {
            if commit && report.rows == 0 {
                return Err(DomainError::invalid(ErrorCode::EmptySheet, "file", "the sheet has a header and no rows"));
            }
            if commit {
                let n = report.errors.len();
                return Err(DomainError::invalid(
                    ErrorCode::SheetHasErrors,
                    "file",
                    format!("{n} problem(s) in the sheet: nothing was imported; fix them and import again"),
                )
                .with_details(serde_json::to_value(&report)?));
            }
            Ok(report)
        }
        (Err(e), _) => Err(e),
        (Ok(()), None) => Err(DomainError::Internal("import ended without a report".into())),
    }
}

/// The column a field came from, as the sheet names it.
fn column_of(header: &[String], found: &[(usize, &Column)], field: &str) -> String {
    // A product named by its generic name answers for its code; a winning bid named by its
    // product and enterprise, for its id.
    let fed_by: &[&str] = match field {
        "product_code" => &["product_code", "generic_name"],
        "winning_bid_id" => &["winning_bid_id", "generic_name", "product_code"],
        _ => &[],
    };
    found
        .iter()
        .find(|(_, c)| c.field == field)
        .or_else(|| fed_by.iter().find_map(|f| found.iter().find(|(_, c)| c.field == *f)))
        .map(|(p, _)| header[*p].clone())
        .unwrap_or_else(|| field.to_string())
}

/// A refusal of the create operation, placed on its row and column.
/// Whether a row's failed create is the row's problem, reported on it: a refusal of the
/// operation's, or a constraint of the database's that the operation does not translate.
fn the_rows_problem(e: &DomainError) -> bool {
    use diesel::result::{DatabaseErrorKind as K, Error};
    match e {
        DomainError::Invalid(_)
        | DomainError::Conflict(_)
        | DomainError::NotFound { .. }
        | DomainError::Forbidden(_) => true,
        DomainError::Database(Error::DatabaseError(kind, _)) => {
            matches!(kind, K::UniqueViolation | K::ForeignKeyViolation | K::CheckViolation | K::NotNullViolation)
        }
        _ => false,
    }
}

fn row_error(row: usize, header: &[String], found: &[(usize, &Column)], e: DomainError) -> RowError {
    let (code, message, field) = match e {
        DomainError::Invalid(p) | DomainError::Conflict(p) => (p.code, p.message, p.field),
        DomainError::NotFound { entity } => (ErrorCode::NotFound, format!("no such {entity}"), None),
        other => (ErrorCode::Refused, other.to_string(), None),
    };
    // `[0].pack_price` → `pack_price`; `supply_regions[1].region_code` → `supply_regions`.
    let field = field.map(|f| {
        let f = f.strip_prefix("[0].").unwrap_or(&f).to_string();
        f.split(['[', '.']).next().unwrap_or_default().to_string()
    });
    let message = message.strip_prefix("item 0: ").unwrap_or(&message).to_string();
    let column = field.map(|f| column_of(header, found, &f)).unwrap_or_default();
    RowError { row, column, code, message }
}

impl Kind {
    fn roles(self) -> &'static [Role] {
        match self {
            Kind::MonthlySettlements => &[Role::FundOfficer],
            Kind::Products => &[Role::Admin, Role::BureauOfficer],
            _ => &[Role::BureauOfficer],
        }
    }
    fn what(self) -> &'static str {
        match self {
            Kind::Products => "import products",
            Kind::WinningBids => "import winning bids",
            Kind::AgreedVolumes => "import agreed volumes",
            Kind::ListedProducts => "import listed products",
            Kind::MonthlySettlements => "import monthly settlements",
            Kind::RetentionInputs => "import retention inputs",
        }
    }
    /// Creates one row's record through the capability's own operation.
    fn create(self, conn: &mut DbConnection, actor: &Actor, record: Value, now: DateTime<Utc>) -> DomainResult<()> {
        match self {
            Kind::Products => crate::catalog::create_products(conn, actor, vec![parsed(record)?], now).map(drop),
            Kind::WinningBids => crate::catalog::create_winning_bids(conn, actor, vec![parsed(record)?], now).map(drop),
            Kind::AgreedVolumes => {
                crate::volumes::create_agreed_volumes(conn, actor, vec![parsed(record)?], now).map(drop)
            }
            Kind::ListedProducts => {
                crate::catalog::create_listed_products(conn, actor, vec![parsed(record)?], now).map(drop)
            }
            Kind::MonthlySettlements => {
                crate::ledger::record_monthly_settlement(conn, actor, parsed(record)?, now).map(drop)
            }
            Kind::RetentionInputs => {
                let mut record = record;
                let year = record.as_object_mut().and_then(|r| r.remove("agreement_year")).and_then(|y| y.as_i64());
                let year = year.and_then(|y| i16::try_from(y).ok()).unwrap_or(0);
                crate::retention::set_inputs(conn, actor, year, vec![parsed(record)?], now).map(drop)
            }
        }
    }
}

/// A resolved row as the operation's input.
fn parsed<T: serde::de::DeserializeOwned>(record: Value) -> DomainResult<T> {
    serde_json::from_value(record).map_err(|e| DomainError::invalid(ErrorCode::InvalidRow, "file", e.to_string()))
}
