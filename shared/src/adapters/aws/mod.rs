//! The AWS adapters. Each implements a port and passes that port's behaviour suite
//! (`crate::port_tests`) against moto server, which the test command starts on 127.0.0.1.
//!
//! Clients are built once per cold start from one `SdkConfig` (`sdk_config`), so every adapter
//! honours the same region, credentials and endpoint override.

pub mod dynamodb;
pub mod kms_cipher;
pub mod kms_signer;
pub mod routed;
pub mod s3;
mod s3_versions;
pub mod ses;
pub mod sqs;

#[cfg(test)]
pub(crate) mod test_support;

/// A setting an AWS adapter reads from the environment is missing or wrong. The adapters'
/// own error: `config` turns it into its `ConfigError` when it builds them.
#[derive(Debug, thiserror::Error)]
pub enum SettingError {
    #[error("missing setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {why}")]
    Invalid { name: &'static str, why: String },
}

/// The value of `name`, which must be set and not empty.
pub(crate) fn required_env(name: &'static str) -> Result<String, SettingError> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .ok_or(SettingError::Missing(name))
}

/// Where the AWS APIs are: the real ones, or an emulator or S3/DynamoDB-compatible service
/// when `endpoint_url` is set (then S3 uses path-style addressing).
#[derive(Clone, Debug, Default)]
pub struct AwsSettings {
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
}

impl AwsSettings {
    /// `AWS_REGION` and `AWS_ENDPOINT_URL`, as the SDK itself reads them.
    pub fn from_env() -> Self {
        Self {
            region: std::env::var("AWS_REGION").ok().filter(|v| !v.is_empty()),
            endpoint_url: std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|v| !v.is_empty()),
        }
    }
}

/// The shared SDK configuration every client is built from. Its HTTPS client is rustls on
/// ring, the service's one crypto provider (the SDK's default client would link aws-lc too).
pub async fn sdk_config(settings: &AwsSettings) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http);
    if let Some(region) = &settings.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some(url) = &settings.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}
