//! Paper when the network is down (issue 19): printable, pre-numbered intake-and-hand-out
//! slips and a daily sign-in sheet for a site (every language of the message catalog side
//! by side on one sheet), and the back-entry of a slip once the network returns (`/families/<id>/paper`: one write with
//! the check for the paper day, the education signed for and the hand-out, dated when it
//! happened; `store::handouts::paper`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::education::{parse_education, REQUIRED_TOPICS};
use crate::domain::paper::{slip_numbers, MAX_SLIPS};
use crate::domain::states::SiteKind;
use crate::error::{forbidden_unless, AppError};
use crate::store::audit::Caller;
use crate::store::handouts::paper::{enter_once, PaperEntry};
use crate::store::handouts::HandoutCommand;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{families, reference};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use chrono::{NaiveDate, NaiveTime};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::response::{Flash, Redirect};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

/// The sites a person hands out at.
async fn my_sites(db: &Db, who: &Actor) -> Result<Vec<reference::SiteView>, AppError> {
    let all = reference::sites(db, None).await?;
    Ok(all.into_iter().filter(|s| s.kind == SiteKind::Distribution.as_str() && who.can_act_at(s.id)).collect())
}

/// The paper forms of one's sites, and how to enter them afterwards.
#[get("/paper")]
pub async fn index(user: PageUser, db: &State<Db>, cookies: &CookieJar<'_>) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    let sites = my_sites(db.inner(), &user.0).await?;
    let ctx =
        page("Paper forms", Some(&user.0), cookies, None, json!({"sites": sites, "today": crate::clock::today()}));
    Ok(Template::render("paper/index", ctx))
}

/// A printable batch of numbered slips.
#[get("/paper/slips?<site>&<count>")]
pub async fn slips(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    site: i64,
    count: Option<usize>,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    let s = my_sites(db.inner(), &user.0).await?.into_iter().find(|s| s.id == site).ok_or(AppError::NotFound)?;
    let models = reference::crib_models(db.inner()).await?;
    let numbers = slip_numbers(&s.code, count.unwrap_or(10).min(MAX_SLIPS));
    let ctx = page(
        "Paper slips",
        Some(&user.0),
        cookies,
        None,
        json!({
            "site": s,
            "numbers": numbers,
            "models": models.iter().map(|m| model_in_every_language(&m.code, &m.name)).collect::<Vec<_>>(),
            "languages": crate::catalog::catalog().languages(),
        }),
    );
    Ok(Template::render("paper/slips", ctx))
}

/// A crib model's name in every language of the catalog, side by side (each language's
/// name, or the seeded one where the catalog has none).
fn model_in_every_language(code: &str, seeded: &str) -> String {
    let c = crate::catalog::catalog();
    let mut names: Vec<String> =
        c.languages().iter().map(|l| crate::web::handouts::receipt::model_name(c, l, code, seeded)).collect();
    names.dedup();
    names.join(" / ")
}

/// A printable sign-in sheet for a day at a site.
#[get("/paper/sign-in?<site>&<date>")]
pub async fn sign_in_sheet(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    site: i64,
    date: Option<&str>,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    let s = my_sites(db.inner(), &user.0).await?.into_iter().find(|s| s.id == site).ok_or(AppError::NotFound)?;
    let day = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()).unwrap_or_else(crate::clock::today);
    let ctx = page(
        "Sign-in sheet",
        Some(&user.0),
        cookies,
        None,
        json!({
            "site": s,
            "day": day,
            "rows": (1..=20).collect::<Vec<_>>(),
            "languages": crate::catalog::catalog().languages(),
        }),
    );
    Ok(Template::render("paper/sign_in", ctx))
}

/// A slip as typed on the back-entry page.
#[derive(Debug, Clone, Default, FromForm, serde::Serialize)]
pub struct SlipForm {
    #[field(default = String::new())]
    #[serde(skip)]
    pub csrf_token: String,
    pub form_token: FormToken,
    #[field(default = String::new())]
    pub paper_slip: String,
    #[field(default = String::new())]
    pub site_id: String,
    #[field(default = String::new())]
    pub date: String,
    #[field(default = String::new())]
    pub time: String,
    #[field(default = String::new())]
    pub infant_id: String,
    #[field(default = String::new())]
    pub crib_model_id: String,
    #[field(default = String::new())]
    pub lot: String,
    pub topics: Vec<String>,
    #[field(default = String::new())]
    pub caregiver_attestation: String,
}

async fn slip_page(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    family_id: i64,
    form: &SlipForm,
    error: Option<String>,
) -> Result<Template, AppError> {
    let fam = families::get(db, family_id).await?;
    let babies = families::infants(db, family_id).await?;
    let sites = my_sites(db, who).await?;
    let models = reference::crib_models(db).await?;
    let ctx = page(
        "Enter a paper hand-out",
        Some(who),
        cookies,
        None,
        json!({"family": {"id": fam.id, "name": format!("{} {}", fam.first_name, fam.last_name)},
            "babies": babies.iter().map(|b| json!({"id": b.id, "label": b.name.clone().or(b.date_of_birth.map(|d| format!("born {d}")))
                .or(b.expected_due_date.map(|d| format!("due {d}"))).unwrap_or_default()})).collect::<Vec<_>>(),
            "sites": sites, "models": models, "topics": REQUIRED_TOPICS, "form": form, "error": error}),
    );
    Ok(Template::render("paper/enter", ctx))
}

/// The back-entry form for one family.
#[get("/families/<id>/paper")]
pub async fn enter_form(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
) -> PageResult<Template> {
    forbidden_unless(user.0.works_with_families())?;
    families::open_for(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id, "paper back-entry").await?;
    // NOTE: no topic ticked to begin with: staff tick what the slip shows, so a slip the
    // caregiver did not tick cannot pass for one she did.
    let form = SlipForm { form_token: FormToken::fresh(), ..Default::default() };
    Ok(slip_page(db.inner(), &user.0, cookies, id, &form, None).await?)
}

/// Read the slip into a paper entry, or the sentence to show.
fn entry_of(who: &Actor, family_id: i64, f: &SlipForm, language: &str) -> Result<PaperEntry, String> {
    let num = |s: &str, what: &str| s.trim().parse::<i64>().map_err(|_| format!("Choose the {what}."));
    let day =
        NaiveDate::parse_from_str(f.date.trim(), "%Y-%m-%d").map_err(|_| "Give the date on the slip.".to_string())?;
    let time = NaiveTime::parse_from_str(f.time.trim(), "%H:%M")
        .map_err(|_| "Give the time on the slip, like 10:30.".to_string())?;
    let at = crate::clock::from_new_york(day, time)
        .ok_or("That time did not exist that day (the clocks moved): check the slip.")?;
    let cmd = HandoutCommand::parse(
        who,
        family_id,
        num(&f.infant_id, "baby")?,
        num(&f.site_id, "site")?,
        num(&f.crib_model_id, "crib model")?,
        Some(f.lot.clone()),
        None,
        None,
    )
    .and_then(|c| c.with_paper(Some(&at.to_rfc3339()), Some(&f.paper_slip)))
    .map_err(|e| e.sentence())?;
    let education =
        parse_education(Some(at), "site", language, &f.topics, &f.caregiver_attestation, crate::clock::now())
            .map_err(|p| p.into_iter().next().map(|(_, m)| m).unwrap_or_default())?;
    Ok(PaperEntry { cmd, education })
}

/// Enter the slip.
#[post("/families/<id>/paper", data = "<form>")]
pub async fn enter(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<SlipForm>,
) -> PageResult<Either<Flash<Redirect>, (Status, Template)>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (&user.0, db.inner());
    forbidden_unless(who.works_with_families())?;
    families::ensure_visible(db, who, id).await?;
    let fam = families::get(db, id).await?;
    let mut form = form.into_inner();
    let entry = match entry_of(who, id, &form, &fam.preferred_language) {
        Ok(e) => e,
        Err(said) => {
            let t = slip_page(db, who, cookies, id, &form, Some(said)).await?;
            return Ok(Either::Right((Status::UnprocessableEntity, t)));
        }
    };
    let body = serde_json::to_value(&form).unwrap_or(Value::Null);
    let route = format!("POST /families/{id}/paper");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    match enter_once(db, Caller { who, ip: &addr.0 }, mode, &entry).await {
        Ok(ran) => {
            let said = if ran.replayed {
                format!("Slip {} was already entered: nothing was recorded twice.", form.paper_slip.trim())
            } else {
                format!(
                    "Slip {} is entered: receipt {}, dated {}.",
                    form.paper_slip.trim(),
                    ran.value.receipt_number,
                    ran.value.handed_out_on
                )
            };
            Ok(Either::Left(Flash::success(Redirect::to(format!("/families/{id}")), said)))
        }
        Err(AppError::NotFound) => Err(AppError::NotFound.into()),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            form.form_token = form.form_token.kept();
            let t = slip_page(db, who, cookies, id, &form, Some(e.sentence())).await?;
            Ok(Either::Right((e.status(), t)))
        }
    }
}
