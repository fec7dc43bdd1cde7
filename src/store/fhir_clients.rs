//! Hospital systems signing in (SMART Backend Services, issue 22): an administrator
//! registers a client for a hospital with its public key set and the scopes it may have
//! (`register`, audited `fhir_client.register`); the client trades a signed assertion for a
//! five-minute bearer token (`exchange`, audited `fhir_client.token`); an administrator can
//! revoke it (`revoke`), which ends its tokens at once. Each client acts as its own service
//! account: a nurse of its hospital with no password, so it sees what that hospital's
//! nurses see and every write it makes is audited under the client's name.
//!
//! The assertion (RFC 7523, SMART's profile): signed RS384 or ES384 by a key of the
//! client's set (by `kid`, or its only key), `iss` = `sub` = the client id, `aud` = this
//! server's token endpoint, `exp` in the future and at most five minutes ahead (on the real
//! clock: it is two machines' agreement, not the program's calendar), a `jti` never used
//! before (kept in `fhir_assertions` until the assertion would have expired).

use crate::auth::token;
use crate::db::Db;
use crate::domain::role::Role;
use crate::domain::smart;
use crate::domain::states::SiteKind;
use crate::entity::{api_token, fhir_assertion, fhir_client, site, user};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran, WriteKey};
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// How long a system's bearer token lives.
pub const TOKEN_SECONDS: i64 = 300;
/// The furthest ahead an assertion's `exp` may be (SMART: five minutes).
pub const ASSERTION_MAX_SECONDS: i64 = 300;
/// Clock difference between the hospital's machine and this one that is forgiven.
const LEEWAY_SECONDS: i64 = 30;
/// The assertion type SMART Backend Services uses.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A registered client, as an administrator sees it (never the keys' private halves, which
/// this server never has).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ClientView {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub hospital_site_id: i64,
    pub hospital_name: String,
    pub scopes: String,
    /// The `kid` of each public key registered.
    pub key_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// What an administrator registers.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewClient {
    /// The system's name as people will read it in the audit log ("Mercy Epic interface").
    pub name: String,
    pub hospital_site_id: i64,
    /// The system's public keys: a JWK Set (`{"keys": [...]}`) of RSA or P-384 EC keys.
    pub jwks: serde_json::Value,
    /// The scopes it may be granted, space-separated (`system/Task.rs system/ServiceRequest.cr`).
    pub scopes: String,
}

/// A token handed to a system.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Grant {
    pub access_token: String,
    pub scope: String,
    pub expires_in: i64,
}

/// Why a token request was refused, as OAuth says it (`error`, `error_description`).
#[derive(Debug)]
pub enum Refusal {
    /// 400 or 401 with an OAuth error code.
    OAuth { status: u16, error: &'static str, description: String },
    /// Anything else (the database): the FHIR face's ordinary error.
    App(AppError),
}

impl From<AppError> for Refusal {
    fn from(e: AppError) -> Self {
        Refusal::App(e)
    }
}

impl From<sea_orm::DbErr> for Refusal {
    fn from(e: sea_orm::DbErr) -> Self {
        Refusal::App(e.into())
    }
}

fn invalid_client(description: impl Into<String>) -> Refusal {
    Refusal::OAuth { status: 401, error: "invalid_client", description: description.into() }
}

fn invalid_request(description: impl Into<String>) -> Refusal {
    Refusal::OAuth { status: 400, error: "invalid_request", description: description.into() }
}

/// The keys of a pasted set, checked: each RSA or EC P-384 with a `kid`; Err says which not.
pub fn check_jwks(jwks: &serde_json::Value) -> Result<JwkSet, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone())
        .map_err(|e| format!("The key set is not a JWK Set ({{\"keys\": [...]}}): {e}."))?;
    if set.keys.is_empty() {
        return Err("The key set has no keys: paste the system's public JWK Set.".into());
    }
    for (i, k) in set.keys.iter().enumerate() {
        if k.common.key_id.as_deref().is_none_or(str::is_empty) {
            return Err(format!("Key {} has no \"kid\": every key needs one.", i + 1));
        }
        match &k.algorithm {
            AlgorithmParameters::RSA(_) => {}
            AlgorithmParameters::EllipticCurve(ec) if ec.curve == jsonwebtoken::jwk::EllipticCurve::P384 => {}
            _ => {
                return Err(format!(
                    "Key {} is neither RSA nor an EC key on P-384 (RS384 and ES384 are accepted).",
                    i + 1
                ))
            }
        }
        if DecodingKey::from_jwk(k).is_err() {
            return Err(format!("Key {} could not be read as a public key.", i + 1));
        }
    }
    Ok(set)
}

/// Register a client (administrators), audited `fhir_client.register`.
pub async fn register_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    new: &NewClient,
) -> Result<Ran<ClientView>, AppError> {
    forbidden_unless(by.who.is_admin())?;
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 200 || crate::domain::text::check_single_line(name).is_err() {
        return Err(AppError::validation(
            "name",
            "Give the system a name of 1 to 200 characters (no control characters).",
        ));
    }
    let set = check_jwks(&new.jwks).map_err(|m| AppError::validation("jwks", m))?;
    if let Err(bad) = smart::check_list(&new.scopes) {
        let msg = if bad.is_empty() {
            "Give at least one scope, e.g. system/ServiceRequest.cr system/Task.rus.".to_string()
        } else {
            format!(
                "\"{bad}\" is not a scope this server grants: use system/<type>.<cruds> (types: {}).",
                smart::RESOURCES.join(", ")
            )
        };
        return Err(AppError::validation("scopes", msg));
    }
    let scopes = new.scopes.split_whitespace().collect::<Vec<_>>().join(" ");
    let jwks = serde_json::to_string(&set).map_err(|e| AppError::Internal(e.to_string()))?;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let hospital = site::Entity::find_by_id(new.hospital_site_id).one(&txn).await?;
            let hospital = hospital.filter(|s| s.active && s.kind == SiteKind::Hospital.as_str()).ok_or_else(|| {
                AppError::validation(
                    "hospital_site_id",
                    format!("There is no hospital with id {}.", new.hospital_site_id),
                )
            })?;
            let client_id = format!("cribs-{}", token::short_token());
            let now = crate::clock::now();
            let account = user::ActiveModel {
                email: Set(format!("{}@systems.cribs.invalid", client_id.to_lowercase())),
                display_name: Set(format!("{name} (system of {})", hospital.name)),
                // NOTE: not a password hash: no password can ever match it.
                password_hash: Set("!system".into()),
                role: Set(Role::Nurse.as_str().into()),
                hospital_site_id: Set(Some(hospital.id)),
                active: Set(true),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let row = fhir_client::ActiveModel {
                client_id: Set(client_id),
                name: Set(name.to_string()),
                hospital_site_id: Set(hospital.id),
                user_id: Set(account.id),
                jwks: Set(jwks.clone()),
                scopes: Set(scopes.clone()),
                created_by: Set(by.who.id),
                created_at: Set(now),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            audit::record(
                &txn,
                Some(by.who),
                Some(by.ip),
                AuditEntry {
                    action: "fhir_client.register",
                    entity: "fhir_client",
                    entity_id: Some(row.id),
                    detail: Some(format!("{} for {} ({scopes})", row.client_id, hospital.name)),
                },
            )
            .await?;
            Ok(view(row, hospital.name))
        }
        .await;
        (txn, r)
    })
    .await
}

fn view(c: fhir_client::Model, hospital_name: String) -> ClientView {
    let key_ids = serde_json::from_str::<JwkSet>(&c.jwks)
        .map(|s| s.keys.into_iter().filter_map(|k| k.common.key_id).collect())
        .unwrap_or_default();
    ClientView {
        id: c.id,
        client_id: c.client_id,
        name: c.name,
        hospital_site_id: c.hospital_site_id,
        hospital_name,
        scopes: c.scopes,
        key_ids,
        created_at: c.created_at,
        revoked_at: c.revoked_at,
    }
}

/// Every registered client, newest first (administrators).
pub async fn list(db: &Db, who: &crate::domain::actor::Actor) -> Result<Vec<ClientView>, AppError> {
    forbidden_unless(who.is_admin())?;
    let rows = fhir_client::Entity::find().order_by_desc(fhir_client::Column::Id).all(db).await?;
    let sites = site::Entity::find().all(db).await?;
    let name = |id: i64| sites.iter().find(|s| s.id == id).map(|s| s.name.clone()).unwrap_or_default();
    Ok(rows
        .into_iter()
        .map(|c| {
            let n = name(c.hospital_site_id);
            view(c, n)
        })
        .collect())
}

/// Revoke a client (administrators), audited `fhir_client.revoke`: its service account is
/// turned off, so its tokens stop working at once, and it cannot get another.
pub async fn revoke_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, id: i64) -> Result<Ran<ClientView>, AppError> {
    forbidden_unless(by.who.is_admin())?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            let c = fhir_client::Entity::find_by_id(id).one(&txn).await?.ok_or(AppError::NotFound)?;
            if c.revoked_at.is_some() {
                return Err(AppError::Conflict("This system was already revoked.".into()));
            }
            let now = crate::clock::now();
            let mut active: fhir_client::ActiveModel = c.clone().into();
            active.revoked_at = Set(Some(now));
            let c = active.update(&txn).await?;
            user::Entity::update_many()
                .col_expr(user::Column::Active, sea_orm::sea_query::Expr::value(false))
                .filter(user::Column::Id.eq(c.user_id))
                .exec(&txn)
                .await?;
            api_token::Entity::delete_many().filter(api_token::Column::UserId.eq(c.user_id)).exec(&txn).await?;
            audit::record(
                &txn,
                Some(by.who),
                Some(by.ip),
                AuditEntry {
                    action: "fhir_client.revoke",
                    entity: "fhir_client",
                    entity_id: Some(c.id),
                    detail: Some(c.client_id.clone()),
                },
            )
            .await?;
            let hospital = site::Entity::find_by_id(c.hospital_site_id).one(&txn).await?.map(|s| s.name);
            Ok(view(c, hospital.unwrap_or_default()))
        }
        .await;
        (txn, r)
    })
    .await
}

/// The claims of a sign-in assertion.
#[derive(Debug, Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    exp: i64,
    jti: Option<String>,
}

/// What a system sent to the token endpoint.
pub struct TokenRequest<'a> {
    pub grant_type: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub assertion_type: Option<&'a str>,
    pub assertion: Option<&'a str>,
    /// This server's token endpoint (the assertion's `aud`).
    pub token_url: &'a str,
    pub ip: &'a str,
}

/// Trade a signed assertion for a five-minute token.
pub async fn exchange(db: &Db, req: TokenRequest<'_>) -> Result<Grant, Refusal> {
    if req.grant_type != Some("client_credentials") {
        return Err(Refusal::OAuth {
            status: 400,
            error: "unsupported_grant_type",
            description: "Use grant_type=client_credentials (SMART Backend Services).".into(),
        });
    }
    if req.assertion_type != Some(ASSERTION_TYPE) {
        return Err(invalid_request(format!("Send client_assertion_type={ASSERTION_TYPE}.")));
    }
    let assertion = req.assertion.filter(|a| !a.is_empty() && a.len() <= 16_384).ok_or_else(|| {
        invalid_request("Send client_assertion: a JWT signed with one of the system's registered keys.")
    })?;
    let scope = req.scope.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| Refusal::OAuth {
        status: 400,
        error: "invalid_scope",
        description: "Ask for scopes, e.g. scope=system/Task.rs.".into(),
    })?;
    let header =
        jsonwebtoken::decode_header(assertion).map_err(|_| invalid_client("The client_assertion is not a JWT."))?;
    if !matches!(header.alg, Algorithm::RS384 | Algorithm::ES384) {
        return Err(invalid_client("Sign the assertion with RS384 or ES384."));
    }
    // The client named in the (not yet trusted) claims picks the keys to check them with.
    let mut peek = Validation::new(header.alg);
    peek.insecure_disable_signature_validation();
    peek.validate_exp = false;
    peek.validate_aud = false;
    peek.required_spec_claims.clear();
    let claimed = jsonwebtoken::decode::<Claims>(assertion, &DecodingKey::from_secret(&[]), &peek)
        .map_err(|_| invalid_client("The assertion needs iss, sub, aud, exp and jti claims."))?
        .claims;
    let client = fhir_client::Entity::find()
        .filter(fhir_client::Column::ClientId.eq(claimed.iss.as_str()))
        .one(db)
        .await?
        .filter(|c| c.revoked_at.is_none())
        .ok_or_else(|| invalid_client("No registered system has this client id (iss), or it was revoked."))?;
    let set: JwkSet = serde_json::from_str(&client.jwks).map_err(|e| AppError::Internal(e.to_string()))?;
    let jwk = match &header.kid {
        Some(kid) => set.find(kid),
        None if set.keys.len() == 1 => set.keys.first(),
        None => None,
    }
    .ok_or_else(|| invalid_client("The assertion's kid names none of the system's registered keys."))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid_client("The registered key could not be read."))?;
    let mut check = Validation::new(header.alg);
    check.set_audience(&[req.token_url]);
    check.set_issuer(&[client.client_id.as_str()]);
    check.sub = Some(client.client_id.clone());
    check.leeway = LEEWAY_SECONDS as u64;
    check.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &check)
        .map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            invalid_client(match e.kind() {
                K::ExpiredSignature => "The assertion has expired: make a new one for each token request.".to_string(),
                K::InvalidAudience => format!("The assertion's aud must be this token endpoint: {}.", req.token_url),
                K::InvalidIssuer | K::InvalidSubject => {
                    "The assertion's iss and sub must both be the client id.".into()
                }
                K::InvalidSignature | K::InvalidAlgorithm => {
                    "The assertion's signature does not match the registered key.".into()
                }
                _ => format!("The assertion could not be accepted ({e})."),
            })
        })?
        .claims;
    debug_assert_eq!(claims.sub, claims.iss);
    let real_now = Utc::now();
    if claims.exp > real_now.timestamp() + ASSERTION_MAX_SECONDS + LEEWAY_SECONDS {
        return Err(invalid_client("The assertion's exp is more than five minutes ahead."));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty() && j.len() <= 255)
        .ok_or_else(|| invalid_client("The assertion needs a jti (a fresh random id, 1 to 255 characters)."))?;
    let granted = smart::grant(scope, &client.scopes).map_err(|m| Refusal::OAuth {
        status: 400,
        error: "invalid_scope",
        description: m,
    })?;
    let who = crate::store::actors::by_id(db, client.user_id)
        .await?
        .ok_or_else(|| invalid_client("This system's account is turned off."))?;
    let secret = token::random_token();
    let expires = real_now + Duration::seconds(TOKEN_SECONDS);
    let assertion_expires =
        DateTime::<Utc>::from_timestamp(claims.exp, 0).unwrap_or(expires) + Duration::seconds(LEEWAY_SECONDS);
    let mode = Mode::write(WriteKey::Api(None), "POST /fhir/r4/auth/token", &serde_json::Value::Null);
    let ran = write::run(db, client.user_id, mode, 200, |txn| async {
        let r = async {
            fhir_assertion::Entity::delete_many()
                .filter(fhir_assertion::Column::ExpiresAt.lt(real_now))
                .exec(&txn)
                .await?;
            let used = fhir_assertion::ActiveModel {
                client_id: Set(client.client_id.clone()),
                jti: Set(jti.clone()),
                expires_at: Set(assertion_expires),
                ..Default::default()
            }
            .insert(&txn)
            .await;
            if let Err(e) = used {
                return Err(if crate::store::constraints::unique_violation(&e).is_some() {
                    AppError::Conflict("replayed".into())
                } else {
                    e.into()
                });
            }
            api_token::Entity::delete_many()
                .filter(api_token::Column::UserId.eq(client.user_id))
                .filter(api_token::Column::ExpiresAt.lte(real_now))
                .exec(&txn)
                .await?;
            api_token::Entity::insert(api_token::ActiveModel {
                user_id: Set(client.user_id),
                token_hash: Set(token::sha256_hex(&secret)),
                created_at: Set(real_now),
                expires_at: Set(expires),
                scopes: Set(Some(granted.clone())),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            audit::record(
                &txn,
                Some(&who),
                Some(req.ip),
                AuditEntry {
                    action: "fhir_client.token",
                    entity: "fhir_client",
                    entity_id: Some(client.id),
                    detail: Some(granted.clone()),
                },
            )
            .await?;
            Ok(())
        }
        .await;
        (txn, r)
    })
    .await;
    match ran {
        Ok(_) => Ok(Grant { access_token: secret, scope: granted, expires_in: TOKEN_SECONDS }),
        Err(AppError::Conflict(_)) => {
            Err(invalid_client("This assertion (its jti) was already used: make a new one for each token request."))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether a connection-level check of the caller's scopes passes (the FHIR face's
/// handlers call this for a system; people pass by role alone).
pub fn scope_allows(who: &crate::domain::actor::Actor, resource: &str, what: smart::Interaction) -> bool {
    who.scopes.as_deref().is_none_or(|g| smart::allows(g, resource, what))
}
