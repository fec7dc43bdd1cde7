//! The program's clock: timestamps are UTC truncated to microseconds (SQLite keeps
//! nanoseconds, PostgreSQL microseconds), and "today" is a New York date.

use chrono::{DateTime, NaiveDate, NaiveTime, SubsecRound, TimeZone, Utc};
use chrono_tz::America::New_York;
use chrono_tz::Tz;

/// Now, in UTC, truncated to microseconds so both databases store the same value.
pub fn now() -> DateTime<Utc> {
    shifted(Utc::now()).trunc_subsecs(6)
}

/// The test clock's setting: the file `CRIBS_TEST_CLOCK` names, read once per start.
/// For tests of a whole running server only (the FHIR round trip lets a hold lapse); never
/// set in production, and the server says so at start-up when it is.
static TEST_CLOCK: std::sync::OnceLock<Option<std::path::PathBuf>> = std::sync::OnceLock::new();

/// The file the test clock reads, if one is set.
pub fn test_clock_file() -> Option<&'static std::path::Path> {
    TEST_CLOCK
        .get_or_init(|| std::env::var_os("CRIBS_TEST_CLOCK").filter(|v| !v.is_empty()).map(std::path::PathBuf::from))
        .as_deref()
}

/// The real instant as the test clock moves it: the file holds a number of seconds to add
/// (`+864000`: ten days on) or an instant to stand still at (`2026-11-01T05:30:00Z`);
/// anything else (or no file) leaves the real time.
fn shifted(real: DateTime<Utc>) -> DateTime<Utc> {
    let Some(file) = test_clock_file() else { return real };
    let setting = std::fs::read_to_string(file).unwrap_or_default();
    apply_setting(real, setting.trim())
}

/// A test clock setting applied to the real instant (see `shifted`).
pub fn apply_setting(real: DateTime<Utc>, setting: &str) -> DateTime<Utc> {
    if let Ok(seconds) = setting.trim_start_matches('+').parse::<i64>() {
        return real + chrono::Duration::seconds(seconds);
    }
    DateTime::parse_from_rfc3339(setting).map(|t| t.with_timezone(&Utc)).unwrap_or(real)
}

/// Today's date in the program's calendar (America/New_York).
pub fn today() -> NaiveDate {
    date_in_new_york(now())
}

/// The New York calendar date of an instant.
pub fn date_in_new_york(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&New_York).date_naive()
}

/// An instant as New York wall-clock time (for showing times to people).
pub fn in_new_york(t: DateTime<Utc>) -> DateTime<Tz> {
    t.with_timezone(&New_York)
}

/// The first instant of a New York calendar day, in UTC (for "from this date" filters;
/// the day after's start is the exclusive end of "to this date").
pub fn start_of_new_york_day(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_time(NaiveTime::MIN);
    // NOTE: New York changes its clocks at 2 a.m., so midnight always exists; should a zone
    // ever skip midnight, the earliest instant of that day is taken.
    match New_York.from_local_datetime(&midnight).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => New_York
            .from_local_datetime(&(midnight + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight)),
    }
}

/// An instant as people here read it: New York date and time, `2026-03-04 14:05`.
pub fn local_date_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&New_York).format("%Y-%m-%d %H:%M").to_string()
}

/// A wall-clock date and time in the program's calendar (America/New_York) as an instant
/// (None for a time that does not exist that day, in the spring-forward hour).
pub fn from_new_york(d: NaiveDate, t: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    New_York.from_local_datetime(&d.and_time(t)).earliest().map(|x| x.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_clock_moves_on_or_stands_still() {
        let real = Utc.with_ymd_and_hms(2026, 12, 5, 12, 0, 0).single().expect("valid");
        assert_eq!(apply_setting(real, "+86400"), real + chrono::Duration::days(1));
        assert_eq!(apply_setting(real, "-60"), real - chrono::Duration::minutes(1));
        let still = Utc.with_ymd_and_hms(2026, 11, 1, 5, 30, 0).single().expect("valid");
        assert_eq!(apply_setting(real, "2026-11-01T05:30:00Z"), still);
        assert_eq!(apply_setting(real, ""), real);
        assert_eq!(apply_setting(real, "tomorrow"), real);
    }

    #[test]
    fn late_evening_in_new_york_is_still_that_day() {
        // 2026-12-31 23:59 in New York is 2027-01-01 04:59 UTC.
        let t = Utc.with_ymd_and_hms(2027, 1, 1, 4, 59, 0).single().expect("valid");
        assert_eq!(date_in_new_york(t), NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid"));
    }

    #[test]
    fn a_new_york_day_starts_at_local_midnight_in_winter_and_summer() {
        let jan = NaiveDate::from_ymd_opt(2026, 1, 15).expect("valid");
        assert_eq!(start_of_new_york_day(jan), Utc.with_ymd_and_hms(2026, 1, 15, 5, 0, 0).single().expect("valid"));
        let jul = NaiveDate::from_ymd_opt(2026, 7, 15).expect("valid");
        assert_eq!(start_of_new_york_day(jul), Utc.with_ymd_and_hms(2026, 7, 15, 4, 0, 0).single().expect("valid"));
        // The day clocks spring forward still starts at midnight (EST).
        let dst = NaiveDate::from_ymd_opt(2026, 3, 8).expect("valid");
        assert_eq!(start_of_new_york_day(dst), Utc.with_ymd_and_hms(2026, 3, 8, 5, 0, 0).single().expect("valid"));
        assert_eq!(
            local_date_time(Utc.with_ymd_and_hms(2027, 1, 1, 4, 59, 0).single().expect("valid")),
            "2026-12-31 23:59"
        );
    }
}
