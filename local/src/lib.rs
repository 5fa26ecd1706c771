//! Local mode: the whole service in one process on the embedded adapters.

pub mod bench;
pub mod demo;
pub mod drive;
pub mod pki;
pub mod service;
pub mod tenant_cli;

pub use service::{LocalService, Running, DEFAULT_TENANT};
