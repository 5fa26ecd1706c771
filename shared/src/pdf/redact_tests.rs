//! Personnummer taken out of pages LibreOffice-like producers and our own writer made: the
//! numbers are gone from the text (ours and pdftotext's), everything else stays where it was,
//! and qpdf finds the file sound.

use lopdf::{Document, Object, Stream};

use super::*;
use crate::pdf::text::tests::{pages, split_number_page, today};

/// The document with its first page's content replaced by `content`.
fn with_content(pdf: &[u8], content: Vec<u8>) -> Vec<u8> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    let id = doc.new_object_id();
    doc.objects.insert(
        id,
        Object::Stream(Stream::new(lopdf::Dictionary::new(), content)),
    );
    doc.get_dictionary_mut(page)
        .unwrap()
        .set("Contents", Object::Reference(id));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn decode(content: &[u8]) -> lopdf::content::Content {
    crate::pdf::text::decode_content(content).unwrap()
}

fn first_page_content(pdf: &[u8]) -> Vec<u8> {
    let doc = Document::load_mem(pdf).unwrap();
    let (_, page) = doc.get_pages().into_iter().next().unwrap();
    doc.get_page_content(page)
}

fn pdftotext(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out =
        std::process::Command::new(esign_world::testkit::tool("ESIGN_PDFTOTEXT", "pdftotext"))
            .args(["-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn qpdf_clean(pdf: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.pdf");
    std::fs::write(&path, pdf).unwrap();
    let out = std::process::Command::new(esign_world::testkit::tool("ESIGN_QPDF", "qpdf"))
        .arg("--check")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Redact the first page of `pdf`: the new file and what was removed.
fn redacted(pdf: &[u8]) -> (Vec<u8>, Removed) {
    let page = &pages(pdf)[0];
    let numbers = personnummer_glyphs(page, today()).unwrap();
    let (content, removed) = remove_glyphs(
        decode(&first_page_content(pdf)),
        page,
        &number_cuts(&numbers),
        None,
    )
    .unwrap()
    .unwrap();
    (with_content(pdf, content), removed)
}

#[test]
fn a_split_and_kerned_number_is_taken_out_and_the_line_stays_in_place() {
    let pdf = split_number_page();
    let before = &pages(&pdf)[0];
    let (out, removed) = redacted(&pdf);
    let after = &pages(&out)[0];
    assert_eq!(removed.boxes.len(), 1);
    assert!(
        find_personnummer(&after.text, today()).is_empty(),
        "{}",
        after.text
    );
    assert!(
        after.text.starts_with("Sökande:") && after.text.ends_with("beviljas."),
        "{}",
        after.text
    );
    assert!(
        !after.text.contains("1912") && !after.text.contains("1212"),
        "{}",
        after.text
    );
    // " beviljas." stands where it stood.
    let tail = |p: &PageText| -> Vec<(f32, f32)> {
        p.glyphs[p.glyphs.len() - 10..]
            .iter()
            .map(|g| g.origin)
            .collect()
    };
    for (a, b) in tail(before).iter().zip(tail(after)) {
        assert!(
            (a.0 - b.0).abs() < 0.01 && (a.1 - b.1).abs() < 0.01,
            "{a:?} {b:?}"
        );
    }
    // The box covers where the number stood.
    let [x, y, w, h] = removed.boxes[0];
    let first = before
        .glyphs
        .iter()
        .find(|g| g.text.as_deref() == Some("1"))
        .unwrap();
    assert!((x - first.origin.0).abs() < 0.01 && y < 700.0 && y + h > 700.0 + 6.0);
    assert!(
        (w - 13.0 * 12.0 * 0.556 + 12.0 * 0.556 - 12.0 * 0.333).abs() < 0.5,
        "{w}"
    );
    let theirs = pdftotext(&out);
    assert!(
        theirs.contains("Sökande:") && theirs.contains("beviljas."),
        "{theirs}"
    );
    assert!(
        find_personnummer(&theirs, today()).is_empty() && !theirs.contains("1212"),
        "{theirs}"
    );
    qpdf_clean(&out);
}

#[test]
fn numbers_on_a_page_our_writer_made_are_taken_out() {
    let mut page = crate::pdf::test_support::sample_page("Beslut om bistånd");
    page.footer = "Sökande 19121212-1212 och samordningsnummer 701063-2391 har hörts.".into();
    let pdf = crate::pdf::new_document::pdfa_document("Test", &page, chrono::Utc::now()).unwrap();
    let (out, removed) = redacted(&pdf);
    assert_eq!(removed.boxes.len(), 2);
    let after = &pages(&out)[0];
    assert!(
        find_personnummer(&after.text, today()).is_empty(),
        "{}",
        after.text
    );
    assert!(after.text.contains("samordningsnummer") && after.text.contains("har hörts."));
    let theirs = pdftotext(&out);
    assert!(theirs.contains("Beslut om bistånd"), "{theirs}");
    assert!(
        !theirs.contains("1212") && !theirs.contains("2391"),
        "{theirs}"
    );
    qpdf_clean(&out);
}

#[test]
fn a_page_that_cannot_be_checked_is_refused_with_its_reason() {
    let mut text = PageText::default();
    text.unmapped = 3;
    assert_eq!(
        personnummer_glyphs(&text, today()),
        Err(Unsafe::UnreadableText)
    );
    text.unmapped = 0;
    text.text_in_forms = true;
    assert_eq!(personnummer_glyphs(&text, today()), Err(Unsafe::TextInForm));
}

/// Every page of `pdf` redacted: the new file and the number of boxes, or why a page cannot be.
fn redact_all(pdf: &[u8]) -> Result<(Vec<u8>, usize), Unsafe> {
    let mut doc = Document::load_mem(pdf).unwrap();
    let texts = pages(pdf);
    let mut boxes = 0;
    for ((_, page_id), page) in doc.get_pages().into_iter().zip(&texts) {
        let numbers = personnummer_glyphs(page, today())?;
        let content = doc.get_page_content(page_id);
        let (content, removed) =
            remove_glyphs(decode(&content), page, &number_cuts(&numbers), None).unwrap()?;
        boxes += removed.numbers;
        assert!(removed.boxes.len() >= removed.numbers);
        let id = doc.add_object(Object::Stream(Stream::new(
            lopdf::Dictionary::new(),
            content,
        )));
        doc.get_dictionary_mut(page_id)
            .unwrap()
            .set("Contents", Object::Reference(id));
    }
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    Ok((out, boxes))
}

/// Protocols other producers made (`shared/testdata/redaction/`): every number taken out of
/// every page, the other words kept, the file sound; or the file refused with its reason.
#[test]
fn protocols_from_libreoffice_and_ghostscript_lose_their_numbers_and_nothing_else() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/redaction");
    for (file, numbers, refused) in [
        ("libreoffice.pdf", 5, None),
        ("libreoffice-pdfa2.pdf", 5, None),
        ("ghostscript.pdf", 5, None),
        ("ghostscript-standard-font.pdf", 2, None),
    ] {
        let pdf = std::fs::read(dir.join(file)).unwrap();
        let before = pdftotext(&pdf);
        assert_eq!(
            find_personnummer(&before, today()).len(),
            numbers,
            "{file}: {before}"
        );
        let ours: usize = pages(&pdf)
            .iter()
            .map(|p| find_personnummer(&p.text, today()).len())
            .sum();
        assert_eq!(ours, numbers, "{file}");
        match (redact_all(&pdf), &refused) {
            (Ok((out, boxes)), None) => {
                assert_eq!(boxes, numbers, "{file}");
                let after = pdftotext(&out);
                assert!(
                    find_personnummer(&after, today()).is_empty(),
                    "{file}: {after}"
                );
                let kept: &[&str] = if file.contains("standard") {
                    &["Sokande", "2026/1234", "070-123 45 67", "har horts"]
                } else {
                    &["Familjehem", "2026/1234", "070-123 45 67", "beviljas"]
                };
                for kept in kept {
                    assert!(after.contains(kept), "{file}: {kept} lost: {after}");
                }
                qpdf_clean(&out);
            }
            (Err(why), Some(expected)) => assert_eq!(&why, expected, "{file}"),
            (other, _) => panic!("{file}: {:?}", other.map(|(_, boxes)| boxes)),
        }
    }
}

#[test]
fn a_number_in_a_font_without_widths_is_refused_not_guessed() {
    // A font that is not a standard one and gives no /Widths: where the rest of the line
    // stands cannot be kept.
    let pdf = split_number_page();
    let mut doc = Document::load_mem(&pdf).unwrap();
    for object in doc.objects.values_mut() {
        if let Object::Dictionary(d) = object {
            if d.get(b"BaseFont").is_ok() {
                d.set("BaseFont", Object::Name(b"Fantasi".to_vec()));
                d.remove(b"Widths");
            }
        }
    }
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    let page = &pages(&bytes)[0];
    let numbers = personnummer_glyphs(page, today()).unwrap();
    assert_eq!(numbers.len(), 1);
    let outcome = remove_glyphs(
        decode(&first_page_content(&bytes)),
        page,
        &number_cuts(&numbers),
        None,
    )
    .unwrap();
    assert_eq!(outcome.err(), Some(Unsafe::UnknownWidths));
}
