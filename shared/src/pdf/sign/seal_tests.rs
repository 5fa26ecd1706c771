//! The seal's tests: levels, one-pass sealing of files, attachments, fields and refusals.

use super::*;
use crate::error::ErrorText;
use crate::pdf::test_support::*;
use crate::pdf::validate::verify;
use crate::pdf::RevocationSource;
use std::path::Path;

/// Every oracle must agree that all `expected` signatures are intact and trusted.
fn assert_valid_everywhere(
    original: &[u8],
    sealed: &[u8],
    pki: &TestPki,
    expected: usize,
    dir: &Path,
) {
    assert!(
        sealed.starts_with(original),
        "original must be a byte-exact prefix"
    );
    let path = dir.join("sealed.pdf");
    std::fs::write(&path, sealed).unwrap();
    let root_pem = pki.write_root_pem(dir);

    let (code, out) = qpdf_check(&path);
    assert_eq!(code, 0, "qpdf --check: {out}");
    assert!(out.contains("No syntax or stream encoding errors"), "{out}");

    let (code, out) = pyhanko_validate(&path, &root_pem);
    let lines: Vec<&str> = out
        .lines()
        .filter(|l| l.contains(":INTACT:TRUSTED"))
        .collect();
    assert_eq!(lines.len(), expected, "pyhanko: {out}");
    assert!(
        lines[expected - 1].ends_with(",UNTOUCHED"),
        "pyhanko: {out}"
    );
    if expected == 1 {
        assert_eq!(code, 0, "pyhanko exit code: {out}");
    } else {
        // Appending a page after an earlier signature is a page-tree change that pyHanko's
        // diff policy calls ILLEGAL_MODIFICATIONS (known, inherent to the design); the
        // cryptographic checks must still pass without diff analysis.
        assert!(out.contains("ILLEGAL_MODIFICATIONS"), "pyhanko: {out}");
        let (code, out) = pyhanko_validate_with(&path, &root_pem, &["--no-diff-analysis"]);
        assert_eq!(code, 0, "pyhanko --no-diff-analysis: {out}");
        assert_eq!(
            out.matches(":INTACT:TRUSTED").count(),
            expected,
            "pyhanko: {out}"
        );
    }

    let out = pdfsig(&path);
    assert_eq!(
        out.matches("Signature is Valid.").count(),
        expected,
        "pdfsig: {out}"
    );
    assert!(!out.contains("Digest Mismatch"), "pdfsig: {out}");

    let report = verify(sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures.len(), expected, "{report:?}");
    assert!(report.all_intact());
    for sig in &report.signatures {
        assert!(sig.signature_valid && sig.covers_whole_revision, "{sig:?}");
    }
    let ours = report.signatures.last().unwrap();
    assert!(ours.trusted, "{ours:?}");
    assert_eq!(ours.level, "PAdES-B-B", "{ours:?}");
    assert_eq!(ours.sub_filter, "ETSI.CAdES.detached");
    assert!(
        ours.signer_subject.contains("Örebro kommun"),
        "{}",
        ours.signer_subject
    );
    assert!(ours.problems.is_empty(), "{:?}", ours.problems);
    // Not trusted against a foreign root.
    let other =
        esign_world::pki::CertificateAuthority::create_root("Annan", "Annan", now()).unwrap();
    let report = verify(sealed, std::slice::from_ref(&other.cert_der)).unwrap();
    assert!(!report.signatures.last().unwrap().trusted);
}

fn assert_tamper_detected(sealed: &[u8], pki: &TestPki, dir: &Path) {
    // Flip a byte inside the first signed range (in the original's page content region).
    let mut tampered = sealed.to_vec();
    let pos = tampered.len() / 3;
    tampered[pos] ^= 0x01;
    let report = verify(&tampered, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert!(!report.signatures.iter().any(|s| s.intact), "{report:?}");
    let path = dir.join("tampered.pdf");
    std::fs::write(&path, &tampered).unwrap();
    let (code, out) = pyhanko_validate(&path, &pki.write_root_pem(dir));
    assert_ne!(code, 0, "{out}");
    assert!(
        !out.contains(":INTACT:"),
        "pyhanko still says intact: {out}"
    );
    let out = pdfsig(&path);
    assert!(!out.contains("Signature is Valid."), "{out}");
}

#[tokio::test]
async fn sealed_fixture_is_valid_for_every_oracle_and_tamper_is_seen() {
    let dir = temp_dir("seal-fixture");
    let pki = TestPki::new();
    let original = fixture(FIXTURE_2B);
    let sealed = seal_b_b(&original, &pki.signer).await;
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    // Classic table after a classic table, /ID kept, /Prev set.
    let update = &sealed[original.len()..];
    let text = String::from_utf8_lossy(update);
    assert!(
        text.contains("\nxref\n") && text.contains("/Prev"),
        "{}",
        &text[text.len() - 400..]
    );
    assert!(!text.contains("%PDF-"));
    assert_eq!(page_count(&dir.join("sealed.pdf")), 23);
    assert!(pdftotext(&dir.join("sealed.pdf")).contains("Åsa Öberg"));
    assert_tamper_detected(&sealed, &pki, &dir);
    let _ = std::fs::remove_dir_all(dir);
}

/// With embedded fonts the archive version of a PDF/A-2b input stays PDF/A-2b
/// (page-validation); with the default Helvetica it does not (font not embedded).
#[tokio::test]
async fn embedded_fonts_keep_pdfa_2b() {
    let dir = temp_dir("seal-pdfa");
    let pki = TestPki::new();
    let original = fixture(FIXTURE_2B);
    let original_path = dir.join("original.pdf");
    std::fs::write(&original_path, &original).unwrap();
    let (compliant, report) = pdfa_2b_failures(&original_path);
    assert!(compliant, "fixture should be PDF/A-2b: {report}");

    let fonts = test_fonts();
    let page = sample_page("Justerat digitalt – arkivexemplar");
    let request = || SealRequest {
        page: &page,
        signing_time: now(),
        reason: None,
        location: None,
        timestamp: None,
        level: crate::domain::SealLevel::BB,
        revocation: None,
        attachments: &[],
    };
    let sealed = seal_with_fonts(&original, request(), &pki.signer, Some(&fonts))
        .await
        .unwrap();
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    let path = dir.join("sealed.pdf");
    let (compliant, report) = pdfa_2b_failures(&path);
    assert!(compliant, "sealed with embedded fonts: {report}");
    assert!(pdftotext(&path).contains("Åsa Öberg"));

    let helvetica = seal_with_fonts(&original, request(), &pki.signer, None)
        .await
        .unwrap();
    let path = dir.join("helvetica.pdf");
    std::fs::write(&path, &helvetica).unwrap();
    let (compliant, report) = pdfa_2b_failures(&path);
    assert!(!compliant && report.contains("FONT-EMBEDDING"), "{report}");

    let published =
        crate::pdf::publication::publication_version_with_fonts(&original, &page, Some(&fonts))
            .unwrap();
    let path = dir.join("published.pdf");
    std::fs::write(&path, &published).unwrap();
    let (compliant, report) = pdfa_2b_failures(&path);
    assert!(compliant, "publication with embedded fonts: {report}");
    // ESIGN_KEEP_OUTPUT=1 keeps the files for a look (e.g. pdftoppm).
    if std::env::var("ESIGN_KEEP_OUTPUT").is_ok() {
        eprintln!("outputs kept in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(dir);
    }
}

#[tokio::test]
async fn xref_stream_input_gets_an_xref_stream_update() {
    let dir = temp_dir("seal-xrefstm");
    let pki = TestPki::new();
    let original = qpdf_transform(&fixture(FIXTURE_1B), &["--object-streams=generate"]);
    let sealed = seal_b_b(&original, &pki.signer).await;
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    let update = String::from_utf8_lossy(&sealed[original.len()..]).into_owned();
    assert!(update.contains("/XRef") && !update.contains("\nxref\n"));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn linearized_input_is_sealed() {
    let dir = temp_dir("seal-linearized");
    let pki = TestPki::new();
    let original = qpdf_transform(&fixture(FIXTURE_2B), &["--linearize"]);
    let sealed = seal_b_b(&original, &pki.signer).await;
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    assert_eq!(page_count(&dir.join("sealed.pdf")), 23);
    let _ = std::fs::remove_dir_all(dir);
}

/// Offsets above 100,000,000 (pyHanko #336 broke there): a 110 MB input.
#[tokio::test]
async fn large_input_gets_wide_byte_range() {
    let dir = temp_dir("seal-large");
    let pki = TestPki::new();
    let filler = "0123456789ABCDEF".repeat(110 * 1024 * 1024 / 16);
    let big_object = format!(
        "<< /Length {} >>\nstream\n{filler}\nendstream",
        filler.len()
    );
    let original = tiny_pdf("", &[&big_object]);
    let sealed = seal_b_b(&original, &pki.signer).await;
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert!(report.signatures[0].covers_whole_revision);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn existing_form_fields_are_kept() {
    let dir = temp_dir("seal-form");
    let pki = TestPki::new();
    let original = tiny_pdf(
        "/AcroForm << /Fields [7 0 R] /NeedAppearances true /DA (/Helv 0 Tf 0 g) >>",
        &["<< /FT /Tx /T (Diarienummer) /V (KS 2026/123) >>"],
    );
    let sealed = seal_b_b(&original, &pki.signer).await;
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    let doc = crate::pdf::update::load_document(&sealed).unwrap();
    // The seal moves a direct AcroForm into an object of its own, so later updates (the
    // document timestamp) can extend it without a new catalog.
    let form = doc
        .dereference(doc.catalog().unwrap().get(b"AcroForm").unwrap())
        .unwrap()
        .1
        .as_dict()
        .unwrap();
    let fields = form.get(b"Fields").unwrap().as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0].as_reference().unwrap(), (7, 0));
    assert!(form.has(b"DA") && !form.has(b"NeedAppearances"));
    assert_eq!(form.get(b"SigFlags").unwrap().as_i64().unwrap(), 3);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn sealing_twice_keeps_the_first_signature_valid() {
    let dir = temp_dir("seal-twice");
    let pki = TestPki::new();
    let original = tiny_pdf("", &[]);
    let once = seal_b_b(&original, &pki.signer).await;
    let twice = seal_b_b(&once, &pki.signer).await;
    assert_valid_everywhere(&once, &twice, &pki, 2, &dir);
    let report = verify(&twice, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    let names: Vec<_> = report
        .signatures
        .iter()
        .map(|s| s.field_name.as_str())
        .collect();
    assert_eq!(names, ["Sigill1", "Sigill2"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn input_signed_by_pyhanko_keeps_its_signature_and_field() {
    let dir = temp_dir("seal-pyhanko");
    let pki = TestPki::new();
    let original = signed_by(&pki, &fixture(FIXTURE_2B), "BankID1");
    let facts = crate::pdf::intake::inspect(&original, &Default::default()).unwrap();
    assert_eq!(facts.existing_signatures, 1);
    let sealed = seal_b_b(&original, &pki.signer).await;
    assert_valid_everywhere(&original, &sealed, &pki, 2, &dir);
    let report = verify(&sealed, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures[0].field_name, "BankID1");
    let theirs = &report.signatures[0];
    assert!(
        theirs.intact && theirs.signature_valid && theirs.trusted,
        "{theirs:?}"
    );
    assert_eq!(report.signatures[1].field_name, "Sigill1");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn seal_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let pki = TestPki::new();
    let page = sample_page("x");
    let original = tiny_pdf("", &[]);
    let future = seal(
        &original,
        SealRequest {
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
    );
    assert_send(&future);
}

#[tokio::test]
async fn cms_is_baseline_b_according_to_openssl() {
    use der::{Decode, Encode};
    let dir = temp_dir("seal-openssl");
    let pki = TestPki::new();
    let original = tiny_pdf("", &[]);
    let sealed = seal_b_b(&original, &pki.signer).await;
    let doc = crate::pdf::update::load_document(&sealed).unwrap();
    let fields = crate::pdf::fields::signature_fields(&doc);
    let (_, sig) = &fields[0];
    let contents = sig.get(b"Contents").unwrap().as_str().unwrap();
    let der_only = der::Any::decode(&mut der::SliceReader::new(contents).unwrap())
        .unwrap()
        .to_der()
        .unwrap();
    assert!(der_only.len() < CONTENTS_RESERVED_BYTES);
    let range: Vec<usize> = sig
        .get(b"ByteRange")
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_i64().unwrap() as usize)
        .collect();
    let mut signed = sealed[range[0]..range[0] + range[1]].to_vec();
    signed.extend_from_slice(&sealed[range[2]..range[2] + range[3]]);
    assert_eq!(range[2] + range[3], sealed.len());
    std::fs::write(dir.join("sig.der"), &der_only).unwrap();
    std::fs::write(dir.join("content.bin"), &signed).unwrap();
    std::fs::write(
        dir.join("sub.pem"),
        crate::x509::pem_encode_cert(&pki.chain[1]),
    )
    .unwrap();
    let root = pki.write_root_pem(&dir);
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let openssl = tool("ESIGN_OPENSSL", "openssl");
    let out = run(
        &openssl,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            &p("sig.der"),
            "-content",
            &p("content.bin"),
            "-CAfile",
            root.to_str().unwrap(),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    );
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("Verification successful"),
        "{text}"
    );
    // Tampered content must fail.
    signed[100] ^= 1;
    std::fs::write(dir.join("content.bin"), &signed).unwrap();
    let out = run(
        &openssl,
        &[
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            &p("sig.der"),
            "-content",
            &p("content.bin"),
            "-CAfile",
            root.to_str().unwrap(),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
    );
    assert!(!out.status.success());
    let out = run(
        &openssl,
        &[
            "cms",
            "-cmsout",
            "-print",
            "-inform",
            "DER",
            "-in",
            &p("sig.der"),
        ],
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("signingCertificateV2"), "{printed}");
    assert!(
        printed.contains("messageDigest") && printed.contains("contentType"),
        "{printed}"
    );
    assert!(!printed.contains("signingTime"), "{printed}");
    assert!(printed.contains("ecdsa-with-SHA256"), "{printed}");
    assert!(printed.contains("eContent: <ABSENT>"), "{printed}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A KMS-like RSA PKCS#1 v1.5 signer, to exercise the RSA path end to end.
struct RsaTestSigner {
    key: rsa::pkcs1v15::SigningKey<sha2::Sha256>,
    chain: Vec<Vec<u8>>,
}

#[async_trait::async_trait]
impl SealSigner for RsaTestSigner {
    fn certificate_chain_der(&self) -> Vec<Vec<u8>> {
        self.chain.clone()
    }
    fn algorithm(&self) -> SealAlgorithm {
        SealAlgorithm::RsaPkcs1Sha256
    }
    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SealError> {
        use signature::{SignatureEncoding, Signer};
        Ok(self
            .key
            .try_sign(message)
            .map_err(|e| SealError::Signer(e.to_string()))?
            .to_vec())
    }
}

#[tokio::test]
async fn rsa_seal_validates_everywhere() {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let dir = temp_dir("seal-rsa");
    let key_path = dir.join("rsa.pem");
    // openssl makes the key quickly; RSA key generation in a debug build is slow.
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
        rsa::RsaPrivateKey::from_pkcs8_pem(&std::fs::read_to_string(&key_path).unwrap()).unwrap();
    let spki = private.to_public_key().to_public_key_der().unwrap();
    let mut pki = TestPki::new();
    let ca = esign_world::pki::CertificateAuthority::from_parts(
        pki.root.cert_der.clone(),
        &pki.root.key_pkcs8_der(),
    )
    .unwrap();
    let cert = ca
        .issue_seal_cert(
            &esign_world::pki::SubjectName {
                common_name: "RSA-sigill".into(),
                organization: "Örebro kommun".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            spki.as_bytes(),
            now(),
        )
        .unwrap();
    let signer = RsaTestSigner {
        key: rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(private),
        chain: vec![cert.clone()],
    };
    pki.chain = vec![cert];
    let original = fixture(FIXTURE_2B);
    let page = sample_page("Justerat digitalt");
    let sealed = seal(
        &original,
        SealRequest {
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            timestamp: None,
            level: crate::domain::SealLevel::BB,
            revocation: None,
            attachments: &[],
        },
        &signer,
    )
    .await
    .unwrap();
    assert_valid_everywhere(&original, &sealed, &pki, 1, &dir);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn certified_input_is_refused() {
    let dir = temp_dir("seal-certified");
    let pki = TestPki::new();
    let original = certified_by(&pki, &tiny_pdf("", &[]), "Cert1");
    let intake = crate::pdf::intake::inspect(&original, &Default::default()).unwrap_err();
    assert_eq!(intake.code(), "pdf.certified");
    let page = sample_page("x");
    let err = seal(
        &original,
        SealRequest {
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
    .unwrap_err();
    assert_eq!(err.code(), "pdf.certified", "{err}");
    let err = crate::pdf::publication_version(&original, &page).unwrap_err();
    assert_eq!(err.code(), "pdf.certified");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn oversized_chain_is_a_clear_error() {
    let pki = TestPki::new();
    let mut chain = pki.chain.clone();
    for i in 0..40 {
        let ca = esign_world::pki::CertificateAuthority::create_root(
            &format!("Fyllnad {i}"),
            "Org",
            now(),
        )
        .unwrap();
        chain.push(ca.cert_der);
    }
    let signer =
        crate::pdf::SoftwareSealSigner::from_pkcs8_der(&pki.seal_key_pkcs8_der, chain).unwrap();
    let page = sample_page("x");
    let err = seal(
        &tiny_pdf("", &[]),
        SealRequest {
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            timestamp: None,
            level: crate::domain::SealLevel::BB,
            revocation: None,
            attachments: &[],
        },
        &signer,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "seal.contents_overflow", "{err}");
}

#[tokio::test]
async fn key_not_matching_the_certificate_is_refused() {
    let pki = TestPki::new();
    let other = TestPki::new();
    let signer = crate::pdf::SoftwareSealSigner::from_pkcs8_der(
        &other.seal_key_pkcs8_der,
        pki.chain.clone(),
    )
    .unwrap();
    let page = sample_page("x");
    let err = seal(
        &tiny_pdf("", &[]),
        SealRequest {
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            timestamp: None,
            level: crate::domain::SealLevel::BB,
            revocation: None,
            attachments: &[],
        },
        &signer,
    )
    .await
    .unwrap_err();
    assert_eq!(err.code(), "seal.signature_mismatch");
}

#[tokio::test]
async fn encrypted_or_garbage_input_is_refused_not_panicking() {
    let pki = TestPki::new();
    let page = sample_page("x");
    for input in [
        b"not a pdf".to_vec(),
        qpdf_transform(&tiny_pdf("", &[]), &["--encrypt", "u", "o", "256", "--"]),
    ] {
        let result = seal(
            &input,
            SealRequest {
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
        .await;
        assert!(result.is_err());
    }
}

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
            page: &page,
            signing_time: now(),
            reason: Some("Arkivexemplar fastställt".into()),
            location: Some("Örebro".into()),
            timestamp: Some(source),
            level: crate::domain::SealLevel::BT,
            revocation: None,
            attachments: &[],
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
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            timestamp: Some(&source),
            level: crate::domain::SealLevel::BT,
            revocation: None,
            attachments: &[],
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
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            timestamp: Some(&tsa),
            level: crate::domain::SealLevel::BT,
            revocation: None,
            attachments: &[],
        },
        &pki.signer,
    );
    assert_send(&future);
}

async fn seal_at(
    original: &[u8],
    pki: &TestPki,
    level: SealLevel,
    tsa: &dyn TimestampSource,
    revocation: &dyn RevocationSource,
) -> Result<Vec<u8>, SealError> {
    let page = sample_page("Justerat digitalt – arkivexemplar");
    seal(
        original,
        SealRequest {
            page: &page,
            signing_time: now(),
            reason: Some("Arkivexemplar fastställt".into()),
            location: None,
            level,
            timestamp: Some(tsa),
            revocation: Some(revocation),
            attachments: &[],
        },
        &pki.signer,
    )
    .await
}

#[tokio::test]
async fn b_lta_is_valid_long_term_for_pyhanko_and_valid_for_pdfsig_and_qpdf() {
    let dir = temp_dir("seal-lta");
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let original = fixture(FIXTURE_2B);
    let sealed = seal_at(&original, &pki, SealLevel::BLTA, &tsa, &revocation)
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
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn b_lt_has_the_dss_and_says_why_it_is_not_b_lta() {
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let original = tiny_pdf("", &[]);
    let sealed = seal_at(&original, &pki, SealLevel::BLT, &tsa, &revocation)
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
    let err = seal_at(&tiny_pdf("", &[]), &pki, SealLevel::BLTA, &tsa, &revocation)
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
                page: &page,
                signing_time: now(),
                reason: None,
                location: None,
                level,
                timestamp: None,
                revocation: None,
                attachments: &[],
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
            page: &page,
            signing_time: now(),
            reason: None,
            location: None,
            level: SealLevel::BLTA,
            timestamp: Some(&tsa),
            revocation: Some(&revocation),
            attachments: &[],
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
                page: &page,
                signing_time: now(),
                reason: Some("Arkivexemplar".into()),
                location: None,
                level: SealLevel::BLTA,
                timestamp: Some(&tsa),
                revocation: Some(&revocation),
                attachments: &attachments,
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
