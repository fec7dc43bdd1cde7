//! ServiceRequests (issue 22): `POST /fhir/r4/ServiceRequest` (a nurse's token or her
//! hospital's system's, `system/ServiceRequest.c`) becomes a request; with
//! `If-None-Exist: identifier=system|value` a resend finds the request already made (200,
//! nothing written; 412 when several match). `GET /fhir/r4/ServiceRequest/<id>` reads it
//! back (also as `_history/<version>` for the current version), and
//! `GET /fhir/r4/ServiceRequest?…` searches (`super::search`). Income, household and
//! enrollments are not in FHIR and stay unknown until check-in.

use super::intake::{self, Intake, Others};
use super::outcome::{FhirAnswer, FhirError};
use super::resources;
use super::search::{self as find, Params};
use crate::api::body::{IdempotencyKey, JsonBody};
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::family::parse_family;
use crate::domain::referral::NewReferral;
use crate::domain::smart::Interaction;
use crate::entity::referral;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::referrals;
use crate::store::write::{Mode, WriteKey};
use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use rocket::{get, post, State};
use sea_orm::EntityTrait;
use serde_json::{json, Value};

pub use super::intake::{DUE_DATE_EXTENSION, NEIGHBORHOOD_EXTENSION};

/// The `If-None-Exist` header of a conditional create, if sent.
pub struct IfNoneExist(pub Option<String>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for IfNoneExist {
    type Error = ();

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, ()> {
        request::Outcome::Success(IfNoneExist(req.headers().get_one("If-None-Exist").map(str::to_string)))
    }
}

/// The requests a conditional create's query finds (`identifier=system|value`, the only
/// parameter it takes), within what the caller may see.
pub async fn existing(db: &Db, who: &Actor, query: &str) -> Result<Vec<i64>, FhirError> {
    let query = query.trim().trim_start_matches('?');
    let Some(ident) = query.strip_prefix("identifier=").filter(|v| !v.is_empty() && !v.contains('&')) else {
        return Err(FhirError::value(
            "If-None-Exist",
            "A conditional create takes one parameter: identifier=system|value (the identifier you gave the request).",
        ));
    };
    let ident = urlencoding_decode(ident);
    let (system, value) = match ident.split_once('|') {
        Some((s, v)) => (Some(s.to_string()), v.to_string()),
        None => (None, ident.clone()),
    };
    let ids =
        referrals::by_identifier(db, who.hospital_id(), system.as_deref().filter(|s| !s.is_empty()), &value).await?;
    Ok(ids)
}

/// Percent-decoding of a query value (`%7C` for `|`, `+` for a space), as Rocket decodes
/// its own query strings; a value that does not decode to UTF-8 is taken as sent.
fn urlencoding_decode(s: &str) -> String {
    rocket::http::RawStr::new(s).url_decode().map_or_else(|_| s.to_string(), |d| d.into_owned())
}

/// The request an intake describes, checked by the program's rules (422 naming the FHIR
/// element at fault).
pub fn to_new_referral(intake: Intake) -> Result<NewReferral, FhirError> {
    let today = crate::clock::today();
    let mut problems = Vec::new();
    let discharge_date = crate::domain::referral::check_discharge(&mut problems, intake.discharge.as_deref(), today);
    let parsed = parse_family(&intake.family, today);
    if let Err(p) = &parsed {
        problems.extend(p.iter().cloned());
    }
    match (parsed, discharge_date) {
        (Ok(family), Some(discharge_date)) if problems.is_empty() => Ok(NewReferral {
            family,
            discharge_date,
            education_given_in_hospital: false,
            preferred_site_id: None,
            home_delivery: false,
            note: intake.note,
            source: "fhir",
            sent_fhir: Some(intake.sent),
        }),
        _ => Err(FhirError {
            status: Status::UnprocessableEntity,
            issues: problems
                .iter()
                .map(|(f, m)| json!({"severity": "error", "code": "value", "diagnostics": m, "expression": [intake::map_field(f)]}))
                .collect(),
        }),
    }
}

/// Accept a ServiceRequest from a hospital (a nurse's or its system's token).
#[utoipa::path(post, path = "/fhir/r4/ServiceRequest", tag = "fhir", request_body(content = Object, content_type = "application/fhir+json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "1..200 chars"),
        ("If-None-Exist" = Option<String>, Header, description = "identifier=system|value: answer the request already made with it")),
    responses((status = 201, description = "the referral as a ServiceRequest; Location names it", content_type = "application/fhir+json"),
        (status = 200, description = "If-None-Exist found the request already made", content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 409, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 412, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 413, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 422, description = "OperationOutcome", content_type = "application/fhir+json")),
    security(("bearer" = [])))]
#[post("/ServiceRequest", data = "<body>")]
pub async fn create(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    key: IdempotencyKey,
    if_none_exist: IfNoneExist,
    body: Result<JsonBody<Value>, AppError>,
) -> Result<FhirAnswer, FhirError> {
    let who = user.0;
    super::require(&who, "ServiceRequest", Interaction::Create)?;
    if !who.may_request_cribs() {
        return Err(AppError::Forbidden.into());
    }
    let body = body?;
    if let Some(q) = &if_none_exist.0 {
        if let Some(found) = only_existing(db.inner(), &who, q).await? {
            return Ok(found);
        }
    }
    let intake = intake::read(&body.value, &Others::default(), None, crate::clock::today())?;
    let new = to_new_referral(intake)?;
    let mode = Mode::write(WriteKey::Api(key.0), "POST /fhir/r4/ServiceRequest", &body.raw);
    let ran = referrals::submit_once(db.inner(), Caller { who: &who, ip: &addr.0 }, mode, &new).await?;
    // NOTE: the resource is read after the write (a replay shows the request as it is now).
    let row = current(db.inner(), ran.value.id).await?;
    located(db.inner(), Status::Created, &row).await
}

/// A request as a ServiceRequest answered with `Location` naming its version.
async fn located(db: &Db, status: Status, r: &referral::Model) -> Result<FhirAnswer, FhirError> {
    let mut answer = FhirAnswer::versioned(status, resources::service_request(db, r).await?, r);
    answer.location = Some(format!("/fhir/r4/ServiceRequest/{}/_history/{}", r.id, r.version));
    Ok(answer)
}

/// The one request a conditional create's query (`If-None-Exist`, or a Bundle entry's
/// `ifNoneExist`: `named`) finds: None when none (create it), 412 when several.
pub async fn one_existing(
    db: &Db,
    who: &Actor,
    query: &str,
    named: &str,
) -> Result<Option<referral::Model>, FhirError> {
    let ids = existing(db, who, query).await?;
    match ids.as_slice() {
        [] => Ok(None),
        [id] => Ok(Some(current(db, *id).await?)),
        _ => Err(FhirError::precondition(&format!(
            "{} requests match {named}: name one identifier that only one request has.",
            ids.len()
        ))),
    }
}

/// A conditional create's answer when the request exists: 200 with it (one), 412 (several),
/// None (none: create it).
pub async fn only_existing(db: &Db, who: &Actor, query: &str) -> Result<Option<FhirAnswer>, FhirError> {
    match one_existing(db, who, query, &format!("If-None-Exist ({query})")).await? {
        Some(r) => Ok(Some(located(db, Status::Ok, &r).await?)),
        None => Ok(None),
    }
}

/// Read a request as a ServiceRequest (the nurses and system of its hospital, managers).
#[utoipa::path(get, path = "/fhir/r4/ServiceRequest/{id}", tag = "fhir",
    params(("id" = i64, Path, description = "referral id")),
    responses((status = 200, description = "ServiceRequest", content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome", content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome", content_type = "application/fhir+json")),
    security(("bearer" = [])))]
#[get("/ServiceRequest/<id>")]
pub async fn read(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
) -> Result<FhirAnswer, FhirError> {
    let r = super::reads::request(db.inner(), &user, &addr, "ServiceRequest", id).await?;
    Ok(FhirAnswer::versioned(Status::Ok, resources::service_request(db.inner(), &r).await?, &r))
}

/// A request's row as it is now (after a write, or found by its identifier).
pub async fn current(db: &Db, id: i64) -> Result<referral::Model, FhirError> {
    let r = referral::Entity::find_by_id(id).one(db).await.map_err(AppError::from)?;
    Ok(r.ok_or(AppError::NotFound)?)
}

/// A version of a request's resource: only the current one is kept (an older one answers
/// 404 saying so).
pub fn check_version(r: &referral::Model, version: &str) -> Result<(), FhirError> {
    if version == r.version.to_string() {
        Ok(())
    } else {
        Err(FhirError {
            status: Status::NotFound,
            issues: vec![json!({"severity": "error", "code": "not-found",
                "diagnostics": format!("Only the current version ({}) is kept; read it without _history.", r.version)})],
        })
    }
}

/// Read one version of a ServiceRequest (the current one).
#[get("/ServiceRequest/<id>/_history/<version>")]
pub async fn vread(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
    version: &str,
) -> Result<FhirAnswer, FhirError> {
    let r = super::reads::request(db.inner(), &user, &addr, "ServiceRequest", id).await?;
    check_version(&r, version)?;
    Ok(FhirAnswer::versioned(Status::Ok, resources::service_request(db.inner(), &r).await?, &r))
}

/// Search ServiceRequests (`_id`, `identifier`, `status`, `patient`, `_lastUpdated`,
/// `_count`; `_include=ServiceRequest:subject` adds the Patients).
#[get("/ServiceRequest?<params..>")]
pub async fn search(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    mailer: &State<std::sync::Arc<crate::mail::Mailer>>,
    addr: ClientAddr,
    uri: super::RawQuery,
    params: Params<'_>,
) -> Result<FhirAnswer, FhirError> {
    let found = find::run(db.inner(), &user.0, &addr.0, "ServiceRequest", &params).await?;
    let subjects = params.include.iter().any(|i| *i == "ServiceRequest:subject" || *i == "ServiceRequest:patient");
    let mut matches = Vec::new();
    let mut includes = Vec::new();
    for r in &found.rows {
        matches.push(resources::service_request(db.inner(), r).await?);
        if subjects {
            includes.push(resources::patient(db.inner(), r).await?);
        }
    }
    let body = find::bundle(&mailer.public_url, "ServiceRequest", uri.0.as_deref(), found.page(), matches, includes);
    Ok(FhirAnswer::ok(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_percent_decoded() {
        assert_eq!(urlencoding_decode("urn%3Aoid%3A1.2%7CORD-1"), "urn:oid:1.2|ORD-1");
        assert_eq!(urlencoding_decode("a|b"), "a|b");
        assert_eq!(urlencoding_decode("100%"), "100%");
        assert_eq!(urlencoding_decode("%zz"), "%zz");
    }
}
