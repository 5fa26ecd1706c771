//! The OCSP response BankID returns beside a signature (`completionData.ocspResponse`),
//! checked with the x509 module's one OCSP verifier and reported check by check.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::Digest;

use super::xml::decode_b64_lenient;
use super::{key_info_certificates, EvidenceError};
use crate::x509::{examine_ocsp_response, is_issued_by, NonceCheck, OcspError, OcspQuery};

/// Result of checking `completionData.ocspResponse` against the signature it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OcspReport {
    /// `producedAt`: BankID's evidence of when the signature was made.
    pub produced_at: DateTime<Utc>,
    pub responder_subject: String,
    pub checks: Vec<(String, bool)>,
}

/// Checks the OCSP response BankID returned with `signature_b64`: successful, signed by the
/// user certificate's issuer or its delegated OCSP responder, `good` for that certificate, and
/// carrying BankID's nonce (SHA-1 of the base64 signature string, then 12 random bytes).
pub fn verify_ocsp_response(
    ocsp_b64: &str,
    signature_b64: &str,
) -> Result<OcspReport, EvidenceError> {
    let report = evaluate_ocsp_response(ocsp_b64, signature_b64)?;
    if report.checks.iter().all(|(_, ok)| *ok) {
        Ok(report)
    } else {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| n.clone())
            .collect();
        Err(EvidenceError::OcspFailed(failed.join(", ")))
    }
}

/// Every check, each on its own, as of the response's producedAt (BankID's signing time: the
/// delegated responder must be valid then, and the answer fresh).
pub(super) fn evaluate_ocsp_response(
    ocsp_b64: &str,
    signature_b64: &str,
) -> Result<OcspReport, EvidenceError> {
    let certs = key_info_certificates(signature_b64)?;
    let user = &certs[0];
    let der = decode_b64_lenient(ocsp_b64).ok_or(EvidenceError::NotBase64)?;
    let issuer = certs.iter().skip(1).find(|c| is_issued_by(user, c));
    let expected_prefix = sha1::Sha1::digest(signature_b64.trim().as_bytes());
    // Without the issuer in KeyInfo the checks run against the signer itself, which no CertID
    // and no responder certificate names: they fail, and the report says why first.
    let query = OcspQuery {
        cert: user,
        issuer: issuer.unwrap_or(user),
        at: None,
        nonce: NonceCheck::StartsWith(&expected_prefix),
    };
    let findings = examine_ocsp_response(&der, &query).map_err(|e| match e {
        OcspError::NotBasic(_) => EvidenceError::Unsupported(format!("OCSP {e}")),
        other => EvidenceError::Malformed(format!("OCSP response: {other}")),
    })?;
    let checks = vec![
        ("ocsp_issuer_in_key_info".to_string(), issuer.is_some()),
        ("ocsp_signature".into(), findings.signature.is_ok()),
        (
            "ocsp_responder_authorised".into(),
            issuer.is_some() && findings.authorised.is_ok(),
        ),
        ("ocsp_response_for_signer".into(), findings.answer.is_ok()),
        ("ocsp_fresh".into(), findings.fresh.is_ok()),
        ("ocsp_cert_status_good".into(), findings.status.is_ok()),
        ("ocsp_nonce_binds_signature".into(), findings.nonce.is_ok()),
    ];
    Ok(OcspReport {
        produced_at: findings.produced_at,
        responder_subject: findings
            .responder
            .map(|r| r.tbs_certificate.subject.to_string())
            .unwrap_or_default(),
        checks,
    })
}
