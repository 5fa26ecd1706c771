//! The rules for what goes into a package: where a supplied file may live (and so its METS
//! section), what a package id and a media type may be.

use super::error::ArchiveError;
use super::xml::{is_xml_char, sanitize_xml_text};

/// Where a supplied file belongs in the METS.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Section {
    DescriptiveMetadata,
    PreservationMetadata,
    OtherMetadata,
    Documentation,
    Schemas,
    /// Representation folder name, e.g. "rep1".
    Representation(String),
}

fn invalid_path(path: &str) -> ArchiveError {
    ArchiveError::InvalidPath(sanitize_xml_text(path))
}

/// Checks a package-relative path and finds its METS section.
pub(super) fn classify_path(path: &str) -> Result<Section, ArchiveError> {
    let segments: Vec<&str> = path.split('/').collect();
    let segment_ok = |s: &&str| {
        !s.is_empty()
            && *s != "."
            && *s != ".."
            && !s
                .chars()
                .any(|c| c == '\\' || c.is_control() || !is_xml_char(c))
    };
    if path.len() > 1024 || !segments.iter().all(segment_ok) {
        return Err(invalid_path(path));
    }
    let section = match segments.as_slice() {
        ["representations", rep, _, ..] => Section::Representation((*rep).to_string()),
        ["documentation", _, ..] => Section::Documentation,
        ["schemas", _, ..] => Section::Schemas,
        ["metadata", "descriptive", _, ..] => Section::DescriptiveMetadata,
        ["metadata", "preservation", _, ..] => Section::PreservationMetadata,
        ["metadata", "other", _, ..] => Section::OtherMetadata,
        _ => return Err(invalid_path(path)),
    };
    Ok(section)
}

/// A package id is also a folder name and an XML attribute: keep it to a safe alphabet.
pub(super) fn valid_package_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 200
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
}

/// "type/subtype" (parameters allowed), as METS MIMETYPE expects an IANA media type.
pub(super) fn valid_media_type(mime: &str) -> bool {
    let essence = mime.split(';').next().unwrap_or_default().trim();
    let token = |t: &str| {
        !t.is_empty()
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$&^_.+-".contains(c))
    };
    match essence.split_once('/') {
        Some((kind, subtype)) => token(kind) && token(subtype) && mime.len() <= 255,
        None => false,
    }
}
