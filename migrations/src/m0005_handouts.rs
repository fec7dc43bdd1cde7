//! Safe-sleep education sessions, crib handouts (one live handout per infant, enforced by
//! a partial unique index), and follow-up calls.

use crate::util::{col, drop_tables, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0005_handouts"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("education_sessions"))
                    .col(pk("id"))
                    .col(col("family_id").big_integer())
                    .col(col("delivered_at").timestamp_with_time_zone())
                    .col(col("delivered_by").big_integer())
                    .col(opt("site_id").big_integer())
                    .col(col("mode").string_len(30))
                    .col(col("language").string_len(20))
                    .col(col("curriculum_version").string_len(40))
                    .col(col("topics").string_len(400))
                    .col(col("caregiver_attestation").string_len(200))
                    .col(col("attested_at").timestamp_with_time_zone())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("education_sessions", "family_id", "families"))
                    .foreign_key(&mut fk("education_sessions", "delivered_by", "users"))
                    .check(Expr::cust("mode IN ('site','home_visit','hospital_discharge','video')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("education_sessions", "ix_education_family", &["family_id", "delivered_at"], false))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("handouts"))
                    .col(pk("id"))
                    .col(col("receipt_number").string_len(40).unique_key())
                    .col(col("family_id").big_integer())
                    .col(col("infant_id").big_integer())
                    .col(col("site_id").big_integer())
                    .col(col("crib_model_id").big_integer())
                    .col(opt("lot").string_len(100))
                    .col(opt("neighborhood_id").big_integer())
                    .col(opt("csa_id").integer())
                    .col(opt("eligibility_check_id").big_integer())
                    .col(opt("override_reason").string_len(500))
                    .col(opt("education_id").big_integer())
                    .col(opt("referral_id").big_integer())
                    .col(col("handed_out_at").timestamp_with_time_zone())
                    .col(col("handed_out_on").date())
                    .col(col("created_by").big_integer())
                    .col(opt("voided_at").timestamp_with_time_zone())
                    .col(opt("voided_by").big_integer())
                    .col(opt("void_reason").string_len(500))
                    .foreign_key(&mut fk("handouts", "family_id", "families"))
                    .foreign_key(&mut fk("handouts", "infant_id", "infants"))
                    .foreign_key(&mut fk("handouts", "site_id", "sites"))
                    .foreign_key(&mut fk("handouts", "crib_model_id", "crib_models"))
                    .to_owned(),
            )
            .await?;
        // NOTE: the database itself refuses a second live crib for one infant (invariant 4);
        // partial indexes work the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX ux_handouts_infant_live ON handouts (infant_id) WHERE voided_at IS NULL",
            )
            .await?;
        // Covering index for the report by neighborhood over a date range.
        manager
            .create_index(index(
                "handouts",
                "ix_handouts_report",
                &["handed_out_on", "csa_id", "neighborhood_id", "family_id", "infant_id", "voided_at"],
                false,
            ))
            .await?;
        manager.create_index(index("handouts", "ix_handouts_family", &["family_id"], false)).await?;
        manager.create_index(index("handouts", "ix_handouts_lot", &["lot"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("follow_ups"))
                    .col(pk("id"))
                    .col(col("handout_id").big_integer().unique_key())
                    .col(col("site_id").big_integer())
                    .col(col("due_on").date())
                    .col(col("status").string_len(20))
                    .col(col("attempts").integer().default(0))
                    .col(opt("reached").boolean())
                    .col(opt("crib_in_use").boolean())
                    .col(opt("sleeps_alone").boolean())
                    .col(opt("sleeps_on_back").boolean())
                    .col(opt("sleeps_in_crib").boolean())
                    .col(opt("closed_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("follow_ups", "handout_id", "handouts"))
                    .check(Expr::cust("status IN ('due','completed','lost_to_follow_up','cancelled')"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("follow_ups", "ix_follow_ups_due", &["status", "due_on"], false)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("follow_up_calls"))
                    .col(pk("id"))
                    .col(col("follow_up_id").big_integer())
                    .col(col("called_at").timestamp_with_time_zone())
                    .col(col("called_by").big_integer())
                    .col(col("reached").boolean())
                    .col(opt("crib_in_use").boolean())
                    .col(opt("sleeps_alone").boolean())
                    .col(opt("sleeps_on_back").boolean())
                    .col(opt("sleeps_in_crib").boolean())
                    .col(opt("note").string_len(500))
                    .foreign_key(&mut fk("follow_up_calls", "follow_up_id", "follow_ups"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["follow_up_calls", "follow_ups", "handouts", "education_sessions"]).await
    }
}
