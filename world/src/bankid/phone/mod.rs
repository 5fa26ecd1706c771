//! The simulated Mobilt BankID app as a page (`/bankid-sim/phone-ui` in local mode): a person
//! trying the service approves, cancels or scans here what the signer would on their phone.
//! Served with the service's own page headers and assets, so it runs under the same strict
//! Content-Security-Policy.

use std::sync::LazyLock;

use axum::routing::get;
use axum::Router;
use esign_shared::web::assets::{self, Asset, COMMON_CSS, CSS, JS};
use esign_shared::web::pages::{page, PAGE_CSP};

const PHONE: &[Asset] = &[
    COMMON_CSS,
    Asset {
        name: "phone.css",
        content_type: CSS,
        body: include_str!("phone.css"),
    },
    Asset {
        name: "phone.js",
        content_type: JS,
        body: include_str!("phone.js"),
    },
];

static PHONE_HTML: LazyLock<String> =
    LazyLock::new(|| assets::versioned(include_str!("phone.html"), PHONE));

/// The phone page and its files, under `/bankid-sim`.
pub fn phone_ui<S>() -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(
            "/bankid-sim/phone-ui",
            get(|| async { page(PHONE_HTML.as_str(), PAGE_CSP) }),
        )
        .merge(assets::routes("/bankid-sim", PHONE))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page's `<meta>` policy is its header's, less what only a header can say.
    #[test]
    fn meta_and_header_policies_agree() {
        let meta = PAGE_CSP.strip_suffix("; frame-ancestors 'none'").unwrap();
        let tag = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{meta}\">");
        assert!(PHONE_HTML.contains(&tag));
        assert!(
            PHONE_HTML
                .to_ascii_lowercase()
                .starts_with("<!doctype html>")
                && PHONE_HTML.contains("lang=\"sv\"")
        );
    }
}
