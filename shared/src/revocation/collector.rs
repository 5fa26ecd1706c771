//! Collecting revocation data for a certificate chain (PAdES B-LT: the DSS needs an OCSP
//! response or a CRL for every certificate below the root), and checking what was fetched.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{AuthorityInfoAccessSyntax, CrlDistributionPoints};
use x509_cert::Certificate;
use x509_ocsp::builder::OcspRequestBuilder;
use x509_ocsp::ext::Nonce;
use x509_ocsp::Request;

use super::crl::check_crl;
use super::{cert_id, common_name, serial_hex, CertIdHash, RevocationError};
use super::{revoked, unavailable, Verdict};
use crate::ports::{Clock, SystemClock};
use crate::x509::{
    is_issued_by, validate_supplied_chain, CheckedOcsp, NonceCheck, OcspError, OcspQuery, Purpose,
};

/// A chain longer than this is refused (and fetched issuers cannot loop).
const MAX_CHAIN: usize = 8;
const MAX_OCSP_BYTES: usize = 256 * 1024;
const MAX_CRL_BYTES: usize = 32 * 1024 * 1024;
const MAX_CERT_BYTES: usize = 64 * 1024;

/// Revocation data for a DSS: DER OCSPResponses, DER CRLs, and certificates the validator
/// needs besides the chain (fetched issuers, delegated OCSP responders).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevocationData {
    pub ocsp_responses: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub extra_certs: Vec<Vec<u8>>,
}

impl RevocationData {
    pub fn is_empty(&self) -> bool {
        self.ocsp_responses.is_empty() && self.crls.is_empty() && self.extra_certs.is_empty()
    }

    /// Adds what `other` has and `self` lacks (the seal and TSA chains share their root CA).
    pub fn extend(&mut self, other: RevocationData) {
        fn add(into: &mut Vec<Vec<u8>>, from: Vec<Vec<u8>>) {
            for item in from {
                if !into.contains(&item) {
                    into.push(item);
                }
            }
        }
        add(&mut self.ocsp_responses, other.ocsp_responses);
        add(&mut self.crls, other.crls);
        add(&mut self.extra_certs, other.extra_certs);
    }
}

/// Where the seal gets revocation data for a chain.
#[async_trait::async_trait]
pub trait RevocationSource: Send + Sync {
    /// Revocation data for every certificate of `chain_der` (DER, end-entity first, then its
    /// CAs; the root may be left out) that is not self-signed. Fails with
    /// [`RevocationError::Revoked`] if any of them is revoked.
    async fn collect(&self, chain_der: &[Vec<u8>]) -> Result<RevocationData, RevocationError>;
}

/// Fixed data (tests; callers that obtained revocation data elsewhere).
#[derive(Debug, Clone, Default)]
pub struct StaticRevocationSource(pub RevocationData);

#[async_trait::async_trait]
impl RevocationSource for StaticRevocationSource {
    async fn collect(&self, _chain_der: &[Vec<u8>]) -> Result<RevocationData, RevocationError> {
        Ok(self.0.clone())
    }
}

/// Whether CRLs are fetched when OCSP answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CrlPolicy {
    /// Only when no OCSP response could be had (smaller DSS).
    #[default]
    Fallback,
    /// Always, beside the OCSP response.
    Always,
}

/// Fetches over HTTP from the URLs in each certificate: the AIA OCSP responder (POST,
/// RFC 6960), falling back to (or adding, see [`CrlPolicy`]) the CRL of the CRL Distribution
/// Points; an issuer missing from the chain is fetched from the AIA caIssuers URL. Every
/// answer is verified before it is kept.
#[derive(Clone)]
pub struct HttpRevocationSource {
    client: reqwest::Client,
    clock: Arc<dyn Clock>,
    crl_policy: CrlPolicy,
}

impl std::fmt::Debug for HttpRevocationSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRevocationSource")
            .field("crl_policy", &self.crl_policy)
            .finish_non_exhaustive()
    }
}

impl HttpRevocationSource {
    /// A client with bounded time: 5 s to connect, 20 s for a whole request.
    pub fn new() -> Result<Self, RevocationError> {
        let client = reqwest::Client::builder()
            .connect_timeout(StdDuration::from_secs(5))
            .timeout(StdDuration::from_secs(20))
            .build()
            .map_err(|e| RevocationError::Registry(format!("HTTP client: {e}")))?;
        Ok(Self::with_client(client))
    }

    /// With the caller's client (set its timeouts: the collector adds none of its own).
    pub fn with_client(client: reqwest::Client) -> Self {
        Self {
            client,
            clock: Arc::new(SystemClock),
            crl_policy: CrlPolicy::default(),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    pub fn with_crl_policy(mut self, policy: CrlPolicy) -> Self {
        self.crl_policy = policy;
        self
    }

    async fn get_limited(
        &self,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<Vec<u8>, String> {
        let mut response = request.send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(format!("answer larger than {limit} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > limit {
                return Err(format!("answer larger than {limit} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn fetch_issuer(&self, cert: &Certificate) -> Option<(Certificate, Vec<u8>)> {
        for url in access_urls(cert, const_oid::db::rfc5280::ID_AD_CA_ISSUERS) {
            let Ok(body) = self
                .get_limited(self.client.get(&url), MAX_CERT_BYTES)
                .await
            else {
                continue;
            };
            let der = match Certificate::from_der(&body) {
                Ok(_) => body,
                Err(_) => match crate::x509::pem_decode_certs(&String::from_utf8_lossy(&body)) {
                    Ok(mut certs) => certs.swap_remove(0),
                    Err(_) => continue,
                },
            };
            if let Ok(issuer) = Certificate::from_der(&der) {
                if is_issued_by(cert, &issuer) {
                    return Some((issuer, der));
                }
            }
        }
        None
    }

    async fn ocsp(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Result<(Vec<u8>, CheckedOcsp), Verdict> {
        let mut nonce = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let request = cert_id(
            issuer,
            &cert.tbs_certificate.serial_number,
            CertIdHash::Sha1,
        )
        .map_err(|e| e.to_string())
        .and_then(|id| {
            OcspRequestBuilder::default()
                .with_request(Request::new(id))
                .with_extension(Nonce::new(nonce).map_err(|e| e.to_string())?)
                .map_err(|e| format!("{e:?}"))
        })
        .and_then(|b| b.build().to_der().map_err(|e| e.to_string()))
        .map_err(Verdict::Failed)?;
        let body = self
            .get_limited(
                self.client
                    .post(url)
                    .header(reqwest::header::CONTENT_TYPE, "application/ocsp-request")
                    .header(reqwest::header::ACCEPT, "application/ocsp-response")
                    .body(request),
                MAX_OCSP_BYTES,
            )
            .await
            .map_err(Verdict::Failed)?;
        let query = OcspQuery {
            cert,
            issuer,
            at: Some(self.clock.now()),
            nonce: NonceCheck::EchoedIfPresent(&nonce),
        };
        let checked = crate::x509::verify_ocsp_response(&body, &query).map_err(verdict)?;
        Ok((body, checked))
    }

    async fn crl(
        &self,
        url: &str,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Result<Vec<u8>, Verdict> {
        let body = self
            .get_limited(self.client.get(url), MAX_CRL_BYTES)
            .await
            .map_err(Verdict::Failed)?;
        let der = check_crl(&body, cert, issuer, self.clock.now())?;
        Ok(der)
    }

    async fn collect_one(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        data: &mut RevocationData,
    ) -> Result<(), RevocationError> {
        let ocsp_urls = access_urls(cert, const_oid::db::rfc5280::ID_AD_OCSP);
        let crl_urls = crl_urls(cert);
        if ocsp_urls.is_empty() && crl_urls.is_empty() {
            return Err(RevocationError::NoRevocationSource {
                serial: serial_hex(&cert.tbs_certificate.serial_number),
                subject: common_name(cert),
            });
        }
        let mut failures = Vec::new();
        let mut have_ocsp = false;
        for url in &ocsp_urls {
            match self.ocsp(url, cert, issuer).await {
                Ok((der, checked)) => {
                    data.ocsp_responses.push(der);
                    if let Some(responder) = checked.delegated_responder_der {
                        if !data.extra_certs.contains(&responder) {
                            data.extra_certs.push(responder);
                        }
                    }
                    have_ocsp = true;
                    break;
                }
                Err(Verdict::Revoked(at)) => return Err(revoked(cert, at)),
                Err(Verdict::Failed(why)) => failures.push(format!("OCSP {url}: {why}")),
            }
        }
        let mut have_crl = false;
        if !have_ocsp || self.crl_policy == CrlPolicy::Always {
            for url in &crl_urls {
                match self.crl(url, cert, issuer).await {
                    Ok(der) => {
                        if !data.crls.contains(&der) {
                            data.crls.push(der);
                        }
                        have_crl = true;
                        break;
                    }
                    Err(Verdict::Revoked(at)) => return Err(revoked(cert, at)),
                    Err(Verdict::Failed(why)) => failures.push(format!("CRL {url}: {why}")),
                }
            }
        }
        if !have_ocsp && !have_crl {
            return Err(RevocationError::Unavailable {
                serial: serial_hex(&cert.tbs_certificate.serial_number),
                subject: common_name(cert),
                detail: failures.join("; "),
            });
        }
        if !failures.is_empty() {
            tracing::warn!(
                serial = %serial_hex(&cert.tbs_certificate.serial_number),
                failures = %failures.join("; "),
                "some revocation sources failed"
            );
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl RevocationSource for HttpRevocationSource {
    async fn collect(&self, chain_der: &[Vec<u8>]) -> Result<RevocationData, RevocationError> {
        let mut pool = parse_chain(chain_der)?;
        let mut pool_der = chain_der.to_vec();
        let mut data = RevocationData::default();
        // Each certificate below a root with its issuer (from the chain, or fetched).
        let mut links = Vec::new();
        let mut index = 0;
        while index < pool.len() {
            if pool.len() > MAX_CHAIN {
                return Err(RevocationError::InvalidCertificate(format!(
                    "chain longer than {MAX_CHAIN} certificates"
                )));
            }
            let cert = pool[index].clone();
            index += 1;
            if is_self_signed(&cert) {
                continue;
            }
            let issuer = match pool.iter().find(|c| is_issued_by(&cert, c)) {
                Some(issuer) => issuer.clone(),
                None => {
                    let (issuer, der) = self.fetch_issuer(&cert).await.ok_or_else(|| {
                        RevocationError::IssuerNotFound {
                            serial: serial_hex(&cert.tbs_certificate.serial_number),
                            subject: common_name(&cert),
                        }
                    })?;
                    data.extra_certs.push(der.clone());
                    pool.push(issuer.clone());
                    pool_der.push(der);
                    issuer
                }
            };
            links.push((cert, issuer));
        }
        check_chain(&pool_der, self.clock.now())?;
        for (cert, issuer) in &links {
            self.collect_one(cert, issuer, &mut data).await?;
        }
        Ok(data)
    }
}

/// Revocation data is collected only for a valid chain (the x509 module's path validation, the
/// chain's last certificate as anchor, as of `at`): a leaf posing as a CA, an expired
/// intermediate or a CA that may not sign certificates must not get as far as a DSS.
fn check_chain(chain_der: &[Vec<u8>], at: DateTime<Utc>) -> Result<(), RevocationError> {
    validate_supplied_chain(chain_der, at, Purpose::Any)
        .map(|_| ())
        .map_err(RevocationError::InvalidChain)
}

/// A responder in the same process (the local world's, in local mode and tests): what the
/// in-process source asks of it.
pub trait LocalResponder: Send + Sync {
    /// The CA certificate (of those the responder answers for) that issued `cert`.
    fn issuer_of(&self, cert: &Certificate) -> Option<Certificate>;
    /// The DER OCSP response to a DER OCSP request.
    fn ocsp_response(&self, request_der: &[u8]) -> Result<Vec<u8>, RevocationError>;
    /// The current CRL (DER) of the CA `issuer`.
    fn crl_of(&self, issuer: &Certificate) -> Result<Vec<u8>, RevocationError>;
    /// The responder's time, which its answers are checked at.
    fn now(&self) -> DateTime<Utc>;
}

impl<R: LocalResponder + ?Sized> LocalResponder for Arc<R> {
    fn issuer_of(&self, cert: &Certificate) -> Option<Certificate> {
        (**self).issuer_of(cert)
    }
    fn ocsp_response(&self, request_der: &[u8]) -> Result<Vec<u8>, RevocationError> {
        (**self).ocsp_response(request_der)
    }
    fn crl_of(&self, issuer: &Certificate) -> Result<Vec<u8>, RevocationError> {
        (**self).crl_of(issuer)
    }
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// In-process: answers from a responder without HTTP (local mode's commands that run without
/// the server; tests). Every certificate below the root must be issued by one of its CAs.
#[derive(Debug, Clone)]
pub struct InProcessRevocation<R>(pub R);

#[async_trait::async_trait]
impl<R: LocalResponder> RevocationSource for InProcessRevocation<R> {
    async fn collect(&self, chain_der: &[Vec<u8>]) -> Result<RevocationData, RevocationError> {
        let responder = &self.0;
        let pool = parse_chain(chain_der)?;
        let mut full_chain = chain_der.to_vec();
        let mut links = Vec::new();
        for cert in pool.iter().filter(|c| !is_self_signed(c)) {
            let issuer =
                responder
                    .issuer_of(cert)
                    .ok_or_else(|| RevocationError::IssuerNotFound {
                        serial: serial_hex(&cert.tbs_certificate.serial_number),
                        subject: common_name(cert),
                    })?;
            if !pool.contains(&issuer) {
                let der = issuer
                    .to_der()
                    .map_err(|e| RevocationError::InvalidCertificate(e.to_string()))?;
                if !full_chain.contains(&der) {
                    full_chain.push(der);
                }
            }
            links.push((cert, issuer));
        }
        check_chain(&full_chain, responder.now())?;
        let mut data = RevocationData::default();
        // Each issuer's CRL once: a CRL is signed anew every time it is asked for.
        let mut crl_issuers: Vec<Certificate> = Vec::new();
        for (cert, issuer) in links {
            let request = cert_id(
                &issuer,
                &cert.tbs_certificate.serial_number,
                CertIdHash::Sha1,
            )
            .and_then(|id| {
                OcspRequestBuilder::default()
                    .with_request(Request::new(id))
                    .build()
                    .to_der()
            })
            .map_err(|e| RevocationError::Signing(e.to_string()))?;
            let response = responder.ocsp_response(&request)?;
            // The CRL as well: validators that take no OCSP answer signed by a trust anchor
            // itself (pyHanko's AdES validation) accept the root's CRL for what it issued.
            if !crl_issuers.contains(&issuer) {
                data.crls.push(responder.crl_of(&issuer)?);
                crl_issuers.push(issuer.clone());
            }
            let query = OcspQuery {
                cert,
                issuer: &issuer,
                at: Some(responder.now()),
                nonce: NonceCheck::NotAsked,
            };
            match crate::x509::verify_ocsp_response(&response, &query).map_err(verdict) {
                Ok(_) => data.ocsp_responses.push(response),
                Err(Verdict::Revoked(at)) => return Err(revoked(cert, at)),
                Err(Verdict::Failed(detail)) => {
                    return Err(RevocationError::Unavailable {
                        serial: serial_hex(&cert.tbs_certificate.serial_number),
                        subject: common_name(cert),
                        detail,
                    })
                }
            }
        }
        Ok(data)
    }
}

fn parse_chain(chain_der: &[Vec<u8>]) -> Result<Vec<Certificate>, RevocationError> {
    if chain_der.is_empty() || chain_der.len() > MAX_CHAIN {
        return Err(RevocationError::InvalidCertificate(format!(
            "a chain of {} certificates (1..={MAX_CHAIN} expected)",
            chain_der.len()
        )));
    }
    chain_der
        .iter()
        .map(|d| Certificate::from_der(d))
        .collect::<Result<_, _>>()
        .map_err(|e| RevocationError::InvalidCertificate(e.to_string()))
}

fn is_self_signed(cert: &Certificate) -> bool {
    cert.tbs_certificate.issuer == cert.tbs_certificate.subject
}

/// http(s) URLs of an AIA access method.
fn access_urls(cert: &Certificate, method: der::asn1::ObjectIdentifier) -> Vec<String> {
    let Ok(Some((_, aia))) = cert.tbs_certificate.get::<AuthorityInfoAccessSyntax>() else {
        return Vec::new();
    };
    aia.0
        .iter()
        .filter(|d| d.access_method == method)
        .filter_map(|d| http_uri(&d.access_location))
        .collect()
}

/// http(s) URLs of the CRL Distribution Points (full names; LDAP and relative names skipped).
fn crl_urls(cert: &Certificate) -> Vec<String> {
    let Ok(Some((_, points))) = cert.tbs_certificate.get::<CrlDistributionPoints>() else {
        return Vec::new();
    };
    points
        .0
        .iter()
        .filter_map(|p: &DistributionPoint| match &p.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(http_uri)
        .collect()
}

fn http_uri(name: &GeneralName) -> Option<String> {
    match name {
        GeneralName::UniformResourceIdentifier(uri) => {
            let uri = uri.as_str();
            (uri.starts_with("http://") || uri.starts_with("https://")).then(|| uri.to_string())
        }
        _ => None,
    }
}

/// The verdict a failed OCSP check gives: revoked is final, anything else lets another
/// source try.
fn verdict(e: OcspError) -> Verdict {
    match e {
        OcspError::Revoked(at) => Verdict::Revoked(at),
        other => Verdict::Failed(other.to_string()),
    }
}

/// Verifies a DER OCSPResponse for `cert` issued by `issuer` as of `now` with the x509 module's
/// verifier (the nonce echoed when the response has one); `revoked` is
/// [`RevocationError::Revoked`], anything else `Unavailable`.
pub fn verify_ocsp_response(
    response_der: &[u8],
    cert: &Certificate,
    issuer: &Certificate,
    expected_nonce: Option<&[u8]>,
    now: DateTime<Utc>,
) -> Result<CheckedOcsp, RevocationError> {
    let query = OcspQuery {
        cert,
        issuer,
        at: Some(now),
        nonce: expected_nonce.map_or(NonceCheck::NotAsked, NonceCheck::EchoedIfPresent),
    };
    crate::x509::verify_ocsp_response(response_der, &query).map_err(|e| match verdict(e) {
        Verdict::Revoked(at) => revoked(cert, at),
        Verdict::Failed(detail) => unavailable(cert, detail),
    })
}
