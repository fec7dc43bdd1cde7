//! Reports over the API (managers): the distribution of cribs by CSA or neighborhood, and
//! the equity report by race/ethnicity. JSON by default; `Accept: text/csv` gives the same
//! rows as CSV. Parameters are parsed here once (and reused by the reports page); the
//! queries live in `store::reports`.

use crate::api::answer::Answer;
use crate::api::openapi::ErrorBody;
use crate::api::validate::Problems;
use crate::auth::guards::ApiManager;
use crate::domain::reports::{csv_document, Grouping, Period};
use crate::error::{ApiResult, AppError};
use crate::store::reports::{self, Counts, DistributionReport, EquityReport, ReportFilter};
use rocket::http::{ContentType, Header, MediaType, Status};
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder, Response};
use rocket::{get, State};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde::Serialize;
use std::io::Cursor;

/// Whether the caller prefers CSV (`Accept: text/csv` ranked above JSON).
pub struct WantsCsv(pub bool);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for WantsCsv {
    type Error = std::convert::Infallible;

    async fn from_request(req: &'r Request<'_>) -> request::Outcome<Self, Self::Error> {
        let csv = req.accept().is_some_and(|a| a.preferred().media_type() == &MediaType::CSV);
        request::Outcome::Success(WantsCsv(csv))
    }
}

/// A CSV document to download.
pub struct CsvFile {
    pub filename: String,
    pub body: String,
}

impl<'r> Responder<'r, 'static> for CsvFile {
    fn respond_to(self, _req: &'r Request<'_>) -> response::Result<'static> {
        let name: String =
            self.filename.chars().filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')).collect();
        Response::build()
            .status(Status::Ok)
            .header(ContentType::new("text", "csv").with_params(("charset", "utf-8")))
            .header(Header::new("Content-Disposition", format!("attachment; filename=\"{name}\"")))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

/// A report answer: JSON or CSV.
pub enum ReportAnswer {
    Json(Answer),
    Csv(CsvFile),
}

impl<'r> Responder<'r, 'static> for ReportAnswer {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        match self {
            ReportAnswer::Json(a) => a.respond_to(req),
            ReportAnswer::Csv(c) => c.respond_to(req),
        }
    }
}

/// Report parameters as they arrive in a query string (an empty value counts as absent).
#[derive(Debug, Clone, Default, Serialize)]
pub struct RawReportParams {
    pub from: Option<String>,
    pub to: Option<String>,
    pub site_id: Option<String>,
    pub group: Option<String>,
}

/// Parse and check report parameters: dates (`YYYY-MM-DD`, from ≤ to, at most 20 years,
/// default this New York calendar year), an existing site, a known grouping. Every problem
/// is reported at once as a 422 with its field.
pub async fn parse_params(
    db: &impl ConnectionTrait,
    raw: &RawReportParams,
) -> Result<(ReportFilter, Grouping), AppError> {
    let mut p = Problems::default();
    let period = match Period::parse(raw.from.as_deref(), raw.to.as_deref(), crate::clock::today()) {
        Ok(period) => Some(period),
        Err(problems) => {
            for (field, message) in problems {
                p.add(&field, message);
            }
            None
        }
    };
    let site_id = match raw.site_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match text.parse::<i64>() {
            Ok(id) if reports::site_exists(db, id).await? => Some(id),
            Ok(id) => {
                p.add("site_id", format!("There is no site with id {id}."));
                None
            }
            Err(_) => {
                p.add("site_id", "A site id is a whole number.");
                None
            }
        },
    };
    let grouping = p.take("group", Grouping::parse(raw.group.as_deref()));
    p.finish()?;
    match (period, grouping) {
        (Some(period), Some(grouping)) => Ok((ReportFilter { period, site_id }, grouping)),
        _ => Err(AppError::Internal("report parameters passed the checks but were not parsed".into())),
    }
}

/// Parse the report parameters and an already parsed `table` choice together, so that a
/// bad table is reported with every other problem in one 422 (under the field `table`).
pub async fn parse_params_with_table<T>(
    db: &impl ConnectionTrait,
    raw: &RawReportParams,
    table: Result<T, String>,
) -> Result<(ReportFilter, T), AppError> {
    match (parse_params(db, raw).await, table) {
        (Ok((filter, _)), Ok(table)) => Ok((filter, table)),
        (Ok(_), Err(msg)) => Err(AppError::validation("table", msg)),
        (Err(AppError::Validation(mut fields)), table) => {
            if let Err(msg) = table {
                fields.entry("table".into()).or_default().push(msg);
            }
            Err(AppError::Validation(fields))
        }
        (Err(e), _) => Err(e),
    }
}

fn id_text<T: ToString>(id: Option<T>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

/// The distribution report as CSV: a header, then one line per row of the JSON `rows`.
pub fn distribution_csv(r: &DistributionReport, grouping: Grouping) -> Result<String, AppError> {
    let mut header = vec!["csa_id", "csa_name"];
    if grouping == Grouping::Neighborhood {
        header.extend(["neighborhood_id", "neighborhood_name"]);
    }
    header.extend(["cribs", "infants", "families"]);
    let rows: Vec<Vec<String>> = r
        .rows
        .iter()
        .map(|row| {
            let mut cells = vec![id_text(row.csa_id), row.csa_name.clone()];
            if grouping == Grouping::Neighborhood {
                let (id, name) = row.neighborhood.clone().unwrap_or((None, String::new()));
                cells.extend([id_text(id), name]);
            }
            cells.extend([
                row.counts.cribs.to_string(),
                row.counts.infants.to_string(),
                row.counts.families.to_string(),
            ]);
            cells
        })
        .collect();
    csv_document(&header, &rows).map_err(AppError::Internal)
}

/// Which equity table a CSV carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EquityTable {
    /// One row per race/ethnicity answer (the JSON `rows`).
    Race,
    /// One row per (race/ethnicity, CSA) cell (the JSON `by_csa`).
    RaceByCsa,
}

impl EquityTable {
    /// Parse `race` (default) or `race_by_csa`.
    pub fn parse(raw: Option<&str>) -> Result<EquityTable, String> {
        match raw.map(str::trim) {
            None | Some("") | Some("race") => Ok(EquityTable::Race),
            Some("race_by_csa") => Ok(EquityTable::RaceByCsa),
            Some(_) => Err("Choose the table race or race_by_csa.".into()),
        }
    }
}

/// An equity table as CSV (small counts as "<5", as in the JSON).
pub fn equity_csv(r: &EquityReport, table: EquityTable) -> Result<String, AppError> {
    let doc = match table {
        EquityTable::Race => csv_document(
            &["race_ethnicity", "label", "cribs", "infants", "families"],
            &r.rows
                .iter()
                .map(|row| {
                    vec![
                        row.race_ethnicity.clone().unwrap_or_default(),
                        row.label.clone(),
                        row.counts.cribs.text(),
                        row.counts.infants.text(),
                        row.counts.families.text(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
        EquityTable::RaceByCsa => csv_document(
            &["race_ethnicity", "label", "csa_id", "csa_name", "cribs"],
            &r.by_csa
                .iter()
                .map(|c| {
                    vec![
                        c.race_ethnicity.clone().unwrap_or_default(),
                        c.label.clone(),
                        id_text(c.csa_id),
                        c.csa_name.clone(),
                        c.cribs.text(),
                    ]
                })
                .collect::<Vec<_>>(),
        ),
    };
    doc.map_err(AppError::Internal)
}

/// A file name for a report download: `name-FROM-to-TO.csv`.
pub fn csv_name(name: &str, f: &ReportFilter) -> String {
    format!("{name}-{}-to-{}.csv", f.period.from, f.period.to)
}

/// A distribution row as documented (the neighborhood fields only with `group=neighborhood`).
#[derive(Serialize, utoipa::ToSchema)]
pub struct DistributionRowDoc {
    /// Null for the "Outside Baltimore City" row (shown only when not zero).
    pub csa_id: Option<i32>,
    pub csa_name: String,
    /// With `group=neighborhood` only (null outside the city).
    pub neighborhood_id: Option<i64>,
    /// With `group=neighborhood` only.
    pub neighborhood_name: Option<String>,
    /// Handouts (twins: 2).
    pub cribs: i64,
    /// Distinct infants.
    pub infants: i64,
    /// Distinct families.
    pub families: i64,
}

/// The distribution report as documented.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DistributionReportDoc {
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// Every CSA (or neighborhood), zeros included, by CSA id.
    pub rows: Vec<DistributionRowDoc>,
    /// cribs and infants: the sums of the rows; families: distinct families overall.
    pub totals: Counts,
}

/// Cribs, infants and families by CSA (or neighborhood) for a period: every CSA has a row,
/// zeros included; voided handouts are left out; the CSA and neighborhood are the ones
/// stored on each handout; both dates are inclusive (New York dates). Handouts to families
/// outside the city are counted in a row with `csa_id` null, "Outside Baltimore City",
/// present only when it is not zero, and in the totals.
#[utoipa::path(get, path = "/api/v1/reports/distribution-by-neighborhood", tag = "reports",
    params(
        ("from" = Option<String>, Query, description = "first day, YYYY-MM-DD (default: 1 January this year, New York)"),
        ("to" = Option<String>, Query, description = "last day, YYYY-MM-DD, inclusive (default: 31 December this year); at most 20 years after `from`"),
        ("site_id" = Option<i64>, Query, description = "only handouts at this site"),
        ("group" = Option<String>, Query, description = "csa (default) or neighborhood"),
    ),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, the same rows as CSV (header: csa_id, csa_name, [neighborhood_id, neighborhood_name,] cribs, infants, families)",
            content((DistributionReportDoc = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/distribution-by-neighborhood?<from>&<to>&<site_id>&<group>")]
pub async fn distribution(
    _user: ApiManager,
    db: &State<DatabaseConnection>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    group: Option<String>,
) -> ApiResult<ReportAnswer> {
    let (filter, grouping) = parse_params(db.inner(), &RawReportParams { from, to, site_id, group }).await?;
    let report = reports::distribution(db.inner(), &filter, grouping).await?;
    if csv.0 {
        let name = match grouping {
            Grouping::Csa => "distribution-by-csa",
            Grouping::Neighborhood => "distribution-by-neighborhood",
        };
        return Ok(ReportAnswer::Csv(CsvFile {
            filename: csv_name(name, &filter),
            body: distribution_csv(&report, grouping)?,
        }));
    }
    Ok(ReportAnswer::Json(Answer::ok(&report)?))
}

/// The equity report: cribs, infants and families by the family's self-reported
/// race/ethnicity ("prefer_not_to_say" and not recorded (null) are rows of their own), and
/// cribs by race/ethnicity × CSA. Every count from 1 to 4 is given as the string "<5"
/// (totals too; they are computed from the exact numbers first). `Accept: text/csv` gives
/// one table: `table=race` (default) or `table=race_by_csa`.
#[utoipa::path(get, path = "/api/v1/reports/equity", tag = "reports",
    params(
        ("from" = Option<String>, Query, description = "first day, YYYY-MM-DD (default: 1 January this year, New York)"),
        ("to" = Option<String>, Query, description = "last day, YYYY-MM-DD, inclusive (default: 31 December this year)"),
        ("site_id" = Option<i64>, Query, description = "only handouts at this site"),
        ("table" = Option<String>, Query, description = "for CSV: race (default) or race_by_csa"),
    ),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((EquityReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/equity?<from>&<to>&<site_id>&<table>")]
pub async fn equity(
    _user: ApiManager,
    db: &State<DatabaseConnection>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    let raw = RawReportParams { from, to, site_id, group: None };
    let (filter, table) = parse_params_with_table(db.inner(), &raw, EquityTable::parse(table.as_deref())).await?;
    let report = reports::equity(db.inner(), &filter).await?;
    if csv.0 {
        let name = match table {
            EquityTable::Race => "equity-by-race-ethnicity",
            EquityTable::RaceByCsa => "equity-by-race-ethnicity-and-csa",
        };
        return Ok(ReportAnswer::Csv(CsvFile { filename: csv_name(name, &filter), body: equity_csv(&report, table)? }));
    }
    Ok(ReportAnswer::Json(Answer::ok(&report)?))
}
