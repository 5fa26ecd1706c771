//! Mutual TLS between the client and the simulator: real handshakes on 127.0.0.1.
//! openssl (system-wide, or `ESIGN_OPENSSL`) makes the PKCS#12 files and the encrypted PEM key,
//! so the reader is checked against an independent writer.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use chrono::Utc;

use crate::bankid::pki::generate_simulator_ca;
use crate::bankid::simulator::Simulator;
use crate::bankid::tls::SimulatorTls;
use esign_shared::bankid::error::BankIdError;
use esign_shared::bankid::tls::{
    pem_encode, sha256_fingerprint, BankIdEnvironment, ClientIdentity, TlsConfig, TlsError,
};
use esign_shared::bankid::types::AuthRequest;
use esign_shared::bankid::BankIdClient;

async fn start(tls: &SimulatorTls) -> String {
    let now = Utc::now();
    let ca = generate_simulator_ca(now).expect("simulator CA");
    let sim = Simulator::new(ca, Arc::new(Utc::now));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let tls = tls.clone();
    tokio::spawn(async move {
        let _ = tls.serve(listener, sim).await;
    });
    format!("https://{addr}/rp/v6.0/")
}

fn auth_request() -> AuthRequest {
    AuthRequest {
        end_user_ip: "192.0.2.1".into(),
        ..Default::default()
    }
}

fn openssl() -> String {
    std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into())
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("esign-bankid-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run(args: &[&str]) {
    let output = Command::new(openssl())
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Writes the client identity of `tls` as PEM files: (cert.pem, key.pem).
fn write_identity_pem(tls: &SimulatorTls, dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(
        &cert,
        pem_encode("CERTIFICATE", &tls.client_identity.cert_chain_der[0]),
    )
    .expect("write cert");
    std::fs::write(&key, tls.client_identity.key_pem_for_tests()).expect("write key");
    (cert, key)
}

#[tokio::test]
async fn client_with_rp_certificate_completes_calls_over_tls() {
    let tls = SimulatorTls::generate(Utc::now()).expect("tls material");
    let sim = Simulator::new(
        generate_simulator_ca(Utc::now()).expect("CA"),
        Arc::new(Utc::now),
    );
    let (base, _task) = tls
        .spawn("127.0.0.1:0".parse().expect("addr"), sim)
        .await
        .expect("spawn");
    assert!(base.starts_with("https://127.0.0.1:"), "{base}");
    let client = tls
        .client_tls_config()
        .expect("config")
        .bankid_client(&base)
        .expect("client");
    let started = client.auth(&auth_request()).await.expect("auth over mTLS");
    let collected = client.collect(&started.order_ref).await.expect("collect");
    assert_eq!(collected.order_ref, started.order_ref);
    client.cancel(&started.order_ref).await.expect("cancel");
}

#[tokio::test]
async fn missing_or_unknown_client_certificate_is_unauthorized() {
    let tls = SimulatorTls::generate(Utc::now()).expect("tls material");
    let base = start(&tls).await;
    // Trusts the server, presents no certificate.
    let anonymous = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_der(&tls.server_root_der).expect("root"))
        .build()
        .expect("client");
    let err = BankIdClient::new(&base, anonymous.clone())
        .auth(&auth_request())
        .await
        .expect_err("no client certificate");
    assert!(matches!(err, BankIdError::Unauthorized { .. }), "{err:?}");
    // The body is BankID's error shape.
    let response = anonymous
        .post(format!("{base}collect"))
        .json(&serde_json::json!({"orderRef": "x"}))
        .send()
        .await
        .expect("response");
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["errorCode"], "unauthorized");
    // A certificate from an RP CA the simulator does not trust: also 401, not a TLS failure.
    let stranger = SimulatorTls::generate(Utc::now()).expect("other material");
    let config = TlsConfig::builder()
        .client_identity(stranger.client_identity.clone())
        .server_root_der(tls.server_root_der.clone())
        .expect("root")
        .build()
        .expect("config");
    let err = config
        .bankid_client(&base)
        .expect("client")
        .auth(&auth_request())
        .await
        .expect_err("unknown RP certificate");
    assert!(matches!(err, BankIdError::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn server_chaining_to_another_root_is_refused() {
    let genuine = SimulatorTls::generate(Utc::now()).expect("tls material");
    let impostor = SimulatorTls::generate(Utc::now()).expect("other material");
    // The impostor server accepts our client certificate, but its certificate is from its own root.
    let impostor = SimulatorTls {
        client_ca_root_der: genuine.client_ca_root_der.clone(),
        ..impostor
    };
    let base = start(&impostor).await;
    let client = genuine
        .client_tls_config()
        .expect("config")
        .bankid_client(&base)
        .expect("client");
    let err = client
        .auth(&auth_request())
        .await
        .expect_err("untrusted server");
    assert!(matches!(err, BankIdError::Transport(_)), "{err:?}");
    // Plain HTTP is refused by the client itself (https_only).
    let plain = genuine
        .client_tls_config()
        .expect("config")
        .bankid_client("http://127.0.0.1:9/rp/v6.0/")
        .expect("client");
    assert!(matches!(
        plain.auth(&auth_request()).await,
        Err(BankIdError::Transport(_))
    ));
}

#[tokio::test]
async fn pkcs12_identities_from_openssl_work_over_tls() {
    let tls = SimulatorTls::generate(Utc::now()).expect("tls material");
    let base = start(&tls).await;
    let dir = temp_dir();
    let (cert, key) = write_identity_pem(&tls, &dir);
    let modern = dir.join("rp.p12");
    let legacy = dir.join("rp-legacy.pfx");
    let (cert, key) = (cert.to_string_lossy(), key.to_string_lossy());
    // OpenSSL 3 default: PBES2 (PBKDF2, AES-256-CBC), MAC HMAC-SHA256, like FPTestcert5.p12.
    run(&[
        "pkcs12",
        "-export",
        "-in",
        &cert,
        "-inkey",
        &key,
        "-passout",
        "pass:qwerty123",
        "-out",
        &modern.to_string_lossy(),
    ]);
    // The old algorithms of `-legacy.pfx` files (3DES, SHA-1 MAC).
    run(&[
        "pkcs12",
        "-export",
        "-in",
        &cert,
        "-inkey",
        &key,
        "-passout",
        "pass:qwerty123",
        "-certpbe",
        "PBE-SHA1-3DES",
        "-keypbe",
        "PBE-SHA1-3DES",
        "-macalg",
        "sha1",
        "-out",
        &legacy.to_string_lossy(),
    ]);
    for path in [&modern, &legacy] {
        let bytes = std::fs::read(path).expect("p12");
        let detected = ClientIdentity::from_file_bytes(&bytes, Some("qwerty123")).expect("p12");
        assert_eq!(detected.cert_chain_der, tls.client_identity.cert_chain_der);
        let config = TlsConfig::builder()
            .client_identity_pkcs12(&bytes, "qwerty123")
            .expect("pkcs12 reads")
            .server_root_der(tls.server_root_der.clone())
            .expect("root")
            .build()
            .expect("config");
        assert_eq!(
            config.identity.cert_chain_der[0],
            tls.client_identity.cert_chain_der[0]
        );
        let client = config.bankid_client(&base).expect("client");
        client
            .auth(&auth_request())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            ClientIdentity::from_pkcs12(&bytes, "wrong").expect_err("wrong password"),
            TlsError::WrongPassword
        );
    }
    assert!(matches!(
        ClientIdentity::from_pkcs12(b"\x30\x03\x02\x01\x03", "x"),
        Err(TlsError::InvalidPkcs12(_))
    ));
    assert!(ClientIdentity::from_pkcs12(&[], "x").is_err());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn encrypted_pem_key_like_bankids_test_certificate() {
    let tls = SimulatorTls::generate(Utc::now()).expect("tls material");
    let base = start(&tls).await;
    let dir = temp_dir();
    let (cert, key) = write_identity_pem(&tls, &dir);
    let encrypted = dir.join("key-enc.pem");
    run(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        &key.to_string_lossy(),
        "-passout",
        "pass:qwerty123",
        "-out",
        &encrypted.to_string_lossy(),
    ]);
    let cert_pem = std::fs::read_to_string(&cert).expect("cert");
    let key_pem = std::fs::read_to_string(&encrypted).expect("key");
    assert!(key_pem.contains("ENCRYPTED PRIVATE KEY"));
    // One file with both, as BankID ships FPTestcert5_20240610.pem.
    let combined = format!("{cert_pem}{key_pem}");
    let detected =
        ClientIdentity::from_file_bytes(combined.as_bytes(), Some("qwerty123")).expect("pem");
    assert_eq!(detected.cert_chain_der, tls.client_identity.cert_chain_der);
    let root_pem = pem_encode("CERTIFICATE", &tls.server_root_der);
    let config = TlsConfig::builder()
        .client_identity_pem(&combined, &combined, Some("qwerty123"))
        .expect("identity")
        .server_root_pem(&root_pem)
        .expect("root")
        .build()
        .expect("config");
    config
        .bankid_client(&base)
        .expect("client")
        .auth(&auth_request())
        .await
        .expect("auth with the decrypted key");
    assert_eq!(
        ClientIdentity::from_pem(&cert_pem, &key_pem, Some("nope")).expect_err("wrong"),
        TlsError::WrongPassword
    );
    assert_eq!(
        ClientIdentity::from_pem(&cert_pem, &key_pem, None).expect_err("no password"),
        TlsError::WrongPassword
    );
    // Someone else's key.
    let other = SimulatorTls::generate(Utc::now()).expect("other");
    assert_eq!(
        ClientIdentity::from_pem(&cert_pem, &other.client_identity.key_pem_for_tests(), None)
            .expect_err("mismatch"),
        TlsError::KeyMismatch
    );
    assert!(matches!(
        ClientIdentity::from_pem("garbage", "garbage", None),
        Err(TlsError::InvalidPem(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn builder_requires_identity_and_root_and_checks_fingerprints() {
    let tls = SimulatorTls::generate(Utc::now()).expect("tls material");
    assert_eq!(
        TlsConfig::builder().build().expect_err("empty"),
        TlsError::MissingIdentity
    );
    assert_eq!(
        TlsConfig::builder()
            .client_identity(tls.client_identity.clone())
            .build()
            .expect_err("no root"),
        TlsError::MissingServerRoot
    );
    let root_pem = pem_encode("CERTIFICATE", &tls.server_root_der);
    let err = TlsConfig::builder()
        .bankid_root_pem(BankIdEnvironment::Test, &root_pem)
        .expect_err("not BankID's root");
    assert!(
        matches!(&err, TlsError::RootFingerprintMismatch { actual, .. } if *actual == sha256_fingerprint(&tls.server_root_der)),
        "{err:?}"
    );
    assert_eq!(sha256_fingerprint(&[]).len(), 32 * 3 - 1);
    assert!(TlsConfig::builder().server_root_der(vec![1, 2, 3]).is_err());
    let config = tls.client_tls_config().expect("config");
    assert!(!format!("{config:?}").contains("key_pkcs8_der"));
}
