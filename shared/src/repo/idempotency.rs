//! Calls made under an `Idempotency-Key`: `IDEM#<sha256(credential)>` / `KEY#<sha256(key)>`,
//! kept 24 hours (the store's expiry). Keyed by the caller's credential, so two API keys never
//! share a key's answer.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{decode, encode, item, RepoError, Versioned};
use crate::domain::idempotency::{IdempotentCall, KEEP_ANSWER};
use crate::ports::{Expect, StateStore, Write};

#[derive(Clone)]
pub struct IdempotencyRepo {
    state: Arc<dyn StateStore>,
}

fn pk(scope_hash: &str) -> String {
    format!("IDEM#{scope_hash}")
}

fn sk(key_hash: &str) -> String {
    format!("KEY#{key_hash}")
}

impl IdempotencyRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    pub async fn get(
        &self,
        scope_hash: &str,
        key_hash: &str,
    ) -> Result<Option<Versioned<IdempotentCall>>, RepoError> {
        Ok(
            match self.state.get(&pk(scope_hash), &sk(key_hash)).await? {
                Some(item) => Some(Versioned {
                    value: decode(&item)?,
                    version: item.version,
                }),
                None => None,
            },
        )
    }

    /// Write the call: new (`version` None) or over the version read. [`RepoError::Conflict`]
    /// when another call wrote first. Answers the new version.
    pub async fn put(
        &self,
        scope_hash: &str,
        key_hash: &str,
        call: &IdempotentCall,
        version: Option<u64>,
    ) -> Result<u64, RepoError> {
        let mut record = item(pk(scope_hash), sk(key_hash), encode(call)?);
        record.expires_at = Some(expiry(call.started_at));
        let expect = match version {
            Some(v) => Expect::Version(v),
            None => Expect::Absent,
        };
        self.state
            .transact(vec![Write::Put {
                item: record,
                expect,
            }])
            .await?;
        Ok(version.map_or(1, |v| v + 1))
    }

    /// Forget the call (it ended in an answer that is not kept).
    pub async fn delete(
        &self,
        scope_hash: &str,
        key_hash: &str,
        version: u64,
    ) -> Result<(), RepoError> {
        self.state
            .transact(vec![Write::Delete {
                pk: pk(scope_hash),
                sk: sk(key_hash),
                expect: Expect::Version(version),
            }])
            .await?;
        Ok(())
    }
}

/// When the store may drop the record (seconds since the epoch).
fn expiry(started_at: DateTime<Utc>) -> i64 {
    (started_at + KEEP_ANSWER).timestamp()
}
