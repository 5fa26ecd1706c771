//! The OCSP verifier on the local world's responder (its bytes API; CA-signed answers valid for
//! seven days). Delegated responders are tried where they are used: the BankID simulator's
//! tests and the collector against openssl's responder (`esign-world`).

use std::sync::Arc;

use chrono::{Duration, Utc};
use der::{Decode, Encode};
use esign_world::pki::{CertificateAuthority, SubjectName};
use esign_world::revocation::{MemoryRevocations, RevocationService};
use x509_cert::Certificate;
use x509_ocsp::builder::OcspRequestBuilder;
use x509_ocsp::Request;

use super::*;
use crate::error::ErrorText;

struct World {
    root: Certificate,
    leaf: Certificate,
    registry: Arc<MemoryRevocations>,
    service: RevocationService,
}

fn world() -> World {
    let now = Utc::now();
    let root = CertificateAuthority::create_root("Rot", "Testkommun", now).unwrap();
    let leaf = root
        .issue_seal_cert_with_new_key(
            &SubjectName {
                common_name: "Sigill".into(),
                organization: "Testkommun".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            now,
        )
        .unwrap();
    let registry = Arc::new(MemoryRevocations::new());
    let service = RevocationService::new(registry.clone())
        .with_authority("root", root.clone())
        .unwrap()
        .with_issuer_signed_answers();
    World {
        root: Certificate::from_der(&root.cert_der).unwrap(),
        leaf: Certificate::from_der(&leaf.cert_der).unwrap(),
        registry,
        service,
    }
}

impl World {
    fn answer(&self) -> Vec<u8> {
        let id = cert_id(
            &self.root,
            &self.leaf.tbs_certificate.serial_number,
            CertIdHash::Sha1,
        )
        .unwrap();
        let request = OcspRequestBuilder::default()
            .with_request(Request::new(id))
            .build()
            .to_der()
            .unwrap();
        self.service.ocsp_response(&request).unwrap()
    }

    fn query(&self, at: Option<chrono::DateTime<Utc>>) -> OcspQuery<'_> {
        OcspQuery {
            cert: &self.leaf,
            issuer: &self.root,
            at,
            nonce: NonceCheck::NotAsked,
        }
    }
}

#[test]
fn a_good_answer_signed_by_the_issuer_passes_every_check() {
    let w = world();
    let findings = examine_ocsp_response(&w.answer(), &w.query(Some(Utc::now()))).unwrap();
    assert_eq!(findings.responder.as_ref(), Some(&w.root));
    assert!((Utc::now() - findings.produced_at).num_seconds().abs() < 60);
    let checked = findings.verdict().unwrap();
    assert_eq!(checked.delegated_responder_der, None);
    assert!(checked.next_update.is_some());
}

#[test]
fn freshness_is_judged_at_the_given_time() {
    let w = world();
    let answer = w.answer();
    let at = |t| {
        verify_ocsp_response(&answer, &w.query(Some(t)))
            .map(|_| ())
            .map_err(|e| crate::error::static_code(&e))
    };
    assert_eq!(at(Utc::now() + Duration::days(8)), Err("ocsp.stale"));
    assert_eq!(
        at(Utc::now() - Duration::hours(1)),
        Err("ocsp.not_yet_valid")
    );
    assert_eq!(at(Utc::now() + Duration::days(6)), Ok(()));
    // As of its own producedAt (evidence read years later).
    assert!(verify_ocsp_response(&answer, &w.query(None)).is_ok());
}

#[test]
fn the_nonce_is_checked_as_asked() {
    let w = world();
    let answer = w.answer();
    let with = |nonce| OcspQuery {
        nonce,
        ..w.query(Some(Utc::now()))
    };
    // The responder echoes no nonce: fine when one was merely sent, not when one is required.
    assert!(verify_ocsp_response(&answer, &with(NonceCheck::EchoedIfPresent(&[1, 2]))).is_ok());
    let findings = examine_ocsp_response(&answer, &with(NonceCheck::StartsWith(&[1, 2]))).unwrap();
    assert_eq!(findings.nonce, Err(OcspError::NonceMismatch));
    assert!(findings.signature.is_ok() && findings.authorised.is_ok() && findings.status.is_ok());
    assert_eq!(
        findings.verdict().unwrap_err().code(),
        "ocsp.nonce_mismatch"
    );
}

#[test]
fn revoked_foreign_and_broken_answers_are_said_so() {
    let w = world();
    w.registry
        .revoke(
            &hex::encode(w.leaf.tbs_certificate.serial_number.as_bytes()),
            Utc::now() - Duration::minutes(1),
            None,
        )
        .unwrap();
    let answer = w.answer();
    let err = verify_ocsp_response(&answer, &w.query(Some(Utc::now()))).unwrap_err();
    assert!(matches!(err, OcspError::Revoked(Some(_))), "{err:?}");
    assert!(!err.message_sv().is_empty());
    // Asked about the certificate as if another CA (same name, other key) had issued it.
    let twin = CertificateAuthority::create_root("Rot", "Testkommun", Utc::now()).unwrap();
    let twin = Certificate::from_der(&twin.cert_der).unwrap();
    let findings = examine_ocsp_response(
        &answer,
        &OcspQuery {
            issuer: &twin,
            ..w.query(Some(Utc::now()))
        },
    )
    .unwrap();
    // The real root, embedded in the response, signed it: a responder the asked issuer never
    // authorised.
    assert!(findings.signature.is_ok());
    assert!(
        matches!(&findings.authorised, Err(OcspError::NotAuthorised(_))),
        "{:?}",
        findings.authorised
    );
    assert_eq!(
        findings.answer.clone().map(|_| ()),
        Err(OcspError::NoAnswer)
    );
    assert_eq!(
        findings.verdict().unwrap_err().code(),
        "ocsp.responder_not_authorised"
    );
    // Bytes changed: the signature no longer verifies, or nothing can be read.
    let mut changed = answer.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    assert!(verify_ocsp_response(&changed, &w.query(Some(Utc::now()))).is_err());
    assert_eq!(
        verify_ocsp_response(b"garbage", &w.query(None))
            .unwrap_err()
            .code(),
        "ocsp.malformed"
    );
}
