//! BankID Relying Party API v6.0: client, simulator (with a phone control API) and the
//! verifier of the signature evidence BankID returns on `complete`.

pub mod client;
pub mod error;
pub mod evidence;
pub mod evidence_file;
pub mod messages;
pub mod provider;
pub mod qr;
pub mod tls;
pub mod types;

#[cfg(all(test, feature = "simulator"))]
mod digest_coverage_tests;
#[cfg(all(test, feature = "simulator"))]
mod phone_scenario_tests;
#[cfg(all(test, feature = "simulator"))]
mod retry_tests;
#[cfg(all(test, feature = "simulator"))]
mod sim_harness_tests;
#[cfg(feature = "simulator")]
mod sim_ocsp;
#[cfg(feature = "simulator")]
mod sim_pki;
#[cfg(feature = "simulator")]
pub mod sim_tls;
#[cfg(feature = "simulator")]
mod sim_xml;
#[cfg(feature = "simulator")]
pub mod simulator;
#[cfg(all(test, feature = "simulator"))]
mod simulator_tests;
#[cfg(all(test, feature = "simulator"))]
mod tls_tests;

pub use client::BankIdClient;
pub use error::BankIdError;
#[cfg(feature = "simulator")]
pub use sim_pki::{generate_simulator_ca, issue_tls_client_cert, issue_tls_server_cert};
