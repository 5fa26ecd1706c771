//! Intake checks for an uploaded document: a real, readable, unencrypted PDF without
//! JavaScript or launch actions, within size and page limits. Reports facts for the record.

use std::panic::{catch_unwind, AssertUnwindSafe};

use std::io::SeekFrom;
use std::path::Path;

use lopdf::{Object, ObjectId};

use super::random_access::{RandomAccessPdf, Source};
use super::update::decode_text_string;
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
    inspect_source(std::io::Cursor::new(bytes), limits)
}

/// The same checks on a file of any size: it is read object by object (stream data only for
/// the XMP), so memory does not grow with the file.
pub fn inspect_file(path: &Path, limits: &IntakeLimits) -> Result<PdfFacts, IntakeError> {
    let file = std::fs::File::open(path).map_err(|e| IntakeError::Unreadable(e.to_string()))?;
    let len = file
        .metadata()
        .map_err(|e| IntakeError::Unreadable(e.to_string()))?
        .len();
    if len > limits.max_bytes {
        return Err(IntakeError::TooLarge);
    }
    inspect_source(std::io::BufReader::new(file), limits)
}

fn inspect_source(mut src: impl Source, limits: &IntakeLimits) -> Result<PdfFacts, IntakeError> {
    let io = |e: std::io::Error| IntakeError::Unreadable(e.to_string());
    let len = src.seek(SeekFrom::End(0)).map_err(io)?;
    let mut head = [0u8; 5];
    src.seek(SeekFrom::Start(0)).map_err(io)?;
    if len < 5 || src.read_exact(&mut head).is_err() || &head != b"%PDF-" {
        return Err(IntakeError::NotPdf);
    }
    // A file with no indirect object at all is something else behind a PDF header.
    if !source_contains(&mut src, b"endobj").map_err(io)? {
        return Err(IntakeError::NotPdf);
    }
    let tail_len = len.min(8192);
    let mut tail = vec![0u8; tail_len as usize];
    src.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
    src.read_exact(&mut tail).map_err(io)?;
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
    let pdf = RandomAccessPdf::open(src).map_err(|e| match e {
        PdfError::Encrypted => IntakeError::Encrypted,
        PdfError::StreamTooLarge { limit } => IntakeError::StreamTooLarge { limit },
        // Only the cross-reference sections and the trailer are read to open it.
        _ => IntakeError::BrokenXref,
    })?;
    match catch_unwind(AssertUnwindSafe(|| facts(pdf, limits))) {
        Ok(result) => result,
        Err(_) => Err(IntakeError::Unreadable("parser failure".into())),
    }
}

/// Whether `needle` occurs anywhere in the source, read in pieces.
fn source_contains(src: &mut impl Source, needle: &[u8]) -> std::io::Result<bool> {
    src.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = src.read(&mut buf)?;
        if n == 0 {
            return Ok(false);
        }
        carry.extend_from_slice(&buf[..n]);
        if contains(&carry, needle) {
            return Ok(true);
        }
        let keep = carry.len().min(needle.len() - 1);
        carry.drain(..carry.len() - keep);
    }
}

/// Why an object the cross-reference lists could not be read: offsets that point at other
/// objects are a broken table; anything else, a damaged object (what it held went unscanned,
/// and a more lenient viewer may still read it, so the file is refused).
fn object_error(id: ObjectId, e: PdfError) -> IntakeError {
    match e {
        PdfError::StreamTooLarge { limit } => IntakeError::StreamTooLarge { limit },
        PdfError::Unsupported(d) | PdfError::Unreadable(d)
            if d.contains("points at another object") || d.contains("points past the end") =>
        {
            IntakeError::BrokenXref
        }
        _ => IntakeError::Unreadable(format!("object {} {} could not be read", id.0, id.1)),
    }
}

fn facts(mut pdf: RandomAccessPdf<'_>, limits: &IntakeLimits) -> Result<PdfFacts, IntakeError> {
    // Every object, once (stream data is not read): no action may hide anywhere.
    for id in pdf.ids() {
        let object = pdf.get_shallow(id).map_err(|e| object_error(id, e))?;
        scan_actions(&object, 0)?;
    }
    let trailer = pdf.trailer.clone();
    let catalog = trailer
        .get(b"Root")
        .ok()
        .and_then(|root| pdf.resolve(root).ok())
        .and_then(|root| root.as_dict().ok().cloned())
        .ok_or_else(|| IntakeError::Unreadable("no catalog".into()))?;
    let page_count = count_pages(&mut pdf, &catalog, limits)?;
    if page_count == 0 {
        return Err(IntakeError::NoPages);
    }
    if let Ok(perms) = catalog.get(b"Perms") {
        let perms = pdf.resolve(perms).ok();
        if perms
            .as_ref()
            .and_then(|p| p.as_dict().ok())
            .is_some_and(|p| p.has(b"DocMDP"))
        {
            return Err(IntakeError::Certified);
        }
    }
    let xmp = match catalog.get(b"Metadata") {
        Ok(Object::Reference(id)) => match pdf.get(*id) {
            Ok(Object::Stream(s)) => Some(
                match super::decode_stream(&s, super::MAX_DECODED_METADATA) {
                    Ok(xmp) => xmp,
                    Err(PdfError::StreamTooLarge { limit }) => {
                        return Err(IntakeError::StreamTooLarge { limit })
                    }
                    // A filter we cannot apply: read what is there, as viewers do.
                    Err(_) => s.content.clone(),
                },
            ),
            Err(PdfError::Unsupported(_)) => {
                return Err(IntakeError::StreamTooLarge {
                    limit: super::MAX_DECODED_METADATA,
                })
            }
            _ => None,
        },
        _ => None,
    };
    let xmp_text = xmp.as_deref().map(String::from_utf8_lossy);
    let pdfa_claim = xmp_text.as_deref().and_then(pdfa_claim_from_xmp);
    let title = info_title(&mut pdf, &trailer).or_else(|| xmp_text.as_deref().and_then(xmp_title));
    let existing_signatures =
        super::fields::signature_fields_with(&catalog, &mut |id| pdf.get_shallow(id).ok()).len()
            as u32;
    Ok(PdfFacts {
        page_count,
        pdfa_claim,
        xref_stream: pdf.xref_stream,
        existing_signatures,
        title,
    })
}

/// The pages of the page tree (leaves), walked without recursion, each node once; more than
/// the limit is refused as soon as it is seen.
fn count_pages(
    pdf: &mut RandomAccessPdf<'_>,
    catalog: &lopdf::Dictionary,
    limits: &IntakeLimits,
) -> Result<u32, IntakeError> {
    let mut stack: Vec<Object> = catalog.get(b"Pages").ok().cloned().into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    let mut pages: u32 = 0;
    while let Some(node) = stack.pop() {
        if let Object::Reference(id) = node {
            if !seen.insert(id) {
                continue;
            }
        }
        let Ok(Object::Dictionary(dict)) = pdf.resolve(&node) else {
            continue;
        };
        let kids = match dict.get(b"Kids") {
            Ok(kids) => pdf.resolve(kids).ok(),
            Err(_) => None,
        };
        let is_tree_node = match dict.get(b"Type") {
            Ok(Object::Name(t)) => t.as_slice() == b"Pages",
            _ => kids.is_some(),
        };
        if is_tree_node {
            if let Some(Object::Array(kids)) = kids {
                if seen.len() + kids.len() > (limits.max_pages as usize) * 4 + 1024 {
                    return Err(IntakeError::TooManyPages);
                }
                stack.extend(kids.into_iter().rev());
            }
        } else {
            pages += 1;
            if pages > limits.max_pages {
                return Err(IntakeError::TooManyPages);
            }
        }
    }
    Ok(pages)
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

fn info_title(pdf: &mut RandomAccessPdf<'_>, trailer: &lopdf::Dictionary) -> Option<String> {
    let info = pdf.resolve(trailer.get(b"Info").ok()?).ok()?;
    let raw = match pdf.resolve(info.as_dict().ok()?.get(b"Title").ok()?).ok()? {
        Object::String(bytes, _) => bytes,
        _ => return None,
    };
    let title = decode_text_string(&raw).trim().to_string();
    (!title.is_empty()).then_some(title)
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
