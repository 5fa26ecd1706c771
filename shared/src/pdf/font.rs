//! Embedded fonts for the appended pages. PDF/A requires embedded fonts, so the pages use
//! DejaVu Sans (shipped in `shared/assets/fonts`) unless the application registers other
//! fonts once at start-up with [`register_embedded_fonts`].
//!
//! Each font is written as a composite font (Type0 / CIDFontType2, Identity-H) holding a
//! subset with only the glyphs the page shows (made by the `subsetter` crate, which typst and
//! krilla use), so any name a person can have (å, ä, ö, ł, ë, ...) prints and the font file
//! stays a few kilobytes. The font dictionaries carry what PDF/A-1/2/3 ask of such a font:
//! `/W` widths equal to the program's advances, `/CIDToGIDMap /Identity` (ISO 19005-2
//! 6.2.11.3.2), a `/CIDSet` naming every glyph in the subset (required by PDF/A-1 for CID
//! subsets, allowed by PDF/A-2/3 when complete), and a `/ToUnicode` CMap so the text can be
//! extracted and searched (PDF/A level U). Standard Helvetica (not embedded) remains only as
//! the fallback should a font not parse.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use lopdf::{dictionary, Dictionary, Object, ObjectId, Stream, StringFormat};
use sha2::{Digest, Sha256};
use subsetter::GlyphRemapper;

use super::PdfError;

/// A parsed TrueType font: the whole program (subsets are cut from it per document) and what
/// the PDF font dictionaries need.
#[derive(Debug, Clone)]
pub struct TrueTypeFont {
    program: Arc<[u8]>,
    postscript_name: String,
    units_per_em: u16,
    /// Offset of the Unicode cmap subtable in `program`.
    cmap: usize,
    /// Advance widths in font units, one per glyph.
    advances: Vec<u16>,
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
/// Both must be TrueType (glyf) fonts with a Windows Unicode cmap covering Latin-1.
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
    data.get(at..at.saturating_add(2))
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| bad("truncated table"))
}

fn i16_at(data: &[u8], at: usize) -> Result<i16, PdfError> {
    u16_at(data, at).map(|v| v as i16)
}

fn u32_at(data: &[u8], at: usize) -> Result<u32, PdfError> {
    data.get(at..at.saturating_add(4))
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .ok_or_else(|| bad("truncated table"))
}

/// (offset, length) of a table.
fn table_range(data: &[u8], tag: &[u8; 4]) -> Result<(usize, usize), PdfError> {
    let count = usize::from(u16_at(data, 4)?);
    for i in 0..count {
        let record = 12 + 16 * i;
        if data.get(record..record + 4) == Some(tag.as_slice()) {
            let offset = u32_at(data, record + 8)? as usize;
            let length = u32_at(data, record + 12)? as usize;
            if data.get(offset..offset.saturating_add(length)).is_none() {
                return Err(bad("table outside file"));
            }
            return Ok((offset, length));
        }
    }
    Err(bad(&format!(
        "missing table {}",
        String::from_utf8_lossy(tag)
    )))
}

fn table<'a>(data: &'a [u8], tag: &[u8; 4]) -> Result<&'a [u8], PdfError> {
    let (offset, length) = table_range(data, tag)?;
    Ok(&data[offset..offset + length])
}

impl TrueTypeFont {
    pub fn parse(data: &[u8], bold: bool) -> Result<Self, PdfError> {
        // CIDFontType2 needs TrueType outlines; CFF-flavoured OpenType would need FontFile3.
        if u32_at(data, 0)? != 0x0001_0000 {
            return Err(bad("not a TrueType font (sfnt 1.0)"));
        }
        table(data, b"glyf")?;
        let head = table(data, b"head")?;
        let units_per_em = u16_at(head, 18)?.max(1);
        let scale = |v: i64| v * 1000 / i64::from(units_per_em);
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
        let glyph_count = usize::from(u16_at(table(data, b"maxp")?, 4)?);
        let hmtx = table(data, b"hmtx")?;
        // Glyphs past numberOfHMetrics repeat the last advance (OpenType hmtx).
        let advances = (0..glyph_count)
            .map(|g| u16_at(hmtx, 4 * g.min(metrics_count - 1)))
            .collect::<Result<Vec<_>, _>>()?;
        let cap_height = match table(data, b"OS/2") {
            Ok(os2) if u16_at(os2, 0)? >= 2 => scale(i64::from(i16_at(os2, 88)?)),
            _ => ascent,
        };
        let italic_angle = match table(data, b"post") {
            Ok(post) => i64::from(i16_at(post, 4)?),
            Err(_) => 0,
        };
        let cmap = unicode_cmap(data)?;
        let font = Self {
            program: Arc::from(data),
            postscript_name: postscript_name(data).unwrap_or_else(|| {
                if bold {
                    "EmbeddedSans-Bold".into()
                } else {
                    "EmbeddedSans".into()
                }
            }),
            units_per_em,
            cmap,
            advances,
            bbox,
            ascent,
            descent,
            cap_height,
            italic_angle,
            bold,
        };
        if ['a', 'å', 'Ö', '?']
            .iter()
            .any(|c| font.glyph(*c).is_none())
        {
            return Err(bad("the font lacks Latin-1 glyphs (a, å, Ö, ?)"));
        }
        // Fail at start-up, not while sealing, if the subsetter cannot handle this font.
        let mut probe = SubsetFont::new(&font);
        probe.encode("aåÖ?");
        probe.subset()?;
        Ok(font)
    }

    /// The glyph of a character, None when the font has none.
    pub(crate) fn glyph(&self, c: char) -> Option<u16> {
        let glyph = cmap_lookup(&self.program[self.cmap..], c as u32).unwrap_or(0);
        (glyph != 0 && usize::from(glyph) < self.advances.len()).then_some(glyph)
    }

    /// Advance width of a glyph in 1/1000 em, rounded as the `/W` array states it.
    fn glyph_width(&self, glyph: u16) -> u32 {
        let advance = self.advances.get(usize::from(glyph)).copied().unwrap_or(0);
        (f64::from(advance) * 1000.0 / f64::from(self.units_per_em)).round() as u32
    }

    /// The glyph a character is shown with: its own, else '?' (never .notdef, which PDF/A-2
    /// forbids showing). None for characters that are dropped (controls, or no '?').
    fn shown_glyph(&self, c: char) -> Option<(u16, char)> {
        if c.is_control() {
            return None;
        }
        self.glyph(c)
            .map(|g| (g, c))
            .or_else(|| self.glyph('?').map(|g| (g, '?')))
    }

    /// Advance width of a character in 1/1000 em as it will be shown.
    pub(crate) fn char_width(&self, c: char) -> u32 {
        self.shown_glyph(c)
            .map(|(g, _)| self.glyph_width(g))
            .unwrap_or(0)
    }
}

/// Where the objects of a font go: an incremental update, or a new file (the clean copy).
pub(crate) trait ObjectSink {
    fn allocate_id(&mut self) -> ObjectId;
    fn write_object(&mut self, id: ObjectId, object: &Object) -> Result<(), PdfError>;
}

impl ObjectSink for super::update::UpdateWriter {
    fn allocate_id(&mut self) -> ObjectId {
        super::update::UpdateWriter::allocate_id(self)
    }
    fn write_object(&mut self, id: ObjectId, object: &Object) -> Result<(), PdfError> {
        super::update::UpdateWriter::write_object(self, id, object)
    }
}

/// The glyphs one document shows in one font: text is encoded as 2-byte CIDs (Identity-H) while
/// the page is laid out, then [`SubsetFont::write`] embeds a subset with exactly those glyphs.
pub(crate) struct SubsetFont<'a> {
    font: &'a TrueTypeFont,
    remapper: GlyphRemapper,
    /// CID -> the text it stands for (first wins), for /ToUnicode.
    unicode: BTreeMap<u16, char>,
}

/// The written subset: its program and the number of glyphs in it.
struct Subset {
    program: Vec<u8>,
    glyph_count: u16,
}

impl<'a> SubsetFont<'a> {
    pub fn new(font: &'a TrueTypeFont) -> Self {
        Self {
            font,
            remapper: GlyphRemapper::new(),
            unicode: BTreeMap::new(),
        }
    }

    pub fn font(&self) -> &'a TrueTypeFont {
        self.font
    }

    /// The CIDs (big-endian u16 each) that show `text`.
    pub fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut out = Vec::with_capacity(2 * text.len());
        for c in text.chars() {
            let c = if c == '\t' { ' ' } else { c };
            let Some((glyph, shown)) = self.font.shown_glyph(c) else {
                continue;
            };
            // The subset's glyph ids are the CIDs (CIDToGIDMap /Identity).
            let cid = self.remapper.remap(glyph);
            self.unicode.entry(cid).or_insert(shown);
            out.extend_from_slice(&cid.to_be_bytes());
        }
        out
    }

    fn subset(&self) -> Result<Subset, PdfError> {
        let program = subsetter::subset(&self.font.program, 0, &self.remapper)
            .map_err(|e| bad(&format!("subsetting failed: {e}")))?;
        // Composite glyphs pull in their components, so count what the subset really holds.
        let glyph_count = u16_at(table(&program, b"maxp")?, 4)?;
        Ok(Subset {
            program,
            glyph_count,
        })
    }

    /// Write the Type0 font with its CIDFont, descriptor, program, CIDSet and ToUnicode CMap;
    /// returns the Type0 font's id.
    pub fn write(&self, writer: &mut impl ObjectSink) -> Result<ObjectId, PdfError> {
        let type0_id = writer.allocate_id();
        self.write_as(writer, type0_id)?;
        Ok(type0_id)
    }

    /// [`Self::write`] with the Type0 font's id chosen before (pages that use the font may be
    /// written first).
    pub fn write_as(
        &self,
        writer: &mut impl ObjectSink,
        type0_id: ObjectId,
    ) -> Result<(), PdfError> {
        let subset = self.subset()?;
        let font = self.font;
        let file_id = writer.allocate_id();
        let cidset_id = writer.allocate_id();
        let descriptor_id = writer.allocate_id();
        let cid_font_id = writer.allocate_id();
        let to_unicode_id = writer.allocate_id();

        // A subset's name starts with a tag of six capitals (ISO 32000-1 9.6.4); derived from
        // the subset so equal subsets get equal names.
        let digest = Sha256::digest(&subset.program);
        let tag: String = digest[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        let base_font = format!("{tag}+{}", font.postscript_name);

        let mut program = Stream::new(
            dictionary! { "Length1" => subset.program.len() as i64 },
            subset.program,
        );
        // Compression is optional; a failure just leaves the stream uncompressed.
        let _ = program.compress();
        writer.write_object(file_id, &Object::Stream(program))?;

        // One bit per CID, most significant bit first: every glyph of the subset is present.
        let count = usize::from(subset.glyph_count);
        let mut bits = vec![0u8; count.div_ceil(8)];
        for cid in 0..count {
            bits[cid / 8] |= 0x80 >> (cid % 8);
        }
        let mut cidset = Stream::new(dictionary! {}, bits);
        let _ = cidset.compress();
        writer.write_object(cidset_id, &Object::Stream(cidset))?;

        let descriptor: Dictionary = dictionary! {
            "Type" => "FontDescriptor",
            "FontName" => Object::Name(base_font.as_bytes().to_vec()),
            // Symbolic (4): glyphs are addressed by CID, not by a standard encoding.
            "Flags" => 4,
            "FontBBox" => font.bbox.iter().map(|v| Object::Integer(*v)).collect::<Vec<_>>(),
            "ItalicAngle" => font.italic_angle,
            "Ascent" => font.ascent,
            "Descent" => font.descent,
            "CapHeight" => font.cap_height,
            "StemV" => if font.bold { 140 } else { 80 },
            "FontFile2" => Object::Reference(file_id),
            "CIDSet" => Object::Reference(cidset_id),
        };
        writer.write_object(descriptor_id, &Object::Dictionary(descriptor))?;

        let cid_font = dictionary! {
            "Type" => "Font",
            "Subtype" => "CIDFontType2",
            "BaseFont" => Object::Name(base_font.as_bytes().to_vec()),
            "CIDSystemInfo" => dictionary! {
                "Registry" => Object::string_literal("Adobe"),
                "Ordering" => Object::string_literal("Identity"),
                "Supplement" => 0,
            },
            "FontDescriptor" => Object::Reference(descriptor_id),
            "DW" => 1000,
            "W" => self.widths(),
            "CIDToGIDMap" => "Identity",
        };
        writer.write_object(cid_font_id, &Object::Dictionary(cid_font))?;

        let mut to_unicode = Stream::new(dictionary! {}, self.to_unicode_cmap());
        let _ = to_unicode.compress();
        writer.write_object(to_unicode_id, &Object::Stream(to_unicode))?;

        let type0 = dictionary! {
            "Type" => "Font",
            "Subtype" => "Type0",
            "BaseFont" => Object::Name(format!("{base_font}-Identity-H").into_bytes()),
            "Encoding" => "Identity-H",
            "DescendantFonts" => vec![Object::Reference(cid_font_id)],
            "ToUnicode" => Object::Reference(to_unicode_id),
        };
        writer.write_object(type0_id, &Object::Dictionary(type0))
    }

    /// Width of `text` at a size of one point, in points.
    pub fn text_width(&self, text: &str) -> f32 {
        text.chars().map(|c| self.font.char_width(c)).sum::<u32>() as f32 / 1000.0
    }

    /// `/W [first [w w ...] first [w ...]]` for runs of consecutive CIDs that are shown.
    fn widths(&self) -> Vec<Object> {
        let mut out = Vec::new();
        let mut run: Vec<Object> = Vec::new();
        let mut run_start = 0u16;
        let mut previous: Option<u16> = None;
        for (old_glyph, cid) in self.remapper.remapped_gids().zip(0u16..) {
            if cid == 0 {
                continue;
            }
            if previous.is_some_and(|p| p + 1 != cid) && !run.is_empty() {
                out.push(Object::Integer(i64::from(run_start)));
                out.push(Object::Array(std::mem::take(&mut run)));
            }
            if run.is_empty() {
                run_start = cid;
            }
            run.push(Object::Integer(i64::from(self.font.glyph_width(old_glyph))));
            previous = Some(cid);
        }
        if !run.is_empty() {
            out.push(Object::Integer(i64::from(run_start)));
            out.push(Object::Array(run));
        }
        out
    }

    /// A ToUnicode CMap (Adobe technical note 5411) mapping each CID to its text.
    fn to_unicode_cmap(&self) -> Vec<u8> {
        let mut s = String::from(
            "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n\
             /CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n\
             /CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n\
             1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
        );
        let entries: Vec<(&u16, &char)> = self.unicode.iter().collect();
        // At most 100 entries per block.
        for block in entries.chunks(100) {
            s.push_str(&format!("{} beginbfchar\n", block.len()));
            for (cid, c) in block {
                let mut units = [0u16; 2];
                let hex: String = c
                    .encode_utf16(&mut units)
                    .iter()
                    .map(|u| format!("{u:04X}"))
                    .collect();
                s.push_str(&format!("<{cid:04X}> <{hex}>\n"));
            }
            s.push_str("endbfchar\n");
        }
        s.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
        s.into_bytes()
    }
}

/// A hex string operand for `Tj` from encoded CIDs.
pub(crate) fn hex_operand(cids: &[u8]) -> String {
    let mut out = Vec::new();
    // lopdf writes hex strings as <...>; reuse it so escaping rules live in one place.
    let _ = lopdf::Writer::write_object(
        &mut out,
        &Object::String(cids.to_vec(), StringFormat::Hexadecimal),
    );
    String::from_utf8_lossy(&out).into_owned()
}

/// Offset of the best Unicode cmap subtable: Windows full repertoire (3,10) format 12, else
/// Windows BMP (3,1) format 4, else a Unicode-platform (0,x) subtable of either format.
fn unicode_cmap(data: &[u8]) -> Result<usize, PdfError> {
    let (cmap_offset, _) = table_range(data, b"cmap")?;
    let cmap = table(data, b"cmap")?;
    let count = usize::from(u16_at(cmap, 2)?);
    let mut best: Option<(u8, usize)> = None;
    for i in 0..count {
        let record = 4 + 8 * i;
        let platform = u16_at(cmap, record)?;
        let encoding = u16_at(cmap, record + 2)?;
        let offset = u32_at(cmap, record + 4)? as usize;
        let Ok(format) = u16_at(cmap, offset) else {
            continue;
        };
        let rank = match (platform, encoding, format) {
            (3, 10, 12) => 4,
            (3, 1, 4) => 3,
            (0, _, 12) => 2,
            (0, _, 4) => 1,
            _ => continue,
        };
        if best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, cmap_offset + offset));
        }
    }
    best.map(|(_, offset)| offset)
        .ok_or_else(|| bad("no Unicode cmap (format 4 or 12)"))
}

fn cmap_lookup(sub: &[u8], c: u32) -> Result<u16, PdfError> {
    match u16_at(sub, 0)? {
        4 => cmap4_lookup(sub, c),
        12 => cmap12_lookup(sub, c),
        _ => Ok(0),
    }
}

fn cmap4_lookup(sub: &[u8], c: u32) -> Result<u16, PdfError> {
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

fn cmap12_lookup(sub: &[u8], c: u32) -> Result<u16, PdfError> {
    let groups = u32_at(sub, 12)? as usize;
    // Groups are sorted by start code: binary search.
    let (mut low, mut high) = (0usize, groups);
    while low < high {
        let mid = (low + high) / 2;
        let at = 16 + 12 * mid;
        let start = u32_at(sub, at)?;
        let end = u32_at(sub, at + 4)?;
        if c < start {
            high = mid;
        } else if c > end {
            low = mid + 1;
        } else {
            let glyph = u32_at(sub, at + 8)?.saturating_add(c - start);
            return Ok(u16::try_from(glyph).unwrap_or(0));
        }
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
        assert!(parsed.char_width(' ') > 200 && parsed.char_width('W') > parsed.char_width('i'));
        for c in "åäöÅÄÖŁłëéüßøæ–€".chars() {
            assert!(parsed.glyph(c).is_some(), "{c} has a glyph");
        }
        // No glyph: shown as '?', never as .notdef.
        assert!(parsed.glyph('漢').is_none());
        assert_eq!(parsed.char_width('漢'), parsed.char_width('?'));
        assert!(!parsed.postscript_name.is_empty());
        assert!(TrueTypeFont::parse(b"not a font at all", false).is_err());
        let mut truncated = font.clone();
        truncated.truncate(200);
        assert!(TrueTypeFont::parse(&truncated, false).is_err());
    }

    #[test]
    fn subsets_hold_only_the_shown_glyphs() {
        let font = std::fs::read(crate::pdf::test_support::test_font_path(false)).unwrap();
        let parsed = TrueTypeFont::parse(&font, false).unwrap();
        let mut subset = SubsetFont::new(&parsed);
        let cids = subset.encode("Åsa Öberg-Łukasz, Zoë\t漢");
        // One CID per shown character; the tab became a space and 漢 a '?'.
        assert_eq!(cids.len(), 2 * "Åsa Öberg-Łukasz, Zoë ?".chars().count());
        assert_eq!(&cids[..2], &[0, 1], "the first glyph gets CID 1");
        let written = subset.subset().unwrap();
        assert!(
            written.program.len() < 20_000,
            "{} bytes from {}",
            written.program.len(),
            font.len()
        );
        assert!(usize::from(written.glyph_count) > subset.unicode.len());
        let cmap = String::from_utf8(subset.to_unicode_cmap()).unwrap();
        assert!(cmap.contains("<0001> <00C5>"), "Å is CID 1: {cmap}");
        assert!(cmap.contains("<0141>"), "Ł is mapped: {cmap}");
        // /W: one run starting at CID 1 with a width per distinct glyph.
        let widths = subset.widths();
        assert_eq!(widths[0], Object::Integer(1));
        assert_eq!(
            widths[1].as_array().unwrap().len(),
            subset.unicode.len(),
            "{widths:?}"
        );
    }
}
