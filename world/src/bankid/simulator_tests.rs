//! Client ↔ simulator over mutual TLS on 127.0.0.1 (see [`SimHarness`]), plus the evidence
//! verifier on simulated signatures. The clock is injected: timeouts are tested by moving it, never by sleeping.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::Timelike;
use serde_json::{json, Value};

use crate::bankid::pki::generate_simulator_ca;
use crate::bankid::sim_harness_tests::SimHarness;
use esign_shared::bankid::client::BankIdClient;
use esign_shared::bankid::error::BankIdError;
use esign_shared::bankid::evidence::{
    verify_completion, verify_ocsp_response, verify_signature_xml, EvidenceError, ExpectedEvidence,
};
use esign_shared::bankid::messages::{user_message, RFA22};
use esign_shared::bankid::qr::qr_data;
use esign_shared::bankid::types::{
    AuthRequest, CollectResponse, CollectStatus, HintCode, OrderStarted, Requirement, SignRequest,
};
use esign_shared::error::ErrorText;

const PNR: &str = "198001019876";

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

    async fn phone(&self, path: &str, body: Value) -> (u16, Value) {
        self.0.post(&format!("/phone/{path}"), body).await
    }

    async fn phone_ok(&self, path: &str, body: Value) -> Value {
        let (status, value) = self.phone(path, body).await;
        assert_eq!(status, 200, "{path}: {value}");
        value
    }

    async fn inject(&self, error_code: &str) {
        let response = self
            .http
            .post(format!("{}/sim/inject-error", self.base))
            .json(&json!({"errorCode": error_code}))
            .send()
            .await
            .expect("inject");
        assert_eq!(response.status().as_u16(), 200);
    }

    async fn collect(&self, order_ref: &str) -> CollectResponse {
        self.client.collect(order_ref).await.expect("collect")
    }

    async fn identify(&self, order_ref: &str, pnr: &str) -> (u16, Value) {
        self.phone("identify", json!({"orderRef": order_ref, "personalNumber": pnr, "givenName": "Åsa", "surname": "Öberg"}))
            .await
    }
}

fn sign_request(text: &str, pnr: Option<&str>) -> SignRequest {
    SignRequest {
        end_user_ip: "192.0.2.10".into(),
        user_visible_data: BASE64.encode(text),
        user_visible_data_format: Some("simpleMarkdownV1".into()),
        user_non_visible_data: Some(BASE64.encode("docId=1;sha256=ab")),
        requirement: pnr.map(|p| Requirement {
            personal_number: Some(p.into()),
            pin_code: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn assert_pending(response: &CollectResponse, hint: HintCode) {
    assert_eq!(response.status, CollectStatus::Pending);
    assert_eq!(response.hint_code, Some(hint));
    assert!(response.completion_data.is_none());
}

#[tokio::test]
async fn sign_happy_path_with_qr_and_verified_evidence() {
    let h = Harness::start().await;
    let request = sign_request("# Justering\nJag justerar protokollet.", Some(PNR));
    let started: OrderStarted = h.client.sign(&request).await.expect("sign");
    assert_pending(
        &h.collect(&started.order_ref).await,
        HintCode::OutstandingTransaction,
    );

    h.advance(3);
    let qr = qr_data(&started.qr_start_token, &started.qr_start_secret, 3);
    let opened = h.phone_ok("open", json!({"qrData": qr})).await;
    assert_eq!(opened["orderRef"], started.order_ref.as_str());
    assert_pending(&h.collect(&started.order_ref).await, HintCode::Started);

    let (status, _) = h.identify(&started.order_ref, PNR).await;
    assert_eq!(status, 200);
    assert_pending(&h.collect(&started.order_ref).await, HintCode::UserSign);

    h.phone_ok("confirm", json!({"orderRef": started.order_ref}))
        .await;
    let done = h.collect(&started.order_ref).await;
    assert_eq!(done.status, CollectStatus::Complete);
    assert!(done.hint_code.is_none(), "complete carries no hintCode");
    let data = done.completion_data.expect("completion data");
    assert_eq!(data.user.personal_number, PNR);
    assert_eq!(data.user.name, "Åsa Öberg");
    assert_eq!(data.device.ip_address, "192.0.2.10");
    assert!(data.risk.is_none() && data.step_up.is_none());

    let expected = ExpectedEvidence {
        personal_number: PNR,
        user_visible_data_b64: &request.user_visible_data,
        user_non_visible_data_b64: request.user_non_visible_data.as_deref(),
    };
    let report = verify_signature_xml(
        &data.signature,
        &h.sim.trust_anchors(),
        Some(&expected),
        h.now(),
    )
    .expect("evidence verifies");
    assert_eq!(report.func_id, "Signing");
    assert_eq!(report.name, "Åsa Öberg");
    assert_eq!(
        report.certificate_chain_subjects.len(),
        3,
        "user, issuing CA, root"
    );

    // With the OCSP response: signed_at is its producedAt and all OCSP checks pass.
    let full = verify_completion(
        &data.signature,
        &data.ocsp_response,
        &h.sim.trust_anchors(),
        Some(&expected),
    )
    .expect("completion verifies");
    assert_eq!(
        full.signed_at,
        Some(h.now().with_nanosecond(0).expect("whole second"))
    );
    for name in [
        "ocsp_signature",
        "ocsp_responder_authorised",
        "ocsp_cert_status_good",
        "ocsp_nonce_binds_signature",
    ] {
        assert!(
            full.checks.contains(&(name.to_string(), true)),
            "{name}: {:?}",
            full.checks
        );
    }

    // Same order, wrong expectations: refused.
    let other = ExpectedEvidence {
        user_visible_data_b64: "eA==",
        ..expected
    };
    assert!(verify_signature_xml(
        &data.signature,
        &h.sim.trust_anchors(),
        Some(&other),
        h.now()
    )
    .is_err());
    // A second collect of a finished order is refused, as documented.
    let again = h
        .client
        .collect(&started.order_ref)
        .await
        .expect_err("collected twice");
    assert!(
        matches!(again, BankIdError::InvalidParameters { .. }),
        "{again:?}"
    );
}

#[tokio::test]
async fn auth_happy_path_with_autostart_found_through_phone_orders() {
    let h = Harness::start().await;
    let request = AuthRequest {
        end_user_ip: "2001:db8::5".into(),
        requirement: Some(Requirement {
            personal_number: Some(PNR.into()),
            mrtd: Some(true),
            ..Default::default()
        }),
        return_risk: Some(true),
        ..Default::default()
    };
    let started = h.client.auth(&request).await.expect("auth");
    let response = h
        .http
        .get(format!("{}/phone/orders?personalNumber={PNR}", h.base))
        .send()
        .await
        .expect("orders");
    let orders: Value = response.json().await.expect("json");
    assert_eq!(orders.as_array().map(Vec::len), Some(1));
    let token = orders[0]["autoStartToken"]
        .as_str()
        .expect("token")
        .to_string();
    assert_eq!(token, started.auto_start_token);

    h.phone_ok("open", json!({"autoStartToken": token})).await;
    let (status, _) = h.identify(&started.order_ref, PNR).await;
    assert_eq!(status, 200);
    // mrtd: the app asks for the passport or ID card before the security code.
    assert_eq!(
        h.collect(&started.order_ref).await.hint_code,
        Some(HintCode::UserMrtd)
    );
    h.phone_ok("scan-id", json!({"orderRef": started.order_ref}))
        .await;
    h.phone_ok("confirm", json!({"orderRef": started.order_ref}))
        .await;
    let data = h
        .collect(&started.order_ref)
        .await
        .completion_data
        .expect("complete");
    assert_eq!(data.risk.as_deref(), Some("low"));
    assert_eq!(data.step_up.map(|s| s.mrtd), Some(true));
    let report = verify_signature_xml(&data.signature, &h.sim.trust_anchors(), None, h.now())
        .expect("verifies");
    assert_eq!(report.func_id, "Identification");
    assert_eq!(report.personal_number, PNR);
    assert!(report.usr_visible_data_b64.is_none());
    // Nothing else is pending for this person now.
    let orders: Value = h
        .http
        .get(format!("{}/phone/orders?personalNumber={PNR}", h.base))
        .send()
        .await
        .expect("orders")
        .json()
        .await
        .expect("json");
    assert_eq!(orders.as_array().map(Vec::len), Some(0));
}

#[tokio::test]
async fn already_in_progress_cancels_the_running_order() {
    let h = Harness::start().await;
    let first = h
        .client
        .sign(&sign_request("one", Some(PNR)))
        .await
        .expect("first");
    let err = h
        .client
        .sign(&sign_request("two", Some(PNR)))
        .await
        .expect_err("second");
    assert!(
        matches!(err, BankIdError::AlreadyInProgress { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), "bankid.already_in_progress");
    let collected = h.collect(&first.order_ref).await;
    assert_eq!(collected.status, CollectStatus::Failed);
    assert_eq!(collected.hint_code, Some(HintCode::Cancelled));
    // Afterwards a new order for the person is accepted.
    h.client
        .sign(&sign_request("three", Some(PNR)))
        .await
        .expect("third");
}

#[tokio::test]
async fn wrong_person_cannot_complete_a_bound_order() {
    let h = Harness::start().await;
    let started = h
        .client
        .sign(&sign_request("bound", Some(PNR)))
        .await
        .expect("sign");
    h.phone_ok("open", json!({"autoStartToken": started.auto_start_token}))
        .await;
    let (status, body) = h.identify(&started.order_ref, "199912319999").await;
    assert_eq!(status, 409);
    assert_eq!(body["errorCode"], "noUsableBankId");
    assert_pending(&h.collect(&started.order_ref).await, HintCode::Started);
    let (status, _) = h
        .phone("confirm", json!({"orderRef": started.order_ref}))
        .await;
    assert_eq!(status, 409, "nobody identified: nothing to confirm");
    // Left alone, it expires.
    h.advance(181);
    let expired = h.collect(&started.order_ref).await;
    assert_eq!(expired.hint_code, Some(HintCode::ExpiredTransaction));
}

#[tokio::test]
async fn timeouts_follow_the_injected_clock() {
    let h = Harness::start().await;
    let never_opened = h.client.sign(&sign_request("a", None)).await.expect("sign");
    let opened = h.client.sign(&sign_request("b", None)).await.expect("sign");
    h.phone_ok("open", json!({"autoStartToken": opened.auto_start_token}))
        .await;
    h.advance(29);
    assert_pending(
        &h.collect(&never_opened.order_ref).await,
        HintCode::OutstandingTransaction,
    );
    h.advance(2);
    let failed = h.collect(&never_opened.order_ref).await;
    assert_eq!(
        (failed.status, failed.hint_code),
        (CollectStatus::Failed, Some(HintCode::StartFailed))
    );
    assert_pending(&h.collect(&opened.order_ref).await, HintCode::Started);
    h.advance(150);
    let expired = h.collect(&opened.order_ref).await;
    assert_eq!(expired.hint_code, Some(HintCode::ExpiredTransaction));
    // Failed orders are forgotten after five minutes.
    let late = h.client.sign(&sign_request("c", None)).await.expect("sign");
    assert_eq!(h.phone("cancel", json!({"orderRef": "nope"})).await.0, 404);
    h.phone_ok("open", json!({"autoStartToken": late.auto_start_token}))
        .await;
    h.phone_ok("cancel", json!({"orderRef": late.order_ref}))
        .await;
    h.advance(301);
    let gone = h
        .client
        .collect(&late.order_ref)
        .await
        .expect_err("forgotten");
    assert!(matches!(gone, BankIdError::InvalidParameters { .. }));
}

#[tokio::test]
async fn qr_codes_must_be_authentic_and_fresh() {
    let h = Harness::start().await;
    let started = h
        .client
        .sign(&sign_request("qr", None))
        .await
        .expect("sign");
    let forged = qr_data(&started.qr_start_token, "not-the-secret", 0);
    let (status, body) = h.phone("open", json!({"qrData": forged})).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("invalidQr"))
    );
    h.advance(20);
    let stale = qr_data(&started.qr_start_token, &started.qr_start_secret, 0);
    let (status, body) = h.phone("open", json!({"qrData": stale})).await;
    assert_eq!(
        (status, body["errorCode"].as_str()),
        (400, Some("qrTooOld"))
    );
    let future = qr_data(&started.qr_start_token, &started.qr_start_secret, 40);
    assert_eq!(h.phone("open", json!({"qrData": future})).await.0, 400);
    let fresh = qr_data(&started.qr_start_token, &started.qr_start_secret, 20);
    h.phone_ok("open", json!({"qrData": fresh})).await;
    assert_eq!(
        h.phone("open", json!({"qrData": fresh})).await.0,
        409,
        "an order opens once"
    );
}

#[tokio::test]
async fn user_cancel_and_unknown_failure_codes_reach_the_client() {
    let h = Harness::start().await;
    let cancelled = h.client.sign(&sign_request("x", None)).await.expect("sign");
    h.phone_ok(
        "open",
        json!({"autoStartToken": cancelled.auto_start_token}),
    )
    .await;
    h.phone_ok("cancel", json!({"orderRef": cancelled.order_ref}))
        .await;
    assert_eq!(
        h.collect(&cancelled.order_ref).await.hint_code,
        Some(HintCode::UserCancel)
    );

    let odd = h.client.sign(&sign_request("y", None)).await.expect("sign");
    h.phone_ok(
        "fail",
        json!({"orderRef": odd.order_ref, "hintCode": "brandNewHint"}),
    )
    .await;
    let collected = h.collect(&odd.order_ref).await;
    assert_eq!(collected.status, CollectStatus::Failed);
    assert_eq!(
        collected.hint_code,
        Some(HintCode::Unknown("brandNewHint".into()))
    );
    assert_eq!(
        user_message(collected.status, collected.hint_code.as_ref(), true),
        RFA22
    );
}

#[tokio::test]
async fn rp_cancel_then_collect_and_cancel_again_are_invalid() {
    let h = Harness::start().await;
    let started = h
        .client
        .auth(&AuthRequest {
            end_user_ip: "192.0.2.1".into(),
            ..Default::default()
        })
        .await
        .expect("auth");
    h.client.cancel(&started.order_ref).await.expect("cancel");
    assert!(matches!(
        h.client.collect(&started.order_ref).await,
        Err(BankIdError::InvalidParameters { .. })
    ));
    assert!(matches!(
        h.client.cancel(&started.order_ref).await,
        Err(BankIdError::InvalidParameters { .. })
    ));
    assert!(matches!(
        h.client
            .collect("00000000-0000-0000-0000-000000000000")
            .await,
        Err(BankIdError::InvalidParameters { .. })
    ));
}

#[tokio::test]
async fn http_level_errors_have_bankid_bodies() {
    let h = Harness::start().await;
    let rp = format!("{}/rp/v6.0", h.base);
    let get = h
        .mtls_http
        .get(format!("{rp}/auth"))
        .send()
        .await
        .expect("get");
    assert_eq!(get.status().as_u16(), 405);
    assert_eq!(
        get.json::<Value>().await.expect("json")["errorCode"],
        "methodNotAllowed"
    );

    let body = r#"{"endUserIp":"192.0.2.1"}"#;
    let charset = h
        .mtls_http
        .post(format!("{rp}/auth"))
        .header("content-type", "application/json; charset=UTF-8")
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(charset.status().as_u16(), 415);
    assert_eq!(
        charset.json::<Value>().await.expect("json")["errorCode"],
        "unsupportedMediaType"
    );
    let no_type = h
        .mtls_http
        .post(format!("{rp}/auth"))
        .body(body)
        .send()
        .await
        .expect("post");
    assert_eq!(no_type.status().as_u16(), 415);

    for bad in [
        "{",
        r#"{"endUserIp":"not-an-ip"}"#,
        r#"{"endUserIp":"192.0.2.1","userVisibleData":""}"#,
    ] {
        let path = if bad.contains("userVisibleData") {
            "sign"
        } else {
            "auth"
        };
        let response = h
            .mtls_http
            .post(format!("{rp}/{path}"))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .expect("post");
        assert_eq!(response.status().as_u16(), 400, "{bad}");
        assert_eq!(
            response.json::<Value>().await.expect("json")["errorCode"],
            "invalidParameters"
        );
    }

    let wrong_version = BankIdClient::new(&format!("{}/rp/v5.1/", h.base), h.mtls_http.clone());
    let err = wrong_version.collect("x").await.expect_err("404");
    assert!(matches!(err, BankIdError::NotFound { .. }), "{err:?}");
    let unknown_method = h
        .mtls_http
        .post(format!("{rp}/payment"))
        .json(&json!({}))
        .send()
        .await
        .expect("post");
    assert_eq!(unknown_method.status().as_u16(), 404);
}

#[tokio::test]
async fn injected_errors_map_to_typed_client_errors() {
    let h = Harness::start().await;
    let request = AuthRequest {
        end_user_ip: "192.0.2.1".into(),
        ..Default::default()
    };
    type Check = fn(&BankIdError) -> bool;
    let cases: Vec<(&str, Check)> = vec![
        ("unauthorized", |e| {
            matches!(e, BankIdError::Unauthorized { .. })
        }),
        ("requestTimeout", |e| {
            matches!(e, BankIdError::RequestTimeout { .. })
        }),
        ("tooManyRequests", |e| {
            matches!(
                e,
                BankIdError::TooManyRequests {
                    retry_after_seconds: Some(2),
                    ..
                }
            )
        }),
        ("internalError", |e| {
            matches!(e, BankIdError::InternalError { .. })
        }),
        ("maintenance", |e| {
            matches!(e, BankIdError::Maintenance { .. }) && e.is_retryable()
        }),
        ("invalidParameters", |e| {
            matches!(e, BankIdError::InvalidParameters { .. })
        }),
        (
            "brandNewError",
            |e| matches!(e, BankIdError::Unknown { code, http_status: 400, .. } if code == "brandNewError"),
        ),
    ];
    for (code, check) in cases {
        h.inject(code).await;
        let err = h.client.auth(&request).await.expect_err(code);
        assert!(check(&err), "{code}: {err:?}");
        assert!(!err.message_sv().is_empty() && !err.message_en().is_empty());
    }
    h.client
        .auth(&request)
        .await
        .expect("no more injected errors");
}

/// Flips one byte of the decoded XML at `position` (keeping it ASCII).
fn tampered(signature_b64: &str, position: usize) -> String {
    let mut xml = BASE64.decode(signature_b64).expect("base64");
    xml[position] = if xml[position] == b'A' { b'B' } else { b'A' };
    BASE64.encode(xml)
}

fn span(xml: &str, open: &str, close: &str) -> (usize, usize) {
    let start = xml.find(open).expect("open tag");
    let end = xml[start..].find(close).expect("close tag") + start + close.len();
    (start, end)
}

#[tokio::test]
async fn every_single_byte_change_of_a_simulated_signatures_signed_parts_is_rejected() {
    let h = Harness::start().await;
    let request = sign_request("Justera § 12", Some(PNR));
    let started = h.client.sign(&request).await.expect("sign");
    h.phone_ok("open", json!({"autoStartToken": started.auto_start_token}))
        .await;
    h.identify(&started.order_ref, PNR).await;
    h.phone_ok("confirm", json!({"orderRef": started.order_ref}))
        .await;
    let signature = h
        .collect(&started.order_ref)
        .await
        .completion_data
        .expect("complete")
        .signature;
    let expected = ExpectedEvidence {
        personal_number: PNR,
        user_visible_data_b64: &request.user_visible_data,
        user_non_visible_data_b64: request.user_non_visible_data.as_deref(),
    };
    let anchors = h.sim.trust_anchors();
    verify_signature_xml(&signature, &anchors, Some(&expected), h.now())
        .expect("untampered verifies");

    let xml = String::from_utf8(BASE64.decode(&signature).expect("base64")).expect("utf8");
    let parts = [
        span(&xml, "<SignedInfo", "</SignedInfo>"),
        span(&xml, "<SignatureValue>", "</SignatureValue>"),
        span(&xml, "<KeyInfo", "</KeyInfo>"),
        span(&xml, "<bankIdSignedData", "</bankIdSignedData>"),
    ];
    let mut tried = 0;
    let total: usize = parts.iter().map(|(start, end)| end - start).sum();
    for (start, end) in parts {
        for position in start..end {
            let result = verify_signature_xml(
                &tampered(&signature, position),
                &anchors,
                Some(&expected),
                h.now(),
            );
            assert!(
                result.is_err(),
                "byte {position} ({:?}) changed but still verified",
                &xml[position..position + 1]
            );
            tried += 1;
        }
    }
    assert_eq!(
        tried, total,
        "every byte of the signed parts was changed once"
    );
    assert!(total > 1000, "only {total} bytes in the signed parts?");

    // A signature from another simulator's CA is not trusted here.
    let other_ca = generate_simulator_ca(h.now()).expect("ca");
    let err = verify_signature_xml(
        &signature,
        &other_ca.chain_der[1..],
        Some(&expected),
        h.now(),
    )
    .expect_err("foreign anchor");
    assert!(matches!(err, EvidenceError::ChecksFailed(_)));
}

/// xmlsec1 (real C14N, independent XMLDSig code) must accept the simulator's signature.
/// Found through `ESIGN_XMLSEC1`, else `xmlsec1` on PATH (Debian package `xmlsec1`).
fn xmlsec1_verify(xml: &[u8], trusted_root_der: &[u8]) -> (bool, String) {
    let program = std::env::var("ESIGN_XMLSEC1").unwrap_or_else(|_| "xmlsec1".to_string());
    let dir = std::env::temp_dir().join(format!("esign-bankid-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let xml_path = dir.join("signature.xml");
    let root_path = dir.join("root.der");
    std::fs::write(&xml_path, xml).expect("write xml");
    std::fs::write(&root_path, trusted_root_der).expect("write root");
    let output = std::process::Command::new(&program)
        .args(["--verify", "--id-attr:Id", "bankIdSignedData", "--id-attr:Id", "KeyInfo", "--trusted-der"])
        .arg(&root_path)
        .arg(&xml_path)
        .output()
        .unwrap_or_else(|e| panic!("{program} is required for this test (apt-get install xmlsec1, or set ESIGN_XMLSEC1): {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.success() && text.contains("SignedInfo References (ok/all): 2/2"),
        text,
    )
}

#[tokio::test]
async fn xmlsec1_accepts_the_simulated_signature_and_rejects_a_tampered_one() {
    let h = Harness::start().await;
    let started = h
        .client
        .sign(&sign_request("Oberoende kontroll", Some(PNR)))
        .await
        .expect("sign");
    h.phone_ok("open", json!({"autoStartToken": started.auto_start_token}))
        .await;
    h.identify(&started.order_ref, PNR).await;
    h.phone_ok("confirm", json!({"orderRef": started.order_ref}))
        .await;
    let signature = h
        .collect(&started.order_ref)
        .await
        .completion_data
        .expect("complete")
        .signature;
    let xml = BASE64.decode(&signature).expect("base64");
    let root = h.sim.trust_anchors().pop().expect("root");
    let (ok, output) = xmlsec1_verify(&xml, &root);
    assert!(ok, "xmlsec1 refused the simulated signature:\n{output}");

    let text = String::from_utf8(xml).expect("utf8");
    let (start, _) = span(&text, "<usrVisibleData", "</usrVisibleData>");
    let tampered_xml = BASE64
        .decode(tampered(&signature, start + 60))
        .expect("base64");
    let (ok, output) = xmlsec1_verify(&tampered_xml, &root);
    assert!(!ok, "xmlsec1 accepted a tampered signature:\n{output}");
}

async fn complete_sign_order(
    h: &Harness,
    text: &str,
) -> esign_shared::bankid::types::CompletionData {
    let started = h
        .client
        .sign(&sign_request(text, Some(PNR)))
        .await
        .expect("sign");
    h.phone_ok("open", json!({"autoStartToken": started.auto_start_token}))
        .await;
    h.identify(&started.order_ref, PNR).await;
    h.phone_ok("confirm", json!({"orderRef": started.order_ref}))
        .await;
    h.collect(&started.order_ref)
        .await
        .completion_data
        .expect("complete")
}

#[tokio::test]
async fn ocsp_response_is_bound_to_its_signature_and_tamper_evident() {
    let h = Harness::start().await;
    let first = complete_sign_order(&h, "first").await;
    let second = complete_sign_order(&h, "second").await;
    verify_ocsp_response(&first.ocsp_response, &first.signature).expect("own OCSP verifies");
    // Another order's OCSP response: same person and certificate, but the nonce does not match.
    let err =
        verify_ocsp_response(&second.ocsp_response, &first.signature).expect_err("foreign nonce");
    assert!(
        matches!(&err, EvidenceError::OcspFailed(names) if names == "ocsp_nonce_binds_signature"),
        "{err:?}"
    );
    let der = BASE64.decode(&first.ocsp_response).expect("base64");
    for position in (0..der.len()).step_by((der.len() / 60).max(1)) {
        let mut changed = der.clone();
        changed[position] ^= 0x01;
        let result = verify_ocsp_response(&BASE64.encode(&changed), &first.signature);
        assert!(
            result.is_err(),
            "OCSP byte {position} changed but still verified"
        );
    }
    assert!(verify_completion(&first.signature, "", &h.sim.trust_anchors(), None).is_err());
}

/// openssl (independent OCSP code) must accept the simulator's OCSP response.
/// Found through `ESIGN_OPENSSL`, else `openssl` on PATH.
#[tokio::test]
async fn openssl_accepts_the_simulated_ocsp_response() {
    let h = Harness::start().await;
    let data = complete_sign_order(&h, "ocsp").await;
    let xml = String::from_utf8(BASE64.decode(&data.signature).expect("base64")).expect("utf8");
    let certs: Vec<&str> = xml
        .split("<X509Certificate>")
        .skip(1)
        .filter_map(|part| part.split("</X509Certificate>").next())
        .collect();
    let pem = |b64: &str| {
        let lines: Vec<String> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    let root = h.sim.trust_anchors().pop().expect("root");
    let dir = std::env::temp_dir().join(format!("esign-bankid-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("user.pem"), pem(certs[0])).expect("write");
    std::fs::write(dir.join("issuer.pem"), pem(certs[1])).expect("write");
    std::fs::write(dir.join("root.pem"), pem(&BASE64.encode(root))).expect("write");
    std::fs::write(
        dir.join("ocsp.der"),
        BASE64.decode(&data.ocsp_response).expect("base64"),
    )
    .expect("write");
    let program = std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".to_string());
    let output = std::process::Command::new(&program)
        .current_dir(&dir)
        .args([
            "ocsp",
            "-respin",
            "ocsp.der",
            "-issuer",
            "issuer.pem",
            "-cert",
            "user.pem",
        ])
        .args([
            "-CAfile",
            "root.pem",
            "-verify_other",
            "issuer.pem",
            "-resp_text",
            "-no_nonce",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{program} is required for this test (set ESIGN_OPENSSL): {e}"));
    let _ = std::fs::remove_dir_all(&dir);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains("user.pem: good"), "{text}");
    assert!(
        text.contains("OCSP Nonce") && text.contains("critical"),
        "{text}"
    );
}

#[tokio::test]
async fn lenient_mode_allows_repeated_collects_until_retention_ends() {
    use crate::bankid::simulator::SimulatorConfig;
    let config = SimulatorConfig {
        strict_single_collect: false,
        ..SimulatorConfig::default()
    };
    let h = Harness(SimHarness::start_with(config, None).await);
    let started = h
        .client
        .sign(&sign_request("again", None))
        .await
        .expect("sign");
    h.phone_ok("open", json!({"autoStartToken": started.auto_start_token}))
        .await;
    h.identify(&started.order_ref, "199001011234").await;
    h.phone_ok("confirm", json!({"orderRef": started.order_ref}))
        .await;
    let first = h.collect(&started.order_ref).await;
    let second = h.collect(&started.order_ref).await;
    assert_eq!(first.status, CollectStatus::Complete);
    assert_eq!(
        first, second,
        "lenient mode answers the same completion again"
    );
    h.advance(179);
    assert_eq!(
        h.collect(&started.order_ref).await.status,
        CollectStatus::Complete
    );
    h.advance(2);
    assert!(matches!(
        h.client.collect(&started.order_ref).await,
        Err(BankIdError::InvalidParameters { .. })
    ));
}

/// The evidence file as the app stores it (see `app::portal`), for `esign bankid-evidence verify`.
fn stored_evidence(
    data: &esign_shared::bankid::types::CompletionData,
    request: &SignRequest,
) -> Value {
    json!({
        "order_ref": "our-ref",
        "tenant": "t1",
        "user_visible_data": request.user_visible_data,
        "user_non_visible_data": request.user_non_visible_data,
        "completion_data": data,
        "verification": null,
    })
}

#[tokio::test]
async fn evidence_file_of_a_simulated_signature_verifies_and_tampering_is_caught() {
    use esign_shared::bankid::evidence_file::{verify_evidence_file, CARRIED_CA_NOTE};
    let h = Harness::start().await;
    let text = "# Justering\nJag justerar protokollet.";
    let request = sign_request(text, Some(PNR));
    let data = complete_sign_order(&h, text).await;
    let other = complete_sign_order(&h, "another order").await;
    let evidence = stored_evidence(&data, &request);
    let bytes = serde_json::to_vec_pretty(&evidence).expect("json");

    let anchors = h.sim.trust_anchors();
    let (report, valid) = verify_evidence_file(&bytes, None, &anchors);
    assert!(valid, "{report:#}");
    assert_eq!(report["personal_number"], PNR);
    assert_eq!(report["user_visible_text"], text);
    assert_eq!(report["tenant"], "t1");
    assert!(report["signed_at"].is_string());
    assert!(report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .any(|c| c["check"] == "ocsp_nonce_binds_signature" && c["passed"] == true));
    // Without anchors: anchored at the issuing CA the signature carries, and said so.
    let (report, valid) = verify_evidence_file(&bytes, None, &[]);
    assert!(valid, "{report:#}");
    assert!(report["trust"]["note"]
        .as_str()
        .is_some_and(|n| n.contains(CARRIED_CA_NOTE)));

    let tamper = |edit: &dyn Fn(&mut Value)| {
        let mut changed = evidence.clone();
        edit(&mut changed);
        verify_evidence_file(&serde_json::to_vec(&changed).expect("json"), None, &anchors)
    };
    // What we sent differs from what was signed.
    let (report, valid) = tamper(&|v| v["user_visible_data"] = json!(BASE64.encode("annan text")));
    assert!(!valid);
    assert_eq!(report["failed_checks"], json!(["usr_visible_data"]));
    let (report, valid) =
        tamper(&|v| v["user_non_visible_data"] = json!(BASE64.encode("docId=2;sha256=ab")));
    assert!(!valid);
    assert_eq!(report["failed_checks"], json!(["usr_non_visible_data"]));
    // Someone else claimed as the signer.
    let (report, valid) =
        tamper(&|v| v["completion_data"]["user"]["personalNumber"] = json!("197002021234"));
    assert!(!valid);
    assert_eq!(report["failed_checks"], json!(["personal_number"]));
    // Another order's OCSP response: every other check passes, the nonce does not.
    let foreign_ocsp = other.ocsp_response.clone();
    let (report, valid) = tamper(&|v| v["completion_data"]["ocspResponse"] = json!(foreign_ocsp));
    assert!(!valid, "{report:#}");
    assert_eq!(
        report["failed_checks"],
        json!(["ocsp_nonce_binds_signature"])
    );
    // verify_completion itself refuses it (it used to return Ok with a failed OCSP check).
    let err = verify_completion(&data.signature, &other.ocsp_response, &anchors, None)
        .expect_err("foreign OCSP");
    assert!(matches!(err, EvidenceError::ChecksFailed(_)), "{err:?}");
    // One byte of the signed XML.
    let xml = BASE64.decode(&data.signature).expect("b64");
    let (start, _) = span(
        std::str::from_utf8(&xml).expect("utf8"),
        "<usrVisibleData",
        "</usrVisibleData>",
    );
    let changed_signature = tampered(&data.signature, start + 40);
    let (_, valid) = tamper(&|v| v["completion_data"]["signature"] = json!(changed_signature));
    assert!(!valid);
    // A bare signature of the simulator verifies as of now.
    let (report, valid) = verify_evidence_file(data.signature.as_bytes(), None, &anchors);
    assert!(valid, "{report:#}");
    assert_eq!(report["input"], "completionData.signature");
}
