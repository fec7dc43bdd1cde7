//! The audit trail: an append-only row for every write and every view of a family's
//! record (`record`), and the searches the audit page runs (`search`). Nothing in the app
//! updates or deletes these rows: there is deliberately no function here that could.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::entity::{audit_event, user};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;
use std::collections::HashMap;

/// Who does a write, from where: the signed-in person and their address, as every store
/// action takes them for its audit row.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub who: &'a Actor,
    pub ip: &'a str,
}

/// One thing that happened.
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub detail: Option<String>,
}

/// The row of an audit event for the given actor (None = anonymous or the system), stamped now.
pub fn row(actor: Option<&Actor>, ip: Option<&str>, entry: AuditEntry<'_>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        at: Set(crate::clock::now()),
        user_id: Set(actor.map(|a| a.id)),
        role: Set(actor.map(|a| a.role.as_str().to_string())),
        action: Set(entry.action.to_string()),
        entity: Set(entry.entity.to_string()),
        entity_id: Set(entry.entity_id),
        ip: Set(ip.map(str::to_string)),
        detail: Set(entry.detail),
        ..Default::default()
    }
}

/// Record an audit row for the given actor (None = anonymous or the system).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<&Actor>,
    ip: Option<&str>,
    entry: AuditEntry<'_>,
) -> Result<(), DbErr> {
    audit_event::Entity::insert(row(actor, ip, entry)).exec_without_returning(db).await?;
    Ok(())
}

/// Record an audit row on its own, outside any transaction (a view, a search, a sign-in),
/// and return once it is written. It joins the rows waiting to be written at that moment
/// and goes in with them, one INSERT for all (`audit_queue`; on SQLite through the file's
/// writer connection).
pub async fn record_alone(
    db: &Db,
    actor: Option<&Actor>,
    ip: Option<&str>,
    entry: AuditEntry<'_>,
) -> Result<(), DbErr> {
    let row = row(actor, ip, entry);
    match db.audit_queue() {
        Some(queue) => queue.record(row).await,
        None => audit_event::Entity::insert(row).exec_without_returning(db).await.map(|_| ()),
    }
}

/// Record that families' identifying data were shown to someone outside their record's own
/// page (a list of requests, the triage queue, the follow-ups due, a FHIR read, the
/// education and hand-out pages): one row, `family.view` for one family and `family.list`
/// for several, naming what showed them and the family ids. Nothing shown, no row.
pub async fn families_shown(
    db: &Db,
    by: Caller<'_>,
    shown_by: &str,
    family_ids: impl IntoIterator<Item = i64>,
) -> Result<(), DbErr> {
    let mut ids: Vec<i64> = family_ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let (action, entity_id) = match ids.as_slice() {
        [] => return Ok(()),
        [one] => ("family.view", Some(*one)),
        _ => ("family.list", None),
    };
    let list: Vec<String> = ids.iter().map(i64::to_string).collect();
    let detail = serde_json::json!({ "shown_by": shown_by, "ids": list.join(",") }).to_string();
    record_alone(
        db,
        Some(by.who),
        Some(by.ip),
        AuditEntry { action, entity: "family", entity_id, detail: Some(detail) },
    )
    .await
}

/// What the audit page filters by; `None` = any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Events by these users (a person filter that matched nobody is `Some(vec![])`).
    pub user_ids: Option<Vec<i64>>,
    /// The kind of record, exactly (`user`, `transfer`, `family` …).
    pub entity: Option<String>,
    /// The record's id.
    pub entity_id: Option<i64>,
    /// The action or its beginning (`stock.` matches every stock action).
    pub action_prefix: Option<String>,
    /// From this instant (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub before: Option<DateTime<Utc>>,
}

/// One audit row as the audit page shows it: the event and the email of who did it.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The time in New York, `YYYY-MM-DD HH:MM:SS`.
    pub at_local: String,
    pub user_id: Option<i64>,
    pub user_email: Option<String>,
    pub role: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub ip: Option<String>,
    pub detail: Option<String>,
}

/// A LIKE pattern matching `text` literally (`%` and `_` escaped with `!`), at the start
/// of the value or anywhere in it.
fn like_literal(text: &str, anywhere: bool) -> LikeExpr {
    let mut escaped = String::with_capacity(text.len() + 2);
    if anywhere {
        escaped.push('%');
    }
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            escaped.push('!');
        }
        escaped.push(c);
    }
    escaped.push('%');
    LikeExpr::new(escaped).escape('!')
}

/// The users a person filter means: a number is a user id; anything else matches every
/// account whose email contains it (case-insensitive).
pub async fn users_matching(db: &impl ConnectionTrait, person: &str) -> Result<Vec<i64>, DbErr> {
    let person = person.trim();
    if let Ok(id) = person.parse::<i64>() {
        return Ok(vec![id]);
    }
    let needle = person.to_lowercase();
    Ok(user::Entity::find()
        .filter(Expr::col(user::Column::Email).like(like_literal(&needle, true)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// A page of audit rows matching the filter, newest first, and the number of matching rows.
pub async fn search(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<AuditRow>, u64), DbErr> {
    let mut q = audit_event::Entity::find();
    if let Some(ids) = &filter.user_ids {
        q = q.filter(audit_event::Column::UserId.is_in(ids.clone()));
    }
    if let Some(entity) = &filter.entity {
        q = q.filter(audit_event::Column::Entity.eq(entity.as_str()));
    }
    if let Some(id) = filter.entity_id {
        q = q.filter(audit_event::Column::EntityId.eq(id));
    }
    if let Some(action) = &filter.action_prefix {
        q = q.filter(Expr::col(audit_event::Column::Action).like(like_literal(action, false)));
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_event::Column::At.gte(from));
    }
    if let Some(before) = filter.before {
        q = q.filter(audit_event::Column::At.lt(before));
    }
    let total = q.clone().count(db).await?;
    let events = q
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id)
        .offset(page.saturating_sub(1).saturating_mul(per_page))
        .limit(per_page)
        .all(db)
        .await?;
    let mut ids: Vec<i64> = events.iter().filter_map(|e| e.user_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let emails: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let rows = events
        .into_iter()
        .map(|e| AuditRow {
            at_local: crate::clock::in_new_york(e.at).format("%Y-%m-%d %H:%M:%S").to_string(),
            user_email: e.user_id.and_then(|id| emails.get(&id).cloned()),
            id: e.id,
            at: e.at,
            user_id: e.user_id,
            role: e.role,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            ip: e.ip,
            detail: e.detail,
        })
        .collect();
    Ok((rows, total))
}
