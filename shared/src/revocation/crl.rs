//! Checking a CRL for a certificate (the collector's fallback to OCSP, and always with
//! [`super::CrlPolicy::Always`]): signed by the issuer with the x509 module's signatures.

use chrono::{DateTime, Duration, Utc};
use der::Decode;
use x509_cert::crl::CertificateList;
use x509_cert::ext::pkix::KeyUsage;
use x509_cert::Certificate;

use super::{from_unix, RevocationError};
use super::{revoked, unavailable, Verdict};
use crate::x509::{signed_part, verify_with_certificate, SignatureScheme};

/// Clock difference tolerated between us and a CRL issuer (thisUpdate slightly ahead).
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// Verifies a CRL (DER, or PEM) for `cert` issued by `issuer` as of `now`: issued and signed by
/// `issuer` (which may sign CRLs), thisUpdate not ahead, nextUpdate not passed, not a delta
/// CRL, and `cert` not listed. Returns the CRL as DER. A listed certificate is
/// [`RevocationError::Revoked`]; anything else is `Unavailable`.
pub fn verify_crl(
    crl: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, RevocationError> {
    check_crl(crl, cert, issuer, now).map_err(|v| match v {
        Verdict::Revoked(at) => revoked(cert, at),
        Verdict::Failed(detail) => unavailable(cert, detail),
    })
}

pub(super) fn check_crl(
    bytes: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, Verdict> {
    let fail = |s: String| Verdict::Failed(s);
    // Verified over the bytes the CA signed (DER as given, PEM decoded), not a re-encoding.
    let (crl, original) = parse_crl(bytes).map_err(fail)?;
    let tbs = &crl.tbs_cert_list;
    if tbs.issuer != issuer.tbs_certificate.subject {
        return Err(fail(
            "the CRL is not issued by the certificate's issuer".into(),
        ));
    }
    if let Ok(Some((_, usage))) = issuer.tbs_certificate.get::<KeyUsage>() {
        if !usage.crl_sign() {
            return Err(fail("the issuer may not sign CRLs (keyUsage)".into()));
        }
    }
    let signed = signed_part(&original).ok_or_else(|| fail("unreadable tbsCertList".into()))?;
    let signature = crl
        .signature
        .as_bytes()
        .ok_or_else(|| fail("signature has unused bits".into()))?;
    let verified = SignatureScheme::from_algorithm(&crl.signature_algorithm, None)
        .and_then(|scheme| verify_with_certificate(issuer, scheme, signed, signature));
    if verified.is_err() {
        return Err(fail(format!(
            "CRL signature does not verify (algorithm {})",
            crl.signature_algorithm.oid
        )));
    }
    let extensions = tbs.crl_extensions.as_deref().unwrap_or_default();
    if extensions
        .iter()
        .any(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_DELTA_CRL_INDICATOR)
    {
        return Err(fail("a delta CRL alone is not enough".into()));
    }
    let this_update = from_unix(tbs.this_update.to_unix_duration());
    if this_update > now + CLOCK_SKEW {
        return Err(fail(format!("thisUpdate {this_update} is in the future")));
    }
    if let Some(next) = tbs.next_update.map(|t| from_unix(t.to_unix_duration())) {
        if next < now {
            return Err(fail(format!("stale: nextUpdate {next} has passed")));
        }
    }
    if let Some(entry) = tbs
        .revoked_certificates
        .iter()
        .flatten()
        .find(|r| r.serial_number == cert.tbs_certificate.serial_number)
    {
        return Err(Verdict::Revoked(Some(from_unix(
            entry.revocation_date.to_unix_duration(),
        ))));
    }
    Ok(original)
}

/// Parses a DER CRL (a PEM one is accepted too: some CAs serve that); returns it with its DER.
pub fn parse_crl(bytes: &[u8]) -> Result<(CertificateList, Vec<u8>), String> {
    if let Ok(crl) = CertificateList::from_der(bytes) {
        return Ok((crl, bytes.to_vec()));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "not a DER CRL".to_string())?;
    let (label, der) =
        der::pem::decode_vec(text.trim().as_bytes()).map_err(|e| format!("CRL: {e}"))?;
    if label != "X509 CRL" {
        return Err(format!("PEM block {label:?} is not an X509 CRL"));
    }
    let crl = CertificateList::from_der(&der).map_err(|e| format!("CRL: {e}"))?;
    Ok((crl, der))
}
