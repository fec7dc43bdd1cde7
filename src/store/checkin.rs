//! What the check-in page reads: search results with each family's last visit and status,
//! and the day's queue at a site (families registered or checked there today, on the
//! program's New York calendar).

use crate::domain::checkin::{family_status, FamilyStatus};
use crate::entity::{education_session, eligibility_check, family, handout, infant};
use crate::error::AppError;
use crate::store::families::FamilySummary;
use crate::store::reference;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// A family as a line in the search results or the queue.
#[derive(Debug, Clone, Serialize)]
pub struct FamilyRow {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    /// "Neighborhood (CSA)", or None outside the city.
    pub neighborhood: Option<String>,
    /// The latest day anything happened: registration, a check, education or a handout.
    pub last_visit: NaiveDate,
    pub status: FamilyStatus,
    pub status_label: &'static str,
    /// Outside the reader's scope: only names, birth date and neighborhood are shown, and
    /// the row leads to checking the family in here (`families::check_in_here`).
    pub registered_elsewhere: bool,
}

/// A family in the day's queue: its row and what happened today.
#[derive(Debug, Clone, Serialize)]
pub struct QueueRow {
    #[serde(flatten)]
    pub family: FamilyRow,
    /// "Registered", "Checked: eligible", … in the order they happened.
    pub today: Vec<String>,
    /// New York time of the latest event today, "HH:MM".
    pub latest_at: String,
}

/// The UTC instants that bound a New York calendar day: [start, end).
pub fn new_york_day(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start_of = |d: NaiveDate| {
        let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        New_York
            .from_local_datetime(&midnight)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
    };
    (start_of(day), start_of(day.succ_opt().unwrap_or(day)))
}

/// Search results with last visit and status, in the order given; a minimal match (from
/// `families::find`) keeps only what a minimal match shows.
pub async fn rows(db: &impl ConnectionTrait, found: Vec<FamilySummary>) -> Result<Vec<FamilyRow>, AppError> {
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    let families: Vec<family::Model> = family::Entity::find().filter(family::Column::Id.is_in(ids)).all(db).await?;
    let by_id: HashMap<i64, family::Model> = families.into_iter().map(|f| (f.id, f)).collect();
    let ordered: Vec<family::Model> = found.iter().filter_map(|f| by_id.get(&f.id).cloned()).collect();
    let elsewhere: HashSet<i64> = found.iter().filter(|f| f.registered_elsewhere).map(|f| f.id).collect();
    let mut rows = annotate(db, ordered).await?;
    for row in rows.iter_mut().filter(|r| elsewhere.contains(&r.id)) {
        row.phone = None;
        row.registered_elsewhere = true;
    }
    Ok(rows)
}

async fn annotate(db: &impl ConnectionTrait, families: Vec<family::Model>) -> Result<Vec<FamilyRow>, AppError> {
    if families.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = families.iter().map(|f| f.id).collect();
    let hoods: HashMap<i64, String> = reference::neighborhoods(db, None, None)
        .await?
        .into_iter()
        .map(|n| (n.id, format!("{} ({})", n.name, n.csa_name)))
        .collect();
    let mut infants: HashMap<i64, usize> = HashMap::new();
    for i in infant::Entity::find().filter(infant::Column::FamilyId.is_in(ids.clone())).all(db).await? {
        *infants.entry(i.family_id).or_default() += 1;
    }
    let mut last: HashMap<i64, NaiveDate> = HashMap::new();
    let mut seen = |id: i64, d: NaiveDate| {
        let e = last.entry(id).or_insert(d);
        if d > *e {
            *e = d;
        }
    };
    let mut with_crib: HashMap<i64, HashSet<i64>> = HashMap::new();
    for h in handout::Entity::find().filter(handout::Column::FamilyId.is_in(ids.clone())).all(db).await? {
        seen(h.family_id, h.handed_out_on);
        if h.voided_at.is_none() {
            with_crib.entry(h.family_id).or_default().insert(h.infant_id);
        }
    }
    for e in
        education_session::Entity::find().filter(education_session::Column::FamilyId.is_in(ids.clone())).all(db).await?
    {
        seen(e.family_id, crate::clock::date_in_new_york(e.delivered_at));
    }
    // Newest first, so the first check met per family is its latest.
    let mut latest_result: HashMap<i64, bool> = HashMap::new();
    for c in eligibility_check::Entity::find()
        .filter(eligibility_check::Column::FamilyId.is_in(ids))
        .order_by_desc(eligibility_check::Column::CreatedAt)
        .order_by_desc(eligibility_check::Column::Id)
        .all(db)
        .await?
    {
        seen(c.family_id, c.checked_on);
        latest_result.entry(c.family_id).or_insert(c.result == "eligible");
    }
    Ok(families
        .into_iter()
        .map(|f| {
            let registered = crate::clock::date_in_new_york(f.created_at);
            let status = family_status(
                infants.get(&f.id).copied().unwrap_or(0),
                with_crib.get(&f.id).map_or(0, HashSet::len),
                latest_result.get(&f.id).copied(),
            );
            FamilyRow {
                last_visit: last.get(&f.id).copied().map_or(registered, |d| d.max(registered)),
                neighborhood: f.neighborhood_id.and_then(|n| hoods.get(&n).cloned()),
                status,
                status_label: status.label(),
                id: f.id,
                first_name: f.first_name,
                last_name: f.last_name,
                date_of_birth: f.date_of_birth,
                phone: f.phone,
                registered_elsewhere: false,
            }
        })
        .collect())
}

/// The day's queue: families registered or checked on `day` at these sites (every site
/// when `sites` is None), the latest first.
pub async fn queue(
    db: &impl ConnectionTrait,
    sites: Option<&[i64]>,
    day: NaiveDate,
) -> Result<Vec<QueueRow>, AppError> {
    let (start, end) = new_york_day(day);
    let mut registered =
        family::Entity::find().filter(family::Column::CreatedAt.gte(start)).filter(family::Column::CreatedAt.lt(end));
    let mut checked = eligibility_check::Entity::find().filter(eligibility_check::Column::CheckedOn.eq(day));
    if let Some(sites) = sites {
        registered = registered.filter(family::Column::RegisteredSiteId.is_in(sites.to_vec()));
        checked = checked.filter(eligibility_check::Column::SiteId.is_in(sites.to_vec()));
    }
    // (time, family, what) for every event of the day.
    let mut events: Vec<(DateTime<Utc>, i64, String)> = Vec::new();
    for f in registered.all(db).await? {
        events.push((f.created_at, f.id, "Registered".to_string()));
    }
    for c in checked.all(db).await? {
        let result = if c.result == "eligible" { "eligible" } else { "not eligible" };
        events.push((c.created_at, c.family_id, format!("Checked: {result}")));
    }
    events.sort();
    let mut per_family: BTreeMap<i64, (DateTime<Utc>, Vec<String>)> = BTreeMap::new();
    for (at, id, what) in events {
        let entry = per_family.entry(id).or_insert((at, Vec::new()));
        entry.0 = entry.0.max(at);
        entry.1.push(what);
    }
    let ids: Vec<i64> = per_family.keys().copied().collect();
    let families = family::Entity::find().filter(family::Column::Id.is_in(ids)).all(db).await?;
    let mut rows: Vec<(DateTime<Utc>, QueueRow)> = annotate(db, families)
        .await?
        .into_iter()
        .filter_map(|family| {
            let (at, today) = per_family.get(&family.id)?.clone();
            let latest_at = at.with_timezone(&New_York).format("%H:%M").to_string();
            Some((at, QueueRow { family, today, latest_at }))
        })
        .collect();
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.family.id.cmp(&a.1.family.id)));
    let rows = rows.into_iter().map(|(_, row)| row).collect();
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_york_day_in_utc() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
        let (start, end) = new_york_day(d);
        assert_eq!(start.to_rfc3339(), "2026-11-23T05:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-11-24T05:00:00+00:00");
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
        assert_eq!(new_york_day(summer).0.to_rfc3339(), "2026-07-01T04:00:00+00:00");
    }
}
