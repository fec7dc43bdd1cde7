//! The printed receipt: one page in the family's language with the receipt number, date,
//! site, model, lot, the ABCD reminders in large type and two signature lines.

use crate::auth::guards::{ClientAddr, PageUser};
use crate::domain::safe_sleep_text::text;
use crate::entity::{crib_model, infant, site};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use crate::store::{families, handouts};
use crate::web::error_page::PageResult;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use sea_orm::{DatabaseConnection, EntityTrait};
use serde_json::json;

/// The receipt page (staff of the handout's site, managers). Viewing it is audited.
#[get("/handouts/<id>/receipt?<lang>")]
pub async fn receipt_page(
    user: PageUser,
    db: &State<DatabaseConnection>,
    addr: ClientAddr,
    id: i64,
    lang: Option<&str>,
) -> PageResult<Template> {
    let db = db.inner();
    let h = handouts::get(db, id).await?;
    if !user.0.can_act_at(h.site_id) {
        return Err(AppError::NotFound.into());
    }
    let fam = families::get(db, h.family_id).await?;
    let site = site::Entity::find_by_id(h.site_id).one(db).await?.ok_or(AppError::NotFound)?;
    let model = crib_model::Entity::find_by_id(h.crib_model_id).one(db).await?.ok_or(AppError::NotFound)?;
    let baby = infant::Entity::find_by_id(h.infant_id).one(db).await?.ok_or(AppError::NotFound)?;
    let t = text(lang.unwrap_or(&fam.preferred_language));
    audit::record_alone(
        db,
        Some(&user.0),
        Some(&addr.0),
        AuditEntry {
            action: "family.view",
            entity: "family",
            entity_id: Some(fam.id),
            detail: Some(format!("receipt {}", h.receipt_number)),
        },
    )
    .await?;
    Ok(Template::render(
        "handouts/receipt",
        json!({
            "title": t.receipt_title,
            "lang": t.lang,
            "t": t,
            "handout": {
                "receipt_number": h.receipt_number,
                "date": h.handed_out_on.to_string(),
                "lot": h.lot,
                "voided": h.voided_at.is_some(),
                "family_id": h.family_id,
            },
            "caregiver": format!("{} {}", fam.first_name, fam.last_name),
            "baby": baby.name.clone().or(baby.date_of_birth.map(|d| d.to_string())).unwrap_or_default(),
            "site": site.name,
            "site_address": site.address,
            "model": model.name,
        }),
    ))
}
