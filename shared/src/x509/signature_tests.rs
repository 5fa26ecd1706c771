//! Every signature scheme the module claims, made by RustCrypto's signers and checked by the
//! module (ring through webpki, p256/p384 for ECDSA with SHA-512); each also refused when the
//! message, the hash or the key is not the one signed with.

use ::signature::hazmat::PrehashSigner;
use der::asn1::Any;
use der::{Decode, Encode};
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::AlgorithmIdentifierOwned;

use super::*;
use crate::error::ErrorText;

const MESSAGE: &[u8] = b"Justerat digitalt";

fn rsa_key(bits: usize) -> rsa::RsaPrivateKey {
    rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits).unwrap()
}

fn rsa_spki(key: &rsa::RsaPrivateKey) -> Vec<u8> {
    use rsa::pkcs8::EncodePublicKey;
    key.to_public_key()
        .to_public_key_der()
        .unwrap()
        .as_bytes()
        .to_vec()
}

fn check(spki: &[u8], scheme: SignatureScheme, signature: &[u8]) -> Result<(), X509Error> {
    verify_with_spki_der(spki, scheme, MESSAGE, signature)
}

#[test]
fn rsa_pkcs1_and_pss_with_each_hash() {
    use ::signature::{RandomizedSigner, SignatureEncoding, Signer};
    let key = rsa_key(2048);
    let spki = rsa_spki(&key);
    let pkcs1: [(Hash, Vec<u8>); 3] = [
        (
            Hash::Sha256,
            rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone())
                .sign(MESSAGE)
                .to_vec(),
        ),
        (
            Hash::Sha384,
            rsa::pkcs1v15::SigningKey::<Sha384>::new(key.clone())
                .sign(MESSAGE)
                .to_vec(),
        ),
        (
            Hash::Sha512,
            rsa::pkcs1v15::SigningKey::<Sha512>::new(key.clone())
                .sign(MESSAGE)
                .to_vec(),
        ),
    ];
    let rng = &mut rand_core::OsRng;
    let pss: [(Hash, Vec<u8>); 3] = [
        (
            Hash::Sha256,
            rsa::pss::SigningKey::<Sha256>::new(key.clone())
                .sign_with_rng(rng, MESSAGE)
                .to_vec(),
        ),
        (
            Hash::Sha384,
            rsa::pss::SigningKey::<Sha384>::new(key.clone())
                .sign_with_rng(rng, MESSAGE)
                .to_vec(),
        ),
        (
            Hash::Sha512,
            rsa::pss::SigningKey::<Sha512>::new(key.clone())
                .sign_with_rng(rng, MESSAGE)
                .to_vec(),
        ),
    ];
    for (hash, signature) in &pkcs1 {
        check(&spki, SignatureScheme::RsaPkcs1(*hash), signature)
            .unwrap_or_else(|e| panic!("PKCS#1 {hash:?}: {e}"));
        assert!(check(&spki, SignatureScheme::RsaPss(*hash), signature).is_err());
    }
    for (hash, signature) in &pss {
        check(&spki, SignatureScheme::RsaPss(*hash), signature)
            .unwrap_or_else(|e| panic!("PSS {hash:?}: {e}"));
        assert!(check(&spki, SignatureScheme::RsaPkcs1(*hash), signature).is_err());
    }
    // Another hash, another message, another key: refused.
    let (_, sha256) = &pkcs1[0];
    assert_eq!(
        check(&spki, SignatureScheme::RsaPkcs1(Hash::Sha512), sha256)
            .unwrap_err()
            .code(),
        "x509.bad_signature"
    );
    assert!(verify_with_spki_der(
        &spki,
        SignatureScheme::RsaPkcs1(Hash::Sha256),
        b"annat",
        sha256
    )
    .is_err());
    let other = rsa_spki(&rsa_key(2048));
    assert!(check(&other, SignatureScheme::RsaPkcs1(Hash::Sha256), sha256).is_err());
    // An ECDSA scheme with an RSA key is not a scheme at all.
    assert_eq!(
        check(&spki, SignatureScheme::Ecdsa(Hash::Sha256), sha256)
            .unwrap_err()
            .code(),
        "x509.unsupported_algorithm"
    );
}

#[test]
fn rsa_keys_below_2048_bits_are_refused() {
    use ::signature::{SignatureEncoding, Signer};
    let key = rsa_key(1024);
    let signature = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone())
        .sign(MESSAGE)
        .to_vec();
    assert!(check(
        &rsa_spki(&key),
        SignatureScheme::RsaPkcs1(Hash::Sha256),
        &signature
    )
    .is_err());
}

#[test]
fn ecdsa_p256_and_p384_with_each_hash() {
    use p256::pkcs8::EncodePublicKey;
    let digests = |m: &[u8]| {
        [
            (Hash::Sha256, Sha256::digest(m).to_vec()),
            (Hash::Sha384, Sha384::digest(m).to_vec()),
            (Hash::Sha512, Sha512::digest(m).to_vec()),
        ]
    };
    let p256_key = p256::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let p256_spki = p256_key.verifying_key().to_public_key_der().unwrap();
    let p384_key = p384::ecdsa::SigningKey::random(&mut rand_core::OsRng);
    let p384_spki = {
        use p384::pkcs8::EncodePublicKey;
        p384_key.verifying_key().to_public_key_der().unwrap()
    };
    for (hash, digest) in digests(MESSAGE) {
        let sig: p256::ecdsa::Signature = p256_key.sign_prehash(&digest).unwrap();
        let der = sig.to_der();
        check(
            p256_spki.as_bytes(),
            SignatureScheme::Ecdsa(hash),
            der.as_bytes(),
        )
        .unwrap_or_else(|e| panic!("P-256 {hash:?}: {e}"));
        assert!(check(
            p384_spki.as_bytes(),
            SignatureScheme::Ecdsa(hash),
            der.as_bytes()
        )
        .is_err());
        let sig: p384::ecdsa::Signature = p384_key.sign_prehash(&digest).unwrap();
        let der = sig.to_der();
        check(
            p384_spki.as_bytes(),
            SignatureScheme::Ecdsa(hash),
            der.as_bytes(),
        )
        .unwrap_or_else(|e| panic!("P-384 {hash:?}: {e}"));
        // The same signature is not one over another message.
        assert!(verify_with_spki_der(
            p384_spki.as_bytes(),
            SignatureScheme::Ecdsa(hash),
            b"annat",
            der.as_bytes()
        )
        .is_err());
        // XMLDSig's fixed r||s form becomes the DER one.
        assert_eq!(
            ecdsa_fixed_to_der(&sig.to_bytes()).as_deref(),
            Some(der.as_bytes())
        );
    }
    // SHA-512 over P-256 signed, checked as SHA-384: refused.
    let sig: p256::ecdsa::Signature = p256_key.sign_prehash(&Sha512::digest(MESSAGE)).unwrap();
    assert!(check(
        p256_spki.as_bytes(),
        SignatureScheme::Ecdsa(Hash::Sha384),
        sig.to_der().as_bytes()
    )
    .is_err());
    assert_eq!(ecdsa_fixed_to_der(&[1u8; 10]), None);
}

fn algorithm(oid: &str, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: const_oid::ObjectIdentifier::new_unwrap(oid),
        parameters,
    }
}

/// RSASSA-PSS-params with `hash` for the hash and MGF1, and `salt`.
fn pss_params(hash: &str, salt: u8) -> Any {
    let hash_alg = algorithm(hash, None).to_der().unwrap();
    let mgf = algorithm(
        "1.2.840.113549.1.1.8",
        Some(Any::from_der(&hash_alg).unwrap()),
    )
    .to_der()
    .unwrap();
    let tagged = |tag: u8, body: &[u8]| {
        let mut out = vec![0xa0 | tag, body.len() as u8];
        out.extend_from_slice(body);
        out
    };
    let mut body = tagged(0, &hash_alg);
    body.extend(tagged(1, &mgf));
    body.extend(tagged(2, &[0x02, 0x01, salt]));
    let mut seq = vec![0x30, body.len() as u8];
    seq.extend(body);
    Any::from_der(&seq).unwrap()
}

#[test]
fn algorithm_identifiers_name_their_schemes() {
    let scheme = |alg: AlgorithmIdentifierOwned, digest: Option<&str>| {
        SignatureScheme::from_algorithm(&alg, digest.map(const_oid::ObjectIdentifier::new_unwrap))
            .map_err(|e| crate::error::static_code(&e))
    };
    let sha384 = "2.16.840.1.101.3.4.2.2";
    assert_eq!(
        scheme(algorithm("1.2.840.113549.1.1.11", None), None),
        Ok(SignatureScheme::RsaPkcs1(Hash::Sha256))
    );
    assert_eq!(
        scheme(algorithm("1.2.840.113549.1.1.13", None), None),
        Ok(SignatureScheme::RsaPkcs1(Hash::Sha512))
    );
    // CMS: rsaEncryption or id-ecPublicKey with the hash as digestAlgorithm.
    assert_eq!(
        scheme(algorithm("1.2.840.113549.1.1.1", None), Some(sha384)),
        Ok(SignatureScheme::RsaPkcs1(Hash::Sha384))
    );
    assert_eq!(
        scheme(algorithm("1.2.840.10045.2.1", None), Some(sha384)),
        Ok(SignatureScheme::Ecdsa(Hash::Sha384))
    );
    assert_eq!(
        scheme(
            algorithm("1.2.840.113549.1.1.1", None),
            Some("1.3.14.3.2.26")
        ),
        Err("x509.unsupported_algorithm"),
        "SHA-1"
    );
    assert_eq!(
        scheme(algorithm("1.2.840.10045.4.3.4", None), None),
        Ok(SignatureScheme::Ecdsa(Hash::Sha512))
    );
    assert_eq!(
        scheme(
            algorithm("1.2.840.113549.1.1.10", Some(pss_params(sha384, 48))),
            None
        ),
        Ok(SignatureScheme::RsaPss(Hash::Sha384))
    );
    // A salt ring cannot check, or PSS with its SHA-1 defaults.
    assert_eq!(
        scheme(
            algorithm("1.2.840.113549.1.1.10", Some(pss_params(sha384, 20))),
            None
        ),
        Err("x509.unsupported_algorithm")
    );
    assert_eq!(
        scheme(algorithm("1.2.840.113549.1.1.10", None), None),
        Err("x509.unsupported_algorithm")
    );
    // md5WithRSAEncryption.
    assert_eq!(
        scheme(algorithm("1.2.840.113549.1.1.4", None), None),
        Err("x509.unsupported_algorithm")
    );
}

#[test]
fn issued_by_means_named_and_signed_by() {
    use esign_world::pki::{CertificateAuthority, SubjectName};
    let now = chrono::Utc::now();
    let root = CertificateAuthority::create_root("Rot", "Org", now).unwrap();
    let twin = CertificateAuthority::create_root("Rot", "Org", now).unwrap();
    let leaf = root
        .issue_seal_cert_with_new_key(
            &SubjectName {
                common_name: "Sigill".into(),
                organization: "Org".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            now,
        )
        .unwrap();
    let parse = |d: &[u8]| x509_cert::Certificate::from_der(d).unwrap();
    let leaf = parse(&leaf.cert_der);
    assert!(is_issued_by(&leaf, &parse(&root.cert_der)));
    assert!(
        !is_issued_by(&leaf, &parse(&twin.cert_der)),
        "same name, other key"
    );
    assert!(!is_issued_by(&parse(&root.cert_der), &leaf));
}
