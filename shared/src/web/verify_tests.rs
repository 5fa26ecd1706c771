//! The public verification page: anyone may send an archive version and read, in plain
//! Swedish, whether its seal holds. Nothing sent is kept; too large or not a PDF is refused
//! with a clear message.

use std::sync::Arc;

use serde_json::Value;
use tower::ServiceExt;

use crate::app::test_app::{self, RecordingQueue};
use crate::repo::files;

async fn send(router: &axum::Router, req: http::Request<axum::body::Body>) -> (u16, Value) {
    let resp = router.clone().oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn verify(router: &axum::Router, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let req = http::Request::post("/portal/verify")
        .header("content-type", content_type)
        .body(axum::body::Body::from(body))
        .unwrap();
    send(router, req).await
}

#[tokio::test]
async fn an_archive_version_is_reported_valid_and_a_changed_one_broken_in_plain_swedish() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, _) = t.signed_order(&app, "kommun").await;
    app.pipeline.run(&queue.take()[0]).await.unwrap();
    let archive = t
        .stored(&files::order_file(
            &order.tenant,
            order.id,
            files::ARCHIVE_VERSION,
        ))
        .await
        .to_vec();
    let router = crate::web::router(app);
    let objects_before = t.ports.objects.list("").await.unwrap();

    let (status, report) = verify(&router, "application/pdf", archive.clone()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    let headline = report["headline"].as_str().unwrap();
    assert!(headline.contains("oförändrat"), "{headline}");
    for word in ["SHA", "PAdES", "CMS", "ByteRange", "UTC"] {
        assert!(!headline.contains(word), "plain Swedish: {headline}");
    }
    assert!(
        !report["details"].as_array().unwrap().is_empty(),
        "{report}"
    );

    // One byte changed inside what the seal covers.
    let mut changed = archive.clone();
    let at = changed
        .windows(9)
        .position(|w| w == b"Protokoll")
        .unwrap_or(200);
    changed[at] ^= 0x20;
    let (status, report) = verify(&router, "application/pdf", changed).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["valid"], false, "{report}");
    assert!(
        report["headline"].as_str().unwrap().contains("ändrats"),
        "{report}"
    );

    // Not sent as a PDF (415), and not a PDF it can read (400, as upload answers it): each
    // refused with a message that says to send a PDF.
    for (content_type, status) in [("text/plain", 415), ("application/pdf", 400)] {
        let (got, report) = verify(&router, content_type, b"hej hej".to_vec()).await;
        assert_eq!(got, status, "{report}");
        let message = report["error"]["message_sv"].as_str().unwrap_or_default();
        assert!(message.contains("PDF"), "{report}");
    }

    // Nothing sent was kept.
    assert_eq!(t.ports.objects.list("").await.unwrap(), objects_before);
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_with_a_clear_message() {
    let t = test_app::start().await;
    let router = crate::web::router(t.app_with(|_| {}));
    let limit = crate::app::Settings::default().max_upload_bytes as usize;
    let mut big = b"%PDF-1.7\n".to_vec();
    big.resize(limit + 1, b' ');
    let (status, report) = verify(&router, "application/pdf", big).await;
    assert_eq!(status, 413, "{report}");
    assert_eq!(report["error"]["code"], "pdf.too_large", "{report}");
}

/// A notice links the verification of the archive version the service keeps; the file itself
/// is never handed out, and an order without one is not found.
#[tokio::test]
async fn the_archive_version_kept_for_an_order_is_checked_by_its_link() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, _) = t.signed_order(&app, "kommun").await;
    let router = crate::web::router(app.clone());
    let get = |path: String| {
        let router = router.clone();
        async move {
            let req = http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap();
            send(&router, req).await
        }
    };
    let path = format!("/portal/verify/kommun/{}", order.id);
    let (status, _) = get(path.clone()).await;
    assert_eq!(status, 404, "not sealed yet");
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    let (status, report) = get(path).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["valid"], true, "{report}");
    assert!(report.get("pdf").is_none() && report.to_string().len() < 4096);
    let (status, _) = get("/portal/verify/kommun/not-an-order".into()).await;
    assert_eq!(status, 404);
    let (status, _) = get(format!("/portal/verify/annan/{}", order.id)).await;
    assert_eq!(status, 404, "another tenant's path finds nothing");
    // The notice's page links it.
    let notice = t
        .stored(&files::public(&order.tenant, &format!("{}.html", order.id)))
        .await;
    let notice = String::from_utf8(notice.to_vec()).unwrap();
    assert!(
        notice.contains(&format!(
            "/portal/verifiera?arkivexemplar=kommun/{}",
            order.id
        )),
        "{notice}"
    );
}
