//! Issue 21's messages: the outbox (`messages`: one row per message to one recipient,
//! written in the transaction of its cause, unique by its dedupe key, sent later by the
//! sender under a lease), a family's consent to be written to (`message_consents`: per
//! channel, the address, language, who recorded the consent and when, its withdrawal, and the random token of its e-mails' unsubscribe link),
//! and what notices each user does not want (`users.muted_notices`).

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0021_messages"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("messages"))
                    .col(pk("id"))
                    .col(col("dedupe_key").string_len(200).unique_key())
                    .col(col("kind").string_len(40))
                    .col(opt("user_id").big_integer())
                    .col(opt("family_id").big_integer())
                    .col(opt("referral_id").big_integer())
                    .col(opt("site_id").big_integer())
                    .col(opt("crib_model_id").big_integer())
                    .col(opt("on_date").date())
                    .col(col("language").string_len(8))
                    .col(col("status").string_len(16))
                    .col(col("not_before").timestamp_with_time_zone())
                    .col(col("attempts").integer().default(0))
                    .col(opt("lease_until").timestamp_with_time_zone())
                    .col(opt("lease_owner").string_len(64))
                    .col(opt("last_error").string_len(500))
                    .col(opt("sent_at").timestamp_with_time_zone())
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(col("updated_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("messages", "user_id", "users"))
                    .foreign_key(&mut fk("messages", "family_id", "families"))
                    .check(Expr::cust("status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'suppressed')"))
                    .check(Expr::cust("(user_id IS NULL) <> (family_id IS NULL)"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("messages", "ix_messages_due", &["status", "not_before"], false)).await?;
        manager.create_index(index("messages", "ix_messages_family", &["family_id"], false)).await?;
        manager.create_index(index("messages", "ix_messages_referral", &["referral_id"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("message_consents"))
                    .col(pk("id"))
                    .col(col("family_id").big_integer())
                    .col(col("channel").string_len(16))
                    .col(opt("address").string_len(254))
                    .col(col("language").string_len(8))
                    .col(col("given_at").timestamp_with_time_zone())
                    .col(opt("given_by").big_integer())
                    .col(opt("withdrawn_at").timestamp_with_time_zone())
                    .col(opt("withdrawn_by").big_integer())
                    .col(opt("withdrawn_how").string_len(40))
                    .col(col("unsubscribe_token").string_len(64).unique_key())
                    .foreign_key(&mut fk("message_consents", "family_id", "families"))
                    .foreign_key(&mut fk("message_consents", "given_by", "users"))
                    .foreign_key(&mut fk("message_consents", "withdrawn_by", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "message_consents",
                "ux_message_consents_family_channel",
                &["family_id", "channel"],
                true,
            ))
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("users"))
                    .add_column(col("muted_notices").string_len(300).default("").to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["messages", "message_consents"]).await?;
        manager
            .alter_table(Table::alter().table(Alias::new("users")).drop_column(Alias::new("muted_notices")).to_owned())
            .await
    }
}
