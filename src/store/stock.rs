//! Stock as a ledger: every change is an append-only `stock_movements` row and the
//! (site, model) balance changes in the same transaction. Stock is taken with one
//! conditional UPDATE whose affected-row count decides (never read-then-write).

use crate::entity::{stock_balance, stock_movement};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter};
use serde::Serialize;

/// The kinds of ledger movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    Receipt,
    TransferOut,
    TransferIn,
    Handout,
    HandoutVoid,
    Adjustment,
    CountCorrection,
}

impl MovementKind {
    /// Every kind, in the order people read them.
    pub const ALL: [MovementKind; 7] = [
        MovementKind::Receipt,
        MovementKind::TransferOut,
        MovementKind::TransferIn,
        MovementKind::Handout,
        MovementKind::HandoutVoid,
        MovementKind::Adjustment,
        MovementKind::CountCorrection,
    ];

    /// Parse a stored or submitted name.
    pub fn parse(s: &str) -> Option<MovementKind> {
        MovementKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            MovementKind::Receipt => "Restock",
            MovementKind::TransferOut => "Transfer out",
            MovementKind::TransferIn => "Transfer in",
            MovementKind::Handout => "Handout",
            MovementKind::HandoutVoid => "Handout voided",
            MovementKind::Adjustment => "Adjustment",
            MovementKind::CountCorrection => "Count correction",
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::Handout => "handout",
            MovementKind::HandoutVoid => "handout_void",
            MovementKind::Adjustment => "adjustment",
            MovementKind::CountCorrection => "count_correction",
        }
    }
}

/// A movement to write.
#[derive(Debug, Clone)]
pub struct NewMovement {
    pub site_id: i64,
    pub crib_model_id: i64,
    pub kind: MovementKind,
    /// Signed: positive adds stock, negative takes it.
    pub quantity: i32,
    pub lot: Option<String>,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub transfer_id: Option<i64>,
    pub handout_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// Why a movement could not be written.
#[derive(Debug, thiserror::Error)]
pub enum StockError {
    #[error("Not enough unreserved stock: this would take {wanted} and only {available} are available.")]
    Insufficient { wanted: i32, available: i32 },
    #[error("database: {0}")]
    Db(#[from] DbErr),
}

/// Make sure the balance row for (site, model) exists.
pub async fn ensure_balance(db: &impl ConnectionTrait, site_id: i64, crib_model_id: i64) -> Result<(), DbErr> {
    stock_balance::Entity::insert(stock_balance::ActiveModel {
        site_id: Set(site_id),
        crib_model_id: Set(crib_model_id),
        on_hand: Set(0),
        reserved: Set(0),
        low_stock_threshold: Set(5),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([stock_balance::Column::SiteId, stock_balance::Column::CribModelId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The balance row for (site, model), if any.
pub async fn balance(
    db: &impl ConnectionTrait,
    site_id: i64,
    crib_model_id: i64,
) -> Result<Option<stock_balance::Model>, DbErr> {
    stock_balance::Entity::find()
        .filter(stock_balance::Column::SiteId.eq(site_id))
        .filter(stock_balance::Column::CribModelId.eq(crib_model_id))
        .one(db)
        .await
}

/// Write one movement and change the balance by its quantity, in the caller's transaction.
/// A negative quantity only succeeds when that many unreserved cribs are there.
pub async fn apply_movement(
    db: &impl ConnectionTrait,
    m: NewMovement,
) -> Result<(stock_movement::Model, stock_balance::Model), StockError> {
    let bal = change_balance(db, &m).await?;
    let movement = movement_row(&m).insert(db).await?;
    if m.quantity < 0 {
        let fell = -m.quantity;
        if crossed_low(&bal, fell) {
            crate::store::outbox::causes::stock_fell(
                db,
                m.site_id,
                m.crib_model_id,
                fell,
                &format!("movement-{}", movement.id),
            )
            .await?;
        }
    }
    Ok((movement, bal))
}

/// Whether a balance that fell by `fell` crossed its low-stock threshold: at or under it
/// now, above it before (one crossing, one notice; `outbox::causes::stock_fell`).
pub fn crossed_low(after: &stock_balance::Model, fell: i32) -> bool {
    let available = after.on_hand - after.reserved;
    available <= after.low_stock_threshold && available + fell > after.low_stock_threshold
}

/// The balance change of a movement, returning the balance after it (`UPDATE … RETURNING`:
/// one statement). A take (negative quantity) changes it only while that many unreserved
/// cribs are there; a missing balance row then simply has none. An addition makes sure the
/// row exists first.
pub async fn change_balance(db: &impl ConnectionTrait, m: &NewMovement) -> Result<stock_balance::Model, StockError> {
    if m.quantity >= 0 {
        ensure_balance(db, m.site_id, m.crib_model_id).await?;
    }
    let mut update = stock_balance::Entity::update_many()
        .col_expr(stock_balance::Column::OnHand, Expr::col(stock_balance::Column::OnHand).add(m.quantity))
        .filter(stock_balance::Column::SiteId.eq(m.site_id))
        .filter(stock_balance::Column::CribModelId.eq(m.crib_model_id));
    if m.quantity < 0 {
        // NOTE: the WHERE clause is the race guard: two takers of the last crib cannot both match.
        update = update.filter(
            Expr::col(stock_balance::Column::OnHand).sub(Expr::col(stock_balance::Column::Reserved)).gte(-m.quantity),
        );
    }
    match update.exec_with_returning(db).await?.into_iter().next() {
        Some(bal) => Ok(bal),
        None => {
            let available = balance(db, m.site_id, m.crib_model_id).await?.map(|b| b.on_hand - b.reserved).unwrap_or(0);
            Err(StockError::Insufficient { wanted: -m.quantity, available })
        }
    }
}

/// The ledger row of a movement, stamped now, ready to insert (alone, or in a batch).
pub fn movement_row(m: &NewMovement) -> stock_movement::ActiveModel {
    stock_movement::ActiveModel {
        site_id: Set(m.site_id),
        crib_model_id: Set(m.crib_model_id),
        kind: Set(m.kind.as_str().to_string()),
        quantity: Set(m.quantity),
        lot: Set(m.lot.clone()),
        reason: Set(m.reason.clone()),
        note: Set(m.note.clone()),
        transfer_id: Set(m.transfer_id),
        handout_id: Set(m.handout_id),
        user_id: Set(m.user_id),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
}

/// A (site, model) whose balance differs from the sum of its movements.
#[derive(Debug, Clone, Serialize)]
pub struct Drift {
    pub site_id: i64,
    pub crib_model_id: i64,
    pub on_hand: i64,
    pub from_movements: i64,
}

/// Recompute every balance from the ledger and report any difference.
pub async fn check_ledger(db: &impl ConnectionTrait) -> Result<Vec<Drift>, DbErr> {
    use sea_orm::{FromQueryResult, Statement};
    #[derive(FromQueryResult)]
    struct Row {
        site_id: i64,
        crib_model_id: i64,
        on_hand: i64,
        from_movements: i64,
    }
    // NOTE: a full outer comparison: balances without movements and movements without a balance both count.
    let sql = "SELECT b.site_id AS site_id, b.crib_model_id AS crib_model_id, CAST(b.on_hand AS BIGINT) AS on_hand, \
               CAST(COALESCE((SELECT SUM(m.quantity) FROM stock_movements m WHERE m.site_id = b.site_id AND m.crib_model_id = b.crib_model_id), 0) AS BIGINT) AS from_movements \
               FROM stock_balances b \
               UNION ALL \
               SELECT m.site_id, m.crib_model_id, CAST(0 AS BIGINT), CAST(SUM(m.quantity) AS BIGINT) FROM stock_movements m \
               WHERE NOT EXISTS (SELECT 1 FROM stock_balances b WHERE b.site_id = m.site_id AND b.crib_model_id = m.crib_model_id) \
               GROUP BY m.site_id, m.crib_model_id";
    let rows = Row::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).all(db).await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.on_hand != r.from_movements)
        .map(|r| Drift {
            site_id: r.site_id,
            crib_model_id: r.crib_model_id,
            on_hand: r.on_hand,
            from_movements: r.from_movements,
        })
        .collect())
}

/// Hold one crib for a referral: `reserved + 1` only while an unreserved crib is there.
/// Not a ledger movement: `on_hand` does not change until the crib leaves.
pub async fn reserve_one(
    db: &impl ConnectionTrait,
    site_id: i64,
    crib_model_id: i64,
) -> Result<stock_balance::Model, StockError> {
    ensure_balance(db, site_id, crib_model_id).await?;
    let changed = stock_balance::Entity::update_many()
        .col_expr(stock_balance::Column::Reserved, Expr::col(stock_balance::Column::Reserved).add(1))
        .filter(stock_balance::Column::SiteId.eq(site_id))
        .filter(stock_balance::Column::CribModelId.eq(crib_model_id))
        .filter(Expr::col(stock_balance::Column::OnHand).sub(Expr::col(stock_balance::Column::Reserved)).gte(1))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next();
    match changed {
        Some(b) => Ok(b),
        None => {
            let available = balance(db, site_id, crib_model_id).await?.map(|b| b.on_hand - b.reserved).unwrap_or(0);
            Err(StockError::Insufficient { wanted: 1, available })
        }
    }
}

/// Release one held crib (a referral declined, cancelled or expired).
pub async fn release_one(db: &impl ConnectionTrait, site_id: i64, crib_model_id: i64) -> Result<(), DbErr> {
    stock_balance::Entity::update_many()
        .col_expr(stock_balance::Column::Reserved, Expr::col(stock_balance::Column::Reserved).sub(1))
        .filter(stock_balance::Column::SiteId.eq(site_id))
        .filter(stock_balance::Column::CribModelId.eq(crib_model_id))
        .filter(stock_balance::Column::Reserved.gte(1))
        .exec(db)
        .await?;
    Ok(())
}

/// Hand out the crib a referral holds: `on_hand - 1` and `reserved - 1` together (so a
/// reserved crib never counts twice), returning the balance after it; its ledger row is
/// `held_movement_row`.
pub async fn take_held_balance(db: &impl ConnectionTrait, m: &NewMovement) -> Result<stock_balance::Model, StockError> {
    stock_balance::Entity::update_many()
        .col_expr(stock_balance::Column::OnHand, Expr::col(stock_balance::Column::OnHand).sub(1))
        .col_expr(stock_balance::Column::Reserved, Expr::col(stock_balance::Column::Reserved).sub(1))
        .filter(stock_balance::Column::SiteId.eq(m.site_id))
        .filter(stock_balance::Column::CribModelId.eq(m.crib_model_id))
        .filter(stock_balance::Column::Reserved.gte(1))
        .filter(stock_balance::Column::OnHand.gte(1))
        .exec_with_returning(db)
        .await?
        .into_iter()
        .next()
        .ok_or(StockError::Insufficient { wanted: 1, available: 0 })
}

/// The ledger row of a held crib handed out: a handout of one, reason `referral`.
pub fn held_movement_row(m: &NewMovement) -> stock_movement::ActiveModel {
    movement_row(&NewMovement {
        kind: MovementKind::Handout,
        quantity: -1,
        reason: Some("referral".into()),
        transfer_id: None,
        ..m.clone()
    })
}
