//! A family checked in at a site where it has no history yet: the explicit, audited step
//! that lets that site's staff open the family's whole record (who, when, why). Without
//! such a row, staff see a family's record only where it has history (registered, a crib
//! handed out or held there).

use crate::util::{col, fk, index, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0011_family_site_links"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("family_site_links"))
                    .col(pk("id"))
                    .col(col("family_id").big_integer())
                    .col(col("site_id").big_integer())
                    .col(col("user_id").big_integer())
                    .col(col("reason").string_len(500))
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("family_site_links", "family_id", "families"))
                    .foreign_key(&mut fk("family_site_links", "site_id", "sites"))
                    .foreign_key(&mut fk("family_site_links", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("family_site_links", "ux_family_site_links", &["family_id", "site_id"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["family_site_links"]).await
    }
}
