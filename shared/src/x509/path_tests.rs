//! Path validation: what webpki checks (through our use of it) and what the module checks by
//! hand beside it. Certificates come from the local world's CA (bytes only), made at a fixed
//! time years from today, so that a validator that looked at the clock instead of the given
//! time would fail here.

use chrono::{DateTime, Duration, Utc};
use der::Encode;
use esign_world::pki::{CertificateAuthority, SubjectName};
use esign_world::testkit::{bad_chains, BadChainKind};
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::ext::{AsExtension, Extension};

use super::*;
use crate::error::ErrorText;

/// When the test PKI is made and used: not today.
fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2031-05-01T10:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn at() -> DateTime<Utc> {
    t0() + Duration::hours(1)
}

fn subject(cn: &str) -> SubjectName {
    SubjectName {
        common_name: cn.into(),
        organization: "Testkommun".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

fn new_spki() -> Vec<u8> {
    use p256::pkcs8::EncodePublicKey;
    p256::ecdsa::SigningKey::random(&mut rand_core::OsRng)
        .verifying_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn root() -> CertificateAuthority {
    CertificateAuthority::create_root("Test Rot-CA", "Testkommun", t0()).unwrap()
}

fn seal(ca: &CertificateAuthority) -> Vec<u8> {
    ca.issue_seal_cert(&subject("Sigill"), &new_spki(), t0())
        .unwrap()
}

/// A DER extension, critical or not as asked.
fn extension(value: &impl AsExtension, critical: bool) -> Vec<u8> {
    let name = x509_cert::name::Name::default();
    let mut ext: Extension = value.to_extension(&name, &[]).unwrap();
    ext.critical = critical;
    ext.to_der().unwrap()
}

fn leaf_extensions(usage: KeyUsage) -> Vec<Vec<u8>> {
    vec![
        extension(
            &BasicConstraints {
                ca: false,
                path_len_constraint: None,
            },
            true,
        ),
        extension(&usage, true),
    ]
}

fn crafted(ca: &CertificateAuthority, cn: &str, extensions: &[Vec<u8>]) -> Vec<u8> {
    ca.issue_crafted(
        &subject(cn),
        &new_spki(),
        extensions,
        t0() - Duration::minutes(5),
        t0() + Duration::days(365),
    )
    .unwrap()
}

fn code(result: Result<ValidPath, X509Error>) -> &'static str {
    result
        .map(|_| "ok")
        .unwrap_or_else(|e| crate::error::static_code(&e))
}

#[test]
fn a_good_path_is_valid_from_leaf_to_anchor() {
    let root = root();
    let sub = root
        .issue_sub_ca("Test Under-CA", "Testkommun", t0())
        .unwrap();
    let leaf = seal(&sub);
    let path = validate_path(
        &leaf,
        std::slice::from_ref(&sub.cert_der),
        std::slice::from_ref(&root.cert_der),
        at(),
        Purpose::Signing,
    )
    .unwrap();
    assert_eq!(
        path.certificates_der(),
        [leaf.clone(), sub.cert_der.clone(), root.cert_der.clone()]
    );
    assert!(
        path.subjects()[2].contains("Test Rot-CA"),
        "{:?}",
        path.subjects()
    );
    // The same, as a chain supplied root included, and without its root.
    let chain = vec![leaf.clone(), sub.cert_der.clone(), root.cert_der.clone()];
    assert_eq!(
        code(validate_supplied_chain(&chain, at(), Purpose::Signing)),
        "ok"
    );
    assert_eq!(
        code(validate_supplied_chain(&chain[..2], at(), Purpose::Signing)),
        "ok"
    );
}

#[test]
fn the_three_bad_chains_are_refused_for_what_is_wrong_with_them() {
    let root = root();
    for bad in bad_chains(&root, t0()) {
        let leaf = seal(&bad.issuer);
        let want = match bad.kind {
            BadChainKind::LeafAsIntermediate => "x509.issuer_not_ca",
            BadChainKind::ExpiredIntermediate => "x509.not_valid_at_time",
            BadChainKind::CaWithoutKeyCertSign => "x509.no_key_cert_sign",
        };
        let through = validate_path(
            &leaf,
            std::slice::from_ref(&bad.issuer.cert_der),
            std::slice::from_ref(&root.cert_der),
            at(),
            Purpose::Signing,
        );
        assert_eq!(code(through), want, "{:?} as an intermediate", bad.kind);
        let chain = bad.chain(&leaf, &root);
        assert_eq!(
            code(validate_supplied_chain(&chain, at(), Purpose::Signing)),
            want,
            "{:?} supplied",
            bad.kind
        );
        // Anchored at the bad CA itself (a chain installed without its root): webpki sees only
        // a name and a key there, so these are the module's own checks of the anchor.
        assert_eq!(
            code(validate_supplied_chain(&chain[..2], at(), Purpose::Signing)),
            want,
            "{:?} as the anchor",
            bad.kind
        );
        // Any purpose, and a TSA leaf: the path is wrong whatever it is for.
        let tsa = bad
            .issuer
            .issue_tsa_cert(&subject("TSA"), &new_spki(), t0())
            .unwrap();
        assert_eq!(
            code(validate_supplied_chain(
                &bad.chain(&tsa, &root),
                at(),
                Purpose::TimeStamping
            )),
            want
        );
        assert_eq!(
            code(validate_supplied_chain(&chain, at(), Purpose::Any)),
            want
        );
    }
}

#[test]
fn validity_is_checked_at_the_given_time_not_now() {
    let root = root();
    let sub = root
        .issue_sub_ca("Test Under-CA", "Testkommun", t0())
        .unwrap();
    let leaf = seal(&sub);
    let chain = vec![leaf, sub.cert_der.clone(), root.cert_der.clone()];
    for (when, want) in [
        (at(), "ok"),
        (t0() - Duration::days(1), "x509.not_valid_at_time"),
        (t0() + Duration::days(4 * 365), "x509.not_valid_at_time"),
        (Utc::now(), "x509.not_valid_at_time"),
    ] {
        assert_eq!(
            code(validate_supplied_chain(&chain, when, Purpose::Signing)),
            want,
            "at {when}"
        );
    }
    // The anchor's own validity counts too (webpki keeps only its name and key).
    let old_root = CertificateAuthority::create_root("Gammal rot", "Testkommun", t0()).unwrap();
    let leaf = old_root
        .issue_crafted(
            &subject("Längre än sin rot"),
            &new_spki(),
            &leaf_extensions(KeyUsage(KeyUsages::DigitalSignature.into())),
            t0(),
            t0() + Duration::days(30 * 365),
        )
        .unwrap();
    let after_root = t0() + Duration::days(21 * 365);
    let err = validate_path(
        &leaf,
        &[],
        std::slice::from_ref(&old_root.cert_der),
        after_root,
        Purpose::Signing,
    )
    .unwrap_err();
    assert_eq!(err.code(), "x509.not_valid_at_time");
}

#[test]
fn purposes_ask_for_their_key_usages() {
    let root = root();
    let anchors = std::slice::from_ref(&root.cert_der);
    let check = |leaf: &[u8], purpose| code(validate_path(leaf, &[], anchors, at(), purpose));
    let tsa = root
        .issue_tsa_cert(&subject("TSA"), &new_spki(), t0())
        .unwrap();
    let responder = root
        .issue_ocsp_responder_cert(&subject("OCSP"), &new_spki(), t0())
        .unwrap();
    let seal = seal(&root);
    assert_eq!(check(&tsa, Purpose::TimeStamping), "ok");
    assert_eq!(check(&responder, Purpose::OcspSigning), "ok");
    assert_eq!(check(&seal, Purpose::Signing), "ok");
    // An extended key usage that lacks the purpose's: webpki refuses it.
    assert_eq!(check(&tsa, Purpose::OcspSigning), "x509.extended_key_usage");
    assert_eq!(
        check(&responder, Purpose::TimeStamping),
        "x509.extended_key_usage"
    );
    // No extended key usage at all: webpki would accept; the module asks for it.
    assert_eq!(
        check(&seal, Purpose::TimeStamping),
        "x509.extended_key_usage"
    );
    assert_eq!(
        check(&seal, Purpose::OcspSigning),
        "x509.extended_key_usage"
    );
    // A keyUsage that allows no signing: refused for signing, fine for a chain only handled.
    let encipher_only = crafted(
        &root,
        "Bara kryptering",
        &leaf_extensions(KeyUsage(KeyUsages::KeyEncipherment.into())),
    );
    assert_eq!(check(&encipher_only, Purpose::Signing), "x509.key_usage");
    assert_eq!(check(&encipher_only, Purpose::Any), "ok");
    let non_repudiation = crafted(
        &root,
        "Oavvislighet",
        &leaf_extensions(KeyUsage(KeyUsages::NonRepudiation.into())),
    );
    assert_eq!(check(&non_repudiation, Purpose::Signing), "ok");
}

#[test]
fn unknown_critical_extensions_are_refused_anywhere_in_the_path() {
    let root = root();
    let anchors = std::slice::from_ref(&root.cert_der);
    let mut unknown = x509_cert::ext::Extension {
        extn_id: const_oid::ObjectIdentifier::new_unwrap("1.2.3.4.5.6"),
        critical: true,
        extn_value: der::asn1::OctetString::new(vec![5, 0]).unwrap(),
    };
    let mut extensions = leaf_extensions(KeyUsage(KeyUsages::DigitalSignature.into()));
    extensions.push(unknown.to_der().unwrap());
    let leaf = crafted(&root, "Kritiskt okänt", &extensions);
    assert_eq!(
        code(validate_path(&leaf, &[], anchors, at(), Purpose::Signing)),
        "x509.unknown_critical_extension"
    );
    unknown.critical = false;
    extensions.pop();
    extensions.push(unknown.to_der().unwrap());
    let leaf = crafted(&root, "Okänt men inte kritiskt", &extensions);
    assert_eq!(
        code(validate_path(&leaf, &[], anchors, at(), Purpose::Signing)),
        "ok"
    );
    // In an intermediate.
    unknown.critical = true;
    let sub_key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let sub_spki = {
        use p256::pkcs8::EncodePublicKey;
        sub_key
            .verifying_key()
            .to_public_key_der()
            .unwrap()
            .as_bytes()
            .to_vec()
    };
    let sub_der = root
        .issue_crafted(
            &subject("Under-CA med okänt"),
            &sub_spki,
            &[
                extension(
                    &BasicConstraints {
                        ca: true,
                        path_len_constraint: None,
                    },
                    true,
                ),
                extension(&KeyUsage(KeyUsages::KeyCertSign.into()), true),
                unknown.to_der().unwrap(),
            ],
            t0() - Duration::minutes(5),
            t0() + Duration::days(365),
        )
        .unwrap();
    use p256::pkcs8::EncodePrivateKey;
    let sub = CertificateAuthority::from_parts(
        sub_der.clone(),
        sub_key.to_pkcs8_der().unwrap().as_bytes(),
    )
    .unwrap();
    let leaf = seal(&sub);
    assert_eq!(
        code(validate_path(
            &leaf,
            &[sub_der],
            anchors,
            at(),
            Purpose::Signing
        )),
        "x509.unknown_critical_extension"
    );
}

#[test]
fn path_length_constraints_hold_for_intermediates_and_the_anchor() {
    let root = root();
    // issue_sub_ca gives pathLenConstraint 0: its sub-CA may issue no further CA.
    let sub = root.issue_sub_ca("Under-CA", "Testkommun", t0()).unwrap();
    let sub2 = sub
        .issue_sub_ca("Under-under-CA", "Testkommun", t0())
        .unwrap();
    let leaf = seal(&sub2);
    let pool = vec![sub.cert_der.clone(), sub2.cert_der.clone()];
    assert_eq!(
        code(validate_path(
            &leaf,
            &pool,
            std::slice::from_ref(&root.cert_der),
            at(),
            Purpose::Signing
        )),
        "x509.path_length"
    );
    // The same constraint on an anchor: webpki does not see it there, the module does.
    assert_eq!(
        code(validate_path(
            &leaf,
            &pool,
            std::slice::from_ref(&sub.cert_der),
            at(),
            Purpose::Signing
        )),
        "x509.path_length"
    );
    // And on a chain of CAs checked link by link: the last certificate is no intermediate
    // (RFC 5280 4.2.1.9), so sub2 may end a path below sub, but sub3 may not.
    let cas = vec![
        sub2.cert_der.clone(),
        sub.cert_der.clone(),
        root.cert_der.clone(),
    ];
    assert_eq!(
        code(validate_supplied_chain(&cas, at(), Purpose::Any)),
        "ok"
    );
    let sub3 = sub2
        .issue_sub_ca("Under-under-under-CA", "Testkommun", t0())
        .unwrap();
    let cas = [vec![sub3.cert_der.clone()], cas].concat();
    assert_eq!(
        code(validate_supplied_chain(&cas, at(), Purpose::Any)),
        "x509.path_length"
    );
}

#[test]
fn anchors_decide_and_a_leaf_may_be_one() {
    let root = root();
    let leaf = seal(&root);
    assert_eq!(
        code(validate_path(&leaf, &[], &[], at(), Purpose::Signing)),
        "x509.no_trust_anchor"
    );
    let other = CertificateAuthority::create_root("Annan rot", "Annan", t0()).unwrap();
    assert_eq!(
        code(validate_path(
            &leaf,
            &[],
            std::slice::from_ref(&other.cert_der),
            at(),
            Purpose::Signing
        )),
        "x509.unknown_issuer"
    );
    // Another root with the very same name: the name matches, the signature does not.
    let twin = CertificateAuthority::create_root("Test Rot-CA", "Testkommun", t0()).unwrap();
    assert_eq!(
        code(validate_path(
            &leaf,
            &[],
            std::slice::from_ref(&twin.cert_der),
            at(),
            Purpose::Signing
        )),
        "x509.bad_signature"
    );
    // A leaf that is itself trusted: valid as it is, at the given time only.
    let path = validate_path(
        &leaf,
        &[],
        std::slice::from_ref(&leaf),
        at(),
        Purpose::Signing,
    )
    .unwrap();
    assert_eq!(path.certificates_der(), std::slice::from_ref(&leaf));
    assert_eq!(
        code(validate_path(
            &leaf,
            &[],
            std::slice::from_ref(&leaf),
            t0() - Duration::days(2),
            Purpose::Signing
        )),
        "x509.not_valid_at_time"
    );
    assert_eq!(
        code(validate_path(
            b"garbage",
            &[],
            &[leaf],
            at(),
            Purpose::Signing
        )),
        "x509.malformed"
    );
}

#[test]
fn a_chain_of_cas_is_checked_link_by_link() {
    let root = root();
    let sub = root.issue_sub_ca("Under-CA", "Testkommun", t0()).unwrap();
    let cas = vec![sub.cert_der.clone(), root.cert_der.clone()];
    assert_eq!(
        code(validate_supplied_chain(&cas, at(), Purpose::Any)),
        "ok"
    );
    // A CA where an end entity is expected, for any purpose that signs.
    assert_eq!(
        code(validate_supplied_chain(&cas, at(), Purpose::Signing)),
        "x509.ca_as_end_entity"
    );
    assert_eq!(
        code(validate_supplied_chain(
            &cas,
            t0() + Duration::days(11 * 365),
            Purpose::Any
        )),
        "x509.not_valid_at_time"
    );
    // A CA below each bad issuer is refused just like a leaf below it.
    for bad in bad_chains(&root, t0()) {
        let below = bad
            .issuer
            .issue_sub_ca("Under fel CA", "Testkommun", t0())
            .unwrap();
        let want = match bad.kind {
            BadChainKind::LeafAsIntermediate => "x509.issuer_not_ca",
            BadChainKind::ExpiredIntermediate => "x509.not_valid_at_time",
            BadChainKind::CaWithoutKeyCertSign => "x509.no_key_cert_sign",
        };
        assert_eq!(
            code(validate_supplied_chain(
                &bad.chain(&below.cert_der, &root),
                at(),
                Purpose::Any
            )),
            want,
            "{:?}",
            bad.kind
        );
    }
    // Out of order: the link does not verify.
    let reversed = vec![root.cert_der.clone(), sub.cert_der.clone()];
    assert_ne!(
        code(validate_supplied_chain(&reversed, at(), Purpose::Any)),
        "ok"
    );
}
