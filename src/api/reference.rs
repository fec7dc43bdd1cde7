//! Reference data over the API: neighborhoods, crib models, sites with stock.

use crate::api::answer::Answer;
use crate::auth::guards::ApiUser;
use crate::db::Db;
use crate::error::ApiResult;
use crate::store::reference::{self, NeighborhoodView, SiteView};
use rocket::{get, State};
use serde::Serialize;

/// A crib model.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CribModelView {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// Neighborhoods with their CSA; `q` narrows by name, `zip` by the CSAs a ZIP touches.
#[utoipa::path(get, path = "/api/v1/neighborhoods", tag = "reference",
    params(("q" = Option<String>, Query, description = "part of the name"), ("zip" = Option<String>, Query, description = "a ZIP code")),
    responses((status = 200, body = [NeighborhoodView]), (status = 401, body = crate::api::openapi::ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/neighborhoods?<q>&<zip>")]
pub async fn neighborhoods(_user: ApiUser, db: &State<Db>, q: Option<&str>, zip: Option<&str>) -> ApiResult<Answer> {
    Answer::ok(&reference::neighborhoods(db.inner(), q, zip).await?)
}

/// Active crib models.
#[utoipa::path(get, path = "/api/v1/crib-models", tag = "reference",
    responses((status = 200, body = [CribModelView]), (status = 401, body = crate::api::openapi::ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/crib-models")]
pub async fn crib_models(_user: ApiUser, db: &State<Db>) -> ApiResult<Answer> {
    let models: Vec<CribModelView> = reference::crib_models(db.inner())
        .await?
        .into_iter()
        .map(|m| CribModelView { id: m.id, code: m.code, name: m.name })
        .collect();
    Answer::ok(&models)
}

/// Sites with neighborhood and stock per crib model.
#[utoipa::path(get, path = "/api/v1/sites", tag = "stock",
    responses((status = 200, body = [SiteView]), (status = 401, body = crate::api::openapi::ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/sites")]
pub async fn sites(_user: ApiUser, db: &State<Db>) -> ApiResult<Answer> {
    crate::store::referrals::settle(db.inner()).await?;
    Answer::ok(&reference::sites(db.inner(), None).await?)
}
