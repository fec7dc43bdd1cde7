//! Possible matches between a hospital request's new family and families registered before
//! it (issue 18, finding 1). A request always creates its own family record, so it never
//! widens anyone's scope; each possible duplicate anywhere in the city (same phone, or
//! same last name and caregiver birth date) becomes an open match that a manager decides
//! at triage: the same family (the request's record is merged into it,
//! `family_merge::merge_into`, and the request now names that family's baby) or a
//! different one. A request is not accepted while a match is open. The request keeps the
//! eligibility preview of what the hospital sent (the nurse reads it; a preview of the
//! older record would show her its figures); the hand-out checks the merged record again.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::{MatchStatus, ReferralStatus};
use crate::entity::{family, handout, infant, referral, referral_match, site};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::families::FamilySummary;
use crate::store::write::{self, Mode, Ran};
use crate::store::{family_merge, referrals};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A possible match as a manager sees it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchView {
    /// The family registered before the request.
    pub family: FamilySummary,
    /// Where that family is registered, if at a site.
    pub registered_site: Option<String>,
    /// How many babies that family has, and how many of them received a crib.
    pub infants: usize,
    pub infants_with_crib: usize,
    /// `open`, `same`, `different` or `moot`.
    pub status: String,
}

/// Record the possible matches of a new request (inside its transaction).
pub async fn record(db: &impl ConnectionTrait, referral_id: i64, family_ids: &[i64]) -> Result<(), AppError> {
    let now = crate::clock::now();
    for &family_id in family_ids {
        referral_match::ActiveModel {
            referral_id: Set(referral_id),
            family_id: Set(family_id),
            status: Set(MatchStatus::Open.as_str().into()),
            decided_by: Set(None),
            decided_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

/// Whether the request has a match still to decide.
pub async fn any_open(db: &impl ConnectionTrait, referral_id: i64) -> Result<bool, AppError> {
    Ok(referral_match::Entity::find()
        .filter(referral_match::Column::ReferralId.eq(referral_id))
        .filter(referral_match::Column::Status.eq(MatchStatus::Open.as_str()))
        .one(db)
        .await?
        .is_some())
}

/// The matches of some requests (managers only read these), by request id.
pub async fn of(db: &impl ConnectionTrait, referral_ids: &[i64]) -> Result<HashMap<i64, Vec<MatchView>>, AppError> {
    let rows = referral_match::Entity::find()
        .filter(referral_match::Column::ReferralId.is_in(referral_ids.iter().copied()))
        .order_by_asc(referral_match::Column::Id)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = rows.iter().map(|m| m.family_id).collect();
    let fams: HashMap<i64, family::Model> = family::Entity::find()
        .filter(family::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let sites: HashMap<i64, String> = site::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let babies = infant::Entity::find().filter(infant::Column::FamilyId.is_in(ids.clone())).all(db).await?;
    let cribs = handout::Entity::find()
        .filter(handout::Column::FamilyId.is_in(ids))
        .filter(handout::Column::VoidedAt.is_null())
        .all(db)
        .await?;
    let mut out: HashMap<i64, Vec<MatchView>> = HashMap::new();
    for m in rows {
        let Some(f) = fams.get(&m.family_id) else { continue };
        let view = MatchView {
            registered_site: f.registered_site_id.and_then(|s| sites.get(&s).cloned()),
            infants: babies.iter().filter(|b| b.family_id == f.id).count(),
            infants_with_crib: cribs.iter().filter(|h| h.family_id == f.id).count(),
            family: FamilySummary::from(f.clone()),
            status: m.status,
        };
        out.entry(m.referral_id).or_default().push(view);
    }
    Ok(out)
}

/// A manager's decision on one possible match.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MatchDecided {
    pub referral_id: i64,
    pub family_id: i64,
    /// `same` or `different`.
    pub status: String,
    /// The request as it is now (after a merge, it names the family registered before).
    pub referral: referrals::ReferralView,
}

/// Decide a possible match (managers): `same` merges the request's family into the family
/// registered before it (and the request's other matches become moot); `different` only
/// records the decision. Audited as `referral.match_same` / `referral.match_different`.
pub async fn decide_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    referral_id: i64,
    family_id: i64,
    same: bool,
) -> Result<Ran<MatchDecided>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = decide(&txn, by.who, by.ip, referral_id, family_id, same).await;
        (txn, r)
    })
    .await
}

async fn decide(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    referral_id: i64,
    family_id: i64,
    same: bool,
) -> Result<MatchDecided, AppError> {
    let r = referrals::get_scoped(db, who, referral_id).await?;
    let m = referral_match::Entity::find()
        .filter(referral_match::Column::ReferralId.eq(referral_id))
        .filter(referral_match::Column::FamilyId.eq(family_id))
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    if m.status != MatchStatus::Open.as_str() {
        return Err(AppError::Conflict(format!("This possible match was already decided ({}).", m.status)));
    }
    if !ReferralStatus::parse(&r.status).is_some_and(ReferralStatus::is_open) {
        return Err(AppError::Conflict(format!("This request is {}: its matches can no longer change.", r.status)));
    }
    let status = if same { MatchStatus::Same } else { MatchStatus::Different };
    if same {
        let sent = referrals::sent(db, &r).await?;
        let twin = infant::Entity::find()
            .filter(infant::Column::FamilyId.eq(family_id))
            .all(db)
            .await?
            .into_iter()
            .find(|i| sent.same_baby(i.date_of_birth, i.expected_due_date));
        if let Some(twin) = &twin {
            let other_open = referral::Entity::find()
                .filter(referral::Column::InfantId.eq(twin.id))
                .filter(referral::Column::Id.ne(referral_id))
                .filter(referral::Column::Status.is_in(ReferralStatus::OPEN.map(ReferralStatus::as_str)))
                .one(db)
                .await?;
            if let Some(o) = other_open {
                return Err(AppError::Conflict(format!(
                    "This baby already has open request {}: decline or cancel one of the two first.",
                    o.id
                )));
            }
        }
        let reason = format!("hospital request {referral_id} is for this family");
        family_merge::merge_into(db, who, ip, family_id, r.family_id, &reason).await?;
        referral_match::Entity::update_many()
            .col_expr(referral_match::Column::Status, Expr::value(MatchStatus::Moot.as_str()))
            .filter(referral_match::Column::ReferralId.eq(referral_id))
            .filter(referral_match::Column::Status.eq(MatchStatus::Open.as_str()))
            .filter(referral_match::Column::FamilyId.ne(family_id))
            .exec(db)
            .await?;
    }
    referral_match::Entity::update_many()
        .col_expr(referral_match::Column::Status, Expr::value(status.as_str()))
        .col_expr(referral_match::Column::DecidedBy, Expr::value(who.id))
        .col_expr(referral_match::Column::DecidedAt, Expr::value(crate::clock::now()))
        .filter(referral_match::Column::Id.eq(m.id))
        .exec(db)
        .await?;
    let action = if same { "referral.match_same" } else { "referral.match_different" };
    let detail = Some(format!("family {family_id}"));
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry { action, entity: "referral", entity_id: Some(referral_id), detail },
    )
    .await?;
    let now = referral::Entity::find_by_id(referral_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(MatchDecided {
        referral_id,
        family_id,
        status: status.as_str().into(),
        referral: referrals::view(db, now).await?,
    })
}
