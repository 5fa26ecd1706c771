//! The renewal of a kept archive version's proof of existence (the `Renew` job, queued by
//! housekeeping's renewal round): under one claim per document, the stored file is renewed
//! (`pdf::sign::extend`) and stored as a new version of the same key, so the earlier versions
//! stay (Object Lock); then the order records it, which moves its entry in the index of proofs.
//!
//! Nothing twice: a renewal stored by an attempt that died before recording it is recognised
//! by the file itself (its proof lasts longer than the order says) and recorded, not renewed
//! again. Nothing lost: until the order records the renewal, the document stays due.

use chrono::Duration;

use super::{internal, Pipeline};
use crate::app::AppError;
use crate::domain::{DomainError, OrderId, PipelineStep, SigningOrder, TenantId};
use crate::pdf::sign::extend::current_proof;
use crate::ports::Job;
use crate::repo::files;

/// What one renewal job did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Renewal {
    /// Not due (renewed meanwhile), or nothing to renew, or another delivery holds it.
    NothingToDo,
    /// Renewed now.
    Renewed,
    /// An earlier attempt stored the renewal; it is recorded now.
    Recorded,
}

impl Pipeline {
    /// Renew the proof of the order's archive version if it is due (see the module comment).
    pub async fn renew(&self, t: &TenantId, id: OrderId) -> Result<Renewal, AppError> {
        let order = self.load(t, id).await?;
        let Some(proof) = order.archive_proof.clone() else {
            return Ok(Renewal::NothingToDo);
        };
        let now = self.clock.now();
        let window = self.tenant_record(t).await?.tenant.renew_within_months;
        if !window.is_due(proof.until, now) {
            // Renewed already; a delivery of the package after it may have been lost.
            self.queue_export_after_renewal(&order).await?;
            return Ok(Renewal::NothingToDo);
        }
        let token = uuid::Uuid::new_v4().to_string();
        let lease = Duration::seconds(self.settings.pipeline_lease_seconds);
        match self
            .orders
            .update_with(t, id, |o| {
                Ok::<_, AppError>(o.claim_renewal(&token, now, lease)?)
            })
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => return Err(AppError::NotFound { what: "order" }),
            Err(AppError::Domain(DomainError::StepClaimed { until })) => {
                tracing::info!(order = %id, %until, "another delivery is renewing the archive version");
                return Ok(Renewal::NothingToDo);
            }
            Err(e) => return Err(e),
        }
        match self.renew_claimed(t, id, proof.until, &token).await {
            Ok((done, order)) => {
                // A failure here fails the job: its next delivery finds the renewal done and
                // queues the package again.
                self.queue_export_after_renewal(&order).await?;
                Ok(done)
            }
            Err(e) => {
                tracing::warn!(event = "renewal_failed", tenant = %t, order = %id, error = %e, "archive version not renewed; it stays due");
                self.release_archive_claim(t, id, &token).await;
                Err(e)
            }
        }
    }

    /// Renew under the claim `token`: what was done, and the order as recorded.
    async fn renew_claimed(
        &self,
        t: &TenantId,
        id: OrderId,
        recorded_until: chrono::DateTime<chrono::Utc>,
        token: &str,
    ) -> Result<(Renewal, SigningOrder), AppError> {
        let key = files::order_file(t, id, files::ARCHIVE_VERSION);
        let work = tempfile::tempdir().map_err(internal)?;
        let stored = work.path().join("archive.pdf");
        if !self.objects.get_to_file(&key, &stored).await? {
            return Err(internal(format!(
                "archive version of order {id} is missing"
            )));
        }
        let path = stored.clone();
        let current = tokio::task::spawn_blocking(move || current_proof(&path))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        if let Some(until) = current.until.filter(|u| *u > recorded_until) {
            // An earlier attempt stored its renewal and died before recording it.
            let detail = format!(
                "Beviset för arkivexemplarets existens förnyades (dokumenttidsstämpel {}); giltigt till {}.",
                current.document_timestamps,
                until.format("%Y-%m-%d")
            );
            let order = self.record_renewal(t, id, token, until, detail).await?;
            return Ok((Renewal::Recorded, order));
        }
        let renewed = work.path().join("renewed.pdf");
        let outcome = self.extend_path(&stored, &renewed).await?;
        let until = outcome
            .proof_until
            .ok_or_else(|| internal("the new timestamp's certificate has no end"))?;
        let before = current.until.unwrap_or(recorded_until);
        if until <= before {
            // The authority has not rotated: a timestamp under the same certificate would only
            // pile up, every day, without carrying the proof any further. Nothing is stored.
            tracing::error!(event = "renewal_no_later_proof", tenant = %t, order = %id, until = %until, "the timestamp authority's certificate ends no later than the archive version's proof");
            return Err(AppError::bad_request(
                "renewal.no_later_proof",
                format!(
                    "Tidsstämpeltjänstens certifikat gäller bara till {}, inte längre än arkivexemplarets nuvarande bevis. Byt till en tidsstämpeltjänst med ett nyare certifikat.",
                    until.format("%Y-%m-%d")
                ),
                format!(
                    "The timestamp authority's certificate only lasts until {}, no longer than the archive version's current proof. Use an authority with a newer certificate.",
                    until.format("%Y-%m-%d")
                ),
            ));
        }
        let versions = self
            .objects
            .put_file_new_version(&key, &renewed, "application/pdf")
            .await?;
        let earlier = versions.earlier.as_deref().unwrap_or("okänd");
        let detail = format!(
            "Beviset för arkivexemplarets existens förnyades (dokumenttidsstämpel {}); giltigt till {}. Tidigare version av filen: {earlier}.",
            outcome.document_timestamps,
            until.format("%Y-%m-%d")
        );
        let order = self.record_renewal(t, id, token, until, detail).await?;
        tracing::info!(event = "archive_renewed", tenant = %t, order = %id, until = %until, "archive version renewed");
        Ok((Renewal::Renewed, order))
    }

    /// Give the archive version's claim back after a failed attempt, so the next delivery need
    /// not wait for the lease (if that fails too, the lease runs out on its own).
    pub(super) async fn release_archive_claim(&self, t: &TenantId, id: OrderId, token: &str) {
        let now = self.clock.now();
        let released = self
            .orders
            .update_with(t, id, |o| Ok::<_, AppError>(o.release_renewal(token, now)?))
            .await;
        if let Err(e) = released {
            tracing::warn!(order = %id, error = %e, "claim on the archive version not given back");
        }
    }

    /// An exported order whose delivered package does not tell of its renewals gets it again
    /// (the archive-export function: `Pipeline::export_renewed`).
    async fn queue_export_after_renewal(&self, order: &SigningOrder) -> Result<(), AppError> {
        if order.archive_export_due() {
            self.queue
                .enqueue(Job::for_step(
                    PipelineStep::ArchiveExport,
                    &order.tenant,
                    order.id,
                ))
                .await?;
        }
        Ok(())
    }

    async fn record_renewal(
        &self,
        t: &TenantId,
        id: OrderId,
        token: &str,
        until: chrono::DateTime<chrono::Utc>,
        detail: String,
    ) -> Result<SigningOrder, AppError> {
        let now = self.clock.now();
        let (order, ()) = self
            .orders
            .update_with(t, id, |o| {
                Ok::<_, AppError>(o.record_renewal(token, now, until, detail.clone())?)
            })
            .await?
            .ok_or(AppError::NotFound { what: "order" })?;
        Ok(order)
    }
}
