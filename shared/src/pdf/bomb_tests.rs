//! Decompression bombs (`testdata/make_bombs.py`: 7 KB files whose one stream is
//! `[/FlateDecode /FlateDecode]` of 4 GiB of zeros) through every step that reads a PDF:
//! intake, seal, publication and the verifier. A stream we must read (the XMP) is refused with
//! a clear code once it passes the limit; one we never need (page content) is never inflated.

use crate::error::ErrorText;
use crate::pdf::test_support::*;
use crate::pdf::{inspect, IntakeLimits};

const XMP_BOMB: &[u8] = include_bytes!("testdata/xmp-bomb.pdf");
const CONTENT_BOMB: &[u8] = include_bytes!("testdata/content-bomb.pdf");

#[test]
fn intake_refuses_a_bomb_in_the_metadata() {
    let err = inspect(XMP_BOMB, &IntakeLimits::default()).unwrap_err();
    assert_eq!(err.code(), "pdf.stream_too_large", "{err}");
    assert!(
        err.message_sv().contains("för stor"),
        "{}",
        err.message_sv()
    );
}

/// The seal reads the XMP when it attaches the BankID evidence (to claim PDF/A-3).
#[tokio::test]
async fn the_seal_refuses_a_bomb_in_the_metadata() {
    let pki = TestPki::new();
    let page = sample_page("Justerat");
    let evidence = [crate::pdf::AttachedFile {
        name: "bankid-underskrift-1.json".into(),
        bytes: b"{}",
        mime_type: "application/json".into(),
        description: "BankID-underskrift".into(),
        modified: now(),
    }];
    let request = crate::pdf::SealRequest {
        attachments: &evidence,
        ..b_b_request(&page)
    };
    let err = crate::pdf::seal(XMP_BOMB, request, &pki.signer)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "pdf.stream_too_large", "{err}");
}

#[tokio::test]
async fn page_content_bombs_are_never_inflated() {
    let facts = inspect(CONTENT_BOMB, &IntakeLimits::default()).unwrap();
    assert_eq!(facts.page_count, 1);
    let pki = TestPki::new();
    let sealed = seal_b_b(CONTENT_BOMB, &pki.signer).await;
    let report = crate::pdf::verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert!(report.all_intact(), "{report:?}");
    let page = sample_page("Justerat");
    let published = crate::pdf::publication_version(CONTENT_BOMB, &page).unwrap();
    assert!(published.starts_with(CONTENT_BOMB));
}
