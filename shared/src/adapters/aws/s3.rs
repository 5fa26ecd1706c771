//! Objects in one S3 bucket (`ports::ObjectStore`), every key under an optional prefix.
//!
//! - Writes are single `PutObject` calls, so a reader sees the whole object or none of it;
//!   `put_file` streams the body from disk (S3 takes up to 5 GB in one PUT) and
//!   `get_to_file` streams it to a temporary file that is renamed into place when complete.
//! - With a KMS key configured every write asks for SSE-KMS with that key (a bucket default
//!   would do too; asking per write keeps the guarantee when the bucket is not ours).
//! - With an endpoint URL (an emulator, or S3-compatible storage under Swedish jurisdiction)
//!   requests use path-style addressing: virtual-host names would not resolve.
//! - Large uploads bypass the function-URL body limit with a presigned PUT (`presign_put`).

use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use bytes::Bytes;

use crate::ports::{NewVersion, ObjectStore, PortError, PresignedUpload, UploadsBucket};

#[derive(Clone, Debug, Default)]
pub struct S3Settings {
    pub bucket: String,
    /// Prepended to every key, e.g. `esign/` (empty: keys are used as they are).
    pub prefix: String,
    /// SSE-KMS key id or ARN for writes (None: the bucket's default encryption).
    pub kms_key_id: Option<String>,
    /// Path-style addressing even without an endpoint URL in the SDK configuration.
    pub force_path_style: bool,
}

impl S3Settings {
    /// `ESIGN_BUCKET` (required), `ESIGN_BUCKET_PREFIX`, `ESIGN_BUCKET_KMS_KEY_ID` and
    /// `ESIGN_S3_PATH_STYLE=true` (for S3-compatible storage reached without an endpoint
    /// override in the SDK configuration).
    pub fn from_env() -> Result<Self, PortError> {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let bucket =
            var("ESIGN_BUCKET").ok_or_else(|| err("missing setting ESIGN_BUCKET".to_string()))?;
        let prefix = var("ESIGN_BUCKET_PREFIX").unwrap_or_default();
        if prefix.starts_with('/') || prefix.contains("//") {
            return Err(err(format!("invalid ESIGN_BUCKET_PREFIX {prefix:?}")));
        }
        Ok(Self {
            bucket,
            prefix,
            kms_key_id: var("ESIGN_BUCKET_KMS_KEY_ID"),
            force_path_style: matches!(
                var("ESIGN_S3_PATH_STYLE").as_deref(),
                Some("1" | "true" | "yes")
            ),
        })
    }
}

/// What a PutObject did: stored, with the version id S3 gave the object (None without
/// versioning on the bucket), or found the key taken.
pub(super) enum Stored {
    Version(Option<String>),
    Taken,
}

pub struct S3ObjectStore {
    client: aws_sdk_s3::Client,
    settings: S3Settings,
}

pub(super) fn err(message: impl std::fmt::Display) -> PortError {
    PortError::new("object-store", message)
}

fn sdk_err<E: std::error::Error + 'static>(operation: &str, key: &str, e: E) -> PortError {
    err(format!("S3 {operation} {key}: {}", DisplayErrorContext(e)))
}

impl S3ObjectStore {
    pub fn new(sdk: &aws_config::SdkConfig, settings: S3Settings) -> Self {
        let path_style = settings.force_path_style || sdk.endpoint_url().is_some();
        let config = aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(path_style)
            .build();
        Self {
            client: aws_sdk_s3::Client::from_conf(config),
            settings,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.settings.bucket
    }

    /// The S3 key of a port key. Keys follow the same shape everywhere (no empty, `.` or `..`
    /// segments, no leading slash), so a key that works here works in the embedded store.
    fn s3_key(&self, key: &str) -> Result<String, PortError> {
        let ok = !key.is_empty()
            && key.len() <= 512
            && !key.starts_with('/')
            && key
                .split('/')
                .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
            && !key.chars().any(|c| c.is_control());
        if !ok {
            return Err(err(format!("invalid key {key:?}")));
        }
        Ok(format!("{}{key}", self.settings.prefix))
    }

    /// The body of the object at `key`, or None when there is no such key.
    async fn get_object(&self, key: &str) -> Result<Option<ByteStream>, PortError> {
        self.get_object_version(key, None).await
    }

    /// The body of version `version` of `key` (the current one for None), or None when there
    /// is no such key or version.
    async fn get_object_version(
        &self,
        key: &str,
        version: Option<&str>,
    ) -> Result<Option<ByteStream>, PortError> {
        let s3_key = self.s3_key(key)?;
        match self
            .client
            .get_object()
            .bucket(&self.settings.bucket)
            .key(&s3_key)
            .set_version_id(version.map(str::to_string))
            .send()
            .await
        {
            Ok(out) => Ok(Some(out.body)),
            Err(e) => {
                let status = e.raw_response().map(|r| r.status().as_u16());
                let e = e.into_service_error();
                // A version id S3 does not know is a 400 (InvalidArgument), a deleted key 404.
                let unknown_version = version.is_some() && matches!(status, Some(400 | 404));
                if e.is_no_such_key() || unknown_version {
                    Ok(None)
                } else {
                    Err(sdk_err("GetObject", key, e))
                }
            }
        }
    }

    /// Version `version` of `key` (the current one for None) written to `path`; `false` when
    /// there is no such key or version.
    async fn download(
        &self,
        key: &str,
        version: Option<&str>,
        path: &Path,
    ) -> Result<bool, PortError> {
        let Some(body) = self.get_object_version(key, version).await? else {
            return Ok(false);
        };
        stream_to_file(body, key, path).await?;
        Ok(true)
    }

    /// The object's head (its version id among it), or None when there is no such key.
    pub(super) async fn head(
        &self,
        key: &str,
    ) -> Result<Option<aws_sdk_s3::operation::head_object::HeadObjectOutput>, PortError> {
        let s3_key = self.s3_key(key)?;
        match self
            .client
            .head_object()
            .bucket(&self.settings.bucket)
            .key(&s3_key)
            .send()
            .await
        {
            Ok(head) => Ok(Some(head)),
            Err(e) => {
                let e = e.into_service_error();
                if e.is_not_found() {
                    Ok(None)
                } else {
                    Err(sdk_err("HeadObject", key, e))
                }
            }
        }
    }

    fn sse(&self) -> (Option<ServerSideEncryption>, Option<String>) {
        match &self.settings.kms_key_id {
            Some(id) => (Some(ServerSideEncryption::AwsKms), Some(id.clone())),
            None => (None, None),
        }
    }

    async fn put_body(
        &self,
        key: &str,
        body: ByteStream,
        content_type: &str,
    ) -> Result<(), PortError> {
        self.put_body_if(key, body, content_type, false)
            .await
            .map(|_| ())
    }

    /// PutObject; with `only_new`, conditional on no object under the key (`If-None-Match: *`):
    /// `Stored::Taken` when S3 answers 412 because one is there.
    pub(super) async fn put_body_if(
        &self,
        key: &str,
        body: ByteStream,
        content_type: &str,
        only_new: bool,
    ) -> Result<Stored, PortError> {
        let s3_key = self.s3_key(key)?;
        let (sse, kms_key) = self.sse();
        let sent = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(&s3_key)
            .content_type(content_type)
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .set_if_none_match(only_new.then(|| "*".to_string()))
            .body(body)
            .send()
            .await;
        match sent {
            Ok(out) => Ok(Stored::Version(out.version_id().map(str::to_string))),
            Err(e) if only_new && e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => {
                Ok(Stored::Taken)
            }
            Err(e) => Err(sdk_err("PutObject", key, e.into_service_error())),
        }
    }

    /// A URL a browser or e-service can PUT the object to directly, valid for `expires`
    /// (at most 7 days). The headers returned must be sent as given.
    pub async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        expires: Duration,
    ) -> Result<PresignedUpload, PortError> {
        let s3_key = self.s3_key(key)?;
        let (sse, kms_key) = self.sse();
        let config = PresigningConfig::expires_in(expires).map_err(err)?;
        let req = self
            .client
            .put_object()
            .bucket(&self.settings.bucket)
            .key(&s3_key)
            .content_type(content_type)
            .set_server_side_encryption(sse)
            .set_ssekms_key_id(kms_key)
            .presigned(config)
            .await
            .map_err(|e| sdk_err("presign PutObject", key, e))?;
        Ok(PresignedUpload {
            url: req.uri().to_string(),
            method: req.method().to_string(),
            headers: req
                .headers()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }
}

/// The uploads bucket (`ESIGN_UPLOADS_BUCKET`): presigned PUTs out, arrivals read back.
pub struct S3UploadsBucket(pub S3ObjectStore);

#[async_trait]
impl UploadsBucket for S3UploadsBucket {
    async fn presign_put(
        &self,
        key: &str,
        content_type: &str,
        valid_for: Duration,
    ) -> Result<PresignedUpload, PortError> {
        self.0.presign_put(key, content_type, valid_for).await
    }

    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, PortError> {
        ObjectStore::get_to_file(&self.0, key, path).await
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        self.put_body(key, ByteStream::from(bytes), content_type)
            .await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError> {
        let Some(body) = self.get_object(key).await? else {
            return Ok(None);
        };
        let body = body
            .collect()
            .await
            .map_err(|e| sdk_err("GetObject body", key, e))?;
        Ok(Some(body.into_bytes()))
    }

    async fn exists(&self, key: &str) -> Result<bool, PortError> {
        Ok(self.head(key).await?.is_some())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        let full = format!("{}{prefix}", self.settings.prefix);
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.settings.bucket)
            .prefix(&full)
            .into_paginator()
            .send();
        let mut keys = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| sdk_err("ListObjectsV2", prefix, e.into_service_error()))?;
            keys.extend(page.contents().iter().filter_map(|o| {
                o.key()
                    .and_then(|k| k.strip_prefix(self.settings.prefix.as_str()))
                    .map(str::to_string)
            }));
        }
        keys.sort();
        Ok(keys)
    }

    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), PortError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        self.put_body(key, body, content_type).await
    }

    async fn put_file_once(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<bool, PortError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| err(format!("{}: {e}", path.display())))?;
        Ok(matches!(
            self.put_body_if(key, body, content_type, true).await?,
            Stored::Version(_)
        ))
    }

    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, PortError> {
        self.download(key, None, path).await
    }

    async fn put_file_new_version(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<NewVersion, PortError> {
        self.put_new_version(key, path, content_type).await
    }

    async fn get_version_to_file(
        &self,
        key: &str,
        version: &str,
        path: &Path,
    ) -> Result<bool, PortError> {
        self.download(key, Some(version), path).await
    }
}

/// Stream an object's body into a temporary file beside `path`, renamed when complete: a
/// failed download never leaves a truncated file under the target's name.
async fn stream_to_file(mut body: ByteStream, key: &str, path: &Path) -> Result<(), PortError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| err(format!("{}: {e}", dir.display())))?;
    let (file, tmp_path) = tmp.into_parts();
    let mut file = tokio::fs::File::from_std(file);
    let io = |e: std::io::Error| err(format!("{}: {e}", path.display()));
    use tokio::io::AsyncWriteExt;
    while let Some(chunk) = body
        .try_next()
        .await
        .map_err(|e| sdk_err("GetObject body", key, e))?
    {
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    drop(file);
    tmp_path.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::test_support::*;

    async fn store(
        prefix: &str,
        kms_key_id: Option<String>,
    ) -> (S3ObjectStore, aws_config::SdkConfig) {
        let sdk = moto_sdk().await;
        let bucket = unique_name("esign-test");
        let s = S3ObjectStore::new(
            &sdk,
            S3Settings {
                bucket: bucket.clone(),
                prefix: prefix.into(),
                kms_key_id,
                force_path_style: false,
            },
        );
        crate::lambda_harness::moto_bucket(&s.client, &bucket).await;
        (s, sdk)
    }

    #[tokio::test]
    async fn behaves_like_an_object_store() {
        let (s, _) = store("", None).await;
        crate::port_tests::object_store_suite(&s).await;
        let (s, _) = store("", None).await;
        crate::port_tests::object_versions_suite(&s).await;
    }

    #[tokio::test]
    async fn keys_live_under_the_prefix_and_writes_use_the_kms_key() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let (s, _) = store("esign/", Some(kms_key.clone())).await;
        crate::port_tests::object_store_suite(&s).await;
        let raw = s
            .client
            .list_objects_v2()
            .bucket(s.bucket())
            .send()
            .await
            .unwrap();
        let keys: Vec<_> = raw.contents().iter().filter_map(|o| o.key()).collect();
        assert!(!keys.is_empty());
        assert!(
            keys.iter().all(|k| k.starts_with("esign/tenants/")),
            "{keys:?}"
        );
        for key in [
            "esign/tenants/t1/documents/abc/original.pdf",
            "esign/tenants/t1/documents/abc/archive-file.pdf",
        ] {
            let head = s
                .client
                .head_object()
                .bucket(s.bucket())
                .key(key)
                .send()
                .await
                .unwrap();
            assert_eq!(
                head.server_side_encryption(),
                Some(&ServerSideEncryption::AwsKms),
                "{key}"
            );
            assert!(
                head.ssekms_key_id().unwrap_or_default().contains(&kms_key),
                "{key}"
            );
            assert_eq!(head.content_type(), Some("application/pdf"));
        }
    }

    #[tokio::test]
    async fn bad_keys_are_refused() {
        let (s, _) = store("", None).await;
        for bad in ["", "/etc/passwd", "a//b", "a/./b", "../x", "a/\n"] {
            assert!(
                s.put(bad, Bytes::from_static(b"x"), "x").await.is_err(),
                "{bad:?}"
            );
            assert!(s.get(bad).await.is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_presigned_put_uploads_without_credentials() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let (s, _) = store("p/", Some(kms_key)).await;
        let key = "tenants/t1/uploads/big.pdf";
        let p = s
            .presign_put(key, "application/pdf", Duration::from_secs(900))
            .await
            .unwrap();
        assert_eq!(p.method, "PUT");
        assert!(p.url.contains("/p/tenants/t1/uploads/big.pdf"), "{}", p.url);
        assert!(p.url.contains("X-Amz-Signature="), "{}", p.url);
        assert!(
            p.headers
                .iter()
                .any(|(k, v)| k == "x-amz-server-side-encryption" && v == "aws:kms"),
            "{:?}",
            p.headers
        );
        let body: Vec<u8> = (0..7_000_000u32).map(|i| (i % 253) as u8).collect();
        let mut req = reqwest::Client::new().put(&p.url).body(body.clone());
        for (k, v) in &p.headers {
            req = req.header(k, v);
        }
        let resp = req.send().await.unwrap();
        assert!(resp.status().is_success(), "{}", resp.text().await.unwrap());
        assert_eq!(s.get(key).await.unwrap().unwrap(), &body[..]);
        assert!(s
            .presign_put("../x", "application/pdf", Duration::from_secs(60))
            .await
            .is_err());
    }

    #[tokio::test]
    async fn behaves_like_an_uploads_bucket() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let (s, _) = store("uploads/", Some(kms_key)).await;
        let prefix = format!("incoming/t1/{}/", uuid::Uuid::new_v4());
        // moto checks neither the signature nor the expiry of a presigned request.
        crate::port_tests::uploads_bucket_suite(&S3UploadsBucket(s), &prefix, None).await;
    }

    /// What moto cannot check: the ticket asks S3 to refuse it after the validity asked for.
    #[tokio::test]
    async fn a_ticket_is_valid_for_as_long_as_asked() {
        let (s, _) = store("", None).await;
        let bucket = S3UploadsBucket(s);
        for (valid_for, expires) in [(1, "X-Amz-Expires=1&"), (900, "X-Amz-Expires=900&")] {
            let ticket = bucket
                .presign_put(
                    "incoming/t1/u/a.pdf",
                    "application/pdf",
                    Duration::from_secs(valid_for),
                )
                .await
                .unwrap();
            assert!(ticket.url.contains(expires), "{}", ticket.url);
        }
    }

    #[tokio::test]
    async fn a_missing_bucket_is_an_error_not_an_absent_object() {
        let sdk = moto_sdk().await;
        let s = S3ObjectStore::new(
            &sdk,
            S3Settings {
                bucket: unique_name("esign-none"),
                ..S3Settings::default()
            },
        );
        assert!(s.get("tenants/t1/x").await.is_err());
        assert!(s.list("tenants/").await.is_err());
    }
}
