//! Reads behind the stock pages: the whole filtered ledger of a site (for CSV), every
//! movement of a lot across sites (recalls), and the names that turn ids into words.

use crate::entity::{crib_model, site, stock_movement, user};
use crate::store::stock_ops::{movement_query, MovementFilter};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use std::collections::HashMap;

/// The most rows one CSV export or lot lookup returns.
pub const MAX_ROWS: u64 = 50_000;

/// Every movement of a site matching the filter, newest first (at most `MAX_ROWS`).
pub async fn movements_for_export(
    db: &impl ConnectionTrait,
    site_id: i64,
    filter: &MovementFilter,
) -> Result<Vec<stock_movement::Model>, DbErr> {
    movement_query(site_id, filter).limit(MAX_ROWS).all(db).await
}

/// Every movement carrying this lot, at any site, newest first (at most `MAX_ROWS`).
pub async fn movements_with_lot(db: &impl ConnectionTrait, lot: &str) -> Result<Vec<stock_movement::Model>, DbErr> {
    stock_movement::Entity::find()
        .filter(stock_movement::Column::Lot.eq(lot))
        .order_by_desc(stock_movement::Column::CreatedAt)
        .order_by_desc(stock_movement::Column::Id)
        .limit(MAX_ROWS)
        .all(db)
        .await
}

/// Every site's name by id (inactive ones too: old movements still name them).
pub async fn site_names(db: &impl ConnectionTrait) -> Result<HashMap<i64, String>, DbErr> {
    Ok(site::Entity::find().all(db).await?.into_iter().map(|s| (s.id, s.name)).collect())
}

/// Every crib model's name by id.
pub async fn model_names(db: &impl ConnectionTrait) -> Result<HashMap<i64, String>, DbErr> {
    Ok(crib_model::Entity::find().all(db).await?.into_iter().map(|m| (m.id, m.name)).collect())
}

/// The display names of the given users.
pub async fn user_names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.display_name))
        .collect())
}

/// A lot the ledger says a site received (a restock or a transfer in carried it) and has
/// not all given out, for the hand-out form's lot choices.
#[derive(Debug, Clone, PartialEq, Eq, sea_orm::FromQueryResult)]
pub struct LotAtSite {
    pub lot: String,
    pub crib_model_id: i64,
    /// The sum of the lot's movements here: in, less what left with this lot recorded.
    pub left: i64,
}

/// The lots a site received and has left by the ledger, the first received first (the
/// boxes that have waited longest), then by lot. One statement.
pub async fn lots_at(db: &impl ConnectionTrait, site_id: i64) -> Result<Vec<LotAtSite>, DbErr> {
    use sea_orm::FromQueryResult;
    let mut sql = crate::store::sql::Sql::new(db.get_database_backend());
    sql.push(
        "SELECT lot, crib_model_id, CAST(SUM(quantity) AS BIGINT) AS \"left\" FROM stock_movements \
         WHERE lot IS NOT NULL AND site_id = ",
    )
    .bind(site_id)
    .push(
        " GROUP BY lot, crib_model_id \
         HAVING SUM(CASE WHEN kind IN ('receipt', 'transfer_in') THEN 1 ELSE 0 END) > 0 AND SUM(quantity) > 0 \
         ORDER BY MIN(id), lot LIMIT 50",
    );
    LotAtSite::find_by_statement(sql.statement()).all(db).await
}
