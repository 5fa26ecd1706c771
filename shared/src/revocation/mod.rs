//! Revocation data for PAdES B-LT/B-LTA: the collector the seal uses to fetch and check OCSP
//! responses and CRLs for a certificate chain ([`RevocationSource`], [`HttpRevocationSource`]),
//! or to take them from a responder in the same process ([`InProcessRevocation`]: the local
//! world's responder in local mode and tests). The responder itself is `esign-world`'s.
//!
//! A seal must not be made with a revoked key, so the collector's
//! [`RevocationError::Revoked`] is a hard error of its own.

mod collector;
mod crl;

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::asn1::{GeneralizedTime, UtcTime};
use serde::{Deserialize, Serialize};
use x509_cert::ext::pkix::CrlReason;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;
use x509_cert::Certificate;
use x509_ocsp::OcspGeneralizedTime;

pub use collector::{
    verify_ocsp_response, CrlPolicy, HttpRevocationSource, InProcessRevocation, LocalResponder,
    RevocationData, RevocationSource, StaticRevocationSource,
};
pub use crl::{parse_crl, verify_crl};
// OCSP identifiers and the verified-response record live with the one OCSP verifier.
pub use crate::x509::{cert_id, cert_id_issued_by, public_key_sha1, CertIdHash, CheckedOcsp};

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
    /// The chain is not a valid certificate path (see [`crate::x509`]).
    #[error("the certificate chain is not valid: {0}")]
    InvalidChain(crate::x509::X509Error),
    #[error("the revocation list could not be read or written: {0}")]
    Registry(String),
    #[error("revocation data could not be signed: {0}")]
    Signing(String),
}

impl crate::error::ErrorText for RevocationError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                RevocationError::MalformedRequest(_) => "revocation.malformed_request",
                RevocationError::UnknownAuthority(_) => "revocation.unknown_authority",
                RevocationError::Revoked { .. } => "revocation.certificate_revoked",
                RevocationError::NoRevocationSource { .. } => "revocation.no_source",
                RevocationError::IssuerNotFound { .. } => "revocation.issuer_not_found",
                RevocationError::Unavailable { .. } => "revocation.unavailable",
                RevocationError::InvalidCertificate(_) => "revocation.invalid_certificate",
                RevocationError::InvalidChain(_) => "revocation.invalid_chain",
                RevocationError::Registry(_) => "revocation.registry_failed",
                RevocationError::Signing(_) => "revocation.signing_failed",
            }
        })
    }

    fn message_sv(&self) -> String {
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
            RevocationError::InvalidChain(e) => {
                format!("Certifikatkedjan är ogiltig: {}", e.message_sv())
            }
            RevocationError::Registry(d) => format!("Spärrlistan kunde inte läsas eller skrivas: {d}"),
            RevocationError::Signing(d) => format!("Spärrinformationen kunde inte signeras: {d}"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
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

/// One source's verdict on one certificate.
enum Verdict {
    Revoked(Option<DateTime<Utc>>),
    Failed(String),
}

fn revoked(cert: &Certificate, at: Option<DateTime<Utc>>) -> RevocationError {
    RevocationError::Revoked {
        serial: serial_hex(&cert.tbs_certificate.serial_number),
        subject: common_name(cert),
        revoked_at: at,
    }
}

fn unavailable(cert: &Certificate, detail: String) -> RevocationError {
    RevocationError::Unavailable {
        serial: serial_hex(&cert.tbs_certificate.serial_number),
        subject: common_name(cert),
        detail,
    }
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
