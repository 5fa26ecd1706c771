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
}
