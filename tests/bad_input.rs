//! Bad input over HTTP: each gets a clear 4xx with `error.code`, `error.message_sv` and
//! `error.message_en`, never a 500; nothing is stored half-way; the server answers afterwards.

use std::path::Path;

use esign_local::drive::Secretary;
use esign_tests::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// What a tenant has: its order list and the document objects on disk.
#[derive(Debug, PartialEq)]
struct Stored {
    orders: Value,
    documents: Vec<String>,
}

async fn stored(svc: &TestService) -> Stored {
    Stored {
        orders: order_list(&svc.secretary).await,
        documents: files_under(&documents_dir(&svc.data())),
    }
}

fn documents_dir(data: &Path) -> std::path::PathBuf {
    data.join("objects/tenants/demo/documents")
}

async fn still_answers(svc: &TestService) {
    let (status, body) = svc
        .secretary
        .get("/api/orders")
        .await
        .expect("the server answers");
    assert_eq!(
        status,
        StatusCode::OK,
        "after bad input the server still answers: {body}"
    );
}

/// Upload `bytes` with `content_type`; assert a clear refusal and that nothing was stored.
async fn upload_refused(
    svc: &TestService,
    what: &str,
    bytes: Vec<u8>,
    content_type: &str,
    statuses: &[u16],
) -> String {
    let before = stored(svc).await;
    let sec = &svc.secretary;
    let resp = sec
        .http
        .client
        .post(sec.http.url("/api/documents"))
        .query(&[("file_name", "fel.pdf")])
        .bearer_auth(&sec.api_key)
        .header("content-type", content_type)
        .body(bytes.clone())
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: the request failed: {e}"));
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    let code = assert_api_error(what, status, &body, statuses);
    eprintln!("{what}: HTTP {status} {code}");
    let sha = sha256_hex(&bytes);
    assert!(
        !documents_dir(&svc.data()).join(&sha).exists(),
        "{what}: the rejected bytes were stored under objects/tenants/demo/documents/{sha}"
    );
    let (status, body) = sec.get(&format!("/api/documents/{sha}")).await.unwrap();
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "{what}: a document record exists: {body}"
    );
    assert_eq!(
        stored(svc).await,
        before,
        "{what}: something was stored half-way"
    );
    still_answers(svc).await;
    code
}

async fn post_refused(
    svc: &TestService,
    what: &str,
    path: &str,
    body: &Value,
    statuses: &[u16],
) -> String {
    let before = stored(svc).await;
    let (status, answer) = svc.secretary.post(path, body).await.unwrap();
    let code = assert_api_error(what, status, &answer, statuses);
    eprintln!("{what}: HTTP {status} {code}");
    assert_eq!(
        stored(svc).await,
        before,
        "{what}: something was stored half-way"
    );
    still_answers(svc).await;
    code
}

/// A small PDF written by hand with a correct xref table. `catalog_extra` goes into the
/// catalog; `extra_objects` are objects 4, 5, …
fn hand_pdf(catalog_extra: &str, extra_objects: &[&str]) -> Vec<u8> {
    let content = "BT /F1 24 Tf 72 720 Td (Protokoll) Tj ET";
    let mut objects = vec![
        format!("<< /Type /Catalog /Pages 2 0 R {catalog_extra} >>"),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {} 0 R \
             /Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
            4 + extra_objects.len()
        ),
    ];
    objects.extend(extra_objects.iter().map(|s| s.to_string()));
    objects.push(format!(
        "<< /Length {} >>\nstream\n{content}\nendstream",
        content.len() + 1
    ));
    let mut out = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_a_pdf_truncated_and_wrong_content_type() {
    let svc = TestService::start().await;
    upload_refused(
        &svc,
        "not a PDF",
        b"Hej! Detta \xc3\xa4r inget PDF-dokument.\n".to_vec(),
        "application/pdf",
        &[400, 415, 422],
    )
    .await;
    upload_refused(
        &svc,
        "an empty body",
        Vec::new(),
        "application/pdf",
        &[400, 415, 422],
    )
    .await;
    let mut html = b"<html><body>%PDF-1.7</body></html>".to_vec();
    html.extend(std::iter::repeat_n(b' ', 1000));
    upload_refused(
        &svc,
        "HTML with %PDF inside",
        html,
        "application/pdf",
        &[400, 415, 422],
    )
    .await;
    let full = protocol_v1();
    let half = full[..full.len() / 2].to_vec();
    upload_refused(
        &svc,
        "a truncated PDF (first half)",
        half,
        "application/pdf",
        &[400, 422],
    )
    .await;
    let no_tail = full[..full.len() - 2000].to_vec();
    upload_refused(
        &svc,
        "a PDF missing its last 2000 bytes",
        no_tail,
        "application/pdf",
        &[400, 422],
    )
    .await;
    for ctype in [
        "text/plain",
        "application/json",
        "multipart/form-data; boundary=x",
    ] {
        upload_refused(
            &svc,
            &format!("a real PDF sent as {ctype}"),
            protocol_v1(),
            ctype,
            &[415],
        )
        .await;
    }
    // Control: the same file as application/pdf is taken.
    let id = upload(&svc.secretary, "p.pdf", protocol_v1()).await;
    assert_eq!(id, sha256_hex(&protocol_v1()));
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn encrypted_pdf() {
    let svc = TestService::start().await;
    let src = svc.dir.path().join("plain.pdf");
    let enc = svc.dir.path().join("encrypted.pdf");
    std::fs::write(&src, protocol_v1()).unwrap();
    let out = run_tool(
        "qpdf",
        &[
            "--encrypt".as_ref(),
            "u".as_ref(),
            "o".as_ref(),
            "256".as_ref(),
            "--".as_ref(),
            src.as_os_str(),
            enc.as_os_str(),
        ],
    );
    assert!(out.status.success(), "qpdf --encrypt failed: {out:?}");
    let code = upload_refused(
        &svc,
        "an encrypted PDF (user password)",
        std::fs::read(&enc).unwrap(),
        "application/pdf",
        &[400, 422],
    )
    .await;
    assert!(
        code.contains("encrypt"),
        "the code should say the PDF is encrypted: {code}"
    );
    // Encrypted with an empty user password (opens without a password, still encrypted).
    let enc2 = svc.dir.path().join("encrypted-empty.pdf");
    let out = run_tool(
        "qpdf",
        &[
            "--encrypt".as_ref(),
            "".as_ref(),
            "owner".as_ref(),
            "256".as_ref(),
            "--".as_ref(),
            src.as_os_str(),
            enc2.as_os_str(),
        ],
    );
    assert!(out.status.success(), "qpdf --encrypt failed: {out:?}");
    let code = upload_refused(
        &svc,
        "an encrypted PDF (empty user password)",
        std::fs::read(&enc2).unwrap(),
        "application/pdf",
        &[400, 422],
    )
    .await;
    assert!(
        code.contains("encrypt"),
        "the code should say the PDF is encrypted: {code}"
    );
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn javascript_and_launch_actions() {
    let svc = TestService::start().await;
    // Control: the hand-built PDF without actions is a valid PDF the service takes.
    let plain = hand_pdf("", &[]);
    let dir = svc.dir.path();
    std::fs::write(dir.join("plain.pdf"), &plain).unwrap();
    qpdf_check(&dir.join("plain.pdf"));
    upload(&svc.secretary, "plain.pdf", plain).await;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "OpenAction /JavaScript",
            hand_pdf(
                "/OpenAction 4 0 R",
                &["<< /Type /Action /S /JavaScript /JS (app.alert\\('hej'\\);) >>"],
            ),
        ),
        (
            "JavaScript in the Names tree",
            hand_pdf(
                "/Names << /JavaScript 4 0 R >>",
                &[
                    "<< /Names [(start) 5 0 R] >>",
                    "<< /Type /Action /S /JavaScript /JS (this.print\\(\\);) >>",
                ],
            ),
        ),
        (
            "OpenAction /Launch",
            hand_pdf(
                "/OpenAction 4 0 R",
                &["<< /Type /Action /S /Launch /F (cmd.exe) >>"],
            ),
        ),
    ];
    for (what, bytes) in cases {
        let path = dir.join("case.pdf");
        std::fs::write(&path, &bytes).unwrap();
        qpdf_check(&path); // a well-formed PDF: only the action is wrong
        let code = upload_refused(&svc, what, bytes, "application/pdf", &[400, 422]).await;
        let lower = code.to_ascii_lowercase();
        assert!(
            lower.contains("javascript")
                || lower.contains("launch")
                || lower.contains("action")
                || lower.contains("active"),
            "{what}: the code should name the active content: {code}"
        );
    }
    svc.stop().await;
}

async fn with_document(svc: &TestService) -> String {
    upload(&svc.secretary, "p.pdf", protocol_v1()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_malformed_ids() {
    let svc = TestService::start().await;
    let doc = with_document(&svc).await;
    let existing = create_order(&svc.secretary, &order_body(&doc, justering_signers())).await;
    let existing_id = existing["id"].as_str().unwrap().to_string();
    let before = order_snapshot(&svc.secretary, &existing_id).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let sec: &Secretary = &svc.secretary;

    for (id, statuses) in [
        (unknown.as_str(), &[404][..]),
        ("not-a-uuid", &[400, 404][..]),
        ("%00%2e%2e%2f", &[400, 404][..]),
        ("..", &[400, 404][..]),
        (&"9".repeat(500)[..], &[400, 404][..]),
    ] {
        for path in [
            format!("/api/orders/{id}"),
            format!("/api/orders/{id}/archive.pdf"),
        ] {
            let (status, body) = sec.get(&path).await.unwrap();
            assert_api_error(&format!("GET {path}"), status, &body, statuses);
        }
        post_refused(
            &svc,
            &format!("recall {id}"),
            &format!("/api/orders/{id}/recall"),
            &json!({}),
            statuses,
        )
        .await;
        post_refused(
            &svc,
            &format!("resend {id}"),
            &format!("/api/orders/{id}/resend"),
            &json!({"document_id": doc}),
            statuses,
        )
        .await;
    }
    // Documents: an unknown SHA-256 and malformed ids.
    let unknown_doc = sha256_hex(b"never uploaded");
    for (id, statuses) in [
        (unknown_doc.as_str(), &[404][..]),
        ("xyz", &[400, 404][..]),
        (&doc[..40], &[400, 404][..]),
    ] {
        let (status, body) = sec.get(&format!("/api/documents/{id}")).await.unwrap();
        assert_api_error(&format!("GET document {id}"), status, &body, statuses);
        let (status, bytes) = sec
            .http
            .get_bytes(
                &format!("/api/documents/{id}/original.pdf"),
                Some(&sec.api_key),
            )
            .await
            .unwrap();
        assert!(
            statuses.contains(&status.as_u16()),
            "original.pdf of {id}: {status}"
        );
        assert!(!bytes.starts_with(b"%PDF"));
    }
    // An order or a resend naming a document that does not exist.
    post_refused(
        &svc,
        "an order for an unknown document",
        "/api/orders",
        &order_body(&unknown_doc, justering_signers()),
        &[404, 422],
    )
    .await;
    post_refused(
        &svc,
        "an order for a malformed document id",
        "/api/orders",
        &order_body("../../etc/passwd", justering_signers()),
        &[400, 404, 422],
    )
    .await;
    // Portal: an unknown order, and a malformed sign_ref.
    let p = svc.logged_in(ordforande()).await;
    let (status, body) = p
        .get(&format!("/portal/orders/demo/{unknown}"))
        .await
        .unwrap();
    assert_api_error("portal: unknown order", status, &body, &[404]);
    let (status, body) = p.get("/portal/orders/demo/not-a-uuid").await.unwrap();
    assert_api_error("portal: malformed order id", status, &body, &[400, 404]);
    let (status, body) = p
        .post("/portal/sign/collect", &json!({"sign_ref": "nonsense"}))
        .await
        .unwrap();
    assert_api_error("portal: malformed sign_ref", status, &body, &[400, 404]);
    let (status, body) = p
        .post(
            "/portal/sign/collect",
            &json!({"sign_ref": uuid::Uuid::new_v4()}),
        )
        .await
        .unwrap();
    assert_api_error("portal: unknown sign_ref", status, &body, &[400, 404]);
    let (status, body) = p
        .post("/portal/login/collect", &json!({"login_ref": "nonsense"}))
        .await
        .unwrap();
    assert_api_error("portal: malformed login_ref", status, &body, &[400, 404]);

    let after = order_snapshot(&svc.secretary, &existing_id).await;
    assert_eq!(after["signers"], before["signers"]);
    assert_eq!(after["history"], before["history"]);
    assert_eq!(after["status"], "open");
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_lists_that_are_wrong() {
    let svc = TestService::start().await;
    let doc = with_document(&svc).await;
    let ordf = ordforande();
    let j1 = justerare1();

    let mut bad = signer_json(&j1, "justerare");
    bad["personnummer"] = json!(with_wrong_check_digit(&j1.personal_number));
    let code = post_refused(
        &svc,
        "an invalid personnummer (check digit)",
        "/api/orders",
        &order_body(&doc, vec![signer_json(&ordf, "ordforande"), bad]),
        &[400, 422],
    )
    .await;
    assert!(
        code.contains("personnummer"),
        "the code should name the personnummer: {code}"
    );
    for nonsense in ["", "abc", "19121212121", "191313131313", "1912121212123"] {
        let mut s = signer_json(&j1, "justerare");
        s["personnummer"] = json!(nonsense);
        post_refused(
            &svc,
            &format!("personnummer {nonsense:?}"),
            "/api/orders",
            &order_body(&doc, vec![s]),
            &[400, 422],
        )
        .await;
    }

    post_refused(
        &svc,
        "the same person twice",
        "/api/orders",
        &order_body(
            &doc,
            vec![
                signer_json(&ordf, "ordforande"),
                signer_json(&j1, "justerare"),
                signer_json(&j1, "justerare"),
            ],
        ),
        &[400, 422],
    )
    .await;
    // The same person in 12-digit and 10-digit form (YYMMDD-NNNN), with other roles and names.
    let mut short = signer_json(&j1, "sekreterare");
    short["personnummer"] = json!("811218-9876");
    short["name"] = json!("B. Justerare");
    post_refused(
        &svc,
        "the same person in 12- and 10-digit form",
        "/api/orders",
        &order_body(&doc, vec![signer_json(&j1, "justerare"), short]),
        &[400, 422],
    )
    .await;
    let mut dashed = signer_json(&ordf, "justerare");
    dashed["personnummer"] = json!("19121212-1212");
    post_refused(
        &svc,
        "the same person as YYYYMMDDNNNN and YYYYMMDD-NNNN",
        "/api/orders",
        &order_body(&doc, vec![signer_json(&ordf, "ordforande"), dashed]),
        &[400, 422],
    )
    .await;
    post_refused(
        &svc,
        "an empty signer list",
        "/api/orders",
        &order_body(&doc, vec![]),
        &[400, 422],
    )
    .await;
    let mut body = order_body(&doc, justering_signers());
    body.as_object_mut().unwrap().remove("signers");
    post_refused(&svc, "no signer list", "/api/orders", &body, &[400, 422]).await;

    // Other wrong fields.
    let mut s = signer_json(&ordf, "ordforande");
    s["role"] = json!("kung");
    post_refused(
        &svc,
        "an unknown role",
        "/api/orders",
        &order_body(&doc, vec![s]),
        &[400, 422],
    )
    .await;
    let mut s = signer_json(&ordf, "ordforande");
    s["email"] = json!("inte en adress");
    post_refused(
        &svc,
        "a malformed e-mail",
        "/api/orders",
        &order_body(&doc, vec![s]),
        &[400, 422],
    )
    .await;
    let mut s = signer_json(&ordf, "ordforande");
    s["name"] = json!("   ");
    post_refused(
        &svc,
        "a blank name",
        "/api/orders",
        &order_body(&doc, vec![s]),
        &[400, 422],
    )
    .await;
    let mut body = order_body(&doc, justering_signers());
    body["meeting_date"] = json!("2020-13-45");
    post_refused(
        &svc,
        "an impossible meeting date",
        "/api/orders",
        &body,
        &[400, 422],
    )
    .await;
    let mut body = order_body(&doc, justering_signers());
    body["plan"] = json!("random");
    post_refused(&svc, "an unknown plan", "/api/orders", &body, &[400, 422]).await;
    let mut body = order_body(&doc, justering_signers());
    body["deadline"] = json!("2001-01-01T00:00:00Z");
    post_refused(
        &svc,
        "a deadline in the past",
        "/api/orders",
        &body,
        &[400, 422],
    )
    .await;

    // Control: the same body with the real signers is accepted.
    create_order(&svc.secretary, &order_body(&doc, justering_signers())).await;
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_and_bodies() {
    let svc = TestService::start().await;
    let doc = with_document(&svc).await;
    let order = create_order(&svc.secretary, &order_body(&doc, justering_signers())).await;
    let order_id = order["id"].as_str().unwrap().to_string();
    let before = order_snapshot(&svc.secretary, &order_id).await;
    let sec = &svc.secretary;
    let raw = |path: &str, body: &'static str, ctype: &'static str| {
        sec.http
            .client
            .post(sec.http.url(path))
            .bearer_auth(&sec.api_key)
            .header("content-type", ctype)
            .body(body)
    };
    let cases: Vec<(&str, &str, &'static str, &'static str)> = vec![
        (
            "malformed JSON",
            "/api/orders",
            "{\"document_id\": ",
            "application/json",
        ),
        (
            "a JSON array",
            "/api/orders",
            "[1, 2, 3]",
            "application/json",
        ),
        (
            "JSON of the wrong shape",
            "/api/orders",
            "{\"signers\": \"alla\"}",
            "application/json",
        ),
        (
            "not JSON at all",
            "/api/orders",
            "document_id=abc",
            "application/x-www-form-urlencoded",
        ),
        (
            "an unterminated string",
            "/api/orders",
            "{\"title\": \"\u{FFFD}",
            "application/json",
        ),
        (
            "malformed JSON to resend",
            "/api/orders/ORDER/resend",
            "{oops",
            "application/json",
        ),
        (
            "resend without document_id",
            "/api/orders/ORDER/resend",
            "{}",
            "application/json",
        ),
    ];
    for (what, path, body, ctype) in cases {
        let before_store = stored(&svc).await;
        let path = path.replace("ORDER", &order_id);
        let resp = raw(&path, body, ctype).send().await.unwrap();
        let status = resp.status();
        let answer: Value = resp.json().await.unwrap_or(Value::Null);
        assert_api_error(what, status, &answer, &[400, 415, 422]);
        assert_eq!(
            stored(&svc).await,
            before_store,
            "{what}: something was stored"
        );
    }
    // Portal bodies.
    let p = svc.logged_in(justerare1()).await;
    let (status, body) = p
        .post(
            &format!("/portal/orders/demo/{order_id}/reject"),
            &json!({"comment": "  "}),
        )
        .await
        .unwrap();
    assert_api_error("a rejection without a comment", status, &body, &[400, 422]);
    let (status, body) = p
        .post(
            &format!("/portal/orders/demo/{order_id}/reject"),
            &json!({}),
        )
        .await
        .unwrap();
    assert_api_error(
        "a rejection body without comment",
        status,
        &body,
        &[400, 422],
    );
    let resp = p
        .http
        .client
        .post(p.http.url("/portal/login/collect"))
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let answer: Value = resp.json().await.unwrap_or(Value::Null);
    assert_api_error("malformed JSON to login/collect", status, &answer, &[400]);

    let after = order_snapshot(&svc.secretary, &order_id).await;
    assert_eq!(after["status"], "open", "the order changed: {after}");
    assert_eq!(after["signers"], before["signers"]);
    assert_eq!(after["version"], 1);
    still_answers(&svc).await;
    svc.stop().await;
}

/// "Users read Swedish": the Swedish message of a refused signer list is Swedish, and it says
/// what is wrong (which signer is named twice), not an English reason inside a Swedish frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signer_list_errors_explain_in_swedish() {
    let svc = TestService::start().await;
    let doc = with_document(&svc).await;
    let j1 = justerare1();
    let mut past = order_body(&doc, justering_signers());
    past["deadline"] = json!("2001-01-01T00:00:00Z");
    let cases = vec![
        (
            "the same person twice",
            order_body(
                &doc,
                vec![signer_json(&j1, "justerare"), signer_json(&j1, "justerare")],
            ),
        ),
        ("an empty signer list", order_body(&doc, vec![])),
        ("a deadline in the past", past),
    ];
    let mut problems = Vec::new();
    for (what, body) in cases {
        let (status, answer) = svc.secretary.post("/api/orders", &body).await.unwrap();
        assert_api_error(what, status, &answer, &[400, 422]);
        let sv = answer["error"]["message_sv"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let en = answer["error"]["message_en"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let english = [
            " signer ",
            "twice",
            "no signers",
            "deadline",
            "the ",
            " is ",
        ];
        if let Some(word) = english.iter().find(|w| sv.to_lowercase().contains(*w)) {
            problems.push(format!(
                "{what}: message_sv has English ({word:?}): {sv:?} (en: {en:?})"
            ));
        }
    }
    assert_eq!(stored(&svc).await.orders, json!([]), "an order was stored");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    svc.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_and_paths() {
    let svc = TestService::start().await;
    let sec = &svc.secretary;
    // A file name with a path in it is taken as a name only.
    let (status, body) = sec
        .upload("../../../etc/passwd.pdf", protocol_v1())
        .await
        .unwrap();
    assert!(status.is_success(), "{body}");
    let name = body["document"]["file_name"].as_str().unwrap_or("");
    assert!(
        !name.contains('/') && !name.contains(".."),
        "the stored file name keeps a path: {name:?}"
    );
    let outside: Vec<String> = files_under(&svc.data().join("objects"))
        .into_iter()
        .filter(|f| !f.starts_with("tenants/demo/") && !f.starts_with("public/"))
        .collect();
    assert!(
        outside.is_empty(),
        "objects outside the tenant: {outside:?}"
    );
    assert!(!svc.dir.path().join("etc").exists());
    let doc = body["document"]["id"].as_str().unwrap().to_string();

    let mut long = order_body(&doc, justering_signers());
    long["title"] = json!("x".repeat(100_000));
    post_refused(
        &svc,
        "a 100 000-character title",
        "/api/orders",
        &long,
        &[400, 413, 422],
    )
    .await;
    let mut ctrl = order_body(&doc, justering_signers());
    ctrl["committee"] = json!("E-nämnden\u{0}\u{7}");
    post_refused(
        &svc,
        "control characters in the committee",
        "/api/orders",
        &ctrl,
        &[400, 422],
    )
    .await;
    let many: Vec<Value> = (0..51)
        .map(|i| {
            // 51 distinct valid personnummer: born 1990-01-01 … with the Luhn digit computed.
            let base = format!("900101{:03}", 100 + i);
            let digits: Vec<u32> = base.chars().map(|c| c.to_digit(10).unwrap()).collect();
            let sum: u32 = digits
                .iter()
                .enumerate()
                .map(|(k, d)| {
                    let v = if k % 2 == 0 { d * 2 } else { *d };
                    v / 10 + v % 10
                })
                .sum();
            let check = (10 - sum % 10) % 10;
            json!({"name": format!("Person {i}"), "role": "part", "personnummer": format!("19{base}{check}")})
        })
        .collect();
    post_refused(
        &svc,
        "51 signers",
        "/api/orders",
        &order_body(&doc, many),
        &[400, 422],
    )
    .await;

    // Order files that do not exist, and paths that try to leave the order.
    let order = create_order(sec, &order_body(&doc, justering_signers())).await;
    let id = order["id"].as_str().unwrap();
    for name in [
        "secret.txt",
        "..%2f..%2f..%2fstate.redb",
        "%2e%2e",
        "archive.pdf",
    ] {
        let path = format!("/api/orders/{id}/{name}");
        let (status, bytes) = sec.http.get_bytes(&path, Some(&sec.api_key)).await.unwrap();
        assert!(
            status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST,
            "GET {path}: {status}"
        );
        let body: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        assert_api_error(&format!("GET {path}"), status, &body, &[400, 404]);
    }
    still_answers(&svc).await;
    svc.stop().await;
}

/// The error shape holds for what the router itself refuses: unknown routes, wrong methods,
/// unreadable query strings.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_refusals_use_the_error_shape() {
    let svc = TestService::start().await;
    let doc = with_document(&svc).await;
    let order = create_order(&svc.secretary, &order_body(&doc, justering_signers())).await;
    let id = order["id"].as_str().unwrap().to_string();
    let before = stored(&svc).await;
    let c = &svc.http.client;
    let key = &svc.secretary.api_key;
    let mut problems = Vec::new();
    let reqs = vec![
        (
            "GET an unknown route",
            c.get(svc.http.url("/api/nothing-here")),
        ),
        (
            "DELETE an order",
            c.delete(svc.http.url(&format!("/api/orders/{id}"))),
        ),
        (
            "PUT an order",
            c.put(svc.http.url(&format!("/api/orders/{id}")))
                .json(&json!({})),
        ),
        (
            "GET /api/documents (POST only)",
            c.get(svc.http.url("/api/documents")),
        ),
        (
            "GET the sign route",
            c.get(svc.http.url(&format!("/portal/orders/demo/{id}/sign"))),
        ),
        (
            "an unreadable query string",
            c.post(
                svc.http
                    .url("/api/documents?file_name=a.pdf&file_name=b.pdf"),
            )
            .header("content-type", "application/pdf")
            .body(b"not a pdf".to_vec()),
        ),
    ];
    for (what, req) in reqs {
        let resp = req.bearer_auth(key).send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let shaped = ["code", "message_sv", "message_en"]
            .iter()
            .all(|f| body["error"][f].as_str().is_some_and(|s| !s.is_empty()));
        if !status.is_client_error() || !shaped {
            problems.push(format!("{what}: HTTP {status}, body {text:?}"));
        }
    }
    assert_eq!(
        stored(&svc).await,
        before,
        "a refused request stored something"
    );
    still_answers(&svc).await;
    assert!(
        problems.is_empty(),
        "answers without the API's error shape ({{\"error\": {{code, message_sv, message_en}}}}):\n{}",
        problems.join("\n")
    );
    svc.stop().await;
}

/// A 7 KB upload whose XMP stream is `[/FlateDecode /FlateDecode]` of 4 GiB of zeros
/// (`shared/src/pdf/testdata/make_bombs.py`): refused with a clear 4xx before it is inflated,
/// and the server answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decompression_bomb_in_the_metadata() {
    let svc = TestService::start().await;
    let bomb = include_bytes!("../shared/src/pdf/testdata/xmp-bomb.pdf").to_vec();
    assert!(bomb.len() < 8 * 1024);
    let code = upload_refused(&svc, "XMP bomb", bomb, "application/pdf", &[400, 413, 422]).await;
    assert_eq!(code, "pdf.stream_too_large");
    svc.stop().await;
}
