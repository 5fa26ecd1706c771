//! What the Lambda functions share beyond the HTTP routes: SQS batches in (jobs, and S3
//! notifications of presigned uploads), the schedule, and failures back as a partial batch
//! response so one poison message never fails its neighbours.
//!
//! Every handler here is safe to call twice with the same event: the use cases are idempotent,
//! and SQS and S3 deliver at least once.
//!
//! The parts: `sqs` runs a batch and the job queues, `s3` reads S3 notifications, `uploads`
//! takes in the objects they announce, `schedule` runs housekeeping.

pub(crate) mod s3;
mod schedule;
pub(crate) mod sqs;
mod uploads;

pub use crate::app::HousekeepingReport;
pub use crate::app::{parse_incoming_key, IncomingKey, INCOMING_PREFIX};
pub use s3::{decode_s3_key, parse_s3_notification, ArrivedObject, S3EventError, S3Notification};
pub use schedule::handle_schedule;
pub use sqs::{handle_sqs_batch, is_sqs_batch};
pub use uploads::{handle_s3_batch, UploadArrivals};

#[cfg(all(test, feature = "embedded"))]
mod event_tests;
