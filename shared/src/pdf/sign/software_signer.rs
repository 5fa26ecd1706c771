//! A software P-256 seal key: tests and local mode. Production uses a KMS-backed signer.

use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use signature::Signer;

use super::seal::{SealAlgorithm, SealError, SealSigner};

pub struct SoftwareSealSigner {
    key: SigningKey,
    chain: Vec<Vec<u8>>,
}

impl SoftwareSealSigner {
    /// `chain`: the seal certificate first, then its CAs.
    pub fn new(key: SigningKey, chain: Vec<Vec<u8>>) -> Self {
        Self { key, chain }
    }

    pub fn from_pkcs8_der(key_pkcs8_der: &[u8], chain: Vec<Vec<u8>>) -> Result<Self, SealError> {
        let key = SigningKey::from_pkcs8_der(key_pkcs8_der)
            .map_err(|e| SealError::Signer(format!("invalid PKCS#8 key: {e}")))?;
        Ok(Self { key, chain })
    }
}

#[async_trait::async_trait]
impl SealSigner for SoftwareSealSigner {
    fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
        self.chain.clone()
    }

    fn algorithm(&self) -> SealAlgorithm {
        SealAlgorithm::EcdsaP256Sha256
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        // Signer<DerSignature> hashes with SHA-256 (RFC 6979 deterministic nonce).
        let signature: DerSignature = self
            .key
            .try_sign(message)
            .map_err(|e| SealError::Signer(e.to_string()))?;
        Ok(signature.as_bytes().to_vec())
    }
}
