//! Claims on pipeline steps and the failed state: who may do the next step now, how often it
//! was tried, and the order stopping for good with a reason the secretary reads.

use chrono::{DateTime, Duration, Utc};

use super::{OrderStatus, SigningOrder};
use crate::domain::pipeline::{
    next_step, waiting_status, PipelineFailure, PipelinePosition, PipelineStep, StepClaim,
    StepError, MAX_ATTEMPTS,
};
use crate::domain::DomainError;

impl SigningOrder {
    /// Take the lease on `step` for `lease` under `token`. Refused while another holder's claim
    /// is live, or when the order is not waiting for this step. Answers the attempt number.
    pub fn claim_step(
        &mut self,
        step: PipelineStep,
        token: &str,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<u32, DomainError> {
        if next_step(&self.status) != PipelinePosition::Waiting(step) {
            return Err(DomainError::IllegalTransition {
                action: "claim",
                from: self.status.clone(),
            });
        }
        let (attempt, last_error) = match &self.claim {
            Some(c) if c.step == step && c.is_live(now) => {
                return Err(DomainError::StepClaimed { until: c.until })
            }
            Some(c) if c.step == step => (c.attempt + 1, c.last_error.clone()),
            _ => (1, None),
        };
        self.claim = Some(StepClaim {
            step,
            token: token.to_string(),
            until: now + lease,
            attempt,
            last_error,
        });
        Ok(attempt)
    }

    /// Whether `token` holds the claim on `step`, live or run out: a holder whose lease ran
    /// out may still finish, as long as nobody took the step over.
    pub fn holds_claim(&self, step: PipelineStep, token: &str) -> bool {
        self.claim
            .as_ref()
            .is_some_and(|c| c.step == step && c.token == token)
    }

    /// Refused unless `token` holds the claim on `step` (someone else took the step over).
    pub fn check_claim(&self, step: PipelineStep, token: &str) -> Result<(), DomainError> {
        if self.holds_claim(step, token) {
            Ok(())
        } else {
            Err(DomainError::ClaimLost)
        }
    }

    /// Give the claim back after a failed attempt that may pass next time: the next delivery
    /// may claim at once, and learns why this attempt failed.
    pub fn release_step(
        &mut self,
        step: PipelineStep,
        token: &str,
        now: DateTime<Utc>,
        error: StepError,
    ) -> Result<(), DomainError> {
        self.check_claim(step, token)?;
        if let Some(c) = self.claim.as_mut() {
            c.until = now;
            c.last_error = Some(error);
        }
        Ok(())
    }

    /// Whether an attempt that just failed was the last one allowed.
    pub fn attempts_used_up(&self, step: PipelineStep) -> bool {
        self.claim
            .as_ref()
            .is_some_and(|c| c.step == step && c.attempt >= MAX_ATTEMPTS)
    }

    /// Stop the order for good: `step` cannot succeed (or failed too often). The secretary sees
    /// `reason`; nothing runs until [`retry_pipeline`](Self::retry_pipeline).
    pub fn fail_step(
        &mut self,
        step: PipelineStep,
        token: &str,
        now: DateTime<Utc>,
        reason: StepError,
    ) -> Result<(), DomainError> {
        self.check_claim(step, token)?;
        let attempts = self.claim.as_ref().map(|c| c.attempt).unwrap_or(1);
        let detail = format!("{:?}: {}", step, reason.code);
        self.status = OrderStatus::Failed;
        self.claim = None;
        self.failure = Some(PipelineFailure {
            step,
            at: now,
            attempts,
            reason,
        });
        self.record(now, "failed", None, Some(detail));
        Ok(())
    }

    /// After the cause is mended (a new seal certificate, a service back), run the failed step
    /// again from its first attempt.
    pub fn retry_pipeline(&mut self, now: DateTime<Utc>) -> Result<PipelineStep, DomainError> {
        let Some(failure) = self
            .failure
            .take()
            .filter(|_| self.status == OrderStatus::Failed)
        else {
            return Err(DomainError::IllegalTransition {
                action: "retry",
                from: self.status.clone(),
            });
        };
        self.status = waiting_status(failure.step);
        self.claim = None;
        self.record(now, "retried", None, Some(format!("{:?}", failure.step)));
        Ok(failure.step)
    }

    /// End a live claim whose holder is known to be dead (a restarted process that was the
    /// only one on its storage): the next delivery may take the step at once. `true` when
    /// there was one.
    pub fn end_dead_claim(&mut self, now: DateTime<Utc>) -> bool {
        let archive = self.end_dead_archive_claim(now);
        match self.claim.as_mut() {
            Some(c) if c.is_live(now) => {
                c.until = now;
                true
            }
            _ => archive,
        }
    }

    /// Whether someone holds a live claim on the order's next step (housekeeping leaves it).
    pub fn is_claimed(&self, now: DateTime<Utc>) -> bool {
        self.claim.as_ref().is_some_and(|c| c.is_live(now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::order::tests::completed_order;

    fn err(code: &str) -> StepError {
        StepError {
            code: code.into(),
            message_sv: "fel".into(),
            message_en: "error".into(),
        }
    }

    #[test]
    fn one_holder_at_a_time_until_the_lease_runs_out() {
        let (mut o, now) = completed_order();
        let lease = Duration::minutes(5);
        assert_eq!(o.claim_step(PipelineStep::Seal, "a", now, lease), Ok(1));
        assert_eq!(
            o.claim_step(PipelineStep::Seal, "b", now + Duration::minutes(1), lease),
            Err(DomainError::StepClaimed { until: now + lease })
        );
        // Only the step the order waits for can be claimed.
        assert!(matches!(
            o.claim_step(PipelineStep::Publish, "b", now, lease),
            Err(DomainError::IllegalTransition { .. })
        ));
        // A holder that died: its lease runs out and the next delivery takes over.
        let later = now + Duration::minutes(6);
        assert!(!o.is_claimed(later));
        assert_eq!(o.claim_step(PipelineStep::Seal, "b", later, lease), Ok(2));
        assert_eq!(
            o.check_claim(PipelineStep::Seal, "a"),
            Err(DomainError::ClaimLost)
        );
        assert!(o.mark_sealed(later).is_ok());
        assert_eq!(o.claim, None, "the claim ends with the step");
        assert_eq!(
            o.claim_step(PipelineStep::Publish, "c", later, lease),
            Ok(1)
        );
    }

    #[test]
    fn a_failed_attempt_is_released_and_counted_and_the_last_one_stops_the_order() {
        let (mut o, now) = completed_order();
        let lease = Duration::minutes(5);
        for attempt in 1..=MAX_ATTEMPTS {
            let token = format!("t{attempt}");
            assert_eq!(
                o.claim_step(PipelineStep::Seal, &token, now, lease),
                Ok(attempt)
            );
            assert!(o.is_claimed(now));
            if attempt < MAX_ATTEMPTS {
                assert!(!o.attempts_used_up(PipelineStep::Seal));
                o.release_step(PipelineStep::Seal, &token, now, err("port.unavailable"))
                    .unwrap();
                assert!(!o.is_claimed(now), "released at once");
            } else {
                assert!(o.attempts_used_up(PipelineStep::Seal));
                assert_eq!(
                    o.claim.as_ref().unwrap().last_error,
                    Some(err("port.unavailable"))
                );
                o.fail_step(PipelineStep::Seal, &token, now, err("port.unavailable"))
                    .unwrap();
            }
        }
        assert_eq!(o.status, OrderStatus::Failed);
        assert_eq!(next_step(&o.status), PipelinePosition::Stopped);
        let failure = o.failure.clone().unwrap();
        assert_eq!((failure.step, failure.attempts), (PipelineStep::Seal, 5));
        assert!(o.claim_step(PipelineStep::Seal, "x", now, lease).is_err());
        assert_eq!(o.history.last().unwrap().kind, "failed");

        // Retried after the cause is mended: from the first attempt again.
        assert_eq!(o.retry_pipeline(now), Ok(PipelineStep::Seal));
        assert_eq!(
            (o.status.clone(), o.failure.clone()),
            (OrderStatus::Completed, None)
        );
        assert_eq!(o.claim_step(PipelineStep::Seal, "y", now, lease), Ok(1));
        assert!(o.retry_pipeline(now).is_err(), "only a failed order");
    }

    #[test]
    fn only_the_holder_releases_or_fails_a_step() {
        let (mut o, now) = completed_order();
        o.claim_step(PipelineStep::Seal, "a", now, Duration::minutes(5))
            .unwrap();
        assert_eq!(
            o.release_step(PipelineStep::Seal, "b", now, err("x")),
            Err(DomainError::ClaimLost)
        );
        assert_eq!(
            o.fail_step(PipelineStep::Seal, "b", now, err("x")),
            Err(DomainError::ClaimLost)
        );
        assert_eq!(o.status, OrderStatus::Completed);
    }

    #[test]
    fn a_publication_version_from_the_secretary_runs_a_held_publish_step_again() {
        let (mut o, now) = completed_order();
        let doc = |n: u8| crate::domain::DocumentId::parse(&format!("{n:02x}").repeat(32)).unwrap();
        // Before publishing: kept for the publish step, nothing to run again.
        assert_eq!(o.use_publication_version(doc(1), now), Ok(None));
        assert_eq!(o.current().publication_document, Some(doc(1)));
        o.mark_sealed(now).unwrap();
        let lease = Duration::minutes(5);
        o.claim_step(PipelineStep::Publish, "p", now, lease)
            .unwrap();
        o.fail_step(PipelineStep::Publish, "p", now, err("publication.held"))
            .unwrap();
        // Stopped at publishing: a new version takes the step up again.
        assert_eq!(
            o.use_publication_version(doc(2), now),
            Ok(Some(PipelineStep::Publish))
        );
        assert_eq!(o.status, OrderStatus::Sealed);
        assert_eq!(o.current().publication_document, Some(doc(2)));
        let anslag = crate::domain::calendar::anslag_dates(
            now.date_naive(),
            now.date_naive(),
            crate::domain::calendar::TakeDown::DayAfterAppeal,
        );
        o.claim_step(PipelineStep::Publish, "q", now, lease)
            .unwrap();
        o.mark_published(now, anslag).unwrap();
        // Once the notice is up, what was published stays published.
        assert!(matches!(
            o.use_publication_version(doc(3), now),
            Err(DomainError::IllegalTransition { .. })
        ));
    }
}
