//! e-underskrift: the library every function uses. See DESIGN.md for the map.

pub mod adapters;
pub mod app;
pub mod archive;
pub mod bankid;
pub mod config;
pub mod domain;
pub mod error;
pub mod lambda;
pub mod pdf;
pub mod ports;
pub mod render;
pub mod repo;
pub mod revocation;
pub mod web;
pub mod webhooks;
pub mod x509;

#[cfg(any(test, feature = "test-support"))]
pub mod lambda_harness;
/// One behaviour suite per port, run against every adapter.
#[cfg(any(test, feature = "port-tests"))]
pub mod port_tests;

/// Fuzzing of every decoder of outside input (tests only).
#[cfg(all(test, feature = "embedded"))]
mod fuzz;
#[cfg(test)]
mod layer_tests;
