//! The `Idempotency-Key` header on creating calls (POST with a JSON body, or none), before and
//! after the route: a repeat gets the first answer with `Idempotent-Replayed: true`, 409
//! `idempotency.in_flight` with `Retry-After` while the first still runs, 422
//! `idempotency.key_reused` when the key came with another request. Keys belong to the
//! caller's credential (API key or session). A PDF upload is left alone: the same bytes are
//! the same document whatever the key.

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::extract::presented_credential;
use crate::app::{App, AppError, Begin, CallKey};
use crate::domain::idempotency::{valid_key, KeptAnswer, MAX_ANSWER_BYTES};
use crate::web::ApiError;

/// The header a caller sends.
const HEADER: &str = "idempotency-key";
/// The largest request body kept in memory to fingerprint (the JSON bodies' own limit).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;
/// The largest answer read back to be kept (larger ones are answered, not kept).
const MAX_READ_ANSWER_BYTES: usize = 16 * 1024 * 1024;

pub(in crate::web) async fn idempotent(
    State(app): State<App>,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = request.headers().get(HEADER) else {
        return next.run(request).await;
    };
    if request.method() != Method::POST || !json_or_empty(&request) {
        return next.run(request).await;
    }
    let key = match key.to_str().ok().filter(|k| valid_key(k)) {
        Some(k) => k.to_string(),
        None => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "idempotency.invalid_key",
                "Idempotency-Key ska vara 1–255 synliga ASCII-tecken.",
                "Idempotency-Key must be 1 to 255 visible ASCII characters.",
            )
        }
    };
    // Without a credential the route refuses the call anyway; nothing to keep.
    let Some(credential) = presented_credential(request.headers()) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, MAX_REQUEST_BYTES).await else {
        return ApiError::from(AppError::from(crate::pdf::IntakeError::TooLarge)).into_response();
    };
    let mut digest = Sha256::new();
    for piece in [
        parts.method.as_str().as_bytes(),
        b" ",
        parts.uri.path().as_bytes(),
        b"?",
        parts.uri.query().unwrap_or("").as_bytes(),
        b"\n",
    ] {
        digest.update(piece);
    }
    digest.update(&body);
    let fingerprint = hex::encode(digest.finalize());
    let claim = match app
        .idempotency
        .begin(CallKey::new(&credential, &key), fingerprint)
        .await
    {
        Ok(Begin::Run(claim)) => claim,
        Ok(Begin::Replay(answer)) => return replay(answer),
        Ok(Begin::InFlight) => {
            let mut r = refusal(
                StatusCode::CONFLICT,
                "idempotency.in_flight",
                "Samma anrop pågår redan. Försök igen om en stund.",
                "The same call is still running. Try again shortly.",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            return r;
        }
        Ok(Begin::OtherRequest) => {
            return refusal(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency.key_reused",
                "Idempotency-Key har redan använts för ett annat anrop.",
                "The Idempotency-Key was already used for another request.",
            )
        }
        Err(e) => return ApiError::from(e).into_response(),
    };
    let response = next.run(Request::from_parts(parts, Body::from(body))).await;
    let (parts, body) = response.into_parts();
    // Read whole to keep it (the creating calls answer a few KB); an answer too large to keep
    // is still answered, only not kept.
    let bytes = to_bytes(body, MAX_READ_ANSWER_BYTES).await;
    let keepable = bytes.as_ref().ok().filter(|b| b.len() <= MAX_ANSWER_BYTES);
    let answer = keepable.map(|b| KeptAnswer {
        status: parts.status.as_u16(),
        content_type: parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_string(),
        body: String::from_utf8_lossy(b).into_owned(),
    });
    if let Err(e) = app.idempotency.finish(claim, answer).await {
        // The call itself happened; a repeat within the lease waits, after it runs again.
        tracing::warn!(error = %e, "idempotent answer not kept");
    }
    match bytes {
        Ok(b) => Response::from_parts(parts, Body::from(b)),
        Err(_) => ApiError::from(AppError::Internal("answer too large".into())).into_response(),
    }
}

fn json_or_empty(request: &Request) -> bool {
    match request.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v
            .to_str()
            .map(|v| {
                v.trim_start()
                    .to_ascii_lowercase()
                    .starts_with("application/json")
            })
            .unwrap_or(false),
    }
}

fn replay(answer: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut r = (status, answer.body).into_response();
    if let Ok(v) = HeaderValue::from_str(&answer.content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r.headers_mut()
        .insert("idempotent-replayed", HeaderValue::from_static("true"));
    r
}

fn refusal(status: StatusCode, code: &str, sv: &str, en: &str) -> Response {
    ApiError {
        status,
        code: code.into(),
        message_sv: sv.into(),
        message_en: en.into(),
    }
    .into_response()
}
