//! Uploads that arrive in the uploads bucket: S3 `ObjectCreated` → SQS → the upload function,
//! which takes each object in as a document.

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};

use super::s3::{parse_s3_notification, ArrivedObject, S3Notification};
use super::sqs::run_batch;
use crate::app::{parse_incoming_key, AppError, ArrivedUpload, Documents};
use crate::error::ErrorText;
use crate::ports::Retry;

/// What the upload function does with an object that arrived: the seam between the S3
/// handler and the use case ([`Documents::take_in_upload`]), so the handler can be tested with
/// a fake.
#[async_trait]
pub trait UploadArrivals: Send + Sync {
    /// Take in the object. An error that says not to retry (not a PDF, unknown tenant, gone)
    /// is final; any other (ours, or a concurrent write) is retried.
    async fn upload_arrived(&self, object: &ArrivedObject) -> Result<(), AppError>;
}

#[async_trait]
impl UploadArrivals for Documents {
    async fn upload_arrived(&self, object: &ArrivedObject) -> Result<(), AppError> {
        let arrived = ArrivedUpload {
            key: object.key.clone(),
            size: object.size,
        };
        let (incoming, doc, created) = self.take_in_upload(&arrived).await?;
        // Never the file name: a name may carry a personnummer.
        tracing::info!(tenant = %incoming.tenant, upload_id = %incoming.upload_id,
            document = %doc.id, created, "upload taken in");
        Ok(())
    }
}

/// S3 notifications delivered through SQS (S3 `ObjectCreated` → SQS → upload). A message that
/// is not an S3 notification fails (and ends in the dead-letter queue); an object the use case
/// refuses for good is logged and dropped; a failure on our side comes back to be retried.
pub async fn handle_s3_batch(arrivals: &dyn UploadArrivals, event: SqsEvent) -> SqsBatchResponse {
    run_batch(event, |record| async move {
        let body = record.body.as_deref().unwrap_or_default();
        let objects = match parse_s3_notification(body) {
            Ok(S3Notification::Test) => {
                tracing::info!("S3 test event");
                return Ok(());
            }
            Ok(S3Notification::Created(objects)) => objects,
            Err(e) => return Err(format!("{}: {e}", e.code())),
        };
        for object in &objects {
            match arrivals.upload_arrived(object).await {
                Ok(()) => {}
                Err(e) if e.retry() == Retry::Never => {
                    tracing::warn!(bucket = %object.bucket, code = %e.code(), "upload refused")
                }
                Err(e) => {
                    return Err(without_file_name(
                        &format!("{}: {e}", e.code()),
                        &object.key,
                    ))
                }
            }
        }
        Ok(())
    })
    .await
}

/// An error text fit for the log: the upload's file name (which may hold a personnummer)
/// replaced, however the error quoted it.
fn without_file_name(text: &str, key: &str) -> String {
    let name = parse_incoming_key(key)
        .map(|k| k.file_name)
        .unwrap_or_else(|_| key.to_string());
    if name.is_empty() {
        return text.to_string();
    }
    let debug = format!("{name:?}");
    text.replace(&debug[1..debug.len() - 1], "<file name>")
        .replace(&name, "<file name>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn incoming_keys_name_tenant_upload_and_file() {
        let k = parse_incoming_key("incoming/kommun-a/u-1/Avtal/bilaga å.pdf").unwrap();
        assert_eq!(
            (
                k.tenant.as_str(),
                k.upload_id.as_str(),
                k.file_name.as_str()
            ),
            ("kommun-a", "u-1", "Avtal/bilaga å.pdf")
        );
        for bad in [
            "tenants/a/u/x.pdf",
            "incoming/a/x.pdf",
            "incoming/a//x.pdf",
            "incoming/A B/u/x.pdf",
        ] {
            let e = parse_incoming_key(bad).unwrap_err();
            assert_eq!(
                e.retry(),
                Retry::Never,
                "{bad}: a bad key is final, not retried"
            );
        }
    }

    #[test]
    fn file_names_stay_out_of_logged_errors() {
        let key = "incoming/demo/u1/Avtal \"19121212-1212\".pdf";
        let text = format!("internal: object-store: invalid key {key:?}");
        let logged = without_file_name(&text, key);
        assert!(!logged.contains("1212"), "{logged}");
        assert!(logged.contains("incoming/demo/u1/<file name>"), "{logged}");
        // A key outside incoming/ is hidden whole.
        assert_eq!(
            without_file_name("no x/19121212-1212.pdf", "x/19121212-1212.pdf"),
            "no <file name>"
        );
    }

    /// Records what it is asked to take in; fails keys containing `retry` (our side) or
    /// `conflict` (a concurrent write), and refuses keys containing `refuse` (the caller's).
    #[derive(Default)]
    struct Fake(std::sync::Mutex<Vec<String>>);

    #[async_trait]
    impl UploadArrivals for Fake {
        async fn upload_arrived(&self, object: &ArrivedObject) -> Result<(), AppError> {
            self.0.lock().unwrap().push(object.key.clone());
            if object.key.contains("retry") {
                return Err(AppError::Internal("S3 unavailable".into()));
            }
            if object.key.contains("refuse") {
                return Err(crate::pdf::IntakeError::NotPdf.into());
            }
            if object.key.contains("conflict") {
                return Err(AppError::Conflict);
            }
            Ok(())
        }
    }

    fn sqs_of(bodies: &[(&str, String)]) -> SqsEvent {
        let records: Vec<Value> = bodies
            .iter()
            .map(|(id, body)| json!({"messageId": id, "body": body, "eventSource": "aws:sqs"}))
            .collect();
        serde_json::from_value(json!({ "Records": records })).unwrap()
    }

    fn s3_body(key: &str) -> String {
        json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
            "s3": {"bucket": {"name": "uploads"}, "object": {"key": key, "size": 1}}}]})
        .to_string()
    }

    #[tokio::test]
    async fn only_retryable_and_unreadable_messages_come_back() {
        let fake = Fake::default();
        let event = sqs_of(&[
            ("ok", s3_body("incoming/t/u/a+%C3%A5.pdf")),
            ("test", json!({"Event": "s3:TestEvent"}).to_string()),
            ("refused", s3_body("incoming/t/u/refuse.pdf")),
            ("retry", s3_body("incoming/t/u/retry.pdf")),
            ("conflict", s3_body("incoming/t/u/conflict.pdf")),
            ("garbage", "{}".into()),
        ]);
        let resp = handle_s3_batch(&fake, event).await;
        let failed: Vec<_> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, ["retry", "conflict", "garbage"]);
        assert_eq!(
            fake.0.lock().unwrap().as_slice(),
            [
                "incoming/t/u/a å.pdf",
                "incoming/t/u/refuse.pdf",
                "incoming/t/u/retry.pdf",
                "incoming/t/u/conflict.pdf"
            ]
        );
        let json = serde_json::to_value(&resp).unwrap();
        assert_eq!(json["batchItemFailures"][2]["itemIdentifier"], "garbage");
    }
}
