//! The work behind the command-line subcommands other than `serve`.

use crate::config::Settings;
use crate::db;
use crate::db::Db;
use crate::domain::account::{DisplayName, Email, NewPassword};
use crate::domain::role::Role;
use crate::entity::site;
use crate::error::AppError;
use crate::store::{stock, users};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::process::ExitCode;

/// `cribs migrate`.
pub async fn migrate(settings: &Settings) -> Result<ExitCode, String> {
    use migrations::MigratorTrait;
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    let pending = migrations::Migrator::get_pending_migrations(conn.pool()).await.map_err(|e| e.to_string())?;
    let names: Vec<String> = pending.iter().map(|m| m.name().to_string()).collect();
    let started = std::time::Instant::now();
    db::migrate(&conn).await.map_err(|e| e.to_string())?;
    if names.is_empty() {
        println!("migrations: up to date (none to apply)");
    } else {
        println!(
            "migrations: applied {} in {:.2} s ({}); up to date",
            names.len(),
            started.elapsed().as_secs_f64(),
            names.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `cribs seed`.
pub async fn seed(settings: &Settings) -> Result<ExitCode, String> {
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| e.to_string())?;
    let report = crate::seed::run(&conn, settings.demo()).await.map_err(|e| e.to_string())?;
    println!("seeds: reference data up to date{}", if report.demo_created { "; demo data created" } else { "" });
    if report.demo_created {
        crate::seed::print_demo_logins();
    }
    Ok(ExitCode::SUCCESS)
}

/// `cribs check-ledger`: exit 1 with a report when any balance differs from its movements.
pub async fn check_ledger(settings: &Settings) -> Result<ExitCode, String> {
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    let drift = stock::check_ledger(&conn).await.map_err(|e| e.to_string())?;
    if drift.is_empty() {
        println!("check-ledger: every balance equals the sum of its movements (drift 0)");
        return Ok(ExitCode::SUCCESS);
    }
    let sites = crate::store::stock_reads::site_names(&conn).await.map_err(|e| e.to_string())?;
    let models = crate::store::stock_reads::model_names(&conn).await.map_err(|e| e.to_string())?;
    let name = |m: &std::collections::HashMap<i64, String>, id: i64| m.get(&id).cloned().unwrap_or_else(|| "?".into());
    println!("check-ledger: {} balance(s) differ from their movements:", drift.len());
    for d in drift {
        println!(
            "  site {} ({}) model {} ({}): on_hand {} but movements sum to {} (drift {:+})",
            d.site_id,
            name(&sites, d.site_id),
            d.crib_model_id,
            name(&models, d.crib_model_id),
            d.on_hand,
            d.from_movements,
            d.on_hand - d.from_movements
        );
    }
    Ok(ExitCode::from(1))
}

/// Arguments of `cribs create-user`.
pub struct NewUserArgs {
    pub email: String,
    pub role: String,
    pub name: String,
    pub sites: Vec<String>,
    pub hospital: Option<String>,
    pub password: String,
}

async fn site_id(conn: &impl ConnectionTrait, code: &str, kind: Option<&str>) -> Result<i64, String> {
    let found = site::Entity::find()
        .filter(site::Column::Code.eq(code))
        .one(conn)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no site with code {code}"))?;
    match kind {
        Some(k) if found.kind != k => Err(format!("site {code} is a {}, not a {k}", found.kind)),
        _ => Ok(found.id),
    }
}

/// `cribs create-user`: the same rules as the Users page (email, name, a password of at
/// least 10 characters, memberships that fit the role); leaves a `user.create` audit row.
pub async fn create_user(settings: &Settings, args: NewUserArgs) -> Result<ExitCode, String> {
    let role = Role::parse(&args.role).ok_or("role must be admin, program_manager, site_staff or nurse")?;
    let email = Email::parse(&args.email).map_err(|e| format!("--email: {e}"))?;
    let name = if args.name.trim().is_empty() { email.as_str().to_string() } else { args.name.clone() };
    let display_name = DisplayName::parse(&name).map_err(|e| format!("--name: {e}"))?;
    let password = NewPassword::choose(&args.password, &[email.as_str(), display_name.as_str()])
        .map_err(|e| format!("the password (read from standard input): {e}"))?;
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| e.to_string())?;
    let mut site_ids = Vec::new();
    for code in &args.sites {
        site_ids.push(site_id(&conn, code, None).await?);
    }
    if role == Role::SiteStaff && site_ids.is_empty() {
        return Err("site staff need at least one --site".into());
    }
    let hospital_site_id = match (&args.hospital, role) {
        (Some(code), Role::Nurse) => Some(site_id(&conn, code, Some("hospital")).await?),
        (None, Role::Nurse) => return Err("a nurse needs --hospital".into()),
        _ => None,
    };
    let new = users::NewUser { email, display_name, password, role, site_ids, hospital_site_id };
    let txn = db::begin_write(&conn).await.map_err(|e| e.to_string())?;
    let user = match users::create(&txn, users::ChangedBy::system(), new).await {
        Ok(u) => u,
        Err(e) => {
            txn.rollback().await.map_err(|e| e.to_string())?;
            return Err(describe(&e));
        }
    };
    txn.commit().await.map_err(|e| e.to_string())?;
    println!("created user {} ({}) with id {}", user.email, user.role, user.id);
    Ok(ExitCode::SUCCESS)
}

/// An error for the command line: every field problem, not only the first.
fn describe(e: &AppError) -> String {
    match e.fields() {
        Some(fields) => fields
            .iter()
            .map(|(field, problems)| format!("{field}: {}", problems.join(" ")))
            .collect::<Vec<_>>()
            .join("; "),
        None => e.message(),
    }
}

/// `cribs backup <file>`: SQLite `VACUUM INTO` (consistent while serving); PostgreSQL uses pg_dump.
pub async fn backup(settings: &Settings, file: &std::path::Path) -> Result<ExitCode, String> {
    if file.exists() {
        return Err(format!("{} already exists; choose a new file name", file.display()));
    }
    if !settings.is_sqlite() {
        // pg_dump takes a consistent snapshot while the server runs.
        let tool = pg_tool("pg_dump")?;
        let mut cmd = std::process::Command::new(tool);
        cmd.arg("--format=custom").arg("--no-owner").arg(format!("--file={}", file.display()));
        if let Some(schema) = &settings.database_schema {
            cmd.arg(format!("--schema={schema}"));
        }
        cmd.arg(format!("--dbname={}", settings.database_url));
        run_tool(cmd, "pg_dump")?;
        println!("backup written to {}", file.display());
        return Ok(ExitCode::SUCCESS);
    }
    let path = file.to_str().ok_or("the backup path must be valid UTF-8")?.replace('\'', "''");
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    conn.execute_unprepared(&format!("VACUUM INTO '{path}'")).await.map_err(|e| e.to_string())?;
    println!("backup written to {}", file.display());
    Ok(ExitCode::SUCCESS)
}

/// A PostgreSQL client program: on the PATH, or the newest of Debian's server packages
/// (`/usr/lib/postgresql/<version>/bin`); else a sentence saying what to install.
fn pg_tool(name: &str) -> Result<std::path::PathBuf, String> {
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|c| c.is_file()))
        .unwrap_or_default();
    if let Some(p) = on_path {
        return Ok(p);
    }
    let mut debian: Vec<std::path::PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path().join("bin").join(name))).filter(|p| p.is_file()).collect())
        .unwrap_or_default();
    debian.sort();
    debian.pop().ok_or_else(|| {
        format!("{name} is not installed: install PostgreSQL's client programs (Debian: apt-get install postgresql-client) and run this again")
    })
}

/// Run a PostgreSQL client program; its own message when it fails.
fn run_tool(mut cmd: std::process::Command, name: &str) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{name} could not be started: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("{name} failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Whether a database already holds a program's data (any family or hand-out).
async fn holds_data(conn: &impl ConnectionTrait) -> bool {
    for table in ["families", "handouts"] {
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        let n = conn
            .query_one_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql))
            .await
            .ok()
            .flatten()
            .and_then(|r| r.try_get::<i64>("", "n").ok());
        if n.is_some_and(|n| n > 0) {
            return true;
        }
    }
    false
}

/// `cribs restore <file> [--force]`: put a backup back — a SQLite copy in place of the
/// database file (the server stopped), a `pg_dump` file into the PostgreSQL database with
/// `pg_restore`. A database that already holds families or hand-outs is not overwritten
/// unless `--force` (on PostgreSQL it is then cleaned first). The next `cribs serve` runs
/// any newer migrations on it.
pub async fn restore(settings: &Settings, file: &std::path::Path, force: bool) -> Result<ExitCode, String> {
    if !file.is_file() {
        return Err(format!("{} is not a file", file.display()));
    }
    let refuse = || {
        "the database already holds families or hand-outs; restore into an empty database, or add --force to replace what it holds".to_string()
    };
    if settings.is_sqlite() {
        let target = db::sqlite_file_path(&settings.database_url)
            .ok_or("restore needs a SQLite file in DATABASE_URL (not an in-memory database)")?;
        let target = std::path::PathBuf::from(target);
        if target.exists() && !force {
            let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
            let full = holds_data(&conn).await;
            let _ = conn.close().await;
            if full {
                return Err(refuse());
            }
        }
        for side in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{side}", target.display()));
        }
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
        }
        std::fs::copy(file, &target).map_err(|e| format!("cannot copy the backup to {}: {e}", target.display()))?;
        println!("restored {} into {}", file.display(), target.display());
        return Ok(ExitCode::SUCCESS);
    }
    let conn = sea_orm::Database::connect(settings.database_url.as_str()).await.map_err(|e| e.to_string())?;
    if let Some(schema) = &settings.database_schema {
        conn.execute_unprepared(&format!("SET search_path TO \"{}\"", schema.replace('"', "")))
            .await
            .map_err(|e| e.to_string())?;
    }
    let full = holds_data(&conn).await;
    let _ = conn.close().await;
    if full && !force {
        return Err(refuse());
    }
    let mut cmd = std::process::Command::new(pg_tool("pg_restore")?);
    cmd.arg("--no-owner").arg("--exit-on-error");
    if full {
        cmd.arg("--clean").arg("--if-exists");
    }
    cmd.arg(format!("--dbname={}", settings.database_url)).arg(file);
    run_tool(cmd, "pg_restore")?;
    println!("restored {} into the PostgreSQL database", file.display());
    Ok(ExitCode::SUCCESS)
}

/// `cribs generate`: synthetic data at scale (see `crate::generate`).
pub async fn generate(
    settings: &Settings,
    families: usize,
    seed: u64,
    years: u32,
    end: Option<&str>,
) -> Result<ExitCode, String> {
    let end = match end {
        Some(text) => crate::domain::reports::parse_date(text)?,
        None => crate::clock::today(),
    };
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let opts = crate::generate::GenerateOptions { families, seed, months: 12 * years, end, plain_names: false };
    let s = crate::generate::generate(&conn, &opts).await?;
    println!(
        "generate: {} families, {} infants, {} handouts ({} voided), {} stock movements, {} survey rounds ({} answered) in {:.1} s (seed {seed}, {} years to {end})",
        s.families,
        s.infants,
        s.handouts,
        s.voided,
        s.movements,
        s.follow_ups,
        s.survey_answers,
        started.elapsed().as_secs_f64(),
        years
    );
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `cribs report-timing`.
pub struct TimingArgs {
    pub from: Option<String>,
    pub to: Option<String>,
    pub group: String,
    pub site_id: Option<i64>,
    /// `distribution` or `equity`.
    pub report: String,
    pub runs: usize,
    pub print_sql: bool,
}

/// `cribs report-timing`: run a report through `store::reports` (one warm-up run, then
/// `runs` timed runs) and print the timings in milliseconds; or print the distribution SQL.
pub async fn report_timing(settings: &Settings, args: TimingArgs) -> Result<ExitCode, String> {
    use crate::domain::reports::{Grouping, Period};
    use crate::store::reports::{distribution, distribution_sql, equity, inline_sql, ReportFilter};
    let period = Period::parse(args.from.as_deref(), args.to.as_deref(), crate::clock::today())
        .map_err(|p| p.into_iter().map(|(f, m)| format!("{f}: {m}")).collect::<Vec<_>>().join("; "))?;
    let grouping = Grouping::parse(Some(&args.group))?;
    let filter = ReportFilter { period, site_id: args.site_id };
    let is_equity = match args.report.as_str() {
        "distribution" => false,
        "equity" => true,
        other => return Err(format!("no report called {other}: use distribution or equity")),
    };
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    if args.print_sql {
        let (text, values) = distribution_sql(conn.get_database_backend(), &filter, grouping);
        println!("{};", inline_sql(conn.get_database_backend(), &text, &values)?);
        return Ok(ExitCode::SUCCESS);
    }
    // One run: a summary line that must not change between runs.
    let run = || async {
        if is_equity {
            let r = equity(&conn, &filter).await.map_err(|e| e.to_string())?;
            Ok::<String, String>(format!(
                "equity: {} rows, {} cells, totals {:?}",
                r.rows.len(),
                r.by_csa.len(),
                (r.totals.cribs.text(), r.totals.infants.text(), r.totals.families.text())
            ))
        } else {
            let r = distribution(&conn, &filter, grouping).await.map_err(|e| e.to_string())?;
            Ok(format!(
                "{} rows, {} cribs, {} infants, {} families",
                r.rows.len(),
                r.totals.cribs,
                r.totals.infants,
                r.totals.families
            ))
        }
    };
    let warm = run().await?;
    let mut times = Vec::with_capacity(args.runs.max(1));
    for _ in 0..args.runs.max(1) {
        let t = std::time::Instant::now();
        let summary = run().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        if summary != warm {
            return Err("the report changed between runs: is something writing to this database?".into());
        }
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!("report-timing: {warm} from {} to {}", period.from, period.to);
    println!("min_ms={:.2} median_ms={median:.2} max_ms={:.2} runs={}", times[0], times[times.len() - 1], times.len());
    Ok(ExitCode::SUCCESS)
}

/// Arguments of `cribs take-timing`.
pub struct TakeArgs {
    pub seconds: u64,
    pub concurrency: usize,
    pub site_id: i64,
    pub crib_model_id: i64,
}

/// What one `take-timing` task saw: the latency of each committed take, and the failures.
#[derive(Default)]
struct TakeTally {
    latencies_ms: Vec<f64>,
    errors: usize,
    first_error: Option<String>,
}

/// Cribs to receive before the run so that it cannot run out: far above what any database
/// here commits (a few thousand a second), capped to what a balance can hold.
fn restock_quantity(seconds: u64) -> i32 {
    i32::try_from(seconds.saturating_mul(50_000)).unwrap_or(i32::MAX / 2).min(i32::MAX / 2)
}

/// Receive `quantity` cribs at (site, model) in one write transaction, with its audit row.
async fn take_restock(db: &Db, args: &TakeArgs, quantity: i32) -> Result<(), String> {
    use crate::store::audit::{self, AuditEntry};
    use crate::store::stock::{apply_movement, MovementKind, NewMovement};
    let txn = db::begin_write(db).await.map_err(|e| e.to_string())?;
    let movement = NewMovement {
        site_id: args.site_id,
        crib_model_id: args.crib_model_id,
        kind: MovementKind::Receipt,
        quantity,
        lot: None,
        reason: None,
        note: Some("cribs take-timing restock".into()),
        transfer_id: None,
        handout_id: None,
        user_id: None,
    };
    let (m, _) = apply_movement(&txn, movement).await.map_err(|e| e.to_string())?;
    let detail = format!("site {} model {} +{quantity} (take-timing)", args.site_id, args.crib_model_id);
    let entry =
        AuditEntry { action: "stock.receipt", entity: "stock_movement", entity_id: Some(m.id), detail: Some(detail) };
    audit::record(&txn, None, None, entry).await.map_err(|e| e.to_string())?;
    txn.commit().await.map_err(|e| e.to_string())
}

/// One bare take: `begin_write` → `stock::apply_movement` of −1 (kind handout) → commit,
/// the transaction the benchmark `take_one_crib` times.
async fn take_one(db: &Db, site_id: i64, crib_model_id: i64) -> Result<(), String> {
    use crate::store::stock::{apply_movement, MovementKind, NewMovement};
    let txn = db::begin_write(db).await.map_err(|e| e.to_string())?;
    let movement = NewMovement {
        site_id,
        crib_model_id,
        kind: MovementKind::Handout,
        quantity: -1,
        lot: None,
        reason: None,
        note: None,
        transfer_id: None,
        handout_id: None,
        user_id: None,
    };
    apply_movement(&txn, movement).await.map_err(|e| e.to_string())?;
    txn.commit().await.map_err(|e| e.to_string())
}

/// One task: take cribs one transaction after another until the deadline.
async fn take_task(db: Db, site_id: i64, model_id: i64, until: std::time::Instant) -> TakeTally {
    let mut tally = TakeTally::default();
    while std::time::Instant::now() < until {
        let t = std::time::Instant::now();
        match take_one(&db, site_id, model_id).await {
            Ok(()) => tally.latencies_ms.push(t.elapsed().as_secs_f64() * 1000.0),
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    tally
}

/// The value below which `p` percent of the sorted values lie (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `cribs take-timing`: the bare "take one crib + one ledger row" transaction from
/// `concurrency` tasks at once for `seconds`, through the same pool as the server; prints
/// transactions per second and the latency percentiles. It writes to the database
/// (a restock, then the takes): run it on a scratch copy, with no server writing to it.
pub async fn take_timing(settings: &Settings, args: TakeArgs) -> Result<ExitCode, String> {
    if args.seconds == 0 || args.concurrency == 0 {
        return Err("--seconds and --concurrency must be at least 1".into());
    }
    let conn = db::connect(settings).await.map_err(|e| e.to_string())?;
    crate::store::stock_ops::existing_site(&conn, args.site_id)
        .await
        .map_err(|_| format!("no active site {}", args.site_id))?;
    crate::store::stock_ops::existing_model(&conn, args.crib_model_id, "--crib-model-id")
        .await
        .map_err(|e| e.message())?;
    take_restock(&conn, &args, restock_quantity(args.seconds)).await?;
    let started = std::time::Instant::now();
    let until = started + std::time::Duration::from_secs(args.seconds);
    let tasks: Vec<_> = (0..args.concurrency)
        .map(|_| tokio::spawn(take_task(conn.clone(), args.site_id, args.crib_model_id, until)))
        .collect();
    let mut all = TakeTally::default();
    for task in tasks {
        let t = task.await.map_err(|e| format!("a take-timing task failed: {e}"))?;
        all.latencies_ms.extend(t.latencies_ms);
        all.errors += t.errors;
        all.first_error = all.first_error.or(t.first_error);
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.latencies_ms.sort_by(f64::total_cmp);
    print_take_timing(&args, &all, elapsed);
    Ok(if all.errors == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn print_take_timing(args: &TakeArgs, all: &TakeTally, elapsed: f64) {
    let done = all.latencies_ms.len();
    let (p50, p99) = (percentile(&all.latencies_ms, 50.0), percentile(&all.latencies_ms, 99.0));
    println!(
        "take-timing: {done} takes of site {} model {} in {elapsed:.1} s from {} tasks (the server's pool), {} errors",
        args.site_id, args.crib_model_id, args.concurrency, all.errors
    );
    if let Some(e) = &all.first_error {
        println!("take-timing: first error: {e}");
    }
    println!("take_rps={:.1} p50_ms={p50:.2} p99_ms={p99:.2} errors={}", done as f64 / elapsed, all.errors);
}
