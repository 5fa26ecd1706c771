//! The uploads bucket's contract (S3 presigned PUT). The embedded backend has none: there
//! documents come in the request body, so this suite runs against S3 only (on moto).

use std::time::Duration;

use crate::ports::{PresignedUpload, UploadsBucket};

/// The object under `key`, read back through a file as intake does (None when there is none).
async fn read_back(b: &dyn UploadsBucket, key: &str) -> Option<Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("upload.pdf");
    b.get_to_file(key, &path)
        .await
        .unwrap()
        .then(|| std::fs::read(&path).unwrap())
}

/// Sends `body` as the ticket says, with a client of our own (as a browser or e-service
/// would): its method, its URL and every one of its headers, nothing else.
async fn put_as_ticketed(ticket: &PresignedUpload, body: Vec<u8>) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(ticket.method.as_bytes())
        .unwrap_or_else(|e| panic!("method {:?}: {e}", ticket.method));
    let mut request = reqwest::Client::new()
        .request(method, &ticket.url)
        .body(body);
    for (name, value) in &ticket.headers {
        request = request.header(name, value);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{} {}: {e}", ticket.method, ticket.url))
}

/// The uploads bucket's contract: a key never uploaded reads as `None`; a presigned ticket,
/// sent exactly as given (method, URL, every header) by an ordinary HTTP client, stores the
/// bytes, which read back byte for byte, under a key that carries the file name a secretary
/// chose (spaces, Swedish letters, punctuation). `prefix` keeps the keys of one run apart
/// (e.g. `incoming/t1/<uuid>/`).
///
/// `expiry`: where the storage enforces a ticket's validity, a ticket valid for this long is
/// refused once it has passed and stores nothing. `None` where it cannot be checked (moto
/// checks neither signatures nor expiry of presigned requests).
pub async fn uploads_bucket_suite(b: &dyn UploadsBucket, prefix: &str, expiry: Option<Duration>) {
    let key = format!("{prefix}Protokoll KS 2026-11-23 §§ 12–14 (justerat) å+ä.pdf");
    assert_eq!(read_back(b, &key).await, None, "never uploaded");

    let ticket = b
        .presign_put(&key, "application/pdf", Duration::from_secs(15 * 60))
        .await
        .unwrap();
    assert_eq!(ticket.method, "PUT");
    // Every byte value, a few megabytes (past a function URL's 6 MB request cap).
    let body: Vec<u8> = (0..7_000_000u32).map(|i| (i % 251) as u8).collect();
    let answer = put_as_ticketed(&ticket, body.clone()).await;
    let status = answer.status();
    assert!(
        status.is_success(),
        "{status}: {}",
        answer.text().await.unwrap_or_default()
    );
    let got = read_back(b, &key).await.expect("the upload arrived");
    assert!(
        got[..] == body[..],
        "the bytes read back are not those sent"
    );
    // Nothing arrived under a neighbouring key.
    assert_eq!(read_back(b, &format!("{key}.part")).await, None);

    // A second upload to another key is another object.
    let other = format!("{prefix}bilaga.pdf");
    let ticket = b
        .presign_put(&other, "application/pdf", Duration::from_secs(60))
        .await
        .unwrap();
    let answer = put_as_ticketed(&ticket, b"%PDF-1.7 bilaga".to_vec()).await;
    assert!(answer.status().is_success(), "{}", answer.status());
    assert_eq!(
        read_back(b, &other).await.as_deref(),
        Some(&b"%PDF-1.7 bilaga"[..])
    );
    assert_eq!(read_back(b, &key).await.unwrap().len(), body.len());

    if let Some(validity) = expiry {
        let late = format!("{prefix}för sent.pdf");
        let ticket = b
            .presign_put(&late, "application/pdf", validity)
            .await
            .unwrap();
        tokio::time::sleep(validity + Duration::from_secs(2)).await;
        let answer = put_as_ticketed(&ticket, b"%PDF-1.7 late".to_vec()).await;
        assert!(
            answer.status().is_client_error(),
            "an expired ticket answered {}",
            answer.status()
        );
        assert_eq!(read_back(b, &late).await, None, "nothing stored");
    }
}
