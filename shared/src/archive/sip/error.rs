//! What can go wrong building or checking a package, with a code and a message in Swedish and
//! English for each.

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("invalid package id")]
    InvalidPackageId,
    #[error("invalid path in package: {0}")]
    InvalidPath(String),
    #[error("path occurs twice in package: {0}")]
    DuplicatePath(String),
    #[error("invalid media type for {0}")]
    InvalidMediaType(String),
    #[error("could not write the package: {0}")]
    Write(String),
    #[error("not a readable zip package: {0}")]
    Zip(String),
    #[error("package has no root METS.xml")]
    MetsMissing,
    #[error("METS.xml is not valid: {0}")]
    InvalidMets(String),
    #[error("file listed in METS is missing from the package: {0}")]
    MissingFile(String),
    #[error("file in the package is not listed in METS: {0}")]
    UnlistedFile(String),
    #[error("checksum does not match for {0}")]
    ChecksumMismatch(String),
}

impl crate::error::ErrorText for ArchiveError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                Self::InvalidPackageId => "archive.invalid_package_id",
                Self::InvalidPath(_) => "archive.invalid_path",
                Self::DuplicatePath(_) => "archive.duplicate_path",
                Self::InvalidMediaType(_) => "archive.invalid_media_type",
                Self::Write(_) => "archive.write_failed",
                Self::Zip(_) => "archive.invalid_zip",
                Self::MetsMissing => "archive.mets_missing",
                Self::InvalidMets(_) => "archive.invalid_mets",
                Self::MissingFile(_) => "archive.missing_file",
                Self::UnlistedFile(_) => "archive.unlisted_file",
                Self::ChecksumMismatch(_) => "archive.checksum_mismatch",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            Self::InvalidPackageId => "Paketets id är ogiltigt.".to_string(),
            Self::InvalidPath(p) => format!("Ogiltig sökväg i arkivpaketet: {p}"),
            Self::DuplicatePath(p) => {
                format!("Sökvägen förekommer två gånger i arkivpaketet: {p}")
            }
            Self::InvalidMediaType(p) => format!("Ogiltig filtyp (MIME-typ) för {p}"),
            Self::Write(_) => "Arkivpaketet kunde inte skapas.".to_string(),
            Self::Zip(_) => "Filen är inte ett läsbart zip-paket.".to_string(),
            Self::MetsMissing => "Arkivpaketet saknar METS.xml i roten.".to_string(),
            Self::InvalidMets(_) => "METS.xml i arkivpaketet är inte giltig.".to_string(),
            Self::MissingFile(p) => format!("En fil som METS.xml anger saknas i paketet: {p}"),
            Self::UnlistedFile(p) => format!("En fil i paketet saknas i METS.xml: {p}"),
            Self::ChecksumMismatch(p) => format!("Kontrollsumman stämmer inte för {p}"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::InvalidPackageId => "The package id is invalid.".to_string(),
            Self::InvalidPath(p) => format!("Invalid path in the archive package: {p}"),
            Self::DuplicatePath(p) => {
                format!("The path occurs twice in the archive package: {p}")
            }
            Self::InvalidMediaType(p) => format!("Invalid media type (MIME type) for {p}"),
            Self::Write(_) => "The archive package could not be created.".to_string(),
            Self::Zip(_) => "The file is not a readable zip package.".to_string(),
            Self::MetsMissing => "The archive package has no METS.xml at its root.".to_string(),
            Self::InvalidMets(_) => "The package's METS.xml is not valid.".to_string(),
            Self::MissingFile(p) => format!("A file listed in METS.xml is missing: {p}"),
            Self::UnlistedFile(p) => {
                format!("A file in the package is not listed in METS.xml: {p}")
            }
            Self::ChecksumMismatch(p) => format!("The checksum does not match for {p}"),
        }
    }
}

pub(super) fn write_err(e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Write(e.to_string())
}
