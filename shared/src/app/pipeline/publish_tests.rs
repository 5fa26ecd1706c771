//! The notice follows the tenant's choice of take-down day.

use std::sync::Arc;

use crate::app::test_app::{self, RecordingQueue};
use crate::domain::calendar::TakeDown;
use crate::domain::document::HoldWhy;
use crate::error::ErrorText;
use crate::repo::files;
use lopdf::dictionary;

#[tokio::test]
async fn a_tenant_may_take_notices_down_on_the_appeal_periods_last_day() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let (order, staff) = t.signed_order(&app, "kommun").await;
    app.tenants
        .set_anslag_take_down(&order.tenant, TakeDown::LastDayOfAppeal)
        .await
        .unwrap();
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    let published = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    let dates = published.anslag.unwrap();
    assert_eq!(dates.taken_down, dates.appeal_ends);
    let notice: serde_json::Value = serde_json::from_slice(
        &t.stored(&files::order_file(
            &order.tenant,
            order.id,
            files::NOTICE_JSON,
        ))
        .await,
    )
    .unwrap();
    assert_eq!(
        notice["taken_down"],
        dates.appeal_ends.to_string(),
        "{notice}"
    );
}

/// Omedelbar justering: paragraphs justerade at the meeting itself. The order says so, and the
/// notice, its page and the feed tell the public.
#[tokio::test]
async fn paragraphs_justerade_at_the_meeting_are_announced_as_such() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    let input = t
        .protocol_order(&staff, &[("Åsa", "191212121212", None)])
        .await;
    let order = app
        .orders
        .create_order(
            &staff,
            crate::app::CreateOrderInput {
                immediate: true,
                paragraphs: "§ 7".into(),
                ..input
            },
        )
        .await
        .unwrap();
    assert!(order.meeting.immediate);
    assert_eq!(
        crate::app::views::order_for_staff(&order, [false; 4])["immediate"],
        true
    );
    let (session, started) = t
        .approved_in_bankid(&app, "kommun", &order, "191212121212")
        .await;
    app.portal
        .collect_signing(&session, &started.order_ref)
        .await
        .unwrap();
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    let file = |name: String| {
        let key = files::public(&order.tenant, &name);
        let t = &t;
        async move { String::from_utf8(t.stored(&key).await.to_vec()).unwrap() }
    };
    let notice: serde_json::Value =
        serde_json::from_str(&file(format!("{}.json", order.id)).await).unwrap();
    assert_eq!(notice["immediate"], true, "{notice}");
    let page = file(format!("{}.html", order.id)).await;
    assert!(page.contains("justerades omedelbart"), "{page}");
    let feed: serde_json::Value = serde_json::from_str(&file("feed.json".into()).await).unwrap();
    assert_eq!(feed["items"][0]["_anslag"]["immediate"], true, "{feed}");
}

/// The publication version of a protocol full of personnummer has none, and the secretary
/// reads in the order's history where they were taken out.
#[tokio::test]
async fn personnummer_are_taken_out_of_the_publication_version() {
    let (t, app, order, staff) = sealed_and_published(|input| input).await;
    let published = assert_published_without_numbers(&t, &app, &staff, &order).await;
    // Saved under a name people understand.
    let (saved_as, file) = app
        .orders
        .order_file(&staff, &order.id.to_string(), files::PUBLICATION_VERSION)
        .await
        .unwrap();
    assert_eq!(
        saved_as,
        format!(
            "Protokoll KS {} – publiceringsversion.pdf",
            order.meeting.meeting_date
        )
    );
    assert!(file.read_all().await.unwrap().starts_with(b"%PDF-"));
    let note = published
        .history
        .iter()
        .find(|e| e.kind == "personnummer_removed")
        .and_then(|e| e.detail.clone())
        .expect("the history says what was removed");
    assert!(note.contains("sidan"), "{note}");
}

/// The LibreOffice protocol with five personnummer, its order (`change`d) signed, sealed and
/// published.
async fn sealed_and_published(
    change: impl FnOnce(crate::app::CreateOrderInput) -> crate::app::CreateOrderInput,
) -> (
    test_app::TestApp,
    crate::app::App,
    crate::domain::SigningOrder,
    crate::app::Staff,
) {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let key = t.add_tenant_on(&app, "kommun").await;
    let pdf =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/redaction/libreoffice.pdf");
    let (order, staff) = t
        .signed_order_with(&app, "kommun", &key, &pdf, change)
        .await;
    for _ in 0..2 {
        app.pipeline.run(&queue.take()[0]).await.unwrap();
    }
    (t, app, order, staff)
}

/// The order is published, and its public publication version has no personnummer, the rest
/// of the protocol and the justering page.
async fn assert_published_without_numbers(
    t: &test_app::TestApp,
    app: &crate::app::App,
    staff: &crate::app::Staff,
    order: &crate::domain::SigningOrder,
) -> crate::domain::SigningOrder {
    let published = app
        .orders
        .get_order(staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(published.status, crate::domain::OrderStatus::Published);
    let public = t
        .stored(&files::public(&order.tenant, &format!("{}.pdf", order.id)))
        .await;
    // One revision: the justering page is part of the clean copy, not an update of it.
    let revisions = public.windows(5).filter(|w| *w == b"%%EOF").count();
    assert_eq!(revisions, 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, &public).unwrap();
    let (code, report) = crate::pdf::test_support::qpdf_check(&path);
    assert_eq!(code, 0, "{report}");
    let text = crate::pdf::test_support::pdftotext(&path);
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    assert!(
        crate::domain::personnummer_in_text::find_personnummer(&text, today).is_empty(),
        "{text}"
    );
    assert!(
        text.contains("Familjehem") && text.contains("Justerat digitalt"),
        "{text}"
    );
    published
}

/// A paragraph the secretary marks as under sekretess is left out of what is published, with
/// its ground; the history says so; the archive version keeps it.
#[tokio::test]
async fn a_paragraph_under_sekretess_is_not_published() {
    use crate::domain::confidential::ConfidentialParagraph;
    let ground = "26 kap. 1 § offentlighets- och sekretesslagen";
    let (t, app, order, staff) = sealed_and_published(|input| crate::app::CreateOrderInput {
        confidential: vec![ConfidentialParagraph {
            paragraph: 102,
            ground: ground.into(),
        }],
        ..input
    })
    .await;
    let published = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(published.status, crate::domain::OrderStatus::Published);
    let note = published
        .history
        .iter()
        .find(|e| e.kind == "confidential_removed")
        .and_then(|e| e.detail.clone());
    assert_eq!(
        note.as_deref(),
        Some("Sekretess: § 102 borttagen ur publiceringsversionen.")
    );
    let public = pdftotext_of(
        &t.stored(&files::public(&order.tenant, &format!("{}.pdf", order.id)))
            .await,
    );
    let flat = public.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        !flat.contains("Familjehem") && flat.contains(ground),
        "{public}"
    );
    let archive = pdftotext_of(
        &t.stored(&files::order_file(
            &order.tenant,
            order.id,
            files::ARCHIVE_VERSION,
        ))
        .await,
    );
    assert!(archive.contains("Familjehem"), "the archive keeps it all");
}

/// A page that cannot be checked holds the publication: nothing is published, the order stops
/// with a reason the secretary can act on.
#[tokio::test]
async fn a_protocol_that_cannot_be_checked_is_not_published() {
    let t = test_app::start().await;
    let queue = Arc::new(RecordingQueue::default());
    let app = t.app_with(|p| p.queue = queue.clone());
    let key = t.add_tenant_on(&app, "kommun").await;
    // A symbolic font without a map to Unicode: its text cannot be read.
    let pdf = crate::pdf::hand_made::tiny_pdf("", &[]);
    let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
    let descriptor = doc.add_object(dictionary! { "Type" => "FontDescriptor", "Flags" => 4 });
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "TrueType", "BaseFont" => "Symboler",
        "FontDescriptor" => descriptor,
    });
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let content = doc.add_object(lopdf::Stream::new(
        lopdf::Dictionary::new(),
        b"BT /S1 12 Tf 72 700 Td (191212121212) Tj ET".to_vec(),
    ));
    let page_dict = doc.get_dictionary_mut(page).unwrap();
    page_dict.set("Contents", lopdf::Object::Reference(content));
    page_dict.set(
        "Resources",
        dictionary! { "Font" => dictionary! { "S1" => font } },
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("symboler.pdf");
    doc.save(&path).unwrap();
    let (order, staff) = t.signed_order_on(&app, "kommun", &key, &path).await;
    app.pipeline.run(&queue.take()[0]).await.unwrap(); // seal
    app.pipeline.run(&queue.take()[0]).await.unwrap(); // publish: held
    let stopped = app
        .orders
        .get_order(&staff, &order.id.to_string())
        .await
        .unwrap();
    assert_eq!(stopped.status, crate::domain::OrderStatus::Failed);
    let reason = stopped.failure.unwrap().reason;
    assert_eq!(reason.code, "publication.held");
    assert!(
        reason.message_sv.contains("sidan 1"),
        "{}",
        reason.message_sv
    );
    assert!(!t
        .ports
        .objects
        .exists(&files::public(&order.tenant, &format!("{}.pdf", order.id)))
        .await
        .unwrap());

    // The secretary knew before sending: the upload's check named the page.
    let id = order.current().document_id.to_string();
    let uploaded = app.documents.get_document(&staff, &id).await.unwrap();
    let check = uploaded.publication.expect("checked at intake");
    assert_eq!(
        check.held.map(|h| (h.page, h.why)),
        Some((1, HoldWhy::UnreadableText))
    );
    let preview = app.documents.publication_preview(&staff, &id).await;
    assert!(
        matches!(&preview, Err(e) if e.code() == "publication.held"),
        "{preview:?}"
    );
    // A file the service cannot check either is no publication version.
    let refused = app
        .orders
        .use_publication_version(&staff, &order.id.to_string(), &id)
        .await;
    assert!(
        matches!(&refused, Err(e) if e.code() == "publication_version.held"),
        "{refused:?}"
    );

    // Her own publication version: checked (its numbers taken out too), previewed, published.
    let own =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/redaction/libreoffice.pdf");
    let (own, _) = app
        .documents
        .upload_file(&staff, "publiceringsversion.pdf", &own)
        .await
        .unwrap();
    let check = own.publication.clone().unwrap();
    assert_eq!(
        (
            check.removed.iter().map(|r| r.numbers).sum::<usize>(),
            check.held
        ),
        (5, None)
    );
    let (_, preview) = app
        .documents
        .publication_preview(&staff, &own.id.to_string())
        .await
        .unwrap();
    let preview_text = pdftotext_of(&preview.read_all().await.unwrap());
    assert!(
        preview_text.contains("personnummer borttaget"),
        "{preview_text}"
    );
    assert!(
        !preview_text.contains("Justerat digitalt"),
        "{preview_text}"
    );
    let taken_up = app
        .orders
        .use_publication_version(&staff, &order.id.to_string(), &own.id.to_string())
        .await
        .unwrap();
    assert_eq!(taken_up.status, crate::domain::OrderStatus::Sealed);
    app.pipeline.run(&queue.take()[0]).await.unwrap(); // publish again
    assert_published_without_numbers(&t, &app, &staff, &order).await;
    // The archive version is still the signed protocol.
    let archive = t
        .stored(&files::order_file(
            &order.tenant,
            order.id,
            files::ARCHIVE_VERSION,
        ))
        .await;
    assert!(!pdftotext_of(&archive).contains("Familjehem"));
}

fn pdftotext_of(bytes: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, bytes).unwrap();
    crate::pdf::test_support::pdftotext(&path)
}
