//! A PDF read on demand: the cross-reference sections from the end of the file, then only the
//! objects asked for. Sealing needs a handful of objects (catalog, page tree root, AcroForm), not
//! the hundreds of MB of page content, so memory stays small whatever the size of the file.
//! lopdf parses whole documents eagerly; its object model and its object-stream decoder are
//! reused here, the reading of single objects at an offset is ours.
//!
//! Here the reader and its objects; the cross-reference sections are read in `xref`, the
//! object syntax in `lexer`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use lopdf::{Dictionary, Object, ObjectId, Stream};

use super::PdfError;
use lexer::{Lexer, ParseError};

mod lexer;
mod xref;

/// Anything a PDF can be read from: a file, or bytes in memory.
pub(crate) trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

/// Nesting deeper than this is refused (hostile input, not real documents).
const MAX_DEPTH: usize = 64;
/// Cross-reference sections followed through /Prev before giving up (loops, hostile input).
const MAX_SECTIONS: usize = 4096;
/// Objects a file may declare; bounds the entry table's memory (PDF's own limit is 8,388,607).
const MAX_OBJECTS: usize = 8_388_607;
/// Largest stream read into memory, raw or decoded: cross-reference and object streams.
const MAX_STREAM: u64 = super::MAX_DECODED_STRUCTURE as u64;
/// Largest non-stream object (a dictionary or array with its strings).
const MAX_OBJECT: usize = 16 * 1024 * 1024;
/// Decoded object streams kept, so fields in one container are not decoded again and again.
const CACHED_CONTAINERS: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    Unset,
    Free,
    Offset { offset: u64, generation: u16 },
    Compressed { container: u32 },
}

pub(crate) struct RandomAccessPdf<'a> {
    src: Box<dyn Source + 'a>,
    pub len: u64,
    entries: Vec<Entry>,
    /// The trailer entries, newest section first wins (Root, Info, ID, Encrypt, Size).
    pub trailer: Dictionary,
    /// Offset of the newest cross-reference section (the last `startxref`).
    pub startxref: u64,
    /// The newest section is a cross-reference stream (the update must be one too).
    pub xref_stream: bool,
    pub last_byte: Option<u8>,
    containers: HashMap<u32, Arc<BTreeMap<ObjectId, Object>>>,
    /// Whether stream data is read (off while walking every object).
    content: bool,
}

impl<'a> RandomAccessPdf<'a> {
    pub fn open(src: impl Source + 'a) -> Result<Self, PdfError> {
        let mut src: Box<dyn Source + 'a> = Box::new(src);
        let len = src.seek(SeekFrom::End(0)).map_err(io)?;
        let mut head = [0u8; 5];
        read_at(&mut src, 0, &mut head).map_err(|_| unreadable("no %PDF- header at offset 0"))?;
        if &head != b"%PDF-" {
            return Err(unreadable("no %PDF- header at offset 0"));
        }
        let tail_len = len.min(8192);
        let mut tail = vec![0u8; tail_len as usize];
        read_at(&mut src, len - tail_len, &mut tail).map_err(io)?;
        let startxref = find_startxref(&tail).ok_or_else(|| unreadable("no startxref"))?;
        let mut pdf = Self {
            src,
            len,
            entries: Vec::new(),
            trailer: Dictionary::new(),
            startxref,
            xref_stream: false,
            last_byte: tail.last().copied(),
            containers: HashMap::new(),
            content: true,
        };
        pdf.read_sections(startxref)?;
        if pdf.trailer.has(b"Encrypt") {
            return Err(PdfError::Encrypted);
        }
        Ok(pdf)
    }

    /// One past the highest object number in use.
    pub fn next_free_id(&self) -> u32 {
        let size = self
            .trailer
            .get(b"Size")
            .and_then(Object::as_i64)
            .unwrap_or(0)
            .clamp(0, MAX_OBJECTS as i64) as u32;
        let used = self
            .entries
            .iter()
            .rposition(|e| !matches!(e, Entry::Unset))
            .map(|i| i as u32 + 1)
            .unwrap_or(0);
        size.max(used).max(1)
    }

    /// The object, or `Null` for a free or undefined one (as PDF says).
    pub fn get(&mut self, id: ObjectId) -> Result<Object, PdfError> {
        self.content = true;
        self.get_guarded(id, &mut HashSet::new())
    }

    /// Like [`get`](Self::get), but a stream comes without its data (its dictionary checked,
    /// its /Length within the file): for walking every object of a file of any size.
    pub fn get_shallow(&mut self, id: ObjectId) -> Result<Object, PdfError> {
        self.content = false;
        let got = self.get_guarded(id, &mut HashSet::new());
        self.content = true;
        got
    }

    /// Where a stream object's data lies, without reading it: its dictionary, the offset of
    /// its first byte and its length. None when the object is not a stream (or is free, or
    /// sits in an object stream, where no stream can be).
    pub fn stream_extent(
        &mut self,
        id: ObjectId,
    ) -> Result<Option<(Dictionary, u64, u64)>, PdfError> {
        let Some(Entry::Offset { offset, generation }) = self.entries.get(id.0 as usize).copied()
        else {
            return Ok(None);
        };
        if generation != id.1 {
            return Ok(None);
        }
        match self.header_at(offset)? {
            (found, _, _) if found.0 != id.0 => Err(damaged(
                "the cross-reference table points at another object",
            )),
            (_, Object::Dictionary(dict), Some(data_at)) => {
                let length = self.stream_extent_at(&dict, data_at, &mut HashSet::new())?;
                Ok(Some((dict, data_at, length)))
            }
            _ => Ok(None),
        }
    }

    fn stream_length(
        &mut self,
        dict: &Dictionary,
        seen: &mut HashSet<u32>,
    ) -> Result<u64, PdfError> {
        let length = match dict.get(b"Length") {
            Ok(Object::Integer(n)) => *n,
            Ok(Object::Reference(id)) => {
                let id = *id;
                self.get_guarded(id, seen)?
                    .as_i64()
                    .map_err(|_| damaged("a stream /Length is not a number"))?
            }
            _ => return Err(damaged("a stream has no /Length")),
        };
        u64::try_from(length).map_err(|_| damaged("a stream /Length is negative"))
    }

    /// Every object the cross-reference sections say is in use, with its generation.
    pub fn ids(&self) -> Vec<ObjectId> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(n, e)| match e {
                Entry::Offset { generation, .. } => Some((n as u32, *generation)),
                Entry::Compressed { .. } => Some((n as u32, 0)),
                Entry::Unset | Entry::Free => None,
            })
            .collect()
    }

    fn get_guarded(&mut self, id: ObjectId, seen: &mut HashSet<u32>) -> Result<Object, PdfError> {
        if !seen.insert(id.0) || seen.len() > MAX_DEPTH {
            return Err(damaged("a loop of object references"));
        }
        match self
            .entries
            .get(id.0 as usize)
            .copied()
            .unwrap_or(Entry::Unset)
        {
            Entry::Unset | Entry::Free => Ok(Object::Null),
            Entry::Offset { offset, generation } => {
                if generation != id.1 {
                    return Ok(Object::Null);
                }
                let (found, object) = self.object_at(offset, seen)?;
                if found.0 != id.0 {
                    return Err(damaged(
                        "the cross-reference table points at another object",
                    ));
                }
                Ok(object)
            }
            Entry::Compressed { container } => {
                let objects = self.container(container, seen)?;
                Ok(objects
                    .iter()
                    .find(|(k, _)| k.0 == id.0)
                    .map(|(_, v)| v.clone())
                    .unwrap_or(Object::Null))
            }
        }
    }

    /// Follow references until a direct object.
    pub fn resolve(&mut self, object: &Object) -> Result<Object, PdfError> {
        let mut current = object.clone();
        for _ in 0..MAX_DEPTH {
            match current {
                Object::Reference(id) => current = self.get(id)?,
                other => return Ok(other),
            }
        }
        Err(damaged("a loop of object references"))
    }

    fn container(
        &mut self,
        container: u32,
        seen: &mut HashSet<u32>,
    ) -> Result<Arc<BTreeMap<ObjectId, Object>>, PdfError> {
        if let Some(objects) = self.containers.get(&container) {
            return Ok(objects.clone());
        }
        let content = std::mem::replace(&mut self.content, true);
        let got = self.get_guarded((container, 0), seen);
        self.content = content;
        let stream = match got? {
            Object::Stream(s) => s,
            _ => return Err(damaged("an object stream is missing")),
        };
        let decoded = lopdf::ObjectStream::new_with_limit(&stream, Some(MAX_STREAM as usize))
            .map_err(|e| match e {
                lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded {
                    ..
                }) => PdfError::StreamTooLarge {
                    limit: MAX_STREAM as usize,
                },
                e => damaged(&format!("an object stream does not decode: {e}")),
            })?;
        let objects = Arc::new(decoded.objects);
        if self.containers.len() >= CACHED_CONTAINERS {
            self.containers.clear();
        }
        self.containers.insert(container, objects.clone());
        Ok(objects)
    }

    /// Read `N G obj ... endobj` at `offset`.
    fn object_at(
        &mut self,
        offset: u64,
        seen: &mut HashSet<u32>,
    ) -> Result<(ObjectId, Object), PdfError> {
        match self.header_at(offset)? {
            (id, object, None) => Ok((id, object)),
            (id, Object::Dictionary(dict), Some(data_at)) => {
                let stream = self.stream_body(dict, data_at, seen)?;
                Ok((id, Object::Stream(stream)))
            }
            _ => Err(damaged("a stream without a dictionary")),
        }
    }

    /// The object at `offset` up to its data: its id, its object (a stream's dictionary) and,
    /// for a stream, where its data starts. Read through a window that grows until the object
    /// fits (at most `MAX_OBJECT`).
    fn header_at(&mut self, offset: u64) -> Result<(ObjectId, Object, Option<u64>), PdfError> {
        let mut size = 4096;
        loop {
            let window = self.window(offset, size)?;
            let complete = offset + window.len() as u64 >= self.len;
            let mut lexer = Lexer::new(&window, complete);
            match lexer.indirect_header().and_then(|id| {
                let object = lexer.object(0)?;
                Ok((id, object, lexer.stream_start()?))
            }) {
                Ok((id, object, data_at)) => {
                    return Ok((id, object, data_at.map(|at| offset + at as u64)))
                }
                Err(ParseError::Incomplete) if !complete && size < MAX_OBJECT => size *= 4,
                Err(ParseError::Incomplete) => {
                    return Err(damaged("an object is cut off or too large"))
                }
                Err(ParseError::Invalid(what)) => {
                    return Err(damaged(&format!("an object does not parse ({what})")))
                }
            }
        }
    }

    /// The length of a stream whose data starts at `data_at`, checked to lie within the file.
    fn stream_extent_at(
        &mut self,
        dict: &Dictionary,
        data_at: u64,
        seen: &mut HashSet<u32>,
    ) -> Result<u64, PdfError> {
        let length = self.stream_length(dict, seen)?;
        if data_at.checked_add(length).is_none_or(|end| end > self.len) {
            return Err(damaged("a stream /Length points past the end"));
        }
        Ok(length)
    }

    fn stream_body(
        &mut self,
        dict: Dictionary,
        data_at: u64,
        seen: &mut HashSet<u32>,
    ) -> Result<Stream, PdfError> {
        let length = self.stream_extent_at(&dict, data_at, seen)?;
        if !self.content {
            let mut stream = Stream::new(dict, Vec::new());
            stream.allows_compression = false;
            return Ok(stream);
        }
        if length > MAX_STREAM {
            return Err(PdfError::Unsupported(
                "a structural stream is larger than 64 MB".into(),
            ));
        }
        let mut content = vec![0u8; length as usize];
        read_at(&mut self.src, data_at, &mut content).map_err(io)?;
        let mut stream = Stream::new(dict, content);
        stream.allows_compression = false;
        Ok(stream)
    }

    /// `size` bytes at `offset` (fewer at the end of the file).
    pub fn read_range(&mut self, offset: u64, size: usize) -> Result<Vec<u8>, PdfError> {
        if offset >= self.len {
            return Ok(Vec::new());
        }
        self.window(offset, size)
    }

    fn window(&mut self, offset: u64, size: usize) -> Result<Vec<u8>, PdfError> {
        if offset >= self.len {
            return Err(damaged("an offset points past the end"));
        }
        let take = (self.len - offset).min(size as u64) as usize;
        let mut buf = vec![0u8; take];
        read_at(&mut self.src, offset, &mut buf).map_err(io)?;
        Ok(buf)
    }
}

fn read_at(src: &mut Box<dyn Source + '_>, offset: u64, buf: &mut [u8]) -> std::io::Result<()> {
    src.seek(SeekFrom::Start(offset))?;
    src.read_exact(buf)
}

/// The offset after the last `startxref` keyword in the file's tail.
pub(crate) fn find_startxref(tail: &[u8]) -> Option<u64> {
    let pos = tail.windows(9).rposition(|w| w == b"startxref")?;
    let digits: Vec<u8> = tail[pos + 9..]
        .iter()
        .skip_while(|b| b.is_ascii_whitespace())
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

fn io(e: std::io::Error) -> PdfError {
    PdfError::Unreadable(format!("reading the file: {e}"))
}

fn unreadable(what: &str) -> PdfError {
    PdfError::Unreadable(what.into())
}

fn damaged(what: &str) -> PdfError {
    PdfError::Unsupported(format!("damaged cross-reference data: {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::test_support::{fixture, qpdf_transform, FIXTURE_2B};
    use std::io::Cursor;

    #[test]
    fn reads_the_same_objects_as_lopdf_on_every_xref_shape() {
        let original = fixture(FIXTURE_2B);
        for (shape, bytes) in [
            ("as made", original.clone()),
            (
                "object streams",
                qpdf_transform(&original, &["--object-streams=generate"]),
            ),
            ("linearized", qpdf_transform(&original, &["--linearize"])),
        ] {
            let doc = crate::pdf::update::load_document(&bytes).unwrap();
            let mut ours = RandomAccessPdf::open(Cursor::new(&bytes[..])).unwrap();
            let root = ours.trailer.get(b"Root").unwrap().as_reference().unwrap();
            assert_eq!(
                root,
                doc.trailer.get(b"Root").unwrap().as_reference().unwrap()
            );
            for (id, theirs) in &doc.objects {
                let mine = ours.get(*id).unwrap();
                match (theirs, &mine) {
                    (Object::Stream(a), Object::Stream(b)) => {
                        assert_eq!(a.dict, b.dict, "{shape}: {id:?}")
                    }
                    (a, b) => assert_eq!(a, b, "{shape}: {id:?}"),
                }
            }
        }
    }

    #[test]
    fn garbage_never_panics() {
        let original = fixture(FIXTURE_2B);
        let mut seed = 7u64;
        for round in 0..300 {
            let mut bytes = original.clone();
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let len = bytes.len();
            // Damage the tail (cross-reference data) and random spots.
            for i in 0..8 {
                let at = if i % 2 == 0 {
                    len - 1 - (seed as usize >> (i * 3)) % 2048.min(len - 1)
                } else {
                    (seed as usize >> (i * 5)) % len
                };
                bytes[at] = (seed >> (i * 8)) as u8;
            }
            if round % 3 == 0 {
                bytes.truncate(len - (seed as usize % 4096));
            }
            if let Ok(mut pdf) = RandomAccessPdf::open(Cursor::new(&bytes[..])) {
                for id in 0..pdf.next_free_id().min(200) {
                    let _ = pdf.get((id, 0));
                }
            };
        }
    }
}
