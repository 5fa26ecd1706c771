//! Building the ports from configuration: the one place that knows which adapters exist.
//! Local mode and the Lambda binaries both come through here.

use std::path::PathBuf;
use std::sync::Arc;

use crate::app::{App, Ports, Settings};
use crate::ports::EidProvider;
#[cfg(any(feature = "embedded", feature = "aws"))]
use crate::ports::SystemClock;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {why}")]
    Invalid { name: &'static str, why: String },
    #[error(transparent)]
    Port(#[from] crate::ports::PortError),
}

#[cfg(feature = "aws")]
impl From<crate::adapters::aws::SettingError> for ConfigError {
    fn from(e: crate::adapters::aws::SettingError) -> Self {
        use crate::adapters::aws::SettingError;
        match e {
            SettingError::Missing(name) => ConfigError::Missing(name),
            SettingError::Invalid { name, why } => ConfigError::Invalid { name, why },
        }
    }
}

/// The embedded adapters under one data directory, with the queue's worker to start.
#[cfg(feature = "embedded")]
pub fn embedded_ports(
    data: &std::path::Path,
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
        uploads: None,
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
/// - `ESIGN_MAIL_FROM`: the SES sender;
/// - `ESIGN_UPLOADS_BUCKET` (optional): where presigned uploads go (`ports::UploadsBucket`).
#[cfg(feature = "aws")]
pub async fn aws_ports(
    sdk: &aws_config::SdkConfig,
    eid: Arc<dyn EidProvider>,
) -> Result<Ports, ConfigError> {
    use crate::adapters::aws::*;
    fn invalid(name: &'static str, e: impl std::fmt::Display) -> ConfigError {
        ConfigError::Invalid {
            name,
            why: e.to_string(),
        }
    }
    let private = s3::S3Settings::from_env().map_err(|e| invalid("ESIGN_BUCKET", e))?;
    let public = s3::S3Settings {
        bucket: env("ESIGN_PUBLIC_BUCKET")?,
        kms_key_id: None,
        ..private.clone()
    };
    // Presigned uploads carry no SSE headers: the uploads bucket's default encryption applies.
    let uploads = std::env::var("ESIGN_UPLOADS_BUCKET")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .map(|bucket| {
            let settings = s3::S3Settings {
                bucket: bucket.trim().to_string(),
                prefix: String::new(),
                kms_key_id: None,
                force_path_style: private.force_path_style,
            };
            Arc::new(s3::S3UploadsBucket(s3::S3ObjectStore::new(sdk, settings)))
                as Arc<dyn crate::ports::UploadsBucket>
        });
    let objects = routed::RoutedObjectStore::new(
        Box::new(s3::S3ObjectStore::new(sdk, private)),
        Box::new(s3::S3ObjectStore::new(sdk, public)),
    );
    let state = Arc::new(dynamodb::DynamoStateStore::from_env(sdk)?);
    let keys = kms_signer::KmsKeySigner::new(
        sdk,
        kms_signer::KmsSignerSettings::from_env().map_err(|e| invalid("ESIGN_SEAL_KEY_SPEC", e))?,
    )
    .map_err(|e| invalid("ESIGN_SEAL_KEY_SPEC", e))?;
    let cipher =
        kms_cipher::KmsCipher::open_or_create(sdk, &env("ESIGN_DATA_KEY_ID")?, state.as_ref())
            .await
            .map_err(|e| invalid("ESIGN_DATA_KEY_ID", e))?;
    let queue = sqs::SqsQueue::from_conf(sdk, sqs::QueueUrls::from_env()?);
    Ok(Ports {
        objects: Arc::new(objects),
        state,
        keys: Arc::new(keys),
        cipher: Arc::new(cipher),
        mailer: Arc::new(ses::SesMailer::from_env(sdk)?),
        queue: Arc::new(queue),
        eid,
        clock: Arc::new(SystemClock),
        timestamp: None,
        revocation: None,
        uploads,
    })
}

/// Where a function keeps its data. There is no default: a function whose backend is not set
/// refuses to start, rather than quietly keeping signatures in a local directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Files, an embedded database and an in-process queue under `ESIGN_DATA_DIR`.
    #[cfg(feature = "embedded")]
    Embedded,
    /// S3, DynamoDB, KMS, SQS and SES.
    #[cfg(feature = "aws")]
    Aws,
}

impl Backend {
    /// The backends this build has.
    pub const ALL: &'static [(&'static str, Backend)] = &[
        #[cfg(feature = "embedded")]
        ("embedded", Backend::Embedded),
        #[cfg(feature = "aws")]
        ("aws", Backend::Aws),
    ];

    /// `ESIGN_BACKEND`'s value: one of this build's backends, or why not.
    pub fn from_setting(value: Option<&str>) -> Result<Self, ConfigError> {
        let value = value
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .ok_or(ConfigError::Missing("ESIGN_BACKEND"))?;
        Self::ALL
            .iter()
            .find(|(name, _)| *name == value)
            .map(|(_, backend)| *backend)
            .ok_or_else(|| ConfigError::Invalid {
                name: "ESIGN_BACKEND",
                why: format!(
                    "{value:?} is not a backend of this build (it has: {})",
                    Self::ALL
                        .iter()
                        .map(|(name, _)| *name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }
}

fn env(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError::Missing(name))
}

/// What the BankID client is built from, wherever it was kept.
#[derive(Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BankIdMaterial {
    /// The CA certificates (PEM) that user certificates chain to.
    pub trust_pem: String,
    /// The relying-party certificate and key: PKCS#12 (or PEM) bytes.
    #[serde(skip)]
    pub client_cert: Option<Vec<u8>>,
    /// The same, base64, as the Secrets Manager secret holds it.
    #[serde(default)]
    #[cfg_attr(not(feature = "aws"), allow(dead_code))]
    client_cert_p12_base64: Option<String>,
    #[serde(default)]
    pub client_password: Option<String>,
    /// The BankID SSL root to pin (only it is trusted), needed with a client certificate.
    #[serde(default)]
    pub server_root_pem: Option<String>,
}

/// The BankID provider for `url` (the RP API base, `https://appapi2.test.bankid.com/rp/v6.0/`
/// for test). Without a client certificate the client speaks plain HTTP(S) with the system's
/// roots, which only a simulator accepts.
pub fn bankid_provider(
    url: &str,
    material: BankIdMaterial,
    source: &'static str,
) -> Result<Arc<dyn EidProvider>, ConfigError> {
    use crate::bankid::tls::{ClientIdentity, TlsConfig};
    let invalid = |e: &dyn std::fmt::Display| ConfigError::Invalid {
        name: source,
        why: e.to_string(),
    };
    let anchors = crate::x509::pem_decode_certs(&material.trust_pem).map_err(|e| invalid(&e))?;
    if anchors.is_empty() {
        return Err(invalid(&"no BankID CA certificate (trust_pem)"));
    }
    let client = match material.client_cert {
        Some(identity) => {
            let identity =
                ClientIdentity::from_file_bytes(&identity, material.client_password.as_deref())
                    .map_err(|e| invalid(&e))?;
            let root = material
                .server_root_pem
                .ok_or_else(|| invalid(&"a client certificate needs server_root_pem"))?;
            TlsConfig::builder()
                .client_identity(identity)
                .server_root_pem(&root)
                .and_then(|b| b.build())
                .and_then(|c| c.bankid_client(url))
                .map_err(|e| invalid(&e))?
        }
        None => {
            let http = reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .map_err(|e| invalid(&e))?;
            crate::bankid::BankIdClient::new(url, http)
        }
    };
    Ok(Arc::new(crate::bankid::provider::BankIdProvider::new(
        client, anchors,
    )))
}

/// The BankID provider from files named in the environment:
/// - `ESIGN_BANKID_URL`: the RP API base;
/// - `ESIGN_BANKID_TRUST_PEM`: the CA certificates that user certificates chain to;
/// - `ESIGN_BANKID_CLIENT_CERT` (+ `ESIGN_BANKID_CLIENT_PASSWORD`): the relying-party
///   certificate and key, PKCS#12 or PEM, for mutual TLS;
/// - `ESIGN_BANKID_SERVER_ROOT_PEM`: the BankID SSL root to pin.
pub fn bankid_from_env() -> Result<Arc<dyn EidProvider>, ConfigError> {
    let url = env("ESIGN_BANKID_URL")?;
    let read = |name: &'static str| -> Result<Vec<u8>, ConfigError> {
        let path = PathBuf::from(env(name)?);
        std::fs::read(&path).map_err(|e| ConfigError::Invalid {
            name,
            why: format!("{}: {e}", path.display()),
        })
    };
    let text = |name: &'static str| -> Result<String, ConfigError> {
        String::from_utf8(read(name)?).map_err(|e| ConfigError::Invalid {
            name,
            why: e.to_string(),
        })
    };
    let mut material = BankIdMaterial {
        trust_pem: text("ESIGN_BANKID_TRUST_PEM")?,
        ..Default::default()
    };
    if std::env::var_os("ESIGN_BANKID_CLIENT_CERT").is_some() {
        material.client_cert = Some(read("ESIGN_BANKID_CLIENT_CERT")?);
        material.client_password = std::env::var("ESIGN_BANKID_CLIENT_PASSWORD").ok();
        material.server_root_pem = Some(text("ESIGN_BANKID_SERVER_ROOT_PEM")?);
    }
    bankid_provider(&url, material, "ESIGN_BANKID_CLIENT_CERT")
}

/// The BankID provider from the Secrets Manager secret `arn` (docs/deploy.md: a JSON object
/// with `trust_pem`, and for production `client_cert_p12_base64`, `client_password`,
/// `server_root_pem`), read once per cold start. Errors name the field, never its value.
#[cfg(feature = "aws")]
pub async fn bankid_from_secret(
    sdk: &aws_config::SdkConfig,
    url: &str,
    arn: &str,
) -> Result<Arc<dyn EidProvider>, ConfigError> {
    const NAME: &str = "ESIGN_BANKID_SECRET_ARN";
    let invalid = |why: String| ConfigError::Invalid { name: NAME, why };
    let secret = aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            invalid(format!(
                "GetSecretValue: {}",
                aws_sdk_secretsmanager::error::DisplayErrorContext(e.into_service_error())
            ))
        })?;
    let text = secret
        .secret_string()
        .ok_or_else(|| invalid("the secret holds no text (SecretString)".into()))?;
    // serde_json's messages quote field names and positions, never values.
    let mut material: BankIdMaterial = serde_json::from_str(text)
        .map_err(|e| invalid(format!("the secret is not the expected JSON: {e}")))?;
    if let Some(b64) = material.client_cert_p12_base64.take() {
        use base64::Engine;
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|_| invalid("client_cert_p12_base64 is not base64".into()))?;
        material.client_cert = Some(der);
    }
    bankid_provider(url, material, NAME)
}

/// BankID for this function, wherever this installation keeps it: the Secrets Manager secret
/// `ESIGN_BANKID_SECRET_ARN` (AWS), files (`ESIGN_BANKID_TRUST_PEM`, see `bankid_from_env`),
/// or nowhere: functions that never talk to BankID get a provider that refuses.
pub async fn eid_from_env(
    #[cfg(feature = "aws")] sdk: Option<&aws_config::SdkConfig>,
) -> Result<Arc<dyn EidProvider>, ConfigError> {
    let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
    #[cfg(feature = "aws")]
    if set("ESIGN_BANKID_SECRET_ARN") {
        let sdk = match sdk {
            Some(sdk) => sdk.clone(),
            None => {
                crate::adapters::aws::sdk_config(&crate::adapters::aws::AwsSettings::from_env())
                    .await
            }
        };
        return bankid_from_secret(
            &sdk,
            &env("ESIGN_BANKID_URL")?,
            env("ESIGN_BANKID_SECRET_ARN")?.trim(),
        )
        .await;
    }
    if set("ESIGN_BANKID_TRUST_PEM") {
        return bankid_from_env();
    }
    Ok(Arc::new(crate::bankid::provider::BankIdNotConfigured))
}

/// The timestamp authority from `ESIGN_TSA_URL` (RFC 3161 over HTTP), if set, and the one
/// tried when it fails from `ESIGN_TSA_FALLBACK_URL`. Credentials an authority wants go in
/// the URL (`https://user:password@host/path`) and are sent as HTTP Basic.
pub fn timestamp_from_env() -> Result<Option<Arc<dyn crate::pdf::TimestampSource>>, ConfigError> {
    let client =
        |name: &'static str| -> Result<Option<Arc<dyn crate::pdf::TimestampSource>>, ConfigError> {
            match std::env::var(name) {
                Ok(url) if !url.trim().is_empty() => {
                    let client = crate::pdf::HttpTimestampClient::new(url.trim()).map_err(|e| {
                        ConfigError::Invalid {
                            name,
                            why: e.to_string(),
                        }
                    })?;
                    Ok(Some(Arc::new(client)))
                }
                _ => Ok(None),
            }
        };
    match (client("ESIGN_TSA_URL")?, client("ESIGN_TSA_FALLBACK_URL")?) {
        (Some(first), Some(second)) => Ok(Some(Arc::new(crate::pdf::TimestampSources::new(vec![
            ("ESIGN_TSA_URL".into(), first),
            ("ESIGN_TSA_FALLBACK_URL".into(), second),
        ])))),
        (Some(first), None) => Ok(Some(first)),
        (None, Some(_)) => Err(ConfigError::Invalid {
            name: "ESIGN_TSA_FALLBACK_URL",
            why: "a fallback needs ESIGN_TSA_URL as well".into(),
        }),
        (None, None) => Ok(None),
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

/// What a function is composed from: the ports of its backend and its settings, and for the
/// embedded backend the in-process queue's worker, started once the pipeline exists.
pub struct Composition {
    pub ports: Ports,
    pub settings: Settings,
    #[cfg(feature = "embedded")]
    worker: Option<crate::adapters::embedded::QueueWorker>,
}

impl Composition {
    /// Every service over these ports (and, on the embedded backend, its queue running).
    pub fn into_app(self) -> App {
        let app = App::new(self.ports, self.settings);
        #[cfg(feature = "embedded")]
        if let Some(worker) = self.worker {
            tokio::spawn(worker.run(app.pipeline.clone()));
        }
        app
    }
}

/// The ports and settings for a function binary, on the backend `ESIGN_BACKEND` names
/// ([`Backend`]): `aws` builds the AWS adapters (`aws_ports`); `embedded` keeps everything
/// under `ESIGN_DATA_DIR` and runs queued jobs in-process. Tests change a port before
/// composing ([`Composition::into_app`]).
pub async fn ports_from_env() -> Result<Composition, ConfigError> {
    let backend = Backend::from_setting(std::env::var("ESIGN_BACKEND").ok().as_deref())?;
    match backend {
        #[cfg(feature = "embedded")]
        Backend::Embedded => {
            let data = PathBuf::from(env("ESIGN_DATA_DIR")?);
            let eid = eid_from_env(
                #[cfg(feature = "aws")]
                None,
            )
            .await?;
            let (mut ports, _queue, worker) = embedded_ports(&data, eid)?;
            ports.timestamp = timestamp_from_env()?;
            ports.revocation = revocation_from_env()?;
            Ok(Composition {
                ports,
                settings: settings_from_env()?,
                worker: Some(worker),
            })
        }
        #[cfg(feature = "aws")]
        Backend::Aws => {
            let sdk =
                crate::adapters::aws::sdk_config(&crate::adapters::aws::AwsSettings::from_env())
                    .await;
            let mut ports = aws_ports(&sdk, eid_from_env(Some(&sdk)).await?).await?;
            ports.timestamp = timestamp_from_env()?;
            ports.revocation = revocation_from_env()?;
            Ok(Composition {
                ports,
                settings: settings_from_env()?,
                #[cfg(feature = "embedded")]
                worker: None,
            })
        }
    }
}

/// The settings a function reads from its environment (`ESIGN_PUBLIC_URL`, `ESIGN_CLIENT_IP`
/// with `ESIGN_ORIGIN_VERIFY`, `ESIGN_FUNCTION_URLS` = `site-only` or `open`); the rest
/// default.
#[cfg(any(feature = "embedded", feature = "aws"))]
fn settings_from_env() -> Result<Settings, ConfigError> {
    let client_ip = crate::app::ClientIpSource::parse(
        &std::env::var("ESIGN_CLIENT_IP").unwrap_or_default(),
        std::env::var("ESIGN_ORIGIN_VERIFY").ok().as_deref(),
    )
    .map_err(|why| ConfigError::Invalid {
        name: "ESIGN_CLIENT_IP",
        why,
    })?;
    let origin_verify = std::env::var("ESIGN_ORIGIN_VERIFY").ok();
    let only_through_site = match std::env::var("ESIGN_FUNCTION_URLS").as_deref() {
        Err(_) | Ok("open") => None,
        Ok("site-only") => Some(origin_verify.filter(|v| v.len() >= 16).ok_or(
            ConfigError::Invalid {
                name: "ESIGN_ORIGIN_VERIFY",
                why: "site-only function URLs need it (at least 16 characters)".into(),
            },
        )?),
        Ok(other) => {
            return Err(ConfigError::Invalid {
                name: "ESIGN_FUNCTION_URLS",
                why: format!("{other:?}: expected site-only or open"),
            })
        }
    };
    Ok(Settings {
        public_base_url: std::env::var("ESIGN_PUBLIC_URL")
            .unwrap_or_else(|_| Settings::default().public_base_url),
        client_ip,
        only_through_site,
        ..Settings::default()
    })
}

/// Every service for a function binary: [`ports_from_env`], composed.
pub async fn app_from_env() -> Result<App, ConfigError> {
    Ok(ports_from_env().await?.into_app())
}

#[cfg(test)]
mod backend_tests {
    use super::*;

    #[test]
    fn a_function_without_a_backend_refuses_to_start() {
        for unset in [None, Some(""), Some("  ")] {
            let e = Backend::from_setting(unset).unwrap_err();
            assert!(matches!(e, ConfigError::Missing("ESIGN_BACKEND")), "{e}");
        }
        let e = Backend::from_setting(Some("s3")).unwrap_err().to_string();
        assert!(e.contains("ESIGN_BACKEND") && e.contains("\"s3\""), "{e}");
        #[cfg(feature = "aws")]
        assert_eq!(Backend::from_setting(Some("aws")).unwrap(), Backend::Aws);
        #[cfg(feature = "embedded")]
        assert_eq!(
            Backend::from_setting(Some("embedded")).unwrap(),
            Backend::Embedded
        );
    }
}

#[cfg(all(test, feature = "aws"))]
mod secret_tests {
    use super::*;
    use crate::adapters::aws::test_support::{moto_sdk, unique_name};

    async fn secret(sdk: &aws_config::SdkConfig, text: &str) -> String {
        aws_sdk_secretsmanager::Client::new(sdk)
            .create_secret()
            .name(unique_name("esign/test/bankid"))
            .secret_string(text)
            .send()
            .await
            .unwrap()
            .arn()
            .unwrap()
            .to_string()
    }

    /// A secret in the documented shape gives a provider; a bad one is refused with the field
    /// at fault named and no value of it repeated, since errors reach the logs.
    #[tokio::test]
    async fn the_bankid_secret_is_read_and_its_values_never_shown() {
        let sdk = moto_sdk().await;
        let now = chrono::Utc::now();
        let ca = esign_world::bankid::generate_simulator_ca(now).unwrap();
        let root = crate::x509::pem_encode_cert(ca.chain_der.last().unwrap());
        let url = "http://127.0.0.1:9/rp/v6.0/";
        let good = secret(&sdk, &serde_json::json!({ "trust_pem": root }).to_string()).await;
        assert!(bankid_from_secret(&sdk, url, &good).await.is_ok());

        let hidden = "s3cr3t-VALUE";
        for (text, says) in [
            (format!("not json {hidden}"), "not the expected JSON"),
            (
                serde_json::json!({ "trust_pem": root, "password": hidden }).to_string(),
                "unknown field `password`",
            ),
            (
                serde_json::json!({ "trust_pem": root, "client_cert_p12_base64": format!("!{hidden}") })
                    .to_string(),
                "client_cert_p12_base64 is not base64",
            ),
            (
                serde_json::json!({ "trust_pem": format!("no certificate {hidden}") }).to_string(),
                "ESIGN_BANKID_SECRET_ARN",
            ),
        ] {
            let arn = secret(&sdk, &text).await;
            let e = bankid_from_secret(&sdk, url, &arn)
                .await
                .err()
                .unwrap()
                .to_string();
            assert!(e.contains(says), "{e}");
            assert!(!e.contains(hidden), "the secret's value in an error: {e}");
        }
        let missing = format!(
            "arn:aws:secretsmanager:eu-north-1:123456789012:secret:{}",
            unique_name("none")
        );
        let e = bankid_from_secret(&sdk, url, &missing).await.err().unwrap();
        assert!(e.to_string().contains("GetSecretValue"), "{e}");
    }

    #[tokio::test]
    async fn functions_without_bankid_get_a_provider_that_refuses() {
        let eid = crate::bankid::provider::BankIdNotConfigured;
        let e = eid
            .start_auth(&crate::ports::EndUser::at_ip("192.0.2.1"))
            .await
            .err()
            .unwrap();
        assert!(e.to_string().contains("notConfigured"), "{e}");
    }
}
