//! The placeholders of a signature dictionary: /ByteRange and /Contents written at known
//! offsets, the signed ranges hashed around the /Contents hole, and both filled in afterwards.

use lopdf::ObjectId;
use sha2::{Digest, Sha256};

use super::error::SealError;
use crate::pdf::update::{text_string, UpdateWriter};
use crate::pdf::PdfError;

/// Bytes of DER reserved for the CMS (hex doubles it). Under PDF/A's 32,767-byte string limit.
pub const CONTENTS_RESERVED_BYTES: usize = 16 * 1024;
/// Width of the /ByteRange array placeholder: room for four offsets of 11+ digits.
const BYTE_RANGE_WIDTH: usize = 60;

/// The bytes of /Contents, `<` to `>`, that a ByteRange leaves out.
pub(super) fn contents_hole(contents_lt: usize) -> std::ops::Range<usize> {
    contents_lt..contents_lt + 2 + 2 * CONTENTS_RESERVED_BYTES
}

/// Hash an update but for its /Contents (the signed ranges within it).
pub(super) fn hash_outside_contents(hasher: &mut Sha256, update: &[u8], contents_lt: usize) {
    let hole = contents_hole(contents_lt);
    hasher.update(&update[..hole.start]);
    hasher.update(&update[hole.end..]);
}

/// Write `der` as hex into the zeros of /Contents.
pub(super) fn fill_contents(
    update: &mut [u8],
    contents_lt: usize,
    der: &[u8],
) -> Result<(), SealError> {
    check_fits(der.len())?;
    let hex = hex::encode_upper(der);
    update[contents_lt + 1..contents_lt + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    Ok(())
}

pub(super) fn check_fits(needed: usize) -> Result<(), SealError> {
    if needed > CONTENTS_RESERVED_BYTES {
        return Err(SealError::ContentsOverflow {
            needed,
            reserved: CONTENTS_RESERVED_BYTES,
        });
    }
    Ok(())
}

/// A /Sig or /DocTimeStamp dictionary serialised by hand, so the offsets of its /ByteRange and
/// /Contents placeholders are known exactly.
pub(super) struct SigDictionary {
    body: Vec<u8>,
}

impl SigDictionary {
    pub(super) fn new(head: &[u8]) -> Self {
        let mut body = b"<<\n".to_vec();
        body.extend_from_slice(head);
        Self { body }
    }

    pub(super) fn text(&mut self, key: &str, value: &str) -> Result<(), PdfError> {
        self.body.extend_from_slice(format!("\n/{key} ").as_bytes());
        lopdf::Writer::write_object(&mut self.body, &text_string(value))
            .map_err(|e| PdfError::Unreadable(e.to_string()))
    }

    /// Write it; returns the offsets in the update of the `[` of /ByteRange and the `<` of
    /// /Contents.
    pub(super) fn write(
        mut self,
        writer: &mut UpdateWriter,
        id: ObjectId,
    ) -> Result<(usize, usize), PdfError> {
        self.body.extend_from_slice(b"\n/ByteRange ");
        let byte_range_rel = self.body.len();
        let mut placeholder = b"[0 0 0 0".to_vec();
        placeholder.resize(BYTE_RANGE_WIDTH - 1, b' ');
        placeholder.push(b']');
        self.body.extend_from_slice(&placeholder);
        self.body.extend_from_slice(b"\n/Contents ");
        let contents_rel = self.body.len();
        self.body.push(b'<');
        self.body
            .resize(self.body.len() + 2 * CONTENTS_RESERVED_BYTES, b'0');
        self.body.extend_from_slice(b">\n>>");
        let start = writer.write_raw_object(id, &self.body)?;
        Ok((start + byte_range_rel, start + contents_rel))
    }
}

/// Patch /ByteRange [0 a b c] in place, padded with spaces inside the brackets. `base` is the
/// file offset where `update` starts, `total` the file length after it.
pub(super) fn fill_byte_range(
    update: &mut [u8],
    base: u64,
    total: u64,
    byte_range_at: usize,
    contents_lt: usize,
) -> Result<(), PdfError> {
    let hole = contents_hole(contents_lt);
    let (contents_start, contents_end) = (base + hole.start as u64, base + hole.end as u64);
    let byte_range = format!(
        "[0 {contents_start} {contents_end} {}",
        total - contents_end
    );
    if byte_range.len() + 1 > BYTE_RANGE_WIDTH {
        return Err(PdfError::TooLarge);
    }
    let mut field = byte_range.into_bytes();
    field.resize(BYTE_RANGE_WIDTH - 1, b' ');
    field.push(b']');
    update[byte_range_at..byte_range_at + BYTE_RANGE_WIDTH].copy_from_slice(&field);
    Ok(())
}
