//! The kept archive version's proof of existence on the order: recorded when sealed, renewed
//! under a claim, each renewal in the order's history (`domain::renewal` says when one is due).

use chrono::{DateTime, Duration, Utc};

use super::{OrderStatus, SigningOrder};
use crate::domain::renewal::ArchiveProof;
use crate::domain::DomainError;

impl SigningOrder {
    /// The archive version was stored; its proof lasts until `until`.
    pub fn record_archive_proof(&mut self, until: DateTime<Utc>) {
        self.archive_proof = Some(ArchiveProof::new(until));
    }

    /// Take the lease on renewing the archive version's proof. Answers the attempt number.
    pub fn claim_renewal(
        &mut self,
        token: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<u32, DomainError> {
        let status = self.status.clone();
        self.archive_proof
            .as_mut()
            .ok_or(DomainError::IllegalTransition {
                action: "renew",
                from: status,
            })?
            .claim(token, now, lease)
    }

    /// The renewal under `token` is stored: the proof now lasts until `until`. `detail` says
    /// what the history shows of it (the earlier version of the file).
    pub fn record_renewal(
        &mut self,
        token: &str,
        at: DateTime<Utc>,
        until: DateTime<Utc>,
        detail: String,
    ) -> Result<(), DomainError> {
        self.archive_proof
            .as_mut()
            .ok_or(DomainError::ClaimLost)?
            .record_renewal(token, at, until)?;
        self.record(at, "archive_renewed", None, Some(detail));
        Ok(())
    }

    /// A package telling of every renewal so far was delivered (under the claim `token`).
    pub fn record_renewal_export(
        &mut self,
        token: &str,
        at: DateTime<Utc>,
    ) -> Result<(), DomainError> {
        self.archive_proof
            .as_mut()
            .ok_or(DomainError::ClaimLost)?
            .record_export(token)?;
        self.record(at, "archive_reexported", None, None);
        Ok(())
    }

    /// Whether the order has work on its kept archive version: a package to deliver again
    /// after a renewal (housekeeping queues it while it waits; `SigningOrder::is_active`).
    pub fn archive_export_due(&self) -> bool {
        self.status == OrderStatus::Exported
            && self.archive_proof.as_ref().is_some_and(|p| p.export_due())
    }

    /// Whether someone holds a live claim on the archive version (a renewal, or its package
    /// delivered again).
    pub fn archive_claimed(&self, now: DateTime<Utc>) -> bool {
        self.archive_proof
            .as_ref()
            .and_then(|p| p.claim.as_ref())
            .is_some_and(|c| c.until > now)
    }

    /// After a restart of the only process on the storage: a live claim on the archive version
    /// is a dead process's; it ends now. Answers whether there was one.
    pub fn end_dead_archive_claim(&mut self, now: DateTime<Utc>) -> bool {
        match self.archive_proof.as_mut().and_then(|p| p.claim.as_mut()) {
            Some(c) if c.until > now => {
                c.until = now;
                true
            }
            _ => false,
        }
    }

    /// A renewal attempt failed: the claim is given back for the next delivery.
    pub fn release_renewal(&mut self, token: &str, now: DateTime<Utc>) -> Result<(), DomainError> {
        self.archive_proof
            .as_mut()
            .ok_or(DomainError::ClaimLost)?
            .release(token, now)
    }
}
