//! The Users pages: `GET /admin/users` (list), `GET/POST /admin/users/new` (create),
//! `GET/POST /admin/users/<id>` (name, role, memberships), `POST /admin/users/<id>/deactivate`
//! and `/activate`. Administrators only; every POST checks the CSRF field first, runs one
//! transaction and leaves an audit row (written by `store::users`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageAdmin};
use crate::db::Db;
use crate::error::{AppError, FieldErrors};
use crate::store::audit::Caller;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{accounts, users};
use crate::web::admin::form::{self, UserForm, Values};
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use crate::web::fields::TokenOnly;
use crate::web::input::Checked;
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, uri, Either, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// A refused form is shown again with this status.
const REFUSED: Status = Status::UnprocessableEntity;

/// What a form POST answers: a redirect with a message, or the form again with its problems.
type FormAnswer = PageResult<Either<Flash<Redirect>, (Status, Template)>>;

/// The list of accounts.
#[get("/admin/users")]
pub async fn list(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let rows = users::list(db.inner()).await?;
    let lockouts: Vec<_> = accounts::lockouts(db.inner())
        .await?
        .into_iter()
        .map(|l| json!({"email": l.email, "ip": l.ip, "failures": l.failures, "until": crate::clock::local_date_time(l.until)}))
        .collect();
    let extra = json!({ "users": rows, "lockouts": lockouts });
    Ok(Template::render("admin/users", page("Users", Some(&admin.0), cookies, flash, extra)))
}

async fn new_page(
    admin: &PageAdmin,
    db: &Db,
    cookies: &CookieJar<'_>,
    values: Values<'_>,
    errors: FieldErrors,
    token: String,
) -> Result<Template, PageError> {
    let (assignable, hospitals) = (users::assignable_sites(db).await?, users::hospitals(db).await?);
    let form = form::view(values, &assignable, &hospitals);
    let extra = json!({ "form": form, "errors": errors, "is_self": false, "form_token": token });
    Ok(Template::render("admin/user_new", page("New user", Some(&admin.0), cookies, None, extra)))
}

/// The create form.
#[get("/admin/users/new")]
pub async fn new_form(admin: PageAdmin, db: &State<Db>, cookies: &CookieJar<'_>) -> PageResult<Template> {
    let empty = UserForm { role: "site_staff".into(), ..Default::default() };
    new_page(&admin, db.inner(), cookies, Values::typed(&empty), FieldErrors::new(), FormToken::fresh().to_string())
        .await
}

/// Create an account; on a problem, the form again with what was typed (not the password).
#[post("/admin/users/new", data = "<form>")]
pub async fn create(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<UserForm>,
) -> FormAnswer {
    csrf::verify(cookies, &form.csrf_token)?;
    let db = db.inner();
    let (parsed, chosen) = form::new_user(&form);
    let new = match parsed {
        Ok(new) => new,
        Err(errors) => {
            let errors = form::with_membership_problems(db, errors, &chosen).await?;
            let page = new_page(&admin, db, cookies, Values::typed(&form), errors, form.form_token.or_fresh()).await?;
            return Ok(Either::Right((REFUSED, page)));
        }
    };
    let body = form.hashed_body();
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), "POST /admin/users/new", &body);
    match users::create_once(db, Caller { who: &admin.0, ip: &addr.0 }, mode, new).await {
        Ok(ran) => {
            let created = ran.value;
            let message = format!("Created the account of {} ({}).", created.display_name, created.email);
            Ok(Either::Left(Flash::success(Redirect::to(uri!(list)), message)))
        }
        Err(AppError::Validation(errors)) => {
            let page = new_page(&admin, db, cookies, Values::typed(&form), errors, form.form_token.or_fresh()).await?;
            Ok(Either::Right((REFUSED, page)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn edit_page(
    admin: &PageAdmin,
    db: &Db,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    typed: Option<&UserForm>,
    errors: FieldErrors,
) -> Result<Template, PageError> {
    let (account, site_ids) = users::get(db, id).await?.ok_or(AppError::NotFound)?;
    let (assignable, hospitals) = (users::assignable_sites(db).await?, users::hospitals(db).await?);
    let values = match typed {
        Some(f) => Values { email: &account.email, ..Values::typed(f) },
        None => Values {
            email: &account.email,
            name: &account.display_name,
            role: &account.role,
            sites: site_ids.iter().map(i64::to_string).collect(),
            hospital_site_id: account.hospital_site_id.map(|h| h.to_string()).unwrap_or_default(),
        },
    };
    let form = form::view(values, &assignable, &hospitals);
    let extra = json!({
        "form": form,
        "errors": errors,
        "form_token": typed.map_or_else(|| FormToken::fresh().to_string(), |f| f.form_token.or_fresh()),
        "toggle_token": FormToken::fresh(),
        "reset_token": FormToken::fresh(),
        "two_step_token": FormToken::fresh(),
        "is_self": account.id == admin.0.id,
        "account": {
            "id": account.id,
            "email": account.email,
            "active": account.active,
            "role": account.role,
            "two_step_on": account.totp_enabled_at.is_some(),
            "must_change_password": account.must_change_password,
            "created": crate::clock::in_new_york(account.created_at).format("%Y-%m-%d").to_string(),
        },
    });
    Ok(Template::render("admin/user_edit", page("Edit user", Some(&admin.0), cookies, flash, extra)))
}

/// One account: its name, role and memberships, and the deactivate/activate button.
#[get("/admin/users/<id>")]
pub async fn edit_form(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    id: i64,
) -> PageResult<Template> {
    edit_page(&admin, db.inner(), cookies, flash, id, None, FieldErrors::new()).await
}

/// Change an account's name, role and memberships.
#[post("/admin/users/<id>", data = "<form>")]
pub async fn update(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<UserForm>,
) -> FormAnswer {
    csrf::verify(cookies, &form.csrf_token)?;
    let db = db.inner();
    let (parsed, chosen) = form::user_change(&form);
    let change = match parsed {
        Ok(change) => change,
        Err(errors) => {
            let errors = form::with_membership_problems(db, errors, &chosen).await?;
            let page = edit_page(&admin, db, cookies, None, id, Some(&form), errors).await?;
            return Ok(Either::Right((REFUSED, page)));
        }
    };
    let body = form.hashed_body();
    let route = format!("POST /admin/users/{id}");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    match users::update_once(db, Caller { who: &admin.0, ip: &addr.0 }, mode, id, change).await {
        Ok(ran) => {
            let updated = ran.value;
            let message = format!("Saved the account of {}.", updated.display_name);
            Ok(Either::Left(Flash::success(Redirect::to(uri!(edit_form(id))), message)))
        }
        Err(AppError::Validation(errors)) => {
            let page = edit_page(&admin, db, cookies, None, id, Some(&form), errors).await?;
            Ok(Either::Right((REFUSED, page)))
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_active(
    admin: PageAdmin,
    db: &Db,
    addr: ClientAddr,
    id: i64,
    active: bool,
    form_token: FormToken,
) -> PageResult<Flash<Redirect>> {
    let route = format!("POST /admin/users/{id}/{}", if active { "activate" } else { "deactivate" });
    let mode = Mode::write(WriteKey::Form(form_token), &route, &serde_json::Value::Null);
    let changed = users::set_active_once(db, Caller { who: &admin.0, ip: &addr.0 }, mode, id, active).await?.value;
    let message = if active {
        format!("{} can sign in again.", changed.email)
    } else {
        format!("{} is deactivated: their sessions and API tokens stopped working.", changed.email)
    };
    Ok(Flash::success(Redirect::to(uri!(edit_form(id))), message))
}

/// Deactivate an account: its sessions and tokens stop working at once. Not your own.
#[post("/admin/users/<id>/deactivate", data = "<form>")]
pub async fn deactivate(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<TokenOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    set_active(admin, db.inner(), addr, id, false, form.form_token.clone()).await
}

/// Activate an account again (its old API tokens stay revoked).
#[post("/admin/users/<id>/activate", data = "<form>")]
pub async fn activate(
    admin: PageAdmin,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<TokenOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    set_active(admin, db.inner(), addr, id, true, form.form_token.clone()).await
}
