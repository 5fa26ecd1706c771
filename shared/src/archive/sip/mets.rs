//! The METS documents: the package's root `METS.xml` (CSIP 2.1 with the SIP extension) and one
//! per representation folder, each listing its files with size, date, type and SHA-256.

use std::collections::BTreeMap;

use super::error::ArchiveError;
use super::paths::Section;
use super::xml::{sha256_hex, timestamp, XmlOut};
use super::{FileUse, SipMetadata, DESCRIPTIVE_METADATA_PATH, METS_FILE_NAME};

const SIP_PROFILE: &str = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml";
const CONTENT_CATEGORY: &str = "Textual works – Digital";
const OTHER_CONTENT_INFORMATION_TYPE: &str = "e-underskrift signed document with evidence";

const NS_METS: &str = "http://www.loc.gov/METS/";
const NS_XLINK: &str = "http://www.w3.org/1999/xlink";
const NS_CSIP: &str = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS";
const NS_SIP: &str = "https://DILCIS.eu/XML/METS/SIPExtensionMETS";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// One file as METS sees it.
#[derive(Clone, Debug)]
pub(super) struct Entry<'a> {
    pub(super) path: &'a str,
    pub(super) content: Content<'a>,
    pub(super) size: u64,
    /// SHA-256, lower-case hex.
    pub(super) sha256: String,
    pub(super) mime: &'a str,
    pub(super) use_: FileUse,
    pub(super) section: Section,
}

/// Where an entry's bytes are.
#[derive(Clone, Copy, Debug)]
pub(super) enum Content<'a> {
    Bytes(&'a [u8]),
    File(&'a std::path::Path),
}

impl<'a> Entry<'a> {
    /// An entry of bytes in memory.
    pub(super) fn of_bytes(
        path: &'a str,
        bytes: &'a [u8],
        mime: &'a str,
        use_: FileUse,
        section: Section,
    ) -> Self {
        Self {
            path,
            content: Content::Bytes(bytes),
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            mime,
            use_,
            section,
        }
    }
}

/// Splits "name version" at the last space; without a version the whole string is the name.
pub(super) fn software_name_and_version(software: &str) -> (&str, &str) {
    match software.trim().rsplit_once(' ') {
        Some((name, version)) if version.starts_with(|c: char| c.is_ascii_digit()) => {
            (name.trim(), version)
        }
        _ => (software.trim(), "unknown"),
    }
}

fn write_mdref(x: &mut XmlOut, entry: &Entry<'_>, created: &str) -> Result<(), ArchiveError> {
    let (mdtype, other): (&str, Option<&str>) = match entry.section {
        Section::PreservationMetadata => ("PREMIS", None),
        _ if entry.path == DESCRIPTIVE_METADATA_PATH => ("OTHER", Some("ERMS")),
        _ => ("OTHER", Some("OTHER")),
    };
    md_ref(x, "mets:mdRef", entry, entry.path, (mdtype, other), created)
}

/// One metadata reference (`element`, namespaced or not) to `entry` at `href`, with its
/// type, size, creation time and checksum: E-ARK's and FGS 1.2's METS write them alike.
pub(super) fn md_ref(
    x: &mut XmlOut,
    element: &str,
    entry: &Entry<'_>,
    href: &str,
    (mdtype, other): (&str, Option<&str>),
    created: &str,
) -> Result<(), ArchiveError> {
    let size = entry.size.to_string();
    let mut attrs = vec![
        ("LOCTYPE", "URL"),
        ("xlink:type", "simple"),
        ("xlink:href", href),
        ("MDTYPE", mdtype),
    ];
    if let Some(other) = other {
        attrs.push(("OTHERMDTYPE", other));
    }
    attrs.extend([
        ("MIMETYPE", entry.mime),
        ("SIZE", size.as_str()),
        ("CREATED", created),
        ("CHECKSUM", entry.sha256.as_str()),
        ("CHECKSUMTYPE", "SHA-256"),
    ]);
    x.empty(element, &attrs)
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
            ("RECORDSTATUS", meta.record_status()),
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
    // Arkivbildare (ARCHIVIST) and submitting agent (CREATOR, SIP15) are both the tenant, each
    // with exactly one note, its identification code (SIP10/SIP16; CSIP15 counts the notes of
    // every CREATOR).
    let code = identification_code(meta);
    for role in ["ARCHIVIST", "CREATOR"] {
        x.start("mets:agent", &[("ROLE", role), ("TYPE", "ORGANIZATION")])?;
        x.text_element("mets:name", &[], &meta.tenant_name)?;
        x.text_element(
            "mets:note",
            &[("csip:NOTETYPE", "IDENTIFICATIONCODE")],
            &code,
        )?;
        x.end("mets:agent")?;
    }
    let agreement = &meta.agreement;
    // The contact person (SIP 2.1: CREATOR INDIVIDUAL), with one note as CSIP15 counts them.
    if let Some(contact) = &agreement.contact {
        x.start("mets:agent", &[("ROLE", "CREATOR"), ("TYPE", "INDIVIDUAL")])?;
        x.text_element("mets:name", &[], &contact.name)?;
        x.text_element(
            "mets:note",
            &[("csip:NOTETYPE", "IDENTIFICATIONCODE")],
            &format!("mailto:{}", contact.email),
        )?;
        x.end("mets:agent")?;
    }
    // The e-archive that preserves the package.
    if let Some(archive) = &agreement.archive_name {
        x.start(
            "mets:agent",
            &[("ROLE", "PRESERVATION"), ("TYPE", "ORGANIZATION")],
        )?;
        x.text_element("mets:name", &[], archive)?;
        x.end("mets:agent")?;
    }
    if let Some(reference) = &agreement.submission_agreement {
        x.text_element(
            "mets:altRecordID",
            &[("TYPE", "SUBMISSIONAGREEMENT")],
            reference,
        )?;
    }
    x.end("mets:metsHdr")
}

/// The tenant's identification code as FGS writes it: `ORG:` and its organisationsnummer, or
/// `Local:` and the tenant's id when it has none.
pub(super) fn identification_code(meta: &SipMetadata) -> String {
    match meta.organization_number.as_deref().map(str::trim) {
        Some(org) if !org.is_empty() => format!("ORG:{org}"),
        _ => format!("Local:{}", meta.tenant_id),
    }
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
    let size = entry.size.to_string();
    let checksum = entry.sha256.clone();
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
pub(super) fn representation_mets_xml(
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

pub(super) fn mets_xml(meta: &SipMetadata, entries: &[Entry<'_>]) -> Result<Vec<u8>, ArchiveError> {
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
