//! Faults under a write load: `jicai serve` killed with SIGKILL again and again, PostgreSQL
//! restarted under 64 clients, SQLite on a full disk. The load is the procurement cycle (order,
//! confirm, ship, accept), each write with its own `Idempotency-Key`, retried with the same key
//! and body after a lost answer, as a hospital's or supplier's system would.

use crate::fixtures::*;
use jicai_tests::{cli, fresh_database, on_both_databases, sql, Backend, Server};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The note every order of the load carries, to count them afterwards.
const NOTE: &str = "fault-load";

/// What the clients saw, over the whole run.
#[derive(Default, Debug)]
struct Seen {
    /// Answers by status.
    statuses: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused or dropped).
    transport_errors: u64,
    /// 503 answers without a `Retry-After` header.
    without_retry_after: u64,
}

/// One write as it was sent, and the id its answer named.
#[derive(Clone)]
struct Sent {
    caller: Caller,
    method: &'static str,
    path: String,
    key: String,
    body: Value,
    status: u16,
    id: String,
}

/// A signed-in client of the load: its token survives server restarts (same JWT secret).
#[derive(Clone)]
struct Caller {
    token: String,
    org: String,
}

fn sign_in(base: &str, user: &str) -> Caller {
    let client = jicai_tests::Client::signed_in(base, user);
    Caller { org: org_id(&client), token: client.token.expect("token") }
}

/// Sends a write with its key until the server answers with something else than 503, retrying
/// after a dropped connection or a 503 (honouring neither more than 200 ms: the test is short).
fn answered(
    base: &str,
    caller: &Caller,
    method: &'static str,
    path: &str,
    key: &str,
    body: &Value,
    seen: &Mutex<Seen>,
) -> (u16, Value) {
    let agent =
        ureq::AgentBuilder::new().timeout_connect(Duration::from_secs(2)).timeout(Duration::from_secs(60)).build();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        assert!(Instant::now() < deadline, "{method} {path} got no answer in 3 minutes");
        let request = agent
            .request(method, &format!("{base}{path}"))
            .set("Authorization", &format!("Bearer {}", caller.token))
            .set("Idempotency-Key", key);
        match request.send_json(body.clone()) {
            Ok(r) | Err(ureq::Error::Status(_, r)) => {
                let status = r.status();
                let retry_after = r.header("Retry-After").is_some();
                let mut text = String::new();
                let read = r.into_reader().take(1 << 20).read_to_string(&mut text);
                let mut s = seen.lock().unwrap();
                if read.is_err() {
                    s.transport_errors += 1;
                    drop(s);
                    std::thread::sleep(Duration::from_millis(100));
                    continue;
                }
                *s.statuses.entry(status).or_default() += 1;
                if status == 503 {
                    if !retry_after {
                        s.without_retry_after += 1;
                    }
                    drop(s);
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
                return (status, serde_json::from_str(&text).unwrap_or(Value::Null));
            }
            Err(_) => {
                seen.lock().unwrap().transport_errors += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// One procurement cycle of `hospital` with `supplier`: every write answered once, whatever
/// happened to the server in between.
fn cycle(base: &str, hospital: &Caller, supplier: &Caller, bid: &Value, tag: &str, seen: &Mutex<Seen>) -> Vec<Sent> {
    let mut sent = Vec::new();
    let mut write =
        |caller: &Caller, method: &'static str, path: String, step: &str, body: Value, want: u16| -> Value {
            let key = format!("{tag}-{step}");
            let (status, answer) = answered(base, caller, method, &path, &key, &body, seen);
            assert_eq!(status, want, "{method} {path} ({key}): {answer}");
            let id = answer["id"].as_str().or(answer["acceptance"]["id"].as_str()).unwrap_or("").to_string();
            sent.push(Sent { caller: caller.clone(), method, path, key, body, status, id });
            answer
        };
    let mut body = order_body(&supplier.org, bid, 1);
    body["note"] = json!(NOTE);
    let order = write(hospital, "POST", "/api/v1/orders".into(), "order", body, 201);
    write(supplier, "POST", format!("/api/v1/orders/{}/confirm", id(&order)), "confirm", json!({}), 200);
    let qty = order["lines"][0]["quantity"].as_i64().unwrap();
    let delivery = write(supplier, "POST", "/api/v1/deliveries".into(), "ship", ship_body(&order, qty, "F2612"), 201);
    let path = format!("/api/v1/deliveries/{}/acceptance", id(&delivery));
    write(hospital, "POST", path, "accept", acceptance_body(&delivery, qty, 0, None), 201);
    sent
}

/// Clients running cycles until told to stop; each finishes the cycle it is in.
struct Load {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    threads: Vec<JoinHandle<Vec<Vec<Sent>>>>,
}

impl Load {
    fn start(base: &str, clients: usize) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let suppliers = [sign_in(base, "supplier1"), sign_in(base, "supplier2")];
        let mut hospitals = Vec::new();
        for n in 1..=clients.min(20) {
            hospitals.push(sign_in(base, &format!("hospital{n}")));
        }
        let mut bid_reader = jicai_tests::Client::new(base);
        bid_reader.token = Some(hospitals[0].token.clone());
        let bid = bid(&bid_reader, "依折麦布片");
        let threads = (0..clients)
            .map(|n| {
                let (base, stop, seen, bid) = (base.to_string(), stop.clone(), seen.clone(), bid.clone());
                let hospital = hospitals[n % hospitals.len()].clone();
                let supplier = suppliers[n % 2].clone();
                std::thread::spawn(move || {
                    let mut cycles = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        let tag = format!("load{n}-{}", cycles.len());
                        cycles.push(cycle(&base, &hospital, &supplier, &bid, &tag, &seen));
                    }
                    cycles
                })
            })
            .collect();
        Load { stop, seen, threads }
    }

    /// Stops the clients and returns every cycle they completed.
    fn finish(self) -> (Vec<Sent>, usize, Seen) {
        self.stop.store(true, Ordering::SeqCst);
        let mut sent = Vec::new();
        let mut cycles = 0;
        for t in self.threads {
            for c in t.join().expect("a load client panicked") {
                cycles += 1;
                sent.extend(c);
            }
        }
        let seen = std::mem::take(&mut *self.seen.lock().unwrap());
        (sent, cycles, seen)
    }
}

/// The rows of a query as `a|b|c` lines.
fn query(db: &str, q: &str) -> String {
    let (ok, out) = sql(db, q);
    assert!(ok, "{q}: {out}");
    out.trim().to_string()
}

/// What must hold after any crash: each confirmed acceptance has exactly one payable, every
/// journal entry balances, no order or delivery lacks its lines, and each payable is recognised
/// in the journal. Returns the counts of breaches, all of which must be 0.
fn breaches(db: &str) -> String {
    query(
        db,
        "SELECT \
         (SELECT COUNT(*) FROM acceptances a WHERE a.status = 'confirmed' \
            AND (SELECT COUNT(*) FROM payables p WHERE p.acceptance_id = a.id) <> 1), \
         (SELECT COUNT(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id \
            HAVING SUM(debit) <> SUM(credit)) unbalanced), \
         (SELECT COUNT(*) FROM orders o WHERE NOT EXISTS (SELECT 1 FROM order_lines l WHERE l.order_id = o.id)), \
         (SELECT COUNT(*) FROM deliveries d WHERE NOT EXISTS (SELECT 1 FROM delivery_lines l WHERE l.delivery_id = d.id)), \
         (SELECT COUNT(*) FROM payables p WHERE NOT EXISTS (SELECT 1 FROM journal_entries e \
            WHERE e.source_type = 'payable' AND e.source_id = p.id))",
    )
}

const NO_BREACH: &str = "0|0|0|0|0";

/// After the load: as many orders, confirmed acceptances and payables as completed cycles (none
/// lost, none doubled by a retry), and every write sent again with its key answers its first
/// answer.
fn check_exactly_once(db: &str, base: &str, sent: &[Sent], cycles: usize) {
    let orders = query(db, &format!("SELECT COUNT(*) FROM orders WHERE note = '{NOTE}'"));
    let accepted = query(
        db,
        &format!(
            "SELECT COUNT(*) FROM acceptances a JOIN deliveries d ON d.id = a.delivery_id \
             JOIN orders o ON o.id = d.order_id JOIN payables p ON p.acceptance_id = a.id \
             WHERE o.note = '{NOTE}' AND a.status = 'confirmed'"
        ),
    );
    assert_eq!((orders.as_str(), accepted.as_str()), (cycles.to_string().as_str(), cycles.to_string().as_str()));
    let seen = Mutex::new(Seen::default());
    for s in sent {
        let (status, answer) = answered(base, &s.caller, s.method, &s.path, &s.key, &s.body, &seen);
        let again = answer["id"].as_str().or(answer["acceptance"]["id"].as_str()).unwrap_or("");
        assert_eq!(
            (status, again),
            (s.status, s.id.as_str()),
            "{} {} ({}) answered otherwise the second time",
            s.method,
            s.path,
            s.key
        );
    }
}

fn start_on(db: &str, port: u16) -> Server {
    Server::start_with(db, Some(NOW), &[("JICAI_BIND", &format!("127.0.0.1:{port}"))])
}

/// A small deterministic sequence of load windows (no clock, no seed from outside).
fn windows(n: usize) -> impl Iterator<Item = Duration> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    (0..n).map(move |_| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        Duration::from_millis(150 + x % 450)
    })
}

/// Checks what the clients saw: answers only 200, 201 and (`allow_503`) 503 with Retry-After.
fn only_expected_statuses(seen: &Seen, allow_503: bool) {
    let odd: Vec<_> =
        seen.statuses.iter().filter(|(s, _)| !(**s == 200 || **s == 201 || (allow_503 && **s == 503))).collect();
    assert!(odd.is_empty(), "answers the load should never get: {odd:?} (all: {seen:?})");
    assert_eq!(seen.without_retry_after, 0, "a 503 without Retry-After: {seen:?}");
}

/// How many times `jicai serve` is killed in one run.
const KILLS: usize = 50;

on_both_databases!(serve_killed_fifty_times_under_load);

fn serve_killed_fifty_times_under_load(backend: Backend) {
    let Some(db) = fresh_database(backend) else { return };
    cli(&db, Some(NOW), &["demo"]);
    let port = jicai_testkit::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let mut server = Some(start_on(&db, port));
    let load = Load::start(&base, 8);
    for (kill, window) in windows(KILLS).enumerate() {
        std::thread::sleep(window);
        drop(server.take()); // SIGKILL, mid-write
        assert_eq!(breaches(&db), NO_BREACH, "after kill {}", kill + 1);
        server = Some(start_on(&db, port));
    }
    std::thread::sleep(Duration::from_millis(300));
    let (sent, cycles, seen) = load.finish();
    only_expected_statuses(&seen, true);
    assert!(seen.transport_errors > 0, "the kills cut some requests: {seen:?}");
    assert_eq!(breaches(&db), NO_BREACH);
    check_exactly_once(&db, &base, &sent, cycles);
    jicai_tests::figure(&format!(
        "faults.kill backend={backend:?} kills={KILLS} cycles={cycles} writes={} lost_answers_retried={} statuses={:?} breaches=0 replays_checked={} seconds={}",
        sent.len(),
        seen.transport_errors,
        seen.statuses,
        sent.len(),
        started.elapsed().as_secs()
    ));
}

/// Stops a cluster of the test's own when the test ends, however it ends.
struct OwnCluster(jicai_testkit::Cluster);

impl Drop for OwnCluster {
    fn drop(&mut self) {
        self.0.stop();
    }
}

/// How long PostgreSQL stays away: longer than a request waits for a connection (10 s), so
/// that the server must answer 503 meanwhile.
const AWAY: Duration = Duration::from_secs(14);

#[test]
fn postgres_restarted_under_64_clients() {
    // A cluster of its own: the shared one serves the other tests meanwhile.
    let dir = std::env::temp_dir().join(format!("jicai-pg-restart-{}", std::process::id()));
    let options =
        jicai_testkit::ClusterOptions { durable: false, settings: "-c max_connections=100", log: "server.log" };
    let cluster = match jicai_testkit::Cluster::start(&dir, &options) {
        Ok(c) => OwnCluster(c),
        Err(e) if jicai_tests::ci() => panic!("PostgreSQL is required under CI=true: {e}"),
        Err(e) => return eprintln!("SKIPPED PostgreSQL restart: {e}"),
    };
    let (ok, out) = sql(&format!("{}/postgres", cluster.0.base_url()), "CREATE DATABASE jicai_restart");
    assert!(ok, "{out}");
    let db = format!("{}/jicai_restart", cluster.0.base_url());
    cli(&db, Some(NOW), &["demo"]);
    let server = Server::start_with(&db, Some(NOW), &[]);
    let base = server.base_url.clone();

    let load = Load::start(&base, 64);
    std::thread::sleep(Duration::from_secs(4));
    let before = load.seen.lock().unwrap().statuses.clone();
    cluster.0.halt();
    std::thread::sleep(AWAY);
    let during = load.seen.lock().unwrap().statuses.clone();
    cluster.0.resume().expect("PostgreSQL starts again");
    std::thread::sleep(Duration::from_secs(6));
    let (sent, cycles, seen) = load.finish();

    // While it was away, the server answered 503 with Retry-After; it never dropped a request.
    let answered_503 = during.get(&503).copied().unwrap_or(0) - before.get(&503).copied().unwrap_or(0);
    assert!(answered_503 > 0, "503 while PostgreSQL was away: before {before:?}, during {during:?}");
    only_expected_statuses(&seen, true);
    assert_eq!(seen.transport_errors, 0, "the server dropped requests: {seen:?}");
    // Afterwards it serves again without a restart: the cycles went on, none lost or doubled.
    let after = seen.statuses.get(&201).copied().unwrap_or(0) - during.get(&201).copied().unwrap_or(0);
    assert!(after > 0, "no write succeeded after PostgreSQL came back: {seen:?}");
    assert_eq!(breaches(&db), NO_BREACH);
    check_exactly_once(&db, &base, &sent, cycles);
    jicai_tests::figure(&format!(
        "faults.pg_restart clients=64 away_s={} cycles={cycles} writes={} statuses={:?} answered_503_while_away={answered_503} dropped=0 breaches=0 replays_checked={}",
        AWAY.as_secs(),
        sent.len(),
        seen.statuses,
        sent.len()
    ));
    drop(server);
}

/// A small tmpfs of the test's own, unmounted when the test ends.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    /// Mounts `size` of tmpfs, or says why it cannot (not root, no mount).
    fn mount(size: &str) -> Result<SmallDisk, String> {
        let dir = jicai_tests::work_dir().join(format!("small-disk-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .output()
            .map_err(|e| format!("mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount: {}", String::from_utf8_lossy(&out.stderr).trim()));
        }
        Ok(SmallDisk(dir))
    }

    /// Fills the disk with one file until the disk refuses more.
    fn fill(&self) -> std::path::PathBuf {
        use std::io::Write;
        let path = self.0.join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let _ = f.sync_all();
        path
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn sqlite_on_a_full_disk() {
    let disk = match SmallDisk::mount("24m") {
        Ok(d) => d,
        Err(e) => return eprintln!("SKIPPED the full-disk test: no small disk can be made here ({e})"),
    };
    let db = format!("sqlite://{}", disk.0.join("jicai.db").display());
    cli(&db, Some(NOW), &["demo"]);
    let server = Server::start_with(&db, Some(NOW), &[]);
    let hospital = server.login("hospital1");
    let supplier = server.login("supplier1");
    let bid = bid(&hospital, "依折麦布片");
    place(&hospital, &org_id(&supplier), &bid, 1);
    let orders_before = hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap();

    // The disk fills up: writes are refused with a clear error, one after another.
    let filler = disk.fill();
    let mut refused = None;
    let mut placed = 0;
    for _ in 0..500 {
        let r = hospital.post("/api/v1/orders", &order_body(&org_id(&supplier), &bid, 1));
        match r.status {
            201 => placed += 1,
            507 => {
                refused = Some(r);
                break;
            }
            other => panic!("a write on a full disk answered {other}: {}", r.body),
        }
    }
    let refused = refused.expect("a write was refused once the disk was full");
    assert_eq!(refused.code(), "storage_full", "{}", refused.body);
    assert!(refused.body["error"]["message"].as_str().unwrap().contains("nothing was saved"), "{}", refused.body);
    for _ in 0..5 {
        let r = hospital.post("/api/v1/orders", &order_body(&org_id(&supplier), &bid, 1));
        assert_eq!((r.status, r.code()), (507, "storage_full"), "{}", r.body);
    }
    // Reads go on, and nothing was half-written or corrupted.
    let total = hospital.ok("/api/v1/orders?per_page=1")["total"].as_i64().unwrap();
    assert_eq!(total, orders_before + placed, "only the orders answered 201 exist");
    assert_eq!(query(&db, "PRAGMA integrity_check"), "ok");
    assert_eq!(breaches(&db), NO_BREACH);

    // Space is freed: writes work again, without a restart.
    std::fs::remove_file(filler).unwrap();
    let r = hospital.post("/api/v1/orders", &order_body(&org_id(&supplier), &bid, 1));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(query(&db, "PRAGMA integrity_check"), "ok");
    jicai_tests::figure(&format!(
        "faults.full_disk placed_before_full={placed} refused=6 status=507 integrity=ok recovered=yes"
    ));
    drop(server);
}
