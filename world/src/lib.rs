//! The local world: everything the service talks to that local mode and the tests provide
//! themselves, so a new user sees the whole flow on one machine and every test speaks the real
//! protocols. Never linked into a Lambda function.
//!
//! - [`bankid`]: the BankID RP API v6 simulator over mutual TLS, with a phone control API;
//! - [`pki`]: a certificate authority (roots, sub-CAs, seal, TSA and person certificates);
//! - [`tsa`]: an RFC 3161 timestamp authority;
//! - [`revocation`]: an OCSP responder and CRL issuer for the CAs, with a list of revoked
//!   serials;
//! - [`testkit`]: what tests around them share (temp directories, the external oracles, a
//!   router on a loopback port, an `openssl ts` timestamp authority).
//!
//! Its public API speaks bytes, URLs and its own types, so that `esign-shared`'s own unit tests
//! can use it as well (they see a second copy of `esign-shared`'s types, which must not meet).

pub mod bankid;
pub mod pki;
pub mod revocation;
pub mod testkit;
pub mod tsa;

#[cfg(test)]
mod port_suites;
