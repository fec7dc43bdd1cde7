//! The reports page for managers (`/reports`): filters (a GET form), the CSA map, cribs by
//! CSA as a sorted bar chart, the table with infant mortality beside each CSA, cribs by
//! month, and the equity tables; each table downloads as CSV and each chart has its table.
//! Charts are laid out in `domain::charts` / `domain::map` and drawn by the template from
//! numbers; the queries are `store::reports`, the parameters `store::report_params::parse_params`.

use crate::auth::guards::PageManager;
use crate::db::Db;
use crate::domain::charts::{columns, horizontal_bars, scatter};
use crate::domain::map::{class_breaks, csa_map, fill_of, legend, FILL_NO_DATA};
use crate::domain::reports::{by_month, csv_document, infant_mortality, month_label, Grouping, SUPPRESSED};
use crate::error::AppError;
use crate::headers::CsvFile;
use crate::store::report_params::{csv_name, distribution_csv, equity_csv, parse_params, EquityTable, RawReportParams};
use crate::store::reports::{self, DistributionReport, EquityReport, ReportFilter};
use crate::web::context::page;
use crate::web::error_page::{PageError, PageResult};
use rocket::http::{ContentType, CookieJar, Status};
use rocket::request::FlashMessage;
use rocket::{get, State};
use rocket_dyn_templates::Template;
use serde_json::{json, Value};
use std::collections::HashMap;

const BAR_WIDTH: f64 = 720.0;
const MONTHS_WIDTH: f64 = 720.0;
const MONTHS_HEIGHT: f64 = 260.0;

fn raw(from: Option<String>, to: Option<String>, site_id: Option<String>, group: Option<String>) -> RawReportParams {
    RawReportParams { from, to, site_id, group }
}

/// The query string that repeats a report's filters (for the CSV and chart links).
fn query_of(f: &ReportFilter, grouping: Grouping) -> String {
    let mut q = format!("from={}&to={}&group={}", f.period.from, f.period.to, grouping.as_str());
    if let Some(site) = f.site_id {
        q.push_str(&format!("&site_id={site}"));
    }
    q
}

/// Sites for the filter's list, all kinds, by name.
pub async fn site_choices(db: &Db) -> Result<Vec<Value>, AppError> {
    Ok(crate::store::reference::all_sites_by_name(db)
        .await?
        .into_iter()
        .map(|s| json!({"id": s.id.to_string(), "name": s.name, "kind": s.kind, "active": s.active}))
        .collect())
}

/// The chosen site's name from the filter's list (none when no site is chosen).
pub fn site_name_of(sites: &[Value], site_id: Option<i64>) -> Option<String> {
    let wanted = site_id?.to_string();
    sites.iter().find(|s| s["id"] == wanted.as_str()).and_then(|s| s["name"].as_str().map(str::to_string))
}

fn imr_cells(csa_id: Option<i32>) -> (String, String) {
    match csa_id.and_then(|id| infant_mortality().get(&id)) {
        Some(r) => (format!("{:.1}", r.per_1000), r.year.to_string()),
        None => (String::new(), String::new()),
    }
}

/// The main table's rows (with infant mortality per CSA).
fn table_rows(r: &DistributionReport) -> Vec<Value> {
    r.rows
        .iter()
        .map(|row| {
            let (imr, imr_year) = imr_cells(row.csa_id);
            json!({
                "csa_name": row.csa_name,
                "neighborhood_name": row.neighborhood.as_ref().map(|(_, n)| n.clone()),
                "cribs": row.counts.cribs,
                "infants": row.counts.infants,
                "families": row.counts.families,
                "imr": imr,
                "imr_year": imr_year,
            })
        })
        .collect()
}

/// Each CSA with a known infant mortality rate: (title, rate, cribs).
fn need_points(by_csa: &DistributionReport) -> Vec<(String, f64, i64)> {
    by_csa
        .rows
        .iter()
        .filter_map(|r| {
            let rate = infant_mortality().get(&r.csa_id?)?;
            let title = format!(
                "{}: infant mortality {:.1} per 1,000 ({}), {} cribs",
                r.csa_name, rate.per_1000, rate.year, r.counts.cribs
            );
            Some((title, rate.per_1000, r.counts.cribs))
        })
        .collect()
}

/// The map: each CSA's outline with its fill and a title naming it and its cribs.
fn map_context(by_csa: &DistributionReport) -> Value {
    let cribs: HashMap<i32, i64> = by_csa.rows.iter().filter_map(|r| Some((r.csa_id?, r.counts.cribs))).collect();
    let max = cribs.values().copied().max().unwrap_or(0);
    let breaks = class_breaks(max);
    let map = csa_map();
    let shapes: Vec<Value> = map
        .shapes
        .iter()
        .map(|s| match s.csa_id {
            Some(id) => {
                let n = cribs.get(&id).copied().unwrap_or(0);
                let unit = if n == 1 { "crib" } else { "cribs" };
                json!({"d": s.d, "fill": fill_of(n, &breaks), "title": format!("{}: {n} {unit}", s.name)})
            }
            None => json!({"d": s.d, "fill": FILL_NO_DATA, "title": format!("{} (not a CSA)", s.name)}),
        })
        .collect();
    json!({"width": map.width, "height": map.height, "shapes": shapes, "legend": legend(&breaks)})
}

/// Equity tables for the page: rows by answer, and the cross table pivoted to one row per
/// CSA with a cell per answer.
fn equity_context(e: &EquityReport) -> Value {
    let answers: Vec<Value> = e.rows.iter().map(|r| json!({"label": r.label})).collect();
    let per_row = e.rows.len().max(1);
    let mut by_csa: Vec<(String, Vec<String>)> = Vec::new();
    let csa_count = e.by_csa.len() / per_row;
    for i in 0..csa_count {
        let name = e.by_csa.get(i).map(|c| c.csa_name.clone()).unwrap_or_default();
        let cells = (0..per_row).map(|a| e.by_csa.get(a * csa_count + i).map(|c| c.cribs.text()).unwrap_or_default());
        by_csa.push((name, cells.collect()));
    }
    json!({
        "rows": e.rows.iter().map(|r| json!({
            "label": r.label,
            "cribs": r.counts.cribs.text(),
            "infants": r.counts.infants.text(),
            "families": r.counts.families.text(),
        })).collect::<Vec<_>>(),
        "totals": {
            "cribs": e.totals.cribs.text(),
            "infants": e.totals.infants.text(),
            "families": e.totals.families.text(),
        },
        "answers": answers,
        "by_csa": by_csa.into_iter().map(|(name, cells)| json!({"csa_name": name, "cells": cells})).collect::<Vec<_>>(),
        "suppressed": SUPPRESSED,
    })
}

/// Reports: everything on one page for the chosen period, site and grouping.
#[get("/reports?<from>&<to>&<site_id>&<group>")]
#[expect(clippy::too_many_arguments, reason = "one argument per filter, as Rocket passes them")]
pub async fn reports_page(
    user: PageManager,
    db: &State<Db>,
    cookies: &CookieJar<'_>,
    flash: Option<FlashMessage<'_>>,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    group: Option<String>,
) -> PageResult<(Status, Template)> {
    let who = user.0;
    let raw = raw(from, to, site_id, group);
    let sites = site_choices(db.inner()).await?;
    let (filter, grouping) = match parse_params(db.inner(), &raw).await {
        Ok(p) => p,
        Err(AppError::Validation(errors)) => {
            let ctx = page(
                "Reports",
                Some(&who),
                cookies,
                flash,
                json!({"filters": raw, "sites": sites, "errors": errors, "report": null}),
            );
            return Ok((Status::UnprocessableEntity, Template::render("reports/index", ctx)));
        }
        Err(e) => return Err(PageError(e)),
    };
    let by_csa = reports::distribution(db.inner(), &filter, Grouping::Csa).await?;
    let table = match grouping {
        Grouping::Csa => None,
        Grouping::Neighborhood => Some(reports::distribution(db.inner(), &filter, Grouping::Neighborhood).await?),
    };
    let per_day = reports::cribs_per_day(db.inner(), &filter).await?;
    let months: Vec<(String, i64)> =
        by_month(&filter.period, &per_day).into_iter().map(|(m, n)| (month_label(m), n)).collect();
    let equity = reports::equity(db.inner(), &filter).await?;
    let bars: Vec<(String, i64)> = by_csa.rows.iter().map(|r| (r.csa_name.clone(), r.counts.cribs)).collect();
    let shown = table.as_ref().unwrap_or(&by_csa);
    let site_name = site_name_of(&sites, filter.site_id);
    let query = query_of(&filter, grouping);
    let ctx = page(
        "Reports",
        Some(&who),
        cookies,
        flash,
        json!({
            "filters": {
                "from": filter.period.from.to_string(),
                "to": filter.period.to.to_string(),
                "site_id": filter.site_id.map(|s| s.to_string()),
                "group": grouping.as_str(),
            },
            "sites": sites,
            "errors": {},
            "report": {
                "from": filter.period.from.to_string(),
                "to": filter.period.to.to_string(),
                "site_name": site_name,
                "grouping": grouping.as_str(),
                "totals": shown.totals,
                "rows": table_rows(shown),
                "query": query,
                "map": map_context(&by_csa),
                "scatter": scatter(
                    "Cribs per CSA against infant mortality",
                    "Infant mortality per 1,000 live births (latest year with data)",
                    "Cribs",
                    &need_points(&by_csa),
                    BAR_WIDTH,
                    360.0,
                ),
                "bars": horizontal_bars("Cribs by Community Statistical Area, most first", &bars, BAR_WIDTH),
                "months": columns("Cribs by month", &months, MONTHS_WIDTH, MONTHS_HEIGHT),
                "month_rows": months.iter().map(|(m, n)| json!({"month": m, "cribs": n})).collect::<Vec<_>>(),
                "equity": equity_context(&equity),
            },
        }),
    );
    Ok((Status::Ok, Template::render("reports/index", ctx)))
}

/// Parse the filters for a download, or answer with the error page.
async fn download_params(db: &Db, raw: &RawReportParams) -> PageResult<(ReportFilter, Grouping)> {
    parse_params(db, raw).await.map_err(PageError)
}

/// The main table as CSV: the API's columns, plus each CSA's infant mortality rate and
/// its year when grouped by CSA.
#[get("/reports/distribution.csv?<from>&<to>&<site_id>&<group>")]
pub async fn distribution_csv_page(
    _user: PageManager,
    db: &State<Db>,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    group: Option<String>,
) -> PageResult<CsvFile> {
    let (filter, grouping) = download_params(db.inner(), &raw(from, to, site_id, group)).await?;
    let report = reports::distribution(db.inner(), &filter, grouping).await?;
    let body = match grouping {
        Grouping::Neighborhood => distribution_csv(&report, grouping)?,
        Grouping::Csa => {
            let rows: Vec<Vec<String>> = report
                .rows
                .iter()
                .map(|r| {
                    let (imr, year) = imr_cells(r.csa_id);
                    vec![
                        r.csa_id.map(|i| i.to_string()).unwrap_or_default(),
                        r.csa_name.clone(),
                        r.counts.cribs.to_string(),
                        r.counts.infants.to_string(),
                        r.counts.families.to_string(),
                        imr,
                        year,
                    ]
                })
                .collect();
            csv_document(
                &[
                    "csa_id",
                    "csa_name",
                    "cribs",
                    "infants",
                    "families",
                    "infant_mortality_per_1000",
                    "infant_mortality_year",
                ],
                &rows,
            )
            .map_err(AppError::Internal)?
        }
    };
    let name = match grouping {
        Grouping::Csa => "distribution-by-csa",
        Grouping::Neighborhood => "distribution-by-neighborhood",
    };
    Ok(CsvFile { filename: csv_name(name, &filter), body })
}

/// Cribs by month as CSV.
#[get("/reports/months.csv?<from>&<to>&<site_id>")]
pub async fn months_csv_page(
    _user: PageManager,
    db: &State<Db>,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
) -> PageResult<CsvFile> {
    let (filter, _) = download_params(db.inner(), &raw(from, to, site_id, None)).await?;
    let per_day = reports::cribs_per_day(db.inner(), &filter).await?;
    let rows: Vec<Vec<String>> = by_month(&filter.period, &per_day)
        .into_iter()
        .map(|((y, m), n)| vec![format!("{y}-{m:02}"), n.to_string()])
        .collect();
    let body = csv_document(&["month", "cribs"], &rows).map_err(AppError::Internal)?;
    Ok(CsvFile { filename: csv_name("cribs-by-month", &filter), body })
}

/// An equity table as CSV (`table=race` or `race_by_csa`), small counts as "<5".
#[get("/reports/equity.csv?<from>&<to>&<site_id>&<table>")]
pub async fn equity_csv_page(
    _user: PageManager,
    db: &State<Db>,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> PageResult<CsvFile> {
    let which = EquityTable::parse(table.as_deref()).map_err(|m| PageError(AppError::validation("table", m)))?;
    let (filter, _) = download_params(db.inner(), &raw(from, to, site_id, None)).await?;
    let report = reports::equity(db.inner(), &filter).await?;
    let name = match which {
        EquityTable::Race => "equity-by-race-ethnicity",
        EquityTable::RaceByCsa => "equity-by-race-ethnicity-and-csa",
    };
    Ok(CsvFile { filename: csv_name(name, &filter), body: equity_csv(&report, which)? })
}

/// A chart as a standalone SVG file (for printing or a funder's report): `cribs-by-csa`
/// or `cribs-by-month`.
#[get("/reports/charts/<name>?<from>&<to>&<site_id>")]
pub async fn chart_svg(
    _user: PageManager,
    db: &State<Db>,
    name: &str,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
) -> PageResult<(ContentType, String)> {
    let (filter, _) = download_params(db.inner(), &raw(from, to, site_id, None)).await?;
    let period = format!("{} to {}", filter.period.from, filter.period.to);
    let svg = match name {
        "cribs-by-csa.svg" => {
            let r = reports::distribution(db.inner(), &filter, Grouping::Csa).await?;
            let bars: Vec<(String, i64)> = r.rows.iter().map(|r| (r.csa_name.clone(), r.counts.cribs)).collect();
            horizontal_bars(&format!("Cribs by CSA, {period}"), &bars, BAR_WIDTH).to_svg()
        }
        "cribs-by-month.svg" => {
            let per_day = reports::cribs_per_day(db.inner(), &filter).await?;
            let months: Vec<(String, i64)> =
                by_month(&filter.period, &per_day).into_iter().map(|(m, n)| (month_label(m), n)).collect();
            columns(&format!("Cribs by month, {period}"), &months, MONTHS_WIDTH, MONTHS_HEIGHT).to_svg()
        }
        _ => return Err(PageError(AppError::NotFound)),
    };
    Ok((ContentType::SVG, svg))
}
