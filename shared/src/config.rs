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
    };
    Ok((ports, queue, worker))
}

fn env(name: &'static str) -> Result<String, ConfigError> {
    std::env::var(name).map_err(|_| ConfigError::Missing(name))
}

/// The BankID provider from `ESIGN_BANKID_URL` (RP API base, e.g. `https://appapi2.test.bankid.com/rp/v6.0/`)
/// and `ESIGN_BANKID_TRUST_PEM` (the CA certificates user certificates chain to).
pub fn bankid_from_env() -> Result<Arc<dyn EidProvider>, ConfigError> {
    let url = env("ESIGN_BANKID_URL")?;
    let trust_path = PathBuf::from(env("ESIGN_BANKID_TRUST_PEM")?);
    let pem = std::fs::read_to_string(&trust_path).map_err(|e| ConfigError::Invalid {
        name: "ESIGN_BANKID_TRUST_PEM",
        why: e.to_string(),
    })?;
    let anchors = crate::pki::pem_decode_certs(&pem).map_err(|e| ConfigError::Invalid {
        name: "ESIGN_BANKID_TRUST_PEM",
        why: e.to_string(),
    })?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| ConfigError::Invalid {
            name: "ESIGN_BANKID_URL",
            why: e.to_string(),
        })?;
    Ok(Arc::new(crate::bankid::provider::BankIdProvider::new(
        crate::bankid::BankIdClient::new(&url, http),
        anchors,
    )))
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
            let (ports, _queue, worker) = embedded_ports(&data, bankid_from_env()?)?;
            let app = App::new(ports, settings);
            tokio::spawn(worker.run(Arc::new(app.clone())));
            Ok(app)
        }
        other => Err(ConfigError::Invalid {
            name: "ESIGN_BACKEND",
            why: format!("unknown backend {other:?}"),
        }),
    }
}
