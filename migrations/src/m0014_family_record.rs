//! The family record over time (issue 19).
//!
//! - Search keys fold accents, apostrophes and runs of spaces (`domain::checkin::search_key`,
//!   copied here as `fold`): existing names that fold differently are refilled.
//! - `infant_matches`: a baby on one record and a baby on another with the same birth (or
//!   due) date whose caregivers match: the hand-out stops until staff say they are
//!   different babies (`different`, with a reason) or a manager merges the records (the
//!   match goes with the removed baby); `open` until then.
//! - `family_versions`: every correction of a family or a baby, with who, when, why, and
//!   the fields before and after (JSON).

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0014_family_record"
    }
}

/// The search key of a name (kept equal to the app's `domain::checkin::search_key`).
pub(crate) fn fold(name: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let folded: String = name
        .nfkd()
        .filter(|c| !is_combining_mark(*c) && !matches!(c, '\'' | '\u{2019}' | '\u{02BC}' | '`'))
        .collect::<String>()
        .to_lowercase();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        // Only names that fold differently from lower(trim(name)) are read and rewritten.
        let differs = match backend {
            DbBackend::Postgres => {
                "first_name ~ '[^ -~]' OR last_name ~ '[^ -~]' OR first_name ~ '[''`]| {2}' OR last_name ~ '[''`]| {2}'"
            }
            _ => {
                "first_name GLOB '*[^ -~]*' OR last_name GLOB '*[^ -~]*' OR first_name GLOB '*[''`]*' \
                 OR last_name GLOB '*[''`]*' OR first_name LIKE '%  %' OR last_name LIKE '%  %'"
            }
        };
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT id, first_name, last_name FROM families WHERE {differs}"),
            ))
            .await?;
        let update = if backend == DbBackend::Postgres {
            "UPDATE families SET search_first = $1, search_last = $2 WHERE id = $3"
        } else {
            "UPDATE families SET search_first = ?, search_last = ? WHERE id = ?"
        };
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let first: String = row.try_get("", "first_name")?;
            let last: String = row.try_get("", "last_name")?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                update,
                [fold(&first).into(), fold(&last).into(), id.into()],
            ))
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("infant_matches"))
                    .col(pk("id"))
                    .col(col("infant_id").big_integer())
                    .col(col("other_infant_id").big_integer())
                    .col(col("status").string_len(20))
                    .col(opt("reason").string_len(500))
                    .col(opt("decided_by").big_integer())
                    .col(opt("decided_at").timestamp_with_time_zone())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("infant_matches", "infant_id", "infants"))
                    .foreign_key(&mut fk("infant_matches", "other_infant_id", "infants"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("infant_matches", "ux_infant_matches", &["infant_id", "other_infant_id"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("family_versions"))
                    .col(pk("id"))
                    .col(col("family_id").big_integer())
                    .col(opt("infant_id").big_integer())
                    .col(col("user_id").big_integer())
                    .col(col("action").string_len(40))
                    .col(col("reason").string_len(500))
                    .col(col("before_json").text())
                    .col(col("after_json").text())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("family_versions", "family_id", "families"))
                    .foreign_key(&mut fk("family_versions", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("family_versions", "ix_family_versions_family", &["family_id", "id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["family_versions", "infant_matches"]).await
    }
}
