//! Searching hospital requests for polling (issue 22): the parameters each resource type
//! takes (`PARAMS`, which the CapabilityStatement lists too), narrowed to what the caller
//! may see (a nurse or her hospital's system: that hospital's requests; managers: all),
//! newest change first, `_count` per page with `next` links (`_offset`), and searchset
//! Bundles with `_include`d resources marked `include`.

use super::outcome::FhirError;
use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::domain::states::ReferralStatus;
use crate::entity::referral;
use crate::error::AppError;
use chrono::{DateTime, NaiveDate, Utc};
use rocket::form::FromForm;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};
use serde_json::{json, Value};

/// The search parameters of each searchable type, as served (for the CapabilityStatement).
pub const PARAMS: &[(&str, &[(&str, &str)])] = &[
    (
        "ServiceRequest",
        &[
            ("_id", "token"),
            ("identifier", "token"),
            ("status", "token"),
            ("patient", "reference"),
            ("requester", "reference"),
            ("_lastUpdated", "date"),
        ],
    ),
    (
        "Task",
        &[
            ("_id", "token"),
            ("identifier", "token"),
            ("status", "token"),
            ("patient", "reference"),
            ("focus", "reference"),
            ("requester", "reference"),
            ("_lastUpdated", "date"),
        ],
    ),
    ("Procedure", &[("based-on", "reference"), ("patient", "reference"), ("_lastUpdated", "date")]),
];

/// The largest page of a search.
pub const MAX_COUNT: u64 = 200;

/// A search's parameters (one struct for every type; each route uses its own).
#[derive(Debug, Default, FromForm)]
pub struct Params<'r> {
    #[field(name = "_id")]
    pub id: Option<&'r str>,
    pub identifier: Option<&'r str>,
    pub status: Option<&'r str>,
    pub patient: Option<&'r str>,
    pub focus: Option<&'r str>,
    pub requester: Option<&'r str>,
    #[field(name = "based-on")]
    pub based_on: Option<&'r str>,
    #[field(name = "_lastUpdated")]
    pub last_updated: Vec<&'r str>,
    #[field(name = "_count")]
    pub count: Option<&'r str>,
    #[field(name = "_offset")]
    pub offset: Option<&'r str>,
    #[field(name = "_include")]
    pub include: Vec<&'r str>,
}

/// Whether a type's search takes a parameter (as `PARAMS` lists it).
pub fn takes(kind: &str, name: &str) -> bool {
    PARAMS.iter().any(|(k, params)| *k == kind && params.iter().any(|(n, _)| *n == name))
}

fn nonempty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// The requests a caller may search.
pub fn scoped(who: &Actor) -> Result<Select<referral::Entity>, FhirError> {
    let q = referral::Entity::find();
    match who.role {
        Role::Nurse => Ok(q.filter(referral::Column::HospitalSiteId.eq(who.hospital_id().unwrap_or(-1)))),
        _ if who.is_manager() => Ok(q),
        _ => Err(AppError::Forbidden.into()),
    }
}

/// An id given as `123`, `Type/123` or a full URL ending so.
fn id_of(reference: &str, kind: &str) -> Option<i64> {
    let tail = reference.rsplit_once(&format!("{kind}/")).map(|(_, t)| t).unwrap_or(reference);
    tail.parse().ok()
}

/// Narrow by ids (comma-separated); anything not an id of ours matches nothing.
fn ids(q: Select<referral::Entity>, list: &str, kind: &str) -> Select<referral::Entity> {
    let ids: Vec<i64> = list.split(',').map(|i| id_of(i.trim(), kind).unwrap_or(-1)).collect();
    q.filter(referral::Column::Id.is_in(ids))
}

/// Narrow by who asked (comma-separated): `Practitioner/123` or a full URL ending so matches
/// that requester; a bare id (`123`) matches a requester of any type with that id.
fn requester(q: Select<referral::Entity>, list: &str) -> Result<Select<referral::Entity>, FhirError> {
    let col = referral::Column::Requester;
    let mut any = sea_orm::Condition::any();
    for v in list.split(',').map(str::trim) {
        any = match super::intake::type_and_id(v) {
            Some(exact) => any.add(col.eq(exact)),
            // An id is letters, digits, '-' and '.', so it holds no LIKE wildcard.
            None if super::intake::is_id(v) => any.add(col.ends_with(format!("/{v}"))),
            None => {
                return Err(FhirError::value(
                    "requester",
                    &format!("\"{v}\" is not a reference: give it as Type/id (Practitioner/123) or an id."),
                ))
            }
        };
    }
    Ok(q.filter(any))
}

/// One `_lastUpdated` value (`ge2026-12-01`, `lt2026-12-05T10:00:00Z`; a bare day is that day).
fn last_updated(q: Select<referral::Entity>, value: &str) -> Result<Select<referral::Entity>, FhirError> {
    let (prefix, rest) = match value.get(..2) {
        Some(p @ ("gt" | "ge" | "lt" | "le" | "eq")) => (p, &value[2..]),
        _ => ("eq", value),
    };
    let bad = || {
        FhirError::value(
            "_lastUpdated",
            &format!("\"{value}\" is not a date: use a prefix gt, ge, lt or le and a date (2026-12-01) or an instant (2026-12-01T10:00:00Z)."),
        )
    };
    let col = referral::Column::UpdatedAt;
    if let Ok(t) = DateTime::parse_from_rfc3339(rest) {
        let t = t.with_timezone(&Utc);
        return Ok(match prefix {
            "gt" => q.filter(col.gt(t)),
            "ge" => q.filter(col.gte(t)),
            "lt" => q.filter(col.lt(t)),
            "le" => q.filter(col.lte(t)),
            _ => q.filter(col.eq(t)),
        });
    }
    let day = NaiveDate::parse_from_str(rest, "%Y-%m-%d").map_err(|_| bad())?;
    // A day is New York's day, like every date the program shows.
    let start = crate::clock::start_of_new_york_day(day);
    let end = crate::clock::start_of_new_york_day(day.succ_opt().ok_or_else(bad)?);
    Ok(match prefix {
        "gt" => q.filter(col.gte(end)),
        "ge" => q.filter(col.gte(start)),
        "lt" => q.filter(col.lt(start)),
        "le" => q.filter(col.lt(end)),
        _ => q.filter(col.gte(start)).filter(col.lt(end)),
    })
}

/// The program's request states a Task status stands for.
fn states_of_task(task: &str) -> Vec<&'static str> {
    ReferralStatus::ALL.iter().map(|s| s.as_str()).filter(|s| super::task::task_status(s) == task).collect()
}

/// The program's request states a ServiceRequest status stands for.
fn states_of_request(status: &str) -> Vec<&'static str> {
    ReferralStatus::ALL.iter().map(|s| s.as_str()).filter(|s| super::resources::fhir_status(s) == status).collect()
}

/// Narrow by status (comma-separated), in the resource type's own statuses.
fn status(q: Select<referral::Entity>, list: &str, kind: &str) -> Result<Select<referral::Entity>, FhirError> {
    let mut states = Vec::new();
    for s in list.split(',').map(str::trim) {
        let these = if kind == "Task" { states_of_task(s) } else { states_of_request(s) };
        if these.is_empty() {
            let known = if kind == "Task" {
                "requested, accepted, completed, rejected, cancelled or failed"
            } else {
                "active, completed or revoked"
            };
            return Err(FhirError::value(
                "status",
                &format!("\"{s}\" is not a {kind} status this server uses: {known}."),
            ));
        }
        states.extend(these);
    }
    Ok(q.filter(referral::Column::Status.is_in(states)))
}

/// Narrow by the identifiers the hospital gave (`system|value`, `|value`, `value`) or the
/// program's own (`urn:cribs:referral|id`).
async fn identifier(
    db: &impl ConnectionTrait,
    who: &Actor,
    q: Select<referral::Entity>,
    ident: &str,
) -> Result<Select<referral::Entity>, FhirError> {
    let (system, value) = match ident.split_once('|') {
        Some((s, v)) => (Some(s), v),
        None => (None, ident),
    };
    if system == Some(super::resources::ID_SYSTEM) {
        return Ok(q.filter(referral::Column::Id.eq(value.parse::<i64>().unwrap_or(-1))));
    }
    let mut matched =
        crate::store::referrals::by_identifier(db, who.hospital_id(), system.filter(|s| !s.is_empty()), value).await?;
    if system.is_none() {
        if let Ok(own) = value.parse::<i64>() {
            matched.push(own);
        }
    }
    Ok(q.filter(referral::Column::Id.is_in(matched)))
}

/// The requests a search finds: (this page, every match's count, the page's offset and size).
pub async fn find<'a>(
    db: &impl ConnectionTrait,
    who: &Actor,
    kind: &str,
    p: &Params<'a>,
) -> Result<(Vec<referral::Model>, u64, u64, u64), FhirError> {
    // A parameter this type does not take is ignored, as FHIR's lenient handling asks; the
    // CapabilityStatement lists what each type takes (`PARAMS`).
    let given = |name: &str, v: Option<&'a str>| nonempty(v).filter(|_| takes(kind, name));
    let mut q = scoped(who)?;
    if let Some(list) = given("_id", p.id) {
        q = ids(q, list, kind);
    }
    if let Some(i) = given("identifier", p.identifier) {
        q = identifier(db, who, q, i).await?;
    }
    if let Some(list) = given("status", p.status) {
        q = status(q, list, kind)?;
    }
    if let Some(list) = given("patient", p.patient) {
        q = ids(q, list, "Patient");
    }
    if let Some(list) = given("focus", p.focus) {
        q = ids(q, list, "ServiceRequest");
    }
    if let Some(list) = given("requester", p.requester) {
        q = requester(q, list)?;
    }
    if let Some(list) = given("based-on", p.based_on) {
        q = ids(q, list, "ServiceRequest");
    }
    for v in p.last_updated.iter().map(|v| v.trim()).filter(|v| !v.is_empty()) {
        q = last_updated(q, v)?;
    }
    if kind == "Procedure" {
        q = q.filter(referral::Column::HandoutId.is_not_null());
    }
    let count = match nonempty(p.count) {
        None => 50,
        Some(c) => match c.parse::<u64>() {
            Ok(n) if (1..=MAX_COUNT).contains(&n) => n,
            _ => return Err(FhirError::value("_count", &format!("_count is a whole number from 1 to {MAX_COUNT}."))),
        },
    };
    let offset = match nonempty(p.offset) {
        None => 0,
        Some(o) => o
            .parse::<u64>()
            .map_err(|_| FhirError::value("_offset", "_offset is a whole number (from a next link)."))?,
    };
    let q = q.order_by_desc(referral::Column::UpdatedAt).order_by_desc(referral::Column::Id);
    let total = q.clone().count(db).await.map_err(AppError::from)?;
    let rows = q.offset(offset).limit(count).all(db).await.map_err(AppError::from)?;
    Ok((rows, total, offset, count))
}

/// A search's page of requests.
pub struct Found {
    pub rows: Vec<referral::Model>,
    pub total: u64,
    pub offset: u64,
    pub count: u64,
}

impl Found {
    /// The page's (total, offset, count), for `bundle`.
    pub fn page(&self) -> (u64, u64, u64) {
        (self.total, self.offset, self.count)
    }
}

/// Run a search as a caller: the scope (`system/<kind>.s` for a system), lapsed holds
/// settled first, and the families shown audited.
pub async fn run(db: &crate::db::Db, who: &Actor, ip: &str, kind: &str, p: &Params<'_>) -> Result<Found, FhirError> {
    super::require(who, kind, crate::domain::smart::Interaction::Search)?;
    crate::store::referrals::settle(db).await?;
    let (rows, total, offset, count) = find(db, who, kind, p).await?;
    crate::store::audit::families_shown(
        db,
        crate::store::audit::Caller { who, ip },
        &format!("FHIR {kind} search"),
        rows.iter().map(|r| r.family_id),
    )
    .await
    .map_err(AppError::from)?;
    Ok(Found { rows, total, offset, count })
}

/// The same search's address at another offset (for `self` and `next`).
pub fn link(base: &str, kind: &str, query: Option<&str>, offset: u64) -> String {
    let mut parts: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("_offset="))
        .map(str::to_string)
        .collect();
    if offset > 0 {
        parts.push(format!("_offset={offset}"));
    }
    if parts.is_empty() {
        format!("{base}/fhir/r4/{kind}")
    } else {
        format!("{base}/fhir/r4/{kind}?{}", parts.join("&"))
    }
}

/// A searchset Bundle: matches, then includes, with `self` and (when more) `next` links.
pub fn bundle(
    base: &str,
    kind: &str,
    query: Option<&str>,
    page: (u64, u64, u64),
    matches: Vec<Value>,
    includes: Vec<Value>,
) -> Value {
    let (total, offset, count) = page;
    let entry = |r: Value, mode: &str| {
        let url =
            format!("{base}/fhir/r4/{}/{}", r["resourceType"].as_str().unwrap_or(""), r["id"].as_str().unwrap_or(""));
        json!({"fullUrl": url, "resource": r, "search": {"mode": mode}})
    };
    let mut links = vec![json!({"relation": "self", "url": link(base, kind, query, offset)})];
    if offset + count < total {
        links.push(json!({"relation": "next", "url": link(base, kind, query, offset + count)}));
    }
    let mut entries: Vec<Value> = matches.into_iter().map(|r| entry(r, "match")).collect();
    entries.extend(includes.into_iter().map(|r| entry(r, "include")));
    json!({"resourceType": "Bundle", "type": "searchset", "total": total, "link": links, "entry": entries})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_query_and_move_the_offset() {
        let base = "https://cribs.example.org";
        assert_eq!(
            link(base, "Task", Some("status=accepted&_count=2"), 2),
            format!("{base}/fhir/r4/Task?status=accepted&_count=2&_offset=2")
        );
        assert_eq!(link(base, "Task", Some("_offset=4&_count=2"), 0), format!("{base}/fhir/r4/Task?_count=2"));
        assert_eq!(link(base, "Task", None, 0), format!("{base}/fhir/r4/Task"));
        let b =
            bundle(base, "Task", Some("_count=1"), (3, 0, 1), vec![json!({"resourceType": "Task", "id": "9"})], vec![]);
        assert_eq!(b["link"][1]["relation"], "next");
        assert_eq!(b["entry"][0]["fullUrl"], format!("{base}/fhir/r4/Task/9"));
        let last = bundle(base, "Task", Some("_count=1"), (3, 2, 1), vec![], vec![]);
        assert_eq!(last["link"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn ids_come_from_references_or_bare_numbers() {
        assert_eq!(id_of("Patient/12", "Patient"), Some(12));
        assert_eq!(id_of("https://x.org/fhir/r4/Patient/12", "Patient"), Some(12));
        assert_eq!(id_of("12", "Patient"), Some(12));
        assert_eq!(id_of("Patient/abc", "Patient"), None);
    }
}
