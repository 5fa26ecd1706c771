//! The writer of the clean copy: objects of the upload copied as they are reached, with what
//! the copy does not keep dropped wherever it is reached from, each written at once; and the
//! embedded font of the boxes' words.

use std::collections::{HashMap, VecDeque};
use std::io::Write;

use lopdf::{Dictionary, Object, ObjectId, Stream};

use super::super::font::{registered_fonts, ObjectSink, SubsetFont};
use super::super::redact::LABEL;
use super::super::update::PreviousRevision;
use super::super::PdfError;

pub(super) struct Copier<'p, 'a, W: Write> {
    pub(super) prev: &'p PreviousRevision<'a>,
    pub(super) map: HashMap<ObjectId, u32>,
    pub(super) queue: VecDeque<ObjectId>,
    pub(super) next: u32,
    pub(super) out: Counting<W>,
    pub(super) offsets: Vec<(u32, u64)>,
    /// The font of the words in the boxes; None when no font can be embedded.
    pub(super) label: Option<LabelFont>,
    /// The paragraph under sekretess the last page left open.
    pub(super) open_paragraph: Option<u32>,
    /// The paragraphs under sekretess left out so far.
    pub(super) paragraphs: Vec<u32>,
}

/// The embedded font that writes [`LABEL`] in every box of the copy; written once, when a
/// page first needs it.
pub(super) struct LabelFont {
    pub(super) font: SubsetFont<'static>,
    pub(super) shown: Vec<u8>,
    pub(super) width: f32,
    pub(super) id: Option<u32>,
}

impl LabelFont {
    pub(super) fn new() -> Option<Self> {
        let mut font = SubsetFont::new(&registered_fonts()?.regular);
        let shown = font.encode(LABEL);
        let width = font.text_width(LABEL);
        Some(Self {
            font,
            shown,
            width,
            id: None,
        })
    }
}

impl<W: Write> ObjectSink for Copier<'_, '_, W> {
    fn allocate_id(&mut self) -> ObjectId {
        (self.allocate(), 0)
    }
    fn write_object(&mut self, id: ObjectId, object: &Object) -> Result<(), PdfError> {
        self.write(id.0, object)
    }
}

impl<W: Write> Copier<'_, '_, W> {
    pub(super) fn allocate(&mut self) -> u32 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// The new id of an object of the upload, copied once it is reached.
    pub(super) fn reference(&mut self, old: ObjectId) -> u32 {
        if let Some(id) = self.map.get(&old) {
            return *id;
        }
        let id = self.allocate();
        self.map.insert(old, id);
        self.queue.push_back(old);
        id
    }

    /// `object` with what is dropped dropped and every reference to the upload's objects
    /// turned into one to the copy's.
    pub(super) fn rewrite(&mut self, object: Object) -> Object {
        match object {
            Object::Reference(old) => Object::Reference((self.reference(old), 0)),
            Object::Array(items) => Object::Array(
                items
                    .into_iter()
                    .map(|o| self.rewrite(o))
                    .filter(|o| !matches!(o, Object::Null))
                    .collect(),
            ),
            Object::Dictionary(d) => match kept(d) {
                Some(d) => Object::Dictionary(self.rewrite_dict(d)),
                None => Object::Null,
            },
            Object::Stream(s) => match kept(s.dict.clone()) {
                Some(d) => {
                    let dict = self.rewrite_dict(d);
                    Object::Stream(Stream::new(dict, s.content).with_compression(false))
                }
                None => Object::Null,
            },
            other => other,
        }
    }

    pub(super) fn rewrite_dict(&mut self, d: Dictionary) -> Dictionary {
        let mut out = Dictionary::new();
        for (k, v) in d.into_iter() {
            let v = self.rewrite(v);
            if !matches!(v, Object::Null) {
                out.set(k, v);
            }
        }
        out
    }

    /// Copy everything reached so far, and what that reaches.
    /// A stream (an image of hundreds of MB, a font) goes from file to file as stored, its
    /// data never held in memory.
    pub(super) fn drain(&mut self) -> Result<(), PdfError> {
        while let Some(old) = self.queue.pop_front() {
            let new = self.map[&old];
            if let Some((dict, at, length)) = self.prev.stream_extent(old)? {
                match kept(dict) {
                    Some(dict) => {
                        let mut dict = self.rewrite_dict(dict);
                        dict.set("Length", Object::Integer(length as i64));
                        self.write_stream(new, dict, at, length)?;
                    }
                    None => self.write(new, &Object::Null)?,
                }
                continue;
            }
            let object = self.prev.get_object(old)?;
            let object = self.rewrite(object);
            self.write(new, &object)?;
        }
        Ok(())
    }

    /// A stream of the copy: `dict`, then `length` bytes of the upload at `at`.
    fn write_stream(
        &mut self,
        id: u32,
        dict: Dictionary,
        at: u64,
        length: u64,
    ) -> Result<(), PdfError> {
        self.offsets.push((id, self.out.count));
        let mut head = Vec::new();
        lopdf::Writer::write_object(&mut head, &Object::Dictionary(dict))
            .map_err(|e| PdfError::Unreadable(format!("serialising object: {e}")))?;
        writeln!(self.out, "{id} 0 obj")?;
        self.out.write_all(&head)?;
        self.out.write_all(b"\nstream\n")?;
        self.prev.copy_range(at, length, &mut self.out)?;
        self.out.write_all(b"\nendstream\nendobj\n")?;
        Ok(())
    }

    pub(super) fn write(&mut self, id: u32, object: &Object) -> Result<(), PdfError> {
        self.offsets.push((id, self.out.count));
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object)
            .map_err(|e| PdfError::Unreadable(format!("serialising object: {e}")))?;
        writeln!(self.out, "{id} 0 obj")?;
        self.out.write_all(&body)?;
        self.out.write_all(b"\nendobj\n")?;
        Ok(())
    }

    pub(super) fn finish(mut self, root: u32, info: u32) -> Result<(), PdfError> {
        let size = self.next;
        let mut offsets = vec![None; size as usize];
        for (id, offset) in &self.offsets {
            offsets[*id as usize] = Some(*offset);
        }
        let xref = self.out.count;
        write!(self.out, "xref\n0 {size}\n0000000000 65535 f\r\n")?;
        for offset in offsets.iter().skip(1) {
            match offset {
                Some(o) => write!(self.out, "{o:010} 00000 n\r\n")?,
                None => self.out.write_all(b"0000000000 65535 f\r\n")?,
            }
        }
        let mut trailer = Dictionary::new();
        trailer.set("Size", Object::Integer(i64::from(size)));
        trailer.set("Root", Object::Reference((root, 0)));
        trailer.set("Info", Object::Reference((info, 0)));
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, &Object::Dictionary(trailer))
            .map_err(|e| PdfError::Unreadable(e.to_string()))?;
        self.out.write_all(b"trailer\n")?;
        self.out.write_all(&body)?;
        write!(self.out, "\nstartxref\n{xref}\n%%EOF\n")?;
        self.out.inner.flush()?;
        Ok(())
    }
}

/// The dictionary as the clean copy keeps it, or None when it is dropped whole: annotations
/// other than links (and links that run something), signatures and form fields, files and
/// actions that run something. Private data and metadata streams go from what is kept.
fn kept(mut d: Dictionary) -> Option<Dictionary> {
    let name = |d: &Dictionary, key: &[u8]| -> Option<Vec<u8>> {
        d.get(key)
            .and_then(Object::as_name)
            .ok()
            .map(<[u8]>::to_vec)
    };
    let kind = name(&d, b"Type");
    let subtype = name(&d, b"Subtype");
    let action = name(&d, b"S");
    let runs = |s: &Option<Vec<u8>>| {
        matches!(
            s.as_deref(),
            Some(
                b"JavaScript"
                    | b"Launch"
                    | b"SubmitForm"
                    | b"ImportData"
                    | b"ResetForm"
                    | b"Rendition"
                    | b"Sound"
                    | b"Movie"
            )
        )
    };
    let is_annotation = kind.as_deref() == Some(b"Annot")
        || (d.has(b"Rect") && subtype.is_some() && !d.has(b"Width"));
    if is_annotation && subtype.as_deref() != Some(b"Link") {
        return None;
    }
    if matches!(
        kind.as_deref(),
        Some(b"Sig" | b"DocTimeStamp" | b"Filespec" | b"EmbeddedFile" | b"DSS" | b"SigRef")
    ) || d.has(b"FT")
        || d.has(b"EF")
        || d.has(b"ByteRange")
        || runs(&action)
    {
        return None;
    }
    if let Ok(Object::Dictionary(a)) = d.get(b"A") {
        if runs(&name(a, b"S")) {
            return None;
        }
    }
    for key in [
        &b"AA"[..],
        b"Metadata",
        b"PieceInfo",
        b"AF",
        b"OpenAction",
        b"JS",
    ] {
        d.remove(key);
    }
    Some(d)
}

/// A writer that counts what went through it (the offsets of the xref table).
pub(super) struct Counting<W: Write> {
    pub(super) inner: W,
    pub(super) count: u64,
}

impl<W: Write> Counting<W> {
    pub(super) fn new(inner: W) -> Self {
        Self { inner, count: 0 }
    }
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
