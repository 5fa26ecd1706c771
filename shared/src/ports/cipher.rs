//! Personnummer encrypted at rest and looked up by keyed hash.

use async_trait::async_trait;

use super::PortError;

#[async_trait]
pub trait PersonalDataCipher: Send + Sync {
    async fn encrypt(&self, plaintext: &[u8]) -> Result<String, PortError>;
    async fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, PortError>;
    /// A keyed hash (HMAC) for lookups; the same input always gives the same output.
    fn lookup_hash(&self, plaintext: &[u8]) -> String;
}
