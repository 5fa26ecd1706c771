//! The simulator's error answers: BankID's `{errorCode, details}` body with its HTTP status,
//! and the rate-limit and `Retry-After` headers where BankID sends them.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use esign_shared::bankid::types::ErrorBody;

/// An error answered by the simulator: RP API errors use BankID's body shape, and so do the
/// phone API's own errors.
#[derive(Debug)]
pub(super) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// Sent as `Retry-After` (seconds).
    pub(super) retry_after: Option<u64>,
}

impl ApiError {
    pub(super) fn rp(status: StatusCode, code: &str, details: &str) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                error_code: code.to_string(),
                details: details.to_string(),
            },
            retry_after: None,
        }
    }

    pub(super) fn phone(status: StatusCode, code: &str, details: &str) -> ApiError {
        ApiError::rp(status, code, details)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body)).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            let headers = response.headers_mut();
            headers.insert("RateLimit-Limit", header::HeaderValue::from_static("100"));
            headers.insert("RateLimit-Remaining", header::HeaderValue::from_static("0"));
            headers.insert("RateLimit-Reset", header::HeaderValue::from_static("2"));
        }
        if let Some(seconds) = self.retry_after {
            if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

pub(super) fn no_such_order() -> ApiError {
    ApiError::rp(
        StatusCode::BAD_REQUEST,
        "invalidParameters",
        "No such order",
    )
}

pub(super) fn phone_no_such_order() -> ApiError {
    ApiError::phone(StatusCode::NOT_FOUND, "noSuchOrder", "No such order")
}

pub(super) fn internal(details: String) -> ApiError {
    ApiError::phone(StatusCode::INTERNAL_SERVER_ERROR, "internalError", &details)
}

pub(super) fn not_pending() -> ApiError {
    ApiError::phone(
        StatusCode::CONFLICT,
        "orderNotPending",
        "The order is not waiting for this step",
    )
}
