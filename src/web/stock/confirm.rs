//! What the stock forms show: the form page (typed values, a reason next to each refused
//! field, 422 when refused) and the confirmation page, which spells the quantity in words
//! and shows each balance before and after, carrying the values, the form token and the
//! CSRF token in hidden fields to the final POST.

use crate::domain::actor::Actor;
use crate::domain::stock::in_words;
use crate::error::{AppError, FieldErrors};
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use crate::web::stock::write::Done;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::Either;
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::{json, Value};

/// What a form's handlers answer: a page, or the redirect after the write.
pub type Answer = PageResult<Either<Flash<Redirect>, (Status, Template)>>;

/// The redirect after a write: 303 to the site's page with the flash message.
pub fn redirect(done: Done) -> Either<Flash<Redirect>, (Status, Template)> {
    Either::Left(Flash::success(Redirect::to(format!("/stock/sites/{}", done.site_id)), done.message))
}

/// A quantity spelled for a confirmation: `FIVE HUNDRED (500)`.
pub fn spelled(n: i64) -> String {
    format!("{} ({n})", in_words(n).to_uppercase())
}

/// "1 crib" / "5 cribs".
pub fn cribs(n: i64) -> &'static str {
    if n.abs() == 1 {
        "crib"
    } else {
        "cribs"
    }
}

/// One balance, before and after.
#[derive(Debug, Serialize)]
pub struct Change {
    pub label: String,
    pub before: i64,
    pub after: String,
}

impl Change {
    /// A balance that changes now.
    pub fn now(label: impl Into<String>, before: i64, after: i64) -> Change {
        Change { label: label.into(), before, after: after.to_string() }
    }
}

/// A hidden field of the confirmation's final form.
#[derive(Debug, Serialize)]
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// Hidden fields from (name, value) pairs.
pub fn hidden(pairs: Vec<(&'static str, String)>) -> Vec<Hidden> {
    pairs.into_iter().map(|(name, value)| Hidden { name, value }).collect()
}

/// The form's address with the values in its query, for "Change these values".
pub fn back_link(path: &str, fields: &[Hidden]) -> String {
    let q: Vec<String> = fields.iter().map(|h| format!("{}={}", h.name, crate::web::stock::pct(&h.value))).collect();
    format!("{path}?{}", q.join("&"))
}

/// A confirmation page.
#[derive(Debug, Serialize)]
pub struct Confirmation {
    pub heading: &'static str,
    /// "You are about to add FIVE HUNDRED (500) cribs of … to …."
    pub sentence: String,
    pub detail: Option<String>,
    pub changes: Vec<Change>,
    /// Where the final POST goes.
    pub action: String,
    /// The form, to change the values (GET, values carried in the query).
    pub back: String,
    pub button: String,
    pub hidden: Vec<Hidden>,
}

/// Render a confirmation page.
pub fn confirm_page(who: &Actor, cookies: &CookieJar<'_>, c: Confirmation) -> (Status, Template) {
    let title = c.heading;
    let ctx = page(title, Some(who), cookies, None, json!({ "confirm": c }));
    (Status::Ok, Template::render("stock/confirm", ctx))
}

/// Render a form page: 200 when fresh, 422 with the reasons when refused.
pub fn form_page(
    template: &'static str,
    title: &str,
    who: &Actor,
    cookies: &CookieJar<'_>,
    errors: FieldErrors,
    extra: Value,
) -> (Status, Template) {
    let status = if errors.is_empty() { Status::Ok } else { Status::UnprocessableEntity };
    let mut ctx = json!({ "errors": errors });
    if let (Some(base), Value::Object(more)) = (ctx.as_object_mut(), extra) {
        base.extend(more);
    }
    (status, Template::render(template, page(title, Some(who), cookies, None, ctx)))
}

/// A general reason shown at the top of a form.
pub fn form_error(msg: impl Into<String>) -> FieldErrors {
    let mut f = FieldErrors::new();
    f.insert("form".into(), vec![msg.into()]);
    f
}

/// The page for a form token reused with other values (a 409 the person can understand).
pub fn reused_token() -> PageError {
    PageError(AppError::Conflict(
        "This form was already sent with other values, and that change was saved. Open the form again to make another change."
            .into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_spelled_in_capitals() {
        assert_eq!(spelled(500), "FIVE HUNDRED (500)");
        assert_eq!(spelled(50), "FIFTY (50)");
        assert_eq!(cribs(1), "crib");
        assert_eq!(cribs(-2), "cribs");
    }
}
