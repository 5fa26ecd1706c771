use async_trait::async_trait;
use p256::ecdsa::{signature::Signer, DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use std::path::PathBuf;

use crate::ports::{KeyAlgorithm, KeySigner, PortError};

/// Software ECDSA P-256 keys, one PKCS#8 PEM file per key id, made on first use.
/// The local stand-in for a KMS key (`ECC_NIST_P256`, `ECDSA_SHA_256`).
pub struct SoftwareKeySigner {
    dir: PathBuf,
}

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("key-signer", e)
}

impl SoftwareKeySigner {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn path(&self, key_id: &str) -> Result<PathBuf, PortError> {
        if key_id.is_empty()
            || !key_id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(err(format!("invalid key id {key_id:?}")));
        }
        Ok(self.dir.join(format!("{key_id}.pk8.pem")))
    }

    fn load(&self, key_id: &str) -> Result<Option<SigningKey>, PortError> {
        let path = self.path(key_id)?;
        match std::fs::read_to_string(&path) {
            Ok(pem) => Ok(Some(SigningKey::from_pkcs8_pem(&pem).map_err(err)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    fn spki(key: &SigningKey) -> Result<Vec<u8>, PortError> {
        Ok(key
            .verifying_key()
            .to_public_key_der()
            .map_err(err)?
            .as_bytes()
            .to_vec())
    }
}

#[async_trait]
impl KeySigner for SoftwareKeySigner {
    async fn ensure_key(&self, key_id: &str) -> Result<Vec<u8>, PortError> {
        if let Some(k) = self.load(key_id)? {
            return Self::spki(&k);
        }
        let key = SigningKey::random(&mut rand_core::OsRng);
        let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(err)?;
        let path = self.path(key_id)?;
        super::write_atomic(&path, pem.as_bytes()).map_err(err)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
        Self::spki(&key)
    }

    async fn public_key(&self, key_id: &str) -> Result<Vec<u8>, PortError> {
        let key = self
            .load(key_id)?
            .ok_or_else(|| err(format!("no key {key_id}")))?;
        Self::spki(&key)
    }

    fn algorithm(&self) -> KeyAlgorithm {
        KeyAlgorithm::EcdsaP256Sha256
    }

    async fn sign(&self, key_id: &str, message: &[u8]) -> Result<Vec<u8>, PortError> {
        let key = self
            .load(key_id)?
            .ok_or_else(|| err(format!("no key {key_id}")))?;
        let sig: DerSignature = key.try_sign(message).map_err(err)?;
        Ok(sig.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn behaves_like_a_key_signer() {
        let dir = tempfile::tempdir().unwrap();
        crate::port_tests::key_signer_suite(&SoftwareKeySigner::new(dir.path())).await;
    }
}
