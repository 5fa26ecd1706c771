//! SQS batches: one record at a time, the failed ones reported back as a partial batch
//! response; and the job queues' batches (seal, publish, archive-export).

use std::future::Future;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use serde_json::Value;

use crate::ports::{Job, JobHandler};

/// Run `each` on every record; the records it fails come back to the queue (and, after the
/// queue's `maxReceiveCount`, go to its dead-letter queue). Needs `ReportBatchItemFailures` on
/// the event source mapping, or Lambda ignores the answer and deletes the whole batch.
pub(super) async fn run_batch<F, Fut>(event: SqsEvent, mut each: F) -> SqsBatchResponse
where
    F: FnMut(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        if let Err(why) = each(record).await {
            tracing::error!(message_id = %id, error = %why, "message failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failures;
    resp
}

/// Handle every record of a batch; report the ones that failed so only they come back.
/// `queue` is the job type this function serves (`seal`, `publish`, `archive-export`); a
/// message of another type is a routing mistake and fails, so it ends in the dead-letter queue.
pub async fn handle_sqs_batch(
    handler: &dyn JobHandler,
    queue: &str,
    event: SqsEvent,
) -> SqsBatchResponse {
    run_batch(event, |record| async move {
        match record.body.as_deref().map(serde_json::from_str::<Job>) {
            None => Err("empty message".to_string()),
            Some(Err(e)) => Err(format!("not a job: {e}")),
            Some(Ok(job)) if job.queue_name() != queue => {
                Err(format!("a {} job on the {queue} queue", job.queue_name()))
            }
            Some(Ok(job)) => handler.handle(&job).await.map_err(|e| e.to_string()),
        }
    })
    .await
}

/// Whether a raw event is an SQS batch (the upload function gets both SQS batches and
/// function-URL requests, and must tell them apart before parsing either).
pub fn is_sqs_batch(event: &Value) -> bool {
    event["Records"]
        .as_array()
        .and_then(|r| r.first())
        .is_some_and(|r| r["eventSource"] == "aws:sqs")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_sqs_batches_are_taken_for_sqs() {
        assert!(is_sqs_batch(
            &json!({"Records": [{"eventSource": "aws:sqs"}]})
        ));
        assert!(!is_sqs_batch(
            &json!({"version": "2.0", "rawPath": "/api/documents"})
        ));
        assert!(!is_sqs_batch(&json!({"Records": []})));
    }
}
