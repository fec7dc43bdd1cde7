//! The family page's "Messages" section (staff in scope, managers): the family's e-mail
//! consent in words, the form that records it (`POST /families/<id>/consent`:
//! `store::outbox::consent::give_once`, only once the caregiver agreed, a box staff tick),
//! "Stop e-mails" (`POST /families/<id>/consent/withdraw`: `withdraw_once`), and the log of
//! what was written to the family (`store::outbox::views::of_family`). A refused consent
//! shows the family page again with what was typed and the reason next to the field
//! (`web::families::record::render`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::messages::parse_address;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::outbox::consent::{self, ConsentInput, ConsentView, LANGUAGES};
use crate::store::outbox::views;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::error_page::PageResult;
use crate::web::fields::{field, Problems, TokenOnly};
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

/// What the form says when the agreement box was not ticked.
pub const NOT_AGREED: &str =
    "Tick the box once the caregiver has agreed to get e-mails from the program; nothing was recorded.";

/// The consent form as typed.
#[derive(FromForm, Debug, Clone, Default)]
pub struct ConsentForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub email: String,
    #[field(default = String::new())]
    pub language: String,
    /// `yes` when the box "The caregiver agreed…" is ticked.
    #[field(default = String::new())]
    pub agreed: String,
}

/// A refused consent form, to show again: what was typed, each field's problem, and a
/// sentence for the whole form (a conflict: the family's data were erased).
pub struct Typed {
    pub form: ConsentForm,
    pub problems: Problems,
    pub warning: Option<String>,
}

/// The consent in words, for the section's first lines.
fn consent_words(c: Option<&ConsentView>) -> Value {
    let Some(c) = c else {
        return json!({"state": "none"});
    };
    let state = if c.withdrawn_at.is_some() {
        "withdrawn"
    } else if c.active {
        "active"
    } else {
        "no_address"
    };
    json!({
        "state": state,
        "address": c.address,
        "language": super::language_words(&c.language),
        "given_at": c.given_at.map(crate::clock::local_date_time),
        "given_by": c.given_by,
        "withdrawn_at": c.withdrawn_at.map(crate::clock::local_date_time),
        "withdrawn_how": c.withdrawn_how,
    })
}

/// The section's values for `templates/families/messages.html.tera`: the consent, the form
/// (fresh, or as typed when it was refused), "Stop e-mails" while consent stands, the log.
pub async fn section(db: &Db, family_id: i64, family_language: &str, typed: Option<&Typed>) -> Result<Value, AppError> {
    let consent = consent::of_family(db, family_id).await?;
    let log = views::of_family(db, family_id).await?;
    let active = consent.as_ref().is_some_and(|c| c.active);
    let fresh = ConsentForm {
        form_token: FormToken::fresh(),
        email: consent.as_ref().filter(|c| c.active).and_then(|c| c.address.clone()).unwrap_or_default(),
        language: consent.as_ref().map_or_else(
            || if LANGUAGES.contains(&family_language) { family_language.to_string() } else { "en".to_string() },
            |c| c.language.clone(),
        ),
        ..Default::default()
    };
    let none = Problems::default();
    let (form, problems, warning) = match typed {
        Some(t) => (&t.form, &t.problems, t.warning.clone()),
        None => (&fresh, &none, None),
    };
    let languages: Vec<Value> = LANGUAGES
        .iter()
        .map(|l| json!({"code": l, "label": super::language_words(l), "selected": *l == form.language}))
        .collect();
    Ok(json!({
        "consent": consent_words(consent.as_ref()),
        "form": {
            "form_token": form.form_token.or_fresh(),
            "email": field("email", &form.email, problems),
            "language": field("language", &form.language, problems),
            "agreed": field("agreed", &form.agreed, problems),
            "languages": languages,
        },
        "problems": problems.summary(),
        "warning": warning,
        "withdraw_token": active.then(FormToken::fresh),
        "log": log.iter().map(|m| super::row(m, false)).collect::<Vec<_>>(),
    }))
}

/// Record the family's consent to e-mail: its address and the language of its messages.
#[post("/families/<id>/consent", data = "<form>")]
pub async fn give(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<ConsentForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    let mut form = form.into_inner();
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (&user.0, db.inner());
    forbidden_unless(who.works_with_families())?;
    let by = Caller { who, ip: &addr.0 };
    // NOTE: the agreement is the page's own rule (the API's caller answers for it); the
    // address is judged here too so that both problems show at once.
    let mut problems: Vec<(String, String)> = Vec::new();
    if let Err(m) = parse_address(&form.email) {
        problems.push(("email".into(), m.into()));
    }
    if form.agreed != "yes" {
        problems.push(("agreed".into(), NOT_AGREED.into()));
    }
    let mut warning = None;
    if problems.is_empty() {
        let input = ConsentInput { email: form.email.clone(), language: Some(form.language.clone()) };
        let route = format!("POST /families/{id}/consent");
        let body = json!({"email": form.email, "language": form.language, "agreed": form.agreed});
        let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
        match consent::give_once(db, by, mode, id, &input).await {
            Ok(ran) => {
                let to = ran.value.address.as_deref().unwrap_or("");
                let said = format!(
                    "E-mail consent recorded: messages about the crib go to {to}, in {}.",
                    super::language_words(&ran.value.language)
                );
                return Ok(Either::Left(Flash::success(Redirect::to(format!("/families/{id}#messages")), said)));
            }
            Err(AppError::Validation(fields)) => {
                problems.extend(fields.into_iter().flat_map(|(f, list)| list.into_iter().map(move |m| (f.clone(), m))));
            }
            Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_))) => warning = Some(e.sentence()),
            Err(e) => return Err(e.into()),
        }
    }
    form.form_token = form.form_token.kept();
    let status = if warning.is_some() { Status::Conflict } else { Status::UnprocessableEntity };
    let typed = Typed { form, problems: Problems::new(&problems), warning };
    let page = crate::web::families::record::render(db, who, cookies, &addr.0, None, id, Some(&typed)).await?;
    Ok(Either::Right((status, page)))
}

/// "Stop e-mails": withdraw the family's consent on its behalf; its waiting messages are
/// not sent.
#[post("/families/<id>/consent/withdraw", data = "<form>")]
pub async fn withdraw(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<TokenOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let back = Redirect::to(format!("/families/{id}#messages"));
    let route = format!("POST /families/{id}/consent/withdraw");
    let body = Value::Null;
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    match consent::withdraw_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id).await {
        Ok(_) => Ok(Flash::success(
            back,
            "E-mails stopped: the family's consent is withdrawn, and messages still waiting will not be sent.",
        )),
        Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_))) => Ok(Flash::error(back, e.sentence())),
        Err(e) => Err(e.into()),
    }
}
