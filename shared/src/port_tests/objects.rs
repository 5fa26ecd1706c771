//! The object store's contract (files under `DATA/objects`, S3).

use bytes::Bytes;

use crate::ports::ObjectStore;

pub async fn object_store_suite(s: &dyn ObjectStore) {
    let key = "tenants/t1/documents/abc/original.pdf";
    assert_eq!(s.get(key).await.unwrap(), None);
    assert!(!s.exists(key).await.unwrap());
    s.put(key, Bytes::from_static(b"%PDF-1.7 one"), "application/pdf")
        .await
        .unwrap();
    assert_eq!(s.get(key).await.unwrap().unwrap(), &b"%PDF-1.7 one"[..]);
    assert!(s.exists(key).await.unwrap());
    // Overwrite replaces the whole object.
    s.put(key, Bytes::from_static(b"two"), "application/pdf")
        .await
        .unwrap();
    assert_eq!(s.get(key).await.unwrap().unwrap(), &b"two"[..]);
    s.put(
        "tenants/t1/documents/abc/archive.pdf",
        Bytes::new(),
        "application/pdf",
    )
    .await
    .unwrap();
    s.put(
        "tenants/t2/documents/x/original.pdf",
        Bytes::from_static(b"x"),
        "application/pdf",
    )
    .await
    .unwrap();
    assert_eq!(
        s.list("tenants/t1/").await.unwrap(),
        vec![
            "tenants/t1/documents/abc/archive.pdf".to_string(),
            "tenants/t1/documents/abc/original.pdf".to_string()
        ]
    );
    assert_eq!(
        s.get("tenants/t1/documents/abc/archive.pdf")
            .await
            .unwrap()
            .unwrap()
            .len(),
        0
    );

    // Files in and out without holding them in memory: same bytes, same atomic replace.
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("in.pdf");
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &big).unwrap();
    let file_key = "tenants/t1/documents/abc/archive-file.pdf";
    s.put_file(file_key, &source, "application/pdf")
        .await
        .unwrap();
    assert_eq!(s.get(file_key).await.unwrap().unwrap(), &big[..]);
    let target = dir.path().join("out.pdf");
    assert!(s.get_to_file(file_key, &target).await.unwrap());
    assert_eq!(std::fs::read(&target).unwrap(), big);
    assert!(!s
        .get_to_file("tenants/t1/none.pdf", &dir.path().join("none"))
        .await
        .unwrap());
    assert!(!dir.path().join("none").exists());

    // Written once: the first file stays, a second one under the key changes nothing (one
    // archive version per order version, whoever seals second).
    let once_key = "tenants/t1/orders/o1/archive.pdf";
    let other = dir.path().join("other.pdf");
    std::fs::write(&other, b"%PDF-another").unwrap();
    assert!(s
        .put_file_once(once_key, &source, "application/pdf")
        .await
        .unwrap());
    assert!(!s
        .put_file_once(once_key, &other, "application/pdf")
        .await
        .unwrap());
    assert_eq!(s.get(once_key).await.unwrap().unwrap(), &big[..]);
    let listed = s.list("tenants/t1/orders/o1/").await.unwrap();
    assert_eq!(listed, vec![once_key.to_string()], "no leftovers");
}

/// Versions of one key (a renewed archive version): each new version replaces what readers
/// see, and every earlier one stays readable by the id the store gave it.
pub async fn object_versions_suite(s: &dyn ObjectStore) {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, bytes: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let (v1, v2, v3) = (
        file("v1", b"%PDF-sealed"),
        file("v2", b"%PDF-sealed, renewed once"),
        file("v3", b"%PDF-sealed, renewed once, renewed twice"),
    );
    let key = "tenants/t1/orders/o9/archive.pdf";
    assert!(s.put_file_once(key, &v1, "application/pdf").await.unwrap());
    let first = s
        .put_file_new_version(key, &v2, "application/pdf")
        .await
        .unwrap();
    let (Some(sealed), Some(renewed)) = (first.earlier.clone(), first.current.clone()) else {
        panic!("the store names its versions: {first:?}");
    };
    assert_ne!(sealed, renewed);
    assert_eq!(
        s.get(key).await.unwrap().unwrap(),
        &b"%PDF-sealed, renewed once"[..]
    );
    let second = s
        .put_file_new_version(key, &v3, "application/pdf")
        .await
        .unwrap();
    assert_eq!(second.earlier.as_deref(), Some(renewed.as_str()));
    let twice = second.current.clone().unwrap();
    let read = |version: String| {
        let target = dir.path().join(format!("read-{}", version.len()));
        async move {
            let found = s.get_version_to_file(key, &version, &target).await.unwrap();
            found.then(|| std::fs::read(&target).unwrap())
        }
    };
    assert_eq!(read(sealed).await.unwrap(), b"%PDF-sealed");
    assert_eq!(read(renewed).await.unwrap(), b"%PDF-sealed, renewed once");
    assert_eq!(
        read(twice).await.unwrap(),
        b"%PDF-sealed, renewed once, renewed twice"
    );
    assert_eq!(
        s.list("tenants/t1/orders/o9/").await.unwrap(),
        vec![key.to_string()],
        "earlier versions are not keys"
    );
    // The first version of a key replaces nothing.
    let fresh = s
        .put_file_new_version("tenants/t1/orders/o10/archive.pdf", &v1, "application/pdf")
        .await
        .unwrap();
    assert_eq!(fresh.earlier, None);
    assert!(fresh.current.is_some());
}
