//! Versions of an object in a bucket with versioning (the archive bucket, under Object Lock):
//! a renewed archive version is a new version of the same key, and every earlier one stays
//! (read back by `S3ObjectStore::download` with its version id).

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;

use super::s3::{err, S3ObjectStore, Stored};
use crate::ports::{NewVersion, PortError};

impl S3ObjectStore {
    /// The version now current (HeadObject), then the new one (PutObject): S3 answers each
    /// with its version id. Without versioning on the bucket S3 says `null` for both, and the
    /// earlier object is gone: the template turns versioning on.
    pub(super) async fn put_new_version(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<NewVersion, PortError> {
        let earlier = self
            .head(key)
            .await?
            .and_then(|head| head.version_id().map(str::to_string));
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        let current = match self.put_body_if(key, body, content_type, false).await? {
            Stored::Version(v) => v,
            Stored::Taken => None,
        };
        Ok(NewVersion { earlier, current })
    }
}
