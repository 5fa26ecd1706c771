//! Work for the seal, publish and archive-export functions, delivered at least once, and
//! what does that work.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::PortError;
use crate::domain::{OrderId, PipelineStep, TenantId};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Job {
    Seal {
        tenant: String,
        order_id: String,
    },
    Publish {
        tenant: String,
        order_id: String,
    },
    ArchiveExport {
        tenant: String,
        order_id: String,
    },
    /// Renew the proof of existence of an order's kept archive version (`Pipeline::renew`).
    /// The seal function does it: it has the timestamp authority and the archive version.
    Renew {
        tenant: String,
        order_id: String,
    },
}

impl Job {
    /// The job that does `step` for an order.
    pub fn for_step(step: PipelineStep, tenant: &TenantId, order: OrderId) -> Self {
        let (tenant, order_id) = (tenant.to_string(), order.to_string());
        match step {
            PipelineStep::Seal => Job::Seal { tenant, order_id },
            PipelineStep::Publish => Job::Publish { tenant, order_id },
            PipelineStep::ArchiveExport => Job::ArchiveExport { tenant, order_id },
        }
    }

    /// The renewal of an order's archive version's proof.
    pub fn renew(tenant: &TenantId, order: OrderId) -> Self {
        Job::Renew {
            tenant: tenant.to_string(),
            order_id: order.to_string(),
        }
    }

    /// The pipeline step the job does (None: a renewal, outside the pipeline's steps).
    pub fn step(&self) -> Option<PipelineStep> {
        match self {
            Job::Seal { .. } => Some(PipelineStep::Seal),
            Job::Publish { .. } => Some(PipelineStep::Publish),
            Job::ArchiveExport { .. } => Some(PipelineStep::ArchiveExport),
            Job::Renew { .. } => None,
        }
    }

    /// The tenant and order as the message names them (unchecked text: parse them).
    pub fn target(&self) -> (&str, &str) {
        match self {
            Job::Seal { tenant, order_id }
            | Job::Publish { tenant, order_id }
            | Job::ArchiveExport { tenant, order_id }
            | Job::Renew { tenant, order_id } => (tenant, order_id),
        }
    }

    pub fn queue_name(&self) -> &'static str {
        match self {
            Job::Seal { .. } | Job::Renew { .. } => "seal",
            Job::Publish { .. } => "publish",
            Job::ArchiveExport { .. } => "archive-export",
        }
    }
}

#[async_trait]
pub trait Queue: Send + Sync {
    async fn enqueue(&self, job: Job) -> Result<(), PortError>;
}

/// Why a job failed, and whether running it again may help. The seal, publish and
/// archive-export use cases answer with it; the queues decide on retries from `retry`, never
/// from a status code.
#[derive(Debug, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JobFailure {
    /// The error's stable code, e.g. `seal.no_certificate`.
    pub code: String,
    pub message: String,
    pub retry: Retry,
}

/// Whether to deliver a failed job again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// A failure on our side or of a service we use: it may pass next time.
    Later,
    /// The job can never succeed as it is (a missing certificate, a step out of order, a
    /// message for another queue): retrying only delays the dead letter.
    Never,
}

/// What processes jobs: the pipeline's seal, publish and archive-export use cases. The
/// in-process queue hands its jobs here; in AWS each function's SQS batch does.
#[async_trait]
pub trait JobHandler: Send + Sync {
    async fn handle(&self, job: &Job) -> Result<(), JobFailure>;
}
