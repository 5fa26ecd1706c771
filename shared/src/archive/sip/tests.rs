//! Tests of the package: built, read back, verified, and tampered with.

use std::io::{Cursor, Read, Write};

use chrono::{DateTime, TimeZone, Utc};
use quick_xml::events::Event;
use sha2::{Digest, Sha256};

use super::mets::software_name_and_version;
use super::premis::FALLBACK_EVENT;
use super::read::{open_zip, parse_mets_listing};
use super::*;
use crate::error::ErrorText;

fn created() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 3, 9, 15, 31).unwrap()
}

fn meta() -> SipMetadata {
    SipMetadata {
        package_id: "uuid-2f1c9a56-7d1e-4c55-9a53-5c1d3c0f0b11".into(),
        label: "Protokoll Barn- & utbildningsnämnden <2026-11-11>".into(),
        created: created(),
        tenant_id: "are".into(),
        tenant_name: "Åre kommun & Östersunds \"kommun\"".into(),
        organization_number: Some("212000-2411".into()),
        organ: "Barn- & utbildningsnämnden <BUN>".into(),
        meeting_date: "2026-11-11".into(),
        paragraphs: "§§ 1–6 & 8".into(),
        diarienummer: Some("BUN 2026/123".into()),
        signers: vec![
            SignatureFact {
                main: true,
                name: "Åsa Öberg".into(),
                role: "ordförande".into(),
                signed_at: Utc.with_ymd_and_hms(2026, 11, 20, 14, 2, 0).unwrap(),
                method: "Mobilt BankID".into(),
                evidence_path: Some(
                    "representations/rep1/data/evidence/bankid-åsa öberg.xml".into(),
                ),
                fallback_reason: None,
            },
            SignatureFact {
                main: false,
                name: "Per <Ängel> & 'Co'".into(),
                role: "justerare".into(),
                signed_at: Utc.with_ymd_and_hms(2026, 11, 21, 8, 30, 0).unwrap(),
                method: "Mobilt BankID".into(),
                evidence_path: None,
                fallback_reason: None,
            },
        ],
        provenance: Provenance {
            received: Utc.with_ymd_and_hms(2026, 11, 12, 10, 0, 0).unwrap(),
            seal: Some(SealFact {
                at: Utc.with_ymd_and_hms(2026, 11, 21, 8, 31, 0).unwrap(),
                level: "PAdES-B-LTA".into(),
                sealed_by: "CN=Åre kommun, O=Åre kommun".into(),
            }),
            validation: ValidationFact {
                at: created(),
                passed: true,
                summary: vec![
                    "Sigill (PAdES-B-LTA): oförändrat, giltigt, utfärdat av betrodd utfärdare"
                        .into(),
                ],
                reports: vec!["documentation/validation-report.xml".into()],
            },
            renewals: Vec::new(),
        },
        software: "e-underskrift 0.1.0".into(),
        replaces: None,
        agreement: crate::domain::ArchiveAgreement {
            archive_name: Some("Jämtlands e-arkiv".into()),
            submission_agreement: Some("LÖ 2025:3".into()),
            contact: Some(crate::domain::ArchiveContact {
                name: "Anna Arkivarie".into(),
                email: "anna.arkivarie@are.se".into(),
            }),
            retention: crate::domain::Retention::Bevaras {
                plan_reference: Some("DHP KS 2024, 1.2".into()),
            },
            ..Default::default()
        },
    }
}

fn files() -> Vec<SipFile> {
    vec![
        SipFile {
            path: "representations/rep1/data/archive.pdf".into(),
            content: SipContent::Bytes(b"%PDF-1.7\n... archive version ...\n%%EOF\n".to_vec()),
            mime: "application/pdf".into(),
            use_: FileUse::Archive,
        },
        SipFile {
            path: "representations/rep1/data/evidence/bankid-åsa öberg.xml".into(),
            content: SipContent::Bytes(b"<sig>evidence & more</sig>".to_vec()),
            mime: "application/xml".into(),
            use_: FileUse::Evidence,
        },
        SipFile {
            path: "documentation/validation-report.xml".into(),
            content: SipContent::Bytes(b"<report/>".to_vec()),
            mime: "application/xml".into(),
            use_: FileUse::ValidationReport,
        },
        SipFile {
            path: "metadata/other/notes.xml".into(),
            content: SipContent::Bytes(b"<notes/>".to_vec()),
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

/// Every entry of a zip, in order, with its bytes (to rebuild a package with changes).
fn zip_entries(zip_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = open_zip(zip_bytes).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut entry = archive.by_index(i).unwrap();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            (entry.name().to_string(), bytes)
        })
        .collect()
}

/// A zip written by hand, with the zip crate's default options.
fn zip_of(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A document given as a file is packed as it would be from memory (streamed, not read whole).
#[test]
fn a_file_is_packed_as_its_bytes_would_be() {
    let dir = tempfile::tempdir().unwrap();
    let in_memory = files();
    let mut from_files = in_memory.clone();
    for (i, file) in from_files.iter_mut().enumerate() {
        let SipContent::Bytes(bytes) = &file.content else {
            unreachable!()
        };
        let path = dir.path().join(format!("{i}"));
        std::fs::write(&path, bytes).unwrap();
        file.content = SipContent::File(path);
    }
    let mut written = Cursor::new(Vec::new());
    write_sip(&meta(), &from_files, &mut written).unwrap();
    assert_eq!(
        written.into_inner(),
        build_sip(&meta(), &in_memory).unwrap()
    );
}

#[test]
fn every_listed_checksum_matches_the_zip() {
    let zip_bytes = build_sip(&meta(), &files()).unwrap();
    let listed = read_sip_manifest(&zip_bytes).unwrap();
    let root = meta().package_id;
    // The generated descriptive and preservation metadata, description of the package, six
    // schemas, the representation's METS and PREMIS, plus the four supplied files.
    assert_eq!(listed.len(), 15);
    for included in [
        "documentation/om-arkivpaketet.txt",
        PREMIS_PATH,
        "schemas/premis.xsd",
        "schemas/ERMS.xsd",
        "schemas/mets.xsd",
        "schemas/xlink.xsd",
        "schemas/DILCISExtensionMETS.xsd",
        "schemas/DILCISExtensionSIPMETS.xsd",
    ] {
        assert!(listed.iter().any(|(p, _)| p == included), "{included}");
    }
    assert!(listed
        .iter()
        .any(|(p, _)| p == "representations/rep1/METS.xml"));
    for file in files() {
        let (_, sum) = listed
            .iter()
            .find(|(p, _)| *p == file.path)
            .unwrap_or_else(|| panic!("{} not listed", file.path));
        let SipContent::Bytes(bytes) = &file.content else {
            unreachable!("the test files are in memory")
        };
        assert_eq!(*sum, hex::encode(Sha256::digest(bytes)));
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
        "ADMID=\"digiprov-1 digiprov-2\"",
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
    // Three supplied files, the description, six schemas, the representation METS and PREMIS.
    assert_eq!(files_with_size, 12);
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
        [
            "data/archive.pdf",
            "data/evidence/bankid-åsa öberg.xml",
            "metadata/preservation/premis.xml"
        ]
    );
    // The representation's own PREMIS is valid and tells its files with their checksums.
    let rep_premis = zip_entry(
        &zip_bytes,
        &format!("{root}/representations/rep1/metadata/preservation/premis.xml"),
    );
    assert_valid_against("premis.xsd", "premis.xml", &rep_premis);
    let rep_premis = String::from_utf8(rep_premis).unwrap();
    assert!(rep_premis.contains(r#"<object xsi:type="representation">"#));
    assert!(rep_premis.contains(
        "<objectIdentifierValue>representations/rep1/data/archive.pdf</objectIdentifierValue>"
    ));
    for (path, sum) in &listed {
        let bytes = zip_entry(&zip_bytes, &format!("{root}/representations/rep1/{path}"));
        assert_eq!(*sum, hex::encode(Sha256::digest(&bytes)));
    }
    let text = String::from_utf8(rep_mets).unwrap();
    assert!(text.contains("USE=\"Data\""));
    // The root structMap points at it.
    let root_mets = String::from_utf8(zip_entry(&zip_bytes, &format!("{root}/METS.xml"))).unwrap();
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
    let no_mets = zip_of(&[("x/a.txt".into(), b"a".to_vec())]);
    assert_eq!(
        read_sip_manifest(&no_mets).unwrap_err().code(),
        "archive.mets_missing"
    );

    // Rebuild a package with one file's bytes changed but the original METS.
    let good = build_sip(&meta(), &files()).unwrap();
    let root = meta().package_id;
    let mut entries = zip_entries(&good);
    for (name, bytes) in &mut entries {
        if name.ends_with("archive.pdf") {
            bytes.push(b'!');
        }
    }
    entries.push((format!("{root}/extra.txt"), b"x".to_vec()));
    let tampered = zip_of(&entries);
    assert_eq!(
        verify_sip(&tampered).unwrap_err().code(),
        "archive.checksum_mismatch"
    );

    // A file the METS lists is gone (eark-validator does not notice; our check does).
    let without_premis: Vec<(String, Vec<u8>)> = zip_entries(&good)
        .into_iter()
        .filter(|(name, _)| !name.ends_with(PREMIS_PATH))
        .collect();
    assert!(matches!(
        verify_sip(&zip_of(&without_premis)),
        Err(ArchiveError::MissingFile(path)) if path == PREMIS_PATH
    ));

    // Malformed METS.
    let bad = zip_of(&[(
        "p/METS.xml".into(),
        b"<mets:mets><mets:file CHECKSUM=\"ab\"></mets:mets>".to_vec(),
    )]);
    assert_eq!(
        read_sip_manifest(&bad).unwrap_err().code(),
        "archive.invalid_mets"
    );
}

#[test]
fn unlisted_files_are_reported() {
    let good = build_sip(&meta(), &files()).unwrap();
    let mut entries = zip_entries(&good);
    entries.push((
        format!("{}/documentation/extra.txt", meta().package_id),
        b"x".to_vec(),
    ));
    let extra = zip_of(&entries);
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

/// `file` (a package entry) against `schema` (a file of `shared/schemas/`), by libxml2.
fn assert_valid_against(schema: &str, name: &str, file: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, file).unwrap();
    let schema = format!("{}/schemas/{schema}", env!("CARGO_MANIFEST_DIR"));
    let default = format!("{}/../scripts/xsd-validate", env!("CARGO_MANIFEST_DIR"));
    let out = esign_world::testkit::run(
        &esign_world::testkit::tool("ESIGN_XSD_VALIDATE", &default),
        &[&schema, path.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{name} is not valid against {schema}:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_preservation_metadata_is_valid_premis_and_tells_what_happened() {
    let zip_bytes = build_sip(&meta(), &files()).unwrap();
    let root = meta().package_id;
    let premis = zip_entry(&zip_bytes, &format!("{root}/{PREMIS_PATH}"));
    assert_valid_against("premis.xsd", "premis.xml", &premis);
    let text = String::from_utf8(premis).unwrap();
    // Taken in, two signatures each with its evidence checked, the seal, the check at export.
    for (event, count) in [
        ("<eventType>ingestion</eventType>", 1),
        ("<eventType>digital signature generation</eventType>", 3),
        ("<eventType>digital signature validation</eventType>", 2),
        ("<eventType>validation</eventType>", 1),
    ] {
        assert_eq!(text.matches(event).count(), count, "{event} in {text}");
    }
    assert!(text.contains("<eventOutcome>success</eventOutcome>"));
    assert!(text.contains("PAdES-B-LTA"));
    // Every supplied file is an object with its checksum, linked to what happened to it.
    for file in files() {
        assert!(
            text.contains(&format!(
                "<objectIdentifierValue>{}</objectIdentifierValue>",
                file.path.replace('&', "&amp;")
            )),
            "{} is not a PREMIS object",
            file.path
        );
    }
    assert!(text.contains("<agentName>Åsa Öberg</agentName>"));
    // It is listed in the METS as preservation metadata.
    let mets = zip_entry(&zip_bytes, &format!("{root}/METS.xml"));
    let mets = String::from_utf8(mets).unwrap();
    assert!(
        mets.contains(r#"xlink:href="metadata/preservation/premis.xml" MDTYPE="PREMIS""#),
        "{mets}"
    );
}

/// With every agent the agreement names (the contact, the preserving archive) and the
/// submission agreement, the package still passes eark-validator.
#[test]
fn a_package_with_every_agent_passes_eark_validator() {
    assert_passes_eark_validator(&build_sip(&meta(), &files()).unwrap());
    let root = meta().package_id;
    let mets = String::from_utf8(zip_entry(
        &build_sip(&meta(), &files()).unwrap(),
        &format!("{root}/METS.xml"),
    ))
    .unwrap();
    for needle in [
        r#"<mets:agent ROLE="CREATOR" TYPE="INDIVIDUAL">"#,
        "mailto:anna.arkivarie@are.se",
        r#"<mets:agent ROLE="PRESERVATION" TYPE="ORGANIZATION">"#,
        "<mets:name>Jämtlands e-arkiv</mets:name>",
        r#"<mets:altRecordID TYPE="SUBMISSIONAGREEMENT">LÖ 2025:3</mets:altRecordID>"#,
    ] {
        assert!(mets.contains(needle), "METS lacks {needle}\n{mets}");
    }
}

#[test]
fn the_descriptive_metadata_is_valid_erms_with_signatories_meeting_and_retention() {
    let zip_bytes = build_sip(&meta(), &files()).unwrap();
    let root = meta().package_id;
    let erms = zip_entry(&zip_bytes, &format!("{root}/{DESCRIPTIVE_METADATA_PATH}"));
    assert_valid_against("ERMS.xsd", "erms.xml", &erms);
    let text = String::from_utf8(erms).unwrap();
    for needle in [
        r#"<extraId extraIdType="diarienummer">BUN 2026/123</extraId>"#,
        r#"<agent agentType="main_signatory">"#,
        "<name>Åsa Öberg</name>",
        r#"<agent agentType="other_signatory">"#,
        r#"<date dateType="main_signature">2026-11-20T14:02:00Z</date>"#,
        r#"<date dateType="other_signature">2026-11-21T08:30:00Z</date>"#,
        r#"<date dateType="decision">2026-11-11T00:00:00</date>"#,
        r#"<ownElement name="paragrafer" dataType="string">"#,
        "<disposalAction>Bevaras</disposalAction>",
        "<disposalScheduleId>DHP KS 2024, 1.2</disposalScheduleId>",
        r#"<disposal disposable="false">"#,
        r#"eSignatureHasExisted="false""#,
        r#"<idNumber idNumberType="organisationsnummer">212000-2411</idNumber>"#,
    ] {
        assert!(text.contains(needle), "ERMS lacks {needle}\n{text}");
    }
    // Two signatures and the seal, each present and verified when the package was made.
    assert_eq!(
        text.matches(
            r#"<eSignature present="true" dateeSignatureIsVerified="2026-12-03T09:15:31Z"/>"#
        )
        .count(),
        4,
        "{text}"
    );
    // A plan that says gallras: disposable, with its period.
    let mut gallras = meta();
    gallras.agreement.retention = crate::domain::Retention::Gallras {
        plan_reference: None,
        period: "10 år".into(),
    };
    let erms = zip_entry(
        &build_sip(&gallras, &files()).unwrap(),
        &format!("{root}/{DESCRIPTIVE_METADATA_PATH}"),
    );
    assert_valid_against("ERMS.xsd", "erms.xml", &erms);
    let text = String::from_utf8(erms).unwrap();
    assert!(text.contains(r#"<disposal disposable="true">"#), "{text}");
    assert!(
        text.contains("<disposalPeriod>10 år</disposalPeriod>"),
        "{text}"
    );
}

/// Delivery form b (signatures removed after the check): the metadata says so and stays
/// valid, and the package still passes eark-validator.
#[test]
fn the_metadata_of_a_package_without_signatures_says_they_existed_and_stays_valid() {
    let mut meta = meta();
    meta.agreement.form = crate::domain::DeliveryForm::SignatureRemoved;
    let zip_bytes = build_sip(&meta, &files()).unwrap();
    let root = &meta.package_id;
    let erms = zip_entry(&zip_bytes, &format!("{root}/{DESCRIPTIVE_METADATA_PATH}"));
    assert_valid_against("ERMS.xsd", "erms.xml", &erms);
    let erms = String::from_utf8(erms).unwrap();
    assert!(erms.contains(r#"eSignatureHasExisted="true""#), "{erms}");
    let premis = zip_entry(&zip_bytes, &format!("{root}/{PREMIS_PATH}"));
    assert_valid_against("premis.xsd", "premis.xml", &premis);
    assert!(String::from_utf8(premis)
        .unwrap()
        .contains("event-signatures-removed"));
    assert_passes_eark_validator(&zip_bytes);
}

/// eark-validator, run offline and judged by `scripts/eark-validate` (its known defects
/// allowed, nothing else).
fn assert_passes_eark_validator(zip_bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sip.zip");
    std::fs::write(&path, zip_bytes).unwrap();
    let default = format!("{}/../scripts/eark-validate", env!("CARGO_MANIFEST_DIR"));
    let out = esign_world::testkit::run(
        &esign_world::testkit::tool("ESIGN_EARK_VALIDATE", &default),
        &[path.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The FGS Paketstruktur 1.2 profile: `sip.xml` at the root, the files under `Content/`, the
/// schemas under `System/`; every file listed with its checksum, metadata paths that match.
#[test]
fn an_fgs_1_2_package_has_sip_xml_content_and_system() {
    let mut meta = meta();
    meta.agreement.profile = crate::domain::PackageProfile::Fgs12;
    let zip_bytes = build_sip(&meta, &files()).unwrap();
    let root = &meta.package_id;
    let names: Vec<String> = open_zip(&zip_bytes)
        .unwrap()
        .file_names()
        .map(str::to_string)
        .collect();
    for expected in [
        format!("{root}/sip.xml"),
        format!("{root}/Content/archive.pdf"),
        format!("{root}/Content/metadata/erms.xml"),
        format!("{root}/Content/metadata/premis.xml"),
        format!("{root}/Content/documentation/om-arkivpaketet.txt"),
        format!("{root}/System/mets.xsd"),
        format!("{root}/System/ERMS.xsd"),
    ] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    assert!(!names
        .iter()
        .any(|n| n.contains("representations/") || n.ends_with("METS.xml")));
    // Our own integrity check reads it: every file listed with its checksum, nothing else.
    verify_sip(&zip_bytes).unwrap();
    let sip = zip_entry(&zip_bytes, &format!("{root}/sip.xml"));
    // METS 1.12 admits Riksarkivet's extension attributes (their own schemas could not be
    // obtained here; see shared/schemas/README.md).
    assert_valid_against("mets.xsd", "sip.xml", &sip);
    let sip = String::from_utf8(sip).unwrap();
    for needle in [
        r#"OBJID="UUID:2f1c9a56-7d1e-4c55-9a53-5c1d3c0f0b11""#,
        r#"PROFILE="http://xml.ra.se/e-arkiv/METS/CommonSpecificationSwedenPackageProfile.xml""#,
        r#"ext:OAISTYPE="SIP""#,
        r#"<agent ROLE="ARCHIVIST" TYPE="OTHER" OTHERTYPE="SOFTWARE">"#,
        "<note>ORG:212000-2411</note>",
        r#"xlink:href="file:///Content/archive.pdf""#,
        r#"ext:ORIGINALFILENAME="archive.pdf""#,
        r#"<altRecordID TYPE="SUBMISSIONAGREEMENT">LÖ 2025:3</altRecordID>"#,
    ] {
        assert!(sip.contains(needle), "sip.xml lacks {needle}\n{sip}");
    }
    // The metadata speaks of the files where they are in this package.
    let premis = zip_entry(&zip_bytes, &format!("{root}/Content/metadata/premis.xml"));
    assert_valid_against("premis.xsd", "premis.xml", &premis);
    let premis = String::from_utf8(premis).unwrap();
    assert!(
        premis.contains("<objectIdentifierValue>Content/archive.pdf</objectIdentifierValue>"),
        "{premis}"
    );
    assert!(!premis.contains("representations/"), "{premis}");
    let erms = zip_entry(&zip_bytes, &format!("{root}/Content/metadata/erms.xml"));
    assert_valid_against("ERMS.xsd", "erms.xml", &erms);
    assert!(String::from_utf8(erms)
        .unwrap()
        .contains(r#"path="Content/archive.pdf""#));
    // A changed file is caught in this profile too.
    let mut entries = zip_entries(&zip_bytes);
    for (name, bytes) in entries.iter_mut() {
        if name.ends_with("/Content/archive.pdf") {
            bytes.push(b'x');
        }
    }
    assert!(matches!(
        verify_sip(&zip_of(&entries)),
        Err(ArchiveError::ChecksumMismatch(_))
    ));
}

/// The continuity fallback (a signature recorded on paper when BankID could not be used) is
/// its own PREMIS event type, with its reason; it is not counted as an electronic signature.
#[test]
fn a_signature_on_paper_is_its_own_event_with_its_reason() {
    let mut meta = meta();
    meta.signers[1].fallback_reason =
        Some("BankID-tjänsten var nere under hela justeringsdagen".into());
    meta.signers[1].method = "Underskrift på papper".into();
    let zip_bytes = build_sip(&meta, &files()).unwrap();
    let root = &meta.package_id;
    let premis = zip_entry(&zip_bytes, &format!("{root}/{PREMIS_PATH}"));
    assert_valid_against("premis.xsd", "premis.xml", &premis);
    let premis = String::from_utf8(premis).unwrap();
    assert!(
        premis.contains(&format!("<eventType>{FALLBACK_EVENT}</eventType>")),
        "{premis}"
    );
    assert!(premis.contains("BankID-tjänsten var nere under hela justeringsdagen"));
    assert_eq!(
        premis
            .matches("<eventType>digital signature validation</eventType>")
            .count(),
        1,
        "only the BankID signature has evidence to check"
    );
    let erms = zip_entry(&zip_bytes, &format!("{root}/{DESCRIPTIVE_METADATA_PATH}"));
    assert_valid_against("ERMS.xsd", "erms.xml", &erms);
    // One electronic signature and the seal.
    assert_eq!(
        String::from_utf8(erms)
            .unwrap()
            .matches("<eSignature present=")
            .count(),
        3
    );
}

/// Delivered again after the archive version's proof was renewed: the METS says the package
/// replaces an earlier one, and the PREMIS tells of each renewal; both still pass the schemas
/// and eark-validator.
#[test]
fn a_package_delivered_after_renewals_replaces_the_earlier_and_tells_of_them() {
    let mut meta = self::meta();
    meta.replaces = Some("uuid-2f1c9a56-7d1e-4c55-9a53-5c1d3c0f0b11".into());
    meta.package_id = "uuid-7b0b4a8e-39c1-8f3d-a1a5-0c2d7e9f1b22".into();
    meta.provenance.renewals = vec![
        RenewalFact {
            at: Utc.with_ymd_and_hms(2029, 3, 1, 2, 0, 0).unwrap(),
            until: Utc.with_ymd_and_hms(2039, 3, 1, 2, 0, 0).unwrap(),
        },
        RenewalFact {
            at: Utc.with_ymd_and_hms(2037, 3, 1, 2, 0, 0).unwrap(),
            until: Utc.with_ymd_and_hms(2047, 3, 1, 2, 0, 0).unwrap(),
        },
    ];
    let zip_bytes = build_sip(&meta, &files()).unwrap();
    let root = &meta.package_id;
    let mets = String::from_utf8(zip_entry(&zip_bytes, &format!("{root}/METS.xml"))).unwrap();
    assert!(mets.contains(r#"RECORDSTATUS="REPLACEMENT""#), "{mets}");
    let premis = zip_entry(&zip_bytes, &format!("{root}/{PREMIS_PATH}"));
    assert_valid_against("premis.xsd", "premis.xml", &premis);
    let premis = String::from_utf8(premis).unwrap();
    for (id, until) in [
        ("event-renewal-1", "2039-03-01"),
        ("event-renewal-2", "2047-03-01"),
    ] {
        assert!(premis.contains(id), "{premis}");
        assert!(premis.contains(until), "{premis}");
    }
    assert_passes_eark_validator(&zip_bytes);
    // A first delivery says NEW.
    let first_meta = self::meta();
    let first = build_sip(&first_meta, &files()).unwrap();
    let first_root = first_meta.package_id;
    let mets = String::from_utf8(zip_entry(&first, &format!("{first_root}/METS.xml"))).unwrap();
    assert!(mets.contains(r#"RECORDSTATUS="NEW""#));
}
