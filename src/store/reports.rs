//! Report queries. Each grouping is ONE statement over `handouts` (a `GROUP BY` for the rows
//! and, in the same statement, a `UNION ALL` branch for the overall distinct counts, so rows
//! and totals come from one snapshot), in plain SQL with the backend's own placeholders (the
//! distribution statement is spelled per backend for speed; see `distribution_sql`). Rows with nothing to count are merged in here, in Rust,
//! from the reference tables, so every CSA (or neighborhood, or race/ethnicity answer) has a row.
//!
//! What is counted: handouts not voided, whose New York date `handed_out_on` is within the
//! period (both ends inclusive), optionally at one site; grouped by the CSA and neighborhood
//! stored on the handout (where the family lived then, not now). A handout to a family
//! outside the city (no CSA) is counted in an "Outside Baltimore City" row (`csa_id` null),
//! shown only when it is not zero, and always in the totals.
//!
//! The covering index `ix_handouts_report (handed_out_on, csa_id, neighborhood_id,
//! family_id, infant_id, voided_at)` answers the unfiltered report from the index alone.

use crate::domain::family::RACE_ETHNICITY;
use crate::domain::reports::{Cell, Grouping, Period, NOT_RECORDED, OUTSIDE_CITY};
use crate::entity::{csa, site};
use crate::store::reference;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, QueryOrder, Statement, Value};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::collections::HashMap;

/// What a report counts: a period and, optionally, one site.
#[derive(Debug, Clone, Copy)]
pub struct ReportFilter {
    pub period: Period,
    pub site_id: Option<i64>,
}

/// Whether a site with this id exists (active or not: old handouts may name a closed site).
pub async fn site_exists(db: &impl ConnectionTrait, id: i64) -> Result<bool, DbErr> {
    Ok(site::Entity::find_by_id(id).one(db).await?.is_some())
}

impl Sql {
    /// The shared WHERE clause: live handouts in the period, optionally at one site.
    pub(crate) fn filter(&mut self, f: &ReportFilter, alias: &str) -> &mut Self {
        self.push(&format!(" WHERE {alias}handed_out_on >= "))
            .bind(f.period.from)
            .push(&format!(" AND {alias}handed_out_on <= "))
            .bind(f.period.to)
            .push(&format!(" AND {alias}voided_at IS NULL"));
        if let Some(site) = f.site_id {
            self.push(&format!(" AND {alias}site_id = ")).bind(site);
        }
        self
    }
}

/// One grouped row as the database returns it: `is_total` 1 marks the overall row.
#[derive(Debug, FromQueryResult)]
struct CountRow {
    is_total: i32,
    key_id: Option<i64>,
    cribs: i64,
    infants: i64,
    families: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
/// Cribs (handouts), infants and families counted separately.
pub struct Counts {
    pub cribs: i64,
    pub infants: i64,
    pub families: i64,
}

/// The SQL of the distribution report: one row per stored CSA (or neighborhood) id, plus
/// the overall row. Public so the benchmark can run exactly this text in `sqlite3`/`psql`.
///
/// NOTE: two spellings of one query, chosen by measurement (1M handouts, a year = 387k rows):
/// PostgreSQL aggregates the plain `GROUP BY` with its `COUNT(DISTINCT …)`s best (190–300 ms;
/// the form below takes ≈560 ms there), while SQLite sorts once by (key, family) in a
/// materialized CTE and sums it up ≈35% faster than with four distinct-count B-trees.
/// Both give the same numbers (the tests run on both backends).
pub fn distribution_sql(backend: DbBackend, f: &ReportFilter, grouping: Grouping) -> (String, Vec<Value>) {
    let key = match grouping {
        Grouping::Csa => "csa_id",
        Grouping::Neighborhood => "neighborhood_id",
    };
    let mut sql = Sql::new(backend);
    if backend == DbBackend::Sqlite {
        sql.push(&format!(
            "WITH g AS MATERIALIZED (SELECT {key} AS key_id, family_id, COUNT(*) AS n, \
             COUNT(DISTINCT infant_id) AS i FROM handouts"
        ))
        .filter(f, "")
        .push(&format!(
            " GROUP BY {key}, family_id) \
             SELECT 0 AS is_total, CAST(key_id AS BIGINT) AS key_id, CAST(SUM(n) AS BIGINT) AS cribs, \
             CAST(SUM(i) AS BIGINT) AS infants, COUNT(*) AS families FROM g GROUP BY key_id \
             UNION ALL SELECT 1, NULL, CAST(COALESCE(SUM(n), 0) AS BIGINT), \
             CAST(COALESCE(SUM(i), 0) AS BIGINT), COUNT(DISTINCT family_id) FROM g"
        ));
        return sql.into_parts();
    }
    sql.push(&format!(
        "SELECT 0 AS is_total, CAST({key} AS BIGINT) AS key_id, COUNT(*) AS cribs, \
         COUNT(DISTINCT infant_id) AS infants, COUNT(DISTINCT family_id) AS families FROM handouts"
    ))
    .filter(f, "")
    .push(&format!(" GROUP BY {key} UNION ALL SELECT 1, NULL, COUNT(*), COUNT(DISTINCT infant_id), COUNT(DISTINCT family_id) FROM handouts"))
    .filter(f, "");
    sql.into_parts()
}

async fn grouped_counts(
    db: &impl ConnectionTrait,
    f: &ReportFilter,
    grouping: Grouping,
) -> Result<(HashMap<Option<i64>, Counts>, Counts), DbErr> {
    let (text, values) = distribution_sql(db.get_database_backend(), f, grouping);
    let stmt = Statement::from_sql_and_values(db.get_database_backend(), text, values);
    let mut groups = HashMap::new();
    let mut total = Counts::default();
    for r in CountRow::find_by_statement(stmt).all(db).await? {
        let c = Counts { cribs: r.cribs, infants: r.infants, families: r.families };
        if r.is_total == 1 {
            total = c;
        } else {
            groups.insert(r.key_id, c);
        }
    }
    Ok((groups, total))
}

/// One row of the distribution report.
#[derive(Debug, Clone, PartialEq)]
pub struct DistributionRow {
    /// Null for the "Outside Baltimore City" row.
    pub csa_id: Option<i32>,
    pub csa_name: String,
    /// Present when grouped by neighborhood: (id — null outside the city —, name).
    pub neighborhood: Option<(Option<i64>, String)>,
    pub counts: Counts,
}

impl Serialize for DistributionRow {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("csa_id", &self.csa_id)?;
        m.serialize_entry("csa_name", &self.csa_name)?;
        if let Some((id, name)) = &self.neighborhood {
            m.serialize_entry("neighborhood_id", id)?;
            m.serialize_entry("neighborhood_name", name)?;
        }
        m.serialize_entry("cribs", &self.counts.cribs)?;
        m.serialize_entry("infants", &self.counts.infants)?;
        m.serialize_entry("families", &self.counts.families)?;
        m.end()
    }
}

/// The distribution report: API.md's `{from, to, rows, totals}`.
#[derive(Debug, Clone, Serialize)]
pub struct DistributionReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<DistributionRow>,
    pub totals: Counts,
    /// The grouping the rows follow (not serialised: the caller asked for it).
    #[serde(skip)]
    pub grouping: Grouping,
}

/// How many report statements that read a period's handouts (the distribution, equity
/// and outcome reports, cribs per day) run at once on SQLite. Each holds several MiB of
/// SQLite's sorters and temporary tables, in the server's own memory, while it runs; at a
/// million handouts four at once took the server to 72 MiB, one at a time to 64
/// (decision 0012). The rest wait their turn. PostgreSQL sorts in its own processes, so
/// there reports run side by side.
pub const SQLITE_REPORTS_AT_ONCE: usize = 1;

static REPORT_TURNS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(SQLITE_REPORTS_AT_ONCE);

/// Wait for a turn to run a report statement on SQLite; the turn ends when the permit is
/// dropped. `None` on PostgreSQL (no turns; and the semaphore is never closed).
pub async fn report_turn(backend: DbBackend) -> Option<tokio::sync::SemaphorePermit<'static>> {
    match backend {
        DbBackend::Sqlite => REPORT_TURNS.acquire().await.ok(),
        _ => None,
    }
}

/// The distribution of cribs, infants and families by CSA or neighborhood.
/// `totals.cribs` and `totals.infants` are the sums of the rows (an infant has at most one
/// live handout, so it is in one row); `totals.families` counts each family once.
pub async fn distribution(
    db: &impl ConnectionTrait,
    f: &ReportFilter,
    grouping: Grouping,
) -> Result<DistributionReport, DbErr> {
    // NOTE: the reference rows are read alongside the counts (on a pool, two connections
    // at once; in a transaction, one after the other), so their round trip is not added.
    let _turn = report_turn(db.get_database_backend()).await;
    let ((mut groups, total), csas) =
        tokio::try_join!(grouped_counts(db, f, grouping), csa::Entity::find().order_by_asc(csa::Column::Id).all(db))?;
    let mut rows: Vec<DistributionRow> = match grouping {
        Grouping::Csa => csas
            .into_iter()
            .map(|c| DistributionRow {
                counts: groups.remove(&Some(i64::from(c.id))).unwrap_or_default(),
                csa_id: Some(c.id),
                csa_name: c.name,
                neighborhood: None,
            })
            .collect(),
        Grouping::Neighborhood => {
            let order: HashMap<i32, usize> = csas.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
            let mut hoods = reference::neighborhoods(db, None, None).await?;
            hoods.sort_by(|a, b| (order.get(&a.csa_id), &a.name).cmp(&(order.get(&b.csa_id), &b.name)));
            hoods
                .into_iter()
                .map(|n| DistributionRow {
                    counts: groups.remove(&Some(n.id)).unwrap_or_default(),
                    csa_id: Some(n.csa_id),
                    csa_name: n.csa_name,
                    neighborhood: Some((Some(n.id), n.name)),
                })
                .collect()
        }
    };
    // NOTE: whatever is left has no CSA (outside the city) or names an id the reference
    // tables no longer hold; both are counted in the one row without a CSA so that the
    // rows still add up to the totals.
    let rest = groups.into_values().fold(Counts::default(), |a, c| Counts {
        cribs: a.cribs + c.cribs,
        infants: a.infants + c.infants,
        families: a.families + c.families,
    });
    if rest.cribs > 0 {
        rows.push(DistributionRow {
            csa_id: None,
            csa_name: OUTSIDE_CITY.to_string(),
            neighborhood: (grouping == Grouping::Neighborhood).then(|| (None, OUTSIDE_CITY.to_string())),
            counts: rest,
        });
    }
    let totals = Counts {
        cribs: rows.iter().map(|r| r.counts.cribs).sum(),
        infants: rows.iter().map(|r| r.counts.infants).sum(),
        families: total.families,
    };
    if totals.cribs != total.cribs || totals.infants != total.infants {
        // Cannot happen with one live handout per infant; say so loudly if it ever does.
        tracing::error!("distribution report: rows add up to {totals:?} but the overall count is {total:?}");
    }
    Ok(DistributionReport { from: f.period.from, to: f.period.to, rows, totals, grouping })
}

#[derive(Debug, FromQueryResult)]
struct DayRow {
    day: NaiveDate,
    cribs: i64,
}

/// Cribs handed out per day (days with none are left out), oldest first.
pub async fn cribs_per_day(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<Vec<(NaiveDate, i64)>, DbErr> {
    let _turn = report_turn(db.get_database_backend()).await;
    let mut sql = Sql::new(db.get_database_backend());
    sql.push("SELECT handed_out_on AS day, COUNT(*) AS cribs FROM handouts")
        .filter(f, "")
        .push(" GROUP BY handed_out_on ORDER BY handed_out_on");
    Ok(DayRow::find_by_statement(sql.statement()).all(db).await?.into_iter().map(|r| (r.day, r.cribs)).collect())
}

/// Counts in a table that protects small numbers (see `domain::reports::Cell`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SuppressedCounts {
    /// A count, or "<5" for 1 to 4.
    #[schema(value_type = Value, example = "<5")]
    pub cribs: Cell,
    /// A count, or "<5" for 1 to 4.
    #[schema(value_type = Value)]
    pub infants: Cell,
    /// A count, or "<5" for 1 to 4.
    #[schema(value_type = Value)]
    pub families: Cell,
}

impl From<Counts> for SuppressedCounts {
    fn from(c: Counts) -> Self {
        SuppressedCounts { cribs: Cell::of(c.cribs), infants: Cell::of(c.infants), families: Cell::of(c.families) }
    }
}

/// One race/ethnicity answer's row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EquityRow {
    /// The stored answer; null when not recorded.
    pub race_ethnicity: Option<String>,
    pub label: String,
    #[serde(flatten)]
    pub counts: SuppressedCounts,
}

/// One cell of the race/ethnicity × CSA table (cribs).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EquityCell {
    pub race_ethnicity: Option<String>,
    pub label: String,
    /// Null for families outside the city.
    pub csa_id: Option<i32>,
    pub csa_name: String,
    /// A count, or "<5" for 1 to 4.
    #[schema(value_type = Value)]
    pub cribs: Cell,
}

/// The equity report: the distribution by self-reported race/ethnicity, and by
/// race/ethnicity × CSA; every count from 1 to 4 is shown as "<5" (totals too, which are
/// computed from the exact numbers before suppression).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EquityReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub rows: Vec<EquityRow>,
    pub totals: SuppressedCounts,
    /// Cribs by race/ethnicity and CSA: every answer × every CSA (and "outside the city"
    /// when any), answers in `rows` order, CSAs by id.
    pub by_csa: Vec<EquityCell>,
}

/// One row of the equity statement: `kind` 0 is a race/ethnicity's counts, 1 a
/// (race/ethnicity, CSA) cell's cribs, 2 the overall counts.
#[derive(Debug, FromQueryResult)]
struct EquityCountRow {
    kind: i32,
    race: Option<String>,
    csa_id: Option<i64>,
    cribs: i64,
    infants: i64,
    families: i64,
}

#[derive(Debug)]
struct RaceCsaRow {
    race: Option<String>,
    csa_id: Option<i64>,
    cribs: i64,
}

/// The equity report's one statement. NOTE: it groups the period's handouts by (family,
/// CSA) first, from the covering index, and only then joins each group to its family for
/// the race/ethnicity: the families are looked up in id order, once per family and CSA,
/// instead of once per handout in date order. Measured on SQLite at 1M handouts (a year =
/// 370k): 0.88 s against 2.5 s for the join-first pair of statements it replaces. All
/// three tables come from the one snapshot. An infant has one live handout, so the sums
/// of per-group distinct infants are distinct infants.
fn equity_statement(backend: DbBackend, f: &ReportFilter) -> Statement {
    let mut sql = Sql::new(backend);
    sql.push(
        "WITH g AS MATERIALIZED (SELECT family_id, csa_id, COUNT(*) AS n, COUNT(DISTINCT infant_id) AS i \
         FROM handouts",
    )
    .filter(f, "")
    .push(
        " GROUP BY family_id, csa_id), \
         r AS MATERIALIZED (SELECT fa.race_ethnicity AS race, g.csa_id AS csa_id, g.family_id AS family_id, \
         g.n AS n, g.i AS i FROM g JOIN families fa ON fa.id = g.family_id) \
         SELECT 0 AS kind, race, CAST(NULL AS BIGINT) AS csa_id, CAST(SUM(n) AS BIGINT) AS cribs, \
         CAST(SUM(i) AS BIGINT) AS infants, COUNT(DISTINCT family_id) AS families FROM r GROUP BY race \
         UNION ALL SELECT 1, race, CAST(csa_id AS BIGINT), CAST(SUM(n) AS BIGINT), CAST(0 AS BIGINT), \
         CAST(0 AS BIGINT) FROM r GROUP BY race, csa_id \
         UNION ALL SELECT 2, NULL, NULL, CAST(COALESCE(SUM(n), 0) AS BIGINT), CAST(COALESCE(SUM(i), 0) AS BIGINT), \
         COUNT(DISTINCT family_id) FROM r",
    );
    sql.statement()
}

/// The answers in the order the tables show them: the listed choices (ending with
/// "prefer not to say"), any other stored value, then "not recorded".
fn race_order(seen: impl Iterator<Item = Option<String>>) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> =
        RACE_ETHNICITY.iter().map(|(code, label)| (Some(code.to_string()), label.to_string())).collect();
    let mut extra: Vec<String> = seen.flatten().filter(|s| !RACE_ETHNICITY.iter().any(|(c, _)| c == s)).collect();
    extra.sort();
    extra.dedup();
    out.extend(extra.into_iter().map(|s| (Some(s.clone()), s)));
    out.push((None, NOT_RECORDED.to_string()));
    out
}

/// The equity report for a period (and optionally a site). The race/ethnicity is the
/// family's answer as recorded now.
pub async fn equity(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<EquityReport, DbErr> {
    let mut by_race: HashMap<Option<String>, Counts> = HashMap::new();
    let mut total = Counts::default();
    let mut cross_rows: Vec<RaceCsaRow> = Vec::new();
    let _turn = report_turn(db.get_database_backend()).await;
    for r in EquityCountRow::find_by_statement(equity_statement(db.get_database_backend(), f)).all(db).await? {
        let c = Counts { cribs: r.cribs, infants: r.infants, families: r.families };
        match r.kind {
            0 => {
                by_race.insert(r.race, c);
            }
            1 => cross_rows.push(RaceCsaRow { race: r.race, csa_id: r.csa_id, cribs: r.cribs }),
            _ => total = c,
        }
    }

    let answers = race_order(by_race.keys().cloned().chain(cross_rows.iter().map(|r| r.race.clone())));
    let rows = answers
        .iter()
        .map(|(code, label)| EquityRow {
            race_ethnicity: code.clone(),
            label: label.clone(),
            counts: by_race.get(code).copied().unwrap_or_default().into(),
        })
        .collect();

    let csas: Vec<(Option<i32>, String)> = csa::Entity::find()
        .order_by_asc(csa::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|c| (Some(c.id), c.name))
        .collect();
    let known: std::collections::HashSet<i64> = csas.iter().filter_map(|(id, _)| id.map(i64::from)).collect();
    let mut cross: HashMap<(Option<String>, Option<i32>), i64> = HashMap::new();
    for r in cross_rows {
        // NOTE: a CSA id the reference table does not know is counted with "outside the city",
        // as in the distribution report.
        let csa = r.csa_id.filter(|id| known.contains(id)).and_then(|id| i32::try_from(id).ok());
        *cross.entry((r.race, csa)).or_default() += r.cribs;
    }
    let mut columns = csas;
    if cross.iter().any(|((_, csa), n)| csa.is_none() && *n > 0) {
        columns.push((None, OUTSIDE_CITY.to_string()));
    }
    let mut by_csa = Vec::with_capacity(answers.len() * columns.len());
    for (code, label) in &answers {
        for (csa_id, csa_name) in &columns {
            by_csa.push(EquityCell {
                race_ethnicity: code.clone(),
                label: label.clone(),
                csa_id: *csa_id,
                csa_name: csa_name.clone(),
                cribs: Cell::of(cross.get(&(code.clone(), *csa_id)).copied().unwrap_or(0)),
            });
        }
    }
    Ok(EquityReport { from: f.period.from, to: f.period.to, rows, totals: total.into(), by_csa })
}

/// The distribution statement with its values written in as literals, for running the very
/// same query in `sqlite3` or `psql` (the benchmark). Only dates and integers occur.
pub fn inline_sql(backend: DbBackend, text: &str, values: &[Value]) -> Result<String, String> {
    let literal = |v: &Value| match v {
        Value::ChronoDate(Some(d)) => Ok(format!("'{d}'")),
        Value::BigInt(Some(i)) => Ok(i.to_string()),
        Value::Int(Some(i)) => Ok(i.to_string()),
        other => Err(format!("cannot write {other:?} as a literal")),
    };
    match backend {
        DbBackend::Postgres => {
            let mut out = text.to_string();
            // Highest number first, so that $1 does not eat the start of $10.
            for (i, v) in values.iter().enumerate().rev() {
                out = out.replace(&format!("${}", i + 1), &literal(v)?);
            }
            Ok(out)
        }
        _ => {
            let mut out = String::with_capacity(text.len() + 64);
            let mut values = values.iter();
            for c in text.chars() {
                if c == '?' {
                    out.push_str(&literal(values.next().ok_or("more placeholders than values")?)?);
                } else {
                    out.push(c);
                }
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(site: Option<i64>) -> ReportFilter {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        ReportFilter { period: Period { from: d("2025-01-01"), to: d("2025-12-31") }, site_id: site }
    }

    #[test]
    fn one_statement_with_backend_placeholders() {
        let (sqlite, values) = distribution_sql(DbBackend::Sqlite, &filter(Some(3)), Grouping::Csa);
        assert_eq!(values.len(), 3, "period and site, once");
        assert_eq!(sqlite.matches('?').count(), 3);
        assert!(sqlite.contains("GROUP BY csa_id, family_id)"));
        let (pg, values) = distribution_sql(DbBackend::Postgres, &filter(Some(3)), Grouping::Neighborhood);
        assert_eq!(values.len(), 6, "period and site, in both branches");
        assert!(pg.contains("$6") && !pg.contains('?') && pg.contains("GROUP BY neighborhood_id UNION ALL"));
    }

    #[test]
    fn inlined_sql_has_the_values_in_place() {
        let (text, values) = distribution_sql(DbBackend::Postgres, &filter(Some(12)), Grouping::Csa);
        let sql = inline_sql(DbBackend::Postgres, &text, &values).expect("inline");
        assert!(sql.contains("handed_out_on >= '2025-01-01' AND handed_out_on <= '2025-12-31'"));
        assert!(sql.contains("site_id = 12") && !sql.contains('$'));
        let (text, values) = distribution_sql(DbBackend::Sqlite, &filter(None), Grouping::Csa);
        let sql = inline_sql(DbBackend::Sqlite, &text, &values).expect("inline");
        assert!(!sql.contains('?') && sql.matches("'2025-12-31'").count() == 1);
    }
}
