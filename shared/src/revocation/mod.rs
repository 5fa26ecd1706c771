//! Revocation data for PAdES B-LT/B-LTA: the collector the seal uses to fetch and check OCSP
//! responses and CRLs for a certificate chain ([`RevocationSource`], [`HttpRevocationSource`]),
//! or to take them from a responder in the same process ([`InProcessRevocation`]: the local
//! world's responder in local mode and tests). The responder itself is `esign-world`'s.
//!
//! A seal must not be made with a revoked key, so the collector's
//! [`RevocationError::Revoked`] is a hard error of its own.

mod collector;

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::asn1::{GeneralizedTime, Null, OctetString, UtcTime};
use der::Encode;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_cert::Certificate;
use x509_ocsp::{CertId, OcspGeneralizedTime};

pub use collector::{
    parse_crl, verify_crl, verify_ocsp_response, CheckedOcsp, CrlPolicy, HttpRevocationSource,
    InProcessRevocation, LocalResponder, RevocationData, RevocationSource, StaticRevocationSource,
};

pub const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
pub const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
pub const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

#[derive(Debug, thiserror::Error)]
pub enum RevocationError {
    #[error("the OCSP request is malformed: {0}")]
    MalformedRequest(String),
    #[error("no certificate authority named {0:?} here")]
    UnknownAuthority(String),
    /// The certificate is revoked: never seal with it.
    #[error("certificate {serial} ({subject}) is revoked{}", .revoked_at.map(|t| format!(" since {t}")).unwrap_or_default())]
    Revoked {
        /// Upper-case hex serial number.
        serial: String,
        /// The subject's common name (never the whole subject: person certificates carry a
        /// personnummer).
        subject: String,
        revoked_at: Option<DateTime<Utc>>,
    },
    #[error("certificate {serial} ({subject}) names no OCSP responder and no CRL")]
    NoRevocationSource { serial: String, subject: String },
    #[error(
        "the issuer of certificate {serial} ({subject}) is neither in the chain nor retrievable"
    )]
    IssuerNotFound { serial: String, subject: String },
    /// Every source failed (network, bad signature, stale, status unknown).
    #[error("no valid revocation data for certificate {serial} ({subject}): {detail}")]
    Unavailable {
        serial: String,
        subject: String,
        detail: String,
    },
    #[error("invalid certificate: {0}")]
    InvalidCertificate(String),
    #[error("the revocation list could not be read or written: {0}")]
    Registry(String),
    #[error("revocation data could not be signed: {0}")]
    Signing(String),
}

impl RevocationError {
    pub fn code(&self) -> &'static str {
        match self {
            RevocationError::MalformedRequest(_) => "revocation.malformed_request",
            RevocationError::UnknownAuthority(_) => "revocation.unknown_authority",
            RevocationError::Revoked { .. } => "revocation.certificate_revoked",
            RevocationError::NoRevocationSource { .. } => "revocation.no_source",
            RevocationError::IssuerNotFound { .. } => "revocation.issuer_not_found",
            RevocationError::Unavailable { .. } => "revocation.unavailable",
            RevocationError::InvalidCertificate(_) => "revocation.invalid_certificate",
            RevocationError::Registry(_) => "revocation.registry_failed",
            RevocationError::Signing(_) => "revocation.signing_failed",
        }
    }

    pub fn message_sv(&self) -> String {
        match self {
            RevocationError::MalformedRequest(d) => format!("OCSP-förfrågan är felaktig: {d}"),
            RevocationError::UnknownAuthority(n) => format!("Här finns ingen utfärdare som heter {n}."),
            RevocationError::Revoked {
                serial,
                subject,
                revoked_at,
            } => format!(
                "Certifikatet {serial} ({subject}) är spärrat{}. Det får inte användas för att försegla.",
                revoked_at
                    .map(|t| format!(" sedan {}", t.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ),
            RevocationError::NoRevocationSource { serial, subject } => format!(
                "Certifikatet {serial} ({subject}) anger varken OCSP-tjänst eller spärrlista."
            ),
            RevocationError::IssuerNotFound { serial, subject } => format!(
                "Utfärdaren av certifikatet {serial} ({subject}) saknas i kedjan och kunde inte hämtas."
            ),
            RevocationError::Unavailable {
                serial,
                subject,
                detail,
            } => format!(
                "Ingen giltig spärrinformation kunde hämtas för certifikatet {serial} ({subject}): {detail}"
            ),
            RevocationError::InvalidCertificate(d) => format!("Ogiltigt certifikat: {d}"),
            RevocationError::Registry(d) => format!("Spärrlistan kunde inte läsas eller skrivas: {d}"),
            RevocationError::Signing(d) => format!("Spärrinformationen kunde inte signeras: {d}"),
        }
    }

    pub fn message_en(&self) -> String {
        self.to_string()
    }

    /// The HTTP status the router answers with.
    pub fn http_status(&self) -> u16 {
        match self {
            RevocationError::MalformedRequest(_) => 400,
            RevocationError::UnknownAuthority(_) => 404,
            _ => 500,
        }
    }
}

/// Why a certificate was revoked (RFC 5280 CRLReason, the codes a CA operator uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
}

impl RevocationReason {
    pub fn crl_reason(self) -> CrlReason {
        match self {
            RevocationReason::Unspecified => CrlReason::Unspecified,
            RevocationReason::KeyCompromise => CrlReason::KeyCompromise,
            RevocationReason::CaCompromise => CrlReason::CaCompromise,
            RevocationReason::AffiliationChanged => CrlReason::AffiliationChanged,
            RevocationReason::Superseded => CrlReason::Superseded,
            RevocationReason::CessationOfOperation => CrlReason::CessationOfOperation,
        }
    }

    /// Parses the snake_case name (as in `revoked.json` and `esign pki revoke --reason`).
    pub fn parse(text: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(text.trim().to_string())).ok()
    }
}

/// One revoked certificate on a CA's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokedSerial {
    /// Upper-case hex of the serial number without leading zero bytes (what
    /// `openssl x509 -serial` prints); see [`normalize_serial_hex`].
    pub serial: String,
    pub revoked_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<RevocationReason>,
}

/// Upper-case hex without `0x`, separators or leading zero bytes; `None` if not hex.
pub fn normalize_serial_hex(text: &str) -> Option<String> {
    let mut digits: String = text
        .trim()
        .trim_start_matches("0x")
        .trim_start_matches("0X")
        .chars()
        .filter(|c| *c != ':' && !c.is_whitespace())
        .collect();
    if digits.is_empty() || digits.len() > 80 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    if digits.len() % 2 == 1 {
        digits.insert(0, '0');
    }
    let mut bytes = hex::decode(&digits).ok()?;
    while bytes.len() > 1 && bytes[0] == 0 {
        bytes.remove(0);
    }
    Some(hex::encode_upper(bytes))
}

/// The serial of a certificate in the form of [`normalize_serial_hex`].
pub fn serial_hex(serial: &SerialNumber) -> String {
    let bytes = serial.as_bytes();
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    hex::encode_upper(&bytes[start..])
}

/// The CN of a name (for messages: never the whole subject, see [`RevocationError::Revoked`]).
pub fn common_name(cert: &Certificate) -> String {
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .filter(|atv| atv.oid == const_oid::db::rfc4519::CN)
        .filter_map(|atv| std::str::from_utf8(atv.value.value()).ok())
        .next_back()
        .unwrap_or("")
        .to_string()
}

/// The hash of an OCSP CertID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertIdHash {
    /// What most clients (openssl, BankID) send.
    Sha1,
    Sha256,
}

/// SHA-1 of a certificate's public key bits: the key identifier of RFC 5280 4.2.1.2 (1) and
/// OCSP's ResponderID byKey (RFC 6960 4.2.1).
pub fn public_key_sha1(cert: &Certificate) -> [u8; 20] {
    Sha1::digest(
        cert.tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes(),
    )
    .into()
}

/// CertID for `serial` issued by `issuer` (RFC 6960 4.1.1: hashes of the issuer's DER name
/// and of its public key bits).
pub fn cert_id(
    issuer: &Certificate,
    serial: &SerialNumber,
    hash: CertIdHash,
) -> Result<CertId, der::Error> {
    let name_der = issuer.tbs_certificate.subject.to_der()?;
    let key_bits = issuer
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    let (oid, name_hash, key_hash) = match hash {
        CertIdHash::Sha1 => (
            OID_SHA1,
            Sha1::digest(&name_der).to_vec(),
            Sha1::digest(key_bits).to_vec(),
        ),
        CertIdHash::Sha256 => (
            OID_SHA256,
            Sha256::digest(&name_der).to_vec(),
            Sha256::digest(key_bits).to_vec(),
        ),
    };
    Ok(CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid,
            parameters: Some(Null.into()),
        },
        issuer_name_hash: OctetString::new(name_hash)?,
        issuer_key_hash: OctetString::new(key_hash)?,
        serial_number: serial.clone(),
    })
}

/// Whether `id` names a certificate of `issuer` (serial not compared).
pub fn cert_id_issued_by(id: &CertId, issuer: &Certificate) -> bool {
    let hash = match id.hash_algorithm.oid {
        o if o == OID_SHA1 => CertIdHash::Sha1,
        o if o == OID_SHA256 => CertIdHash::Sha256,
        _ => return false,
    };
    cert_id(issuer, &id.serial_number, hash).is_ok_and(|expected| {
        expected.issuer_name_hash == id.issuer_name_hash
            && expected.issuer_key_hash == id.issuer_key_hash
    })
}

fn unix_secs(at: DateTime<Utc>) -> Result<std::time::Duration, der::Error> {
    u64::try_from(at.timestamp())
        .map(std::time::Duration::from_secs)
        .map_err(|_| der::ErrorKind::DateTime.into())
}

/// X.509 Time: UTCTime through 2049, GeneralizedTime after (RFC 5280 5.1.2.4).
pub fn x509_time(at: DateTime<Utc>) -> Result<Time, der::Error> {
    let secs = unix_secs(at)?;
    match UtcTime::from_unix_duration(secs) {
        Ok(t) => Ok(Time::UtcTime(t)),
        Err(_) => Ok(Time::GeneralTime(GeneralizedTime::from_unix_duration(
            secs,
        )?)),
    }
}

pub fn ocsp_time(at: DateTime<Utc>) -> Result<OcspGeneralizedTime, der::Error> {
    Ok(OcspGeneralizedTime(GeneralizedTime::from_unix_duration(
        unix_secs(at)?,
    )?))
}

pub fn from_unix(d: std::time::Duration) -> DateTime<Utc> {
    i64::try_from(d.as_secs())
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_normalise_like_openssl_prints_them() {
        assert_eq!(normalize_serial_hex("0x00ab:cd").as_deref(), Some("ABCD"));
        assert_eq!(normalize_serial_hex("abc").as_deref(), Some("0ABC"));
        assert_eq!(normalize_serial_hex("00").as_deref(), Some("00"));
        assert_eq!(normalize_serial_hex("xyz"), None);
        assert_eq!(normalize_serial_hex(""), None);
        let serial = SerialNumber::new(&[0x00, 0x81, 0x02]).unwrap();
        assert_eq!(serial_hex(&serial), "8102");
    }

    #[test]
    fn reasons_parse_from_their_snake_case_names() {
        assert_eq!(
            RevocationReason::parse("key_compromise"),
            Some(RevocationReason::KeyCompromise)
        );
        assert_eq!(RevocationReason::parse("nonsense"), None);
    }

    #[test]
    fn times_before_2050_are_utc_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-23T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(matches!(x509_time(at).unwrap(), Time::UtcTime(_)));
        let late = DateTime::parse_from_rfc3339("2051-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(matches!(x509_time(late).unwrap(), Time::GeneralTime(_)));
        assert_eq!(from_unix(x509_time(at).unwrap().to_unix_duration()), at);
    }
}
