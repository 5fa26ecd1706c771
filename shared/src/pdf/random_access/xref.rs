//! The cross-reference sections, newest first through `/Prev`: classic tables, cross-reference
//! streams and hybrid files, into the reader's table of where each object is.

use std::collections::HashSet;

use lopdf::{Dictionary, Object};

use super::lexer::{is_whitespace, Lexer, ParseError};
use super::{damaged, Entry, RandomAccessPdf, MAX_OBJECT, MAX_OBJECTS, MAX_SECTIONS, MAX_STREAM};
use crate::pdf::PdfError;

impl RandomAccessPdf<'_> {
    pub(super) fn read_sections(&mut self, start: u64) -> Result<(), PdfError> {
        let mut next = Some(start);
        let mut visited = HashSet::new();
        let mut newest = true;
        while let Some(offset) = next {
            // A /Prev back to a section already read adds nothing (its entries are in): the
            // chain ends there, as readers treat it. Endless fresh sections are refused.
            if !visited.insert(offset) {
                break;
            }
            if visited.len() > MAX_SECTIONS {
                return Err(damaged("too many cross-reference sections"));
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
        let data = match crate::pdf::decode_stream(&stream, MAX_STREAM as usize) {
            Ok(data) => data,
            Err(e @ PdfError::StreamTooLarge { .. }) => return Err(e),
            Err(e) => {
                return Err(damaged(&format!(
                    "the cross-reference stream does not decode: {e}"
                )))
            }
        };
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
