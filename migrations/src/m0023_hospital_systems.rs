//! Issue 22's hospital systems: the clients a hospital's system signs in as (SMART Backend
//! Services: `fhir_clients`, each with its public key set, allowed scopes and the service
//! account it acts as; `fhir_assertions`, the `jti` of every accepted sign-in assertion
//! until it would have expired, so none is used twice), the scopes a short-lived token was
//! granted (`api_tokens.scopes`, empty for a person's token), and what a request keeps of
//! what the hospital sent: its version (`referrals.version`, bumped with each change), the
//! resource verbatim (`referrals.fhir_json`), who closed it (`referrals.closed_by`), and the
//! sender's identifiers (`referral_identifiers`, unique per hospital, for search and
//! conditional create).

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0023_hospital_systems"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("fhir_clients"))
                    .col(pk("id"))
                    .col(col("client_id").string_len(64).unique_key())
                    .col(col("name").string_len(200))
                    .col(col("hospital_site_id").big_integer())
                    .col(col("user_id").big_integer())
                    .col(col("jwks").text())
                    .col(col("scopes").string_len(1000))
                    .col(col("created_by").big_integer())
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(opt("revoked_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("fhir_clients", "hospital_site_id", "sites"))
                    .foreign_key(&mut fk("fhir_clients", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("fhir_assertions"))
                    .col(pk("id"))
                    .col(col("client_id").string_len(64))
                    .col(col("jti").string_len(255))
                    .col(col("expires_at").timestamp_with_time_zone())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("fhir_assertions", "ux_fhir_assertions_jti", &["client_id", "jti"], true)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("referral_identifiers"))
                    .col(pk("id"))
                    .col(col("referral_id").big_integer())
                    .col(col("hospital_site_id").big_integer())
                    .col(col("system").string_len(300))
                    .col(col("value").string_len(200))
                    .foreign_key(&mut fk("referral_identifiers", "referral_id", "referrals"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "referral_identifiers",
                "ux_referral_identifiers",
                &["hospital_site_id", "system", "value"],
                true,
            ))
            .await?;
        manager.create_index(index("referral_identifiers", "ix_referral_identifiers_value", &["value"], false)).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("api_tokens"))
                    .add_column(opt("scopes").string_len(1000).to_owned())
                    .to_owned(),
            )
            .await?;
        for column in [
            col("version").integer().default(1).to_owned(),
            opt("fhir_json").text().to_owned(),
            opt("closed_by").big_integer().to_owned(),
        ] {
            manager.alter_table(Table::alter().table(Alias::new("referrals")).add_column(column).to_owned()).await?;
        }
        manager.create_index(index("referrals", "ix_referrals_updated", &["updated_at"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_referrals_updated").table(Alias::new("referrals")).to_owned())
            .await?;
        for column in ["version", "fhir_json", "closed_by"] {
            manager
                .alter_table(Table::alter().table(Alias::new("referrals")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        manager
            .alter_table(Table::alter().table(Alias::new("api_tokens")).drop_column(Alias::new("scopes")).to_owned())
            .await?;
        crate::util::drop_tables(manager, &["referral_identifiers", "fhir_assertions", "fhir_clients"]).await
    }
}
