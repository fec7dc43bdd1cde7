//! Passwords and a second factor (issue 18, findings 10 and 11).
//!
//! - `users.must_change_password`: an administrator reset the password; the next sign-in
//!   goes to the change-password page before anything else.
//! - `users.totp_secret` (base32, RFC 6238), `users.totp_enabled_at` (set once a code
//!   from the person's app was checked), `users.totp_last_step` (a code is accepted once).
//! - `recovery_codes`: ten one-time codes per person, stored as SHA-256 hashes.
//! - `user_sessions.stage`: `full`, or a sign-in half done: `code` (the second factor is
//!   due), `enrol` (an administrator or manager must set one up), `password` (a reset
//!   password must be changed). Only a `full` session opens anything else.

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0013_account_security"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE")
            .await?;
        db.execute_unprepared("ALTER TABLE users ADD COLUMN totp_secret VARCHAR(64)").await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(opt("totp_enabled_at").timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("ALTER TABLE users ADD COLUMN totp_last_step BIGINT").await?;
        db.execute_unprepared("ALTER TABLE user_sessions ADD COLUMN stage VARCHAR(20) NOT NULL DEFAULT 'full'").await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("recovery_codes"))
                    .col(pk("id"))
                    .col(col("user_id").big_integer())
                    .col(col("code_hash").string_len(64))
                    .col(opt("used_at").timestamp_with_time_zone())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("recovery_codes", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("recovery_codes", "ix_recovery_codes_user", &["user_id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["recovery_codes"]).await?;
        for (table, column) in [
            ("users", "must_change_password"),
            ("users", "totp_secret"),
            ("users", "totp_enabled_at"),
            ("users", "totp_last_step"),
            ("user_sessions", "stage"),
        ] {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
