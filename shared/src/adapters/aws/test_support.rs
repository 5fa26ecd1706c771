//! moto server for the AWS adapter tests: the test command (`scripts/test`) starts it and sets
//! `ESIGN_TEST_AWS_ENDPOINT`. Run by hand: `moto_server -H 127.0.0.1 -p 5055` and
//! `ESIGN_TEST_AWS_ENDPOINT=http://127.0.0.1:5055 cargo test -p esign-shared --features aws`.

use super::AwsSettings;

/// Settings pointing at the test emulator, with dummy credentials. Panics (fails the test)
/// with instructions when the emulator is not configured: these tests never skip silently.
pub fn moto_settings() -> AwsSettings {
    let endpoint = std::env::var("ESIGN_TEST_AWS_ENDPOINT").unwrap_or_else(|_| {
        panic!(
            "ESIGN_TEST_AWS_ENDPOINT is not set: run ./scripts/test, or start moto_server \
             and set ESIGN_TEST_AWS_ENDPOINT=http://127.0.0.1:PORT"
        )
    });
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
