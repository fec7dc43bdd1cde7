//! `GET /checkin`: the site staff's home. One search box (name, phone or date of birth)
//! with each match's last visit and status (and "a crib is held here" where one is),
//! "Register a new family" below the results, and beside them the day's queue at the
//! user's sites and the transfers on their way there, to receive. Results that look like
//! one family registered twice say so, for a manager to compare and merge.

use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::checkin::{look_alike, Caregiver};
use crate::domain::family::phone_digits;
use crate::domain::role::Role;
use crate::error::forbidden_unless;
use crate::store::audit::Caller;
use crate::store::checkin as check_in;
use crate::store::{families, reference};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::stock::dashboard::{in_transit, TransferRow};
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

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
    // A crib held at the reader's sites for a family in the results or the queue says so on
    // its row (one read of the holds at those sites).
    let held = if results.is_empty() && queue.is_empty() {
        Vec::new()
    } else {
        crate::store::held::at_sites(db, scope, today).await?
    };
    let with_held = |row: Value, id: i64, elsewhere: bool| -> Value {
        let mut row = row;
        if !elsewhere {
            let sentences: Vec<String> =
                held.iter().filter(|h| h.family_id == id).map(|h| h.sentence_for(&who)).collect();
            row["held"] = json!(sentences);
        }
        row
    };
    let results: Vec<Value> = results
        .iter()
        .map(|r| with_held(serde_json::to_value(r).unwrap_or(Value::Null), r.id, r.registered_elsewhere))
        .collect();
    let queue: Vec<Value> =
        queue.iter().map(|r| with_held(serde_json::to_value(r).unwrap_or(Value::Null), r.family.id, false)).collect();
    // Staff: the transfers on their way to their sites, each with a link to receive it.
    let incoming: Vec<TransferRow> = if who.role == Role::SiteStaff {
        in_transit(db, &who, None).await?.into_iter().filter(|t| who.site_ids.contains(&t.to_site_id)).collect()
    } else {
        Vec::new()
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
            "incoming": incoming,
        }),
    );
    Ok(Template::render("checkin", ctx))
}
