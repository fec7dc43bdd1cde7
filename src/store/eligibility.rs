//! Eligibility checks: evaluate a family's infant under the policy in force on a date,
//! store the policy version, the input snapshot and every rule's result; re-run a stored
//! check from what was stored.

use crate::db::Db;
use crate::domain::eligibility::{evaluate, reasons, Evaluation, FamilySnapshot, InfantSnapshot, Reason, RuleResult};
use crate::domain::family::NewFamily;
use crate::domain::money::cents_to_decimal;
use crate::entity::eligibility_check;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::write::{self, Mode, Ran};
use crate::store::{families, policy};
use chrono::NaiveDate;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};

/// The policy a check used.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PolicyRef {
    pub id: i64,
    pub name: String,
    pub version: i32,
}

/// Run and store an eligibility check of one infant under the policy in force today (site
/// staff, managers), audited as `eligibility.check`. `infant_id` may be left out when the
/// family has one infant.
pub async fn check(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    family_id: i64,
    infant_id: Option<i64>,
    on: Option<NaiveDate>,
) -> Result<Ran<CheckView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    families::ensure_visible(db, by.who, family_id).await?;
    let today = crate::clock::today();
    let on = on.unwrap_or(today);
    if on > today || on < today - chrono::Duration::days(PAST_CHECK_DAYS) {
        return Err(AppError::validation(
            "on",
            format!(
                "A check can be for today or a day in the last {PAST_CHECK_DAYS} days (a hand-out entered from paper)."
            ),
        ));
    }
    families::get(db, family_id).await?;
    let infant_id = match infant_id {
        Some(i) => i,
        None => match families::infants(db, family_id).await?.as_slice() {
            [only] => only.id,
            _ => {
                return Err(AppError::validation(
                    "infant_id",
                    "This family has more than one infant: say which one to check.",
                ))
            }
        },
    };
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            let view = run_check(&txn, family_id, infant_id, on, by.who.id, by.who.home_site()).await?;
            let detail = Some(format!("infant {infant_id}: {}", view.result));
            let entry =
                AuditEntry { action: "eligibility.check", entity: "family", entity_id: Some(family_id), detail };
            audit::record(&txn, Some(by.who), Some(by.ip), entry).await?;
            Ok(view)
        }
        .await;
        (txn, r)
    })
    .await
}

/// Evaluate a new family's first infant without storing anything (the API's preview, the
/// nurse's request).
pub async fn preview_new(db: &impl ConnectionTrait, new: &NewFamily, on: NaiveDate) -> Result<CheckView, AppError> {
    let Some(first) = new.infants.first() else {
        return Err(AppError::validation("infants", "Add the baby: a date of birth or an expected due date."));
    };
    let family = FamilySnapshot {
        lives_in_city: new.neighborhood_id.is_some(),
        household_size: u32::try_from(new.household_size).unwrap_or(1),
        annual_income: new.annual_income_cents.map(cents_to_decimal),
        enrollments: new.enrollments.clone(),
        has_safe_sleep_space: new.has_safe_sleep_space,
    };
    let infant = InfantSnapshot {
        date_of_birth: first.date_of_birth,
        expected_due_date: first.expected_due_date,
        weight_lb: first.weight_lb,
        already_received: false,
    };
    preview(db, &family, &infant, on).await
}

/// How far back a check may be dated (for a hand-out entered from paper).
pub const PAST_CHECK_DAYS: i64 = 90;

/// The answer to a check (stored or preview), as API.md shapes it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infant_id: Option<i64>,
    /// `eligible` or `ineligible`.
    pub result: String,
    pub policy: PolicyRef,
    pub checked_on: NaiveDate,
    #[schema(value_type = Vec<Object>)]
    pub rules: Vec<RuleResult>,
    /// A stored check whose facts were corrected since (the family page flags it; a new
    /// check uses the new facts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_since: Option<String>,
}

/// What a stored check remembers of its inputs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredInputs {
    pub family: FamilySnapshot,
    pub infant: InfantSnapshot,
    pub policy_id: i64,
}

/// Evaluate without storing.
pub async fn preview(
    db: &impl ConnectionTrait,
    family: &FamilySnapshot,
    infant: &InfantSnapshot,
    on: NaiveDate,
) -> Result<CheckView, AppError> {
    let pv = policy::in_force(db, on).await?;
    let guidelines = policy::guidelines(db, &pv.params.poverty_region).await?;
    let ev = evaluate(family, infant, on, &pv.params, &guidelines);
    Ok(view(None, None, &pv.row, on, ev))
}

fn view(
    id: Option<i64>,
    infant_id: Option<i64>,
    p: &crate::entity::policy::Model,
    on: NaiveDate,
    ev: Evaluation,
) -> CheckView {
    CheckView {
        id,
        infant_id,
        result: ev.result.as_str().to_string(),
        policy: PolicyRef { id: p.id, name: p.name.clone(), version: p.version },
        checked_on: on,
        rules: ev.rules,
        corrected_since: None,
    }
}

/// Run and store a check for one infant of a family.
pub async fn run_check(
    db: &impl ConnectionTrait,
    family_id: i64,
    infant_id: i64,
    on: NaiveDate,
    by: i64,
    site_id: Option<i64>,
) -> Result<CheckView, AppError> {
    let fam = families::get(db, family_id).await?;
    let inf =
        families::infants(db, family_id).await?.into_iter().find(|i| i.id == infant_id).ok_or_else(|| {
            AppError::validation("infant_id", format!("This family has no infant with id {infant_id}."))
        })?;
    let received = families::infant_has_crib(db, inf.id).await?;
    let inputs = StoredInputs {
        family: families::family_snapshot(&fam),
        infant: families::infant_snapshot(&inf, received),
        policy_id: 0,
    };
    let pv = policy::in_force(db, on).await?;
    let guidelines = policy::guidelines(db, &pv.params.poverty_region).await?;
    let ev = evaluate(&inputs.family, &inputs.infant, on, &pv.params, &guidelines);
    let inputs = StoredInputs { policy_id: pv.row.id, ..inputs };
    let to_json = |v: &dyn erased::Json| v.json();
    let row = eligibility_check::ActiveModel {
        family_id: Set(family_id),
        infant_id: Set(infant_id),
        checked_on: Set(on),
        policy_id: Set(pv.row.id),
        result: Set(ev.result.as_str().to_string()),
        inputs_json: Set(to_json(&inputs)?),
        rules_json: Set(to_json(&ev.rules)?),
        site_id: Set(site_id),
        created_by: Set(Some(by)),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(view(Some(row.id), Some(infant_id), &pv.row, on, ev))
}

mod erased {
    //! Serialise any value to a JSON string as an `AppError`-returning call.
    use crate::error::AppError;
    pub trait Json {
        fn json(&self) -> Result<String, AppError>;
    }
    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> Result<String, AppError> {
            serde_json::to_string(self).map_err(|e| AppError::Internal(e.to_string()))
        }
    }
}

/// A stored check as the API shows it.
pub async fn stored_view(db: &impl ConnectionTrait, row: &eligibility_check::Model) -> Result<CheckView, AppError> {
    let pv = policy::by_id(db, row.policy_id).await?;
    let rules: Vec<RuleResult> =
        serde_json::from_str(&row.rules_json).map_err(|e| AppError::Internal(format!("stored rules: {e}")))?;
    Ok(CheckView {
        id: Some(row.id),
        infant_id: Some(row.infant_id),
        result: row.result.clone(),
        policy: PolicyRef { id: pv.row.id, name: pv.row.name, version: pv.row.version },
        checked_on: row.checked_on,
        rules,
        corrected_since: None,
    })
}

/// Why a stored check no longer matches the record (None: it does): the facts it used
/// about the family or the baby were corrected since.
pub fn corrected_since(
    row: &eligibility_check::Model,
    family: &FamilySnapshot,
    infant: Option<&InfantSnapshot>,
) -> Option<String> {
    let used: StoredInputs = serde_json::from_str(&row.inputs_json).ok()?;
    let mut what = Vec::new();
    if let Some(i) = infant {
        if used.infant.date_of_birth != i.date_of_birth || used.infant.expected_due_date != i.expected_due_date {
            what.push("a birth or due date");
        }
        if used.infant.weight_lb != i.weight_lb {
            what.push("the baby's weight");
        }
    }
    if used.family != *family {
        what.push("the family's details");
    }
    (!what.is_empty()).then(|| format!("This check used {} since corrected: run a new check.", what.join(" and ")))
}

/// Re-run a stored check from its stored inputs and policy: the same answer, always.
pub async fn rerun(db: &impl ConnectionTrait, row: &eligibility_check::Model) -> Result<Evaluation, AppError> {
    let inputs: StoredInputs =
        serde_json::from_str(&row.inputs_json).map_err(|e| AppError::Internal(format!("stored inputs: {e}")))?;
    let pv = policy::by_id(db, row.policy_id).await?;
    let guidelines = policy::guidelines(db, &pv.params.poverty_region).await?;
    Ok(evaluate(&inputs.family, &inputs.infant, row.checked_on, &pv.params, &guidelines))
}

/// Why a stored check came out as it did, rule by rule (`domain::eligibility::reasons`),
/// from its stored inputs and policy: the facts behind its stored sentences.
pub async fn reasons_of(db: &impl ConnectionTrait, row: &eligibility_check::Model) -> Result<Vec<Reason>, AppError> {
    let inputs: StoredInputs =
        serde_json::from_str(&row.inputs_json).map_err(|e| AppError::Internal(format!("stored inputs: {e}")))?;
    let pv = policy::by_id(db, row.policy_id).await?;
    let guidelines = policy::guidelines(db, &pv.params.poverty_region).await?;
    Ok(reasons(&inputs.family, &inputs.infant, row.checked_on, &pv.params, &guidelines))
}

/// What a family takes home when a crib cannot be handed out for one of its babies: the
/// latest check of the baby with its reasons, whether it is still recent enough, and
/// whether the baby already has a crib (`explanation`).
#[derive(Debug, Clone)]
pub struct Explanation {
    pub family: crate::entity::family::Model,
    pub infant: crate::entity::infant::Model,
    /// The baby's latest check with why each rule came out so; `None`: never checked.
    pub check: Option<(eligibility_check::Model, Vec<Reason>)>,
    /// The latest check passed but is older than the policy in force accepts.
    pub check_too_old: bool,
    /// A live handout for the baby (one crib per baby).
    pub already_received: bool,
}

/// The explanation of a refusal for one baby (staff and managers who may see the family;
/// the view is audited like every view of the record).
pub async fn explanation(db: &Db, by: Caller<'_>, family_id: i64, infant_id: i64) -> Result<Explanation, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    families::open_for(db, by, family_id, "refusal explanation").await?;
    let family = families::get(db, family_id).await?;
    let infant =
        families::infants(db, family_id).await?.into_iter().find(|i| i.id == infant_id).ok_or(AppError::NotFound)?;
    let latest = eligibility_check::Entity::find()
        .filter(eligibility_check::Column::InfantId.eq(infant_id))
        .order_by_desc(eligibility_check::Column::CreatedAt)
        .order_by_desc(eligibility_check::Column::Id)
        .one(db)
        .await?;
    let today = crate::clock::today();
    let valid_days = policy::in_force(db, today).await?.params.eligibility_valid_days;
    let check_too_old = latest.as_ref().is_some_and(|c| {
        c.result == "eligible" && c.checked_on < today - chrono::Duration::days(i64::from(valid_days))
    });
    let check = match latest {
        Some(row) => {
            let reasons = reasons_of(db, &row).await?;
            Some((row, reasons))
        }
        None => None,
    };
    let already_received = families::infant_has_crib(db, infant_id).await?;
    Ok(Explanation { family, infant, check, check_too_old, already_received })
}

/// A family's checks, newest first.
pub async fn for_family(db: &impl ConnectionTrait, family_id: i64) -> Result<Vec<eligibility_check::Model>, AppError> {
    Ok(eligibility_check::Entity::find()
        .filter(eligibility_check::Column::FamilyId.eq(family_id))
        .order_by_desc(eligibility_check::Column::CreatedAt)
        .order_by_desc(eligibility_check::Column::Id)
        .all(db)
        .await?)
}
