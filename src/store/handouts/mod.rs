//! The handout: one crib for one infant, in one transaction, behind the gates of API.md in
//! their order (scope → eligibility → education → already received → stock), then the
//! ledger movement, the receipt number, the neighborhood at that moment and a follow-up.
//! Voids write a reversing movement (`afterwards`); nothing is edited away. The gates' one read is in
//! `gates`, the SQLite one-script write in `sqlite::handout_script`; `begin` chooses the write's
//! transaction (on SQLite usually a `HeldWrite`, decision 0015) and `record_in` writes in it.

use crate::db::{begin_write, Db};
use crate::domain::actor::Actor;
use crate::domain::states::{FollowUpStatus, ReferralStatus};
use crate::domain::survey;
use crate::entity::{audit_event, eligibility_check, follow_up, handout, referral, stock_balance, stock_movement};
use crate::error::AppError;
use crate::store::audit::{self, AuditEntry};
use crate::store::constraints::{self, Unique};
use crate::store::family_view::HandoutView;
use crate::store::sql::execute_batch;
use crate::store::sqlite::held_write::HeldWrite;
use crate::store::sqlite::Switches;
use crate::store::stock::{
    change_balance, held_movement_row, movement_row, release_one, take_held_balance, MovementKind, NewMovement,
    StockError,
};
use crate::store::write_txn::Write;
use crate::store::{families, outbox, referrals};
use chrono::Duration;
use rand::Rng;
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ConnectionTrait, EntityTrait, QueryTrait};
use serde_json::json;

mod actions;
mod afterwards;
mod gates;
pub mod paper;

pub use actions::{hand_out_once, receipt, void_once, Receipt, LOT_MAX_CHARS, OVERRIDE_MAX_CHARS};
pub use afterwards::{
    count_without_lot, lot_reach, void, with_lot, without_lot, LotReach, LotRecipient, Unrecorded, UNRECORDED_MAX_ROWS,
};

use crate::store::sqlite::handout_script::{record_held, record_in_one_script};
use gates::Gates;

/// What staff asked for.
#[derive(Debug, Clone)]
pub struct HandoutCommand {
    pub family_id: i64,
    pub infant_id: i64,
    pub site_id: i64,
    pub crib_model_id: i64,
    pub lot: Option<String>,
    /// Staff said the box has no lot number (then `lot` is None).
    pub no_lot_on_box: bool,
    /// A manager's written reason to hand out without a passing check.
    pub override_reason: Option<String>,
    /// The hospital request this handout fulfils (an open request for the infant is used anyway).
    pub referral_id: Option<i64>,
    /// A hand-out that happened on paper while the network was down, entered afterwards.
    pub paper: Option<PaperSlip>,
    /// The survey's baseline: where the baby would have slept without this crib (an option
    /// of `domain::survey::BASELINE`, or "prefer not to say"; None when not asked).
    pub baseline_sleep: Option<String>,
}

/// A hand-out entered from a pre-numbered paper slip: when it happened (not in the future,
/// not before the site had the stock) and the slip's number (once per site).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperSlip {
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub slip: String,
}

pub(crate) fn receipt_number(on: chrono::NaiveDate) -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    let tail: String = (0..6).map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char).collect();
    format!("CR-{}-{tail}", on.format("%Y%m%d"))
}

/// The answer for a failed handout write: "already received" when the partial unique
/// index refused a second live crib for the infant (a race between two requests),
/// `ReceiptTaken` when the random receipt number was already used (the handout is tried
/// again with a new one), else the error itself.
pub(crate) fn refusal_of(e: sea_orm::DbErr) -> AppError {
    match refused_unique(&e) {
        Some(UniqueRefusal::Receipt) => AppError::ReceiptTaken,
        Some(UniqueRefusal::Infant) => already_received(),
        Some(UniqueRefusal::PaperSlip) => {
            AppError::Conflict("This paper slip was already entered at this site.".into())
        }
        None => e.into(),
    }
}

/// Which unique rule of the handouts table a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueRefusal {
    /// `receipt_number` (SQLite: `handouts.receipt_number`; PostgreSQL: the column's
    /// `handouts_receipt_number_key`).
    Receipt,
    /// One live handout per infant (`ux_handouts_infant_live`).
    Infant,
    /// One entry per paper slip at a site (`ux_handouts_paper_slip`).
    PaperSlip,
}

/// The unique rule an error says was broken, if it is a unique violation.
///
/// NOTE: a receipt number is six random characters of 32 for the day (about a billion):
/// at a load run's 20,000 handouts in a day two collide about once in five runs, and
/// answering that "already received" turned an eligible family away (benches/load.sh).
pub fn refused_unique(e: &sea_orm::DbErr) -> Option<UniqueRefusal> {
    match constraints::unique_violation(e)? {
        Unique::ReceiptNumber => Some(UniqueRefusal::Receipt),
        Unique::OneLiveCribPerInfant => Some(UniqueRefusal::Infant),
        Unique::PaperSlip => Some(UniqueRefusal::PaperSlip),
        Unique::IdempotencyKey | Unique::UserEmail | Unique::Other => None,
    }
}

/// "Already received", saying where the first hand-out is voided (receipt number when known).
fn already_received_of(receipt: Option<&str>) -> AppError {
    let which = receipt.map_or_else(String::new, |r| format!(" (receipt {r})"));
    AppError::AlreadyReceived(format!(
        "This baby already has a crib from the program{which}. A second crib needs that hand-out voided first: \
         a program manager voids it on the family's page, under \u{201c}Cribs handed out\u{201d} \
         (\u{201c}Void this hand-out\u{201d})."
    ))
}

fn already_received() -> AppError {
    already_received_of(None)
}

/// Everything a handout needs that is read, not written: found by `plan`, before the write
/// transaction, and used by `record` inside it.
#[derive(Debug, Clone)]
pub struct HandoutPlan {
    pub(crate) family_id: i64,
    pub(crate) infant_id: i64,
    pub(crate) site_id: i64,
    pub(crate) crib_model_id: i64,
    pub(crate) lot: Option<String>,
    pub(crate) no_lot_on_box: bool,
    pub(crate) neighborhood_id: Option<i64>,
    pub(crate) csa_id: Option<i32>,
    /// The passing check, or None when a manager overrides.
    pub(crate) eligibility_check_id: Option<i64>,
    pub(crate) override_reason: Option<String>,
    pub(crate) education_id: i64,
    /// The open hospital request for the infant, as it stood when read.
    pub(crate) referral: Option<referral::Model>,
    /// The request was named by the caller (not just found open for the infant).
    pub(crate) referral_named: bool,
    pub(crate) baseline_sleep: Option<String>,
    /// The day of the hand-out (a paper hand-out's own day).
    pub(crate) today: chrono::NaiveDate,
    /// A hand-out entered from paper.
    pub(crate) paper: Option<PaperSlip>,
    /// Lapsed holds on this site's stock of the model (`Gates::lapsed_holds_here`).
    pub(crate) lapsed_holds_here: bool,
    /// The SQLite fast paths this write may take (`on`; none unless set).
    pub(crate) fast: Switches,
}

impl HandoutPlan {
    /// The plan, to be written on `db`: on a SQLite file opened by `db::connect`, with the
    /// speed-ups its switches leave on (one script, decision 0013; a held write, 0015).
    pub fn on(mut self, db: &Db) -> HandoutPlan {
        if let Some(file) = db.sqlite_file() {
            self.fast = file.switches;
        }
        self
    }

    /// Whether the write goes in one `HeldWrite` (decision 0015): on SQLite, for a handout
    /// with no hospital request and no lapsed hold to settle at the site first.
    fn writes_held(&self) -> bool {
        self.referral.is_none() && !self.lapsed_holds_here && self.fast.held_writes && self.fast.handout_script
    }
}

/// The write transaction for a planned handout (decision 0015): where `writes_held`, the
/// SQLite file's writer connection held (`HeldWrite`: the whole write in one round trip,
/// or two when an answer is kept for a retry); otherwise SeaORM's, from `db::begin_write`.
pub fn begin<'a>(
    db: &'a Db,
    plan: &HandoutPlan,
    keeps_answer: bool,
) -> impl std::future::Future<Output = Result<Write, AppError>> + 'a {
    let held = plan.writes_held();
    async move {
        if held {
            Ok(Write::Held(HeldWrite::acquire(db, !keeps_answer).await?))
        } else {
            Ok(Write::Orm(begin_write(db).await?))
        }
    }
}

/// Write a planned handout in the transaction `begin` opened for it, and give it back.
pub async fn record_in(
    write: Write,
    who: &Actor,
    ip: &str,
    plan: HandoutPlan,
) -> (Write, Result<HandoutView, AppError>) {
    match write {
        Write::Orm(txn) => {
            let result = record(&txn, who, ip, plan).await;
            (Write::Orm(txn), result)
        }
        Write::Held(mut held) => {
            let result = record_held(&mut held, who, ip, &plan).await;
            (Write::Held(held), result)
        }
    }
}

/// Hand out a crib on one connection: `plan`, then `record` (benches, tests, scripts).
pub async fn hand_out(
    db: &impl ConnectionTrait,
    who: &Actor,
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
/// One statement on the way to a handout (`Gates`: every fact in one row); the refusals
/// and a hospital request read what they name.
pub async fn plan(db: &impl ConnectionTrait, who: &Actor, cmd: &HandoutCommand) -> Result<HandoutPlan, AppError> {
    // A paper hand-out is judged as of when it happened: the policy in force that day, a
    // check made by then, education given by then.
    let (today, now) = match &cmd.paper {
        Some(p) => (crate::clock::date_in_new_york(p.occurred_at), p.occurred_at),
        None => (crate::clock::today(), crate::clock::now()),
    };
    let mut g = Gates::read(db, cmd, today).await?;
    if let Some(p) = &cmd.paper {
        paper::as_of(db, cmd, p, &mut g).await?;
    }
    // 1. Scope: the family, its infant and the site must be the caller's to act on.
    if !g.family_found || !g.infant_found || !g.site_found || !who.can_act_at(cmd.site_id) {
        return Err(AppError::NotFound);
    }
    if !g.model_found {
        return Err(AppError::validation(
            "crib_model_id",
            format!("There is no crib model with id {}.", cmd.crib_model_id),
        ));
    }
    let params = g.policy_params(today)?;
    // 2. A passing check, recent enough — or a manager's override with a reason.
    let oldest_valid = today - Duration::days(i64::from(params.eligibility_valid_days));
    let passing = match (g.latest_check_id, g.latest_check_result.as_deref(), g.latest_check_on) {
        (Some(id), Some("eligible"), Some(on)) if on >= oldest_valid => Some(id),
        _ => None,
    };
    if passing.is_none() {
        match &cmd.override_reason {
            Some(_) if who.is_manager() => {}
            _ => {
                let latest = match g.latest_check_id {
                    Some(id) => eligibility_check::Entity::find_by_id(id).one(db).await?,
                    None => None,
                };
                return Err(ineligible(latest.as_ref(), params.eligibility_valid_days));
            }
        }
    }
    // 3. Safe-sleep education for the family, recent enough.
    let education_since = now - Duration::days(i64::from(params.education_valid_days));
    let recent = g.education_id.zip(g.education_at).filter(|(_, at)| *at >= education_since);
    let education_id = recent.map(|(id, _)| id).ok_or_else(|| {
        AppError::EducationRequired(format!(
            "Record the safe-sleep education (Alone, Back, Crib, no smoking) for this family first; it counts for {} days.",
            params.education_valid_days
        ))
    })?;
    // 4. One crib per infant (read here; the partial unique index decides in `record`).
    if g.live_cribs > 0 {
        use sea_orm::{ColumnTrait, QueryFilter};
        let live = handout::Entity::find()
            .filter(handout::Column::InfantId.eq(cmd.infant_id))
            .filter(handout::Column::VoidedAt.is_null())
            .one(db)
            .await?;
        return Err(already_received_of(live.as_ref().map(|h| h.receipt_number.as_str())));
    }
    // 5. The same baby on another record (one crib per baby across records).
    if g.possible_same_baby.is_some() {
        let open = crate::store::infant_matches::open_for(db, &[cmd.infant_id]).await?;
        if let Some(m) = open.first() {
            return Err(AppError::PossibleSameBaby(m.sentence()));
        }
    }
    let referral = match (cmd.referral_id, g.open_referral_id) {
        (Some(rid), _) => {
            let r =
                referral::Entity::find_by_id(rid).one(db).await?.filter(|r| r.infant_id == cmd.infant_id).ok_or_else(
                    || AppError::validation("referral_id", "There is no hospital request with this id for this baby."),
                )?;
            if !ReferralStatus::parse(&r.status).is_some_and(ReferralStatus::is_open) {
                return Err(AppError::Conflict(format!(
                    "This hospital request is {}: it cannot be fulfilled.",
                    r.status
                )));
            }
            Some(r)
        }
        (None, Some(open)) => referral::Entity::find_by_id(open).one(db).await?,
        (None, None) => None,
    };
    Ok(HandoutPlan {
        family_id: cmd.family_id,
        infant_id: cmd.infant_id,
        site_id: cmd.site_id,
        crib_model_id: cmd.crib_model_id,
        lot: cmd.lot.clone(),
        no_lot_on_box: cmd.no_lot_on_box,
        neighborhood_id: g.neighborhood_id,
        csa_id: g.csa_id,
        eligibility_check_id: passing,
        override_reason: if passing.is_none() { cmd.override_reason.clone() } else { None },
        education_id,
        referral,
        referral_named: cmd.referral_id.is_some(),
        baseline_sleep: cmd.baseline_sleep.clone(),
        today,
        paper: cmd.paper.clone(),
        lapsed_holds_here: g.lapsed_holds_here > 0,
        fast: Switches::NONE,
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
/// then the request, the ledger row, the follow-up and the audit row, and last the
/// conditional take — from the request's hold when it is here. Any failure rolls the whole
/// transaction back. On SQLite a handout with no request is one script instead
/// (`record_in_one_script`).
pub async fn record(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    mut plan: HandoutPlan,
) -> Result<HandoutView, AppError> {
    let today = plan.today;
    // A request whose hold lapsed is settled first, so it is not taken for a live hold.
    let mut referral = plan.referral.take();
    if referral
        .as_ref()
        .is_some_and(|r| r.status == ReferralStatus::Reserved.as_str() && r.reserved_until.is_some_and(|u| u < today))
    {
        referrals::expire_lapsed(db, today).await?;
        referral = match &referral {
            Some(r) => referral::Entity::find_by_id(r.id).one(db).await?,
            None => None,
        };
        match &referral {
            Some(r)
                if !ReferralStatus::parse(&r.status).is_some_and(ReferralStatus::is_open) && plan.referral_named =>
            {
                return Err(AppError::Conflict(format!(
                    "This hospital request is {}: it cannot be fulfilled.",
                    r.status
                )))
            }
            Some(r) if !ReferralStatus::parse(&r.status).is_some_and(ReferralStatus::is_open) => referral = None,
            _ => {}
        }
    }
    if referral.is_none() && plan.fast.handout_script {
        return record_in_one_script(db, who, ip, &plan).await;
    }
    let hold_here = referral.as_ref().is_some_and(|r| {
        r.status == ReferralStatus::Reserved.as_str()
            && r.reserved_site_id == Some(plan.site_id)
            && r.reserved_crib_model_id == Some(plan.crib_model_id)
    });
    let receipt = receipt_number(today);
    let referral_id = referral.as_ref().map(|r| r.id);
    let inserted = HandoutRows::of(who, ip, &plan, &receipt, referral_id, 0, hold_here).handout.insert(db).await;
    let h = match inserted {
        Ok(h) => h,
        // NOTE: the partial unique index settles a race between two requests for one infant.
        Err(e) => return Err(refusal_of(e)),
    };
    let rows = HandoutRows::of(who, ip, &plan, &receipt, referral_id, h.id, hold_here);
    let movement = HandoutRows::movement_of(who, &plan, h.id);
    if let Some(r) = &referral {
        // A family served somewhere other than where its crib was held: free that hold.
        if r.status == ReferralStatus::Reserved.as_str() && !hold_here {
            if let (Some(site), Some(model)) = (r.reserved_site_id, r.reserved_crib_model_id) {
                release_one(db, site, model).await?;
            }
        }
        // NOTE: only from the status read in `plan`: a request that changed meanwhile
        // (held, cancelled, fulfilled) refuses, and this transaction rolls back.
        referrals::fulfil_from(db, r, h.id).await?;
    }
    // The ledger row, the follow-up and the audit row only add: one batch (one round trip
    // on SQLite).
    let backend = db.get_database_backend();
    execute_batch(
        db,
        vec![
            backend.build(&stock_movement::Entity::insert(rows.movement).into_query()),
            backend.build(&follow_up::Entity::insert_many(rows.follow_ups).into_query()),
            backend.build(&audit_event::Entity::insert(rows.audit).into_query()),
        ],
    )
    .await?;
    // NOTE: the take comes last. On PostgreSQL its UPDATE locks the site's balance row
    // until commit, and every other handout at that site waits for that row: taken last,
    // it is held for the commit alone, not for the rows written after it. Whatever the
    // take refuses rolls all of this back.
    let mut taken = take_one(db, &movement, hold_here).await;
    if matches!(taken, Err(StockError::Insufficient { .. }))
        && !hold_here
        && referrals::expire_lapsed(db, today).await? > 0
    {
        // Lapsed holds elsewhere still counted as reserved: settled, try the take once more.
        taken = take_one(db, &movement, false).await;
    }
    match taken {
        // A crib from the shelf (not from a hold) may take the site under its threshold:
        // the managers hear of it once, in this transaction (no statement otherwise).
        Ok(after) if !hold_here && crate::store::stock::crossed_low(&after, 1) => {
            outbox::causes::stock_fell(db, plan.site_id, plan.crib_model_id, 1, &receipt).await?;
        }
        Ok(_) => {}
        Err(StockError::Insufficient { .. }) => return Err(out_of_stock()),
        Err(StockError::Db(e)) => return Err(e.into()),
    }
    Ok(h.into())
}

/// The rows a handout writes, built once for both ways of writing them (`record` through
/// SeaORM, `sqlite::handout_script` as SQL text): a new column is one edit here, and the compiler
/// checks it for both. `handout_id` is the new handout's id; the script, which does not
/// know it yet, gives 0 and writes the id from the handout row instead (`ID_COLUMNS`).
pub(crate) struct HandoutRows {
    pub handout: handout::ActiveModel,
    pub movement: stock_movement::ActiveModel,
    /// The survey's rounds (`domain::survey::ROUNDS`: 1 and 3 months).
    pub follow_ups: Vec<follow_up::ActiveModel>,
    pub audit: audit_event::ActiveModel,
}

impl HandoutRows {
    /// The rows of a planned handout with this receipt number.
    pub(crate) fn of(
        who: &Actor,
        ip: &str,
        plan: &HandoutPlan,
        receipt: &str,
        referral_id: Option<i64>,
        handout_id: i64,
        hold_here: bool,
    ) -> HandoutRows {
        let now = crate::clock::now();
        let happened = plan.paper.as_ref().map_or(now, |p| p.occurred_at);
        let handout = handout::ActiveModel {
            receipt_number: Set(receipt.to_string()),
            family_id: Set(plan.family_id),
            infant_id: Set(plan.infant_id),
            site_id: Set(plan.site_id),
            crib_model_id: Set(plan.crib_model_id),
            lot: Set(plan.lot.clone()),
            no_lot_on_box: Set(plan.no_lot_on_box),
            neighborhood_id: Set(plan.neighborhood_id),
            csa_id: Set(plan.csa_id),
            eligibility_check_id: Set(plan.eligibility_check_id),
            override_reason: Set(plan.override_reason.clone()),
            education_id: Set(Some(plan.education_id)),
            referral_id: Set(referral_id),
            handed_out_at: Set(happened),
            handed_out_on: Set(plan.today),
            created_by: Set(who.id),
            paper_slip: Set(plan.paper.as_ref().map(|p| p.slip.clone())),
            entered_at: Set(plan.paper.as_ref().map(|_| now)),
            survey_token: Set(Some(crate::auth::token::short_token())),
            baseline_sleep: Set(plan.baseline_sleep.clone()),
            ..Default::default()
        };
        let movement = HandoutRows::movement_of(who, plan, handout_id);
        let mut movement = if hold_here { held_movement_row(&movement) } else { movement_row(&movement) };
        // The crib left the shelf when it happened on paper.
        movement.created_at = Set(happened);
        let follow_ups = survey::ROUNDS
            .iter()
            .map(|&months| follow_up::ActiveModel {
                handout_id: Set(handout_id),
                site_id: Set(plan.site_id),
                due_on: Set(survey::due_on(plan.today, months)),
                status: Set(FollowUpStatus::Due.as_str().into()),
                attempts: Set(0),
                round_months: Set(months as i32),
                ..Default::default()
            })
            .collect();
        let audit = audit::row(
            Some(who),
            Some(ip),
            AuditEntry {
                action: "handout.create",
                entity: "handout",
                entity_id: Some(handout_id),
                detail: Some(match &plan.paper {
                    Some(p) => format!(
                        "{} (from paper slip {})",
                        audit_detail(receipt, plan.override_reason.as_deref()),
                        p.slip
                    ),
                    None => audit_detail(receipt, plan.override_reason.as_deref()),
                }),
            },
        );
        HandoutRows { handout, movement, follow_ups, audit }
    }

    /// The ledger movement of a handout (the take applies it to the balance).
    fn movement_of(who: &Actor, plan: &HandoutPlan, handout_id: i64) -> NewMovement {
        NewMovement {
            site_id: plan.site_id,
            crib_model_id: plan.crib_model_id,
            kind: MovementKind::Handout,
            quantity: -1,
            lot: plan.lot.clone(),
            reason: None,
            note: None,
            transfer_id: None,
            handout_id: Some(handout_id),
            user_id: Some(who.id),
        }
    }
}

/// The columns of the rows besides the handout that hold the handout's id.
pub(crate) const ID_COLUMNS: [&str; 2] = ["handout_id", "entity_id"];

pub(crate) fn out_of_stock() -> AppError {
    AppError::OutOfStock(
        "No crib of that model is available at this site (reserved cribs are held for hospital requests).".into(),
    )
}

/// What the audit row of a handout says.
fn audit_detail(receipt: &str, override_reason: Option<&str>) -> String {
    match override_reason {
        Some(r) => format!("receipt {receipt}; manager override: {r}"),
        None => format!("receipt {receipt}"),
    }
}

/// Take the crib off the balance: from the request's hold, or from what is unreserved.
async fn take_one(
    db: &impl ConnectionTrait,
    movement: &NewMovement,
    from_hold: bool,
) -> Result<stock_balance::Model, StockError> {
    if from_hold {
        take_held_balance(db, movement).await
    } else {
        change_balance(db, movement).await
    }
}

/// A handout by id, or 404.
pub async fn get(db: &impl ConnectionTrait, id: i64) -> Result<handout::Model, AppError> {
    handout::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)
}
