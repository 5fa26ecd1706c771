//! What the queue-driven functions share: SQS records in, jobs to the app, failures back as a
//! partial batch response (so one poison message never fails its neighbours).

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};

use crate::app::App;
use crate::ports::Job;

/// Handle every record of a batch; report the ones that failed so only they come back.
/// `queue` is the job type this function serves (`seal`, `publish`, `archive-export`); a
/// message of another type is a routing mistake and fails, so it ends in the dead-letter queue.
pub async fn handle_sqs_batch(app: &App, queue: &str, event: SqsEvent) -> SqsBatchResponse {
    let mut failures = Vec::new();
    for record in event.records {
        let id = record.message_id.clone().unwrap_or_default();
        let outcome = match record.body.as_deref().map(serde_json::from_str::<Job>) {
            None => Err("empty message".to_string()),
            Some(Err(e)) => Err(format!("not a job: {e}")),
            Some(Ok(job)) if job.queue_name() != queue => {
                Err(format!("a {} job on the {queue} queue", job.queue_name()))
            }
            Some(Ok(job)) => app
                .handle_job(&job)
                .await
                .map_err(|e| format!("{}: {e}", e.code())),
        };
        if let Err(why) = outcome {
            tracing::error!(message_id = %id, queue, error = %why, "message failed");
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failures.push(failure);
        }
    }
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failures;
    resp
}

#[cfg(all(test, feature = "embedded", feature = "simulator"))]
mod tests {
    //! Every file in `events/` goes through the handler of its function.
    use super::*;
    use crate::app::test_app;
    use crate::web::{function_router, Function};
    use tower::ServiceExt;

    fn event(name: &str) -> serde_json::Value {
        let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
    }

    fn sqs(name: &str) -> SqsEvent {
        serde_json::from_value(event(name)).unwrap()
    }

    /// Feed a function-URL event through a function's routes, as lambda_http would.
    async fn invoke(
        app: &App,
        f: Function,
        mut ev: serde_json::Value,
        api_key: Option<&str>,
    ) -> (u16, serde_json::Value) {
        if let Some(key) = api_key {
            ev["headers"]["authorization"] = format!("Bearer {key}").into();
        }
        let req = lambda_http::request::from_str(&ev.to_string()).unwrap();
        let resp = function_router(app.clone(), f).oneshot(req).await.unwrap();
        let status = resp.status().as_u16();
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        (status, serde_json::from_slice(&body).unwrap_or_default())
    }

    #[tokio::test]
    async fn queue_events_parse_and_failures_are_reported_per_message() {
        let t = test_app::start().await;
        t.add_tenant("demo").await;
        for (file, queue) in [
            ("sqs-seal.json", "seal"),
            ("sqs-publish.json", "publish"),
            ("sqs-archive-export.json", "archive-export"),
        ] {
            let ev = sqs(file);
            let id = ev.records[0].message_id.clone().unwrap();
            // The sample's order does not exist here: that one message must come back.
            let resp = handle_sqs_batch(&t.app, queue, ev).await;
            let failed: Vec<_> = resp
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone())
                .collect();
            assert_eq!(failed, vec![id], "{file}");
        }
        // A message for another queue, and one that is not a job, fail alone.
        let mut ev = sqs("sqs-seal.json");
        let mut bad = ev.records[0].clone();
        bad.message_id = Some("not-json".into());
        bad.body = Some("{not json".into());
        ev.records.push(bad);
        let resp = handle_sqs_batch(&t.app, "publish", ev).await;
        assert_eq!(resp.batch_item_failures.len(), 2);
        let json = serde_json::to_value(&resp).unwrap();
        assert!(
            json["batchItemFailures"][1]["itemIdentifier"] == "not-json",
            "{json}"
        );
    }

    #[tokio::test]
    async fn function_url_events_reach_their_routes() {
        let t = test_app::start().await;
        let key = t.add_tenant("demo").await;

        // The sample upload carries a few bytes of a PDF header, base64: intake refuses it.
        let (status, body) = invoke(
            &t.app,
            Function::Upload,
            event("furl-upload.json"),
            Some(&key),
        )
        .await;
        assert_eq!(status, 400, "{body}");
        assert!(
            body["error"]["code"].as_str().unwrap().starts_with("pdf."),
            "{body}"
        );
        assert!(!body["error"]["message_sv"].as_str().unwrap().is_empty());

        // The sample order names a document this tenant never uploaded.
        let (status, body) = invoke(
            &t.app,
            Function::CreateSigningOrder,
            event("furl-create-order.json"),
            Some(&key),
        )
        .await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("document.not_found"))
        );

        let (status, body) = invoke(
            &t.app,
            Function::CreateSigningOrder,
            event("furl-list-orders.json"),
            Some(&key),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["orders"], serde_json::json!([]));
        // The sample's own key is not a real key.
        let (status, _) = invoke(
            &t.app,
            Function::CreateSigningOrder,
            event("furl-list-orders.json"),
            None,
        )
        .await;
        assert_eq!(status, 401);

        // Login starts a BankID order at the simulator.
        let (status, body) = invoke(
            &t.app,
            Function::BankidCollect,
            event("furl-portal-login.json"),
            None,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert!(body["qr_data"].as_str().unwrap().starts_with("bankid."));
        assert!(body["auto_start_token"].is_string() && body["login_ref"].is_string());
        assert!(
            body.get("qr_start_secret").is_none(),
            "the QR secret never leaves the server"
        );

        let (status, _) = invoke(
            &t.app,
            Function::BankidCollect,
            event("furl-portal-orders.json"),
            None,
        )
        .await;
        assert_eq!(status, 401, "a made-up session is refused");

        // A route of another function is not served by this one.
        let (status, _) = invoke(
            &t.app,
            Function::Upload,
            event("furl-portal-login.json"),
            None,
        )
        .await;
        assert_eq!(status, 404);
    }
}
