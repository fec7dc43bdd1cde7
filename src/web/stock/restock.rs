//! The restock form (`/stock/restock`, managers): cribs arrive at a site, with a lot and a
//! note. GET form → POST `…/confirm` (re-validated by a dry run, quantity in words,
//! balances before and after) → POST to the action (written once per form token) → 303
//! to the site page with a flash message.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::stock::{Quantity, LOT_MAX_CHARS, NOTE_MAX_CHARS};
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
use crate::web::stock::{model_choices, site_choices};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::json;

/// The restock form as typed.
#[derive(Debug, Default, Clone, FromForm, Serialize)]
pub struct RestockInput {
    #[field(default = String::new())]
    pub site_id: String,
    #[field(default = String::new())]
    pub crib_model_id: String,
    #[field(default = String::new())]
    pub quantity: String,
    #[field(default = String::new())]
    pub lot: String,
    #[field(default = String::new())]
    pub note: String,
    pub form_token: FormToken,
    #[serde(skip)]
    #[field(default = String::new())]
    pub csrf_token: String,
}

struct Restock {
    site: Site,
    model: CribModel,
    quantity: i32,
    lot: Option<String>,
    note: Option<String>,
}

async fn read_restock(db: &Db, i: &RestockInput) -> Result<Result<Restock, FieldErrors>, AppError> {
    let mut p = Problems::default();
    let site = pick_site(db, &mut p, "site_id", &i.site_id).await?;
    let model = pick_model(db, &mut p, "crib_model_id", &i.crib_model_id).await?;
    let quantity = whole_number(&mut p, "quantity", &i.quantity, "Type how many cribs arrived.")
        .and_then(|n| p.take("quantity", Quantity::new(n)));
    let lot = optional_text(&mut p, "lot", Some(i.lot.clone()), LOT_MAX_CHARS);
    let note = optional_text(&mut p, "note", Some(i.note.clone()), NOTE_MAX_CHARS);
    let errors = problems_of(p);
    Ok(match (site, model, quantity) {
        (Some(site), Some(model), Some(q)) if errors.is_empty() => {
            Ok(Restock { site, model, quantity: q.get(), lot, note })
        }
        _ => Err(errors),
    })
}

async fn restock_page(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    values: &RestockInput,
    errors: FieldErrors,
) -> PageResult<(Status, Template)> {
    let extra = json!({"values": values, "sites": site_choices(db).await?, "models": model_choices(db).await?});
    Ok(form_page("stock/restock", "Restock a site", who, cookies, errors, extra))
}

/// The restock form (values may be carried in the query, e.g. `?site_id=1`).
#[get("/stock/restock?<input..>")]
pub async fn restock_form(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    input: RestockInput,
) -> PageResult<(Status, Template)> {
    let input = RestockInput { form_token: input.form_token.kept(), ..input };
    restock_page(db.inner(), &user.0, cookies, &input, FieldErrors::new()).await
}

/// Check the restock and show what it will do.
#[post("/stock/restock/confirm", data = "<form>")]
pub async fn restock_confirm(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<RestockInput>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let input = RestockInput { form_token: form.form_token.kept(), ..form.into_inner() };
    let cmd = match read_restock(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return restock_page(db, &who, cookies, &input, errors).await,
    };
    let actor = Caller { who: &who, ip: &addr.0 };
    let (site_id, model_id, q, lot, note) =
        (cmd.site.id, cmd.model.id, cmd.quantity, cmd.lot.clone(), cmd.note.clone());
    let outcome = async {
        let before = balance(db, site_id, model_id).await?;
        let after = stock_ops::restock(db, actor, Mode::DryRun, site_id, model_id, q, lot, note).await?.value;
        Ok::<_, AppError>((before, after))
    }
    .await;
    let (before, after) = match outcome {
        Ok(ok) => ok,
        Err(e) => return restock_page(db, &who, cookies, &input, refusal(e, "quantity")?).await,
    };
    let (on_hand, available) = before.map(|b| (b.on_hand, b.on_hand - b.reserved)).unwrap_or((0, 0));
    let fields = hidden(vec![
        ("site_id", site_id.to_string()),
        ("crib_model_id", model_id.to_string()),
        ("quantity", q.to_string()),
        ("lot", cmd.lot.clone().unwrap_or_default()),
        ("note", cmd.note.clone().unwrap_or_default()),
        ("form_token", input.form_token.to_string()),
    ]);
    let n = i64::from(q);
    let c = Confirmation {
        heading: "Confirm the restock",
        sentence: format!(
            "You are about to add {} {} of {} to {}.",
            spelled(n),
            cribs(n),
            cmd.model.name,
            cmd.site.name
        ),
        detail: match (&cmd.lot, &cmd.note) {
            (None, None) => None,
            (lot, note) => Some(
                [lot.as_ref().map(|l| format!("Lot: {l}.")), note.as_ref().map(|n| format!("Note: {n}"))]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
        },
        changes: vec![
            Change::now(format!("On hand at {}", cmd.site.name), on_hand.into(), after.balance.on_hand.into()),
            Change::now("Available (not reserved)", available.into(), after.balance.available.into()),
        ],
        action: "/stock/restock".into(),
        back: back_link("/stock/restock", &fields),
        button: format!("Yes, add {n} {}", cribs(n)),
        hidden: fields,
    };
    Ok(confirm_page(&who, cookies, c))
}

/// Write the confirmed restock once, then go to the site's page.
#[post("/stock/restock", data = "<form>")]
pub async fn restock_submit(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<RestockInput>,
) -> Answer {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let input = form.into_inner();
    let cmd = match read_restock(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return restock_page(db, &who, cookies, &input, errors).await.map(Either::Right),
    };
    if !input.form_token.is_usable() {
        let input = RestockInput { form_token: FormToken::fresh(), ..input };
        let errors = form_error("This form had expired. Check the values and confirm again.");
        return restock_page(db, &who, cookies, &input, errors).await.map(Either::Right);
    }
    let body = json!({"site_id": cmd.site.id, "crib_model_id": cmd.model.id, "quantity": cmd.quantity,
                      "lot": cmd.lot, "note": cmd.note});
    let actor = Caller { who: &who, ip: &addr.0 };
    let Restock { site, model, quantity: q, lot, note } = cmd;
    let mode = Mode::write(WriteKey::Form(input.form_token.clone()), "POST /stock/restock", &body);
    let result = stock_ops::restock(db, actor, mode, site.id, model.id, q, lot, note).await.map(|ran| {
        let r = ran.value;
        Done {
            site_id: site.id,
            message: format!(
                "Added {q} {} of {} to {}. On hand there now: {}.",
                cribs(q.into()),
                model.name,
                site.name,
                r.balance.on_hand
            ),
        }
    });
    match result {
        Ok(done) => Ok(redirect(done)),
        Err(AppError::IdempotencyConflict) => Err(reused_token()),
        Err(e) => restock_page(db, &who, cookies, &input, refusal(e, "quantity")?).await.map(Either::Right),
    }
}
