//! Staff sessions kept on the server: the cookie carries a random token, and the row (by the
//! token's SHA-256) says whose session it is, when it began, when it was last used and when
//! it ended. Signing out, deactivation and a password change end rows, so a copied cookie
//! stops working at once; a session also ends 12 hours after sign-in and after a spell idle
//! (the app's `auth::session` says how long).

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0010_sessions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("user_sessions"))
                    .col(pk("id"))
                    .col(col("user_id").big_integer())
                    .col(col("token_hash").string_len(64).unique_key())
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(col("last_seen_at").timestamp_with_time_zone())
                    .col(col("expires_at").timestamp_with_time_zone())
                    .col(opt("ended_at").timestamp_with_time_zone())
                    .col(opt("ip").string_len(64))
                    .foreign_key(&mut fk("user_sessions", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("user_sessions", "ix_user_sessions_user", &["user_id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["user_sessions"]).await
    }
}
