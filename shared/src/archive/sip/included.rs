//! What every package carries besides the supplied files: the XML schemas its metadata uses
//! (CSIPSTR15, CSIP113) and a description of the package for the archivist who opens it in
//! decades (CSIPSTR16, CSIP60), in plain Swedish text (UTF-8 text is a lasting format).

use super::xml::timestamp;
use super::SipMetadata;

/// The schemas, as published (see `shared/schemas/README.md`), with their package paths.
pub(super) const SCHEMAS: [(&str, &[u8]); 6] = [
    (
        "schemas/mets.xsd",
        include_bytes!("../../../schemas/mets.xsd"),
    ),
    (
        "schemas/xlink.xsd",
        include_bytes!("../../../schemas/xlink.xsd"),
    ),
    (
        "schemas/DILCISExtensionMETS.xsd",
        include_bytes!("../../../schemas/DILCISExtensionMETS.xsd"),
    ),
    (
        "schemas/DILCISExtensionSIPMETS.xsd",
        include_bytes!("../../../schemas/DILCISExtensionSIPMETS.xsd"),
    ),
    (
        "schemas/ERMS.xsd",
        include_bytes!("../../../schemas/ERMS.xsd"),
    ),
    (
        "schemas/premis.xsd",
        include_bytes!("../../../schemas/premis.xsd"),
    ),
];

pub(super) const ABOUT_PATH: &str = "documentation/om-arkivpaketet.txt";

/// "Om arkivpaketet": what the package holds and how its signatures can be checked.
pub(super) fn about_package(meta: &SipMetadata) -> Vec<u8> {
    let mut signers = String::new();
    for s in &meta.signers {
        signers.push_str(&format!(
            "  - {}, {}, {} ({})\n",
            s.name,
            s.role,
            timestamp(&s.signed_at),
            s.method
        ));
    }
    let diarienummer = meta
        .diarienummer
        .as_deref()
        .map(|d| format!("Diarienummer: {d}\n"))
        .unwrap_or_default();
    format!(
        "Om arkivpaketet {id}\n\
         \n\
         Protokoll: {label}\n\
         Organ: {organ}\n\
         Sammanträdesdatum: {meeting}\n\
         Paragrafer: {paragraphs}\n\
         {diarienummer}\
         Arkivbildare: {creator}\n\
         Paketet skapades: {created} (UTC) av {software}\n\
         \n\
         Protokollet justerades med e-underskrift av:\n\
         {signers}\
         \n\
         Innehåll\n\
         - representations/rep1/data/archive.pdf: arkivexemplaret. Det ursprungliga protokollet \
         finns oförändrat, byte för byte, i början av filen. Därefter följer en sida med \
         justeringen, underskrifternas bevis som bifogade filer och organisationens elektroniska \
         sigill (PAdES) med tidsstämplar och spärrinformation, så att underskrifterna kan \
         kontrolleras utan att fråga någon.\n\
         - representations/rep1/data/evidence/: beviset för varje underskrift med Mobilt BankID \
         (BankID:s signatur och OCSP-svar), som JSON.\n\
         - metadata/: beskrivande metadata (CITS ERMS: protokollet, sammanträdet, \
         justerarna, underskrifterna och bevarandet enligt dokumenthanteringsplanen), bevarandemetadata (PREMIS: vad som hänt med \
         handlingen, vem som skrev under och när, och kontrollen av underskrifterna) och \
         kontrollrapporten som gjordes när paketet skapades.\n\
         - documentation/: denna beskrivning och kontrollrapporten i läsbar form (PDF/A).\n\
         - schemas/: de XML-scheman som paketets XML-filer följer.\n\
         - METS.xml: förteckning över alla filer med storlek och kontrollsumma (SHA-256).\n\
         \n\
         Kontroll\n\
         Kontrollsummorna i METS.xml visar att ingen fil har ändrats. Sigillet och tidsstämplarna \
         i archive.pdf kan kontrolleras med valfritt verktyg för PAdES-signaturer, till exempel \
         Adobe Acrobat Reader, pyHanko eller EU-kommissionens DSS.\n",
        id = meta.package_id,
        label = meta.label,
        organ = meta.organ,
        meeting = meta.meeting_date,
        paragraphs = meta.paragraphs,
        creator = meta.tenant_name,
        created = timestamp(&meta.created),
        software = meta.software,
    )
    .into_bytes()
}
