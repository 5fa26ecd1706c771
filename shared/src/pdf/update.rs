//! The incremental-update writer: the previous bytes stay verbatim; new and changed objects,
//! an xref section of the same kind as the previous one, and a trailer with /Prev are appended.
//! Offsets are recorded while writing, never found by searching old bytes.

use std::cell::RefCell;

use lopdf::{Dictionary, Object, ObjectId, StringFormat};
use sha2::{Digest, Sha256};

use super::random_access::{RandomAccessPdf, Source};
use super::PdfError;

/// Largest offset a classic xref entry (10 digits) can hold.
const MAX_OFFSET: u64 = 9_999_999_999;

/// Parse whole with lopdf, never letting a parser panic escape (hostile input): what tests
/// use to look at our output through another reader than ours.
#[cfg(test)]
pub(crate) fn load_document(bytes: &[u8]) -> Result<lopdf::Document, PdfError> {
    use lopdf::Document;
    use std::panic::{catch_unwind, AssertUnwindSafe};
    let limit = super::MAX_DECODED_STRUCTURE;
    let options = lopdf::LoadOptions {
        max_decompressed_size: Some(limit),
        ..Default::default()
    };
    match catch_unwind(AssertUnwindSafe(|| {
        Document::load_mem_with_options(bytes, options)
    })) {
        Ok(Ok(doc)) => Ok(doc),
        Ok(Err(lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
            ..
        }))) => Err(PdfError::StreamTooLarge { limit }),
        Ok(Err(e)) => Err(PdfError::Unreadable(e.to_string())),
        Err(_) => Err(PdfError::Unreadable("parser failure".into())),
    }
}

/// Where the next update continues: the end of the revision before it.
#[derive(Clone, Debug)]
pub(crate) struct Revision {
    /// Bytes of the file up to here.
    pub len: u64,
    pub ends_with_eol: bool,
    /// Offset of this revision's cross-reference section (the next update's /Prev).
    pub startxref: u64,
    /// The update must use the same kind of cross-reference section.
    pub xref_stream: bool,
    pub root_id: ObjectId,
    pub info: Option<Object>,
    pub id: Object,
    pub next_id: u32,
}

/// What the update needs from the previous revision, read on demand: only the objects asked
/// for are parsed, so a file of hundreds of MB costs a few KB of memory here.
pub(crate) struct PreviousRevision<'a> {
    pdf: RefCell<RandomAccessPdf<'a>>,
    pub revision: Revision,
    pub root_id: ObjectId,
    pub pages_root_id: ObjectId,
}

impl<'a> PreviousRevision<'a> {
    #[cfg(test)]
    pub fn load(bytes: &'a [u8]) -> Result<Self, PdfError> {
        Self::open(std::io::Cursor::new(bytes))
    }

    pub fn open(source: impl Source + 'a) -> Result<Self, PdfError> {
        Self::open_checked(source, true)
    }

    /// For an update that adds only validation data and a document timestamp, which every
    /// DocMDP level allows (ISO 32000-2 12.8.2.2.2): a certified document is not refused.
    pub fn open_for_validation_data(source: impl Source + 'a) -> Result<Self, PdfError> {
        Self::open_checked(source, false)
    }

    fn open_checked(source: impl Source + 'a, refuse_certified: bool) -> Result<Self, PdfError> {
        let pdf = RandomAccessPdf::open(source)?;
        let root_id = pdf
            .trailer
            .get(b"Root")
            .and_then(Object::as_reference)
            .map_err(|_| PdfError::Unreadable("trailer has no /Root reference".into()))?;
        let info = pdf.trailer.get(b"Info").ok().cloned();
        let id = match pdf.trailer.get(b"ID") {
            Ok(Object::Array(a)) if a.len() == 2 => Some(Object::Array(a.clone())),
            _ => None,
        };
        let revision = Revision {
            len: pdf.len,
            ends_with_eol: matches!(pdf.last_byte, Some(b'\n') | Some(b'\r')),
            startxref: pdf.startxref,
            xref_stream: pdf.xref_stream,
            root_id,
            info,
            id: Object::Null,
            next_id: pdf.next_free_id(),
        };
        let mut prev = Self {
            pdf: RefCell::new(pdf),
            revision,
            root_id,
            pages_root_id: (0, 0),
        };
        let catalog = prev.catalog()?;
        prev.pages_root_id = catalog
            .get(b"Pages")
            .and_then(Object::as_reference)
            .map_err(|_| PdfError::Unsupported("catalog /Pages is not a reference".into()))?;
        prev.pages_root()?;
        // Any DocMDP level (1-3) forbids adding pages; the earlier certification would break.
        if let (true, Ok(perms)) = (refuse_certified, catalog.get(b"Perms")) {
            if let Object::Dictionary(perms) = prev.resolve(perms)? {
                if perms.has(b"DocMDP") {
                    return Err(PdfError::Certified);
                }
            }
        }
        prev.revision.id = match id {
            Some(id) => id,
            // PDF/A needs /ID; derive a stable one when it is missing, from the file's ends and
            // length (reading it all here would cost a second pass over large files).
            None => {
                let digest = prev.fingerprint()?;
                let half = digest[..16].to_vec();
                Object::Array(vec![
                    Object::String(half.clone(), StringFormat::Hexadecimal),
                    Object::String(half, StringFormat::Hexadecimal),
                ])
            }
        };
        Ok(prev)
    }

    fn fingerprint(&self) -> Result<[u8; 32], PdfError> {
        let mut pdf = self.pdf.borrow_mut();
        let mut hasher = Sha256::new();
        hasher.update(pdf.len.to_be_bytes());
        let take = pdf.len.min(64 * 1024);
        hasher.update(pdf.read_range(0, take as usize)?);
        let tail = pdf.len - take;
        hasher.update(pdf.read_range(tail, take as usize)?);
        Ok(hasher.finalize().into())
    }

    /// The object (owned), `Null` when free or undefined.
    pub fn get_object(&self, id: ObjectId) -> Result<Object, PdfError> {
        self.pdf.borrow_mut().get(id)
    }

    pub fn get_dictionary(&self, id: ObjectId) -> Result<Dictionary, PdfError> {
        match self.get_object(id)? {
            Object::Dictionary(d) => Ok(d),
            Object::Stream(s) => Ok(s.dict),
            _ => Err(PdfError::Unreadable(format!(
                "object {} {} is not a dictionary",
                id.0, id.1
            ))),
        }
    }

    /// Follow references until a direct object.
    pub fn resolve(&self, object: &Object) -> Result<Object, PdfError> {
        self.pdf.borrow_mut().resolve(object)
    }

    /// The object `object` refers to, a stream without its data (its dictionary only).
    pub fn resolve_shallow(&self, object: &Object) -> Result<Object, PdfError> {
        match object {
            Object::Reference(id) => self.pdf.borrow_mut().get_shallow(*id),
            other => Ok(other.clone()),
        }
    }

    /// Where a stream's data lies (dictionary, offset, length), without reading it.
    pub fn stream_extent(&self, id: ObjectId) -> Result<Option<(Dictionary, u64, u64)>, PdfError> {
        self.pdf.borrow_mut().stream_extent(id)
    }

    /// Copy `length` bytes at `offset` of the file to `out`, a piece at a time.
    pub fn copy_range(
        &self,
        offset: u64,
        length: u64,
        out: &mut impl std::io::Write,
    ) -> Result<(), PdfError> {
        const PIECE: u64 = 1 << 20;
        let mut pdf = self.pdf.borrow_mut();
        let mut done = 0;
        while done < length {
            let take = (length - done).min(PIECE) as usize;
            let piece = pdf.read_range(offset + done, take)?;
            if piece.len() != take {
                return Err(PdfError::Unreadable(
                    "the file ended inside a stream".into(),
                ));
            }
            out.write_all(&piece)?;
            done += take as u64;
        }
        Ok(())
    }

    pub fn catalog(&self) -> Result<Dictionary, PdfError> {
        self.get_dictionary(self.root_id)
            .map_err(|_| PdfError::Unreadable("catalog missing".into()))
    }

    pub fn pages_root(&self) -> Result<Dictionary, PdfError> {
        self.get_dictionary(self.pages_root_id)
            .map_err(|_| PdfError::Unreadable("page tree root missing".into()))
    }
}

/// The offset after the last `startxref` keyword (tests build updates by hand with it).
#[cfg(test)]
pub(crate) fn last_startxref(bytes: &[u8]) -> Option<u64> {
    super::random_access::find_startxref(&bytes[bytes.len().saturating_sub(8192)..])
}

/// Appends objects after the previous revision and records their offsets. `out` holds only
/// the update; offsets in the file are `base + position`.
pub(crate) struct UpdateWriter {
    pub out: Vec<u8>,
    base: u64,
    entries: Vec<(u32, u16, u64)>,
    next_id: u32,
    dictionaries: std::collections::HashMap<ObjectId, Dictionary>,
}

impl UpdateWriter {
    pub fn after(prev: &Revision, reserve: usize) -> Self {
        let mut out = Vec::with_capacity(reserve);
        // The previous revision may end right after %%EOF; start the update on a new line.
        if !prev.ends_with_eol {
            out.push(b'\n');
        }
        Self {
            out,
            base: prev.len,
            entries: Vec::new(),
            next_id: prev.next_id,
            dictionaries: Default::default(),
        }
    }

    pub fn allocate_id(&mut self) -> ObjectId {
        let id = self.next_id;
        self.next_id += 1;
        (id, 0)
    }

    /// A dictionary written in this update, to write a new version of it in a later one.
    pub fn written_dictionary(&self, id: ObjectId) -> Option<&Dictionary> {
        self.dictionaries.get(&id)
    }

    /// Write `id gen obj` + the object + `endobj`.
    pub fn write_object(&mut self, id: ObjectId, object: &Object) -> Result<(), PdfError> {
        if let Object::Dictionary(d) = object {
            self.dictionaries.insert(id, d.clone());
        }
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object)
            .map_err(|e| PdfError::Unreadable(format!("serialising object: {e}")))?;
        self.write_raw_object(id, &body).map(|_| ())
    }

    /// Write an object whose body the caller serialised; returns the offset of the body start
    /// so the caller can locate placeholders inside it.
    pub fn write_raw_object(&mut self, id: ObjectId, body: &[u8]) -> Result<usize, PdfError> {
        let offset = self.base + self.out.len() as u64;
        self.entries.push((id.0, id.1, offset));
        self.out
            .extend_from_slice(format!("{} {} obj\n", id.0, id.1).as_bytes());
        let body_start = self.out.len();
        self.out.extend_from_slice(body);
        self.out.extend_from_slice(b"\nendobj\n");
        Ok(body_start)
    }

    /// Write the xref section (same kind as the previous one) and the trailer. Returns the
    /// update's bytes and the revision it ends.
    pub fn finish(mut self, prev: &Revision) -> Result<(Vec<u8>, Revision), PdfError> {
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
            xref_offset = self.base + self.out.len() as u64;
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
            xref_offset = self.base + self.out.len() as u64;
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
        let revision = Revision {
            len: self.base + self.out.len() as u64,
            ends_with_eol: true,
            startxref: xref_offset,
            xref_stream: prev.xref_stream,
            root_id: prev.root_id,
            info: prev.info.clone(),
            id: prev.id.clone(),
            next_id: self.next_id,
        };
        Ok((self.out, revision))
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
    let mut root = prev.pages_root()?;
    let mut kids = match root.get(b"Kids").map(|k| prev.resolve(k)) {
        Ok(Ok(Object::Array(a))) => a,
        Ok(_) => return Err(PdfError::Unsupported("page tree /Kids unreadable".into())),
        Err(_) => return Err(PdfError::Unsupported("page tree root has no /Kids".into())),
    };
    kids.extend(new_pages.iter().map(|id| Object::Reference(*id)));
    let count = match root.get(b"Count").map(|c| prev.resolve(c)) {
        Ok(Ok(Object::Integer(n))) => n,
        Ok(_) => return Err(PdfError::Unsupported("page tree /Count unreadable".into())),
        Err(_) => return Err(PdfError::Unsupported("page tree root has no /Count".into())),
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
