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
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        name: "common.css",
        content_type: CSS,
        body: include_str!("pages/common.css"),
    },
    Asset {
        name: "start.css",
        content_type: CSS,
        body: include_str!("pages/start.css"),
    },
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
        name: "secretary.css",
        content_type: CSS,
        body: include_str!("pages/secretary.css"),
    },
    Asset {
        name: "secretary.js",
        content_type: JS,
        body: include_str!("pages/secretary.js"),
    },
    Asset {
        name: "phone.css",
        content_type: CSS,
        body: include_str!("pages/phone.css"),
    },
    Asset {
        name: "phone.js",
        content_type: JS,
        body: include_str!("pages/phone.js"),
    },
];

/// Each asset's version: the start of the SHA-256 of its content.
static VERSIONS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| hex::encode(&Sha256::digest(a.body.as_bytes())[..6]))
        .collect()
});

/// `html` with every link to one of our assets (`/static/NAME"`) carrying its version.
pub(super) fn versioned(html: &str) -> String {
    let mut out = html.to_string();
    for (a, v) in ASSETS.iter().zip(VERSIONS.iter()) {
        out = out.replace(
            &format!("/static/{}\"", a.name),
            &format!("/static/{}?v={v}\"", a.name),
        );
    }
    out
}

fn serve(index: usize, query: Option<String>) -> Response {
    let (a, v) = (&ASSETS[index], &VERSIONS[index]);
    let cache = if query.as_deref() == Some(format!("v={v}").as_str()) {
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

/// GET `{prefix}/static/NAME` for each asset in `names` (the page tests check that every file a
/// page links is served by the page's router).
pub(super) fn routes<S>(prefix: &str, names: &[&str]) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    ASSETS
        .iter()
        .enumerate()
        .filter(|(_, a)| names.contains(&a.name))
        .fold(Router::new(), |router, (index, a)| {
            router.route(
                &format!("{prefix}/static/{}", a.name),
                get(move |RawQuery(q): RawQuery| async move { serve(index, q) }),
            )
        })
}
