//! The harness cannot rot: tiny data into SQLite, the rule check, and a seconds-long run of
//! every step against the real `jicai` binary (built by the test command beforehand).

use std::path::PathBuf;
use std::process::Command;

fn bench() -> Command {
    Command::new(env!("CARGO_BIN_EXE_jicai-bench"))
}

fn jicai_bin() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("JICAI_BIN") {
        return Some(PathBuf::from(p));
    }
    let dir = PathBuf::from(env!("CARGO_BIN_EXE_jicai-bench")).parent()?.to_path_buf();
    Some(dir.join("jicai")).filter(|p| p.is_file())
}

#[test]
fn tiny_data_checks_and_a_short_run_completes() {
    let dir = std::env::temp_dir().join(format!("jicai-bench-smoke-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("tiny.db").display());

    let out = bench().args(["data", "--scale", "tiny", "--seed", "7"]).env("DATABASE_URL", &url).output().unwrap();
    assert!(out.status.success(), "data: {}", String::from_utf8_lossy(&out.stderr));

    let out = bench().arg("check").env("DATABASE_URL", &url).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "check: {text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("rules hold"), "{text}");

    let Some(jicai) = jicai_bin() else {
        eprintln!("smoke run skipped: no jicai binary beside jicai-bench (build -p jicai-api first)");
        return;
    };
    let out = bench()
        .args(["run", "--scale", "tiny", "--backends", "sqlite", "--seconds", "2", "--clients", "2"])
        .args(["--read-clients", "2", "--max-requests", "50"])
        .env("JICAI_BIN", jicai)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "run: {md}{}", String::from_utf8_lossy(&out.stderr));
    for table in
        ["**Write path**", "**Read path**", "| HTTP: `GET /healthz`", "**Jobs**", "all hold", "**Tender opening**"]
    {
        assert!(md.contains(table), "missing {table} in:\n{md}");
    }
    assert!(!md.contains("| failed |"), "a job failed or skipped its work:\n{md}");
    assert!(!md.contains("failed: "), "the tender failed:\n{md}");
    assert!(md.contains(r#"{"runs":1,"skipped":[]}"#), "the retention run calculated:\n{md}");
    // Each job's peak memory is reported, and is small for a tiny job.
    let jobs: Vec<&str> = md.lines().filter(|l| l.contains("| `jicai jobs run ")).collect();
    assert_eq!(jobs.len(), 4, "{md}");
    for row in jobs {
        let mib: f64 = row.split('|').nth(4).and_then(|c| c.trim().parse().ok()).unwrap_or(-1.0);
        assert!(mib > 0.0 && mib < 500.0, "peak memory of a tiny job: {row}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The PostgreSQL side of the harness: a throwaway cluster, pgbench's baselines, the floors
/// (`bench/sql/`) and the jobs, so the scripts keep matching the schema. Under `CI=true` a machine
/// without PostgreSQL 15 fails this test instead of skipping it.
#[test]
fn tiny_run_on_postgres_measures_the_baselines_and_floors() {
    if !std::path::Path::new("/usr/lib/postgresql/15/bin/pgbench").is_file() {
        assert!(std::env::var("CI").as_deref() != Ok("true"), "CI=true but PostgreSQL 15 is not installed");
        eprintln!("skipped: no PostgreSQL 15 binaries");
        return;
    }
    let Some(jicai) = jicai_bin() else {
        eprintln!("smoke run skipped: no jicai binary beside jicai-bench (build -p jicai-api first)");
        return;
    };
    let out = bench()
        .args(["run", "--scale", "tiny", "--backends", "postgres", "--seconds", "1", "--clients", "2"])
        .args(["--read-clients", "2", "--max-requests", "50", "--generation-floor", "true"])
        .env("JICAI_BIN", jicai)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "run: {md}{}", String::from_utf8_lossy(&out.stderr));
    for row in [
        "pgbench TPC-B tps = ",
        "pgbench -S = ",
        "| write: one cycle's rows",
        "| HTTP: `GET /healthz`",
        "| read: the 50-row page query",
        "Generation floor (the same rows",
    ] {
        assert!(md.contains(row), "missing {row} in:\n{md}");
    }
    // The statements of a procurement cycle were counted, and their breakdown adds up to them:
    // at least a BEGIN and a COMMIT for each of its 4 writes.
    let section = md.split("**Statements per procurement cycle**").nth(1).unwrap_or_default();
    let per_cycle: f64 =
        section.lines().next().and_then(|l| l.rsplit("**").nth(1)).and_then(|v| v.parse().ok()).unwrap_or(0.0);
    assert!(per_cycle >= 8.0, "no statements per cycle in:\n{md}");
    let listed: f64 = section
        .split("\n\n")
        .nth(1)
        .unwrap_or_default()
        .lines()
        .skip(2)
        .filter_map(|l| l.split('|').nth(1).and_then(|c| c.trim().parse::<f64>().ok()))
        .sum();
    assert!((listed - per_cycle).abs() < 0.1, "the breakdown ({listed}) does not add up to {per_cycle}:\n{md}");
    // The one-day floor ran both variants on the day's payables, beside the one-day job.
    let day: Vec<&str> =
        md.lines().filter(|l| l.starts_with("| as the code does it") || l.starts_with("| if batching")).collect();
    assert_eq!(day.len(), 2, "missing one-day floor rows in:\n{md}");
    for row in &day {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let updated: i64 = cells[3].parse().unwrap_or(0);
        assert!(updated > 0, "the one-day floor updated no payable: {row}");
        assert!(cells[5].ends_with('×'), "no job ÷ floor ratio: {row}");
    }
    // Batching as the code does it changes no indexed column, so PostgreSQL may keep the new
    // row versions on their pages (HOT); setting the stage too never can.
    let hot = |row: &str| row.split('|').map(str::trim).nth(4).and_then(|c| c.parse::<i64>().ok()).unwrap_or(-1);
    assert!(hot(day[0]) > 0, "batching as the code does it made no HOT update: {}", day[0]);
    assert_eq!(hot(day[1]), 0, "setting the stage cannot be HOT: {}", day[1]);
    assert!(!md.contains("| failed |"), "a job failed on PostgreSQL:\n{md}");
    // Each floor reports its latency's mean and p99 (from pgbench's per-transaction log).
    for floor in md.lines().filter(|l| l.starts_with("| write: one cycle") || l.starts_with("| read: the 50-row")) {
        let cell = floor.split('|').nth(4).unwrap_or_default();
        let figures: Vec<f64> = cell.split(" / ").filter_map(|v| v.trim().parse().ok()).collect();
        assert!(figures.len() == 2 && figures[1] > 0.0, "no avg / p99 in {floor}");
    }
}

#[test]
fn a_small_tender_opens_as_its_rules_say() {
    let dir = std::env::temp_dir().join(format!("jicai-bench-tender-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("tender.db").display());
    let out = bench()
        .args(["tender", "--generics", "4", "--bidders", "7", "--hospitals", "12", "--lines-per-hospital", "3"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "tender: {text}{}", String::from_utf8_lossy(&out.stderr));
    // The run itself checks that the opening found what the rules in memory found.
    assert!(text.contains("| 4 | 28 | 12 |"), "{text}");
    std::fs::remove_dir_all(dir).unwrap();
}
