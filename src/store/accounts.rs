//! Accounts: sign-in with throttling, API tokens, creating and changing users.

use crate::auth::{password, token};
use crate::domain::role::Role;
use crate::entity::{api_token, login_attempt, user, user_site};
use crate::error::AppError;
use chrono::Duration;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter,
};

/// Failed attempts for one email within the window before sign-in is refused.
pub const MAX_FAILURES_PER_EMAIL: u64 = 5;
/// Failed attempts from one address within the window (several staff may share one address).
pub const MAX_FAILURES_PER_ADDRESS: u64 = 20;
/// The throttling window, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// API tokens last this long.
pub const TOKEN_HOURS: i64 = 12;

/// Normalise an email for lookup.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// Check an email and password; records the attempt; refuses when throttled.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    email: &str,
    password_text: &str,
    ip: &str,
) -> Result<user::Model, AppError> {
    let email = normalise_email(email);
    let since = crate::clock::now() - Duration::minutes(WINDOW_MINUTES);
    let by_email = login_attempt::Entity::find()
        .filter(login_attempt::Column::Email.eq(email.as_str()))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::At.gt(since))
        .count(db)
        .await?;
    let by_ip = login_attempt::Entity::find()
        .filter(login_attempt::Column::Ip.eq(ip))
        .filter(login_attempt::Column::Succeeded.eq(false))
        .filter(login_attempt::Column::At.gt(since))
        .count(db)
        .await?;
    if by_email >= MAX_FAILURES_PER_EMAIL || by_ip >= MAX_FAILURES_PER_ADDRESS {
        return Err(AppError::TooManyRequests);
    }
    let found = user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(db).await?;
    let ok_user = match found {
        Some(u) if password::verify(password_text, &u.password_hash) && u.active => Some(u),
        Some(_) => None,
        None => {
            // NOTE: verify against a dummy hash so an unknown email takes as long as a wrong password.
            let _ = password::verify(password_text, password::dummy_hash());
            None
        }
    };
    let truncated: String = email.chars().take(200).collect();
    login_attempt::Entity::insert(login_attempt::ActiveModel {
        email: Set(truncated),
        ip: Set(ip.chars().take(64).collect()),
        succeeded: Set(ok_user.is_some()),
        at: Set(crate::clock::now()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    ok_user.ok_or(AppError::Unauthorized)
}

/// Issue an API token for the user; returns the secret (shown once) and its expiry.
pub async fn issue_token(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> Result<(String, chrono::DateTime<chrono::Utc>), DbErr> {
    let secret = token::random_token();
    let now = crate::clock::now();
    let expires = now + Duration::hours(TOKEN_HOURS);
    api_token::Entity::insert(api_token::ActiveModel {
        user_id: Set(user_id),
        token_hash: Set(token::sha256_hex(&secret)),
        created_at: Set(now),
        expires_at: Set(expires),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok((secret, expires))
}

/// What is needed to create a user.
pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub site_ids: Vec<i64>,
    pub hospital_site_id: Option<i64>,
}

/// Create a user with memberships.
pub async fn create_user(db: &impl ConnectionTrait, new: NewUser) -> Result<user::Model, AppError> {
    let email = normalise_email(&new.email);
    if user::Entity::find().filter(user::Column::Email.eq(email.as_str())).one(db).await?.is_some() {
        return Err(AppError::validation("email", "An account with this email already exists."));
    }
    let hash = password::hash(&new.password).map_err(AppError::Internal)?;
    let created = user::ActiveModel {
        email: Set(email),
        display_name: Set(new.display_name),
        password_hash: Set(hash),
        role: Set(new.role.as_str().to_string()),
        hospital_site_id: Set(if new.role == Role::Nurse { new.hospital_site_id } else { None }),
        active: Set(true),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if new.role == Role::SiteStaff {
        set_sites(db, created.id, &new.site_ids).await?;
    }
    Ok(created)
}

/// Replace a user's site memberships.
pub async fn set_sites(db: &impl ConnectionTrait, user_id: i64, site_ids: &[i64]) -> Result<(), DbErr> {
    user_site::Entity::delete_many().filter(user_site::Column::UserId.eq(user_id)).exec(db).await?;
    for site_id in site_ids {
        user_site::Entity::insert(user_site::ActiveModel { user_id: Set(user_id), site_id: Set(*site_id) })
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Activate or deactivate a user; a deactivated user's tokens are deleted at once
/// (and their session stops working because the guard re-reads `active`).
pub async fn set_active(db: &impl ConnectionTrait, user_id: i64, active: bool) -> Result<(), AppError> {
    let found = user::Entity::find_by_id(user_id).one(db).await?.ok_or(AppError::NotFound)?;
    let mut am: user::ActiveModel = found.into();
    am.active = Set(active);
    am.update(db).await?;
    if !active {
        api_token::Entity::delete_many().filter(api_token::Column::UserId.eq(user_id)).exec(db).await?;
    }
    Ok(())
}
