//! A family's consent to e-mail: recorded by staff (the address, the language, who and
//! when), withdrawn by staff or by the family through the unsubscribe link of any e-mail
//! (no sign-in: the link's random token can only withdraw this consent). Each change is one
//! write through the runner with its audit row; a withdrawal takes effect at once: the
//! family's waiting messages are suppressed in the same transaction, and the sender re-reads
//! the consent before each message anyway.

use crate::db::Db;
use crate::domain::messages::{parse_address, Status};
use crate::entity::{message, message_consent};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::families::{self, ensure_visible};
use crate::store::write::{self, Mode, Ran};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

/// A family's consent as shown and answered.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConsentView {
    pub channel: String,
    /// The address (None when none is kept: withdrawn and erased, or never given).
    pub address: Option<String>,
    pub language: String,
    /// Whether messages may be sent now.
    pub active: bool,
    pub given_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who recorded the consent (a name).
    pub given_by: Option<String>,
    pub withdrawn_at: Option<chrono::DateTime<chrono::Utc>>,
    /// How it was withdrawn, in words.
    pub withdrawn_how: Option<String>,
}

/// A consent to record.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct ConsentInput {
    /// The family's e-mail address.
    pub email: String,
    /// The language of the messages: `en` or `es` (default: the family's language).
    #[serde(default)]
    pub language: Option<String>,
}

/// The family's e-mail consent (None: never given).
pub async fn of_family(db: &impl ConnectionTrait, family_id: i64) -> Result<Option<ConsentView>, AppError> {
    let Some(c) = message_consent::Entity::find()
        .filter(message_consent::Column::FamilyId.eq(family_id))
        .filter(message_consent::Column::Channel.eq("email"))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let given_by = match c.given_by {
        Some(u) => crate::entity::user::Entity::find_by_id(u).one(db).await?.map(|u| u.display_name),
        None => None,
    };
    Ok(Some(view(c, given_by)))
}

fn view(c: message_consent::Model, given_by: Option<String>) -> ConsentView {
    let active = c.withdrawn_at.is_none() && c.address.is_some();
    ConsentView {
        channel: c.channel,
        address: c.address,
        language: c.language,
        active,
        given_at: Some(c.given_at),
        given_by,
        withdrawn_at: c.withdrawn_at,
        withdrawn_how: c.withdrawn_how.map(|h| match h.as_str() {
            "link" => "by the family, with the link in an e-mail".to_string(),
            "staff" => "recorded by staff".to_string(),
            "erased" => "the family's identifying data were erased".to_string(),
            other => other.to_string(),
        }),
    }
}

/// The languages messages are written in.
pub const LANGUAGES: [&str; 2] = ["en", "es"];

/// Record (or renew) a family's consent to e-mail (staff in scope, managers), audited as
/// `family.consent`.
pub async fn give_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    input: &ConsentInput,
) -> Result<Ran<ConsentView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let family_id = families::live_id(db, family_id).await?;
    ensure_visible(db, by.who, family_id).await?;
    let address = parse_address(&input.email).map_err(|m| AppError::validation("email", m))?;
    let family = families::get(db, family_id).await?;
    if family.erased_at.is_some() {
        return Err(AppError::Conflict("This family's identifying data were erased: no address can be kept.".into()));
    }
    let language = match input.language.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) if LANGUAGES.contains(&l) => l.to_string(),
        Some(_) => return Err(AppError::validation("language", "Choose English (en) or Spanish (es).")),
        None if LANGUAGES.contains(&family.preferred_language.as_str()) => family.preferred_language.clone(),
        None => "en".to_string(),
    };
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = give(&txn, by, family_id, address, language).await;
        (txn, r)
    })
    .await
}

async fn give(
    db: &impl ConnectionTrait,
    by: Caller<'_>,
    family_id: i64,
    address: String,
    language: String,
) -> Result<ConsentView, AppError> {
    let now = crate::clock::now();
    let existing = message_consent::Entity::find()
        .filter(message_consent::Column::FamilyId.eq(family_id))
        .filter(message_consent::Column::Channel.eq("email"))
        .one(db)
        .await?;
    let row = match existing {
        Some(c) => {
            let mut a: message_consent::ActiveModel = c.into();
            a.address = Set(Some(address));
            a.language = Set(language.clone());
            a.given_at = Set(now);
            a.given_by = Set(Some(by.who.id));
            a.withdrawn_at = Set(None);
            a.withdrawn_by = Set(None);
            a.withdrawn_how = Set(None);
            a.update(db).await?
        }
        None => {
            message_consent::ActiveModel {
                family_id: Set(family_id),
                channel: Set("email".into()),
                address: Set(Some(address)),
                language: Set(language.clone()),
                given_at: Set(now),
                given_by: Set(Some(by.who.id)),
                unsubscribe_token: Set(crate::auth::token::random_token()),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
    };
    audit::record(
        db,
        Some(by.who),
        Some(by.ip),
        AuditEntry {
            action: "family.consent",
            entity: "family",
            entity_id: Some(family_id),
            detail: Some(format!("e-mail consent recorded, messages in {language}")),
        },
    )
    .await?;
    Ok(view(row, Some(by.who.display_name.clone())))
}

/// Withdraw a family's consent on its behalf (staff in scope, managers), audited as
/// `family.consent_withdrawn`; its waiting messages are suppressed at once.
pub async fn withdraw_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
) -> Result<Ran<ConsentView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let family_id = families::live_id(db, family_id).await?;
    ensure_visible(db, by.who, family_id).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            let Some(c) = live(&txn, family_id).await? else {
                return Err(AppError::Conflict(
                    "This family has not consented to e-mail: there is nothing to withdraw.".into(),
                ));
            };
            let c = withdraw(&txn, c, Some(by.who.id), "staff").await?;
            audit::record(
                &txn,
                Some(by.who),
                Some(by.ip),
                AuditEntry {
                    action: "family.consent_withdrawn",
                    entity: "family",
                    entity_id: Some(family_id),
                    detail: Some("e-mail consent withdrawn (recorded by staff)".into()),
                },
            )
            .await?;
            Ok(view(c, None))
        }
        .await;
        (txn, r)
    })
    .await
}

/// A family's e-mail consent that has not been withdrawn, if any.
pub(crate) async fn live(db: &impl ConnectionTrait, family_id: i64) -> Result<Option<message_consent::Model>, DbErr> {
    message_consent::Entity::find()
        .filter(message_consent::Column::FamilyId.eq(family_id))
        .filter(message_consent::Column::Channel.eq("email"))
        .filter(message_consent::Column::WithdrawnAt.is_null())
        .one(db)
        .await
}

async fn withdraw(
    db: &impl ConnectionTrait,
    c: message_consent::Model,
    by: Option<i64>,
    how: &str,
) -> Result<message_consent::Model, DbErr> {
    let family_id = c.family_id;
    let mut a: message_consent::ActiveModel = c.into();
    a.withdrawn_at = Set(Some(crate::clock::now()));
    a.withdrawn_by = Set(by);
    a.withdrawn_how = Set(Some(how.to_string()));
    let c = a.update(db).await?;
    suppress_waiting(db, family_id, "the family withdrew its consent to e-mail").await?;
    Ok(c)
}

/// Suppress a family's messages still waiting, saying why.
pub async fn suppress_waiting(db: &impl ConnectionTrait, family_id: i64, why: &str) -> Result<u64, DbErr> {
    Ok(message::Entity::update_many()
        .col_expr(message::Column::Status, Expr::value(Status::Suppressed.as_str()))
        .col_expr(message::Column::LastError, Expr::value(why))
        .col_expr(message::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .filter(message::Column::FamilyId.eq(family_id))
        .filter(message::Column::Status.eq(Status::Pending.as_str()))
        .exec(db)
        .await?
        .rows_affected)
}

/// What the unsubscribe page says about a link's token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsubscribe {
    /// The consent stands: the page offers to withdraw it (in this language).
    Active { language: String },
    /// Already withdrawn.
    AlreadyWithdrawn { language: String },
    /// No consent has this token.
    Unknown,
}

/// What a link's token stands for (no sign-in).
pub async fn by_token(db: &Db, token: &str) -> Result<Unsubscribe, AppError> {
    let Some(c) = find_token(db, token).await? else {
        return Ok(Unsubscribe::Unknown);
    };
    Ok(if c.withdrawn_at.is_none() {
        Unsubscribe::Active { language: c.language }
    } else {
        Unsubscribe::AlreadyWithdrawn { language: c.language }
    })
}

async fn find_token(db: &impl ConnectionTrait, token: &str) -> Result<Option<message_consent::Model>, DbErr> {
    let t = token.trim();
    if t.len() < 16 || t.len() > 100 {
        return Ok(None);
    }
    message_consent::Entity::find().filter(message_consent::Column::UnsubscribeToken.eq(t)).one(db).await
}

/// Withdraw the consent a link's token stands for (no sign-in), audited as
/// `family.consent_withdrawn` with no user; answers what the page then says. Doing it twice
/// is harmless (the second time it is already withdrawn).
pub async fn unsubscribe(db: &Db, token: &str, ip: &str) -> Result<Unsubscribe, AppError> {
    let txn = crate::db::begin_write(db).await?;
    let Some(c) = find_token(&txn, token).await? else {
        return Ok(Unsubscribe::Unknown);
    };
    let language = c.language.clone();
    if c.withdrawn_at.is_some() {
        return Ok(Unsubscribe::AlreadyWithdrawn { language });
    }
    let family_id = c.family_id;
    withdraw(&txn, c, None, "link").await?;
    audit::record(
        &txn,
        None,
        Some(ip),
        AuditEntry {
            action: "family.consent_withdrawn",
            entity: "family",
            entity_id: Some(family_id),
            detail: Some("e-mail consent withdrawn by the family (the link in an e-mail)".into()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Unsubscribe::AlreadyWithdrawn { language })
}
