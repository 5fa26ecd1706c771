//! The fuzz targets, one test each (`fuzz::fuzz`). Corpora: `pdf` (PDF shapes, sealed and
//! signed files, decompression bombs), `bankid` (BankID's signature XML), `events` (Lambda
//! events), `bodies` (API request bodies).

use std::sync::Arc;

use super::fuzz;
use crate::pdf::test_support::{b_b_request, sample_page, TestPki};

#[test]
fn pdf_reader() {
    fuzz("pdf_reader", "pdf", |input| {
        let _ = crate::pdf::update::load_document(input);
        if let Ok(mut doc) =
            crate::pdf::random_access::RandomAccessPdf::open(std::io::Cursor::new(input))
        {
            // Every object the cross-reference names, read on demand (bounded).
            for n in 1..doc.next_free_id().min(2000) {
                let _ = doc.get((n, 0));
            }
        }
    });
}

#[test]
fn intake() {
    let limits = crate::app::Settings::default().intake_limits();
    fuzz("intake", "pdf", |input| {
        let _ = crate::pdf::intake::inspect(input, &limits);
    });
}

#[test]
fn publication() {
    let page = sample_page("Justerat digitalt");
    fuzz("publication", "pdf", |input| {
        let _ = crate::pdf::publication::publication_version(input, &page);
    });
}

#[test]
fn seal() {
    let pki = TestPki::new();
    let page = sample_page("Justerat digitalt – arkivexemplar");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    fuzz("seal", "pdf", |input| {
        let _ = rt.block_on(crate::pdf::sign::seal::seal(
            input,
            b_b_request(&page),
            &pki.signer,
        ));
    });
}

#[test]
fn verifier() {
    let pki = TestPki::new();
    let anchors = vec![pki.root.cert_der.clone()];
    fuzz("verifier", "pdf", |input| {
        let _ = crate::pdf::validate::verify(input, &anchors);
    });
}

#[test]
fn bankid_evidence() {
    use base64::Engine;
    let anchors: Vec<Vec<u8>> = Vec::new();
    let at = chrono::Utc::now();
    fuzz("bankid_evidence", "bankid", |xml| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(xml);
        let _ = crate::bankid::evidence::verify_signature_xml(&b64, &anchors, None, at);
    });
}

#[test]
fn s3_and_sqs_events() {
    fuzz("s3_and_sqs_events", "events", |input| {
        let text = String::from_utf8_lossy(input);
        let _ = crate::lambda::s3::parse_s3_notification(&text);
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(input) {
            let _ = crate::lambda::sqs::is_sqs_batch(&v);
            if let Ok(batch) = serde_json::from_value::<aws_lambda_events::event::sqs::SqsEvent>(v)
            {
                for r in batch.records {
                    if let Some(body) = r.body {
                        let _ = serde_json::from_str::<crate::ports::Job>(&body);
                        let _ = crate::lambda::s3::parse_s3_notification(&body);
                    }
                }
            }
        }
    });
}

/// The API's JSON bodies, sent to the routes that take them, as an API key holder and as a
/// logged-in signer: refused or accepted, never a 500.
#[test]
fn json_bodies() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (t, key, session) = rt.block_on(async {
        let t = crate::app::test_app::start().await;
        let key = t.add_tenant("kommun").await;
        let session = t.log_in("191212121212").await;
        (t, key, session)
    });
    let app = t.app.clone();
    let routes = [
        "/api/orders",
        "/api/staff",
        "/api/documents/uploads",
        "/api/orders/00000000-0000-0000-0000-000000000000/recall",
        "/api/orders/00000000-0000-0000-0000-000000000000/resend",
        "/portal/login",
        "/portal/login/collect",
        "/portal/sign/collect",
        "/portal/cancel",
        "/portal/orders/kommun/00000000-0000-0000-0000-000000000000/reject",
    ];
    let app = Arc::new(app);
    fuzz("json_bodies", "bodies", |body| {
        for path in routes {
            let auth = if path.starts_with("/api/") {
                format!("Bearer {key}")
            } else {
                format!("Bearer {session}")
            };
            let req = http::Request::post(path)
                .header("content-type", "application/json")
                .header("authorization", auth)
                .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                    [192, 0, 2, 1],
                    40000,
                ))))
                .body(axum::body::Body::from(body.to_vec()))
                .unwrap();
            let status = rt.block_on(async {
                use tower::ServiceExt;
                crate::web::router((*app).clone())
                    .oneshot(req)
                    .await
                    .unwrap()
                    .status()
            });
            assert!(
                status.as_u16() < 500,
                "{path}: {status} for {:?}",
                String::from_utf8_lossy(body)
            );
        }
    });
    drop(t);
}

/// Writes the seed corpora that are made, not copied (run once, by hand:
/// `cargo test -p esign-shared --lib write_seed_corpus -- --ignored`).
#[test]
#[ignore]
fn write_seed_corpus() {
    use crate::pdf::test_support::{
        hybrid_xref_update, qpdf_transform, signed_by, tiny_pdf, with_text_field,
    };
    let dir = super::corpus_dir("pdf");
    std::fs::create_dir_all(&dir).unwrap();
    let tiny = tiny_pdf("", &[]);
    let pki = TestPki::new();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let sealed = rt.block_on(crate::pdf::test_support::seal_b_b(&tiny, &pki.signer));
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("tiny.pdf", tiny.clone()),
        (
            "tiny-xref-stream.pdf",
            qpdf_transform(&tiny, &["--object-streams=generate"]),
        ),
        (
            "tiny-linearized.pdf",
            qpdf_transform(&tiny, &["--linearize"]),
        ),
        ("tiny-hybrid-xref.pdf", hybrid_xref_update(&tiny)),
        ("tiny-text-field.pdf", with_text_field(&tiny)),
        (
            "tiny-signed-by-pyhanko.pdf",
            signed_by(&pki, &tiny, "Underskrift1"),
        ),
        ("tiny-sealed-b-b.pdf", sealed),
        (
            "tiny-javascript.pdf",
            tiny_pdf(
                "/OpenAction 7 0 R",
                &["<< /S /JavaScript /JS (app.alert(1)) >>"],
            ),
        ),
    ];
    for (name, bytes) in seeds {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    for bomb in ["xmp-bomb.pdf", "content-bomb.pdf"] {
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("src/pdf/testdata")
                .join(bomb),
            dir.join(bomb),
        )
        .unwrap();
    }
}

/// The page text reader (the redaction's eyes): every page's content through its fonts.
#[test]
fn page_text() {
    fuzz("page_text", "pdf", |input| {
        let Ok(doc) = crate::pdf::update::load_document(input) else {
            return;
        };
        for (_, id) in doc.get_pages().into_iter().take(20) {
            let Ok(page) = doc.get_dictionary(id) else {
                continue;
            };
            let resources = match page.get(b"Resources") {
                Ok(lopdf::Object::Reference(r)) => {
                    doc.get_dictionary(*r).cloned().unwrap_or_default()
                }
                Ok(lopdf::Object::Dictionary(d)) => d.clone(),
                _ => lopdf::Dictionary::new(),
            };
            let mut resolve = |o: &lopdf::Object| match o {
                lopdf::Object::Reference(r) => doc
                    .get_object(*r)
                    .cloned()
                    .map_err(|e| crate::pdf::PdfError::Unreadable(e.to_string())),
                other => Ok(other.clone()),
            };
            // Decoded within the limit the clean copy uses (lopdf's own page content decoder
            // has none: a decompression bomb would stall the fuzzer, not the product).
            let mut content = Vec::new();
            let streams = match page.get(b"Contents") {
                Ok(lopdf::Object::Array(a)) => a.clone(),
                Ok(other) => vec![other.clone()],
                Err(_) => Vec::new(),
            };
            for s in streams {
                if let Ok(lopdf::Object::Stream(stream)) = resolve(&s) {
                    match crate::pdf::decode_stream(&stream, crate::pdf::MAX_DECODED_STRUCTURE) {
                        Ok(bytes) => content.extend(bytes),
                        Err(_) => return,
                    }
                }
            }
            if let Ok(content) = crate::pdf::text::decode_content(&content) {
                let _ = crate::pdf::text::read_page_text(&content, &resources, &mut resolve);
            }
        }
    });
}

/// The clean copy a publication version starts from (every page read, numbers and a
/// paragraph under sekretess taken out).
#[test]
fn clean_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (input, output) = (dir.path().join("in.pdf"), dir.path().join("out.pdf"));
    let info = crate::pdf::clean::CleanInfo {
        title: "Protokoll".into(),
        subject: "Nämnden".into(),
        date: "D:20261206120000+00'00'".into(),
        confidential: vec![crate::domain::confidential::ConfidentialParagraph {
            paragraph: 2,
            ground: "26 kap. 1 § OSL".into(),
        }],
        confidential_may_be_gone: false,
        page_after: None,
    };
    let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
    fuzz("clean_copy", "pdf", |bytes| {
        std::fs::write(&input, bytes).unwrap();
        let _ = crate::pdf::clean::clean_copy(&input, &output, &info, today);
    });
}
