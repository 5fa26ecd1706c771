//! The personal-data cipher's data key, stored only as the KMS `CiphertextBlob` that wraps it
//! (`KEYRING` / `PERSONAL_DATA#1`). It lives beside the data it protects, so a backup or
//! point-in-time restore of the table always brings the matching key.

use base64::{engine::general_purpose::STANDARD as B64, Engine};
use chrono::{DateTime, Utc};

use super::{item, RepoError};
use crate::ports::{Expect, StateStore, Write};

/// Where the wrapped key lies (tests read it to check what is stored).
pub const KEY_ITEM_PK: &str = "KEYRING";
pub const KEY_ITEM_SK: &str = "PERSONAL_DATA#1";

/// The wrapped data key as stored, or `None` before the first cold start made it.
pub async fn wrapped_data_key(state: &dyn StateStore) -> Result<Option<Vec<u8>>, RepoError> {
    let Some(stored) = state.get(KEY_ITEM_PK, KEY_ITEM_SK).await? else {
        return Ok(None);
    };
    let corrupt = |why: String| RepoError::Corrupt {
        at: format!("{KEY_ITEM_PK}/{KEY_ITEM_SK}"),
        why,
    };
    let text = stored
        .data
        .get("ciphertext_blob")
        .and_then(|v| v.as_str())
        .ok_or_else(|| corrupt("no ciphertext_blob".into()))?;
    B64.decode(text)
        .map(Some)
        .map_err(|e| corrupt(e.to_string()))
}

/// Store the wrapped data key if there is none yet; [`RepoError::Conflict`] when another cold
/// start stored its key first (read that one with [`wrapped_data_key`]).
pub async fn store_wrapped_data_key(
    state: &dyn StateStore,
    ciphertext_blob: &[u8],
    kms_key_id: &str,
    at: DateTime<Utc>,
) -> Result<(), RepoError> {
    let data = serde_json::json!({
        "ciphertext_blob": B64.encode(ciphertext_blob),
        "kms_key_id": kms_key_id,
        "created_at": at,
    });
    state
        .transact(vec![Write::Put {
            item: item(KEY_ITEM_PK.into(), KEY_ITEM_SK.into(), data),
            expect: Expect::Absent,
        }])
        .await?;
    Ok(())
}
