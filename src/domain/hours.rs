//! The distribution sites' opening hours, as the `CRIBS_SITE_HOURS` setting gives them,
//! for the receipt to tell the family when to come back.
//!
//! The setting is entries separated by `;`; an entry is an optional site code and a colon,
//! then spans separated by `,`; a span is a day or a range of days and a time range:
//! `mon-fri 9:00-16:00, sat 10:00-13:00; cherry-hill: tue 10:00-14:00, thu 10:00-14:00`.
//! An entry without a site code is for every site that has none of its own. Days are
//! `mon` … `sun`; times are 24-hour `H:MM`. The words are the catalog's (`day-*`,
//! `days-range`, `hours-line`, `time-am`/`time-pm`): codes never reach the family.

use chrono::{NaiveTime, Timelike};
use std::collections::BTreeMap;

/// The days of the week as the setting writes them, Monday first.
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One span: a day or a range of days (indexes into [`DAYS`]) and the hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub first_day: usize,
    pub last_day: usize,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

/// Every site's hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteHours {
    every_site: Vec<Span>,
    by_site: BTreeMap<String, Vec<Span>>,
}

impl SiteHours {
    /// Read the setting; the error names the part that could not be read.
    pub fn parse(setting: &str) -> Result<SiteHours, String> {
        let mut hours = SiteHours::default();
        for entry in setting.split(';').map(str::trim).filter(|e| !e.is_empty()) {
            // "code: spans"; a colon after a space is a time's ("mon 9:00-16:00").
            let (site, spans) = match entry.split_once(':') {
                Some((code, rest)) if !code.trim().is_empty() && !code.trim().contains(char::is_whitespace) => {
                    (Some(code.trim().to_string()), rest)
                }
                _ => (None, entry),
            };
            let spans = spans
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(parse_span)
                .collect::<Result<Vec<Span>, String>>()?;
            match site {
                Some(code) => hours.by_site.entry(code).or_default().extend(spans),
                None => hours.every_site.extend(spans),
            }
        }
        Ok(hours)
    }

    /// The hours of the site with this code (its own, else every site's); empty when unknown.
    pub fn for_site(&self, code: &str) -> &[Span] {
        self.by_site.get(code).map_or(self.every_site.as_slice(), Vec::as_slice)
    }
}

fn parse_span(span: &str) -> Result<Span, String> {
    let bad = || format!("\"{span}\" is not a day and hours such as \"mon-fri 9:00-16:00\"");
    let (days, times) = span.split_once(char::is_whitespace).ok_or_else(bad)?;
    let day = |d: &str| DAYS.iter().position(|x| x.eq_ignore_ascii_case(d.trim())).ok_or_else(bad);
    let (first_day, last_day) = match days.split_once('-') {
        Some((a, b)) => (day(a)?, day(b)?),
        None => (day(days)?, day(days)?),
    };
    let (opens, closes) = times.trim().split_once('-').ok_or_else(bad)?;
    let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| bad());
    let (opens, closes) = (time(opens)?, time(closes)?);
    if first_day > last_day || opens >= closes {
        return Err(bad());
    }
    Ok(Span { first_day, last_day, opens, closes })
}

/// A time as `(hour on a 12-hour clock with minutes, is it afternoon)`: 9:00 → ("9:00", false),
/// 13:30 → ("1:30", true), 12:00 → ("12:00", true).
pub fn twelve_hour(t: NaiveTime) -> (String, bool) {
    let (pm, h) = t.hour12();
    (format!("{h}:{:02}", t.minute()), pm)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("time")
    }

    #[test]
    fn every_site_and_one_site_of_its_own() {
        let h = SiteHours::parse("mon-fri 9:00-16:00, sat 10:00-13:00; cherry-hill: tue 10:00-14:00").expect("hours");
        assert_eq!(
            h.for_site("druid-heights"),
            &[
                Span { first_day: 0, last_day: 4, opens: t(9, 0), closes: t(16, 0) },
                Span { first_day: 5, last_day: 5, opens: t(10, 0), closes: t(13, 0) }
            ]
        );
        assert_eq!(h.for_site("cherry-hill"), &[Span { first_day: 1, last_day: 1, opens: t(10, 0), closes: t(14, 0) }]);
        assert!(SiteHours::parse("").expect("empty").for_site("x").is_empty());
    }

    #[test]
    fn what_cannot_be_read_is_named() {
        for bad in ["monday 9-5", "mon-fri", "fri-mon 9:00-16:00", "mon 16:00-9:00", "x: mon 25:00-26:00"] {
            let e = SiteHours::parse(bad).expect_err(bad);
            assert!(e.contains("is not a day and hours"), "{e}");
        }
        assert_eq!(twelve_hour(t(13, 30)), ("1:30".to_string(), true));
        assert_eq!(twelve_hour(t(9, 0)), ("9:00".to_string(), false));
    }
}
