use crate::app::App;
use crate::app::{test_app, StaffRole};
use serde_json::{json, Value};
use tower::ServiceExt;

async fn get(app: &App, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut req = http::Request::get(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = crate::web::router(app.clone())
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let bytes = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or_default())
}

#[tokio::test]
async fn staff_sessions_reach_the_secretary_routes_of_their_tenant_only() {
    let t = test_app::start().await;
    let key = t.add_tenant("kommun-a").await;
    t.add_tenant("kommun-b").await;
    let admin = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    t.app
        .tenants
        .add_staff(
            &admin,
            "191212121212",
            "Sara Sekreterare",
            StaffRole::Secretary,
        )
        .await
        .unwrap();
    let session_token = t.log_in("191212121212").await;
    let cookie = format!("esign_session={session_token}");

    let (status, who) = get(&t.app, "/api/whoami", &[("cookie", &cookie)]).await;
    assert_eq!(
        (status, who["tenant"].as_str(), who["role"].as_str()),
        (200, Some("kommun-a"), Some("secretary"))
    );
    let (status, body) = get(&t.app, "/api/orders", &[("cookie", &cookie)]).await;
    assert_eq!((status, &body["orders"]), (200, &json!([])));
    let (status, body) = get(
        &t.app,
        "/api/orders",
        &[("cookie", &cookie), ("x-tenant", "kommun-b")],
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("auth.forbidden"))
    );
    let (status, _) = get(&t.app, "/api/whoami", &[]).await;
    assert_eq!(status, 401);
}
