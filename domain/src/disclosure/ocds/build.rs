//! Pure OCDS builders: a contracting process as plain data in, OCDS 1.1 JSON out. No database
//! here; `super` loads the data.
//!
//! Releases of one process, in date order (each an immutable snapshot of what changed):
//! 1. `tender` (with `planning` for a tender run here): the published document, its items (one
//!    per generic, the demand base as quantity, the max valid price as `unit.value`);
//! 2. `tenderUpdate` at the opening: every bid (bids extension) with its price, rank and status;
//! 3. `award` at the proposed results (awards `pending`), `awardUpdate` at the final ones
//!    (`active`): one award per winner at its winning price;
//! 4. `contract` at the enactment: one contract per hospital × winner, the agreed quantity per
//!    agreement year, the cycle as period, the hospital as `buyer` (contract buyer extension);
//! 5. `implementation` as of the day asked: payment milestones from the payables and the
//!    fund's payments as transactions.
//!
//! Money is `{amount, currency: "CNY"}`, amounts in yuan as JSON numbers computed exactly from
//! fen and 1/10,000 yuan. Calendar dates are days in Asia/Shanghai (a start at 00:00:00+08:00,
//! an end or due date at 23:59:59+08:00); instants are RFC 3339 in UTC.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use crate::money::{Money, UnitPrice};

/// The OCDS version published.
pub const VERSION: &str = "1.1";

/// The extensions used, by the URL of their `extension.json` (the versions vendored under
/// `tests/ocds-schema/` for validation).
pub const EXTENSIONS: [&str; 3] = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_medicines_extension/master/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_contract_buyer_extension/master/extension.json",
];

/// Who publishes, from configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Publisher {
    pub name: String,
    pub uri: Option<String>,
    /// The registered ocid prefix, e.g. `ocds-213czf`.
    pub prefix: String,
}

impl Publisher {
    /// The placeholder prefix: not registered; a real publisher registers its own.
    pub const PLACEHOLDER_PREFIX: &'static str = "ocds-jicai0";

    /// A publisher, refusing a prefix that is not `ocds-` and six lowercase letters or digits
    /// (the shape of every registered prefix).
    pub fn new(name: &str, uri: Option<&str>, prefix: &str) -> Result<Publisher, String> {
        let prefix = prefix.trim();
        let tail = prefix.strip_prefix("ocds-").unwrap_or("");
        if tail.len() != 6 || !tail.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()) {
            return Err(format!(
                "{prefix:?} is not an OCDS ocid prefix: `ocds-` and six lowercase letters or digits, e.g. ocds-213czf"
            ));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err("the OCDS publisher needs a name".into());
        }
        Ok(Publisher {
            name: name.into(),
            uri: uri.map(str::trim).filter(|u| !u.is_empty()).map(String::from),
            prefix: prefix.into(),
        })
    }

    /// The ocid of a process numbered `number` (a tender number, or a batch's).
    pub fn ocid(&self, number: &str) -> String {
        format!("{}-{}", self.prefix, number)
    }
}

/// An organisation as published: its id on the platform and its name (never people, never
/// bank accounts).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Org {
    pub id: String,
    pub name: String,
}

/// A medicine's description for the medicines extension.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Medicine {
    pub generic_name: String,
    pub dosage_form: String,
    /// Strength of the active ingredient and its unit, e.g. (10, "mg").
    pub strength: Option<(Decimal, String)>,
}

/// A line of the tender: a generic with its representative spec (or, for a batch loaded
/// directly, a winning product).
#[derive(Clone, Debug, PartialEq)]
pub struct TenderItem {
    pub id: String,
    pub description: String,
    pub medicine: Medicine,
    /// The insurance code of a product, when the item is one.
    pub product_code: Option<String>,
    /// The minimum unit, e.g. "片".
    pub unit: String,
    /// The max valid declared price per representative minimum unit.
    pub max_price: Option<UnitPrice>,
    /// The demand base in minimum units, when known.
    pub quantity: Option<i64>,
}

/// A bid as opened.
#[derive(Clone, Debug, PartialEq)]
pub struct Bid {
    pub id: String,
    pub item_id: String,
    pub tenderer: Org,
    pub submitted: DateTime<Utc>,
    pub product_code: String,
    pub product_description: String,
    pub pack_price: Money,
    pub units_per_pack: i64,
    /// Price per minimum unit of the bidder's own spec (exact).
    pub unit_price: Decimal,
    /// Price per representative minimum unit (单位可比价), 4 decimals.
    pub comparable: UnitPrice,
    pub rank: Option<i32>,
    /// False for a bid above the max valid declared price.
    pub valid: bool,
    /// The opening's decision, e.g. `within_multiple`, `not_shortlisted`, `above_max_price`.
    pub decision: String,
}

/// A winner and its winning price.
#[derive(Clone, Debug, PartialEq)]
pub struct Award {
    pub id: String,
    pub supplier: Org,
    pub item_id: String,
    pub product_code: String,
    pub product_description: String,
    pub medicine: Medicine,
    pub unit: String,
    pub pack_price: Money,
    pub unit_price: UnitPrice,
    /// The bid it was won with (a tender's), for `relatedBids`.
    pub bid_id: Option<String>,
}

/// One agreement year of a contract.
#[derive(Clone, Debug, PartialEq)]
pub struct ContractYear {
    pub id: String,
    pub year: i16,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub quantity: i64,
}

/// The state of a payment milestone (a payable) on the day published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentState {
    /// Paid in full on this day.
    Met(NaiveDate),
    /// Partly paid.
    PartiallyMet,
    /// Unpaid after its due date.
    NotMet,
    /// Unpaid, not yet due.
    Scheduled,
}

impl PaymentState {
    /// The state of a payable of `owed` with `paid` paid (the last payment on `paid_on`), due on
    /// `due`, as of `today`.
    pub fn of(owed: Money, paid: Money, paid_on: Option<NaiveDate>, due: NaiveDate, today: NaiveDate) -> Self {
        match paid_on {
            Some(day) if paid >= owed => PaymentState::Met(day),
            _ if paid > Money::ZERO => PaymentState::PartiallyMet,
            _ if today > due => PaymentState::NotMet,
            _ => PaymentState::Scheduled,
        }
    }
    fn code(self) -> &'static str {
        match self {
            PaymentState::Met(_) => "met",
            PaymentState::PartiallyMet => "partiallyMet",
            PaymentState::NotMet => "notMet",
            PaymentState::Scheduled => "scheduled",
        }
    }
}

/// A payable's part in one contract: a payment milestone.
#[derive(Clone, Debug, PartialEq)]
pub struct PaymentMilestone {
    pub id: String,
    pub payable_no: String,
    pub accepted_on: NaiveDate,
    pub due: NaiveDate,
    pub amount: Money,
    pub state: PaymentState,
}

/// A payment (its part in one contract): the fund pays the supplier that delivered (the
/// winner, or its distributor).
#[derive(Clone, Debug, PartialEq)]
pub struct Payment {
    pub id: String,
    pub payee: Org,
    pub payable_no: String,
    pub date: NaiveDate,
    pub amount: Money,
}

/// A contract: one hospital, one winner, the agreed quantity per agreement year.
#[derive(Clone, Debug, PartialEq)]
pub struct Contract {
    pub id: String,
    pub award_id: String,
    pub hospital: Org,
    pub supplier: Org,
    pub item_id: String,
    pub product_description: String,
    pub unit: String,
    pub unit_price: UnitPrice,
    pub years: Vec<ContractYear>,
    pub signed: DateTime<Utc>,
    pub milestones: Vec<PaymentMilestone>,
    pub payments: Vec<Payment>,
}

/// A contracting process: a tender run on the platform (with its batches once in force) or a
/// VBP batch loaded directly.
#[derive(Clone, Debug, PartialEq)]
pub struct Process {
    pub ocid: String,
    pub title: String,
    pub description: String,
    /// The tender's or the batch's number (`tender.id`).
    pub number: String,
    /// True for a tender run on the platform (bids, proposal, final results).
    pub tendered: bool,
    pub bureau: Org,
    pub fund: Org,
    /// When the tender was published (or the batch loaded).
    pub published: DateTime<Utc>,
    pub tender_period: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub award_period_start: Option<DateTime<Utc>>,
    pub cycle: (NaiveDate, NaiveDate),
    pub rules: Option<String>,
    pub items: Vec<TenderItem>,
    /// Reporting hospitals and the demand they reported, for `planning`.
    pub demand: Option<(usize, i64)>,
    /// The opening and its bids: only once the tender is opened, never before.
    pub opening: Option<(DateTime<Utc>, Vec<Bid>)>,
    pub proposed: Option<DateTime<Utc>>,
    pub final_at: Option<DateTime<Utc>>,
    pub awards: Vec<Award>,
    pub enacted: Option<DateTime<Utc>>,
    pub contracts: Vec<Contract>,
    /// The day the implementation is published as of.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
}

// ---------------------------------------------------------------- formatting

/// An instant, RFC 3339 in UTC.
pub fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The start of a day in Asia/Shanghai.
pub fn day_start(d: NaiveDate) -> String {
    format!("{}T00:00:00+08:00", d.format("%Y-%m-%d"))
}

/// The end of a day in Asia/Shanghai (a due date: paying on it is on time).
pub fn day_end(d: NaiveDate) -> String {
    format!("{}T23:59:59+08:00", d.format("%Y-%m-%d"))
}

/// An exact decimal as a JSON number (its shortest decimal text, which a double holds
/// exactly for the 15 significant digits money needs).
pub fn number(d: Decimal) -> Value {
    let d = d.normalize();
    if d.scale() == 0 {
        if let Ok(i) = i64::try_from(d) {
            return json!(i);
        }
    }
    let text = d.to_string();
    f64::from_str(&text).ok().and_then(serde_json::Number::from_f64).map(Value::Number).unwrap_or(Value::Null)
}

/// `{amount, currency}` in yuan.
pub fn value(amount: Decimal) -> Value {
    json!({"amount": number(amount), "currency": "CNY"})
}

fn org_ref(o: &Org) -> Value {
    json!({"id": o.id, "name": o.name})
}

/// The UN/CEFACT code of a strength unit, where one fits.
fn uncefact(unit: &str) -> Option<&'static str> {
    match unit.trim().to_lowercase().as_str() {
        "mg" | "毫克" => Some("MGM"),
        "g" | "克" => Some("GRM"),
        "µg" | "μg" | "ug" | "mcg" | "微克" => Some("MC"),
        "ml" | "毫升" => Some("MLT"),
        _ => None,
    }
}

/// A dosage form as a code of the HL7 forms the medicines extension draws on, where one
/// fits; the platform's own words otherwise (the codelist is open).
pub fn dosage_form_code(form: &str) -> String {
    let f = form.trim().to_lowercase();
    let code = if f.contains("胶囊") || f.contains("capsule") {
        "CAP"
    } else if f.contains("注射用") || f.contains("powder for injection") {
        "POWD"
    } else if f.contains("注射") || f.contains("injection") {
        "INJ"
    } else if f.contains("混悬") || f.contains("suspension") {
        "SUSP"
    } else if f.contains("颗粒") || f.contains("granule") {
        "GRAN"
    } else if f.contains("片") || f.contains("tablet") {
        "TAB"
    } else if f.contains("溶液") || f.contains("solution") {
        "SOL"
    } else {
        return form.trim().to_string();
    };
    code.into()
}

/// Reads a simple strength such as "10mg", "75 mg" or "0.5 g" from a specification.
pub fn parse_strength(spec: &str) -> Option<(Decimal, String)> {
    let s = spec.trim();
    let split = s.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
    let (num, unit) = s.split_at(split);
    let unit = unit.trim();
    let n = Decimal::from_str(num).ok().filter(|n| *n > Decimal::ZERO)?;
    uncefact(unit).map(|_| (n.normalize(), unit.to_string()))
}

/// The medicines extension's fields of an item.
fn medicine_fields(m: &Medicine, item: &mut Map<String, Value>) {
    if !m.dosage_form.trim().is_empty() {
        item.insert("dosageForm".into(), json!(dosage_form_code(&m.dosage_form)));
    }
    let mut ingredient = Map::new();
    ingredient.insert("name".into(), json!(m.generic_name));
    if let Some((n, unit)) = &m.strength {
        if let Some(code) = uncefact(unit) {
            ingredient
                .insert("strength".into(), json!({"unit": {"scheme": "UNCEFACT", "id": code}, "value": number(*n)}));
        }
    }
    item.insert("activeIngredients".into(), json!([Value::Object(ingredient)]));
}

fn classification(code: &str, description: &str) -> Value {
    json!({"scheme": "CN-NHSA", "id": code, "description": description})
}

// ---------------------------------------------------------------- parties

#[derive(Default)]
struct Parties(BTreeMap<String, (String, BTreeSet<&'static str>)>);

impl Parties {
    fn add(&mut self, o: &Org, role: &'static str) {
        self.0.entry(o.id.clone()).or_insert_with(|| (o.name.clone(), BTreeSet::new())).1.insert(role);
    }
    /// The parties among `ids`, each with every role it has in the whole process (roles only
    /// accumulate, so a compiled release keeps them all).
    fn subset(&self, ids: &BTreeSet<String>) -> Value {
        Value::Array(
            self.0
                .iter()
                .filter(|(id, _)| ids.contains(*id))
                .map(|(id, (name, roles))| json!({"id": id, "name": name, "roles": roles.iter().collect::<Vec<_>>()}))
                .collect(),
        )
    }
}

fn all_parties(p: &Process) -> Parties {
    let mut parties = Parties::default();
    parties.add(&p.bureau, "buyer");
    parties.add(&p.bureau, "procuringEntity");
    if let Some((_, bids)) = &p.opening {
        for b in bids {
            parties.add(&b.tenderer, "tenderer");
        }
    }
    for a in &p.awards {
        parties.add(&a.supplier, "supplier");
    }
    for c in &p.contracts {
        parties.add(&c.hospital, "buyer");
        parties.add(&c.supplier, "supplier");
        for t in &c.payments {
            parties.add(&p.fund, "payer");
            parties.add(&t.payee, "payee");
        }
    }
    parties
}

// ---------------------------------------------------------------- the parts

fn tender_item(i: &TenderItem) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), json!(i.id));
    item.insert("description".into(), json!(i.description));
    if let Some(code) = &i.product_code {
        item.insert("classification".into(), classification(code, &i.description));
    }
    if let Some(q) = i.quantity {
        item.insert("quantity".into(), json!(q));
    }
    let mut unit = Map::new();
    unit.insert("name".into(), json!(i.unit));
    if let Some(max) = i.max_price {
        unit.insert("value".into(), value(max.to_decimal()));
    }
    item.insert("unit".into(), Value::Object(unit));
    medicine_fields(&i.medicine, &mut item);
    Value::Object(item)
}

fn tender_object(p: &Process, status: &str) -> Map<String, Value> {
    let mut t = Map::new();
    t.insert("id".into(), json!(p.number));
    t.insert("title".into(), json!(p.title));
    t.insert("description".into(), json!(p.description));
    t.insert("status".into(), json!(status));
    t.insert("procuringEntity".into(), org_ref(&p.bureau));
    t.insert("items".into(), Value::Array(p.items.iter().map(tender_item).collect()));
    t.insert("procurementMethod".into(), json!("open"));
    t.insert(
        "procurementMethodDetails".into(),
        json!(if p.tendered {
            "集中带量采购（招标）: volume-based procurement, sealed bids opened at a fixed time"
        } else {
            "集中带量采购: volume-based procurement, winning bids loaded from the organising body's results"
        }),
    );
    t.insert("mainProcurementCategory".into(), json!("goods"));
    t.insert("awardCriteria".into(), json!("lowestCost"));
    if let Some(rules) = &p.rules {
        t.insert("awardCriteriaDetails".into(), json!(rules));
    }
    if p.tendered {
        t.insert("submissionMethod".into(), json!(["electronicSubmission"]));
    }
    if let Some((start, end)) = p.tender_period {
        t.insert("tenderPeriod".into(), json!({"startDate": instant(start), "endDate": instant(end)}));
    }
    t.insert("contractPeriod".into(), json!({"startDate": day_start(p.cycle.0), "endDate": day_end(p.cycle.1)}));
    t
}

fn bid_object(b: &Bid, item: Option<&TenderItem>) -> Value {
    let rep_unit = item.map_or_else(String::new, |i| i.unit.clone());
    let own = json!({
        "id": format!("{}-offered", b.item_id),
        "description": format!("{} (per pack of {})", b.product_description, b.units_per_pack),
        "classification": classification(&b.product_code, &b.product_description),
        "unit": {"name": rep_unit, "value": value(b.unit_price)}
    });
    let comparable = json!({
        "id": b.item_id,
        "description": "单位可比价: the price per representative minimum unit, after the price differentials",
        "unit": {"name": rep_unit, "value": value(b.comparable.to_decimal())}
    });
    let mut bid = json!({
        "id": b.id,
        "date": instant(b.submitted),
        "status": if b.valid { "valid" } else { "disqualified" },
        "tenderers": [org_ref(&b.tenderer)],
        "value": value(b.pack_price.to_decimal()),
        "items": [own, comparable],
        "description": format!("Price per pack; the opening's decision: {}", b.decision),
    });
    if let Some(rank) = b.rank {
        bid["hasRank"] = json!(true);
        bid["rank"] = json!(rank);
    } else {
        bid["hasRank"] = json!(false);
    }
    bid
}

fn bids_object(p: &Process, bids: &[Bid], at: DateTime<Utc>) -> Value {
    let mut statistics = Vec::new();
    for item in &p.items {
        let of_item: Vec<&Bid> = bids.iter().filter(|b| b.item_id == item.id).collect();
        let valid: Vec<&Bid> = of_item.iter().copied().filter(|b| b.valid).collect();
        let mut stat = |measure: &str, v: Value, currency: bool| {
            let mut s = json!({
                "id": format!("{}-{}", item.id, measure), "measure": measure, "value": v,
                "date": instant(at), "notes": item.description,
            });
            if currency {
                s["currency"] = json!("CNY");
                s["notes"] = json!(format!("{}: comparable price per representative {}", item.description, item.unit));
            }
            statistics.push(s);
        };
        stat("bids", json!(of_item.len()), false);
        stat("validBids", json!(valid.len()), false);
        stat("disqualifiedBids", json!(of_item.len() - valid.len()), false);
        if let Some(low) = valid.iter().map(|b| b.comparable).min() {
            stat("lowestValidBidValue", number(low.to_decimal()), true);
        }
        if let Some(high) = valid.iter().map(|b| b.comparable).max() {
            stat("highestValidBidValue", number(high.to_decimal()), true);
        }
    }
    let details: Vec<Value> = bids.iter().map(|b| bid_object(b, p.items.iter().find(|i| i.id == b.item_id))).collect();
    json!({"statistics": statistics, "details": details})
}

fn award_object(p: &Process, a: &Award, status: &str, date: DateTime<Utc>) -> Value {
    let mut item = Map::new();
    item.insert("id".into(), json!(a.item_id));
    item.insert("description".into(), json!(a.product_description));
    item.insert("classification".into(), classification(&a.product_code, &a.product_description));
    item.insert("unit".into(), json!({"name": a.unit, "value": value(a.unit_price.to_decimal())}));
    medicine_fields(&a.medicine, &mut item);
    let mut award = json!({
        "id": a.id,
        "title": format!("{} — {}", a.product_description, a.supplier.name),
        "description": "The winning price per pack (value) and per minimum unit (items[].unit.value)",
        "status": status,
        "date": instant(date),
        "value": value(a.pack_price.to_decimal()),
        "suppliers": [org_ref(&a.supplier)],
        "items": [Value::Object(item)],
        "contractPeriod": {"startDate": day_start(p.cycle.0), "endDate": day_end(p.cycle.1)},
    });
    if let Some(bid) = &a.bid_id {
        award["relatedBids"] = json!([bid]);
    }
    award
}

fn contract_status(p: &Process, c: &Contract) -> &'static str {
    let start = c.years.iter().map(|y| y.start).min().unwrap_or(p.cycle.0);
    if p.today < start {
        "pending"
    } else if p.today > p.cycle.1 {
        "terminated"
    } else {
        "active"
    }
}

fn contract_object(p: &Process, c: &Contract) -> Value {
    let quantity: i64 = c.years.iter().map(|y| y.quantity).sum();
    let items: Vec<Value> = c
        .years
        .iter()
        .map(|y| {
            json!({
                "id": y.id,
                "description": format!("{}: agreed volume (约定采购量), agreement year {} ({} to {})",
                                       c.product_description, y.year, y.start, y.end),
                "quantity": y.quantity,
                "unit": {"name": c.unit, "value": value(c.unit_price.to_decimal())}
            })
        })
        .collect();
    let total = Money::round_half_up(c.unit_price.extend(quantity));
    json!({
        "id": c.id,
        "awardID": c.award_id,
        "title": format!("{} — {} × {}", c.product_description, c.hospital.name, c.supplier.name),
        "description": "The hospital's agreed volume of the winning product at the winning price, for the cycle",
        "status": contract_status(p, c),
        "buyer": org_ref(&c.hospital),
        "period": {"startDate": day_start(p.cycle.0), "endDate": day_end(p.cycle.1)},
        "value": value(total.to_decimal()),
        "items": items,
        "dateSigned": instant(c.signed),
    })
}

fn implementation_object(p: &Process, c: &Contract) -> Value {
    let milestones: Vec<Value> = c
        .milestones
        .iter()
        .map(|m| {
            let mut v = json!({
                "id": m.id,
                "title": format!("Payment of {}", m.payable_no),
                "type": "payment",
                "description": format!("CNY {} owed for goods accepted on {}, due within the region's deadline", m.amount, m.accepted_on),
                "dueDate": day_end(m.due),
                "status": m.state.code(),
                "dateModified": instant(p.now),
            });
            if let PaymentState::Met(day) = m.state {
                v["dateMet"] = json!(day_start(day));
            }
            v
        })
        .collect();
    let transactions: Vec<Value> = c
        .payments
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "date": day_start(t.date),
                "value": value(t.amount.to_decimal()),
                "payer": org_ref(&p.fund),
                "payee": org_ref(&t.payee),
            })
        })
        .collect();
    // Empty arrays are left out (an empty field says nothing).
    let mut implementation = Map::new();
    if !milestones.is_empty() {
        implementation.insert("milestones".into(), Value::Array(milestones));
    }
    if !transactions.is_empty() {
        implementation.insert("transactions".into(), Value::Array(transactions));
    }
    json!({"id": c.id, "awardID": c.award_id, "implementation": implementation})
}

// ---------------------------------------------------------------- releases

fn release(p: &Process, suffix: &str, date: DateTime<Utc>, tags: &[&str], parties: Value) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert("ocid".into(), json!(p.ocid));
    r.insert("id".into(), json!(format!("{}-{}", p.ocid, suffix)));
    r.insert("date".into(), json!(instant(date)));
    r.insert("tag".into(), json!(tags));
    r.insert("initiationType".into(), json!("tender"));
    r.insert("language".into(), json!("zh"));
    r.insert("parties".into(), parties);
    r.insert("buyer".into(), org_ref(&p.bureau));
    r
}

fn ids<'a>(orgs: impl IntoIterator<Item = &'a Org>) -> BTreeSet<String> {
    orgs.into_iter().map(|o| o.id.clone()).collect()
}

/// Every release of a process, oldest first.
pub fn releases(p: &Process) -> Vec<Value> {
    let parties = all_parties(p);
    let mut out = Vec::new();
    let complete = p.final_at.is_some() || !p.tendered;

    // 1. The tender as published.
    let mut r = release(
        p,
        "tender",
        p.published,
        if p.tendered { &["planning", "tender"] } else { &["tender"] },
        parties.subset(&ids([&p.bureau])),
    );
    if let Some((hospitals, quantity)) = p.demand {
        r.insert(
            "planning".into(),
            json!({"rationale": format!(
                "需求量报送: {hospitals} reports from hospitals, {quantity} minimum units in all, are the demand base of the agreed volumes")}),
        );
    }
    let status = if p.tendered { "active" } else { "complete" };
    r.insert("tender".into(), Value::Object(tender_object(p, status)));
    out.push(Value::Object(r));

    // 2. The opening: every bid with its price, rank and status.
    if let Some((opened, bids)) = &p.opening {
        let tenderers: BTreeSet<&Org> = bids.iter().map(|b| &b.tenderer).collect();
        let mut r = release(
            p,
            "opening",
            *opened,
            &["tenderUpdate"],
            parties.subset(&ids(tenderers.iter().copied().chain([&p.bureau]))),
        );
        let mut tender = Map::new();
        tender.insert("id".into(), json!(p.number));
        tender.insert("status".into(), json!("active"));
        tender.insert("numberOfTenderers".into(), json!(tenderers.len()));
        tender.insert("tenderers".into(), Value::Array(tenderers.iter().map(|o| org_ref(o)).collect()));
        if let Some(start) = p.award_period_start {
            tender.insert("awardPeriod".into(), json!({"startDate": instant(start)}));
        }
        r.insert("tender".into(), Value::Object(tender));
        r.insert("bids".into(), bids_object(p, bids, *opened));
        out.push(Value::Object(r));
    }

    // 3. Awards: proposed (pending), then final (active); a batch's at its loading.
    let award_release = |suffix: &str, date: DateTime<Utc>, tags: &[&str], status: &str, tender_status: &str| {
        let mut r = release(
            p,
            suffix,
            date,
            tags,
            parties.subset(&ids(p.awards.iter().map(|a| &a.supplier).chain([&p.bureau]))),
        );
        let mut tender = json!({"id": p.number, "status": tender_status});
        if let (Some(start), true) = (p.award_period_start, status == "active") {
            tender["awardPeriod"] = json!({"startDate": instant(start), "endDate": instant(date)});
        }
        r.insert("tender".into(), tender);
        r.insert("awards".into(), Value::Array(p.awards.iter().map(|a| award_object(p, a, status, date)).collect()));
        Value::Object(r)
    };
    if !p.awards.is_empty() {
        if p.tendered {
            if let Some(proposed) = p.proposed {
                out.push(award_release("award", proposed, &["award"], "pending", "active"));
            }
            if let Some(final_at) = p.final_at {
                let tags: &[&str] = if p.proposed.is_some() { &["awardUpdate"] } else { &["award"] };
                out.push(award_release("award-final", final_at, tags, "active", "complete"));
            }
        } else {
            out.push(award_release("award", p.published, &["award"], "active", "complete"));
        }
    }

    // 4. Contracts: hospital × winner, the agreed quantities, the cycle.
    if complete && !p.contracts.is_empty() {
        // In force at the enactment; a batch loaded directly, when its last volume was allocated.
        let signed = p.contracts.iter().map(|c| c.signed).max().unwrap_or(p.published);
        let date = p.enacted.unwrap_or(signed).max(p.published);
        let orgs = p.contracts.iter().flat_map(|c| [&c.hospital, &c.supplier]).chain([&p.bureau]);
        let mut r = release(p, "contract", date, &["contract"], parties.subset(&ids(orgs)));
        r.insert("contracts".into(), Value::Array(p.contracts.iter().map(|c| contract_object(p, c)).collect()));
        out.push(Value::Object(r));

        // 5. Implementation as of today: payment milestones and payments.
        let busy: Vec<&Contract> =
            p.contracts.iter().filter(|c| !c.milestones.is_empty() || !c.payments.is_empty()).collect();
        if !busy.is_empty() {
            let mut orgs: Vec<&Org> = busy.iter().map(|c| &c.supplier).collect();
            orgs.extend(busy.iter().flat_map(|c| c.payments.iter().map(|t| &t.payee)));
            orgs.push(&p.bureau);
            if busy.iter().any(|c| !c.payments.is_empty()) {
                orgs.push(&p.fund);
            }
            let date = p.now.max(date);
            let suffix = format!("implementation-{}", p.today.format("%Y%m%d"));
            let mut r = release(p, &suffix, date, &["implementation"], parties.subset(&ids(orgs)));
            r.insert("contracts".into(), Value::Array(busy.iter().map(|c| implementation_object(p, c)).collect()));
            out.push(Value::Object(r));
        }
    }
    out
}

// ---------------------------------------------------------------- packages and records

fn package_head(publisher: &Publisher, uri: &str, published: DateTime<Utc>) -> Map<String, Value> {
    let mut pubr = Map::new();
    pubr.insert("name".into(), json!(publisher.name));
    if let Some(u) = &publisher.uri {
        pubr.insert("uri".into(), json!(u));
    }
    let mut pkg = Map::new();
    pkg.insert("uri".into(), json!(uri));
    pkg.insert("version".into(), json!(VERSION));
    pkg.insert("extensions".into(), json!(EXTENSIONS));
    pkg.insert("publishedDate".into(), json!(instant(published)));
    pkg.insert("publisher".into(), Value::Object(pubr));
    pkg
}

/// A release package of `releases`.
pub fn release_package(publisher: &Publisher, uri: &str, published: DateTime<Utc>, releases: Vec<Value>) -> Value {
    let mut pkg = package_head(publisher, uri, published);
    pkg.insert("releases".into(), Value::Array(releases));
    Value::Object(pkg)
}

/// A record package: for each process its releases and the compiled release.
pub fn record_package(
    publisher: &Publisher,
    uri: &str,
    releases_uri: &str,
    published: DateTime<Utc>,
    processes: Vec<(String, Vec<Value>)>,
) -> Value {
    let mut pkg = package_head(publisher, uri, published);
    pkg.insert("packages".into(), json!([releases_uri]));
    let records: Vec<Value> = processes
        .into_iter()
        .map(|(ocid, releases)| {
            let compiled = compile(&releases);
            json!({"ocid": ocid, "releases": releases, "compiledRelease": compiled})
        })
        .collect();
    pkg.insert("records".into(), Value::Array(records));
    Value::Object(pkg)
}

/// Merges `from` into `into` by the OCDS rules: objects field by field, arrays of objects with
/// an `id` by that id, any other value (and array) replaced; `null` removes a field.
fn merge(into: &mut Value, from: &Value) {
    match (into, from) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                if v.is_null() {
                    a.remove(k);
                } else if let Some(existing) = a.get_mut(k) {
                    merge(existing, v);
                } else {
                    let mut fresh = Value::Null;
                    merge(&mut fresh, v);
                    a.insert(k.clone(), fresh);
                }
            }
        }
        (into @ Value::Array(_), Value::Array(b)) if identified(b) && identified(into.as_array().expect("array")) => {
            let a = into.as_array_mut().expect("array");
            for v in b {
                match a.iter_mut().find(|x| x.get("id") == v.get("id")) {
                    Some(existing) => merge(existing, v),
                    None => a.push(v.clone()),
                }
            }
        }
        (into, from) => *into = strip_nulls(from),
    }
}

fn identified(a: &[Value]) -> bool {
    a.iter().all(|v| v.get("id").is_some_and(|id| !id.is_null()))
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), strip_nulls(v))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

/// The compiled release of a process's releases (oldest first): the latest value of every
/// field, tagged `compiled`.
pub fn compile(releases: &[Value]) -> Value {
    let mut sorted: Vec<&Value> = releases.iter().collect();
    sorted.sort_by(|a, b| a["date"].as_str().cmp(&b["date"].as_str()));
    let mut compiled = Value::Object(Map::new());
    for r in &sorted {
        let mut r = (*r).clone();
        if let Some(m) = r.as_object_mut() {
            m.remove("tag");
            m.remove("id");
        }
        merge(&mut compiled, &r);
    }
    if let Some(m) = compiled.as_object_mut() {
        let ocid = m.get("ocid").and_then(Value::as_str).unwrap_or_default().to_string();
        let date = m.get("date").and_then(Value::as_str).unwrap_or_default().to_string();
        m.insert("id".into(), json!(format!("{ocid}-compiled-{}", date.get(..10).unwrap_or(&date))));
        m.insert("tag".into(), json!(["compiled"]));
    }
    compiled
}

/// Splits `total` fen in proportion to `weights`, largest remainders first, so the parts add
/// up to the total exactly (a payable over several contracts).
pub fn allocate(total: i64, weights: &[Decimal]) -> Vec<i64> {
    let sum: Decimal = weights.iter().copied().sum();
    if weights.is_empty() {
        return vec![];
    }
    if sum <= Decimal::ZERO {
        let mut out = vec![0; weights.len()];
        out[0] = total;
        return out;
    }
    let exact: Vec<Decimal> = weights.iter().map(|w| Decimal::from(total) * *w / sum).collect();
    let mut parts: Vec<i64> = exact.iter().map(|e| e.floor().try_into().unwrap_or(0)).collect();
    let mut left = total - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| (exact[b] - exact[b].floor()).cmp(&(exact[a] - exact[a].floor())).then(a.cmp(&b)));
    for i in order.into_iter().cycle() {
        if left <= 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }
    fn org(id: &str) -> Org {
        Org { id: id.into(), name: format!("{id} 有限公司") }
    }

    fn process() -> Process {
        let medicine = Medicine {
            generic_name: "瑞舒伐他汀钙片".into(),
            dosage_form: "片剂".into(),
            strength: parse_strength("10mg"),
        };
        let bid = |id: &str, who: &str, pack: &str, units: i64, comparable: &str, rank: Option<i32>, valid: bool| Bid {
            id: id.into(),
            item_id: "g1".into(),
            tenderer: org(who),
            submitted: t("2026-10-25T02:00:00Z"),
            product_code: format!("X{id}"),
            product_description: "瑞舒伐他汀钙片 10mg".into(),
            pack_price: Money::parse(pack).unwrap(),
            units_per_pack: units,
            unit_price: Money::parse(pack).unwrap().to_decimal() / Decimal::from(units),
            comparable: UnitPrice::parse(comparable).unwrap(),
            rank,
            valid,
            decision: if valid { "within_multiple".into() } else { "above_max_price".into() },
        };
        let award = Award {
            id: "b1".into(),
            supplier: org("a"),
            item_id: "g1".into(),
            product_code: "Xb1".into(),
            product_description: "瑞舒伐他汀钙片 10mg×28片".into(),
            medicine: medicine.clone(),
            unit: "片".into(),
            pack_price: Money::parse("4.20").unwrap(),
            unit_price: UnitPrice::parse("0.15").unwrap(),
            bid_id: Some("b1".into()),
        };
        let contract = Contract {
            id: "v1".into(),
            award_id: "b1".into(),
            hospital: org("h1"),
            supplier: org("a"),
            item_id: "g1".into(),
            product_description: "瑞舒伐他汀钙片 10mg×28片".into(),
            unit: "片".into(),
            unit_price: UnitPrice::parse("0.15").unwrap(),
            years: vec![ContractYear {
                id: "v1".into(),
                year: 1,
                start: d("2026-11-01"),
                end: d("2027-10-31"),
                quantity: 33_333,
            }],
            signed: t("2026-11-20T02:00:00Z"),
            milestones: vec![
                PaymentMilestone {
                    id: "AP-1".into(),
                    payable_no: "AP-1".into(),
                    accepted_on: d("2026-11-02"),
                    due: d("2026-12-02"),
                    amount: Money::parse("42.00").unwrap(),
                    state: PaymentState::Met(d("2026-11-20")),
                },
                PaymentMilestone {
                    id: "AP-2".into(),
                    payable_no: "AP-2".into(),
                    accepted_on: d("2026-10-01"),
                    due: d("2026-10-31"),
                    amount: Money::parse("8.40").unwrap(),
                    state: PaymentState::NotMet,
                },
            ],
            payments: vec![Payment {
                id: "p1".into(),
                payee: org("a"),
                payable_no: "AP-1".into(),
                date: d("2026-11-20"),
                amount: Money::parse("42.00").unwrap(),
            }],
        };
        Process {
            ocid: "ocds-jicai0-TD-1".into(),
            title: "深圳市 第一批".into(),
            description: "test".into(),
            number: "TD-1".into(),
            tendered: true,
            bureau: org("bureau"),
            fund: Org { id: "fund-440300".into(), name: "深圳市医疗保障基金".into() },
            published: t("2026-10-20T02:00:00Z"),
            tender_period: Some((t("2026-10-20T02:00:00Z"), t("2026-10-27T09:00:00Z"))),
            award_period_start: Some(t("2026-10-28T01:30:00Z")),
            cycle: (d("2026-11-01"), d("2028-10-31")),
            rules: Some("batch10".into()),
            items: vec![TenderItem {
                id: "g1".into(),
                description: "瑞舒伐他汀钙片 片剂 10mg".into(),
                medicine,
                product_code: None,
                unit: "片".into(),
                max_price: Some(UnitPrice::parse("1.2000").unwrap()),
                quantity: Some(500_000),
            }],
            demand: Some((8, 500_000)),
            opening: Some((
                t("2026-10-28T02:30:00Z"),
                vec![
                    bid("b1", "a", "4.20", 28, "0.1500", Some(1), true),
                    bid("b2", "b", "40.00", 28, "1.4286", None, false),
                ],
            )),
            proposed: Some(t("2026-10-31T02:00:00Z")),
            final_at: Some(t("2026-11-10T02:00:00Z")),
            awards: vec![award],
            enacted: Some(t("2026-11-20T02:00:00Z")),
            contracts: vec![contract],
            today: d("2026-11-22"),
            now: Utc.with_ymd_and_hms(2026, 11, 22, 2, 0, 0).unwrap(),
        }
    }

    #[test]
    fn publisher_prefixes_have_the_registered_shape() {
        assert!(Publisher::new("x", None, Publisher::PLACEHOLDER_PREFIX).is_ok());
        assert!(Publisher::new("x", None, "ocds-213czf").is_ok());
        assert!(Publisher::new("x", None, "ocds-ABCDEF").is_err());
        assert!(Publisher::new("x", None, "ocds-1234567").is_err());
        assert!(Publisher::new(" ", None, "ocds-213czf").is_err());
        assert_eq!(Publisher::new("x", None, "ocds-213czf").unwrap().ocid("TD-1"), "ocds-213czf-TD-1");
    }

    #[test]
    fn amounts_are_exact_yuan_numbers() {
        assert_eq!(value(Money::from_fen(420).to_decimal()), json!({"amount": 4.2, "currency": "CNY"}));
        assert_eq!(number(UnitPrice::from_ten_thousandths(2399).to_decimal()).to_string(), "0.2399");
        assert_eq!(number(Money::from_fen(119_279).to_decimal()).to_string(), "1192.79");
        assert_eq!(number(Money::from_fen(123_456_789_012).to_decimal()).to_string(), "1234567890.12");
        assert_eq!(number(Decimal::from_str("0.40785714").unwrap()).to_string(), "0.40785714");
    }

    #[test]
    fn dates_are_rfc3339() {
        assert_eq!(day_start(d("2026-11-01")), "2026-11-01T00:00:00+08:00");
        assert_eq!(day_end(d("2026-12-01")), "2026-12-01T23:59:59+08:00");
        assert_eq!(instant(t("2026-11-01T10:00:00+08:00")), "2026-11-01T02:00:00Z");
    }

    #[test]
    fn strengths_and_forms_for_the_medicines_extension() {
        assert_eq!(parse_strength("10mg"), Some((Decimal::from(10), "mg".into())));
        assert_eq!(parse_strength("0.5 g"), Some((Decimal::from_str("0.5").unwrap(), "g".into())));
        assert_eq!(parse_strength("100 ml:37 g(I)"), None);
        assert_eq!(dosage_form_code("片剂"), "TAB");
        assert_eq!(dosage_form_code("powder for injection"), "POWD");
        assert_eq!(dosage_form_code("注射液"), "INJ");
        assert_eq!(dosage_form_code("贴剂"), "贴剂");
    }

    #[test]
    fn payment_states() {
        let due = d("2026-12-01");
        let owed = Money::from_fen(4200);
        assert_eq!(
            PaymentState::of(owed, owed, Some(d("2026-12-01")), due, d("2026-12-05")),
            PaymentState::Met(d("2026-12-01"))
        );
        assert_eq!(
            PaymentState::of(owed, Money::from_fen(100), None, due, d("2026-12-05")),
            PaymentState::PartiallyMet
        );
        assert_eq!(PaymentState::of(owed, Money::ZERO, None, due, d("2026-12-01")), PaymentState::Scheduled);
        assert_eq!(PaymentState::of(owed, Money::ZERO, None, due, d("2026-12-02")), PaymentState::NotMet);
    }

    #[test]
    fn allocation_adds_up() {
        let w = |v: &[&str]| v.iter().map(|s| Decimal::from_str(s).unwrap()).collect::<Vec<_>>();
        assert_eq!(allocate(1000, &w(&["1"])), vec![1000]);
        assert_eq!(allocate(1000, &w(&["1", "1", "1"])), vec![334, 333, 333]);
        assert_eq!(allocate(4200, &w(&["42.00", "0"])), vec![4200, 0]);
        assert_eq!(allocate(101, &w(&["0.5", "0.5"])).iter().sum::<i64>(), 101);
        assert_eq!(allocate(7, &w(&["0", "0"])), vec![7, 0]);
    }

    #[test]
    fn a_tender_from_publication_to_payment() {
        let p = process();
        let rs = releases(&p);
        let tags: Vec<&Value> = rs.iter().map(|r| &r["tag"]).collect();
        assert_eq!(
            tags,
            [
                &json!(["planning", "tender"]),
                &json!(["tenderUpdate"]),
                &json!(["award"]),
                &json!(["awardUpdate"]),
                &json!(["contract"]),
                &json!(["implementation"])
            ]
        );
        let item = &rs[0]["tender"]["items"][0];
        assert_eq!(item["unit"]["value"], json!({"amount": 1.2, "currency": "CNY"}));
        assert_eq!(item["quantity"], 500_000);
        assert_eq!(item["dosageForm"], "TAB");
        assert_eq!(item["activeIngredients"][0]["strength"]["value"], 10);
        assert!(rs[0].get("bids").is_none(), "nothing of the bids at publication");
        let bids = &rs[1]["bids"]["details"];
        assert_eq!(bids[0]["value"]["amount"], 4.2);
        assert_eq!(bids[0]["rank"], 1);
        assert_eq!(bids[0]["items"][1]["unit"]["value"]["amount"], 0.15);
        assert_eq!(bids[1]["status"], "disqualified");
        assert_eq!(rs[2]["awards"][0]["status"], "pending");
        assert_eq!(rs[3]["awards"][0]["status"], "active");
        assert_eq!(rs[3]["awards"][0]["relatedBids"], json!(["b1"]));
        let contract = &rs[4]["contracts"][0];
        assert_eq!(contract["items"][0]["quantity"], 33_333);
        assert_eq!(contract["value"]["amount"], 4999.95);
        assert_eq!(contract["buyer"]["id"], "h1");
        let imp = &rs[5]["contracts"][0]["implementation"];
        assert_eq!(imp["milestones"][0]["status"], "met");
        assert_eq!(imp["milestones"][0]["dateMet"], "2026-11-20T00:00:00+08:00");
        assert_eq!(imp["milestones"][1]["status"], "notMet");
        assert!(imp["milestones"][1].get("dateMet").is_none());
        assert_eq!(imp["transactions"][0]["value"]["amount"], 42);
        assert_eq!(imp["transactions"][0]["payer"]["id"], "fund-440300");
        let roles = |id: &str| {
            rs.iter()
                .flat_map(|r| r["parties"].as_array().unwrap().iter())
                .find(|p| p["id"] == id)
                .map(|p| p["roles"].clone())
                .unwrap()
        };
        assert_eq!(roles("a"), json!(["payee", "supplier", "tenderer"]));
        assert_eq!(roles("bureau"), json!(["buyer", "procuringEntity"]));
        assert_eq!(roles("fund-440300"), json!(["payer"]));
    }

    #[test]
    fn a_tender_in_bidding_has_one_release_and_no_bids() {
        let mut p = process();
        p.opening = None;
        p.proposed = None;
        p.final_at = None;
        p.awards.clear();
        p.enacted = None;
        p.contracts.clear();
        let rs = releases(&p);
        assert_eq!(rs.len(), 1);
        let text = serde_json::to_string(&rs).unwrap();
        assert!(!text.contains("\"bids\"") && !text.contains("tenderer"));
    }

    #[test]
    fn the_compiled_release_holds_the_latest_of_everything() {
        let p = process();
        let rs = releases(&p);
        let c = compile(&rs);
        assert_eq!(c["tag"], json!(["compiled"]));
        assert_eq!(c["tender"]["status"], "complete");
        assert_eq!(c["tender"]["items"][0]["quantity"], 500_000, "fields of earlier releases stay");
        assert_eq!(c["awards"][0]["status"], "active");
        let contract = &c["contracts"][0];
        assert_eq!(contract["items"][0]["quantity"], 33_333);
        assert_eq!(contract["implementation"]["transactions"].as_array().unwrap().len(), 1);
        assert_eq!(c["parties"].as_array().unwrap().len(), 5);
        assert_eq!(c["date"], rs.last().unwrap()["date"]);
    }

    #[test]
    fn merging_by_id_and_replacing_other_arrays() {
        let mut a = json!({"xs": [{"id": "1", "v": 1}], "tags": ["a"], "gone": 1});
        merge(&mut a, &json!({"xs": [{"id": "2", "v": 2}, {"id": "1", "w": 3}], "tags": ["b"], "gone": null}));
        assert_eq!(a, json!({"xs": [{"id": "1", "v": 1, "w": 3}, {"id": "2", "v": 2}], "tags": ["b"]}));
    }
}
