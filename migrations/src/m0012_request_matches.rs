//! A hospital request never joins an existing family by itself (issue 18, finding 1).
//!
//! - `referrals.created_family`: the request created its family record. A nurse opens a
//!   family's record only through such a request, so a request matched to a family that
//!   existed before it never widens her scope.
//! - `referrals.sent_json`: the family and baby as the hospital sent them; the nurse's
//!   request, its FHIR resource and the API answer show this, never the stored record.
//! - `referral_matches`: a possible match between a request's new family and a family
//!   registered before it, for a manager to decide at triage (`open`, `same`, `different`,
//!   `moot` once another match was confirmed).
//! - `families.merged_into_id`: a family merged into another leaves a tombstone naming it.
//!
//! Existing requests are backfilled: `created_family` when the family was created by the
//! request's nurse and never registered at a site; `sent_json` from the family and baby.

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_request_matches"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        db.execute_unprepared("ALTER TABLE referrals ADD COLUMN created_family BOOLEAN NOT NULL DEFAULT FALSE").await?;
        db.execute_unprepared("ALTER TABLE referrals ADD COLUMN sent_json TEXT").await?;
        db.execute_unprepared("ALTER TABLE families ADD COLUMN merged_into_id BIGINT").await?;
        db.execute_unprepared(
            "UPDATE referrals SET created_family = EXISTS (SELECT 1 FROM families f WHERE f.id = referrals.family_id \
             AND f.created_by = referrals.created_by AND f.registered_site_id IS NULL)",
        )
        .await?;
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT r.id, f.first_name, f.last_name, f.date_of_birth, f.phone, f.address_line1, f.city, f.state, \
                 f.zip, i.name AS infant_name, i.date_of_birth AS infant_dob, i.expected_due_date \
                 FROM referrals r JOIN families f ON f.id = r.family_id JOIN infants i ON i.id = r.infant_id"
                    .to_string(),
            ))
            .await?;
        let update = if backend == DbBackend::Postgres {
            "UPDATE referrals SET sent_json = $1 WHERE id = $2"
        } else {
            "UPDATE referrals SET sent_json = ? WHERE id = ?"
        };
        for row in rows {
            let text = |c: &str| row.try_get::<Option<String>>("", c);
            let date = |c: &str| row.try_get::<Option<chrono::NaiveDate>>("", c).map(|d| d.map(|d| d.to_string()));
            let sent = serde_json::json!({
                "first_name": text("first_name")?,
                "last_name": text("last_name")?,
                "date_of_birth": date("date_of_birth")?,
                "phone": text("phone")?,
                "address_line1": text("address_line1")?,
                "city": text("city")?,
                "state": text("state")?,
                "zip": text("zip")?,
                "infant": {
                    "name": text("infant_name")?,
                    "date_of_birth": date("infant_dob")?,
                    "expected_due_date": date("expected_due_date")?,
                },
            });
            let id: i64 = row.try_get("", "id")?;
            db.execute_raw(Statement::from_sql_and_values(backend, update, [sent.to_string().into(), id.into()]))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("referral_matches"))
                    .col(pk("id"))
                    .col(col("referral_id").big_integer())
                    .col(col("family_id").big_integer())
                    .col(col("status").string_len(20))
                    .col(opt("decided_by").big_integer())
                    .col(opt("decided_at").timestamp_with_time_zone())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("referral_matches", "referral_id", "referrals"))
                    .foreign_key(&mut fk("referral_matches", "family_id", "families"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("referral_matches", "ux_referral_matches", &["referral_id", "family_id"], true))
            .await?;
        manager.create_index(index("referral_matches", "ix_referral_matches_family", &["family_id"], false)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        crate::util::drop_tables(manager, &["referral_matches"]).await?;
        for (table, column) in
            [("referrals", "created_family"), ("referrals", "sent_json"), ("families", "merged_into_id")]
        {
            manager
                .alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
