//! Our OCSP responder and CRLs checked by openssl, and our collector checked against
//! openssl's own OCSP responder. Set ESIGN_OPENSSL to use another openssl binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use chrono::{Duration, Utc};
use der::Decode;
use x509_cert::Certificate;

use super::*;
use crate::pki::{pem_encode_cert, CertificateAuthority, IssuedCert, RevocationUrls, SubjectName};
use esign_shared::error::ErrorText;
use esign_shared::ports::Clock;
use esign_shared::revocation::{
    common_name, verify_crl, CrlPolicy, HttpRevocationSource, InProcessRevocation, RevocationSource,
};

fn openssl() -> String {
    std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into())
}

fn subject(cn: &str) -> SubjectName {
    SubjectName {
        common_name: cn.into(),
        organization: "Örebro kommun".into(),
        organization_identifier: None,
        country: "SE".into(),
    }
}

fn write_pem(dir: &Path, name: &str, der: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pem_encode_cert(der)).unwrap();
    path
}

/// A certificate and its key as `<stem>.pem` and `<stem>.key.pem`, for openssl to sign with.
fn write_cert_and_key(dir: &Path, stem: &str, issued: &IssuedCert) -> (PathBuf, PathBuf) {
    let cert = write_pem(dir, &format!("{stem}.pem"), &issued.cert_der);
    let key_der = issued.key_pkcs8_der.as_deref().expect("a new key");
    let key = dir.join(format!("{stem}.key.pem"));
    std::fs::write(
        &key,
        der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, key_der).unwrap(),
    )
    .unwrap();
    (cert, key)
}

fn serial_of(der: &[u8]) -> String {
    serial_hex(
        &Certificate::from_der(der)
            .unwrap()
            .tbs_certificate
            .serial_number,
    )
}

/// Runs openssl with `args` off the async runtime; returns (success, stdout, stderr).
async fn run_openssl(args: Vec<String>) -> (bool, String, String) {
    tokio::task::spawn_blocking(move || {
        let out = Command::new(openssl())
            .args(&args)
            .output()
            .expect("openssl missing: install it or set ESIGN_OPENSSL");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Our router under `/pki` on a free port, with a root CA whose certificates point there.
struct Pki {
    base: String,
    root: CertificateAuthority,
    registry: Arc<MemoryRevocations>,
    server: tokio::task::JoinHandle<()>,
}

impl Pki {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/pki", listener.local_addr().unwrap());
        let root = CertificateAuthority::create_root("Test rot-CA", "Örebro kommun", Utc::now())
            .unwrap()
            .with_revocation_urls(RevocationUrls::under(&base, "root").unwrap());
        let registry = Arc::new(MemoryRevocations::new());
        let service = Arc::new(
            RevocationService::new(registry.clone())
                .with_authority("root", root.clone())
                .unwrap(),
        );
        let app = axum::Router::new().nest("/pki", router(service));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            base,
            root,
            registry,
            server,
        }
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_accepts_our_ocsp_answers_good_then_revoked() {
    let pki = Pki::start().await;
    let dir = tempfile::tempdir().unwrap();
    let seal = pki
        .root
        .issue_seal_cert_with_new_key(&subject("Sigill"), Utc::now())
        .unwrap();
    let root_pem = write_pem(dir.path(), "root.pem", &pki.root.cert_der);
    let leaf_pem = write_pem(dir.path(), "leaf.pem", &seal.cert_der);
    let ask = || {
        run_openssl(vec![
            "ocsp".into(),
            "-issuer".into(),
            s(&root_pem),
            "-cert".into(),
            s(&leaf_pem),
            "-url".into(),
            format!("{}/ocsp", pki.base),
            "-CAfile".into(),
            s(&root_pem),
            "-resp_text".into(),
        ])
    };
    let (ok, out, err) = ask().await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("leaf.pem: good"), "{out}");
    assert!(err.contains("Response verify OK"), "{err}");
    assert!(out.contains("Next Update"), "{out}");

    pki.registry
        .revoke(
            &serial_of(&seal.cert_der),
            Utc::now() - Duration::seconds(2),
            Some(RevocationReason::KeyCompromise),
        )
        .unwrap();
    let (ok, out, err) = ask().await;
    assert!(ok, "{out}\n{err}");
    assert!(out.contains("leaf.pem: revoked"), "{out}");
    assert!(out.contains("keyCompromise"), "{out}");
    assert!(err.contains("Response verify OK"), "{err}");

    // Only the trust anchor may decide: the same answer verifies under our root and is refused
    // under a foreign one, so the check can fail. `openssl ocsp` trusts whatever `-issuer`
    // names as a signer when ordinary verification fails (apps/ocsp.c retries
    // OCSP_basic_verify with OCSP_TRUSTOTHER), so here the answer is read from a file and the
    // signer's certificate is offered as untrusted (`-verify_other`), never as `-issuer`.
    let resp_out = dir.path().join("answer.der");
    let (ok, _, err) = run_openssl(vec![
        "ocsp".into(),
        "-issuer".into(),
        s(&root_pem),
        "-cert".into(),
        s(&leaf_pem),
        "-url".into(),
        format!("{}/ocsp", pki.base),
        "-noverify".into(),
        "-respout".into(),
        s(&resp_out),
    ])
    .await;
    assert!(ok, "{err}");
    let verify_under = |anchor: PathBuf| {
        run_openssl(vec![
            "ocsp".into(),
            "-respin".into(),
            s(&resp_out),
            "-verify_other".into(),
            s(&root_pem),
            "-CAfile".into(),
            s(&anchor),
        ])
    };
    let (_, out, err) = verify_under(root_pem.clone()).await;
    assert!(err.contains("Response verify OK"), "{out}\n{err}");
    let other = CertificateAuthority::create_root("Annan", "Annan", Utc::now()).unwrap();
    let other_pem = write_pem(dir.path(), "other.pem", &other.cert_der);
    let (_, out, err) = verify_under(other_pem).await;
    assert!(!err.contains("Response verify OK"), "{out}\n{err}");
    assert!(err.contains("Response Verify Failure"), "{out}\n{err}");

    // RFC 5019 GET: a request made by openssl, base64 in the path; openssl reads the answer.
    let req = dir.path().join("req.der");
    let (ok, _, err) = run_openssl(vec![
        "ocsp".into(),
        "-issuer".into(),
        s(&root_pem),
        "-cert".into(),
        s(&leaf_pem),
        "-no_nonce".into(),
        "-reqout".into(),
        s(&req),
    ])
    .await;
    assert!(ok, "{err}");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(std::fs::read(&req).unwrap());
    let encoded = percent_encoding::utf8_percent_encode(&b64, percent_encoding::NON_ALPHANUMERIC);
    let resp = reqwest::get(format!("{}/ocsp/{encoded}", pki.base))
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp_path = dir.path().join("resp.der");
    std::fs::write(&resp_path, resp.bytes().await.unwrap()).unwrap();
    let (ok, out, err) = run_openssl(vec![
        "ocsp".into(),
        "-respin".into(),
        s(&resp_path),
        "-issuer".into(),
        s(&root_pem),
        "-cert".into(),
        s(&leaf_pem),
        "-CAfile".into(),
        s(&root_pem),
    ])
    .await;
    assert!(ok && out.contains("leaf.pem: revoked"), "{out}\n{err}");
    assert!(err.contains("Response verify OK"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_ocsp_requests_get_400_with_the_error_shape() {
    let pki = Pki::start().await;
    let client = reqwest::Client::new();
    let url = format!("{}/ocsp", pki.base);
    let bodies: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x30, 0x84, 0xff, 0xff, 0xff, 0xff],
        b"<xml/>".to_vec(),
        vec![0x30; 10_000],
        vec![0u8; 100_000],
    ];
    for body in bodies {
        let resp = client
            .post(&url)
            .header("content-type", "application/ocsp-request")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "body of {} bytes", body.len());
        let json: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(json["error"]["code"], "revocation.malformed_request");
        assert!(json["error"]["message_sv"].is_string());
        assert!(json["error"]["message_en"].is_string());
    }
    let resp = client.post(&url).body("x").send().await.unwrap();
    assert_eq!(resp.status(), 415);
    for path in ["ocsp/%%%", "ocsp/AAAA", "ocsp/not base64!"] {
        let resp = client
            .get(format!("{}/{path}", pki.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 400, "{path}");
    }
    for path in ["crl/nope.crl", "crl/root", "ca/nope.cer"] {
        let resp = client
            .get(format!("{}/{path}", pki.base))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        let json: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(json["error"]["code"], "revocation.unknown_authority");
    }
    // Still serving.
    let resp = client
        .get(format!("{}/crl/root.crl", pki.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openssl_verifies_our_crl_and_uses_it_to_reject_a_revoked_certificate() {
    let pki = Pki::start().await;
    let dir = tempfile::tempdir().unwrap();
    let good = pki
        .root
        .issue_seal_cert_with_new_key(&subject("Sigill"), Utc::now())
        .unwrap();
    let bad = pki
        .root
        .issue_seal_cert_with_new_key(&subject("Stulet sigill"), Utc::now())
        .unwrap();
    let bad_serial = serial_of(&bad.cert_der);
    pki.registry
        .revoke(&bad_serial, Utc::now() - Duration::seconds(2), None)
        .unwrap();
    let root_pem = write_pem(dir.path(), "root.pem", &pki.root.cert_der);
    let good_pem = write_pem(dir.path(), "good.pem", &good.cert_der);
    let bad_pem = write_pem(dir.path(), "bad.pem", &bad.cert_der);
    // The URL in the certificate, as a relying party finds it.
    let crl_url = pki.root.revocation_urls().unwrap().crl.clone();
    let resp = reqwest::get(&crl_url).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pkix-crl");
    let crl_path = dir.path().join("x.crl");
    std::fs::write(&crl_path, resp.bytes().await.unwrap()).unwrap();

    let (ok, out, err) = run_openssl(vec![
        "crl".into(),
        "-in".into(),
        s(&crl_path),
        "-inform".into(),
        "DER".into(),
        "-CAfile".into(),
        s(&root_pem),
        "-noout".into(),
    ])
    .await;
    assert!(
        ok && (err.contains("verify OK") || out.contains("verify OK")),
        "{out}\n{err}"
    );
    let (ok, text, _) = run_openssl(vec![
        "crl".into(),
        "-in".into(),
        s(&crl_path),
        "-inform".into(),
        "DER".into(),
        "-noout".into(),
        "-text".into(),
    ])
    .await;
    assert!(ok);
    assert!(
        text.contains(&format!("Serial Number: {bad_serial}")),
        "{text}"
    );
    assert!(!text.contains(&serial_of(&good.cert_der)), "{text}");
    assert!(text.contains("X509v3 CRL Number"), "{text}");
    assert!(text.contains("X509v3 Authority Key Identifier"), "{text}");
    assert!(text.contains("Next Update"), "{text}");

    // A CRL signed by another CA under the same name must fail openssl's check.
    let other =
        CertificateAuthority::create_root("Test rot-CA", "Örebro kommun", Utc::now()).unwrap();
    let forged = issue_crl(&other, &[], Utc::now(), Utc::now() + Duration::days(1)).unwrap();
    let forged_path = dir.path().join("forged.crl");
    std::fs::write(&forged_path, forged).unwrap();
    let (_, out, err) = run_openssl(vec![
        "crl".into(),
        "-in".into(),
        s(&forged_path),
        "-inform".into(),
        "DER".into(),
        "-CAfile".into(),
        s(&root_pem),
        "-noout".into(),
    ])
    .await;
    assert!(
        !(err.contains("verify OK") || out.contains("verify OK")),
        "{out}\n{err}"
    );

    // openssl verify with CRL checking: the good certificate passes, the revoked one does not.
    let (ok, _, _) = run_openssl(vec![
        "crl".into(),
        "-in".into(),
        s(&crl_path),
        "-inform".into(),
        "DER".into(),
        "-out".into(),
        s(&dir.path().join("x.crl.pem")),
    ])
    .await;
    assert!(ok);
    let verify = |leaf: PathBuf| {
        run_openssl(vec![
            "verify".into(),
            "-crl_check".into(),
            "-CAfile".into(),
            s(&root_pem),
            "-CRLfile".into(),
            s(&dir.path().join("x.crl.pem")),
            s(&leaf),
        ])
    };
    let (ok, out, err) = verify(good_pem).await;
    assert!(ok && out.contains(": OK"), "{out}\n{err}");
    let (ok, out, err) = verify(bad_pem).await;
    assert!(!ok && (out + &err).contains("certificate revoked"));
}

/// `openssl ocsp` as an OCSP responder on a free port, answering from an index file.
struct OpensslResponder {
    child: std::process::Child,
    url: String,
}

impl Drop for OpensslResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_openssl_responder(
    dir: &Path,
    port: u16,
    ca_pem: &Path,
    index: &str,
    rsigner_pem: &Path,
    rkey_pem: &Path,
) -> OpensslResponder {
    let index_path = dir.join("index.txt");
    std::fs::write(&index_path, index).unwrap();
    let child = Command::new(openssl())
        .args(["ocsp", "-index"])
        .arg(&index_path)
        .arg("-port")
        .arg(port.to_string())
        .arg("-rsigner")
        .arg(rsigner_pem)
        .arg("-rkey")
        .arg(rkey_pem)
        .arg("-CA")
        .arg(ca_pem)
        .args(["-ndays", "1", "-nrequest", "20"])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(format!("ocsp-{port}.log"))).unwrap())
        .spawn()
        .expect("openssl missing: install it or set ESIGN_OPENSSL");
    // Wait for its "waiting for OCSP client connections" line: probing the port with a bare
    // TCP connection would wedge openssl 3.0's single-threaded responder.
    let log = dir.join(format!("ocsp-{port}.log"));
    for _ in 0..200 {
        if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("waiting")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    OpensslResponder {
        child,
        url: format!("http://127.0.0.1:{port}"),
    }
}

fn index_line(status: char, der: &[u8], revoked: Option<&str>) -> String {
    let cert = Certificate::from_der(der).unwrap();
    // Expiry and revocation times as openssl's ca database writes them (UTCTime).
    let expiry = esign_shared::revocation::from_unix(
        cert.tbs_certificate.validity.not_after.to_unix_duration(),
    )
    .format("%y%m%d%H%M%SZ");
    format!(
        "{status}\t{expiry}\t{}\t{}\tunknown\t/CN={}\n",
        revoked.unwrap_or(""),
        serial_hex(&cert.tbs_certificate.serial_number),
        common_name(&cert)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_accepts_openssl_responder_answers_and_refuses_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let now = Utc::now();
    // Our CA, with certificates pointing at openssl's responder; CRLs nowhere useful.
    let root = CertificateAuthority::create_root("Test rot-CA", "Örebro kommun", now)
        .unwrap()
        .with_revocation_urls(RevocationUrls {
            ocsp: format!("http://127.0.0.1:{port}"),
            ca_issuers: "http://127.0.0.1:1/ca.cer".into(),
            crl: "http://127.0.0.1:1/root.crl".into(),
        });
    let good = root
        .issue_seal_cert_with_new_key(&subject("Sigill"), now)
        .unwrap();
    let bad = root
        .issue_tsa_cert_with_new_key(&subject("Tidsstämpel"), now)
        .unwrap();
    // A delegated responder (EKU OCSPSigning) signs openssl's answers.
    let responder = CertificateAuthority::issue_for_new_key(|spki| {
        root.issue_ocsp_responder_cert(&subject("OCSP-svarare"), spki, now)
    })
    .unwrap();
    let responder_cert = responder.cert_der.clone();
    let root_pem = write_pem(dir.path(), "root.pem", &root.cert_der);
    let (rsigner, rkey) = write_cert_and_key(dir.path(), "rsigner", &responder);
    let revoked_at = (now - Duration::hours(1))
        .format("%y%m%d%H%M%SZ")
        .to_string();
    let index =
        index_line('V', &good.cert_der, None) + &index_line('R', &bad.cert_der, Some(&revoked_at));
    let responder =
        start_openssl_responder(dir.path(), port, &root_pem, &index, &rsigner, &rkey).await;
    assert!(responder.url.ends_with(&port.to_string()));

    let collector = HttpRevocationSource::new().unwrap();
    let data = collector
        .collect(&[good.cert_der.clone(), root.cert_der.clone()])
        .await
        .unwrap_or_else(|e| {
            let log = std::fs::read_to_string(dir.path().join(format!("ocsp-{port}.log")));
            panic!("openssl says good: {e}\n{log:?}\n{index}")
        });
    assert_eq!(data.ocsp_responses.len(), 1);
    assert!(data.crls.is_empty());
    assert_eq!(data.extra_certs, vec![responder_cert.clone()]);
    // The kept response is openssl's answer, signed by the delegated responder.
    let checked = verify_ocsp_response(
        &data.ocsp_responses[0],
        &Certificate::from_der(&good.cert_der).unwrap(),
        &root.certificate().unwrap(),
        None,
        Utc::now(),
    )
    .unwrap();
    assert_eq!(
        checked.delegated_responder_der,
        Some(responder_cert.clone())
    );

    let err = collector
        .collect(&[bad.cert_der.clone(), root.cert_der.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "revocation.certificate_revoked", "{err}");

    // A certificate openssl's index does not know: "unknown", and the CRL URL is dead.
    let stranger = root
        .issue_seal_cert_with_new_key(&subject("Okänd"), now)
        .unwrap();
    let err = collector
        .collect(&[stranger.cert_der, root.cert_der.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "revocation.unavailable", "{err}");
    assert!(err.to_string().contains("does not know"), "{err}");

    // A responder certificate without OCSPSigning is not authorised: sign with a seal key.
    drop(responder);
    let port2 = free_port();
    let impostor = CertificateAuthority::issue_for_new_key(|spki| {
        root.issue_seal_cert(&subject("Inte en OCSP-svarare"), spki, now)
    })
    .unwrap();
    let (impostor_pem, impostor_key_pem) = write_cert_and_key(dir.path(), "impostor", &impostor);
    let root2 = root.clone().with_revocation_urls(RevocationUrls {
        ocsp: format!("http://127.0.0.1:{port2}"),
        ca_issuers: "http://127.0.0.1:1/ca.cer".into(),
        crl: "http://127.0.0.1:1/root.crl".into(),
    });
    let leaf2 = root2
        .issue_seal_cert_with_new_key(&subject("Sigill 2"), now)
        .unwrap();
    let _responder2 = start_openssl_responder(
        dir.path(),
        port2,
        &root_pem,
        &index_line('V', &leaf2.cert_der, None),
        &impostor_pem,
        &impostor_key_pem,
    )
    .await;
    let err = collector
        .collect(&[leaf2.cert_der, root.cert_der.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "revocation.unavailable", "{err}");
    assert!(err.to_string().contains("OCSPSigning"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_gets_ocsp_and_crls_from_our_responder() {
    let pki = Pki::start().await;
    let now = Utc::now();
    let sub = pki
        .root
        .issue_sub_ca("Test sigill-CA", "Örebro kommun", now)
        .unwrap();
    // The sub-CA is not registered with the service: only the root answers. A seal issued
    // directly by the root, and the TSA.
    let seal = pki
        .root
        .issue_seal_cert_with_new_key(&subject("Sigill"), now)
        .unwrap();
    let tsa = pki
        .root
        .issue_tsa_cert_with_new_key(&subject("TSA"), now)
        .unwrap();
    let collector = HttpRevocationSource::new().unwrap();
    let mut data = collector
        .collect(&[seal.cert_der.clone(), pki.root.cert_der.clone()])
        .await
        .unwrap();
    // Without the root in the chain: it is fetched from the caIssuers URL.
    let tsa_data = collector
        .collect(std::slice::from_ref(&tsa.cert_der))
        .await
        .unwrap();
    // With it, the root's delegated OCSP responder's certificate: a DSS keeps both.
    assert!(tsa_data.extra_certs.contains(&pki.root.cert_der));
    let responder = tsa_data
        .extra_certs
        .iter()
        .find(|c| **c != pki.root.cert_der)
        .expect("the responder's certificate");
    let responder = Certificate::from_der(responder).unwrap();
    assert!(responder
        .tbs_certificate
        .subject
        .to_string()
        .contains("OCSP"));
    data.extend(tsa_data);
    assert_eq!(data.ocsp_responses.len(), 2);
    // The sub-CA's own status comes from the root's responder too (its AIA points there).
    let sub_data = collector
        .collect(&[sub.cert_der.clone(), pki.root.cert_der.clone()])
        .await
        .unwrap();
    assert_eq!(sub_data.ocsp_responses.len(), 1);

    // CRLs as well when asked.
    let both = collector
        .clone()
        .with_crl_policy(CrlPolicy::Always)
        .collect(&[seal.cert_der.clone(), pki.root.cert_der.clone()])
        .await
        .unwrap();
    assert_eq!((both.ocsp_responses.len(), both.crls.len()), (1, 1));
    verify_crl(
        &both.crls[0],
        &Certificate::from_der(&seal.cert_der).unwrap(),
        &pki.root.certificate().unwrap(),
        Utc::now(),
    )
    .unwrap();

    // OCSP down: the CRL stands in.
    let no_ocsp = pki.root.clone().with_revocation_urls(RevocationUrls {
        ocsp: "http://127.0.0.1:1/ocsp".into(),
        ..RevocationUrls::under(&pki.base, "root").unwrap()
    });
    let crl_only = no_ocsp
        .issue_seal_cert_with_new_key(&subject("Sigill CRL"), now)
        .unwrap();
    let fallback = collector
        .collect(&[crl_only.cert_der.clone(), pki.root.cert_der.clone()])
        .await
        .unwrap();
    assert_eq!((fallback.ocsp_responses.len(), fallback.crls.len()), (0, 1));

    // Answers that are stale by the collector's clock are not kept.
    struct Later;
    impl Clock for Later {
        fn now(&self) -> chrono::DateTime<Utc> {
            Utc::now() + Duration::days(8)
        }
    }
    let err = HttpRevocationSource::new()
        .unwrap()
        .with_clock(Arc::new(Later))
        .collect(&[seal.cert_der.clone(), pki.root.cert_der.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "revocation.unavailable");
    assert!(err.to_string().contains("stale"), "{err}");

    // Revoked: refused by OCSP, and by the CRL when OCSP is down.
    for cert in [&seal.cert_der, &crl_only.cert_der] {
        pki.registry
            .revoke(&serial_of(cert), Utc::now() - Duration::seconds(1), None)
            .unwrap();
        let err = collector
            .collect(&[cert.clone(), pki.root.cert_der.clone()])
            .await
            .unwrap_err();
        assert_eq!(err.code(), "revocation.certificate_revoked", "{err}");
        assert!(err.message_sv().contains("spärrat"));
    }

    // No URLs at all: said so, not silently empty.
    let bare =
        CertificateAuthority::from_parts(pki.root.cert_der.clone(), &pki.root.key_pkcs8_der())
            .unwrap()
            .issue_seal_cert_with_new_key(&subject("Utan adresser"), now)
            .unwrap();
    let err = collector
        .collect(&[bare.cert_der, pki.root.cert_der.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "revocation.no_source");
}

#[tokio::test]
async fn in_process_source_answers_like_the_http_one() {
    let now = Utc::now();
    let root = CertificateAuthority::create_root("Rot", "Org", now)
        .unwrap()
        .with_revocation_urls(RevocationUrls::under("http://127.0.0.1:1/pki", "root").unwrap());
    let seal = root
        .issue_seal_cert_with_new_key(&subject("Sigill"), now)
        .unwrap();
    let registry = Arc::new(MemoryRevocations::new());
    let service = InProcessRevocation(
        RevocationService::new(registry.clone())
            .with_authority("root", root.clone())
            .unwrap(),
    );
    let data = service
        .collect(&[seal.cert_der.clone(), root.cert_der.clone()])
        .await
        .unwrap();
    assert_eq!(data.ocsp_responses.len(), 1);
    registry
        .revoke(&serial_of(&seal.cert_der), now - Duration::seconds(1), None)
        .unwrap();
    let err = service
        .collect(&[seal.cert_der.clone(), root.cert_der.clone()])
        .await
        .unwrap_err();
    assert_eq!(err.code(), "revocation.certificate_revoked");
    let other = CertificateAuthority::create_root("Annan", "Org", now).unwrap();
    let foreign = other
        .issue_seal_cert_with_new_key(&subject("Annan"), now)
        .unwrap();
    let err = service.collect(&[foreign.cert_der]).await.unwrap_err();
    assert_eq!(err.code(), "revocation.issuer_not_found");
}
