//! Cribs held for hospital requests, as the people who will hand them out see them: the
//! family page and check-in say "A crib is held here for this family until … (request from
//! …)" at the site where triage reserved it. Reads only, one statement each; a hold whose
//! last day has passed is left out (it expires at the next `referrals::settle`).

use crate::domain::actor::Actor;
use crate::domain::referral::held_sentence;
use crate::domain::states::ReferralStatus;
use crate::store::sql::Sql;
use chrono::NaiveDate;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;

/// A crib held at a site for a family's hospital request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, FromQueryResult)]
pub struct HeldCrib {
    pub referral_id: i64,
    pub family_id: i64,
    pub site_id: i64,
    pub site_name: String,
    pub hospital_name: String,
    pub crib_model_id: Option<i64>,
    pub crib_model_name: Option<String>,
    /// The last day the crib is held.
    pub held_until: NaiveDate,
    /// The nurse asked for the crib to be brought home.
    pub home_delivery: bool,
    /// The nurse's note for the program.
    pub note: Option<String>,
}

impl HeldCrib {
    /// The sentence for this reader: "held here" at a site they work at, else the site named.
    pub fn sentence_for(&self, who: &Actor) -> String {
        let here = !who.is_manager() && who.site_ids.contains(&self.site_id);
        held_sentence(here, &self.site_name, self.held_until, &self.hospital_name)
    }
}

/// The statement's common part: holds still running on `today`, with the names people read.
fn holds(db: &impl ConnectionTrait, today: NaiveDate) -> Sql {
    let mut sql = Sql::new(db.get_database_backend());
    sql.push(
        "SELECT r.id AS referral_id, r.family_id AS family_id, r.reserved_site_id AS site_id, \
         s.name AS site_name, h.name AS hospital_name, r.reserved_crib_model_id AS crib_model_id, m.name AS crib_model_name, r.reserved_until AS held_until, \
         r.home_delivery AS home_delivery, r.note AS note \
         FROM referrals r JOIN sites s ON s.id = r.reserved_site_id JOIN sites h ON h.id = r.hospital_site_id \
         LEFT JOIN crib_models m ON m.id = r.reserved_crib_model_id WHERE r.status = ",
    )
    .bind(ReferralStatus::Reserved.as_str())
    .push(" AND r.reserved_until >= ")
    .bind(today);
    sql
}

/// The cribs held at these sites (every site when None), the soonest to lapse first.
pub async fn at_sites(
    db: &impl ConnectionTrait,
    sites: Option<&[i64]>,
    today: NaiveDate,
) -> Result<Vec<HeldCrib>, DbErr> {
    let mut sql = holds(db, today);
    if let Some(sites) = sites {
        if sites.is_empty() {
            return Ok(Vec::new());
        }
        sql.push(" AND r.reserved_site_id IN (");
        for (i, s) in sites.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*s);
        }
        sql.push(")");
    }
    sql.push(" ORDER BY r.reserved_until, r.id");
    HeldCrib::find_by_statement(sql.statement()).all(db).await
}

/// The cribs held anywhere for one family, the soonest to lapse first.
pub async fn for_family(db: &impl ConnectionTrait, family_id: i64, today: NaiveDate) -> Result<Vec<HeldCrib>, DbErr> {
    let mut sql = holds(db, today);
    sql.push(" AND r.family_id = ").bind(family_id).push(" ORDER BY r.reserved_until, r.id");
    HeldCrib::find_by_statement(sql.statement()).all(db).await
}
