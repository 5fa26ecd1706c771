//! Every page as its router serves it: a Content-Security-Policy header without
//! 'unsafe-inline', no inline script, style or event handler (the policy would block them), and
//! every script and stylesheet it links served by that same router with the right type.

use axum::Router;
use http::HeaderMap;
use tower::ServiceExt;

use super::{function_router, router, Function};
use crate::app::test_app;

async fn get(router: &Router, path: &str) -> (u16, HeaderMap, String) {
    let req = http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    let resp = router.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let bytes = http_body_util::BodyExt::collect(body)
        .await
        .unwrap()
        .to_bytes();
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    (parts.status.as_u16(), parts.headers, text)
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    /// Where the text after the tag starts.
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The opening tags of `html`, with their attributes (names lower-cased), as a browser reads
/// them: quoted or bare values, and attributes without a value.
fn tags(html: &str) -> Vec<Tag> {
    let b = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(lt) = html[i..].find('<').map(|p| p + i) {
        i = lt + 1;
        if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        let name_end = html[i..]
            .find(|c: char| c.is_ascii_whitespace() || c == '>' || c == '/')
            .map_or(html.len(), |p| p + i);
        let name = html[i..name_end].to_ascii_lowercase();
        i = name_end;
        let mut attrs = Vec::new();
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() || b[i] == b'>' {
                break;
            }
            let key_end = html[i..]
                .find(|c: char| c.is_ascii_whitespace() || "=>/".contains(c))
                .map_or(html.len(), |p| p + i);
            let key = html[i..key_end].to_ascii_lowercase();
            i = key_end;
            let mut value = String::new();
            if b.get(i) == Some(&b'=') {
                i += 1;
                let (start, end) = match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let close = html[i + 1..].find(q as char).unwrap() + i + 1;
                        (i + 1, close + 1)
                    }
                    _ => {
                        let e = html[i..]
                            .find(|c: char| c.is_ascii_whitespace() || c == '>')
                            .map_or(html.len(), |p| p + i);
                        (i, e)
                    }
                };
                value = html[start..end].trim_end_matches(['"', '\'']).to_string();
                i = end;
            }
            attrs.push((key, value));
        }
        out.push(Tag {
            name,
            attrs,
            end: i + 1,
        });
    }
    out
}

/// The problems of one page: inline script, style, event handlers or `javascript:` URLs; and
/// the scripts and stylesheets it links (the files the browser would fetch).
fn inspect(html: &str) -> (Vec<String>, Vec<String>) {
    let (mut problems, mut links) = (Vec::new(), Vec::new());
    if html.to_ascii_lowercase().contains("unsafe-inline") {
        problems.push("mentions 'unsafe-inline'".into());
    }
    for t in tags(html) {
        for (k, v) in &t.attrs {
            if k.starts_with("on") {
                problems.push(format!("<{} {k}=…>: an inline event handler", t.name));
            }
            if k == "style" {
                problems.push(format!("<{} style=…>: an inline style", t.name));
            }
            if v.trim_start()
                .to_ascii_lowercase()
                .starts_with("javascript:")
            {
                problems.push(format!("<{} {k}=\"{v}\">", t.name));
            }
        }
        match t.name.as_str() {
            "style" => problems.push("a <style> block".into()),
            "script" => {
                let body = &html[t.end..t.end + html[t.end..].find("</script").unwrap()];
                match t.attr("src") {
                    Some(src) if body.trim().is_empty() => links.push(src.to_string()),
                    _ => problems.push(format!("an inline script: {:.60}", body.trim())),
                }
            }
            "link" if t.attr("rel") == Some("stylesheet") => {
                links.push(t.attr("href").unwrap_or_default().to_string())
            }
            _ => {}
        }
    }
    (problems, links)
}

#[test]
fn the_inspection_sees_what_a_browser_would_run() {
    let (problems, links) = inspect(
        "<p id=x ONCLICK='go()'>a</p><script>run()</script><div style=\"color:red\"></div>\
         <style>p{}</style><a href=\" JavaScript:go()\">x</a>\
         <script defer src=\"/s/a.js\"></script><link rel=\"stylesheet\" href=/s/b.css>",
    );
    assert_eq!(problems.len(), 5, "{problems:?}");
    assert_eq!(links, ["/s/a.js", "/s/b.css"]);
    let (problems, _) = inspect("<p>Använd inte 'unsafe-inline'.</p>");
    assert_eq!(problems.len(), 1);
}

#[tokio::test]
async fn pages_run_only_their_own_files_under_a_strict_policy() {
    let t = test_app::start().await;
    let routers = [
        (
            "bankid-collect",
            function_router(t.app.clone(), Function::BankidCollect),
            vec!["/portal", "/portal/verifiera"],
        ),
        (
            "local",
            router(t.app.clone()),
            vec!["/", "/sekreterare", "/portal", "/portal/verifiera"],
        ),
        (
            "phone",
            esign_world::bankid::phone_ui(),
            vec!["/bankid-sim/phone-ui"],
        ),
    ];
    for (router_name, router, paths) in &routers {
        for path in paths {
            let at = format!("{router_name} {path}");
            let (status, h, html) = get(router, path).await;
            assert_eq!(status, 200, "{at}");
            assert!(header(&h, "content-type").starts_with("text/html"), "{at}");
            let csp = header(&h, "content-security-policy");
            for want in [
                "default-src 'none'",
                "script-src 'self';",
                "style-src 'self';",
                "base-uri 'none'",
                "frame-ancestors 'none'",
            ] {
                assert!(csp.contains(want), "{at}: {want} in {csp:?}");
            }
            assert!(!csp.contains("unsafe"), "{at}: {csp}");
            let (problems, links) = inspect(&html);
            assert!(problems.is_empty(), "{at}: {problems:?}");
            assert!(
                *path == "/" || links.iter().any(|l| l.contains(".js?v=")),
                "{at} has its script"
            );
            for link in &links {
                let kind = if link.contains(".js?") {
                    "text/javascript; charset=utf-8"
                } else {
                    "text/css; charset=utf-8"
                };
                let (status, h, body) = get(router, link).await;
                assert_eq!(status, 200, "{at}: {link}");
                assert_eq!(header(&h, "content-type"), kind, "{at}: {link}");
                assert_eq!(header(&h, "x-content-type-options"), "nosniff");
                assert!(
                    header(&h, "cache-control").contains("immutable"),
                    "{at}: {link}"
                );
                assert!(!body.is_empty());
                // What this policy blocks in a script, and the old in-page QR encoder.
                for banned in ["eval(", "new Function", "innerHTML", "QrEncoder"] {
                    assert!(!body.contains(banned), "{link}: {banned}");
                }
                // An older or missing version is revalidated, never kept.
                let bare = link.split('?').next().unwrap();
                let (status, h, _) = get(router, bare).await;
                assert_eq!(
                    (status, header(&h, "cache-control")),
                    (200, "no-cache"),
                    "{bare}"
                );
            }
        }
    }
    // The portal shows the server's QR code as an image.
    let (_, _, html) = get(&routers[0].1, "/portal").await;
    assert!(html.contains("<img id=\"qr-image\"") && !html.contains("<canvas"));
    let (_, _, js) = get(&routers[0].1, "/portal/static/portal.js").await;
    assert!(js.contains("data.qr_svg"));
}
