//! The handout: one crib for one infant, in one transaction, behind the gates of API.md in
//! their order (scope → eligibility → education → already received → stock), then the
//! ledger movement, the receipt number, the neighborhood at that moment and a follow-up.
//! Voids write a reversing movement; nothing is edited away.

use crate::auth::guards::Identity;
use crate::entity::{crib_model, follow_up, handout, neighborhood, referral};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use crate::store::family_view::HandoutView;
use crate::store::stock::{apply_movement, release_one, take_reserved, MovementKind, NewMovement, StockError};
use crate::store::{education, eligibility, families, policy, referrals};
use chrono::Duration;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, SqlErr};
use serde_json::json;

/// What staff asked for.
#[derive(Debug, Clone)]
pub struct HandoutCommand {
    pub family_id: i64,
    pub infant_id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub lot: Option<String>,
    /// A manager's written reason to hand out without a passing check.
    pub override_reason: Option<String>,
    /// The hospital request this handout fulfils (an open request for the infant is used anyway).
    pub referral_id: Option<i64>,
}

fn receipt_number(on: chrono::NaiveDate) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let tail: String = (0..6).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("CR-{}-{tail}", on.format("%Y%m%d"))
}

fn already_received() -> AppError {
    AppError::AlreadyReceived(
        "This infant already has a crib from the program. A second crib needs the first handout voided by a manager."
            .into(),
    )
}

/// Everything a handout needs that is read, not written: found by `plan`, before the write
/// transaction, and used by `record` inside it.
#[derive(Debug, Clone)]
pub struct HandoutPlan {
    family_id: i64,
    infant_id: i64,
    site_id: i64,
    crib_model_id: i64,
    lot: Option<String>,
    neighborhood_id: Option<i64>,
    csa_id: Option<i32>,
    /// The passing check, or None when a manager overrides.
    eligibility_check_id: Option<i64>,
    override_reason: Option<String>,
    education_id: i64,
    /// The open hospital request for the infant, as it stood when read.
    referral: Option<referral::Model>,
    /// The request was named by the caller (not just found open for the infant).
    referral_named: bool,
    follow_up_days: i64,
    today: chrono::NaiveDate,
}

/// Hand out a crib on one connection: `plan`, then `record` (benches, tests, scripts).
pub async fn hand_out(
    db: &impl ConnectionTrait,
    who: &Identity,
    ip: &str,
    cmd: &HandoutCommand,
) -> Result<HandoutView, AppError> {
    let plan = plan(db, who, cmd).await?;
    record(db, who, ip, plan).await
}

/// The gates of a handout that only read, in API.md's order (scope → eligibility →
/// education → already received); each refusal answers with its code. Run on the pool
/// before the write transaction: `record` re-checks, by constraint or conditional write,
/// what another writer could change in between (the infant's crib, the stock, the request).
pub async fn plan(db: &impl ConnectionTrait, who: &Identity, cmd: &HandoutCommand) -> Result<HandoutPlan, AppError> {
    // 1. Scope: the family, its infant and the site must be the caller's to act on.
    let fam = families::get(db, cmd.family_id).await?;
    let infant =
        families::infants(db, fam.id).await?.into_iter().find(|i| i.id == cmd.infant_id).ok_or(AppError::NotFound)?;
    if crate::store::reference::site(db, cmd.site_id).await?.is_none() || !who.can_act_at(cmd.site_id) {
        return Err(AppError::NotFound);
    }
    if crib_model::Entity::find_by_id(cmd.crib_model_id).one(db).await?.is_none() {
        return Err(AppError::validation(
            "crib_model_id",
            format!("There is no crib model with id {}.", cmd.crib_model_id),
        ));
    }
    let today = crate::clock::today();
    let now = crate::clock::now();
    let pv = policy::in_force(db, today).await?;
    // 2. A passing check, recent enough — or a manager's override with a reason.
    let latest = eligibility::latest_for_infant(db, infant.id).await?;
    let oldest_valid = today - Duration::days(i64::from(pv.params.eligibility_valid_days));
    let passing = latest.as_ref().filter(|c| c.result == "eligible" && c.checked_on >= oldest_valid);
    if passing.is_none() {
        match &cmd.override_reason {
            Some(_) if who.is_manager() => {}
            _ => return Err(ineligible(latest.as_ref(), pv.params.eligibility_valid_days)),
        }
    }
    // 3. Safe-sleep education for the family, recent enough.
    let edu = education::recent(db, fam.id, pv.params.education_valid_days, now).await?.ok_or_else(|| {
        AppError::EducationRequired(format!(
            "Record the safe-sleep education (Alone, Back, Crib, no smoking) for this family first; it counts for {} days.",
            pv.params.education_valid_days
        ))
    })?;
    // 4. One crib per infant (read here; the partial unique index decides in `record`).
    if families::infant_has_crib(db, infant.id).await? {
        return Err(already_received());
    }
    let referral = match cmd.referral_id {
        Some(rid) => {
            let r = referral::Entity::find_by_id(rid).one(db).await?.filter(|r| r.infant_id == infant.id).ok_or_else(
                || AppError::validation("referral_id", "There is no hospital request with this id for this baby."),
            )?;
            if !referrals::OPEN.contains(&r.status.as_str()) {
                return Err(AppError::Conflict(format!(
                    "This hospital request is {}: it cannot be fulfilled.",
                    r.status
                )));
            }
            Some(r)
        }
        None => referrals::open_for_infant(db, infant.id).await?,
    };
    let csa_id = match fam.neighborhood_id {
        Some(n) => neighborhood::Entity::find_by_id(n).one(db).await?.map(|n| n.csa_id),
        None => None,
    };
    Ok(HandoutPlan {
        family_id: fam.id,
        infant_id: infant.id,
        site_id: cmd.site_id,
        crib_model_id: cmd.crib_model_id,
        lot: cmd.lot.clone(),
        neighborhood_id: fam.neighborhood_id,
        csa_id,
        eligibility_check_id: passing.map(|c| c.id),
        override_reason: if passing.is_none() { cmd.override_reason.clone() } else { None },
        education_id: edu.id,
        referral,
        referral_named: cmd.referral_id.is_some(),
        follow_up_days: i64::from(pv.params.follow_up_days),
        today,
    })
}

/// The refusal for an infant without a recent passing check, naming the failed rules.
fn ineligible(latest: Option<&crate::entity::eligibility_check::Model>, valid_days: u32) -> AppError {
    let (message, rules) = match latest {
        None => ("No eligibility check is recorded for this infant: run the check first.".to_string(), json!([])),
        Some(c) if c.result == "eligible" => (
            format!("The last passing check ({}) is older than {valid_days} days: check again.", c.checked_on),
            json!([]),
        ),
        Some(c) => {
            let rules: serde_json::Value = serde_json::from_str(&c.rules_json).unwrap_or(json!([]));
            let failed: Vec<serde_json::Value> = rules
                .as_array()
                .map(|r| r.iter().filter(|x| x["passed"] == false).cloned().collect())
                .unwrap_or_default();
            (format!("The last check ({}) found the infant not eligible.", c.checked_on), json!(failed))
        }
    };
    AppError::Ineligible { message, rules }
}

/// Write a planned handout, inside the write transaction: the handout row first (the
/// movement names it; the partial unique index refuses a second live crib for the infant),
/// then the conditional take — from the request's hold when it is here — then the request,
/// the follow-up and the audit row. Any failure rolls the whole transaction back.
pub async fn record(
    db: &impl ConnectionTrait,
    who: &Identity,
    ip: &str,
    plan: HandoutPlan,
) -> Result<HandoutView, AppError> {
    let now = crate::clock::now();
    let today = plan.today;
    // A request whose hold lapsed is settled first, so it is not taken for a live hold.
    let mut referral = plan.referral;
    if referral.as_ref().is_some_and(|r| r.status == "reserved" && r.reserved_until.is_some_and(|u| u < today)) {
        referrals::expire_lapsed(db, today).await?;
        referral = match &referral {
            Some(r) => referral::Entity::find_by_id(r.id).one(db).await?,
            None => None,
        };
        match &referral {
            Some(r) if !referrals::OPEN.contains(&r.status.as_str()) && plan.referral_named => {
                return Err(AppError::Conflict(format!(
                    "This hospital request is {}: it cannot be fulfilled.",
                    r.status
                )))
            }
            Some(r) if !referrals::OPEN.contains(&r.status.as_str()) => referral = None,
            _ => {}
        }
    }
    let hold_here = referral.as_ref().is_some_and(|r| {
        r.status == "reserved"
            && r.reserved_site_id == Some(plan.site_id)
            && r.reserved_crib_model_id == Some(plan.crib_model_id)
    });
    let inserted = handout::ActiveModel {
        receipt_number: Set(receipt_number(today)),
        family_id: Set(plan.family_id),
        infant_id: Set(plan.infant_id),
        site_id: Set(plan.site_id),
        crib_model_id: Set(plan.crib_model_id),
        lot: Set(plan.lot.clone()),
        neighborhood_id: Set(plan.neighborhood_id),
        csa_id: Set(plan.csa_id),
        eligibility_check_id: Set(plan.eligibility_check_id),
        override_reason: Set(plan.override_reason.clone()),
        education_id: Set(Some(plan.education_id)),
        referral_id: Set(referral.as_ref().map(|r| r.id)),
        handed_out_at: Set(now),
        handed_out_on: Set(today),
        created_by: Set(who.user.id),
        ..Default::default()
    }
    .insert(db)
    .await;
    let h = match inserted {
        Ok(h) => h,
        // NOTE: the partial unique index settles a race between two requests for one infant.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => return Err(already_received()),
        Err(e) => return Err(e.into()),
    };
    let movement = NewMovement {
        site_id: plan.site_id,
        crib_model_id: plan.crib_model_id,
        kind: MovementKind::Handout,
        quantity: -1,
        lot: plan.lot.clone(),
        reason: None,
        note: None,
        transfer_id: None,
        handout_id: Some(h.id),
        user_id: Some(who.user.id),
    };
    let mut taken =
        if hold_here { take_reserved(db, movement.clone()).await } else { apply_movement(db, movement.clone()).await };
    if matches!(taken, Err(StockError::Insufficient { .. }))
        && !hold_here
        && referrals::expire_lapsed(db, today).await? > 0
    {
        // Lapsed holds elsewhere still counted as reserved: settled, try the take once more.
        taken = apply_movement(db, movement).await;
    }
    match taken {
        Ok(_) => {}
        Err(StockError::Insufficient { .. }) => {
            return Err(AppError::OutOfStock(
                "No crib of that model is available at this site (reserved cribs are held for hospital requests)."
                    .into(),
            ))
        }
        Err(StockError::Db(e)) => return Err(e.into()),
    }
    if let Some(r) = &referral {
        // A family served somewhere other than where its crib was held: free that hold.
        if r.status == "reserved" && !hold_here {
            if let (Some(site), Some(model)) = (r.reserved_site_id, r.reserved_crib_model_id) {
                release_one(db, site, model).await?;
            }
        }
        // NOTE: only from the status read in `plan`: a request that changed meanwhile
        // (held, cancelled, fulfilled) refuses, and this transaction rolls back.
        referrals::fulfil_from(db, r, h.id).await?;
    }
    follow_up::Entity::insert(follow_up::ActiveModel {
        handout_id: Set(h.id),
        site_id: Set(plan.site_id),
        due_on: Set(today + Duration::days(plan.follow_up_days)),
        status: Set("due".into()),
        attempts: Set(0),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    let detail = match &h.override_reason {
        Some(r) => format!("receipt {}; manager override: {r}", h.receipt_number),
        None => format!("receipt {}", h.receipt_number),
    };
    audit::record(
        db,
        Some(who),
        Some(ip),
        AuditEntry { action: "handout.create", entity: "handout", entity_id: Some(h.id), detail: Some(detail) },
    )
    .await?;
    Ok(h.into())
}

/// A handout by id, or 404.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<handout::Model, AppError> {
    handout::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}

/// Void a handout (managers): a reversing movement returns the crib; the row stays, marked.
pub async fn void(
    db: &impl ConnectionTrait,
    who: &Identity,
    ip: &str,
    id: i64,
    reason: &str,
) -> Result<HandoutView, AppError> {
    let h = get(db, id).await?;
    let now = crate::clock::now();
    let changed = handout::Entity::update_many()
        .col_expr(handout::Column::VoidedAt, Expr::value(now))
        .col_expr(handout::Column::VoidedBy, Expr::value(who.user.id))
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
            user_id: Some(who.user.id),
        },
    )
    .await
    .map_err(|e| match e {
        StockError::Db(e) => AppError::from(e),
        other => AppError::Internal(other.to_string()),
    })?;
    follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value("cancelled"))
        .col_expr(follow_up::Column::ClosedAt, Expr::value(now))
        .filter(follow_up::Column::HandoutId.eq(id))
        .filter(follow_up::Column::Status.eq("due"))
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
