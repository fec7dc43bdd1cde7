//! `GET /stock/lots?lot=`: "who got lot X", for recalls (managers): every family that got a
//! crib of the lot (name, phone, receipt, site, date), and every stock movement carrying it.
//! Looking it up is a view of those families' records, so it is audited.

use crate::auth::guards::PageManager;
use crate::db::Db;
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
use serde_json::json;
use std::collections::BTreeSet;

/// The lot lookup.
#[get("/stock/lots?<lot>")]
pub async fn lot_lookup(
    user: PageManager,
    db: &State<Db>,
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
    let mut recipients = Vec::new();
    if wanted.chars().count() > LOT_MAX_CHARS {
        errors.insert("lot".into(), vec![format!("A lot code has at most {LOT_MAX_CHARS} characters.")]);
        status = Status::UnprocessableEntity;
    } else if !wanted.is_empty() {
        recipients = crate::store::handouts::with_lot(db, wanted).await?;
        crate::store::audit::record_alone(
            db,
            Some(&who),
            None,
            crate::store::audit::AuditEntry {
                action: "lot.lookup",
                entity: "family",
                entity_id: None,
                detail: Some(format!("lot {wanted}: {} families", recipients.len())),
            },
        )
        .await?;
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
            "recipients": recipients,
            "site_count": site_count,
        }),
    );
    Ok((status, Template::render("stock/lots", ctx)))
}
