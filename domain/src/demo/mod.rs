//! Demo data: one pooling region (深圳市) with its bureau, two fund officers, twenty hospitals
//! of all three levels, the real winning rows of the 7th and 8th national batches with their
//! manufacturers and two distributors, agreed volumes, and orders in every state.
//!
//! Everything is written through the domain operations, so the demo obeys every rule the API
//! enforces. History is seeded by running the operations at past instants. The batches keep
//! their real names, documents and prices; their cycles are placed around today so the demo
//! can be used on any date.

mod credit;
mod tender;

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Deserialize;

use crate::catalog::{
    self, BatchLevel, BidView, Category, NewBatch, NewListedProduct, NewProduct, NewWinningBid, SupplyRegion,
    SupplyRole,
};
use crate::db::{write_tx, DbConnection};
use crate::delivery::{
    self, AcceptanceInput, AcceptanceLine, AcceptanceMode, DeliveryView, NewDelivery, NewDeliveryLine,
};
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::identity::{self, Actor, NewOrg, NewRegion, NewUser, OrgKind, OrgRow, Role};
use crate::money::Money;
use crate::orders::{self, NewOrder, NewOrderLine, OrderView};
use crate::schema::organizations;
use crate::volumes::{self, NewAgreedVolume};

pub const DEMO_PASSWORD: &str = "jicai-demo";

const WINNING_ROWS: &str = include_str!("../../demo/vbp-winning-rows.csv");

#[derive(Debug, Deserialize)]
struct WinningRow {
    batch: String,
    generic_name_zh: String,
    generic_name_en: String,
    specification: String,
    pack: String,
    dosage_form: String,
    winning_enterprise: String,
    price_per_pack_cny: String,
}

/// One demo account, as printed by `jicai demo`.
#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub username: String,
    pub role: Role,
    pub organization: String,
}

#[derive(Debug)]
pub enum DemoOutcome {
    Seeded(Vec<DemoAccount>),
    AlreadyPresent(Vec<DemoAccount>),
}

const HOSPITALS: [(&str, i16); 20] = [
    ("深圳市人民医院", 3),
    ("北京大学深圳医院", 3),
    ("深圳市第二人民医院", 3),
    ("香港大学深圳医院", 3),
    ("中山大学附属第七医院", 3),
    ("深圳市中医院", 3),
    ("南方医科大学深圳医院", 3),
    ("深圳市罗湖区人民医院", 2),
    ("深圳市福田区人民医院", 2),
    ("深圳市南山区妇幼保健院", 2),
    ("深圳市龙岗区第三人民医院", 2),
    ("深圳市坪山区人民医院", 2),
    ("深圳市光明区人民医院", 2),
    ("深圳市盐田区人民医院", 2),
    ("福田区华富街道社区健康服务中心", 1),
    ("南山区蛇口社区健康服务中心", 1),
    ("罗湖区东门社区健康服务中心", 1),
    ("宝安区新安社区健康服务中心", 1),
    ("龙华区观澜社区健康服务中心", 1),
    ("龙岗区布吉社区健康服务中心", 1),
];

/// Distributors first (supplier1 and supplier2 are the ones hospitals order from).
const DISTRIBUTORS: [&str; 2] = ["国药控股深圳有限公司", "华润广东医药有限公司"];

/// ATC class, generic code, dosage-form code and minimum unit for each generic of the sample.
fn code_parts(generic_en: &str, form: &str) -> (&'static str, &'static str, &'static str, &'static str) {
    let (class, generic) = match generic_en {
        g if g.starts_with("Oseltamivir Phosphate Capsules") => ("J05AH", "A213"),
        g if g.starts_with("Oseltamivir Phosphate for") => ("J05AH", "A213"),
        g if g.starts_with("Iopamidol") => ("V08AB", "D041"),
        g if g.starts_with("Ebastine") => ("R06AX", "Y022"),
        g if g.starts_with("Ezetimibe") => ("C10AX", "Y098"),
        g if g.starts_with("Micafungin") => ("J02AX", "M105"),
        g if g.starts_with("Tigecycline") => ("J01AA", "T117"),
        g if g.starts_with("Mirtazapine") => ("N06AX", "M073"),
        g if g.starts_with("Levocarnitine") => ("A16AA", "Z010"),
        g if g.starts_with("Cefodizime") => ("J01DD", "T055"),
        _ => ("V03AX", "Z999"),
    };
    let (form_code, unit) = match form {
        "tablet" => ("A010", "片"),
        "capsule" => ("A012", "粒"),
        "oral suspension" => ("A030", "瓶"),
        "injection" if generic_en.starts_with("Iopamidol") => ("B002", "瓶"),
        "injection" => ("B002", "支"),
        "powder for injection" => ("B001", "瓶"),
        _ => ("A010", "个"),
    };
    (class, generic, form_code, unit)
}

fn dosage_form_zh(form: &str) -> &'static str {
    match form {
        "tablet" => "片剂",
        "capsule" => "胶囊剂",
        "oral suspension" => "干混悬剂",
        "injection" => "注射剂",
        "powder for injection" => "注射用无菌粉末",
        _ => "其他",
    }
}

fn pack_size(pack: &str) -> i64 {
    pack.split(|c: char| !c.is_ascii_digit()).next().and_then(|n| n.parse().ok()).unwrap_or(1)
}

fn is_demo_database(conn: &mut DbConnection) -> DomainResult<(bool, bool)> {
    let real: i64 = organizations::table.filter(organizations::is_demo.eq(false)).count().get_result(conn)?;
    let demo: i64 = organizations::table.filter(organizations::is_demo.eq(true)).count().get_result(conn)?;
    Ok((real > 0, demo > 0))
}

/// The demo accounts (usernames follow the seeding order).
pub fn accounts() -> Vec<DemoAccount> {
    let mut out = vec![
        DemoAccount { username: "admin".into(), role: Role::Admin, organization: "集采直结平台".into() },
        DemoAccount {
            username: "bureau1".into(), role: Role::BureauOfficer, organization: "深圳市医疗保障局".into()
        },
        DemoAccount {
            username: "bureau2".into(), role: Role::BureauOfficer, organization: "深圳市医疗保障局".into()
        },
        DemoAccount {
            username: "fund1".into(), role: Role::FundOfficer, organization: "深圳市医疗保障局".into()
        },
        DemoAccount {
            username: "fund2".into(), role: Role::FundOfficer, organization: "深圳市医疗保障局".into()
        },
    ];
    for (i, (name, _)) in HOSPITALS.iter().enumerate() {
        out.push(DemoAccount {
            username: format!("hospital{}", i + 1),
            role: Role::HospitalBuyer,
            organization: (*name).into(),
        });
    }
    for (i, name) in enterprise_names().iter().enumerate() {
        out.push(DemoAccount {
            username: format!("supplier{}", i + 1),
            role: Role::Supplier,
            organization: name.clone(),
        });
    }
    out
}

fn winning_rows() -> Vec<WinningRow> {
    csv::Reader::from_reader(WINNING_ROWS.as_bytes())
        .deserialize()
        .collect::<Result<Vec<WinningRow>, _>>()
        .expect("the bundled demo CSV parses")
}

fn enterprise_names() -> Vec<String> {
    let mut names: Vec<String> = DISTRIBUTORS.iter().map(|s| s.to_string()).collect();
    for row in winning_rows() {
        if !names.contains(&row.winning_enterprise) {
            names.push(row.winning_enterprise);
        }
    }
    names
}

/// Seeds the demo into an empty database, or reports that it is already there. Refuses a
/// database that holds anything else.
pub fn seed(
    conn: &mut DbConnection,
    sealing: &crate::tender::seal::SealingKey,
    now: DateTime<Utc>,
) -> DomainResult<DemoOutcome> {
    let (has_real, has_demo) = is_demo_database(conn)?;
    if has_real {
        return Err(DomainError::conflict(
            ErrorCode::NotADemoDatabase,
            "this database holds non-demo data; `jicai demo` runs only on an empty or demo database",
        ));
    }
    if has_demo {
        return Ok(DemoOutcome::AlreadyPresent(accounts()));
    }
    write_tx(conn, |conn| seed_all(conn, sealing, now))?;
    Ok(DemoOutcome::Seeded(accounts()))
}

struct Seeded {
    hospitals: Vec<(OrgRow, Actor)>,
    suppliers: Vec<(OrgRow, Actor)>,
    bids: Vec<BidView>,
}

fn actor_for(user_id: String, username: &str, display_name: &str, role: Role, org: &OrgRow) -> Actor {
    Actor {
        user_id,
        username: username.into(),
        display_name: display_name.into(),
        role,
        org_id: org.id.clone(),
        region_id: org.region_id.clone(),
    }
}

fn seed_all(
    conn: &mut DbConnection,
    sealing: &crate::tender::seal::SealingKey,
    now: DateTime<Utc>,
) -> DomainResult<()> {
    let setup_time = now - Duration::days(400);
    let platform = identity::ensure_platform_org(conn, true, setup_time)?;
    let system = Actor::system(String::new(), platform.id.clone());
    let hash = identity::hash_password(DEMO_PASSWORD)?;
    let user = |conn: &mut DbConnection, username: &str, name: &str, role: Role, org: &OrgRow| -> DomainResult<Actor> {
        let view = identity::create_user(
            conn,
            &system,
            NewUser {
                username: username.into(),
                display_name: Some(name.into()),
                email: Some(format!("{username}@demo.jicai.local")),
                password: DEMO_PASSWORD.into(),
                role,
                org_id: org.id.clone(),
            },
            Some(hash.clone()),
            setup_time,
        )?;
        Ok(actor_for(view.id, username, name, role, org))
    };
    user(conn, "admin", "平台管理员 Platform admin", Role::Admin, &platform)?;

    let region = crate::region_setup::create_region(
        conn,
        &system,
        NewRegion {
            code: "440300".into(), province_code: "440000".into(), name: "深圳市".into(), deadline_rule: None
        },
        setup_time,
    )?;
    let org = |conn: &mut DbConnection,
               kind: OrgKind,
               name: &str,
               level: Option<i16>,
               manufacturer: bool,
               distributor: bool| {
        identity::create_org(
            conn,
            &system,
            NewOrg {
                kind,
                name: name.into(),
                credit_code: None,
                region_code: matches!(kind, OrgKind::Bureau | OrgKind::Hospital).then(|| region.code.clone()),
                hospital_level: level,
                is_manufacturer: manufacturer,
                is_distributor: distributor,
                bank_name: (kind == OrgKind::Enterprise).then(|| "中国工商银行深圳分行".to_string()),
                bank_account: (kind == OrgKind::Enterprise).then(|| {
                    format!("4000 0210 {:04} {:04}", name.len() * 37 % 10_000, name.chars().count() * 911 % 10_000)
                }),
            },
            true,
            setup_time,
        )
    };
    let bureau_org = org(conn, OrgKind::Bureau, "深圳市医疗保障局", None, false, false)?;
    let bureau = user(conn, "bureau1", "招采处 李明", Role::BureauOfficer, &bureau_org)?;
    // A second officer: credit ratings take effect on a second officer's approval.
    let bureau2 = user(conn, "bureau2", "招采处 周敏", Role::BureauOfficer, &bureau_org)?;
    let fund1 = user(conn, "fund1", "经办机构 王芳", Role::FundOfficer, &bureau_org)?;
    let fund2 = user(conn, "fund2", "经办机构 陈刚", Role::FundOfficer, &bureau_org)?;

    let mut hospitals = Vec::new();
    for (i, (name, level)) in HOSPITALS.iter().enumerate() {
        let h = org(conn, OrgKind::Hospital, name, Some(*level), false, false)?;
        let a = user(conn, &format!("hospital{}", i + 1), &format!("{name} 药剂科"), Role::HospitalBuyer, &h)?;
        hospitals.push((h, a));
    }
    let mut suppliers = Vec::new();
    for (i, name) in enterprise_names().iter().enumerate() {
        let distributor = i < DISTRIBUTORS.len();
        let e = org(conn, OrgKind::Enterprise, name, None, !distributor, distributor)?;
        let a = user(conn, &format!("supplier{}", i + 1), &format!("{name} 财务部"), Role::Supplier, &e)?;
        suppliers.push((e, a));
    }
    credit::seed_letters(conn, &suppliers, setup_time)?;
    let by_name =
        |name: &str| suppliers.iter().find(|(o, _)| o.name == name).map(|(o, _)| o.id.clone()).expect("seeded");

    // Products and batches.
    let rows = winning_rows();
    let today = crate::clock::shanghai_date(now);
    let month_start = |months_back: u32| {
        NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("valid") - Months::new(months_back)
    };
    let batch_specs = [
        ("国家组织药品集中采购 第七批", "GY-YD2022-1", month_start(11), 36),
        ("国家组织药品集中采购 第八批", "GY-YD2023-1", month_start(5), 24),
    ];
    let mut batch_ids = std::collections::HashMap::new();
    for (name, doc, start, months) in batch_specs {
        let b = catalog::create_batch(
            conn,
            &bureau,
            NewBatch {
                name: name.into(),
                level: BatchLevel::National,
                category: Category::Drug,
                document_no: doc.into(),
                cycle_start: start,
                cycle_end: start + Months::new(months) - chrono::Days::new(1),
                volume_ratios: None,
            },
            setup_time,
        )?;
        batch_ids.insert(name.to_string(), b.id);
    }
    let mut new_products = Vec::new();
    let mut bids = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let (class, generic, form, unit) = code_parts(&r.generic_name_en, &r.dosage_form);
        let size = pack_size(&r.pack);
        let code = format!("X{class}{generic}{form}{:02}{:02}{:05}", (i % 9) + 1, size.min(99), 10_000 + i * 137);
        new_products.push(NewProduct {
            code: code.clone(),
            generic_name: r.generic_name_zh.clone(),
            generic_name_en: Some(r.generic_name_en.clone()),
            dosage_form: dosage_form_zh(&r.dosage_form).into(),
            specification: r.specification.clone(),
            pack_size: size,
            min_unit: unit.into(),
            consistency: None,
        });
        let batch_id = batch_ids.get(r.batch.as_str()).cloned().expect("batch of the CSV exists");
        bids.push(NewWinningBid {
            batch_id,
            product_code: code,
            enterprise_id: by_name(&r.winning_enterprise),
            pack_price: Money::parse(&r.price_per_pack_cny)
                .map_err(|e| DomainError::Internal(format!("demo price: {e}")))?,
            unit_price: None,
            supply_regions: vec![SupplyRegion { region_code: "440000".into(), role: SupplyRole::Primary }],
            distributor_ids: suppliers.iter().take(DISTRIBUTORS.len()).map(|(o, _)| o.id.clone()).collect(),
        });
    }
    // A listed non-winning alternative: the originator's ezetimibe (plausible price).
    new_products.push(NewProduct {
        code: "XC10AXY098A010010100091".into(),
        generic_name: "依折麦布片".into(),
        generic_name_en: Some("Ezetimibe Tablets (originator)".into()),
        dosage_form: "片剂".into(),
        specification: "10 mg".into(),
        pack_size: 10,
        min_unit: "片".into(),
        consistency: Some(catalog::Consistency::Originator),
    });
    catalog::create_products(conn, &bureau, new_products, setup_time)?;
    let bids = catalog::create_winning_bids(conn, &bureau, bids, setup_time)?;
    catalog::create_listed_products(
        conn,
        &bureau,
        vec![NewListedProduct {
            product_code: "XC10AXY098A010010100091".into(),
            enterprise_id: by_name("N.V. Organon"),
            pack_price: Money::from_fen(6_500),
            unit_price: None,
        }],
        setup_time,
    )?;

    // Agreed volumes: every hospital × every bid, demand by hospital level.
    let mut volumes = Vec::new();
    for (h, (hospital, _)) in hospitals.iter().enumerate() {
        let level = hospital.hospital_level.unwrap_or(1) as i64;
        for (b, bid) in bids.iter().enumerate() {
            let packs = match level {
                3 => 120,
                2 => 40,
                _ => 10,
            } * (1 + ((h * 31 + b * 17) % 7) as i64);
            // Demand in minimum units, not always whole packs (hospitals report use, not boxes).
            let demand = packs * bid.product.pack_size + ((h + b) % 3) as i64;
            volumes.push(NewAgreedVolume {
                hospital_id: hospital.id.clone(),
                winning_bid_id: bid.id.clone(),
                agreement_year: 1,
                reported_demand: demand,
            });
        }
    }
    volumes::create_agreed_volumes(conn, &bureau, volumes, setup_time)?;

    let seeded = Seeded { hospitals, suppliers, bids };
    seed_orders(conn, &seeded, now)?;
    let year_starts = [month_start(11), month_start(5)];
    seed_settlement(conn, &seeded, &fund1, &fund2, &year_starts, now)?;
    seed_retention(conn, &seeded, &bureau, now)?;
    let makers: Vec<&BidView> = seeded
        .bids
        .iter()
        .filter(|b| seeded.suppliers[DISTRIBUTORS.len()..].iter().any(|(o, _)| o.id == b.enterprise_id))
        .collect();
    // Two different manufacturers, the last ones seeded (away from the orders other demos show).
    let mut picked: Vec<&BidView> = Vec::new();
    for b in makers.iter().rev() {
        if picked.iter().all(|p| p.enterprise_id != b.enterprise_id) {
            picked.push(b);
        }
    }
    credit::seed_ratings(conn, &bureau, &bureau2, &picked, now)?;
    tender::seed_tenders(conn, &bureau, &seeded.hospitals, &seeded.suppliers[DISTRIBUTORS.len()..], sealing, now)?;
    seed_standards(conn, &bureau, now)?;
    // The public site: everything published once, as of the demo's today.
    for kind in crate::disclosure::Kind::ALL {
        let note = Some("演示数据首次公开".to_string());
        crate::disclosure::publish(conn, &bureau, crate::disclosure::NewPublication { kind, note }, now)?;
    }
    Ok(())
}

/// The region's payment standards, computed by the national rule and published, in force from
/// today: the winning products at their prices and the originator ezetimibe in its glide.
fn seed_standards(conn: &mut DbConnection, bureau: &Actor, now: DateTime<Utc>) -> DomainResult<()> {
    let today = crate::clock::shanghai_date(now);
    crate::standards::compute(
        conn,
        bureau,
        crate::standards::ComputeRequest { effective_from: Some(today), ..Default::default() },
        now,
    )?;
    crate::standards::publish_all(conn, bureau, crate::standards::PublishRequest { effective_from: today }, now)?;
    Ok(())
}

#[derive(Clone, Copy, Debug)]
enum Scenario {
    Completed,
    CompletedAfterReplacement,
    PartiallyAccepted,
    Shipped,
    PartiallyShipped,
    Confirmed,
    Submitted,
    Declined,
    Cancelled,
}

const SCENARIOS: [Scenario; 9] = [
    Scenario::Completed,
    Scenario::CompletedAfterReplacement,
    Scenario::PartiallyAccepted,
    Scenario::Shipped,
    Scenario::PartiallyShipped,
    Scenario::Confirmed,
    Scenario::Submitted,
    Scenario::Declined,
    Scenario::Cancelled,
];

fn seed_orders(conn: &mut DbConnection, s: &Seeded, now: DateTime<Utc>) -> DomainResult<()> {
    // hospital1 gets one order in every state; the other hospitals share the rest.
    let plan: Vec<(usize, Scenario)> = SCENARIOS
        .iter()
        .map(|sc| (0usize, *sc))
        .chain((0..36).map(|k| (1 + k % 19, SCENARIOS[k % SCENARIOS.len()])))
        .collect();
    let n = plan.len() as i64;
    for (k, (h, scenario)) in plan.into_iter().enumerate() {
        let (_, hospital) = &s.hospitals[h];
        let bid = &s.bids[(k * 5) % s.bids.len()];
        let second = &s.bids[(k * 5 + 3) % s.bids.len()];
        let supplier = &s.suppliers[k % 2];
        // Orders are placed from 44 days ago up to 2 days ago, a few hours apart.
        let placed = now - Duration::hours(2 * 24 + (n - 1 - k as i64) * 23);
        let packs = 4 + (k as i64 * 7) % 20;
        let mut lines = vec![line(bid, packs)];
        if matches!(scenario, Scenario::PartiallyShipped) {
            lines.push(line(second, 2 + packs / 2));
        }
        let order = orders::place_order(
            conn,
            hospital,
            NewOrder { supplier_id: supplier.0.id.clone(), note: Some("月度常规采购".into()), lines },
            placed,
        )?;
        let step = |hours: i64| placed + Duration::hours(hours);
        match scenario {
            Scenario::Submitted => {}
            Scenario::Cancelled => {
                orders::cancel_order(conn, hospital, &order.summary.id, step(3))?;
            }
            Scenario::Declined => {
                orders::decline_order(
                    conn,
                    &supplier.1,
                    &order.summary.id,
                    "库存不足，预计两周后到货 (out of stock for two weeks)",
                    step(5),
                )?;
            }
            _ => {
                orders::confirm_order(conn, &supplier.1, &order.summary.id, step(4))?;
                ship_and_accept(conn, scenario, &order, hospital, &supplier.1, step(20), k)?;
            }
        }
    }
    Ok(())
}

fn line(bid: &BidView, packs: i64) -> NewOrderLine {
    NewOrderLine {
        winning_bid_id: Some(bid.id.clone()),
        listed_product_id: None,
        quantity: packs * bid.product.pack_size,
        unit_price: bid.unit_price,
    }
}

#[allow(clippy::too_many_arguments)]
fn ship_and_accept(
    conn: &mut DbConnection,
    scenario: Scenario,
    order: &OrderView,
    hospital: &Actor,
    supplier: &Actor,
    shipped_at: DateTime<Utc>,
    k: usize,
) -> DomainResult<()> {
    if matches!(scenario, Scenario::Confirmed) {
        return Ok(());
    }
    let ship_lines = |only_first: bool, qty: Option<i64>, lot: &str| -> Vec<NewDeliveryLine> {
        order
            .lines
            .iter()
            .take(if only_first { 1 } else { order.lines.len() })
            .map(|l| NewDeliveryLine {
                order_line_id: l.id.clone(),
                quantity: qty.unwrap_or(l.quantity),
                lot_no: lot.to_string(),
                production_date: crate::clock::shanghai_date(shipped_at) - Duration::days(120),
                expiry_date: crate::clock::shanghai_date(shipped_at) + Duration::days(600),
            })
            .collect()
    };
    let lot = format!("{}{:03}", crate::clock::shanghai_date(shipped_at).format("%y%m%d"), k);
    let first = delivery::ship(
        conn,
        supplier,
        NewDelivery {
            order_id: order.summary.id.clone(),
            note: None,
            lines: ship_lines(matches!(scenario, Scenario::PartiallyShipped), None, &lot),
        },
        shipped_at,
    )?;
    let accept_at = shipped_at + Duration::hours(26);
    match scenario {
        Scenario::Shipped | Scenario::PartiallyShipped => Ok(()),
        Scenario::Completed => accept(conn, hospital, &first, 0, accept_at),
        Scenario::PartiallyAccepted => accept(conn, hospital, &first, 1, accept_at),
        Scenario::CompletedAfterReplacement => {
            accept(conn, hospital, &first, 1, accept_at)?;
            let pack = order.lines[0].product.pack_size;
            let replacement = delivery::ship(
                conn,
                supplier,
                NewDelivery {
                    order_id: order.summary.id.clone(),
                    note: Some("补发破损货品 replacement for damaged packs".into()),
                    lines: ship_lines(true, Some(pack), &format!("{lot}R")),
                },
                accept_at + Duration::hours(48),
            )?;
            accept(conn, hospital, &replacement, 0, accept_at + Duration::hours(72))
        }
        _ => Ok(()),
    }
}

/// 10:00 (or another hour) in Shanghai on a date, as an instant.
fn at(day: NaiveDate, hour: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&day.and_hms_opt(hour, 0, 0).expect("valid"))
        .single()
        .expect("no DST in Shanghai")
        .with_timezone(&Utc)
}

/// The settlement history: prepayments at each agreement year's start, a month of insured care
/// per hospital, invoices two days after acceptance (but every seventh supplier never invoices),
/// half the hospitals confirming and the rest silent, and the platform operating day by day:
/// the sweep proposes batches, fund1 prepares, fund2 approves, payments are recorded the next
/// day; the most recent batch stays approved and unpaid.
fn seed_settlement(
    conn: &mut DbConnection,
    s: &Seeded,
    fund1: &Actor,
    fund2: &Actor,
    year_starts: &[NaiveDate],
    now: DateTime<Utc>,
) -> DomainResult<()> {
    use crate::payables::PayableRow;
    use crate::schema::{payables, payment_batches};
    use crate::settlement;
    let today = crate::clock::shanghai_date(now);
    for start in year_starts {
        crate::ledger::run_prepayments(conn, None, *start, at(*start, 9))?;
    }
    let month_ago = today - Duration::days(30);
    for (i, (hospital, _)) in s.hospitals.iter().enumerate() {
        // In yuan, then fen.
        let yuan = match hospital.hospital_level {
            Some(3) => 1_800_000 + (i as i64) * 37_000,
            Some(2) => 520_000 + (i as i64) * 9_000,
            _ => 64_000 + (i as i64) * 1_000,
        };
        let amount = yuan * 100;
        crate::ledger::record_monthly_settlement(
            conn,
            fund1,
            crate::ledger::NewMonthlySettlement {
                hospital_id: hospital.id.clone(),
                month: month_ago.format("%Y-%m").to_string(),
                amount: Money::from_fen(amount),
            },
            at(today - Duration::days(12), 9),
        )?;
    }
    let actor_of = |org: &str, list: &[(OrgRow, Actor)]| list.iter().find(|(o, _)| o.id == org).map(|(_, a)| a.clone());
    let open: Vec<PayableRow> = payables::table
        .filter(payables::stage.eq(settlement::stage::AWAITING_INVOICE))
        .order((payables::acceptance_date.asc(), payables::id.asc()))
        .select(PayableRow::as_select())
        .load(conn)?;
    let first_day = open.first().map(|p| p.acceptance_date).unwrap_or(today);
    // The platform's days, in order: each day's invoices and confirmations, then the deadline
    // watch, the sweep, the fund's batches and the bank's payments.
    let mut day = first_day;
    while day <= today {
        for (i, p) in open.iter().enumerate() {
            let invoiced = p.acceptance_date + Duration::days(2);
            if i % 7 == 6 {
                continue; // this supplier never invoices
            }
            if invoiced == day {
                let supplier = actor_of(&p.supplier_id, &s.suppliers).expect("seeded supplier");
                let tax = Money::round_half_up(
                    Money::from_fen(p.amount).to_decimal() * rust_decimal::Decimal::new(13, 0)
                        / rust_decimal::Decimal::new(113, 0),
                );
                settlement::attach_invoices(
                    conn,
                    &supplier,
                    &p.id,
                    vec![settlement::NewInvoice {
                        invoice_no: format!("{:08}", 44_030_000 + i),
                        invoice_date: invoiced,
                        amount: Money::from_fen(p.amount),
                        tax_amount: tax,
                    }],
                    at(invoiced, 15),
                )?;
            }
            if i % 2 == 0 && invoiced + Duration::days(1) == day {
                let hospital = actor_of(&p.hospital_id, &s.hospitals).expect("seeded hospital");
                settlement::confirm(conn, &hospital, &p.id, at(day, 11))?;
            }
        }
        settlement::deadline_watch(conn, None, day, at(day, 7))?;
        settlement::accrue_interest(conn, None, day, at(day, 7))?;
        settlement::sweep(conn, None, day, at(day, 8))?;
        let proposed: Vec<String> = payment_batches::table
            .filter(payment_batches::proposed_on.eq(day))
            .select(payment_batches::id)
            .load(conn)?;
        for batch in proposed {
            if day + Duration::days(2) > today {
                continue;
            }
            settlement::prepare_batch(conn, fund1, &batch, at(day, 9))?;
            settlement::approve_batch(conn, fund2, &batch, at(day, 10))?;
            let pay_day = day + Duration::days(1);
            if pay_day + Duration::days(3) > today {
                continue; // the latest approved batch awaits the bank
            }
            let items: Vec<PayableRow> =
                payables::table.filter(payables::batch_id.eq(&batch)).select(PayableRow::as_select()).load(conn)?;
            for (k, p) in items.iter().enumerate() {
                let reference = format!("ICBC{}{:04}", pay_day.format("%Y%m%d"), k + 1);
                settlement::record_payment(
                    conn,
                    fund1,
                    &reference,
                    settlement::PaymentInput {
                        payable_id: p.id.clone(),
                        amount: settlement::outstanding(p),
                        payee_id: p.supplier_id.clone(),
                        paid_on: None,
                    },
                    at(pay_day, 14),
                )?;
            }
        }
        day += Duration::days(1);
    }
    Ok(())
}

/// Retention inputs for agreement year 1 (pre-VBP prices at 2.5× the winning price, a fund
/// ratio of 0.7, insured shares from 0.85 to 0.95, a few manual scores), a calculated run
/// awaiting a second officer's approval, and today's monitoring warnings.
fn seed_retention(conn: &mut DbConnection, s: &Seeded, bureau: &Actor, now: DateTime<Utc>) -> DomainResult<()> {
    use crate::retention::{InputKind, InputValue};
    let today = crate::clock::shanghai_date(now);
    let mut values = vec![InputValue {
        kind: InputKind::FundRatio,
        subject: String::new(),
        value: "0.7".into(),
        comment: Some("2025 年度实际支付比例".into()),
    }];
    let mut seen = std::collections::HashSet::new();
    for bid in &s.bids {
        if seen.insert(bid.product.generic_name.clone()) {
            let pre = rust_decimal::Decimal::new(bid.unit_price.ten_thousandths() * 25, 5);
            values.push(InputValue {
                kind: InputKind::PreVbpPrice,
                subject: bid.product.generic_name.clone(),
                value: pre.round_dp(4).to_string(),
                comment: Some("集采前加权平均价".into()),
            });
        }
    }
    for (i, (hospital, _)) in s.hospitals.iter().enumerate() {
        values.push(InputValue {
            kind: InputKind::InsuredShare,
            subject: hospital.id.clone(),
            value: format!("0.{}", 85 + (i % 11)),
            comment: None,
        });
        if i % 3 == 0 {
            values.push(InputValue {
                kind: InputKind::ManualScore,
                subject: format!("{}:rational_use", hospital.id),
                value: (70 + (i * 7) % 30).to_string(),
                comment: Some("处方点评".into()),
            });
        }
    }
    crate::retention::set_inputs(conn, bureau, 1, values, now - Duration::hours(3))?;
    // The demo region guarantees a 10% floor: six weeks of demo purchases grade every hospital D.
    let floor = crate::retention::RetentionPolicy {
        floor_share: Some(rust_decimal::Decimal::new(1, 1)),
        ..crate::retention::RetentionPolicy::default()
    };
    crate::region_setup::create_policy(
        conn,
        bureau,
        crate::policy::RETENTION,
        crate::policy::NewPolicy {
            effective_from: today,
            params: serde_json::to_value(&floor)?,
            note: Some("演示：保底留用 10% (demo: 10% floor)".into()),
        },
        now - Duration::hours(3),
    )?;
    crate::retention::start_run(conn, bureau, 1, today, "demo", now - Duration::hours(2))?;
    crate::monitoring::run(conn, None, today, now - Duration::hours(1))?;
    Ok(())
}

/// Accepts every line of a delivery, rejecting `reject_packs` packs of the first line.
fn accept(
    conn: &mut DbConnection,
    hospital: &Actor,
    d: &DeliveryView,
    reject_packs: i64,
    at: DateTime<Utc>,
) -> DomainResult<()> {
    let lines = d
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let rejected = if i == 0 { (reject_packs * l.product.pack_size).min(l.quantity) } else { 0 };
            AcceptanceLine {
                delivery_line_id: l.id.clone(),
                accepted_qty: l.quantity - rejected,
                rejected_qty: rejected,
                reject_reason: (rejected > 0).then(|| "外包装破损 (damaged outer packaging)".to_string()),
            }
        })
        .collect();
    delivery::record_acceptance(
        conn,
        hospital,
        &d.id,
        AcceptanceInput {
            received_by: "药库 张伟".into(), delivered_by: "配送员 刘洋".into(), note: None, lines
        },
        AcceptanceMode::Confirm,
        false,
        at,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::UnitPrice;

    #[test]
    fn bundled_rows_parse_with_real_prices() {
        let rows = winning_rows();
        assert_eq!(rows.len(), 11);
        let ose = rows.iter().find(|r| r.generic_name_en.starts_with("Oseltamivir Phosphate Capsules")).unwrap();
        assert_eq!(ose.price_per_pack_cny, "16.50");
        assert_eq!(pack_size(&ose.pack), 10);
        let unit = UnitPrice::from_pack_price(Money::parse(&ose.price_per_pack_cny).unwrap(), pack_size(&ose.pack));
        assert_eq!(unit.to_string(), "1.6500");
        assert_eq!(enterprise_names().len(), 12);
    }

    #[test]
    fn demo_product_codes_have_the_drug_shape() {
        for (i, r) in winning_rows().iter().enumerate() {
            let (class, generic, form, _) = code_parts(&r.generic_name_en, &r.dosage_form);
            let code = format!(
                "X{class}{generic}{form}{:02}{:02}{:05}",
                (i % 9) + 1,
                pack_size(&r.pack).min(99),
                10_000 + i * 137
            );
            assert!(catalog::classify_code(&code).is_ok(), "{code}");
        }
    }
}
