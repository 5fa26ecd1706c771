//! Shared test helpers: hand-made PDFs, a test PKI, and the external oracles
//! (qpdf, pdfsig, pdftotext, pyHanko). Tools are found via an env var, else on PATH;
//! a missing tool fails the test with a clear message.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use p256::pkcs8::{EncodePrivateKey, LineEnding};

use crate::pdf::page::{JusteringPage, SignatureLine};
use crate::pdf::sign::software_signer::SoftwareSealSigner;
use crate::x509::pem_encode_cert;
use esign_world::pki::{CertificateAuthority, SubjectName};
pub use esign_world::testkit::{run, serve, temp_dir, tool};

pub const FIXTURE_1B: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/protocols/e-namnd-2020-03-11.pdfa1b.pdf"
);
pub const FIXTURE_2B: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/testdata/protocols/e-namnd-2020-03-11.pdfa2b.pdf"
);

pub fn fixture(path: &str) -> Vec<u8> {
    let path = std::env::var("ESIGN_FIXTURES")
        .map(|dir| PathBuf::from(dir).join(Path::new(path).file_name().unwrap_or_default()))
        .unwrap_or_else(|_| PathBuf::from(path));
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {} missing: {e}", path.display()))
}

pub fn now() -> DateTime<Utc> {
    Utc::now()
}

pub fn pyhanko() -> String {
    tool("ESIGN_PYHANKO", "pyhanko")
}

/// `qpdf --check`: (exit code, stdout).
pub fn qpdf_check(path: &Path) -> (i32, String) {
    let out = run(
        &tool("ESIGN_QPDF", "qpdf"),
        &["--check", path.to_str().unwrap_or_default()],
    );
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

/// Run qpdf to transform `input` into a new file with `args` (e.g. --object-streams=generate).
pub fn qpdf_transform(input: &[u8], args: &[&str]) -> Vec<u8> {
    let dir = temp_dir("qpdf");
    let inp = dir.join("in.pdf");
    let outp = dir.join("out.pdf");
    std::fs::write(&inp, input).expect("write");
    let mut all: Vec<&str> = args.to_vec();
    all.push(inp.to_str().unwrap_or_default());
    all.push(outp.to_str().unwrap_or_default());
    let out = run(&tool("ESIGN_QPDF", "qpdf"), &all);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(3),
        "qpdf {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&outp).expect("qpdf output");
    let _ = std::fs::remove_dir_all(dir);
    bytes
}

pub use super::hand_made::{pdf_from_objects, tiny_pdf};

pub struct TestPki {
    pub root: CertificateAuthority,
    /// The CA between the root and the seal certificate.
    pub sub: CertificateAuthority,
    pub signer: SoftwareSealSigner,
    pub seal_cert_der: Vec<u8>,
    pub seal_key_pkcs8_der: Vec<u8>,
    pub chain: Vec<Vec<u8>>,
}

impl TestPki {
    pub fn new() -> Self {
        let root = CertificateAuthority::create_root("Test Rot-CA Örebro", "Örebro kommun", now())
            .expect("root");
        let sub = root
            .issue_sub_ca("Test Sigill-CA", "Örebro kommun", now())
            .expect("sub");
        let issued = sub
            .issue_seal_cert_with_new_key(
                &SubjectName {
                    common_name: "Kommunstyrelsen Örebro – sigill".into(),
                    organization: "Örebro kommun".into(),
                    organization_identifier: Some("NTRSE-2120001965".into()),
                    country: "SE".into(),
                },
                now(),
            )
            .expect("seal cert");
        let key_der = issued.key_pkcs8_der.clone().expect("key");
        let chain = vec![issued.cert_der.clone(), sub.cert_der.clone()];
        let signer = SoftwareSealSigner::from_pkcs8_der(&key_der, chain.clone()).expect("signer");
        Self {
            root,
            sub,
            signer,
            seal_cert_der: issued.cert_der,
            seal_key_pkcs8_der: key_der,
            chain,
        }
    }

    pub fn write_root_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("root.pem");
        std::fs::write(&path, pem_encode_cert(&self.root.cert_der)).expect("write root");
        path
    }

    /// Key + cert + chain PEM files for `pyhanko sign addsig pemder`.
    pub fn write_signer_pems(&self, dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
        use p256::pkcs8::DecodePrivateKey;
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(&self.seal_key_pkcs8_der).expect("pkcs8");
        let key_pem = key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("key pem")
            .to_string();
        let key_path = dir.join("seal-key.pem");
        let cert_path = dir.join("seal-cert.pem");
        let chain_path = dir.join("chain.pem");
        std::fs::write(&key_path, key_pem).expect("write");
        std::fs::write(&cert_path, pem_encode_cert(&self.seal_cert_der)).expect("write");
        std::fs::write(&chain_path, pem_encode_cert(&self.chain[1])).expect("write");
        (key_path, cert_path, chain_path)
    }
}

/// A 2048-bit RSA key, written to `dir/rsa-key.pem` (PKCS#8) by openssl: RSA key generation
/// in a debug build is slow, openssl's is not.
pub fn rsa_key(dir: &Path) -> (PathBuf, rsa::RsaPrivateKey) {
    use rsa::pkcs8::DecodePrivateKey;
    let path = dir.join("rsa-key.pem");
    let out = run(
        &tool("ESIGN_OPENSSL", "openssl"),
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            path.to_str().unwrap_or_default(),
        ],
    );
    assert!(out.status.success(), "openssl genpkey");
    let pem = std::fs::read_to_string(&path).expect("the RSA key");
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).expect("a PKCS#8 RSA key");
    (path, key)
}

/// A request for a plain PAdES B-B seal with `page`, signed now: tests change only what they
/// are about (`SealRequest { level, ..b_b_request(&page) }`).
pub fn b_b_request(page: &JusteringPage) -> crate::pdf::sign::seal::SealRequest<'_> {
    crate::pdf::sign::seal::SealRequest {
        page,
        signing_time: now(),
        reason: None,
        location: None,
        timestamp: None,
        level: crate::domain::SealLevel::BB,
        revocation: None,
        attachments: &[],
    }
}

/// The plain archive-version seal (PAdES B-B, the sample page) of `original` by `signer`.
pub async fn seal_b_b(original: &[u8], signer: &dyn crate::pdf::sign::seal::SealSigner) -> Vec<u8> {
    let page = sample_page("Justerat digitalt – arkivexemplar");
    crate::pdf::sign::seal::seal(
        original,
        crate::pdf::sign::seal::SealRequest {
            reason: Some("Arkivexemplar fastställt".into()),
            location: Some("Örebro".into()),
            ..b_b_request(&page)
        },
        signer,
    )
    .await
    .expect("seal")
}

/// The archive-version seal of `original` by `signer` at `level` (the sample page), with the
/// services the levels above B-B use.
pub async fn seal_at(
    original: &[u8],
    signer: &dyn crate::pdf::sign::seal::SealSigner,
    level: crate::domain::SealLevel,
    tsa: &dyn crate::pdf::TimestampSource,
    revocation: &dyn crate::pdf::RevocationSource,
) -> Result<Vec<u8>, crate::pdf::SealError> {
    let page = sample_page("Justerat digitalt – arkivexemplar");
    crate::pdf::sign::seal::seal(
        original,
        crate::pdf::sign::seal::SealRequest {
            reason: Some("Arkivexemplar fastställt".into()),
            level,
            timestamp: Some(tsa),
            revocation: Some(revocation),
            ..b_b_request(&page)
        },
        signer,
    )
    .await
}

pub fn sample_page(heading: &str) -> JusteringPage {
    JusteringPage {
        heading: heading.into(),
        organ: "Kommunstyrelsen (Åtvidaberg) – \"test\" (parentes) \\ backslash".into(),
        meeting_date: "2026-11-20".into(),
        paragraphs: "§§ 1–12".into(),
        document_name: "protokoll-ks-2026-11-20.pdf".into(),
        document_sha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
        lines: vec![
            SignatureLine {
                name: "Åsa Öberg".into(),
                role: "Ordförande".into(),
                signed_at: "2026-11-23 14:05 (Europe/Stockholm)".into(),
                method: "Mobilt BankID".into(),
            },
            SignatureLine {
                name: "Per-Erik Ärlig".into(),
                role: "Justerare".into(),
                signed_at: "2026-11-23 15:12 (Europe/Stockholm)".into(),
                method: "Mobilt BankID".into(),
            },
        ],
        footer: "Detta protokoll är justerat digitalt med e-legitimation. Kontrollera underskrifterna i arkivexemplaret.".into(),
    }
}

/// pyHanko validation: (exit code, per-signature status lines).
pub fn pyhanko_validate(pdf: &Path, root_pem: &Path) -> (i32, String) {
    pyhanko_validate_with(pdf, root_pem, &[])
}

pub fn pyhanko_validate_with(pdf: &Path, root_pem: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "sign",
        "validate",
        "--trust",
        root_pem.to_str().unwrap_or_default(),
        "--trust-replace",
        "--no-revocation-check",
    ];
    args.extend_from_slice(extra);
    args.push(pdf.to_str().unwrap_or_default());
    let out = run(&pyhanko(), &args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

pub fn pdfsig(pdf: &Path) -> String {
    let out = run(
        &tool("ESIGN_PDFSIG", "pdfsig"),
        &["-nocert", "-no-ocsp", pdf.to_str().unwrap_or_default()],
    );
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

pub fn pdftotext(pdf: &Path) -> String {
    let out = run(
        &tool("ESIGN_PDFTOTEXT", "pdftotext"),
        &[pdf.to_str().unwrap_or_default(), "-"],
    );
    assert!(out.status.success(), "pdftotext failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// poppler's list of the fonts a PDF uses (name, type, whether embedded, ...).
pub fn pdffonts(pdf: &Path) -> String {
    let out = run(
        &tool("ESIGN_PDFFONTS", "pdffonts"),
        &[pdf.to_str().unwrap_or_default()],
    );
    assert!(out.status.success(), "pdffonts failed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn page_count(pdf: &Path) -> u32 {
    let out = run(
        &tool("ESIGN_QPDF", "qpdf"),
        &["--show-npages", pdf.to_str().unwrap_or_default()],
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("qpdf --show-npages")
}

/// Python of the venv that holds pyHanko (`ESIGN_PYTHON`, else `python3` on PATH).
pub fn python() -> String {
    tool("ESIGN_PYTHON", "python3")
}

/// Append a pyHanko document timestamp (RSA dummy TSA in-process) to `input`.
pub fn add_document_timestamp(
    input: &[u8],
    tsa_cert_pem: &Path,
    tsa_key_pem: &Path,
    dir: &Path,
) -> Vec<u8> {
    let script = dir.join("doc_timestamp.py");
    std::fs::write(&script, include_str!("testdata/doc_timestamp.py")).expect("write script");
    let inp = dir.join("to-stamp.pdf");
    let outp = dir.join("stamped.pdf");
    std::fs::write(&inp, input).expect("write");
    let out = run(
        &python(),
        &[
            script.to_str().unwrap_or_default(),
            inp.to_str().unwrap_or_default(),
            outp.to_str().unwrap_or_default(),
            tsa_cert_pem.to_str().unwrap_or_default(),
            tsa_key_pem.to_str().unwrap_or_default(),
        ],
    );
    assert!(
        out.status.success(),
        "pyHanko document timestamp failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(outp).expect("stamped output")
}

/// A TrueType font for tests (`ESIGN_TEST_FONT_DIR`, else the Debian DejaVu directory).
pub fn test_font_path(bold: bool) -> PathBuf {
    let dir = std::env::var("ESIGN_TEST_FONT_DIR")
        .unwrap_or_else(|_| "/usr/share/fonts/truetype/dejavu".to_string());
    let name = if bold {
        "DejaVuSans-Bold.ttf"
    } else {
        "DejaVuSans.ttf"
    };
    let path = PathBuf::from(dir).join(name);
    assert!(
        path.exists(),
        "test font {} missing: install fonts-dejavu-core or set ESIGN_TEST_FONT_DIR",
        path.display()
    );
    path
}

pub fn test_fonts() -> crate::pdf::font::FontPair {
    let regular = std::fs::read(test_font_path(false)).expect("font");
    let bold = std::fs::read(test_font_path(true)).expect("font");
    crate::pdf::font::FontPair {
        regular: crate::pdf::font::TrueTypeFont::parse(&regular, false).expect("regular font"),
        bold: crate::pdf::font::TrueTypeFont::parse(&bold, true).expect("bold font"),
    }
}

/// PDF/A-2b check with the `page-validation` Python package: (compliant, failure lines).
pub fn pdfa_2b_failures(pdf: &Path) -> (bool, String) {
    pdfa_failures(pdf, "PDF_A_2B")
}

/// PDF/A check against a page-validation profile name (PDF_A_1B, PDF_A_2B, ...).
pub fn pdfa_failures(pdf: &Path, profile: &str) -> (bool, String) {
    let script = "import sys, page\nr = page.validate_pdf(sys.argv[1], profile=getattr(page.ValidationProfile, sys.argv[2]))\nprint('COMPLIANT' if r.is_compliant else 'NOT-COMPLIANT')\nfor f in r.failures: print(f.rule_id, f.message, f.object_id)\n";
    let out = run(
        &python(),
        &["-c", script, pdf.to_str().unwrap_or_default(), profile],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "page-validation failed to run (pip install page-validation): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (text.starts_with("COMPLIANT"), text)
}

/// The local world's timestamp authority as this crate's [`TimestampSource`]. The world links
/// its own copy of this crate, whose trait this crate's unit tests cannot use: they reach the
/// TSA through its bytes API instead.
///
/// [`TimestampSource`]: crate::pdf::TimestampSource
pub struct TestTsa(pub esign_world::tsa::LocalTsa);

impl std::ops::Deref for TestTsa {
    type Target = esign_world::tsa::LocalTsa;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

#[async_trait::async_trait]
impl crate::pdf::TimestampSource for TestTsa {
    async fn timestamp(
        &self,
        digest_sha256: [u8; 32],
    ) -> Result<Vec<u8>, crate::pdf::TimestampError> {
        crate::pdf::timestamp::timestamp_in_process(digest_sha256, |request| {
            self.0.respond(request, Utc::now())
        })
    }
}

/// A local TSA whose certificate the test PKI's root issued (so `--trust ROOT` covers it).
pub fn test_tsa(pki: &TestPki) -> TestTsa {
    TestTsa(esign_world::tsa::LocalTsa::for_tests(&pki.root, now()))
}

/// The PDF/A-3 associated-file rules (ISO 19005-3 6.8) that page-validation 0.11 does not
/// check, read through qpdf's JSON: every embedded file has /F and /UF, a MIME /Subtype, a
/// /ModDate, an /AFRelationship from the standard's list, and is listed in the catalog's /AF.
/// Returns the problems found (empty = fine) and the number of embedded files.
pub fn pdfa3_attachment_problems(pdf: &Path) -> (Vec<String>, usize) {
    let out = run(
        &tool("ESIGN_QPDF", "qpdf"),
        &[
            "--json=2",
            "--json-key=qpdf",
            "--json-key=attachments",
            pdf.to_str().unwrap_or_default(),
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("qpdf --json output");
    let objects = &json["qpdf"][1];
    let resolve = |v: &serde_json::Value| -> serde_json::Value {
        match v.as_str() {
            Some(r) if r.ends_with(" R") => objects[format!("obj:{r}")]["value"].clone(),
            _ => v.clone(),
        }
    };
    let trailer = &objects["trailer"]["value"];
    let catalog = resolve(&trailer["/Root"]);
    let af: Vec<String> = resolve(&catalog["/AF"])
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut problems = Vec::new();
    let attachments = json["attachments"].as_object().cloned().unwrap_or_default();
    for (key, attachment) in &attachments {
        let spec_ref = attachment["filespec"].as_str().unwrap_or_default();
        let spec = resolve(&attachment["filespec"]);
        for name in ["/F", "/UF"] {
            if spec[name].is_null() {
                problems.push(format!("{key}: filespec lacks {name}"));
            }
        }
        let relationship = spec["/AFRelationship"].as_str().unwrap_or_default();
        if ![
            "/Source",
            "/Data",
            "/Alternative",
            "/Supplement",
            "/EncryptedPayload",
            "/FormData",
            "/Schema",
            "/Unspecified",
        ]
        .contains(&relationship)
        {
            problems.push(format!("{key}: /AFRelationship {relationship:?}"));
        }
        if !af.iter().any(|r| r == spec_ref) {
            problems.push(format!(
                "{key}: filespec {spec_ref} not in the catalog's /AF"
            ));
        }
        for (stream_key, stream) in attachment["streams"]
            .as_object()
            .cloned()
            .unwrap_or_default()
        {
            if stream["mimetype"].as_str().unwrap_or_default().is_empty() {
                problems.push(format!("{key} {stream_key}: no MIME /Subtype"));
            }
            if stream["modificationdate"].is_null() {
                problems.push(format!("{key} {stream_key}: no /Params /ModDate"));
            }
        }
    }
    (problems, attachments.len())
}

// ---------------------------------------------------------------------------------------------
// Input shapes: every kind of PDF the seal must take, made at test time from the real protocol
// fixture by tools we did not write (qpdf, pyHanko), so seal tests can loop over them.

/// qpdf otherwise ends stream data without an EOL before `endstream` (PDF/A 6.1.7.1).
const PDFA_EOL: &str = "--newline-before-endstream";

/// Every input shape, each a valid PDF with 22+ pages (the real protocol) unless said:
/// - `xref-table`: the LibreOffice PDF/A-2b fixture as is (classic xref table, tagged);
/// - `pdfa-1a`: the PDF/A-1 fixture (its XMP says part 1, conformance A);
/// - `xref-stream-objstm`: qpdf `--object-streams=generate` (xref stream, object streams);
/// - `linearized`: qpdf `--linearize` (first-page xref section + hint stream);
/// - `linearized-objstm`: both of the above;
/// - `acroform-text-field`: an AcroForm with a filled text field on page 1 (qpdf
///   `--update-from-json`, so qpdf writes the whole file);
/// - `signed-by-other`: an approval signature by another party (pyHanko `sign addsig`, field
///   `Underskrift1`) in an incremental update; see [`signed_by`] to choose the signer;
/// - `hybrid-xref`: the fixture + an incremental update whose section is a classic table whose
///   trailer has `/XRefStm` (the new /Info lives in an object stream only the stream lists);
/// - `tiny-no-xmp`: a hand-written one-page PDF without XMP (claims no PDF/A).
///
/// The hundreds-of-megabytes input is [`write_large_pdf`] (a file, not a Vec).
pub fn input_shapes() -> Vec<(&'static str, Vec<u8>)> {
    let base = fixture(FIXTURE_2B);
    let objstm = qpdf_transform(&base, &[PDFA_EOL, "--object-streams=generate"]);
    vec![
        ("xref-table", base.clone()),
        ("pdfa-1a", fixture(FIXTURE_1B)),
        (
            "linearized",
            qpdf_transform(&base, &[PDFA_EOL, "--linearize"]),
        ),
        (
            "linearized-objstm",
            qpdf_transform(
                &base,
                &[PDFA_EOL, "--linearize", "--object-streams=generate"],
            ),
        ),
        ("xref-stream-objstm", objstm),
        ("acroform-text-field", with_text_field(&base)),
        (
            "signed-by-other",
            signed_by(&TestPki::new(), &base, "Underskrift1"),
        ),
        ("hybrid-xref", hybrid_xref_update(&base)),
        ("tiny-no-xmp", tiny_pdf("", &[])),
    ]
}

/// `input` with an approval signature (not a certification) by `pki`'s seal key in field
/// `field`, added by pyHanko as an incremental update.
pub fn signed_by(pki: &TestPki, input: &[u8], field: &str) -> Vec<u8> {
    pyhanko_addsig(pki, input, field, &[])
}

/// `input` with a certification signature (DocMDP: no changes allowed) by `pki`'s seal key in
/// field `field`, added by pyHanko.
pub fn certified_by(pki: &TestPki, input: &[u8], field: &str) -> Vec<u8> {
    pyhanko_addsig(pki, input, field, &["--certify"])
}

fn pyhanko_addsig(pki: &TestPki, input: &[u8], field: &str, options: &[&str]) -> Vec<u8> {
    let dir = temp_dir("signed-by");
    let (key, cert, chain) = pki.write_signer_pems(&dir);
    let inp = dir.join("in.pdf");
    let outp = dir.join("signed.pdf");
    std::fs::write(&inp, input).expect("write");
    let mut args = vec!["sign", "addsig", "--field", field];
    args.extend_from_slice(options);
    args.extend_from_slice(&[
        "pemder",
        "--key",
        key.to_str().unwrap_or_default(),
        "--cert",
        cert.to_str().unwrap_or_default(),
        "--chain",
        chain.to_str().unwrap_or_default(),
        "--no-pass",
        inp.to_str().unwrap_or_default(),
        outp.to_str().unwrap_or_default(),
    ]);
    let out = run(&pyhanko(), &args);
    assert!(
        out.status.success(),
        "pyhanko addsig: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&outp).expect("signed output");
    let _ = std::fs::remove_dir_all(dir);
    bytes
}

fn qpdf_json(input: &Path, keys: &[&str]) -> serde_json::Value {
    let mut args = vec!["--json=2".to_string()];
    args.extend(keys.iter().map(|k| format!("--json-key={k}")));
    args.push(input.to_str().unwrap_or_default().to_string());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(&tool("ESIGN_QPDF", "qpdf"), &args);
    serde_json::from_slice(&out.stdout).expect("qpdf --json")
}

/// `input` with an AcroForm holding one filled text field (widget on page 1, with an
/// appearance stream that draws only a frame, so no font is needed for rendering).
pub fn with_text_field(input: &[u8]) -> Vec<u8> {
    use base64::Engine;
    use serde_json::json;
    let dir = temp_dir("text-field");
    let inp = dir.join("in.pdf");
    std::fs::write(&inp, input).expect("write");
    let info = qpdf_json(&inp, &["qpdf", "pages"]);
    let header = &info["qpdf"][0];
    let objects = &info["qpdf"][1];
    let max = header["maxobjectid"].as_u64().expect("maxobjectid");
    let root = objects["trailer"]["value"]["/Root"]
        .as_str()
        .expect("/Root")
        .to_string();
    let page = info["pages"][0]["object"]
        .as_str()
        .expect("page 1")
        .to_string();
    let (field, appearance, form, font) = (max + 1, max + 2, max + 3, max + 4);
    let reference = |n: u64| format!("{n} 0 R");
    let mut catalog = objects[format!("obj:{root}")]["value"].clone();
    catalog["/AcroForm"] = json!(reference(form));
    let mut page_dict = objects[format!("obj:{page}")]["value"].clone();
    let mut annots = page_dict["/Annots"].as_array().cloned().unwrap_or_default();
    annots.push(json!(reference(field)));
    page_dict["/Annots"] = json!(annots);
    let frame =
        base64::engine::general_purpose::STANDARD.encode("0 G 0.5 w 0.25 0.25 179.5 19.5 re S\n");
    let mut update = serde_json::Map::new();
    update.insert(format!("obj:{root}"), json!({ "value": catalog }));
    update.insert(format!("obj:{page}"), json!({ "value": page_dict }));
    update.insert(
        format!("obj:{}", reference(field)),
        json!({ "value": {
            "/Type": "/Annot", "/Subtype": "/Widget", "/FT": "/Tx",
            "/T": "u:Diarienummer", "/V": "u:KS 2026/123 Åtvidaberg", "/F": 4,
            "/Rect": [400, 740, 580, 760], "/P": page, "/DA": "u:/Helv 10 Tf 0 g",
            "/AP": { "/N": reference(appearance) }
        }}),
    );
    update.insert(
        format!("obj:{}", reference(appearance)),
        json!({ "stream": {
            "dict": { "/Type": "/XObject", "/Subtype": "/Form", "/BBox": [0, 0, 180, 20] },
            "data": frame
        }}),
    );
    update.insert(
        format!("obj:{}", reference(form)),
        json!({ "value": {
            "/Fields": [reference(field)], "/DA": "u:/Helv 10 Tf 0 g",
            "/DR": { "/Font": { "/Helv": reference(font) } }
        }}),
    );
    update.insert(
        format!("obj:{}", reference(font)),
        json!({ "value": {
            "/Type": "/Font", "/Subtype": "/Type1", "/BaseFont": "/Helvetica",
            "/Encoding": "/WinAnsiEncoding"
        }}),
    );
    let json = json!({ "qpdf": [
        { "jsonversion": 2, "pushedinheritedpageresources": false,
          "calledgetallpages": false, "maxobjectid": max },
        update
    ]});
    let update_path = dir.join("update.json");
    std::fs::write(&update_path, json.to_string()).expect("write");
    let outp = dir.join("out.pdf");
    let out = run(
        &tool("ESIGN_QPDF", "qpdf"),
        &[
            inp.to_str().unwrap_or_default(),
            PDFA_EOL,
            &format!("--update-from-json={}", update_path.display()),
            outp.to_str().unwrap_or_default(),
        ],
    );
    assert!(
        matches!(out.status.code(), Some(0 | 3)),
        "qpdf --update-from-json: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&outp).expect("qpdf output");
    let _ = std::fs::remove_dir_all(dir);
    bytes
}

/// `input` (whose last section is a classic xref table) + an incremental update in the hybrid
/// form of ISO 32000-1 7.5.8.4: the update's classic table lists an object stream and an xref
/// stream, its trailer has `/XRefStm`, and the new /Info (title "Hybrid") is only in the object
/// stream, so a reader that ignores `/XRefStm` misses it and one that follows it finds it.
pub fn hybrid_xref_update(input: &[u8]) -> Vec<u8> {
    let doc = lopdf::Document::load_mem(input).expect("input parses");
    let prev_xref = crate::pdf::update::last_startxref(input).expect("startxref");
    let size = doc
        .trailer
        .get(b"Size")
        .and_then(lopdf::Object::as_i64)
        .expect("/Size") as u64;
    let root = doc
        .trailer
        .get(b"Root")
        .and_then(lopdf::Object::as_reference)
        .expect("/Root");
    let mut id = Vec::new();
    lopdf::Writer::write_object(&mut id, doc.trailer.get(b"ID").expect("/ID")).expect("id");
    let id = String::from_utf8_lossy(&id).into_owned();
    let (info, objstm, xrefstm) = (size, size + 1, size + 2);

    let mut out = input.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let info_body = "<< /Title (Hybrid) /Producer (esign test: hybrid xref) >>";
    let header = format!("{info} 0 ");
    let objstm_offset = out.len();
    out.extend_from_slice(
        format!(
            "{objstm} 0 obj\n<< /Type /ObjStm /N 1 /First {} /Length {} >>\nstream\n{header}{info_body}\nendstream\nendobj\n",
            header.len(),
            header.len() + info_body.len(),
        )
        .as_bytes(),
    );
    // The xref stream: one entry, type 2 (in object stream `objstm`, index 0).
    let xrefstm_offset = out.len();
    let mut data = vec![2u8];
    data.extend_from_slice(&(objstm as u32).to_be_bytes());
    data.push(0);
    out.extend_from_slice(
        format!(
            "{xrefstm} 0 obj\n<< /Type /XRef /Size {} /Index [{info} 1] /W [1 4 1] /Length {} >>\nstream\n",
            xrefstm + 1,
            data.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&data);
    out.extend_from_slice(b"\nendstream\nendobj\n");
    let xref_offset = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{objstm} 2\n{objstm_offset:010} 00000 n\r\n{xrefstm_offset:010} 00000 n\r\n\
             trailer\n<< /Size {} /Root {} {} R /Info {info} 0 R /ID {id} /Prev {prev_xref} /XRefStm {xrefstm_offset} >>\n\
             startxref\n{xref_offset}\n%%EOF\n",
            xrefstm + 1,
            root.0,
            root.1,
        )
        .as_bytes(),
    );
    out
}

/// Write a valid PDF of at least `min_bytes` to `path` in chunks (never whole in memory): pages
/// each showing an uncompressed 4 MiB grey image of pseudo-random noise, classic xref table.
/// Returns the file size. Meant for hundreds of megabytes (offsets past 100,000,000 test
/// fixed-width fields).
pub fn write_large_pdf(path: &Path, min_bytes: u64) -> std::io::Result<u64> {
    use std::io::Write;
    const SIDE: usize = 2048;
    const IMAGE: usize = SIDE * SIDE;
    /// A buffered file that counts what was written (the xref needs every offset).
    struct Counted {
        file: std::io::BufWriter<std::fs::File>,
        offset: u64,
    }
    impl Counted {
        fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
            self.offset += bytes.len() as u64;
            self.file.write_all(bytes)
        }
    }
    let pages = (min_bytes as usize).div_ceil(IMAGE).max(1);
    let mut out = Counted {
        file: std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?),
        offset: 0,
    };
    let mut offsets: Vec<u64> = Vec::with_capacity(3 + 3 * pages);
    out.put(b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n")?;
    // Objects: 1 catalog, 2 page tree, then per page i: page 3+3i, content 4+3i, image 5+3i;
    // the Info dictionary last.
    let page_id = |i: usize| 3 + 3 * i;
    let info_id = 3 + 3 * pages;
    offsets.push(out.offset);
    out.put(b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")?;
    offsets.push(out.offset);
    let kids: String = (0..pages).map(|i| format!("{} 0 R ", page_id(i))).collect();
    out.put(
        format!("2 0 obj\n<< /Type /Pages /Kids [{kids}] /Count {pages} >>\nendobj\n").as_bytes(),
    )?;
    let mut noise = vec![0u8; IMAGE];
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    for chunk in noise.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        chunk.copy_from_slice(&state.to_le_bytes()[..chunk.len()]);
    }
    for i in 0..pages {
        let (page, content, image) = (page_id(i), page_id(i) + 1, page_id(i) + 2);
        offsets.push(out.offset);
        out.put(
            format!(
                "{page} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content} 0 R /Resources << /XObject << /Im0 {image} 0 R >> >> >>\nendobj\n"
            )
            .as_bytes(),
        )?;
        let draw = "q 595 0 0 842 0 0 cm /Im0 Do Q";
        offsets.push(out.offset);
        out.put(
            format!(
                "{content} 0 obj\n<< /Length {} >>\nstream\n{draw}\nendstream\nendobj\n",
                draw.len()
            )
            .as_bytes(),
        )?;
        // Each page's image differs (its number in the first bytes).
        noise[..8].copy_from_slice(&(i as u64).to_be_bytes());
        offsets.push(out.offset);
        out.put(
            format!(
                "{image} 0 obj\n<< /Type /XObject /Subtype /Image /Width {SIDE} /Height {SIDE} /ColorSpace /DeviceGray /BitsPerComponent 8 /Length {IMAGE} >>\nstream\n"
            )
            .as_bytes(),
        )?;
        out.put(&noise)?;
        out.put(b"\nendstream\nendobj\n")?;
    }
    offsets.push(out.offset);
    out.put(format!("{info_id} 0 obj\n<< /Title (Stort testprotokoll) >>\nendobj\n").as_bytes())?;
    let xref = out.offset;
    let mut table = format!("xref\n0 {}\n0000000000 65535 f\r\n", offsets.len() + 1);
    for o in &offsets {
        table.push_str(&format!("{o:010} 00000 n\r\n"));
    }
    table.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R /Info {info_id} 0 R /ID [<00112233445566778899AABBCCDDEEFF> <00112233445566778899AABBCCDDEEFF>] >>\nstartxref\n{xref}\n%%EOF\n",
        offsets.len() + 1
    ));
    out.put(table.as_bytes())?;
    out.file.flush()?;
    Ok(out.offset)
}

/// The local world's OCSP responder as this crate's [`LocalResponder`] (through its bytes
/// API, as for [`TestTsa`]).
///
/// [`LocalResponder`]: crate::revocation::LocalResponder
pub struct TestResponder(pub esign_world::revocation::RevocationService);

fn responder_failed(e: impl std::fmt::Display) -> crate::revocation::RevocationError {
    crate::revocation::RevocationError::Signing(e.to_string())
}

impl crate::revocation::LocalResponder for TestResponder {
    fn issuer_of(&self, cert: &x509_cert::Certificate) -> Option<x509_cert::Certificate> {
        self.0.issuer_of(cert)
    }
    fn ocsp_response(
        &self,
        request_der: &[u8],
    ) -> Result<Vec<u8>, crate::revocation::RevocationError> {
        self.0.ocsp_response(request_der).map_err(responder_failed)
    }
    fn crl_of(
        &self,
        issuer: &x509_cert::Certificate,
    ) -> Result<Vec<u8>, crate::revocation::RevocationError> {
        self.0.crl_of(issuer).map_err(responder_failed)
    }
    fn now(&self) -> DateTime<Utc> {
        self.0.now()
    }
}

/// The local responder for the test PKI's CAs (root and sub-CA), with an empty revocation list
/// the test can add to: an in-process source of OCSP answers for B-LT/B-LTA seals.
pub fn test_revocation(
    pki: &TestPki,
) -> (
    crate::revocation::InProcessRevocation<TestResponder>,
    std::sync::Arc<esign_world::revocation::MemoryRevocations>,
) {
    let registry = std::sync::Arc::new(esign_world::revocation::MemoryRevocations::default());
    let service = esign_world::revocation::RevocationService::new(registry.clone())
        .with_authority("root", pki.root.clone())
        .expect("root CA")
        .with_authority("sub", pki.sub.clone())
        .expect("sub CA");
    (
        crate::revocation::InProcessRevocation(TestResponder(service)),
        registry,
    )
}

/// pyHanko's AdES validation (ETSI EN 319 102-1 style, long-term with the DSS's revocation
/// data; nothing is fetched, the test certificates name no responders).
pub fn pyhanko_adesverify(pdf: &Path, root_pem: &Path) -> (i32, String) {
    pyhanko_adesverify_with(pdf, root_pem, &[])
}

pub fn pyhanko_adesverify_with(pdf: &Path, root_pem: &Path, extra: &[&str]) -> (i32, String) {
    let mut args = vec![
        "sign",
        "adesverify",
        "--trust",
        root_pem.to_str().unwrap_or_default(),
        "--trust-replace",
    ];
    args.extend_from_slice(extra);
    args.push(pdf.to_str().unwrap_or_default());
    let out = run(&pyhanko(), &args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[cfg(test)]
mod shape_tests {
    use super::*;

    fn check(path: &Path) -> String {
        let (code, out) = qpdf_check(path);
        assert_eq!(code, 0, "qpdf --check {}: {out}", path.display());
        out
    }

    /// Each shape is a valid PDF (qpdf), passes intake, and is the shape it says it is.
    #[test]
    fn input_shapes_are_what_they_say() {
        let dir = temp_dir("shapes");
        let shapes = input_shapes();
        for (name, bytes) in &shapes {
            let path = dir.join(format!("{name}.pdf"));
            std::fs::write(&path, bytes).unwrap();
            let qpdf = check(&path);
            let facts = crate::pdf::intake::inspect(bytes, &Default::default())
                .unwrap_or_else(|e| panic!("{name} refused by intake: {e}"));
            let linearized = qpdf.contains("File is linearized");
            assert_eq!(linearized, name.starts_with("linearized"), "{name}: {qpdf}");
            assert_eq!(
                facts.xref_stream,
                name.ends_with("objstm"),
                "{name}: xref stream {}",
                facts.xref_stream
            );
            assert_eq!(
                facts.existing_signatures,
                u32::from(*name == "signed-by-other"),
                "{name}"
            );
            let expected_claim = match *name {
                "tiny-no-xmp" => None,
                "pdfa-1a" => Some("1A"),
                _ => Some("2B"),
            };
            assert_eq!(facts.pdfa_claim.as_deref(), expected_claim, "{name}");
            match *name {
                "acroform-text-field" => {
                    let form = qpdf_json(&path, &["acroform"]);
                    let field = &form["acroform"]["fields"][0];
                    assert_eq!(field["fullname"], "Diarienummer", "{form}");
                    assert_eq!(field["value"], "u:KS 2026/123 Åtvidaberg", "{form}");
                }
                "signed-by-other" => {
                    let report = pdfsig(&path);
                    assert!(report.contains("Signature is Valid"), "{report}");
                }
                "hybrid-xref" => {
                    // lopdf (intake) and poppler both follow /XRefStm to the new /Info.
                    assert_eq!(facts.title.as_deref(), Some("Hybrid"));
                    let info = run(&tool("ESIGN_PDFINFO", "pdfinfo"), &[path.to_str().unwrap()]);
                    let info = String::from_utf8_lossy(&info.stdout).into_owned();
                    assert!(info.contains("Title:           Hybrid"), "{info}");
                    let xref = run(
                        &tool("ESIGN_QPDF", "qpdf"),
                        &["--show-xref", path.to_str().unwrap()],
                    );
                    assert!(
                        String::from_utf8_lossy(&xref.stdout).contains("compressed; stream"),
                        "an object in an object stream"
                    );
                }
                _ => {}
            }
        }
        // Every shape made from the PDF/A-2b fixture is still PDF/A-2b.
        for name in [
            "xref-table",
            "linearized",
            "linearized-objstm",
            "xref-stream-objstm",
            "acroform-text-field",
            "signed-by-other",
            "hybrid-xref",
        ] {
            let (compliant, report) = pdfa_2b_failures(&dir.join(format!("{name}.pdf")));
            assert!(compliant, "{name}: {report}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn large_pdf_is_written_in_chunks_and_valid() {
        let dir = temp_dir("large");
        let path = dir.join("large.pdf");
        // Past 100,000,000 bytes: offsets of nine digits and more.
        let size = write_large_pdf(&path, 110_000_000).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().len(), size);
        assert!(size > 110_000_000);
        check(&path);
        assert_eq!(page_count(&path), 27);
        let _ = std::fs::remove_dir_all(dir);
    }
}
