//! The adjustment form (`/stock/adjust`, managers): add or remove cribs at a site with a
//! reason from the fixed list (and a note when the reason is "other"). Same flow as the
//! restock form: form → confirm (dry run, quantity in words, before/after) → written once
//! → site page.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::stock::{checked_delta, AdjustmentReason, NOTE_MAX_CHARS};
use crate::error::{optional_text, Problems};
use crate::error::{AppError, FieldErrors};
use crate::store::audit::Caller;
use crate::store::reference::{CribModel, Site};
use crate::store::stock::balance;
use crate::store::stock_ops;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::web::error_page::PageResult;
use crate::web::input::Checked;
use crate::web::stock::confirm::{
    back_link, confirm_page, cribs, form_error, form_page, hidden, redirect, reused_token, spelled, Answer, Change,
    Confirmation,
};
use crate::web::stock::write::{pick_model, pick_site, problems_of, refusal, whole_number, Done};
use crate::web::stock::{model_choices, signed, site_choices, Choice};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::json;

/// Field errors with the store's field name replaced by the form's.
fn renamed(mut errors: FieldErrors, from: &str, to: &str) -> FieldErrors {
    if let Some(v) = errors.remove(from) {
        errors.entry(to.to_string()).or_default().extend(v);
    }
    errors
}

/// The adjustment form as typed.
#[derive(Debug, Default, Clone, FromForm, Serialize)]
pub struct AdjustInput {
    #[field(default = String::new())]
    pub site_id: String,
    #[field(default = String::new())]
    pub crib_model_id: String,
    /// `add` or `remove`.
    #[field(default = String::new())]
    pub direction: String,
    #[field(default = String::new())]
    pub quantity: String,
    #[field(default = String::new())]
    pub reason: String,
    #[field(default = String::new())]
    pub note: String,
    pub form_token: FormToken,
    #[serde(skip)]
    #[field(default = String::new())]
    pub csrf_token: String,
}

struct Adjust {
    site: Site,
    model: CribModel,
    delta: i32,
    reason: AdjustmentReason,
    note: Option<String>,
}

async fn read_adjust(db: &Db, i: &AdjustInput) -> Result<Result<Adjust, FieldErrors>, AppError> {
    let mut p = Problems::default();
    let site = pick_site(db, &mut p, "site_id", &i.site_id).await?;
    let model = pick_model(db, &mut p, "crib_model_id", &i.crib_model_id).await?;
    let sign = match i.direction.as_str() {
        "add" => Some(1),
        "remove" => Some(-1),
        _ => {
            p.add("direction", "Choose whether to add or remove cribs.");
            None
        }
    };
    let n = whole_number(&mut p, "quantity", &i.quantity, "Type how many cribs to add or remove.");
    let delta = match (n, sign) {
        (Some(n), _) if n <= 0 => {
            p.add("quantity", "Type how many cribs, a whole number from 1 to 10000; choose add or remove above.");
            None
        }
        (Some(n), Some(s)) => p.take("quantity", checked_delta(n * s)),
        _ => None,
    };
    let reason = p.take("reason", AdjustmentReason::parse(&i.reason));
    let note = optional_text(&mut p, "note", Some(i.note.clone()), NOTE_MAX_CHARS);
    if let Some(Err(e)) = reason.map(|r| r.check_note(note.as_deref())) {
        p.add("note", e);
    }
    let errors = problems_of(p);
    Ok(match (site, model, delta, reason) {
        (Some(site), Some(model), Some(delta), Some(reason)) if errors.is_empty() => {
            Ok(Adjust { site, model, delta, reason, note })
        }
        _ => Err(errors),
    })
}

async fn adjust_page(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    values: &AdjustInput,
    errors: FieldErrors,
) -> PageResult<(Status, Template)> {
    let reasons: Vec<Choice> = AdjustmentReason::ALL
        .iter()
        .map(|r| Choice { value: r.as_str().into(), label: r.as_str().replace('_', " ") })
        .collect();
    let extra = json!({"values": values, "sites": site_choices(db).await?, "models": model_choices(db).await?,
                       "reasons": reasons});
    Ok(form_page("stock/adjust", "Adjust stock", who, cookies, errors, extra))
}

/// The adjustment form (values may be carried in the query, e.g. `?site_id=1`).
#[get("/stock/adjust?<input..>")]
pub async fn adjust_form(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    input: AdjustInput,
) -> PageResult<(Status, Template)> {
    let input = AdjustInput { form_token: input.form_token.kept(), ..input };
    adjust_page(db.inner(), &user.0, cookies, &input, FieldErrors::new()).await
}

/// Check the adjustment and show what it will do.
#[post("/stock/adjust/confirm", data = "<form>")]
pub async fn adjust_confirm(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<AdjustInput>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let input = AdjustInput { form_token: form.form_token.kept(), ..form.into_inner() };
    let cmd = match read_adjust(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return adjust_page(db, &who, cookies, &input, errors).await,
    };
    let actor = Caller { who: &who, ip: &addr.0 };
    let (site_id, model_id, delta, reason, note) = (cmd.site.id, cmd.model.id, cmd.delta, cmd.reason, cmd.note.clone());
    let outcome = async {
        let before = balance(db, site_id, model_id).await?;
        let after =
            stock_ops::adjust_once(db, actor, Mode::DryRun, site_id, model_id, delta, reason, note).await?.value;
        Ok::<_, AppError>((before, after))
    }
    .await;
    let (before, after) = match outcome {
        Ok(ok) => ok,
        Err(e) => {
            return adjust_page(db, &who, cookies, &input, renamed(refusal(e, "quantity")?, "delta", "quantity")).await
        }
    };
    let (on_hand, available) = before.map(|b| (b.on_hand, b.on_hand - b.reserved)).unwrap_or((0, 0));
    let n = i64::from(delta.abs());
    let fields = hidden(vec![
        ("site_id", site_id.to_string()),
        ("crib_model_id", model_id.to_string()),
        ("direction", if delta > 0 { "add" } else { "remove" }.to_string()),
        ("quantity", n.to_string()),
        ("reason", reason.as_str().to_string()),
        ("note", cmd.note.clone().unwrap_or_default()),
        ("form_token", input.form_token.to_string()),
    ]);
    let (verb, prep) = if delta > 0 { ("add", "to") } else { ("remove", "from") };
    let c = Confirmation {
        heading: "Confirm the adjustment",
        sentence: format!(
            "You are about to {verb} {} {} of {} {prep} {} (reason: {}).",
            spelled(n),
            cribs(n),
            cmd.model.name,
            cmd.site.name,
            reason.as_str()
        ),
        detail: cmd.note.as_ref().map(|n| format!("Note: {n}")),
        changes: vec![
            Change::now(format!("On hand at {}", cmd.site.name), on_hand.into(), after.balance.on_hand.into()),
            Change::now("Available (not reserved)", available.into(), after.balance.available.into()),
        ],
        action: "/stock/adjust".into(),
        back: back_link("/stock/adjust", &fields),
        button: format!("Yes, {verb} {n} {}", cribs(n)),
        hidden: fields,
    };
    Ok(confirm_page(&who, cookies, c))
}

/// Write the confirmed adjustment once, then go to the site's page.
#[post("/stock/adjust", data = "<form>")]
pub async fn adjust_submit(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<AdjustInput>,
) -> Answer {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let input = form.into_inner();
    let cmd = match read_adjust(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return adjust_page(db, &who, cookies, &input, errors).await.map(Either::Right),
    };
    if !input.form_token.is_usable() {
        let input = AdjustInput { form_token: FormToken::fresh(), ..input };
        let errors = form_error("This form had expired. Check the values and confirm again.");
        return adjust_page(db, &who, cookies, &input, errors).await.map(Either::Right);
    }
    let body = json!({"site_id": cmd.site.id, "crib_model_id": cmd.model.id, "delta": cmd.delta,
                      "reason": cmd.reason.as_str(), "note": cmd.note});
    let actor = Caller { who: &who, ip: &addr.0 };
    let Adjust { site, model, delta, reason, note } = cmd;
    let mode = Mode::write(WriteKey::Form(input.form_token.clone()), "POST /stock/adjust", &body);
    let result = stock_ops::adjust_once(db, actor, mode, site.id, model.id, delta, reason, note).await.map(|ran| {
        let r = ran.value;
        Done {
            site_id: site.id,
            message: format!(
                "Adjusted {} at {} by {} ({}). On hand there now: {}.",
                model.name,
                site.name,
                signed(delta.into()),
                reason.as_str(),
                r.balance.on_hand
            ),
        }
    });
    match result {
        Ok(done) => Ok(redirect(done)),
        Err(AppError::IdempotencyConflict) => Err(reused_token()),
        Err(e) => {
            let errors = renamed(refusal(e, "quantity")?, "delta", "quantity");
            adjust_page(db, &who, cookies, &input, errors).await.map(Either::Right)
        }
    }
}
