//! One's own notices, from the account page's "Notices" fieldset: a box per notice one's
//! role can receive, ticked when it is on (`store::outbox::notices::of_user`); saving turns
//! off every box left unticked (`POST /account/notices`: `notices::set_once`).
//! Administrators receive none, and the account page shows them no fieldset.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::messages::Kind;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::outbox::notices::{self, Notice};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::response::{Flash, Redirect};
use rocket::{post, State};
use serde_json::{json, Value};

/// The fieldset's values for `templates/account/index.html.tera` (None: the role receives
/// no notices, and there is no fieldset).
pub fn fieldset(list: &[Notice]) -> Option<Value> {
    (!list.is_empty()).then(|| json!({"list": list, "form_token": FormToken::fresh()}))
}

/// The ticked boxes.
#[derive(FromForm)]
pub struct NoticesForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    /// The kinds ticked (on).
    #[field(default = Vec::new())]
    pub on: Vec<String>,
}

/// Save one's notices: every kind of one's role left unticked is turned off.
#[post("/account/notices", data = "<form>")]
pub async fn save(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<NoticesForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let who = &user.0;
    let mine = Kind::for_role(who.role);
    let off: Vec<String> =
        mine.iter().map(|k| k.as_str()).filter(|k| !form.on.iter().any(|o| o == k)).map(str::to_string).collect();
    let back = Redirect::to("/account#notices");
    let body = json!({"off": off});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), "POST /account/notices", &body);
    match notices::set_once(db.inner(), Caller { who, ip: &addr.0 }, mode, &off).await {
        Ok(ran) => {
            let on = ran.value.iter().filter(|n| n.on).count();
            let said = match (on, ran.value.len()) {
                (0, _) => "Saved: you get no notices by e-mail.".to_string(),
                (on, all) if on == all => "Saved: you get every notice by e-mail.".to_string(),
                (on, all) => format!("Saved: you get {on} of your {all} notices by e-mail."),
            };
            Ok(Flash::success(back, said))
        }
        Err(e @ (AppError::Validation(_) | AppError::BadRequest(_) | AppError::Conflict(_))) => {
            Ok(Flash::error(back, e.sentence()))
        }
        Err(e) => Err(e.into()),
    }
}
