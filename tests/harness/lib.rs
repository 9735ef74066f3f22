//! Black-box test harness: the real `jicai` binary on a free port, against a fresh SQLite file
//! or a fresh database on a throwaway PostgreSQL 15 cluster that the harness starts itself.
//!
//! * The binary is `target/<profile>/jicai` next to the test executable, or `$JICAI_BIN`;
//!   `scripts/test.sh` builds it before the tests run.
//! * PostgreSQL: `$JICAI_TEST_PG_URL` (a server to create databases on), or a cluster made with
//!   `initdb` + `pg_ctl` from `/usr/lib/postgresql/15/bin` in a temp dir (as the `postgres`
//!   user when running as root), stopped and removed by a watchdog when the tests exit.
//!   Missing PostgreSQL skips the PostgreSQL half, except under `CI=true`, where it fails.

use jicai_testkit::{is_root, Cluster, ClusterOptions, PG_BIN};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const DEMO_PASSWORD: &str = "jicai-demo";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!("{prefix}_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst))
}

/// Where test files go: `target/blackbox/<pid>`.
pub fn work_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("test executable path");
        let target = exe.ancestors().nth(3).expect("target dir").to_path_buf();
        let dir = target.join("blackbox").join(std::process::id().to_string());
        std::fs::create_dir_all(&dir).expect("create work dir");
        dir
    })
}

pub fn jicai_bin() -> PathBuf {
    if let Ok(p) = std::env::var("JICAI_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let bin = exe.parent().and_then(Path::parent).expect("profile dir").join("jicai");
    assert!(
        bin.is_file(),
        "{} is missing: build it first (`cargo build -p jicai-api`, done by scripts/test.sh)",
        bin.display()
    );
    bin
}

struct PgServer {
    /// `postgres://postgres@127.0.0.1:PORT` (no database).
    base: String,
}

/// Whether this run is CI (`CI=true`), where a missing PostgreSQL is a failure, not a skip.
pub fn ci() -> bool {
    std::env::var("CI").map(|v| v == "true" || v == "1").unwrap_or(false)
}

fn start_cluster() -> Result<PgServer, String> {
    if let Ok(url) = std::env::var("JICAI_TEST_PG_URL") {
        return Ok(PgServer { base: url.trim_end_matches('/').to_string() });
    }
    let dir = std::env::temp_dir().join(unique("jicai-pg"));
    let options = ClusterOptions { durable: false, settings: "-c max_connections=300", log: "server.log" };
    let cluster = Cluster::start(&dir, &options)?;
    let data = cluster.data();
    // Stop the cluster and remove it when this test process ends, however it ends.
    let runas = if is_root() { "runuser -u postgres -- " } else { "" };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runas}{PG_BIN}/pg_ctl -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display()
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("watchdog: {e}"))?;
    Ok(PgServer { base: cluster.base_url() })
}

fn pg_server() -> Option<&'static PgServer> {
    static PG: OnceLock<Result<PgServer, String>> = OnceLock::new();
    match PG.get_or_init(start_cluster) {
        Ok(pg) => Some(pg),
        Err(e) if ci() => panic!("PostgreSQL is required under CI=true: {e}"),
        Err(e) => {
            eprintln!("SKIPPED PostgreSQL half: {e}");
            None
        }
    }
}

/// A fresh, empty database; `None` when PostgreSQL is unavailable outside CI.
pub fn fresh_database(backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => Some(format!("sqlite://{}", work_dir().join(format!("{}.db", unique("t"))).display())),
        Backend::Postgres => {
            let pg = pg_server()?;
            let name = unique("jicai_t");
            let port = pg.base.rsplit(':').next().expect("port");
            let out = Command::new(format!("{PG_BIN}/psql"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    port,
                    "-U",
                    "postgres",
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-q",
                    "-c",
                ])
                .arg(format!("CREATE DATABASE {name}"))
                .output()
                .expect("psql runs");
            assert!(out.status.success(), "CREATE DATABASE failed: {}", String::from_utf8_lossy(&out.stderr));
            Some(format!("{}/{name}", pg.base))
        }
    }
}

/// The sealing-key file of a database's server and command line: one per test database, in the
/// work folder (never in the database, never in the repository).
pub fn sealing_key_file(database_url: &str) -> PathBuf {
    let name: String = database_url
        .rsplit(['/', ':'])
        .next()
        .unwrap_or("db")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    work_dir().join(format!("{name}.sealing-key"))
}

/// Runs SQL against a database URL with the backend's own command-line client; returns
/// (success, stdout + stderr).
pub fn sql(database_url: &str, statement: &str) -> (bool, String) {
    let out = if let Some(path) = database_url.strip_prefix("sqlite://") {
        Command::new("sqlite3").arg(path).arg(statement).output()
    } else {
        Command::new(format!("{PG_BIN}/psql"))
            .args([database_url, "-v", "ON_ERROR_STOP=1", "-At", "-c", statement])
            .output()
    }
    .expect("database client runs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// Runs the jicai command line against a database; panics unless it succeeds.
pub fn cli(database_url: &str, fake_now: Option<&str>, args: &[&str]) -> String {
    let (ok, text) = cli_result(database_url, fake_now, args, None);
    assert!(ok, "jicai {args:?} failed:\n{text}");
    text
}

pub fn cli_result(database_url: &str, fake_now: Option<&str>, args: &[&str], stdin: Option<&str>) -> (bool, String) {
    cli_with(database_url, fake_now, args, stdin, &[])
}

/// A `jicai` command against a database, not yet started (for concurrent or killed runs).
pub fn cli_command(database_url: &str, fake_now: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(jicai_bin());
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("JICAI_MAIL_DIR", work_dir().join("mail"))
        .env("JICAI_SEALING_KEY_FILE", sealing_key_file(database_url))
        .env_remove("JICAI_SMTP_HOST")
        .env_remove("JICAI_FAKE_NOW")
        .env_remove("JICAI_FAILPOINT")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    if let Some(t) = fake_now {
        cmd.env("JICAI_FAKE_NOW", t);
    }
    cmd
}

/// Runs the command line with extra environment (e.g. the SMTP settings).
pub fn cli_with(
    database_url: &str,
    fake_now: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
    env: &[(&str, &str)],
) -> (bool, String) {
    let mut cmd = Command::new(jicai_bin());
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("JICAI_MAIL_DIR", work_dir().join("mail"))
        .env("JICAI_SEALING_KEY_FILE", sealing_key_file(database_url))
        .env_remove("JICAI_SMTP_HOST")
        .env_remove("JICAI_FAKE_NOW");
    if let Some(t) = fake_now {
        cmd.env("JICAI_FAKE_NOW", t);
    }
    cmd.envs(env.iter().copied());
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("jicai runs");
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("jicai finishes");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// A running `jicai serve`, stopped on drop.
pub struct Server {
    child: Child,
    pub base_url: String,
    pub database_url: String,
    pub log: PathBuf,
}

impl Server {
    pub fn start(database_url: &str, fake_now: Option<&str>) -> Server {
        Server::start_with(database_url, fake_now, &[])
    }

    /// Starts a server with extra environment (e.g. `JICAI_SCHEDULER`, `JICAI_SMTP_HOST`). The
    /// scheduler is off unless asked for, so that tests decide when jobs run.
    pub fn start_with(database_url: &str, fake_now: Option<&str>, extra_env: &[(&str, &str)]) -> Server {
        let log = work_dir().join(format!("{}.log", unique("server")));
        let log_file = std::fs::File::create(&log).expect("log file");
        let mut cmd = Command::new(jicai_bin());
        cmd.arg("serve")
            .env("DATABASE_URL", database_url)
            .env("JICAI_BIND", "127.0.0.1:0")
            .env("JICAI_WORKERS", "2")
            .env("JICAI_JWT_SECRET", "black-box-test-secret")
            .env("JICAI_FRONTEND_DIR", work_dir().join("no-frontend"))
            .env("RUST_LOG", "warn")
            .env("JICAI_SCHEDULER", "off")
            .env("JICAI_MAIL_DIR", work_dir().join("mail"))
            .env("JICAI_SEALING_KEY_FILE", sealing_key_file(database_url))
            .env_remove("JICAI_SMTP_HOST")
            .env_remove("JICAI_FAKE_NOW")
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        if let Some(t) = fake_now {
            cmd.env("JICAI_FAKE_NOW", t);
        }
        let mut child = cmd.spawn().expect("jicai serve starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if let Some(i) = line.find("listening on http://") {
                    let url = line[i + "listening on ".len()..].split_whitespace().next().unwrap_or("").to_string();
                    let _ = tx.send(url);
                }
                line.clear();
            }
        });
        let base_url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("jicai serve did not start: {}", std::fs::read_to_string(&log).unwrap_or_default());
            }
        };
        Server { child, base_url, database_url: database_url.to_string(), log }
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base_url)
    }

    /// A client signed in as `username` (demo password).
    pub fn login(&self, username: &str) -> Client {
        Client::signed_in(&self.base_url, username)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP response: status, JSON body (or `Value::Null`), and headers we look at.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

impl Resp {
    /// The error code of a JSON error body.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build(),
            base: base.to_string(),
            token: None,
        }
    }

    fn finish(result: Result<ureq::Response, ureq::Error>) -> Resp {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("transport error: {e}"),
        };
        let status = response.status();
        let replayed = response.header("Idempotent-Replayed") == Some("true");
        let mut text = String::new();
        response.into_reader().take(64 * 1024 * 1024).read_to_string(&mut text).expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, body, replayed }
    }

    pub fn request(&self, method: &str, path: &str) -> ureq::Request {
        let mut r = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            r = r.set("Authorization", &format!("Bearer {t}"));
        }
        r
    }

    pub fn get(&self, path: &str) -> Resp {
        Self::finish(self.request("GET", path).call())
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        Self::finish(self.request("POST", path).send_json(body.clone()))
    }

    pub fn post_with_key(&self, path: &str, key: &str, body: &Value) -> Resp {
        Self::finish(self.request("POST", path).set("Idempotency-Key", key).send_json(body.clone()))
    }

    pub fn put(&self, path: &str, body: &Value) -> Resp {
        Self::finish(self.request("PUT", path).send_json(body.clone()))
    }

    /// POST a file's bytes with its content type (a spreadsheet upload).
    pub fn post_file(&self, path: &str, content_type: &str, content: &[u8]) -> Resp {
        Self::finish(self.request("POST", path).set("Content-Type", content_type).send_bytes(content))
    }

    pub fn send_raw(&self, method: &str, path: &str, content: &[u8]) -> Resp {
        Self::finish(self.request(method, path).set("Content-Type", "application/json").send_bytes(content))
    }

    /// A client of the server at `base` signed in as `username` (demo password). Its token
    /// outlives a restart of the server on the same database.
    pub fn signed_in(base: &str, username: &str) -> Client {
        let mut c = Client::new(base);
        let r = c.post("/api/v1/auth/login", &json!({"username": username, "password": DEMO_PASSWORD}));
        assert_eq!(r.status, 200, "login {username}: {}", r.body);
        c.token = Some(r.body["token"].as_str().expect("token").to_string());
        c
    }

    /// GET and assert 200.
    pub fn ok(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(r.status, 200, "GET {path}: {}", r.body);
        r.body
    }
}

/// A test environment: a fresh database with the demo data and a server on it.
pub struct Env {
    pub backend: Backend,
    pub server: Server,
    pub fake_now: Option<String>,
}

impl Env {
    /// `None` when this backend is unavailable (PostgreSQL outside CI).
    pub fn demo(backend: Backend, fake_now: Option<&str>) -> Option<Env> {
        let url = fresh_database(backend)?;
        cli(&url, fake_now, &["demo"]);
        let server = Server::start(&url, fake_now);
        Some(Env { backend, server, fake_now: fake_now.map(str::to_string) })
    }

    pub fn login(&self, username: &str) -> Client {
        self.server.login(username)
    }

    /// Restarts the server at another "now" on the same database (time travel).
    pub fn restart_at(&mut self, fake_now: &str) {
        let url = self.server.database_url.clone();
        self.server = Server::start(&url, Some(fake_now));
        self.fake_now = Some(fake_now.to_string());
    }
}

/// Records a figure of this run for `docs/reliability.md`: printed, and appended as one line to
/// `target/blackbox/figures.txt`, which `scripts/test.sh` empties before the suite and prints
/// after it, so that the suite's own last run can be read whether its tests passed or not.
pub fn figure(line: &str) {
    use std::io::Write;
    eprintln!("FIGURE {line}");
    let path = work_dir().parent().expect("target/blackbox").join("figures.txt");
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(f, "{line}");
    }
}

/// Waits until `f` is true or the timeout passes.
pub fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// Runs each named test function, `fn name(backend: Backend)`, once per database: as
/// `name::sqlite` and `name::postgres`. The functions are plain functions beside the call, so
/// that rustfmt formats them.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::Backend::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::Backend::Postgres)
                }
            }
        )+
    };
}

/// A message an SMTP sink received.
#[derive(Clone, Debug)]
pub struct Received {
    pub to: Vec<String>,
    pub data: String,
}

/// A real SMTP server on a free loopback port (mailin-embedded), recording what it receives.
/// Recipients can be refused for a while (451, transient) or for good (550).
pub struct SmtpSink {
    pub port: u16,
    pub received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    pub transient: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub permanent: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

#[derive(Clone)]
struct SinkHandler {
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    transient: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    permanent: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

impl mailin_embedded::Handler for SinkHandler {
    fn rcpt(&mut self, to: &str) -> mailin_embedded::Response {
        let to = to.trim_matches(|c| c == '<' || c == '>').to_string();
        if self.permanent.lock().unwrap().contains(&to) {
            return mailin_embedded::response::NO_MAILBOX;
        }
        if self.transient.lock().unwrap().contains(&to) {
            return mailin_embedded::response::INTERNAL_ERROR;
        }
        self.to.push(to);
        mailin_embedded::response::OK
    }
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, _to: &[String]) -> mailin_embedded::Response {
        self.data.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        let to = std::mem::take(&mut self.to);
        let data = String::from_utf8_lossy(&std::mem::take(&mut self.data)).to_string();
        self.received.lock().unwrap().push(Received { to, data });
        mailin_embedded::response::OK
    }
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind SMTP port");
        let port = listener.local_addr().unwrap().port();
        let handler = SinkHandler {
            received: Default::default(),
            transient: Default::default(),
            permanent: Default::default(),
            to: vec![],
            data: vec![],
        };
        let sink = SmtpSink {
            port,
            received: handler.received.clone(),
            transient: handler.transient.clone(),
            permanent: handler.permanent.clone(),
        };
        let mut server = mailin_embedded::Server::new(handler);
        server.with_name("sink.test").with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        sink
    }

    /// Environment that points the jicai mail dispatcher at this sink.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("JICAI_SMTP_HOST", "127.0.0.1".into()),
            ("JICAI_SMTP_PORT", self.port.to_string()),
            ("JICAI_SMTP_TLS", "none".into()),
            ("JICAI_MAIL_FROM", "集采直结 <noreply@jicai.test>".into()),
        ]
    }

    pub fn messages_to(&self, address: &str) -> Vec<Received> {
        self.received.lock().unwrap().iter().filter(|m| m.to.iter().any(|t| t == address)).cloned().collect()
    }
}
