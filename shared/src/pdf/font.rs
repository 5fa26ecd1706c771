//! Embedded TrueType fonts for the appended pages. PDF/A requires embedded fonts, so the pages
//! use DejaVu Sans (shipped in `shared/assets/fonts`) unless the application registers other
//! fonts once at start-up with [`register_embedded_fonts`]. They are written as simple WinAnsi
//! TrueType fonts with widths read from the font program (PDF/A checks that they agree).
//! Standard Helvetica (not embedded) remains only as the fallback should a font not parse.

use std::sync::OnceLock;

use lopdf::{dictionary, Dictionary, Object, ObjectId, Stream};

use super::page::win_ansi_decode;
use super::PdfError;

/// A parsed TrueType font: the program bytes and what the PDF font dictionary needs.
#[derive(Debug, Clone)]
pub struct TrueTypeFont {
    program: Vec<u8>,
    postscript_name: String,
    /// Advance widths in 1/1000 em for WinAnsi codes 0..=255 (0 where no glyph).
    widths: [u32; 256],
    bbox: [i64; 4],
    ascent: i64,
    descent: i64,
    cap_height: i64,
    italic_angle: i64,
    bold: bool,
}

#[derive(Debug, Clone)]
pub struct FontPair {
    pub regular: TrueTypeFont,
    pub bold: TrueTypeFont,
}

static EMBEDDED_FONTS: OnceLock<FontPair> = OnceLock::new();

/// Register the fonts used by `seal` and `publication_version` from now on (first call wins).
/// Both must be TrueType (glyf) fonts with a Windows Unicode (3,1) cmap covering Latin-1.
pub fn register_embedded_fonts(regular_ttf: &[u8], bold_ttf: &[u8]) -> Result<(), PdfError> {
    let pair = FontPair {
        regular: TrueTypeFont::parse(regular_ttf, false)?,
        bold: TrueTypeFont::parse(bold_ttf, true)?,
    };
    let _ = EMBEDDED_FONTS.set(pair);
    Ok(())
}

const DEFAULT_REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const DEFAULT_BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The registered fonts, else the shipped DejaVu Sans.
pub(crate) fn registered_fonts() -> Option<&'static FontPair> {
    if let Some(pair) = EMBEDDED_FONTS.get() {
        return Some(pair);
    }
    let default = TrueTypeFont::parse(DEFAULT_REGULAR, false)
        .and_then(|regular| Ok((regular, TrueTypeFont::parse(DEFAULT_BOLD, true)?)));
    match default {
        Ok((regular, bold)) => Some(EMBEDDED_FONTS.get_or_init(|| FontPair { regular, bold })),
        Err(e) => {
            tracing::error!(error = %e, "shipped font unreadable; falling back to Helvetica");
            None
        }
    }
}

fn bad(what: &str) -> PdfError {
    PdfError::Unsupported(format!("font: {what}"))
}

fn u16_at(data: &[u8], at: usize) -> Result<u16, PdfError> {
    data.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| bad("truncated table"))
}

fn i16_at(data: &[u8], at: usize) -> Result<i16, PdfError> {
    u16_at(data, at).map(|v| v as i16)
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, PdfError> {
    data.get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| bad("truncated table"))
}

fn table<'a>(data: &'a [u8], tag: &[u8; 4]) -> Result<&'a [u8], PdfError> {
    let count = usize::from(u16_at(data, 4)?);
    for i in 0..count {
        let record = 12 + 16 * i;
        if data.get(record..record + 4) == Some(tag.as_slice()) {
            let offset = u32_at(data, record + 8)? as usize;
            let length = u32_at(data, record + 12)? as usize;
            return data
                .get(offset..offset.saturating_add(length))
                .ok_or_else(|| bad("table outside file"));
        }
    }
    Err(bad(&format!(
        "missing table {}",
        String::from_utf8_lossy(tag)
    )))
}

impl TrueTypeFont {
    pub fn parse(data: &[u8], bold: bool) -> Result<Self, PdfError> {
        if u32_at(data, 0)? != 0x0001_0000 {
            return Err(bad("not a TrueType font (sfnt 1.0)"));
        }
        table(data, b"glyf")?;
        let head = table(data, b"head")?;
        let units_per_em = i64::from(u16_at(head, 18)?.max(1));
        let scale = |v: i64| v * 1000 / units_per_em;
        let bbox = [
            scale(i64::from(i16_at(head, 36)?)),
            scale(i64::from(i16_at(head, 38)?)),
            scale(i64::from(i16_at(head, 40)?)),
            scale(i64::from(i16_at(head, 42)?)),
        ];
        let hhea = table(data, b"hhea")?;
        let ascent = scale(i64::from(i16_at(hhea, 4)?));
        let descent = scale(i64::from(i16_at(hhea, 6)?));
        let metrics_count = usize::from(u16_at(hhea, 34)?.max(1));
        let hmtx = table(data, b"hmtx")?;
        let advance = |glyph: u16| -> Result<i64, PdfError> {
            let index = usize::from(glyph).min(metrics_count - 1);
            Ok(i64::from(u16_at(hmtx, index * 4)?))
        };
        let cap_height = match table(data, b"OS/2") {
            Ok(os2) if u16_at(os2, 0)? >= 2 => scale(i64::from(i16_at(os2, 88)?)),
            _ => ascent,
        };
        let italic_angle = match table(data, b"post") {
            Ok(post) => i64::from(i16_at(post, 4)?),
            Err(_) => 0,
        };
        let cmap = unicode_cmap(data)?;
        let mut widths = [0u32; 256];
        for (code, width) in widths.iter_mut().enumerate() {
            let Some(c) = win_ansi_decode(code as u8) else {
                continue;
            };
            let glyph = cmap_lookup(cmap, c as u32)?;
            if glyph != 0 {
                *width = scale(advance(glyph)?).max(0) as u32;
            }
        }
        if widths[usize::from(b'a')] == 0 || widths[0xE5] == 0 {
            return Err(bad("the font lacks Latin-1 glyphs (a, å)"));
        }
        let used_glyphs: Vec<u16> = (0u8..=255)
            .filter_map(win_ansi_decode)
            .map(|c| cmap_lookup(cmap, c as u32))
            .collect::<Result<_, _>>()?;
        // Subsetting keeps every file small; fall back to the whole font if the layout is
        // unusual (the result is still a valid program, only larger).
        let program = subset(data, &used_glyphs).unwrap_or_else(|_| data.to_vec());
        Ok(Self {
            program,
            postscript_name: postscript_name(data).unwrap_or_else(|| {
                if bold {
                    "EmbeddedSans-Bold".into()
                } else {
                    "EmbeddedSans".into()
                }
            }),
            widths,
            bbox,
            ascent,
            descent,
            cap_height,
            italic_angle,
            bold,
        })
    }

    /// Advance width in 1/1000 em of a WinAnsi code.
    pub(crate) fn width(&self, code: u8) -> u32 {
        self.widths[usize::from(code)]
    }

    /// Write the font program, descriptor and font dictionary; returns the font's id.
    pub(crate) fn write(
        &self,
        writer: &mut super::update::UpdateWriter,
    ) -> Result<ObjectId, PdfError> {
        let file_id = writer.allocate_id();
        let descriptor_id = writer.allocate_id();
        let font_id = writer.allocate_id();
        let mut program = Stream::new(
            dictionary! { "Length1" => self.program.len() as i64 },
            self.program.clone(),
        );
        // Compression is optional; a failure just leaves the stream uncompressed.
        let _ = program.compress();
        writer.write_object(file_id, &Object::Stream(program))?;
        let name = Object::Name(self.postscript_name.as_bytes().to_vec());
        let descriptor: Dictionary = dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => name.clone(),
            // Nonsymbolic (32): glyphs addressed through WinAnsiEncoding and the (3,1) cmap.
            "Flags" => 32,
            "FontBBox" => self.bbox.iter().map(|v| Object::Integer(*v)).collect::<Vec<_>>(),
            "ItalicAngle" => self.italic_angle,
            "Ascent" => self.ascent,
            "Descent" => self.descent,
            "CapHeight" => self.cap_height,
            "StemV" => if self.bold { 140 } else { 80 },
            "FontFile2" => Object::Reference(file_id),
        };
        writer.write_object(descriptor_id, &Object::Dictionary(descriptor))?;
        let widths: Vec<Object> = (32..=255)
            .map(|code| Object::Integer(i64::from(self.widths[code])))
            .collect();
        let font = dictionary! {
            "Type" => "Font",
            "Subtype" => "TrueType",
            "BaseFont" => name,
            "FirstChar" => 32,
            "LastChar" => 255,
            "Widths" => widths,
            "Encoding" => "WinAnsiEncoding",
            "FontDescriptor" => Object::Reference(descriptor_id),
        };
        writer.write_object(font_id, &Object::Dictionary(font))?;
        Ok(font_id)
    }
}

/// Tables a PDF TrueType font program needs (ISO 32000 9.9) plus cmap/name/OS/2/post.
const KEPT_TABLES: [&[u8; 4]; 13] = [
    b"OS/2", b"cmap", b"cvt ", b"fpgm", b"glyf", b"head", b"hhea", b"hmtx", b"loca", b"maxp",
    b"name", b"post", b"prep",
];

/// A copy of the font in which only `glyphs` (plus .notdef and composite components) keep
/// their outlines; glyph ids stay the same, so cmap and hmtx are kept as they are.
fn subset(data: &[u8], glyphs: &[u16]) -> Result<Vec<u8>, PdfError> {
    let head = table(data, b"head")?;
    let long_loca = u16_at(head, 50)? == 1;
    let glyph_count = usize::from(u16_at(table(data, b"maxp")?, 4)?);
    let loca = table(data, b"loca")?;
    let glyf = table(data, b"glyf")?;
    let glyph_range = |g: usize| -> Result<(usize, usize), PdfError> {
        let (start, end) = if long_loca {
            (
                u32_at(loca, 4 * g)? as usize,
                u32_at(loca, 4 * g + 4)? as usize,
            )
        } else {
            (
                2 * usize::from(u16_at(loca, 2 * g)?),
                2 * usize::from(u16_at(loca, 2 * g + 2)?),
            )
        };
        if start > end || end > glyf.len() {
            return Err(bad("glyph outside glyf"));
        }
        Ok((start, end))
    };
    // Close over composite components.
    let mut keep = vec![false; glyph_count];
    let mut queue: Vec<usize> = glyphs.iter().map(|g| usize::from(*g)).collect();
    queue.push(0);
    while let Some(g) = queue.pop() {
        if g >= glyph_count || keep[g] {
            continue;
        }
        keep[g] = true;
        let (start, end) = glyph_range(g)?;
        if end - start < 10 || i16_at(glyf, start)? >= 0 {
            continue;
        }
        let mut at = start + 10;
        loop {
            let flags = u16_at(glyf, at)?;
            queue.push(usize::from(u16_at(glyf, at + 2)?));
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                break;
            }
        }
    }
    let mut new_glyf = Vec::new();
    let mut new_loca = Vec::with_capacity(4 * (glyph_count + 1));
    for (g, kept) in keep.iter().enumerate() {
        new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
        if *kept {
            let (start, end) = glyph_range(g)?;
            new_glyf.extend_from_slice(&glyf[start..end]);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
        }
    }
    new_loca.extend_from_slice(&(new_glyf.len() as u32).to_be_bytes());
    let mut new_head = head.to_vec();
    new_head
        .get_mut(50..52)
        .ok_or_else(|| bad("short head"))?
        .copy_from_slice(&1u16.to_be_bytes());
    // checkSumAdjustment is recomputed below.
    new_head
        .get_mut(8..12)
        .ok_or_else(|| bad("short head"))?
        .copy_from_slice(&[0; 4]);

    let mut tables: Vec<(&[u8; 4], Vec<u8>)> = Vec::new();
    for tag in KEPT_TABLES {
        let body = match tag {
            b"glyf" => new_glyf.clone(),
            b"loca" => new_loca.clone(),
            b"head" => new_head.clone(),
            // post format 3: no glyph names (PDF does not use them; they are large).
            b"post" => match table(data, tag) {
                Ok(t) if t.len() >= 32 => {
                    let mut post = t[..32].to_vec();
                    post[..4].copy_from_slice(&0x0003_0000u32.to_be_bytes());
                    post
                }
                _ => continue,
            },
            _ => match table(data, tag) {
                Ok(t) => t.to_vec(),
                Err(_) => continue,
            },
        };
        tables.push((tag, body));
    }
    let count = tables.len() as u16;
    let mut power = 1u16;
    while power * 2 <= count {
        power *= 2;
    }
    let mut out = Vec::new();
    out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
    out.extend_from_slice(&count.to_be_bytes());
    out.extend_from_slice(&(power * 16).to_be_bytes());
    out.extend_from_slice(&(power.trailing_zeros() as u16).to_be_bytes());
    out.extend_from_slice(&(count * 16 - power * 16).to_be_bytes());
    let mut offset = 12 + 16 * tables.len();
    let mut head_offset = 0;
    for (tag, body) in &tables {
        if *tag == b"head" {
            head_offset = offset;
        }
        out.extend_from_slice(*tag);
        out.extend_from_slice(&checksum(body).to_be_bytes());
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        out.extend_from_slice(&(body.len() as u32).to_be_bytes());
        offset += body.len().div_ceil(4) * 4;
    }
    for (_, body) in &tables {
        out.extend_from_slice(body);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    }
    let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
    out[head_offset + 8..head_offset + 12].copy_from_slice(&adjustment.to_be_bytes());
    Ok(out)
}

fn checksum(data: &[u8]) -> u32 {
    data.chunks(4).fold(0u32, |sum, chunk| {
        let mut word = [0u8; 4];
        word[..chunk.len()].copy_from_slice(chunk);
        sum.wrapping_add(u32::from_be_bytes(word))
    })
}

/// The (3,1) format 4 subtable.
fn unicode_cmap(data: &[u8]) -> Result<&[u8], PdfError> {
    let cmap = table(data, b"cmap")?;
    let count = usize::from(u16_at(cmap, 2)?);
    for i in 0..count {
        let record = 4 + 8 * i;
        if u16_at(cmap, record)? == 3 && u16_at(cmap, record + 2)? == 1 {
            let offset = u32_at(cmap, record + 4)? as usize;
            let sub = cmap
                .get(offset..)
                .ok_or_else(|| bad("cmap outside table"))?;
            if u16_at(sub, 0)? == 4 {
                return Ok(sub);
            }
        }
    }
    Err(bad("no Windows Unicode (3,1) format 4 cmap"))
}

fn cmap_lookup(sub: &[u8], c: u32) -> Result<u16, PdfError> {
    if c > 0xFFFF {
        return Ok(0);
    }
    let seg_count = usize::from(u16_at(sub, 6)? / 2);
    let ends = 14;
    let starts = ends + 2 * seg_count + 2;
    let deltas = starts + 2 * seg_count;
    let range_offsets = deltas + 2 * seg_count;
    for i in 0..seg_count {
        let end = u32::from(u16_at(sub, ends + 2 * i)?);
        if end < c {
            continue;
        }
        let start = u32::from(u16_at(sub, starts + 2 * i)?);
        if start > c {
            return Ok(0);
        }
        let delta = u32::from(u16_at(sub, deltas + 2 * i)?);
        let range_offset = usize::from(u16_at(sub, range_offsets + 2 * i)?);
        if range_offset == 0 {
            return Ok(((c + delta) & 0xFFFF) as u16);
        }
        let at = range_offsets + 2 * i + range_offset + 2 * (c - start) as usize;
        let glyph = u32::from(u16_at(sub, at)?);
        return Ok(if glyph == 0 {
            0
        } else {
            ((glyph + delta) & 0xFFFF) as u16
        });
    }
    Ok(0)
}

/// nameID 6 (PostScript name) from the name table, Windows or Mac record.
fn postscript_name(data: &[u8]) -> Option<String> {
    let name = table(data, b"name").ok()?;
    let count = usize::from(u16_at(name, 2).ok()?);
    let strings = usize::from(u16_at(name, 4).ok()?);
    for i in 0..count {
        let record = 6 + 12 * i;
        let platform = u16_at(name, record).ok()?;
        let name_id = u16_at(name, record + 6).ok()?;
        if name_id != 6 {
            continue;
        }
        let length = usize::from(u16_at(name, record + 8).ok()?);
        let offset = usize::from(u16_at(name, record + 10).ok()?);
        let raw = name.get(strings + offset..strings + offset + length)?;
        let text = if platform == 3 || platform == 0 {
            let units: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        } else {
            String::from_utf8_lossy(raw).into_owned()
        };
        let clean: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !clean.is_empty() {
            return Some(clean);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_system_font_and_refuses_garbage() {
        let font = std::fs::read(crate::pdf::test_support::test_font_path(false)).unwrap();
        let parsed = TrueTypeFont::parse(&font, false).unwrap();
        assert!(parsed.width(b' ') > 200 && parsed.width(b'W') > parsed.width(b'i'));
        assert!(parsed.width(0xE5) > 0, "å has a glyph");
        assert!(!parsed.postscript_name.is_empty());
        // The subset is much smaller and parses again with the same widths.
        assert!(
            parsed.program.len() < font.len() / 4,
            "{} bytes",
            parsed.program.len()
        );
        let again = TrueTypeFont::parse(&parsed.program, false).unwrap();
        assert_eq!(again.widths, parsed.widths);
        assert!(TrueTypeFont::parse(b"not a font at all", false).is_err());
        let mut truncated = font.clone();
        truncated.truncate(200);
        assert!(TrueTypeFont::parse(&truncated, false).is_err());
    }
}
