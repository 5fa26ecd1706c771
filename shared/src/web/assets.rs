//! The pages' scripts and stylesheets, served as files so that the Content-Security-Policy
//! needs no 'unsafe-inline'. Each router serves the files of the pages it serves, under that
//! area's `static/` (the portal's under `/portal/static/`, which its function URL receives).
//! Pages link them as `…/static/NAME?v=VERSION` (see [`versioned`]): a link with the current
//! version may be cached for a year, anything else is revalidated.

use axum::extract::RawQuery;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

/// A script or stylesheet a page links.
pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

pub const CSS: &str = "text/css; charset=utf-8";
pub const JS: &str = "text/javascript; charset=utf-8";

/// The stylesheet every page shares (the local world's phone page too).
pub const COMMON_CSS: Asset = Asset {
    name: "common.css",
    content_type: CSS,
    body: include_str!("pages/common.css"),
};

/// The staff pages' files: the start page and the secretary's.
pub(super) const STAFF: &[Asset] = &[
    COMMON_CSS,
    Asset {
        name: "start.css",
        content_type: CSS,
        body: include_str!("pages/start.css"),
    },
    Asset {
        name: "secretary.css",
        content_type: CSS,
        body: include_str!("pages/secretary.css"),
    },
    Asset {
        name: "secretary.js",
        content_type: JS,
        body: include_str!("pages/secretary.js"),
    },
];

/// The signer portal's files.
pub(super) const PORTAL: &[Asset] = &[
    COMMON_CSS,
    Asset {
        name: "portal.css",
        content_type: CSS,
        body: include_str!("pages/portal.css"),
    },
    Asset {
        name: "portal.js",
        content_type: JS,
        body: include_str!("pages/portal.js"),
    },
    Asset {
        name: "verify.js",
        content_type: JS,
        body: include_str!("pages/verify.js"),
    },
];

/// An asset's version: the start of the SHA-256 of its content.
fn version(a: &Asset) -> String {
    hex::encode(&Sha256::digest(a.body.as_bytes())[..6])
}

/// `html` with every link to one of `assets` (`/static/NAME"`) carrying its version.
pub fn versioned(html: &str, assets: &[Asset]) -> String {
    let mut out = html.to_string();
    for a in assets {
        out = out.replace(
            &format!("/static/{}\"", a.name),
            &format!("/static/{}?v={}\"", a.name, version(a)),
        );
    }
    out
}

fn serve(a: &'static Asset, query: Option<String>) -> Response {
    let cache = if query.as_deref() == Some(format!("v={}", version(a)).as_str()) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut r = a.body.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(a.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

/// GET `{prefix}/static/NAME` for each of `assets` (the page tests check that every file a
/// page links is served by the page's router).
pub fn routes<S>(prefix: &str, assets: &'static [Asset]) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    assets.iter().fold(Router::new(), |router, a| {
        router.route(
            &format!("{prefix}/static/{}", a.name),
            get(move |RawQuery(q): RawQuery| async move { serve(a, q) }),
        )
    })
}
