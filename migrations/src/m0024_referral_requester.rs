//! Issue 22's search by requester: who at the hospital asked (`referrals.requester`, the
//! sender's `requester` reference as `Type/id`, e.g. `Practitioner/123` or
//! `Organization/7`), indexed, so a hospital's system can poll for one department's or one
//! doctor's requests (`Task?requester=`, `ServiceRequest?requester=`).

use crate::util::{index, opt};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0024_referral_requester"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("referrals"))
                    .add_column(opt("requester").string_len(300).to_owned())
                    .to_owned(),
            )
            .await?;
        manager.create_index(index("referrals", "ix_referrals_requester", &["requester"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_referrals_requester").table(Alias::new("referrals")).to_owned())
            .await?;
        manager
            .alter_table(Table::alter().table(Alias::new("referrals")).drop_column(Alias::new("requester")).to_owned())
            .await
    }
}
