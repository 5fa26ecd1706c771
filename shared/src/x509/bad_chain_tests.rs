//! The three bad chains of issue 9 (a leaf used as an intermediate, an expired intermediate, a
//! CA without keyCertSign: `esign_world::testkit::bad_chains`, the same chains for every test)
//! against every user of the module in this crate: the module itself, the PAdES verifier, the
//! revocation collector (in process and over HTTP) and the seal certificate checks. Each case
//! runs beside a good chain made the same way, which must pass: the refusal is the chain's.
//! (The BankID evidence verifier's are in `esign-world`, beside the simulator:
//! `world/src/bankid/bad_chain_tests.rs`.)

use crate::error::ErrorText;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use esign_world::pki::{CertificateAuthority, RevocationUrls, SubjectName};
use esign_world::revocation::{MemoryRevocations, RevocationService};
use esign_world::testkit::{bad_chains, BadChain, BadChainKind};

use super::*;
use crate::pdf::test_support::{b_b_request, seal_b_b, tiny_pdf, TestResponder, TestTsa};
use crate::revocation::{HttpRevocationSource, InProcessRevocation, RevocationSource};

fn subject(cn: &str) -> SubjectName {
    SubjectName {
        common_name: cn.into(),
        organization: "Testkommun".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

/// A good issuer made like the bad ones, for the control case.
fn good_issuer(root: &CertificateAuthority, now: DateTime<Utc>) -> CertificateAuthority {
    root.issue_sub_ca("Riktigt under-CA", "Testkommun", now)
        .unwrap()
}

/// What the module says is wrong with each (the text users show).
fn reason(kind: BadChainKind) -> &'static str {
    match kind {
        BadChainKind::LeafAsIntermediate => "not a CA",
        BadChainKind::ExpiredIntermediate => "not valid at",
        BadChainKind::CaWithoutKeyCertSign => "lacks keyCertSign",
    }
}

fn issuers(
    root: &CertificateAuthority,
    now: DateTime<Utc>,
) -> Vec<(Option<BadChainKind>, CertificateAuthority)> {
    let mut all = vec![(None, good_issuer(root, now))];
    all.extend(
        bad_chains(root, now)
            .into_iter()
            .map(|BadChain { kind, issuer }| (Some(kind), issuer)),
    );
    all
}

#[test]
fn the_module_refuses_each_bad_chain() {
    let now = Utc::now();
    let root = CertificateAuthority::create_root("Rot", "Testkommun", now).unwrap();
    for (kind, issuer) in issuers(&root, now) {
        let leaf = issuer
            .issue_seal_cert_with_new_key(&subject("Sigill"), now)
            .unwrap();
        let chain = vec![
            leaf.cert_der,
            issuer.cert_der.clone(),
            root.cert_der.clone(),
        ];
        let result = validate_supplied_chain(&chain, now, Purpose::Signing);
        match kind {
            None => assert!(result.is_ok(), "{result:?}"),
            Some(kind) => {
                let err = result.unwrap_err();
                assert!(err.message_en().contains(reason(kind)), "{kind:?}: {err}");
            }
        }
    }
}

/// `esign verify` and the archive's validation report: a seal made with a bad chain is intact
/// and its signature valid, but not trusted; a signature timestamp from a TSA under a bad
/// chain is not trusted either.
#[tokio::test]
async fn the_pades_verifier_does_not_trust_a_seal_or_timestamp_under_a_bad_chain() {
    let now = Utc::now();
    let root = CertificateAuthority::create_root("Rot", "Testkommun", now).unwrap();
    let anchors = vec![root.cert_der.clone()];
    let good = good_issuer(&root, now);
    for (kind, issuer) in issuers(&root, now) {
        let leaf = issuer
            .issue_seal_cert_with_new_key(&subject("Sigill"), now)
            .unwrap();
        let chain = vec![
            leaf.cert_der,
            issuer.cert_der.clone(),
            root.cert_der.clone(),
        ];
        let signer =
            crate::pdf::SoftwareSealSigner::from_pkcs8_der(&leaf.key_pkcs8_der.unwrap(), chain)
                .unwrap();
        let sealed = seal_b_b(&tiny_pdf("", &[]), &signer).await;
        let report = crate::pdf::verify(&sealed, &anchors).unwrap();
        let seal = &report.signatures[0];
        assert!(seal.intact && seal.signature_valid, "{kind:?}: {seal:?}");
        match kind {
            None => assert!(seal.trusted, "{seal:?}"),
            Some(kind) => {
                assert!(!seal.trusted, "{kind:?} trusted: {seal:?}");
                assert!(
                    seal.problems.iter().any(|p| p.contains(reason(kind))),
                    "{kind:?}: {:?}",
                    seal.problems
                );
            }
        }

        // A signature timestamp (B-T) by a TSA under the issuer, over a good seal.
        let tsa = TestTsa(
            esign_world::tsa::LocalTsa::generate(
                &issuer,
                &[issuer.cert_der.clone(), root.cert_der.clone()],
                &subject("TSA"),
                now,
            )
            .unwrap(),
        );
        let sealer = good
            .issue_seal_cert_with_new_key(&subject("Bra sigill"), now)
            .unwrap();
        let signer = crate::pdf::SoftwareSealSigner::from_pkcs8_der(
            &sealer.key_pkcs8_der.unwrap(),
            vec![
                sealer.cert_der,
                good.cert_der.clone(),
                root.cert_der.clone(),
            ],
        )
        .unwrap();
        let page = crate::pdf::test_support::sample_page("Justerat");
        let stamped = crate::pdf::seal(
            &tiny_pdf("", &[]),
            crate::pdf::SealRequest {
                signing_time: now,
                timestamp: Some(&tsa),
                level: crate::domain::SealLevel::BT,
                ..b_b_request(&page)
            },
            &signer,
        )
        .await
        .unwrap();
        let report = crate::pdf::verify(&stamped, &anchors).unwrap();
        let seal = &report.signatures[0];
        assert!(seal.trusted, "{seal:?}");
        match kind {
            None => assert_eq!(seal.level, "PAdES-B-T", "{seal:?}"),
            Some(kind) => {
                assert_eq!(seal.level, "PAdES-B-B", "{kind:?}: {seal:?}");
                assert!(
                    seal.higher_level_missing.iter().any(|m| m
                        .starts_with("PAdES-B-T: signature timestamp not trusted")
                        && m.contains(reason(kind))),
                    "{kind:?}: {:?}",
                    seal.higher_level_missing
                );
            }
        }
    }
}

/// The collector in process: the responder answers for the bad issuer (it is registered), so
/// only the chain check stands between the chain and a DSS.
#[tokio::test]
async fn the_in_process_collector_refuses_each_bad_chain() {
    let now = Utc::now();
    let root = CertificateAuthority::create_root("Rot", "Testkommun", now).unwrap();
    for (kind, issuer) in issuers(&root, now) {
        let leaf = issuer
            .issue_seal_cert_with_new_key(&subject("Sigill"), now)
            .unwrap();
        let service = RevocationService::new(Arc::new(MemoryRevocations::new()))
            .with_authority("root", root.clone())
            .unwrap()
            .with_authority("issuer", issuer.clone())
            .unwrap();
        let source = InProcessRevocation(TestResponder(service));
        let chain = vec![
            leaf.cert_der,
            issuer.cert_der.clone(),
            root.cert_der.clone(),
        ];
        let result = source.collect(&chain).await;
        match kind {
            None => assert_eq!(result.unwrap().ocsp_responses.len(), 2),
            Some(kind) => {
                let err = result.unwrap_err();
                assert_eq!(err.code(), "revocation.invalid_chain", "{kind:?}: {err}");
                assert!(err.message_en().contains(reason(kind)), "{kind:?}: {err}");
            }
        }
        // Without the root in the chain: the responder's root closes it, and the same holds.
        let result = source.collect(&chain[..2]).await;
        assert_eq!(result.is_ok(), kind.is_none(), "{kind:?}: {result:?}");
    }
}

/// The collector over HTTP, from the local world's responder: every certificate names it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_http_collector_refuses_each_bad_chain() {
    let now = Utc::now();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/pki", listener.local_addr().unwrap());
    let root = CertificateAuthority::create_root("Rot", "Testkommun", now)
        .unwrap()
        .with_revocation_urls(RevocationUrls::under(&base, "root").unwrap());
    let mut service = RevocationService::new(Arc::new(MemoryRevocations::new()))
        .with_authority("root", root.clone())
        .unwrap();
    let mut cases = Vec::new();
    for (i, (kind, issuer)) in issuers(&root, now).into_iter().enumerate() {
        let name = format!("issuer{i}");
        let issuer = issuer.with_revocation_urls(RevocationUrls::under(&base, &name).unwrap());
        service = service.with_authority(&name, issuer.clone()).unwrap();
        let leaf = issuer
            .issue_seal_cert_with_new_key(&subject("Sigill"), now)
            .unwrap();
        cases.push((kind, vec![leaf.cert_der, issuer.cert_der.clone()]));
    }
    let app = axum::Router::new().nest("/pki", esign_world::revocation::router(Arc::new(service)));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let collector = HttpRevocationSource::new().unwrap();
    for (kind, chain) in cases {
        // The root is left out: the collector fetches it from the caIssuers URL first.
        let result = collector.collect(&chain).await;
        match kind {
            None => assert_eq!(result.unwrap().ocsp_responses.len(), 2),
            Some(kind) => {
                let err = result.unwrap_err();
                assert_eq!(err.code(), "revocation.invalid_chain", "{kind:?}: {err}");
                assert!(err.message_sv().contains("Certifikatkedjan"), "{err:?}");
            }
        }
    }
    server.abort();
}

/// The seal certificate checks: an admin installing a chain for the tenant's own key. (The
/// seal itself does not check its chain: it trusts what was installed.)
#[cfg(feature = "embedded")]
#[tokio::test]
async fn installing_a_seal_chain_refuses_each_bad_chain() {
    use crate::domain::TenantId;
    let now = Utc::now();
    let t = crate::app::test_app::start_at(now).await;
    let tenant = TenantId::parse("badchain").unwrap();
    t.app
        .tenants
        .create_tenant(crate::app::TenantSetup {
            id: tenant.clone(),
            name: "Testkommun".into(),
            organization_number: None,
            storage_place: "Kansliet".into(),
        })
        .await
        .unwrap();
    let spki = t.app.tenants.seal_public_key(&tenant).await.unwrap();
    let root = &t.root;
    for (kind, issuer) in issuers(root, now) {
        let leaf = issuer
            .issue_seal_cert(&subject("Sigill"), &spki, now)
            .unwrap();
        let with_root = [&leaf, &issuer.cert_der, &root.cert_der]
            .map(|d| pem_encode_cert(d))
            .concat();
        let without_root = [&leaf, &issuer.cert_der]
            .map(|d| pem_encode_cert(d))
            .concat();
        for pem in [with_root, without_root] {
            let result = t.app.tenants.install_seal_chain(&tenant, &pem).await;
            match kind {
                None => result.unwrap(),
                Some(kind) => {
                    let err = result.unwrap_err();
                    assert_eq!(err.code(), "seal.bad_chain", "{kind:?}");
                    assert!(err.message_en().contains(reason(kind)), "{kind:?}: {err:?}");
                    assert!(err.message_sv().contains("Ogiltig certifikatkedja"));
                }
            }
        }
    }
}
