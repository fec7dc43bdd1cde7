//! Crib stock: per-(site, model) balances with CHECK constraints, the append-only
//! movement ledger, and transfers between sites.

use crate::util::{col, drop_tables, fk, index, opt, pk};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0003_stock"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("stock_balances"))
                    .col(pk("id"))
                    .col(col("site_id").big_integer())
                    .col(col("crib_model_id").big_integer())
                    .col(col("on_hand").integer().default(0))
                    .col(col("reserved").integer().default(0))
                    .col(col("low_stock_threshold").integer().default(5))
                    .foreign_key(&mut fk("stock_balances", "site_id", "sites"))
                    .foreign_key(&mut fk("stock_balances", "crib_model_id", "crib_models"))
                    .check(Expr::cust("on_hand >= 0"))
                    .check(Expr::cust("reserved >= 0 AND reserved <= on_hand"))
                    .check(Expr::cust("low_stock_threshold >= 0"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("stock_balances", "ux_stock_site_model", &["site_id", "crib_model_id"], true))
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("transfers"))
                    .col(pk("id"))
                    .col(col("from_site_id").big_integer())
                    .col(col("to_site_id").big_integer())
                    .col(col("crib_model_id").big_integer())
                    .col(col("quantity").integer())
                    .col(opt("lot").string_len(100))
                    .col(col("status").string_len(20))
                    .col(col("created_by").big_integer())
                    .col(col("created_at").timestamp_with_time_zone())
                    .col(opt("closed_by").big_integer())
                    .col(opt("closed_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("transfers", "from_site_id", "sites"))
                    .foreign_key(&mut fk("transfers", "to_site_id", "sites"))
                    .foreign_key(&mut fk("transfers", "crib_model_id", "crib_models"))
                    .check(Expr::cust("quantity > 0"))
                    .check(Expr::cust("status IN ('in_transit','received','cancelled')"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Alias::new("stock_movements"))
                    .col(pk("id"))
                    .col(col("site_id").big_integer())
                    .col(col("crib_model_id").big_integer())
                    .col(col("kind").string_len(20))
                    .col(col("quantity").integer())
                    .col(opt("lot").string_len(100))
                    .col(opt("reason").string_len(30))
                    .col(opt("note").string_len(500))
                    .col(opt("transfer_id").big_integer())
                    .col(opt("handout_id").big_integer())
                    .col(opt("user_id").big_integer())
                    .col(col("created_at").timestamp_with_time_zone())
                    .foreign_key(&mut fk("stock_movements", "site_id", "sites"))
                    .foreign_key(&mut fk("stock_movements", "crib_model_id", "crib_models"))
                    .foreign_key(&mut fk("stock_movements", "transfer_id", "transfers"))
                    .check(Expr::cust(
                        "kind IN ('receipt','transfer_out','transfer_in','handout','handout_void','adjustment','count_correction')",
                    ))
                    .check(Expr::cust("quantity <> 0"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("stock_movements", "ix_movements_site_at", &["site_id", "created_at"], false))
            .await?;
        manager.create_index(index("stock_movements", "ix_movements_lot", &["lot"], false)).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["stock_movements", "transfers", "stock_balances"]).await
    }
}
