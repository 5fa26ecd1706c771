//! The pipeline after the last signature: seal → publish → archive-export. One rule says which
//! step an order waits for: the queue handlers (to tell a duplicate delivery from new work),
//! housekeeping (to queue again what a crash dropped) and the portal (to queue the seal after
//! the last signature) all ask it. Work on a step is claimed first (a lease, [`StepClaim`]), so
//! two deliveries of one job never do it at once; a step that keeps failing, or can never
//! succeed, ends in a [`PipelineFailure`] the secretary sees.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::OrderStatus;

/// How many times a step is tried before the order stops as failed.
pub const MAX_ATTEMPTS: u32 = 5;

/// A step of the pipeline, each done by its own function from its own queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PipelineStep {
    Seal,
    Publish,
    ArchiveExport,
}

impl PipelineStep {
    pub const ALL: [PipelineStep; 3] = [
        PipelineStep::Seal,
        PipelineStep::Publish,
        PipelineStep::ArchiveExport,
    ];

    /// The status an order has once this step is done.
    pub fn done_status(self) -> OrderStatus {
        match self {
            PipelineStep::Seal => OrderStatus::Sealed,
            PipelineStep::Publish => OrderStatus::Published,
            PipelineStep::ArchiveExport => OrderStatus::Exported,
        }
    }
}

/// Where an order stands in the pipeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PipelinePosition {
    /// Signing is not over (open, declined, recalled, expired): no step applies.
    NotInPipeline,
    /// This step is next.
    Waiting(PipelineStep),
    /// Every step is done.
    Finished,
    /// A step failed for good ([`PipelineFailure`]): nothing runs until someone retries it.
    Stopped,
}

/// The next pipeline step for an order in `status`.
pub fn next_step(status: &OrderStatus) -> PipelinePosition {
    match status {
        OrderStatus::Completed => PipelinePosition::Waiting(PipelineStep::Seal),
        OrderStatus::Sealed => PipelinePosition::Waiting(PipelineStep::Publish),
        OrderStatus::Published => PipelinePosition::Waiting(PipelineStep::ArchiveExport),
        OrderStatus::Exported => PipelinePosition::Finished,
        OrderStatus::Failed => PipelinePosition::Stopped,
        OrderStatus::Open
        | OrderStatus::Declined
        | OrderStatus::Recalled
        | OrderStatus::Expired => PipelinePosition::NotInPipeline,
    }
}

/// Whether `step` is already done for an order in `status` (a duplicate delivery of it).
pub fn is_done(status: &OrderStatus, step: PipelineStep) -> bool {
    match next_step(status) {
        PipelinePosition::Finished => true,
        PipelinePosition::Waiting(next) => next > step,
        PipelinePosition::NotInPipeline | PipelinePosition::Stopped => false,
    }
}

/// The status an order waiting for `step` has (what a retry after a failure goes back to).
pub fn waiting_status(step: PipelineStep) -> OrderStatus {
    match step {
        PipelineStep::Seal => OrderStatus::Completed,
        PipelineStep::Publish => OrderStatus::Sealed,
        PipelineStep::ArchiveExport => OrderStatus::Published,
    }
}

/// Why a step failed, as the secretary and the admin read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    pub code: String,
    pub message_sv: String,
    pub message_en: String,
}

/// A lease on one step of one order: whoever holds a live claim does the step; another
/// delivery of the same job leaves it alone. A holder that dies lets the claim run out, and
/// the next delivery takes over (housekeeping queues the step again).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepClaim {
    pub step: PipelineStep,
    /// Names the holder: only it may finish, release or fail the step.
    pub token: String,
    pub until: DateTime<Utc>,
    /// Which attempt at this step the claim is (1 for the first).
    pub attempt: u32,
    /// Why the previous attempt failed, if one did.
    #[serde(default)]
    pub last_error: Option<StepError>,
}

impl StepClaim {
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.until > now
    }
}

/// A step that failed for good: the order stops in `OrderStatus::Failed` with this reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineFailure {
    pub step: PipelineStep,
    pub at: DateTime<Utc>,
    pub attempts: u32,
    pub reason: StepError,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_waits_for_one_step_and_the_steps_run_in_order() {
        use PipelinePosition::*;
        assert_eq!(next_step(&OrderStatus::Open), NotInPipeline);
        assert_eq!(next_step(&OrderStatus::Declined), NotInPipeline);
        assert_eq!(
            next_step(&OrderStatus::Completed),
            Waiting(PipelineStep::Seal)
        );
        assert_eq!(
            next_step(&OrderStatus::Sealed),
            Waiting(PipelineStep::Publish)
        );
        assert_eq!(
            next_step(&OrderStatus::Published),
            Waiting(PipelineStep::ArchiveExport)
        );
        assert_eq!(next_step(&OrderStatus::Exported), Finished);
        for step in PipelineStep::ALL {
            // Doing a step leads to the status that waits for the following one.
            let after = step.done_status();
            assert!(is_done(&after, step), "{step:?}");
            assert!(!is_done(&OrderStatus::Completed, step) || step < PipelineStep::Seal);
        }
        assert!(!is_done(&OrderStatus::Sealed, PipelineStep::Publish));
        assert!(is_done(&OrderStatus::Exported, PipelineStep::Seal));
        assert!(!is_done(&OrderStatus::Open, PipelineStep::Seal));
    }
}
