//! A property-based run of the whole API from its own OpenAPI document: schemathesis generates
//! requests for every operation, valid and invalid, as nobody and with a token of every role, and
//! checks each answer against the document (`--checks all`): no server error, no dropped
//! connection, every status, content type, header and body as documented, valid data accepted
//! (or refused only by a business rule: `tests/schemathesis.toml`) and invalid data refused.
//!
//! Bounded: 3 examples per operation and phase, a fixed seed, no shrinking. `scripts/test.sh`
//! installs the pinned schemathesis into `target/schemathesis`; `JICAI_SCHEMATHESIS` names
//! another `st`. Under `CI=true` a missing schemathesis is a failure.

use crate::fixtures::NOW;
use jicai_tests::{on_both_databases, Env};
use std::path::PathBuf;
use std::process::Command;

/// The upload routes take a file (XLSX, CSV, PDF), which schemathesis cannot generate; the
/// imports and credit tests send them real files.
const FILE_ROUTES: [&str; 3] = ["upload_letter", "import_sheet", "import_demand"];

fn schemathesis() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("JICAI_SCHEMATHESIS") {
        return Some(PathBuf::from(p));
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/schemathesis/bin/st");
    installed.is_file().then_some(installed)
}

/// What one run reported: test cases generated, failures and errors.
#[derive(Debug)]
struct Outcome {
    generated: u64,
    failures: u64,
    errors: u64,
}

/// Reads schemathesis's summary ("5549 generated, 1 found 1 unique failure" and the closing
/// "== 1 failure, 2 errors, 4 warnings in 38.67s ==" line).
fn outcome(output: &str) -> Outcome {
    let number_before = |line: &str, word: &str| -> u64 {
        let words: Vec<&str> = line.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
        words.windows(2).find(|w| w[1].starts_with(word)).and_then(|w| w[0].parse().ok()).unwrap_or(0)
    };
    let mut lines = output.lines().skip_while(|l| l.trim() != "Test cases:");
    let generated = lines.nth(1).map_or(0, |l| number_before(l, "generated"));
    let last = output.lines().rev().find(|l| l.starts_with('=') && l.contains(" in ")).unwrap_or("");
    Outcome { generated, failures: number_before(last, "failure"), errors: number_before(last, "error") }
}

on_both_databases!(the_whole_api_as_every_role_matches_its_document);

fn the_whole_api_as_every_role_matches_its_document(backend: jicai_tests::Backend) {
    let Some(st) = schemathesis() else {
        assert!(!jicai_tests::ci(), "schemathesis is required under CI=true: run scripts/test.sh, which installs it");
        return eprintln!("SKIPPED the generated-request run: no schemathesis (scripts/test.sh installs it)");
    };
    let Some(env) = Env::demo(backend, Some(NOW)) else { return };
    let config = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemathesis.toml");
    let schema = format!("{}/api/v1/openapi.json", env.server.base_url);
    // Signed in before any generated request runs: a generated sign-in or password change must
    // not take a role's token away. The admin goes last, as its writes reach furthest.
    let callers: Vec<(&str, Option<String>)> = ["-", "supplier1", "hospital1", "fund1", "bureau1", "admin"]
        .iter()
        .map(|u| (*u, (*u != "-").then(|| env.login(u).token.unwrap())))
        .collect();
    let mut reports = Vec::new();
    for (caller, token) in &callers {
        let mut cmd = Command::new(&st);
        cmd.arg("--config-file").arg(&config).args(["run", &schema]);
        if let Some(t) = token {
            cmd.args(["-H", &format!("Authorization: Bearer {t}")]);
        }
        cmd.args([
            "--max-examples",
            "3",
            "--phases",
            "examples,coverage,fuzzing",
            "--no-shrink",
            "--seed",
            "1",
            "-w",
            "1",
            "--generation-database",
            "none",
            "--continue-on-failure",
            "--no-color",
            "--checks",
            "all",
            "--request-timeout",
            "30",
        ]);
        for id in FILE_ROUTES {
            cmd.args(["--exclude-operation-id", id]);
        }
        let out = cmd.env("NO_COLOR", "1").output().expect("schemathesis runs");
        let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        let o = outcome(&text);
        jicai_tests::figure(&format!(
            "generated backend={backend:?} caller={caller} cases={} failures={} errors={}",
            o.generated, o.failures, o.errors
        ));
        let clean = out.status.success() && o.failures == 0 && o.errors == 0 && o.generated > 0;
        if !clean {
            let failures = text.find("FAILURES").or_else(|| text.find("ERRORS")).map_or(text.as_str(), |i| &text[i..]);
            reports.push(format!("as {caller}: {o:?}\n{}", failures.chars().take(20_000).collect::<String>()));
        }
    }
    assert!(
        reports.is_empty(),
        "generated requests found answers the document does not allow:\n{}",
        reports.join("\n")
    );
}
