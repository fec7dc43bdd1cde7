//! Families, their infants, and stored eligibility checks.

use crate::util::{col, drop_tables, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0004_families"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("families"))
                    .col(pk("id"))
                    .col(col("first_name").string_len(100))
                    .col(col("last_name").string_len(100))
                    .col(opt("date_of_birth").date())
                    .col(opt("phone").string_len(40))
                    .col(opt("phone_digits").string_len(20))
                    .col(col("preferred_language").string_len(20))
                    .col(col("address_line1").string_len(200))
                    .col(col("city").string_len(100))
                    .col(col("state").string_len(2))
                    .col(col("zip").string_len(10))
                    .col(opt("neighborhood_id").big_integer())
                    .col(col("household_size").integer())
                    .col(opt("annual_income_cents").big_integer())
                    .col(col("enrollments").string_len(100))
                    .col(opt("has_safe_sleep_space").boolean())
                    .col(opt("race_ethnicity").string_len(40))
                    .col(opt("registered_site_id").big_integer())
                    .col(opt("created_by").big_integer())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("families", "neighborhood_id", "neighborhoods"))
                    .check(Expr::cust("household_size BETWEEN 1 AND 30"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("families", "ix_families_last_name", &["last_name"], false)).await?;
        manager.create_index(index("families", "ix_families_phone", &["phone_digits"], false)).await?;
        manager.create_index(index("families", "ix_families_dob", &["date_of_birth"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("infants"))
                    .col(pk("id"))
                    .col(col("family_id").big_integer())
                    .col(opt("name").string_len(100))
                    .col(opt("date_of_birth").date())
                    .col(opt("expected_due_date").date())
                    .col(opt("weight_lb").string_len(20))
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("infants", "family_id", "families"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("infants", "ix_infants_family", &["family_id"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("eligibility_checks"))
                    .col(pk("id"))
                    .col(col("family_id").big_integer())
                    .col(col("infant_id").big_integer())
                    .col(col("checked_on").date())
                    .col(col("policy_id").big_integer())
                    .col(col("result").string_len(20))
                    .col(col("inputs_json").text())
                    .col(col("rules_json").text())
                    .col(opt("site_id").big_integer())
                    .col(opt("created_by").big_integer())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("eligibility_checks", "family_id", "families"))
                    .foreign_key(&mut fk("eligibility_checks", "infant_id", "infants"))
                    .foreign_key(&mut fk("eligibility_checks", "policy_id", "policies"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("eligibility_checks", "ix_checks_infant", &["infant_id", "created_at"], false))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["eligibility_checks", "infants", "families"]).await
    }
}
