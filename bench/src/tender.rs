//! The opening of a province-sized tender: `generics` generics with `bidders` sealed bids each,
//! and `hospitals` hospitals' demand, written through the domain's operations (demand lines in
//! bulk, as the opening never reads them but the database holds them). Times the opening itself
//! (unseal, check receipts, the rules, every figure written, one transaction) beside its floor:
//! the same rules over the same bids in memory, with no database and no decryption.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use diesel::prelude::*;
use jicai_domain::actor::{Actor, OrgKind, Role};
use jicai_domain::catalog::{self, BatchLevel, Category, NewProduct};
use jicai_domain::db::DbConnection;
use jicai_domain::identity::{self, NewOrg, NewRegion, NewUser};
use jicai_domain::money::{Money, UnitPrice};
use jicai_domain::schema::tender_demands;
use jicai_domain::tender::bidding::{self, NewBid, NewQualification};
use jicai_domain::tender::rules::TenderPolicy;
use jicai_domain::tender::rules::{self, Coefficients, OpenedBid, Spec};
use jicai_domain::tender::seal::SealingKey;
use jicai_domain::tender::store::DemandRow;
use jicai_domain::tender::{self, Move, NewTender, NewTenderGeneric};
use rust_decimal::Decimal;
use std::time::Instant;

pub struct Size {
    pub generics: usize,
    pub bidders: usize,
    pub hospitals: usize,
    pub lines_per_hospital: usize,
}

/// (strength mg, tablets a box) of each bidder's product, by bidder.
const SPECS: [(&str, i64); 6] = [("10", 28), ("20", 14), ("10", 7), ("5", 28), ("10", 14), ("40", 7)];

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).single().expect("valid instant")
}

/// A deterministic spread of comparable prices below the max (some above it, to be invalid).
fn comparable_of(g: usize, b: usize) -> Decimal {
    let x = ((g * 7_919 + b * 104_729) % 1_000) as i64; // 0..999
    Decimal::new(300 + x * 10, 4) // 0.0300 .. 1.0290 against a max of 1.0000
}

pub fn run(conn: &mut DbConnection, size: &Size, log: impl Fn(&str)) -> Result<String, String> {
    let e = |e: jicai_domain::DomainError| e.to_string();
    jicai_domain::db::run_migrations(conn).map_err(|e| e.to_string())?;
    let sealing = SealingKey::from_hex(&"5e".repeat(32))?;
    let t0 = at(1, 2);
    let platform = identity::ensure_platform_org(conn, false, t0).map_err(e)?;
    let system = Actor::system(String::new(), platform.id.clone());
    let region = jicai_domain::region_setup::create_region(
        conn,
        &system,
        NewRegion {
            code: "440000".into(), province_code: "440000".into(), name: "广东省".into(), deadline_rule: None
        },
        t0,
    )
    .map_err(e)?;
    let org = |conn: &mut DbConnection, kind: OrgKind, name: String| {
        identity::create_org(
            conn,
            &system,
            NewOrg {
                kind,
                name,
                credit_code: None,
                region_code: matches!(kind, OrgKind::Bureau | OrgKind::Hospital).then(|| region.code.clone()),
                hospital_level: (kind == OrgKind::Hospital).then_some(2),
                is_manufacturer: kind == OrgKind::Enterprise,
                is_distributor: false,
                bank_name: None,
                bank_account: None,
            },
            false,
            t0,
        )
    };
    let hash = identity::hash_password("bench-password").map_err(e)?;
    let user = |conn: &mut DbConnection, name: String, role: Role, o: &identity::OrgRow| -> Result<Actor, String> {
        let v = identity::create_user(
            conn,
            &system,
            NewUser {
                username: name.clone(),
                display_name: None,
                email: None,
                password: "bench-password".into(),
                role,
                org_id: o.id.clone(),
            },
            Some(hash.clone()),
            t0,
        )
        .map_err(|e| e.to_string())?;
        Ok(Actor {
            user_id: v.id,
            username: name.clone(),
            display_name: name,
            role,
            org_id: o.id.clone(),
            region_id: o.region_id.clone(),
        })
    };
    let bureau_org = org(conn, OrgKind::Bureau, "广东省药品交易中心".into()).map_err(e)?;
    let bureau = user(conn, "bureau".into(), Role::BureauOfficer, &bureau_org)?;
    let started = Instant::now();
    let mut hospitals = Vec::with_capacity(size.hospitals);
    for h in 0..size.hospitals {
        hospitals.push(org(conn, OrgKind::Hospital, format!("医院{h:05}")).map_err(e)?);
    }
    let mut bidders = Vec::with_capacity(size.bidders);
    for b in 0..size.bidders {
        let o = org(conn, OrgKind::Enterprise, format!("生产企业{b:03}")).map_err(e)?;
        bidders.push(user(conn, format!("maker{b:03}"), Role::Supplier, &o)?);
    }
    log(&format!("organisations in {:.1} s", started.elapsed().as_secs_f64()));

    // One product per bidder and generic.
    let generic_name = |g: usize| format!("基准品种{g:04}");
    let code = |g: usize, b: usize| {
        format!("XB01AAA{:03}A010{:02}{:02}{:05}", g % 1000, b % 100, SPECS[b % SPECS.len()].1, g * 100 + b)
    };
    let mut products = Vec::new();
    for g in 0..size.generics {
        for b in 0..size.bidders {
            let (mg, units) = SPECS[b % SPECS.len()];
            products.push(NewProduct {
                code: code(g, b),
                generic_name: generic_name(g),
                generic_name_en: None,
                dosage_form: "片剂".into(),
                specification: format!("{mg}mg×{units}片"),
                pack_size: units,
                min_unit: "片".into(),
                consistency: None,
            });
        }
    }
    for chunk in products.chunks(2_000) {
        catalog::create_products(conn, &bureau, chunk.to_vec(), t0).map_err(e)?;
    }
    log(&format!("{} products in {:.1} s", products.len(), started.elapsed().as_secs_f64()));

    let generics: Vec<NewTenderGeneric> = (0..size.generics)
        .map(|g| NewTenderGeneric {
            generic_name: generic_name(g),
            dosage_form: "片剂".into(),
            rep_strength: "10".into(),
            rep_fill_volume: None,
            strength_unit: "mg".into(),
            min_unit: "片".into(),
            max_price: UnitPrice::parse("1.0000").expect("valid"),
        })
        .collect();
    let t = tender::create_tender(
        conn,
        &bureau,
        &sealing,
        NewTender {
            name: "省级药品集中带量采购（基准）".into(),
            document_no: "BENCH-1".into(),
            category: Category::Drug,
            level: BatchLevel::Provincial,
            cycle_start: NaiveDate::from_ymd_opt(2027, 1, 1).expect("valid"),
            cycle_end: NaiveDate::from_ymd_opt(2028, 12, 31).expect("valid"),
            demand_closes_at: at(3, 2),
            bid_deadline: at(10, 9),
            opening_at: at(11, 1),
            cap_table: None,
            rule_set: Some("1.8x_0.10_50pct".into()),
            ratio_table: None,
            supply_region_codes: vec![],
            generics,
        },
        t0,
    )
    .map_err(e)?;
    tender::advance(conn, &bureau, &t.id, Move::OpenDemand, t0).map_err(e)?;
    let mut rows = Vec::new();
    for (h, hospital) in hospitals.iter().enumerate() {
        for l in 0..size.lines_per_hospital.min(size.generics) {
            let g = (h * 31 + l * 97) % size.generics;
            if rows.iter().rev().take(l).any(|r: &DemandRow| r.generic_id == t.generics[g].id) {
                continue;
            }
            rows.push(DemandRow {
                id: uuid::Uuid::now_v7().to_string(),
                tender_id: t.id.clone(),
                generic_id: t.generics[g].id.clone(),
                hospital_id: hospital.id.clone(),
                region_id: region.id.clone(),
                product_id: None,
                quantity: 10_000 + ((h * 13 + g * 7) % 90_000) as i64,
                past_use: None,
                reason: None,
                status: "submitted".into(),
                return_reason: None,
                updated_by: bureau.user_id.clone(),
                updated_at: jicai_domain::clock::to_db(t0),
            });
        }
    }
    let demand_lines = rows.len();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        for chunk in rows.chunks(50_000) {
            jicai_domain::bulk_insert!(&mut *conn, tender_demands::table, chunk.to_vec());
        }
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    log(&format!("{demand_lines} demand lines in {:.1} s", started.elapsed().as_secs_f64()));
    tender::advance(conn, &bureau, &t.id, Move::Publish, at(4, 2)).map_err(e)?;
    tender::advance(conn, &bureau, &t.id, Move::OpenBidding, at(4, 2)).map_err(e)?;

    // Every bidder qualifies and bids on every generic, through the operations (sealed).
    let rep = Spec { strength: Decimal::TEN, fill_volume: None, units_per_pack: 1 };
    let coefficients = Coefficients::default();
    let mut in_memory: Vec<Vec<OpenedBid>> = vec![Vec::new(); size.generics];
    let bid_start = Instant::now();
    for (g, generic) in t.generics.iter().enumerate() {
        for (b, bidder) in bidders.iter().enumerate() {
            let (mg, units) = SPECS[b % SPECS.len()];
            let spec = Spec { strength: mg.parse().expect("decimal"), fill_volume: None, units_per_pack: units as u32 };
            let k = rules::spec_differential(&spec, &rep, &coefficients);
            let pack = Money::round_half_up(comparable_of(g, b) * k * Decimal::from(units));
            let when = at(5, 2) + Duration::seconds((g * size.bidders + b) as i64);
            let q = NewQualification {
                generic_id: generic.id.clone(),
                product_code: code(g, b),
                strength: mg.into(),
                fill_volume: None,
            };
            bidding::qualify(conn, bidder, &t.id, q, when).map_err(e)?;
            let receipt = bidding::submit_bid(
                conn,
                bidder,
                &sealing,
                &t.id,
                NewBid { generic_id: generic.id.clone(), pack_price: pack },
                when,
            )
            .map_err(e)?;
            in_memory[g].push(OpenedBid {
                bidder: receipt.bid_id,
                spec,
                pack_price: pack.to_decimal(),
                submitted_at: jicai_domain::clock::to_db(when),
            });
        }
    }
    let bids = size.generics * size.bidders;
    log(&format!("{bids} sealed bids in {:.1} s", bid_start.elapsed().as_secs_f64()));

    // The floor: the rules alone, in memory.
    let policy = TenderPolicy::default();
    let tender_rules = policy.resolve("batch10", "1.8x_0.10_50pct", "by_winners").map_err(|(_, m)| m)?;
    let floor_start = Instant::now();
    let mut floor_winners = 0;
    for bids in &in_memory {
        let o = rules::open_generic(
            bids,
            &rep,
            Decimal::ONE,
            &coefficients,
            &tender_rules.cap_table,
            &tender_rules.rule_set,
        );
        floor_winners += o.outcomes.iter().filter(|x| x.wins).count();
    }
    let floor = floor_start.elapsed().as_secs_f64();

    // The opening, as the officer (or the job) runs it.
    let open_start = Instant::now();
    let counts = bidding::open_tender(conn, &bureau, &sealing, &t.id, at(11, 1)).map_err(e)?;
    let opening = open_start.elapsed().as_secs_f64();
    if counts.bids as usize != bids || counts.winners as usize != floor_winners {
        return Err(format!(
            "the opening opened {} bids with {} winners; the floor found {bids} and {floor_winners}",
            counts.bids, counts.winners
        ));
    }
    Ok(format!(
        "| generics | bids | hospitals | demand lines | opening | rules alone (floor) | opening / floor | winners |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|\n\
         | {} | {bids} | {} | {demand_lines} | {opening:.2} s | {floor:.3} s | {:.0}× | {} |",
        size.generics,
        size.hospitals,
        opening / floor.max(1e-9),
        counts.winners,
    ))
}
