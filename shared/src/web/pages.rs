//! The pages people read: start page, secretary, signer portal, the anslagstavla. Each page is
//! one HTML file from `pages/` with its scripts and stylesheets as files beside it (served by
//! the page's own router, see `assets.rs`); no page has inline script or style, so the
//! Content-Security-Policy allows only files from the page's own origin.

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::assets;
use crate::app::App;

use std::sync::LazyLock;

/// What a page may load: its own scripts and stylesheets, and requests to its own origin. The
/// same policy (without `frame-ancestors`, which only works as a header) is in each page's
/// `<meta http-equiv>`.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/// The portal also shows the QR code: an SVG image in a `data:` URL.
const PORTAL_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

static SECRETARY_HTML: LazyLock<String> =
    LazyLock::new(|| assets::versioned(include_str!("pages/secretary.html"), assets::STAFF));
static PORTAL_HTML: LazyLock<String> =
    LazyLock::new(|| assets::versioned(include_str!("pages/portal.html"), assets::PORTAL));
static VERIFY_HTML: LazyLock<String> =
    LazyLock::new(|| assets::versioned(include_str!("pages/verify.html"), assets::PORTAL));
static START_HTML: LazyLock<String> =
    LazyLock::new(|| assets::versioned(START_SOURCE, assets::STAFF));

/// A page with our headers: its Content-Security-Policy, no sniffing, no referrer.
pub fn page(html: &'static str, csp: &'static str) -> Response {
    let mut r = Html(html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

const START_SOURCE: &str = r#"<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'">
<title>e-underskrift</title>
<link rel="stylesheet" href="/static/start.css"></head>
<body><main><h1>e-underskrift</h1>
<p>Digital justering av protokoll med Mobilt BankID, förseglad arkivversion, publicering på den digitala anslagstavlan och export till e-arkivet.</p>
<ul><li><a href="/portal">Signera eller läs dokument (för dig som ska justera)</a></li>
<li><a href="/portal/verifiera">Kontrollera ett justerat protokoll</a></li>
<li><a href="/sekreterare">Sekreterare: ladda upp och skicka för underskrift</a></li></ul>
</main></body></html>"#;

pub(super) fn staff_pages() -> Router<App> {
    Router::new()
        .route("/", get(|| async { page(START_HTML.as_str(), PAGE_CSP) }))
        .route(
            "/sekreterare",
            get(|| async { page(SECRETARY_HTML.as_str(), PAGE_CSP) }),
        )
        .merge(assets::routes("", assets::STAFF))
}

/// The portal and its files, all under `/portal` (the paths the portal's function URL gets).
pub(super) fn portal_pages() -> Router<App> {
    Router::new()
        .route(
            "/portal",
            get(|| async { page(PORTAL_HTML.as_str(), PORTAL_CSP) }),
        )
        // The public verification page (anyone; nothing is kept).
        .route(
            "/portal/verifiera",
            get(|| async { page(VERIFY_HTML.as_str(), PAGE_CSP) }),
        )
        .merge(assets::routes("/portal", assets::PORTAL))
}

pub(super) fn public_pages() -> Router<App> {
    Router::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each page's `<meta>` policy is its header's, less what only a header can say.
    #[test]
    fn meta_and_header_policies_agree() {
        for (name, html, csp) in [
            ("start", START_HTML.as_str(), PAGE_CSP),
            ("secretary", SECRETARY_HTML.as_str(), PAGE_CSP),
            ("portal", PORTAL_HTML.as_str(), PORTAL_CSP),
        ] {
            let meta = csp.strip_suffix("; frame-ancestors 'none'").unwrap();
            let tag = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{meta}\">");
            assert!(html.contains(&tag), "{name}");
            assert!(
                html.to_ascii_lowercase().starts_with("<!doctype html>")
                    && html.contains("lang=\"sv\""),
                "{name}"
            );
        }
    }
}
