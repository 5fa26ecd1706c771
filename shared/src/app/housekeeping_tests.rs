//! Housekeeping's cost grows with the active orders and the notices up, never with all
//! history; and one order that cannot be read does not stop the others' reminders and expiry.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::app::test_objects::{ObjectCall, ObjectWatch, WatchedObjects};
use crate::app::{test_app, App, CreateOrderInput};
use crate::domain::{OrderStatus, SigningOrder, TenantId};
use crate::ports::{Clock, Expect, PersonalDataCipher, PortError, Write};
use crate::repo::{files, OrderRepo};

/// The cipher, counting decryptions: each order loaded decrypts its signers' personnummer.
struct CountingCipher {
    inner: Arc<dyn PersonalDataCipher>,
    decrypted: AtomicUsize,
}

#[async_trait::async_trait]
impl PersonalDataCipher for CountingCipher {
    async fn encrypt(&self, plaintext: &[u8]) -> Result<String, PortError> {
        self.inner.encrypt(plaintext).await
    }
    async fn decrypt(&self, ciphertext: &str) -> Result<Vec<u8>, PortError> {
        self.decrypted.fetch_add(1, Ordering::SeqCst);
        self.inner.decrypt(ciphertext).await
    }
    fn lookup_hash(&self, plaintext: &[u8]) -> String {
        self.inner.lookup_hash(plaintext)
    }
}

/// Counts reads of public notices.
#[derive(Default)]
struct NoticeReads(AtomicUsize);

impl ObjectWatch for NoticeReads {
    fn before(&self, call: ObjectCall, key: &str) -> Result<(), PortError> {
        if call == ObjectCall::Get && key.starts_with("public/") && key.ends_with(".json") {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}

/// `n` one-signer orders of the tenant `kommun` with the given deadlines (None: the default).
async fn orders(
    t: &test_app::TestApp,
    deadlines: &[Option<chrono::DateTime<chrono::Utc>>],
) -> Vec<SigningOrder> {
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    let input = t
        .protocol_order(&staff, &[("Åsa", "191212121212", None)])
        .await;
    let mut out = Vec::new();
    for deadline in deadlines {
        let order = t
            .app
            .orders
            .create_order(
                &staff,
                CreateOrderInput {
                    deadline: *deadline,
                    ..input.clone()
                },
            )
            .await
            .unwrap();
        out.push(order);
    }
    out
}

#[tokio::test]
async fn a_round_reads_the_active_orders_and_the_notices_up_not_all_history() {
    let t = test_app::start().await;
    let made = orders(&t, &[None; 8]).await;
    let repo = OrderRepo::new(t.ports.state.clone(), t.ports.cipher.clone());
    // Seven of them are history: exported long ago.
    for o in &made[1..] {
        repo.update_with(&o.tenant, o.id, |o| {
            o.status = OrderStatus::Exported;
            Ok::<_, crate::app::AppError>(())
        })
        .await
        .unwrap();
    }
    // And twenty notices of years past lie public (the permanent record of the board).
    let tenant = TenantId::parse("kommun").unwrap();
    for i in 0..20u32 {
        let mut notice: serde_json::Value = serde_json::json!({
            "tenant_name": "kommun kommun", "organ": "KS", "meeting_date": "2020-01-01",
            "paragraphs": "§ 1", "justering_date": "2020-01-02", "posted": "2020-01-03",
            "appeal_ends": "2020-01-24", "taken_down": "2020-01-25", "posted_late": false,
            "storage_place": "Kansliet", "document_title": "Protokoll", "publication_url": null,
        });
        notice["paragraphs"] = format!("§ {i}").into();
        let id = crate::domain::OrderId::new();
        t.ports
            .objects
            .put(
                &files::public(&tenant, &format!("{id}.json")),
                Bytes::from(serde_json::to_vec(&notice).unwrap()),
                "application/json",
            )
            .await
            .unwrap();
    }
    let cipher = Arc::new(CountingCipher {
        inner: t.ports.cipher.clone(),
        decrypted: AtomicUsize::new(0),
    });
    let objects = Arc::new(WatchedObjects {
        inner: t.ports.objects.clone(),
        watch: NoticeReads::default(),
    });
    let app: App = t.app_with(|p| {
        p.cipher = cipher.clone();
        p.objects = objects.clone();
    });
    // The first round may read what was made before the indexes existed, once.
    app.housekeeping.run().await.unwrap();
    cipher.decrypted.store(0, Ordering::SeqCst);
    objects.watch.0.store(0, Ordering::SeqCst);
    let report = app.housekeeping.run().await.unwrap();
    assert_eq!(report.failures, 0, "{report:?}");
    assert!(
        cipher.decrypted.load(Ordering::SeqCst) <= 1,
        "orders decrypted in a round: {} (one is active)",
        cipher.decrypted.load(Ordering::SeqCst)
    );
    assert_eq!(
        objects.watch.0.load(Ordering::SeqCst),
        0,
        "notices read in a round with none up"
    );
}

#[tokio::test]
async fn an_order_that_cannot_be_read_is_reported_and_the_others_expire() {
    let t = test_app::start().await;
    let soon = t.clock.now() + chrono::Duration::hours(1);
    let made = orders(&t, &[Some(soon), Some(soon)]).await;
    // The first order's record is damaged (a bad restore, a bug of an older version).
    let pk = format!("T#{}", made[0].tenant);
    let sk = format!("ORDER#{}", made[0].id);
    let stored = t.ports.state.get(&pk, &sk).await.unwrap().unwrap();
    let mut damaged = stored.clone();
    damaged.data = serde_json::json!({"status": "open", "signers": "?"});
    t.ports
        .state
        .transact(vec![Write::Put {
            item: damaged,
            expect: Expect::Version(stored.version),
        }])
        .await
        .unwrap();
    t.clock.advance(chrono::Duration::hours(2));
    let report = t.app.housekeeping.run().await.unwrap();
    assert_eq!(report.expired, 1, "{report:?}");
    assert_eq!(
        report.failures, 1,
        "the damaged order is reported: {report:?}"
    );
    let repo = OrderRepo::new(t.ports.state.clone(), t.ports.cipher.clone());
    let other = repo
        .load(&made[1].tenant, made[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.value.status, OrderStatus::Expired);
}

#[tokio::test]
async fn orders_made_before_the_index_existed_are_found() {
    let t = test_app::start().await;
    let soon = t.clock.now() + chrono::Duration::hours(1);
    let made = orders(&t, &[Some(soon)]).await;
    // As a tenant of an older version holds it: no index entry, no mark that it is built.
    let pk = format!("T#{}", made[0].tenant);
    for sk in [format!("ACTIVE#{}", made[0].id), "ACTIVE_INDEX".to_string()] {
        let entry = t.ports.state.get(&pk, &sk).await.unwrap().expect(&sk);
        t.ports
            .state
            .transact(vec![Write::Delete {
                pk: pk.clone(),
                sk,
                expect: Expect::Version(entry.version),
            }])
            .await
            .unwrap();
    }
    t.clock.advance(chrono::Duration::hours(2));
    let report = t.app.housekeeping.run().await.unwrap();
    assert_eq!((report.expired, report.failures), (1, 0), "{report:?}");
    // Built once: the mark is there, and the expired order left the index.
    assert!(t
        .ports
        .state
        .get(&pk, "ACTIVE_INDEX")
        .await
        .unwrap()
        .is_some());
    let repo = OrderRepo::new(t.ports.state.clone(), t.ports.cipher.clone());
    assert!(repo.active(&made[0].tenant).await.unwrap().is_empty());
}
