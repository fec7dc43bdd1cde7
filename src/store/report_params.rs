//! Report parameters and CSV documents, the same for both faces (the JSON API's
//! `Accept: text/csv` and the reports pages' download links): parse and check the query
//! (period, site, grouping or table) once, and lay out each report's rows as CSV.

use crate::domain::reports::{csv_document, Grouping, Period};
use crate::error::{AppError, Problems};
use crate::store::outcomes::Outcome;
use crate::store::reports::{self, DistributionReport, EquityReport, ReportFilter};
use sea_orm::ConnectionTrait;
use serde::Serialize;

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
/// Parse the period, site and table of an outcome report; every problem at once (422).
pub async fn outcome_params(
    db: &impl ConnectionTrait,
    which: Outcome,
    raw: &RawReportParams,
    table: Option<&str>,
) -> Result<(ReportFilter, Option<String>), AppError> {
    let keys = which.table_keys();
    let table = match table.map(str::trim).filter(|t| !t.is_empty()) {
        Some(t) if !keys.contains(&t) => Err(format!("Choose one of the tables {}.", keys.join(", "))),
        t => Ok(t.map(str::to_string)),
    };
    parse_params_with_table(db, raw, table).await
}
