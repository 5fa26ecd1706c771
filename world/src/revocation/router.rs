//! HTTP for relying parties: `POST /ocsp` (RFC 6960 A.1), `GET /ocsp/{base64}` (RFC 5019),
//! `GET /crl/{name}.crl`, `GET /ca/{name}.cer`. Local mode mounts it under `/pki`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::Engine;

use super::{RevocationError, RevocationService};
use esign_shared::error::ErrorText;

/// OCSP requests are a few hundred bytes; anything near this is not one.
const MAX_REQUEST_BYTES: usize = 16 * 1024;

/// The routes above for `service`.
pub fn router(service: Arc<RevocationService>) -> Router {
    Router::new()
        .route("/ocsp", post(ocsp_post))
        .route("/ocsp/{*request}", get(ocsp_get))
        .route("/crl/{file}", get(crl))
        .route("/ca/{file}", get(ca_cert))
        .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES))
        .with_state(service)
}

/// The status the responder answers an error with: the caller's mistakes are 4xx.
pub(crate) fn http_status(e: &RevocationError) -> u16 {
    match e {
        RevocationError::MalformedRequest(_) => 400,
        RevocationError::UnknownAuthority(_) => 404,
        _ => 500,
    }
}

fn error(e: &RevocationError) -> Response {
    let status = StatusCode::from_u16(http_status(e)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status.is_server_error() {
        tracing::error!(code = %e.code(), error = %e, "revocation service failed");
    }
    (
        status,
        axum::Json(serde_json::json!({"error": {
            "code": e.code(), "message_sv": e.message_sv(), "message_en": e.message_en(),
        }})),
    )
        .into_response()
}

fn ocsp_answer(service: &RevocationService, request: &[u8]) -> Response {
    match service.ocsp_response(request) {
        Ok(der) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/ocsp-response")],
            der,
        )
            .into_response(),
        Err(e) => error(&e),
    }
}

async fn ocsp_post(
    State(service): State<Arc<RevocationService>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some("application/ocsp-request") {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            axum::Json(serde_json::json!({"error": {
                "code": "revocation.unsupported_media_type",
                "message_sv": "Begäran måste ha innehållstypen application/ocsp-request.",
                "message_en": "The request must have content type application/ocsp-request.",
            }})),
        )
            .into_response();
    }
    match body {
        Ok(body) => ocsp_answer(&service, &body),
        Err(_) => error(&RevocationError::MalformedRequest(format!(
            "the body is not a request of at most {MAX_REQUEST_BYTES} bytes"
        ))),
    }
}

/// RFC 5019 §5: the URL-encoded base64 of the DER request (axum has already percent-decoded
/// the path; some clients use the URL-safe alphabet).
async fn ocsp_get(
    State(service): State<Arc<RevocationService>>,
    request: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    let Ok(Path(request)) = request else {
        return error(&RevocationError::MalformedRequest(
            "the path is not a base64 OCSP request".into(),
        ));
    };
    let compact: String = request.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&compact))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&compact));
    match decoded {
        Ok(der) if der.len() <= MAX_REQUEST_BYTES => ocsp_answer(&service, &der),
        _ => error(&RevocationError::MalformedRequest(
            "the path is not a base64 OCSP request".into(),
        )),
    }
}

async fn crl(State(service): State<Arc<RevocationService>>, Path(file): Path<String>) -> Response {
    let Some(name) = file.strip_suffix(".crl") else {
        return error(&RevocationError::UnknownAuthority(file));
    };
    match service.crl(name) {
        Ok(der) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/pkix-crl"),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            der,
        )
            .into_response(),
        Err(e) => error(&e),
    }
}

async fn ca_cert(
    State(service): State<Arc<RevocationService>>,
    Path(file): Path<String>,
) -> Response {
    let Some(name) = file.strip_suffix(".cer") else {
        return error(&RevocationError::UnknownAuthority(file));
    };
    match service.ca_certificate(name) {
        Ok(der) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/pkix-cert")],
            der,
        )
            .into_response(),
        Err(e) => error(&e),
    }
}
