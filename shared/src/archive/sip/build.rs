//! Building the package: checks the supplied files, generates the metadata and METS files and
//! zips everything under one root folder, deterministically.

use std::collections::HashSet;
use std::io::{Cursor, Write};

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::descriptive::descriptive_metadata_xml;
use super::error::{write_err, ArchiveError};
use super::mets::{mets_xml, representation_mets_xml, Entry};
use super::paths::{classify_path, valid_media_type, valid_package_id, Section};
use super::xml::sanitize_xml_text;
use super::{FileUse, SipFile, SipMetadata, DESCRIPTIVE_METADATA_PATH, METS_FILE_NAME};

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
