//! `jicai-bench`: deterministic data (`data`), rule check (`check`) and the benchmark harness
//! (`run`). See docs/benchmarks.md.

mod check;
mod gen;
mod http;
mod rows;
mod run;
mod tender;

use clap::{Parser, Subcommand};
use jicai_domain::db::DbUrl;

#[derive(Parser)]
#[command(name = "jicai-bench", about = "Data generator, rule check and benchmark harness for Jicai")]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Migrate, then generate one region's agreement year into an empty database.
    Data {
        #[arg(long, default_value = "tiny")]
        scale: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Verify the rules the API enforces on the data in the database.
    Check {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Write and read load against a running `jicai serve` over generated data (for profiling).
    Load {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// host:port of the server.
        #[arg(long)]
        addr: String,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value = "64")]
        clients: String,
        /// 0 skips the read path.
        #[arg(long, default_value_t = 64)]
        read_clients: usize,
        #[arg(long, default_value_t = 100_000)]
        max_requests: u64,
    },
    /// Fresh databases, generated data, the real server, load, baselines and jobs; Markdown out.
    Run {
        #[arg(long, default_value = "tiny")]
        scale: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Comma-separated: sqlite, postgres.
        #[arg(long, default_value = "sqlite,postgres")]
        backends: String,
        /// Seconds per load step.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        /// Write-path client counts.
        #[arg(long, default_value = "16,64")]
        clients: String,
        #[arg(long, default_value_t = 64)]
        read_clients: usize,
        /// Upper bound of requests (cycles) per client per step.
        #[arg(long, default_value_t = 100_000)]
        max_requests: u64,
        #[arg(long, default_value_t = true, action = clap::ArgAction::Set)]
        jobs: bool,
        /// Also load the generated rows again through pg_restore (PostgreSQL): the generation's floor.
        #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
        generation_floor: bool,
        /// Also write the Markdown here.
        #[arg(long)]
        out: Option<String>,
    },
    /// Migrate, then run a tender of this size to its opening and time the opening beside the
    /// same rules in memory; a Markdown row out.
    Tender {
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 600)]
        generics: usize,
        #[arg(long, default_value_t = 20)]
        bidders: usize,
        #[arg(long, default_value_t = 5_000)]
        hospitals: usize,
        /// Generics each hospital reports demand for.
        #[arg(long, default_value_t = 60)]
        lines_per_hospital: usize,
    },
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("jicai-bench: {e}");
        std::process::exit(1);
    }
}

fn connect(url: &str) -> Result<jicai_domain::db::DbConnection, String> {
    let db = DbUrl::parse(url).map_err(|e| e.to_string())?;
    db.establish().map_err(|e| format!("cannot open {}: {e}", db.redacted()))
}

fn real_main() -> Result<(), String> {
    match Cli::parse().cmd {
        Cmd::Data { scale, seed, database_url } => {
            let scale = gen::Scale::parse(&scale).ok_or("scale is tiny, city or province")?;
            let mut conn = connect(&database_url)?;
            jicai_domain::db::run_migrations(&mut conn).map_err(|e| e.to_string())?;
            let s = gen::generate(&mut conn, scale, seed, |m| eprintln!("{m}"))?;
            println!("generated {} rows in {:.1} s ({:.0} rows/s)", s.rows, s.seconds, s.rows as f64 / s.seconds);
            Ok(())
        }
        Cmd::Check { database_url } => {
            let mut conn = connect(&database_url)?;
            let r = check::check(&mut conn)?;
            for (rule, n) in &r.lines {
                println!(
                    "{} {rule}{}",
                    if *n == 0 { "ok  " } else { "FAIL" },
                    if *n == 0 { String::new() } else { format!(": {n} rows") }
                );
            }
            if r.ok() {
                println!("all {} rules hold", r.lines.len());
                Ok(())
            } else {
                Err("some rules are broken".into())
            }
        }
        Cmd::Load { database_url, addr, seconds, clients, read_clients, max_requests } => {
            let clients: Vec<usize> = clients.split(',').filter_map(|s| s.trim().parse().ok()).collect();
            run::load(&database_url, &addr, &clients, read_clients, seconds, max_requests)
        }
        Cmd::Run {
            scale,
            seed,
            backends,
            seconds,
            clients,
            read_clients,
            max_requests,
            jobs,
            generation_floor,
            out,
        } => {
            let opts = run::Opts {
                scale: gen::Scale::parse(&scale).ok_or("scale is tiny, city or province")?,
                seed,
                backends: backends.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
                seconds,
                clients: clients.split(',').filter_map(|s| s.trim().parse().ok()).collect(),
                read_clients,
                max_requests,
                jobs,
                generation_floor,
                out,
            };
            let md = run::run(&opts)?;
            println!("{md}");
            Ok(())
        }
        Cmd::Tender { database_url, generics, bidders, hospitals, lines_per_hospital } => {
            let mut conn = connect(&database_url)?;
            let size = tender::Size { generics, bidders, hospitals, lines_per_hospital };
            let md = tender::run(&mut conn, &size, |m| eprintln!("{m}"))?;
            println!("{md}");
            Ok(())
        }
    }
}
