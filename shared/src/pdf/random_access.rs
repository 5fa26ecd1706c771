//! A PDF read on demand: the cross-reference sections from the end of the file, then only the
//! objects asked for. Sealing needs a handful of objects (catalog, page tree root, AcroForm), not
//! the hundreds of MB of page content, so memory stays small whatever the size of the file.
//! lopdf parses whole documents eagerly; its object model and its object-stream decoder are
//! reused here, the reading of single objects at an offset is ours.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

use super::PdfError;

/// Anything a PDF can be read from: a file, or bytes in memory.
pub(crate) trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

/// Nesting deeper than this is refused (hostile input, not real documents).
const MAX_DEPTH: usize = 64;
/// Cross-reference sections followed through /Prev before giving up (loops, hostile input).
const MAX_SECTIONS: usize = 4096;
/// Objects a file may declare; bounds the entry table's memory (PDF's own limit is 8,388,607).
const MAX_OBJECTS: usize = 8_388_607;
/// Largest stream read into memory: cross-reference streams, object streams, metadata.
const MAX_STREAM: u64 = 64 * 1024 * 1024;
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
        self.get_guarded(id, &mut HashSet::new())
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
        let stream = match self.get_guarded((container, 0), seen)? {
            Object::Stream(s) => s,
            _ => return Err(damaged("an object stream is missing")),
        };
        let decoded = lopdf::ObjectStream::new_with_limit(&stream, Some(MAX_STREAM as usize))
            .map_err(|e| damaged(&format!("an object stream does not decode: {e}")))?;
        let objects = Arc::new(decoded.objects);
        if self.containers.len() >= CACHED_CONTAINERS {
            self.containers.clear();
        }
        self.containers.insert(container, objects.clone());
        Ok(objects)
    }

    // --- cross-reference sections

    fn read_sections(&mut self, start: u64) -> Result<(), PdfError> {
        let mut next = Some(start);
        let mut visited = HashSet::new();
        let mut newest = true;
        while let Some(offset) = next {
            if !visited.insert(offset) || visited.len() > MAX_SECTIONS {
                return Err(damaged("the cross-reference sections loop"));
            }
            let window = self.window(offset, 64)?;
            let skip = window.iter().take_while(|b| is_whitespace(**b)).count() as u64;
            let is_table = window[skip as usize..].starts_with(b"xref");
            if newest {
                self.xref_stream = !is_table;
                newest = false;
            }
            let trailer = if is_table {
                self.read_table(offset + skip)?
            } else {
                self.read_xref_stream(offset + skip)?
            };
            next = match trailer.get(b"Prev") {
                Ok(Object::Integer(p)) if *p >= 0 && (*p as u64) < self.len => Some(*p as u64),
                Ok(_) => return Err(damaged("/Prev does not point into the file")),
                Err(_) => None,
            };
            for (k, v) in trailer.iter() {
                if !self.trailer.has(k) && k.as_slice() != b"Prev" && k.as_slice() != b"XRefStm" {
                    self.trailer.set(k.clone(), v.clone());
                }
            }
        }
        Ok(())
    }

    fn set_entry(&mut self, id: u32, entry: Entry) -> Result<(), PdfError> {
        let index = id as usize;
        if index >= MAX_OBJECTS {
            return Err(damaged("too many objects"));
        }
        if index >= self.entries.len() {
            self.entries.resize(index + 1, Entry::Unset);
        }
        if self.entries[index] == Entry::Unset {
            self.entries[index] = entry;
        }
        Ok(())
    }

    fn read_table(&mut self, offset: u64) -> Result<Dictionary, PdfError> {
        let mut size = 64 * 1024;
        loop {
            let window = self.window(offset, size)?;
            let complete = offset + window.len() as u64 >= self.len;
            match parse_table(&window) {
                Ok((rows, trailer)) => {
                    let mut free = Vec::new();
                    for (id, offset, generation, in_use) in rows {
                        if in_use {
                            if offset >= self.len {
                                return Err(damaged("an xref entry points past the end"));
                            }
                            self.set_entry(id, Entry::Offset { offset, generation })?;
                        } else {
                            free.push(id);
                        }
                    }
                    // Hybrid file: objects in object streams are listed free in the table and
                    // found through /XRefStm, which comes before the table's older sections.
                    if let Ok(Object::Integer(x)) = trailer.get(b"XRefStm") {
                        if *x >= 0 && (*x as u64) < self.len {
                            self.read_xref_stream(*x as u64)?;
                        }
                    }
                    for id in free {
                        self.set_entry(id, Entry::Free)?;
                    }
                    return Ok(trailer);
                }
                Err(ParseError::Incomplete) if !complete && size < MAX_OBJECT * 8 => size *= 4,
                Err(_) => return Err(damaged("the cross-reference table does not parse")),
            }
        }
    }

    fn read_xref_stream(&mut self, offset: u64) -> Result<Dictionary, PdfError> {
        let (_, object) = self.object_at(offset, &mut HashSet::new())?;
        let stream = match object {
            Object::Stream(s) if s.dict.has_type(b"XRef") => s,
            _ => return Err(damaged("startxref does not point at cross-reference data")),
        };
        let data = stream
            .decompressed_content_with_limit(MAX_STREAM as usize)
            .map_err(|e| damaged(&format!("the cross-reference stream does not decode: {e}")))?;
        let widths: Vec<usize> = match stream.dict.get(b"W") {
            Ok(Object::Array(w)) if w.len() == 3 => w
                .iter()
                .map(|o| {
                    o.as_i64()
                        .ok()
                        .filter(|n| (0..=8).contains(n))
                        .map(|n| n as usize)
                })
                .collect::<Option<_>>()
                .ok_or_else(|| damaged("bad /W"))?,
            _ => return Err(damaged("bad /W")),
        };
        let size = stream
            .dict
            .get(b"Size")
            .and_then(Object::as_i64)
            .map_err(|_| damaged("no /Size"))?;
        let index: Vec<i64> = match stream.dict.get(b"Index") {
            Ok(Object::Array(a)) => a
                .iter()
                .map(|o| o.as_i64().map_err(|_| damaged("bad /Index")))
                .collect::<Result<_, _>>()?,
            _ => vec![0, size],
        };
        let row = widths.iter().sum::<usize>();
        if row == 0 || !index.len().is_multiple_of(2) {
            return Err(damaged("bad /W or /Index"));
        }
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (first, count) = (pair[0], pair[1]);
            if first < 0 || count < 0 || first + count > MAX_OBJECTS as i64 {
                return Err(damaged("bad /Index"));
            }
            for id in first..first + count {
                let Some(bytes) = rows.next() else {
                    return Err(damaged("the cross-reference stream is short"));
                };
                let field = |i: usize| {
                    let start: usize = widths[..i].iter().sum();
                    bytes[start..start + widths[i]]
                        .iter()
                        .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
                };
                let kind = if widths[0] == 0 { 1 } else { field(0) };
                let entry = match kind {
                    0 => Entry::Free,
                    1 => {
                        let offset = field(1);
                        if offset >= self.len {
                            return Err(damaged("an xref entry points past the end"));
                        }
                        Entry::Offset {
                            offset,
                            generation: field(2) as u16,
                        }
                    }
                    2 => Entry::Compressed {
                        container: u32::try_from(field(1))
                            .map_err(|_| damaged("bad object stream number"))?,
                    },
                    // Unknown types are to be treated as null references (ISO 32000-1 7.5.8.3).
                    _ => Entry::Free,
                };
                self.set_entry(id as u32, entry)?;
            }
        }
        Ok(stream.dict)
    }

    // --- objects

    /// Read `N G obj ... endobj` at `offset`.
    fn object_at(
        &mut self,
        offset: u64,
        seen: &mut HashSet<u32>,
    ) -> Result<(ObjectId, Object), PdfError> {
        let mut size = 4096;
        loop {
            let window = self.window(offset, size)?;
            let complete = offset + window.len() as u64 >= self.len;
            let mut lexer = Lexer::new(&window, complete);
            match lexer.indirect_header().and_then(|id| {
                let object = lexer.object(0)?;
                Ok((id, object, lexer.stream_start()?))
            }) {
                Ok((id, object, None)) => return Ok((id, object)),
                Ok((id, Object::Dictionary(dict), Some(data_at))) => {
                    let stream = self.stream_body(dict, offset + data_at as u64, seen)?;
                    return Ok((id, Object::Stream(stream)));
                }
                Ok(_) => return Err(damaged("a stream without a dictionary")),
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

    fn stream_body(
        &mut self,
        dict: Dictionary,
        data_at: u64,
        seen: &mut HashSet<u32>,
    ) -> Result<Stream, PdfError> {
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
        if length < 0 || data_at + length as u64 > self.len {
            return Err(damaged("a stream /Length points past the end"));
        }
        if length as u64 > MAX_STREAM {
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

/// `xref` subsections and the trailer dictionary: (id, offset, generation, in use) rows.
type TableRows = Vec<(u32, u64, u16, bool)>;

fn parse_table(buf: &[u8]) -> Result<(TableRows, Dictionary), ParseError> {
    let mut lexer = Lexer::new(buf, false);
    lexer.skip_ws()?;
    if !lexer.eat_keyword(b"xref") {
        return Err(ParseError::Invalid("no xref keyword"));
    }
    let mut rows = Vec::new();
    loop {
        lexer.skip_ws()?;
        if lexer.eat_keyword(b"trailer") {
            break;
        }
        let first = lexer.unsigned()?;
        let count = lexer.unsigned()?;
        if first + count > MAX_OBJECTS as u64 {
            return Err(ParseError::Invalid("too many objects"));
        }
        for id in first..first + count {
            let offset = lexer.unsigned()?;
            let generation = lexer.unsigned()?;
            lexer.skip_ws()?;
            let kind = lexer.byte()?;
            let in_use = match kind {
                b'n' => true,
                b'f' => false,
                _ => return Err(ParseError::Invalid("bad xref entry")),
            };
            rows.push((id as u32, offset, generation.min(65535) as u16, in_use));
        }
    }
    match lexer.object(0)? {
        Object::Dictionary(d) => Ok((rows, d)),
        _ => Err(ParseError::Invalid("trailer is not a dictionary")),
    }
}

// --- the object lexer/parser over a window of bytes

#[derive(Debug)]
enum ParseError {
    /// The window ended inside the object: read more.
    Incomplete,
    Invalid(&'static str),
}

type Parsed<T> = Result<T, ParseError>;

struct Lexer<'b> {
    buf: &'b [u8],
    pos: usize,
    /// The window reaches the end of the file: running out is an error, not a reason to read on.
    at_eof: bool,
}

fn is_whitespace(b: u8) -> bool {
    matches!(b, b'\0' | b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%'
    )
}

impl<'b> Lexer<'b> {
    fn new(buf: &'b [u8], at_eof: bool) -> Self {
        Self {
            buf,
            pos: 0,
            at_eof,
        }
    }

    fn out(&self) -> ParseError {
        if self.at_eof {
            ParseError::Invalid("unexpected end of file")
        } else {
            ParseError::Incomplete
        }
    }

    fn peek(&self) -> Parsed<u8> {
        self.buf.get(self.pos).copied().ok_or_else(|| self.out())
    }

    fn byte(&mut self) -> Parsed<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    fn skip_ws(&mut self) -> Parsed<()> {
        loop {
            match self.buf.get(self.pos) {
                Some(b) if is_whitespace(*b) => self.pos += 1,
                Some(b'%') => {
                    while let Some(b) = self.buf.get(self.pos) {
                        if *b == b'\n' || *b == b'\r' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                Some(_) => return Ok(()),
                None => return Err(self.out()),
            }
        }
    }

    /// A regular-character token (keyword or number) without consuming it.
    fn token(&self) -> Parsed<&'b [u8]> {
        let start = self.pos;
        let mut end = start;
        while let Some(b) = self.buf.get(end) {
            if is_whitespace(*b) || is_delimiter(*b) {
                return Ok(&self.buf[start..end]);
            }
            end += 1;
        }
        if self.at_eof {
            Ok(&self.buf[start..end])
        } else {
            Err(ParseError::Incomplete)
        }
    }

    fn eat_keyword(&mut self, keyword: &[u8]) -> bool {
        match self.token() {
            Ok(t) if t == keyword => {
                self.pos += t.len();
                true
            }
            _ => false,
        }
    }

    fn unsigned(&mut self) -> Parsed<u64> {
        self.skip_ws()?;
        let t = self.token()?;
        if t.is_empty() || t.len() > 19 || !t.iter().all(u8::is_ascii_digit) {
            return Err(ParseError::Invalid("expected a number"));
        }
        self.pos += t.len();
        std::str::from_utf8(t)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(ParseError::Invalid("expected a number"))
    }

    fn indirect_header(&mut self) -> Parsed<ObjectId> {
        let number = self.unsigned()?;
        let generation = self.unsigned()?;
        self.skip_ws()?;
        if !self.eat_keyword(b"obj") {
            return Err(ParseError::Invalid("no obj keyword"));
        }
        let number = u32::try_from(number).map_err(|_| ParseError::Invalid("object number"))?;
        Ok((number, generation.min(65535) as u16))
    }

    /// After the object: `stream` + EOL gives the offset of the data, `endobj` gives None.
    fn stream_start(&mut self) -> Parsed<Option<usize>> {
        self.skip_ws()?;
        if self.eat_keyword(b"stream") {
            match self.byte()? {
                b'\r' => {
                    if self.peek()? == b'\n' {
                        self.pos += 1;
                    }
                }
                b'\n' => {}
                _ => return Err(ParseError::Invalid("no end of line after stream")),
            }
            Ok(Some(self.pos))
        } else if self.eat_keyword(b"endobj") {
            Ok(None)
        } else {
            Err(ParseError::Invalid("no endobj"))
        }
    }

    fn object(&mut self, depth: usize) -> Parsed<Object> {
        if depth > MAX_DEPTH {
            return Err(ParseError::Invalid("nested too deeply"));
        }
        self.skip_ws()?;
        match self.peek()? {
            b'<' => {
                if self.buf.get(self.pos + 1) == Some(&b'<') {
                    self.pos += 2;
                    self.dictionary(depth).map(Object::Dictionary)
                } else if self.pos + 1 >= self.buf.len() {
                    Err(self.out())
                } else {
                    self.pos += 1;
                    self.hex_string()
                }
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws()?;
                    if self.peek()? == b']' {
                        self.pos += 1;
                        return Ok(Object::Array(items));
                    }
                    items.push(self.object(depth + 1)?);
                }
            }
            b'(' => {
                self.pos += 1;
                self.literal_string()
            }
            b'/' => {
                self.pos += 1;
                self.name().map(Object::Name)
            }
            b'>' | b']' | b')' | b'{' | b'}' => Err(ParseError::Invalid("unexpected delimiter")),
            _ => self.keyword_or_number(),
        }
    }

    fn dictionary(&mut self, depth: usize) -> Parsed<Dictionary> {
        let mut dict = Dictionary::new();
        loop {
            self.skip_ws()?;
            match self.peek()? {
                b'>' => {
                    self.pos += 1;
                    return if self.byte()? == b'>' {
                        Ok(dict)
                    } else {
                        Err(ParseError::Invalid("unbalanced >"))
                    };
                }
                b'/' => {
                    self.pos += 1;
                    let key = self.name()?;
                    let value = self.object(depth + 1)?;
                    // A null value is the same as no entry (ISO 32000-1 7.3.7).
                    if value != Object::Null {
                        dict.set(key, value);
                    }
                }
                _ => return Err(ParseError::Invalid("dictionary key is not a name")),
            }
        }
    }

    fn name(&mut self) -> Parsed<Vec<u8>> {
        let raw = self.token()?;
        self.pos += raw.len();
        let mut name = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'#' {
                if let Some(v) = raw
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    name.push(v);
                    i += 3;
                    continue;
                }
            }
            name.push(raw[i]);
            i += 1;
        }
        Ok(name)
    }

    fn hex_string(&mut self) -> Parsed<Object> {
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let b = self.byte()?;
            if b == b'>' {
                break;
            }
            if is_whitespace(b) {
                continue;
            }
            let v = (b as char)
                .to_digit(16)
                .ok_or(ParseError::Invalid("bad hex string"))? as u8;
            match high.take() {
                None => high = Some(v),
                Some(h) => out.push(h << 4 | v),
            }
        }
        if let Some(h) = high {
            out.push(h << 4);
        }
        Ok(Object::String(out, StringFormat::Hexadecimal))
    }

    fn literal_string(&mut self) -> Parsed<Object> {
        let mut out = Vec::new();
        let mut depth = 1usize;
        loop {
            let b = self.byte()?;
            match b {
                b'(' => {
                    depth += 1;
                    out.push(b);
                }
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                    out.push(b);
                }
                b'\\' => {
                    let e = self.byte()?;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'\r' => {
                            if self.peek()? == b'\n' {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek()? {
                                    d @ b'0'..=b'7' => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push(v as u8);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(b),
            }
        }
        Ok(Object::String(out, StringFormat::Literal))
    }

    fn keyword_or_number(&mut self) -> Parsed<Object> {
        let t = self.token()?;
        if t.is_empty() {
            return Err(ParseError::Invalid("unexpected character"));
        }
        match t {
            b"true" => {
                self.pos += 4;
                return Ok(Object::Boolean(true));
            }
            b"false" => {
                self.pos += 5;
                return Ok(Object::Boolean(false));
            }
            b"null" => {
                self.pos += 4;
                return Ok(Object::Null);
            }
            _ => {}
        }
        let text = std::str::from_utf8(t).map_err(|_| ParseError::Invalid("bad number"))?;
        if let Ok(n) = text.parse::<i64>() {
            self.pos += t.len();
            // `N G R` is a reference; look ahead without committing.
            if (0..=i64::from(u32::MAX)).contains(&n) {
                let save = self.pos;
                if let Some(r) = self.reference_tail(n as u32)? {
                    return Ok(r);
                }
                self.pos = save;
            }
            return Ok(Object::Integer(n));
        }
        let real = text
            .parse::<f64>()
            .ok()
            .filter(|_| {
                text.bytes()
                    .all(|b| b.is_ascii_digit() || b"+-.".contains(&b))
            })
            .ok_or(ParseError::Invalid("bad number"))?;
        self.pos += t.len();
        Ok(Object::Real(real as f32))
    }

    /// After an integer: ` G R`, or None (restore position).
    fn reference_tail(&mut self, number: u32) -> Parsed<Option<Object>> {
        if self.skip_ws().is_err() {
            return if self.at_eof {
                Ok(None)
            } else {
                Err(ParseError::Incomplete)
            };
        }
        let g = match self.token() {
            Ok(g) if !g.is_empty() && g.len() <= 5 && g.iter().all(u8::is_ascii_digit) => g,
            Ok(_) => return Ok(None),
            Err(e) => return Err(e),
        };
        self.pos += g.len();
        if self.skip_ws().is_err() {
            return if self.at_eof {
                Ok(None)
            } else {
                Err(ParseError::Incomplete)
            };
        }
        match self.token() {
            Ok(b"R") => {
                self.pos += 1;
                let generation: u16 = std::str::from_utf8(g)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(0);
                Ok(Some(Object::Reference((number, generation))))
            }
            Ok(_) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn parse(text: &[u8]) -> Object {
        Lexer::new(text, true).object(0).unwrap()
    }

    #[test]
    fn parses_the_object_syntax() {
        let o = parse(b"<< /Type /Catalog /Pages 2 0 R /A [1 -2 3.5 (a\\(b\\)c\\101) <48 49>] /N#20x null /T true >>");
        let d = o.as_dict().unwrap();
        assert_eq!(d.get(b"Type").unwrap().as_name().unwrap(), b"Catalog");
        assert_eq!(d.get(b"Pages").unwrap().as_reference().unwrap(), (2, 0));
        let a = d.get(b"A").unwrap().as_array().unwrap();
        assert_eq!(a[0], Object::Integer(1));
        assert_eq!(a[1], Object::Integer(-2));
        assert_eq!(a[2], Object::Real(3.5));
        assert_eq!(a[3].as_str().unwrap(), b"a(b)cA");
        assert_eq!(a[4].as_str().unwrap(), b"HI");
        assert!(!d.has(b"N x"), "null values are no entry");
        assert_eq!(d.get(b"T").unwrap(), &Object::Boolean(true));
        // Two integers that are not a reference stay integers.
        assert_eq!(
            parse(b"[1 2 3]").as_array().unwrap().clone(),
            vec![Object::Integer(1), Object::Integer(2), Object::Integer(3)]
        );
    }

    #[test]
    fn a_cut_window_asks_for_more_and_a_cut_file_is_an_error() {
        for cut in [
            b"<< /A [1 2".as_slice(),
            b"<< /A (abc",
            b"<< /A 1 0",
            b"<</A/B",
        ] {
            assert!(matches!(
                Lexer::new(cut, false).object(0),
                Err(ParseError::Incomplete)
            ));
            assert!(matches!(
                Lexer::new(cut, true).object(0),
                Err(ParseError::Invalid(_))
            ));
        }
    }

    #[test]
    fn hostile_nesting_is_refused_not_overflowed() {
        let deep = "[".repeat(100_000);
        assert!(Lexer::new(deep.as_bytes(), true).object(0).is_err());
    }

    #[test]
    fn reads_the_same_objects_as_lopdf_on_every_xref_shape() {
        let original = crate::pdf::test_support::fixture(crate::pdf::test_support::FIXTURE_2B);
        for (shape, bytes) in [
            ("as made", original.clone()),
            (
                "object streams",
                crate::pdf::test_support::qpdf_transform(&original, &["--object-streams=generate"]),
            ),
            (
                "linearized",
                crate::pdf::test_support::qpdf_transform(&original, &["--linearize"]),
            ),
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
        let original = crate::pdf::test_support::fixture(crate::pdf::test_support::FIXTURE_2B);
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
