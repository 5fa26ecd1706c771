//! Every hint code (digest §1.6) and every error code (digest §1.8) of the research digest,
//! client ↔ simulator over mutual TLS ([`SimHarness`]). One test per code, named
//! `hint_<status>_<code>` / `error_<code>`, so a failure names the code it concerns.
//!
//! Hint codes: the simulator is driven into the state through its real mechanisms where it has
//! one (phone open / identify / cancel, phone orders with call confirmation, scenarios, the
//! injected clock, a second order for the same personnummer); otherwise through
//! `POST /phone/fail {orderRef, hintCode}`. The client's `collect` must answer that status and
//! hint, and `messages::user_message` the RFA text of digest §1.11. [`HINT_CASES`] says, per
//! code, which mechanism is used.
//!
//! Error codes: real mechanisms where they exist (no client certificate → 401, a second order
//! → alreadyInProgress, unknown orderRef → invalidParameters, wrong path → 404, scenarios →
//! 500/503, raw requests for 405/415), otherwise `POST /sim/inject-error`. The client must map
//! each to its typed [`BankIdError`], with the RFA text of digest §1.11. [`ERROR_CASES`] lists
//! the mechanisms.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use serde_json::{json, Value};

use crate::bankid::sim_harness_tests::{tls_material, SimHarness};
use esign_shared::bankid::client::BankIdClient;
use esign_shared::bankid::error::BankIdError;
use esign_shared::bankid::messages::{
    error_message, user_message, QR_SCAN, RFA13, RFA15B, RFA16, RFA17A, RFA17B, RFA21, RFA22,
    RFA23, RFA3, RFA4, RFA5, RFA6, RFA8, RFA9,
};
use esign_shared::bankid::tls::TlsConfig;
use esign_shared::bankid::types::{
    AuthRequest, CallInitiator, CollectResponse, CollectStatus, HintCode, PhoneAuthRequest,
    Requirement, SignRequest,
};
use esign_shared::error::ErrorText;

const PNR: &str = "198001019876";

type Rfa = (&'static str, &'static str);

/// How the simulator is brought into a hint code's state.
#[derive(Debug, Clone, Copy)]
enum Drive {
    /// `/sign`, collected at once.
    FreshOrder,
    /// Digest §1.6 `noClient` and unknown pending codes: the simulator has no mechanism that
    /// keeps an order pending with an arbitrary hint code (`/phone/fail` only fails orders).
    /// These cases ask for `POST /phone/hint {orderRef, hintCode}` (pending), the pending
    /// counterpart of `/phone/fail`; today that path does not exist (404).
    PendingHint(&'static str),
    /// `/sign`, then `POST /phone/open {autoStartToken}`.
    Opened,
    /// `/auth` with `requirement.mrtd = true`, opened and identified: the app asks for the
    /// passport / ID card scan before the security code (digest §1.3, §1.6 `userMrtd`).
    MrtdRequired,
    /// `/phone/auth` (RP calls the user), then `POST /phone/open {orderRef}`.
    PhoneOrderOpened,
    /// `/sign`, opened, `POST /phone/identify`.
    Identified,
    /// `/sign`, opened, then the injected clock moves past the 180 s order lifetime.
    LifetimeElapsed,
    /// `POST /sim/scenario {scenario: certificateErr}` for the person, `/sign` bound to them,
    /// one pending collect, then the failure.
    CertificateErrScenario,
    /// `/sign`, opened, `POST /phone/cancel`.
    PhoneCancel,
    /// `/sign` bound to the person, then a second `/sign` for the same person
    /// (`alreadyInProgress`): the first order fails `cancelled`.
    SecondOrderForPerson,
    /// `/sign`, never opened, the injected clock moves past the 30 s pickup deadline.
    PickupDeadlineElapsed,
    /// `/phone/auth`, opened, `POST /phone/decline-call`.
    PhoneCallDeclined,
    /// `/sign` asking for something an old app lacks (here `returnUrl`), then
    /// `POST /phone/fail {hintCode}`: the simulator plays no app versions.
    FailWithReturnUrl(&'static str),
    /// `/sign` with `requirement.risk = low`, then `POST /phone/fail {hintCode}`: the simulator
    /// does no risk assessment.
    FailWithRiskRequirement(&'static str),
    /// `/sign`, then `POST /phone/fail {hintCode}`.
    Fail(&'static str),
}

struct HintCase {
    wire: &'static str,
    status: CollectStatus,
    hint: fn() -> HintCode,
    drive: Drive,
    /// RFA when the user was shown a QR code, and when the RP tried autostart.
    rfa_qr: Rfa,
    rfa_autostart: Rfa,
}

/// The digest's hint codes (§1.6) plus an unknown one of each status. RFA mapping per §1.11;
/// codes the digest has no RFA for fall back like unknown codes of their status (pending →
/// RFA21, failed → RFA22, as ActiveLogin does).
const HINT_CASES: &[HintCase] = &[
    HintCase {
        wire: "outstandingTransaction",
        status: CollectStatus::Pending,
        hint: || HintCode::OutstandingTransaction,
        drive: Drive::FreshOrder,
        // Digest §1.11: QR → RFA1 or BankID's own demo text for the QR; autostart → RFA13.
        rfa_qr: QR_SCAN,
        rfa_autostart: RFA13,
    },
    HintCase {
        wire: "noClient",
        status: CollectStatus::Pending,
        hint: || HintCode::NoClient,
        drive: Drive::PendingHint("noClient"),
        rfa_qr: esign_shared::bankid::messages::RFA1,
        rfa_autostart: esign_shared::bankid::messages::RFA1,
    },
    HintCase {
        wire: "started",
        status: CollectStatus::Pending,
        hint: || HintCode::Started,
        drive: Drive::Opened,
        // RFA15A (desktop) / RFA15B (mobile): the portal targets Mobilt BankID.
        rfa_qr: RFA15B,
        rfa_autostart: RFA15B,
    },
    HintCase {
        wire: "userMrtd",
        status: CollectStatus::Pending,
        hint: || HintCode::UserMrtd,
        drive: Drive::MrtdRequired,
        rfa_qr: RFA23,
        rfa_autostart: RFA23,
    },
    HintCase {
        wire: "userCallConfirm",
        status: CollectStatus::Pending,
        hint: || HintCode::UserCallConfirm,
        drive: Drive::PhoneOrderOpened,
        rfa_qr: RFA21,
        rfa_autostart: RFA21,
    },
    HintCase {
        wire: "userSign",
        status: CollectStatus::Pending,
        hint: || HintCode::UserSign,
        drive: Drive::Identified,
        rfa_qr: RFA9,
        rfa_autostart: RFA9,
    },
    HintCase {
        wire: "brandNewPendingHint",
        status: CollectStatus::Pending,
        hint: || HintCode::Unknown("brandNewPendingHint".into()),
        drive: Drive::PendingHint("brandNewPendingHint"),
        rfa_qr: RFA21,
        rfa_autostart: RFA21,
    },
    HintCase {
        wire: "expiredTransaction",
        status: CollectStatus::Failed,
        hint: || HintCode::ExpiredTransaction,
        drive: Drive::LifetimeElapsed,
        rfa_qr: RFA8,
        rfa_autostart: RFA8,
    },
    HintCase {
        wire: "certificateErr",
        status: CollectStatus::Failed,
        hint: || HintCode::CertificateErr,
        drive: Drive::CertificateErrScenario,
        rfa_qr: RFA16,
        rfa_autostart: RFA16,
    },
    HintCase {
        wire: "userCancel",
        status: CollectStatus::Failed,
        hint: || HintCode::UserCancel,
        drive: Drive::PhoneCancel,
        rfa_qr: RFA6,
        rfa_autostart: RFA6,
    },
    HintCase {
        wire: "cancelled",
        status: CollectStatus::Failed,
        hint: || HintCode::Cancelled,
        drive: Drive::SecondOrderForPerson,
        rfa_qr: RFA3,
        rfa_autostart: RFA3,
    },
    HintCase {
        wire: "startFailed",
        status: CollectStatus::Failed,
        hint: || HintCode::StartFailed,
        drive: Drive::PickupDeadlineElapsed,
        rfa_qr: RFA17B,
        rfa_autostart: RFA17A,
    },
    HintCase {
        wire: "userDeclinedCall",
        status: CollectStatus::Failed,
        hint: || HintCode::UserDeclinedCall,
        drive: Drive::PhoneCallDeclined,
        rfa_qr: RFA22,
        rfa_autostart: RFA22,
    },
    HintCase {
        wire: "notSupportedByUserApp",
        status: CollectStatus::Failed,
        hint: || HintCode::NotSupportedByUserApp,
        drive: Drive::FailWithReturnUrl("notSupportedByUserApp"),
        rfa_qr: RFA22,
        rfa_autostart: RFA22,
    },
    HintCase {
        wire: "transactionRiskBlocked",
        status: CollectStatus::Failed,
        hint: || HintCode::TransactionRiskBlocked,
        drive: Drive::FailWithRiskRequirement("transactionRiskBlocked"),
        rfa_qr: RFA22,
        rfa_autostart: RFA22,
    },
    HintCase {
        wire: "brandNewFailureHint",
        status: CollectStatus::Failed,
        hint: || HintCode::Unknown("brandNewFailureHint".into()),
        drive: Drive::Fail("brandNewFailureHint"),
        rfa_qr: RFA22,
        rfa_autostart: RFA22,
    },
];

/// Digest §1.6, in its order.
const DIGEST_HINT_CODES: &[&str] = &[
    "outstandingTransaction",
    "noClient",
    "started",
    "userMrtd",
    "userCallConfirm",
    "userSign",
    "expiredTransaction",
    "certificateErr",
    "userCancel",
    "cancelled",
    "startFailed",
    "userDeclinedCall",
    "notSupportedByUserApp",
    "transactionRiskBlocked",
];

fn sign_request(pnr: Option<&str>) -> SignRequest {
    SignRequest {
        end_user_ip: "192.0.2.10".into(),
        user_visible_data: BASE64.encode("# Justering\nJag justerar protokollet."),
        user_visible_data_format: Some("simpleMarkdownV1".into()),
        requirement: pnr.map(|p| Requirement {
            personal_number: Some(p.into()),
            pin_code: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn phone_auth_request() -> PhoneAuthRequest {
    PhoneAuthRequest {
        personal_number: PNR.into(),
        call_initiator: CallInitiator::Rp,
        requirement: None,
        user_visible_data: None,
        user_visible_data_format: None,
        user_non_visible_data: None,
    }
}

async fn sign(h: &SimHarness, request: &SignRequest) -> (String, String) {
    let started = h.client.sign(request).await.expect("sign over mTLS");
    (started.order_ref, started.auto_start_token)
}

async fn identify(h: &SimHarness, order_ref: &str) {
    h.post_ok(
        "/phone/identify",
        json!({"orderRef": order_ref, "personalNumber": PNR, "givenName": "Åsa", "surname": "Öberg"}),
    )
    .await;
}

async fn fail(h: &SimHarness, order_ref: &str, hint: &str) {
    h.post_ok(
        "/phone/fail",
        json!({"orderRef": order_ref, "hintCode": hint}),
    )
    .await;
}

/// Brings a fresh order into the case's state; returns its orderRef.
async fn drive(h: &SimHarness, drive: Drive) -> String {
    match drive {
        Drive::FreshOrder => sign(h, &sign_request(None)).await.0,
        Drive::PendingHint(hint) => {
            let (order_ref, _) = sign(h, &sign_request(None)).await;
            let (status, body) = h
                .post(
                    "/phone/hint",
                    json!({"orderRef": order_ref, "hintCode": hint}),
                )
                .await;
            assert_eq!(
                status, 200,
                "simulator gap: no mechanism keeps an order pending with hint {hint:?} \
                 (/phone/fail only fails orders; a pending counterpart such as \
                 POST /phone/hint {{orderRef, hintCode}} is missing): {body}"
            );
            order_ref
        }
        Drive::Opened => {
            let (order_ref, token) = sign(h, &sign_request(None)).await;
            h.post_ok("/phone/open", json!({"autoStartToken": token}))
                .await;
            order_ref
        }
        Drive::MrtdRequired => {
            let request = AuthRequest {
                end_user_ip: "192.0.2.10".into(),
                requirement: Some(Requirement {
                    personal_number: Some(PNR.into()),
                    mrtd: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let started = h.client.auth(&request).await.expect("auth over mTLS");
            h.post_ok(
                "/phone/open",
                json!({"autoStartToken": started.auto_start_token}),
            )
            .await;
            identify(h, &started.order_ref).await;
            started.order_ref
        }
        Drive::PhoneOrderOpened => {
            let started = h
                .client
                .phone_auth(&phone_auth_request())
                .await
                .expect("phone/auth over mTLS");
            h.post_ok("/phone/open", json!({"orderRef": started.order_ref}))
                .await;
            started.order_ref
        }
        Drive::Identified => {
            let (order_ref, token) = sign(h, &sign_request(None)).await;
            h.post_ok("/phone/open", json!({"autoStartToken": token}))
                .await;
            identify(h, &order_ref).await;
            order_ref
        }
        Drive::LifetimeElapsed => {
            let (order_ref, token) = sign(h, &sign_request(None)).await;
            h.post_ok("/phone/open", json!({"autoStartToken": token}))
                .await;
            h.advance(181);
            order_ref
        }
        Drive::CertificateErrScenario => {
            h.post_ok(
                "/sim/scenario",
                json!({"personalNumber": PNR, "scenario": "certificateErr", "count": 1}),
            )
            .await;
            let (order_ref, _) = sign(h, &sign_request(Some(PNR))).await;
            let first = h.client.collect(&order_ref).await.expect("collect");
            assert_eq!(first.status, CollectStatus::Pending, "{first:?}");
            order_ref
        }
        Drive::PhoneCancel => {
            let (order_ref, token) = sign(h, &sign_request(None)).await;
            h.post_ok("/phone/open", json!({"autoStartToken": token}))
                .await;
            h.post_ok("/phone/cancel", json!({"orderRef": order_ref}))
                .await;
            order_ref
        }
        Drive::SecondOrderForPerson => {
            let (order_ref, _) = sign(h, &sign_request(Some(PNR))).await;
            let err = h
                .client
                .sign(&sign_request(Some(PNR)))
                .await
                .expect_err("second order for the person");
            assert!(
                matches!(err, BankIdError::AlreadyInProgress { .. }),
                "{err:?}"
            );
            order_ref
        }
        Drive::PickupDeadlineElapsed => {
            let (order_ref, _) = sign(h, &sign_request(None)).await;
            h.advance(31);
            order_ref
        }
        Drive::PhoneCallDeclined => {
            let started = h
                .client
                .phone_auth(&phone_auth_request())
                .await
                .expect("phone/auth over mTLS");
            h.post_ok("/phone/open", json!({"orderRef": started.order_ref}))
                .await;
            h.post_ok(
                "/phone/decline-call",
                json!({"orderRef": started.order_ref}),
            )
            .await;
            started.order_ref
        }
        Drive::FailWithReturnUrl(hint) => {
            let request = SignRequest {
                return_url: Some("https://esign.example/portal/return?nonce=abc".into()),
                ..sign_request(None)
            };
            let (order_ref, _) = sign(h, &request).await;
            fail(h, &order_ref, hint).await;
            order_ref
        }
        Drive::FailWithRiskRequirement(hint) => {
            let mut request = sign_request(Some(PNR));
            if let Some(requirement) = request.requirement.as_mut() {
                requirement.risk = Some("low".into());
            }
            let (order_ref, _) = sign(h, &request).await;
            fail(h, &order_ref, hint).await;
            order_ref
        }
        Drive::Fail(hint) => {
            let (order_ref, _) = sign(h, &sign_request(None)).await;
            fail(h, &order_ref, hint).await;
            order_ref
        }
    }
}

/// Runs the row of `wire`: drive the simulator, collect over mTLS, check status, hint and RFA.
async fn check_hint(wire: &str) {
    let case = HINT_CASES
        .iter()
        .find(|c| c.wire == wire)
        .unwrap_or_else(|| panic!("no row for {wire}"));
    let h = SimHarness::start().await;
    let order_ref = drive(&h, case.drive).await;
    let collected: CollectResponse = h
        .client
        .collect(&order_ref)
        .await
        .unwrap_or_else(|e| panic!("{wire} ({:?}): collect: {e:?}", case.drive));
    assert_eq!(collected.order_ref, order_ref);
    assert_eq!(
        (collected.status, collected.hint_code.clone()),
        (case.status, Some((case.hint)())),
        "{wire} via {:?}",
        case.drive
    );
    assert!(collected.completion_data.is_none(), "{wire}");
    // The wire spelling survives the round trip (unknown codes verbatim).
    assert_eq!(
        collected.hint_code.as_ref().map(HintCode::as_str),
        Some(wire)
    );
    let hint = collected.hint_code.as_ref();
    assert_eq!(
        user_message(collected.status, hint, true),
        case.rfa_qr,
        "{wire}: RFA with a QR code"
    );
    assert_eq!(
        user_message(collected.status, hint, false),
        case.rfa_autostart,
        "{wire}: RFA with autostart"
    );
}

#[test]
fn hint_table_covers_every_digest_hint_code_and_an_unknown_one_per_status() {
    for code in DIGEST_HINT_CODES {
        assert!(
            HINT_CASES.iter().any(|c| c.wire == *code),
            "no case for {code}"
        );
        assert!(
            !matches!(HintCode::parse(code), HintCode::Unknown(_)),
            "the client does not know {code}"
        );
    }
    for status in [CollectStatus::Pending, CollectStatus::Failed] {
        assert!(
            HINT_CASES
                .iter()
                .any(|c| c.status == status && matches!((c.hint)(), HintCode::Unknown(_))),
            "no unknown {status:?} case"
        );
    }
    assert_eq!(HINT_CASES.len(), DIGEST_HINT_CODES.len() + 2);
}

#[tokio::test]
async fn hint_pending_outstanding_transaction() {
    check_hint("outstandingTransaction").await;
}

#[tokio::test]
async fn hint_pending_no_client() {
    check_hint("noClient").await;
}

#[tokio::test]
async fn hint_pending_started() {
    check_hint("started").await;
}

#[tokio::test]
async fn hint_pending_user_mrtd() {
    check_hint("userMrtd").await;
}

#[tokio::test]
async fn hint_pending_user_call_confirm() {
    check_hint("userCallConfirm").await;
}

#[tokio::test]
async fn hint_pending_user_sign() {
    check_hint("userSign").await;
}

#[tokio::test]
async fn hint_pending_unknown() {
    check_hint("brandNewPendingHint").await;
}

#[tokio::test]
async fn hint_failed_expired_transaction() {
    check_hint("expiredTransaction").await;
}

#[tokio::test]
async fn hint_failed_certificate_err() {
    check_hint("certificateErr").await;
}

#[tokio::test]
async fn hint_failed_user_cancel() {
    check_hint("userCancel").await;
}

#[tokio::test]
async fn hint_failed_cancelled() {
    check_hint("cancelled").await;
}

#[tokio::test]
async fn hint_failed_start_failed() {
    check_hint("startFailed").await;
}

#[tokio::test]
async fn hint_failed_user_declined_call() {
    check_hint("userDeclinedCall").await;
}

#[tokio::test]
async fn hint_failed_not_supported_by_user_app() {
    check_hint("notSupportedByUserApp").await;
}

#[tokio::test]
async fn hint_failed_transaction_risk_blocked() {
    check_hint("transactionRiskBlocked").await;
}

#[tokio::test]
async fn hint_failed_unknown() {
    check_hint("brandNewFailureHint").await;
}

// ---- error codes (digest §1.8) ----

/// The error codes of digest §1.8 (with the HTTP status the simulator answers), and how each
/// is produced here.
const ERROR_CASES: &[(&str, u16, &str)] = &[
    (
        "alreadyInProgress",
        400,
        "real: a second /sign for the same requirement.personalNumber",
    ),
    (
        "invalidParameters",
        400,
        "real: collect of an unknown orderRef, cancel twice, malformed body; also injected",
    ),
    (
        "unauthorized",
        401,
        "real: no client certificate, and one from an untrusted RP CA; also injected",
    ),
    ("notFound", 404, "real: the client pointed at /rp/v5.1/"),
    (
        "methodNotAllowed",
        405,
        "real: raw GET (the client only POSTs); client mapping injected",
    ),
    ("requestTimeout", 408, "injected"),
    (
        "unsupportedMediaType",
        415,
        "real: raw POST with `; charset=UTF-8` / no Content-Type (the client always sends \
         exactly application/json); client mapping injected",
    ),
    ("tooManyRequests", 429, "injected (RateLimit-* headers)"),
    (
        "internalError",
        500,
        "real: scenario internalError; also injected",
    ),
    (
        "maintenance",
        503,
        "real: scenario maintenance; also injected",
    ),
    ("brandNewError", 400, "injected (an unknown code)"),
];

/// Digest §1.8 (401 and 403 are both `unauthorized`).
const DIGEST_ERROR_CODES: &[&str] = &[
    "alreadyInProgress",
    "invalidParameters",
    "unauthorized",
    "notFound",
    "methodNotAllowed",
    "requestTimeout",
    "unsupportedMediaType",
    "tooManyRequests",
    "internalError",
    "maintenance",
];

fn auth_request() -> AuthRequest {
    AuthRequest {
        end_user_ip: "192.0.2.1".into(),
        ..Default::default()
    }
}

/// Injects `code` once and returns the error the client makes of the next call.
async fn injected(h: &SimHarness, code: &str) -> BankIdError {
    h.post_ok("/sim/inject-error", json!({"errorCode": code}))
        .await;
    h.client.auth(&auth_request()).await.expect_err(code)
}

/// The typed error, its wire code, our code, retryability and the RFA text.
fn assert_error(err: &BankIdError, wire: &str, code: &str, retryable: bool, rfa: Rfa) {
    assert_eq!(err.error_code(), wire, "{err:?}");
    assert_eq!(err.code(), code, "{err:?}");
    assert_eq!(err.is_retryable(), retryable, "{err:?}");
    assert_eq!(error_message(err), rfa, "{err:?}");
    assert_eq!(
        (err.message_sv().as_str(), err.message_en().as_str()),
        rfa,
        "{err:?}"
    );
}

/// A raw RP call with the RP certificate: (status, body).
async fn raw(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("raw RP call");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[test]
fn error_table_covers_every_digest_error_code_and_an_unknown_one() {
    for code in DIGEST_ERROR_CODES {
        assert!(
            ERROR_CASES.iter().any(|(wire, _, _)| wire == code),
            "no case for {code}"
        );
        assert!(
            !matches!(
                BankIdError::from_error_code(code, String::new(), 400),
                BankIdError::Unknown { .. }
            ),
            "the client does not know {code}"
        );
    }
    assert!(ERROR_CASES.iter().any(|(wire, _, _)| matches!(
        BankIdError::from_error_code(wire, String::new(), 400),
        BankIdError::Unknown { .. }
    )));
    // Each documented HTTP status alone (a body without errorCode) maps to the same code.
    for (wire, status, _) in ERROR_CASES {
        if *status == 400 {
            continue; // 400 carries several codes: only the body tells them apart
        }
        assert_eq!(
            BankIdError::from_http_status(*status, String::new()).error_code(),
            *wire
        );
    }
}

#[tokio::test]
async fn error_already_in_progress() {
    let h = SimHarness::start().await;
    h.client
        .sign(&sign_request(Some(PNR)))
        .await
        .expect("first");
    let err = h
        .client
        .sign(&sign_request(Some(PNR)))
        .await
        .expect_err("second order for the same person");
    assert!(
        matches!(&err, BankIdError::AlreadyInProgress { details } if !details.is_empty()),
        "{err:?}"
    );
    assert_error(
        &err,
        "alreadyInProgress",
        "bankid.already_in_progress",
        false,
        RFA4,
    );
    // Both orders were aborted, so the person is free again; the same holds for phone orders.
    h.client
        .phone_auth(&phone_auth_request())
        .await
        .expect("phone order once the person is free");
    let err = h
        .client
        .phone_auth(&phone_auth_request())
        .await
        .expect_err("second phone order for the same person");
    assert!(
        matches!(err, BankIdError::AlreadyInProgress { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_invalid_parameters() {
    let h = SimHarness::start().await;
    let unknown = h
        .client
        .collect("00000000-0000-0000-0000-000000000000")
        .await
        .expect_err("unknown orderRef");
    assert!(
        matches!(unknown, BankIdError::InvalidParameters { .. }),
        "{unknown:?}"
    );
    assert_error(
        &unknown,
        "invalidParameters",
        "bankid.invalid_parameters",
        false,
        RFA5,
    );
    let started = h.client.auth(&auth_request()).await.expect("auth");
    h.client.cancel(&started.order_ref).await.expect("cancel");
    let twice = h
        .client
        .cancel(&started.order_ref)
        .await
        .expect_err("cancel twice");
    assert!(
        matches!(twice, BankIdError::InvalidParameters { .. }),
        "{twice:?}"
    );
    // Malformed body, sent raw: the simulator's answer.
    let (status, body) = raw(h
        .mtls_http
        .post(format!("{}auth", h.rp_base))
        .header("content-type", "application/json")
        .body("{"))
    .await;
    assert_eq!(
        (status, &body["errorCode"]),
        (400, &json!("invalidParameters"))
    );
    let err = injected(&h, "invalidParameters").await;
    assert!(
        matches!(err, BankIdError::InvalidParameters { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_unauthorized() {
    let h = SimHarness::start().await;
    let material = tls_material();
    // Trusts the simulator's root, presents no client certificate.
    let anonymous = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(
            reqwest::Certificate::from_der(&material.server_root_der).expect("root"),
        )
        .https_only(true)
        .build()
        .expect("client");
    let err = BankIdClient::new(&h.rp_base, anonymous)
        .auth(&auth_request())
        .await
        .expect_err("no client certificate");
    assert!(matches!(err, BankIdError::Unauthorized { .. }), "{err:?}");
    assert_error(&err, "unauthorized", "bankid.unauthorized", false, RFA5);
    // A certificate from an RP CA the simulator does not trust.
    let stranger =
        crate::bankid::tls::SimulatorTls::generate(chrono::Utc::now()).expect("other material");
    let err = TlsConfig {
        identity: stranger.client_identity.clone(),
        ..h.tls.clone()
    }
    .bankid_client(&h.rp_base)
    .expect("client")
    .collect("x")
    .await
    .expect_err("unknown RP certificate");
    assert!(matches!(err, BankIdError::Unauthorized { .. }), "{err:?}");
    let err = injected(&h, "unauthorized").await;
    assert!(matches!(err, BankIdError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn error_not_found() {
    let h = SimHarness::start().await;
    let wrong_path = BankIdClient::new(&format!("{}/rp/v5.1/", h.base), h.mtls_http.clone());
    let err = wrong_path.auth(&auth_request()).await.expect_err("404");
    assert!(matches!(err, BankIdError::NotFound { .. }), "{err:?}");
    assert_error(&err, "notFound", "bankid.not_found", false, RFA5);
}

#[tokio::test]
async fn error_method_not_allowed() {
    let h = SimHarness::start().await;
    // The client only POSTs; a raw GET shows the simulator's answer.
    let (status, body) = raw(h.mtls_http.get(format!("{}auth", h.rp_base))).await;
    assert_eq!(
        (status, &body["errorCode"]),
        (405, &json!("methodNotAllowed"))
    );
    let err = injected(&h, "methodNotAllowed").await;
    assert!(
        matches!(err, BankIdError::MethodNotAllowed { .. }),
        "{err:?}"
    );
    assert_error(
        &err,
        "methodNotAllowed",
        "bankid.method_not_allowed",
        false,
        RFA5,
    );
}

#[tokio::test]
async fn error_request_timeout() {
    let h = SimHarness::start().await;
    let err = injected(&h, "requestTimeout").await;
    assert!(matches!(err, BankIdError::RequestTimeout { .. }), "{err:?}");
    assert_error(
        &err,
        "requestTimeout",
        "bankid.request_timeout",
        false,
        RFA5,
    );
}

#[tokio::test]
async fn error_unsupported_media_type() {
    let h = SimHarness::start().await;
    let body = r#"{"endUserIp":"192.0.2.1"}"#;
    for content_type in [
        Some("application/json; charset=UTF-8"),
        Some("text/plain"),
        None,
    ] {
        let mut request = h.mtls_http.post(format!("{}auth", h.rp_base)).body(body);
        if let Some(value) = content_type {
            request = request.header("content-type", value);
        }
        let (status, answer) = raw(request).await;
        assert_eq!(
            (status, &answer["errorCode"]),
            (415, &json!("unsupportedMediaType")),
            "{content_type:?}"
        );
    }
    // The client sends exactly application/json, so it never earns a 415 itself.
    h.client
        .auth(&auth_request())
        .await
        .expect("exact content type");
    let err = injected(&h, "unsupportedMediaType").await;
    assert!(
        matches!(err, BankIdError::UnsupportedMediaType { .. }),
        "{err:?}"
    );
    assert_error(
        &err,
        "unsupportedMediaType",
        "bankid.unsupported_media_type",
        false,
        RFA5,
    );
}

#[tokio::test]
async fn error_too_many_requests() {
    let h = SimHarness::start().await;
    let err = injected(&h, "tooManyRequests").await;
    assert!(
        matches!(
            err,
            BankIdError::TooManyRequests {
                retry_after_seconds: Some(2),
                ..
            }
        ),
        "RateLimit-Reset: 2 → {err:?}"
    );
    assert_error(
        &err,
        "tooManyRequests",
        "bankid.too_many_requests",
        true,
        RFA5,
    );
}

#[tokio::test]
async fn error_internal_error() {
    let h = SimHarness::start().await;
    h.post_ok(
        "/sim/scenario",
        json!({"personalNumber": PNR, "scenario": "internalError", "count": 1}),
    )
    .await;
    let err = h
        .client
        .sign(&sign_request(Some(PNR)))
        .await
        .expect_err("scenario internalError");
    assert!(matches!(err, BankIdError::InternalError { .. }), "{err:?}");
    assert_error(&err, "internalError", "bankid.internal_error", false, RFA5);
    let err = injected(&h, "internalError").await;
    assert!(matches!(err, BankIdError::InternalError { .. }), "{err:?}");
}

#[tokio::test]
async fn error_maintenance() {
    let h = SimHarness::start().await;
    h.post_ok(
        "/sim/scenario",
        json!({"personalNumber": PNR, "scenario": "maintenance", "count": 1}),
    )
    .await;
    let err = h
        .client
        .sign(&sign_request(Some(PNR)))
        .await
        .expect_err("scenario maintenance");
    assert!(matches!(err, BankIdError::Maintenance { .. }), "{err:?}");
    assert_error(&err, "maintenance", "bankid.maintenance", true, RFA5);
    let err = injected(&h, "maintenance").await;
    assert!(matches!(err, BankIdError::Maintenance { .. }), "{err:?}");
}

#[tokio::test]
async fn error_unknown_code() {
    let h = SimHarness::start().await;
    let err = injected(&h, "brandNewError").await;
    assert!(
        matches!(&err, BankIdError::Unknown { code, http_status: 400, .. } if code == "brandNewError"),
        "{err:?}"
    );
    assert_error(&err, "brandNewError", "bankid.unknown_error", false, RFA22);
}
