//! The signed file as the verifier reads it: on demand, from a file or from memory. Digests
//! run over the byte ranges in chunks and the objects are read one by one, so verifying an
//! archive version of hundreds of MB costs a few MB of memory.

use std::io::{Read, Seek, SeekFrom};

use lopdf::{Dictionary, Object};
use sha2::{Digest, Sha256};

use crate::pdf::random_access::{RandomAccessPdf, Source};
use crate::pdf::PdfError;

const CHUNK: usize = 1024 * 1024;
/// How far back from a revision's end `%%EOF` may stand behind line ends.
const EOF_TAIL: u64 = 1024;

pub(super) struct SignedFile<S> {
    src: S,
    pub len: u64,
}

impl<S: Source> SignedFile<S> {
    pub fn new(mut src: S) -> Result<Self, PdfError> {
        let len = src.seek(SeekFrom::End(0))?;
        Ok(Self { src, len })
    }

    /// The document as of its newest revision (objects read when asked for).
    pub fn newest(&mut self) -> Result<RandomAccessPdf<'_>, PdfError> {
        RandomAccessPdf::open(&mut self.src)
    }

    /// SHA-256 over the given (start, length) ranges, already checked to lie in the file.
    pub fn digest(&mut self, ranges: &[(u64, u64)]) -> Result<[u8; 32], PdfError> {
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; CHUNK];
        for (start, len) in ranges {
            self.src.seek(SeekFrom::Start(*start))?;
            let mut left = *len;
            while left > 0 {
                let take = left.min(CHUNK as u64) as usize;
                self.src.read_exact(&mut buf[..take])?;
                hasher.update(&buf[..take]);
                left -= take as u64;
            }
        }
        Ok(hasher.finalize().into())
    }

    /// Whether the bytes between `from` and `to` are `<` hex digits `>`: the /Contents gap a
    /// ByteRange leaves out.
    pub fn is_hex_string(&mut self, from: u64, to: u64) -> Result<bool, PdfError> {
        if to < from + 2 {
            return Ok(false);
        }
        let mut buf = vec![0u8; CHUNK];
        self.src.seek(SeekFrom::Start(from))?;
        let mut at = from;
        while at < to {
            let take = (to - at).min(CHUNK as u64) as usize;
            self.src.read_exact(&mut buf[..take])?;
            for (i, b) in buf[..take].iter().enumerate() {
                let pos = at + i as u64;
                let ok = if pos == from {
                    *b == b'<'
                } else if pos == to - 1 {
                    *b == b'>'
                } else {
                    b.is_ascii_hexdigit()
                };
                if !ok {
                    return Ok(false);
                }
            }
            at += take as u64;
        }
        Ok(true)
    }

    /// Whether the file's first `end` bytes end with `%%EOF` (line ends after it allowed).
    pub fn revision_ends_with_eof(&mut self, end: u64) -> Result<bool, PdfError> {
        let start = end.saturating_sub(EOF_TAIL);
        let mut tail = vec![0u8; (end - start) as usize];
        self.src.seek(SeekFrom::Start(start))?;
        self.src.read_exact(&mut tail)?;
        let mut revision = tail.as_slice();
        while let Some((last, rest)) = revision.split_last() {
            if *last == b'\n' || *last == b'\r' {
                revision = rest;
            } else {
                break;
            }
        }
        Ok(revision.ends_with(b"%%EOF"))
    }

    /// Whether the revision that ends at `end` has a document security store.
    pub fn revision_has_dss(&mut self, end: u64) -> bool {
        if end > self.len {
            return false;
        }
        let Ok(mut pdf) = RandomAccessPdf::open(Prefix {
            src: &mut self.src,
            len: end,
            pos: 0,
        }) else {
            return false;
        };
        catalog(&mut pdf).is_some_and(|c| c.has(b"DSS"))
    }
}

/// The document catalog of `pdf`.
pub(super) fn catalog(pdf: &mut RandomAccessPdf<'_>) -> Option<Dictionary> {
    let root = pdf.trailer.get(b"Root").ok()?.clone();
    match pdf.resolve(&root).ok()? {
        Object::Dictionary(d) => Some(d),
        _ => None,
    }
}

/// The first `len` bytes of a source, as a file of its own (an earlier revision).
struct Prefix<S> {
    src: S,
    len: u64,
    pos: u64,
}

impl<S: Read + Seek> Read for Prefix<S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let left = self.len.saturating_sub(self.pos);
        let take = (buf.len() as u64).min(left) as usize;
        if take == 0 {
            return Ok(0);
        }
        self.src.seek(SeekFrom::Start(self.pos))?;
        let n = self.src.read(&mut buf[..take])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<S: Read + Seek> Seek for Prefix<S> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target.ok_or_else(|| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "seek before the start")
        })?;
        Ok(self.pos)
    }
}
