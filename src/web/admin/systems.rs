//! The Hospital systems page (administrators, issue 22): `GET /admin/systems` lists the
//! registered systems and has the form to register one (its name, its hospital, its public
//! key set pasted in, the scopes it may have); `POST /admin/systems` registers,
//! `POST /admin/systems/<id>/revoke` revokes. The rules and audit rows are
//! `store::fhir_clients`'; this face parses the form and renders.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageAdmin};
use crate::db::Db;
use crate::error::{AppError, FieldErrors};
use crate::store::audit::Caller;
use crate::store::fhir_clients::{self, NewClient};
use crate::store::users;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::fields::TokenOnly;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The scopes a new registration starts with: what a hospital's system needs to send
/// requests, follow them and cancel them.
pub const DEFAULT_SCOPES: &str =
    "system/ServiceRequest.crs system/Task.rus system/Patient.rs system/RelatedPerson.rs system/Procedure.rs";

/// The registration form.
#[derive(FromForm, Default)]
pub struct SystemForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub name: String,
    #[field(default = String::new())]
    pub hospital_site_id: String,
    #[field(default = String::new())]
    pub jwks: String,
    #[field(default = String::new())]
    pub scopes: String,
}

async fn list_page(
    admin: &PageAdmin,
    db: &Db,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    typed: Option<&SystemForm>,
    errors: FieldErrors,
) -> PageResult<Template> {
    let systems = fhir_clients::list(db, &admin.0).await?;
    let systems: Vec<_> = systems
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id, "client_id": s.client_id, "name": s.name, "hospital": s.hospital_name,
                "scopes": s.scopes, "keys": s.key_ids.join(", "),
                "registered": crate::clock::local_date_time(s.created_at),
                "revoked": s.revoked_at.map(crate::clock::local_date_time),
                "revoke_token": FormToken::fresh(),
            })
        })
        .collect();
    let hospitals: Vec<_> =
        users::hospitals(db).await?.into_iter().map(|h| json!({"id": h.id.to_string(), "name": h.name})).collect();
    let form = json!({
        "name": typed.map_or("", |f| f.name.as_str()),
        "hospital_site_id": typed.map_or("", |f| f.hospital_site_id.as_str()),
        "jwks": typed.map_or("", |f| f.jwks.as_str()),
        "scopes": typed.map_or(DEFAULT_SCOPES, |f| f.scopes.as_str()),
    });
    let token = typed.map_or_else(|| FormToken::fresh().to_string(), |f| f.form_token.or_fresh());
    let extra =
        json!({"systems": systems, "hospitals": hospitals, "form": form, "errors": errors, "form_token": token});
    Ok(Template::render("admin/systems", page("Hospital systems", Some(&admin.0), cookies, flash, extra)))
}

/// The registered systems and the form to register one.
#[get("/admin/systems")]
pub async fn list(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    list_page(&admin, db.inner(), cookies, flash, None, FieldErrors::new()).await
}

/// Register a system; on a problem, the page again with what was pasted and why.
#[post("/admin/systems", data = "<form>")]
pub async fn register(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<SystemForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let db = db.inner();
    let mut errors = FieldErrors::new();
    let hospital = form.hospital_site_id.trim().parse::<i64>().ok();
    if hospital.is_none() {
        errors.insert("hospital_site_id".into(), vec!["Choose the hospital whose system this is.".into()]);
    }
    let jwks = serde_json::from_str::<serde_json::Value>(form.jwks.trim());
    if jwks.is_err() {
        errors.insert(
            "jwks".into(),
            vec!["Paste the system's public key set as JSON, starting with {\"keys\": [".into()],
        );
    }
    let (Some(hospital), Ok(jwks), true) = (hospital, jwks, errors.is_empty()) else {
        let page = list_page(&admin, db, cookies, None, Some(&form), errors).await?;
        return Ok(Either::Right((Status::UnprocessableEntity, page)));
    };
    let new = NewClient { name: form.name.clone(), hospital_site_id: hospital, jwks, scopes: form.scopes.clone() };
    let body = serde_json::to_value(&new).map_err(|e| AppError::Internal(e.to_string()))?;
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), "POST /admin/systems", &body);
    match fhir_clients::register_once(db, Caller { who: &admin.0, ip: &addr.0 }, mode, &new).await {
        Ok(ran) => {
            let c = ran.value;
            let message = format!(
                "Registered {} for {}. Give its client id to the hospital's integration team: {}",
                c.name, c.hospital_name, c.client_id
            );
            Ok(Either::Left(Flash::success(Redirect::to("/admin/systems"), message)))
        }
        Err(AppError::Validation(errors)) => {
            let page = list_page(&admin, db, cookies, None, Some(&form), errors).await?;
            Ok(Either::Right((Status::UnprocessableEntity, page)))
        }
        Err(e) => Err(e.into()),
    }
}

/// Revoke a system: its tokens stop at once.
#[post("/admin/systems/<id>/revoke", data = "<form>")]
pub async fn revoke(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<TokenOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let route = format!("POST /admin/systems/{id}/revoke");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &serde_json::Value::Null);
    let back = Redirect::to("/admin/systems");
    match fhir_clients::revoke_once(db.inner(), Caller { who: &admin.0, ip: &addr.0 }, mode, id).await {
        Ok(ran) => Ok(Flash::success(back, format!("Revoked {}: its tokens no longer work.", ran.value.name))),
        Err(e @ AppError::Conflict(_)) => Ok(Flash::error(back, e.sentence())),
        Err(e) => Err(e.into()),
    }
}
