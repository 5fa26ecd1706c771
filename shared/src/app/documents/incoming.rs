//! Direct uploads: a presigned PUT to the uploads bucket for documents larger than a
//! function's request body takes, and the keys they land under. The upload function takes
//! each one in through [`Documents::take_in_upload`](super::Documents::take_in_upload) when
//! storage reports it arrived.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::app::AppError;
use crate::domain::document::clean_file_name;
use crate::domain::TenantId;
use crate::ports::PresignedUpload;

/// How long a presigned upload may start: long enough for a slow line, short enough that a
/// leaked URL is soon useless.
pub const UPLOAD_URL_MINUTES: i64 = 15;

/// Where presigned uploads land: `incoming/<tenant>/<upload id>/<file name>`. The key is made
/// by whoever presigned the PUT for an authenticated member of staff, so the tenant in it is
/// the one they act for.
pub const INCOMING_PREFIX: &str = "incoming/";

/// The parts of an incoming key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncomingKey {
    pub tenant: TenantId,
    pub upload_id: String,
    pub file_name: String,
}

pub fn parse_incoming_key(key: &str) -> Result<IncomingKey, AppError> {
    let unexpected = || {
        AppError::bad_request(
            "upload.unexpected_key",
            "Filen ligger inte där uppladdningar ska ligga.",
            "The object is not where uploads are put (incoming/<tenant>/<upload id>/<file name>).",
        )
    };
    let rest = key.strip_prefix(INCOMING_PREFIX).ok_or_else(unexpected)?;
    let mut parts = rest.splitn(3, '/');
    let (Some(tenant), Some(upload_id), Some(file_name)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(unexpected());
    };
    if upload_id.is_empty() || file_name.is_empty() {
        return Err(unexpected());
    }
    Ok(IncomingKey {
        tenant: TenantId::parse(tenant)?,
        upload_id: upload_id.to_string(),
        file_name: file_name.to_string(),
    })
}

impl IncomingKey {
    /// The object key: the file name cut to at most 200 bytes, so any name fits S3's key
    /// limit after the prefix.
    pub fn key(&self) -> String {
        format!(
            "{INCOMING_PREFIX}{}/{}/{}",
            self.tenant, self.upload_id, self.file_name
        )
    }
}

/// What a client needs to upload one document directly, and how it will know the result.
#[derive(Clone, Debug, Serialize)]
pub struct UploadTicket {
    pub upload_id: String,
    pub file_name: String,
    /// Send exactly this (method, URL, every header) with the PDF as the body.
    pub request: PresignedUpload,
    pub expires_at: DateTime<Utc>,
    pub max_bytes: u64,
}

/// A file name fit for a key segment: printable, no path, not `.` or `..`, at most 200 bytes.
pub(super) fn key_file_name(requested: &str) -> String {
    let name = clean_file_name(requested);
    if name.trim_matches('.').is_empty() {
        return "dokument.pdf".into();
    }
    let mut end = name.len().min(200);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_one_key_segment_within_the_limit() {
        assert_eq!(key_file_name("C:\\dok\\Protokoll å.pdf"), "Protokoll å.pdf");
        assert_eq!(key_file_name(".."), "dokument.pdf");
        assert_eq!(key_file_name("a/b/."), "dokument.pdf");
        let long = "ö".repeat(150);
        let cut = key_file_name(&long);
        assert!(cut.len() <= 200 && cut.chars().all(|c| c == 'ö'), "{cut}");
        let k = IncomingKey {
            tenant: TenantId::parse("demo").unwrap(),
            upload_id: "u1".into(),
            file_name: cut.clone(),
        };
        assert_eq!(parse_incoming_key(&k.key()).unwrap(), k);
    }
}
