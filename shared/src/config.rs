//! Building the ports from configuration: the one place that knows which adapters exist.
//! Local mode and the Lambda binaries both come through here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::{App, Ports, Settings};
use crate::ports::{EidProvider, SystemClock};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {why}")]
    Invalid { name: &'static str, why: String },
    #[error(transparent)]
    Port(#[from] crate::ports::PortError),
}

/// The embedded adapters under one data directory, with the queue's worker to start.
#[cfg(feature = "embedded")]
pub fn embedded_ports(
    data: &Path,
    eid: Arc<dyn EidProvider>,
) -> Result<
    (
        Ports,
        crate::adapters::embedded::InProcessQueue,
        crate::adapters::embedded::QueueWorker,
    ),
    ConfigError,
> {
    use crate::adapters::embedded::*;
    std::fs::create_dir_all(data).map_err(|e| ConfigError::Invalid {
        name: "data directory",
        why: format!("{}: {e}", data.display()),
    })?;
    let (queue, worker) = InProcessQueue::new(Some(data.join("dead-letters.jsonl")));
    let ports = Ports {
        objects: Arc::new(FsObjectStore::new(data.join("objects"))),
        state: Arc::new(RedbStateStore::open(&data.join("state.redb"))?),
        keys: Arc::new(SoftwareKeySigner::new(data.join("keys"))),
        cipher: Arc::new(LocalCipher::open_or_create(
            &data.join("secrets").join("data-key"),
        )?),
        mailer: Arc::new(MailDir::new(
            data.join("mail"),
            "e-underskrift <noreply@localhost>",
        )?),
        queue: Arc::new(queue.clone()),
        eid,
        clock: Arc::new(SystemClock),
        timestamp: None,
        revocation: None,
    };
    Ok((ports, queue, worker))
}

/// The AWS adapters, clients built once (per cold start) from one SDK configuration
/// (`AWS_REGION`, `AWS_ENDPOINT_URL` for emulators and S3/DynamoDB-compatible services):
/// - `ESIGN_TABLE`: the single table (docs/dynamodb.md);
/// - `ESIGN_BUCKET` (+ `ESIGN_BUCKET_KMS_KEY_ID`, `ESIGN_BUCKET_PREFIX`): everything under
///   `tenants/`; `ESIGN_PUBLIC_BUCKET`: what the public reads (`public/…`);
/// - `ESIGN_SEAL_QUEUE_URL`, `ESIGN_PUBLISH_QUEUE_URL`, `ESIGN_ARCHIVE_EXPORT_QUEUE_URL`;
/// - `ESIGN_DATA_KEY_ID`: the symmetric KMS key wrapping the personnummer data key;
/// - `ESIGN_SEAL_KEY_SPEC`, `ESIGN_SEAL_KEY_ALIAS_PREFIX`, `ESIGN_SEAL_KEY_IDS`: seal keys;
/// - `ESIGN_MAIL_FROM`: the SES sender.
#[cfg(feature = "aws")]
pub async fn aws_ports(eid: Arc<dyn EidProvider>) -> Result<Ports, ConfigError> {
    use crate::adapters::aws::*;
    fn invalid(name: &'static str, e: impl std::fmt::Display) -> ConfigError {
        ConfigError::Invalid {
            name,
            why: e.to_string(),
        }
    }
    let sdk = sdk_config(&AwsSettings::from_env()).await;
    let private = s3::S3Settings::from_env().map_err(|e| invalid("ESIGN_BUCKET", e))?;
    let public = s3::S3Settings {
        bucket: env("ESIGN_PUBLIC_BUCKET")?,
        kms_key_id: None,
        ..private.clone()
    };
    let objects = routed::RoutedObjectStore::new(
        Box::new(s3::S3ObjectStore::new(&sdk, private)),
        Box::new(s3::S3ObjectStore::new(&sdk, public)),
    );
    let state = Arc::new(dynamodb::DynamoStateStore::from_env(&sdk)?);
    let keys = kms_signer::KmsKeySigner::new(
        &sdk,
        kms_signer::KmsSignerSettings::from_env().map_err(|e| invalid("ESIGN_SEAL_KEY_SPEC", e))?,
    )
    .map_err(|e| invalid("ESIGN_SEAL_KEY_SPEC", e))?;
    let cipher =
        kms_cipher::KmsCipher::open_or_create(&sdk, &env("ESIGN_DATA_KEY_ID")?, state.as_ref())
            .await
            .map_err(|e| invalid("ESIGN_DATA_KEY_ID", e))?;
    let queue = sqs::SqsQueue::from_conf(&sdk, sqs::QueueUrls::from_env()?);
    Ok(Ports {
        objects: Arc::new(objects),
        state,
        keys: Arc::new(keys),
        cipher: Arc::new(cipher),
        mailer: Arc::new(ses::SesMailer::from_env(&sdk)?),
        queue: Arc::new(queue),
        eid,
        clock: Arc::new(SystemClock),
        timestamp: None,
        revocation: None,
    })
}

fn env(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError::Missing(name))
}

/// The BankID provider from the environment:
/// - `ESIGN_BANKID_URL`: the RP API base (`https://appapi2.test.bankid.com/rp/v6.0/` for test);
/// - `ESIGN_BANKID_TRUST_PEM`: the CA certificates that user certificates chain to;
/// - `ESIGN_BANKID_CLIENT_CERT` (+ `ESIGN_BANKID_CLIENT_PASSWORD`): the relying-party
///   certificate and key, PKCS#12 or PEM, for mutual TLS;
/// - `ESIGN_BANKID_SERVER_ROOT_PEM`: the BankID SSL root to pin (only it is trusted).
///
/// Without a client certificate the client speaks plain HTTP(S) with the system's roots, which
/// only a simulator accepts.
pub fn bankid_from_env() -> Result<Arc<dyn EidProvider>, ConfigError> {
    use crate::bankid::tls::{ClientIdentity, TlsConfig};
    let url = env("ESIGN_BANKID_URL")?;
    let read = |name: &'static str| -> Result<Vec<u8>, ConfigError> {
        let path = PathBuf::from(env(name)?);
        std::fs::read(&path).map_err(|e| ConfigError::Invalid {
            name,
            why: format!("{}: {e}", path.display()),
        })
    };
    let invalid = |name: &'static str| {
        move |e: &dyn std::fmt::Display| ConfigError::Invalid {
            name,
            why: e.to_string(),
        }
    };
    let pem = String::from_utf8(read("ESIGN_BANKID_TRUST_PEM")?)
        .map_err(|e| invalid("ESIGN_BANKID_TRUST_PEM")(&e))?;
    let anchors =
        crate::pki::pem_decode_certs(&pem).map_err(|e| invalid("ESIGN_BANKID_TRUST_PEM")(&e))?;
    let client = if std::env::var_os("ESIGN_BANKID_CLIENT_CERT").is_some() {
        let identity = ClientIdentity::from_file_bytes(
            &read("ESIGN_BANKID_CLIENT_CERT")?,
            std::env::var("ESIGN_BANKID_CLIENT_PASSWORD")
                .ok()
                .as_deref(),
        )
        .map_err(|e| invalid("ESIGN_BANKID_CLIENT_CERT")(&e))?;
        let root = String::from_utf8(read("ESIGN_BANKID_SERVER_ROOT_PEM")?)
            .map_err(|e| invalid("ESIGN_BANKID_SERVER_ROOT_PEM")(&e))?;
        TlsConfig::builder()
            .client_identity(identity)
            .server_root_pem(&root)
            .and_then(|b| b.build())
            .and_then(|c| c.bankid_client(&url))
            .map_err(|e| invalid("ESIGN_BANKID_SERVER_ROOT_PEM")(&e))?
    } else {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()
            .map_err(|e| invalid("ESIGN_BANKID_URL")(&e))?;
        crate::bankid::BankIdClient::new(&url, http)
    };
    Ok(Arc::new(crate::bankid::provider::BankIdProvider::new(
        client, anchors,
    )))
}

/// The timestamp authority from `ESIGN_TSA_URL` (RFC 3161 over HTTP), if set.
pub fn timestamp_from_env() -> Result<Option<Arc<dyn crate::pdf::TimestampSource>>, ConfigError> {
    match std::env::var("ESIGN_TSA_URL") {
        Ok(url) if !url.trim().is_empty() => {
            let client = crate::pdf::HttpTimestampClient::new(url.trim()).map_err(|e| {
                ConfigError::Invalid {
                    name: "ESIGN_TSA_URL",
                    why: e.to_string(),
                }
            })?;
            Ok(Some(Arc::new(client)))
        }
        _ => Ok(None),
    }
}

/// Revocation data for B-LT/B-LTA fetched over HTTP from the OCSP responders and CRLs the
/// certificates name (AIA, CRL Distribution Points), unless `ESIGN_REVOCATION=off`. Only
/// useful with a timestamp authority (the levels above B-T need both).
pub fn revocation_from_env() -> Result<Option<Arc<dyn crate::pdf::RevocationSource>>, ConfigError> {
    match std::env::var("ESIGN_REVOCATION").as_deref() {
        Ok("off") => Ok(None),
        Ok("") | Ok("http") | Err(_) => {
            let source = crate::revocation::HttpRevocationSource::new().map_err(|e| {
                ConfigError::Invalid {
                    name: "ESIGN_REVOCATION",
                    why: e.to_string(),
                }
            })?;
            Ok(Some(Arc::new(source)))
        }
        Ok(other) => Err(ConfigError::Invalid {
            name: "ESIGN_REVOCATION",
            why: format!("expected http or off, got {other:?}"),
        }),
    }
}

/// The app for a function binary. `ESIGN_BACKEND=embedded` (the only backend of this build;
/// the AWS adapters arrive with the `aws` feature) keeps everything under `ESIGN_DATA_DIR`
/// and runs queued jobs in-process.
pub async fn app_from_env() -> Result<App, ConfigError> {
    let backend = std::env::var("ESIGN_BACKEND").unwrap_or_else(|_| "embedded".into());
    let settings = Settings {
        public_base_url: std::env::var("ESIGN_PUBLIC_URL")
            .unwrap_or_else(|_| Settings::default().public_base_url),
        ..Settings::default()
    };
    match backend.as_str() {
        #[cfg(feature = "embedded")]
        "embedded" => {
            let data = PathBuf::from(
                std::env::var("ESIGN_DATA_DIR").unwrap_or_else(|_| "/tmp/esign-data".into()),
            );
            let (mut ports, _queue, worker) = embedded_ports(&data, bankid_from_env()?)?;
            ports.timestamp = timestamp_from_env()?;
            ports.revocation = revocation_from_env()?;
            let app = App::new(ports, settings);
            tokio::spawn(worker.run(Arc::new(app.clone())));
            Ok(app)
        }
        #[cfg(feature = "aws")]
        "aws" => {
            let mut ports = aws_ports(bankid_from_env()?).await?;
            ports.timestamp = timestamp_from_env()?;
            ports.revocation = revocation_from_env()?;
            Ok(App::new(ports, settings))
        }
        other => Err(ConfigError::Invalid {
            name: "ESIGN_BACKEND",
            why: format!("unknown backend {other:?}"),
        }),
    }
}
