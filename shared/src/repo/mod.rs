//! Typed repositories over the state store, and the object keys: the one place that knows how
//! records sit in the single table and where files lie. No other file writes a `pk` or `sk`.
//!
//! | pk                    | sk                         | what | repository |
//! |-----------------------|----------------------------|------|------------|
//! | `TENANT#<t>`          | `TENANT`                   | tenant settings and seal chain | [`TenantRepo`] |
//! | `TENANTS`             | `TENANT#<t>`               | the list of tenants | [`TenantRepo`] |
//! | `APIKEY#<sha256>`     | `APIKEY`                   | an API key by the hash of its secret: tenant, name, scopes, expiry, revocation, last use | [`ApiKeyRepo`] |
//! | `STAFF#<hmac(pnr)>`   | `TENANT#<t>`               | a person's role at a tenant | [`StaffRepo`] |
//! | `T#<t>`               | `APIKEY#<id>`              | index of the tenant's API keys (→ the hash) | [`ApiKeyRepo`] |
//! | `T#<t>`               | `DOC#<sha256>`             | an uploaded document | [`DocumentRepo`] |
//! | `T#<t>`               | `ORDER#<id>`               | a signing order (personnummer encrypted); GSI1 = committee | [`OrderRepo`] |
//! | `T#<t>`               | `ACTIVE#<id>`              | index of active work: an order housekeeping may have work on | [`OrderRepo`] |
//! | `T#<t>`               | `ACTIVE_INDEX`             | the index of active work is built for this tenant | [`OrderRepo`] |
//! | `T#<t>`               | `PROOF#<YYYY-MM>#<id>`     | index of kept archive versions by the month their proof of existence ends | [`OrderRepo`] |
//! | `T#<t>`               | `RENEWAL_ROUND`            | the day of the tenant's last renewal round | [`OrderRepo`] |
//! | `T#<t>`               | `BOARD`                    | the notices up on the anslagstavla, with their dates | [`BoardRepo`] |
//! | `SIGNER#<hmac(pnr)>`  | `ORDER#<t>#<id>`           | "orders naming this signer" | [`OrderRepo`] |
//! | `SESSION#<sha256>`    | `SESSION`                  | a portal session (TTL) | [`SessionRepo`] |
//! | `IDEM#<sha256(credential)>` | `KEY#<sha256(key)>`  | a call made under an `Idempotency-Key`, its answer kept 24 hours (TTL) | [`IdempotencyRepo`] |
//! | `EID#<our ref>`       | `EID`                      | a BankID order in progress (TTL) | [`EidOrderRepo`] |
//! | `KEYRING`             | `PERSONAL_DATA#1`          | the personal-data key, wrapped by KMS | [`keyring`] |
//!
//! Files: [`files`].

mod access;
mod api_keys;
mod board;
mod documents;
mod eid_orders;
pub mod files;
mod idempotency;
pub mod keyring;
mod orders;
mod proof_index;
mod sessions;
mod tenants;

pub use access::{StaffMembership, StaffRepo};
pub use api_keys::{ApiKeyRepo, StoredKey};
pub use board::{ArchivedNotice, BoardArchive, BoardRecord, BoardRepo, NoticeUp};
pub use documents::DocumentRepo;
pub use eid_orders::{EidOrderRecord, EidOrderRepo, EidPurpose};
pub use idempotency::IdempotencyRepo;
pub use orders::OrderRepo;
pub use sessions::{SessionRecord, SessionRepo};
pub use tenants::{TenantRecord, TenantRepo};

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;

use crate::domain::TenantId;
use crate::ports::{Item, PortError, StateError, StateStore};

/// A record with the version it was read at, for a conditional write back.
#[derive(Clone, Debug)]
pub struct Versioned<T> {
    pub value: T,
    pub version: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A condition did not hold: someone else wrote first.
    #[error("someone else changed the record at the same time")]
    Conflict,
    /// A stored record this version cannot read.
    #[error("stored record {at} cannot be read: {why}")]
    Corrupt { at: String, why: String },
    #[error(transparent)]
    Port(#[from] PortError),
}

impl From<StateError> for RepoError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::ConditionFailed { .. } => RepoError::Conflict,
            StateError::Port(p) => RepoError::Port(p),
        }
    }
}

fn item(pk: String, sk: String, data: Value) -> Item {
    Item {
        pk,
        sk,
        version: 0,
        data,
        gsi1: None,
        expires_at: None,
    }
}

fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, RepoError> {
    serde_json::from_value(item.data.clone()).map_err(|e| RepoError::Corrupt {
        at: format!("{}/{}", item.pk, item.sk),
        why: e.to_string(),
    })
}

fn encode<T: Serialize>(value: &T) -> Result<Value, RepoError> {
    serde_json::to_value(value).map_err(|e| RepoError::Corrupt {
        at: "new record".into(),
        why: e.to_string(),
    })
}

/// SHA-256 of a secret (API key, session token) as hex: what is stored instead of it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Every state item of a tenant's own partition (documents and orders), in key order: what
/// tests compare to show that a duplicate delivery changed nothing.
pub async fn tenant_items(state: &dyn StateStore, t: &TenantId) -> Result<Vec<Item>, RepoError> {
    Ok(state.query(&tenants::tenant_pk(t), "").await?)
}
