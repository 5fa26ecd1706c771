//! Which certificates are revoked: the list the CRLs and OCSP answers are made from.

use std::path::{Path, PathBuf};
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{normalize_serial_hex, RevocationError, RevocationReason, RevokedSerial};

/// The revoked serials of our CAs. Serials are 128-bit random, so one list serves every CA.
pub trait RevocationRegistry: Send + Sync {
    fn revoked(&self) -> Result<Vec<RevokedSerial>, RevocationError>;

    /// The entry for `serial` (any hex form), if revoked.
    fn lookup(&self, serial_hex: &str) -> Result<Option<RevokedSerial>, RevocationError> {
        let Some(serial) = normalize_serial_hex(serial_hex) else {
            return Ok(None);
        };
        Ok(self.revoked()?.into_iter().find(|r| r.serial == serial))
    }
}

fn entry(
    serial_hex: &str,
    at: DateTime<Utc>,
    reason: Option<RevocationReason>,
) -> Result<RevokedSerial, RevocationError> {
    let serial = normalize_serial_hex(serial_hex)
        .ok_or_else(|| RevocationError::Registry(format!("{serial_hex:?} is not a hex serial")))?;
    Ok(RevokedSerial {
        serial,
        // Whole seconds: CRLs and OCSP carry no fractions.
        revoked_at: DateTime::<Utc>::from_timestamp(at.timestamp(), 0).unwrap_or(at),
        reason,
    })
}

/// In memory (tests, and callers that keep the list elsewhere).
#[derive(Debug, Default)]
pub struct MemoryRevocations {
    list: RwLock<Vec<RevokedSerial>>,
}

impl MemoryRevocations {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `serial_hex` (idempotent: a serial already listed keeps its first entry).
    pub fn revoke(
        &self,
        serial_hex: &str,
        at: DateTime<Utc>,
        reason: Option<RevocationReason>,
    ) -> Result<(), RevocationError> {
        let new = entry(serial_hex, at, reason)?;
        let mut list = self
            .list
            .write()
            .map_err(|_| RevocationError::Registry("lock poisoned".into()))?;
        if !list.iter().any(|r| r.serial == new.serial) {
            list.push(new);
        }
        Ok(())
    }
}

impl RevocationRegistry for MemoryRevocations {
    fn revoked(&self) -> Result<Vec<RevokedSerial>, RevocationError> {
        self.list
            .read()
            .map(|l| l.clone())
            .map_err(|_| RevocationError::Registry("lock poisoned".into()))
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RevokedFile {
    revoked: Vec<RevokedSerial>,
}

/// A JSON file (`{"revoked": [{"serial": "0A1B…", "revoked_at": "…", "reason": "…"}]}`),
/// read on every request so that `esign pki revoke` takes effect in a running service.
/// A missing file is an empty list.
#[derive(Debug, Clone)]
pub struct JsonFileRevocations {
    path: PathBuf,
}

impl JsonFileRevocations {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<RevokedFile, RevocationError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| RevocationError::Registry(format!("{}: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RevokedFile::default()),
            Err(e) => Err(RevocationError::Registry(format!(
                "{}: {e}",
                self.path.display()
            ))),
        }
    }

    /// Adds `serial_hex`; `Ok(false)` if it was already listed. Written to a temporary file
    /// and renamed, so a reader never sees half a list.
    pub fn revoke(
        &self,
        serial_hex: &str,
        at: DateTime<Utc>,
        reason: Option<RevocationReason>,
    ) -> Result<bool, RevocationError> {
        let new = entry(serial_hex, at, reason)?;
        let mut file = self.read()?;
        if file.revoked.iter().any(|r| r.serial == new.serial) {
            return Ok(false);
        }
        file.revoked.push(new);
        let text = serde_json::to_vec_pretty(&file)
            .map_err(|e| RevocationError::Registry(e.to_string()))?;
        let tmp = self.path.with_extension("json.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.path))
            .map_err(|e| RevocationError::Registry(format!("{}: {e}", self.path.display())))?;
        Ok(true)
    }
}

impl RevocationRegistry for JsonFileRevocations {
    fn revoked(&self) -> Result<Vec<RevokedSerial>, RevocationError> {
        Ok(self.read()?.revoked)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use esign_shared::error::ErrorText;

    #[test]
    fn json_file_keeps_entries_and_refuses_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let reg = JsonFileRevocations::new(dir.path().join("revoked.json"));
        assert!(reg.revoked().unwrap().is_empty());
        let at = Utc::now();
        assert!(reg
            .revoke("0a:bc", at, Some(RevocationReason::KeyCompromise))
            .unwrap());
        assert!(!reg.revoke("0ABC", at, None).unwrap());
        let list = reg.revoked().unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].serial, "0ABC");
        assert_eq!(list[0].reason, Some(RevocationReason::KeyCompromise));
        assert!(reg.lookup("00:0a:bc").unwrap().is_some());
        assert!(reg.lookup("0abd").unwrap().is_none());
        assert!(reg.revoke("not hex", at, None).is_err());
        std::fs::write(reg.path(), b"{not json").unwrap();
        assert_eq!(
            reg.revoked().unwrap_err().code(),
            "revocation.registry_failed"
        );
    }

    #[test]
    fn memory_registry_is_idempotent() {
        let reg = MemoryRevocations::new();
        reg.revoke("01", Utc::now(), None).unwrap();
        reg.revoke("0001", Utc::now(), None).unwrap();
        assert_eq!(reg.revoked().unwrap().len(), 1);
    }
}
