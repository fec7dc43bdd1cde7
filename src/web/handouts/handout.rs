//! Handing out a crib from the family page: a form (site, model with what is available,
//! lot), a confirmation that names the infant and the site, then the write — once, whatever
//! the double clicks — and the receipt.

use super::errors_of;
use crate::api::answer::WriteKey;
use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, Identity, PageUser};
use crate::auth::token::random_token;
use crate::error::AppError;
use crate::store::handouts::HandoutCommand;
use crate::store::{families, family_view, reference};
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use rocket::form::{Form, FromForm};
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use sea_orm::DatabaseConnection;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The hand-out form as submitted.
#[derive(FromForm, Debug, Default, serde::Serialize)]
pub struct HandoutForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub csrf_token: String,
    #[field(default = String::new())]
    pub form_token: String,
    #[field(default = 0)]
    pub infant_id: i64,
    #[field(default = 0)]
    pub site_id: i64,
    #[field(default = 0)]
    pub crib_model_id: i64,
    #[field(default = String::new())]
    pub lot: String,
    #[field(default = String::new())]
    pub override_reason: String,
}

fn infant_label(i: &crate::entity::infant::Model) -> String {
    match (&i.name, i.date_of_birth, i.expected_due_date) {
        (Some(n), _, _) => n.clone(),
        (None, Some(d), _) => format!("Baby born {d}"),
        (None, None, Some(d)) => format!("Baby due {d}"),
        _ => format!("Infant {}", i.id),
    }
}

async fn sites_for(db: &DatabaseConnection, who: &Identity) -> Result<Vec<reference::SiteView>, AppError> {
    let all = reference::sites(db, None).await?;
    Ok(all.into_iter().filter(|s| s.kind != "warehouse" && who.can_act_at(s.id)).collect())
}

async fn render(
    db: &DatabaseConnection,
    user: &PageUser,
    cookies: &CookieJar<'_>,
    family_id: i64,
    form: &HandoutForm,
    errors: BTreeMap<String, String>,
    template: &'static str,
) -> PageResult<Template> {
    let fam = families::get(db, family_id).await?;
    let infants = families::infants(db, family_id).await?;
    let mut infant_rows = Vec::new();
    for i in &infants {
        infant_rows.push(
            json!({"id": i.id, "label": infant_label(i), "has_crib": families::infant_has_crib(db, i.id).await?}),
        );
    }
    let sites = sites_for(db, &user.0).await?;
    let chosen_site = sites.iter().find(|s| s.id == form.site_id).or(sites.first());
    let chosen_infant = infants.iter().find(|i| i.id == form.infant_id);
    let model_name = chosen_site
        .and_then(|s| s.stock.iter().find(|m| m.crib_model_id == form.crib_model_id))
        .map(|m| m.crib_model_name.clone());
    let ctx = page(
        "Hand out a crib",
        Some(&user.0),
        cookies,
        None,
        json!({
            "family": {"id": fam.id, "first_name": fam.first_name, "last_name": fam.last_name},
            "infants": infant_rows,
            "sites": sites,
            "form": {
                "form_token": if form.form_token.is_empty() { random_token() } else { form.form_token.clone() },
                "infant_id": form.infant_id,
                "site_id": chosen_site.map(|s| s.id).unwrap_or(0),
                "crib_model_id": form.crib_model_id,
                "lot": form.lot,
                "override_reason": form.override_reason,
            },
            "confirm": {
                "infant": chosen_infant.map(infant_label),
                "site": chosen_site.map(|s| s.name.clone()),
                "model": model_name,
            },
            "is_manager": user.0.is_manager(),
            "errors": errors,
        }),
    );
    Ok(Template::render(template, ctx))
}

/// The form, reached from the family page.
#[get("/families/<id>/handout?<infant_id>")]
pub async fn handout_page(
    user: PageUser,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    id: i64,
    infant_id: Option<i64>,
) -> PageResult<Template> {
    crate::api::families::require_family_worker(&user.0)?;
    if !family_view::may_view(db.inner(), &user.0, id).await? {
        return Err(AppError::NotFound.into());
    }
    let form = HandoutForm { infant_id: infant_id.unwrap_or(0), ..Default::default() };
    render(db.inner(), &user, cookies, id, &form, BTreeMap::new(), "handouts/handout_form").await
}

fn check_choice(form: &HandoutForm) -> BTreeMap<String, String> {
    let mut e = BTreeMap::new();
    if form.infant_id <= 0 {
        e.insert("infant_id".into(), "Choose the baby this crib is for.".into());
    }
    if form.site_id <= 0 {
        e.insert("site_id".into(), "Choose the site the crib comes from.".into());
    }
    if form.crib_model_id <= 0 {
        e.insert("crib_model_id".into(), "Choose the crib model.".into());
    }
    if form.lot.chars().count() > 100 {
        e.insert("lot".into(), "A lot number has at most 100 characters.".into());
    }
    e
}

/// The confirmation: names the infant and the site before anything is written.
#[post("/families/<id>/handout/confirm", data = "<form>")]
pub async fn handout_confirm(
    user: PageUser,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    id: i64,
    form: Form<HandoutForm>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    crate::api::families::require_family_worker(&user.0)?;
    if !family_view::may_view(db.inner(), &user.0, id).await? {
        return Err(AppError::NotFound.into());
    }
    let errors = check_choice(&form);
    if !errors.is_empty() {
        let t = render(db.inner(), &user, cookies, id, &form, errors, "handouts/handout_form").await?;
        return Ok((Status::UnprocessableEntity, t));
    }
    let t = render(db.inner(), &user, cookies, id, &form, BTreeMap::new(), "handouts/handout_confirm").await?;
    Ok((Status::Ok, t))
}

/// Write the handout and go to the receipt; a gate that refuses shows its reason on the form.
#[post("/families/<id>/handout", data = "<form>")]
pub async fn handout_submit(
    user: PageUser,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Form<HandoutForm>,
) -> PageResult<Either<Redirect, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    crate::api::families::require_family_worker(&user.0)?;
    let errors = check_choice(&form);
    if !errors.is_empty() {
        let t = render(db.inner(), &user, cookies, id, &form, errors, "handouts/handout_form").await?;
        return Ok(Either::Right((Status::UnprocessableEntity, t)));
    }
    let trimmed = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let cmd = HandoutCommand {
        family_id: id,
        infant_id: form.infant_id,
        site_id: form.site_id,
        crib_model_id: form.crib_model_id,
        lot: trimmed(&form.lot),
        override_reason: if user.0.is_manager() { trimmed(&form.override_reason) } else { None },
        referral_id: None,
    };
    let who = &user.0;
    let body = serde_json::to_value(&*form).unwrap_or(Value::Null);
    let result = crate::api::handouts::run_handout(
        db.inner(),
        who,
        &addr.0,
        WriteKey::Form(&form.form_token),
        "POST /families/handout",
        &body,
        &cmd,
    )
    .await;
    match result {
        Ok(answer) => match answer.body["id"].as_i64() {
            Some(hid) => Ok(Either::Left(Redirect::to(format!("/handouts/{hid}/receipt")))),
            None => Err(PageError(AppError::Internal("handout answer without an id".into()))),
        },
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            let t = render(db.inner(), &user, cookies, id, &form, errors_of(&e), "handouts/handout_form").await?;
            Ok(Either::Right((status, t)))
        }
    }
}
