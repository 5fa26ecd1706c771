//! The renewal schedule: housekeeping's round finds exactly the kept archive versions whose
//! proof is due, and each is renewed once, also when an attempt fails or dies at any port
//! call (before or after it takes effect) and the round runs again.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use crate::app::test_app::{self, RecordingQueue, TestApp};
use crate::app::{App, Ports, Renewal};
use crate::domain::{OrderId, SealLevel, SigningOrder, TenantId};
use crate::pdf::sign::extend::current_proof;
use crate::pdf::test_support::{TestResponder, TestTsa};
use crate::port_tests::faults::{faulty_ports, Fault, Faults};
use crate::ports::{Clock, Job, JobHandler};
use crate::repo::files;

const TENANT: &str = "renewals";

fn authority(t: &TestApp, name: &str, from: DateTime<Utc>, years: u64) -> TestTsa {
    let subject = esign_world::pki::SubjectName {
        common_name: name.into(),
        organization: "Test".into(),
        organization_identifier: None,
        country: "SE".into(),
    };
    TestTsa(
        esign_world::tsa::LocalTsa::generate_for_years(&t.root, &[], &subject, from, years)
            .unwrap(),
    )
}

/// The app with a timestamp authority, the world's responder for the test root, and jobs
/// recorded instead of run.
fn app_with_authority(t: &TestApp, tsa: TestTsa, queue: &Arc<RecordingQueue>) -> App {
    App::new(
        ports_with_authority(t, tsa, queue),
        crate::app::Settings::default(),
    )
}

fn ports_with_authority(t: &TestApp, tsa: TestTsa, queue: &Arc<RecordingQueue>) -> Ports {
    let service = esign_world::revocation::RevocationService::new(Arc::new(
        esign_world::revocation::MemoryRevocations::default(),
    ))
    .with_authority("root", t.root.clone())
    .unwrap();
    let mut p = t.ports.clone();
    p.timestamp = Some(Arc::new(tsa));
    p.revocation = Some(Arc::new(crate::revocation::InProcessRevocation(
        TestResponder(service),
    )));
    p.queue = queue.clone();
    p
}

/// `n` orders signed and sealed at B-LTA by `app`.
async fn sealed_orders(
    t: &TestApp,
    app: &App,
    key: &str,
    queue: &RecordingQueue,
    n: usize,
) -> Vec<OrderId> {
    let mut ids = Vec::new();
    for _ in 0..n {
        let (order, _) = t.signed_order_of(app, TENANT, key).await;
        ids.push(order.id);
    }
    // Only the seal: publishing and export play no part in renewal.
    for job in queue.take() {
        if matches!(job, Job::Seal { .. }) {
            app.pipeline.handle(&job).await.unwrap();
        }
    }
    ids
}

async fn order(t: &TestApp, id: OrderId) -> SigningOrder {
    t.app
        .pipeline
        .load(&TenantId::parse(TENANT).unwrap(), id)
        .await
        .unwrap()
}

/// The stored archive version's document timestamps and proof end.
async fn stored_proof(t: &TestApp, id: OrderId) -> (usize, Option<DateTime<Utc>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.pdf");
    let key = files::order_file(
        &TenantId::parse(TENANT).unwrap(),
        id,
        files::ARCHIVE_VERSION,
    );
    assert!(t.ports.objects.get_to_file(&key, &path).await.unwrap());
    let p = current_proof(&path).unwrap();
    (p.document_timestamps, p.until)
}

fn renew_jobs(jobs: Vec<Job>) -> Vec<String> {
    let mut ids: Vec<String> = jobs
        .into_iter()
        .filter_map(|j| match j {
            Job::Renew { order_id, .. } => Some(order_id),
            _ => None,
        })
        .collect();
    ids.sort();
    ids
}

/// A world whose tenant seals at B-LTA with an authority whose certificate runs 3 years
/// (`short`): the world, the tenant's API key, the queue its jobs go to.
struct World {
    start: DateTime<Utc>,
    t: TestApp,
    tenant: TenantId,
    queue: Arc<RecordingQueue>,
    short: App,
    key: String,
}

async fn world() -> World {
    let start = Utc::now();
    let t = test_app::start_at(start).await;
    let queue = Arc::new(RecordingQueue::default());
    let short = app_with_authority(&t, authority(&t, "TSA 3 år", start, 3), &queue);
    let key = t.add_tenant_on(&short, TENANT).await;
    World {
        start,
        t,
        tenant: TenantId::parse(TENANT).unwrap(),
        queue,
        short,
        key,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_renews_exactly_the_due_archive_versions_once_each_whatever_fails() {
    let World {
        start,
        t,
        tenant,
        queue,
        short,
        key,
    } = world().await;
    assert_eq!(
        t.app.tenants.tenant(&tenant).await.unwrap().seal_level,
        SealLevel::BLTA
    );
    t.app.tenants.set_renewal_window(&tenant, 12).await.unwrap();
    let long = app_with_authority(&t, authority(&t, "TSA 10 år", start, 10), &queue);
    let kept = sealed_orders(&t, &long, &key, &queue, 1).await[0];

    // A clean renewal, counted: how many port calls it makes.
    let probe = sealed_orders(&t, &short, &key, &queue, 1).await[0];
    let proof_at_seal = order(&t, probe).await.archive_proof.unwrap().until;
    assert_eq!(stored_proof(&t, probe).await, (1, Some(proof_at_seal)));
    assert!(proof_at_seal < start + Duration::days(3 * 366));

    // Two years on, the 3-year authority's proofs are due (within 12 months of their end);
    // the authority has rotated, so renewals use a new certificate. (Its certificate starts
    // today: the revocation source checks chains on the real clock, not the test's.)
    let plans: Vec<(u64, Fault)> = {
        let calls = 12; // more than a renewal makes (asserted below)
        (1..=calls)
            .flat_map(|n| Fault::ALL.map(|f| (n, f)))
            .collect()
    };
    let due = sealed_orders(&t, &short, &key, &queue, plans.len()).await;
    t.clock.advance(Duration::days(2 * 365 + 1));
    let renewed_at = t.clock.now();
    let renewing_ports = ports_with_authority(&t, authority(&t, "TSA förnyad", start, 12), &queue);
    let renewing = App::new(renewing_ports.clone(), crate::app::Settings::default());

    // An authority that has not rotated gives nothing: refused, and nothing is stored.
    let same = App::new(
        ports_with_authority(&t, authority(&t, "TSA 3 år igen", start, 3), &queue),
        crate::app::Settings::default(),
    );
    let refused = same.pipeline.renew(&tenant, probe).await.unwrap_err();
    assert_eq!(
        crate::error::ErrorText::code(&refused),
        "renewal.no_later_proof"
    );
    assert_eq!(stored_proof(&t, probe).await.0, 1);
    assert!(
        order(&t, probe)
            .await
            .archive_proof
            .unwrap()
            .claim
            .unwrap()
            .until
            <= t.clock.now()
    );

    let faults = Faults::never();
    let counted = App::new(
        faulty_ports(&renewing_ports, &faults),
        crate::app::Settings::default(),
    );
    assert_eq!(
        counted.pipeline.renew(&tenant, probe).await.unwrap(),
        Renewal::Renewed
    );
    let calls = faults.calls();
    assert!(calls < 12, "a renewal makes {calls} port calls");

    // Each due order gets one fault plan: a failure or a death at call n.
    let mut hit = Vec::new();
    for ((n, fault), id) in plans.iter().zip(&due) {
        let faults = Faults::at(*n, *fault);
        let app = App::new(
            faulty_ports(&renewing_ports, &faults),
            crate::app::Settings::default(),
        );
        let _ = app.pipeline.renew(&tenant, *id).await;
        if let Some(call) = faults.hit() {
            hit.push(format!("{fault:?} {call}"));
        }
    }
    assert_eq!(
        hit.len() as u64,
        calls * 4,
        "every call of a renewal was hit: {hit:#?}"
    );
    for call in [
        "objects.put_file_new_version",
        "objects.get_to_file",
        "state.transact",
    ] {
        assert!(hit.iter().any(|h| h.contains(call)), "{call}: {hit:#?}");
    }
    // Past every lease a dead attempt left, the schedule runs: the first round of the day.
    t.clock.advance(Duration::minutes(16));
    queue.take();
    let report = renewing.housekeeping.run().await.unwrap();
    let queued = renew_jobs(queue.take());
    let mut expected: Vec<String> = due.iter().map(|id| id.to_string()).collect();
    expected.sort();
    // Due: every faulted order whose renewal did not get recorded; never the probe (renewed),
    // never the one sealed by the 10-year authority.
    assert!(queued.iter().all(|id| expected.contains(id)), "{queued:?}");
    assert!(
        queued.len() >= 2 * calls as usize,
        "the faults left work: {queued:?}"
    );
    assert_eq!(report.renewals, queued.len());
    for id in &queued {
        renewing
            .pipeline
            .handle(&Job::Renew {
                tenant: TENANT.into(),
                order_id: id.clone(),
            })
            .await
            .unwrap();
    }
    // A second round the same day queues nothing; the next day, nothing is due any more.
    renewing.housekeeping.run().await.unwrap();
    assert!(renew_jobs(queue.take()).is_empty());
    t.clock.advance(Duration::days(1));
    assert_eq!(
        renewing
            .housekeeping
            .queue_due_renewals(&tenant)
            .await
            .unwrap(),
        0
    );

    let versions_dir = t._dir.path().join("objects");
    for id in due.iter().chain([&probe]) {
        let o = order(&t, *id).await;
        let proof = o.archive_proof.clone().unwrap();
        let (timestamps, until) = stored_proof(&t, *id).await;
        assert_eq!(timestamps, 2, "order {id}: renewed exactly once");
        assert_eq!(
            Some(proof.until),
            until,
            "order {id}: the order knows the file's proof"
        );
        assert_eq!(proof.renewed.len(), 1, "order {id}");
        assert!(proof.claim.is_none(), "order {id}");
        assert_eq!(
            o.history
                .iter()
                .filter(|e| e.kind == "archive_renewed")
                .count(),
            1,
            "order {id}"
        );
        assert!(proof.until > renewed_at + Duration::days(9 * 365));
        // The sealed file stays as the earlier version, a byte-exact prefix of the renewed.
        let key = files::order_file(&tenant, *id, files::ARCHIVE_VERSION);
        let earlier = t._dir.path().join("earlier.pdf");
        assert!(t
            .ports
            .objects
            .get_version_to_file(&key, "1", &earlier)
            .await
            .unwrap());
        let now = t.stored(&key).await;
        let before = std::fs::read(&earlier).unwrap();
        assert!(now.starts_with(&before) && now.len() > before.len());
    }
    assert!(versions_dir.exists());
    // Not due: untouched.
    let o = order(&t, kept).await;
    assert!(o.archive_proof.unwrap().renewed.is_empty());
    assert_eq!(stored_proof(&t, kept).await.0, 1);
}

/// Run every job queued, and those they queue, until none is left.
async fn run_all(app: &App, queue: &RecordingQueue) {
    for _ in 0..10 {
        let jobs = queue.take();
        if jobs.is_empty() {
            return;
        }
        for job in jobs {
            app.pipeline.handle(&job).await.unwrap();
        }
    }
    panic!("jobs keep coming");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_order_is_delivered_again_after_a_renewal_replacing_its_package() {
    let World {
        start,
        t,
        tenant,
        queue,
        short,
        key,
    } = world().await;
    let (signed, _) = t.signed_order_of(&short, TENANT, &key).await;
    run_all(&short, &queue).await;
    let exported = order(&t, signed.id).await;
    assert_eq!(exported.status, crate::domain::OrderStatus::Exported);
    let first_id = format!("uuid-{}", signed.id);
    let first_zip = t.stored(&files::export_package(&tenant, &first_id)).await;

    t.clock.advance(Duration::days(2 * 365 + 1));
    let renewing = app_with_authority(&t, authority(&t, "TSA förnyad", start, 12), &queue);
    assert_eq!(
        renewing.pipeline.renew(&tenant, signed.id).await.unwrap(),
        Renewal::Renewed
    );
    let jobs = queue.take();
    assert!(
        matches!(jobs.as_slice(), [Job::ArchiveExport { .. }]),
        "the package is due again: {jobs:?}"
    );
    // Were that job lost, housekeeping queues it again: the order is active work meanwhile.
    renewing.housekeeping.run().await.unwrap();
    let requeued: Vec<Job> = queue
        .take()
        .into_iter()
        .filter(|j| matches!(j, Job::ArchiveExport { .. }))
        .collect();
    assert_eq!(requeued, jobs);
    renewing.pipeline.handle(&jobs[0]).await.unwrap();
    // A duplicate delivery of the job, or of the renewal, changes nothing.
    renewing.pipeline.handle(&jobs[0]).await.unwrap();
    assert_eq!(
        renewing.pipeline.renew(&tenant, signed.id).await.unwrap(),
        Renewal::NothingToDo
    );
    assert!(queue.take().is_empty());
    renewing
        .housekeeping
        .resume_pending_work(&tenant)
        .await
        .unwrap();
    assert!(queue.take().is_empty(), "delivered: no longer active work");

    let again = order(&t, signed.id).await;
    let proof = again.archive_proof.clone().unwrap();
    assert_eq!((proof.renewed.len(), proof.exported_renewals), (1, 1));
    assert_eq!(
        again
            .history
            .iter()
            .filter(|e| e.kind == "archive_reexported")
            .count(),
        1
    );
    let manifests: Vec<String> = t
        .ports
        .objects
        .list(&format!("exports/{tenant}/"))
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.ends_with(".json"))
        .collect();
    assert_eq!(manifests.len(), 2, "{manifests:?}");
    let second_manifest = manifests.iter().find(|k| !k.contains(&first_id)).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&t.stored(second_manifest).await).unwrap();
    assert_eq!(manifest["replaces"], first_id.as_str());
    assert_eq!(manifest["renewals"], 1);
    let second_id = manifest["package_id"].as_str().unwrap().to_string();
    let second_zip = t.stored(&files::export_package(&tenant, &second_id)).await;

    // The earlier package stays; the new one carries the renewed file and tells of it.
    assert_eq!(
        t.stored(&files::export_package(&tenant, &first_id)).await,
        first_zip
    );
    let mets =
        String::from_utf8(super::export_tests::entry_bytes(&second_zip, "METS.xml")).unwrap();
    assert!(mets.contains(r#"RECORDSTATUS="REPLACEMENT""#));
    let premis =
        String::from_utf8(super::export_tests::entry_bytes(&second_zip, "premis.xml")).unwrap();
    assert!(premis.contains("event-renewal-1"), "{premis}");
    assert!(
        !String::from_utf8(super::export_tests::entry_bytes(&first_zip, "premis.xml"))
            .unwrap()
            .contains("event-renewal-1")
    );
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive.pdf");
    std::fs::write(
        &archive,
        super::export_tests::entry_bytes(&second_zip, crate::archive::ARCHIVE_PATH),
    )
    .unwrap();
    assert_eq!(current_proof(&archive).unwrap().document_timestamps, 2);
    let package = dir.path().join("sip.zip");
    std::fs::write(&package, &second_zip).unwrap();
    let default = format!("{}/../scripts/eark-validate", env!("CARGO_MANIFEST_DIR"));
    let out = esign_world::testkit::run(
        &esign_world::testkit::tool("ESIGN_EARK_VALIDATE", &default),
        &[package.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
