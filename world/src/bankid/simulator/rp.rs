//! The RP API's operations on the orders: start (auth, sign and their phone forms), collect,
//! cancel; and the errors injected through the control API.

use axum::http::StatusCode;

use super::error::{no_such_order, ApiError};
use super::order::{Order, OrderKind, OrderState, StartFields};
use super::scenario::take_failure_scenario;
use super::Simulator;
use esign_shared::bankid::types::{CollectResponse, CollectStatus, HintCode, OrderStarted};

#[derive(Debug, Clone)]
pub(super) struct InjectedError {
    pub(super) error_code: String,
    pub(super) remaining: u32,
    pub(super) retry_after: Option<u64>,
}

impl Simulator {
    pub(super) fn start_order(
        &self,
        kind: OrderKind,
        fields: StartFields,
    ) -> Result<OrderStarted, ApiError> {
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

    pub(super) fn collect(&self, order_ref: &str) -> Result<CollectResponse, ApiError> {
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

    pub(super) fn cancel(&self, order_ref: &str) -> Result<(), ApiError> {
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

    pub(super) fn take_injected_error(&self) -> Option<ApiError> {
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
}
