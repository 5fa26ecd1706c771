//! The e-archive export package: a zipped E-ARK CSIP/SIP 2.1 shaped submission package
//! (FGS Paketstruktur 2.0), built in memory.
//!
//! Layout inside the zip (one root folder named after the package id, CSIPSTR1/2):
//! ```text
//! <package_id>/METS.xml                                   package METS (generated)
//! <package_id>/metadata/descriptive/esign-metadata.xml    protocol metadata (generated)
//! <package_id>/<every SipFile path>                        supplied files
//! ```
//! Supplied files must live under `representations/<rep>/…`, `documentation/…`, `schemas/…`
//! or `metadata/{descriptive,preservation,other}/…`. Representation, documentation and schema
//! files are listed in the METS `fileSec`; metadata files are referenced from `dmdSec`
//! (descriptive) or `amdSec/digiprovMD` (preservation, other) as CSIP asks. Every file carries
//! SIZE, CREATED, MIMETYPE, CHECKSUM and CHECKSUMTYPE="SHA-256".
//!
//! Not yet: PREMIS generation, representation-level METS files (`mptr`), `schemas/` content,
//! the FGS 1.x `sip.xml` profile. The writer functions below are split so those can be added.

use std::collections::{BTreeMap, HashSet};
use std::io::{Cursor, Read, Write};

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the generated descriptive metadata file, relative to the package root.
pub const DESCRIPTIVE_METADATA_PATH: &str = "metadata/descriptive/esign-metadata.xml";
pub const METS_FILE_NAME: &str = "METS.xml";
const SIP_PROFILE: &str = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml";
const CONTENT_CATEGORY: &str = "Textual works – Digital";
const OTHER_CONTENT_INFORMATION_TYPE: &str = "e-underskrift signed document with evidence";
const DESCRIPTIVE_NAMESPACE: &str = "urn:x-esign:protocol-metadata:1";
/// Upper bound when reading a METS file back (a protocol package lists a handful of files).
const MAX_METS_BYTES: u64 = 32 * 1024 * 1024;

const NS_METS: &str = "http://www.loc.gov/METS/";
const NS_XLINK: &str = "http://www.w3.org/1999/xlink";
const NS_CSIP: &str = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS";
const NS_SIP: &str = "https://DILCIS.eu/XML/METS/SIPExtensionMETS";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// What a file is in the package; written as the METS `USE` of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FileUse {
    /// The archive version (sealed PDF/A).
    Archive,
    /// Signature evidence (BankID signature XML, OCSP responses).
    Evidence,
    Metadata,
    ValidationReport,
}

impl FileUse {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Archive => "Archive",
            Self::Evidence => "Evidence",
            Self::Metadata => "Metadata",
            Self::ValidationReport => "ValidationReport",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipFile {
    /// Path inside the package, e.g. "representations/rep1/data/archive.pdf".
    pub path: String,
    pub bytes: Vec<u8>,
    pub mime: String,
    pub use_: FileUse,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipMetadata {
    /// "uuid-…": the METS OBJID and the root folder name.
    pub package_id: String,
    pub label: String,
    pub created: DateTime<Utc>,
    pub tenant_name: String,
    pub organization_number: Option<String>,
    pub organ: String,
    pub meeting_date: String,
    pub paragraphs: String,
    pub diarienummer: Option<String>,
    /// (name, role, signed at)
    pub signers: Vec<(String, String, DateTime<Utc>)>,
    /// "name version", e.g. "e-underskrift 0.1.0".
    pub software: String,
}

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

impl ArchiveError {
    pub fn code(&self) -> &'static str {
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
    }

    pub fn message_sv(&self) -> String {
        match self {
            Self::InvalidPackageId => "Paketets id är ogiltigt.".to_string(),
            Self::InvalidPath(p) => format!("Ogiltig sökväg i arkivpaketet: {p}"),
            Self::DuplicatePath(p) => format!("Sökvägen förekommer två gånger i arkivpaketet: {p}"),
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

    pub fn message_en(&self) -> String {
        match self {
            Self::InvalidPackageId => "The package id is invalid.".to_string(),
            Self::InvalidPath(p) => format!("Invalid path in the archive package: {p}"),
            Self::DuplicatePath(p) => format!("The path occurs twice in the archive package: {p}"),
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

fn write_err(e: impl std::fmt::Display) -> ArchiveError {
    ArchiveError::Write(e.to_string())
}

/// Where a supplied file belongs in the METS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    DescriptiveMetadata,
    PreservationMetadata,
    OtherMetadata,
    Documentation,
    Schemas,
    /// Representation folder name, e.g. "rep1".
    Representation(String),
}

fn invalid_path(path: &str) -> ArchiveError {
    ArchiveError::InvalidPath(sanitize_xml_text(path))
}

/// Checks a package-relative path and finds its METS section.
fn classify_path(path: &str) -> Result<Section, ArchiveError> {
    let segments: Vec<&str> = path.split('/').collect();
    let segment_ok = |s: &&str| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && !s
                .chars()
                .any(|c| c == '\\' || c.is_control() || !is_xml_char(c))
    };
    if path.len() > 1024 || !segments.iter().all(segment_ok) {
        return Err(invalid_path(path));
    }
    let section = match segments.as_slice() {
        ["representations", rep, _, ..] => Section::Representation((*rep).to_string()),
        ["documentation", _, ..] => Section::Documentation,
        ["schemas", _, ..] => Section::Schemas,
        ["metadata", "descriptive", _, ..] => Section::DescriptiveMetadata,
        ["metadata", "preservation", _, ..] => Section::PreservationMetadata,
        ["metadata", "other", _, ..] => Section::OtherMetadata,
        _ => return Err(invalid_path(path)),
    };
    Ok(section)
}

/// A package id is also a folder name and an XML attribute: keep it to a safe alphabet.
fn valid_package_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// "type/subtype" (parameters allowed), as METS MIMETYPE expects an IANA media type.
fn valid_media_type(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, subtype)) => token(kind) && token(subtype) && mime.len() <= 255,
        None => false,
    }
}

fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML 1.0 cannot carry some characters even escaped; replace them.
fn sanitize_xml_text(s: &str) -> String {
    s.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Thin wrapper over the quick-xml writer: every attribute and text goes through
/// quick-xml's escaping after invalid characters are replaced.
struct XmlOut {
    writer: Writer<Vec<u8>>,
}

impl XmlOut {
    fn new() -> Result<Self, ArchiveError> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(write_err)?;
        Ok(Self { writer })
    }

    fn element<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut el = BytesStart::new(name);
        for (key, value) in attrs {
            let value = sanitize_xml_text(value);
            el.push_attribute((*key, value.as_str()));
        }
        el
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<(), ArchiveError> {
        self.writer
            .write_event(Event::Start(Self::element(name, attrs)))
            .map_err(write_err)
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<(), ArchiveError> {
        self.writer
            .write_event(Event::Empty(Self::element(name, attrs)))
            .map_err(write_err)
    }

    fn end(&mut self, name: &str) -> Result<(), ArchiveError> {
        self.writer
            .write_event(Event::End(BytesEnd::new(name)))
            .map_err(write_err)
    }

    fn text_element(
        &mut self,
        name: &str,
        attrs: &[(&str, &str)],
        text: &str,
    ) -> Result<(), ArchiveError> {
        self.start(name, attrs)?;
        let text = sanitize_xml_text(text);
        self.writer
            .write_event(Event::Text(BytesText::new(&text)))
            .map_err(write_err)?;
        self.end(name)
    }

    fn finish(self) -> Vec<u8> {
        let mut bytes = self.writer.into_inner();
        bytes.push(b'\n');
        bytes
    }
}

/// The descriptive metadata of the protocol (metadata/descriptive/esign-metadata.xml).
pub fn descriptive_metadata_xml(meta: &SipMetadata) -> Result<Vec<u8>, ArchiveError> {
    let mut x = XmlOut::new()?;
    x.start(
        "protocolMetadata",
        &[("xmlns", DESCRIPTIVE_NAMESPACE), ("xml:lang", "sv")],
    )?;
    x.text_element("packageId", &[], &meta.package_id)?;
    x.text_element("label", &[], &meta.label)?;
    x.text_element("created", &[], &timestamp(&meta.created))?;
    x.start("archivalCreator", &[])?;
    x.text_element("name", &[], &meta.tenant_name)?;
    if let Some(org) = &meta.organization_number {
        x.text_element("organizationNumber", &[], org)?;
    }
    x.end("archivalCreator")?;
    x.text_element("organ", &[], &meta.organ)?;
    x.text_element("meetingDate", &[], &meta.meeting_date)?;
    x.text_element("paragraphs", &[], &meta.paragraphs)?;
    if let Some(dnr) = &meta.diarienummer {
        x.text_element("diarienummer", &[], dnr)?;
    }
    x.start("signers", &[])?;
    for (name, role, signed_at) in &meta.signers {
        x.start("signer", &[])?;
        x.text_element("name", &[], name)?;
        x.text_element("role", &[], role)?;
        x.text_element("signedAt", &[], &timestamp(signed_at))?;
        x.end("signer")?;
    }
    x.end("signers")?;
    x.text_element("software", &[], &meta.software)?;
    x.end("protocolMetadata")?;
    Ok(x.finish())
}

/// One file as METS sees it.
struct Entry<'a> {
    path: &'a str,
    bytes: &'a [u8],
    mime: &'a str,
    use_: FileUse,
    section: Section,
}

/// Splits "name version" at the last space; without a version the whole string is the name.
fn software_name_and_version(software: &str) -> (&str, &str) {
    match software.trim().rsplit_once(' ') {
        Some((name, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => {
            (name.trim(), version)
        }
        _ => (software.trim(), "unknown"),
    }
}

fn write_mdref(x: &mut XmlOut, entry: &Entry<'_>, created: &str) -> Result<(), ArchiveError> {
    let size = entry.bytes.len().to_string();
    let checksum = sha256_hex(entry.bytes);
    let (mdtype, other): (&str, Option<&str>) = match entry.section {
        Section::PreservationMetadata => ("PREMIS", None),
        _ if entry.path == DESCRIPTIVE_METADATA_PATH => ("OTHER", Some("ESIGN-PROTOCOL")),
        _ => ("OTHER", Some("OTHER")),
    };
    let mut attrs = vec![
        ("LOCTYPE", "URL"),
        ("xlink:type", "simple"),
        ("xlink:href", entry.path),
        ("MDTYPE", mdtype),
    ];
    if let Some(other) = other {
        attrs.push(("OTHERMDTYPE", other));
    }
    attrs.extend([
        ("MIMETYPE", entry.mime),
        ("SIZE", size.as_str()),
        ("CREATED", created),
        ("CHECKSUM", checksum.as_str()),
        ("CHECKSUMTYPE", "SHA-256"),
    ]);
    x.empty("mets:mdRef", &attrs)
}

fn write_mets_header(
    x: &mut XmlOut,
    meta: &SipMetadata,
    created: &str,
) -> Result<(), ArchiveError> {
    x.start(
        "mets:metsHdr",
        &[
            ("CREATEDATE", created),
            ("LASTMODDATE", created),
            ("RECORDSTATUS", "NEW"),
            ("csip:OAISPACKAGETYPE", "SIP"),
        ],
    )?;
    let (software_name, software_version) = software_name_and_version(&meta.software);
    x.start(
        "mets:agent",
        &[
            ("ROLE", "CREATOR"),
            ("TYPE", "OTHER"),
            ("OTHERTYPE", "SOFTWARE"),
        ],
    )?;
    x.text_element("mets:name", &[], software_name)?;
    x.text_element(
        "mets:note",
        &[("csip:NOTETYPE", "SOFTWARE VERSION")],
        software_version,
    )?;
    x.end("mets:agent")?;
    // Arkivbildare (ARCHIVIST) and submitting agent (CREATOR, SIP15) are both the tenant.
    for role in ["ARCHIVIST", "CREATOR"] {
        x.start("mets:agent", &[("ROLE", role), ("TYPE", "ORGANIZATION")])?;
        x.text_element("mets:name", &[], &meta.tenant_name)?;
        if let Some(org) = &meta.organization_number {
            x.text_element(
                "mets:note",
                &[("csip:NOTETYPE", "IDENTIFICATIONCODE")],
                &format!("ORG:{org}"),
            )?;
        }
        x.end("mets:agent")?;
    }
    x.end("mets:metsHdr")
}

/// Opens `mets:mets` with the namespaces and the CSIP/SIP root attributes.
fn write_mets_root_start(x: &mut XmlOut, objid: &str, label: &str) -> Result<(), ArchiveError> {
    x.start(
        "mets:mets",
        &[
            ("xmlns:mets", NS_METS),
            ("xmlns:xlink", NS_XLINK),
            ("xmlns:csip", NS_CSIP),
            ("xmlns:sip", NS_SIP),
            ("xmlns:xsi", NS_XSI),
            (
                "xsi:schemaLocation",
                "http://www.loc.gov/METS/ http://www.loc.gov/standards/mets/mets.xsd \
                 http://www.w3.org/1999/xlink http://www.loc.gov/standards/mets/xlink.xsd \
                 https://DILCIS.eu/XML/METS/CSIPExtensionMETS https://earkcsip.dilcis.eu/schema/DILCISExtensionMETS.xsd \
                 https://DILCIS.eu/XML/METS/SIPExtensionMETS https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd",
            ),
            ("OBJID", objid),
            ("LABEL", label),
            ("TYPE", CONTENT_CATEGORY),
            ("csip:CONTENTINFORMATIONTYPE", "OTHER"),
            (
                "csip:OTHERCONTENTINFORMATIONTYPE",
                OTHER_CONTENT_INFORMATION_TYPE,
            ),
            ("PROFILE", SIP_PROFILE),
        ],
    )
}

/// One `mets:file` with its `FLocat`; `href` is relative to the METS document.
fn write_file_element(
    x: &mut XmlOut,
    file_id: &str,
    entry: &Entry<'_>,
    href: &str,
    created: &str,
) -> Result<(), ArchiveError> {
    let size = entry.bytes.len().to_string();
    let checksum = sha256_hex(entry.bytes);
    x.start(
        "mets:file",
        &[
            ("ID", file_id),
            ("MIMETYPE", entry.mime),
            ("SIZE", &size),
            ("CREATED", created),
            ("CHECKSUM", &checksum),
            ("CHECKSUMTYPE", "SHA-256"),
            ("USE", entry.use_.as_str()),
        ],
    )?;
    x.empty(
        "mets:FLocat",
        &[
            ("LOCTYPE", "URL"),
            ("xlink:type", "simple"),
            ("xlink:href", href),
        ],
    )?;
    x.end("mets:file")
}

/// The representation METS (`representations/<rep>/METS.xml`, CSIPSTR12): lists the
/// representation's files relative to its folder, one fileGrp per sub-folder ("Data", …).
fn representation_mets_xml(
    meta: &SipMetadata,
    rep: &str,
    entries: &[&Entry<'_>],
) -> Result<Vec<u8>, ArchiveError> {
    let created = timestamp(&meta.created);
    let prefix = format!("representations/{rep}/");
    let mut x = XmlOut::new()?;
    write_mets_root_start(
        &mut x,
        &format!("{}/representations/{rep}", meta.package_id),
        &format!("{} – {rep}", meta.label),
    )?;
    write_mets_header(&mut x, meta, &created)?;
    let mut groups: BTreeMap<&str, Vec<(&Entry<'_>, &str)>> = BTreeMap::new();
    for entry in entries {
        let relative = entry.path.strip_prefix(&prefix).unwrap_or(entry.path);
        let folder = relative.split('/').next().unwrap_or_default();
        groups.entry(folder).or_default().push((entry, relative));
    }
    let group_use = |folder: &str| {
        let mut chars = folder.chars();
        match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
            None => String::new(),
        }
    };
    x.start("mets:fileSec", &[("ID", "filesec-1")])?;
    let mut file_counter = 0usize;
    let mut group_ids = Vec::new();
    for (group_index, (folder, files)) in groups.iter().enumerate() {
        let group_id = format!("grp-{}", group_index + 1);
        x.start(
            "mets:fileGrp",
            &[("ID", &group_id), ("USE", &group_use(folder))],
        )?;
        for (entry, relative) in files {
            file_counter += 1;
            write_file_element(
                &mut x,
                &format!("file-{file_counter}"),
                entry,
                relative,
                &created,
            )?;
        }
        x.end("mets:fileGrp")?;
        group_ids.push((group_id, group_use(folder)));
    }
    x.end("mets:fileSec")?;
    x.start(
        "mets:structMap",
        &[
            ("ID", "struct-csip"),
            ("TYPE", "PHYSICAL"),
            ("LABEL", "CSIP"),
        ],
    )?;
    x.start("mets:div", &[("ID", "div-root"), ("LABEL", rep)])?;
    for (index, (group_id, label)) in group_ids.iter().enumerate() {
        let div_id = format!("div-{}", index + 1);
        x.start("mets:div", &[("ID", &div_id), ("LABEL", label)])?;
        x.empty("mets:fptr", &[("FILEID", group_id)])?;
        x.end("mets:div")?;
    }
    x.end("mets:div")?;
    x.end("mets:structMap")?;
    x.end("mets:mets")?;
    Ok(x.finish())
}

fn mets_xml(meta: &SipMetadata, entries: &[Entry<'_>]) -> Result<Vec<u8>, ArchiveError> {
    let created = timestamp(&meta.created);
    let mut x = XmlOut::new()?;
    write_mets_root_start(&mut x, &meta.package_id, &meta.label)?;
    write_mets_header(&mut x, meta, &created)?;

    // dmdSec: one per descriptive metadata file.
    let mut dmd_ids = Vec::new();
    for entry in entries
        .iter()
        .filter(|e| e.section == Section::DescriptiveMetadata)
    {
        let id = format!("dmd-{}", dmd_ids.len() + 1);
        x.start(
            "mets:dmdSec",
            &[("ID", &id), ("CREATED", &created), ("STATUS", "CURRENT")],
        )?;
        write_mdref(&mut x, entry, &created)?;
        x.end("mets:dmdSec")?;
        dmd_ids.push(id);
    }

    // amdSec: one digiprovMD per preservation or other metadata file.
    let mut amd_ids = Vec::new();
    let amd_entries: Vec<&Entry<'_>> = entries
        .iter()
        .filter(|e| {
            matches!(
                e.section,
                Section::PreservationMetadata | Section::OtherMetadata
            )
        })
        .collect();
    if !amd_entries.is_empty() {
        x.start("mets:amdSec", &[("ID", "amd-1")])?;
        for entry in amd_entries {
            let id = format!("digiprov-{}", amd_ids.len() + 1);
            x.start(
                "mets:digiprovMD",
                &[("ID", &id), ("CREATED", &created), ("STATUS", "CURRENT")],
            )?;
            write_mdref(&mut x, entry, &created)?;
            x.end("mets:digiprovMD")?;
            amd_ids.push(id);
        }
        x.end("mets:amdSec")?;
    }

    // fileSec: one fileGrp per section, in a fixed order (documentation, schemas, reps).
    let mut groups: BTreeMap<Section, Vec<&Entry<'_>>> = BTreeMap::new();
    for entry in entries.iter().filter(|e| {
        matches!(
            e.section,
            Section::Documentation | Section::Schemas | Section::Representation(_)
        )
    }) {
        groups.entry(entry.section.clone()).or_default().push(entry);
    }
    let mut group_ids: BTreeMap<Section, String> = BTreeMap::new();
    let mut file_counter = 0usize;
    if !groups.is_empty() {
        x.start("mets:fileSec", &[("ID", "filesec-1")])?;
        for (group_index, (section, files)) in groups.iter().enumerate() {
            let group_id = format!("grp-{}", group_index + 1);
            let use_label = match section {
                Section::Documentation => "Documentation".to_string(),
                Section::Schemas => "Schemas".to_string(),
                Section::Representation(rep) => format!("Representations/{rep}"),
                _ => continue,
            };
            let mut attrs = vec![("ID", group_id.as_str()), ("USE", use_label.as_str())];
            if matches!(section, Section::Representation(_)) {
                attrs.push(("csip:CONTENTINFORMATIONTYPE", "OTHER"));
                attrs.push((
                    "csip:OTHERCONTENTINFORMATIONTYPE",
                    OTHER_CONTENT_INFORMATION_TYPE,
                ));
            }
            x.start("mets:fileGrp", &attrs)?;
            for entry in files {
                file_counter += 1;
                let file_id = format!("file-{file_counter}");
                write_file_element(&mut x, &file_id, entry, entry.path, &created)?;
            }
            x.end("mets:fileGrp")?;
            group_ids.insert(section.clone(), group_id);
        }
        x.end("mets:fileSec")?;
    }

    // structMap (CSIP 2.1: TYPE PHYSICAL, LABEL CSIP). Element order in a div: mptr, fptr, div.
    x.start(
        "mets:structMap",
        &[
            ("ID", "struct-csip"),
            ("TYPE", "PHYSICAL"),
            ("LABEL", "CSIP"),
        ],
    )?;
    x.start(
        "mets:div",
        &[("ID", "div-root"), ("LABEL", &meta.package_id)],
    )?;
    let dmdid = dmd_ids.join(" ");
    let admid = amd_ids.join(" ");
    let mut md_attrs = vec![("ID", "div-metadata"), ("LABEL", "Metadata")];
    if !dmdid.is_empty() {
        md_attrs.push(("DMDID", &dmdid));
    }
    if !admid.is_empty() {
        md_attrs.push(("ADMID", &admid));
    }
    x.empty("mets:div", &md_attrs)?;
    for (section, div_id, label) in [
        (Section::Documentation, "div-documentation", "Documentation"),
        (Section::Schemas, "div-schemas", "Schemas"),
    ] {
        if let Some(group_id) = group_ids.get(&section) {
            x.start("mets:div", &[("ID", div_id), ("LABEL", label)])?;
            x.empty("mets:fptr", &[("FILEID", group_id)])?;
            x.end("mets:div")?;
        }
    }
    let reps: Vec<(&String, &String)> = group_ids
        .iter()
        .filter_map(|(section, id)| match section {
            Section::Representation(rep) => Some((rep, id)),
            _ => None,
        })
        .collect();
    if !reps.is_empty() {
        x.start(
            "mets:div",
            &[("ID", "div-representations"), ("LABEL", "Representations")],
        )?;
        for (_, group_id) in &reps {
            x.empty("mets:fptr", &[("FILEID", group_id)])?;
        }
        for (index, (rep, group_id)) in reps.iter().enumerate() {
            let div_id = format!("div-rep-{}", index + 1);
            let label = format!("Representations/{rep}");
            let href = format!("representations/{rep}/{METS_FILE_NAME}");
            x.start("mets:div", &[("ID", &div_id), ("LABEL", &label)])?;
            x.empty(
                "mets:mptr",
                &[
                    ("LOCTYPE", "URL"),
                    ("xlink:type", "simple"),
                    ("xlink:href", &href),
                    ("xlink:title", group_id),
                ],
            )?;
            x.end("mets:div")?;
        }
        x.end("mets:div")?;
    }
    x.end("mets:div")?;
    x.end("mets:structMap")?;
    x.end("mets:mets")?;
    Ok(x.finish())
}

/// A zip timestamp from `created` (DOS time: 1980–2107, two-second steps, no time zone; UTC).
fn zip_timestamp(created: &DateTime<Utc>) -> zip::DateTime {
    let year = u16::try_from(created.year()).unwrap_or(1980);
    zip::DateTime::from_date_and_time(
        year,
        created.month() as u8,
        created.day() as u8,
        created.hour() as u8,
        created.minute() as u8,
        (created.second() as u8) & !1,
    )
    .unwrap_or_default()
}

/// Builds the package as zip bytes. Output depends only on the inputs (fixed timestamps,
/// fixed permissions, files in input order after the generated ones).
pub fn build_sip(meta: &SipMetadata, files: &[SipFile]) -> Result<Vec<u8>, ArchiveError> {
    if !valid_package_id(&meta.package_id) {
        return Err(ArchiveError::InvalidPackageId);
    }
    let descriptive = descriptive_metadata_xml(meta)?;
    let mut entries = vec![Entry {
        path: DESCRIPTIVE_METADATA_PATH,
        bytes: &descriptive,
        mime: "application/xml",
        use_: FileUse::Metadata,
        section: Section::DescriptiveMetadata,
    }];
    let mut seen: HashSet<&str> = HashSet::from([DESCRIPTIVE_METADATA_PATH, METS_FILE_NAME]);
    for file in files {
        let section = classify_path(&file.path)?;
        if !valid_media_type(&file.mime) {
            return Err(ArchiveError::InvalidMediaType(sanitize_xml_text(
                &file.path,
            )));
        }
        if !seen.insert(file.path.as_str()) {
            return Err(ArchiveError::DuplicatePath(sanitize_xml_text(&file.path)));
        }
        entries.push(Entry {
            path: &file.path,
            bytes: &file.bytes,
            mime: &file.mime,
            use_: file.use_,
            section,
        });
    }
    // Representation METS files, one per representation folder, listed first in their group.
    let mut rep_names: Vec<String> = entries
        .iter()
        .filter_map(|e| match &e.section {
            Section::Representation(rep) => Some(rep.clone()),
            _ => None,
        })
        .collect();
    rep_names.sort();
    rep_names.dedup();
    let mut rep_mets: Vec<(String, String, Vec<u8>)> = Vec::new();
    for rep in &rep_names {
        let path = format!("representations/{rep}/{METS_FILE_NAME}");
        if seen.contains(path.as_str()) {
            return Err(ArchiveError::DuplicatePath(sanitize_xml_text(&path)));
        }
        let rep_entries: Vec<&Entry<'_>> = entries
            .iter()
            .filter(|e| e.section == Section::Representation(rep.clone()))
            .collect();
        let bytes = representation_mets_xml(meta, rep, &rep_entries)?;
        rep_mets.push((rep.clone(), path, bytes));
    }
    let mut all_entries: Vec<Entry<'_>> = rep_mets
        .iter()
        .map(|(rep, path, bytes)| Entry {
            path,
            bytes,
            mime: "application/xml",
            use_: FileUse::Metadata,
            section: Section::Representation(rep.clone()),
        })
        .collect();
    all_entries.extend(entries);
    let entries = all_entries;
    let mets = mets_xml(meta, &entries)?;

    let timestamp = zip_timestamp(&meta.created);
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let root = &meta.package_id;
    let mut add = |name: String, bytes: &[u8]| -> Result<(), ArchiveError> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(timestamp)
            .unix_permissions(0o644)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        zip.start_file(name, options).map_err(write_err)?;
        zip.write_all(bytes).map_err(write_err)
    };
    add(format!("{root}/{METS_FILE_NAME}"), &mets)?;
    for entry in &entries {
        add(format!("{root}/{}", entry.path), entry.bytes)?;
    }
    let cursor = zip.finish().map_err(write_err)?;
    Ok(cursor.into_inner())
}

/// The root folder and the bytes of its METS.xml.
fn open_root_mets(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
) -> Result<(String, Vec<u8>), ArchiveError> {
    let candidates: Vec<String> = archive
        .file_names()
        .filter(|name| {
            name.split('/').count() == 2 && name.ends_with(&format!("/{METS_FILE_NAME}"))
        })
        .map(str::to_string)
        .collect();
    let [mets_name] = candidates.as_slice() else {
        return Err(ArchiveError::MetsMissing);
    };
    let root = mets_name.split('/').next().unwrap_or_default().to_string();
    let bytes = read_entry_limited(archive, mets_name)?;
    Ok((root, bytes))
}

/// Reads a METS entry, refusing more than `MAX_METS_BYTES` (zip bombs).
fn read_entry_limited(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    name: &str,
) -> Result<Vec<u8>, ArchiveError> {
    let entry = archive
        .by_name(name)
        .map_err(|_| ArchiveError::MissingFile(name.to_string()))?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_METS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ArchiveError::Zip(e.to_string()))?;
    if bytes.len() as u64 > MAX_METS_BYTES {
        return Err(ArchiveError::InvalidMets("METS.xml is too large".into()));
    }
    Ok(bytes)
}

/// Files listed in a METS document: `file/FLocat` and `mdRef`, with their checksums.
fn parse_mets_listing(mets: &[u8]) -> Result<Vec<(String, String)>, ArchiveError> {
    let invalid = |e: &dyn std::fmt::Display| ArchiveError::InvalidMets(e.to_string());
    let mut reader = quick_xml::Reader::from_reader(mets);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut listed = Vec::new();
    let mut file_checksum: Option<String> = None;
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| invalid(&e))?;
        let (element, is_start) = match &event {
            Event::Start(e) => (Some(e.clone()), true),
            Event::Empty(e) => (Some(e.clone()), false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == b"file" {
                    file_checksum = None;
                }
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = element {
            if depth == 0 {
                if seen_root || e.local_name().as_ref() != b"mets" {
                    return Err(ArchiveError::InvalidMets("root element is not mets".into()));
                }
                seen_root = true;
            }
            if is_start {
                depth += 1;
            }
            let mut href = None;
            let mut checksum = None;
            for attr in e.attributes() {
                let attr = attr.map_err(|err| invalid(&err))?;
                let value = attr
                    .unescape_value()
                    .map_err(|err| invalid(&err))?
                    .into_owned();
                match attr.key.local_name().as_ref() {
                    b"href" => href = Some(value),
                    b"CHECKSUM" => checksum = Some(value),
                    _ => {}
                }
            }
            match e.local_name().as_ref() {
                b"file" => file_checksum = checksum,
                b"FLocat" => {
                    let href = href
                        .ok_or_else(|| ArchiveError::InvalidMets("FLocat without href".into()))?;
                    let sum = file_checksum.clone().ok_or_else(|| {
                        ArchiveError::InvalidMets(format!("file without CHECKSUM: {href}"))
                    })?;
                    listed.push((href, sum));
                }
                b"mdRef" => {
                    let href =
                        href.ok_or_else(|| ArchiveError::InvalidMets("mdRef without href".into()))?;
                    let sum = checksum.ok_or_else(|| {
                        ArchiveError::InvalidMets(format!("mdRef without CHECKSUM: {href}"))
                    })?;
                    listed.push((href, sum));
                }
                _ => {}
            }
        }
        buf.clear();
    }
    if !seen_root || depth != 0 {
        return Err(ArchiveError::InvalidMets("document is incomplete".into()));
    }
    Ok(listed)
}

fn open_zip(zip_bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, ArchiveError> {
    zip::ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| ArchiveError::Zip(e.to_string()))
}

/// Parses the root METS.xml of a package and returns the files it lists (paths relative to
/// the package root) with their SHA-256 checksums in hex.
pub fn read_sip_manifest(zip_bytes: &[u8]) -> Result<Vec<(String, String)>, ArchiveError> {
    let mut archive = open_zip(zip_bytes)?;
    let (_root, mets) = open_root_mets(&mut archive)?;
    parse_mets_listing(&mets)
}

/// Checks a package: every file METS lists is present with the listed SHA-256, and every file
/// in the package other than METS.xml is listed.
pub fn verify_sip(zip_bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut archive = open_zip(zip_bytes)?;
    let (root, mets) = open_root_mets(&mut archive)?;
    let listed = parse_mets_listing(&mets)?;
    let mut listed_names = HashSet::new();
    for (path, expected) in &listed {
        let name = format!("{root}/{path}");
        let mut entry = archive
            .by_name(&name)
            .map_err(|_| ArchiveError::MissingFile(path.clone()))?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut entry, &mut hasher).map_err(|e| ArchiveError::Zip(e.to_string()))?;
        if !hex::encode(hasher.finalize()).eq_ignore_ascii_case(expected) {
            return Err(ArchiveError::ChecksumMismatch(path.clone()));
        }
        listed_names.insert(name);
    }
    // Representation METS files list their files relative to their own folder.
    for (path, _) in &listed {
        let Some(rep_folder) = path
            .strip_suffix(METS_FILE_NAME)
            .filter(|p| p.starts_with("representations/"))
        else {
            continue;
        };
        let rep_mets = read_entry_limited(&mut archive, &format!("{root}/{path}"))?;
        for (relative, expected) in parse_mets_listing(&rep_mets)? {
            let full = format!("{rep_folder}{relative}");
            let mut entry = archive
                .by_name(&format!("{root}/{full}"))
                .map_err(|_| ArchiveError::MissingFile(full.clone()))?;
            let mut hasher = Sha256::new();
            std::io::copy(&mut entry, &mut hasher).map_err(|e| ArchiveError::Zip(e.to_string()))?;
            if !hex::encode(hasher.finalize()).eq_ignore_ascii_case(&expected) {
                return Err(ArchiveError::ChecksumMismatch(full));
            }
        }
    }
    let mets_name = format!("{root}/{METS_FILE_NAME}");
    for name in archive.file_names() {
        let is_dir = name.ends_with('/');
        if !is_dir && name != mets_name && !listed_names.contains(name) {
            return Err(ArchiveError::UnlistedFile(name.to_string()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 9, 15, 31).unwrap()
    }

    fn meta() -> SipMetadata {
        SipMetadata {
            package_id: "uuid-2f1c9a56-7d1e-4c55-9a53-5c1d3c0f0b11".into(),
            label: "Protokoll Barn- & utbildningsnämnden <2026-11-11>".into(),
            created: created(),
            tenant_name: "Åre kommun & Östersunds \"kommun\"".into(),
            organization_number: Some("212000-2411".into()),
            organ: "Barn- & utbildningsnämnden <BUN>".into(),
            meeting_date: "2026-11-11".into(),
            paragraphs: "§§ 1–6 & 8".into(),
            diarienummer: Some("BUN 2026/123".into()),
            signers: vec![
                (
                    "Åsa Öberg".into(),
                    "ordförande".into(),
                    Utc.with_ymd_and_hms(2026, 11, 20, 14, 2, 0).unwrap(),
                ),
                (
                    "Per <Ängel> & 'Co'".into(),
                    "justerare".into(),
                    Utc.with_ymd_and_hms(2026, 11, 21, 8, 30, 0).unwrap(),
                ),
            ],
            software: "e-underskrift 0.1.0".into(),
        }
    }

    fn files() -> Vec<SipFile> {
        vec![
            SipFile {
                path: "representations/rep1/data/archive.pdf".into(),
                bytes: b"%PDF-1.7\n... archive version ...\n%%EOF\n".to_vec(),
                mime: "application/pdf".into(),
                use_: FileUse::Archive,
            },
            SipFile {
                path: "representations/rep1/data/evidence/bankid-åsa öberg.xml".into(),
                bytes: b"<sig>evidence & more</sig>".to_vec(),
                mime: "application/xml".into(),
                use_: FileUse::Evidence,
            },
            SipFile {
                path: "documentation/validation-report.xml".into(),
                bytes: b"<report/>".to_vec(),
                mime: "application/xml".into(),
                use_: FileUse::ValidationReport,
            },
            SipFile {
                path: "metadata/preservation/premis.xml".into(),
                bytes: b"<premis/>".to_vec(),
                mime: "application/xml".into(),
                use_: FileUse::Metadata,
            },
        ]
    }

    fn zip_entry(zip_bytes: &[u8], name: &str) -> Vec<u8> {
        let mut archive = open_zip(zip_bytes).unwrap();
        let mut entry = archive.by_name(name).unwrap();
        let mut out = Vec::new();
        entry.read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn every_listed_checksum_matches_the_zip() {
        let zip_bytes = build_sip(&meta(), &files()).unwrap();
        let listed = read_sip_manifest(&zip_bytes).unwrap();
        let root = meta().package_id;
        // The generated descriptive metadata and representation METS plus the four supplied files.
        assert_eq!(listed.len(), 6);
        assert!(listed
            .iter()
            .any(|(p, _)| p == "representations/rep1/METS.xml"));
        for file in files() {
            let (_, sum) = listed
                .iter()
                .find(|(p, _)| *p == file.path)
                .unwrap_or_else(|| panic!("{} not listed", file.path));
            assert_eq!(*sum, hex::encode(Sha256::digest(&file.bytes)));
        }
        for (path, sum) in &listed {
            let bytes = zip_entry(&zip_bytes, &format!("{root}/{path}"));
            assert_eq!(*sum, hex::encode(Sha256::digest(&bytes)), "{path}");
        }
        verify_sip(&zip_bytes).unwrap();
    }

    #[test]
    fn layout_is_one_root_folder_named_after_the_package() {
        let zip_bytes = build_sip(&meta(), &files()).unwrap();
        let archive = open_zip(&zip_bytes).unwrap();
        let root = meta().package_id;
        let names: Vec<&str> = archive.file_names().collect();
        assert!(names.iter().all(|n| n.starts_with(&format!("{root}/"))));
        assert!(names.contains(&format!("{root}/METS.xml").as_str()));
        assert!(names.contains(&format!("{root}/{DESCRIPTIVE_METADATA_PATH}").as_str()));
        assert!(names.contains(
            &format!("{root}/representations/rep1/data/evidence/bankid-åsa öberg.xml").as_str()
        ));
    }

    #[test]
    fn mets_has_csip_attributes_and_parses_back() {
        let zip_bytes = build_sip(&meta(), &files()).unwrap();
        let mets = zip_entry(&zip_bytes, &format!("{}/METS.xml", meta().package_id));
        let text = String::from_utf8(mets.clone()).unwrap();
        for needle in [
            "OBJID=\"uuid-2f1c9a56-7d1e-4c55-9a53-5c1d3c0f0b11\"",
            "PROFILE=\"https://earksip.dilcis.eu/profile/E-ARK-SIP.xml\"",
            "TYPE=\"Textual works – Digital\"",
            "csip:OAISPACKAGETYPE=\"SIP\"",
            "CREATEDATE=\"2026-12-03T09:15:31Z\"",
            "OTHERTYPE=\"SOFTWARE\"",
            "<mets:name>e-underskrift</mets:name>",
            "csip:NOTETYPE=\"SOFTWARE VERSION\">0.1.0<",
            "ROLE=\"ARCHIVIST\" TYPE=\"ORGANIZATION\"",
            "ORG:212000-2411",
            "USE=\"Representations/rep1\"",
            "USE=\"Documentation\"",
            "CHECKSUMTYPE=\"SHA-256\"",
            "MDTYPE=\"PREMIS\"",
            "TYPE=\"PHYSICAL\" LABEL=\"CSIP\"",
            "LABEL=\"Representations/rep1\"",
            "DMDID=\"dmd-1\"",
            "ADMID=\"digiprov-1\"",
            "Protokoll Barn- &amp; utbildningsnämnden &lt;2026-11-11&gt;",
            "Åre kommun &amp; Östersunds &quot;kommun&quot;",
        ] {
            assert!(text.contains(needle), "METS lacks {needle:?}\n{text}");
        }
        // Well-formed: a full pass of the reader with end-name checks.
        let mut reader = quick_xml::Reader::from_reader(mets.as_slice());
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        let mut files_with_size = 0;
        loop {
            match reader.read_event_into(&mut buf).unwrap() {
                Event::Eof => break,
                Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"file" => {
                    let size = e
                        .try_get_attribute("SIZE")
                        .unwrap()
                        .unwrap()
                        .unescape_value()
                        .unwrap()
                        .parse::<usize>()
                        .unwrap();
                    assert!(size > 0);
                    for attr in ["ID", "MIMETYPE", "CREATED", "CHECKSUM", "CHECKSUMTYPE"] {
                        assert!(e.try_get_attribute(attr).unwrap().is_some(), "{attr}");
                    }
                    files_with_size += 1;
                }
                _ => {}
            }
            buf.clear();
        }
        // Three supplied files plus the representation METS.
        assert_eq!(files_with_size, 4);
    }

    #[test]
    fn representation_mets_lists_its_files_relative_to_its_folder() {
        let zip_bytes = build_sip(&meta(), &files()).unwrap();
        let root = meta().package_id;
        let rep_mets = zip_entry(&zip_bytes, &format!("{root}/representations/rep1/METS.xml"));
        let listed = parse_mets_listing(&rep_mets).unwrap();
        let mut paths: Vec<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
        paths.sort();
        assert_eq!(
            paths,
            ["data/archive.pdf", "data/evidence/bankid-åsa öberg.xml"]
        );
        for (path, sum) in &listed {
            let bytes = zip_entry(&zip_bytes, &format!("{root}/representations/rep1/{path}"));
            assert_eq!(*sum, hex::encode(Sha256::digest(&bytes)));
        }
        let text = String::from_utf8(rep_mets).unwrap();
        assert!(text.contains("USE=\"Data\""));
        // The root structMap points at it.
        let root_mets =
            String::from_utf8(zip_entry(&zip_bytes, &format!("{root}/METS.xml"))).unwrap();
        assert!(root_mets.contains("<mets:mptr LOCTYPE=\"URL\" xlink:type=\"simple\" xlink:href=\"representations/rep1/METS.xml\""));
    }

    #[test]
    fn special_characters_survive_in_descriptive_metadata() {
        let zip_bytes = build_sip(&meta(), &files()).unwrap();
        let xml = zip_entry(
            &zip_bytes,
            &format!("{}/{DESCRIPTIVE_METADATA_PATH}", meta().package_id),
        );
        // Collect all text nodes, unescaped.
        let mut reader = quick_xml::Reader::from_reader(xml.as_slice());
        reader.config_mut().check_end_names = true;
        let mut buf = Vec::new();
        let mut texts = Vec::new();
        loop {
            match reader.read_event_into(&mut buf).unwrap() {
                Event::Eof => break,
                Event::Text(t) => texts.push(t.unescape().unwrap().into_owned()),
                _ => {}
            }
            buf.clear();
        }
        for expected in [
            "Barn- & utbildningsnämnden <BUN>",
            "Åre kommun & Östersunds \"kommun\"",
            "§§ 1–6 & 8",
            "Åsa Öberg",
            "Per <Ängel> & 'Co'",
            "justerare",
            "2026-11-21T08:30:00Z",
            "BUN 2026/123",
            "212000-2411",
            "2026-11-11",
        ] {
            assert!(
                texts.iter().any(|t| t == expected),
                "{expected:?} not in {texts:?}"
            );
        }
    }

    #[test]
    fn output_is_deterministic() {
        let a = build_sip(&meta(), &files()).unwrap();
        let b = build_sip(&meta(), &files()).unwrap();
        assert_eq!(a, b);
        let mut other = meta();
        other.created = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
        assert_ne!(a, build_sip(&other, &files()).unwrap());
        let archive = open_zip(&a).unwrap();
        let mut archive = archive;
        let entry = archive.by_index(0).unwrap();
        let modified = entry.last_modified().unwrap();
        assert_eq!(
            (
                modified.year(),
                modified.month(),
                modified.day(),
                modified.hour(),
                modified.minute(),
                modified.second()
            ),
            (2026, 12, 3, 9, 15, 30)
        );
    }

    #[test]
    fn bad_paths_and_ids_are_rejected() {
        for path in [
            "archive.pdf",
            "/representations/rep1/data/a.pdf",
            "representations/rep1",
            "representations/../METS.xml",
            "representations/rep1/data/../../x",
            "representations//data/a.pdf",
            "representations\\rep1\\a.pdf",
            "metadata/descriptive",
            "metadata/unknown/x.xml",
            "METS.xml",
            "documentation/a\u{0}b",
            "",
        ] {
            let mut fs = files();
            fs[0].path = path.into();
            let err = build_sip(&meta(), &fs).unwrap_err();
            assert_eq!(err.code(), "archive.invalid_path", "{path:?}");
        }
        let mut fs = files();
        fs.push(fs[0].clone());
        assert_eq!(
            build_sip(&meta(), &fs).unwrap_err().code(),
            "archive.duplicate_path"
        );
        let mut fs = files();
        fs[1].path = "representations/rep1/METS.xml".into();
        assert_eq!(
            build_sip(&meta(), &fs).unwrap_err().code(),
            "archive.duplicate_path"
        );
        let mut fs = files();
        fs[0].path = DESCRIPTIVE_METADATA_PATH.into();
        assert_eq!(
            build_sip(&meta(), &fs).unwrap_err().code(),
            "archive.duplicate_path"
        );
        for mime in [
            "",
            "pdf",
            "application/",
            "/pdf",
            "application/pdf x",
            "a/b/c",
        ] {
            let mut fs = files();
            fs[0].mime = mime.into();
            assert_eq!(
                build_sip(&meta(), &fs).unwrap_err().code(),
                "archive.invalid_media_type",
                "{mime:?}"
            );
        }
        let mut fs = files();
        fs[0].mime = "application/xml; charset=utf-8".into();
        assert!(build_sip(&meta(), &fs).is_ok());
        for id in ["", "../x", "a/b", "a b", ".hidden", "ü"] {
            let mut m = meta();
            m.package_id = id.into();
            assert_eq!(
                build_sip(&m, &files()).unwrap_err().code(),
                "archive.invalid_package_id",
                "{id:?}"
            );
        }
    }

    #[test]
    fn control_characters_in_metadata_still_give_well_formed_xml() {
        let mut m = meta();
        m.organ = "Nämnd\u{1}\u{FFFF}".into();
        let zip_bytes = build_sip(&m, &files()).unwrap();
        verify_sip(&zip_bytes).unwrap();
    }

    #[test]
    fn verification_detects_tampering_and_garbage() {
        assert_eq!(
            read_sip_manifest(b"not a zip").unwrap_err().code(),
            "archive.invalid_zip"
        );
        // A zip without METS.xml.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("x/a.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"a").unwrap();
        let no_mets = zip.finish().unwrap().into_inner();
        assert_eq!(
            read_sip_manifest(&no_mets).unwrap_err().code(),
            "archive.mets_missing"
        );

        // Rebuild a package with one file's bytes changed but the original METS.
        let good = build_sip(&meta(), &files()).unwrap();
        let root = meta().package_id;
        let mut original = open_zip(&good).unwrap();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..original.len() {
            let mut entry = original.by_index(i).unwrap();
            let name = entry.name().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            if name.ends_with("archive.pdf") {
                bytes.push(b'!');
            }
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&bytes).unwrap();
        }
        zip.start_file(
            format!("{root}/extra.txt"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"x").unwrap();
        let tampered = zip.finish().unwrap().into_inner();
        assert_eq!(
            verify_sip(&tampered).unwrap_err().code(),
            "archive.checksum_mismatch"
        );

        // Malformed METS.
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("p/METS.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"<mets:mets><mets:file CHECKSUM=\"ab\"></mets:mets>")
            .unwrap();
        let bad = zip.finish().unwrap().into_inner();
        assert_eq!(
            read_sip_manifest(&bad).unwrap_err().code(),
            "archive.invalid_mets"
        );
    }

    #[test]
    fn unlisted_files_are_reported() {
        let good = build_sip(&meta(), &files()).unwrap();
        let mut original = open_zip(&good).unwrap();
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for i in 0..original.len() {
            let mut entry = original.by_index(i).unwrap();
            let name = entry.name().to_string();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            zip.start_file(name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(&bytes).unwrap();
        }
        zip.start_file(
            format!("{}/documentation/extra.txt", meta().package_id),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(b"x").unwrap();
        let extra = zip.finish().unwrap().into_inner();
        assert_eq!(
            verify_sip(&extra).unwrap_err().code(),
            "archive.unlisted_file"
        );
    }

    #[test]
    fn software_string_is_split_into_name_and_version() {
        assert_eq!(
            software_name_and_version("e-underskrift 0.1.0"),
            ("e-underskrift", "0.1.0")
        );
        assert_eq!(
            software_name_and_version("e-underskrift"),
            ("e-underskrift", "unknown")
        );
        assert_eq!(
            software_name_and_version("Min tjänst 2.3"),
            ("Min tjänst", "2.3")
        );
    }

    #[test]
    fn errors_have_codes_and_messages() {
        let e = ArchiveError::ChecksumMismatch("a.pdf".into());
        assert_eq!(e.code(), "archive.checksum_mismatch");
        assert!(e.message_sv().contains("a.pdf"));
        assert!(e.message_en().contains("a.pdf"));
    }
}
