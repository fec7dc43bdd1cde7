//! The nurse's pages: one form for a new request (large targets, keyboard only), her
//! hospital's requests with each one's state in words (her home page too), and one request
//! with everything she sent and its eligibility preview (for a program manager, while its
//! crib is held, with "hold the crib until": `web::messages::hold`).

use super::group_by_csa;
use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::education::REQUIRED_TOPICS;
use crate::domain::family::LANGUAGES;
use crate::domain::referral::{discharge_words, parse_referral, ReferralInput, RequestState};
use crate::domain::role::Role;
use crate::domain::states::{ReferralStatus, SiteKind};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{reference, referrals};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::handouts::errors_of;
use crate::web::input::Checked;
use crate::web::messages::hold::HoldTyped;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The request form as submitted.
#[derive(FromForm, Debug, Default, serde::Serialize)]
pub struct RequestForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub first_name: String,
    #[field(default = String::new())]
    pub last_name: String,
    #[field(default = String::new())]
    pub caregiver_dob: String,
    #[field(default = String::new())]
    pub phone: String,
    #[field(default = String::new())]
    pub language: String,
    #[field(default = String::new())]
    pub baby: String,
    #[field(default = String::new())]
    pub baby_date: String,
    #[field(default = String::new())]
    pub discharge_date: String,
    #[field(default = String::new())]
    pub line1: String,
    #[field(default = String::new())]
    pub zip: String,
    #[field(default = String::new())]
    pub neighborhood_id: String,
    #[field(default = String::new())]
    pub household_size: String,
    #[field(default = String::new())]
    pub annual_income: String,
    #[field(default = Vec::new())]
    pub enrollments: Vec<String>,
    #[field(default = String::new())]
    pub safe_space: String,
    #[field(default = String::new())]
    pub education: String,
    #[field(default = Vec::new())]
    pub topics: Vec<String>,
    #[field(default = String::new())]
    pub pickup: String,
    #[field(default = String::new())]
    pub note: String,
}

fn opt(s: &str) -> Value {
    if s.trim().is_empty() {
        Value::Null
    } else {
        json!(s.trim())
    }
}

/// The form's fields as the API's referral input (one rule set for both).
pub fn to_input(f: &RequestForm) -> Result<ReferralInput, String> {
    let born = f.baby != "due";
    let pickup_site = f.pickup.strip_prefix("site-").and_then(|s| s.parse::<i64>().ok());
    let v = json!({
        "caregiver": {"first_name": opt(&f.first_name), "last_name": opt(&f.last_name), "date_of_birth": opt(&f.caregiver_dob), "phone": opt(&f.phone)},
        "address": {"line1": opt(&f.line1), "city": "Baltimore", "state": "MD", "zip": opt(&f.zip),
                    "neighborhood_id": f.neighborhood_id.parse::<i64>().ok()},
        "household_size": opt(&f.household_size),
        "annual_income": opt(&crate::domain::money::plain_typed_amount(&f.annual_income)),
        "enrollments": f.enrollments,
        "has_safe_sleep_space": match f.safe_space.as_str() { "yes" => json!(true), "no" => json!(false), _ => Value::Null },
        "infant": if born { json!({"date_of_birth": opt(&f.baby_date)}) } else { json!({"expected_due_date": opt(&f.baby_date)}) },
        "preferred_language": opt(&f.language),
        "discharge_date": opt(&f.discharge_date),
        "education_given_in_hospital": f.education == "yes",
        "preferred_site_id": pickup_site,
        "home_delivery": f.pickup == "home",
        "note": opt(&f.note),
    });
    serde_json::from_value(v).map_err(|e| e.to_string())
}

async fn render(
    db: &Db,
    user: &PageUser,
    cookies: &CookieJar<'_>,
    form: &RequestForm,
    errors: BTreeMap<String, String>,
) -> PageResult<Template> {
    let hoods = group_by_csa(reference::neighborhoods(db, None, None).await?);
    let sites: Vec<Value> = reference::sites(db, None)
        .await?
        .into_iter()
        .filter(|s| s.kind == SiteKind::Distribution.as_str())
        .map(|s| json!({"id": s.id, "name": s.name}))
        .collect();
    let mut form_json = serde_json::to_value(form).unwrap_or(Value::Null);
    form_json["form_token"] = json!(form.form_token.or_fresh());
    if form.discharge_date.is_empty() {
        form_json["discharge_date"] = json!(crate::clock::today().to_string());
    }
    let ctx = page(
        "New crib request",
        Some(&user.0),
        cookies,
        None,
        json!({"form": form_json, "csa_groups": hoods, "sites": sites, "errors": errors, "required_topics": REQUIRED_TOPICS}),
    );
    Ok(Template::render("referrals/new", ctx))
}

/// The new-request form.
#[get("/requests/new")]
pub async fn new_request_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
) -> PageResult<Template> {
    forbidden_unless(user.0.may_request_cribs())?;
    // The request this nurse was filling in when her session ended, if any (`web::kept`).
    let by = Caller { who: &user.0, ip: &addr.0 };
    let sent_to = ["/requests/new".to_string()];
    if let Some(form) = crate::web::kept::restore::<RequestForm>(db.inner(), cookies, by, &sent_to).await {
        let notice = BTreeMap::from([("restored".to_string(), crate::web::kept::RESTORED.to_string())]);
        return render(db.inner(), &user, cookies, &form, notice).await;
    }
    render(db.inner(), &user, cookies, &<RequestForm as Default>::default(), BTreeMap::new()).await
}

/// Submit the request; on success show it with its eligibility preview.
#[post("/requests/new", data = "<form>")]
pub async fn new_request_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<RequestForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    forbidden_unless(user.0.may_request_cribs())?;
    let mut errors = BTreeMap::new();
    if form.education == "yes" && !REQUIRED_TOPICS.iter().all(|t| form.topics.iter().any(|x| x == t)) {
        errors.insert("topics".to_string(), "Tick every ABCD topic you went through, or answer No.".to_string());
    }
    let parsed = to_input(&form)
        .map_err(|e| AppError::validation("form", e))
        .and_then(|i| parse_referral(i, crate::clock::today(), "page").map_err(AppError::invalid));
    let new = match parsed {
        Ok(n) if errors.is_empty() => n,
        Ok(_) => {
            return Ok(Either::Right((
                Status::UnprocessableEntity,
                render(db.inner(), &user, cookies, &form, errors).await?,
            )))
        }
        Err(e) => {
            errors.extend(errors_of(&e));
            return Ok(Either::Right((
                Status::UnprocessableEntity,
                render(db.inner(), &user, cookies, &form, errors).await?,
            )));
        }
    };
    let who = &user.0;
    let body = serde_json::to_value(&*form).unwrap_or(Value::Null);
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), "POST /requests/new", &body);
    let result = referrals::submit_once(db.inner(), Caller { who, ip: &addr.0 }, mode, &new).await;
    match result {
        Ok(ran) => {
            let id = ran.value.id;
            Ok(Either::Left(Flash::success(
                Redirect::to(format!("/requests/{id}")),
                "Request sent to the program's triage queue.",
            )))
        }
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            Ok(Either::Right((status, render(db.inner(), &user, cookies, &form, errors_of(&e)).await?)))
        }
    }
}

/// Her hospital's requests, open ones first (the most urgent first), then the others
/// newest first (managers see all). Also the nurse's home page (`web::home`).
#[get("/requests")]
pub async fn requests_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    requests_list(&user, db.inner(), cookies, &addr, flash, "Crib requests").await
}

/// The list of requests with each one's state in words (`RequestState`), as `title`.
pub async fn requests_list(
    user: &PageUser,
    db: &Db,
    cookies: &CookieJar<'_>,
    addr: &ClientAddr,
    flash: Option<FlashMessage<'_>>,
    title: &str,
) -> PageResult<Template> {
    if !(user.0.role == Role::Nurse || user.0.is_manager()) {
        return Err(AppError::Forbidden.into());
    }
    let list = referrals::read_list(db, Caller { who: &user.0, ip: &addr.0 }, None).await?;
    let today = crate::clock::today();
    let mut rows: Vec<((bool, i64), Value)> = list
        .iter()
        .map(|r| {
            let state = state_of(r);
            let row = json!({
                "r": r,
                "label": state.label(),
                "sentence": state.sentence(today),
                "open": state.status.is_open(),
                "sent_on": crate::clock::date_in_new_york(r.created_at),
            });
            (state.order_key(), row)
        })
        .collect();
    rows.sort_by_key(|(key, _)| *key);
    let (open, closed): (Vec<Value>, Vec<Value>) =
        rows.into_iter().map(|(_, row)| row).partition(|row| row["open"] == json!(true));
    let ctx = page(
        title,
        Some(&user.0),
        cookies,
        flash,
        json!({
            "total": list.len(),
            "is_nurse": user.0.role == Role::Nurse,
            "sections": [
                {"id": "open", "title": "Open", "rows": open,
                 "hint": "The most urgent first: a held crib by its last day, a waiting request by its discharge date.",
                 "empty": "None open: every request has been answered."},
                {"id": "answered", "title": "Answered", "rows": closed,
                 "hint": "Handed out, declined, cancelled or expired; the latest first.",
                 "empty": "None answered yet."},
            ],
        }),
    );
    Ok(Template::render("referrals/list", ctx))
}

/// A request's state, for its words.
fn state_of(r: &referrals::ReferralView) -> RequestState<'_> {
    RequestState {
        status: ReferralStatus::parse(&r.status).unwrap_or(ReferralStatus::Submitted),
        discharge_date: r.discharge_date,
        reserved_site: r.reserved_site.as_ref().map(|s| s.name.as_str()),
        reserved_until: r.reserved_until,
        decline_reason: r.decline_reason.as_deref(),
        changed_on: crate::clock::date_in_new_york(r.updated_at),
    }
}

/// One request: everything the hospital sent (as it sent it, never the family's record
/// as it stands), its state, and the eligibility preview rule by rule.
#[get("/requests/<id>")]
pub async fn request_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    id: i64,
) -> PageResult<Template> {
    Ok(render_request(db.inner(), &user.0, cookies, &addr.0, flash, id, None).await?)
}

/// The request page; for a program manager, while the crib is held, with the "hold the
/// crib until" form (as typed when it was refused: `web::messages::hold`).
pub async fn render_request(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    ip: &str,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    hold: Option<&HoldTyped>,
) -> Result<Template, AppError> {
    let (v, sent) = referrals::read_as_sent(db, Caller { who, ip }, id).await?;
    let today = crate::clock::today();
    let (label, sentence) = {
        let state = state_of(&v);
        (state.label(), state.sentence(today))
    };
    let neighborhood = match sent.neighborhood_id {
        Some(n) => reference::neighborhood(db, n).await?,
        None => None,
    };
    let language = sent
        .preferred_language
        .as_deref()
        .map(|c| LANGUAGES.iter().find(|(code, _)| *code == c).map_or(c, |(_, name)| *name))
        .map(str::to_string);
    let hold_form = (who.is_manager() && v.status == ReferralStatus::Reserved.as_str())
        .then(|| crate::web::messages::hold::form_values(v.reserved_until, hold));
    let ctx = page(
        "Crib request",
        Some(who),
        cookies,
        flash,
        json!({
            "r": v,
            "sent": sent,
            "neighborhood": neighborhood,
            "language": language,
            "state": {"label": label, "sentence": sentence},
            "discharge_words": discharge_words((today - v.discharge_date).num_days()),
            "is_nurse": who.role == Role::Nurse,
            "form_token": FormToken::fresh(),
            "hold": hold_form,
        }),
    );
    Ok(Template::render("referrals/show", ctx))
}

/// Cancel a request (its nurse, managers).
#[post("/requests/<id>/cancel", data = "<form>")]
pub async fn cancel_request(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<crate::web::fields::TokenOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let route = format!("POST /requests/{id}/cancel");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &Value::Null);
    match referrals::cancel_once(db.inner(), Caller { who: &user.0, ip: &addr.0 }, mode, id).await {
        Ok(_) => {
            Ok(Flash::success(Redirect::to(format!("/requests/{id}")), "Request cancelled; any held crib is released."))
        }
        Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_))) => {
            Ok(Flash::error(Redirect::to(format!("/requests/{id}")), e.sentence()))
        }
        Err(e) => Err(e.into()),
    }
}
