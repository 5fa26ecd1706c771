use async_trait::async_trait;
use bytes::Bytes;
use std::path::{Path, PathBuf};

use crate::ports::{NewVersion, ObjectStore, PortError};

/// Objects as files under a directory; the key is the relative path. Earlier versions of a
/// key written with `put_file_new_version` lie under `.versions/<key>/<n>` (n from 1, oldest
/// first; the current one is n = kept + 1); names starting with a dot are never keys.
pub struct FsObjectStore {
    root: PathBuf,
}

impl FsObjectStore {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, key: &str) -> Result<PathBuf, PortError> {
        let ok = !key.is_empty()
            && key.len() <= 512
            && !key.starts_with('/')
            && key.split('/').all(|seg| {
                !seg.is_empty()
                    && seg != "."
                    && seg != ".."
                    && !seg.starts_with(".")
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '='))
            });
        if !ok {
            return Err(PortError::new(
                "object-store",
                format!("invalid key {key:?}"),
            ));
        }
        Ok(self.root.join(key))
    }

    fn versions_dir(&self, key: &str) -> Result<PathBuf, PortError> {
        self.path(key)?;
        Ok(self.root.join(".versions").join(key))
    }
}

/// How many earlier versions of a key are kept in `dir`.
fn kept_versions(dir: &Path) -> std::io::Result<u64> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut n = 0;
            for e in entries {
                if e?.file_name().to_string_lossy().parse::<u64>().is_ok() {
                    n += 1;
                }
            }
            Ok(n)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

/// The current file is hard-linked among the kept versions before the new one is renamed
/// over it, so a crash in between leaves the current one in place (and at worst one more
/// kept copy of it).
fn put_new_version(source: &Path, current: &Path, versions: &Path) -> std::io::Result<NewVersion> {
    let kept = kept_versions(versions)?;
    let earlier = if current.exists() {
        std::fs::create_dir_all(versions)?;
        std::fs::hard_link(current, versions.join((kept + 1).to_string()))?;
        Some(kept + 1)
    } else {
        None
    };
    super::copy_atomic(source, current)?;
    Ok(NewVersion {
        earlier: earlier.map(|n| n.to_string()),
        current: Some(earlier.map_or(kept + 1, |n| n + 1).to_string()),
    })
}

fn copy_version(
    current: &Path,
    versions: &Path,
    version: &str,
    target: &Path,
) -> std::io::Result<bool> {
    let Ok(n) = version.parse::<u64>() else {
        return Ok(false);
    };
    let kept = kept_versions(versions)?;
    let source = if n == kept + 1 {
        current.to_path_buf()
    } else if (1..=kept).contains(&n) {
        versions.join(n.to_string())
    } else {
        return Ok(false);
    };
    match std::fs::File::open(&source) {
        Ok(mut from) => {
            let mut to = std::fs::File::create(target)?;
            std::io::copy(&mut from, &mut to)?;
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

fn io_err(e: std::io::Error) -> PortError {
    PortError::new("object-store", e)
}

#[async_trait]
impl ObjectStore for FsObjectStore {
    async fn put(&self, key: &str, bytes: Bytes, _content_type: &str) -> Result<(), PortError> {
        let path = self.path(key)?;
        tokio::task::spawn_blocking(move || super::write_atomic(&path, &bytes))
            .await
            .map_err(|e| PortError::new("object-store", e))?
            .map_err(io_err)
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(b) => Ok(Some(Bytes::from(b))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(e)),
        }
    }

    async fn exists(&self, key: &str) -> Result<bool, PortError> {
        let path = self.path(key)?;
        Ok(tokio::fs::try_exists(&path).await.map_err(io_err)?)
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let root = self.root.clone();
        let prefix = prefix.to_string();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            walk(&root, &root, &mut out).map_err(io_err)?;
            out.retain(|k| k.starts_with(&prefix));
            out.sort();
            Ok(out)
        })
        .await
        .map_err(|e| PortError::new("object-store", e))?
    }

    async fn put_file(&self, key: &str, path: &Path, _content_type: &str) -> Result<(), PortError> {
        let target = self.path(key)?;
        let source = path.to_path_buf();
        tokio::task::spawn_blocking(move || super::copy_atomic(&source, &target))
            .await
            .map_err(|e| PortError::new("object-store", e))?
            .map_err(io_err)
    }

    async fn put_file_once(
        &self,
        key: &str,
        path: &Path,
        _content_type: &str,
    ) -> Result<bool, PortError> {
        let target = self.path(key)?;
        let source = path.to_path_buf();
        tokio::task::spawn_blocking(move || super::copy_once(&source, &target))
            .await
            .map_err(|e| PortError::new("object-store", e))?
            .map_err(io_err)
    }

    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, PortError> {
        let source = self.path(key)?;
        let target = path.to_path_buf();
        tokio::task::spawn_blocking(move || match std::fs::File::open(&source) {
            Ok(mut from) => {
                let mut to = std::fs::File::create(&target)?;
                std::io::copy(&mut from, &mut to)?;
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        })
        .await
        .map_err(|e| PortError::new("object-store", e))?
        .map_err(io_err)
    }

    async fn put_file_new_version(
        &self,
        key: &str,
        path: &Path,
        _content_type: &str,
    ) -> Result<NewVersion, PortError> {
        let (current, versions) = (self.path(key)?, self.versions_dir(key)?);
        let source = path.to_path_buf();
        tokio::task::spawn_blocking(move || put_new_version(&source, &current, &versions))
            .await
            .map_err(|e| PortError::new("object-store", e))?
            .map_err(io_err)
    }

    async fn get_version_to_file(
        &self,
        key: &str,
        version: &str,
        path: &Path,
    ) -> Result<bool, PortError> {
        let (current, versions) = (self.path(key)?, self.versions_dir(key)?);
        let (version, target) = (version.to_string(), path.to_path_buf());
        tokio::task::spawn_blocking(move || copy_version(&current, &versions, &version, &target))
            .await
            .map_err(|e| PortError::new("object-store", e))?
            .map_err(io_err)
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue; // temporary files of writes in progress
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            walk(root, &path, out)?;
        } else if let Ok(rel) = path.strip_prefix(root) {
            out.push(rel.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn behaves_like_an_object_store() {
        let dir = tempfile::tempdir().unwrap();
        crate::port_tests::object_store_suite(&FsObjectStore::new(dir.path())).await;
        let dir = tempfile::tempdir().unwrap();
        crate::port_tests::object_versions_suite(&FsObjectStore::new(dir.path())).await;
    }

    #[tokio::test]
    async fn keys_cannot_escape_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let s = FsObjectStore::new(dir.path());
        for bad in [
            "../x",
            "/etc/passwd",
            "a//b",
            "a/./b",
            "a/.hidden",
            "a b",
            "",
        ] {
            assert!(
                s.put(bad, Bytes::from_static(b"x"), "x").await.is_err(),
                "{bad}"
            );
        }
    }
}
