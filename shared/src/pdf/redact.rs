//! Personnummer taken out of a page: found in the page's text (`domain::personnummer_in_text`
//! over `pdf::text`), their glyphs removed from the content stream itself (not painted over:
//! a box over the text would leave it in the file for anyone to copy), and a visible box drawn
//! where each stood. Everything else on the page stays where it was: a removed glyph is
//! replaced by a TJ adjustment of exactly its advance.
//!
//! A page that cannot be checked safely is refused with the reason ([`Unsafe`]): text a font
//! cannot map, text inside form XObjects, a number in a font without widths (its place cannot
//! be kept), or a number on a rotated line. The caller holds the publication and asks the
//! secretary for a publication version instead.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use chrono::NaiveDate;
use lopdf::content::{Content, Operation};
use lopdf::Object;

use super::text::PageText;
use super::PdfError;
use crate::domain::confidential::{confidential_stretches, ConfidentialParagraph};
use crate::domain::personnummer_in_text::find_personnummer;

/// Why a page cannot be published by itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unsafe {
    #[error("text on the page cannot be read (a font without a map to Unicode)")]
    UnreadableText,
    #[error("the page draws text from a form, which is not read")]
    TextInForm,
    #[error("a personnummer stands in a font whose glyph widths are unknown")]
    UnknownWidths,
    #[error("a personnummer stands on a line that is not horizontal")]
    RotatedText,
}

/// The words written in each box, in a font the caller adds to the page's resources.
pub struct Label {
    /// The font's name in the page's resources.
    pub font: Vec<u8>,
    /// The words, encoded for the font's `Tj`.
    pub shown: Vec<u8>,
    /// Their width at a size of one point.
    pub width: f32,
}

/// What the box says.
pub const LABEL: &str = "personnummer borttaget";

/// (operation, string of it) → the byte ranges to take out, each with the TJ number that
/// stands in for it.
type Cuts = BTreeMap<(usize, usize), Vec<(Range<usize>, f32)>>;

/// What was removed from a page: how many numbers, and the rectangles drawn where they stood
/// (x, y, width, height in user space; one per line a number stands on).
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub numbers: usize,
    pub boxes: Vec<[f32; 4]>,
}

/// The glyphs of each personnummer on the page, or why the page cannot be checked.
pub fn personnummer_glyphs(page: &PageText, today: NaiveDate) -> Result<Vec<Vec<usize>>, Unsafe> {
    if page.unmapped > 0 {
        return Err(Unsafe::UnreadableText);
    }
    if page.text_in_forms {
        return Err(Unsafe::TextInForm);
    }
    Ok(find_personnummer(&page.text, today)
        .iter()
        .map(|range| page.glyphs_in(range))
        .collect())
}

/// What stands where removed glyphs stood.
pub enum Mark {
    /// A personnummer: a box on each line it stood on, with the label.
    Boxes,
    /// A paragraph under sekretess: one line of text where it began (its glyphs' positions
    /// need no keeping: whole lines go).
    Note {
        /// The line, encoded for the label's font.
        shown: Vec<u8>,
        /// Its width at a size of one point.
        width: f32,
        /// The right edge of the page in user space: the line is made small enough to fit.
        right: f32,
    },
}

/// Glyphs to take out of a page, and what to put in their place.
pub struct Cut {
    pub glyphs: Vec<usize>,
    pub mark: Mark,
}

/// What comes off a page: every personnummer (boxed), and the text of the paragraphs under
/// sekretess (a note where each began). `open` is the confidential paragraph an earlier page
/// left open, updated for the next page; `right` the page's right edge; `encode` gives a
/// note's line in the label's font and its width at one point. Answers the cuts and the
/// paragraphs that lost text here.
pub fn page_cuts(
    page: &PageText,
    today: NaiveDate,
    confidential: &[ConfidentialParagraph],
    open: &mut Option<u32>,
    right: f32,
    encode: &mut dyn FnMut(&str) -> (Vec<u8>, f32),
) -> Result<(Vec<Cut>, Vec<u32>), Unsafe> {
    let numbers = personnummer_glyphs(page, today)?;
    let marked: Vec<u32> = confidential.iter().map(|c| c.paragraph).collect();
    let (stretches, left_open) = confidential_stretches(&page.text, &marked, *open);
    *open = left_open;
    let mut cuts = Vec::new();
    let mut secret = BTreeSet::new();
    let mut paragraphs = Vec::new();
    for stretch in stretches {
        let glyphs = page.glyphs_in(&stretch.range);
        let Some(paragraph) = confidential
            .iter()
            .find(|c| c.paragraph == stretch.paragraph)
        else {
            continue;
        };
        let (shown, width) = encode(&paragraph.note());
        secret.extend(glyphs.iter().copied());
        paragraphs.push(stretch.paragraph);
        cuts.push(Cut {
            glyphs,
            mark: Mark::Note {
                shown,
                width,
                right,
            },
        });
    }
    // A number inside a paragraph that goes whole goes with it (cut once, not twice).
    let outside: Vec<Vec<usize>> = numbers
        .into_iter()
        .filter(|g| !g.iter().any(|i| secret.contains(i)))
        .collect();
    cuts.extend(number_cuts(&outside));
    Ok((cuts, paragraphs))
}

/// The page's content (as [`PageText`] was read from) with the glyphs of each cut taken out
/// and its mark drawn; and what was removed. The numbers from [`personnummer_glyphs`] are cuts
/// with [`Mark::Boxes`].
pub fn remove_glyphs(
    mut content: Content,
    page: &PageText,
    removals: &[Cut],
    label: Option<&Label>,
) -> Result<Result<(Vec<u8>, Removed), Unsafe>, PdfError> {
    let mut boxes = Vec::new();
    let mut notes = Vec::new();
    let mut cuts: Cuts = BTreeMap::new();
    for removal in removals.iter().filter(|r| !r.glyphs.is_empty()) {
        match &removal.mark {
            Mark::Boxes => match number_boxes(page, &removal.glyphs, &mut cuts) {
                Ok(lines) => boxes.extend(lines),
                Err(e) => return Ok(Err(e)),
            },
            Mark::Note {
                shown,
                width,
                right,
            } => {
                for &g in &removal.glyphs {
                    let glyph = &page.glyphs[g];
                    cuts.entry((glyph.op, glyph.part))
                        .or_default()
                        .push((glyph.bytes.clone(), glyph.tj_units.unwrap_or(0.0)));
                }
                let first = &page.glyphs[removal.glyphs[0]];
                let (x, y) = first.origin;
                let room = (right - x - 18.0).max(36.0);
                let size = first.size.clamp(6.0, 11.0).min(room / width.max(0.01));
                notes.push((shown.clone(), x, y, size));
            }
        }
    }
    // The page's own drawing between q and Q, so the marks after it stand in the page's
    // default coordinates whatever state the content leaves behind.
    let mut operations = Vec::with_capacity(content.operations.len() + 2 + 13 * boxes.len());
    operations.push(Operation::new("q", vec![]));
    let ops_with_cuts: BTreeSet<usize> = cuts.keys().map(|(op, _)| *op).collect();
    for (i, op) in content.operations.drain(..).enumerate() {
        if ops_with_cuts.contains(&i) {
            operations.extend(cut_operation(op, i, &cuts));
        } else {
            operations.push(op);
        }
    }
    operations.push(Operation::new("Q", vec![]));
    for b in &boxes {
        operations.extend(box_operations(b, label));
    }
    if let Some(label) = label {
        for (shown, x, y, size) in notes {
            operations.extend(note_operations(&label.font, shown, x, y, size));
        }
    }
    let bytes = Content { operations }
        .encode()
        .map_err(|e| PdfError::Unreadable(format!("page content: {e}")))?;
    let numbers = removals
        .iter()
        .filter(|r| !r.glyphs.is_empty() && matches!(r.mark, Mark::Boxes))
        .count();
    Ok(Ok((bytes, Removed { numbers, boxes })))
}

/// The numbers from [`personnummer_glyphs`] as cuts with boxes.
pub fn number_cuts(numbers: &[Vec<usize>]) -> Vec<Cut> {
    numbers
        .iter()
        .map(|glyphs| Cut {
            glyphs: glyphs.clone(),
            mark: Mark::Boxes,
        })
        .collect()
}

/// The cuts of one number's glyphs (each replaced by its advance, so the rest of the line
/// stays in place), and the rectangles of the lines it stood on (x, y, width, height).
fn number_boxes(
    page: &PageText,
    glyphs: &[usize],
    cuts: &mut Cuts,
) -> Result<Vec<[f32; 4]>, Unsafe> {
    let mut boxes = Vec::new();
    // One box per line the number stands on (a number may wrap at its hyphen).
    let mut line: Option<[f32; 4]> = None;
    let mut previous: Option<&super::text::Glyph> = None;
    for &g in glyphs {
        let glyph = &page.glyphs[g];
        let (Some(units), Some(advance)) = (glyph.tj_units, glyph.advance) else {
            return Err(Unsafe::UnknownWidths);
        };
        let tolerance = 0.01 * glyph.size.max(1.0);
        let same_line = previous.is_some_and(|p| (glyph.origin.1 - p.origin.1).abs() <= tolerance);
        if previous.is_some_and(|p| !same_line && (p.op, p.part) == (glyph.op, glyph.part)) {
            // Glyphs of one string going up or down the page: a rotated line.
            return Err(Unsafe::RotatedText);
        }
        let (x, y, size) = (glyph.origin.0, glyph.origin.1, glyph.size);
        let this = [x, y - 0.25 * size, x + advance, y + 0.85 * size];
        line = match line {
            Some(b) if same_line => Some([
                b[0].min(this[0]),
                b[1].min(this[1]),
                b[2].max(this[2]),
                b[3].max(this[3]),
            ]),
            Some(b) => {
                boxes.push(b);
                Some(this)
            }
            None => Some(this),
        };
        previous = Some(glyph);
        cuts.entry((glyph.op, glyph.part))
            .or_default()
            .push((glyph.bytes.clone(), units));
    }
    boxes.extend(line);
    Ok(boxes
        .into_iter()
        .map(|[x0, y0, x1, y1]| [x0, y0, x1 - x0, y1 - y0])
        .collect())
}

/// One text-showing operation with its cut strings as TJ arrays (`'` and `"` keep their line
/// move and spacing as operations of their own).
fn cut_operation(op: Operation, i: usize, cuts: &Cuts) -> Vec<Operation> {
    let cut = |part: usize, string: &Object| -> Vec<Object> {
        match cuts.get(&(i, part)) {
            Some(ranges) => cut_string(string, ranges),
            None => vec![string.clone()],
        }
    };
    let tj = |parts: Vec<Object>| Operation::new("TJ", vec![Object::Array(parts)]);
    match (op.operator.as_str(), op.operands.as_slice()) {
        ("Tj", [s]) => vec![tj(cut(0, s))],
        ("'", [s]) => vec![Operation::new("T*", vec![]), tj(cut(0, s))],
        ("\"", [aw, ac, s]) => vec![
            Operation::new("Tw", vec![aw.clone()]),
            Operation::new("Tc", vec![ac.clone()]),
            Operation::new("T*", vec![]),
            tj(cut(0, s)),
        ],
        ("TJ", [Object::Array(parts)]) => {
            let parts = parts
                .iter()
                .enumerate()
                .flat_map(|(part, element)| match element {
                    Object::String(..) => cut(part, element),
                    other => vec![other.clone()],
                })
                .collect();
            vec![tj(parts)]
        }
        _ => vec![op],
    }
}

/// A string with `ranges` taken out: the kept pieces, each cut replaced by the TJ number that
/// moves as far as the glyphs it held.
fn cut_string(string: &Object, ranges: &[(Range<usize>, f32)]) -> Vec<Object> {
    let Object::String(bytes, format) = string else {
        return vec![string.clone()];
    };
    let mut ranges = ranges.to_vec();
    ranges.sort_by_key(|(r, _)| r.start);
    let mut out = Vec::new();
    let mut at = 0;
    let mut pending = 0.0;
    for (range, units) in ranges {
        if range.start > at {
            if pending != 0.0 {
                out.push(Object::Real(pending));
                pending = 0.0;
            }
            out.push(Object::String(bytes[at..range.start].to_vec(), *format));
        }
        pending += units;
        at = at.max(range.end);
    }
    if pending != 0.0 {
        out.push(Object::Real(pending));
    }
    if at < bytes.len() {
        out.push(Object::String(bytes[at..].to_vec(), *format));
    }
    out
}

/// Operations marked as an artifact: not part of the document's logical content, so a tagged
/// document stays complete (PDF/UA 7.1).
fn artifact(mut ops: Vec<Operation>) -> Vec<Operation> {
    ops.insert(
        0,
        Operation::new("BMC", vec![Object::Name(b"Artifact".to_vec())]),
    );
    ops.push(Operation::new("EMC", vec![]));
    ops
}

/// Text in the label's font at (x, y), dark grey.
fn text_operations(font: &[u8], shown: Vec<u8>, x: f32, y: f32, size: f32) -> [Operation; 6] {
    let r = |v: f32| Object::Real(v);
    [
        Operation::new("BT", vec![]),
        Operation::new("rg", vec![r(0.1), r(0.1), r(0.1)]),
        Operation::new("Tf", vec![Object::Name(font.to_vec()), r(size)]),
        Operation::new("Td", vec![r(x), r(y)]),
        Operation::new(
            "Tj",
            vec![Object::String(shown, lopdf::StringFormat::Hexadecimal)],
        ),
        Operation::new("ET", vec![]),
    ]
}

/// A light box with a dark border where a number stood, drawn in the page's own coordinates,
/// with the label inside, as large as the box allows.
fn box_operations(b: &[f32; 4], label: Option<&Label>) -> Vec<Operation> {
    let r = |v: f32| Object::Real(v);
    let mut ops = vec![
        Operation::new("q", vec![]),
        Operation::new("rg", vec![r(0.85), r(0.85), r(0.85)]),
        Operation::new("RG", vec![r(0.2), r(0.2), r(0.2)]),
        Operation::new("w", vec![r(0.5)]),
        Operation::new("re", vec![r(b[0]), r(b[1]), r(b[2]), r(b[3])]),
        Operation::new("B", vec![]),
    ];
    if let Some(label) = label.filter(|l| l.width > 0.0) {
        // The label fits the box's width with a margin, and at most 60 % of its height.
        let size = (0.6 * b[3]).min(0.9 * b[2] / label.width);
        let x = b[0] + (b[2] - label.width * size) / 2.0;
        // Centred on the box by the height of lower-case letters (about half the size).
        let y = b[1] + (b[3] - 0.5 * size) / 2.0;
        ops.extend(text_operations(
            &label.font,
            label.shown.clone(),
            x,
            y,
            size,
        ));
    }
    ops.push(Operation::new("Q", vec![]));
    artifact(ops)
}

/// The line that stands where a paragraph under sekretess began.
fn note_operations(font: &[u8], shown: Vec<u8>, x: f32, y: f32, size: f32) -> Vec<Operation> {
    let mut ops = vec![Operation::new("q", vec![])];
    ops.extend(text_operations(font, shown, x, y, size));
    ops.push(Operation::new("Q", vec![]));
    artifact(ops)
}

#[cfg(test)]
#[path = "redact_tests.rs"]
mod tests;
