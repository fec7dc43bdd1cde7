//! Calendar arithmetic for the eligibility rules.
//!
//! "Under 8 months" means the check date is before the day the baby turns 8 months: the
//! same day of the month 8 months after birth, or that month's last day when the month
//! has no such day (born March 31 → turns 8 months on November 30). These functions are
//! pure and work on plain calendar dates (the caller converts "now" to the program's
//! local date first).

use chrono::{Months, NaiveDate};

/// The same day of the month `months` calendar months after `date`, or that month's last
/// day when it has no such day.
///
/// Examples: 2026-03-24 + 8 → 2026-11-24; 2026-03-31 + 8 → 2026-11-30;
/// 2024-02-29 + 12 → 2025-02-28; 2026-05-15 + 8 → 2027-01-15.
///
/// Saturates at [`NaiveDate::MAX`] if the result would be past the last representable date.
pub fn add_months_clamped(date: NaiveDate, months: u32) -> NaiveDate {
    // chrono clamps to the last day of the month when the day does not exist there.
    date.checked_add_months(Months::new(months)).unwrap_or(NaiveDate::MAX)
}

/// The day a baby born on `birth` turns `months` calendar months old (see
/// [`add_months_clamped`]).
pub fn turns_months_on(birth: NaiveDate, months: u32) -> NaiveDate {
    add_months_clamped(birth, months)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test date parses")
    }

    #[test]
    fn add_months_clamped_table() {
        let cases = [
            // (start, months, expected, why)
            ("2026-03-24", 8, "2026-11-24", "same day of month"),
            ("2026-03-23", 8, "2026-11-23", "same day of month"),
            ("2026-03-31", 8, "2026-11-30", "November has no 31st"),
            ("2026-03-30", 8, "2026-11-30", "November 30 exists"),
            ("2026-01-31", 1, "2026-02-28", "February of a common year"),
            ("2024-01-31", 1, "2024-02-29", "February of a leap year"),
            ("2024-02-29", 12, "2025-02-28", "leap day to a common year"),
            ("2024-02-29", 48, "2028-02-29", "leap day to a leap year"),
            ("2023-06-29", 8, "2024-02-29", "into a leap February"),
            ("2023-06-30", 8, "2024-02-29", "clamped into a leap February"),
            ("2025-06-30", 8, "2026-02-28", "clamped into a common February"),
            ("2026-05-15", 8, "2027-01-15", "December rolls into the next year"),
            ("2026-12-31", 1, "2027-01-31", "December to January"),
            ("2026-12-01", 0, "2026-12-01", "zero months is the same day"),
            ("2026-08-31", 1, "2026-09-30", "30-day month"),
            ("2026-07-31", 24, "2028-07-31", "two years"),
            ("1999-12-31", 2, "2000-02-29", "2000 is a leap year"),
            ("2099-12-31", 2, "2100-02-28", "2100 is not a leap year"),
        ];
        for (start, months, expected, why) in cases {
            assert_eq!(add_months_clamped(d(start), months), d(expected), "{start} + {months} months ({why})");
        }
    }

    #[test]
    fn turns_months_on_is_the_same_rule() {
        assert_eq!(turns_months_on(d("2026-03-31"), 8), d("2026-11-30"));
        assert_eq!(turns_months_on(d("2026-03-24"), 8), d("2026-11-24"));
    }

    #[test]
    fn saturates_instead_of_panicking() {
        assert_eq!(add_months_clamped(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_months_clamped(d("2026-01-01"), u32::MAX), NaiveDate::MAX);
    }
}
