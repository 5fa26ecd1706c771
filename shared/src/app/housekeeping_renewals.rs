//! Housekeeping's renewal round, once a day per tenant: every kept archive version whose proof
//! of existence is due (`domain::renewal`) gets a renewal job; the seal function renews it
//! under a claim (`Pipeline::renew`). Found through the index of proofs by month, so a round
//! costs the months looked at and the documents in them, never all history.

use super::Housekeeping;
use crate::app::AppError;
use crate::domain::renewal::months_to_scan;
use crate::domain::{SigningOrder, TenantId};
use crate::ports::Job;

impl Housekeeping {
    /// The day's renewal round for the tenant, if no round ran today. Answers how many
    /// renewals were queued.
    pub(super) async fn daily_renewal_round(&self, t: &TenantId) -> Result<usize, AppError> {
        let today = self.clock.now().date_naive();
        if !self.orders.claim_renewal_round(t, today).await? {
            return Ok(0);
        }
        self.queue_due_renewals(t).await
    }

    /// Queue a renewal for each of the tenant's kept archive versions whose proof is due now.
    /// A renewal queued twice is done once (the job checks and claims). Answers how many.
    pub async fn queue_due_renewals(&self, t: &TenantId) -> Result<usize, AppError> {
        let due = self.due_renewals(t).await?;
        for order in &due {
            self.queue.enqueue(Job::renew(t, order.id)).await?;
        }
        Ok(due.len())
    }

    /// After a restart of the only process on the storage (`esign serve`): the claims on due
    /// archive versions are a dead process's and end now, and the renewals are queued again.
    pub(super) async fn resume_renewals_after_restart(
        &self,
        t: &TenantId,
    ) -> Result<usize, AppError> {
        let now = self.clock.now();
        let due = self.due_renewals(t).await?;
        for order in &due {
            if order.archive_claimed(now) {
                self.orders
                    .update_with(t, order.id, |o| {
                        Ok::<_, AppError>(o.end_dead_archive_claim(now))
                    })
                    .await?;
            }
            self.queue.enqueue(Job::renew(t, order.id)).await?;
        }
        Ok(due.len())
    }

    /// The orders of the tenant's kept archive versions whose proof is due now.
    async fn due_renewals(&self, t: &TenantId) -> Result<Vec<SigningOrder>, AppError> {
        let now = self.clock.now();
        let window = crate::app::tenants::existing_tenant(&self.tenants, t)
            .await?
            .value
            .tenant
            .renew_within_months;
        let mut due = Vec::new();
        for month in months_to_scan(now, window) {
            for id in self.orders.proofs_ending_in(t, &month).await? {
                let Some(order) = self.orders.load(t, id).await? else {
                    continue;
                };
                let Some(proof) = &order.value.archive_proof else {
                    continue;
                };
                if !window.is_due(proof.until, now) {
                    continue;
                }
                if proof.until <= now {
                    // Renewal can still add a timestamp, but the proof has a gap an archivist
                    // should know of: every attempt before failed.
                    tracing::error!(event = "proof_lapsed", tenant = %t, order = %id, until = %proof.until, "an archive version's proof of existence ended before it was renewed");
                }
                due.push(order.value);
            }
        }
        Ok(due)
    }
}
