//! The descriptive metadata in CITS ERMS 2.1 (FGS Ärendehantering 2.0),
//! `metadata/descriptive/erms.xml`: the protocol as one record, with its diarienummer, its
//! meeting (organ, date, paragraphs), its signatories (the chair as the main signatory) and
//! their signing dates, its electronic signatures and when they were verified, and its
//! retention from the tenant's records-management plan. Valid against `schemas/ERMS.xsd`.

use chrono::{DateTime, NaiveTime, Utc};

use super::error::ArchiveError;
use super::xml::{timestamp, XmlOut};
use super::{SipMetadata, ARCHIVE_PATH};
use crate::domain::{DeliveryForm, Retention};

const NS_ERMS: &str = "https://DILCIS.eu/XML/ERMS";
const NS_XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// The ERMS document of the package.
pub fn erms_xml(meta: &SipMetadata) -> Result<Vec<u8>, ArchiveError> {
    let mut x = XmlOut::new()?;
    x.start(
        "erms",
        &[
            ("xmlns", NS_ERMS),
            ("xmlns:xsi", NS_XSI),
            (
                "xsi:schemaLocation",
                "https://DILCIS.eu/XML/ERMS ../../schemas/ERMS.xsd",
            ),
        ],
    )?;
    write_control(&mut x, meta)?;
    x.start("records", &[])?;
    write_record(&mut x, meta)?;
    x.end("records")?;
    x.end("erms")?;
    Ok(x.finish())
}

fn write_control(x: &mut XmlOut, meta: &SipMetadata) -> Result<(), ArchiveError> {
    let created = timestamp(&meta.created);
    x.start("control", &[])?;
    x.text_element(
        "identification",
        &[("identificationType", "package")],
        &meta.package_id,
    )?;
    x.start("maintenanceInformation", &[])?;
    x.empty("maintenanceStatus", &[("value", "new")])?;
    x.start("maintenanceAgency", &[])?;
    x.text_element("agencyName", &[], &meta.tenant_name)?;
    x.end("maintenanceAgency")?;
    x.start("maintenanceHistory", &[])?;
    x.start("maintenanceEvent", &[])?;
    x.empty("eventType", &[("value", "created")])?;
    x.text_element("eventDateTime", &[], &created)?;
    x.start("agent", &[("agentType", "creator")])?;
    x.text_element("name", &[], &meta.software)?;
    x.end("agent")?;
    x.end("maintenanceEvent")?;
    x.end("maintenanceHistory")?;
    x.end("maintenanceInformation")?;
    x.end("control")
}

fn write_record(x: &mut XmlOut, meta: &SipMetadata) -> Result<(), ArchiveError> {
    x.start(
        "record",
        &[
            ("systemIdentifier", &meta.package_id),
            ("recordType", "protokoll"),
        ],
    )?;
    x.text_element("objectId", &[], &meta.package_id)?;
    if let Some(dnr) = &meta.diarienummer {
        x.text_element("extraId", &[("extraIdType", "diarienummer")], dnr)?;
    }
    x.text_element("title", &[], &meta.label)?;
    x.empty("status", &[("value", "closed")])?;
    write_disposal(x, meta)?;
    x.start("agents", &[])?;
    x.start("agent", &[("agentType", "creator")])?;
    x.text_element("name", &[], &meta.tenant_name)?;
    x.text_element("organisation", &[], &meta.tenant_name)?;
    if let Some(org) = &meta.organization_number {
        x.text_element("idNumber", &[("idNumberType", "organisationsnummer")], org)?;
    }
    x.end("agent")?;
    for s in &meta.signers {
        let kind = if s.main {
            "main_signatory"
        } else {
            "other_signatory"
        };
        x.start("agent", &[("agentType", kind)])?;
        x.text_element("name", &[], &s.name)?;
        x.text_element("role", &[], &s.role)?;
        x.end("agent")?;
    }
    x.end("agents")?;
    x.text_element(
        "description",
        &[],
        &format!(
            "Protokoll från {}s sammanträde {}, {}, justerat med {}.",
            meta.organ,
            meta.meeting_date,
            meta.paragraphs,
            meta.signers
                .first()
                .map(|s| s.method.as_str())
                .unwrap_or("elektronisk underskrift")
        ),
    )?;
    x.start("dates", &[])?;
    if let Some(meeting) = meeting_start(&meta.meeting_date) {
        x.text_element("date", &[("dateType", "decision")], &meeting)?;
    }
    for s in &meta.signers {
        let kind = if s.main {
            "main_signature"
        } else {
            "other_signature"
        };
        x.text_element("date", &[("dateType", kind)], &timestamp(&s.signed_at))?;
    }
    x.text_element(
        "date",
        &[("dateType", "archived")],
        &timestamp(&meta.created),
    )?;
    x.end("dates")?;
    // The signatures as they are delivered: kept (form a), or removed after they were checked
    // (form b: present="false", and the document says a signature existed).
    let present = meta.agreement.form == DeliveryForm::Signed;
    let verified = timestamp(&meta.provenance.validation.at);
    x.start("eSignatures", &[])?;
    // One per electronic signature (a signature on paper is not one) and one for the seal.
    let electronic = meta
        .signers
        .iter()
        .filter(|s| s.fallback_reason.is_none())
        .count();
    for _ in 0..electronic + usize::from(meta.provenance.seal.is_some()) {
        x.empty(
            "eSignature",
            &[
                ("present", bool_text(present)),
                ("dateeSignatureIsVerified", &verified),
            ],
        )?;
    }
    x.end("eSignatures")?;
    x.start("additionalInformation", &[])?;
    let archive_path = meta.package_path(ARCHIVE_PATH);
    x.start(
        "appendix",
        &[
            ("name", ARCHIVE_PATH.rsplit('/').next().unwrap_or(ARCHIVE_PATH)),
            ("path", &archive_path),
            ("description", if present { "Arkivexemplar med underskrifternas bevis och organisationens elektroniska sigill" } else { "Arkivexemplar; underskrifterna och sigillet togs bort efter kontroll, bevisen och kontrollrapporten följer med" }),
            ("fileFormat", "PDF/A"),
            ("eSignatureHasExisted", bool_text(!present)),
        ],
    )?;
    x.empty(
        "eSignature",
        &[
            ("present", bool_text(present)),
            ("dateeSignatureIsVerified", &verified),
        ],
    )?;
    x.end("appendix")?;
    x.start("ownElement", &[])?;
    x.text_element("ownElementDescription", &[], "Sammanträdet")?;
    for (name, data_type, value) in [
        ("organ", "string", meta.organ.as_str()),
        ("sammantradesdatum", "date", meta.meeting_date.as_str()),
        ("paragrafer", "string", meta.paragraphs.as_str()),
    ] {
        x.start("ownElement", &[("name", name), ("dataType", data_type)])?;
        x.text_element("value", &[], value)?;
        x.end("ownElement")?;
    }
    x.end("ownElement")?;
    x.end("additionalInformation")?;
    x.end("record")
}

/// The retention the tenant's records-management plan gives protocols.
fn write_disposal(x: &mut XmlOut, meta: &SipMetadata) -> Result<(), ArchiveError> {
    let retention = &meta.agreement.retention;
    let disposable = matches!(retention, Retention::Gallras { .. });
    x.start("disposal", &[("disposable", bool_text(disposable))])?;
    if let Some(plan) = retention.plan_reference() {
        x.text_element("disposalScheduleId", &[], plan)?;
    }
    x.text_element("disposalAction", &[], retention.action_sv())?;
    if let Retention::Gallras { period, .. } = retention {
        x.text_element("disposalPeriod", &[], period)?;
    }
    x.start("dates", &[])?;
    let start = meta
        .signers
        .iter()
        .map(|s| s.signed_at)
        .max()
        .unwrap_or(meta.created);
    x.text_element(
        "disposalDate",
        &[("dateType", "retention_period_start")],
        &timestamp(&start),
    )?;
    x.end("dates")?;
    x.end("disposal")
}

/// The meeting day as an ERMS dateTime (ERMS dates carry a time; the day starts it).
fn meeting_start(day: &str) -> Option<String> {
    let date = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let start: DateTime<Utc> = date.and_time(NaiveTime::MIN).and_utc();
    Some(start.format("%Y-%m-%dT%H:%M:%S").to_string())
}

fn bool_text(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}
