//! A BankID RP API v6.0 simulator over real HTTP, plus a "phone" control API that plays the
//! signer's BankID app. Time comes from an injected clock: tests never sleep.
//!
//! RP API: `POST /rp/v6.0/{auth,sign,phone/auth,phone/sign,collect,cancel}`. Served by
//! [`router`] over plain HTTP, or by [`crate::bankid::tls::serve_tls`] over TLS with the
//! client-certificate check (401 `unauthorized` without a valid one; the phone and control
//! APIs below need no client certificate).
//!
//! # Phone API (plays the user's BankID app; JSON bodies, errors as `{errorCode, details}`)
//! - `GET /phone/orders?personalNumber=…`: the pending orders that concern that person (bound by
//!   `requirement.personalNumber`, by a `/phone/*` order, or held by them), oldest first:
//!   `[{orderRef, kind: auth|sign, autoStartToken?, callInitiator?, userVisibleData?, hintCode,
//!   createdAt}]` (`autoStartToken` only for QR/autostart orders, `callInitiator` only for
//!   phone orders).
//! - `POST /phone/open {autoStartToken}` | `{qrData}` (checks the HMAC and that the code is at
//!   most `qr_max_age_seconds` old) | `{orderRef}` (phone orders only, which have neither):
//!   the app picks the order up → `started` (phone orders → `userCallConfirm`). Answers
//!   `{orderRef}`.
//! - `POST /phone/confirm-call {orderRef}`: the user confirms the call with the RP → `started`.
//! - `POST /phone/decline-call {orderRef}`: the user is not in a call → failed `userDeclinedCall`.
//! - `POST /phone/identify {orderRef, personalNumber, givenName, surname[, ipAddress]}`: the
//!   user's BankID is chosen → `userSign`, or `userMrtd` when the order requires the passport
//!   or ID card (409 `noUsableBankId` if the order is bound to another personnummer).
//! - `POST /phone/scan-id {orderRef}`: the travel document is read → `userSign`.
//! - `POST /phone/confirm {orderRef}`: the security code is entered → `complete`, with the
//!   signature XML and OCSP response made from the simulator's CA.
//! - `POST /phone/cancel {orderRef}` → failed `userCancel`; `POST /phone/fail {orderRef,
//!   hintCode}` → failed with any hint code, also unknown ones; `POST /phone/hint {orderRef,
//!   hintCode}` → still pending, with that hint (e.g. `noClient`, or an unknown one).
//!
//! # Control API (tests and demos)
//! - `POST /sim/inject-error {errorCode, count?, retryAfterSeconds?}`: the next `count`
//!   (default 1) RP calls, whatever they concern, answer that error with its HTTP status
//!   (`tooManyRequests` carries `RateLimit-*` headers, and `Retry-After` when given).
//! - `POST /sim/scenario {personalNumber, scenario, count?, delayMs?}`: what happens to that
//!   person's orders until changed; answers the scenario as stored. `scenario` is one of
//!   - `userCancel` / `certificateErr`: an order concerning the person is answered `pending` at
//!     its first collect and fails with that hint code at the next one (or at once when the
//!     phone identifies as that person);
//!   - `maintenance` / `internalError`: every RP call concerning the person (auth/sign with that
//!     `requirement.personalNumber`, phone/auth|sign for them, collect/cancel of their orders)
//!     answers 503 `maintenance` / 500 `internalError`;
//!   - `slow`: those calls are answered after `delayMs` (default 1000, at most
//!     [`MAX_SLOW_DELAY_MS`]; larger values are cut to it);
//!   - `normal`: removes the scenario.
//!
//!   `count` limits how many times the scenario acts (orders failed, calls refused or delayed);
//!   without it the scenario stays until set to `normal`.
//! - `GET /sim/scenarios`: the stored scenarios.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use der::Decode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::bankid::ocsp::build_ocsp_response;
use crate::bankid::pki::{
    issue_ocsp_responder, issue_person_cert, PersonCredential, MOBILE_BANKID_TEST_POLICY,
};
use crate::bankid::xml::{signature_document, SignedDataInput};
use esign_shared::bankid::client::{
    validate_auth, validate_phone_auth, validate_phone_sign, validate_sign,
};
use esign_shared::bankid::qr::{parse_qr_data, qr_auth_code};
use esign_shared::bankid::types::{
    AuthRequest, CallInitiator, CollectResponse, CollectStatus, CompletionData, Device, ErrorBody,
    HintCode, OrderRefRequest, OrderStarted, PhoneAuthRequest, PhoneOrderStarted, PhoneRequirement,
    PhoneSignRequest, Requirement, SignRequest, StepUp, User,
};

/// The CA that issues the simulated users' certificates.
#[derive(Clone)]
pub struct SimulatorCa {
    /// DER certificates: the issuing CA first, then its issuers up to the root.
    pub chain_der: Vec<Vec<u8>>,
    /// PKCS#8 DER of the issuing CA's key (P-256 or RSA).
    pub issuing_key_pkcs8_der: Vec<u8>,
}

/// Timings and identity of the simulated service. Defaults follow digest §1.10.
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// An order not opened by a phone within this fails `startFailed`.
    pub pickup_timeout: Duration,
    /// A pending order fails `expiredTransaction` after this.
    pub order_lifetime: Duration,
    /// Completed orders can be collected this long after completion.
    pub complete_retention: Duration,
    /// Failed orders can be collected this long after failing.
    pub failed_retention: Duration,
    /// BankID documents that a finished order "cannot be collected twice": a second collect of
    /// a terminal order answers 400 invalidParameters. Turn off to allow repeated collects.
    pub strict_single_collect: bool,
    /// How old (in seconds) a scanned QR code may be before the phone refuses it.
    pub qr_max_age_seconds: u64,
    /// RP certificate subject as it appears in `srvInfo/name`.
    pub rp_name: String,
    pub rp_display_name: String,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            pickup_timeout: Duration::seconds(30),
            order_lifetime: Duration::seconds(180),
            complete_retention: Duration::minutes(3),
            failed_retention: Duration::minutes(5),
            strict_single_collect: true,
            qr_max_age_seconds: 10,
            rp_name: "cn=e-underskrift,name=e-underskrift simulator,serialNumber=5566304928,o=Sim Bank AB (publ),c=SE".into(),
            rp_display_name: "e-underskrift".into(),
        }
    }
}

pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
enum OrderKind {
    Auth,
    Sign,
}

#[derive(Debug, Clone)]
struct Identity {
    personal_number: String,
    given_name: String,
    surname: String,
    ip_address: Option<String>,
}

#[derive(Debug, Clone)]
enum OrderState {
    Pending(HintCode),
    Failed(HintCode),
    Complete(Box<CompletionData>),
    /// Cancelled by the RP through `/cancel`: no longer collectable nor cancellable.
    CancelledByRp,
}

#[derive(Debug, Clone)]
struct Order {
    order_ref: String,
    kind: OrderKind,
    auto_start_token: String,
    qr_start_token: String,
    qr_start_secret: String,
    end_user_ip: String,
    requirement: Requirement,
    user_visible_data: Option<String>,
    user_non_visible_data: Option<String>,
    return_risk: bool,
    created_at: DateTime<Utc>,
    opened_at: Option<DateTime<Utc>>,
    holder: Option<Identity>,
    state: OrderState,
    terminal_at: Option<DateTime<Utc>>,
    terminal_collected: bool,
    /// `Some` for `/phone/auth` and `/phone/sign` orders.
    call_initiator: Option<CallInitiator>,
    /// How many collects answered `pending` (scenarios fail an order at the second).
    pending_collects: u32,
}

impl Order {
    fn is_pending(&self) -> bool {
        matches!(self.state, OrderState::Pending(_))
    }

    /// The personnummer the order is bound to or held by, if any.
    fn person(&self) -> Option<&str> {
        self.requirement
            .personal_number
            .as_deref()
            .or(self.holder.as_ref().map(|h| h.personal_number.as_str()))
    }

    fn concerns(&self, personal_number: &str) -> bool {
        self.requirement.personal_number.as_deref() == Some(personal_number)
            || self
                .holder
                .as_ref()
                .is_some_and(|h| h.personal_number == personal_number)
    }

    fn fail(&mut self, hint: HintCode, now: DateTime<Utc>) {
        self.state = OrderState::Failed(hint);
        self.terminal_at = Some(now);
    }

    /// Applies the timeouts lazily, as of `now`.
    fn advance(&mut self, now: DateTime<Utc>, config: &SimulatorConfig) {
        if !self.is_pending() {
            return;
        }
        let age = now - self.created_at;
        // Phone orders reach the app without QR or autostart: no pickup deadline.
        if self.opened_at.is_none() && self.call_initiator.is_none() && age >= config.pickup_timeout
        {
            self.fail(
                HintCode::StartFailed,
                self.created_at + config.pickup_timeout,
            );
        } else if age >= config.order_lifetime {
            self.fail(
                HintCode::ExpiredTransaction,
                self.created_at + config.order_lifetime,
            );
        }
    }

    /// Finished orders are forgotten after their retention time (then collect says 400).
    fn is_forgotten(&self, now: DateTime<Utc>, config: &SimulatorConfig) -> bool {
        let Some(terminal_at) = self.terminal_at else {
            return false;
        };
        match self.state {
            OrderState::Complete(_) => now - terminal_at > config.complete_retention,
            _ => now - terminal_at > config.failed_retention,
        }
    }
}

#[derive(Debug, Clone)]
struct InjectedError {
    error_code: String,
    remaining: u32,
    retry_after: Option<u64>,
}

/// Upper bound of the `slow` scenario's delay, in milliseconds.
pub const MAX_SLOW_DELAY_MS: u64 = 10_000;
const DEFAULT_SLOW_DELAY_MS: u64 = 1_000;

/// What the simulator does to one person's orders (see the control API in the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ScenarioKind {
    UserCancel,
    CertificateErr,
    Maintenance,
    InternalError,
    Slow,
    /// Removes the person's scenario.
    Normal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Scenario {
    pub personal_number: String,
    pub scenario: ScenarioKind,
    /// How many more times it acts; `None` until changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// For `slow`: the delay actually applied (bounded by [`MAX_SLOW_DELAY_MS`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

/// Uses one action of the person's scenario (removed when its count runs out).
fn consume_scenario(scenarios: &mut HashMap<String, Scenario>, personal_number: &str) {
    let exhausted = match scenarios.get_mut(personal_number) {
        Some(Scenario {
            count: Some(count), ..
        }) => {
            *count = count.saturating_sub(1);
            *count == 0
        }
        _ => false,
    };
    if exhausted {
        scenarios.remove(personal_number);
    }
}

/// The failure a `userCancel` / `certificateErr` scenario gives the person's order, if any.
fn take_failure_scenario(
    scenarios: &mut HashMap<String, Scenario>,
    personal_number: &str,
) -> Option<HintCode> {
    let hint = match scenarios.get(personal_number)?.scenario {
        ScenarioKind::UserCancel => HintCode::UserCancel,
        ScenarioKind::CertificateErr => HintCode::CertificateErr,
        _ => return None,
    };
    consume_scenario(scenarios, personal_number);
    Some(hint)
}

/// What a scenario does to one RP call.
enum RpScenario {
    Delay(std::time::Duration),
    Refuse(ApiError),
}

#[derive(Default)]
struct Inner {
    orders: HashMap<String, Order>,
    credentials: HashMap<String, PersonCredential>,
    ocsp_responder: Option<PersonCredential>,
    injected: VecDeque<InjectedError>,
    scenarios: HashMap<String, Scenario>,
}

pub struct Simulator {
    ca: SimulatorCa,
    clock: Clock,
    config: SimulatorConfig,
    inner: Mutex<Inner>,
}

impl Simulator {
    pub fn new(ca: SimulatorCa, clock: Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>) -> Arc<Self> {
        Simulator::with_config(ca, clock, SimulatorConfig::default())
    }

    pub fn with_config(ca: SimulatorCa, clock: Clock, config: SimulatorConfig) -> Arc<Self> {
        Arc::new(Simulator {
            ca,
            clock,
            config,
            inner: Mutex::new(Inner::default()),
        })
    }

    /// The certificate a verifier should trust: the last one of the CA chain (the root).
    pub fn trust_anchors(&self) -> Vec<Vec<u8>> {
        self.ca.chain_der.last().cloned().into_iter().collect()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn start_order(&self, kind: OrderKind, fields: StartFields) -> Result<OrderStarted, ApiError> {
        let now = self.now();
        let mut inner = self.lock();
        if let Some(pnr) = fields.requirement.personal_number.clone() {
            let mut busy = false;
            for order in inner.orders.values_mut() {
                order.advance(now, &self.config);
                if order.is_pending() && order.concerns(&pnr) {
                    // BankID aborts the new order and cancels the running one.
                    order.fail(HintCode::Cancelled, now);
                    busy = true;
                }
            }
            if busy {
                return Err(ApiError::rp(
                    StatusCode::BAD_REQUEST,
                    "alreadyInProgress",
                    "Order already in progress for pno",
                ));
            }
        }
        let started = OrderStarted {
            order_ref: uuid::Uuid::new_v4().to_string(),
            auto_start_token: uuid::Uuid::new_v4().to_string(),
            qr_start_token: uuid::Uuid::new_v4().to_string(),
            qr_start_secret: uuid::Uuid::new_v4().to_string(),
        };
        let order = Order {
            order_ref: started.order_ref.clone(),
            kind,
            auto_start_token: started.auto_start_token.clone(),
            qr_start_token: started.qr_start_token.clone(),
            qr_start_secret: started.qr_start_secret.clone(),
            end_user_ip: fields.end_user_ip,
            requirement: fields.requirement,
            user_visible_data: fields.user_visible_data,
            user_non_visible_data: fields.user_non_visible_data,
            return_risk: fields.return_risk,
            created_at: now,
            opened_at: None,
            holder: None,
            state: OrderState::Pending(HintCode::OutstandingTransaction),
            terminal_at: None,
            terminal_collected: false,
            call_initiator: fields.call_initiator,
            pending_collects: 0,
        };
        inner.orders.insert(order.order_ref.clone(), order);
        Ok(started)
    }

    fn collect(&self, order_ref: &str) -> Result<CollectResponse, ApiError> {
        let now = self.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let config = &self.config;
        let order = inner
            .orders
            .get_mut(order_ref)
            .filter(|o| !o.is_forgotten(now, config))
            .ok_or_else(no_such_order)?;
        order.advance(now, config);
        // userCancel / certificateErr scenarios: the RP has seen `pending` once, then the failure.
        if order.is_pending() && order.pending_collects >= 1 {
            if let Some(pnr) = order.person() {
                if let Some(hint) = take_failure_scenario(&mut inner.scenarios, pnr) {
                    order.fail(hint, now);
                }
            }
        }
        let (status, hint_code, completion_data) = match &order.state {
            OrderState::Pending(hint) => {
                order.pending_collects = order.pending_collects.saturating_add(1);
                (CollectStatus::Pending, Some(hint.clone()), None)
            }
            OrderState::Failed(hint) => (CollectStatus::Failed, Some(hint.clone()), None),
            OrderState::Complete(data) => (CollectStatus::Complete, None, Some((**data).clone())),
            OrderState::CancelledByRp => return Err(no_such_order()),
        };
        if status != CollectStatus::Pending {
            if order.terminal_collected && config.strict_single_collect {
                return Err(ApiError::rp(
                    StatusCode::BAD_REQUEST,
                    "invalidParameters",
                    "Order already collected",
                ));
            }
            order.terminal_collected = true;
        }
        Ok(CollectResponse {
            order_ref: order.order_ref.clone(),
            status,
            hint_code,
            completion_data,
        })
    }

    fn cancel(&self, order_ref: &str) -> Result<(), ApiError> {
        let now = self.now();
        let mut inner = self.lock();
        let order = inner.orders.get_mut(order_ref).ok_or_else(no_such_order)?;
        order.advance(now, &self.config);
        if !order.is_pending() {
            return Err(ApiError::rp(
                StatusCode::BAD_REQUEST,
                "invalidParameters",
                "Order is not pending",
            ));
        }
        order.state = OrderState::CancelledByRp;
        order.terminal_at = Some(now);
        Ok(())
    }

    fn take_injected_error(&self) -> Option<ApiError> {
        let mut inner = self.lock();
        let front = inner.injected.front_mut()?;
        let code = front.error_code.clone();
        let retry_after = front.retry_after;
        front.remaining = front.remaining.saturating_sub(1);
        if front.remaining == 0 {
            inner.injected.pop_front();
        }
        let status = match code.as_str() {
            "unauthorized" => StatusCode::UNAUTHORIZED,
            "notFound" => StatusCode::NOT_FOUND,
            "methodNotAllowed" => StatusCode::METHOD_NOT_ALLOWED,
            "requestTimeout" => StatusCode::REQUEST_TIMEOUT,
            "unsupportedMediaType" => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "tooManyRequests" => StatusCode::TOO_MANY_REQUESTS,
            "internalError" => StatusCode::INTERNAL_SERVER_ERROR,
            "maintenance" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        };
        let mut error = ApiError::rp(status, &code, "Injected by the simulator");
        error.retry_after = retry_after;
        Some(error)
    }

    /// Sets (or with [`ScenarioKind::Normal`] removes) the scenario of one person; the same
    /// as `POST /sim/scenario`. Returns the scenario as stored.
    pub fn set_scenario(
        &self,
        personal_number: &str,
        scenario: ScenarioKind,
        count: Option<u32>,
        delay_ms: Option<u64>,
    ) -> Result<Scenario, String> {
        if personal_number.len() != 12 || !personal_number.bytes().all(|b| b.is_ascii_digit()) {
            return Err("personalNumber must be 12 digits".into());
        }
        if count == Some(0) {
            return Err("count must be at least 1".into());
        }
        let stored = Scenario {
            personal_number: personal_number.to_string(),
            scenario,
            count: if scenario == ScenarioKind::Normal {
                None
            } else {
                count
            },
            delay_ms: (scenario == ScenarioKind::Slow).then(|| {
                delay_ms
                    .unwrap_or(DEFAULT_SLOW_DELAY_MS)
                    .min(MAX_SLOW_DELAY_MS)
            }),
        };
        let mut inner = self.lock();
        if scenario == ScenarioKind::Normal {
            inner.scenarios.remove(personal_number);
        } else {
            inner
                .scenarios
                .insert(personal_number.to_string(), stored.clone());
        }
        Ok(stored)
    }

    /// The stored scenarios, by personnummer.
    pub fn scenarios(&self) -> Vec<Scenario> {
        let mut list: Vec<Scenario> = self.lock().scenarios.values().cloned().collect();
        list.sort_by(|a, b| a.personal_number.cmp(&b.personal_number));
        list
    }

    /// The scenario action for an RP call, from the person the call concerns.
    fn rp_scenario(&self, name: &str, body: &Bytes) -> Option<RpScenario> {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        let mut guard = self.lock();
        let inner = &mut *guard;
        let person = match name {
            "auth" | "sign" => value
                .get("requirement")?
                .get("personalNumber")?
                .as_str()?
                .to_string(),
            "phone/auth" | "phone/sign" => value.get("personalNumber")?.as_str()?.to_string(),
            _ => {
                let order_ref = value.get("orderRef")?.as_str()?;
                inner.orders.get(order_ref)?.person()?.to_string()
            }
        };
        let scenario = inner.scenarios.get(&person)?.clone();
        let action = match scenario.scenario {
            ScenarioKind::Maintenance => RpScenario::Refuse(ApiError::rp(
                StatusCode::SERVICE_UNAVAILABLE,
                "maintenance",
                "Scenario: maintenance",
            )),
            ScenarioKind::InternalError => RpScenario::Refuse(ApiError::rp(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internalError",
                "Scenario: internal error",
            )),
            ScenarioKind::Slow => RpScenario::Delay(std::time::Duration::from_millis(
                scenario
                    .delay_ms
                    .unwrap_or(DEFAULT_SLOW_DELAY_MS)
                    .min(MAX_SLOW_DELAY_MS),
            )),
            _ => return None,
        };
        consume_scenario(&mut inner.scenarios, &person);
        Some(action)
    }

    /// A phone step on one order: the order brought up to date with the clock first.
    fn phone_step(
        &self,
        order_ref: &str,
        step: impl FnOnce(&mut Order, DateTime<Utc>) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let mut inner = self.lock();
        let order = inner
            .orders
            .get_mut(order_ref)
            .ok_or_else(phone_no_such_order)?;
        order.advance(now, &self.config);
        step(order, now)
    }

    fn phone_call_answer(&self, order_ref: &str, in_call: bool) -> Result<(), ApiError> {
        self.phone_step(order_ref, |order, now| {
            if !matches!(order.state, OrderState::Pending(HintCode::UserCallConfirm)) {
                return Err(not_pending());
            }
            if in_call {
                order.state = OrderState::Pending(HintCode::Started);
            } else {
                order.fail(HintCode::UserDeclinedCall, now);
            }
            Ok(())
        })
    }

    // ---- phone ----

    fn phone_open(&self, req: PhoneOpen) -> Result<OrderRefRequest, ApiError> {
        let now = self.now();
        let mut inner = self.lock();
        let config = &self.config;
        let order = match (&req.auto_start_token, &req.qr_data, &req.order_ref) {
            (None, None, Some(order_ref)) => {
                let order = inner.orders.get_mut(order_ref);
                if order.as_ref().is_some_and(|o| o.call_initiator.is_none()) {
                    return Err(ApiError::phone(
                        StatusCode::BAD_REQUEST,
                        "invalidParameters",
                        "only phone orders are opened by orderRef; use autoStartToken or qrData",
                    ));
                }
                order
            }
            (Some(token), None, None) => inner
                .orders
                .values_mut()
                .find(|o| o.call_initiator.is_none() && &o.auto_start_token == token),
            (None, Some(qr), None) => {
                let content = parse_qr_data(qr).ok_or_else(|| {
                    ApiError::phone(StatusCode::BAD_REQUEST, "invalidQr", "Not BankID QR data")
                })?;
                let order = inner
                    .orders
                    .values_mut()
                    .find(|o| o.qr_start_token == content.qr_start_token)
                    .ok_or_else(|| {
                        ApiError::phone(StatusCode::NOT_FOUND, "noSuchOrder", "Unknown QR code")
                    })?;
                let expected = qr_auth_code(&order.qr_start_secret, content.seconds);
                if !constant_time_eq(expected.as_bytes(), content.auth_code.as_bytes()) {
                    return Err(ApiError::phone(
                        StatusCode::BAD_REQUEST,
                        "invalidQr",
                        "QR code is not authentic",
                    ));
                }
                let elapsed = u64::try_from((now - order.created_at).num_seconds()).unwrap_or(0);
                // The RP counts from when it received the response; allow a little skew either way.
                if content.seconds > elapsed.saturating_add(2)
                    || elapsed > content.seconds.saturating_add(config.qr_max_age_seconds)
                {
                    return Err(ApiError::phone(
                        StatusCode::BAD_REQUEST,
                        "qrTooOld",
                        "QR-koden är för gammal",
                    ));
                }
                Some(order)
            }
            _ => {
                return Err(ApiError::phone(
                    StatusCode::BAD_REQUEST,
                    "invalidParameters",
                    "give exactly one of autoStartToken, qrData and orderRef",
                ))
            }
        };
        let order = order.ok_or_else(|| {
            ApiError::phone(StatusCode::NOT_FOUND, "noSuchOrder", "Unknown token")
        })?;
        order.advance(now, config);
        if !order.is_pending() || order.opened_at.is_some() {
            return Err(not_pending());
        }
        order.opened_at = Some(now);
        // A phone order first asks the user to confirm the call with the RP.
        order.state = OrderState::Pending(if order.call_initiator.is_some() {
            HintCode::UserCallConfirm
        } else {
            HintCode::Started
        });
        Ok(OrderRefRequest {
            order_ref: order.order_ref.clone(),
        })
    }

    fn phone_identify(&self, req: PhoneIdentify) -> Result<(), ApiError> {
        if req.personal_number.len() != 12
            || !req.personal_number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ApiError::phone(
                StatusCode::BAD_REQUEST,
                "invalidParameters",
                "personalNumber must be 12 digits",
            ));
        }
        for name in [&req.given_name, &req.surname] {
            if name.trim().is_empty() || name.chars().count() > 100 {
                return Err(ApiError::phone(
                    StatusCode::BAD_REQUEST,
                    "invalidParameters",
                    "names must be 1-100 characters",
                ));
            }
        }
        let now = self.now();
        let mut inner = self.lock();
        let config = &self.config;
        let order = inner
            .orders
            .get_mut(&req.order_ref)
            .ok_or_else(phone_no_such_order)?;
        order.advance(now, config);
        if !order.is_pending()
            || order.opened_at.is_none()
            || order.holder.is_some()
            || matches!(order.state, OrderState::Pending(HintCode::UserCallConfirm))
        {
            return Err(not_pending());
        }
        if let Some(required) = order.requirement.personal_number.as_deref() {
            if required != req.personal_number {
                // The real app finds no BankID that fulfils the requirement: it tells the user so,
                // and the order stays `started` until it expires (expiredTransaction). We keep
                // the order untouched so the right person may still pick it up on another phone.
                return Err(ApiError::phone(
                    StatusCode::CONFLICT,
                    "noUsableBankId",
                    "This phone holds no BankID for the required personal number",
                ));
            }
        }
        let order_ref = order.order_ref.clone();
        order.holder = Some(Identity {
            personal_number: req.personal_number.clone(),
            given_name: req.given_name.trim().to_string(),
            surname: req.surname.trim().to_string(),
            ip_address: req.ip_address.clone(),
        });
        // With `requirement.mrtd` the app first asks for the passport or ID card
        // (userMrtd, then `/phone/scan-id`); otherwise it goes straight to the security code.
        order.state = OrderState::Pending(if order.requirement.mrtd == Some(true) {
            HintCode::UserMrtd
        } else {
            HintCode::UserSign
        });
        // A user has one order at a time: an older pending order they hold is cancelled.
        for other in inner.orders.values_mut() {
            if other.order_ref != order_ref
                && other.is_pending()
                && other
                    .holder
                    .as_ref()
                    .is_some_and(|h| h.personal_number == req.personal_number)
            {
                other.fail(HintCode::Cancelled, now);
            }
        }
        // userCancel / certificateErr scenario of this person: the app fails the order at once.
        if let Some(hint) = take_failure_scenario(&mut inner.scenarios, &req.personal_number) {
            if let Some(order) = inner.orders.get_mut(&order_ref) {
                order.fail(hint, now);
            }
        }
        Ok(())
    }

    fn phone_confirm(&self, order_ref: &str) -> Result<(), ApiError> {
        let now = self.now();
        let mut guard = self.lock();
        let inner = &mut *guard;
        let order = inner
            .orders
            .get_mut(order_ref)
            .ok_or_else(phone_no_such_order)?;
        order.advance(now, &self.config);
        let holder = match (&order.state, &order.holder) {
            (OrderState::Pending(HintCode::UserSign), Some(holder)) => holder.clone(),
            _ => return Err(not_pending()),
        };
        if !inner.credentials.contains_key(&holder.personal_number) {
            let credential = issue_person_cert(
                &self.ca,
                &holder.personal_number,
                &holder.given_name,
                &holder.surname,
                now,
            )
            .map_err(|e| ApiError::phone(StatusCode::INTERNAL_SERVER_ERROR, "internalError", &e))?;
            inner
                .credentials
                .insert(holder.personal_number.clone(), credential);
        }
        if inner.ocsp_responder.is_none() {
            let responder = issue_ocsp_responder(&self.ca, now).map_err(internal)?;
            inner.ocsp_responder = Some(responder);
        }
        let (Some(credential), Some(responder)) = (
            inner.credentials.get(&holder.personal_number),
            inner.ocsp_responder.as_ref(),
        ) else {
            return Err(ApiError::phone(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internalError",
                "credential missing",
            ));
        };
        let mut chain = vec![credential.cert_der.clone()];
        chain.extend(
            self.ca
                .chain_der
                .iter()
                .filter(|der| !is_self_signed(der))
                .cloned(),
        );
        let uhi = BASE64.encode(&Sha256::digest(holder.personal_number.as_bytes())[..21]);
        let policy = order
            .requirement
            .certificate_policies
            .as_ref()
            .and_then(|p| p.first().cloned())
            .unwrap_or_else(|| MOBILE_BANKID_TEST_POLICY.to_string());
        let input = SignedDataInput {
            usr_visible_data: order.user_visible_data.as_deref(),
            usr_non_visible_data: order.user_non_visible_data.as_deref(),
            rp_name: &self.config.rp_name,
            rp_display_name: &self.config.rp_display_name,
            func_id: match order.kind {
                OrderKind::Auth => "Identification",
                OrderKind::Sign => "Signing",
            },
            uhi: &uhi,
            certificate_policy: &policy,
        };
        let xml = signature_document(&input, &chain, &credential.key);
        let signature_b64 = BASE64.encode(xml.as_bytes());
        let issuer_der = self
            .ca
            .chain_der
            .first()
            .ok_or_else(|| internal("empty CA chain".into()))?;
        let ocsp = build_ocsp_response(
            issuer_der,
            &credential.cert_der,
            &responder.cert_der,
            &responder.key,
            &signature_b64,
            now,
        )
        .map_err(internal)?;
        let data = CompletionData {
            user: User {
                personal_number: holder.personal_number.clone(),
                name: format!("{} {}", holder.given_name, holder.surname),
                given_name: holder.given_name.clone(),
                surname: holder.surname.clone(),
            },
            device: Device {
                ip_address: holder
                    .ip_address
                    .clone()
                    .unwrap_or_else(|| order.end_user_ip.clone()),
                uhi: Some(uhi),
            },
            bank_id_issue_date: credential.issued_at.format("%Y-%m-%d").to_string(),
            step_up: (order.requirement.mrtd == Some(true)).then_some(StepUp { mrtd: true }),
            signature: signature_b64,
            ocsp_response: BASE64.encode(ocsp),
            risk: (order.return_risk || order.requirement.risk.is_some())
                .then(|| "low".to_string()),
        };
        order.state = OrderState::Complete(Box::new(data));
        order.terminal_at = Some(now);
        Ok(())
    }

    /// The user scanned their travel document: userMrtd → userSign.
    fn phone_scan_id(&self, order_ref: &str) -> Result<(), ApiError> {
        self.phone_step(order_ref, |order, _| {
            if !matches!(order.state, OrderState::Pending(HintCode::UserMrtd)) {
                return Err(not_pending());
            }
            order.state = OrderState::Pending(HintCode::UserSign);
            Ok(())
        })
    }

    /// Keep a pending order pending with another hint (e.g. `noClient`, or a code BankID may
    /// add later), to test how a client shows it.
    fn phone_hint(&self, order_ref: &str, hint: HintCode) -> Result<(), ApiError> {
        self.phone_step(order_ref, |order, _| {
            if !order.is_pending() {
                return Err(not_pending());
            }
            order.state = OrderState::Pending(hint);
            Ok(())
        })
    }

    fn phone_fail(&self, order_ref: &str, hint: HintCode) -> Result<(), ApiError> {
        self.phone_step(order_ref, |order, now| {
            if !order.is_pending() {
                return Err(not_pending());
            }
            order.fail(hint, now);
            Ok(())
        })
    }

    fn phone_orders(&self, personal_number: &str) -> Vec<PhoneOrder> {
        let now = self.now();
        let mut inner = self.lock();
        let mut list: Vec<PhoneOrder> = inner
            .orders
            .values_mut()
            .filter_map(|order| {
                order.advance(now, &self.config);
                match &order.state {
                    OrderState::Pending(hint) if order.concerns(personal_number) => {
                        Some(PhoneOrder {
                            order_ref: order.order_ref.clone(),
                            kind: order.kind,
                            auto_start_token: order
                                .call_initiator
                                .is_none()
                                .then(|| order.auto_start_token.clone()),
                            call_initiator: order.call_initiator,
                            user_visible_data: order.user_visible_data.clone(),
                            hint_code: hint.clone(),
                            created_at: order.created_at,
                        })
                    }
                    _ => None,
                }
            })
            .collect();
        list.sort_by_key(|o| o.created_at);
        list
    }
}

struct StartFields {
    end_user_ip: String,
    requirement: Requirement,
    user_visible_data: Option<String>,
    user_non_visible_data: Option<String>,
    return_risk: bool,
    call_initiator: Option<CallInitiator>,
}

fn is_self_signed(der: &[u8]) -> bool {
    x509_cert::Certificate::from_der(der)
        .map(|c| c.tbs_certificate.subject == c.tbs_certificate.issuer)
        .unwrap_or(false)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // A fold over all bytes: no early exit that would leak how much of the code matched.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// An error answered by the simulator: RP API errors use BankID's body shape, and so do the
/// phone API's own errors.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Sent as `Retry-After` (seconds).
    retry_after: Option<u64>,
}

impl ApiError {
    fn rp(status: StatusCode, code: &str, details: &str) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error_code: code.to_string(),
                details: details.to_string(),
            },
            retry_after: None,
        }
    }

    fn phone(status: StatusCode, code: &str, details: &str) -> ApiError {
        ApiError::rp(status, code, details)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers_mut();
            headers.insert("RateLimit-Limit", header::HeaderValue::from_static("100"));
            headers.insert("RateLimit-Remaining", header::HeaderValue::from_static("0"));
            headers.insert("RateLimit-Reset", header::HeaderValue::from_static("2"));
        }
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

fn no_such_order() -> ApiError {
    ApiError::rp(
        StatusCode::BAD_REQUEST,
        "invalidParameters",
        "No such order",
    )
}

fn phone_no_such_order() -> ApiError {
    ApiError::phone(StatusCode::NOT_FOUND, "noSuchOrder", "No such order")
}

fn internal(details: String) -> ApiError {
    ApiError::phone(StatusCode::INTERNAL_SERVER_ERROR, "internalError", &details)
}

fn not_pending() -> ApiError {
    ApiError::phone(
        StatusCode::CONFLICT,
        "orderNotPending",
        "The order is not waiting for this step",
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneOpen {
    auto_start_token: Option<String>,
    qr_data: Option<String>,
    /// Phone orders only.
    order_ref: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneIdentify {
    order_ref: String,
    personal_number: String,
    given_name: String,
    surname: String,
    /// The phone's IP as BankID sees it; defaults to the order's endUserIp (same device).
    ip_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneFail {
    order_ref: String,
    hint_code: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PhoneOrdersQuery {
    personal_number: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhoneOrder {
    order_ref: String,
    kind: OrderKind,
    /// Absent for phone orders (opened by `orderRef`).
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_start_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    call_initiator: Option<CallInitiator>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_visible_data: Option<String>,
    hint_code: HintCode,
    created_at: DateTime<Utc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct InjectErrorRequest {
    error_code: String,
    count: Option<u32>,
    retry_after_seconds: Option<u64>,
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|_| {
        ApiError::rp(
            StatusCode::BAD_REQUEST,
            "invalidParameters",
            "Invalid request",
        )
    })
}

/// BankID wants exactly `application/json`; any parameter (such as `; charset=UTF-8`) is refused.
fn is_exact_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// The HTTP API: RP API under `/rp/v6.0/`, phone API under `/phone/`, fault injection under `/sim/`.
pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/rp/v6.0/{method}", any(rp_method))
        .route("/rp/v6.0/phone/{method}", any(rp_phone_method))
        .route("/phone/open", post(phone_open))
        .route("/phone/identify", post(phone_identify))
        .route("/phone/confirm", post(phone_confirm))
        .route("/phone/cancel", post(phone_cancel))
        .route("/phone/fail", post(phone_fail))
        .route("/phone/hint", post(phone_hint))
        .route("/phone/scan-id", post(phone_scan_id))
        .route("/phone/confirm-call", post(phone_confirm_call))
        .route("/phone/decline-call", post(phone_decline_call))
        .route("/phone/orders", get(phone_orders))
        .route("/sim/inject-error", post(inject_error))
        .route("/sim/scenario", post(set_scenario))
        .route("/sim/scenarios", get(list_scenarios))
        .fallback(not_found)
        .with_state(sim)
}

async fn not_found() -> Response {
    ApiError::rp(StatusCode::NOT_FOUND, "notFound", "Not found").into_response()
}

async fn rp_method(
    State(sim): State<Arc<Simulator>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    rp_call(&sim, &name, &method, &headers, &body).await
}

async fn rp_phone_method(
    State(sim): State<Arc<Simulator>>,
    Path(name): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    rp_call(&sim, &format!("phone/{name}"), &method, &headers, &body).await
}

async fn rp_call(
    sim: &Simulator,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Response {
    if method == Method::POST && is_rp_method(name) {
        match sim.rp_scenario(name, body) {
            Some(RpScenario::Delay(delay)) => tokio::time::sleep(delay).await,
            Some(RpScenario::Refuse(error)) => return error.into_response(),
            None => {}
        }
    }
    match rp_dispatch(sim, name, method, headers, body) {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

fn is_rp_method(name: &str) -> bool {
    matches!(
        name,
        "auth" | "sign" | "phone/auth" | "phone/sign" | "collect" | "cancel"
    )
}

/// A `/phone/*` order: bound to the person; no endUserIp is sent, so the device address in
/// `completionData` is the phone's own (`ipAddress` of `/phone/identify`, else a documentation
/// address).
fn phone_fields(
    personal_number: String,
    call_initiator: CallInitiator,
    requirement: Option<PhoneRequirement>,
    user_visible_data: Option<String>,
    user_non_visible_data: Option<String>,
) -> StartFields {
    let requirement = requirement.unwrap_or_default();
    StartFields {
        end_user_ip: "198.51.100.7".into(),
        requirement: Requirement {
            personal_number: Some(personal_number),
            pin_code: requirement.pin_code,
            certificate_policies: requirement.certificate_policies,
            card_reader: requirement.card_reader,
            ..Default::default()
        },
        user_visible_data,
        user_non_visible_data,
        return_risk: false,
        call_initiator: Some(call_initiator),
    }
}

fn rp_dispatch(
    sim: &Simulator,
    name: &str,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    if !is_rp_method(name) {
        return Err(ApiError::rp(StatusCode::NOT_FOUND, "notFound", "Not found"));
    }
    if method != Method::POST {
        return Err(ApiError::rp(
            StatusCode::METHOD_NOT_ALLOWED,
            "methodNotAllowed",
            "Only POST is allowed",
        ));
    }
    if let Some(error) = sim.take_injected_error() {
        return Err(error);
    }
    if !is_exact_json(headers) {
        return Err(ApiError::rp(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupportedMediaType",
            "Content-Type must be application/json",
        ));
    }
    let invalid =
        |details: String| ApiError::rp(StatusCode::BAD_REQUEST, "invalidParameters", &details);
    match name {
        "auth" => {
            let req: AuthRequest = parse_body(body)?;
            validate_auth(&req).map_err(invalid)?;
            let fields = StartFields {
                end_user_ip: req.end_user_ip,
                requirement: req.requirement.unwrap_or_default(),
                user_visible_data: req.user_visible_data,
                user_non_visible_data: req.user_non_visible_data,
                return_risk: req.return_risk == Some(true),
                call_initiator: None,
            };
            Ok(axum::Json(sim.start_order(OrderKind::Auth, fields)?).into_response())
        }
        "sign" => {
            let req: SignRequest = parse_body(body)?;
            validate_sign(&req).map_err(invalid)?;
            let fields = StartFields {
                end_user_ip: req.end_user_ip,
                requirement: req.requirement.unwrap_or_default(),
                user_visible_data: Some(req.user_visible_data),
                user_non_visible_data: req.user_non_visible_data,
                return_risk: req.return_risk == Some(true),
                call_initiator: None,
            };
            Ok(axum::Json(sim.start_order(OrderKind::Sign, fields)?).into_response())
        }
        "phone/auth" => {
            let req: PhoneAuthRequest = parse_body(body)?;
            validate_phone_auth(&req).map_err(invalid)?;
            let fields = phone_fields(
                req.personal_number,
                req.call_initiator,
                req.requirement,
                req.user_visible_data,
                req.user_non_visible_data,
            );
            let started = sim.start_order(OrderKind::Auth, fields)?;
            Ok(axum::Json(PhoneOrderStarted {
                order_ref: started.order_ref,
            })
            .into_response())
        }
        "phone/sign" => {
            let req: PhoneSignRequest = parse_body(body)?;
            validate_phone_sign(&req).map_err(invalid)?;
            let fields = phone_fields(
                req.personal_number,
                req.call_initiator,
                req.requirement,
                Some(req.user_visible_data),
                req.user_non_visible_data,
            );
            let started = sim.start_order(OrderKind::Sign, fields)?;
            Ok(axum::Json(PhoneOrderStarted {
                order_ref: started.order_ref,
            })
            .into_response())
        }
        "collect" => {
            let req: OrderRefRequest = parse_body(body)?;
            Ok(axum::Json(sim.collect(&req.order_ref)?).into_response())
        }
        _ => {
            let req: OrderRefRequest = parse_body(body)?;
            sim.cancel(&req.order_ref)?;
            Ok(axum::Json(serde_json::json!({})).into_response())
        }
    }
}

async fn phone_open(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(parse_body::<PhoneOpen>(&body).and_then(|req| sim.phone_open(req)))
}

async fn phone_identify(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<PhoneIdentify>(&body)
            .and_then(|req| sim.phone_identify(req))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_confirm(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_confirm(&req.order_ref))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_cancel(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_fail(&req.order_ref, HintCode::UserCancel))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_hint(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<PhoneFail>(&body)
            .and_then(|req| sim.phone_hint(&req.order_ref, HintCode::parse(&req.hint_code)))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_scan_id(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_scan_id(&req.order_ref))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_fail(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<PhoneFail>(&body)
            .and_then(|req| sim.phone_fail(&req.order_ref, HintCode::parse(&req.hint_code)))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_orders(
    State(sim): State<Arc<Simulator>>,
    Query(query): Query<PhoneOrdersQuery>,
) -> Response {
    axum::Json(sim.phone_orders(&query.personal_number)).into_response()
}

async fn phone_confirm_call(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_call_answer(&req.order_ref, true))
            .map(|_| serde_json::json!({})),
    )
}

async fn phone_decline_call(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(
        parse_body::<OrderRefRequest>(&body)
            .and_then(|req| sim.phone_call_answer(&req.order_ref, false))
            .map(|_| serde_json::json!({})),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScenarioRequest {
    personal_number: String,
    scenario: ScenarioKind,
    count: Option<u32>,
    delay_ms: Option<u64>,
}

async fn set_scenario(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(parse_body::<ScenarioRequest>(&body).and_then(|req| {
        sim.set_scenario(&req.personal_number, req.scenario, req.count, req.delay_ms)
            .map_err(|e| ApiError::rp(StatusCode::BAD_REQUEST, "invalidParameters", &e))
    }))
}

async fn list_scenarios(State(sim): State<Arc<Simulator>>) -> Response {
    axum::Json(sim.scenarios()).into_response()
}

async fn inject_error(State(sim): State<Arc<Simulator>>, body: Bytes) -> Response {
    respond(parse_body::<InjectErrorRequest>(&body).map(|req| {
        let count = req.count.unwrap_or(1).max(1);
        sim.lock().injected.push_back(InjectedError {
            error_code: req.error_code,
            remaining: count,
            retry_after: req.retry_after_seconds,
        });
        serde_json::json!({})
    }))
}

fn respond<T: Serialize>(result: Result<T, ApiError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => error.into_response(),
    }
}
