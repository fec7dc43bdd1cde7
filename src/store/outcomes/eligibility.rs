//! The eligibility outcome: the checks stored in the period (by the New York date they were
//! run, at the site they were run at when one is chosen) by result, how many failed each
//! rule, and how many live handouts in the period were given on a manager's override.
//!
//! Failures by rule are counted in SQL from the stored rule list: each check stores its
//! rules as `[{"rule":"…","passed":…,"explanation":"…"},…]` (serde writes a struct's
//! fields in order, and an explanation's own quotes are escaped), so a failed rule is the
//! text `"rule":"<id>","passed":false`; a unit test holds the stored form to that.

use crate::domain::eligibility::RULE_IDS;
use crate::domain::outcomes::{num, percent, rule_label, text, Table};
use crate::store::outcomes::{share_rows, Share, Tables};
use crate::store::reports::ReportFilter;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, QueryResult};
use serde::Serialize;

/// The tables of this report, the default first.
pub const TABLES: [&str; 2] = ["by_result", "failures_by_rule"];

/// Checks by result, and failures by rule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EligibilityReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Checks stored in the period (a family checked twice counts twice).
    pub checks: i64,
    /// Distinct families checked.
    pub families: i64,
    /// `eligible` and `ineligible`, each with its share of the checks.
    pub by_result: Vec<Share>,
    /// Every rule with the checks that failed it and their share of the ineligible checks
    /// (one check can fail several rules, so these add up to more than the ineligible).
    pub failures_by_rule: Vec<Share>,
    /// Live handouts in the period given on a manager's written override.
    pub handouts_by_override: i64,
}

/// The LIKE pattern for "this rule failed" in a stored rule list (`_` escaped).
pub fn failed_pattern(rule: &str) -> String {
    format!("%\"rule\":\"{}\",\"passed\":false%", rule.replace('\\', "\\\\").replace('_', "\\_").replace('%', "\\%"))
}

/// The statement: one row per result with the distinct families and a failure count per
/// rule, plus an overall row (`result` null) for the distinct families in all.
fn statement(backend: sea_orm::DbBackend, f: &ReportFilter) -> Sql {
    let mut sql = Sql::new(backend);
    let range = |sql: &mut Sql| {
        sql.push(" WHERE checked_on >= ").bind(f.period.from).push(" AND checked_on <= ").bind(f.period.to);
        if let Some(site) = f.site_id {
            sql.push(" AND site_id = ").bind(site);
        }
    };
    sql.push("SELECT result, COUNT(*) AS checks, COUNT(DISTINCT family_id) AS families");
    for (i, rule) in RULE_IDS.iter().enumerate() {
        sql.push(" , CAST(COALESCE(SUM(CASE WHEN rules_json LIKE ")
            .bind(failed_pattern(rule))
            .push(&format!(" ESCAPE '\\' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed_{i}"));
    }
    sql.push(" FROM eligibility_checks");
    range(&mut sql);
    sql.push(" GROUP BY result UNION ALL SELECT NULL, COUNT(*), COUNT(DISTINCT family_id)");
    for i in 0..RULE_IDS.len() {
        sql.push(&format!(", CAST(0 AS BIGINT) AS failed_{i}"));
    }
    sql.push(" FROM eligibility_checks");
    range(&mut sql);
    sql
}

#[derive(Debug, FromQueryResult)]
struct Overrides {
    n: i64,
}

/// The eligibility report for a period (and optionally a site).
pub async fn report(db: &impl ConnectionTrait, f: &ReportFilter) -> Result<EligibilityReport, DbErr> {
    let backend = db.get_database_backend();
    let rows: Vec<QueryResult> = db.query_all_raw(statement(backend, f).statement()).await?;
    let (mut eligible, mut ineligible, mut checks, mut families) = (0, 0, 0, 0);
    let mut failed = vec![0_i64; RULE_IDS.len()];
    for row in rows {
        let result: Option<String> = row.try_get("", "result")?;
        let n: i64 = row.try_get("", "checks")?;
        match result.as_deref() {
            None => {
                checks = n;
                families = row.try_get("", "families")?;
                continue;
            }
            Some("eligible") => eligible += n,
            Some(_) => ineligible += n,
        }
        for (i, slot) in failed.iter_mut().enumerate() {
            *slot += row.try_get::<i64>("", &format!("failed_{i}"))?;
        }
    }
    let mut sql = Sql::new(backend);
    sql.push("SELECT COUNT(*) AS n FROM handouts").filter(f, "").push(" AND override_reason IS NOT NULL");
    let overrides = Overrides::find_by_statement(sql.statement()).one(db).await?.map(|o| o.n).unwrap_or(0);
    let result = |key: &str, label: &str, count: i64| Share {
        key: Some(key.into()),
        label: label.into(),
        count,
        percent: percent(count, checks),
    };
    Ok(EligibilityReport {
        from: f.period.from,
        to: f.period.to,
        checks,
        families,
        by_result: vec![result("eligible", "Eligible", eligible), result("ineligible", "Not eligible", ineligible)],
        failures_by_rule: RULE_IDS
            .iter()
            .zip(failed)
            .map(|(rule, count)| Share {
                key: Some(rule.to_string()),
                label: rule_label(rule).to_string(),
                count,
                percent: percent(count, ineligible),
            })
            .collect(),
        handouts_by_override: overrides,
    })
}

impl Tables for EligibilityReport {
    fn tables(&self) -> Vec<Table> {
        let mut by_result = share_rows(&self.by_result);
        by_result.push(vec!["all".into(), "All checks".into(), self.checks.to_string(), String::new()]);
        by_result.push(vec!["families".into(), "Families checked".into(), self.families.to_string(), String::new()]);
        by_result.push(vec![
            "override".into(),
            "Handouts given on a manager's override".into(),
            self.handouts_by_override.to_string(),
            String::new(),
        ]);
        vec![
            Table {
                key: "by_result",
                title: "Eligibility checks by result".into(),
                columns: vec![
                    text("result", "Result"),
                    text("label", "What"),
                    num("count", "Count"),
                    num("percent", "% of checks"),
                ],
                rows: by_result,
            },
            Table {
                key: "failures_by_rule",
                title: "Checks that failed each rule".into(),
                columns: vec![
                    text("rule", "Rule"),
                    text("label", "What it asks"),
                    num("failed_checks", "Checks that failed it"),
                    num("percent", "% of checks not eligible"),
                ],
                rows: share_rows(&self.failures_by_rule),
            },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::eligibility::RuleResult;

    #[test]
    fn the_pattern_matches_the_stored_form_of_a_failed_rule_only() {
        let rules = vec![
            RuleResult { rule: "age_window".into(), passed: false, explanation: "The baby is \"9\" months.".into() },
            RuleResult { rule: "residency".into(), passed: true, explanation: "Lives in the city.".into() },
        ];
        let stored = serde_json::to_string(&rules).expect("json");
        let like = |pattern: &str, text: &str| {
            // The LIKE semantics used: % any run, \_ a literal underscore.
            let needle = pattern.trim_matches('%').replace("\\_", "_");
            text.contains(&needle)
        };
        assert!(like(&failed_pattern("age_window"), &stored), "{stored}");
        assert!(!like(&failed_pattern("residency"), &stored));
        assert_eq!(failed_pattern("age_window"), "%\"rule\":\"age\\_window\",\"passed\":false%");
    }
}
