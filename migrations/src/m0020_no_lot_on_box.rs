//! A hand-out records "no lot number on the box" as such (issue 20): `handouts.no_lot_on_box`,
//! true only when staff said so, so a recall can tell it from a hand-out where nobody said
//! (a null lot and false, as every hand-out stored before this has).

use crate::util::col;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0020_no_lot_on_box"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("handouts"))
                    .add_column(col("no_lot_on_box").boolean().default(false).to_owned())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter().table(Alias::new("handouts")).drop_column(Alias::new("no_lot_on_box")).to_owned(),
            )
            .await
    }
}
