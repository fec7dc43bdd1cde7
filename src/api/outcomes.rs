//! The outcome reports over the API (managers): education, eligibility, referrals,
//! follow-ups and stock, each as JSON, or with `Accept: text/csv` one of its tables
//! (`table=`, the first by default) as CSV — the very tables the `/reports/outcomes` page
//! shows. Parameters are the distribution report's (`from`, `to`, `site_id`) plus `table`.

use crate::api::answer::Answer;
use crate::api::openapi::ErrorBody;
use crate::api::reports::{ReportAnswer, WantsCsv};
use crate::auth::guards::ApiManager;
use crate::db::Db;
use crate::domain::outcomes::pick;
use crate::error::{ApiResult, AppError};
use crate::headers::CsvFile;
use crate::store::outcomes::{self, Outcome};
use crate::store::report_params::{csv_name, outcome_params, RawReportParams};
use rocket::{get, State};

/// The query of every outcome report.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents the query; Rocket parses the fields one by one")]
pub struct OutcomeQuery {
    /// First day, YYYY-MM-DD (default: 1 January this year, New York).
    from: Option<String>,
    /// Last day, YYYY-MM-DD, inclusive (default: 31 December this year); at most 20 years after `from`.
    to: Option<String>,
    /// Only this site.
    site_id: Option<i64>,
    /// For CSV: which table (each report lists its own; the first is the default).
    table: Option<String>,
}

/// One outcome report as JSON, or one of its tables as CSV.
async fn respond(
    db: &Db,
    csv: WantsCsv,
    which: Outcome,
    raw: RawReportParams,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    let (filter, table) = outcome_params(db, which, &raw, table.as_deref()).await?;
    if which == Outcome::Referrals {
        crate::store::referrals::settle(db).await?;
    }
    let (json, tables) = outcomes::run(db, which, &filter, crate::clock::today()).await?;
    if csv.0 {
        let t = pick(&tables, table.as_deref()).map_err(|m| AppError::validation("table", m))?;
        let body = t.to_csv().map_err(AppError::Internal)?;
        return Ok(ReportAnswer::Csv(CsvFile {
            filename: csv_name(&format!("{}-{}", which.slug(), t.key), &filter),
            body,
        }));
    }
    Ok(ReportAnswer::Json(Answer::ok(&json)?))
}

fn raw(from: Option<String>, to: Option<String>, site_id: Option<String>) -> RawReportParams {
    RawReportParams { from, to, site_id, group: None }
}

/// Education: of the live handouts in the period, the share by the education's mode
/// (site, home visit, hospital discharge, video) and language, and the share whose
/// education covered all four ABCD topics. Tables: `by_mode`, `by_language`, `abcd`.
#[utoipa::path(get, path = "/api/v1/reports/education", tag = "reports", params(OutcomeQuery),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((outcomes::education::EducationReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/education?<from>&<to>&<site_id>&<table>")]
pub async fn education(
    _user: ApiManager,
    db: &State<Db>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    respond(db.inner(), csv, Outcome::Education, raw(from, to, site_id), table).await
}

/// Eligibility: the checks run in the period (at the site) by result, how many failed
/// each rule, and the handouts given on a manager's override. Tables: `by_result`,
/// `failures_by_rule`.
#[utoipa::path(get, path = "/api/v1/reports/eligibility", tag = "reports", params(OutcomeQuery),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((outcomes::eligibility::EligibilityReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/eligibility?<from>&<to>&<site_id>&<table>")]
pub async fn eligibility(
    _user: ApiManager,
    db: &State<Db>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    respond(db.inner(), csv, Outcome::Eligibility, raw(from, to, site_id), table).await
}

/// Hospital requests discharged in the period (from the site's hospital or held at the
/// site): submitted → reserved → fulfilled, every status, expired holds, and the median
/// days from discharge to the crib. Tables: `funnel`, `by_status`, `timing`.
#[utoipa::path(get, path = "/api/v1/reports/referrals", tag = "reports", params(OutcomeQuery),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((outcomes::referrals::ReferralReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/referrals?<from>&<to>&<site_id>&<table>")]
pub async fn referrals(
    _user: ApiManager,
    db: &State<Db>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    respond(db.inner(), csv, Outcome::Referrals, raw(from, to, site_id), table).await
}

/// Follow-ups for the period's live handouts: by status (and overdue today), and what the
/// families reached said: crib in use, baby on its back, alone, in the crib. Tables:
/// `by_status`, `answers`.
#[utoipa::path(get, path = "/api/v1/reports/follow-ups", tag = "reports", params(OutcomeQuery),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((outcomes::follow_ups::FollowUpReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/follow-ups?<from>&<to>&<site_id>&<table>")]
pub async fn follow_ups(
    _user: ApiManager,
    db: &State<Db>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    respond(db.inner(), csv, Outcome::FollowUps, raw(from, to, site_id), table).await
}

/// Stock per site per New York month: received, transferred in and out, handed out,
/// adjusted, on hand at the month's end; and each site now (on hand, held, in transit).
/// Tables: `by_site_month`, `now`.
#[utoipa::path(get, path = "/api/v1/reports/stock", tag = "reports", params(OutcomeQuery),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((outcomes::stock::StockReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/stock?<from>&<to>&<site_id>&<table>")]
pub async fn stock(
    _user: ApiManager,
    db: &State<Db>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    respond(db.inner(), csv, Outcome::Stock, raw(from, to, site_id), table).await
}

/// The query of the safe-sleep report.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code, reason = "documents the query; Rocket parses the fields one by one")]
pub struct SafeSleepParams {
    /// First due date, YYYY-MM-DD (default: 1 January this year, New York).
    from: Option<String>,
    /// Last due date, YYYY-MM-DD, inclusive (default: 31 December this year); rounds not yet due are not counted.
    to: Option<String>,
    /// 1 or 3 (months after the crib); both when left out.
    round: Option<String>,
    /// `csa` or `race_ethnicity`: a row per group beside the program's.
    group: Option<String>,
    /// Only the rounds of this site's hand-outs.
    site_id: Option<i64>,
    /// For CSV: `measures` (numerator and denominator per measure and round, the default) or `by_group`.
    table: Option<String>,
}

/// Did the babies sleep safely? Per follow-up round due in the period: rounds due, answered
/// and the response rate, and for each measure (`back_sleep`, `crib_in_use`,
/// `no_bed_sharing`, `no_soft_objects`, `smoke_free`) the respondents who met it, of those
/// who answered its question, with the share — overall and by group. Counts from 1 to 4 are
/// "<5", with complementary cells hidden too. Back sleep carries Healthy People 2030's
/// target (88.9 %).
#[utoipa::path(get, path = "/api/v1/reports/safe-sleep", tag = "reports", params(SafeSleepParams),
    responses(
        (status = 200, description = "the report; with `Accept: text/csv`, one table as CSV",
            content((outcomes::safe_sleep::SafeSleepReport = "application/json"), (String = "text/csv"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/v1/reports/safe-sleep?<from>&<to>&<round>&<group>&<site_id>&<table>")]
#[expect(clippy::too_many_arguments, reason = "the report's query, one parameter each")]
pub async fn safe_sleep(
    _user: ApiManager,
    db: &State<Db>,
    csv: WantsCsv,
    from: Option<String>,
    to: Option<String>,
    round: Option<String>,
    group: Option<String>,
    site_id: Option<String>,
    table: Option<String>,
) -> ApiResult<ReportAnswer> {
    use crate::store::outcomes::{safe_sleep, Tables};
    let raw = RawReportParams { from, to, site_id, group };
    let (q, table) = safe_sleep::params(db.inner(), &raw, round.as_deref(), table.as_deref()).await?;
    let report = {
        let _turn =
            crate::store::reports::report_turn(sea_orm::ConnectionTrait::get_database_backend(db.inner())).await;
        safe_sleep::report(db.inner(), &q, crate::clock::today()).await?
    };
    if csv.0 {
        let tables = report.tables();
        let t = pick(&tables, table.as_deref()).map_err(|m| AppError::validation("table", m))?;
        let body = t.to_csv().map_err(AppError::Internal)?;
        let filter = crate::store::reports::ReportFilter { period: q.period, site_id: q.site_id };
        return Ok(ReportAnswer::Csv(CsvFile { filename: csv_name(&format!("safe-sleep-{}", t.key), &filter), body }));
    }
    Ok(ReportAnswer::Json(Answer::ok(&report)?))
}
