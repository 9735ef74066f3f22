//! Qualification, sealed bids, the opening and the offers to failed bidders.
//!
//! Before the opening time nobody reads a price: the API answers receipts only, audit events
//! carry receipts only, and the database holds the price sealed (see `seal`).

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::str::FromStr;

use crate::actor::{Actor, OrgKind, Role};
use crate::audit::{self, AuditEntry};
use crate::clock::{shanghai_date, to_db};
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::ids::new_id;
use crate::money::{Money, UnitPrice};
use crate::schema::{organizations, products, tender_bids, tender_generics, tender_qualifications, tenders};

use super::rules::{self, Decision, OpenedBid, Spec};
use super::seal::{self, SealingKey};
use super::store::{self, BidRow, OpenedBidForm, OpenedGenericForm, QualificationRow, TenderRow, TenderStatus};

// ---------------------------------------------------------------- eligibility

/// Refuses an enterprise that may not bid or qualify in `tender` on `date`: one that is not a
/// manufacturer, one whose bidding a credit rating in force in the tender's region suspends,
/// or one without a commitment letter after the credit policy's grace date.
pub fn check_bidder(
    conn: &mut DbConnection,
    tender: &TenderRow,
    enterprise_id: &str,
    date: chrono::NaiveDate,
) -> DomainResult<()> {
    let manufacturer: Option<bool> = organizations::table
        .find(enterprise_id)
        .filter(organizations::kind.eq(OrgKind::Enterprise.as_str()))
        .select(organizations::is_manufacturer)
        .first(conn)
        .optional()?;
    if manufacturer != Some(true) {
        return Err(DomainError::Forbidden(crate::error::Problem::new(
            ErrorCode::BiddingRefused,
            "only a manufacturer (marketing-authorisation holder) bids in a tender",
        )));
    }
    let who =
        crate::credit::enforce::Checked { region_id: &tender.region_id, enterprise_id, date, field: "generic_id" };
    crate::credit::enforce::check_bidding(conn, who)
}

// ---------------------------------------------------------------- qualification

/// An enterprise registers to bid on a generic with one of its catalogue products.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewQualification {
    pub generic_id: String,
    /// The catalogue code of the product it bids with (units per pack come from it).
    pub product_code: String,
    /// The product's strength in the generic's unit, e.g. "20".
    pub strength: String,
    #[serde(default)]
    pub fill_volume: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QualificationView {
    pub id: String,
    pub generic_id: String,
    pub generic_name: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub product_code: String,
    pub specification: String,
    pub strength: String,
    pub fill_volume: Option<String>,
    pub units_per_pack: i64,
}

pub fn qualify(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    input: NewQualification,
    now: DateTime<Utc>,
) -> DomainResult<QualificationView> {
    actor.require(&[Role::Supplier], "qualify for tenders")?;
    write_tx(conn, |conn| {
        let tender = store::visible_tender(conn, actor, tender_id)?;
        super::require_stage(&tender, &[TenderStatus::Published, TenderStatus::Bidding])?;
        if to_db(now) >= tender.bid_deadline {
            return Err(DomainError::conflict(ErrorCode::BidDeadlinePassed, "the bid deadline has passed"));
        }
        check_bidder(conn, &tender, &actor.org_id, shanghai_date(now))?;
        let generic = store::generic_of(conn, &tender.id, &input.generic_id, "generic_id")?;
        let code = input.product_code.trim().to_ascii_uppercase();
        let (product_id, pack_size) =
            store::product_of_generic(conn, &code, &generic.spec, Some(tender.category.as_str()))?;
        let strength = super::positive_decimal(&input.strength, "strength")?;
        let fill_volume = input
            .fill_volume
            .filter(|v| !v.trim().is_empty())
            .map(|v| super::positive_decimal(&v, "fill_volume"))
            .transpose()?;
        if generic.spec.rep_fill_volume.is_some() != fill_volume.is_some() {
            return Err(DomainError::invalid(
                ErrorCode::FillVolumeMismatch,
                "fill_volume",
                "give a fill volume exactly when the representative spec has one",
            ));
        }
        let row = QualificationRow {
            id: new_id(),
            tender_id: tender.id.clone(),
            generic_id: generic.id.clone(),
            enterprise_id: actor.org_id.clone(),
            product_id,
            strength: strength.to_string(),
            fill_volume: fill_volume.map(|v| v.to_string()),
            units_per_pack: pack_size,
            created_by: actor.user_id.clone(),
            created_at: to_db(now),
        };
        diesel::insert_into(tender_qualifications::table).values(&row).execute(conn).map_err(|e| {
            crate::db::unique_conflict(e, || {
                DomainError::conflict(
                    ErrorCode::AlreadyQualified,
                    "your enterprise is already qualified for this generic",
                )
            })
        })?;
        let snapshot = serde_json::json!({"generic_id": row.generic_id, "product_code": code, "strength": row.strength,
            "fill_volume": row.fill_volume, "units_per_pack": row.units_per_pack});
        audit::record(
            conn,
            AuditEntry::created(actor, Some(&tender.region_id), "tender_qualification", &row.id, &snapshot),
            now,
        )?;
        Ok(qualification_views(conn, &tender.id, Some(&row.id), None)?.remove(0))
    })
}

/// Qualifications of a tender: the caller's own (supplier), or all (the running bureau, and
/// every reader once the tender is opened).
pub fn list_qualifications(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
) -> DomainResult<Vec<QualificationView>> {
    let tender = store::visible_tender(conn, actor, tender_id)?;
    let everyone = tender.status()?.is_open() || matches!(actor.role, Role::BureauOfficer | Role::Admin);
    let only = (!everyone).then(|| actor.org_id.clone());
    qualification_views(conn, &tender.id, None, only.as_deref())
}

fn qualification_views(
    conn: &mut DbConnection,
    tender_id: &str,
    id: Option<&str>,
    enterprise: Option<&str>,
) -> DomainResult<Vec<QualificationView>> {
    let mut q = tender_qualifications::table
        .inner_join(tender_generics::table)
        .inner_join(products::table)
        .inner_join(organizations::table.on(organizations::id.eq(tender_qualifications::enterprise_id)))
        .filter(tender_qualifications::tender_id.eq(tender_id))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(tender_qualifications::id.eq(id.to_string()));
    }
    if let Some(e) = enterprise {
        q = q.filter(tender_qualifications::enterprise_id.eq(e.to_string()));
    }
    let rows: Vec<(QualificationRow, String, String, String, String)> = q
        .order((tender_generics::generic_name.asc(), organizations::name.asc()))
        .select((
            QualificationRow::as_select(),
            tender_generics::generic_name,
            organizations::name,
            products::code,
            products::specification,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(r, generic_name, enterprise_name, product_code, specification)| QualificationView {
            id: r.id,
            generic_id: r.generic_id,
            generic_name,
            enterprise_id: r.enterprise_id,
            enterprise_name,
            product_code,
            specification,
            strength: r.strength,
            fill_volume: r.fill_volume,
            units_per_pack: r.units_per_pack,
        })
        .collect())
}

// ---------------------------------------------------------------- sealed bids

#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBid {
    pub generic_id: String,
    /// The price of one pack of the enterprise's own product (2 decimals), e.g. "4.20".
    pub pack_price: Money,
}

/// What a bidder keeps: the canonical bid, its SHA-256 and when it was received. The
/// canonical text holds the price and a random salt; the platform stores only the hash beside
/// the sealed bid, so after the opening anyone can check that the opened bid is this one.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BidReceipt {
    pub bid_id: String,
    pub tender_no: String,
    pub generic_id: String,
    pub version: i32,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub submitted_at: NaiveDateTime,
    /// SHA-256 of `canonical`, hex.
    pub receipt: String,
    /// The bid exactly as sealed; only this response and the bidder ever see it before the opening.
    pub canonical: String,
}

/// A bid as listed before the opening: its receipt, never its price.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedBidView {
    pub bid_id: String,
    pub generic_id: String,
    pub generic_name: String,
    pub enterprise_id: String,
    pub version: i32,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub submitted_at: NaiveDateTime,
    pub receipt: String,
}

/// The canonical text of a bid: fixed key order, decimal strings.
fn canonical_bid(
    tender_no: &str,
    generic_id: &str,
    enterprise_id: &str,
    pack_price: Money,
    version: i32,
    submitted_at: NaiveDateTime,
    salt: &str,
) -> String {
    serde_json::json!({
        "tender_no": tender_no,
        "generic_id": generic_id,
        "enterprise_id": enterprise_id,
        "pack_price": pack_price.to_string(),
        "version": version,
        "submitted_at": submitted_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        "salt": salt,
    })
    .to_string()
}

/// Submits or replaces the caller's sealed bid for a generic, until the bid deadline.
pub fn submit_bid(
    conn: &mut DbConnection,
    actor: &Actor,
    sealing: &SealingKey,
    tender_id: &str,
    input: NewBid,
    now: DateTime<Utc>,
) -> DomainResult<BidReceipt> {
    actor.require(&[Role::Supplier], "bid in tenders")?;
    if input.pack_price.fen() <= 0 {
        return Err(DomainError::invalid(ErrorCode::InvalidPrice, "pack_price", "the pack price must be above zero"));
    }
    write_tx(conn, |conn| {
        let tender = store::visible_tender(conn, actor, tender_id)?;
        super::require_stage(&tender, &[TenderStatus::Bidding])?;
        let at = to_db(now);
        if at >= tender.bid_deadline {
            return Err(DomainError::conflict(ErrorCode::BidDeadlinePassed, "the bid deadline has passed"));
        }
        check_bidder(conn, &tender, &actor.org_id, shanghai_date(now))?;
        let generic = store::generic_of(conn, &tender.id, &input.generic_id, "generic_id")?;
        let qualification: QualificationRow = tender_qualifications::table
            .filter(tender_qualifications::generic_id.eq(&generic.id))
            .filter(tender_qualifications::enterprise_id.eq(&actor.org_id))
            .select(QualificationRow::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                DomainError::conflict(
                    ErrorCode::NotQualified,
                    "qualify for this generic with your product before bidding",
                )
            })?;
        let existing: Option<BidRow> = tender_bids::table
            .filter(tender_bids::generic_id.eq(&generic.id))
            .filter(tender_bids::enterprise_id.eq(&actor.org_id))
            .select(BidRow::as_select())
            .first(conn)
            .optional()?;
        let version = existing.as_ref().map_or(1, |b| b.version + 1);
        let salt = seal::new_salt();
        let canonical =
            canonical_bid(&tender.tender_no, &generic.id, &actor.org_id, input.pack_price, version, at, &salt);
        let receipt = seal::receipt_of(&canonical);
        let key = sealing.unwrap_key(&tender.sealed_key)?;
        let sealed = seal::seal_bid(&key, &canonical, &seal::bid_binding(&tender.id, &generic.id, &actor.org_id));
        let id = match &existing {
            None => {
                let row = BidRow {
                    id: new_id(),
                    tender_id: tender.id.clone(),
                    generic_id: generic.id.clone(),
                    qualification_id: qualification.id.clone(),
                    enterprise_id: actor.org_id.clone(),
                    sealed,
                    receipt: receipt.clone(),
                    version,
                    submitted_at: at,
                    opened: OpenedBidForm::default(),
                    offer_answer: None,
                    offer_answered_at: None,
                };
                diesel::insert_into(tender_bids::table).values(&row).execute(conn).map_err(|e| {
                    crate::db::unique_conflict(e, || {
                        DomainError::conflict(ErrorCode::BidExists, "your bid was just submitted; replace it")
                    })
                })?;
                row.id
            }
            Some(b) => {
                let replaced =
                    diesel::update(tender_bids::table.find(&b.id).filter(tender_bids::version.eq(b.version)))
                        .set((
                            tender_bids::sealed.eq(&sealed),
                            tender_bids::receipt.eq(&receipt),
                            tender_bids::version.eq(version),
                            tender_bids::submitted_at.eq(at),
                        ))
                        .execute(conn)?;
                if replaced != 1 {
                    return Err(DomainError::conflict(
                        ErrorCode::BidChanged,
                        "your bid was replaced at the same moment; submit again",
                    ));
                }
                b.id.clone()
            }
        };
        // The audit trail keeps receipts, never prices.
        let after = serde_json::json!({"version": version, "receipt": receipt, "submitted_at": at});
        let entry = match &existing {
            None => AuditEntry::created(actor, Some(&tender.region_id), "tender_bid", &id, &after),
            Some(b) => AuditEntry::changed(
                actor,
                Some(&tender.region_id),
                "tender_bid",
                &id,
                "replace",
                &serde_json::json!({"version": b.version, "receipt": b.receipt, "submitted_at": b.submitted_at}),
                &after,
            ),
        };
        audit::record(conn, entry, now)?;
        Ok(BidReceipt {
            bid_id: id,
            tender_no: tender.tender_no.clone(),
            generic_id: generic.id,
            version,
            submitted_at: at,
            receipt,
            canonical,
        })
    })
}

/// The caller's own bids before the opening: receipts and times only.
pub fn my_bids(conn: &mut DbConnection, actor: &Actor, tender_id: &str) -> DomainResult<Vec<SealedBidView>> {
    actor.require(&[Role::Supplier], "list own bids")?;
    let tender = store::visible_tender(conn, actor, tender_id)?;
    let rows: Vec<(String, String, String, String, i32, NaiveDateTime, String)> = tender_bids::table
        .inner_join(tender_generics::table)
        .filter(tender_bids::tender_id.eq(&tender.id))
        .filter(tender_bids::enterprise_id.eq(&actor.org_id))
        .order(tender_generics::generic_name.asc())
        .select((
            tender_bids::id,
            tender_bids::generic_id,
            tender_generics::generic_name,
            tender_bids::enterprise_id,
            tender_bids::version,
            tender_bids::submitted_at,
            tender_bids::receipt,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(bid_id, generic_id, generic_name, enterprise_id, version, submitted_at, receipt)| SealedBidView {
            bid_id,
            generic_id,
            generic_name,
            enterprise_id,
            version,
            submitted_at,
            receipt,
        })
        .collect())
}

// ---------------------------------------------------------------- the opening

/// What an opening did.
#[derive(Clone, Debug, Serialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpeningCounts {
    pub tenders: i64,
    pub bids: i64,
    pub winners: i64,
    pub offers: i64,
}

fn to_ten_thousandths(d: Decimal) -> DomainResult<i64> {
    (d * Decimal::from(10_000))
        .round()
        .to_i64()
        .ok_or_else(|| DomainError::Internal(format!("{d} is out of range for a price")))
}

fn dec(text: &str) -> DomainResult<Decimal> {
    Decimal::from_str(text).map_err(|_| DomainError::Internal(format!("stored decimal {text:?} is unreadable")))
}

/// Opens one tender at or after its opening time: unseals every bid (checking each against its
/// receipt), releases the tender's key, and stores every figure of the rules on the bids.
pub fn open_tender(
    conn: &mut DbConnection,
    actor: &Actor,
    sealing: &SealingKey,
    tender_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<OpeningCounts> {
    write_tx(conn, |conn| {
        let tender = store::own_tender(conn, actor, tender_id, "open tenders")?;
        super::require_stage(&tender, &[TenderStatus::Bidding])?;
        if to_db(now) < tender.opening_at {
            return Err(DomainError::conflict(
                ErrorCode::BeforeOpeningTime,
                format!("the bids stay sealed until the opening time, {}", super::at(tender.opening_at)),
            ));
        }
        open_unchecked(conn, actor, sealing, &tender, now)
    })
}

fn open_unchecked(
    conn: &mut DbConnection,
    actor: &Actor,
    sealing: &SealingKey,
    tender: &TenderRow,
    now: DateTime<Utc>,
) -> DomainResult<OpeningCounts> {
    let rules = tender.rules()?;
    let key = sealing.unwrap_key(&tender.sealed_key)?;
    let offer_deadline = to_db(now + Duration::hours(i64::from(rules.offer_hours)));
    let mut counts = OpeningCounts { tenders: 1, ..Default::default() };
    // The tender's bids and qualifications, read once (not a query per generic and per bid).
    let mut bids_by_generic: std::collections::HashMap<String, Vec<BidRow>> = std::collections::HashMap::new();
    for b in tender_bids::table
        .filter(tender_bids::tender_id.eq(&tender.id))
        .order(tender_bids::submitted_at.asc())
        .select(BidRow::as_select())
        .load::<BidRow>(conn)?
    {
        bids_by_generic.entry(b.generic_id.clone()).or_default().push(b);
    }
    let qualifications: std::collections::HashMap<String, QualificationRow> = tender_qualifications::table
        .filter(tender_qualifications::tender_id.eq(&tender.id))
        .select(QualificationRow::as_select())
        .load::<QualificationRow>(conn)?
        .into_iter()
        .map(|q| (q.id.clone(), q))
        .collect();
    for generic in store::generics_of(conn, &tender.id)? {
        let representative = Spec {
            strength: dec(&generic.spec.rep_strength)?,
            fill_volume: generic.spec.rep_fill_volume.as_deref().map(dec).transpose()?,
            units_per_pack: 1,
        };
        let bids = bids_by_generic.remove(&generic.id).unwrap_or_default();
        let mut opened = Vec::with_capacity(bids.len());
        for b in &bids {
            let canonical =
                seal::open_bid(&key, &b.sealed, &seal::bid_binding(&tender.id, &generic.id, &b.enterprise_id))?;
            if seal::receipt_of(&canonical) != b.receipt {
                return Err(DomainError::Internal(format!("bid {} does not match its receipt", b.id)));
            }
            let parsed: serde_json::Value = serde_json::from_str(&canonical)?;
            let price = parsed["pack_price"]
                .as_str()
                .and_then(|p| Money::parse(p).ok())
                .ok_or_else(|| DomainError::Internal(format!("bid {} holds no readable price", b.id)))?;
            let q = qualifications
                .get(&b.qualification_id)
                .ok_or_else(|| DomainError::Internal(format!("bid {} has no qualification", b.id)))?;
            let units = u32::try_from(q.units_per_pack)
                .map_err(|_| DomainError::Internal("units per pack out of range".into()))?;
            opened.push(OpenedBid {
                bidder: b.id.clone(),
                spec: Spec {
                    strength: dec(&q.strength)?,
                    fill_volume: q.fill_volume.as_deref().map(dec).transpose()?,
                    units_per_pack: units,
                },
                pack_price: price.to_decimal(),
                submitted_at: b.submitted_at,
            });
        }
        let max_price = UnitPrice::from_ten_thousandths(generic.max_price).to_decimal();
        let o = rules::open_generic(
            &opened,
            &representative,
            max_price,
            &rules.coefficients,
            &rules.cap_table,
            &rules.rule_set,
        );
        for outcome in &o.outcomes {
            let bid = opened.iter().find(|b| b.bidder == outcome.bidder).expect("an outcome per bid");
            let form = OpenedBidForm {
                pack_price: Some(Money::round_half_up(bid.pack_price).fen()),
                unit_price: Some(outcome.comparable.unit_price.round_dp(8).normalize().to_string()),
                coefficient: Some(outcome.comparable.coefficient.round_dp(8).normalize().to_string()),
                comparable: Some(to_ten_thousandths(outcome.comparable.price)?),
                comparable_exact: Some(outcome.comparable.exact.round_dp(12).normalize().to_string()),
                rank: outcome.rank.map(|r| r as i32),
                shortlisted: Some(outcome.shortlisted),
                wins: Some(outcome.wins),
                decision: Some(decision_code(&outcome.decision).into()),
                cost_statement: Some(outcome.cost_statement_required),
                offer_price: outcome.offer.map(|(p, _)| to_ten_thousandths(p)).transpose()?,
                offer_pack_price: outcome.offer.map(|(_, pack)| Money::round_half_up(pack).fen()),
                offer_deadline: outcome.offer.map(|_| offer_deadline),
                final_pack_price: outcome.wins.then(|| Money::round_half_up(bid.pack_price).fen()),
            };
            diesel::update(tender_bids::table.find(&outcome.bidder)).set(&form).execute(conn)?;
            counts.bids += 1;
            counts.winners += i64::from(outcome.wins);
            counts.offers += i64::from(outcome.offer.is_some());
        }
        let figures = OpenedGenericForm {
            valid_bids: Some(o.valid_bids as i32),
            shortlist_cap: Some(o.shortlist_cap as i32),
            lowest: o.lowest.map(to_ten_thousandths).transpose()?,
            anchor: o.anchor.map(to_ten_thousandths).transpose()?,
            threshold: o.threshold.map(to_ten_thousandths).transpose()?,
            discount_line: o.discount_line.map(to_ten_thousandths).transpose()?,
        };
        diesel::update(tender_generics::table.find(&generic.id)).set(&figures).execute(conn)?;
    }
    diesel::update(tenders::table.find(&tender.id))
        .set((tenders::opened_key.eq(Some(seal::key_hex(&key))), tenders::opened_at.eq(Some(to_db(now)))))
        .execute(conn)?;
    super::set_status(conn, actor, tender, TenderStatus::Bidding, TenderStatus::Opened, now)?;
    Ok(counts)
}

pub(crate) fn decision_code(d: &Decision) -> &'static str {
    match d {
        Decision::AboveMaxPrice => "above_max_price",
        Decision::NotShortlisted => "not_shortlisted",
        Decision::WithinMultiple => "within_multiple",
        Decision::UnderAbsoluteCeiling => "under_absolute_ceiling",
        Decision::DiscountFromMax => "discount_from_max",
        Decision::Offered => "offered",
        Decision::Failed => "failed",
    }
}

/// The opening job: opens every tender in bidding whose opening time has come (by the clock)
/// and falls on or before `as_of`. Safe to repeat: an opened tender is no longer in bidding.
pub fn open_due(
    conn: &mut DbConnection,
    system: &Actor,
    sealing: &SealingKey,
    region: Option<&str>,
    as_of: chrono::NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<OpeningCounts> {
    let mut q = tenders::table.filter(tenders::status.eq(TenderStatus::Bidding.as_str())).into_boxed();
    if let Some(r) = region {
        q = q.filter(tenders::region_id.eq(r.to_string()));
    }
    let due: Vec<TenderRow> = q
        .filter(tenders::opening_at.le(to_db(now)))
        .order(tenders::opening_at.asc())
        .select(TenderRow::as_select())
        .load(conn)?;
    let mut total = OpeningCounts::default();
    for t in due.into_iter().filter(|t| shanghai_date(super::at(t.opening_at)) <= as_of) {
        let c = write_tx(conn, |conn| {
            // Re-read under the transaction: another server may have opened it meanwhile.
            let fresh: TenderRow = tenders::table.find(&t.id).select(TenderRow::as_select()).first(conn)?;
            if fresh.status()? != TenderStatus::Bidding {
                return Ok(OpeningCounts::default());
            }
            let region_actor = Actor { region_id: Some(fresh.region_id.clone()), ..system.clone() };
            open_unchecked(conn, &region_actor, sealing, &fresh, now)
        })?;
        total.tenders += c.tenders;
        total.bids += c.bids;
        total.winners += c.winners;
        total.offers += c.offers;
    }
    Ok(total)
}

// ---------------------------------------------------------------- offers

/// A failed shortlisted bidder accepts or refuses the price offered to it, before the deadline.
pub fn answer_offer(
    conn: &mut DbConnection,
    actor: &Actor,
    tender_id: &str,
    bid_id: &str,
    accept: bool,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    actor.require(&[Role::Supplier], "answer offers")?;
    write_tx(conn, |conn| {
        let tender = store::visible_tender(conn, actor, tender_id)?;
        super::require_stage(&tender, &[TenderStatus::Opened])?;
        let bid: BidRow = tender_bids::table
            .filter(tender_bids::tender_id.eq(&tender.id))
            .filter(tender_bids::id.eq(bid_id))
            .filter(tender_bids::enterprise_id.eq(&actor.org_id))
            .select(BidRow::as_select())
            .first(conn)
            .optional()?
            .ok_or(DomainError::not_found("bid"))?;
        let deadline = bid
            .opened
            .offer_deadline
            .ok_or_else(|| DomainError::conflict(ErrorCode::NoOffer, "no price was offered to this bid"))?;
        if bid.offer_answer.is_some() {
            return Err(DomainError::conflict(ErrorCode::OfferAnswered, "this offer has been answered already"));
        }
        if to_db(now) > deadline {
            return Err(DomainError::conflict(
                ErrorCode::OfferLapsed,
                format!("the offer lapsed at {}", super::at(deadline)),
            ));
        }
        let answer = if accept { "accepted" } else { "refused" };
        diesel::update(tender_bids::table.find(&bid.id).filter(tender_bids::offer_answer.is_null()))
            .set((
                tender_bids::offer_answer.eq(Some(answer)),
                tender_bids::offer_answered_at.eq(Some(to_db(now))),
                tender_bids::final_pack_price.eq(if accept { bid.opened.offer_pack_price } else { None }),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                Some(&tender.region_id),
                "tender_bid",
                &bid.id,
                if accept { "accept_offer" } else { "refuse_offer" },
                &serde_json::json!({"offer_answer": null}),
                &serde_json::json!({"offer_answer": answer, "offer_pack_price": bid.opened.offer_pack_price}),
            ),
            now,
        )
    })
}

// ---------------------------------------------------------------- results

/// One bid of the opened results, with every figure that decided it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BidResult {
    pub bid_id: String,
    pub enterprise_id: String,
    pub enterprise_name: String,
    pub product_code: String,
    pub specification: String,
    pub strength: String,
    pub units_per_pack: i64,
    pub pack_price: Money,
    /// pack price / units per pack, full precision.
    pub unit_price: String,
    /// The differential K against the representative spec.
    pub coefficient: String,
    /// unit / K rounded half-up to 4 decimals: the price every rule compares.
    pub comparable: UnitPrice,
    pub comparable_exact: String,
    pub rank: Option<i32>,
    pub shortlisted: bool,
    pub wins: bool,
    /// The rule that decided it: above_max_price, not_shortlisted, within_multiple,
    /// under_absolute_ceiling, discount_from_max, offered, failed.
    pub decision: String,
    pub cost_statement_required: bool,
    pub offer_price: Option<UnitPrice>,
    pub offer_pack_price: Option<Money>,
    #[serde(serialize_with = "crate::clock::ser_utc_opt")]
    pub offer_deadline: Option<NaiveDateTime>,
    pub offer_answer: Option<String>,
    /// Whether it is a (proposed or final) winner: it won, or accepted its offer.
    pub selected: bool,
    pub final_pack_price: Option<Money>,
    pub version: i32,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub submitted_at: NaiveDateTime,
    pub receipt: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenericResult {
    pub generic: super::GenericView,
    pub tie_rule: String,
    pub rule_set: String,
    pub bids: Vec<BidResult>,
}

/// The opened results of a tender, explained bid by bid. Refused before the opening, for
/// everyone.
pub fn results(conn: &mut DbConnection, actor: &Actor, tender_id: &str) -> DomainResult<Vec<GenericResult>> {
    let tender = store::visible_tender(conn, actor, tender_id)?;
    if !tender.status()?.is_open() {
        return Err(DomainError::conflict(ErrorCode::BidsSealed, "the bids stay sealed until the opening"));
    }
    let rules = tender.rules()?;
    let view = super::view(conn, actor, &tender)?;
    let mut out = Vec::new();
    for generic in view.generics {
        let rows: Vec<(BidRow, QualificationRow, String, String, String)> = tender_bids::table
            .inner_join(tender_qualifications::table.inner_join(products::table))
            .inner_join(organizations::table.on(organizations::id.eq(tender_bids::enterprise_id)))
            .filter(tender_bids::generic_id.eq(&generic.id))
            .select((
                BidRow::as_select(),
                QualificationRow::as_select(),
                organizations::name,
                products::code,
                products::specification,
            ))
            .load(conn)?;
        let mut bids: Vec<BidResult> = rows
            .into_iter()
            .map(|(b, q, enterprise_name, product_code, specification)| BidResult {
                selected: b.opened.wins == Some(true) || b.offer_answer.as_deref() == Some("accepted"),
                bid_id: b.id,
                enterprise_id: b.enterprise_id,
                enterprise_name,
                product_code,
                specification,
                strength: q.strength,
                units_per_pack: q.units_per_pack,
                pack_price: Money::from_fen(b.opened.pack_price.unwrap_or(0)),
                unit_price: b.opened.unit_price.unwrap_or_default(),
                coefficient: b.opened.coefficient.unwrap_or_default(),
                comparable: UnitPrice::from_ten_thousandths(b.opened.comparable.unwrap_or(0)),
                comparable_exact: b.opened.comparable_exact.unwrap_or_default(),
                rank: b.opened.rank,
                shortlisted: b.opened.shortlisted.unwrap_or(false),
                wins: b.opened.wins.unwrap_or(false),
                decision: b.opened.decision.unwrap_or_default(),
                cost_statement_required: b.opened.cost_statement.unwrap_or(false),
                offer_price: b.opened.offer_price.map(UnitPrice::from_ten_thousandths),
                offer_pack_price: b.opened.offer_pack_price.map(Money::from_fen),
                offer_deadline: b.opened.offer_deadline,
                offer_answer: b.offer_answer,
                final_pack_price: b.opened.final_pack_price.map(Money::from_fen),
                version: b.version,
                submitted_at: b.submitted_at,
                receipt: b.receipt,
            })
            .collect();
        bids.sort_by_key(|b| (b.rank.is_none(), b.rank));
        out.push(GenericResult {
            generic,
            tie_rule: rules.tie_rule.clone(),
            rule_set: rules.rule_set.name.clone(),
            bids,
        });
    }
    Ok(out)
}
