//! A manager answers a family's "what do you hold about me?" and "please delete my data":
//! the printable record in the family's language (`/families/<id>/export`, with the JSON a
//! click away) and, on the same page, the erasure with its reason.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::record_text::record_text;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{erasure, export};
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

/// The family's record, printable, in its language.
#[get("/families/<id>/export")]
pub async fn show(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    id: i64,
) -> PageResult<Template> {
    let out = export::export(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let t = record_text(&out.family.preferred_language);
    let ctx = page(
        &t.title.clone(),
        Some(&user.0),
        cookies,
        flash,
        json!({"t": t, "x": out, "printed": crate::clock::today(), "form_token": FormToken::fresh()}),
    );
    Ok(Template::render("families/export", ctx))
}

/// The erasure form.
#[derive(Debug, Clone, FromForm)]
pub struct EraseForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub reason: String,
}

/// Erase the family's identifying data, saying why.
#[post("/families/<id>/erase", data = "<form>")]
pub async fn erase(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<EraseForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let route = format!("POST /families/{id}/erase");
    let body = json!({"reason": form.reason});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    let back = Redirect::to(format!("/families/{id}/export"));
    match erasure::erase_once(db.inner(), by, mode, id, &form.reason).await {
        Ok(_) => Ok(Flash::success(back, "The family's identifying data are erased. Its counts stay in every report.")),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => Ok(Flash::error(back, e.sentence())),
        Err(e) => Err(e.into()),
    }
}
