//! The nurse's pages: one form for a new request (large targets, keyboard only), and her
//! hospital's requests with where each crib is waiting and until when.

use super::group_by_csa;
use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::education::REQUIRED_TOPICS;
use crate::domain::referral::{parse_referral, ReferralInput};
use crate::domain::role::Role;
use crate::domain::states::SiteKind;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{reference, referrals};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::handouts::errors_of;
use crate::web::input::Checked;
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
        "annual_income": opt(&f.annual_income),
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

/// Her hospital's requests, newest first (managers see all).
#[get("/requests")]
pub async fn requests_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    if !(user.0.role == Role::Nurse || user.0.is_manager()) {
        return Err(AppError::Forbidden.into());
    }
    let mut list = referrals::read_list(db.inner(), Caller { who: &user.0, ip: &addr.0 }, None).await?;
    list.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    let ctx = page("Crib requests", Some(&user.0), cookies, flash, json!({"requests": list}));
    Ok(Template::render("referrals/list", ctx))
}

/// One request with its eligibility preview and status.
#[get("/requests/<id>")]
pub async fn request_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    id: i64,
) -> PageResult<Template> {
    let v = referrals::read_view(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let ctx = page(
        "Crib request",
        Some(&user.0),
        cookies,
        flash,
        json!({"r": v, "is_nurse": user.0.role == Role::Nurse, "form_token": FormToken::fresh()}),
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
