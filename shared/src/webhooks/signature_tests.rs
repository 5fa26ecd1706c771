//! Our signatures, verified by the Standard Webhooks reference library for Python (PyPI
//! `standardwebhooks`): with the secret, with either secret during a rotation, and not with
//! another secret or a changed payload.

use super::*;

/// Whether the Python library accepts the delivery with `secret`.
fn python_accepts(secret: &str, headers: &SignedHeaders, payload: &[u8]) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("payload.json");
    std::fs::write(&body, payload).unwrap();
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
secret, body, wid, ts, sig = sys.argv[1:6]
payload = open(body, "rb").read()
try:
    Webhook(secret).verify(payload, {"webhook-id": wid, "webhook-timestamp": ts, "webhook-signature": sig})
    print("ok")
except Exception as e:
    print("refused", type(e).__name__, e)
"#;
    let out = std::process::Command::new(crate::pdf::test_support::python())
        .args(["-c", script, secret, body.to_str().unwrap()])
        .args([
            headers.id.clone(),
            headers.timestamp.to_string(),
            headers.signature.clone(),
        ])
        .output()
        .expect("python3 with standardwebhooks (tests/requirements.txt)");
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        said.starts_with("ok") || said.starts_with("refused"),
        "the Python library did not run: {said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    said.starts_with("ok")
}

#[test]
fn the_reference_library_verifies_our_signatures_through_a_rotation() {
    let payload = br#"{"type":"order.sealed","timestamp":"2026-12-06T12:00:00Z","data":{"order_id":"2c0ad332-f2cc-482c-a791-327cc81d1aa0"}}"#;
    let now = chrono::Utc::now().timestamp();
    let (old, new) = (EndpointSecret::generate(), EndpointSecret::generate());
    let one = sign(std::slice::from_ref(&old), "msg_1", now, payload).unwrap();
    assert!(one.signature.starts_with("v1,"));
    assert!(python_accepts(old.expose(), &one, payload));
    assert!(
        !python_accepts(new.expose(), &one, payload),
        "another secret"
    );
    let mut changed = payload.to_vec();
    changed[10] ^= 1;
    assert!(
        !python_accepts(old.expose(), &one, &changed),
        "a changed payload"
    );

    // During a rotation: signed by both, accepted with either.
    let both = sign(&[new.clone(), old.clone()], "msg_2", now, payload).unwrap();
    assert_eq!(both.signature.split(' ').count(), 2);
    assert!(python_accepts(new.expose(), &both, payload));
    assert!(python_accepts(old.expose(), &both, payload));
}

#[test]
fn secrets_are_whsec_base64_and_never_printed() {
    let s = EndpointSecret::generate();
    assert!(s.expose().starts_with("whsec_"));
    assert_eq!(EndpointSecret::parse(s.expose()), Ok(s.clone()));
    assert!(!format!("{s:?}").contains(&s.expose()[6..]));
    for bad in ["", "whsec_", "whsec_!!!", "sk_abc", "whsec_YWJj"] {
        assert_eq!(
            EndpointSecret::parse(bad),
            Err(WebhookSignError::BadSecret),
            "{bad}"
        );
    }
    assert_eq!(sign(&[], "m", 0, b"{}"), Err(WebhookSignError::NoSecret));
}
