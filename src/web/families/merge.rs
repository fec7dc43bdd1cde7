//! A manager merges two records of one family from the pages (issue 19): the two records
//! side by side (every field, the babies and their cribs), a choice per field that
//! differs of which value survives, a reason, then one write (`family_merge::merge_once`).
//! The family page offers it where a baby may be on another record.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::families;
use crate::store::family_merge;
use crate::store::family_view::FamilyDetail;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::families::correct::field_words;
use crate::web::input::Checked;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

/// The fields compared, as the store names them, with their value on a record.
fn fields(d: &FamilyDetail) -> Vec<(&'static str, String)> {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    vec![
        ("caregiver.first_name", d.caregiver.first_name.clone()),
        ("caregiver.last_name", d.caregiver.last_name.clone()),
        ("caregiver.date_of_birth", opt(d.caregiver.date_of_birth.map(|x| x.to_string()))),
        ("caregiver.phone", opt(d.caregiver.phone.clone())),
        ("address.line1", d.address.line1.clone()),
        ("address.city", d.address.city.clone()),
        ("address.zip", d.address.zip.clone()),
        ("address.neighborhood_id", opt(d.address.neighborhood.as_ref().map(|n| n.name.clone()))),
        ("household_size", d.household_size.to_string()),
        ("annual_income", opt(d.annual_income.clone())),
        ("enrollments", d.enrollments.join(", ")),
        ("preferred_language", d.preferred_language.clone()),
    ]
}

fn babies(d: &FamilyDetail) -> Vec<Value> {
    d.infants
        .iter()
        .map(|i| json!({"name": i.name, "born": i.date_of_birth, "due": i.expected_due_date, "has_crib": i.has_crib}))
        .collect()
}

/// The two records side by side (or the question of which other record).
#[get("/families/<id>/merge?<other>")]
pub async fn compare(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    other: Option<i64>,
) -> PageResult<Template> {
    let by = Caller { who: &user.0, ip: &addr.0 };
    let this = families::view(db.inner(), by, id).await?;
    let that = match other {
        Some(o) => match families::view(db.inner(), by, o).await {
            Ok(d) if d.id != this.id => Some(d),
            Ok(_) => None,
            Err(AppError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let rows: Vec<Value> = match &that {
        Some(t) => fields(&this)
            .into_iter()
            .zip(fields(t))
            .map(|((key, mine), (_, theirs))| {
                json!({"key": key, "label": field_words(key), "this": mine, "other": theirs, "differs": mine != theirs})
            })
            .collect(),
        None => Vec::new(),
    };
    let ctx = page(
        "Merge two records",
        Some(&user.0),
        cookies,
        flash,
        json!({"this": {"id": this.id, "name": format!("{} {}", this.caregiver.first_name, this.caregiver.last_name),
                "babies": babies(&this), "handouts": this.handouts.len()},
            "other": that.as_ref().map(|t| json!({"id": t.id, "name": format!("{} {}", t.caregiver.first_name, t.caregiver.last_name),
                "babies": babies(t), "handouts": t.handouts.len()})),
            "asked": other, "rows": rows, "form_token": FormToken::fresh()}),
    );
    Ok(Template::render("families/merge", ctx))
}

/// The merge form.
#[derive(Debug, Clone, FromForm)]
pub struct MergeForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = 0)]
    pub other_family_id: i64,
    #[field(default = String::new())]
    pub reason: String,
    pub use_other: Vec<String>,
}

/// Merge: the other record into this one, with the values chosen.
#[post("/families/<id>/merge", data = "<form>")]
pub async fn merge(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<MergeForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let other = form.other_family_id;
    let back = Redirect::to(format!("/families/{id}/merge?other={other}"));
    let route = format!("POST /families/{id}/merge");
    let body = json!({"other": other, "reason": form.reason, "use_other": form.use_other});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    match family_merge::merge_once(db.inner(), by, mode, id, other, &form.reason, &form.use_other).await {
        Ok(_) => Ok(Flash::success(
            Redirect::to(format!("/families/{id}")),
            format!("Record {other} is merged into this one; its number now opens this record."),
        )),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_))) => Ok(Flash::error(back, e.sentence())),
        Err(e) => Err(e.into()),
    }
}
