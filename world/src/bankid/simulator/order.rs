//! One BankID order as the simulator keeps it, and the clock's effect on it (pickup timeout,
//! order lifetime, how long a finished order can be collected).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::SimulatorConfig;
use esign_shared::bankid::types::{CallInitiator, CompletionData, HintCode, Requirement};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) enum OrderKind {
    Auth,
    Sign,
}

#[derive(Debug, Clone)]
pub(super) struct Identity {
    pub(super) personal_number: String,
    pub(super) given_name: String,
    pub(super) surname: String,
    pub(super) ip_address: Option<String>,
}

#[derive(Debug, Clone)]
pub(super) enum OrderState {
    Pending(HintCode),
    Failed(HintCode),
    Complete(Box<CompletionData>),
    /// Cancelled by the RP through `/cancel`: no longer collectable nor cancellable.
    CancelledByRp,
}

#[derive(Debug, Clone)]
pub(super) struct Order {
    pub(super) order_ref: String,
    pub(super) kind: OrderKind,
    pub(super) auto_start_token: String,
    pub(super) qr_start_token: String,
    pub(super) qr_start_secret: String,
    pub(super) end_user_ip: String,
    pub(super) requirement: Requirement,
    pub(super) user_visible_data: Option<String>,
    pub(super) user_non_visible_data: Option<String>,
    pub(super) return_risk: bool,
    pub(super) created_at: DateTime<Utc>,
    pub(super) opened_at: Option<DateTime<Utc>>,
    pub(super) holder: Option<Identity>,
    pub(super) state: OrderState,
    pub(super) terminal_at: Option<DateTime<Utc>>,
    pub(super) terminal_collected: bool,
    /// `Some` for `/phone/auth` and `/phone/sign` orders.
    pub(super) call_initiator: Option<CallInitiator>,
    /// How many collects answered `pending` (scenarios fail an order at the second).
    pub(super) pending_collects: u32,
}

impl Order {
    pub(super) fn is_pending(&self) -> bool {
        matches!(self.state, OrderState::Pending(_))
    }

    /// The personnummer the order is bound to or held by, if any.
    pub(super) fn person(&self) -> Option<&str> {
        self.requirement
            .personal_number
            .as_deref()
            .or(self.holder.as_ref().map(|h| h.personal_number.as_str()))
    }

    pub(super) fn concerns(&self, personal_number: &str) -> bool {
        self.requirement.personal_number.as_deref() == Some(personal_number)
            || self
                .holder
                .as_ref()
                .is_some_and(|h| h.personal_number == personal_number)
    }

    pub(super) fn fail(&mut self, hint: HintCode, now: DateTime<Utc>) {
        self.state = OrderState::Failed(hint);
        self.terminal_at = Some(now);
    }

    /// Applies the timeouts lazily, as of `now`.
    pub(super) fn advance(&mut self, now: DateTime<Utc>, config: &SimulatorConfig) {
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
    pub(super) fn is_forgotten(&self, now: DateTime<Utc>, config: &SimulatorConfig) -> bool {
        let Some(terminal_at) = self.terminal_at else {
            return false;
        };
        match self.state {
            OrderState::Complete(_) => now - terminal_at > config.complete_retention,
            _ => now - terminal_at > config.failed_retention,
        }
    }
}

/// What an RP call (or a `/phone/*` one) starts an order with.
pub(super) struct StartFields {
    pub(super) end_user_ip: String,
    pub(super) requirement: Requirement,
    pub(super) user_visible_data: Option<String>,
    pub(super) user_non_visible_data: Option<String>,
    pub(super) return_risk: bool,
    pub(super) call_initiator: Option<CallInitiator>,
}
