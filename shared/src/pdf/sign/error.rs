//! What can go wrong making a seal, with its code and messages (the error table's
//! `ErrorText`). Its own module so that the seal's parts (placeholders, LTV data) can name it
//! without importing the seal.

use crate::domain::seal_level::MissingService;
use crate::pdf::timestamp::TimestampError;
use crate::pdf::PdfError;

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error(transparent)]
    Pdf(#[from] PdfError),
    #[error("the seal certificate chain is invalid: {0}")]
    InvalidCertificate(String),
    #[error("the seal signer failed: {0}")]
    Signer(String),
    #[error("the seal signature does not verify with the seal certificate")]
    SignatureMismatch,
    #[error("the signature ({needed} bytes) does not fit the reserved space ({reserved} bytes)")]
    ContentsOverflow { needed: usize, reserved: usize },
    #[error("building the CMS failed: {0}")]
    Cms(String),
    #[error(transparent)]
    Timestamp(#[from] TimestampError),
    #[error("{level} needs {missing}, which this installation does not have")]
    LevelUnavailable {
        level: &'static str,
        missing: MissingService,
    },
    #[error("revocation data could not be collected: {en}")]
    Revocation {
        code: std::borrow::Cow<'static, str>,
        sv: String,
        en: String,
    },
    #[error("reading or writing the document failed: {0}")]
    Io(String),
}

impl crate::error::ErrorText for SealError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        match self {
            SealError::Pdf(e) => e.code(),
            SealError::Timestamp(e) => e.code(),
            SealError::Revocation { code, .. } => code.clone(),
            SealError::InvalidCertificate(_) => "seal.invalid_certificate".into(),
            SealError::Signer(_) => "seal.signer_failed".into(),
            SealError::SignatureMismatch => "seal.signature_mismatch".into(),
            SealError::ContentsOverflow { .. } => "seal.contents_overflow".into(),
            SealError::Cms(_) => "seal.cms_failed".into(),
            SealError::LevelUnavailable { .. } => "seal.level_unavailable".into(),
            SealError::Io(_) => "seal.io_failed".into(),
        }
    }

    fn message_sv(&self) -> String {
        match self {
            SealError::Pdf(e) => e.message_sv(),
            SealError::InvalidCertificate(d) => {
                format!("Sigillets certifikatkedja är ogiltig: {d}")
            }
            SealError::Signer(d) => format!("Sigillnyckeln kunde inte signera: {d}"),
            SealError::SignatureMismatch => {
                "Sigillets signatur stämmer inte med sigillcertifikatet.".into()
            }
            SealError::ContentsOverflow { needed, reserved } => format!(
                "Signaturen ({needed} byte) ryms inte i det reserverade utrymmet ({reserved} byte)."
            ),
            SealError::Cms(d) => format!("Signaturen kunde inte byggas: {d}"),
            SealError::Timestamp(e) => e.message_sv(),
            SealError::LevelUnavailable { level, missing } => format!(
                "Nivån {level} kräver {}, som inte finns i den här installationen.",
                missing.name_sv()
            ),
            SealError::Revocation { sv, .. } => sv.clone(),
            SealError::Io(d) => format!("Dokumentet kunde inte läsas eller skrivas: {d}"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            SealError::Pdf(e) => e.message_en(),
            SealError::Timestamp(e) => e.message_en(),
            other => other.to_string(),
        }
    }
}
