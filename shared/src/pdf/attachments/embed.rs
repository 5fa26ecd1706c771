//! The objects the archive version's update adds for its attachments: each file as an
//! `/EmbeddedFile` stream with its `/Filespec`, and the new XMP metadata stream.

use chrono::{DateTime, Utc};
use lopdf::{dictionary, Object, ObjectId, Stream, StringFormat};
use md5::{Digest, Md5};

use super::invalid;
use crate::pdf::update::{pdf_date, text_string, UpdateWriter};
use crate::pdf::PdfError;

/// One file to attach.
#[derive(Debug, Clone)]
pub struct AttachedFile<'a> {
    /// File name shown by viewers, e.g. `bankid-signatur-1.xml`.
    pub name: String,
    pub bytes: &'a [u8],
    /// MIME type, e.g. `application/xml` (PDF/A-3 requires one).
    pub mime_type: String,
    pub description: String,
    pub modified: DateTime<Utc>,
}

/// What [`write_attachments`] wrote, for [`catalog_with_attachments`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenAttachments {
    /// The `/Filespec` dictionaries, in the order of the files.
    pub filespecs: Vec<ObjectId>,
    /// `/Names /EmbeddedFiles` entries: (name tree key, filespec).
    pub names: Vec<(String, ObjectId)>,
}

/// Write each file as an embedded file stream (Flate, with `/Subtype` = MIME type and
/// `/Params` `/ModDate`, `/Size`, `/CheckSum` = MD5) and a file specification with `/F`,
/// `/UF`, `/Desc` and `/AFRelationship /Supplement` (the evidence supplements the document).
pub(crate) fn write_attachments(
    writer: &mut UpdateWriter,
    files: &[AttachedFile<'_>],
) -> Result<WrittenAttachments, PdfError> {
    let mut written = WrittenAttachments {
        filespecs: Vec::with_capacity(files.len()),
        names: Vec::with_capacity(files.len()),
    };
    for file in files {
        if file.name.trim().is_empty() {
            return Err(invalid("attachment without a file name".into()));
        }
        if !valid_mime_type(&file.mime_type) {
            return Err(invalid(format!(
                "attachment {:?} has no valid MIME type ({:?})",
                file.name, file.mime_type
            )));
        }
        let stream_id = writer.allocate_id();
        let spec_id = writer.allocate_id();
        let checksum = Md5::digest(file.bytes).to_vec();
        let mut stream = Stream::new(
            dictionary! {
                "Type" => "EmbeddedFile",
                "Subtype" => Object::Name(file.mime_type.as_bytes().to_vec()),
                "Params" => dictionary! {
                    "CreationDate" => Object::string_literal(pdf_date(file.modified)),
                    "ModDate" => Object::string_literal(pdf_date(file.modified)),
                    "Size" => file.bytes.len() as i64,
                    "CheckSum" => Object::String(checksum, StringFormat::Hexadecimal),
                },
            },
            file.bytes.to_vec(),
        );
        // Optional; a failure leaves the stream uncompressed.
        let _ = stream.compress();
        writer.write_object(stream_id, &Object::Stream(stream))?;
        let spec = dictionary! {
            "Type" => "Filespec",
            "F" => Object::string_literal(ascii_file_name(&file.name)),
            "UF" => text_string(&file.name),
            "Desc" => text_string(&file.description),
            "AFRelationship" => "Supplement",
            "EF" => dictionary! {
                "F" => Object::Reference(stream_id),
                "UF" => Object::Reference(stream_id),
            },
        };
        writer.write_object(spec_id, &Object::Dictionary(spec))?;
        written.filespecs.push(spec_id);
        written.names.push((file.name.clone(), spec_id));
    }
    Ok(written)
}

/// `type/subtype`, printable ASCII without spaces (it becomes a PDF name).
fn valid_mime_type(mime: &str) -> bool {
    let mut parts = mime.splitn(2, '/');
    let ok = |s: Option<&str>| {
        s.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic() && b != b'/'))
    };
    ok(parts.next()) && ok(parts.next())
}

/// `/F` is a byte string that old readers take as a path: ASCII only, no separators.
fn ascii_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '/' | '\\' | ':') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The metadata stream for the catalog's `/Metadata` (uncompressed, as PDF/A-1 readers expect).
pub(crate) fn write_metadata(writer: &mut UpdateWriter, xmp: &[u8]) -> Result<ObjectId, PdfError> {
    let id = writer.allocate_id();
    let stream = Stream::new(
        dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
        xmp.to_vec(),
    );
    writer.write_object(id, &Object::Stream(stream))?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pdf::attachments::tests::when;

    #[test]
    fn bad_attachment_input_is_an_error() {
        let mut writer = UpdateWriter::after(
            &crate::pdf::update::Revision {
                len: 9,
                ends_with_eol: true,
                startxref: 0,
                xref_stream: false,
                root_id: (1, 0),
                info: None,
                id: Object::Null,
                next_id: 10,
            },
            0,
        );
        for (name, mime) in [
            ("", "application/xml"),
            ("a.xml", "xml"),
            ("a.xml", "application/x ml"),
        ] {
            let file = AttachedFile {
                name: name.into(),
                bytes: b"<a/>",
                mime_type: mime.into(),
                description: String::new(),
                modified: when(),
            };
            assert!(
                write_attachments(&mut writer, &[file]).is_err(),
                "{name} {mime}"
            );
        }
    }
}
