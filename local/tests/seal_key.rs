//! `esign seal-key` against KMS on moto server, checked with openssl and the seal verifier.
//! Needs `ESIGN_TEST_AWS_ENDPOINT` (scripts/test starts moto and runs
//! `cargo test -p esign-local --features aws --test seal_key`).
#![cfg(feature = "aws")]

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;

use esign_shared::adapters::aws::kms_signer::{KmsKeySigner, KmsSignerSettings};
use esign_shared::adapters::aws::{sdk_config, AwsSettings};
use esign_shared::error::ErrorText;
use esign_shared::ports::{KeyAlgorithm, KeySigner};
use esign_world::pki::{pem_encode_cert, CertificateAuthority, SubjectName};

const REGION: &str = "eu-north-1";

fn endpoint() -> String {
    std::env::var("ESIGN_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "ESIGN_TEST_AWS_ENDPOINT is not set: run ./scripts/test, or start moto_server \
             and set ESIGN_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT"
        )
    })
}

/// A KMS signer that may create keys, under aliases no other test uses.
async fn kms(algorithm: KeyAlgorithm) -> (KmsKeySigner, String) {
    // Constant values: the order of test threads does not matter.
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    let sdk = sdk_config(&AwsSettings {
        region: Some(REGION.into()),
        endpoint_url: Some(endpoint()),
    })
    .await;
    let prefix = format!("alias/esign-cli-{}-", uuid_like());
    let signer = KmsKeySigner::new(
        &sdk,
        KmsSignerSettings {
            algorithm,
            alias_prefix: prefix.clone(),
            create_missing_keys: true,
            ..KmsSignerSettings::default()
        },
    )
    .unwrap();
    (signer, prefix)
}

fn uuid_like() -> String {
    format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

fn esign(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_esign"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .output()
        .expect("esign runs")
}

fn openssl(args: &[&str]) -> Output {
    let program = std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into());
    Command::new(&program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{program}` could not be run ({e}); install openssl"))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn spki_pem(spki: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(spki);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

async fn csr_is_signed_by_kms(algorithm: KeyAlgorithm) {
    let (kms, prefix) = kms(algorithm).await;
    let spki = kms.ensure_key("seal-t1").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csr = dir.path().join("seal.csr");
    let alias = format!("{prefix}seal-t1");
    let out = esign(&[
        "seal-key",
        "csr",
        "--kms-key-id",
        &alias,
        "--subject",
        "CN=Örebro kommun sigill,O=Örebro kommun,2.5.4.97=NTRSE-2120001965,C=SE",
        "--out",
        csr.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "csr: {}", text(&out));
    let csr_path = csr.to_str().unwrap();

    // openssl checks the self-signature with the public key inside the request (its exit
    // code is 0 even on failure, so the words decide).
    let out = openssl(&["req", "-in", csr_path, "-verify", "-noout"]);
    assert!(out.status.success(), "openssl req -verify: {}", text(&out));
    assert!(text(&out).contains("verify OK"), "{}", text(&out));
    assert!(!text(&out).contains("failure"), "{}", text(&out));
    // ... and that key is the KMS key.
    let out = openssl(&["req", "-in", csr_path, "-noout", "-pubkey"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), spki_pem(&spki));
    let out = openssl(&[
        "req", "-in", csr_path, "-noout", "-text", "-nameopt", "utf8",
    ]);
    let shown = text(&out);
    assert!(
        shown.contains("CN=Örebro kommun sigill") || shown.contains("CN = Örebro kommun sigill"),
        "{shown}"
    );
    assert!(
        shown.contains("C=SE") || shown.contains("C = SE"),
        "{shown}"
    );
    assert!(
        shown.contains("Digital Signature, Non Repudiation"),
        "{shown}"
    );
    let expected = match algorithm {
        KeyAlgorithm::EcdsaP256Sha256 => "ecdsa-with-SHA256",
        KeyAlgorithm::RsaPkcs1Sha256 => "sha256WithRSAEncryption",
    };
    assert!(shown.contains(expected), "{shown}");

    // A request changed after signing fails the same check.
    let pem = std::fs::read_to_string(&csr).unwrap();
    let der = openssl(&["req", "-in", csr_path, "-outform", "DER"]).stdout;
    assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
    let mut broken = der.clone();
    let at = broken.len() - 5;
    broken[at] ^= 0x01;
    let broken_path = dir.path().join("broken.der");
    std::fs::write(&broken_path, broken).unwrap();
    let out = openssl(&[
        "req",
        "-inform",
        "DER",
        "-in",
        broken_path.to_str().unwrap(),
        "-verify",
        "-noout",
    ]);
    // openssl 3.0 exits 0 here too: its words are the verdict.
    assert!(text(&out).contains("verify failure"), "{}", text(&out));
    assert!(!text(&out).contains("verify OK"), "{}", text(&out));
}

#[tokio::test]
async fn an_ecdsa_csr_is_signed_by_the_kms_key() {
    csr_is_signed_by_kms(KeyAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn an_rsa_csr_is_signed_by_the_kms_key() {
    csr_is_signed_by_kms(KeyAlgorithm::RsaPkcs1Sha256).await;
}

#[tokio::test]
async fn csr_refuses_a_subject_without_common_name_and_a_missing_key() {
    let (_, prefix) = kms(KeyAlgorithm::EcdsaP256Sha256).await;
    // A subject without CN, then a key that does not exist.
    for (subject, says) in [
        ("O=Örebro kommun,C=SE", "CN"),
        ("CN=x,C=SE", "kms.key_not_found"),
    ] {
        let out = esign(&[
            "seal-key",
            "csr",
            "--kms-key-id",
            &format!("{prefix}none"),
            "--subject",
            subject,
        ]);
        assert!(!out.status.success(), "{subject}");
        assert!(text(&out).contains(says), "{}", text(&out));
    }
}

/// A root, the sub-CA that issued the seal certificate for `spki`, and the chain (leaf, sub-CA).
fn chain_for(spki: &[u8]) -> (CertificateAuthority, CertificateAuthority, Vec<Vec<u8>>) {
    let now = chrono::Utc::now();
    let root = CertificateAuthority::create_root("Test Rot-CA", "Testkommun", now).unwrap();
    let sub = root
        .issue_sub_ca("Test Sigill-CA", "Testkommun", now)
        .unwrap();
    let leaf = sub
        .issue_seal_cert(
            &SubjectName {
                common_name: "Testkommun sigill KMS".into(),
                organization: "Testkommun".into(),
                organization_identifier: None,
                country: "SE".into(),
            },
            spki,
            now,
        )
        .unwrap();
    let chain = vec![leaf, sub.cert_der.clone()];
    (root, sub, chain)
}

fn write_chain(path: &Path, chain: &[Vec<u8>]) {
    let pem: String = chain.iter().map(|c| pem_encode_cert(c)).collect();
    std::fs::write(path, pem).unwrap();
}

#[tokio::test]
async fn import_chain_installs_only_a_chain_for_the_kms_key_and_the_tenant_seals_with_it() {
    let (kms, prefix) = kms(KeyAlgorithm::EcdsaP256Sha256).await;
    let spki = kms.ensure_key("seal-t1").await.unwrap();
    let other = kms.ensure_key("seal-other").await.unwrap();
    let alias = format!("{prefix}seal-t1");
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let data_s = data.to_str().unwrap();
    let out = esign(&["tenant", "add", "t1", "Testkommun", "--data", data_s]);
    assert!(out.status.success(), "tenant add: {}", text(&out));
    let installed = data.join("pki").join("seal-t1-chain.pem");
    let before = std::fs::read_to_string(&installed).unwrap();

    // A certificate for another key is refused and changes nothing.
    let (_, _, wrong) = chain_for(&other);
    let wrong_path = dir.path().join("wrong.pem");
    write_chain(&wrong_path, &wrong);
    let import = |chain: &Path| {
        esign(&[
            "seal-key",
            "import-chain",
            "--tenant",
            "t1",
            "--chain",
            chain.to_str().unwrap(),
            "--kms-key-id",
            &alias,
            "--data",
            data_s,
        ])
    };
    let out = import(&wrong_path);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("kms.certificate_mismatch"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read_to_string(&installed).unwrap(), before);

    // A chain out of order is refused.
    let (root, sub, chain) = chain_for(&spki);
    let reversed_path = dir.path().join("reversed.pem");
    write_chain(&reversed_path, &[chain[1].clone(), chain[0].clone()]);
    let out = import(&reversed_path);
    assert!(!out.status.success());
    assert!(text(&out).contains("out of order"), "{}", text(&out));

    // The right chain is installed.
    let chain_path = dir.path().join("chain.pem");
    write_chain(&chain_path, &chain);
    let out = import(&chain_path);
    assert!(out.status.success(), "import-chain: {}", text(&out));
    assert_eq!(
        std::fs::read_to_string(&installed).unwrap(),
        std::fs::read_to_string(&chain_path).unwrap()
    );

    // The tenant record holds it: an installation whose key signer is KMS seals with it, and
    // the seal verifies against the CA's root.
    let service = esign_local::LocalService::open(&data, "http://127.0.0.1:0").unwrap();
    let mut ports = service.ports.clone();
    let mut settings = KmsSignerSettings::default();
    settings.key_ids.insert("seal-t1".into(), alias.clone());
    ports.keys = Arc::new(
        KmsKeySigner::new(
            &sdk_config(&AwsSettings {
                region: Some(REGION.into()),
                endpoint_url: Some(endpoint()),
            })
            .await,
            settings,
        )
        .unwrap(),
    );
    // The tenant seals at B-LTA (local mode's default): revocation data for this test CA and
    // for the local timestamp authority.
    ports.revocation = Some(Arc::new(esign_shared::revocation::InProcessRevocation(
        esign_world::revocation::RevocationService::new(Arc::new(
            esign_world::revocation::MemoryRevocations::default(),
        ))
        .with_authority("root", root.clone())
        .unwrap()
        .with_authority("sub", sub)
        .unwrap()
        // The local TSA's certificate comes from the local root.
        .with_authority("local-root", service.pki.root.clone())
        .unwrap(),
    )));
    let app = esign_shared::app::App::new(ports, service.app.settings().clone());
    let t = esign_shared::domain::TenantId::parse("t1").unwrap();
    let work = tempfile::tempdir().unwrap();
    let input = work.path().join("protokoll.pdf");
    let output = work.path().join("sealed.pdf");
    std::fs::write(&input, esign_local::demo::SAMPLE_PROTOCOL).unwrap();
    app.pipeline
        .seal_path(&t, &input, &output)
        .await
        .map_err(|e| e.code())
        .unwrap();
    let sealed = std::fs::read(&output).unwrap();
    // The seal chains to the test CA's root, the timestamps to the local root.
    let anchors = vec![root.cert_der.clone(), service.pki.root.cert_der.clone()];
    let report = esign_shared::pdf::verify(&sealed, &anchors).unwrap();
    let sig = &report.signatures[0];
    assert!(sig.intact && sig.signature_valid, "{report:?}");
    assert!(sig.trusted, "{report:?}");
    assert_eq!(sig.level, "PAdES-B-LTA", "{report:?}");
}
