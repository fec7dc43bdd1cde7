//! `GET /stock/lots?lot=`: "who got lot X", for recalls (managers). For now it lists every
//! stock movement carrying the lot: where it arrived, moved and left, with dates and
//! quantities.

use crate::auth::guards::PageManager;
use crate::domain::stock::LOT_MAX_CHARS;
use crate::error::FieldErrors;
use crate::store::stock_ops::MovementView;
use crate::store::stock_reads;
use crate::web::context::page;
use crate::web::error_page::PageResult;
use crate::web::stock::history::{MovementRow, Names};
use rocket::http::{CookieJar, Status};
use rocket::{get, State};
use rocket_dyn_templates::Template;
use sea_orm::DatabaseConnection;
use serde_json::json;
use std::collections::BTreeSet;

/// The lot lookup.
#[get("/stock/lots?<lot>")]
pub async fn lot_lookup(
    user: PageManager,
    db: &State<DatabaseConnection>,
    cookies: &CookieJar<'_>,
    lot: Option<String>,
) -> PageResult<(Status, Template)> {
    let who = user.0;
    let db = db.inner();
    let typed = lot.unwrap_or_default();
    let wanted = typed.trim();
    let mut errors = FieldErrors::new();
    let mut status = Status::Ok;
    let mut rows: Vec<MovementRow> = Vec::new();
    if wanted.chars().count() > LOT_MAX_CHARS {
        errors.insert("lot".into(), vec![format!("A lot code has at most {LOT_MAX_CHARS} characters.")]);
        status = Status::UnprocessableEntity;
    } else if !wanted.is_empty() {
        // NOTE: handouts will be added here when the handouts table exists: each family that
        // got a crib of this lot (name, phone, date, site, receipt number), so a recall can
        // reach them. Until then the ledger's movements show where the lot went.
        let movements = stock_reads::movements_with_lot(db, wanted).await?;
        let user_ids: Vec<i64> = movements.iter().filter_map(|m| m.user_id).collect();
        let (sites, models, users) = (
            stock_reads::site_names(db).await?,
            stock_reads::model_names(db).await?,
            stock_reads::user_names(db, &user_ids).await?,
        );
        let names = Names { sites: &sites, models: &models, users: &users };
        rows = movements.into_iter().map(|m| MovementRow::new(MovementView::from(m), &names)).collect();
    }
    let site_count = rows.iter().map(|r| r.site_id).collect::<BTreeSet<_>>().len();
    let ctx = page(
        "Lot lookup",
        Some(&who),
        cookies,
        None,
        json!({
            "lot": typed,
            "searched": !wanted.is_empty() && errors.is_empty(),
            "errors": errors,
            "rows": rows,
            "site_count": site_count,
        }),
    );
    Ok((status, Template::render("stock/lots", ctx)))
}
