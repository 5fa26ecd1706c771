//! The HTTP API as an OpenAPI 3.1 document (`openapi.json`, beside this file), served at
//! `GET /openapi.json`. `openapi_tests.rs` fails when a route and the document disagree.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::app::App;

/// The document, compiled in: what is served is what the test checked.
pub const DOCUMENT: &str = include_str!("openapi.json");

async fn openapi_json() -> Response {
    let mut resp = DOCUMENT.into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

pub(super) fn routes() -> Router<App> {
    Router::new().route("/openapi.json", get(openapi_json))
}

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
