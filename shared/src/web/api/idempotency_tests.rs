//! `Idempotency-Key` over HTTP: a repeated order creation is replayed, not made twice; the key
//! with another body is refused; a refused request does not use up its key; a call still
//! running answers 409 with Retry-After; keys belong to their API key.

use axum::http::HeaderMap;
use serde_json::{json, Value};
use tower::ServiceExt;

use crate::app::{test_app, Begin, CallKey};

async fn post(
    t: &test_app::TestApp,
    api_key: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> (u16, HeaderMap, Value) {
    let mut req = http::Request::post("/api/orders")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {api_key}"));
    if let Some(k) = idempotency_key {
        req = req.header("idempotency-key", k);
    }
    let req = req.body(axum::body::Body::from(body.to_string())).unwrap();
    let resp = crate::web::router(t.app.clone())
        .oneshot(req)
        .await
        .unwrap();
    let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or_default(),
    )
}

#[tokio::test]
async fn a_repeated_creation_is_replayed_and_never_made_twice() {
    let t = test_app::start().await;
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    let document_id = t
        .protocol_order(&staff, &[("Åsa", "191212121212", None)])
        .await
        .document_id;
    let order = |title: &str| {
        json!({
            "document_id": document_id, "committee": "KS", "meeting_date": "2026-12-01",
            "paragraphs": "§ 1", "title": title, "plan": "parallel",
            "signers": [{"name": "Åsa", "role": "justerare", "personnummer": "191212121212"}],
        })
    };
    let (status, headers, first) = post(&t, &key, Some("ks-2026-12-01"), &order("Protokoll")).await;
    assert_eq!(status, 201, "{first}");
    assert!(headers.get("idempotent-replayed").is_none());
    let (status, headers, again) = post(&t, &key, Some("ks-2026-12-01"), &order("Protokoll")).await;
    assert_eq!((status, &again), (201, &first));
    assert_eq!(headers["idempotent-replayed"], "true");
    assert_eq!(t.app.orders.list_orders(&staff).await.unwrap().len(), 1);

    // The same key with another body.
    let (status, _, refused) = post(&t, &key, Some("ks-2026-12-01"), &order("Annat")).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("idempotency.key_reused"))
    );

    // A request refused as sent leaves its key free for the corrected one.
    let mut bad = order("Protokoll 2");
    bad["signers"] = json!([]);
    let (status, _, _) = post(&t, &key, Some("ks-2"), &bad).await;
    assert_eq!(status, 422);
    let (status, _, made) = post(&t, &key, Some("ks-2"), &order("Protokoll 2")).await;
    assert_eq!(status, 201, "{made}");

    // Another API key's key of the same name is its own.
    let (_, other) = t
        .app
        .tenants
        .create_api_key(
            &staff,
            crate::app::NewApiKey {
                name: "E-tjänst".into(),
                scopes: vec![crate::domain::api_key::Scope::OrdersWrite],
                expires_at: None,
            },
        )
        .await
        .unwrap();
    let (status, headers, _) = post(&t, &other, Some("ks-2026-12-01"), &order("Protokoll")).await;
    assert_eq!(status, 201);
    assert!(headers.get("idempotent-replayed").is_none());
    assert_eq!(t.app.orders.list_orders(&staff).await.unwrap().len(), 3);

    // Not a key.
    let (status, _, bad_key) = post(&t, &key, Some("ö"), &order("x")).await;
    assert_eq!(
        (status, bad_key["error"]["code"].as_str()),
        (400, Some("idempotency.invalid_key"))
    );
}

#[tokio::test]
async fn a_repeat_while_the_first_call_runs_is_told_to_wait() {
    let t = test_app::start().await;
    let key = t.add_tenant("kommun").await;
    let body = json!({"document_id": "00", "committee": "KS"});
    // The first call has claimed the key and not answered yet (the fingerprint is the one
    // this request makes: method, path, query and body).
    let fingerprint = {
        use sha2::Digest;
        let mut d = sha2::Sha256::new();
        d.update(b"POST /api/orders?\n");
        d.update(body.to_string().as_bytes());
        hex::encode(d.finalize())
    };
    let claimed = t
        .app
        .idempotency
        .begin(CallKey::new(&key, "k"), fingerprint)
        .await
        .unwrap();
    assert!(matches!(claimed, Begin::Run(_)));
    let (status, headers, waiting) = post(&t, &key, Some("k"), &body).await;
    assert_eq!(
        (status, waiting["error"]["code"].as_str()),
        (409, Some("idempotency.in_flight"))
    );
    assert_eq!(headers["retry-after"], "2");
}
