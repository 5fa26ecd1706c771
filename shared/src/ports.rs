//! The traits the use cases need. Each has one behaviour suite (`crate::port_tests`) that
//! every adapter must pass: the embedded ones here, the AWS ones against an emulator.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A failure of the infrastructure behind a port (disk, database, network): not the user's fault.
#[derive(Debug, Error)]
#[error("{port}: {message}")]
pub struct PortError {
    pub port: &'static str,
    pub message: String,
}

impl PortError {
    pub fn new(port: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            port,
            message: message.to_string(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Object store

/// Files: originals, archive and publication versions, evidence, packages. Keys always start
/// with `tenants/<tenant>/` (or `public/<tenant>/` for what the public may read).
#[async_trait]
pub trait ObjectStore: Send + Sync {
    /// Atomic: a reader sees the whole object or none of it.
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), PortError>;
    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError>;
    async fn exists(&self, key: &str) -> Result<bool, PortError>;
    /// Keys under a prefix, sorted.
    async fn list(&self, prefix: &str) -> Result<Vec<String>, PortError>;

    /// Store the file at `path` under `key` without holding it in memory (archive versions of
    /// hundreds of MB). Atomic like `put`.
    async fn put_file(
        &self,
        key: &str,
        path: &std::path::Path,
        content_type: &str,
    ) -> Result<(), PortError>;
    /// Write the object to `path` without holding it in memory; `false` when there is none.
    async fn get_to_file(&self, key: &str, path: &std::path::Path) -> Result<bool, PortError>;
}

// ---------------------------------------------------------------------------------------------
// State store: a small item model that DynamoDB mirrors one to one (single table, one GSI).

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub pk: String,
    pub sk: String,
    /// Starts at 1 on create; every successful write adds one.
    pub version: u64,
    pub data: serde_json::Value,
    /// The secondary index ("orders naming this signer", "orders of this committee").
    pub gsi1: Option<IndexKey>,
    /// Unix seconds after which the item may vanish (sessions, BankID orders).
    pub expires_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexKey {
    pub pk: String,
    pub sk: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// The item must not exist (create).
    Absent,
    /// The item must exist with exactly this version (optimistic update).
    Version(u64),
}

#[derive(Clone, Debug)]
pub enum Write {
    /// `item.version` is ignored: the store sets it to the expected version + 1 (or 1).
    Put { item: Item, expect: Expect },
    Delete {
        pk: String,
        sk: String,
        expect: Expect,
    },
}

#[derive(Debug, Error)]
pub enum StateError {
    /// A condition did not hold: someone else wrote first. `index` is the failing write.
    #[error("condition failed on write {index}")]
    ConditionFailed { index: usize },
    #[error(transparent)]
    Port(#[from] PortError),
}

#[async_trait]
pub trait StateStore: Send + Sync {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, PortError>;
    /// All writes happen, or none (DynamoDB `TransactWriteItems`).
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StateError>;
    /// Items of one partition whose sort key starts with `sk_prefix`, sorted by sort key.
    async fn query(&self, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError>;
    /// Items whose GSI key has this partition and a sort key starting with `sk_prefix`.
    async fn query_index(&self, gsi_pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError>;
}

// ---------------------------------------------------------------------------------------------
// Key signer: the tenant's seal key (software key locally, KMS in AWS).

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyAlgorithm {
    EcdsaP256Sha256,
    RsaPkcs1Sha256,
}

#[async_trait]
pub trait KeySigner: Send + Sync {
    /// Create the key if there is none; return its SubjectPublicKeyInfo (DER).
    async fn ensure_key(&self, key_id: &str) -> Result<Vec<u8>, PortError>;
    async fn public_key(&self, key_id: &str) -> Result<Vec<u8>, PortError>;
    fn algorithm(&self) -> KeyAlgorithm;
    /// Sign `message` (hashed by the signer, like KMS `MessageType=RAW`). ECDSA: DER signature.
    async fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, PortError>;
}

// ---------------------------------------------------------------------------------------------
// Personal data cipher: personnummer encrypted at rest and looked up by keyed hash.

#[async_trait]
pub trait PersonalDataCipher: Send + Sync {
    async fn encrypt(&self, plaintext: &[u8]) -> Result<String, PortError>;
    async fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, PortError>;
    /// A keyed hash (HMAC) for lookups; the same input always gives the same output.
    fn lookup_hash(&self, plaintext: &[u8]) -> String;
}

// ---------------------------------------------------------------------------------------------
// Mailer

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: &OutgoingMail) -> Result<(), PortError>;
}

// ---------------------------------------------------------------------------------------------
// Queue: work for the seal, publish and archive-export functions. At-least-once.

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Job {
    Seal { tenant: String, order_id: String },
    Publish { tenant: String, order_id: String },
    ArchiveExport { tenant: String, order_id: String },
}

impl Job {
    pub fn queue_name(&self) -> &'static str {
        match self {
            Job::Seal { .. } => "seal",
            Job::Publish { .. } => "publish",
            Job::ArchiveExport { .. } => "archive-export",
        }
    }
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn enqueue(&self, job: Job) -> Result<(), PortError>;
}

// ---------------------------------------------------------------------------------------------
// Direct uploads

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
    async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError>;
}

// ---------------------------------------------------------------------------------------------
// Clock

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock tests can move.
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(std::sync::Mutex::new(at))
    }
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = at;
    }
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

// ---------------------------------------------------------------------------------------------
// eID provider (BankID RP API v6; the simulator locally)

/// Who is in front of the browser, as BankID's risk assessment wants it: the end user's IP
/// and, from a web page, the browser's user agent and the site's domain.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndUser {
    pub ip: String,
    pub user_agent: Option<String>,
    pub referring_domain: Option<String>,
}

impl EndUser {
    pub fn at_ip(ip: &str) -> Self {
        Self {
            ip: ip.to_string(),
            ..Self::default()
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EidStarted {
    pub order_ref: String,
    pub auto_start_token: String,
    pub qr_start_token: String,
    /// Never sent to a browser: the server computes the animated QR from it.
    pub qr_start_secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EidIdentity {
    /// 12 digits.
    pub personal_number: String,
    pub name: String,
    pub given_name: String,
    pub surname: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum EidCollect {
    Pending {
        hint_code: Option<String>,
    },
    Failed {
        hint_code: Option<String>,
    },
    Complete {
        identity: EidIdentity,
        /// The whole `completionData` as received: kept as evidence.
        completion_data: serde_json::Value,
    },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EidSignText {
    /// Base64 of the UTF-8 text the signer reads (simpleMarkdownV1).
    pub user_visible_data_b64: String,
    pub user_non_visible_data_b64: String,
}

#[derive(Debug, Error)]
pub enum EidError {
    /// The provider refused the request; `code` is its error code (e.g. `alreadyInProgress`).
    #[error("{code}: {details}")]
    Refused { code: String, details: String },
    /// The completed order's evidence did not verify: the signature does not count.
    #[error("evidence rejected: {0}")]
    EvidenceRejected(String),
    #[error(transparent)]
    Port(#[from] PortError),
}

#[async_trait]
pub trait EidProvider: Send + Sync {
    async fn start_auth(&self, end_user: &EndUser) -> Result<EidStarted, EidError>;
    async fn start_sign(
        &self,
        end_user: &EndUser,
        personal_number: &str,
        text: &EidSignText,
    ) -> Result<EidStarted, EidError>;
    async fn collect(&self, order_ref: &str) -> Result<EidCollect, EidError>;
    async fn cancel(&self, order_ref: &str) -> Result<(), EidError>;
    /// Verify a completed order's evidence against what was sent (`text` is `None` for a
    /// login); returns the verification report for storage. An error means it does not count.
    fn verify_evidence(
        &self,
        completion_data: &serde_json::Value,
        personal_number: &str,
        text: Option<&EidSignText>,
    ) -> Result<serde_json::Value, EidError>;
}
