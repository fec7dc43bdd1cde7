//! `cribs generate`: fill a database with deterministic synthetic data for load and report
//! benchmarks — families across every CSA (weighted towards the CSAs with the highest infant
//! mortality, as the program is), infants (some twins, some younger siblings born later),
//! handouts over several years with a seasonal, growing pattern, some voided (half of
//! those re-issued), at the existing distribution sites.
//!
//! Stock stays a consistent ledger (`check-ledger` reports no drift): every handout writes
//! its `handout` movement (−1) and every void its `handout_void` (+1); the cribs handed out
//! arrive first through `receipt` movements (at most 10,000 each, dated the day before the
//! period) covering exactly the handouts at each (site, model), so the balance moves by the
//! number of voids only.
//!
//! Rows are written with `insert_many` in chunks of 500, one transaction per batch of
//! families, with ids assigned here (from the current maximum) so that infants, handouts and
//! movements can name their parents without reading anything back; on PostgreSQL the id
//! sequences are moved past them at the end. Run it against a database nobody else is
//! writing to. Generated handouts have no eligibility check or education row: they carry
//! `override_reason = "synthetic data (cribs generate)"`. Each live handout has its survey
//! rounds (1 and 3 months, issue 23): those already due answered by about half the families
//! (on the link or by phone) with plausible answers, some lost after three calls, the rest
//! waiting; they are drawn from a second generator seeded from the first, so the families
//! and handouts are the same as before the rounds existed.

use crate::db::begin_write;
use crate::db::Db;
use crate::domain::family::RACE_ETHNICITY;
use crate::domain::reports::infant_mortality;
use crate::entity::{
    crib_model, family, follow_up, handout, infant, neighborhood, site, stock_movement, survey_answer, user,
};
use crate::store::stock::ensure_balance;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::New_York;
use rand::distributions::{Distribution, WeightedIndex};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult,
    QueryFilter, QueryOrder, Statement,
};
use std::collections::BTreeMap;

/// Rows per INSERT.
pub const CHUNK: usize = 500;
/// Families per transaction.
const BATCH: usize = 20_000;
/// The note on every generated handout.
pub const SYNTHETIC: &str = "synthetic data (cribs generate)";

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub families: usize,
    pub seed: u64,
    /// Months of handouts, ending on `end` (the command line gives years).
    pub months: u32,
    /// Plain family names ("Brooks") as a demo shows them, instead of names made unique
    /// for the benchmarks ("Brooks-4812", which a check-in search finds alone).
    pub plain_names: bool,
    /// The last day with handouts (New York date).
    pub end: NaiveDate,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateSummary {
    pub families: usize,
    pub infants: usize,
    pub handouts: usize,
    pub voided: usize,
    pub movements: usize,
    /// Survey rounds, and the rounds answered.
    pub follow_ups: usize,
    pub survey_answers: usize,
}

#[derive(Debug, FromQueryResult)]
struct MaxId {
    m: Option<i64>,
}

async fn max_id(db: &impl ConnectionTrait, table: &str) -> Result<i64, DbErr> {
    let sql = format!("SELECT CAST(MAX(id) AS BIGINT) AS m FROM {table}");
    let row = MaxId::find_by_statement(Statement::from_string(db.get_database_backend(), sql)).one(db).await?;
    Ok(row.and_then(|r| r.m).unwrap_or(0))
}

/// Insert active models in chunks of `CHUNK` rows.
async fn insert_chunks<A>(db: &impl ConnectionTrait, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Send,
{
    let mut it = rows.into_iter().peekable();
    while it.peek().is_some() {
        let chunk: Vec<A> = it.by_ref().take(CHUNK).collect();
        A::Entity::insert_many(chunk).exec_without_returning(db).await?;
    }
    Ok(())
}

/// The fixed choices the generator draws from.
struct World {
    /// (neighborhood id, its CSA) and their weights.
    hoods: Vec<(i64, i32)>,
    hood_weights: WeightedIndex<f64>,
    sites: Vec<i64>,
    site_weights: WeightedIndex<f64>,
    models: Vec<i64>,
    model_weights: WeightedIndex<f64>,
    races: Vec<Option<&'static str>>,
    race_weights: WeightedIndex<f64>,
    user_id: i64,
}

const FIRST: [&str; 16] = [
    "Aaliyah", "Brianna", "Destiny", "Jasmine", "Keisha", "Maria", "Ashley", "Tiana", "Imani", "Jessica", "Ana", "Nia",
    "Crystal", "Latoya", "Sara", "Monique",
];
const LAST: [&str; 16] = [
    "Brooks", "Johnson", "Williams", "Smith", "Jones", "Brown", "Davis", "Harris", "Jackson", "Thomas", "Garcia",
    "Martinez", "Robinson", "Walker", "Young", "Lewis",
];

/// Race/ethnicity answers and their weights (roughly the program's families).
fn race_weights() -> (Vec<Option<&'static str>>, Vec<f64>) {
    let weights = [62.0, 12.0, 10.0, 2.0, 0.5, 0.3, 3.0, 1.2, 4.0];
    let mut races: Vec<Option<&'static str>> = RACE_ETHNICITY.iter().map(|(code, _)| Some(*code)).collect();
    let mut w: Vec<f64> =
        RACE_ETHNICITY.iter().enumerate().map(|(i, _)| weights.get(i).copied().unwrap_or(1.0)).collect();
    races.push(None);
    w.push(5.0);
    (races, w)
}

async fn world(db: &impl ConnectionTrait) -> Result<World, String> {
    let err = |e: DbErr| e.to_string();
    let rates = infant_mortality();
    let median = {
        let mut v: Vec<f64> = rates.values().map(|r| r.per_1000).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(8.0)
    };
    let hoods: Vec<(i64, i32)> = neighborhood::Entity::find()
        .order_by_asc(neighborhood::Column::Id)
        .all(db)
        .await
        .map_err(err)?
        .into_iter()
        .map(|n| (n.id, n.csa_id))
        .collect();
    if hoods.is_empty() {
        return Err("no neighborhoods: run `cribs seed` first".into());
    }
    // NOTE: need drives reach: a CSA's weight grows with its infant mortality rate.
    let hood_w: Vec<f64> =
        hoods.iter().map(|(_, csa)| rates.get(csa).map(|r| r.per_1000).unwrap_or(median).max(1.0).powf(1.5)).collect();
    let mut sites: Vec<site::Model> = site::Entity::find()
        .filter(site::Column::Active.eq(true))
        .filter(site::Column::Kind.eq("distribution"))
        .order_by_asc(site::Column::Id)
        .all(db)
        .await
        .map_err(err)?;
    if sites.is_empty() {
        sites = site::Entity::find().order_by_asc(site::Column::Id).all(db).await.map_err(err)?;
    }
    if sites.is_empty() {
        return Err("no sites: start once with CRIBS_DEMO=1 (or `cribs seed`) so the demo sites exist".into());
    }
    let site_w: Vec<f64> = (0..sites.len()).map(|i| 1.0 / (1.0 + i as f64 * 0.5)).collect();
    let models: Vec<i64> = crib_model::Entity::find()
        .order_by_asc(crib_model::Column::Id)
        .all(db)
        .await
        .map_err(err)?
        .into_iter()
        .map(|m| m.id)
        .collect();
    if models.is_empty() {
        return Err("no crib models: run `cribs seed` first".into());
    }
    let model_w: Vec<f64> = (0..models.len()).map(|i| if i == 0 { 6.0 } else { 1.0 }).collect();
    let users = user::Entity::find().order_by_asc(user::Column::Id).all(db).await.map_err(err)?;
    let user_id = users
        .iter()
        .find(|u| u.role == "program_manager" || u.role == "admin")
        .or(users.first())
        .map(|u| u.id)
        .ok_or("no users: create one first (or start with CRIBS_DEMO=1)")?;
    let (races, race_w) = race_weights();
    let bad = |e: rand::distributions::WeightedError| e.to_string();
    Ok(World {
        hood_weights: WeightedIndex::new(&hood_w).map_err(bad)?,
        hoods,
        site_weights: WeightedIndex::new(&site_w).map_err(bad)?,
        sites: sites.into_iter().map(|s| s.id).collect(),
        model_weights: WeightedIndex::new(&model_w).map_err(bad)?,
        models,
        race_weights: WeightedIndex::new(&race_w).map_err(bad)?,
        races,
        user_id,
    })
}

/// A day in the period: more handouts in later years (the program grows) and a little
/// more in late summer and autumn.
fn pick_day(rng: &mut StdRng, start: NaiveDate, days: i64) -> NaiveDate {
    loop {
        let d = rng.gen_range(0..days.max(1));
        let t = d as f64 / days.max(1) as f64;
        let day = start + Duration::days(d);
        let season = 1.0 + 0.15 * ((f64::from(day.ordinal()) - 150.0) / 365.0 * std::f64::consts::TAU).sin();
        let weight = (0.6 + 0.4 * t) * season / 1.15;
        if rng.gen::<f64>() < weight {
            return day;
        }
    }
}

/// An instant during opening hours (9:00–17:00 New York) on a New York date.
fn opening_hours(rng: &mut StdRng, day: NaiveDate) -> DateTime<Utc> {
    let secs = rng.gen_range(9 * 3600..17 * 3600);
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(secs);
    New_York
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&local))
}

/// One generated handout before it becomes rows.
struct PlannedHandout {
    infant_id: i64,
    family_id: i64,
    neighborhood: Option<(i64, i32)>,
    site_id: i64,
    model_id: i64,
    at: DateTime<Utc>,
    voided_at: Option<DateTime<Utc>>,
}

/// Generate the data. Deterministic for the same options and the same starting database.
pub async fn generate(db: &Db, opts: &GenerateOptions) -> Result<GenerateSummary, String> {
    let err = |e: DbErr| e.to_string();
    let w = world(db).await?;
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let start = opts
        .end
        .checked_sub_months(chrono::Months::new(opts.months.max(1)))
        .map(|d| d + Duration::days(1))
        .ok_or("the period does not fit the calendar")?;
    let days = (opts.end - start).num_days() + 1;
    let mut next_family = max_id(db, "families").await.map_err(err)?;
    let mut next_infant = max_id(db, "infants").await.map_err(err)?;
    let mut next_handout = max_id(db, "handouts").await.map_err(err)?;
    let mut next_round = max_id(db, "follow_ups").await.map_err(err)?;
    let mut next_sheet = max_id(db, "survey_answers").await.map_err(err)?;
    // The survey's draws come from their own generator, so the rest is drawn as before.
    let mut survey_rng = StdRng::seed_from_u64(opts.seed ^ 0x0005_eed5_u64);
    let mut summary = GenerateSummary::default();
    // Cribs handed out per (site, model), for the receipts.
    let mut per_stock: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut voids_per_stock: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut remaining = opts.families;
    while remaining > 0 {
        let batch = remaining.min(BATCH);
        remaining -= batch;
        let mut families = Vec::with_capacity(batch);
        let mut infants = Vec::with_capacity(batch + batch / 16);
        let mut planned: Vec<PlannedHandout> = Vec::with_capacity(batch + batch / 16);
        for _ in 0..batch {
            next_family += 1;
            let fid = next_family;
            let mut hood = (rng.gen::<f64>() >= 0.02).then(|| w.hoods[w.hood_weights.sample(&mut rng)]);
            let race = w.races[w.race_weights.sample(&mut rng)];
            let day = pick_day(&mut rng, start, days);
            let first = FIRST[rng.gen_range(0..FIRST.len())];
            let last = LAST[rng.gen_range(0..LAST.len())];
            let last_name = if opts.plain_names { last.to_string() } else { format!("{last}-{fid}") };
            let spanish = race == Some("hispanic_latino") && rng.gen_bool(0.6);
            let enrollments = ["WIC", "Medicaid", "WIC,Medicaid", "SNAP", "Medicaid,SNAP"][rng.gen_range(0..5)];
            let registered_on = day - Duration::days(rng.gen_range(0..10));
            let created = opening_hours(&mut rng, registered_on);
            families.push(family::ActiveModel {
                id: Set(fid),
                first_name: Set(first.to_string()),
                last_name: Set(last_name.clone()),
                date_of_birth: Set(NaiveDate::from_ymd_opt(
                    rng.gen_range(1980..2006),
                    rng.gen_range(1..13),
                    rng.gen_range(1..29),
                )),
                phone: Set(Some(format!("410-555-{:04}", fid % 10_000))),
                phone_digits: Set(Some(format!("410555{:04}", fid % 10_000))),
                preferred_language: Set(if spanish { "es" } else { "en" }.to_string()),
                address_line1: Set(format!("{} Synthetic St", 100 + fid % 9_000)),
                city: Set(if hood.is_some() { "Baltimore" } else { "Towson" }.to_string()),
                state: Set("MD".into()),
                zip: Set(if hood.is_some() { "21217" } else { "21204" }.to_string()),
                neighborhood_id: Set(hood.map(|h| h.0)),
                household_size: Set(rng.gen_range(2..7)),
                annual_income_cents: Set(Some(rng.gen_range(500_000..4_000_000))),
                enrollments: Set(enrollments.to_string()),
                has_safe_sleep_space: Set(Some(false)),
                race_ethnicity: Set(race.map(str::to_string)),
                registered_site_id: Set(None),
                created_by: Set(Some(w.user_id)),
                created_at: Set(created),
                search_first: Set(Some(crate::domain::checkin::search_key(first))),
                search_last: Set(Some(crate::domain::checkin::search_key(&last_name))),
                merged_into_id: Set(None),
                erased_at: Set(None),
                phone_last4: Set(Some(format!("{:04}", fid % 10_000))),
                phone_last7: Set(Some(format!("555{:04}", fid % 10_000))),
                sound_first: Set(crate::domain::checkin::sound_key(first)),
                sound_last: Set(crate::domain::checkin::sound_key(last)),
            });
            summary.families += 1;
            // Twins 3%; a younger sibling later in the period 4% (the family may have moved).
            let twins = rng.gen_bool(0.03);
            let mut babies: Vec<NaiveDate> = vec![day; if twins { 2 } else { 1 }];
            if rng.gen_bool(0.04) {
                let later = day + Duration::days(rng.gen_range(300..800));
                if later <= opts.end {
                    babies.push(later);
                }
            }
            for (k, hand_day) in babies.into_iter().enumerate() {
                next_infant += 1;
                let iid = next_infant;
                infants.push(infant::ActiveModel {
                    id: Set(iid),
                    family_id: Set(fid),
                    name: Set(None),
                    search_name: Set(None),
                    date_of_birth: Set(Some(hand_day - Duration::days(rng.gen_range(0..120)))),
                    expected_due_date: Set(None),
                    weight_lb: Set(None),
                    created_at: Set(created),
                });
                summary.infants += 1;
                if k >= 1 && hand_day != day && rng.gen_bool(0.3) {
                    hood = (rng.gen::<f64>() >= 0.02).then(|| w.hoods[w.hood_weights.sample(&mut rng)]);
                }
                let site_id = w.sites[w.site_weights.sample(&mut rng)];
                let model_id = w.models[w.model_weights.sample(&mut rng)];
                let at = opening_hours(&mut rng, hand_day);
                let voided = rng.gen_bool(0.02);
                let voided_at = voided.then(|| at + Duration::hours(rng.gen_range(1..72)));
                planned.push(PlannedHandout {
                    infant_id: iid,
                    family_id: fid,
                    neighborhood: hood,
                    site_id,
                    model_id,
                    at,
                    voided_at,
                });
                // Half of the voided cribs are handed out again, correctly, soon after.
                if let Some(v) = voided_at.filter(|_| rng.gen_bool(0.5)) {
                    let again = v + Duration::hours(rng.gen_range(1..48));
                    if crate::clock::date_in_new_york(again) <= opts.end {
                        planned.push(PlannedHandout {
                            infant_id: iid,
                            family_id: fid,
                            neighborhood: hood,
                            site_id,
                            model_id,
                            at: again,
                            voided_at: None,
                        });
                    }
                }
            }
        }
        let mut handouts = Vec::with_capacity(planned.len());
        let mut movements = Vec::with_capacity(planned.len() + planned.len() / 40);
        let mut rounds = Vec::with_capacity(planned.len() * 2);
        let mut sheets = Vec::with_capacity(planned.len());
        for p in planned {
            next_handout += 1;
            let hid = next_handout;
            *per_stock.entry((p.site_id, p.model_id)).or_default() += 1;
            handouts.push(handout::ActiveModel {
                id: Set(hid),
                receipt_number: Set(format!("GEN-{}-{hid}", opts.seed)),
                family_id: Set(p.family_id),
                infant_id: Set(p.infant_id),
                site_id: Set(p.site_id),
                crib_model_id: Set(p.model_id),
                lot: Set(None),
                neighborhood_id: Set(p.neighborhood.map(|h| h.0)),
                csa_id: Set(p.neighborhood.map(|h| h.1)),
                eligibility_check_id: Set(None),
                override_reason: Set(Some(SYNTHETIC.into())),
                education_id: Set(None),
                referral_id: Set(None),
                handed_out_at: Set(p.at),
                handed_out_on: Set(crate::clock::date_in_new_york(p.at)),
                created_by: Set(w.user_id),
                voided_at: Set(p.voided_at),
                voided_by: Set(p.voided_at.map(|_| w.user_id)),
                void_reason: Set(p.voided_at.map(|_| "entered in error (synthetic)".to_string())),
                paper_slip: Set(None),
                entered_at: Set(None),
                no_lot_on_box: Set(false),
                survey_token: Set(None),
                baseline_sleep: Set(None),
            });
            summary.handouts += 1;
            if p.voided_at.is_none() {
                let on = crate::clock::date_in_new_york(p.at);
                for months in crate::domain::survey::ROUNDS {
                    next_round += 1;
                    let (round, sheet) =
                        synthetic_round(&mut survey_rng, next_round, hid, p.site_id, on, months, opts.end, w.user_id);
                    rounds.push(round);
                    if let Some(mut sheet) = sheet {
                        next_sheet += 1;
                        sheet.id = Set(next_sheet);
                        sheets.push(sheet);
                    }
                }
            }
            movements.push(movement(p.site_id, p.model_id, "handout", -1, Some(hid), w.user_id, p.at));
            if let Some(v) = p.voided_at {
                summary.voided += 1;
                *voids_per_stock.entry((p.site_id, p.model_id)).or_default() += 1;
                movements.push(movement(p.site_id, p.model_id, "handout_void", 1, Some(hid), w.user_id, v));
            }
        }
        summary.movements += movements.len();
        let txn = begin_write(db).await.map_err(err)?;
        insert_chunks(&txn, families).await.map_err(err)?;
        insert_chunks(&txn, infants).await.map_err(err)?;
        insert_chunks(&txn, handouts).await.map_err(err)?;
        insert_chunks(&txn, movements).await.map_err(err)?;
        summary.follow_ups += rounds.len();
        summary.survey_answers += sheets.len();
        insert_chunks(&txn, rounds).await.map_err(err)?;
        insert_chunks(&txn, sheets).await.map_err(err)?;
        txn.commit().await.map_err(err)?;
    }
    // Receipts covering every crib handed out, then the balances by the voids.
    let txn = begin_write(db).await.map_err(err)?;
    let receipt_at = opening_hours(&mut rng, start - Duration::days(1));
    let mut receipts = Vec::new();
    for (&(site_id, model_id), &count) in &per_stock {
        let mut left = count;
        while left > 0 {
            let q = left.min(10_000);
            left -= q;
            let q = i32::try_from(q).map_err(|e| e.to_string())?;
            receipts.push(movement(site_id, model_id, "receipt", q, None, w.user_id, receipt_at));
        }
        ensure_balance(&txn, site_id, model_id).await.map_err(err)?;
        let voids = voids_per_stock.get(&(site_id, model_id)).copied().unwrap_or(0);
        if voids > 0 {
            use sea_orm::sea_query::{Expr, ExprTrait};
            crate::entity::stock_balance::Entity::update_many()
                .col_expr(
                    crate::entity::stock_balance::Column::OnHand,
                    Expr::col(crate::entity::stock_balance::Column::OnHand).add(voids),
                )
                .filter(crate::entity::stock_balance::Column::SiteId.eq(site_id))
                .filter(crate::entity::stock_balance::Column::CribModelId.eq(model_id))
                .exec(&txn)
                .await
                .map_err(err)?;
        }
    }
    summary.movements += receipts.len();
    insert_chunks(&txn, receipts).await.map_err(err)?;
    if txn.get_database_backend() == DbBackend::Postgres {
        for table in ["families", "infants", "handouts", "follow_ups", "survey_answers"] {
            txn.execute_unprepared(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
            ))
            .await
            .map_err(err)?;
        }
    }
    txn.commit().await.map_err(err)?;
    // Fresh statistics, so the planners see the new sizes; on PostgreSQL also the visibility
    // map, without which the covering index cannot answer alone (index-only scan).
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("VACUUM (ANALYZE) handouts").await.map_err(err)?;
    }
    db.execute_unprepared("ANALYZE").await.map_err(err)?;
    Ok(summary)
}

/// Pick one of weighted choices.
fn weighted<'a>(rng: &mut StdRng, choices: &[(&'a str, u32)]) -> &'a str {
    let total: u32 = choices.iter().map(|(_, w)| w).sum();
    let mut at = rng.gen_range(0..total.max(1));
    for (c, w) in choices {
        if at < *w {
            return c;
        }
        at -= w;
    }
    choices.first().map_or("", |(c, _)| c)
}

/// One survey round of a synthetic hand-out on `on`, as of `end`: answered (on the link or
/// by phone, about half of those due), lost after three calls, or still waiting; an
/// answered round comes with its sheet (every item a plausible answer, a few skipped).
#[expect(clippy::too_many_arguments, reason = "the round's parts as the generator holds them")]
fn synthetic_round(
    rng: &mut StdRng,
    id: i64,
    handout_id: i64,
    site_id: i64,
    on: NaiveDate,
    months: u32,
    end: NaiveDate,
    staff: i64,
) -> (follow_up::ActiveModel, Option<survey_answer::ActiveModel>) {
    use crate::domain::survey;
    let due = survey::due_on(on, months);
    let answered_share = if months == 1 { 0.55 } else { 0.42 };
    let (status, attempts, sheet) = if due > end {
        ("due", 0, None)
    } else if rng.gen_bool(answered_share) {
        let by_phone = rng.gen_bool(0.35);
        let mut a = survey::Answers::new();
        let mut put = |item: &str, v: &str| {
            if !v.is_empty() {
                a.insert(item.to_string(), v.to_string());
            }
        };
        let in_use = weighted(rng, &[("yes", 85), ("no", 10), ("not_yet", 5)]);
        put("crib_in_use", in_use);
        if in_use == "no" {
            put(
                "crib_not_used_why",
                weighted(rng, &[("no_room", 4), ("sleeps_with_me", 4), ("gave_away", 1), ("other", 1)]),
            );
        }
        put(
            "slept_last_night",
            weighted(
                rng,
                &[
                    ("this_crib", 74),
                    ("other_crib", 8),
                    ("adult_bed", 12),
                    ("couch_or_chair", 3),
                    ("car_seat_or_swing", 3),
                ],
            ),
        );
        put("position", weighted(rng, &[("back", 78), ("side", 12), ("stomach", 7), ("prefer_not", 3)]));
        put(
            "bed_sharing",
            weighted(rng, &[("never", 45), ("rarely", 20), ("sometimes", 15), ("often", 10), ("always", 10)]),
        );
        put("soft_objects", weighted(rng, &[("no", 70), ("yes", 25), ("", 5)]));
        put("smoke_in_home", weighted(rng, &[("no", 80), ("yes", 17), ("prefer_not", 3)]));
        let at = crate::clock::from_new_york(
            due + Duration::days(rng.gen_range(-5..10)),
            chrono::NaiveTime::MIN + Duration::hours(rng.gen_range(9..20)),
        )
        .unwrap_or_else(|| Utc.from_utc_datetime(&due.and_time(chrono::NaiveTime::MIN)));
        let sheet = survey_answer::ActiveModel {
            follow_up_id: Set(id),
            instrument_version: Set(survey::VERSION),
            mode: Set(if by_phone { survey::Mode::Phone } else { survey::Mode::SelfComplete }.as_str().to_string()),
            answers: Set(serde_json::to_string(&a).unwrap_or_else(|_| "{}".into())),
            answered_at: Set(at),
            recorded_by: Set(by_phone.then_some(staff)),
            ..Default::default()
        };
        ("completed", 0, Some(sheet))
    } else if due + Duration::days(survey::CALL_AFTER_DAYS + 21) < end && rng.gen_bool(0.6) {
        ("lost_to_follow_up", 3, None)
    } else {
        ("due", rng.gen_range(0..3), None)
    };
    let round = follow_up::ActiveModel {
        id: Set(id),
        handout_id: Set(handout_id),
        site_id: Set(site_id),
        due_on: Set(due),
        status: Set(status.to_string()),
        attempts: Set(attempts),
        reached: Set(match status {
            "completed" => Some(true),
            "lost_to_follow_up" => Some(false),
            _ => None,
        }),
        round_months: Set(months as i32),
        ..Default::default()
    };
    (round, sheet)
}

fn movement(
    site_id: i64,
    model_id: i64,
    kind: &str,
    quantity: i32,
    handout_id: Option<i64>,
    user_id: i64,
    at: DateTime<Utc>,
) -> stock_movement::ActiveModel {
    stock_movement::ActiveModel {
        site_id: Set(site_id),
        crib_model_id: Set(model_id),
        kind: Set(kind.to_string()),
        quantity: Set(quantity),
        lot: Set(None),
        reason: Set(None),
        note: Set(None),
        transfer_id: Set(None),
        handout_id: Set(handout_id),
        user_id: Set(Some(user_id)),
        created_at: Set(at),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_fall_in_the_period_and_later_years_get_more() {
        let mut rng = StdRng::seed_from_u64(7);
        let start = NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default();
        let days = 3 * 365;
        let picked: Vec<NaiveDate> = (0..6000).map(|_| pick_day(&mut rng, start, days)).collect();
        assert!(picked.iter().all(|d| *d >= start && *d < start + Duration::days(days)));
        let first_year = picked.iter().filter(|d| d.year() == 2023).count();
        let last_year = picked.iter().filter(|d| d.year() == 2025).count();
        assert!(last_year > first_year, "{first_year} then {last_year}");
    }

    #[test]
    fn opening_hours_are_new_york_daytime_on_that_date() {
        let mut rng = StdRng::seed_from_u64(1);
        for day in ["2025-03-09", "2025-07-04", "2025-11-02", "2025-12-31"] {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap_or_default();
            let at = opening_hours(&mut rng, day);
            assert_eq!(crate::clock::date_in_new_york(at), day);
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_numbers() {
        let a: Vec<u32> = StdRng::seed_from_u64(42).sample_iter(rand::distributions::Standard).take(5).collect();
        let b: Vec<u32> = StdRng::seed_from_u64(42).sample_iter(rand::distributions::Standard).take(5).collect();
        assert_eq!(a, b);
        let (races, weights) = race_weights();
        assert_eq!(races.len(), weights.len());
        assert_eq!(races.last(), Some(&None), "not recorded is drawn too");
    }
}
