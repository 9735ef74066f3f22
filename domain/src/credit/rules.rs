//! The pure rules of credit rating (domain.md section 9): the grade a case's conduct and amount
//! suggest under the region's credit policy, the measures each grade brings, how long a rating
//! and a distributor's suspension last, and which corrective measures repair it. All of it is
//! data (`CreditPolicy`, policy kind `credit`); the 2025 three grades are the default and the
//! 2020 four grades a selectable preset.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::money::Money;

/// What the enterprise did (失信行为).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Conduct {
    /// 商业贿赂
    Bribery,
    /// 涉税违法
    Tax,
    /// 垄断
    Monopoly,
    /// 不正当价格行为
    UnfairPricing,
    /// 扰乱集中采购秩序 / 违规竞标
    DisruptingProcurement,
    /// 拒不配合监管
    ResistingSupervision,
    /// 违约、不履行承诺 (e.g. not supplying as agreed)
    BreachOfContract,
}

impl Conduct {
    pub const ALL: [Conduct; 7] = [
        Conduct::Bribery,
        Conduct::Tax,
        Conduct::Monopoly,
        Conduct::UnfairPricing,
        Conduct::DisruptingProcurement,
        Conduct::ResistingSupervision,
        Conduct::BreachOfContract,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Conduct::Bribery => "bribery",
            Conduct::Tax => "tax",
            Conduct::Monopoly => "monopoly",
            Conduct::UnfairPricing => "unfair_pricing",
            Conduct::DisruptingProcurement => "disrupting_procurement",
            Conduct::ResistingSupervision => "resisting_supervision",
            Conduct::BreachOfContract => "breach_of_contract",
        }
    }
    pub fn parse(s: &str) -> Option<Conduct> {
        Conduct::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Conditions that make a case the top grade whatever its amount.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TopCondition {
    /// 向医保、招采工作人员行贿
    BribedInsuranceOrProcurementStaff,
    /// 在国家组织集采中串通投标
    NationalBidRigging,
}

impl TopCondition {
    pub fn as_str(self) -> &'static str {
        match self {
            TopCondition::BribedInsuranceOrProcurementStaff => "bribed_insurance_or_procurement_staff",
            TopCondition::NationalBidRigging => "national_bid_rigging",
        }
    }
    pub fn parse(s: &str) -> Option<TopCondition> {
        [TopCondition::BribedInsuranceOrProcurementStaff, TopCondition::NationalBidRigging]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// What the platform does while a rating is in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// 书面提醒告诫
    WrittenReminder,
    /// A risk flag beside the enterprise's products in hospitals' catalogues.
    RiskFlag,
    /// Published on the disclosure site.
    Disclosure,
    /// Listing and distribution of the products involved are cancelled.
    CancelInvolvedListing,
    /// A manufacturer's bidding and the listing of all its products are suspended.
    SuspendBiddingAndListing,
    /// A distributor's distribution is suspended for its term (`distribution_until`).
    SuspendDistribution,
}

/// A corrective measure the enterprise proves to repair its rating (信用修复).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Corrective {
    StopConduct,
    DisciplineStaff,
    PublicApology,
    ComplianceReport,
    /// Remove the inflated price: a VBP winning price of the product involved counts.
    RemoveInflatedPrice,
    ReturnGains,
}

impl Corrective {
    pub const ALL: [Corrective; 6] = [
        Corrective::StopConduct,
        Corrective::DisciplineStaff,
        Corrective::PublicApology,
        Corrective::ComplianceReport,
        Corrective::RemoveInflatedPrice,
        Corrective::ReturnGains,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Corrective::StopConduct => "stop_conduct",
            Corrective::DisciplineStaff => "discipline_staff",
            Corrective::PublicApology => "public_apology",
            Corrective::ComplianceReport => "compliance_report",
            Corrective::RemoveInflatedPrice => "remove_inflated_price",
            Corrective::ReturnGains => "return_gains",
        }
    }
    pub fn parse(s: &str) -> Option<Corrective> {
        Corrective::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// One grade of the scheme, listed from the mildest up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeDef {
    /// Stable code, e.g. "serious".
    pub code: String,
    /// The grade's name as published, e.g. "严重失信".
    pub name_zh: String,
    pub name_en: String,
    pub measures: Vec<Measure>,
    /// How long a distributor's distribution is suspended at this grade, in years.
    pub distributor_suspension_years: u32,
}

/// A band: amounts from `from` (inclusive) up to the next band's `from` take `grade`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Band {
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "500000.00"))]
    pub from: Money,
    pub grade: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConductBands {
    pub conduct: Conduct,
    /// Ascending by `from`; below the first band the conduct is not graded by amount.
    pub bands: Vec<Band>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RepairRule {
    pub conduct: Conduct,
    pub measures: Vec<Corrective>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentRule {
    /// The template version an enterprise's letter must carry.
    pub template_version: String,
    /// From the day after this date, bidding and new listings need a letter.
    pub grace_date: NaiveDate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SupplyFailureRule {
    /// An order with nothing shipped this many days after it was placed is a failure.
    pub unshipped_days: u32,
    /// A supplier with at least this many failures in a month gets a proposed case.
    pub min_failures: u32,
}

/// The region's credit policy (kind `credit`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreditPolicy {
    /// "2025" (three grades) or "2020" (four grades).
    pub scheme: String,
    /// From the mildest grade up; the last is the top grade.
    pub grades: Vec<GradeDef>,
    pub bands: Vec<ConductBands>,
    pub top_conditions: Vec<TopCondition>,
    /// A rating ends this many years after its decision date unless repaired earlier.
    pub duration_years: u32,
    /// Corrective measures for conduct types without their own rule.
    pub repair_default: Vec<Corrective>,
    pub repair: Vec<RepairRule>,
    pub commitment: CommitmentRule,
    pub supply_failures: SupplyFailureRule,
}

/// The measures of the grades both schemes share, mildest first: "dishonest" (2020: "medium")
/// bears the first four, and each grade above it one more.
const LADDER: [Measure; 6] = [
    Measure::WrittenReminder,
    Measure::RiskFlag,
    Measure::Disclosure,
    Measure::SuspendDistribution,
    Measure::CancelInvolvedListing,
    Measure::SuspendBiddingAndListing,
];

fn yuan(v: i64) -> Money {
    Money::from_fen(v * 100)
}

fn grade(code: &str, zh: &str, en: &str, measures: &[Measure], years: u32) -> GradeDef {
    GradeDef {
        code: code.into(),
        name_zh: zh.into(),
        name_en: en.into(),
        measures: measures.to_vec(),
        distributor_suspension_years: years,
    }
}

fn bands(conduct: Conduct, list: &[(i64, &str)]) -> ConductBands {
    ConductBands { conduct, bands: list.iter().map(|&(from, g)| Band { from: yuan(from), grade: g.into() }).collect() }
}

impl Default for CreditPolicy {
    /// The 2025 national guidance: three grades.
    fn default() -> Self {
        CreditPolicy {
            scheme: "2025".into(),
            grades: vec![
                grade("dishonest", "失信", "Dishonest", &LADDER[..4], 1),
                grade("serious", "严重失信", "Seriously dishonest", &LADDER[..5], 3),
                grade("especially_serious", "特别严重失信", "Especially seriously dishonest", &LADDER, 5),
            ],
            bands: vec![
                bands(Conduct::Bribery, &[(0, "dishonest"), (500_000, "serious"), (1_000_000, "especially_serious")]),
                bands(Conduct::Tax, &[(50_000, "dishonest"), (500_000, "serious"), (2_500_000, "especially_serious")]),
            ],
            top_conditions: vec![TopCondition::BribedInsuranceOrProcurementStaff, TopCondition::NationalBidRigging],
            duration_years: 3,
            repair_default: vec![Corrective::StopConduct, Corrective::ComplianceReport, Corrective::PublicApology],
            repair: vec![
                RepairRule {
                    conduct: Conduct::Bribery,
                    // Every corrective measure.
                    measures: Corrective::ALL.to_vec(),
                },
                RepairRule {
                    conduct: Conduct::UnfairPricing,
                    measures: vec![Corrective::StopConduct, Corrective::RemoveInflatedPrice, Corrective::ReturnGains],
                },
                RepairRule {
                    conduct: Conduct::BreachOfContract,
                    measures: vec![Corrective::StopConduct, Corrective::ComplianceReport],
                },
            ],
            commitment: CommitmentRule {
                template_version: "2025-01".into(),
                grace_date: NaiveDate::from_ymd_opt(2027, 3, 31).expect("a date"),
            },
            supply_failures: SupplyFailureRule { unshipped_days: 7, min_failures: 3 },
        }
    }
}

impl CreditPolicy {
    /// The 2020 guidance's four grades (一般 / 中等 / 严重 / 特别严重), selectable as a new
    /// policy version. Its bands are the 2020 catalogue's as entered here; a region checks them
    /// against its own document before it adopts them.
    pub fn scheme_2020() -> CreditPolicy {
        use Measure::*;
        let d = CreditPolicy::default();
        CreditPolicy {
            scheme: "2020".into(),
            grades: vec![
                grade("general", "一般失信", "General", &[WrittenReminder, RiskFlag, SuspendDistribution], 1),
                grade("medium", "中等失信", "Medium", &LADDER[..4], 1),
                grade("serious", "严重失信", "Serious", &LADDER[..5], 3),
                grade("especially_serious", "特别严重失信", "Especially serious", &LADDER, 5),
            ],
            bands: vec![
                bands(
                    Conduct::Bribery,
                    &[(0, "general"), (300_000, "medium"), (2_000_000, "serious"), (5_000_000, "especially_serious")],
                ),
                bands(
                    Conduct::Tax,
                    &[
                        (50_000, "general"),
                        (1_000_000, "medium"),
                        (2_500_000, "serious"),
                        (5_000_000, "especially_serious"),
                    ],
                ),
            ],
            ..d
        }
    }

    pub fn grade(&self, code: &str) -> Option<&GradeDef> {
        self.grades.iter().find(|g| g.code == code)
    }

    fn top(&self) -> &GradeDef {
        self.grades.last().expect("a validated policy has grades")
    }

    /// The checks a new version passes before it is stored.
    pub fn validate(&self) -> Result<(), String> {
        if self.grades.is_empty() {
            return Err("a credit policy lists at least one grade".into());
        }
        let mut codes = std::collections::HashSet::new();
        for g in &self.grades {
            if g.code.trim().is_empty() || !codes.insert(g.code.as_str()) {
                return Err(format!("grade codes are unique and not empty: {:?}", g.code));
            }
            if g.distributor_suspension_years > 10 {
                return Err("a distributor's suspension lasts at most 10 years".into());
            }
        }
        let mut conducts = std::collections::HashSet::new();
        for b in &self.bands {
            if !conducts.insert(b.conduct) {
                return Err(format!("{} has two band lists", b.conduct.as_str()));
            }
            if b.bands.is_empty() || b.bands.windows(2).any(|w| w[0].from >= w[1].from) {
                return Err(format!("the bands of {} ascend strictly by amount", b.conduct.as_str()));
            }
            if let Some(bad) = b.bands.iter().find(|x| self.grade(&x.grade).is_none()) {
                return Err(format!("band grade {:?} is not one of the policy's grades", bad.grade));
            }
            if b.bands.iter().any(|x| x.from.fen() < 0) {
                return Err("band amounts are not negative".into());
            }
        }
        if !(1..=10).contains(&self.duration_years) {
            return Err("a rating lasts 1 to 10 years".into());
        }
        if self.supply_failures.unshipped_days == 0 || self.supply_failures.min_failures == 0 {
            return Err("supply-failure thresholds are at least 1".into());
        }
        if self.commitment.template_version.trim().is_empty() {
            return Err("the commitment letter's template version is not empty".into());
        }
        Ok(())
    }

    /// The corrective measures that repair a rating for `conduct`.
    pub fn repair_measures(&self, conduct: Conduct) -> Vec<Corrective> {
        self.repair
            .iter()
            .find(|r| r.conduct == conduct)
            .map(|r| r.measures.clone())
            .unwrap_or_else(|| self.repair_default.clone())
    }
}

/// Why a case got the grade the policy suggests.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", tag = "branch")]
pub enum GradingBranch {
    /// A top-grade condition holds, whatever the amount.
    TopCondition { condition: TopCondition },
    /// The amount falls in a band: from `from` (inclusive) up to `to` (exclusive, none for the last).
    Band {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        amount: Money,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        from: Money,
        #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
        to: Option<Money>,
    },
    /// The amount lies below the conduct's lowest band: not graded by amount.
    BelowBands {
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        amount: Money,
        #[cfg_attr(feature = "openapi", schema(value_type = String))]
        lowest: Money,
    },
    /// The conduct has no bands, or the case no amount: the officer grades it.
    OfficerDecides,
}

/// The grade the policy suggests for a case, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grading {
    pub scheme: String,
    pub conduct: Conduct,
    pub suggested: Option<String>,
    #[serde(flatten)]
    pub branch: GradingBranch,
}

/// The grade `policy` suggests for `conduct` with `amount` (if any) and a top-grade condition
/// (if any). Bands include their lower bound.
pub fn suggest(policy: &CreditPolicy, conduct: Conduct, amount: Option<Money>, top: Option<TopCondition>) -> Grading {
    let done =
        |suggested: Option<String>, branch| Grading { scheme: policy.scheme.clone(), conduct, suggested, branch };
    if let Some(condition) = top.filter(|c| policy.top_conditions.contains(c)) {
        return done(Some(policy.top().code.clone()), GradingBranch::TopCondition { condition });
    }
    let (Some(list), Some(amount)) = (policy.bands.iter().find(|b| b.conduct == conduct), amount) else {
        return done(None, GradingBranch::OfficerDecides);
    };
    match list.bands.iter().rposition(|b| amount >= b.from) {
        None => done(None, GradingBranch::BelowBands { amount, lowest: list.bands[0].from }),
        Some(i) => {
            let band = &list.bands[i];
            let to = list.bands.get(i + 1).map(|b| b.from);
            done(Some(band.grade.clone()), GradingBranch::Band { amount, from: band.from, to })
        }
    }
}

/// Adds whole years to a date; 29 February becomes 28 February in a common year.
pub fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    let y = date.year() + years as i32;
    date.with_year(y).unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 2, 28).expect("a date"))
}

/// The measures a party bears at `grade`: a distributor's own measure only applies to
/// distributors, the manufacturer's suspension of bidding and listing not to them.
pub fn measures_for(grade: &GradeDef, distributor: bool) -> Vec<Measure> {
    grade
        .measures
        .iter()
        .copied()
        .filter(|m| match m {
            Measure::SuspendDistribution => distributor,
            Measure::SuspendBiddingAndListing => !distributor,
            _ => true,
        })
        .collect()
}

/// Whether a repair is complete: every required measure is accepted, or satisfied by the
/// platform's own record (a winning price for removing an inflated price).
pub fn repaired(required: &[Corrective], accepted: &[Corrective], has_winning_price: bool) -> bool {
    required.iter().all(|m| accepted.contains(m) || (*m == Corrective::RemoveInflatedPrice && has_winning_price))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grade_of(conduct: Conduct, yuan_amount: i64) -> Option<String> {
        suggest(&CreditPolicy::default(), conduct, Some(yuan(yuan_amount)), None).suggested
    }

    #[test]
    fn worked_examples_of_section_9() {
        assert_eq!(grade_of(Conduct::Bribery, 800_000).as_deref(), Some("serious"));
        assert_eq!(grade_of(Conduct::Bribery, 1_000_000).as_deref(), Some("especially_serious"));
        assert_eq!(grade_of(Conduct::Tax, 600_000).as_deref(), Some("serious"));
        assert_eq!(grade_of(Conduct::Tax, 3_000_000).as_deref(), Some("especially_serious"));
        let p = CreditPolicy::default();
        assert_eq!(p.grade("serious").unwrap().name_zh, "严重失信");
        assert_eq!(p.grade("especially_serious").unwrap().name_zh, "特别严重失信");
    }

    #[test]
    fn bands_include_their_lower_bound() {
        assert_eq!(grade_of(Conduct::Bribery, 499_999).as_deref(), Some("dishonest"));
        assert_eq!(grade_of(Conduct::Bribery, 500_000).as_deref(), Some("serious"));
        assert_eq!(grade_of(Conduct::Bribery, 999_999).as_deref(), Some("serious"));
        assert_eq!(grade_of(Conduct::Tax, 50_000).as_deref(), Some("dishonest"));
        assert_eq!(grade_of(Conduct::Tax, 2_500_000).as_deref(), Some("especially_serious"));
        let one_fen_less = suggest(&CreditPolicy::default(), Conduct::Tax, Some(Money::from_fen(4_999_999)), None);
        assert_eq!(one_fen_less.suggested, None);
        assert_eq!(
            one_fen_less.branch,
            GradingBranch::BelowBands { amount: Money::from_fen(4_999_999), lowest: yuan(50_000) }
        );
    }

    #[test]
    fn the_band_explains_itself() {
        let g = suggest(&CreditPolicy::default(), Conduct::Bribery, Some(yuan(800_000)), None);
        assert_eq!(
            g.branch,
            GradingBranch::Band { amount: yuan(800_000), from: yuan(500_000), to: Some(yuan(1_000_000)) }
        );
        let top = suggest(&CreditPolicy::default(), Conduct::Tax, Some(yuan(3_000_000)), None);
        assert_eq!(top.branch, GradingBranch::Band { amount: yuan(3_000_000), from: yuan(2_500_000), to: None });
    }

    #[test]
    fn top_conditions_grade_whatever_the_amount() {
        let g = suggest(
            &CreditPolicy::default(),
            Conduct::Bribery,
            Some(yuan(1_000)),
            Some(TopCondition::BribedInsuranceOrProcurementStaff),
        );
        assert_eq!(g.suggested.as_deref(), Some("especially_serious"));
        let rigging = suggest(
            &CreditPolicy::scheme_2020(),
            Conduct::DisruptingProcurement,
            None,
            Some(TopCondition::NationalBidRigging),
        );
        assert_eq!(rigging.suggested.as_deref(), Some("especially_serious"));
    }

    #[test]
    fn conduct_without_bands_is_the_officers_call() {
        let g = suggest(&CreditPolicy::default(), Conduct::BreachOfContract, Some(yuan(10)), None);
        assert_eq!((g.suggested, g.branch), (None, GradingBranch::OfficerDecides));
        let no_amount = suggest(&CreditPolicy::default(), Conduct::Bribery, None, None);
        assert_eq!(no_amount.branch, GradingBranch::OfficerDecides);
    }

    #[test]
    fn the_2020_scheme_has_four_grades() {
        let p = CreditPolicy::scheme_2020();
        p.validate().unwrap();
        assert_eq!(p.grades.len(), 4);
        assert_eq!(suggest(&p, Conduct::Bribery, Some(yuan(800_000)), None).suggested.as_deref(), Some("medium"));
        CreditPolicy::default().validate().unwrap();
    }

    #[test]
    fn measures_split_between_manufacturers_and_distributors() {
        let p = CreditPolicy::default();
        let top = p.grade("especially_serious").unwrap();
        assert!(measures_for(top, false).contains(&Measure::SuspendBiddingAndListing));
        assert!(!measures_for(top, false).contains(&Measure::SuspendDistribution));
        assert!(measures_for(top, true).contains(&Measure::SuspendDistribution));
        assert!(!measures_for(top, true).contains(&Measure::SuspendBiddingAndListing));
        assert!(!measures_for(p.grade("dishonest").unwrap(), false).contains(&Measure::CancelInvolvedListing));
        assert_eq!(p.grades.iter().map(|g| g.distributor_suspension_years).collect::<Vec<_>>(), vec![1, 3, 5]);
    }

    #[test]
    fn repair_needs_every_measure_and_a_winning_price_removes_the_inflated_one() {
        let p = CreditPolicy::default();
        let need = p.repair_measures(Conduct::UnfairPricing);
        assert!(!repaired(&need, &[Corrective::StopConduct, Corrective::ReturnGains], false));
        assert!(repaired(&need, &[Corrective::StopConduct, Corrective::ReturnGains], true));
        assert_eq!(p.repair_measures(Conduct::Monopoly), p.repair_default);
    }

    #[test]
    fn ratings_end_three_years_after_their_decision() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(add_years(d(2026, 11, 20), CreditPolicy::default().duration_years), d(2029, 11, 20));
        assert_eq!(add_years(d(2028, 2, 29), 1), d(2029, 2, 28));
    }

    #[test]
    fn the_default_policy_is_what_the_migration_stores() {
        let json = serde_json::to_string(&CreditPolicy::default()).unwrap();
        for dialect in ["postgres", "sqlite"] {
            let path =
                format!("{}/../migrations/{dialect}/2026-12-06-000019_credit/up.sql", env!("CARGO_MANIFEST_DIR"));
            let sql = std::fs::read_to_string(path).unwrap();
            assert!(sql.contains(&format!("'{json}'")), "{dialect} migration's credit policy differs: {json}");
        }
    }

    #[test]
    fn validation_refuses_disordered_bands_and_unknown_grades() {
        let mut p = CreditPolicy::default();
        p.bands[0].bands.swap(0, 1);
        assert!(p.validate().is_err());
        let mut q = CreditPolicy::default();
        q.bands[0].bands[0].grade = "nonsense".into();
        assert!(q.validate().unwrap_err().contains("nonsense"));
    }
}
