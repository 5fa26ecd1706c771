//! The simulator's `completionData.ocspResponse`: a real RFC 6960 BasicOCSPResponse for the
//! user certificate, signed by a delegated responder of the issuing CA, with BankID's nonce
//! (SHA-1 of the base64 signature string followed by 12 random bytes, extension marked critical).

use chrono::{DateTime, Utc};
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::OctetString;
use der::{Decode, Encode, EncodeValue, Length, Writer};
use p256::ecdsa::{DerSignature, SigningKey};
use rand_core::{OsRng, RngCore};
use sha1::{Digest, Sha1};
use x509_cert::ext::{AsExtension, Extension};
use x509_cert::name::Name;
use x509_cert::Certificate;
use x509_ocsp::builder::OcspResponseBuilder;
use x509_ocsp::{CertId, CertStatus, OcspGeneralizedTime, ResponderId, SingleResponse};

/// The nonce extension, marked critical as in BankID's responses.
struct CriticalNonce(OctetString);

impl AssociatedOid for CriticalNonce {
    const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
}

impl EncodeValue for CriticalNonce {
    fn value_len(&self) -> der::Result<Length> {
        self.0.value_len()
    }
    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        self.0.encode_value(writer)
    }
}

impl der::FixedTag for CriticalNonce {
    const TAG: der::Tag = der::Tag::OctetString;
}

impl AsExtension for CriticalNonce {
    fn critical(&self, _subject: &Name, _extensions: &[Extension]) -> bool {
        true
    }
}

/// CertID with SHA-1 hashes, as BankID's responders use.
fn cert_id(issuer: &Certificate, cert: &Certificate) -> Result<CertId, String> {
    esign_shared::revocation::cert_id(
        issuer,
        &cert.tbs_certificate.serial_number,
        esign_shared::revocation::CertIdHash::Sha1,
    )
    .map_err(|e| e.to_string())
}

fn generalized(at: DateTime<Utc>) -> Result<OcspGeneralizedTime, String> {
    esign_shared::revocation::ocsp_time(at).map_err(|e| e.to_string())
}

/// DER of an OCSPResponse saying `good` for `user_cert_der` as of `now`.
pub(crate) fn build_ocsp_response(
    issuer_cert_der: &[u8],
    user_cert_der: &[u8],
    responder_cert_der: &[u8],
    responder_key: &SigningKey,
    signature_b64: &str,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    let issuer = Certificate::from_der(issuer_cert_der).map_err(|e| e.to_string())?;
    let user = Certificate::from_der(user_cert_der).map_err(|e| e.to_string())?;
    let responder = Certificate::from_der(responder_cert_der).map_err(|e| e.to_string())?;
    let mut nonce = Sha1::digest(signature_b64.as_bytes()).to_vec();
    let mut random = [0u8; 12];
    OsRng.fill_bytes(&mut random);
    nonce.extend_from_slice(&random);
    let single = SingleResponse::new(
        cert_id(&issuer, &user)?,
        CertStatus::good(),
        generalized(now)?,
    );
    let builder = OcspResponseBuilder::new(ResponderId::ByName(
        responder.tbs_certificate.subject.clone(),
    ))
    .with_single_response(single)
    .with_extension(CriticalNonce(
        OctetString::new(nonce).map_err(|e| e.to_string())?,
    ))
    .map_err(|e| format!("{e:?}"))?;
    let mut signer = responder_key.clone();
    let response = builder
        .sign::<_, DerSignature>(&mut signer, Some(vec![responder]), generalized(now)?)
        .map_err(|e| format!("{e:?}"))?;
    response.to_der().map_err(|e| e.to_string())
}
