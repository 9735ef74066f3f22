//! Time comes from an injected clock; business days are counted in Asia/Shanghai.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Asia::Shanghai;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The machine's clock shifted by an offset (zero in production). Tests and demos start the
/// server with `JICAI_FAKE_NOW` to place "now" anywhere; time still flows from there.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset_ms: AtomicI64,
}

impl OffsetClock {
    pub fn system() -> Self {
        OffsetClock { offset_ms: AtomicI64::new(0) }
    }
    /// A clock whose "now" is `at` at the moment of creation.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        let offset = at - Utc::now();
        OffsetClock { offset_ms: AtomicI64::new(offset.num_milliseconds()) }
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed))
    }
}

/// A clock fixed at one instant (unit tests).
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The calendar date of an instant in Asia/Shanghai.
pub fn shanghai_date(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

/// Storage form of an instant: naive UTC.
pub fn to_db(at: DateTime<Utc>) -> NaiveDateTime {
    at.naive_utc()
}

pub fn from_db(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}

/// Serializes a stored (naive UTC) instant as RFC 3339 in UTC, e.g. `2026-11-22T09:30:00Z`.
pub fn ser_utc<S: serde::Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Serializes a day as chrono does (`2026-11-22`), but in one piece: chrono writes a day in
/// parts, and a JSON writer escapes each part on its own. A page of payables writes a dozen
/// days per row.
pub fn ser_day<S: serde::Serializer>(day: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    use chrono::Datelike;
    let year = day.year();
    if !(0..=9999).contains(&year) {
        return s.collect_str(day);
    }
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let (y, m, d) = (year as u32, day.month(), day.day());
    let text = [
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(d / 10),
        digit(d),
    ];
    s.serialize_str(std::str::from_utf8(&text).expect("ASCII digits"))
}

pub fn ser_day_opt<S: serde::Serializer>(day: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
    match day {
        Some(day) => ser_day(day, s),
        None => s.serialize_none(),
    }
}

pub fn ser_utc_opt<S: serde::Serializer>(at: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => ser_utc(at, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_day_is_written_as_chrono_writes_it() {
        #[derive(serde::Serialize)]
        struct Days(
            #[serde(serialize_with = "ser_day")] NaiveDate,
            #[serde(serialize_with = "ser_day_opt")] Option<NaiveDate>,
        );
        let mut day = NaiveDate::from_ymd_opt(-3, 1, 1).unwrap();
        while day < NaiveDate::from_ymd_opt(10_002, 1, 1).unwrap() {
            let ours = serde_json::to_string(&Days(day, Some(day))).unwrap();
            let chrono = serde_json::to_string(&(day, Some(day))).unwrap();
            assert_eq!(ours, chrono);
            day += Duration::days(37);
        }
        assert_eq!(serde_json::to_string(&Days(day, None)).unwrap(), format!("[\"{day}\",null]"));
    }

    #[test]
    fn shanghai_date_rolls_over_at_1600_utc() {
        let before = Utc.with_ymd_and_hms(2026, 3, 31, 15, 59, 59).unwrap();
        let after = Utc.with_ymd_and_hms(2026, 3, 31, 16, 0, 0).unwrap();
        assert_eq!(shanghai_date(before), NaiveDate::from_ymd_opt(2026, 3, 31).unwrap());
        assert_eq!(shanghai_date(after), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
    }

    #[test]
    fn offset_clock_starts_where_told() {
        let at = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
        let clock = OffsetClock::starting_at(at);
        let drift = (clock.now() - at).num_seconds().abs();
        assert!(drift < 5, "drift {drift}s");
    }
}
