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

    // Deleting what is not there fails; what was deleted can be created again, from version 1.
    assert!(matches!(
        s.transact(vec![Write::Delete {
            pk: "T#t1".into(),
            sk: "ORDER#404".into(),
            expect: Expect::Version(1),
        }])
        .await,
        Err(StateError::ConditionFailed { index: 0 })
    ));
    s.transact(vec![Write::Delete {
        pk: "T#t1".into(),
        sk: "ORDER#3".into(),
        expect: Expect::Version(1),
    }])
    .await
    .unwrap();
    put_new(s, "T#t1", "ORDER#3", json!({"again": true})).await;
    assert_eq!(s.get("T#t1", "ORDER#3").await.unwrap().unwrap().version, 1);

    // The data comes back exactly as written: numbers keep their form, text its letters.
    let data = json!({
        "float": 1.0, "max": u64::MAX, "min": i64::MIN, "half": 0.5, "null": null, "empty": "",
        "list": [[], {}, false], "text": "Åsa Öberg justerar §§ 12–14 \u{1F58A}",
    });
    put_new(s, "T#t1", "DOC#json", data.clone()).await;
    let got = s.get("T#t1", "DOC#json").await.unwrap().unwrap().data;
    assert_eq!(
        serde_json::to_string(&got).unwrap(),
        serde_json::to_string(&data).unwrap()
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

/// The queue's contract: every job reaches the queue of its kind, as itself. `delivered(n)`
/// waits until `n` messages arrived (or gives up) and returns what reached each queue so far,
/// as `(queue name, job)`. At least once: a duplicate is allowed, a loss or a stranger is not.
pub async fn queue_suite<F, Fut>(q: &dyn Queue, mut delivered: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = Vec<(String, Job)>>,
{
    let jobs = vec![
        Job::Seal {
            tenant: "t1".into(),
            order_id: "2c0ad332-f2cc-482c-a791-327cc81d1aa0".into(),
        },
        Job::Publish {
            tenant: "t1".into(),
            order_id: "2c0ad332-f2cc-482c-a791-327cc81d1aa0".into(),
        },
        Job::ArchiveExport {
            tenant: "t2".into(),
            order_id: "o-2".into(),
        },
        Job::Seal {
            tenant: "t2".into(),
            order_id: "o-3".into(),
        },
    ];
    for job in &jobs {
        q.enqueue(job.clone()).await.unwrap();
    }
    let got = delivered(jobs.len()).await;
    for (queue, job) in &got {
        assert_eq!(queue, job.queue_name(), "{job:?} on the wrong queue");
    }
    let key = |j: &Job| serde_json::to_string(j).unwrap();
    let mut want: Vec<String> = jobs.iter().map(key).collect();
    let mut seen: Vec<String> = got.iter().map(|(_, j)| key(j)).collect();
    want.sort();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, want, "every job arrives, and nothing else");
}

/// The mailer's contract: what is sent arrives to its recipient with the exact subject and
/// text (Swedish letters, long lines, several paragraphs), and a malformed recipient (or one
/// that smuggles a header) is refused before anything is sent. `sent()` returns the mails
/// that reached `to` so far.
pub async fn mailer_suite<F, Fut>(m: &dyn Mailer, to: &str, mut sent: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Vec<OutgoingMail>>,
{
    let mail = OutgoingMail {
        to: to.into(),
        subject: "Protokoll att justera: Kultur- och fritidsnämnden §§ 12–14 (Åre, Övik)".into(),
        text: format!(
            "Hej Åsa Öberg!\n\nDu ombeds justera protokollet från sammanträdet 2026-11-23.\n\
             Öppna länken och logga in med BankID:\nhttps://esign.example.se/portal/orders/abc\n\n\
             {}\n.\nFrom the secretary: “citat” – tack!\n",
            "En lång rad utan radbrytning som är längre än sjuttiosex tecken, för att se att \
             inget bryts eller kodas om på vägen. "
                .repeat(3)
        ),
    };
    m.send(&mail).await.unwrap();
    let got = sent().await;
    assert_eq!(got, vec![mail.clone()]);
    for bad in [
        "not an address",
        "",
        "anna@example.se\r\nBcc: eve@example.se",
    ] {
        let refused = m
            .send(&OutgoingMail {
                to: bad.into(),
                ..mail.clone()
            })
            .await;
        assert!(refused.is_err(), "{bad:?} accepted");
    }
    assert_eq!(sent().await.len(), 1, "nothing more was sent");
}

#[cfg(all(test, feature = "embedded"))]
mod tests {
    use super::*;
    use crate::adapters::embedded::InProcessQueue;
    use crate::ports::{JobFailure, JobHandler};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Job>>);

    #[async_trait::async_trait]
    impl JobHandler for Recorder {
        async fn handle(&self, job: &Job) -> Result<(), JobFailure> {
            self.0.lock().unwrap().push(job.clone());
            Ok(())
        }
    }

    #[tokio::test]
    async fn the_in_process_queue_meets_the_queue_suite() {
        let (q, worker) = InProcessQueue::new(None);
        let seen = Arc::new(Recorder::default());
        tokio::spawn(worker.run(seen.clone()));
        queue_suite(&q, |_| {
            let (q, seen) = (q.clone(), seen.clone());
            async move {
                q.wait_idle().await;
                // One worker serves every kind: a job's queue is its kind.
                let jobs = seen.0.lock().unwrap().clone();
                jobs.into_iter()
                    .map(|j| (j.queue_name().to_string(), j))
                    .collect()
            }
        })
        .await;
    }
}
