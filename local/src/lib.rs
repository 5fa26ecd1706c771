//! Local mode: the whole service in one process on the embedded adapters.

pub mod api_key_cli;
pub mod bench;
pub mod demo;
pub mod drive;
pub mod pki;
pub mod service;
pub mod tenant_cli;

pub use service::{LocalService, Running, DEFAULT_TENANT};

/// An error of the library as a command prints it: its code, then Swedish and English.
pub fn user_error(e: impl esign_shared::error::ErrorText) -> anyhow::Error {
    anyhow::anyhow!("{}: {} / {}", e.code(), e.message_sv(), e.message_en())
}
