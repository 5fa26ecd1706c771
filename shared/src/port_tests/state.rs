//! The state store's contract (redb, DynamoDB): versions, conditions, transactions, the
//! index and the data as written.

use serde_json::json;

use crate::ports::{Expect, IndexKey, Item, StateError, StateStore, Write};

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
