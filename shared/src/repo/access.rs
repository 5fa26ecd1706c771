//! Who may act for a tenant: API keys (stored as their SHA-256) and staff (found by the keyed
//! hash of their personnummer).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{decode, encode, item, RepoError};
use crate::domain::{StaffRole, TenantId};
use crate::ports::{Expect, StateStore, Write};

#[derive(Clone)]
pub struct ApiKeyRepo {
    state: Arc<dyn StateStore>,
}

fn key_pk(key_hash: &str) -> String {
    format!("APIKEY#{key_hash}")
}

const KEY_SK: &str = "APIKEY";

impl ApiKeyRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    /// Record a new key by its hash; [`RepoError::Conflict`] if the hash is taken.
    pub async fn insert(&self, key_hash: &str, tenant: &TenantId) -> Result<(), RepoError> {
        self.state
            .transact(vec![Write::Put {
                item: item(
                    key_pk(key_hash),
                    KEY_SK.into(),
                    serde_json::json!({ "tenant": tenant }),
                ),
                expect: Expect::Absent,
            }])
            .await?;
        Ok(())
    }

    /// The tenant a key (by its hash) belongs to.
    pub async fn tenant_of(&self, key_hash: &str) -> Result<Option<TenantId>, RepoError> {
        let Some(item) = self.state.get(&key_pk(key_hash), KEY_SK).await? else {
            return Ok(None);
        };
        item.data
            .get("tenant")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .map(Some)
            .ok_or_else(|| RepoError::Corrupt {
                at: "API key record".into(),
                why: "no tenant".into(),
            })
    }
}

/// A person's place at a tenant. The personnummer itself is never stored here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMembership {
    pub tenant: TenantId,
    pub name: String,
    pub role: StaffRole,
    pub personnummer_masked: String,
}

#[derive(Clone)]
pub struct StaffRepo {
    state: Arc<dyn StateStore>,
}

fn staff_pk(person_hash: &str) -> String {
    format!("STAFF#{person_hash}")
}

impl StaffRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    /// Add or replace the membership of the person with this keyed hash.
    pub async fn put(&self, person_hash: &str, m: &StaffMembership) -> Result<(), RepoError> {
        let (pk, sk) = (staff_pk(person_hash), format!("TENANT#{}", m.tenant));
        let existing = self.state.get(&pk, &sk).await?;
        let expect = existing.map_or(Expect::Absent, |i| Expect::Version(i.version));
        self.state
            .transact(vec![Write::Put {
                item: item(pk, sk, encode(m)?),
                expect,
            }])
            .await?;
        Ok(())
    }

    /// Every tenant the person with this keyed hash is staff of.
    pub async fn memberships(&self, person_hash: &str) -> Result<Vec<StaffMembership>, RepoError> {
        let items = self.state.query(&staff_pk(person_hash), "TENANT#").await?;
        items.iter().map(decode).collect()
    }
}
