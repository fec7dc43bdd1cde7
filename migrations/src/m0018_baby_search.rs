//! Find a family by its baby (issue 19): `infants.search_name`, the baby's name folded as
//! the caregiver's names are (`domain::checkin::search_key`; here m0014's `fold`), indexed
//! for a prefix search, filled for the babies already named; an index on the babies'
//! birth dates for the check-in search by date.
//!
//! And two indexes widened so the possible-same-baby search on every registration
//! (`store::infant_matches::detect`: the live records of the caregiver's birth date, and
//! their babies of one of these dates) is answered from the indexes, not from a hundred
//! table rows read at random: `infants (family_id, date_of_birth, expected_due_date)`
//! replaces `(family_id)`, `families (date_of_birth, merged_into_id)` replaces
//! `(date_of_birth)`. Each still serves what the narrower one did (its first column).

use crate::m0014_family_record::fold;
use crate::util::{index, opt};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0018_baby_search"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("infants"))
                    .add_column(opt("search_name").string_len(200).to_owned())
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let (select, update) = if backend == DbBackend::Postgres {
            (
                "SELECT id, name FROM infants WHERE id > $1 AND name IS NOT NULL ORDER BY id LIMIT 5000",
                "UPDATE infants SET search_name = $1 WHERE id = $2",
            )
        } else {
            (
                "SELECT id, name FROM infants WHERE id > ? AND name IS NOT NULL ORDER BY id LIMIT 5000",
                "UPDATE infants SET search_name = ? WHERE id = ?",
            )
        };
        // In pages of 5,000 by id (only named babies: most records name none).
        let mut after = 0_i64;
        loop {
            let rows = db.query_all_raw(Statement::from_sql_and_values(backend, select, [after.into()])).await?;
            let Some(last_row) = rows.last() else { break };
            after = last_row.try_get("", "id")?;
            for row in &rows {
                let id: i64 = row.try_get("", "id")?;
                let name: String = row.try_get("", "name")?;
                let key = Some(fold(&name)).filter(|k| !k.is_empty());
                db.execute_raw(Statement::from_sql_and_values(backend, update, [key.into(), id.into()])).await?;
            }
        }
        manager.create_index(index("infants", "ix_infants_search_name", &["search_name"], false)).await?;
        manager.create_index(index("infants", "ix_infants_dob", &["date_of_birth"], false)).await?;
        widen(
            manager,
            "infants",
            "ix_infants_family",
            "ix_infants_family_dates",
            &["family_id", "date_of_birth", "expected_due_date"],
        )
        .await?;
        widen(manager, "families", "ix_families_dob", "ix_families_dob_live", &["date_of_birth", "merged_into_id"])
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        widen(manager, "families", "ix_families_dob_live", "ix_families_dob", &["date_of_birth"]).await?;
        widen(manager, "infants", "ix_infants_family_dates", "ix_infants_family", &["family_id"]).await?;
        for name in ["ix_infants_search_name", "ix_infants_dob"] {
            manager.drop_index(Index::drop().name(name).table(Alias::new("infants")).to_owned()).await?;
        }
        manager
            .alter_table(Table::alter().table(Alias::new("infants")).drop_column(Alias::new("search_name")).to_owned())
            .await
    }
}

/// Replace index `old` on `table` with `new` on `columns` (the new one first, so the
/// table is never without one).
async fn widen(
    manager: &SchemaManager<'_>,
    table: &'static str,
    old: &str,
    new: &str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    manager.create_index(index(table, new, columns, false)).await?;
    manager.drop_index(Index::drop().name(old).table(Alias::new(table)).to_owned()).await
}
