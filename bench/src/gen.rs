//! The deterministic data generator: one pooling region, its bureau, hospitals, enterprises,
//! winning bids, agreed volumes, and one agreement year of orders → deliveries → acceptances →
//! payables in every settlement stage, with invoices, batches, payments and a balanced journal.
//!
//! Every derived figure comes from the domain's own rules (`amount_of`, `agreed_quantity`,
//! `DeadlineRule::due_date`, `add_working_days`, `split_offset`, `attribute_delay`).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use jicai_domain::db::DbConnection;
use jicai_domain::ledger::{split_offset, Account};
use jicai_domain::money::{amount_of, Money, UnitPrice};
use jicai_domain::orders::{derive_status, LineProgress};
use jicai_domain::policy::DeadlineRule;
use jicai_domain::region_setup::initial_policies;
use jicai_domain::schema::*;
use jicai_domain::settlement::rules::due_date;
use jicai_domain::settlement::{attribute_delay, stage};
use jicai_domain::volumes::{agreed_quantity, RatioTable};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::rows::*;
use jicai_domain::bulk_insert;

pub const PASSWORD: &str = "jicai-bench";
pub const REGION_CODE: &str = "450100";
pub const PROVINCE_CODE: &str = "450000";

/// The as-of date of the generated year: every document lies on or before it.
pub fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid")
}
pub fn year_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("valid")
}

#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub name: &'static str,
    pub hospitals: usize,
    pub enterprises: usize,
    pub distributors: usize,
    pub bids: usize,
    pub lines: usize,
}

impl Scale {
    pub fn parse(s: &str) -> Option<Scale> {
        Some(match s {
            "tiny" => Scale { name: "tiny", hospitals: 20, enterprises: 8, distributors: 2, bids: 12, lines: 5_000 },
            "city" => {
                Scale { name: "city", hospitals: 500, enterprises: 40, distributors: 4, bids: 60, lines: 1_000_000 }
            }
            "province" => Scale {
                name: "province",
                hospitals: 5_000,
                enterprises: 400,
                distributors: 40,
                bids: 600,
                lines: 10_000_000,
            },
            _ => return None,
        })
    }
}

/// UUIDv7-shaped ids like the domain's (`Uuid::now_v7`): a timestamp (the document's own
/// instant, so keys arrive in index order) and seeded random bits.
struct Ids {
    rng: ChaCha8Rng,
    millis: u64,
}
impl Ids {
    fn next(&mut self) -> String {
        let random: [u8; 10] = self.rng.gen();
        self.millis += 1;
        uuid::Builder::from_unix_timestamp_millis(self.millis, &random).into_uuid().to_string()
    }
    fn at(&mut self, t: NaiveDateTime) {
        self.millis = self.millis.max(t.and_utc().timestamp_millis() as u64);
    }
}

fn at(day: NaiveDate, hour_utc: u32) -> NaiveDateTime {
    day.and_time(NaiveTime::from_hms_opt(hour_utc, 0, 0).expect("valid"))
}

/// A document number like the domain's (`PO-20261122-XXXXXXXX`), unique by its sequence.
fn doc_no(prefix: &str, day: NaiveDate, seq: u64) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let suffix: String = (0..8).rev().map(|i| ALPHABET[((seq >> (i * 5)) & 31) as usize] as char).collect();
    format!("{prefix}-{}-{suffix}", day.format("%Y%m%d"))
}

struct BidInfo {
    id: String,
    product_id: String,
    /// The product's generic name, specification and unit, as a payable keeps them.
    product: (String, String, String),
    batch: usize,
    pack_size: i64,
    unit_price: UnitPrice,
    distributors: [usize; 2],
}

/// (account, party, debit, credit) of one journal line, in fen.
type Posting<'a> = (Account, Option<&'a String>, i64, i64);
/// kind, memo, source type, source id, date, posted by, postings.
type JournalDraft<'a> = (&'a str, &'a str, &'a str, String, NaiveDate, String, Vec<Posting<'a>>);

/// One generated accepted line, before it is written.
struct Line {
    day: NaiveDate,
    hospital: usize,
    bid: usize,
    supplier: usize,
    qty: i64,
    rejected: i64,
    /// Days from acceptance to invoice and from invoice to confirmation.
    steps: [u8; 2],
    never_invoiced: bool,
}

pub struct Summary {
    pub rows: u64,
    pub seconds: f64,
}

pub fn generate(
    conn: &mut DbConnection,
    scale: Scale,
    seed: u64,
    mut log: impl FnMut(&str),
) -> Result<Summary, String> {
    generate_inner(conn, scale, seed, &mut log).map_err(|e| format!("generation failed: {e}"))
}

/// The tables the documents of the year go to (all but the master data).
const DOCUMENT_TABLES: &str = "'orders', 'order_lines', 'deliveries', 'delivery_lines', 'acceptances', 'payables', \
     'invoices', 'payment_batch_items', 'payments', 'journal_entries', 'journal_lines'";

#[derive(QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    create: String,
}

/// (name, CREATE statement) of every index of the document tables that no constraint owns
/// (primary keys and UNIQUE constraints stay, and keep checking while loading).
pub(crate) fn secondary_indexes(conn: &mut DbConnection) -> QueryResult<Vec<(String, String)>> {
    let sql = match conn {
        DbConnection::Sqlite(_) => format!(
            "SELECT name, sql AS \"create\" FROM sqlite_master \
             WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({DOCUMENT_TABLES}) ORDER BY name"
        ),
        DbConnection::Postgresql(_) => format!(
            "SELECT i.indexname AS name, i.indexdef AS \"create\" FROM pg_indexes i \
             WHERE i.schemaname = current_schema() AND i.tablename IN ({DOCUMENT_TABLES}) \
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                               WHERE c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass) \
             ORDER BY i.indexname"
        ),
    };
    Ok(diesel::sql_query(sql).load::<IndexDef>(conn)?.into_iter().map(|d| (d.name, d.create)).collect())
}

/// The documents of one chunk of lines, built on the generator's second thread.
struct Chunk {
    end: usize,
    o_rows: Vec<Order>,
    ol_rows: Vec<OrderLine>,
    d_rows: Vec<Delivery>,
    dl_rows: Vec<DeliveryLine>,
    a_rows: Vec<Acceptance>,
    p_rows: Vec<Payable>,
    inv_rows: Vec<Invoice>,
    item_rows: Vec<BatchItem>,
    pay_rows: Vec<Payment>,
    e_rows: Vec<JournalEntry>,
    jl_rows: Vec<JournalLine>,
}

impl Chunk {
    fn rows(&self) -> u64 {
        (self.o_rows.len()
            + self.ol_rows.len()
            + self.d_rows.len()
            + self.dl_rows.len()
            + self.a_rows.len()
            + self.p_rows.len()
            + self.inv_rows.len()
            + self.item_rows.len()
            + self.pay_rows.len()
            + self.e_rows.len()
            + self.jl_rows.len()) as u64
    }
}

fn tx<T>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> QueryResult<T>) -> QueryResult<T> {
    conn.batch_execute("BEGIN")?;
    match f(conn) {
        Ok(v) => {
            conn.batch_execute("COMMIT")?;
            Ok(v)
        }
        Err(e) => {
            let _ = conn.batch_execute("ROLLBACK");
            Err(e)
        }
    }
}

fn generate_inner(conn: &mut DbConnection, scale: Scale, seed: u64, log: &mut dyn FnMut(&str)) -> QueryResult<Summary> {
    let started = Instant::now();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut ids = Ids { rng: ChaCha8Rng::seed_from_u64(seed ^ 0x05ee_d1d5), millis: 0 };
    let setup = at(NaiveDate::from_ymd_opt(2025, 11, 1).expect("valid"), 2);
    ids.at(setup);
    let mut rows: u64 = 0;
    // Bulk-load settings of this session only: rows are written parents first, and `check`
    // verifies the rules afterwards, so per-row foreign-key triggers are skipped while loading.
    match conn {
        DbConnection::Sqlite(_) => conn.batch_execute(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA cache_size = -262144; PRAGMA foreign_keys = OFF;",
        )?,
        DbConnection::Postgresql(_) => {
            conn.batch_execute("SET session_replication_role = replica; SET synchronous_commit = off;")?
        }
    }
    let existing: i64 = organizations::table.count().get_result(conn)?;
    if existing > 0 {
        return Err(diesel::result::Error::QueryBuilderError(
            "the database is not empty: generate into a fresh database".into(),
        ));
    }
    let hash = jicai_domain::identity::hash_password(PASSWORD)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))?;

    // ---------------------------------------------------------------- master data
    let region_id = ids.next();
    let platform_id = ids.next();
    let bureau_id = ids.next();
    let admin_id = ids.next();
    let bureau_user = ids.next();
    let fund1 = ids.next();
    let fund2 = ids.next();
    let mut policies = Vec::new();
    let mut policy_ids = HashMap::new();
    for (kind, params) in initial_policies(DeadlineRule::default()) {
        let id = ids.next();
        policy_ids.insert(kind, id.clone());
        policies.push(Policy {
            id,
            region_id: region_id.clone(),
            kind: kind.into(),
            effective_from: NaiveDate::from_ymd_opt(2000, 1, 1).expect("valid"),
            params,
            note: Some("initial policy".into()),
            created_by: Some(admin_id.clone()),
            created_at: setup,
        });
    }
    let deadline = DeadlineRule::default();
    let deadline_policy = policy_ids[jicai_domain::policy::PAYMENT_DEADLINE].clone();
    let confirmation_policy = policy_ids[jicai_domain::policy::HOSPITAL_CONFIRMATION].clone();
    let prepayment_policy = policy_ids[jicai_domain::policy::PREPAYMENT].clone();
    let interest_policy = policy_ids[jicai_domain::policy::LATE_INTEREST].clone();
    let daily_rate = jicai_domain::policy::InterestPolicy::default().daily_rate;

    let org = |id: &str, kind: &str, name: String, region: Option<&str>, level: Option<i16>, m: bool, d: bool| Org {
        id: id.to_string(),
        kind: kind.into(),
        name,
        credit_code: None,
        region_id: region.map(str::to_string),
        hospital_level: level,
        is_manufacturer: m,
        is_distributor: d,
        bank_name: (kind == "enterprise").then(|| "中国工商银行南宁分行".to_string()),
        bank_account: (kind == "enterprise").then(|| format!("6222 0210 {:08}", id.len() * 7919)),
        is_demo: false,
        created_at: setup,
    };
    let user = |id: &str, username: String, role: &str, org_id: &str| User {
        id: id.to_string(),
        display_name: username.clone(),
        email: Some(format!("{username}@bench.jicai.local")),
        username,
        password_hash: hash.clone(),
        role: role.into(),
        org_id: org_id.to_string(),
        active: true,
        created_at: setup,
        session_version: 0,
        last_sign_in_at: None,
    };
    let mut orgs = vec![
        org(&platform_id, "platform", "集采直结平台".into(), None, None, false, false),
        org(&bureau_id, "bureau", "基准测试医疗保障局".into(), Some(&region_id), None, false, false),
    ];
    let mut users_rows = vec![
        user(&admin_id, "bench-admin".into(), "admin", &platform_id),
        user(&bureau_user, "bench-bureau".into(), "bureau_officer", &bureau_id),
        user(&fund1, "bench-f1".into(), "fund_officer", &bureau_id),
        user(&fund2, "bench-f2".into(), "fund_officer", &bureau_id),
    ];
    let mut hospitals: Vec<(String, String, i16)> = Vec::with_capacity(scale.hospitals);
    for h in 0..scale.hospitals {
        let (id, uid) = (ids.next(), ids.next());
        let level = match h % 10 {
            0 | 1 => 3,
            2..=5 => 2,
            _ => 1,
        };
        orgs.push(org(&id, "hospital", format!("基准医院{:05}", h + 1), Some(&region_id), Some(level), false, false));
        users_rows.push(user(&uid, format!("bench-h{}", h + 1), "hospital_buyer", &id));
        hospitals.push((id, uid, level));
    }
    let mut enterprises: Vec<(String, String)> = Vec::with_capacity(scale.enterprises);
    for e in 0..scale.enterprises {
        let (id, uid) = (ids.next(), ids.next());
        let distributor = e < scale.distributors;
        let name =
            if distributor { format!("基准配送企业{:03}", e + 1) } else { format!("基准制药{:03}", e + 1) };
        orgs.push(org(&id, "enterprise", name, None, None, !distributor, distributor));
        users_rows.push(user(&uid, format!("bench-s{}", e + 1), "supplier", &id));
        enterprises.push((id, uid));
    }

    let ratios = RatioTable::default();
    let ratio_json = serde_json::to_string(&ratios).expect("serializable");
    let batch_ids: Vec<String> = (0..3).map(|_| ids.next()).collect();
    let batch_rows: Vec<Batch> = batch_ids
        .iter()
        .enumerate()
        .map(|(i, id)| Batch {
            id: id.clone(),
            region_id: region_id.clone(),
            name: format!("基准集采批次 第{}批", i + 1),
            level: ["national", "provincial", "alliance"][i].into(),
            category: "drug".into(),
            document_no: format!("BENCH-2026-{}", i + 1),
            cycle_start: year_start(),
            cycle_end: NaiveDate::from_ymd_opt(2028, 12, 31).expect("valid"),
            volume_ratios: ratio_json.clone(),
            created_by: bureau_user.clone(),
            created_at: setup,
        })
        .collect();
    let manufacturers = scale.enterprises - scale.distributors;
    let mut product_rows = Vec::new();
    let mut bid_rows = Vec::new();
    let mut supply_rows = Vec::new();
    let mut dist_rows = Vec::new();
    let mut bids: Vec<BidInfo> = Vec::new();
    for b in 0..scale.bids {
        // Two winners per generic within a batch.
        let generic = b / 2;
        let pack_size = [7i64, 10, 14, 20, 28, 30, 50, 100][generic % 8];
        let pack_price = Money::from_fen(rng.gen_range(200..40_000));
        let unit = UnitPrice::from_pack_price(pack_price, pack_size);
        let code = format!("XB{:04}Y{:03}A010{:02}{:02}{:05}", generic % 10_000, b % 1000, 1, pack_size % 100, b);
        jicai_domain::catalog::classify_code(&code).map_err(|e| diesel::result::Error::QueryBuilderError(e.into()))?;
        let (pid, bid) = (ids.next(), ids.next());
        product_rows.push(Product {
            id: pid.clone(),
            code,
            category: "drug".into(),
            generic_name: format!("基准通用名{:04}片", generic + 1),
            generic_name_en: Some(format!("Bench generic {} tablets", generic + 1)),
            dosage_form: "片剂".into(),
            specification: format!("{} mg", 5 * (generic % 20 + 1)),
            pack_size,
            min_unit: "片".into(),
            created_at: setup,
            consistency: None,
        });
        let batch = (generic * 3 / scale.bids.div_ceil(2).max(1)).min(2);
        let distributors = [b % scale.distributors, (b + 1) % scale.distributors];
        bid_rows.push(Bid {
            id: bid.clone(),
            batch_id: batch_ids[batch].clone(),
            product_id: pid.clone(),
            enterprise_id: enterprises[scale.distributors + b % manufacturers].0.clone(),
            unit_price: unit.ten_thousandths(),
            pack_price: pack_price.fen(),
            created_by: bureau_user.clone(),
            created_at: setup,
        });
        supply_rows.push(BidSupply { bid_id: bid.clone(), region_code: PROVINCE_CODE.into(), role: "primary".into() });
        let mut ds = distributors.to_vec();
        ds.dedup();
        for d in ds {
            dist_rows.push(BidDistributor { bid_id: bid.clone(), enterprise_id: enterprises[d].0.clone() });
        }
        let kept = product_rows
            .last()
            .map(|p: &Product| (p.generic_name.clone(), p.specification.clone(), p.min_unit.clone()));
        bids.push(BidInfo {
            id: bid,
            product_id: pid,
            product: kept.expect("the bid's product"),
            batch,
            pack_size,
            unit_price: unit,
            distributors,
        });
    }
    // The bureau's retention inputs for the year, so that the retention run calculates: the
    // fund's payment ratio, each generic's pre-VBP price (2.5 times its first winner's: VBP cut
    // prices by more than half), each hospital's insured share and its rational-use score.
    let input = |kind: &str, subject: String, value: String| jicai_domain::retention::InputRow {
        region_id: region_id.clone(),
        agreement_year: 1,
        kind: kind.into(),
        subject,
        value,
        comment: None,
        created_by: bureau_user.clone(),
        created_at: setup,
    };
    let mut input_rows = vec![input("fund_ratio", String::new(), "0.7".into())];
    for pair in bids.chunks(2) {
        let pre = UnitPrice::from_ten_thousandths(pair[0].unit_price.ten_thousandths() * 5 / 2);
        let generic = product_rows.iter().find(|p| p.id == pair[0].product_id).map(|p| p.generic_name.clone());
        input_rows.push(input("pre_vbp_price", generic.expect("the bid's product"), pre.to_string()));
    }
    for (h, (id, _, _)) in hospitals.iter().enumerate() {
        input_rows.push(input("insured_share", id.clone(), format!("0.{}", 80 + h * 7 % 16)));
        input_rows.push(input("manual_score", format!("{id}:rational_use"), format!("{}", 60 + h * 13 % 40)));
    }
    // Winners per generic and batch decide the ratio (two winners unless the count is odd).
    let mut winners: HashMap<(usize, usize), i64> = HashMap::new();
    for (b, info) in bids.iter().enumerate() {
        *winners.entry((b / 2, info.batch)).or_default() += 1;
    }

    // Agreed volumes: every hospital × half of the bids.
    let year_end = NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid");
    let mut volumes: Vec<Volume> = Vec::new();
    let mut volume_index: HashMap<(usize, usize), usize> = HashMap::new();
    let mut hospital_bids: Vec<Vec<usize>> = vec![Vec::new(); scale.hospitals];
    for (h, (hid, _, level)) in hospitals.iter().enumerate() {
        for (b, info) in bids.iter().enumerate() {
            if (h + b) % 2 != 0 {
                continue;
            }
            let packs = match level {
                3 => 400,
                2 => 150,
                _ => 40,
            } * (1 + ((h * 31 + b * 17) % 7) as i64);
            let demand = packs * info.pack_size + ((h + b) % 3) as i64;
            let w = winners[&(b / 2, info.batch)];
            let ratio = ratios.ratio_for(w);
            volume_index.insert((h, b), volumes.len());
            hospital_bids[h].push(b);
            volumes.push(Volume {
                id: ids.next(),
                region_id: region_id.clone(),
                hospital_id: hid.clone(),
                bid_id: info.id.clone(),
                agreement_year: 1,
                year_start: year_start(),
                year_end,
                reported_demand: demand,
                winners: w as i16,
                ratio_bp: ratio.bp() as i32,
                agreed_qty: agreed_quantity(demand, ratio),
                ordered_qty: 0,
                created_by: bureau_user.clone(),
                created_at: setup,
                accepted_qty: 0,
            });
        }
    }

    // ---------------------------------------------------------------- the year's lines
    let t = as_of();
    let days = (t - year_start()).num_days() as usize + 1;
    let mut lines: Vec<Line> = Vec::with_capacity(scale.lines);
    for i in 0..scale.lines {
        let day = year_start() + Days::new((i * days / scale.lines) as u64);
        let hospital = rng.gen_range(0..scale.hospitals);
        let hb = &hospital_bids[hospital];
        let bid = hb[rng.gen_range(0..hb.len())];
        let supplier = bids[bid].distributors[rng.gen_range(0..2)];
        let level_factor = match hospitals[hospital].2 {
            3 => 8,
            2 => 3,
            _ => 1,
        };
        let qty = bids[bid].pack_size * rng.gen_range(1..=10) * level_factor;
        let rejected = if rng.gen_ratio(1, 20) { bids[bid].pack_size.min(qty - 1) } else { 0 };
        let steps = [rng.gen_range(2..=5), rng.gen_range(1..=3)];
        let never_invoiced = rng.gen_ratio(3, 100);
        lines.push(Line { day, hospital, bid, supplier, qty, rejected, steps, never_invoiced });
    }

    // In-volume quantities, in order of placement (which is the order of the lines).
    let mut in_volume: Vec<i64> = Vec::with_capacity(lines.len());
    for l in &lines {
        let v = &mut volumes[volume_index[&(l.hospital, l.bid)]];
        let before = v.ordered_qty;
        v.ordered_qty += l.qty;
        // Accepted the day it is ordered, within the volume's year: it counts towards the volume.
        v.accepted_qty += l.qty - l.rejected;
        in_volume.push((v.agreed_qty - before).clamp(0, l.qty));
    }

    // Prepayments: 30% of each hospital's annual agreed amount per batch, on the first day.
    let share_bp = 3000i32;
    let mut prepay_rows = Vec::new();
    let mut entries = Vec::new();
    let mut jlines = Vec::new();
    let mut prepay_balance: Vec<i64> = vec![0; scale.hospitals];
    {
        let mut per: HashMap<(usize, usize), Vec<(i64, UnitPrice)>> = HashMap::new();
        for (h, hb) in hospital_bids.iter().enumerate() {
            for &b in hb {
                let v = &volumes[volume_index[&(h, b)]];
                per.entry((h, bids[b].batch)).or_default().push((v.agreed_qty, bids[b].unit_price));
            }
        }
        let mut keys: Vec<_> = per.keys().copied().collect();
        keys.sort();
        for (h, batch) in keys {
            let annual = amount_of(per[&(h, batch)].iter().copied());
            let amount = Money::round_half_up(annual.to_decimal() * rust_decimal::Decimal::new(i64::from(share_bp), 4));
            let id = ids.next();
            prepay_rows.push(Prepayment {
                id: id.clone(),
                region_id: region_id.clone(),
                hospital_id: hospitals[h].0.clone(),
                batch_id: batch_ids[batch].clone(),
                agreement_year: 1,
                annual_amount: annual.fen(),
                share_bp,
                amount: amount.fen(),
                policy_id: prepayment_policy.clone(),
                prepaid_on: year_start(),
                created_at: at(year_start(), 1),
            });
            if amount.fen() > 0 {
                prepay_balance[h] += amount.fen();
                let eid = ids.next();
                entries.push(JournalEntry {
                    id: eid.clone(),
                    region_id: region_id.clone(),
                    entry_date: year_start(),
                    kind: "prepayment".into(),
                    memo: format!("agreement year 1 prepayment ({}%)", share_bp / 100),
                    source_type: "prepayment".into(),
                    source_id: id,
                    reverses_entry_id: None,
                    created_by: None,
                    created_at: at(year_start(), 1),
                });
                for (account, debit, credit) in
                    [(Account::PrepaymentAdvance, amount.fen(), 0), (Account::HospitalPrepayment, 0, amount.fen())]
                {
                    jlines.push(JournalLine {
                        id: ids.next(),
                        entry_id: eid.clone(),
                        region_id: region_id.clone(),
                        account: account.as_str().into(),
                        party_id: Some(hospitals[h].0.clone()),
                        debit,
                        credit,
                        entry_date: year_start(),
                    });
                }
            }
        }
    }

    // Settlement dates and stages of every line, and the prepayment offsets of the paid ones
    // (computed in order of payment, as the fund would have recorded them).
    struct Settle {
        amount: i64,
        invoiced: Option<NaiveDate>,
        confirmed: Option<NaiveDate>,
        batch_day: Option<NaiveDate>,
        stage: &'static str,
    }
    let batch_status = |b: NaiveDate| {
        if b <= t - Days::new(5) {
            "executed"
        } else if b <= t - Days::new(2) {
            "approved"
        } else {
            "prepared"
        }
    };
    let settles: Vec<Settle> = lines
        .iter()
        .map(|l| {
            let amount = amount_of([(l.qty - l.rejected, bids[l.bid].unit_price)]).fen();
            let inv = l.day + Days::new(u64::from(l.steps[0]));
            let conf = inv + Days::new(u64::from(l.steps[1]));
            // The settlement sweep runs every day and batches what was confirmed the day
            // before, so the data leave the as-of day's confirmations to the next sweep: the
            // harness's one-day jobs get one day of confirmations.
            let bday = conf + Days::new(1);
            let (invoiced, confirmed, batch_day, st) = if l.never_invoiced || inv > t {
                (None, None, None, stage::AWAITING_INVOICE)
            } else if conf > t {
                (Some(inv), None, None, stage::AWAITING_CONFIRMATION)
            } else if bday > t {
                (Some(inv), Some(conf), None, stage::CONFIRMED)
            } else {
                let st = match batch_status(bday) {
                    "executed" => stage::PAID,
                    "approved" => stage::APPROVED,
                    // In a batch not yet approved: the stage stays confirmed, the batch
                    // says the rest (`stage::of`).
                    _ => stage::CONFIRMED,
                };
                (Some(inv), Some(conf), Some(bday), st)
            };
            Settle { amount, invoiced, confirmed, batch_day, stage: st }
        })
        .collect();
    let mut paid_order: Vec<usize> = (0..lines.len()).filter(|&i| settles[i].stage == stage::PAID).collect();
    paid_order.sort_by_key(|&i| (settles[i].batch_day, i));
    let mut offsets: HashMap<usize, (i64, i64)> = HashMap::with_capacity(paid_order.len());
    for &i in &paid_order {
        let h = lines[i].hospital;
        let o = split_offset(Money::from_fen(settles[i].amount), Money::from_fen(prepay_balance[h]), Money::ZERO);
        prepay_balance[h] -= o.from_prepayment.fen();
        offsets.insert(i, (o.from_prepayment.fen(), o.receivable.fen()));
    }

    // Payment batches: one per proposal day.
    let mut batch_of_day: HashMap<NaiveDate, (String, i64, i32)> = HashMap::new();
    for s in &settles {
        if let Some(b) = s.batch_day {
            let e = batch_of_day.entry(b).or_insert_with(|| (String::new(), 0, 0));
            e.1 += s.amount;
            e.2 += 1;
        }
    }
    let mut batch_days: Vec<NaiveDate> = batch_of_day.keys().copied().collect();
    batch_days.sort();
    let mut pb_rows = Vec::new();
    for (seq, d) in batch_days.iter().enumerate() {
        let id = ids.next();
        let e = batch_of_day.get_mut(d).expect("present");
        e.0 = id.clone();
        let status = batch_status(*d);
        pb_rows.push(PaymentBatch {
            id,
            batch_no: doc_no("PB", *d, seq as u64),
            region_id: region_id.clone(),
            status: status.into(),
            proposed_on: Some(*d),
            total_amount: e.1,
            item_count: e.2,
            prepared_by: Some(fund1.clone()),
            prepared_at: Some(at(*d, 3)),
            approved_by: (status != "prepared").then(|| fund2.clone()),
            approved_at: (status != "prepared").then(|| at(*d, 5)),
            created_at: at(*d, 1),
        });
    }

    log(&format!(
        "planned {} lines, {} agreed volumes, {} payment batches in {:.1}s",
        lines.len(),
        volumes.len(),
        pb_rows.len(),
        started.elapsed().as_secs_f64()
    ));

    let volume_ids: Vec<String> = volumes.iter().map(|v| v.id.clone()).collect();
    tx(conn, |conn| {
        bulk_insert!(
            conn,
            regions::table,
            vec![Region {
                id: region_id.clone(),
                code: REGION_CODE.into(),
                province_code: PROVINCE_CODE.into(),
                name: "基准测试统筹区".into(),
                created_at: setup,
            }]
        );
        rows += 1 + policies.len() as u64 + orgs.len() as u64 + users_rows.len() as u64;
        bulk_insert!(conn, organizations::table, std::mem::take(&mut orgs));
        bulk_insert!(conn, users::table, std::mem::take(&mut users_rows));
        bulk_insert!(conn, region_policies::table, std::mem::take(&mut policies));
        rows += (batch_rows.len() + product_rows.len() + bid_rows.len() + supply_rows.len() + dist_rows.len()) as u64;
        bulk_insert!(conn, batches::table, std::mem::take(&mut { batch_rows }));
        bulk_insert!(conn, products::table, std::mem::take(&mut { product_rows }));
        bulk_insert!(conn, winning_bids::table, std::mem::take(&mut { bid_rows }));
        bulk_insert!(conn, bid_supply_regions::table, std::mem::take(&mut { supply_rows }));
        bulk_insert!(conn, bid_distributors::table, std::mem::take(&mut { dist_rows }));
        rows += input_rows.len() as u64;
        bulk_insert!(conn, retention_inputs::table, std::mem::take(&mut { input_rows }));
        rows += (volumes.len() + prepay_rows.len() + pb_rows.len()) as u64;
        bulk_insert!(conn, agreed_volumes::table, std::mem::take(&mut volumes));
        bulk_insert!(conn, prepayments::table, std::mem::take(&mut { prepay_rows }));
        bulk_insert!(conn, payment_batches::table, std::mem::take(&mut { pb_rows }));
        Ok(())
    })?;
    log(&format!("master data written ({rows} rows) at {:.1}s", started.elapsed().as_secs_f64()));

    // Secondary indexes of the document tables are dropped while loading and built afterwards
    // from sorted data: inserting 10M rows into B-trees larger than the cache is what slowed the
    // load down as it grew.
    let deferred = secondary_indexes(conn)?;
    for (name, _) in &deferred {
        conn.batch_execute(&format!("DROP INDEX {name}"))?;
    }
    // ---------------------------------------------------------------- documents, in chunks
    // Rows are built on one thread while the other writes the previous chunk (2 cores: the
    // build no longer waits for the database, nor the database for the build).
    let chunk = 50_000;
    let (sender, receiver) = std::sync::mpsc::sync_channel::<Chunk>(1);
    std::thread::scope(|scope| -> QueryResult<()> {
        let (ids, entries, jlines) = (&mut ids, &mut entries, &mut jlines);
        let (lines, settles) = (&lines, &settles);
        scope.spawn(move || {
            let mut seq: u64 = 0;
            for start in (0..lines.len()).step_by(chunk) {
                let end = (start + chunk).min(lines.len());
                let n = end - start;
                let mut o_rows = Vec::with_capacity(n);
                let mut ol_rows = Vec::with_capacity(n);
                let mut d_rows = Vec::with_capacity(n);
                let mut dl_rows = Vec::with_capacity(n);
                let mut a_rows = Vec::with_capacity(n);
                let mut p_rows = Vec::with_capacity(n);
                let mut inv_rows = Vec::new();
                let mut item_rows = Vec::new();
                let mut pay_rows = Vec::new();
                let mut e_rows = std::mem::take(entries);
                let mut jl_rows = std::mem::take(jlines);
                for i in start..end {
                    let l = &lines[i];
                    let s = &settles[i];
                    ids.at(at(l.day, 2));
                    let info = &bids[l.bid];
                    seq += 1;
                    let (hid, huid, _) = &hospitals[l.hospital];
                    let (sid, suid) = &enterprises[l.supplier];
                    let (oid, olid, did, dlid, aid, pid) =
                        (ids.next(), ids.next(), ids.next(), ids.next(), ids.next(), ids.next());
                    let accepted = l.qty - l.rejected;
                    let status = derive_status(&[LineProgress { ordered: l.qty, accepted, in_transit: 0 }]);
                    let placed = l.day - Days::new(3);
                    let order_amount = amount_of([(l.qty, info.unit_price)]).fen();
                    let order_no = doc_no("PO", placed, seq);
                    o_rows.push(Order {
                        id: oid.clone(),
                        order_no: order_no.clone(),
                        region_id: region_id.clone(),
                        hospital_id: hid.clone(),
                        supplier_id: sid.clone(),
                        status,
                        total_amount: order_amount,
                        note: None,
                        decline_reason: None,
                        created_by: huid.clone(),
                        created_at: at(placed, 2),
                        updated_at: at(l.day, 2),
                    });
                    let inv = in_volume[i];
                    ol_rows.push(OrderLine {
                        id: olid.clone(),
                        order_id: oid.clone(),
                        line_no: 1,
                        kind: "winning".into(),
                        bid_id: Some(info.id.clone()),
                        listed_product_id: None,
                        product_id: info.product_id.clone(),
                        agreed_volume_id: Some(volume_ids[volume_index[&(l.hospital, l.bid)]].clone()),
                        unit_price: info.unit_price.ten_thousandths(),
                        quantity: l.qty,
                        in_volume_qty: inv,
                        above_volume_qty: l.qty - inv,
                        amount: order_amount,
                        accepted_qty: accepted,
                    });
                    let shipped = l.day - Days::new(1);
                    let delivery_no = doc_no("DN", shipped, seq);
                    d_rows.push(Delivery {
                        id: did.clone(),
                        delivery_no: delivery_no.clone(),
                        order_id: oid.clone(),
                        region_id: region_id.clone(),
                        hospital_id: hid.clone(),
                        supplier_id: sid.clone(),
                        status: jicai_domain::delivery::DeliveryStatus::Accepted,
                        note: None,
                        shipped_at: at(shipped, 1),
                        created_by: suid.clone(),
                    });
                    dl_rows.push(DeliveryLine {
                        id: dlid,
                        delivery_id: did.clone(),
                        order_line_id: olid,
                        line_no: 1,
                        quantity: l.qty,
                        lot_no: format!("L{}{:05}", shipped.format("%y%m"), l.bid),
                        production_date: shipped - Days::new(120),
                        expiry_date: shipped + Days::new(610),
                        accepted_qty: Some(accepted),
                        rejected_qty: Some(l.rejected),
                        reject_reason: (l.rejected > 0).then(|| "外包装破损 damaged outer pack".to_string()),
                    });
                    a_rows.push(Acceptance {
                        id: aid.clone(),
                        delivery_id: did.clone(),
                        status: jicai_domain::delivery::AcceptanceStatus::Confirmed,
                        received_by: "药库 验收员".into(),
                        delivered_by: "配送员".into(),
                        note: None,
                        accepted_at: Some(at(l.day, 2)),
                        acceptance_date: Some(l.day),
                        created_by: huid.clone(),
                        created_at: at(l.day, 2),
                        confirmed_by: Some(huid.clone()),
                    });
                    let due = due_date(deadline, l.day);
                    let paid = s.stage == stage::PAID;
                    let pay_day = s.batch_day.map(|b| b + Days::new(1));
                    let bank_ref = paid.then(|| format!("BENCH{}{:010}", pay_day.expect("paid").format("%Y%m%d"), seq));
                    let overdue = !paid && due < t;
                    let delay =
                        if overdue { attribute_delay(due, s.invoiced, s.confirmed, t) } else { Default::default() };
                    p_rows.push(Payable {
                        id: pid.clone(),
                        payable_no: doc_no("AP", l.day, seq),
                        acceptance_id: aid,
                        delivery_id: did,
                        order_id: oid,
                        region_id: region_id.clone(),
                        hospital_id: hid.clone(),
                        supplier_id: sid.clone(),
                        amount: s.amount,
                        acceptance_date: l.day,
                        due_date: due,
                        deadline_policy_id: deadline_policy.clone(),
                        created_at: at(l.day, 2),
                        stage: s.stage.into(),
                        invoiced_on: s.invoiced,
                        confirm_deadline: s
                            .invoiced
                            .map(|d| jicai_domain::calendar::add_working_days(d, 5, &HashMap::new())),
                        confirmed_on: s.confirmed,
                        confirmation: s
                            .confirmed
                            .map(|_| if l.steps[1] == 3 { "deemed" } else { "explicit" }.to_string()),
                        disputed_amount: 0,
                        dispute_reason: None,
                        credited_amount: 0,
                        dispute_resolution: None,
                        dispute_resolved_on: None,
                        paid_amount: if paid { s.amount } else { 0 },
                        paid_on: if paid { pay_day } else { None },
                        bank_reference: bank_ref.clone(),
                        batch_id: s.batch_day.map(|b| batch_of_day[&b].0.clone()),
                        overdue_since: overdue.then(|| due + Days::new(1)),
                        supplier_delay_days: delay.supplier as i32,
                        hospital_delay_days: delay.hospital as i32,
                        fund_delay_days: delay.fund as i32,
                        // As the deadline watch and the interest run leave an overdue payable.
                        interest: jicai_domain::settlement::late_interest(
                            jicai_domain::money::Money::from_fen(s.amount),
                            daily_rate,
                            delay.fund,
                        )
                        .fen(),
                        interest_policy_id: overdue.then(|| interest_policy.clone()),
                        confirmation_policy_id: s.invoiced.map(|_| confirmation_policy.clone()),
                        order_no,
                        delivery_no,
                        items: jicai_domain::settlement::status_page::items_text(&[
                            jicai_domain::settlement::status_page::PayableItem::new(
                                info.product.0.clone(),
                                info.product.1.clone(),
                                accepted,
                                info.product.2.clone(),
                                info.pack_size,
                            ),
                        ]),
                    });
                    if let Some(d) = s.invoiced {
                        inv_rows.push(Invoice {
                            id: ids.next(),
                            payable_id: pid.clone(),
                            supplier_id: sid.clone(),
                            invoice_no: format!("FP{:012}", seq),
                            invoice_date: d,
                            amount: s.amount,
                            tax_amount: (s.amount * 13 + 56) / 113,
                            created_by: suid.clone(),
                            created_at: at(d, 2),
                        });
                    }
                    if let Some(b) = s.batch_day {
                        item_rows.push(BatchItem {
                            batch_id: batch_of_day[&b].0.clone(),
                            payable_id: pid.clone(),
                            amount: s.amount,
                        });
                    }
                    // The journal as the platform posts it: the payable recognised on its
                    // acceptance day, then the hospital's cover and the fund's payment.
                    let mut entries: Vec<JournalDraft<'_>> = vec![(
                        "payable_recognised",
                        "owed to the supplier on the hospital's behalf",
                        "payable",
                        pid.clone(),
                        l.day,
                        huid.clone(),
                        vec![
                            (Account::HospitalOffsetDue, Some(hid), s.amount, 0),
                            (Account::SupplierPayable, Some(sid), 0, s.amount),
                        ],
                    )];
                    if paid {
                        let day = pay_day.expect("paid");
                        let pay_id = ids.next();
                        let (from_prepay, receivable) = offsets[&i];
                        pay_rows.push(Payment {
                            id: pay_id.clone(),
                            bank_reference: bank_ref.clone().expect("paid"),
                            payable_id: pid.clone(),
                            batch_id: batch_of_day[&s.batch_day.expect("paid")].0.clone(),
                            region_id: region_id.clone(),
                            payee_id: sid.clone(),
                            amount: s.amount,
                            paid_on: day,
                            recorded_by: fund1.clone(),
                            recorded_at: at(day, 4),
                        });
                        entries.push((
                            "direct_payment_cover",
                            "cover on the hospital's behalf",
                            "payment",
                            pay_id.clone(),
                            day,
                            fund1.clone(),
                            vec![
                                (Account::HospitalPrepayment, Some(hid), from_prepay, 0),
                                (Account::HospitalReceivable, Some(hid), receivable, 0),
                                (Account::HospitalOffsetDue, Some(hid), 0, s.amount),
                            ],
                        ));
                        entries.push((
                            "direct_payment",
                            "paid",
                            "payment",
                            pay_id,
                            day,
                            fund1.clone(),
                            vec![
                                (Account::SupplierPayable, Some(sid), s.amount, 0),
                                (Account::Fund, None, 0, s.amount),
                            ],
                        ));
                    }
                    for (kind, memo, source_type, source_id, day, by, ps) in entries {
                        if s.amount == 0 {
                            break;
                        }
                        let eid = ids.next();
                        e_rows.push(JournalEntry {
                            id: eid.clone(),
                            region_id: region_id.clone(),
                            entry_date: day,
                            kind: kind.into(),
                            memo: format!("payable {}: {memo}", doc_no("AP", l.day, seq)),
                            source_type: source_type.into(),
                            source_id,
                            reverses_entry_id: None,
                            created_by: Some(by),
                            created_at: at(day, if source_type == "payment" { 4 } else { 2 }),
                        });
                        for (account, party, debit, credit) in ps {
                            if debit == 0 && credit == 0 {
                                continue;
                            }
                            jl_rows.push(JournalLine {
                                id: ids.next(),
                                entry_id: eid.clone(),
                                region_id: region_id.clone(),
                                account: account.as_str().into(),
                                party_id: party.cloned(),
                                debit,
                                credit,
                                entry_date: day,
                            });
                        }
                    }
                }
                let built = Chunk {
                    end,
                    o_rows,
                    ol_rows,
                    d_rows,
                    dl_rows,
                    a_rows,
                    p_rows,
                    inv_rows,
                    item_rows,
                    pay_rows,
                    e_rows,
                    jl_rows,
                };
                if sender.send(built).is_err() {
                    return; // the writer failed
                }
            }
        });
        for c in receiver {
            rows += c.rows();
            tx(conn, |conn| {
                bulk_insert!(conn, orders::table, c.o_rows);
                bulk_insert!(conn, order_lines::table, c.ol_rows);
                bulk_insert!(conn, deliveries::table, c.d_rows);
                bulk_insert!(conn, delivery_lines::table, c.dl_rows);
                bulk_insert!(conn, acceptances::table, c.a_rows);
                bulk_insert!(conn, payables::table, c.p_rows);
                bulk_insert!(conn, invoices::table, c.inv_rows);
                bulk_insert!(conn, payment_batch_items::table, c.item_rows);
                bulk_insert!(conn, payments::table, c.pay_rows);
                bulk_insert!(conn, journal_entries::table, c.e_rows);
                bulk_insert!(conn, journal_lines::table, c.jl_rows);
                Ok(())
            })?;
            if c.end % 200_000 == 0 || c.end == lines.len() {
                log(&format!(
                    "{}/{} lines, {rows} rows, {:.1}s ({:.0} rows/s)",
                    c.end,
                    lines.len(),
                    started.elapsed().as_secs_f64(),
                    rows as f64 / started.elapsed().as_secs_f64()
                ));
            }
        }
        Ok(())
    })?;
    let t = Instant::now();
    if let DbConnection::Postgresql(_) = conn {
        conn.batch_execute("SET maintenance_work_mem = '1GB'")?;
    }
    for (_, create) in &deferred {
        conn.batch_execute(create)?;
    }
    log(&format!("{} indexes built in {:.1}s", deferred.len(), t.elapsed().as_secs_f64()));
    match conn {
        // VACUUM sets the visibility map, as autovacuum would have long before a real year's
        // end: without it every index-only scan (the payment-status counts) visits the heap.
        // (Two calls: several statements in one would make an implicit transaction, which VACUUM refuses.)
        DbConnection::Postgresql(_) => {
            conn.batch_execute("SET session_replication_role = origin")?;
            conn.batch_execute("VACUUM ANALYZE")?
        }
        DbConnection::Sqlite(_) => {
            conn.batch_execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; ANALYZE;")?
        }
    }
    Ok(Summary { rows, seconds: started.elapsed().as_secs_f64() })
}
