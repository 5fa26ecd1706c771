//! The revocation source suite against both sources: the HTTP collector, following the URLs
//! in the certificates to our responder served on a loopback port, and the in-process source
//! over the same responder.

use std::sync::Arc;

use chrono::Utc;
use der::Decode;
use x509_cert::Certificate;

use crate::pki::{CertificateAuthority, RevocationUrls, SubjectName};
use crate::revocation::{router, MemoryRevocations, RevocationReason, RevocationService};
use esign_shared::port_tests::{revocation_source_suite, RevocationFixture};
use esign_shared::revocation::{serial_hex, HttpRevocationSource, InProcessRevocation};

fn subject(common_name: &str) -> SubjectName {
    SubjectName {
        common_name: common_name.into(),
        organization: "Örebro kommun".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

fn seal_cert(ca: &CertificateAuthority, common_name: &str) -> Vec<u8> {
    ca.issue_seal_cert_with_new_key(&subject(common_name), Utc::now())
        .expect("seal certificate")
        .cert_der
}

/// A root and an issuing CA registered with our responder (their certificates name it at
/// `base`), a seal certificate, a revoked one, and a certificate of a CA the responder does
/// not know (its URLs point at the same responder, under a name it has not registered).
fn pki(base: &str) -> (Arc<RevocationService>, RevocationFixture) {
    let urls = |name: &str| RevocationUrls::under(base, name).expect("URLs");
    let now = Utc::now();
    let root = CertificateAuthority::create_root("Test Rot-CA", "Örebro kommun", now)
        .expect("root")
        .with_revocation_urls(urls("root"));
    let issuing = root
        .issue_sub_ca("Test utfärdande CA", "Örebro kommun", now)
        .expect("issuing CA")
        .with_revocation_urls(urls("issuing"));
    let registry = Arc::new(MemoryRevocations::new());
    let service = RevocationService::new(registry.clone())
        .with_authority("root", root.clone())
        .expect("root registered")
        .with_authority("issuing", issuing.clone())
        .expect("issuing CA registered");
    let good = seal_cert(&issuing, "Sigill Örebro kommun");
    let revoked = seal_cert(&issuing, "Sigill med röjd nyckel");
    let serial = serial_hex(
        &Certificate::from_der(&revoked)
            .expect("certificate")
            .tbs_certificate
            .serial_number,
    );
    registry
        .revoke(&serial, now, Some(RevocationReason::KeyCompromise))
        .expect("revoked");
    let stranger = CertificateAuthority::create_root("Okänd CA", "Någon annan", now)
        .expect("stranger root")
        .with_revocation_urls(urls("stranger"));
    let fixture = RevocationFixture {
        root: root.cert_der.clone(),
        chain: vec![good, issuing.cert_der.clone(), root.cert_der.clone()],
        revoked_chain: vec![revoked, issuing.cert_der.clone(), root.cert_der.clone()],
        stranger_chain: vec![seal_cert(&stranger, "Främmande sigill"), stranger.cert_der],
    };
    (Arc::new(service), fixture)
}

#[tokio::test]
async fn the_http_collector_behaves_like_a_revocation_source() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/pki", listener.local_addr().expect("address"));
    let (service, fixture) = pki(&base);
    let app = axum::Router::new().nest("/pki", router(service));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let source = HttpRevocationSource::new().expect("collector");
    revocation_source_suite(&source, &fixture).await;
    server.abort();
}

#[tokio::test]
async fn the_in_process_responder_behaves_like_a_revocation_source() {
    // Nothing listens at these URLs: the in-process source must not need them.
    let (service, fixture) = pki("http://127.0.0.1:9/pki");
    revocation_source_suite(&InProcessRevocation(service), &fixture).await;
}
