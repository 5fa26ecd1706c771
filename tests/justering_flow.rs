//! The whole justering flow over HTTP, in local mode: a secretary and three signers. Upload,
//! order (ordförande and two justerare), signing through the simulated Mobilt BankID, one
//! rejection with a comment, recall, resend of a corrected PDF, signing again, then seal,
//! publish and export; every output is checked with independent tools.

use std::path::Path;
use std::time::Duration;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use esign_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

const COMMENT: &str = "Fel datum i § 7: sammanträdet hölls den 11 mars. Hemlig-kommentar-4711";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn justering_end_to_end() {
    let logs = capture_logs();
    let svc = TestService::start().await;
    let sec = &svc.secretary;
    let tenant = svc.tenant();
    let people = [ordforande(), justerare1(), justerare2()];

    // --- upload and order ---------------------------------------------------------------
    let v1 = protocol_v1();
    let doc1 = upload(sec, "protokoll-v1.pdf", v1.clone()).await;
    assert_eq!(
        doc1,
        sha256_hex(&v1),
        "the document id is the SHA-256 of the bytes"
    );
    let (status, again) = sec.upload("protokoll-v1.pdf", v1.clone()).await.unwrap();
    assert_eq!(
        status,
        StatusCode::OK,
        "the same bytes again answer 200: {again}"
    );

    let order = create_order(sec, &order_body(&doc1, justering_signers())).await;
    let order_id = order["id"].as_str().expect("order id").to_string();
    assert_eq!(order["status"], "open", "a new order is open: {order}");
    assert_eq!(order["version"], 1);
    assert_eq!(order["document_id"], doc1.as_str());
    assert_eq!(order["signers"].as_array().map(Vec::len), Some(3));
    for s in order["signers"].as_array().unwrap() {
        assert_eq!(s["state"], "pending", "signer {s}");
        let masked = s["personnummer_masked"].as_str().unwrap_or("");
        assert!(
            !masked.is_empty(),
            "the secretary sees a masked personnummer: {s}"
        );
        for p in &people {
            assert!(
                personnummer_found_in(masked.as_bytes(), &p.personal_number).is_empty(),
                "personnummer_masked shows a whole personnummer: {masked}"
            );
        }
    }

    // --- version 1: ordförande signs, a justerare rejects -----------------------------
    let ordf = svc.logged_in(ordforande()).await;
    let (status, mine) = ordf.get("/portal/orders").await.unwrap();
    assert_eq!(status, StatusCode::OK, "{mine}");
    let listed: Vec<&str> = mine["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .filter_map(|o| o["id"].as_str())
        .collect();
    assert_eq!(
        listed,
        vec![order_id.as_str()],
        "the ordförande sees exactly the order"
    );
    let (status, pdf) = ordf
        .http
        .get_bytes(
            &format!("/portal/orders/{tenant}/{order_id}/document.pdf"),
            ordf.session.as_deref(),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(pdf == v1, "the signer reads exactly version 1's bytes");

    let done = ordf.sign(tenant, &order_id).await.expect("signing v1");
    assert_eq!(done["status"], "complete", "ordförande signs v1: {done}");
    let o = sec.order(&order_id).await.unwrap();
    assert_eq!(signer_state(&o, &ordforande().name()), "signed", "{o}");
    assert_eq!(o["status"], "open");

    // The second justerare starts signing version 1 but has not confirmed on the phone yet.
    let just2 = svc.logged_in(justerare2()).await;
    let (status, pending_v1) = just2
        .post(
            &format!("/portal/orders/{tenant}/{order_id}/sign"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "start signing v1: {pending_v1}");

    let just1 = svc.logged_in(justerare1()).await;
    let (status, rejected) = just1
        .post(
            &format!("/portal/orders/{tenant}/{order_id}/reject"),
            &json!({ "comment": COMMENT }),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "reject: {rejected}");
    assert_eq!(rejected["order_status"], "declined", "{rejected}");

    // The comment reaches the secretary ...
    let o = sec.order(&order_id).await.unwrap();
    assert_eq!(o["status"], "declined", "{o}");
    let j1 = signer(&o, &justerare1().name());
    assert_eq!(j1["state"], "declined", "{j1}");
    assert_eq!(
        j1["comment"], COMMENT,
        "the secretary reads the comment: {j1}"
    );
    // ... and no signer.
    for portal in [&ordf, &just1] {
        for path in [
            "/portal/orders".to_string(),
            format!("/portal/orders/{tenant}/{order_id}"),
        ] {
            let (status, body) = portal.get(&path).await.unwrap();
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            assert!(
                !body.to_string().contains("Hemlig-kommentar-4711"),
                "{} sees the rejection comment at {path}: {body}",
                portal.person.name()
            );
        }
    }
    // A declined order cannot be signed any more.
    let (status, body) = just2
        .post(
            &format!("/portal/orders/{tenant}/{order_id}/sign"),
            &json!({}),
        )
        .await
        .unwrap();
    assert!(
        status.is_client_error(),
        "signing a declined order must be refused, got {status}: {body}"
    );

    // --- recall and resend a corrected version ------------------------------------------
    let (status, recalled) = sec
        .post(
            &format!("/api/orders/{order_id}/recall"),
            &json!({"reason": "Rättar § 7"}),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "recall: {recalled}");
    assert_eq!(recalled["order"]["status"], "recalled", "{recalled}");

    let v2 = protocol_v2();
    assert_ne!(v1, v2);
    let doc2 = upload(sec, "protokoll-v2.pdf", v2.clone()).await;
    let (status, resent) = sec
        .post(
            &format!("/api/orders/{order_id}/resend"),
            &json!({ "document_id": doc2 }),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "resend: {resent}");
    let o = &resent["order"];
    assert_eq!(o["status"], "open", "{o}");
    assert_eq!(o["version"], 2, "{o}");
    assert_eq!(o["document_id"], doc2.as_str(), "{o}");
    for s in o["signers"].as_array().unwrap() {
        assert_eq!(
            s["state"], "pending",
            "a signature or rejection on version 1 must not carry over to version 2: {s}"
        );
    }
    // The ordförande who signed v1 is pending on v2, in their own view too.
    let (status, mine) = ordf
        .get(&format!("/portal/orders/{tenant}/{order_id}"))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["version"], 2, "{mine}");
    assert_eq!(
        mine["my_state"], "pending",
        "v1's signature counts on v2: {mine}"
    );
    let (_, pdf) = ordf
        .http
        .get_bytes(
            &format!("/portal/orders/{tenant}/{order_id}/document.pdf"),
            ordf.session.as_deref(),
        )
        .await
        .unwrap();
    assert!(
        pdf == v2,
        "after the resend the signer reads version 2's bytes"
    );

    // The signing of version 1 that was under way completes on the phone only now: it must
    // not count for version 2.
    let _ = just2
        .phone_approves(pending_v1["auto_start_token"].as_str().unwrap())
        .await;
    let (status, late) = just2
        .post(
            "/portal/sign/collect",
            &json!({"sign_ref": pending_v1["sign_ref"]}),
        )
        .await
        .unwrap();
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR,
        "collecting a stale v1 signing: {status} {late}"
    );
    let o = sec.order(&order_id).await.unwrap();
    assert_eq!(
        signer_state(&o, &justerare2().name()),
        "pending",
        "a BankID signing started on version 1 counted for version 2 (collect answered {status} {late}): {o}"
    );
    assert_eq!(o["version"], 2);

    // --- everybody signs version 2 ------------------------------------------------------
    for (i, portal) in [&ordf, &just1, &just2].into_iter().enumerate() {
        let done = portal.sign(tenant, &order_id).await.expect("signing v2");
        assert_eq!(
            done["status"],
            "complete",
            "{} signs v2: {done}",
            portal.person.name()
        );
        if i < 2 {
            let o = sec.order(&order_id).await.unwrap();
            assert_eq!(
                o["status"], "open",
                "not complete before the last signature: {o}"
            );
        }
    }
    let o = sec
        .wait_for_status(&order_id, "exported", Duration::from_secs(120))
        .await
        .expect("the order reaches exported");
    for s in o["signers"].as_array().unwrap() {
        assert_eq!(s["state"], "signed", "{s}");
    }
    assert_eq!(
        o["files"],
        json!({"archive": true, "publication": true, "notice": true, "sip": true})
    );
    svc.running().service.queue.wait_idle().await;

    // --- outputs ------------------------------------------------------------------------
    let out = svc.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let (status, original) = sec
        .http
        .get_bytes(
            &format!("/api/documents/{doc2}/original.pdf"),
            Some(&sec.api_key),
        )
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    assert!(
        original == v2,
        "original.pdf is the uploaded version 2, byte for byte"
    );
    std::fs::write(out.join("original.pdf"), &original).unwrap();
    for name in [
        "archive.pdf",
        "publication.pdf",
        "notice.json",
        "notice.html",
        "sip.zip",
    ] {
        let bytes = sec
            .file(&order_id, name)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        std::fs::write(out.join(name), bytes).unwrap();
    }
    let root_pem = svc.data().join("pki/root-ca.pem");
    assert!(root_pem.is_file(), "DATA/pki/root-ca.pem exists");

    check_archive(&out, &original, &root_pem);
    check_publication(&out, &people);
    check_notice(&out);
    check_sip(&out);
    check_mail(&svc.data().join("mail"), &people);

    // --- the public side: anslagstavla, notice and publication version ------------------
    let publication = std::fs::read(out.join("publication.pdf")).unwrap();
    let mut public_bytes = Vec::new();
    for path in [
        format!("/public/{tenant}/anslag/"),
        format!("/public/{tenant}/anslag/{order_id}.html"),
        format!("/public/{tenant}/anslag/{order_id}.json"),
        format!("/public/{tenant}/anslag/{order_id}.pdf"),
    ] {
        let (status, bytes) = svc.http.get_bytes(&path, None).await.unwrap();
        assert_eq!(status, StatusCode::OK, "GET {path} (no login)");
        if path.ends_with(".pdf") {
            assert!(
                bytes == publication,
                "{path} is not the publication version"
            );
        } else {
            assert!(
                contains(&bytes, "E-nämnden".as_bytes()),
                "{path} does not name the organ"
            );
        }
        public_bytes.extend(bytes);
    }
    for f in ["notice.json", "notice.html", "publication.pdf"] {
        public_bytes.extend(std::fs::read(out.join(f)).unwrap());
    }
    assert!(
        !contains(&public_bytes, b"Hemlig-kommentar-4711"),
        "the rejection comment reached a public page or file"
    );
    for p in &people {
        let found = personnummer_found_in(&public_bytes, &p.personal_number);
        assert!(
            found.is_empty(),
            "a public page holds {}'s personnummer: {found:?}",
            p.name()
        );
    }
    // API answers never carry a whole personnummer.
    let mut answers = sec.order(&order_id).await.unwrap().to_string().into_bytes();
    answers.extend(order_list(sec).await.to_string().into_bytes());
    for portal in [&ordf, &just1, &just2] {
        for path in [
            "/portal/orders".to_string(),
            format!("/portal/orders/{tenant}/{order_id}"),
            "/portal/me".into(),
        ] {
            let (_, body) = portal.get(&path).await.unwrap();
            answers.extend(body.to_string().into_bytes());
        }
    }
    for p in &people {
        let found = personnummer_found_in(&answers, &p.personal_number);
        assert!(
            found.is_empty(),
            "an API answer holds {}'s personnummer: {found:?}",
            p.name()
        );
    }

    // --- no personnummer in clear in the state or the logs -----------------------------
    let state = std::fs::read(svc.data().join("state.redb")).expect("DATA/state.redb");
    let log_bytes = logs.contents();
    assert!(
        !log_bytes.is_empty(),
        "the log capture saw nothing: is tracing wired?"
    );
    for p in &people {
        let found = personnummer_found_in(&state, &p.personal_number);
        assert!(
            found.is_empty(),
            "DATA/state.redb holds {}'s personnummer in clear: {found:?}",
            p.name()
        );
        let found = personnummer_found_in(&log_bytes, &p.personal_number);
        assert!(
            found.is_empty(),
            "the log output holds {}'s personnummer: {found:?}",
            p.name()
        );
    }

    // Nor anywhere else in the data directory, except the BankID evidence (which must keep
    // the signed XML as BankID made it).
    let data = svc.data();
    for f in files_under(&data) {
        if f.contains("/evidence/") {
            continue;
        }
        let bytes = std::fs::read(data.join(&f)).unwrap_or_default();
        for p in &people {
            let found = personnummer_found_in(&bytes, &p.personal_number);
            assert!(
                found.is_empty(),
                "DATA/{f} holds {}'s personnummer in clear: {found:?}",
                p.name()
            );
        }
    }

    svc.stop().await;
}

fn signer<'a>(order: &'a Value, name: &str) -> &'a Value {
    order["signers"]
        .as_array()
        .and_then(|a| a.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no signer {name} in {order}"))
}

fn signer_state(order: &Value, name: &str) -> String {
    signer(order, name)["state"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

fn check_archive(out: &Path, original: &[u8], root_pem: &Path) {
    let archive_path = out.join("archive.pdf");
    let archive = std::fs::read(&archive_path).unwrap();
    assert!(
        archive.len() > original.len() && archive.starts_with(original),
        "original.pdf ({} bytes) must be a byte-exact prefix of archive.pdf ({} bytes)",
        original.len(),
        archive.len()
    );
    let py = pyhanko_validate(&archive_path, root_pem);
    assert_eq!(
        py.lines().filter(|l| l.contains(":INTACT:")).count(),
        1,
        "pyhanko should see exactly one signature: {py}"
    );
    let sig = pdfsig(&archive_path);
    let count = sig.lines().filter(|l| l.starts_with("Signature #")).count();
    assert_eq!(
        count, 2,
        "pdfsig should see the seal and its document timestamp: {sig}"
    );
    assert!(
        sig.contains("Signature Field Name: Sigill1")
            && sig.contains("Signature Field Name: Dokumenttidsstampel1"),
        "{sig}"
    );
    assert!(
        sig.contains("Signature Validation: Signature is Valid."),
        "pdfsig does not say the signature is valid: {sig}"
    );
    assert!(
        sig.contains("Total document signed"),
        "the document timestamp covers the whole file: {sig}"
    );
    // PAdES B-LTA, long term: pyHanko's AdES validation with only the DSS's revocation data.
    let (ok, ades) = pyhanko_adesverify(&archive_path, root_pem);
    assert!(
        ok && ades
            .contains(":INTACT:TRUSTED,TIMESTAMP_TOKEN<INTACT:TRUSTED>,EXTENDED_WITH_LTA_UPDATES"),
        "pyhanko adesverify: {ades}"
    );
    let anchors =
        vec![
            esign_shared::x509::pem_decode_certs(&std::fs::read_to_string(root_pem).unwrap())
                .unwrap()[0]
                .clone(),
        ];
    let report = esign_shared::pdf::verify(&archive, &anchors).unwrap();
    assert_eq!(report.signatures[0].level, "PAdES-B-LTA", "{report:?}");
    qpdf_check(&archive_path);
    // Every signature's BankID evidence travels inside the archive version (PDF/A-3 AF).
    let listed = run_tool(
        "qpdf",
        &["--list-attachments".as_ref(), archive_path.as_os_str()],
    );
    let listed = String::from_utf8_lossy(&listed.stdout);
    for n in 1..=3 {
        assert!(
            listed.contains(&format!("bankid-underskrift-{n}.json")),
            "qpdf --list-attachments: {listed}"
        );
    }
    // The oracles bite: one byte changed inside the original revision breaks the seal.
    let mut tampered = archive.clone();
    let at = original.len() / 2;
    tampered[at] = if tampered[at] == b'0' { b'1' } else { b'0' };
    let tampered_path = out.join("tampered.pdf");
    std::fs::write(&tampered_path, &tampered).unwrap();
    let sig = pdfsig(&tampered_path);
    assert!(
        !sig.contains("Signature is Valid."),
        "pdfsig still calls a tampered archive valid: {sig}"
    );
    let o = run_tool(
        "pyhanko",
        &[
            "sign".as_ref(),
            "validate".as_ref(),
            "--trust".as_ref(),
            root_pem.as_os_str(),
            "--trust-replace".as_ref(),
            "--no-revocation-check".as_ref(),
            tampered_path.as_os_str(),
        ],
    );
    let t = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        !t.contains("INTACT:TRUSTED"),
        "pyhanko still calls a tampered archive intact: {t}"
    );

    // The signature page lists the three signers and the method.
    let text = pdftotext(&archive_path);
    for p in [ordforande(), justerare1(), justerare2()] {
        assert!(
            text.contains(&p.name()),
            "the archive's signature page lacks {}",
            p.name()
        );
    }
    assert!(
        text.contains("BankID"),
        "the signature page does not name the method"
    );
}

/// The PDF with object streams and compression undone, so nothing hides in a stream.
fn expanded(pdf: &Path) -> Vec<u8> {
    let target = pdf.with_extension("qdf.pdf");
    let o = run_tool(
        "qpdf",
        &[
            "--qdf".as_ref(),
            "--object-streams=disable".as_ref(),
            pdf.as_os_str(),
            target.as_os_str(),
        ],
    );
    assert!(
        o.status.code() == Some(0) || o.status.code() == Some(3),
        "qpdf --qdf {}: {}",
        pdf.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    std::fs::read(target).unwrap()
}

fn check_publication(out: &Path, people: &[esign_local::drive::Person]) {
    let path = out.join("publication.pdf");
    let raw = std::fs::read(&path).unwrap();
    qpdf_check(&path);
    let full = expanded(&path);
    let text = pdftotext(&path);
    assert_eq!(
        raw.windows(5).filter(|w| w == b"%%EOF").count(),
        1,
        "publication.pdf is one revision: nothing of an earlier one"
    );
    for (what, bytes) in [("raw bytes", &raw), ("expanded objects", &full)] {
        for marker in [
            "/Sig",
            "/ByteRange",
            "/EmbeddedFile",
            "/JavaScript",
            "/Metadata",
        ] {
            assert!(
                !contains(bytes, marker.as_bytes()),
                "publication.pdf ({what}) contains {marker}"
            );
        }
    }
    let sig = pdfsig(&path);
    assert!(
        !sig.contains("Signature #"),
        "pdfsig finds a signature in publication.pdf: {sig}"
    );
    for p in people {
        for (what, bytes) in [
            ("raw bytes", &raw),
            ("expanded objects", &full),
            ("text", &text.as_bytes().to_vec()),
        ] {
            let found = personnummer_found_in(bytes, &p.personal_number);
            assert!(
                found.is_empty(),
                "publication.pdf ({what}) holds {}'s personnummer: {found:?}",
                p.name()
            );
        }
        assert!(
            text.contains(&p.name()),
            "publication.pdf does not show the name {}: {text}",
            p.name()
        );
    }
    assert!(
        text.contains("Justerat digitalt"),
        "publication.pdf has no visible 'Justerat digitalt' block"
    );
}

fn stockholm_today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .date_naive()
}

/// Swedish non-working days for time limits (lag 1930:173): weekends, public holidays and
/// midsommarafton, julafton, nyårsafton. Computed here, independently of the service.
fn non_working(d: NaiveDate) -> bool {
    if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        return true;
    }
    let y = d.year();
    let md = (d.month(), d.day());
    if matches!(
        md,
        (1, 1) | (1, 6) | (5, 1) | (6, 6) | (12, 24) | (12, 25) | (12, 26) | (12, 31)
    ) {
        return true;
    }
    // Easter Sunday (anonymous Gregorian algorithm).
    let a = y % 19;
    let b = y / 100;
    let c = y % 100;
    let dd = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - dd - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    let easter = NaiveDate::from_ymd_opt(y, month as u32, day as u32).unwrap();
    let good_friday = easter - Days::new(2);
    let easter_monday = easter + Days::new(1);
    let ascension = easter + Days::new(39);
    // Midsommarafton: the Friday between 19 and 25 June.
    let midsommarafton =
        d.month() == 6 && (19..=25).contains(&d.day()) && d.weekday() == Weekday::Fri;
    d == good_friday || d == easter_monday || d == ascension || midsommarafton
}

fn check_notice(out: &Path) {
    let notice: Value = serde_json::from_slice(&std::fs::read(out.join("notice.json")).unwrap())
        .expect("notice.json is JSON");
    assert_eq!(notice["organ"], "E-nämnden", "{notice}");
    assert_eq!(notice["meeting_date"], "2020-03-11", "{notice}");
    assert_eq!(notice["paragraphs"], "§§ 1–14", "{notice}");
    assert_eq!(
        notice["storage_place"], "Kommunkansliet, Demo kommun",
        "{notice}"
    );
    let date = |f: &str| -> NaiveDate {
        notice[f]
            .as_str()
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .unwrap_or_else(|| panic!("notice.{f} is not a YYYY-MM-DD date: {notice}"))
    };
    let today = stockholm_today();
    let justering = date("justering_date");
    let posted = date("posted");
    let appeal_ends = date("appeal_ends");
    let taken_down = date("taken_down");
    // The test runs in minutes; allow a day boundary in Stockholm during the run.
    assert!(
        justering == today || justering + Days::new(1) == today,
        "justering_date {justering} is not today ({today})"
    );
    assert!(
        posted >= justering && posted <= today,
        "posted {posted} (justering {justering}, today {today})"
    );
    let mut expected = posted + Days::new(21);
    while non_working(expected) {
        expected = expected + Days::new(1);
    }
    assert_eq!(
        appeal_ends, expected,
        "appeal_ends must be three weeks after posting ({posted}), moved past non-working days"
    );
    assert!(
        taken_down > appeal_ends,
        "the notice must stay up the whole appeal period: taken_down {taken_down}, appeal_ends {appeal_ends}"
    );
    let html = String::from_utf8(std::fs::read(out.join("notice.html")).unwrap())
        .expect("notice.html is UTF-8");
    for needle in ["E-nämnden", "Kommunkansliet, Demo kommun"] {
        assert!(html.contains(needle), "notice.html does not show {needle}");
    }
}

fn check_sip(out: &Path) {
    use std::io::Read;
    // eark-validator, as archives run it (offline; its known defects allowed, nothing else).
    let judged = run_tool("eark-validate", &[out.join("sip.zip").as_os_str()]);
    assert!(
        judged.status.success(),
        "sip.zip fails eark-validator:\n{}{}",
        String::from_utf8_lossy(&judged.stdout)
            .lines()
            .filter(|l| !l.starts_with('{'))
            .collect::<Vec<_>>()
            .join("\n"),
        String::from_utf8_lossy(&judged.stderr)
    );
    let zip_bytes = std::fs::read(out.join("sip.zip")).unwrap();
    esign_shared::archive::verify_sip(&zip_bytes)
        .unwrap_or_else(|e| panic!("sip.zip does not verify: {e:?}"));
    let manifest = esign_shared::archive::read_sip_manifest(&zip_bytes).expect("the SIP's METS");
    assert!(!manifest.is_empty(), "METS lists no files");
    // Check the listed checksums ourselves too: find each file in the zip and hash it.
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&zip_bytes)).expect("sip.zip is a zip");
    let names: Vec<String> = zip.file_names().map(str::to_string).collect();
    let mut hashes = Vec::new();
    for (path, sha) in &manifest {
        let full = names
            .iter()
            .find(|n| n.ends_with(&format!("/{path}")) || *n == path)
            .unwrap_or_else(|| panic!("METS lists {path}, which is not in the zip ({names:?})"))
            .clone();
        let mut bytes = Vec::new();
        zip.by_name(&full).unwrap().read_to_end(&mut bytes).unwrap();
        assert!(
            sha256_hex(&bytes).eq_ignore_ascii_case(sha),
            "{path}: METS says {sha}, the file hashes to {}",
            sha256_hex(&bytes)
        );
        hashes.push(sha256_hex(&bytes));
    }
    let _ = hashes;
    // The descriptive and preservation metadata are valid CITS ERMS and PREMIS 3 (libxml2
    // against the schemas the package carries).
    for (entry, schema) in [
        ("/metadata/descriptive/erms.xml", "ERMS.xsd"),
        ("/metadata/preservation/premis.xml", "premis.xsd"),
    ] {
        let name = names
            .iter()
            .find(|n| n.ends_with(entry))
            .unwrap_or_else(|| panic!("the SIP has no {entry}: {names:?}"))
            .clone();
        let mut xml = Vec::new();
        zip.by_name(&name).unwrap().read_to_end(&mut xml).unwrap();
        let file = out.join(entry.rsplit('/').next().unwrap());
        std::fs::write(&file, &xml).unwrap();
        let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/schemas")
            .join(schema);
        let checked = run_tool("xsd-validate", &[schema.as_os_str(), file.as_os_str()]);
        assert!(
            checked.status.success(),
            "{entry} is not valid: {}",
            String::from_utf8_lossy(&checked.stdout)
        );
    }
    // The readable validation report is PDF/A-2b (page-validation) and says what was checked.
    let name = names
        .iter()
        .find(|n| n.ends_with("/documentation/kontrollrapport.pdf"))
        .unwrap_or_else(|| panic!("the SIP has no readable report: {names:?}"))
        .clone();
    let mut pdf = Vec::new();
    zip.by_name(&name).unwrap().read_to_end(&mut pdf).unwrap();
    let report = out.join("kontrollrapport.pdf");
    std::fs::write(&report, &pdf).unwrap();
    let script = "import sys, page\nr = page.validate_pdf(sys.argv[1], profile=page.ValidationProfile.PDF_A_2B)\nprint('COMPLIANT' if r.is_compliant else 'NOT-COMPLIANT')\nfor f in r.failures: print(f.rule_id, f.message)\n";
    let checked = run_tool(
        "python3",
        &["-c".as_ref(), script.as_ref(), report.as_os_str()],
    );
    let verdict = String::from_utf8_lossy(&checked.stdout);
    assert!(
        verdict.starts_with("COMPLIANT"),
        "kontrollrapport.pdf: {verdict}"
    );
    let text = run_tool("pdftotext", &[report.as_os_str(), "-".as_ref()]);
    let text = String::from_utf8_lossy(&text.stdout);
    for needle in [
        "Kontrollrapport",
        "elektroniska sigill",
        "oförändrat, giltigt",
    ] {
        assert!(
            text.contains(needle),
            "kontrollrapport.pdf lacks {needle}: {text}"
        );
    }
    // The representation holds the archive version that archive.pdf serves, and the evidence.
    let archive = std::fs::read(out.join("archive.pdf")).unwrap();
    let in_zip: Vec<&String> = names
        .iter()
        .filter(|n| n.ends_with("/archive.pdf"))
        .collect();
    assert_eq!(
        in_zip.len(),
        1,
        "the SIP should hold one archive.pdf: {names:?}"
    );
    let mut bytes = Vec::new();
    zip.by_name(in_zip[0])
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert!(
        bytes == archive,
        "the SIP's archive.pdf differs from the archive version served"
    );
    let evidence = names.iter().filter(|n| n.contains("/evidence/")).count();
    assert!(
        evidence >= 3,
        "the SIP should hold the BankID evidence of 3 signers: {names:?}"
    );
}

fn check_mail(mail_dir: &Path, people: &[esign_local::drive::Person]) {
    let files = files_under(mail_dir);
    let mails: Vec<(String, Vec<u8>)> = files
        .iter()
        .filter(|f| f.ends_with(".eml"))
        .map(|f| (f.clone(), std::fs::read(mail_dir.join(f)).unwrap()))
        .collect();
    assert!(
        mails.len() >= 3,
        "expected an invitation per signer in DATA/mail, found {files:?}"
    );
    for p in people {
        let email = signer_json(p, "x")["email"].as_str().unwrap().to_string();
        let to_them = mails.iter().filter(|(_, m)| {
            String::from_utf8_lossy(m)
                .lines()
                .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(&email))
        });
        assert!(
            to_them.count() >= 1,
            "no invitation mail to {email} in {files:?}"
        );
    }
    for (name, raw) in &mails {
        let text = decoded_mail(raw);
        for p in people {
            let found = personnummer_found_in(&text, &p.personal_number);
            assert!(
                found.is_empty(),
                "mail {name} holds {}'s personnummer: {found:?}",
                p.name()
            );
        }
    }
}

/// Resending the very same bytes after a recall makes a new version all the same: a signature
/// given before the recall never carries over, even over an identical document.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_of_the_same_bytes_does_not_keep_signatures() {
    let svc = TestService::start().await;
    let sec = &svc.secretary;
    let t = svc.tenant();
    let doc = upload(sec, "p.pdf", protocol_v1()).await;
    let order = create_order(sec, &order_body(&doc, justering_signers())).await;
    let id = order["id"].as_str().unwrap().to_string();
    let ordf = svc.logged_in(ordforande()).await;
    let done = ordf.sign(t, &id).await.unwrap();
    assert_eq!(done["status"], "complete", "{done}");
    let (status, body) = sec
        .post(&format!("/api/orders/{id}/recall"), &json!({}))
        .await
        .unwrap();
    assert_eq!(status, StatusCode::OK, "recall: {body}");
    let (status, body) = sec
        .post(
            &format!("/api/orders/{id}/resend"),
            &json!({"document_id": doc}),
        )
        .await
        .unwrap();
    if status.is_client_error() {
        // Refusing an unchanged resend is a fair rule too, if it says so clearly.
        assert_api_error("resend of unchanged bytes", status, &body, &[409, 422]);
    } else {
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["order"]["version"], 2, "{body}");
        assert_eq!(body["order"]["status"], "open", "{body}");
        assert_eq!(
            signer_state(&body["order"], &ordforande().name()),
            "pending",
            "the signature made before the recall carried over: {body}"
        );
    }
    svc.stop().await;
}

/// Nothing lost, nothing twice: three signers finishing at the same moment, and the same
/// bytes uploaded five times at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signers_at_the_same_moment() {
    let svc = TestService::start().await;
    let sec = &svc.secretary;
    let t = svc.tenant();

    let uploads = (0..5).map(|_| sec.upload("p.pdf", protocol_v1()));
    let answers = futures_join_all(uploads.collect()).await;
    let mut created = 0;
    for answer in &answers {
        let (status, body) = answer.as_ref().expect("an upload request");
        assert!(
            status.is_success(),
            "a concurrent upload failed: {status} {body}"
        );
        assert_eq!(body["document"]["id"], sha256_hex(&protocol_v1()));
        if *status == StatusCode::CREATED {
            created += 1;
        }
    }
    assert_eq!(
        created, 1,
        "exactly one of five identical uploads creates the document"
    );
    let doc = sha256_hex(&protocol_v1());

    let order = create_order(sec, &order_body(&doc, justering_signers())).await;
    let id = order["id"].as_str().unwrap().to_string();
    let mut portals = Vec::new();
    for p in [ordforande(), justerare1(), justerare2()] {
        portals.push(svc.logged_in(p).await);
    }
    let results = futures_join_all(portals.iter().map(|p| p.sign(t, &id)).collect()).await;
    for (p, r) in portals.iter().zip(&results) {
        let r = r
            .as_ref()
            .unwrap_or_else(|e| panic!("{} could not sign: {e:#}", p.person.name()));
        assert_eq!(r["status"], "complete", "{}: {r}", p.person.name());
    }
    let o = sec
        .wait_for_status(&id, "exported", Duration::from_secs(120))
        .await
        .expect("exported");
    for s in o["signers"].as_array().unwrap() {
        assert_eq!(s["state"], "signed", "a concurrent signature was lost: {s}");
    }
    svc.running().service.queue.wait_idle().await;
    let kinds: Vec<&str> = o["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["kind"].as_str())
        .collect();
    for (k, times) in [
        ("signed", 3),
        ("completed", 1),
        ("seal", 1),
        ("publish", 1),
        ("export", 1),
    ] {
        let n = kinds.iter().filter(|x| **x == k).count();
        assert_eq!(n, times, "{k} should happen {times} time(s): {kinds:?}");
    }
    for k in ["seal", "publish", "export"] {
        let n = kinds.iter().filter(|x| **x == k).count();
        assert_eq!(n, 1, "{k} should happen exactly once: {kinds:?}");
    }
    let archive = sec.file(&id, "archive.pdf").await.unwrap();
    let path = svc.dir.path().join("archive.pdf");
    std::fs::write(&path, &archive).unwrap();
    let sig = pdfsig(&path);
    assert_eq!(
        sig.lines().filter(|l| l.starts_with("Signature #")).count(),
        2,
        "the archive was sealed more than once (one seal, one document timestamp): {sig}"
    );
    svc.stop().await;
}

/// Await all futures concurrently (no extra crate).
async fn futures_join_all<F: std::future::Future>(futs: Vec<F>) -> Vec<F::Output> {
    let mut futs: Vec<std::pin::Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = (0..futs.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().map(|o| o.unwrap()).collect()
}
