//! The outbox as people read it: the list for administrators and program managers (failed
//! first), a family's message log, a retry of a failed message (audited), and the counts
//! the dashboard shows.

use crate::db::Db;
use crate::domain::messages::{Kind, Status};
use crate::entity::{message, user};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// One message as shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageView {
    pub id: i64,
    /// The kind (`request_accepted`, `crib_ready`, …).
    pub kind: String,
    /// The kind in words.
    pub about: String,
    /// Who it is for, in words (a user's name, or "the family").
    pub recipient: String,
    pub user_id: Option<i64>,
    pub family_id: Option<i64>,
    pub referral_id: Option<i64>,
    pub language: String,
    /// `pending`, `sending`, `sent`, `failed`, `cancelled`, `suppressed`.
    pub status: String,
    /// The status in words.
    pub status_words: String,
    /// Not sent before this instant.
    pub not_before: DateTime<Utc>,
    pub attempts: i32,
    /// Why it was not sent (yet): the mail server's answer, or the reason it was suppressed.
    pub reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

async fn views(db: &impl ConnectionTrait, rows: Vec<message::Model>) -> Result<Vec<MessageView>, AppError> {
    let user_ids: Vec<i64> = rows.iter().filter_map(|m| m.user_id).collect();
    let names: HashMap<i64, String> = if user_ids.is_empty() {
        HashMap::new()
    } else {
        user::Entity::find()
            .filter(user::Column::Id.is_in(user_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (u.id, u.display_name))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let recipient = match (m.user_id, m.family_id) {
                (Some(u), _) => names.get(&u).cloned().unwrap_or_else(|| format!("user {u}")),
                (_, Some(_)) => "the family".to_string(),
                _ => "nobody".to_string(),
            };
            let status = Status::parse(&m.status);
            MessageView {
                id: m.id,
                about: Kind::parse(&m.kind).map_or_else(|| m.kind.clone(), |k| k.label().to_string()),
                kind: m.kind,
                recipient,
                user_id: m.user_id,
                family_id: m.family_id,
                referral_id: m.referral_id,
                language: m.language,
                status_words: status.map_or("unknown", Status::words).to_string(),
                status: m.status,
                not_before: m.not_before,
                attempts: m.attempts,
                reason: m.last_error,
                sent_at: m.sent_at,
                created_at: m.created_at,
            }
        })
        .collect())
}

/// The most messages one list shows.
pub const LIST_LIMIT: u64 = 200;

/// The outbox (administrators and program managers): newest first, failed ones first when
/// no status is asked for; `status` filters.
pub async fn list(db: &Db, by: Caller<'_>, status: Option<&str>) -> Result<Vec<MessageView>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let mut q = message::Entity::find();
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => {
            let Some(s) = Status::parse(s) else {
                return Err(AppError::validation(
                    "status",
                    format!("Choose one of: {}.", Status::ALL.map(Status::as_str).join(", ")),
                ));
            };
            q = q.filter(message::Column::Status.eq(s.as_str()));
        }
        None => {
            q = q.order_by_desc(Expr::cust("CASE WHEN status = 'failed' THEN 1 ELSE 0 END"));
        }
    }
    let rows = q.order_by_desc(message::Column::Id).limit(LIST_LIMIT).all(db).await?;
    views(db, rows).await
}

/// A family's message log (whoever may see the family), newest first.
pub async fn of_family(db: &impl ConnectionTrait, family_id: i64) -> Result<Vec<MessageView>, AppError> {
    let rows = message::Entity::find()
        .filter(message::Column::FamilyId.eq(family_id))
        .order_by_desc(message::Column::Id)
        .limit(LIST_LIMIT)
        .all(db)
        .await?;
    views(db, rows).await
}

/// How many messages failed (the dashboard).
pub async fn failed_count(db: &impl ConnectionTrait) -> Result<u64, AppError> {
    Ok(message::Entity::find().filter(message::Column::Status.eq(Status::Failed.as_str())).count(db).await?)
}

/// Send a failed (or suppressed, or cancelled) message again, now (administrators and
/// program managers), audited as `message.retry`.
pub async fn retry_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, id: i64) -> Result<Ran<MessageView>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = retry(&txn, by, id).await;
        (txn, r)
    })
    .await
}

async fn retry(db: &impl ConnectionTrait, by: Caller<'_>, id: i64) -> Result<MessageView, AppError> {
    let m = message::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let retriable = [Status::Failed, Status::Suppressed, Status::Cancelled].map(Status::as_str);
    let now = crate::clock::now();
    let moved = message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(Status::Pending.as_str()))
        .col_expr(message::Column::NotBefore, Expr::value(now))
        .col_expr(message::Column::Attempts, Expr::value(0))
        .col_expr(message::Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(message::Column::UpdatedAt, Expr::value(now))
        .filter(message::Column::Id.eq(id))
        .filter(message::Column::Status.is_in(retriable))
        .exec(db)
        .await?
        .rows_affected;
    if moved != 1 {
        return Err(AppError::Conflict(format!(
            "This message is {}: only a failed, suppressed or cancelled message can be sent again.",
            Status::parse(&m.status).map_or("in an unknown state", Status::words)
        )));
    }
    audit::record(
        db,
        Some(by.who),
        Some(by.ip),
        AuditEntry {
            action: "message.retry",
            entity: "message",
            entity_id: Some(id),
            detail: Some(format!("{} (was {})", m.kind, m.status)),
        },
    )
    .await?;
    let row = message::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    views(db, vec![row]).await?.into_iter().next().ok_or(AppError::NotFound)
}
