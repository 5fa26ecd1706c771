//! The protocol's descriptive metadata (`metadata/descriptive/esign-metadata.xml`): the
//! meeting, the archival creator and the signers, in our own small namespace.

use super::error::ArchiveError;
use super::xml::{timestamp, XmlOut};
use super::SipMetadata;

const DESCRIPTIVE_NAMESPACE: &str = "urn:x-esign:protocol-metadata:1";

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
    for s in &meta.signers {
        x.start("signer", &[])?;
        x.text_element("name", &[], &s.name)?;
        x.text_element("role", &[], &s.role)?;
        x.text_element("signedAt", &[], &timestamp(&s.signed_at))?;
        x.end("signer")?;
    }
    x.end("signers")?;
    x.text_element("software", &[], &meta.software)?;
    x.end("protocolMetadata")?;
    Ok(x.finish())
}
