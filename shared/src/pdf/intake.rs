//! Intake checks for an uploaded document: a real, readable, unencrypted PDF without
//! JavaScript or launch actions, within size and page limits. Reports facts for the record.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{Document, Object};

use super::update::{decode_text_string, load_document};
use super::PdfError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    pub max_bytes: u64,
    pub max_pages: u32,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_bytes: 500 * 1024 * 1024,
            max_pages: 5000,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PdfFacts {
    pub page_count: u32,
    /// "1B", "2B", "3A"... from the XMP pdfaid schema.
    pub pdfa_claim: Option<String>,
    pub xref_stream: bool,
    pub existing_signatures: u32,
    pub title: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IntakeError {
    #[error("the file is not a PDF")]
    NotPdf,
    #[error("the PDF is truncated (no %%EOF or startxref at the end)")]
    Truncated,
    #[error("the PDF's cross-reference table is broken")]
    BrokenXref,
    #[error("the PDF is encrypted or password protected")]
    Encrypted,
    #[error("the PDF contains JavaScript")]
    JavaScript,
    #[error("the PDF contains a launch action")]
    LaunchAction,
    #[error("the file is larger than the size limit")]
    TooLarge,
    #[error("the PDF has more pages than the limit")]
    TooManyPages,
    #[error("the PDF has no pages")]
    NoPages,
    #[error("the PDF carries a certification signature that forbids adding the signature page")]
    Certified,
    #[error("the PDF could not be read: {0}")]
    Unreadable(String),
}

impl IntakeError {
    pub fn code(&self) -> &'static str {
        match self {
            IntakeError::NotPdf => "pdf.not_pdf",
            IntakeError::Truncated => "pdf.truncated",
            IntakeError::BrokenXref => "pdf.broken_xref",
            IntakeError::Encrypted => "pdf.encrypted",
            IntakeError::JavaScript => "pdf.javascript",
            IntakeError::LaunchAction => "pdf.launch_action",
            IntakeError::TooLarge => "pdf.too_large",
            IntakeError::TooManyPages => "pdf.too_many_pages",
            IntakeError::NoPages => "pdf.no_pages",
            IntakeError::Certified => "pdf.certified",
            IntakeError::Unreadable(_) => "pdf.unreadable",
        }
    }

    pub fn message_sv(&self) -> String {
        match self {
            IntakeError::NotPdf => "Filen är inte en PDF-fil.".into(),
            IntakeError::Truncated => {
                "PDF-filen är ofullständig (slutet saknas). Ladda upp filen igen.".into()
            }
            IntakeError::BrokenXref => {
                "PDF-filens korsreferenstabell är trasig. Spara om filen som PDF/A och försök igen."
                    .into()
            }
            IntakeError::Encrypted => {
                "PDF-filen är krypterad eller lösenordsskyddad. Ta bort skyddet och försök igen."
                    .into()
            }
            IntakeError::JavaScript => {
                "PDF-filen innehåller JavaScript, vilket inte är tillåtet.".into()
            }
            IntakeError::LaunchAction => {
                "PDF-filen innehåller en startåtgärd (Launch), vilket inte är tillåtet.".into()
            }
            IntakeError::TooLarge => "Filen är större än vad som är tillåtet.".into(),
            IntakeError::TooManyPages => "PDF-filen har fler sidor än vad som är tillåtet.".into(),
            IntakeError::NoPages => "PDF-filen har inga sidor.".into(),
            IntakeError::Certified => "PDF-filen har en certifieringssignatur som inte tillåter att underskriftssidan läggs till. Ladda upp en osignerad version.".into(),
            IntakeError::Unreadable(_) => "PDF-filen kunde inte läsas.".into(),
        }
    }

    pub fn message_en(&self) -> String {
        format!("{}.", capitalise(&self.to_string()))
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Bound on nesting when walking objects, against hostile depth.
const MAX_DEPTH: usize = 64;

pub fn inspect(bytes: &[u8], limits: &IntakeLimits) -> Result<PdfFacts, IntakeError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(IntakeError::TooLarge);
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(IntakeError::NotPdf);
    }
    let tail = &bytes[bytes.len().saturating_sub(8192)..];
    if !contains(tail, b"%%EOF") || !contains(tail, b"startxref") {
        return Err(IntakeError::Truncated);
    }
    let doc = match load_document(bytes) {
        Ok(doc) => doc,
        Err(_) if contains(bytes, b"/Encrypt") => return Err(IntakeError::Encrypted),
        Err(PdfError::Unreadable(d)) if d.to_lowercase().contains("xref") => {
            return Err(IntakeError::BrokenXref)
        }
        Err(e) => return Err(IntakeError::Unreadable(e.to_string())),
    };
    if doc.trailer.has(b"Encrypt") || doc.encryption_state.is_some() {
        return Err(IntakeError::Encrypted);
    }
    if doc.xref_recovery.is_some() {
        return Err(IntakeError::BrokenXref);
    }
    match catch_unwind(AssertUnwindSafe(|| facts(&doc, limits))) {
        Ok(result) => result,
        Err(_) => Err(IntakeError::Unreadable("parser failure".into())),
    }
}

fn facts(doc: &Document, limits: &IntakeLimits) -> Result<PdfFacts, IntakeError> {
    for object in doc.objects.values() {
        scan_actions(object, 0)?;
    }
    let catalog = doc
        .catalog()
        .map_err(|_| IntakeError::Unreadable("no catalog".into()))?;
    // The page tree walk is bounded by the page limit.
    let mut page_count: u32 = 0;
    for _ in doc.page_iter() {
        page_count += 1;
        if page_count > limits.max_pages {
            return Err(IntakeError::TooManyPages);
        }
    }
    if page_count == 0 {
        return Err(IntakeError::NoPages);
    }
    if let Ok(perms) = catalog.get(b"Perms") {
        let perms = match perms {
            Object::Reference(id) => doc.get_dictionary(*id).ok(),
            Object::Dictionary(d) => Some(d),
            _ => None,
        };
        if perms.is_some_and(|p| p.has(b"DocMDP")) {
            return Err(IntakeError::Certified);
        }
    }
    let xmp = catalog
        .get(b"Metadata")
        .ok()
        .and_then(|m| m.as_reference().ok())
        .and_then(|id| doc.get_object(id).ok())
        .and_then(|o| o.as_stream().ok())
        .and_then(|s| {
            s.get_plain_content()
                .ok()
                .or_else(|| Some(s.content.clone()))
        });
    let xmp_text = xmp.as_deref().map(String::from_utf8_lossy);
    let pdfa_claim = xmp_text.as_deref().and_then(pdfa_claim_from_xmp);
    let title = info_title(doc).or_else(|| xmp_text.as_deref().and_then(xmp_title));
    let existing_signatures = super::verify::signature_fields(doc).len() as u32;
    Ok(PdfFacts {
        page_count,
        pdfa_claim,
        xref_stream: matches!(
            doc.reference_table.cross_reference_type,
            lopdf::xref::XrefType::CrossReferenceStream
        ),
        existing_signatures,
        title,
    })
}

fn scan_actions(object: &Object, depth: usize) -> Result<(), IntakeError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let dict = match object {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        Object::Array(items) => {
            for item in items {
                scan_actions(item, depth + 1)?;
            }
            return Ok(());
        }
        _ => return Ok(()),
    };
    if let Ok(Object::Name(kind)) = dict.get(b"S") {
        match kind.as_slice() {
            b"JavaScript" => return Err(IntakeError::JavaScript),
            b"Launch" => return Err(IntakeError::LaunchAction),
            _ => {}
        }
    }
    // /JS in an action, or the document-level /Names /JavaScript tree.
    if dict.has(b"JS") || dict.has(b"JavaScript") {
        return Err(IntakeError::JavaScript);
    }
    for (_, value) in dict.iter() {
        scan_actions(value, depth + 1)?;
    }
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// pdfaid:part + pdfaid:conformance, as attributes or elements.
pub(crate) fn pdfa_claim_from_xmp(xmp: &str) -> Option<String> {
    let part = xmp_value(xmp, "pdfaid:part")?;
    let conformance = xmp_value(xmp, "pdfaid:conformance").unwrap_or_default();
    if part.is_empty() || part.len() > 2 || !part.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("{part}{}", conformance.to_ascii_uppercase()))
}

fn xmp_value(xmp: &str, name: &str) -> Option<String> {
    // Attribute form: pdfaid:part="2"
    let attr = format!("{name}=");
    if let Some(pos) = xmp.find(&attr) {
        let rest = &xmp[pos + attr.len()..];
        let quote = rest.chars().next()?;
        if quote == '"' || quote == '\'' {
            let value = &rest[1..];
            let end = value.find(quote)?;
            return Some(value[..end].trim().to_string());
        }
    }
    // Element form: <pdfaid:part>2</pdfaid:part>
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = xmp.find(&open)? + open.len();
    let end = xmp[start..].find(&close)? + start;
    Some(xmp[start..end].trim().to_string())
}

fn xmp_title(xmp: &str) -> Option<String> {
    let start = xmp.find("<dc:title")?;
    let block_end = xmp[start..].find("</dc:title>")? + start;
    let block = &xmp[start..block_end];
    let li = block.find("<rdf:li")?;
    let text_start = block[li..].find('>')? + li + 1;
    let text_end = block[text_start..].find("</rdf:li>")? + text_start;
    let title = unescape_xml(block[text_start..text_end].trim());
    (!title.is_empty()).then_some(title)
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

fn info_title(doc: &Document) -> Option<String> {
    let info = match doc.trailer.get(b"Info").ok()? {
        Object::Reference(id) => doc.get_dictionary(*id).ok()?,
        Object::Dictionary(d) => d,
        _ => return None,
    };
    let raw = match info.get(b"Title").ok()? {
        Object::String(bytes, _) => bytes.clone(),
        Object::Reference(id) => match doc.get_object(*id).ok()? {
            Object::String(bytes, _) => bytes.clone(),
            _ => return None,
        },
        _ => return None,
    };
    let title = decode_text_string(&raw).trim().to_string();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::test_support::*;

    fn code(bytes: &[u8]) -> &'static str {
        match inspect(bytes, &IntakeLimits::default()) {
            Ok(_) => "ok",
            Err(e) => e.code(),
        }
    }

    #[test]
    fn fixtures_pass_with_their_pdfa_claim() {
        // The "pdfa1b" file's XMP actually says part 1, conformance A (it is tagged).
        let facts = inspect(&fixture(FIXTURE_1B), &IntakeLimits::default()).unwrap();
        assert_eq!(facts.pdfa_claim.as_deref(), Some("1A"));
        assert_eq!(facts.page_count, 22);
        assert!(!facts.xref_stream);
        assert_eq!(facts.existing_signatures, 0);
        let facts = inspect(&fixture(FIXTURE_2B), &IntakeLimits::default()).unwrap();
        assert_eq!(facts.pdfa_claim.as_deref(), Some("2B"));
        assert_eq!(facts.page_count, 22);
    }

    #[test]
    fn hand_made_pdf_and_its_xref_stream_variant_pass() {
        let tiny = tiny_pdf("", &[]);
        let facts = inspect(&tiny, &IntakeLimits::default()).unwrap();
        assert_eq!(facts.page_count, 1);
        assert_eq!(facts.title.as_deref(), Some("Testprotokoll"));
        assert_eq!(facts.pdfa_claim, None);
        assert!(!facts.xref_stream);
        let streams = qpdf_transform(&fixture(FIXTURE_2B), &["--object-streams=generate"]);
        let facts = inspect(&streams, &IntakeLimits::default()).unwrap();
        assert!(facts.xref_stream);
        assert_eq!(facts.page_count, 22);
        assert_eq!(facts.pdfa_claim.as_deref(), Some("2B"));
    }

    #[test]
    fn refusals_have_the_right_codes() {
        assert_eq!(code(b"hello, this is not a PDF"), "pdf.not_pdf");
        assert_eq!(code(b""), "pdf.not_pdf");
        let fixture = fixture(FIXTURE_2B);
        assert_eq!(code(&fixture[..fixture.len() / 2]), "pdf.truncated");
        // Encrypted with qpdf.
        let encrypted = qpdf_transform(&fixture, &["--encrypt", "user", "owner", "256", "--"]);
        assert_eq!(code(&encrypted), "pdf.encrypted");
        let encrypted_rc4 = qpdf_transform(
            &tiny_pdf("", &[]),
            &["--allow-weak-crypto", "--encrypt", "", "owner", "128", "--"],
        );
        assert_eq!(code(&encrypted_rc4), "pdf.encrypted");
        // JavaScript as OpenAction, and Launch.
        let js = tiny_pdf(
            "/OpenAction 7 0 R",
            &["<< /S /JavaScript /JS (app.alert\\('x'\\)) >>"],
        );
        assert_eq!(code(&js), "pdf.javascript");
        let js_names = tiny_pdf(
            "/Names << /JavaScript 7 0 R >>",
            &["<< /Names [(a) 8 0 R] >>", "<< /S /JavaScript /JS (1) >>"],
        );
        assert_eq!(code(&js_names), "pdf.javascript");
        let launch = tiny_pdf("/OpenAction 7 0 R", &["<< /S /Launch /F (calc.exe) >>"]);
        assert_eq!(code(&launch), "pdf.launch_action");
        // JavaScript hidden in an object stream is still found.
        let js_in_objstm = qpdf_transform(&js, &["--object-streams=generate"]);
        assert_eq!(code(&js_in_objstm), "pdf.javascript");
        // Broken xref: offsets shifted by inserting bytes before the objects.
        let tiny = tiny_pdf("", &[]);
        let mut broken = tiny.clone();
        let at = broken.windows(7).position(|w| w == b"1 0 obj").unwrap();
        broken.splice(at..at, b"GARBAGE GARBAGE\n".iter().copied());
        assert_eq!(code(&broken), "pdf.broken_xref");
        // startxref pointing nowhere.
        let mut bad_start = tiny.clone();
        let pos = bad_start
            .windows(9)
            .rposition(|w| w == b"startxref")
            .unwrap();
        bad_start.truncate(pos);
        bad_start.extend_from_slice(b"startxref\n99999\n%%EOF\n");
        assert_eq!(code(&bad_start), "pdf.broken_xref");
        // No pages.
        let no_pages = String::from_utf8_lossy(&tiny)
            .replace("/Kids [3 0 R] /Count 1", "/Kids [] /Count 0")
            .into_bytes();
        let no_pages = qpdf_transform(&no_pages, &[]);
        assert_eq!(code(&no_pages), "pdf.no_pages");
        // Limits.
        let small = IntakeLimits {
            max_bytes: 100,
            max_pages: 5000,
        };
        assert_eq!(inspect(&tiny, &small).unwrap_err().code(), "pdf.too_large");
        let few = IntakeLimits {
            max_bytes: u64::MAX,
            max_pages: 10,
        };
        assert_eq!(
            inspect(&fixture, &few).unwrap_err().code(),
            "pdf.too_many_pages"
        );
    }

    #[test]
    fn messages_exist_in_both_languages() {
        let e = IntakeError::Encrypted;
        assert!(e.message_sv().contains("krypterad"));
        assert!(e.message_en().starts_with("The PDF is encrypted"));
    }

    #[test]
    fn mangled_inputs_never_panic() {
        let base = fixture(FIXTURE_1B);
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for round in 0..40 {
            let mut bytes = base.clone();
            for _ in 0..(1 + round % 20) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let pos = (state as usize) % bytes.len();
                bytes[pos] = (state >> 32) as u8;
            }
            let _ = inspect(&bytes, &IntakeLimits::default());
            let _ = crate::pdf::verify::verify(&bytes, &[]);
        }
        let tiny = tiny_pdf("", &[]);
        for cut in (0..tiny.len()).step_by(7) {
            let _ = inspect(&tiny[..cut], &IntakeLimits::default());
        }
    }
}
