//! The eID provider: BankID's RP API v6 (the local world's simulator in local mode and tests).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::PortError;

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
