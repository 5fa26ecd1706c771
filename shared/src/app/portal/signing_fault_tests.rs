//! A signature BankID completed always counts. BankID answers `complete` once (a second
//! collect of a completed order is refused), so whatever write fails after that answer, the
//! signer's next poll must complete the signature from what we stored, and evidence that
//! counts is never overwritten.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use crate::app::{test_app, CollectOutcome};
use crate::domain::OrderStatus;
use crate::ports::{Item, PortError, StateError, StateStore, Write};

/// The state store, but the next `failures` writes of a signing order fail (as a DynamoDB
/// error, a KMS error or a timeout would), and the next `conflicts` lose the race to another
/// writer (as when several signers finish at once).
struct OrderWritesFail {
    inner: Arc<dyn StateStore>,
    failures: AtomicU32,
    conflicts: AtomicU32,
}

fn take(counter: &AtomicU32) -> bool {
    counter
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
        .is_ok()
}

#[async_trait::async_trait]
impl StateStore for OrderWritesFail {
    async fn get(&self, pk: &str, sk: &str) -> Result<Option<Item>, PortError> {
        self.inner.get(pk, sk).await
    }
    async fn transact(&self, writes: Vec<Write>) -> Result<(), StateError> {
        let touches_order = writes.iter().any(|w| match w {
            Write::Put { item, .. } => item.sk.starts_with("ORDER#"),
            Write::Delete { sk, .. } => sk.starts_with("ORDER#"),
        });
        if touches_order && take(&self.failures) {
            return Err(PortError::new("state", "injected: the order write failed").into());
        }
        if touches_order && take(&self.conflicts) {
            return Err(StateError::ConditionFailed { index: 0 });
        }
        self.inner.transact(writes).await
    }
    async fn query(&self, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        self.inner.query(pk, sk_prefix).await
    }
    async fn query_index(&self, gsi_pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        self.inner.query_index(gsi_pk, sk_prefix).await
    }
}

/// A one-signer order whose signer (Åsa) has approved in BankID, on a portal whose state
/// store is `failing`: the app, her session, the order and the BankID order to collect.
async fn approved_in_bankid(
    t: &test_app::TestApp,
    failing: &Arc<OrderWritesFail>,
) -> (
    crate::app::App,
    crate::app::SignerSession,
    crate::domain::SigningOrder,
    crate::app::StartedEid,
) {
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    let input = t
        .protocol_order(&staff, &[("Åsa", "191212121212", None)])
        .await;
    let order = t.app.orders.create_order(&staff, input).await.unwrap();

    let app = t.app_with(|ports| ports.state = failing.clone());
    let (session, started) = t
        .approved_in_bankid(&app, "kommun", &order, "191212121212")
        .await;
    (app, session, order, started)
}

fn failing_state(t: &test_app::TestApp) -> Arc<OrderWritesFail> {
    Arc::new(OrderWritesFail {
        inner: t.ports.state.clone(),
        failures: AtomicU32::new(0),
        conflicts: AtomicU32::new(0),
    })
}

#[tokio::test]
async fn a_signature_completed_in_bankid_counts_when_the_order_write_fails() {
    let t = test_app::start().await;
    // The portal whose order writes fail once, from the moment BankID completes.
    let failing = failing_state(&t);
    let (app, session, order, started) = approved_in_bankid(&t, &failing).await;
    failing.failures.store(1, Ordering::SeqCst);
    let first = app
        .portal
        .collect_signing(&session, &started.order_ref)
        .await;
    assert!(
        first.is_err(),
        "the injected failure reaches the caller: {first:?}"
    );

    // The signer's page polls again (after BankID's two seconds): the signature counts.
    t.clock.advance(chrono::Duration::seconds(3));
    let again = app
        .portal
        .collect_signing(&session, &started.order_ref)
        .await
        .unwrap();
    assert!(
        matches!(
            again,
            CollectOutcome::Complete {
                order_status: OrderStatus::Completed
            }
        ),
        "{again:?}"
    );
    let stored = t
        .app
        .portal
        .my_orders(&session)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.id == order.id)
        .unwrap();
    assert_eq!(stored.status, OrderStatus::Completed);
    // The evidence is stored under the BankID order it came from.
    let crate::domain::SignatureState::Signed { evidence_key, .. } =
        stored.current().signatures[0].clone()
    else {
        panic!("not signed: {stored:?}")
    };
    let evidence = t.ports.objects.get(&evidence_key).await.unwrap().unwrap();
    let evidence: serde_json::Value = serde_json::from_slice(&evidence).unwrap();
    let bankid_ref = evidence["order_ref"].as_str().unwrap();
    assert!(evidence_key.contains(bankid_ref), "{evidence_key}");
}

/// Several signers finishing at once: the order write loses the race more often than a few
/// immediate retries absorb. Retries back off and the signature is recorded in the same poll.
#[tokio::test]
async fn a_signature_survives_signers_racing_for_the_order() {
    let t = test_app::start().await;
    let failing = failing_state(&t);
    let (app, session, _order, started) = approved_in_bankid(&t, &failing).await;
    failing.conflicts.store(7, Ordering::SeqCst);
    let outcome = app
        .portal
        .collect_signing(&session, &started.order_ref)
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            CollectOutcome::Complete {
                order_status: OrderStatus::Completed
            }
        ),
        "{outcome:?}"
    );
    assert_eq!(failing.conflicts.load(Ordering::SeqCst), 0);
}
