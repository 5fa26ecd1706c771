//! The tenants' seal keys in AWS KMS (`ports::KeySigner`).
//!
//! - Algorithms: `ECC_NIST_P256` + `ECDSA_SHA_256` (default) or an RSA key (created as
//!   `RSA_3072`) + `RSASSA_PKCS1_V1_5_SHA_256`. PSS is not offered (moto signs it with a
//!   maximal salt, see DESIGN.md).
//! - `Sign` is always `MessageType=RAW`: KMS hashes the DER of the CMS signed attributes
//!   itself, which means the same on moto and on AWS. RAW messages are limited to 4096
//!   bytes by KMS (moto does not enforce it), so longer ones are refused here, before any call.
//! - Key ids: the app names keys `seal-<tenant>`; KMS knows them by the alias
//!   `<alias prefix><key id>` (default `alias/esign-seal-<tenant>`). An explicit map can point
//!   a key id at any KMS key id, ARN or alias, and a key id that already is one
//!   (`alias/…`, `arn:…`, a key UUID) is used as given.
//! - `ensure_key`: the stack creates seal keys and aliases, so functions need only
//!   `kms:GetPublicKey` and `kms:Sign` (least privilege). `ensure_key` therefore only
//!   resolves the key and checks its type; it creates a key (`CreateKey` + `CreateAlias`)
//!   only when `create_missing_keys` is set (emulators, tests, a one-off admin run).
//! - A key id resolves once per process to the key's own id, and every signature is made with
//!   that id, so a signature always belongs to the public key this process reported even if
//!   the alias is moved to a new key meanwhile (the next cold start picks the new key up).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_sdk_kms::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{KeySpec, KeyUsageType, MessageType, SigningAlgorithmSpec};

use crate::error::ErrorText;
use crate::pdf::sign::seal::{SealAlgorithm, SealError, SealSigner};
use crate::ports::{KeyAlgorithm, KeySigner, PortError};

/// KMS signs at most this many bytes with `MessageType=RAW`.
pub const MAX_RAW_MESSAGE_BYTES: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum KmsSignerError {
    #[error(
        "the message to sign is {len} bytes; KMS signs 1 to {MAX_RAW_MESSAGE_BYTES} bytes (RAW)"
    )]
    MessageSize { len: usize },
    #[error("invalid key id {0:?}")]
    InvalidKeyId(String),
    #[error("invalid setting {name}: {why}")]
    InvalidSetting { name: &'static str, why: String },
    #[error("KMS has no key {0} (seal keys are created by the stack)")]
    KeyNotFound(String),
    #[error("KMS key {key} is {found}, but this installation signs with {expected}")]
    WrongKeyType {
        key: String,
        found: String,
        expected: String,
    },
    #[error("the seal certificate is not for KMS key {key}: its public key differs")]
    CertificateMismatch { key: String },
    #[error("invalid seal certificate: {0}")]
    InvalidCertificate(String),
    #[error("KMS {operation} failed: {message}")]
    Kms {
        operation: &'static str,
        message: String,
    },
}

impl crate::error::ErrorText for KmsSignerError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                Self::MessageSize { .. } => "kms.message_size",
                Self::InvalidKeyId(_) => "kms.invalid_key_id",
                Self::InvalidSetting { .. } => "kms.invalid_setting",
                Self::KeyNotFound(_) => "kms.key_not_found",
                Self::WrongKeyType { .. } => "kms.wrong_key_type",
                Self::CertificateMismatch { .. } => "kms.certificate_mismatch",
                Self::InvalidCertificate(_) => "kms.invalid_certificate",
                Self::Kms { .. } => "kms.unavailable",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            Self::MessageSize { len } => format!(
                "Meddelandet att signera är {len} byte; KMS signerar 1 till \
                 {MAX_RAW_MESSAGE_BYTES} byte."
            ),
            Self::InvalidKeyId(id) => format!("Ogiltigt nyckel-id {id:?}."),
            Self::InvalidSetting { name, why } => format!("Ogiltig inställning {name}: {why}"),
            Self::KeyNotFound(key) => format!(
                "KMS har ingen nyckel {key}. Sigillnycklar skapas av stacken (infrastrukturen)."
            ),
            Self::WrongKeyType {
                key,
                found,
                expected,
            } => format!("KMS-nyckeln {key} är av typen {found}, men installationen använder {expected}."),
            Self::CertificateMismatch { key } => format!(
                "Sigillcertifikatet hör inte till KMS-nyckeln {key}: de publika nycklarna skiljer sig."
            ),
            Self::InvalidCertificate(d) => format!("Ogiltigt sigillcertifikat: {d}"),
            Self::Kms { operation, message } => {
                format!("Anropet {operation} till KMS misslyckades: {message}")
            }
        }
    }
}

impl From<KmsSignerError> for PortError {
    fn from(e: KmsSignerError) -> Self {
        PortError::new("key-signer", format!("{}: {e}", e.code()))
    }
}

fn kms_error<E>(operation: &'static str, e: E) -> KmsSignerError
where
    E: std::error::Error + 'static,
{
    KmsSignerError::Kms {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

/// What to sign with and how port key ids become KMS keys.
#[derive(Clone, Debug)]
pub struct KmsSignerSettings {
    pub algorithm: KeyAlgorithm,
    /// `alias/…` prepended to a port key id (`seal-<tenant>`).
    pub alias_prefix: String,
    /// Create a missing key and its alias in `ensure_key` (never in AWS: the stack does it).
    pub create_missing_keys: bool,
    /// Port key id → KMS key id, ARN or alias, for keys that do not follow the alias scheme.
    pub key_ids: HashMap<String, String>,
}

impl Default for KmsSignerSettings {
    fn default() -> Self {
        Self {
            algorithm: KeyAlgorithm::EcdsaP256Sha256,
            alias_prefix: DEFAULT_ALIAS_PREFIX.into(),
            create_missing_keys: false,
            key_ids: HashMap::new(),
        }
    }
}

pub const DEFAULT_ALIAS_PREFIX: &str = "alias/esign-";

impl KmsSignerSettings {
    /// From the environment:
    /// - `ESIGN_SEAL_KEY_SPEC`: `ECC_NIST_P256` (default) or `RSA_3072`;
    /// - `ESIGN_SEAL_KEY_ALIAS_PREFIX`: default `alias/esign-`;
    /// - `ESIGN_SEAL_KEY_IDS`: optional `seal-a=arn:aws:kms:…,seal-b=alias/other`;
    /// - `ESIGN_SEAL_KEY_CREATE`: `true` lets `ensure_key` create keys (emulators only).
    pub fn from_env() -> Result<Self, KmsSignerError> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let mut s = Self::default();
        if let Some(spec) = var("ESIGN_SEAL_KEY_SPEC") {
            s.algorithm = parse_key_spec(spec.trim()).ok_or(KmsSignerError::InvalidSetting {
                name: "ESIGN_SEAL_KEY_SPEC",
                why: format!("{spec:?}: use ECC_NIST_P256 or RSA_3072"),
            })?;
        }
        if let Some(prefix) = var("ESIGN_SEAL_KEY_ALIAS_PREFIX") {
            s.alias_prefix = prefix.trim().to_string();
        }
        if let Some(map) = var("ESIGN_SEAL_KEY_IDS") {
            for pair in map.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').ok_or(KmsSignerError::InvalidSetting {
                    name: "ESIGN_SEAL_KEY_IDS",
                    why: format!("{pair:?} is not key-id=kms-key"),
                })?;
                s.key_ids.insert(k.trim().into(), v.trim().into());
            }
        }
        s.create_missing_keys = matches!(
            var("ESIGN_SEAL_KEY_CREATE").as_deref().map(str::trim),
            Some("1" | "true" | "yes")
        );
        s.validate()?;
        Ok(s)
    }

    fn validate(&self) -> Result<(), KmsSignerError> {
        let p = &self.alias_prefix;
        if !p.starts_with("alias/") || p.starts_with("alias/aws/") || !valid_alias_chars(p) {
            return Err(KmsSignerError::InvalidSetting {
                name: "ESIGN_SEAL_KEY_ALIAS_PREFIX",
                why: format!("{p:?} must start with alias/ (not alias/aws/)"),
            });
        }
        Ok(())
    }
}

fn parse_key_spec(spec: &str) -> Option<KeyAlgorithm> {
    match spec {
        "ECC_NIST_P256" => Some(KeyAlgorithm::EcdsaP256Sha256),
        "RSA_3072" => Some(KeyAlgorithm::RsaPkcs1Sha256),
        _ => None,
    }
}

fn valid_alias_chars(s: &str) -> bool {
    s.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-'))
}

fn signing_algorithm(a: KeyAlgorithm) -> SigningAlgorithmSpec {
    match a {
        KeyAlgorithm::EcdsaP256Sha256 => SigningAlgorithmSpec::EcdsaSha256,
        KeyAlgorithm::RsaPkcs1Sha256 => SigningAlgorithmSpec::RsassaPkcs1V15Sha256,
    }
}

fn algorithm_name(a: KeyAlgorithm) -> &'static str {
    match a {
        KeyAlgorithm::EcdsaP256Sha256 => "ECC_NIST_P256/ECDSA_SHA_256",
        KeyAlgorithm::RsaPkcs1Sha256 => "RSA/RSASSA_PKCS1_V1_5_SHA_256",
    }
}

/// A KMS key as this process uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KmsKeyInfo {
    /// The key's own id (ARN on AWS): what `Sign` is called with.
    pub key_id: String,
    /// SubjectPublicKeyInfo DER from `GetPublicKey`.
    pub spki: Vec<u8>,
    pub algorithm: KeyAlgorithm,
}

pub struct KmsKeySigner {
    client: aws_sdk_kms::Client,
    settings: KmsSignerSettings,
    /// KMS reference (alias, id) → resolved key; per process (cold start).
    resolved: Mutex<HashMap<String, KmsKeyInfo>>,
}

impl KmsKeySigner {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        settings: KmsSignerSettings,
    ) -> Result<Self, KmsSignerError> {
        settings.validate()?;
        Ok(Self {
            client: aws_sdk_kms::Client::new(sdk),
            settings,
            resolved: Mutex::new(HashMap::new()),
        })
    }

    /// The KMS key id, ARN or alias a port key id stands for.
    pub fn kms_key_ref(&self, key_id: &str) -> Result<String, KmsSignerError> {
        if let Some(mapped) = self.settings.key_ids.get(key_id) {
            return Ok(mapped.clone());
        }
        if key_id.starts_with("alias/") || key_id.starts_with("arn:") || is_key_uuid(key_id) {
            return Ok(key_id.to_string());
        }
        if key_id.is_empty() || !valid_alias_chars(key_id) || key_id.contains('/') {
            return Err(KmsSignerError::InvalidKeyId(key_id.into()));
        }
        let alias = format!("{}{key_id}", self.settings.alias_prefix);
        if alias.len() > 256 {
            return Err(KmsSignerError::InvalidKeyId(key_id.into()));
        }
        Ok(alias)
    }

    /// Look a key up (`GetPublicKey`) without insisting on the configured algorithm: what
    /// `esign seal-key` uses to learn which algorithm a key has.
    pub async fn key_info(&self, key_id: &str) -> Result<KmsKeyInfo, KmsSignerError> {
        let reference = self.kms_key_ref(key_id)?;
        if let Some(info) = self.cached(&reference) {
            return Ok(info);
        }
        let info = self.fetch(&reference).await?;
        self.remember(&reference, &info);
        Ok(info)
    }

    /// The key for a port key id, of the configured type; created first if allowed.
    async fn resolve(&self, key_id: &str, create: bool) -> Result<KmsKeyInfo, KmsSignerError> {
        let reference = self.kms_key_ref(key_id)?;
        let info = match self.cached(&reference) {
            Some(info) => info,
            None => {
                let info = match self.fetch(&reference).await {
                    Err(KmsSignerError::KeyNotFound(_))
                        if create && reference.starts_with("alias/") =>
                    {
                        self.create(key_id, &reference).await?
                    }
                    other => other?,
                };
                self.remember(&reference, &info);
                info
            }
        };
        if info.algorithm != self.settings.algorithm {
            return Err(KmsSignerError::WrongKeyType {
                key: reference,
                found: algorithm_name(info.algorithm).into(),
                expected: algorithm_name(self.settings.algorithm).into(),
            });
        }
        Ok(info)
    }

    fn cached(&self, reference: &str) -> Option<KmsKeyInfo> {
        self.resolved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(reference)
            .cloned()
    }

    fn remember(&self, reference: &str, info: &KmsKeyInfo) {
        self.resolved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(reference.to_string(), info.clone());
    }

    async fn fetch(&self, reference: &str) -> Result<KmsKeyInfo, KmsSignerError> {
        let out = match self.client.get_public_key().key_id(reference).send().await {
            Ok(out) => out,
            Err(e) => {
                let e = e.into_service_error();
                return Err(if e.is_not_found_exception() {
                    KmsSignerError::KeyNotFound(reference.into())
                } else {
                    kms_error("GetPublicKey", e)
                });
            }
        };
        // moto fills only the older CustomerMasterKeySpec; AWS fills both.
        #[allow(deprecated)]
        let spec = out
            .key_spec()
            .map(|s| s.as_str().to_string())
            .or_else(|| {
                out.customer_master_key_spec()
                    .map(|s| s.as_str().to_string())
            })
            .unwrap_or_default();
        let algorithm = match spec.as_str() {
            "ECC_NIST_P256" => Some(KeyAlgorithm::EcdsaP256Sha256),
            "RSA_2048" | "RSA_3072" | "RSA_4096" => Some(KeyAlgorithm::RsaPkcs1Sha256),
            _ => None,
        }
        .filter(|a| {
            out.key_usage() == Some(&KeyUsageType::SignVerify) && {
                let want = signing_algorithm(*a);
                out.signing_algorithms().is_empty() || out.signing_algorithms().contains(&want)
            }
        })
        .ok_or_else(|| KmsSignerError::WrongKeyType {
            key: reference.into(),
            found: format!(
                "{spec} ({})",
                out.key_usage().map(|u| u.as_str()).unwrap_or("?")
            ),
            expected: algorithm_name(self.settings.algorithm).into(),
        })?;
        let spki = out
            .public_key()
            .map(|b| b.as_ref().to_vec())
            .filter(|b| !b.is_empty())
            .ok_or_else(|| KmsSignerError::Kms {
                operation: "GetPublicKey",
                message: "no public key in the answer".into(),
            })?;
        let key_id = out.key_id().unwrap_or(reference).to_string();
        Ok(KmsKeyInfo {
            key_id,
            spki,
            algorithm,
        })
    }

    /// `CreateKey` + `CreateAlias`. Two creators racing: the alias decides, the loser's key is
    /// scheduled for deletion.
    async fn create(&self, key_id: &str, alias: &str) -> Result<KmsKeyInfo, KmsSignerError> {
        let spec = match self.settings.algorithm {
            KeyAlgorithm::EcdsaP256Sha256 => KeySpec::EccNistP256,
            KeyAlgorithm::RsaPkcs1Sha256 => KeySpec::Rsa3072,
        };
        let created = self
            .client
            .create_key()
            .key_spec(spec)
            .key_usage(KeyUsageType::SignVerify)
            .description(format!("e-underskrift seal key {key_id}"))
            .send()
            .await
            .map_err(|e| kms_error("CreateKey", e.into_service_error()))?;
        let new_key = created
            .key_metadata()
            .map(|m| m.key_id().to_string())
            .ok_or_else(|| KmsSignerError::Kms {
                operation: "CreateKey",
                message: "no key id in the answer".into(),
            })?;
        if let Err(e) = self
            .client
            .create_alias()
            .alias_name(alias)
            .target_key_id(&new_key)
            .send()
            .await
        {
            let e = e.into_service_error();
            if !e.is_already_exists_exception() {
                return Err(kms_error("CreateAlias", e));
            }
            let _ = self
                .client
                .schedule_key_deletion()
                .key_id(&new_key)
                .pending_window_in_days(7)
                .send()
                .await;
        }
        self.fetch(alias).await
    }

    /// Sign with `MessageType=RAW` using a resolved key; KMS hashes the message.
    pub async fn sign_with(
        &self,
        key: &KmsKeyInfo,
        message: &[u8],
    ) -> Result<Vec<u8>, KmsSignerError> {
        check_message(message)?;
        let out = self
            .client
            .sign()
            .key_id(&key.key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(signing_algorithm(key.algorithm))
            .send()
            .await
            .map_err(|e| {
                let e = e.into_service_error();
                match e.code() {
                    Some("NotFoundException") => KmsSignerError::KeyNotFound(key.key_id.clone()),
                    _ => kms_error("Sign", e),
                }
            })?;
        out.signature()
            .map(|s| s.as_ref().to_vec())
            .filter(|s| !s.is_empty())
            .ok_or_else(|| KmsSignerError::Kms {
                operation: "Sign",
                message: "no signature in the answer".into(),
            })
    }

    /// Sign `message` with the key a port key id stands for (the size is checked first).
    pub async fn sign_message(
        &self,
        key_id: &str,
        message: &[u8],
    ) -> Result<Vec<u8>, KmsSignerError> {
        check_message(message)?;
        let key = self.resolve(key_id, false).await?;
        self.sign_with(&key, message).await
    }

    /// The seal certificate (leaf, DER) must carry exactly the KMS key's public key: checked
    /// at start so a wrong certificate fails clearly instead of as a broken signature.
    pub async fn check_certificate(
        &self,
        key_id: &str,
        cert_der: &[u8],
    ) -> Result<KmsKeyInfo, KmsSignerError> {
        let cert_spki = certificate_spki(cert_der)?;
        let key = self.resolve(key_id, false).await?;
        if cert_spki != key.spki {
            return Err(KmsSignerError::CertificateMismatch {
                key: key.key_id.clone(),
            });
        }
        Ok(key)
    }
}

/// The SubjectPublicKeyInfo DER of a certificate.
pub fn certificate_spki(cert_der: &[u8]) -> Result<Vec<u8>, KmsSignerError> {
    use der::{Decode, Encode};
    let cert = x509_cert::Certificate::from_der(cert_der)
        .map_err(|e| KmsSignerError::InvalidCertificate(e.to_string()))?;
    cert.tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| KmsSignerError::InvalidCertificate(e.to_string()))
}

/// Does `signature` verify over `message` with this key? (ECDSA: DER signature.) For callers
/// that assemble a signed structure themselves (a CSR) and check it before handing it out.
pub fn signature_verifies(key: &KmsKeyInfo, message: &[u8], signature: &[u8]) -> bool {
    match key.algorithm {
        KeyAlgorithm::EcdsaP256Sha256 => {
            crate::pdf::signed_data::verify_ecdsa_p256(&key.spki, message, signature)
        }
        KeyAlgorithm::RsaPkcs1Sha256 => {
            crate::pdf::signed_data::verify_rsa_pkcs1_sha256(&key.spki, message, signature)
        }
    }
}

fn check_message(message: &[u8]) -> Result<(), KmsSignerError> {
    if message.is_empty() || message.len() > MAX_RAW_MESSAGE_BYTES {
        return Err(KmsSignerError::MessageSize { len: message.len() });
    }
    Ok(())
}

/// A KMS key id in UUID form (`1234abcd-12ab-34cd-56ef-1234567890ab`) or a multi-Region key
/// id (`mrk-…`).
fn is_key_uuid(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("mrk-") {
        return !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit());
    }
    s.len() == 36
        && s.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}

#[async_trait]
impl KeySigner for KmsKeySigner {
    async fn ensure_key(&self, key_id: &str) -> Result<Vec<u8>, PortError> {
        Ok(self
            .resolve(key_id, self.settings.create_missing_keys)
            .await?
            .spki)
    }

    async fn public_key(&self, key_id: &str) -> Result<Vec<u8>, PortError> {
        Ok(self.resolve(key_id, false).await?.spki)
    }

    fn algorithm(&self) -> KeyAlgorithm {
        self.settings.algorithm
    }

    async fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, PortError> {
        Ok(self.sign_message(key_id, message).await?)
    }
}

/// A seal signer over one KMS key and its certificate chain, made only after the chain's
/// leaf has been checked against the key.
pub struct KmsSealSigner {
    keys: Arc<KmsKeySigner>,
    key: KmsKeyInfo,
    chain_der: Vec<Vec<u8>>,
}

impl KmsSealSigner {
    /// `chain_der`: the seal certificate first, then its CAs.
    pub async fn new(
        keys: Arc<KmsKeySigner>,
        key_id: &str,
        chain_der: Vec<Vec<u8>>,
    ) -> Result<Self, KmsSignerError> {
        let leaf = chain_der
            .first()
            .ok_or_else(|| KmsSignerError::InvalidCertificate("empty chain".into()))?;
        let key = keys.check_certificate(key_id, leaf).await?;
        Ok(Self {
            keys,
            key,
            chain_der,
        })
    }
}

#[async_trait]
impl SealSigner for KmsSealSigner {
    fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
        self.chain_der.clone()
    }

    fn algorithm(&self) -> SealAlgorithm {
        match self.key.algorithm {
            KeyAlgorithm::EcdsaP256Sha256 => SealAlgorithm::EcdsaP256Sha256,
            KeyAlgorithm::RsaPkcs1Sha256 => SealAlgorithm::RsaPkcs1Sha256,
        }
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        self.keys
            .sign_with(&self.key, message)
            .await
            .map_err(|e| SealError::Signer(format!("{}: {e}", e.code())))
    }
}

#[cfg(test)]
#[path = "kms_signer_tests.rs"]
mod tests;
