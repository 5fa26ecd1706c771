//! Building the package: checks the supplied files, generates the metadata and METS files and
//! zips everything under one root folder, deterministically.

use std::collections::HashSet;
use std::io::{Cursor, Seek, Write};
use std::path::Path;

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::erms::erms_xml;
use super::error::{write_err, ArchiveError};
use super::fgs12;
use super::included::{about_package, ABOUT_PATH, SCHEMAS};
use super::mets::{mets_xml, representation_mets_xml, Content, Entry};
use super::paths::{classify_path, valid_media_type, valid_package_id, Section};
use super::premis::{premis_xml, representation_premis_xml};
use super::xml::sanitize_xml_text;
use super::{
    FileUse, SipContent, SipFile, SipMetadata, DESCRIPTIVE_METADATA_PATH, METS_FILE_NAME,
    PREMIS_PATH,
};
use crate::domain::PackageProfile;

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

/// Builds the package as zip bytes in memory (small packages and tests; see [`write_sip`]).
pub fn build_sip(meta: &SipMetadata, files: &[SipFile]) -> Result<Vec<u8>, ArchiveError> {
    Ok(write_sip(meta, files, Cursor::new(Vec::new()))?.into_inner())
}

/// Size and SHA-256 (lower-case hex) of a file, read in chunks.
pub fn measure_file(path: &Path) -> std::io::Result<(u64, String)> {
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    let size = std::io::copy(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok((size, hex::encode(sha2::Digest::finalize(hasher))))
}

/// Writes the package as a zip to `out`. Output depends only on the inputs (fixed
/// timestamps, fixed permissions, files in input order after the generated ones). Files given
/// as paths are streamed: memory does not grow with their size. Gives `out` back, for the
/// caller to flush and sync.
pub fn write_sip<W: Write + Seek>(
    meta: &SipMetadata,
    files: &[SipFile],
    out: W,
) -> Result<W, ArchiveError> {
    if !valid_package_id(&meta.package_id) {
        return Err(ArchiveError::InvalidPackageId);
    }
    let descriptive = erms_xml(meta)?;
    let about = about_package(meta);
    let mut entries = vec![
        Entry::of_bytes(
            DESCRIPTIVE_METADATA_PATH,
            &descriptive,
            "application/xml",
            FileUse::Metadata,
            Section::DescriptiveMetadata,
        ),
        Entry::of_bytes(
            ABOUT_PATH,
            &about,
            "text/plain; charset=utf-8",
            FileUse::Documentation,
            Section::Documentation,
        ),
    ];
    for (path, schema) in SCHEMAS {
        entries.push(Entry::of_bytes(
            path,
            schema,
            "application/xml",
            FileUse::Schema,
            Section::Schemas,
        ));
    }
    let mut seen: HashSet<&str> = entries.iter().map(|e| e.path).collect();
    seen.insert(METS_FILE_NAME);
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
        entries.push(match &file.content {
            SipContent::Bytes(bytes) => {
                Entry::of_bytes(&file.path, bytes, &file.mime, file.use_, section)
            }
            SipContent::File(path) => {
                let (size, sha256) = measure_file(path).map_err(write_err)?;
                Entry {
                    path: &file.path,
                    content: Content::File(path),
                    size,
                    sha256,
                    mime: &file.mime,
                    use_: file.use_,
                    section,
                }
            }
        });
    }
    // The preservation metadata tells of the supplied files (the archive version, the
    // evidence, the report), with the checksums just measured.
    let supplied: Vec<Entry<'_>> = entries
        .iter()
        .filter(|e| files.iter().any(|f| f.path == e.path))
        .cloned()
        .collect();
    // ... under the paths they have in this package's profile.
    let supplied_paths: Vec<String> = supplied.iter().map(|e| meta.package_path(e.path)).collect();
    let supplied: Vec<Entry<'_>> = supplied
        .iter()
        .zip(&supplied_paths)
        .map(|(e, path)| Entry { path, ..e.clone() })
        .collect();
    let premis = premis_xml(meta, &supplied)?;
    if !seen.insert(PREMIS_PATH) {
        return Err(ArchiveError::DuplicatePath(PREMIS_PATH.into()));
    }
    entries.push(Entry::of_bytes(
        PREMIS_PATH,
        &premis,
        "application/xml",
        FileUse::Metadata,
        Section::PreservationMetadata,
    ));
    if meta.agreement.profile == PackageProfile::Fgs12 {
        let paths: Vec<String> = entries.iter().map(|e| meta.package_path(e.path)).collect();
        let entries: Vec<Entry<'_>> = entries
            .iter()
            .zip(&paths)
            .map(|(e, path)| Entry { path, ..e.clone() })
            .collect();
        let sip = fgs12::sip_xml(meta, &entries)?;
        return zip_package(meta, out, fgs12::FGS12_METS_FILE_NAME, &sip, &entries);
    }
    // Each representation's own preservation metadata (CSIPSTR13: its metadata folder).
    let mut rep_names: Vec<String> = entries
        .iter()
        .filter_map(|e| match &e.section {
            Section::Representation(rep) => Some(rep.clone()),
            _ => None,
        })
        .collect();
    rep_names.sort();
    rep_names.dedup();
    let rep_premis: Vec<(String, Vec<u8>)> = rep_names
        .iter()
        .map(|rep| {
            let in_rep: Vec<&Entry<'_>> = entries
                .iter()
                .filter(|e| e.section == Section::Representation(rep.clone()))
                .collect();
            Ok((
                format!("representations/{rep}/metadata/preservation/premis.xml"),
                representation_premis_xml(rep, &in_rep)?,
            ))
        })
        .collect::<Result<_, ArchiveError>>()?;
    for ((path, bytes), rep) in rep_premis.iter().zip(&rep_names) {
        if !seen.insert(path.as_str()) {
            return Err(ArchiveError::DuplicatePath(sanitize_xml_text(path)));
        }
        entries.push(Entry::of_bytes(
            path,
            bytes,
            "application/xml",
            FileUse::Metadata,
            Section::Representation(rep.clone()),
        ));
    }
    // Representation METS files, one per representation folder, listed first in their group.
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
        .map(|(rep, path, bytes)| {
            Entry::of_bytes(
                path,
                bytes,
                "application/xml",
                FileUse::Metadata,
                Section::Representation(rep.clone()),
            )
        })
        .collect();
    all_entries.extend(entries);
    let entries = all_entries;
    let mets = mets_xml(meta, &entries)?;

    zip_package(meta, out, METS_FILE_NAME, &mets, &entries)
}

/// The zip: one root folder named after the package, its METS file first, then `entries`.
fn zip_package<W: Write + Seek>(
    meta: &SipMetadata,
    out: W,
    mets_name: &str,
    mets: &[u8],
    entries: &[Entry<'_>],
) -> Result<W, ArchiveError> {
    let timestamp = zip_timestamp(&meta.created);
    let mut zip = zip::ZipWriter::new(out);
    let root = &meta.package_id;
    let mut add = |name: String, content: Content<'_>, size: u64, mime: &str| {
        // PDFs and zips are compressed already: stored, they cost no second compression pass.
        let method = if matches!(mime, "application/pdf" | "application/zip") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(timestamp)
            .unix_permissions(0o644)
            .large_file(size >= u64::from(u32::MAX));
        zip.start_file(name, options).map_err(write_err)?;
        match content {
            Content::Bytes(bytes) => zip.write_all(bytes).map_err(write_err),
            Content::File(path) => {
                let mut file = std::fs::File::open(path).map_err(write_err)?;
                let copied = std::io::copy(&mut file, &mut zip).map_err(write_err)?;
                if copied == size {
                    Ok(())
                } else {
                    Err(write_err(format!(
                        "{} changed while packed",
                        path.display()
                    )))
                }
            }
        }
    };
    add(
        format!("{root}/{mets_name}"),
        Content::Bytes(mets),
        mets.len() as u64,
        "application/xml",
    )?;
    for entry in entries {
        add(
            format!("{root}/{}", entry.path),
            entry.content,
            entry.size,
            entry.mime,
        )?;
    }
    zip.finish().map_err(write_err)
}
