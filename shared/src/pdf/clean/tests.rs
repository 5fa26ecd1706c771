//! The clean copy, judged by others: qpdf finds it sound, pdftotext reads every word but the
//! numbers, and nothing of the upload's signatures, files or history is left in it.

use super::*;
use crate::domain::personnummer_in_text::find_personnummer;
use crate::pdf::test_support::*;
use lopdf::Stream;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
}

fn info() -> CleanInfo {
    CleanInfo {
        title: "Protokoll Socialnämndens individutskott".into(),
        subject: "Socialnämnden".into(),
        date: "D:20261206120000+00'00'".into(),
        confidential: Vec::new(),
        confidential_may_be_gone: false,
        page_after: None,
    }
}

fn cleaned(name: &str, bytes: &[u8]) -> (std::path::PathBuf, CleanOutcome) {
    let dir = temp_dir(name);
    let (input, output) = (dir.join("in.pdf"), dir.join("clean.pdf"));
    std::fs::write(&input, bytes).unwrap();
    let outcome = clean_copy(&input, &output, &info(), today()).unwrap();
    (output, outcome)
}

#[test]
fn a_libreoffice_protocol_keeps_its_words_and_loses_its_numbers() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/redaction");
    for file in [
        "libreoffice.pdf",
        "libreoffice-pdfa2.pdf",
        "ghostscript.pdf",
    ] {
        let original = std::fs::read(dir.join(file)).unwrap();
        let (out, outcome) = cleaned(&format!("clean-{file}"), &original);
        let CleanOutcome::Written { removed, .. } = outcome else {
            panic!("{file}: {outcome:?}");
        };
        let text = sound_without_numbers(&out, &removed, 5, file);
        for kept in ["Familjehem", "2026/1234", "070-123 45 67", "beviljas"] {
            assert!(text.contains(kept), "{file}: {kept}: {text}");
        }
        // Each box says what stood there, in a font the file carries (one number wraps at
        // its hyphen: two boxes).
        assert_eq!(
            text.matches(crate::pdf::redact::LABEL).count(),
            6,
            "{file}: {text}"
        );
        let fonts = pdffonts(&out);
        assert!(
            fonts
                .lines()
                .any(|l| l.contains("DejaVuSans") && l.contains(" yes ")),
            "{file}: {fonts}"
        );
        let bytes = std::fs::read(&out).unwrap();
        assert_eq!(count(&bytes, b"%%EOF"), 1, "{file}: one revision");
        assert_eq!(page_count(&out), page_count_of(&original), "{file}");
    }
}

/// A paragraph under sekretess goes whole, heading, numbers and all, from the content
/// streams; a line names the ground where it began; the paragraphs around it stay.
#[test]
fn a_paragraph_under_sekretess_is_left_out_with_its_ground() {
    use crate::domain::confidential::ConfidentialParagraph;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/redaction");
    let marked = |paragraph: u32| CleanInfo {
        confidential: vec![ConfidentialParagraph {
            paragraph,
            ground: "26 kap. 1 § offentlighets- och sekretesslagen".into(),
        }],
        ..info()
    };
    for file in [
        "libreoffice.pdf",
        "libreoffice-pdfa2.pdf",
        "ghostscript.pdf",
    ] {
        let work = temp_dir(&format!("sekretess-{file}"));
        let out = work.join("clean.pdf");
        let outcome = clean_copy(&dir.join(file), &out, &marked(102), today()).unwrap();
        let CleanOutcome::Written {
            removed,
            paragraphs,
        } = outcome
        else {
            panic!("{file}: {outcome:?}");
        };
        assert_eq!(paragraphs, [102], "{file}");
        // Two of the five numbers stood in § 102: they go with it, not boxed.
        let text = sound_without_numbers(&out, &removed, 3, file);
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for gone in ["Familjehem", "Barnet", "2026/1234", "070-123 45 67"] {
            assert!(!flat.contains(gone), "{file}: {gone}: {text}");
        }
        for kept in [
            "§ 101 Ekonomiskt bistånd",
            "§ 103 Serveringstillstånd",
            "beviljas",
        ] {
            assert!(flat.contains(kept), "{file}: {kept}: {text}");
        }
        assert!(
            flat.contains(
                "§ 102 har tagits bort ur publiceringsversionen: sekretess enligt 26 kap. 1 § \
                 offentlighets- och sekretesslagen."
            ),
            "{file}: {text}"
        );
        // A paragraph marked but not in the text holds the publication.
        let outcome = clean_copy(&dir.join(file), &out, &marked(109), today()).unwrap();
        assert_eq!(
            outcome,
            CleanOutcome::Held {
                page: 0,
                reason: HoldReason::ParagraphNotFound(109)
            },
            "{file}"
        );
        assert!(!out.exists(), "{file}: nothing left behind");
        // In the secretary's own version she may have taken it out herself.
        let own = CleanInfo {
            confidential_may_be_gone: true,
            ..marked(109)
        };
        let outcome = clean_copy(&dir.join(file), &out, &own, today()).unwrap();
        assert!(matches!(outcome, CleanOutcome::Written { .. }), "{file}");
    }
}

/// qpdf finds the copy sound, `numbers` were removed, and pdftotext finds none left: its text.
fn sound_without_numbers(
    out: &std::path::Path,
    removed: &[PageRemoval],
    numbers: usize,
    file: &str,
) -> String {
    assert_eq!(
        removed.iter().map(|r| r.numbers).sum::<usize>(),
        numbers,
        "{file}"
    );
    let (code, report) = qpdf_check(out);
    assert_eq!(code, 0, "{file}: {report}");
    let text = pdftotext(out);
    assert!(
        find_personnummer(&text, today()).is_empty(),
        "{file}: {text}"
    );
    text
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

fn page_count_of(bytes: &[u8]) -> u32 {
    let dir = temp_dir("pages-of");
    let path = dir.join("p.pdf");
    std::fs::write(&path, bytes).unwrap();
    page_count(&path)
}

#[tokio::test]
async fn a_sealed_archive_version_leaves_no_signature_file_or_history_behind() {
    // Sealed at B-LTA: a signature, a document timestamp, a DSS, several revisions.
    let pki = TestPki::new();
    let (revocation, _) = test_revocation(&pki);
    let sealed = seal_at(
        &fixture(FIXTURE_2B),
        &pki.signer,
        crate::domain::SealLevel::BLTA,
        &test_tsa(&pki),
        &revocation,
    )
    .await
    .unwrap();
    assert!(count(&sealed, b"%%EOF") > 1);
    let (out, outcome) = cleaned("clean-sealed", &sealed);
    assert!(
        matches!(outcome, CleanOutcome::Written { .. }),
        "{outcome:?}"
    );
    let bytes = std::fs::read(&out).unwrap();
    for gone in [
        &b"/Sig"[..],
        b"/ByteRange",
        b"/EmbeddedFile",
        b"/AcroForm",
        b"/DSS",
        b"/AF",
        b"/Metadata",
    ] {
        assert_eq!(count(&bytes, gone), 0, "{}", String::from_utf8_lossy(gone));
    }
    assert_eq!(count(&bytes, b"%%EOF"), 1);
    let (code, report) = qpdf_check(&out);
    assert_eq!(code, 0, "{report}");
    let facts = crate::pdf::intake::inspect(&bytes, &Default::default()).unwrap();
    assert_eq!(facts.existing_signatures, 0);
    assert!(pdftotext(&out).contains("Justering"));
}

#[test]
fn a_page_of_only_images_holds_the_copy() {
    let pdf = tiny_pdf("", &[]);
    // The tiny PDF's page drawn as an image only: replace its content by an inline image.
    let mut doc = lopdf::Document::load_mem(&pdf).unwrap();
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let content = doc.add_object(Stream::new(
        Dictionary::new(),
        b"q 100 0 0 100 0 0 cm BI /W 1 /H 1 /CS /G /BPC 8 ID \x80 EI Q".to_vec(),
    ));
    doc.get_dictionary_mut(page)
        .unwrap()
        .set("Contents", Object::Reference(content));
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let (out, outcome) = cleaned("clean-image", &bytes);
    assert_eq!(
        outcome,
        CleanOutcome::Held {
            page: 1,
            reason: HoldReason::OnlyImages
        }
    );
    assert!(!out.exists(), "nothing half-written is left");
}

#[test]
fn a_real_protocol_reads_the_same_after_the_clean_copy() {
    let original = fixture(FIXTURE_2B);
    let (out, outcome) = cleaned("clean-fixture", &original);
    assert_eq!(
        outcome,
        CleanOutcome::Written {
            removed: vec![],
            paragraphs: vec![]
        }
    );
    let dir = temp_dir("clean-fixture-orig");
    let orig_path = dir.join("o.pdf");
    std::fs::write(&orig_path, &original).unwrap();
    assert_eq!(pdftotext(&out), pdftotext(&orig_path));
    assert_eq!(qpdf_check(&out).0, 0);
    let bytes = std::fs::read(&out).unwrap();
    let had_tags = count(&original, b"/StructTreeRoot") > 0;
    assert_eq!(
        count(&bytes, b"/StructTreeRoot") > 0,
        had_tags,
        "tagging kept"
    );
}

/// A one-page PDF at `path` with an image of `image_mb` MB (larger than any structural stream
/// may be) and, when `text` is given, a line of it in Helvetica.
fn with_large_image(path: &std::path::Path, image_mb: usize, text: Option<&str>) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let (w, n) = (4096usize, image_mb * 1024 * 1024);
    let h = n / (w * 3);
    let n = w * h * 3;
    let content = match text {
        Some(t) => format!("q 595 0 0 842 0 0 cm /Im1 Do Q BT /F1 12 Tf 72 800 Td ({t}) Tj ET"),
        None => "q 595 0 0 842 0 0 cm /Im1 Do Q".into(),
    };
    let mut offsets = Vec::new();
    let mut at = 0usize;
    fn put(f: &mut std::io::BufWriter<std::fs::File>, at: &mut usize, bytes: &[u8]) {
        f.write_all(bytes).unwrap();
        *at += bytes.len();
    }
    put(&mut f, &mut at, b"%PDF-1.7\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> /Font << /F1 6 0 R >> >> /Contents 5 0 R >>".to_string(),
    ];
    for (i, body) in objects.iter().enumerate() {
        offsets.push(at);
        put(
            &mut f,
            &mut at,
            format!("{} 0 obj\n{body}\nendobj\n", i + 1).as_bytes(),
        );
    }
    offsets.push(at);
    put(
        &mut f,
        &mut at,
        format!("4 0 obj\n<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Length {n} >>\nstream\n").as_bytes(),
    );
    let chunk: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len());
        put(&mut f, &mut at, &chunk[..k]);
        left -= k;
    }
    put(&mut f, &mut at, b"\nendstream\nendobj\n");
    offsets.push(at);
    put(
        &mut f,
        &mut at,
        format!(
            "5 0 obj\n<< /Length {} >>\nstream\n{content}\nendstream\nendobj\n",
            content.len()
        )
        .as_bytes(),
    );
    offsets.push(at);
    put(
        &mut f,
        &mut at,
        b"6 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>\nendobj\n",
    );
    let xref = at;
    let mut table = String::from("xref\n0 7\n0000000000 65535 f\r\n");
    for o in &offsets {
        table.push_str(&format!("{o:010} 00000 n\r\n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    ));
    put(&mut f, &mut at, table.as_bytes());
    f.flush().unwrap();
}

/// An image larger than any structural stream is copied as it is, file to file: the
/// protocol is published, its number taken out. A page that is only such an image is still
/// seen as one, and holds the publication.
#[test]
fn an_image_of_any_size_is_copied_and_a_page_of_only_one_is_held() {
    let dir = temp_dir("large-image");
    let (input, out) = (dir.join("in.pdf"), dir.join("out.pdf"));
    with_large_image(&input, 70, Some("Sokande 19121212-1212 hordes."));
    let outcome = clean_copy(&input, &out, &info(), today()).unwrap();
    let CleanOutcome::Written { removed, .. } = outcome else {
        panic!("{outcome:?}");
    };
    let text = sound_without_numbers(&out, &removed, 1, "large image");
    assert!(text.contains("hordes"), "{text}");
    assert!(std::fs::metadata(&out).unwrap().len() > 70 * 1000 * 1000);

    with_large_image(&input, 70, None);
    let outcome = clean_copy(&input, &out, &info(), today()).unwrap();
    assert_eq!(
        outcome,
        CleanOutcome::Held {
            page: 1,
            reason: HoldReason::OnlyImages
        }
    );
}
