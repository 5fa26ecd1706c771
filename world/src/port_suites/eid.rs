//! The eID provider suite against `BankIdProvider` and the simulator, over plain HTTP (as the
//! use-case tests run it) and over mutual TLS (as `esign serve` and BankID do).

use std::sync::Arc;

use chrono::Utc;
use serde_json::{json, Value};

use crate::bankid::tls::SimulatorTls;
use crate::bankid::{generate_simulator_ca, router, Simulator};
use esign_shared::bankid::provider::BankIdProvider;
use esign_shared::bankid::BankIdClient;
use esign_shared::port_tests::eid_provider_suite;

/// A simulator on the wall clock (the provider verifies evidence at the real time).
fn simulator() -> Arc<Simulator> {
    let ca = generate_simulator_ca(Utc::now()).expect("simulator CA");
    Simulator::new(ca, Arc::new(Utc::now))
}

/// The signer's phone, through the simulator's phone API at `base` (over `http`): open the
/// order by its autostart token, identify as `personal_number`, confirm with the security code.
async fn phone_approves(http: &reqwest::Client, base: &str, token: &str, personal_number: &str) {
    let post = |path: &str, body: Value| {
        let request = http.post(format!("{base}/phone/{path}")).json(&body);
        let path = path.to_string();
        async move {
            let answer = request.send().await.expect("the phone API");
            let status = answer.status();
            let body: Value = answer.json().await.unwrap_or(Value::Null);
            assert!(status.is_success(), "phone/{path}: {status} {body}");
            body
        }
    };
    let opened = post("open", json!({ "autoStartToken": token })).await;
    let order_ref = opened["orderRef"].as_str().expect("orderRef").to_string();
    post(
        "identify",
        json!({"orderRef": order_ref, "personalNumber": personal_number,
               "givenName": "Tolvan", "surname": "Tolvansson"}),
    )
    .await;
    post("confirm", json!({ "orderRef": order_ref })).await;
}

#[tokio::test]
async fn bankid_over_http_behaves_like_an_eid_provider() {
    let sim = simulator();
    let anchors = sim.trust_anchors();
    let base = crate::testkit::serve(router(sim)).await;
    let provider = BankIdProvider::new(
        BankIdClient::new(&format!("{base}/rp/v6.0/"), reqwest::Client::new()),
        anchors,
    );
    let phone = reqwest::Client::new();
    eid_provider_suite(&provider, |token, pnr| {
        let (phone, base) = (phone.clone(), base.clone());
        async move { phone_approves(&phone, &base, &token, &pnr).await }
    })
    .await;
}

#[tokio::test]
async fn bankid_over_mutual_tls_behaves_like_an_eid_provider() {
    let sim = simulator();
    let anchors = sim.trust_anchors();
    let tls = SimulatorTls::generate(Utc::now()).expect("TLS material");
    let (rp_base, _server) = tls
        .spawn("127.0.0.1:0".parse().expect("address"), sim)
        .await
        .expect("the simulator over TLS");
    // The client as production builds it: RP certificate, the pinned server root, HTTPS only.
    let client = tls
        .client_tls_config()
        .expect("client TLS configuration")
        .bankid_client(&rp_base)
        .expect("BankID client");
    let provider = BankIdProvider::new(client, anchors);
    // The phone trusts the simulator's root and has no client certificate (like its page).
    let phone = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_der(&tls.server_root_der).expect("root"))
        .https_only(true)
        .build()
        .expect("phone client");
    let base = rp_base
        .strip_suffix("/rp/v6.0/")
        .expect("the RP API base")
        .to_string();
    eid_provider_suite(&provider, |token, pnr| {
        let (phone, base) = (phone.clone(), base.clone());
        async move { phone_approves(&phone, &base, &token, &pnr).await }
    })
    .await;
}
