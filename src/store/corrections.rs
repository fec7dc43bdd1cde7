//! Correcting the record (issue 19): the family's own fields, a baby's name, dates and
//! weight (recording a birth), and adding a baby to the family. Each is one write with a
//! version row (who, when, why, the changed fields before and after: `family_versions`) and
//! an audit row. What already happened is never rewritten: a handout keeps the
//! neighborhood it was given in, a stored check keeps its inputs (the family page flags a
//! check whose facts were corrected since, `family_view`). A correction that changes facts a
//! stored check used is refused until it is sent again with `confirm_past_decisions`, so
//! nobody changes a past decision's basis without being told. Possible same babies on
//! other records are looked for again after each (`infant_matches::detect`).

use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::checkin::{name_key, search_key};
use crate::domain::family::{parse_family_fields, parse_infant, FamilyInput, InfantInput, NewFamily};
use crate::domain::money::cents_to_decimal;
use crate::entity::{eligibility_check, family, family_version, infant, user};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::families::{self, ensure_visible, neighborhood_exists};
use crate::store::infant_matches;
use crate::store::write::{self, Mode, Ran};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// The shortest and longest reason for a correction.
pub const REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=500;

fn reason_of(reason: &str) -> Result<String, AppError> {
    let r = reason.trim();
    if REASON_CHARS.contains(&r.chars().count()) {
        Ok(r.to_string())
    } else {
        Err(AppError::validation("reason", "Say in a few words why (3 to 500 characters), e.g. \"phone typed wrong\"."))
    }
}

/// A change of some fields: `{field: value}` before and after (only the changed ones).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Change {
    #[schema(value_type = Object)]
    pub before: Map<String, Value>,
    #[schema(value_type = Object)]
    pub after: Map<String, Value>,
}

impl Change {
    fn note(&mut self, field: &str, before: Value, after: Value) {
        if before != after {
            self.before.insert(field.into(), before);
            self.after.insert(field.into(), after);
        }
    }
    fn is_empty(&self) -> bool {
        self.after.is_empty()
    }
    fn fields(&self) -> String {
        self.after.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

/// The family's own fields as the API's `FamilyInput` (what a correction is merged over).
fn input_of(f: &family::Model) -> Value {
    json!({
        "caregiver": {"first_name": f.first_name, "last_name": f.last_name,
            "date_of_birth": f.date_of_birth.map(|d| d.to_string()), "phone": f.phone},
        "address": {"line1": f.address_line1, "city": f.city, "state": f.state, "zip": f.zip,
            "neighborhood_id": f.neighborhood_id},
        "household_size": f.household_size,
        "annual_income": f.annual_income_cents.map(|c| cents_to_decimal(c).to_string()),
        "enrollments": families::enrollments(f),
        "has_safe_sleep_space": f.has_safe_sleep_space,
        "race_ethnicity": f.race_ethnicity,
        "preferred_language": f.preferred_language,
    })
}

/// The fields of a merge's surviving record to take from the other record (`caregiver.phone`,
/// `household_size` …, as `Change` names them), as a correction's fields.
pub fn fields_from(other: &family::Model, names: &[String]) -> Result<Map<String, Value>, AppError> {
    let all = input_of(other);
    let mut out = Map::new();
    for name in names {
        let (top, inner) = match name.split_once('.') {
            Some((t, i)) => (t, Some(i)),
            None => (name.as_str(), None),
        };
        if !FAMILY_FIELDS.contains(&top) {
            return Err(AppError::validation("use_other", format!("\"{name}\" is not a field of a family's record.")));
        }
        match inner {
            None => {
                out.insert(top.into(), all[top].clone());
            }
            Some(i) => {
                let value = all[top].get(i).cloned().ok_or_else(|| {
                    AppError::validation("use_other", format!("\"{name}\" is not a field of a family's record."))
                })?;
                let slot = out.entry(top.to_string()).or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(m) = slot {
                    m.insert(i.to_string(), value);
                }
            }
        }
    }
    Ok(out)
}

/// The fields a family correction may carry (besides `reason` and `confirm_past_decisions`).
const FAMILY_FIELDS: [&str; 8] = [
    "caregiver",
    "address",
    "household_size",
    "annual_income",
    "enrollments",
    "has_safe_sleep_space",
    "race_ethnicity",
    "preferred_language",
];

/// Merge a correction over the current input: objects field by field, anything else whole.
fn merged(mut current: Value, patch: &Map<String, Value>) -> Result<Value, AppError> {
    for (k, v) in patch {
        if !FAMILY_FIELDS.contains(&k.as_str()) {
            return Err(AppError::validation(k, format!("\"{k}\" is not a field a correction can change.")));
        }
        match (current.get_mut(k), v) {
            (Some(Value::Object(cur)), Value::Object(new)) => {
                for (nk, nv) in new {
                    cur.insert(nk.clone(), nv.clone());
                }
            }
            _ => {
                current[k] = v.clone();
            }
        }
    }
    Ok(current)
}

fn what_changed(f: &family::Model, n: &NewFamily) -> Change {
    let mut c = Change::default();
    c.note("caregiver.first_name", json!(f.first_name), json!(n.first_name));
    c.note("caregiver.last_name", json!(f.last_name), json!(n.last_name));
    c.note("caregiver.date_of_birth", json!(f.date_of_birth), json!(n.date_of_birth));
    c.note("caregiver.phone", json!(f.phone), json!(n.phone));
    c.note("address.line1", json!(f.address_line1), json!(n.address_line1));
    c.note("address.city", json!(f.city), json!(n.city));
    c.note("address.state", json!(f.state), json!(n.state));
    c.note("address.zip", json!(f.zip), json!(n.zip));
    c.note("address.neighborhood_id", json!(f.neighborhood_id), json!(n.neighborhood_id));
    c.note("household_size", json!(f.household_size), json!(n.household_size));
    let money = |c: Option<i64>| json!(c.map(|c| cents_to_decimal(c).to_string()));
    c.note("annual_income", money(f.annual_income_cents), money(n.annual_income_cents));
    c.note("enrollments", json!(families::enrollments(f)), json!(n.enrollments));
    c.note("has_safe_sleep_space", json!(f.has_safe_sleep_space), json!(n.has_safe_sleep_space));
    c.note("race_ethnicity", json!(f.race_ethnicity), json!(n.race_ethnicity));
    c.note("preferred_language", json!(f.preferred_language), json!(n.preferred_language));
    c
}

/// Facts the eligibility rules read (`FamilySnapshot`): changing them changes the basis of a
/// stored check.
const DECISION_FIELDS: [&str; 6] = [
    "address.neighborhood_id",
    "household_size",
    "annual_income",
    "enrollments",
    "has_safe_sleep_space",
    "caregiver.date_of_birth",
];

/// Correct a family's own fields (staff with the record open to them, managers): `patch`
/// has the fields of `POST /api/v1/families` to change (`infants` excluded), `reason`, and
/// `confirm_past_decisions` when it changes what a stored check used. Audited as
/// `family.correct`.
pub async fn correct_family_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    patch: &Map<String, Value>,
) -> Result<Ran<Change>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let family_id = families::live_id(db, family_id).await?;
    ensure_visible(db, by.who, family_id).await?;
    let reason = reason_of(patch.get("reason").and_then(Value::as_str).unwrap_or(""))?;
    let confirmed = patch.get("confirm_past_decisions").and_then(Value::as_bool).unwrap_or(false);
    let mut fields = patch.clone();
    fields.remove("reason");
    fields.remove("confirm_past_decisions");
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = correct_family(&txn, by, family_id, &fields, &reason, confirmed).await;
        (txn, r)
    })
    .await
}

pub(crate) async fn correct_family(
    db: &impl ConnectionTrait,
    by: Caller<'_>,
    family_id: i64,
    fields: &Map<String, Value>,
    reason: &str,
    confirmed: bool,
) -> Result<Change, AppError> {
    let f = families::get(db, family_id).await?;
    let input: FamilyInput = serde_json::from_value(merged(input_of(&f), fields)?)
        .map_err(|e| AppError::BadRequest(format!("The correction could not be read: {e}")))?;
    let n = parse_family_fields(&input, crate::clock::today()).map_err(AppError::invalid)?;
    if let Some(h) = n.neighborhood_id {
        neighborhood_exists(db, h).await?;
    }
    let change = what_changed(&f, &n);
    if change.is_empty() {
        return Err(AppError::validation("reason", "These are the details already on record: nothing to change."));
    }
    let touches: Vec<&str> = DECISION_FIELDS.iter().copied().filter(|k| change.after.contains_key(*k)).collect();
    if !touches.is_empty() && !confirmed {
        let checks = eligibility_check::Entity::find()
            .filter(eligibility_check::Column::FamilyId.eq(family_id))
            .count(db)
            .await?;
        if checks > 0 {
            return Err(AppError::Conflict(format!(
                "This changes facts that {checks} stored eligibility check(s) used ({}). Those checks stay as they \
                 were and say so on the family page; a new check uses the new facts. Send it again confirmed to save.",
                touches.join(", ")
            )));
        }
    }
    family::Entity::update_many()
        .col_expr(family::Column::FirstName, Expr::value(n.first_name.clone()))
        .col_expr(family::Column::LastName, Expr::value(n.last_name.clone()))
        .col_expr(family::Column::SearchFirst, Expr::value(search_key(&n.first_name)))
        .col_expr(family::Column::SearchLast, Expr::value(search_key(&n.last_name)))
        .col_expr(family::Column::SoundFirst, Expr::value(crate::domain::checkin::sound_key(&n.first_name)))
        .col_expr(family::Column::SoundLast, Expr::value(crate::domain::checkin::sound_key(&n.last_name)))
        .col_expr(family::Column::DateOfBirth, Expr::value(n.date_of_birth))
        .col_expr(family::Column::Phone, Expr::value(n.phone.clone()))
        .col_expr(family::Column::PhoneDigits, Expr::value(n.phone_digits.clone()))
        .col_expr(
            family::Column::PhoneLast4,
            Expr::value(crate::domain::family::phone_tail(n.phone_digits.as_deref(), 4)),
        )
        .col_expr(
            family::Column::PhoneLast7,
            Expr::value(crate::domain::family::phone_tail(n.phone_digits.as_deref(), 7)),
        )
        .col_expr(family::Column::PreferredLanguage, Expr::value(n.preferred_language.clone()))
        .col_expr(family::Column::AddressLine1, Expr::value(n.address_line1.clone()))
        .col_expr(family::Column::City, Expr::value(n.city.clone()))
        .col_expr(family::Column::State, Expr::value(n.state.clone()))
        .col_expr(family::Column::Zip, Expr::value(n.zip.clone()))
        .col_expr(family::Column::NeighborhoodId, Expr::value(n.neighborhood_id))
        .col_expr(family::Column::HouseholdSize, Expr::value(n.household_size))
        .col_expr(family::Column::AnnualIncomeCents, Expr::value(n.annual_income_cents))
        .col_expr(family::Column::Enrollments, Expr::value(n.enrollments.join(",")))
        .col_expr(family::Column::HasSafeSleepSpace, Expr::value(n.has_safe_sleep_space))
        .col_expr(family::Column::RaceEthnicity, Expr::value(n.race_ethnicity.clone()))
        .filter(family::Column::Id.eq(family_id))
        .exec(db)
        .await?;
    version(db, by.who, family_id, None, "family.correct", reason, &change).await?;
    infant_matches::detect(db, family_id).await?;
    Ok(change)
}

/// Keep one version (and its audit row).
async fn version(
    db: &impl ConnectionTrait,
    who: &Actor,
    family_id: i64,
    infant_id: Option<i64>,
    action: &str,
    reason: &str,
    change: &Change,
) -> Result<(), AppError> {
    family_version::ActiveModel {
        family_id: Set(family_id),
        infant_id: Set(infant_id),
        user_id: Set(who.id),
        action: Set(action.into()),
        reason: Set(reason.into()),
        before_json: Set(Value::Object(change.before.clone()).to_string()),
        after_json: Set(Value::Object(change.after.clone()).to_string()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let detail = Some(format!("{}: {reason}", change.fields()));
    let (entity, entity_id) = match infant_id {
        Some(i) => ("infant", i),
        None => ("family", family_id),
    };
    audit::record(db, Some(who), None, AuditEntry { action, entity, entity_id: Some(entity_id), detail }).await?;
    Ok(())
}

/// A baby's fields as a correction or an addition sends them (with `reason`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InfantChange {
    pub reason: Option<String>,
    pub name: Option<String>,
    pub date_of_birth: Option<String>,
    pub expected_due_date: Option<String>,
    #[schema(value_type = Option<String>)]
    pub weight_lb: Option<Value>,
    /// Save although it changes the dates or weight a stored check used.
    #[serde(default)]
    pub confirm_past_decisions: bool,
}

fn infant_values(i: &infant::Model) -> [(&'static str, Value); 4] {
    [
        ("name", json!(i.name)),
        ("date_of_birth", json!(i.date_of_birth)),
        ("expected_due_date", json!(i.expected_due_date)),
        ("weight_lb", json!(i.weight_lb)),
    ]
}

/// Correct a baby, or record its birth (a baby registered by due date gets its date of
/// birth: the due date then stays only in the history). Audited as `infant.correct`.
pub async fn correct_infant_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    infant_id: i64,
    c: &InfantChange,
) -> Result<Ran<Change>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let baby = infant::Entity::find_by_id(infant_id).one(db).await?.ok_or(AppError::NotFound)?;
    ensure_visible(db, by.who, baby.family_id).await?;
    let reason = reason_of(c.reason.as_deref().unwrap_or(""))?;
    let keep = |typed: &Option<String>, was: Option<String>| typed.clone().or(was);
    let born = c.date_of_birth.as_deref().is_some_and(|d| !d.trim().is_empty());
    let input = InfantInput {
        name: keep(&c.name, baby.name.clone()),
        date_of_birth: keep(&c.date_of_birth, baby.date_of_birth.map(|d| d.to_string())),
        // A birth replaces the due date (kept in the history).
        expected_due_date: if born && c.expected_due_date.is_none() {
            None
        } else {
            keep(&c.expected_due_date, baby.expected_due_date.map(|d| d.to_string()))
        },
        weight_lb: c.weight_lb.clone().or_else(|| baby.weight_lb.clone().map(Value::String)),
    };
    let mut problems = Vec::new();
    let parsed = parse_infant(&mut problems, 0, &input, crate::clock::today());
    let n = parsed.ok_or_else(|| {
        AppError::invalid(problems.into_iter().map(|(k, m)| (k.replace("infants[0].", ""), m)).collect())
    })?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = async {
            let mut change = Change::default();
            let now = [
                ("name", json!(n.name)),
                ("date_of_birth", json!(n.date_of_birth)),
                ("expected_due_date", json!(n.expected_due_date)),
                ("weight_lb", json!(n.weight_lb.map(|w| w.to_string()))),
            ];
            for ((k, before), (_, after)) in infant_values(&baby).into_iter().zip(now) {
                change.note(k, before, after);
            }
            if change.is_empty() {
                return Err(AppError::validation(
                    "reason",
                    "These are the details already on record: nothing to change.",
                ));
            }
            let dates_or_weight =
                ["date_of_birth", "expected_due_date", "weight_lb"].iter().any(|k| change.after.contains_key(*k));
            if dates_or_weight && !c.confirm_past_decisions {
                let checks = eligibility_check::Entity::find()
                    .filter(eligibility_check::Column::InfantId.eq(infant_id))
                    .count(&txn)
                    .await?;
                if checks > 0 {
                    return Err(AppError::Conflict(format!(
                        "This changes the dates or weight that {checks} stored eligibility check(s) of this baby used. \
                         Those checks stay as they were and say so on the family page; a new check uses the new facts. \
                         Send it again confirmed to save."
                    )));
                }
            }
            infant::Entity::update_many()
                .col_expr(infant::Column::Name, Expr::value(n.name.clone()))
                .col_expr(infant::Column::SearchName, Expr::value(name_key(n.name.as_deref())))
                .col_expr(infant::Column::DateOfBirth, Expr::value(n.date_of_birth))
                .col_expr(infant::Column::ExpectedDueDate, Expr::value(n.expected_due_date))
                .col_expr(infant::Column::WeightLb, Expr::value(n.weight_lb.map(|w| w.to_string())))
                .filter(infant::Column::Id.eq(infant_id))
                .exec(&txn)
                .await?;
            version(&txn, by.who, baby.family_id, Some(infant_id), "infant.correct", &reason, &change).await?;
            infant_matches::detect(&txn, baby.family_id).await?;
            Ok(change)
        }
        .await;
        (txn, r)
    })
    .await
}

/// A baby added to a family.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct InfantAdded {
    pub family_id: i64,
    pub infant_id: i64,
}

/// Add a baby to a family (a returning family's new baby). Audited as `infant.add`.
pub async fn add_infant_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    c: &InfantChange,
) -> Result<Ran<InfantAdded>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let family_id = families::live_id(db, family_id).await?;
    ensure_visible(db, by.who, family_id).await?;
    let reason = reason_of(c.reason.as_deref().unwrap_or("a new baby"))?;
    let input = InfantInput {
        name: c.name.clone(),
        date_of_birth: c.date_of_birth.clone(),
        expected_due_date: c.expected_due_date.clone(),
        weight_lb: c.weight_lb.clone(),
    };
    let mut problems = Vec::new();
    let parsed = parse_infant(&mut problems, 0, &input, crate::clock::today());
    let n = parsed.ok_or_else(|| {
        AppError::invalid(problems.into_iter().map(|(k, m)| (k.replace("infants[0].", ""), m)).collect())
    })?;
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let baby = infant::ActiveModel {
                family_id: Set(family_id),
                name: Set(n.name.clone()),
                search_name: Set(name_key(n.name.as_deref())),
                date_of_birth: Set(n.date_of_birth),
                expected_due_date: Set(n.expected_due_date),
                weight_lb: Set(n.weight_lb.map(|w| w.to_string())),
                created_at: Set(crate::clock::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let mut change = Change::default();
            for (k, v) in infant_values(&baby) {
                change.note(k, Value::Null, v);
            }
            version(&txn, by.who, family_id, Some(baby.id), "infant.add", &reason, &change).await?;
            infant_matches::detect(&txn, family_id).await?;
            Ok(InfantAdded { family_id, infant_id: baby.id })
        }
        .await;
        (txn, r)
    })
    .await
}

/// One version of the record, as its history shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VersionView {
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub by: String,
    pub action: String,
    pub infant_id: Option<i64>,
    pub reason: String,
    #[schema(value_type = Object)]
    pub before: Value,
    #[schema(value_type = Object)]
    pub after: Value,
}

/// The record's versions, newest first (staff in scope, managers); audited as a view.
pub async fn history(db: &Db, by: Caller<'_>, family_id: i64) -> Result<Vec<VersionView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    let family_id = families::live_id(db, family_id).await?;
    ensure_visible(db, by.who, family_id).await?;
    let rows = versions(db, family_id).await?;
    audit::families_shown(db, by, "history", [family_id]).await?;
    Ok(rows)
}

/// The versions of a record, newest first.
pub async fn versions(db: &impl ConnectionTrait, family_id: i64) -> Result<Vec<VersionView>, AppError> {
    let rows = family_version::Entity::find()
        .filter(family_version::Column::FamilyId.eq(family_id))
        .order_by_desc(family_version::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|v| v.user_id).collect();
    let names: std::collections::HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect();
    Ok(rows
        .into_iter()
        .map(|v| VersionView {
            id: v.id,
            at: v.created_at,
            by: names.get(&v.user_id).cloned().unwrap_or_default(),
            action: v.action,
            infant_id: v.infant_id,
            reason: v.reason,
            before: serde_json::from_str(&v.before_json).unwrap_or(Value::Null),
            after: serde_json::from_str(&v.after_json).unwrap_or(Value::Null),
        })
        .collect())
}
