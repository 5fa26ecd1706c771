//! BankID orders in progress, under our own reference (the browser follows ours, so an order
//! restarted after `startFailed` keeps its reference). They expire with BankID's own.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{decode, encode, item, RepoError, Versioned};
use crate::domain::{OrderId, SignerId, TenantId};
use crate::ports::{EndUser, Expect, StateStore, Write};

/// A BankID order we started: what it is for, BankID's current order, and the secret needed
/// for its animated QR.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EidOrderRecord {
    pub purpose: EidPurpose,
    pub bankid_order_ref: String,
    pub qr_start_token: String,
    pub qr_start_secret: String,
    pub started_at: DateTime<Utc>,
    pub end_user: EndUser,
    /// How many times the order was started again after nobody scanned the QR code in time.
    pub restarts: u32,
    /// BankID asks relying parties to collect at most every two seconds; polls in between
    /// get the last answer.
    pub last_collect_at: Option<DateTime<Utc>>,
    pub last_hint: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EidPurpose {
    Login,
    Sign {
        session_hash: String,
        tenant: TenantId,
        order_id: OrderId,
        signer_id: SignerId,
        version: u32,
        user_visible_data_b64: String,
        user_non_visible_data_b64: String,
    },
}

fn eid_pk(our_ref: &str) -> String {
    format!("EID#{our_ref}")
}

const EID_SK: &str = "EID";

#[derive(Clone)]
pub struct EidOrderRepo {
    state: Arc<dyn StateStore>,
}

impl EidOrderRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    pub async fn create(
        &self,
        our_ref: &str,
        rec: &EidOrderRecord,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut new = item(eid_pk(our_ref), EID_SK.into(), encode(rec)?);
        new.expires_at = Some(expires_at.timestamp());
        self.state
            .transact(vec![Write::Put {
                item: new,
                expect: Expect::Absent,
            }])
            .await?;
        Ok(())
    }

    /// The order, unless it has expired at `now`.
    pub async fn get(
        &self,
        our_ref: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Versioned<EidOrderRecord>>, RepoError> {
        let found = self
            .state
            .get(&eid_pk(our_ref), EID_SK)
            .await?
            .filter(|i| i.expires_at.is_none_or(|e| e > now.timestamp()));
        match found {
            Some(item) => Ok(Some(Versioned {
                value: decode(&item)?,
                version: item.version,
            })),
            None => Ok(None),
        }
    }

    /// Write the record back on the version read; [`RepoError::Conflict`] if another poll
    /// wrote first.
    pub async fn save(
        &self,
        our_ref: &str,
        rec: &EidOrderRecord,
        version: u64,
        expires_at: DateTime<Utc>,
    ) -> Result<(), RepoError> {
        let mut new = item(eid_pk(our_ref), EID_SK.into(), encode(rec)?);
        new.expires_at = Some(expires_at.timestamp());
        self.state
            .transact(vec![Write::Put {
                item: new,
                expect: Expect::Version(version),
            }])
            .await?;
        Ok(())
    }

    pub async fn delete(&self, our_ref: &str, version: u64) -> Result<(), RepoError> {
        self.state
            .transact(vec![Write::Delete {
                pk: eid_pk(our_ref),
                sk: EID_SK.into(),
                expect: Expect::Version(version),
            }])
            .await?;
        Ok(())
    }
}
