//! The safe-sleep education checklist: ABCD plus optional topics, in English or Spanish, with
//! the caregiver typing their name to attest. One form token per page, so a double click
//! records one session.

use super::errors_map;
use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::education::{missing_required, parse_education, ATTESTATION_MAX_CHARS};
use crate::domain::safe_sleep_text::{missing_sentence, supported, topics};
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::families;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;
use std::collections::BTreeMap;

/// The checklist as submitted.
#[derive(FromForm, Debug, Default, serde::Serialize)]
pub struct EducationForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub mode: String,
    #[field(default = String::new())]
    pub language: String,
    #[field(default = Vec::new())]
    pub topics: Vec<String>,
    #[field(default = String::new())]
    pub caregiver_attestation: String,
}

async fn render(
    db: &Db,
    user: &PageUser,
    cookies: &CookieJar<'_>,
    family_id: i64,
    form: &EducationForm,
    errors: BTreeMap<String, String>,
) -> PageResult<Template> {
    let fam = families::get(db, family_id).await?;
    let lang = supported(if form.language.is_empty() { &fam.preferred_language } else { &form.language });
    let ctx = page(
        "Safe-sleep education",
        Some(&user.0),
        cookies,
        None,
        json!({
            "family": {"id": fam.id, "first_name": fam.first_name, "last_name": fam.last_name},
            "topics": topics(lang),
            "lang": lang,
            "languages": crate::catalog::catalog().languages(),
            "form": {
                "form_token": form.form_token.or_fresh(),
                "mode": if form.mode.is_empty() { if user.0.hospital_id().is_some() { "hospital_discharge" } else { "site" } } else { form.mode.as_str() },
                "topics": form.topics,
                "caregiver_attestation": form.caregiver_attestation,
            },
            "modes": [["site", "At the site"], ["home_visit", "Home visit"], ["hospital_discharge", "Hospital discharge"], ["video", "Video"]],
            "errors": errors,
        }),
    );
    Ok(Template::render("handouts/education", ctx))
}

/// The problems the family reads (the ABCD left unticked, the typed name) in the
/// checklist's language, from the catalog: never a topic code, never English on a
/// Spanish checklist. The staff's own fields keep the domain's sentences.
fn in_family_words(mut errors: BTreeMap<String, String>, form: &EducationForm, lang: &str) -> BTreeMap<String, String> {
    let c = crate::catalog::catalog();
    let missing = missing_required(&form.topics);
    if errors.contains_key("topics") && !missing.is_empty() {
        errors.insert("topics".into(), missing_sentence(lang, &missing));
    }
    if errors.contains_key("caregiver_attestation") {
        let key = if form.caregiver_attestation.trim().chars().count() > ATTESTATION_MAX_CHARS {
            "checklist-attest-too-long"
        } else {
            "checklist-attest-missing"
        };
        errors.insert("caregiver_attestation".into(), c.text(lang, key));
    }
    errors
}

/// The checklist, in the family's language unless `lang` says otherwise.
#[get("/families/<id>/education?<lang>")]
pub async fn education_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    lang: Option<&str>,
) -> PageResult<Template> {
    let by = Caller { who: &user.0, ip: &addr.0 };
    crate::store::families::open_for(db.inner(), by, id, "education page").await?;
    // The checklist this person was filling in when their session ended, if any (`web::kept`).
    let sent_to = [format!("/families/{id}/education")];
    if let Some(form) = crate::web::kept::restore::<EducationForm>(db.inner(), cookies, by, &sent_to).await {
        let notice = BTreeMap::from([("restored".to_string(), crate::web::kept::RESTORED.to_string())]);
        return render(db.inner(), &user, cookies, id, &form, notice).await;
    }
    let form =
        EducationForm { language: lang.map(|l| supported(l).to_string()).unwrap_or_default(), ..Default::default() };
    render(db.inner(), &user, cookies, id, &form, BTreeMap::new()).await
}

/// Record the session; the typed values come back with the reasons when refused.
#[post("/families/<id>/education", data = "<form>")]
pub async fn education_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<EducationForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    families::ensure_visible(db.inner(), &user.0, id).await?;
    let lang = if form.language.is_empty() { "en" } else { form.language.as_str() };
    let new =
        match parse_education(None, &form.mode, lang, &form.topics, &form.caregiver_attestation, crate::clock::now()) {
            Ok(n) => n,
            Err(problems) => {
                let errors = in_family_words(errors_map(&problems), &form, supported(lang));
                let t = render(db.inner(), &user, cookies, id, &form, errors).await?;
                return Ok(Either::Right((Status::UnprocessableEntity, t)));
            }
        };
    let body = serde_json::to_value(&*form).unwrap_or_default();
    let route = format!("POST /families/{id}/education");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    match crate::store::education::educate(db.inner(), by, mode, id, &new, None).await {
        Ok(_) => {
            Ok(Either::Left(Flash::success(Redirect::to(format!("/families/{id}")), "Safe-sleep education recorded.")))
        }
        Err(AppError::Validation(fields)) => {
            let errors = fields.into_iter().filter_map(|(f, m)| Some((f, m.into_iter().next()?))).collect();
            let errors = in_family_words(errors, &form, supported(lang));
            let t = render(db.inner(), &user, cookies, id, &form, errors).await?;
            Ok(Either::Right((Status::UnprocessableEntity, t)))
        }
        Err(e) => Err(e.into()),
    }
}
