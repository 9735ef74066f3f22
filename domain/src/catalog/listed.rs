//! Listed non-winning products (挂网产品): bought at their listed price, with a credit flag.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::audit::{self, AuditEntry};
use crate::clock::{shanghai_date, to_db};
use crate::credit::{self, enforce::RiskFlag};
use crate::db::{unique_conflict, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{Actor, OrgRow, Role};
use crate::ids::new_id;
use crate::money::{Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{batches, listed_products, organizations, products, winning_bids};

use super::bid::{bureau_inserts, check_prices, enterprise, flag};
use super::{product_by_code, ProductRow};

#[derive(Queryable, Selectable, Insertable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = listed_products)]
pub struct ListedRow {
    pub id: String,
    pub region_id: String,
    pub product_id: String,
    pub enterprise_id: String,
    pub unit_price: i64,
    pub pack_price: i64,
    pub created_by: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewListedProduct {
    pub product_code: String,
    pub enterprise_id: String,
    pub pack_price: Money,
    #[serde(default)]
    pub unit_price: Option<UnitPrice>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListedView {
    pub id: String,
    pub product: ProductRow,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub unit_price: UnitPrice,
    pub pack_price: Money,
    /// The listing enterprise's credit risk flag in the reader's region today.
    pub risk_flag: Option<RiskFlag>,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

pub fn create_listed_products(
    conn: &mut DbConnection,
    actor: &Actor,
    inputs: Vec<NewListedProduct>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<ListedView>> {
    bureau_inserts(conn, actor, "list non-winning products", inputs, now, insert_listed, listed_views)
}

fn insert_listed(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    input: NewListedProduct,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    let product = product_by_code(conn, &input.product_code, "product_code")?;
    let ent = enterprise(conn, &input.enterprise_id, "enterprise_id")?;
    let unit_price = check_prices(input.pack_price, input.unit_price, product.pack_size)?;
    let who = credit::enforce::Checked {
        region_id,
        enterprise_id: &ent.id,
        date: shanghai_date(now),
        field: "enterprise_id",
    };
    credit::enforce::check_listing(conn, who, &product.id)?;
    let region_batches = batches::table.filter(batches::region_id.eq(region_id)).select(batches::id);
    let same_generic_wins: i64 = winning_bids::table
        .inner_join(products::table)
        .filter(winning_bids::batch_id.eq_any(region_batches))
        .filter(products::generic_name.eq(&product.generic_name))
        .count()
        .get_result(conn)?;
    if same_generic_wins == 0 {
        return Err(DomainError::invalid(
            ErrorCode::NoWinningGeneric,
            "product_code",
            format!(
                "no winning bid of {} exists in this region; only alternatives to a winning generic are listed",
                product.generic_name
            ),
        ));
    }
    let region_batches = batches::table.filter(batches::region_id.eq(region_id)).select(batches::id);
    let itself_wins: i64 = winning_bids::table
        .filter(winning_bids::batch_id.eq_any(region_batches))
        .filter(winning_bids::product_id.eq(&product.id))
        .filter(winning_bids::enterprise_id.eq(&ent.id))
        .count()
        .get_result(conn)?;
    if itself_wins > 0 {
        return Err(DomainError::invalid(
            ErrorCode::ProductIsWinning,
            "product_code",
            format!("{} is a winning product here", product.code),
        ));
    }
    let row = ListedRow {
        id: new_id(),
        region_id: region_id.to_string(),
        product_id: product.id.clone(),
        enterprise_id: ent.id.clone(),
        unit_price: unit_price.ten_thousandths(),
        pack_price: input.pack_price.fen(),
        created_by: actor.user_id.clone(),
        created_at: to_db(now),
    };
    diesel::insert_into(listed_products::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::DuplicateListedProduct,
                format!("{} by {} is already listed", product.code, ent.name),
            )
        })
    })?;
    audit::record(conn, AuditEntry::created(actor, Some(region_id), "listed_product", &row.id, &row), now)?;
    Ok(row.id)
}

fn listed_views(conn: &mut DbConnection, region_id: &str, ids: &[String]) -> DomainResult<Vec<ListedView>> {
    let rows: Vec<(ListedRow, ProductRow, OrgRow)> = listed_products::table
        .inner_join(products::table)
        .inner_join(organizations::table.on(organizations::id.eq(listed_products::enterprise_id)))
        .filter(listed_products::region_id.eq(region_id))
        .filter(listed_products::id.eq_any(ids))
        .select((ListedRow::as_select(), ProductRow::as_select(), OrgRow::as_select()))
        .load(conn)?;
    let mut by_id: HashMap<String, ListedView> = rows
        .into_iter()
        .map(|(l, p, o)| {
            (
                l.id.clone(),
                ListedView {
                    id: l.id,
                    product: p,
                    enterprise_id: o.id,
                    enterprise_name: o.name,
                    unit_price: UnitPrice::from_ten_thousandths(l.unit_price),
                    pack_price: Money::from_fen(l.pack_price),
                    risk_flag: None,
                    created_at: l.created_at,
                },
            )
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Listed products of the caller's region (bureau, fund, hospital), or the supplier's own.
pub fn list_listed(
    conn: &mut DbConnection,
    actor: &Actor,
    page: PageRequest,
    now: DateTime<Utc>,
) -> DomainResult<Page<ListedView>> {
    let build = || {
        let q = listed_products::table.into_boxed();
        match actor.role {
            Role::Admin => q,
            Role::Supplier => q.filter(listed_products::enterprise_id.eq(actor.org_id.clone())),
            _ => q.filter(listed_products::region_id.eq(actor.region_id.clone().unwrap_or_default())),
        }
    };
    let total = build().count().get_result::<i64>(conn)?;
    let rows: Vec<(String, String)> = build()
        .order(listed_products::id.asc())
        .limit(page.per_page)
        .offset(page.offset())
        .select((listed_products::id, listed_products::region_id))
        .load(conn)?;
    let mut items = Vec::new();
    for (id, region) in rows {
        items.extend(listed_views(conn, &region, &[id])?);
    }
    flag(conn, actor.region_id.as_deref(), &mut items, shanghai_date(now), |v| (&v.enterprise_id, &mut v.risk_flag))?;
    Ok(Page::new(items, page, total))
}
