//! The seal at B-B: every oracle accepts it, every input shape, earlier signatures kept, and
//! clear refusals (certified or garbage input, a key that does not match, a chain too large).

use super::*;
use crate::error::ErrorText;
use crate::pdf::test_support::*;
use crate::pdf::validate::verify;
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
    let request = || b_b_request(&page);
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
    let future = seal(&original, b_b_request(&page), &pki.signer);
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
    use rsa::pkcs8::EncodePublicKey;
    let dir = temp_dir("seal-rsa");
    let (_, private) = rsa_key(&dir);
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
    let sealed = seal(&original, b_b_request(&page), &signer).await.unwrap();
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
    let err = seal(&original, b_b_request(&page), &pki.signer)
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
    let err = seal(&tiny_pdf("", &[]), b_b_request(&page), &signer)
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
    let err = seal(&tiny_pdf("", &[]), b_b_request(&page), &signer)
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
        let result = seal(&input, b_b_request(&page), &pki.signer).await;
        assert!(result.is_err());
    }
}
