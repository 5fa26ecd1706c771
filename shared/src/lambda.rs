//! What the Lambda functions share beyond the HTTP routes: SQS batches in (jobs, and S3
//! notifications of presigned uploads), the schedule, and failures back as a partial batch
//! response so one poison message never fails its neighbours.
//!
//! Every handler here is safe to call twice with the same event: the use cases are idempotent,
//! and SQS and S3 deliver at least once.

use std::future::Future;

use async_trait::async_trait;
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use serde_json::Value;

pub use crate::app::HousekeepingReport;
pub use crate::app::{parse_incoming_key, IncomingKey, INCOMING_PREFIX};
use crate::app::{AppError, ArrivedUpload, Documents, Housekeeping, HousekeepingError};
use crate::error::ErrorText;
use crate::ports::{Job, JobHandler, Retry};

// --- SQS batches ------------------------------------------------------------------------------

/// Run `each` on every record; the records it fails come back to the queue (and, after the
/// queue's `maxReceiveCount`, go to its dead-letter queue). Needs `ReportBatchItemFailures` on
/// the event source mapping, or Lambda ignores the answer and deletes the whole batch.
async fn run_batch<F, Fut>(event: SqsEvent, mut each: F) -> SqsBatchResponse
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

// --- S3 notifications -------------------------------------------------------------------------

/// An object that S3 says was created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArrivedObject {
    pub bucket: String,
    /// The key as stored: S3 sends it form-URL-encoded (`+` for a space, `%C3%A5` for å).
    pub key: String,
    pub size: Option<u64>,
    pub etag: Option<String>,
    /// Orders events for the same key (hex, compare as strings of equal length).
    pub sequencer: Option<String>,
}

/// What one S3 notification message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3Notification {
    /// `s3:TestEvent`: S3 checks it may write to the queue when the notification is set up.
    Test,
    /// The created objects (records of other events, such as removals, are left out).
    Created(Vec<ArrivedObject>),
}

#[derive(Debug, thiserror::Error)]
pub enum S3EventError {
    #[error("the message is not JSON: {0}")]
    NotJson(String),
    #[error("the message is not an S3 notification")]
    NotS3,
    #[error("S3 record {index}: {why}")]
    BadRecord { index: usize, why: String },
}

impl S3EventError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotJson(_) => "s3_event.not_json",
            Self::NotS3 => "s3_event.not_s3",
            Self::BadRecord { .. } => "s3_event.bad_record",
        }
    }
}

/// Decode an S3 event key: form-URL-encoding, so `+` is a space and a real `+` is `%2B`.
pub fn decode_s3_key(raw: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| "the key is not UTF-8 once decoded".to_string())
}

/// Parse an S3 notification leniently, from a JSON text as an SQS message body carries it.
///
/// Only `s3.bucket.name` and `s3.object.key` are required of a record: moto's records lack
/// `userIdentity`, `requestParameters` and `responseElements`, which
/// `aws_lambda_events::s3::S3Event` requires. Also taken: the `s3:TestEvent` S3 sends when the
/// notification is configured, and an S3 notification inside an SNS envelope (S3 → SNS → SQS,
/// raw delivery off) or an SNS record.
pub fn parse_s3_notification(body: &str) -> Result<S3Notification, S3EventError> {
    let v: Value = serde_json::from_str(body).map_err(|e| S3EventError::NotJson(e.to_string()))?;
    from_value(&v, 0)
}

fn from_value(v: &Value, depth: u8) -> Result<S3Notification, S3EventError> {
    // An envelope inside an envelope is not something S3 or SNS makes.
    if depth > 2 {
        return Err(S3EventError::NotS3);
    }
    if v["Event"] == "s3:TestEvent" {
        return Ok(S3Notification::Test);
    }
    if v["Type"] == "Notification" {
        let inner = v["Message"].as_str().ok_or(S3EventError::NotS3)?;
        let inner: Value =
            serde_json::from_str(inner).map_err(|e| S3EventError::NotJson(e.to_string()))?;
        return from_value(&inner, depth + 1);
    }
    let records = v["Records"].as_array().ok_or(S3EventError::NotS3)?;
    let mut created = Vec::new();
    for (index, r) in records.iter().enumerate() {
        if r["EventSource"] == "aws:sns" || r["eventSource"] == "aws:sns" {
            match from_value(&r["Sns"], depth + 1)? {
                S3Notification::Test => {}
                S3Notification::Created(objects) => created.extend(objects),
            }
            continue;
        }
        let s3 = &r["s3"];
        if !s3.is_object() {
            return Err(S3EventError::NotS3);
        }
        // ObjectRemoved, Replication, LifecycleExpiration...: nothing arrived.
        let name = r["eventName"].as_str().unwrap_or("ObjectCreated:");
        if !name.starts_with("ObjectCreated:") {
            continue;
        }
        let bad = |why: &str| S3EventError::BadRecord {
            index,
            why: why.to_string(),
        };
        let bucket = s3["bucket"]["name"]
            .as_str()
            .ok_or_else(|| bad("no bucket name"))?;
        let raw_key = s3["object"]["key"].as_str().ok_or_else(|| bad("no key"))?;
        let key = decode_s3_key(raw_key).map_err(|why| bad(&why))?;
        let text = |v: &Value| v.as_str().map(str::to_string);
        created.push(ArrivedObject {
            bucket: bucket.to_string(),
            key,
            size: s3["object"]["size"].as_u64(),
            etag: text(&s3["object"]["eTag"]),
            sequencer: text(&s3["object"]["sequencer"]),
        });
    }
    Ok(S3Notification::Created(created))
}

// --- uploads that arrive in the uploads bucket ------------------------------------------------

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

// --- the schedule -----------------------------------------------------------------------------

/// The schedule (an EventBridge `Scheduled Event`, or any payload when invoked by hand): one
/// round of housekeeping. A failed step fails the invocation, so the function's error alarm
/// sees it; EventBridge's retry runs the round again, which is harmless.
pub async fn handle_schedule(
    housekeeping: &Housekeeping,
    event: &Value,
) -> Result<HousekeepingReport, HousekeepingError> {
    tracing::info!(
        detail_type = event["detail-type"].as_str().unwrap_or("manual"),
        time = event["time"].as_str().unwrap_or(""),
        "housekeeping"
    );
    let report = housekeeping.run().await?;
    tracing::info!(
        tenants = report.tenants,
        reminders = report.reminders,
        expired = report.expired,
        requeued = report.requeued,
        failures = report.failures,
        "housekeeping done"
    );
    if report.failures > 0 {
        return Err(HousekeepingError::Steps {
            failures: report.failures,
        });
    }
    Ok(report)
}

#[cfg(test)]
mod parse_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_form_url_decoded() {
        assert_eq!(
            decode_s3_key("incoming/demo/u1/Protokoll+E-n%C3%A4mnden+%C3%A5.pdf").unwrap(),
            "incoming/demo/u1/Protokoll E-nämnden å.pdf"
        );
        // moto encodes the slashes too; a real plus sign is %2B.
        assert_eq!(
            decode_s3_key("incoming%2Fdemo%2Fu1%2Fa+b%2Bc.pdf").unwrap(),
            "incoming/demo/u1/a b+c.pdf"
        );
        assert!(decode_s3_key("incoming/%FF.pdf").is_err());
    }

    fn created(body: &Value) -> Vec<ArrivedObject> {
        match parse_s3_notification(&body.to_string()).unwrap() {
            S3Notification::Created(o) => o,
            other => panic!("expected objects, got {other:?}"),
        }
    }

    #[test]
    fn moto_records_without_identity_fields_parse() {
        // What moto 5.2 sends for a PUT: no userIdentity, requestParameters or responseElements.
        let moto = json!({"Records": [{
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "eu-north-1",
            "eventTime": "2026-11-23T09:00:01.000Z", "eventName": "ObjectCreated:Put",
            "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads",
                   "bucket": {"name": "uploads", "arn": "arn:aws:s3:::uploads"},
                   "object": {"key": "incoming%2Fdemo%2Fu1%2Fa+%C3%A5.pdf", "size": 12,
                              "eTag": "abc", "versionId": null, "sequencer": "1"}}}]});
        assert_eq!(
            created(&moto),
            vec![ArrivedObject {
                bucket: "uploads".into(),
                key: "incoming/demo/u1/a å.pdf".into(),
                size: Some(12),
                etag: Some("abc".into()),
                sequencer: Some("1".into()),
            }]
        );
    }

    #[test]
    fn test_events_envelopes_and_other_events() {
        let test = json!({"Service": "Amazon S3", "Event": "s3:TestEvent",
            "Time": "2026-11-23T09:00:00.000Z", "Bucket": "uploads",
            "RequestId": "5582815E1AEA5ADF", "HostId": "8cLeGAmw098X5cv4Zkwcmo8vvZa3eH3eKxsPzbB9wrR+YstdA6Knx4Ip8EXAMPLE"});
        assert_eq!(
            parse_s3_notification(&test.to_string()).unwrap(),
            S3Notification::Test
        );
        let inner = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:CompleteMultipartUpload",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/t/u/x.pdf"}}}]});
        let sns = json!({"Type": "Notification", "MessageId": "m", "TopicArn": "arn:aws:sns:eu-north-1:1:t",
            "Message": inner.to_string()});
        assert_eq!(created(&sns)[0].key, "incoming/t/u/x.pdf");
        let sns_record = json!({"Records": [{"EventSource": "aws:sns", "Sns": sns}]});
        assert_eq!(created(&sns_record).len(), 1);
        let removed = json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete",
            "s3": {"bucket": {"name": "b"}, "object": {"key": "incoming/t/u/x.pdf"}}}]});
        assert!(created(&removed).is_empty());
    }

    #[test]
    fn what_is_not_an_s3_notification_is_refused_with_a_code() {
        for (body, code) in [
            ("{not json".to_string(), "s3_event.not_json"),
            (r#"{"type":"seal"}"#.to_string(), "s3_event.not_s3"),
            (
                json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}).to_string(),
                "s3_event.not_s3",
            ),
            (
                json!({"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {}}}]})
                    .to_string(),
                "s3_event.bad_record",
            ),
        ] {
            assert_eq!(parse_s3_notification(&body).unwrap_err().code(), code, "{body}");
        }
    }

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

#[cfg(all(test, feature = "embedded"))]
mod event_tests {
    //! Every file in `events/` goes through the handler of its function on the embedded
    //! backend, and the queue, S3 and schedule events go through twice: a duplicate delivery
    //! changes nothing. A file with no expectations here fails the test.
    use std::collections::{BTreeSet, HashMap};
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::app::{test_app, App};
    use crate::lambda_harness::{
        self as harness, event, events_dir, failed, set_body, set_meeting_date, set_path,
        set_session, stockholm_today, Reply,
    };
    use crate::ports::{Item, PortError, PresignedUpload, Queue, UploadsBucket};
    use crate::web::Function;
    use bytes::Bytes;
    use std::sync::Arc;

    /// The events a test read, to find the files nobody tests.
    struct Events(Mutex<BTreeSet<String>>);

    impl Events {
        fn get(&self, name: &str) -> Value {
            self.0.lock().unwrap().insert(name.to_string());
            event(name)
        }
    }

    /// Jobs are recorded instead of run, so each queue event is the one that does the work.
    #[derive(Default)]
    struct RecordingQueue(Mutex<Vec<Job>>);

    #[async_trait]
    impl Queue for RecordingQueue {
        async fn enqueue(&self, job: Job) -> Result<(), PortError> {
            self.0.lock().unwrap().push(job);
            Ok(())
        }
    }

    /// The uploads bucket: any key, as S3.
    #[derive(Default)]
    struct FakeBucket(Mutex<HashMap<String, Bytes>>);

    #[async_trait]
    impl UploadsBucket for FakeBucket {
        async fn presign_put(
            &self,
            _: &str,
            _: &str,
            _: std::time::Duration,
        ) -> Result<PresignedUpload, PortError> {
            Err(PortError::new("uploads", "not presigned here"))
        }
        async fn get(&self, key: &str) -> Result<Option<Bytes>, PortError> {
            Ok(self.0.lock().unwrap().get(key).cloned())
        }
    }

    /// Which function's URL a path belongs to (as the template routes them).
    fn function_of(path: &str) -> Function {
        if path.starts_with("/api/documents") {
            Function::Upload
        } else if path.starts_with("/api/") {
            Function::CreateSigningOrder
        } else if path.starts_with("/portal") {
            Function::BankidCollect
        } else {
            panic!("no function URL serves {path}")
        }
    }

    /// A function-URL event through the function whose URL serves its path.
    async fn invoke(app: &App, ev: &Value) -> Reply {
        let path = ev["rawPath"].as_str().unwrap().to_string();
        harness::invoke(app, function_of(&path), ev).await
    }

    async fn snapshot(t: &test_app::TestApp) -> (Vec<Item>, Vec<(String, Bytes)>) {
        harness::snapshot(&t.ports, "demo").await
    }

    fn with_order(mut ev: Value, order_id: &str) -> SqsEvent {
        let body = ev["Records"][0]["body"].as_str().unwrap().to_string();
        let mut job: Value = serde_json::from_str(&body).unwrap();
        job["order_id"] = order_id.into();
        ev["Records"][0]["body"] = job.to_string().into();
        serde_json::from_value(ev).unwrap()
    }

    #[tokio::test]
    async fn every_event_file_goes_through_its_handler() {
        events_through_their_handlers(chrono::Utc::now()).await;
    }

    /// The same on a clock two years ahead: no test depends on the day it runs.
    #[tokio::test]
    async fn every_event_file_goes_through_its_handler_two_years_ahead() {
        events_through_their_handlers(chrono::Utc::now() + chrono::Duration::days(2 * 365)).await;
    }

    async fn events_through_their_handlers(now: chrono::DateTime<chrono::Utc>) {
        let t = test_app::start_at(now).await;
        let key = t.add_tenant("demo").await;
        let queue = Arc::new(RecordingQueue::default());
        let app = t.app_with(|ports| ports.queue = queue.clone());
        let events = Events(Mutex::new(BTreeSet::new()));
        let ev = |name: &str| {
            let mut v = events.get(name);
            if v["headers"]["authorization"].is_string() {
                v["headers"]["authorization"] = format!("Bearer {key}").into();
            }
            v
        };
        let pdf = Bytes::from(
            std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/testdata/protocols/e-namnd-2020-03-11.pdfa2b.pdf"
            ))
            .unwrap(),
        );
        let doc_id = crate::domain::DocumentId::of_bytes(&pdf).to_string();

        // --- upload: the function URL refuses a few bytes of a PDF header; the sample order
        // names a document not yet uploaded.
        let r = invoke(&app, &ev("furl-upload.json")).await;
        assert_eq!(r.status, 400);
        assert!(r.code().starts_with("pdf."), "{:?}", r.json());
        assert!(!r.json()["error"]["message_sv"].as_str().unwrap().is_empty());
        let r = invoke(&app, &ev("furl-create-order.json")).await;
        assert_eq!((r.status, r.code().as_str()), (404, "document.not_found"));
        // No uploads bucket on this backend: a direct upload is refused with what to do
        // instead (the AWS flow test, tests/aws_flow.rs, presigns for real).
        let r = invoke(&app, &ev("furl-presign-upload.json")).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, "upload.direct_unavailable")
        );
        assert!(r.json()["error"]["message_en"]
            .as_str()
            .unwrap()
            .contains("POST /api/documents"));
        let mut wrong_key = ev("furl-list-orders.json");
        wrong_key["headers"]["authorization"] = "Bearer esk_demo_not_a_key".into();
        assert_eq!(invoke(&app, &wrong_key).await.status, 401);

        // --- S3 ObjectCreated → SQS → upload, twice: one document, nothing changed the second time.
        let s3_event = ev("sqs-s3-upload.json");
        let body: Value =
            serde_json::from_str(s3_event["Records"][0]["body"].as_str().unwrap()).unwrap();
        let raw_key = body["Records"][0]["s3"]["object"]["key"].as_str().unwrap();
        assert!(
            raw_key.contains('+') && raw_key.contains("%C3%A5"),
            "the sample key is URL-encoded"
        );
        let bucket = Arc::new(FakeBucket::default());
        bucket
            .0
            .lock()
            .unwrap()
            .insert(decode_s3_key(raw_key).unwrap(), pdf.clone());
        // The upload function on AWS: its documents service reads the uploads bucket.
        let intake = t
            .app_with(|ports| {
                ports.queue = queue.clone();
                ports.uploads = Some(bucket.clone());
            })
            .documents;
        let intake = intake.as_ref();
        let sqs: SqsEvent = serde_json::from_value(s3_event.clone()).unwrap();
        assert!(failed(&handle_s3_batch(intake, sqs.clone()).await).is_empty());
        let before = snapshot(&t).await;
        assert!(failed(&handle_s3_batch(intake, sqs).await).is_empty());
        assert_eq!(
            snapshot(&t).await,
            before,
            "a duplicate S3 event changes nothing"
        );
        let r = invoke(&app, &ev("furl-get-document.json")).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        assert_eq!(r.json()["document"]["id"], doc_id.as_str());
        assert_eq!(
            r.json()["document"]["file_name"],
            "Protokoll E-nämnden 2026-11-20 å.pdf"
        );
        let r = invoke(&app, &ev("furl-get-document-original.json")).await;
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (200, "application/pdf")
        );
        assert_eq!(r.bytes, pdf);

        // --- create-signing-order, for a meeting held today by the test's clock.
        let mut create = ev("furl-create-order.json");
        set_meeting_date(&mut create, stockholm_today(&*t.clock));
        let r = invoke(&app, &create).await;
        assert_eq!(r.status, 201, "{:?}", r.json());
        let order_id = r.json()["order"]["id"].as_str().unwrap().to_string();
        let order_ev = |name: &str, suffix: &str| {
            let mut v = ev(name);
            set_path(&mut v, &format!("/api/orders/{order_id}{suffix}"));
            v
        };
        let r = invoke(&app, &ev("furl-list-orders.json")).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["orders"].as_array().unwrap().len(), 1);
        let r = invoke(&app, &order_ev("furl-get-order.json", "")).await;
        assert_eq!(
            (r.status, r.json()["order"]["status"].as_str()),
            (200, Some("open"))
        );
        let r = invoke(&app, &order_ev("furl-order-file.json", "/archive.pdf")).await;
        assert_eq!(r.status, 404, "no archive version before sealing");
        let r = invoke(&app, &ev("furl-whoami.json")).await;
        assert_eq!(r.json(), json!({"tenant": "demo", "role": "admin"}));
        let r = invoke(&app, &ev("furl-add-staff.json")).await;
        assert_eq!(r.status, 201, "{:?}", r.json());

        // --- bankid-collect: the portal page, login, the signer's order, signing.
        let r = invoke(&app, &ev("furl-portal-page.json")).await;
        assert_eq!(r.status, 200);
        assert!(r.content_type.starts_with("text/html"));
        // The page's script comes from the same function URL.
        let mut script = ev("furl-portal-page.json");
        set_path(&mut script, "/portal/static/portal.js");
        let r = invoke(&app, &script).await;
        assert_eq!(
            (r.status, r.content_type.as_str()),
            (200, "text/javascript; charset=utf-8")
        );
        let r = invoke(&app, &ev("furl-portal-orders.json")).await;
        assert_eq!(r.status, 401, "a made-up session is refused");

        let r = invoke(&app, &ev("furl-portal-login.json")).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let login = r.json();
        assert!(login["qr_data"].as_str().unwrap().starts_with("bankid."));
        assert!(login["qr_svg"].as_str().unwrap().starts_with("<svg "));
        assert!(
            login.get("qr_start_secret").is_none(),
            "the QR secret never leaves the server"
        );
        t.phone_approves(login["auto_start_token"].as_str().unwrap(), "191212121212")
            .await;
        let mut collect = ev("furl-portal-login-collect.json");
        set_body(&mut collect, json!({"login_ref": login["login_ref"]}));
        let r = invoke(&app, &collect).await;
        assert_eq!(r.json()["status"], "complete", "{:?}", r.json());
        let session = r.json()["session_token"].as_str().unwrap().to_string();
        let portal_ev = |name: &str, path: Option<String>| {
            let mut v = ev(name);
            set_session(&mut v, &session);
            if let Some(p) = path {
                set_path(&mut v, &p);
            }
            v
        };
        let order_path = |suffix: &str| Some(format!("/portal/orders/demo/{order_id}{suffix}"));
        let r = invoke(&app, &portal_ev("furl-portal-me.json", None)).await;
        assert_eq!(r.json()["name"], "Tolvan Tolvansson");
        let r = invoke(&app, &portal_ev("furl-portal-orders.json", None)).await;
        assert_eq!(r.json()["orders"].as_array().unwrap().len(), 1);
        let r = invoke(&app, &portal_ev("furl-portal-order.json", order_path(""))).await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let r = invoke(
            &app,
            &portal_ev(
                "furl-portal-order-document.json",
                order_path("/document.pdf"),
            ),
        )
        .await;
        assert_eq!((r.status, &r.bytes), (200, &pdf));

        t.clock.advance(chrono::Duration::seconds(3));
        let r = invoke(
            &app,
            &portal_ev("furl-portal-sign.json", order_path("/sign")),
        )
        .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let sign = r.json();
        assert!(sign["qr_svg"].as_str().unwrap().starts_with("<svg "));
        t.phone_approves(sign["auto_start_token"].as_str().unwrap(), "191212121212")
            .await;
        let mut collect = portal_ev("furl-portal-sign-collect.json", None);
        set_body(&mut collect, json!({"sign_ref": sign["sign_ref"]}));
        let r = invoke(&app, &collect).await;
        assert_eq!(
            (
                r.json()["status"].as_str(),
                r.json()["order_status"].as_str()
            ),
            (Some("complete"), Some("completed")),
            "{:?}",
            r.json()
        );
        let seal_job = Job::Seal {
            tenant: "demo".into(),
            order_id: order_id.clone(),
        };
        assert_eq!(*queue.0.lock().unwrap(), vec![seal_job]);
        let r = invoke(
            &app,
            &portal_ev("furl-portal-reject.json", order_path("/reject")),
        )
        .await;
        assert_eq!(r.status, 409, "signed already: {:?}", r.json());

        // Cancel a login that nobody finishes; its reference is gone afterwards.
        t.clock.advance(chrono::Duration::seconds(3));
        let started = invoke(&app, &ev("furl-portal-login.json")).await.json();
        let mut cancel = ev("furl-portal-cancel.json");
        set_body(&mut cancel, json!({"order_ref": started["login_ref"]}));
        assert_eq!(invoke(&app, &cancel).await.status, 200);
        assert_eq!(invoke(&app, &cancel).await.status, 404);

        // --- the queues: each job twice; the second delivery changes nothing.
        for (file, queue_name, next) in [
            ("sqs-seal.json", "seal", Some("publish")),
            ("sqs-publish.json", "publish", Some("archive-export")),
            ("sqs-archive-export.json", "archive-export", None),
        ] {
            queue.0.lock().unwrap().clear();
            let batch = with_order(events.get(file), &order_id);
            let resp = handle_sqs_batch(app.pipeline.as_ref(), queue_name, batch.clone()).await;
            assert!(failed(&resp).is_empty(), "{file}");
            let after_first = snapshot(&t).await;
            let resp = handle_sqs_batch(app.pipeline.as_ref(), queue_name, batch).await;
            assert!(failed(&resp).is_empty(), "{file} again");
            assert_eq!(snapshot(&t).await, after_first, "{file} twice");
            let queued: Vec<_> = queue
                .0
                .lock()
                .unwrap()
                .iter()
                .map(|j| j.queue_name())
                .collect();
            // The duplicate may queue the next step again (harmless), never another one.
            assert!(
                queued.iter().all(|q| Some(*q) == next),
                "{file}: {queued:?}"
            );
            assert_eq!(queued.is_empty(), next.is_none(), "{file}: {queued:?}");
            // The sample's own order does not exist: that message fails alone.
            let resp =
                handle_sqs_batch(app.pipeline.as_ref(), queue_name, sqs_event(&events, file)).await;
            assert_eq!(failed(&resp).len(), 1, "{file}");
        }
        let r = invoke(&app, &order_ev("furl-get-order.json", "")).await;
        assert_eq!(r.json()["order"]["status"], "exported");
        let r = invoke(&app, &order_ev("furl-order-file.json", "/archive.pdf")).await;
        assert_eq!(r.status, 200);
        assert!(
            r.bytes.starts_with(&pdf),
            "the original is a byte-exact prefix"
        );
        let r = invoke(&app, &order_ev("furl-recall-order.json", "/recall")).await;
        assert_eq!(
            r.status,
            409,
            "an exported order is not recalled: {:?}",
            r.json()
        );
        let r = invoke(&app, &order_ev("furl-resend-order.json", "/resend")).await;
        assert_eq!(r.status, 409, "nor resent: {:?}", r.json());

        // --- the schedule, twice.
        let tick = events.get("schedule-housekeeping.json");
        assert_eq!(tick["detail-type"], "Scheduled Event");
        queue.0.lock().unwrap().clear();
        let first = handle_schedule(&app.housekeeping, &tick).await.unwrap();
        let after_first = snapshot(&t).await;
        let second = handle_schedule(&app.housekeeping, &tick).await.unwrap();
        assert_eq!(
            snapshot(&t).await,
            after_first,
            "a second tick changes nothing"
        );
        assert_eq!(first, second);
        assert_eq!(
            (first.tenants, first.failures, first.requeued),
            (1, 0, 0),
            "nothing waits: the order is exported"
        );
        let index = t
            .ports
            .objects
            .get("public/demo/anslag/index.html")
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&index).contains("E-nämnden"));

        // --- logout ends the session.
        let r = invoke(&app, &portal_ev("furl-portal-logout.json", None)).await;
        assert_eq!(r.status, 200);
        let r = invoke(&app, &portal_ev("furl-portal-me.json", None)).await;
        assert_eq!(r.status, 401);

        // Every file in events/ was fed through its handler above.
        let all: BTreeSet<String> = std::fs::read_dir(events_dir())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        let used = events.0.lock().unwrap().clone();
        let untested: Vec<_> = all.difference(&used).collect();
        assert!(
            untested.is_empty(),
            "events without a test (add their expectations here): {untested:?}"
        );
    }

    fn sqs_event(events: &Events, file: &str) -> SqsEvent {
        serde_json::from_value(events.get(file)).unwrap()
    }

    /// A job for another queue, and a message that is not a job, fail alone.
    #[tokio::test]
    async fn misrouted_and_unreadable_messages_fail_alone() {
        let t = test_app::start().await;
        let events = Events(Mutex::new(BTreeSet::new()));
        let mut ev = sqs_event(&events, "sqs-seal.json");
        let mut bad = ev.records[0].clone();
        bad.message_id = Some("not-json".into());
        bad.body = Some("{not json".into());
        ev.records.push(bad);
        let resp = handle_sqs_batch(t.app.pipeline.as_ref(), "publish", ev).await;
        assert_eq!(resp.batch_item_failures.len(), 2);
        let json = serde_json::to_value(&resp).unwrap();
        assert_eq!(json["batchItemFailures"][1]["itemIdentifier"], "not-json");
    }

    /// Every route of the API that a function URL serves has a sample event (the public
    /// routes are served from the public bucket instead).
    #[test]
    fn every_function_url_route_has_an_event() {
        let src = [
            include_str!("web/api/documents.rs"),
            include_str!("web/api/orders.rs"),
            include_str!("web/api/portal.rs"),
            include_str!("web/api/public.rs"),
        ]
        .concat();
        let mut routes = vec![("GET".to_string(), "/portal".to_string())];
        for chunk in src.split(".route(").skip(1) {
            let path = chunk.split('"').nth(1).unwrap().to_string();
            let call = &chunk[..chunk.find("\n        .route(").unwrap_or(chunk.len())];
            let call = &call[..call.find("\n}").unwrap_or(call.len())];
            for (token, method) in [("get(", "GET"), ("post(", "POST")] {
                let hits = call.match_indices(token).filter(|(i, _)| {
                    *i == 0
                        || !call.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && call.as_bytes()[i - 1] != b'_'
                });
                if hits.count() > 0 {
                    routes.push((method.to_string(), path.clone()));
                }
            }
        }
        let mut events = Vec::new();
        for entry in std::fs::read_dir(events_dir()).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with("furl-") {
                let v: Value = serde_json::from_str(
                    &std::fs::read_to_string(events_dir().join(&name)).unwrap(),
                )
                .unwrap();
                assert_eq!(v["version"], "2.0", "{name}: payload format 2.0");
                let method = v["requestContext"]["http"]["method"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let path = v["rawPath"].as_str().unwrap().to_string();
                assert_eq!(v["requestContext"]["http"]["path"], path.as_str(), "{name}");
                events.push((method, path));
            }
        }
        let matches = |pattern: &str, path: &str| {
            let (p, q): (Vec<_>, Vec<_>) =
                (pattern.split('/').collect(), path.split('/').collect());
            p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| a.starts_with('{') || a == b)
        };
        let missing: Vec<_> = routes
            .iter()
            .filter(|(_, path)| !path.starts_with("/public/"))
            .filter(|(m, p)| !events.iter().any(|(em, ep)| em == m && matches(p, ep)))
            .collect();
        assert!(routes.len() > 20, "the route table was read: {routes:?}");
        assert!(
            missing.is_empty(),
            "routes without an event in events/: {missing:?}"
        );
    }
}
