//! A local RFC 3161 time-stamping authority for `esign serve` and tests: a P-256 key and a
//! TSA certificate (critical EKU timeStamping) from the local PKI. Responses are real
//! TimeStampResp structures: TSTInfo (policy, serial, genTime, accuracy, the nonce echoed)
//! signed as CMS SignedData with content-type, message-digest and signing-certificate-v2.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use chrono::{DateTime, Utc};
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, GeneralizedTime, Int, OctetString, SetOfVec};
use der::{Decode, Encode};
use p256::ecdsa::{DerSignature, SigningKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::Certificate;
use x509_tsp::{Accuracy, TimeStampReq, TspVersion, TstInfo};

use crate::pki::{CertificateAuthority, PkiError, SubjectName};
use esign_shared::error::ErrorText;
use esign_shared::pdf::sign::cms_build;
use esign_shared::pdf::signed_data::{ECDSA_WITH_SHA256, ID_SHA256, ID_SIGNED_DATA};
use esign_shared::pdf::timestamp::{ID_CT_TST_INFO, ID_SHA384, ID_SHA512};

/// The local TSA's policy: under IANA enterprise number 32473, reserved for documentation
/// (RFC 5612), so no real TSA uses it — a local, non-qualified policy.
pub const LOCAL_TSA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.3161.1");

#[derive(Debug, thiserror::Error)]
pub enum TsaError {
    #[error("the timestamp request is malformed: {0}")]
    MalformedRequest(String),
    #[error("the TSA key or certificate is invalid: {0}")]
    Setup(String),
}

impl esign_shared::error::ErrorText for TsaError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                TsaError::MalformedRequest(_) => "tsa.malformed_request",
                TsaError::Setup(_) => "tsa.setup_failed",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            TsaError::MalformedRequest(d) => format!("Begäran om tidsstämpel är felaktig: {d}"),
            TsaError::Setup(d) => {
                format!("Tidsstämplingstjänstens nyckel eller certifikat är ogiltigt: {d}")
            }
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// How long a local TSA certificate is valid unless asked otherwise.
pub const TSA_VALIDITY_YEARS: u64 = 3;

pub struct LocalTsa {
    key: SigningKey,
    /// TSA certificate first, then its CAs (the root may be left out).
    chain: Vec<Certificate>,
    policy: ObjectIdentifier,
}

impl std::fmt::Debug for LocalTsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTsa")
            .field("chain_len", &self.chain.len())
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

/// RFC 3161 PKIFailureInfo bits we use.
#[derive(Debug, Clone, Copy)]
enum Failure {
    BadAlg = 0,
    BadDataFormat = 5,
    UnacceptedPolicy = 15,
}

impl LocalTsa {
    /// From a PKCS#8 P-256 key and the chain (TSA certificate first). The certificate must
    /// belong to the key and carry the critical timeStamping EKU.
    pub fn new(key_pkcs8_der: &[u8], chain_der: &[Vec<u8>]) -> Result<Self, TsaError> {
        let key = SigningKey::from_pkcs8_der(key_pkcs8_der)
            .map_err(|e| TsaError::Setup(format!("key: {e}")))?;
        let chain: Vec<Certificate> = chain_der
            .iter()
            .map(|d| Certificate::from_der(d))
            .collect::<Result<_, _>>()
            .map_err(|e| TsaError::Setup(format!("certificate: {e}")))?;
        let leaf = chain
            .first()
            .ok_or_else(|| TsaError::Setup("empty certificate chain".into()))?;
        let cert_spki = leaf
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|e| TsaError::Setup(e.to_string()))?;
        let key_spki = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| TsaError::Setup(e.to_string()))?;
        if cert_spki != key_spki.as_bytes() {
            return Err(TsaError::Setup(
                "the key does not belong to the TSA certificate".into(),
            ));
        }
        if !esign_shared::x509::has_time_stamping_eku(leaf) {
            return Err(TsaError::Setup(
                "the certificate lacks the critical extended key usage timeStamping".into(),
            ));
        }
        Ok(Self {
            key,
            chain,
            policy: LOCAL_TSA_POLICY,
        })
    }

    /// The tests' TSA, "Test-TSA Örebro", certified by `root` as of `now`.
    pub fn for_tests(root: &CertificateAuthority, now: DateTime<Utc>) -> Self {
        let subject = SubjectName {
            common_name: "Test-TSA Örebro".into(),
            organization: "Örebro kommun".into(),
            organization_identifier: None,
            country: "SE".into(),
        };
        Self::generate(root, &[], &subject, now).expect("local TSA")
    }

    /// A fresh key and a TSA certificate issued by `ca`; `ca_chain` (the issuing CA and above,
    /// root optional) is included in tokens after the TSA certificate.
    pub fn generate(
        ca: &CertificateAuthority,
        ca_chain: &[Vec<u8>],
        subject: &SubjectName,
        now: DateTime<Utc>,
    ) -> Result<Self, PkiError> {
        Self::generate_for_years(ca, ca_chain, subject, now, TSA_VALIDITY_YEARS)
    }

    /// Like [`generate`](Self::generate), with a certificate valid for `years`: what a real
    /// authority does when it rotates its key (`esign pki rotate-tsa`).
    pub fn generate_for_years(
        ca: &CertificateAuthority,
        ca_chain: &[Vec<u8>],
        subject: &SubjectName,
        now: DateTime<Utc>,
        years: u64,
    ) -> Result<Self, PkiError> {
        let key = SigningKey::random(&mut OsRng);
        let spki = key
            .verifying_key()
            .to_public_key_der()
            .map_err(|e| PkiError::Build(e.to_string()))?;
        let cert = ca.issue_tsa_cert_for_years(subject, spki.as_bytes(), now, years)?;
        let key_der = key
            .to_pkcs8_der()
            .map_err(|e| PkiError::Build(e.to_string()))?;
        let mut chain = vec![cert];
        chain.extend(ca_chain.iter().cloned());
        Self::new(key_der.as_bytes(), &chain).map_err(|e| PkiError::Build(e.to_string()))
    }

    pub fn with_policy(mut self, policy: ObjectIdentifier) -> Self {
        self.policy = policy;
        self
    }

    pub fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
        self.chain.iter().filter_map(|c| c.to_der().ok()).collect()
    }

    pub fn key_pkcs8_der(&self) -> Vec<u8> {
        self.key
            .to_pkcs8_der()
            .map(|d| d.as_bytes().to_vec())
            .unwrap_or_default()
    }

    /// A TimeStampResp DER for `request_der`: granted with a token, or a rejection
    /// (status 2 with a failInfo) for a malformed request, an unsupported hash or policy.
    pub fn respond(&self, request_der: &[u8], now: DateTime<Utc>) -> Vec<u8> {
        match self.respond_checked(request_der, now) {
            Ok(bytes) => bytes,
            Err(e) => rejection(Failure::BadDataFormat, &e.to_string()),
        }
    }

    /// Like [`respond`](Self::respond), but a request that is not a TimeStampReq is an error.
    pub fn respond_checked(
        &self,
        request_der: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, TsaError> {
        let request = TimeStampReq::from_der(request_der)
            .map_err(|e| TsaError::MalformedRequest(e.to_string()))?;
        let imprint = &request.message_imprint;
        let expected_len = match imprint.hash_algorithm.oid {
            oid if oid == ID_SHA256 => 32,
            oid if oid == ID_SHA384 => 48,
            oid if oid == ID_SHA512 => 64,
            other => {
                return Ok(rejection(
                    Failure::BadAlg,
                    &format!("unsupported hash algorithm {other}"),
                ))
            }
        };
        if imprint.hashed_message.as_bytes().len() != expected_len {
            return Ok(rejection(
                Failure::BadDataFormat,
                "the message imprint has the wrong length for its hash algorithm",
            ));
        }
        if let Some(policy) = request.req_policy {
            if policy != self.policy {
                return Ok(rejection(
                    Failure::UnacceptedPolicy,
                    &format!("policy {policy} is not offered"),
                ));
            }
        }
        let token = self
            .token(&request, now)
            .map_err(|e| TsaError::Setup(e.to_string()))?;
        // TimeStampResp { status PKIStatusInfo { granted(0) }, timeStampToken }
        let status = der_sequence(&[0x02, 0x01, 0x00]);
        let mut body = status;
        body.extend_from_slice(&token);
        Ok(der_sequence(&body))
    }

    fn token(&self, request: &TimeStampReq, now: DateTime<Utc>) -> Result<Vec<u8>, der::Error> {
        let leaf = &self.chain[0];
        let secs = u64::try_from(now.timestamp()).map_err(|_| der::ErrorKind::DateTime)?;
        let gen_time = GeneralizedTime::from_unix_duration(std::time::Duration::from_secs(secs))?;
        let mut serial = [0u8; 16];
        OsRng.fill_bytes(&mut serial);
        serial[0] = (serial[0] & 0x7f) | 0x01;
        let tst = TstInfo {
            version: TspVersion::V1,
            policy: self.policy,
            message_imprint: request.message_imprint.clone(),
            serial_number: Int::new(&serial)?,
            gen_time,
            accuracy: Some(Accuracy {
                seconds: Some(1),
                millis: None,
                micros: None,
            }),
            ordering: false,
            nonce: request.nonce.clone(),
            tsa: Some(GeneralName::DirectoryName(
                leaf.tbs_certificate.subject.clone(),
            )),
            extensions: None,
        };
        let tst_der = tst.to_der()?;
        let attrs =
            cms_build::signed_attributes_for(ID_CT_TST_INFO, &Sha256::digest(&tst_der), leaf)?;
        let signature: DerSignature = signature::Signer::try_sign(&self.key, &attrs.to_der()?)
            .map_err(|_| der::ErrorKind::Failed)?;
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
                issuer: leaf.tbs_certificate.issuer.clone(),
                serial_number: leaf.tbs_certificate.serial_number.clone(),
            }),
            digest_alg: AlgorithmIdentifierOwned {
                oid: ID_SHA256,
                parameters: None,
            },
            signed_attrs: Some(attrs),
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: ECDSA_WITH_SHA256,
                parameters: None,
            },
            signature: OctetString::new(signature.as_bytes())?,
            unsigned_attrs: None,
        };
        let certificates = if request.cert_req {
            let choices: Vec<CertificateChoices> = self
                .chain
                .iter()
                .cloned()
                .map(CertificateChoices::Certificate)
                .collect();
            Some(CertificateSet(SetOfVec::try_from(choices)?))
        } else {
            None
        };
        let signed_data = SignedData {
            // v3: the eContentType is not id-data (RFC 5652 §5.1).
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![AlgorithmIdentifierOwned {
                oid: ID_SHA256,
                parameters: None,
            }])?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: ID_CT_TST_INFO,
                econtent: Some(Any::encode_from(&OctetString::new(tst_der)?)?),
            },
            certificates,
            crls: None,
            signer_infos: SignerInfos(SetOfVec::try_from(vec![signer_info])?),
        };
        ContentInfo {
            content_type: ID_SIGNED_DATA,
            content: Any::encode_from(&signed_data)?,
        }
        .to_der()
    }
}

/// A TimeStampResp with status rejection(2), a statusString and one failInfo bit.
fn rejection(failure: Failure, text: &str) -> Vec<u8> {
    let bit = failure as usize;
    // BIT STRING of bit+1 bits, named-bit DER: trailing zero bits dropped.
    let bytes = bit / 8 + 1;
    let mut bits = vec![0u8; bytes];
    bits[bit / 8] = 0x80 >> (bit % 8);
    let unused = 7 - (bit % 8) as u8;
    let mut fail_info = vec![0x03, (bytes + 1) as u8, unused];
    fail_info.extend_from_slice(&bits);
    let text = der::asn1::Utf8StringRef::new(text)
        .and_then(|t| t.to_der())
        .unwrap_or_else(|_| vec![0x0c, 0x00]);
    let mut status = vec![0x02, 0x01, 0x02];
    status.extend_from_slice(&der_sequence(&text));
    status.extend_from_slice(&fail_info);
    der_sequence(&der_sequence(&status))
}

/// SEQUENCE { content } with a DER length.
fn der_sequence(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = len.to_be_bytes();
        let first = be.iter().position(|b| *b != 0).unwrap_or(be.len() - 1);
        out.push(0x80 | (be.len() - first) as u8);
        out.extend_from_slice(&be[first..]);
    }
    out.extend_from_slice(content);
    out
}

/// In-process use of the local TSA (no HTTP): the seal can take it directly.
#[async_trait::async_trait]
impl esign_shared::pdf::timestamp::TimestampSource for LocalTsa {
    async fn timestamp(
        &self,
        digest_sha256: [u8; 32],
    ) -> Result<Vec<u8>, esign_shared::pdf::timestamp::TimestampError> {
        esign_shared::pdf::timestamp::timestamp_in_process(digest_sha256, |request| {
            self.respond(request, Utc::now())
        })
    }
}

/// POST `/tsa`: `application/timestamp-query` in, `application/timestamp-reply` out;
/// 415 for another content type, 400 for a body that is not a TimeStampReq.
pub fn router(tsa: Arc<LocalTsa>) -> Router {
    Router::new().route("/tsa", post(handle)).with_state(tsa)
}

async fn handle(State(tsa): State<Arc<LocalTsa>>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/timestamp-query") {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "tsa.unsupported_media_type",
            "Begäran måste ha innehållstypen application/timestamp-query.",
            "The request must have content type application/timestamp-query.",
        );
    }
    match tsa.respond_checked(&body, Utc::now()) {
        Ok(reply) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/timestamp-reply")],
            reply,
        )
            .into_response(),
        Err(e @ TsaError::MalformedRequest(_)) => error(
            StatusCode::BAD_REQUEST,
            &e.code(),
            &e.message_sv(),
            &e.message_en(),
        ),
        Err(e) => {
            tracing::error!(code = %e.code(), error = %e, "local TSA failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &e.code(),
                "Tidsstämplingstjänsten kunde inte skapa en tidsstämpel.",
                "The timestamp authority could not create a timestamp.",
            )
        }
    }
}

fn error(status: StatusCode, code: &str, sv: &str, en: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {
            "code": code, "message_sv": sv, "message_en": en,
        }})),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::{run, serve, serve_openssl_tsa, temp_dir, tool};
    use esign_shared::pdf::timestamp::{
        build_request, check_response, verify_token, HttpTimestampClient, TimestampSource,
    };

    /// A root CA for the TSA's certificate (so `-CAfile ROOT` covers it).
    struct TestPki {
        root: CertificateAuthority,
    }

    impl TestPki {
        fn new() -> Self {
            let root =
                CertificateAuthority::create_root("Test Rot-CA", "Örebro kommun", Utc::now())
                    .expect("root");
            Self { root }
        }

        fn write_root_pem(&self, dir: &Path) -> std::path::PathBuf {
            let path = dir.join("root.pem");
            std::fs::write(&path, crate::pki::pem_encode_cert(&self.root.cert_der)).unwrap();
            path
        }
    }

    fn test_tsa(pki: &TestPki) -> LocalTsa {
        LocalTsa::for_tests(&pki.root, Utc::now())
    }

    fn digest(data: &[u8]) -> [u8; 32] {
        Sha256::digest(data).into()
    }

    /// openssl's own verifier accepts a token: `openssl ts -verify -digest`.
    fn openssl_verifies(
        token: &[u8],
        digest: &[u8; 32],
        root_pem: &Path,
        tsa_pem: &Path,
    ) -> (bool, String) {
        let dir = root_pem.parent().unwrap();
        let tok = dir.join(format!("tok-{}.der", hex::encode(&digest[..4])));
        std::fs::write(&tok, token).unwrap();
        let out = run(
            &tool("ESIGN_OPENSSL", "openssl"),
            &[
                "ts",
                "-verify",
                "-digest",
                &hex::encode(digest),
                "-in",
                tok.to_str().unwrap(),
                "-token_in",
                "-CAfile",
                root_pem.to_str().unwrap(),
                "-untrusted",
                tsa_pem.to_str().unwrap(),
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (
            out.status.success() && text.contains("Verification: OK"),
            text,
        )
    }

    use std::path::Path;

    #[tokio::test]
    async fn client_accepts_openssl_ts_reply() {
        let dir = temp_dir("tsa-openssl");
        let pki = TestPki::new();
        let (url, tsa_pem) = serve_openssl_tsa(&pki.root, &dir).await;
        let client = HttpTimestampClient::new(format!("{url}/tsa")).unwrap();
        let d = digest(b"signaturvarde");
        let token = client.timestamp(d).await.expect("openssl TSA token");
        let info = verify_token(&token, &d).unwrap();
        assert_eq!(info.policy.to_string(), "1.2.3.4.1");
        assert!(info
            .tsa_certificate
            .tbs_certificate
            .subject
            .to_string()
            .contains("OpenSSL-TSA"));
        assert!(info.warnings.is_empty(), "{:?}", info.warnings);
        let (ok, text) = openssl_verifies(&token, &d, &pki.write_root_pem(&dir), &tsa_pem);
        assert!(ok, "openssl ts -verify: {text}");
        // Another digest is refused by our checks.
        assert_eq!(
            verify_token(&token, &digest(b"annat")).unwrap_err().code(),
            "timestamp.imprint_mismatch"
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn local_tsa_over_http_is_accepted_by_our_client_and_openssl() {
        let dir = temp_dir("tsa-local");
        let pki = TestPki::new();
        let tsa = Arc::new(test_tsa(&pki));
        let url = serve(router(tsa.clone())).await;
        let client = HttpTimestampClient::new(format!("{url}/tsa")).unwrap();
        let d = digest(b"sigill");
        let before = Utc::now() - chrono::Duration::seconds(2);
        let token = client.timestamp(d).await.expect("local TSA token");
        let info = verify_token(&token, &d).unwrap();
        assert_eq!(info.policy, LOCAL_TSA_POLICY);
        assert!(info.gen_time >= before && info.gen_time <= Utc::now());
        assert!(info.warnings.is_empty());
        let root = pki.write_root_pem(&dir);
        let tsa_pem = dir.join("local-tsa.pem");
        std::fs::write(
            &tsa_pem,
            crate::pki::pem_encode_cert(&tsa.certificate_chain_der()[0]),
        )
        .unwrap();
        let (ok, text) = openssl_verifies(&token, &d, &root, &tsa_pem);
        assert!(ok, "openssl ts -verify: {text}");
        // openssl refuses it for another digest (the check can fail).
        let (ok, _) = openssl_verifies(&token, &digest(b"annat"), &root, &tsa_pem);
        assert!(!ok);
        // openssl prints the reply as a real RFC 3161 response with our fields.
        let nonce = [0x01, 0x02, 0x03];
        let reply = tsa.respond(&build_request(&d, &nonce).unwrap(), Utc::now());
        let reply_path = dir.join("reply.tsr");
        std::fs::write(&reply_path, &reply).unwrap();
        let out = run(
            &tool("ESIGN_OPENSSL", "openssl"),
            &["ts", "-reply", "-in", reply_path.to_str().unwrap(), "-text"],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        assert!(text.contains("Status: Granted."), "{text}");
        assert!(
            text.contains("Policy OID: 1.3.6.1.4.1.32473.3161.1"),
            "{text}"
        );
        assert!(text.contains("Nonce: 0x010203"), "{text}");
        assert!(text.contains("Accuracy: 0x01 seconds"), "{text}");
        assert!(text.contains("Test-TSA"), "{text}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn local_tsa_http_errors() {
        let pki = TestPki::new();
        let url = serve(router(Arc::new(test_tsa(&pki)))).await;
        let http = reqwest::Client::new();
        let request = build_request(&[1; 32], &[5]).unwrap();
        let wrong_type = http
            .post(format!("{url}/tsa"))
            .header("content-type", "application/octet-stream")
            .body(request.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(wrong_type.status(), 415);
        let body: serde_json::Value = wrong_type.json().await.unwrap();
        assert_eq!(body["error"]["code"], "tsa.unsupported_media_type");
        let malformed = http
            .post(format!("{url}/tsa"))
            .header("content-type", "application/timestamp-query")
            .body(b"inte en begaran".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(malformed.status(), 400);
        let body: serde_json::Value = malformed.json().await.unwrap();
        assert_eq!(body["error"]["code"], "tsa.malformed_request");
        assert!(body["error"]["message_sv"]
            .as_str()
            .unwrap()
            .contains("felaktig"));
        let ok = http
            .post(format!("{url}/tsa"))
            .header("content-type", "application/timestamp-query")
            .body(request)
            .send()
            .await
            .unwrap();
        assert_eq!(ok.status(), 200);
        assert_eq!(
            ok.headers()["content-type"].to_str().unwrap(),
            "application/timestamp-reply"
        );
        let reply = ok.bytes().await.unwrap();
        check_response(&reply, &[1; 32], &[5]).unwrap();
    }

    /// A TSA that answers for a request we did not send, built from the one we did.
    async fn serve_rewriting_tsa(
        tsa: Arc<LocalTsa>,
        rewrite: fn(&mut TimeStampReq),
    ) -> HttpTimestampClient {
        let handler = move |body: Bytes| {
            let tsa = tsa.clone();
            async move {
                let mut request = TimeStampReq::from_der(&body).unwrap();
                rewrite(&mut request);
                let reply = tsa.respond(&request.to_der().unwrap(), Utc::now());
                (
                    [(header::CONTENT_TYPE, "application/timestamp-reply")],
                    reply,
                )
                    .into_response()
            }
        };
        let url = serve(Router::new().route("/tsa", post(handler))).await;
        HttpTimestampClient::new(format!("{url}/tsa")).unwrap()
    }

    #[tokio::test]
    async fn nonce_mismatch_wrong_imprint_and_bad_status_are_refused() {
        let pki = TestPki::new();
        let tsa = Arc::new(test_tsa(&pki));
        let d = digest(b"x");

        let honest = serve_rewriting_tsa(tsa.clone(), |_| {}).await;
        honest
            .timestamp(d)
            .await
            .expect("control: unchanged request is accepted");

        let other_nonce = serve_rewriting_tsa(tsa.clone(), |r| {
            r.nonce = Some(Int::new(&[0x42, 0x42]).unwrap());
        })
        .await;
        let err = other_nonce.timestamp(d).await.unwrap_err();
        assert_eq!(err.code(), "timestamp.nonce_mismatch", "{err}");

        let no_nonce = serve_rewriting_tsa(tsa.clone(), |r| r.nonce = None).await;
        let err = no_nonce.timestamp(d).await.unwrap_err();
        assert_eq!(err.code(), "timestamp.nonce_mismatch", "{err}");

        let other_imprint = serve_rewriting_tsa(tsa.clone(), |r| {
            r.message_imprint.hashed_message = OctetString::new(vec![9u8; 32]).unwrap();
        })
        .await;
        let err = other_imprint.timestamp(d).await.unwrap_err();
        assert_eq!(err.code(), "timestamp.imprint_mismatch", "{err}");

        let rejected = serve_rewriting_tsa(tsa.clone(), |r| {
            r.req_policy = Some(ObjectIdentifier::new_unwrap("1.2.3.4.5"));
        })
        .await;
        let err = rejected.timestamp(d).await.unwrap_err();
        assert_eq!(err.code(), "timestamp.rejected", "{err}");
        assert!(err.to_string().contains("status 2"), "{err}");
        assert!(err.message_sv().contains("avslog"));

        let no_cert = serve_rewriting_tsa(tsa.clone(), |r| r.cert_req = false).await;
        let err = no_cert.timestamp(d).await.unwrap_err();
        assert_eq!(err.code(), "timestamp.bad_signature", "{err}");
    }

    #[tokio::test]
    async fn wrong_content_type_and_http_errors_are_refused() {
        let html = serve(Router::new().route(
            "/tsa",
            post(|| async { ([(header::CONTENT_TYPE, "text/html")], "<p>hej</p>") }),
        ))
        .await;
        let err = HttpTimestampClient::new(format!("{html}/tsa"))
            .unwrap()
            .timestamp([0; 32])
            .await
            .unwrap_err();
        assert_eq!(err.code(), "timestamp.wrong_content_type", "{err}");
        let broken =
            serve(Router::new().route("/tsa", post(|| async { StatusCode::SERVICE_UNAVAILABLE })))
                .await;
        let err = HttpTimestampClient::new(format!("{broken}/tsa"))
            .unwrap()
            .timestamp([0; 32])
            .await
            .unwrap_err();
        assert_eq!(err.code(), "timestamp.http_status", "{err}");
        let err = HttpTimestampClient::new("http://127.0.0.1:9/tsa")
            .unwrap()
            .timestamp([0; 32])
            .await
            .unwrap_err();
        assert_eq!(err.code(), "timestamp.unreachable", "{err}");
    }

    #[test]
    fn rejections_are_rfc3161_responses_openssl_reads() {
        let dir = temp_dir("tsa-rejection");
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let cases: [(Vec<u8>, &str); 3] = [
            (
                b"garbage".to_vec(),
                "the data submitted has the wrong format",
            ),
            (
                {
                    let mut r =
                        TimeStampReq::from_der(&build_request(&[1; 32], &[1]).unwrap()).unwrap();
                    r.req_policy = Some(ObjectIdentifier::new_unwrap("1.2.3.4.5"));
                    r.to_der().unwrap()
                },
                "the requested TSA policy is not supported by the TSA",
            ),
            (
                {
                    let mut r =
                        TimeStampReq::from_der(&build_request(&[1; 32], &[1]).unwrap()).unwrap();
                    r.message_imprint.hash_algorithm.oid = esign_shared::pdf::timestamp::ID_SHA1;
                    r.message_imprint.hashed_message = OctetString::new(vec![0u8; 20]).unwrap();
                    r.to_der().unwrap()
                },
                "unrecognized or unsupported algorithm identifier",
            ),
        ];
        for (request, failure) in cases {
            let reply = tsa.respond(&request, Utc::now());
            let err = check_response(&reply, &[1; 32], &[1]).unwrap_err();
            assert_eq!(err.code(), "timestamp.rejected", "{err}");
            let path = dir.join("reject.tsr");
            std::fs::write(&path, &reply).unwrap();
            let out = run(
                &tool("ESIGN_OPENSSL", "openssl"),
                &["ts", "-reply", "-in", path.to_str().unwrap(), "-text"],
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{text}");
            assert!(text.contains("Status: Rejected."), "{text}");
            assert!(text.contains(failure), "{failure}: {text}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn tampered_token_signature_is_refused() {
        let pki = TestPki::new();
        let tsa = test_tsa(&pki);
        let d = digest(b"y");
        let nonce = [7u8];
        let reply = tsa.respond(&build_request(&d, &nonce).unwrap(), Utc::now());
        let (token, info) = check_response(&reply, &d, &nonce).unwrap();
        // Change one digit of genTime inside the TSTInfo: the message-digest no longer holds.
        let at = info.gen_time_text.as_bytes();
        let pos = token.windows(at.len()).position(|w| w == at).unwrap();
        let mut tampered = token.clone();
        tampered[pos + 13] = if tampered[pos + 13] == b'0' {
            b'1'
        } else {
            b'0'
        };
        let err = verify_token(&tampered, &d).unwrap_err();
        assert_eq!(err.code(), "timestamp.bad_signature", "{err}");
        // A flipped bit in the signature value itself.
        let mut tampered = token.clone();
        let last = tampered.len() - 3;
        tampered[last] ^= 0x01;
        let err = verify_token(&tampered, &d).unwrap_err();
        assert_eq!(err.code(), "timestamp.bad_signature", "{err}");
        // A TSA key that does not match its certificate is refused at setup.
        let other = test_tsa(&TestPki::new());
        let err = LocalTsa::new(&other.key_pkcs8_der(), &tsa.certificate_chain_der()).unwrap_err();
        assert_eq!(err.code(), "tsa.setup_failed");
    }
}
