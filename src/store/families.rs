//! Families and their infants: register (with duplicate detection), search (city-wide, with
//! minimal matches outside the caller's scope), read, check in at a new site, and the
//! snapshot the eligibility rules need.

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::checkin::{name_key, prefix_end, search_key, sound_key};
use crate::domain::eligibility::{FamilySnapshot, InfantSnapshot};
use crate::domain::family::{phone_digits, phone_tail, NewFamily};
use crate::domain::money::cents_to_decimal;
use crate::domain::states::ReferralStatus;
use crate::entity::{family, family_site_link, handout, infant, neighborhood};
use crate::error::{forbidden_unless, AppError, Problems};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::family_view::{self, FamilyDetail};
use crate::store::sqlite::inline_read;
use crate::store::write::{self, Mode, Ran};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// Register a family and its infants (site staff, managers): refused with the possible
/// duplicates (`AppError::PossibleDuplicates`) unless `confirmed` says it is a different
/// family; audited as `family.create`.
pub async fn register(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    new: &NewFamily,
    confirmed: bool,
) -> Result<Ran<CreatedFamily>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            if !confirmed {
                let duplicates = only_what_may_be_seen(&txn, by.who, possible_duplicates(&txn, new).await?).await?;
                if !duplicates.is_empty() {
                    return Err(AppError::PossibleDuplicates(serde_json::to_value(&duplicates).unwrap_or_default()));
                }
            }
            let created = create(&txn, new, by.who.id, by.who.home_site()).await?;
            let entry =
                AuditEntry { action: "family.create", entity: "family", entity_id: Some(created.id), detail: None };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(created)
        }
        .await;
        (txn, r)
    })
    .await
}

/// The longest reason for checking a family in at a new site.
pub const CHECK_IN_REASON_MAX_CHARS: usize = 500;

/// A family checked in at a site (`check_in_here`).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckedInHere {
    pub family_id: i64,
    pub site_id: i64,
}

/// Check a family in at one of the caller's sites where it has no history yet, saying why
/// (a family that moved, a sister site out of cribs): from then on that site's staff open
/// its whole record (`store::scope`). Audited as `family.check_in_here` with the reason;
/// checking in again at the same site changes nothing.
pub async fn check_in_here(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    site_id: Option<i64>,
    reason: &str,
) -> Result<Ran<CheckedInHere>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let mut p = Problems::default();
    let site_id = match site_id.or_else(|| by.who.home_site()) {
        Some(s) if by.who.can_act_at(s) => Some(s),
        Some(_) => {
            p.add("site_id", "Choose one of your own sites.");
            None
        }
        None => {
            p.add("site_id", "Choose the site where the family is checked in.");
            None
        }
    };
    let reason = reason.trim();
    if reason.chars().count() < 5 {
        p.add("reason", "Say in a few words why the family is checked in here.");
    } else if reason.chars().count() > CHECK_IN_REASON_MAX_CHARS {
        p.add("reason", format!("At most {CHECK_IN_REASON_MAX_CHARS} characters, please."));
    }
    p.finish()?;
    let site_id = site_id.ok_or(AppError::NotFound)?;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            get(&txn, family_id).await?;
            let linked = family_site_link::Entity::find()
                .filter(family_site_link::Column::FamilyId.eq(family_id))
                .filter(family_site_link::Column::SiteId.eq(site_id))
                .one(&txn)
                .await?;
            if linked.is_none() {
                family_site_link::ActiveModel {
                    family_id: Set(family_id),
                    site_id: Set(site_id),
                    user_id: Set(by.who.id),
                    reason: Set(reason.to_string()),
                    created_at: Set(crate::clock::now()),
                    ..Default::default()
                }
                .insert(&txn)
                .await?;
                let detail = Some(format!("site {site_id}: {reason}"));
                let entry =
                    AuditEntry { action: "family.check_in_here", entity: "family", entity_id: Some(family_id), detail };
                audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            }
            Ok(CheckedInHere { family_id, site_id })
        }
        .await;
        (txn, r)
    })
    .await
}

/// A family as a minimal match (names, birth date, neighborhood), for the step that checks
/// it in at a new site; audited as a `family.view` of the minimal match.
pub async fn minimal_match(db: &Db, by: Caller<'_>, family_id: i64) -> Result<FamilySummary, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let f = get(db, family_id).await?;
    let entry = AuditEntry {
        action: "family.view",
        entity: "family",
        entity_id: Some(family_id),
        detail: Some("minimal match".into()),
    };
    audit::record_alone(db, Some(by.who), Some(by.ip), entry).await?;
    Ok(FamilySummary::from(f).minimal())
}

/// The longest search a person may type.
pub const SEARCH_MAX_CHARS: usize = 100;

/// Find families by name, phone or a date of birth (site staff, managers) anywhere in the
/// city, those outside the caller's scope as minimal matches; audited as `family.search`
/// with the query and the families returned.
pub async fn find(db: &Db, by: Caller<'_>, q: &str) -> Result<Vec<FamilySummary>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let q = q.trim();
    if q.chars().count() > SEARCH_MAX_CHARS {
        return Err(AppError::validation("q", format!("Search with at most {SEARCH_MAX_CHARS} characters.")));
    }
    let found = search(db, q).await?;
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    let found = minimal_outside(found, &crate::store::scope::visible_among_for_search(db, by.who, &ids).await?);
    let entry = AuditEntry {
        action: "family.search",
        entity: "family",
        entity_id: None,
        detail: Some(search_detail(q, &found)),
    };
    audit::record_alone(db, Some(by.who), Some(by.ip), entry).await?;
    Ok(found)
}

/// What a search's audit row says: the query and the families it returned, so "who looked
/// up this phone number" and "who was shown this family" can be answered.
pub fn search_detail(q: &str, found: &[FamilySummary]) -> String {
    let ids: Vec<String> = found.iter().map(|f| f.id.to_string()).collect();
    let q: String = q.chars().take(SEARCH_MAX_CHARS).collect();
    serde_json::json!({ "q": q, "families": found.len(), "ids": ids.join(",") }).to_string()
}

/// Matches outside the person's scope (`store::scope`) cut down to a minimal match: names,
/// birth date and neighborhood, marked as registered at another site; no phone.
pub async fn only_what_may_be_seen(
    db: &impl ConnectionTrait,
    who: &Actor,
    found: Vec<FamilySummary>,
) -> Result<Vec<FamilySummary>, AppError> {
    let ids: Vec<i64> = found.iter().map(|f| f.id).collect();
    Ok(minimal_outside(found, &crate::store::scope::visible_among(db, who, &ids).await?))
}

/// Each family not in `visible` as its minimal match.
fn minimal_outside(found: Vec<FamilySummary>, visible: &std::collections::HashSet<i64>) -> Vec<FamilySummary> {
    found.into_iter().map(|f| if visible.contains(&f.id) { f } else { f.minimal() }).collect()
}

/// A family's whole record, for someone who may see it (else 404), audited as `family.view`.
/// A record merged into another answers with the one it lives in now.
pub async fn view(db: &Db, by: Caller<'_>, id: i64) -> Result<FamilyDetail, AppError> {
    let id = live_id(db, id).await?;
    ensure_visible(db, by.who, id).await?;
    let detail = family_view::detail(db, id).await?;
    let entry = AuditEntry { action: "family.view", entity: "family", entity_id: Some(id), detail: None };
    audit::record_alone(db, Some(by.who), Some(by.ip), entry).await?;
    Ok(detail)
}

/// Open a family's data for a page other than its record (the education and hand-out
/// pages): 404 unless this person may see it, and audited as a view of the family.
pub async fn open_for(db: &Db, by: Caller<'_>, id: i64, page: &str) -> Result<(), AppError> {
    ensure_visible(db, by.who, id).await?;
    audit::families_shown(db, by, page, [id]).await?;
    Ok(())
}

/// 404 unless this person may see this family (`family_view::may_view`).
pub async fn ensure_visible(db: &impl ConnectionTrait, who: &Actor, id: i64) -> Result<(), AppError> {
    if family_view::may_view(db, who, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// A family as a search result or a duplicate candidate.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FamilySummary {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    pub neighborhood_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// True for a family outside the caller's scope: only its names, birth date and
    /// neighborhood are given, and its record opens after checking it in at the caller's
    /// site (`POST /api/v1/families/{id}/check-in-here`).
    #[serde(default)]
    pub registered_elsewhere: bool,
}

impl FamilySummary {
    /// The minimal match of a family outside the caller's scope.
    pub fn minimal(self) -> FamilySummary {
        FamilySummary { phone: None, registered_elsewhere: true, ..self }
    }
}

impl From<family::Model> for FamilySummary {
    fn from(f: family::Model) -> Self {
        FamilySummary {
            id: f.id,
            first_name: f.first_name,
            last_name: f.last_name,
            date_of_birth: f.date_of_birth,
            phone: f.phone,
            neighborhood_id: f.neighborhood_id,
            created_at: f.created_at,
            registered_elsewhere: false,
        }
    }
}

/// Possible duplicates of a new family, whoever typed it: the same caregiver birth date
/// with the same last name (accents, case and spacing folded) or with a baby of the same
/// birth or due date; or the same phone.
pub async fn possible_duplicates(db: &impl ConnectionTrait, f: &NewFamily) -> Result<Vec<FamilySummary>, AppError> {
    let mut any = Condition::any();
    if let Some(dob) = f.date_of_birth {
        any = any.add(
            Condition::all()
                .add(family::Column::DateOfBirth.eq(dob))
                .add(family::Column::SearchLast.eq(search_key(&f.last_name))),
        );
        if let Some(sound) = sound_key(&f.last_name) {
            // The same birth date and a last name that sounds the same ("Hernandes").
            any = any.add(
                Condition::all().add(family::Column::DateOfBirth.eq(dob)).add(family::Column::SoundLast.eq(sound)),
            );
        }
        let births: Vec<NaiveDate> = f.infants.iter().filter_map(|i| i.date_of_birth).collect();
        let dues: Vec<NaiveDate> = f.infants.iter().filter_map(|i| i.expected_due_date).collect();
        if !births.is_empty() || !dues.is_empty() {
            // The same caregiver birth date (indexed) and a baby of one of these dates on
            // the record. NOTE: one statement of a fixed shape, not the ids read first and
            // sent back as a list: a list of each length is a new statement, which each
            // pooled connection prepares and keeps in its statement cache, pushing out the
            // hot paths' statements.
            any = any.add(Condition::all().add(family::Column::DateOfBirth.eq(dob)).add(Expr::exists(babies_born(
                &births,
                &dues,
                (family::Entity, family::Column::Id),
            ))));
        }
    }
    if let Some(p) = &f.phone_digits {
        any = any.add(family::Column::PhoneDigits.eq(p.as_str()));
    }
    if any.is_empty() {
        return Ok(Vec::new());
    }
    Ok(family::Entity::find()
        .filter(any)
        .filter(family::Column::MergedIntoId.is_null())
        .limit(20)
        .all(db)
        .await?
        .into_iter()
        .map(FamilySummary::from)
        .collect())
}

/// `SELECT 1 FROM infants WHERE family_id = <outer record> AND (born or due on one of
/// these days)`: the babies of one record with one of these dates, for `EXISTS`.
pub fn babies_born(
    births: &[NaiveDate],
    dues: &[NaiveDate],
    record: (family::Entity, family::Column),
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(infant::Entity)
        .and_where(Expr::col((infant::Entity, infant::Column::FamilyId)).equals(record))
        .cond_where(
            Condition::any()
                .add(infant::Column::DateOfBirth.is_in(births.iter().copied()))
                .add(infant::Column::ExpectedDueDate.is_in(dues.iter().copied())),
        )
        .to_owned()
}

/// Ids of what was stored.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedFamily {
    pub id: i64,
    pub infant_ids: Vec<i64>,
}

/// 422 unless the neighborhood exists.
pub async fn neighborhood_exists(db: &impl ConnectionTrait, id: i64) -> Result<(), AppError> {
    match neighborhood::Entity::find_by_id(id).one(db).await? {
        Some(_) => Ok(()),
        None => Err(AppError::validation("address.neighborhood_id", format!("There is no neighborhood with id {id}."))),
    }
}

/// Store a new family and its infants.
pub async fn create(
    db: &impl ConnectionTrait,
    f: &NewFamily,
    created_by: i64,
    site_id: Option<i64>,
) -> Result<CreatedFamily, AppError> {
    if let Some(n) = f.neighborhood_id {
        neighborhood_exists(db, n).await?;
    }
    let now = crate::clock::now();
    let row = family::ActiveModel {
        first_name: Set(f.first_name.clone()),
        last_name: Set(f.last_name.clone()),
        date_of_birth: Set(f.date_of_birth),
        phone: Set(f.phone.clone()),
        phone_digits: Set(f.phone_digits.clone()),
        phone_last4: Set(phone_tail(f.phone_digits.as_deref(), 4)),
        phone_last7: Set(phone_tail(f.phone_digits.as_deref(), 7)),
        preferred_language: Set(f.preferred_language.clone()),
        address_line1: Set(f.address_line1.clone()),
        city: Set(f.city.clone()),
        state: Set(f.state.clone()),
        zip: Set(f.zip.clone()),
        neighborhood_id: Set(f.neighborhood_id),
        household_size: Set(f.household_size),
        annual_income_cents: Set(f.annual_income_cents),
        enrollments: Set(f.enrollments.join(",")),
        has_safe_sleep_space: Set(f.has_safe_sleep_space),
        race_ethnicity: Set(f.race_ethnicity.clone()),
        registered_site_id: Set(site_id),
        created_by: Set(Some(created_by)),
        created_at: Set(now),
        search_first: Set(Some(search_key(&f.first_name))),
        search_last: Set(Some(search_key(&f.last_name))),
        sound_first: Set(sound_key(&f.first_name)),
        sound_last: Set(sound_key(&f.last_name)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut infant_ids = Vec::new();
    for i in &f.infants {
        let inf = infant::ActiveModel {
            family_id: Set(row.id),
            name: Set(i.name.clone()),
            search_name: Set(name_key(i.name.as_deref())),
            date_of_birth: Set(i.date_of_birth),
            expected_due_date: Set(i.expected_due_date),
            weight_lb: Set(i.weight_lb.map(|w| w.to_string())),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(db)
        .await?;
        infant_ids.push(inf.id);
    }
    crate::store::infant_matches::detect(db, row.id).await?;
    Ok(CreatedFamily { id: row.id, infant_ids })
}

/// Search by name, phone digits (the whole number or its last 4 or 7), or a caregiver's or
/// baby's date of birth (MM/DD/YYYY as the date widgets show it, or YYYY-MM-DD). A name
/// search finds the families where every word starts the first or the last name (`tan bro`
/// finds Tanya Brooks), and those with a baby whose name starts with the first word, from
/// the search-key indexes; only when that finds nobody does it look for the words anywhere
/// in the names (a full scan, for the middle of a double-barrelled name), and then for
/// names that sound alike.
pub async fn search(db: &Db, q: &str) -> Result<Vec<FamilySummary>, AppError> {
    let q = q.trim();
    if q.is_empty() {
        return Ok(Vec::new());
    }
    // As the date widgets show a date here (04/12/1996), or as the API writes one.
    let date = NaiveDate::parse_from_str(q, "%m/%d/%Y").or_else(|_| NaiveDate::parse_from_str(q, "%Y-%m-%d"));
    if let Ok(d) = date {
        // The caregiver's or a baby's birth date (both indexed).
        let babies = Query::select()
            .column(infant::Column::FamilyId)
            .from(infant::Entity)
            .and_where(infant::Column::DateOfBirth.eq(d))
            .to_owned();
        let cond = Condition::any().add(family::Column::DateOfBirth.eq(d)).add(family::Column::Id.in_subquery(babies));
        return found(db, cond).await;
    }
    // The end of a phone number: its last 4 or 7 digits.
    let only_digits: String = q.chars().filter(|c| c.is_ascii_digit()).collect();
    let punctuation_only = q.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '.'));
    if punctuation_only && only_digits.len() == 4 {
        return found(db, Condition::all().add(family::Column::PhoneLast4.eq(only_digits))).await;
    }
    if punctuation_only && only_digits.len() == 7 {
        let cond = Condition::any()
            .add(family::Column::PhoneLast7.eq(only_digits.clone()))
            .add(family::Column::PhoneDigits.eq(only_digits));
        return found(db, cond).await;
    }
    if let Some(digits) = phone_digits(q) {
        return found(db, Condition::all().add(family::Column::PhoneDigits.eq(digits))).await;
    }
    let words: Vec<String> = q.split_whitespace().take(4).map(search_key).collect();
    let mut by_prefix = Condition::all();
    for word in &words {
        by_prefix = by_prefix.add(
            Condition::any()
                .add(starts(family::Column::SearchLast, word))
                .add(starts(family::Column::SearchFirst, word)),
        );
    }
    // The baby's name: the first word starts a baby's name, any other word the caregiver's
    // ("Mateo", "Mateo Hernández"). Babies are named on few records, so the index range
    // is short. NOTE: both searches go as one statement (a union of the two, each planned
    // on its own indexes): as two, a search cost PostgreSQL one more round trip, which the
    // load run's check-in figure showed.
    let mut by_baby = Condition::all();
    if let Some((first, rest)) = words.split_first() {
        let babies = Query::select()
            .column(infant::Column::FamilyId)
            .from(infant::Entity)
            .cond_where(starts(infant::Column::SearchName, first))
            .limit(50)
            .to_owned();
        by_baby = by_baby.add(family::Column::Id.in_subquery(babies));
        for word in rest {
            by_baby = by_baby.add(
                Condition::any()
                    .add(starts(family::Column::SearchLast, word))
                    .add(starts(family::Column::SearchFirst, word)),
            );
        }
    }
    let mut hits = found_either(db, by_prefix, by_baby).await?;
    hits.sort_by(|a, b| (&a.last_name, &a.first_name, a.id).cmp(&(&b.last_name, &b.first_name, b.id)));
    hits.dedup_by_key(|h| h.id);
    hits.truncate(50);
    if !hits.is_empty() {
        return Ok(hits);
    }
    let mut anywhere = Condition::any();
    for word in &words {
        let pattern = format!("%{}%", word.replace(['%', '_'], ""));
        anywhere = anywhere.add(family::Column::SearchLast.like(pattern.clone()));
        anywhere = anywhere.add(family::Column::SearchFirst.like(pattern));
    }
    let hits = found(db, anywhere).await?;
    if !hits.is_empty() {
        return Ok(hits);
    }
    // Last, names that sound like every word ("Hernandes" finds "Hernández").
    let mut sounds = Condition::all();
    for word in &words {
        let Some(key) = sound_key(word) else { continue };
        sounds = sounds.add(
            Condition::any().add(family::Column::SoundLast.eq(key.clone())).add(family::Column::SoundFirst.eq(key)),
        );
    }
    if sounds.is_empty() {
        return Ok(Vec::new());
    }
    found(db, sounds).await
}

/// A folded name column starting with a folded word (an index range).
fn starts(c: impl ColumnTrait, word: &str) -> Condition {
    match prefix_end(word) {
        Some(end) => Condition::all().add(c.gte(word)).add(c.lt(end)),
        None => Condition::all().add(c.gte(word)),
    }
}

/// The first 50 families (by name) that meet one condition and the first 50 that meet the
/// other, in one statement: each half is the statement `found` would send, and the two
/// are read as a union (on SQLite on the request's own thread when it can).
async fn found_either(db: &Db, a: Condition, b: Condition) -> Result<Vec<FamilySummary>, AppError> {
    let half = |cond: Condition| {
        family::Entity::find()
            .filter(cond)
            .filter(family::Column::MergedIntoId.is_null())
            .order_by_asc(family::Column::LastName)
            .order_by_asc(family::Column::FirstName)
            .limit(50)
            .into_query()
    };
    let either = Query::select()
        .column(sea_orm::sea_query::Asterisk)
        .from_subquery(half(a), sea_orm::sea_query::Alias::new("a"))
        .union(
            sea_orm::sea_query::UnionType::Distinct,
            Query::select()
                .column(sea_orm::sea_query::Asterisk)
                .from_subquery(half(b), sea_orm::sea_query::Alias::new("b"))
                .to_owned(),
        )
        .to_owned();
    let backend = db.get_database_backend();
    let stmt = backend.build(&either);
    let rows = match inline_read::try_rows::<family::Model>(db, &stmt) {
        Some(rows) => rows,
        None => family::Model::find_by_statement(stmt).all(db).await?,
    };
    Ok(rows.into_iter().map(FamilySummary::from).collect())
}

/// The first 50 families that meet a condition, by name (on SQLite read on the request's
/// own thread when it can, decision 0016).
async fn found(db: &Db, cond: Condition) -> Result<Vec<FamilySummary>, AppError> {
    let select = family::Entity::find()
        .filter(cond)
        .filter(family::Column::MergedIntoId.is_null())
        .order_by_asc(family::Column::LastName)
        .order_by_asc(family::Column::FirstName)
        .limit(50);
    Ok(inline_read::all(db, select).await?.into_iter().map(FamilySummary::from).collect())
}

/// The record a family lives in now: itself, or the record it was merged into (a merge
/// leaves a tombstone naming the other record; at most a few in a row).
pub async fn live_id(db: &impl ConnectionTrait, id: i64) -> Result<i64, AppError> {
    let mut id = id;
    for _ in 0..8 {
        match get(db, id).await?.merged_into_id {
            Some(next) => id = next,
            None => return Ok(id),
        }
    }
    Err(AppError::NotFound)
}

/// A family row, or 404.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<family::Model, AppError> {
    family::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

/// A family's infants, oldest record first.
pub async fn infants(db: &impl ConnectionTrait, family_id: i64) -> Result<Vec<infant::Model>, AppError> {
    Ok(infant::Entity::find()
        .filter(infant::Column::FamilyId.eq(family_id))
        .order_by_asc(infant::Column::Id)
        .all(db)
        .await?)
}

/// Whether the infant has a handout that was not voided.
pub async fn infant_has_crib(db: &impl ConnectionTrait, infant_id: i64) -> Result<bool, AppError> {
    Ok(handout::Entity::find()
        .filter(handout::Column::InfantId.eq(infant_id))
        .filter(handout::Column::VoidedAt.is_null())
        .count(db)
        .await?
        > 0)
}

/// The family's enrollments as a list.
pub fn enrollments(f: &family::Model) -> Vec<String> {
    f.enrollments.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect()
}

/// What the rules need to know about the family.
pub fn family_snapshot(f: &family::Model) -> FamilySnapshot {
    FamilySnapshot {
        lives_in_city: f.neighborhood_id.is_some(),
        household_size: u32::try_from(f.household_size).unwrap_or(1),
        annual_income: f.annual_income_cents.map(cents_to_decimal),
        enrollments: enrollments(f),
        has_safe_sleep_space: f.has_safe_sleep_space,
    }
}

/// What the rules need to know about the infant.
pub fn infant_snapshot(i: &infant::Model, already_received: bool) -> InfantSnapshot {
    InfantSnapshot {
        date_of_birth: i.date_of_birth,
        expected_due_date: i.expected_due_date,
        weight_lb: i.weight_lb.as_deref().and_then(|w| Decimal::from_str(w).ok()),
        already_received,
    }
}

/// Whether the infant has an open hospital request.
pub async fn referral_open_for_infant(db: &impl ConnectionTrait, infant_id: i64) -> Result<bool, AppError> {
    Ok(crate::entity::referral::Entity::find()
        .filter(crate::entity::referral::Column::InfantId.eq(infant_id))
        .filter(crate::entity::referral::Column::Status.is_in(ReferralStatus::OPEN.map(ReferralStatus::as_str)))
        .count(db)
        .await?
        > 0)
}
