//! The outbox (issue 21, DESIGN.md invariant 11, decision 0023): a message is a row written
//! in the transaction of the change that causes it, one of a kind by its dedupe key. A
//! scheduled message is a row with a later `not_before`: when its date changes the same
//! transaction moves it by its key (`put`), and when its cause goes away it is cancelled
//! by its key (`cancel`), so duplicate and stale reminders cannot exist. Nothing here sends:
//! `claim` hands due rows to the sender (`crate::mail::sender`) under a lease, and
//! `finish` records what became of each.
//!
//! The recipient is a reference (a user, a family), never a copied address: the address is
//! read when the message is sent, and a family's only while its consent stands.
//!
//! Submodules: `causes` (what each business action writes), `consent` (a family's consent
//! and its withdrawal), `letters` (re-reading the state a message speaks of, just before it
//! is sent), `views` (the outbox and a family's message log, retry).

use crate::domain::messages::{Kind, Status};
use crate::entity::message;
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryFilter,
};

pub mod causes;
pub mod consent;
pub mod letters;
pub mod notices;
pub mod views;

/// Who a message is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    User(i64),
    Family(i64),
}

/// A message to write: its kind, key and recipient, what it is about, and when it is due.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub kind: Kind,
    pub key: String,
    pub to: Recipient,
    pub language: String,
    pub not_before: DateTime<Utc>,
    pub referral_id: Option<i64>,
    pub site_id: Option<i64>,
    pub crib_model_id: Option<i64>,
    pub on_date: Option<NaiveDate>,
}

impl NewMessage {
    /// A message of this kind to a recipient, due at once, about nothing yet.
    pub fn new(kind: Kind, key: String, to: Recipient, language: &str) -> NewMessage {
        NewMessage {
            kind,
            key,
            to,
            language: language.to_string(),
            not_before: crate::clock::now(),
            referral_id: None,
            site_id: None,
            crib_model_id: None,
            on_date: None,
        }
    }
}

/// A new message's row, pending.
fn row_of(m: NewMessage) -> message::ActiveModel {
    let now = crate::clock::now();
    let (user_id, family_id) = match m.to {
        Recipient::User(u) => (Some(u), None),
        Recipient::Family(f) => (None, Some(f)),
    };
    message::ActiveModel {
        dedupe_key: Set(m.key),
        kind: Set(m.kind.as_str().to_string()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        referral_id: Set(m.referral_id),
        site_id: Set(m.site_id),
        crib_model_id: Set(m.crib_model_id),
        on_date: Set(m.on_date),
        language: Set(m.language),
        status: Set(Status::Pending.as_str().to_string()),
        not_before: Set(m.not_before),
        attempts: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

/// Write a message in the caller's transaction unless one with its key exists, whatever
/// became of it (a daily pass that offers the same message again writes it once).
pub async fn put_once(db: &impl ConnectionTrait, m: NewMessage) -> Result<bool, DbErr> {
    let row = row_of(m);
    let on_conflict = OnConflict::column(message::Column::DedupeKey).do_nothing().to_owned();
    let done = message::Entity::insert(row).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(done > 0)
}

/// The statuses a row may be moved back to `pending` from by a new `put` of its key: not
/// one that is being sent or was sent (a reminder already sent stays sent).
const MOVABLE: [Status; 4] = [Status::Pending, Status::Cancelled, Status::Suppressed, Status::Failed];

/// Write a message in the caller's transaction, or move the one with its key to the new
/// time (pending again, tries reset). Returns whether a row was written or moved.
pub async fn put(db: &impl ConnectionTrait, m: NewMessage) -> Result<bool, DbErr> {
    let row = row_of(m);
    let movable: Vec<&str> = MOVABLE.iter().map(|s| s.as_str()).collect();
    let on_conflict = OnConflict::column(message::Column::DedupeKey)
        .update_columns([
            message::Column::NotBefore,
            message::Column::Status,
            message::Column::Attempts,
            message::Column::Language,
            message::Column::UpdatedAt,
        ])
        .value(message::Column::LastError, Expr::value(Option::<String>::None))
        .action_and_where(Expr::col((message::Entity, message::Column::Status)).is_in(movable))
        .to_owned();
    let done = message::Entity::insert(row).on_conflict(on_conflict).exec_without_returning(db).await?;
    Ok(done > 0)
}

/// Cancel the messages with these keys that are still waiting (their cause went away).
pub async fn cancel(db: &impl ConnectionTrait, keys: &[String], why: &str) -> Result<u64, DbErr> {
    if keys.is_empty() {
        return Ok(0);
    }
    Ok(message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(Status::Cancelled.as_str()))
        .col_expr(message::Column::LastError, Expr::value(why))
        .col_expr(message::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(message::Column::DedupeKey.is_in(keys.iter().cloned()))
        .filter(message::Column::Status.eq(Status::Pending.as_str()))
        .exec(db)
        .await?
        .rows_affected)
}

/// How long a claim lasts: a sender that has not finished a message by then is taken for
/// dead, and the message is claimed again.
pub const LEASE_SECONDS: i64 = 120;

/// Claim up to `limit` due messages for the sender `owner` until `now + LEASE_SECONDS`:
/// pending ones whose time has come, and ones whose sender's lease ran out. One
/// conditional update: on PostgreSQL the rows are chosen `FOR UPDATE SKIP LOCKED`, so two
/// senders never claim one message; on SQLite the single writer does the same.
pub async fn claim(
    db: &impl ConnectionTrait,
    owner: &str,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<message::Model>, DbErr> {
    let backend = db.get_database_backend();
    let lease = now + chrono::Duration::seconds(LEASE_SECONDS);
    let mut sql = crate::store::sql::Sql::new(backend);
    sql.push("UPDATE messages SET status = 'sending', attempts = attempts + 1, lease_owner = ")
        .bind(owner.to_string())
        .push(", lease_until = ")
        .bind(lease)
        .push(", updated_at = ")
        .bind(now)
        .push(" WHERE id IN (SELECT id FROM messages WHERE ((status = 'pending' AND not_before <= ")
        .bind(now)
        .push(") OR (status = 'sending' AND lease_until < ")
        .bind(now)
        .push(")) ORDER BY not_before, id LIMIT ")
        .push(&limit.to_string());
    if backend == DbBackend::Postgres {
        sql.push(" FOR UPDATE SKIP LOCKED");
    }
    sql.push(") RETURNING *");
    let rows = db.query_all_raw(sql.statement()).await?;
    rows.iter().map(|r| message::Model::from_query_result(r, "")).collect()
}

/// Whether any message is due at `now` (a read: a pass with nothing to do takes no write
/// lock). `unmarked_only`: only those not yet marked as waiting for a mail server.
pub async fn any_due(db: &impl ConnectionTrait, now: DateTime<Utc>, unmarked_only: bool) -> Result<bool, DbErr> {
    let mut q = message::Entity::find().filter(
        sea_orm::Condition::any()
            .add(
                sea_orm::Condition::all()
                    .add(message::Column::Status.eq(Status::Pending.as_str()))
                    .add(message::Column::NotBefore.lte(now)),
            )
            .add(
                sea_orm::Condition::all()
                    .add(message::Column::Status.eq(Status::Sending.as_str()))
                    .add(message::Column::LeaseUntil.lt(now)),
            ),
    );
    if unmarked_only {
        q = q.filter(message::Column::LastError.is_null());
    }
    Ok(sea_orm::PaginatorTrait::count(q, db).await? > 0)
}

/// What became of a claimed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// The mail server accepted it.
    Sent,
    /// Try again at this time (a failure that may pass; or quiet hours: `again` without
    /// counting the try).
    Again { at: DateTime<Utc>, why: String, count_try: bool },
    /// Given up: failed with this reason.
    Failed(String),
    /// Not sent on purpose, with this reason.
    Suppressed(String),
}

/// Give back every message `owner` claimed and has not finished: pending again, its claim's
/// try not counted, for the next sender (a server stopping: issue 24). Returns how many.
pub async fn release(db: &impl ConnectionTrait, owner: &str, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(Status::Pending.as_str()))
        .col_expr(message::Column::Attempts, Expr::col(message::Column::Attempts).sub(1))
        .col_expr(message::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(message::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::Status.eq(Status::Sending.as_str()))
        .filter(message::Column::LeaseOwner.eq(owner))
        .filter(message::Column::Attempts.gt(0))
        .exec(db)
        .await?
        .rows_affected)
}

/// Record what became of a message this sender claimed: only while its lease is this
/// sender's (a sender whose lease ran out and was taken over writes nothing). Returns
/// whether it was recorded.
pub async fn finish(
    db: &impl ConnectionTrait,
    id: i64,
    owner: &str,
    now: DateTime<Utc>,
    how: Finish,
) -> Result<bool, DbErr> {
    let mut update = message::Entity::update_many()
        .col_expr(message::Column::LeaseOwner, Expr::value(Option::<String>::None))
        .col_expr(message::Column::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(message::Column::UpdatedAt, Expr::value(now));
    update = match how {
        Finish::Sent => update
            .col_expr(message::Column::Status, Expr::value(Status::Sent.as_str()))
            .col_expr(message::Column::SentAt, Expr::value(now))
            .col_expr(message::Column::LastError, Expr::value(Option::<String>::None)),
        Finish::Again { at, why, count_try } => {
            let u = update
                .col_expr(message::Column::Status, Expr::value(Status::Pending.as_str()))
                .col_expr(message::Column::NotBefore, Expr::value(at))
                .col_expr(message::Column::LastError, Expr::value(clip(&why)));
            if count_try {
                u
            } else {
                u.col_expr(message::Column::Attempts, Expr::col(message::Column::Attempts).sub(1))
            }
        }
        Finish::Failed(why) => update
            .col_expr(message::Column::Status, Expr::value(Status::Failed.as_str()))
            .col_expr(message::Column::LastError, Expr::value(clip(&why))),
        Finish::Suppressed(why) => update
            .col_expr(message::Column::Status, Expr::value(Status::Suppressed.as_str()))
            .col_expr(message::Column::LastError, Expr::value(clip(&why))),
    };
    let done = update
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.eq(Status::Sending.as_str()))
        .filter(message::Column::LeaseOwner.eq(owner))
        .exec(db)
        .await?
        .rows_affected;
    Ok(done == 1)
}

/// A reason as stored (at most 500 characters).
fn clip(text: &str) -> String {
    text.chars().take(500).collect()
}

/// Mark the due messages as waiting for a mail server (none is configured): they stay
/// pending, and say why. Returns how many were marked.
pub async fn mark_no_server(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(message::Entity::update_many()
        .col_expr(message::Column::LastError, Expr::value(NO_SERVER))
        .filter(message::Column::Status.eq(Status::Pending.as_str()))
        .filter(message::Column::NotBefore.lte(now))
        .filter(message::Column::LastError.is_null())
        .exec(db)
        .await?
        .rows_affected)
}

/// What a message waiting for a mail server says.
pub const NO_SERVER: &str = "not sent: no mail server configured";
