//! The other resources of a request (issue 22): `GET /fhir/r4/Patient/<id>` (the baby, or
//! the mother before birth, as the hospital sent them), `GET /fhir/r4/RelatedPerson/<id>`
//! (the caregiver), `GET /fhir/r4/Procedure/<id>` (the hand-out, once there is one) and
//! `GET /fhir/r4/Procedure?based-on=&patient=`; all by the request's id, for those who may
//! read the request, each read audited like the request's.

use super::outcome::{FhirAnswer, FhirError};
use super::resources;
use super::search::{self as find, Params};
use crate::auth::guards::{ApiUser, ClientAddr};
use crate::db::Db;
use crate::domain::smart::Interaction;
use crate::entity::referral;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::referrals;
use rocket::http::Status;
use rocket::{get, State};

/// The request a read of any of its resources is about, as it is now: the token's scope
/// for `kind`, then the caller's (404 outside it), audited as a view of its family.
pub async fn request(
    db: &Db,
    user: &ApiUser,
    addr: &ClientAddr,
    kind: &str,
    id: i64,
) -> Result<referral::Model, FhirError> {
    super::require(&user.0, kind, Interaction::Read)?;
    Ok(referrals::read_one(db, Caller { who: &user.0, ip: &addr.0 }, id).await?)
}

/// The Patient of a request.
#[get("/Patient/<id>")]
pub async fn patient(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
) -> Result<FhirAnswer, FhirError> {
    let r = request(db.inner(), &user, &addr, "Patient", id).await?;
    Ok(FhirAnswer::versioned(Status::Ok, resources::patient(db.inner(), &r).await?, &r))
}

/// The caregiver of a request.
#[get("/RelatedPerson/<id>")]
pub async fn related_person(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
) -> Result<FhirAnswer, FhirError> {
    let r = request(db.inner(), &user, &addr, "RelatedPerson", id).await?;
    Ok(FhirAnswer::versioned(Status::Ok, resources::related_person(db.inner(), &r).await?, &r))
}

/// The hand-out that fulfilled a request (404 until there is one).
#[get("/Procedure/<id>")]
pub async fn procedure(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
) -> Result<FhirAnswer, FhirError> {
    let r = request(db.inner(), &user, &addr, "Procedure", id).await?;
    let p = resources::procedure(db.inner(), &r).await?.ok_or(AppError::NotFound)?;
    Ok(FhirAnswer::versioned(Status::Ok, p, &r))
}

/// Procedures by the request they fulfil (`based-on`) or its Patient (`patient`).
#[get("/Procedure?<params..>")]
pub async fn procedure_search(
    _json: super::JsonOnly,
    user: ApiUser,
    db: &State<Db>,
    mailer: &State<std::sync::Arc<crate::mail::Mailer>>,
    addr: ClientAddr,
    uri: super::RawQuery,
    params: Params<'_>,
) -> Result<FhirAnswer, FhirError> {
    let found = find::run(db.inner(), &user.0, &addr.0, "Procedure", &params).await?;
    let mut matches = Vec::new();
    for r in &found.rows {
        if let Some(p) = resources::procedure(db.inner(), r).await? {
            matches.push(p);
        }
    }
    let body = find::bundle(&mailer.public_url, "Procedure", uri.0.as_deref(), found.page(), matches, Vec::new());
    Ok(FhirAnswer::ok(body))
}
