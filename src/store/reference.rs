//! Reference data reads: neighborhoods with their CSA, crib models, sites with stock.

use crate::entity::{crib_model, csa, neighborhood, site, stock_balance, zip_csa};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A site row as the store hands it out.
pub type Site = site::Model;
/// A crib model row as the store hands it out.
pub type CribModel = crate::entity::crib_model::Model;
/// A stock balance row (site, model) as the store hands it out.
pub type Balance = crate::entity::stock_balance::Model;
/// An infant row as the store hands it out.
pub type Infant = crate::entity::infant::Model;

/// Every site, active or not, by name (the reports' site filter).
pub async fn all_sites_by_name(db: &impl ConnectionTrait) -> Result<Vec<Site>, DbErr> {
    site::Entity::find().order_by_asc(site::Column::Name).all(db).await
}

/// A neighborhood with its CSA, as the API and the pickers show it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NeighborhoodView {
    pub id: i64,
    pub name: String,
    pub csa_id: i32,
    pub csa_name: String,
}

/// Neighborhoods, optionally narrowed by a name fragment and/or a ZIP (every CSA the ZIP touches).
pub async fn neighborhoods(
    db: &impl ConnectionTrait,
    name_like: Option<&str>,
    zip: Option<&str>,
) -> Result<Vec<NeighborhoodView>, DbErr> {
    let csas: HashMap<i32, String> = csa::Entity::find().all(db).await?.into_iter().map(|c| (c.id, c.name)).collect();
    let mut query = neighborhood::Entity::find().order_by_asc(neighborhood::Column::Name);
    if let Some(zip) = zip.map(str::trim).filter(|z| !z.is_empty()) {
        let ids: Vec<i32> = zip_csa::Entity::find()
            .filter(zip_csa::Column::Zip.eq(zip))
            .all(db)
            .await?
            .into_iter()
            .map(|z| z.csa_id)
            .collect();
        query = query.filter(neighborhood::Column::CsaId.is_in(ids));
    }
    let needle = name_like.map(|s| s.trim().to_lowercase()).filter(|s| !s.is_empty());
    Ok(query
        .all(db)
        .await?
        .into_iter()
        .filter(|n| needle.as_ref().is_none_or(|q| n.name.to_lowercase().contains(q.as_str())))
        .map(|n| NeighborhoodView {
            csa_name: csas.get(&n.csa_id).cloned().unwrap_or_default(),
            id: n.id,
            name: n.name,
            csa_id: n.csa_id,
        })
        .collect())
}

/// One neighborhood with its CSA.
pub async fn neighborhood(db: &impl ConnectionTrait, id: i64) -> Result<Option<NeighborhoodView>, DbErr> {
    let Some(n) = neighborhood::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let csa_name = csa::Entity::find_by_id(n.csa_id).one(db).await?.map(|c| c.name).unwrap_or_default();
    Ok(Some(NeighborhoodView { id: n.id, name: n.name, csa_id: n.csa_id, csa_name }))
}

/// Active crib models.
pub async fn crib_models(db: &impl ConnectionTrait) -> Result<Vec<crib_model::Model>, DbErr> {
    crib_model::Entity::find()
        .filter(crib_model::Column::Active.eq(true))
        .order_by_asc(crib_model::Column::Id)
        .all(db)
        .await
}

/// Stock of one model at one site, as shown to people.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StockView {
    pub crib_model_id: i64,
    pub crib_model_name: String,
    pub on_hand: i32,
    pub reserved: i32,
    pub available: i32,
    pub low_stock_threshold: i32,
    pub low: bool,
}

/// A site with its neighborhood and stock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteView {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub kind: String,
    pub address: Option<String>,
    pub neighborhood: Option<NeighborhoodView>,
    pub stock: Vec<StockView>,
}

impl SiteView {
    /// Total available across models.
    pub fn available(&self) -> i32 {
        self.stock.iter().map(|s| s.available).sum()
    }
    /// Whether any model is at or below its threshold.
    pub fn low(&self) -> bool {
        self.stock.iter().any(|s| s.low)
    }
}

/// Every active site (or the given ones) with neighborhood and stock per model.
pub async fn sites(db: &impl ConnectionTrait, only: Option<&[i64]>) -> Result<Vec<SiteView>, DbErr> {
    let mut q = site::Entity::find().filter(site::Column::Active.eq(true)).order_by_asc(site::Column::Id);
    if let Some(ids) = only {
        q = q.filter(site::Column::Id.is_in(ids.to_vec()));
    }
    let sites = q.all(db).await?;
    let hoods: HashMap<i64, NeighborhoodView> =
        neighborhoods(db, None, None).await?.into_iter().map(|n| (n.id, n)).collect();
    let models: HashMap<i64, String> =
        crib_model::Entity::find().all(db).await?.into_iter().map(|m| (m.id, m.name)).collect();
    let mut balances: HashMap<i64, Vec<StockView>> = HashMap::new();
    for b in stock_balance::Entity::find().order_by_asc(stock_balance::Column::CribModelId).all(db).await? {
        let available = b.on_hand - b.reserved;
        balances.entry(b.site_id).or_default().push(StockView {
            crib_model_id: b.crib_model_id,
            crib_model_name: models.get(&b.crib_model_id).cloned().unwrap_or_default(),
            on_hand: b.on_hand,
            reserved: b.reserved,
            available,
            low_stock_threshold: b.low_stock_threshold,
            low: available <= b.low_stock_threshold,
        });
    }
    Ok(sites
        .into_iter()
        .map(|s| SiteView {
            neighborhood: s.neighborhood_id.and_then(|id| hoods.get(&id).cloned()),
            stock: balances.remove(&s.id).unwrap_or_default(),
            id: s.id,
            code: s.code,
            name: s.name,
            kind: s.kind,
            address: s.address,
        })
        .collect())
}

/// One active site by id.
pub async fn site(db: &impl ConnectionTrait, id: i64) -> Result<Option<site::Model>, DbErr> {
    site::Entity::find_by_id(id).filter(site::Column::Active.eq(true)).one(db).await
}
