//! Hospital discharge requests: submit (creating or linking the family, previewing
//! eligibility, recording hospital education), the lifecycle submitted → reserved →
//! fulfilled | declined | cancelled | expired, each transition a conditional update so two
//! people cannot both move one request, and every reservation change ledger-safe.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::education::{NewEducation, REQUIRED_TOPICS};
use crate::domain::referral::{rank_sites, Candidate, NewReferral, SentFamily, SentInfant};
use crate::domain::role::Role;
use crate::domain::states::{ReferralStatus, SiteKind};
use crate::entity::{family, infant, referral, site};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::stock::{release_one, reserve_one, StockError};
use crate::store::write::{self, Mode, Ran};
use crate::store::{education, eligibility, families, outbox, policy, referral_matches};
use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

mod views;
pub use views::*;

/// Submit a request before discharge (a nurse of a hospital), audited as `referral.submit`.
pub async fn submit_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    new: &NewReferral,
) -> Result<Ran<ReferralView>, AppError> {
    forbidden_unless(by.who.may_request_cribs())?;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = submit(&txn, by.who, by.ip, new).await;
        (txn, r)
    })
    .await
}

/// Accept a request (managers): hold one crib of the model at the site.
pub async fn accept_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    site_id: i64,
    model_id: i64,
) -> Result<Ran<ReferralView>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    settle(db).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = accept(&txn, by.who, by.ip, id, site_id, model_id).await;
        (txn, r)
    })
    .await
}

/// The shortest and longest reason a request is declined with.
pub const DECLINE_REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=500;

/// Decline a request (managers) with a reason the nurse reads (3 to 500 characters).
pub async fn decline_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    reason: &str,
) -> Result<Ran<ReferralView>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let reason = reason.trim();
    if !DECLINE_REASON_CHARS.contains(&reason.chars().count()) {
        return Err(AppError::validation("reason", "Give the nurse a reason (3 to 500 characters)."));
    }
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = decline(&txn, by.who, by.ip, id, reason).await;
        (txn, r)
    })
    .await
}

/// The longest a hold may be moved ahead: 60 days from today.
pub const HOLD_MAX_DAYS: i64 = 60;

/// Move the end of a request's hold (managers): to a day from today up to `HOLD_MAX_DAYS`
/// ahead, audited as `referral.hold`; the reminders of the day before move with it.
pub async fn move_hold_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    until: NaiveDate,
) -> Result<Ran<ReferralView>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let today = crate::clock::today();
    if until < today || until > today + Duration::days(HOLD_MAX_DAYS) {
        return Err(AppError::validation(
            "until",
            format!(
                "Choose a day from today to {} ({HOLD_MAX_DAYS} days ahead).",
                today + Duration::days(HOLD_MAX_DAYS)
            ),
        ));
    }
    settle(db).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = move_hold(&txn, by.who, by.ip, id, until).await;
        (txn, r)
    })
    .await
}

async fn move_hold(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    id: i64,
    until: NaiveDate,
) -> Result<ReferralView, AppError> {
    let r = get_scoped(db, who, id).await?;
    // NOTE: conditional on the request still being held, so a handout or a cancellation
    // that came first wins and this refuses.
    let moved = referral::Entity::update_many()
        .col_expr(referral::Column::ReservedUntil, Expr::value(until))
        .col_expr(referral::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .col_expr(referral::Column::Version, next_version())
        .filter(referral::Column::Id.eq(id))
        .filter(referral::Column::Status.eq(ReferralStatus::Reserved.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if moved != 1 {
        return Err(AppError::Conflict(format!(
            "This request is {}: only a crib that is held can be held longer or shorter.",
            r.status
        )));
    }
    let held = referral::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    outbox::causes::hold_moved(db, &held, until).await?;
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry {
            action: "referral.hold",
            entity: "referral",
            entity_id: Some(id),
            detail: Some(format!(
                "held until {until} (was {})",
                r.reserved_until.map_or_else(|| "not set".to_string(), |d| d.to_string())
            )),
        },
    )
    .await?;
    view(db, held).await
}

/// Cancel a request (the nurse of its hospital, managers; anyone else: 404).
pub async fn cancel_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, id: i64) -> Result<Ran<ReferralView>, AppError> {
    cancel_at_version_once(db, by, mode, id, None).await
}

/// Cancel a request as its hospital's system does, by updating its Task: only when it is
/// still at `version` (when the system named one, `If-Match`), else 412 (`Stale`); the
/// version is checked and held in the cancelling transaction (a conditional touch of the
/// row), so a change that came first wins.
pub async fn cancel_at_version_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    version: Option<i32>,
) -> Result<Ran<ReferralView>, AppError> {
    if !(by.who.is_manager() || by.who.role == Role::Nurse) {
        return Err(AppError::NotFound);
    }
    get_scoped(db, by.who, id).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            if let Some(v) = version {
                let held = referral::Entity::update_many()
                    .col_expr(referral::Column::Version, Expr::col(referral::Column::Version))
                    .filter(referral::Column::Id.eq(id))
                    .filter(referral::Column::Version.eq(v))
                    .exec(&txn)
                    .await?
                    .rows_affected;
                if held != 1 {
                    return Err(AppError::Stale(format!(
                        "This request changed since version {v} was read: read it again and decide on what it says now."
                    )));
                }
            }
            cancel(&txn, by.who, by.ip, id).await
        }
        .await;
        (txn, r)
    })
    .await
}

/// Submit a request: link or create the family and infant, preview eligibility, record
/// hospital education when given, store the request.
pub async fn submit(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    r: &NewReferral,
) -> Result<ReferralView, AppError> {
    let hospital = who.hospital_id().ok_or(AppError::Forbidden)?;
    let Some(_) = r.family.infants.first() else {
        return Err(AppError::validation("infant", "Give the baby's date of birth or expected due date."));
    };
    if let Some(s) = r.preferred_site_id {
        let ok = site::Entity::find_by_id(s)
            .one(db)
            .await?
            .is_some_and(|s| s.kind == SiteKind::Distribution.as_str() && s.active);
        if !ok {
            return Err(AppError::validation(
                "preferred_site_id",
                format!("There is no distribution site with id {s}."),
            ));
        }
    }
    // A request never joins a family registered before it: it creates its own record, and
    // each possible duplicate becomes a match for a manager to decide at triage.
    let sent = SentFamily::of(&r.family);
    let duplicates: Vec<i64> = families::possible_duplicates(db, &r.family).await?.into_iter().map(|f| f.id).collect();
    if let Some(mine) = own_open_request(db, hospital, &duplicates, &sent).await? {
        return Err(AppError::Conflict(format!(
            "Your hospital already sent a request for this baby that is still open: request {mine}."
        )));
    }
    let created = families::create(db, &r.family, who.id, None).await?;
    let family_id = created.id;
    let infant_id = *created.infant_ids.first().ok_or_else(|| AppError::Internal("no infant stored".into()))?;
    let fam = families::get(db, family_id).await?;
    let inf =
        families::infants(db, family_id).await?.into_iter().find(|i| i.id == infant_id).ok_or(AppError::NotFound)?;
    let received = families::infant_has_crib(db, infant_id).await?;
    let preview = eligibility::preview(
        db,
        &families::family_snapshot(&fam),
        &families::infant_snapshot(&inf, received),
        crate::clock::today(),
    )
    .await?;
    let preview_json = serde_json::to_string(&preview).map_err(|e| AppError::Internal(e.to_string()))?;
    if r.education_given_in_hospital {
        let e = NewEducation {
            delivered_at: crate::clock::now(),
            mode: "hospital_discharge".into(),
            language: fam.preferred_language.clone(),
            topics: REQUIRED_TOPICS.iter().map(|t| t.to_string()).collect(),
            caregiver_attestation: format!("{} {}", fam.first_name, fam.last_name),
        };
        education::record(db, family_id, &e, who.id, Some(hospital)).await?;
    }
    let now = crate::clock::now();
    let row = referral::ActiveModel {
        hospital_site_id: Set(hospital),
        created_by: Set(who.id),
        family_id: Set(family_id),
        infant_id: Set(infant_id),
        discharge_date: Set(r.discharge_date),
        status: Set(ReferralStatus::Submitted.as_str().into()),
        preferred_site_id: Set(r.preferred_site_id),
        home_delivery: Set(r.home_delivery),
        eligibility_json: Set(preview_json),
        source: Set(r.source.into()),
        note: Set(r.note.clone()),
        created_at: Set(now),
        updated_at: Set(now),
        created_family: Set(true),
        sent_json: Set(Some(serde_json::to_string(&sent).map_err(|e| AppError::Internal(e.to_string()))?)),
        fhir_json: Set(r.sent_fhir.as_ref().map(|f| f.resources.clone())),
        requester: Set(r.sent_fhir.as_ref().and_then(|f| f.requester.clone())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if let Some(f) = &r.sent_fhir {
        keep_identifiers(db, hospital, row.id, &f.identifiers).await?;
    }
    referral_matches::record(db, row.id, &duplicates).await?;
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry {
            action: "referral.submit",
            entity: "referral",
            entity_id: Some(row.id),
            detail: Some(format!("family {family_id}, source {}, {} possible matches", r.source, duplicates.len())),
        },
    )
    .await?;
    view(db, row).await
}

/// Keep the identifiers a hospital gave its request; one it already gave another request
/// refuses (409, naming that request: a resend is answered by conditional create instead).
async fn keep_identifiers(
    db: &impl ConnectionTrait,
    hospital: i64,
    referral_id: i64,
    identifiers: &[(String, String)],
) -> Result<(), AppError> {
    for (system, value) in identifiers {
        if let Some(other) = by_identifier(db, Some(hospital), Some(system), value).await?.first() {
            return Err(AppError::Conflict(format!(
                "Your hospital already sent request {other} with the identifier {system}|{value}."
            )));
        }
        let kept = crate::entity::referral_identifier::ActiveModel {
            referral_id: Set(referral_id),
            hospital_site_id: Set(hospital),
            system: Set(system.clone()),
            value: Set(value.clone()),
            ..Default::default()
        }
        .insert(db)
        .await;
        if let Err(e) = kept {
            return Err(match crate::store::constraints::unique_violation(&e) {
                Some(_) => AppError::Conflict(format!(
                    "Your hospital already sent a request with the identifier {system}|{value}."
                )),
                None => e.into(),
            });
        }
    }
    Ok(())
}

/// The requests with an identifier their hospital gave (of one hospital, or any; of any
/// system when `system` is None), oldest first.
pub async fn by_identifier(
    db: &impl ConnectionTrait,
    hospital: Option<i64>,
    system: Option<&str>,
    value: &str,
) -> Result<Vec<i64>, AppError> {
    use crate::entity::referral_identifier as ri;
    let mut q = ri::Entity::find().filter(ri::Column::Value.eq(value));
    if let Some(h) = hospital {
        q = q.filter(ri::Column::HospitalSiteId.eq(h));
    }
    if let Some(s) = system {
        q = q.filter(ri::Column::System.eq(s));
    }
    let mut ids: Vec<i64> = q.all(db).await?.into_iter().map(|r| r.referral_id).collect();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

/// An open request of this hospital for the same baby among the families that match: the
/// nurse sent it before (only her own hospital's requests are ever named).
async fn own_open_request(
    db: &impl ConnectionTrait,
    hospital: i64,
    families: &[i64],
    sent: &SentFamily,
) -> Result<Option<i64>, AppError> {
    if families.is_empty() {
        return Ok(None);
    }
    let open = referral::Entity::find()
        .filter(referral::Column::HospitalSiteId.eq(hospital))
        .filter(referral::Column::FamilyId.is_in(families.iter().copied()))
        .filter(referral::Column::Status.is_in(ReferralStatus::OPEN.map(ReferralStatus::as_str)))
        .all(db)
        .await?;
    for r in open {
        let theirs = self::sent(db, &r).await?;
        if sent.same_baby(theirs.infant.date_of_birth, theirs.infant.expected_due_date) {
            return Ok(Some(r.id));
        }
    }
    Ok(None)
}

/// Expire every reservation whose hold has lapsed, releasing its crib. Run inside a write
/// transaction; returns how many expired.
pub async fn expire_lapsed(db: &impl ConnectionTrait, today: NaiveDate) -> Result<u64, AppError> {
    let lapsed = referral::Entity::find()
        .filter(referral::Column::Status.eq(ReferralStatus::Reserved.as_str()))
        .filter(referral::Column::ReservedUntil.lt(today))
        .all(db)
        .await?;
    let mut n = 0;
    for r in lapsed {
        if transition(db, r.id, &[ReferralStatus::Reserved], ReferralStatus::Expired).await? {
            if let (Some(s), Some(m)) = (r.reserved_site_id, r.reserved_crib_model_id) {
                release_one(db, s, m).await?;
            }
            outbox::causes::hold_expired(db, &r).await?;
            audit::record(
                db,
                None,
                None,
                AuditEntry { action: "referral.expire", entity: "referral", entity_id: Some(r.id), detail: None },
            )
            .await?;
            n += 1;
        }
    }
    Ok(n)
}

/// Make the stored state right before a read: expire lapsed holds (a write, only when needed).
pub async fn settle(db: &Db) -> Result<(), AppError> {
    let today = crate::clock::today();
    let any = referral::Entity::find()
        .filter(referral::Column::Status.eq(ReferralStatus::Reserved.as_str()))
        .filter(referral::Column::ReservedUntil.lt(today))
        .count(db)
        .await?;
    if any > 0 {
        let txn = crate::db::begin_write(db).await?;
        expire_lapsed(&txn, today).await?;
        txn.commit().await?;
    }
    Ok(())
}

/// The request's next version (`version + 1`), set with every change of its state
/// (FHIR's `meta.versionId`, `ETag`).
pub(crate) fn next_version() -> sea_orm::sea_query::SimpleExpr {
    sea_orm::sea_query::ExprTrait::add(Expr::col(referral::Column::Version), 1)
}

/// Move a request from one of `from` to `to`; false when someone else moved it first.
async fn transition(
    db: &impl ConnectionTrait,
    id: i64,
    from: &[ReferralStatus],
    to: ReferralStatus,
) -> Result<bool, AppError> {
    let changed = referral::Entity::update_many()
        .col_expr(referral::Column::Status, Expr::value(to.as_str()))
        .col_expr(referral::Column::UpdatedAt, Expr::value(crate::clock::now()))
        .col_expr(referral::Column::Version, next_version())
        .filter(referral::Column::Id.eq(id))
        .filter(referral::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

fn state_conflict(r: &referral::Model, action: &str) -> AppError {
    AppError::Conflict(format!("This request is {}: it cannot be {action}.", r.status))
}

/// Accept (managers): hold one crib at the site until the policy's days after discharge.
pub async fn accept(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    id: i64,
    site_id: i64,
    model_id: i64,
) -> Result<ReferralView, AppError> {
    let r = get_scoped(db, who, id).await?;
    if referral_matches::any_open(db, id).await? {
        return Err(AppError::Conflict(
            "Decide first whether this family is one already registered: see the request's possible matches.".into(),
        ));
    }
    if families::infant_has_crib(db, r.infant_id).await? {
        return Err(AppError::Conflict(
            "This baby already received a crib from the program: decline the request with that reason.".into(),
        ));
    }
    let s = site::Entity::find_by_id(site_id).one(db).await?;
    if !s.is_some_and(|s| s.active && s.kind != SiteKind::Warehouse.as_str()) {
        return Err(AppError::validation(
            "site_id",
            format!("There is no distribution site or hospital with id {site_id}."),
        ));
    }
    crate::store::stock_ops::existing_model(db, model_id, "crib_model_id").await?;
    if !transition(db, id, &[ReferralStatus::Submitted], ReferralStatus::Reserved).await? {
        let now = referral::Entity::find_by_id(id).one(db).await?.unwrap_or(r);
        return Err(state_conflict(&now, "accepted"));
    }
    let after = reserve_one(db, site_id, model_id).await.map_err(|e| match e {
        StockError::Insufficient { .. } => {
            AppError::OutOfStock("No unreserved crib of that model at that site: choose another site.".into())
        }
        StockError::Db(e) => e.into(),
    })?;
    let pv = policy::in_force(db, crate::clock::today()).await?;
    let until = r.discharge_date + Duration::days(i64::from(pv.params.reservation_days_after_discharge));
    referral::Entity::update_many()
        .col_expr(referral::Column::ReservedSiteId, Expr::value(site_id))
        .col_expr(referral::Column::ReservedCribModelId, Expr::value(model_id))
        .col_expr(referral::Column::ReservedUntil, Expr::value(until))
        .filter(referral::Column::Id.eq(id))
        .exec(db)
        .await?;
    let accepted = referral::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    outbox::causes::request_accepted(db, &accepted, until).await?;
    if crate::store::stock::crossed_low(&after, 1) {
        outbox::causes::stock_fell(db, site_id, model_id, 1, &format!("referral-{id}")).await?;
    }
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry {
            action: "referral.accept",
            entity: "referral",
            entity_id: Some(id),
            detail: Some(format!("site {site_id} model {model_id} until {until}")),
        },
    )
    .await?;
    view(db, accepted).await
}

async fn close(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    r: referral::Model,
    to: ReferralStatus,
    reason: Option<&str>,
) -> Result<ReferralView, AppError> {
    let verb = to.as_str();
    if !transition(db, r.id, &ReferralStatus::OPEN, to).await? {
        let now = referral::Entity::find_by_id(r.id).one(db).await?.unwrap_or(r);
        return Err(state_conflict(&now, verb));
    }
    if r.status == ReferralStatus::Reserved.as_str() {
        if let (Some(s), Some(m)) = (r.reserved_site_id, r.reserved_crib_model_id) {
            release_one(db, s, m).await?;
        }
    }
    referral::Entity::update_many()
        .col_expr(referral::Column::DeclineReason, Expr::value(reason))
        .col_expr(referral::Column::ClosedBy, Expr::value(who.id))
        .filter(referral::Column::Id.eq(r.id))
        .exec(db)
        .await?;
    if to == ReferralStatus::Declined {
        outbox::causes::request_declined(db, &r).await?;
    } else {
        outbox::causes::request_cancelled(db, &r).await?;
    }
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry {
            action: if to == ReferralStatus::Declined { "referral.decline" } else { "referral.cancel" },
            entity: "referral",
            entity_id: Some(r.id),
            detail: reason.map(str::to_string),
        },
    )
    .await?;
    view(db, referral::Entity::find_by_id(r.id).one(db).await?.ok_or(AppError::NotFound)?).await
}

/// Decline (managers) with a reason the nurse will read; releases any hold.
pub async fn decline(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    id: i64,
    reason: &str,
) -> Result<ReferralView, AppError> {
    let r = get_scoped(db, who, id).await?;
    close(db, who, ip, r, ReferralStatus::Declined, Some(reason)).await
}

/// Cancel (the nurse of its hospital, or a manager); releases any hold.
pub async fn cancel(db: &impl ConnectionTrait, who: &Actor, ip: &str, id: i64) -> Result<ReferralView, AppError> {
    let r = get_scoped(db, who, id).await?;
    close(db, who, ip, r, ReferralStatus::Cancelled, None).await
}

/// Mark a request fulfilled by a handout, from the status it had when it was read (`r`):
/// a request that changed since refuses with 409 and the caller's transaction rolls back.
pub async fn fulfil_from(db: &impl ConnectionTrait, r: &referral::Model, handout_id: i64) -> Result<(), AppError> {
    let was = ReferralStatus::parse(&r.status).filter(|s| s.is_open());
    let moved = match was {
        Some(was) => transition(db, r.id, &[was], ReferralStatus::Fulfilled).await?,
        None => false,
    };
    if !moved {
        return Err(AppError::Conflict("This request changed while the crib was being handed out; try again.".into()));
    }
    referral::Entity::update_many()
        .col_expr(referral::Column::HandoutId, Expr::value(handout_id))
        .filter(referral::Column::Id.eq(r.id))
        .exec(db)
        .await?;
    outbox::causes::request_handed_out(db, r).await?;
    Ok(())
}
