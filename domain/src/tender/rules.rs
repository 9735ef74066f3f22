//! The tender's pure rules (domain.md section 8): the unit comparable price, validity against the
//! max valid declared price, the shortlist cap, the selection rule sets, the offer to a failed
//! bidder, the supply-region picks and the agreed volume per winner. Every figure is decimal:
//! a bid sitting exactly on a threshold must win, and in binary floating point 1.8 × 0.1 is
//! 0.17999…
//!
//! The parameters (coefficients, cap tables, rule sets, tie order) are data a bureau sets per
//! tender; the presets below are the national batches' as publicly described.

use rust_decimal::{Decimal, MathematicalOps, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

use crate::catalog::volumes::{RatioBand, RatioTable};
use crate::money::Ratio;

/// Decimal places of a comparable price; rounding is half-up, before any comparison.
pub const PRICE_SCALE: u32 = 4;

fn round4(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(PRICE_SCALE, RoundingStrategy::MidpointAwayFromZero)
}

/// Price-differential coefficients (差比价) of a tender's dosage-form group **[policy]**.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coefficients {
    /// Per doubling of strength (含量差比价): 1.7.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1.7"))]
    pub strength: Decimal,
    /// Per doubling of fill volume (装量差比价), for injections: 1.9.
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1.9"))]
    pub fill_volume: Decimal,
}

impl Default for Coefficients {
    fn default() -> Self {
        Coefficients { strength: Decimal::new(17, 1), fill_volume: Decimal::new(19, 1) }
    }
}

/// A product's specification as the comparison needs it. Strength and fill volume are in the
/// representative spec's units (e.g. mg, ml).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Spec {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "10"))]
    pub strength: Decimal,
    /// Fill volume per minimum unit, for injections; none for solid forms.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "5"))]
    #[serde(default)]
    pub fill_volume: Option<Decimal>,
    /// Minimum units per pack (e.g. 28 tablets a box).
    pub units_per_pack: u32,
}

/// `coefficient ^ log2(own / representative)`; exact where the ratio is a power of two.
fn differential(coefficient: Decimal, own: Decimal, representative: Decimal) -> Decimal {
    let ratio = own / representative;
    if ratio == Decimal::ONE {
        return Decimal::ONE;
    }
    // A whole power of two: an exact integer exponent.
    let mut exponent = 0i64;
    let mut r = ratio;
    while r >= Decimal::TWO && r.fract() == Decimal::ZERO && (r / Decimal::TWO).fract() == Decimal::ZERO {
        r /= Decimal::TWO;
        exponent += 1;
    }
    let mut inv = Decimal::ONE / ratio;
    let mut neg = 0i64;
    while inv >= Decimal::TWO && inv.fract() == Decimal::ZERO && (inv / Decimal::TWO).fract() == Decimal::ZERO {
        inv /= Decimal::TWO;
        neg += 1;
    }
    if r == Decimal::ONE {
        return coefficient.powi(exponent);
    }
    if inv == Decimal::ONE {
        return Decimal::ONE / coefficient.powi(neg);
    }
    // Otherwise c^(log2 x) = e^(ln c × ln x / ln 2), to rust_decimal's precision.
    (coefficient.ln() * ratio.ln() / Decimal::TWO.ln()).exp()
}

/// K between two specs: the strength differential, times the fill-volume one where both have
/// a fill volume.
pub fn spec_differential(own: &Spec, representative: &Spec, c: &Coefficients) -> Decimal {
    let k = differential(c.strength, own.strength, representative.strength);
    match (own.fill_volume, representative.fill_volume) {
        (Some(v), Some(rv)) => k * differential(c.fill_volume, v, rv),
        _ => k,
    }
}

/// One bid's figures on its way to a comparable price.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comparable {
    /// Pack price / units per pack, full precision.
    pub unit_price: Decimal,
    /// The differential K between the bid's spec and the representative spec.
    pub coefficient: Decimal,
    /// unit / K, full precision (for the tie order).
    pub exact: Decimal,
    /// unit / K rounded half-up to 4 decimals: the price every comparison uses.
    pub price: Decimal,
}

/// The unit comparable price (单位可比价) of a pack price for `own` spec against the
/// representative spec: `unit = pack / units`, `K = 1.7^log2(strength ratio)` (× 1.9^log2 of
/// the fill-volume ratio where both have one), `comparable = unit / K`.
pub fn comparable_price(pack_price: Decimal, own: &Spec, representative: &Spec, c: &Coefficients) -> Comparable {
    let unit_price = pack_price / Decimal::from(own.units_per_pack);
    let k = spec_differential(own, representative, c);
    let exact = unit_price / k;
    Comparable { unit_price, coefficient: k, exact, price: round4(exact) }
}

/// The pack price of `own` spec that corresponds to a comparable price, rounded half-up to the
/// fen: how an accepted offer becomes the winner's price for its own spec.
pub fn pack_price_for(comparable: Decimal, own: &Spec, representative: &Spec, c: &Coefficients) -> Decimal {
    let k = spec_differential(own, representative, c);
    (comparable * k * Decimal::from(own.units_per_pack))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The shortlist cap table **[policy]**: `caps[n-1]` of `n` valid bidders are shortlisted; the
/// last entry holds for every larger `n`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapTable {
    pub name: String,
    pub caps: Vec<u32>,
}

impl CapTable {
    /// The 9th national batch: 1 2 2 3 4 4 5 6 7 8 9 9 10 10 10 10.
    pub fn batch9() -> CapTable {
        CapTable { name: "batch9".into(), caps: vec![1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 10] }
    }
    /// The 10th national batch: 1 2 2 3 3 3 4 5 6 6 7 8 8 9 9 10.
    pub fn batch10() -> CapTable {
        CapTable { name: "batch10".into(), caps: vec![1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 10] }
    }
    pub fn cap(&self, n: usize) -> usize {
        if n == 0 || self.caps.is_empty() {
            return 0;
        }
        let i = n.min(self.caps.len()) - 1;
        (self.caps[i] as usize).min(n)
    }
    pub fn validate(&self) -> Result<(), String> {
        if self.caps.is_empty() {
            return Err("a cap table has at least one entry".into());
        }
        if self.caps.iter().enumerate().any(|(i, &m)| m == 0 || m as usize > i + 1) {
            return Err("each cap is at least 1 and at most the number of bidders".into());
        }
        if self.caps.windows(2).any(|w| w[1] < w[0]) {
            return Err("caps never fall as the number of bidders grows".into());
        }
        Ok(())
    }
}

/// How the threshold's base is found among the shortlisted bids.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "base", rename_all = "snake_case")]
pub enum ThresholdBase {
    /// The lowest comparable price.
    Lowest,
    /// The anchor: max(lowest, share × the shortlisted bids' average comparable price).
    Anchor {
        #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.5"))]
        share_of_average: Decimal,
    },
}

/// A selection rule set **[policy]**: which shortlisted bids win.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleSet {
    pub name: String,
    pub base: ThresholdBase,
    /// A bid wins if its comparable price ≤ this multiple of the base (1.8).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "1.8"))]
    pub multiple: Decimal,
    /// A bid wins if its comparable price ≤ this amount (¥0.10), where set.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "0.10"))]
    #[serde(default)]
    pub absolute_ceiling: Option<Decimal>,
    /// A bid wins if its comparable price is at least this share below the max valid declared
    /// price (0.5), where set.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "0.5"))]
    #[serde(default)]
    pub discount_from_max: Option<Decimal>,
    /// A shortlisted bid that fails is offered the highest winning comparable price.
    #[serde(default)]
    pub offer_highest_winning: bool,
    /// With a single winner, the offer is this multiple of its price instead (1.8).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, example = "1.8"))]
    #[serde(default)]
    pub single_winner_offer_multiple: Option<Decimal>,
}

impl RuleSet {
    /// 7th–9th batches: 1.8 × the lowest, or ≤ ¥0.10, or ≥ 50% below the max price.
    pub fn batch9() -> RuleSet {
        RuleSet {
            name: "1.8x_0.10_50pct".into(),
            base: ThresholdBase::Lowest,
            multiple: Decimal::new(18, 1),
            absolute_ceiling: Some(Decimal::new(10, 2)),
            discount_from_max: Some(Decimal::new(5, 1)),
            offer_highest_winning: false,
            single_winner_offer_multiple: None,
        }
    }
    /// 10th batch: the 50% test dropped; a failed shortlisted bidder may accept the highest
    /// winning price (1.8 × the one winner's, if only one won).
    pub fn batch10() -> RuleSet {
        RuleSet {
            name: "batch10_accept_highest".into(),
            base: ThresholdBase::Lowest,
            multiple: Decimal::new(18, 1),
            absolute_ceiling: Some(Decimal::new(10, 2)),
            discount_from_max: None,
            offer_highest_winning: true,
            single_winner_offer_multiple: Some(Decimal::new(18, 1)),
        }
    }
    /// 11th batch: 1.8 × the anchor, the anchor being max(lowest, 50% × the average).
    pub fn anchor() -> RuleSet {
        RuleSet {
            name: "anchor_price".into(),
            base: ThresholdBase::Anchor { share_of_average: Decimal::new(5, 1) },
            multiple: Decimal::new(18, 1),
            absolute_ceiling: None,
            discount_from_max: None,
            offer_highest_winning: false,
            single_winner_offer_multiple: None,
        }
    }
    pub fn validate(&self) -> Result<(), String> {
        let share_ok = |d: Decimal| d > Decimal::ZERO && d <= Decimal::ONE;
        if self.multiple < Decimal::ONE {
            return Err("the multiple of the base is at least 1".into());
        }
        if self.absolute_ceiling.is_some_and(|a| a <= Decimal::ZERO) {
            return Err("the absolute ceiling is above zero".into());
        }
        if self.discount_from_max.is_some_and(|d| !share_ok(d)) {
            return Err("the discount from the max price lies above 0 and at most 1".into());
        }
        if let ThresholdBase::Anchor { share_of_average } = self.base {
            if !share_ok(share_of_average) {
                return Err("the anchor's share of the average lies above 0 and at most 1".into());
            }
        }
        if self.single_winner_offer_multiple.is_some_and(|m| m < Decimal::ONE) {
            return Err("the single winner's offer multiple is at least 1".into());
        }
        Ok(())
    }
}

/// A named agreed-volume ratio table of the tender policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NamedRatios {
    pub name: String,
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub table: RatioTable,
}

/// The region's tender policy **[policy]**: the tables and rule sets a tender may choose from,
/// the coefficients, the demand floor and the windows. Versioned like every policy; a tender
/// copies what it chose into its own rules when drafted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenderPolicy {
    pub coefficients: Coefficients,
    pub cap_tables: Vec<CapTable>,
    pub rule_sets: Vec<RuleSet>,
    pub ratio_tables: Vec<NamedRatios>,
    /// A hospital's report below this share of its past use on the platform needs a reason (0.8).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.8"))]
    pub demand_floor: Decimal,
    /// Hours a failed bidder has to accept an offered price.
    pub offer_hours: u32,
    /// Days the proposed results stay open to objections.
    pub objection_days: u32,
    /// Hours a winner has for each region pick before the default strategy picks for it.
    pub pick_hours: u32,
}

impl Default for TenderPolicy {
    fn default() -> Self {
        TenderPolicy {
            coefficients: Coefficients::default(),
            cap_tables: vec![CapTable::batch10(), CapTable::batch9()],
            rule_sets: vec![RuleSet::batch10(), RuleSet::batch9(), RuleSet::anchor()],
            ratio_tables: vec![
                NamedRatios { name: "by_winners".into(), table: RatioTable::default() },
                NamedRatios {
                    name: "anti_infective".into(),
                    table: RatioTable(vec![
                        RatioBand { min_winners: 1, ratio: Ratio::from_bp(3000) },
                        RatioBand { min_winners: 2, ratio: Ratio::from_bp(4000) },
                        RatioBand { min_winners: 3, ratio: Ratio::from_bp(5000) },
                    ]),
                },
                NamedRatios {
                    name: "flat_80".into(),
                    table: RatioTable(vec![RatioBand { min_winners: 1, ratio: Ratio::from_bp(8000) }]),
                },
            ],
            demand_floor: Decimal::new(8, 1),
            offer_hours: 48,
            objection_days: 3,
            pick_hours: 24,
        }
    }
}

impl TenderPolicy {
    pub fn validate(&self) -> Result<(), String> {
        if self.coefficients.strength < Decimal::ONE || self.coefficients.fill_volume < Decimal::ONE {
            return Err("coefficients are at least 1".into());
        }
        for t in &self.cap_tables {
            t.validate().map_err(|e| format!("cap table {}: {e}", t.name))?;
        }
        for r in &self.rule_sets {
            r.validate().map_err(|e| format!("rule set {}: {e}", r.name))?;
        }
        for t in &self.ratio_tables {
            t.table.clone().validated().map_err(|e| format!("ratio table {}: {e}", t.name))?;
        }
        if self.cap_tables.is_empty() || self.rule_sets.is_empty() || self.ratio_tables.is_empty() {
            return Err("the policy offers at least one cap table, rule set and ratio table".into());
        }
        let names_unique = |names: Vec<&str>| {
            let mut n = names.clone();
            n.sort();
            n.dedup();
            n.len() == names.len()
        };
        if !names_unique(self.cap_tables.iter().map(|t| t.name.as_str()).collect())
            || !names_unique(self.rule_sets.iter().map(|t| t.name.as_str()).collect())
            || !names_unique(self.ratio_tables.iter().map(|t| t.name.as_str()).collect())
        {
            return Err("names of tables and rule sets are unique".into());
        }
        if self.demand_floor < Decimal::ZERO || self.demand_floor > Decimal::ONE {
            return Err("the demand floor lies between 0 and 1".into());
        }
        if !(1..=720).contains(&self.offer_hours) || !(1..=720).contains(&self.pick_hours) {
            return Err("offer and pick windows are 1 to 720 hours".into());
        }
        if !(1..=30).contains(&self.objection_days) {
            return Err("the objection window is 1 to 30 days".into());
        }
        Ok(())
    }

    /// The rules of one tender: the named choices resolved into the tables themselves.
    pub fn resolve(
        &self,
        cap_table: &str,
        rule_set: &str,
        ratio_table: &str,
    ) -> Result<TenderRules, (&'static str, String)> {
        let cap = find_named(&self.cap_tables, |t| &t.name, cap_table, "cap_table", "cap table")?;
        let rules = find_named(&self.rule_sets, |t| &t.name, rule_set, "rule_set", "rule set")?;
        let ratios = find_named(&self.ratio_tables, |t| &t.name, ratio_table, "ratio_table", "ratio table")?;
        Ok(TenderRules {
            coefficients: self.coefficients.clone(),
            cap_table: cap.clone(),
            rule_set: rules.clone(),
            ratio_table: ratios.clone(),
            demand_floor: self.demand_floor,
            offer_hours: self.offer_hours,
            objection_days: self.objection_days,
            pick_hours: self.pick_hours,
            tie_rule: TIE_RULE.into(),
        })
    }
}

/// The item of `items` called `name`, or the refusal that lists the names on offer.
fn find_named<'a, T>(
    items: &'a [T],
    name_of: impl Fn(&T) -> &String,
    name: &str,
    field: &'static str,
    what: &str,
) -> Result<&'a T, (&'static str, String)> {
    items.iter().find(|t| name_of(t) == name).ok_or_else(|| {
        let offered: Vec<&str> = items.iter().map(|t| name_of(t).as_str()).collect();
        (field, format!("no {what} {name:?}; the policy offers {}", offered.join(", ")))
    })
}

/// One tender's rules, fixed when it is drafted and published with its procurement document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenderRules {
    pub coefficients: Coefficients,
    pub cap_table: CapTable,
    pub rule_set: RuleSet,
    pub ratio_table: NamedRatios,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "0.8"))]
    pub demand_floor: Decimal,
    pub offer_hours: u32,
    pub objection_days: u32,
    pub pick_hours: u32,
    pub tie_rule: String,
}

/// A bid as the opening reads it, unsealed.
#[derive(Clone, Debug)]
pub struct OpenedBid {
    pub bidder: String,
    pub spec: Spec,
    pub pack_price: Decimal,
    /// When it was submitted (its last replacement), for the tie order.
    pub submitted_at: chrono::NaiveDateTime,
}

/// Why a bid won or lost: the rule that decided it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Above the max valid declared price: not a valid bid.
    AboveMaxPrice,
    /// Valid, ranked below the cap.
    NotShortlisted,
    /// Comparable price ≤ multiple × base.
    WithinMultiple,
    /// Comparable price ≤ the absolute ceiling.
    UnderAbsoluteCeiling,
    /// Comparable price at least the set share below the max price.
    DiscountFromMax,
    /// Shortlisted, passed no test; offered a price it may accept (see the offer).
    Offered,
    /// Shortlisted, passed no test, and no offer applies.
    Failed,
}

/// One bid's outcome, with every figure that led to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidOutcome {
    pub bidder: String,
    pub comparable: Comparable,
    /// 1-based rank among the valid bids; none for an invalid one.
    pub rank: Option<u32>,
    pub shortlisted: bool,
    pub wins: bool,
    pub decision: Decision,
    /// The comparable price offered to a failed shortlisted bid, and the pack price for its spec.
    pub offer: Option<(Decimal, Decimal)>,
    /// Priced below the anchor: the winner files a cost statement.
    pub cost_statement_required: bool,
}

/// The opening of one generic: tender-level figures and each bid's outcome, in rank order
/// (invalid bids last).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub valid_bids: u32,
    pub shortlist_cap: u32,
    pub lowest: Option<Decimal>,
    pub anchor: Option<Decimal>,
    /// multiple × base.
    pub threshold: Option<Decimal>,
    /// Comparable prices at or below this pass the 50% test, where the rule set has it.
    pub discount_line: Option<Decimal>,
    pub tie_rule: String,
    pub outcomes: Vec<BidOutcome>,
}

/// The default tie order **[open]**: the lower full-precision price, then earlier submission.
pub const TIE_RULE: &str = "lower full-precision comparable price, then earlier submission";

/// Opens one generic's bids: comparable prices, validity against `max_price` (per
/// representative unit), the cap, and the rule set.
pub fn open_generic(
    bids: &[OpenedBid],
    representative: &Spec,
    max_price: Decimal,
    coefficients: &Coefficients,
    caps: &CapTable,
    rules: &RuleSet,
) -> Opening {
    let mut priced: Vec<(usize, Comparable)> = bids
        .iter()
        .enumerate()
        .map(|(i, b)| (i, comparable_price(b.pack_price, &b.spec, representative, coefficients)))
        .collect();
    priced.sort_by(|(ia, a), (ib, b)| {
        a.price
            .cmp(&b.price)
            .then(a.exact.cmp(&b.exact))
            .then(bids[*ia].submitted_at.cmp(&bids[*ib].submitted_at))
            .then(bids[*ia].bidder.cmp(&bids[*ib].bidder))
    });
    let (valid, invalid): (Vec<_>, Vec<_>) = priced.into_iter().partition(|(_, c)| c.price <= max_price);
    let cap = caps.cap(valid.len());
    let shortlisted = &valid[..cap];
    let lowest = shortlisted.first().map(|(_, c)| c.price);
    let anchor = match (&rules.base, lowest) {
        (ThresholdBase::Anchor { share_of_average }, Some(low)) => {
            let sum: Decimal = shortlisted.iter().map(|(_, c)| c.price).sum();
            let average = sum / Decimal::from(shortlisted.len() as u64);
            Some(round4(low.max(*share_of_average * average)))
        }
        _ => None,
    };
    let base = anchor.or(lowest);
    let threshold = base.map(|b| round4(rules.multiple * b));
    let discount_line = rules.discount_from_max.map(|d| round4(max_price * (Decimal::ONE - d)));

    let mut outcomes: Vec<BidOutcome> = Vec::with_capacity(bids.len());
    for (rank0, (i, c)) in valid.iter().enumerate() {
        let is_short = rank0 < cap;
        let decision = if !is_short {
            Decision::NotShortlisted
        } else if threshold.is_some_and(|t| c.price <= t) {
            Decision::WithinMultiple
        } else if rules.absolute_ceiling.is_some_and(|a| c.price <= a) {
            Decision::UnderAbsoluteCeiling
        } else if discount_line.is_some_and(|l| c.price <= l) {
            Decision::DiscountFromMax
        } else {
            Decision::Failed
        };
        let wins =
            matches!(decision, Decision::WithinMultiple | Decision::UnderAbsoluteCeiling | Decision::DiscountFromMax);
        outcomes.push(BidOutcome {
            bidder: bids[*i].bidder.clone(),
            comparable: c.clone(),
            rank: Some(rank0 as u32 + 1),
            shortlisted: is_short,
            wins,
            decision,
            offer: None,
            cost_statement_required: wins && anchor.is_some_and(|a| c.price < a),
        });
    }
    // The offer to shortlisted bids that failed: the highest winning comparable price (or a
    // multiple of the one winner's), converted back to each bidder's own spec.
    if rules.offer_highest_winning {
        let winners: Vec<Decimal> = outcomes.iter().filter(|o| o.wins).map(|o| o.comparable.price).collect();
        let offered = match (winners.len(), rules.single_winner_offer_multiple) {
            (0, _) => None,
            (1, Some(m)) => Some(round4(m * winners[0])),
            _ => winners.iter().copied().max(),
        };
        if let Some(price) = offered {
            for (o, (i, _)) in outcomes.iter_mut().zip(valid.iter()) {
                if o.decision == Decision::Failed {
                    o.decision = Decision::Offered;
                    o.offer = Some((price, pack_price_for(price, &bids[*i].spec, representative, coefficients)));
                }
            }
        }
    }
    for (i, c) in invalid {
        outcomes.push(BidOutcome {
            bidder: bids[i].bidder.clone(),
            comparable: c,
            rank: None,
            shortlisted: false,
            wins: false,
            decision: Decision::AboveMaxPrice,
            offer: None,
            cost_statement_required: false,
        });
    }
    Opening {
        valid_bids: valid.len() as u32,
        shortlist_cap: cap as u32,
        lowest,
        anchor,
        threshold,
        discount_line,
        tie_rule: TIE_RULE.into(),
        outcomes,
    }
}

/// A supply region (or province) with its base: the reported demand it brings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegionBase {
    pub region: String,
    pub base: i64,
}

/// How a pick was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PickKind {
    /// The rank-1 winner's first pick, before the rounds.
    Priority,
    /// One region a winner per round, in rank order.
    Round,
    /// A backup (备供) region, never the winner's own.
    Backup,
}

/// One pick of the allocation, in the order made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    pub winner: String,
    pub region: String,
    pub kind: PickKind,
    pub round: u32,
}

/// The default strategy when a winner does not pick in time: the largest remaining base (ties
/// to the region listed first).
pub fn largest_remaining(available: &[&RegionBase]) -> Option<String> {
    available.iter().max_by(|a, b| a.base.cmp(&b.base).then(Ordering::Greater)).map(|r| r.region.clone())
}

/// The next pick the allocation waits for, given the picks made so far: the winner and the
/// regions it may choose from. None when the allocation is complete.
pub fn next_pick<'a>(
    winners: &[String],
    regions: &'a [RegionBase],
    made: &[Pick],
) -> Option<(String, PickKind, u32, Vec<&'a RegionBase>)> {
    if winners.is_empty() {
        return None;
    }
    let primary_of = |region: &str| made.iter().find(|p| p.kind != PickKind::Backup && p.region == region);
    let free: Vec<&RegionBase> = regions.iter().filter(|r| primary_of(&r.region).is_none()).collect();
    let primaries = made.iter().filter(|p| p.kind != PickKind::Backup).count();
    if !free.is_empty() {
        if primaries == 0 {
            return Some((winners[0].clone(), PickKind::Priority, 0, free));
        }
        let in_rounds = primaries - 1;
        let round = (in_rounds / winners.len()) as u32 + 1;
        let winner = winners[in_rounds % winners.len()].clone();
        return Some((winner, PickKind::Round, round, free));
    }
    // Backups: in rank order, one a round, a region not the winner's own and not yet backed.
    let backed = |region: &str| made.iter().any(|p| p.kind == PickKind::Backup && p.region == region);
    let backups = made.iter().filter(|p| p.kind == PickKind::Backup).count();
    for offset in 0..winners.len() {
        let turn = backups + offset;
        let winner = &winners[turn % winners.len()];
        let choices: Vec<&RegionBase> = regions
            .iter()
            .filter(|r| !backed(&r.region) && primary_of(&r.region).is_some_and(|p| &p.winner != winner))
            .collect();
        if !choices.is_empty() {
            return Some((winner.clone(), PickKind::Backup, (turn / winners.len()) as u32 + 1, choices));
        }
    }
    None
}

/// Runs the whole allocation with one strategy for every winner (the default, or a test's).
pub fn allocate_with(
    winners: &[String],
    regions: &[RegionBase],
    mut choose: impl FnMut(&str, &[&RegionBase]) -> Option<String>,
) -> Vec<Pick> {
    let mut made = Vec::new();
    while let Some((winner, kind, round, choices)) = next_pick(winners, regions, &made) {
        let Some(region) = choose(&winner, &choices) else { break };
        made.push(Pick { winner, region, kind, round });
    }
    made
}

/// Each winner's agreed volume: the base of its primary regions × the ratio, where the regions'
/// bases are already per-hospital rounded figures.
pub fn primary_bases(picks: &[Pick], regions: &[RegionBase]) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = Vec::new();
    for p in picks.iter().filter(|p| p.kind != PickKind::Backup) {
        let base = regions.iter().find(|r| r.region == p.region).map_or(0, |r| r.base);
        match out.iter_mut().find(|(w, _)| *w == p.winner) {
            Some((_, b)) => *b += base,
            None => out.push((p.winner.clone(), base)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::volumes::agreed_quantity;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn spec(mg: &str, units: u32) -> Spec {
        Spec { strength: d(mg), fill_volume: None, units_per_pack: units }
    }
    fn at(minute: u32) -> chrono::NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_opt(9, minute, 0).unwrap()
    }
    /// The worked example of domain.md section 8: max ¥1.2000 per 10 mg tablet.
    fn example() -> Vec<OpenedBid> {
        [
            ("A", "10", 28, "4.20"),
            ("B", "20", 14, "5.71"),
            ("C", "10", 7, "2.52"),
            ("D", "5", 28, "8.40"),
            ("E", "10", 14, "9.80"),
        ]
        .into_iter()
        .enumerate()
        .map(|(i, (b, mg, units, price))| OpenedBid {
            bidder: b.into(),
            spec: spec(mg, units),
            pack_price: d(price),
            submitted_at: at(i as u32),
        })
        .collect()
    }
    fn winners(o: &Opening) -> Vec<&str> {
        o.outcomes.iter().filter(|o| o.wins).map(|o| o.bidder.as_str()).collect()
    }
    fn outcome<'a>(o: &'a Opening, bidder: &str) -> &'a BidOutcome {
        o.outcomes.iter().find(|o| o.bidder == bidder).unwrap()
    }

    #[test]
    fn comparable_prices_of_the_worked_example() {
        let rep = spec("10", 1);
        let c = Coefficients::default();
        let got: Vec<(String, Decimal)> = example()
            .iter()
            .map(|b| (b.bidder.clone(), comparable_price(b.pack_price, &b.spec, &rep, &c).price))
            .collect();
        let want = [("A", "0.1500"), ("B", "0.2399"), ("C", "0.3600"), ("D", "0.5100"), ("E", "0.7000")];
        for ((bidder, price), (wb, wp)) in got.iter().zip(want) {
            assert_eq!((bidder.as_str(), *price), (wb, d(wp)));
        }
        let b = comparable_price(d("5.71"), &spec("20", 14), &rep, &c);
        assert_eq!(b.unit_price.round_dp(6), d("0.407857"));
        assert_eq!(b.coefficient, d("1.7"));
        // A 5 mg tablet's unit price is multiplied by 1.7.
        assert_eq!(comparable_price(d("8.40"), &spec("5", 28), &rep, &c).exact, d("0.51"));
    }

    #[test]
    fn a_strength_that_is_not_a_power_of_two_uses_the_logarithm() {
        let rep = spec("10", 1);
        let k = comparable_price(d("1"), &spec("15", 1), &rep, &Coefficients::default()).coefficient;
        // 1.7^log2(1.5) = 1.36396…
        assert_eq!(k.round_dp(4), d("1.3640"));
    }

    #[test]
    fn ninth_batch_cap_and_the_one_eight_rules() {
        let o = open_at_1_2(&example(), &CapTable::batch9(), &RuleSet::batch9());
        assert_eq!(o.shortlist_cap, 4);
        assert_eq!(o.threshold, Some(d("0.27")));
        assert_eq!(o.discount_line, Some(d("0.6")));
        assert_eq!(winners(&o), ["A", "B", "C", "D"]);
        assert_eq!(outcome(&o, "A").decision, Decision::WithinMultiple);
        assert_eq!(outcome(&o, "B").decision, Decision::WithinMultiple);
        assert_eq!(outcome(&o, "C").decision, Decision::DiscountFromMax);
        assert_eq!(outcome(&o, "D").decision, Decision::DiscountFromMax);
        assert_eq!(outcome(&o, "E").decision, Decision::NotShortlisted);
        let ratio = RatioTable::default().ratio_for(4);
        assert_eq!(ratio.to_decimal(), d("0.8"));
    }

    #[test]
    fn tenth_batch_offers_the_highest_winning_price() {
        let o = open_at_1_2(&example(), &CapTable::batch10(), &RuleSet::batch10());
        assert_eq!(o.shortlist_cap, 3);
        assert_eq!(winners(&o), ["A", "B"]);
        let c = outcome(&o, "C");
        assert_eq!(c.decision, Decision::Offered);
        // 0.2399 a tablet is ¥1.68 a box of 7.
        assert_eq!(c.offer, Some((d("0.2399"), d("1.68"))));
        assert_eq!(outcome(&o, "D").decision, Decision::NotShortlisted);
    }

    #[test]
    fn a_single_winner_offers_its_multiple() {
        let bids: Vec<OpenedBid> = example().into_iter().take(3).collect();
        let mut rules = RuleSet::batch10();
        rules.multiple = d("1.2"); // only A passes: 0.18 line
        let o = open_at_1_2(&bids, &CapTable::batch10(), &rules);
        assert_eq!(winners(&o), ["A"]);
        // 1.8 × 0.15 = 0.27 offered to B (20 mg × 14: 0.27 × 1.7 × 14 = 6.426 → ¥6.43).
        assert_eq!(outcome(&o, "B").offer, Some((d("0.27"), d("6.43"))));
    }

    /// Opens `bids` against the worked example's representative (10 mg × 1) at its max valid
    /// price, ¥1.2 a tablet, with the default coefficients.
    fn open_at_1_2(bids: &[OpenedBid], cap: &CapTable, rules: &RuleSet) -> Opening {
        open_generic(bids, &spec("10", 1), d("1.2"), &Coefficients::default(), cap, rules)
    }

    /// Bids of the representative spec at `prices`, by X0, X1, … a minute apart.
    fn representative_bids(prices: &[&str]) -> Vec<OpenedBid> {
        prices
            .iter()
            .enumerate()
            .map(|(i, p)| OpenedBid {
                bidder: format!("X{i}"),
                spec: spec("10", 1),
                pack_price: d(p),
                submitted_at: at(i as u32),
            })
            .collect()
    }

    fn anchored(prices: &[&str], rules: &RuleSet) -> Opening {
        open_at_1_2(&representative_bids(prices), &CapTable::batch9(), rules)
    }

    #[test]
    fn anchor_price_wins_on_its_boundary() {
        // The example's three bids are all shortlisted (the 9th table would keep two of three).
        let bids = representative_bids(&["0.0600", "0.1800", "0.3600"]);
        let all = CapTable { name: "all".into(), caps: vec![1, 2, 3] };
        let o = open_at_1_2(&bids, &all, &RuleSet::anchor());
        assert_eq!(o.anchor, Some(d("0.1")));
        assert_eq!(o.threshold, Some(d("0.18")));
        assert_eq!(winners(&o), ["X0", "X1"]);
        assert!(outcome(&o, "X0").cost_statement_required, "0.06 is below the anchor");
        assert!(!outcome(&o, "X1").cost_statement_required);
        assert_eq!(outcome(&o, "X2").decision, Decision::Failed);
        // Under the 10th batch's rule the line would be 1.8 × 0.06 = 0.108.
        let tenth = open_at_1_2(&bids, &all, &RuleSet::batch10());
        assert_eq!(tenth.threshold, Some(d("0.108")));
        assert_eq!(outcome(&tenth, "X1").decision, Decision::Offered);
    }

    #[test]
    fn above_the_max_price_is_invalid_and_not_counted() {
        let o = anchored(&["0.50", "1.2001", "1.2000"], &RuleSet::batch9());
        assert_eq!(o.valid_bids, 2);
        assert_eq!(outcome(&o, "X1").decision, Decision::AboveMaxPrice);
        assert_eq!(outcome(&o, "X1").rank, None);
        assert_eq!(outcome(&o, "X2").rank, Some(2), "a bid exactly at the max price is valid");
    }

    #[test]
    fn ties_go_to_the_lower_exact_price_then_the_earlier_bid() {
        // 0.15 per 10 mg twice: the same rounded price; 1.05/7 = 0.15 exactly, 4.2/28 too.
        let bids = vec![
            OpenedBid { bidder: "late".into(), spec: spec("10", 28), pack_price: d("4.20"), submitted_at: at(5) },
            OpenedBid { bidder: "early".into(), spec: spec("10", 7), pack_price: d("1.05"), submitted_at: at(1) },
            OpenedBid { bidder: "cheaper".into(), spec: spec("10", 3), pack_price: d("0.4499"), submitted_at: at(9) },
        ];
        let o = open_at_1_2(&bids, &CapTable::batch9(), &RuleSet::batch9());
        let order: Vec<&str> = o.outcomes.iter().map(|o| o.bidder.as_str()).collect();
        // 0.4499/3 = 0.149966… rounds to 0.1500 but is lower at full precision.
        assert_eq!(order, ["cheaper", "early", "late"]);
        assert_eq!(o.tie_rule, TIE_RULE);
    }

    #[test]
    fn one_point_eight_times_a_tenth_is_exactly_the_line() {
        // In floating point 1.8 × 0.1 = 0.17999…: a bid of 0.18 would fail. Here it wins.
        let o = anchored(
            &["0.10", "0.18"],
            &RuleSet { absolute_ceiling: None, discount_from_max: None, ..RuleSet::batch9() },
        );
        assert_eq!(winners(&o), ["X0", "X1"]);
    }

    #[test]
    fn region_picks_and_agreed_volumes_of_the_worked_example() {
        let winners: Vec<String> = ["A", "B", "C", "D"].iter().map(|s| s.to_string()).collect();
        let regions: Vec<RegionBase> = [
            ("P1", 9_000_000),
            ("P2", 7_500_000),
            ("P3", 6_000_000),
            ("P4", 5_200_000),
            ("P5", 4_100_000),
            ("P6", 3_300_000),
            ("P7", 2_000_000),
            ("P8", 1_200_000),
        ]
        .iter()
        .map(|(r, b)| RegionBase { region: r.to_string(), base: *b })
        .collect();
        let picks = allocate_with(&winners, &regions, |_, choices| largest_remaining(choices));
        let primaries: Vec<(&str, &str, PickKind, u32)> = picks
            .iter()
            .filter(|p| p.kind != PickKind::Backup)
            .map(|p| (p.winner.as_str(), p.region.as_str(), p.kind, p.round))
            .collect();
        assert_eq!(
            primaries,
            [
                ("A", "P1", PickKind::Priority, 0),
                ("A", "P2", PickKind::Round, 1),
                ("B", "P3", PickKind::Round, 1),
                ("C", "P4", PickKind::Round, 1),
                ("D", "P5", PickKind::Round, 1),
                ("A", "P6", PickKind::Round, 2),
                ("B", "P7", PickKind::Round, 2),
                ("C", "P8", PickKind::Round, 2),
            ]
        );
        // Every region gets one backup, never from its own primary winner.
        let backups: Vec<&Pick> = picks.iter().filter(|p| p.kind == PickKind::Backup).collect();
        assert_eq!(backups.len(), 8);
        for b in backups {
            let own = picks.iter().find(|p| p.kind != PickKind::Backup && p.region == b.region).unwrap();
            assert_ne!(own.winner, b.winner, "{} backs its own region {}", b.winner, b.region);
        }
        let ratio = RatioTable::default().ratio_for(4);
        let agreed: Vec<(String, i64)> =
            primary_bases(&picks, &regions).into_iter().map(|(w, base)| (w, agreed_quantity(base, ratio))).collect();
        let want = [("A", 15_840_000), ("B", 6_400_000), ("C", 5_120_000), ("D", 3_280_000)];
        assert_eq!(agreed, want.map(|(w, q)| (w.to_string(), q)));
        assert_eq!(agreed.iter().map(|(_, q)| q).sum::<i64>(), 30_640_000);
    }

    #[test]
    fn the_default_policy_is_valid_and_is_what_the_migration_stores() {
        let policy = TenderPolicy::default();
        assert!(policy.validate().is_ok());
        let json = serde_json::to_string(&policy).unwrap();
        for dialect in ["postgres", "sqlite"] {
            let path =
                format!("{}/../migrations/{dialect}/2026-12-06-000018_tendering/up.sql", env!("CARGO_MANIFEST_DIR"));
            let sql = std::fs::read_to_string(path).unwrap();
            assert!(
                sql.contains(&format!("'{json}'")),
                "{dialect} migration's tender policy differs from the default: {json}"
            );
        }
        let rules = policy.resolve("batch9", "1.8x_0.10_50pct", "by_winners").unwrap();
        assert_eq!(rules.cap_table, CapTable::batch9());
        assert_eq!(policy.resolve("batch11", "anchor_price", "by_winners").unwrap_err().0, "cap_table");
    }

    #[test]
    fn presets_are_valid_and_bad_tables_are_refused() {
        assert!(CapTable::batch9().validate().is_ok() && CapTable::batch10().validate().is_ok());
        assert!(CapTable { name: "x".into(), caps: vec![2] }.validate().is_err());
        assert!(CapTable { name: "x".into(), caps: vec![1, 2, 1] }.validate().is_err());
        for r in [RuleSet::batch9(), RuleSet::batch10(), RuleSet::anchor()] {
            assert!(r.validate().is_ok(), "{}", r.name);
        }
        assert!(RuleSet { multiple: d("0.9"), ..RuleSet::batch9() }.validate().is_err());
        assert_eq!(CapTable::batch10().cap(40), 10);
        assert_eq!(CapTable::batch9().cap(0), 0);
    }
}
