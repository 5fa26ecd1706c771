//! What every package carries besides the supplied files: the XML schemas its metadata uses
//! (CSIPSTR15, CSIP113) and a description of the package for the archivist who opens it in
//! decades (CSIPSTR16, CSIP60), in plain Swedish text (UTF-8 text is a lasting format).

use super::xml::timestamp;
use super::SipMetadata;
use crate::domain::DeliveryForm;

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
    let path = |eark: &str| meta.package_path(eark);
    let (archive_text, check_text) = match meta.agreement.form {
        DeliveryForm::Signed => (
            "arkivexemplaret. Det ursprungliga protokollet finns oförändrat, byte för byte, i \
             början av filen. Därefter följer en sida med justeringen, underskrifternas bevis \
             som bifogade filer och organisationens elektroniska sigill (PAdES) med tidsstämplar \
             och spärrinformation, så att underskrifterna kan kontrolleras utan att fråga någon.",
            "Sigillet och tidsstämplarna i arkivexemplaret kan kontrolleras med valfritt verktyg \
             för PAdES-signaturer, till exempel Adobe Acrobat Reader, pyHanko eller \
             EU-kommissionens DSS.",
        ),
        DeliveryForm::SignatureRemoved => (
            "arkivexemplaret utan elektroniska underskrifter, enligt leveransöverenskommelsen. \
             Det ursprungliga protokollet finns oförändrat, byte för byte, i början av filen, \
             följt av en sida med justeringen. Underskrifterna och sigillet kontrollerades innan \
             de togs bort.",
            "Att underskrifterna höll när de togs bort visar kontrollrapporten och \
             bevarandemetadatan.",
        ),
    };
    let mets_name = match meta.agreement.profile {
        crate::domain::PackageProfile::EarkSip21 => super::METS_FILE_NAME,
        crate::domain::PackageProfile::Fgs12 => super::fgs12::FGS12_METS_FILE_NAME,
    };
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
         - {archive}: {archive_text}\n\
         - {evidence}: beviset för varje underskrift med Mobilt BankID (BankID:s signatur och \
         OCSP-svar), som JSON.\n\
         - {erms}: beskrivande metadata (CITS ERMS: protokollet, sammanträdet, justerarna, \
         underskrifterna och bevarandet enligt dokumenthanteringsplanen).\n\
         - {premis}: bevarandemetadata (PREMIS: vad som hänt med handlingen, vem som skrev under \
         och när, och kontrollen av underskrifterna).\n\
         - {about}: denna beskrivning; bredvid den kontrollrapporten i läsbar form (PDF/A).\n\
         - {schemas}: de XML-scheman som paketets XML-filer följer.\n\
         - {mets_name}: förteckning över alla filer med storlek och kontrollsumma (SHA-256).\n\
         \n\
         Kontroll\n\
         Kontrollsummorna i {mets_name} visar att ingen fil har ändrats. {check_text}\n",
        id = meta.package_id,
        label = meta.label,
        organ = meta.organ,
        meeting = meta.meeting_date,
        paragraphs = meta.paragraphs,
        creator = meta.tenant_name,
        created = timestamp(&meta.created),
        software = meta.software,
        archive = path(super::ARCHIVE_PATH),
        evidence = path("representations/rep1/data/evidence/"),
        erms = path(super::DESCRIPTIVE_METADATA_PATH),
        premis = path(super::PREMIS_PATH),
        about = path(ABOUT_PATH),
        schemas = path("schemas/"),
    )
    .into_bytes()
}
