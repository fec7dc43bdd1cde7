//! The sender: a loop in the server (`run`, every `CRIBS_OUTBOX_POLL_SECONDS`) that expires
//! lapsed holds (so their messages are written), writes the morning's messages once a day, claims due messages under a lease (`outbox::claim`),
//! reads again what each speaks of (`outbox::letters`), keeps a family's quiet hours, hands
//! each to the mail server, and records the result only after the server answered: sent,
//! again later (exponential back-off, capped), failed (a permanent refusal or no tries
//! left) or suppressed (with the reason). A sender killed between the claim and the record
//! leaves the message `sending` until its lease ends, and then it is claimed again: it may
//! be delivered twice in that case (the same `Message-ID`), never lost.
//!
//! `run_once` is one pass at a given instant: the loop calls it with the clock, tests with
//! theirs.

use super::Mailer;
use crate::db::Db;
use crate::domain::messages::{after_failure, after_quiet_hours, AfterFailure, Audience};
use crate::store::outbox::letters::{self, Outcome};
use crate::store::outbox::{self, Finish};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::DbErr;

use std::sync::Arc;

/// How many messages one pass claims at most.
pub const BATCH: u64 = 20;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pass {
    pub claimed: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub suppressed: usize,
    /// Put back until the family's quiet hours end.
    pub quiet: usize,
    /// Finished by another sender meanwhile (the lease was lost): not recorded here.
    pub lost: usize,
}

/// A name for this sender's leases: the host's process and a random part.
pub fn owner_name() -> String {
    format!("pid{}-{}", std::process::id(), &crate::auth::token::random_token()[..12])
}

/// One pass at `now`: claim due messages and send them. With no mail server configured,
/// due messages are marked as waiting for one and nothing is claimed.
pub async fn run_once(db: &Db, mailer: &Mailer, owner: &str, now: DateTime<Utc>) -> Result<Pass, DbErr> {
    let mut pass = Pass::default();
    if !mailer.configured() {
        if outbox::any_due(db.pool(), now, true).await? {
            outbox::mark_no_server(db.writer(), now).await?;
        }
        return Ok(pass);
    }
    if !outbox::any_due(db.pool(), now, false).await? {
        return Ok(pass);
    }
    let claimed = {
        let txn = crate::db::begin_write(db).await?;
        let rows = outbox::claim(&txn, owner, now, BATCH).await?;
        txn.commit().await?;
        rows
    };
    pass.claimed = claimed.len();
    for m in claimed {
        let finish = match letters::read(db.pool(), &m, now).await? {
            Outcome::Suppress(why) => {
                pass.suppressed += 1;
                Finish::Suppressed(why)
            }
            Outcome::Send(letter) => {
                let quiet = (letter.kind.audience() == Audience::Family).then(|| after_quiet_hours(now)).flatten();
                if let Some(at) = quiet {
                    pass.quiet += 1;
                    Finish::Again { at, why: "waiting for the end of quiet hours (08:00)".into(), count_try: false }
                } else {
                    match super::compose::email(mailer, &m, &letter) {
                        Err(why) => {
                            pass.failed += 1;
                            Finish::Failed(why)
                        }
                        Ok(email) => match mailer.send(email).await {
                            Ok(()) => {
                                pass.sent += 1;
                                Finish::Sent
                            }
                            Err(e) => match after_failure(m.attempts, e.permanent, now) {
                                AfterFailure::Retry(at) => {
                                    pass.retried += 1;
                                    Finish::Again { at, why: e.text, count_try: true }
                                }
                                AfterFailure::GiveUp => {
                                    pass.failed += 1;
                                    Finish::Failed(e.text)
                                }
                            },
                        },
                    }
                }
            }
        };
        if !outbox::finish(db.writer(), m.id, owner, now, finish).await? {
            pass.lost += 1;
        }
    }
    Ok(pass)
}

/// Write the morning's messages of `day` once it is 07:00 in New York (a day already
/// written is not written again: their keys are unique).
pub async fn morning_if_due(db: &Db, now: DateTime<Utc>, last: &mut Option<NaiveDate>) -> Result<(), DbErr> {
    let day = crate::clock::date_in_new_york(now);
    if *last == Some(day) || now < crate::domain::messages::at_new_york(day, crate::domain::messages::MORNING) {
        return Ok(());
    }
    let txn = crate::db::begin_write(db).await?;
    outbox::causes::morning(&txn, day).await?;
    txn.commit().await?;
    *last = Some(day);
    Ok(())
}

/// The sender's loop: every `every` seconds, the morning's messages (once a day) and one
/// pass, until the server stops. Errors are logged and the loop goes on.
pub async fn run(db: Db, mailer: Arc<Mailer>, every: std::time::Duration) {
    let owner = owner_name();
    let mut morning: Option<NaiveDate> = None;
    loop {
        let now = crate::clock::now();
        // Holds that lapsed are expired here too (not only when someone reads them), so the
        // nurse hears of it without anyone opening a page: a read, and a write only then.
        if let Err(e) = crate::store::referrals::settle(&db).await {
            tracing::warn!("outbox: lapsed holds could not be settled: {e}");
        }
        if let Err(e) = morning_if_due(&db, now, &mut morning).await {
            tracing::warn!("outbox: the morning's messages could not be written: {e}");
        }
        loop {
            match run_once(&db, &mailer, &owner, crate::clock::now()).await {
                // A full batch: there may be more due now.
                Ok(p) if p.claimed as u64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!("outbox: a pass failed: {e}");
                    break;
                }
            }
        }
        tokio::time::sleep(every).await;
    }
}
