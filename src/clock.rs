//! The program's clock: timestamps are UTC truncated to microseconds (SQLite keeps
//! nanoseconds, PostgreSQL microseconds), and "today" is a New York date.

use chrono::{DateTime, NaiveDate, SubsecRound, TimeZone, Utc};
use chrono_tz::America::New_York;

/// Now, in UTC, truncated to microseconds so both databases store the same value.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Today's date in the program's calendar (America/New_York).
pub fn today() -> NaiveDate {
    date_in_new_york(Utc::now())
}

/// The New York calendar date of an instant.
pub fn date_in_new_york(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&New_York).date_naive()
}

/// The instant a New York calendar day begins (midnight always exists there: DST changes at 2 a.m.).
pub fn start_of_day_in_new_york(d: NaiveDate) -> DateTime<Utc> {
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    match New_York.from_local_datetime(&midnight).earliest() {
        Some(t) => t.with_timezone(&Utc),
        None => Utc.from_utc_datetime(&midnight),
    }
}

/// An instant as people here read it: New York date and time, `2026-03-04 14:05`.
pub fn local_date_time(t: DateTime<Utc>) -> String {
    t.with_timezone(&New_York).format("%Y-%m-%d %H:%M").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_evening_in_new_york_is_still_that_day() {
        // 2026-12-31 23:59 in New York is 2027-01-01 04:59 UTC.
        let t = Utc.with_ymd_and_hms(2027, 1, 1, 4, 59, 0).single().expect("valid");
        assert_eq!(date_in_new_york(t), NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid"));
    }

    #[test]
    fn new_york_days_begin_at_local_midnight() {
        let winter = NaiveDate::from_ymd_opt(2026, 1, 15).expect("valid");
        assert_eq!(
            start_of_day_in_new_york(winter),
            Utc.with_ymd_and_hms(2026, 1, 15, 5, 0, 0).single().expect("valid")
        );
        let summer = NaiveDate::from_ymd_opt(2026, 7, 15).expect("valid");
        assert_eq!(
            start_of_day_in_new_york(summer),
            Utc.with_ymd_and_hms(2026, 7, 15, 4, 0, 0).single().expect("valid")
        );
        assert_eq!(
            local_date_time(Utc.with_ymd_and_hms(2027, 1, 1, 4, 59, 0).single().expect("valid")),
            "2026-12-31 23:59"
        );
    }
}
