//! Direct uploads past a function's request-body cap (S3 and a presigned PUT).

use async_trait::async_trait;
use serde::Serialize;

use super::PortError;

/// A request a client sends as given to upload straight to storage: every header is part of
/// the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PresignedUpload {
    pub url: String,
    pub method: String,
    pub headers: std::collections::BTreeMap<String, String>,
}

/// Where documents are uploaded directly, past a function's request-body cap (S3 and a
/// presigned PUT); the upload function takes each in when storage reports it arrived. Keys
/// carry the file name the secretary chose, so any key storage accepts is read.
#[async_trait]
pub trait UploadsBucket: Send + Sync {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        valid_for: std::time::Duration,
    ) -> Result<PresignedUpload, PortError>;
    /// Write the object to `path` without holding it in memory (an upload may be hundreds of
    /// MB); `false` when there is none.
    async fn get_to_file(&self, key: &str, path: &std::path::Path) -> Result<bool, PortError>;
}
