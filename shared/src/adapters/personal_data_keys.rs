//! The format every personal-data cipher writes: `<version>` + base64(nonce ‖ AES-256-GCM
//! ciphertext and tag), and HMAC-SHA256 hex for lookups. Adapters differ only in where the two
//! keys come from (a local secret file, a KMS data key).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::{engine::general_purpose::STANDARD as B64, Engine};
use hmac::{Hmac, Mac};
use rand_core::RngCore;
use sha2::Sha256;

use crate::ports::PortError;

const NONCE: usize = 12;
const TAG: usize = 16;

pub(crate) struct PersonalDataKeys {
    aead: Aes256Gcm,
    mac_key: [u8; 32],
    /// Prefix of every ciphertext, so a future key or format can be told apart.
    version: &'static str,
}

fn err(e: impl std::fmt::Display) -> PortError {
    PortError::new("cipher", e)
}

impl PersonalDataKeys {
    pub fn new(encryption_key: [u8; 32], mac_key: [u8; 32], version: &'static str) -> Self {
        Self {
            aead: Aes256Gcm::new(&encryption_key.into()),
            mac_key,
            version,
        }
    }

    pub fn encrypt(&self, plaintext: &[u8]) -> Result<String, PortError> {
        let mut nonce = [0u8; NONCE];
        rand_core::OsRng.fill_bytes(&mut nonce);
        let ct = self
            .aead
            .encrypt(&Nonce::from(nonce), plaintext)
            .map_err(|_| err("encryption failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("{}{}", self.version, B64.encode(out)))
    }

    pub fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, PortError> {
        let body = ciphertext
            .strip_prefix(self.version)
            .ok_or_else(|| err("unknown ciphertext version"))?;
        let raw = B64.decode(body).map_err(err)?;
        if raw.len() < NONCE + TAG {
            return Err(err("ciphertext too short"));
        }
        let mut nonce = [0u8; NONCE];
        nonce.copy_from_slice(&raw[..NONCE]);
        self.aead
            .decrypt(&Nonce::from(nonce), &raw[NONCE..])
            .map_err(|_| err("decryption failed (wrong key or damaged data)"))
    }

    pub fn lookup_hash(&self, plaintext: &[u8]) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.mac_key).expect("any key length");
        mac.update(plaintext);
        hex::encode(mac.finalize().into_bytes())
    }
}
