//! The family page, `GET /families/<id>` (every view leaves an audit row), and the
//! "Check eligibility" button, `POST /families/<id>/check`. A card per infant shows the
//! latest answer rule by rule and the one next step (`domain::checkin::next_step`); below
//! them, for staff and managers, the family's e-mail consent and messages
//! (`web::messages::family`).

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::checkin::{next_step, InfantFacts, LatestCheck};
use crate::domain::education;
use crate::domain::family::{LANGUAGES, RACE_ETHNICITY};
use crate::domain::money::format_dollars;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::store::audit::Caller;
use crate::store::family_view::{FamilyDetail, InfantView};
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{eligibility, families, policy, reference};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use crate::web::messages::family::Typed;
use rocket::form::FromForm;
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

/// The family's whole record, with the next step per infant.
#[get("/families/<id>")]
pub async fn show(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    flash: Option<FlashMessage<'_>>,
    id: i64,
) -> PageResult<Template> {
    Ok(render(db.inner(), &user.0, cookies, &addr.0, flash, id, None).await?)
}

/// The family page (a view, audited); `consent` is the "Messages" section's consent form as
/// typed when it was refused (`web::messages::family`).
pub async fn render(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    ip: &str,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    consent: Option<&Typed>,
) -> Result<Template, AppError> {
    let detail = families::view(db, Caller { who, ip }, id).await?;
    let today = crate::clock::today();
    let params = policy::in_force(db, today).await?.params;
    let sites: HashMap<i64, String> = reference::sites(db, None).await?.into_iter().map(|s| (s.id, s.name)).collect();
    let models: HashMap<i64, String> = reference::crib_models(db).await?.into_iter().map(|m| (m.id, m.name)).collect();
    let latest_education_on = detail.education.iter().map(|e| crate::clock::date_in_new_york(e.delivered_at)).max();
    let labels: HashMap<i64, String> = detail.infants.iter().map(|i| (i.id, infant_label(i))).collect();
    let infants: Vec<Value> = detail
        .infants
        .iter()
        .map(|i| {
            let crib = detail.handouts.iter().find(|h| h.infant_id == i.id && !h.voided);
            let facts = InfantFacts {
                crib_handout_id: crib.map(|h| h.id),
                latest_check: i
                    .latest_check
                    .as_ref()
                    .map(|c| LatestCheck { eligible: c.result == "eligible", checked_on: c.checked_on }),
                latest_education_on,
            };
            json!({
                "id": i.id,
                "label": labels.get(&i.id),
                "date_of_birth": i.date_of_birth,
                "expected_due_date": i.expected_due_date,
                "weight_lb": i.weight_lb,
                "latest_check": i.latest_check,
                "next": next_step(&facts, today, params.eligibility_valid_days, params.education_valid_days),
                "receipt_number": crib.map(|h| h.receipt_number.clone()),
                "crib_on": crib.map(|h| h.handed_out_on),
                "form_token": FormToken::fresh(),
            })
        })
        .collect();
    let held: Vec<Value> = crate::store::held::for_family(db, detail.id, today)
        .await?
        .iter()
        .map(|h| json!({"sentence": h.sentence_for(who), "model": h.crib_model_name, "home_delivery": h.home_delivery, "note": h.note}))
        .collect();
    let versions = crate::store::corrections::versions(db, detail.id).await?;
    let hoods: HashMap<i64, String> = if versions.is_empty() {
        HashMap::new()
    } else {
        reference::neighborhoods(db, None, None).await?.into_iter().map(|n| (n.id, n.name)).collect()
    };
    let possible_same: Vec<Value> = detail
        .possible_same_babies
        .iter()
        .map(|m| json!({"m": m, "label": labels.get(&m.infant_id), "sentence": m.sentence(), "form_token": FormToken::fresh()}))
        .collect();
    // Whom site staff ask to void a hand-out (only a program manager may).
    let void_askees = if !who.is_manager() && detail.handouts.iter().any(|h| !h.voided) {
        crate::store::users::manager_names(db, 3).await?
    } else {
        Vec::new()
    };
    // The "Messages" section: staff in scope and managers (nurses see no consent or log).
    let messages = if who.works_with_families() {
        Some(crate::web::messages::family::section(db, detail.id, &detail.preferred_language, consent).await?)
    } else {
        None
    };
    let ctx = page(
        &format!("{} {}", detail.caregiver.first_name, detail.caregiver.last_name),
        Some(who),
        cookies,
        flash,
        json!({
            "family": family_header(&detail),
            "infants": infants,
            "held": held,
            "may_act": who.role != Role::Nurse,
            "is_manager": who.is_manager(),
            "void_askees": void_askees,
            "messages": messages,
            "possible_same": possible_same,
            "versions": versions.iter().map(|v| json!({
                "at": crate::clock::in_new_york(v.at).format("%Y-%m-%d %H:%M").to_string(), "by": v.by,
                "what": version_label(&v.action), "reason": v.reason,
                "infant": v.infant_id.and_then(|i| labels.get(&i)),
                "changes": if v.action == "family.merge" {
                    vec![format!("record {} merged into this one", v.before["merged_family_id"])]
                } else {
                    changes_of(&v.before, &v.after, &hoods)
                },
            })).collect::<Vec<_>>(),
            "checks": detail.checks.iter().map(|c| json!({
                "corrected_since": c.corrected_since,
                "checked_on": c.checked_on, "result": c.result, "infant": c.infant_id.and_then(|i| labels.get(&i)),
                "policy": format!("Version {}", c.policy.version),
                "failed": c.rules.iter().filter(|r| !r.passed).count(),
            })).collect::<Vec<_>>(),
            "education": detail.education.iter().map(|e| json!({
                "on": crate::clock::date_in_new_york(e.delivered_at), "mode": education::mode_words(&e.mode),
                "language": language_label(&e.language), "site": e.site_id.and_then(|s| sites.get(&s)),
                "topics": e.topics.iter().map(|t| education::topic_words(t)).collect::<Vec<_>>().join("; "),
            })).collect::<Vec<_>>(),
            "handouts": detail.handouts.iter().map(|h| json!({
                "id": h.id, "on": h.handed_out_on, "receipt_number": h.receipt_number,
                "infant": labels.get(&h.infant_id), "site": sites.get(&h.site_id), "model": models.get(&h.crib_model_id),
                "lot": h.lot, "no_lot": h.no_lot_on_box, "voided": h.voided, "void_reason": h.void_reason, "paper_slip": h.paper_slip,
                "entered_on": h.entered_at.map(crate::clock::date_in_new_york),
            })).collect::<Vec<_>>(),
            "follow_ups": detail.follow_ups.iter().map(|f| json!({
                "receipt_number": detail.handouts.iter().find(|h| h.id == f.handout_id).map(|h| h.receipt_number.clone()),
                "round": f.round_months, "due_on": f.due_on,
                "status": crate::domain::outcomes::follow_up_status_label(&f.status),
                "attempts": f.attempts,
                "answered": f.answers.as_ref().map(|a| json!({
                    "on": crate::clock::date_in_new_york(a.answered_at),
                    "how": crate::domain::survey::Mode::label(&a.mode),
                    "lines": crate::web::survey::answer_lines(a.instrument_version, &a.answers),
                })),
            })).collect::<Vec<_>>(),
        }),
    );
    Ok(Template::render("families/show", ctx))
}

/// What a version did, in words.
fn version_label(action: &str) -> &'static str {
    match action {
        "family.correct" => "Details corrected",
        "infant.correct" => "Baby's details corrected",
        "infant.add" => "Baby added",
        "family.merge" => "Another record merged in",
        _ => "Changed",
    }
}

/// "field: before → after" for each changed field, in words (a neighborhood by its name).
fn changes_of(before: &Value, after: &Value, hoods: &HashMap<i64, String>) -> Vec<String> {
    let shown = |k: &str, v: Option<&Value>| match v {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::Number(n)) if k == "address.neighborhood_id" => {
            n.as_i64().and_then(|id| hoods.get(&id).cloned()).unwrap_or_else(|| n.to_string())
        }
        Some(Value::Bool(b)) => if *b { "yes" } else { "no" }.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(a)) => {
            a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string)).collect::<Vec<_>>().join(", ")
        }
        Some(v) => v.to_string(),
    };
    after
        .as_object()
        .map(|a| {
            a.keys()
                .map(|k| {
                    format!(
                        "{}: {} → {}",
                        crate::web::families::correct::field_words(k),
                        shown(k, before.get(k)),
                        shown(k, a.get(k))
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// "Baby Ana", "Baby born 2026-10-01" or "Baby due 2026-12-01".
fn infant_label(i: &InfantView) -> String {
    match (&i.name, i.date_of_birth, i.expected_due_date) {
        (Some(name), _, _) => name.clone(),
        (None, Some(dob), _) => format!("Baby born {dob}"),
        (None, None, Some(due)) => format!("Baby due {due}"),
        (None, None, None) => format!("Baby #{}", i.id),
    }
}

fn language_label(code: &str) -> String {
    LANGUAGES.iter().find(|(c, _)| *c == code).map_or_else(|| code.to_string(), |(_, l)| l.to_string())
}

fn family_header(d: &FamilyDetail) -> Value {
    let income = d.annual_income.as_deref().and_then(|s| Decimal::from_str(s).ok()).map(format_dollars);
    json!({
        "id": d.id,
        "caregiver": d.caregiver,
        "address": d.address,
        "household_size": d.household_size,
        "annual_income": income,
        "enrollments": d.enrollments,
        "has_safe_sleep_space": d.has_safe_sleep_space,
        "race_ethnicity": d.race_ethnicity.as_deref()
            .map(|r| RACE_ETHNICITY.iter().find(|(c, _)| *c == r).map_or(r, |(_, l)| *l)),
        "language": language_label(&d.preferred_language),
        "registered_on": crate::clock::date_in_new_york(d.created_at),
    })
}

/// The "Check eligibility" button's form.
#[derive(FromForm)]
pub struct CheckForm {
    #[field(default = String::new())]
    pub csrf_token: String,
    pub form_token: FormToken,
    pub infant_id: i64,
}

/// Run and store a check for one infant under the policy in force today; back to the page.
#[post("/families/<id>/check", data = "<form>")]
pub async fn check(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<CheckForm>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let infant_id = form.infant_id;
    let route = format!("POST /families/{id}/check");
    let body = json!({"infant_id": infant_id});
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &body);
    let by = Caller { who: &user.0, ip: &addr.0 };
    let ran = eligibility::check(db.inner(), by, mode, id, Some(infant_id), None).await?;
    let to = Redirect::to(format!("/families/{id}#infant-{infant_id}"));
    // NOTE: "not eligible" is an answer, not a success: it is flashed as a warning (its own
    // colour and mark), never in the green of "eligible".
    Ok(if ran.replayed {
        Flash::new(to, "info", "That check was already made; its answer is below.")
    } else if ran.value.result == "eligible" {
        Flash::success(to, "Checked: eligible. Each rule is explained below.")
    } else {
        Flash::warning(to, "Checked: not eligible. Each rule and its reason is below.")
    })
}
