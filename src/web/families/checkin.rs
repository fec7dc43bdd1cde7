//! `GET /checkin`: the site staff's home. One search box (name, phone or date of birth)
//! with each match's last visit and status, "Register a new family" below the results,
//! and beside them the day's queue at the user's sites. Results that look like one family
//! registered twice say so, for a manager to compare and merge.

use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::checkin::{look_alike, Caregiver};
use crate::domain::family::phone_digits;
use crate::error::forbidden_unless;
use crate::store::audit::Caller;
use crate::store::checkin as check_in;
use crate::store::{families, reference};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// Search and the day's queue.
#[get("/checkin?<q>")]
pub async fn search_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    q: Option<&str>,
) -> PageResult<Template> {
    let who = user.0;
    forbidden_unless(who.works_with_families())?;
    let db = db.inner();
    let q = q.unwrap_or("").trim();
    let too_long = q.chars().count() > families::SEARCH_MAX_CHARS;
    let searched = !q.is_empty() && !too_long;
    let results = if searched {
        let found = families::find(db, Caller { who: &who, ip: &addr.0 }, q).await?;
        check_in::rows(db, found).await?
    } else {
        Vec::new()
    };
    // Results that look like one family registered twice: staff ask a manager to merge.
    let caregivers: Vec<Caregiver<'_>> = results
        .iter()
        .map(|r| Caregiver {
            id: r.id,
            first_name: &r.first_name,
            last_name: &r.last_name,
            date_of_birth: r.date_of_birth,
            phone_digits: r.phone.as_deref().and_then(phone_digits),
        })
        .collect();
    let look_alike = look_alike(&caregivers, 5);
    let today = crate::clock::today();
    let scope = who.site_scope();
    let queue = check_in::queue(db, scope, today).await?;
    let site_names: Vec<String> = match scope {
        Some(ids) => reference::sites(db, Some(ids)).await?.into_iter().map(|s| s.name).collect(),
        None => Vec::new(),
    };
    let ctx = page(
        "Check-in",
        Some(&who),
        cookies,
        flash,
        json!({
            "q": q,
            "searched": searched,
            "too_long": too_long,
            "results": results,
            "look_alike": look_alike,
            "can_merge": who.is_manager(),
            "queue": queue,
            "today": today,
            "site_names": site_names,
            "all_sites": scope.is_none(),
        }),
    );
    Ok(Template::render("checkin", ctx))
}
