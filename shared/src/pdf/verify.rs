//! Verify every signature field of the final revision: ByteRange digest vs CMS
//! message-digest, the CMS signature over the signed attributes, and the chain to a trust
//! anchor at the claimed signing time. Never panics on hostile input.

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::{Decode, Encode};
use lopdf::{Dictionary, Document, Object};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::cms_build::ID_AA_SIGNATURE_TIME_STAMP_TOKEN;
use super::cms_build::{
    self, SigningCertificateV2, ECDSA_WITH_SHA256, ID_AA_SIGNING_CERTIFICATE_V2, ID_CONTENT_TYPE,
    ID_DATA, ID_MESSAGE_DIGEST, ID_SHA256, ID_SIGNING_TIME, RSA_ENCRYPTION, SHA256_WITH_RSA,
};
use super::timestamp::TimestampError;
use super::update::{decode_text_string, load_document};
use super::PdfError;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignatureReport {
    pub field_name: String,
    pub sub_filter: String,
    /// The ByteRange digest equals the CMS message-digest.
    pub intact: bool,
    /// The CMS signature over the signed attributes verifies with the signer certificate.
    pub signature_valid: bool,
    /// The signer certificate chains to one of the trust anchors, valid at signing time.
    pub trusted: bool,
    pub signer_subject: String,
    /// The /M entry as written (D:...).
    pub signing_time: Option<String>,
    /// "PAdES-B-LTA", "PAdES-B-LT", "PAdES-B-T", "PAdES-B-B", "DocTimeStamp" or "CMS".
    pub level: String,
    /// genTime (RFC 3339, UTC) of a valid signature timestamp (B-T).
    #[serde(default)]
    pub timestamp_time: Option<String>,
    /// Subject of the TSA that made the signature timestamp.
    #[serde(default)]
    pub timestamp_authority: Option<String>,
    /// Why the next level up was not reached, e.g. "PAdES-B-LT: no DSS".
    #[serde(default)]
    pub higher_level_missing: Vec<String>,
    /// The ByteRange covers its whole revision except /Contents.
    pub covers_whole_revision: bool,
    /// Where the revision this signature covers ends (the end of its ByteRange).
    #[serde(default)]
    pub revision_length: u64,
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VerifyReport {
    pub signatures: Vec<SignatureReport>,
}

impl VerifyReport {
    /// True when there is at least one signature and every one is intact.
    pub fn all_intact(&self) -> bool {
        !self.signatures.is_empty() && self.signatures.iter().all(|s| s.intact)
    }
}

const MAX_FIELD_DEPTH: usize = 32;
const MAX_CHAIN_LENGTH: usize = 8;

pub fn verify(bytes: &[u8], trust_anchors_der: &[Vec<u8>]) -> Result<VerifyReport, PdfError> {
    let doc = load_document(bytes)?;
    if doc.trailer.has(b"Encrypt") {
        return Err(PdfError::Encrypted);
    }
    let anchors: Vec<Certificate> = trust_anchors_der
        .iter()
        .filter_map(|d| Certificate::from_der(d).ok())
        .collect();
    let fields = signature_fields(&doc);
    let dss = read_dss(&doc);
    let mut signatures = Vec::new();
    let mut needs = Vec::new();
    for (name, sig) in fields {
        let (report, need) = catch_unwind(AssertUnwindSafe(|| {
            verify_one(bytes, &name, &sig, &anchors)
        }))
        .unwrap_or_else(|_| {
            (
                failed_report(&name, "internal failure while verifying"),
                Vec::new(),
            )
        });
        signatures.push(report);
        needs.push(need);
    }
    for i in 0..signatures.len() {
        if signatures[i].level == "PAdES-B-T" {
            long_term_levels(bytes, i, &mut signatures, &needs[i], dss.as_ref());
        }
    }
    Ok(VerifyReport { signatures })
}

/// The validation data in the document security store (the last revision's).
struct Dss {
    ocsp: Vec<x509_ocsp::BasicOcspResponse>,
    crls: Vec<x509_cert::crl::CertificateList>,
}

fn read_dss(doc: &Document) -> Option<Dss> {
    let catalog = doc.catalog().ok()?;
    let (_, dss) = doc.dereference(catalog.get(b"DSS").ok()?).ok()?;
    let dss = dss.as_dict().ok()?;
    let streams = |key: &[u8]| -> Vec<Vec<u8>> {
        let Ok(array) = dss.get(key).and_then(|a| doc.dereference(a)) else {
            return Vec::new();
        };
        let Ok(items) = array.1.as_array() else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| doc.dereference(item).ok())
            .filter_map(|(_, o)| o.as_stream().ok())
            .filter_map(|s| {
                if s.dict.has(b"Filter") {
                    s.decompressed_content_with_limit(16 * 1024 * 1024).ok()
                } else {
                    Some(s.content.clone())
                }
            })
            .collect()
    };
    let ocsp = streams(b"OCSPs")
        .iter()
        .filter_map(|der| x509_ocsp::OcspResponse::from_der(der).ok())
        .filter_map(|r| r.response_bytes)
        .filter_map(|b| x509_ocsp::BasicOcspResponse::from_der(b.response.as_bytes()).ok())
        .collect();
    let crls = streams(b"CRLs")
        .iter()
        .filter_map(|der| x509_cert::crl::CertificateList::from_der(der).ok())
        .collect();
    Some(Dss { ocsp, crls })
}

/// Revocation data for `cert` in the DSS: an OCSP response saying good, or a CRL of its
/// issuer not listing it. (The responses' own signatures are left to full validators such as
/// pyHanko, which the tests run.)
fn revocation_covered(cert: &Certificate, dss: &Dss) -> bool {
    let serial = &cert.tbs_certificate.serial_number;
    let by_ocsp = dss.ocsp.iter().any(|r| {
        r.tbs_response_data.responses.iter().any(|single| {
            &single.cert_id.serial_number == serial
                && matches!(single.cert_status, x509_ocsp::CertStatus::Good(_))
        })
    });
    let by_crl = dss.crls.iter().any(|crl| {
        crl.tbs_cert_list.issuer == cert.tbs_certificate.issuer
            && !crl
                .tbs_cert_list
                .revoked_certificates
                .as_ref()
                .is_some_and(|list| list.iter().any(|r| &r.serial_number == serial))
    });
    by_ocsp || by_crl
}

/// B-LT: the DSS holds revocation data for every certificate of the seal's and the signature
/// timestamp's chains (but the self-signed roots). B-LTA: then a valid document timestamp
/// covers a revision that already had that DSS.
fn long_term_levels(
    bytes: &[u8],
    index: usize,
    reports: &mut [SignatureReport],
    needs: &[Certificate],
    dss: Option<&Dss>,
) {
    let Some(dss) = dss else {
        reports[index]
            .higher_level_missing
            .push("PAdES-B-LT: no DSS".into());
        return;
    };
    let missing: Vec<String> = needs
        .iter()
        .filter(|c| c.tbs_certificate.issuer != c.tbs_certificate.subject)
        .filter(|c| !revocation_covered(c, dss))
        .map(|c| c.tbs_certificate.subject.to_string())
        .collect();
    if !missing.is_empty() {
        reports[index].higher_level_missing.push(format!(
            "PAdES-B-LT: no revocation data in the DSS for {}",
            missing.join("; ")
        ));
        return;
    }
    reports[index].level = "PAdES-B-LT".into();
    let signed_end = reports[index].revision_length;
    let lta = reports.iter().any(|r| {
        r.level == "DocTimeStamp"
            && r.intact
            && r.signature_valid
            && r.trusted
            && r.covers_whole_revision
            && r.revision_length > signed_end
            && (r.revision_length as usize) <= bytes.len()
            && load_document(&bytes[..r.revision_length as usize])
                .ok()
                .is_some_and(|prefix| prefix.catalog().map(|c| c.has(b"DSS")).unwrap_or(false))
    });
    if lta {
        reports[index].level = "PAdES-B-LTA".into();
    } else {
        reports[index]
            .higher_level_missing
            .push("PAdES-B-LTA: no valid document timestamp after the DSS".into());
    }
}

fn failed_report(name: &str, problem: &str) -> SignatureReport {
    SignatureReport {
        field_name: name.to_string(),
        sub_filter: String::new(),
        intact: false,
        signature_valid: false,
        trusted: false,
        signer_subject: String::new(),
        signing_time: None,
        level: "CMS".into(),
        timestamp_time: None,
        timestamp_authority: None,
        higher_level_missing: Vec::new(),
        covers_whole_revision: false,
        revision_length: 0,
        problems: vec![problem.to_string()],
    }
}

/// (fully qualified field name, signature dictionary) for every /FT /Sig field with /V.
pub(crate) fn signature_fields(doc: &Document) -> Vec<(String, Dictionary)> {
    let mut out = Vec::new();
    let Ok(catalog) = doc.catalog() else {
        return out;
    };
    let form = match catalog.get(b"AcroForm") {
        Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok(),
        Ok(Object::Dictionary(d)) => Some(d),
        _ => None,
    };
    let Some(form) = form else { return out };
    let fields = match form.get(b"Fields") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => match doc.get_object(*r) {
            Ok(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    };
    let mut visited = HashSet::new();
    for field in &fields {
        walk_field(doc, field, "", None, 0, &mut visited, &mut out);
    }
    out
}

fn walk_field(
    doc: &Document,
    field: &Object,
    parent_name: &str,
    inherited_ft: Option<Vec<u8>>,
    depth: usize,
    visited: &mut HashSet<(u32, u16)>,
    out: &mut Vec<(String, Dictionary)>,
) {
    if depth > MAX_FIELD_DEPTH {
        return;
    }
    let dict = match field {
        Object::Reference(id) => {
            if !visited.insert(*id) {
                return;
            }
            match doc.get_dictionary(*id) {
                Ok(d) => d,
                Err(_) => return,
            }
        }
        Object::Dictionary(d) => d,
        _ => return,
    };
    let partial = dict
        .get(b"T")
        .ok()
        .and_then(|t| t.as_str().ok())
        .map(decode_text_string);
    let name = match (&partial, parent_name.is_empty()) {
        (Some(p), true) => p.clone(),
        (Some(p), false) => format!("{parent_name}.{p}"),
        (None, _) => parent_name.to_string(),
    };
    let ft = match dict.get(b"FT") {
        Ok(Object::Name(n)) => Some(n.clone()),
        _ => inherited_ft,
    };
    let kids = match dict.get(b"Kids") {
        Ok(Object::Reference(r)) => doc.get_object(*r).ok(),
        Ok(other) => Some(other),
        Err(_) => None,
    };
    if let Some(Object::Array(kids)) = kids {
        for kid in kids {
            walk_field(doc, kid, &name, ft.clone(), depth + 1, visited, out);
        }
    }
    if ft.as_deref() == Some(b"Sig".as_slice()) {
        let value = match dict.get(b"V") {
            Ok(Object::Reference(id)) => doc.get_dictionary(*id).ok().cloned(),
            Ok(Object::Dictionary(d)) => Some(d.clone()),
            _ => None,
        };
        if let Some(v) = value {
            out.push((name, v));
        }
    }
}

/// The report, and the certificates whose revocation data B-LT needs (the signer's and the
/// signature timestamp's).
fn verify_one(
    bytes: &[u8],
    name: &str,
    sig: &Dictionary,
    anchors: &[Certificate],
) -> (SignatureReport, Vec<Certificate>) {
    let mut needs = Vec::new();
    let report = verify_one_into(bytes, name, sig, anchors, &mut needs);
    (report, needs)
}

fn verify_one_into(
    bytes: &[u8],
    name: &str,
    sig: &Dictionary,
    anchors: &[Certificate],
    needs: &mut Vec<Certificate>,
) -> SignatureReport {
    let mut report = failed_report(name, "");
    report.problems.clear();
    report.sub_filter = name_value(sig, b"SubFilter").unwrap_or_default();
    report.signing_time = sig
        .get(b"M")
        .ok()
        .and_then(|m| m.as_str().ok())
        .map(decode_text_string);

    let byte_range: Vec<i64> = match sig.get(b"ByteRange") {
        Ok(Object::Array(items)) => items.iter().filter_map(|o| o.as_i64().ok()).collect(),
        _ => Vec::new(),
    };
    let Some(ranges) = checked_ranges(&byte_range, bytes.len()) else {
        report
            .problems
            .push("ByteRange missing or out of bounds".into());
        return report;
    };
    report.covers_whole_revision = covers_whole_revision(bytes, &ranges);
    report.revision_length = (ranges[1].0 + ranges[1].1) as u64;
    if !report.covers_whole_revision {
        report
            .problems
            .push("ByteRange does not cover its whole revision except /Contents".into());
    }
    let contents = match sig.get(b"Contents") {
        Ok(Object::String(c, _)) => c.clone(),
        _ => {
            report.problems.push("/Contents missing".into());
            return report;
        }
    };
    let signed_data = match cms_build::parse_signed_data(&contents) {
        Ok(sd) => sd,
        Err(e) => {
            report.problems.push(format!("CMS unreadable: {e}"));
            return report;
        }
    };
    if report.sub_filter == "ETSI.RFC3161" {
        check_document_timestamp(bytes, &ranges, &signed_data, anchors, &mut report);
    } else {
        check_signed_data(bytes, &ranges, &signed_data, anchors, &mut report);
        needs.extend(cms_build::certificates_of(&signed_data));
        if report.level == "PAdES-B-B" {
            check_signature_timestamp(&signed_data, anchors, &mut report, needs);
        }
    }
    report
}

/// A document timestamp (/Type /DocTimeStamp, ETSI.RFC3161): the TSTInfo messageImprint must
/// equal the ByteRange digest; the token's own CMS signature and TSA chain are checked.
fn check_document_timestamp(
    bytes: &[u8],
    ranges: &[(usize, usize); 2],
    signed_data: &SignedData,
    anchors: &[Certificate],
    report: &mut SignatureReport,
) {
    report.level = "DocTimeStamp".into();
    let Some(signer_info) = signed_data.signer_infos.0.iter().next() else {
        report
            .problems
            .push("timestamp token has no SignerInfo".into());
        return;
    };
    let tst_info_der = match signed_data
        .encap_content_info
        .econtent
        .as_ref()
        .and_then(|c| c.decode_as::<der::asn1::OctetString>().ok())
    {
        Some(o) => o.as_bytes().to_vec(),
        None => {
            report
                .problems
                .push("timestamp token has no TSTInfo".into());
            return;
        }
    };
    let Some((imprint_alg, imprint, gen_time)) = parse_tst_info(&tst_info_der) else {
        report.problems.push("TSTInfo unreadable".into());
        return;
    };
    report.signing_time = Some(gen_time.clone());
    let mut hasher = Sha256::new();
    for (start, len) in ranges {
        hasher.update(&bytes[*start..*start + *len]);
    }
    report.intact = imprint_alg == ID_SHA256 && imprint == hasher.finalize()[..];
    if !report.intact {
        report
            .problems
            .push("document digest does not match the timestamp's messageImprint".into());
    }
    let certs = cms_build::certificates_of(signed_data);
    let Some(leaf) = find_signer_cert(signer_info, &certs) else {
        report
            .problems
            .push("TSA certificate not in the token".into());
        return;
    };
    report.signer_subject = leaf.tbs_certificate.subject.to_string();
    let Some(attrs) = signer_info.signed_attrs.as_ref() else {
        report
            .problems
            .push("timestamp token has no signed attributes".into());
        return;
    };
    let digest_ok = signer_info.digest_alg.oid == ID_SHA256
        && cms_build::attribute_value(attrs, ID_MESSAGE_DIGEST)
            .first()
            .and_then(|a| a.decode_as::<der::asn1::OctetString>().ok())
            .is_some_and(|d| d.as_bytes() == &Sha256::digest(&tst_info_der)[..]);
    report.signature_valid =
        digest_ok && signer_signature_ok(signer_info, &leaf, attrs, &mut report.problems);
    if !report.signature_valid {
        report
            .problems
            .push("timestamp token signature does not verify".into());
    }
    let at = parse_generalized_time(&gen_time).unwrap_or_else(Utc::now);
    match chain_to_anchor(&leaf, &certs, anchors, at) {
        Ok(()) => report.trusted = true,
        Err(problem) => report.problems.push(problem),
    }
}

/// (messageImprint hash algorithm, hashed message, genTime text) from TSTInfo DER.
fn parse_tst_info(der_bytes: &[u8]) -> Option<(der::asn1::ObjectIdentifier, Vec<u8>, String)> {
    use der::Reader;
    let mut reader = der::SliceReader::new(der_bytes).ok()?;
    reader
        .sequence(|r| {
            let _version: der::asn1::Int = r.decode()?;
            let _policy: der::asn1::ObjectIdentifier = r.decode()?;
            let imprint: MessageImprint = r.decode()?;
            let _serial: der::asn1::Int = r.decode()?;
            // GeneralizedTime may carry fractional seconds, which der 0.7 refuses: read raw.
            let gen_time: der::asn1::Any = r.decode()?;
            while !r.is_finished() {
                let _rest: der::asn1::Any = r.decode()?;
            }
            Ok((
                imprint.hash_algorithm.oid,
                imprint.hashed_message.as_bytes().to_vec(),
                String::from_utf8_lossy(gen_time.value()).into_owned(),
            ))
        })
        .ok()
}

#[derive(der::Sequence)]
struct MessageImprint {
    hash_algorithm: spki::AlgorithmIdentifierOwned,
    hashed_message: der::asn1::OctetString,
}

/// `YYYYMMDDHHMMSS[.fff]Z`
fn parse_generalized_time(s: &str) -> Option<DateTime<Utc>> {
    parse_pdf_date(s.split('.').next()?.trim_end_matches('Z'))
}

/// [(start, len), (start, len)] when the ByteRange is 4 non-negative in-bounds integers.
fn checked_ranges(byte_range: &[i64], file_len: usize) -> Option<[(usize, usize); 2]> {
    if byte_range.len() != 4 || byte_range.iter().any(|v| *v < 0) {
        return None;
    }
    let v: Vec<usize> = byte_range.iter().map(|x| *x as usize).collect();
    let first_end = v[0].checked_add(v[1])?;
    let second_end = v[2].checked_add(v[3])?;
    if first_end > v[2] || second_end > file_len {
        return None;
    }
    Some([(v[0], v[1]), (v[2], v[3])])
}

fn covers_whole_revision(bytes: &[u8], ranges: &[(usize, usize); 2]) -> bool {
    let [(start, first_len), (second_start, second_len)] = *ranges;
    if start != 0 || second_start < first_len + 2 {
        return false;
    }
    let gap = &bytes[first_len..second_start];
    let hex_ok = gap.first() == Some(&b'<')
        && gap.last() == Some(&b'>')
        && gap[1..gap.len() - 1].iter().all(|b| b.is_ascii_hexdigit());
    let end = second_start + second_len;
    let mut revision = &bytes[..end];
    while let Some((last, rest)) = revision.split_last() {
        if *last == b'\n' || *last == b'\r' {
            revision = rest;
        } else {
            break;
        }
    }
    hex_ok && revision.ends_with(b"%%EOF")
}

fn check_signed_data(
    bytes: &[u8],
    ranges: &[(usize, usize); 2],
    signed_data: &SignedData,
    anchors: &[Certificate],
    report: &mut SignatureReport,
) {
    let Some(signer_info) = signed_data.signer_infos.0.iter().next() else {
        report.problems.push("CMS has no SignerInfo".into());
        return;
    };
    if signed_data.signer_infos.0.len() != 1 {
        report
            .problems
            .push("CMS has more than one SignerInfo".into());
    }
    if signed_data.encap_content_info.econtent.is_some() {
        report.problems.push("CMS is not detached".into());
    }
    if signer_info.digest_alg.oid != ID_SHA256 {
        report.problems.push(format!(
            "unsupported digest algorithm {}",
            signer_info.digest_alg.oid
        ));
        return;
    }
    let certs = cms_build::certificates_of(signed_data);
    let Some(leaf) = find_signer_cert(signer_info, &certs) else {
        report
            .problems
            .push("signer certificate not in the CMS".into());
        return;
    };
    report.signer_subject = leaf.tbs_certificate.subject.to_string();
    let Some(attrs) = signer_info.signed_attrs.as_ref() else {
        report.problems.push("CMS has no signed attributes".into());
        return;
    };

    // Integrity: ByteRange digest = message-digest.
    let mut hasher = Sha256::new();
    for (start, len) in ranges {
        hasher.update(&bytes[*start..*start + *len]);
    }
    let digest = hasher.finalize();
    let message_digests = cms_build::attribute_value(attrs, ID_MESSAGE_DIGEST);
    let claimed = message_digests
        .first()
        .and_then(|a| a.decode_as::<der::asn1::OctetString>().ok());
    report.intact =
        message_digests.len() == 1 && claimed.as_ref().map(|c| c.as_bytes()) == Some(&digest[..]);
    if !report.intact {
        report
            .problems
            .push("document digest does not match the signed message-digest".into());
    }

    // Signature over the DER SET of the signed attributes.
    report.signature_valid = signer_signature_ok(signer_info, &leaf, attrs, &mut report.problems);
    if !report.signature_valid {
        report.problems.push("CMS signature does not verify".into());
    }

    // Baseline-B structure.
    let content_type_ok = cms_build::attribute_value(attrs, ID_CONTENT_TYPE)
        .first()
        .and_then(|a| a.decode_as::<der::asn1::ObjectIdentifier>().ok())
        == Some(ID_DATA);
    let has_signing_time = !cms_build::attribute_value(attrs, ID_SIGNING_TIME).is_empty();
    let leaf_hash = leaf
        .to_der()
        .map(|d| Sha256::digest(d).to_vec())
        .unwrap_or_default();
    let ess_ok = cms_build::attribute_value(attrs, ID_AA_SIGNING_CERTIFICATE_V2)
        .first()
        .and_then(|a| a.decode_as::<SigningCertificateV2>().ok())
        .and_then(|s| s.certs.first().cloned())
        .map(|id| {
            id.hash_algorithm.map(|a| a.oid).unwrap_or(ID_SHA256) == ID_SHA256
                && id.cert_hash.as_bytes() == leaf_hash.as_slice()
        })
        .unwrap_or(false);
    if !ess_ok {
        report
            .problems
            .push("signing-certificate-v2 missing or not matching the signer".into());
    }
    if has_signing_time {
        report
            .problems
            .push("signing-time attribute present (not allowed in PAdES baseline)".into());
    }
    if !content_type_ok {
        report
            .problems
            .push("content-type attribute is not id-data".into());
    }
    report.level = if report.sub_filter == "ETSI.CAdES.detached"
        && ess_ok
        && !has_signing_time
        && content_type_ok
        && report.signing_time.is_some()
    {
        "PAdES-B-B".into()
    } else {
        "CMS".into()
    };

    // Trust.
    let at = report
        .signing_time
        .as_deref()
        .and_then(parse_pdf_date)
        .unwrap_or_else(Utc::now);
    match chain_to_anchor(&leaf, &certs, anchors, at) {
        Ok(()) => report.trusted = true,
        Err(problem) => report.problems.push(problem),
    }
}

/// B-T: the unsigned attribute id-aa-signatureTimeStampToken holds a token over SHA-256 of
/// the signature value, its signature verifies, and its TSA chains to a trust anchor at genTime.
fn check_signature_timestamp(
    signed_data: &SignedData,
    anchors: &[Certificate],
    report: &mut SignatureReport,
    needs: &mut Vec<Certificate>,
) {
    let Some(signer_info) = signed_data.signer_infos.0.iter().next() else {
        return;
    };
    let tokens: Vec<&der::asn1::Any> = signer_info
        .unsigned_attrs
        .as_ref()
        .map(|attrs| cms_build::attribute_value(attrs, ID_AA_SIGNATURE_TIME_STAMP_TOKEN))
        .unwrap_or_default();
    let Some(token) = tokens.first() else {
        report
            .higher_level_missing
            .push("PAdES-B-T: no signature timestamp".into());
        return;
    };
    let imprint = Sha256::digest(signer_info.signature.as_bytes());
    let checked = token
        .to_der()
        .map_err(|e| TimestampError::Malformed(e.to_string()))
        .and_then(|der| super::timestamp::verify_token(&der, &imprint));
    let info = match checked {
        Ok(info) => info,
        Err(e) => {
            let problem = format!("signature timestamp invalid: {e}");
            report.problems.push(problem.clone());
            report
                .higher_level_missing
                .push(format!("PAdES-B-T: {problem}"));
            return;
        }
    };
    report.timestamp_authority = Some(info.tsa_certificate.tbs_certificate.subject.to_string());
    for warning in &info.warnings {
        report
            .problems
            .push(format!("signature timestamp: {warning}"));
    }
    if let Err(problem) = chain_to_anchor(
        &info.tsa_certificate,
        &info.certificates,
        anchors,
        info.gen_time,
    ) {
        let problem = format!("signature timestamp not trusted: {problem}");
        report.problems.push(problem.clone());
        report
            .higher_level_missing
            .push(format!("PAdES-B-T: {problem}"));
        return;
    }
    if !info.warnings.is_empty() {
        report
            .higher_level_missing
            .push("PAdES-B-T: the TSA certificate is not a timestamping certificate".into());
        return;
    }
    report.timestamp_time = Some(info.gen_time.to_rfc3339());
    needs.extend(info.certificates.iter().cloned());
    report.level = "PAdES-B-T".into();
}

/// The SignerInfo signature over the DER SET of its signed attributes.
pub(crate) fn signer_signature_ok(
    signer_info: &SignerInfo,
    leaf: &Certificate,
    attrs: &cms::signed_data::SignedAttributes,
    problems: &mut Vec<String>,
) -> bool {
    let spki = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .unwrap_or_default();
    let message = match attrs.to_der() {
        Ok(m) => m,
        Err(e) => {
            problems.push(format!("signed attributes unreadable: {e}"));
            return false;
        }
    };
    let signature = signer_info.signature.as_bytes();
    match signer_info.signature_algorithm.oid {
        oid if oid == ECDSA_WITH_SHA256 => verify_ecdsa_p256(&spki, &message, signature),
        oid if oid == SHA256_WITH_RSA || oid == RSA_ENCRYPTION => {
            verify_rsa_pkcs1_sha256(&spki, &message, signature)
        }
        other => {
            problems.push(format!("unsupported signature algorithm {other}"));
            false
        }
    }
}

pub(crate) fn find_signer_cert(
    signer_info: &SignerInfo,
    certs: &[Certificate],
) -> Option<Certificate> {
    certs
        .iter()
        .find(|c| match &signer_info.sid {
            SignerIdentifier::IssuerAndSerialNumber(ias) => {
                c.tbs_certificate.issuer == ias.issuer
                    && c.tbs_certificate.serial_number == ias.serial_number
            }
            SignerIdentifier::SubjectKeyIdentifier(ski) => subject_key_identifier(c)
                .map(|k| k == ski.0.as_bytes())
                .unwrap_or(false),
        })
        .cloned()
}

fn subject_key_identifier(cert: &Certificate) -> Option<Vec<u8>> {
    cert.tbs_certificate
        .extensions
        .as_ref()?
        .iter()
        .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_KEY_IDENTIFIER)
        .and_then(|e| der::asn1::OctetString::from_der(e.extn_value.as_bytes()).ok())
        .map(|o| o.as_bytes().to_vec())
}

fn valid_at(cert: &Certificate, at: DateTime<Utc>) -> bool {
    let validity = &cert.tbs_certificate.validity;
    let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let now = at.timestamp();
    secs(&validity.not_before) <= now && now <= secs(&validity.not_after)
}

pub(crate) fn chain_to_anchor(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Certificate],
    at: DateTime<Utc>,
) -> Result<(), String> {
    if anchors.is_empty() {
        return Err("no trust anchors given".into());
    }
    let mut current = leaf.clone();
    for _ in 0..MAX_CHAIN_LENGTH {
        if !valid_at(&current, at) {
            return Err(format!(
                "certificate {} not valid at signing time",
                current.tbs_certificate.subject
            ));
        }
        if anchors.contains(&current) {
            return Ok(());
        }
        let issuer_name = &current.tbs_certificate.issuer;
        let candidates = anchors
            .iter()
            .map(|a| (a, true))
            .chain(pool.iter().map(|c| (c, false)))
            .filter(|(c, _)| &c.tbs_certificate.subject == issuer_name && *c != &current);
        let mut next = None;
        for (candidate, is_anchor) in candidates {
            if cert_signed_by(&current, candidate) {
                next = Some((candidate.clone(), is_anchor));
                break;
            }
        }
        match next {
            Some((anchor, true)) => {
                return if valid_at(&anchor, at) {
                    Ok(())
                } else {
                    Err("trust anchor not valid at signing time".into())
                }
            }
            Some((intermediate, false)) => current = intermediate,
            None => {
                return Err(format!(
                    "no trusted issuer found for {}",
                    current.tbs_certificate.subject
                ))
            }
        }
    }
    Err("certificate chain too long".into())
}

fn cert_signed_by(cert: &Certificate, issuer: &Certificate) -> bool {
    let Ok(tbs) = cert.tbs_certificate.to_der() else {
        return false;
    };
    let Ok(spki) = issuer.tbs_certificate.subject_public_key_info.to_der() else {
        return false;
    };
    let Some(signature) = cert.signature.as_bytes() else {
        return false;
    };
    match cert.signature_algorithm.oid {
        oid if oid == ECDSA_WITH_SHA256 => verify_ecdsa_p256(&spki, &tbs, signature),
        oid if oid == SHA256_WITH_RSA => verify_rsa_pkcs1_sha256(&spki, &tbs, signature),
        _ => false,
    }
}

/// ECDSA P-256 with SHA-256 over `message`; `signature` is DER Ecdsa-Sig-Value.
pub(crate) fn verify_ecdsa_p256(spki_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use p256::pkcs8::DecodePublicKey;
    use signature::Verifier;
    let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(spki_der) else {
        return false;
    };
    let Ok(sig) = p256::ecdsa::Signature::from_der(signature) else {
        return false;
    };
    key.verify(message, &sig).is_ok()
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `message`.
pub(crate) fn verify_rsa_pkcs1_sha256(spki_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use rsa::pkcs8::DecodePublicKey;
    use signature::Verifier;
    let Ok(key) = rsa::RsaPublicKey::from_public_key_der(spki_der) else {
        return false;
    };
    let Ok(sig) = rsa::pkcs1v15::Signature::try_from(signature) else {
        return false;
    };
    rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
        .verify(message, &sig)
        .is_ok()
}

fn name_value(dict: &Dictionary, key: &[u8]) -> Option<String> {
    match dict.get(key) {
        Ok(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// Parse `D:YYYYMMDDHHmmSS` with optional `Z` or `+HH'mm'` offset.
pub(crate) fn parse_pdf_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.strip_prefix("D:").unwrap_or(s);
    let digits: String = s.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.len() < 4 {
        return None;
    }
    let field = |from: usize, len: usize, default: u32| -> Option<u32> {
        if digits.len() >= from + len {
            digits[from..from + len].parse().ok()
        } else {
            Some(default)
        }
    };
    let date =
        NaiveDate::from_ymd_opt(digits[..4].parse().ok()?, field(4, 2, 1)?, field(6, 2, 1)?)?;
    let naive = date.and_hms_opt(field(8, 2, 0)?, field(10, 2, 0)?, field(12, 2, 0)?)?;
    let rest = &s[digits.len()..];
    let offset_secs = match rest.chars().next() {
        Some(sign @ ('+' | '-')) => {
            let nums: String = rest[1..].chars().filter(|c| c.is_ascii_digit()).collect();
            let hours: i32 = nums.get(..2)?.parse().ok()?;
            let minutes: i32 = nums.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            let total = hours * 3600 + minutes * 60;
            if sign == '-' {
                -total
            } else {
                total
            }
        }
        _ => 0,
    };
    let offset = chrono::FixedOffset::east_opt(offset_secs)?;
    offset
        .from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_dates_parse() {
        assert_eq!(
            parse_pdf_date("D:20261123140500Z").unwrap().to_rfc3339(),
            "2026-11-23T14:05:00+00:00"
        );
        assert_eq!(
            parse_pdf_date("D:20261123140500+01'00'")
                .unwrap()
                .to_rfc3339(),
            "2026-11-23T13:05:00+00:00"
        );
        assert!(parse_pdf_date("garbage").is_none());
    }

    #[test]
    fn hostile_byte_ranges_are_rejected() {
        assert!(checked_ranges(&[0, 10, 5, 1], 100).is_none());
        assert!(checked_ranges(&[0, 10, 20, 200], 100).is_none());
        assert!(checked_ranges(&[0, -1, 20, 2], 100).is_none());
        assert!(checked_ranges(&[0, i64::MAX, 20, 2], 100).is_none());
        assert!(checked_ranges(&[0, 10, 20, 80], 100).is_some());
    }

    #[tokio::test]
    async fn document_timestamp_over_a_seal_is_verified() {
        use crate::pdf::test_support::*;
        use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
        let dir = temp_dir("verify-doc-ts");
        let pki = TestPki::new();
        let original = fixture(FIXTURE_2B);
        let page = sample_page("Justerat digitalt");
        let sealed = crate::pdf::seal::seal(
            &original,
            crate::pdf::SealRequest {
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                timestamp: None,
                level: crate::domain::SealLevel::BB,
                revocation: None,
                attachments: &[],
            },
            &pki.signer,
        )
        .await
        .unwrap();
        // An RSA TSA certificate from our PKI (pyHanko's dummy TSA is RSA-only).
        let key_path = dir.join("tsa-key.pem");
        let out = run(
            &tool("ESIGN_OPENSSL", "openssl"),
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                key_path.to_str().unwrap(),
            ],
        );
        assert!(out.status.success());
        let private =
            rsa::RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&key_path).unwrap())
                .unwrap();
        let spki = private.to_public_key().to_public_key_der().unwrap();
        let tsa_cert = pki
            .root
            .issue_tsa_cert(
                &esign_world::pki::SubjectName {
                    common_name: "Test-TSA".into(),
                    organization: "Örebro kommun".into(),
                    organization_identifier: None,
                    country: "SE".into(),
                },
                spki.as_bytes(),
                now(),
            )
            .unwrap();
        let cert_path = dir.join("tsa-cert.pem");
        std::fs::write(&cert_path, crate::x509::pem_encode_cert(&tsa_cert)).unwrap();
        let stamped = add_document_timestamp(&sealed, &cert_path, &key_path, &dir);
        assert!(stamped.starts_with(&sealed));

        let report = verify(&stamped, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert_eq!(report.signatures.len(), 2, "{report:?}");
        let seal = &report.signatures[0];
        assert_eq!(seal.level, "PAdES-B-B");
        assert!(seal.intact && seal.signature_valid && seal.trusted && seal.covers_whole_revision);
        let ts = &report.signatures[1];
        assert_eq!(ts.level, "DocTimeStamp", "{ts:?}");
        assert_eq!(ts.sub_filter, "ETSI.RFC3161");
        assert!(
            ts.intact && ts.signature_valid && ts.trusted && ts.covers_whole_revision,
            "{ts:?}"
        );
        assert!(ts.signer_subject.contains("Test-TSA"));

        // pyHanko agrees about the seal under the LTA update.
        let path = dir.join("stamped.pdf");
        let (code, out) = pyhanko_validate(&path, &pki.write_root_pem(&dir));
        assert_eq!(code, 0, "{out}");
        assert!(
            out.contains(":INTACT:TRUSTED,EXTENDED_WITH_LTA_UPDATES"),
            "{out}"
        );

        // Tampering inside the original breaks both.
        let mut tampered = stamped.clone();
        tampered[original.len() / 2] ^= 0x01;
        let report = verify(&tampered, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        assert!(report.signatures.iter().all(|s| !s.intact), "{report:?}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn garbage_never_panics() {
        for input in [
            b"".as_slice(),
            b"%PDF-1.7\n",
            b"%PDF-1.7\n1 0 obj << /Type /Catalog /AcroForm << /Fields [2 0 R] >> >> endobj\n2 0 obj << /FT /Sig /V << /ByteRange [0 1 2 99999999999] /Contents <3082> >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF",
        ] {
            let _ = verify(input, &[]);
        }
    }
}
