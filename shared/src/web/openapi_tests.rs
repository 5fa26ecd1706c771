//! `openapi.json` against the routes: every (method, path) the API's route tables serve is in
//! the document and nothing else is; every operation has a unique `operationId` and a success
//! answer; every `$ref` and path parameter points at something. The routes are read from the
//! source, as `lambda::event_tests` does, so a new route fails here until it is documented.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::DOCUMENT;

/// The methods an OpenAPI path item may hold, as axum's method routers are named.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

type Route = (String, String);

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("openapi.json is JSON")
}

/// The files whose route tables the API is: every file of `web/api` but the tests, and this
/// document's own route. Read from the directory, so a new file of routes is not missed.
fn route_sources() -> Vec<(String, String)> {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
    let mut files: Vec<_> = std::fs::read_dir(web.join("api"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.ends_with(".rs") && !name.ends_with("tests.rs")
        })
        .collect();
    files.push(web.join("openapi.rs"));
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let src = std::fs::read_to_string(&p).unwrap();
            (p.display().to_string(), src)
        })
        .collect()
}

/// The end (one past the closing quote) of the string literal that starts at `i`.
fn string_end(b: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < b.len() && b[i] != b'"' {
        i += if b[i] == b'\\' { 2 } else { 1 };
    }
    i + 1
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The source without comments (a comment inside a route call may name a method, or hold a
/// quote), string literals kept as they are.
fn without_comments(src: &str) -> String {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let end = src[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
            i = end;
        } else if rest.starts_with(b"'\"'") {
            out.extend_from_slice(&rest[..3]);
            i += 3;
        } else if rest.starts_with(b"r")
            && (i == 0 || !is_ident(b[i - 1]))
            && rest[1..].iter().find(|&&c| c != b'#') == Some(&b'"')
        {
            // A raw string: r"…", r#"…"#; it may hold quotes and slashes.
            let hashes = rest[1..].iter().take_while(|&&c| c == b'#').count();
            let close = format!("\"{}", "#".repeat(hashes));
            let open = 1 + hashes + 1;
            let end = src[i + open..]
                .find(&close)
                .map_or(b.len(), |e| i + open + e + close.len());
            out.extend_from_slice(&b[i..end]);
            i = end;
        } else if b[i] == b'"' {
            let end = string_end(b, i).min(b.len());
            out.extend_from_slice(&b[i..end]);
            i = end;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// Every `.route("PATH", get(a).post(b).layer(…))` of a file as (METHOD, PATH): the method
/// routers are the calls directly inside the route call's parentheses, over as many lines as
/// rustfmt gives it.
fn routes_in(file: &str, src: &str) -> Vec<Route> {
    let code = without_comments(src);
    for unread in [".nest(", ".nest_service(", ".route_service("] {
        assert!(
            !code.contains(unread),
            "{file}: `{unread}` routes that this test does not read; teach it"
        );
    }
    let b = code.as_bytes();
    let mut out = Vec::new();
    for (at, _) in code.match_indices(".route(") {
        let mut i = at + ".route(".len();
        while b[i].is_ascii_whitespace() {
            i += 1;
        }
        assert_eq!(b[i], b'"', "{file}: a route whose path is not a literal");
        let end = string_end(b, i);
        let path = code[i + 1..end - 1].to_string();
        // The calls at the route call's own depth: `get`, `post`, `layer`, …
        let mut calls = Vec::new();
        let (mut depth, mut i) = (1, end);
        while depth > 0 {
            match b[i] {
                b'"' => {
                    i = string_end(b, i);
                    continue;
                }
                b'(' => depth += 1,
                b')' => depth -= 1,
                c if depth == 1 && is_ident(c) && !is_ident(b[i - 1]) => {
                    let start = i;
                    while is_ident(b[i]) {
                        i += 1;
                    }
                    if b[i] == b'(' {
                        calls.push(&code[start..i]);
                    }
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
        let methods: Vec<_> = calls.iter().filter(|c| METHODS.contains(*c)).collect();
        for call in &calls {
            assert!(
                !matches!(*call, "any" | "on") && !call.ends_with("_service"),
                "{file}: {path} is routed with `{call}`, which this test cannot read"
            );
        }
        assert!(
            !methods.is_empty(),
            "{file}: no method router found for {path}: {calls:?}"
        );
        for m in methods {
            out.push((m.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

fn served_routes() -> BTreeSet<Route> {
    let mut out = BTreeSet::new();
    for (file, src) in route_sources() {
        for route in routes_in(&file, &src) {
            assert!(out.insert(route.clone()), "{file}: {route:?} routed twice");
        }
    }
    out
}

/// Each operation of the document: (METHOD, path) and the operation object.
fn operations(doc: &Value) -> BTreeMap<Route, &Value> {
    let mut out = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().expect("paths is an object") {
        for (key, op) in item.as_object().expect("a path item is an object") {
            if METHODS.contains(&key.as_str()) {
                out.insert((key.to_ascii_uppercase(), path.clone()), op);
            } else {
                assert!(
                    ["summary", "description", "parameters", "servers", "$ref"]
                        .contains(&key.as_str()),
                    "{path}: `{key}` is not a field of a path item"
                );
            }
        }
    }
    out
}

/// A `$ref` of this document, followed (it must point into `#/components/`).
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            assert!(r.starts_with("#/components/"), "`{r}` is not a component");
            doc.pointer(&r[1..])
                .unwrap_or_else(|| panic!("`{r}` points at nothing"))
        }
        None => v,
    }
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "e-underskrift");
    assert!(doc["info"]["version"].is_string());
    assert!(doc["webhooks"].is_object());
    assert!(doc["components"]["schemas"]["Error"].is_object());
    assert!(
        DOCUMENT.ends_with("}\n") && DOCUMENT.starts_with("{\n  \""),
        "two-space indented JSON"
    );
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let served = served_routes();
    let doc = document();
    let documented: BTreeSet<Route> = operations(&doc).into_keys().collect();
    let missing: Vec<_> = served.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&served).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "openapi.json and the routes disagree:\n  served but not in openapi.json: {missing:?}\n  \
         in openapi.json but not served: {extra:?}"
    );
    assert!(served.len() > 30, "the route tables were read: {served:?}");
}

#[test]
fn every_operation_has_a_unique_id_a_success_answer_and_its_path_parameters() {
    let doc = document();
    let mut ids = BTreeMap::new();
    for ((method, path), op) in operations(&doc) {
        let at = format!("{method} {path}");
        let id = op["operationId"]
            .as_str()
            .filter(|id| !id.is_empty())
            .unwrap_or_else(|| panic!("{at}: no operationId"));
        if let Some(other) = ids.insert(id.to_string(), at.clone()) {
            panic!("operationId {id} is both {other} and {at}");
        }
        assert!(op["summary"].is_string(), "{at}: no summary");
        let responses = op["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{at}: no responses"));
        assert!(
            responses.keys().any(|code| code.starts_with('2')),
            "{at}: no success answer"
        );
        for (code, r) in responses {
            let r = resolve(&doc, r);
            assert!(r["description"].is_string(), "{at} {code}: no description");
            if code.starts_with('4') || code.starts_with('5') {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Error",
                    "{at} {code}: errors are the Error shape"
                );
            }
        }
        if let Some(body) = op.get("requestBody") {
            assert!(
                resolve(&doc, body)["content"].is_object(),
                "{at}: a request body without content"
            );
        }
        // Path parameters, of the operation and of its path item, against the template.
        let params: Vec<&Value> = [&op["parameters"], &doc["paths"][&path]["parameters"]]
            .into_iter()
            .filter_map(Value::as_array)
            .flatten()
            .map(|p| resolve(&doc, p))
            .collect();
        let in_path: BTreeSet<&str> = params
            .iter()
            .filter(|p| p["in"] == "path")
            .map(|p| {
                assert_eq!(p["required"], true, "{at}: path parameters are required");
                p["name"].as_str().unwrap()
            })
            .collect();
        let in_template: BTreeSet<&str> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.split_once('}').map(|(n, _)| n))
            .collect();
        assert_eq!(in_path, in_template, "{at}: path parameters");
        for p in &params {
            assert!(
                p["schema"].is_object() || p["content"].is_object(),
                "{at}: parameter {} has no schema",
                p["name"]
            );
        }
        for requirement in op["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().unwrap().keys() {
                assert!(
                    doc["components"]["securitySchemes"][scheme].is_object(),
                    "{at}: unknown security scheme {scheme}"
                );
            }
        }
    }
}

#[test]
fn every_ref_points_at_a_component() {
    fn walk(doc: &Value, v: &Value, refs: &mut usize) {
        match v {
            Value::Object(map) => {
                if map.contains_key("$ref") {
                    resolve(doc, v);
                    *refs += 1;
                }
                map.values().for_each(|v| walk(doc, v, refs));
            }
            Value::Array(items) => items.iter().for_each(|v| walk(doc, v, refs)),
            _ => {}
        }
    }
    let doc = document();
    let mut refs = 0;
    walk(&doc, &doc, &mut refs);
    assert!(refs > 0);
}

/// The reader itself, on a route split over lines with a comment in it, as rustfmt leaves it.
#[test]
fn the_route_reader_reads_split_and_chained_routes() {
    let src = r#"
        .route("/a", post(create).get(list))
        .route(
            "/b/{id}",
            // A comment with get( in it and a "quote.
            post(upload).layer(DefaultBodyLimit::max(512 * 1024)),
        )
        .route("/c", get(|| async { x.put(1) }))
    "#;
    let routes = routes_in("example", src);
    assert_eq!(
        routes,
        [
            ("POST", "/a"),
            ("GET", "/a"),
            ("POST", "/b/{id}"),
            ("GET", "/c")
        ]
        .map(|(m, p)| (m.to_string(), p.to_string()))
    );
}

/// `esign serve` and the create-signing-order function answer the document as it is.
#[cfg(feature = "embedded")]
#[tokio::test]
async fn the_document_is_served() {
    use tower::ServiceExt;
    let t = crate::app::test_app::start().await;
    for router in [
        super::super::router(t.app.clone()),
        super::super::function_router(t.app.clone(), super::super::Function::CreateSigningOrder),
    ] {
        let req = http::Request::get("/openapi.json")
            .body(axum::body::Body::empty())
            .unwrap();
        let resp = router.oneshot(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body = http_body_util::BodyExt::collect(resp.into_body())
            .await
            .unwrap()
            .to_bytes();
        assert_eq!(body, DOCUMENT.as_bytes());
    }
}
