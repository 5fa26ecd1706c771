//! The incremental-update writer: the previous bytes stay verbatim; new and changed objects,
//! an xref section of the same kind as the previous one, and a trailer with /Prev are appended.
//! Offsets are recorded while writing, never found by searching old bytes.

use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};

use super::PdfError;

/// Largest offset a classic xref entry (10 digits) can hold.
const MAX_OFFSET: u64 = 9_999_999_999;

/// Parse with lopdf, never letting a parser panic escape (hostile input).
pub(crate) fn load_document(bytes: &[u8]) -> Result<Document, PdfError> {
    match catch_unwind(AssertUnwindSafe(|| Document::load_mem(bytes))) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(e)) => Err(PdfError::Unreadable(e.to_string())),
        Err(_) => Err(PdfError::Unreadable("parser failure".into())),
    }
}

/// What the update needs from the previous revision.
pub(crate) struct PreviousRevision {
    pub doc: Document,
    pub xref_stream: bool,
    pub startxref: u64,
    pub root_id: ObjectId,
    pub pages_root_id: ObjectId,
    pub info: Option<Object>,
    pub id: Object,
    pub next_id: u32,
}

impl PreviousRevision {
    pub fn load(bytes: &[u8]) -> Result<Self, PdfError> {
        if !bytes.starts_with(b"%PDF-") {
            return Err(PdfError::Unreadable("no %PDF- header at offset 0".into()));
        }
        let doc = load_document(bytes)?;
        if doc.trailer.has(b"Encrypt") {
            return Err(PdfError::Encrypted);
        }
        if doc.xref_recovery.is_some() {
            return Err(PdfError::Unsupported("damaged cross-reference data".into()));
        }
        let xref_stream = matches!(
            doc.reference_table.cross_reference_type,
            lopdf::xref::XrefType::CrossReferenceStream
        );
        let startxref =
            last_startxref(bytes).ok_or_else(|| PdfError::Unreadable("no startxref".into()))?;
        let root_id = doc
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| PdfError::Unreadable("trailer has no /Root reference".into()))?;
        let catalog = doc
            .get_dictionary(root_id)
            .map_err(|_| PdfError::Unreadable("catalog missing".into()))?;
        let pages_root_id = catalog
            .get(b"Pages")
            .and_then(Object::as_reference)
            .map_err(|_| PdfError::Unsupported("catalog /Pages is not a reference".into()))?;
        doc.get_dictionary(pages_root_id)
            .map_err(|_| PdfError::Unreadable("page tree root missing".into()))?;
        // Any DocMDP level (1-3) forbids adding pages; the earlier certification would break.
        if let Ok(perms) = catalog.get(b"Perms") {
            let perms = match perms {
                Object::Reference(id) => doc.get_dictionary(*id).ok(),
                Object::Dictionary(d) => Some(d),
                _ => None,
            };
            if perms.is_some_and(|p| p.has(b"DocMDP")) {
                return Err(PdfError::Certified);
            }
        }
        let info = doc.trailer.get(b"Info").ok().cloned();
        let id = match doc.trailer.get(b"ID") {
            Ok(Object::Array(a)) if a.len() == 2 => Object::Array(a.clone()),
            // PDF/A needs /ID; derive a stable one from the original bytes when it is missing.
            _ => {
                let digest = Sha256::digest(bytes);
                let half = digest[..16].to_vec();
                Object::Array(vec![
                    Object::String(half.clone(), StringFormat::Hexadecimal),
                    Object::String(half, StringFormat::Hexadecimal),
                ])
            }
        };
        let trailer_size = doc
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .unwrap_or(0)
            .clamp(0, i64::from(u32::MAX / 2)) as u32;
        let max_loaded = doc.objects.keys().next_back().map(|id| id.0).unwrap_or(0);
        let next_id = trailer_size.max(doc.max_id + 1).max(max_loaded + 1);
        Ok(Self {
            doc,
            xref_stream,
            startxref,
            root_id,
            pages_root_id,
            info,
            id,
            next_id,
        })
    }

    pub fn catalog(&self) -> Result<&Dictionary, PdfError> {
        self.doc
            .get_dictionary(self.root_id)
            .map_err(|_| PdfError::Unreadable("catalog missing".into()))
    }

    pub fn pages_root(&self) -> Result<&Dictionary, PdfError> {
        self.doc
            .get_dictionary(self.pages_root_id)
            .map_err(|_| PdfError::Unreadable("page tree root missing".into()))
    }
}

/// The offset after the last `startxref` keyword.
pub(crate) fn last_startxref(bytes: &[u8]) -> Option<u64> {
    let tail_start = bytes.len().saturating_sub(8192);
    let tail = &bytes[tail_start..];
    let pos = tail.windows(9).rposition(|w| w == b"startxref")?;
    let rest = &tail[pos + 9..];
    let digits: Vec<u8> = rest
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Appends objects after the original bytes and records their offsets.
pub(crate) struct UpdateWriter {
    pub out: Vec<u8>,
    entries: Vec<(u32, u16, u64)>,
    next_id: u32,
}

impl UpdateWriter {
    pub fn new(original: &[u8], next_id: u32, reserve: usize) -> Self {
        let mut out = Vec::with_capacity(original.len() + reserve);
        out.extend_from_slice(original);
        // The original may end right after %%EOF; start the update on a new line.
        if !matches!(original.last(), Some(b'\n') | Some(b'\r')) {
            out.push(b'\n');
        }
        Self {
            out,
            entries: Vec::new(),
            next_id,
        }
    }

    pub fn allocate_id(&mut self) -> ObjectId {
        let id = self.next_id;
        self.next_id += 1;
        (id, 0)
    }

    /// Write `id gen obj` + the object + `endobj`.
    pub fn write_object(&mut self, id: ObjectId, object: &Object) -> Result<(), PdfError> {
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object)
            .map_err(|e| PdfError::Unreadable(format!("serialising object: {e}")))?;
        self.write_raw_object(id, &body).map(|_| ())
    }

    /// Write an object whose body the caller serialised; returns the offset of the body start
    /// so the caller can locate placeholders inside it.
    pub fn write_raw_object(&mut self, id: ObjectId, body: &[u8]) -> Result<usize, PdfError> {
        let offset = self.out.len() as u64;
        self.entries.push((id.0, id.1, offset));
        self.out
            .extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        let body_start = self.out.len();
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
        Ok(body_start)
    }

    /// Write the xref section (same kind as the previous one) and the trailer.
    pub fn finish(mut self, prev: &PreviousRevision) -> Result<Vec<u8>, PdfError> {
        let mut trailer = Dictionary::new();
        trailer.set("Root", Object::Reference(prev.root_id));
        if let Some(info) = &prev.info {
            trailer.set("Info", info.clone());
        }
        trailer.set("ID", prev.id.clone());
        trailer.set("Prev", Object::Integer(prev.startxref as i64));

        let xref_offset;
        if prev.xref_stream {
            let xref_id = self.allocate_id();
            xref_offset = self.out.len() as u64;
            self.entries.push((xref_id.0, 0, xref_offset));
            self.entries.sort_by_key(|e| e.0);
            let offset_width = bytes_needed(self.entries.iter().map(|e| e.2).max().unwrap_or(0));
            let mut data = Vec::new();
            for &(_, generation, offset) in &self.entries {
                data.push(1u8);
                data.extend_from_slice(&offset.to_be_bytes()[8 - offset_width..]);
                data.extend_from_slice(&generation.to_be_bytes());
            }
            trailer.set("Type", Object::Name(b"XRef".to_vec()));
            trailer.set("Size", Object::Integer(i64::from(self.next_id)));
            trailer.set(
                "W",
                Object::Array(vec![
                    Object::Integer(1),
                    Object::Integer(offset_width as i64),
                    Object::Integer(2),
                ]),
            );
            trailer.set("Index", Object::Array(index_runs(&self.entries)));
            trailer.set("Length", Object::Integer(data.len() as i64));
            let mut body = Vec::new();
            lopdf::Writer::write_object(&mut body, &Object::Dictionary(trailer))
                .map_err(|e| PdfError::Unreadable(e.to_string()))?;
            body.extend_from_slice(b"\nstream\n");
            body.extend_from_slice(&data);
            body.extend_from_slice(b"\nendstream");
            self.out
                .extend_from_slice(format!("{} 0 obj\n", xref_id.0).as_bytes());
            self.out.extend_from_slice(&body);
            self.out.extend_from_slice(b"\nendobj\n");
        } else {
            xref_offset = self.out.len() as u64;
            // A classic xref entry holds 10 digits; xref streams have no such limit.
            if xref_offset > MAX_OFFSET {
                return Err(PdfError::TooLarge);
            }
            self.entries.sort_by_key(|e| e.0);
            self.out.extend_from_slice(b"xref\n");
            let mut i = 0;
            while i < self.entries.len() {
                let mut j = i + 1;
                while j < self.entries.len() && self.entries[j].0 == self.entries[j - 1].0 + 1 {
                    j += 1;
                }
                self.out
                    .extend_from_slice(format!("{} {}\n", self.entries[i].0, j - i).as_bytes());
                for &(_, generation, offset) in &self.entries[i..j] {
                    // Each entry is exactly 20 bytes.
                    self.out.extend_from_slice(
                        format!("{offset:010} {generation:05} n\r\n").as_bytes(),
                    );
                }
                i = j;
            }
            trailer.set("Size", Object::Integer(i64::from(self.next_id)));
            self.out.extend_from_slice(b"trailer\n");
            lopdf::Writer::write_object(&mut self.out, &Object::Dictionary(trailer))
                .map_err(|e| PdfError::Unreadable(e.to_string()))?;
            self.out.push(b'\n');
        }
        self.out
            .extend_from_slice(format!("startxref\n{xref_offset}\n%%EOF\n").as_bytes());
        Ok(self.out)
    }
}

fn bytes_needed(max: u64) -> usize {
    let mut width = 1;
    while width < 8 && (max >> (8 * width)) != 0 {
        width += 1;
    }
    width.max(4)
}

/// /Index pairs [first count ...] for the sorted entries.
fn index_runs(entries: &[(u32, u16, u64)]) -> Vec<Object> {
    let mut runs = Vec::new();
    let mut i = 0;
    while i < entries.len() {
        let mut j = i + 1;
        while j < entries.len() && entries[j].0 == entries[j - 1].0 + 1 {
            j += 1;
        }
        runs.push(Object::Integer(i64::from(entries[i].0)));
        runs.push(Object::Integer((j - i) as i64));
        i = j;
    }
    runs
}

/// Append new pages to the page tree root: a new version of the root with the kids and Count.
pub(crate) fn append_pages_to_root(
    prev: &PreviousRevision,
    writer: &mut UpdateWriter,
    new_pages: &[ObjectId],
) -> Result<(), PdfError> {
    let mut root = prev.pages_root()?.clone();
    let mut kids = match root.get(b"Kids") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => match prev.doc.get_object(*r) {
            Ok(Object::Array(a)) => a.clone(),
            _ => return Err(PdfError::Unsupported("page tree /Kids unreadable".into())),
        },
        _ => return Err(PdfError::Unsupported("page tree root has no /Kids".into())),
    };
    kids.extend(new_pages.iter().map(|id| Object::Reference(*id)));
    let count = match root.get(b"Count") {
        Ok(Object::Integer(n)) => *n,
        Ok(Object::Reference(r)) => prev
            .doc
            .get_object(*r)
            .and_then(Object::as_i64)
            .map_err(|_| PdfError::Unsupported("page tree /Count unreadable".into()))?,
        _ => return Err(PdfError::Unsupported("page tree root has no /Count".into())),
    };
    root.set("Kids", Object::Array(kids));
    root.set("Count", Object::Integer(count + new_pages.len() as i64));
    writer.write_object(prev.pages_root_id, &Object::Dictionary(root))
}

/// `D:YYYYMMDDHHmmSSZ`.
pub(crate) fn pdf_date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("D:%Y%m%d%H%M%SZ").to_string()
}

/// A PDF text string: literal when plain ASCII, else UTF-16BE with BOM.
pub(crate) fn text_string(text: &str) -> Object {
    if text.chars().all(|c| (' '..='~').contains(&c)) {
        Object::String(text.as_bytes().to_vec(), StringFormat::Literal)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        Object::String(bytes, StringFormat::Hexadecimal)
    }
}

/// Decode a PDF text string (UTF-16BE with BOM, UTF-8 with BOM, else PDFDocEncoding ~ Latin-1).
pub(crate) fn decode_text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_be_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        String::from_utf8_lossy(rest).into_owned()
    } else {
        bytes.iter().map(|&b| char::from(b)).collect()
    }
}
