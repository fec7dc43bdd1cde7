//! Search keys for check-in: each family's first and last name lower-cased (Rust's
//! `to_lowercase`, the same as `domain::checkin::search_key` in the app), indexed, so a
//! search by the start of a name reads a range of an index instead of every family. The
//! columns compare byte by byte on both databases (PostgreSQL: `COLLATE "C"`; SQLite's
//! default), which is what a prefix range needs. Existing rows are filled here: by SQL
//! `lower(trim())` first, then in Rust for the names with non-ASCII letters only (SQLite's
//! `lower()` folds ASCII only), read by a pattern so the rest never leave the database.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0009_family_search_keys"
    }
}

/// The search key of a name (kept equal to the app's `domain::checkin::search_key`).
fn search_key(name: &str) -> String {
    name.trim().to_lowercase()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let collate = if backend == DbBackend::Postgres { " COLLATE \"C\"" } else { "" };
        for column in ["search_first", "search_last"] {
            db.execute_unprepared(&format!("ALTER TABLE families ADD COLUMN {column} VARCHAR(200){collate}")).await?;
        }
        db.execute_unprepared(
            "UPDATE families SET search_first = lower(trim(first_name)), search_last = lower(trim(last_name))",
        )
        .await?;
        // Only the names with a character outside printable ASCII need Rust's lower-casing:
        // read just those (a million ASCII names must not be loaded into memory).
        let non_ascii = match backend {
            DbBackend::Postgres => "first_name ~ '[^ -~]' OR last_name ~ '[^ -~]'",
            _ => "first_name GLOB '*[^ -~]*' OR last_name GLOB '*[^ -~]*'",
        };
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!("SELECT id, first_name, last_name FROM families WHERE {non_ascii}"),
            ))
            .await?;
        let placeholder = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".to_string() };
        let update = format!(
            "UPDATE families SET search_first = {}, search_last = {} WHERE id = {}",
            placeholder(1),
            placeholder(2),
            placeholder(3)
        );
        for row in rows {
            let id: i64 = row.try_get("", "id")?;
            let first: String = row.try_get("", "first_name")?;
            let last: String = row.try_get("", "last_name")?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                &update,
                [search_key(&first).into(), search_key(&last).into(), id.into()],
            ))
            .await?;
        }
        for column in ["search_first", "search_last"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("ix_families_{column}"))
                        .table(Alias::new("families"))
                        .col(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["search_first", "search_last"] {
            manager
                .drop_index(
                    Index::drop().name(format!("ix_families_{column}")).table(Alias::new("families")).to_owned(),
                )
                .await?;
            manager
                .alter_table(Table::alter().table(Alias::new("families")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::search_key;

    #[test]
    fn keys_are_lower_case_and_trimmed() {
        assert_eq!(search_key(" O'Brien-NÚÑEZ "), "o'brien-núñez");
    }
}
