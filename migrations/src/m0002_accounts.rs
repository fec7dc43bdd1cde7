//! Accounts: users, site memberships, API tokens, login attempts, the audit trail and
//! stored idempotency answers.

use crate::util::{col, drop_tables, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_accounts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("users"))
                    .col(pk("id"))
                    .col(col("email").string_len(200).unique_key())
                    .col(col("display_name").string_len(100))
                    .col(col("password_hash").string_len(200))
                    .col(col("role").string_len(30))
                    .col(opt("hospital_site_id").big_integer())
                    .col(col("active").boolean().default(true))
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("users", "hospital_site_id", "sites"))
                    .check(Expr::cust("role IN ('admin','program_manager','site_staff','nurse')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("user_sites"))
                    .col(col("user_id").big_integer())
                    .col(col("site_id").big_integer())
                    .primary_key(Index::create().col(Alias::new("user_id")).col(Alias::new("site_id")))
                    .foreign_key(&mut fk("user_sites", "user_id", "users"))
                    .foreign_key(&mut fk("user_sites", "site_id", "sites"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("api_tokens"))
                    .col(pk("id"))
                    .col(col("user_id").big_integer())
                    .col(col("token_hash").string_len(64).unique_key())
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(col("expires_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("api_tokens", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("login_attempts"))
                    .col(pk("id"))
                    .col(col("email").string_len(200))
                    .col(col("ip").string_len(64))
                    .col(col("succeeded").boolean())
                    .col(col("at").timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("login_attempts", "ix_login_attempts_email_at", &["email", "at"], false)).await?;
        manager.create_index(index("login_attempts", "ix_login_attempts_ip_at", &["ip", "at"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("audit_events"))
                    .col(pk("id"))
                    .col(col("at").timestamp_with_time_zone())
                    .col(opt("user_id").big_integer())
                    .col(opt("role").string_len(30))
                    .col(col("action").string_len(60))
                    .col(col("entity").string_len(60))
                    .col(opt("entity_id").big_integer())
                    .col(opt("ip").string_len(64))
                    .col(opt("detail").text())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("audit_events", "ix_audit_entity", &["entity", "entity_id"], false)).await?;
        manager.create_index(index("audit_events", "ix_audit_user_at", &["user_id", "at"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("idempotency_keys"))
                    .col(pk("id"))
                    .col(col("user_id").big_integer())
                    .col(col("key").string_len(200))
                    .col(col("request_hash").string_len(64))
                    .col(col("status").integer())
                    .col(col("body").text())
                    .col(col("created_at").timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("idempotency_keys", "ux_idempotency_user_key", &["user_id", "key"], true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["idempotency_keys", "audit_events", "login_attempts", "api_tokens", "user_sites", "users"],
        )
        .await
    }
}
