//! Benchmarks of the stock hot paths on a temporary SQLite database (migrated and seeded
//! with the demo data), each one whole write transaction as the app runs it:
//!
//! - `receipt`: `begin_write` → `stock_ops::receive_stock` (movement, balance, audit) → commit;
//! - `take_one_crib`: `begin_write` → `stock::apply_movement` of −1 (kind handout, the
//!   conditional UPDATE that guards the race) → commit. Before each timed batch the site
//!   is restocked in bulk, untimed, so it never runs out.
//!
//! - `handout`: `begin_write` → `store::handouts::hand_out` (every gate, the ledger, the
//!   receipt, the follow-up, the audit row) → commit, each for a different eligible infant
//!   registered, checked and educated untimed before the batch;
//! - `eligibility/evaluate`: one pure evaluation of the six rules.
//!
//! Run: `cargo bench --bench hot_paths -- --warm-up-time 1 --measurement-time 3`.

use cribs::auth::guards::load_actor;
use cribs::config::Settings;
use cribs::db::{begin_write, prepare};
use cribs::domain::actor::Actor;
use cribs::entity::user;
use cribs::store::audit::Caller;
use cribs::store::stock::{apply_movement, MovementKind, NewMovement};
use cribs::store::stock_ops;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

const SITE: i64 = 1;
const MODEL: i64 = 1;

struct Bench {
    db: cribs::db::Db,
    who: Actor,
    _dir: tempfile::TempDir,
}

async fn setup() -> Bench {
    let dir = tempfile::tempdir().expect("temp dir");
    // Every other setting at its default (new settings need no change here).
    let settings: Settings = serde_json::from_value(serde_json::json!({
        "database_url": format!("sqlite://{}/bench.db?mode=rwc", dir.path().display()),
        "cribs_demo": true,
    }))
    .expect("settings");
    let db = prepare(&settings).await.expect("connect, migrate, seed");
    let manager = user::Entity::find()
        .filter(user::Column::Email.eq("manager@demo.cribs"))
        .one(&db)
        .await
        .expect("query")
        .expect("the demo manager");
    let who = load_actor(&db, manager.id).await.expect("identity");
    Bench { db, who, _dir: dir }
}

async fn receipt(b: &Bench) {
    let txn = begin_write(&b.db).await.expect("begin");
    let actor = Caller { who: &b.who, ip: "bench" };
    stock_ops::receive_stock(&txn, &actor, SITE, MODEL, 1, Some("BENCH-LOT".into()), None).await.expect("receipt");
    txn.commit().await.expect("commit");
}

async fn take_one(b: &Bench) {
    let txn = begin_write(&b.db).await.expect("begin");
    apply_movement(
        &txn,
        NewMovement {
            site_id: SITE,
            crib_model_id: MODEL,
            kind: MovementKind::Handout,
            quantity: -1,
            lot: None,
            reason: None,
            note: None,
            transfer_id: None,
            handout_id: None,
            user_id: Some(b.who.id),
        },
    )
    .await
    .expect("a crib was there");
    txn.commit().await.expect("commit");
}

async fn restock(b: &Bench, n: u64) {
    let txn = begin_write(&b.db).await.expect("begin");
    let actor = Caller { who: &b.who, ip: "bench" };
    let n = i32::try_from(n).expect("a batch fits in i32");
    stock_ops::receive_stock(&txn, &actor, SITE, MODEL, n, None, None).await.expect("bulk restock");
    txn.commit().await.expect("commit");
}

/// Register, check and educate one family, untimed; returns (family, infant).
async fn eligible_family(b: &Bench, n: u64) -> (i64, i64) {
    use cribs::domain::family::{parse_family, FamilyInput};
    let input: FamilyInput = serde_json::from_value(serde_json::json!({
        "caregiver": {"first_name": "Bench", "last_name": format!("Family{n}")},
        "address": {"line1": "1 Bench St", "city": "Baltimore", "state": "MD", "zip": "21217", "neighborhood_id": 65},
        "household_size": 2, "annual_income": "18000.00", "enrollments": ["WIC"], "has_safe_sleep_space": false,
        "infants": [{"date_of_birth": cribs::clock::today().to_string()}]
    }))
    .expect("input");
    let new = parse_family(&input, cribs::clock::today()).expect("valid family");
    let txn = begin_write(&b.db).await.expect("begin");
    let created = cribs::store::families::create(&txn, &new, b.who.id, Some(SITE)).await.expect("family");
    let infant = created.infant_ids[0];
    cribs::store::eligibility::run_check(&txn, created.id, infant, cribs::clock::today(), b.who.id, Some(SITE))
        .await
        .expect("check");
    let edu = cribs::domain::education::parse_education(
        None,
        "site",
        "en",
        &["alone", "back", "crib", "no_smoking"].map(String::from),
        "Bench Parent",
        cribs::clock::now(),
    )
    .expect("education");
    cribs::store::education::record(&txn, created.id, &edu, b.who.id, Some(SITE)).await.expect("education");
    txn.commit().await.expect("commit");
    (created.id, infant)
}

async fn hand_out(b: &Bench, family_id: i64, infant_id: i64) {
    let txn = begin_write(&b.db).await.expect("begin");
    let cmd = cribs::store::handouts::HandoutCommand {
        family_id,
        infant_id,
        site_id: SITE,
        crib_model_id: MODEL,
        lot: Some("BENCH-LOT".into()),
        no_lot_on_box: false,
        override_reason: None,
        referral_id: None,
        paper: None,
        baseline_sleep: None,
    };
    cribs::store::handouts::hand_out(&txn, &b.who, "bench", &cmd).await.expect("handout");
    txn.commit().await.expect("commit");
}

fn eligibility(c: &mut Criterion) {
    use cribs::domain::eligibility::{evaluate, FamilySnapshot, Guideline, InfantSnapshot};
    use rust_decimal::Decimal;
    let file: cribs::domain::policy::PolicyFile =
        toml::from_str(include_str!("../seeds/policies/baltimore-default-v1.toml")).expect("policy");
    let guidelines = vec![Guideline {
        year: 2026,
        first_person: Decimal::from(15960),
        additional_person: Decimal::from(5680),
        effective_from: chrono::NaiveDate::from_ymd_opt(2026, 1, 13).expect("date"),
    }];
    let family = FamilySnapshot {
        lives_in_city: true,
        household_size: 3,
        annual_income: Some(Decimal::new(5_054_200, 2)),
        enrollments: vec![],
        has_safe_sleep_space: Some(false),
    };
    let infant = InfantSnapshot {
        date_of_birth: chrono::NaiveDate::from_ymd_opt(2026, 10, 1),
        expected_due_date: None,
        weight_lb: Some(Decimal::new(95, 1)),
        already_received: false,
    };
    let on = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date");
    c.bench_function("eligibility/evaluate", |b| {
        b.iter(|| evaluate(std::hint::black_box(&family), &infant, on, &file.params, &guidelines))
    });
}

fn hot_paths(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let bench = rt.block_on(setup());
    let b = &bench;
    let mut group = c.benchmark_group("stock");
    group.throughput(Throughput::Elements(1));
    group.bench_function("receipt", |bencher| bencher.to_async(&rt).iter(|| receipt(b)));
    group.bench_function("take_one_crib", |bencher| {
        bencher.to_async(&rt).iter_custom(|iters| async move {
            restock(b, iters.max(1)).await;
            let start = Instant::now();
            for _ in 0..iters {
                take_one(b).await;
            }
            start.elapsed()
        })
    });
    group.bench_function("handout", |bencher| {
        bencher.to_async(&rt).iter_custom(|iters| async move {
            restock(b, iters.max(1)).await;
            let mut ready = Vec::new();
            for n in 0..iters {
                ready.push(eligible_family(b, n).await);
            }
            let start = Instant::now();
            for (f, i) in ready {
                hand_out(b, f, i).await;
            }
            start.elapsed()
        })
    });
    group.finish();
    let drift = rt.block_on(cribs::store::stock::check_ledger(&bench.db)).expect("check ledger");
    assert!(drift.is_empty(), "the benchmark left drift: {drift:?}");
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = hot_paths, eligibility
}
criterion_main!(benches);
