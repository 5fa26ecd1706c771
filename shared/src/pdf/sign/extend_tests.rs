//! Renewal, judged by others: pyHanko's long-term validation at a time after the first
//! authority's certificate ended (with the renewal: trusted; without: not), pdfsig and qpdf.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::domain::SealLevel;
use crate::pdf::test_support::*;
use crate::pdf::SoftwareSealSigner;
use crate::revocation::HttpRevocationSource;
use crate::x509::pem_encode_cert;
use esign_world::pki::{CertificateAuthority, RevocationUrls, SubjectName};
use esign_world::revocation::{
    router as revocation_router, MemoryRevocations, MovableClock, RevocationService,
};
use esign_world::tsa::LocalTsa;

/// A PKI whose certificates name a responder served over HTTP, on a clock the test moves: a
/// validator "in the future" fetches the newest authority's status as it would then, and
/// must find everything older in the file.
struct ServedPki {
    root: CertificateAuthority,
    /// When the seal's certificate ends: after it, only the timestamps prove the seal.
    seal_end: DateTime<Utc>,
    signer: SoftwareSealSigner,
    clock: Arc<MovableClock>,
    root_pem: PathBuf,
}

impl ServedPki {
    async fn start(dir: &Path) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/pki", listener.local_addr().unwrap());
        let root = CertificateAuthority::create_root("Test Rot-CA Örebro", "Örebro kommun", now())
            .unwrap()
            .with_revocation_urls(RevocationUrls::under(&base, "root").unwrap());
        let issued = root
            .issue_seal_cert_with_new_key(&subject("Kommunstyrelsen Örebro – sigill"), now())
            .unwrap();
        let seal_end = end_of(&issued.cert_der);
        let signer = SoftwareSealSigner::from_pkcs8_der(
            &issued.key_pkcs8_der.unwrap(),
            vec![issued.cert_der],
        )
        .unwrap();
        let clock = Arc::new(MovableClock::default());
        let service = RevocationService::new(Arc::new(MemoryRevocations::default()))
            .with_authority("root", root.clone())
            .unwrap()
            .with_movable_clock(clock.clone());
        let router = axum::Router::new().nest("/pki", revocation_router(Arc::new(service)));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let root_pem = dir.join("root.pem");
        std::fs::write(&root_pem, pem_encode_cert(&root.cert_der)).unwrap();
        Self {
            root,
            seal_end,
            signer,
            clock,
            root_pem,
        }
    }

    /// A timestamp authority under the root whose certificate is valid for `years`.
    fn authority(&self, name: &str, years: u64) -> TestTsa {
        TestTsa(
            LocalTsa::generate_for_years(&self.root, &[], &subject(name), now(), years)
                .expect("TSA"),
        )
    }

    async fn seal(&self, tsa: &TestTsa, dir: &Path) -> PathBuf {
        let revocation = HttpRevocationSource::new().unwrap();
        let sealed = seal_at(
            &fixture(FIXTURE_2B),
            &self.signer,
            SealLevel::BLTA,
            tsa,
            &revocation,
        )
        .await
        .unwrap();
        let path = dir.join("sealed.pdf");
        std::fs::write(&path, sealed).unwrap();
        path
    }

    async fn renew(&self, tsa: &TestTsa, input: &Path, output: &Path) -> ExtendOutcome {
        let revocation = HttpRevocationSource::new().unwrap();
        renew_with(&revocation, tsa, input, output).await
    }

    /// pyHanko's long-term validation of `pdf` as an archivist would run it at `time`: its
    /// clock set to then (libfaketime), fetching the newest authority's status from the
    /// responder, which answers as of then too. (`--validation-time` would not do: pyHanko
    /// fetches nothing for a validation in the past, and no file can hold an answer from the
    /// future.)
    fn holds_at(&self, pdf: &Path, time: DateTime<Utc>) -> (bool, String) {
        self.clock.set(time - Duration::minutes(5));
        let out = std::process::Command::new(tool("ESIGN_FAKETIME", "faketime"))
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .arg(time.format("%Y-%m-%d %H:%M:%S").to_string())
            .arg(pyhanko())
            .args(["sign", "adesverify", "--trust"])
            .arg(&self.root_pem)
            .arg("--trust-replace")
            .arg(pdf)
            .env("TZ", "UTC")
            .output()
            .expect("faketime pyhanko");
        let out = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (holds_long_term(&out), out)
    }
}

fn subject(name: &str) -> SubjectName {
    SubjectName {
        common_name: name.into(),
        organization: "Örebro kommun".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

fn tsa_end(tsa: &TestTsa) -> DateTime<Utc> {
    end_of(&tsa.certificate_chain_der()[0])
}

fn end_of(der: &[u8]) -> DateTime<Utc> {
    crate::x509::not_after(&crate::x509::parse_cert(der).unwrap()).unwrap()
}

async fn renew(pki: &TestPki, tsa: &TestTsa, input: &Path, output: &Path) -> ExtendOutcome {
    let (revocation, _) = test_revocation(pki);
    renew_with(&revocation, tsa, input, output).await
}

async fn renew_with(
    revocation: &dyn crate::revocation::RevocationSource,
    tsa: &TestTsa,
    input: &Path,
    output: &Path,
) -> ExtendOutcome {
    extend_file(
        input,
        output,
        ExtendRequest {
            timestamp: tsa,
            revocation,
        },
    )
    .await
    .unwrap()
}

fn holds_long_term(out: &str) -> bool {
    let seal_line = out.lines().find(|l| l.starts_with("Sigill1:"));
    seal_line
        .is_some_and(|l| l.contains(":INTACT:TRUSTED") && l.contains("EXTENDED_WITH_LTA_UPDATES"))
}

fn check_others_accept(path: &Path, signatures: usize) {
    let (code, out) = qpdf_check(path);
    assert_eq!(code, 0, "qpdf --check: {out}");
    // pdfsig checks the seal; document timestamps it lists but does not check (poppler has
    // no RFC 3161 validation), which our verifier and pyHanko do.
    let out = pdfsig(path);
    assert_eq!(
        out.matches("Signature #").count(),
        signatures,
        "pdfsig: {out}"
    );
    assert_eq!(
        out.matches("Signature is Valid.").count(),
        1,
        "pdfsig: {out}"
    );
    assert!(
        !out.contains("Digest Mismatch") && !out.contains("Invalid"),
        "pdfsig: {out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewed_archive_version_verifies_after_the_first_authority_certificate_ended() {
    let dir = temp_dir("extend-once");
    let pki = ServedPki::start(&dir).await;
    let first = pki.authority("Tidsstämpel 2026", 1);
    let second = pki.authority("Tidsstämpel 2027", 10);
    let sealed = pki.seal(&first, &dir).await;
    let renewed = dir.join("renewed.pdf");
    let outcome = pki.renew(&second, &sealed, &renewed).await;
    assert_eq!(outcome.document_timestamps, 2);
    assert_eq!(outcome.proof_until, Some(tsa_end(&second)));
    // What the schedule reads of a file, before and after: the newest timestamp's chain.
    let proof = |p: &Path| super::current_proof(p).unwrap();
    assert_eq!(proof(&sealed).document_timestamps, 1);
    assert_eq!(proof(&sealed).until, Some(tsa_end(&first)));
    assert_eq!(proof(&renewed).document_timestamps, 2);
    assert_eq!(proof(&renewed).until, Some(tsa_end(&second)));

    let before = std::fs::read(&sealed).unwrap();
    let after = std::fs::read(&renewed).unwrap();
    assert!(
        after.starts_with(&before),
        "the sealed file is a byte-exact prefix"
    );
    assert_eq!(after.len() as u64, outcome.length);
    check_others_accept(&renewed, 3);

    // Our own verifier: every signature and timestamp intact.
    let report = crate::pdf::verify(&after, std::slice::from_ref(&pki.root.cert_der)).unwrap();
    assert_eq!(report.signatures.len(), 3, "{report:?}");
    assert!(
        report
            .signatures
            .iter()
            .all(|s| s.intact && s.signature_valid),
        "{report:?}"
    );

    // After the first authority's certificate and the seal's own ended: only the chain of
    // timestamps can prove the seal now.
    let later = tsa_end(&first).max(pki.seal_end) + Duration::days(30);
    let (holds, out) = pki.holds_at(&renewed, later);
    assert!(holds, "renewed, at {later}: {out}");
    let (holds, out) = pki.holds_at(&sealed, later);
    assert!(!holds, "not renewed, at {later}: {out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_renewals_in_a_row_hold_after_the_second_authority_certificate_ended() {
    let dir = temp_dir("extend-twice");
    let pki = ServedPki::start(&dir).await;
    let first = pki.authority("Tidsstämpel 2026", 1);
    let second = pki.authority("Tidsstämpel 2027", 2);
    let third = pki.authority("Tidsstämpel 2028", 10);
    let sealed = pki.seal(&first, &dir).await;
    let once = dir.join("once.pdf");
    pki.renew(&second, &sealed, &once).await;
    let twice = dir.join("twice.pdf");
    let outcome = pki.renew(&third, &once, &twice).await;
    assert_eq!(outcome.document_timestamps, 3);
    assert!(std::fs::read(&twice)
        .unwrap()
        .starts_with(&std::fs::read(&once).unwrap()));
    check_others_accept(&twice, 4);

    let later = tsa_end(&second).max(pki.seal_end) + Duration::days(30);
    let (holds, out) = pki.holds_at(&twice, later);
    assert!(holds, "renewed twice, at {later}: {out}");
    let (holds, out) = pki.holds_at(&once, later);
    assert!(!holds, "renewed once, at {later}: {out}");
}

#[tokio::test]
async fn a_signature_without_an_archive_timestamp_gets_its_validation_data_and_one() {
    let dir = temp_dir("extend-bt");
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let sealed = seal_at(
        &fixture(FIXTURE_2B),
        &pki.signer,
        SealLevel::BT,
        &tsa,
        &revocation,
    )
    .await
    .unwrap();
    let input = dir.join("bt.pdf");
    std::fs::write(&input, &sealed).unwrap();
    let output = dir.join("lta.pdf");
    let outcome = renew(&pki, &tsa, &input, &output).await;
    assert_eq!(outcome.document_timestamps, 1);
    check_others_accept(&output, 2);
    let root = pki.write_root_pem(&dir);
    let (code, out) = pyhanko_adesverify(&output, &root);
    assert_eq!(code, 0, "{out}");
    assert!(holds_long_term(&out), "{out}");
}

#[tokio::test]
async fn a_file_without_signatures_is_refused() {
    let dir = temp_dir("extend-none");
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    let (revocation, _) = test_revocation(&pki);
    let input = dir.join("plain.pdf");
    std::fs::write(&input, fixture(FIXTURE_2B)).unwrap();
    let err = extend_file(
        &input,
        &dir.join("out.pdf"),
        ExtendRequest {
            timestamp: &tsa,
            revocation: &revocation,
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, SealError::Pdf(PdfError::Unsupported(_))),
        "{err:?}"
    );
}

/// Another producer's file whose AcroForm sits directly in the catalog: the renewal makes it
/// an object of its own without taking an id the DSS update already uses.
#[tokio::test]
async fn an_acroform_in_the_catalog_gets_an_id_of_its_own() {
    let dir = temp_dir("extend-direct-form");
    let pki = TestPki::new();
    let tsa = test_tsa(&pki);
    // A document timestamp from a real authority (its range need not hold for the renewal).
    let token = crate::pdf::TimestampSource::timestamp(&tsa, [7; 32])
        .await
        .unwrap();
    let field = "<< /FT /Sig /T (Tidsstampel) /Type /Annot /Subtype /Widget /Rect [0 0 0 0] \
                 /P 3 0 R /V 8 0 R >>";
    let value = format!(
        "<< /Type /DocTimeStamp /Filter /Adobe.PPKLite /SubFilter /ETSI.RFC3161 \
         /ByteRange [0 10 20 10] /Contents <{}> >>",
        hex::encode(&token)
    );
    let input = dir.join("direct.pdf");
    std::fs::write(
        &input,
        tiny_pdf(
            "/AcroForm << /Fields [7 0 R] /SigFlags 3 >>",
            &[field, &value],
        ),
    )
    .unwrap();
    let output = dir.join("renewed.pdf");
    let outcome = renew(&pki, &tsa, &input, &output).await;
    assert_eq!(outcome.document_timestamps, 2);
    let (code, out) = qpdf_check(&output);
    assert_eq!(code, 0, "qpdf --check: {out}");

    let doc = lopdf::Document::load(&output).unwrap();
    let catalog = doc.catalog().unwrap();
    let form_id = catalog.get(b"AcroForm").unwrap().as_reference().unwrap();
    let form = doc.get_dictionary(form_id).unwrap();
    assert_eq!(form.get(b"Fields").unwrap().as_array().unwrap().len(), 2);
    let dss_id = catalog.get(b"DSS").unwrap().as_reference().unwrap();
    let dss = doc.get_dictionary(dss_id).unwrap();
    for cert in dss.get(b"Certs").unwrap().as_array().unwrap() {
        let id = cert.as_reference().unwrap();
        assert!(
            doc.get_object(id).unwrap().as_stream().is_ok(),
            "DSS entry {id:?}"
        );
    }
    // The new timestamp itself holds.
    let report = crate::pdf::verify(
        &std::fs::read(&output).unwrap(),
        std::slice::from_ref(&pki.root.cert_der),
    )
    .unwrap();
    let newest = report.signatures.last().unwrap();
    assert!(newest.intact && newest.signature_valid, "{report:?}");
}
