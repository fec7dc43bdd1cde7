//! The write transactions `api::answer::run_write_prepared_in` drives, behind one trait:
//! SeaORM's (`db::begin_write`), and on SQLite the `HeldWrite` of the handout's hot path;
//! `Write` is either, chosen per request (decision 0015).

use crate::store::constraints::{self, Unique};
use crate::store::idempotency::{self, StoredAnswer};
use crate::store::sqlite::held_write::HeldWrite;
use sea_orm::{DatabaseTransaction, DbErr};
use std::future::Future;

/// A write transaction that can commit with an answer kept for a retry.
pub trait WriteTxn: Send + Sized {
    /// Keep `answer` under the key and commit; false (and nothing committed) when another
    /// request kept an answer under this key first.
    fn commit_keeping(
        self,
        user_id: i64,
        key: &str,
        hash: &str,
        answer: &StoredAnswer,
    ) -> impl Future<Output = Result<bool, DbErr>> + Send;
    /// Commit.
    fn commit(self) -> impl Future<Output = Result<(), DbErr>> + Send;
    /// Roll back.
    fn rollback(self) -> impl Future<Output = Result<(), DbErr>> + Send;
}

impl WriteTxn for DatabaseTransaction {
    async fn commit_keeping(self, user_id: i64, key: &str, hash: &str, answer: &StoredAnswer) -> Result<bool, DbErr> {
        if idempotency::save(&self, user_id, key, hash, answer).await? {
            DatabaseTransaction::commit(self).await?;
            Ok(true)
        } else {
            DatabaseTransaction::rollback(self).await?;
            Ok(false)
        }
    }
    async fn commit(self) -> Result<(), DbErr> {
        DatabaseTransaction::commit(self).await
    }
    async fn rollback(self) -> Result<(), DbErr> {
        DatabaseTransaction::rollback(self).await
    }
}

impl WriteTxn for HeldWrite {
    async fn commit_keeping(
        mut self,
        user_id: i64,
        key: &str,
        hash: &str,
        answer: &StoredAnswer,
    ) -> Result<bool, DbErr> {
        if self.committed() {
            // NOTE: a HeldWrite that commits with its first script keeps no answer.
            return Err(DbErr::Custom("an answer to keep after the transaction committed".into()));
        }
        // The answer's row and COMMIT in one round trip; the unique index refuses a key
        // taken meanwhile, and then the whole transaction is rolled back.
        match self.commit_with(Some(idempotency::insert_statement(user_id, key, hash, answer))).await {
            Ok(_) => Ok(true),
            Err(e) if constraints::unique_violation(&e) == Some(Unique::IdempotencyKey) => Ok(false),
            Err(e) => Err(e),
        }
    }
    async fn commit(mut self) -> Result<(), DbErr> {
        self.commit_with(None).await.map(|_| ())
    }
    async fn rollback(mut self) -> Result<(), DbErr> {
        HeldWrite::rollback(&mut self).await;
        Ok(())
    }
}

/// SeaORM's transaction or a held one.
pub enum Write {
    Orm(DatabaseTransaction),
    Held(HeldWrite),
}

impl WriteTxn for Write {
    async fn commit_keeping(self, user_id: i64, key: &str, hash: &str, answer: &StoredAnswer) -> Result<bool, DbErr> {
        match self {
            Write::Orm(t) => t.commit_keeping(user_id, key, hash, answer).await,
            Write::Held(h) => h.commit_keeping(user_id, key, hash, answer).await,
        }
    }
    async fn commit(self) -> Result<(), DbErr> {
        match self {
            Write::Orm(t) => WriteTxn::commit(t).await,
            Write::Held(h) => WriteTxn::commit(h).await,
        }
    }
    async fn rollback(self) -> Result<(), DbErr> {
        match self {
            Write::Orm(t) => WriteTxn::rollback(t).await,
            Write::Held(h) => WriteTxn::rollback(h).await,
        }
    }
}
