//! Find a family by the last 4 or 7 digits of a phone (issue 19): the tails of
//! `families.phone_digits`, each indexed, filled for the families already stored.

use crate::util::{index, opt};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0016_phone_tails"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (column, len) in [("phone_last4", 4), ("phone_last7", 7)] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("families"))
                        .add_column(opt(column).string_len(len).to_owned())
                        .to_owned(),
                )
                .await?;
        }
        let tail = |n: u32| match manager.get_database_backend() {
            DbBackend::Postgres => format!("right(phone_digits, {n})"),
            _ => format!("substr(phone_digits, -{n})"),
        };
        manager
            .get_connection()
            .execute_unprepared(&format!(
                "UPDATE families SET phone_last4 = {}, phone_last7 = {} WHERE phone_digits IS NOT NULL",
                tail(4),
                tail(7)
            ))
            .await?;
        manager.create_index(index("families", "ix_families_phone_last4", &["phone_last4"], false)).await?;
        manager.create_index(index("families", "ix_families_phone_last7", &["phone_last7"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in ["phone_last4", "phone_last7"] {
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
