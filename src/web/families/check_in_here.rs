//! `GET/POST /families/<id>/check-in-here`: a family registered at another site, shown as a
//! minimal match (names, birth date, neighborhood), and the explicit, audited step that
//! checks it in at one of the staff member's sites with a reason; its whole record then
//! opens there (`store::scope`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::error::{AppError, FieldErrors};
use crate::store::audit::Caller;
use crate::store::families::{self, FamilySummary};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{reference, scope};
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The form: why, and at which of the person's sites.
#[derive(FromForm)]
pub struct CheckInHereForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    pub site_id: Option<i64>,
    #[field(default = String::new())]
    pub reason: String,
}

async fn render(
    db: &Db,
    by: Caller<'_>,
    cookies: &CookieJar<'_>,
    family: &FamilySummary,
    reason: &str,
    errors: FieldErrors,
    token: String,
) -> Result<Template, PageError> {
    let hood = match family.neighborhood_id {
        Some(n) => reference::neighborhood(db, n).await?.map(|h| format!("{} ({})", h.name, h.csa_name)),
        None => None,
    };
    let sites = reference::sites(db, by.who.site_scope()).await?;
    let sites: Vec<_> = sites.into_iter().map(|s| json!({"id": s.id, "name": s.name})).collect();
    let extra = json!({
        "family": {"id": family.id, "first_name": family.first_name, "last_name": family.last_name,
                   "date_of_birth": family.date_of_birth, "neighborhood": hood},
        "sites": sites, "reason": reason, "errors": errors, "form_token": token,
    });
    Ok(Template::render("families/check_in_here", page("Check in here", Some(by.who), cookies, None, extra)))
}

/// The minimal match and the form; a family already in the person's scope goes to its page.
#[get("/families/<id>/check-in-here")]
pub async fn form(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
) -> PageResult<Either<Redirect, Template>> {
    let (db, by) = (db.inner(), Caller { who: &user.0, ip: &addr.0 });
    if scope::may_view(db, by.who, id).await? {
        return Ok(Either::Left(Redirect::to(format!("/families/{id}"))));
    }
    let family = families::minimal_match(db, by, id).await?;
    let page = render(db, by, cookies, &family, "", FieldErrors::new(), FormToken::fresh().to_string()).await?;
    Ok(Either::Right(page))
}

/// Check the family in here; to its page, or the form again with what was missing.
#[post("/families/<id>/check-in-here", data = "<form>")]
pub async fn submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<CheckInHereForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (db, by) = (db.inner(), Caller { who: &user.0, ip: &addr.0 });
    let route = format!("POST /families/{id}/check-in-here");
    let body = json!({"site_id": form.site_id, "reason": form.reason});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    match families::check_in_here(db, by, mode, id, form.site_id, &form.reason).await {
        Ok(_) => Ok(Either::Left(Flash::success(
            Redirect::to(format!("/families/{id}")),
            "Checked in here: the family's record is open at your site.",
        ))),
        Err(AppError::Validation(errors)) => {
            let family = families::minimal_match(db, by, id).await?;
            let token = form.form_token.kept().to_string();
            let page = render(db, by, cookies, &family, &form.reason, errors, token).await?;
            Ok(Either::Right((Status::UnprocessableEntity, page)))
        }
        Err(e) => Err(PageError(e)),
    }
}
