//! The transfer form (`/stock/transfer`, managers): cribs leave one site at once and
//! arrive at another when someone there receives them. Same flow as the restock form:
//! form → confirm (dry run, quantity in words, before/after) → written once → site page.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageManager};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::stock::{check_transfer_sites, Quantity, LOT_MAX_CHARS};
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

/// The transfer form as typed.
#[derive(Debug, Default, Clone, FromForm, Serialize)]
pub struct TransferInput {
    #[field(default = String::new())]
    pub from_site_id: String,
    #[field(default = String::new())]
    pub to_site_id: String,
    #[field(default = String::new())]
    pub crib_model_id: String,
    #[field(default = String::new())]
    pub quantity: String,
    #[field(default = String::new())]
    pub lot: String,
    pub form_token: FormToken,
    #[serde(skip)]
    #[field(default = String::new())]
    pub csrf_token: String,
}

struct Transfer {
    from: Site,
    to: Site,
    model: CribModel,
    quantity: i32,
    lot: Option<String>,
}

async fn read_transfer(db: &Db, i: &TransferInput) -> Result<Result<Transfer, FieldErrors>, AppError> {
    let mut p = Problems::default();
    let from = pick_site(db, &mut p, "from_site_id", &i.from_site_id).await?;
    let to = pick_site(db, &mut p, "to_site_id", &i.to_site_id).await?;
    if let (Some(f), Some(t)) = (&from, &to) {
        if let Err(e) = check_transfer_sites(f.id, t.id) {
            p.add("to_site_id", e);
        }
    }
    let model = pick_model(db, &mut p, "crib_model_id", &i.crib_model_id).await?;
    let quantity = whole_number(&mut p, "quantity", &i.quantity, "Type how many cribs to send.")
        .and_then(|n| p.take("quantity", Quantity::new(n)));
    let lot = optional_text(&mut p, "lot", Some(i.lot.clone()), LOT_MAX_CHARS);
    let errors = problems_of(p);
    Ok(match (from, to, model, quantity) {
        (Some(from), Some(to), Some(model), Some(q)) if errors.is_empty() => {
            Ok(Transfer { from, to, model, quantity: q.get(), lot })
        }
        _ => Err(errors),
    })
}

async fn transfer_page(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    values: &TransferInput,
    errors: FieldErrors,
) -> PageResult<(Status, Template)> {
    let extra = json!({"values": values, "sites": site_choices(db).await?, "models": model_choices(db).await?});
    Ok(form_page("stock/transfer", "Move cribs between sites", who, cookies, errors, extra))
}

/// The transfer form (values may be carried in the query, e.g. `?from_site_id=4`).
#[get("/stock/transfer?<input..>")]
pub async fn transfer_form(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    input: TransferInput,
) -> PageResult<(Status, Template)> {
    let input = TransferInput { form_token: input.form_token.kept(), ..input };
    transfer_page(db.inner(), &user.0, cookies, &input, FieldErrors::new()).await
}

/// Check the transfer and show what it will do.
#[post("/stock/transfer/confirm", data = "<form>")]
pub async fn transfer_confirm(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<TransferInput>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let input = TransferInput { form_token: form.form_token.kept(), ..form.into_inner() };
    let cmd = match read_transfer(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return transfer_page(db, &who, cookies, &input, errors).await,
    };
    let actor = Caller { who: &who, ip: &addr.0 };
    let (from, to, model, q, lot) = (cmd.from.id, cmd.to.id, cmd.model.id, cmd.quantity, cmd.lot.clone());
    let outcome = async {
        let before_from = balance(db, from, model).await?;
        let before_to = balance(db, to, model).await?;
        stock_ops::transfer(db, actor, Mode::DryRun, from, to, model, q, lot).await?;
        Ok::<_, AppError>((before_from, before_to))
    }
    .await;
    let (before_from, before_to) = match outcome {
        Ok(ok) => ok,
        Err(e) => return transfer_page(db, &who, cookies, &input, refusal(e, "quantity")?).await,
    };
    let available = |b: &Option<crate::store::reference::Balance>| b.as_ref().map_or(0, |b| b.on_hand - b.reserved);
    let to_on_hand = before_to.as_ref().map_or(0, |b| b.on_hand);
    let fields = hidden(vec![
        ("from_site_id", from.to_string()),
        ("to_site_id", to.to_string()),
        ("crib_model_id", model.to_string()),
        ("quantity", q.to_string()),
        ("lot", cmd.lot.clone().unwrap_or_default()),
        ("form_token", input.form_token.to_string()),
    ]);
    let n = i64::from(q);
    let c = Confirmation {
        heading: "Confirm the transfer",
        sentence: format!(
            "You are about to move {} {} of {} from {} to {}.",
            spelled(n),
            cribs(n),
            cmd.model.name,
            cmd.from.name,
            cmd.to.name
        ),
        detail: Some(format!(
            "They leave {} at once and arrive at {} when someone there receives them.",
            cmd.from.name, cmd.to.name
        )),
        changes: vec![
            Change::now(
                format!("Available at {}", cmd.from.name),
                available(&before_from).into(),
                (available(&before_from) - q).into(),
            ),
            Change {
                label: format!("On hand at {}", cmd.to.name),
                before: to_on_hand.into(),
                after: format!("{} once received", i64::from(to_on_hand) + n),
            },
        ],
        action: "/stock/transfer".into(),
        back: back_link("/stock/transfer", &fields),
        button: format!("Yes, send {n} {}", cribs(n)),
        hidden: fields,
    };
    Ok(confirm_page(&who, cookies, c))
}

/// Write the confirmed transfer once, then go to the sending site's page.
#[post("/stock/transfer", data = "<form>")]
pub async fn transfer_submit(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    form: Checked<TransferInput>,
) -> Answer {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let input = form.into_inner();
    let cmd = match read_transfer(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return transfer_page(db, &who, cookies, &input, errors).await.map(Either::Right),
    };
    if !input.form_token.is_usable() {
        let input = TransferInput { form_token: FormToken::fresh(), ..input };
        let errors = form_error("This form had expired. Check the values and confirm again.");
        return transfer_page(db, &who, cookies, &input, errors).await.map(Either::Right);
    }
    let body = json!({"from_site_id": cmd.from.id, "to_site_id": cmd.to.id, "crib_model_id": cmd.model.id,
                      "quantity": cmd.quantity, "lot": cmd.lot});
    let actor = Caller { who: &who, ip: &addr.0 };
    let Transfer { from, to, model, quantity: q, lot } = cmd;
    let mode = Mode::write(WriteKey::Form(input.form_token.clone()), "POST /stock/transfer", &body);
    let result = stock_ops::transfer(db, actor, mode, from.id, to.id, model.id, q, lot).await.map(|ran| {
        let t = ran.value;
        Done {
            site_id: from.id,
            message: format!(
                "Sent {q} {} of {} from {} to {} (transfer #{}). They arrive when someone at {} receives them.",
                cribs(q.into()),
                model.name,
                from.name,
                to.name,
                t.id,
                to.name
            ),
        }
    });
    match result {
        Ok(done) => Ok(redirect(done)),
        Err(AppError::IdempotencyConflict) => Err(reused_token()),
        Err(e) => transfer_page(db, &who, cookies, &input, refusal(e, "quantity")?).await.map(Either::Right),
    }
}
