//! The archive version's XMP: the input's packet with its PDF/A claim replaced by the one the
//! archive version makes, and everything else kept as it was.

use chrono::{DateTime, Utc};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::claim::{archive_claim, parse_claim, PdfaClaim};

/// What to do with the archive version's `/Metadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveMetadata {
    /// The input claims no PDF/A part: leave `/Metadata` as it is.
    LeaveAlone,
    /// Write `xmp` as the new metadata stream ([`write_metadata`](super::write_metadata)) and
    /// point the catalog's `/Metadata` at it. `input` is what the original claimed, `claim`
    /// what the archive version claims.
    Replace {
        xmp: Vec<u8>,
        input: PdfaClaim,
        claim: PdfaClaim,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum XmpError {
    #[error("the XMP metadata is not well-formed XML: {0}")]
    Malformed(String),
    #[error("the XMP metadata has no rdf:RDF element")]
    NoRdf,
}

impl crate::error::ErrorText for XmpError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                XmpError::Malformed(_) => "pdf.xmp_malformed",
                XmpError::NoRdf => "pdf.xmp_no_rdf",
            }
        })
    }

    fn message_sv(&self) -> String {
        match self {
            XmpError::Malformed(d) => {
                format!("PDF-filens XMP-metadata är inte välformad XML: {d}")
            }
            XmpError::NoRdf => "PDF-filens XMP-metadata saknar rdf:RDF.".into(),
        }
    }

    fn message_en(&self) -> String {
        let text = self.to_string();
        let mut chars = text.chars();
        match chars.next() {
            Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
            None => text,
        }
    }
}

const NS_RDF: &[u8] = b"http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const NS_PDFAID: &[u8] = b"http://www.aiim.org/pdfa/ns/id/";
const NS_XMP: &[u8] = b"http://ns.adobe.com/xap/1.0/";

/// The XMP for the archive version (see the module docs for the claim). Everything in the
/// input's packet is kept except the pdfaid properties and `xmp:ModifyDate` /
/// `xmp:MetadataDate`, which are replaced by one added `rdf:Description` with the new claim and
/// `modified` as both dates (set the Info dictionary's `/ModDate` to the same instant).
pub fn pdfa3_metadata(
    existing_xmp: Option<&[u8]>,
    modified: DateTime<Utc>,
) -> Result<ArchiveMetadata, XmpError> {
    let Some(xmp) = existing_xmp else {
        return Ok(ArchiveMetadata::LeaveAlone);
    };
    let malformed = |e: &dyn std::fmt::Display| XmpError::Malformed(e.to_string());
    let mut reader = NsReader::from_reader(xmp);
    let mut out = quick_xml::Writer::new(Vec::with_capacity(xmp.len() + 512));
    let mut part: Option<String> = None;
    let mut conformance: Option<String> = None;
    let mut about: Option<Vec<u8>> = None;
    let mut saw_rdf = false;
    // Inside a dropped element: its depth and, for pdfaid part/conformance, where its text goes.
    let mut skipping: Option<(usize, Option<Field>)> = None;
    let mut depth = 0usize;
    let date = modified.format("%Y-%m-%dT%H:%M:%SZ").to_string();

    loop {
        let (ns, event) = reader.read_resolved_event().map_err(|e| malformed(&e))?;
        let ns = match ns {
            ResolveResult::Bound(ns) => Some(ns.into_inner().to_vec()),
            _ => None,
        };
        match event {
            Event::Eof => break,
            Event::Start(ref start) | Event::Empty(ref start) => {
                let is_empty = matches!(event, Event::Empty(_));
                if let Some((_, _)) = skipping {
                    if !is_empty {
                        depth += 1;
                    }
                    continue;
                }
                let local = start.local_name().into_inner().to_vec();
                if let Some(field) = dropped_property(ns.as_deref(), &local) {
                    if !is_empty {
                        depth += 1;
                        skipping = Some((depth, field));
                    }
                    continue;
                }
                let mut start = start.to_owned();
                if ns.as_deref() == Some(NS_RDF) && local == b"Description" {
                    let mut kept = BytesStart::new(
                        String::from_utf8_lossy(start.name().into_inner()).into_owned(),
                    );
                    for attr in start.attributes() {
                        let attr = attr.map_err(|e| malformed(&e))?;
                        let (attr_ns, attr_local) = reader.resolve_attribute(attr.key);
                        let attr_ns = match attr_ns {
                            ResolveResult::Bound(ns) => Some(ns.into_inner().to_vec()),
                            _ => None,
                        };
                        let value = attr
                            .unescape_value()
                            .map_err(|e| malformed(&e))?
                            .into_owned();
                        let attr_local = attr_local.into_inner();
                        if attr_ns.as_deref() == Some(NS_RDF) && attr_local == b"about" {
                            about.get_or_insert_with(|| value.clone().into_bytes());
                        }
                        match dropped_property(attr_ns.as_deref(), attr_local) {
                            Some(Some(Field::Part)) => part = Some(value),
                            Some(Some(Field::Conformance)) => conformance = Some(value),
                            Some(None) => {}
                            None => kept.push_attribute(attr),
                        }
                    }
                    start = kept;
                }
                if ns.as_deref() == Some(NS_RDF) && local == b"RDF" {
                    saw_rdf = true;
                }
                let event = if is_empty {
                    Event::Empty(start)
                } else {
                    depth += 1;
                    Event::Start(start)
                };
                out.write_event(event).map_err(|e| malformed(&e))?;
            }
            Event::End(ref end) => {
                if let Some((skip_depth, _)) = skipping {
                    if depth == skip_depth {
                        skipping = None;
                    }
                    depth = depth.saturating_sub(1);
                    continue;
                }
                depth = depth.saturating_sub(1);
                let local = end.local_name().into_inner().to_vec();
                if ns.as_deref() == Some(NS_RDF) && local == b"RDF" {
                    // Written later, once the claim is known: remember where.
                    let prefix = end
                        .name()
                        .prefix()
                        .map(|p| String::from_utf8_lossy(p.into_inner()).into_owned());
                    let marker = out.get_ref().len();
                    out.write_event(Event::End(end.to_owned()))
                        .map_err(|e| malformed(&e))?;
                    let end_bytes = out.get_ref()[marker..].to_vec();
                    out.get_mut().truncate(marker);
                    let Some(input) = parse_claim(part.as_deref(), conformance.as_deref()) else {
                        return Ok(ArchiveMetadata::LeaveAlone);
                    };
                    let claim = archive_claim(input);
                    let description = claim_description(
                        prefix.as_deref(),
                        about.as_deref().unwrap_or_default(),
                        claim,
                        &date,
                    );
                    out.get_mut().extend_from_slice(description.as_bytes());
                    out.get_mut().extend_from_slice(&end_bytes);
                    // The rest of the packet (closing tags, padding, trailer PI) as it was.
                    copy_rest(&mut reader, &mut out).map_err(|e| malformed(&e))?;
                    return Ok(ArchiveMetadata::Replace {
                        xmp: out.into_inner(),
                        input,
                        claim,
                    });
                }
                out.write_event(Event::End(end.to_owned()))
                    .map_err(|e| malformed(&e))?;
            }
            Event::Text(ref text) => {
                if let Some((_, field)) = skipping {
                    let value = text
                        .unescape()
                        .map_err(|e| malformed(&e))?
                        .trim()
                        .to_string();
                    match field {
                        Some(Field::Part) => part = Some(value),
                        Some(Field::Conformance) => conformance = Some(value),
                        None => {}
                    }
                    continue;
                }
                out.write_event(Event::Text(text.to_owned()))
                    .map_err(|e| malformed(&e))?;
            }
            other => {
                if skipping.is_none() {
                    out.write_event(other.into_owned())
                        .map_err(|e| malformed(&e))?;
                }
            }
        }
    }
    if saw_rdf || part.is_some() {
        // An rdf:RDF that never closed is cut off.
        return Err(XmpError::Malformed("rdf:RDF is not closed".into()));
    }
    if xmp.windows(7).any(|w| w == b"pdfaid:") {
        return Err(XmpError::NoRdf);
    }
    Ok(ArchiveMetadata::LeaveAlone)
}

/// Properties the archive version replaces: Some(field to capture) or Some(None) to drop only.
fn dropped_property(ns: Option<&[u8]>, local: &[u8]) -> Option<Option<Field>> {
    match (ns, local) {
        (Some(NS_PDFAID), b"part") => Some(Some(Field::Part)),
        (Some(NS_PDFAID), b"conformance") => Some(Some(Field::Conformance)),
        // amd/corr name PDF/A-1 amendments; rev is PDF/A-4's: none applies to the new claim.
        (Some(NS_PDFAID), b"amd" | b"corr" | b"rev") => Some(None),
        (Some(NS_XMP), b"ModifyDate" | b"MetadataDate") => Some(None),
        _ => None,
    }
}

/// The pdfaid properties whose values decide the new claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Part,
    Conformance,
}

fn claim_description(
    rdf_prefix: Option<&str>,
    about: &[u8],
    claim: PdfaClaim,
    date: &str,
) -> String {
    let rdf = rdf_prefix.map(|p| format!("{p}:")).unwrap_or_default();
    let about = quick_xml::escape::escape(String::from_utf8_lossy(about)).into_owned();
    let rev = if claim.part >= 4 {
        "<pdfaid:rev>2020</pdfaid:rev>"
    } else {
        ""
    };
    format!(
        "<{rdf}Description {rdf}about=\"{about}\" xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\" \
         xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\">\
         <pdfaid:part>{part}</pdfaid:part>{rev}<pdfaid:conformance>{conformance}</pdfaid:conformance>\
         <xmp:ModifyDate>{date}</xmp:ModifyDate><xmp:MetadataDate>{date}</xmp:MetadataDate>\
         </{rdf}Description>\n",
        part = claim.part,
        conformance = claim.conformance,
    )
}

fn copy_rest(
    reader: &mut NsReader<&[u8]>,
    out: &mut quick_xml::Writer<Vec<u8>>,
) -> Result<(), quick_xml::Error> {
    loop {
        match reader.read_event()? {
            Event::Eof => return Ok(()),
            event => {
                out.write_event(event)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;
    use crate::pdf::attachments::tests::{claim, when};
    use crate::pdf::test_support::*;

    fn xmp_of(result: ArchiveMetadata) -> (String, PdfaClaim, PdfaClaim) {
        match result {
            ArchiveMetadata::Replace { xmp, input, claim } => {
                (String::from_utf8(xmp).unwrap(), input, claim)
            }
            other => panic!("expected a new XMP, got {other:?}"),
        }
    }

    #[test]
    fn xmp_keeps_everything_else_in_attribute_and_element_forms() {
        // Element form (the LibreOffice fixture): producer, creator tool, dates stay.
        let fixture = fixture(FIXTURE_2B);
        let start = fixture
            .windows(15)
            .position(|w| w == b"<?xpacket begin")
            .unwrap();
        let end = fixture[start..]
            .windows(19)
            .position(|w| w == b"<?xpacket end=\"w\"?>")
            .unwrap()
            + start
            + 19;
        let (xmp, input, archive) =
            xmp_of(pdfa3_metadata(Some(&fixture[start..end]), when()).unwrap());
        assert_eq!((input, archive), (claim(2, 'B'), claim(3, 'B')));
        assert!(xmp.starts_with("<?xpacket begin=\"\u{feff}\""), "{xmp}");
        assert!(xmp.trim_end().ends_with("<?xpacket end=\"w\"?>"));
        for kept in [
            "<pdf:Producer>LibreOffice 7.4</pdf:Producer>",
            "<xmp:CreateDate>2026-11-23T03:10:16Z</xmp:CreateDate>",
            "<pdfaid:part>3</pdfaid:part>",
            "<pdfaid:conformance>B</pdfaid:conformance>",
            "<xmp:ModifyDate>2026-11-23T14:05:00Z</xmp:ModifyDate>",
            "<xmp:MetadataDate>2026-11-23T14:05:00Z</xmp:MetadataDate>",
        ] {
            assert!(xmp.contains(kept), "{kept} in {xmp}");
        }
        assert_eq!(xmp.matches("pdfaid:part>").count(), 2, "one claim: {xmp}");

        // Attribute form with another prefix for the xmp namespace, an old amendment and
        // an old modify date: replaced, title and the rest kept.
        let attrs = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="uuid:1" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" xmlns:xap="http://ns.adobe.com/xap/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" pdfaid:part="1" pdfaid:conformance="A" pdfaid:amd="2005" xap:ModifyDate="2020-01-01T00:00:00Z" xap:CreatorTool="Word &amp; co"><dc:title><rdf:Alt><rdf:li xml:lang="x-default">Protokoll &lt;KS&gt; Åtvidaberg</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"#;
        let (xmp, input, archive) = xmp_of(pdfa3_metadata(Some(attrs.as_bytes()), when()).unwrap());
        assert_eq!((input, archive), (claim(1, 'A'), claim(3, 'U')));
        assert!(
            !xmp.contains("2005") && !xmp.contains("2020-01-01"),
            "{xmp}"
        );
        assert!(!xmp.contains("pdfaid:part=\""), "{xmp}");
        assert!(xmp.contains("xap:CreatorTool=\"Word &amp; co\""), "{xmp}");
        assert!(xmp.contains("Protokoll &lt;KS&gt; Åtvidaberg"), "{xmp}");
        assert!(
            xmp.contains("rdf:about=\"uuid:1\" xmlns:pdfaid"),
            "same rdf:about: {xmp}"
        );
        // Still well-formed, and the intake reads the new claim from it.
        let mut reader = quick_xml::Reader::from_str(&xmp);
        while !matches!(reader.read_event().unwrap(), Event::Eof) {}
        assert_eq!(
            crate::pdf::intake::pdfa_claim_from_xmp(&xmp).as_deref(),
            Some("3U")
        );

        // PDF/A-4 keeps its part and becomes 4f.
        let a4 = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"><pdfaid:part>4</pdfaid:part><pdfaid:rev>2020</pdfaid:rev></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let (xmp, _, archive) = xmp_of(pdfa3_metadata(Some(a4.as_bytes()), when()).unwrap());
        assert_eq!(archive, claim(4, 'F'));
        assert_eq!(
            xmp.matches("<pdfaid:rev>2020</pdfaid:rev>").count(),
            1,
            "{xmp}"
        );
    }

    #[test]
    fn xmp_without_claim_or_broken_is_not_rewritten() {
        assert_eq!(
            pdfa3_metadata(None, when()).unwrap(),
            ArchiveMetadata::LeaveAlone
        );
        let plain = r#"<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:format>application/pdf</dc:format></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        assert_eq!(
            pdfa3_metadata(Some(plain.as_bytes()), when()).unwrap(),
            ArchiveMetadata::LeaveAlone
        );
        // A prefix bound to another namespace is no claim.
        let other = plain
            .replace(
                "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
                "xmlns:pdfaid=\"urn:other\"",
            )
            .replace("dc:format", "pdfaid:part");
        assert_eq!(
            pdfa3_metadata(Some(other.as_bytes()), when()).unwrap(),
            ArchiveMetadata::LeaveAlone
        );
        let cut = &plain.replace("dc:format", "pdfaid:part").replace(
            "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"",
            "xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\"",
        )[..150];
        assert_eq!(
            pdfa3_metadata(Some(cut.as_bytes()), when())
                .unwrap_err()
                .code(),
            "pdf.xmp_malformed"
        );
        let err = pdfa3_metadata(Some(b"<a><b></a>"), when()).unwrap_err();
        assert!(err.message_sv().contains("välformad") && err.message_en().starts_with("The XMP"));
        // Garbage never panics.
        let _ = pdfa3_metadata(Some(b"\xff\xfe garbage <<<"), when());
    }
}
