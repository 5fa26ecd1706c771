//! The portal shows the right RFA text for each state of a BankID order, over HTTP.
use crate::app::test_app;
use crate::app::App;
use crate::bankid::messages::{RFA17B, RFA3, RFA6, RFA9};
use serde_json::{json, Value};
use tower::ServiceExt;

async fn call(app: &App, path: &str, body: Value) -> (u16, Value) {
    let req = http::Request::post(path)
        .header("content-type", "application/json")
        // The connection's address, as `esign serve` gives it.
        .extension(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 1],
            40000,
        ))))
        .body(axum::body::Body::from(body.to_string()))
        .unwrap();
    let resp = crate::web::router(app.clone()).oneshot(req).await.unwrap();
    let status = resp.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

async fn phone(t: &test_app::TestApp, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/phone/{path}", t.sim_base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "phone {path}");
    r.json().await.unwrap_or_default()
}

/// The next collect, after the two seconds BankID asks us to wait.
async fn collect(t: &test_app::TestApp, login_ref: &Value) -> Value {
    t.clock.advance(chrono::Duration::seconds(2));
    let (status, body) = call(
        &t.app,
        "/portal/login/collect",
        json!({"login_ref": login_ref}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn expected(status: crate::bankid::types::CollectStatus, hint: &str) -> String {
    let hint = crate::bankid::types::HintCode::parse(hint);
    crate::bankid::messages::user_message(status, Some(&hint), true)
        .0
        .to_string()
}

#[tokio::test]
async fn rfa_text_follows_every_state() {
    use crate::bankid::types::CollectStatus::{Failed, Pending};
    let t = test_app::start().await;

    let (status, started) = call(&t.app, "/portal/login", json!({})).await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(
        started["message_sv"],
        expected(Pending, "outstandingTransaction")
    );
    let pending = collect(&t, &started["login_ref"]).await;
    assert_eq!(
        (pending["status"].as_str(), pending["hint_code"].as_str()),
        (Some("pending"), Some("outstandingTransaction"))
    );
    assert_eq!(
        pending["message_sv"],
        expected(Pending, "outstandingTransaction")
    );
    assert!(pending["qr_data"].as_str().unwrap().starts_with("bankid."));
    // Both the start and the pending collect carry the code drawn as SVG, which reads back
    // (librsvg and zbar) as exactly the QR text of that answer.
    for answer in [&started, &pending] {
        let svg = answer["qr_svg"].as_str().expect("qr_svg");
        assert_eq!(
            crate::web::qr_svg::tests::decode(svg),
            answer["qr_data"].as_str().unwrap()
        );
    }

    let opened = phone(
        &t,
        "open",
        json!({"autoStartToken": started["auto_start_token"]}),
    )
    .await;
    let order_ref = opened["orderRef"].clone();
    let body = collect(&t, &started["login_ref"]).await;
    assert_eq!(body["hint_code"], "started");
    assert_eq!(body["message_sv"], expected(Pending, "started"));

    phone(&t, "identify", json!({"orderRef": order_ref, "personalNumber": "191212121212", "givenName": "Tolvan", "surname": "Tolvansson"})).await;
    let body = collect(&t, &started["login_ref"]).await;
    assert_eq!(body["hint_code"], "userSign");
    assert_eq!(
        (body["message_sv"].as_str(), body["message_en"].as_str()),
        (Some(RFA9.0), Some(RFA9.1))
    );

    phone(&t, "cancel", json!({"orderRef": order_ref})).await;
    let body = collect(&t, &started["login_ref"]).await;
    assert_eq!(
        (body["status"].as_str(), body["hint_code"].as_str()),
        (Some("failed"), Some("userCancel"))
    );
    assert_eq!(body["message_sv"], RFA6.0);
    assert!(body.get("qr_svg").is_none(), "no code once it has failed");

    // Nobody scans: after the bounded restarts, the QR-specific startFailed text.
    let (_, started) = call(&t.app, "/portal/login", json!({})).await;
    let mut body = Value::Null;
    for _ in 0..4 {
        t.clock.advance(chrono::Duration::seconds(31));
        body = collect(&t, &started["login_ref"]).await;
    }
    assert_eq!(
        (body["status"].as_str(), body["hint_code"].as_str()),
        (Some("failed"), Some("startFailed"))
    );
    assert_eq!(body["message_sv"], RFA17B.0);

    // BankID cancelled the order (another one was started for the same person).
    let (_, started) = call(&t.app, "/portal/login", json!({})).await;
    let opened = phone(
        &t,
        "open",
        json!({"autoStartToken": started["auto_start_token"]}),
    )
    .await;
    phone(
        &t,
        "fail",
        json!({"orderRef": opened["orderRef"], "hintCode": "cancelled"}),
    )
    .await;
    let body = collect(&t, &started["login_ref"]).await;
    assert_eq!(body["message_sv"], RFA3.0);
    assert_eq!(body["message_sv"], expected(Failed, "cancelled"));

    // An unknown reference is a clear 404, not a BankID error.
    let (status, body) = call(
        &t.app,
        "/portal/login/collect",
        json!({"login_ref": uuid::Uuid::new_v4()}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("bankid_order.not_found"))
    );
}
