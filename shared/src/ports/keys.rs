//! The tenant's seal key: a software key locally, KMS in AWS.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::PortError;

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
