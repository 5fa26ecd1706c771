//! `esign bankid-evidence verify FILE [--at RFC3339]`: verifies a BankID evidence file and
//! describes the result as a JSON report.
//!
//! The file is one of
//! - a bare `completionData.signature` (base64 of the XMLDSig, whitespace allowed; raw XML is
//!   accepted too): the signature is verified as of `at` (default: now). Without an OCSP
//!   response there is no signing time in it, so a signature whose certificates have expired
//!   needs `--at` (BankID's own sample: 2022-09-14);
//! - a JSON evidence file as the app stores it (`{"completion_data": {...}, "user_visible_data",
//!   "user_non_visible_data", ...}`), also a bare `completionData` or a whole collect response
//!   (`{"completionData": {...}}`): the OCSP response and the signature are verified together,
//!   as of the OCSP response's `producedAt`, and the signed texts are compared with
//!   `user_visible_data` / `user_non_visible_data` when the file has them.
//!
//! Trust: with `trust_anchors_der` the chain must reach one of them. Without, the chain is
//! anchored at the last CA certificate the signature itself carries (the bank CA; BankID does not
//! include its root), and the report says so: that proves the signature and the chain up to that
//! CA, not that the CA is BankID's.
//!
//! Garbage in gives an invalid report, never a panic.

use std::panic::{catch_unwind, AssertUnwindSafe};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use der::Encode;
use serde_json::{json, Map, Value};

use crate::bankid::evidence::{
    key_info_certificates, verify_completion, verify_signature_xml, EvidenceError, EvidenceReport,
    ExpectedEvidence,
};
use crate::error::ErrorText;
use crate::x509::is_ca;

/// The wording the report uses when the chain was anchored at the CA the signature carries.
pub const CARRIED_CA_NOTE: &str = "chain checked up to the bank CA it carries";

/// Verifies the evidence in `bytes` (see the module docs) and returns `(report, valid)`.
pub fn verify_evidence_file(
    bytes: &[u8],
    at: Option<DateTime<Utc>>,
    trust_anchors_der: &[Vec<u8>],
) -> (Value, bool) {
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        verify_inner(bytes, at, trust_anchors_der)
    }));
    let mut report = match outcome {
        Ok(Ok(report)) => report,
        Ok(Err(message)) => invalid_report(&message),
        Err(_) => invalid_report("the verifier failed on this input"),
    };
    let valid = report.get("valid").and_then(Value::as_bool) == Some(true);
    if let Some(object) = report.as_object_mut() {
        object.insert("valid".into(), Value::Bool(valid));
    }
    (report, valid)
}

fn invalid_report(message: &str) -> Value {
    json!({
        "valid": false,
        "error": message,
    })
}

fn verify_inner(
    bytes: &[u8],
    at: Option<DateTime<Utc>>,
    trust_anchors_der: &[Vec<u8>],
) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "the file is neither JSON nor base64 text (not UTF-8)".to_string())?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err("the file is empty".into());
    }
    if text.starts_with('{') {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("the file is not valid JSON: {e}"))?;
        return verify_json(&value, at, trust_anchors_der);
    }
    let signature_b64 = if text.starts_with('<') {
        BASE64.encode(text.as_bytes())
    } else {
        text.to_string()
    };
    verify_bare_signature(&signature_b64, at, trust_anchors_der)
}

/// The trust anchors to use and how the report describes them.
fn anchors_for(
    signature_b64: &str,
    trust_anchors_der: &[Vec<u8>],
) -> Result<(Vec<Vec<u8>>, Value), String> {
    if !trust_anchors_der.is_empty() {
        return Ok((
            trust_anchors_der.to_vec(),
            json!({
                "anchored_at": "configured trust anchors",
                "trust_anchors": trust_anchors_der.len(),
            }),
        ));
    }
    let certs = key_info_certificates(signature_b64).map_err(|e| e.to_string())?;
    let carried = certs
        .iter()
        .skip(1)
        .rev()
        .find(|c| is_ca(c))
        .ok_or_else(|| {
            "no trust anchor was given and the signature carries no CA certificate".to_string()
        })?;
    let der = carried
        .to_der()
        .map_err(|e| format!("carried CA certificate: {e}"))?;
    Ok((
        vec![der],
        json!({
            "anchored_at": "carried CA certificate",
            "note": format!(
                "{CARRIED_CA_NOTE}: {} (no trust anchor was given: this shows the signature \
                 and the chain up to that CA, not that the CA belongs to BankID)",
                carried.tbs_certificate.subject
            ),
            "anchor_subject": carried.tbs_certificate.subject.to_string(),
        }),
    ))
}

fn verify_bare_signature(
    signature_b64: &str,
    at: Option<DateTime<Utc>>,
    trust_anchors_der: &[Vec<u8>],
) -> Result<Value, String> {
    let (time, time_source) = match at {
        Some(at) => (at, "given (--at)"),
        None => (Utc::now(), "now (no --at given)"),
    };
    let (anchors, trust) = anchors_for(signature_b64, trust_anchors_der)?;
    let result = verify_signature_xml(signature_b64, &anchors, None, time);
    let mut report = report_from(result);
    insert(&mut report, "input", json!("completionData.signature"));
    insert(&mut report, "verified_at", json!(rfc3339(time)));
    insert(&mut report, "time_source", json!(time_source));
    insert(&mut report, "trust", trust);
    insert(
        &mut report,
        "not_checked",
        json!([
            "OCSP status (a bare signature has no OCSP response)",
            "the signed texts against what was sent (a bare signature has no record of it)"
        ]),
    );
    Ok(report)
}

fn verify_json(
    value: &Value,
    at: Option<DateTime<Utc>>,
    trust_anchors_der: &[Vec<u8>],
) -> Result<Value, String> {
    let completion = value
        .get("completion_data")
        .or_else(|| value.get("completionData"))
        .unwrap_or(value);
    let field = |name: &str| -> Result<&str, String> {
        completion
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the evidence has no completion_data.{name} string"))
    };
    let signature = field("signature")?;
    let ocsp = field("ocspResponse")?;
    let claimed_pnr = completion
        .get("user")
        .and_then(|u| u.get("personalNumber"))
        .and_then(Value::as_str);
    let visible = value.get("user_visible_data").and_then(Value::as_str);
    let non_visible = value.get("user_non_visible_data").and_then(Value::as_str);
    let (anchors, trust) = anchors_for(signature, trust_anchors_der)?;
    let expected = match (claimed_pnr, visible) {
        (Some(personal_number), Some(visible)) => Some(ExpectedEvidence {
            personal_number,
            user_visible_data_b64: visible,
            user_non_visible_data_b64: non_visible.filter(|s| !s.is_empty()),
        }),
        _ => None,
    };
    let result = verify_completion(signature, ocsp, &anchors, expected.as_ref());
    let mut report = report_from(result);
    insert(&mut report, "input", json!("evidence JSON"));
    insert(
        &mut report,
        "time_source",
        json!("the OCSP response's producedAt (the signing time BankID vouches for)"),
    );
    if let Some(at) = at {
        insert(
            &mut report,
            "note_at",
            json!(format!(
                "--at {} ignored: evidence with an OCSP response is checked as of its producedAt",
                rfc3339(at)
            )),
        );
    }
    insert(&mut report, "trust", trust);
    let mut not_checked = Vec::new();
    if expected.is_none() {
        not_checked.push(
            "the signed texts and personal number against what was sent (the file has no \
             user_visible_data or completion_data.user.personalNumber)",
        );
    } else {
        insert(
            &mut report,
            "compared",
            json!("personal number with completion_data.user.personalNumber; usrVisibleData and usrNonVisibleData with user_visible_data and user_non_visible_data"),
        );
    }
    insert(&mut report, "not_checked", json!(not_checked));
    for key in [
        "order_ref",
        "tenant",
        "order_id",
        "order_version",
        "signer_id",
        "received_at",
    ] {
        if let Some(v) = value.get(key) {
            insert(&mut report, key, v.clone());
        }
    }
    Ok(report)
}

fn report_from(result: Result<EvidenceReport, EvidenceError>) -> Value {
    match result {
        Ok(report) => describe(&report, true),
        Err(EvidenceError::ChecksFailed(report)) => describe(&report, false),
        Err(error) => json!({
            "valid": false,
            "error": error.to_string(),
            "error_code": error.code(),
        }),
    }
}

fn describe(report: &EvidenceReport, valid: bool) -> Value {
    let checks: Vec<Value> = report
        .checks
        .iter()
        .map(|(name, passed)| json!({"check": name, "passed": passed}))
        .collect();
    let failed: Vec<&str> = report
        .checks
        .iter()
        .filter(|(_, ok)| !ok)
        .map(|(name, _)| name.as_str())
        .collect();
    let decoded = |b64: &Option<String>| {
        b64.as_deref()
            .and_then(|b| BASE64.decode(b).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
    };
    let mut object = Map::new();
    object.insert("valid".into(), json!(valid && report.all_passed()));
    object.insert("personal_number".into(), json!(report.personal_number));
    object.insert("name".into(), json!(report.name));
    object.insert("signed_at".into(), json!(report.signed_at.map(rfc3339)));
    object.insert("func_id".into(), json!(report.func_id));
    object.insert("signature_method".into(), json!(report.signature_method));
    object.insert(
        "certificate_chain".into(),
        json!(report.certificate_chain_subjects),
    );
    object.insert(
        "user_visible_text".into(),
        json!(decoded(&report.usr_visible_data_b64)),
    );
    object.insert(
        "user_non_visible_text".into(),
        json!(decoded(&report.usr_non_visible_data_b64)),
    );
    object.insert("checks".into(), Value::Array(checks));
    object.insert("failed_checks".into(), json!(failed));
    Value::Object(object)
}

fn insert(report: &mut Value, key: &str, value: Value) {
    if let Some(object) = report.as_object_mut() {
        object.insert(key.to_string(), value);
    }
}

fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SAMPLE_B64: &str = include_str!("testdata/sample-signature.b64");

    fn sample_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2022, 9, 14, 0, 0, 0)
            .single()
            .expect("date")
    }

    #[test]
    fn bankid_sample_is_valid_as_of_2022_09_14_up_to_the_carried_bank_ca() {
        let (report, valid) = verify_evidence_file(SAMPLE_B64.as_bytes(), Some(sample_time()), &[]);
        assert!(valid, "{report:#}");
        assert_eq!(report["valid"], true);
        assert_eq!(report["personal_number"], "191212121212");
        assert_eq!(report["name"], "Tolvan Tolvansson");
        assert_eq!(report["func_id"], "Identification");
        assert_eq!(report["user_visible_text"], "signeringstext");
        assert_eq!(report["user_non_visible_text"], "ej synlig");
        let note = report["trust"]["note"].as_str().expect("note");
        assert!(note.contains(CARRIED_CA_NOTE), "{note}");
        assert!(note.contains("Testbank A CA v1 for BankID Test"), "{note}");
        assert_eq!(report["failed_checks"], json!([]));
        // Raw XML with surrounding whitespace is the same evidence.
        let xml = BASE64
            .decode(SAMPLE_B64.split_whitespace().collect::<String>())
            .expect("b64");
        let mut padded = b"\n  ".to_vec();
        padded.extend_from_slice(&xml);
        assert!(verify_evidence_file(&padded, Some(sample_time()), &[]).1);
    }

    #[test]
    fn bankid_sample_is_invalid_today_and_under_a_foreign_anchor() {
        let (report, valid) = verify_evidence_file(SAMPLE_B64.as_bytes(), None, &[]);
        assert!(!valid);
        assert_eq!(report["valid"], false);
        assert!(
            !report["failed_checks"].as_array().expect("list").is_empty(),
            "{report:#}"
        );
        let other = esign_world::bankid::generate_simulator_ca(Utc::now()).expect("CA");
        let (report, valid) = verify_evidence_file(
            SAMPLE_B64.as_bytes(),
            Some(sample_time()),
            &other.chain_der[1..],
        );
        assert!(!valid, "{report:#}");
        assert_eq!(report["trust"]["anchored_at"], "configured trust anchors");
    }

    #[test]
    fn garbage_gives_an_invalid_report_not_a_panic() {
        let mut inputs: Vec<Vec<u8>> = vec![
            Vec::new(),
            b"   \n".to_vec(),
            vec![0xff, 0xfe, 0x00, 0x80],
            b"{".to_vec(),
            b"{}".to_vec(),
            b"[1,2]".to_vec(),
            br#"{"completion_data": 5}"#.to_vec(),
            br#"{"completion_data": {"signature": "AAAA", "ocspResponse": "AAAA"}}"#.to_vec(),
            br#"{"signature": 1, "ocspResponse": null}"#.to_vec(),
            b"not base64 at all!".to_vec(),
            BASE64.encode("<Signature>").into_bytes(),
            BASE64.encode([0u8; 64]).into_bytes(),
            b"<Signature xmlns=\"x\"><".to_vec(),
            "{".repeat(100_000).into_bytes(),
        ];
        // Every truncation of the sample.
        let sample = SAMPLE_B64.trim().as_bytes();
        for cut in (0..sample.len()).step_by(sample.len() / 40) {
            inputs.push(sample[..cut].to_vec());
        }
        for input in inputs {
            let (report, valid) = verify_evidence_file(&input, Some(sample_time()), &[]);
            assert!(!valid, "accepted {:?}", String::from_utf8_lossy(&input));
            assert_eq!(report["valid"], false);
            assert!(report.is_object());
        }
    }
}
