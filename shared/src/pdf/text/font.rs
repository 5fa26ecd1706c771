//! A page's font as the text reader needs it: how its string bytes split into codes, the
//! Unicode of each code, and each code's width. Built for safety, not for display: a code the
//! font cannot map to Unicode is reported as unmapped (the page cannot be checked for
//! personnummer), never guessed. lopdf parses the ToUnicode CMaps and the standard encodings;
//! what it would silently replace by StandardEncoding (an unknown or broken encoding, a
//! symbolic font without a map) is refused here instead.

use std::collections::HashMap;

use lopdf::Encoding;
use lopdf::{Dictionary, Object};

use super::Resolve;
use crate::pdf::{PdfError, MAX_DECODED_METADATA};

/// How a font's codes map to Unicode.
enum Map {
    /// One byte per code; `None` where the code has no Unicode.
    OneByte(Box<[Option<String>; 256]>),
    /// Two bytes per code (Type0 with Identity-H), through its ToUnicode CMap (held as the
    /// lopdf encoding that owns it: lopdf does not export the CMap type).
    TwoByte(Encoding<'static>),
    /// Nothing the font shows can be read as text.
    Unmapped,
}

pub(super) struct PageFont {
    map: Map,
    /// Glyph widths in thousandths of text space, by code.
    widths: HashMap<u32, f32>,
    /// The width of a code not in `widths`; None when the font gives none (a standard font
    /// without /Widths): positions on its line are then unknown.
    default_width: Option<f32>,
}

/// A glyph's code in a string: where its bytes lie, and the code.
pub(super) struct Code {
    pub bytes: std::ops::Range<usize>,
    pub code: u32,
}

impl PageFont {
    pub fn load(font: &Dictionary, resolve: &mut Resolve<'_>) -> Result<Self, PdfError> {
        let subtype = font
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or(b"");
        if subtype == b"Type0" {
            return Self::load_type0(font, resolve);
        }
        let map = one_byte_map(font, resolve)?;
        let (mut widths, mut default_width) = simple_widths(font, resolve)?;
        if default_width.is_none() {
            // A standard font without /Widths: readers know its widths, so do we.
            let base = font
                .get(b"BaseFont")
                .and_then(Object::as_name)
                .unwrap_or(b"");
            let base = base
                .iter()
                .position(|b| *b == b'+')
                .map_or(base, |p| &base[p + 1..]);
            match super::standard_widths::standard_widths(base) {
                Some(Ok(table)) => {
                    if let Map::OneByte(codes) = &map {
                        for (code, text) in codes.iter().enumerate() {
                            let unit = text.as_ref().and_then(|t| t.encode_utf16().next());
                            if let Some(w) = unit.and_then(|u| {
                                table
                                    .binary_search_by_key(&u, |(c, _)| *c)
                                    .ok()
                                    .map(|i| table[i].1)
                            }) {
                                widths.insert(code as u32, f32::from(w));
                            }
                        }
                    }
                    default_width = Some(0.0);
                }
                Some(Err(fixed)) => default_width = Some(f32::from(fixed)),
                None => {}
            }
        }
        Ok(PageFont {
            map,
            widths,
            default_width,
        })
    }

    fn load_type0(font: &Dictionary, resolve: &mut Resolve<'_>) -> Result<Self, PdfError> {
        let identity = matches!(font.get(b"Encoding"), Ok(Object::Name(n)) if n == b"Identity-H");
        let map = match (identity, to_unicode(font, resolve)?) {
            (true, Some(cmap)) => Map::TwoByte(cmap),
            _ => Map::Unmapped,
        };
        let descendant = match font.get(b"DescendantFonts").map(&mut *resolve) {
            Ok(Ok(Object::Array(a))) => match a.first().map(&mut *resolve) {
                Some(Ok(Object::Dictionary(d))) => d,
                _ => Dictionary::new(),
            },
            _ => Dictionary::new(),
        };
        let default = descendant
            .get(b"DW")
            .ok()
            .and_then(number)
            .unwrap_or(1000.0);
        let mut widths = HashMap::new();
        if let Ok(Ok(Object::Array(w))) = descendant.get(b"W").map(&mut *resolve) {
            cid_widths(&w, resolve, &mut widths);
        }
        Ok(PageFont {
            map,
            widths,
            default_width: Some(default),
        })
    }

    /// The codes of a shown string, in order.
    pub fn codes(&self, bytes: &[u8]) -> Vec<Code> {
        let step = if matches!(self.map, Map::TwoByte(_)) {
            2
        } else {
            1
        };
        (0..bytes.len())
            .step_by(step)
            .map(|i| {
                let end = (i + step).min(bytes.len());
                let code = bytes[i..end]
                    .iter()
                    .fold(0u32, |acc, b| acc << 8 | u32::from(*b));
                Code {
                    bytes: i..end,
                    code,
                }
            })
            .collect()
    }

    /// The Unicode text of a code, or None when the font cannot say.
    pub fn text(&self, code: u32) -> Option<String> {
        match &self.map {
            Map::OneByte(table) => table.get(code as usize).cloned().flatten(),
            Map::TwoByte(cmap) => cmap
                .bytes_to_string(&[(code >> 8) as u8, code as u8])
                .ok()
                .filter(|t| !t.is_empty() && !t.contains('\u{FFFD}')),
            Map::Unmapped => None,
        }
    }

    /// The code's width in thousandths of text space (None: the font gives no widths).
    pub fn width(&self, code: u32) -> Option<f32> {
        self.widths.get(&code).copied().or(self.default_width)
    }

    /// Whether a code is one byte 32 (word spacing applies to it).
    pub fn is_single_byte_space(&self, code: &Code) -> bool {
        code.code == 32 && code.bytes.len() == 1
    }
}

/// The font's ToUnicode CMap, parsed by lopdf (None when it has none; an error when it has
/// one that cannot be read: its text cannot be trusted).
fn to_unicode(
    font: &Dictionary,
    resolve: &mut Resolve<'_>,
) -> Result<Option<Encoding<'static>>, PdfError> {
    let stream = match font.get(b"ToUnicode") {
        Ok(t) => match resolve(t)? {
            Object::Stream(s) => s,
            _ => return Ok(None),
        },
        Err(_) => return Ok(None),
    };
    let mut doc = lopdf::Document::with_version("1.7");
    let id = doc.add_object(Object::Stream(stream));
    let mut probe = Dictionary::new();
    probe.set("Type", Object::Name(b"Font".to_vec()));
    probe.set("ToUnicode", Object::Reference(id));
    match probe.get_font_encoding_with_limit(&doc, MAX_DECODED_METADATA) {
        Ok(Encoding::UnicodeMapEncoding(cmap)) => Ok(Some(Encoding::UnicodeMapEncoding(cmap))),
        // lopdf falls back to StandardEncoding on a CMap it cannot parse.
        _ => Err(PdfError::Unsupported(
            "a font's ToUnicode map cannot be read".into(),
        )),
    }
}

/// A simple font's codes to Unicode: its ToUnicode CMap where it has one (what the producer
/// says the glyphs mean), else its encoding (a standard one, or one with /Differences).
fn one_byte_map(font: &Dictionary, resolve: &mut Resolve<'_>) -> Result<Map, PdfError> {
    let mut table: Box<[Option<String>; 256]> = Box::new(std::array::from_fn(|_| None));
    if let Some(cmap) = to_unicode(font, resolve)? {
        for (code, slot) in table.iter_mut().enumerate() {
            *slot = cmap
                .bytes_to_string(&[code as u8])
                .ok()
                .filter(|t| !t.is_empty() && !t.contains('\u{FFFD}'));
        }
        return Ok(Map::OneByte(table));
    }
    let encoding = match font.get(b"Encoding").map(&mut *resolve) {
        Ok(Ok(e)) => e,
        _ => {
            // No encoding: the font's own. Fine for a non-symbolic font (StandardEncoding);
            // a symbolic one's codes mean nothing we can know.
            let symbolic = match font.get(b"FontDescriptor").map(&mut *resolve) {
                Ok(Ok(Object::Dictionary(d))) => d
                    .get(b"Flags")
                    .and_then(Object::as_i64)
                    .is_ok_and(|f| f & 4 != 0),
                _ => false,
            };
            if symbolic {
                return Ok(Map::Unmapped);
            }
            Object::Name(b"StandardEncoding".to_vec())
        }
    };
    let known = match &encoding {
        Object::Name(n) => matches!(
            n.as_slice(),
            b"WinAnsiEncoding" | b"StandardEncoding" | b"MacRomanEncoding" | b"MacExpertEncoding"
        ),
        Object::Dictionary(_) => true,
        _ => false,
    };
    if !known {
        return Ok(Map::Unmapped);
    }
    let doc = lopdf::Document::with_version("1.7");
    let mut probe = Dictionary::new();
    probe.set("Type", Object::Name(b"Font".to_vec()));
    probe.set("Encoding", encoding);
    let Ok(encoding) = probe.get_font_encoding_with_limit(&doc, MAX_DECODED_METADATA) else {
        return Ok(Map::Unmapped);
    };
    for (code, slot) in table.iter_mut().enumerate() {
        *slot = encoding
            .bytes_to_string(&[code as u8])
            .ok()
            .filter(|t| !t.is_empty() && !t.contains('\u{FFFD}'));
    }
    Ok(Map::OneByte(table))
}

fn number(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
}

/// /FirstChar and /Widths, with /MissingWidth for the rest.
fn simple_widths(
    font: &Dictionary,
    resolve: &mut Resolve<'_>,
) -> Result<(HashMap<u32, f32>, Option<f32>), PdfError> {
    let mut widths = HashMap::new();
    let first = font
        .get(b"FirstChar")
        .ok()
        .and_then(number)
        .unwrap_or(0.0)
        .max(0.0) as u32;
    let listed = match font.get(b"Widths").map(&mut *resolve) {
        Ok(Ok(Object::Array(w))) => {
            for (i, w) in w.iter().take(256).enumerate() {
                if let Some(w) = resolve(w).ok().as_ref().and_then(number) {
                    widths.insert(first + i as u32, w);
                }
            }
            true
        }
        _ => false,
    };
    let missing = match font.get(b"FontDescriptor").map(&mut *resolve) {
        Ok(Ok(Object::Dictionary(d))) => d.get(b"MissingWidth").ok().and_then(number),
        _ => None,
    };
    Ok((
        widths,
        if listed {
            Some(missing.unwrap_or(0.0))
        } else {
            None
        },
    ))
}

/// A CIDFont's /W: `c [w1 w2 …]` or `c_first c_last w`.
fn cid_widths(w: &[Object], resolve: &mut Resolve<'_>, out: &mut HashMap<u32, f32>) {
    let mut i = 0;
    let limit = 65_536;
    while i < w.len() && out.len() < limit {
        let Some(start) = number(&w[i]) else { break };
        match w.get(i + 1).map(&mut *resolve) {
            Some(Ok(Object::Array(list))) => {
                for (k, v) in list.iter().take(limit).enumerate() {
                    if let Some(v) = number(v) {
                        out.insert(start as u32 + k as u32, v);
                    }
                }
                i += 2;
            }
            Some(Ok(end)) => {
                let (Some(end), Some(v)) = (number(&end), w.get(i + 2).and_then(number)) else {
                    break;
                };
                let (start, end) = (start as u32, (end as u32).min(start as u32 + limit as u32));
                for c in start..=end {
                    out.insert(c, v);
                }
                i += 3;
            }
            _ => break,
        }
    }
}
