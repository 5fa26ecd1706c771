//! The export follows the tenant's delivery agreement with its e-archive.

use std::io::Read;
use std::sync::Arc;

use crate::app::test_app::{self, RecordingQueue};
use crate::app::test_objects::{ObjectCall, ObjectWatch};
use crate::domain::{
    ArchiveAgreement, ArchiveContact, OrderStatus, PipelineStep, Retention, TenantId,
};
use crate::error::ErrorText;
use crate::ports::PortError;
use crate::repo::files;

fn entry(zip: &[u8], suffix: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let name = archive
        .file_names()
        .find(|n| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"))
        .to_string();
    let mut text = String::new();
    archive
        .by_name(&name)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    text
}

#[tokio::test]
async fn the_package_names_the_archive_the_contact_and_the_plan_of_the_agreement() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, _) = t.signed_order(&app, "kommun").await;
    let tenant = TenantId::parse("kommun").unwrap();
    let bad = ArchiveAgreement {
        contact: Some(ArchiveContact {
            name: "Anna".into(),
            email: "inte en adress".into(),
        }),
        ..Default::default()
    };
    let refused = app
        .tenants
        .set_archive_agreement(&tenant, bad)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "input.invalid_email");
    app.tenants
        .set_archive_agreement(
            &tenant,
            ArchiveAgreement {
                archive_name: Some("  Jämtlands e-arkiv ".into()),
                submission_agreement: Some("LÖ 2025:3".into()),
                contact: Some(ArchiveContact {
                    name: "Anna Arkivarie".into(),
                    email: "anna@kommun.se".into(),
                }),
                retention: Retention::Bevaras {
                    plan_reference: Some("DHP KS 2024, 1.2".into()),
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for _ in 0..3 {
        let jobs = queue.take();
        app.pipeline.run(&jobs[0]).await.unwrap();
    }
    let package = t
        .ports
        .objects
        .get(&files::order_file(
            &order.tenant,
            order.id,
            files::ARCHIVE_PACKAGE,
        ))
        .await
        .unwrap()
        .unwrap();
    let mets = entry(&package, "/METS.xml");
    assert!(
        mets.contains("<mets:name>Jämtlands e-arkiv</mets:name>"),
        "{mets}"
    );
    assert!(mets.contains("mailto:anna@kommun.se"), "{mets}");
    assert!(mets.contains("LÖ 2025:3"), "{mets}");
    let erms = entry(&package, "/metadata/descriptive/erms.xml");
    assert!(
        erms.contains("<disposalScheduleId>DHP KS 2024, 1.2</disposalScheduleId>"),
        "{erms}"
    );
    assert!(
        erms.contains(r#"<agent agentType="other_signatory">"#),
        "{erms}"
    );
    // No personnummer leaves the service, in any metadata.
    for text in [
        &mets,
        &erms,
        &entry(&package, "/metadata/preservation/premis.xml"),
    ] {
        assert!(!text.contains("191212121212") && !text.contains("121212-1212"));
    }
}

/// The package cannot be read back from where it was stored (lost, cut short, unreadable).
struct PackageUnreadable;

impl ObjectWatch for PackageUnreadable {
    fn before(&self, call: ObjectCall, key: &str) -> Result<(), PortError> {
        if call == ObjectCall::GetToFile && key.ends_with(files::ARCHIVE_PACKAGE) {
            return Err(PortError::new(
                "object-store",
                "injected: reading the package back failed",
            ));
        }
        Ok(())
    }
}

#[tokio::test]
async fn an_order_is_exported_only_once_its_package_is_read_back_whole() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_watching(&queue, PackageUnreadable);
    let (order, staff) = t.signed_order(&app, "kommun").await;
    for _ in 0..3 {
        let jobs = queue.take();
        let _ = app.pipeline.run(&jobs[0]).await;
    }
    let after = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(after.status, OrderStatus::Published, "{:?}", after.failure);
    // Once the package reads back whole, the next delivery exports it.
    let healthy = t.app_with(|p| p.queue = queue.clone());
    let export = crate::ports::Job::for_step(PipelineStep::ArchiveExport, &order.tenant, order.id);
    t.clock.advance(chrono::Duration::minutes(20));
    healthy.pipeline.run(&export).await.unwrap();
    let done = healthy
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Exported);
}

#[tokio::test]
async fn esign_export_writes_one_package_made_now_and_refuses_an_order_not_sealed() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, _) = t.signed_order(&app, "kommun").await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("paket.zip");
    let refused = app
        .pipeline
        .export_to_file(&order.tenant, order.id, &out)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "export.not_sealed");
    assert!(!out.exists());
    app.pipeline.run(&queue.take()[0]).await.unwrap();
    app.pipeline
        .export_to_file(&order.tenant, order.id, &out)
        .await
        .unwrap();
    crate::archive::verify_sip_file(&out).unwrap();
    let bytes = std::fs::read(&out).unwrap();
    assert!(entry(&bytes, "/metadata/preservation/premis.xml").contains("event-seal"));
    // The order goes on through the pipeline as before.
    let publish = queue.take();
    assert_eq!(publish.len(), 1);
}
