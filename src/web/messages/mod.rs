//! Message pages (issue 21): the outbox for administrators and program managers
//! (`/messages`, with "Send again"), the family-facing unsubscribe page of every family
//! e-mail (`/messages/unsubscribe/<token>`, no sign-in), and the forms other pages carry:
//! a family's e-mail consent on the family page, one's own notices on the account page, and
//! a manager's "hold the crib until" on a request page. Each write is the store's
//! (`store::outbox`, `store::referrals::move_hold_once`) through the write runner, as the
//! JSON API does it (`api::messages`).

pub mod family;
pub mod hold;
pub mod notices;
pub mod outbox;
pub mod unsubscribe;

use crate::domain::family::LANGUAGES;
use crate::store::outbox::views::MessageView;
use crate::store::write::FormToken;
use chrono::{DateTime, Utc};
use rocket::{routes, Route};
use serde_json::{json, Value};

/// The message routes.
pub fn routes() -> Vec<Route> {
    routes![
        outbox::outbox_page,
        outbox::retry,
        unsubscribe::unsubscribe_page,
        unsubscribe::unsubscribe_submit,
        family::give,
        family::withdraw,
        notices::save,
        hold::move_hold,
    ]
}

/// A language code in its own words ("English", "Español"), or the code itself.
pub fn language_words(code: &str) -> String {
    LANGUAGES.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, l)| l.to_string())
}

/// An instant for a table: New York time in words, and to the second for `<time datetime>`.
pub fn when(t: DateTime<Utc>) -> Value {
    json!({"local": crate::clock::local_date_time(t), "iso": t.format("%Y-%m-%dT%H:%M:%SZ").to_string()})
}

/// Whether a message in this status may be sent again.
pub fn retriable(status: &str) -> bool {
    matches!(status, "failed" | "suppressed" | "cancelled")
}

/// A message as a table row shows it: what, to whom, its status in words, when it was sent
/// (or is due), its tries and the reason it was not sent; `with_retry` adds a one-time
/// token for the "Send again" form of a row that may be sent again.
pub fn row(m: &MessageView, with_retry: bool) -> Value {
    let sent = m.status == "sent";
    json!({
        "id": m.id,
        "about": m.about,
        "recipient": m.recipient,
        "family_id": m.family_id,
        "referral_id": m.referral_id,
        "language": language_words(&m.language),
        "status": m.status,
        "status_words": m.status_words,
        "sent": m.sent_at.map(when),
        "due": when(m.not_before),
        "attempts": m.attempts,
        "reason": if sent { None } else { m.reason.clone() },
        "retry_token": (with_retry && retriable(&m.status)).then(FormToken::fresh),
    })
}
