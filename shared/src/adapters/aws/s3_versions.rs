//! Versions of an object in a bucket with versioning (the archive bucket, under Object Lock):
//! a renewed archive version is a new version of the same key, and every earlier one stays.

use std::path::Path;

use aws_sdk_s3::primitives::ByteStream;

use super::s3::{err, sdk_err, stream_to_file, S3ObjectStore, Stored};
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
        let s3_key = self.s3_key(key)?;
        let earlier = match self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(&s3_key)
            .send()
            .await
        {
            Ok(head) => head.version_id().map(str::to_string),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_not_found() {
                    None
                } else {
                    return Err(sdk_err("HeadObject", key, e));
                }
            }
        };
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        let current = match self.put_body_if(key, body, content_type, false).await? {
            Stored::Version(v) => v,
            Stored::Taken => None,
        };
        Ok(NewVersion { earlier, current })
    }

    pub(super) async fn get_version(
        &self,
        key: &str,
        version: &str,
        path: &Path,
    ) -> Result<bool, PortError> {
        let s3_key = self.s3_key(key)?;
        match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(&s3_key)
            .version_id(version)
            .send()
            .await
        {
            Ok(out) => {
                stream_to_file(out.body, key, path).await?;
                Ok(true)
            }
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let e = e.into_service_error();
                // A version id S3 does not know is a 400 (InvalidArgument), a deleted key 404.
                if e.is_no_such_key() || matches!(status, Some(400 | 404)) {
                    Ok(false)
                } else {
                    Err(sdk_err("GetObject", key, e))
                }
            }
        }
    }
}
