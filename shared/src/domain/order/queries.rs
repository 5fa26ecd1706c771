//! What an order says without changing it: its current version, its signers, whose turn it
//! is, whether a reminder is due.

use chrono::{DateTime, Utc};

use super::{OrderStatus, OrderVersion, SignatureState, Signer, SigningOrder};
use crate::domain::{DomainError, Personnummer, SignerId};

impl SigningOrder {
    /// Whether housekeeping may have work on the order: its status says so
    /// (`OrderStatus::is_active`), or its package is due again after a renewal. The index of
    /// active work holds exactly these orders.
    pub fn is_active(&self) -> bool {
        self.status.is_active() || self.archive_export_due()
    }

    pub fn current(&self) -> &OrderVersion {
        // `create` makes version 1 and versions are only ever pushed.
        self.versions
            .last()
            .expect("an order has at least one version")
    }

    /// Whether signer `id` has signed version `version` with exactly this evidence: a retried
    /// collect records nothing new.
    pub fn has_signature(&self, id: SignerId, version: u32, evidence_key: &str) -> bool {
        self.current().number == version
            && self
                .signers
                .iter()
                .zip(&self.current().signatures)
                .any(|(s, state)| {
                    s.id == id
                        && matches!(state, SignatureState::Signed { evidence_key: k, .. } if k == evidence_key)
                })
    }

    pub fn signer(&self, id: SignerId) -> Option<&Signer> {
        self.signers.iter().find(|s| s.id == id)
    }

    pub fn signer_for(&self, who: &Personnummer) -> Option<&Signer> {
        self.signers.iter().find(|s| &s.personnummer == who)
    }

    /// The day of justering: when the last signature made the order complete, in Sweden
    /// (the creation day for an order that is not complete).
    pub fn justering_date(&self) -> chrono::NaiveDate {
        self.completed_at
            .unwrap_or(self.created_at)
            .with_timezone(&chrono_tz::Europe::Stockholm)
            .date_naive()
    }

    /// Whether a signer logged in as `who` may see this order: only if it names them, on
    /// any version. The index of orders by signer only finds candidates; this decides, and
    /// the portal answers "not found" otherwise, so nobody learns an order exists by guessing.
    pub fn is_visible_to(&self, who: &Personnummer) -> bool {
        self.signer_for(who).is_some()
    }

    pub(super) fn signer_index(&self, id: SignerId) -> Result<usize, DomainError> {
        self.signers
            .iter()
            .position(|s| s.id == id)
            .ok_or(DomainError::NotASigner)
    }

    /// The lowest step that still has a pending signer on the current version.
    pub fn active_step(&self) -> Option<u32> {
        let v = self.current();
        self.signers
            .iter()
            .zip(&v.signatures)
            .filter(|(_, st)| matches!(st, SignatureState::Pending))
            .map(|(s, _)| s.step)
            .min()
    }

    /// Whether `id` may sign the current version now (ignores the deadline clock).
    pub fn may_sign(&self, id: SignerId) -> Result<(), DomainError> {
        if self.status != OrderStatus::Open {
            return Err(DomainError::IllegalTransition {
                action: "sign",
                from: self.status.clone(),
            });
        }
        let i = self.signer_index(id)?;
        if !matches!(self.current().signatures[i], SignatureState::Pending) {
            return Err(DomainError::AlreadyActed);
        }
        if Some(self.signers[i].step) != self.active_step() {
            return Err(DomainError::NotYourTurn);
        }
        Ok(())
    }

    /// Whether the signers of the current version are due a reminder at `now`: the order is
    /// open, its deadline is less than `before` away, and nobody has reminded them yet.
    pub fn reminder_due(&self, now: DateTime<Utc>, before: chrono::Duration) -> bool {
        let v = self.current();
        self.status == OrderStatus::Open
            && now < v.deadline
            && v.deadline - now <= before
            && !self
                .history
                .iter()
                .any(|e| e.kind == "reminded" && e.version == v.number)
    }

    /// When the justering happened: the last signature of the completed version.
    pub fn justering_time(&self) -> Option<DateTime<Utc>> {
        self.completed_at
    }
}
