//! The `cribs` command: `serve` (the default), `migrate`, `seed`, `check-ledger`,
//! `create-user`, `backup`, `generate`, `report-timing`, `take-timing`. Thin: parse the
//! command line, then hand over.

use clap::{Parser, Subcommand};
use cribs::config::Settings;
use rocket::figment::providers::Env;
use rocket::figment::Figment;
use std::io::Read;
use std::process::ExitCode;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The server's allocator (see `cribs::memory`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "cribs", about = "Free portable-crib program: stock, eligibility, education, handouts, reports")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server (the default).
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Run the seeds (reference data; demo data when CRIBS_DEMO allows and the database is empty).
    Seed,
    /// Recompute every stock balance from the ledger; exit 1 if any differs.
    CheckLedger,
    /// Create an account; the password is read from standard input.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, help = "admin, program_manager, site_staff or nurse")]
        role: String,
        #[arg(long, default_value = "")]
        name: String,
        /// Site code (site staff; repeat for several sites).
        #[arg(long = "site")]
        sites: Vec<String>,
        /// Hospital site code (nurses).
        #[arg(long)]
        hospital: Option<String>,
    },
    /// Write a consistent copy of the database to a file while serving (SQLite: VACUUM INTO;
    /// PostgreSQL: pg_dump's custom format).
    Backup { file: std::path::PathBuf },
    /// Put a backup back into an empty database (or, with --force, in place of what it holds).
    Restore {
        file: std::path::PathBuf,
        /// Replace a database that already holds families or hand-outs.
        #[arg(long)]
        force: bool,
    },
    /// Fill the database with deterministic synthetic families, infants and handouts.
    Generate {
        /// How many families (about 1.07 handouts each).
        #[arg(long)]
        families: usize,
        /// Random seed: the same seed on the same database gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Years of handouts, ending on --end.
        #[arg(long, default_value_t = 3)]
        years: u32,
        /// Last day with handouts, YYYY-MM-DD (default: today in New York).
        #[arg(long)]
        end: Option<String>,
    },
    /// Time the distribution report through the store (milliseconds), or print its SQL.
    ReportTiming {
        /// First day, YYYY-MM-DD (default: 1 January this year).
        #[arg(long)]
        from: Option<String>,
        /// Last day, YYYY-MM-DD (default: 31 December this year).
        #[arg(long)]
        to: Option<String>,
        /// csa or neighborhood.
        #[arg(long, default_value = "csa")]
        group: String,
        /// Only handouts at this site.
        #[arg(long)]
        site_id: Option<i64>,
        /// distribution (the default) or equity.
        #[arg(long, default_value = "distribution")]
        report: String,
        /// Timed runs after one warm-up run.
        #[arg(long, default_value_t = 7)]
        runs: usize,
        /// Print the statement with its values written in, for sqlite3/psql, and exit.
        #[arg(long)]
        print_sql: bool,
    },
    /// Time the bare "take one crib + one ledger row" transaction under concurrency (writes to the database).
    TakeTiming {
        /// How long to run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Tasks taking at once (they share the server's pool).
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// The site to take from (restocked first).
        #[arg(long, default_value_t = 1)]
        site_id: i64,
        /// The crib model to take.
        #[arg(long, default_value_t = 1)]
        crib_model_id: i64,
    },
}

fn figment() -> Figment {
    // DATABASE_URL and every CRIBS_* variable (the README's settings table); ROCKET_* come
    // with Rocket's own figment. NOTE: a fixed list of names here once left
    // CRIBS_SECOND_FACTOR and CRIBS_RETENTION_YEARS unread.
    rocket::Config::figment().merge(Env::raw().filter(|key| {
        let key = key.as_str().to_ascii_lowercase();
        key == "database_url" || key.starts_with("cribs_")
    }))
}

fn settings(figment: &Figment) -> Result<Settings, String> {
    Settings::from_figment(figment).map_err(|e| format!("bad settings: {e}"))
}

fn main() -> ExitCode {
    cribs::memory::tune_mimalloc();
    cribs::memory::limit_malloc_arenas(std::env::var("DATABASE_URL").ok().as_deref());
    // One line per request (`request_id`, target `cribs::access`) and the program's own
    // notices; colours only on a terminal; JSON lines with `CRIBS_LOG_FORMAT=json`.
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,cribs=info".into());
    // NOTE: Rocket's own lines name each request's path and query (a search's name, an
    // unsubscribe link's token), call every 404 an ERROR and its launch a WARN; the access log
    // (`request_id`) and the start-up line below say what happened instead. So do the lines
    // Rocket's route code writes in our own modules (target `<module>::_`: "Request guard
    // `ApiUser` failed" at WARN on every 401). `RUST_LOG` naming rocket brings them back,
    // for debugging.
    let rocket_lines = std::env::var("RUST_LOG").is_ok_and(|v| v.contains("rocket"));
    if !rocket_lines {
        if let Ok(off) = "rocket=off".parse() {
            filter = filter.add_directive(off);
        }
    }
    let routes_quiet =
        tracing_subscriber::filter::filter_fn(move |meta| rocket_lines || !meta.target().ends_with("::_"));
    let terminal = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if std::env::var("CRIBS_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(false)
            .finish()
            .with(routes_quiet)
            .init();
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_target(false)
            .with_ansi(terminal)
            .finish()
            .with(routes_quiet)
            .init();
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cribs: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve().await,
            Command::Migrate => cribs::cli::migrate(&settings(&figment())?).await,
            Command::Seed => cribs::cli::seed(&settings(&figment())?).await,
            Command::CheckLedger => cribs::cli::check_ledger(&settings(&figment())?).await,
            Command::CreateUser { email, role, name, sites, hospital } => {
                let mut password = String::new();
                std::io::stdin().read_to_string(&mut password).map_err(|e| format!("cannot read the password: {e}"))?;
                let password = password.trim_end_matches(['\r', '\n']).to_string();
                let new = cribs::cli::NewUserArgs { email, role, name, sites, hospital, password };
                cribs::cli::create_user(&settings(&figment())?, new).await
            }
            Command::Backup { file } => cribs::cli::backup(&settings(&figment())?, &file).await,
            Command::Restore { file, force } => cribs::cli::restore(&settings(&figment())?, &file, force).await,
            Command::Generate { families, seed, years, end } => {
                cribs::cli::generate(&settings(&figment())?, families, seed, years, end.as_deref()).await
            }
            Command::ReportTiming { from, to, group, site_id, report, runs, print_sql } => {
                let args = cribs::cli::TimingArgs { from, to, group, site_id, report, runs, print_sql };
                cribs::cli::report_timing(&settings(&figment())?, args).await
            }
            Command::TakeTiming { seconds, concurrency, site_id, crib_model_id } => {
                let args = cribs::cli::TakeArgs { seconds, concurrency, site_id, crib_model_id };
                cribs::cli::take_timing(&settings(&figment())?, args).await
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("cribs: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Whether the settings carry a real secret key. NOTE: Rocket's own defaults carry an
/// all-zero key, which a release build refuses to start with ("insecure secret key"), so a
/// key counts only when it is there and not zero.
fn has_secret_key(figment: &Figment) -> bool {
    figment.extract_inner::<rocket::config::SecretKey>("secret_key").is_ok_and(|k| !k.is_zero())
}

async fn serve() -> Result<ExitCode, String> {
    let mut figment = figment().merge(("print_demo_logins", true));
    if let Err(e) = figment.extract_inner::<rocket::config::SecretKey>("secret_key") {
        return Err(format!(
            "ROCKET_SECRET_KEY is set but is not a usable key ({e}). Give it 32 or 64 random bytes \
             in base64 or hex, e.g. from `openssl rand -base64 32`, or leave it unset to have one \
             generated once and kept with the data."
        ));
    }
    if !has_secret_key(&figment) {
        // Decision 0020: generated once, kept beside the data (0600), so restarts keep sessions.
        let path = cribs::secret_key::key_file(&settings(&figment)?);
        let kept = cribs::secret_key::load_or_create(&path)?;
        figment = figment.merge(("secret_key", kept.key));
        if kept.created {
            println!(
                "cribs: no ROCKET_SECRET_KEY set: generated one and kept it in {} (owner-only); restarts keep sessions.",
                kept.path.display()
            );
        } else {
            println!("cribs: no ROCKET_SECRET_KEY set: using the key kept in {}.", kept.path.display());
        }
    }
    match cribs::build(figment).launch().await {
        Ok(_) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            let kind = e.kind().to_string();
            Err(format!("the server stopped: {kind}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rockets_zero_default_key_is_no_key_and_a_real_one_is() {
        assert!(!has_secret_key(&rocket::Config::figment()), "the default figment's zero key must be replaced");
        let with_key = rocket::Config::figment().merge(("secret_key", cribs::auth::token::random_secret_key()));
        assert!(has_secret_key(&with_key));
    }
}
