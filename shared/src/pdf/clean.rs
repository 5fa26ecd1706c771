//! The clean copy a publication version starts from: a new file, not an update of the upload.
//! It holds the pages (their content with every personnummer taken out, `pdf::redact`), their
//! resources, links and the document's tagging, and nothing else the upload carried: no
//! earlier revisions, signatures, form fields, embedded or associated files, JavaScript or
//! other actions, annotations other than links, private application data, or metadata beyond
//! a title, a subject and a date.
//!
//! Objects are read one at a time from the upload (`PreviousRevision`, on demand) and written
//! as they are reached, streams as stored (still compressed), so memory grows with the largest
//! object, not with the file. What is dropped is dropped wherever it is reached from (a
//! signature field the structure tree points at becomes null too).
//!
//! A page that cannot be checked safely (`redact::Unsafe`, or a page whose only content is
//! images) stops the copy: the caller holds the publication.

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use lopdf::{Dictionary, Object, ObjectId, Stream};

use super::font::{registered_fonts, ObjectSink, SubsetFont};
use super::redact::{personnummer_glyphs, remove_numbers, Label, Unsafe, LABEL};
use super::text::{decode_content, read_page_text};
use super::update::PreviousRevision;
use super::{decode_stream, PdfError, MAX_DECODED_STRUCTURE};

/// What the clean copy says of itself (the document information dictionary).
pub struct CleanInfo {
    pub title: String,
    /// e.g. the organ: "Socialnämnden".
    pub subject: String,
    /// D:YYYYMMDDHHmmSS+00'00'
    pub date: String,
}

pub use crate::domain::document::PageRemoval;
use crate::domain::document::{HeldPage, HoldWhy, PublicationCheck};

#[derive(Clone, Debug, PartialEq)]
pub enum CleanOutcome {
    /// Written; these pages had numbers removed.
    Written { removed: Vec<PageRemoval> },
    /// Not written: this page (from 1) cannot be published by itself, for this reason.
    Held { page: usize, reason: HoldReason },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoldReason {
    #[error(transparent)]
    Unsafe(#[from] Unsafe),
    #[error("the page is only images: its text cannot be read")]
    OnlyImages,
}

impl HoldReason {
    /// The reason as the order and the secretary know it.
    pub fn why(&self) -> HoldWhy {
        match self {
            HoldReason::OnlyImages => HoldWhy::OnlyImages,
            HoldReason::Unsafe(Unsafe::UnreadableText | Unsafe::TextInForm) => {
                HoldWhy::UnreadableText
            }
            HoldReason::Unsafe(Unsafe::UnknownWidths | Unsafe::RotatedText) => {
                HoldWhy::CannotRemove
            }
        }
    }
}

/// What the clean copy of the PDF at `input` would take out, or which page would hold it;
/// the copy itself is not kept (the check at intake, before anything is published).
pub fn publication_check(input: &Path, today: NaiveDate) -> Result<PublicationCheck, PdfError> {
    let info = CleanInfo {
        title: String::new(),
        subject: String::new(),
        date: String::new(),
    };
    Ok(match clean_copy_to(input, std::io::sink(), &info, today)? {
        CleanOutcome::Written { removed } => PublicationCheck {
            removed,
            held: None,
        },
        CleanOutcome::Held { page, reason } => PublicationCheck {
            removed: Vec::new(),
            held: Some(HeldPage {
                page,
                why: reason.why(),
            }),
        },
    })
}

/// Page attributes a page may inherit from the page tree (ISO 32000-1 7.7.3.4).
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];
/// What a page of the clean copy keeps.
const PAGE_KEYS: [&[u8]; 12] = [
    b"Resources",
    b"MediaBox",
    b"CropBox",
    b"BleedBox",
    b"TrimBox",
    b"ArtBox",
    b"Rotate",
    b"Group",
    b"StructParents",
    b"Tabs",
    b"UserUnit",
    b"Annots",
];
/// Most pages a document may have for a clean copy.
const MAX_PAGES: usize = 100_000;

/// Write the clean copy of the PDF at `input` to `output` (nothing is left there when it is
/// held).
pub fn clean_copy(
    input: &Path,
    output: &Path,
    info: &CleanInfo,
    today: NaiveDate,
) -> Result<CleanOutcome, PdfError> {
    let file = std::io::BufWriter::new(std::fs::File::create(output)?);
    let outcome = clean_copy_to(input, file, info, today);
    if !matches!(outcome, Ok(CleanOutcome::Written { .. })) {
        let _ = std::fs::remove_file(output);
    }
    outcome
}

fn clean_copy_to<W: Write>(
    input: &Path,
    output: W,
    info: &CleanInfo,
    today: NaiveDate,
) -> Result<CleanOutcome, PdfError> {
    let source = std::io::BufReader::new(std::fs::File::open(input)?);
    let prev = PreviousRevision::open_for_validation_data(source)?;
    let pages = page_list(&prev)?;
    let mut copier = Copier {
        prev: &prev,
        map: HashMap::new(),
        queue: VecDeque::new(),
        next: 1,
        out: Counting::new(output),
        offsets: Vec::new(),
        label: LabelFont::new(),
    };
    copier.out.write_all(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")?;
    let catalog_id = copier.allocate();
    let pages_id = copier.allocate();
    let info_id = copier.allocate();
    // Pages are written here, not copied: reserve their new ids first, so that whatever
    // points at a page (links, the structure tree) points at the new one.
    let new_ids: Vec<u32> = pages
        .iter()
        .map(|(old, _)| {
            let id = copier.allocate();
            copier.map.insert(*old, id);
            id
        })
        .collect();
    let mut removed = Vec::new();
    for (n, ((_, page), new_id)) in pages.iter().zip(&new_ids).enumerate() {
        match copier.page(page, *new_id, pages_id, today)? {
            Ok(0) => {}
            Ok(numbers) => removed.push(PageRemoval {
                page: n + 1,
                numbers,
            }),
            Err(reason) => {
                return Ok(CleanOutcome::Held {
                    page: n + 1,
                    reason,
                });
            }
        }
    }
    let catalog = prev.catalog()?;
    let mut new_catalog = Dictionary::new();
    new_catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    new_catalog.set("Pages", Object::Reference((pages_id, 0)));
    for key in [&b"StructTreeRoot"[..], b"MarkInfo", b"Lang"] {
        if let Ok(value) = catalog.get(key) {
            let value = copier.rewrite(value.clone());
            new_catalog.set(key, value);
        }
    }
    copier.drain()?;
    if let Some(label) = copier.label.take() {
        if let Some(id) = label.id {
            label.font.write_as(&mut copier, (id, 0))?;
        }
    }
    copier.write(catalog_id, &Object::Dictionary(new_catalog))?;
    let mut root = Dictionary::new();
    root.set("Type", Object::Name(b"Pages".to_vec()));
    root.set(
        "Kids",
        Object::Array(
            new_ids
                .iter()
                .map(|id| Object::Reference((*id, 0)))
                .collect(),
        ),
    );
    root.set("Count", Object::Integer(new_ids.len() as i64));
    copier.write(pages_id, &Object::Dictionary(root))?;
    let text = |s: &str| {
        // A text string in UTF-16BE with its byte order mark (ISO 32000-1 7.9.2.2).
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
        Object::String(bytes, lopdf::StringFormat::Hexadecimal)
    };
    let mut info_dict = Dictionary::new();
    info_dict.set("Title", text(&info.title));
    info_dict.set("Subject", text(&info.subject));
    info_dict.set("CreationDate", Object::string_literal(info.date.as_str()));
    info_dict.set("ModDate", Object::string_literal(info.date.as_str()));
    copier.write(info_id, &Object::Dictionary(info_dict))?;
    copier.finish(catalog_id, info_id)?;
    Ok(CleanOutcome::Written { removed })
}

/// The pages in order, each with the attributes it inherits made its own.
fn page_list(prev: &PreviousRevision<'_>) -> Result<Vec<(ObjectId, Dictionary)>, PdfError> {
    let mut out = Vec::new();
    let mut stack = vec![(prev.pages_root_id, Dictionary::new(), 0usize)];
    while let Some((id, inherited, depth)) = stack.pop() {
        if depth > 64 || out.len() > MAX_PAGES {
            return Err(PdfError::Unsupported(
                "the page tree is too deep or too large".into(),
            ));
        }
        let mut node = prev.get_dictionary(id)?;
        for key in INHERITED {
            if !node.has(key) {
                if let Ok(v) = inherited.get(key) {
                    node.set(key, v.clone());
                }
            }
        }
        match node.get(b"Kids").map(|k| prev.resolve(k)) {
            Ok(Ok(Object::Array(kids))) => {
                let mut pass = Dictionary::new();
                for key in INHERITED {
                    if let Ok(v) = node.get(key) {
                        pass.set(key, v.clone());
                    }
                }
                for kid in kids.iter().rev() {
                    if let Object::Reference(kid) = kid {
                        stack.push((*kid, pass.clone(), depth + 1));
                    }
                }
            }
            _ => out.push((id, node)),
        }
    }
    Ok(out)
}

struct Copier<'p, 'a, W: Write> {
    prev: &'p PreviousRevision<'a>,
    map: HashMap<ObjectId, u32>,
    queue: VecDeque<ObjectId>,
    next: u32,
    out: Counting<W>,
    offsets: Vec<(u32, u64)>,
    /// The font of the words in the boxes; None when no font can be embedded.
    label: Option<LabelFont>,
}

/// The embedded font that writes [`LABEL`] in every box of the copy; written once, when a
/// page first needs it.
struct LabelFont {
    font: SubsetFont<'static>,
    shown: Vec<u8>,
    width: f32,
    id: Option<u32>,
}

impl LabelFont {
    fn new() -> Option<Self> {
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
    fn allocate(&mut self) -> u32 {
        let id = self.next;
        self.next += 1;
        id
    }

    /// The new id of an object of the upload, copied once it is reached.
    fn reference(&mut self, old: ObjectId) -> u32 {
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
    fn rewrite(&mut self, object: Object) -> Object {
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

    fn rewrite_dict(&mut self, d: Dictionary) -> Dictionary {
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
    fn drain(&mut self) -> Result<(), PdfError> {
        while let Some(old) = self.queue.pop_front() {
            let object = self.prev.get_object(old)?;
            let new = self.map[&old];
            let object = self.rewrite(object);
            self.write(new, &object)?;
        }
        Ok(())
    }

    fn write(&mut self, id: u32, object: &Object) -> Result<(), PdfError> {
        self.offsets.push((id, self.out.count));
        let mut body = Vec::new();
        lopdf::Writer::write_object(&mut body, object)
            .map_err(|e| PdfError::Unreadable(format!("serialising object: {e}")))?;
        writeln!(self.out, "{id} 0 obj")?;
        self.out.write_all(&body)?;
        self.out.write_all(b"\nendobj\n")?;
        Ok(())
    }

    /// One page: its content checked and its numbers taken out; the number taken out, or
    /// why the page cannot be published.
    fn page(
        &mut self,
        page: &Dictionary,
        id: u32,
        parent: u32,
        today: NaiveDate,
    ) -> Result<Result<usize, HoldReason>, PdfError> {
        let content = page_content(self.prev, page)?;
        let resources = match page.get(b"Resources").map(|r| self.prev.resolve(r)) {
            Ok(Ok(Object::Dictionary(d))) => d,
            _ => Dictionary::new(),
        };
        let prev = self.prev;
        let operations = decode_content(&content)?;
        let text = read_page_text(&operations, &resources, &mut |o| prev.resolve(o))?;
        if text.images && text.glyphs.is_empty() {
            return Ok(Err(HoldReason::OnlyImages));
        }
        let numbers = match personnummer_glyphs(&text, today) {
            Ok(n) => n,
            Err(e) => return Ok(Err(e.into())),
        };
        let mut resources_with_label = None;
        let (content, count) = if numbers.is_empty() {
            (content, 0)
        } else {
            let label = self.label_in(&resources);
            let shown = label.as_ref().map(|(l, _, _)| l);
            match remove_numbers(operations, &text, &numbers, shown)? {
                Ok((content, removed)) => {
                    resources_with_label = label.map(|(l, r, font)| (r, l.font, font));
                    (content, removed.numbers)
                }
                Err(e) => return Ok(Err(e.into())),
            }
        };
        let contents = self.allocate();
        let mut stream = Stream::new(Dictionary::new(), content);
        let _ = stream.compress();
        self.write(contents, &Object::Stream(stream))?;
        let mut new = Dictionary::new();
        new.set("Type", Object::Name(b"Page".to_vec()));
        new.set("Parent", Object::Reference((parent, 0)));
        for key in PAGE_KEYS {
            if let Ok(value) = page.get(key) {
                let value = self.rewrite(value.clone());
                if !matches!(value, Object::Null) {
                    new.set(key, value);
                }
            }
        }
        if let Some((resources, name, font)) = resources_with_label {
            // The label's font is an object of the copy, added after the upload's references
            // are turned into the copy's.
            let mut resources = match self.rewrite(Object::Dictionary(resources)) {
                Object::Dictionary(d) => d,
                _ => Dictionary::new(),
            };
            let mut fonts = match resources.get(b"Font") {
                Ok(Object::Dictionary(d)) => d.clone(),
                _ => Dictionary::new(),
            };
            fonts.set(name, Object::Reference((font, 0)));
            resources.set("Font", Object::Dictionary(fonts));
            new.set("Resources", Object::Dictionary(resources));
        }
        new.set("Contents", Object::Reference((contents, 0)));
        self.write(id, &Object::Dictionary(new))?;
        Ok(Ok(count))
    }

    /// The label for the boxes of a page with `resources` (its font under a name the page does
    /// not use), those resources with their fonts made the page's own, and the font's id.
    fn label_in(&mut self, resources: &Dictionary) -> Option<(Label, Dictionary, u32)> {
        let next = self.next;
        let label = self.label.as_mut()?;
        let id = *label.id.get_or_insert(next);
        if id == next {
            self.next += 1;
        }
        let fonts = match resources.get(b"Font").map(|f| self.prev.resolve(f)) {
            Ok(Ok(Object::Dictionary(d))) => d,
            _ => Dictionary::new(),
        };
        let name = (0..)
            .map(|n| format!("EsignLabel{n}").into_bytes())
            .find(|name| !fonts.has(name))?;
        let mut resources = resources.clone();
        resources.set("Font", Object::Dictionary(fonts));
        Some((
            Label {
                font: name,
                shown: label.shown.clone(),
                width: label.width,
            },
            resources,
            id,
        ))
    }

    fn finish(mut self, root: u32, info: u32) -> Result<(), PdfError> {
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

/// The page's content, its streams decoded and joined (each bounded).
fn page_content(prev: &PreviousRevision<'_>, page: &Dictionary) -> Result<Vec<u8>, PdfError> {
    let streams = match page.get(b"Contents").map(|c| prev.resolve(c)) {
        Ok(Ok(Object::Array(parts))) => parts,
        Ok(Ok(single @ Object::Stream(_))) => vec![single],
        _ => Vec::new(),
    };
    let mut content = Vec::new();
    for s in streams {
        if let Object::Stream(stream) = prev.resolve(&s)? {
            content.extend(decode_stream(&stream, MAX_DECODED_STRUCTURE)?);
            content.push(b'\n');
            if content.len() > MAX_DECODED_STRUCTURE {
                return Err(PdfError::StreamTooLarge {
                    limit: MAX_DECODED_STRUCTURE,
                });
            }
        }
    }
    Ok(content)
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
struct Counting<W: Write> {
    inner: W,
    count: u64,
}

impl<W: Write> Counting<W> {
    fn new(inner: W) -> Self {
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

#[cfg(test)]
#[path = "clean_tests.rs"]
mod tests;
