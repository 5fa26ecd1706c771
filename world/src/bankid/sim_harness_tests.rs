//! The shared harness of the client ↔ simulator tests: the simulator served over mutual TLS on
//! 127.0.0.1 (the server certificate from a simulated "BankID SSL root", client certificates
//! from a simulated RP CA, exactly as `esign serve` runs it), the client built from
//! [`SimulatorTls::client_tls_config`] (RP certificate + pinned root, HTTPS only), and an
//! injected clock so timeouts are tested by moving it, never by sleeping.
//!
//! The phone API (`/phone/*`) and the control API (`/sim/*`) are reached over the same TLS port
//! by a client that trusts the simulator root but presents no certificate, like the browser
//! page that plays the phone. Raw RP calls (wrong content type, GET, …) use
//! [`SimHarness::mtls_http`], which does present the RP certificate.

use std::sync::{Arc, Mutex, OnceLock};

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use crate::bankid::pki::generate_simulator_ca;
use crate::bankid::simulator::{Clock, Simulator, SimulatorCa, SimulatorConfig};
use crate::bankid::tls::SimulatorTls;
use esign_shared::bankid::client::{BankIdClient, RetryPolicy};
use esign_shared::bankid::tls::TlsConfig;

/// One set of TLS material per test binary: generating CAs is the slow part, and every
/// harness gets its own simulator, port and clock anyway.
pub(super) fn tls_material() -> &'static SimulatorTls {
    static TLS: OnceLock<SimulatorTls> = OnceLock::new();
    TLS.get_or_init(|| SimulatorTls::generate(Utc::now()).expect("simulator TLS material"))
}

pub(super) struct SimHarness {
    /// `https://127.0.0.1:PORT` (no final slash).
    pub base: String,
    /// `https://127.0.0.1:PORT/rp/v6.0/`.
    pub rp_base: String,
    /// The RP's TLS configuration (identity + pinned root); build more clients from it.
    pub tls: TlsConfig,
    /// The client under test: mutual TLS, no retries (retries are tested in retry_tests).
    pub client: BankIdClient,
    /// Trusts the simulator's root, presents no client certificate: phone and control APIs.
    pub http: reqwest::Client,
    /// Presents the RP certificate: raw RP API calls.
    pub mtls_http: reqwest::Client,
    pub sim: Arc<Simulator>,
    /// The injected clock (unused when the harness runs on the wall clock).
    pub now: Arc<Mutex<DateTime<Utc>>>,
}

impl SimHarness {
    /// Default configuration, injected clock starting at the wall-clock time.
    pub async fn start() -> SimHarness {
        SimHarness::start_with(SimulatorConfig::default(), None).await
    }

    /// `config`, and the wall clock when `clock` is `Some` (otherwise the injected clock).
    pub async fn start_with(config: SimulatorConfig, clock: Option<Clock>) -> SimHarness {
        SimHarness::start_with_ca(config, clock, None).await
    }

    /// Like [`SimHarness::start_with`], the users' certificates issued by `ca` when given
    /// (otherwise by a fresh simulator CA).
    pub async fn start_with_ca(
        config: SimulatorConfig,
        clock: Option<Clock>,
        ca: Option<SimulatorCa>,
    ) -> SimHarness {
        let start = Utc::now();
        let now = Arc::new(Mutex::new(start));
        let clock = clock.unwrap_or_else(|| {
            let clock_now = now.clone();
            Arc::new(move || *clock_now.lock().expect("clock lock"))
        });
        let ca = ca.unwrap_or_else(|| generate_simulator_ca(start).expect("simulator CA"));
        let sim = Simulator::with_config(ca, clock, config);
        let material = tls_material();
        let (rp_base, _task) = material
            .spawn("127.0.0.1:0".parse().expect("addr"), sim.clone())
            .await
            .expect("simulator over TLS");
        assert!(rp_base.starts_with("https://"), "{rp_base}");
        let base = rp_base
            .strip_suffix("/rp/v6.0/")
            .expect("RP base ends in /rp/v6.0/")
            .to_string();
        let tls = material.client_tls_config().expect("client TLS config");
        let mtls_http = tls.http_client().expect("mTLS client");
        let client =
            BankIdClient::new(&rp_base, mtls_http.clone()).with_retry_policy(RetryPolicy::none());
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_der(&material.server_root_der).expect("root"),
            )
            .https_only(true)
            .build()
            .expect("phone client");
        SimHarness {
            base,
            rp_base,
            tls,
            client,
            http,
            mtls_http,
            sim,
            now,
        }
    }

    /// A client with the RP certificate and `policy`.
    pub fn client_with(&self, policy: RetryPolicy) -> BankIdClient {
        BankIdClient::new(&self.rp_base, self.mtls_http.clone()).with_retry_policy(policy)
    }

    pub fn advance(&self, seconds: i64) {
        *self.now.lock().expect("clock lock") += Duration::seconds(seconds);
    }

    pub fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock lock")
    }

    /// POST `body` to `path`: RP API paths (`/rp/…`) with the RP certificate, the phone and
    /// control APIs (e.g. `/phone/open`) without one.
    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let http = if path.starts_with("/rp/") {
            &self.mtls_http
        } else {
            &self.http
        };
        let response = http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_ok(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.post(path, body).await;
        assert_eq!(status, 200, "{path}: {value}");
        value
    }

    /// GET `path` without a client certificate, as JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        response.json().await.expect("json")
    }
}
