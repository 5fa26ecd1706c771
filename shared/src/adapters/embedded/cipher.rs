use async_trait::async_trait;
use rand_core::RngCore;
use std::path::Path;

use crate::adapters::personal_data_keys::PersonalDataKeys;
use crate::ports::{PersonalDataCipher, PortError};

/// AES-256-GCM for personal data at rest and HMAC-SHA256 for lookups, from a 64-byte secret
/// made on first run (the local stand-in for a KMS data key).
pub struct LocalCipher {
    keys: PersonalDataKeys,
}

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("cipher", e)
}

impl LocalCipher {
    pub fn open_or_create(secret_file: &Path) -> Result<Self, PortError> {
        let secret = match std::fs::read(secret_file) {
            Ok(s) if s.len() == 64 => s,
            Ok(_) => return Err(err("the data key file is damaged (expected 64 bytes)")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut s = vec![0u8; 64];
                rand_core::OsRng.fill_bytes(&mut s);
                super::write_atomic(secret_file, &s).map_err(err)?;
                #[cfg(unix)]
                {
                    use std::os::unix::fs::PermissionsExt;
                    let _ = std::fs::set_permissions(
                        secret_file,
                        std::fs::Permissions::from_mode(0o600),
                    );
                }
                s
            }
            Err(e) => return Err(err(e)),
        };
        Ok(Self::from_secret(&secret))
    }

    pub fn from_secret(secret: &[u8]) -> Self {
        let mut enc = [0u8; 32];
        let mut mac_key = [0u8; 32];
        enc.copy_from_slice(&secret[..32]);
        mac_key.copy_from_slice(&secret[32..64]);
        Self {
            keys: PersonalDataKeys::new(enc, mac_key, "v1:"),
        }
    }
}

#[async_trait]
impl PersonalDataCipher for LocalCipher {
    async fn encrypt(&self, plaintext: &[u8]) -> Result<String, PortError> {
        self.keys.encrypt(plaintext)
    }

    async fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, PortError> {
        self.keys.decrypt(ciphertext)
    }

    fn lookup_hash(&self, plaintext: &[u8]) -> String {
        self.keys.lookup_hash(plaintext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn behaves_like_a_cipher() {
        let dir = tempfile::tempdir().unwrap();
        let c = LocalCipher::open_or_create(&dir.path().join("k")).unwrap();
        crate::port_tests::cipher_suite(&c).await;
        // The same file gives the same keys.
        let again = LocalCipher::open_or_create(&dir.path().join("k")).unwrap();
        let ct = c.encrypt(b"191212121212").await.unwrap();
        assert_eq!(again.decrypt(&ct).await.unwrap(), b"191212121212");
        assert_eq!(again.lookup_hash(b"x"), c.lookup_hash(b"x"));
    }
}
