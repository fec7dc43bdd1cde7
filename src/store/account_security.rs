//! Passwords and the second factor (issue 18, findings 10 and 11), each action one write
//! with its audit row:
//!
//! - **Change** (anyone, with the current password): ends every session and API token of
//!   the person; the page then starts a new session for the browser that changed it.
//! - **Reset** (administrators): a temporary password the person must change at the next
//!   sign-in; ends their sessions and tokens.
//! - **Second factor** (RFC 6238 codes, `auth::totp`): required for administrators and
//!   program managers (`SecondFactorRule`), optional for others. Enrolment keeps a secret,
//!   confirms it with a code from the person's app, and shows ten recovery codes once
//!   (stored hashed). A code works once. Five wrong codes or current passwords within 15
//!   minutes end the session (signing in again is throttled like any sign-in).
//! - An administrator can turn off a person's second factor (a lost phone): they set it up
//!   again at the next sign-in if their role requires it.

use crate::auth::{password, totp};
use crate::db::Db;
use crate::domain::account::NewPassword;
use crate::domain::actor::Actor;
use crate::domain::states::SessionStage;
use crate::entity::{audit_event, recovery_code, user};
use crate::error::{forbidden_unless, AppError};
use crate::store::accounts::revoke_tokens;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::sessions;
use crate::store::write::{self, Mode, WriteKey};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter};

/// Whether administrators and program managers must use a second factor (the setting
/// `CRIBS_SECOND_FACTOR`; unset: required, except in a demo database).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactorRule {
    pub required: bool,
}

/// The rule for this database: the setting when given (`required` or `optional`), else
/// required unless the database holds the demo accounts (`@demo.cribs`).
pub async fn rule_for(db: &Db, setting: Option<&str>) -> Result<SecondFactorRule, String> {
    match setting.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
        Some("required") => Ok(SecondFactorRule { required: true }),
        Some("optional") => Ok(SecondFactorRule { required: false }),
        Some(other) => Err(format!("CRIBS_SECOND_FACTOR must be `required` or `optional`, not `{other}`")),
        None => {
            let demo = user::Entity::find()
                .filter(user::Column::Email.ends_with(crate::seed::DEMO_EMAIL_DOMAIN))
                .count(db)
                .await
                .map_err(|e| e.to_string())?
                > 0;
            Ok(SecondFactorRule { required: !demo })
        }
    }
}

/// Wrong codes or passwords within `FAILURE_WINDOW_MINUTES` that end the session.
pub const FAILURES_BEFORE_SIGN_OUT: u64 = 5;
const FAILURE_WINDOW_MINUTES: i64 = 15;

/// Where a sign-in goes once the password was right.
pub fn stage_after_password(u: &user::Model, who: &Actor, rule: SecondFactorRule) -> SessionStage {
    if u.totp_enabled_at.is_some() {
        SessionStage::Code
    } else if rule.required && who.is_manager() {
        SessionStage::Enrol
    } else if u.must_change_password {
        SessionStage::Password
    } else {
        SessionStage::Full
    }
}

/// The stage after the second factor (checked or set up).
fn stage_after_second_factor(u: &user::Model) -> SessionStage {
    if u.must_change_password {
        SessionStage::Password
    } else {
        SessionStage::Full
    }
}

/// A bearer token is given only to a sign-in that would open the app: the code when the
/// person uses a second factor; refused (403 with the way forward) when one must be set up
/// or a reset password changed first.
pub async fn token_allowed(
    db: &Db,
    by: Caller<'_>,
    u: &user::Model,
    code: Option<&str>,
    rule: SecondFactorRule,
) -> Result<(), AppError> {
    match stage_after_password(u, by.who, rule) {
        SessionStage::Code => {
            let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
                return Err(AppError::validation(
                    "code",
                    "This account uses two-step sign-in: send the 6-digit code from the authenticator app as `code`.",
                ));
            };
            let mode = Mode::write(WriteKey::Api(None), "POST /api/v1/tokens (code)", &serde_json::Value::Null);
            let ok = write::run(db, by.who.id, mode, 200, |txn| async {
                let r = second_factor(&txn, by, u, code).await;
                (txn, r)
            })
            .await?
            .value;
            if ok {
                stage_allows_token(stage_after_second_factor(u))
            } else {
                Err(AppError::Unauthorized)
            }
        }
        stage => stage_allows_token(stage),
    }
}

fn stage_allows_token(stage: SessionStage) -> Result<(), AppError> {
    match stage {
        SessionStage::Enrol => Err(AppError::ForbiddenBecause(
            "Set up two-step sign-in first: sign in on the web, where the Account page shows how.".into(),
        )),
        SessionStage::Password => Err(AppError::ForbiddenBecause(
            "An administrator reset this password: sign in on the web and choose a new one first.".into(),
        )),
        _ => Ok(()),
    }
}

/// Check a code (from the app, or a recovery code) inside a write; true when right. A
/// wrong one leaves a `login.code_failed` row.
async fn second_factor(
    db: &impl ConnectionTrait,
    by: Caller<'_>,
    u: &user::Model,
    code: &str,
) -> Result<bool, AppError> {
    let unix = u64::try_from(crate::clock::now().timestamp()).unwrap_or(0);
    if let Some(secret) = u.totp_secret.as_deref().filter(|_| u.totp_enabled_at.is_some()) {
        if let Some(step) = totp::accepted_step(secret, code, unix) {
            // A code works once: only a step after the last one used is taken.
            let taken = user::Entity::update_many()
                .col_expr(user::Column::TotpLastStep, Expr::value(step))
                .filter(user::Column::Id.eq(u.id))
                .filter(
                    sea_orm::Condition::any()
                        .add(user::Column::TotpLastStep.is_null())
                        .add(user::Column::TotpLastStep.lt(step)),
                )
                .exec(db)
                .await?
                .rows_affected;
            if taken == 1 {
                return Ok(true);
            }
        }
    }
    let used = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(crate::clock::now()))
        .filter(recovery_code::Column::UserId.eq(u.id))
        .filter(recovery_code::Column::CodeHash.eq(totp::recovery_hash(code)))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    let (action, detail) = if used == 1 { ("login.recovery_code", None) } else { ("login.code_failed", None) };
    audit::record(db, Some(by.who), Some(by.ip), AuditEntry { action, entity: "user", entity_id: Some(u.id), detail })
        .await?;
    Ok(used == 1)
}

/// How many times this person failed `action` in the last 15 minutes.
async fn recent_failures(db: &impl ConnectionTrait, user_id: i64, action: &str) -> Result<u64, AppError> {
    let since = crate::clock::now() - chrono::Duration::minutes(FAILURE_WINDOW_MINUTES);
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::EntityId.eq(user_id))
        .filter(audit_event::Column::At.gte(since))
        .count(db)
        .await?)
}

/// What checking a code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CodeChecked {
    /// Right: the session moved on to this stage.
    Right(SessionStage),
    /// Wrong: try again.
    Wrong,
    /// Wrong too often: the session was ended.
    SignedOut,
}

/// Check the second factor of a half-signed-in session (`SessionStage::Code`).
pub async fn check_code_once(
    db: &Db,
    by: Caller<'_>,
    session_token: &str,
    code: &str,
) -> Result<CodeChecked, AppError> {
    let u = user::Entity::find_by_id(by.who.id).one(db).await?.ok_or(AppError::NotFound)?;
    let mode = Mode::write(WriteKey::Api(None), "POST /login/code", &serde_json::Value::Null);
    let ran = write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            if second_factor(&txn, by, &u, code).await? {
                let next = stage_after_second_factor(&u);
                sessions::advance(&txn, session_token, next).await?;
                let entry =
                    AuditEntry { action: "login.second_factor", entity: "user", entity_id: Some(u.id), detail: None };
                audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
                return Ok(CodeChecked::Right(next));
            }
            if recent_failures(&txn, u.id, "login.code_failed").await? >= FAILURES_BEFORE_SIGN_OUT {
                sessions::end_all(&txn, u.id).await?;
                return Ok(CodeChecked::SignedOut);
            }
            Ok(CodeChecked::Wrong)
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(ran.value)
}

/// The secret to enrol with: the one already kept (not yet confirmed), or a fresh one.
pub async fn enrolment_secret(db: &Db, who: &Actor) -> Result<String, AppError> {
    let u = user::Entity::find_by_id(who.id).one(db).await?.ok_or(AppError::NotFound)?;
    if u.totp_enabled_at.is_some() {
        return Err(AppError::Conflict("Two-step sign-in is already on for this account.".into()));
    }
    if let Some(s) = u.totp_secret.filter(|s| !s.is_empty()) {
        return Ok(s);
    }
    let secret = totp::new_secret();
    let mode = Mode::write(WriteKey::Api(None), "GET /account/two-step", &serde_json::Value::Null);
    write::run(db, who.id, mode, 200, |txn| async {
        let r = user::Entity::update_many()
            .col_expr(user::Column::TotpSecret, Expr::value(secret.clone()))
            .filter(user::Column::Id.eq(who.id))
            .filter(user::Column::TotpEnabledAt.is_null())
            .exec(&txn)
            .await
            .map(|_| ())
            .map_err(AppError::from);
        (txn, r)
    })
    .await?;
    Ok(secret)
}

/// Confirm enrolment with a code from the app: the second factor is on, and the ten
/// recovery codes (returned once, stored hashed) replace any earlier ones. A half-signed-in
/// session (`SessionStage::Enrol`) moves on. Audited as `user.second_factor_on`.
pub async fn confirm_enrolment_once(
    db: &Db,
    by: Caller<'_>,
    session_token: &str,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let u = user::Entity::find_by_id(by.who.id).one(db).await?.ok_or(AppError::NotFound)?;
    let Some(secret) = u.totp_secret.clone().filter(|_| u.totp_enabled_at.is_none()) else {
        return Err(AppError::Conflict("Two-step sign-in is already on, or was not started: reload the page.".into()));
    };
    let unix = u64::try_from(crate::clock::now().timestamp()).unwrap_or(0);
    let Some(step) = totp::accepted_step(&secret, code, unix) else {
        return Err(AppError::validation(
            "code",
            "That code is not the one the app shows now. Check the phone's clock, then type the code showing.",
        ));
    };
    let codes = totp::new_recovery_codes();
    let mode = Mode::write(WriteKey::Api(None), "POST /account/two-step", &serde_json::Value::Null);
    write::run(db, u.id, mode, 200, |txn| async {
        let r = async {
            let now = crate::clock::now();
            user::Entity::update_many()
                .col_expr(user::Column::TotpEnabledAt, Expr::value(now))
                .col_expr(user::Column::TotpLastStep, Expr::value(step))
                .filter(user::Column::Id.eq(u.id))
                .filter(user::Column::TotpEnabledAt.is_null())
                .exec(&txn)
                .await?;
            recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(u.id)).exec(&txn).await?;
            for c in &codes {
                recovery_code::Entity::insert(recovery_code::ActiveModel {
                    user_id: Set(u.id),
                    code_hash: Set(totp::recovery_hash(c)),
                    used_at: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                })
                .exec_without_returning(&txn)
                .await?;
            }
            sessions::advance(&txn, session_token, stage_after_second_factor(&u)).await?;
            let entry =
                AuditEntry { action: "user.second_factor_on", entity: "user", entity_id: Some(u.id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(codes)
}

/// Change one's own password, giving the current one: every session and API token of the
/// person ends (the caller starts a new session for the browser that changed it).
/// Audited as `user.password_change`; a wrong current password as
/// `user.password_change_failed` (five in 15 minutes end the session).
pub async fn change_password_once(db: &Db, by: Caller<'_>, current: &str, new: &str) -> Result<(), AppError> {
    let u = user::Entity::find_by_id(by.who.id).one(db).await?.ok_or(AppError::NotFound)?;
    let chosen = NewPassword::choose(new, &[u.email.as_str(), u.display_name.as_str()])
        .map_err(|e| AppError::validation("new_password", e))?;
    if current == new {
        return Err(AppError::validation("new_password", "Choose a password other than the current one."));
    }
    let (typed, stored) = (current.to_string(), u.password_hash.clone());
    let right = password::verify_in_turn(typed, stored).await;
    let hash = if right {
        Some(password::hash_in_turn(chosen.expose().to_string()).await.map_err(AppError::Internal)?)
    } else {
        None
    };
    let mode = Mode::write(WriteKey::Api(None), "POST /account/password", &serde_json::Value::Null);
    let ran = write::run(db, u.id, mode, 200, |txn| async {
        let r = async {
            let Some(hash) = hash else {
                let entry = AuditEntry {
                    action: "user.password_change_failed",
                    entity: "user",
                    entity_id: Some(u.id),
                    detail: None,
                };
                audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
                if recent_failures(&txn, u.id, "user.password_change_failed").await? >= FAILURES_BEFORE_SIGN_OUT {
                    sessions::end_all(&txn, u.id).await?;
                    revoke_tokens(&txn, u.id).await?;
                }
                return Ok(false);
            };
            set_password(&txn, u.id, hash, false).await?;
            let entry =
                AuditEntry { action: "user.password_change", entity: "user", entity_id: Some(u.id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(true)
        }
        .await;
        (txn, r)
    })
    .await?;
    if ran.value {
        Ok(())
    } else {
        Err(AppError::validation("current_password", "The current password is not right."))
    }
}

/// Store a new password hash, end every session and API token of the person.
async fn set_password(
    db: &impl ConnectionTrait,
    user_id: i64,
    hash: String,
    must_change: bool,
) -> Result<(), AppError> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::MustChangePassword, Expr::value(must_change))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    sessions::end_all(db, user_id).await?;
    revoke_tokens(db, user_id).await?;
    Ok(())
}

/// An administrator gives someone a temporary password (checked like any chosen one):
/// their sessions and tokens end, and their next sign-in must change it. Audited as
/// `user.password_reset` (never the password).
pub async fn reset_password_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    user_id: i64,
    temporary: &str,
) -> Result<(), AppError> {
    forbidden_unless(by.who.is_admin())?;
    let u = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::NotFound)?;
    let chosen = NewPassword::choose(temporary, &[u.email.as_str(), u.display_name.as_str()])
        .map_err(|e| AppError::validation("password", e))?;
    let hash = password::hash_in_turn(chosen.expose().to_string()).await.map_err(AppError::Internal)?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            set_password(&txn, user_id, hash, true).await?;
            let entry =
                AuditEntry { action: "user.password_reset", entity: "user", entity_id: Some(user_id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(())
}

/// An administrator turns off someone's second factor (a lost phone, no recovery code
/// left): the secret and recovery codes go, their sessions and tokens end. Audited as
/// `user.second_factor_off`.
pub async fn reset_second_factor_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, user_id: i64) -> Result<(), AppError> {
    forbidden_unless(by.who.is_admin())?;
    user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::NotFound)?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            user::Entity::update_many()
                .col_expr(user::Column::TotpSecret, Expr::value(None::<String>))
                .col_expr(user::Column::TotpEnabledAt, Expr::value(None::<chrono::DateTime<chrono::Utc>>))
                .col_expr(user::Column::TotpLastStep, Expr::value(None::<i64>))
                .filter(user::Column::Id.eq(user_id))
                .exec(&txn)
                .await?;
            recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(&txn).await?;
            sessions::end_all(&txn, user_id).await?;
            revoke_tokens(&txn, user_id).await?;
            let entry =
                AuditEntry { action: "user.second_factor_off", entity: "user", entity_id: Some(user_id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await?;
    Ok(())
}

/// What one's account page shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccountSummary {
    pub email: String,
    pub two_step_on: bool,
    pub two_step_since: Option<chrono::NaiveDate>,
    pub codes_left: u64,
}

/// One's own account, for its page.
pub async fn summary(db: &impl ConnectionTrait, user_id: i64) -> Result<AccountSummary, AppError> {
    let u = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(AccountSummary {
        email: u.email,
        two_step_on: u.totp_enabled_at.is_some(),
        two_step_since: u.totp_enabled_at.map(|t| t.date_naive()),
        codes_left: recovery_codes_left(db, user_id).await?,
    })
}

/// How many unused recovery codes a person has left.
pub async fn recovery_codes_left(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, AppError> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}
