//! The handout's actions as both faces call them: hand out under a key (with the receipt
//! number drawn again when taken), the command's rules, void, and the receipt view. The
//! gates, the plan and the write they run are the parent module's.

use super::*;
use crate::db::Db;
use crate::error::{forbidden_unless, optional_text, Problems};
use crate::store::audit::Caller;
use crate::store::write::{self, Mode, Ran, WriteRequest};
use sea_orm::{ColumnTrait, QueryFilter};

/// Hand out a crib under a key (site staff of the site, managers), audited as
/// `handout.create`: the gates on the pool (`plan`), then the write in the transaction
/// `begin` chooses (`record_in`), through the one write runner. A receipt number already
/// taken is drawn again (the whole write was rolled back).
pub async fn hand_out_once(
    db: &Db,
    by: Caller<'_>,
    req: WriteRequest<'_>,
    cmd: &HandoutCommand,
) -> Result<Ran<HandoutView>, AppError> {
    forbidden_unless(by.who.works_with_families())?;
    // A slip entered twice records once: the second entry answers with the first.
    if let Some(done) = entered_slip(db, by, cmd).await? {
        return Ok(done);
    }
    let mut tries = 0;
    loop {
        tries += 1;
        let prepare = || async { plan(db, by.who, cmd).await.map(|p| p.on(db)) };
        let begin = |plan: &HandoutPlan, keeps_answer: bool| begin(db, plan, keeps_answer);
        let ran = write::run_prepared(db, by.who.id, req.clone(), 201, prepare, begin, |write, plan| {
            record_in(write, by.who, by.ip, plan)
        })
        .await;
        // NOTE: the whole write was rolled back; the next try draws a new receipt number.
        match &ran {
            Ok(r) if !r.replayed => crate::metrics::handout(),
            Err(e) => {
                if let Some(gate) = refusing_gate(e) {
                    crate::metrics::handout_refused(gate);
                }
            }
            Ok(_) => {}
        }
        match ran {
            Err(AppError::ReceiptTaken) if tries < RECEIPT_TRIES => continue,
            // Two entries of one slip at once: the loser answers with the winner's.
            Err(e @ AppError::Conflict(_)) if cmd.paper.is_some() => {
                return entered_slip(db, by, cmd).await?.ok_or(e);
            }
            ran => return ran,
        }
    }
}

/// The gate a refusal of a hand-out is, for the metrics (None: not a gate's refusal).
fn refusing_gate(e: &AppError) -> Option<&'static str> {
    Some(match e {
        AppError::NotFound | AppError::Forbidden => "scope",
        AppError::Ineligible { .. } => "eligibility",
        AppError::EducationRequired(_) => "education",
        AppError::AlreadyReceived(_) => "one_crib_per_infant",
        AppError::PossibleSameBaby(_) => "possible_same_baby",
        AppError::OutOfStock(_) => "stock",
        _ => return None,
    })
}

/// The hand-out already entered from this command's paper slip at its site, if any (for
/// someone who may act at the site).
pub(super) async fn entered_slip(
    db: &Db,
    by: Caller<'_>,
    cmd: &HandoutCommand,
) -> Result<Option<Ran<HandoutView>>, AppError> {
    let Some(p) = &cmd.paper else { return Ok(None) };
    if !by.who.can_act_at(cmd.site_id) {
        return Ok(None);
    }
    let found = handout::Entity::find()
        .filter(handout::Column::SiteId.eq(cmd.site_id))
        .filter(handout::Column::PaperSlip.eq(p.slip.as_str()))
        .one(db)
        .await?;
    match found {
        Some(h) if h.infant_id != cmd.infant_id => Err(AppError::Conflict(format!(
            "Paper slip {} was already entered at this site for another baby (receipt {}): check the slip's number.",
            p.slip, h.receipt_number
        ))),
        found => Ok(found.map(|h| Ran { value: h.into(), replayed: true })),
    }
}

/// How many receipt numbers a handout draws before it answers 503 (at 20,000 handouts in
/// a day a draw collides about 2 times in 10^5, two in a row about 4 times in 10^10).
const RECEIPT_TRIES: u32 = 3;

/// The longest lot number.
pub const LOT_MAX_CHARS: usize = 100;
/// The longest override reason.
pub const OVERRIDE_MAX_CHARS: usize = 500;

impl HandoutCommand {
    /// A handout as asked for, with its rules: a lot of at most 100 characters; an override
    /// reason of at most 500, and only from a manager (decision 0017: both faces refuse a
    /// non-manager's override instead of dropping it).
    #[expect(clippy::too_many_arguments, reason = "the handout's fields as a face reads them")]
    pub fn parse(
        who: &Actor,
        family_id: i64,
        infant_id: i64,
        site_id: i64,
        crib_model_id: i64,
        lot: Option<String>,
        override_reason: Option<String>,
        referral_id: Option<i64>,
    ) -> Result<HandoutCommand, AppError> {
        let mut p = Problems::default();
        let lot = optional_text(&mut p, "lot", lot, LOT_MAX_CHARS);
        let override_reason = optional_text(&mut p, "override_reason", override_reason, OVERRIDE_MAX_CHARS);
        if override_reason.is_some() && !who.is_manager() {
            p.add("override_reason", "Only a program manager can hand out without a passing eligibility check.");
        }
        p.finish()?;
        Ok(HandoutCommand {
            family_id,
            infant_id,
            site_id,
            crib_model_id,
            lot,
            no_lot_on_box: false,
            override_reason,
            referral_id,
            paper: None,
            baseline_sleep: None,
        })
    }

    /// The survey's baseline as the family answered it at the hand-out (empty: not asked):
    /// one of `domain::survey::BASELINE`'s options or "prefer not to say".
    pub fn with_baseline(mut self, answer: Option<&str>) -> Result<HandoutCommand, AppError> {
        let answer = answer.map(str::trim).filter(|a| !a.is_empty());
        if let Some(a) = answer {
            if a != crate::domain::survey::PREFER_NOT && !crate::domain::survey::BASELINE.options.contains(&a) {
                let options = crate::domain::survey::BASELINE.options.join(", ");
                return Err(AppError::validation(
                    "baseline_sleep",
                    format!("Where the baby would have slept: choose one of {options}, or prefer_not."),
                ));
            }
        }
        self.baseline_sleep = answer.map(str::to_string);
        Ok(self)
    }

    /// The box has no lot number, as staff said (the hand-out form's explicit choice, or
    /// the API's `no_lot_on_box`): refused with a lot given too.
    pub fn with_no_lot_on_box(mut self, no_lot: bool) -> Result<HandoutCommand, AppError> {
        if no_lot && self.lot.is_some() {
            return Err(AppError::validation(
                "lot",
                "Give either the lot number or \u{201c}no lot number on the box\u{201d}, not both.",
            ));
        }
        self.no_lot_on_box = no_lot;
        Ok(self)
    }

    /// A hand-out that happened on paper: when (RFC 3339) and the slip's number, both or
    /// neither.
    pub fn with_paper(mut self, occurred_at: Option<&str>, slip: Option<&str>) -> Result<HandoutCommand, AppError> {
        let mut p = Problems::default();
        let slip = optional_text(&mut p, "paper_slip", slip.map(str::to_string), super::paper::SLIP_MAX_CHARS);
        let at = match occurred_at.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(t) => match chrono::DateTime::parse_from_rfc3339(t) {
                Ok(t) => Some(t.with_timezone(&chrono::Utc)),
                Err(_) => {
                    p.add("occurred_at", "Give when it happened as a date and time, like 2026-12-04T10:30:00-05:00.");
                    None
                }
            },
        };
        match (&at, &slip) {
            (Some(_), None) => p.add("paper_slip", "A hand-out entered from paper needs the slip's number."),
            (None, Some(_)) if !p.has("occurred_at") => {
                p.add("occurred_at", "A hand-out entered from paper needs the date and time it happened.")
            }
            _ => {}
        }
        p.finish()?;
        self.paper = at.zip(slip).map(|(occurred_at, slip)| PaperSlip { occurred_at, slip });
        Ok(self)
    }
}

/// Void a handout under a key (managers), audited as `handout.void`: a reversing movement
/// returns the crib; the row stays, marked. The reason is 3 to 500 characters.
pub async fn void_once(
    db: &Db,
    by: Caller<'_>,
    mode: Mode<'_>,
    id: i64,
    reason: &str,
) -> Result<Ran<HandoutView>, AppError> {
    forbidden_unless(by.who.is_manager())?;
    let reason = reason.trim();
    if !(3..=500).contains(&reason.chars().count()) {
        return Err(AppError::validation("reason", "Say why the handout is voided (3 to 500 characters)."));
    }
    write::run(db, by.who.id, mode, 200, |txn| async {
        let r = void(&txn, by.who, by.ip, id, reason).await;
        (txn, r)
    })
    .await
}

/// What a receipt shows: the handout and its family, for staff of its site and managers
/// (else 404). Reading it is a view of the family's record, audited as `family.view`.
pub async fn receipt(db: &Db, by: Caller<'_>, id: i64) -> Result<Receipt, AppError> {
    let h = get(db, id).await?;
    if !by.who.can_act_at(h.site_id) {
        return Err(AppError::NotFound);
    }
    let family = families::get(db, h.family_id).await?;
    let site = crate::store::reference::site(db, h.site_id).await?.ok_or(AppError::NotFound)?;
    let model =
        crate::entity::crib_model::Entity::find_by_id(h.crib_model_id).one(db).await?.ok_or(AppError::NotFound)?;
    let infant = crate::entity::infant::Entity::find_by_id(h.infant_id).one(db).await?.ok_or(AppError::NotFound)?;
    let detail = Some(format!("receipt {}", h.receipt_number));
    let entry = AuditEntry { action: "family.view", entity: "family", entity_id: Some(family.id), detail };
    audit::record_alone(db, Some(by.who), Some(by.ip), entry).await?;
    Ok(Receipt { handout: h, family, site, model_name: model.name, model_code: model.code, infant })
}

/// A receipt's facts (`receipt`).
#[derive(Debug, Clone)]
pub struct Receipt {
    pub handout: handout::Model,
    pub family: crate::entity::family::Model,
    pub site: crate::entity::site::Model,
    pub model_name: String,
    /// The model's code: the catalog names it in the family's language (`crib-model-<code>`).
    pub model_code: String,
    pub infant: crate::entity::infant::Model,
}
