//! Reading a package back: the files its METS documents list, and the check that the zip holds
//! exactly those files with the listed checksums.

use std::collections::HashSet;
use std::io::{Cursor, Read, Seek};

use quick_xml::events::Event;
use sha2::{Digest, Sha256};

use super::error::ArchiveError;
use super::fgs12::FGS12_METS_FILE_NAME;
use super::METS_FILE_NAME;

/// Upper bound when reading a METS file back (a protocol package lists a handful of files).
const MAX_METS_BYTES: u64 = 32 * 1024 * 1024;

/// The root folder, the zip name of its METS file (E-ARK `METS.xml`, or FGS 1.2 `sip.xml`)
/// and its bytes.
fn open_root_mets<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
) -> Result<(String, String, Vec<u8>), ArchiveError> {
    let candidates: Vec<String> = archive
        .file_names()
        .filter(|name| {
            name.split('/').count() == 2
                && (name.ends_with(&format!("/{METS_FILE_NAME}"))
                    || name.ends_with(&format!("/{FGS12_METS_FILE_NAME}")))
        })
        .map(str::to_string)
        .collect();
    let [mets_name] = candidates.as_slice() else {
        return Err(ArchiveError::MetsMissing);
    };
    let root = mets_name.split('/').next().unwrap_or_default().to_string();
    let bytes = read_entry_limited(archive, mets_name)?;
    Ok((root, mets_name.clone(), bytes))
}

/// Reads a METS entry, refusing more than `MAX_METS_BYTES` (zip bombs).
fn read_entry_limited<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
) -> Result<Vec<u8>, ArchiveError> {
    let entry = archive
        .by_name(name)
        .map_err(|_| ArchiveError::MissingFile(name.to_string()))?;
    let mut bytes = Vec::new();
    entry
        .take(MAX_METS_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ArchiveError::Zip(e.to_string()))?;
    if bytes.len() as u64 > MAX_METS_BYTES {
        return Err(ArchiveError::InvalidMets("METS.xml is too large".into()));
    }
    Ok(bytes)
}

/// Files listed in a METS document: `file/FLocat` and `mdRef`, with their checksums.
pub(super) fn parse_mets_listing(mets: &[u8]) -> Result<Vec<(String, String)>, ArchiveError> {
    let invalid = |e: &dyn std::fmt::Display| ArchiveError::InvalidMets(e.to_string());
    let mut reader = quick_xml::Reader::from_reader(mets);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut listed = Vec::new();
    let mut file_checksum: Option<String> = None;
    let mut depth = 0usize;
    let mut seen_root = false;
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| invalid(&e))?;
        let (element, is_start) = match &event {
            Event::Start(e) => (Some(e.clone()), true),
            Event::Empty(e) => (Some(e.clone()), false),
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                if e.local_name().as_ref() == b"file" {
                    file_checksum = None;
                }
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        if let Some(e) = element {
            if depth == 0 {
                if seen_root || e.local_name().as_ref() != b"mets" {
                    return Err(ArchiveError::InvalidMets("root element is not mets".into()));
                }
                seen_root = true;
            }
            if is_start {
                depth += 1;
            }
            let mut href = None;
            let mut checksum = None;
            for attr in e.attributes() {
                let attr = attr.map_err(|err| invalid(&err))?;
                let value = attr
                    .unescape_value()
                    .map_err(|err| invalid(&err))?
                    .into_owned();
                match attr.key.local_name().as_ref() {
                    // FGS 1.2 writes file URLs from the package root.
                    b"href" => {
                        href = Some(
                            value
                                .strip_prefix("file:///")
                                .map(str::to_string)
                                .unwrap_or(value),
                        )
                    }
                    b"CHECKSUM" => checksum = Some(value),
                    _ => {}
                }
            }
            match e.local_name().as_ref() {
                b"file" => file_checksum = checksum,
                b"FLocat" => {
                    let href = href
                        .ok_or_else(|| ArchiveError::InvalidMets("FLocat without href".into()))?;
                    let sum = file_checksum.clone().ok_or_else(|| {
                        ArchiveError::InvalidMets(format!("file without CHECKSUM: {href}"))
                    })?;
                    listed.push((href, sum));
                }
                b"mdRef" => {
                    let href =
                        href.ok_or_else(|| ArchiveError::InvalidMets("mdRef without href".into()))?;
                    let sum = checksum.ok_or_else(|| {
                        ArchiveError::InvalidMets(format!("mdRef without CHECKSUM: {href}"))
                    })?;
                    listed.push((href, sum));
                }
                _ => {}
            }
        }
        buf.clear();
    }
    if !seen_root || depth != 0 {
        return Err(ArchiveError::InvalidMets("document is incomplete".into()));
    }
    Ok(listed)
}

pub(super) fn open_zip(zip_bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>, ArchiveError> {
    zip::ZipArchive::new(Cursor::new(zip_bytes)).map_err(|e| ArchiveError::Zip(e.to_string()))
}

/// Parses the root METS.xml of a package and returns the files it lists (paths relative to
/// the package root) with their SHA-256 checksums in hex.
pub fn read_sip_manifest(zip_bytes: &[u8]) -> Result<Vec<(String, String)>, ArchiveError> {
    let mut archive = open_zip(zip_bytes)?;
    let (_root, _name, mets) = open_root_mets(&mut archive)?;
    parse_mets_listing(&mets)
}

/// Checks that the zip entry `name` is there with the SHA-256 `expected` (hex); the errors
/// name the file by its package path `path`.
fn check_entry<R: Read + Seek>(
    archive: &mut zip::ZipArchive<R>,
    name: &str,
    path: &str,
    expected: &str,
) -> Result<(), ArchiveError> {
    let mut entry = archive
        .by_name(name)
        .map_err(|_| ArchiveError::MissingFile(path.to_string()))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut entry, &mut hasher).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    if !hex::encode(hasher.finalize()).eq_ignore_ascii_case(expected) {
        return Err(ArchiveError::ChecksumMismatch(path.to_string()));
    }
    Ok(())
}

/// Checks a package: every file METS lists is present with the listed SHA-256, and every file
/// in the package other than METS.xml is listed.
pub fn verify_sip(zip_bytes: &[u8]) -> Result<(), ArchiveError> {
    verify_sip_in(open_zip(zip_bytes)?)
}

/// [`verify_sip`] on a package file, read entry by entry (memory does not grow with it).
pub fn verify_sip_file(path: &std::path::Path) -> Result<(), ArchiveError> {
    let file = std::fs::File::open(path).map_err(|e| ArchiveError::Zip(e.to_string()))?;
    let archive = zip::ZipArchive::new(std::io::BufReader::new(file))
        .map_err(|e| ArchiveError::Zip(e.to_string()))?;
    verify_sip_in(archive)
}

fn verify_sip_in<R: Read + Seek>(mut archive: zip::ZipArchive<R>) -> Result<(), ArchiveError> {
    let (root, mets_name, mets) = open_root_mets(&mut archive)?;
    let listed = parse_mets_listing(&mets)?;
    let mut listed_names = HashSet::new();
    for (path, expected) in &listed {
        let name = format!("{root}/{path}");
        check_entry(&mut archive, &name, path, expected)?;
        listed_names.insert(name);
    }
    // Representation METS files list their files relative to their own folder.
    for (path, _) in &listed {
        let Some(rep_folder) = path
            .strip_suffix(METS_FILE_NAME)
            .filter(|p| p.starts_with("representations/"))
        else {
            continue;
        };
        let rep_mets = read_entry_limited(&mut archive, &format!("{root}/{path}"))?;
        for (relative, expected) in parse_mets_listing(&rep_mets)? {
            let full = format!("{rep_folder}{relative}");
            check_entry(&mut archive, &format!("{root}/{full}"), &full, &expected)?;
        }
    }
    for name in archive.file_names() {
        let is_dir = name.ends_with('/');
        if !is_dir && name != mets_name && !listed_names.contains(name) {
            return Err(ArchiveError::UnlistedFile(name.to_string()));
        }
    }
    Ok(())
}
