//! The timestamp source suite against every source the service has: the HTTP client against
//! our TSA and against `openssl ts -reply` (an authority we did not write), and our TSA in
//! process.

use std::sync::Arc;

use chrono::Utc;

use crate::pki::CertificateAuthority;
use crate::testkit::{serve, serve_openssl_tsa};
use crate::tsa::{router, LocalTsa};
use esign_shared::pdf::timestamp::HttpTimestampClient;
use esign_shared::port_tests::timestamp_source_suite;

fn root() -> CertificateAuthority {
    CertificateAuthority::create_root("Test Rot-CA", "Örebro kommun", Utc::now()).expect("root")
}

fn local_tsa(root: &CertificateAuthority) -> LocalTsa {
    LocalTsa::for_tests(root, Utc::now())
}

#[tokio::test]
async fn the_http_client_to_our_tsa_behaves_like_a_timestamp_source() {
    let base = serve(router(Arc::new(local_tsa(&root())))).await;
    let client = HttpTimestampClient::new(format!("{base}/tsa")).expect("client");
    timestamp_source_suite(&client).await;
}

#[tokio::test]
async fn the_http_client_to_openssl_ts_behaves_like_a_timestamp_source() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (base, _tsa_cert) = serve_openssl_tsa(&root(), dir.path()).await;
    let client = HttpTimestampClient::new(format!("{base}/tsa")).expect("client");
    timestamp_source_suite(&client).await;
}

#[tokio::test]
async fn our_tsa_in_process_behaves_like_a_timestamp_source() {
    timestamp_source_suite(&local_tsa(&root())).await;
}
