//! The manager's triage queue: every open request, oldest discharge first, with the
//! eligibility preview, suggested sites with stock (same CSA first), accept and decline.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::entity::{family, neighborhood};
use crate::error::AppError;
use crate::store::{reference, referrals};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use rocket::form::{Form, FromForm};
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde_json::json;
use std::collections::HashMap;

/// Accept: where to hold the crib.
#[derive(FromForm)]
pub struct AcceptForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    #[field(default = String::new())]
    pub choice: String,
}

/// Decline: the reason the nurse reads.
#[derive(FromForm)]
pub struct DeclineForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    #[field(default = String::new())]
    pub reason: String,
}

/// The queue.
#[get("/triage")]
pub async fn triage_page(
    user: PageManager,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let db = db.inner();
    referrals::settle(db).await?;
    let mut open = referrals::list(db, &user.0, Some("submitted")).await?;
    open.extend(referrals::list(db, &user.0, Some("reserved")).await?);
    open.sort_by_key(|r| (r.discharge_date, r.id));
    let sites: Vec<reference::SiteView> =
        reference::sites(db, None).await?.into_iter().filter(|s| s.kind == "distribution").collect();
    // Each family's CSA, read for the whole queue at once (two statements).
    let families: HashMap<i64, Option<i64>> = family::Entity::find()
        .filter(family::Column::Id.is_in(open.iter().map(|r| r.family_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f.neighborhood_id))
        .collect();
    let csa_of: HashMap<i64, i32> =
        neighborhood::Entity::find().all(db).await?.into_iter().map(|n| (n.id, n.csa_id)).collect();
    let mut rows = Vec::new();
    for r in &open {
        let family_csa = families.get(&r.family_id).copied().flatten().and_then(|n| csa_of.get(&n).copied());
        let mut options: Vec<serde_json::Value> = Vec::new();
        let mut ranked: Vec<&reference::SiteView> = sites.iter().filter(|s| s.available() > 0).collect();
        ranked.sort_by_key(|s| {
            (s.neighborhood.as_ref().map(|n| Some(n.csa_id) != family_csa).unwrap_or(true), -s.available())
        });
        for s in ranked {
            let same = s.neighborhood.as_ref().is_some_and(|n| Some(n.csa_id) == family_csa);
            for st in s.stock.iter().filter(|st| st.available > 0) {
                options.push(json!({"value": format!("{}-{}", s.id, st.crib_model_id), "label": format!("{} — {} ({} available){}", s.name, st.crib_model_name, st.available, if same { ", same CSA" } else { "" })}));
            }
        }
        rows.push(json!({"r": r, "options": options}));
    }
    let waiting_long = open.iter().filter(|r| r.status == "submitted" && r.days_waiting > 2).count();
    let ctx = page("Triage", Some(&user.0), cookies, flash, json!({"rows": rows, "waiting_long": waiting_long}));
    Ok(Template::render("referrals/triage", ctx))
}

/// Accept a request at the chosen site and model.
#[post("/triage/<id>/accept", data = "<form>")]
pub async fn triage_accept(
    user: PageManager,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Form<AcceptForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let parsed = form.choice.split_once('-').and_then(|(s, m)| Some((s.parse::<i64>().ok()?, m.parse::<i64>().ok()?)));
    let Some((site, model)) = parsed else {
        return Ok(Flash::error(Redirect::to("/triage"), "Choose a site with a crib available."));
    };
    let txn = crate::db::begin_write(db.inner()).await?;
    match referrals::accept(&txn, &user.0, &addr.0, id, site, model).await {
        Ok(v) => {
            txn.commit().await?;
            let where_ = v.reserved_site.map(|s| s.name).unwrap_or_default();
            Ok(Flash::success(Redirect::to("/triage"), format!("Request {id} accepted: a crib is held at {where_}.")))
        }
        Err(e @ (AppError::Conflict(_) | AppError::OutOfStock(_) | AppError::Validation(_))) => {
            txn.rollback().await?;
            Ok(Flash::error(Redirect::to("/triage"), e.message()))
        }
        Err(e) => Err(e.into()),
    }
}

/// Decline a request with a reason.
#[post("/triage/<id>/decline", data = "<form>")]
pub async fn triage_decline(
    user: PageManager,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Form<DeclineForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let reason = form.reason.trim();
    if reason.chars().count() < 3 || reason.chars().count() > 500 {
        return Ok(Flash::error(Redirect::to("/triage"), "Give the nurse a reason (3 to 500 characters)."));
    }
    let txn = crate::db::begin_write(db.inner()).await?;
    match referrals::decline(&txn, &user.0, &addr.0, id, reason).await {
        Ok(_) => {
            txn.commit().await?;
            Ok(Flash::success(Redirect::to("/triage"), format!("Request {id} declined.")))
        }
        Err(AppError::Conflict(m)) => {
            txn.rollback().await?;
            Ok(Flash::error(Redirect::to("/triage"), m))
        }
        Err(e) => Err(e.into()),
    }
}
