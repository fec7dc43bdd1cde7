//! A handout written by one SQLite script: the write of `record` for a handout with no
//! hospital request, in one round trip under the write lock (decision 0013) — in SeaORM's
//! transaction (`record_in_one_script`), or with its `BEGIN` and `COMMIT` in a
//! `HeldWrite` (`record_held`, decision 0015).

use crate::domain::actor::Actor;
use crate::entity::handout;
use crate::error::AppError;
use crate::store::family_view::HandoutView;
use crate::store::handouts::{out_of_stock, receipt_number, refusal_of, HandoutPlan, HandoutRows, ID_COLUMNS};
use crate::store::outbox::causes::stock_low_sql;
use crate::store::referrals;
use crate::store::sql::Sql;
use crate::store::sqlite::held_write::HeldWrite;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    Value,
};

/// On SQLite, a handout with no hospital request is written by one script, one round trip
/// while the write lock is held (decision 0013): the conditional take first, then the
/// handout row only if the take changed the balance (`changes() = 1`), then the ledger
/// row, the follow-up and the audit row, each only if that handout row is there (found by
/// its receipt number). The handout row comes back (`RETURNING`); no row means no crib was
/// free. What it writes is what the statement-by-statement path below writes (the tests
/// hold both); PostgreSQL takes that path, since a prepared statement there holds one
/// command. A second live crib for the infant fails on the partial unique index as before.
///
/// NOTE: here the take comes before the handout row, so an infant who got a crib a moment
/// ago at a site with none left hears "out of stock" rather than "already received"; both
/// refuse and write nothing, and `plan` has already answered "already received" for any
/// crib recorded before this request began.
pub(crate) async fn record_in_one_script(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    plan: &HandoutPlan,
) -> Result<HandoutView, AppError> {
    let mut written = handout_script(db, who, ip, plan).await?;
    if written.is_none() && referrals::expire_lapsed(db, plan.today).await? > 0 {
        // Lapsed holds still counted as reserved: settled, try once more.
        written = handout_script(db, who, ip, plan).await?;
    }
    written.map(HandoutView::from).ok_or_else(out_of_stock)
}

/// The script of `record_in_one_script` (and of `record_held`, there between `BEGIN` and
/// `COMMIT`): the handout row comes back from it, or no row when no unreserved crib was
/// there (and then it writes nothing).
fn script(who: &Actor, ip: &str, plan: &HandoutPlan) -> sea_orm::Statement {
    let receipt = receipt_number(plan.today);
    let rows = HandoutRows::of(who, ip, plan, &receipt, None, 0, false);
    let mut sql = Sql::new(DbBackend::Sqlite);
    sql.push("UPDATE stock_balances SET on_hand = on_hand - 1 WHERE site_id = ")
        .bind(plan.site_id)
        .push(" AND crib_model_id = ")
        .bind(plan.crib_model_id)
        .push(" AND on_hand - reserved >= 1;\n");
    insert_select(&mut sql, "handouts", &set_values(&rows.handout), None);
    sql.push(" WHERE changes() = 1 RETURNING *;\n");
    let rest = std::iter::once(("stock_movements", set_values(&rows.movement)))
        .chain(rows.follow_ups.iter().map(|f| ("follow_ups", set_values(f))))
        .chain(std::iter::once(("audit_events", set_values(&rows.audit))));
    for (table, values) in rest {
        insert_select(&mut sql, table, &values, Some("h.id"));
        sql.push(" FROM handouts h WHERE h.receipt_number = ").bind(receipt.clone()).push(";\n");
    }
    // The managers' low-stock notice when this take crossed the threshold (the same
    // statement as `outbox::causes::stock_fell`, here only if the handout row is there).
    sql.append(stock_low_sql(DbBackend::Sqlite, plan.site_id, plan.crib_model_id, 1, &receipt, Some(&receipt)));
    sql.push(";\n");
    sql.statement()
}

/// The columns an active model sets, with their values, in the entity's column order.
fn set_values<A: ActiveModelTrait>(row: &A) -> Vec<(&'static str, Value)>
where
    <A::Entity as EntityTrait>::Column: IdenStatic,
{
    <A::Entity as EntityTrait>::Column::iter()
        .filter_map(|c| match row.get(c) {
            ActiveValue::Set(v) | ActiveValue::Unchanged(v) => Some((c.as_str(), v)),
            ActiveValue::NotSet => None,
        })
        .collect()
}

/// `INSERT INTO table (columns) SELECT values`, each value bound; with `id_from`, the
/// columns that hold the handout's id (`ID_COLUMNS`) take that expression instead.
fn insert_select(sql: &mut Sql, table: &str, values: &[(&'static str, Value)], id_from: Option<&str>) {
    let columns: Vec<&str> = values.iter().map(|(c, _)| *c).collect();
    sql.push(&format!("INSERT INTO {table} ({}) SELECT ", columns.join(", ")));
    for (i, (column, value)) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        match id_from {
            Some(expr) if ID_COLUMNS.contains(column) => sql.push(expr),
            _ => sql.bind(value.clone()),
        };
    }
}

/// One run of the script of `record_in_one_script`: the handout written, or None when no
/// unreserved crib was there (and then nothing was written).
async fn handout_script(
    db: &impl ConnectionTrait,
    who: &Actor,
    ip: &str,
    plan: &HandoutPlan,
) -> Result<Option<handout::Model>, AppError> {
    // NOTE: `all`, not `one`: reading only the first row would stop the script there.
    match handout::Model::find_by_statement(script(who, ip, plan)).all(db).await {
        Ok(found) => Ok(found.into_iter().next()),
        // NOTE: the partial unique index settles a race between two requests for one infant.
        Err(e) => Err(refusal_of(e)),
    }
}

/// The handout of `record_in_one_script` written through a `HeldWrite` (decision 0015):
/// `BEGIN IMMEDIATE`, the script and, when no answer is kept, `COMMIT`, in one round trip.
/// `handouts::begin` chose this only where no lapsed hold at the site is to be settled,
/// so "no row" is out of stock.
pub(crate) async fn record_held(
    held: &mut HeldWrite,
    who: &Actor,
    ip: &str,
    plan: &HandoutPlan,
) -> Result<HandoutView, AppError> {
    let rows = match held.begin_with(script(who, ip, plan)).await {
        Ok(rows) => rows,
        // NOTE: the partial unique index settles a race between two requests for one infant.
        Err(e) => return Err(refusal_of(e)),
    };
    match rows.first() {
        Some(row) => Ok(HandoutView::from(handout::Model::from_query_result(row, "")?)),
        None => Err(out_of_stock()),
    }
}
