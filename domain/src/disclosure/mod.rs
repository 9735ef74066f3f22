//! Public disclosure (信息披露, domain.md section 11). A bureau officer chooses what to publish
//! and when: each publication freezes a snapshot of one kind of its region's data (tender
//! results, winning prices, credit ratings, payment standards, payment timeliness) as a new
//! version, audited. The public site serves the latest version of each kind without sign-in.
//! Snapshots carry organisations and figures, never a person's name.
//!
//! A composition module: it reads every capability and nothing imports it.

pub mod ocds;
pub mod rules;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::clock::{from_db, shanghai_date, to_db};
use crate::credit::rules::GradeDef;
use crate::credit::store::{CaseRow, CaseStatus};
use crate::db::{unique_conflict, write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::money::{Money, UnitPrice};
use crate::paging::{Page, PageRequest};
use crate::schema::{
    batches, credit_case_parties, credit_cases, organizations, payables, products, publications, regions, tender_bids,
    tender_generics, tender_picks, tender_qualifications, tenders, winning_bids,
};
use crate::settlement::{attribute_delay, stage};

use rules::{timeliness, MonthTimeliness, PayableFacts};

/// What can be published.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Proposed and final tender results, with prices and regions.
    TenderResults,
    /// Winning prices by batch, with supply regions.
    WinningPrices,
    /// Credit ratings in force and repaired, with their measures.
    CreditRatings,
    /// Payment standards in force.
    PaymentStandards,
    /// Payables due, paid on time, late and overdue per month, days late by party, median days
    /// from acceptance to payment.
    PaymentTimeliness,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::TenderResults,
        Kind::WinningPrices,
        Kind::CreditRatings,
        Kind::PaymentStandards,
        Kind::PaymentTimeliness,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TenderResults => "tender_results",
            Kind::WinningPrices => "winning_prices",
            Kind::CreditRatings => "credit_ratings",
            Kind::PaymentStandards => "payment_standards",
            Kind::PaymentTimeliness => "payment_timeliness",
        }
    }
    pub fn parse(s: &str) -> DomainResult<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| {
            let kinds: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
            DomainError::invalid(
                ErrorCode::UnknownPublicationKind,
                "kind",
                format!("publications are {}", kinds.join(", ")),
            )
        })
    }
}

/// How many months of payment timeliness a publication covers.
pub const TIMELINESS_MONTHS: u32 = 12;

// ---------------------------------------------------------------- snapshots

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicWinner {
    pub enterprise: String,
    pub rank: Option<i32>,
    pub product_code: String,
    /// Strength and units per pack as bid, e.g. "10mg×28".
    pub specification: String,
    pub pack_price: Option<Money>,
    /// The comparable price per representative minimum unit (the figure the rules ranked), 4
    /// decimals.
    pub unit_price: Option<UnitPrice>,
    /// Supply regions picked (names), priority first.
    pub regions: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicGeneric {
    pub generic_name: String,
    pub dosage_form: String,
    pub representative_spec: String,
    pub max_price: UnitPrice,
    pub valid_bids: Option<i32>,
    pub winners: Vec<PublicWinner>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicTender {
    pub tender_no: String,
    pub name: String,
    pub document_no: String,
    /// proposed (拟中选, open to objections), final, regions_allocated or in_force.
    pub status: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub proposed_at: Option<DateTime<Utc>>,
    pub final_at: Option<DateTime<Utc>>,
    pub generics: Vec<PublicGeneric>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicBid {
    pub generic_name: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    pub product_code: String,
    pub enterprise: String,
    pub unit_price: UnitPrice,
    pub pack_price: Money,
    pub primary_regions: Vec<String>,
    pub backup_regions: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicBatch {
    pub name: String,
    pub level: String,
    pub document_no: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub bids: Vec<PublicBid>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicParty {
    pub enterprise: String,
    pub role: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicRating {
    pub case_no: String,
    /// in_force or repaired.
    pub status: String,
    pub enterprises: Vec<PublicParty>,
    pub conduct: String,
    pub basis: String,
    pub document_no: Option<String>,
    pub decision_date: NaiveDate,
    pub grade: String,
    pub grade_name_zh: String,
    pub grade_name_en: String,
    pub measures: Vec<crate::credit::rules::Measure>,
    pub effective_from: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub distribution_until: Option<NaiveDate>,
    pub repaired_on: Option<NaiveDate>,
}

/// A payment standard in force, as published: the product, its price, the standard, the branch
/// of the rule that set it and the patient's excess per minimum unit.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicStandard {
    pub generic_name: String,
    pub product_code: String,
    pub specification: String,
    pub pack_size: i64,
    pub min_unit: String,
    pub enterprise: String,
    /// winning or listed.
    pub source: String,
    pub effective_from: NaiveDate,
    pub branch: crate::standards::rules::Branch,
    pub glide_year: Option<i32>,
    pub product_price: UnitPrice,
    pub winning_price: UnitPrice,
    pub standard: UnitPrice,
    pub excess_per_unit: UnitPrice,
    pub variant: crate::standards::rules::Variant,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicTimeliness {
    pub months: Vec<MonthTimeliness>,
}

fn region_names(conn: &mut DbConnection) -> DomainResult<HashMap<String, String>> {
    let rows: Vec<(String, String, String)> =
        regions::table.select((regions::id, regions::code, regions::name)).load(conn)?;
    let mut out = HashMap::new();
    for (id, code, name) in rows {
        out.insert(id, name.clone());
        out.insert(code, name);
    }
    Ok(out)
}

/// The region's tenders from their proposed results on, with the winners of each generic.
fn tender_results(conn: &mut DbConnection, region_id: &str) -> DomainResult<Vec<PublicTender>> {
    let shown = ["proposed", "final", "regions_allocated", "in_force"];
    type T =
        (String, String, String, String, String, NaiveDate, NaiveDate, Option<NaiveDateTime>, Option<NaiveDateTime>);
    let rows: Vec<T> = tenders::table
        .filter(tenders::region_id.eq(region_id))
        .filter(tenders::status.eq_any(shown))
        .order(tenders::tender_no.asc())
        .select((
            tenders::id,
            tenders::tender_no,
            tenders::name,
            tenders::document_no,
            tenders::status,
            tenders::cycle_start,
            tenders::cycle_end,
            tenders::proposed_at,
            tenders::final_at,
        ))
        .load(conn)?;
    let names = region_names(conn)?;
    let mut out = Vec::new();
    for (id, tender_no, name, document_no, status, cycle_start, cycle_end, proposed_at, final_at) in rows {
        type G = (String, String, String, String, Option<String>, String, String, i64, Option<i32>);
        let generics: Vec<G> = tender_generics::table
            .filter(tender_generics::tender_id.eq(&id))
            .order(tender_generics::generic_name.asc())
            .select((
                tender_generics::id,
                tender_generics::generic_name,
                tender_generics::dosage_form,
                tender_generics::rep_strength,
                tender_generics::rep_fill_volume,
                tender_generics::strength_unit,
                tender_generics::min_unit,
                tender_generics::max_price,
                tender_generics::valid_bids,
            ))
            .load(conn)?;
        let mut public_generics = Vec::new();
        for (gid, generic_name, dosage_form, strength, fill, unit, _rep_min_unit, max_price, valid_bids) in generics {
            type W = (String, Option<i32>, Option<i64>, Option<i64>, Option<i64>, String, String, i64, String, String);
            let winners: Vec<W> = tender_bids::table
                .inner_join(tender_qualifications::table.inner_join(products::table))
                .inner_join(organizations::table.on(organizations::id.eq(tender_bids::enterprise_id)))
                .filter(tender_bids::generic_id.eq(&gid))
                .filter(tender_bids::wins.eq(true))
                .order(tender_bids::rank.asc())
                .select((
                    tender_bids::enterprise_id,
                    tender_bids::rank,
                    tender_bids::final_pack_price,
                    tender_bids::pack_price,
                    tender_bids::comparable,
                    organizations::name,
                    tender_qualifications::strength,
                    tender_qualifications::units_per_pack,
                    products::code,
                    products::min_unit,
                ))
                .load(conn)?;
            let picks: Vec<(String, String)> = tender_picks::table
                .filter(tender_picks::generic_id.eq(&gid))
                .order(tender_picks::seq.asc())
                .select((tender_picks::enterprise_id, tender_picks::region_id))
                .load(conn)?;
            public_generics.push(PublicGeneric {
                representative_spec: match &fill {
                    Some(f) => format!("{strength}{unit}/{f}ml"),
                    None => format!("{strength}{unit}"),
                },
                generic_name,
                dosage_form,
                max_price: UnitPrice::from_ten_thousandths(max_price),
                valid_bids,
                winners: winners
                    .into_iter()
                    .map(
                        |(ent, rank, final_pack, pack, comparable, enterprise, strength_bid, units, code, min_unit)| {
                            PublicWinner {
                                regions: picks
                                    .iter()
                                    .filter(|(e, _)| *e == ent)
                                    .map(|(_, r)| names.get(r).cloned().unwrap_or_else(|| r.clone()))
                                    .collect(),
                                enterprise,
                                rank,
                                product_code: code,
                                specification: format!("{strength_bid}{unit}×{units}{min_unit}"),
                                pack_price: final_pack.or(pack).map(Money::from_fen),
                                unit_price: comparable.map(UnitPrice::from_ten_thousandths),
                            }
                        },
                    )
                    .collect(),
            });
        }
        out.push(PublicTender {
            tender_no,
            name,
            document_no,
            status,
            cycle_start,
            cycle_end,
            proposed_at: proposed_at.map(from_db),
            final_at: final_at.map(from_db),
            generics: public_generics,
        });
    }
    Ok(out)
}

/// The region's batches with their winning bids and supply regions.
fn winning_prices(conn: &mut DbConnection, region_id: &str) -> DomainResult<Vec<PublicBatch>> {
    type B = (String, String, String, String, NaiveDate, NaiveDate);
    let rows: Vec<B> = batches::table
        .filter(batches::region_id.eq(region_id))
        .order((batches::cycle_start.desc(), batches::name.asc()))
        .select((
            batches::id,
            batches::name,
            batches::level,
            batches::document_no,
            batches::cycle_start,
            batches::cycle_end,
        ))
        .load(conn)?;
    let names = region_names(conn)?;
    let mut out = Vec::new();
    for (id, name, level, document_no, cycle_start, cycle_end) in rows {
        let ids: Vec<String> =
            winning_bids::table.filter(winning_bids::batch_id.eq(&id)).select(winning_bids::id).load(conn)?;
        let mut bids: Vec<PublicBid> = crate::catalog::bid_views(conn, &ids)?
            .into_iter()
            .map(|b| {
                let named = |role: crate::catalog::SupplyRole| -> Vec<String> {
                    b.supply_regions
                        .iter()
                        .filter(|s| s.role == role)
                        .map(|s| names.get(&s.region_code).cloned().unwrap_or_else(|| s.region_code.clone()))
                        .collect()
                };
                PublicBid {
                    primary_regions: named(crate::catalog::SupplyRole::Primary),
                    backup_regions: named(crate::catalog::SupplyRole::Backup),
                    generic_name: b.product.generic_name,
                    specification: b.product.specification,
                    pack_size: b.product.pack_size,
                    min_unit: b.product.min_unit,
                    product_code: b.product.code,
                    enterprise: b.enterprise_name,
                    unit_price: b.unit_price,
                    pack_price: b.pack_price,
                }
            })
            .collect();
        bids.sort_by(|a, b| (&a.generic_name, &a.enterprise).cmp(&(&b.generic_name, &b.enterprise)));
        out.push(PublicBatch { name, level, document_no, cycle_start, cycle_end, bids });
    }
    Ok(out)
}

/// Ratings in force (not past their end) and repaired ones, with their measures; no person.
fn credit_ratings(conn: &mut DbConnection, region_id: &str, as_of: NaiveDate) -> DomainResult<Vec<PublicRating>> {
    let rows: Vec<CaseRow> = credit_cases::table
        .filter(credit_cases::region_id.eq(region_id))
        .filter(credit_cases::status.eq_any([CaseStatus::InForce.as_str(), CaseStatus::Repaired.as_str()]))
        .order(credit_cases::case_no.asc())
        .select(CaseRow::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for r in rows {
        let status = r.status_on(as_of)?;
        if status == CaseStatus::Expired {
            continue;
        }
        let Some(grade) = r.measures.as_deref().and_then(|m| serde_json::from_str::<GradeDef>(m).ok()) else {
            continue;
        };
        let parties: Vec<(String, String)> = credit_case_parties::table
            .inner_join(organizations::table)
            .filter(credit_case_parties::case_id.eq(&r.id))
            .order(organizations::name.asc())
            .select((organizations::name, credit_case_parties::role))
            .load(conn)?;
        let distributor = parties.iter().any(|(_, role)| role == "distributor");
        out.push(PublicRating {
            case_no: r.case_no,
            status: status.as_str().into(),
            enterprises: parties.into_iter().map(|(enterprise, role)| PublicParty { enterprise, role }).collect(),
            conduct: r.conduct,
            basis: r.basis,
            document_no: r.document_no,
            decision_date: r.decision_date,
            measures: crate::credit::rules::measures_for(&grade, distributor),
            grade: grade.code,
            grade_name_zh: grade.name_zh,
            grade_name_en: grade.name_en,
            effective_from: r.effective_from,
            ends_on: r.ends_on,
            distribution_until: r.distribution_until,
            repaired_on: r.repaired_at.map(|t| shanghai_date(from_db(t))),
        });
    }
    Ok(out)
}

/// The published payment standards in force on `as_of`, without who computed or published them.
fn payment_standards(conn: &mut DbConnection, region_id: &str, as_of: NaiveDate) -> DomainResult<Vec<PublicStandard>> {
    let mut out = Vec::new();
    for n in 1.. {
        let page = crate::standards::published_in_force(conn, region_id, as_of, PageRequest::new(Some(n), Some(200)))?;
        let done = out.len() + page.items.len() >= page.total as usize || page.items.is_empty();
        out.extend(page.items.into_iter().map(|s| PublicStandard {
            generic_name: s.generic_name,
            product_code: s.product.code,
            specification: s.product.specification,
            pack_size: s.product.pack_size,
            min_unit: s.product.min_unit,
            enterprise: s.enterprise_name,
            source: s.source,
            effective_from: s.effective_from,
            branch: s.branch,
            glide_year: s.glide_year,
            product_price: s.product_price,
            winning_price: s.winning_price,
            standard: s.standard,
            excess_per_unit: s.excess_per_unit,
            variant: s.variant,
        }));
        if done {
            break;
        }
    }
    Ok(out)
}

/// The region's payment timeliness for the 12 months of due dates up to `as_of`.
fn payment_timeliness(conn: &mut DbConnection, region_id: &str, as_of: NaiveDate) -> DomainResult<PublicTimeliness> {
    let this_month = as_of.with_day(1).expect("day 1");
    let first = this_month - chrono::Months::new(TIMELINESS_MONTHS - 1);
    type P =
        (i64, NaiveDate, NaiveDate, Option<NaiveDate>, String, Option<NaiveDate>, Option<NaiveDate>, i32, i32, i32);
    let rows: Vec<P> = payables::table
        .filter(payables::region_id.eq(region_id))
        .filter(payables::due_date.ge(first))
        .filter(payables::due_date.lt(this_month + chrono::Months::new(1)))
        .filter(payables::stage.ne(stage::NOTHING_DUE))
        .select((
            payables::amount,
            payables::acceptance_date,
            payables::due_date,
            payables::paid_on,
            payables::stage,
            payables::invoiced_on,
            payables::confirmed_on,
            payables::supplier_delay_days,
            payables::hospital_delay_days,
            payables::fund_delay_days,
        ))
        .load(conn)?;
    let facts: Vec<PayableFacts> = rows
        .into_iter()
        .map(|(amount, accepted, due, paid_on, st, invoiced, confirmed, s, h, f)| {
            let paid = (st == stage::PAID).then_some(paid_on).flatten();
            let late_days = match paid {
                Some(_) => (s as i64, h as i64, f as i64),
                None => {
                    let d = attribute_delay(due, invoiced, confirmed, as_of);
                    (d.supplier, d.hospital, d.fund)
                }
            };
            PayableFacts {
                amount: Money::from_fen(amount),
                acceptance_date: accepted,
                due_date: due,
                paid_on: paid,
                late_days,
            }
        })
        .collect();
    Ok(PublicTimeliness { months: timeliness(&facts, first, as_of) })
}

/// The snapshot of `kind` for `region_id` as of `as_of`, and how many items it holds.
pub fn snapshot(
    conn: &mut DbConnection,
    region_id: &str,
    kind: Kind,
    as_of: NaiveDate,
) -> DomainResult<(serde_json::Value, usize)> {
    Ok(match kind {
        Kind::TenderResults => {
            let v = tender_results(conn, region_id)?;
            (serde_json::json!({ "tenders": v }), v.len())
        }
        Kind::WinningPrices => {
            let v = winning_prices(conn, region_id)?;
            (serde_json::json!({ "batches": v }), v.iter().map(|b| b.bids.len()).sum())
        }
        Kind::CreditRatings => {
            let v = credit_ratings(conn, region_id, as_of)?;
            (serde_json::json!({ "ratings": v }), v.len())
        }
        Kind::PaymentStandards => {
            let v = payment_standards(conn, region_id, as_of)?;
            (serde_json::json!({ "standards": v }), v.len())
        }
        Kind::PaymentTimeliness => {
            let v = payment_timeliness(conn, region_id, as_of)?;
            let n = v.months.len();
            (serde_json::to_value(v)?, n)
        }
    })
}

// ---------------------------------------------------------------- publications

#[derive(Queryable, Selectable, Insertable, Clone, Debug)]
#[diesel(table_name = publications, treat_none_as_default_value = false)]
pub struct PublicationRow {
    pub id: String,
    pub region_id: String,
    pub kind: String,
    pub version: i32,
    pub as_of: NaiveDate,
    pub content: String,
    pub sha256: String,
    pub items: i32,
    pub note: Option<String>,
    pub published_by: String,
    pub published_at: NaiveDateTime,
}

/// A publication as its list shows it (the bureau), without the person who published it for
/// the public.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicationView {
    pub id: String,
    pub kind: Kind,
    pub version: i32,
    pub as_of: NaiveDate,
    pub items: i32,
    pub sha256: String,
    pub note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub published_at: DateTime<Utc>,
}

fn view(r: &PublicationRow) -> DomainResult<PublicationView> {
    Ok(PublicationView {
        id: r.id.clone(),
        kind: Kind::parse(&r.kind)?,
        version: r.version,
        as_of: r.as_of,
        items: r.items,
        sha256: r.sha256.clone(),
        note: r.note.clone(),
        published_at: from_db(r.published_at),
    })
}

/// A publication request (bureau officer).
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPublication {
    pub kind: Kind,
    #[serde(default)]
    pub note: Option<String>,
}

/// Publishes the current snapshot of a kind for the bureau's region as its next version.
pub fn publish(
    conn: &mut DbConnection,
    actor: &Actor,
    input: NewPublication,
    now: DateTime<Utc>,
) -> DomainResult<PublicationView> {
    actor.require(&[Role::BureauOfficer], "publish")?;
    let region_id = actor.region()?.to_string();
    let note = input.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    if note.as_deref().is_some_and(|n| n.chars().count() > 500) {
        return Err(DomainError::invalid(ErrorCode::TooLong, "note", "the note is longer than 500 characters"));
    }
    let as_of = shanghai_date(now);
    write_tx(conn, |conn| {
        let (content, items) = snapshot(conn, &region_id, input.kind, as_of)?;
        insert_publication(conn, actor, &region_id, input.kind, content, items, note.clone(), now)
    })
}

/// Stores `content` as the next version of `kind` for `region_id`, with its audit event. Other
/// capabilities publish their own snapshots through it (payment standards).
#[allow(clippy::too_many_arguments)]
pub fn insert_publication(
    conn: &mut DbConnection,
    actor: &Actor,
    region_id: &str,
    kind: Kind,
    content: serde_json::Value,
    items: usize,
    note: Option<String>,
    now: DateTime<Utc>,
) -> DomainResult<PublicationView> {
    let last: Option<i32> = publications::table
        .filter(publications::region_id.eq(region_id))
        .filter(publications::kind.eq(kind.as_str()))
        .select(diesel::dsl::max(publications::version))
        .first(conn)?;
    let text = serde_json::to_string(&content)?;
    let row = PublicationRow {
        id: new_id(),
        region_id: region_id.to_string(),
        kind: kind.as_str().into(),
        version: last.unwrap_or(0) + 1,
        as_of: shanghai_date(now),
        sha256: hex::encode(Sha256::digest(text.as_bytes())),
        content: text,
        items: i32::try_from(items).unwrap_or(i32::MAX),
        note,
        published_by: actor.user_id.clone(),
        published_at: to_db(now),
    };
    diesel::insert_into(publications::table).values(&row).execute(conn).map_err(|e| {
        unique_conflict(e, || {
            DomainError::conflict(
                ErrorCode::ConcurrentPublication,
                "another publication of this kind was just made; try again",
            )
        })
    })?;
    audit::record(
        conn,
        AuditEntry::created(
            actor,
            Some(region_id),
            "publication",
            &row.id,
            &serde_json::json!({"kind": row.kind, "version": row.version, "as_of": row.as_of, "items": row.items, "sha256": row.sha256}),
        )
        .first_event(),
        now,
    )?;
    view(&row)
}

/// The bureau's publications, newest first, optionally of one kind.
pub fn list_publications(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: Option<Kind>,
    page: PageRequest,
) -> DomainResult<Page<PublicationView>> {
    actor.require(&[Role::BureauOfficer], "read publications")?;
    let region_id = actor.region()?.to_string();
    let query = || {
        let mut q = publications::table.filter(publications::region_id.eq(region_id.clone())).into_boxed();
        if let Some(k) = kind {
            q = q.filter(publications::kind.eq(k.as_str()));
        }
        q
    };
    let total: i64 = query().count().get_result(conn)?;
    let rows: Vec<PublicationRow> = query()
        .order(publications::published_at.desc())
        .then_order_by(publications::version.desc())
        .limit(page.per_page)
        .offset(page.offset())
        .select(PublicationRow::as_select())
        .load(conn)?;
    let items = rows.iter().map(view).collect::<DomainResult<Vec<_>>>()?;
    Ok(Page::new(items, page, total))
}

/// What a publication of `kind` would hold if published now (bureau officer).
pub fn preview(
    conn: &mut DbConnection,
    actor: &Actor,
    kind: Kind,
    now: DateTime<Utc>,
) -> DomainResult<serde_json::Value> {
    actor.require(&[Role::BureauOfficer], "preview publications")?;
    let region_id = actor.region()?.to_string();
    Ok(snapshot(conn, &region_id, kind, shanghai_date(now))?.0)
}

// ---------------------------------------------------------------- the public side

/// A region with what it has published.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicRegion {
    pub code: String,
    pub name: String,
    pub published: Vec<PublicationView>,
}

/// Regions with at least one publication, each with the latest version of each kind.
pub fn public_regions(conn: &mut DbConnection) -> DomainResult<Vec<PublicRegion>> {
    let rows: Vec<(PublicationRow, String, String)> = publications::table
        .inner_join(regions::table)
        .order((regions::code.asc(), publications::kind.asc(), publications::version.desc()))
        .select((PublicationRow::as_select(), regions::code, regions::name))
        .load(conn)?;
    let mut out: Vec<PublicRegion> = Vec::new();
    for (row, code, name) in rows {
        if out.last().map(|r| &r.code) != Some(&code) {
            out.push(PublicRegion { code: code.clone(), name, published: vec![] });
        }
        let region = out.last_mut().expect("pushed");
        if region.published.iter().all(|p| p.kind.as_str() != row.kind) {
            region.published.push(view(&row)?);
        }
    }
    Ok(out)
}

/// A published snapshot as the public reads it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicDocument {
    pub region_code: String,
    pub region_name: String,
    #[serde(flatten)]
    pub publication: PublicationView,
    /// The previous versions' numbers and dates, newest first.
    pub versions: Vec<PublicVersion>,
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub content: serde_json::Value,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PublicVersion {
    pub version: i32,
    pub as_of: NaiveDate,
}

/// The latest (or the given) version of `kind` published for the region with `region_code`.
pub fn public_document(
    conn: &mut DbConnection,
    region_code: &str,
    kind: Kind,
    version: Option<i32>,
) -> DomainResult<PublicDocument> {
    let (region_id, region_name): (String, String) = regions::table
        .filter(regions::code.eq(region_code))
        .select((regions::id, regions::name))
        .first(conn)
        .optional()?
        .ok_or_else(|| DomainError::not_found("region"))?;
    let all: Vec<PublicationRow> = publications::table
        .filter(publications::region_id.eq(&region_id))
        .filter(publications::kind.eq(kind.as_str()))
        .order(publications::version.desc())
        .select(PublicationRow::as_select())
        .load(conn)?;
    let row = match version {
        Some(v) => all.iter().find(|r| r.version == v),
        None => all.first(),
    }
    .ok_or_else(|| DomainError::not_found("publication"))?;
    Ok(PublicDocument {
        region_code: region_code.to_string(),
        region_name,
        publication: view(row)?,
        versions: all.iter().map(|r| PublicVersion { version: r.version, as_of: r.as_of }).collect(),
        content: serde_json::from_str(&row.content)
            .map_err(|e| DomainError::Internal(format!("publication {} is unreadable: {e}", row.id)))?,
    })
}
