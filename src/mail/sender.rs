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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::Notify;

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

/// The running sender, as the server holds it: its lease owner's name, and the way to stop
/// it and give back what it claimed (`stop_and_release`, when the server stops).
pub struct Sender {
    pub owner: String,
    stopping: AtomicBool,
    wake: Notify,
    stopped: Notify,
    done: AtomicBool,
}

/// How long a stopping server waits for the message being sent to finish.
pub const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Sender {
    /// A sender with a fresh owner name.
    pub fn new() -> Arc<Sender> {
        Arc::new(Sender {
            owner: owner_name(),
            stopping: AtomicBool::new(false),
            wake: Notify::new(),
            stopped: Notify::new(),
            done: AtomicBool::new(false),
        })
    }

    /// Stop: the loop finishes the message it is sending (waited for up to `STOP_WAIT`),
    /// sends no other, and every message it claimed and did not finish goes back to pending
    /// for another server. Returns how many went back.
    pub async fn stop_and_release(&self, db: &Db) -> Result<u64, DbErr> {
        self.stopping.store(true, Ordering::SeqCst);
        self.wake.notify_one();
        let stopped = self.stopped.notified();
        if !self.done.load(Ordering::SeqCst) {
            let _ = tokio::time::timeout(STOP_WAIT, stopped).await;
        }
        let n = outbox::release(db.writer(), &self.owner, crate::clock::now()).await?;
        if n > 0 {
            tracing::info!("outbox: {n} claimed messages given back for another server");
        }
        Ok(n)
    }
}

/// One pass at `now`: claim due messages and send them. With no mail server configured,
/// due messages are marked as waiting for one and nothing is claimed.
pub async fn run_once(db: &Db, mailer: &Mailer, owner: &str, now: DateTime<Utc>) -> Result<Pass, DbErr> {
    run_once_until(db, mailer, owner, now, &AtomicBool::new(false)).await
}

/// `run_once`, sending no further message once `stop` is set (the claimed rest stay
/// `sending` under this owner, for `Sender::stop_and_release` to give back).
pub async fn run_once_until(
    db: &Db,
    mailer: &Mailer,
    owner: &str,
    now: DateTime<Utc>,
    stop: &AtomicBool,
) -> Result<Pass, DbErr> {
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
        if stop.load(Ordering::SeqCst) {
            break;
        }
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
/// pass, until the server stops (`Sender::stop_and_release`). Errors are logged and the loop
/// goes on.
pub async fn run(db: Db, mailer: Arc<Mailer>, every: std::time::Duration, me: Arc<Sender>) {
    let owner = me.owner.clone();
    let mut morning: Option<NaiveDate> = None;
    while !me.stopping.load(Ordering::SeqCst) {
        let now = crate::clock::now();
        // Holds that lapsed are expired here too (not only when someone reads them), so the
        // nurse hears of it without anyone opening a page: a read, and a write only then.
        if let Err(e) = crate::store::referrals::settle(&db).await {
            tracing::warn!("outbox: lapsed holds could not be settled: {e}");
        }
        if let Err(e) = morning_if_due(&db, now, &mut morning).await {
            tracing::warn!("outbox: the morning's messages could not be written: {e}");
        }
        while !me.stopping.load(Ordering::SeqCst) {
            match run_once_until(&db, &mailer, &owner, crate::clock::now(), &me.stopping).await {
                // A full batch: there may be more due now.
                Ok(p) if p.claimed as u64 == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!("outbox: a pass failed: {e}");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = me.wake.notified() => {}
        }
    }
    me.done.store(true, Ordering::SeqCst);
    me.stopped.notify_waiters();
}
