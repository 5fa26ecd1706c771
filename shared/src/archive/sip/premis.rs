//! The preservation metadata (`metadata/preservation/premis.xml`, PREMIS 3.0): the package's
//! files as objects with their checksums, and what happened to the document as events: taken
//! in, each signature made with its evidence verified, the organisation's seal, and the check
//! of every signature when the package was made, with its outcome. Agents are the software,
//! the organisation and the signers (by name only: no personnummer leaves the service).
//! Event types are from the Library of Congress preservation vocabulary.

use super::error::ArchiveError;
use super::mets::Entry;
use super::xml::{timestamp, XmlOut};
use super::{FileUse, SipMetadata};
use crate::domain::DeliveryForm;

const NS_PREMIS: &str = "http://www.loc.gov/premis/v3";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const LOCAL: &str = "local";
/// The event type of a signature recorded on paper when BankID could not be used (the
/// continuity fallback); not in the LoC vocabulary, which has no such event.
pub(crate) const FALLBACK_EVENT: &str = "continuity fallback signature on paper";

struct Event<'a> {
    id: String,
    kind: &'a str,
    at: String,
    detail: String,
    outcome: &'a str,
    outcome_notes: Vec<String>,
    agents: Vec<(String, &'a str)>,
    objects: Vec<String>,
}

/// The PREMIS document for a package whose supplied files are `entries`.
pub(super) fn premis_xml(
    meta: &SipMetadata,
    entries: &[Entry<'_>],
) -> Result<Vec<u8>, ArchiveError> {
    let software = "agent-software".to_string();
    let organisation = "agent-organisation".to_string();
    let archive = entries
        .iter()
        .find(|e| e.use_ == FileUse::Archive)
        .map(|e| e.path.to_string());
    let p = &meta.provenance;
    let mut events = Vec::new();
    events.push(Event {
        id: "event-ingestion".into(),
        kind: "ingestion",
        at: timestamp(&p.received),
        detail: format!("Protokollet togs emot för justering: {}", meta.label),
        outcome: "success",
        outcome_notes: Vec::new(),
        agents: vec![
            (organisation.clone(), "submitter"),
            (software.clone(), "executing program"),
        ],
        objects: archive.iter().cloned().collect(),
    });
    for (i, s) in meta.signers.iter().enumerate() {
        let signer = format!("agent-signer-{}", i + 1);
        if let Some(reason) = &s.fallback_reason {
            // Its own event type: a signature on paper is not a digital one.
            events.push(Event {
                id: format!("event-fallback-signature-{}", i + 1),
                kind: FALLBACK_EVENT,
                at: timestamp(&s.signed_at),
                detail: format!(
                    "{} ({}) justerade protokollet på papper eftersom BankID inte kunde användas: {reason}",
                    s.name, s.role
                ),
                outcome: "success",
                outcome_notes: vec![reason.clone()],
                agents: vec![(signer.clone(), "signer")],
                objects: archive.iter().cloned().collect(),
            });
            continue;
        }
        let evidence: Vec<String> = s
            .evidence_path
            .iter()
            .map(|p| meta.package_path(p))
            .collect();
        events.push(Event {
            id: format!("event-signature-{}", i + 1),
            kind: "digital signature generation",
            at: timestamp(&s.signed_at),
            detail: format!(
                "{} ({}) justerade protokollet med {}",
                s.name, s.role, s.method
            ),
            outcome: "success",
            outcome_notes: Vec::new(),
            agents: vec![(signer.clone(), "signer")],
            objects: archive.iter().chain(&evidence).cloned().collect(),
        });
        events.push(Event {
            id: format!("event-evidence-validation-{}", i + 1),
            kind: "digital signature validation",
            at: timestamp(&s.signed_at),
            detail: format!(
                "Beviset för {}s underskrift ({}: signatur och OCSP-svar) kontrollerades när underskriften gjordes",
                s.name, s.method
            ),
            outcome: "success",
            outcome_notes: Vec::new(),
            agents: vec![(software.clone(), "validator")],
            objects: evidence,
        });
    }
    if let Some(seal) = &p.seal {
        events.push(Event {
            id: "event-seal".into(),
            kind: "digital signature generation",
            at: timestamp(&seal.at),
            detail: format!(
                "{} förseglade arkivexemplaret med sitt elektroniska sigill ({}), certifikat: {}",
                meta.tenant_name, seal.level, seal.sealed_by
            ),
            outcome: "success",
            outcome_notes: Vec::new(),
            agents: vec![
                (organisation.clone(), "signer"),
                (software.clone(), "executing program"),
            ],
            objects: archive.iter().cloned().collect(),
        });
    }
    for (i, r) in p.renewals.iter().enumerate() {
        events.push(Event {
            id: format!("event-renewal-{}", i + 1),
            kind: "digital signature generation",
            at: timestamp(&r.at),
            detail: format!(
                "Beviset för arkivexemplarets existens förnyades med en ny dokumenttidsstämpel \
                 över hela filen och aktuella spärruppgifter; beviset gäller till {} \
                 (ETSI EN 319 142-1, PAdES-B-LTA)",
                r.until.format("%Y-%m-%d")
            ),
            outcome: "success",
            outcome_notes: Vec::new(),
            agents: vec![(software.clone(), "executing program")],
            objects: archive.iter().cloned().collect(),
        });
    }
    let v = &p.validation;
    let reports: Vec<String> = v.reports.iter().map(|r| meta.package_path(r)).collect();
    events.push(Event {
        id: "event-validation".into(),
        kind: "validation",
        at: timestamp(&v.at),
        detail: format!(
            "Alla underskrifter i arkivexemplaret kontrollerades när arkivpaketet skapades; rapport: {}",
            reports.join(", ")
        ),
        outcome: if v.passed { "success" } else { "failure" },
        outcome_notes: v.summary.clone(),
        agents: vec![(software.clone(), "validator")],
        objects: archive.iter().chain(&reports).cloned().collect(),
    });
    if meta.agreement.form == DeliveryForm::SignatureRemoved {
        events.push(Event {
            id: "event-signatures-removed".into(),
            kind: "modification",
            at: timestamp(&v.at),
            detail: "Underskrifterna och sigillet togs bort efter kontrollen, enligt \
                     leveransöverenskommelsen: arkivexemplaret levereras som protokollet med \
                     sin justeringssida, och bevisen och kontrollrapporten följer med"
                .into(),
            outcome: "success",
            outcome_notes: Vec::new(),
            agents: vec![(software.clone(), "executing program")],
            objects: archive.iter().cloned().collect(),
        });
    }

    let mut x = start_premis("../../schemas/premis.xsd")?;
    for entry in entries {
        write_object(&mut x, entry, &events)?;
    }
    for event in &events {
        write_event(&mut x, event)?;
    }
    let (name, version) = super::mets::software_name_and_version(&meta.software);
    write_agent(&mut x, &software, name, "software", Some(version))?;
    write_agent(
        &mut x,
        &organisation,
        &meta.tenant_name,
        "organization",
        None,
    )?;
    for (i, s) in meta.signers.iter().enumerate() {
        write_agent(
            &mut x,
            &format!("agent-signer-{}", i + 1),
            &s.name,
            "person",
            None,
        )?;
    }
    x.end("premis")?;
    Ok(x.finish())
}

/// The representation's own preservation metadata (`representations/<rep>/metadata/
/// preservation/premis.xml`): the representation and its files with their checksums; what
/// happened to them is told once, in the package's PREMIS.
pub(super) fn representation_premis_xml(
    rep: &str,
    entries: &[&Entry<'_>],
) -> Result<Vec<u8>, ArchiveError> {
    let mut x = start_premis("../../../../schemas/premis.xsd")?;
    x.start("object", &[("xsi:type", "representation")])?;
    identifier(
        &mut x,
        "objectIdentifier",
        "objectIdentifier",
        &format!("representations/{rep}"),
    )?;
    x.end("object")?;
    for entry in entries {
        write_object(&mut x, entry, &[])?;
    }
    x.end("premis")?;
    Ok(x.finish())
}

/// A PREMIS 3 document begun, its schema at `schema` (relative to the file).
fn start_premis(schema: &str) -> Result<XmlOut, ArchiveError> {
    let mut x = XmlOut::new()?;
    x.start(
        "premis",
        &[
            ("xmlns", NS_PREMIS),
            ("xmlns:xsi", NS_XSI),
            ("xsi:schemaLocation", &format!("{NS_PREMIS} {schema}")),
            ("version", "3.0"),
        ],
    )?;
    Ok(x)
}

fn identifier(x: &mut XmlOut, element: &str, kind: &str, value: &str) -> Result<(), ArchiveError> {
    x.start(element, &[])?;
    x.text_element(&format!("{kind}Type"), &[], LOCAL)?;
    x.text_element(&format!("{kind}Value"), &[], value)?;
    x.end(element)
}

fn write_object(
    x: &mut XmlOut,
    entry: &Entry<'_>,
    events: &[Event<'_>],
) -> Result<(), ArchiveError> {
    x.start("object", &[("xsi:type", "file")])?;
    identifier(x, "objectIdentifier", "objectIdentifier", entry.path)?;
    x.start("objectCharacteristics", &[])?;
    x.start("fixity", &[])?;
    x.text_element("messageDigestAlgorithm", &[], "SHA-256")?;
    x.text_element("messageDigest", &[], &entry.sha256)?;
    x.end("fixity")?;
    x.text_element("size", &[], &entry.size.to_string())?;
    x.start("format", &[])?;
    x.start("formatDesignation", &[])?;
    x.text_element("formatName", &[], entry.mime)?;
    x.end("formatDesignation")?;
    x.end("format")?;
    x.end("objectCharacteristics")?;
    x.text_element(
        "originalName",
        &[],
        entry.path.rsplit('/').next().unwrap_or(entry.path),
    )?;
    for event in events
        .iter()
        .filter(|e| e.objects.iter().any(|o| o == entry.path))
    {
        identifier(
            x,
            "linkingEventIdentifier",
            "linkingEventIdentifier",
            &event.id,
        )?;
    }
    x.end("object")
}

fn write_event(x: &mut XmlOut, e: &Event<'_>) -> Result<(), ArchiveError> {
    x.start("event", &[])?;
    identifier(x, "eventIdentifier", "eventIdentifier", &e.id)?;
    x.text_element("eventType", &[], e.kind)?;
    x.text_element("eventDateTime", &[], &e.at)?;
    x.start("eventDetailInformation", &[])?;
    x.text_element("eventDetail", &[], &e.detail)?;
    x.end("eventDetailInformation")?;
    x.start("eventOutcomeInformation", &[])?;
    x.text_element("eventOutcome", &[], e.outcome)?;
    for note in &e.outcome_notes {
        x.start("eventOutcomeDetail", &[])?;
        x.text_element("eventOutcomeDetailNote", &[], note)?;
        x.end("eventOutcomeDetail")?;
    }
    x.end("eventOutcomeInformation")?;
    for (agent, role) in &e.agents {
        x.start("linkingAgentIdentifier", &[])?;
        x.text_element("linkingAgentIdentifierType", &[], LOCAL)?;
        x.text_element("linkingAgentIdentifierValue", &[], agent)?;
        x.text_element("linkingAgentRole", &[], role)?;
        x.end("linkingAgentIdentifier")?;
    }
    for object in &e.objects {
        identifier(
            x,
            "linkingObjectIdentifier",
            "linkingObjectIdentifier",
            object,
        )?;
    }
    x.end("event")
}

fn write_agent(
    x: &mut XmlOut,
    id: &str,
    name: &str,
    kind: &str,
    version: Option<&str>,
) -> Result<(), ArchiveError> {
    x.start("agent", &[])?;
    identifier(x, "agentIdentifier", "agentIdentifier", id)?;
    x.text_element("agentName", &[], name)?;
    x.text_element("agentType", &[], kind)?;
    if let Some(version) = version {
        x.text_element("agentVersion", &[], version)?;
    }
    x.end("agent")
}
