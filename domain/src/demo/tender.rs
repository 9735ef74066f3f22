//! The demo's tenders: one open for bids (sealed, opening in three days), and one already
//! opened under the 10th-batch rules, with an accepted offer, an answered objection and final
//! results, its winners' region picks open: once they pick, the bureau can put it in force and
//! hospitals order its winning product.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::actor::Actor;
use crate::catalog::{self, BatchLevel, Category, NewProduct};
use crate::error::DomainResult;
use crate::identity::OrgRow;
use crate::money::{Money, UnitPrice};
use crate::tender::bidding::{self, NewBid, NewQualification};
use crate::tender::demand::{self, NewDemand};
use crate::tender::results::{self, NewObjection};
use crate::tender::seal::SealingKey;
use crate::tender::{self, Move, NewTender, NewTenderGeneric, TenderView};

/// Bidders' products of one generic: (strength mg, tablets a box, price a box).
type Offer = (&'static str, i64, &'static str);

fn products(
    conn: &mut crate::db::DbConnection,
    bureau: &Actor,
    generic: &str,
    code_no: usize,
    offers: &[Offer],
    at: DateTime<Utc>,
) -> DomainResult<Vec<String>> {
    let items: Vec<NewProduct> = offers
        .iter()
        .enumerate()
        .map(|(i, (mg, units, _))| NewProduct {
            code: format!("XC10AAA{code_no:03}A010{:02}{:02}{:05}", i + 1, units, 20_000 + i * 17),
            generic_name: generic.into(),
            generic_name_en: None,
            dosage_form: "片剂".into(),
            specification: format!("{mg}mg"),
            pack_size: *units,
            min_unit: "片".into(),
            consistency: None,
        })
        .collect();
    Ok(catalog::create_products(conn, bureau, items, at)?.into_iter().map(|p| p.code).collect())
}

/// One demo tender of one generic: its document, its bidders' offers and when each step
/// happened.
struct DemoTender<'a> {
    name: &'a str,
    doc: &'a str,
    generic: &'a str,
    /// Tells its products' codes from another tender's.
    code_no: usize,
    max_price: &'a str,
    rule_set: &'a str,
    cycle_start: NaiveDate,
    offers: &'a [Offer],
    products_at: DateTime<Utc>,
    /// Created, demand closes, bid deadline, opening.
    times: [DateTime<Utc>; 4],
    /// Demand reported, document published, first bid.
    bid_times: [DateTime<Utc>; 3],
}

/// Creates the tender's products and the tender, and runs it to sealed bids; answers the
/// tender and its bidders (the first manufacturers, one an offer).
fn tender_with_bids<'m>(
    conn: &mut crate::db::DbConnection,
    bureau: &Actor,
    sealing: &SealingKey,
    hospitals: &[(OrgRow, Actor)],
    manufacturers: &'m [(OrgRow, Actor)],
    spec: DemoTender,
) -> DomainResult<(TenderView, &'m [(OrgRow, Actor)])> {
    let bidders = &manufacturers[..spec.offers.len().min(manufacturers.len())];
    let codes = products(conn, bureau, spec.generic, spec.code_no, spec.offers, spec.products_at)?;
    let t = draft(conn, bureau, sealing, &spec)?;
    run_to_bids(conn, bureau, sealing, &t, hospitals, bidders, &codes, spec.offers, spec.bid_times)?;
    Ok((t, bidders))
}

fn draft(
    conn: &mut crate::db::DbConnection,
    bureau: &Actor,
    sealing: &SealingKey,
    spec: &DemoTender,
) -> DomainResult<TenderView> {
    let DemoTender { name, doc, generic, max_price, rule_set, cycle_start, times, .. } = *spec;
    let [created, demand_closes, deadline, opening] = times;
    tender::create_tender(
        conn,
        bureau,
        sealing,
        NewTender {
            name: name.into(),
            document_no: doc.into(),
            category: Category::Drug,
            level: BatchLevel::Provincial,
            cycle_start,
            cycle_end: cycle_start + chrono::Months::new(24) - chrono::Days::new(1),
            demand_closes_at: demand_closes,
            bid_deadline: deadline,
            opening_at: opening,
            cap_table: None,
            rule_set: Some(rule_set.into()),
            ratio_table: None,
            supply_region_codes: vec![],
            generics: vec![NewTenderGeneric {
                generic_name: generic.into(),
                dosage_form: "片剂".into(),
                rep_strength: "10".into(),
                rep_fill_volume: None,
                strength_unit: "mg".into(),
                min_unit: "片".into(),
                max_price: UnitPrice::parse(max_price).expect("valid price"),
            }],
        },
        created,
    )
}

/// Hospitals report, the document is published and bidding opens; then each bidder qualifies
/// and bids (the first one twice).
#[allow(clippy::too_many_arguments)]
fn run_to_bids(
    conn: &mut crate::db::DbConnection,
    bureau: &Actor,
    sealing: &SealingKey,
    t: &TenderView,
    hospitals: &[(OrgRow, Actor)],
    bidders: &[(OrgRow, Actor)],
    codes: &[String],
    offers: &[Offer],
    times: [DateTime<Utc>; 3],
) -> DomainResult<()> {
    let [reported, published, bid_at] = times;
    let generic = t.generics[0].id.clone();
    tender::advance(conn, bureau, &t.id, Move::OpenDemand, reported - Duration::hours(1))?;
    for (i, (_, h)) in hospitals.iter().enumerate() {
        let quantity = 40_000 + (i as i64 * 7_919) % 50_000;
        demand::report(
            conn,
            h,
            &t.id,
            vec![NewDemand { generic_id: generic.clone(), product_code: None, quantity, reason: None }],
            reported,
        )?;
    }
    tender::advance(conn, bureau, &t.id, Move::Publish, published)?;
    tender::advance(conn, bureau, &t.id, Move::OpenBidding, published)?;
    for (i, ((_, s), (mg, _, price))) in bidders.iter().zip(offers).enumerate() {
        let at = bid_at + Duration::minutes(i as i64 * 37);
        let q = NewQualification {
            generic_id: generic.clone(),
            product_code: codes[i].clone(),
            strength: mg.to_string(),
            fill_volume: None,
        };
        bidding::qualify(conn, s, &t.id, q, at)?;
        if i == 0 {
            let high = NewBid { generic_id: generic.clone(), pack_price: Money::parse("6.00").expect("valid") };
            bidding::submit_bid(conn, s, sealing, &t.id, high, at)?;
        }
        let bid = NewBid { generic_id: generic.clone(), pack_price: Money::parse(price).expect("valid") };
        bidding::submit_bid(conn, s, sealing, &t.id, bid, at + Duration::minutes(5))?;
    }
    Ok(())
}

pub(super) fn seed_tenders(
    conn: &mut crate::db::DbConnection,
    bureau: &Actor,
    hospitals: &[(OrgRow, Actor)],
    manufacturers: &[(OrgRow, Actor)],
    sealing: &SealingKey,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let day = Duration::days(1);
    let some_hospitals = &hospitals[..hospitals.len().min(8)];

    // Opened under the 10th-batch rules: A and B win, C accepts the highest winning price, an
    // objection is answered, the results are final. Its cycle starts this month, so that once
    // in force its winning product can be ordered.
    let today = crate::clock::shanghai_date(now);
    let this_month =
        NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), chrono::Datelike::month(&today), 1).expect("valid");
    let offers: [Offer; 5] =
        [("10", 28, "4.20"), ("20", 14, "5.71"), ("10", 7, "2.52"), ("5", 28, "8.40"), ("10", 14, "9.80")];
    let opened = DemoTender {
        name: "深圳市药品集中带量采购 第一批（演示：已开标）",
        doc: "SZ-YP2026-1",
        generic: "瑞舒伐他汀钙片",
        code_no: 190,
        max_price: "1.2000",
        rule_set: "batch10_accept_highest",
        cycle_start: this_month,
        offers: &offers,
        products_at: now - day * 41,
        times: [now - day * 40, now - day * 35, now - day * 26, now - day * 25],
        bid_times: [now - day * 38, now - day * 34, now - day * 28],
    };
    let (t, bidders) = tender_with_bids(conn, bureau, sealing, some_hospitals, manufacturers, opened)?;
    bidding::open_tender(conn, bureau, sealing, &t.id, now - day * 25 + Duration::hours(1))?;
    for g in bidding::results(conn, bureau, &t.id)? {
        for b in g.bids.iter().filter(|b| b.offer_price.is_some()) {
            let (_, s) = bidders.iter().find(|(o, _)| o.id == b.enterprise_id).expect("a bidder");
            bidding::answer_offer(conn, s, &t.id, &b.bid_id, true, now - day * 24)?;
        }
    }
    results::propose(conn, bureau, &t.id, now - day * 22)?;
    let (_, last) = &bidders[bidders.len() - 1];
    let objection = results::object(
        conn,
        last,
        &t.id,
        NewObjection { generic_id: None, body: "请复核我司 10mg×14片 的差比价计算。".into() },
        now - day * 21,
    )?;
    results::answer_objection(
        conn,
        bureau,
        &t.id,
        &objection.id,
        "经复核，含量相同，差比系数为 1，计算无误。",
        now - day * 20,
    )?;
    // Final two hours ago: the winners' region picks are open (24 hours a turn), so a demo user
    // can pick, and then the bureau put the results in force.
    results::finalize(conn, bureau, &t.id, now - Duration::hours(2))?;

    // Open for bids: sealed, opening in three days.
    let offers: [Offer; 3] = [("10", 28, "3.92"), ("20", 14, "6.12"), ("10", 7, "1.75")];
    let open = DemoTender {
        name: "深圳市药品集中带量采购 第二批（演示：投标中）",
        doc: "SZ-YP2026-2",
        generic: "阿托伐他汀钙片",
        code_no: 191,
        max_price: "0.9000",
        rule_set: "1.8x_0.10_50pct",
        cycle_start: NaiveDate::from_ymd_opt(chrono::Datelike::year(&today) + 1, 1, 1).expect("valid"),
        offers: &offers,
        products_at: now - day * 11,
        times: [now - day * 10, now - day * 4, now + day * 2, now + day * 3],
        bid_times: [now - day * 8, now - day * 4, now - day],
    };
    tender_with_bids(conn, bureau, sealing, some_hospitals, manufacturers, open)?;
    Ok(())
}
