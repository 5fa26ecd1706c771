//! Portal sessions, by the SHA-256 of their token, with the person's personnummer encrypted.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{decode, encode, item, RepoError, Versioned};
use crate::ports::{Expect, StateStore, Write};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionRecord {
    pub personnummer_enc: String,
    pub personnummer_hash: String,
    pub name: String,
    pub expires_at: DateTime<Utc>,
}

fn session_pk(token_hash: &str) -> String {
    format!("SESSION#{token_hash}")
}

const SESSION_SK: &str = "SESSION";

#[derive(Clone)]
pub struct SessionRepo {
    state: Arc<dyn StateStore>,
}

impl SessionRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    /// A new session; the store may forget it after `expires_at`.
    pub async fn create(&self, token_hash: &str, rec: &SessionRecord) -> Result<(), RepoError> {
        let mut new = item(session_pk(token_hash), SESSION_SK.into(), encode(rec)?);
        new.expires_at = Some(rec.expires_at.timestamp());
        self.state
            .transact(vec![Write::Put {
                item: new,
                expect: Expect::Absent,
            }])
            .await?;
        Ok(())
    }

    pub async fn get(
        &self,
        token_hash: &str,
    ) -> Result<Option<Versioned<SessionRecord>>, RepoError> {
        match self.state.get(&session_pk(token_hash), SESSION_SK).await? {
            Some(item) => Ok(Some(Versioned {
                value: decode(&item)?,
                version: item.version,
            })),
            None => Ok(None),
        }
    }

    /// End the session, if it is still there.
    pub async fn delete(&self, token_hash: &str) -> Result<(), RepoError> {
        let pk = session_pk(token_hash);
        if let Some(item) = self.state.get(&pk, SESSION_SK).await? {
            self.state
                .transact(vec![Write::Delete {
                    pk,
                    sk: SESSION_SK.into(),
                    expect: Expect::Version(item.version),
                }])
                .await?;
        }
        Ok(())
    }
}
