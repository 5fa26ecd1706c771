//! moto server for the AWS adapter tests: the test command (`scripts/test`) starts it and sets
//! `ESIGN_TEST_AWS_ENDPOINT`. Run by hand: `moto_server -H 127.0.0.1 -p 5055` and
//! `ESIGN_TEST_AWS_ENDPOINT=http://127.0.0.1:5055 cargo test -p esign-shared --features aws`.

use super::AwsSettings;

/// Settings pointing at the test emulator, with dummy credentials. Panics (fails the test)
/// with instructions when the emulator is not configured: these tests never skip silently.
pub fn moto_settings() -> AwsSettings {
    let endpoint = crate::lambda_harness::moto_endpoint();
    // Every test sets the same constant values, so the order of threads does not matter.
    std::env::set_var("AWS_ACCESS_KEY_ID", "testing");
    std::env::set_var("AWS_SECRET_ACCESS_KEY", "testing");
    AwsSettings {
        region: Some("eu-north-1".into()),
        endpoint_url: Some(endpoint),
    }
}

/// A name no other test uses, for buckets, tables, queues and keys (tests share one server).
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// The shared SDK configuration for moto.
pub async fn moto_sdk() -> aws_config::SdkConfig {
    super::sdk_config(&moto_settings()).await
}

/// An alias prefix no other test uses, so each test gets its own seal keys.
pub fn unique_alias_prefix() -> String {
    format!("alias/{}-", unique_name("esign-test"))
}

/// A fresh symmetric (encrypt/decrypt) KMS key on moto: its key id.
pub async fn symmetric_kms_key(sdk: &aws_config::SdkConfig) -> String {
    let out = aws_sdk_kms::Client::new(sdk)
        .create_key()
        .send()
        .await
        .expect("CreateKey");
    out.key_metadata().expect("metadata").key_id().to_string()
}

/// `openssl dgst -sha256 -verify`: the independent check of a signature over `message` by
/// the key in `spki_der` (ECDSA signatures in DER, RSA PKCS#1 v1.5).
pub fn openssl_verifies(spki_der: &[u8], message: &[u8], signature: &[u8]) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let pem =
        der::pem::encode_string("PUBLIC KEY", der::pem::LineEnding::LF, spki_der).expect("PEM");
    let (key, msg, sig) = (
        dir.path().join("pub.pem"),
        dir.path().join("msg"),
        dir.path().join("sig"),
    );
    std::fs::write(&key, pem).expect("write");
    std::fs::write(&msg, message).expect("write");
    std::fs::write(&sig, signature).expect("write");
    let openssl = std::env::var("ESIGN_OPENSSL").unwrap_or_else(|_| "openssl".into());
    let out = std::process::Command::new(&openssl)
        .args(["dgst", "-sha256", "-verify"])
        .arg(&key)
        .arg("-signature")
        .arg(&sig)
        .arg(&msg)
        .output()
        .unwrap_or_else(|e| panic!("`{openssl}` could not be run ({e}); install openssl"));
    let text = String::from_utf8_lossy(&out.stdout);
    match (out.status.success(), text.trim()) {
        (true, "Verified OK") => true,
        (false, "Verification failure") => false,
        _ => panic!(
            "openssl dgst: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
