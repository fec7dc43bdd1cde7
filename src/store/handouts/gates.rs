//! The read-only facts behind a handout's gates, in one statement (decision 0013): what
//! `plan` decides from, in API.md's order.

use super::HandoutCommand;
use crate::domain::policy::PolicyParams;
use crate::domain::states::{InfantMatchStatus, ReferralStatus};
use crate::error::AppError;
use crate::store::sql::Sql;
use sea_orm::{ConnectionTrait, FromQueryResult};

/// What the gates of a handout need to know, read in one statement (one scalar subquery
/// each): the parameters of the policy in force; whether the family, its infant, the site
/// and the model exist; the infant's latest check; the family's latest education; the
/// infant's live cribs; a possible same baby on another record; its open hospital request; where the family lives now; and the
/// lapsed holds on the site's stock of the model.
#[derive(Debug, FromQueryResult)]
pub(super) struct Gates {
    pub(super) policy_params: Option<String>,
    pub(super) family_found: bool,
    pub(super) infant_found: bool,
    pub(super) site_found: bool,
    pub(super) model_found: bool,
    pub(super) latest_check_id: Option<i64>,
    pub(super) latest_check_result: Option<String>,
    pub(super) latest_check_on: Option<chrono::NaiveDate>,
    pub(super) education_id: Option<i64>,
    pub(super) education_at: Option<chrono::DateTime<chrono::Utc>>,
    pub(super) live_cribs: i64,
    /// A baby on another record that may be this one (`store::infant_matches`), still open.
    pub(super) possible_same_baby: Option<i64>,
    pub(super) open_referral_id: Option<i64>,
    pub(super) neighborhood_id: Option<i64>,
    pub(super) csa_id: Option<i32>,
    /// Holds at this site for this model whose time ran out but are still counted as
    /// reserved (settled by the next write that needs the crib).
    pub(super) lapsed_holds_here: i64,
}

impl Gates {
    pub(super) async fn read(
        db: &impl ConnectionTrait,
        cmd: &HandoutCommand,
        today: chrono::NaiveDate,
    ) -> Result<Gates, AppError> {
        let mut sql = Sql::new(db.get_database_backend());
        // The version in force: the latest not withdrawn effective on or before today (ties:
        // the higher version).
        sql.push("SELECT (SELECT params_json FROM policies WHERE effective_from <= ")
            .bind(today)
            .push(" AND withdrawn_at IS NULL ORDER BY effective_from DESC, version DESC LIMIT 1) AS policy_params, ");
        let latest_check = |sql: &mut Sql, column: &str| {
            sql.push(&format!("(SELECT {column} FROM eligibility_checks WHERE infant_id = "))
                .bind(cmd.infant_id)
                .push(" ORDER BY created_at DESC, id DESC LIMIT 1)");
        };
        sql.push("EXISTS (SELECT 1 FROM families WHERE id = ")
            .bind(cmd.family_id)
            .push(" AND merged_into_id IS NULL) AS family_found, ");
        sql.push("EXISTS (SELECT 1 FROM infants WHERE id = ")
            .bind(cmd.infant_id)
            .push(" AND family_id = ")
            .bind(cmd.family_id)
            .push(") AS infant_found, ");
        sql.push("EXISTS (SELECT 1 FROM sites WHERE id = ").bind(cmd.site_id).push(") AS site_found, ");
        sql.push("EXISTS (SELECT 1 FROM crib_models WHERE id = ").bind(cmd.crib_model_id).push(") AS model_found, ");
        latest_check(&mut sql, "id");
        sql.push(" AS latest_check_id, ");
        latest_check(&mut sql, "result");
        sql.push(" AS latest_check_result, ");
        latest_check(&mut sql, "checked_on");
        sql.push(" AS latest_check_on, ");
        for (column, alias) in [("id", "education_id"), ("delivered_at", "education_at")] {
            sql.push(&format!("(SELECT {column} FROM education_sessions WHERE family_id = "))
                .bind(cmd.family_id)
                .push(&format!(" ORDER BY delivered_at DESC, id DESC LIMIT 1) AS {alias}, "));
        }
        sql.push("(SELECT COUNT(*) FROM handouts WHERE infant_id = ")
            .bind(cmd.infant_id)
            .push(" AND voided_at IS NULL) AS live_cribs, ");
        sql.push("(SELECT other_infant_id FROM infant_matches WHERE infant_id = ")
            .bind(cmd.infant_id)
            .push(" AND status = ")
            .bind(InfantMatchStatus::Open.as_str())
            .push(" LIMIT 1) AS possible_same_baby, ");
        sql.push("(SELECT id FROM referrals WHERE infant_id = ")
            .bind(cmd.infant_id)
            .push(" AND status IN (")
            .bind(ReferralStatus::OPEN[0].as_str())
            .push(", ")
            .bind(ReferralStatus::OPEN[1].as_str())
            .push(") ORDER BY id LIMIT 1) AS open_referral_id, ");
        sql.push("(SELECT neighborhood_id FROM families WHERE id = ")
            .bind(cmd.family_id)
            .push(") AS neighborhood_id, ");
        sql.push("(SELECT n.csa_id FROM families f JOIN neighborhoods n ON n.id = f.neighborhood_id WHERE f.id = ")
            .bind(cmd.family_id)
            .push(") AS csa_id, ");
        sql.push("(SELECT COUNT(*) FROM referrals WHERE status = 'reserved' AND reserved_site_id = ")
            .bind(cmd.site_id)
            .push(" AND reserved_crib_model_id = ")
            .bind(cmd.crib_model_id)
            .push(" AND reserved_until < ")
            .bind(today)
            .push(") AS lapsed_holds_here");
        Gates::find_by_statement(sql.statement())
            .one(db)
            .await?
            .ok_or_else(|| AppError::Internal("the handout's gates read no row".into()))
    }

    /// The parameters of the policy in force (as `policy::in_force` would give them).
    pub(super) fn policy_params(&self, today: chrono::NaiveDate) -> Result<PolicyParams, AppError> {
        let json = self
            .policy_params
            .as_deref()
            .ok_or_else(|| AppError::Conflict(format!("No eligibility policy is in force on {today}.")))?;
        serde_json::from_str(json)
            .map_err(|e| AppError::Internal(format!("the policy in force on {today} has bad parameters: {e}")))
    }
}
