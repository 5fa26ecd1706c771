//! Cross-site requests with the session cookie: a page on a sibling subdomain (same site, so
//! SameSite does not stop the cookie) must not act for a logged-in admin or signer. Cookie
//! calls that change something must be JSON (or the PDF upload) from our own origin; API keys
//! and bearer tokens are not sent by browsers on their own and are not affected.

use crate::app::App;
use crate::app::{test_app, StaffRole};
use serde_json::Value;
use tower::ServiceExt;

async fn send(
    app: &App,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    let mut req = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = crate::web::router(app.clone())
        .oneshot(req.body(axum::body::Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

const ATTACKER: &str = "198112189876";
const ADD_ATTACKER: &str = r#"{"personnummer":"198112189876","name":"Mallory","role":"admin"}"#;

/// A tenant whose admin (Åsa, 191212121212) is logged in: her cookie header.
async fn admin_logged_in(t: &test_app::TestApp) -> String {
    let key = t.add_tenant("kommun").await;
    let admin = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    t.app
        .tenants
        .add_staff(&admin, "191212121212", "Åsa Admin", StaffRole::Admin)
        .await
        .unwrap();
    format!("esign_session={}", t.log_in("191212121212").await)
}

async fn attacker_is_staff(t: &test_app::TestApp) -> bool {
    let cookie = format!("esign_session={}", t.log_in(ATTACKER).await);
    send(&t.app, "GET", "/api/whoami", &[("cookie", &cookie)], "")
        .await
        .0
        == 200
}

#[tokio::test]
async fn a_sibling_site_cannot_make_itself_admin_with_the_admins_cookie() {
    let t = test_app::start().await;
    let cookie = admin_logged_in(&t).await;
    let cross_site: [&[(&str, &str)]; 3] = [
        // The form or fetch the issue describes: text/plain JSON from a sibling subdomain.
        &[
            ("content-type", "text/plain"),
            ("origin", "https://blogg.kommun.se"),
            ("sec-fetch-site", "same-site"),
        ],
        // JSON from another origin (only possible with CORS, which we never grant, but the
        // server must not depend on that).
        &[
            ("content-type", "application/json"),
            ("origin", "https://blogg.kommun.se"),
        ],
        // A form post from an old browser without Fetch metadata or Origin.
        &[("content-type", "application/x-www-form-urlencoded")],
    ];
    for headers in cross_site {
        let mut all = headers.to_vec();
        all.push(("cookie", &cookie));
        let (status, body) = send(&t.app, "POST", "/api/staff", &all, ADD_ATTACKER).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (403, Some("request.cross_site")),
            "{headers:?}: {body}"
        );
        assert!(body["error"]["message_sv"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
    }
    assert!(
        !attacker_is_staff(&t).await,
        "a cross-site request made the attacker staff"
    );

    // The admin's own page: JSON from our origin, as the secretary page sends it.
    let own = [
        ("content-type", "application/json"),
        ("origin", "http://127.0.0.1:8080"),
        ("sec-fetch-site", "same-origin"),
        ("cookie", cookie.as_str()),
    ];
    let (status, body) = send(&t.app, "POST", "/api/staff", &own, ADD_ATTACKER).await;
    assert_eq!(status, 201, "{body}");
    assert!(attacker_is_staff(&t).await);
}

#[tokio::test]
async fn a_signers_cookie_cannot_be_used_from_another_site() {
    let t = test_app::start().await;
    t.add_tenant("kommun").await;
    let cookie = format!("esign_session={}", t.log_in("191212121212").await);
    let (status, body) = send(
        &t.app,
        "POST",
        "/portal/logout",
        &[
            ("cookie", &cookie),
            ("content-type", "text/plain"),
            ("sec-fetch-site", "cross-site"),
        ],
        "{}",
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("request.cross_site")),
        "{body}"
    );
    // The session still works: the refused call did nothing.
    let (status, _) = send(&t.app, "GET", "/portal/me", &[("cookie", &cookie)], "").await;
    assert_eq!(status, 200);
    // Reading is not refused, and API keys are not affected (browsers do not send them).
    let (status, _) = send(
        &t.app,
        "POST",
        "/portal/logout",
        &[
            ("cookie", &cookie),
            ("content-type", "application/json"),
            ("sec-fetch-site", "same-origin"),
        ],
        "{}",
    )
    .await;
    assert!(status < 300, "{status}");
}
