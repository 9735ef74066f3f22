//! `jicai`: the Jicai platform's one binary: server, migrations, demo data and administration.

mod auth;
mod body;
mod config;
mod error;
mod export;
mod frontend;
mod guard;
mod openapi;
mod routes;
mod server;
mod state;
mod tokens;

use chrono::Duration;
use clap::{Parser, Subcommand};
use jicai_domain::clock::{OffsetClock, SharedClock};
use jicai_domain::db::{self, DbUrl, Pool};
use jicai_domain::demo::{self, DemoOutcome};
use jicai_domain::identity::{self, NewUser, Role};
use std::io::BufRead;
use std::process::ExitCode;
use std::sync::Arc;

use crate::config::{DbArgs, JobArgs, ServeArgs};

#[derive(Parser)]
#[command(name = "jicai", version, about = "集采直结 Jicai: volume-based procurement and direct settlement")]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(flatten)]
    jobs: JobArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the HTTP server (migrating the database first).
    Serve(ServeArgs),
    /// Applies pending migrations (or reverts them all).
    Migrate {
        /// Revert every migration instead (drops all data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Creates the database if needed, migrates, seeds the demo data and prints the demo accounts.
    Demo,
    /// Manages user accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Prints the OpenAPI document (for client generation).
    Openapi,
    /// Runs jobs by hand.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Runs the job scheduler alone (no HTTP server).
    Worker,
    /// Writes a backup of the database to FILE while it serves (SQLite: a consistent copy;
    /// PostgreSQL: pg_dump's custom format). Never overwrites a file.
    Backup { file: std::path::PathBuf },
    /// Restores FILE into DATABASE_URL, which must be a new file or an empty database, then
    /// verifies it (audit chains, journal balance).
    Restore { file: std::path::PathBuf },
    /// Checks the audit log and the journal.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walks every audit hash chain and names the first broken link; checks that every journal
    /// entry balances. Exits non-zero on any failure.
    Verify,
}

fn verify_report(conn: &mut jicai_domain::db::DbConnection) -> Result<(), String> {
    let v = jicai_domain::backup::verify(conn).map_err(|e| e.to_string())?;
    println!("audit: {} events in {} chains", v.events, v.chains);
    println!("journal: {} entries", v.journal_entries);
    if let Some((entity_type, entity_id, event)) = &v.broken {
        println!("BROKEN: the audit chain of {entity_type} {entity_id} breaks at event {event}");
    }
    for entry in &v.unbalanced {
        println!("UNBALANCED: journal entry {entry}");
    }
    if v.ok() {
        println!("verified: every chain links, every entry balances");
        Ok(())
    } else {
        Err("verification failed".into())
    }
}

#[derive(Subcommand)]
enum JobsCommand {
    /// Runs jobs as of a date: settlement-sweep, deadline-watch, late-interest, prepayment,
    /// monthly-statements, mail-dispatch.
    Run {
        /// One or more jobs, run in the order given.
        #[arg(required = true)]
        jobs: Vec<String>,
        /// The business date (default: today in Asia/Shanghai).
        #[arg(long)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Lists the jobs and their default schedules.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Adds a user. The password is read from JICAI_USER_PASSWORD or, if unset, from the first
    /// line of standard input.
    Add {
        #[arg(long)]
        username: String,
        /// admin, bureau_officer, fund_officer, hospital_buyer or supplier.
        #[arg(long)]
        role: String,
        /// The organisation (not needed for an admin).
        #[arg(long, default_value = "")]
        org_id: String,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

fn clock(db: &DbArgs) -> Result<SharedClock, String> {
    match &db.fake_now {
        Some(s) => Ok(Arc::new(OffsetClock::starting_at(config::parse_instant(s)?))),
        None => Ok(Arc::new(OffsetClock::system())),
    }
}

/// What the jobs need: the mail settings and the sealing key.
fn job_config(db: &DbArgs, jobs: &JobArgs) -> Result<jicai_jobs::JobConfig, String> {
    Ok(jicai_jobs::JobConfig { mail: jobs.mail(), sealing: Arc::new(db.sealing_key()?) })
}

fn open(db: &DbArgs) -> Result<(DbUrl, Pool), String> {
    let url = DbUrl::parse(&db.database_url).map_err(|e| e.to_string())?;
    let size = db.db_pool_size.unwrap_or(match url {
        DbUrl::Postgres(_) => 16,
        DbUrl::Sqlite(_) => 8,
    });
    let pool = db::open_pool(&url, size).map_err(|e| e.to_string())?;
    let mut conn = pool.get().map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
    db::run_migrations(&mut conn).map_err(|e| e.to_string())?;
    Ok((url, pool))
}

fn serve(db: &DbArgs, job_args: &JobArgs, args: ServeArgs) -> Result<(), String> {
    // A panic costs its request a 500 (see `guard`), and the log one line: where and what,
    // never a backtrace per request.
    std::panic::set_hook(Box::new(|info| tracing::error!("panic: {info}")));
    let clock = clock(db)?;
    let (url, pool) = open(db)?;
    let secret = match args.jwt_secret.clone().filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            identity::setting_or_init(&mut conn, "jwt_secret", identity::random_secret).map_err(|e| e.to_string())?
        }
    };
    let jobs = job_config(db, job_args)?;
    let ocds = Arc::new(args.ocds_publisher()?);
    let scheduler = start_scheduler(&pool, &clock, &jobs, job_args)?;
    let state = state::AppState {
        pool,
        clock,
        keys: Arc::new(tokens::TokenKeys::new(&secret, Duration::minutes(args.token_ttl_minutes.max(1)))),
        backend: url.backend_name(),
        jobs,
        logins: Arc::new(tokio::sync::Semaphore::new(
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2),
        )),
        ocds,
        sign_in_limits: args.sign_in_limits(),
    };
    let workers = args.workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    let result = actix_web::rt::System::new()
        .block_on(server::run(state, &args.bind, workers, args.frontend_dir))
        .map_err(|e| format!("server: {e}"));
    if let Some(stop) = scheduler {
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
    result
}

/// Starts the job scheduler in a thread unless `JICAI_SCHEDULER=off`; returns its stop flag.
fn start_scheduler(
    pool: &Pool,
    clock: &SharedClock,
    jobs: &jicai_jobs::JobConfig,
    args: &JobArgs,
) -> Result<Option<Arc<std::sync::atomic::AtomicBool>>, String> {
    if !args.scheduler_on() {
        return Ok(None);
    }
    let entries = jicai_jobs::scheduler::schedule_from(args.schedule.as_deref())?;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (pool, clock, jobs, flag) = (pool.clone(), clock.clone(), jobs.clone(), stop.clone());
    std::thread::Builder::new()
        .name("scheduler".into())
        .spawn(move || jicai_jobs::scheduler::run_forever(pool, clock, jobs, entries, flag))
        .map_err(|e| format!("scheduler thread: {e}"))?;
    Ok(Some(stop))
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve(args) => serve(&cli.db, &cli.jobs, args),
        Command::Migrate { revert_all } => {
            let url = DbUrl::parse(&cli.db.database_url).map_err(|e| e.to_string())?;
            let pool = db::open_pool(&url, 1).map_err(|e| e.to_string())?;
            let mut conn = pool.get().map_err(|e| format!("cannot connect to {}: {e}", url.redacted()))?;
            let versions =
                if revert_all { db::revert_all_migrations(&mut conn) } else { db::run_migrations(&mut conn) }
                    .map_err(|e| e.to_string())?;
            let verb = if revert_all { "reverted" } else { "applied" };
            if versions.is_empty() {
                println!("{}: nothing to do", url.redacted());
            }
            for v in versions {
                println!("{verb} {v}");
            }
            Ok(())
        }
        Command::Demo => {
            let clock = clock(&cli.db)?;
            let (url, pool) = open(&cli.db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let sealing = cli.db.sealing_key()?;
            let outcome = demo::seed(&mut conn, &sealing, clock.now()).map_err(|e| e.to_string())?;
            let (what, accounts) = match outcome {
                DemoOutcome::Seeded(a) => ("seeded demo data into", a),
                DemoOutcome::AlreadyPresent(a) => ("demo data already present in", a),
            };
            println!("{what} {}", url.redacted());
            println!("demo accounts (password: {}):", demo::DEMO_PASSWORD);
            for a in accounts {
                println!("  {:<12} {:<15} {}", a.username, a.role.as_str(), a.organization);
            }
            Ok(())
        }
        Command::User { command: UserCommand::Add { username, role, org_id, display_name, email } } => {
            let role = Role::parse(&role).ok_or_else(|| format!("unknown role {role:?}"))?;
            let password = match std::env::var("JICAI_USER_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
                    line.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            let clock = clock(&cli.db)?;
            let (_, pool) = open(&cli.db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let user = identity::bootstrap_user(
                &mut conn,
                NewUser { username, display_name, email, password, role, org_id },
                clock.now(),
            )
            .map_err(|e| e.to_string())?;
            println!("added user {} ({}) with id {}", user.username, user.role, user.id);
            Ok(())
        }
        Command::Backup { file } => {
            let (url, pool) = open(&cli.db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            jicai_domain::backup::backup(&url, &mut conn, &file).map_err(|e| e.to_string())?;
            println!("backed up {} to {}", url.redacted(), file.display());
            Ok(())
        }
        Command::Restore { file } => {
            let url = DbUrl::parse(&cli.db.database_url).map_err(|e| e.to_string())?;
            jicai_domain::backup::restore(&url, &file).map_err(|e| e.to_string())?;
            println!("restored {} into {}", file.display(), url.redacted());
            let (_, pool) = open(&cli.db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            verify_report(&mut conn)
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let (_, pool) = open(&cli.db)?;
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            verify_report(&mut conn)
        }
        Command::Jobs { command: JobsCommand::List } => {
            for job in jicai_jobs::Job::ALL {
                println!("{:<18} {}", job.name(), job.default_schedule());
            }
            Ok(())
        }
        Command::Jobs { command: JobsCommand::Run { jobs, as_of } } => {
            let jobs = jobs
                .iter()
                .map(|j| jicai_jobs::parse_job(j))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            let clock = clock(&cli.db)?;
            let (_, pool) = open(&cli.db)?;
            let cfg = job_config(&cli.db, &cli.jobs)?;
            let as_of = as_of.unwrap_or_else(|| jicai_domain::clock::shanghai_date(clock.now()));
            for job in jobs {
                let (id, counts) =
                    jicai_jobs::run(&pool, &clock, &cfg, job, as_of, "cli", None).map_err(|e| e.to_string())?;
                println!("{} as of {as_of}: {counts} (run {id})", job.name());
            }
            Ok(())
        }
        Command::Worker => {
            let clock = clock(&cli.db)?;
            let (url, pool) = open(&cli.db)?;
            let cfg = job_config(&cli.db, &cli.jobs)?;
            let entries = jicai_jobs::scheduler::schedule_from(cli.jobs.schedule.as_deref())?;
            println!("jicai worker running {} jobs on {}", entries.len(), url.redacted());
            let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
            jicai_jobs::scheduler::run_forever(pool, clock, cfg, entries, stop);
            Ok(())
        }
        Command::Openapi => {
            let doc = server::openapi_document();
            println!("{}", serde_json::to_string_pretty(&doc).map_err(|e| e.to_string())?);
            Ok(())
        }
    }
}

/// Keeps glibc's mmap threshold at its 128 KiB default. glibc raises it to the size of any
/// mmapped block that is freed, so after the first sign-in argon2's 19 MiB working memory came
/// from the per-thread heaps and stayed resident. With the threshold fixed every argon2 block is
/// mapped and unmapped (the figures: docs/benchmarks.md, "Why the code is as it is").
fn fix_mmap_threshold() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called first thing in main, before any
    // other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}

fn main() -> ExitCode {
    fix_mmap_threshold();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jicai: {e}");
            ExitCode::FAILURE
        }
    }
}
