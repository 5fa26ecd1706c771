//! A page's text, glyph by glyph: which text-showing operation drew each glyph, from which
//! bytes of which string, what it means in Unicode, and where it stands on the page. What the
//! publication version's redaction needs to find a personnummer however the producer wrote it
//! (split across operators, kerned inside a TJ array, in a subset font with a ToUnicode map)
//! and to take exactly those glyphs out.
//!
//! Written here because no crate gives glyph-level positions tied back to the content
//! stream's operations (text extractors give strings); lopdf decodes the content stream and
//! the fonts' encodings and ToUnicode maps (`font`). Text in a form XObject is reported, not
//! read: a page holding it cannot be checked yet, and the caller holds its publication.

mod font;
mod standard_widths;
#[cfg(test)]
pub(crate) mod tests;

use std::collections::HashMap;
use std::ops::Range;

use lopdf::content::Content;
use lopdf::{Dictionary, Object};

use super::PdfError;
use font::PageFont;

/// Resolves a reference to the object (streams with their data).
pub type Resolve<'a> = dyn FnMut(&Object) -> Result<Object, PdfError> + 'a;

/// One shown glyph.
#[derive(Clone, Debug, PartialEq)]
pub struct Glyph {
    /// The text-showing operation (its index in the page's content operations).
    pub op: usize,
    /// Which string of the operation: the element of a TJ array; 0 for Tj, `'` and `"`.
    pub part: usize,
    /// The glyph's bytes in that string.
    pub bytes: Range<usize>,
    /// Its Unicode text; None when the font cannot say.
    pub text: Option<String>,
    /// Its origin in user space.
    pub origin: (f32, f32),
    /// How far it advances along the line in user space; None when the font gives no widths.
    pub advance: Option<f32>,
    /// The font size in user space (the height of a line of it).
    pub size: f32,
    /// How far the glyph moved the text position, as the number a TJ array would need to
    /// move it as far (negative to the right), in thousandths of text space: what stands in
    /// for the glyph when it is taken out. None when the font gives no widths.
    pub tj_units: Option<f32>,
}

/// A page's glyphs and the text they spell, spaces and line breaks put where glyphs stand
/// apart.
#[derive(Debug, Default)]
pub struct PageText {
    pub glyphs: Vec<Glyph>,
    pub text: String,
    /// Where each glyph's text lies in `text`.
    spans: Vec<(Range<usize>, usize)>,
    /// Glyphs whose font cannot say what they mean.
    pub unmapped: usize,
    /// The page draws a form XObject that shows text (not read here).
    pub text_in_forms: bool,
    /// The page draws images (text in them cannot be read).
    pub images: bool,
}

impl PageText {
    /// The glyphs whose text lies in `range` of [`PageText::text`].
    pub fn glyphs_in(&self, range: &Range<usize>) -> Vec<usize> {
        self.spans
            .iter()
            .filter(|(span, _)| span.start < range.end && range.start < span.end)
            .map(|(_, g)| *g)
            .collect()
    }
}

/// The most operations a page's content may have for its text to be read (a real page has
/// thousands; a hostile one could claim billions).
const MAX_OPERATIONS: usize = 2_000_000;

/// A page's (decoded, concatenated) content streams as operations, within the bound: read
/// once, then read for text and, where numbers stand, cut (`pdf::redact`), by the same indices.
pub fn decode_content(bytes: &[u8]) -> Result<Content, PdfError> {
    let content =
        Content::decode(bytes).map_err(|e| PdfError::Unreadable(format!("page content: {e}")))?;
    if content.operations.len() > MAX_OPERATIONS {
        return Err(PdfError::Unsupported(
            "a page with too many operations".into(),
        ));
    }
    Ok(content)
}

/// Read the text of a page whose content is `content` ([`decode_content`]) and whose
/// resources are `resources`.
pub fn read_page_text(
    content: &Content,
    resources: &Dictionary,
    resolve: &mut Resolve<'_>,
) -> Result<PageText, PdfError> {
    let fonts = match resources.get(b"Font").map(&mut *resolve) {
        Ok(Ok(Object::Dictionary(d))) => d,
        _ => Dictionary::new(),
    };
    let xobjects = match resources.get(b"XObject").map(&mut *resolve) {
        Ok(Ok(Object::Dictionary(d))) => d,
        _ => Dictionary::new(),
    };
    let mut reader = Reader {
        out: PageText::default(),
        loaded: HashMap::new(),
        state: TextState::default(),
        stack: Vec::new(),
        ctm: IDENTITY,
        tm: IDENTITY,
        tlm: IDENTITY,
        last: None,
    };
    for (i, op) in content.operations.iter().enumerate() {
        reader.operation(i, &op.operator, &op.operands, &fonts, &xobjects, resolve)?;
    }
    Ok(reader.out)
}

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

/// `a` then `b` (row vectors, as PDF writes them).
fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

fn apply(m: &Matrix, (x, y): (f32, f32)) -> (f32, f32) {
    (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
}

#[derive(Clone, Default)]
struct TextState {
    font: Option<Vec<u8>>,
    size: f32,
    char_spacing: f32,
    word_spacing: f32,
    /// Horizontal scaling, 1.0 = 100 %.
    scale: Option<f32>,
    leading: f32,
    rise: f32,
}

struct Reader {
    out: PageText,
    loaded: HashMap<Vec<u8>, Option<PageFont>>,
    state: TextState,
    stack: Vec<(Matrix, TextState)>,
    ctm: Matrix,
    tm: Matrix,
    tlm: Matrix,
    /// Where the last glyph ended (user space) and its size: to put spaces and line breaks.
    last: Option<((f32, f32), f32)>,
}

fn num(o: Option<&Object>) -> f32 {
    match o {
        Some(Object::Integer(i)) => *i as f32,
        Some(Object::Real(r)) => *r,
        _ => 0.0,
    }
}

impl Reader {
    fn operation(
        &mut self,
        i: usize,
        operator: &str,
        operands: &[Object],
        fonts: &Dictionary,
        xobjects: &Dictionary,
        resolve: &mut Resolve<'_>,
    ) -> Result<(), PdfError> {
        let n = |k: usize| num(operands.get(k));
        match operator {
            "q" => self.stack.push((self.ctm, self.state.clone())),
            "Q" => {
                if let Some((ctm, state)) = self.stack.pop() {
                    self.ctm = ctm;
                    self.state = state;
                }
            }
            "cm" => self.ctm = multiply(&[n(0), n(1), n(2), n(3), n(4), n(5)], &self.ctm),
            "BT" => {
                self.tm = IDENTITY;
                self.tlm = IDENTITY;
            }
            "Tf" => {
                self.state.font = operands
                    .first()
                    .and_then(|f| f.as_name().ok())
                    .map(<[u8]>::to_vec);
                self.state.size = n(1);
                if let Some(name) = &self.state.font {
                    if !self.loaded.contains_key(name) {
                        let font = match fonts.get(name).map(&mut *resolve) {
                            Ok(Ok(Object::Dictionary(d))) => Some(PageFont::load(&d, resolve)?),
                            _ => None,
                        };
                        self.loaded.insert(name.clone(), font);
                    }
                }
            }
            "Tc" => self.state.char_spacing = n(0),
            "Tw" => self.state.word_spacing = n(0),
            "Tz" => self.state.scale = Some(n(0) / 100.0),
            "TL" => self.state.leading = n(0),
            "Ts" => self.state.rise = n(0),
            "Td" => self.move_line(n(0), n(1)),
            "TD" => {
                self.state.leading = -n(1);
                self.move_line(n(0), n(1));
            }
            "Tm" => {
                self.tm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                self.tlm = self.tm;
            }
            "T*" => self.move_line(0.0, -self.state.leading),
            "Tj" => self.show(i, 0, operands.first()),
            "'" => {
                self.move_line(0.0, -self.state.leading);
                self.show(i, 0, operands.first());
            }
            "\"" => {
                self.state.word_spacing = n(0);
                self.state.char_spacing = n(1);
                self.move_line(0.0, -self.state.leading);
                self.show(i, 0, operands.get(2));
            }
            "TJ" => {
                if let Some(Object::Array(parts)) = operands.first() {
                    for (part, element) in parts.iter().enumerate() {
                        match element {
                            Object::String(..) => self.show(i, part, Some(element)),
                            other => {
                                let adjust = num(Some(other));
                                let tx = -adjust / 1000.0 * self.state.size * self.scale();
                                self.tm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &self.tm);
                                if adjust < -200.0 {
                                    self.space();
                                }
                            }
                        }
                    }
                }
            }
            "Do" => self.draw_xobject(operands.first(), xobjects, resolve),
            "BI" | "ID" | "EI" => self.out.images = true,
            _ => {}
        }
        Ok(())
    }

    fn scale(&self) -> f32 {
        self.state.scale.unwrap_or(1.0)
    }

    fn move_line(&mut self, tx: f32, ty: f32) {
        self.tlm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, ty], &self.tlm);
        self.tm = self.tlm;
    }

    fn space(&mut self) {
        if !self.out.text.is_empty() && !self.out.text.ends_with(char::is_whitespace) {
            self.out.text.push(' ');
        }
    }

    /// A break before the next glyph where it does not continue the last one: a new line, or
    /// a gap on the same line.
    fn separate_from_last(&mut self, origin: (f32, f32), size: f32) {
        let Some(((x, y), last_size)) = self.last else {
            return;
        };
        let height = size.max(last_size).max(1.0);
        if (origin.1 - y).abs() > 0.5 * height {
            if !self.out.text.is_empty() && !self.out.text.ends_with('\n') {
                self.out.text.push('\n');
            }
        } else if (origin.0 - x).abs() > 0.2 * height {
            self.space();
        }
    }

    fn show(&mut self, op: usize, part: usize, string: Option<&Object>) {
        let Some(Object::String(bytes, _)) = string else {
            return;
        };
        let Some(name) = self.state.font.clone() else {
            return;
        };
        let Some(Some(font)) = self.loaded.get(&name) else {
            // A font the page does not have: nothing can be read of what it shows.
            self.out.unmapped += bytes.len();
            return;
        };
        let decoded: Vec<_> = font
            .codes(bytes)
            .into_iter()
            .map(|c| {
                let (width, text, space) = (
                    font.width(c.code),
                    font.text(c.code),
                    font.is_single_byte_space(&c),
                );
                (c, width, text, space)
            })
            .collect();
        for (code, width, text, is_space) in decoded {
            let trm = multiply(&self.tm, &self.ctm);
            let origin = apply(&trm, (0.0, self.state.rise));
            let size = (self.state.size * (trm[2] * trm[2] + trm[3] * trm[3]).sqrt()).abs();
            let spacing = self.state.char_spacing
                + if is_space {
                    self.state.word_spacing
                } else {
                    0.0
                };
            let tx = (width.unwrap_or(0.0) / 1000.0 * self.state.size + spacing) * self.scale();
            let end = apply(
                &multiply(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &trm),
                (0.0, self.state.rise),
            );
            let advance =
                width.map(|_| ((end.0 - origin.0).powi(2) + (end.1 - origin.1).powi(2)).sqrt());
            let tj_units = width
                .filter(|_| self.state.size != 0.0)
                .map(|w| -(w + spacing * 1000.0 / self.state.size));
            match &text {
                Some(t) => {
                    if width.is_some() {
                        self.separate_from_last(origin, size);
                    } else {
                        self.space();
                    }
                    let start = self.out.text.len();
                    self.out.text.push_str(t);
                    let g = self.out.glyphs.len();
                    self.out.spans.push((start..self.out.text.len(), g));
                }
                None => self.out.unmapped += 1,
            }
            self.out.glyphs.push(Glyph {
                op,
                part,
                bytes: code.bytes,
                text,
                origin,
                advance,
                size,
                tj_units,
            });
            self.tm = multiply(&[1.0, 0.0, 0.0, 1.0, tx, 0.0], &self.tm);
            self.last = Some((end, size));
        }
    }

    /// An image is noted; a form that shows text is noted too (its text is not read here).
    fn draw_xobject(
        &mut self,
        name: Option<&Object>,
        xobjects: &Dictionary,
        resolve: &mut Resolve<'_>,
    ) {
        let Some(name) = name.and_then(|n| n.as_name().ok()) else {
            return;
        };
        let stream = match xobjects.get(name).map(&mut *resolve) {
            Ok(Ok(Object::Stream(stream))) => stream,
            // Drawn, but it cannot be read: it may hold text, so the page cannot be checked.
            Ok(Err(_)) => {
                self.out.text_in_forms = true;
                return;
            }
            _ => return,
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => self.out.images = true,
            Ok(b"Form") => {
                let shows_text =
                    crate::pdf::decode_stream(&stream, crate::pdf::MAX_DECODED_STRUCTURE)
                        .ok()
                        .and_then(|c| Content::decode(&c).ok())
                        .is_none_or(|c| {
                            c.operations
                                .iter()
                                .any(|o| o.operator == "BT" || o.operator == "Do")
                        });
                self.out.text_in_forms |= shows_text;
            }
            _ => {}
        }
    }
}
