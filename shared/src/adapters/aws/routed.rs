//! Two buckets behind one object store: what the public may read (`public/…`, served by
//! CloudFront, no KMS key) and everything else (`tenants/…`, SSE-KMS, versioned, Object Lock).
//! The app names keys; which bucket holds them is the installation's business.

use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;

use crate::ports::{NewVersion, ObjectStore, PortError};

pub struct RoutedObjectStore {
    private: Box<dyn ObjectStore>,
    public: Box<dyn ObjectStore>,
}

const PUBLIC_PREFIX: &str = "public/";

impl RoutedObjectStore {
    pub fn new(private: Box<dyn ObjectStore>, public: Box<dyn ObjectStore>) -> Self {
        Self { private, public }
    }

    fn store(&self, key: &str) -> &dyn ObjectStore {
        if key.starts_with(PUBLIC_PREFIX) {
            self.public.as_ref()
        } else {
            self.private.as_ref()
        }
    }
}

#[async_trait]
impl ObjectStore for RoutedObjectStore {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError> {
        self.store(key).put(key, bytes, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError> {
        self.store(key).get(key).await
    }

    async fn exists(&self, key: &str) -> Result<bool, PortError> {
        self.store(key).exists(key).await
    }

    /// A prefix lists from the store its keys live in; an empty prefix lists both.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError> {
        if prefix.starts_with(PUBLIC_PREFIX) {
            return self.public.list(prefix).await;
        }
        let mut keys = self.private.list(prefix).await?;
        if PUBLIC_PREFIX.starts_with(prefix) {
            keys.extend(self.public.list(prefix).await?);
            keys.sort();
        }
        Ok(keys)
    }

    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), PortError> {
        self.store(key).put_file(key, path, content_type).await
    }

    async fn put_file_once(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<bool, PortError> {
        self.store(key).put_file_once(key, path, content_type).await
    }

    async fn get_to_file(&self, key: &str, path: &Path) -> Result<bool, PortError> {
        self.store(key).get_to_file(key, path).await
    }

    async fn put_file_new_version(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> Result<NewVersion, PortError> {
        self.store(key)
            .put_file_new_version(key, path, content_type)
            .await
    }

    async fn get_version_to_file(
        &self,
        key: &str,
        version: &str,
        path: &Path,
    ) -> Result<bool, PortError> {
        self.store(key)
            .get_version_to_file(key, version, path)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::aws::s3::{S3ObjectStore, S3Settings};
    use crate::adapters::aws::test_support::{moto_settings, unique_name};

    #[tokio::test]
    async fn two_buckets_behave_as_one_store_and_public_keys_land_in_the_public_one() {
        let sdk = crate::adapters::aws::sdk_config(&moto_settings()).await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let mut stores = Vec::new();
        let mut buckets = Vec::new();
        for _ in 0..2 {
            let bucket = unique_name("routed");
            crate::lambda_harness::moto_bucket(&s3, &bucket).await;
            buckets.push(bucket.clone());
            stores.push(S3ObjectStore::new(
                &sdk,
                S3Settings {
                    bucket,
                    ..Default::default()
                },
            ));
        }
        let public = stores.pop().unwrap();
        let private = stores.pop().unwrap();
        let routed = RoutedObjectStore::new(Box::new(private), Box::new(public));
        crate::port_tests::object_store_suite(&routed).await;
        crate::port_tests::object_versions_suite(&routed).await;
        routed
            .put(
                "public/t1/notice.json",
                Bytes::from_static(b"{}"),
                "application/json",
            )
            .await
            .unwrap();
        let in_public = s3
            .list_objects_v2()
            .bucket(&buckets[1])
            .send()
            .await
            .unwrap();
        let keys: Vec<_> = in_public
            .contents()
            .iter()
            .filter_map(|o| o.key())
            .collect();
        assert_eq!(keys, vec!["public/t1/notice.json"]);
        assert!(routed
            .list("")
            .await
            .unwrap()
            .contains(&"public/t1/notice.json".to_string()));
    }
}
