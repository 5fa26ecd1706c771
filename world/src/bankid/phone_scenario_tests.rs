//! `/phone/auth`, `/phone/sign` and the per-personnummer scenarios of the simulator, client ↔
//! simulator over mutual TLS on 127.0.0.1 (see [`SimHarness`]) with an injected clock.

use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use crate::bankid::sim_harness_tests::SimHarness;
use crate::bankid::simulator::MAX_SLOW_DELAY_MS;
use esign_shared::bankid::client::RetryPolicy;
use esign_shared::bankid::error::BankIdError;
use esign_shared::bankid::evidence::{verify_completion, ExpectedEvidence};
use esign_shared::bankid::messages::{user_message, RFA22};
use esign_shared::bankid::tls::TlsConfig;
use esign_shared::bankid::types::{
    AuthRequest, CallInitiator, CollectResponse, CollectStatus, HintCode, PhoneAuthRequest,
    PhoneRequirement, PhoneSignRequest, Requirement, SignRequest,
};
use esign_shared::error::ErrorText;

const PNR: &str = "198001019876";
const OTHER: &str = "197002021234";

/// [`SimHarness`] (the simulator over mutual TLS) with this file's shorthands.
struct Harness(SimHarness);

impl std::ops::Deref for Harness {
    type Target = SimHarness;
    fn deref(&self) -> &SimHarness {
        &self.0
    }
}

impl Harness {
    async fn start() -> Harness {
        Harness(SimHarness::start().await)
    }

    async fn scenario(&self, body: Value) -> Value {
        self.post_ok("/sim/scenario", body).await
    }

    async fn collect(&self, order_ref: &str) -> CollectResponse {
        self.client.collect(order_ref).await.expect("collect")
    }

    async fn identify(&self, order_ref: &str, pnr: &str) -> (u16, Value) {
        self.post(
            "/phone/identify",
            json!({"orderRef": order_ref, "personalNumber": pnr, "givenName": "Åsa", "surname": "Öberg"}),
        )
        .await
    }
}

fn assert_state(response: &CollectResponse, status: CollectStatus, hint: HintCode) {
    assert_eq!(response.status, status, "{response:?}");
    assert_eq!(response.hint_code, Some(hint), "{response:?}");
}

fn phone_sign_request(pnr: &str, initiator: CallInitiator) -> PhoneSignRequest {
    PhoneSignRequest {
        personal_number: pnr.into(),
        call_initiator: initiator,
        requirement: Some(PhoneRequirement {
            pin_code: Some(true),
            ..Default::default()
        }),
        user_visible_data: BASE64.encode("Jag bekräftar ansökan som vi pratat om i telefon."),
        user_visible_data_format: Some("simpleMarkdownV1".into()),
        user_non_visible_data: Some(BASE64.encode("case=42")),
    }
}

fn sign_request(pnr: Option<&str>) -> SignRequest {
    SignRequest {
        end_user_ip: "192.0.2.10".into(),
        user_visible_data: BASE64.encode("Jag justerar protokollet."),
        requirement: pnr.map(|p| Requirement {
            personal_number: Some(p.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

#[tokio::test]
async fn phone_sign_goes_through_call_confirmation_to_verified_evidence() {
    let h = Harness::start().await;
    let request = phone_sign_request(PNR, CallInitiator::Rp);
    let started = h.client.phone_sign(&request).await.expect("phone/sign");
    let order_ref = started.order_ref;
    assert_state(
        &h.collect(&order_ref).await,
        CollectStatus::Pending,
        HintCode::OutstandingTransaction,
    );
    // No QR or autostart to pick up: the 30 s pickup deadline does not apply.
    h.advance(60);
    let orders = h
        .get_json(&format!("/phone/orders?personalNumber={PNR}"))
        .await;
    assert_eq!(orders[0]["orderRef"], order_ref.as_str());
    assert_eq!(orders[0]["callInitiator"], "RP");
    assert!(orders[0].get("autoStartToken").is_none(), "{orders}");

    let opened = h
        .post_ok("/phone/open", json!({"orderRef": order_ref}))
        .await;
    assert_eq!(opened["orderRef"], order_ref.as_str());
    assert_state(
        &h.collect(&order_ref).await,
        CollectStatus::Pending,
        HintCode::UserCallConfirm,
    );
    // The BankID cannot be used before the call is confirmed.
    assert_eq!(h.identify(&order_ref, PNR).await.0, 409);
    h.post_ok("/phone/confirm-call", json!({"orderRef": order_ref}))
        .await;
    assert_state(
        &h.collect(&order_ref).await,
        CollectStatus::Pending,
        HintCode::Started,
    );
    assert_eq!(h.identify(&order_ref, PNR).await.0, 200);
    assert_state(
        &h.collect(&order_ref).await,
        CollectStatus::Pending,
        HintCode::UserSign,
    );
    h.post_ok("/phone/confirm", json!({"orderRef": order_ref}))
        .await;
    let done = h.collect(&order_ref).await;
    assert_eq!(done.status, CollectStatus::Complete);
    let data = done.completion_data.expect("completion data");
    assert_eq!(data.user.personal_number, PNR);
    let expected = ExpectedEvidence {
        personal_number: PNR,
        user_visible_data_b64: &request.user_visible_data,
        user_non_visible_data_b64: request.user_non_visible_data.as_deref(),
    };
    let report = verify_completion(
        &data.signature,
        &data.ocsp_response,
        &h.sim.trust_anchors(),
        Some(&expected),
    )
    .expect("phone evidence verifies");
    assert_eq!(report.func_id, "Signing");
}

#[tokio::test]
async fn phone_auth_declined_call_fails_user_declined_call() {
    let h = Harness::start().await;
    let started = h
        .client
        .phone_auth(&PhoneAuthRequest {
            personal_number: PNR.into(),
            call_initiator: CallInitiator::User,
            requirement: None,
            user_visible_data: None,
            user_visible_data_format: None,
            user_non_visible_data: None,
        })
        .await
        .expect("phone/auth");
    h.post_ok("/phone/open", json!({"orderRef": started.order_ref}))
        .await;
    h.post_ok(
        "/phone/decline-call",
        json!({"orderRef": started.order_ref}),
    )
    .await;
    let failed = h.collect(&started.order_ref).await;
    assert_state(&failed, CollectStatus::Failed, HintCode::UserDeclinedCall);
    assert_eq!(
        user_message(failed.status, failed.hint_code.as_ref(), false),
        RFA22
    );
    // Declining twice, or confirming afterwards, is not possible.
    let (status, _) = h
        .post(
            "/phone/confirm-call",
            json!({"orderRef": started.order_ref}),
        )
        .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn phone_requests_are_validated_on_both_sides() {
    let h = Harness::start().await;
    let wire = serde_json::to_value(phone_sign_request(PNR, CallInitiator::User)).expect("json");
    assert_eq!(wire["callInitiator"], "user");
    assert_eq!(wire["personalNumber"], PNR);
    assert!(wire.get("endUserIp").is_none());
    assert_eq!(
        serde_json::to_value(CallInitiator::Rp).expect("json"),
        json!("RP")
    );

    let rp = "/rp/v6.0/phone";
    for (path, body) in [
        ("auth", json!({"callInitiator": "user"})),
        ("auth", json!({"personalNumber": PNR})),
        (
            "auth",
            json!({"personalNumber": PNR, "callInitiator": "rp"}),
        ),
        (
            "auth",
            json!({"personalNumber": PNR, "callInitiator": "User"}),
        ),
        (
            "auth",
            json!({"personalNumber": "19800101987", "callInitiator": "RP"}),
        ),
        (
            "sign",
            json!({"personalNumber": PNR, "callInitiator": "RP"}),
        ),
        (
            "sign",
            json!({"personalNumber": PNR, "callInitiator": "RP", "userVisibleData": ""}),
        ),
    ] {
        let (status, value) = h.post(&format!("{rp}/{path}"), body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(value["errorCode"], "invalidParameters", "{body}");
    }
    let (status, value) = h
        .post(
            &format!("{rp}/auth"),
            json!({"personalNumber": PNR, "callInitiator": "RP"}),
        )
        .await;
    assert_eq!(status, 200, "{value}");
    assert!(value["orderRef"].is_string());
    assert_eq!(
        value.as_object().map(|o| o.len()),
        Some(1),
        "only orderRef: {value}"
    );
    // A second order for the same person: alreadyInProgress, as for auth/sign.
    let err = h
        .client
        .phone_sign(&phone_sign_request(PNR, CallInitiator::User))
        .await
        .expect_err("busy");
    assert!(
        matches!(err, BankIdError::AlreadyInProgress { .. }),
        "{err:?}"
    );
    // Refused before sending.
    let mut bad = phone_sign_request("1980", CallInitiator::Rp);
    let err = h.client.phone_sign(&bad).await.expect_err("short pnr");
    assert_eq!(err.code(), "bankid.invalid_request");
    bad.personal_number = PNR.into();
    bad.user_visible_data = String::new();
    assert!(matches!(
        h.client.phone_sign(&bad).await,
        Err(BankIdError::InvalidRequest(_))
    ));
    // Orders of the other kind cannot be opened the wrong way.
    let qr_order = h
        .client
        .sign(&sign_request(Some(OTHER)))
        .await
        .expect("sign");
    let (status, _) = h
        .post("/phone/open", json!({"orderRef": qr_order.order_ref}))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn user_cancel_and_certificate_err_scenarios_fail_the_persons_orders() {
    let h = Harness::start().await;
    let stored = h
        .scenario(json!({"personalNumber": PNR, "scenario": "userCancel", "count": 1}))
        .await;
    assert_eq!(stored["scenario"], "userCancel");
    let started = h.client.sign(&sign_request(Some(PNR))).await.expect("sign");
    assert_state(
        &h.collect(&started.order_ref).await,
        CollectStatus::Pending,
        HintCode::OutstandingTransaction,
    );
    assert_state(
        &h.collect(&started.order_ref).await,
        CollectStatus::Failed,
        HintCode::UserCancel,
    );
    // count 1: used up, the next order behaves normally.
    let next = h.client.sign(&sign_request(Some(PNR))).await.expect("sign");
    for _ in 0..2 {
        assert_state(
            &h.collect(&next.order_ref).await,
            CollectStatus::Pending,
            HintCode::OutstandingTransaction,
        );
    }
    h.client.cancel(&next.order_ref).await.expect("cancel");

    // certificateErr for a person found only when the phone identifies (order not bound).
    h.scenario(json!({"personalNumber": OTHER, "scenario": "certificateErr"}))
        .await;
    let open = h.client.sign(&sign_request(None)).await.expect("sign");
    h.post_ok(
        "/phone/open",
        json!({"autoStartToken": open.auto_start_token}),
    )
    .await;
    assert_eq!(h.identify(&open.order_ref, OTHER).await.0, 200);
    let failed = h.collect(&open.order_ref).await;
    assert_state(&failed, CollectStatus::Failed, HintCode::CertificateErr);
    // Without count the scenario stays until set to normal.
    let listed = h.get_json("/sim/scenarios").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    assert_eq!(listed[0]["personalNumber"], OTHER);
    h.scenario(json!({"personalNumber": OTHER, "scenario": "normal"}))
        .await;
    assert!(h.sim.scenarios().is_empty());
}

#[tokio::test]
async fn maintenance_and_internal_error_scenarios_refuse_the_persons_calls() {
    let h = Harness::start().await;
    let pending = h.client.sign(&sign_request(Some(PNR))).await.expect("sign");
    h.scenario(json!({"personalNumber": PNR, "scenario": "maintenance"}))
        .await;
    let err = h
        .client
        .sign(&sign_request(Some(PNR)))
        .await
        .expect_err("maintenance");
    assert!(matches!(err, BankIdError::Maintenance { .. }), "{err:?}");
    // Collect of the person's existing order too; other people are served.
    let err = h
        .client
        .collect(&pending.order_ref)
        .await
        .expect_err("maintenance");
    assert!(matches!(err, BankIdError::Maintenance { .. }), "{err:?}");
    let other = h
        .client
        .sign(&sign_request(Some(OTHER)))
        .await
        .expect("other person");
    h.client.cancel(&other.order_ref).await.expect("cancel");

    // internalError twice: the retrying client gets through on its third call.
    h.scenario(json!({"personalNumber": PNR, "scenario": "internalError", "count": 2}))
        .await;
    let delays = Arc::new(Mutex::new(Vec::new()));
    let recorded = delays.clone();
    let retrying = h.client_with(RetryPolicy {
        sleeper: Arc::new(move |d| {
            recorded.lock().expect("delays").push(d);
            Box::pin(async {})
        }),
        ..RetryPolicy::default()
    });
    let response = retrying
        .collect(&pending.order_ref)
        .await
        .expect("third call");
    assert_eq!(response.status, CollectStatus::Pending);
    assert_eq!(delays.lock().expect("delays").len(), 2);
    assert!(h.sim.scenarios().is_empty(), "count used up");
}

#[tokio::test]
async fn slow_scenario_delays_within_a_bound() {
    let h = Harness::start().await;
    let stored = h
        .scenario(json!({"personalNumber": PNR, "scenario": "slow", "delayMs": 300, "count": 2}))
        .await;
    assert_eq!(stored["delayMs"], 300);
    let started_at = Instant::now();
    let order = h
        .client
        .sign(&sign_request(Some(PNR)))
        .await
        .expect("slow sign");
    assert!(started_at.elapsed() >= StdDuration::from_millis(300));
    // A client with a shorter timeout gives up: a transport error, never a hang.
    let impatient = TlsConfig {
        timeout: StdDuration::from_millis(100),
        ..h.tls.clone()
    }
    .bankid_client(&h.rp_base)
    .expect("client")
    .with_retry_policy(RetryPolicy::none());
    let err = impatient
        .collect(&order.order_ref)
        .await
        .expect_err("timeout");
    assert!(matches!(err, BankIdError::Transport(_)), "{err:?}");
    // Both slow responses are used: the next one is quick.
    let started_at = Instant::now();
    h.collect(&order.order_ref).await;
    assert!(started_at.elapsed() < StdDuration::from_millis(300));

    let capped = h
        .scenario(json!({"personalNumber": PNR, "scenario": "slow", "delayMs": 999_999_999u64}))
        .await;
    assert_eq!(capped["delayMs"], MAX_SLOW_DELAY_MS);
    let default = h
        .scenario(json!({"personalNumber": PNR, "scenario": "slow"}))
        .await;
    assert_eq!(default["delayMs"], 1_000);
    h.scenario(json!({"personalNumber": PNR, "scenario": "normal"}))
        .await;
}

#[tokio::test]
async fn scenario_requests_are_validated() {
    let h = Harness::start().await;
    for body in [
        json!({"personalNumber": "123", "scenario": "userCancel"}),
        json!({"personalNumber": PNR, "scenario": "explode"}),
        json!({"personalNumber": PNR, "scenario": "slow", "count": 0}),
        json!({"scenario": "userCancel"}),
    ] {
        let (status, value) = h.post("/sim/scenario", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(value["errorCode"], "invalidParameters");
    }
    assert!(h.sim.scenarios().is_empty());
    // Unrelated calls are never touched by a scenario.
    h.scenario(json!({"personalNumber": PNR, "scenario": "maintenance"}))
        .await;
    h.client
        .auth(&AuthRequest {
            end_user_ip: "192.0.2.1".into(),
            ..Default::default()
        })
        .await
        .expect("auth without a personal number");
}
