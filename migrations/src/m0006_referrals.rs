//! Hospital discharge requests (referrals): a nurse's request for a crib, its lifecycle,
//! and the reservation of one crib at a site while it waits.

use crate::util::{col, drop_tables, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0006_referrals"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("referrals"))
                    .col(pk("id"))
                    .col(col("hospital_site_id").big_integer())
                    .col(col("created_by").big_integer())
                    .col(col("family_id").big_integer())
                    .col(col("infant_id").big_integer())
                    .col(col("discharge_date").date())
                    .col(col("status").string_len(20))
                    .col(opt("preferred_site_id").big_integer())
                    .col(col("home_delivery").boolean().default(false))
                    .col(opt("reserved_site_id").big_integer())
                    .col(opt("reserved_crib_model_id").big_integer())
                    .col(opt("reserved_until").date())
                    .col(opt("decline_reason").string_len(500))
                    .col(opt("handout_id").big_integer())
                    .col(col("eligibility_json").text())
                    .col(col("source").string_len(10))
                    .col(opt("note").string_len(1000))
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(col("updated_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("referrals", "hospital_site_id", "sites"))
                    .foreign_key(&mut fk("referrals", "family_id", "families"))
                    .foreign_key(&mut fk("referrals", "infant_id", "infants"))
                    .foreign_key(&mut fk("referrals", "reserved_site_id", "sites"))
                    .check(Expr::cust(
                        "status IN ('submitted','reserved','fulfilled','declined','cancelled','expired')",
                    ))
                    .check(Expr::cust("source IN ('page','api','fhir')"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("referrals", "ix_referrals_status", &["status", "discharge_date"], false)).await?;
        manager
            .create_index(index("referrals", "ix_referrals_hospital", &["hospital_site_id", "created_at"], false))
            .await?;
        manager.create_index(index("referrals", "ix_referrals_family", &["family_id"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["referrals"]).await
    }
}
