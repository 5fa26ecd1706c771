use super::*;
use crate::adapters::aws::sdk_config;
use crate::adapters::aws::test_support::{moto_settings, unique_name};
use crate::port_tests::{item, put_new};
use serde_json::json;

async fn store() -> DynamoStateStore {
    let config = sdk_config(&moto_settings()).await;
    let store = DynamoStateStore::from_conf(&config, unique_name("esign-state"));
    create_table(store.client(), store.table()).await.unwrap();
    store
}

#[tokio::test]
async fn behaves_like_a_state_store() {
    crate::port_tests::state_store_suite(&store().await).await;
}

#[tokio::test]
async fn create_table_is_idempotent_and_turns_on_ttl() {
    let s = store().await;
    create_table(s.client(), s.table()).await.unwrap();
    let ttl = s
        .client()
        .describe_time_to_live()
        .table_name(s.table())
        .send()
        .await
        .unwrap();
    let d = ttl.time_to_live_description().unwrap();
    assert_eq!(d.attribute_name(), Some(EXPIRES_AT));
}

#[tokio::test]
async fn every_json_value_round_trips_exactly() {
    let s = store().await;
    let data = json!({
        "float_one": 1.0, "int": 1, "neg": -17, "big": u64::MAX, "small": i64::MIN,
        "third": 1.0 / 3.0, "tiny": 5e-324, "empty": "", "null": null,
        "nested": {"list": [[], {}, "", false, 0.5]},
        "text": "Åsa Öberg justerar § 12–14 \u{1F58A} \"quoted\" \\ back",
    });
    put_new(&s, "T#t1", "ORDER#json", data.clone()).await;
    let got = s.get("T#t1", "ORDER#json").await.unwrap().unwrap();
    assert_eq!(got.data, data);
    assert_eq!(
        serde_json::to_string(&got.data).unwrap(),
        serde_json::to_string(&data).unwrap(),
        "same numbers, same text"
    );
    // Scalars and arrays are data too.
    for v in [json!(null), json!("x"), json!([1, 2.5])] {
        let sk = format!("V#{v}");
        put_new(&s, "T#t1", &sk, v.clone()).await;
        assert_eq!(s.get("T#t1", &sk).await.unwrap().unwrap().data, v);
    }
}

#[tokio::test]
async fn queries_follow_every_page() {
    let s = store().await.with_page_limit(2);
    for n in 0..7 {
        put_new(&s, "T#t1", &format!("ORDER#{n}"), json!({ "n": n })).await;
        let mut i = item("T#t1", &format!("DOC#{n}"), json!({}));
        i.gsi1 = Some(IndexKey {
            pk: "T#t1#COMMITTEE#ks".into(),
            sk: format!("2026-11-{:02}#{n}", 20 - n),
        });
        s.transact(vec![Write::Put {
            item: i,
            expect: Expect::Absent,
        }])
        .await
        .unwrap();
    }
    let orders: Vec<_> = s
        .query("T#t1", "ORDER#")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.data["n"].as_i64().unwrap())
        .collect();
    assert_eq!(orders, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(s.query("T#t1", "").await.unwrap().len(), 14);
    let by_date: Vec<_> = s
        .query_index("T#t1#COMMITTEE#ks", "2026-11-")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.sk)
        .collect();
    assert_eq!(
        by_date,
        ["DOC#6", "DOC#5", "DOC#4", "DOC#3", "DOC#2", "DOC#1", "DOC#0"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_concurrent_writers_on_one_version_exactly_one_wins() {
    let s = store().await;
    put_new(&s, "T#t1", "ORDER#race", json!({"winner": null})).await;
    let attempt = |n: usize| {
        let s = s.clone();
        async move {
            s.transact(vec![Write::Put {
                item: item("T#t1", "ORDER#race", json!({ "winner": n })),
                expect: Expect::Version(1),
            }])
            .await
        }
    };
    let results = futures_join(attempt, 8).await;
    let winners: Vec<_> = results
        .iter()
        .enumerate()
        .filter(|(_, r)| r.is_ok())
        .map(|(n, _)| n)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(results
        .iter()
        .all(|r| r.is_ok() || matches!(r, Err(StateError::ConditionFailed { index: 0 }))));
    let got = s.get("T#t1", "ORDER#race").await.unwrap().unwrap();
    assert_eq!(
        (got.version, got.data),
        (2, json!({ "winner": winners[0] }))
    );

    // Two creators of one key: one creates, the other is told it exists.
    let create = |n: usize| {
        let s = s.clone();
        async move {
            s.transact(vec![Write::Put {
                item: item("T#t1", "ORDER#new", json!({ "creator": n })),
                expect: Expect::Absent,
            }])
            .await
        }
    };
    let results = futures_join(create, 4).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
}

/// Run `n` attempts at once on separate tasks.
async fn futures_join<F, Fut>(f: F, n: usize) -> Vec<Result<(), StateError>>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<(), StateError>> + Send + 'static,
{
    let handles: Vec<_> = (0..n).map(|i| tokio::spawn(f(i))).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test]
async fn a_transaction_whose_second_condition_fails_changes_nothing() {
    let s = store().await;
    put_new(&s, "T#t1", "ORDER#1", json!({"state": "open"})).await;
    put_new(&s, "SIGNER#h", "ORDER#t1#1", json!({})).await;
    let mut link = item("SIGNER#h2", "ORDER#t1#1", json!({}));
    link.expires_at = Some(4_102_444_800);
    let tx = s
        .transact(vec![
            Write::Put {
                item: item("T#t1", "ORDER#1", json!({"state": "recalled"})),
                expect: Expect::Version(1),
            },
            Write::Delete {
                pk: "SIGNER#h".into(),
                sk: "ORDER#t1#1".into(),
                expect: Expect::Version(7),
            },
            Write::Put {
                item: link,
                expect: Expect::Absent,
            },
        ])
        .await;
    assert!(
        matches!(tx, Err(StateError::ConditionFailed { index: 1 })),
        "{tx:?}"
    );
    let order = s.get("T#t1", "ORDER#1").await.unwrap().unwrap();
    assert_eq!((order.version, order.data), (1, json!({"state": "open"})));
    assert!(s.get("SIGNER#h", "ORDER#t1#1").await.unwrap().is_some());
    assert!(s.get("SIGNER#h2", "ORDER#t1#1").await.unwrap().is_none());
}

#[tokio::test]
async fn refuses_what_dynamodb_would_refuse_with_a_clear_error() {
    let s = store().await;
    let twice = s
        .transact(vec![
            Write::Put {
                item: item("p", "s", json!({})),
                expect: Expect::Absent,
            },
            Write::Delete {
                pk: "p".into(),
                sk: "s".into(),
                expect: Expect::Version(1),
            },
        ])
        .await;
    assert!(
        matches!(&twice, Err(StateError::Port(e)) if e.message.contains("twice")),
        "{twice:?}"
    );
    let many = (0..101)
        .map(|n| Write::Put {
            item: item("p", &n.to_string(), json!({})),
            expect: Expect::Absent,
        })
        .collect();
    assert!(matches!(s.transact(many).await, Err(StateError::Port(_))));
    // A table that is not there is an infrastructure error, not a failed condition.
    let config = sdk_config(&moto_settings()).await;
    let missing = DynamoStateStore::from_conf(&config, unique_name("no-such-table"));
    assert!(missing.get("p", "s").await.is_err());
    assert!(matches!(
        missing
            .transact(vec![Write::Put {
                item: item("p", "s", json!({})),
                expect: Expect::Absent
            }])
            .await,
        Err(StateError::Port(_))
    ));
}

#[tokio::test]
async fn stores_the_index_and_ttl_attributes_the_schema_names() {
    let s = store().await;
    let mut i = item("SESSION#x", "SESSION", json!({"a": 1}));
    i.expires_at = Some(1_900_000_000);
    i.gsi1 = Some(IndexKey {
        pk: "G".into(),
        sk: "H".into(),
    });
    s.transact(vec![Write::Put {
        item: i,
        expect: Expect::Absent,
    }])
    .await
    .unwrap();
    // Read the raw item: these names are what the template's TTL and GSI point at.
    let raw = s
        .client()
        .get_item()
        .table_name(s.table())
        .key(PK, AttributeValue::S("SESSION#x".into()))
        .key(SK, AttributeValue::S("SESSION".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(raw[EXPIRES_AT], AttributeValue::N("1900000000".into()));
    assert_eq!(raw[GSI1_PK], AttributeValue::S("G".into()));
    assert_eq!(raw[GSI1_SK], AttributeValue::S("H".into()));
    assert_eq!(raw[VERSION], AttributeValue::N("1".into()));
    assert_eq!(raw[DATA], AttributeValue::S(r#"{"a":1}"#.into()));
}
