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
    #[error("a stream in the PDF decodes to more than {limit} bytes")]
    StreamTooLarge { limit: usize },
}

impl crate::error::ErrorText for IntakeError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
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
                IntakeError::StreamTooLarge { .. } => "pdf.stream_too_large",
            }
        })
    }

    fn message_sv(&self) -> String {
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
            IntakeError::StreamTooLarge { .. } => super::STREAM_TOO_LARGE_SV.into(),
        }
    }

    fn message_en(&self) -> String {
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

/// Bound on nesting when walking objects. lopdf parses at most 100 levels, so a deeper
/// object is never legitimately reached; more is refused rather than left unscanned.
const MAX_DEPTH: usize = 128;

pub fn inspect(bytes: &[u8], limits: &IntakeLimits) -> Result<PdfFacts, IntakeError> {
    if bytes.len() as u64 > limits.max_bytes {
        return Err(IntakeError::TooLarge);
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(IntakeError::NotPdf);
    }
    // A file with no indirect object at all is something else behind a PDF header.
    if !contains(bytes, b"endobj") {
        return Err(IntakeError::NotPdf);
    }
    let tail = &bytes[bytes.len().saturating_sub(8192)..];
    let Some(eof) = tail.windows(5).rposition(|w| w == b"%%EOF") else {
        return Err(IntakeError::Truncated);
    };
    if !contains(&tail[..eof], b"startxref") {
        return Err(IntakeError::Truncated);
    }
    // PDF structure after the last %%EOF is an incremental update that was cut off (a reader
    // would silently show the older revision). Stray padding bytes are tolerated.
    let after = &tail[eof + 5..];
    if [&b"obj"[..], b"xref", b"trailer", b"stream"]
        .iter()
        .any(|k| contains(after, k))
    {
        return Err(IntakeError::Truncated);
    }
    let doc = match load_document(bytes) {
        Ok(doc) => doc,
        Err(_) if contains(bytes, b"/Encrypt") => return Err(IntakeError::Encrypted),
        Err(PdfError::Unreadable(d)) if d.to_lowercase().contains("xref") => {
            return Err(IntakeError::BrokenXref)
        }
        Err(PdfError::StreamTooLarge { limit }) => {
            return Err(IntakeError::StreamTooLarge { limit })
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
    if let Some(id) = damaged_object_in_use(doc) {
        return Err(IntakeError::Unreadable(format!(
            "object {} {} could not be read",
            id.0, id.1
        )));
    }
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
        .map(
            |s| match super::decode_stream(s, super::MAX_DECODED_METADATA) {
                Ok(xmp) => Ok(xmp),
                Err(PdfError::StreamTooLarge { limit }) => {
                    Err(IntakeError::StreamTooLarge { limit })
                }
                // A filter we cannot apply: read what is there, as viewers do.
                Err(_) => Ok(s.content.clone()),
            },
        )
        .transpose()?;
    let xmp_text = xmp.as_deref().map(String::from_utf8_lossy);
    let pdfa_claim = xmp_text.as_deref().and_then(pdfa_claim_from_xmp);
    let title = info_title(doc).or_else(|| xmp_text.as_deref().and_then(xmp_title));
    let existing_signatures = super::fields::signature_fields(doc).len() as u32;
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

/// A referenced object that the xref lists but lopdf could not parse (it drops such objects).
/// What it held went unscanned, and a more lenient viewer may still read it (JavaScript
/// behind nesting deeper than lopdf's limit, say), so such a file is refused.
fn damaged_object_in_use(doc: &Document) -> Option<lopdf::ObjectId> {
    use lopdf::xref::XrefEntry;
    let missing: std::collections::BTreeSet<u32> = doc
        .reference_table
        .entries
        .iter()
        .filter(|(_, entry)| {
            matches!(
                entry,
                XrefEntry::Normal { .. } | XrefEntry::Compressed { .. }
            )
        })
        .map(|(number, _)| *number)
        .filter(|number| {
            doc.objects
                .range((*number, 0)..=(*number, u16::MAX))
                .next()
                .is_none()
        })
        .collect();
    if missing.is_empty() {
        return None;
    }
    // Walk every reference (iteratively: lopdf objects nest at most 100 deep anyway).
    let mut stack: Vec<&Object> = doc.trailer.iter().map(|(_, v)| v).collect();
    stack.extend(doc.objects.values());
    while let Some(object) = stack.pop() {
        match object {
            Object::Reference(id) if missing.contains(&id.0) => return Some(*id),
            Object::Array(items) => stack.extend(items.iter()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(s) => stack.extend(s.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
    None
}

fn scan_actions(object: &Object, depth: usize) -> Result<(), IntakeError> {
    if depth > MAX_DEPTH {
        return Err(IntakeError::Unreadable("objects nested too deeply".into()));
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
#[path = "intake_tests.rs"]
mod tests;
