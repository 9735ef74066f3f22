//! Working days (工作日): Monday to Friday, except the bureau's overrides (法定节假日 on
//! weekdays are not working days; 调休 weekends are).

use chrono::{DateTime, Datelike, NaiveDate, Utc, Weekday};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use crate::actor::{Actor, Role};
use crate::audit::{self, AuditEntry};
use crate::clock::to_db;
use crate::db::{write_tx, DbConnection};
use crate::error::required_text;
use crate::error::{DomainError, DomainResult, ErrorCode};
use crate::schema::calendar_days;

/// Whether a day is a working day, given the region's overrides.
pub fn is_working(day: NaiveDate, overrides: &HashMap<NaiveDate, bool>) -> bool {
    overrides.get(&day).copied().unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
}

/// The `n`th working day after `start` (not counting `start` itself).
pub fn add_working_days(start: NaiveDate, n: u32, overrides: &HashMap<NaiveDate, bool>) -> NaiveDate {
    let mut day = start;
    let mut left = n;
    while left > 0 {
        day = day.succ_opt().expect("date in range");
        if is_working(day, overrides) {
            left -= 1;
        }
    }
    day
}

/// The region's overrides from `from` on (a window is at most a few weeks long).
pub fn overrides_from(
    conn: &mut DbConnection,
    region_id: &str,
    from: NaiveDate,
) -> DomainResult<HashMap<NaiveDate, bool>> {
    Ok(calendar_days::table
        .filter(calendar_days::region_id.eq(region_id))
        .filter(calendar_days::day.ge(from))
        .select((calendar_days::day, calendar_days::is_working))
        .load::<(NaiveDate, bool)>(conn)?
        .into_iter()
        .collect())
}

#[derive(Clone, Debug, Serialize, Deserialize, Queryable)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarDay {
    pub day: NaiveDate,
    /// false: a holiday on a weekday; true: a working weekend day (调休).
    pub is_working: bool,
    pub name: String,
}

/// Sets (or replaces) the bureau's overrides for some days.
pub fn set_days(
    conn: &mut DbConnection,
    actor: &Actor,
    days: Vec<CalendarDay>,
    now: DateTime<Utc>,
) -> DomainResult<Vec<CalendarDay>> {
    actor.require(&[Role::BureauOfficer], "maintain the holiday calendar")?;
    let region_id = actor.region()?.to_string();
    if days.is_empty() || days.len() > 400 {
        return Err(DomainError::invalid(ErrorCode::InvalidBody, "days", "send 1 to 400 days"));
    }
    let mut cleaned = Vec::with_capacity(days.len());
    for (i, d) in days.into_iter().enumerate() {
        let name = required_text(&d.name, &format!("[{i}].name"), 50)?;
        cleaned.push(CalendarDay { day: d.day, is_working: d.is_working, name });
    }
    write_tx(conn, |conn| {
        for d in &cleaned {
            diesel::delete(calendar_days::table.find((&region_id, d.day))).execute(conn)?;
            diesel::insert_into(calendar_days::table)
                .values((
                    calendar_days::region_id.eq(&region_id),
                    calendar_days::day.eq(d.day),
                    calendar_days::is_working.eq(d.is_working),
                    calendar_days::name.eq(&d.name),
                    calendar_days::created_by.eq(&actor.user_id),
                    calendar_days::created_at.eq(to_db(now)),
                ))
                .execute(conn)?;
            let key = format!("{region_id}:{}", d.day);
            audit::record(conn, AuditEntry::created(actor, Some(&region_id), "calendar_day", &key, d), now)?;
        }
        Ok(cleaned.clone())
    })
}

pub fn list_days(conn: &mut DbConnection, actor: &Actor, year: i32) -> DomainResult<Vec<CalendarDay>> {
    let region_id = actor.region()?.to_string();
    let from = NaiveDate::from_ymd_opt(year, 1, 1)
        .ok_or_else(|| DomainError::invalid(ErrorCode::InvalidYear, "year", "no such year"))?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("valid");
    Ok(calendar_days::table
        .filter(calendar_days::region_id.eq(region_id))
        .filter(calendar_days::day.between(from, to))
        .order(calendar_days::day.asc())
        .select((calendar_days::day, calendar_days::is_working, calendar_days::name))
        .load(conn)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn five_working_days_skip_the_weekend() {
        let none = HashMap::new();
        // Wednesday 2 December 2026 + 5 working days = Wednesday 9 December.
        assert_eq!(add_working_days(d(2026, 12, 2), 5, &none), d(2026, 12, 9));
        // Friday + 1 = Monday.
        assert_eq!(add_working_days(d(2026, 12, 4), 1, &none), d(2026, 12, 7));
        // Saturday + 1 = Monday.
        assert_eq!(add_working_days(d(2026, 12, 5), 1, &none), d(2026, 12, 7));
    }

    #[test]
    fn holidays_and_working_weekends_move_the_window() {
        // New Year 2027: Friday 1 January is a holiday; say Saturday 9 January is worked (调休).
        let overrides: HashMap<_, _> = [(d(2027, 1, 1), false), (d(2027, 1, 9), true)].into_iter().collect();
        // Wednesday 30 December + 5: Thu 31, (Fri 1 off), Mon 4, Tue 5, Wed 6, Thu 7.
        assert_eq!(add_working_days(d(2026, 12, 30), 5, &overrides), d(2027, 1, 7));
        // Thursday 7 January + 2: Fri 8, Sat 9 (worked).
        assert_eq!(add_working_days(d(2027, 1, 7), 2, &overrides), d(2027, 1, 9));
    }
}
