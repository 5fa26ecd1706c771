//! The notices up on a tenant's anslagstavla: what the board is rendered from, so that
//! rendering it (and taking notices down) reads the notices that are up, never every notice
//! ever published.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::tenants::tenant_pk;
use super::{decode, encode, item, RepoError, Versioned};
pub use crate::domain::notice::ArchivedNotice;
use crate::domain::{OrderId, TenantId};
use crate::ports::{Expect, StateStore, Write};

const BOARD_SK: &str = "BOARD";

/// One year of the board's permanent archive: the notices taken down that year.
fn archive_sk(year: i32) -> String {
    format!("BOARD_ARCHIVE#{year}")
}

/// One notice up: its order (the notice's files are named by it) and its dates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeUp {
    pub order_id: OrderId,
    pub posted: NaiveDate,
    pub taken_down: NaiveDate,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardRecord {
    pub notices: Vec<NoticeUp>,
    /// The years the permanent archive has notices for.
    #[serde(default)]
    pub archive_years: Vec<i32>,
}

/// One year of the archive.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardArchive {
    pub notices: Vec<ArchivedNotice>,
}

impl BoardRecord {
    /// The first day a notice must be off the board, if any is up.
    pub fn next_take_down(&self) -> Option<NaiveDate> {
        self.notices.iter().map(|n| n.taken_down).min()
    }
}

#[derive(Clone)]
pub struct BoardRepo {
    state: Arc<dyn StateStore>,
}

impl BoardRepo {
    pub fn new(state: Arc<dyn StateStore>) -> Self {
        Self { state }
    }

    pub async fn load(&self, t: &TenantId) -> Result<Option<Versioned<BoardRecord>>, RepoError> {
        self.get(t, BOARD_SK).await
    }

    pub async fn load_archive(
        &self,
        t: &TenantId,
        year: i32,
    ) -> Result<Option<Versioned<BoardArchive>>, RepoError> {
        self.get(t, &archive_sk(year)).await
    }

    /// Write `record` back over the version read (`None`: there was none). `Conflict` when
    /// another writer came first: load and change again.
    pub async fn save(
        &self,
        t: &TenantId,
        record: &BoardRecord,
        read_version: Option<u64>,
    ) -> Result<(), RepoError> {
        self.put(t, BOARD_SK, record, read_version).await
    }

    /// Write a year of the archive over the version read, as [`save`](Self::save) does.
    pub async fn save_archive(
        &self,
        t: &TenantId,
        year: i32,
        archive: &BoardArchive,
        read_version: Option<u64>,
    ) -> Result<(), RepoError> {
        self.put(t, &archive_sk(year), archive, read_version).await
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        t: &TenantId,
        sk: &str,
    ) -> Result<Option<Versioned<T>>, RepoError> {
        Ok(match self.state.get(&tenant_pk(t), sk).await? {
            Some(it) => Some(Versioned {
                value: decode(&it)?,
                version: it.version,
            }),
            None => None,
        })
    }

    async fn put<T: Serialize>(
        &self,
        t: &TenantId,
        sk: &str,
        value: &T,
        read_version: Option<u64>,
    ) -> Result<(), RepoError> {
        let write = Write::Put {
            item: item(tenant_pk(t), sk.into(), encode(value)?),
            expect: read_version.map_or(Expect::Absent, Expect::Version),
        };
        self.state.transact(vec![write]).await?;
        Ok(())
    }
}
