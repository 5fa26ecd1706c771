//! BankID Relying Party API v6.0: the client and the verifier of the signature evidence BankID
//! returns on `complete`. The simulator is `esign-world`'s.

pub mod client;
pub mod error;
pub mod evidence;
pub mod evidence_file;
pub mod messages;
pub mod provider;
pub mod qr;
pub mod tls;
pub mod types;

pub use client::BankIdClient;
pub use error::BankIdError;
