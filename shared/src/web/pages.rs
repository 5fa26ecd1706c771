//! The pages people read: start page, secretary, signer portal, the anslagstavla. Each page is
//! served as one self-contained HTML file (inline CSS and script, no external requests),
//! assembled once from its source in `pages/` with the shared stylesheet.

use axum::http::{header, HeaderValue};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::notice_html::escape_html;
use crate::app::App;
use crate::domain::calendar::date_in_words_sv;
use crate::domain::notice::Notice;

use std::sync::LazyLock;

const COMMON_CSS: &str = include_str!("pages/common.css");

fn assemble(source: &str) -> String {
    source.replace("/*COMMON_CSS*/\n", COMMON_CSS)
}

pub static SECRETARY_HTML: LazyLock<String> =
    LazyLock::new(|| assemble(include_str!("pages/secretary.html")));
pub static PORTAL_HTML: LazyLock<String> =
    LazyLock::new(|| assemble(include_str!("pages/portal.html")));
/// The simulated Mobilt BankID app (local mode only).
pub static PHONE_HTML: LazyLock<String> =
    LazyLock::new(|| assemble(include_str!("pages/phone.html")));

fn page(html: &'static str) -> Response {
    let mut r = Html(html).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src 'unsafe-inline' 'self'; img-src 'self' data: blob:; frame-ancestors 'none'",
        ),
    );
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    r
}

const START_HTML: &str = r#"<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>e-underskrift</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
a{color:#0b4f8a}a:focus{outline:3px solid #f0b400;outline-offset:2px}</style></head>
<body><main><h1>e-underskrift</h1>
<p>Digital justering av protokoll med Mobilt BankID, förseglad arkivversion, publicering på den digitala anslagstavlan och export till e-arkivet.</p>
<ul><li><a href="/portal">Signera eller läs dokument (för dig som ska justera)</a></li>
<li><a href="/sekreterare">Sekreterare: ladda upp och skicka för underskrift</a></li></ul>
</main></body></html>"#;

pub(super) fn staff_pages() -> Router<App> {
    Router::new()
        .route("/", get(|| async { page(START_HTML) }))
        .route(
            "/sekreterare",
            get(|| async { page(SECRETARY_HTML.as_str()) }),
        )
}

pub(super) fn portal_pages() -> Router<App> {
    Router::new().route("/portal", get(|| async { page(PORTAL_HTML.as_str()) }))
}

pub(super) fn public_pages() -> Router<App> {
    Router::new()
}

/// The digital anslagstavla of one tenant: the notices that are up, each linking to its page.
pub fn anslagstavla_html(tenant_name: &str, notices: &[(String, Notice)]) -> String {
    let mut items = String::new();
    for (id, n) in notices {
        items.push_str(&format!(
            "<li><h2><a href=\"{id}.html\">{organ}: protokoll från sammanträdet {meeting}</a></h2>\
             <p>Justerat {justering}. Anslaget sattes upp {posted} och tas ned {down}. \
             Sista dag för överklagande: {appeal}.</p>\
             <p><a href=\"{id}.pdf\">Protokollet (publiceringsversion, PDF)</a></p></li>",
            id = escape_html(id),
            organ = escape_html(&n.organ),
            meeting = date_in_words_sv(n.meeting_date),
            justering = date_in_words_sv(n.justering_date),
            posted = date_in_words_sv(n.posted),
            down = date_in_words_sv(n.taken_down),
            appeal = date_in_words_sv(n.appeal_ends),
        ));
    }
    if notices.is_empty() {
        items.push_str("<li>Inga anslag just nu.</li>");
    }
    format!(
        "<!doctype html><html lang=\"sv\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Anslagstavla – {name}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}}\
         a{{color:#0b4f8a}}a:focus{{outline:3px solid #f0b400;outline-offset:2px}}ul{{list-style:none;padding:0}}\
         li{{border-top:1px solid #767676;padding:1rem 0}}h2{{font-size:1.2rem;margin:0}}</style></head>\
         <body><main><h1>Digital anslagstavla – {name}</h1>\
         <p>Här tillkännages justerade protokoll enligt kommunallagen 8 kap. 12 §.</p><ul>{items}</ul></main></body></html>",
        name = escape_html(tenant_name),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_assembled_whole() {
        for (name, html) in [
            ("secretary", SECRETARY_HTML.as_str()),
            ("portal", PORTAL_HTML.as_str()),
            ("phone", PHONE_HTML.as_str()),
        ] {
            assert!(!html.contains("/*COMMON_CSS*/"), "{name}");
            assert!(
                html.contains(COMMON_CSS),
                "{name} lacks the shared stylesheet"
            );
            assert!(
                html.starts_with("<!DOCTYPE html>") && html.contains("lang=\"sv\""),
                "{name}"
            );
        }
        // The portal shows the server's QR code (qr_svg) and has no encoder of its own.
        assert!(PORTAL_HTML.contains("data.qr_svg") && !PORTAL_HTML.contains("QrEncoder"));
    }
}
