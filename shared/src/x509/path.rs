//! Certificate paths: from an end entity through intermediates to a trust anchor, valid at a
//! given time for a given [`Purpose`]. webpki builds the path and checks signatures, validity,
//! basicConstraints (cA and pathLenConstraint), name constraints, extended key usage and
//! unknown critical extensions; this file adds what webpki leaves out (see the module docs):
//! keyCertSign on every issuer, the trust anchor's own validity, CA-ness, keyCertSign and
//! pathLenConstraint, and the end entity's keyUsage and required extended key usage.

use std::cell::RefCell;
use std::time::Duration;

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::Decode;
use rustls_pki_types::{CertificateDer, TrustAnchor, UnixTime};
use webpki::{
    EndEntityCert, ExtendedKeyUsageValidator, KeyPurposeId, KeyPurposeIdIter, VerifiedPath,
};
use x509_cert::Certificate;

use super::facts::{
    basic_constraints, check_end_entity, check_issuer, is_ca, may_sign_certificates, subject_of,
    valid_at, Purpose,
};
use super::signature::{is_issued_by, CERTIFICATE_ALGORITHMS};
use super::X509Error;

/// A validated path, end entity first and trust anchor last (one certificate when the end
/// entity is itself the anchor).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPath {
    certificates_der: Vec<Vec<u8>>,
}

impl ValidPath {
    pub fn certificates_der(&self) -> &[Vec<u8>] {
        &self.certificates_der
    }

    /// RFC 4514 subjects, end entity first.
    pub fn subjects(&self) -> Vec<String> {
        self.certificates_der
            .iter()
            .filter_map(|d| Certificate::from_der(d).ok())
            .map(|c| subject_of(&c))
            .collect()
    }
}

fn parse(der: &[u8]) -> Result<Certificate, X509Error> {
    Certificate::from_der(der).map_err(|e| X509Error::Malformed(format!("certificate: {e}")))
}

/// anyExtendedKeyUsage (RFC 5280 4.2.1.12).
const ANY_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

/// webpki asks this of every certificate of the path: an extended key usage, when present,
/// names the purpose's (or anyExtendedKeyUsage). That the end entity has the extension at all is
/// [`check_end_entity`]'s business.
struct EkuAdmits(Option<ObjectIdentifier>);

impl ExtendedKeyUsageValidator for EkuAdmits {
    fn validate(&self, iter: KeyPurposeIdIter<'_, '_>) -> Result<(), webpki::Error> {
        let mut empty = true;
        let mut admitted = self.0.is_none();
        for id in iter {
            let id = id?;
            empty = false;
            if let Some(required) = self.0 {
                admitted |= id == KeyPurposeId::new(required.as_bytes())
                    || id == KeyPurposeId::new(ANY_EXTENDED_KEY_USAGE.as_bytes());
            }
        }
        if empty || admitted {
            Ok(())
        } else {
            #[allow(deprecated)]
            Err(webpki::Error::RequiredEkuNotFound)
        }
    }
}

/// webpki has no error of its own for what the path callback refuses; the callback answers
/// with this one (which webpki gives only for CRLs, never consulted here) and keeps the real
/// reason beside it.
const REFUSED_BY_CALLBACK: webpki::Error = webpki::Error::IssuerNotCrlSigner;

/// Validates a path from `leaf_der` to one of `anchors_der`, through any of `pool_der`, at
/// `at`, for `purpose`. A leaf that is itself an anchor is trusted as it is (when valid at
/// `at` and fit for `purpose`).
pub fn validate_path(
    leaf_der: &[u8],
    pool_der: &[Vec<u8>],
    anchors_der: &[Vec<u8>],
    at: DateTime<Utc>,
    purpose: Purpose,
) -> Result<ValidPath, X509Error> {
    let leaf = parse(leaf_der)?;
    let subject = subject_of(&leaf);
    if anchors_der.is_empty() {
        return Err(X509Error::NoTrustAnchor);
    }
    let leaf_input = CertificateDer::from(leaf_der);
    let end_entity =
        EndEntityCert::try_from(&leaf_input).map_err(|e| from_webpki(e, &subject, at, purpose))?;
    let is_anchor = anchors_der.iter().any(|a| a.as_slice() == leaf_der);
    if is_ca(&leaf) && !is_anchor {
        // webpki's own rule, said before the end entity's key usage is looked at.
        return Err(X509Error::CaAsEndEntity { subject });
    }
    check_end_entity(&leaf, purpose)?;
    if is_anchor {
        if !valid_at(&leaf, at) {
            return Err(X509Error::NotValidAt { subject, at });
        }
        return Ok(ValidPath {
            certificates_der: vec![leaf_der.to_vec()],
        });
    }

    let anchor_inputs: Vec<(CertificateDer<'_>, Certificate)> = anchors_der
        .iter()
        .filter_map(|d| {
            parse(d)
                .ok()
                .map(|c| (CertificateDer::from(d.as_slice()), c))
        })
        .collect();
    // The anchors webpki can read, and for each the certificate it came from.
    let mut anchors: Vec<TrustAnchor<'_>> = Vec::new();
    let mut sources: Vec<&(CertificateDer<'_>, Certificate)> = Vec::new();
    for input in &anchor_inputs {
        if let Ok(anchor) = webpki::anchor_from_trusted_cert(&input.0) {
            anchors.push(anchor);
            sources.push(input);
        }
    }
    if anchors.is_empty() {
        return Err(X509Error::Malformed("no trust anchor can be read".into()));
    }
    let source_of = |anchor: &TrustAnchor<'_>| {
        anchors
            .iter()
            .position(|a| std::ptr::eq(a, anchor))
            .map(|i| sources[i])
    };
    let intermediates: Vec<CertificateDer<'_>> = pool_der
        .iter()
        .filter(|d| d.as_slice() != leaf_der)
        .map(|d| CertificateDer::from(d.as_slice()))
        .collect();

    let refused: RefCell<Option<X509Error>> = RefCell::new(None);
    let check_path = |path: &VerifiedPath<'_>| -> Result<(), webpki::Error> {
        let anchor = source_of(path.anchor()).map(|(_, cert)| cert);
        what_webpki_leaves_out(path, anchor, at).map_err(|reason| {
            *refused.borrow_mut() = Some(reason);
            REFUSED_BY_CALLBACK
        })
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(
        u64::try_from(at.timestamp()).unwrap_or(0),
    ));
    let verified = end_entity.verify_for_usage(
        CERTIFICATE_ALGORITHMS,
        &anchors,
        &intermediates,
        time,
        EkuAdmits(purpose.required_eku()),
        None,
        Some(&check_path),
    );
    match verified {
        Ok(path) => {
            let mut certificates_der = vec![leaf_der.to_vec()];
            certificates_der.extend(
                path.intermediate_certificates()
                    .map(|c| c.der().as_ref().to_vec()),
            );
            certificates_der
                .extend(source_of(path.anchor()).map(|(input, _)| input.as_ref().to_vec()));
            Ok(ValidPath { certificates_der })
        }
        Err(e) if e == REFUSED_BY_CALLBACK && refused.borrow().is_some() => Err(refused
            .take()
            .unwrap_or(X509Error::UnknownIssuer { subject })),
        Err(e) => Err(from_webpki(e, &subject, at, purpose)),
    }
}

/// A path webpki found, checked for keyCertSign on each intermediate and for the anchor's own
/// fitness as an issuer at `at` (CA, keyCertSign, validity, pathLenConstraint).
fn what_webpki_leaves_out(
    path: &VerifiedPath<'_>,
    anchor: Option<&Certificate>,
    at: DateTime<Utc>,
) -> Result<(), X509Error> {
    let mut below = 0usize;
    for intermediate in path.intermediate_certificates() {
        let cert = parse(intermediate.der().as_ref())?;
        if !may_sign_certificates(&cert) {
            return Err(X509Error::NoKeyCertSign {
                subject: subject_of(&cert),
            });
        }
        below += 1;
    }
    let anchor =
        anchor.ok_or_else(|| X509Error::Malformed("the path ends at an unknown anchor".into()))?;
    check_issuer(anchor, at)?;
    let allowed = basic_constraints(anchor).and_then(|bc| bc.path_len_constraint);
    if allowed.is_some_and(|len| below > usize::from(len)) {
        return Err(X509Error::PathLength {
            subject: subject_of(anchor),
        });
    }
    Ok(())
}

/// Validates a chain as it was supplied (an admin's seal chain, a chain to collect revocation
/// data for): end entity first, its issuers after it, the last certificate taken as the trust
/// anchor. A single certificate is its own anchor. With [`Purpose::Any`] the first certificate
/// may be a CA: webpki validates end entities only, so such a chain of CAs is checked link by
/// link with the same rules (issuer fit to issue, signature, validity, pathLenConstraint,
/// known critical extensions).
pub fn validate_supplied_chain(
    chain_der: &[Vec<u8>],
    at: DateTime<Utc>,
    purpose: Purpose,
) -> Result<ValidPath, X509Error> {
    let (leaf, rest) = chain_der
        .split_first()
        .ok_or_else(|| X509Error::Malformed("the chain is empty".into()))?;
    let Some((anchor, middle)) = rest.split_last() else {
        return validate_path(leaf, &[], std::slice::from_ref(leaf), at, purpose);
    };
    if purpose == Purpose::Any && is_ca(&parse(leaf)?) {
        return ca_chain(chain_der, at);
    }
    validate_path(leaf, middle, std::slice::from_ref(anchor), at, purpose)
}

fn ca_chain(chain_der: &[Vec<u8>], at: DateTime<Utc>) -> Result<ValidPath, X509Error> {
    let certs = chain_der
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    for (below, (pair, child_der)) in certs.windows(2).zip(chain_der).enumerate() {
        let (child, issuer) = (&pair[0], &pair[1]);
        let subject = subject_of(child);
        EndEntityCert::try_from(&CertificateDer::from(child_der.as_slice()))
            .map_err(|e| from_webpki(e, &subject, at, Purpose::Any))?;
        if !valid_at(child, at) {
            return Err(X509Error::NotValidAt { subject, at });
        }
        check_issuer(issuer, at)?;
        let allowed = basic_constraints(issuer).and_then(|bc| bc.path_len_constraint);
        if allowed.is_some_and(|len| below > usize::from(len)) {
            return Err(X509Error::PathLength {
                subject: subject_of(issuer),
            });
        }
        if !is_issued_by(child, issuer) {
            return Err(X509Error::UnknownIssuer { subject });
        }
    }
    Ok(ValidPath {
        certificates_der: chain_der.to_vec(),
    })
}

#[allow(deprecated)]
fn from_webpki(
    error: webpki::Error,
    subject: &str,
    at: DateTime<Utc>,
    purpose: Purpose,
) -> X509Error {
    use webpki::Error as W;
    let subject = subject.to_string();
    match error {
        W::CertExpired { .. } | W::CertNotValidYet { .. } => X509Error::NotValidAt { subject, at },
        W::EndEntityUsedAsCa => X509Error::IssuerNotCa { subject },
        W::CaUsedAsEndEntity => X509Error::CaAsEndEntity { subject },
        W::PathLenConstraintViolated | W::MaximumPathDepthExceeded => {
            X509Error::PathLength { subject }
        }
        W::RequiredEkuNotFound | W::RequiredEkuNotFoundContext(_) | W::EmptyEkuExtension => {
            X509Error::ExtendedKeyUsage {
                subject,
                purpose: purpose.description(),
            }
        }
        W::UnsupportedCriticalExtension => X509Error::CriticalExtension { subject },
        W::InvalidSignatureForPublicKey => X509Error::BadSignature { subject },
        W::UnknownIssuer => X509Error::UnknownIssuer { subject },
        W::UnsupportedSignatureAlgorithm
        | W::UnsupportedSignatureAlgorithmContext(_)
        | W::UnsupportedSignatureAlgorithmForPublicKey
        | W::UnsupportedSignatureAlgorithmForPublicKeyContext(_) => {
            X509Error::UnsupportedAlgorithm(format!("in the certificate path of {subject}"))
        }
        W::BadDer
        | W::BadDerTime
        | W::TrailingData(_)
        | W::MalformedExtensions
        | W::ExtensionValueInvalid
        | W::UnsupportedCertVersion
        | W::InvalidCertValidity
        | W::InvalidSerialNumber
        | W::SignatureAlgorithmMismatch => {
            X509Error::Malformed(format!("a certificate in the path of {subject}: {error:?}"))
        }
        other => X509Error::Invalid {
            subject,
            detail: format!("{other:?}"),
        },
    }
}
