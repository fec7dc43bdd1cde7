//! The stock pages: the dashboard (`/stock`), a site's page with its ledger, filters and
//! CSV export, the receive action for transfers, the forms with a confirmation step
//! (restock, transfer, adjust, count), and the lot lookup for recalls.
//!
//! Pages call the same `store::stock_ops` functions as the API, so every rule lives once;
//! each write is one store action run through `store::write` under the form's token (see `write`).

pub mod adjust;
pub mod confirm;
pub mod count;
pub mod csv;
pub mod dashboard;
pub mod history;
pub mod lots;
pub mod restock;
pub mod site;
pub mod transfer;
pub mod write;

use crate::domain::actor::Actor;
use crate::domain::role::Role;
use crate::error::AppError;
use crate::store::{reference, stock_ops};
use rocket::{routes, Route};
use sea_orm::ConnectionTrait;
use serde::Serialize;

/// The stock pages' routes, mounted at `/`.
pub fn routes() -> Vec<Route> {
    routes![
        dashboard::dashboard,
        site::site_page,
        site::receive,
        csv::movements_csv,
        lots::lot_lookup,
        restock::restock_form,
        restock::restock_confirm,
        restock::restock_submit,
        transfer::transfer_form,
        transfer::transfer_confirm,
        transfer::transfer_submit,
        adjust::adjust_form,
        adjust::adjust_confirm,
        adjust::adjust_submit,
        count::count_form,
        count::count_confirm,
        count::count_submit,
    ]
}

/// Stock is for site staff and managers; nurses and others may not.
pub fn may_see_stock(who: &Actor) -> Result<(), AppError> {
    if who.is_manager() || who.role == Role::SiteStaff {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// The sites this person's stock pages cover: `None` = every site.
pub fn site_scope(who: &Actor) -> Option<Vec<i64>> {
    if who.is_manager() {
        None
    } else {
        Some(who.site_ids.clone())
    }
}

/// The site, when this person may act there; otherwise 404 so its existence does not leak.
pub async fn site_in_scope(
    db: &impl ConnectionTrait,
    who: &Actor,
    site_id: i64,
) -> Result<crate::store::reference::Site, AppError> {
    if !who.can_act_at(site_id) {
        return Err(AppError::NotFound);
    }
    stock_ops::existing_site(db, site_id).await
}

/// One choice in a `<select>`.
#[derive(Debug, Clone, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Every active site, for the forms' site lists.
pub async fn site_choices(db: &impl ConnectionTrait) -> Result<Vec<Choice>, AppError> {
    Ok(reference::sites(db, None)
        .await?
        .into_iter()
        .map(|s| Choice { value: s.id.to_string(), label: format!("{} ({})", s.name, s.kind) })
        .collect())
}

/// Every active crib model, for the forms' model lists.
pub async fn model_choices(db: &impl ConnectionTrait) -> Result<Vec<Choice>, AppError> {
    Ok(reference::crib_models(db)
        .await?
        .into_iter()
        .map(|m| Choice { value: m.id.to_string(), label: m.name })
        .collect())
}

/// A signed quantity as people read it: `+5`, `-3`.
pub fn signed(n: i64) -> String {
    if n > 0 {
        format!("+{n}")
    } else {
        n.to_string()
    }
}

/// Percent-encode a query value (everything but unreserved characters).
pub fn pct(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(pct("LOT A&B=1"), "LOT%20A%26B%3D1");
        assert_eq!(pct("Núñez"), "N%C3%BA%C3%B1ez");
        assert_eq!(signed(5), "+5");
        assert_eq!(signed(-3), "-3");
    }
}
