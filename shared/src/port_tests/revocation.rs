//! The revocation source's contract (OCSP and CRLs over HTTP, the local world's responder in
//! process). Run in `esign-world`'s `port_suites::revocation`, where the responder is.

use chrono::Utc;
use der::Decode;
use x509_cert::Certificate;

use crate::ports::{RevocationData, RevocationError, RevocationSource};
use crate::revocation::{serial_hex, verify_crl, verify_ocsp_response};

/// Certificates for the suite, from CAs the source under test answers for (DER throughout).
pub struct RevocationFixture {
    /// The root CA certificate of `chain` and `revoked_chain`.
    pub root: Vec<u8>,
    /// An end-entity certificate first, then its CAs up to and including `root` (at least one
    /// CA between them, so a CA's status is asked too); none revoked.
    pub chain: Vec<Vec<u8>>,
    /// The same shape, with a revoked end-entity certificate.
    pub revoked_chain: Vec<Vec<u8>>,
    /// A certificate issued by a CA the source knows nothing of, then that CA.
    pub stranger_chain: Vec<Vec<u8>>,
}

fn parse(der: &[u8]) -> Certificate {
    Certificate::from_der(der).expect("a certificate")
}

fn is_self_signed(cert: &Certificate) -> bool {
    cert.tbs_certificate.issuer == cert.tbs_certificate.subject
}

/// Checks `data` the way a validator of the seal's DSS would: every certificate of `chain`
/// below the root has an OCSP response or a CRL that verifies for it now, signed by its
/// issuer (named so, and found in the chain, in `data.extra_certs`, or the root); and nothing in `data` is
/// about anything else.
fn assert_covers(data: &RevocationData, chain: &[Vec<u8>], root: &[u8]) {
    let now = Utc::now();
    let mut pool: Vec<Certificate> = chain.iter().map(|d| parse(d)).collect();
    pool.extend(data.extra_certs.iter().map(|d| parse(d)));
    pool.push(parse(root));
    let below_root: Vec<(Certificate, Certificate)> = chain
        .iter()
        .map(|d| parse(d))
        .filter(|c| !is_self_signed(c))
        .map(|c| {
            let issuer = pool
                .iter()
                .find(|i| i.tbs_certificate.subject == c.tbs_certificate.issuer)
                .unwrap_or_else(|| {
                    panic!(
                        "no issuer for {}",
                        serial_hex(&c.tbs_certificate.serial_number)
                    )
                })
                .clone();
            (c, issuer)
        })
        .collect();
    let ocsp_for = |response: &[u8], (cert, issuer): &(Certificate, Certificate)| {
        verify_ocsp_response(response, cert, issuer, None, now).is_ok()
    };
    let crl_for = |crl: &[u8], (cert, issuer): &(Certificate, Certificate)| {
        verify_crl(crl, cert, issuer, now).is_ok()
    };
    for pair in &below_root {
        assert!(
            data.ocsp_responses.iter().any(|r| ocsp_for(r, pair))
                || data.crls.iter().any(|c| crl_for(c, pair)),
            "no OCSP response or CRL verifies for {}",
            serial_hex(&pair.0.tbs_certificate.serial_number)
        );
    }
    for response in &data.ocsp_responses {
        assert!(
            below_root.iter().any(|pair| ocsp_for(response, pair)),
            "an OCSP response about none of the chain's certificates"
        );
    }
    for crl in &data.crls {
        assert!(
            below_root.iter().any(|pair| crl_for(crl, pair)),
            "a CRL that covers none of the chain's certificates"
        );
    }
}

/// The revocation source's contract, on `fixture`'s certificates:
///
/// - for a chain with its root, and for the same chain without it (the trait lets callers
///   leave the root out), the data has a verifying OCSP response or CRL for every
///   certificate below the root, and nothing unrelated;
/// - a chain whose end-entity certificate is revoked is [`RevocationError::Revoked`], naming
///   that certificate;
/// - a certificate whose issuer is neither given nor known is
///   [`RevocationError::IssuerNotFound`]; with that unknown issuer given, it is still refused
///   (the source answers for none of its certificates).
pub async fn revocation_source_suite(s: &dyn RevocationSource, fixture: &RevocationFixture) {
    assert!(fixture.chain.len() >= 3, "a leaf, a CA and the root");
    assert_eq!(fixture.chain.last(), Some(&fixture.root));

    let data = s.collect(&fixture.chain).await.unwrap();
    assert_covers(&data, &fixture.chain, &fixture.root);
    let without_root = &fixture.chain[..fixture.chain.len() - 1];
    let data = s.collect(without_root).await.unwrap();
    assert_covers(&data, without_root, &fixture.root);

    let revoked = serial_hex(
        &parse(&fixture.revoked_chain[0])
            .tbs_certificate
            .serial_number,
    );
    match s.collect(&fixture.revoked_chain).await {
        Err(RevocationError::Revoked { serial, .. }) => assert_eq!(serial, revoked),
        other => panic!("a revoked certificate gave {other:?}"),
    }

    match s.collect(&fixture.stranger_chain[..1]).await {
        Err(RevocationError::IssuerNotFound { serial, .. }) => assert_eq!(
            serial,
            serial_hex(
                &parse(&fixture.stranger_chain[0])
                    .tbs_certificate
                    .serial_number
            )
        ),
        other => panic!("a certificate of an unknown issuer gave {other:?}"),
    }
    match s.collect(&fixture.stranger_chain).await {
        Err(RevocationError::Revoked { .. }) | Ok(_) => {
            panic!("a chain of an unknown CA was answered for")
        }
        Err(_) => {}
    }
}
