//! Memory does not grow with the document: no pipeline step holds a whole document (the
//! original, the archive or publication version, the package) in memory. Every one goes from
//! file to file through the object store; only small files (evidence, notices) are read whole.

use std::sync::Arc;

use crate::app::test_app::{self, RecordingQueue};
use crate::app::test_objects::{ObjectCall, ObjectWatch};
use crate::domain::OrderStatus;
use crate::ports::PortError;
use crate::repo::files;

/// Refuses to move a document as bytes in memory (what `get` and `put` do); files go by
/// `get_to_file` and `put_file`.
struct FilesOnly;

impl ObjectWatch for FilesOnly {
    fn before(&self, call: ObjectCall, key: &str) -> Result<(), PortError> {
        let document = key.ends_with(".pdf") || key.ends_with(".zip");
        if document && matches!(call, ObjectCall::Get | ObjectCall::Put) {
            return Err(PortError::new(
                "object-store",
                format!("{key} moved whole through memory"),
            ));
        }
        Ok(())
    }
}

#[tokio::test]
async fn seal_publish_and_export_move_documents_file_to_file() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_watching(&queue, FilesOnly);
    let (order, staff) = t.signed_order(&app, "kommun").await;
    for _ in 0..3 {
        let jobs = queue.take();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        app.pipeline.run(&jobs[0]).await.unwrap();
    }
    let done = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(done.status, OrderStatus::Exported, "{:?}", done.failure);
    // What the steps wrote by file is what they would have written by bytes.
    let key = |name| files::order_file(&order.tenant, order.id, name);
    let original = t
        .stored(&files::original(
            &order.tenant,
            &order.current().document_id,
        ))
        .await;
    let publication = t.stored(&key(files::PUBLICATION_VERSION)).await;
    // A clean copy of the original with the page, in one revision (a new file: none of the
    // upload's history).
    assert!(publication.starts_with(b"%PDF-") && !publication.starts_with(&original));
    assert_eq!(publication.windows(5).filter(|w| w == b"%%EOF").count(), 1);
    let public = t
        .stored(&files::public(&order.tenant, &format!("{}.pdf", order.id)))
        .await;
    assert_eq!(public, publication);
    let archive = t.stored(&key(files::ARCHIVE_VERSION)).await;
    let package = t.stored(&key(files::ARCHIVE_PACKAGE)).await;
    crate::archive::verify_sip(&package).unwrap();
    let listed = crate::archive::read_sip_manifest(&package).unwrap();
    let archive_sum = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&archive));
    assert!(
        listed
            .iter()
            .any(|(path, sum)| path.ends_with("data/archive.pdf") && *sum == archive_sum),
        "{listed:?}"
    );
}
