//! A retention run: what each hospital bought of each generic in the agreement year, its budget
//! and actual spend, the surplus and what is retained, each line stored with its inputs.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap, HashSet};

use crate::audit::{self, AuditEntry};
use crate::clock::to_db;
use crate::db::{write_tx, DbConnection};
use crate::error::{DomainError, DomainResult, ErrorCode, Problem};
use crate::identity::{Actor, Role};
use crate::ids::{document_no, new_id};
use crate::money::{Money, UnitPrice};
use crate::schema::{
    acceptances, agreed_volumes, delivery_lines, off_volume_purchases, order_lines, organizations, products,
    retention_inputs, retention_lines, retention_results, retention_runs, winning_bids,
};

use super::rules::{generic_line, retained, score, show, surplus, GenericLine, Purchases, RetentionPolicy};
use super::{run_view, InputRow, RunView};

/// What one hospital bought of one generic in the year: accumulated from acceptances.
struct Acc {
    /// From the earliest start of the hospital's volumes of the generic to their latest end, cut at as_of.
    period: (NaiveDate, NaiveDate),
    agreed: i64,
    purchases: Purchases,
    /// Exact amounts in yuan, rounded to the fen once, when the line is written.
    winning_exact: Decimal,
    above_exact: Decimal,
    non_winning_exact: Decimal,
}

impl Acc {
    fn new(period: (NaiveDate, NaiveDate)) -> Acc {
        Acc {
            period,
            agreed: 0,
            purchases: Purchases::default(),
            winning_exact: Decimal::ZERO,
            above_exact: Decimal::ZERO,
            non_winning_exact: Decimal::ZERO,
        }
    }
}

pub(super) fn round_fen(d: Decimal) -> Money {
    Money::round_half_up(d)
}

/// Runs the calculation for the bureau's region and agreement year as of a date: every input,
/// the policy version, each generic's figures and each hospital's result are stored; earlier
/// calculated runs are superseded; an approved run is final.
pub fn start_run(
    conn: &mut DbConnection,
    actor: &Actor,
    agreement_year: i16,
    as_of: NaiveDate,
    trigger: &str,
    now: DateTime<Utc>,
) -> DomainResult<RunView> {
    actor.require(&[Role::BureauOfficer], "run retention calculations")?;
    let region = actor.region()?.to_string();
    let id = write_tx(conn, |conn| calculate(conn, actor, &region, agreement_year, as_of, trigger, now))?;
    run_view(conn, actor, &id)
}

/// The retention job. Scheduled (`due_only`), it calculates the agreement years that ended the
/// day before `as_of`; run by hand, every agreement year begun by `as_of` and not yet approved.
pub fn run_job(
    conn: &mut DbConnection,
    region_filter: Option<&str>,
    as_of: NaiveDate,
    due_only: bool,
    now: DateTime<Utc>,
) -> DomainResult<serde_json::Value> {
    let mut rows = agreed_volumes::table
        .select((
            agreed_volumes::region_id,
            agreed_volumes::agreement_year,
            agreed_volumes::year_start,
            agreed_volumes::year_end,
        ))
        .distinct()
        .into_boxed();
    if let Some(r) = region_filter {
        rows = rows.filter(agreed_volumes::region_id.eq(r.to_string()));
    }
    let rows: Vec<(String, i16, NaiveDate, NaiveDate)> = rows.load(conn)?;
    let mut years: BTreeMap<(String, i16), (NaiveDate, NaiveDate)> = BTreeMap::new();
    for (region, year, start, end) in rows {
        let e = years.entry((region, year)).or_insert((start, end));
        e.0 = e.0.min(start);
        e.1 = e.1.max(end);
    }
    let (mut calculated, mut skipped) = (Vec::new(), Vec::new());
    for ((region, year), (start, end)) in years {
        let due = if due_only { end.succ_opt() == Some(as_of) } else { start <= as_of };
        if !due {
            continue;
        }
        let starter: Option<String> = crate::schema::users::table
            .inner_join(organizations::table)
            .filter(organizations::region_id.eq(&region))
            .filter(crate::schema::users::role.eq("bureau_officer"))
            .order(crate::schema::users::created_at.asc())
            .select(crate::schema::users::id)
            .first(conn)
            .optional()?;
        let Some(starter) = starter else { continue };
        let actor = Actor {
            user_id: starter,
            username: "scheduler".into(),
            display_name: String::new(),
            role: Role::BureauOfficer,
            org_id: String::new(),
            region_id: Some(region.clone()),
        };
        match write_tx(conn, |conn| {
            calculate(conn, &actor, &region, year, as_of, if due_only { "schedule" } else { "job" }, now)
        }) {
            Ok(id) => calculated.push(id),
            Err(DomainError::Invalid(p)) | Err(DomainError::Conflict(p)) => {
                skipped.push(format!("{region} year {year}: {}", p.message))
            }
            Err(e) => return Err(e),
        }
    }
    Ok(serde_json::json!({"runs": calculated.len(), "run_ids": calculated, "skipped": skipped}))
}

#[allow(clippy::too_many_arguments)]
fn calculate(
    conn: &mut DbConnection,
    actor: &Actor,
    region: &str,
    year: i16,
    as_of: NaiveDate,
    trigger: &str,
    now: DateTime<Utc>,
) -> DomainResult<String> {
    // One snapshot for the whole calculation (the volumes' kept totals, what was accepted after
    // as_of, the off-volume purchases, the confirmations), taken after the lock: PostgreSQL
    // otherwise gives each statement its own. SQLite's write transaction is one snapshot; so is
    // an enclosing transaction's (the demo's seeding).
    crate::db::repeatable_read(conn)?;
    if !crate::db::try_job_lock(conn, "retention")? {
        return Err(DomainError::conflict(
            ErrorCode::RetentionRunInProgress,
            "another retention calculation is running; try again when it has finished",
        ));
    }
    crate::failpoint::pause("retention");
    let approved: i64 = retention_runs::table
        .filter(retention_runs::region_id.eq(region))
        .filter(retention_runs::agreement_year.eq(year))
        .filter(retention_runs::status.eq("approved"))
        .count()
        .get_result(conn)?;
    if approved > 0 {
        return Err(DomainError::conflict(
            ErrorCode::RunAlreadyApproved,
            format!("the retention of agreement year {year} is approved and final"),
        ));
    }
    let (policy, policy_id): (RetentionPolicy, String) =
        crate::policy::params_in_force(conn, region, crate::policy::RETENTION, as_of)?;
    // The year's hospitals and generics, for the inputs they need.
    let hospitals: Vec<String> = agreed_volumes::table
        .filter(agreed_volumes::region_id.eq(region))
        .filter(agreed_volumes::agreement_year.eq(year))
        .select(agreed_volumes::hospital_id)
        .distinct()
        .order(agreed_volumes::hospital_id.asc())
        .load(conn)?;
    if hospitals.is_empty() {
        return Err(DomainError::invalid(
            ErrorCode::NoAgreedVolumes,
            "agreement_year",
            format!("no agreed volumes of agreement year {year} in this region"),
        ));
    }
    let bids: Vec<String> = agreed_volumes::table
        .filter(agreed_volumes::region_id.eq(region))
        .filter(agreed_volumes::agreement_year.eq(year))
        .select(agreed_volumes::bid_id)
        .distinct()
        .load(conn)?;
    let generics: Vec<String> = winning_bids::table
        .inner_join(products::table)
        .filter(winning_bids::id.eq_any(&bids))
        .select(products::generic_name)
        .distinct()
        .order(products::generic_name.asc())
        .load(conn)?;
    // Inputs.
    let inputs: Vec<InputRow> = retention_inputs::table
        .filter(retention_inputs::region_id.eq(region))
        .filter(retention_inputs::agreement_year.eq(year))
        .select(InputRow::as_select())
        .load(conn)?;
    // Inputs by (kind, subject): a province has one per hospital and generic, and more.
    let by_key: HashMap<(&str, &str), &str> =
        inputs.iter().map(|i| ((i.kind.as_str(), i.subject.as_str()), i.value.as_str())).collect();
    let find = |kind: &str, subject: &str| by_key.get(&(kind, subject)).map(|v| v.to_string());
    let fund_ratio = find("fund_ratio", "");
    let mut missing: Vec<String> = Vec::new();
    if fund_ratio.is_none() {
        missing.push("fund_ratio".into());
    }
    for g in &generics {
        if find("pre_vbp_price", g).is_none() {
            missing.push(format!("pre_vbp_price:{g}"));
        }
    }
    for h in &hospitals {
        if find("insured_share", h).is_none() {
            missing.push(format!("insured_share:{h}"));
        }
    }
    if !missing.is_empty() {
        return Err(DomainError::Invalid(
            Problem::new(
                ErrorCode::RetentionInputsMissing,
                format!("{} inputs are missing for agreement year {year}", missing.len()),
            )
            .details(serde_json::json!({ "missing": missing })),
        ));
    }
    let fund_ratio: Decimal = fund_ratio.expect("checked").parse().expect("stored valid");
    // Supersede earlier calculated runs.
    let previous: Option<String> = retention_runs::table
        .filter(retention_runs::region_id.eq(region))
        .filter(retention_runs::agreement_year.eq(year))
        .filter(retention_runs::status.eq("calculated"))
        .order(retention_runs::created_at.desc())
        .select(retention_runs::id)
        .first(conn)
        .optional()?;
    diesel::update(
        retention_runs::table
            .filter(retention_runs::region_id.eq(region))
            .filter(retention_runs::agreement_year.eq(year))
            .filter(retention_runs::status.eq("calculated")),
    )
    .set(retention_runs::status.eq("superseded"))
    .execute(conn)?;
    if let Some(prev) = &previous {
        audit::record(
            conn,
            AuditEntry::changed(
                actor,
                Some(region),
                "retention_run",
                prev,
                "superseded",
                &serde_json::json!({"status": "calculated"}),
                &serde_json::json!({"status": "superseded"}),
            ),
            now,
        )?;
    }
    let run_id = new_id();
    let (hospital_set, generic_set): (HashSet<&str>, HashSet<&str>) =
        (hospitals.iter().map(String::as_str).collect(), generics.iter().map(String::as_str).collect());
    let used: Vec<&InputRow> = inputs
        .iter()
        .filter(|i| match i.kind.as_str() {
            "fund_ratio" => true,
            "pre_vbp_price" => generic_set.contains(i.subject.as_str()),
            "insured_share" => hospital_set.contains(i.subject.as_str()),
            _ => i.subject.split_once(':').is_some_and(|(h, _)| hospital_set.contains(h)),
        })
        .collect();
    let inputs_json = serde_json::json!({
        "fund_ratio": fund_ratio.to_string(),
        "values": used.iter().map(|i| serde_json::json!({"kind": i.kind, "subject": i.subject, "value": i.value, "comment": i.comment})).collect::<Vec<_>>(),
        "policy": &policy,
    });
    diesel::insert_into(retention_runs::table)
        .values((
            retention_runs::id.eq(&run_id),
            retention_runs::run_no.eq(document_no("RR", now)),
            retention_runs::region_id.eq(region),
            retention_runs::agreement_year.eq(year),
            retention_runs::as_of.eq(as_of),
            retention_runs::policy_id.eq(&policy_id),
            retention_runs::status.eq("calculated"),
            retention_runs::supersedes_id.eq(&previous),
            retention_runs::inputs.eq(inputs_json.to_string()),
            retention_runs::total_surplus.eq(0i64),
            retention_runs::total_retained.eq(0i64),
            retention_runs::started_by.eq(&actor.user_id),
            retention_runs::trigger.eq(trigger),
            retention_runs::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    let (mut total_surplus, mut total_retained) = (0i64, 0i64);
    let mut confirmations = Confirmations { region: region.to_string(), by_period: HashMap::new() };
    let mut late: Option<HashMap<String, i64>> = None;
    for step in hospitals.chunks(HOSPITALS_PER_STEP) {
        let acc = purchases_of(conn, region, year, as_of, step, &mut late)?;
        // Each hospital's period: from its earliest volume start to its latest end, cut at as_of.
        let mut hospital_period: HashMap<&str, (NaiveDate, NaiveDate)> = HashMap::new();
        for ((h, _), a) in &acc {
            let p = hospital_period.entry(h.as_str()).or_insert(a.period);
            *p = (p.0.min(a.period.0), p.1.max(a.period.1));
        }
        let mut line_rows = Vec::new();
        let mut result_rows = Vec::new();
        for hospital in step {
            let share_in: Decimal = find("insured_share", hospital).expect("checked").parse().expect("stored valid");
            let mut lines = Vec::new();
            // `acc` is ordered by (hospital, generic): this hospital's generics are one range.
            for ((h, g), a) in acc.range((hospital.clone(), String::new())..).take_while(|((h, _), _)| h == hospital) {
                let pre = UnitPrice::parse(&find("pre_vbp_price", g).expect("checked")).expect("stored valid");
                let line = generic_line(&policy, g, a.agreed, pre, fund_ratio, share_in, a.purchases);
                line_rows.push(NewLine {
                    run_id: run_id.clone(),
                    hospital_id: h.clone(),
                    generic_name: g.clone(),
                    agreed_qty: a.agreed,
                    pre_vbp_price: pre.ten_thousandths(),
                    winning_qty: line.purchases.winning_qty,
                    winning_amount: line.purchases.winning_amount.fen(),
                    above_volume_qty: line.purchases.above_volume_qty,
                    above_volume_amount: line.purchases.above_volume_amount.fen(),
                    non_winning_qty: line.purchases.non_winning_qty,
                    non_winning_amount: line.purchases.non_winning_amount.fen(),
                    budget: line.budget.normalize().to_string(),
                    actual: line.actual.normalize().to_string(),
                    saving: line.saving.normalize().to_string(),
                });
                lines.push(line);
            }
            let hospital_surplus = surplus(&lines);
            let components = measured_components(
                conn,
                &mut confirmations,
                &policy,
                hospital,
                &lines,
                hospital_period.get(hospital.as_str()).copied(),
                &find,
            )?;
            let score_value = score(&policy, &components);
            let (grade, share) = match score_value {
                Some(s) => policy.grade(s),
                None => ("-".to_string(), policy.floor_share.unwrap_or(Decimal::ZERO)),
            };
            let kept = retained(hospital_surplus, share);
            total_surplus += hospital_surplus.fen();
            total_retained += kept.fen();
            result_rows.push(NewResult {
                run_id: run_id.clone(),
                hospital_id: hospital.clone(),
                fund_ratio: fund_ratio.normalize().to_string(),
                insured_share: share_in.normalize().to_string(),
                surplus: hospital_surplus.fen(),
                components: serde_json::to_string(
                    &components.iter().map(|(k, v)| (k.clone(), show(*v))).collect::<BTreeMap<_, _>>(),
                )?,
                score: score_value.map(show),
                grade,
                share: share.normalize().to_string(),
                retained: kept.fen(),
            });
        }
        // A run's results and their lines, in the one transaction (a line is read through its result).
        crate::bulk_insert!(&mut *conn, retention_results::table, result_rows);
        crate::bulk_insert!(&mut *conn, retention_lines::table, line_rows);
    }
    diesel::update(retention_runs::table.find(&run_id))
        .set((retention_runs::total_surplus.eq(total_surplus), retention_runs::total_retained.eq(total_retained)))
        .execute(conn)?;
    audit::record(
        conn,
        AuditEntry::created(
            actor,
            Some(region),
            "retention_run",
            &run_id,
            &serde_json::json!({"agreement_year": year, "as_of": as_of, "policy_id": policy_id, "supersedes": previous, "total_surplus": total_surplus, "total_retained": total_retained}),
        ),
        now,
    )?;
    Ok(run_id)
}

/// Hospitals per step of a run: a step reads its hospitals' volumes and off-volume purchases and
/// writes their lines and results, so what a run holds does not grow with the province.
const HOSPITALS_PER_STEP: usize = 100;

/// What decides where an order line's accepted quantity counts.
#[derive(Clone, Debug)]
pub struct PurchasedLine {
    pub kind: String,
    pub agreed_volume_id: Option<String>,
    pub unit_price: i64,
    pub generic_name: String,
}

/// Keeps what the accepted lines of a delivery count for in retention, as its acceptance is
/// confirmed on `date` (a confirmed acceptance is immutable, so these only grow): a winning line
/// accepted within its agreed volume's dates adds to the volume's `accepted_qty`; any other line
/// is kept as an off-volume purchase with its date and price. A run then reads a total per
/// volume instead of the year's accepted lines. `lines` are (delivery line id, what it bought,
/// accepted quantity); the volumes are counted in one UPDATE, in id order.
pub fn count_purchases(
    conn: &mut DbConnection,
    region_id: &str,
    hospital_id: &str,
    date: NaiveDate,
    lines: &[(&str, PurchasedLine, i64)],
) -> DomainResult<()> {
    use crate::db::{Cell, RowsUpdate};
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    fn volume_of(line: &PurchasedLine) -> Option<&str> {
        line.agreed_volume_id.as_deref().filter(|_| line.kind == "winning")
    }
    let mut per_volume: std::collections::BTreeMap<&str, i64> = std::collections::BTreeMap::new();
    for (_, line, qty) in lines.iter().filter(|l| l.2 > 0) {
        if let Some(volume) = volume_of(line) {
            *per_volume.entry(volume).or_default() += qty;
        }
    }
    let mut update = RowsUpdate::new("agreed_volumes")
        .add_to("accepted_qty")
        .only_where("year_start", "<=", Cell::Date(date))
        .only_where("year_end", ">=", Cell::Date(date))
        .lock_in_id_order();
    for (volume, qty) in &per_volume {
        update.row(volume, vec![Cell::Int(*qty)])?;
    }
    let counted: std::collections::HashSet<String> =
        update.returning::<Counted>(conn, "id")?.into_iter().map(|c| c.id).collect();
    for (delivery_line_id, line, qty) in lines.iter().filter(|l| l.2 > 0) {
        if volume_of(line).is_some_and(|v| counted.contains(v)) {
            continue;
        }
        diesel::insert_into(off_volume_purchases::table)
            .values((
                off_volume_purchases::delivery_line_id.eq(delivery_line_id),
                off_volume_purchases::region_id.eq(region_id),
                off_volume_purchases::hospital_id.eq(hospital_id),
                off_volume_purchases::generic_name.eq(&line.generic_name),
                off_volume_purchases::kind.eq(&line.kind),
                off_volume_purchases::agreed_volume_id.eq(&line.agreed_volume_id),
                off_volume_purchases::unit_price.eq(line.unit_price),
                off_volume_purchases::acceptance_date.eq(date),
                off_volume_purchases::qty.eq(qty),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// (id, hospital, generic, agreed, accepted, year start, year end, winning price).
type VolumeTuple = (String, String, String, i64, i64, NaiveDate, NaiveDate, i64);

/// (hospital, generic, price, acceptance date, accepted quantity) of another year's volume.
type OtherYearLine = (String, String, i64, Option<NaiveDate>, Option<i64>);

/// What some hospitals bought of each generic of their agreed volumes of the year, accepted up
/// to `as_of`: the winning purchases within each volume (its kept total, less what was accepted
/// after `as_of` when the volume ends later), split at the agreed quantity; and the off-volume
/// purchases within the (hospital, generic)'s period. Winning lines of one of the year's
/// volumes accepted outside the volume's dates count nowhere.
fn purchases_of(
    conn: &mut DbConnection,
    region: &str,
    year: i16,
    as_of: NaiveDate,
    hospitals: &[String],
    late: &mut Option<HashMap<String, i64>>,
) -> DomainResult<BTreeMap<(String, String), Acc>> {
    let volumes: Vec<VolumeTuple> = agreed_volumes::table
        .inner_join(winning_bids::table.inner_join(products::table))
        .filter(agreed_volumes::region_id.eq(region))
        .filter(agreed_volumes::agreement_year.eq(year))
        .filter(agreed_volumes::hospital_id.eq_any(hospitals))
        .select((
            agreed_volumes::id,
            agreed_volumes::hospital_id,
            products::generic_name,
            agreed_volumes::agreed_qty,
            agreed_volumes::accepted_qty,
            agreed_volumes::year_start,
            agreed_volumes::year_end,
            winning_bids::unit_price,
        ))
        .load(conn)?;
    let mut acc: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for (id, hospital, generic, agreed, accepted, start, end, price) in volumes {
        let accepted = if end > as_of {
            if late.is_none() {
                *late = Some(accepted_after(conn, region, year, as_of)?);
            }
            accepted - late.as_ref().and_then(|l| l.get(&id)).copied().unwrap_or(0)
        } else {
            accepted
        };
        let end = end.min(as_of);
        let a = acc.entry((hospital, generic)).or_insert_with(|| Acc::new((start, end)));
        a.period = (a.period.0.min(start), a.period.1.max(end));
        a.agreed += agreed;
        let within = accepted.min(agreed);
        let p = UnitPrice::from_ten_thousandths(price);
        a.purchases.winning_qty += within;
        a.winning_exact += p.extend(within);
        a.purchases.above_volume_qty += accepted - within;
        a.above_exact += p.extend(accepted - within);
    }
    let year_volume = agreed_volumes::id
        .nullable()
        .eq(off_volume_purchases::agreed_volume_id)
        .and(agreed_volumes::region_id.eq(region))
        .and(agreed_volumes::agreement_year.eq(year));
    let off: Vec<(String, String, String, i64, NaiveDate, i64)> = off_volume_purchases::table
        .left_join(agreed_volumes::table.on(year_volume))
        .filter(off_volume_purchases::region_id.eq(region))
        .filter(off_volume_purchases::hospital_id.eq_any(hospitals))
        .filter(off_volume_purchases::acceptance_date.le(as_of))
        .filter(off_volume_purchases::kind.ne("winning").or(agreed_volumes::id.nullable().is_null()))
        .select((
            off_volume_purchases::hospital_id,
            off_volume_purchases::generic_name,
            off_volume_purchases::kind,
            off_volume_purchases::unit_price,
            off_volume_purchases::acceptance_date,
            off_volume_purchases::qty,
        ))
        .load(conn)?;
    // Winning lines of these hospitals' volumes of another agreement year (another batch's year,
    // a renewal) accepted within their volume's dates: their own year counts them within its
    // volume; this year counts them as winning purchases beyond its volumes.
    let other_years: Vec<OtherYearLine> = agreed_volumes::table
        .inner_join(order_lines::table.on(order_lines::agreed_volume_id.eq(agreed_volumes::id.nullable())))
        .inner_join(products::table.on(products::id.eq(order_lines::product_id)))
        .inner_join(delivery_lines::table.on(delivery_lines::order_line_id.eq(order_lines::id)))
        .inner_join(acceptances::table.on(acceptances::delivery_id.eq(delivery_lines::delivery_id)))
        .filter(agreed_volumes::region_id.eq(region))
        .filter(agreed_volumes::agreement_year.ne(year))
        .filter(agreed_volumes::hospital_id.eq_any(hospitals))
        .filter(order_lines::kind.eq("winning"))
        .filter(acceptances::status.eq("confirmed"))
        .filter(acceptances::acceptance_date.le(as_of))
        .filter(acceptances::acceptance_date.ge(agreed_volumes::year_start.nullable()))
        .filter(acceptances::acceptance_date.le(agreed_volumes::year_end.nullable()))
        .select((
            agreed_volumes::hospital_id,
            products::generic_name,
            order_lines::unit_price,
            acceptances::acceptance_date,
            delivery_lines::accepted_qty,
        ))
        .load(conn)?;
    let other_years = other_years
        .into_iter()
        .filter_map(|(h, g, price, date, qty)| Some((h, g, "winning".to_string(), price, date?, qty.unwrap_or(0))));
    for (hospital, generic, kind, price, date, qty) in off.into_iter().chain(other_years) {
        let Some(a) = acc.get_mut(&(hospital, generic)) else { continue };
        if date < a.period.0 || date > a.period.1 {
            continue;
        }
        let amount = UnitPrice::from_ten_thousandths(price).extend(qty);
        if kind == "winning" {
            a.purchases.above_volume_qty += qty;
            a.above_exact += amount;
        } else {
            a.purchases.non_winning_qty += qty;
            a.non_winning_exact += amount;
        }
    }
    for a in acc.values_mut() {
        a.purchases.winning_amount = round_fen(a.winning_exact);
        a.purchases.above_volume_amount = round_fen(a.above_exact);
        a.purchases.non_winning_amount = round_fen(a.non_winning_exact);
    }
    Ok(acc)
}

#[derive(QueryableByName)]
struct VolumeQty {
    #[diesel(sql_type = diesel::sql_types::Text)]
    volume_id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    qty: i64,
}

/// Per agreed volume of the region's year, what its kept total holds that was accepted after
/// `as_of` (a run before the year's end): read only when a volume ends after `as_of`.
fn accepted_after(
    conn: &mut DbConnection,
    region: &str,
    year: i16,
    as_of: NaiveDate,
) -> DomainResult<HashMap<String, i64>> {
    use diesel::sql_types::{Date, SmallInt, Text};
    let rows: Vec<VolumeQty> = diesel::sql_query(
        "SELECT v.id AS volume_id, CAST(SUM(dl.accepted_qty) AS BIGINT) AS qty \
         FROM acceptances a \
         JOIN deliveries d ON d.id = a.delivery_id \
         JOIN delivery_lines dl ON dl.delivery_id = d.id \
         JOIN order_lines ol ON ol.id = dl.order_line_id \
         JOIN agreed_volumes v ON v.id = ol.agreed_volume_id \
         WHERE d.region_id = $1 AND v.region_id = $1 AND v.agreement_year = $2 \
           AND a.status = 'confirmed' AND a.acceptance_date > $3 AND ol.kind = 'winning' \
           AND a.acceptance_date >= v.year_start AND a.acceptance_date <= v.year_end \
         GROUP BY v.id",
    )
    .bind::<Text, _>(region)
    .bind::<SmallInt, _>(year)
    .bind::<Date, _>(as_of)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| (r.volume_id, r.qty)).collect())
}

#[derive(Insertable)]
#[diesel(table_name = retention_lines, treat_none_as_default_value = false)]
struct NewLine {
    run_id: String,
    hospital_id: String,
    generic_name: String,
    agreed_qty: i64,
    pre_vbp_price: i64,
    winning_qty: i64,
    winning_amount: i64,
    above_volume_qty: i64,
    above_volume_amount: i64,
    non_winning_qty: i64,
    non_winning_amount: i64,
    budget: String,
    actual: String,
    saving: String,
}

#[derive(Insertable)]
#[diesel(table_name = retention_results, treat_none_as_default_value = false)]
struct NewResult {
    run_id: String,
    hospital_id: String,
    fund_ratio: String,
    insured_share: String,
    surplus: i64,
    components: String,
    score: Option<String>,
    grade: String,
    share: String,
    retained: i64,
}

/// Each hospital's decided confirmations and those made explicitly by the deadline, among the
/// payables invoiced within a period: one grouped query per distinct period (hospitals of one
/// agreement year share theirs), instead of a query per hospital.
struct Confirmations {
    region: String,
    by_period: HashMap<(NaiveDate, NaiveDate), HashMap<String, (i64, i64)>>,
}

#[derive(QueryableByName)]
struct ConfirmationCount {
    #[diesel(sql_type = diesel::sql_types::Text)]
    hospital_id: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    decided: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    on_time: i64,
}

impl Confirmations {
    fn of(
        &mut self,
        conn: &mut DbConnection,
        hospital: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> DomainResult<(i64, i64)> {
        use diesel::sql_types::{Date, Text};
        if !self.by_period.contains_key(&(from, to)) {
            let rows: Vec<ConfirmationCount> = diesel::sql_query(
                "SELECT hospital_id, COUNT(*) AS decided, \
                        CAST(COALESCE(SUM(CASE WHEN confirmation = 'explicit' AND confirm_deadline IS NOT NULL \
                             AND confirmed_on <= confirm_deadline THEN 1 ELSE 0 END), 0) AS BIGINT) AS on_time \
                 FROM payables WHERE region_id = $1 AND invoiced_on >= $2 AND invoiced_on <= $3 \
                   AND confirmed_on IS NOT NULL \
                 GROUP BY hospital_id",
            )
            .bind::<Text, _>(&self.region)
            .bind::<Date, _>(from)
            .bind::<Date, _>(to)
            .load(conn)?;
            let counts = rows.into_iter().map(|r| (r.hospital_id, (r.decided, r.on_time))).collect();
            self.by_period.insert((from, to), counts);
        }
        Ok(self.by_period[&(from, to)].get(hospital).copied().unwrap_or((0, 0)))
    }
}

/// The components the platform measures for a hospital, plus the manual ones entered; a
/// component that cannot be measured yet is left out.
fn measured_components(
    conn: &mut DbConnection,
    confirmations: &mut Confirmations,
    policy: &RetentionPolicy,
    hospital: &str,
    lines: &[GenericLine],
    period: Option<(NaiveDate, NaiveDate)>,
    find: &dyn Fn(&str, &str) -> Option<String>,
) -> DomainResult<BTreeMap<String, Decimal>> {
    let hundred = Decimal::from(100);
    let mut out = BTreeMap::new();
    let agreed: i64 = lines.iter().map(|l| l.agreed_qty).sum();
    let winning: i64 = lines.iter().map(|l| l.purchases.winning_qty).sum();
    let winning_all: i64 = lines.iter().map(|l| l.purchases.winning_qty + l.purchases.above_volume_qty).sum();
    let non_winning: i64 = lines.iter().map(|l| l.purchases.non_winning_qty).sum();
    for c in &policy.components {
        let value = match (c.key.as_str(), c.manual) {
            (_, true) => find("manual_score", &format!("{hospital}:{}", c.key)).and_then(|v| v.parse::<Decimal>().ok()),
            ("completion", false) if agreed > 0 => {
                Some((Decimal::from(winning) * hundred / Decimal::from(agreed)).min(hundred))
            }
            ("winning_share", false) if winning_all + non_winning > 0 => {
                Some(Decimal::from(winning_all) * hundred / Decimal::from(winning_all + non_winning))
            }
            ("on_time_confirmation", false) => {
                let (from, to) = period.unwrap_or((NaiveDate::MIN, NaiveDate::MIN));
                let (decided, on_time) = confirmations.of(conn, hospital, from, to)?;
                (decided > 0).then(|| Decimal::from(on_time) * hundred / Decimal::from(decided))
            }
            _ => None,
        };
        if let Some(v) = value {
            out.insert(c.key.clone(), v);
        }
    }
    Ok(out)
}
