//! Just before a message is sent, the state it speaks of is read again: a reminder for a
//! hold that was handed out, moved or cancelled since it was written, a family that withdrew
//! its consent, a user who muted the notice or left, a site restocked since it ran low — each
//! is suppressed with the reason, never sent stale. What is still true comes back as a
//! `Letter`: the address (read now, never copied into the outbox) and the facts the
//! templates put into words (`crate::mail::compose`).

use crate::domain::messages::{parse_muted, Audience, Kind};
use crate::domain::states::ReferralStatus;
use crate::entity::{crib_model, family, message, referral, site, stock_balance, user};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, QueryFilter};
use serde::Serialize;

/// A message ready to be put into words.
#[derive(Debug, Clone)]
pub struct Letter {
    pub kind: Kind,
    pub language: String,
    pub to_address: String,
    pub to_name: String,
    /// The family's unsubscribe token (family messages only).
    pub unsubscribe_token: Option<String>,
    pub facts: Facts,
}

/// What a message says, as data.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    pub referral_id: Option<i64>,
    pub site_code: Option<String>,
    pub site_name: Option<String>,
    pub site_address: Option<String>,
    pub model_code: Option<String>,
    pub model_name: Option<String>,
    pub until: Option<NaiveDate>,
    pub discharge_date: Option<NaiveDate>,
    pub reason: Option<String>,
    pub handed_out_on: Option<NaiveDate>,
    pub available: Option<i32>,
    pub threshold: Option<i32>,
    pub day: Option<NaiveDate>,
    /// The caregiver's first name (family messages: the greeting).
    pub first_name: Option<String>,
    /// Lines of a digest or a list: (what, how many).
    pub counts: Vec<(String, i64)>,
    /// The survey's link token (the family's invitation only; never logged).
    #[serde(skip)]
    pub survey_token: Option<String>,
    /// The survey round's months, and the baby's first name.
    pub round_months: Option<i32>,
    pub baby: Option<String>,
}

/// Send this, or do not (and why).
#[derive(Debug, Clone)]
pub enum Outcome {
    Send(Box<Letter>),
    Suppress(String),
}

fn suppress(why: impl Into<String>) -> Result<Outcome, DbErr> {
    Ok(Outcome::Suppress(why.into()))
}

/// Read again what message `m` speaks of, at `now`.
pub async fn read(db: &impl ConnectionTrait, m: &message::Model, now: DateTime<Utc>) -> Result<Outcome, DbErr> {
    let Some(kind) = Kind::parse(&m.kind) else {
        return suppress(format!("unknown kind of message {:?}", m.kind));
    };
    let mut facts = Facts { referral_id: m.referral_id, day: m.on_date, ..Default::default() };
    // The recipient, read now.
    let (to_address, to_name, language, token) = match (kind.audience(), m.user_id, m.family_id) {
        (Audience::Family, _, Some(f)) => {
            let Some(c) = super::causes::consent_of(db, f).await? else {
                return suppress("the family has not consented to e-mail (or withdrew it)");
            };
            let Some(fam) = family::Entity::find_by_id(f).one(db).await? else {
                return suppress("the family's record is gone");
            };
            if fam.erased_at.is_some() {
                return suppress("the family's identifying data were erased");
            }
            facts.first_name = Some(fam.first_name.clone());
            let address = c.address.clone().unwrap_or_default();
            (address, fam.first_name, c.language, Some(c.unsubscribe_token))
        }
        (_, Some(u), _) => {
            let Some(u) = user::Entity::find_by_id(u).one(db).await? else {
                return suppress("the account is gone");
            };
            if !u.active {
                return suppress("the account is deactivated");
            }
            if parse_muted(&u.muted_notices).contains(&kind) {
                return suppress("the recipient turned this notice off in their settings");
            }
            (u.email, u.display_name, m.language.clone(), None)
        }
        _ => return suppress("the message has no recipient"),
    };
    let outcome = match kind {
        Kind::RequestAccepted
        | Kind::RequestDeclined
        | Kind::RequestHandedOut
        | Kind::HoldEnding
        | Kind::HoldExpired
        | Kind::CribReady
        | Kind::HoldReminder => about_request(db, kind, m, &mut facts, now).await?,
        Kind::StockLow => about_stock(db, m, &mut facts).await?,
        Kind::ManagerDigest => digest(db, m, &mut facts, now).await?,
        Kind::CallsDue => calls_due(db, m, &mut facts).await?,
        Kind::SurveyDue => survey_due(db, m, &mut facts, now).await?,
    };
    if let Some(why) = outcome {
        return suppress(why);
    }
    Ok(Outcome::Send(Box::new(Letter { kind, language, to_address, to_name, unsubscribe_token: token, facts })))
}

async fn site_facts(db: &impl ConnectionTrait, facts: &mut Facts, site_id: Option<i64>) -> Result<(), DbErr> {
    if let Some(s) = match site_id {
        Some(id) => site::Entity::find_by_id(id).one(db).await?,
        None => None,
    } {
        facts.site_code = Some(s.code);
        facts.site_name = Some(s.name);
        facts.site_address = s.address;
    }
    Ok(())
}

async fn model_facts(db: &impl ConnectionTrait, facts: &mut Facts, model_id: Option<i64>) -> Result<(), DbErr> {
    if let Some(c) = match model_id {
        Some(id) => crib_model::Entity::find_by_id(id).one(db).await?,
        None => None,
    } {
        facts.model_code = Some(c.code);
        facts.model_name = Some(c.name);
    }
    Ok(())
}

/// A message about a request: still true? (None: send; Some: why not.)
async fn about_request(
    db: &impl ConnectionTrait,
    kind: Kind,
    m: &message::Model,
    facts: &mut Facts,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let Some(r) = (match m.referral_id {
        Some(id) => referral::Entity::find_by_id(id).one(db).await?,
        None => None,
    }) else {
        return Ok(Some("the request is gone".into()));
    };
    let status = ReferralStatus::parse(&r.status);
    facts.discharge_date = Some(r.discharge_date);
    facts.until = r.reserved_until;
    site_facts(db, facts, r.reserved_site_id).await?;
    model_facts(db, facts, r.reserved_crib_model_id).await?;
    let now_words = |s: Option<ReferralStatus>| match s {
        Some(ReferralStatus::Fulfilled) => "the crib was handed out first".to_string(),
        Some(s) => format!("the request is now {}", s.as_str()),
        None => "the request's state is unknown".to_string(),
    };
    let today = crate::clock::date_in_new_york(now);
    let why = match kind {
        Kind::RequestAccepted | Kind::CribReady => match status {
            Some(ReferralStatus::Reserved) => None,
            Some(ReferralStatus::Fulfilled) if kind == Kind::RequestAccepted => None,
            s => Some(now_words(s)),
        },
        Kind::HoldEnding | Kind::HoldReminder => match status {
            Some(ReferralStatus::Reserved) if r.reserved_until.is_some_and(|u| u >= today) => None,
            Some(ReferralStatus::Reserved) => Some("the hold has already ended".into()),
            s => Some(now_words(s)),
        },
        Kind::RequestDeclined => {
            facts.reason = r.decline_reason.clone();
            (status != Some(ReferralStatus::Declined)).then(|| now_words(status))
        }
        Kind::RequestHandedOut => {
            if let Some(h) = r.handout_id {
                if let Some(h) = crate::entity::handout::Entity::find_by_id(h).one(db).await? {
                    facts.handed_out_on = Some(h.handed_out_on);
                    site_facts(db, facts, Some(h.site_id)).await?;
                    if h.voided_at.is_some() {
                        return Ok(Some("the handout was voided".into()));
                    }
                }
            }
            (status != Some(ReferralStatus::Fulfilled)).then(|| now_words(status))
        }
        Kind::HoldExpired => (status != Some(ReferralStatus::Expired)).then(|| now_words(status)),
        _ => Some("not a message about a request".into()),
    };
    Ok(why)
}

/// A low-stock notice: still low?
async fn about_stock(
    db: &impl ConnectionTrait,
    m: &message::Model,
    facts: &mut Facts,
) -> Result<Option<String>, DbErr> {
    let (Some(s), Some(c)) = (m.site_id, m.crib_model_id) else {
        return Ok(Some("the notice names no site".into()));
    };
    site_facts(db, facts, Some(s)).await?;
    model_facts(db, facts, Some(c)).await?;
    let Some(b) = stock_balance::Entity::find()
        .filter(stock_balance::Column::SiteId.eq(s))
        .filter(stock_balance::Column::CribModelId.eq(c))
        .one(db)
        .await?
    else {
        return Ok(Some("the site holds no such cribs".into()));
    };
    let available = b.on_hand - b.reserved;
    facts.available = Some(available);
    facts.threshold = Some(b.low_stock_threshold);
    Ok((available > b.low_stock_threshold).then(|| "the site was restocked since".to_string()))
}

#[derive(FromQueryResult)]
struct Count {
    n: i64,
}

async fn count(db: &impl ConnectionTrait, sql: crate::store::sql::Sql) -> Result<i64, DbErr> {
    Ok(Count::find_by_statement(sql.statement()).one(db).await?.map_or(0, |c| c.n))
}

/// The manager's digest of a day: requests waiting over two days, holds ending tomorrow,
/// messages that failed in the last day. Nothing to say: suppressed.
async fn digest(
    db: &impl ConnectionTrait,
    m: &message::Model,
    facts: &mut Facts,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    let backend = db.get_database_backend();
    let day = m.on_date.unwrap_or_else(|| crate::clock::date_in_new_york(now));
    let mut waiting = crate::store::sql::Sql::new(backend);
    waiting
        .push("SELECT COUNT(*) AS n FROM referrals WHERE status = 'submitted' AND created_at < ")
        .bind(now - Duration::days(2));
    let mut ending = crate::store::sql::Sql::new(backend);
    ending
        .push("SELECT COUNT(*) AS n FROM referrals WHERE status = 'reserved' AND reserved_until = ")
        .bind(day + Duration::days(1));
    let mut failed = crate::store::sql::Sql::new(backend);
    failed
        .push("SELECT COUNT(*) AS n FROM messages WHERE status = 'failed' AND updated_at >= ")
        .bind(now - Duration::days(1));
    facts.counts = vec![
        ("requests_waiting".into(), count(db, waiting).await?),
        ("holds_ending".into(), count(db, ending).await?),
        ("messages_failed".into(), count(db, failed).await?),
    ];
    Ok(facts.counts.iter().all(|(_, n)| *n == 0).then(|| "nothing to report that day".to_string()))
}

/// A survey invitation: is the round still open on the family's link? (None: send.)
async fn survey_due(
    db: &impl ConnectionTrait,
    m: &message::Model,
    facts: &mut Facts,
    now: DateTime<Utc>,
) -> Result<Option<String>, DbErr> {
    use crate::domain::states::FollowUpStatus;
    use crate::entity::{follow_up, handout, infant};
    let Some(id) = crate::domain::messages::key::survey_round(&m.dedupe_key) else {
        return Ok(Some("the invitation names no survey round".into()));
    };
    let Some(f) = follow_up::Entity::find_by_id(id).one(db).await? else {
        return Ok(Some("the survey round is gone".into()));
    };
    if !matches!(FollowUpStatus::parse(&f.status), Some(FollowUpStatus::Due)) {
        return Ok(Some(format!("the round is no longer waiting for answers ({})", f.status)));
    }
    let Some(h) = handout::Entity::find_by_id(f.handout_id).one(db).await? else {
        return Ok(Some("the hand-out is gone".into()));
    };
    let (Some(token), None) = (h.survey_token.clone(), h.voided_at) else {
        return Ok(Some("the hand-out was voided".into()));
    };
    let months = u32::try_from(f.round_months).unwrap_or(1);
    let (_, closes) = crate::domain::survey::link_window(h.handed_out_on, months);
    if crate::clock::date_in_new_york(now) > closes {
        return Ok(Some("the round's link has closed".into()));
    }
    facts.survey_token = Some(token);
    facts.round_months = Some(f.round_months);
    facts.baby = infant::Entity::find_by_id(h.infant_id)
        .one(db)
        .await?
        .and_then(|i| i.name)
        .and_then(|n| n.split_whitespace().next().map(str::to_string));
    Ok(None)
}

/// The follow-up calls due at a staff member's sites on the day (one line per site).
async fn calls_due(db: &impl ConnectionTrait, m: &message::Model, facts: &mut Facts) -> Result<Option<String>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        name: String,
        n: i64,
    }
    let (Some(u), Some(day)) = (m.user_id, m.on_date) else {
        return Ok(Some("the list names no one".into()));
    };
    let backend = db.get_database_backend();
    let mut sql = crate::store::sql::Sql::new(backend);
    sql.push(
        "SELECT s.name AS name, COUNT(*) AS n FROM follow_ups f JOIN user_sites us ON us.site_id = f.site_id \
         JOIN sites s ON s.id = f.site_id WHERE f.status = 'due' AND us.user_id = ",
    )
    .bind(u)
    .push(" AND f.due_on <= ")
    .bind(crate::domain::survey::calls_due_by(day))
    .push(" GROUP BY s.name ORDER BY s.name");
    let rows = Row::find_by_statement(sql.statement()).all(db).await?;
    facts.counts = rows.into_iter().map(|r| (r.name, r.n)).collect();
    Ok(facts.counts.is_empty().then(|| "no follow-up calls are due".to_string()))
}
