//! Verify every signature field of the final revision: ByteRange digest vs CMS
//! message-digest, the CMS signature over the signed attributes, and the certificate path to a
//! trust anchor (the x509 module's) at the claimed signing time, or a timestamp's genTime.
//! Never panics on hostile input.

mod dss;
mod signed_file;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use crate::error::ErrorText;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use cms::signed_data::SignedData;
use der::Encode;
use lopdf::{Dictionary, Object};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::random_access::Source;
use super::signed_data::{
    self, SigningCertificateV2, ID_AA_SIGNATURE_TIME_STAMP_TOKEN, ID_AA_SIGNING_CERTIFICATE_V2,
    ID_CONTENT_TYPE, ID_DATA, ID_MESSAGE_DIGEST, ID_SHA256, ID_SIGNING_TIME,
};
use super::timestamp::TimestampError;
use super::update::decode_text_string;
use super::PdfError;
use crate::x509::{parse_tst_info, validate_path, Purpose};
use signed_file::SignedFile;

use super::fields::signature_fields_with;
use super::signed_data::{find_signer_cert, signer_signature_ok};

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
    /// Until when the timestamp (a document timestamp's own, or a seal's signature timestamp)
    /// proves existence by itself (RFC 3339): the earliest notAfter among the certificates its
    /// token carries. Before then a newer document timestamp must cover it (LTA renewal).
    #[serde(default)]
    pub proof_until: Option<String>,
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

    /// True when there is at least one signature and every one is intact, cryptographically
    /// valid and chains to a trust anchor: what an archive package may claim.
    pub fn all_hold(&self) -> bool {
        !self.signatures.is_empty()
            && self
                .signatures
                .iter()
                .all(|s| s.intact && s.signature_valid && s.trusted)
    }
}

/// Verify a PDF held in memory.
pub fn verify(bytes: &[u8], trust_anchors_der: &[Vec<u8>]) -> Result<VerifyReport, PdfError> {
    verify_source(std::io::Cursor::new(bytes), trust_anchors_der)
}

/// Verify the PDF at `path`, reading it on demand: memory does not grow with its size.
pub fn verify_file(path: &Path, trust_anchors_der: &[Vec<u8>]) -> Result<VerifyReport, PdfError> {
    let file = std::io::BufReader::new(std::fs::File::open(path)?);
    verify_source(file, trust_anchors_der)
}

fn verify_source(src: impl Source, anchors: &[Vec<u8>]) -> Result<VerifyReport, PdfError> {
    let mut file = SignedFile::new(src)?;
    let (fields, dss) = {
        let mut pdf = file.newest()?;
        let Some(catalog) = signed_file::catalog(&mut pdf) else {
            return Err(PdfError::Unreadable("the document has no catalog".into()));
        };
        let fields = signature_fields_with(&catalog, &mut |id| pdf.get(id).ok());
        let dss = dss::read_dss(&mut pdf, &catalog);
        (fields, dss)
    };
    let mut signatures = Vec::new();
    let mut needs = Vec::new();
    for (name, sig) in fields {
        let (report, need) = catch_unwind(AssertUnwindSafe(|| {
            verify_one(&mut file, &name, &sig, anchors)
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
            dss::long_term_levels(&mut file, i, &mut signatures, &needs[i], dss.as_ref());
        }
    }
    Ok(VerifyReport { signatures })
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
        proof_until: None,
        problems: vec![problem.to_string()],
    }
}

/// The report, and the certificates whose revocation data B-LT needs (the signer's and the
/// signature timestamp's).
fn verify_one<S: Source>(
    file: &mut SignedFile<S>,
    name: &str,
    sig: &Dictionary,
    anchors: &[Vec<u8>],
) -> (SignatureReport, Vec<Certificate>) {
    let mut needs = Vec::new();
    let report = verify_one_into(file, name, sig, anchors, &mut needs);
    (report, needs)
}

fn verify_one_into<S: Source>(
    file: &mut SignedFile<S>,
    name: &str,
    sig: &Dictionary,
    anchors: &[Vec<u8>],
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
    let Some(ranges) = checked_ranges(&byte_range, file.len) else {
        report
            .problems
            .push("ByteRange missing or out of bounds".into());
        return report;
    };
    let (covers, digest) = match covers_whole_revision(file, &ranges)
        .and_then(|covers| Ok((covers, file.digest(&ranges)?)))
    {
        Ok(read) => read,
        Err(e) => {
            report
                .problems
                .push(format!("the file could not be read: {e}"));
            return report;
        }
    };
    report.covers_whole_revision = covers;
    report.revision_length = ranges[1].0 + ranges[1].1;
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
    let signed_data = match signed_data::parse_signed_data(&contents) {
        Ok(sd) => sd,
        Err(e) => {
            report.problems.push(format!("CMS unreadable: {e}"));
            return report;
        }
    };
    if report.sub_filter == "ETSI.RFC3161" {
        check_document_timestamp(&digest, &signed_data, anchors, &mut report);
    } else {
        check_signed_data(&digest, &signed_data, anchors, &mut report);
        needs.extend(signed_data::certificates_of(&signed_data));
        if report.level == "PAdES-B-B" {
            check_signature_timestamp(&signed_data, anchors, &mut report, needs);
        }
    }
    report
}

/// A document timestamp (/Type /DocTimeStamp, ETSI.RFC3161): the TSTInfo messageImprint must
/// equal the ByteRange digest; the token's own CMS signature and TSA chain are checked.
fn check_document_timestamp(
    digest: &[u8; 32],
    signed_data: &SignedData,
    anchors: &[Vec<u8>],
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
    let Ok(tst) = parse_tst_info(&tst_info_der) else {
        report.problems.push("TSTInfo unreadable".into());
        return;
    };
    report.signing_time = Some(tst.gen_time_text.clone());
    report.intact = tst.imprint_algorithm == ID_SHA256 && tst.imprint == digest[..];
    if !report.intact {
        report
            .problems
            .push("document digest does not match the timestamp's messageImprint".into());
    }
    let certs = signed_data::certificates_of(signed_data);
    report.proof_until = proof_until(&certs);
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
        && signed_data::attribute_value(attrs, ID_MESSAGE_DIGEST)
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
    match trusted(&leaf, &certs, anchors, tst.gen_time, Purpose::TimeStamping) {
        Ok(()) => report.trusted = true,
        Err(problem) => report.problems.push(problem),
    }
}

/// [(start, len), (start, len)] when the ByteRange is 4 non-negative in-bounds integers.
fn checked_ranges(byte_range: &[i64], file_len: u64) -> Option<[(u64, u64); 2]> {
    if byte_range.len() != 4 || byte_range.iter().any(|v| *v < 0) {
        return None;
    }
    let v: Vec<u64> = byte_range.iter().map(|x| *x as u64).collect();
    let first_end = v[0].checked_add(v[1])?;
    let second_end = v[2].checked_add(v[3])?;
    if first_end > v[2] || second_end > file_len {
        return None;
    }
    Some([(v[0], v[1]), (v[2], v[3])])
}

/// The ByteRange starts the file, leaves out exactly the /Contents hex string, and ends its
/// revision at `%%EOF`.
fn covers_whole_revision<S: Source>(
    file: &mut SignedFile<S>,
    ranges: &[(u64, u64); 2],
) -> Result<bool, PdfError> {
    let [(start, first_len), (second_start, second_len)] = *ranges;
    if start != 0 || second_start < first_len + 2 {
        return Ok(false);
    }
    Ok(file.is_hex_string(first_len, second_start)?
        && file.revision_ends_with_eof(second_start + second_len)?)
}

fn check_signed_data(
    digest: &[u8; 32],
    signed_data: &SignedData,
    anchors: &[Vec<u8>],
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
    let certs = signed_data::certificates_of(signed_data);
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
    let message_digests = signed_data::attribute_value(attrs, ID_MESSAGE_DIGEST);
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
    let content_type_ok = signed_data::attribute_value(attrs, ID_CONTENT_TYPE)
        .first()
        .and_then(|a| a.decode_as::<der::asn1::ObjectIdentifier>().ok())
        == Some(ID_DATA);
    let has_signing_time = !signed_data::attribute_value(attrs, ID_SIGNING_TIME).is_empty();
    let leaf_hash = leaf
        .to_der()
        .map(|d| Sha256::digest(d).to_vec())
        .unwrap_or_default();
    let ess_ok = signed_data::attribute_value(attrs, ID_AA_SIGNING_CERTIFICATE_V2)
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
    match trusted(&leaf, &certs, anchors, at, Purpose::Signing) {
        Ok(()) => report.trusted = true,
        Err(problem) => report.problems.push(problem),
    }
}

/// B-T: the unsigned attribute id-aa-signatureTimeStampToken holds a token over SHA-256 of
/// the signature value, its signature verifies, and its TSA chains to a trust anchor at genTime.
fn check_signature_timestamp(
    signed_data: &SignedData,
    anchors: &[Vec<u8>],
    report: &mut SignatureReport,
    needs: &mut Vec<Certificate>,
) {
    let Some(signer_info) = signed_data.signer_infos.0.iter().next() else {
        return;
    };
    let tokens: Vec<&der::asn1::Any> = signer_info
        .unsigned_attrs
        .as_ref()
        .map(|attrs| signed_data::attribute_value(attrs, ID_AA_SIGNATURE_TIME_STAMP_TOKEN))
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
    if let Err(problem) = trusted(
        &info.tsa_certificate,
        &info.certificates,
        anchors,
        info.gen_time,
        Purpose::TimeStamping,
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
    report.proof_until = proof_until(&info.certificates);
    needs.extend(info.certificates.iter().cloned());
    report.level = "PAdES-B-T".into();
}

/// The earliest notAfter among `certs` (RFC 3339): until then a timestamp whose token carries
/// them proves existence by itself.
fn proof_until(certs: &[Certificate]) -> Option<String> {
    crate::x509::earliest_not_after(certs).map(|t| t.to_rfc3339())
}

/// Whether `leaf` has a valid path through `pool` to one of `anchors` at `at`, for `purpose`;
/// the reason as a report problem when not.
fn trusted(
    leaf: &Certificate,
    pool: &[Certificate],
    anchors: &[Vec<u8>],
    at: DateTime<Utc>,
    purpose: Purpose,
) -> Result<(), String> {
    let der = |c: &Certificate| {
        c.to_der()
            .map_err(|e| format!("certificate unreadable: {e}"))
    };
    let pool = pool.iter().map(der).collect::<Result<Vec<_>, _>>()?;
    validate_path(&der(leaf)?, &pool, anchors, at, purpose)
        .map(|_| ())
        .map_err(|e| e.message_en())
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
#[path = "verify_tests.rs"]
mod tests;
