//! OCDS 1.1 open data (issue 24, domain.md section 11): tenders and VBP batches as release and
//! record packages, for anyone, without signing in.
//!
//! Only what is public by nature is read: a tender once its document is published (never a
//! draft, never the hospitals' demand reports one by one), its bids only once opened (before,
//! not even their number), the results, the
//! batches with their winning bids, the agreed volumes, and the payables and payments of the
//! winning products. Organisations appear by id and name; people, users and bank details never.
//!
//! This module loads; `build` turns the loaded data into OCDS JSON without a database.

pub mod build;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

use crate::catalog::{BatchRow, BidRow as WinningBidRow, ProductRow};
use crate::clock::{from_db, shanghai_date};
use crate::db::DbConnection;
use crate::error::{DomainError, DomainResult};
use crate::money::{Money, UnitPrice};
use crate::payables::PayableRow;
use crate::schema::{
    agreed_volumes, audit_events, batches, delivery_lines, order_lines, organizations, payables, payments, products,
    regions, tender_bids, tender_demands, tender_qualifications, tender_regions, tenders, users, winning_bids,
};
use crate::tender::store::{self as tender_store, BidRow as TenderBidRow, TenderRow, TenderStatus};

use build::{
    allocate, parse_strength, Award, Bid, Contract, ContractYear, Medicine, Org, Payment, PaymentMilestone,
    PaymentState, TenderItem,
};
pub use build::{Process, Publisher};

/// The statuses at which a tender is public: from the publication of its document on.
fn public_statuses() -> Vec<&'static str> {
    TenderStatus::ALL.iter().filter(|s| **s >= TenderStatus::Published).map(|s| s.as_str()).collect()
}

/// Names of every organisation (id → name): few enough to hold, and read once per request.
struct Names(HashMap<String, String>);

impl Names {
    fn load(conn: &mut DbConnection) -> DomainResult<Names> {
        let rows: Vec<(String, String)> =
            organizations::table.select((organizations::id, organizations::name)).load(conn)?;
        Ok(Names(rows.into_iter().collect()))
    }
    fn org(&self, id: &str) -> Org {
        Org { id: id.to_string(), name: self.0.get(id).cloned().unwrap_or_else(|| id.to_string()) }
    }
}

/// The organisation of the officer who created a tender or batch (its bureau).
fn bureau_of(conn: &mut DbConnection, names: &Names, user_id: &str, region_id: &str) -> DomainResult<Org> {
    let org: Option<String> = users::table.find(user_id).select(users::org_id).first(conn).optional()?;
    let org = match org {
        Some(o) => o,
        None => organizations::table
            .filter(organizations::region_id.eq(region_id))
            .filter(organizations::kind.eq("bureau"))
            .select(organizations::id)
            .first(conn)
            .optional()?
            .unwrap_or_default(),
    };
    Ok(names.org(&org))
}

/// The region's medical-insurance fund, which pays the suppliers (the payer).
fn fund_of(conn: &mut DbConnection, region_id: &str) -> DomainResult<(String, Org)> {
    let (code, name): (String, String) =
        regions::table.find(region_id).select((regions::code, regions::name)).first(conn)?;
    let fund = Org { id: format!("fund-{code}"), name: format!("{name}医疗保障基金") };
    Ok((code, fund))
}

fn product_description(p: &ProductRow) -> String {
    format!("{} {}×{}{}", p.generic_name, p.specification, p.pack_size, p.min_unit)
}

fn medicine_of(p: &ProductRow) -> Medicine {
    Medicine {
        generic_name: p.generic_name.clone(),
        dosage_form: p.dosage_form.clone(),
        strength: parse_strength(&p.specification),
    }
}

// ---------------------------------------------------------------- tenders

fn public_tender(conn: &mut DbConnection, key: &str) -> DomainResult<TenderRow> {
    let key = key.trim().to_string();
    tenders::table
        .filter(tenders::id.eq(&key).or(tenders::tender_no.eq(&key)))
        .filter(tenders::status.eq_any(public_statuses()))
        .select(TenderRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("tender"))
}

/// When a tender moved to `status`, from its audit trail.
fn moved_at(conn: &mut DbConnection, tender_id: &str, status: TenderStatus) -> DomainResult<Option<DateTime<Utc>>> {
    let at: Option<NaiveDateTime> = audit_events::table
        .filter(audit_events::entity_type.eq("tender"))
        .filter(audit_events::entity_id.eq(tender_id))
        .filter(audit_events::action.eq(status.as_str()))
        .select(diesel::dsl::min(audit_events::occurred_at))
        .first(conn)?;
    Ok(at.map(from_db))
}

/// The batches a tender's enactment wrote: one per supply region, with its document number,
/// created at the instant of the enactment.
fn batches_of_tender(conn: &mut DbConnection, t: &TenderRow) -> DomainResult<Vec<BatchRow>> {
    let Some(enacted) = t.enacted_at else { return Ok(vec![]) };
    Ok(batches::table
        .filter(batches::document_no.eq(&t.document_no))
        .filter(batches::created_at.eq(enacted))
        .filter(batches::region_id.eq_any(
            tender_regions::table.filter(tender_regions::tender_id.eq(&t.id)).select(tender_regions::region_id),
        ))
        .select(BatchRow::as_select())
        .load(conn)?)
}

/// The tender whose enactment wrote a batch, if one did.
fn tender_of_batch(conn: &mut DbConnection, b: &BatchRow) -> DomainResult<Option<TenderRow>> {
    Ok(tenders::table
        .filter(tenders::document_no.eq(&b.document_no))
        .filter(tenders::enacted_at.eq(Some(b.created_at)))
        .filter(tenders::id.eq_any(
            tender_regions::table.filter(tender_regions::region_id.eq(&b.region_id)).select(tender_regions::tender_id),
        ))
        .select(TenderRow::as_select())
        .first(conn)
        .optional()?)
}

fn tender_process_of(
    conn: &mut DbConnection,
    publisher: &Publisher,
    names: &Names,
    t: &TenderRow,
    now: DateTime<Utc>,
) -> DomainResult<Process> {
    let status = t.status()?;
    let bureau = bureau_of(conn, names, &t.created_by, &t.region_id)?;
    let (_, fund) = fund_of(conn, &t.region_id)?;
    let published = moved_at(conn, &t.id, TenderStatus::Published)?.unwrap_or_else(|| from_db(t.demand_closes_at));
    let bidding_from = moved_at(conn, &t.id, TenderStatus::Bidding)?.unwrap_or(published);
    let rules = t.rules()?;
    let generics = tender_store::generics_of(conn, &t.id)?;

    // The demand base: submitted reports, per generic.
    let demand: Vec<(String, String, i64)> = tender_demands::table
        .filter(tender_demands::tender_id.eq(&t.id))
        .filter(tender_demands::status.eq("submitted"))
        .select((tender_demands::generic_id, tender_demands::hospital_id, tender_demands::quantity))
        .load(conn)?;
    let mut base: BTreeMap<&str, i64> = BTreeMap::new();
    for (g, _, q) in &demand {
        *base.entry(g.as_str()).or_default() += q;
    }
    let hospitals: BTreeSet<&str> = demand.iter().map(|(_, h, _)| h.as_str()).collect();
    let items: Vec<TenderItem> = generics
        .iter()
        .map(|g| TenderItem {
            id: g.id.clone(),
            description: format!(
                "{} {} (representative spec {}{})",
                g.spec.generic_name, g.spec.dosage_form, g.spec.rep_strength, g.spec.strength_unit
            ),
            medicine: Medicine {
                generic_name: g.spec.generic_name.clone(),
                dosage_form: g.spec.dosage_form.clone(),
                strength: Decimal::from_str(&g.spec.rep_strength).ok().map(|d| (d, g.spec.strength_unit.clone())),
            },
            product_code: None,
            unit: g.spec.min_unit.clone(),
            max_price: Some(UnitPrice::from_ten_thousandths(g.max_price)),
            quantity: base.get(g.id.as_str()).copied(),
        })
        .collect();

    // The opening: the figures it wrote, never the sealed text.
    let mut opening = None;
    let mut awards = Vec::new();
    let mut award_of: HashMap<(String, String), String> = HashMap::new();
    if status.is_open() {
        let rows: Vec<(TenderBidRow, String, i64, ProductRow)> = tender_bids::table
            .inner_join(tender_qualifications::table.inner_join(products::table))
            .filter(tender_bids::tender_id.eq(&t.id))
            .order((tender_bids::generic_id.asc(), tender_bids::rank.asc(), tender_bids::enterprise_id.asc()))
            .select((
                TenderBidRow::as_select(),
                tender_qualifications::product_id,
                tender_qualifications::units_per_pack,
                ProductRow::as_select(),
            ))
            .load(conn)?;
        let mut bids = Vec::new();
        for (b, product_id, units_per_pack, product) in rows {
            let (Some(pack), Some(comparable)) = (b.opened.pack_price, b.opened.comparable) else { continue };
            let decision = b.opened.decision.clone().unwrap_or_default();
            bids.push(Bid {
                id: b.id.clone(),
                item_id: b.generic_id.clone(),
                tenderer: names.org(&b.enterprise_id),
                submitted: from_db(b.submitted_at),
                product_code: product.code.clone(),
                product_description: product_description(&product),
                pack_price: Money::from_fen(pack),
                units_per_pack,
                unit_price: b
                    .opened
                    .unit_price
                    .as_deref()
                    .and_then(|u| Decimal::from_str(u).ok())
                    .unwrap_or_else(|| Money::from_fen(pack).to_decimal() / Decimal::from(units_per_pack.max(1))),
                comparable: UnitPrice::from_ten_thousandths(comparable),
                rank: b.opened.rank,
                valid: decision != "above_max_price",
                decision,
            });
            let won = b.opened.wins == Some(true) || b.offer_answer.as_deref() == Some("accepted");
            if won && status >= TenderStatus::Proposed {
                let price = b.opened.final_pack_price.or(b.opened.offer_pack_price).unwrap_or(pack);
                award_of.insert((b.enterprise_id.clone(), product_id.clone()), b.id.clone());
                awards.push(Award {
                    id: b.id.clone(),
                    supplier: names.org(&b.enterprise_id),
                    item_id: b.generic_id.clone(),
                    product_code: product.code.clone(),
                    product_description: product_description(&product),
                    medicine: medicine_of(&product),
                    unit: product.min_unit.clone(),
                    pack_price: Money::from_fen(price),
                    unit_price: UnitPrice::from_pack_price(Money::from_fen(price), units_per_pack.max(1)),
                    bid_id: Some(b.id.clone()),
                });
            }
        }
        opening = Some((t.opened_at.map(from_db).unwrap_or_else(|| from_db(t.opening_at)), bids));
    }

    let batches = batches_of_tender(conn, t)?;
    let batch_ids: Vec<String> = batches.iter().map(|b| b.id.clone()).collect();
    let contracts = contracts_of(
        conn,
        names,
        &batch_ids,
        |bid| {
            award_of
                .get(&(bid.enterprise_id.clone(), bid.product_id.clone()))
                .cloned()
                .unwrap_or_else(|| bid.id.clone())
        },
        now,
    )?;

    Ok(Process {
        ocid: publisher.ocid(&t.tender_no),
        title: t.name.clone(),
        description: format!("{} ({}): {} {}", t.name, t.document_no, t.level, t.category),
        number: t.tender_no.clone(),
        tendered: true,
        bureau,
        fund,
        published,
        tender_period: Some((bidding_from, from_db(t.bid_deadline))),
        award_period_start: Some(from_db(t.opening_at)),
        cycle: (t.cycle_start, t.cycle_end),
        rules: Some(format!(
            "Lowest comparable price per representative unit wins within the rules: shortlist cap table {}, rule set {}, agreed-volume ratio table {}",
            rules.cap_table.name, rules.rule_set.name, rules.ratio_table.name
        )),
        items,
        demand: (!demand.is_empty()).then(|| (hospitals.len(), base.values().sum())),
        opening,
        proposed: t.proposed_at.filter(|_| status >= TenderStatus::Proposed).map(from_db),
        final_at: t.final_at.filter(|_| status >= TenderStatus::Final).map(from_db),
        awards,
        enacted: t.enacted_at.map(from_db),
        contracts,
        today: shanghai_date(now),
        now,
    })
}

/// A public tender (by id or tender number) as a contracting process; 404 before its
/// publication.
pub fn tender_process(
    conn: &mut DbConnection,
    publisher: &Publisher,
    key: &str,
    now: DateTime<Utc>,
) -> DomainResult<Process> {
    let t = public_tender(conn, key)?;
    let names = Names::load(conn)?;
    tender_process_of(conn, publisher, &names, &t, now)
}

// ---------------------------------------------------------------- batches

fn batch_process_of(
    conn: &mut DbConnection,
    publisher: &Publisher,
    names: &Names,
    b: &BatchRow,
    now: DateTime<Utc>,
) -> DomainResult<Process> {
    let (code, fund) = fund_of(conn, &b.region_id)?;
    let bureau = bureau_of(conn, names, &b.created_by, &b.region_id)?;
    let bids: Vec<(WinningBidRow, ProductRow)> = winning_bids::table
        .inner_join(products::table)
        .filter(winning_bids::batch_id.eq(&b.id))
        .order((products::generic_name.asc(), products::code.asc(), winning_bids::enterprise_id.asc()))
        .select((WinningBidRow::as_select(), ProductRow::as_select()))
        .load(conn)?;
    let mut items: Vec<TenderItem> = Vec::new();
    for (_, p) in &bids {
        if !items.iter().any(|i| i.id == p.code) {
            items.push(TenderItem {
                id: p.code.clone(),
                description: product_description(p),
                medicine: medicine_of(p),
                product_code: Some(p.code.clone()),
                unit: p.min_unit.clone(),
                max_price: None,
                quantity: None,
            });
        }
    }
    let loaded = bids.iter().map(|(w, _)| from_db(w.created_at)).max().unwrap_or_else(|| from_db(b.created_at));
    let awards: Vec<Award> = bids
        .iter()
        .map(|(w, p)| Award {
            id: w.id.clone(),
            supplier: names.org(&w.enterprise_id),
            item_id: p.code.clone(),
            product_code: p.code.clone(),
            product_description: product_description(p),
            medicine: medicine_of(p),
            unit: p.min_unit.clone(),
            pack_price: Money::from_fen(w.pack_price),
            unit_price: UnitPrice::from_ten_thousandths(w.unit_price),
            bid_id: None,
        })
        .collect();
    let contracts = contracts_of(conn, names, std::slice::from_ref(&b.id), |bid| bid.id.clone(), now)?;
    let number = format!("{code}-{}", b.document_no);
    Ok(Process {
        ocid: publisher.ocid(&number),
        title: b.name.clone(),
        description: format!(
            "{} ({}): {} {}, winning bids loaded in region {code}",
            b.name, b.document_no, b.level, b.category
        ),
        number,
        tendered: false,
        bureau,
        fund,
        published: loaded,
        tender_period: None,
        award_period_start: None,
        cycle: (b.cycle_start, b.cycle_end),
        rules: None,
        items,
        demand: None,
        opening: None,
        proposed: None,
        final_at: None,
        awards,
        enacted: None,
        contracts,
        today: shanghai_date(now),
        now,
    })
}

/// A VBP batch as a contracting process: the tender's process when a tender's enactment wrote
/// it, else the batch's own.
pub fn batch_process(
    conn: &mut DbConnection,
    publisher: &Publisher,
    batch_id: &str,
    now: DateTime<Utc>,
) -> DomainResult<Process> {
    let b: BatchRow = batches::table
        .find(batch_id.trim())
        .select(BatchRow::as_select())
        .first(conn)
        .optional()?
        .ok_or(DomainError::not_found("batch"))?;
    let names = Names::load(conn)?;
    match tender_of_batch(conn, &b)? {
        Some(t) => tender_process_of(conn, publisher, &names, &t, now),
        None => batch_process_of(conn, publisher, &names, &b, now),
    }
}

/// Every public process (optionally of the region with code `region_code`: its tenders, those
/// supplying it, and its batches), each once: a batch written by a tender is in the tender's.
pub fn public_processes(
    conn: &mut DbConnection,
    publisher: &Publisher,
    region_code: Option<&str>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Process>> {
    let region_id: Option<String> = match region_code.map(str::trim).filter(|c| !c.is_empty()) {
        Some(code) => Some(
            regions::table
                .filter(regions::code.eq(code))
                .select(regions::id)
                .first(conn)
                .optional()?
                .ok_or(DomainError::not_found("region"))?,
        ),
        None => None,
    };
    let names = Names::load(conn)?;
    let mut q = tenders::table.filter(tenders::status.eq_any(public_statuses())).into_boxed();
    let mut bq = batches::table.into_boxed();
    if let Some(r) = &region_id {
        q = q.filter(tenders::region_id.eq(r.clone()).or(tenders::id.eq_any(
            tender_regions::table.filter(tender_regions::region_id.eq(r.clone())).select(tender_regions::tender_id),
        )));
        bq = bq.filter(batches::region_id.eq(r.clone()));
    }
    let tender_rows: Vec<TenderRow> = q.order(tenders::created_at.asc()).select(TenderRow::as_select()).load(conn)?;
    let batch_rows: Vec<BatchRow> = bq.order(batches::created_at.asc()).select(BatchRow::as_select()).load(conn)?;
    let mut out = Vec::new();
    for t in &tender_rows {
        out.push(tender_process_of(conn, publisher, &names, t, now)?);
    }
    for b in &batch_rows {
        match tender_of_batch(conn, b)? {
            Some(t) if tender_rows.iter().any(|r| r.id == t.id) => {}
            Some(t) => out.push(tender_process_of(conn, publisher, &names, &t, now)?),
            None => out.push(batch_process_of(conn, publisher, &names, b, now)?),
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- contracts and payments

/// The contracts of the winning bids of `batch_ids`: one per hospital × winning bid with its
/// agreed volume per year, and the payables and payments of the deliveries of those bids as
/// milestones and transactions. A delivery with lines of several bids (or of a listed product)
/// is split between them by the accepted amount of each, to the fen.
fn contracts_of(
    conn: &mut DbConnection,
    names: &Names,
    batch_ids: &[String],
    award_id: impl Fn(&WinningBidRow) -> String,
    now: DateTime<Utc>,
) -> DomainResult<Vec<Contract>> {
    if batch_ids.is_empty() {
        return Ok(vec![]);
    }
    let today = shanghai_date(now);
    let bids: Vec<(WinningBidRow, ProductRow)> = winning_bids::table
        .inner_join(products::table)
        .filter(winning_bids::batch_id.eq_any(batch_ids))
        .select((WinningBidRow::as_select(), ProductRow::as_select()))
        .load(conn)?;
    let bid_of: HashMap<&str, &(WinningBidRow, ProductRow)> = bids.iter().map(|b| (b.0.id.as_str(), b)).collect();
    let bids_in = winning_bids::table.filter(winning_bids::batch_id.eq_any(batch_ids)).select(winning_bids::id);

    type VolumeRow = (String, String, String, i16, chrono::NaiveDate, chrono::NaiveDate, i64, NaiveDateTime);
    let volumes: Vec<VolumeRow> = agreed_volumes::table
        .filter(agreed_volumes::bid_id.eq_any(bids_in))
        .order((agreed_volumes::hospital_id.asc(), agreed_volumes::bid_id.asc(), agreed_volumes::agreement_year.asc()))
        .select((
            agreed_volumes::id,
            agreed_volumes::hospital_id,
            agreed_volumes::bid_id,
            agreed_volumes::agreement_year,
            agreed_volumes::year_start,
            agreed_volumes::year_end,
            agreed_volumes::agreed_qty,
            agreed_volumes::created_at,
        ))
        .load(conn)?;
    let mut contracts: Vec<Contract> = Vec::new();
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    for (id, hospital, bid_id, year, start, end, qty, created) in volumes {
        let Some((bid, product)) = bid_of.get(bid_id.as_str()) else { continue };
        let key = (hospital.clone(), bid_id.clone());
        let i = *index.entry(key).or_insert_with(|| {
            contracts.push(Contract {
                id: id.clone(),
                award_id: award_id(bid),
                hospital: names.org(&hospital),
                supplier: names.org(&bid.enterprise_id),
                item_id: product.code.clone(),
                product_description: product_description(product),
                unit: product.min_unit.clone(),
                unit_price: UnitPrice::from_ten_thousandths(bid.unit_price),
                years: vec![],
                signed: from_db(created),
                milestones: vec![],
                payments: vec![],
            });
            contracts.len() - 1
        });
        contracts[i].years.push(ContractYear { id, year, start, end, quantity: qty });
    }

    // Accepted lines of every delivery that holds a line of these bids: (delivery, bid, qty, price).
    let mut deliveries_with_bids: Vec<String> = delivery_lines::table
        .inner_join(order_lines::table)
        .filter(order_lines::bid_id.eq_any(
            winning_bids::table.filter(winning_bids::batch_id.eq_any(batch_ids)).select(winning_bids::id.nullable()),
        ))
        .select(delivery_lines::delivery_id)
        .load(conn)?;
    deliveries_with_bids.sort();
    deliveries_with_bids.dedup();
    let mut lines: Vec<(String, Option<String>, Option<i64>, i64)> = Vec::new();
    for chunk in deliveries_with_bids.chunks(500) {
        lines.extend(
            delivery_lines::table
                .inner_join(order_lines::table)
                .filter(delivery_lines::delivery_id.eq_any(chunk))
                .select((
                    delivery_lines::delivery_id,
                    order_lines::bid_id,
                    delivery_lines::accepted_qty,
                    order_lines::unit_price,
                ))
                .load::<(String, Option<String>, Option<i64>, i64)>(conn)?,
        );
    }
    let mut parts: BTreeMap<String, BTreeMap<Option<String>, Decimal>> = BTreeMap::new();
    for (delivery, bid, qty, price) in &lines {
        let amount = UnitPrice::from_ten_thousandths(*price).extend(qty.unwrap_or(0));
        let bid = bid.clone().filter(|b| bid_of.contains_key(b.as_str()));
        *parts.entry(delivery.clone()).or_default().entry(bid).or_default() += amount;
    }
    let delivery_ids: Vec<String> = parts.keys().cloned().collect();
    let mut dues: Vec<PayableRow> = Vec::new();
    for chunk in delivery_ids.chunks(500) {
        dues.extend(
            payables::table
                .filter(payables::delivery_id.eq_any(chunk))
                .order(payables::acceptance_date.asc())
                .select(PayableRow::as_select())
                .load(conn)?,
        );
    }
    let mut paid: HashMap<String, Vec<(String, chrono::NaiveDate, i64)>> = HashMap::new();
    let mut payee_of: HashMap<String, String> = HashMap::new();
    let payable_ids: Vec<String> = dues.iter().map(|p| p.id.clone()).collect();
    for chunk in payable_ids.chunks(500) {
        let rows: Vec<(String, String, String, chrono::NaiveDate, i64)> = payments::table
            .filter(payments::payable_id.eq_any(chunk))
            .order(payments::paid_on.asc())
            .select((payments::id, payments::payable_id, payments::payee_id, payments::paid_on, payments::amount))
            .load(conn)?;
        for (id, payable, payee, on, amount) in rows {
            payee_of.insert(id.clone(), payee);
            paid.entry(payable).or_default().push((id, on, amount));
        }
    }
    for p in &dues {
        if p.amount == 0 {
            continue;
        }
        let Some(split) = parts.get(&p.delivery_id) else { continue };
        let keys: Vec<&Option<String>> = split.keys().collect();
        let weights: Vec<Decimal> = split.values().copied().collect();
        let owed = Money::from_fen(p.amount - p.credited_amount);
        let state = PaymentState::of(owed, Money::from_fen(p.paid_amount), p.paid_on, p.due_date, today);
        let amounts = allocate(p.amount, &weights);
        let payment_parts: Vec<(String, chrono::NaiveDate, Vec<i64>)> = paid
            .get(&p.id)
            .map(|v| v.iter().map(|(id, on, amount)| (id.clone(), *on, allocate(*amount, &weights))).collect())
            .unwrap_or_default();
        for (k, bid) in keys.iter().enumerate() {
            let Some(bid) = bid else { continue };
            let Some(&i) = index.get(&(p.hospital_id.clone(), bid.clone())) else { continue };
            let c = &mut contracts[i];
            c.milestones.push(PaymentMilestone {
                id: p.payable_no.clone(),
                payable_no: p.payable_no.clone(),
                accepted_on: p.acceptance_date,
                due: p.due_date,
                amount: Money::from_fen(amounts[k]),
                state,
            });
            for (n, (payment, on, shares)) in payment_parts.iter().enumerate() {
                if shares[k] > 0 {
                    c.payments.push(Payment {
                        // The payable's public number and the payment's place among its payments.
                        id: format!("{}-{}", p.payable_no, n + 1),
                        payee: names.org(payee_of.get(payment).unwrap_or(&p.supplier_id)),
                        payable_no: p.payable_no.clone(),
                        date: *on,
                        amount: Money::from_fen(shares[k]),
                    });
                }
            }
        }
    }
    Ok(contracts)
}

// ---------------------------------------------------------------- packages

/// The release package of processes.
pub fn release_package(publisher: &Publisher, uri: &str, now: DateTime<Utc>, processes: &[Process]) -> Value {
    let releases = processes.iter().flat_map(build::releases).collect();
    build::release_package(publisher, uri, now, releases)
}

/// The record package of processes, naming the release package they come from.
pub fn record_package(
    publisher: &Publisher,
    uri: &str,
    releases_uri: &str,
    now: DateTime<Utc>,
    processes: &[Process],
) -> Value {
    let records = processes.iter().map(|p| (p.ocid.clone(), build::releases(p))).collect();
    build::record_package(publisher, uri, releases_uri, now, records)
}
