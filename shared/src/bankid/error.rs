//! Errors of the RP API (`errorCode` of the response body) and of the client itself.

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BankIdError {
    /// An order for this personal number is already in progress; BankID aborted both.
    #[error("bankid alreadyInProgress: {details}")]
    AlreadyInProgress { details: String },
    #[error("bankid invalidParameters: {details}")]
    InvalidParameters { details: String },
    /// 401/403: the RP certificate or agreement is not accepted.
    #[error("bankid unauthorized: {details}")]
    Unauthorized { details: String },
    /// 404: wrong URL path.
    #[error("bankid notFound: {details}")]
    NotFound { details: String },
    /// 405: only POST is allowed.
    #[error("bankid methodNotAllowed: {details}")]
    MethodNotAllowed { details: String },
    #[error("bankid requestTimeout: {details}")]
    RequestTimeout { details: String },
    /// 415: content type was not exactly `application/json`.
    #[error("bankid unsupportedMediaType: {details}")]
    UnsupportedMediaType { details: String },
    /// 429: back off. `retry_after_seconds` from the `RateLimit-Reset` header when present.
    #[error("bankid tooManyRequests: {details}")]
    TooManyRequests {
        details: String,
        retry_after_seconds: Option<u64>,
    },
    #[error("bankid internalError: {details}")]
    InternalError { details: String },
    /// 503: may be retried silently a few times.
    #[error("bankid maintenance: {details}")]
    Maintenance { details: String },
    /// An error code this client does not know (BankID may add codes without notice).
    #[error("bankid error {code} (HTTP {http_status}): {details}")]
    Unknown {
        code: String,
        details: String,
        http_status: u16,
    },
    /// The request was refused before sending (size limits, missing fields).
    #[error("invalid BankID request: {0}")]
    InvalidRequest(String),
    /// Network failure or a response that is not the documented JSON.
    #[error("BankID transport error: {0}")]
    Transport(String),
}

impl BankIdError {
    /// Maps an `errorCode` (case-insensitively: some deployments send `Maintenance`).
    pub fn from_error_code(code: &str, details: String, http_status: u16) -> BankIdError {
        match code.to_ascii_lowercase().as_str() {
            "alreadyinprogress" => BankIdError::AlreadyInProgress { details },
            "invalidparameters" => BankIdError::InvalidParameters { details },
            "unauthorized" => BankIdError::Unauthorized { details },
            "notfound" => BankIdError::NotFound { details },
            "methodnotallowed" => BankIdError::MethodNotAllowed { details },
            "requesttimeout" => BankIdError::RequestTimeout { details },
            "unsupportedmediatype" => BankIdError::UnsupportedMediaType { details },
            "toomanyrequests" => BankIdError::TooManyRequests {
                details,
                retry_after_seconds: None,
            },
            "internalerror" => BankIdError::InternalError { details },
            "maintenance" => BankIdError::Maintenance { details },
            _ => BankIdError::Unknown {
                code: code.to_string(),
                details,
                http_status,
            },
        }
    }

    /// The error a bare HTTP status means when the body carries no usable `errorCode`.
    pub fn from_http_status(http_status: u16, details: String) -> BankIdError {
        let code = match http_status {
            401 | 403 => "unauthorized",
            404 => "notFound",
            405 => "methodNotAllowed",
            408 => "requestTimeout",
            415 => "unsupportedMediaType",
            429 => "tooManyRequests",
            500 => "internalError",
            503 => "maintenance",
            _ => {
                return BankIdError::Unknown {
                    code: String::new(),
                    details,
                    http_status,
                }
            }
        };
        BankIdError::from_error_code(code, details, http_status)
    }

    /// The wire `errorCode` this error stands for (empty for client-side errors).
    pub fn error_code(&self) -> &str {
        match self {
            BankIdError::AlreadyInProgress { .. } => "alreadyInProgress",
            BankIdError::InvalidParameters { .. } => "invalidParameters",
            BankIdError::Unauthorized { .. } => "unauthorized",
            BankIdError::NotFound { .. } => "notFound",
            BankIdError::MethodNotAllowed { .. } => "methodNotAllowed",
            BankIdError::RequestTimeout { .. } => "requestTimeout",
            BankIdError::UnsupportedMediaType { .. } => "unsupportedMediaType",
            BankIdError::TooManyRequests { .. } => "tooManyRequests",
            BankIdError::InternalError { .. } => "internalError",
            BankIdError::Maintenance { .. } => "maintenance",
            BankIdError::Unknown { code, .. } => code,
            BankIdError::InvalidRequest(_) | BankIdError::Transport(_) => "",
        }
    }

    /// Whether a silent retry is reasonable (BankID: only `maintenance`, and back-off on 429).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            BankIdError::Maintenance { .. } | BankIdError::TooManyRequests { .. }
        )
    }
}

impl crate::error::ErrorText for BankIdError {
    /// Machine-readable code for our own API.
    fn code(&self) -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::from({
            match self {
                BankIdError::AlreadyInProgress { .. } => "bankid.already_in_progress",
                BankIdError::InvalidParameters { .. } => "bankid.invalid_parameters",
                BankIdError::Unauthorized { .. } => "bankid.unauthorized",
                BankIdError::NotFound { .. } => "bankid.not_found",
                BankIdError::MethodNotAllowed { .. } => "bankid.method_not_allowed",
                BankIdError::RequestTimeout { .. } => "bankid.request_timeout",
                BankIdError::UnsupportedMediaType { .. } => "bankid.unsupported_media_type",
                BankIdError::TooManyRequests { .. } => "bankid.too_many_requests",
                BankIdError::InternalError { .. } => "bankid.internal_error",
                BankIdError::Maintenance { .. } => "bankid.maintenance",
                BankIdError::Unknown { .. } => "bankid.unknown_error",
                BankIdError::InvalidRequest(_) => "bankid.invalid_request",
                BankIdError::Transport(_) => "bankid.transport",
            }
        })
    }

    /// What the user reads, in Swedish (RFA texts, digest §1.11).
    fn message_sv(&self) -> String {
        String::from(crate::bankid::messages::error_message(self).0)
    }

    /// What the user reads, in English.
    fn message_en(&self) -> String {
        String::from(crate::bankid::messages::error_message(self).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorText;

    #[test]
    fn error_codes_map_case_insensitively() {
        let err = BankIdError::from_error_code("Maintenance", "x".into(), 503);
        assert_eq!(
            err,
            BankIdError::Maintenance {
                details: "x".into()
            }
        );
        assert_eq!(err.code(), "bankid.maintenance");
        let unknown = BankIdError::from_error_code("brandNew", "y".into(), 400);
        assert_eq!(unknown.error_code(), "brandNew");
        assert_eq!(unknown.code(), "bankid.unknown_error");
    }

    #[test]
    fn bare_http_status_maps_to_documented_code() {
        assert!(matches!(
            BankIdError::from_http_status(403, String::new()),
            BankIdError::Unauthorized { .. }
        ));
        assert!(matches!(
            BankIdError::from_http_status(502, String::new()),
            BankIdError::Unknown {
                http_status: 502,
                ..
            }
        ));
    }
}
