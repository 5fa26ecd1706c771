//! The one place where an error becomes an HTTP status, and the errors of HTTP itself (a body
//! that is not JSON, a route that does not exist...). Every answer that is not a success has
//! the shape `{"error": {code, message_sv, message_en}}` (docs/api.md).

use std::borrow::Cow;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppError;
use crate::domain::DomainError;
use crate::error::ErrorText;

/// What a request got wrong before any use case ran.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error("The request body could not be read.")]
    UnreadableBody,
    #[error("Invalid request data: {0}")]
    InvalidJson(String),
    #[error("Invalid query parameters: {0}")]
    InvalidQuery(String),
    #[error("This address does not accept that request method.")]
    MethodNotAllowed,
    #[error("No such page or resource.")]
    NoRoute,
    #[error("Send the document as PDF (Content-Type: application/pdf).")]
    NotAPdfUpload,
    #[error("The request did not come from this service's own pages, so it was refused.")]
    CrossSite,
    #[error("The caller's network address could not be determined, so BankID cannot be started.")]
    NoClientAddress,
    #[error("This installation answers only through its site address; call that address instead.")]
    NotThroughSite,
}

impl ErrorText for RequestError {
    fn code(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            RequestError::UnreadableBody => "input.unreadable_body",
            RequestError::InvalidJson(_) => "input.invalid_json",
            RequestError::InvalidQuery(_) => "input.invalid_query",
            RequestError::MethodNotAllowed => "route.method_not_allowed",
            RequestError::NoRoute => "route.not_found",
            RequestError::NotAPdfUpload => "upload.unsupported_media_type",
            RequestError::CrossSite => "request.cross_site",
            RequestError::NoClientAddress => "request.no_client_address",
            RequestError::NotThroughSite => "request.not_through_site",
        })
    }

    fn message_sv(&self) -> String {
        match self {
            RequestError::UnreadableBody => "Förfrågan kunde inte läsas.".into(),
            RequestError::InvalidJson(e) => format!("Ogiltiga uppgifter i förfrågan: {e}"),
            RequestError::InvalidQuery(e) => format!("Ogiltiga parametrar i adressen: {e}"),
            RequestError::MethodNotAllowed => {
                "Den här adressen tar inte emot den sortens förfrågan.".into()
            }
            RequestError::NoRoute => "Sidan eller resursen finns inte.".into(),
            RequestError::CrossSite => {
                "Begäran kom inte från tjänstens egna sidor och avvisades. Gör om det från tjänstens sida."
                    .into()
            }
            RequestError::NotAPdfUpload => {
                "Skicka dokumentet som PDF (Content-Type: application/pdf).".into()
            }
            RequestError::NotThroughSite => {
                "Tjänsten svarar bara via sin egen webbadress. Använd den adressen i stället.".into()
            }
            RequestError::NoClientAddress => {
                "Vi kunde inte avgöra varifrån anslutningen kom, så BankID kan inte startas. Försök igen, och kontakta supporten om det inte går.".into()
            }
        }
    }
}

/// The HTTP status of a use case's error.
fn of_app(e: &AppError) -> StatusCode {
    match e {
        AppError::Domain(DomainError::IllegalTransition { .. })
        | AppError::Domain(DomainError::StaleVersion { .. })
        | AppError::Domain(DomainError::AlreadyActed)
        | AppError::Domain(DomainError::StepClaimed { .. })
        | AppError::Domain(DomainError::ClaimLost) => StatusCode::CONFLICT,
        AppError::Domain(DomainError::NotASigner) => StatusCode::FORBIDDEN,
        AppError::Domain(DomainError::InvalidId { .. }) => StatusCode::NOT_FOUND,
        AppError::Domain(_) => StatusCode::UNPROCESSABLE_ENTITY,
        AppError::Intake(e) if e.code() == "pdf.too_large" => StatusCode::PAYLOAD_TOO_LARGE,
        AppError::Intake(_) | AppError::Personnummer(_) | AppError::BadRequest { .. } => {
            StatusCode::BAD_REQUEST
        }
        AppError::Unauthenticated | AppError::KeyRefused { .. } => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound { .. } => StatusCode::NOT_FOUND,
        AppError::Conflict => StatusCode::CONFLICT,
        AppError::Eid { code, .. } => match code.as_str() {
            "alreadyInProgress" => StatusCode::CONFLICT,
            "maintenance" | "internalError" => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_GATEWAY,
        },
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// The HTTP status of a request's own error.
fn of_request(e: &RequestError) -> StatusCode {
    match e {
        RequestError::UnreadableBody
        | RequestError::InvalidJson(_)
        | RequestError::InvalidQuery(_) => StatusCode::BAD_REQUEST,
        RequestError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        RequestError::NoRoute => StatusCode::NOT_FOUND,
        RequestError::NotAPdfUpload => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        RequestError::CrossSite => StatusCode::FORBIDDEN,
        RequestError::NoClientAddress => StatusCode::BAD_REQUEST,
        RequestError::NotThroughSite => StatusCode::FORBIDDEN,
    }
}

/// An error as the API shows it: a status, a code and a message in Swedish and English.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub message_sv: String,
    pub message_en: String,
}

impl ApiError {
    fn new(status: StatusCode, e: &dyn ErrorText) -> Self {
        Self {
            status,
            code: e.code().into_owned(),
            message_sv: e.message_sv(),
            message_en: e.message_en(),
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = of_app(&e);
        if status.is_server_error() {
            // Our fault: log the detail (never personal data: errors carry none), show a calm text.
            tracing::error!(code = %e.code(), error = %e, "request failed");
        }
        Self::new(status, &e)
    }
}

impl From<RequestError> for ApiError {
    fn from(e: RequestError) -> Self {
        Self::new(of_request(&e), &e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": {
                "code": self.code, "message_sv": self.message_sv, "message_en": self.message_en,
            }})),
        )
            .into_response()
    }
}

/// Routes nobody serves, and methods a route does not take.
pub async fn not_found() -> ApiError {
    RequestError::NoRoute.into()
}

pub async fn method_not_allowed() -> ApiError {
    RequestError::MethodNotAllowed.into()
}
