//! The scheduler: runs each job when its cron schedule fires, as of that day in Asia/Shanghai.
//! It runs inside `jicai serve` and alone as `jicai worker`.

use chrono::{DateTime, Utc};
use chrono_tz::Asia::Shanghai;
use cron::Schedule;
use jicai_domain::clock::{shanghai_date, SharedClock};
use jicai_domain::db::Pool;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::{run, Job, JobConfig};

pub struct Entry {
    pub job: Job,
    pub schedule: Schedule,
}

/// Parses `JICAI_SCHEDULE`-style overrides: `job=cron;job=cron` (cron with seconds, in Shanghai
/// time); jobs not named keep their default schedule; `job=off` disables one.
pub fn schedule_from(spec: Option<&str>) -> Result<Vec<Entry>, String> {
    let mut overrides = std::collections::HashMap::new();
    for part in spec.unwrap_or("").split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, cron) = part.split_once('=').ok_or_else(|| format!("{part:?} is not job=cron"))?;
        let job = Job::parse(name.trim()).ok_or_else(|| format!("unknown job {name:?}"))?;
        overrides.insert(job, cron.trim().to_string());
    }
    let mut entries = Vec::new();
    for job in Job::ALL {
        let expr = overrides.get(&job).cloned().unwrap_or_else(|| job.default_schedule().to_string());
        if expr == "off" {
            continue;
        }
        let schedule = Schedule::from_str(&expr).map_err(|e| format!("schedule of {}: {e}", job.name()))?;
        entries.push(Entry { job, schedule });
    }
    Ok(entries)
}

/// Runs the schedule until `stop` is set, checking every second.
pub fn run_forever(pool: Pool, clock: SharedClock, cfg: JobConfig, entries: Vec<Entry>, stop: Arc<AtomicBool>) {
    let mut next: Vec<Option<DateTime<Utc>>> = entries
        .iter()
        .map(|e| e.schedule.after(&clock.now().with_timezone(&Shanghai)).next().map(|t| t.with_timezone(&Utc)))
        .collect();
    while !stop.load(Ordering::Relaxed) {
        let now = clock.now();
        for (i, entry) in entries.iter().enumerate() {
            if let Some(at) = next[i] {
                if at <= now {
                    let as_of = shanghai_date(at);
                    if let Err(e) = run(&pool, &clock, &cfg, entry.job, as_of, "schedule", None) {
                        tracing::error!("scheduled {} failed: {e}", entry.job.name());
                    }
                    next[i] = entry.schedule.after(&now.with_timezone(&Shanghai)).next().map(|t| t.with_timezone(&Utc));
                }
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_and_defaults() {
        let entries = schedule_from(Some("mail-dispatch=off; settlement-sweep=0 0 3 * * *")).unwrap();
        assert!(entries.iter().all(|e| e.job != Job::MailDispatch));
        assert_eq!(entries.len(), Job::ALL.len() - 1);
        assert!(schedule_from(Some("nonsense=0 0 3 * * *")).is_err());
        assert!(schedule_from(Some("prepayment=not cron")).is_err());
    }
}
