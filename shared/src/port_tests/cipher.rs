//! The personal-data cipher's contract (local data key, KMS-wrapped data key).

use crate::ports::PersonalDataCipher;

pub async fn cipher_suite(c: &dyn PersonalDataCipher) {
    let a = c.encrypt(b"191212121212").await.unwrap();
    let b = c.encrypt(b"191212121212").await.unwrap();
    assert_ne!(a, b, "encryption is randomised");
    assert!(!a.contains("191212121212"));
    assert_eq!(c.decrypt(&a).await.unwrap(), b"191212121212");
    assert_eq!(
        c.lookup_hash(b"191212121212"),
        c.lookup_hash(b"191212121212")
    );
    assert_ne!(
        c.lookup_hash(b"191212121212"),
        c.lookup_hash(b"201701102384")
    );
    // Tampering is detected, never silently decrypted.
    let mut bad = a.clone().into_bytes();
    let last = bad.len() - 3;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    assert!(c.decrypt(std::str::from_utf8(&bad).unwrap()).await.is_err());
    assert!(c.decrypt("garbage").await.is_err());
}
