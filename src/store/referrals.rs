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
use crate::store::{education, eligibility, families, policy, referral_matches};
use chrono::{Duration, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

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

/// Cancel a request (the nurse of its hospital, managers; anyone else: 404).
pub async fn cancel_once(db: &Db, by: Caller<'_>, mode: Mode<'_>, id: i64) -> Result<Ran<ReferralView>, AppError> {
    if !(by.who.is_manager() || by.who.role == Role::Nurse) {
        return Err(AppError::NotFound);
    }
    get_scoped(db, by.who, id).await?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = cancel(&txn, by.who, by.ip, id).await;
        (txn, r)
    })
    .await
}

/// One open request in the triage queue, with the crib choices to offer, best first.
#[derive(Debug, Clone, Serialize)]
pub struct TriageRow {
    pub r: ReferralView,
    pub options: Vec<TriageOption>,
}

/// A site and model that could hold a crib for a request.
#[derive(Debug, Clone, Serialize)]
pub struct TriageOption {
    pub site_id: i64,
    pub site_name: String,
    pub crib_model_id: i64,
    pub crib_model_name: String,
    pub available: i32,
    pub same_csa: bool,
}

/// Requests as their reader may see them (`list`), lapsed holds settled first; the families
/// shown are audited (`audit::families_shown`).
pub async fn read_list(db: &Db, by: Caller<'_>, status: Option<&str>) -> Result<Vec<ReferralView>, AppError> {
    settle(db).await?;
    let mut list = list(db, by.who, status).await?;
    with_matches(db, by.who, &mut list).await?;
    audit::families_shown(db, by, "requests list", shown(&list)).await?;
    Ok(list)
}

/// One request as its reader may see it (`read_one`), with its possible matches for a
/// manager; the families shown are audited.
pub async fn read_view(db: &Db, by: Caller<'_>, id: i64) -> Result<ReferralView, AppError> {
    settle(db).await?;
    let r = get_scoped(db, by.who, id).await?;
    let mut one = vec![view(db, r).await?];
    with_matches(db, by.who, &mut one).await?;
    audit::families_shown(db, by, "request", shown(&one)).await?;
    one.pop().ok_or(AppError::NotFound)
}

/// One request with the family and baby as the hospital sent them (`sent`: never the
/// family's record as it stands), for the request page; audited like `read_view`.
pub async fn read_as_sent(db: &Db, by: Caller<'_>, id: i64) -> Result<(ReferralView, SentFamily), AppError> {
    settle(db).await?;
    let r = get_scoped(db, by.who, id).await?;
    let as_sent = sent(db, &r).await?;
    let mut one = vec![view(db, r).await?];
    with_matches(db, by.who, &mut one).await?;
    audit::families_shown(db, by, "request", shown(&one)).await?;
    Ok((one.pop().ok_or(AppError::NotFound)?, as_sent))
}

/// A manager's views get their possible matches (nobody else sees them: a match is a
/// family registered before the request).
async fn with_matches(db: &impl ConnectionTrait, who: &Actor, list: &mut [ReferralView]) -> Result<(), AppError> {
    if !who.is_manager() {
        return Ok(());
    }
    let ids: Vec<i64> = list.iter().map(|r| r.id).collect();
    let mut matches = referral_matches::of(db, &ids).await?;
    for r in list.iter_mut() {
        r.possible_matches = matches.remove(&r.id).unwrap_or_default();
    }
    Ok(())
}

/// The families these views show: each request's, and each possible match's.
fn shown(list: &[ReferralView]) -> Vec<i64> {
    list.iter()
        .flat_map(|r| std::iter::once(r.family_id).chain(r.possible_matches.iter().map(|m| m.family.id)))
        .collect()
}

/// One request its reader may see (else 404), lapsed holds settled first; audited as a view
/// of its family.
pub async fn read_one(db: &Db, by: Caller<'_>, id: i64) -> Result<referral::Model, AppError> {
    settle(db).await?;
    let r = get_scoped(db, by.who, id).await?;
    audit::families_shown(db, by, "request", [r.family_id]).await?;
    Ok(r)
}

/// The manager's queue: every open request, oldest discharge first, each with the
/// distribution sites that have a crib available ranked by `domain::referral::rank_sites`;
/// the families shown are audited.
pub async fn triage_queue(db: &Db, by: Caller<'_>) -> Result<Vec<TriageRow>, AppError> {
    let who = by.who;
    forbidden_unless(who.is_manager())?;
    settle(db).await?;
    let mut open = list(db, who, Some(ReferralStatus::Submitted.as_str())).await?;
    open.extend(list(db, who, Some(ReferralStatus::Reserved.as_str())).await?);
    open.sort_by_key(|r| (r.discharge_date, r.id));
    with_matches(db, who, &mut open).await?;
    let sites: Vec<crate::store::reference::SiteView> = crate::store::reference::sites(db, None)
        .await?
        .into_iter()
        .filter(|s| s.kind == SiteKind::Distribution.as_str())
        .collect();
    // Each family's CSA, read for the whole queue at once (two statements).
    let families: HashMap<i64, Option<i64>> = family::Entity::find()
        .filter(family::Column::Id.is_in(open.iter().map(|r| r.family_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.neighborhood_id))
        .collect();
    let csa_of: HashMap<i64, i32> =
        crate::entity::neighborhood::Entity::find().all(db).await?.into_iter().map(|n| (n.id, n.csa_id)).collect();
    let by_id: HashMap<i64, &crate::store::reference::SiteView> = sites.iter().map(|s| (s.id, s)).collect();
    let mut rows = Vec::new();
    for r in open {
        let family_csa = families.get(&r.family_id).copied().flatten().and_then(|n| csa_of.get(&n).copied());
        let candidates = sites
            .iter()
            .map(|s| Candidate {
                site_id: s.id,
                csa_id: s.neighborhood.as_ref().map(|n| n.csa_id),
                available: s.available(),
            })
            .collect();
        let mut options = Vec::new();
        for c in rank_sites(family_csa, candidates) {
            let Some(s) = by_id.get(&c.site_id) else { continue };
            let same_csa = family_csa.is_some() && c.csa_id == family_csa;
            for st in s.stock.iter().filter(|st| st.available > 0) {
                options.push(TriageOption {
                    site_id: s.id,
                    site_name: s.name.clone(),
                    crib_model_id: st.crib_model_id,
                    crib_model_name: st.crib_model_name.clone(),
                    available: st.available,
                    same_csa,
                });
            }
        }
        rows.push(TriageRow { r, options });
    }
    let views: Vec<ReferralView> = rows.iter().map(|row| row.r.clone()).collect();
    audit::families_shown(db, by, "triage", shown(&views)).await?;
    Ok(rows)
}

/// A site named in a request.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SiteName {
    pub id: i64,
    pub name: String,
}

/// A request as lists and the API show it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub id: i64,
    pub status: String,
    pub hospital: SiteName,
    pub family_id: i64,
    pub infant_id: i64,
    pub caregiver: String,
    pub phone: Option<String>,
    pub discharge_date: NaiveDate,
    pub preferred_site_id: Option<i64>,
    /// The pickup site the nurse chose (None: home delivery, or none chosen).
    pub preferred_site: Option<SiteName>,
    pub home_delivery: bool,
    pub reserved_site: Option<SiteName>,
    pub reserved_crib_model_id: Option<i64>,
    pub reserved_until: Option<NaiveDate>,
    pub decline_reason: Option<String>,
    pub handout_id: Option<i64>,
    /// The eligibility preview at submission.
    #[schema(value_type = Object)]
    pub eligibility: serde_json::Value,
    pub note: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When the request last changed state.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Days since the discharge date while the request is open.
    pub days_waiting: i64,
    /// Families registered before the request that may be this one (managers only; a
    /// request is accepted once none is open).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub possible_matches: Vec<referral_matches::MatchView>,
}

/// The view of one request.
pub async fn view(db: &impl ConnectionTrait, r: referral::Model) -> Result<ReferralView, AppError> {
    views(db, vec![r]).await?.pop().ok_or(AppError::NotFound)
}

/// The views of some requests, in the order given: three statements however many rows.
pub async fn views(db: &impl ConnectionTrait, list: Vec<referral::Model>) -> Result<Vec<ReferralView>, AppError> {
    let families: HashMap<i64, family::Model> = family::Entity::find()
        .filter(family::Column::Id.is_in(list.iter().map(|r| r.family_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let site_ids: Vec<i64> = list
        .iter()
        .flat_map(|r| [Some(r.hospital_site_id), r.reserved_site_id, r.preferred_site_id])
        .flatten()
        .collect();
    let sites: HashMap<i64, SiteName> = site::Entity::find()
        .filter(site::Column::Id.is_in(site_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, SiteName { id: s.id, name: s.name }))
        .collect();
    let site_name = |id: i64| sites.get(&id).cloned().ok_or(AppError::NotFound);
    let today = crate::clock::today();
    list.into_iter()
        .map(|r| {
            let fam = families.get(&r.family_id).ok_or(AppError::NotFound)?;
            let sent = sent_or(&r, fam, None);
            let reserved_site = r.reserved_site_id.map(site_name).transpose()?;
            let open = ReferralStatus::parse(&r.status).is_some_and(ReferralStatus::is_open);
            Ok(ReferralView {
                id: r.id,
                hospital: site_name(r.hospital_site_id)?,
                family_id: r.family_id,
                infant_id: r.infant_id,
                caregiver: sent.caregiver(),
                phone: sent.phone,
                discharge_date: r.discharge_date,
                preferred_site_id: r.preferred_site_id,
                preferred_site: r.preferred_site_id.and_then(|id| sites.get(&id).cloned()),
                home_delivery: r.home_delivery,
                reserved_site,
                reserved_crib_model_id: r.reserved_crib_model_id,
                reserved_until: r.reserved_until,
                decline_reason: r.decline_reason,
                handout_id: r.handout_id,
                eligibility: serde_json::from_str(&r.eligibility_json).unwrap_or(serde_json::Value::Null),
                note: r.note,
                created_at: r.created_at,
                updated_at: r.updated_at,
                days_waiting: if open { (today - r.discharge_date).num_days().max(0) } else { 0 },
                status: r.status,
                possible_matches: Vec::new(),
            })
        })
        .collect()
}

/// The family and baby as the hospital sent them.
pub async fn sent(db: &impl ConnectionTrait, r: &referral::Model) -> Result<SentFamily, AppError> {
    if let Some(s) = r.sent_json.as_deref().and_then(|j| serde_json::from_str::<SentFamily>(j).ok()) {
        return Ok(s);
    }
    let fam = families::get(db, r.family_id).await?;
    let baby = infant::Entity::find_by_id(r.infant_id).one(db).await?;
    Ok(sent_or(r, &fam, baby.as_ref()))
}

/// The request's stored `sent_json`, or (a request stored before it was kept) the family
/// and baby on record.
fn sent_or(r: &referral::Model, fam: &family::Model, baby: Option<&infant::Model>) -> SentFamily {
    if let Some(s) = r.sent_json.as_deref().and_then(|j| serde_json::from_str::<SentFamily>(j).ok()) {
        return s;
    }
    SentFamily {
        first_name: fam.first_name.clone(),
        last_name: fam.last_name.clone(),
        date_of_birth: fam.date_of_birth,
        phone: fam.phone.clone(),
        address_line1: fam.address_line1.clone(),
        city: fam.city.clone(),
        state: fam.state.clone(),
        zip: fam.zip.clone(),
        neighborhood_id: fam.neighborhood_id,
        preferred_language: Some(fam.preferred_language.clone()),
        infant: baby
            .map(|b| SentInfant {
                name: b.name.clone(),
                date_of_birth: b.date_of_birth,
                expected_due_date: b.expected_due_date,
            })
            .unwrap_or_default(),
    }
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
        ..Default::default()
    }
    .insert(db)
    .await?;
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
        .filter(referral::Column::Id.eq(id))
        .filter(referral::Column::Status.is_in(from.iter().map(|s| s.as_str())))
        .exec(db)
        .await?
        .rows_affected;
    Ok(changed == 1)
}

/// A request the caller may see (nurse: her hospital's; managers: all), else 404.
pub async fn get_scoped(db: &impl ConnectionTrait, who: &Actor, id: i64) -> Result<referral::Model, AppError> {
    let r = referral::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    let visible = who.is_manager() || (who.role == Role::Nurse && who.hospital_id() == Some(r.hospital_site_id));
    if visible {
        Ok(r)
    } else {
        Err(AppError::NotFound)
    }
}

/// Requests the caller may see, optionally by status: open ones oldest discharge first.
pub async fn list(db: &impl ConnectionTrait, who: &Actor, status: Option<&str>) -> Result<Vec<ReferralView>, AppError> {
    let mut q = referral::Entity::find()
        .order_by_asc(referral::Column::DischargeDate)
        .order_by_asc(referral::Column::Id)
        .limit(1000);
    match who.role {
        Role::Nurse => q = q.filter(referral::Column::HospitalSiteId.eq(who.hospital_id().unwrap_or(-1))),
        _ if who.is_manager() => {}
        _ => return Err(AppError::Forbidden),
    }
    if let Some(s) = status {
        q = q.filter(referral::Column::Status.eq(s));
    }
    views(db, q.all(db).await?).await
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
    reserve_one(db, site_id, model_id).await.map_err(|e| match e {
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
    view(db, referral::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?).await
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
    if let Some(reason) = reason {
        referral::Entity::update_many()
            .col_expr(referral::Column::DeclineReason, Expr::value(reason))
            .filter(referral::Column::Id.eq(r.id))
            .exec(db)
            .await?;
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
    Ok(())
}
