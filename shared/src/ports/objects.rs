//! Files: originals, archive and publication versions, evidence, packages.

use async_trait::async_trait;
use bytes::Bytes;

use super::PortError;

/// Files: originals, archive and publication versions, evidence, packages. Keys always start
/// with `tenants/<tenant>/` (or `public/<tenant>/` for what the public may read).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Atomic: a reader sees the whole object or none of it.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError>;
    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError>;
    async fn exists(&self, key: &str) -> Result<bool, PortError>;
    /// Keys under a prefix, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError>;

    /// Store the file at `path` under `key` without holding it in memory (archive versions of
    /// hundreds of MB). Atomic like `put`.
    async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<(), PortError>;
    /// Like `put_file`, but only if nothing is stored under `key` yet: `false` (and the stored
    /// object unchanged) when something is. Atomic against a concurrent writer of the same key.
    async fn put_file_once(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<bool, PortError>;
    /// Write the object to `path` without holding it in memory; `false` when there is none.
    async fn get_to_file(&self, key: &str, path: &std::path::Path) -> Result<bool, PortError>;

    /// Store the file at `path` as the newest version of `key`; every earlier version stays
    /// (S3 with versioning, as the archive bucket under Object Lock is; the embedded store
    /// keeps them beside its objects). Readers of `key` see the new one, whole.
    async fn put_file_new_version(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<NewVersion, PortError>;
    /// Write version `version` of `key` to `path`; `false` when there is no such version.
    async fn get_version_to_file(
        &self,
        key: &str,
        version: &str,
        path: &std::path::Path,
    ) -> Result<bool, PortError>;
}

/// The versions a new version of an object was written between, as the store names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVersion {
    /// The version it replaced (None: there was none).
    pub earlier: Option<String>,
    pub current: Option<String>,
}
