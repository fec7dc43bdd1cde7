//! `GET /stock/lots?lot=`: "who got lot X", for recalls (managers): every family that got a
//! crib of the lot (name, phone, receipt, site, date), every stock movement carrying it, and
//! how many hand-outs where and when the lot was at hand recorded no lot (with a link to
//! list them: they may be of it). Looking it up is a view of those families' records, so
//! it is audited.

use crate::auth::guards::PageManager;
use crate::db::Db;
use crate::domain::stock::LOT_MAX_CHARS;
use crate::error::FieldErrors;
use crate::store::handouts::{self, Unrecorded};
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

/// The lot lookup; `unrecorded=1` also lists the hand-outs with no lot recorded within the
/// lot's reach (`handouts::lot_reach`).
#[get("/stock/lots?<lot>&<unrecorded>")]
pub async fn lot_lookup(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    lot: Option<String>,
    unrecorded: Option<&str>,
) -> PageResult<(Status, Template)> {
    let who = user.0;
    let db = db.inner();
    let typed = lot.unwrap_or_default();
    let wanted = typed.trim();
    let mut errors = FieldErrors::new();
    let mut status = Status::Ok;
    let mut rows: Vec<MovementRow> = Vec::new();
    let mut recipients = Vec::new();
    let mut missing = Unrecorded::default();
    let mut missing_list: Option<Vec<serde_json::Value>> = None;
    let mut reached = false;
    if wanted.chars().count() > LOT_MAX_CHARS {
        errors.insert("lot".into(), vec![format!("A lot code has at most {LOT_MAX_CHARS} characters.")]);
        status = Status::UnprocessableEntity;
    } else if !wanted.is_empty() {
        recipients = handouts::with_lot(db, wanted).await?;
        audited(db, &who, format!("lot {wanted}: {} families", recipients.len())).await?;
        let movements = stock_reads::movements_with_lot(db, wanted).await?;
        let reach = handouts::lot_reach(&movements);
        reached = !reach.is_empty();
        missing = handouts::count_without_lot(db, &reach).await?;
        if unrecorded == Some("1") && missing.count > 0 {
            let list = handouts::without_lot(db, &reach).await?;
            audited(db, &who, format!("lot {wanted}, hand-outs without a lot: {} families", list.len())).await?;
            let sites = stock_reads::site_names(db).await?;
            missing_list = Some(
                list.into_iter()
                    .map(|r| {
                        let site = sites.get(&r.site_id).cloned().unwrap_or_default();
                        json!({"r": r, "site": site})
                    })
                    .collect::<Vec<_>>(),
            );
        }
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
            "reached": reached,
            "missing": missing,
            "missing_list": missing_list,
            "missing_max": handouts::UNRECORDED_MAX_ROWS,
            "lot_query": crate::web::stock::pct(wanted),
        }),
    );
    Ok((status, Template::render("stock/lots", ctx)))
}

/// A lookup's audit row (`lot.lookup`): the families it showed are views of their records.
async fn audited(db: &Db, who: &crate::domain::actor::Actor, detail: String) -> Result<(), crate::error::AppError> {
    let entry = crate::store::audit::AuditEntry {
        action: "lot.lookup",
        entity: "family",
        entity_id: None,
        detail: Some(detail),
    };
    crate::store::audit::record_alone(db, Some(who), None, entry).await.map_err(Into::into)
}
