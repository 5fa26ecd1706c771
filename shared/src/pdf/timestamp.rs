//! RFC 3161 time-stamp client: build a TimeStampReq (SHA-256 imprint, random nonce, certReq),
//! POST it as `application/timestamp-query`, and accept the `application/timestamp-reply` only
//! when the status is granted, the token's TSTInfo carries our imprint and nonce, and the
//! token's CMS signature verifies with the TSA certificate inside it.
//!
//! The token checks ([`verify_token`]) are shared with `verify`, which also checks the TSA
//! chain to a trust anchor.

use chrono::{DateTime, Utc};
use cms::signed_data::SignedData;
use const_oid::ObjectIdentifier;
use der::asn1::{Int, OctetString};
use der::{Decode, Encode, Reader};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;
use x509_tsp::{MessageImprint, TimeStampReq, TimeStampResp, TspVersion};

use crate::x509::{has_time_stamping_eku, parse_tst_info};

use super::signed_data::{
    self, EssCertIdV2, SigningCertificateV2, ID_AA_SIGNING_CERTIFICATE_V2, ID_CONTENT_TYPE,
    ID_MESSAGE_DIGEST, ID_SHA256, ID_SIGNED_DATA,
};

/// id-ct-TSTInfo, the eContentType of a TimeStampToken.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");
/// id-aa-signingCertificate (ESS v1, SHA-1 cert hash), what `openssl ts` puts in by default.
pub const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
pub const ID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
pub const ID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
pub const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");

/// Largest TimeStampResp we read (a token with a long chain is a few kB).
pub const MAX_RESPONSE_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum TimestampError {
    #[error("the timestamp authority could not be reached: {0}")]
    Unreachable(String),
    #[error("the timestamp authority answered HTTP {0}")]
    HttpStatus(u16),
    #[error(
        "the timestamp authority answered with content type {0:?}, not application/timestamp-reply"
    )]
    WrongContentType(String),
    #[error("the timestamp response is malformed: {0}")]
    Malformed(String),
    #[error("the timestamp authority refused the request (status {status}): {text}")]
    Rejected { status: u8, text: String },
    #[error("the timestamp is not over the requested digest")]
    ImprintMismatch,
    #[error("the timestamp does not echo the request's nonce")]
    NonceMismatch,
    #[error("the timestamp token's signature does not verify: {0}")]
    BadSignature(String),
    #[error("the timestamp request could not be built: {0}")]
    Request(String),
}

impl crate::error::ErrorText for TimestampError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                TimestampError::Unreachable(_) => "timestamp.unreachable",
                TimestampError::HttpStatus(_) => "timestamp.http_status",
                TimestampError::WrongContentType(_) => "timestamp.wrong_content_type",
                TimestampError::Malformed(_) => "timestamp.malformed_response",
                TimestampError::Rejected { .. } => "timestamp.rejected",
                TimestampError::ImprintMismatch => "timestamp.imprint_mismatch",
                TimestampError::NonceMismatch => "timestamp.nonce_mismatch",
                TimestampError::BadSignature(_) => "timestamp.bad_signature",
                TimestampError::Request(_) => "timestamp.request_failed",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            TimestampError::Unreachable(d) => {
                format!("Tidsstämplingstjänsten kunde inte nås: {d}")
            }
            TimestampError::HttpStatus(s) => {
                format!("Tidsstämplingstjänsten svarade med HTTP-status {s}.")
            }
            TimestampError::WrongContentType(t) => format!(
                "Tidsstämplingstjänsten svarade med innehållstypen {t:?} i stället för application/timestamp-reply."
            ),
            TimestampError::Malformed(d) => format!("Svaret från tidsstämplingstjänsten är felaktigt: {d}"),
            TimestampError::Rejected { status, text } => format!(
                "Tidsstämplingstjänsten avslog begäran (status {status}): {text}"
            ),
            TimestampError::ImprintMismatch => {
                "Tidsstämpeln gäller inte det begärda kontrollvärdet.".into()
            }
            TimestampError::NonceMismatch => {
                "Tidsstämpeln innehåller inte begärans engångsvärde (nonce).".into()
            }
            TimestampError::BadSignature(d) => {
                format!("Tidsstämpelns signatur kan inte verifieras: {d}")
            }
            TimestampError::Request(d) => format!("Begäran om tidsstämpel kunde inte skapas: {d}"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// Anything that can time-stamp a SHA-256 digest: an RFC 3161 TSA over HTTP, or a local TSA.
#[async_trait::async_trait]
pub trait TimestampSource: Send + Sync {
    /// A TimeStampToken (ContentInfo DER) over `digest_sha256`, already checked.
    async fn timestamp(&self, digest_sha256: [u8; 32]) -> Result<Vec<u8>, TimestampError>;
}

/// RFC 3161 over HTTP (RFC 3161 §3.4): POST `application/timestamp-query`.
#[derive(Debug, Clone)]
pub struct HttpTimestampClient {
    pub url: String,
    pub http: reqwest::Client,
}

impl HttpTimestampClient {
    /// A client with a 30 s timeout.
    pub fn new(url: impl Into<String>) -> Result<Self, TimestampError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .map_err(|e| TimestampError::Request(e.to_string()))?;
        Ok(Self {
            url: url.into(),
            http,
        })
    }
}

#[async_trait::async_trait]
impl TimestampSource for HttpTimestampClient {
    async fn timestamp(&self, digest_sha256: [u8; 32]) -> Result<Vec<u8>, TimestampError> {
        let nonce = random_nonce();
        let request = build_request(&digest_sha256, &nonce)?;
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(request)
            .send()
            .await
            .map_err(|e| TimestampError::Unreachable(e.without_url().to_string()))?;
        let status = response.status();
        if !status.is_success() {
            return Err(TimestampError::HttpStatus(status.as_u16()));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        // timestamp-response is a common historical variant.
        if essence != "application/timestamp-reply" && essence != "application/timestamp-response" {
            return Err(TimestampError::WrongContentType(content_type));
        }
        if response
            .content_length()
            .is_some_and(|l| l > MAX_RESPONSE_BYTES as u64)
        {
            return Err(TimestampError::Malformed("response too large".into()));
        }
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| TimestampError::Unreachable(e.without_url().to_string()))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_RESPONSE_BYTES {
                return Err(TimestampError::Malformed("response too large".into()));
            }
        }
        let (token, _info) = check_response(&body, &digest_sha256, &nonce)?;
        Ok(token)
    }
}

/// 8 random bytes, positive and minimally encoded as an INTEGER.
/// A token from a timestamp authority in the same process (`respond`: a TimeStampReq in, a
/// TimeStampResp out): the request and the checks are those of the HTTP client.
pub fn timestamp_in_process(
    digest_sha256: [u8; 32],
    respond: impl FnOnce(&[u8]) -> Vec<u8>,
) -> Result<Vec<u8>, TimestampError> {
    let nonce = random_nonce();
    let request = build_request(&digest_sha256, &nonce)?;
    let response = respond(&request);
    check_response(&response, &digest_sha256, &nonce).map(|(token, _)| token)
}

pub fn random_nonce() -> Vec<u8> {
    let mut nonce = vec![0u8; 8];
    OsRng.fill_bytes(&mut nonce);
    nonce[0] = (nonce[0] & 0x7f) | 0x01;
    nonce
}

fn sha256_alg() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ID_SHA256,
        parameters: None,
    }
}

/// TimeStampReq DER: v1, SHA-256 imprint, nonce, certReq TRUE.
pub fn build_request(digest_sha256: &[u8; 32], nonce: &[u8]) -> Result<Vec<u8>, TimestampError> {
    let err = |e: der::Error| TimestampError::Request(e.to_string());
    TimeStampReq {
        version: TspVersion::V1,
        message_imprint: MessageImprint {
            hash_algorithm: sha256_alg(),
            hashed_message: OctetString::new(digest_sha256.to_vec()).map_err(err)?,
        },
        req_policy: None,
        nonce: Some(Int::new(nonce).map_err(err)?),
        cert_req: true,
        extensions: None,
    }
    .to_der()
    .map_err(err)
}

/// Check a TimeStampResp against the request's digest and nonce; the token (ContentInfo DER).
pub fn check_response(
    response_der: &[u8],
    digest_sha256: &[u8; 32],
    nonce: &[u8],
) -> Result<(Vec<u8>, TimestampInfo), TimestampError> {
    let response = TimeStampResp::from_der(response_der)
        .map_err(|e| TimestampError::Malformed(e.to_string()))?;
    let status = response.status.status as u8;
    if status > 1 {
        let mut text: Vec<String> = response
            .status
            .status_string
            .iter()
            .flat_map(|s| s.iter().map(|t| t.as_str().to_string()))
            .collect();
        if let Some(fail) = &response.status.fail_info {
            text.push(format!("failInfo {:?}", fail));
        }
        return Err(TimestampError::Rejected {
            status,
            text: if text.is_empty() {
                "no reason given".into()
            } else {
                text.join("; ")
            },
        });
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| TimestampError::Malformed("granted but no token".into()))?
        .to_der()
        .map_err(|e| TimestampError::Malformed(e.to_string()))?;
    let info = verify_token(&token, digest_sha256)?;
    let want = strip_leading_zeros(nonce);
    match &info.nonce {
        Some(got) if strip_leading_zeros(got) == want => {}
        _ => return Err(TimestampError::NonceMismatch),
    }
    Ok((token, info))
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[first..]
}

/// What a checked TimeStampToken says.
#[derive(Debug, Clone)]
pub struct TimestampInfo {
    pub gen_time: DateTime<Utc>,
    /// GeneralizedTime as written (may carry fractional seconds).
    pub gen_time_text: String,
    pub policy: ObjectIdentifier,
    pub serial_hex: String,
    pub nonce: Option<Vec<u8>>,
    /// The certificate that signed the token.
    pub tsa_certificate: Certificate,
    /// Every certificate in the token (TSA first is not guaranteed).
    pub certificates: Vec<Certificate>,
    /// Problems that do not break the signature (e.g. a TSA certificate without the
    /// timeStamping extended key usage).
    pub warnings: Vec<String>,
}

/// Check a TimeStampToken: a SignedData over TSTInfo, the imprint is SHA-256 `expected`,
/// the content-type and message-digest attributes are right, an ESS signing-certificate
/// (v1 or v2) names the signer, and the signature verifies with the signer certificate in
/// the token. The chain to a trust anchor is the caller's business.
pub fn verify_token(token_der: &[u8], expected: &[u8]) -> Result<TimestampInfo, TimestampError> {
    let malformed = |e: &dyn std::fmt::Display| TimestampError::Malformed(e.to_string());
    let info = cms::content_info::ContentInfo::from_der(token_der).map_err(|e| malformed(&e))?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(malformed(&"the token is not a SignedData"));
    }
    let signed_data: SignedData =
        signed_data::decode_signed_data_lenient(&info.content).map_err(|e| malformed(&e))?;
    verify_signed_data_token(&signed_data, expected)
}

pub(crate) fn verify_signed_data_token(
    signed_data: &SignedData,
    expected: &[u8],
) -> Result<TimestampInfo, TimestampError> {
    let malformed = |e: &dyn std::fmt::Display| TimestampError::Malformed(e.to_string());
    if signed_data.encap_content_info.econtent_type != ID_CT_TST_INFO {
        return Err(malformed(&"the token does not carry a TSTInfo"));
    }
    let tst_der = signed_data
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|c| c.decode_as::<OctetString>().ok())
        .ok_or_else(|| malformed(&"the token has no TSTInfo content"))?
        .as_bytes()
        .to_vec();
    let tst = parse_tst_info(&tst_der).map_err(|e| malformed(&e))?;
    if tst.imprint_algorithm != ID_SHA256 || tst.imprint != expected {
        return Err(TimestampError::ImprintMismatch);
    }
    let mut signer_infos = signed_data.signer_infos.0.iter();
    let signer_info = signer_infos
        .next()
        .ok_or_else(|| malformed(&"the token has no SignerInfo"))?;
    if signer_infos.next().is_some() {
        return Err(malformed(&"the token has more than one SignerInfo"));
    }
    let certificates = signed_data::certificates_of(signed_data);
    let tsa_certificate = super::signed_data::find_signer_cert(signer_info, &certificates)
        .ok_or_else(|| {
            TimestampError::BadSignature("the TSA certificate is not in the token".into())
        })?;
    let attrs = signer_info
        .signed_attrs
        .as_ref()
        .ok_or_else(|| TimestampError::BadSignature("no signed attributes".into()))?;
    let content_type_ok = signed_data::attribute_value(attrs, ID_CONTENT_TYPE)
        .first()
        .and_then(|a| a.decode_as::<ObjectIdentifier>().ok())
        == Some(ID_CT_TST_INFO);
    if !content_type_ok {
        return Err(TimestampError::BadSignature(
            "content-type attribute is not id-ct-TSTInfo".into(),
        ));
    }
    let content_digest = digest_with(signer_info.digest_alg.oid, &tst_der).ok_or_else(|| {
        TimestampError::BadSignature(format!(
            "unsupported digest algorithm {}",
            signer_info.digest_alg.oid
        ))
    })?;
    let digests = signed_data::attribute_value(attrs, ID_MESSAGE_DIGEST);
    let digest_ok = digests.len() == 1
        && digests[0]
            .decode_as::<OctetString>()
            .is_ok_and(|d| d.as_bytes() == content_digest.as_slice());
    if !digest_ok {
        return Err(TimestampError::BadSignature(
            "message-digest does not match the TSTInfo".into(),
        ));
    }
    ess_names_signer(attrs, &tsa_certificate)?;
    let mut problems = Vec::new();
    if !super::signed_data::signer_signature_ok(signer_info, &tsa_certificate, attrs, &mut problems)
    {
        problems.push("the signature over the signed attributes is wrong".into());
        return Err(TimestampError::BadSignature(problems.join("; ")));
    }
    let mut warnings = Vec::new();
    if !has_time_stamping_eku(&tsa_certificate) {
        warnings.push(
            "the TSA certificate lacks the critical extended key usage timeStamping".to_string(),
        );
    }
    Ok(TimestampInfo {
        gen_time: tst.gen_time,
        gen_time_text: tst.gen_time_text,
        policy: tst.policy,
        serial_hex: hex::encode(&tst.serial),
        nonce: tst.nonce,
        tsa_certificate,
        certificates,
        warnings,
    })
}

fn digest_with(alg: ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    match alg {
        a if a == ID_SHA256 => Some(Sha256::digest(data).to_vec()),
        a if a == ID_SHA384 => Some(Sha384::digest(data).to_vec()),
        a if a == ID_SHA512 => Some(Sha512::digest(data).to_vec()),
        _ => None,
    }
}

/// ESS signing-certificate-v2 (any hash we know) or v1 (SHA-1): its first cert ID must be
/// the token's signer (RFC 3161 §2.4.2, RFC 5816).
fn ess_names_signer(
    attrs: &cms::signed_data::SignedAttributes,
    signer: &Certificate,
) -> Result<(), TimestampError> {
    let cert_der = signer
        .to_der()
        .map_err(|e| TimestampError::Malformed(e.to_string()))?;
    if let Some(v2) = signed_data::attribute_value(attrs, ID_AA_SIGNING_CERTIFICATE_V2).first() {
        let ess: SigningCertificateV2 = v2
            .decode_as()
            .map_err(|e| TimestampError::BadSignature(format!("signing-certificate-v2: {e}")))?;
        let first: Option<&EssCertIdV2> = ess.certs.first();
        let ok = first.is_some_and(|id| {
            let alg = id
                .hash_algorithm
                .as_ref()
                .map(|a| a.oid)
                .unwrap_or(ID_SHA256);
            digest_with(alg, &cert_der).is_some_and(|h| h == id.cert_hash.as_bytes())
        });
        return if ok {
            Ok(())
        } else {
            Err(TimestampError::BadSignature(
                "signing-certificate-v2 does not name the TSA certificate".into(),
            ))
        };
    }
    if let Some(v1) = signed_data::attribute_value(attrs, ID_AA_SIGNING_CERTIFICATE).first() {
        // SigningCertificate ::= SEQUENCE { certs SEQUENCE OF ESSCertID, .. };
        // ESSCertID ::= SEQUENCE { certHash OCTET STRING (SHA-1), issuerSerial OPTIONAL }
        let hash = first_v1_cert_hash(v1.to_der().unwrap_or_default().as_slice());
        let sha1 = sha1::Sha1::digest(&cert_der);
        return if hash.as_deref() == Some(&sha1[..]) {
            Ok(())
        } else {
            Err(TimestampError::BadSignature(
                "signing-certificate does not name the TSA certificate".into(),
            ))
        };
    }
    Err(TimestampError::BadSignature(
        "no ESS signing-certificate attribute".into(),
    ))
}

fn first_v1_cert_hash(der_bytes: &[u8]) -> Option<Vec<u8>> {
    let mut reader = der::SliceReader::new(der_bytes).ok()?;
    reader
        .sequence(|r| {
            let hash = r.sequence(|certs| {
                certs.sequence(|id| {
                    let h: OctetString = id.decode()?;
                    while !id.is_finished() {
                        let _: der::asn1::Any = id.decode()?;
                    }
                    Ok(h.as_bytes().to_vec())
                })
            });
            while !r.is_finished() {
                let _: der::asn1::Any = r.decode()?;
            }
            hash
        })
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;

    #[test]
    fn request_has_imprint_nonce_and_cert_req() {
        let req = build_request(&[7u8; 32], &[0x12, 0x34]).unwrap();
        let parsed = TimeStampReq::from_der(&req).unwrap();
        assert!(parsed.cert_req);
        assert_eq!(parsed.nonce.unwrap().as_bytes(), [0x12, 0x34]);
        assert_eq!(parsed.message_imprint.hashed_message.as_bytes(), [7u8; 32]);
    }

    #[test]
    fn garbage_responses_are_malformed_not_panics() {
        for input in [&b""[..], b"\x30\x00", b"\x30\x03\x02\x01\x00", b"garbage"] {
            let err = check_response(input, &[0; 32], &[1]).unwrap_err();
            assert_eq!(err.code(), "timestamp.malformed_response", "{err}");
        }
    }
}
