//! Stock operations, each one business action inside the caller's transaction: receipts,
//! transfers (out at once, in on receipt, back on cancel), adjustments, physical counts,
//! thresholds, and reading the ledger.

use crate::db::Db;
use crate::domain::states::TransferStatus;
use crate::domain::stock::AdjustmentReason;
use crate::entity::{crib_model, site, stock_balance, stock_movement, transfer};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry, Caller};
use crate::store::stock::{apply_movement, balance, ensure_balance, MovementKind, NewMovement, StockError};
use crate::store::write::{self, Mode, Ran};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};

impl From<StockError> for AppError {
    fn from(e: StockError) -> Self {
        match e {
            StockError::Insufficient { wanted, available } => AppError::OutOfStock(format!(
                "Not enough cribs of that model at that site: {wanted} wanted, {available} available (not reserved)."
            )),
            StockError::Db(e) => AppError::from(e),
        }
    }
}

/// A movement as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MovementView {
    pub id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub kind: String,
    pub quantity: i32,
    pub lot: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub transfer_id: Option<i64>,
    pub handout_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<stock_movement::Model> for MovementView {
    fn from(m: stock_movement::Model) -> Self {
        MovementView {
            id: m.id,
            site_id: m.site_id,
            crib_model_id: m.crib_model_id,
            kind: m.kind,
            quantity: m.quantity,
            lot: m.lot,
            reason: m.reason,
            note: m.note,
            transfer_id: m.transfer_id,
            handout_id: m.handout_id,
            user_id: m.user_id,
            created_at: m.created_at,
        }
    }
}

/// A balance as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BalanceView {
    pub site_id: i64,
    pub crib_model_id: i64,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i32,
    pub low_stock_threshold: i32,
    pub low: bool,
}

impl From<stock_balance::Model> for BalanceView {
    fn from(b: stock_balance::Model) -> Self {
        let available = b.on_hand - b.reserved;
        BalanceView {
            site_id: b.site_id,
            crib_model_id: b.crib_model_id,
            on_hand: b.on_hand,
            reserved: b.reserved,
            available,
            low_stock_threshold: b.low_stock_threshold,
            low: available <= b.low_stock_threshold,
        }
    }
}

/// A movement and the balance after it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MovementResult {
    pub movement: Option<MovementView>,
    pub balance: BalanceView,
}

/// A transfer as the API shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TransferView {
    pub id: i64,
    pub from_site_id: i64,
    pub to_site_id: i64,
    pub crib_model_id: i64,
    pub quantity: i32,
    pub lot: Option<String>,
    pub status: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub closed_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<transfer::Model> for TransferView {
    fn from(t: transfer::Model) -> Self {
        TransferView {
            id: t.id,
            from_site_id: t.from_site_id,
            to_site_id: t.to_site_id,
            crib_model_id: t.crib_model_id,
            quantity: t.quantity,
            lot: t.lot,
            status: t.status,
            created_at: t.created_at,
            closed_at: t.closed_at,
        }
    }
}

// The stock actions, each one transaction through the write runner (or a dry run, for the
// confirmation pages). Who may call which is the faces' guard (managers; staff of the
// site for counts and receiving); the site scope is checked here where it depends on the row.

/// Restock (managers): cribs arrive at a site, audited as `stock.receipt`.
#[expect(clippy::too_many_arguments, reason = "the receipt's fields")]
pub async fn restock(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    site_id: i64,
    crib_model_id: i64,
    quantity: i32,
    lot: Option<String>,
    note: Option<String>,
) -> Result<Ran<MovementResult>, AppError> {
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = receive_stock(&txn, &by, site_id, crib_model_id, quantity, lot, note).await;
        (txn, r)
    })
    .await
}

/// Start a transfer (managers): the cribs leave the source at once, audited as
/// `transfer.start`.
#[expect(clippy::too_many_arguments, reason = "the transfer's fields")]
pub async fn transfer(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    from_site_id: i64,
    to_site_id: i64,
    crib_model_id: i64,
    quantity: i32,
    lot: Option<String>,
) -> Result<Ran<TransferView>, AppError> {
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = start_transfer(&txn, &by, from_site_id, to_site_id, crib_model_id, quantity, lot).await;
        (txn, r)
    })
    .await
}

/// Receive an in-transit transfer at its destination (managers, staff of the receiving
/// site) or cancel it (managers), audited as `transfer.receive` / `transfer.cancel`.
pub async fn finish_transfer(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    transfer_id: i64,
    receive: bool,
) -> Result<Ran<TransferView>, AppError> {
    if !receive && !by.who.is_manager() {
        return Err(AppError::Forbidden);
    }
    let t = transfer::Entity::find_by_id(transfer_id).one(db).await?.ok_or(AppError::NotFound)?;
    if receive && !by.who.can_act_at(t.to_site_id) {
        return Err(AppError::NotFound);
    }
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = close_transfer(&txn, &by, transfer_id, receive).await;
        (txn, r)
    })
    .await
}

/// Adjust stock by hand with a reason (managers), audited as `stock.adjustment`.
#[expect(clippy::too_many_arguments, reason = "the adjustment's fields")]
pub async fn adjust_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    site_id: i64,
    crib_model_id: i64,
    delta: i32,
    reason: AdjustmentReason,
    note: Option<String>,
) -> Result<Ran<MovementResult>, AppError> {
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = adjust(&txn, &by, site_id, crib_model_id, delta, reason, note).await;
        (txn, r)
    })
    .await
}

/// Record a physical count at a site the caller acts at (else 404), audited as
/// `stock.count`.
pub async fn count_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    site_id: i64,
    crib_model_id: i64,
    counted: i32,
) -> Result<Ran<MovementResult>, AppError> {
    if !by.who.can_act_at(site_id) {
        return Err(AppError::NotFound);
    }
    write::run(db, by.who.id, mode, 201, |txn| async {
        let r = count(&txn, &by, site_id, crib_model_id, counted).await;
        (txn, r)
    })
    .await
}

/// Set a low-stock threshold (managers), audited as `stock.threshold`.
pub async fn threshold_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    site_id: i64,
    crib_model_id: i64,
    threshold: i32,
) -> Result<Ran<BalanceView>, AppError> {
    forbidden_unless_manager(by)?;
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = set_threshold(&txn, &by, site_id, crib_model_id, threshold).await;
        (txn, r)
    })
    .await
}

fn forbidden_unless_manager(by: Caller<'_>) -> Result<(), AppError> {
    crate::error::forbidden_unless(by.who.is_manager())
}

/// The site, or 404.
pub async fn existing_site(db: &impl ConnectionTrait, site_id: i64) -> Result<site::Model, AppError> {
    site::Entity::find_by_id(site_id).filter(site::Column::Active.eq(true)).one(db).await?.ok_or(AppError::NotFound)
}

/// The crib model, or a 422 on the named field.
pub async fn existing_model(db: &impl ConnectionTrait, id: i64, field: &str) -> Result<crib_model::Model, AppError> {
    crib_model::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::validation(field, format!("There is no crib model with id {id}.")))
}

async fn audit_write(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    action: &str,
    entity: &str,
    id: i64,
    detail: String,
) -> Result<(), AppError> {
    audit::record(
        db,
        Some(actor.who),
        Some(actor.ip),
        AuditEntry { action, entity, entity_id: Some(id), detail: Some(detail) },
    )
    .await?;
    Ok(())
}

/// Restock: cribs arrive at a site.
pub async fn receive_stock(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    site_id: i64,
    crib_model_id: i64,
    quantity: i32,
    lot: Option<String>,
    note: Option<String>,
) -> Result<MovementResult, AppError> {
    let (m, b) = apply_movement(
        db,
        NewMovement {
            site_id,
            crib_model_id,
            kind: MovementKind::Receipt,
            quantity,
            lot,
            reason: None,
            note,
            transfer_id: None,
            handout_id: None,
            user_id: Some(actor.who.id),
        },
    )
    .await?;
    audit_write(
        db,
        actor,
        "stock.receipt",
        "stock_movement",
        m.id,
        format!("site {site_id} model {crib_model_id} +{quantity}"),
    )
    .await?;
    Ok(MovementResult { movement: Some(m.into()), balance: b.into() })
}

/// Start a transfer: the stock leaves the source at once.
pub async fn start_transfer(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    from_site_id: i64,
    to_site_id: i64,
    crib_model_id: i64,
    quantity: i32,
    lot: Option<String>,
) -> Result<TransferView, AppError> {
    let t = transfer::ActiveModel {
        from_site_id: Set(from_site_id),
        to_site_id: Set(to_site_id),
        crib_model_id: Set(crib_model_id),
        quantity: Set(quantity),
        lot: Set(lot.clone()),
        status: Set(TransferStatus::InTransit.as_str().into()),
        created_by: Set(actor.who.id),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    apply_movement(
        db,
        NewMovement {
            site_id: from_site_id,
            crib_model_id,
            kind: MovementKind::TransferOut,
            quantity: -quantity,
            lot,
            reason: None,
            note: None,
            transfer_id: Some(t.id),
            handout_id: None,
            user_id: Some(actor.who.id),
        },
    )
    .await?;
    audit_write(
        db,
        actor,
        "transfer.start",
        "transfer",
        t.id,
        format!("{quantity} from site {from_site_id} to site {to_site_id}"),
    )
    .await?;
    Ok(t.into())
}

/// Close an in-transit transfer: `received` puts the stock at the destination,
/// `cancelled` returns it to the source. Anything else is a 409.
pub async fn close_transfer(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    transfer_id: i64,
    receive: bool,
) -> Result<TransferView, AppError> {
    let t = transfer::Entity::find_by_id(transfer_id).one(db).await?.ok_or(AppError::NotFound)?;
    if receive && !actor.who.can_act_at(t.to_site_id) {
        return Err(AppError::NotFound);
    }
    let new_status = if receive { TransferStatus::Received } else { TransferStatus::Cancelled }.as_str();
    // NOTE: the status change is conditional, so two people closing the same transfer cannot both win.
    let changed = transfer::Entity::update_many()
        .col_expr(transfer::Column::Status, sea_orm::sea_query::Expr::value(new_status))
        .col_expr(transfer::Column::ClosedBy, sea_orm::sea_query::Expr::value(actor.who.id))
        .col_expr(transfer::Column::ClosedAt, sea_orm::sea_query::Expr::value(crate::clock::now()))
        .filter(transfer::Column::Id.eq(transfer_id))
        .filter(transfer::Column::Status.eq(TransferStatus::InTransit.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    if changed == 0 {
        return Err(AppError::Conflict(format!(
            "This transfer is already {}: it cannot be {new_status} again.",
            t.status
        )));
    }
    let (site_id, kind) =
        if receive { (t.to_site_id, MovementKind::TransferIn) } else { (t.from_site_id, MovementKind::TransferOut) };
    apply_movement(
        db,
        NewMovement {
            site_id,
            crib_model_id: t.crib_model_id,
            kind,
            quantity: t.quantity,
            lot: t.lot.clone(),
            reason: if receive { None } else { Some("transfer_cancelled".into()) },
            note: None,
            transfer_id: Some(t.id),
            handout_id: None,
            user_id: Some(actor.who.id),
        },
    )
    .await?;
    let action = if receive { "transfer.receive" } else { "transfer.cancel" };
    audit_write(db, actor, action, "transfer", t.id, format!("{} cribs", t.quantity)).await?;
    let t = transfer::Entity::find_by_id(transfer_id).one(db).await?.ok_or(AppError::NotFound)?;
    Ok(t.into())
}

/// Adjust stock by hand with a reason; may not take stock below what is reserved.
pub async fn adjust(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    site_id: i64,
    crib_model_id: i64,
    delta: i32,
    reason: AdjustmentReason,
    note: Option<String>,
) -> Result<MovementResult, AppError> {
    let result = apply_movement(
        db,
        NewMovement {
            site_id,
            crib_model_id,
            kind: MovementKind::Adjustment,
            quantity: delta,
            lot: None,
            reason: Some(reason.as_str().into()),
            note,
            transfer_id: None,
            handout_id: None,
            user_id: Some(actor.who.id),
        },
    )
    .await;
    let (m, b) = match result {
        Ok(ok) => ok,
        Err(StockError::Insufficient { wanted, available }) => {
            return Err(AppError::validation(
                "delta",
                format!("This would take {wanted} cribs but only {available} are not reserved; stock cannot go below what is reserved."),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    audit_write(
        db,
        actor,
        "stock.adjustment",
        "stock_movement",
        m.id,
        format!("site {site_id} model {crib_model_id} {delta:+} ({})", reason.as_str()),
    )
    .await?;
    Ok(MovementResult { movement: Some(m.into()), balance: b.into() })
}

/// Record a physical count: writes the correction movement (none when the count matches).
pub async fn count(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    site_id: i64,
    crib_model_id: i64,
    counted: i32,
) -> Result<MovementResult, AppError> {
    ensure_balance(db, site_id, crib_model_id).await?;
    let mut q = stock_balance::Entity::find()
        .filter(stock_balance::Column::SiteId.eq(site_id))
        .filter(stock_balance::Column::CribModelId.eq(crib_model_id));
    if db.get_database_backend() == DbBackend::Postgres {
        // NOTE: read-then-write needs the row lock on PostgreSQL; SQLite's IMMEDIATE transaction already serialises writers.
        q = q.lock_exclusive();
    }
    let current = q.one(db).await?.ok_or(AppError::NotFound)?;
    if counted < current.reserved {
        return Err(AppError::validation(
            "counted",
            format!(
                "{counted} is less than the {} cribs reserved for hospital requests; release those first.",
                current.reserved
            ),
        ));
    }
    let delta = counted - current.on_hand;
    if delta == 0 {
        audit_write(db, actor, "stock.count", "stock_balance", current.id, format!("counted {counted}, no difference"))
            .await?;
        return Ok(MovementResult { movement: None, balance: current.into() });
    }
    let (m, b) = apply_movement(
        db,
        NewMovement {
            site_id,
            crib_model_id,
            kind: MovementKind::CountCorrection,
            quantity: delta,
            lot: None,
            reason: Some("count".into()),
            note: Some(format!("Counted {counted}; the ledger said {}", current.on_hand)),
            transfer_id: None,
            handout_id: None,
            user_id: Some(actor.who.id),
        },
    )
    .await?;
    audit_write(db, actor, "stock.count", "stock_movement", m.id, format!("counted {counted}, correction {delta:+}"))
        .await?;
    Ok(MovementResult { movement: Some(m.into()), balance: b.into() })
}

/// Set the low-stock threshold of (site, model).
pub async fn set_threshold(
    db: &impl ConnectionTrait,
    actor: &Caller<'_>,
    site_id: i64,
    crib_model_id: i64,
    threshold: i32,
) -> Result<BalanceView, AppError> {
    ensure_balance(db, site_id, crib_model_id).await?;
    stock_balance::Entity::update_many()
        .col_expr(stock_balance::Column::LowStockThreshold, sea_orm::sea_query::Expr::value(threshold))
        .filter(stock_balance::Column::SiteId.eq(site_id))
        .filter(stock_balance::Column::CribModelId.eq(crib_model_id))
        .exec(db)
        .await?;
    let b = balance(db, site_id, crib_model_id).await?.ok_or(AppError::NotFound)?;
    audit_write(db, actor, "stock.threshold", "stock_balance", b.id, format!("low-stock threshold {threshold}"))
        .await?;
    Ok(b.into())
}

/// Filters for the ledger.
#[derive(Debug, Default, Clone)]
pub struct MovementFilter {
    pub kind: Option<String>,
    pub crib_model_id: Option<i64>,
    pub lot: Option<String>,
    /// Only movements at or after this instant.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// Only movements before this instant.
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// A site's ledger with the filters applied, newest first.
pub fn movement_query(site_id: i64, filter: &MovementFilter) -> sea_orm::Select<stock_movement::Entity> {
    let mut q = stock_movement::Entity::find().filter(stock_movement::Column::SiteId.eq(site_id));
    if let Some(k) = &filter.kind {
        q = q.filter(stock_movement::Column::Kind.eq(k.as_str()));
    }
    if let Some(m) = filter.crib_model_id {
        q = q.filter(stock_movement::Column::CribModelId.eq(m));
    }
    if let Some(l) = &filter.lot {
        q = q.filter(stock_movement::Column::Lot.eq(l.as_str()));
    }
    if let Some(t) = filter.from {
        q = q.filter(stock_movement::Column::CreatedAt.gte(t));
    }
    if let Some(t) = filter.until {
        q = q.filter(stock_movement::Column::CreatedAt.lt(t));
    }
    q.order_by_desc(stock_movement::Column::CreatedAt).order_by_desc(stock_movement::Column::Id)
}

/// One page of a site's ledger, newest first, and the total count.
pub async fn movements(
    db: &impl ConnectionTrait,
    site_id: i64,
    filter: &MovementFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<MovementView>, u64), AppError> {
    let q = movement_query(site_id, filter);
    let total = q.clone().count(db).await?;
    let rows = q.offset(page.saturating_sub(1) * per_page).limit(per_page).all(db).await?;
    Ok((rows.into_iter().map(MovementView::from).collect(), total))
}

/// Transfers, newest first; optionally only those touching the given sites or with a status.
pub async fn transfers(
    db: &impl ConnectionTrait,
    sites: Option<&[i64]>,
    status: Option<&str>,
) -> Result<Vec<TransferView>, AppError> {
    let mut q = transfer::Entity::find().order_by_desc(transfer::Column::Id);
    if let Some(s) = status {
        q = q.filter(transfer::Column::Status.eq(s));
    }
    if let Some(ids) = sites {
        q = q.filter(
            sea_orm::Condition::any()
                .add(transfer::Column::ToSiteId.is_in(ids.to_vec()))
                .add(transfer::Column::FromSiteId.is_in(ids.to_vec())),
        );
    }
    Ok(q.limit(500).all(db).await?.into_iter().map(TransferView::from).collect())
}
