//! PDF handling: intake checks, the incremental-update writer, the appended signature page,
//! the PAdES seal (`sign`), the publication version and the verifier (`validate`). Both
//! `sign` and `validate` read CMS through `signed_data`; neither imports the other.
//!
//! Every output keeps the input bytes verbatim as a prefix and appends exactly one
//! incremental update, so earlier signatures (BankID, previous seals) stay valid.

pub mod attachments;
pub mod clean;
pub(crate) mod fields;
pub mod font;
pub mod intake;
pub mod new_document;
pub mod page;
pub mod publication;
pub(crate) mod random_access;
pub mod redact;
pub mod sign;
pub mod signed_data;
pub mod text;
pub mod timestamp;
pub mod timestamp_sources;
pub(crate) mod update;
pub mod validate;

#[cfg(test)]
mod bomb_tests;
#[cfg(any(test, feature = "port-tests"))]
pub mod hand_made;
#[cfg(test)]
pub(crate) mod test_support;

pub use attachments::AttachedFile;
pub use font::register_embedded_fonts;
pub use intake::{inspect, IntakeError, IntakeLimits, PdfFacts};
pub use page::{JusteringPage, SignatureLine};
pub use publication::publication_version;
pub use sign::ltv::{RevocationData, RevocationSource};
pub use sign::seal::{
    seal, seal_file, SealAlgorithm, SealError, SealOutcome, SealRequest, SealSigner,
};
pub use sign::software_signer::SoftwareSealSigner;
pub use timestamp::{HttpTimestampClient, TimestampError, TimestampSource};
pub use timestamp_sources::TimestampSources;
pub use validate::{verify, verify_file, SignatureReport, VerifyReport};

/// What a secretary reads when a file holds a decompression bomb (intake says the same).
pub(crate) const STREAM_TOO_LARGE_SV: &str =
    "PDF-filen innehåller data som blir för stor när den packas upp. Spara om filen som PDF/A och försök igen.";

/// Errors of the PDF writer and verifier that are not intake or seal specific.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the PDF could not be read: {0}")]
    Unreadable(String),
    #[error("the PDF is encrypted")]
    Encrypted,
    #[error("the PDF structure is not supported: {0}")]
    Unsupported(String),
    #[error("the output would exceed the supported size (offsets over 10 GB)")]
    TooLarge,
    #[error("the PDF carries a certification signature (DocMDP) that forbids adding pages")]
    Certified,
    #[error("a stream in the PDF decodes to more than {limit} bytes")]
    StreamTooLarge { limit: usize },
    /// A file being read or written (a document on its way from file to file) failed.
    #[error("file input or output failed: {0}")]
    Io(String),
}

impl From<std::io::Error> for PdfError {
    fn from(e: std::io::Error) -> Self {
        PdfError::Io(e.to_string())
    }
}

/// The most a stream we read for its content (the XMP metadata, revocation data in a DSS) may
/// decode to. Real ones are a few KB; a compressed stream of zeros can claim gigabytes.
pub const MAX_DECODED_METADATA: usize = 16 * 1024 * 1024;
/// The most a structural stream (cross-reference and object streams, decoded when a file is
/// read) may decode to: a 500 MB protocol's fit with room to spare.
pub const MAX_DECODED_STRUCTURE: usize = 64 * 1024 * 1024;

/// `stream` decoded through its filters, refused as [`PdfError::StreamTooLarge`] once it
/// passes `limit` (each filter of a chain is bounded, so `[/FlateDecode /FlateDecode]` cannot
/// inflate in the middle either). A stream whose filters fail otherwise is `Unreadable`.
pub(crate) fn decode_stream(stream: &lopdf::Stream, limit: usize) -> Result<Vec<u8>, PdfError> {
    stream
        .get_plain_content_with_limit(limit)
        .map_err(|e| match e {
            lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
                PdfError::StreamTooLarge { limit }
            }
            other => PdfError::Unreadable(other.to_string()),
        })
}

impl crate::error::ErrorText for PdfError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                PdfError::Unreadable(_) => "pdf.unreadable",
                PdfError::Encrypted => "pdf.encrypted",
                PdfError::Unsupported(_) => "pdf.unsupported_structure",
                PdfError::TooLarge => "pdf.too_large",
                PdfError::Certified => "pdf.certified",
                PdfError::StreamTooLarge { .. } => "pdf.stream_too_large",
                PdfError::Io(_) => "pdf.io",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            PdfError::Unreadable(d) => format!("PDF-filen kunde inte läsas: {d}"),
            PdfError::Encrypted => "PDF-filen är krypterad.".into(),
            PdfError::Unsupported(d) => format!("PDF-filens struktur stöds inte: {d}"),
            PdfError::TooLarge => "Filen blir för stor (över 10 GB).".into(),
            PdfError::Certified => {
                "PDF-filen har en certifieringssignatur som inte tillåter att sidor läggs till."
                    .into()
            }
            PdfError::StreamTooLarge { .. } => STREAM_TOO_LARGE_SV.into(),
            PdfError::Io(d) => format!("Filen kunde inte läsas eller skrivas: {d}"),
        }
    }
}
