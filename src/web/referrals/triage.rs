//! The manager's triage queue (`store::referrals::triage_queue`: every open request, oldest
//! discharge first, with the eligibility preview and the sites with stock, same CSA first),
//! accept and decline. Each form carries a one-time token.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::states::{MatchStatus, ReferralStatus};
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{referral_matches, referrals};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// Accept: where to hold the crib.
#[derive(FromForm)]
pub struct AcceptForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub choice: String,
}

/// Decline: the reason the nurse reads.
#[derive(FromForm)]
pub struct DeclineForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub reason: String,
}

/// A possible match: the same family or a different one.
#[derive(FromForm)]
pub struct MatchForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub same: String,
}

/// The queue.
#[get("/triage")]
pub async fn triage_page(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let queue = referrals::triage_queue(db.inner(), Caller { who: &user.0, ip: &addr.0 }).await?;
    let rows: Vec<serde_json::Value> = queue
        .iter()
        .map(|row| {
            // The nurse's pickup site comes chosen when it has a crib (triage honours it).
            let preferred = row.r.preferred_site_id.filter(|_| !row.r.home_delivery);
            let chosen = row.options.iter().position(|o| Some(o.site_id) == preferred);
            let options: Vec<serde_json::Value> = row
                .options
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let same = if o.same_csa { ", same CSA" } else { "" };
                    let asked = if Some(o.site_id) == preferred { ", the nurse's choice" } else { "" };
                    json!({"value": format!("{}-{}", o.site_id, o.crib_model_id), "selected": Some(i) == chosen,
                        "label": format!("{} — {} ({} available){same}{asked}", o.site_name, o.crib_model_name, o.available)})
                })
                .collect();
            let preferred_has_none = preferred.is_some() && chosen.is_none();
            let open_matches: Vec<serde_json::Value> = row
                .r
                .possible_matches
                .iter()
                .filter(|m| m.status == MatchStatus::Open.as_str())
                .map(|m| json!({"m": m, "token": FormToken::fresh()}))
                .collect();
            json!({"r": row.r, "options": options, "open_matches": open_matches, "preferred_has_none": preferred_has_none,
                "accept_token": FormToken::fresh(), "decline_token": FormToken::fresh()})
        })
        .collect();
    let open: Vec<&referrals::ReferralView> = queue.iter().map(|row| &row.r).collect();
    let waiting_long =
        open.iter().filter(|r| r.status == ReferralStatus::Submitted.as_str() && r.days_waiting > 2).count();
    let ctx = page("Triage", Some(&user.0), cookies, flash, json!({"rows": rows, "waiting_long": waiting_long}));
    Ok(Template::render("referrals/triage", ctx))
}

/// Accept a request at the chosen site and model.
#[post("/triage/<id>/accept", data = "<form>")]
pub async fn triage_accept(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<AcceptForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let parsed = form.choice.split_once('-').and_then(|(s, m)| Some((s.parse::<i64>().ok()?, m.parse::<i64>().ok()?)));
    let Some((site, model)) = parsed else {
        return Ok(Flash::error(Redirect::to("/triage"), "Choose a site with a crib available."));
    };
    let body = json!({"choice": form.choice});
    let route = format!("POST /triage/{id}/accept");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    match referrals::accept_once(db.inner(), by, mode, id, site, model).await {
        Ok(ran) => {
            let where_ = ran.value.reserved_site.map(|s| s.name).unwrap_or_default();
            Ok(Flash::success(Redirect::to("/triage"), format!("Request {id} accepted: a crib is held at {where_}.")))
        }
        Err(
            e @ (AppError::Conflict(_) | AppError::OutOfStock(_) | AppError::Validation(_) | AppError::BadRequest(_)),
        ) => Ok(Flash::error(Redirect::to("/triage"), e.sentence())),
        Err(e) => Err(e.into()),
    }
}

/// Decline a request with a reason.
#[post("/triage/<id>/decline", data = "<form>")]
pub async fn triage_decline(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<DeclineForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let body = json!({"reason": form.reason});
    let route = format!("POST /triage/{id}/decline");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    match referrals::decline_once(db.inner(), by, mode, id, &form.reason).await {
        Ok(_) => Ok(Flash::success(Redirect::to("/triage"), format!("Request {id} declined."))),
        Err(e @ (AppError::Conflict(_) | AppError::Validation(_) | AppError::BadRequest(_))) => {
            Ok(Flash::error(Redirect::to("/triage"), e.sentence()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Decide a possible match: the same family (the request's record is merged into the one
/// registered before it) or a different one.
#[post("/triage/<id>/match/<family_id>", data = "<form>")]
pub async fn triage_match(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    family_id: i64,
    form: Checked<MatchForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let same = match form.same.as_str() {
        "yes" => true,
        "no" => false,
        _ => return Ok(Flash::error(Redirect::to("/triage"), "Say whether this is the same family.")),
    };
    let body = json!({"same": same});
    let route = format!("POST /triage/{id}/match/{family_id}");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    match referral_matches::decide_once(db.inner(), by, mode, id, family_id, same).await {
        Ok(ran) => {
            let said = if same {
                format!("Request {id} is for {}: the two records are now one.", ran.value.referral.caregiver)
            } else {
                format!("Request {id}: noted as a different family.")
            };
            Ok(Flash::success(Redirect::to("/triage"), said))
        }
        Err(e @ (AppError::Conflict(_) | AppError::Validation(_) | AppError::BadRequest(_))) => {
            Ok(Flash::error(Redirect::to("/triage"), e.sentence()))
        }
        Err(e) => Err(e.into()),
    }
}
