//! The page text reader on a protocol LibreOffice made (checked against poppler's pdftotext),
//! on a page whose personnummer is split across operators and kerned, and on a page our own
//! PDF writer made with an embedded Type0 font.

use lopdf::{dictionary, Dictionary, Document, Object, ObjectId, Stream};

use super::*;
use crate::domain::personnummer_in_text::find_personnummer;

pub(crate) fn today() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
}

/// Every page's text, read through lopdf's whole-document loader (tests only).
pub(crate) fn pages(bytes: &[u8]) -> Vec<PageText> {
    let doc = Document::load_mem(bytes).unwrap();
    let mut out = Vec::new();
    for (_, id) in doc.get_pages() {
        out.push(page(&doc, id));
    }
    out
}

fn page(doc: &Document, id: ObjectId) -> PageText {
    let content = doc.get_page_content(id);
    let resources = resources_of(doc, id);
    let mut resolve = |o: &Object| -> Result<Object, PdfError> {
        match o {
            Object::Reference(r) => doc
                .get_object(*r)
                .cloned()
                .map_err(|e| PdfError::Unreadable(e.to_string())),
            other => Ok(other.clone()),
        }
    };
    read_page_text(&decode_content(&content).unwrap(), &resources, &mut resolve).unwrap()
}

/// The page's resources, inherited from the page tree where the page has none.
fn resources_of(doc: &Document, id: ObjectId) -> Dictionary {
    let mut node = doc.get_dictionary(id).unwrap().clone();
    for _ in 0..32 {
        if let Ok(r) = node.get(b"Resources") {
            return match r {
                Object::Reference(r) => doc.get_dictionary(*r).unwrap().clone(),
                Object::Dictionary(d) => d.clone(),
                _ => Dictionary::new(),
            };
        }
        let Ok(parent) = node.get(b"Parent").and_then(Object::as_reference) else {
            break;
        };
        node = doc.get_dictionary(parent).unwrap().clone();
    }
    Dictionary::new()
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_libreoffice_protocol_reads_as_pdftotext_reads_it() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/protocols/e-namnd-2020-03-11.pdfa2b.pdf");
    let bytes = std::fs::read(&path).unwrap();
    let ours = pages(&bytes);
    assert_eq!(ours.len(), 22);
    for (n, page) in ours.iter().enumerate() {
        assert_eq!(page.unmapped, 0, "page {}", n + 1);
        assert!(!page.text_in_forms, "page {}", n + 1);
        let out =
            std::process::Command::new(esign_world::testkit::tool("ESIGN_PDFTOTEXT", "pdftotext"))
                .args([
                    "-f",
                    &(n + 1).to_string(),
                    "-l",
                    &(n + 1).to_string(),
                    "-enc",
                    "UTF-8",
                ])
                .arg(&path)
                .arg("-")
                .output()
                .expect("pdftotext");
        let theirs = words(&String::from_utf8_lossy(&out.stdout));
        // pdftotext joins a word hyphenated at a line's end ("informations-" "och" becomes
        // "informationsoch"): such a join counts as read.
        let list = words(&page.text);
        let mut ours: std::collections::HashSet<String> = list.iter().cloned().collect();
        ours.extend(list.windows(2).map(|w| format!("{}{}", w[0], w[1])));
        let missing: Vec<&String> = theirs.iter().filter(|w| !ours.contains(*w)).collect();
        assert!(
            missing.is_empty(),
            "page {}: words pdftotext reads and we do not: {missing:?}\nours: {}",
            n + 1,
            page.text
        );
        assert!(!theirs.is_empty() || page.text.trim().is_empty());
    }
}

/// "Sökande: 19121212-1212 beviljas." in Helvetica, in four operations, kerned inside the TJ,
/// with the ö as WinAnsi byte 0xF6.
pub(crate) fn split_number_page() -> Vec<u8> {
    helvetica_pdf(
        b"BT /F1 12 Tf 72 700 Td (S\\366kande: 1912) Tj (1212-) Tj [(12) -15 (1) 20 (2)] TJ \
          ( beviljas.) Tj ET",
    )
}

/// A one-page PDF in Helvetica (WinAnsi, with widths) drawing `content`.
pub(crate) fn helvetica_pdf(content: &[u8]) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let mut widths = vec![Object::Integer(500); 224];
    for (c, w) in [(b' ', 278), (b'-', 333)] {
        widths[(c - 32) as usize] = Object::Integer(w);
    }
    for d in b'0'..=b'9' {
        widths[(d - 32) as usize] = Object::Integer(556);
    }
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
        "Encoding" => "WinAnsiEncoding", "FirstChar" => 32, "LastChar" => 255,
        "Widths" => widths,
    });
    let contents = doc.add_object(Stream::new(Dictionary::new(), content.to_vec()));
    let pages = doc.new_object_id();
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages, "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Contents" => contents,
        "Resources" => dictionary! { "Font" => dictionary! { "F1" => font } },
    });
    doc.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_personnummer_split_across_operators_and_kerned_is_found_glyph_by_glyph() {
    let pdf = split_number_page();
    let page = &pages(&pdf)[0];
    assert_eq!(page.unmapped, 0);
    assert_eq!(page.text, "Sökande: 19121212-1212 beviljas.");
    let found = find_personnummer(&page.text, today());
    assert_eq!(found.len(), 1);
    let glyphs: Vec<&Glyph> = page
        .glyphs_in(&found[0])
        .into_iter()
        .map(|g| &page.glyphs[g])
        .collect();
    assert_eq!(glyphs.len(), 13);
    let ops: std::collections::BTreeSet<(usize, usize)> =
        glyphs.iter().map(|g| (g.op, g.part)).collect();
    assert_eq!(ops.len(), 5, "two Tj strings and three TJ strings: {ops:?}");
    // On one line, left to right, each where the one before ended (kerning included).
    for pair in glyphs.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        assert!((a.origin.1 - b.origin.1).abs() < 0.01);
        assert!(b.origin.0 > a.origin.0);
    }
    assert!((glyphs[0].origin.0 - (72.0 + 12.0 * (0.5 * 8.0 + 0.278))).abs() < 0.01);
    assert!((glyphs[0].advance.unwrap() - 12.0 * 0.556).abs() < 0.01);
    assert!((glyphs[0].size - 12.0).abs() < 0.01);
}

#[test]
fn a_page_our_writer_made_reads_through_its_type0_font() {
    let mut page = crate::pdf::test_support::sample_page("Beslut om bistånd");
    page.footer = "Sökande 19121212-1212 och samordningsnummer 701063-2391.".into();
    let pdf = crate::pdf::new_document::pdfa_document("Test", &page, chrono::Utc::now()).unwrap();
    let text = &pages(&pdf)[0];
    assert_eq!(text.unmapped, 0);
    assert!(text.text.contains("Beslut om bistånd"), "{}", text.text);
    let found: Vec<&str> = find_personnummer(&text.text, today())
        .into_iter()
        .map(|r| &text.text[r])
        .collect();
    assert_eq!(found, vec!["19121212-1212", "701063-2391"], "{}", text.text);
}

#[test]
fn text_a_font_cannot_map_is_counted_not_guessed() {
    // A symbolic font without an encoding or a ToUnicode map.
    let mut doc = Document::with_version("1.7");
    let descriptor = doc.add_object(dictionary! { "Type" => "FontDescriptor", "Flags" => 4 });
    let font = dictionary! {
        "Type" => "Font", "Subtype" => "TrueType", "BaseFont" => "Symboler",
        "FontDescriptor" => descriptor,
    };
    let mut resources = Dictionary::new();
    resources.set("Font", dictionary! { "F1" => font });
    let mut resolve = |o: &Object| -> Result<Object, PdfError> {
        match o {
            Object::Reference(r) => Ok(doc.get_object(*r).unwrap().clone()),
            other => Ok(other.clone()),
        }
    };
    let page = read_page_text(
        &decode_content(b"BT /F1 12 Tf (1912121212) Tj ET").unwrap(),
        &resources,
        &mut resolve,
    )
    .unwrap();
    assert_eq!(page.unmapped, 10);
    assert!(page.text.is_empty());
}
