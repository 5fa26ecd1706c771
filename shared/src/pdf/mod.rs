//! PDF handling: intake checks, the incremental-update writer, the appended signature page,
//! the PAdES seal (`sign`), the publication version and the verifier (`validate`). Both
//! `sign` and `validate` read CMS through `signed_data`; neither imports the other.
//!
//! Every output keeps the input bytes verbatim as a prefix and appends exactly one
//! incremental update, so earlier signatures (BankID, previous seals) stay valid.

pub mod attachments;
pub(crate) mod fields;
pub mod font;
pub mod intake;
pub mod page;
pub mod publication;
pub(crate) mod random_access;
pub mod sign;
pub mod signed_data;
pub mod timestamp;
pub(crate) mod update;
pub mod validate;

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
pub use validate::{verify, SignatureReport, VerifyReport};

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
        }
    }
}
