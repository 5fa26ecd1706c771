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
    String::from_utf8(entry_bytes(zip, suffix)).unwrap()
}

/// The file of a zip whose name ends with `suffix`.
pub(super) fn entry_bytes(zip: &[u8], suffix: &str) -> Vec<u8> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).unwrap();
    let name = archive
        .file_names()
        .find(|n| n.ends_with(suffix))
        .unwrap_or_else(|| panic!("no {suffix}"))
        .to_string();
    let mut bytes = Vec::new();
    archive
        .by_name(&name)
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// Run the seal, publish and export jobs queued for `order`; its stored package.
async fn sealed_published_exported(
    t: &test_app::TestApp,
    app: &crate::app::App,
    queue: &RecordingQueue,
    order: &crate::domain::SigningOrder,
) -> bytes::Bytes {
    for _ in 0..3 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    t.stored(&files::order_file(
        &order.tenant,
        order.id,
        files::ARCHIVE_PACKAGE,
    ))
    .await
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
    let package = sealed_published_exported(&t, &app, &queue, &order).await;
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

/// Delivery form b: an archive that refuses embedded signatures gets the document and its
/// signature page without them, and the metadata says a signature existed and was checked.
#[tokio::test]
async fn an_archive_that_refuses_signatures_gets_them_removed_after_the_check() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, _) = t.signed_order(&app, "kommun").await;
    app.tenants
        .set_archive_agreement(
            &order.tenant,
            ArchiveAgreement {
                archive_name: Some("Regionarkivet".into()),
                form: crate::domain::DeliveryForm::SignatureRemoved,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let package = sealed_published_exported(&t, &app, &queue, &order).await;
    crate::archive::verify_sip(&package).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&package[..])).unwrap();
    let name = zip
        .file_names()
        .find(|n| n.ends_with("/representations/rep1/data/archive.pdf"))
        .unwrap()
        .to_string();
    let mut delivered = Vec::new();
    zip.by_name(&name)
        .unwrap()
        .read_to_end(&mut delivered)
        .unwrap();
    let original = t
        .stored(&files::original(
            &order.tenant,
            &order.current().document_id,
        ))
        .await;
    assert!(
        delivered.starts_with(&original),
        "the protocol itself is unchanged"
    );
    let report = crate::pdf::verify(&delivered, &[]).unwrap();
    assert!(report.signatures.is_empty(), "{report:?}");
    let facts = crate::pdf::intake::inspect(&delivered, &Default::default()).unwrap();
    assert_eq!(facts.existing_signatures, 0);
    // The sealed archive version stays with the service, as it was.
    let sealed = t
        .stored(&files::order_file(
            &order.tenant,
            order.id,
            files::ARCHIVE_VERSION,
        ))
        .await;
    assert!(crate::pdf::verify(&sealed, &[]).unwrap().all_intact());
    let erms = entry(&package, "/metadata/descriptive/erms.xml");
    assert!(erms.contains(r#"eSignatureHasExisted="true""#), "{erms}");
    assert!(erms.contains(r#"<eSignature present="false""#), "{erms}");
    assert!(!erms.contains(r#"present="true""#), "{erms}");
    let premis = entry(&package, "/metadata/preservation/premis.xml");
    assert!(
        premis.contains("<eventType>modification</eventType>"),
        "{premis}"
    );
    assert!(premis.contains("event-validation"), "{premis}");
}

/// A tenant whose archive is on FGS 1.2 gets that package, read back and exported like any.
#[tokio::test]
async fn an_archive_on_fgs_1_2_gets_a_sip_xml_package() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, staff) = t.signed_order(&app, "kommun").await;
    app.tenants
        .set_archive_agreement(
            &order.tenant,
            ArchiveAgreement {
                profile: crate::domain::PackageProfile::Fgs12,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let package = sealed_published_exported(&t, &app, &queue, &order).await;
    let done = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Exported);
    let sip = entry(&package, "/sip.xml");
    assert!(
        sip.contains(r#"xlink:href="file:///Content/archive.pdf""#),
        "{sip}"
    );
    assert!(entry(&package, "/Content/metadata/premis.xml").contains("Content/archive.pdf"));
    assert!(entry(&package, "/Content/documentation/om-arkivpaketet.txt").contains("sip.xml"));
}

/// The package is delivered where the e-archive collects it, `exports/<tenant>/`, with a
/// manifest written after it that says what it is and how to check it.
#[tokio::test]
async fn the_package_is_delivered_to_the_export_folder_with_a_manifest() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, _) = t.signed_order(&app, "kommun").await;
    let package = sealed_published_exported(&t, &app, &queue, &order).await;
    let delivered = t
        .stored(&format!("exports/kommun/uuid-{}.zip", order.id))
        .await;
    assert_eq!(delivered, package);
    let manifest: serde_json::Value = serde_json::from_slice(
        &t.stored(&format!("exports/kommun/uuid-{}.json", order.id))
            .await,
    )
    .unwrap();
    assert_eq!(manifest["package_id"], format!("uuid-{}", order.id));
    assert_eq!(manifest["order_id"], order.id.to_string());
    assert_eq!(manifest["file"], format!("uuid-{}.zip", order.id));
    assert_eq!(manifest["size"], delivered.len() as u64);
    assert_eq!(
        manifest["sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&delivered))
    );
    assert_eq!(manifest["profile"], "eark-sip-2.1");
    assert_eq!(manifest["form"], "signed");
    assert_eq!(manifest["validation"], "passed");
}
