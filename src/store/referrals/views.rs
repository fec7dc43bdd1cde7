//! Reading requests: the nurse's and the manager's lists and pages, the triage queue with
//! its crib choices, and what the hospital sent (`sent`), which a nurse sees instead of
//! the stored record. Each read is scoped (`get_scoped`, `list`); the writes are in the
//! parent module.

use super::*;

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
