//! What the black-box tests (`tests/`) and the benchmark harness (`bench/`) share: a throwaway
//! PostgreSQL 15 cluster made with `initdb` + `pg_ctl` from `/usr/lib/postgresql/15/bin` in a
//! temp folder (as the `postgres` user when running as root), and free ports.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

/// A command from the PostgreSQL bin folder, as the `postgres` user when we are root.
pub fn pg_command(tool: &str) -> Command {
    let path = format!("{PG_BIN}/{tool}");
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--", &path]);
        c
    } else {
        Command::new(path)
    }
}

/// How a cluster runs.
pub struct ClusterOptions<'a> {
    /// `false` for tests: no fsync, no synchronous commit, no full-page writes, `initdb
    /// --no-sync`. `true` for measurements: PostgreSQL's durable defaults.
    pub durable: bool,
    /// Further server settings, e.g. `-c shared_buffers=1GB`.
    pub settings: &'a str,
    /// The log file's name in the cluster folder.
    pub log: &'a str,
}

/// A started cluster in `dir` (its data in `dir/data`), listening on 127.0.0.1:`port` with
/// trust authentication for `postgres`. Stopping it is the caller's: [`Cluster::stop`] or a
/// watchdog.
pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    /// The server options it was started with (`pg_ctl -o`), to start it again.
    opts: String,
}

impl Cluster {
    /// Makes and starts a cluster in `dir` (created; handed to `postgres` when we are root).
    pub fn start(dir: &Path, options: &ClusterOptions<'_>) -> Result<Cluster, String> {
        if !Path::new(&format!("{PG_BIN}/initdb")).is_file() {
            return Err(format!("{PG_BIN}/initdb not found (install postgresql-15)"));
        }
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir)
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ok {
                return Err("cannot hand the cluster folder to the postgres user".into());
            }
        }
        let data = dir.join("data");
        let mut initdb = pg_command("initdb");
        initdb.arg("-D").arg(&data).args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale"]);
        if !options.durable {
            initdb.arg("--no-sync");
        }
        let out = initdb.output().map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!("initdb failed: {}", String::from_utf8_lossy(&out.stderr)));
        }
        let port = free_port();
        let fast = if options.durable { "" } else { " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" };
        let opts = format!("-p {port} -k {} -c listen_addresses=127.0.0.1{fast} {}", dir.display(), options.settings);
        let cluster = Cluster { dir: dir.to_path_buf(), port, opts };
        cluster.pg_ctl_start(options.log)?;
        Ok(cluster)
    }

    fn pg_ctl_start(&self, log: &str) -> Result<(), String> {
        let log = self.dir.join(log);
        let out = pg_command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &self.opts, "-l"])
            .arg(&log)
            .args(["-w", "-t", "60", "start"])
            .output()
            .map_err(|e| format!("pg_ctl: {e}"))?;
        if !out.status.success() {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("pg_ctl start failed: {} {log}", String::from_utf8_lossy(&out.stderr)));
        }
        Ok(())
    }

    /// Shuts the server down (fast: open sessions are ended), keeping its data.
    pub fn halt(&self) {
        let out = pg_command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "fast", "-w", "stop"]).output();
        assert!(out.is_ok_and(|o| o.status.success()), "pg_ctl stop");
    }

    /// Starts a halted server again, on the same port with the same settings.
    pub fn resume(&self) -> Result<(), String> {
        self.pg_ctl_start("server.resumed.log")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// `postgres://postgres@127.0.0.1:PORT` (no database).
    pub fn base_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}", self.port)
    }

    /// Stops the cluster (fast shutdown) and removes its folder.
    pub fn stop(&self) {
        let _ = pg_command("pg_ctl").arg("-D").arg(self.data()).args(["-m", "fast", "-w", "stop"]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
