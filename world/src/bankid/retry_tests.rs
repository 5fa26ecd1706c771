//! The client's retries against the simulator's fault injection, over mutual TLS. The sleeper
//! is injected: it records the delays and returns at once, so no test waits.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::json;

use crate::bankid::sim_harness_tests::SimHarness;
use crate::bankid::simulator::SimulatorConfig;
use esign_shared::bankid::client::{BankIdClient, RetryPolicy};
use esign_shared::bankid::error::BankIdError;
use esign_shared::bankid::types::AuthRequest;

struct Harness {
    /// The simulator over mutual TLS, on the wall clock.
    sim: SimHarness,
    delays: Arc<Mutex<Vec<Duration>>>,
}

impl Harness {
    async fn start() -> Harness {
        Harness {
            sim: SimHarness::start_with(SimulatorConfig::default(), Some(Arc::new(Utc::now))).await,
            delays: Arc::default(),
        }
    }

    /// A policy with 10 ms → 20 ms → 40 ms … backoff whose sleeps only record the delay.
    fn policy(&self) -> RetryPolicy {
        let delays = self.delays.clone();
        RetryPolicy {
            max_attempts: 4,
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(1_000),
            max_total_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(5),
            retry_internal_error: true,
            sleeper: Arc::new(move |delay| {
                delays.lock().expect("delays").push(delay);
                Box::pin(async {})
            }),
        }
    }

    /// A client with the RP certificate, pinned to the simulator's root.
    fn client(&self, policy: RetryPolicy) -> BankIdClient {
        self.sim.client_with(policy)
    }

    async fn inject(&self, body: serde_json::Value) {
        self.sim.post_ok("/sim/inject-error", body).await;
    }

    fn take_delays(&self) -> Vec<Duration> {
        std::mem::take(&mut *self.delays.lock().expect("delays"))
    }
}

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|v| Duration::from_millis(*v)).collect()
}

fn request() -> AuthRequest {
    AuthRequest {
        end_user_ip: "192.0.2.1".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn maintenance_and_internal_error_are_retried_with_exponential_backoff() {
    let h = Harness::start().await;
    let client = h.client(h.policy());
    h.inject(json!({"errorCode": "maintenance", "count": 2}))
        .await;
    client.auth(&request()).await.expect("third call succeeds");
    assert_eq!(h.take_delays(), ms(&[10, 20]));
    h.inject(json!({"errorCode": "internalError", "count": 3}))
        .await;
    client.auth(&request()).await.expect("fourth call succeeds");
    assert_eq!(h.take_delays(), ms(&[10, 20, 40]));
}

#[tokio::test]
async fn retries_stop_after_max_attempts_and_total_delay() {
    let h = Harness::start().await;
    let client = h.client(h.policy());
    h.inject(json!({"errorCode": "maintenance", "count": 4}))
        .await;
    let err = client.auth(&request()).await.expect_err("4 calls, all 503");
    assert!(matches!(err, BankIdError::Maintenance { .. }), "{err:?}");
    assert_eq!(h.take_delays(), ms(&[10, 20, 40]));
    // Exactly four calls were made: the injection is used up.
    client.auth(&request()).await.expect("no injection left");
    assert!(h.take_delays().is_empty());

    // Total budget 25 ms: 10 fits, 10 + 20 does not.
    let budget = RetryPolicy {
        max_total_delay: Duration::from_millis(25),
        ..h.policy()
    };
    h.inject(json!({"errorCode": "internalError", "count": 3}))
        .await;
    let err = h
        .client(budget)
        .auth(&request())
        .await
        .expect_err("budget spent");
    assert!(matches!(err, BankIdError::InternalError { .. }), "{err:?}");
    assert_eq!(h.take_delays(), ms(&[10]));
    // Backoff is capped at max_delay.
    let capped = RetryPolicy {
        max_delay: Duration::from_millis(15),
        ..h.policy()
    };
    h.inject(json!({"errorCode": "maintenance", "count": 4}))
        .await;
    h.client(capped)
        .auth(&request())
        .await
        .expect_err("all 503");
    assert_eq!(h.take_delays(), ms(&[10, 15, 15]));
    client.auth(&request()).await.expect("injection used up");
}

#[tokio::test]
async fn too_many_requests_honours_retry_after_within_a_bound() {
    let h = Harness::start().await;
    let client = h.client(h.policy());
    // The simulator sends RateLimit-Reset: 2.
    h.inject(json!({"errorCode": "tooManyRequests"})).await;
    client.auth(&request()).await.expect("retried after 2 s");
    assert_eq!(h.take_delays(), vec![Duration::from_secs(2)]);
    // Retry-After wins over RateLimit-Reset.
    h.inject(json!({"errorCode": "tooManyRequests", "retryAfterSeconds": 3}))
        .await;
    client.auth(&request()).await.expect("retried after 3 s");
    assert_eq!(h.take_delays(), vec![Duration::from_secs(3)]);
    // Asked to wait longer than the bound: give up at once and tell the caller how long.
    h.inject(json!({"errorCode": "tooManyRequests", "retryAfterSeconds": 60}))
        .await;
    let err = client.auth(&request()).await.expect_err("too long a wait");
    assert!(
        matches!(
            err,
            BankIdError::TooManyRequests {
                retry_after_seconds: Some(60),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(h.take_delays().is_empty());
}

#[tokio::test]
async fn other_errors_are_never_retried() {
    let h = Harness::start().await;
    let client = h.client(h.policy());
    for code in [
        "alreadyInProgress",
        "invalidParameters",
        "unauthorized",
        "notFound",
        "requestTimeout",
        "unsupportedMediaType",
        "methodNotAllowed",
        "brandNewError",
    ] {
        h.inject(json!({"errorCode": code, "count": 1})).await;
        let err = client.auth(&request()).await.expect_err(code);
        assert_eq!(err.error_code(), code);
        assert!(h.take_delays().is_empty(), "{code} was retried");
    }
    // Transport errors neither (nothing listens on port 9).
    let dead = BankIdClient::new("https://127.0.0.1:9/rp/v6.0/", h.sim.mtls_http.clone())
        .with_retry_policy(h.policy());
    assert!(matches!(
        dead.auth(&request()).await,
        Err(BankIdError::Transport(_))
    ));
    assert!(h.take_delays().is_empty());
    // The strict reading of BankID's table: internalError not retried.
    let strict = RetryPolicy {
        retry_internal_error: false,
        ..h.policy()
    };
    h.inject(json!({"errorCode": "internalError", "count": 1}))
        .await;
    let err = h.client(strict).auth(&request()).await.expect_err("500");
    assert!(matches!(err, BankIdError::InternalError { .. }));
    assert!(h.take_delays().is_empty());
    // RetryPolicy::none makes exactly one call.
    h.inject(json!({"errorCode": "maintenance", "count": 1}))
        .await;
    assert!(h
        .client(RetryPolicy::none())
        .auth(&request())
        .await
        .is_err());
    client.auth(&request()).await.expect("nothing left");
}

#[test]
fn default_policy_is_bounded() {
    let policy = RetryPolicy::default();
    let maintenance = BankIdError::Maintenance {
        details: String::new(),
    };
    let mut waited = Duration::ZERO;
    let mut retries = 0;
    while let Some(delay) = policy.delay_for(&maintenance, retries, waited) {
        waited += delay;
        retries += 1;
    }
    assert_eq!(retries, 3);
    assert!(waited <= policy.max_total_delay);
    assert_eq!(
        waited,
        Duration::from_millis(250 + 500 + 1_000),
        "250 ms doubling"
    );
}
