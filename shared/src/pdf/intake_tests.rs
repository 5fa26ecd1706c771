use super::*;
use crate::error::ErrorText;
use crate::pdf::test_support::*;

fn code(bytes: &[u8]) -> std::borrow::Cow<'static, str> {
    match inspect(bytes, &IntakeLimits::default()) {
        Ok(_) => "ok".into(),
        Err(e) => e.code(),
    }
}

#[test]
fn fixtures_pass_with_their_pdfa_claim() {
    // The "pdfa1b" file's XMP actually says part 1, conformance A (it is tagged).
    let facts = inspect(&fixture(FIXTURE_1B), &IntakeLimits::default()).unwrap();
    assert_eq!(facts.pdfa_claim.as_deref(), Some("1A"));
    assert_eq!(facts.page_count, 22);
    assert!(!facts.xref_stream);
    assert_eq!(facts.existing_signatures, 0);
    let facts = inspect(&fixture(FIXTURE_2B), &IntakeLimits::default()).unwrap();
    assert_eq!(facts.pdfa_claim.as_deref(), Some("2B"));
    assert_eq!(facts.page_count, 22);
}

#[test]
fn hand_made_pdf_and_its_xref_stream_variant_pass() {
    let tiny = tiny_pdf("", &[]);
    let facts = inspect(&tiny, &IntakeLimits::default()).unwrap();
    assert_eq!(facts.page_count, 1);
    assert_eq!(facts.title.as_deref(), Some("Testprotokoll"));
    assert_eq!(facts.pdfa_claim, None);
    assert!(!facts.xref_stream);
    let streams = qpdf_transform(&fixture(FIXTURE_2B), &["--object-streams=generate"]);
    let facts = inspect(&streams, &IntakeLimits::default()).unwrap();
    assert!(facts.xref_stream);
    assert_eq!(facts.page_count, 22);
    assert_eq!(facts.pdfa_claim.as_deref(), Some("2B"));
}

#[test]
fn refusals_have_the_right_codes() {
    assert_eq!(code(b"hello, this is not a PDF"), "pdf.not_pdf");
    assert_eq!(code(b""), "pdf.not_pdf");
    let fixture = fixture(FIXTURE_2B);
    assert_eq!(code(&fixture[..fixture.len() / 2]), "pdf.truncated");
    // Encrypted with qpdf.
    let encrypted = qpdf_transform(&fixture, &["--encrypt", "user", "owner", "256", "--"]);
    assert_eq!(code(&encrypted), "pdf.encrypted");
    let encrypted_rc4 = qpdf_transform(
        &tiny_pdf("", &[]),
        &["--allow-weak-crypto", "--encrypt", "", "owner", "128", "--"],
    );
    assert_eq!(code(&encrypted_rc4), "pdf.encrypted");
    // JavaScript as OpenAction, and Launch.
    let js = tiny_pdf(
        "/OpenAction 7 0 R",
        &["<< /S /JavaScript /JS (app.alert\\('x'\\)) >>"],
    );
    assert_eq!(code(&js), "pdf.javascript");
    let js_names = tiny_pdf(
        "/Names << /JavaScript 7 0 R >>",
        &["<< /Names [(a) 8 0 R] >>", "<< /S /JavaScript /JS (1) >>"],
    );
    assert_eq!(code(&js_names), "pdf.javascript");
    let launch = tiny_pdf("/OpenAction 7 0 R", &["<< /S /Launch /F (calc.exe) >>"]);
    assert_eq!(code(&launch), "pdf.launch_action");
    // JavaScript hidden in an object stream is still found.
    let js_in_objstm = qpdf_transform(&js, &["--object-streams=generate"]);
    assert_eq!(code(&js_in_objstm), "pdf.javascript");
    // Broken xref: offsets shifted by inserting bytes before the objects.
    let tiny = tiny_pdf("", &[]);
    assert_eq!(code(&with_objects_shifted(&tiny)), "pdf.broken_xref");
    // startxref pointing nowhere.
    assert_eq!(code(&with_startxref_nowhere(&tiny)), "pdf.broken_xref");
    // No pages.
    let no_pages = String::from_utf8_lossy(&tiny)
        .replace("/Kids [3 0 R] /Count 1", "/Kids [] /Count 0")
        .into_bytes();
    let no_pages = qpdf_transform(&no_pages, &[]);
    assert_eq!(code(&no_pages), "pdf.no_pages");
    // Limits.
    let small = IntakeLimits {
        max_bytes: 100,
        max_pages: 5000,
    };
    assert_eq!(inspect(&tiny, &small).unwrap_err().code(), "pdf.too_large");
    let few = IntakeLimits {
        max_bytes: u64::MAX,
        max_pages: 10,
    };
    assert_eq!(
        inspect(&fixture, &few).unwrap_err().code(),
        "pdf.too_many_pages"
    );
}

#[test]
fn messages_exist_in_both_languages() {
    let e = IntakeError::Encrypted;
    assert!(e.message_sv().contains("krypterad"));
    assert!(e.message_en().starts_with("The PDF is encrypted"));
}

#[test]
fn mangled_inputs_never_panic() {
    let base = fixture(FIXTURE_1B);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..40 {
        let mut bytes = base.clone();
        for _ in 0..(1 + round % 20) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let pos = (state as usize) % bytes.len();
            bytes[pos] = (state >> 32) as u8;
        }
        let _ = inspect(&bytes, &IntakeLimits::default());
        let _ = crate::pdf::validate::verify(&bytes, &[]);
    }
    let tiny = tiny_pdf("", &[]);
    for cut in (0..tiny.len()).step_by(7) {
        let _ = inspect(&tiny[..cut], &IntakeLimits::default());
    }
}

/// A one-page PDF like `tiny_pdf`, with extra entries on the page and in the catalog and
/// extra objects numbered from 7 (written by hand so the hostile parts stay as written).
fn pdf_with(page_extra: &str, catalog_extra: &str, extra_objects: &[&str]) -> Vec<u8> {
    let mut objects: Vec<String> = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        format!("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> {page_extra} >>"),
        "<< /Length 37 >>\nstream\nBT /F1 12 Tf 72 700 Td (Hej) Tj ET\nendstream".into(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
        "<< /Title (Fientlig) >>".into(),
    ];
    objects.extend(extra_objects.iter().map(|s| s.to_string()));
    pdf_from_objects(&objects, "")
}

/// `inspect` in a thread with a deadline: a hang fails the test instead of stalling it.
fn code_within(bytes: Vec<u8>, seconds: u64) -> String {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(code(&bytes).to_string());
    });
    rx.recv_timeout(std::time::Duration::from_secs(seconds))
        .unwrap_or_else(|_| "HANG".into())
}

fn xorshift_bytes(n: usize, mut state: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// `pdf` with bytes inserted before its first object, so every xref offset is wrong.
fn with_objects_shifted(pdf: &[u8]) -> Vec<u8> {
    let mut shifted = pdf.to_vec();
    let at = shifted.windows(7).position(|w| w == b"1 0 obj").unwrap();
    shifted.splice(at..at, b"GARBAGE GARBAGE\n".iter().copied());
    shifted
}

/// `pdf` with its last startxref pointing past the end.
fn with_startxref_nowhere(pdf: &[u8]) -> Vec<u8> {
    let pos = pdf.windows(9).rposition(|w| w == b"startxref").unwrap();
    let mut bad_start = pdf[..pos].to_vec();
    bad_start.extend_from_slice(b"startxref\n99999\n%%EOF\n");
    bad_start
}

/// Every kind of hostile or broken upload gets its code, never a panic, a hang or a pass.
#[test]
fn hostile_inputs_are_refused_with_a_clear_code() {
    let fixture = fixture(FIXTURE_2B);
    let tiny = pdf_with("", "", &[]);
    let js = "<< /S /JavaScript /JS (app.alert\\(1\\)) >>";
    let launch = "<< /S /Launch /F (calc.exe) >>";
    let link =
        |action: &str| format!("<< /Type /Annot /Subtype /Link /Rect [0 0 100 100] /A {action} >>");
    let cut = |fraction: f64| fixture[..(fixture.len() as f64 * fraction) as usize].to_vec();
    let shifted = with_objects_shifted(&tiny);
    let bad_start = with_startxref_nowhere(&tiny);
    // xref entries pointing past the end of the file.
    let past_end = String::from_utf8_lossy(&tiny)
        .replacen("00000 n\r\n", "00000 n\r\nXX", 1)
        .replacen("XX", "", 1)
        .replace("0000000015 00000 n", "0009999999 00000 n")
        .into_bytes();
    let mut garbage = b"%PDF-1.7\n".to_vec();
    garbage.extend(xorshift_bytes(64 * 1024, 7));
    let mut garbage_with_trailer = garbage.clone();
    garbage_with_trailer.extend_from_slice(b"\nstartxref\n9\n%%EOF\n");
    let mut zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec();
    zip.extend(xorshift_bytes(2048, 11));
    zip.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
    // A signed file cut inside its signature update: the original's %%EOF is in the tail.
    let signed = signed_by(&TestPki::new(), &tiny, "Underskrift1");
    let signed_cut = signed[..tiny.len() + (signed.len() - tiny.len()) / 2].to_vec();
    // A /Prev chain that loops, and a page tree that loops.
    let mut prev_loop = tiny.clone();
    let xref_at = crate::pdf::update::last_startxref(&tiny).unwrap();
    let trailer = prev_loop.windows(7).rposition(|w| w == b"trailer").unwrap();
    let rest = String::from_utf8_lossy(&prev_loop[trailer..])
        .replace("/Info 6 0 R", &format!("/Info 6 0 R /Prev {xref_at}"));
    prev_loop.truncate(trailer);
    prev_loop.extend_from_slice(rest.as_bytes());
    let page_loop = String::from_utf8_lossy(&tiny)
        .replace("/Kids [3 0 R] /Count 1", "/Kids [2 0 R] /Count 1")
        .into_bytes();
    // Nesting deep enough to overflow a recursive parser's stack.
    let deep = pdf_with(
        &format!("/Deep {}1{}", "[".repeat(100_000), "]".repeat(100_000)),
        "",
        &[],
    );

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("0 bytes", Vec::new(), "pdf.not_pdf"),
        ("header only", b"%PDF-1.7\n".to_vec(), "pdf.not_pdf"),
        ("zip renamed .pdf", zip, "pdf.not_pdf"),
        ("html", b"<!DOCTYPE html><html><body>%PDF-1.7</body></html>".to_vec(), "pdf.not_pdf"),
        ("garbage after %PDF-", garbage, "pdf.not_pdf"),
        ("garbage with a trailer", garbage_with_trailer, "pdf.not_pdf"),
        ("truncated at 10%", cut(0.10), "pdf.truncated"),
        ("truncated at 50%", cut(0.50), "pdf.truncated"),
        ("truncated at 99%", cut(0.99), "pdf.truncated"),
        ("signed file cut inside its update", signed_cut, "pdf.truncated"),
        ("xref offsets shifted", shifted, "pdf.broken_xref"),
        ("startxref pointing nowhere", bad_start, "pdf.broken_xref"),
        ("xref entry past the end", past_end, "pdf.broken_xref"),
        (
            "encrypted AES-256",
            qpdf_transform(&fixture, &["--encrypt", "user", "owner", "256", "--"]),
            "pdf.encrypted",
        ),
        (
            "encrypted RC4, empty user password",
            qpdf_transform(&tiny, &["--allow-weak-crypto", "--encrypt", "", "owner", "128", "--"]),
            "pdf.encrypted",
        ),
        ("JavaScript in OpenAction", pdf_with("", "/OpenAction 7 0 R", &[js]), "pdf.javascript"),
        (
            "JavaScript in /Names /JavaScript",
            pdf_with("", "/Names << /JavaScript << /Names [(x) 7 0 R] >> >>", &[js]),
            "pdf.javascript",
        ),
        (
            "JavaScript in an annotation's /A",
            pdf_with("/Annots [7 0 R]", "", &[&link(js)]),
            "pdf.javascript",
        ),
        (
            "JavaScript in a page's /AA",
            pdf_with("/AA << /O 7 0 R >>", "", &[js]),
            "pdf.javascript",
        ),
        (
            "JavaScript in an annotation's /AA",
            pdf_with(
                "/Annots [7 0 R]",
                "",
                &["<< /Type /Annot /Subtype /Widget /FT /Btn /T (b) /Rect [0 0 10 10] /AA << /U 8 0 R >> >>", js],
            ),
            "pdf.javascript",
        ),
        (
            "JavaScript in the catalog's /AA",
            pdf_with("", "/AA << /WC 7 0 R >>", &[js]),
            "pdf.javascript",
        ),
        (
            "JavaScript as the /Next of a harmless action",
            pdf_with("", "/OpenAction << /S /GoTo /D [3 0 R /Fit] /Next 7 0 R >>", &[js]),
            "pdf.javascript",
        ),
        (
            "JavaScript under an escaped name",
            pdf_with("", "/OpenAction 7 0 R", &["<< /S /Java#53cript /JS (1) >>"]),
            "pdf.javascript",
        ),
        (
            "JavaScript action type behind a reference",
            pdf_with("", "/OpenAction 7 0 R", &["<< /S 8 0 R /JS 9 0 R >>", "/JavaScript", "(1)"]),
            "pdf.javascript",
        ),
        (
            "JavaScript in an object stream",
            qpdf_transform(&pdf_with("", "/OpenAction 7 0 R", &[js]), &["--object-streams=generate"]),
            "pdf.javascript",
        ),
        ("Launch in OpenAction", pdf_with("", "/OpenAction 7 0 R", &[launch]), "pdf.launch_action"),
        (
            "Launch in a link",
            pdf_with("/Annots [7 0 R]", "", &[&link(launch)]),
            "pdf.launch_action",
        ),
        ("a /Prev chain that loops", prev_loop, "ok"),
        ("a page tree that loops", page_loop, "pdf.broken_xref"),
        ("nesting 100,000 deep", deep, "pdf.unreadable"),
        (
            "JavaScript nested past the parser's depth limit",
            pdf_with(
                &format!(
                    "/X {}0{} /AA << /O << /S /JavaScript /JS (1) >> >>",
                    "[".repeat(150),
                    "]".repeat(150)
                ),
                "",
                &[],
            ),
            "pdf.unreadable",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, bytes, expected) in cases {
        let got = code_within(bytes, 30);
        if got != expected {
            wrong.push(format!("{name}: expected {expected}, got {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
