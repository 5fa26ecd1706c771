//! Personal data (personnummer) encrypted under a KMS data key (`ports::PersonalDataCipher`).
//!
//! Envelope encryption, with the one data key of the installation:
//! - The data key is made once by KMS `GenerateDataKey` (AES_256) under the installation's
//!   KMS key and stored **only encrypted** (its `CiphertextBlob`) as one item of the state
//!   store (`pk = KEYRING`, `sk = PERSONAL_DATA#1`). It lives beside the data it protects, so
//!   a backup or point-in-time restore of the table always brings the matching key, and no
//!   manual step is needed before the first deployment. The first cold start creates it with
//!   a conditional write; a racing cold start loses the write and uses the winner's key.
//! - Each cold start reads the item and calls KMS `Decrypt` once; the plaintext key is held
//!   in memory only. Both calls carry the encryption context
//!   `purpose=e-underskrift-personal-data`, so the blob decrypts for nothing else and IAM can
//!   require it (`kms:EncryptionContext:purpose`).
//! - Two keys are derived from the data key with HMAC-SHA256 under distinct labels: the
//!   AES-256-GCM key for personal data and the HMAC key for lookups (`lookup_hash`), which
//!   must never change while lookups exist.
//! - Ciphertexts are `k1:` + base64(nonce ‖ AES-GCM ciphertext and tag).

use async_trait::async_trait;
use aws_sdk_kms::error::DisplayErrorContext;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::adapters::personal_data_keys::PersonalDataKeys;

use crate::error::ErrorText;
use crate::ports::{PersonalDataCipher, PortError, StateStore};
use crate::repo::{keyring, RepoError};

const CONTEXT_KEY: &str = "purpose";
const CONTEXT_VALUE: &str = "e-underskrift-personal-data";
const PREFIX: &str = "k1:";

#[derive(Debug, thiserror::Error)]
pub enum KmsCipherError {
    #[error("KMS {operation} failed: {message}")]
    Kms {
        operation: &'static str,
        message: String,
    },
    #[error("the stored data key is damaged: {0}")]
    DamagedKey(String),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error("missing setting {0}")]
    MissingSetting(&'static str),
}

impl crate::error::ErrorText for KmsCipherError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                Self::Kms { .. } => "cipher.kms_unavailable",
                Self::DamagedKey(_) => "cipher.damaged_key",
                Self::Store(_) => "cipher.store_unavailable",
                Self::MissingSetting(_) => "cipher.missing_setting",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            Self::Kms { operation, message } => {
                format!("Anropet {operation} till KMS misslyckades: {message}")
            }
            Self::DamagedKey(d) => format!("Den lagrade datanyckeln är skadad: {d}"),
            Self::Store(e) => format!("Datanyckeln kunde inte läsas eller sparas: {e}"),
            Self::MissingSetting(name) => format!("Inställningen {name} saknas."),
        }
    }
}

impl From<KmsCipherError> for PortError {
    fn from(e: KmsCipherError) -> Self {
        PortError::new("cipher", format!("{}: {e}", e.code()))
    }
}

fn kms_error<E: std::error::Error + 'static>(operation: &'static str, e: E) -> KmsCipherError {
    KmsCipherError::Kms {
        operation,
        message: DisplayErrorContext(e).to_string(),
    }
}

pub struct KmsCipher {
    keys: PersonalDataKeys,
}

impl KmsCipher {
    /// Read the encrypted data key from `state` and decrypt it with KMS; on the very first
    /// start make it (`GenerateDataKey` under `kms_key_id`) and store it.
    /// `kms_key_id` is a key id, ARN or alias of a symmetric KMS key.
    pub async fn open_or_create(
        sdk: &aws_config::SdkConfig,
        kms_key_id: &str,
        state: &dyn StateStore,
    ) -> Result<Self, KmsCipherError> {
        let kms = aws_sdk_kms::Client::new(sdk);
        let blob = match stored_blob(state).await? {
            Some(blob) => blob,
            None => {
                let (blob, key) = generate(&kms, kms_key_id).await?;
                match keyring::store_wrapped_data_key(state, &blob, kms_key_id, chrono::Utc::now())
                    .await
                {
                    Ok(()) => return Ok(Self::from_data_key(&key)),
                    // Another cold start stored its key first: use that one.
                    Err(RepoError::Conflict) => stored_blob(state)
                        .await?
                        .ok_or_else(|| KmsCipherError::DamagedKey("vanished".into()))?,
                    Err(e) => return Err(repo_error(e)),
                }
            }
        };
        let key = decrypt(&kms, kms_key_id, &blob).await?;
        Ok(Self::from_data_key(&key))
    }

    /// [`KmsCipher::open_or_create`] with the KMS key from `ESIGN_PERSONAL_DATA_KMS_KEY_ID`
    /// (key id, ARN or alias of a symmetric key).
    pub async fn from_env(
        sdk: &aws_config::SdkConfig,
        state: &dyn StateStore,
    ) -> Result<Self, KmsCipherError> {
        let key = std::env::var("ESIGN_PERSONAL_DATA_KMS_KEY_ID")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or(KmsCipherError::MissingSetting(
                "ESIGN_PERSONAL_DATA_KMS_KEY_ID",
            ))?;
        Self::open_or_create(sdk, key.trim(), state).await
    }

    fn from_data_key(data_key: &[u8]) -> Self {
        let derive = |label: &[u8]| -> [u8; 32] {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(data_key).expect("any key length");
            mac.update(label);
            mac.finalize().into_bytes().into()
        };
        Self {
            keys: PersonalDataKeys::new(
                derive(b"e-underskrift personal data encryption v1"),
                derive(b"e-underskrift personal data lookup v1"),
                PREFIX,
            ),
        }
    }
}

async fn stored_blob(state: &dyn StateStore) -> Result<Option<Vec<u8>>, KmsCipherError> {
    keyring::wrapped_data_key(state).await.map_err(repo_error)
}

fn repo_error(e: RepoError) -> KmsCipherError {
    match e {
        RepoError::Port(p) => p.into(),
        other => KmsCipherError::DamagedKey(other.to_string()),
    }
}

async fn generate(
    kms: &aws_sdk_kms::Client,
    kms_key_id: &str,
) -> Result<(Vec<u8>, Vec<u8>), KmsCipherError> {
    let out = kms
        .generate_data_key()
        .key_id(kms_key_id)
        .key_spec(DataKeySpec::Aes256)
        .encryption_context(CONTEXT_KEY, CONTEXT_VALUE)
        .send()
        .await
        .map_err(|e| kms_error("GenerateDataKey", e.into_service_error()))?;
    match (out.ciphertext_blob(), out.plaintext()) {
        (Some(blob), Some(key)) if key.as_ref().len() == 32 => {
            Ok((blob.as_ref().to_vec(), key.as_ref().to_vec()))
        }
        _ => Err(KmsCipherError::Kms {
            operation: "GenerateDataKey",
            message: "no 32-byte key in the answer".into(),
        }),
    }
}

async fn decrypt(
    kms: &aws_sdk_kms::Client,
    kms_key_id: &str,
    blob: &[u8],
) -> Result<Vec<u8>, KmsCipherError> {
    // The key id pins the blob to our key: KMS refuses a blob made under another one.
    let out = kms
        .decrypt()
        .key_id(kms_key_id)
        .ciphertext_blob(Blob::new(blob))
        .encryption_context(CONTEXT_KEY, CONTEXT_VALUE)
        .send()
        .await
        .map_err(|e| kms_error("Decrypt", e.into_service_error()))?;
    out.plaintext()
        .map(|p| p.as_ref().to_vec())
        .filter(|p| p.len() == 32)
        .ok_or_else(|| KmsCipherError::DamagedKey("not a 32-byte key".into()))
}

#[async_trait]
impl PersonalDataCipher for KmsCipher {
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

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::adapters::aws::test_support::*;
    use crate::adapters::embedded::RedbStateStore;
    use crate::repo::keyring::{KEY_ITEM_PK, KEY_ITEM_SK};
    use base64::{engine::general_purpose::STANDARD as B64, Engine};

    fn state(dir: &tempfile::TempDir) -> RedbStateStore {
        RedbStateStore::open(&dir.path().join("state.redb")).unwrap()
    }

    #[tokio::test]
    async fn behaves_like_a_cipher_and_keeps_its_key_across_cold_starts() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let dir = tempfile::tempdir().unwrap();
        let store = state(&dir);
        let c = KmsCipher::open_or_create(&sdk, &kms_key, &store)
            .await
            .unwrap();
        crate::port_tests::cipher_suite(&c).await;

        // Only the encrypted data key is stored.
        let item = store.get(KEY_ITEM_PK, KEY_ITEM_SK).await.unwrap().unwrap();
        let blob = B64
            .decode(item.data["ciphertext_blob"].as_str().unwrap())
            .unwrap();
        assert!(blob.len() > 32);

        // The next cold start decrypts the same key.
        let again = KmsCipher::open_or_create(&sdk, &kms_key, &store)
            .await
            .unwrap();
        let ct = c.encrypt(b"191212121212").await.unwrap();
        assert!(ct.starts_with("k1:"));
        assert_eq!(again.decrypt(&ct).await.unwrap(), b"191212121212");
        assert_eq!(again.lookup_hash(b"x"), c.lookup_hash(b"x"));
        assert_ne!(c.lookup_hash(b"x"), hex::encode(b"x"));
        assert_eq!(
            store
                .get(KEY_ITEM_PK, KEY_ITEM_SK)
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );

        // Another installation (own table) has its own key: nothing decrypts across.
        let other_dir = tempfile::tempdir().unwrap();
        let other = KmsCipher::open_or_create(&sdk, &kms_key, &state(&other_dir))
            .await
            .unwrap();
        assert!(other.decrypt(&ct).await.is_err());
        assert_ne!(other.lookup_hash(b"x"), c.lookup_hash(b"x"));
    }

    #[tokio::test]
    async fn the_stored_key_opens_only_with_its_kms_key() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let dir = tempfile::tempdir().unwrap();
        let store = state(&dir);
        KmsCipher::open_or_create(&sdk, &kms_key, &store)
            .await
            .unwrap();
        let wrong = symmetric_kms_key(&sdk).await;
        let e = KmsCipher::open_or_create(&sdk, &wrong, &store)
            .await
            .err()
            .unwrap();
        assert!(
            matches!(
                e,
                KmsCipherError::Kms {
                    operation: "Decrypt",
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(e.code(), "cipher.kms_unavailable");
    }

    #[tokio::test]
    async fn racing_cold_starts_agree_on_one_key() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let dir = tempfile::tempdir().unwrap();
        let store = state(&dir);
        let (a, b) = tokio::join!(
            KmsCipher::open_or_create(&sdk, &kms_key, &store),
            KmsCipher::open_or_create(&sdk, &kms_key, &store)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!(a.lookup_hash(b"x"), b.lookup_hash(b"x"));
        let ct = a.encrypt(b"p").await.unwrap();
        assert_eq!(b.decrypt(&ct).await.unwrap(), b"p");
    }

    #[tokio::test]
    async fn a_damaged_key_item_is_a_clear_error() {
        let sdk = moto_sdk().await;
        let kms_key = symmetric_kms_key(&sdk).await;
        let dir = tempfile::tempdir().unwrap();
        let store = state(&dir);
        crate::port_tests::put_new(
            &store,
            KEY_ITEM_PK,
            KEY_ITEM_SK,
            serde_json::json!({"ciphertext_blob": "!!"}),
        )
        .await;
        let e = KmsCipher::open_or_create(&sdk, &kms_key, &store)
            .await
            .err()
            .unwrap();
        assert_eq!(e.code(), "cipher.damaged_key", "{e}");
    }
}
