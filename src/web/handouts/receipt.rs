//! The printed receipt: one page in the family's language with the receipt number, date,
//! site, model, lot, the ABCD reminders in large type and two signature lines.

use crate::auth::guards::{ClientAddr, PageUser};
use crate::db::Db;
use crate::domain::safe_sleep_text::text;
use crate::store::audit::Caller;
use crate::store::handouts;
use crate::web::error_page::PageResult;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The receipt page (staff of the handout's site, managers). Viewing it is audited.
#[get("/handouts/<id>/receipt?<lang>")]
pub async fn receipt_page(
    user: PageUser,
    db: &State<Db>,
    addr: ClientAddr,
    id: i64,
    lang: Option<&str>,
) -> PageResult<Template> {
    let r = handouts::receipt(db.inner(), Caller { who: &user.0, ip: &addr.0 }, id).await?;
    let (h, fam, site, baby) = (r.handout, r.family, r.site, r.infant);
    let t = text(lang.unwrap_or(&fam.preferred_language));
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
                "id": h.id,
                "family_id": h.family_id,
                "paper_slip": h.paper_slip,
            },
            "caregiver": format!("{} {}", fam.first_name, fam.last_name),
            "baby": baby.name.clone().or(baby.date_of_birth.map(|d| d.to_string())).unwrap_or_default(),
            "site": site.name,
            "site_address": site.address,
            "model": r.model_name,
            "may_void": user.0.is_manager() && h.voided_at.is_none(),
        }),
    ))
}
