use thiserror::Error;

use crate::domain::personnummer::PersonnummerError;
use crate::domain::DomainError;
use crate::error::ErrorText;
use crate::pdf::intake::IntakeError;
use crate::ports::{EidError, JobFailure, PortError, Retry, StateError};
use crate::repo::RepoError;

/// Why a use case did not happen. Everything but `Internal` is the caller's to fix, and has a
/// stable code and a message in Swedish and English.
#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Intake(#[from] IntakeError),
    #[error(transparent)]
    Personnummer(#[from] PersonnummerError),
    #[error("{en}")]
    BadRequest {
        code: std::borrow::Cow<'static, str>,
        sv: String,
        en: String,
    },
    #[error("not authenticated")]
    Unauthenticated,
    /// An API key that was revoked or has expired: `auth.key_revoked`, `auth.key_expired`.
    #[error("API key refused: {code}")]
    KeyRefused { code: &'static str },
    /// Logged in, but not as staff of a tenant (or not with the role the action needs).
    #[error("not permitted")]
    Forbidden,
    #[error("{what} not found")]
    NotFound { what: &'static str },
    #[error("someone else changed this at the same time; try again")]
    Conflict,
    #[error("BankID: {code}")]
    Eid { code: String, details: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn bad_request(
        code: impl Into<std::borrow::Cow<'static, str>>,
        sv: impl Into<String>,
        en: impl Into<String>,
    ) -> Self {
        Self::BadRequest {
            code: code.into(),
            sv: sv.into(),
            en: en.into(),
        }
    }

    /// Whether doing the same again may succeed: a failure on our side, a lost race, or
    /// BankID's; never for what the caller must change first.
    pub fn retry(&self) -> Retry {
        match self {
            Self::Internal(_) | Self::Conflict | Self::Eid { .. } => Retry::Later,
            _ => Retry::Never,
        }
    }

    /// This error as a queue sees a failed job.
    pub fn job_failure(&self) -> JobFailure {
        JobFailure {
            code: self.code().into_owned(),
            message: self.to_string(),
            retry: self.retry(),
        }
    }
}

impl crate::error::ErrorText for AppError {
    fn code(&self) -> std::borrow::Cow<'static, str> {
        {
            match self {
                Self::Domain(e) => e.code(),
                Self::Intake(e) => e.code(),
                Self::Personnummer(e) => e.code(),
                Self::BadRequest { code, .. } => code.clone(),
                Self::Unauthenticated => "auth.required".into(),
                Self::KeyRefused { code } => (*code).into(),
                Self::Forbidden => "auth.forbidden".into(),
                Self::NotFound { what } => format!("{what}.not_found").into(),
                Self::Conflict => "state.conflict".into(),
                Self::Eid { code, .. } => format!("bankid.{code}").into(),
                Self::Internal(_) => "internal".into(),
            }
        }
    }

    fn message_sv(&self) -> String {
        match self {
            Self::Domain(e) => e.message_sv(),
            Self::Intake(e) => e.message_sv().to_string(),
            Self::Personnummer(e) => e.message_sv().to_string(),
            Self::BadRequest { sv, .. } => sv.clone(),
            Self::Forbidden => "Du har inte behörighet till detta.".into(),
            Self::KeyRefused { code } if *code == "auth.key_expired" => {
                "API-nyckeln har slutat gälla. Be administratören om en ny.".into()
            }
            Self::KeyRefused { .. } => {
                "API-nyckeln är återkallad. Be administratören om en ny.".into()
            }
            Self::Unauthenticated => {
                "Du behöver logga in (eller ange en giltig API-nyckel).".into()
            }
            Self::NotFound { what } => format!("Hittades inte ({what})."),
            Self::Conflict => "Någon annan ändrade samtidigt. Försök igen.".into(),
            Self::Eid { code, .. } => match code.as_str() {
                "alreadyInProgress" => {
                    "Det pågår redan en BankID-åtgärd för dig. Försök igen om en stund.".into()
                }
                "maintenance" => "BankID har underhåll just nu. Försök igen senare.".into(),
                _ => "BankID kunde inte genomföra åtgärden. Försök igen.".into(),
            },
            Self::Internal(_) => {
                "Ett tekniskt fel uppstod hos oss. Inget av det du sparat har gått förlorat.".into()
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Domain(e) => e.message_en(),
            Self::Intake(e) => e.message_en().to_string(),
            Self::Personnummer(e) => e.message_en().to_string(),
            Self::BadRequest { en, .. } => en.clone(),
            Self::Internal(_) => {
                "A technical error occurred on our side. Nothing you saved was lost.".into()
            }
            Self::KeyRefused { code } if *code == "auth.key_expired" => {
                "The API key has expired. Ask the administrator for a new one.".into()
            }
            Self::KeyRefused { .. } => {
                "The API key has been revoked. Ask the administrator for a new one.".into()
            }
            other => other.to_string(),
        }
    }
}

impl From<PortError> for AppError {
    fn from(e: PortError) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<StateError> for AppError {
    fn from(e: StateError) -> Self {
        match e {
            StateError::ConditionFailed { .. } => Self::Conflict,
            StateError::Port(p) => p.into(),
        }
    }
}

impl From<EidError> for AppError {
    fn from(e: EidError) -> Self {
        match e {
            EidError::Refused { code, details } => Self::Eid { code, details },
            EidError::EvidenceRejected(why) => Self::Eid {
                code: "evidenceRejected".into(),
                details: why,
            },
            EidError::Port(p) => p.into(),
        }
    }
}

impl From<RepoError> for AppError {
    fn from(e: RepoError) -> Self {
        match e {
            RepoError::Conflict => Self::Conflict,
            other => Self::Internal(other.to_string()),
        }
    }
}
