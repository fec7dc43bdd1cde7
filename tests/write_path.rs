//! The write path's shortcuts keep their promises (decision 0013): audit rows written on
//! their own are grouped into one INSERT on SQLite yet every search still gets its own row
//! before its answer; a batch of statements runs in order, each with its own values, and
//! a failure in it leaves the caller's transaction to roll all of it back. Both databases.

mod common;

use common::fixtures::{days_ago, family};
use common::TestApp;
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

/// The one number a `SELECT COUNT(*) AS n …` gives.
async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .db
        .query_one_raw(Statement::from_string(app.db.get_database_backend(), sql))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn searches_audited(app: &TestApp) -> i64 {
    count(app, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'family.search'").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_searches_at_once_each_leave_their_own_audit_row() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let (status, created) =
        app.post(&staff, "/api/v1/families", &family().with_infant_born(days_ago(30)).build()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // One search alone: its row is there as soon as its answer is.
    let before = searches_audited(&app).await;
    let (status, _) = app.get(&staff, "/api/v1/families?q=Brooks").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(searches_audited(&app).await, before + 1, "the row is written before the answer");
    // Forty at once, half finding someone and half nobody: forty rows, each saying what it found.
    let mut running = Vec::new();
    for i in 0..40 {
        let app_base = app.base.clone();
        let http = app.http.clone();
        let token = staff.clone();
        let q = if i % 2 == 0 { "Brooks".to_string() } else { format!("Nobody{i}") };
        running.push(tokio::spawn(async move {
            let res =
                http.get(format!("{app_base}/api/v1/families?q={q}")).bearer_auth(token).send().await.expect("send");
            let status = res.status();
            let found: serde_json::Value = res.json().await.expect("json");
            (status, found.as_array().map(|a| a.len()).unwrap_or(usize::MAX))
        }));
    }
    let mut answers = Vec::new();
    for r in running {
        answers.push(r.await.expect("task"));
    }
    assert!(answers.iter().all(|(s, _)| *s == StatusCode::OK), "{answers:?}");
    assert_eq!(searches_audited(&app).await, before + 41);
    let found_some = answers.iter().filter(|(_, n)| *n > 0).count();
    let zero_rows =
        count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'family.search' AND detail = '0 results'")
            .await;
    assert_eq!(found_some, 20, "every Brooks search found the demo family");
    assert_eq!(zero_rows, 20, "each row says what its own search found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_binds_each_value_in_its_place_and_rolls_back_whole() {
    let app = TestApp::spawn().await;
    let backend = app.db.get_database_backend();
    let insert = |detail: &str, entity_id: i64| {
        let mut sql = String::from("INSERT INTO audit_events (at, action, entity, entity_id, detail) VALUES (");
        let p = |n: usize| match backend {
            sea_orm::DbBackend::Postgres => format!("${n}"),
            _ => "?".to_string(),
        };
        sql.push_str(&format!("CURRENT_TIMESTAMP, {}, 'test', {}, {})", p(1), p(2), p(3)));
        Statement::from_sql_and_values(backend, sql, ["batch.test".into(), entity_id.into(), detail.into()])
    };
    // In order, each statement with its own values.
    let txn = app.db.begin().await.expect("begin");
    cribs::store::sql::execute_batch(
        &txn,
        vec![insert("first", 1), insert("O'Brien-Núñez; DROP TABLE x", 2), insert("third", 3)],
    )
    .await
    .expect("batch");
    txn.commit().await.expect("commit");
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT entity_id, detail FROM audit_events WHERE action = 'batch.test' ORDER BY id",
        ))
        .await
        .expect("rows");
    let got: Vec<(i64, String)> = rows
        .iter()
        .map(|r| (r.try_get("", "entity_id").expect("id"), r.try_get("", "detail").expect("detail")))
        .collect();
    assert_eq!(got, vec![(1, "first".into()), (2, "O'Brien-Núñez; DROP TABLE x".into()), (3, "third".into())]);
    // A failing statement in the middle: an error, and after the rollback nothing of it.
    let broken = Statement::from_string(backend, "INSERT INTO no_such_table (x) VALUES (1)");
    let txn = app.db.begin().await.expect("begin");
    let result = cribs::store::sql::execute_batch(&txn, vec![insert("before", 4), broken, insert("after", 5)]).await;
    assert!(result.is_err(), "the broken statement fails the batch");
    txn.rollback().await.expect("rollback");
    let n = count(&app, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'batch.test'").await;
    assert_eq!(n, 3, "nothing of the failed batch is kept");
}
