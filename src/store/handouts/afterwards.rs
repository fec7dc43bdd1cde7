//! After a handout: its void (a reversing movement returns the crib; the row stays,
//! marked) and the lot lookup for a recall, with the hand-outs that recorded no lot where
//! and when the lot was at hand (they may be of it).

use super::get;
use crate::domain::actor::Actor;
use crate::domain::states::FollowUpStatus;
use crate::entity::{follow_up, handout};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use crate::store::families;
use crate::store::family_view::HandoutView;
use crate::store::stock::{apply_movement, MovementKind, NewMovement, StockError};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

/// Void a handout (managers): a reversing movement returns the crib; the row stays, marked.
pub async fn void(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    id: i64,
    reason: &str,
) -> Result<HandoutView, AppError> {
    let h = get(db, id).await?;
    let now = crate::clock::now();
    let changed = handout::Entity::update_many()
        .col_expr(handout::Column::VoidedAt, Expr::value(now))
        .col_expr(handout::Column::VoidedBy, Expr::value(who.id))
        .col_expr(handout::Column::VoidReason, Expr::value(reason))
        .filter(handout::Column::Id.eq(id))
        .filter(handout::Column::VoidedAt.is_null())
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(AppError::Conflict("This handout is already voided.".into()));
    }
    apply_movement(
        db,
        NewMovement {
            site_id: h.site_id,
            crib_model_id: h.crib_model_id,
            kind: MovementKind::HandoutVoid,
            quantity: 1,
            lot: h.lot.clone(),
            reason: Some("void".into()),
            note: Some(reason.chars().take(500).collect()),
            transfer_id: None,
            handout_id: Some(h.id),
            user_id: Some(who.id),
        },
    )
    .await
    .map_err(|e| match e {
        StockError::Db(e) => AppError::from(e),
        other => AppError::Internal(other.to_string()),
    })?;
    follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value(FollowUpStatus::Cancelled.as_str()))
        .col_expr(follow_up::Column::ClosedAt, Expr::value(now))
        .filter(follow_up::Column::HandoutId.eq(id))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Due.as_str()))
        .exec(db)
        .await?;
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry { action: "handout.void", entity: "handout", entity_id: Some(id), detail: Some(reason.to_string()) },
    )
    .await?;
    Ok(get(db, id).await?.into())
}

/// A family that got a crib of a lot, for a recall.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LotRecipient {
    pub handout_id: i64,
    pub receipt_number: String,
    pub family_id: i64,
    pub caregiver: String,
    pub phone: Option<String>,
    pub site_id: i64,
    pub handed_out_on: chrono::NaiveDate,
    pub voided: bool,
    /// Staff said the box had no lot number (only in `without_lot`).
    pub no_lot_on_box: bool,
}

/// Every handout of a lot (voided ones included and marked), newest first.
pub async fn with_lot(db: &impl ConnectionTrait, lot: &str) -> Result<Vec<LotRecipient>, AppError> {
    use sea_orm::QueryOrder;
    let rows = handout::Entity::find()
        .filter(handout::Column::Lot.eq(lot))
        .order_by_desc(handout::Column::HandedOutAt)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for h in rows {
        let fam = families::get(db, h.family_id).await?;
        out.push(LotRecipient {
            handout_id: h.id,
            receipt_number: h.receipt_number,
            family_id: fam.id,
            caregiver: format!("{} {}", fam.first_name, fam.last_name),
            phone: fam.phone,
            site_id: h.site_id,
            handed_out_on: h.handed_out_on,
            voided: h.voided_at.is_some(),
            no_lot_on_box: h.no_lot_on_box,
        });
    }
    Ok(out)
}

/// Where a lot was at hand: a site that received it (a restock or a transfer in), of its
/// crib model, from the New York day it first arrived there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LotReach {
    pub site_id: i64,
    pub crib_model_id: i64,
    pub since: chrono::NaiveDate,
}

/// Where a lot was at hand, from its movements: each site and model that received it (a
/// restock or a transfer in), from the New York day it first arrived there.
pub fn lot_reach(movements: &[crate::entity::stock_movement::Model]) -> Vec<LotReach> {
    let arrived =
        [crate::store::stock::MovementKind::Receipt.as_str(), crate::store::stock::MovementKind::TransferIn.as_str()];
    let mut first: std::collections::BTreeMap<(i64, i64), chrono::NaiveDate> = std::collections::BTreeMap::new();
    for m in movements.iter().filter(|m| arrived.contains(&m.kind.as_str())) {
        let day = crate::clock::date_in_new_york(m.created_at);
        first.entry((m.site_id, m.crib_model_id)).and_modify(|d| *d = (*d).min(day)).or_insert(day);
    }
    first.into_iter().map(|((site_id, crib_model_id), since)| LotReach { site_id, crib_model_id, since }).collect()
}

/// How many live hand-outs within a lot's reach have no lot recorded, and how many of
/// those staff marked "no lot number on the box" (the rest: nobody said).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Unrecorded {
    pub count: u64,
    pub said_none: u64,
}

/// The most hand-outs `without_lot` lists.
pub const UNRECORDED_MAX_ROWS: u64 = 2_000;

/// Live hand-outs with no lot recorded within a lot's reach: at a site that received the
/// lot, of its model, on or after the day it arrived there (None: the lot reached nowhere).
fn without_lot_query(reach: &[LotReach]) -> Option<sea_orm::Select<handout::Entity>> {
    use sea_orm::Condition;
    if reach.is_empty() {
        return None;
    }
    let mut any = Condition::any();
    for r in reach {
        any = any.add(
            Condition::all()
                .add(handout::Column::SiteId.eq(r.site_id))
                .add(handout::Column::CribModelId.eq(r.crib_model_id))
                .add(handout::Column::HandedOutOn.gte(r.since)),
        );
    }
    Some(
        handout::Entity::find()
            .filter(handout::Column::Lot.is_null())
            .filter(handout::Column::VoidedAt.is_null())
            .filter(any),
    )
}

/// How many hand-outs within a lot's reach have no lot recorded (`without_lot_query`).
pub async fn count_without_lot(db: &impl ConnectionTrait, reach: &[LotReach]) -> Result<Unrecorded, AppError> {
    use sea_orm::PaginatorTrait;
    let Some(q) = without_lot_query(reach) else { return Ok(Unrecorded::default()) };
    let count = q.clone().count(db).await?;
    let said_none = if count == 0 { 0 } else { q.filter(handout::Column::NoLotOnBox.eq(true)).count(db).await? };
    Ok(Unrecorded { count, said_none })
}

/// The hand-outs within a lot's reach with no lot recorded, newest first (at most
/// `UNRECORDED_MAX_ROWS`), with their families, for the calls of a recall.
pub async fn without_lot(db: &impl ConnectionTrait, reach: &[LotReach]) -> Result<Vec<LotRecipient>, AppError> {
    use sea_orm::{QueryOrder, QuerySelect};
    let Some(q) = without_lot_query(reach) else { return Ok(Vec::new()) };
    let rows = q
        .order_by_desc(handout::Column::HandedOutAt)
        .order_by_desc(handout::Column::Id)
        .limit(UNRECORDED_MAX_ROWS)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|h| h.family_id).collect();
    let families: std::collections::HashMap<i64, crate::entity::family::Model> = crate::entity::family::Entity::find()
        .filter(crate::entity::family::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    Ok(rows
        .into_iter()
        .filter_map(|h| {
            let fam = families.get(&h.family_id)?;
            Some(LotRecipient {
                handout_id: h.id,
                receipt_number: h.receipt_number,
                family_id: fam.id,
                caregiver: format!("{} {}", fam.first_name, fam.last_name),
                phone: fam.phone.clone(),
                site_id: h.site_id,
                handed_out_on: h.handed_out_on,
                voided: false,
                no_lot_on_box: h.no_lot_on_box,
            })
        })
        .collect())
}
