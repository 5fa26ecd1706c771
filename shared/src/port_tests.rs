//! The contract of each port. Every adapter runs the same suite, so the embedded default and
//! the AWS adapters cannot drift apart. Panics are the assertions.

use bytes::Bytes;
use serde_json::json;

use crate::ports::*;

pub async fn object_store_suite(s: &dyn ObjectStore) {
    let key = "tenants/t1/documents/abc/original.pdf";
    assert_eq!(s.get(key).await.unwrap(), None);
    assert!(!s.exists(key).await.unwrap());
    s.put(key, Bytes::from_static(b"%PDF-1.7 one"), "application/pdf")
        .await
        .unwrap();
    assert_eq!(s.get(key).await.unwrap().unwrap(), &b"%PDF-1.7 one"[..]);
    assert!(s.exists(key).await.unwrap());
    // Overwrite replaces the whole object.
    s.put(key, Bytes::from_static(b"two"), "application/pdf")
        .await
        .unwrap();
    assert_eq!(s.get(key).await.unwrap().unwrap(), &b"two"[..]);
    s.put(
        "tenants/t1/documents/abc/archive.pdf",
        Bytes::new(),
        "application/pdf",
    )
    .await
    .unwrap();
    s.put(
        "tenants/t2/documents/x/original.pdf",
        Bytes::from_static(b"x"),
        "application/pdf",
    )
    .await
    .unwrap();
    assert_eq!(
        s.list("tenants/t1/").await.unwrap(),
        vec![
            "tenants/t1/documents/abc/archive.pdf".to_string(),
            "tenants/t1/documents/abc/original.pdf".to_string()
        ]
    );
    assert_eq!(
        s.get("tenants/t1/documents/abc/archive.pdf")
            .await
            .unwrap()
            .unwrap()
            .len(),
        0
    );

    // Files in and out without holding them in memory: same bytes, same atomic replace.
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("in.pdf");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &big).unwrap();
    let file_key = "tenants/t1/documents/abc/archive-file.pdf";
    s.put_file(file_key, &source, "application/pdf")
        .await
        .unwrap();
    assert_eq!(s.get(file_key).await.unwrap().unwrap(), &big[..]);
    let target = dir.path().join("out.pdf");
    assert!(s.get_to_file(file_key, &target).await.unwrap());
    assert_eq!(std::fs::read(&target).unwrap(), big);
    assert!(!s
        .get_to_file("tenants/t1/none.pdf", &dir.path().join("none"))
        .await
        .unwrap());
    assert!(!dir.path().join("none").exists());
}

pub fn item(pk: &str, sk: &str, data: serde_json::Value) -> Item {
    Item {
        pk: pk.into(),
        sk: sk.into(),
        version: 0,
        data,
        gsi1: None,
        expires_at: None,
    }
}

pub async fn put_new(s: &dyn StateStore, pk: &str, sk: &str, data: serde_json::Value) {
    s.transact(vec![Write::Put {
        item: item(pk, sk, data),
        expect: Expect::Absent,
    }])
    .await
    .unwrap();
}

pub async fn state_store_suite(s: &dyn StateStore) {
    // Create, then read back with version 1.
    put_new(s, "T#t1", "ORDER#1", json!({"n": 1})).await;
    let got = s.get("T#t1", "ORDER#1").await.unwrap().unwrap();
    assert_eq!((got.version, got.data.clone()), (1, json!({"n": 1})));
    assert_eq!(s.get("T#t1", "ORDER#2").await.unwrap(), None);

    // Create twice: the second fails and changes nothing.
    let again = s
        .transact(vec![Write::Put {
            item: item("T#t1", "ORDER#1", json!({"n": 99})),
            expect: Expect::Absent,
        }])
        .await;
    assert!(matches!(
        again,
        Err(StateError::ConditionFailed { index: 0 })
    ));
    assert_eq!(
        s.get("T#t1", "ORDER#1").await.unwrap().unwrap().data,
        json!({"n": 1})
    );

    // Optimistic update: right version wins, stale version loses.
    s.transact(vec![Write::Put {
        item: item("T#t1", "ORDER#1", json!({"n": 2})),
        expect: Expect::Version(1),
    }])
    .await
    .unwrap();
    let stale = s
        .transact(vec![Write::Put {
            item: item("T#t1", "ORDER#1", json!({"n": 3})),
            expect: Expect::Version(1),
        }])
        .await;
    assert!(matches!(
        stale,
        Err(StateError::ConditionFailed { index: 0 })
    ));
    let got = s.get("T#t1", "ORDER#1").await.unwrap().unwrap();
    assert_eq!((got.version, got.data), (2, json!({"n": 2})));
    // Updating something that does not exist fails.
    assert!(s
        .transact(vec![Write::Put {
            item: item("T#t1", "ORDER#404", json!({})),
            expect: Expect::Version(1),
        }])
        .await
        .is_err());

    // Transactions are all or nothing.
    let tx = s
        .transact(vec![
            Write::Put {
                item: item("T#t1", "ORDER#3", json!({})),
                expect: Expect::Absent,
            },
            Write::Put {
                item: item("T#t1", "ORDER#1", json!({"n": 4})),
                expect: Expect::Version(1),
            },
        ])
        .await;
    assert!(matches!(tx, Err(StateError::ConditionFailed { index: 1 })));
    assert_eq!(s.get("T#t1", "ORDER#3").await.unwrap(), None);
    s.transact(vec![
        Write::Put {
            item: item("T#t1", "ORDER#3", json!({})),
            expect: Expect::Absent,
        },
        Write::Put {
            item: item("T#t1", "ORDER#1", json!({"n": 4})),
            expect: Expect::Version(2),
        },
    ])
    .await
    .unwrap();
    assert_eq!(s.get("T#t1", "ORDER#1").await.unwrap().unwrap().version, 3);

    // Query by partition and sort-key prefix, sorted; other partitions never leak in.
    put_new(s, "T#t2", "ORDER#1", json!({"other": true})).await;
    put_new(s, "T#t1", "DOC#a", json!({})).await;
    let orders: Vec<_> = s
        .query("T#t1", "ORDER#")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.sk)
        .collect();
    assert_eq!(orders, ["ORDER#1", "ORDER#3"]);
    assert_eq!(
        s.query("T#t", "").await.unwrap().len(),
        0,
        "prefix of pk must not match"
    );

    // Index: items move with their index key on update and leave it on delete.
    let mut a = item("T#t1", "ORDER#10", json!({}));
    a.gsi1 = Some(IndexKey {
        pk: "SIGNER#h1".into(),
        sk: "2026-11-23#10".into(),
    });
    s.transact(vec![Write::Put {
        item: a.clone(),
        expect: Expect::Absent,
    }])
    .await
    .unwrap();
    let mut b = item("T#t2", "ORDER#11", json!({}));
    b.gsi1 = Some(IndexKey {
        pk: "SIGNER#h1".into(),
        sk: "2026-11-24#11".into(),
    });
    s.transact(vec![Write::Put {
        item: b,
        expect: Expect::Absent,
    }])
    .await
    .unwrap();
    let hits: Vec<_> = s
        .query_index("SIGNER#h1", "")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.sk)
        .collect();
    assert_eq!(hits, ["ORDER#10", "ORDER#11"]);
    assert!(s.query_index("SIGNER#h", "").await.unwrap().is_empty());
    a.gsi1 = Some(IndexKey {
        pk: "SIGNER#h2".into(),
        sk: "x".into(),
    });
    s.transact(vec![Write::Put {
        item: a,
        expect: Expect::Version(1),
    }])
    .await
    .unwrap();
    assert_eq!(s.query_index("SIGNER#h1", "").await.unwrap().len(), 1);
    assert_eq!(s.query_index("SIGNER#h2", "").await.unwrap().len(), 1);
    s.transact(vec![Write::Delete {
        pk: "T#t1".into(),
        sk: "ORDER#10".into(),
        expect: Expect::Version(2),
    }])
    .await
    .unwrap();
    assert!(s.query_index("SIGNER#h2", "").await.unwrap().is_empty());
    assert_eq!(s.get("T#t1", "ORDER#10").await.unwrap(), None);

    // Expiry is data: the store keeps it (DynamoDB TTL deletes lazily), readers check it.
    let mut e = item("SESSION#x", "SESSION", json!({}));
    e.expires_at = Some(1);
    s.transact(vec![Write::Put {
        item: e,
        expect: Expect::Absent,
    }])
    .await
    .unwrap();
    assert_eq!(
        s.get("SESSION#x", "SESSION")
            .await
            .unwrap()
            .unwrap()
            .expires_at,
        Some(1)
    );
}

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
