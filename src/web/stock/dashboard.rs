//! `GET /stock`: for managers, every site's available stock per model, the most urgent
//! (low) sites first, and every transfer in transit; for site staff, their own sites and
//! the transfers that touch them. Each site links to its page; each transfer the person
//! may receive has a Receive button.

use crate::auth::guards::PageUser;
use crate::clock;
use crate::db::Db;
use crate::domain::actor::Actor;
use crate::domain::states::TransferStatus;
use crate::error::AppError;
use crate::store::reference::{self, SiteView};
use crate::store::stock_ops::{self, TransferView};
use crate::store::stock_reads;
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::stock::{may_see_stock, site_scope};
use rocket::http::CookieJar;
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use sea_orm::ConnectionTrait;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// One model's stock in a site's row.
#[derive(Debug, Serialize)]
pub struct Cell {
    pub available: Option<i32>,
    pub on_hand: i32,
    pub reserved: i32,
    pub threshold: i32,
    pub low: bool,
}

/// One site's row on the dashboard.
#[derive(Debug, Serialize)]
pub struct SiteRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub neighborhood: Option<String>,
    pub low: bool,
    pub cells: Vec<Cell>,
    /// The smallest margin over a threshold: the lower, the more urgent.
    #[serde(skip)]
    urgency: i32,
}

/// A transfer in transit, with names.
#[derive(Debug, Serialize)]
pub struct TransferRow {
    pub id: i64,
    pub from_site_id: i64,
    pub from: String,
    pub to_site_id: i64,
    pub to: String,
    pub model: String,
    pub quantity: i32,
    pub lot: String,
    pub since: String,
    pub can_receive: bool,
    /// The Receive button's one-time token.
    pub form_token: String,
}

fn site_row(s: SiteView, model_ids: &[i64]) -> SiteRow {
    let by_model: HashMap<i64, _> = s.stock.iter().map(|st| (st.crib_model_id, st)).collect();
    let cells: Vec<Cell> = model_ids
        .iter()
        .map(|m| match by_model.get(m) {
            Some(st) => Cell {
                available: Some(st.available),
                on_hand: st.on_hand,
                reserved: st.reserved,
                threshold: st.low_stock_threshold,
                low: st.low,
            },
            None => Cell { available: None, on_hand: 0, reserved: 0, threshold: 0, low: false },
        })
        .collect();
    let urgency = s.stock.iter().map(|st| st.available - st.low_stock_threshold).min().unwrap_or(i32::MAX);
    SiteRow {
        low: s.low(),
        id: s.id,
        name: s.name,
        kind: s.kind,
        neighborhood: s.neighborhood.map(|n| n.name),
        cells,
        urgency,
    }
}

/// Transfers in transit within the person's scope, with names and whether they may receive each.
pub async fn in_transit(
    db: &impl ConnectionTrait,
    who: &Actor,
    only_site: Option<i64>,
) -> Result<Vec<TransferRow>, AppError> {
    let scope = match only_site {
        Some(id) => Some(vec![id]),
        None => site_scope(who),
    };
    let transfers: Vec<TransferView> =
        stock_ops::transfers(db, scope.as_deref(), Some(TransferStatus::InTransit.as_str())).await?;
    let sites = stock_reads::site_names(db).await?;
    let models = stock_reads::model_names(db).await?;
    let name = |m: &HashMap<i64, String>, id: i64| m.get(&id).cloned().unwrap_or_else(|| format!("#{id}"));
    Ok(transfers
        .into_iter()
        .map(|t| TransferRow {
            id: t.id,
            from_site_id: t.from_site_id,
            from: name(&sites, t.from_site_id),
            to_site_id: t.to_site_id,
            to: name(&sites, t.to_site_id),
            model: name(&models, t.crib_model_id),
            quantity: t.quantity,
            lot: t.lot.unwrap_or_default(),
            since: clock::local_date_time(t.created_at),
            can_receive: who.can_act_at(t.to_site_id),
            form_token: crate::store::write::FormToken::fresh().to_string(),
        })
        .collect())
}

/// The stock dashboard.
#[get("/stock")]
pub async fn dashboard(
    user: PageUser,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
) -> PageResult<Template> {
    let who = user.0;
    may_see_stock(&who)?;
    let db = db.inner();
    let models = reference::crib_models(db).await?;
    let model_ids: Vec<i64> = models.iter().map(|m| m.id).collect();
    let scope = site_scope(&who);
    let mut rows: Vec<SiteRow> =
        reference::sites(db, scope.as_deref()).await?.into_iter().map(|s| site_row(s, &model_ids)).collect();
    rows.sort_by(|a, b| (!a.low, a.urgency, &a.name).cmp(&(!b.low, b.urgency, &b.name)));
    let low_count = rows.iter().filter(|r| r.low).count();
    let transfers = in_transit(db, &who, None).await?;
    let models: Vec<_> = models.into_iter().map(|m| json!({"id": m.id, "name": m.name})).collect();
    let ctx = page(
        "Stock",
        Some(&who),
        cookies,
        flash,
        json!({
            "is_manager": who.is_manager(),
            "models": models,
            "sites": rows,
            "low_count": low_count,
            "transfers": transfers,
        }),
    );
    Ok(Template::render("stock/dashboard", ctx))
}
