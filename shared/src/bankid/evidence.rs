//! Verifier of `completionData.signature`: BankID's XMLDSig over `bankIdSignedData` and KeyInfo.
//!
//! BankID emits already-canonical XML (inclusive C14N form), so the references are checked by
//! hashing the raw bytes of the referenced elements. Rather than implement general C14N, the
//! parser refuses any document that is not in that form (self-closing tags, comments, prefixes,
//! unsorted attributes, stray namespace declarations, non-canonical escapes), so raw bytes and
//! canonical bytes are the same for everything accepted.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;
use der::{Decode, Encode};
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::Verifier;
use spki::DecodePublicKey;
use thiserror::Error;
use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use x509_cert::Certificate;

pub const XMLDSIG_NS: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const BANKID_NS: &str = "http://www.bankid.com/signature/v1.0.0/types";
pub const C14N: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub const SHA256_DIGEST: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
pub const ECDSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";

/// What the RP sent and expects back.
#[derive(Debug, Clone, Copy)]
pub struct ExpectedEvidence<'a> {
    /// 12 digits, compared with the certificate's serialNumber.
    pub personal_number: &'a str,
    /// The exact base64 string sent as `userVisibleData`.
    pub user_visible_data_b64: &'a str,
    /// The exact base64 string sent as `userNonVisibleData`; `None` means none was sent and the
    /// signature must not carry one.
    pub user_non_visible_data_b64: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceReport {
    /// The signer certificate's serialNumber attribute.
    pub personal_number: String,
    /// The signer certificate's CN.
    pub name: String,
    /// BankID's XML carries no signing time: this is the OCSP response's producedAt, set by
    /// [`verify_completion`]; `None` from [`verify_signature_xml`] alone.
    pub signed_at: Option<DateTime<Utc>>,
    /// RFC 4514 subjects from the signer up to the trust anchor.
    pub certificate_chain_subjects: Vec<String>,
    /// `Identification` (auth) or `Signing` (sign).
    pub func_id: String,
    pub usr_visible_data_b64: Option<String>,
    pub usr_non_visible_data_b64: Option<String>,
    /// XMLDSig SignatureMethod URI.
    pub signature_method: String,
    /// Every check made, by name, and whether it passed.
    pub checks: Vec<(String, bool)>,
}

impl EvidenceReport {
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|(_, ok)| *ok)
    }
}

#[derive(Debug, Error)]
pub enum EvidenceError {
    #[error("signature is not base64")]
    NotBase64,
    #[error("signature XML is malformed: {0}")]
    Malformed(String),
    #[error("signature XML is not in BankID's canonical form: {0}")]
    NotCanonical(String),
    #[error("unsupported algorithm: {0}")]
    Unsupported(String),
    /// The OCSP response failed the named checks.
    #[error("BankID OCSP response failed: {0}")]
    OcspFailed(String),
    /// Parsed, but at least one check failed; the report says which.
    #[error("BankID signature evidence failed: {}", failed_names(.0))]
    ChecksFailed(Box<EvidenceReport>),
}

fn failed_names(report: &EvidenceReport) -> String {
    report
        .checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

impl EvidenceError {
    pub fn code(&self) -> &'static str {
        match self {
            EvidenceError::NotBase64 | EvidenceError::Malformed(_) => "bankid.evidence_malformed",
            EvidenceError::NotCanonical(_) => "bankid.evidence_not_canonical",
            EvidenceError::Unsupported(_) => "bankid.evidence_unsupported",
            EvidenceError::ChecksFailed(_) | EvidenceError::OcspFailed(_) => {
                "bankid.evidence_invalid"
            }
        }
    }

    pub fn message_sv(&self) -> &'static str {
        match self {
            EvidenceError::ChecksFailed(_) | EvidenceError::OcspFailed(_) => {
                "BankID-underskriften kunde inte verifieras."
            }
            _ => "BankID-underskriften är inte i ett format som kan läsas.",
        }
    }

    pub fn message_en(&self) -> &'static str {
        match self {
            EvidenceError::ChecksFailed(_) | EvidenceError::OcspFailed(_) => {
                "The BankID signature could not be verified."
            }
            _ => "The BankID signature is not in a readable format.",
        }
    }
}

/// One element of the parsed document with its byte span in the source.
#[derive(Debug)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    start: usize,
    end: usize,
    text: String,
    children: Vec<usize>,
}

struct Doc<'x> {
    xml: &'x str,
    nodes: Vec<Node>,
}

impl Doc<'_> {
    fn attr(&self, node: usize, key: &str) -> Option<&str> {
        self.nodes[node]
            .attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn children_named(&self, node: usize, name: &str) -> Vec<usize> {
        self.nodes[node]
            .children
            .iter()
            .copied()
            .filter(|c| self.nodes[*c].name == name)
            .collect()
    }

    /// The only child called `name`, or an error.
    fn only_child(&self, node: usize, name: &str) -> Result<usize, EvidenceError> {
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

    fn optional_child(&self, node: usize, name: &str) -> Result<Option<usize>, EvidenceError> {
        match self.children_named(node, name).as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(EvidenceError::Malformed(format!("more than one <{name}>"))),
        }
    }

    fn bytes(&self, node: usize) -> &[u8] {
        &self.xml.as_bytes()[self.nodes[node].start..self.nodes[node].end]
    }

    fn text(&self, node: usize) -> &str {
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

fn parse(xml: &str) -> Result<Doc<'_>, EvidenceError> {
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

struct Reference {
    digest: Vec<u8>,
}

fn parse_reference(doc: &Doc<'_>, node: usize) -> Result<Reference, EvidenceError> {
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

fn decode_b64_lenient(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    BASE64.decode(compact).ok()
}

/// Verifies BankID's `completionData.signature` (base64 XML) as of `at`, trusting `trust_anchors_der`
/// (a certificate equal to an anchor, or issued by one, ends the chain). Returns the report when
/// every check passes, else `ChecksFailed` with the report.
pub fn verify_signature_xml(
    signature_b64: &str,
    trust_anchors_der: &[Vec<u8>],
    expected: Option<&ExpectedEvidence>,
    at: DateTime<Utc>,
) -> Result<EvidenceReport, EvidenceError> {
    passed_or_failed(evaluate_signature_xml(
        signature_b64,
        trust_anchors_der,
        expected,
        at,
    )?)
}

/// `Ok` only when every check passed. ([`verify_completion`] adds the OCSP checks to the XML
/// report, so this must look at them again.)
fn passed_or_failed(report: EvidenceReport) -> Result<EvidenceReport, EvidenceError> {
    if report.all_passed() {
        Ok(report)
    } else {
        Err(EvidenceError::ChecksFailed(Box::new(report)))
    }
}

/// Parses and runs every check; `Err` only when the document cannot be evaluated at all.
fn evaluate_signature_xml(
    signature_b64: &str,
    trust_anchors_der: &[Vec<u8>],
    expected: Option<&ExpectedEvidence>,
    at: DateTime<Utc>,
) -> Result<EvidenceReport, EvidenceError> {
    let xml_bytes = decode_b64_lenient(signature_b64).ok_or(EvidenceError::NotBase64)?;
    let xml = std::str::from_utf8(&xml_bytes)
        .map_err(|_| EvidenceError::Malformed("not UTF-8".into()))?;
    let doc = parse(xml)?;
    let root = 0;
    if doc.nodes[root].name != "Signature" {
        return Err(EvidenceError::Malformed("root is not <Signature>".into()));
    }
    let order: Vec<&str> = doc.nodes[root]
        .children
        .iter()
        .map(|c| doc.nodes[*c].name.as_str())
        .collect();
    if order != ["SignedInfo", "SignatureValue", "KeyInfo", "Object"] {
        return Err(EvidenceError::Malformed(format!(
            "unexpected Signature children {order:?}"
        )));
    }
    // Only the two referenced elements may carry an Id: no room for a second, wrapped copy.
    let ids: Vec<(&str, &str)> = doc
        .nodes
        .iter()
        .filter_map(|n| {
            n.attrs
                .iter()
                .find(|(k, _)| k == "Id")
                .map(|(_, v)| (n.name.as_str(), v.as_str()))
        })
        .collect();
    if ids
        != [
            ("KeyInfo", "bidKeyInfo"),
            ("bankIdSignedData", "bidSignedData"),
        ]
    {
        return Err(EvidenceError::Malformed(format!(
            "unexpected Id attributes {ids:?}"
        )));
    }
    let signed_info = doc.only_child(root, "SignedInfo")?;
    let signature_value_node = doc.only_child(root, "SignatureValue")?;
    let key_info = doc.only_child(root, "KeyInfo")?;
    let object = doc.only_child(root, "Object")?;
    if doc.nodes[object].children.len() != 1 {
        return Err(EvidenceError::Malformed(
            "Object must hold only bankIdSignedData".into(),
        ));
    }
    let signed_data = doc.only_child(object, "bankIdSignedData")?;

    let c14n = doc.only_child(signed_info, "CanonicalizationMethod")?;
    if doc.attr(c14n, "Algorithm") != Some(C14N) {
        return Err(EvidenceError::Unsupported(
            "CanonicalizationMethod other than inclusive C14N".into(),
        ));
    }
    let signature_method = doc
        .attr(doc.only_child(signed_info, "SignatureMethod")?, "Algorithm")
        .unwrap_or("")
        .to_string();
    if signature_method != RSA_SHA256 && signature_method != ECDSA_SHA256 {
        return Err(EvidenceError::Unsupported(format!(
            "SignatureMethod {signature_method}"
        )));
    }
    let references = doc.children_named(signed_info, "Reference");
    if references.len() != 2 || doc.nodes[signed_info].children.len() != 4 {
        return Err(EvidenceError::Malformed(
            "SignedInfo must hold exactly two references".into(),
        ));
    }
    let mut signed_data_ref = None;
    let mut key_info_ref = None;
    for reference in references {
        match doc.attr(reference, "URI") {
            Some("#bidSignedData") if signed_data_ref.is_none() => {
                signed_data_ref = Some(parse_reference(&doc, reference)?)
            }
            Some("#bidKeyInfo") if key_info_ref.is_none() => {
                key_info_ref = Some(parse_reference(&doc, reference)?)
            }
            other => {
                return Err(EvidenceError::Malformed(format!(
                    "unexpected reference {other:?}"
                )))
            }
        }
    }
    let (Some(signed_data_ref), Some(key_info_ref)) = (signed_data_ref, key_info_ref) else {
        return Err(EvidenceError::Malformed("missing reference".into()));
    };

    let x509_data = doc.only_child(key_info, "X509Data")?;
    if doc.nodes[key_info].children.len() != 1 {
        return Err(EvidenceError::Malformed(
            "KeyInfo must hold only X509Data".into(),
        ));
    }
    let mut certs = Vec::new();
    let mut certs_der = Vec::new();
    for node in doc.children_named(x509_data, "X509Certificate") {
        let der = decode_b64_lenient(doc.text(node))
            .ok_or_else(|| EvidenceError::Malformed("X509Certificate is not base64".into()))?;
        certs.push(
            Certificate::from_der(&der)
                .map_err(|e| EvidenceError::Malformed(format!("certificate: {e}")))?,
        );
        certs_der.push(der);
    }
    if certs.is_empty() || certs.len() != doc.nodes[x509_data].children.len() {
        return Err(EvidenceError::Malformed(
            "X509Data must hold only certificates".into(),
        ));
    }
    let signature_value = decode_b64_lenient(doc.text(signature_value_node))
        .ok_or_else(|| EvidenceError::Malformed("SignatureValue is not base64".into()))?;

    let mut checks: Vec<(String, bool)> = Vec::new();
    checks.push(("canonical_form".into(), true));
    checks.push((
        "digest_bid_signed_data".into(),
        Sha256::digest(doc.bytes(signed_data))[..] == signed_data_ref.digest[..],
    ));
    checks.push((
        "digest_bid_key_info".into(),
        Sha256::digest(doc.bytes(key_info))[..] == key_info_ref.digest[..],
    ));
    let signer = &certs[0];
    let signature_ok = verify_xml_signature(
        &signature_method,
        signer,
        doc.bytes(signed_info),
        &signature_value,
    )?;
    checks.push(("signature_value".into(), signature_ok));
    checks.push(("signer_key_usage".into(), has_signing_key_usage(signer)));

    let anchors: Vec<Certificate> = trust_anchors_der
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    let (path, chain_ok) = build_chain(&certs, &certs_der, &anchors, trust_anchors_der);
    checks.push(("chain_to_trust_anchor".into(), chain_ok));
    let valid_at = path.iter().all(|c| is_valid_at(c, at));
    checks.push((
        "certificates_valid_at_time".into(),
        valid_at && !path.is_empty(),
    ));

    let personal_number = attribute_of(signer, "2.5.4.5").unwrap_or_default();
    let name = attribute_of(signer, "2.5.4.3").unwrap_or_default();
    let visible = doc
        .optional_child(signed_data, "usrVisibleData")?
        .map(|n| doc.text(n).to_string());
    let non_visible = doc
        .optional_child(signed_data, "usrNonVisibleData")?
        .map(|n| doc.text(n).to_string());
    let client_info = doc.only_child(signed_data, "clientInfo")?;
    let func_id = doc.text(doc.only_child(client_info, "funcId")?).to_string();
    if let Some(expected) = expected {
        checks.push((
            "personal_number".into(),
            personal_number == expected.personal_number,
        ));
        checks.push((
            "usr_visible_data".into(),
            visible.as_deref() == Some(expected.user_visible_data_b64),
        ));
        checks.push((
            "usr_non_visible_data".into(),
            non_visible.as_deref() == expected.user_non_visible_data_b64,
        ));
    }
    let report = EvidenceReport {
        personal_number,
        name,
        signed_at: None,
        certificate_chain_subjects: path
            .iter()
            .map(|c| c.tbs_certificate.subject.to_string())
            .collect(),
        func_id,
        usr_visible_data_b64: visible,
        usr_non_visible_data_b64: non_visible,
        signature_method,
        checks,
    };
    if report.all_passed() {
        Ok(report)
    } else {
        Err(EvidenceError::ChecksFailed(Box::new(report)))
    }
}

fn verify_xml_signature(
    method: &str,
    signer: &Certificate,
    signed_info: &[u8],
    value: &[u8],
) -> Result<bool, EvidenceError> {
    let spki_der = signer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| EvidenceError::Malformed(e.to_string()))?;
    if method == RSA_SHA256 {
        let Ok(key) = rsa::RsaPublicKey::from_public_key_der(&spki_der) else {
            return Ok(false);
        };
        let Ok(signature) = rsa::pkcs1v15::Signature::try_from(value) else {
            return Ok(false);
        };
        let verifier = rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key);
        return Ok(verifier.verify(signed_info, &signature).is_ok());
    }
    let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der) else {
        return Ok(false);
    };
    // XMLDSig carries r||s; accept DER too, which some producers emit.
    let signature = p256::ecdsa::Signature::from_slice(value)
        .ok()
        .or_else(|| p256::ecdsa::Signature::from_der(value).ok());
    Ok(signature.is_some_and(|s| key.verify(signed_info, &s).is_ok()))
}

const OID_SHA256_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");

/// Whether `issuer`'s key signed `cert`.
pub fn is_issued_by(cert: &Certificate, issuer: &Certificate) -> bool {
    if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return false;
    }
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Some(signature) = cert.signature.as_bytes() else {
        return false;
    };
    verify_with_certificate_key(issuer, cert.signature_algorithm.oid, &tbs, signature)
}

/// Verifies an X.509-style signature (algorithm by OID; ECDSA values DER-encoded).
pub(crate) fn verify_with_certificate_key(
    signer: &Certificate,
    algorithm: ObjectIdentifier,
    message: &[u8],
    signature: &[u8],
) -> bool {
    let Ok(spki) = signer.tbs_certificate.subject_public_key_info.to_der() else {
        return false;
    };
    if algorithm == OID_ECDSA_SHA256 {
        let (Ok(key), Ok(sig)) = (
            p256::ecdsa::VerifyingKey::from_public_key_der(&spki),
            p256::ecdsa::Signature::from_der(signature),
        ) else {
            return false;
        };
        return key.verify(message, &sig).is_ok();
    }
    let (Ok(key), Ok(sig)) = (
        rsa::RsaPublicKey::from_public_key_der(&spki),
        rsa::pkcs1v15::Signature::try_from(signature),
    ) else {
        return false;
    };
    match algorithm {
        o if o == OID_SHA256_RSA => rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
            .verify(message, &sig)
            .is_ok(),
        o if o == OID_SHA384_RSA => rsa::pkcs1v15::VerifyingKey::<Sha384>::new(key)
            .verify(message, &sig)
            .is_ok(),
        o if o == OID_SHA512_RSA => rsa::pkcs1v15::VerifyingKey::<Sha512>::new(key)
            .verify(message, &sig)
            .is_ok(),
        _ => false,
    }
}

pub(crate) fn is_ca(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .get::<BasicConstraints>()
        .ok()
        .flatten()
        .is_some_and(|(_, bc)| bc.ca)
}

fn has_signing_key_usage(cert: &Certificate) -> bool {
    match cert.tbs_certificate.get::<KeyUsage>() {
        Ok(Some((_, usage))) => {
            usage.0.contains(KeyUsages::DigitalSignature)
                || usage.0.contains(KeyUsages::NonRepudiation)
        }
        Ok(None) => true,
        Err(_) => false,
    }
}

/// Walks from the signer through KeyInfo certificates until one equals or is issued by an
/// anchor. Returns the path (signer first, anchor last when reached) and whether it is trusted.
fn build_chain(
    certs: &[Certificate],
    certs_der: &[Vec<u8>],
    anchors: &[Certificate],
    anchors_der: &[Vec<u8>],
) -> (Vec<Certificate>, bool) {
    let mut path = vec![certs[0].clone()];
    let mut current_index = 0usize;
    let mut used = vec![false; certs.len()];
    used[0] = true;
    for _ in 0..certs.len() {
        let current = &certs[current_index];
        if anchors_der.iter().any(|a| a == &certs_der[current_index]) {
            return (path, true);
        }
        if let Some(anchor) = anchors.iter().find(|a| is_issued_by(current, a)) {
            path.push(anchor.clone());
            return (path, true);
        }
        let next = (0..certs.len())
            .find(|i| !used[*i] && is_ca(&certs[*i]) && is_issued_by(current, &certs[*i]));
        match next {
            Some(i) => {
                used[i] = true;
                path.push(certs[i].clone());
                current_index = i;
            }
            None => return (path, false),
        }
    }
    (path, false)
}

pub(crate) fn is_valid_at(cert: &Certificate, at: DateTime<Utc>) -> bool {
    let validity = &cert.tbs_certificate.validity;
    let at = at.timestamp();
    let not_before =
        i64::try_from(validity.not_before.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    let not_after = i64::try_from(validity.not_after.to_unix_duration().as_secs()).unwrap_or(0);
    not_before <= at && at <= not_after
}

fn attribute_of(cert: &Certificate, oid: &str) -> Option<String> {
    let oid = ObjectIdentifier::new(oid).ok()?;
    cert.tbs_certificate
        .subject
        .0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == oid)
        .and_then(|atv| {
            std::str::from_utf8(atv.value.value())
                .ok()
                .map(str::to_string)
        })
}

const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const OID_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Result of checking `completionData.ocspResponse` against the signature it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OcspReport {
    /// `producedAt`: BankID's evidence of when the signature was made.
    pub produced_at: DateTime<Utc>,
    pub responder_subject: String,
    pub checks: Vec<(String, bool)>,
}

/// The certificates of the signature's KeyInfo, signer first.
pub(crate) fn key_info_certificates(
    signature_b64: &str,
) -> Result<Vec<Certificate>, EvidenceError> {
    let xml_bytes = decode_b64_lenient(signature_b64).ok_or(EvidenceError::NotBase64)?;
    let xml = std::str::from_utf8(&xml_bytes)
        .map_err(|_| EvidenceError::Malformed("not UTF-8".into()))?;
    let doc = parse(xml)?;
    let key_info = doc.only_child(0, "KeyInfo")?;
    let x509_data = doc.only_child(key_info, "X509Data")?;
    let certs = doc
        .children_named(x509_data, "X509Certificate")
        .into_iter()
        .map(|node| {
            let der = decode_b64_lenient(doc.text(node))
                .ok_or_else(|| EvidenceError::Malformed("X509Certificate is not base64".into()))?;
            Certificate::from_der(&der)
                .map_err(|e| EvidenceError::Malformed(format!("certificate: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(EvidenceError::Malformed("no certificate in KeyInfo".into()));
    }
    Ok(certs)
}

fn hash_with(algorithm: ObjectIdentifier, data: &[u8]) -> Option<Vec<u8>> {
    if algorithm == OID_SHA1 {
        Some(sha1::Sha1::digest(data).to_vec())
    } else if algorithm == OID_SHA256 {
        Some(Sha256::digest(data).to_vec())
    } else {
        None
    }
}

fn to_utc(time: &x509_ocsp::OcspGeneralizedTime) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(time.0.to_unix_duration().as_secs()).ok()?;
    DateTime::<Utc>::from_timestamp(secs, 0)
}

/// Checks the OCSP response BankID returned with `signature_b64`: successful, signed by the
/// user certificate's issuer or its delegated OCSP responder, `good` for that certificate, and
/// carrying BankID's nonce (SHA-1 of the base64 signature string, then 12 random bytes).
pub fn verify_ocsp_response(
    ocsp_b64: &str,
    signature_b64: &str,
) -> Result<OcspReport, EvidenceError> {
    let report = evaluate_ocsp_response(ocsp_b64, signature_b64)?;
    if report.checks.iter().all(|(_, ok)| *ok) {
        Ok(report)
    } else {
        let failed: Vec<String> = report
            .checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(n, _)| n.clone())
            .collect();
        Err(EvidenceError::OcspFailed(failed.join(", ")))
    }
}

fn evaluate_ocsp_response(
    ocsp_b64: &str,
    signature_b64: &str,
) -> Result<OcspReport, EvidenceError> {
    let certs = key_info_certificates(signature_b64)?;
    let user = &certs[0];
    let der = decode_b64_lenient(ocsp_b64).ok_or(EvidenceError::NotBase64)?;
    let response = x509_ocsp::OcspResponse::from_der(&der)
        .map_err(|e| EvidenceError::Malformed(format!("OCSP response: {e}")))?;
    if response.response_status != x509_ocsp::OcspResponseStatus::Successful {
        return Err(EvidenceError::Malformed(format!(
            "OCSP response status {:?}",
            response.response_status
        )));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| EvidenceError::Malformed("OCSP response without body".into()))?;
    if bytes.response_type != OID_OCSP_BASIC {
        return Err(EvidenceError::Unsupported(
            "OCSP response type other than basic".into(),
        ));
    }
    let basic = x509_ocsp::BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| EvidenceError::Malformed(format!("BasicOCSPResponse: {e}")))?;
    let produced_at = to_utc(&basic.tbs_response_data.produced_at)
        .ok_or_else(|| EvidenceError::Malformed("producedAt out of range".into()))?;
    let issuer = certs.iter().skip(1).find(|c| is_issued_by(user, c));
    let embedded = basic.certs.clone().unwrap_or_default();
    let responder = match &basic.tbs_response_data.responder_id {
        x509_ocsp::ResponderId::ByName(name) => embedded
            .iter()
            .chain(issuer)
            .find(|c| &c.tbs_certificate.subject == name)
            .cloned(),
        x509_ocsp::ResponderId::ByKey(hash) => embedded
            .iter()
            .chain(issuer)
            .find(|c| crate::revocation::public_key_sha1(c)[..] == *hash.as_bytes())
            .cloned(),
    };
    let mut checks: Vec<(String, bool)> = Vec::new();
    checks.push(("ocsp_issuer_in_key_info".into(), issuer.is_some()));
    let tbs = basic
        .tbs_response_data
        .to_der()
        .map_err(|e| EvidenceError::Malformed(e.to_string()))?;
    let signature_ok = match (&responder, basic.signature.as_bytes()) {
        (Some(responder), Some(signature)) => {
            verify_with_certificate_key(responder, basic.signature_algorithm.oid, &tbs, signature)
        }
        _ => false,
    };
    checks.push(("ocsp_signature".into(), signature_ok));
    let authorised = match (&responder, issuer) {
        (Some(responder), Some(issuer)) => {
            responder == issuer
                || (is_issued_by(responder, issuer)
                    && responder
                        .tbs_certificate
                        .get::<x509_cert::ext::pkix::ExtendedKeyUsage>()
                        .ok()
                        .flatten()
                        .is_some_and(|(_, eku)| eku.0.contains(&OID_OCSP_SIGNING))
                    && is_valid_at(responder, produced_at))
        }
        _ => false,
    };
    checks.push(("ocsp_responder_authorised".into(), authorised));
    let matching: Vec<&x509_ocsp::SingleResponse> = basic
        .tbs_response_data
        .responses
        .iter()
        .filter(|single| {
            let id = &single.cert_id;
            let Some(issuer) = issuer else { return false };
            let Ok(name_der) = issuer.tbs_certificate.subject.to_der() else {
                return false;
            };
            let key = issuer
                .tbs_certificate
                .subject_public_key_info
                .subject_public_key
                .raw_bytes();
            id.serial_number == user.tbs_certificate.serial_number
                && hash_with(id.hash_algorithm.oid, &name_der).as_deref()
                    == Some(id.issuer_name_hash.as_bytes())
                && hash_with(id.hash_algorithm.oid, key).as_deref()
                    == Some(id.issuer_key_hash.as_bytes())
        })
        .collect();
    checks.push(("ocsp_response_for_signer".into(), matching.len() == 1));
    let good = matching.len() == 1
        && matching
            .iter()
            .all(|single| matches!(single.cert_status, x509_ocsp::CertStatus::Good(_)));
    checks.push(("ocsp_cert_status_good".into(), good));
    let expected_prefix = sha1::Sha1::digest(signature_b64.trim().as_bytes());
    let nonce_ok = basic
        .tbs_response_data
        .nonce()
        .is_some_and(|nonce| nonce.0.as_bytes().starts_with(&expected_prefix));
    checks.push(("ocsp_nonce_binds_signature".into(), nonce_ok));
    Ok(OcspReport {
        produced_at,
        responder_subject: responder
            .map(|r| r.tbs_certificate.subject.to_string())
            .unwrap_or_default(),
        checks,
    })
}

/// Verifies a whole `completionData`: the OCSP response first (its `producedAt` is the signing
/// time), then the signature XML as of that time. The report carries both sets of checks and
/// `signed_at = producedAt`.
pub fn verify_completion(
    signature_b64: &str,
    ocsp_b64: &str,
    trust_anchors_der: &[Vec<u8>],
    expected: Option<&ExpectedEvidence>,
) -> Result<EvidenceReport, EvidenceError> {
    let ocsp = evaluate_ocsp_response(ocsp_b64, signature_b64)?;
    let mut report =
        evaluate_signature_xml(signature_b64, trust_anchors_der, expected, ocsp.produced_at)?;
    report.signed_at = Some(ocsp.produced_at);
    report.checks.extend(ocsp.checks);
    passed_or_failed(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// BankID's real test-environment signature (see testdata/SAMPLE-SIGNATURE-README.md).
    const SAMPLE_B64: &str = include_str!("testdata/sample-signature.b64");

    fn sample_xml() -> String {
        let bytes = decode_b64_lenient(SAMPLE_B64).expect("fixture is base64");
        String::from_utf8(bytes).expect("fixture is UTF-8")
    }

    /// The certificates the sample carries in KeyInfo, in order (user, customer CA, bank CA).
    fn sample_certs() -> Vec<Vec<u8>> {
        sample_xml()
            .split("<X509Certificate>")
            .skip(1)
            .filter_map(|part| part.split("</X509Certificate>").next())
            .map(|b64| decode_b64_lenient(b64).expect("certificate base64"))
            .collect()
    }

    fn signing_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2022, 9, 14, 12, 0, 0)
            .single()
            .expect("valid date")
    }

    fn sample_expected() -> ExpectedEvidence<'static> {
        ExpectedEvidence {
            personal_number: "191212121212",
            user_visible_data_b64: "c2lnbmVyaW5nc3RleHQ=",
            user_non_visible_data_b64: Some("ZWogc3lubGln"),
        }
    }

    fn bank_ca_anchor() -> Vec<Vec<u8>> {
        let certs = sample_certs();
        assert_eq!(certs.len(), 3, "user, customer CA, bank CA");
        vec![certs[2].clone()]
    }

    #[test]
    fn real_bankid_sample_verifies_at_signing_time() {
        let report = verify_signature_xml(
            SAMPLE_B64,
            &bank_ca_anchor(),
            Some(&sample_expected()),
            signing_time(),
        )
        .expect("the sample verifies");
        assert_eq!(report.personal_number, "191212121212");
        assert_eq!(report.name, "Tolvan Tolvansson");
        assert_eq!(report.func_id, "Identification");
        assert_eq!(report.signature_method, RSA_SHA256);
        assert_eq!(report.certificate_chain_subjects.len(), 3);
        assert!(
            report.certificate_chain_subjects[2].contains("Testbank A CA v1 for BankID Test"),
            "{:?}",
            report.certificate_chain_subjects
        );
        assert!(report
            .checks
            .iter()
            .any(|(name, ok)| name == "signature_value" && *ok));
        assert!(report.checks.len() >= 9);
    }

    #[test]
    fn sample_is_refused_today_because_certificates_expired() {
        let later = Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("valid date");
        let err = verify_signature_xml(
            SAMPLE_B64,
            &bank_ca_anchor(),
            Some(&sample_expected()),
            later,
        )
        .expect_err("expired");
        let EvidenceError::ChecksFailed(report) = err else {
            panic!("wrong error {err:?}")
        };
        assert!(report
            .checks
            .contains(&("certificates_valid_at_time".to_string(), false)));
        assert!(report
            .checks
            .contains(&("signature_value".to_string(), true)));
    }

    #[test]
    fn sample_chain_needs_a_matching_anchor() {
        // Trusting the customer CA is a valid partial chain; trusting nothing is not.
        let customer_ca = vec![sample_certs()[1].clone()];
        let report = verify_signature_xml(SAMPLE_B64, &customer_ca, None, signing_time())
            .expect("partial chain");
        assert_eq!(report.certificate_chain_subjects.len(), 2);
        let err =
            verify_signature_xml(SAMPLE_B64, &[], None, signing_time()).expect_err("no anchor");
        assert_eq!(err.code(), "bankid.evidence_invalid");
        let EvidenceError::ChecksFailed(report) = err else {
            panic!("wrong error")
        };
        assert!(report
            .checks
            .contains(&("chain_to_trust_anchor".to_string(), false)));
    }

    #[test]
    fn sample_with_wrong_expectations_fails_the_business_checks() {
        let expected = ExpectedEvidence {
            personal_number: "199001011234",
            ..sample_expected()
        };
        let err = verify_signature_xml(
            SAMPLE_B64,
            &bank_ca_anchor(),
            Some(&expected),
            signing_time(),
        )
        .expect_err("pnr");
        let EvidenceError::ChecksFailed(report) = err else {
            panic!("wrong error")
        };
        assert!(report
            .checks
            .contains(&("personal_number".to_string(), false)));
        let expected = ExpectedEvidence {
            user_non_visible_data_b64: None,
            ..sample_expected()
        };
        assert!(verify_signature_xml(
            SAMPLE_B64,
            &bank_ca_anchor(),
            Some(&expected),
            signing_time()
        )
        .is_err());
        let expected = ExpectedEvidence {
            user_visible_data_b64: "c2lnbmVyaW5nc3RleHQ",
            ..sample_expected()
        };
        assert!(verify_signature_xml(
            SAMPLE_B64,
            &bank_ca_anchor(),
            Some(&expected),
            signing_time()
        )
        .is_err());
    }

    fn verify_edited(edit: impl Fn(&str) -> String) -> Result<EvidenceReport, EvidenceError> {
        let xml = edit(&sample_xml());
        verify_signature_xml(&BASE64.encode(xml), &bank_ca_anchor(), None, signing_time())
    }

    #[test]
    fn non_canonical_or_wrapped_documents_are_refused() {
        type Edit = Box<dyn Fn(&str) -> String>;
        let cases: Vec<(&str, Edit)> = vec![
            (
                "self-closing",
                Box::new(|x: &str| x.replace("<fsib>0</fsib>", "<fsib/>")),
            ),
            (
                "comment",
                Box::new(|x: &str| x.replace("<Object>", "<Object><!-- hi -->")),
            ),
            (
                "single quotes",
                Box::new(|x: &str| x.replace("Id=\"bidKeyInfo\"", "Id='bidKeyInfo'")),
            ),
            (
                "attribute order",
                Box::new(|x: &str| {
                    x.replace(
                        "charset=\"UTF-8\" visible=\"wysiwys\"",
                        "visible=\"wysiwys\" charset=\"UTF-8\"",
                    )
                }),
            ),
            (
                "doctype",
                Box::new(|x: &str| x.replacen("?>", "?><!DOCTYPE Signature>", 1)),
            ),
            (
                "second Id",
                Box::new(|x: &str| x.replace("<srvInfo>", "<srvInfo Id=\"bidSignedData\">")),
            ),
            (
                "extra object",
                Box::new(|x: &str| {
                    x.replace(
                        "</Object></Signature>",
                        "</Object><Object></Object></Signature>",
                    )
                }),
            ),
            (
                "prefix",
                Box::new(|x: &str| {
                    x.replace("<Object>", "<ds:Object>")
                        .replace("</Object>", "</ds:Object>")
                }),
            ),
            (
                "trailing garbage",
                Box::new(|x: &str| format!("{x}<x></x>")),
            ),
            (
                "cr in text",
                Box::new(|x: &str| x.replace("<fsib>0</fsib>", "<fsib>0\r</fsib>")),
            ),
        ];
        for (label, edit) in cases {
            assert!(verify_edited(edit).is_err(), "{label} must be refused");
        }
        assert!(
            verify_edited(|x| x.to_string()).is_ok(),
            "the unedited sample still verifies"
        );
    }

    #[test]
    fn garbage_input_is_an_error_not_a_panic() {
        for input in [
            "",
            "!!!",
            "PGE+PC9hPg==",
            "PFNpZ25hdHVyZT4=",
            &BASE64.encode(vec![0xffu8; 10]),
        ] {
            assert!(
                verify_signature_xml(input, &[], None, signing_time()).is_err(),
                "{input}"
            );
        }
    }
}
