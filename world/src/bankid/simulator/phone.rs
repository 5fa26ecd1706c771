//! The phone API's steps: what the signer's BankID app does to an order, from opening it by
//! QR code, autostart token or call, to identifying, cancelling or failing it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::{not_pending, phone_no_such_order, ApiError};
use super::order::{Identity, Order, OrderKind, OrderState};
use super::scenario::take_failure_scenario;
use super::Simulator;
use axum::http::StatusCode;
use esign_shared::bankid::qr::{parse_qr_data, qr_auth_code};
use esign_shared::bankid::types::{CallInitiator, HintCode, OrderRefRequest};

impl Simulator {
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

    pub(super) fn phone_call_answer(&self, order_ref: &str, in_call: bool) -> Result<(), ApiError> {
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

    pub(super) fn phone_open(&self, req: PhoneOpen) -> Result<OrderRefRequest, ApiError> {
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

    pub(super) fn phone_identify(&self, req: PhoneIdentify) -> Result<(), ApiError> {
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

    /// The user scanned their travel document: userMrtd → userSign.
    pub(super) fn phone_scan_id(&self, order_ref: &str) -> Result<(), ApiError> {
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
    pub(super) fn phone_hint(&self, order_ref: &str, hint: HintCode) -> Result<(), ApiError> {
        self.phone_step(order_ref, |order, _| {
            if !order.is_pending() {
                return Err(not_pending());
            }
            order.state = OrderState::Pending(hint);
            Ok(())
        })
    }

    pub(super) fn phone_fail(&self, order_ref: &str, hint: HintCode) -> Result<(), ApiError> {
        self.phone_step(order_ref, |order, now| {
            if !order.is_pending() {
                return Err(not_pending());
            }
            order.fail(hint, now);
            Ok(())
        })
    }

    pub(super) fn phone_orders(&self, personal_number: &str) -> Vec<PhoneOrder> {
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

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    // A fold over all bytes: no early exit that would leak how much of the code matched.
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhoneOpen {
    auto_start_token: Option<String>,
    qr_data: Option<String>,
    /// Phone orders only.
    order_ref: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhoneIdentify {
    order_ref: String,
    personal_number: String,
    given_name: String,
    surname: String,
    /// The phone's IP as BankID sees it; defaults to the order's endUserIp (same device).
    ip_address: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PhoneOrder {
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
