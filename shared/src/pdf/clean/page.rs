//! One page of the clean copy: its text read, its numbers and paragraphs under sekretess
//! taken out of its content, and the page written with the label's font in its resources.

use std::io::Write;

use chrono::NaiveDate;
use lopdf::{Dictionary, Object, Stream};

use super::super::redact::{page_cuts, remove_glyphs, Label};
use super::super::text::{decode_content, read_page_text};
use super::super::update::PreviousRevision;
use super::super::{decode_stream, PdfError, MAX_DECODED_STRUCTURE};
use super::copier::Copier;
use super::{HoldReason, PAGE_KEYS};
use crate::domain::confidential::ConfidentialParagraph;

impl<W: Write> Copier<'_, '_, W> {
    /// One page: its content checked, its numbers and paragraphs under sekretess taken out;
    /// the count of numbers taken out, or why the page cannot be published.
    pub(super) fn page(
        &mut self,
        page: &Dictionary,
        id: u32,
        parent: u32,
        (today, confidential): (NaiveDate, &[ConfidentialParagraph]),
    ) -> Result<Result<usize, HoldReason>, PdfError> {
        let content = page_content(self.prev, page)?;
        let resources = match page.get(b"Resources").map(|r| self.prev.resolve(r)) {
            Ok(Ok(Object::Dictionary(d))) => d,
            _ => Dictionary::new(),
        };
        let prev = self.prev;
        let operations = decode_content(&content)?;
        // An image too large to read whole is known by its dictionary (its pixels are not
        // read for text anyway); anything else that cannot be read stays an error.
        let mut resolve = |o: &Object| {
            prev.resolve(o).or_else(|e| match prev.resolve_shallow(o) {
                Ok(Object::Stream(s)) if is_image(&s.dict) => Ok(Object::Stream(s)),
                _ => Err(e),
            })
        };
        let text = read_page_text(&operations, &resources, &mut resolve)?;
        if text.images && text.glyphs.is_empty() {
            return Ok(Err(HoldReason::OnlyImages));
        }
        let right = right_edge(page);
        let mut label = self.label.as_mut();
        let mut encode = |line: &str| match label.as_mut() {
            Some(l) => (l.font.encode(line), l.font.text_width(line)),
            None => (Vec::new(), 0.0),
        };
        let mut open = self.open_paragraph;
        let cuts = page_cuts(&text, today, confidential, &mut open, right, &mut encode);
        self.open_paragraph = open;
        let (cuts, paragraphs) = match cuts {
            Ok(c) => c,
            Err(e) => return Ok(Err(e.into())),
        };
        self.paragraphs.extend(paragraphs);
        let mut resources_with_label = None;
        let (content, count) = if cuts.is_empty() {
            (content, 0)
        } else {
            let label = self.label_in(&resources);
            let shown = label.as_ref().map(|(l, _, _)| l);
            match remove_glyphs(operations, &text, &cuts, shown)? {
                Ok((content, removed)) => {
                    resources_with_label = label.map(|(l, r, font)| (r, l.font, font));
                    (content, removed.numbers)
                }
                Err(e) => return Ok(Err(e.into())),
            }
        };
        let contents = self.allocate();
        let mut stream = Stream::new(Dictionary::new(), content);
        let _ = stream.compress();
        self.write(contents, &Object::Stream(stream))?;
        let mut new = Dictionary::new();
        new.set("Type", Object::Name(b"Page".to_vec()));
        new.set("Parent", Object::Reference((parent, 0)));
        for key in PAGE_KEYS {
            if let Ok(value) = page.get(key) {
                let value = self.rewrite(value.clone());
                if !matches!(value, Object::Null) {
                    new.set(key, value);
                }
            }
        }
        if let Some((resources, name, font)) = resources_with_label {
            // The label's font is an object of the copy, added after the upload's references
            // are turned into the copy's.
            let mut resources = match self.rewrite(Object::Dictionary(resources)) {
                Object::Dictionary(d) => d,
                _ => Dictionary::new(),
            };
            let mut fonts = match resources.get(b"Font") {
                Ok(Object::Dictionary(d)) => d.clone(),
                _ => Dictionary::new(),
            };
            fonts.set(name, Object::Reference((font, 0)));
            resources.set("Font", Object::Dictionary(fonts));
            new.set("Resources", Object::Dictionary(resources));
        }
        new.set("Contents", Object::Reference((contents, 0)));
        self.write(id, &Object::Dictionary(new))?;
        Ok(Ok(count))
    }

    /// The label for the boxes of a page with `resources` (its font under a name the page does
    /// not use), those resources with their fonts made the page's own, and the font's id.
    fn label_in(&mut self, resources: &Dictionary) -> Option<(Label, Dictionary, u32)> {
        let next = self.next;
        let label = self.label.as_mut()?;
        let id = *label.id.get_or_insert(next);
        if id == next {
            self.next += 1;
        }
        let fonts = match resources.get(b"Font").map(|f| self.prev.resolve(f)) {
            Ok(Ok(Object::Dictionary(d))) => d,
            _ => Dictionary::new(),
        };
        let name = (0..)
            .map(|n| format!("EsignLabel{n}").into_bytes())
            .find(|name| !fonts.has(name))?;
        let mut resources = resources.clone();
        resources.set("Font", Object::Dictionary(fonts));
        Some((
            Label {
                font: name,
                shown: label.shown.clone(),
                width: label.width,
            },
            resources,
            id,
        ))
    }
}

fn is_image(dict: &Dictionary) -> bool {
    matches!(dict.get(b"Subtype").and_then(Object::as_name), Ok(b"Image"))
}

/// The right edge of a page's media box (A4's when it has none that can be read).
fn right_edge(page: &Dictionary) -> f32 {
    match page.get(b"MediaBox") {
        Ok(Object::Array(b)) if b.len() == 4 => b[2].as_float().unwrap_or(595.0),
        _ => 595.0,
    }
}

/// The page's content, its streams decoded and joined (each bounded).
fn page_content(prev: &PreviousRevision<'_>, page: &Dictionary) -> Result<Vec<u8>, PdfError> {
    let streams = match page.get(b"Contents").map(|c| prev.resolve(c)) {
        Ok(Ok(Object::Array(parts))) => parts,
        Ok(Ok(single @ Object::Stream(_))) => vec![single],
        _ => Vec::new(),
    };
    let mut content = Vec::new();
    for s in streams {
        if let Object::Stream(stream) = prev.resolve(&s)? {
            content.extend(decode_stream(&stream, MAX_DECODED_STRUCTURE)?);
            content.push(b'\n');
            if content.len() > MAX_DECODED_STRUCTURE {
                return Err(PdfError::StreamTooLarge {
                    limit: MAX_DECODED_STRUCTURE,
                });
            }
        }
    }
    Ok(content)
}
