//! How a job becomes work: the step is claimed first (one holder at a time, `StepClaim`), done,
//! and either finished or, on failure, given back for the next delivery, or, when it can never
//! succeed or its attempts are used up, the order stops as failed: the secretary is told
//! why, and an alarm sees the `pipeline_failed` event.

use chrono::Duration;

use super::Pipeline;
use crate::app::texts;
use crate::app::AppError;
use crate::domain::pipeline::{next_step, PipelinePosition, StepError};
use crate::domain::{DomainError, OrderId, OrderStatus, PipelineStep, SigningOrder, TenantId};
use crate::error::ErrorText;
use crate::ports::{Job, Retry};

/// A step's claim, once taken: the order as claimed, the holder's token, which attempt.
pub(super) struct Claimed {
    pub order: SigningOrder,
    pub token: String,
    pub attempt: u32,
}

impl Pipeline {
    /// Do the step a job names, unless it is done, stopped or held by another delivery.
    pub async fn run(&self, job: &Job) -> Result<(), AppError> {
        let (tenant, order_id) = job.target();
        let (t, id) = (TenantId::parse(tenant)?, OrderId::parse(order_id)?);
        let Some(step) = job.step() else {
            // A renewal, outside the pipeline's steps (it has a claim of its own).
            return self.renew(&t, id).await.map(|_| ());
        };
        let order = self.load(&t, id).await?;
        if step == PipelineStep::ArchiveExport && order.status == OrderStatus::Exported {
            // Exported before: delivered again only when a renewal happened since.
            return self.export_renewed(&order).await;
        }
        if next_step(&order.status) == PipelinePosition::Stopped {
            tracing::info!(order = %id, ?step, "order stopped after a failure: job dropped");
            return Ok(());
        }
        if self.already_done(&order, step).await? {
            return Ok(());
        }
        let Some(claimed) = self.claim(&t, id, step).await? else {
            return Ok(());
        };
        let token = claimed.token.clone();
        let result = match step {
            PipelineStep::Seal => self.seal_order(&claimed).await,
            PipelineStep::Publish => self.publish_order(&claimed).await,
            PipelineStep::ArchiveExport => self.export_order(&claimed).await,
        };
        match result {
            Ok(()) => Ok(()),
            Err(e) => {
                self.after_failure(&claimed.order, step, &token, claimed.attempt, e)
                    .await
            }
        }
    }

    /// Take the claim on `step`; None when another delivery holds it or it is done.
    async fn claim(
        &self,
        t: &TenantId,
        id: OrderId,
        step: PipelineStep,
    ) -> Result<Option<Claimed>, AppError> {
        let token = uuid::Uuid::new_v4().to_string();
        let now = self.clock.now();
        let lease = Duration::seconds(self.settings.pipeline_lease_seconds);
        match self
            .orders
            .update_with(t, id, |o| {
                Ok::<_, AppError>(o.claim_step(step, &token, now, lease)?)
            })
            .await
        {
            Ok(Some((order, attempt))) => Ok(Some(Claimed {
                order,
                token,
                attempt,
            })),
            Ok(None) => Err(AppError::NotFound { what: "order" }),
            Err(AppError::Domain(DomainError::StepClaimed { until })) => {
                tracing::info!(order = %id, ?step, %until, "another delivery holds the step");
                Ok(None)
            }
            Err(AppError::Domain(DomainError::IllegalTransition { .. })) => {
                tracing::info!(order = %id, ?step, "the step was done meanwhile");
                Ok(None)
            }
            // The write may have landed with its answer lost (a timeout): if the claim is
            // ours, go on with it, rather than wait for it to run out.
            Err(e) => match self.orders.load(t, id).await {
                Ok(Some(o)) if o.value.holds_claim(step, &token) => {
                    let attempt = o.value.claim.as_ref().map_or(1, |c| c.attempt);
                    Ok(Some(Claimed {
                        order: o.value,
                        token,
                        attempt,
                    }))
                }
                _ => Err(e),
            },
        }
    }

    /// A failed attempt: given back when it may pass next time (the job fails, so the queue
    /// delivers it again); otherwise the order stops with the reason, and the job ends.
    async fn after_failure(
        &self,
        order: &SigningOrder,
        step: PipelineStep,
        token: &str,
        attempt: u32,
        error: AppError,
    ) -> Result<(), AppError> {
        let (t, id) = (&order.tenant, order.id);
        let reason = StepError {
            code: error.code().into_owned(),
            message_sv: error.message_sv(),
            message_en: error.message_en(),
        };
        let now = self.clock.now();
        let final_attempt =
            error.retry() == Retry::Never || attempt >= crate::domain::pipeline::MAX_ATTEMPTS;
        if !final_attempt {
            tracing::warn!(order = %id, ?step, attempt, code = %reason.code, error = %error, "pipeline step failed; it will be tried again");
            let released = self
                .orders
                .update_with(t, id, |o| {
                    Ok::<_, AppError>(o.release_step(step, token, now, reason.clone())?)
                })
                .await;
            if let Err(e) = released {
                // The claim then runs out on its own; the next delivery waits for that.
                tracing::warn!(order = %id, error = %e, "claim not given back");
            }
            return Err(error);
        }
        let stopped = self
            .orders
            .update_with(t, id, |o| {
                Ok::<_, AppError>(o.fail_step(step, token, now, reason.clone())?)
            })
            .await;
        match stopped {
            Ok(Some((order, ()))) => {
                tracing::error!(
                    event = "pipeline_failed",
                    tenant = %t,
                    order = %id,
                    ?step,
                    attempt,
                    code = %reason.code,
                    error = %error,
                    "pipeline step failed for good: the order is stopped"
                );
                if let Some(failure) = &order.failure {
                    let (subject, text) =
                        texts::pipeline_failed_mail(&order, failure, self.notify.base_url());
                    self.notify.secretary(&order, subject, text).await;
                }
                Ok(())
            }
            Ok(None) => Err(AppError::NotFound { what: "order" }),
            Err(AppError::Domain(DomainError::ClaimLost)) => {
                tracing::info!(order = %id, ?step, "another delivery took the step over");
                Ok(())
            }
            // The failure could not be recorded: the job fails, and the next delivery (with
            // attempts used up) records it.
            Err(e) => {
                tracing::warn!(order = %id, error = %e, "failure not recorded");
                Err(error)
            }
        }
    }
}
