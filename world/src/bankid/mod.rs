//! The BankID RP API v6 simulator: the wall-clock state machine of BankID's orders, the
//! completion data with a canonical XMLDSig signature and a real OCSP response, a CA for its
//! users, mutual TLS as BankID speaks it, and the phone control API that plays the signer's app.

mod ocsp;
mod phone;
mod pki;
pub mod simulator;
pub mod tls;
mod xml;

#[cfg(test)]
mod bad_chain_tests;
#[cfg(test)]
mod digest_coverage_tests;
#[cfg(test)]
mod phone_scenario_tests;
#[cfg(test)]
mod retry_tests;
#[cfg(test)]
mod sim_harness_tests;
#[cfg(test)]
mod simulator_tests;
#[cfg(test)]
mod tls_tests;

pub use phone::phone_ui;
pub use pki::{generate_simulator_ca, issue_tls_client_cert, issue_tls_server_cert};
pub use simulator::{router, Simulator, SimulatorCa};
