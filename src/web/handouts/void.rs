//! Voiding a hand-out from the pages (program managers): `GET /handouts/<id>/void` (the
//! hand-out and a reason), `POST /handouts/<id>/void/confirm` (a confirmation naming the
//! baby, the receipt and the site, saying the crib returns to that site's stock), then
//! `POST /handouts/<id>/void` — the API's own store function (`handouts::void_once`): the
//! same reversing movement, once per form token, audited as `handout.void`. Site staff
//! are refused (403); the family page tells them whom to ask instead.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::handouts::{self, Receipt};
use crate::store::reference;
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

/// The shortest and longest reason for a void (as `handouts::void_once` asks).
const REASON_CHARS: std::ops::RangeInclusive<usize> = 3..=500;

/// The void form as submitted.
#[derive(FromForm, Debug, Default)]
pub struct VoidForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub reason: String,
    /// "edit" goes back from the confirmation to the form.
    #[field(default = String::new())]
    pub action: String,
}

/// "Baby Ana", "Baby born 2026-10-01" or "Baby due 2026-12-01".
fn baby_label(i: &crate::entity::infant::Model) -> String {
    match (&i.name, i.date_of_birth, i.expected_due_date) {
        (Some(n), _, _) => n.clone(),
        (None, Some(d), _) => format!("Baby born {d}"),
        (None, None, Some(d)) => format!("Baby due {d}"),
        (None, None, None) => "The baby".to_string(),
    }
}

/// The reason's problem, if any.
fn reason_problem(reason: &str) -> Option<&'static str> {
    (!REASON_CHARS.contains(&reason.trim().chars().count()))
        .then_some("Say why this hand-out is voided (3 to 500 characters): the reason stays in the family's history.")
}

async fn render(
    db: &Db,
    user: &PageUser,
    cookies: &CookieJar<'_>,
    r: &Receipt,
    form: &VoidForm,
    errors: BTreeMap<&str, String>,
    template: &'static str,
) -> PageResult<Template> {
    let h = &r.handout;
    let available = reference::sites(db, Some(&[h.site_id]))
        .await?
        .into_iter()
        .flat_map(|s| s.stock)
        .find(|s| s.crib_model_id == h.crib_model_id)
        .map(|s| s.available);
    let ctx = page(
        "Void a hand-out",
        Some(&user.0),
        cookies,
        None,
        json!({
            "handout": {
                "id": h.id, "receipt_number": h.receipt_number, "on": h.handed_out_on, "lot": h.lot,
                "voided": h.voided_at.is_some(), "void_reason": h.void_reason,
                "voided_on": h.voided_at.map(crate::clock::date_in_new_york),
            },
            "family": {"id": r.family.id, "name": format!("{} {}", r.family.first_name, r.family.last_name)},
            "baby": baby_label(&r.infant),
            "site": r.site.name,
            "model": r.model_name,
            "available": available,
            "available_after": available.map(|n| n + 1),
            "form": {"form_token": form.form_token.or_fresh(), "reason": form.reason},
            "errors": errors,
        }),
    );
    Ok(Template::render(template, ctx))
}

/// The hand-out and the reason to give (program managers; a view of the family's record).
#[get("/handouts/<id>/void")]
pub async fn void_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
) -> PageResult<Template> {
    forbidden_unless(user.0.is_manager())?;
    let r = handouts::receipt(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    render(db.inner(), &user, cookies, &r, &<VoidForm as Default>::default(), BTreeMap::new(), "handouts/void_form")
        .await
}

/// The confirmation: nothing is written yet.
#[post("/handouts/<id>/void/confirm", data = "<form>")]
pub async fn void_confirm(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<VoidForm>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    forbidden_unless(user.0.is_manager())?;
    let r = handouts::receipt(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let problem = reason_problem(&form.reason);
    if form.action == "edit" || problem.is_some() || r.handout.voided_at.is_some() {
        let errors: BTreeMap<&str, String> =
            problem.filter(|_| form.action != "edit").map(|p| ("reason", p.to_string())).into_iter().collect();
        let status = if errors.is_empty() { Status::Ok } else { Status::UnprocessableEntity };
        let t = render(db.inner(), &user, cookies, &r, &form, errors, "handouts/void_form").await?;
        return Ok((status, t));
    }
    let t = render(db.inner(), &user, cookies, &r, &form, BTreeMap::new(), "handouts/void_confirm").await?;
    Ok((Status::Ok, t))
}

/// Void it (once per form token) and go back to the family's page.
#[post("/handouts/<id>/void", data = "<form>")]
pub async fn void_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<VoidForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    forbidden_unless(user.0.is_manager())?;
    let by = Caller { who: &user.0, ip: &addr.0 };
    let reason = form.reason.trim().to_string();
    let body = json!({"handout_id": id, "reason": reason});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), "POST /handouts/void", &body);
    // The hand-out as it stood (404 when it is not there): the page's words and the way back.
    let r = handouts::receipt(db.inner(), by, id).await?;
    match handouts::void_once(db.inner(), by, mode, id, &reason).await {
        Ok(ran) => {
            let to = Redirect::to(format!("/families/{}", r.family.id));
            let message = if ran.replayed {
                format!("Receipt {} was already voided with this form.", r.handout.receipt_number)
            } else {
                format!(
                    "Receipt {} is voided: the crib is back in {}'s stock. {} can get a crib again after a passing eligibility check.",
                    r.handout.receipt_number,
                    r.site.name,
                    baby_label(&r.infant)
                )
            };
            Ok(Either::Left(Flash::success(to, message)))
        }
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::IdempotencyConflict)) => {
            let status = e.status();
            let errors: BTreeMap<&str, String> = match &e {
                AppError::Validation(_) => BTreeMap::from([("reason", e.sentence())]),
                _ => BTreeMap::from([("form", e.message())]),
            };
            let t = render(db.inner(), &user, cookies, &r, &form, errors, "handouts/void_form").await?;
            Ok(Either::Right((status, t)))
        }
        Err(e) => Err(e.into()),
    }
}
