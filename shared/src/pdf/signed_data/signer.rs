//! The CMS side of verifying: which certificate a SignerInfo names, and whether its signature
//! over the signed attributes verifies (the arithmetic is the x509 module's).

use cms::signed_data::{SignerIdentifier, SignerInfo};
use der::{Decode, Encode};
use x509_cert::Certificate;

use crate::x509::{verify_with_certificate, verify_with_spki_der, Hash, SignatureScheme};

/// The SignerInfo signature over the DER SET of its signed attributes, with the scheme its
/// signatureAlgorithm (and, for a bare rsaEncryption or id-ecPublicKey, digestAlgorithm) names.
pub(crate) fn signer_signature_ok(
    signer_info: &SignerInfo,
    leaf: &Certificate,
    attrs: &cms::signed_data::SignedAttributes,
    problems: &mut Vec<String>,
) -> bool {
    let message = match attrs.to_der() {
        Ok(m) => m,
        Err(e) => {
            problems.push(format!("signed attributes unreadable: {e}"));
            return false;
        }
    };
    let scheme = match SignatureScheme::from_algorithm(
        &signer_info.signature_algorithm,
        Some(signer_info.digest_alg.oid),
    ) {
        Ok(scheme) => scheme,
        Err(_) => {
            problems.push(format!(
                "unsupported signature algorithm {}",
                signer_info.signature_algorithm.oid
            ));
            return false;
        }
    };
    verify_with_certificate(leaf, scheme, &message, signer_info.signature.as_bytes()).is_ok()
}

pub(crate) fn find_signer_cert(
    signer_info: &SignerInfo,
    certs: &[Certificate],
) -> Option<Certificate> {
    certs
        .iter()
        .find(|c| match &signer_info.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => subject_key_identifier(c)
                .map(|k| k == ski.0.as_bytes())
                .unwrap_or(false),
        })
        .cloned()
}

fn subject_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .and_then(|e| der::asn1::OctetString::from_der(e.extn_value.as_bytes()).ok())
        .map(|o| o.as_bytes().to_vec())
}

/// ECDSA with SHA-256 over `message` (P-256 or P-384 key); `signature` is DER Ecdsa-Sig-Value.
/// For the seal's self-check and the KMS signer.
pub(crate) fn verify_ecdsa_p256(spki_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    verify_with_spki_der(
        spki_der,
        SignatureScheme::Ecdsa(Hash::Sha256),
        message,
        signature,
    )
    .is_ok()
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
pub(crate) fn verify_rsa_pkcs1_sha256(spki_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    verify_with_spki_der(
        spki_der,
        SignatureScheme::RsaPkcs1(Hash::Sha256),
        message,
        signature,
    )
    .is_ok()
}
