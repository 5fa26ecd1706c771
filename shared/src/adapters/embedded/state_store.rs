use async_trait::async_trait;
use redb::{Database, ReadableTable, TableDefinition};
use std::path::Path;
use std::sync::Arc;

use crate::ports::{Expect, Item, PortError, StateError, StateStore, Write};

const ITEMS: TableDefinition<&str, &[u8]> = TableDefinition::new("items");
const GSI1: TableDefinition<&str, &str> = TableDefinition::new("gsi1");
const SEP: char = '\u{0}';

/// The state store on redb: one write transaction at a time, so conditions checked inside
/// it hold until commit. Mirrors the DynamoDB single table (pk, sk, version, gsi1).
pub struct RedbStateStore {
    db: Arc<Database>,
}

fn db_err(e: impl std::fmt::Display) -> PortError {
    PortError::new("state-store", e)
}

fn item_key(pk: &str, sk: &str) -> String {
    format!("{pk}{SEP}{sk}")
}

fn gsi_key(item: &Item) -> Option<String> {
    item.gsi1
        .as_ref()
        .map(|g| format!("{}{SEP}{}{SEP}{}{SEP}{}", g.pk, g.sk, item.pk, item.sk))
}

impl RedbStateStore {
    pub fn open(path: &Path) -> Result<Self, PortError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(db_err)?;
        }
        let db = Database::create(path).map_err(db_err)?;
        let txn = db.begin_write().map_err(db_err)?;
        txn.open_table(ITEMS).map_err(db_err)?;
        txn.open_table(GSI1).map_err(db_err)?;
        txn.commit().map_err(db_err)?;
        Ok(Self { db: Arc::new(db) })
    }

    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> T + Send + 'static,
    ) -> Result<T, PortError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(db_err)
    }
}

fn decode(bytes: &[u8]) -> Result<Item, PortError> {
    serde_json::from_slice(bytes).map_err(db_err)
}

fn scan_prefix(db: &Database, prefix: &str) -> Result<Vec<Item>, PortError> {
    let txn = db.begin_read().map_err(db_err)?;
    let table = txn.open_table(ITEMS).map_err(db_err)?;
    let mut out = Vec::new();
    for row in table.range(prefix..).map_err(db_err)? {
        let (k, v) = row.map_err(db_err)?;
        if !k.value().starts_with(prefix) {
            break;
        }
        out.push(decode(v.value())?);
    }
    Ok(out)
}

#[async_trait]
impl StateStore for RedbStateStore {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, PortError> {
        let key = item_key(pk, sk);
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let table = txn.open_table(ITEMS).map_err(db_err)?;
            let found = table.get(key.as_str()).map_err(db_err)?;
            found.map(|v| decode(v.value())).transpose()
        })
        .await?
    }

    async fn transact(&self, writes: Vec<Write>) -> Result<(), StateError> {
        self.blocking(move |db| -> Result<(), StateError> {
            let txn = db.begin_write().map_err(db_err)?;
            {
                let mut items = txn.open_table(ITEMS).map_err(db_err)?;
                let mut gsi = txn.open_table(GSI1).map_err(db_err)?;
                for (index, write) in writes.into_iter().enumerate() {
                    let (pk, sk, expect) = match &write {
                        Write::Put { item, expect } => (item.pk.clone(), item.sk.clone(), expect),
                        Write::Delete { pk, sk, expect } => (pk.clone(), sk.clone(), expect),
                    };
                    let key = item_key(&pk, &sk);
                    let existing = items
                        .get(key.as_str())
                        .map_err(db_err)?
                        .map(|v| decode(v.value()))
                        .transpose()?;
                    let holds = match (expect, &existing) {
                        (Expect::Absent, None) => true,
                        (Expect::Version(v), Some(old)) => old.version == *v,
                        _ => false,
                    };
                    if !holds {
                        // Dropping the transaction without commit aborts every write.
                        return Err(StateError::ConditionFailed { index });
                    }
                    if let Some(old_gsi) = existing.as_ref().and_then(gsi_key) {
                        gsi.remove(old_gsi.as_str()).map_err(db_err)?;
                    }
                    match write {
                        Write::Put { mut item, .. } => {
                            item.version = existing.map(|o| o.version).unwrap_or(0) + 1;
                            let bytes = serde_json::to_vec(&item).map_err(db_err)?;
                            items
                                .insert(key.as_str(), bytes.as_slice())
                                .map_err(db_err)?;
                            if let Some(g) = gsi_key(&item) {
                                gsi.insert(g.as_str(), key.as_str()).map_err(db_err)?;
                            }
                        }
                        Write::Delete { .. } => {
                            items.remove(key.as_str()).map_err(db_err)?;
                        }
                    }
                }
            }
            txn.commit().map_err(db_err)?;
            Ok(())
        })
        .await?
    }

    async fn query(&self, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let prefix = item_key(pk, sk_prefix);
        self.blocking(move |db| scan_prefix(db, &prefix)).await?
    }

    async fn query_index(&self, gsi_pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let prefix = format!("{gsi_pk}{SEP}{sk_prefix}");
        self.blocking(move |db| {
            let txn = db.begin_read().map_err(db_err)?;
            let gsi = txn.open_table(GSI1).map_err(db_err)?;
            let items = txn.open_table(ITEMS).map_err(db_err)?;
            let mut out = Vec::new();
            for row in gsi.range(prefix.as_str()..).map_err(db_err)? {
                let (k, v) = row.map_err(db_err)?;
                if !k.value().starts_with(prefix.as_str()) {
                    break;
                }
                if let Some(item) = items.get(v.value()).map_err(db_err)? {
                    out.push(decode(item.value())?);
                }
            }
            Ok(out)
        })
        .await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn behaves_like_a_state_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = RedbStateStore::open(&dir.path().join("state.redb")).unwrap();
        crate::port_tests::state_store_suite(&store).await;
    }

    #[tokio::test]
    async fn survives_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        {
            let store = RedbStateStore::open(&path).unwrap();
            crate::port_tests::put_new(&store, "p", "s", serde_json::json!({"a": 1})).await;
        }
        let store = RedbStateStore::open(&path).unwrap();
        assert_eq!(store.get("p", "s").await.unwrap().unwrap().version, 1);
    }
}
