//! Tokens and the caller: `POST /api/v1/tokens`, `DELETE /api/v1/tokens/current`, `GET /api/v1/me`.

use crate::api::answer::Answer;
use crate::api::body::JsonBody;
use crate::auth::guards::{ApiUser, BearerToken, ClientAddr};
use crate::db::Db;
use crate::error::{ApiResult, AppError};
use crate::store::account_security::{self, SecondFactorRule};
use crate::store::audit::Caller;
use crate::store::{accounts, reference};
use rocket::http::Status;
use rocket::{delete, get, post, State};
use serde::{Deserialize, Serialize};

/// Credentials for a token.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    pub email: String,
    pub password: String,
    /// The 6-digit code from the authenticator app (or a recovery code), for an account
    /// that uses two-step sign-in.
    #[serde(default)]
    pub code: Option<String>,
}

/// A password change: the current one and the new one.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// The user a token belongs to.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenUser {
    pub id: i64,
    pub email: String,
    pub role: String,
}

/// A new bearer token (shown once).
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub token: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub user: TokenUser,
}

/// A site in the caller's scope.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SiteRef {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

/// The caller.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub sites: Vec<SiteRef>,
    pub hospital: Option<SiteRef>,
}

/// Exchange an email and password for a bearer token (12 hours).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "accounts", request_body = TokenRequest,
    responses((status = 201, body = TokenResponse), (status = 400, body = crate::api::openapi::ErrorBody),
        (status = 401, body = crate::api::openapi::ErrorBody), (status = 403, body = crate::api::openapi::ErrorBody),
        (status = 413, body = crate::api::openapi::ErrorBody),
        (status = 422, body = crate::api::openapi::ErrorBody), (status = 429, body = crate::api::openapi::ErrorBody)))]
#[post("/v1/tokens", data = "<body>")]
pub async fn create_token(
    db: &State<Db>,
    rule: &State<SecondFactorRule>,
    addr: ClientAddr,
    body: Result<JsonBody<TokenRequest>, AppError>,
) -> ApiResult<Answer> {
    let body = body?.value;
    let user = accounts::sign_in(db.inner(), &body.email, &body.password, &addr.0).await?;
    let identity = crate::auth::guards::load_actor(db.inner(), user.id).await.ok_or(AppError::Unauthorized)?;
    let by = Caller { who: &identity, ip: &addr.0 };
    account_security::token_allowed(db.inner(), by, &user, body.code.as_deref(), *rule.inner()).await?;
    let (token, expires_at) = accounts::issue_token_to(db.inner(), Caller { who: &identity, ip: &addr.0 }).await?;
    Answer::created(&TokenResponse {
        token,
        expires_at,
        user: TokenUser { id: user.id, email: user.email, role: user.role },
    })
}

/// Change one's own password, giving the current one: every session and API token of the
/// caller ends, this request's token too (sign in again with the new password).
#[utoipa::path(post, path = "/api/v1/account/password", tag = "accounts", request_body = PasswordChange,
    responses((status = 204, description = "Changed; every session and token of the caller ended"),
        (status = 400, body = crate::api::openapi::ErrorBody), (status = 401, body = crate::api::openapi::ErrorBody),
        (status = 413, body = crate::api::openapi::ErrorBody), (status = 422, body = crate::api::openapi::ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/account/password", data = "<body>")]
pub async fn change_password(
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    body: Result<JsonBody<PasswordChange>, AppError>,
) -> ApiResult<Status> {
    let body = body?.value;
    let by = Caller { who: &user.0, ip: &addr.0 };
    account_security::change_password_once(db.inner(), by, &body.current_password, &body.new_password).await?;
    Ok(Status::NoContent)
}

/// Revoke the bearer token this request carries (signing a device out of the API). Only
/// a bearer token can do this; it answers 204 and the token stops working at once.
#[utoipa::path(delete, path = "/api/v1/tokens/current", tag = "accounts",
    responses((status = 204, description = "The token is revoked"), (status = 401, body = crate::api::openapi::ErrorBody)))]
#[delete("/v1/tokens/current")]
pub async fn revoke_current_token(
    user: ApiUser,
    token: BearerToken,
    db: &State<Db>,
    addr: ClientAddr,
) -> ApiResult<Status> {
    let raw = token.0.ok_or(AppError::Unauthorized)?;
    accounts::revoke_token(db.inner(), Caller { who: &user.0, ip: &addr.0 }, &raw).await?;
    Ok(Status::NoContent)
}

/// The caller, their role, and their sites or hospital.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses((status = 200, body = MeResponse), (status = 401, body = crate::api::openapi::ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/me")]
pub async fn me(user: ApiUser, db: &State<Db>) -> ApiResult<Answer> {
    let id = user.0;
    let mut scope: Vec<i64> = id.site_ids.clone();
    scope.extend(id.hospital_site_id);
    let sites = reference::sites(db.inner(), Some(&scope)).await?;
    let to_ref = |s: &reference::SiteView| SiteRef { id: s.id, name: s.name.clone(), kind: s.kind.clone() };
    Answer::ok(&MeResponse {
        id: id.id,
        email: id.email.clone(),
        display_name: id.display_name.clone(),
        role: id.role.as_str().to_string(),
        sites: sites.iter().filter(|s| id.site_ids.contains(&s.id)).map(to_ref).collect(),
        hospital: sites.iter().find(|s| Some(s.id) == id.hospital_id()).map(to_ref),
    })
}
