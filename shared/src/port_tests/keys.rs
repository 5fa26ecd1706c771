//! The key signer's contract (a software key, KMS).

use crate::ports::{KeyAlgorithm, KeySigner};

pub async fn key_signer_suite(k: &dyn KeySigner) {
    use p256::ecdsa::{signature::Verifier, DerSignature, VerifyingKey};
    use p256::pkcs8::DecodePublicKey;

    let spki = k.ensure_key("tenant-t1").await.unwrap();
    assert_eq!(
        k.ensure_key("tenant-t1").await.unwrap(),
        spki,
        "ensure_key is idempotent"
    );
    assert_eq!(k.public_key("tenant-t1").await.unwrap(), spki);
    let other = k.ensure_key("tenant-t2").await.unwrap();
    assert_ne!(other, spki, "each key id has its own key");
    let msg = b"the DER of the signed attributes";
    let sig = k.sign("tenant-t1", msg).await.unwrap();
    match k.algorithm() {
        KeyAlgorithm::EcdsaP256Sha256 => {
            let vk = VerifyingKey::from_public_key_der(&spki).unwrap();
            let sig = DerSignature::from_bytes(&sig).unwrap();
            vk.verify(msg, &sig).unwrap();
            assert!(vk.verify(b"another message", &sig).is_err());
        }
        KeyAlgorithm::RsaPkcs1Sha256 => {
            use rsa::pkcs8::DecodePublicKey as _;
            let pk = rsa::RsaPublicKey::from_public_key_der(&spki).unwrap();
            let vk = rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(pk);
            let sig = rsa::pkcs1v15::Signature::try_from(sig.as_slice()).unwrap();
            vk.verify(msg, &sig).unwrap();
        }
    }
    assert!(k.sign("no-such-key", msg).await.is_err());
}
