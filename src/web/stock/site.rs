//! A site's stock page, `GET /stock/sites/<id>`: on hand, reserved and available per
//! model in large numbers; transfers on their way in (with Receive) and out; the count
//! form; the movement history with filters, pagination and a CSV link. Staff of another
//! site get 404. Also the Receive action, `POST /stock/transfers/<id>/receive`.

use crate::auth::csrf;
use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::error::{AppError, FieldErrors};
use crate::store::audit::Caller;
use crate::store::stock_ops;
use crate::store::write::{FormToken, Mode, WriteKey};
use crate::store::{reference, stock_reads};
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::fields::TokenOnly;
use crate::web::input::Checked;
use crate::web::stock::dashboard::in_transit;
use crate::web::stock::history::{kind_choices, HistoryQuery, MovementRow, Names, PER_PAGE};
use crate::web::stock::{model_choices, site_in_scope};
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::response::{Flash, Redirect};
use rocket::{get, post, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

/// A site's page.
#[get("/stock/sites/<id>?<q..>")]
pub async fn site_page(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    id: i64,
    q: HistoryQuery,
) -> PageResult<(Status, Template)> {
    let who = user.0;
    let db = db.inner();
    let site = site_in_scope(db, &who, id).await?;
    let view = reference::sites(db, Some(&[id])).await?.into_iter().next().ok_or(AppError::NotFound)?;
    let transfers = in_transit(db, &who, Some(id)).await?;
    let (incoming, outgoing): (Vec<_>, Vec<_>) = transfers.into_iter().partition(|t| t.to_site_id == id);
    let read = q.read();
    let (status, history) = if read.errors.is_empty() {
        let (items, total) = stock_ops::movements(db, id, &read.filter, read.page, PER_PAGE).await?;
        let user_ids: Vec<i64> = items.iter().filter_map(|m| m.user_id).collect();
        let (sites, models, users) = (
            stock_reads::site_names(db).await?,
            stock_reads::model_names(db).await?,
            stock_reads::user_names(db, &user_ids).await?,
        );
        let names = Names { sites: &sites, models: &models, users: &users };
        let rows: Vec<MovementRow> = items.into_iter().map(|m| MovementRow::new(m, &names)).collect();
        (Status::Ok, history_context(&q, rows, read.page, total))
    } else {
        (Status::UnprocessableEntity, json!({"rows": [], "total": 0, "pages": 0}))
    };
    let ctx = page(
        &site.name,
        Some(&who),
        cookies,
        flash,
        json!({
            "site": {"id": site.id, "name": site.name, "kind": site.kind, "address": site.address,
                     "neighborhood": view.neighborhood.as_ref().map(|n| n.name.clone())},
            "stock": view.stock,
            "incoming": incoming,
            "outgoing": outgoing,
            "is_manager": who.is_manager(),
            "models": model_choices(db).await?,
            "kinds": kind_choices(),
            "count": {"values": {"crib_model_id": "", "counted": "", "form_token": FormToken::fresh()}, "errors": FieldErrors::new()},
            "filters": q,
            "filter_errors": read.errors,
            "history": history,
            "csv_href": csv_href(id, &q),
        }),
    );
    Ok((status, Template::render("stock/site", ctx)))
}

fn csv_href(site_id: i64, q: &HistoryQuery) -> String {
    match q.query_string() {
        qs if qs.is_empty() => format!("/stock/sites/{site_id}/movements.csv"),
        qs => format!("/stock/sites/{site_id}/movements.csv?{qs}"),
    }
}

fn history_context(q: &HistoryQuery, rows: Vec<MovementRow>, page: u64, total: u64) -> Value {
    let pages = total.div_ceil(PER_PAGE).max(1);
    let base = q.query_string();
    let link = |p: u64| if base.is_empty() { format!("?page={p}") } else { format!("?{base}&page={p}") };
    json!({
        "rows": rows,
        "total": total,
        "page": page,
        "pages": pages,
        "prev": (page > 1).then(|| link(page - 1)),
        "next": (page < pages).then(|| link(page + 1)),
    })
}

/// Receive an in-transit transfer (managers, staff of the receiving site).
#[post("/stock/transfers/<id>/receive", data = "<form>")]
pub async fn receive(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    addr: ClientAddr,
    id: i64,
    form: Checked<TokenOnly>,
) -> PageResult<Flash<Redirect>> {
    csrf::verify(cookies, &form.csrf_token)?;
    let who = user.0;
    let db = db.inner();
    let route = format!("POST /stock/transfers/{id}/receive");
    let mode = Mode::write(WriteKey::Form(form.form_token.clone()), &route, &Value::Null);
    match stock_ops::finish_transfer(db, Caller { who: &who, ip: &addr.0 }, mode, id, true).await {
        Ok(ran) => {
            let t = ran.value;
            let models = stock_reads::model_names(db).await?;
            let model = models.get(&t.crib_model_id).cloned().unwrap_or_default();
            let msg = format!("Received {} cribs of {model} (transfer #{}).", t.quantity, t.id);
            Ok(Flash::success(Redirect::to(format!("/stock/sites/{}", t.to_site_id)), msg))
        }
        Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_))) => {
            Ok(Flash::error(Redirect::to("/stock"), e.sentence()))
        }
        Err(e) => Err(e.into()),
    }
}
