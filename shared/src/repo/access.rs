//! Who may act for a tenant as a person: staff, found by the keyed hash of their personnummer
//! (API keys are in `api_keys.rs`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{decode, encode, item, RepoError};
use crate::domain::{StaffRole, TenantId};
use crate::ports::{Expect, StateStore, Write};

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
