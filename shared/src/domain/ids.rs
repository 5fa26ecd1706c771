//! Identifiers. Each one validates its text form so an id read from a URL can be trusted
//! as a storage key segment.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::DomainError;

/// A tenant (municipality, kommunalförbund, gemensam nämnd): lowercase slug, used in every key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        let ok = (2..=40).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(DomainError::InvalidId {
                kind: "tenant",
                value: s.chars().take(60).collect(),
            })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<TenantId> for String {
    fn from(t: TenantId) -> String {
        t.0
    }
}
impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A document version's identity: the SHA-256 of its exact bytes, lowercase hex.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentId(String);

impl DocumentId {
    pub fn of_bytes(bytes: &[u8]) -> Self {
        use sha2::{Digest, Sha256};
        Self(hex::encode(Sha256::digest(bytes)))
    }
    pub fn from_digest(digest: [u8; 32]) -> Self {
        Self(hex::encode(digest))
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        if s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s.to_string()))
        } else {
            Err(DomainError::InvalidId {
                kind: "document",
                value: s.chars().take(80).collect(),
            })
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn digest(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        // Validated at construction: 64 lowercase hex digits.
        hex::decode_to_slice(&self.0, &mut out).expect("validated hex");
        out
    }
}

impl TryFrom<String> for DocumentId {
    type Error = DomainError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<DocumentId> for String {
    fn from(d: DocumentId) -> String {
        d.0
    }
}
impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! uuid_id {
    ($name:ident, $kind:literal) => {
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }
            pub fn parse(s: &str) -> Result<Self, DomainError> {
                uuid::Uuid::parse_str(s)
                    .map(Self)
                    .map_err(|_| DomainError::InvalidId {
                        kind: $kind,
                        value: s.chars().take(60).collect(),
                    })
            }
        }
        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0.hyphenated())
            }
        }
    };
}

uuid_id!(OrderId, "order");
uuid_id!(SignerId, "signer");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_are_slugs() {
        assert!(TenantId::parse("norrbotten").is_ok());
        assert!(TenantId::parse("e-namnd-2").is_ok());
        for bad in [
            "",
            "a",
            "Norrbotten",
            "../etc",
            "a/b",
            "-x",
            "x-",
            "å-kommun",
        ] {
            assert!(TenantId::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn document_id_is_sha256_of_bytes() {
        let id = DocumentId::of_bytes(b"abc");
        assert_eq!(
            id.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(DocumentId::parse(id.as_str()).unwrap(), id);
        assert!(DocumentId::parse("BA7816BF").is_err());
        assert_eq!(hex::encode(id.digest()), id.as_str());
    }

    #[test]
    fn uuid_ids_round_trip() {
        let id = OrderId::new();
        assert_eq!(OrderId::parse(&id.to_string()).unwrap(), id);
        assert!(OrderId::parse("not-a-uuid").is_err());
    }
}
