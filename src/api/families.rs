//! Families and eligibility over the API: register, search, read (audited), stored checks
//! and previews. A JSON body becomes the same `NewFamily` a form does (`domain::family`).

use crate::api::answer::{run_write, Answer};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::api::openapi::ErrorBody;
use crate::auth::guards::{ApiUser, ClientAddr, Identity};
use crate::domain::family::{parse_family, FamilyInput};
use crate::domain::role::Role;
use crate::error::{ApiResult, AppError, FieldErrors};
use crate::store::audit::{self, AuditEntry};
use crate::store::eligibility::{self, CheckView};
use crate::store::families::{self, CreatedFamily, FamilySummary};
use crate::store::family_view;
use rocket::{get, post, State};
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Site staff, managers and admins work with families; nurses only through their requests.
pub fn require_family_worker(who: &Identity) -> Result<(), AppError> {
    match who.role {
        Role::Nurse => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// The site a staff member acts for by default (their first site).
pub fn home_site(who: &Identity) -> Option<i64> {
    who.site_ids.first().copied()
}

fn problems_to_error(p: Vec<(String, String)>) -> AppError {
    let mut fields = FieldErrors::new();
    for (f, m) in p {
        fields.entry(f).or_default().push(m);
    }
    AppError::Validation(fields)
}

/// Register a family with its infants.
#[utoipa::path(post, path = "/api/v1/families", tag = "families", request_body = FamilyInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = CreatedFamily), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 409, body = ErrorBody, description = "possible duplicates: resend with confirm_not_duplicate"),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families", data = "<body>")]
pub async fn create(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    body: Result<JsonBody<FamilyInput>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    require_family_worker(&who)?;
    let body = body?;
    let new = parse_family(&body.value, crate::clock::today()).map_err(problems_to_error)?;
    let confirm = body.value.confirm_not_duplicate;
    run_write(db.inner(), who.user.id, key.0, "POST /api/v1/families", &body.raw, |txn| async {
        let r = async {
            if !confirm {
                let dups = families::possible_duplicates(&txn, &new).await?;
                if !dups.is_empty() {
                    return Answer::with(
                        rocket::http::Status::Conflict,
                        &json!({"error": "conflict",
                            "message": "This family may already be registered. Check the possible duplicates; to register a different family, send again with confirm_not_duplicate: true.",
                            "duplicates": dups}),
                    );
                }
            }
            let created = families::create(&txn, &new, who.user.id, home_site(&who)).await?;
            audit::record(&txn, Some(&who), Some(&addr.0), AuditEntry { action: "family.create", entity: "family", entity_id: Some(created.id), detail: None }).await?;
            Answer::created(&created)
        }
        .await;
        (txn, r)
    })
    .await
}

/// Search families by name, phone or date of birth (caregiver's or baby's).
#[utoipa::path(get, path = "/api/v1/families", tag = "families",
    params(("q" = String, Query, description = "a name, a phone number, or a date YYYY-MM-DD")),
    responses((status = 200, body = [FamilySummary]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families?<q>")]
pub async fn search(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    q: Option<&str>,
) -> ApiResult<Answer> {
    let who = user.0;
    require_family_worker(&who)?;
    let q = q.unwrap_or("").trim();
    if q.chars().count() > 100 {
        return Err(AppError::validation("q", "Search with at most 100 characters."));
    }
    let found = families::search(db.inner(), q).await?;
    audit::record_alone(
        db.inner(),
        Some(&who),
        Some(&addr.0),
        AuditEntry {
            action: "family.search",
            entity: "family",
            entity_id: None,
            detail: Some(format!("{} results", found.len())),
        },
    )
    .await?;
    Answer::ok(&found)
}

/// A family with infants, checks, education and handouts (every view is audited).
#[utoipa::path(get, path = "/api/v1/families/{id}", tag = "families",
    params(("id" = i64, Path, description = "family id")),
    responses((status = 200, body = family_view::FamilyDetail), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/families/<id>")]
pub async fn detail(user: ApiUser, db: &State<DatabaseConnection>, addr: ClientAddr, id: i64) -> ApiResult<Answer> {
    let who = user.0;
    if !family_view::may_view(db.inner(), &who, id).await? {
        return Err(AppError::NotFound);
    }
    let view = family_view::detail(db.inner(), id).await?;
    audit::record_alone(
        db.inner(),
        Some(&who),
        Some(&addr.0),
        AuditEntry { action: "family.view", entity: "family", entity_id: Some(id), detail: None },
    )
    .await?;
    Answer::ok(&view)
}

/// Which infant to check.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Required when the family has more than one infant.
    pub infant_id: Option<i64>,
}

/// Run and store an eligibility check under the policy in force today.
#[utoipa::path(post, path = "/api/v1/families/{id}/eligibility-checks", tag = "eligibility", request_body = CheckRequest,
    params(("id" = i64, Path, description = "family id"), ("Idempotency-Key" = Option<String>, Header, description = "1..200 chars")),
    responses((status = 201, body = CheckView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/families/<id>/eligibility-checks", data = "<body>")]
pub async fn check(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    key: IdempotencyKey,
    id: i64,
    body: Result<JsonBody<CheckRequest>, AppError>,
) -> ApiResult<Answer> {
    let who = user.0;
    require_family_worker(&who)?;
    let body = body?;
    families::get(db.inner(), id).await?;
    let infants = families::infants(db.inner(), id).await?;
    let infant_id = match (body.value.infant_id, infants.as_slice()) {
        (Some(i), _) => i,
        (None, [only]) => only.id,
        (None, _) => {
            return Err(AppError::validation(
                "infant_id",
                "This family has more than one infant: say which one to check.",
            ))
        }
    };
    let route = format!("POST /api/v1/families/{id}/eligibility-checks");
    run_write(db.inner(), who.user.id, key.0, &route, &body.raw, |txn| async {
        let r = async {
            let view = eligibility::run_check(&txn, id, infant_id, crate::clock::today(), who.user.id, home_site(&who))
                .await?;
            audit::record(
                &txn,
                Some(&who),
                Some(&addr.0),
                AuditEntry {
                    action: "eligibility.check",
                    entity: "family",
                    entity_id: Some(id),
                    detail: Some(format!("infant {infant_id}: {}", view.result)),
                },
            )
            .await?;
            Answer::created(&view)
        }
        .await;
        (txn, r)
    })
    .await
}

/// The preview's answer: the check of the first infant.
#[derive(Serialize)]
struct PreviewAnswer {
    #[serde(flatten)]
    check: CheckView,
}

/// Evaluate a family's first infant without storing anything.
#[utoipa::path(post, path = "/api/v1/eligibility/preview", tag = "eligibility", request_body = FamilyInput,
    responses((status = 200, body = CheckView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/v1/eligibility/preview", data = "<body>")]
pub async fn preview(
    user: ApiUser,
    db: &State<DatabaseConnection>,
    body: Result<JsonBody<FamilyInput>, AppError>,
) -> ApiResult<Answer> {
    let _who = user.0;
    let body = body?;
    let today = crate::clock::today();
    let new = parse_family(&body.value, today).map_err(problems_to_error)?;
    let Some(first) = new.infants.first() else {
        return Err(AppError::validation("infants", "Add the baby: a date of birth or an expected due date."));
    };
    let family = crate::domain::eligibility::FamilySnapshot {
        lives_in_city: new.neighborhood_id.is_some(),
        household_size: u32::try_from(new.household_size).unwrap_or(1),
        annual_income: new.annual_income_cents.map(crate::domain::money::cents_to_decimal),
        enrollments: new.enrollments.clone(),
        has_safe_sleep_space: new.has_safe_sleep_space,
    };
    let infant = crate::domain::eligibility::InfantSnapshot {
        date_of_birth: first.date_of_birth,
        expected_due_date: first.expected_due_date,
        weight_lb: first.weight_lb,
        already_received: false,
    };
    let check = eligibility::preview(db.inner(), &family, &infant, today).await?;
    Answer::ok(&PreviewAnswer { check })
}
