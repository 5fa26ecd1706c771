use super::*;
use crate::adapters::aws::test_support::*;

async fn signer(algorithm: KeyAlgorithm, create: bool) -> KmsKeySigner {
    KmsKeySigner::new(
        &moto_sdk().await,
        KmsSignerSettings {
            algorithm,
            alias_prefix: unique_alias_prefix(),
            create_missing_keys: create,
            key_ids: HashMap::new(),
        },
    )
    .unwrap()
}

/// The port's behaviour suite, then every signature checked by openssl (moto's own Verify
/// would agree with a wrong signature: it re-hashes DIGEST messages).
async fn behaves_and_verifies(algorithm: KeyAlgorithm) {
    let k = signer(algorithm, true).await;
    crate::port_tests::key_signer_suite(&k).await;
    let spki = k.public_key("tenant-t1").await.unwrap();
    for message in [
        &b"x"[..],
        &b"the DER of the signed attributes"[..],
        &[0x31u8; MAX_RAW_MESSAGE_BYTES][..],
    ] {
        let sig = k.sign("tenant-t1", message).await.unwrap();
        assert!(openssl_verifies(&spki, message, &sig), "{algorithm:?}");
        let mut other = message.to_vec();
        other[0] ^= 1;
        assert!(!openssl_verifies(&spki, &other, &sig), "{algorithm:?}");
    }
    let other_key = k.public_key("tenant-t2").await.unwrap();
    let sig = k.sign("tenant-t1", b"m").await.unwrap();
    assert!(!openssl_verifies(&other_key, b"m", &sig));
}

#[tokio::test]
async fn ecdsa_p256_keys_behave_like_a_key_signer() {
    behaves_and_verifies(KeyAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn rsa_3072_keys_behave_like_a_key_signer() {
    behaves_and_verifies(KeyAlgorithm::RsaPkcs1Sha256).await;
    let k = signer(KeyAlgorithm::RsaPkcs1Sha256, true).await;
    let spki = k.ensure_key("seal-x").await.unwrap();
    use rsa::pkcs8::DecodePublicKey;
    use rsa::traits::PublicKeyParts;
    let key = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
    assert_eq!(key.size() * 8, 3072);
}

#[tokio::test]
async fn messages_kms_would_refuse_are_refused_before_any_call() {
    // Nothing listens on the discard port: a call to KMS would fail differently.
    let sdk = crate::adapters::aws::sdk_config(&crate::adapters::aws::AwsSettings {
        region: Some("eu-north-1".into()),
        endpoint_url: Some("http://127.0.0.1:9".into()),
    })
    .await;
    let k = KmsKeySigner::new(&sdk, KmsSignerSettings::default()).unwrap();
    for len in [0, MAX_RAW_MESSAGE_BYTES + 1, 100_000] {
        let e = k.sign_message("seal-t1", &vec![1; len]).await.unwrap_err();
        assert!(
            matches!(e, KmsSignerError::MessageSize { len: l } if l == len),
            "{e}"
        );
        assert_eq!(e.code(), "kms.message_size");
        let port = k.sign("seal-t1", &vec![1; len]).await.unwrap_err();
        assert!(port.message.starts_with("kms.message_size"), "{port}");
    }
}

#[tokio::test]
async fn keys_are_not_created_unless_allowed() {
    let k = signer(KeyAlgorithm::EcdsaP256Sha256, false).await;
    for e in [
        KmsKeySigner::resolve(&k, "seal-t1", k.settings.create_missing_keys)
            .await
            .unwrap_err(),
        k.sign_message("seal-t1", b"m").await.unwrap_err(),
    ] {
        assert!(matches!(e, KmsSignerError::KeyNotFound(_)), "{e}");
        assert!(e.message_sv().contains("stacken"));
    }
    assert!(k.ensure_key("seal-t1").await.is_err());
}

#[tokio::test]
async fn key_ids_map_to_aliases_or_are_used_as_given() {
    let sdk = moto_sdk().await;
    let mut settings = KmsSignerSettings::default();
    settings
        .key_ids
        .insert("seal-b".into(), "arn:aws:kms:eu-north-1:1:key/x".into());
    let k = KmsKeySigner::new(&sdk, settings).unwrap();
    assert_eq!(k.kms_key_ref("seal-a").unwrap(), "alias/esign-seal-a");
    assert_eq!(
        k.kms_key_ref("seal-b").unwrap(),
        "arn:aws:kms:eu-north-1:1:key/x"
    );
    assert_eq!(k.kms_key_ref("alias/other").unwrap(), "alias/other");
    let uuid = "1234abcd-12ab-34cd-56ef-1234567890ab";
    assert_eq!(k.kms_key_ref(uuid).unwrap(), uuid);
    for bad in ["", "a b", "a/b", "ä"] {
        assert!(matches!(
            k.kms_key_ref(bad),
            Err(KmsSignerError::InvalidKeyId(_))
        ));
    }
    let bad_prefix = KmsSignerSettings {
        alias_prefix: "alias/aws/x-".into(),
        ..KmsSignerSettings::default()
    };
    assert!(KmsKeySigner::new(&sdk, bad_prefix).is_err());
}

#[tokio::test]
async fn a_key_of_the_other_type_is_refused() {
    let rsa = signer(KeyAlgorithm::RsaPkcs1Sha256, true).await;
    rsa.ensure_key("seal-t1").await.unwrap();
    let mut settings = rsa.settings.clone();
    settings.algorithm = KeyAlgorithm::EcdsaP256Sha256;
    let ecdsa = KmsKeySigner::new(&moto_sdk().await, settings).unwrap();
    let e = ecdsa.sign_message("seal-t1", b"m").await.unwrap_err();
    assert!(matches!(e, KmsSignerError::WrongKeyType { .. }), "{e}");
    // Looking it up without a required type tells which algorithm it has.
    let info = ecdsa.key_info("seal-t1").await.unwrap();
    assert_eq!(info.algorithm, KeyAlgorithm::RsaPkcs1Sha256);
}

fn chain_for(spki: &[u8]) -> (esign_world::pki::CertificateAuthority, Vec<Vec<u8>>) {
    use esign_world::pki::{CertificateAuthority, SubjectName};
    let now = chrono::Utc::now();
    let root = CertificateAuthority::create_root("Test Rot-CA KMS", "Testkommun", now).unwrap();
    let sub = root
        .issue_sub_ca("Test Sigill-CA KMS", "Testkommun", now)
        .unwrap();
    let leaf = sub
        .issue_seal_cert(
            &SubjectName {
                common_name: "Testkommun – sigill".into(),
                organization: "Testkommun".into(),
                organization_identifier: Some("NTRSE-2120001965".into()),
                country: "SE".into(),
            },
            spki,
            now,
        )
        .unwrap();
    (root, vec![leaf, sub.cert_der.clone()])
}

#[tokio::test]
async fn a_seal_certificate_for_another_key_is_refused_at_start() {
    let k = Arc::new(signer(KeyAlgorithm::EcdsaP256Sha256, true).await);
    let spki = k.ensure_key("seal-a").await.unwrap();
    let other = k.ensure_key("seal-b").await.unwrap();
    let (_, chain) = chain_for(&other);
    let e = KmsSealSigner::new(k.clone(), "seal-a", chain)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(e, KmsSignerError::CertificateMismatch { .. }),
        "{e}"
    );
    assert_eq!(e.code(), "kms.certificate_mismatch");
    let e = KmsSealSigner::new(k.clone(), "seal-a", vec![b"junk".to_vec()])
        .await
        .err()
        .unwrap();
    assert!(matches!(e, KmsSignerError::InvalidCertificate(_)), "{e}");
    let (_, chain) = chain_for(&spki);
    assert!(KmsSealSigner::new(k, "seal-a", chain).await.is_ok());
}

/// A whole PAdES seal whose signature KMS made, validated by pyHanko against the root.
async fn seal_validates_in_pyhanko(algorithm: KeyAlgorithm) {
    use crate::pdf::test_support::*;

    let k = Arc::new(signer(algorithm, true).await);
    let spki = k.ensure_key("seal-t1").await.unwrap();
    let (root, chain) = chain_for(&spki);
    let seal_signer = KmsSealSigner::new(k, "seal-t1", chain).await.unwrap();
    assert_eq!(
        seal_signer.algorithm(),
        match algorithm {
            KeyAlgorithm::EcdsaP256Sha256 => SealAlgorithm::EcdsaP256Sha256,
            KeyAlgorithm::RsaPkcs1Sha256 => SealAlgorithm::RsaPkcs1Sha256,
        }
    );
    let original = fixture(FIXTURE_2B);
    let sealed = seal_b_b(&original, &seal_signer).await;
    assert!(sealed.starts_with(&original));
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("sealed.pdf");
    std::fs::write(&pdf, &sealed).unwrap();
    let root_pem = dir.path().join("root.pem");
    std::fs::write(&root_pem, crate::x509::pem_encode_cert(&root.cert_der)).unwrap();
    let (code, out) = pyhanko_validate(&pdf, &root_pem);
    assert_eq!(code, 0, "pyhanko: {out}");
    assert_eq!(out.matches(":INTACT:TRUSTED").count(), 1, "pyhanko: {out}");
}

#[tokio::test]
async fn an_ecdsa_kms_seal_is_intact_and_trusted_in_pyhanko() {
    seal_validates_in_pyhanko(KeyAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn an_rsa_kms_seal_is_intact_and_trusted_in_pyhanko() {
    seal_validates_in_pyhanko(KeyAlgorithm::RsaPkcs1Sha256).await;
}
