//! Schema migrations for cribs: one file per schema change, written with sea-query
//! identifiers only (no entity imports), so that old migrations never change meaning.

pub use sea_orm_migration::prelude::*;

mod m0001_reference;
mod m0002_accounts;
mod m0003_stock;
mod m0004_families;
mod m0005_handouts;
mod m0006_referrals;
mod m0007_report_site_index;
mod m0008_movement_report_index;
mod m0009_family_search_keys;
mod m0010_sessions;
mod m0011_family_site_links;
mod m0012_request_matches;
mod m0013_account_security;
mod m0014_family_record;
mod m0015_erasure_and_paper;
mod m0016_phone_tails;
mod m0017_sound_keys;
mod m0018_baby_search;
mod m0019_withdrawn_policies_and_kept_forms;
mod m0020_no_lot_on_box;
mod m0021_messages;
mod m0022_survey;
mod m0023_hospital_systems;
mod m0024_referral_requester;

/// The ordered list of migrations the app runs at launch.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_reference::Migration),
            Box::new(m0002_accounts::Migration),
            Box::new(m0003_stock::Migration),
            Box::new(m0004_families::Migration),
            Box::new(m0005_handouts::Migration),
            Box::new(m0006_referrals::Migration),
            Box::new(m0007_report_site_index::Migration),
            Box::new(m0008_movement_report_index::Migration),
            Box::new(m0009_family_search_keys::Migration),
            Box::new(m0010_sessions::Migration),
            Box::new(m0011_family_site_links::Migration),
            Box::new(m0012_request_matches::Migration),
            Box::new(m0013_account_security::Migration),
            Box::new(m0014_family_record::Migration),
            Box::new(m0015_erasure_and_paper::Migration),
            Box::new(m0016_phone_tails::Migration),
            Box::new(m0017_sound_keys::Migration),
            Box::new(m0018_baby_search::Migration),
            Box::new(m0019_withdrawn_policies_and_kept_forms::Migration),
            Box::new(m0020_no_lot_on_box::Migration),
            Box::new(m0021_messages::Migration),
            Box::new(m0022_survey::Migration),
            Box::new(m0023_hospital_systems::Migration),
            Box::new(m0024_referral_requester::Migration),
        ]
    }
}

/// Small helpers shared by the migration files.
pub(crate) mod util {
    use sea_orm_migration::prelude::*;

    /// An auto-increment 64-bit primary key column.
    pub fn pk(name: &'static str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).big_integer().not_null().auto_increment().primary_key().to_owned()
    }
    /// A required column of the given name (type set by the caller).
    pub fn col(name: &'static str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).not_null().to_owned()
    }
    /// An optional column of the given name (type set by the caller).
    pub fn opt(name: &'static str) -> ColumnDef {
        ColumnDef::new(Alias::new(name)).null().to_owned()
    }
    /// A foreign key from `table.column` to `target.id`.
    pub fn fk(table: &'static str, column: &'static str, target: &'static str) -> ForeignKeyCreateStatement {
        ForeignKey::create()
            .name(format!("fk_{table}_{column}"))
            .from(Alias::new(table), Alias::new(column))
            .to(Alias::new(target), Alias::new("id"))
            .to_owned()
    }
    /// A (possibly unique) index over the given columns.
    pub fn index(table: &'static str, name: &str, cols: &[&'static str], unique: bool) -> IndexCreateStatement {
        let mut idx = Index::create();
        idx.name(name).table(Alias::new(table));
        for c in cols {
            idx.col(Alias::new(*c));
        }
        if unique {
            idx.unique();
        }
        idx.to_owned()
    }
    /// Drop the named tables, in order.
    pub async fn drop_tables(manager: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
        for t in tables {
            manager.drop_table(Table::drop().table(Alias::new(*t)).if_exists().to_owned()).await?;
        }
        Ok(())
    }
}
