//! Writing the package's XML: a thin writer that keeps every text and attribute valid XML 1.0,
//! and the timestamp and checksum forms METS uses.

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use sha2::{Digest, Sha256};

use super::error::{write_err, ArchiveError};

pub(super) fn is_xml_char(c: char) -> bool {
    matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// XML 1.0 cannot carry some characters even escaped; replace them.
pub(super) fn sanitize_xml_text(s: &str) -> String {
    s.chars()
        .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
        .collect()
}

pub(super) fn timestamp(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Thin wrapper over the quick-xml writer: every attribute and text goes through
/// quick-xml's escaping after invalid characters are replaced.
pub(super) struct XmlOut {
    writer: Writer<Vec<u8>>,
}

impl XmlOut {
    pub(super) fn new() -> Result<Self, ArchiveError> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .map_err(write_err)?;
        Ok(Self { writer })
    }

    fn element<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut el = BytesStart::new(name);
        for (key, value) in attrs {
            let value = sanitize_xml_text(value);
            el.push_attribute((*key, value.as_str()));
        }
        el
    }

    pub(super) fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<(), ArchiveError> {
        self.writer
            .write_event(Event::Start(Self::element(name, attrs)))
            .map_err(write_err)
    }

    pub(super) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<(), ArchiveError> {
        self.writer
            .write_event(Event::Empty(Self::element(name, attrs)))
            .map_err(write_err)
    }

    pub(super) fn end(&mut self, name: &str) -> Result<(), ArchiveError> {
        self.writer
            .write_event(Event::End(BytesEnd::new(name)))
            .map_err(write_err)
    }

    pub(super) fn text_element(
        &mut self,
        name: &str,
        attrs: &[(&str, &str)],
        text: &str,
    ) -> Result<(), ArchiveError> {
        self.start(name, attrs)?;
        let text = sanitize_xml_text(text);
        self.writer
            .write_event(Event::Text(BytesText::new(&text)))
            .map_err(write_err)?;
        self.end(name)
    }

    pub(super) fn finish(self) -> Vec<u8> {
        let mut bytes = self.writer.into_inner();
        bytes.push(b'\n');
        bytes
    }
}
