//! Reports over the API (managers): the distribution of cribs by CSA or neighborhood, and
//! the equity report by race/ethnicity. JSON by default; `Accept: text/csv` gives the same
//! rows as CSV. Parameters are parsed once for both faces (`store::report_params`); the
//! queries live in `store::reports`.

use crate::api::answer::Answer;
use crate::api::openapi::ErrorBody;
use crate::auth::guards::ApiManager;
use crate::db::Db;
use crate::domain::reports::Grouping;
use crate::error::ApiResult;
use crate::headers::CsvFile;
use crate::store::report_params::{
    csv_name, distribution_csv, equity_csv, parse_params, parse_params_with_table, EquityTable, RawReportParams,
};
use crate::store::reports::{self, Counts, EquityReport};
use rocket::http::MediaType;
use rocket::request::{self, FromRequest, Request};
use rocket::response::{self, Responder};
use rocket::{get, State};
use serde::Serialize;

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
    db: &State<Db>,
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
    db: &State<Db>,
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
