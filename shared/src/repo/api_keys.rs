//! API keys, stored by the SHA-256 of their secret (`APIKEY#<sha256>`), with an index under
//! the tenant (`T#<t>` / `APIKEY#<id>` → the hash) to list and revoke them by id. A record
//! from before keys had scopes holds only its tenant: it reads as an admin key, and is
//! written in full (with its index) the first time it is used.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::tenants::tenant_pk;
use super::{decode, encode, item, RepoError, Versioned};
use crate::domain::api_key::{ApiKey, Scope};
use crate::domain::TenantId;
use crate::ports::{Expect, StateStore, Write};

#[derive(Clone)]
pub struct ApiKeyRepo {
    state: Arc<dyn StateStore>,
}

fn key_pk(key_hash: &str) -> String {
    format!("APIKEY#{key_hash}")
}

const KEY_SK: &str = "APIKEY";

fn index_sk(id: &str) -> String {
    format!("APIKEY#{id}")
}

/// A key as the repository found it.
pub struct StoredKey {
    pub key: Versioned<ApiKey>,
    /// Read from a record of before scopes: not yet in the tenant's index.
    pub legacy: bool,
}

impl ApiKeyRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    /// Record a new key by its hash, with its place in the tenant's index;
    /// [`RepoError::Conflict`] if the hash or the id is taken.
    pub async fn insert(&self, key_hash: &str, key: &ApiKey) -> Result<(), RepoError> {
        self.state
            .transact(vec![
                Write::Put {
                    item: item(key_pk(key_hash), KEY_SK.into(), encode(key)?),
                    expect: Expect::Absent,
                },
                Write::Put {
                    item: item(
                        tenant_pk(&key.tenant),
                        index_sk(&key.id),
                        json!({ "hash": key_hash }),
                    ),
                    expect: Expect::Absent,
                },
            ])
            .await?;
        Ok(())
    }

    /// The key with this hash.
    pub async fn find(&self, key_hash: &str) -> Result<Option<StoredKey>, RepoError> {
        let Some(item) = self.state.get(&key_pk(key_hash), KEY_SK).await? else {
            return Ok(None);
        };
        if item.data.get("id").is_some() {
            return Ok(Some(StoredKey {
                key: Versioned {
                    value: decode(&item)?,
                    version: item.version,
                },
                legacy: false,
            }));
        }
        let tenant: TenantId = item
            .data
            .get("tenant")
            .cloned()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| RepoError::Corrupt {
                at: "API key record".into(),
                why: "no tenant".into(),
            })?;
        Ok(Some(StoredKey {
            key: Versioned {
                value: ApiKey {
                    id: format!("key_{}", key_hash.get(..16).unwrap_or(key_hash)),
                    tenant,
                    name: "API-nyckel".into(),
                    scopes: [Scope::Admin].into_iter().collect(),
                    created_at: DateTime::<Utc>::UNIX_EPOCH,
                    expires_at: None,
                    revoked_at: None,
                    last_used_at: None,
                },
                version: item.version,
            },
            legacy: true,
        }))
    }

    /// Write a changed key back (its use, its revocation); a legacy record gets its index in
    /// the same transaction. [`RepoError::Conflict`] if it changed since it was read.
    pub async fn update(&self, key_hash: &str, stored: &StoredKey) -> Result<(), RepoError> {
        let key = &stored.key.value;
        let mut writes = vec![Write::Put {
            item: item(key_pk(key_hash), KEY_SK.into(), encode(key)?),
            expect: Expect::Version(stored.key.version),
        }];
        if stored.legacy {
            writes.push(Write::Put {
                item: item(
                    tenant_pk(&key.tenant),
                    index_sk(&key.id),
                    json!({ "hash": key_hash }),
                ),
                expect: Expect::Absent,
            });
        }
        self.state.transact(writes).await?;
        Ok(())
    }

    /// The tenant's keys (by their index), each with its hash.
    pub async fn list(&self, t: &TenantId) -> Result<Vec<(String, StoredKey)>, RepoError> {
        let mut out = Vec::new();
        for entry in self.state.query(&tenant_pk(t), "APIKEY#").await? {
            let Some(hash) = entry.data.get("hash").and_then(|h| h.as_str()) else {
                continue;
            };
            if let Some(stored) = self.find(hash).await? {
                out.push((hash.to_string(), stored));
            }
        }
        Ok(out)
    }

    /// The hash of the tenant's key with this id.
    pub async fn hash_of(&self, t: &TenantId, id: &str) -> Result<Option<String>, RepoError> {
        Ok(self
            .state
            .get(&tenant_pk(t), &index_sk(id))
            .await?
            .and_then(|i| {
                i.data
                    .get("hash")
                    .and_then(|h| h.as_str())
                    .map(String::from)
            }))
    }
}
