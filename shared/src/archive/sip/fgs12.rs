//! The second package profile: FGS Paketstruktur 1.2 (RAFGS1V1.2, "CSPackage"), for e-archives
//! still on 1.x. One METS file, `sip.xml`, at the root; the files under `Content/`, the schemas
//! under `System/`; Riksarkivet's extension attributes in the `ExtensionMETS` namespace.
//! Written from public 1.x implementations (`../shared/research/archive.md` §1.4): Riksarkivet's
//! own CSPackage schemas could not be obtained here, so the file is validated against METS 1.12
//! (which admits the extension attributes) and its checksums by our own reader.

use super::error::ArchiveError;
use super::mets::{md_ref, software_name_and_version, Entry};
use super::xml::{timestamp, XmlOut};
use super::SipMetadata;

pub const FGS12_METS_FILE_NAME: &str = "sip.xml";

const NS_METS: &str = "http://www.loc.gov/METS/";
const NS_XLINK: &str = "http://www.w3.org/1999/xlink";
const NS_EXT: &str = "ExtensionMETS";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const PROFILE: &str = "http://xml.ra.se/e-arkiv/METS/CommonSpecificationSwedenPackageProfile.xml";

/// Where a file of the E-ARK layout lies in an FGS 1.2 package: content and metadata under
/// `Content/`, schemas under `System/`.
pub(super) fn path(eark: &str) -> String {
    let (prefix, rest) = match eark.split_once('/') {
        Some(("schemas", rest)) => ("System", rest),
        Some(("representations", rest)) => (
            "Content",
            rest.split_once("/data/").map(|(_, r)| r).unwrap_or(rest),
        ),
        Some(("metadata", rest)) => (
            "Content/metadata",
            rest.split_once('/').map(|(_, r)| r).unwrap_or(rest),
        ),
        Some(("documentation", rest)) => ("Content/documentation", rest),
        _ => ("Content", eark),
    };
    format!("{prefix}/{rest}")
}

/// `sip.xml` for the package's files (`entries`, their paths already in this layout).
pub(super) fn sip_xml(meta: &SipMetadata, entries: &[Entry<'_>]) -> Result<Vec<u8>, ArchiveError> {
    let created = timestamp(&meta.created);
    let objid = format!(
        "UUID:{}",
        meta.package_id
            .strip_prefix("uuid-")
            .unwrap_or(&meta.package_id)
    );
    let mut x = XmlOut::new()?;
    x.start(
        "mets",
        &[
            ("xmlns", NS_METS),
            ("xmlns:xlink", NS_XLINK),
            ("xmlns:ext", NS_EXT),
            ("xmlns:xsi", NS_XSI),
            (
                "xsi:schemaLocation",
                "http://www.loc.gov/METS/ http://xml.ra.se/e-arkiv/METS/CSPackageMETS.xsd \
                 ExtensionMETS http://xml.ra.se/e-arkiv/METS/CSPackageExtensionMETS.xsd",
            ),
            ("OBJID", &objid),
            ("TYPE", "ERMS"),
            ("LABEL", &meta.label),
            ("PROFILE", PROFILE),
            (
                "ext:CONTENTTYPESPECIFICATION",
                "CITS ERMS 2.1 (FGS Ärendehantering 2.0)",
            ),
            ("ext:SYSTEMTYPE", "E-underskrift"),
            (
                "ext:APPRAISAL",
                if meta.agreement.retention.action_sv() == "Gallras" {
                    "Yes"
                } else {
                    "No"
                },
            ),
        ],
    )?;
    write_header(&mut x, meta, &created)?;
    write_metadata_refs(&mut x, entries, &created)?;
    x.start("fileSec", &[])?;
    x.start("fileGrp", &[("ID", "fgrp001")])?;
    for (i, entry) in entries.iter().enumerate() {
        let id = format!("ID{}", i + 1);
        let size = entry.size.to_string();
        let name = entry.path.rsplit('/').next().unwrap_or(entry.path);
        x.start(
            "file",
            &[
                ("ID", &id),
                ("MIMETYPE", entry.mime),
                ("SIZE", &size),
                ("CREATED", &created),
                ("CHECKSUM", &entry.sha256),
                ("CHECKSUMTYPE", "SHA-256"),
                ("ext:ORIGINALFILENAME", name),
            ],
        )?;
        x.empty(
            "FLocat",
            &[
                ("LOCTYPE", "URL"),
                ("xlink:type", "simple"),
                ("xlink:href", &format!("file:///{}", entry.path)),
            ],
        )?;
        x.end("file")?;
    }
    x.end("fileGrp")?;
    x.end("fileSec")?;
    x.start("structMap", &[])?;
    x.start("div", &[("LABEL", "Package")])?;
    for i in 0..entries.len() {
        x.empty("fptr", &[("FILEID", &format!("ID{}", i + 1))])?;
    }
    x.end("div")?;
    x.end("structMap")?;
    x.end("mets")?;
    Ok(x.finish())
}

fn agent(
    x: &mut XmlOut,
    attrs: &[(&str, &str)],
    name: &str,
    note: Option<&str>,
) -> Result<(), ArchiveError> {
    x.start("agent", attrs)?;
    x.text_element("name", &[], name)?;
    if let Some(note) = note {
        x.text_element("note", &[], note)?;
    }
    x.end("agent")
}

fn write_header(x: &mut XmlOut, meta: &SipMetadata, created: &str) -> Result<(), ArchiveError> {
    x.start(
        "metsHdr",
        &[
            ("CREATEDATE", created),
            ("RECORDSTATUS", meta.record_status()),
            ("ext:OAISTYPE", "SIP"),
        ],
    )?;
    let code = super::mets::identification_code(meta);
    agent(
        x,
        &[("ROLE", "ARCHIVIST"), ("TYPE", "ORGANIZATION")],
        &meta.tenant_name,
        Some(&code),
    )?;
    let (software, version) = software_name_and_version(&meta.software);
    agent(
        x,
        &[
            ("ROLE", "ARCHIVIST"),
            ("TYPE", "OTHER"),
            ("OTHERTYPE", "SOFTWARE"),
        ],
        software,
        Some(version),
    )?;
    agent(
        x,
        &[("ROLE", "CREATOR"), ("TYPE", "ORGANIZATION")],
        &meta.tenant_name,
        Some(&code),
    )?;
    agent(
        x,
        &[
            ("ROLE", "OTHER"),
            ("OTHERROLE", "SUBMITTER"),
            ("TYPE", "ORGANIZATION"),
        ],
        &meta.tenant_name,
        Some(&code),
    )?;
    if let Some(contact) = &meta.agreement.contact {
        agent(
            x,
            &[("ROLE", "CREATOR"), ("TYPE", "INDIVIDUAL")],
            &contact.name,
            Some(&contact.email),
        )?;
    }
    if let Some(archive) = &meta.agreement.archive_name {
        agent(
            x,
            &[("ROLE", "PRESERVATION"), ("TYPE", "ORGANIZATION")],
            archive,
            None,
        )?;
    }
    if let Some(reference) = &meta.agreement.submission_agreement {
        x.text_element("altRecordID", &[("TYPE", "SUBMISSIONAGREEMENT")], reference)?;
    }
    x.end("metsHdr")
}

/// The ERMS and PREMIS files, referenced from dmdSec and amdSec as well as listed as files.
fn write_metadata_refs(
    x: &mut XmlOut,
    entries: &[Entry<'_>],
    created: &str,
) -> Result<(), ArchiveError> {
    let find = |name: &str| entries.iter().find(|e| e.path.ends_with(name));
    if let Some(erms) = find("/erms.xml") {
        x.start("dmdSec", &[("ID", "dmd001"), ("CREATED", created)])?;
        let href = format!("file:///{}", erms.path);
        md_ref(x, "mdRef", erms, &href, ("OTHER", Some("ERMS")), created)?;
        x.end("dmdSec")?;
    }
    if let Some(premis) = find("/premis.xml") {
        x.start("amdSec", &[("ID", "amd001")])?;
        x.start("digiprovMD", &[("ID", "digiprov001"), ("CREATED", created)])?;
        let href = format!("file:///{}", premis.path);
        md_ref(x, "mdRef", premis, &href, ("PREMIS", None), created)?;
        x.end("digiprovMD")?;
        x.end("amdSec")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eark_layout_maps_onto_content_and_system() {
        assert_eq!(
            path("representations/rep1/data/archive.pdf"),
            "Content/archive.pdf"
        );
        assert_eq!(
            path("representations/rep1/data/evidence/signature-1.json"),
            "Content/evidence/signature-1.json"
        );
        assert_eq!(
            path("metadata/descriptive/erms.xml"),
            "Content/metadata/erms.xml"
        );
        assert_eq!(
            path("metadata/preservation/premis.xml"),
            "Content/metadata/premis.xml"
        );
        assert_eq!(
            path("metadata/other/validation-report.json"),
            "Content/metadata/validation-report.json"
        );
        assert_eq!(
            path("documentation/kontrollrapport.pdf"),
            "Content/documentation/kontrollrapport.pdf"
        );
        assert_eq!(path("schemas/ERMS.xsd"), "System/ERMS.xsd");
    }
}
