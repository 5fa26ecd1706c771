//! Signing a webhook as Standard Webhooks says: `webhook-id`, `webhook-timestamp` (seconds since
//! the epoch) and `webhook-signature`, `v1,<base64 HMAC-SHA256 of "id.timestamp.payload">` with
//! the endpoint's `whsec_` secret. During a rotation the endpoint has two secrets and the header
//! carries a signature by each, space-separated, so a receiver with either one accepts it. The
//! HMAC itself is the `standardwebhooks` crate's (the specification's own Rust library).

use base64::Engine;
use rand_core::RngCore;
use standardwebhooks::Webhook;

/// An endpoint's secret: `whsec_` and the base64 of 24 random bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointSecret(String);

impl std::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EndpointSecret(whsec_…)")
    }
}

const PREFIX: &str = "whsec_";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookSignError {
    #[error("a webhook secret is whsec_ and base64 of 24 to 64 bytes")]
    BadSecret,
    #[error("a webhook payload is UTF-8 JSON")]
    BadPayload,
    #[error("a webhook is signed with at least one secret")]
    NoSecret,
}

impl EndpointSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 24];
        rand_core::OsRng.fill_bytes(&mut bytes);
        Self(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        ))
    }

    /// A secret as stored or given by an integrator.
    pub fn parse(s: &str) -> Result<Self, WebhookSignError> {
        let key = s.strip_prefix(PREFIX).ok_or(WebhookSignError::BadSecret)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(key)
            .map_err(|_| WebhookSignError::BadSecret)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(WebhookSignError::BadSecret);
        }
        Ok(Self(s.to_string()))
    }

    /// The secret itself, to show the integrator once and to keep encrypted.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// The three headers of one delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedHeaders {
    pub id: String,
    pub timestamp: i64,
    pub signature: String,
}

impl SignedHeaders {
    /// (name, value) pairs as the specification names them.
    pub fn pairs(&self) -> [(&'static str, String); 3] {
        [
            ("webhook-id", self.id.clone()),
            ("webhook-timestamp", self.timestamp.to_string()),
            ("webhook-signature", self.signature.clone()),
        ]
    }
}

/// Sign `payload` (the event's JSON) for delivery `id` at `timestamp` with every secret the
/// endpoint has (the current one first).
pub fn sign(
    secrets: &[EndpointSecret],
    id: &str,
    timestamp: i64,
    payload: &[u8],
) -> Result<SignedHeaders, WebhookSignError> {
    if secrets.is_empty() {
        return Err(WebhookSignError::NoSecret);
    }
    let mut signatures = Vec::with_capacity(secrets.len());
    for secret in secrets {
        let signer = Webhook::new(&secret.0).map_err(|_| WebhookSignError::BadSecret)?;
        let signature = signer
            .sign(id, timestamp, payload)
            .map_err(|_| WebhookSignError::BadPayload)?;
        signatures.push(signature);
    }
    Ok(SignedHeaders {
        id: id.to_string(),
        timestamp,
        signature: signatures.join(" "),
    })
}

#[cfg(test)]
#[path = "signature_tests.rs"]
mod tests;
