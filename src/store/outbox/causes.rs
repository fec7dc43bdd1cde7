//! What each business action writes to the outbox, in its own transaction: one function per
//! cause, called by the action (`store::referrals`, `store::handouts`, `store::stock_ops`)
//! after its change and before its commit. A family's messages are written only while it
//! has consented (and re-checked when sent); a user's are written always and suppressed
//! when sent if the user muted that notice (so the outbox shows it).

use super::{cancel, put, NewMessage, Recipient};
use crate::domain::messages::{at_new_york, key, reminder_at, Kind};
use crate::entity::{message_consent, referral};
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr};

/// The language of a user's messages (users have no language of their own yet).
const USER_LANGUAGE: &str = "en";

/// The keys of a request's scheduled messages: the nurse's "hold ending" and the family's
/// reminder.
fn scheduled_keys(referral_id: i64) -> Vec<String> {
    vec![key::referral(referral_id, "hold-ending"), key::referral(referral_id, "reminder:family")]
}

/// A family's live consent to e-mail, if any.
pub async fn consent_of(db: &impl ConnectionTrait, family_id: i64) -> Result<Option<message_consent::Model>, DbErr> {
    Ok(super::consent::live(db, family_id).await?.filter(|c| c.address.is_some()))
}

fn about(mut m: NewMessage, r: &referral::Model) -> NewMessage {
    m.referral_id = Some(r.id);
    m.site_id = r.reserved_site_id;
    m.crib_model_id = r.reserved_crib_model_id;
    m.on_date = r.reserved_until;
    m
}

/// A request accepted with a crib held until `until`: the nurse hears now, and the day
/// before the hold ends; the family (with consent) hears that the crib is ready, and is
/// reminded the day before.
pub async fn request_accepted(db: &impl ConnectionTrait, r: &referral::Model, until: NaiveDate) -> Result<(), DbErr> {
    let nurse = Recipient::User(r.created_by);
    put(db, about(NewMessage::new(Kind::RequestAccepted, key::referral(r.id, "accepted"), nurse, USER_LANGUAGE), r))
        .await?;
    hold_moved(db, r, until).await?;
    if let Some(c) = consent_of(db, r.family_id).await? {
        let family = Recipient::Family(r.family_id);
        let ready = NewMessage::new(Kind::CribReady, key::referral(r.id, "ready:family"), family, &c.language);
        put(db, about(ready, r)).await?;
    }
    Ok(())
}

/// A hold's end moved to `until` (accepted, or changed by a manager): the scheduled
/// messages are written, or moved by their keys, to the day before.
pub async fn hold_moved(db: &impl ConnectionTrait, r: &referral::Model, until: NaiveDate) -> Result<(), DbErr> {
    let at = reminder_at(until);
    let nurse = Recipient::User(r.created_by);
    let mut ending =
        about(NewMessage::new(Kind::HoldEnding, key::referral(r.id, "hold-ending"), nurse, USER_LANGUAGE), r);
    ending.not_before = at;
    ending.on_date = Some(until);
    put(db, ending).await?;
    if let Some(c) = consent_of(db, r.family_id).await? {
        let family = Recipient::Family(r.family_id);
        let mut reminder =
            about(NewMessage::new(Kind::HoldReminder, key::referral(r.id, "reminder:family"), family, &c.language), r);
        reminder.not_before = at;
        reminder.on_date = Some(until);
        put(db, reminder).await?;
    }
    Ok(())
}

/// A request declined: the nurse hears why; what was scheduled for its hold is cancelled.
pub async fn request_declined(db: &impl ConnectionTrait, r: &referral::Model) -> Result<(), DbErr> {
    cancel(db, &scheduled_keys(r.id), "the request was declined").await?;
    let nurse = Recipient::User(r.created_by);
    put(db, about(NewMessage::new(Kind::RequestDeclined, key::referral(r.id, "declined"), nurse, USER_LANGUAGE), r))
        .await
        .map(|_| ())
}

/// A request cancelled: what was scheduled for its hold is cancelled (nobody else is told:
/// the nurse or a manager cancelled it).
pub async fn request_cancelled(db: &impl ConnectionTrait, r: &referral::Model) -> Result<(), DbErr> {
    cancel(db, &scheduled_keys(r.id), "the request was cancelled").await.map(|_| ())
}

/// A request's crib handed out: the nurse hears it. The reminders scheduled for its hold
/// are left to the sender, which finds the request fulfilled and suppresses them, saying so.
pub async fn request_handed_out(db: &impl ConnectionTrait, r: &referral::Model) -> Result<(), DbErr> {
    let nurse = Recipient::User(r.created_by);
    put(db, about(NewMessage::new(Kind::RequestHandedOut, key::referral(r.id, "handed-out"), nurse, USER_LANGUAGE), r))
        .await
        .map(|_| ())
}

/// A hold that lapsed: the nurse hears that the crib was released.
pub async fn hold_expired(db: &impl ConnectionTrait, r: &referral::Model) -> Result<(), DbErr> {
    let nurse = Recipient::User(r.created_by);
    put(db, about(NewMessage::new(Kind::HoldExpired, key::referral(r.id, "expired"), nurse, USER_LANGUAGE), r))
        .await
        .map(|_| ())
}

/// A site's available cribs of a model fell by `fell` to or under its low-stock threshold
/// from above it: every active program manager gets one notice for this crossing (`cause`
/// names it: a handout's receipt, a request, a movement), and nothing is written when the
/// balance did not cross. One statement, whatever the balance is.
pub async fn stock_fell(
    db: &impl ConnectionTrait,
    site_id: i64,
    crib_model_id: i64,
    fell: i32,
    cause: &str,
) -> Result<(), DbErr> {
    let backend = db.get_database_backend();
    let statement = stock_low_sql(backend, site_id, crib_model_id, fell, cause, None).statement();
    db.execute_raw(statement).await.map(|_| ())
}

/// The statement of `stock_fell`: an `INSERT … SELECT` of one row per active manager, when
/// the balance is at or under its threshold and was above it before it fell by `fell`.
/// `only_if_receipt` adds "and a handout with this receipt exists" (the SQLite handout
/// script, where the take may not have happened).
pub(crate) fn stock_low_sql(
    backend: sea_orm::DbBackend,
    site_id: i64,
    crib_model_id: i64,
    fell: i32,
    cause: &str,
    only_if_receipt: Option<&str>,
) -> Sql {
    let now = crate::clock::now();
    let mut sql = Sql::new(backend);
    sql.push(
        "INSERT INTO messages (dedupe_key, kind, user_id, site_id, crib_model_id, language, status, not_before, \
         attempts, created_at, updated_at) SELECT ",
    )
    .bind(key::stock_low_prefix(site_id, crib_model_id, cause))
    .push(" || CAST(u.id AS TEXT), ")
    .bind(Kind::StockLow.as_str())
    .push(", u.id, b.site_id, b.crib_model_id, ")
    .bind(USER_LANGUAGE)
    .push(", 'pending', ")
    .bind(now)
    .push(", 0, ")
    .bind(now)
    .push(", ")
    .bind(now)
    .push(" FROM stock_balances b JOIN users u ON u.role = 'program_manager' AND u.active WHERE b.site_id = ")
    .bind(site_id)
    .push(" AND b.crib_model_id = ")
    .bind(crib_model_id)
    .push(" AND b.on_hand - b.reserved <= b.low_stock_threshold AND b.on_hand - b.reserved + ")
    .bind(fell)
    .push(" > b.low_stock_threshold");
    if let Some(receipt) = only_if_receipt {
        sql.push(" AND EXISTS (SELECT 1 FROM handouts h WHERE h.receipt_number = ").bind(receipt.to_string()).push(")");
    }
    sql.push(" ON CONFLICT (dedupe_key) DO NOTHING");
    sql
}

/// The follow-up survey's invitations, written each morning (`morning`): to each family with
/// a live e-mail consent, one message per round, for rounds still open and due in the last
/// week (so a morning the server missed is made up), sent at 09:00 New York that day (at once
/// when the morning's pass ran later). Returns how many were written.
pub async fn survey_invitations(db: &impl ConnectionTrait, day: NaiveDate) -> Result<u64, DbErr> {
    use crate::domain::survey;
    #[derive(sea_orm::FromQueryResult)]
    struct Due {
        id: i64,
        family_id: i64,
        due_on: NaiveDate,
        language: String,
    }
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT f.id AS id, h.family_id AS family_id, f.due_on AS due_on, c.language AS language \
         FROM follow_ups f JOIN handouts h ON h.id = f.handout_id \
         JOIN message_consents c ON c.family_id = h.family_id AND c.withdrawn_at IS NULL AND c.address IS NOT NULL \
         WHERE f.status = 'due' AND h.voided_at IS NULL AND h.survey_token IS NOT NULL AND f.due_on <= ",
    )
    .bind(day)
    .push(" AND f.due_on >= ")
    .bind(survey::calls_due_by(day));
    let rounds = <Due as sea_orm::FromQueryResult>::find_by_statement(sql.statement()).all(db).await?;
    let mut written = 0;
    for r in rounds {
        let mut m = NewMessage::new(Kind::SurveyDue, key::survey(r.id), Recipient::Family(r.family_id), &r.language);
        m.on_date = Some(r.due_on);
        m.not_before = at_new_york(day, crate::domain::messages::REMINDER_TIME);
        written += u64::from(super::put_once(db, m).await?);
    }
    Ok(written)
}

/// The morning's messages to users for `day` (written once a day by the sender, one of a
/// kind by their keys): each active program manager's digest, and to site staff the
/// follow-up calls due at their sites when there are any. Returns how many were written.
pub async fn morning(db: &impl ConnectionTrait, day: NaiveDate) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let at = at_new_york(day, crate::domain::messages::MORNING);
    let now = crate::clock::now();
    let mut written = 0;
    for (kind, role) in [(Kind::ManagerDigest, "program_manager"), (Kind::CallsDue, "site_staff")] {
        let mut sql = Sql::new(backend);
        sql.push(
            "INSERT INTO messages (dedupe_key, kind, user_id, on_date, language, status, not_before, attempts, \
             created_at, updated_at) SELECT ",
        )
        .bind(key::daily_prefix(kind, day))
        .push(" || CAST(u.id AS TEXT), ")
        .bind(kind.as_str())
        .push(", u.id, ")
        .bind(day)
        .push(", ")
        .bind(USER_LANGUAGE)
        .push(", 'pending', ")
        .bind(at)
        .push(", 0, ")
        .bind(now)
        .push(", ")
        .bind(now)
        .push(" FROM users u WHERE u.active AND u.role = ")
        .bind(role);
        if kind == Kind::CallsDue {
            // Only staff with calls due at one of their sites.
            sql.push(
                " AND EXISTS (SELECT 1 FROM user_sites us JOIN follow_ups f ON f.site_id = us.site_id \
                 AND f.status = 'due' WHERE us.user_id = u.id AND f.due_on <= ",
            )
            .bind(crate::domain::survey::calls_due_by(day))
            .push(")");
        }
        sql.push(" ON CONFLICT (dedupe_key) DO NOTHING");
        written += db.execute_raw(sql.statement()).await?.rows_affected();
    }
    written += survey_invitations(db, day).await?;
    Ok(written)
}
