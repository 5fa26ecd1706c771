//! Nothing twice, nothing endless: a step is claimed before it is done, so two deliveries of
//! one job make one archive version; a step that can never succeed, or keeps failing, stops
//! the order with its reason for the secretary, and can be retried once mended.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use bytes::Bytes;

use crate::app::test_app::{self, RecordingQueue};
use crate::app::test_objects::{ObjectCall, ObjectWatch, WatchedObjects};
use crate::domain::pipeline::MAX_ATTEMPTS;
use crate::domain::{OrderStatus, PipelineStep, SigningOrder};
use crate::ports::{Clock, Job, PortError, Retry};
use crate::repo::files;

/// Counts the archive versions written, and fails the next `failures` writes of one (as S3
/// or a full disk would).
#[derive(Default)]
struct ArchiveWrites {
    written: AtomicU32,
    failures: AtomicU32,
}

impl ObjectWatch for ArchiveWrites {
    fn written(&self, key: &str) {
        if key.ends_with(files::ARCHIVE_VERSION) {
            self.written.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn before(&self, call: ObjectCall, key: &str) -> Result<(), PortError> {
        if !call.writes() || !key.ends_with(files::ARCHIVE_VERSION) {
            return Ok(());
        }
        if self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return Err(PortError::new("object-store", "injected: the write failed"));
        }
        Ok(())
    }
}

struct Rig {
    t: test_app::TestApp,
    app: crate::app::App,
    queue: Arc<RecordingQueue>,
    objects: Arc<WatchedObjects<ArchiveWrites>>,
}

/// An app whose jobs are recorded, not run, and whose archive writes are counted.
async fn rig() -> Rig {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let objects = Arc::new(WatchedObjects {
        inner: t.ports.objects.clone(),
        watch: ArchiveWrites::default(),
    });
    let app = t.app_with(|p| {
        p.queue = queue.clone();
        p.objects = objects.clone();
    });
    Rig {
        t,
        app,
        queue,
        objects,
    }
}

impl Rig {
    async fn order(&self, o: &SigningOrder) -> SigningOrder {
        crate::repo::OrderRepo::new(self.t.ports.state.clone(), self.t.ports.cipher.clone())
            .load(&o.tenant, o.id)
            .await
            .unwrap()
            .unwrap()
            .value
    }
}

#[tokio::test]
async fn two_deliveries_of_the_seal_at_once_make_one_archive_version() {
    let r = rig().await;
    let (order, _) = r.t.signed_order(&r.app, "kommun").await;
    let seal = Job::for_step(PipelineStep::Seal, &order.tenant, order.id);
    assert_eq!(r.queue.take(), vec![seal.clone()]);
    // Housekeeping queued it again while the first delivery was still running.
    let (a, b) = tokio::join!(r.app.pipeline.run(&seal), r.app.pipeline.run(&seal));
    a.unwrap();
    b.unwrap();
    assert_eq!(
        r.objects.watch.written.load(Ordering::SeqCst),
        1,
        "archive versions"
    );
    assert_eq!(r.order(&order).await.status, OrderStatus::Sealed);
    // And a delivery after it is done makes none either.
    r.app.pipeline.run(&seal).await.unwrap();
    assert_eq!(r.objects.watch.written.load(Ordering::SeqCst), 1);
    let publish = Job::for_step(PipelineStep::Publish, &order.tenant, order.id);
    assert!(r.queue.take().iter().all(|j| *j == publish));
}

#[tokio::test]
async fn a_crash_after_the_archive_was_written_seals_with_that_archive_version() {
    let r = rig().await;
    let (order, _) = r.t.signed_order(&r.app, "kommun").await;
    let seal = Job::for_step(PipelineStep::Seal, &order.tenant, order.id);
    r.app.pipeline.run(&seal).await.unwrap();
    let archive_key = files::order_file(&order.tenant, order.id, files::ARCHIVE_VERSION);
    let first = r.t.ports.objects.get(&archive_key).await.unwrap().unwrap();
    // As if the order write after the archive had never happened.
    crate::repo::OrderRepo::new(r.t.ports.state.clone(), r.t.ports.cipher.clone())
        .update_with(&order.tenant, order.id, |o| {
            o.status = OrderStatus::Completed;
            Ok::<_, crate::app::AppError>(())
        })
        .await
        .unwrap();
    r.t.clock.advance(chrono::Duration::minutes(1));
    r.app.pipeline.run(&seal).await.unwrap();
    assert_eq!(r.order(&order).await.status, OrderStatus::Sealed);
    let second = r.t.ports.objects.get(&archive_key).await.unwrap().unwrap();
    assert_eq!(
        first, second,
        "the archive version stays the one first made"
    );
    assert_eq!(r.objects.watch.written.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_seal_that_can_never_succeed_stops_the_order_and_tells_the_secretary() {
    let r = rig().await;
    let (order, staff) = r.t.signed_order(&r.app, "kommun").await;
    // The seal certificate (valid three years) has expired.
    r.t.clock.advance(chrono::Duration::days(4 * 366));
    let seal = Job::for_step(PipelineStep::Seal, &order.tenant, order.id);
    r.queue.take();
    r.app
        .pipeline
        .run(&seal)
        .await
        .expect("a failure recorded for people to see is the end of the job");
    let stopped = r.order(&order).await;
    assert_eq!(stopped.status, OrderStatus::Failed);
    let failure = stopped.failure.clone().unwrap();
    assert_eq!(failure.step, PipelineStep::Seal);
    assert_eq!(failure.reason.code, "seal.certificate_invalid");
    assert!(failure.reason.message_sv.contains("sigillcertifikat"));
    assert_eq!(r.objects.watch.written.load(Ordering::SeqCst), 0);
    // The secretary sees it in the order and hears of it by mail.
    let view = crate::app::views::order_for_staff(&stopped, [false; 4]);
    assert_eq!(view["status"], "failed");
    assert_eq!(view["failure"]["code"], "seal.certificate_invalid");
    let mails: Vec<String> = std::fs::read_dir(r.t._dir.path().join("mail"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|m| m.contains("To: sekreterare@example.se"))
        .filter(|m| m.contains("kunde inte f=C3=B6rseglas"))
        .collect();
    assert_eq!(mails.len(), 1, "{mails:?}");
    assert!(
        mails[0].contains("sigillcertifikat"),
        "the reason: {}",
        mails[0]
    );
    // Housekeeping leaves a stopped order alone: no retries for ever.
    assert_eq!(
        r.app
            .housekeeping
            .resume_pending_work(&order.tenant)
            .await
            .unwrap(),
        0
    );
    assert!(r.queue.take().is_empty());
    let _ = staff;
}

#[tokio::test]
async fn a_step_that_keeps_failing_stops_after_the_last_attempt_and_runs_again_when_retried() {
    let r = rig().await;
    let (order, staff) = r.t.signed_order(&r.app, "kommun").await;
    let seal = Job::for_step(PipelineStep::Seal, &order.tenant, order.id);
    r.queue.take();
    r.objects.watch.failures.store(u32::MAX, Ordering::SeqCst);
    for attempt in 1..MAX_ATTEMPTS {
        let err = r.app.pipeline.run(&seal).await.unwrap_err();
        assert_eq!(err.retry(), Retry::Later, "attempt {attempt}: {err}");
        assert_eq!(r.order(&order).await.status, OrderStatus::Completed);
    }
    r.app.pipeline.run(&seal).await.unwrap();
    let stopped = r.order(&order).await;
    assert_eq!(stopped.status, OrderStatus::Failed);
    assert_eq!(stopped.failure.as_ref().unwrap().attempts, MAX_ATTEMPTS);
    assert_eq!(stopped.failure.unwrap().reason.code, "internal");

    // Mended: the secretary (or the admin, or an e-service) runs it again.
    r.objects.watch.failures.store(0, Ordering::SeqCst);
    let key = r.t.app.tenants.issue_api_key(&staff.tenant).await.unwrap();
    let retry = |key: String| {
        let path = format!("/api/orders/{}/retry", order.id);
        let app = r.app.clone();
        async move {
            let req = http::Request::post(path)
                .header("authorization", format!("Bearer {key}"))
                .body(axum::body::Body::empty())
                .unwrap();
            let resp = tower::ServiceExt::oneshot(crate::web::router(app), req)
                .await
                .unwrap();
            let status = resp.status().as_u16();
            let body = http_body_util::BodyExt::collect(resp.into_body())
                .await
                .unwrap()
                .to_bytes();
            (
                status,
                serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
            )
        }
    };
    let (status, body) = retry(key.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["order"]["status"], "completed", "{body}");
    assert_eq!(r.queue.take(), vec![seal.clone()]);
    r.app.pipeline.run(&seal).await.unwrap();
    assert_eq!(r.order(&order).await.status, OrderStatus::Sealed);
    let (status, body) = retry(key).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "order.illegal_transition");
}

#[tokio::test]
async fn export_refuses_an_archive_version_that_does_not_verify() {
    let r = rig().await;
    let (order, _) = r.t.signed_order(&r.app, "kommun").await;
    for step in [PipelineStep::Seal, PipelineStep::Publish] {
        r.app
            .pipeline
            .run(&Job::for_step(step, &order.tenant, order.id))
            .await
            .unwrap();
    }
    assert_eq!(r.order(&order).await.status, OrderStatus::Published);
    // Someone changed the archive version after the seal: one byte of the protocol.
    let key = files::order_file(&order.tenant, order.id, files::ARCHIVE_VERSION);
    let mut archive = r.t.ports.objects.get(&key).await.unwrap().unwrap().to_vec();
    let at = archive.windows(6).position(|w| w == b"stream").unwrap() + 20;
    archive[at] ^= 0x01;
    r.t.ports
        .objects
        .put(&key, Bytes::from(archive), "application/pdf")
        .await
        .unwrap();
    r.app
        .pipeline
        .run(&Job::for_step(
            PipelineStep::ArchiveExport,
            &order.tenant,
            order.id,
        ))
        .await
        .unwrap();
    let stopped = r.order(&order).await;
    assert_eq!(
        stopped.status,
        OrderStatus::Failed,
        "marked exported anyway"
    );
    assert_eq!(
        stopped.failure.unwrap().reason.code,
        "export.validation_failed"
    );
    let package = files::order_file(&order.tenant, order.id, files::ARCHIVE_PACKAGE);
    assert!(!r.t.ports.objects.exists(&package).await.unwrap());
}

#[tokio::test]
async fn housekeeping_leaves_a_claimed_step_to_its_holder_until_the_lease_runs_out() {
    let r = rig().await;
    let (order, _) = r.t.signed_order(&r.app, "kommun").await;
    r.queue.take();
    let now = r.t.clock.now();
    crate::repo::OrderRepo::new(r.t.ports.state.clone(), r.t.ports.cipher.clone())
        .update_with(&order.tenant, order.id, |o| {
            Ok::<_, crate::app::AppError>(o.claim_step(
                PipelineStep::Seal,
                "a-worker-that-died",
                now,
                chrono::Duration::minutes(15),
            )?)
        })
        .await
        .unwrap();
    let requeued = || r.app.housekeeping.resume_pending_work(&order.tenant);
    assert_eq!(requeued().await.unwrap(), 0);
    r.t.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(requeued().await.unwrap(), 1);
    let seal = Job::for_step(PipelineStep::Seal, &order.tenant, order.id);
    assert_eq!(r.queue.take(), vec![seal.clone()]);
    r.app.pipeline.run(&seal).await.unwrap();
    assert_eq!(r.order(&order).await.status, OrderStatus::Sealed);
}
