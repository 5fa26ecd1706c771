//! The BankID evidence as PDF/A-3 associated files, and the PDF/A claim of the archive version.
//!
//! [`write_attachments`] writes each file as an `/EmbeddedFile` stream plus a `/Filespec`;
//! [`catalog_with_attachments`] merges them into the catalog (`/AF` and the
//! `/Names /EmbeddedFiles` name tree); [`pdfa3_metadata`] makes the XMP that claims the PDF/A
//! part the archive version conforms to. The seal calls them in its incremental update.
//!
//! Which PDF/A part the archive version claims, and why:
//! * PDF/A-1 forbids embedded files and PDF/A-2 allows only embedded PDF/A files, so an
//!   archive version with the BankID signature XML attached can only be PDF/A-3
//!   (ISO 19005-3 allows any file when it is an associated file with `/AFRelationship`).
//!   PDF/A-3 changes nothing else of PDF/A-2, and PDF/A-1 content is valid PDF/A-2/3, so an
//!   input that claimed 1, 2 or 3 still conforms once re-labelled 3.
//! * The conformance level is the input's unless our additions would make it false: level B
//!   stays B; level U stays U (our page's fonts carry `/ToUnicode`); level A becomes **U**,
//!   because our appended page is not tagged into the input's structure tree (level A needs
//!   every page tagged) while everything level U asks — Unicode for all text — still holds.
//!   Keeping A would need the page and the seal widget added to the structure tree.
//! * PDF/A-4 inputs (PDF 2.0) get PDF/A-4f, the PDF/A-4 level that allows embedded files.
//! * An input that claims no PDF/A part keeps its metadata unchanged: the archive version is
//!   then no PDF/A either, and claiming it would be false.
//!
//! The parts: `embed` writes the objects (files, file specifications, the metadata stream),
//! `catalog` merges the files into the catalog, `claim` decides the PDF/A claim and `xmp`
//! writes it into the input's XMP packet.

use super::PdfError;

mod catalog;
mod claim;
mod embed;
mod xmp;

pub use catalog::{catalog_with_attachments, catalog_with_attachments_from, CatalogUpdate};
pub use claim::{archive_claim, PdfaClaim};
pub(crate) use embed::{write_attachments, write_metadata};
pub use embed::{AttachedFile, WrittenAttachments};
pub use xmp::{pdfa3_metadata, ArchiveMetadata, XmpError};

fn invalid(what: String) -> PdfError {
    PdfError::Unsupported(what)
}

#[cfg(test)]
mod tests;
