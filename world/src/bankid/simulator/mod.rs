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
//!
//! The parts: `order` is one order's state, `rp` the RP API's operations, `phone` the app's
//! steps (`completion` makes the signature and OCSP response of a completed order),
//! `scenario` and the injected errors the faults, `http` the routes and `error` their errors.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};

use crate::bankid::pki::PersonCredential;
pub use crate::bankid::pki::SimulatorCa;
use order::Order;
use rp::InjectedError;

mod completion;
mod error;
mod http;
mod order;
mod phone;
mod rp;
mod scenario;

pub use http::router;
pub use scenario::{Scenario, ScenarioKind, MAX_SLOW_DELAY_MS};

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
}
