//! The OCSP responder and CRL issuer of the local PKI: [`RevocationService`] holds the CAs
//! (by the name their certificates' URLs use) and the list of revoked serials.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use der::{Decode, Encode};
use p256::ecdsa::DerSignature;
use x509_cert::Certificate;
use x509_ocsp::builder::OcspResponseBuilder;
use x509_ocsp::{CertStatus, OcspRequest, OcspResponse, ResponderId, RevokedInfo, SingleResponse};

use super::{
    cert_id_issued_by, issue_crl, ocsp_time, serial_hex, RevocationError, RevocationReason,
    RevocationRegistry,
};
use crate::pki::{CertificateAuthority, SubjectName};
use esign_shared::ports::{Clock, SystemClock};
use p256::ecdsa::SigningKey;
use p256::pkcs8::DecodePrivateKey;

/// At most this many certificates in one OCSP request (ours ask for one).
const MAX_REQUESTS: usize = 32;

struct Authority {
    name: String,
    /// The CA's delegated OCSP responder: key and certificate (id-kp-OCSPSigning, nocheck),
    /// issued anew when the service's clock passes its end, as a real CA renews its own.
    responder: std::sync::Mutex<(SigningKey, Certificate)>,
    ca: CertificateAuthority,
    cert: Certificate,
}

/// The system's time until a test moves it: a responder answering "as of" a later day, as a
/// validator in the future would find it.
#[derive(Debug, Default)]
pub struct MovableClock(std::sync::Mutex<Option<DateTime<Utc>>>);

impl MovableClock {
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }
}

impl Clock for MovableClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(Utc::now)
    }
}

/// CAs whose certificates we answer for, with the list of revoked serials. Each CA answers
/// OCSP through a delegated responder (RFC 6960 4.2.2.2) with id-pkix-ocsp-nocheck, as real CAs
/// do: a validator needs no status for it, also when it validates at a past time.
pub struct RevocationService {
    authorities: Vec<Authority>,
    registry: Arc<dyn RevocationRegistry>,
    clock: Arc<dyn Clock>,
    validity: Duration,
    /// Answers signed by the CA itself instead of its delegated responder.
    issuer_signed: bool,
}

impl std::fmt::Debug for RevocationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationService")
            .field(
                "authorities",
                &self.authorities.iter().map(|a| &a.name).collect::<Vec<_>>(),
            )
            .field("validity", &self.validity)
            .finish_non_exhaustive()
    }
}

impl RevocationService {
    /// No CAs yet; answers are valid for 7 days (nextUpdate).
    pub fn new(registry: Arc<dyn RevocationRegistry>) -> Self {
        Self {
            authorities: Vec::new(),
            registry,
            clock: Arc::new(SystemClock),
            validity: Duration::days(7),
            issuer_signed: false,
        }
    }

    /// Answer for certificates issued by `ca`; its CRL is served as `/crl/{name}.crl` and its
    /// certificate as `/ca/{name}.cer` (see [`crate::pki::RevocationUrls::under`]).
    pub fn with_authority(
        mut self,
        name: &str,
        ca: CertificateAuthority,
    ) -> Result<Self, RevocationError> {
        let cert = ca
            .certificate()
            .map_err(|e| RevocationError::InvalidCertificate(e.to_string()))?;
        let responder = std::sync::Mutex::new(delegated_responder(&ca, name, self.clock.now())?);
        self.authorities.retain(|a| a.name != name);
        self.authorities.push(Authority {
            name: name.to_string(),
            responder,
            ca,
            cert,
        });
        Ok(self)
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Answers signed by each CA itself (RFC 6960 4.2.2.2's first case), as some CAs do.
    pub fn with_issuer_signed_answers(mut self) -> Self {
        self.issuer_signed = true;
        self
    }

    /// For callers that see another copy of `esign-shared` (its own unit tests): the clock as
    /// a world type.
    pub fn with_movable_clock(self, clock: Arc<MovableClock>) -> Self {
        self.with_clock(clock)
    }

    /// nextUpdate − thisUpdate of CRLs and OCSP answers.
    pub fn with_validity(mut self, validity: Duration) -> Self {
        self.validity = validity;
        self
    }

    pub fn now(&self) -> DateTime<Utc> {
        // Whole seconds: CRLs and OCSP carry none, and thisUpdate must not lie ahead of now.
        let now = self.clock.now();
        DateTime::<Utc>::from_timestamp(now.timestamp(), 0).unwrap_or(now)
    }

    fn authority(&self, name: &str) -> Result<&Authority, RevocationError> {
        self.authorities
            .iter()
            .find(|a| a.name == name)
            .ok_or_else(|| RevocationError::UnknownAuthority(name.to_string()))
    }

    /// The certificate of our CA that issued `cert`, if any.
    pub fn issuer_of(&self, cert: &Certificate) -> Option<Certificate> {
        self.authorities
            .iter()
            .find(|a| esign_shared::x509::is_issued_by(cert, &a.cert))
            .map(|a| a.cert.clone())
    }

    /// The DER certificate of the CA registered as `name`.
    pub fn ca_certificate(&self, name: &str) -> Result<Vec<u8>, RevocationError> {
        Ok(self.authority(name)?.ca.cert_der.clone())
    }

    /// A fresh DER CRL of the CA registered as `name`.
    pub fn crl(&self, name: &str) -> Result<Vec<u8>, RevocationError> {
        let authority = self.authority(name)?;
        let now = self.now();
        issue_crl(
            &authority.ca,
            &self.registry.revoked()?,
            now,
            now + self.validity,
        )
    }

    /// A fresh DER CRL of the CA whose certificate is `issuer`.
    pub fn crl_of(&self, issuer: &Certificate) -> Result<Vec<u8>, RevocationError> {
        let name = self
            .authorities
            .iter()
            .find(|a| &a.cert == issuer)
            .map(|a| a.name.clone())
            .ok_or_else(|| RevocationError::UnknownAuthority("issuer".into()))?;
        self.crl(&name)
    }

    /// A DER OCSPResponse for a DER OCSPRequest. The CA of the first certificate asked about
    /// signs; other certificates in the request get `unknown`. A request about none of our
    /// CAs gets the `unauthorized` response status (RFC 6960 2.3).
    pub fn ocsp_response(&self, request_der: &[u8]) -> Result<Vec<u8>, RevocationError> {
        let request = OcspRequest::from_der(request_der)
            .map_err(|e| RevocationError::MalformedRequest(e.to_string()))?;
        let list = &request.tbs_request.request_list;
        if list.is_empty() || list.len() > MAX_REQUESTS {
            return Err(RevocationError::MalformedRequest(format!(
                "{} certificates asked about (1..={MAX_REQUESTS} allowed)",
                list.len()
            )));
        }
        let signer = list.iter().find_map(|r| {
            self.authorities
                .iter()
                .find(|a| cert_id_issued_by(&r.req_cert, &a.cert))
        });
        let Some(signer) = signer else {
            return OcspResponse::unauthorized()
                .to_der()
                .map_err(|e| RevocationError::Signing(e.to_string()));
        };
        let now = self.now();
        let this_update = ocsp_time(now).map_err(sign_err)?;
        let next_update = ocsp_time(now + self.validity).map_err(sign_err)?;
        let revoked = self.registry.revoked()?;
        let (mut key, responder) = if self.issuer_signed {
            (signer.ca.signing_key().clone(), signer.cert.clone())
        } else {
            signer.current_responder(now)?
        };
        let mut builder = OcspResponseBuilder::new(ResponderId::ByName(
            responder.tbs_certificate.subject.clone(),
        ));
        for r in list {
            let status = if !cert_id_issued_by(&r.req_cert, &signer.cert) {
                CertStatus::unknown()
            } else {
                let serial = serial_hex(&r.req_cert.serial_number);
                match revoked
                    .iter()
                    .find(|e| e.serial == serial && e.revoked_at <= now)
                {
                    Some(entry) => CertStatus::revoked(RevokedInfo {
                        revocation_time: ocsp_time(entry.revoked_at).map_err(sign_err)?,
                        revocation_reason: match entry.reason {
                            None | Some(RevocationReason::Unspecified) => None,
                            Some(reason) => Some(reason.crl_reason()),
                        },
                    }),
                    None => CertStatus::good(),
                }
            };
            builder = builder.with_single_response(
                SingleResponse::new(r.req_cert.clone(), status, this_update)
                    .with_next_update(next_update),
            );
        }
        if let Some(nonce) = request.nonce() {
            builder = builder
                .with_extension(nonce)
                .map_err(|e| RevocationError::Signing(format!("{e:?}")))?;
        }
        // Signed by the CA's delegated responder (RFC 6960 4.2.2.2), as most real CAs answer:
        // its certificate goes with the answer and carries id-pkix-ocsp-nocheck, so a
        // validator needs no status for it, also when it validates at a past time.
        let response = builder
            .sign::<_, DerSignature>(&mut key, Some(vec![responder]), this_update)
            .map_err(|e| RevocationError::Signing(format!("{e:?}")))?;
        response.to_der().map_err(sign_err)
    }
}

impl Authority {
    /// The responder's key and certificate valid at `now` (a new pair once the old one ends).
    fn current_responder(
        &self,
        now: DateTime<Utc>,
    ) -> Result<(SigningKey, Certificate), RevocationError> {
        let mut held = self.responder.lock().unwrap_or_else(|p| p.into_inner());
        let valid = esign_shared::x509::valid_at(&held.1, now);
        if !valid {
            *held = delegated_responder(&self.ca, &self.name, now)?;
        }
        Ok(held.clone())
    }
}

/// A fresh key and a responder certificate for it, issued by `ca`.
fn delegated_responder(
    ca: &CertificateAuthority,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(SigningKey, Certificate), RevocationError> {
    let subject = SubjectName {
        common_name: format!("OCSP-svarare {name}"),
        organization: "e-underskrift (lokalt läge)".into(),
        organization_identifier: None,
        country: "SE".into(),
    };
    let failed = |e: crate::pki::PkiError| RevocationError::Signing(e.to_string());
    let issued = CertificateAuthority::issue_for_new_key(|spki| {
        ca.issue_ocsp_responder_cert(&subject, spki, now)
    })
    .map_err(failed)?;
    let key_der = issued
        .key_pkcs8_der
        .ok_or_else(|| RevocationError::Signing("responder key missing".into()))?;
    let key = SigningKey::from_pkcs8_der(&key_der)
        .map_err(|e| RevocationError::Signing(e.to_string()))?;
    let cert = Certificate::from_der(&issued.cert_der)
        .map_err(|e| RevocationError::Signing(e.to_string()))?;
    Ok((key, cert))
}

fn sign_err(e: der::Error) -> RevocationError {
    RevocationError::Signing(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{RevocationUrls, SubjectName};
    use crate::revocation::{
        cert_id, verify_ocsp_response, CertIdHash, MemoryRevocations, RevocationError,
    };
    use esign_shared::error::ErrorText;
    use x509_ocsp::builder::OcspRequestBuilder;
    use x509_ocsp::Request;

    fn subject() -> SubjectName {
        SubjectName {
            common_name: "Sigill".into(),
            organization: "Org".into(),
            organization_identifier: None,
            country: "SE".into(),
        }
    }

    fn request(issuer: &Certificate, leaf: &Certificate, hash: CertIdHash) -> Vec<u8> {
        OcspRequestBuilder::default()
            .with_request(Request::new(
                cert_id(issuer, &leaf.tbs_certificate.serial_number, hash).unwrap(),
            ))
            .build()
            .to_der()
            .unwrap()
    }

    #[test]
    fn answers_good_then_revoked_and_unauthorized_for_foreign_cas() {
        let now = Utc::now();
        let root = CertificateAuthority::create_root("Rot", "Org", now)
            .unwrap()
            .with_revocation_urls(RevocationUrls::under("http://127.0.0.1:1/pki", "root").unwrap());
        let leaf = root.issue_seal_cert_with_new_key(&subject(), now).unwrap();
        let leaf_cert = Certificate::from_der(&leaf.cert_der).unwrap();
        let root_cert = root.certificate().unwrap();
        let registry = Arc::new(MemoryRevocations::new());
        let service = RevocationService::new(registry.clone())
            .with_authority("root", root.clone())
            .unwrap();
        for hash in [CertIdHash::Sha1, CertIdHash::Sha256] {
            let resp = service
                .ocsp_response(&request(&root_cert, &leaf_cert, hash))
                .unwrap();
            verify_ocsp_response(&resp, &leaf_cert, &root_cert, None, Utc::now()).unwrap();
        }
        registry
            .revoke(
                &serial_hex(&leaf_cert.tbs_certificate.serial_number),
                now - Duration::seconds(5),
                Some(RevocationReason::KeyCompromise),
            )
            .unwrap();
        let resp = service
            .ocsp_response(&request(&root_cert, &leaf_cert, CertIdHash::Sha1))
            .unwrap();
        let err =
            verify_ocsp_response(&resp, &leaf_cert, &root_cert, None, Utc::now()).unwrap_err();
        assert!(matches!(err, RevocationError::Revoked { .. }), "{err}");

        let other = CertificateAuthority::create_root("Annan", "Org", now).unwrap();
        let foreign = other.issue_seal_cert_with_new_key(&subject(), now).unwrap();
        let foreign = Certificate::from_der(&foreign.cert_der).unwrap();
        let resp = service
            .ocsp_response(&request(
                &other.certificate().unwrap(),
                &foreign,
                CertIdHash::Sha1,
            ))
            .unwrap();
        let parsed = OcspResponse::from_der(&resp).unwrap();
        assert_eq!(
            parsed.response_status,
            x509_ocsp::OcspResponseStatus::Unauthorized
        );
    }

    #[test]
    fn hostile_requests_are_malformed_not_panics() {
        let now = Utc::now();
        let root = CertificateAuthority::create_root("Rot", "Org", now).unwrap();
        let service = RevocationService::new(Arc::new(MemoryRevocations::new()))
            .with_authority("root", root)
            .unwrap();
        let mut inputs: Vec<Vec<u8>> = vec![
            vec![],
            vec![0x30],
            vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
            vec![0x30, 0x80, 0x00, 0x00],
            b"GET / HTTP/1.1".to_vec(),
            // An empty request list.
            vec![0x30, 0x04, 0x30, 0x02, 0x30, 0x00],
        ];
        // Deep nesting.
        let mut deep = vec![0u8; 0];
        for _ in 0..2000 {
            let mut outer = vec![0x30, 0x82, (deep.len() >> 8) as u8, deep.len() as u8];
            outer.extend_from_slice(&deep);
            deep = outer;
            if deep.len() > 60_000 {
                break;
            }
        }
        inputs.push(deep);
        for input in inputs {
            let err = service.ocsp_response(&input).unwrap_err();
            assert_eq!(err.code(), "revocation.malformed_request");
        }
        assert_eq!(
            super::super::router::http_status(&service.crl("nope").unwrap_err()),
            404
        );
    }
}
