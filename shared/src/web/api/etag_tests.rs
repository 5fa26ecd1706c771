//! An order's status polled with `If-None-Match`: 304 and no body until the order changes.

use tower::ServiceExt;

use crate::app::test_app;

async fn get(
    t: &test_app::TestApp,
    key: &str,
    path: &str,
    if_none_match: Option<&str>,
) -> (u16, Option<String>, Vec<u8>) {
    let mut req = http::Request::get(path).header("authorization", format!("Bearer {key}"));
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    let resp = crate::web::router(t.app.clone())
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let tag = resp
        .headers()
        .get("etag")
        .map(|v| v.to_str().unwrap().to_string());
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, tag, body)
}

#[tokio::test]
async fn a_polled_order_answers_304_until_it_changes() {
    let t = test_app::start().await;
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    let input = t
        .protocol_order(&staff, &[("Åsa", "191212121212", None)])
        .await;
    let order = t.app.orders.create_order(&staff, input).await.unwrap();
    let path = format!("/api/orders/{}", order.id);
    let (status, tag, body) = get(&t, &key, &path, None).await;
    assert_eq!(status, 200);
    let tag = tag.expect("an ETag");
    assert!(!body.is_empty());
    let (status, again, body) = get(&t, &key, &path, Some(&tag)).await;
    assert_eq!(
        (status, again.as_deref(), body.len()),
        (304, Some(tag.as_str()), 0)
    );
    let (status, _, _) = get(&t, &key, &path, Some(&format!("W/{tag}"))).await;
    assert_eq!(status, 304, "a weak comparison matches too");

    t.app
        .orders
        .recall_order(&staff, &order.id.to_string(), None)
        .await
        .unwrap();
    let (status, changed, body) = get(&t, &key, &path, Some(&tag)).await;
    assert_eq!(status, 200);
    assert_ne!(changed.as_deref(), Some(tag.as_str()));
    assert!(String::from_utf8_lossy(&body).contains("recalled"));
    // Files are not tagged.
    let (_, file_tag, _) = get(&t, &key, &format!("{path}/notice.json"), None).await;
    assert_eq!(file_tag, None);
}
