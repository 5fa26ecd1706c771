//! The clean copy a publication version starts from: a new file, not an update of the upload.
//! It holds the pages (their content with every personnummer taken out, `pdf::redact`), their
//! resources, links and the document's tagging, and nothing else the upload carried: no
//! earlier revisions, signatures, form fields, embedded or associated files, JavaScript or
//! other actions, annotations other than links, private application data, or metadata beyond
//! a title, a subject and a date.
//!
//! Objects are read one at a time from the upload (`PreviousRevision`, on demand) and written
//! as they are reached, streams as stored (still compressed), so memory grows with the largest
//! object, not with the file. What is dropped is dropped wherever it is reached from (a
//! signature field the structure tree points at becomes null too).
//!
//! Paragraphs under sekretess go too, with a line naming the ground (`domain::confidential`).
//!
//! A page that cannot be checked safely (`redact::Unsafe`, or a page whose only content is
//! images), or a paragraph marked for sekretess that is not found, stops the copy: the caller
//! holds the publication. `copier.rs` writes the objects, `page.rs` makes each page.

mod copier;
mod page;

use std::collections::{HashMap, VecDeque};
use std::io::Write;
use std::path::Path;

use chrono::NaiveDate;
use lopdf::{Dictionary, Object, ObjectId};

use super::redact::Unsafe;
use super::update::PreviousRevision;
use super::PdfError;
use crate::domain::confidential::ConfidentialParagraph;
use copier::{Copier, Counting, LabelFont};

/// What the clean copy says of itself (the document information dictionary), and the
/// paragraphs it leaves out.
pub struct CleanInfo {
    pub title: String,
    /// e.g. the organ: "Socialnämnden".
    pub subject: String,
    /// D:YYYYMMDDHHmmSS+00'00'
    pub date: String,
    /// Paragraphs under sekretess: left out, a line naming the ground where each began.
    pub confidential: Vec<ConfidentialParagraph>,
    /// Whether a marked paragraph may be missing: in the secretary's own publication version
    /// she may have taken it out herself. Otherwise a marked paragraph not found holds the copy.
    pub confidential_may_be_gone: bool,
    /// A page added after the protocol's own (the "Justerat digitalt" page), written in the
    /// same single revision.
    pub page_after: Option<super::page::JusteringPage>,
}

pub use crate::domain::document::PageRemoval;
use crate::domain::document::{HeldPage, HoldWhy, PublicationCheck};

#[derive(Clone, Debug, PartialEq)]
pub enum CleanOutcome {
    /// Written; these pages had numbers removed.
    Written {
        removed: Vec<PageRemoval>,
        /// The paragraphs under sekretess that were left out (each once).
        paragraphs: Vec<u32>,
    },
    /// Not written: this page (from 1; 0 for the whole protocol) cannot be published by
    /// itself, for this reason.
    Held { page: usize, reason: HoldReason },
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HoldReason {
    #[error(transparent)]
    Unsafe(#[from] Unsafe),
    #[error("the page is only images: its text cannot be read")]
    OnlyImages,
    #[error("paragraph {0}, under sekretess, was not found in the text")]
    ParagraphNotFound(u32),
}

impl HoldReason {
    /// The reason as the order and the secretary know it.
    pub fn why(&self) -> HoldWhy {
        match self {
            HoldReason::OnlyImages => HoldWhy::OnlyImages,
            HoldReason::Unsafe(Unsafe::UnreadableText | Unsafe::TextInForm) => {
                HoldWhy::UnreadableText
            }
            HoldReason::Unsafe(Unsafe::UnknownWidths | Unsafe::RotatedText) => {
                HoldWhy::CannotRemove
            }
            HoldReason::ParagraphNotFound(_) => HoldWhy::ParagraphNotFound,
        }
    }

    /// The reason as the secretary reads it, with the page (0: the whole protocol).
    pub fn held_page(&self, page: usize) -> HeldPage {
        HeldPage {
            page,
            why: self.why(),
            paragraph: match self {
                HoldReason::ParagraphNotFound(p) => Some(*p),
                _ => None,
            },
        }
    }
}

/// What the clean copy of the PDF at `input` would take out, or which page would hold it;
/// the copy itself is not kept (the check at intake, before anything is published).
pub fn publication_check(input: &Path, today: NaiveDate) -> Result<PublicationCheck, PdfError> {
    let info = CleanInfo {
        title: String::new(),
        subject: String::new(),
        date: String::new(),
        confidential: Vec::new(),
        confidential_may_be_gone: false,
        page_after: None,
    };
    Ok(match clean_copy_to(input, std::io::sink(), &info, today)? {
        CleanOutcome::Written { removed, .. } => PublicationCheck {
            removed,
            held: None,
        },
        CleanOutcome::Held { page, reason } => PublicationCheck {
            removed: Vec::new(),
            held: Some(reason.held_page(page)),
        },
    })
}

/// Page attributes a page may inherit from the page tree (ISO 32000-1 7.7.3.4).
const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];
/// What a page of the clean copy keeps.
const PAGE_KEYS: [&[u8]; 12] = [
    b"Resources",
    b"MediaBox",
    b"CropBox",
    b"BleedBox",
    b"TrimBox",
    b"ArtBox",
    b"Rotate",
    b"Group",
    b"StructParents",
    b"Tabs",
    b"UserUnit",
    b"Annots",
];
/// Most pages a document may have for a clean copy.
const MAX_PAGES: usize = 100_000;

/// Write the clean copy of the PDF at `input` to `output` (nothing is left there when it is
/// held).
pub fn clean_copy(
    input: &Path,
    output: &Path,
    info: &CleanInfo,
    today: NaiveDate,
) -> Result<CleanOutcome, PdfError> {
    let file = std::io::BufWriter::new(std::fs::File::create(output)?);
    let outcome = clean_copy_to(input, file, info, today);
    if !matches!(outcome, Ok(CleanOutcome::Written { .. })) {
        let _ = std::fs::remove_file(output);
    }
    outcome
}

fn clean_copy_to<W: Write>(
    input: &Path,
    output: W,
    info: &CleanInfo,
    today: NaiveDate,
) -> Result<CleanOutcome, PdfError> {
    let source = std::io::BufReader::new(std::fs::File::open(input)?);
    let prev = PreviousRevision::open_for_validation_data(source)?;
    let pages = page_list(&prev)?;
    let mut copier = Copier {
        prev: &prev,
        map: HashMap::new(),
        queue: VecDeque::new(),
        next: 1,
        out: Counting::new(output),
        offsets: Vec::new(),
        label: LabelFont::new(),
        open_paragraph: None,
        paragraphs: Vec::new(),
    };
    copier.out.write_all(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")?;
    let catalog_id = copier.allocate();
    let pages_id = copier.allocate();
    let info_id = copier.allocate();
    // Pages are written here, not copied: reserve their new ids first, so that whatever
    // points at a page (links, the structure tree) points at the new one.
    let mut new_ids: Vec<u32> = pages
        .iter()
        .map(|(old, _)| {
            let id = copier.allocate();
            copier.map.insert(*old, id);
            id
        })
        .collect();
    let mut removed = Vec::new();
    for (n, ((_, page), new_id)) in pages.iter().zip(&new_ids).enumerate() {
        match copier.page(page, *new_id, pages_id, (today, &info.confidential))? {
            Ok(0) => {}
            Ok(numbers) => removed.push(PageRemoval {
                page: n + 1,
                numbers,
            }),
            Err(reason) => {
                return Ok(CleanOutcome::Held {
                    page: n + 1,
                    reason,
                });
            }
        }
    }
    if let Some(page) = &info.page_after {
        let fonts = super::font::registered_fonts();
        let added = super::page::write_pages(&mut copier, (pages_id, 0), page, None, None, fonts)?;
        new_ids.extend(added.iter().map(|(id, _)| *id));
    }
    let catalog = prev.catalog()?;
    let mut new_catalog = Dictionary::new();
    new_catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    new_catalog.set("Pages", Object::Reference((pages_id, 0)));
    for key in [&b"StructTreeRoot"[..], b"MarkInfo", b"Lang"] {
        if let Ok(value) = catalog.get(key) {
            let value = copier.rewrite(value.clone());
            new_catalog.set(key, value);
        }
    }
    copier.drain()?;
    if let Some(label) = copier.label.take() {
        if let Some(id) = label.id {
            label.font.write_as(&mut copier, (id, 0))?;
        }
    }
    copier.write(catalog_id, &Object::Dictionary(new_catalog))?;
    let mut root = Dictionary::new();
    root.set("Type", Object::Name(b"Pages".to_vec()));
    root.set(
        "Kids",
        Object::Array(
            new_ids
                .iter()
                .map(|id| Object::Reference((*id, 0)))
                .collect(),
        ),
    );
    root.set("Count", Object::Integer(new_ids.len() as i64));
    copier.write(pages_id, &Object::Dictionary(root))?;
    let text = |s: &str| {
        // A text string in UTF-16BE with its byte order mark (ISO 32000-1 7.9.2.2).
        let mut bytes = vec![0xFE, 0xFF];
        bytes.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
        Object::String(bytes, lopdf::StringFormat::Hexadecimal)
    };
    let mut info_dict = Dictionary::new();
    info_dict.set("Title", text(&info.title));
    info_dict.set("Subject", text(&info.subject));
    info_dict.set("CreationDate", Object::string_literal(info.date.as_str()));
    info_dict.set("ModDate", Object::string_literal(info.date.as_str()));
    copier.write(info_id, &Object::Dictionary(info_dict))?;
    let mut paragraphs = std::mem::take(&mut copier.paragraphs);
    copier.finish(catalog_id, info_id)?;
    paragraphs.sort_unstable();
    paragraphs.dedup();
    // A paragraph marked for sekretess that was never found would be published: hold.
    let missing = info
        .confidential
        .iter()
        .find(|c| !paragraphs.contains(&c.paragraph));
    if let Some(missing) = missing.filter(|_| !info.confidential_may_be_gone) {
        return Ok(CleanOutcome::Held {
            page: 0,
            reason: HoldReason::ParagraphNotFound(missing.paragraph),
        });
    }
    Ok(CleanOutcome::Written {
        removed,
        paragraphs,
    })
}

/// The pages in order, each with the attributes it inherits made its own.
fn page_list(prev: &PreviousRevision<'_>) -> Result<Vec<(ObjectId, Dictionary)>, PdfError> {
    let mut out = Vec::new();
    let mut stack = vec![(prev.pages_root_id, Dictionary::new(), 0usize)];
    while let Some((id, inherited, depth)) = stack.pop() {
        if depth > 64 || out.len() > MAX_PAGES {
            return Err(PdfError::Unsupported(
                "the page tree is too deep or too large".into(),
            ));
        }
        let mut node = prev.get_dictionary(id)?;
        for key in INHERITED {
            if !node.has(key) {
                if let Ok(v) = inherited.get(key) {
                    node.set(key, v.clone());
                }
            }
        }
        match node.get(b"Kids").map(|k| prev.resolve(k)) {
            Ok(Ok(Object::Array(kids))) => {
                let mut pass = Dictionary::new();
                for key in INHERITED {
                    if let Ok(v) = node.get(key) {
                        pass.set(key, v.clone());
                    }
                }
                for kid in kids.iter().rev() {
                    if let Object::Reference(kid) = kid {
                        stack.push((*kid, pass.clone(), depth + 1));
                    }
                }
            }
            _ => out.push((id, node)),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
