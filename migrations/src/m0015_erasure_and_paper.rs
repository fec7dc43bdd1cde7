//! Erasure and paper back-entry (issue 19).
//!
//! - `families.erased_at`: when the family's identifying data were removed (on request or
//!   by the retention period); the row, its ids and counts stay.
//! - `handouts.paper_slip` and `handouts.entered_at`: a hand-out entered afterwards from a
//!   pre-numbered paper slip, and when it was entered (`handed_out_at` is when it happened
//!   on paper). A slip number records once per site (a unique index; rows without a slip
//!   are not constrained).

use crate::util::{index, opt};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0015_erasure_and_paper"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let add = |table: &'static str, col: ColumnDef| {
            let mut col = col;
            Table::alter().table(Alias::new(table)).add_column(&mut col).to_owned()
        };
        manager.alter_table(add("families", opt("erased_at").timestamp_with_time_zone().to_owned())).await?;
        manager.alter_table(add("handouts", opt("paper_slip").string_len(40).to_owned())).await?;
        manager.alter_table(add("handouts", opt("entered_at").timestamp_with_time_zone().to_owned())).await?;
        manager.create_index(index("handouts", "ux_handouts_paper_slip", &["site_id", "paper_slip"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ux_handouts_paper_slip").table(Alias::new("handouts")).to_owned())
            .await?;
        for (table, column) in [("families", "erased_at"), ("handouts", "paper_slip"), ("handouts", "entered_at")] {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
