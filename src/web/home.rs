//! The home page: what each role sees first after signing in. Site staff start at
//! check-in (`/checkin`); managers, admins and nurses get the stock overview.

use crate::auth::guards::PageUser;
use crate::domain::role::Role;
use crate::store::reference;
use crate::web::context::page;
use crate::web::error_page::PageResult;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::Redirect;
use rocket::{get, Either, State};
use rocket_dyn_templates::Template;
use sea_orm::DatabaseConnection;
use serde_json::json;

/// Home: site staff go to check-in; everyone else sees the sites they work with and their
/// stock, low sites first.
#[get("/")]
pub async fn home(
    user: PageUser,
    db: &State<DatabaseConnection>,
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
    let ctx = page("Home", Some(&who), cookies, flash, json!({ "sites": sites }));
    Ok(Either::Right(Template::render("home", ctx)))
}
