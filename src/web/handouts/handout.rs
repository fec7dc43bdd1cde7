//! Handing out a crib from the family page: a form (site, model with what is available,
//! the lot of the box: one the site received, another typed, or "no lot number on the
//! box"), a confirmation that names the infant and the site, then the write — once, whatever
//! the double clicks — and the receipt.

use super::errors_of;
use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::SiteKind;
use crate::domain::stock::{lot_from_form, LotOnBox, LOT_CHOICE_NONE, LOT_CHOICE_OTHER, LOT_CHOICE_PREFIX};
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::handouts::{self, HandoutCommand};
use crate::store::write::{FormToken, WriteKey, WriteRequest};
use crate::store::{families, reference};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::Redirect;
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The hand-out form as submitted.
#[derive(FromForm, Debug, Default, serde::Serialize)]
pub struct HandoutForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = 0)]
    pub infant_id: i64,
    #[field(default = 0)]
    pub site_id: i64,
    #[field(default = 0)]
    pub crib_model_id: i64,
    /// The lot choice: `lot:<lot>` (one the site received), `other` (typed in `lot`) or
    /// `none` (no lot number on the box); see `domain::stock::lot_from_form`.
    #[field(default = String::new())]
    pub lot_choice: String,
    #[field(default = String::new())]
    pub lot: String,
    #[field(default = String::new())]
    pub override_reason: String,
    /// The survey's baseline (`domain::survey::BASELINE`): empty when not asked.
    #[field(default = String::new())]
    pub baseline_sleep: String,
}

fn infant_label(i: &crate::store::reference::Infant) -> String {
    match (&i.name, i.date_of_birth, i.expected_due_date) {
        (Some(n), _, _) => n.clone(),
        (None, Some(d), _) => format!("Baby born {d}"),
        (None, None, Some(d)) => format!("Baby due {d}"),
        _ => format!("Infant {}", i.id),
    }
}

async fn sites_for(db: &Db, who: &Actor) -> Result<Vec<reference::SiteView>, AppError> {
    let all = reference::sites(db, None).await?;
    Ok(all.into_iter().filter(|s| s.kind != SiteKind::Warehouse.as_str() && who.can_act_at(s.id)).collect())
}

async fn render(
    db: &Db,
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
    // The lots the chosen site received, as choices (the ledger knows them).
    let lots: Vec<Value> = match chosen_site {
        Some(site) => crate::store::stock_reads::lots_at(db, site.id)
            .await?
            .into_iter()
            .map(|l| {
                let model = site.stock.iter().find(|m| m.crib_model_id == l.crib_model_id);
                json!({
                    "choice": format!("{LOT_CHOICE_PREFIX}{}", l.lot),
                    "lot": l.lot,
                    "model": model.map(|m| m.crib_model_name.clone()),
                })
            })
            .collect(),
        None => Vec::new(),
    };
    // A crib held here for this family's hospital request: said, and its model chosen.
    let held: Vec<crate::store::held::HeldCrib> =
        crate::store::held::for_family(db, family_id, crate::clock::today()).await?;
    let held_here = chosen_site.and_then(|s| held.iter().find(|h| h.site_id == s.id));
    let held_model = held_here.and_then(|h| h.crib_model_id);
    let crib_model_id = if form.crib_model_id > 0 { form.crib_model_id } else { held_model.unwrap_or(0) };
    let lot_answer = lot_from_form(&form.lot_choice, &form.lot).ok();
    let confirm_lot = match &lot_answer {
        Some(LotOnBox::Lot(l)) => Some(l.clone()),
        _ => None,
    };
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
                "form_token": form.form_token.or_fresh(),
                "infant_id": form.infant_id,
                "site_id": chosen_site.map(|s| s.id).unwrap_or(0),
                "crib_model_id": crib_model_id,
                "lot_choice": form.lot_choice,
                "lot": form.lot,
                "override_reason": form.override_reason,
                "baseline_sleep": form.baseline_sleep,
            },
            "baseline": baseline_choices(),
            "lots": lots,
            "held": held_here.map(|h| json!({"sentence": h.sentence_for(&user.0), "model": h.crib_model_name})),
            "choices": {"none": LOT_CHOICE_NONE, "other": LOT_CHOICE_OTHER},
            "confirm": {
                "infant": chosen_infant.map(infant_label),
                "site": chosen_site.map(|s| s.name.clone()),
                "model": model_name,
                "lot": confirm_lot,
                "no_lot": lot_answer == Some(LotOnBox::NoLot),
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
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    infant_id: Option<i64>,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    let by = Caller { who: &user.0, ip: &addr.0 };
    crate::store::families::open_for(db.inner(), by, id, "hand-out page").await?;
    // The form this person was filling in when their session ended, if any (`web::kept`).
    let sent_to = [format!("/families/{id}/handout/confirm"), format!("/families/{id}/handout")];
    if let Some(form) = crate::web::kept::restore::<HandoutForm>(db.inner(), cookies, by, &sent_to).await {
        let notice = BTreeMap::from([("restored".to_string(), crate::web::kept::RESTORED.to_string())]);
        return render(db.inner(), &user, cookies, id, &form, notice, "handouts/handout_form").await;
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
    if let Err(m) = lot_from_form(&form.lot_choice, &form.lot) {
        e.insert("lot".into(), m.into());
    }
    e
}

/// The confirmation: names the infant and the site before anything is written.
#[post("/families/<id>/handout/confirm", data = "<form>")]
pub async fn handout_confirm(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    id: i64,
    form: Checked<HandoutForm>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    forbidden_unless(user.0.works_with_families())?;
    crate::store::families::ensure_visible(db.inner(), &user.0, id).await?;
    let mut errors = check_choice(&form);
    if let Err(e) = command_of(&user.0, id, &form) {
        errors.extend(errors_of(&e));
    }
    if !errors.is_empty() {
        let t = render(db.inner(), &user, cookies, id, &form, errors, "handouts/handout_form").await?;
        return Ok((Status::UnprocessableEntity, t));
    }
    let t = render(db.inner(), &user, cookies, id, &form, BTreeMap::new(), "handouts/handout_confirm").await?;
    Ok((Status::Ok, t))
}

/// The baseline question's choices in the staff's words (the family catalog's English).
fn baseline_choices() -> Value {
    let c = crate::catalog::catalog();
    let item = crate::domain::survey::BASELINE;
    let options: Vec<Value> = item
        .options
        .iter()
        .copied()
        .chain([crate::domain::survey::PREFER_NOT])
        .map(|o| {
            let key = if o == crate::domain::survey::PREFER_NOT {
                format!("survey-{o}")
            } else {
                format!("survey-{}-{o}", item.code)
            };
            json!({"value": o, "label": c.text("en", &key)})
        })
        .collect();
    json!({"question": c.text("en", &format!("survey-{}", item.code)), "options": options})
}

/// The form as the store's command, with its rules (`HandoutCommand::parse`): the same
/// check on the confirmation and on the write.
/// The lot is the form's one answer (`domain::stock::lot_from_form`): a lot, or "no lot
/// number on the box" recorded as such.
fn command_of(who: &Actor, family_id: i64, form: &HandoutForm) -> Result<HandoutCommand, AppError> {
    let text = |s: &str| Some(s.to_string());
    let answer = lot_from_form(&form.lot_choice, &form.lot);
    let (lot, no_lot) = match &answer {
        Ok(LotOnBox::Lot(l)) => (Some(l.clone()), false),
        Ok(LotOnBox::NoLot) => (None, true),
        Err(_) => (None, false),
    };
    let parsed = HandoutCommand::parse(
        who,
        family_id,
        form.infant_id,
        form.site_id,
        form.crib_model_id,
        lot,
        text(&form.override_reason),
        None,
    );
    // Every problem at once: the lot's beside the others'.
    match (answer, parsed) {
        (Ok(_), parsed) => parsed?.with_no_lot_on_box(no_lot)?.with_baseline(Some(&form.baseline_sleep)),
        (Err(m), Err(AppError::Validation(mut fields))) => {
            fields.entry("lot".to_string()).or_default().insert(0, m.to_string());
            Err(AppError::Validation(fields))
        }
        (Err(m), _) => Err(AppError::validation("lot", m)),
    }
}

/// Write the handout and go to the receipt; a gate that refuses shows its reason on the form.
#[post("/families/<id>/handout", data = "<form>")]
pub async fn handout_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<HandoutForm>,
) -> PageResult<Either<Redirect, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    forbidden_unless(user.0.works_with_families())?;
    let mut errors = check_choice(&form);
    if !errors.is_empty() {
        if let Err(e) = command_of(&user.0, id, &form) {
            errors.extend(errors_of(&e));
        }
        let t = render(db.inner(), &user, cookies, id, &form, errors, "handouts/handout_form").await?;
        return Ok(Either::Right((Status::UnprocessableEntity, t)));
    }
    let who = &user.0;
    let parsed = command_of(who, id, &form);
    let body = serde_json::to_value(&*form).unwrap_or(Value::Null);
    let write =
        WriteRequest { key: WriteKey::Form(form.form_token.clone()), route: "POST /families/handout", body: &body };
    let result = match parsed {
        Ok(cmd) => handouts::hand_out_once(db.inner(), Caller { who, ip: &addr.0 }, write, &cmd).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(ran) => Ok(Either::Left(Redirect::to(format!("/handouts/{}/receipt", ran.value.id)))),
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let status = e.status();
            let mut errors = errors_of(&e);
            // A refusal the family takes home: the printable explanation in their language
            // (the template links it for this baby).
            if matches!(e, AppError::Ineligible { .. } | AppError::AlreadyReceived(_)) {
                errors.insert("family_explanation".into(), form.infant_id.to_string());
            }
            if matches!(e, AppError::AlreadyReceived(_)) {
                // Where a manager voids the first hand-out (the refusal's sentence says so).
                errors.insert("already_received".into(), "yes".into());
            }
            let t = render(db.inner(), &user, cookies, id, &form, errors, "handouts/handout_form").await?;
            Ok(Either::Right((status, t)))
        }
    }
}
