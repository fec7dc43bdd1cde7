//! The outcome reports page for managers (`/reports/outcomes`): education, eligibility,
//! hospital requests, follow-ups and stock for the chosen period and site, each table as
//! the API's CSV lays it out (`domain::outcomes::Table`), with a download link per table,
//! the request funnel and the education modes as bar charts beside their tables.

use crate::auth::guards::PageManager;
use crate::db::Db;
use crate::domain::charts::horizontal_bars_in_order;
use crate::domain::outcomes::{pick, Table};
use crate::error::AppError;
use crate::headers::CsvFile;
use crate::store::outcomes::{self, Outcome};
use crate::store::report_params::{csv_name, outcome_params, parse_params, RawReportParams};
use crate::store::reports::ReportFilter;
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use crate::web::reports::{site_choices, site_name_of};
use rocket::http::{CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};

const CHART_WIDTH: f64 = 720.0;

fn raw(from: Option<String>, to: Option<String>, site_id: Option<String>) -> RawReportParams {
    RawReportParams { from, to, site_id, group: None }
}

/// The query string that repeats the filters (for the download links).
fn query_of(f: &ReportFilter) -> String {
    let mut q = format!("from={}&to={}", f.period.from, f.period.to);
    if let Some(site) = f.site_id {
        q.push_str(&format!("&site_id={site}"));
    }
    q
}

/// A section's heading and what it counts.
fn heading(which: Outcome) -> (&'static str, &'static str) {
    match which {
        Outcome::Education => (
            "Safe-sleep education",
            "Each crib handed out in the period, by how and in which language the family was taught, and whether all four ABCD topics were covered.",
        ),
        Outcome::Eligibility => (
            "Eligibility checks",
            "Every check run in the period (at the site, when one is chosen). One check can fail several rules, so the failures add up to more than the checks that were not eligible.",
        ),
        Outcome::Referrals => (
            "Hospital requests",
            "Requests whose discharge date falls in the period (from the site's hospital, or held at the site). \"A crib was held\" counts every request that ever had a hold, including those that lapsed.",
        ),
        Outcome::FollowUps => (
            "Follow-up calls",
            "The follow-up owed for each crib handed out in the period, and what the families reached told us.",
        ),
        Outcome::Stock => (
            "Stock by site and month",
            "Movements in the ledger by New York month; on hand at the end is the ledger's running balance. \"Now\" is what each site holds today.",
        ),
    }
}

/// A chart for a section, from one of its tables: the funnel, and the education modes.
fn chart(which: Outcome, tables: &[Table]) -> Value {
    let (key, title, count_col) = match which {
        Outcome::Referrals => ("funnel", "Hospital requests: submitted, held, handed out", 2),
        Outcome::Education => ("by_mode", "Cribs by how the education was given", 2),
        _ => return Value::Null,
    };
    let Some(t) = tables.iter().find(|t| t.key == key) else { return Value::Null };
    let items: Vec<(String, i64)> =
        t.rows.iter().filter_map(|r| Some((r.get(1)?.clone(), r.get(count_col)?.parse::<i64>().ok()?))).collect();
    json!(horizontal_bars_in_order(title, &items, CHART_WIDTH))
}

/// A table as the page shows it: the first column (a stored code or id, for the CSV) is
/// left out, the second heads each row, empty numbers show as a dash.
fn page_table(t: &Table) -> Value {
    let headers: Vec<Value> =
        t.columns.iter().skip(1).map(|c| json!({"label": c.label, "numeric": c.numeric})).collect();
    let rows: Vec<Vec<Value>> = t
        .rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&t.columns)
                .enumerate()
                .skip(1)
                .map(|(i, (v, c))| json!({"v": v, "numeric": c.numeric, "head": i == 1}))
                .collect()
        })
        .collect();
    json!({"key": t.key, "title": t.title, "headers": headers, "rows": rows})
}

/// Outcome reports: every section for the chosen period and site.
#[get("/reports/outcomes?<from>&<to>&<site_id>")]
pub async fn outcomes_page(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
) -> PageResult<(Status, Template)> {
    let who = user.0;
    let raw = raw(from, to, site_id);
    let sites = site_choices(db.inner()).await?;
    let filter = match parse_params(db.inner(), &raw).await {
        Ok((f, _)) => f,
        Err(AppError::Validation(errors)) => {
            let ctx = page(
                "Outcome reports",
                Some(&who),
                cookies,
                flash,
                json!({"filters": raw, "sites": sites, "errors": errors, "sections": null}),
            );
            return Ok((Status::UnprocessableEntity, Template::render("reports/outcomes", ctx)));
        }
        Err(e) => return Err(PageError(e)),
    };
    crate::store::referrals::settle(db.inner()).await?;
    let today = crate::clock::today();
    let mut sections = Vec::new();
    for which in Outcome::ALL {
        let (_, tables) = outcomes::run(db.inner(), which, &filter, today).await?;
        let (title, about) = heading(which);
        sections.push(json!({
            "slug": which.slug(),
            "title": title,
            "about": about,
            "chart": chart(which, &tables),
            "tables": tables.iter().map(page_table).collect::<Vec<_>>(),
        }));
    }
    let site_name = site_name_of(&sites, filter.site_id);
    let ctx = page(
        "Outcome reports",
        Some(&who),
        cookies,
        flash,
        json!({
            "filters": {
                "from": filter.period.from.to_string(),
                "to": filter.period.to.to_string(),
                "site_id": filter.site_id.map(|s| s.to_string()),
            },
            "sites": sites,
            "errors": {},
            "from": filter.period.from.to_string(),
            "to": filter.period.to.to_string(),
            "site_name": site_name,
            "query": query_of(&filter),
            "sections": sections,
        }),
    );
    Ok((Status::Ok, Template::render("reports/outcomes", ctx)))
}

/// One table of an outcome report as CSV: `/reports/outcomes/<report>.csv?…&table=…`.
#[get("/reports/outcomes/<name>?<from>&<to>&<site_id>&<table>")]
pub async fn outcome_csv(
    _user: PageManager,
    db: &State<Db>,
    name: &str,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> PageResult<CsvFile> {
    let which = name.strip_suffix(".csv").and_then(Outcome::from_slug).ok_or(PageError(AppError::NotFound))?;
    let (filter, table) =
        outcome_params(db.inner(), which, &raw(from, to, site_id), table.as_deref()).await.map_err(PageError)?;
    if which == Outcome::Referrals {
        crate::store::referrals::settle(db.inner()).await?;
    }
    let (_, tables) = outcomes::run(db.inner(), which, &filter, crate::clock::today()).await?;
    let t = pick(&tables, table.as_deref()).map_err(|m| PageError(AppError::validation("table", m)))?;
    Ok(CsvFile {
        filename: csv_name(&format!("{}-{}", which.slug(), t.key), &filter),
        body: t.to_csv().map_err(AppError::Internal)?,
    })
}
