//! What notices a user receives: every kind their role can receive is on until they turn it
//! off (`users.muted_notices`); a change is one audited write (`account.notices`). A muted
//! notice is still written to the outbox and shows there as suppressed, with the reason.

use crate::db::Db;
use crate::domain::messages::{format_muted, parse_muted, Kind};
use crate::entity::user;
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

/// One notice a user can receive, and whether they do.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Notice {
    /// The kind (`request_accepted`, `stock_low`, …).
    pub kind: String,
    /// What it is, in words.
    pub about: String,
    /// Whether the user receives it.
    pub on: bool,
}

/// The notices a user's role can receive, each on or off.
pub async fn of_user(db: &impl ConnectionTrait, by: Caller<'_>) -> Result<Vec<Notice>, AppError> {
    let u = user::Entity::find_by_id(by.who.id).one(db).await?.ok_or(AppError::Unauthorized)?;
    let muted = parse_muted(&u.muted_notices);
    Ok(Kind::for_role(by.who.role)
        .into_iter()
        .map(|k| Notice { kind: k.as_str().into(), about: k.label().into(), on: !muted.contains(&k) })
        .collect())
}

/// Turn off every notice in `off` and on every other one (the caller's own account).
pub async fn set_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, off: &[String]) -> Result<Ran<Vec<Notice>>, AppError> {
    let mine = Kind::for_role(by.who.role);
    let mut muted = Vec::new();
    for name in off {
        match Kind::parse(name.trim()).filter(|k| mine.contains(k)) {
            Some(k) => muted.push(k),
            None => {
                let names: Vec<&str> = mine.iter().map(|k| k.as_str()).collect();
                return Err(AppError::validation(
                    "off",
                    if names.is_empty() {
                        "Your role receives no notices.".to_string()
                    } else {
                        format!("{name:?} is not a notice you receive; yours are: {}.", names.join(", "))
                    },
                ));
            }
        }
    }
    let stored = format_muted(&muted);
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            user::Entity::update_many()
                .col_expr(user::Column::MutedNotices, Expr::value(stored.clone()))
                .filter(user::Column::Id.eq(by.who.id))
                .exec(&txn)
                .await?;
            audit::record(
                &txn,
                Some(by.who),
                Some(by.ip),
                AuditEntry {
                    action: "account.notices",
                    entity: "user",
                    entity_id: Some(by.who.id),
                    detail: Some(if stored.is_empty() { "every notice on".into() } else { format!("off: {stored}") }),
                },
            )
            .await?;
            of_user(&txn, by).await
        }
        .await;
        (txn, r)
    })
    .await
}
