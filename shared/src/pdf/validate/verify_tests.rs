//! The verifier on hand-made and sealed documents.

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
    use rsa::pkcs8::EncodePublicKey;
    let dir = temp_dir("verify-doc-ts");
    let pki = TestPki::new();
    let original = fixture(FIXTURE_2B);
    let page = sample_page("Justerat digitalt");
    let sealed = crate::pdf::sign::seal::seal(
        &original,
        crate::pdf::test_support::b_b_request(&page),
        &pki.signer,
    )
    .await
    .unwrap();
    // An RSA TSA certificate from our PKI (pyHanko's dummy TSA is RSA-only).
    let (key_path, private) = rsa_key(&dir);
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
