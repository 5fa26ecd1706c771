//! Verifier of `completionData.signature`: BankID's XMLDSig over `bankIdSignedData` and KeyInfo.
//!
//! BankID emits already-canonical XML (inclusive C14N form), so the references are checked by
//! hashing the raw bytes of the referenced elements. Rather than implement general C14N, the
//! parser refuses any document that is not in that form (self-closing tags, comments, prefixes,
//! unsorted attributes, stray namespace declarations, non-canonical escapes), so raw bytes and
//! canonical bytes are the same for everything accepted.

mod ocsp;
mod xml;

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::Decode;
use serde::Serialize;
use sha2::{Digest, Sha256};
use thiserror::Error;
use x509_cert::Certificate;

use crate::x509::{
    ecdsa_fixed_to_der, may_sign_data, valid_at, validate_path, verify_with_certificate, Hash,
    Purpose, SignatureScheme, X509Error,
};
pub use ocsp::{verify_ocsp_response, OcspReport};
use xml::{decode_b64_lenient, parse, parse_reference};

pub const XMLDSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const BANKID_NS: &str = "http://www.bankid.com/signature/v1.0.0/types";
pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub const SHA256_DIGEST: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// What the RP sent and expects back.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedEvidence<'a> {
    /// 12 digits, compared with the certificate's serialNumber.
    pub personal_number: &'a str,
    /// The exact base64 string sent as `userVisibleData`.
    pub user_visible_data_b64: &'a str,
    /// The exact base64 string sent as `userNonVisibleData`; `None` means none was sent and the
    /// signature must not carry one.
    pub user_non_visible_data_b64: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceReport {
    /// The signer certificate's serialNumber attribute.
    pub personal_number: String,
    /// The signer certificate's CN.
    pub name: String,
    /// BankID's XML carries no signing time: this is the OCSP response's producedAt, set by
    /// [`verify_completion`]; `None` from [`verify_signature_xml`] alone.
    pub signed_at: Option<DateTime<Utc>>,
    /// RFC 4514 subjects from the signer up to the trust anchor.
    pub certificate_chain_subjects: Vec<String>,
    /// `Identification` (auth) or `Signing` (sign).
    pub func_id: String,
    pub usr_visible_data_b64: Option<String>,
    pub usr_non_visible_data_b64: Option<String>,
    /// XMLDSig SignatureMethod URI.
    pub signature_method: String,
    /// Every check made, by name, and whether it passed.
    pub checks: Vec<(String, bool)>,
}

impl EvidenceReport {
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok)
    }
}

#[derive(Debug, Error)]
pub enum EvidenceError {
    #[error("signature is not base64")]
    NotBase64,
    #[error("signature XML is malformed: {0}")]
    Malformed(String),
    #[error("signature XML is not in BankID's canonical form: {0}")]
    NotCanonical(String),
    #[error("unsupported algorithm: {0}")]
    Unsupported(String),
    /// The OCSP response failed the named checks.
    #[error("BankID OCSP response failed: {0}")]
    OcspFailed(String),
    /// Parsed, but at least one check failed; the report says which.
    #[error("BankID signature evidence failed: {}", failed_names(.0))]
    ChecksFailed(Box<EvidenceReport>),
}

fn failed_names(report: &EvidenceReport) -> String {
    report
        .checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl crate::error::ErrorText for EvidenceError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                EvidenceError::NotBase64 | EvidenceError::Malformed(_) => {
                    "bankid.evidence_malformed"
                }
                EvidenceError::NotCanonical(_) => "bankid.evidence_not_canonical",
                EvidenceError::Unsupported(_) => "bankid.evidence_unsupported",
                EvidenceError::ChecksFailed(_) | EvidenceError::OcspFailed(_) => {
                    "bankid.evidence_invalid"
                }
            }
        })
    }

    fn message_sv(&self) -> String {
        String::from({
            match self {
                EvidenceError::ChecksFailed(_) | EvidenceError::OcspFailed(_) => {
                    "BankID-underskriften kunde inte verifieras."
                }
                _ => "BankID-underskriften är inte i ett format som kan läsas.",
            }
        })
    }

    fn message_en(&self) -> String {
        String::from({
            match self {
                EvidenceError::ChecksFailed(_) | EvidenceError::OcspFailed(_) => {
                    "The BankID signature could not be verified."
                }
                _ => "The BankID signature is not in a readable format.",
            }
        })
    }
}

/// Verifies BankID's `completionData.signature` (base64 XML) as of `at`, trusting `trust_anchors_der`
/// (a certificate equal to an anchor, or issued by one, ends the chain). Returns the report when
/// every check passes, else `ChecksFailed` with the report.
pub fn verify_signature_xml(
    signature_b64: &str,
    trust_anchors_der: &[Vec<u8>],
    expected: Option<&ExpectedEvidence>,
    at: DateTime<Utc>,
) -> Result<EvidenceReport, EvidenceError> {
    passed_or_failed(evaluate_signature_xml(
        signature_b64,
        trust_anchors_der,
        expected,
        at,
    )?)
}

/// `Ok` only when every check passed. ([`verify_completion`] adds the OCSP checks to the XML
/// report, so this must look at them again.)
fn passed_or_failed(report: EvidenceReport) -> Result<EvidenceReport, EvidenceError> {
    if report.all_passed() {
        Ok(report)
    } else {
        Err(EvidenceError::ChecksFailed(Box::new(report)))
    }
}

/// Parses and runs every check; `Err` only when the document cannot be evaluated at all.
fn evaluate_signature_xml(
    signature_b64: &str,
    trust_anchors_der: &[Vec<u8>],
    expected: Option<&ExpectedEvidence>,
    at: DateTime<Utc>,
) -> Result<EvidenceReport, EvidenceError> {
    let xml_bytes = decode_b64_lenient(signature_b64).ok_or(EvidenceError::NotBase64)?;
    let xml = std::str::from_utf8(&xml_bytes)
        .map_err(|_| EvidenceError::Malformed("not UTF-8".into()))?;
    let doc = parse(xml)?;
    let root = 0;
    if doc.nodes[root].name != "Signature" {
        return Err(EvidenceError::Malformed("root is not <Signature>".into()));
    }
    let order: Vec<&str> = doc.nodes[root]
        .children
        .iter()
        .map(|c| doc.nodes[*c].name.as_str())
        .collect();
    if order != ["SignedInfo", "SignatureValue", "KeyInfo", "Object"] {
        return Err(EvidenceError::Malformed(format!(
            "unexpected Signature children {order:?}"
        )));
    }
    // Only the two referenced elements may carry an Id: no room for a second, wrapped copy.
    let ids: Vec<(&str, &str)> = doc
        .nodes
        .iter()
        .filter_map(|n| {
            n.attrs
                .iter()
                .find(|(k, _)| k == "Id")
                .map(|(_, v)| (n.name.as_str(), v.as_str()))
        })
        .collect();
    if ids
        != [
            ("KeyInfo", "bidKeyInfo"),
            ("bankIdSignedData", "bidSignedData"),
        ]
    {
        return Err(EvidenceError::Malformed(format!(
            "unexpected Id attributes {ids:?}"
        )));
    }
    let signed_info = doc.only_child(root, "SignedInfo")?;
    let signature_value_node = doc.only_child(root, "SignatureValue")?;
    let key_info = doc.only_child(root, "KeyInfo")?;
    let object = doc.only_child(root, "Object")?;
    if doc.nodes[object].children.len() != 1 {
        return Err(EvidenceError::Malformed(
            "Object must hold only bankIdSignedData".into(),
        ));
    }
    let signed_data = doc.only_child(object, "bankIdSignedData")?;

    let c14n = doc.only_child(signed_info, "CanonicalizationMethod")?;
    if doc.attr(c14n, "Algorithm") != Some(C14N) {
        return Err(EvidenceError::Unsupported(
            "CanonicalizationMethod other than inclusive C14N".into(),
        ));
    }
    let signature_method = doc
        .attr(doc.only_child(signed_info, "SignatureMethod")?, "Algorithm")
        .unwrap_or("")
        .to_string();
    if signature_method != RSA_SHA256 && signature_method != ECDSA_SHA256 {
        return Err(EvidenceError::Unsupported(format!(
            "SignatureMethod {signature_method}"
        )));
    }
    let references = doc.children_named(signed_info, "Reference");
    if references.len() != 2 || doc.nodes[signed_info].children.len() != 4 {
        return Err(EvidenceError::Malformed(
            "SignedInfo must hold exactly two references".into(),
        ));
    }
    let mut signed_data_ref = None;
    let mut key_info_ref = None;
    for reference in references {
        match doc.attr(reference, "URI") {
            Some("#bidSignedData") if signed_data_ref.is_none() => {
                signed_data_ref = Some(parse_reference(&doc, reference)?)
            }
            Some("#bidKeyInfo") if key_info_ref.is_none() => {
                key_info_ref = Some(parse_reference(&doc, reference)?)
            }
            other => {
                return Err(EvidenceError::Malformed(format!(
                    "unexpected reference {other:?}"
                )))
            }
        }
    }
    let (Some(signed_data_ref), Some(key_info_ref)) = (signed_data_ref, key_info_ref) else {
        return Err(EvidenceError::Malformed("missing reference".into()));
    };

    let x509_data = doc.only_child(key_info, "X509Data")?;
    if doc.nodes[key_info].children.len() != 1 {
        return Err(EvidenceError::Malformed(
            "KeyInfo must hold only X509Data".into(),
        ));
    }
    let mut certs = Vec::new();
    let mut certs_der = Vec::new();
    for node in doc.children_named(x509_data, "X509Certificate") {
        let der = decode_b64_lenient(doc.text(node))
            .ok_or_else(|| EvidenceError::Malformed("X509Certificate is not base64".into()))?;
        certs.push(
            Certificate::from_der(&der)
                .map_err(|e| EvidenceError::Malformed(format!("certificate: {e}")))?,
        );
        certs_der.push(der);
    }
    if certs.is_empty() || certs.len() != doc.nodes[x509_data].children.len() {
        return Err(EvidenceError::Malformed(
            "X509Data must hold only certificates".into(),
        ));
    }
    let signature_value = decode_b64_lenient(doc.text(signature_value_node))
        .ok_or_else(|| EvidenceError::Malformed("SignatureValue is not base64".into()))?;

    let mut checks: Vec<(String, bool)> = Vec::new();
    checks.push(("canonical_form".into(), true));
    checks.push((
        "digest_bid_signed_data".into(),
        Sha256::digest(doc.bytes(signed_data))[..] == signed_data_ref.digest[..],
    ));
    checks.push((
        "digest_bid_key_info".into(),
        Sha256::digest(doc.bytes(key_info))[..] == key_info_ref.digest[..],
    ));
    let signer = &certs[0];
    let signature_ok = verify_xml_signature(
        &signature_method,
        signer,
        doc.bytes(signed_info),
        &signature_value,
    )?;
    checks.push(("signature_value".into(), signature_ok));
    checks.push(("signer_key_usage".into(), may_sign_data(signer)));

    // The path from the signer through the KeyInfo certificates to an anchor (the x509
    // module's: webpki plus keyCertSign and the anchor's own fitness), as of `at`.
    let path = validate_path(
        &certs_der[0],
        &certs_der[1..],
        trust_anchors_der,
        at,
        Purpose::Signing,
    );
    checks.push(("chain_to_trust_anchor".into(), path.is_ok()));
    let valid_at_time = match &path {
        Ok(_) => true,
        Err(X509Error::NotValidAt { .. }) => false,
        Err(_) => certs.iter().all(|c| valid_at(c, at)),
    };
    checks.push(("certificates_valid_at_time".into(), valid_at_time));
    let chain_subjects = match &path {
        Ok(path) => path.subjects(),
        Err(_) => certs
            .iter()
            .map(|c| c.tbs_certificate.subject.to_string())
            .collect(),
    };

    let personal_number = attribute_of(signer, "2.5.4.5").unwrap_or_default();
    let name = attribute_of(signer, "2.5.4.3").unwrap_or_default();
    let visible = doc
        .optional_child(signed_data, "usrVisibleData")?
        .map(|n| doc.text(n).to_string());
    let non_visible = doc
        .optional_child(signed_data, "usrNonVisibleData")?
        .map(|n| doc.text(n).to_string());
    let client_info = doc.only_child(signed_data, "clientInfo")?;
    let func_id = doc.text(doc.only_child(client_info, "funcId")?).to_string();
    if let Some(expected) = expected {
        checks.push((
            "personal_number".into(),
            personal_number == expected.personal_number,
        ));
        checks.push((
            "usr_visible_data".into(),
            visible.as_deref() == Some(expected.user_visible_data_b64),
        ));
        checks.push((
            "usr_non_visible_data".into(),
            non_visible.as_deref() == expected.user_non_visible_data_b64,
        ));
    }
    let report = EvidenceReport {
        personal_number,
        name,
        signed_at: None,
        certificate_chain_subjects: chain_subjects,
        func_id,
        usr_visible_data_b64: visible,
        usr_non_visible_data_b64: non_visible,
        signature_method,
        checks,
    };
    // Failed checks are the callers' to judge: verify_completion adds the OCSP checks first.
    Ok(report)
}

fn verify_xml_signature(
    method: &str,
    signer: &Certificate,
    signed_info: &[u8],
    value: &[u8],
) -> Result<bool, EvidenceError> {
    if method == RSA_SHA256 {
        let scheme = SignatureScheme::RsaPkcs1(Hash::Sha256);
        return Ok(verify_with_certificate(signer, scheme, signed_info, value).is_ok());
    }
    // XMLDSig carries r||s; accept DER too, which some producers emit.
    let scheme = SignatureScheme::Ecdsa(Hash::Sha256);
    let der = ecdsa_fixed_to_der(value).unwrap_or_else(|| value.to_vec());
    Ok(verify_with_certificate(signer, scheme, signed_info, &der).is_ok())
}

fn attribute_of(cert: &Certificate, oid: &str) -> Option<String> {
    let oid = ObjectIdentifier::new(oid).ok()?;
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| {
            std::str::from_utf8(atv.value.value())
                .ok()
                .map(str::to_string)
        })
}

/// The certificates of the signature's KeyInfo, signer first.
pub(crate) fn key_info_certificates(
    signature_b64: &str,
) -> Result<Vec<Certificate>, EvidenceError> {
    let xml_bytes = decode_b64_lenient(signature_b64).ok_or(EvidenceError::NotBase64)?;
    let xml = std::str::from_utf8(&xml_bytes)
        .map_err(|_| EvidenceError::Malformed("not UTF-8".into()))?;
    let doc = parse(xml)?;
    let key_info = doc.only_child(0, "KeyInfo")?;
    let x509_data = doc.only_child(key_info, "X509Data")?;
    let certs = doc
        .children_named(x509_data, "X509Certificate")
        .into_iter()
        .map(|node| {
            let der = decode_b64_lenient(doc.text(node))
                .ok_or_else(|| EvidenceError::Malformed("X509Certificate is not base64".into()))?;
            Certificate::from_der(&der)
                .map_err(|e| EvidenceError::Malformed(format!("certificate: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(EvidenceError::Malformed("no certificate in KeyInfo".into()));
    }
    Ok(certs)
}

/// Verifies a whole `completionData`: the OCSP response first (its `producedAt` is the signing
/// time), then the signature XML as of that time. The report carries both sets of checks and
/// `signed_at = producedAt`.
pub fn verify_completion(
    signature_b64: &str,
    ocsp_b64: &str,
    trust_anchors_der: &[Vec<u8>],
    expected: Option<&ExpectedEvidence>,
) -> Result<EvidenceReport, EvidenceError> {
    let ocsp = ocsp::evaluate_ocsp_response(ocsp_b64, signature_b64)?;
    let mut report =
        evaluate_signature_xml(signature_b64, trust_anchors_der, expected, ocsp.produced_at)?;
    report.signed_at = Some(ocsp.produced_at);
    report.checks.extend(ocsp.checks);
    passed_or_failed(report)
}

#[cfg(test)]
mod tests;
