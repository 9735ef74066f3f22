//! Failpoints for crash tests: `JICAI_FAILPOINT=name:pause_ms` makes the named point sleep, so a
//! test can kill the process in the middle of a transaction and check that nothing partial was
//! committed; `JICAI_FAILPOINT=name:panic` makes it panic, so a test can check that a panic
//! costs one request, not the connection or the server. Unset (always, outside tests), a point
//! costs one cached environment lookup.

use std::sync::OnceLock;

enum Action {
    Pause(u64),
    Panic,
}

fn configured() -> &'static Option<(String, Action)> {
    static FP: OnceLock<Option<(String, Action)>> = OnceLock::new();
    FP.get_or_init(|| {
        let v = std::env::var("JICAI_FAILPOINT").ok()?;
        let (name, what) = v.split_once(':')?;
        let action = if what == "panic" { Action::Panic } else { Action::Pause(what.parse().ok()?) };
        Some((name.to_string(), action))
    })
}

/// Pauses (or panics) here if the failpoint `name` is configured.
pub fn pause(name: &str) {
    match configured() {
        Some((fp, Action::Pause(ms))) if fp == name => {
            eprintln!("failpoint {name}: pausing {ms} ms");
            std::thread::sleep(std::time::Duration::from_millis(*ms));
        }
        Some((fp, Action::Panic)) if fp == name => panic!("failpoint {name}"),
        _ => {}
    }
}
