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
