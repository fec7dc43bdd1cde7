//! The home page: what each role sees first after signing in.

use crate::auth::guards::PageUser;
use crate::store::reference;
use crate::web::context::page;
use crate::web::error_page::PageResult;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use sea_orm::DatabaseConnection;
use serde_json::json;

/// Home: the sites the user works with and their stock, low sites first.
#[get("/")]
pub async fn home(
    user: PageUser,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let who = user.0;
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
    Ok(Template::render("home", ctx))
}
