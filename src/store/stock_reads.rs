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
