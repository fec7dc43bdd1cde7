//! A covering index for the reports filtered to one site: the same columns as
//! `ix_handouts_report`, led by `site_id`, so a report for one site reads only that site's
//! handouts in the period, from the index alone. (Numbered 0007 to leave 0006 to the
//! referrals migration being written alongside; it depends on nothing but `handouts`.)

use crate::util::index;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0007_report_site_index"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(index(
                "handouts",
                "ix_handouts_report_site",
                &["site_id", "handed_out_on", "csa_id", "neighborhood_id", "family_id", "infant_id", "voided_at"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_index(Index::drop().name("ix_handouts_report_site").table(Alias::new("handouts")).to_owned()).await
    }
}
