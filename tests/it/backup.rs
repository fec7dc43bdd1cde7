//! `cribs backup <file>` while the server is busy (SQLite only; skipped when
//! `TEST_DATABASE_URL` is set, where the command points at pg_dump instead): handouts and
//! stock receipts are written through the API while the real `cribs` binary copies the
//! database with `VACUUM INTO`. The copy is opened with its own connection: integrity
//! check, 0 ledger drift, every handout with its ledger row, sane row counts; then it is
//! restored — an app started on the copy serves a handout from it, and `cribs check-ledger`
//! on the copy exits 0.

use crate::common::fixtures::{days_ago, family};
use crate::common::{Options, TestApp};
use reqwest::StatusCode;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};
use serde_json::json;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

const FAMILIES: usize = 30;

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Sqlite, sql.to_string()))
        .await
        .expect("count query")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

/// Run the real binary with a database URL; returns (success, stdout + stderr).
async fn cribs(database_url: &str, args: &[&str]) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cribs"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", database_url)
        .env("CRIBS_DEMO", "0")
        .env("RUST_LOG", "warn");
    let out = tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run cribs");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_while_handouts_are_written_is_consistent_and_restores() {
    if crate::common::postgres_url().is_some() {
        println!("backup test: SQLite's VACUUM INTO; on PostgreSQL `pg_dump_backup_restores_into_a_fresh_database`");
        return;
    }
    let app = Arc::new(TestApp::spawn().await);
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, body) =
        app.post(&manager, "/api/v1/sites/1/receipts", &json!({"crib_model_id": 1, "quantity": 100})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Families ready for a crib: registered, checked, educated.
    let mut ready = Vec::new();
    for n in 0..FAMILIES {
        let body = family()
            .named("Backup", &format!("Family{n}"))
            .set("/caregiver/phone", json!(format!("410-555-{:04}", 2000 + n)))
            .with_infant_born(days_ago(10))
            .build();
        let (status, created) = app.post(&staff, "/api/v1/families", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let fid = created["id"].as_i64().expect("id");
        let iid = created["infant_ids"][0].as_i64().expect("infant");
        let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
        assert_eq!(status, StatusCode::CREATED);
        let education = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "Backup Family"});
        let (status, _) = app.post(&staff, &format!("/api/v1/families/{fid}/education"), &education).await;
        assert_eq!(status, StatusCode::CREATED);
        ready.push((fid, iid));
    }

    // Writers: handouts by the staff member, restocks by the manager, until told to stop.
    let stop = Arc::new(AtomicBool::new(false));
    let handouts = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let mut done = 0;
            for (fid, iid) in ready {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let body = json!({"family_id": fid, "infant_id": iid, "site_id": 1, "crib_model_id": 1});
                let (status, h) = app.post(&staff, "/api/v1/handouts", &body).await;
                assert_eq!(status, StatusCode::CREATED, "{h}");
                done += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            done
        })
    };
    let receipts = {
        let (app, stop, manager) = (app.clone(), stop.clone(), manager.clone());
        tokio::spawn(async move {
            let mut done = 0;
            while !stop.load(Ordering::SeqCst) && done < 200 {
                let body = json!({"crib_model_id": 1, "quantity": 1, "lot": format!("BK-{done}")});
                let (status, r) = app.post(&manager, "/api/v1/sites/2/receipts", &body).await;
                assert_eq!(status, StatusCode::CREATED, "{r}");
                done += 1;
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            done
        })
    };

    // Back up twice while the writers run.
    let dir = tempfile::tempdir().expect("backup dir");
    let mut copies = Vec::new();
    for n in 0..2 {
        while app.count("handouts").await < (5 + 10 * n) as i64 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let file = dir.path().join(format!("copy-{n}.db"));
        let (ok, out) = cribs(&app.database_url, &["backup", file.to_str().expect("utf-8 path")]).await;
        assert!(ok, "cribs backup failed: {out}");
        assert!(out.contains("backup written"), "{out}");
        copies.push(file);
    }
    // A second backup onto an existing file is refused rather than overwriting it.
    let (ok, out) = cribs(&app.database_url, &["backup", copies[0].to_str().expect("utf-8")]).await;
    assert!(!ok && out.contains("already exists"), "{out}");
    stop.store(true, Ordering::SeqCst);
    let handed_out = handouts.await.expect("handout writer");
    let restocked = receipts.await.expect("receipt writer");
    assert!(handed_out >= 15 && restocked >= 1, "the writers ran: {handed_out} handouts, {restocked} receipts");
    let live_handouts = app.count("handouts").await;
    let live_movements = app.count("stock_movements").await;
    app.assert_no_drift().await;

    let mut last_handouts = 0;
    for file in &copies {
        let url = format!("sqlite://{}?mode=ro", file.display());
        let copy = Database::connect(url.as_str()).await.expect("open the copy");
        let integrity = copy
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA integrity_check".to_string()))
            .await
            .expect("integrity_check")
            .expect("a row");
        assert_eq!(integrity.try_get_by_index::<String>(0).expect("text"), "ok", "{}", file.display());
        let drift = cribs::store::stock::check_ledger(&copy).await.expect("check ledger on the copy");
        assert!(drift.is_empty(), "drift in {}: {drift:?}", file.display());
        let handouts = count(&copy, "SELECT COUNT(*) AS n FROM handouts").await;
        let handout_rows = count(&copy, "SELECT COUNT(*) AS n FROM stock_movements WHERE kind = 'handout'").await;
        let movements = count(&copy, "SELECT COUNT(*) AS n FROM stock_movements").await;
        let families = count(&copy, "SELECT COUNT(*) AS n FROM families").await;
        let users = count(&copy, "SELECT COUNT(*) AS n FROM users").await;
        println!("{}: {handouts} handouts, {movements} movements, {families} families", file.display());
        assert!(handouts >= 5 && handouts <= live_handouts, "handouts in the copy: {handouts} of {live_handouts}");
        assert!(handouts >= last_handouts, "a later copy has no fewer handouts");
        assert_eq!(handout_rows, handouts, "every handout in the copy has its ledger row, and no more");
        assert!(movements > handouts && movements <= live_movements, "movements {movements} of {live_movements}");
        assert_eq!(families, FAMILIES as i64, "every family registered before the backup");
        assert_eq!(users, 6, "the demo accounts");
        last_handouts = handouts;
        copy.close().await.expect("close");
    }

    // Restore: `cribs restore` into an empty place; a database with data is refused unless
    // told; the copy serves, and the command-line ledger check agrees.
    let restored_file = dir.path().join("restored").join("cribs.db");
    let restored_url = format!("sqlite://{}?mode=rwc", restored_file.display());
    let (ok, out) = cribs(&restored_url, &["restore", copies[1].to_str().expect("utf-8")]).await;
    assert!(ok && out.contains("restored"), "{out}");
    let (ok, out) = cribs(&restored_url, &["restore", copies[0].to_str().expect("utf-8")]).await;
    assert!(!ok && out.contains("already holds families"), "a database with data is not overwritten: {out}");
    let (ok, out) = cribs(&restored_url, &["restore", "--force", copies[1].to_str().expect("utf-8")]).await;
    assert!(ok, "--force replaces it: {out}");
    let (ok, out) = cribs(&restored_url, &["check-ledger"]).await;
    assert!(ok && out.contains("drift 0"), "{out}");
    app.stop();
    let restored = TestApp::spawn_with(Options { reuse: Some((restored_url, None)), ..Default::default() }).await;
    let token = restored.token("manager@demo.cribs").await;
    let (status, h) = restored.get(&token, "/api/v1/handouts/1").await;
    assert_eq!(status, StatusCode::OK, "{h}");
    assert!(h["receipt_number"].as_str().is_some_and(|r| r.starts_with("CR-")), "{h}");
    restored.assert_no_drift().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pg_dump_backup_restores_into_a_fresh_database() {
    let Some(admin_url) = crate::common::postgres_url() else {
        println!("PostgreSQL backup test: runs in the PostgreSQL pass (TEST_DATABASE_URL)");
        return;
    };
    let app = TestApp::spawn().await;
    let schema = app.schema.clone().expect("a schema of its own");
    let staff = app.token("staff@demo.cribs").await;
    let manager = app.token("manager@demo.cribs").await;
    let (status, body) =
        app.post(&manager, "/api/v1/sites/1/receipts", &json!({"crib_model_id": 1, "quantity": 20})).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for n in 0..3 {
        let body = family()
            .named("Dump", &format!("Family{n}"))
            .set("/caregiver/phone", json!(format!("410-555-{:04}", 2600 + n)))
            .with_infant_born(days_ago(10 + n as i64))
            .build();
        let (status, f) = app.post(&staff, "/api/v1/families", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{f}");
        let fid = f["id"].as_i64().expect("id");
        app.post(&staff, &format!("/api/v1/families/{fid}/eligibility-checks"), &json!({})).await;
        let edu = json!({"mode": "site", "language": "en", "topics": ["alone", "back", "crib", "no_smoking"], "caregiver_attestation": "D F"});
        app.post(&staff, &format!("/api/v1/families/{fid}/education"), &edu).await;
        let body = json!({"family_id": fid, "infant_id": f["infant_ids"][0], "site_id": 1, "crib_model_id": 1});
        let (status, h) = app.post(&staff, "/api/v1/handouts", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{h}");
    }
    let handouts = app.count("handouts").await;
    let dir = tempfile::tempdir().expect("backup dir");
    let file = dir.path().join("cribs.dump");
    let run = |url: String, args: Vec<String>| {
        let schema = schema.clone();
        async move {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_cribs"));
            cmd.args(&args).env("DATABASE_URL", url).env("ROCKET_DATABASE_SCHEMA", schema).env("CRIBS_DEMO", "0");
            let out = tokio::task::spawn_blocking(move || cmd.output()).await.expect("join").expect("run cribs");
            (
                out.status.success(),
                format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
            )
        }
    };
    let file_arg = file.to_str().expect("utf-8").to_string();
    let (ok, out) = run(app.database_url.clone(), vec!["backup".into(), file_arg.clone()]).await;
    assert!(ok && out.contains("backup written"), "{out}");

    // A fresh database on the same server, restored from the dump.
    let fresh = format!("cribs_restore_{}", std::process::id());
    let admin = Database::connect(admin_url.as_str()).await.expect("admin");
    admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {fresh}")).await.expect("drop");
    admin.execute_unprepared(&format!("CREATE DATABASE {fresh}")).await.expect("create");
    let fresh_url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{fresh}"),
        None => panic!("a database URL with a database name: {admin_url}"),
    };
    let (ok, out) = run(fresh_url.clone(), vec!["restore".into(), file_arg.clone()]).await;
    assert!(ok && out.contains("restored"), "{out}");
    let (ok, out) = run(fresh_url.clone(), vec!["restore".into(), file_arg.clone()]).await;
    assert!(!ok && out.contains("already holds families"), "not overwritten unasked: {out}");
    let (ok, out) = run(fresh_url.clone(), vec!["check-ledger".into()]).await;
    assert!(ok && out.contains("drift 0"), "{out}");
    // The restored database answers as the original did: its hand-outs, and a sign-in.
    let restored =
        TestApp::spawn_with(Options { reuse: Some((fresh_url.clone(), Some(schema.clone()))), ..Default::default() })
            .await;
    assert_eq!(restored.count("handouts").await, handouts);
    let token = restored.token("staff@demo.cribs").await;
    let (status, _) = restored.get(&token, "/api/v1/handouts/1").await;
    assert_eq!(status, StatusCode::OK);
    restored.assert_no_drift().await;
    restored.stop();
    drop(restored);
    let _ = admin
        .execute_unprepared(&format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{fresh}' AND pid <> pg_backend_pid()"))
        .await;
    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {fresh}")).await;
}
