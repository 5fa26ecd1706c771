//! The `esign` commands as a user runs them: the real binary, real files, exit codes.

use std::path::Path;
use std::process::{Command, Output};

fn esign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_esign"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("esign runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn sample() -> &'static [u8] {
    esign_local::demo::SAMPLE_PROTOCOL
}

#[test]
fn seal_then_verify_reports_an_intact_trusted_seal_and_a_broken_one_fails() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let input = dir.path().join("in.pdf");
    let sealed = dir.path().join("sealed.pdf");
    std::fs::write(&input, sample()).unwrap();

    let out = esign(&[
        "seal",
        input.to_str().unwrap(),
        sealed.to_str().unwrap(),
        "--data",
        data,
    ]);
    assert!(out.status.success(), "seal: {}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PAdES B-LTA"),
        "seal says the level it made: {}",
        text(&out)
    );
    let bytes = std::fs::read(&sealed).unwrap();
    assert!(
        bytes.starts_with(sample()),
        "the input is a byte-exact prefix"
    );

    let out = esign(&["verify", sealed.to_str().unwrap(), "--data", data]);
    assert!(out.status.success(), "verify: {}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sig = &report["signatures"][0];
    // The seal and the document timestamp that makes it B-LTA.
    assert_eq!(report["signatures"].as_array().unwrap().len(), 2);
    assert_eq!(
        (sig["intact"].as_bool(), sig["trusted"].as_bool()),
        (Some(true), Some(true)),
        "{report}"
    );
    // The local installation has its own TSA and OCSP responder: the default level, B-LTA.
    assert_eq!(sig["level"], "PAdES-B-LTA", "{report}");
    assert_eq!(report["signatures"][1]["level"], "DocTimeStamp", "{report}");

    assert!(sig["timestamp_time"].is_string(), "{report}");
    assert!(sig["signer_subject"]
        .as_str()
        .unwrap()
        .contains("Demo kommun"));

    // One byte changed inside the signed range: verify says so and exits 1.
    let mut broken = bytes.clone();
    broken[1000] ^= 0x01;
    let broken_path = dir.path().join("broken.pdf");
    std::fs::write(&broken_path, &broken).unwrap();
    let out = esign(&["verify", broken_path.to_str().unwrap(), "--data", data]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["signatures"][0]["intact"], false);

    // Against another installation's trust anchor the seal is intact but not trusted.
    let other = dir.path().join("other");
    let out = esign(&[
        "seal",
        input.to_str().unwrap(),
        dir.path().join("x.pdf").to_str().unwrap(),
        "--data",
        other.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    let out = esign(&[
        "verify",
        sealed.to_str().unwrap(),
        "--data",
        other.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["signatures"][0]["intact"], true);
    assert_eq!(report["signatures"][0]["trusted"], false);
}

#[test]
fn seal_refuses_what_is_not_a_safe_pdf_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (name, bytes) in [
        ("not.pdf", b"hello, not a pdf".to_vec()),
        ("half.pdf", sample()[..sample().len() / 2].to_vec()),
    ] {
        let input = dir.path().join(name);
        std::fs::write(&input, &bytes).unwrap();
        let out_path = dir.path().join(format!("sealed-{name}"));
        let out = esign(&[
            "seal",
            input.to_str().unwrap(),
            out_path.to_str().unwrap(),
            "--data",
            data.to_str().unwrap(),
        ]);
        assert!(!out.status.success(), "{name} was sealed");
        let msg = text(&out);
        assert!(msg.contains("pdf."), "{name}: no error code in {msg:?}");
        assert!(!msg.contains("panicked"), "{name}: {msg}");
        assert!(!out_path.exists(), "{name}: an output was written");
    }
    let out = esign(&["verify", dir.path().join("missing.pdf").to_str().unwrap()]);
    assert!(!out.status.success());
}

#[test]
fn demo_writes_every_output_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let out_dir = dir.path().join("out");
    let out = esign(&[
        "demo",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "demo: {}", text(&out));
    for name in [
        "original.pdf",
        "archive.pdf",
        "publication.pdf",
        "notice.json",
        "notice.html",
        "sip.zip",
        "root-ca.pem",
    ] {
        let p = out_dir.join(name);
        assert!(
            Path::new(&p).exists() && std::fs::metadata(&p).unwrap().len() > 0,
            "{name} missing"
        );
    }
    let archive = std::fs::read(out_dir.join("archive.pdf")).unwrap();
    assert!(archive.starts_with(&std::fs::read(out_dir.join("original.pdf")).unwrap()));
    let notice: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("notice.json")).unwrap()).unwrap();
    assert_eq!(notice["organ"], "E-nämnden");
    // The tenant's anslagstavla, as the public reads it: the board lists the notice.
    let board = std::fs::read_to_string(out_dir.join("anslagstavla/index.html")).unwrap();
    assert!(board.contains("E-nämnden"), "{board}");
    for name in ["arkiv.html", "embed.html", "feed.atom", "feed.json"] {
        assert!(out_dir.join("anslagstavla").join(name).exists(), "{name}");
    }
    // The trust anchor written out is the one the data directory uses.
    assert_eq!(
        std::fs::read(out_dir.join("root-ca.pem")).unwrap(),
        std::fs::read(data.join("pki").join("root-ca.pem")).unwrap()
    );
}

/// A one-page PDF written by hand: not the sample.
fn own_protocol() -> Vec<u8> {
    esign_shared::pdf::hand_made::tiny_pdf("", &[])
}

/// `esign seal` refuses what upload refuses (here JavaScript), with intake's reason, and
/// writes nothing.
#[test]
fn seal_refuses_what_intake_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("med-javascript.pdf");
    std::fs::write(
        &input,
        esign_shared::pdf::hand_made::tiny_pdf(
            "/OpenAction 7 0 R",
            &["<< /S /JavaScript /JS (app.alert(1)) >>"],
        ),
    )
    .unwrap();
    let sealed = dir.path().join("sealed.pdf");
    let out = esign(&[
        "seal",
        input.to_str().unwrap(),
        sealed.to_str().unwrap(),
        "--data",
        dir.path().join("data").to_str().unwrap(),
    ]);
    assert!(!out.status.success(), "sealed: {}", text(&out));
    assert!(text(&out).contains("pdf.javascript"), "{}", text(&out));
    assert!(!sealed.exists());
}

#[test]
fn demo_runs_the_whole_flow_on_any_document_and_refuses_what_intake_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mine = dir.path().join("mitt protokoll.pdf");
    std::fs::write(&mine, own_protocol()).unwrap();
    let out_dir = dir.path().join("out");
    let out = esign(&[
        "demo",
        "--data",
        data.to_str().unwrap(),
        "--out",
        out_dir.to_str().unwrap(),
        "--document",
        mine.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "demo: {}", text(&out));
    assert!(text(&out).contains("mitt protokoll.pdf"), "{}", text(&out));
    assert_eq!(
        std::fs::read(out_dir.join("original.pdf")).unwrap(),
        own_protocol(),
        "the document given is the one signed"
    );
    let archive = std::fs::read(out_dir.join("archive.pdf")).unwrap();
    assert!(archive.starts_with(&own_protocol()));

    // A file upload would refuse is refused here too, with intake's reason.
    let not_pdf = dir.path().join("anteckningar.pdf");
    std::fs::write(&not_pdf, b"Detta ar ingen PDF").unwrap();
    let out = esign(&[
        "demo",
        "--data",
        data.to_str().unwrap(),
        "--out",
        dir.path().join("out2").to_str().unwrap(),
        "--document",
        not_pdf.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("pdf."),
        "the refusal's code: {}",
        text(&out)
    );
}

/// A protocol whose only page is a scan cannot be checked for personnummer: the demo stops at
/// publishing at once and says why, in words the secretary reads, instead of waiting.
#[test]
fn demo_says_at_once_why_a_protocol_is_not_published() {
    let dir = tempfile::tempdir().unwrap();
    let scan = dir.path().join("inskannat.pdf");
    std::fs::write(&scan, scanned_page()).unwrap();
    let started = std::time::Instant::now();
    let out = esign(&[
        "demo",
        "--data",
        dir.path().join("data").to_str().unwrap(),
        "--out",
        dir.path().join("out").to_str().unwrap(),
        "--document",
        scan.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("kan inte publiceras automatiskt: sidan 1"),
        "{}",
        text(&out)
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// One page that only draws an image (a scan): no text to read.
fn scanned_page() -> Vec<u8> {
    let content = b"q 595 0 0 842 0 0 cm /Im1 Do Q";
    let objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        [&b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray /BitsPerComponent 8 /Length 4 >>\nstream\n"[..], &[0, 255, 255, 0], b"\nendstream"].concat(),
        [format!("<< /Length {} >>\nstream\n", content.len()).as_bytes(), content, b"\nendstream"].concat(),
    ];
    let mut pdf = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend(format!("{} 0 obj\n", i + 1).as_bytes());
        pdf.extend(body);
        pdf.extend(b"\nendobj\n");
    }
    let xref = pdf.len();
    pdf.extend(format!("xref\n0 {}\n0000000000 65535 f\r\n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend(format!("{o:010} 00000 n\r\n").as_bytes());
    }
    pdf.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}

/// `esign serve` on an address other machines reach: the simulator's phone lets anyone log in
/// as anyone, so it says so before anything else; on loopback it does not.
#[test]
fn serve_warns_when_other_machines_can_reach_it() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    for (addr, warns) in [("0.0.0.0:0", true), ("127.0.0.1:0", false)] {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_esign"))
            .args(["serve", "--addr", addr, "--data"])
            .arg(dir.path().join("data"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("esign serve starts");
        // It prints its addresses once it listens: read up to the first of them.
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let started: Vec<String> = stdout
            .lines()
            .map_while(Result::ok)
            .take_while(|l| !l.contains("start page"))
            .collect();
        child.kill().unwrap();
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            started.iter().any(|l| l.contains("is running")),
            "{addr}: did not start: {started:?} {stderr}"
        );
        let warned = stderr.contains("VARNING") && stderr.contains("WARNING");
        assert_eq!(warned, warns, "{addr}: {stderr}");
        if warns {
            assert!(stderr.contains("vem som helst"), "{stderr}");
        }
    }
}

#[test]
fn anslag_prints_the_dates_of_law_as_json_and_refuses_a_bad_date() {
    // Justerad the Tuesday before Christmas 2026: the second day after is julafton, so the
    // notice may go up as late as Monday 28 December; posted the 23rd, the three weeks end on
    // Wednesday 13 January 2027.
    let out = esign(&[
        "anslag",
        "--justerad",
        "2026-12-22",
        "--posted",
        "2026-12-23",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "justerad": "2026-12-22",
            "latest_posting_day": "2026-12-28",
            "posted": "2026-12-23",
            "appeal_last_day": "2027-01-13",
            "taken_down": "2027-01-14",
        })
    );
    // Taken down on the last day, and posted on the justering day when not given.
    let out = esign(&[
        "anslag",
        "--justerad",
        "2020-04-14",
        "--take-down",
        "last-day",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["posted"], "2020-04-14");
    assert_eq!(json["taken_down"], "2020-05-05");
    let out = esign(&["anslag", "--justerad", "2026-02-30"]);
    assert!(!out.status.success());
    assert!(text(&out).contains("2026-02-30"), "{}", text(&out));
}

#[test]
fn a_sealed_file_is_renewed_by_a_rotated_timestamp_authority() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data = data.to_str().unwrap();
    let input = dir.path().join("in.pdf");
    let sealed = dir.path().join("sealed.pdf");
    let renewed = dir.path().join("renewed.pdf");
    std::fs::write(&input, sample()).unwrap();
    let path = |p: &Path| p.to_str().unwrap().to_string();
    let out = esign(&["seal", &path(&input), &path(&sealed), "--data", data]);
    assert!(out.status.success(), "seal: {}", text(&out));

    let out = esign(&["pki", "rotate-tsa", "--valid-years", "7", "--data", data]);
    assert!(out.status.success(), "rotate-tsa: {}", text(&out));
    let out = esign(&["pki", "rotate-tsa", "--valid-years", "0", "--data", data]);
    assert!(
        !out.status.success(),
        "a certificate of no years is refused"
    );

    let out = esign(&["extend", &path(&sealed), &path(&renewed), "--data", data]);
    assert!(out.status.success(), "extend: {}", text(&out));
    let before = std::fs::read(&sealed).unwrap();
    let after = std::fs::read(&renewed).unwrap();
    assert!(
        after.starts_with(&before),
        "the sealed file is a byte-exact prefix"
    );

    let out = esign(&["verify", &path(&renewed), "--data", data]);
    assert!(out.status.success(), "verify: {}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let signatures = report["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 3, "{report}");
    assert!(
        signatures
            .iter()
            .all(|s| s["intact"] == true && s["trusted"] == true),
        "{report}"
    );
    assert_eq!(signatures[2]["level"], "DocTimeStamp", "{report}");
    // The new authority's certificate runs longer than the first one's.
    let until = |i: usize| signatures[i]["proof_until"].as_str().unwrap().to_string();
    assert!(until(2) > until(1), "{report}");

    // A file with nothing to renew is refused with a reason.
    let out = esign(&[
        "extend",
        &path(&input),
        &path(&dir.path().join("x.pdf")),
        "--data",
        data,
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("pdf.unsupported_structure"),
        "{}",
        text(&out)
    );
}

/// A temporary directory with a local installation in `data/` (its path, too): `esign seal`
/// makes it and its demo tenant, as any command that opens a data directory does.
fn installation_with_demo_tenant() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data").to_str().unwrap().to_string();
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, sample()).unwrap();
    let out = esign(&[
        "seal",
        input.to_str().unwrap(),
        dir.path().join("sealed.pdf").to_str().unwrap(),
        "--data",
        &data,
    ]);
    assert!(out.status.success(), "seal: {}", text(&out));
    (dir, data)
}

#[test]
fn a_tenants_renewal_window_is_set_within_its_bounds() {
    let (_dir, data) = installation_with_demo_tenant();
    let data = data.as_str();
    let out = esign(&[
        "tenant", "renewal", "demo", "--months", "12", "--data", data,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    for months in ["0", "121"] {
        let out = esign(&[
            "tenant", "renewal", "demo", "--months", months, "--data", data,
        ]);
        assert!(!out.status.success(), "{months} months");
        assert!(
            text(&out).contains("tenant.renewal_window"),
            "{}",
            text(&out)
        );
    }
}

#[test]
fn api_keys_are_made_listed_and_revoked_from_the_command_line() {
    let (_dir, data) = installation_with_demo_tenant();
    let data = data.as_str();
    let out = esign(&[
        "api-key",
        "create",
        "demo",
        "--name",
        "E-tjänst",
        "--scope",
        "orders:write",
        "--scope",
        "orders:read",
        "--data",
        data,
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let (id, secret) = (
        made["api_key"]["id"].as_str().unwrap().to_string(),
        made["secret"].as_str().unwrap().to_string(),
    );
    assert!(secret.starts_with("esk_demo_"));
    let out = esign(&["api-key", "list", "demo", "--data", data]);
    let listed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        listed.contains(&id) && !listed.contains(&secret),
        "{listed}"
    );
    let out = esign(&["api-key", "revoke", "demo", &id, "--data", data]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked_at"));
    let out = esign(&[
        "api-key",
        "create",
        "demo",
        "--name",
        "x",
        "--scope",
        "everything",
        "--data",
        data,
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("unknown scope"), "{}", text(&out));
}
