//! Failpoints for crash tests: `JICAI_FAILPOINT=name:pause_ms` makes the named point sleep, so a
//! test can kill the process in the middle of a transaction and check that nothing partial was
//! committed. Unset (always, outside tests), a point costs one cached environment lookup.

use std::sync::OnceLock;

fn configured() -> &'static Option<(String, u64)> {
    static FP: OnceLock<Option<(String, u64)>> = OnceLock::new();
    FP.get_or_init(|| {
        let v = std::env::var("JICAI_FAILPOINT").ok()?;
        let (name, ms) = v.split_once(':')?;
        Some((name.to_string(), ms.parse().ok()?))
    })
}

/// Pauses here if the failpoint `name` is configured.
pub fn pause(name: &str) {
    if let Some((fp, ms)) = configured() {
        if fp == name {
            eprintln!("failpoint {name}: pausing {ms} ms");
            std::thread::sleep(std::time::Duration::from_millis(*ms));
        }
    }
}
