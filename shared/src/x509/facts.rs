//! What a single certificate says about itself (basicConstraints, keyUsage, extended key usage,
//! validity), and what each purpose asks of an end entity's. Path validation combines these
//! with webpki's checks; the evidence and PAdES reports also show some of them on their own.

use chrono::{DateTime, Utc};
use const_oid::db::rfc5280::{ID_KP_OCSP_SIGNING, ID_KP_TIME_STAMPING};
use const_oid::ObjectIdentifier;
use der::Decode;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages};
use x509_cert::Certificate;

use super::X509Error;

/// What a certificate is relied on for: decides what its end entity's keyUsage and extended key
/// usage must allow. Every issuer in a path must be a CA allowed to sign certificates whatever
/// the purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Signing documents and data: the seal, any PDF signer, a BankID user. keyUsage (when
    /// present) allows digitalSignature or nonRepudiation; any extended key usage.
    Signing,
    /// A timestamp authority (RFC 3161 2.3): extended key usage id-kp-timeStamping, keyUsage
    /// (when present) digitalSignature or nonRepudiation.
    TimeStamping,
    /// A delegated OCSP responder (RFC 6960 4.2.2.2): id-kp-OCSPSigning, keyUsage (when present)
    /// digitalSignature or nonRepudiation.
    OcspSigning,
    /// A chain that is handled but not relied on for a signature (revocation data is collected
    /// for it): nothing is asked of its first certificate, which may be a CA.
    Any,
}

impl Purpose {
    /// The extended key usage the end entity must name (issuers that have the extension must
    /// name it or anyExtendedKeyUsage).
    pub(super) fn required_eku(self) -> Option<ObjectIdentifier> {
        match self {
            Purpose::TimeStamping => Some(ID_KP_TIME_STAMPING),
            Purpose::OcspSigning => Some(ID_KP_OCSP_SIGNING),
            Purpose::Signing | Purpose::Any => None,
        }
    }

    pub(super) fn description(self) -> &'static str {
        match self {
            Purpose::Signing => "signing",
            Purpose::TimeStamping => "time-stamping (id-kp-timeStamping)",
            Purpose::OcspSigning => "OCSP signing (id-kp-OCSPSigning)",
            Purpose::Any => "any use",
        }
    }
}

pub fn subject_of(cert: &Certificate) -> String {
    cert.tbs_certificate.subject.to_string()
}

/// basicConstraints cA.
pub fn is_ca(cert: &Certificate) -> bool {
    basic_constraints(cert).is_some_and(|bc| bc.ca)
}

pub(super) fn basic_constraints(cert: &Certificate) -> Option<BasicConstraints> {
    cert.tbs_certificate
        .get::<BasicConstraints>()
        .ok()
        .flatten()
        .map(|(_, bc)| bc)
}

/// notBefore ≤ `at` ≤ notAfter.
pub fn valid_at(cert: &Certificate, at: DateTime<Utc>) -> bool {
    let validity = &cert.tbs_certificate.validity;
    let at = at.timestamp();
    let not_before =
        i64::try_from(validity.not_before.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    let not_after = i64::try_from(validity.not_after.to_unix_duration().as_secs()).unwrap_or(0);
    not_before <= at && at <= not_after
}

/// The keyUsage bits; `Ok(None)` without the extension, `Err` if it cannot be read.
fn key_usage(cert: &Certificate) -> Result<Option<KeyUsage>, X509Error> {
    cert.tbs_certificate
        .get::<KeyUsage>()
        .map(|found| found.map(|(_, usage)| usage))
        .map_err(|e| X509Error::Malformed(format!("keyUsage of {}: {e}", subject_of(cert))))
}

/// keyUsage (when present) has keyCertSign: `cert` may sign certificates.
pub fn may_sign_certificates(cert: &Certificate) -> bool {
    match key_usage(cert) {
        Ok(Some(usage)) => usage.key_cert_sign(),
        Ok(None) => true,
        Err(_) => false,
    }
}

/// keyUsage (when present) allows digitalSignature or nonRepudiation.
pub fn may_sign_data(cert: &Certificate) -> bool {
    match key_usage(cert) {
        Ok(Some(usage)) => {
            usage.0.contains(KeyUsages::DigitalSignature)
                || usage.0.contains(KeyUsages::NonRepudiation)
        }
        Ok(None) => true,
        Err(_) => false,
    }
}

/// The extended key usages, `None` without the extension.
fn extended_key_usages(cert: &Certificate) -> Option<Vec<ObjectIdentifier>> {
    cert.tbs_certificate
        .get::<ExtendedKeyUsage>()
        .ok()
        .flatten()
        .map(|(_, eku)| eku.0)
}

/// RFC 3161 2.3: the extended key usage is critical and holds id-kp-timeStamping alone.
pub fn has_time_stamping_eku(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .as_ref()
        .and_then(|exts| {
            exts.iter()
                .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        })
        .is_some_and(|e| {
            e.critical
                && ExtendedKeyUsage::from_der(e.extn_value.as_bytes())
                    .is_ok_and(|eku| eku.0 == [ID_KP_TIME_STAMPING])
        })
}

/// What `purpose` asks of an end entity's keyUsage and extended key usage.
pub fn check_end_entity(cert: &Certificate, purpose: Purpose) -> Result<(), X509Error> {
    if purpose == Purpose::Any {
        return Ok(());
    }
    if !may_sign_data(cert) {
        return Err(X509Error::KeyUsage {
            subject: subject_of(cert),
            purpose: purpose.description(),
        });
    }
    if let Some(required) = purpose.required_eku() {
        if !extended_key_usages(cert).is_some_and(|ekus| ekus.contains(&required)) {
            return Err(X509Error::ExtendedKeyUsage {
                subject: subject_of(cert),
                purpose: purpose.description(),
            });
        }
    }
    Ok(())
}

/// What any certificate that signed another must be at `at`: a CA (basicConstraints cA, or a
/// self-issued certificate without the extension: an old v1 root), allowed to sign
/// certificates (keyCertSign when it has a keyUsage), and valid.
pub(super) fn check_issuer(issuer: &Certificate, at: DateTime<Utc>) -> Result<(), X509Error> {
    let subject = subject_of(issuer);
    let self_issued = issuer.tbs_certificate.issuer == issuer.tbs_certificate.subject;
    match basic_constraints(issuer) {
        Some(bc) if bc.ca => {}
        None if self_issued => {}
        _ => return Err(X509Error::IssuerNotCa { subject }),
    }
    if !may_sign_certificates(issuer) {
        return Err(X509Error::NoKeyCertSign { subject });
    }
    if !valid_at(issuer, at) {
        return Err(X509Error::NotValidAt { subject, at });
    }
    Ok(())
}

/// When `cert` stops being valid.
pub fn not_after(cert: &Certificate) -> Option<DateTime<Utc>> {
    let secs = cert
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration()
        .as_secs();
    DateTime::<Utc>::from_timestamp(i64::try_from(secs).ok()?, 0)
}

/// The earliest notAfter among `certs`: until then a timestamp whose authority's chain they
/// are proves existence by itself; after it, only a later timestamp over it does.
pub fn earliest_not_after(certs: &[Certificate]) -> Option<DateTime<Utc>> {
    certs.iter().filter_map(not_after).min()
}
