//! The appended page(s): who signed, in what role, when and how. A4, set in the embedded
//! fonts (subset Type0 fonts, see `font.rs`), so any name prints and the page is PDF/A-clean;
//! Helvetica with WinAnsiEncoding (not embedded) only when no font could be loaded.

use lopdf::{dictionary, Dictionary, Object, ObjectId, Stream};

use super::font::{hex_operand, FontPair, SubsetFont};

/// One signer as shown on the page (the lead formats dates and roles).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignatureLine {
    pub name: String,
    /// e.g. "Ordförande"
    pub role: String,
    /// e.g. "2026-11-23 14:05 (Europe/Stockholm)"
    pub signed_at: String,
    /// e.g. "Mobilt BankID"
    pub method: String,
}

/// What the appended page says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct JusteringPage {
    pub heading: String,
    pub organ: String,
    pub meeting_date: String,
    pub paragraphs: String,
    pub document_name: String,
    pub document_sha256: String,
    pub lines: Vec<SignatureLine>,
    pub footer: String,
}

const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
const MARGIN: f32 = 56.0;
const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;
const FOOTER_SPACE: f32 = 70.0;
/// Upper bound on appended pages, so absurd input cannot make the output explode.
const MAX_PAGES: usize = 50;

#[derive(Clone, Copy, PartialEq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }
}

struct Line {
    font: Font,
    size: f32,
    text: String,
    /// Vertical space before this line (in addition to its own leading).
    space_before: f32,
}

/// The fonts one rendering uses: subsets of the embedded fonts (glyphs collected while the
/// text is encoded), else standard Helvetica.
pub(crate) enum PageFonts<'a> {
    Embedded {
        regular: SubsetFont<'a>,
        bold: SubsetFont<'a>,
    },
    Standard,
}

impl<'a> PageFonts<'a> {
    pub fn new(fonts: Option<&'a FontPair>) -> Self {
        match fonts {
            Some(pair) => PageFonts::Embedded {
                regular: SubsetFont::new(&pair.regular),
                bold: SubsetFont::new(&pair.bold),
            },
            None => PageFonts::Standard,
        }
    }

    /// Width of `text` in 1/1000 em.
    fn units(&self, font: Font, text: &str) -> u32 {
        match (self, font) {
            (PageFonts::Embedded { regular, .. }, Font::Regular) => {
                text.chars().map(|c| regular.font().char_width(c)).sum()
            }
            (PageFonts::Embedded { bold, .. }, Font::Bold) => {
                text.chars().map(|c| bold.font().char_width(c)).sum()
            }
            (PageFonts::Standard, _) => win_ansi_encode(text).iter().map(|&b| glyph_width(b)).sum(),
        }
    }

    /// The string operand that shows `text` (and, for subsets, records its glyphs).
    fn operand(&mut self, font: Font, text: &str) -> String {
        match (self, font) {
            (PageFonts::Embedded { regular, .. }, Font::Regular) => {
                hex_operand(&regular.encode(text))
            }
            (PageFonts::Embedded { bold, .. }, Font::Bold) => hex_operand(&bold.encode(text)),
            (PageFonts::Standard, _) => pdf_literal(&win_ansi_encode(text)),
        }
    }

    fn is_standard(&self) -> bool {
        matches!(self, PageFonts::Standard)
    }
}

/// Lay out the page text into one or more content streams (one per page).
pub(crate) fn render_content_streams(
    page: &JusteringPage,
    fonts: &mut PageFonts<'_>,
) -> Vec<Vec<u8>> {
    let metrics = &*fonts;
    let mut lines: Vec<Line> = Vec::new();
    push_wrapped(metrics, &mut lines, Font::Bold, 18.0, &page.heading, 0.0);
    let fields = [
        ("Organ", &page.organ),
        ("Sammanträdesdatum", &page.meeting_date),
        ("Paragrafer", &page.paragraphs),
        ("Dokument", &page.document_name),
        ("SHA-256", &page.document_sha256),
    ];
    let mut first = true;
    for (label, value) in fields {
        if value.trim().is_empty() {
            continue;
        }
        let space = if first { 14.0 } else { 2.0 };
        first = false;
        push_wrapped(metrics, &mut lines, Font::Bold, 10.0, label, space);
        push_wrapped(metrics, &mut lines, Font::Regular, 10.0, value, 0.0);
    }
    if !page.lines.is_empty() {
        push_wrapped(metrics, &mut lines, Font::Bold, 13.0, "Underskrifter", 18.0);
        for signer in &page.lines {
            push_wrapped(metrics, &mut lines, Font::Bold, 11.0, &signer.name, 10.0);
            let details = [&signer.role, &signer.signed_at, &signer.method]
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" \u{2013} ");
            push_wrapped(metrics, &mut lines, Font::Regular, 10.0, &details, 0.0);
        }
    }

    let mut footer_lines = Vec::new();
    push_wrapped(
        metrics,
        &mut footer_lines,
        Font::Regular,
        8.0,
        &page.footer,
        0.0,
    );

    let mut pages = Vec::new();
    let mut y = PAGE_HEIGHT - MARGIN;
    let mut content = String::new();
    for line in lines {
        let leading = line.size * 1.3;
        if y - line.space_before - leading < MARGIN + FOOTER_SPACE && !content.is_empty() {
            finish_page(fonts, &mut content, &footer_lines);
            pages.push(std::mem::take(&mut content).into_bytes());
            if pages.len() >= MAX_PAGES {
                return pages;
            }
            y = PAGE_HEIGHT - MARGIN;
        }
        y -= line.space_before + leading;
        draw_text(fonts, &mut content, &line, MARGIN, y);
    }
    finish_page(fonts, &mut content, &footer_lines);
    pages.push(content.into_bytes());
    pages
}

fn finish_page(fonts: &mut PageFonts<'_>, content: &mut String, footer: &[Line]) {
    let mut y = MARGIN + footer.len() as f32 * 8.0 * 1.3;
    for line in footer {
        draw_text(fonts, content, line, MARGIN, y);
        y -= line.size * 1.3;
    }
}

fn draw_text(fonts: &mut PageFonts<'_>, content: &mut String, line: &Line, x: f32, y: f32) {
    if line.text.is_empty() {
        return;
    }
    content.push_str(&format!(
        "BT /{} {} Tf {x:.2} {y:.2} Td {} Tj ET\n",
        line.font.resource(),
        line.size,
        fonts.operand(line.font, &line.text)
    ));
}

fn push_wrapped(
    metrics: &PageFonts<'_>,
    lines: &mut Vec<Line>,
    font: Font,
    size: f32,
    text: &str,
    space_before: f32,
) {
    let mut space = space_before;
    for paragraph in text.split('\n') {
        for piece in wrap(metrics, paragraph, font, size, TEXT_WIDTH) {
            lines.push(Line {
                font,
                size,
                text: piece,
                space_before: space,
            });
            space = 0.0;
        }
    }
}

/// Greedy word wrap; words longer than a line are broken between characters.
fn wrap(metrics: &PageFonts<'_>, text: &str, font: Font, size: f32, width: f32) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if text_width(metrics, &candidate, font, size) <= width {
            current = candidate;
            continue;
        }
        if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        for c in word.chars() {
            let mut next = current.clone();
            next.push(c);
            if text_width(metrics, &next, font, size) > width && !current.is_empty() {
                out.push(std::mem::take(&mut current));
                current.push(c);
            } else {
                current = next;
            }
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

fn text_width(metrics: &PageFonts<'_>, text: &str, font: Font, size: f32) -> f32 {
    let units = metrics.units(font, text);
    // Helvetica-Bold is a little wider than the regular widths used for it.
    let factor = if font == Font::Bold && metrics.is_standard() {
        1.06
    } else {
        1.0
    };
    units as f32 * size / 1000.0 * factor
}

/// Helvetica advance widths (AFM) for WinAnsi codes; accented letters use their base letter.
fn glyph_width(code: u8) -> u32 {
    const ASCII: [u16; 95] = [
        278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
        278, // 32-47
        556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584,
        556, // 48-63
        1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722,
        778, // 64-79
        667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469,
        556, // 80-95
        333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556,
        556, // 96-111
        556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // 112-126
    ];
    match code {
        32..=126 => u32::from(ASCII[usize::from(code - 32)]),
        0xC0..=0xC6 => 667, // À..Æ (Æ is 1000, close enough for wrapping with margin)
        0xC7 => 722,
        0xC8..=0xCB => 667,
        0xCC..=0xCF => 278,
        0xD0..=0xD1 => 722,
        0xD2..=0xD6 | 0xD8 => 778,
        0xD9..=0xDC => 722,
        0xDD => 667,
        0xDF => 611,
        0xE0..=0xE6 => 556,
        0xE7 => 500,
        0xE8..=0xEB => 556,
        0xEC..=0xEF => 278,
        0xF0..=0xF6 | 0xF8 => 556,
        0xF9..=0xFC => 556,
        0xFD | 0xFF => 500,
        0x96 => 556,
        0x97 => 1000,
        _ => 556,
    }
}

/// WinAnsiEncoding codes 0x80..0x9F that differ from Latin-1.
const WIN_ANSI_HIGH: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '\u{2018}'),
    (0x92, '\u{2019}'),
    (0x93, '\u{201C}'),
    (0x94, '\u{201D}'),
    (0x95, '•'),
    (0x96, '\u{2013}'),
    (0x97, '\u{2014}'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

/// Encode text in WinAnsiEncoding; characters it cannot represent become '?'.
pub(crate) fn win_ansi_encode(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '\t' => b' ',
            _ => WIN_ANSI_HIGH
                .iter()
                .find(|(_, ch)| *ch == c)
                .map(|(code, _)| *code)
                .unwrap_or(b'?'),
        })
        .collect()
}

/// The character of a WinAnsi code (None for control codes and unassigned codes).
#[cfg(test)]
fn win_ansi_decode(code: u8) -> Option<char> {
    match code {
        0x20..=0x7E | 0xA0..=0xFF => Some(char::from(code)),
        _ => WIN_ANSI_HIGH
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, ch)| *ch),
    }
}

/// A literal string: parentheses and backslashes escaped, bytes outside ASCII as octal.
pub(crate) fn pdf_literal(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 2);
    s.push('(');
    for &b in bytes {
        match b {
            b'(' | b')' | b'\\' => {
                s.push('\\');
                s.push(b as char);
            }
            32..=126 => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    s.push(')');
    s
}

/// Writes the font objects, content streams and page objects; returns the page ids.
/// `annots` go on the first page (the seal's invisible widget).
pub(crate) fn write_pages(
    writer: &mut impl crate::pdf::font::ObjectSink,
    parent: ObjectId,
    page: &JusteringPage,
    first_page_annots: Option<ObjectId>,
    preallocated_first_page: Option<ObjectId>,
    fonts: Option<&FontPair>,
) -> Result<Vec<ObjectId>, crate::pdf::PdfError> {
    // Lay out first: the subsets hold exactly the glyphs the text used.
    let mut page_fonts = PageFonts::new(fonts);
    let contents = render_content_streams(page, &mut page_fonts);
    let (regular, bold) = match &page_fonts {
        PageFonts::Embedded { regular, bold } => (regular.write(writer)?, bold.write(writer)?),
        PageFonts::Standard => {
            let regular = writer.allocate_id();
            let bold = writer.allocate_id();
            writer.write_object(regular, &Object::Dictionary(font_dict("Helvetica")))?;
            writer.write_object(bold, &Object::Dictionary(font_dict("Helvetica-Bold")))?;
            (regular, bold)
        }
    };
    let mut page_ids = Vec::new();
    for (index, content) in contents.into_iter().enumerate() {
        let content_id = writer.allocate_id();
        let mut stream = Stream::new(dictionary! {}, content);
        // Optional; a failure leaves the stream uncompressed.
        let _ = stream.compress();
        writer.write_object(content_id, &Object::Stream(stream))?;
        let page_id = match (index, preallocated_first_page) {
            (0, Some(id)) => id,
            _ => writer.allocate_id(),
        };
        let mut dict = dictionary! {
            "Type" => "Page",
            "Parent" => Object::Reference(parent),
            "MediaBox" => vec![0.into(), 0.into(), Object::Real(PAGE_WIDTH), Object::Real(PAGE_HEIGHT)],
            "Rotate" => 0,
            "Resources" => dictionary! {
                "Font" => dictionary! {
                    "F1" => Object::Reference(regular),
                    "F2" => Object::Reference(bold),
                },
                "ProcSet" => vec![Object::Name(b"PDF".to_vec()), Object::Name(b"Text".to_vec())],
            },
            "Contents" => Object::Reference(content_id),
        };
        if index == 0 {
            if let Some(annot) = first_page_annots {
                dict.set("Annots", vec![Object::Reference(annot)]);
            }
        }
        writer.write_object(page_id, &Object::Dictionary(dict))?;
        page_ids.push(page_id);
    }
    Ok(page_ids)
}

fn font_dict(base_font: &str) -> Dictionary {
    dictionary! {
        "Type" => "Font",
        "Subtype" => "Type1",
        "BaseFont" => Object::Name(base_font.as_bytes().to_vec()),
        "Encoding" => "WinAnsiEncoding",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn win_ansi_encodes_swedish_letters_and_escapes() {
        assert_eq!(
            win_ansi_encode("åäöÅÄÖé–€"),
            vec![0xE5, 0xE4, 0xF6, 0xC5, 0xC4, 0xD6, 0xE9, 0x96, 0x80]
        );
        assert_eq!(win_ansi_encode("漢"), b"?".to_vec());
        for code in 0u8..=255 {
            if let Some(c) = win_ansi_decode(code) {
                assert_eq!(win_ansi_encode(&c.to_string()), vec![code]);
            }
        }
        assert_eq!(pdf_literal(b"a(b)c\\"), "(a\\(b\\)c\\\\)");
        assert_eq!(pdf_literal(&[0xE5]), "(\\345)");
    }

    #[test]
    fn long_text_wraps_within_width_and_pages_split() {
        let long = "Justerat digitalt ".repeat(60);
        let mut fonts = PageFonts::new(None);
        let metrics = &fonts;
        let lines = wrap(metrics, &long, Font::Regular, 10.0, TEXT_WIDTH);
        assert!(lines.len() > 3);
        assert!(lines
            .iter()
            .all(|l| text_width(metrics, l, Font::Regular, 10.0) <= TEXT_WIDTH));
        let unbroken = "x".repeat(500);
        let lines = wrap(metrics, &unbroken, Font::Regular, 10.0, TEXT_WIDTH);
        assert!(lines.len() > 1 && lines.concat() == unbroken);

        let page = JusteringPage {
            heading: "Justerat digitalt".into(),
            organ: "Kommunstyrelsen".into(),
            meeting_date: "2026-11-20".into(),
            paragraphs: "§ 1-12".into(),
            document_name: "protokoll.pdf".into(),
            document_sha256: "ab".repeat(32),
            lines: (0..60)
                .map(|i| SignatureLine {
                    name: format!("Person {i}"),
                    role: "Justerare".into(),
                    signed_at: "2026-11-23 14:05 (Europe/Stockholm)".into(),
                    method: "Mobilt BankID".into(),
                })
                .collect(),
            footer: "Sidfot".into(),
        };
        let pages = render_content_streams(&page, &mut fonts);
        assert!(pages.len() >= 2, "60 signers need more than one page");
    }

    /// The page keeps PDF/A-1b, -2b and -2u inputs conformant (page-validation), and pdftotext
    /// reads every name back, also those outside WinAnsi.
    #[test]
    fn embedded_page_keeps_pdfa_1_and_2_and_extracts() {
        use crate::pdf::test_support::*;
        let dir = temp_dir("page-pdfa");
        let fonts = test_fonts();
        let mut page = sample_page("Justerat digitalt");
        page.lines[0].name = "Åsa Öberg-Łukasz".into();
        page.lines[1].name = "Zoë Ðorđević Ægirsdóttir".into();
        for (fixture_path, profiles) in [
            (FIXTURE_1B, &["PDF_A_1B"][..]),
            (FIXTURE_2B, &["PDF_A_2B", "PDF_A_2U"][..]),
        ] {
            let original = fixture(fixture_path);
            let published = crate::pdf::publication::publication_version_with_fonts(
                &original,
                &page,
                Some(&fonts),
            )
            .unwrap();
            let path = dir.join("published.pdf");
            std::fs::write(&path, &published).unwrap();
            for profile in profiles {
                let (compliant, report) = pdfa_failures(&path, profile);
                // The input claims 2B, so a 2U check also reports the claim; nothing else.
                let other_failures = report
                    .lines()
                    .skip(1)
                    .filter(|l| !l.contains("ID-CONFORMANCE"))
                    .count();
                assert!(
                    compliant || (*profile == "PDF_A_2U" && other_failures == 0),
                    "{profile}: {report}"
                );
            }
            let text = pdftotext(&path);
            for name in ["Åsa Öberg-Łukasz", "Zoë Ðorđević Ægirsdóttir", "§§ 1–12"] {
                assert!(text.contains(name), "{name} in {text}");
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
