//! The publication version: the original + one incremental update appending the visible
//! "Justerat digitalt" page. No signature, no AcroForm change. Made from file to file: the
//! original is read on demand (a few objects), then copied in chunks, so memory does not grow
//! with the document.

use std::io::{Read, Seek, Write};
use std::path::Path;

use super::font::FontPair;
use super::page::{write_pages, JusteringPage};
use super::random_access::Source;
use super::update::{append_pages_to_root, PreviousRevision, UpdateWriter};
use super::PdfError;

/// The publication version of the PDF at `original`, written to `output`.
pub fn publication_file(
    original: &Path,
    output: &Path,
    page: &JusteringPage,
) -> Result<(), PdfError> {
    let mut source = std::io::BufReader::new(std::fs::File::open(original)?);
    let (update, len) = publication_update(&mut source, page, super::font::registered_fonts())?;
    source.rewind()?;
    let mut out = std::io::BufWriter::new(std::fs::File::create(output)?);
    let copied = std::io::copy(&mut (&mut source).take(len), &mut out)?;
    if copied != len {
        return Err(PdfError::Io("the original ended early".into()));
    }
    out.write_all(&update)?;
    out.into_inner()
        .map_err(|e| PdfError::Io(e.error().to_string()))?
        .sync_all()?;
    Ok(())
}

/// The publication version of `original`, in memory (small documents, tests, fuzzing).
pub fn publication_version(original: &[u8], page: &JusteringPage) -> Result<Vec<u8>, PdfError> {
    publication_version_with_fonts(original, page, super::font::registered_fonts())
}

pub(crate) fn publication_version_with_fonts(
    original: &[u8],
    page: &JusteringPage,
    fonts: Option<&FontPair>,
) -> Result<Vec<u8>, PdfError> {
    let (update, _) = publication_update(std::io::Cursor::new(original), page, fonts)?;
    let mut published = Vec::with_capacity(original.len() + update.len());
    published.extend_from_slice(original);
    published.extend_from_slice(&update);
    Ok(published)
}

/// The incremental update that adds the page, and the length of the original it follows.
fn publication_update(
    source: impl Source,
    page: &JusteringPage,
    fonts: Option<&FontPair>,
) -> Result<(Vec<u8>, u64), PdfError> {
    let prev = PreviousRevision::open(source)?;
    let mut writer = UpdateWriter::after(&prev.revision, 16 * 1024);
    let page_ids = write_pages(&mut writer, prev.pages_root_id, page, None, None, fonts)?;
    append_pages_to_root(&prev, &mut writer, &page_ids)?;
    let (update, _) = writer.finish(&prev.revision)?;
    Ok((update, prev.revision.len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::test_support::*;

    fn check(original: &[u8], name: &str) {
        let dir = temp_dir(name);
        let page = sample_page("Justerat digitalt");
        let published = publication_version(original, &page).expect("publication");
        assert!(published.starts_with(original));
        let path = dir.join("published.pdf");
        std::fs::write(&path, &published).unwrap();
        let orig_path = dir.join("original.pdf");
        std::fs::write(&orig_path, original).unwrap();

        let (code, out) = qpdf_check(&path);
        assert_eq!(code, 0, "qpdf --check: {out}");
        assert!(out.contains("No syntax or stream encoding errors"), "{out}");
        assert_eq!(page_count(&path), page_count(&orig_path) + 1);
        let text = pdftotext(&path);
        assert!(text.contains("Justerat digitalt"), "{text}");
        // WinAnsi-encoded Swedish letters and escaped parentheses come back as written.
        assert!(
            text.contains("Åsa Öberg") && text.contains("Ordförande"),
            "{text}"
        );
        assert!(text.contains("(parentes) \\ backslash"), "{text}");
        let update = &published[original.len()..];
        assert!(
            !update.windows(4).any(|w| w == b"/Sig"),
            "no signature objects"
        );
        assert!(
            !update.windows(9).any(|w| w == b"/AcroForm"),
            "no AcroForm added"
        );
        let facts = crate::pdf::intake::inspect(&published, &Default::default()).unwrap();
        assert_eq!(facts.existing_signatures, 0);
        assert_eq!(
            facts.pdfa_claim,
            crate::pdf::intake::inspect(original, &Default::default())
                .unwrap()
                .pdfa_claim
        );
        let out = run(&tool("ESIGN_PDFSIG", "pdfsig"), &[path.to_str().unwrap()]);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("does not contain any signatures")
                || String::from_utf8_lossy(&out.stderr).contains("does not contain any signatures")
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn publication_versions_are_clean_and_readable() {
        check(&fixture(FIXTURE_2B), "pub-fixture");
        check(&tiny_pdf("", &[]), "pub-tiny");
        check(
            &qpdf_transform(&fixture(FIXTURE_1B), &["--object-streams=generate"]),
            "pub-objstm",
        );
    }

    #[test]
    fn the_file_made_from_file_to_file_is_the_one_made_in_memory() {
        let dir = temp_dir("pub-file");
        let original = fixture(FIXTURE_2B);
        let page = sample_page("Justerat digitalt");
        let (input, output) = (dir.join("original.pdf"), dir.join("publication.pdf"));
        std::fs::write(&input, &original).unwrap();
        publication_file(&input, &output, &page).unwrap();
        assert_eq!(
            std::fs::read(&output).unwrap(),
            publication_version(&original, &page).unwrap()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn many_signers_spill_onto_more_pages() {
        let dir = temp_dir("pub-many");
        let mut page = sample_page("Justerat digitalt");
        page.lines = (0..80)
            .map(|i| crate::pdf::page::SignatureLine {
                name: format!("Ledamot nummer {i} med ett ganska långt namn"),
                role: "Justerare".into(),
                signed_at: "2026-11-23 14:05 (Europe/Stockholm)".into(),
                method: "Mobilt BankID".into(),
            })
            .collect();
        let original = tiny_pdf("", &[]);
        let published = publication_version(&original, &page).unwrap();
        let path = dir.join("p.pdf");
        std::fs::write(&path, &published).unwrap();
        assert!(page_count(&path) >= 4);
        assert_eq!(qpdf_check(&path).0, 0);
        assert!(pdftotext(&path).contains("Ledamot nummer 79"));
        let _ = std::fs::remove_dir_all(dir);
    }
}
