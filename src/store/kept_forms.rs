//! Forms sent after their session ended, kept for the same person to finish after signing
//! in again (decision 0020). A kept form is the fields as sent (URL-encoded, the CSRF
//! token taken out), the path it was sent to and the person whose session it was, under
//! the SHA-256 of a random id that only that browser's private cookie holds. It is small
//! (`MAX_BYTES`), short-lived (`LIFETIME`), at most `PER_PERSON` per person, shown once and
//! only to that person: anyone else signing in on that browser makes it go.

use crate::auth::token::{random_token, sha256_hex};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::entity::kept_form;
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, WriteKey};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

/// How long a kept form waits for its person to sign in again.
pub const LIFETIME: Duration = Duration::minutes(30);
/// The largest form kept (URL-encoded bytes); a larger one is not kept.
pub const MAX_BYTES: usize = 16 * 1024;
/// The most kept forms per person (older ones go).
pub const PER_PERSON: usize = 3;

/// A form kept for its person: where it was sent and its fields (URL-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptForm {
    pub path: String,
    pub fields: String,
}

/// The fields of a URL-encoded body without the CSRF token (its old value must never count
/// again: the form shown after signing in carries the browser's current one).
pub fn without_csrf(body: &str) -> String {
    body.split('&').filter(|pair| !pair.is_empty() && !pair.starts_with("csrf_token=")).collect::<Vec<_>>().join("&")
}

/// Keep a form for `who` (whose session ended), audited as `form.kept` (the path, not the
/// fields). Returns the random id for the browser's cookie, or None when the form is too
/// large to keep.
pub async fn keep(db: &Db, by: Caller<'_>, path: &str, body: &str) -> Result<Option<String>, AppError> {
    let fields = without_csrf(body);
    if fields.len() > MAX_BYTES || path.chars().count() > 300 {
        return Ok(None);
    }
    let id = random_token();
    let mode = Mode::write(WriteKey::Api(None), "kept form", &serde_json::Value::Null);
    let (key_hash, path, who) = (sha256_hex(&id), path.to_string(), by.who.id);
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let now = crate::clock::now();
            kept_form::Entity::delete_many().filter(kept_form::Column::ExpiresAt.lte(now)).exec(&txn).await?;
            // At most PER_PERSON: the oldest go.
            let older: Vec<i64> = kept_form::Entity::find()
                .filter(kept_form::Column::UserId.eq(who))
                .order_by_desc(kept_form::Column::CreatedAt)
                .order_by_desc(kept_form::Column::Id)
                .all(&txn)
                .await?
                .into_iter()
                .skip(PER_PERSON - 1)
                .map(|k| k.id)
                .collect();
            if !older.is_empty() {
                kept_form::Entity::delete_many().filter(kept_form::Column::Id.is_in(older)).exec(&txn).await?;
            }
            kept_form::Entity::insert(kept_form::ActiveModel {
                key_hash: Set(key_hash),
                user_id: Set(who),
                path: Set(path.clone()),
                fields: Set(fields),
                created_at: Set(now),
                expires_at: Set(now + LIFETIME),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            let entry = AuditEntry { action: "form.kept", entity: "user", entity_id: Some(who), detail: Some(path) };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(Some(id))
}

async fn find(db: &impl ConnectionTrait, id: &str, now: DateTime<Utc>) -> Result<Option<kept_form::Model>, DbErr> {
    kept_form::Entity::find()
        .filter(kept_form::Column::KeyHash.eq(sha256_hex(id)))
        .filter(kept_form::Column::ExpiresAt.gt(now))
        .one(db)
        .await
}

/// Where the form of this id was sent, when it is `who`'s and still kept. A form of
/// someone else's goes at once (only its own person may ever see it).
pub async fn path_for(db: &Db, id: &str, who: &Actor) -> Result<Option<String>, AppError> {
    let Some(k) = find(db, id, crate::clock::now()).await? else { return Ok(None) };
    if k.user_id != who.id {
        forget(db, id).await?;
        return Ok(None);
    }
    Ok(Some(k.path))
}

/// Take `who`'s form of this id when it was sent to one of `paths` (shown once: it goes),
/// audited as `form.restored`. Someone else's goes without being shown.
pub async fn take(db: &Db, by: Caller<'_>, id: &str, paths: &[String]) -> Result<Option<KeptForm>, AppError> {
    let Some(k) = find(db, id, crate::clock::now()).await? else { return Ok(None) };
    if k.user_id != by.who.id {
        forget(db, id).await?;
        return Ok(None);
    }
    if !paths.contains(&k.path) {
        return Ok(None);
    }
    let gone = kept_form::Entity::delete_many().filter(kept_form::Column::Id.eq(k.id)).exec(db.writer()).await?;
    if gone.rows_affected == 0 {
        // Taken at the same moment by another request of the same person.
        return Ok(None);
    }
    let entry = AuditEntry {
        action: "form.restored",
        entity: "user",
        entity_id: Some(by.who.id),
        detail: Some(k.path.clone()),
    };
    audit::record_alone(db, Some(by.who), Some(by.ip), entry).await?;
    Ok(Some(KeptForm { path: k.path, fields: k.fields }))
}

/// Let the form of this id go (someone else signed in on the browser, or it was not used).
pub async fn forget(db: &Db, id: &str) -> Result<(), AppError> {
    kept_form::Entity::delete_many().filter(kept_form::Column::KeyHash.eq(sha256_hex(id))).exec(db.writer()).await?;
    Ok(())
}

/// Delete the kept forms whose time is up, as of `now` (the hourly housekeeping).
pub async fn sweep(db: &Db, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(kept_form::Entity::delete_many()
        .filter(kept_form::Column::ExpiresAt.lte(now))
        .exec(db.writer())
        .await?
        .rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_is_never_kept() {
        assert_eq!(without_csrf("csrf_token=abc&form_token=t1&lot=L%201"), "form_token=t1&lot=L%201");
        assert_eq!(without_csrf("a=1&csrf_token=x&b=2&"), "a=1&b=2");
        assert_eq!(without_csrf("csrf_token="), "");
    }
}
