//! The error table: every error that a person or a calling system can meet says of itself,
//! through this one trait, a stable machine-readable code and the same message in Swedish and
//! in English. Where an error becomes an HTTP status is the web layer's one function
//! (`web::status`); whether the work is retried is the error's own answer (`AppError::retry`).
//!
//! Codes are `area.reason` in snake case (`pdf.encrypted`, `order.deadline_in_past`): integrations
//! switch on them, so a code never changes meaning. Swedish messages are plain words for the
//! person in front of the screen; no codes, no technical terms.

use std::borrow::Cow;

pub trait ErrorText: std::fmt::Display {
    /// Stable and machine-readable, e.g. `pdf.encrypted`.
    fn code(&self) -> Cow<'static, str>;
    /// What a Swedish reader is told.
    fn message_sv(&self) -> String;
    /// The same in English.
    fn message_en(&self) -> String {
        self.to_string()
    }
}

/// An error's code as `&'static str`, for tests that compare codes in `Result`s and tuples.
#[cfg(test)]
pub(crate) fn static_code(e: &dyn ErrorText) -> &'static str {
    match e.code() {
        Cow::Borrowed(code) => code,
        Cow::Owned(code) => Box::leak(code.into_boxed_str()),
    }
}
