//! Tenants: their settings and seal chain, and the list of them.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{decode, encode, item, RepoError, Versioned};
use crate::domain::{Tenant, TenantId};
use crate::ports::{Expect, StateStore, Write};

/// The partition of a tenant's documents and orders.
pub(super) fn tenant_pk(t: &TenantId) -> String {
    format!("T#{t}")
}

fn record_pk(t: &TenantId) -> String {
    format!("TENANT#{t}")
}

const RECORD_SK: &str = "TENANT";
const LIST_PK: &str = "TENANTS";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TenantRecord {
    pub tenant: Tenant,
    /// PEM: the seal certificate first, then its CA chain.
    pub seal_chain_pem: Option<String>,
    /// The key signer's key id for this tenant's seal key.
    pub seal_key_id: String,
}

impl TenantRecord {
    /// A new tenant's record: no seal chain yet, its seal key named after it.
    pub fn new(tenant: Tenant) -> Self {
        Self {
            seal_key_id: format!("seal-{}", tenant.id),
            tenant,
            seal_chain_pem: None,
        }
    }
}

#[derive(Clone)]
pub struct TenantRepo {
    state: Arc<dyn StateStore>,
}

impl TenantRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    pub async fn get(&self, t: &TenantId) -> Result<Option<Versioned<TenantRecord>>, RepoError> {
        match self.state.get(&record_pk(t), RECORD_SK).await? {
            Some(item) => Ok(Some(Versioned {
                value: decode(&item)?,
                version: item.version,
            })),
            None => Ok(None),
        }
    }

    /// The record, its place in the list and the mark that its index of active work is
    /// complete (a new tenant has no orders), all or none. `false` when the tenant exists.
    pub async fn create(&self, rec: &TenantRecord) -> Result<bool, RepoError> {
        let t = &rec.tenant.id;
        let writes = vec![
            Write::Put {
                item: super::orders::active_index_built(t),
                expect: Expect::Absent,
            },
            Write::Put {
                item: item(record_pk(t), RECORD_SK.into(), encode(rec)?),
                expect: Expect::Absent,
            },
            Write::Put {
                item: item(
                    LIST_PK.into(),
                    format!("TENANT#{t}"),
                    serde_json::json!({ "tenant": t }),
                ),
                expect: Expect::Absent,
            },
        ];
        match self.state.transact(writes).await.map_err(RepoError::from) {
            Ok(()) => Ok(true),
            Err(RepoError::Conflict) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Write back a record read at `version`; [`RepoError::Conflict`] if it changed since.
    pub async fn update(&self, rec: &TenantRecord, version: u64) -> Result<(), RepoError> {
        let t = &rec.tenant.id;
        self.state
            .transact(vec![Write::Put {
                item: item(record_pk(t), RECORD_SK.into(), encode(rec)?),
                expect: Expect::Version(version),
            }])
            .await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<TenantId>, RepoError> {
        let items = self.state.query(LIST_PK, "TENANT#").await?;
        Ok(items
            .iter()
            .filter_map(|i| i.data.get("tenant").cloned())
            .filter_map(|v| serde_json::from_value(v).ok())
            .collect())
    }
}
