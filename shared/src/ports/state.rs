//! State: a small item model that DynamoDB mirrors one to one (single table, one GSI). The
//! key scheme on top of it is `crate::repo`'s alone.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::PortError;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    /// Starts at 1 on create; every successful write adds one.
    pub version: u64,
    pub data: serde_json::Value,
    /// The secondary index ("orders naming this signer", "orders of this committee").
    pub gsi1: Option<IndexKey>,
    /// Unix seconds after which the item may vanish (sessions, BankID orders).
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The item must not exist (create).
    Absent,
    /// The item must exist with exactly this version (optimistic update).
    Version(u64),
}

#[derive(Clone, Debug)]
pub enum Write {
    /// `item.version` is ignored: the store sets it to the expected version + 1 (or 1).
    Put { item: Item, expect: Expect },
    Delete {
        pk: String,
        sk: String,
        expect: Expect,
    },
}

#[derive(Debug, Error)]
pub enum StateError {
    /// A condition did not hold: someone else wrote first. `index` is the failing write.
    #[error("condition failed on write {index}")]
    ConditionFailed { index: usize },
    #[error(transparent)]
    Port(#[from] PortError),
}

#[async_trait]
pub trait StateStore: Send + Sync {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, PortError>;
    /// All writes happen, or none (DynamoDB `TransactWriteItems`).
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StateError>;
    /// Items of one partition whose sort key starts with `sk_prefix`, sorted by sort key.
    async fn query(&self, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError>;
    /// Items whose GSI key has this partition and a sort key starting with `sk_prefix`.
    async fn query_index(&self, gsi_pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError>;
}
