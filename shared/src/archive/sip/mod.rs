//! The e-archive export package: a zipped E-ARK CSIP/SIP 2.1 shaped submission package
//! (FGS Paketstruktur 2.0), written to a file (or to memory for small packages).
//!
//! Layout inside the zip (one root folder named after the package id, CSIPSTR1/2):
//! ```text
//! <package_id>/METS.xml                                   package METS (generated)
//! <package_id>/metadata/descriptive/erms.xml             CITS ERMS descriptive metadata (generated)
//! <package_id>/metadata/preservation/premis.xml        PREMIS 3 preservation metadata (generated)
//! <package_id>/documentation/om-arkivpaketet.txt       the package described for the archivist
//! <package_id>/schemas/*.xsd                           every schema the XML uses
//! <package_id>/<every SipFile path>                        supplied files
//! ```
//! Supplied files must live under `representations/<rep>/…`, `documentation/…`, `schemas/…`
//! or `metadata/{descriptive,preservation,other}/…`. Representation, documentation and schema
//! files are listed in the METS `fileSec`; metadata files are referenced from `dmdSec`
//! (descriptive) or `amdSec/digiprovMD` (preservation, other) as CSIP asks. Every file carries
//! SIZE, CREATED, MIMETYPE, CHECKSUM and CHECKSUMTYPE="SHA-256".
//!
//! The package is built in `build` (the METS documents in `mets`, the protocol metadata in
//! `descriptive`) and checked in `read`. Not yet: PREMIS generation, `schemas/` content,
//! the FGS 1.x `sip.xml` profile; the METS writers are split so those can be added.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod build;
mod erms;
mod error;
mod fgs12;
mod included;
mod mets;
mod paths;
mod premis;
mod read;
mod xml;

pub use build::{build_sip, measure_file, write_sip};
pub use erms::erms_xml;
pub use error::ArchiveError;
pub use read::{read_sip_manifest, verify_sip, verify_sip_file};

/// The generated descriptive metadata (CITS ERMS), relative to the package root.
pub const DESCRIPTIVE_METADATA_PATH: &str = "metadata/descriptive/erms.xml";
/// Where the archive version lies in the package.
pub const ARCHIVE_PATH: &str = "representations/rep1/data/archive.pdf";
pub const METS_FILE_NAME: &str = "METS.xml";
/// The generated preservation metadata (PREMIS 3), relative to the package root.
pub const PREMIS_PATH: &str = "metadata/preservation/premis.xml";

/// What a file is in the package; written as the METS `USE` of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileUse {
    /// The archive version (sealed PDF/A).
    Archive,
    /// Signature evidence (BankID signature XML, OCSP responses).
    Evidence,
    Metadata,
    ValidationReport,
    /// Documentation for the archivist (the package described in plain language).
    Documentation,
    /// An XML schema the package's metadata follows.
    Schema,
}

impl FileUse {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Archive => "Archive",
            Self::Evidence => "Evidence",
            Self::Metadata => "Metadata",
            Self::ValidationReport => "ValidationReport",
            Self::Documentation => "Documentation",
            Self::Schema => "Schema",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipFile {
    /// Path inside the package, e.g. "representations/rep1/data/archive.pdf".
    pub path: String,
    pub content: SipContent,
    pub mime: String,
    pub use_: FileUse,
}

/// A file's content: small ones in memory, documents (which may be hundreds of MB) in a file
/// that is read in chunks, once for its checksum and once into the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SipContent {
    Bytes(Vec<u8>),
    File(std::path::PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMetadata {
    /// "uuid-…": the METS OBJID and the root folder name.
    pub package_id: String,
    pub label: String,
    pub created: DateTime<Utc>,
    /// The tenant's id: its identification code when it has no organisationsnummer.
    pub tenant_id: String,
    pub tenant_name: String,
    pub organization_number: Option<String>,
    pub organ: String,
    pub meeting_date: String,
    pub paragraphs: String,
    pub diarienummer: Option<String>,
    /// Every signature, in the order of the signers.
    pub signers: Vec<SignatureFact>,
    /// What happened to the document, for the preservation metadata (PREMIS).
    pub provenance: Provenance,
    /// "name version", e.g. "e-underskrift 0.1.0".
    pub software: String,
    /// The tenant's delivery agreement: the archive, the contact, retention, form, profile.
    pub agreement: crate::domain::ArchiveAgreement,
    /// The package this one replaces (a renewed archive version delivered again): its METS
    /// says `RECORDSTATUS="REPLACEMENT"` instead of `NEW`.
    pub replaces: Option<String>,
}

impl SipMetadata {
    /// The METS header's record status: a first delivery, or one replacing an earlier package.
    pub(crate) fn record_status(&self) -> &'static str {
        if self.replaces.is_some() {
            "REPLACEMENT"
        } else {
            "NEW"
        }
    }

    /// Where a file of the E-ARK layout lies in this package's profile.
    pub(crate) fn package_path(&self, eark: &str) -> String {
        match self.agreement.profile {
            crate::domain::PackageProfile::EarkSip21 => eark.to_string(),
            crate::domain::PackageProfile::Fgs12 => fgs12::path(eark),
        }
    }
}

/// One signature as the package tells of it (never with a personnummer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureFact {
    pub name: String,
    /// The main signatory (the chair); the others sign beside them.
    pub main: bool,
    /// e.g. "justerare"
    pub role: String,
    pub signed_at: DateTime<Utc>,
    /// e.g. "Mobilt BankID"
    pub method: String,
    /// The package path of the signature's evidence, which was verified when it was made.
    pub evidence_path: Option<String>,
    /// Why this signature was recorded on paper instead (the continuity fallback, when BankID
    /// could not be used); None for an electronic signature.
    pub fallback_reason: Option<String>,
}

/// What happened to the document on its way into the package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// When this version of the document was taken in for signing.
    pub received: DateTime<Utc>,
    /// The organisation's seal, when it was applied.
    pub seal: Option<SealFact>,
    /// The check of every signature made when the package was made.
    pub validation: ValidationFact,
    /// Each renewal of the archive version's proof of existence, oldest first.
    pub renewals: Vec<RenewalFact>,
}

/// A renewal of the archive version's proof of existence: a new document timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalFact {
    pub at: DateTime<Utc>,
    /// Until when the new timestamp proves existence.
    pub until: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealFact {
    pub at: DateTime<Utc>,
    /// e.g. "PAdES-B-LTA"
    pub level: String,
    /// The seal certificate's subject.
    pub sealed_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationFact {
    pub at: DateTime<Utc>,
    /// Every signature intact, valid and trusted.
    pub passed: bool,
    /// One line per signature, e.g. "Sigill (PAdES-B-LTA): intakt, giltig, betrodd".
    pub summary: Vec<String>,
    /// The package paths of the report: the full one first, then any readable form of it.
    pub reports: Vec<String>,
}

#[cfg(test)]
mod tests;
