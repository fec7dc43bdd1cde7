//! Issue 20's dead ends: a policy version that has not started can be withdrawn (who, when,
//! why; a withdrawn version never applies), and a form sent after its session ended is kept
//! for a short while for the same person to finish after signing in again (`kept_forms`:
//! the fields as sent, without the CSRF token, under the SHA-256 of a random id that only
//! that browser's cookie holds).

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0019_withdrawn_policies_and_kept_forms"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            opt("withdrawn_at").timestamp_with_time_zone().to_owned(),
            opt("withdrawn_by").big_integer().to_owned(),
            opt("withdrawn_reason").string_len(500).to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Alias::new("policies")).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("kept_forms"))
                    .col(pk("id"))
                    .col(col("key_hash").string_len(64).unique_key())
                    .col(col("user_id").big_integer())
                    .col(col("path").string_len(300))
                    .col(col("fields").text())
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(col("expires_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("kept_forms", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("kept_forms", "ix_kept_forms_user", &["user_id"], false)).await?;
        manager.create_index(index("kept_forms", "ix_kept_forms_expires", &["expires_at"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["kept_forms"]).await?;
        for column in ["withdrawn_at", "withdrawn_by", "withdrawn_reason"] {
            manager
                .alter_table(Table::alter().table(Alias::new("policies")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
