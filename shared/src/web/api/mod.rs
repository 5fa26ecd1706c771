//! The JSON API of docs/api.md: one file per function URL's routes, the extractors they share,
//! and how an answer is made. Errors become statuses in `web::status` only.

#[cfg(all(test, feature = "embedded"))]
mod csrf_tests;
mod documents;
mod etag;
#[cfg(all(test, feature = "embedded"))]
mod etag_tests;
mod extract;
mod idempotency;
#[cfg(all(test, feature = "embedded"))]
mod idempotency_tests;
mod orders;
mod portal;
mod public;
#[cfg(all(test, feature = "embedded"))]
mod staff_tests;
#[cfg(all(test, feature = "embedded"))]
mod tests;

pub(in crate::web) use documents::upload_routes;
pub(in crate::web) use etag::etag;
pub(in crate::web) use idempotency::idempotent;
pub(in crate::web) use orders::order_routes;
pub(in crate::web) use portal::portal_routes;
pub(in crate::web) use public::public_routes;

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::status::ApiError;

pub(super) type ApiResult = Result<Response, ApiError>;

pub(super) fn ok(status: StatusCode, v: Value) -> ApiResult {
    Ok((status, axum::Json(v)).into_response())
}

pub(super) fn file(bytes: Bytes, content_type: &'static str, name: &str) -> ApiResult {
    let disposition = if content_type.starts_with("text/html") {
        "inline".to_string()
    } else {
        // RFC 6266: an ASCII fallback and the UTF-8 name.
        let ascii: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!(
            "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
            percent_encoding::utf8_percent_encode(name, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Ok(resp)
}
