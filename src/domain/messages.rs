//! The rules of messages (issue 21, decision 0023): what kinds there are and who receives
//! each, the dedupe key that makes a message one of a kind, when a scheduled message is
//! due, the family's quiet hours, the sender's back-off, and how an e-mail address and a
//! mail server's answer are judged. No I/O here: the outbox (`store::outbox`) writes and
//! claims rows, the sender (`mail`) sends them.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// Who a kind of message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The nurse who sent a hospital request.
    Nurse,
    /// A family that gave an address and consent.
    Family,
    /// Every active program manager who has not muted the notice.
    Manager,
    /// Site staff of the site, who have not muted the notice.
    Staff,
}

macro_rules! kinds {
    ($($variant:ident = $text:literal, $audience:ident, $label:literal;)+) => {
        /// A kind of message: one template pair (text and HTML) per language.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Kind {
            $($variant),+
        }

        impl Kind {
            /// Every kind.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),+];

            /// The stored name (and the template's name).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Kind::$variant => $text),+
                }
            }

            /// The kind a stored name stands for.
            pub fn parse(text: &str) -> Option<Kind> {
                match text {
                    $($text => Some(Kind::$variant),)+
                    _ => None,
                }
            }

            /// Who receives it.
            pub const fn audience(self) -> Audience {
                match self {
                    $(Kind::$variant => Audience::$audience),+
                }
            }

            /// What it is, in words for the people who read the outbox and their settings.
            pub const fn label(self) -> &'static str {
                match self {
                    $(Kind::$variant => $label),+
                }
            }
        }
    };
}

kinds! {
    RequestAccepted = "request_accepted", Nurse, "Request accepted: where and until when (to the nurse)";
    RequestDeclined = "request_declined", Nurse, "Request declined, and why (to the nurse)";
    RequestHandedOut = "request_handed_out", Nurse, "The requested crib was handed out (to the nurse)";
    HoldEnding = "hold_ending", Nurse, "The hold ends tomorrow (to the nurse)";
    HoldExpired = "hold_expired", Nurse, "The hold ended and the crib was released (to the nurse)";
    CribReady = "crib_ready", Family, "The crib is ready at a site (to the family)";
    HoldReminder = "hold_reminder", Family, "Reminder the day before the hold ends (to the family)";
    StockLow = "stock_low", Manager, "A site fell to its low-stock threshold (to managers)";
    ManagerDigest = "manager_digest", Manager, "Daily digest: requests waiting, holds ending, failed messages (to managers)";
    CallsDue = "calls_due", Staff, "Each morning, the follow-up calls due at their sites (to site staff)";
    SurveyDue = "survey_due", Family, "The follow-up survey's questions are open (to the family)";
}

impl Kind {
    /// The kinds a user of this role can receive (and so mute).
    pub fn for_role(role: crate::domain::role::Role) -> Vec<Kind> {
        use crate::domain::role::Role;
        let audience = match role {
            Role::Nurse => Audience::Nurse,
            Role::ProgramManager => Audience::Manager,
            Role::SiteStaff => Audience::Staff,
            Role::Admin => return Vec::new(),
        };
        Kind::ALL.iter().copied().filter(|k| k.audience() == audience).collect()
    }
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its time (`not_before`), or for a mail server.
    Pending,
    /// Claimed by a sender until its lease ends.
    Sending,
    /// The mail server accepted it.
    Sent,
    /// Given up on: the server refused it for good, or every retry failed.
    Failed,
    /// Its cause went away before it was written (a hold moved, a request withdrawn).
    Cancelled,
    /// Not sent, on purpose, when its time came: no consent, or nothing left to say.
    Suppressed,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] =
        [Status::Pending, Status::Sending, Status::Sent, Status::Failed, Status::Cancelled, Status::Suppressed];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Suppressed => "suppressed",
        }
    }

    /// The status a stored name stands for.
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// In words, for a page.
    pub const fn words(self) -> &'static str {
        match self {
            Status::Pending => "waiting to be sent",
            Status::Sending => "being sent",
            Status::Sent => "sent",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Suppressed => "not sent, on purpose",
        }
    }
}

/// The dedupe keys: one message per cause and recipient.
pub mod key {
    use chrono::NaiveDate;

    /// A message about a hospital request (to its nurse, or its family).
    pub fn referral(id: i64, what: &str) -> String {
        format!("referral:{id}:{what}")
    }
    /// A low-stock notice's key before the manager's id (the outbox writes one per manager
    /// in one statement, appending each id): the site, the crib model and the movement or
    /// request that crossed the threshold (one crossing, one notice).
    pub fn stock_low_prefix(site: i64, model: i64, cause: &str) -> String {
        format!("stock-low:{site}:{model}:{cause}:user:")
    }
    /// A follow-up round's invitation to the family (one per round).
    pub fn survey(follow_up_id: i64) -> String {
        format!("survey:{follow_up_id}")
    }
    /// The follow-up round a survey invitation's key names.
    pub fn survey_round(key: &str) -> Option<i64> {
        key.strip_prefix("survey:")?.parse().ok()
    }
    /// A daily message's key (a digest, the calls due) before the user's id.
    pub fn daily_prefix(kind: super::Kind, day: NaiveDate) -> String {
        format!("{}:{day}:user:", kind.as_str())
    }
}

/// When the scheduled messages of the day before a hold ends are written: 09:00 New York.
pub const REMINDER_TIME: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// When the morning lists and digests are written: 07:00 New York.
pub const MORNING: NaiveTime = match NaiveTime::from_hms_opt(7, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

/// The reminder of a hold that ends on `until` (the last day it is held): the day before,
/// at `REMINDER_TIME`, New York time.
pub fn reminder_at(until: NaiveDate) -> DateTime<Utc> {
    let day = until - Duration::days(1);
    at_new_york(day, REMINDER_TIME)
}

/// An instant at a New York wall-clock time (09:00 and 07:00 exist on every day).
pub fn at_new_york(day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    crate::clock::from_new_york(day, time)
        .unwrap_or_else(|| crate::clock::start_of_new_york_day(day) + Duration::hours(i64::from(time.hour())))
}

/// Quiet hours for families: from 20:00 to 08:00 New York time nothing is sent to them.
pub const QUIET_FROM_HOUR: u32 = 20;
/// The end of the quiet hours.
pub const QUIET_UNTIL_HOUR: u32 = 8;

/// When a family message may go out at the earliest, if not at `t`: None when `t` is
/// outside the quiet hours, else the next 08:00 New York time.
pub fn after_quiet_hours(t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let local = crate::clock::in_new_york(t);
    let hour = local.hour();
    if (QUIET_UNTIL_HOUR..QUIET_FROM_HOUR).contains(&hour) {
        return None;
    }
    let day = if hour >= QUIET_FROM_HOUR { local.date_naive() + Duration::days(1) } else { local.date_naive() };
    let eight = NaiveTime::from_hms_opt(QUIET_UNTIL_HOUR, 0, 0).unwrap_or(NaiveTime::MIN);
    Some(at_new_york(day, eight))
}

/// How many times the sender tries a message before it is `failed`.
pub const MAX_ATTEMPTS: i32 = 8;

/// The longest wait between two tries.
pub const MAX_BACKOFF: Duration = Duration::hours(6);

/// How long to wait after the `attempts`-th failed try: one minute, doubling, at most
/// `MAX_BACKOFF`.
pub fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.saturating_sub(1).clamp(0, 20) as u32;
    let minutes = 1i64.checked_shl(doublings).unwrap_or(i64::MAX);
    std::cmp::min(Duration::minutes(minutes), MAX_BACKOFF)
}

/// What to do after a try failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again at this instant.
    Retry(DateTime<Utc>),
    /// Give up: the message is `failed`.
    GiveUp,
}

/// After the `attempts`-th try failed at `now`: retry later, or give up when the failure
/// is permanent (the server refused the recipient or the message) or tries ran out.
pub fn after_failure(attempts: i32, permanent: bool, now: DateTime<Utc>) -> AfterFailure {
    if permanent || attempts >= MAX_ATTEMPTS {
        AfterFailure::GiveUp
    } else {
        AfterFailure::Retry(now + backoff(attempts))
    }
}

/// A `Message-ID` that is the same on every try of one message (the dedupe key, made safe),
/// so a receiver can tell a repeated delivery after a crash from a new message.
pub fn message_id(dedupe_key: &str, domain: &str) -> String {
    let local: String =
        dedupe_key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '.' }).collect();
    format!("<{local}@{domain}>")
}

/// An e-mail address as stored: trimmed; refused (with a sentence) unless it is one
/// plain address (`name@domain.tld`, no spaces, no display name, at most 254 characters).
pub fn parse_address(text: &str) -> Result<String, &'static str> {
    if text.chars().any(char::is_control) {
        return Err("That is not an e-mail address: write it as name@example.org.");
    }
    let t = text.trim();
    if t.is_empty() {
        return Err("Give the family's e-mail address.");
    }
    if t.chars().count() > 254 || t.chars().any(|c| c.is_whitespace() || c.is_control() || "<>,;\"()[]\\".contains(c)) {
        return Err("That is not an e-mail address: write it as name@example.org.");
    }
    let Some((local, domain)) = t.rsplit_once('@') else {
        return Err("That is not an e-mail address: write it as name@example.org.");
    };
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.contains('@') || local.chars().count() > 64 || !domain_ok {
        return Err("That is not an e-mail address: write it as name@example.org.");
    }
    Ok(t.to_string())
}

/// The muted notices of a user as stored (comma-separated kind names), known kinds only.
pub fn parse_muted(text: &str) -> Vec<Kind> {
    text.split(',').filter_map(|s| Kind::parse(s.trim())).collect()
}

/// The stored form of a list of muted notices.
pub fn format_muted(kinds: &[Kind]) -> String {
    let mut names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn every_kind_reads_back_from_its_name_and_has_an_audience() {
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(Kind::parse("nope"), None);
        assert_eq!(Kind::CribReady.audience(), Audience::Family);
        assert_eq!(Kind::for_role(crate::domain::role::Role::Nurse).len(), 5);
        assert!(Kind::for_role(crate::domain::role::Role::Admin).is_empty());
    }

    #[test]
    fn backoff_doubles_from_a_minute_and_stops_at_six_hours() {
        assert_eq!(backoff(1), Duration::minutes(1));
        assert_eq!(backoff(2), Duration::minutes(2));
        assert_eq!(backoff(4), Duration::minutes(8));
        assert_eq!(backoff(12), MAX_BACKOFF);
        assert_eq!(backoff(i32::MAX), MAX_BACKOFF);
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 15, 0, 0).unwrap();
        assert_eq!(after_failure(1, false, now), AfterFailure::Retry(now + Duration::minutes(1)));
        assert_eq!(after_failure(1, true, now), AfterFailure::GiveUp);
        assert_eq!(after_failure(MAX_ATTEMPTS, false, now), AfterFailure::GiveUp);
    }

    #[test]
    fn quiet_hours_are_eight_in_the_evening_to_eight_in_the_morning_in_new_york() {
        // 2026-12-05 15:00 UTC = 10:00 New York (EST): not quiet.
        assert_eq!(after_quiet_hours(Utc.with_ymd_and_hms(2026, 12, 5, 15, 0, 0).unwrap()), None);
        // 21:30 New York = 02:30 UTC next day: waits for 08:00 New York = 13:00 UTC.
        let late = Utc.with_ymd_and_hms(2026, 12, 6, 2, 30, 0).unwrap();
        assert_eq!(after_quiet_hours(late), Some(Utc.with_ymd_and_hms(2026, 12, 6, 13, 0, 0).unwrap()));
        // 06:00 New York: the same morning at 08:00.
        let early = Utc.with_ymd_and_hms(2026, 12, 6, 11, 0, 0).unwrap();
        assert_eq!(after_quiet_hours(early), Some(Utc.with_ymd_and_hms(2026, 12, 6, 13, 0, 0).unwrap()));
        // In summer (EDT, UTC-4): 19:59 New York is not quiet, 20:00 is.
        assert_eq!(after_quiet_hours(Utc.with_ymd_and_hms(2026, 7, 1, 23, 59, 0).unwrap()), None);
        assert_eq!(
            after_quiet_hours(Utc.with_ymd_and_hms(2026, 7, 2, 0, 0, 0).unwrap()),
            Some(Utc.with_ymd_and_hms(2026, 7, 2, 12, 0, 0).unwrap())
        );
        // The night the clocks go back (2026-11-01): 01:30 New York waits for 08:00 EST.
        let fall = Utc.with_ymd_and_hms(2026, 11, 1, 6, 30, 0).unwrap();
        assert_eq!(after_quiet_hours(fall), Some(Utc.with_ymd_and_hms(2026, 11, 1, 13, 0, 0).unwrap()));
    }

    #[test]
    fn a_reminder_is_the_day_before_the_hold_ends_at_nine_in_new_york() {
        let until = NaiveDate::from_ymd_opt(2026, 12, 10).unwrap();
        assert_eq!(reminder_at(until), Utc.with_ymd_and_hms(2026, 12, 9, 14, 0, 0).unwrap());
    }

    #[test]
    fn a_message_id_is_stable_and_safe() {
        let a = message_id("referral:42:accepted", "cribs.example.org");
        assert_eq!(a, "<referral.42.accepted@cribs.example.org>");
        assert_eq!(a, message_id("referral:42:accepted", "cribs.example.org"));
    }

    #[test]
    fn addresses_are_judged_plainly() {
        assert_eq!(parse_address("  ana@example.org "), Ok("ana@example.org".into()));
        assert_eq!(parse_address("o'brien-nunez@correo.example.mx"), Ok("o'brien-nunez@correo.example.mx".into()));
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "Ana <ana@example.org>",
            "a b@example.org",
            "ana@ex..org",
            "ana@example.org\n",
        ] {
            assert!(parse_address(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn muted_notices_read_and_write_back() {
        let kinds = parse_muted("stock_low, manager_digest,unknown");
        assert_eq!(kinds, vec![Kind::StockLow, Kind::ManagerDigest]);
        assert_eq!(format_muted(&kinds), "manager_digest,stock_low");
        assert!(parse_muted("").is_empty());
    }
}
