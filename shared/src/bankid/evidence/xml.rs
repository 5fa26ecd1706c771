//! The parser of BankID's signature XML: it reads only documents already in the canonical form
//! BankID emits (see the parent module), keeping each element's byte span so that references
//! are checked over the raw bytes.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use quick_xml::events::Event;
use quick_xml::Reader;

use super::{EvidenceError, BANKID_NS, C14N, SHA256_DIGEST, XMLDSIG_NS};

/// One element of the parsed document with its byte span in the source.
#[derive(Debug)]
pub(super) struct Node {
    pub(super) name: String,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
    pub(super) children: Vec<usize>,
}

pub(super) struct Doc<'x> {
    xml: &'x str,
    pub(super) nodes: Vec<Node>,
}

impl Doc<'_> {
    pub(super) fn attr(&self, node: usize, key: &str) -> Option<&str> {
        self.nodes[node]
            .attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn children_named(&self, node: usize, name: &str) -> Vec<usize> {
        self.nodes[node]
            .children
            .iter()
            .copied()
            .filter(|c| self.nodes[*c].name == name)
            .collect()
    }

    /// The only child called `name`, or an error.
    pub(super) fn only_child(&self, node: usize, name: &str) -> Result<usize, EvidenceError> {
        match self.children_named(node, name).as_slice() {
            [one] => Ok(*one),
            [] => Err(EvidenceError::Malformed(format!(
                "missing <{name}> in <{}>",
                self.nodes[node].name
            ))),
            _ => Err(EvidenceError::Malformed(format!(
                "more than one <{name}> in <{}>",
                self.nodes[node].name
            ))),
        }
    }

    pub(super) fn optional_child(
        &self,
        node: usize,
        name: &str,
    ) -> Result<Option<usize>, EvidenceError> {
        match self.children_named(node, name).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(EvidenceError::Malformed(format!("more than one <{name}>"))),
        }
    }

    pub(super) fn bytes(&self, node: usize) -> &[u8] {
        &self.xml.as_bytes()[self.nodes[node].start..self.nodes[node].end]
    }

    pub(super) fn text(&self, node: usize) -> &str {
        &self.nodes[node].text
    }
}

/// Elements that carry a default namespace declaration, and the one they must declare.
fn declared_namespace(name: &str) -> Option<&'static str> {
    match name {
        "Signature" | "SignedInfo" | "KeyInfo" => Some(XMLDSIG_NS),
        "bankIdSignedData" => Some(BANKID_NS),
        _ => None,
    }
}

fn canonical_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\r', "&#xD;")
}

fn canonical_attr(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .replace('\t', "&#x9;")
        .replace('\n', "&#xA;")
        .replace('\r', "&#xD;")
}

const MAX_XML_BYTES: usize = 1_000_000;
const MAX_DEPTH: usize = 16;

pub(super) fn parse(xml: &str) -> Result<Doc<'_>, EvidenceError> {
    if xml.len() > MAX_XML_BYTES {
        return Err(EvidenceError::Malformed("larger than 1 MB".into()));
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut nodes: Vec<Node> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    let mut root: Option<usize> = None;
    let mut seen_decl = false;
    loop {
        let before = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        let event = reader
            .read_event()
            .map_err(|e| EvidenceError::Malformed(e.to_string()))?;
        let after = usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX);
        match event {
            Event::Decl(_) => {
                if seen_decl || root.is_some() || before != 0 {
                    return Err(EvidenceError::NotCanonical(
                        "misplaced XML declaration".into(),
                    ));
                }
                seen_decl = true;
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH || (stack.is_empty() && root.is_some()) {
                    return Err(EvidenceError::Malformed("too deep or a second root".into()));
                }
                let name = std::str::from_utf8(start.name().as_ref())
                    .map_err(|_| EvidenceError::Malformed("name not UTF-8".into()))?
                    .to_string();
                if name.contains(':') {
                    return Err(EvidenceError::NotCanonical(format!(
                        "prefixed element {name}"
                    )));
                }
                let mut attrs = Vec::new();
                let mut rebuilt = format!("<{name}");
                for attr in start.attributes() {
                    let attr = attr.map_err(|e| EvidenceError::Malformed(e.to_string()))?;
                    let key = std::str::from_utf8(attr.key.as_ref())
                        .map_err(|_| EvidenceError::Malformed("attribute name not UTF-8".into()))?
                        .to_string();
                    let raw = std::str::from_utf8(&attr.value)
                        .map_err(|_| EvidenceError::Malformed("attribute not UTF-8".into()))?
                        .to_string();
                    let value = quick_xml::escape::unescape(&raw)
                        .map_err(|e| EvidenceError::Malformed(e.to_string()))?
                        .into_owned();
                    if canonical_attr(&value) != raw {
                        return Err(EvidenceError::NotCanonical(format!(
                            "attribute {key} escaping"
                        )));
                    }
                    rebuilt.push_str(&format!(" {key}=\"{raw}\""));
                    attrs.push((key, value));
                }
                rebuilt.push('>');
                if xml.get(before..after) != Some(rebuilt.as_str()) {
                    return Err(EvidenceError::NotCanonical(format!("start tag of {name}")));
                }
                check_attribute_order(&name, &attrs)?;
                let index = nodes.len();
                nodes.push(Node {
                    name,
                    attrs,
                    start: before,
                    end: before,
                    text: String::new(),
                    children: Vec::new(),
                });
                match stack.last() {
                    Some(parent) => nodes[*parent].children.push(index),
                    None => root = Some(index),
                }
                stack.push(index);
            }
            Event::End(_) => {
                let index = stack
                    .pop()
                    .ok_or_else(|| EvidenceError::Malformed("unbalanced end tag".into()))?;
                if xml.get(before..after) != Some(format!("</{}>", nodes[index].name).as_str()) {
                    return Err(EvidenceError::NotCanonical("end tag".into()));
                }
                nodes[index].end = after;
            }
            Event::Text(text) => {
                let raw = std::str::from_utf8(text.as_ref())
                    .map_err(|_| EvidenceError::Malformed("text not UTF-8".into()))?;
                let value = quick_xml::escape::unescape(raw)
                    .map_err(|e| EvidenceError::Malformed(e.to_string()))?;
                if canonical_text(&value) != raw {
                    return Err(EvidenceError::NotCanonical("text escaping".into()));
                }
                match stack.last() {
                    Some(parent) => nodes[*parent].text.push_str(&value),
                    None if raw.trim().is_empty() && root.is_none() => {}
                    None => {
                        return Err(EvidenceError::NotCanonical("text outside the root".into()))
                    }
                }
            }
            Event::Empty(_) => return Err(EvidenceError::NotCanonical("self-closing tag".into())),
            Event::CData(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {
                return Err(EvidenceError::NotCanonical(
                    "CDATA, comment, PI or DOCTYPE".into(),
                ))
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() || root != Some(0) {
        return Err(EvidenceError::Malformed("unterminated document".into()));
    }
    // Any whitespace after the root element lies outside every signed part; refuse the rest.
    if nodes.first().map(|n| n.end) != Some(xml.trim_end().len()) {
        return Err(EvidenceError::NotCanonical(
            "content after the root element".into(),
        ));
    }
    Ok(Doc { xml, nodes })
}

/// C14N order: the namespace declaration first, then attributes sorted by name; only the four
/// elements that BankID's form declares a namespace on may declare one.
fn check_attribute_order(name: &str, attrs: &[(String, String)]) -> Result<(), EvidenceError> {
    let mut rest = attrs;
    match (declared_namespace(name), attrs.first()) {
        (Some(ns), Some((key, value))) if key == "xmlns" && value == ns => rest = &attrs[1..],
        (Some(_), _) => {
            return Err(EvidenceError::NotCanonical(format!(
                "{name} must declare its namespace"
            )))
        }
        (None, _) => {}
    }
    for (key, _) in rest {
        if key == "xmlns" || key.contains(':') {
            return Err(EvidenceError::NotCanonical(format!(
                "namespace declaration or prefix on {name}"
            )));
        }
    }
    if rest.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(EvidenceError::NotCanonical(format!(
            "attribute order on {name}"
        )));
    }
    Ok(())
}

pub(super) struct Reference {
    pub(super) digest: Vec<u8>,
}

pub(super) fn parse_reference(doc: &Doc<'_>, node: usize) -> Result<Reference, EvidenceError> {
    let transforms = doc.only_child(node, "Transforms")?;
    let transform_nodes = doc.children_named(transforms, "Transform");
    if transform_nodes.len() != 1 || doc.nodes[transforms].children.len() != 1 {
        return Err(EvidenceError::Unsupported(
            "exactly one C14N transform expected".into(),
        ));
    }
    if doc.attr(transform_nodes[0], "Algorithm") != Some(C14N) {
        return Err(EvidenceError::Unsupported(
            "transform other than inclusive C14N".into(),
        ));
    }
    let digest_method = doc.only_child(node, "DigestMethod")?;
    if doc.attr(digest_method, "Algorithm") != Some(SHA256_DIGEST) {
        return Err(EvidenceError::Unsupported(
            "digest other than SHA-256".into(),
        ));
    }
    let digest_value = doc.only_child(node, "DigestValue")?;
    let digest = BASE64
        .decode(doc.text(digest_value).trim())
        .map_err(|_| EvidenceError::Malformed("DigestValue is not base64".into()))?;
    Ok(Reference { digest })
}

pub(super) fn decode_b64_lenient(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    BASE64.decode(compact).ok()
}
