//! The harness: fresh database per backend, generated data, the real `jicai serve` on port 0,
//! write and read paths over HTTP, the baselines (pgbench, a SQLite insert loop), the jobs,
//! and the server's peak memory. Prints Markdown tables.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use jicai_domain::db::{DbConnection, DbUrl};
use jicai_domain::schema::*;
use jicai_testkit::{is_root, pg_command as pg, Cluster, ClusterOptions};

use crate::gen::{self, Scale, PASSWORD};
use crate::http::Client;

pub struct Opts {
    pub scale: Scale,
    pub seed: u64,
    pub backends: Vec<String>,
    pub seconds: u64,
    pub clients: Vec<usize>,
    pub read_clients: usize,
    pub max_requests: u64,
    pub jobs: bool,
    /// Also measure the generation's floor (PostgreSQL): the same rows through `pg_restore`.
    pub generation_floor: bool,
    /// Where the Markdown goes; written after each step, so a long run that is stopped keeps
    /// what it measured.
    pub out: Option<String>,
}

fn machine() -> String {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| s.lines().next().map(|l| l.split_whitespace().nth(1).unwrap_or("0").parse::<u64>().unwrap_or(0)))
        .unwrap_or(0);
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    format!(
        "{cores} cores ({cpu}), {:.1} GiB memory, shared with other work (figures are noisy)",
        mem as f64 / 1048576.0
    )
}

fn pct(v: &mut [u64], p: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i] as f64 / 1000.0
}

// ---------------------------------------------------------------- PostgreSQL cluster

/// A throwaway cluster with durable commits (fsync and synchronous_commit at their defaults).
struct PgCluster(Cluster);

impl PgCluster {
    fn start() -> Result<PgCluster, String> {
        let dir = std::env::temp_dir().join(format!("jicai-bench-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let settings = "-c max_connections=200 -c shared_buffers=1GB -c max_wal_size=4GB -c track_io_timing=on \
                        -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.max=10000";
        Cluster::start(&dir, &ClusterOptions { durable: true, settings, log: "log" }).map(PgCluster)
    }

    fn url(&self, db: &str) -> String {
        format!("{}/{db}", self.0.base_url())
    }

    fn createdb(&self, name: &str) -> Result<(), String> {
        let st = pg("createdb")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-U", "postgres", name])
            .status()
            .map_err(|e| e.to_string())?;
        st.success().then_some(()).ok_or_else(|| format!("createdb {name} failed"))
    }
}

impl std::ops::Deref for PgCluster {
    type Target = Cluster;
    fn deref(&self) -> &Cluster {
        &self.0
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        self.0.stop();
    }
}

// ---------------------------------------------------------------- the server

struct Server {
    child: Child,
    addr: String,
}

fn jicai_bin() -> PathBuf {
    if let Ok(p) = std::env::var("JICAI_BIN") {
        return PathBuf::from(p);
    }
    let here = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf));
    match here {
        Some(dir) if dir.join("jicai").is_file() => dir.join("jicai"),
        _ => PathBuf::from("target/release/jicai"),
    }
}

/// The bench's tender sealing key: a file in the temp folder, never in the work tree.
fn sealing_key_file() -> PathBuf {
    std::env::temp_dir().join("jicai-bench.sealing-key")
}

impl Server {
    fn start(url: &str) -> Result<Server, String> {
        let mut child = Command::new(jicai_bin())
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("JICAI_BIND", "127.0.0.1:0")
            .env("JICAI_SCHEDULER", "off")
            .env("JICAI_FAKE_NOW", gen::as_of().to_string())
            .env("JICAI_JWT_SECRET", "jicai-bench-secret-jicai-bench-secret")
            .env("JICAI_FRONTEND_DIR", "/nonexistent")
            .env("JICAI_SEALING_KEY_FILE", sealing_key_file())
            .env("RUST_LOG", "warn,jicai=info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", jicai_bin().display()))?;
        let (tx, rx) = mpsc::channel();
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(i) = line.find("listening on http://") {
                        let rest = &line[i + "listening on http://".len()..];
                        let addr: String = rest.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect();
                        let _ = tx.send(addr);
                    }
                }
            });
        }
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(addr) => Ok(Server { child, addr }),
            Err(_) => {
                let _ = child.kill();
                Err("the server did not report its address within 60 s".into())
            }
        }
    }

    fn peak_memory_kib(&self) -> u64 {
        vm_hwm_kib(self.child.id()).unwrap_or(0)
    }
}

/// A process's peak resident memory (VmHWM), while it runs.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status")).ok().and_then(|s| {
        s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
    })
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- load

struct Load {
    cycles: u64,
    lines: u64,
    errors: u64,
    first_error: Option<String>,
    seconds: f64,
    latencies_us: Vec<u64>,
    cycle_us: Vec<u64>,
}

struct Plan {
    hospital_user: String,
    supplier_user: String,
    supplier_id: String,
    /// (bid id, unit price string, pack size)
    bids: Vec<(String, String, i64)>,
}

fn plans(conn: &mut DbConnection, n: usize) -> Result<Vec<Plan>, String> {
    let mut out = Vec::new();
    let hospitals: Vec<(String, String)> = users::table
        .filter(users::role.eq("hospital_buyer"))
        .filter(users::username.like("bench-h%"))
        .order(users::username)
        .select((users::username, users::org_id))
        .load(conn)
        .map_err(|e| e.to_string())?;
    for (username, hid) in hospitals.into_iter().take(n) {
        let rows: Vec<(String, i64, i64, String)> = agreed_volumes::table
            .inner_join(winning_bids::table.inner_join(products::table))
            .inner_join(bid_distributors::table.on(bid_distributors::bid_id.eq(winning_bids::id)))
            .filter(agreed_volumes::hospital_id.eq(&hid))
            .select((winning_bids::id, winning_bids::unit_price, products::pack_size, bid_distributors::enterprise_id))
            .order(winning_bids::id)
            .load(conn)
            .map_err(|e| e.to_string())?;
        let Some(first) = rows.first() else { continue };
        let sup = first.3.clone();
        let bids: Vec<(String, String, i64)> = rows
            .iter()
            .filter(|r| r.3 == sup)
            .take(3)
            .map(|r| (r.0.clone(), jicai_domain::money::UnitPrice::from_ten_thousandths(r.1).to_string(), r.2))
            .collect();
        let supplier_user: String = users::table
            .filter(users::org_id.eq(&sup))
            .select(users::username)
            .first(conn)
            .map_err(|e| e.to_string())?;
        out.push(Plan { hospital_user: username, supplier_user, supplier_id: sup, bids });
    }
    if out.is_empty() {
        return Err("no bench hospitals: run `jicai-bench data` first".into());
    }
    Ok(out)
}

fn cycle(h: &mut Client, s: &mut Client, p: &Plan, key: &str, lat: &mut Vec<u64>) -> Result<u64, String> {
    let mut timed = |c: &mut Client,
                     m: &str,
                     path: &str,
                     body: Option<String>,
                     idem: Option<&str>|
     -> Result<serde_json::Value, String> {
        let t = Instant::now();
        let (st, b) = c.send(m, path, body.as_deref(), idem)?;
        lat.push(t.elapsed().as_micros() as u64);
        if !(200..300).contains(&st) {
            return Err(format!("{m} {path}: {st} {}", b.chars().take(300).collect::<String>()));
        }
        serde_json::from_str(&b).map_err(|e| format!("{m} {path}: {e}"))
    };
    let lines: Vec<serde_json::Value> = p
        .bids
        .iter()
        .map(|(id, price, pack)| serde_json::json!({"winning_bid_id": id, "quantity": pack * 2, "unit_price": price}))
        .collect();
    let order = timed(
        h,
        "POST",
        "/api/v1/orders",
        Some(serde_json::json!({"supplier_id": p.supplier_id, "lines": lines}).to_string()),
        Some(key),
    )?;
    let oid = order["id"].as_str().ok_or("order id")?.to_string();
    timed(s, "POST", &format!("/api/v1/orders/{oid}/confirm"), None, None)?;
    let ship: Vec<serde_json::Value> = order["lines"]
        .as_array()
        .ok_or("order lines")?
        .iter()
        .map(|l| serde_json::json!({"order_line_id": l["id"], "quantity": l["quantity"], "lot_no": "BENCH01", "production_date": "2026-10-01", "expiry_date": "2028-09-30"}))
        .collect();
    let del = timed(
        s,
        "POST",
        "/api/v1/deliveries",
        Some(serde_json::json!({"order_id": oid, "lines": ship}).to_string()),
        None,
    )?;
    let did = del["id"].as_str().ok_or("delivery id")?.to_string();
    let acc: Vec<serde_json::Value> = del["lines"]
        .as_array()
        .ok_or("delivery lines")?
        .iter()
        .map(|l| serde_json::json!({"delivery_line_id": l["id"], "accepted_qty": l["quantity"], "rejected_qty": 0}))
        .collect();
    timed(
        h,
        "POST",
        &format!("/api/v1/deliveries/{did}/acceptance"),
        Some(serde_json::json!({"received_by": "药库 基准", "delivered_by": "配送员 基准", "lines": acc}).to_string()),
        None,
    )?;
    Ok(p.bids.len() as u64)
}

fn write_path(addr: &str, plans: &[Plan], clients: usize, secs: u64, max: u64, tag: &str) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|k| {
            let p = &plans[k % plans.len()];
            let (hu, su, sid, bids) =
                (p.hospital_user.clone(), p.supplier_user.clone(), p.supplier_id.clone(), p.bids.clone());
            let addr = addr.to_string();
            let stop = stop.clone();
            let tag = tag.to_string();
            std::thread::spawn(move || {
                let plan = Plan { hospital_user: hu, supplier_user: su, supplier_id: sid, bids };
                let mut h = Client::new(&addr);
                let mut s = Client::new(&addr);
                let mut r = Load {
                    cycles: 0,
                    lines: 0,
                    errors: 0,
                    first_error: None,
                    seconds: 0.0,
                    latencies_us: vec![],
                    cycle_us: vec![],
                };
                if let Err(e) =
                    h.login(&plan.hospital_user, PASSWORD).and_then(|_| s.login(&plan.supplier_user, PASSWORD))
                {
                    r.errors += 1;
                    r.first_error = Some(e);
                    return r;
                }
                let deadline = Instant::now() + Duration::from_secs(secs);
                let mut i = 0u64;
                while Instant::now() < deadline && !stop.load(Ordering::Relaxed) && i < max {
                    i += 1;
                    let t = Instant::now();
                    match cycle(&mut h, &mut s, &plan, &format!("bench-{tag}-{k}-{i}"), &mut r.latencies_us) {
                        Ok(n) => {
                            r.cycles += 1;
                            r.lines += n;
                            r.cycle_us.push(t.elapsed().as_micros() as u64);
                        }
                        Err(e) => {
                            r.errors += 1;
                            if r.first_error.is_none() {
                                r.first_error = Some(e);
                            }
                            if r.errors > 20 {
                                break;
                            }
                        }
                    }
                }
                r
            })
        })
        .collect();
    let mut total = Load {
        cycles: 0,
        lines: 0,
        errors: 0,
        first_error: None,
        seconds: 0.0,
        latencies_us: vec![],
        cycle_us: vec![],
    };
    for h in handles {
        if let Ok(r) = h.join() {
            total.cycles += r.cycles;
            total.lines += r.lines;
            total.errors += r.errors;
            total.first_error = total.first_error.or(r.first_error);
            total.latencies_us.extend(r.latencies_us);
            total.cycle_us.extend(r.cycle_us);
        }
    }
    stop.store(true, Ordering::Relaxed);
    total.seconds = started.elapsed().as_secs_f64();
    total
}

/// The read path: the payment-status page as the distributors, statuses rotated; or, with
/// `only`, that one path (the HTTP floor: `/healthz`, one pooled `SELECT 1`).
fn read_path(
    addr: &str,
    suppliers: &[String],
    clients: usize,
    secs: u64,
    max: u64,
    only: Option<&'static str>,
) -> Load {
    const STATUSES: [&str; 6] =
        ["awaiting_invoice", "awaiting_hospital_confirmation", "confirmed", "approved", "paid", "overdue"];
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|k| {
            let user = suppliers[k % suppliers.len()].clone();
            let addr = addr.to_string();
            std::thread::spawn(move || {
                let mut c = Client::new(&addr);
                let mut r = Load {
                    cycles: 0,
                    lines: 0,
                    errors: 0,
                    first_error: None,
                    seconds: 0.0,
                    latencies_us: vec![],
                    cycle_us: vec![],
                };
                if let Err(e) = c.login(&user, PASSWORD) {
                    r.errors += 1;
                    r.first_error = Some(e);
                    return r;
                }
                let deadline = Instant::now() + Duration::from_secs(secs);
                let mut i = 0u64;
                while Instant::now() < deadline && i < max {
                    let st = STATUSES[(i as usize + k) % STATUSES.len()];
                    i += 1;
                    let t = Instant::now();
                    let path = match only {
                        Some(p) => p.to_string(),
                        None => format!("/api/v1/payables?per_page=50&sort=due_date&status={st}"),
                    };
                    match c.send("GET", &path, None, None) {
                        Ok((200, b)) => {
                            r.latencies_us.push(t.elapsed().as_micros() as u64);
                            r.cycles += 1;
                            if b.contains("\"items\":[{") {
                                r.lines += 1;
                            }
                        }
                        Ok((code, b)) => {
                            r.errors += 1;
                            r.first_error.get_or_insert(format!("{code} {}", b.chars().take(200).collect::<String>()));
                        }
                        Err(e) => {
                            r.errors += 1;
                            r.first_error.get_or_insert(e);
                        }
                    }
                }
                r
            })
        })
        .collect();
    let mut total = Load {
        cycles: 0,
        lines: 0,
        errors: 0,
        first_error: None,
        seconds: 0.0,
        latencies_us: vec![],
        cycle_us: vec![],
    };
    for h in handles {
        if let Ok(r) = h.join() {
            total.cycles += r.cycles;
            total.lines += r.lines;
            total.errors += r.errors;
            total.first_error = total.first_error.or(r.first_error);
            total.latencies_us.extend(r.latencies_us);
        }
    }
    total.seconds = started.elapsed().as_secs_f64();
    total
}

/// The cheapest request that reaches the database: what any endpoint costs at least.
const HTTP_FLOOR: &str = "/healthz";

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

fn p99(ms: Option<f64>) -> String {
    ms.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into())
}

fn mean_ms(latencies_us: &[u64]) -> f64 {
    latencies_us.iter().sum::<u64>() as f64 / latencies_us.len().max(1) as f64 / 1000.0
}

// ---------------------------------------------------------------- baselines

/// One pgbench run: transactions per second, average latency in ms, and (for a floor, whose
/// transactions are logged) the latencies' p99 in ms.
struct Pgbench {
    tps: f64,
    avg_ms: f64,
    p99_ms: Option<f64>,
}

fn pgbench(
    pgc: &PgCluster,
    db: &str,
    args: &[&str],
    clients: usize,
    secs: u64,
    percentiles: bool,
) -> Result<Pgbench, String> {
    // Per-transaction log (`-l`): one file per pgbench thread, the latency in µs third.
    let logs = pgc.dir.join(format!("pgbench-log-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&logs);
    let mut cmd = pg("pgbench");
    cmd.args(["-h", "127.0.0.1", "-p", &pgc.port.to_string(), "-U", "postgres", "-n", "-j", "2"])
        .args(["-c", &clients.to_string(), "-T", &secs.to_string()])
        .args(args);
    if percentiles {
        std::fs::create_dir_all(&logs).map_err(|e| e.to_string())?;
        if is_root() {
            Command::new("chown").args(["postgres:postgres"]).arg(&logs).status().map_err(|e| e.to_string())?;
        }
        cmd.arg("-l").arg(format!("--log-prefix={}", logs.join("tx").display()));
    }
    let out = cmd.arg(db).output().map_err(|e| format!("pgbench: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let figure = |prefix: &str, nth: usize| -> Option<f64> {
        text.lines().find(|l| l.starts_with(prefix)).and_then(|l| l.split_whitespace().nth(nth)?.parse().ok())
    };
    let p99_ms = percentiles.then(|| {
        let mut us: Vec<u64> = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|f| std::fs::read_to_string(f.path()).ok())
            .flat_map(|t| t.lines().filter_map(|l| l.split_whitespace().nth(2)?.parse().ok()).collect::<Vec<u64>>())
            .collect();
        pct(&mut us, 0.99)
    });
    let _ = std::fs::remove_dir_all(&logs);
    match (figure("tps = ", 2), figure("latency average = ", 3)) {
        (Some(tps), Some(avg_ms)) if out.status.success() => Ok(Pgbench { tps, avg_ms, p99_ms }),
        _ => Err(format!("pgbench failed: {} {}", text, String::from_utf8_lossy(&out.stderr))),
    }
}

/// The generation's floor (PostgreSQL): the generated rows, already serialized by `pg_dump`,
/// loaded into a fresh schema by `pg_restore` with the generator's settings (no triggers, the
/// document tables' secondary indexes dropped while loading, asynchronous commit, two workers
/// as the generator has two threads), then the same indexes and `VACUUM ANALYZE`: what
/// PostgreSQL alone takes to take these rows in on this machine. (load s, total s)
fn generation_floor(pgc: &PgCluster) -> Result<(f64, f64), String> {
    use diesel::connection::SimpleConnection;
    let dump = pgc.dir.join("generated.dump");
    let port = pgc.port.to_string();
    let server = ["-h", "127.0.0.1", "-p", port.as_str(), "-U", "postgres"];
    let ok = |what: &str, st: std::io::Result<std::process::ExitStatus>| match st {
        Ok(s) if s.success() => Ok(()),
        other => Err(format!("{what} failed: {other:?}")),
    };
    ok(
        "pg_dump",
        pg("pg_dump")
            .args(server)
            .args(["--data-only", "-Fc", "-Z", "0", "--exclude-table=__diesel_schema_migrations", "-f"])
            .arg(&dump)
            .arg("jicai")
            .status(),
    )?;
    pgc.createdb("floor")?;
    let mut conn =
        DbUrl::parse(&pgc.url("floor")).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
    jicai_domain::db::run_migrations(&mut conn).map_err(|e| e.to_string())?;
    let deferred = gen::secondary_indexes(&mut conn).map_err(|e| e.to_string())?;
    for (name, _) in &deferred {
        conn.batch_execute(&format!("DROP INDEX {name}")).map_err(|e| e.to_string())?;
    }
    let t = Instant::now();
    ok(
        "pg_restore",
        pg("pg_restore")
            .env("PGOPTIONS", "-c synchronous_commit=off")
            .args(server)
            .args(["--data-only", "--disable-triggers", "-j", "2", "-d", "floor"])
            .arg(&dump)
            .status(),
    )?;
    let load = t.elapsed().as_secs_f64();
    conn.batch_execute("SET maintenance_work_mem = '1GB'").map_err(|e| e.to_string())?;
    for (_, create) in &deferred {
        conn.batch_execute(create).map_err(|e| e.to_string())?;
    }
    conn.batch_execute("VACUUM ANALYZE").map_err(|e| e.to_string())?;
    let total = t.elapsed().as_secs_f64();
    let restored: i64 = payables::table.count().get_result(&mut conn).map_err(|e| e.to_string())?;
    drop(conn);
    let mut source =
        DbUrl::parse(&pgc.url("jicai")).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
    let generated: i64 = payables::table.count().get_result(&mut source).map_err(|e| e.to_string())?;
    if restored != generated {
        return Err(format!("generation floor: {restored} payables restored of {generated}"));
    }
    let _ = std::fs::remove_file(&dump);
    ok("dropdb", pg("dropdb").args(server).arg("floor").status())?;
    Ok((load, total))
}

/// The floors: what PostgreSQL alone does for the work a request cannot skip (`bench/sql/`),
/// through pgbench in the same run, so each target can be set against what the machine can do.
struct Floors {
    dir: PathBuf,
    plans: i64,
    distributors: i64,
}

impl Floors {
    fn setup(pgc: &PgCluster, url: &str) -> Result<Floors, String> {
        use diesel::connection::SimpleConnection;
        let mut conn = DbUrl::parse(url).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
        conn.batch_execute(include_str!("../sql/floor_setup.sql")).map_err(|e| format!("floor setup: {e}"))?;
        let count = |conn: &mut DbConnection, table: &str| -> Result<i64, String> {
            #[derive(QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
                .get_result::<N>(conn)
                .map(|r| r.n)
                .map_err(|e| e.to_string())
        };
        let floors = Floors {
            dir: pgc.dir.clone(),
            plans: count(&mut conn, "floor_plan")?,
            distributors: count(&mut conn, "floor_dist")?,
        };
        for (name, text) in [
            ("write_floor.sql", include_str!("../sql/write_floor.sql")),
            ("read_floor.sql", include_str!("../sql/read_floor.sql")),
        ] {
            std::fs::write(floors.dir.join(name), text).map_err(|e| e.to_string())?;
        }
        Ok(floors)
    }

    /// Procurement cycles per second (and ms per cycle) with `clients` connections.
    fn write(&self, pgc: &PgCluster, clients: usize, secs: u64) -> Result<Pgbench, String> {
        let plans = format!("nplans={}", self.plans);
        let script = self.dir.join("write_floor.sql");
        pgbench(pgc, "jicai", &["-M", "prepared", "-D", &plans, "-f", &script.to_string_lossy()], clients, secs, true)
    }

    /// Payment-status pages per second (and ms per page) with `clients` connections.
    fn read(&self, pgc: &PgCluster, clients: usize, secs: u64) -> Result<Pgbench, String> {
        let dist = format!("ndist={}", self.distributors);
        let today = format!("today={}", gen::as_of());
        let script = self.dir.join("read_floor.sql");
        pgbench(
            pgc,
            "jicai",
            &["-M", "prepared", "-D", &dist, "-D", &today, "-f", &script.to_string_lossy()],
            clients,
            secs,
            true,
        )
    }

    fn teardown(url: &str) -> Result<(), String> {
        use diesel::connection::SimpleConnection;
        let mut conn = DbUrl::parse(url).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
        conn.batch_execute(include_str!("../sql/floor_teardown.sql")).map_err(|e| e.to_string())
    }
}

/// The one-day floor (`bench/sql/day_floor.sql`): the rows one day of the sweep and the watch
/// must change, in bare SQL, timed inside a transaction that is rolled back. `hot` times the
/// variant whose batching sets only `batch_id`. Returns the seconds, the payables updated and
/// how many of those updates were HOT (no index entries), from the transaction's own counts.
fn day_floor(url: &str, day: &str, hot: bool) -> Result<(f64, i64, i64), String> {
    use diesel::connection::SimpleConnection;
    #[derive(QueryableByName)]
    struct Updates {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n_tup_upd: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n_tup_hot_upd: i64,
    }
    let other = if hot { "-- stage-variant" } else { "-- HOT-variant" };
    let sql = include_str!("../sql/day_floor.sql")
        .lines()
        .filter(|l| !l.contains(other))
        .collect::<Vec<_>>()
        .join("\n")
        .replace(":day", &format!("'{day}'"));
    let mut conn = DbUrl::parse(url).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
    conn.batch_execute("BEGIN").map_err(|e| e.to_string())?;
    let t = Instant::now();
    let done = conn.batch_execute(&sql).map_err(|e| format!("day floor: {e}"));
    let secs = t.elapsed().as_secs_f64();
    let counts = done.and_then(|_| {
        diesel::sql_query("SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables WHERE relname = 'payables'")
            .get_result::<Updates>(&mut conn)
            .map_err(|e| e.to_string())
    });
    conn.batch_execute("ROLLBACK").map_err(|e| e.to_string())?;
    let counts = counts?;
    Ok((secs, counts.n_tup_upd, counts.n_tup_hot_upd))
}

/// Transactions of 4 single-row inserts (one per write request of a cycle), one writer, the
/// server's pragmas (WAL, synchronous=NORMAL): what SQLite commits per second here.
fn sqlite_baseline(dir: &Path, secs: u64) -> Result<f64, String> {
    use diesel::connection::SimpleConnection;
    let path = dir.join("baseline.db");
    let _ = std::fs::remove_file(&path);
    let mut c = diesel::SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| e.to_string())?;
    c.batch_execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (id TEXT PRIMARY KEY, a BIGINT NOT NULL, b TEXT NOT NULL);")
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < Duration::from_secs(secs) && n < 5_000_000 {
        c.batch_execute("BEGIN IMMEDIATE").map_err(|e| e.to_string())?;
        for j in 0..4 {
            diesel::sql_query("INSERT INTO t (id, a, b) VALUES (?, ?, ?)")
                .bind::<diesel::sql_types::Text, _>(format!("{n}-{j}"))
                .bind::<diesel::sql_types::BigInt, _>(n as i64)
                .bind::<diesel::sql_types::Text, _>("payload payload payload payload")
                .execute(&mut c)
                .map_err(|e| e.to_string())?;
        }
        c.batch_execute("COMMIT").map_err(|e| e.to_string())?;
        n += 1;
    }
    Ok(n as f64 / started.elapsed().as_secs_f64())
}

/// Runs jobs through `jicai jobs run`: the wall time, the process's peak resident memory (KiB),
/// the bytes it read from the disk (SQLite reads its file in the process) and what the jobs
/// reported doing.
fn time_job(url: &str, jobs: &[&str], as_of: &str) -> Result<(f64, u64, u64, String), String> {
    use std::io::Read;
    let t = Instant::now();
    let mut child = Command::new(jicai_bin())
        .args(["jobs", "run"])
        .args(jobs)
        .args(["--as-of", as_of])
        .env("DATABASE_URL", url)
        .env("JICAI_FAKE_NOW", gen::as_of().to_string())
        .env("JICAI_MAIL_DIR", std::env::temp_dir().join("jicai-bench-mail"))
        .env("JICAI_SEALING_KEY_FILE", sealing_key_file())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let mut stderr = child.stderr.take().ok_or("stderr")?;
    let errors = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    // The job's peak memory: its VmHWM, read until it exits. (wait4's ru_maxrss would also count
    // the pages it shared with this process between fork and exec.)
    let pid = child.id();
    let peak = std::thread::spawn(move || {
        let mut kib = 0;
        while let Some(v) = vm_hwm_kib(pid) {
            kib = v;
            std::thread::sleep(Duration::from_millis(20));
        }
        kib
    });
    let mut stdout = String::new();
    child.stdout.take().ok_or("stdout")?.read_to_string(&mut stdout).map_err(|e| e.to_string())?;
    let peak_kib = peak.join().unwrap_or(0);
    // wait4 instead of Child::wait: the bytes the job read from the disk come with it.
    let (mut status, mut usage) = (0, unsafe { std::mem::zeroed::<libc::rusage>() });
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    let stderr = errors.join().unwrap_or_default();
    if waited < 0 || !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
        return Err(format!("jobs {jobs:?} failed: {}", stderr.chars().take(400).collect::<String>()));
    }
    let secs = t.elapsed().as_secs_f64();
    // What each job did, from its report line (`<job> as of <date>: {counts} (run <id>)`).
    let did: Vec<String> = stdout
        .lines()
        .filter_map(|l| Some(l[l.find('{')?..=l.rfind('}')?].to_string()))
        .map(|j| match serde_json::from_str::<serde_json::Value>(&j) {
            Ok(serde_json::Value::Object(mut m)) => {
                m.remove("run_ids");
                serde_json::Value::Object(m).to_string()
            }
            _ => j,
        })
        .collect();
    let did = did.join(" ");
    // A job that refused its work (a retention run with inputs missing) measured nothing.
    if did.contains("\"skipped\":[\"") {
        return Err(format!("jobs {jobs:?} skipped their work: {}", did.chars().take(300).collect::<String>()));
    }
    Ok((secs, peak_kib, usage.ru_inblock as u64 * 512, did))
}

/// PostgreSQL's reads of the database so far: blocks read from outside its shared buffers (from
/// the OS cache or the disk) and the milliseconds spent reading them (`track_io_timing`).
fn pg_reads(url: &str) -> Option<(i64, f64)> {
    #[derive(QueryableByName)]
    struct Reads {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        blocks: i64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        ms: f64,
    }
    let mut conn = DbUrl::parse(url).ok()?.establish().ok()?;
    diesel::sql_query(
        "SELECT blks_read AS blocks, blk_read_time AS ms FROM pg_stat_database WHERE datname = current_database()",
    )
    .get_result::<Reads>(&mut conn)
    .ok()
    .map(|r| (r.blocks, r.ms))
}

// ---------------------------------------------------------------- statements per cycle

/// Cycles counted by `statements_per_cycle`.
const STATEMENT_CYCLES: u64 = 20;

/// What one procurement cycle asks of PostgreSQL: `cycles` cycles, one after another by one
/// client (signed in before), counted by `pg_stat_statements` (top-level statements, BEGIN and
/// COMMIT included, as pgbench's TPC-B counts its 7). Returns the statements per cycle and the
/// statements that make them up, most called first, each with its calls per cycle.
fn statements_per_cycle(url: &str, addr: &str, plan: &Plan, cycles: u64) -> Result<(f64, Vec<(f64, String)>), String> {
    #[derive(QueryableByName)]
    struct Stat {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        calls: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        query: String,
    }
    let mut conn = DbUrl::parse(url).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
    let run = |conn: &mut DbConnection, q: &str| diesel::sql_query(q).execute(conn).map_err(|e| format!("{q}: {e}"));
    run(&mut conn, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")?;
    let mut h = Client::new(addr);
    let mut s = Client::new(addr);
    h.login(&plan.hospital_user, PASSWORD)?;
    s.login(&plan.supplier_user, PASSWORD)?;
    // One cycle first, so that the server's pool and caches are warm and not counted.
    let mut lat = Vec::new();
    cycle(&mut h, &mut s, plan, &format!("statements-warm-{}", std::process::id()), &mut lat)?;
    run(&mut conn, "SELECT pg_stat_statements_reset()")?;
    for i in 0..cycles {
        cycle(&mut h, &mut s, plan, &format!("statements-{}-{i}", std::process::id()), &mut lat)?;
    }
    let rows: Vec<Stat> = diesel::sql_query(
        "SELECT s.calls, s.query FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
         WHERE d.datname = current_database() AND s.toplevel AND s.query NOT LIKE '%pg_stat_statements%' \
         ORDER BY s.calls DESC, s.query",
    )
    .load(&mut conn)
    .map_err(|e| e.to_string())?;
    let total: i64 = rows.iter().map(|r| r.calls).sum();
    let n = cycles as f64;
    let breakdown = rows
        .into_iter()
        .map(|r| (r.calls as f64 / n, r.query.split_whitespace().collect::<Vec<_>>().join(" ")))
        .collect();
    Ok((total as f64 / n, breakdown))
}

// ---------------------------------------------------------------- the run

/// Load alone against a server already running on `addr` over the database at `url` (already
/// generated): the write path at each client count, then the read path. For profiling one step
/// without regenerating the data; the figures are those of `run`'s tables, on one line each.
pub fn load(url: &str, addr: &str, clients: &[usize], read_clients: usize, secs: u64, max: u64) -> Result<(), String> {
    let db = DbUrl::parse(url).map_err(|e| e.to_string())?;
    let mut conn = db.establish().map_err(|e| e.to_string())?;
    let plans = plans(&mut conn, clients.iter().copied().max().unwrap_or(16))?;
    let suppliers = distributor_users(&mut conn)?;
    drop(conn);
    for &c in clients {
        let mut l = write_path(addr, &plans, c, secs, max, &format!("load{}-{c}", std::process::id()));
        println!(
            "write {c} clients: {:.1} acceptances/s, request ms p50/p95/p99 {:.1}/{:.1}/{:.1}, errors {} {}",
            l.cycles as f64 / l.seconds,
            pct(&mut l.latencies_us, 0.5),
            pct(&mut l.latencies_us, 0.95),
            pct(&mut l.latencies_us, 0.99),
            l.errors,
            l.first_error.unwrap_or_default()
        );
    }
    if read_clients > 0 {
        let mut r = read_path(addr, &suppliers, read_clients, secs, max, None);
        println!(
            "read {read_clients} clients: {:.1} req/s, ms p50/p99 {:.1}/{:.1}, errors {} {}",
            r.cycles as f64 / r.seconds,
            pct(&mut r.latencies_us, 0.5),
            pct(&mut r.latencies_us, 0.99),
            r.errors,
            r.first_error.unwrap_or_default()
        );
        let mut h = read_path(addr, &suppliers, read_clients, secs, max, Some(HTTP_FLOOR));
        println!(
            "GET {HTTP_FLOOR} {read_clients} clients: {:.1} req/s, ms mean/p50/p99 {:.1}/{:.1}/{:.1}, errors {}",
            h.cycles as f64 / h.seconds,
            mean_ms(&h.latencies_us),
            pct(&mut h.latencies_us, 0.5),
            pct(&mut h.latencies_us, 0.99),
            h.errors
        );
    }
    Ok(())
}

fn distributor_users(conn: &mut DbConnection) -> Result<Vec<String>, String> {
    users::table
        .inner_join(organizations::table)
        .filter(organizations::is_distributor.eq(true))
        .select(users::username)
        .load(conn)
        .map_err(|e| e.to_string())
}

pub fn run(o: &Opts) -> Result<String, String> {
    let save = |md: &str| {
        if let Some(path) = &o.out {
            if let Err(e) = std::fs::write(path, md) {
                eprintln!("{path}: {e}");
            }
        }
    };
    let mut md = String::new();
    md.push_str(&format!(
        "## `jicai-bench run --scale {} --seed {}` ({} s per load step)\n\nMachine: {}.\n\n",
        o.scale.name,
        o.seed,
        o.seconds,
        machine()
    ));
    let tmp = std::env::temp_dir().join(format!("jicai-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).map_err(|e| e.to_string())?;
    for backend in &o.backends {
        let (pg_cluster, url) = match backend.as_str() {
            "sqlite" => (None, format!("sqlite://{}", tmp.join("bench.db").display())),
            "postgres" => {
                let c = PgCluster::start()?;
                c.createdb("jicai")?;
                let url = c.url("jicai");
                (Some(c), url)
            }
            other => return Err(format!("unknown backend {other}")),
        };
        eprintln!("[{backend}] generating {} data", o.scale.name);
        let db = DbUrl::parse(&url).map_err(|e| e.to_string())?;
        let mut conn = db.establish().map_err(|e| e.to_string())?;
        jicai_domain::db::run_migrations(&mut conn).map_err(|e| e.to_string())?;
        let summary = gen::generate(&mut conn, o.scale, o.seed, |m| eprintln!("[{backend}] {m}"))?;
        let t = Instant::now();
        let report = crate::check::check(&mut conn)?;
        let check_s = t.elapsed().as_secs_f64();
        if !report.ok() {
            return Err(format!("check failed: {:?}", report.lines.iter().filter(|l| l.1 != 0).collect::<Vec<_>>()));
        }
        let payables_n: i64 = payables::table.count().get_result(&mut conn).map_err(|e| e.to_string())?;
        let plans = plans(&mut conn, o.clients.iter().copied().max().unwrap_or(16))?;
        let suppliers = distributor_users(&mut conn)?;
        drop(conn);
        md.push_str(&format!(
            "### {backend}, scale `{}`\n\nData: {} rows ({} payables) generated in {:.1} s ({:.0} rows/s); `check`: {} rules, all hold ({:.1} s).\n\n",
            o.scale.name,
            summary.rows,
            payables_n,
            summary.seconds,
            summary.rows as f64 / summary.seconds,
            report.lines.len(),
            check_s
        ));
        if let (true, Some(pgc)) = (o.generation_floor, &pg_cluster) {
            eprintln!("[{backend}] generation floor");
            let (load, total) = generation_floor(pgc)?;
            md.push_str(&format!(
                "Generation floor (the same rows from a `pg_dump` through `pg_restore -j 2`, no triggers, then the same indexes and `VACUUM ANALYZE`): {total:.1} s (load {load:.1} s, indexes and vacuum {:.1} s); the generator takes {:.0}% of the floor's time.\n\n",
                total - load,
                100.0 * summary.seconds / total
            ));
        }
        save(&md);

        // Baselines first, on an idle server.
        if let Some(pgc) = &pg_cluster {
            pgc.createdb("pgbench")?;
            let init = pg("pgbench")
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &pgc.port.to_string(),
                    "-U",
                    "postgres",
                    "-i",
                    "-q",
                    "-s",
                    "10",
                    "pgbench",
                ])
                .output()
                .map_err(|e| e.to_string())?;
            if !init.status.success() {
                return Err(format!("pgbench -i: {}", String::from_utf8_lossy(&init.stderr)));
            }
        }
        let floors = match &pg_cluster {
            Some(pgc) => Some(Floors::setup(pgc, &url)?),
            None => None,
        };
        let mut floor_rows = Vec::new();

        let server = Server::start(&url)?;
        if pg_cluster.is_some() {
            eprintln!("[{backend}] statements per cycle");
            let (per_cycle, breakdown) = statements_per_cycle(&url, &server.addr, &plans[0], STATEMENT_CYCLES)?;
            md.push_str(&format!(
                "**Statements per procurement cycle** (`pg_stat_statements`, top level, BEGIN and COMMIT included; {STATEMENT_CYCLES} cycles by one client after a warm-up cycle; TPC-B's transaction is 7): **{per_cycle:.1}**\n\n| per cycle | statement |\n|---|---|\n"
            ));
            for (calls, query) in &breakdown {
                let q: String = query.chars().take(160).collect();
                md.push_str(&format!("| {calls:.2} | `{}` |\n", q.replace('|', "\\|").replace('`', "'")));
            }
            md.push('\n');
            save(&md);
        }
        let mut rows_w = Vec::new();
        for &c in &o.clients {
            let base = match &pg_cluster {
                Some(pgc) => pgbench(pgc, "pgbench", &[], c, o.seconds, false).map(|b| ("pgbench TPC-B tps", b.tps)),
                None => sqlite_baseline(&tmp, o.seconds).map(|tps| ("SQLite insert-loop tx/s (1 writer)", tps)),
            }?;
            eprintln!("[{backend}] write path, {c} clients");
            let mut l = write_path(&server.addr, &plans, c, o.seconds, o.max_requests, &format!("{c}"));
            let acc = l.cycles as f64 / l.seconds;
            if let (Some(f), Some(pgc)) = (&floors, &pg_cluster) {
                eprintln!("[{backend}] write floor, {c} clients");
                let b = f.write(pgc, c, o.seconds)?;
                floor_rows.push(format!(
                    "| write: one cycle's rows in 4 durable transactions (`write_floor.sql`) | {c} | {:.1} | {:.1} / {} | {:.0}% of TPC-B | {:.0}% |",
                    b.tps,
                    b.avg_ms,
                    p99(b.p99_ms),
                    100.0 * b.tps / base.1,
                    100.0 * acc / b.tps
                ));
            }

            rows_w.push(format!(
                "| {c} | {:.1} | {:.1} | {:.1} / {:.1} / {:.1} | {:.1} / {:.1} / {:.1} | {} | {} = {:.1} | {:.0}% |",
                l.lines as f64 / l.seconds,
                acc,
                pct(&mut l.latencies_us, 0.5),
                pct(&mut l.latencies_us, 0.95),
                pct(&mut l.latencies_us, 0.99),
                pct(&mut l.cycle_us, 0.5),
                pct(&mut l.cycle_us, 0.95),
                pct(&mut l.cycle_us, 0.99),
                l.errors,
                base.0,
                base.1,
                100.0 * acc / base.1
            ));
            if let Some(e) = &l.first_error {
                eprintln!("[{backend}] first write error: {e}");
            }
        }
        md.push_str("**Write path** (one cycle = login once, then order of 3 lines → supplier confirm → ship → hospital accept; 4 requests):\n\n| clients | order lines/s | acceptances/s | request ms p50 / p95 / p99 | cycle ms p50 / p95 / p99 | errors | baseline | acceptances/s ÷ baseline |\n|---|---|---|---|---|---|---|---|\n");
        md.push_str(&rows_w.join("\n"));
        md.push_str("\n\n");
        save(&md);

        eprintln!("[{backend}] read path, {} clients", o.read_clients);
        let base_r = match &pg_cluster {
            Some(pgc) => Some(pgbench(pgc, "pgbench", &["-S"], o.read_clients, o.seconds, false)?.tps),
            None => None,
        };
        let mut r = read_path(&server.addr, &suppliers, o.read_clients, o.seconds, o.max_requests, None);
        let rps = r.cycles as f64 / r.seconds;
        eprintln!("[{backend}] HTTP floor, {} clients", o.read_clients);
        let mut h = read_path(&server.addr, &suppliers, o.read_clients, o.seconds, o.max_requests, Some(HTTP_FLOOR));
        let h_rps = h.cycles as f64 / h.seconds;
        floor_rows.push(format!(
            "| HTTP: `GET {HTTP_FLOOR}` through the server (no token check; one pooled `SELECT 1`) | {} | {h_rps:.1} | {:.1} / {:.1} | {} | {:.0}% |",
            o.read_clients,
            mean_ms(&h.latencies_us),
            pct(&mut h.latencies_us, 0.99),
            base_r.map(|b| format!("{:.1}% of `pgbench -S`", 100.0 * h_rps / b)).unwrap_or_else(|| "—".into()),
            100.0 * rps / h_rps
        ));
        if let (Some(f), Some(pgc), Some(b)) = (&floors, &pg_cluster, base_r) {
            eprintln!("[{backend}] read floor, {} clients", o.read_clients);
            let f = f.read(pgc, o.read_clients, o.seconds)?;
            floor_rows.push(format!(
                "| read: the 50-row page query alone (`read_floor.sql`) | {} | {:.1} | {:.1} / {} | {:.1}% of `pgbench -S` | {:.0}% |",
                o.read_clients,
                f.tps,
                f.avg_ms,
                p99(f.p99_ms),
                100.0 * f.tps / b,
                100.0 * rps / f.tps
            ));
            Floors::teardown(&url)?;
        }

        md.push_str(&format!(
            "**Read path** (`GET /api/v1/payables?per_page=50&sort=due_date&status=…` as the distributors, statuses rotated, over {payables_n} payables):\n\n| clients | req/s | p50 ms | p99 ms | errors | baseline | ratio |\n|---|---|---|---|---|---|---|\n| {} | {:.1} | {:.1} | {:.1} | {} | {} | {} |\n\n",
            o.read_clients,
            rps,
            pct(&mut r.latencies_us, 0.5),
            pct(&mut r.latencies_us, 0.99),
            r.errors,
            base_r.map(|b| format!("pgbench -S = {b:.0} tps")).unwrap_or_else(|| "—".into()),
            base_r.map(|b| format!("{:.1}%", 100.0 * rps / b)).unwrap_or_else(|| "—".into()),
        ));
        if let Some(e) = &r.first_error {
            eprintln!("[{backend}] first read error: {e}");
        }
        if !floor_rows.is_empty() {
            md.push_str("**Floors** (same run: the SQL each step cannot do without, through `pgbench -M prepared` with no server (scripts in `bench/sql/`, PostgreSQL); and the cheapest request through the server):\n\n| floor | clients | tps | latency ms avg / p99 | floor ÷ baseline | platform ÷ floor |\n|---|---|---|---|---|---|\n");
            md.push_str(&floor_rows.join("\n"));
            md.push_str("\n\n");
        }
        let mem = server.peak_memory_kib();
        drop(server);
        md.push_str(&format!(
            "**Server peak memory** (VmHWM after the write and read paths): {:.1} MiB\n\n",
            mem as f64 / 1024.0
        ));
        save(&md);

        if o.jobs {
            let as_of = gen::as_of().to_string();
            // The day after the data's last: that day's lapsed confirmations and payables
            // falling due, with the unbatched confirmations and the overdue backlog the data
            // leave behind (the generator writes the year as the jobs would have left it).
            let next_day = (gen::as_of() + chrono::Days::new(1)).to_string();
            // The one-day floor first (PostgreSQL): one untimed pass leaves the day's rows in
            // the caches, as the timed passes and the one-day job then find them.
            let mut day_floors = Vec::new();
            if pg_cluster.is_some() {
                eprintln!("[{backend}] one-day floor");
                day_floor(&url, &next_day, true)?;
                for (label, hot) in [
                    ("as the code does it: batching sets only `batch_id` (in no index: the update may be HOT)", true),
                    (
                        "if batching set `stage` too, as before migration 000015 (indexed: every index gets an entry)",
                        false,
                    ),
                ] {
                    day_floors.push((label, day_floor(&url, &next_day, hot)?));
                }
            }
            let mut one_day_s = None;
            let mut jrows = Vec::new();
            for (label, jobs, date) in [
                (
                    "one day: settlement-sweep + deadline-watch",
                    vec!["settlement-sweep", "deadline-watch"],
                    next_day.as_str(),
                ),
                ("full-year overdue sweep: late-interest", vec!["late-interest"], next_day.as_str()),
                ("retention, whole region", vec!["retention"], as_of.as_str()),
                ("monthly statements, every hospital", vec!["monthly-statements"], next_day.as_str()),
            ] {
                eprintln!("[{backend}] job {label}");
                let before = pg_cluster.as_ref().and_then(|_| pg_reads(&url));
                let cell = match time_job(&url, &jobs, date) {
                    Ok((s, rss, disk, did)) => {
                        if jobs[0] == "settlement-sweep" {
                            one_day_s = Some(s);
                        }
                        // The job's connections flush their statistics as they end.
                        std::thread::sleep(Duration::from_millis(500));
                        let reads = match (before, pg_cluster.as_ref().and_then(|_| pg_reads(&url))) {
                            (Some((b0, t0)), Some((b1, t1))) => {
                                format!("{:.2} GiB in {:.1} s", (b1 - b0) as f64 * 8192.0 / GIB, (t1 - t0) / 1000.0)
                            }
                            _ => format!("{:.2} GiB from disk", disk as f64 / GIB),
                        };
                        format!("{s:.2} | {:.0} | {reads} | `{}`", rss as f64 / 1024.0, did.replace('|', "/"))
                    }
                    Err(e) => format!("failed | | | {}", e.replace('|', "/").replace('\n', " ")),
                };
                jrows.push(format!("| {label} | `jicai jobs run {} --as-of {date}` | {cell} |", jobs.join(" ")));
                save(&format!("{md}(jobs so far)\n{}\n", jrows.join("\n")));
            }
            md.push_str("**Jobs** (wall time of the `jicai` process, including start-up and migration check; its peak resident memory; what the database read: PostgreSQL's blocks read from outside its shared buffers and the time spent reading them, or the bytes SQLite read from the disk; what each job reported doing):\n\n| job | command | seconds | peak MiB | reads | done |\n|---|---|---|---|---|---|\n");
            md.push_str(&jrows.join("\n"));
            md.push_str("\n\n");
            if !day_floors.is_empty() {
                md.push_str("**One-day floor** (same run, before the jobs: the rows one day of the sweep and the watch must change, in bare SQL (`bench/sql/day_floor.sql`), timed in a transaction that is rolled back, after one untimed pass; no mail, audit or job record):\n\n| variant | seconds | payables updated | of which HOT | one-day job ÷ floor |\n|---|---|---|---|---|\n");
                for (label, (secs, updated, hot)) in &day_floors {
                    md.push_str(&format!(
                        "| {label} | {secs:.2} | {updated} | {hot} | {} |\n",
                        one_day_s.map(|j| format!("{:.1}×", j / secs)).unwrap_or_else(|| "—".into())
                    ));
                }
                md.push('\n');
            }
            // The tender's opening beside the jobs: a tender of the scale's size, in its own
            // database of the same backend (the generated region is not the tender's).
            let size = tender_size(o.scale.name);
            let tender_url = match &pg_cluster {
                Some(c) => {
                    c.createdb("tender")?;
                    c.url("tender")
                }
                None => format!("sqlite://{}", tmp.join("tender.db").display()),
            };
            let mut tconn =
                DbUrl::parse(&tender_url).map_err(|e| e.to_string())?.establish().map_err(|e| e.to_string())?;
            eprintln!(
                "[{backend}] tender: {} generics × {} bidders, {} hospitals",
                size.generics, size.bidders, size.hospitals
            );
            md.push_str("**Tender opening** (same run, its own database: a tender written through the operations, then `open_tender` timed as the officer's button runs it, beside the same rules over the same bids in memory; see `jicai-bench tender`):\n\n");
            match crate::tender::run(&mut tconn, &size, |m| eprintln!("[{backend}] {m}")) {
                Ok(table) => md.push_str(&table),
                Err(e) => md.push_str(&format!("failed: {}", e.replace('\n', " "))),
            }
            md.push_str("\n\n");
            save(&md);
        }
        drop(pg_cluster);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(tmp.join(format!("bench.db{suffix}")));
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(md)
}

/// The tender measured at each scale: the province's is the (600 generics, 20 bidders
/// each, 5,000 hospitals' demand).
fn tender_size(scale: &str) -> crate::tender::Size {
    let (generics, bidders, hospitals, lines_per_hospital) = match scale {
        "province" => (600, 20, 5_000, 60),
        "city" => (100, 10, 500, 30),
        _ => (10, 4, 20, 5),
    };
    crate::tender::Size { generics, bidders, hospitals, lines_per_hospital }
}
