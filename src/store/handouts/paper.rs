//! A hand-out entered afterwards from a paper slip (issue 19): the gates judge it as of
//! when it happened. The policy in force that day comes from `Gates::read` (given the
//! paper day); here the check is the latest made by that day and the education the latest
//! given by then (an hour's grace: both are on the same slip), and the time must be past
//! and after the site first had a crib of the model. The stock is taken from today's
//! balance (it never goes negative: a site that cannot cover it is refused, for a manager
//! to count or adjust first); the movement and the hand-out are dated when it happened.

use super::gates::Gates;
use super::{HandoutCommand, PaperSlip};
use crate::entity::{education_session, eligibility_check, stock_movement};
use crate::error::AppError;
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

/// The longest slip number.
pub const SLIP_MAX_CHARS: usize = 40;

/// Put the paper day's facts into the gates.
pub(super) async fn as_of(
    db: &impl ConnectionTrait,
    cmd: &HandoutCommand,
    p: &PaperSlip,
    g: &mut Gates,
) -> Result<(), AppError> {
    let now = crate::clock::now();
    if p.occurred_at > now + Duration::minutes(5) {
        return Err(AppError::validation(
            "occurred_at",
            "A paper hand-out cannot be in the future: give when it happened.",
        ));
    }
    let first_stock = stock_movement::Entity::find()
        .filter(stock_movement::Column::SiteId.eq(cmd.site_id))
        .filter(stock_movement::Column::CribModelId.eq(cmd.crib_model_id))
        .filter(stock_movement::Column::Quantity.gt(0))
        .order_by_asc(stock_movement::Column::CreatedAt)
        .one(db)
        .await?;
    match first_stock {
        Some(m) if m.created_at <= p.occurred_at => {}
        Some(m) => {
            return Err(AppError::validation(
                "occurred_at",
                format!(
                    "This site first had a crib of this model on {}: check the date on the slip.",
                    crate::clock::date_in_new_york(m.created_at)
                ),
            ))
        }
        None => return Err(AppError::validation("occurred_at", "This site has never had a crib of this model.")),
    }
    let day = crate::clock::date_in_new_york(p.occurred_at);
    let check = eligibility_check::Entity::find()
        .filter(eligibility_check::Column::InfantId.eq(cmd.infant_id))
        .filter(eligibility_check::Column::CheckedOn.lte(day))
        .order_by_desc(eligibility_check::Column::CheckedOn)
        .order_by_desc(eligibility_check::Column::Id)
        .one(db)
        .await?;
    g.latest_check_id = check.as_ref().map(|c| c.id);
    g.latest_check_result = check.as_ref().map(|c| c.result.clone());
    g.latest_check_on = check.as_ref().map(|c| c.checked_on);
    let education = education_session::Entity::find()
        .filter(education_session::Column::FamilyId.eq(cmd.family_id))
        .filter(education_session::Column::DeliveredAt.lte(p.occurred_at + Duration::hours(1)))
        .order_by_desc(education_session::Column::DeliveredAt)
        .one(db)
        .await?;
    g.education_id = education.as_ref().map(|e| e.id);
    g.education_at = education.as_ref().map(|e| e.delivered_at);
    Ok(())
}

/// A whole paper slip entered at once (the back-entry page): the hand-out, and what the
/// slip shows happened before it — the eligibility answers (checked for the paper day under
/// the policy in force then, unless a passing check was made that day) and the safe-sleep
/// education the caregiver signed for.
#[derive(Debug, Clone)]
pub struct PaperEntry {
    pub cmd: HandoutCommand,
    pub education: crate::domain::education::NewEducation,
}

/// Enter a paper slip in one write (site staff of the site, managers): the check (audited
/// `eligibility.check`), the education (`education.record`) and the hand-out
/// (`handout.create`, marked with the slip) together, or nothing. The same slip at the
/// same site twice records once.
pub async fn enter_once(
    db: &crate::db::Db,
    by: crate::store::audit::Caller<'_>,
    mode: crate::store::write::Mode<'_>,
    entry: &PaperEntry,
) -> Result<crate::store::write::Ran<super::HandoutView>, AppError> {
    crate::error::forbidden_unless(by.who.works_with_families())?;
    let cmd = &entry.cmd;
    let Some(paper) = &cmd.paper else {
        return Err(AppError::validation(
            "paper_slip",
            "A paper hand-out needs the slip's number and when it happened.",
        ));
    };
    crate::store::families::ensure_visible(db, by.who, cmd.family_id).await?;
    if let Some(done) = super::actions::entered_slip(db, by, cmd).await? {
        return Ok(done);
    }
    let day = crate::clock::date_in_new_york(paper.occurred_at);
    crate::store::write::run(db, by.who.id, mode, 201, |txn| async {
        let r = async {
            // The slip's answers are checked for its day, unless a passing check was made that day.
            let that_day = eligibility_check::Entity::find()
                .filter(eligibility_check::Column::InfantId.eq(cmd.infant_id))
                .filter(eligibility_check::Column::CheckedOn.eq(day))
                .filter(eligibility_check::Column::Result.eq("eligible"))
                .one(&txn)
                .await?;
            if that_day.is_none() {
                let v = crate::store::eligibility::run_check(
                    &txn,
                    cmd.family_id,
                    cmd.infant_id,
                    day,
                    by.who.id,
                    Some(cmd.site_id),
                )
                .await?;
                let detail = Some(format!("infant {}: {} (paper slip {}, {day})", cmd.infant_id, v.result, paper.slip));
                let e = crate::store::audit::AuditEntry {
                    action: "eligibility.check",
                    entity: "family",
                    entity_id: Some(cmd.family_id),
                    detail,
                };
                crate::store::audit::record(&txn, Some(by.who), Some(by.ip), e).await?;
            }
            let session =
                crate::store::education::record(&txn, cmd.family_id, &entry.education, by.who.id, Some(cmd.site_id))
                    .await?;
            let detail = Some(format!("session {} ({}, paper slip {})", session.id, session.mode, paper.slip));
            let e = crate::store::audit::AuditEntry {
                action: "education.record",
                entity: "family",
                entity_id: Some(cmd.family_id),
                detail,
            };
            crate::store::audit::record(&txn, Some(by.who), Some(by.ip), e).await?;
            super::hand_out(&txn, by.who, by.ip, cmd).await
        }
        .await;
        (txn, r)
    })
    .await
}
