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

/// A file the app copied out of storage, streamed from its handle (never whole in memory).
pub(super) fn download(
    file: crate::app::Download,
    content_type: &'static str,
    name: &str,
) -> ApiResult {
    let len = file.len;
    let stream = tokio_util::io::ReaderStream::with_capacity(
        tokio::fs::File::from_std(file.file),
        64 * 1024,
    );
    let mut resp = file_response(axum::body::Body::from_stream(stream), content_type, name);
    resp.headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    Ok(resp)
}

/// A small file held in memory (the public notices and feeds).
pub(super) fn file(bytes: Bytes, content_type: &'static str, name: &str) -> ApiResult {
    Ok(file_response(
        axum::body::Body::from(bytes),
        content_type,
        name,
    ))
}

fn file_response(body: axum::body::Body, content_type: &'static str, name: &str) -> Response {
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
    let mut resp = (StatusCode::OK, body).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}
