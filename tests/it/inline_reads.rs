//! The hot reads answered on the request's own thread on SQLite (decision 0016) give what
//! the pool gives, field for field, for families and users with hostile and accented text,
//! missing values and dates; a read that runs past the budget is left to the pool; and
//! every connection, the pool's and the writer's, plans a statement once even after
//! `ANALYZE` has kept sample values. SQLite only: on PostgreSQL nothing is read inline
//! (checked too).

use crate::common::fixtures::{days_ago, family};
use crate::common::TestApp;
use cribs::entity::{family as family_entity, user};
use cribs::store::sqlite::inline_read;
use reqwest::StatusCode;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QueryTrait, Statement};

#[tokio::test]
async fn families_and_users_read_inline_are_the_pools_field_for_field() {
    let app = TestApp::spawn().await;
    let staff = app.token("staff@demo.cribs").await;
    let names =
        [("O'Brien-Núñez", "Zoë"), ("<script>alert(1)</script>", "'; DROP TABLE families; --"), ("Brooks", "Tanya")];
    for (last, first) in names {
        let mut body = family().named(first, last).with_infant_born(days_ago(20)).build();
        body["confirm_not_duplicate"] = true.into();
        let (status, created) = app.post(&staff, "/api/v1/families", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let select = family_entity::Entity::find().order_by_asc(family_entity::Column::Id);
    let on_pool = select.clone().all(&app.db).await.expect("families on the pool");
    assert_eq!(on_pool.len(), 3);
    let inline = inline_read::try_rows::<family_entity::Model>(&app.db, &select.build(DbBackend::Sqlite));
    if app.db.get_database_backend() != DbBackend::Sqlite {
        assert!(inline.is_none(), "nothing is read inline on PostgreSQL");
        return;
    }
    assert_eq!(inline.as_ref(), Some(&on_pool), "inline rows differ from the pool's");
    assert_eq!(on_pool[0].last_name, "O'Brien-Núñez");

    // A bound value of each kind the searches use: text ranges, a date, a timestamp.
    let select = family_entity::Entity::find()
        .filter(family_entity::Column::SearchLast.gte("o"))
        .filter(family_entity::Column::SearchLast.lt("p"))
        .filter(family_entity::Column::CreatedAt.gt(chrono::Utc::now() - chrono::Duration::hours(1)))
        .filter(family_entity::Column::DateOfBirth.ne(days_ago(9000)).or(family_entity::Column::DateOfBirth.is_null()))
        .order_by_asc(family_entity::Column::Id);
    let on_pool = select.clone().all(&app.db).await.expect("filtered on the pool");
    assert_eq!(on_pool.len(), 1, "{on_pool:?}");
    let inline = inline_read::try_rows::<family_entity::Model>(&app.db, &select.build(DbBackend::Sqlite));
    assert_eq!(inline, Some(on_pool));

    let select = user::Entity::find().order_by_asc(user::Column::Id);
    let on_pool = select.clone().all(&app.db).await.expect("users on the pool");
    assert!(on_pool.len() >= 5, "the demo's users");
    let inline = inline_read::try_rows::<user::Model>(&app.db, &select.build(DbBackend::Sqlite));
    assert_eq!(inline, Some(on_pool));

    // The search through the API reads inline and answers with the stored text.
    let (status, found) = app.get(&staff, "/api/v1/families?q=o%27brien").await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found[0]["last_name"], "O'Brien-Núñez", "{found}");
}

#[tokio::test]
async fn a_read_past_the_budget_is_left_to_the_pool() {
    let app = TestApp::spawn().await;
    if app.db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let short = user::Entity::find().filter(user::Column::Id.gt(0)).build(DbBackend::Sqlite);
    assert!(inline_read::try_rows::<user::Model>(&app.db, &short).is_some(), "a short read is answered inline");
    // Counting to three million takes SQLite far longer than the 2 ms budget.
    let long = Statement::from_string(
        DbBackend::Sqlite,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) \
         SELECT * FROM users WHERE id > (SELECT count(*) FROM c) - 3000000",
    );
    assert!(inline_read::try_rows::<user::Model>(&app.db, &long).is_none(), "the long read was interrupted");
    // The same statement on the pool answers (the inline connection is still usable after).
    let rows = app.db.query_all_raw(long).await.expect("on the pool");
    assert!(rows.len() >= 5);
    assert!(inline_read::try_rows::<user::Model>(&app.db, &short).is_some());
    // A value of a kind it does not bind (a float) is left to the pool too.
    let float = user::Entity::find().filter(Expr::col(user::Column::Id).gt(0.5f32)).build(DbBackend::Sqlite);
    assert!(inline_read::try_rows::<user::Model>(&app.db, &float).is_none());
}

/// Whether the connection has SQLite's query planner stability guarantee on.
async fn plans_steadily(conn: &mut sea_orm::sqlx::SqliteConnection) -> bool {
    let mut handle = conn.lock_handle().await.expect("lock the handle");
    let mut on: std::ffi::c_int = -1;
    // SAFETY: the handle is open and held by this thread; -1 asks for the current setting,
    // written to `on`.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_db_config(
            handle.as_raw_handle().as_ptr(),
            rusqlite::ffi::SQLITE_DBCONFIG_ENABLE_QPSG,
            -1 as std::ffi::c_int,
            &mut on as *mut std::ffi::c_int,
        )
    };
    assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
    on == 1
}

#[tokio::test]
async fn every_pool_connection_plans_a_statement_once() {
    let app = TestApp::spawn().await;
    if app.db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    app.db.execute_unprepared("ANALYZE").await.expect("analyze");
    // The server's own pool and writer connection (`app.db` is the app's handle).
    let path = app.db.pool().get_sqlite_connection_pool().connect_options().get_filename().to_path_buf();
    let mut reader = app.db.pool().get_sqlite_connection_pool().acquire().await.expect("a reader");
    assert!(plans_steadily(&mut reader).await, "a reader connection");
    let mut conn = app.db.writer().get_sqlite_connection_pool().acquire().await.expect("the writer");
    assert!(plans_steadily(&mut conn).await, "the writer connection");
    // And the setting is what keeps a statement from being planned again per execution:
    // a plain connection to the same file re-prepares once sample values exist.
    drop((reader, conn));
    let plain = rusqlite::Connection::open(&path).expect("open");
    plain
        .execute_batch(
            "CREATE TABLE IF NOT EXISTS probe (k TEXT); CREATE INDEX IF NOT EXISTS ix_probe ON probe (k);
             WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000)
             INSERT INTO probe SELECT 'k' || (x % 50) FROM c; ANALYZE;",
        )
        .expect("probe table");
    let reprepares = |conn: &rusqlite::Connection| {
        let mut stmt = conn.prepare("SELECT count(*) FROM probe WHERE k >= ?1").expect("prepare");
        for k in ["k1", "k2", "k3"] {
            let _: i64 = stmt.query_row([k], |r| r.get(0)).expect("count");
        }
        stmt.get_status(rusqlite::StatementStatus::RePrepare)
    };
    assert!(reprepares(&plain) > 0, "without QPSG SQLite plans again on every bind");
    plain.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true).expect("qpsg");
    assert_eq!(reprepares(&plain), 0, "with QPSG it plans once");
}
