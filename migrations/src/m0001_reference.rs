//! Reference data tables: CSAs, neighborhoods, ZIP crosswalk, crib models, sites,
//! poverty guidelines and policy versions.

use crate::util::{col, drop_tables, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0001_reference"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("csas"))
                    .col(col("id").integer().primary_key())
                    .col(col("name").string_len(100).unique_key())
                    .col(col("name_2020").string_len(100))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("neighborhoods"))
                    .col(pk("id"))
                    .col(col("name").string_len(100).unique_key())
                    .col(col("csa_id").integer())
                    .foreign_key(&mut fk("neighborhoods", "csa_id", "csas"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("zip_csas"))
                    .col(col("zip").string_len(10))
                    .col(col("csa_id").integer())
                    .primary_key(Index::create().col(Alias::new("zip")).col(Alias::new("csa_id")))
                    .foreign_key(&mut fk("zip_csas", "csa_id", "csas"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("crib_models"))
                    .col(pk("id"))
                    .col(col("code").string_len(50).unique_key())
                    .col(col("name").string_len(100))
                    .col(col("active").boolean().default(true))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("sites"))
                    .col(pk("id"))
                    .col(col("code").string_len(50).unique_key())
                    .col(col("name").string_len(120))
                    .col(col("kind").string_len(20))
                    .col(opt("neighborhood_id").big_integer())
                    .col(opt("address").string_len(200))
                    .col(col("active").boolean().default(true))
                    .foreign_key(&mut fk("sites", "neighborhood_id", "neighborhoods"))
                    .check(Expr::cust("kind IN ('distribution','hospital','warehouse')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("poverty_guidelines"))
                    .col(pk("id"))
                    .col(col("year").integer())
                    .col(col("region").string_len(40))
                    .col(col("first_person_cents").big_integer())
                    .col(col("additional_person_cents").big_integer())
                    .col(col("effective_from").date())
                    .col(opt("citation").string_len(300))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("poverty_guidelines", "ux_poverty_year_region", &["year", "region"], true)).await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("policies"))
                    .col(pk("id"))
                    .col(col("name").string_len(100))
                    .col(col("version").integer())
                    .col(col("effective_from").date())
                    .col(col("params_json").text())
                    .col(opt("notes").text())
                    .col(col("published_at").timestamp_with_time_zone())
                    .col(opt("published_by").big_integer())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("policies", "ux_policies_name_version", &["name", "version"], true)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(
            manager,
            &["policies", "poverty_guidelines", "sites", "crib_models", "zip_csas", "neighborhoods", "csas"],
        )
        .await
    }
}
