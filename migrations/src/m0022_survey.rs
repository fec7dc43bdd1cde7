//! Issue 23's follow-up survey: a hand-out's rounds at 1 and 3 months (`follow_ups.round_months`,
//! one row per round, unique per hand-out), its self-complete link (`handouts.survey_token`,
//! random and unique) and its baseline answer (`handouts.baseline_sleep`), and the answers
//! (`survey_answers`: one sheet per round, answered once, with the instrument's version and
//! how it was given — by the family on the link, or by phone with staff).
//!
//! Existing data: the 14-day call becomes the 1-month round. A call still due moves to one
//! month after its hand-out; a family reached keeps its answers (the four yes/no columns
//! stay on `follow_ups`, and are copied as a sheet of the legacy instrument, version 0);
//! every live hand-out gets its 3-month round and a link.

use crate::util::{col, fk, index, opt, pk};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{DbBackend, Statement, Value};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0022_survey"
    }
}

/// The same day `months` later, clamped to that month's end (as `domain::survey::due_on`).
fn months_later(d: chrono::NaiveDate, months: u32) -> chrono::NaiveDate {
    d.checked_add_months(chrono::Months::new(months)).unwrap_or(d)
}

/// `follow_ups.round_months`, and no more one row per hand-out: m0005 made `handout_id`
/// unique in the column's own definition. PostgreSQL drops that constraint; SQLite cannot
/// drop it, so the table is built again without it (same columns and rows, ids kept), and
/// `follow_up_calls`' reference to `follow_ups` then names the new table.
async fn one_row_per_round(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("follow_ups"))
                    .add_column(col("round_months").integer().default(1).to_owned())
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared("ALTER TABLE follow_ups DROP CONSTRAINT IF EXISTS follow_ups_handout_id_key").await?;
        return Ok(());
    }
    let create = Table::create()
        .table(Alias::new("follow_ups_next"))
        .col(pk("id"))
        .col(col("handout_id").big_integer())
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
        .col(col("round_months").integer().default(1))
        .foreign_key(&mut fk("follow_ups", "handout_id", "handouts"))
        .check(Expr::cust("status IN ('due','completed','lost_to_follow_up','cancelled')"))
        .to_string(SqliteQueryBuilder);
    let columns = "id, handout_id, site_id, due_on, status, attempts, reached, crib_in_use, sleeps_alone, \
                   sleeps_on_back, sleeps_in_crib, closed_at";
    // NOTE: one script, so every statement runs on one connection (the pragmas are per
    // connection), outside a transaction (SQLite ignores `foreign_keys` inside one): SQLite's
    // own procedure for changing a table's definition, foreign keys off while the old table
    // goes (its rows' children would otherwise block the drop) and the new one takes its name.
    db.execute_unprepared(&format!(
        "PRAGMA foreign_keys = OFF;\n\
         {create};\n\
         INSERT INTO follow_ups_next ({columns}, round_months) SELECT {columns}, 1 FROM follow_ups;\n\
         DROP TABLE follow_ups;\n\
         ALTER TABLE follow_ups_next RENAME TO follow_ups;\n\
         CREATE INDEX ix_follow_ups_due ON follow_ups (status, due_on);\n\
         PRAGMA foreign_keys = ON;"
    ))
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        one_row_per_round(manager).await?;
        for column in [opt("survey_token").string_len(64).to_owned(), opt("baseline_sleep").string_len(32).to_owned()] {
            manager.alter_table(Table::alter().table(Alias::new("handouts")).add_column(column).to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("survey_answers"))
                    .col(pk("id"))
                    .col(col("follow_up_id").big_integer().unique_key())
                    .col(col("instrument_version").integer())
                    .col(col("mode").string_len(8))
                    .col(col("answers").text())
                    .col(col("answered_at").timestamp_with_time_zone())
                    .col(opt("recorded_by").big_integer())
                    .foreign_key(&mut fk("survey_answers", "follow_up_id", "follow_ups"))
                    .foreign_key(&mut fk("survey_answers", "recorded_by", "users"))
                    .check(Expr::cust("mode IN ('self', 'phone')"))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        let backend = manager.get_database_backend();
        let param = |n: usize| if backend == DbBackend::Postgres { format!("${n}") } else { "?".into() };
        let run = |sql: String, values: Vec<Value>| Statement::from_sql_and_values(backend, sql, values);

        // The 14-day calls: still due → one month after the hand-out; reached → a legacy sheet.
        let rows = db
            .query_all_raw(run(
                "SELECT f.id AS id, f.status AS status, f.reached AS reached, f.crib_in_use AS crib_in_use, \
                 f.sleeps_alone AS sleeps_alone, f.sleeps_on_back AS sleeps_on_back, \
                 f.sleeps_in_crib AS sleeps_in_crib, f.closed_at AS closed_at, h.handed_out_on AS handed_out_on, \
                 h.created_by AS created_by FROM follow_ups f JOIN handouts h ON h.id = f.handout_id"
                    .into(),
                vec![],
            ))
            .await?;
        for r in rows {
            let id: i64 = r.try_get("", "id")?;
            let status: String = r.try_get("", "status")?;
            let on: chrono::NaiveDate = r.try_get("", "handed_out_on")?;
            if status == "due" {
                db.execute_raw(run(
                    format!("UPDATE follow_ups SET due_on = {} WHERE id = {}", param(1), param(2)),
                    vec![months_later(on, 1).into(), id.into()],
                ))
                .await?;
            }
            if r.try_get::<Option<bool>>("", "reached")? == Some(true) {
                let mut sheet = serde_json::Map::new();
                for key in ["crib_in_use", "sleeps_alone", "sleeps_on_back", "sleeps_in_crib"] {
                    if let Some(v) = r.try_get::<Option<bool>>("", key)? {
                        sheet.insert(key.into(), (if v { "yes" } else { "no" }).into());
                    }
                }
                let at: Option<chrono::DateTime<chrono::Utc>> = r.try_get("", "closed_at")?;
                let at = at.unwrap_or_else(chrono::Utc::now);
                db.execute_raw(run(
                    format!(
                        "INSERT INTO survey_answers (follow_up_id, instrument_version, mode, answers, answered_at) \
                         VALUES ({}, 0, 'phone', {}, {})",
                        param(1),
                        param(2),
                        param(3)
                    ),
                    vec![id.into(), serde_json::Value::Object(sheet).to_string().into(), at.into()],
                ))
                .await?;
            }
        }
        // Every live hand-out: its 3-month round and its link.
        let token = match backend {
            DbBackend::Postgres => "replace(CAST(gen_random_uuid() AS text), '-', '')",
            _ => "lower(hex(randomblob(16)))",
        };
        db.execute_unprepared(&format!("UPDATE handouts SET survey_token = {token} WHERE voided_at IS NULL")).await?;
        let live = db
            .query_all_raw(run(
                "SELECT id, site_id, handed_out_on FROM handouts WHERE voided_at IS NULL".into(),
                vec![],
            ))
            .await?;
        for r in live {
            let id: i64 = r.try_get("", "id")?;
            let site: i64 = r.try_get("", "site_id")?;
            let on: chrono::NaiveDate = r.try_get("", "handed_out_on")?;
            db.execute_raw(run(
                format!(
                    "INSERT INTO follow_ups (handout_id, site_id, due_on, status, attempts, round_months) \
                     VALUES ({}, {}, {}, 'due', 0, 3)",
                    param(1),
                    param(2),
                    param(3)
                ),
                vec![id.into(), site.into(), months_later(on, 3).into()],
            ))
            .await?;
        }
        manager.create_index(index("follow_ups", "ux_follow_ups_round", &["handout_id", "round_months"], true)).await?;
        manager.create_index(index("handouts", "ux_handouts_survey_token", &["survey_token"], true)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM follow_ups WHERE round_months <> 1").await?;
        crate::util::drop_tables(manager, &["survey_answers"]).await?;
        manager
            .drop_index(Index::drop().name("ux_follow_ups_round").table(Alias::new("follow_ups")).to_owned())
            .await?;
        manager
            .drop_index(Index::drop().name("ux_handouts_survey_token").table(Alias::new("handouts")).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter().table(Alias::new("follow_ups")).drop_column(Alias::new("round_months")).to_owned(),
            )
            .await?;
        for column in ["survey_token", "baseline_sleep"] {
            manager
                .alter_table(Table::alter().table(Alias::new("handouts")).drop_column(Alias::new(column)).to_owned())
                .await?;
        }
        Ok(())
    }
}
