//! Monitoring and early warning (智能监控: 事前提醒、事中预警): agreed-volume completion against
//! the share of the year elapsed, winning-product share, and suppliers that decline or
//! short-ship. Warnings are stored, listed and mailed through the outbox.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::ordering::rules::{AcceptanceStatus, OrderStatus};
use diesel::IntoSql;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::clock::to_db;
use crate::db::{write_tx, DbConnection};
use crate::error::DomainResult;
use crate::identity::{Actor, OrgNames, Role};
use crate::ids::new_id;
use crate::outbox;
use crate::paging::{Page, PageRequest};
use crate::policy::{MonitoringPolicy, MONITORING};
use crate::schema::{
    acceptances, agreed_volumes, deliveries, delivery_lines, monitoring_warnings, order_lines, orders, organizations,
    products, winning_bids,
};

mod mails;
pub mod rules;
use rules::pct;
pub use rules::{behind_pace, elapsed_pct, fmt_pct};

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeProgress {
    pub agreed_volume_id: String,
    pub hospital_id: String,
    pub hospital_name: String,
    pub batch_id: String,
    pub winning_bid_id: String,
    pub generic_name: String,
    pub specification: String,
    pub year_start: NaiveDate,
    pub year_end: NaiveDate,
    pub agreed_qty: i64,
    pub ordered_qty: i64,
    /// Accepted (not ordered) within the agreement year so far, capped at nothing: may exceed agreed.
    pub accepted_qty: i64,
    /// accepted / agreed, percent.
    pub completion_pct: String,
    /// Share of the agreement year elapsed, percent.
    pub pace_pct: String,
    pub behind_pace: bool,
}

type VolumeRow = (String, String, String, String, String, String, NaiveDate, NaiveDate, i64, i64);

#[derive(Clone, Debug, Default)]
pub struct ProgressFilter {
    pub batch_id: Option<String>,
    pub hospital_id: Option<String>,
    pub behind_only: bool,
}

/// The agreed volumes in their agreement year on `as_of`, with their winning bid and product.
#[diesel::dsl::auto_type]
fn current_volumes(as_of: NaiveDate) -> _ {
    agreed_volumes::table
        .inner_join(winning_bids::table.inner_join(products::table))
        .filter(agreed_volumes::year_start.le(as_of))
        .filter(agreed_volumes::year_end.ge(as_of))
}

/// Agreed-volume progress against pace for the caller's region (bureau, fund) or own volumes
/// (hospital), current agreement years on `as_of`.
pub fn progress(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &ProgressFilter,
    as_of: NaiveDate,
    page: PageRequest,
) -> DomainResult<Page<VolumeProgress>> {
    actor.require(&[Role::BureauOfficer, Role::FundOfficer, Role::HospitalBuyer], "read volume progress")?;
    let region = actor.region()?.to_string();
    let (threshold, _) = threshold(conn, &region, as_of)?;
    let mut q = current_volumes(as_of)
        .filter(agreed_volumes::region_id.eq(&region))
        .select((
            agreed_volumes::id,
            agreed_volumes::hospital_id,
            winning_bids::batch_id,
            winning_bids::id,
            products::generic_name,
            products::specification,
            agreed_volumes::year_start,
            agreed_volumes::year_end,
            agreed_volumes::agreed_qty,
            agreed_volumes::ordered_qty,
        ))
        .order((agreed_volumes::hospital_id.asc(), agreed_volumes::id.asc()))
        .into_boxed();
    if actor.role == Role::HospitalBuyer {
        q = q.filter(agreed_volumes::hospital_id.eq(actor.org_id.clone()));
    }
    if let Some(b) = &filter.batch_id {
        q = q.filter(winning_bids::batch_id.eq(b.clone()));
    }
    if let Some(h) = &filter.hospital_id {
        q = q.filter(agreed_volumes::hospital_id.eq(h.clone()));
    }
    let rows: Vec<VolumeRow> = q.load(conn)?;
    let ids: Vec<String> = rows.iter().map(|r| r.0.clone()).collect();
    let accepted = crate::volumes::accepted_per_volume(conn, &ids, as_of)?;
    let hospital_ids: Vec<&str> = rows.iter().map(|r| r.1.as_str()).collect();
    let names = OrgNames::load(conn, &hospital_ids)?;
    let all: Vec<VolumeProgress> = rows
        .iter()
        .map(|(id, h, batch, bid, generic, spec, start, end, agreed, ordered)| {
            let acc = accepted.get(id).copied().unwrap_or(0);
            let completion = pct(acc, *agreed);
            let pace = elapsed_pct(*start, *end, as_of);
            VolumeProgress {
                agreed_volume_id: id.clone(),
                hospital_id: h.clone(),
                hospital_name: names.reference(h).name,
                batch_id: batch.clone(),
                winning_bid_id: bid.clone(),
                generic_name: generic.clone(),
                specification: spec.clone(),
                year_start: *start,
                year_end: *end,
                agreed_qty: *agreed,
                ordered_qty: *ordered,
                accepted_qty: acc,
                completion_pct: fmt_pct(completion),
                pace_pct: fmt_pct(pace),
                behind_pace: *agreed > 0 && behind_pace(completion, pace, threshold.pace_threshold_points),
            }
        })
        .filter(|p| !filter.behind_only || p.behind_pace)
        .collect();
    let total = all.len() as i64;
    let items = all.into_iter().skip(page.offset() as usize).take(page.per_page as usize).collect();
    Ok(Page::new(items, page, total))
}

fn threshold(conn: &mut DbConnection, region: &str, as_of: NaiveDate) -> DomainResult<(MonitoringPolicy, String)> {
    crate::policy::params_in_force(conn, region, MONITORING, as_of)
}

#[derive(Queryable, Selectable, Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[diesel(table_name = monitoring_warnings)]
pub struct WarningRow {
    pub id: String,
    pub region_id: String,
    pub hospital_id: Option<String>,
    pub supplier_id: Option<String>,
    /// `behind_pace`, `non_winning_exceeds_winning` or `supplier_unreliable`.
    pub kind: String,
    pub subject: String,
    pub as_of: NaiveDate,
    pub message: String,
    /// The figures behind the warning, as JSON.
    pub details: String,
    #[serde(serialize_with = "crate::clock::ser_utc")]
    pub created_at: NaiveDateTime,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct MonitoringCounts {
    pub behind_pace: i64,
    pub non_winning_exceeds_winning: i64,
    pub supplier_unreliable: i64,
}

struct NewWarning {
    region: String,
    hospital: Option<String>,
    supplier: Option<String>,
    kind: &'static str,
    subject: String,
    message: String,
    details: serde_json::Value,
    /// Whom to mail: organisation and roles.
    notify: Option<(String, &'static [&'static str])>,
}

impl NewWarning {
    /// A warning about a hospital, mailed to its buyers.
    fn of_hospital(
        region: &str,
        hospital: &str,
        kind: &'static str,
        subject: String,
        message: String,
        details: serde_json::Value,
    ) -> NewWarning {
        NewWarning {
            region: region.to_string(),
            hospital: Some(hospital.to_string()),
            supplier: None,
            kind,
            subject,
            message,
            details,
            notify: Some((hospital.to_string(), &["hospital_buyer"])),
        }
    }
}

fn raise(conn: &mut DbConnection, w: NewWarning, as_of: NaiveDate, now: DateTime<Utc>) -> DomainResult<bool> {
    let exists: i64 = monitoring_warnings::table
        .filter(monitoring_warnings::kind.eq(w.kind))
        .filter(monitoring_warnings::subject.eq(&w.subject))
        .filter(monitoring_warnings::as_of.eq(as_of))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    diesel::insert_into(monitoring_warnings::table)
        .values((
            monitoring_warnings::id.eq(new_id()),
            monitoring_warnings::region_id.eq(&w.region),
            monitoring_warnings::hospital_id.eq(&w.hospital),
            monitoring_warnings::supplier_id.eq(&w.supplier),
            monitoring_warnings::kind.eq(w.kind),
            monitoring_warnings::subject.eq(&w.subject),
            monitoring_warnings::as_of.eq(as_of),
            monitoring_warnings::message.eq(&w.message),
            monitoring_warnings::details.eq(w.details.to_string()),
            monitoring_warnings::created_at.eq(to_db(now)),
        ))
        .execute(conn)?;
    if let Some((org, roles)) = &w.notify {
        // One mail per subject and month, however many days the warning stands.
        outbox::enqueue(conn, mails::warning(&w, org, roles, as_of), now)?;
    }
    Ok(true)
}

/// The monitoring job for one day, every region. Safe to repeat for a date.
pub fn run(
    conn: &mut DbConnection,
    region: Option<&str>,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> DomainResult<MonitoringCounts> {
    write_tx(conn, |conn| {
        crate::db::job_lock(conn, "monitoring")?;
        let mut counts = MonitoringCounts::default();
        let mut volumes = current_volumes(as_of)
            .select((
                agreed_volumes::id,
                agreed_volumes::region_id,
                agreed_volumes::hospital_id,
                products::generic_name,
                agreed_volumes::year_start,
                agreed_volumes::year_end,
                agreed_volumes::agreed_qty,
            ))
            .into_boxed();
        if let Some(r) = region {
            volumes = volumes.filter(agreed_volumes::region_id.eq(r.to_string()));
        }
        let volumes: Vec<(String, String, String, String, NaiveDate, NaiveDate, i64)> = volumes.load(conn)?;
        let ids: Vec<String> = volumes.iter().map(|v| v.0.clone()).collect();
        let accepted = crate::volumes::accepted_per_volume(conn, &ids, as_of)?;
        let mut policies: HashMap<String, MonitoringPolicy> = HashMap::new();
        // Behind pace.
        let mut winning_by: BTreeMap<(String, String, String), (i64, NaiveDate, NaiveDate)> = BTreeMap::new();
        for (id, region, hospital, generic, start, end, agreed) in &volumes {
            if !policies.contains_key(region) {
                let p = threshold(conn, region, as_of)?.0;
                policies.insert(region.clone(), p);
            }
            let policy = policies[region];
            let acc = accepted.get(id).copied().unwrap_or(0);
            let w = winning_by.entry((region.clone(), hospital.clone(), generic.clone())).or_insert((0, *start, *end));
            w.0 += acc;
            w.1 = w.1.min(*start);
            w.2 = w.2.max(*end);
            if *agreed <= 0 {
                continue;
            }
            let completion = pct(acc, *agreed);
            let pace = elapsed_pct(*start, *end, as_of);
            if behind_pace(completion, pace, policy.pace_threshold_points) {
                let w = NewWarning::of_hospital(
                    region,
                    hospital,
                    "behind_pace",
                    id.clone(),
                    format!(
                        "{generic}：约定采购量完成 {c}%，协议年已过 {p}%，落后超过 {} 个百分点。\n\n\
                         {generic}: {c}% of the agreed volume is accepted with {p}% of the agreement year gone.",
                        policy.pace_threshold_points,
                        c = fmt_pct(completion),
                        p = fmt_pct(pace),
                    ),
                    serde_json::json!({"agreed_qty": agreed, "accepted_qty": acc, "completion_pct": fmt_pct(completion),
                        "pace_pct": fmt_pct(pace), "threshold_points": policy.pace_threshold_points.to_string(), "generic_name": generic}),
                );
                counts.behind_pace += i64::from(raise(conn, w, as_of, now)?);
            }
        }
        // Non-winning purchases of a generic beyond its winning purchases (after conversion, by units).
        // (region, hospital, generic, accepted quantity, acceptance date)
        type Accepted = (String, String, String, Option<i64>, Option<NaiveDate>);
        let non_winning: Vec<Accepted> = delivery_lines::table
            .inner_join(
                deliveries::table.inner_join(acceptances::table.on(acceptances::delivery_id.eq(deliveries::id))),
            )
            .inner_join(order_lines::table.inner_join(products::table))
            .filter(order_lines::kind.eq("non_winning"))
            .filter(acceptances::status.eq(AcceptanceStatus::Confirmed))
            .filter(acceptances::acceptance_date.le(as_of))
            .filter(
                deliveries::region_id
                    .eq(region.unwrap_or("").to_string())
                    .or(region.is_none().into_sql::<diesel::sql_types::Bool>()),
            )
            .select((
                deliveries::region_id,
                deliveries::hospital_id,
                products::generic_name,
                delivery_lines::accepted_qty,
                acceptances::acceptance_date,
            ))
            .load(conn)?;
        let mut nw: BTreeMap<(String, String, String), i64> = BTreeMap::new();
        for (region, hospital, generic, qty, date) in non_winning {
            let key = (region, hospital, generic);
            if let (Some(q), Some(d), Some((_, s, e))) = (qty, date, winning_by.get(&key)) {
                if d >= *s && d <= *e {
                    *nw.entry(key).or_default() += q;
                }
            }
        }
        for ((region, hospital, generic), nq) in nw {
            let wq = winning_by.get(&(region.clone(), hospital.clone(), generic.clone())).map(|w| w.0).unwrap_or(0);
            if nq > wq {
                let w = NewWarning::of_hospital(
                    &region,
                    &hospital,
                    "non_winning_exceeds_winning",
                    format!("{hospital}:{generic}"),
                    format!(
                        "{generic}：非中选产品采购 {nq} 超过中选产品采购 {wq}（最小单位）。\n\n\
                         {generic}: non-winning purchases ({nq} units) exceed winning purchases ({wq} units)."
                    ),
                    serde_json::json!({"generic_name": generic, "non_winning_qty": nq, "winning_qty": wq}),
                );
                counts.non_winning_exceeds_winning += i64::from(raise(conn, w, as_of, now)?);
            }
        }
        // Suppliers that decline or leave confirmed orders unshipped for 30 days (last 90 days).
        let since =
            to_db(crate::clock::from_db(as_of.and_hms_opt(0, 0, 0).expect("midnight")) - chrono::Duration::days(90));
        let stale =
            to_db(crate::clock::from_db(as_of.and_hms_opt(0, 0, 0).expect("midnight")) - chrono::Duration::days(30));
        let recent: Vec<(String, String, OrderStatus, NaiveDateTime)> = orders::table
            .filter(orders::created_at.ge(since))
            .filter(
                orders::region_id
                    .eq(region.unwrap_or("").to_string())
                    .or(region.is_none().into_sql::<diesel::sql_types::Bool>()),
            )
            .select((orders::region_id, orders::supplier_id, orders::status, orders::created_at))
            .load(conn)?;
        let mut by_supplier: BTreeMap<(String, String), (i64, i64, i64)> = BTreeMap::new();
        for (region, supplier, status, created) in recent {
            let e = by_supplier.entry((region, supplier)).or_default();
            e.0 += 1;
            if status == OrderStatus::Declined {
                e.1 += 1;
            } else if matches!(
                status,
                OrderStatus::Confirmed | OrderStatus::PartiallyShipped | OrderStatus::PartiallyAccepted
            ) && created < stale
            {
                e.2 += 1;
            }
        }
        for ((region, supplier), (total, declined, short)) in by_supplier {
            let policy = match policies.get(&region) {
                Some(p) => *p,
                None => threshold(conn, &region, as_of)?.0,
            };
            if total < policy.supplier_min_orders {
                continue;
            }
            let rate = Decimal::from(declined + short) / Decimal::from(total);
            if rate > policy.supplier_decline_rate {
                let bureau: Option<String> = organizations::table
                    .filter(organizations::region_id.eq(&region))
                    .filter(organizations::kind.eq("bureau"))
                    .select(organizations::id)
                    .first(conn)
                    .optional()?;
                let name = OrgNames::load(conn, &[supplier.as_str()])?.reference(&supplier).name;
                let w = NewWarning {
                        region: region.clone(),
                        hospital: None,
                        supplier: Some(supplier.clone()),
                        kind: "supplier_unreliable",
                        subject: format!("{region}:{supplier}"),
                        message: format!(
                            "{name}：近 90 天 {total} 笔订单中拒绝 {declined} 笔、超过 30 天未足量发货 {short} 笔。\n\n\
                             {name}: of {total} orders in 90 days, {declined} declined and {short} confirmed but not fully shipped after 30 days."
                        ),
                        details: serde_json::json!({"orders": total, "declined": declined, "short_shipped": short,
                            "rate": rate.round_dp(4).to_string(), "threshold": policy.supplier_decline_rate.to_string()}),
                        notify: bureau.map(|b| (b, &["bureau_officer"][..])),
                };
                counts.supplier_unreliable += i64::from(raise(conn, w, as_of, now)?);
            }
        }
        Ok(counts)
    })
}

#[derive(Clone, Debug, Default)]
pub struct WarningFilter {
    pub kind: Option<String>,
    pub hospital_id: Option<String>,
    pub as_of: Option<NaiveDate>,
}

/// Warnings of the caller's region (bureau, fund), or its own (hospital, supplier), newest first.
/// A warning as listed, with the names of the hospital and supplier it concerns.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarningView {
    #[serde(flatten)]
    pub warning: WarningRow,
    pub hospital_name: Option<String>,
    pub supplier_name: Option<String>,
}

pub fn list_warnings(
    conn: &mut DbConnection,
    actor: &Actor,
    filter: &WarningFilter,
    page: PageRequest,
) -> DomainResult<Page<WarningView>> {
    let build = || {
        let mut q = monitoring_warnings::table.into_boxed();
        q = match actor.role {
            Role::Admin => q,
            Role::BureauOfficer | Role::FundOfficer => {
                q.filter(monitoring_warnings::region_id.eq(actor.region_id.clone().unwrap_or_default()))
            }
            Role::HospitalBuyer => q.filter(monitoring_warnings::hospital_id.eq(actor.org_id.clone())),
            Role::Supplier => q.filter(monitoring_warnings::supplier_id.eq(actor.org_id.clone())),
        };
        if let Some(k) = &filter.kind {
            q = q.filter(monitoring_warnings::kind.eq(k.clone()));
        }
        if let Some(h) = &filter.hospital_id {
            q = q.filter(monitoring_warnings::hospital_id.eq(h.clone()));
        }
        if let Some(d) = filter.as_of {
            q = q.filter(monitoring_warnings::as_of.eq(d));
        }
        q
    };
    let total = build().count().get_result::<i64>(conn)?;
    let items = build()
        .order((monitoring_warnings::as_of.desc(), monitoring_warnings::id.desc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select(WarningRow::as_select())
        .load(conn)?;
    let ids: Vec<&str> =
        items.iter().flat_map(|w| [w.hospital_id.as_deref(), w.supplier_id.as_deref()]).flatten().collect();
    let names = crate::identity::OrgNames::load(conn, &ids)?;
    let name = |id: &Option<String>| id.as_deref().map(|i| names.reference(i).name);
    let items = items
        .into_iter()
        .map(|w| WarningView { hospital_name: name(&w.hospital_id), supplier_name: name(&w.supplier_id), warning: w })
        .collect();
    Ok(Page::new(items, page, total))
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HospitalSummary {
    pub hospital_id: String,
    pub hospital_name: String,
    pub agreed_qty: i64,
    pub accepted_qty: i64,
    pub completion_pct: String,
    /// Winning purchases of the batch's generics against all purchases of them (units), percent.
    pub winning_share_pct: Option<String>,
    pub volumes_behind_pace: i64,
    /// Warnings about this hospital on `as_of`.
    pub warnings: i64,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchSummary {
    pub batch_id: String,
    pub batch_name: String,
    pub agreed_qty: i64,
    pub accepted_qty: i64,
    pub completion_pct: String,
    /// Share of the batch's current agreement year elapsed on `as_of`, percent: the pace to compare
    /// completion with.
    pub pace_pct: String,
    pub winning_share_pct: Option<String>,
    pub hospitals_behind: i64,
    pub hospitals: Vec<HospitalSummary>,
}

/// Per batch and hospital: completion, pace, winning share and warnings (bureau and fund: the
/// region; hospital: itself), for the agreement years current on `as_of`.
pub fn summary(conn: &mut DbConnection, actor: &Actor, as_of: NaiveDate) -> DomainResult<Vec<BatchSummary>> {
    let everything =
        progress(conn, actor, &ProgressFilter::default(), as_of, PageRequest { page: 1, per_page: i64::MAX / 4 })?;
    let region = actor.region()?.to_string();
    // Non-winning accepted units per (hospital, generic) within each generic's current year.
    let nw: Vec<(String, String, Option<i64>, Option<NaiveDate>)> = delivery_lines::table
        .inner_join(deliveries::table.inner_join(acceptances::table.on(acceptances::delivery_id.eq(deliveries::id))))
        .inner_join(order_lines::table.inner_join(products::table))
        .filter(deliveries::region_id.eq(&region))
        .filter(order_lines::kind.eq("non_winning"))
        .filter(acceptances::status.eq(AcceptanceStatus::Confirmed))
        .filter(acceptances::acceptance_date.le(as_of))
        .select((
            deliveries::hospital_id,
            products::generic_name,
            delivery_lines::accepted_qty,
            acceptances::acceptance_date,
        ))
        .load(conn)?;
    // Grouped by hospital once, not scanned again for every hospital of every batch.
    let mut nw_by_hospital: HashMap<String, Vec<(String, i64, NaiveDate)>> = HashMap::new();
    for (h, g, q, d) in nw {
        if let Some(d) = d {
            nw_by_hospital.entry(h).or_default().push((g, q.unwrap_or(0), d));
        }
    }
    let warnings: Vec<Option<String>> = monitoring_warnings::table
        .filter(monitoring_warnings::region_id.eq(&region))
        .filter(monitoring_warnings::as_of.eq(as_of))
        .select(monitoring_warnings::hospital_id)
        .load(conn)?;
    let mut warn_count: HashMap<String, i64> = HashMap::new();
    for h in warnings.into_iter().flatten() {
        *warn_count.entry(h).or_default() += 1;
    }
    let batch_names: HashMap<String, String> = crate::schema::batches::table
        .filter(crate::schema::batches::region_id.eq(&region))
        .select((crate::schema::batches::id, crate::schema::batches::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut by_batch: BTreeMap<String, Vec<&VolumeProgress>> = BTreeMap::new();
    for p in &everything.items {
        by_batch.entry(p.batch_id.clone()).or_default().push(p);
    }
    let mut out = Vec::new();
    for (batch_id, vols) in by_batch {
        // hospital → (name, agreed, accepted, volumes behind, its generics with their year)
        type Acc = (String, i64, i64, i64, Vec<(String, NaiveDate, NaiveDate)>);
        let mut hospitals: BTreeMap<String, Acc> = BTreeMap::new();
        for v in &vols {
            let e = hospitals.entry(v.hospital_id.clone()).or_insert((v.hospital_name.clone(), 0, 0, 0, vec![]));
            e.1 += v.agreed_qty;
            e.2 += v.accepted_qty;
            e.3 += i64::from(v.behind_pace);
            e.4.push((v.generic_name.clone(), v.year_start, v.year_end));
        }

        let mut rows = Vec::new();
        let (mut ta, mut tc, mut tw, mut tn) = (0i64, 0i64, 0i64, 0i64);
        for (hid, (name, agreed, accepted, behind, generics)) in hospitals {
            let non_winning: i64 = nw_by_hospital
                .get(&hid)
                .into_iter()
                .flatten()
                .filter(|(g, _, d)| generics.iter().any(|(gg, s, e)| gg == g && d >= s && d <= e))
                .map(|(_, q, _)| q)
                .sum();
            ta += agreed;
            tc += accepted;
            tw += accepted;
            tn += non_winning;
            rows.push(HospitalSummary {
                hospital_id: hid.clone(),
                hospital_name: name,
                agreed_qty: agreed,
                accepted_qty: accepted,
                completion_pct: fmt_pct(pct(accepted, agreed)),
                winning_share_pct: (accepted + non_winning > 0).then(|| fmt_pct(pct(accepted, accepted + non_winning))),
                volumes_behind_pace: behind,
                warnings: warn_count.get(&hid).copied().unwrap_or(0),
            });
        }
        out.push(BatchSummary {
            batch_name: batch_names.get(&batch_id).cloned().unwrap_or_default(),
            batch_id,
            agreed_qty: ta,
            accepted_qty: tc,
            completion_pct: fmt_pct(pct(tc, ta)),
            // Every volume of a batch runs in the batch's agreement year: they share one pace.
            pace_pct: vols.first().map(|v| v.pace_pct.clone()).unwrap_or_default(),
            winning_share_pct: (tw + tn > 0).then(|| fmt_pct(pct(tw, tw + tn))),
            hospitals_behind: rows.iter().filter(|r| r.volumes_behind_pace > 0).count() as i64,
            hospitals: rows,
        });
    }
    Ok(out)
}
