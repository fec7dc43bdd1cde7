//! The count form of a site (`/stock/sites/<id>/count`, managers and staff of the site):
//! a physical count that writes the correction movement. Same flow as the other forms:
//! form → confirm (dry run, the count in words, before/after) → written once → site page.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::stock::{checked_count, in_words};
use crate::error::Problems;
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
use crate::web::stock::write::{pick_model, problems_of, refusal, whole_number, Done};
use crate::web::stock::{model_choices, signed, site_in_scope};
use rocket::form::FromForm;
use rocket::http::{CookieJar, Status};
use rocket::{get, post, Either, State};
use rocket_dyn_templates::Template;
use serde::Serialize;
use serde_json::json;

/// The count form as typed (the site is in the address).
#[derive(Debug, Default, Clone, FromForm, Serialize)]
pub struct CountInput {
    #[field(default = String::new())]
    pub crib_model_id: String,
    #[field(default = String::new())]
    pub counted: String,
    pub form_token: FormToken,
    #[serde(skip)]
    #[field(default = String::new())]
    pub csrf_token: String,
}

async fn read_count(db: &Db, i: &CountInput) -> Result<Result<(CribModel, i32), FieldErrors>, AppError> {
    let mut p = Problems::default();
    let model = pick_model(db, &mut p, "crib_model_id", &i.crib_model_id).await?;
    let counted = whole_number(&mut p, "counted", &i.counted, "Type how many cribs you counted.")
        .and_then(|n| p.take("counted", checked_count(n)));
    let errors = problems_of(p);
    Ok(match (model, counted) {
        (Some(m), Some(c)) if errors.is_empty() => Ok((m, c)),
        _ => Err(errors),
    })
}

async fn count_page(
    db: &Db,
    who: &Actor,
    cookies: &CookieJar<'_>,
    site: &Site,
    values: &CountInput,
    errors: FieldErrors,
) -> PageResult<(Status, Template)> {
    let extra =
        json!({"values": values, "site": {"id": site.id, "name": site.name}, "models": model_choices(db).await?});
    Ok(form_page("stock/count", "Count stock", who, cookies, errors, extra))
}

/// The count form of a site (managers, staff of the site).
#[get("/stock/sites/<id>/count?<input..>")]
pub async fn count_form(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    id: i64,
    input: CountInput,
) -> PageResult<(Status, Template)> {
    let (who, db) = (user.0, db.inner());
    let site = site_in_scope(db, &who, id).await?;
    let input = CountInput { form_token: input.form_token.kept(), ..input };
    count_page(db, &who, cookies, &site, &input, FieldErrors::new()).await
}

/// Check the count and show the correction it will write.
#[post("/stock/sites/<id>/count/confirm", data = "<form>")]
pub async fn count_confirm(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<CountInput>,
) -> PageResult<(Status, Template)> {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let site = site_in_scope(db, &who, id).await?;
    let input = CountInput { form_token: form.form_token.kept(), ..form.into_inner() };
    let (model, counted) = match read_count(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return count_page(db, &who, cookies, &site, &input, errors).await,
    };
    let actor = Caller { who: &who, ip: &addr.0 };
    let model_id = model.id;
    let outcome = async {
        let before = balance(db, id, model_id).await?;
        let after = stock_ops::count_once(db, actor, Mode::DryRun, id, model_id, counted).await?.value;
        Ok::<_, AppError>((before, after))
    }
    .await;
    let (before, after) = match outcome {
        Ok(ok) => ok,
        Err(e) => return count_page(db, &who, cookies, &site, &input, refusal(e, "counted")?).await,
    };
    let (on_hand, available) = before.map(|b| (b.on_hand, b.on_hand - b.reserved)).unwrap_or((0, 0));
    let correction = i64::from(counted) - i64::from(on_hand);
    let fields = hidden(vec![
        ("crib_model_id", model_id.to_string()),
        ("counted", counted.to_string()),
        ("form_token", input.form_token.to_string()),
    ]);
    let n = i64::from(counted);
    let detail = if correction == 0 {
        "That matches the ledger: no correction will be written.".to_string()
    } else {
        format!(
            "The ledger says {on_hand}, so this writes a correction of {} ({}).",
            signed(correction),
            in_words(correction)
        )
    };
    let c = Confirmation {
        heading: "Confirm the count",
        sentence: format!(
            "You are about to record a count of {} {} of {} at {}.",
            spelled(n),
            cribs(n),
            model.name,
            site.name
        ),
        detail: Some(detail),
        changes: vec![
            Change::now(format!("On hand at {}", site.name), on_hand.into(), after.balance.on_hand.into()),
            Change::now("Available (not reserved)", available.into(), after.balance.available.into()),
        ],
        action: format!("/stock/sites/{id}/count"),
        back: back_link(&format!("/stock/sites/{id}/count"), &fields),
        button: format!("Yes, record {n} {}", cribs(n)),
        hidden: fields,
    };
    Ok(confirm_page(&who, cookies, c))
}

/// Write the confirmed count once, then go to the site's page.
#[post("/stock/sites/<id>/count", data = "<form>")]
pub async fn count_submit(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<CountInput>,
) -> Answer {
    csrf::verify(cookies, &form.csrf_token)?;
    let (who, db) = (user.0, db.inner());
    let site = site_in_scope(db, &who, id).await?;
    let input = form.into_inner();
    let (model, counted) = match read_count(db, &input).await? {
        Ok(c) => c,
        Err(errors) => return count_page(db, &who, cookies, &site, &input, errors).await.map(Either::Right),
    };
    if !input.form_token.is_usable() {
        let input = CountInput { form_token: FormToken::fresh(), ..input };
        let errors = form_error("This form had expired. Check the values and confirm again.");
        return count_page(db, &who, cookies, &site, &input, errors).await.map(Either::Right);
    }
    let body = json!({"site_id": id, "crib_model_id": model.id, "counted": counted});
    let route = format!("POST /stock/sites/{id}/count");
    let actor = Caller { who: &who, ip: &addr.0 };
    let site_name = site.name.clone();
    let mode = Mode::write(WriteKey::Form(input.form_token.clone()), &route, &body);
    let result = stock_ops::count_once(db, actor, mode, id, model.id, counted).await.map(|ran| {
        let r = ran.value;
        Done {
            site_id: id,
            message: match r.movement {
                Some(m) => format!(
                    "Count recorded: {counted} {} of {} at {site_name} (a correction of {}).",
                    cribs(counted.into()),
                    model.name,
                    signed(m.quantity.into())
                ),
                None => format!(
                    "Count recorded: {counted} {} of {} at {site_name}; it matched the ledger.",
                    cribs(counted.into()),
                    model.name
                ),
            },
        }
    });
    match result {
        Ok(done) => Ok(redirect(done)),
        Err(AppError::IdempotencyConflict) => Err(reused_token()),
        Err(e) => count_page(db, &who, cookies, &site, &input, refusal(e, "counted")?).await.map(Either::Right),
    }
}
