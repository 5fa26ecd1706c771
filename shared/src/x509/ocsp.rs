//! The one OCSP response verifier (RFC 6960): the revocation collector checks what it fetched
//! with it, the BankID evidence verifier the response BankID returned with a signature.
//!
//! A response is checked for a certificate and its issuer as of a time: a successful basic
//! response, signed by the issuer or by a delegated responder the issuer certified (validated as
//! a path from the responder to the issuer with [`Purpose::OcspSigning`]: id-kp-OCSPSigning, an
//! issuer fit to issue, valid at that time), exactly one SingleResponse whose CertID names the
//! certificate, thisUpdate not ahead (5 minutes' tolerance) and nextUpdate (if any) not passed,
//! the nonce as the caller asks, and the status. Every check is made on its own
//! ([`OcspFindings`]), so a report can name each; [`OcspFindings::verdict`] is the first failure.

use chrono::{DateTime, Duration, Utc};
use der::asn1::{Null, OctetString};
use der::{Decode, Encode, Reader, SliceReader};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;
use x509_ocsp::{BasicOcspResponse, CertId, CertStatus, OcspResponse, OcspResponseStatus};

use super::signature::{verify_with_certificate, SignatureScheme, ID_SHA256};
use super::{validate_path, Purpose};

const OID_OCSP_BASIC: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const ID_SHA1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
/// Clock difference tolerated between us and a responder (thisUpdate slightly ahead).
const CLOCK_SKEW: Duration = Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcspError {
    #[error("{0}")]
    Malformed(String),
    #[error("responder status {0}")]
    ResponderStatus(String),
    #[error("response type {0}")]
    NotBasic(String),
    #[error("responder certificate not found")]
    ResponderNotFound,
    #[error("signature does not verify (algorithm {0})")]
    BadSignature(String),
    #[error("signed by neither the issuer nor a responder it authorised (id-kp-OCSPSigning): {0}")]
    NotAuthorised(String),
    #[error("the nonce does not match the request")]
    NonceMismatch,
    #[error("no answer for this certificate in the response")]
    NoAnswer,
    #[error("thisUpdate {0} is in the future")]
    NotYetValid(DateTime<Utc>),
    #[error("stale: nextUpdate {0} has passed")]
    Stale(DateTime<Utc>),
    #[error("the certificate is revoked")]
    Revoked(Option<DateTime<Utc>>),
    #[error("the responder does not know the certificate")]
    UnknownCertificate,
}

impl crate::error::ErrorText for OcspError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                OcspError::Malformed(_) => "ocsp.malformed",
                OcspError::ResponderStatus(_) => "ocsp.responder_status",
                OcspError::NotBasic(_) => "ocsp.not_basic",
                OcspError::ResponderNotFound => "ocsp.responder_not_found",
                OcspError::BadSignature(_) => "ocsp.bad_signature",
                OcspError::NotAuthorised(_) => "ocsp.responder_not_authorised",
                OcspError::NonceMismatch => "ocsp.nonce_mismatch",
                OcspError::NoAnswer => "ocsp.no_answer",
                OcspError::NotYetValid(_) => "ocsp.not_yet_valid",
                OcspError::Stale(_) => "ocsp.stale",
                OcspError::Revoked(_) => "ocsp.revoked",
                OcspError::UnknownCertificate => "ocsp.unknown_certificate",
            }
        })
    }

    fn message_sv(&self) -> String {
        let time = |t: &DateTime<Utc>| t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        match self {
            OcspError::Malformed(d) => format!("OCSP-svaret kan inte läsas: {d}"),
            OcspError::ResponderStatus(s) => format!("OCSP-tjänsten svarade med status {s}."),
            OcspError::NotBasic(t) => format!("OCSP-svaret är av en okänd typ ({t})."),
            OcspError::ResponderNotFound => "OCSP-svarets undertecknare saknas.".into(),
            OcspError::BadSignature(a) => {
                format!("OCSP-svarets signatur kan inte verifieras (algoritm {a}).")
            }
            OcspError::NotAuthorised(d) => format!(
                "OCSP-svaret är varken undertecknat av utfärdaren eller av en OCSP-tjänst som den har godkänt: {d}"
            ),
            OcspError::NonceMismatch => {
                "OCSP-svarets engångsvärde (nonce) stämmer inte med förfrågan.".into()
            }
            OcspError::NoAnswer => "OCSP-svaret gäller inte certifikatet.".into(),
            OcspError::NotYetValid(t) => {
                format!("OCSP-svaret gäller först från {} (thisUpdate).", time(t))
            }
            OcspError::Stale(t) => format!("OCSP-svaret är för gammalt: nextUpdate {} har passerat.", time(t)),
            OcspError::Revoked(_) => "Certifikatet är spärrat.".into(),
            OcspError::UnknownCertificate => "OCSP-tjänsten känner inte till certifikatet.".into(),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// How the response's nonce is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCheck<'a> {
    /// No nonce was sent.
    NotAsked,
    /// The request carried this nonce: a response that has one must echo it (responders may
    /// leave it out, RFC 8954).
    EchoedIfPresent(&'a [u8]),
    /// The response must carry a nonce starting with these bytes (BankID: SHA-1 of the
    /// signature it belongs to).
    StartsWith(&'a [u8]),
}

/// The question a response must answer.
#[derive(Debug, Clone, Copy)]
pub struct OcspQuery<'a> {
    pub cert: &'a Certificate,
    pub issuer: &'a Certificate,
    /// When the answer is relied on: freshness and the delegated responder's validity. `None`:
    /// as of the response's own producedAt (evidence checked long after it was made).
    pub at: Option<DateTime<Utc>>,
    pub nonce: NonceCheck<'a>,
}

/// What a verified OCSP response relied on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedOcsp {
    pub produced_at: DateTime<Utc>,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    /// The delegated responder's certificate (id-kp-OCSPSigning, issued by the CA), if the CA
    /// did not sign itself: a validator needs it beside the chain.
    pub delegated_responder_der: Option<Vec<u8>>,
}

/// The SingleResponse that names the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspAnswer {
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    pub status: CertStatus,
}

/// Every check of a readable response, each on its own.
#[derive(Debug, Clone)]
pub struct OcspFindings {
    pub produced_at: DateTime<Utc>,
    /// The certificate that signed (the first one the ResponderID names whose key verifies).
    pub responder: Option<Certificate>,
    pub signature: Result<(), OcspError>,
    /// `Ok(Some(der))`: a delegated responder; `Ok(None)`: the issuer itself.
    pub authorised: Result<Option<Vec<u8>>, OcspError>,
    pub nonce: Result<(), OcspError>,
    /// The one SingleResponse for the certificate.
    pub answer: Result<OcspAnswer, OcspError>,
    pub fresh: Result<(), OcspError>,
    /// `good`, or why not.
    pub status: Result<(), OcspError>,
}

impl OcspFindings {
    /// The first failed check, in the order signature, authorisation, nonce, answer,
    /// freshness, status; else what the response relied on.
    pub fn verdict(self) -> Result<CheckedOcsp, OcspError> {
        self.signature?;
        let delegated = self.authorised?;
        self.nonce?;
        let OcspAnswer {
            this_update,
            next_update,
            ..
        } = self.answer?;
        self.fresh?;
        self.status?;
        Ok(CheckedOcsp {
            produced_at: self.produced_at,
            this_update,
            next_update,
            delegated_responder_der: delegated,
        })
    }
}

/// Verifies a DER OCSPResponse against `query`; `Revoked` and `UnknownCertificate` are errors
/// like the others (the collector tells them apart by [`OcspError::Revoked`]).
pub fn verify_ocsp_response(
    response_der: &[u8],
    query: &OcspQuery<'_>,
) -> Result<CheckedOcsp, OcspError> {
    examine_ocsp_response(response_der, query)?.verdict()
}

fn time_of(t: &x509_ocsp::OcspGeneralizedTime) -> DateTime<Utc> {
    i64::try_from(t.0.to_unix_duration().as_secs())
        .ok()
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Runs every check on a response; `Err` only when it is not a readable, successful, basic
/// response at all.
pub fn examine_ocsp_response(
    response_der: &[u8],
    query: &OcspQuery<'_>,
) -> Result<OcspFindings, OcspError> {
    let malformed =
        |what: &str, e: &dyn std::fmt::Display| OcspError::Malformed(format!("{what}: {e}"));
    let response =
        OcspResponse::from_der(response_der).map_err(|e| malformed("not an OCSPResponse", &e))?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(OcspError::ResponderStatus(format!(
            "{:?}",
            response.response_status
        )));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| OcspError::Malformed("successful response without body".into()))?;
    if bytes.response_type != OID_OCSP_BASIC {
        return Err(OcspError::NotBasic(bytes.response_type.to_string()));
    }
    let basic_der = bytes.response.as_bytes();
    let basic =
        BasicOcspResponse::from_der(basic_der).map_err(|e| malformed("BasicOCSPResponse", &e))?;
    let produced_at = time_of(&basic.tbs_response_data.produced_at);
    let at = query.at.unwrap_or(produced_at);
    let issuer = query.issuer;

    // The responder: the first certificate the ResponderID names whose key made the signature.
    let embedded = basic.certs.clone().unwrap_or_default();
    let named: Vec<&Certificate> = std::iter::once(issuer)
        .chain(embedded.iter())
        .filter(|c| match &basic.tbs_response_data.responder_id {
            x509_ocsp::ResponderId::ByName(name) => &c.tbs_certificate.subject == name,
            x509_ocsp::ResponderId::ByKey(hash) => public_key_sha1(c)[..] == *hash.as_bytes(),
        })
        .collect();
    let signed = signed_part(basic_der);
    let scheme = SignatureScheme::from_algorithm(&basic.signature_algorithm, None);
    let verifies = |c: &Certificate| match (&signed, &scheme, basic.signature.as_bytes()) {
        (Some(tbs), Ok(scheme), Some(sig)) => verify_with_certificate(c, *scheme, tbs, sig).is_ok(),
        _ => false,
    };
    let responder = named.iter().find(|c| verifies(c)).map(|c| (*c).clone());
    let signature = match (&responder, named.is_empty()) {
        (Some(_), _) => Ok(()),
        (None, true) => Err(OcspError::ResponderNotFound),
        (None, false) => Err(OcspError::BadSignature(
            basic.signature_algorithm.oid.to_string(),
        )),
    };
    let authorised = match &responder {
        None => Err(OcspError::NotAuthorised("no responder".into())),
        Some(r) if r == issuer => Ok(None),
        Some(r) => authorise_delegate(r, issuer, at),
    };

    let got_nonce = basic.nonce();
    let nonce = match query.nonce {
        NonceCheck::NotAsked => Ok(()),
        NonceCheck::EchoedIfPresent(sent) => match &got_nonce {
            Some(got) if got.0.as_bytes() != sent => Err(OcspError::NonceMismatch),
            _ => Ok(()),
        },
        NonceCheck::StartsWith(prefix) => match &got_nonce {
            Some(got) if got.0.as_bytes().starts_with(prefix) => Ok(()),
            _ => Err(OcspError::NonceMismatch),
        },
    };

    let matching: Vec<&x509_ocsp::SingleResponse> = basic
        .tbs_response_data
        .responses
        .iter()
        .filter(|s| {
            s.cert_id.serial_number == query.cert.tbs_certificate.serial_number
                && cert_id_issued_by(&s.cert_id, issuer)
        })
        .collect();
    let answer = match matching.as_slice() {
        [single] => Ok(OcspAnswer {
            this_update: time_of(&single.this_update),
            next_update: single.next_update.as_ref().map(time_of),
            status: single.cert_status,
        }),
        _ => Err(OcspError::NoAnswer),
    };
    let (fresh, status) = match &answer {
        Ok(answer) => (
            freshness(answer.this_update, answer.next_update, at),
            match &answer.status {
                CertStatus::Good(_) => Ok(()),
                CertStatus::Revoked(info) => {
                    Err(OcspError::Revoked(Some(time_of(&info.revocation_time))))
                }
                CertStatus::Unknown(_) => Err(OcspError::UnknownCertificate),
            },
        ),
        Err(e) => (Err(e.clone()), Err(e.clone())),
    };
    Ok(OcspFindings {
        produced_at,
        responder,
        signature,
        authorised,
        nonce,
        answer,
        fresh,
        status,
    })
}

/// A delegated responder (RFC 6960 4.2.2.2): issued by the CA itself, id-kp-OCSPSigning, valid
/// at `at`; its DER when so.
fn authorise_delegate(
    responder: &Certificate,
    issuer: &Certificate,
    at: DateTime<Utc>,
) -> Result<Option<Vec<u8>>, OcspError> {
    let not_authorised = |e: &dyn std::fmt::Display| OcspError::NotAuthorised(e.to_string());
    let responder_der = responder.to_der().map_err(|e| not_authorised(&e))?;
    let issuer_der = issuer.to_der().map_err(|e| not_authorised(&e))?;
    validate_path(&responder_der, &[], &[issuer_der], at, Purpose::OcspSigning)
        .map_err(|e| not_authorised(&e))?;
    Ok(Some(responder_der))
}

fn freshness(
    this_update: DateTime<Utc>,
    next_update: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> Result<(), OcspError> {
    if this_update > at + CLOCK_SKEW {
        return Err(OcspError::NotYetValid(this_update));
    }
    match next_update {
        Some(next) if next < at => Err(OcspError::Stale(next)),
        _ => Ok(()),
    }
}

/// The encoded first element of a DER SEQUENCE: the signed part of a CRL or a
/// BasicOCSPResponse, as the signer encoded it (never re-encoded before verifying).
pub fn signed_part(der: &[u8]) -> Option<&[u8]> {
    let mut reader = SliceReader::new(der).ok()?;
    let _outer = der::Header::decode(&mut reader).ok()?;
    reader.tlv_bytes().ok()
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
            ID_SHA1,
            Sha1::digest(&name_der).to_vec(),
            Sha1::digest(key_bits).to_vec(),
        ),
        CertIdHash::Sha256 => (
            ID_SHA256,
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
        o if o == ID_SHA1 => CertIdHash::Sha1,
        o if o == ID_SHA256 => CertIdHash::Sha256,
        _ => return false,
    };
    cert_id(issuer, &id.serial_number, hash).is_ok_and(|expected| {
        expected.issuer_name_hash == id.issuer_name_hash
            && expected.issuer_key_hash == id.issuer_key_hash
    })
}
