//! Mail about an order: invitations and reminders to whoever's turn it is, word to the
//! secretary. A mail that cannot be sent is logged, never fatal: the order exists and the
//! secretary sees who has not signed. Never a personnummer.

use std::sync::Arc;

use crate::domain::{SignatureState, SigningOrder, Tenant};
use crate::ports::{Mailer, OutgoingMail};

#[derive(Clone)]
pub struct Notifier {
    mailer: Arc<dyn Mailer>,
    /// Where the links in mails point.
    base_url: String,
}

impl Notifier {
    pub fn new(mailer: Arc<dyn Mailer>, base_url: &str) -> Self {
        Self {
            mailer,
            base_url: base_url.to_string(),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Invite those whose turn it is (or remind them).
    pub async fn signers(&self, tenant: &Tenant, order: &SigningOrder, reminder: bool) {
        let Some(step) = order.active_step() else {
            return;
        };
        for (s, state) in order.signers.iter().zip(&order.current().signatures) {
            if s.step != step || !matches!(state, SignatureState::Pending) {
                continue;
            }
            let Some(to) = &s.email else { continue };
            let mail = OutgoingMail {
                to: to.clone(),
                subject: if reminder {
                    super::texts::reminder_subject(order)
                } else {
                    super::texts::invitation_subject(order)
                },
                text: super::texts::invitation_text(tenant, order, s, &self.base_url),
            };
            if let Err(e) = self.mailer.send(&mail).await {
                tracing::warn!(order = %order.id, signer = %s.id, error = %e, "invitation not sent");
            }
        }
    }

    /// Tell the secretary (if they left an address) what happened to their order.
    pub async fn secretary(&self, order: &SigningOrder, subject: String, text: String) {
        let Some(to) = &order.meeting.secretary_email else {
            return;
        };
        let mail = OutgoingMail {
            to: to.clone(),
            subject,
            text,
        };
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::warn!(order = %order.id, error = %e, "secretary not notified");
        }
    }
}
