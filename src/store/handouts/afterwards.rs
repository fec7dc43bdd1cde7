//! After a handout: its void (a reversing movement returns the crib; the row stays,
//! marked) and the lot lookup for a recall.

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
        });
    }
    Ok(out)
}
