//! An object store for tests that watches every call before it reaches the real one: to count
//! calls, refuse some, or fail writes on purpose. One delegation instead of one per test.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;

use crate::ports::{NewVersion, ObjectStore, PortError};

/// Which call of the object-store port is being made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjectCall {
    Put,
    Get,
    Exists,
    List,
    PutFile,
    PutFileOnce,
    GetToFile,
    PutFileNewVersion,
    GetVersionToFile,
}

impl ObjectCall {
    /// A call that stores an object.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Self::Put | Self::PutFile | Self::PutFileOnce | Self::PutFileNewVersion
        )
    }
}

/// What a test does around the calls: `before` may refuse one, `written` hears of each object
/// stored (not of a `put_file_once` that found one there already).
pub trait ObjectWatch: Send + Sync {
    fn before(&self, _call: ObjectCall, _key: &str) -> Result<(), PortError> {
        Ok(())
    }
    fn written(&self, _key: &str) {}
}

pub struct WatchedObjects<W> {
    pub inner: Arc<dyn ObjectStore>,
    pub watch: W,
}

#[async_trait::async_trait]
impl<W: ObjectWatch> ObjectStore for WatchedObjects<W> {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        self.watch.before(ObjectCall::Put, key)?;
        self.inner.put(key, bytes, content_type).await?;
        self.watch.written(key);
        Ok(())
    }
    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError> {
        self.watch.before(ObjectCall::Get, key)?;
        self.inner.get(key).await
    }
    async fn exists(&self, key: &str) -> Result<bool, PortError> {
        self.watch.before(ObjectCall::Exists, key)?;
        self.inner.exists(key).await
    }
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        self.watch.before(ObjectCall::List, prefix)?;
        self.inner.list(prefix).await
    }
    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), PortError> {
        self.watch.before(ObjectCall::PutFile, key)?;
        self.inner.put_file(key, path, content_type).await?;
        self.watch.written(key);
        Ok(())
    }
    async fn put_file_once(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<bool, PortError> {
        self.watch.before(ObjectCall::PutFileOnce, key)?;
        let written = self.inner.put_file_once(key, path, content_type).await?;
        if written {
            self.watch.written(key);
        }
        Ok(written)
    }
    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, PortError> {
        self.watch.before(ObjectCall::GetToFile, key)?;
        self.inner.get_to_file(key, path).await
    }
    async fn put_file_new_version(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<NewVersion, PortError> {
        self.watch.before(ObjectCall::PutFileNewVersion, key)?;
        let versions = self
            .inner
            .put_file_new_version(key, path, content_type)
            .await?;
        self.watch.written(key);
        Ok(versions)
    }
    async fn get_version_to_file(
        &self,
        key: &str,
        version: &str,
        path: &Path,
    ) -> Result<bool, PortError> {
        self.watch.before(ObjectCall::GetVersionToFile, key)?;
        self.inner.get_version_to_file(key, version, path).await
    }
}
