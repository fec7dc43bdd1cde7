//! The audit trail: an append-only row for every write and every view of a family's
//! record. Nothing in the app updates or deletes these rows.

use crate::auth::guards::Identity;
use crate::entity::audit_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

/// One thing that happened.
pub struct AuditEntry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub detail: Option<String>,
}

/// Record an audit row for the given actor (None = anonymous or the system).
pub async fn record(
    db: &impl ConnectionTrait,
    actor: Option<&Identity>,
    ip: Option<&str>,
    entry: AuditEntry<'_>,
) -> Result<(), DbErr> {
    audit_event::Entity::insert(audit_event::ActiveModel {
        at: Set(crate::clock::now()),
        user_id: Set(actor.map(|a| a.user.id)),
        role: Set(actor.map(|a| a.role.as_str().to_string())),
        action: Set(entry.action.to_string()),
        entity: Set(entry.entity.to_string()),
        entity_id: Set(entry.entity_id),
        ip: Set(ip.map(str::to_string)),
        detail: Set(entry.detail),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}
