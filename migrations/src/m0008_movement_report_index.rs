//! A covering index for the stock report by month: movements by time, with the site, the
//! kind and the quantity, so a period's movements are read from the index alone, in time
//! order, whatever the site (the older `ix_movements_site_at` leads with the site, which
//! serves one site's ledger page but not a report over every site).

use crate::util::index;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0008_movement_report_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "stock_movements",
                "ix_movements_report",
                &["created_at", "site_id", "kind", "quantity"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_movements_report").table(Alias::new("stock_movements")).to_owned())
            .await
    }
}
