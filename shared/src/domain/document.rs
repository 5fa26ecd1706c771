use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{DocumentId, TenantId};

/// One uploaded file. Its identity is the SHA-256 of its exact bytes, so the same bytes
/// uploaded twice are the same document, and a corrected protocol is a new document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    pub tenant: TenantId,
    pub id: DocumentId,
    pub file_name: String,
    pub size: u64,
    pub page_count: u32,
    /// The PDF/A part and level the file claims in its XMP, e.g. "2B".
    pub pdfa_claim: Option<String>,
    pub title: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    /// What publishing this file would take out of it, found when it was taken in (None for
    /// files taken in before the check existed: the publish step still checks them).
    #[serde(default)]
    pub publication: Option<PublicationCheck>,
}

/// What the publication version of a file would be: the personnummer taken out, page by page,
/// or the page that stops it from being published by itself.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationCheck {
    pub removed: Vec<PageRemoval>,
    #[serde(default)]
    pub held: Option<HeldPage>,
}

/// Numbers removed from one page (counted from 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRemoval {
    pub page: usize,
    pub numbers: usize,
}

/// A page that cannot be checked for personnummer by the service, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldPage {
    /// The page, from 1; 0 when it is the whole protocol.
    pub page: usize,
    pub why: HoldWhy,
    /// The paragraph under sekretess that was not found (`HoldWhy::ParagraphNotFound`).
    #[serde(default)]
    pub paragraph: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldWhy {
    /// Only images on the page: a scanned page.
    OnlyImages,
    /// Text stored so that it cannot be read (a font without a map to Unicode, text in forms).
    UnreadableText,
    /// A number that cannot be taken out without changing the page (unknown widths, rotated).
    CannotRemove,
    /// A paragraph the order puts under sekretess is nowhere in the text as a heading.
    ParagraphNotFound,
}

impl HeldPage {
    /// Why the protocol is not published by itself, and what the secretary can do, in Swedish
    /// and English without technical terms.
    pub fn explain(&self) -> (String, String) {
        if let Some(paragraph) = self.paragraph {
            return (
                format!(
                    "Protokollet kan inte publiceras automatiskt: § {paragraph}, som omfattas av \
                     sekretess, hittades inte i protokollets text. Kontrollera paragrafnumret, \
                     eller ladda upp en publiceringsversion där paragrafen redan är borttagen."
                ),
                format!(
                    "The protocol cannot be published automatically: § {paragraph}, which is \
                     confidential, was not found in its text. Check the paragraph's number, or \
                     upload a publication version without it."
                ),
            );
        }
        let (sv, en) = self.why.words();
        (
            format!(
                "Protokollet kan inte publiceras automatiskt: sidan {} kan inte granskas för \
                 personnummer ({sv}). Ladda upp en publiceringsversion utan personnummer.",
                self.page
            ),
            format!(
                "The protocol cannot be published automatically: page {} cannot be checked for \
                 personal identity numbers ({en}). Upload a publication version without them.",
                self.page
            ),
        )
    }
}

impl PublicationCheck {
    /// What the secretary reads, in Swedish and English, without technical terms.
    pub fn summary(&self) -> (String, String) {
        if let Some(held) = &self.held {
            return held.explain();
        }
        let total: usize = self.removed.iter().map(|r| r.numbers).sum();
        if total == 0 {
            return (
                "Inga personnummer hittades. Publiceringsversionen visar texten som den är.".into(),
                "No personal identity numbers were found.".into(),
            );
        }
        let pages: Vec<String> = self.removed.iter().map(|r| r.page.to_string()).collect();
        let pages = pages.join(", ");
        (
            format!("{total} personnummer tas bort ur publiceringsversionen (sidan {pages})."),
            format!(
                "{total} personal identity numbers are taken out of the publication version \
                 (page {pages})."
            ),
        )
    }
}

impl HoldWhy {
    /// Why, in Swedish and English, for the secretary.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            HoldWhy::OnlyImages => (
                "sidan består bara av bilder, till exempel en inskannad sida",
                "the page is only images, for example a scanned page",
            ),
            HoldWhy::UnreadableText => (
                "texten på sidan är lagrad på ett sätt som inte går att granska",
                "the text on the page is stored in a way that cannot be checked",
            ),
            HoldWhy::CannotRemove => (
                "ett personnummer på sidan går inte att ta bort utan att sidan ändras",
                "a personnummer on the page cannot be taken out without changing the page",
            ),
            HoldWhy::ParagraphNotFound => (
                "en paragraf som omfattas av sekretess hittades inte",
                "a confidential paragraph was not found",
            ),
        }
    }
}

/// Keep a file name printable and short: it appears in e-mails, pages and the BankID text.
pub fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        "dokument.pdf".to_string()
    } else {
        cleaned.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_file_name("C:\\dok\\protokoll.pdf"), "protokoll.pdf");
        assert_eq!(clean_file_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_file_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(clean_file_name("   "), "dokument.pdf");
        assert_eq!(
            clean_file_name("Protokoll KS §§ 1–14.pdf"),
            "Protokoll KS §§ 1–14.pdf"
        );
    }
}
