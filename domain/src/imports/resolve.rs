//! Names to ids, as a sheet writes its references: a batch by its name, an enterprise or a
//! hospital by its name, a product by its code or by generic name, specification and pack, a
//! winning bid by its product and enterprise, supply regions by code or name. Each lookup is
//! made once per import.

use crate::error::{DomainError, ErrorCode};
use diesel::prelude::*;
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::Kind;
use crate::actor::Actor;
use crate::db::DbConnection;
use crate::schema::{batches, organizations, products, regions, winning_bids};

type Refusal = (&'static str, ErrorCode, String);

/// Why a name did not resolve: the sheet's (a refusal reported for its row), or the database's
/// (the import stops with it; a failed query is never reported as an unknown name).
pub(super) enum Unresolved {
    Refused(Refusal),
    Failed(DomainError),
}

impl From<Refusal> for Unresolved {
    fn from(r: Refusal) -> Self {
        Unresolved::Refused(r)
    }
}

impl From<diesel::result::Error> for Unresolved {
    fn from(e: diesel::result::Error) -> Self {
        Unresolved::Failed(e.into())
    }
}

/// A refusal of the sheet's, reported under `field`.
fn refused(field: &'static str, code: ErrorCode, message: String) -> Unresolved {
    Unresolved::Refused((field, code, message))
}

impl Unresolved {
    /// The same refusal, reported under `field`.
    fn in_field(self, field: &'static str) -> Self {
        match self {
            Unresolved::Refused((_, code, message)) => Unresolved::Refused((field, code, message)),
            failed => failed,
        }
    }
}

pub(super) struct Lookups<'a> {
    actor: &'a Actor,
    cache: HashMap<(&'static str, String), Result<String, Refusal>>,
}

fn text(record: &Map<String, Value>, field: &str) -> Option<String> {
    record.get(field).and_then(Value::as_str).map(str::to_string)
}

impl<'a> Lookups<'a> {
    pub(super) fn new(actor: &'a Actor) -> Self {
        Lookups { actor, cache: HashMap::new() }
    }

    fn region(&self) -> String {
        self.actor.region_id.clone().unwrap_or_default()
    }

    /// Replaces the names of `record` by the ids its create operation takes.
    pub(super) fn resolve(
        &mut self,
        conn: &mut DbConnection,
        kind: Kind,
        record: &mut Map<String, Value>,
    ) -> Result<(), Unresolved> {
        if let Some(b) = text(record, "batch_id") {
            let id = self.once(conn, "batch_id", &b, Self::batch)?;
            record.insert("batch_id".into(), Value::String(id));
        }
        if kind != Kind::Products {
            self.product(conn, record)?;
        }
        if let Some(e) = text(record, "enterprise_id") {
            let id = self.once(conn, "enterprise_id", &e, Self::enterprise)?;
            record.insert("enterprise_id".into(), Value::String(id));
        }
        if let Some(h) = text(record, "hospital_id") {
            let id = self.once(conn, "hospital_id", &h, Self::hospital)?;
            record.insert("hospital_id".into(), Value::String(id));
        }
        if let Some(Value::Array(names)) = record.get("distributor_ids").cloned() {
            let mut ids = Vec::new();
            for n in names.iter().filter_map(Value::as_str) {
                ids.push(Value::String(self.once(conn, "distributor_ids", n, Self::distributor)?));
            }
            record.insert("distributor_ids".into(), Value::Array(ids));
        }
        if kind == Kind::WinningBids {
            let names: Vec<String> = match record.get("supply_regions") {
                Some(Value::Array(v)) => v.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                _ => Vec::new(),
            };
            // "440300", "深圳市", or with a role: "440300:backup", "深圳市：备供".
            let mut regions: Vec<Value> = Vec::new();
            if names.is_empty() {
                let own = self.region();
                let code = self.once(conn, "supply_regions", &own, Self::region_code)?;
                regions.push(serde_json::json!({"region_code": code, "role": "primary"}));
            }
            for n in &names {
                let (name, role) = match n.split_once([':', '：']) {
                    Some((name, role)) => (name.trim(), role.trim()),
                    None => (n.as_str(), "primary"),
                };
                let role = match role {
                    "primary" | "主供" => "primary",
                    "backup" | "备供" => "backup",
                    other => {
                        return Err(refused(
                            "supply_regions",
                            ErrorCode::InvalidSupplyRole,
                            format!("{other:?}: a region supplies as 主供 (primary) or 备供 (backup)"),
                        ))
                    }
                };
                let code = self.once(conn, "supply_regions", name, Self::region_code)?;
                regions.push(serde_json::json!({"region_code": code, "role": role}));
            }
            record.insert("supply_regions".into(), Value::Array(regions));
        }
        if kind == Kind::RetentionInputs {
            self.retention(conn, record)?;
        }
        if kind == Kind::AgreedVolumes && !record.contains_key("winning_bid_id") {
            let (Some(code), Some(enterprise)) = (text(record, "product_code"), text(record, "enterprise_id")) else {
                return Err(refused(
                    "winning_bid_id",
                    ErrorCode::UnknownBid,
                    "name the winning bid: its product and enterprise".into(),
                ));
            };
            let key = format!("{code}|{enterprise}");
            let id = self.once(conn, "winning_bid_id", &key, Self::bid)?;
            record.insert("winning_bid_id".into(), Value::String(id));
        }
        if kind == Kind::AgreedVolumes {
            record.remove("product_code");
            record.remove("enterprise_id");
        }
        Ok(())
    }

    /// A retention input's kind in words, and its subject: a generic's name, a hospital's name
    /// (insured share), or "hospital name:component" (manual score), hospitals to ids.
    fn retention(&mut self, conn: &mut DbConnection, record: &mut Map<String, Value>) -> Result<(), Unresolved> {
        let kind = match text(record, "kind").unwrap_or_default().as_str() {
            "集采前价格" | "集采前加权平均价" | "pre_vbp_price" => "pre_vbp_price",
            "基金支付比例" | "基金实际支付比例" | "fund_ratio" => "fund_ratio",
            "参保患者占比" | "参保人员占比" | "insured_share" => "insured_share",
            "人工评分" | "考核评分" | "manual_score" => "manual_score",
            other => {
                return Err(refused(
                    "kind",
                    ErrorCode::InvalidInputKind,
                    format!("{other:?}: write 集采前价格, 基金支付比例, 参保患者占比 or 人工评分"),
                ))
            }
        };
        record.insert("kind".into(), Value::String(kind.into()));
        let subject = text(record, "subject").unwrap_or_default();
        let resolved = match kind {
            "insured_share" => {
                self.once(conn, "subject", &subject, Self::hospital).map_err(|u| u.in_field("subject"))?
            }
            "manual_score" => match subject.split_once([':', '：']) {
                Some((hospital, component)) => {
                    let id = self
                        .once(conn, "subject", hospital.trim(), Self::hospital)
                        .map_err(|u| u.in_field("subject"))?;
                    format!("{id}:{}", component.trim())
                }
                None => {
                    return Err(refused(
                        "subject",
                        ErrorCode::InvalidSubject,
                        "write the hospital and the component: 医院名称:component".into(),
                    ))
                }
            },
            _ => subject,
        };
        record.insert("subject".into(), Value::String(resolved));
        Ok(())
    }

    /// A product by code, or by generic name and specification (and pack, when given).
    fn product(&mut self, conn: &mut DbConnection, record: &mut Map<String, Value>) -> Result<(), Unresolved> {
        let name = record.remove("generic_name").and_then(|v| v.as_str().map(str::to_string));
        let spec = record.remove("specification").and_then(|v| v.as_str().map(str::to_string));
        let pack = record.remove("pack_size").and_then(|v| v.as_i64());
        if record.contains_key("product_code") {
            return Ok(());
        }
        let (Some(name), Some(spec)) = (name, spec) else {
            return Ok(());
        };
        let key = format!("{name}|{spec}|{}", pack.map(|p| p.to_string()).unwrap_or_default());
        let code = self.once(conn, "product_code", &key, |conn, _, _| {
            let mut q = products::table
                .filter(products::generic_name.eq(&name))
                .filter(products::specification.eq(&spec))
                .select(products::code)
                .into_boxed();
            if let Some(p) = pack {
                q = q.filter(products::pack_size.eq(p));
            }
            let codes: Vec<String> = q.limit(2).load(conn)?;
            match codes.as_slice() {
                [one] => Ok(one.clone()),
                [] => Err(refused(
                    "generic_name",
                    ErrorCode::UnknownProduct,
                    format!(
                        "no product {name} {spec} in the catalogue{}",
                        pack.map(|p| format!(" with {p} a pack")).unwrap_or_default()
                    ),
                )),
                _ => Err(refused(
                    "generic_name",
                    ErrorCode::AmbiguousProduct,
                    format!("{name} {spec} names several products: give its pack or its code"),
                )),
            }
        })?;
        record.insert("product_code".into(), Value::String(code));
        Ok(())
    }

    fn once(
        &mut self,
        conn: &mut DbConnection,
        field: &'static str,
        name: &str,
        find: impl FnOnce(&mut DbConnection, &Self, &str) -> Result<String, Unresolved>,
    ) -> Result<String, Unresolved> {
        let key = (field, name.to_string());
        if let Some(hit) = self.cache.get(&key) {
            return hit.clone().map_err(Unresolved::Refused);
        }
        // A refusal is kept for the next row that names the same; a database failure is not.
        let found = match find(conn, self, name) {
            Ok(id) => Ok(id),
            Err(Unresolved::Refused(r)) => Err(r),
            Err(failed) => return Err(failed),
        };
        self.cache.insert(key, found.clone());
        found.map_err(Unresolved::Refused)
    }

    fn batch(conn: &mut DbConnection, me: &Self, name: &str) -> Result<String, Unresolved> {
        let ids: Vec<String> = batches::table
            .filter(batches::region_id.eq(me.region()))
            .filter(batches::id.eq(name).or(batches::name.eq(name)))
            .select(batches::id)
            .limit(2)
            .load(conn)?;
        Ok(one(ids, "batch_id", ErrorCode::UnknownBatch, format!("no batch {name:?} in your region"))?)
    }

    fn enterprise(conn: &mut DbConnection, _: &Self, name: &str) -> Result<String, Unresolved> {
        let ids: Vec<String> = organizations::table
            .filter(organizations::kind.eq("enterprise"))
            .filter(organizations::id.eq(name).or(organizations::name.eq(name)))
            .select(organizations::id)
            .limit(2)
            .load(conn)?;
        Ok(one(ids, "enterprise_id", ErrorCode::UnknownEnterprise, format!("no enterprise {name:?} on the platform"))?)
    }

    fn distributor(conn: &mut DbConnection, me: &Self, name: &str) -> Result<String, Unresolved> {
        Self::enterprise(conn, me, name).map_err(|u| u.in_field("distributor_ids"))
    }

    fn hospital(conn: &mut DbConnection, me: &Self, name: &str) -> Result<String, Unresolved> {
        let ids: Vec<String> = organizations::table
            .filter(organizations::kind.eq("hospital"))
            .filter(organizations::region_id.eq(me.region()))
            .filter(organizations::id.eq(name).or(organizations::name.eq(name)))
            .select(organizations::id)
            .limit(2)
            .load(conn)?;
        Ok(one(ids, "hospital_id", ErrorCode::UnknownHospital, format!("no hospital {name:?} in your region"))?)
    }

    /// A region's 6-digit code, from its code, its name, or its id (the caller's own).
    fn region_code(conn: &mut DbConnection, _: &Self, name: &str) -> Result<String, Unresolved> {
        if name.len() == 6 && name.chars().all(|c| c.is_ascii_digit()) {
            return Ok(name.to_string());
        }
        let codes: Vec<String> = regions::table
            .filter(regions::id.eq(name).or(regions::name.eq(name)))
            .select(regions::code)
            .limit(2)
            .load(conn)?;
        Ok(one(
            codes,
            "supply_regions",
            ErrorCode::UnknownRegion,
            format!("no region {name:?}: write its 6-digit code"),
        )?)
    }

    /// A winning bid of the caller's region, by product code and enterprise id ("code|id").
    fn bid(conn: &mut DbConnection, me: &Self, key: &str) -> Result<String, Unresolved> {
        let (code, enterprise) = key.split_once('|').unwrap_or_default();
        let ids: Vec<String> = winning_bids::table
            .inner_join(batches::table.on(batches::id.eq(winning_bids::batch_id)))
            .inner_join(products::table.on(products::id.eq(winning_bids::product_id)))
            .filter(batches::region_id.eq(me.region()))
            .filter(products::code.eq(code.to_ascii_uppercase()))
            .filter(winning_bids::enterprise_id.eq(enterprise))
            .select(winning_bids::id)
            .limit(2)
            .load(conn)?;
        match ids.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(refused(
                "winning_bid_id",
                ErrorCode::UnknownBid,
                format!("no winning bid of that enterprise for product {code} in your region"),
            )),
            _ => Err(refused(
                "winning_bid_id",
                ErrorCode::AmbiguousBid,
                "that product and enterprise won in several batches: give the bid's id".into(),
            )),
        }
    }
}

fn one(ids: Vec<String>, field: &'static str, code: ErrorCode, missing: String) -> Result<String, Refusal> {
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err((field, code, missing)),
        _ => Err((
            field,
            ErrorCode::AmbiguousName,
            format!("{} names several records: give its id", missing.split('"').nth(1).unwrap_or("it")),
        )),
    }
}
