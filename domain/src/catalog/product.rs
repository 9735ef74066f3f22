//! Products: insurance codes, categories and consistency-evaluation standing.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::audit::{self, AuditEntry};
use crate::clock::to_db;
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{escape_like, required_text, Actor, Role};
use crate::ids::new_id;
use crate::paging::{Page, PageRequest};
use crate::schema::products;

use super::rules::{classify_code, Category};
use super::{at_index, bid_terms};

/// A product's standing in generic consistency evaluation (仿制药质量和疗效一致性评价): the
/// originator (原研药), a generic that passed (通过一致性评价), or one that has not (未通过).
/// Payment standards treat a generic that has not passed differently (domain.md section 10).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    Originator,
    Passed,
    NotPassed,
}

impl Consistency {
    pub const ALL: [Consistency; 3] = [Consistency::Originator, Consistency::Passed, Consistency::NotPassed];
    pub fn as_str(self) -> &'static str {
        match self {
            Consistency::Originator => "originator",
            Consistency::Passed => "passed",
            Consistency::NotPassed => "not_passed",
        }
    }
    pub fn parse(s: &str) -> Option<Consistency> {
        Consistency::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = products, treat_none_as_default_value = false)]
pub struct ProductRow {
    pub id: String,
    pub code: String,
    pub category: String,
    pub generic_name: String,
    pub generic_name_en: Option<String>,
    pub dosage_form: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
    /// `originator`, `passed` or `not_passed` (consistency evaluation); null when not recorded.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Consistency>))]
    pub consistency: Option<String>,
}

impl ProductRow {
    /// The recorded consistency-evaluation standing, if any.
    pub fn consistency(&self) -> Option<Consistency> {
        self.consistency.as_deref().and_then(Consistency::parse)
    }
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProduct {
    pub code: String,
    pub generic_name: String,
    #[serde(default)]
    pub generic_name_en: Option<String>,
    pub dosage_form: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    /// Consistency evaluation: `originator`, `passed` or `not_passed` (optional).
    #[serde(default)]
    pub consistency: Option<Consistency>,
}

fn product_row(input: NewProduct, now: DateTime<Utc>) -> DomainResult<ProductRow> {
    let (code, category) =
        classify_code(&input.code).map_err(|m| DomainError::invalid(ErrorCode::InvalidProductCode, "code", m))?;
    if !(1..=100_000).contains(&input.pack_size) {
        return Err(DomainError::invalid(
            ErrorCode::InvalidPackSize,
            "pack_size",
            "pack size is a whole number from 1 to 100000",
        ));
    }
    Ok(ProductRow {
        id: new_id(),
        code,
        category: category.as_str().into(),
        generic_name: required_text(&input.generic_name, "generic_name", 100)?,
        generic_name_en: input.generic_name_en.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        dosage_form: required_text(&input.dosage_form, "dosage_form", 50)?,
        specification: required_text(&input.specification, "specification", 100)?,
        pack_size: input.pack_size,
        min_unit: required_text(&input.min_unit, "min_unit", 10)?,
        created_at: to_db(now),
        consistency: input.consistency.map(|c| c.as_str().to_string()),
    })
}

/// Adds products to the shared catalogue (bureau officers and admins), all or none.
pub fn create_products(
    conn: &mut DbConnection,
    actor: &Actor,
    inputs: Vec<NewProduct>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<ProductRow>> {
    actor.require(&[Role::Admin, Role::BureauOfficer], "add products to the catalogue")?;
    let rows = inputs
        .into_iter()
        .enumerate()
        .map(|(i, p)| product_row(p, now).map_err(|e| at_index(i, e)))
        .collect::<DomainResult<Vec<_>>>()?;
    write_tx(conn, |conn| {
        for (i, row) in rows.iter().enumerate() {
            diesel::insert_into(products::table).values(row).execute(conn).map_err(|e| {
                unique_conflict(e, || {
                    at_index(
                        i,
                        DomainError::conflict(
                            ErrorCode::DuplicateProduct,
                            format!("product {} already exists", row.code),
                        ),
                    )
                })
            })?;
            audit::record(conn, AuditEntry::created(actor, actor.region_id.as_deref(), "product", &row.id, row), now)?;
        }
        Ok(rows.clone())
    })
}

/// Records (or clears, with `None`) a product's consistency-evaluation standing (bureau officers
/// and admins), audited with the value before and after.
pub fn set_consistency(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    consistency: Option<Consistency>,
    now: DateTime<Utc>,
) -> DomainResult<ProductRow> {
    actor.require(&[Role::Admin, Role::BureauOfficer], "record consistency evaluation")?;
    write_tx(conn, |conn| {
        let before = get_product(conn, id)?;
        let value = consistency.map(|c| c.as_str().to_string());
        diesel::update(products::table.find(&before.id)).set(products::consistency.eq(&value)).execute(conn)?;
        bid_terms::terms_changed();
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                actor.region_id.as_deref(),
                "product",
                &before.id,
                "consistency",
                &serde_json::json!({"consistency": before.consistency}),
                &serde_json::json!({"consistency": value}),
            ),
            now,
        )?;
        get_product(conn, &before.id)
    })
}

#[derive(Clone, Debug, Default)]
pub struct ProductFilter {
    pub q: Option<String>,
    pub category: Option<Category>,
    pub code: Option<String>,
}

/// The catalogue is shared reference data: every signed-in user may read it.
pub fn list_products(
    conn: &mut DbConnection,
    filter: &ProductFilter,
    page: PageRequest,
) -> DomainResult<Page<ProductRow>> {
    let build = || {
        let mut q = products::table.into_boxed();
        if let Some(c) = filter.category {
            q = q.filter(products::category.eq(c.as_str()));
        }
        if let Some(code) = &filter.code {
            q = q.filter(products::code.eq(code.trim().to_ascii_uppercase()));
        }
        if let Some(text) = filter.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let pattern = format!("%{}%", escape_like(text));
            q = q.filter(
                products::generic_name
                    .like(pattern.clone())
                    .escape('\\')
                    .or(products::generic_name_en.like(pattern.clone()).escape('\\'))
                    .or(products::code.like(pattern).escape('\\')),
            );
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let items = build()
        .order((products::generic_name.asc(), products::code.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(ProductRow::as_select())
        .load(conn)?;
    Ok(Page::new(items, page, total))
}

pub fn get_product(conn: &mut DbConnection, id: &str) -> DomainResult<ProductRow> {
    products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("product"))
}

pub(super) fn product_by_code(conn: &mut DbConnection, code: &str, field: &str) -> DomainResult<ProductRow> {
    let normalized = code.trim().to_ascii_uppercase();
    products::table
        .filter(products::code.eq(&normalized))
        .select(ProductRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| {
            DomainError::invalid(ErrorCode::UnknownProduct, field, format!("no product with code {normalized:?}"))
        })
}
