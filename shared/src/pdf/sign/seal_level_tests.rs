//! The seal above B-B: signature timestamps (B-T), the DSS with revocation data (B-LT) and the
//! document timestamp (B-LTA), each checked by the oracles; what is missing keeps a lower level
//! and says why.

use super::*;
use crate::error::ErrorText;
use crate::pdf::test_support::*;
use crate::pdf::timestamp::TimestampError;
use crate::pdf::validate::verify;

/// The signature timestamp token and the signature value it covers, from the seal's CMS.
fn signature_timestamp_of(sealed: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use der::Encode;
    let doc = crate::pdf::update::load_document(sealed).unwrap();
    let fields = crate::pdf::fields::signature_fields(&doc);
    let (_, sig) = fields.last().unwrap();
    let contents = sig.get(b"Contents").unwrap().as_str().unwrap();
    let signed_data = crate::pdf::signed_data::parse_signed_data(contents).unwrap();
    let signer_info = signed_data.signer_infos.0.iter().next().unwrap();
    let tokens = crate::pdf::signed_data::attribute_value(
        signer_info
            .unsigned_attrs
            .as_ref()
            .expect("unsigned attributes"),
        crate::pdf::signed_data::ID_AA_SIGNATURE_TIME_STAMP_TOKEN,
    );
    assert_eq!(tokens.len(), 1);
    (
        tokens[0].to_der().unwrap(),
        signer_info.signature.as_bytes().to_vec(),
    )
}

async fn seal_b_t(original: &[u8], pki: &TestPki, source: &dyn TimestampSource) -> Vec<u8> {
    let page = sample_page("Justerat digitalt – arkivexemplar");
    seal(
        original,
        SealRequest {
            reason: Some("Arkivexemplar fastställt".into()),
            location: Some("Örebro".into()),
            timestamp: Some(source),
            level: crate::domain::SealLevel::BT,
            ..b_b_request(&page)
        },
        &pki.signer,
    )
    .await
    .expect("B-T seal")
}

#[tokio::test]
async fn b_t_seal_with_local_tsa_over_http_validates_everywhere() {
    let dir = temp_dir("seal-b-t");
    let pki = TestPki::new();
    let tsa = std::sync::Arc::new(test_tsa(&pki).0);
    let url = serve(esign_world::tsa::router(tsa.clone())).await;
    let client = crate::pdf::timestamp::HttpTimestampClient::new(format!("{url}/tsa")).unwrap();
    let original = fixture(FIXTURE_2B);
    let before = chrono::Utc::now() - chrono::Duration::seconds(2);
    let sealed = seal_b_t(&original, &pki, &client).await;
    assert!(
        sealed.starts_with(&original),
        "original must be a byte-exact prefix"
    );
    let path = dir.join("sealed.pdf");
    std::fs::write(&path, &sealed).unwrap();
    let root_pem = pki.write_root_pem(&dir);

    let (code, out) = qpdf_check(&path);
    assert_eq!(code, 0, "qpdf --check: {out}");
    assert!(out.contains("No syntax or stream encoding errors"), "{out}");

    let (code, out) = pyhanko_validate(&path, &root_pem);
    assert_eq!(code, 0, "pyhanko: {out}");
    assert!(
        out.contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,UNTOUCHED"),
        "pyhanko: {out}"
    );
    let (code, pretty) = pyhanko_validate_with(&path, &root_pem, &["--pretty-print"]);
    assert_eq!(code, 0, "pyhanko --pretty-print: {pretty}");
    assert!(
        pretty.contains("The signature is judged VALID"),
        "pyhanko --pretty-print: {pretty}"
    );
    // pyHanko reads the same genTime as our verify, and trusts the TSA.
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    let gen_time = report.signatures[0]
        .timestamp_time
        .clone()
        .expect("genTime");
    for expected in [
        format!("Signature timestamp token: {gen_time}"),
        "The timestamp token is cryptographically sound.".to_string(),
        "TSA certificate subject: \"Common Name: Test-TSA Örebro".to_string(),
        "The TSA certificate is trusted.".to_string(),
    ] {
        assert!(
            pretty.contains(&expected),
            "{expected} not in pyhanko: {pretty}"
        );
    }

    let out = pdfsig(&path);
    assert_eq!(
        out.matches("Signature is Valid.").count(),
        1,
        "pdfsig: {out}"
    );
    assert!(!out.contains("Digest Mismatch"), "pdfsig: {out}");

    // openssl's TS verifier accepts the embedded token over our signature value.
    let (token, signature) = signature_timestamp_of(&sealed);
    std::fs::write(dir.join("token.der"), &token).unwrap();
    std::fs::write(dir.join("signature.bin"), &signature).unwrap();
    let tsa_pem = dir.join("tsa.pem");
    std::fs::write(
        &tsa_pem,
        crate::x509::pem_encode_cert(&tsa.certificate_chain_der()[0]),
    )
    .unwrap();
    let ts_verify = |data: &str| {
        let out = run(
            &tool("ESIGN_OPENSSL", "openssl"),
            &[
                "ts",
                "-verify",
                "-data",
                data,
                "-in",
                dir.join("token.der").to_str().unwrap(),
                "-token_in",
                "-CAfile",
                root_pem.to_str().unwrap(),
                "-untrusted",
                tsa_pem.to_str().unwrap(),
            ],
        );
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    };
    let text = ts_verify(dir.join("signature.bin").to_str().unwrap());
    assert!(
        text.contains("Verification: OK"),
        "openssl ts -verify: {text}"
    );
    std::fs::write(dir.join("other.bin"), b"not the signature").unwrap();
    let text = ts_verify(dir.join("other.bin").to_str().unwrap());
    assert!(
        !text.contains("Verification: OK"),
        "openssl ts -verify: {text}"
    );

    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures.len(), 1);
    let ours = &report.signatures[0];
    assert!(
        ours.intact && ours.signature_valid && ours.trusted,
        "{ours:?}"
    );
    assert_eq!(ours.level, "PAdES-B-T", "{ours:?}");
    assert!(ours.problems.is_empty(), "{:?}", ours.problems);
    let at = chrono::DateTime::parse_from_rfc3339(ours.timestamp_time.as_deref().unwrap()).unwrap();
    assert!(at >= before && at <= chrono::Utc::now(), "{at}");
    assert!(ours
        .timestamp_authority
        .as_deref()
        .unwrap()
        .contains("Test-TSA"));
    assert_eq!(ours.higher_level_missing, ["PAdES-B-LT: no DSS"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn b_t_seal_with_openssl_tsa_validates_in_pyhanko() {
    let dir = temp_dir("seal-b-t-openssl");
    let pki = TestPki::new();
    let (url, _tsa_pem) = esign_world::testkit::serve_openssl_tsa(&pki.root, &dir).await;
    let client = crate::pdf::timestamp::HttpTimestampClient::new(format!("{url}/tsa")).unwrap();
    let original = tiny_pdf("", &[]);
    let sealed = seal_b_t(&original, &pki, &client).await;
    assert!(sealed.starts_with(&original));
    let path = dir.join("sealed.pdf");
    std::fs::write(&path, &sealed).unwrap();
    let (code, out) = pyhanko_validate(&path, &pki.write_root_pem(&dir));
    assert_eq!(code, 0, "pyhanko: {out}");
    assert!(
        out.contains("TIMESTAMP_TOKEN<INTACT:TRUSTED>"),
        "pyhanko: {out}"
    );
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures[0].level, "PAdES-B-T", "{report:?}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn untrusted_or_missing_timestamp_stays_b_b_and_says_why() {
    let dir = temp_dir("seal-b-t-untrusted");
    let pki = TestPki::new();
    // A TSA from another PKI: the token is intact, but its chain reaches no trust anchor.
    let foreign = test_tsa(&TestPki::new());
    let original = tiny_pdf("", &[]);
    let sealed = seal_b_t(&original, &pki, &foreign).await;
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    let ours = &report.signatures[0];
    assert!(
        ours.intact && ours.signature_valid && ours.trusted,
        "{ours:?}"
    );
    assert_eq!(ours.level, "PAdES-B-B", "{ours:?}");
    assert!(ours.timestamp_time.is_none());
    assert!(
        ours.higher_level_missing[0].starts_with("PAdES-B-T: signature timestamp not trusted"),
        "{ours:?}"
    );
    let path = dir.join("sealed.pdf");
    std::fs::write(&path, &sealed).unwrap();
    let (_, out) = pyhanko_validate(&path, &pki.write_root_pem(&dir));
    assert!(
        out.contains("TIMESTAMP_TOKEN<INTACT:UNTRUSTED>"),
        "pyhanko: {out}"
    );

    // A B-B seal says B-T is missing for want of a timestamp.
    let plain = seal_b_b(&original, &pki.signer).await;
    let report = verify(&plain, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(
        report.signatures[0].higher_level_missing,
        ["PAdES-B-T: no signature timestamp"]
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// A source that returns a valid token over another digest: the seal refuses to embed it.
struct WrongDigestSource(crate::pdf::test_support::TestTsa);

#[async_trait::async_trait]
impl TimestampSource for WrongDigestSource {
    async fn timestamp(&self, _digest: [u8; 32]) -> Result<Vec<u8>, TimestampError> {
        self.0.timestamp([0xAB; 32]).await
    }
}

#[tokio::test]
async fn a_token_over_another_digest_is_not_embedded() {
    let pki = TestPki::new();
    let source = WrongDigestSource(test_tsa(&pki));
    let page = sample_page("x");
    let err = seal(
        &tiny_pdf("", &[]),
        SealRequest {
            timestamp: Some(&source),
            level: crate::domain::SealLevel::BT,
            ..b_b_request(&page)
        },
        &pki.signer,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "timestamp.imprint_mismatch", "{err}");
}

#[test]
fn b_t_seal_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let page = sample_page("x");
    let original = tiny_pdf("", &[]);
    let future = seal(
        &original,
        SealRequest {
            timestamp: Some(&tsa),
            level: crate::domain::SealLevel::BT,
            ..b_b_request(&page)
        },
        &pki.signer,
    );
    assert_send(&future);
}

#[tokio::test]
async fn b_lta_is_valid_long_term_for_pyhanko_and_valid_for_pdfsig_and_qpdf() {
    let dir = temp_dir("seal-lta");
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let original = fixture(FIXTURE_2B);
    let sealed = seal_at(&original, &pki.signer, SealLevel::BLTA, &tsa, &revocation)
        .await
        .unwrap();
    assert!(
        sealed.starts_with(&original),
        "the original is a byte-exact prefix"
    );
    let path = dir.join("lta.pdf");
    std::fs::write(&path, &sealed).unwrap();
    let root_pem = pki.write_root_pem(&dir);

    let (code, out) = qpdf_check(&path);
    assert_eq!(code, 0, "qpdf --check: {out}");
    let (code, out) = pyhanko_validate(&path, &root_pem);
    assert_eq!(code, 0, "pyhanko: {out}");
    assert!(
        out.lines().any(|l| l.starts_with("Sigill1:")
            && l.contains(":INTACT:TRUSTED")
            && l.contains("EXTENDED_WITH_LTA_UPDATES")),
        "pyhanko: {out}"
    );
    // Long-term: the DSS alone must carry what the validator needs (nothing to fetch).
    let (code, out) = pyhanko_adesverify(&path, &root_pem);
    assert_eq!(code, 0, "pyhanko adesverify: {out}");
    assert!(
        out.contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"),
        "pyhanko adesverify: {out}"
    );
    let out = pdfsig(&path);
    assert!(out.contains("Signature is Valid."), "pdfsig: {out}");
    assert!(!out.contains("Digest Mismatch"), "pdfsig: {out}");

    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    let seal = &report.signatures[0];
    assert_eq!(seal.level, "PAdES-B-LTA", "{seal:?}");
    assert!(seal.higher_level_missing.is_empty(), "{seal:?}");
    let ts = &report.signatures[1];
    assert_eq!(ts.level, "DocTimeStamp", "{ts:?}");
    assert!(
        ts.intact && ts.trusted && ts.covers_whole_revision,
        "{ts:?}"
    );
    assert_eq!(ts.revision_length, sealed.len() as u64);
    // Each timestamp says until when it proves existence: the TSA certificate's end.
    let tsa_cert = crate::pdf::signed_data::parse_cert(&tsa.certificate_chain_der()[0]).unwrap();
    let tsa_end = chrono::DateTime::<chrono::Utc>::from_timestamp(
        tsa_cert
            .tbs_certificate
            .validity
            .not_after
            .to_unix_duration()
            .as_secs() as i64,
        0,
    )
    .unwrap()
    .to_rfc3339();
    assert_eq!(ts.proof_until.as_deref(), Some(tsa_end.as_str()), "{ts:?}");
    assert_eq!(
        seal.proof_until.as_deref(),
        Some(tsa_end.as_str()),
        "{seal:?}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn b_lt_has_the_dss_and_says_why_it_is_not_b_lta() {
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let original = tiny_pdf("", &[]);
    let sealed = seal_at(&original, &pki.signer, SealLevel::BLT, &tsa, &revocation)
        .await
        .unwrap();
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures.len(), 1);
    let seal = &report.signatures[0];
    assert_eq!(seal.level, "PAdES-B-LT", "{seal:?}");
    assert_eq!(
        seal.higher_level_missing,
        vec!["PAdES-B-LTA: no valid document timestamp after the DSS".to_string()]
    );
    // Without the DSS revision it is B-T, and says so.
    let dss_at = sealed.windows(9).rposition(|w| w == b"startxref").unwrap();
    let before_dss = &sealed[..sealed[..dss_at]
        .windows(5)
        .rposition(|w| w == b"%%EOF")
        .unwrap()
        + 6];
    let report = verify(before_dss, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures[0].level, "PAdES-B-T");
    assert_eq!(
        report.signatures[0].higher_level_missing,
        vec!["PAdES-B-LT: no DSS".to_string()]
    );
}

#[tokio::test]
async fn a_revoked_seal_certificate_seals_nothing() {
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, registry) = test_revocation(&pki);
    let leaf = crate::x509::parse_cert(&pki.seal_cert_der).unwrap();
    registry
        .revoke(
            &crate::revocation::serial_hex(&leaf.tbs_certificate.serial_number),
            now(),
            None,
        )
        .unwrap();
    let err = seal_at(
        &tiny_pdf("", &[]),
        &pki.signer,
        SealLevel::BLTA,
        &tsa,
        &revocation,
    )
    .await
    .unwrap_err();
    assert!(err.code().contains("revoked"), "{}: {}", err.code(), err);
    assert!(
        err.message_sv().contains("spärr") || err.message_sv().contains("återkall"),
        "{}",
        err.message_sv()
    );
}

#[tokio::test]
async fn levels_above_b_b_need_their_services() {
    let pki = TestPki::new();
    let page = sample_page("x");
    for level in [SealLevel::BT, SealLevel::BLT, SealLevel::BLTA] {
        let err = seal(
            &tiny_pdf("", &[]),
            SealRequest {
                level,
                ..b_b_request(&page)
            },
            &pki.signer,
        )
        .await
        .unwrap_err();
        assert_eq!(err.code(), "seal.level_unavailable");
        assert!(err.message_sv().contains(level.name()));
    }
}

#[tokio::test]
async fn seal_file_streams_the_same_archive_version() {
    let dir = temp_dir("seal-file");
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let original = fixture(FIXTURE_2B);
    let input = dir.join("in.pdf");
    let output = dir.join("out.pdf");
    std::fs::write(&input, &original).unwrap();
    let page = sample_page("x");
    let outcome = seal_file(
        &input,
        &output,
        SealRequest {
            level: SealLevel::BLTA,
            timestamp: Some(&tsa),
            revocation: Some(&revocation),
            ..b_b_request(&page)
        },
        &pki.signer,
    )
    .await
    .unwrap();
    let sealed = std::fs::read(&output).unwrap();
    assert_eq!(outcome.length, sealed.len() as u64);
    assert_eq!(outcome.level, SealLevel::BLTA);
    assert!(sealed.starts_with(&original));
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures[0].level, "PAdES-B-LTA", "{report:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// Issue 4's proof, on every input shape: B-LTA with the evidence attached, and each
/// validator we did not write agrees.
#[tokio::test]
async fn b_lta_on_every_input_shape_satisfies_every_oracle() {
    let dir = temp_dir("seal-shapes");
    let pki = TestPki::new();
    let root_pem = pki.write_root_pem(&dir);
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let evidence = br#"{"signature":"<Signature/>","ocspResponse":"MIIB"}"#;
    let attachments = [AttachedFile {
        name: "bankid-underskrift-1.json".into(),
        bytes: evidence,
        mime_type: "application/json".into(),
        description: "BankID-underskrift av Åsa Öberg (ordförande)".into(),
        modified: now(),
    }];
    let page = sample_page("Justerat digitalt – arkivexemplar");
    for (shape, original) in input_shapes() {
        let sealed = seal(
            &original,
            SealRequest {
                reason: Some("Arkivexemplar".into()),
                level: SealLevel::BLTA,
                timestamp: Some(&tsa),
                revocation: Some(&revocation),
                attachments: &attachments,
                ..b_b_request(&page)
            },
            &pki.signer,
        )
        .await
        .unwrap_or_else(|e| panic!("{shape}: {e}"));
        assert!(
            sealed.starts_with(&original),
            "{shape}: first revision = original"
        );
        let path = dir.join(format!("{shape}.pdf"));
        std::fs::write(&path, &sealed).unwrap();

        let (code, out) = qpdf_check(&path);
        assert_eq!(code, 0, "{shape}: qpdf --check: {out}");
        assert_eq!(pdfa3_attachment_problems(&path), (vec![], 1), "{shape}");
        // pyHanko refuses hybrid-reference files unless told to read them leniently.
        let lenient: &[&str] = if shape == "hybrid-xref" {
            &["--no-strict-syntax"]
        } else {
            &[]
        };
        let (_, out) = pyhanko_validate_with(&path, &root_pem, lenient);
        let ours = out
            .lines()
            .find(|l| l.starts_with("Sigill"))
            .unwrap_or_else(|| panic!("{shape}: pyhanko: {out}"));
        assert!(
            ours.contains(":INTACT:TRUSTED") && ours.contains("EXTENDED_WITH_LTA_UPDATES"),
            "{shape}: pyhanko: {out}"
        );
        if shape == "signed-by-other" {
            // Their signature is judged as before our seal: still intact, same trust (only
            // pyHanko's diff policy objects to the appended page; see the earlier-signature
            // test).
            let status = |text: &str| {
                text.lines()
                    .find(|l| l.starts_with("Underskrift"))
                    .and_then(|l| l.split(':').nth(2).zip(l.split(':').nth(3)))
                    .map(|(a, b)| format!("{a}:{}", b.split(',').next().unwrap_or("")))
                    .unwrap_or_default()
            };
            let before = dir.join("signed-before.pdf");
            std::fs::write(&before, &original).unwrap();
            let (_, was) = pyhanko_validate(&before, &root_pem);
            assert!(status(&was).starts_with("INTACT:"), "{shape}: {was}");
            assert_eq!(status(&out), status(&was), "{shape}: {out}");
        }
        let (code, out) = pyhanko_adesverify_with(&path, &root_pem, lenient);
        let ours = out.lines().find(|l| l.starts_with("Sigill")).unwrap_or("");
        assert!(
            ours.contains(
                ":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"
            ),
            "{shape}: pyhanko adesverify ({code}): {out}"
        );
        let out = pdfsig(&path);
        assert!(
            out.contains("Signature Field Name: Sigill1")
                || out.contains("Signature Field Name: Sigill2"),
            "{shape}: pdfsig: {out}"
        );
        assert!(!out.contains("Digest Mismatch"), "{shape}: pdfsig: {out}");
        let valid = out.matches("Signature is Valid.").count();
        let expected = if shape == "signed-by-other" { 2 } else { 1 };
        assert_eq!(valid, expected, "{shape}: pdfsig: {out}");
        let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
        let seal = report
            .signatures
            .iter()
            .find(|s| s.field_name.starts_with("Sigill"))
            .unwrap();
        assert_eq!(seal.level, "PAdES-B-LTA", "{shape}: {seal:?}");
        assert!(report.all_intact(), "{shape}: {report:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}
