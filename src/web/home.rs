//! The home page: what each role sees first after signing in. Site staff start at
//! check-in (`/checkin`); managers and admins get their dashboard (this month's handouts
//! against last month's, low sites, requests waiting, follow-ups due, messages that failed,
//! each linking on)
//! above the stock overview; nurses get their hospital's requests with their states
//! (`referrals::nurse::requests_list`).

use crate::auth::guards::{ClientAddr, PageUser};
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

/// Home: site staff go to check-in; nurses see their hospital's requests; everyone else
/// sees the sites they work with and their stock, low sites first.
#[get("/")]
pub async fn home(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Either<Redirect, Template>> {
    if user.0.role == Role::SiteStaff {
        return Ok(Either::Left(Redirect::to("/checkin")));
    }
    if user.0.role == Role::Nurse {
        let list = crate::web::referrals::nurse::requests_list(
            &user,
            db.inner(),
            cookies,
            &addr,
            flash,
            "Your hospital's requests",
        );
        return Ok(Either::Right(list.await?));
    }
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
    let board = if who.is_manager() {
        crate::store::referrals::settle(db.inner()).await?;
        Some(dashboard::dashboard(db.inner(), crate::clock::today()).await?)
    } else {
        None
    };
    // "discharged 3 days ago", "discharge in 2 days": never a negative number of days.
    let oldest = board.as_ref().and_then(|d| d.oldest_waiting_days).map(crate::domain::referral::discharge_words);
    // Messages the sender gave up on: a card linking to them in the outbox, when there are any.
    let failed_messages =
        if who.is_manager() { crate::store::outbox::views::failed_count(db.inner()).await? } else { 0 };
    let ctx = page(
        "Home",
        Some(&who),
        cookies,
        flash,
        json!({ "sites": sites, "dashboard": board, "oldest_waiting": oldest, "failed_messages": failed_messages }),
    );
    Ok(Either::Right(Template::render("home", ctx)))
}
