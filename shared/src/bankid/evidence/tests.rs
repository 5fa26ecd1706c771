//! The verifier on BankID's real test-environment signature and edits of it.

use super::*;
use crate::error::ErrorText;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use chrono::TimeZone;

/// BankID's real test-environment signature (see testdata/SAMPLE-SIGNATURE-README.md).
const SAMPLE_B64: &str = include_str!("../testdata/sample-signature.b64");

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
    let err = verify_signature_xml(SAMPLE_B64, &[], None, signing_time()).expect_err("no anchor");
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
