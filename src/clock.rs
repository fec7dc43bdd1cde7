//! The program's clock: timestamps are UTC truncated to microseconds (SQLite keeps
//! nanoseconds, PostgreSQL microseconds), and "today" is a New York date.

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn late_evening_in_new_york_is_still_that_day() {
        // 2026-12-31 23:59 in New York is 2027-01-01 04:59 UTC.
        let t = Utc.with_ymd_and_hms(2027, 1, 1, 4, 59, 0).single().expect("valid");
        assert_eq!(date_in_new_york(t), NaiveDate::from_ymd_opt(2026, 12, 31).expect("valid"));
    }
}
