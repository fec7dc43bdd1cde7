//! The home page: what each role sees first after signing in. Site staff start at
//! check-in (`/checkin`); managers and admins get their dashboard (this month's handouts
//! against last month's, low sites, requests waiting, follow-ups due, each linking on)
//! above the stock overview; nurses get the stock of the sites they work with.

use crate::auth::guards::PageUser;
use crate::db::Db;
use crate::domain::role::Role;
use crate::store::{dashboard, reference};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::Redirect;
use rocket::{get, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// Home: site staff go to check-in; everyone else sees the sites they work with and their
/// stock, low sites first.
#[get("/")]
pub async fn home(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Either<Redirect, Template>> {
    let who = user.0;
    if who.role == Role::SiteStaff {
        return Ok(Either::Left(Redirect::to("/checkin")));
    }
    let scope: Option<Vec<i64>> = if who.is_manager() {
        None
    } else {
        let mut ids = who.site_ids.clone();
        ids.extend(who.hospital_id());
        Some(ids)
    };
    let mut sites = reference::sites(db.inner(), scope.as_deref()).await?;
    sites.sort_by_key(|s| (!s.low(), s.available()));
    let board = if who.is_manager() {
        crate::store::referrals::settle(db.inner()).await?;
        Some(dashboard::dashboard(db.inner(), crate::clock::today()).await?)
    } else {
        None
    };
    let ctx = page("Home", Some(&who), cookies, flash, json!({ "sites": sites, "dashboard": board }));
    Ok(Either::Right(Template::render("home", ctx)))
}
