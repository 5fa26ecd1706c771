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

/// A large file is answered as a stream of its exact bytes, with its length, and no ETag.
#[tokio::test]
async fn a_large_original_streams_back_byte_for_byte() {
    use sha2::Digest;
    let t = test_app::start().await;
    let key = t.add_tenant("kommun").await;
    let staff = t.app.tenants.authenticate_api_key(&key).await.unwrap();
    // A one-page PDF of some MB: an image of 5 MB on the page.
    use lopdf::{dictionary, Object, Stream};
    let mut d = lopdf::Document::with_version("1.7");
    let pages = d.new_object_id();
    let pixels: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let image = d.add_object(Stream::new(
        dictionary! { "Type" => "XObject", "Subtype" => "Image", "Width" => 1024,
        "Height" => 5 * 1024, "ColorSpace" => "DeviceGray", "BitsPerComponent" => 8 },
        pixels,
    ));
    let content = d.add_object(Stream::new(
        dictionary! {},
        b"q 595 0 0 842 0 0 cm /Im1 Do Q".to_vec(),
    ));
    let page = d.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
        "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => image } },
        "Contents" => content,
    });
    d.objects.insert(
        pages,
        Object::Dictionary(
            dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 },
        ),
    );
    let catalog = d.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages });
    d.trailer.set("Root", catalog);
    let mut pdf = Vec::new();
    d.save_to(&mut pdf).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stor.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let (doc, _) = t
        .app
        .documents
        .upload_file(&staff, "stor.pdf", &path)
        .await
        .unwrap();
    let req = http::Request::get(format!("/api/documents/{}/original.pdf", doc.id))
        .header("authorization", format!("Bearer {key}"))
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = crate::web::router(t.app.clone())
        .oneshot(req)
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-length"],
        pdf.len().to_string().as_str()
    );
    assert!(resp.headers().get("etag").is_none());
    let body = http_body_util::BodyExt::collect(resp.into_body())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(sha2::Sha256::digest(&body), sha2::Sha256::digest(&pdf));
}
