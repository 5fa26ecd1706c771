//! Every file in `events/` goes through the handler of its function on the embedded
//! backend, and the queue, S3 and schedule events go through twice: a duplicate delivery
//! changes nothing. A file with no expectations here fails the test.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_lambda_events::event::sqs::SqsEvent;
use bytes::Bytes;
use serde_json::{json, Value};

use super::*;
use crate::app::{test_app, App};
use crate::lambda_harness::{
    self as harness, event, events_dir, failed, set_body, set_meeting_date, set_path, set_session,
    stockholm_today, Reply,
};
use crate::ports::{Item, Job, PortError, PresignedUpload, Queue, UploadsBucket};
use crate::web::Function;

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
    async fn get_to_file(&self, key: &str, path: &std::path::Path) -> Result<bool, PortError> {
        let bytes = self.0.lock().unwrap().get(key).cloned();
        match bytes {
            Some(b) => {
                std::fs::write(path, &b).map_err(|e| PortError::new("uploads", e))?;
                Ok(true)
            }
            None => Ok(false),
        }
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
    // What publishing it would take out: the document says, and the preview shows it.
    assert!(
        r_json_has_publication(&invoke(&app, &ev("furl-get-document.json")).await.json()),
        "the upload was checked for personnummer"
    );
    let r = invoke(&app, &ev("furl-get-document-publication-preview.json")).await;
    assert_eq!(
        (r.status, r.content_type.as_str()),
        (200, "application/pdf")
    );
    assert!(r.bytes.starts_with(b"%PDF-") && r.bytes != pdf);

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
    assert_eq!(
        r.json(),
        json!({"tenant": "demo", "role": "admin", "scopes": ["admin"]})
    );
    let r = invoke(&app, &ev("furl-add-staff.json")).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    // API keys: one for an e-service, listed without its secret, revoked; the sample's id
    // is nobody's.
    let r = invoke(&app, &ev("furl-create-api-key.json")).await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let made = r.json();
    assert_eq!(
        made["api_key"]["scopes"],
        json!(["orders:write", "orders:read"])
    );
    let secret = made["secret"].as_str().unwrap().to_string();
    let r = invoke(&app, &ev("furl-list-api-keys.json")).await;
    assert_eq!(r.status, 200);
    assert!(
        !String::from_utf8_lossy(&r.bytes).contains(&secret),
        "no secret in the list"
    );
    assert_eq!(r.json()["api_keys"].as_array().unwrap().len(), 2);
    let r = invoke(&app, &ev("furl-revoke-api-key.json")).await;
    assert_eq!(r.status, 404, "{:?}", r.json());
    let mut revoke = ev("furl-revoke-api-key.json");
    set_path(
        &mut revoke,
        &format!(
            "/api/api-keys/{}/revoke",
            made["api_key"]["id"].as_str().unwrap()
        ),
    );
    let r = invoke(&app, &revoke).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(r.json()["api_key"]["revoked_at"].is_string());

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
        // A renewal, from housekeeping's daily round: the order's archive version has no
        // timestamp (the test tenant seals at B-B), so there is nothing to renew.
        ("sqs-renew.json", "seal", None),
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
    // The public verification page: the sample's few bytes are no PDF it can read; the
    // archive version just made holds.
    let r = invoke(&app, &ev("furl-portal-verify.json")).await;
    assert_eq!(r.status, 400, "{:?}", r.json());
    let mut verify = ev("furl-portal-verify.json");
    let archive = invoke(&app, &order_ev("furl-order-file.json", "/archive.pdf"))
        .await
        .bytes;
    {
        use base64::Engine;
        verify["body"] = base64::engine::general_purpose::STANDARD
            .encode(&archive)
            .into();
    }
    let r = invoke(&app, &verify).await;
    assert_eq!(
        (r.status, &r.json()["valid"]),
        (200, &json!(true)),
        "{:?}",
        r.json()
    );
    // ... and the archive version kept for an order, by the link a notice gives: the sample's
    // order does not exist, the one just exported holds.
    let mut kept = ev("furl-portal-verify-kept.json");
    assert_eq!(invoke(&app, &kept).await.status, 404);
    let path = format!("/portal/verify/demo/{order_id}");
    kept["rawPath"] = path.clone().into();
    kept["requestContext"]["http"]["path"] = path.into();
    let r = invoke(&app, &kept).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["valid"], true, "{:?}", r.json());
    let r = invoke(&app, &order_ev("furl-recall-order.json", "/recall")).await;
    assert_eq!(
        r.status,
        409,
        "an exported order is not recalled: {:?}",
        r.json()
    );
    let r = invoke(&app, &order_ev("furl-resend-order.json", "/resend")).await;
    assert_eq!(r.status, 409, "nor resent: {:?}", r.json());
    let r = invoke(&app, &order_ev("furl-retry-order.json", "/retry")).await;
    assert_eq!(r.status, 409, "nor run again: {:?}", r.json());
    assert_eq!(r.json()["error"]["code"], "order.illegal_transition");
    let r = invoke(
        &app,
        &order_ev("furl-publication-version.json", "/publication-version"),
    )
    .await;
    assert_eq!(
        (r.status, &r.json()["error"]["code"]),
        (409, &json!("order.illegal_transition")),
        "what was published stays published: {:?}",
        r.json()
    );

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

fn r_json_has_publication(v: &Value) -> bool {
    v["document"]["publication"]["removed"].is_array()
        && v["document"]["publication"]["message_sv"].is_string()
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
        include_str!("../web/api/documents.rs"),
        include_str!("../web/api/orders.rs"),
        include_str!("../web/api/portal.rs"),
        include_str!("../web/api/public.rs"),
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
            let v: Value =
                serde_json::from_str(&std::fs::read_to_string(events_dir().join(&name)).unwrap())
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
        let (p, q): (Vec<_>, Vec<_>) = (pattern.split('/').collect(), path.split('/').collect());
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
