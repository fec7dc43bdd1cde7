//! The safe-sleep outcome report page for managers (`/reports/safe-sleep`, issue 23): for
//! each follow-up round, the five measures as bars (the program's share, with Healthy People
//! 2030's target marked on back sleep) each beside its response rate, then the table by CSA
//! or by race/ethnicity with small counts shown as "<5", and the CSV downloads (the funders'
//! numerators and denominators; the table by group) — the API's numbers, cell for cell.

use crate::auth::guards::PageManager;
use crate::db::Db;
use crate::error::AppError;
use crate::headers::CsvFile;
use crate::store::outcomes::safe_sleep::{self, SafeSleepQuery};
use crate::store::outcomes::Tables;
use crate::store::report_params::{csv_name, RawReportParams};
use crate::store::reports::ReportFilter;
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use crate::web::reports::{site_choices, site_name_of};
use rocket::http::{CookieJar, Status};
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::json;

/// The query string that repeats the filters (for the download links).
fn query_of(q: &SafeSleepQuery) -> String {
    let mut s = format!("from={}&to={}", q.period.from, q.period.to);
    if let Some(r) = q.round {
        s.push_str(&format!("&round={r}"));
    }
    if q.group != safe_sleep::SafeSleepGroup::None {
        s.push_str(&format!("&group={}", q.group.as_str()));
    }
    if let Some(site) = q.site_id {
        s.push_str(&format!("&site_id={site}"));
    }
    s
}

/// The report page.
#[get("/reports/safe-sleep?<from>&<to>&<round>&<group>&<site_id>")]
#[expect(clippy::too_many_arguments, reason = "the report's query, one parameter each")]
pub async fn safe_sleep_page(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    from: Option<String>,
    to: Option<String>,
    round: Option<String>,
    group: Option<String>,
    site_id: Option<String>,
) -> PageResult<(Status, Template)> {
    let who = user.0;
    let raw = RawReportParams { from, to, site_id, group };
    let sites = site_choices(db.inner()).await?;
    let filters = json!({"from": raw.from, "to": raw.to, "site_id": raw.site_id, "group": raw.group, "round": round});
    let q = match safe_sleep::params(db.inner(), &raw, round.as_deref(), None).await {
        Ok((q, _)) => q,
        Err(AppError::Validation(errors)) => {
            let ctx = page(
                "Safe sleep after the crib",
                Some(&who),
                cookies,
                None,
                json!({"filters": filters, "sites": sites, "errors": errors, "report": null}),
            );
            return Ok((Status::UnprocessableEntity, Template::render("reports/safe_sleep", ctx)));
        }
        Err(e) => return Err(PageError(e)),
    };
    let report = {
        let _turn =
            crate::store::reports::report_turn(sea_orm::ConnectionTrait::get_database_backend(db.inner())).await;
        safe_sleep::report(db.inner(), &q, crate::clock::today()).await?
    };
    let ctx = page(
        "Safe sleep after the crib",
        Some(&who),
        cookies,
        None,
        json!({
            "filters": {
                "from": q.period.from.to_string(),
                "to": q.period.to.to_string(),
                "site_id": q.site_id.map(|s| s.to_string()),
                "group": q.group.as_str(),
                "round": q.round.map(|r| r.to_string()),
            },
            "sites": sites,
            "errors": {},
            "site_name": site_name_of(&sites, q.site_id),
            "query": query_of(&q),
            "report": report,
            "grouped": q.group != safe_sleep::SafeSleepGroup::None,
        }),
    );
    Ok((Status::Ok, Template::render("reports/safe_sleep", ctx)))
}

/// One table of the report as CSV: `/reports/safe-sleep.csv?…&table=measures|by_group`.
#[get("/reports/safe-sleep.csv?<from>&<to>&<round>&<group>&<site_id>&<table>")]
#[expect(clippy::too_many_arguments, reason = "the report's query, one parameter each")]
pub async fn safe_sleep_csv(
    _user: PageManager,
    db: &State<Db>,
    from: Option<String>,
    to: Option<String>,
    round: Option<String>,
    group: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> PageResult<CsvFile> {
    let raw = RawReportParams { from, to, site_id, group };
    let (q, table) = safe_sleep::params(db.inner(), &raw, round.as_deref(), table.as_deref()).await?;
    let report = safe_sleep::report(db.inner(), &q, crate::clock::today()).await?;
    let tables = report.tables();
    let t = crate::domain::outcomes::pick(&tables, table.as_deref()).map_err(|m| AppError::validation("table", m))?;
    let body = t.to_csv().map_err(AppError::Internal)?;
    let filter = ReportFilter { period: q.period, site_id: q.site_id };
    Ok(CsvFile { filename: csv_name(&format!("safe-sleep-{}", t.key), &filter), body })
}
