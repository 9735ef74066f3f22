//! Jicai jobs: the scheduler decides *when* and *as of which date* a domain operation runs, and
//! records every run. The work itself lives in `jicai_domain`; each job is safe to repeat for a
//! date and safe to run from two processes at once (one transaction under a job lock).

pub mod mail;
pub mod scheduler;

use chrono::{DateTime, NaiveDate, Utc};
use jicai_domain::clock::SharedClock;
use jicai_domain::db::{DbConnection, Pool};
use jicai_domain::error::ErrorCode;
use jicai_domain::{jobruns, ledger, settlement, DomainError, DomainResult};
use serde::Serialize;

/// Every job, by the name used on the command line, in the API and in the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Job {
    /// Confirms payables whose confirmation window lapsed in silence; proposes the day's batch.
    SettlementSweep,
    /// Reminders at D-7 and D-3; overdue marking and bureau alerts; delay attribution.
    DeadlineWatch,
    /// Late interest on the payer's overdue days.
    LateInterest,
    /// Prepayments at the start of each agreement year.
    Prepayment,
    /// Sends the mail outbox.
    MailDispatch,
    /// Mails each hospital its statement of the previous month.
    MonthlyStatements,
    /// Early warnings: behind pace, non-winning beyond winning, unreliable suppliers.
    Monitoring,
    /// Surplus retention runs: scheduled for agreement years that ended the day before; by hand,
    /// every year in progress.
    Retention,
    /// Opens the tenders whose opening time has come, and picks supply regions by default for
    /// winners whose turn lapsed.
    Tenders,
    /// Proposes breach-of-contract credit cases from the previous month's supply failures.
    CreditProposals,
}

impl Job {
    pub const ALL: [Job; 10] = [
        Job::SettlementSweep,
        Job::DeadlineWatch,
        Job::LateInterest,
        Job::Prepayment,
        Job::MonthlyStatements,
        Job::Monitoring,
        Job::Retention,
        Job::Tenders,
        Job::CreditProposals,
        Job::MailDispatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::SettlementSweep => "settlement-sweep",
            Job::DeadlineWatch => "deadline-watch",
            Job::LateInterest => "late-interest",
            Job::Prepayment => "prepayment",
            Job::MailDispatch => "mail-dispatch",
            Job::MonthlyStatements => "monthly-statements",
            Job::Monitoring => "monitoring",
            Job::Retention => "retention",
            Job::Tenders => "tenders",
            Job::CreditProposals => "credit-proposals",
        }
    }

    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// Default schedule (cron with seconds, Asia/Shanghai wall time is used for the as-of date).
    pub fn default_schedule(self) -> &'static str {
        match self {
            Job::Prepayment => "0 5 0 * * *",
            Job::SettlementSweep => "0 30 0 * * *",
            Job::DeadlineWatch => "0 0 1 * * *",
            Job::LateInterest => "0 30 1 * * *",
            Job::MailDispatch => "0 * * * * *",
            Job::MonthlyStatements => "0 0 6 1 * *",
            Job::Monitoring => "0 0 2 * * *",
            Job::Retention => "0 30 2 * * *",
            // Every five minutes: an opening happens within minutes of its time.
            Job::Tenders => "0 */5 * * * *",
            Job::CreditProposals => "0 0 3 1 * *",
        }
    }
}

/// What to tell the mail job about where mail goes.
pub use mail::MailConfig;

/// What jobs need besides the database and the clock: where mail goes, and the key that
/// opens sealed bids at a tender's opening.
#[derive(Clone, Debug)]
pub struct JobConfig {
    pub mail: MailConfig,
    pub sealing: std::sync::Arc<jicai_domain::tender::seal::SealingKey>,
}

/// Runs `job` as of `as_of`, recording the run, for one region (an officer's run) or all
/// (`None`: the scheduler, the command line). Returns the run's id and counts.
pub fn run(
    pool: &Pool,
    clock: &SharedClock,
    cfg: &JobConfig,
    job: Job,
    as_of: NaiveDate,
    trigger: &str,
    region: Option<&str>,
) -> DomainResult<(String, serde_json::Value)> {
    let mut conn = pool.get()?;
    let started = jobruns::start(&mut conn, job.name(), as_of, trigger, region, clock.now());
    jicai_domain::db::forget_if_lost(&mut conn, &started);
    let run_id = started?;
    let outcome = execute(&mut conn, clock, cfg, job, as_of, trigger, region);
    jicai_domain::db::forget_if_lost(&mut conn, &outcome);
    let now = clock.now();
    match &outcome {
        Ok(counts) => jobruns::finish(&mut conn, &run_id, Ok(counts), now)?,
        Err(e) => {
            tracing::error!("job {} as of {as_of} failed: {e}", job.name());
            jobruns::finish(&mut conn, &run_id, Err(&e.to_string()), now)?
        }
    }
    outcome.map(|counts| (run_id, counts))
}

fn json<T: Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).expect("counts serialize")
}

fn execute(
    conn: &mut DbConnection,
    clock: &SharedClock,
    cfg: &JobConfig,
    job: Job,
    as_of: NaiveDate,
    trigger: &str,
    region: Option<&str>,
) -> DomainResult<serde_json::Value> {
    let now: DateTime<Utc> = clock.now();
    match job {
        Job::SettlementSweep => settlement::sweep(conn, region, as_of, now).map(json),
        Job::DeadlineWatch => settlement::deadline_watch(conn, region, as_of, now).map(json),
        Job::LateInterest => settlement::accrue_interest(conn, region, as_of, now).map(json),
        Job::Prepayment => ledger::run_prepayments(conn, region, as_of, now).map(json),
        Job::MailDispatch => mail::dispatch(conn, clock, &cfg.mail, region).map(json),
        Job::MonthlyStatements => ledger::send_statements(conn, region, as_of, now).map(json),
        Job::Monitoring => jicai_domain::monitoring::run(conn, region, as_of, now).map(json),
        Job::Retention => jicai_domain::retention::run_job(conn, region, as_of, trigger == "schedule", now),
        Job::Tenders => jicai_domain::tender::run_job(conn, &cfg.sealing, region, as_of, now).map(json),
        Job::CreditProposals => jicai_domain::credit::proposals::propose_all(conn, region, as_of, now)
            .map(|proposed| serde_json::json!({ "proposed": proposed })),
    }
}

/// Parses a job name into a domain error the API can show.
pub fn parse_job(name: &str) -> DomainResult<Job> {
    Job::parse(name).ok_or_else(|| {
        DomainError::invalid(
            ErrorCode::UnknownJob,
            "job",
            format!("no job {name:?}; jobs are {}", Job::ALL.map(Job::name).join(", ")),
        )
    })
}

/// Runs a job on a user's behalf (the API): bureau and fund officers run jobs for their own
/// region, as of today or an earlier date (replaying the past is safe, every job being
/// idempotent; a future date would confirm silent payables early, raise false overdue alerts and
/// prepay next year ahead); retention is the bureau's calculation; admins run for the platform,
/// any date. Returns the job and the run's id.
pub fn run_for(
    pool: &Pool,
    clock: &SharedClock,
    cfg: &JobConfig,
    actor: &jicai_domain::identity::Actor,
    job_name: &str,
    as_of: Option<NaiveDate>,
) -> DomainResult<(Job, String)> {
    use jicai_domain::identity::Role;
    actor.require(&[Role::Admin, Role::BureauOfficer, Role::FundOfficer], "run jobs")?;
    let job = parse_job(job_name)?;
    if job == Job::Retention {
        actor.require(&[Role::Admin, Role::BureauOfficer], "run retention")?;
    }
    let today = jicai_domain::clock::shanghai_date(clock.now());
    let as_of = as_of.unwrap_or(today);
    let admin = actor.role == Role::Admin;
    if as_of > today && !admin {
        return Err(DomainError::invalid(
            ErrorCode::FutureAsOf,
            "as_of",
            format!("a job runs as of today ({today}) or an earlier date"),
        ));
    }
    let region = if admin { None } else { actor.region_id.clone() };
    run(pool, clock, cfg, job, as_of, &format!("api:{}", actor.username), region.as_deref()).map(|(id, _)| (job, id))
}
